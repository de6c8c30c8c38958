#!/usr/bin/env bash
# Several redress instances behave as one.
#
# Three instances on 127.0.0.1 behind nginx (round-robin) share one
# PostgreSQL database created for the run. A load of intake (file and
# submit claims, each POST with an Idempotency-Key, retried with it) and
# staff actions (review, request information, record) runs first against
# one instance, then against the three; mid-run the instance that holds a
# webhook delivery's lease is killed with SIGKILL. Then:
#   - every acknowledged claim is in the database, with the reference
#     number that was acknowledged; reference numbers are unique (gaps,
#     left by submissions that drew a number and did not commit, are
#     counted); no request ran twice (one audit entry per key and action);
#   - the dead instance's lease was taken over: the delivery it held was
#     posted again by another instance and is marked delivered;
#   - `redress audit verify` passes;
#   - throughput with three instances is printed beside one.
#
# usage: scripts/scale-out.sh [--long]    (CI runs the short form)
# REDRESS_BIN names the binary; otherwise a debug build (release with --long)
# from $CARGO_TARGET_DIR. Needs PostgreSQL on 127.0.0.1:5432 and nginx
# (installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

LONG=0
[ "${1:-}" = "--long" ] && LONG=1
if ((LONG)); then LOAD_ONE=60 LOAD_THREE=60 LOAD_KILL=90; else LOAD_ONE=10 LOAD_THREE=10 LOAD_KILL=20; fi
PG="${REDRESS_SCALE_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/redress-target}"
if [ -z "${REDRESS_BIN:-}" ]; then
  if ((LONG)); then
    cargo build --quiet --release -p server --bin redress
    REDRESS_BIN="$CARGO_TARGET_DIR/release/redress"
  else
    cargo build --quiet -p server --bin redress
    REDRESS_BIN="$CARGO_TARGET_DIR/debug/redress"
  fi
fi
if ! command -v nginx >/dev/null 2>&1 && ! [ -x /usr/sbin/nginx ]; then
  echo "scale-out: installing nginx from Debian"
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq nginx >/dev/null
  if [ -f /run/nginx.pid ]; then kill "$(cat /run/nginx.pid)" 2>/dev/null || true; fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d "${TMPDIR:-/tmp}/redress-scale.XXXXXX")
DB="redress_scale_$$_$RANDOM"
declare -a PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  psql "$PG/postgres" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "scale-out: $*"; }
die() { echo "scale-out: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sql() { psql "$PG/$DB" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

psql "$PG/postgres" -qAtc "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL="$PG/$DB"
# One key for all instances: a sensitive claim sealed by one must open on
# the others.
export REDRESS_ENCRYPTION_KEYS="scale:$(openssl rand -base64 32)"
export REDRESS_EVIDENCE_DIR="$work/evidence"
export REDRESS_LOG_FORMAT=json REDRESS_LOG=warn
# The load uses a few tokens from one address; limits are not under test.
export REDRESS_RATE_LIMIT_PER_MINUTE=10000000 REDRESS_ANONYMOUS_RATE_LIMIT_PER_MINUTE=10000000
export REDRESS_DB_MAX_CONNECTIONS=10

declare -a PORTS=()
start_instance() { # index
  local i=$1 port
  port=$(free_port)
  PORTS[i]=$port
  REDRESS_DATA_DIR="$work/i$i" REDRESS_LISTEN="127.0.0.1:$port" \
    "$REDRESS_BIN" serve >"$work/i$i.log" 2>&1 &
  PIDS[i]=$!
  for _ in $(seq 1 150); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/ready" && return 0
    kill -0 "${PIDS[i]}" 2>/dev/null || { cat "$work/i$i.log" >&2; die "instance $i did not start"; }
    sleep 0.2
  done
  die "instance $i not ready"
}

start_instance 1
ADMIN=$(grep -o 'rdt_[A-Za-z0-9_-]*' "$work/i1.log" | head -1)
[ -n "$ADMIN" ] || die "no bootstrap token in the first instance's log"
B1="http://127.0.0.1:${PORTS[1]}"
token_for() { # name role -> token
  local id
  id=$(curl -fsS "$B1/v1/accounts" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d "{\"display_name\": \"$1\", \"roles\": [\"$2\"]}" | jq -r .id)
  curl -fsS -X POST "$B1/v1/accounts/$id/tokens" -H "Authorization: Bearer $ADMIN" \
    -H 'content-type: application/json' -d '{"label": "scale-out"}' | jq -r .token
}
jq -n --arg c1 "$(token_for 'Claimant 1' claimant)" --arg c2 "$(token_for 'Claimant 2' claimant)" \
  --arg c3 "$(token_for 'Claimant 3' claimant)" --arg c4 "$(token_for 'Claimant 4' claimant)" \
  --arg r "$(token_for Registrar registrar)" --arg b "$(token_for Board board)" \
  '{claimants: [$c1, $c2, $c3, $c4], registrar: $r, board: $b}' >"$work/tokens.json"

say "one instance, ${LOAD_ONE}s of load"
python3 scripts/load.py --base "$B1" --tokens "$work/tokens.json" --seconds "$LOAD_ONE" \
  --out "$work/one.json" >"$work/one.summary"
cat "$work/one.summary"

start_instance 2
start_instance 3
NGINX_PORT=$(free_port)
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/nginx-error.log;
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx-body;
    proxy_temp_path $work/nginx-proxy;
    upstream redress {
        server 127.0.0.1:${PORTS[1]} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:${PORTS[2]} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:${PORTS[3]} max_fails=1 fail_timeout=30s;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://redress;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout;
        }
    }
}
CONF
"$NGINX" -e "$work/nginx-error.log" -p "$work" -c "$work/nginx.conf"
LB="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 1 50); do curl -fs -o /dev/null "$LB/health" && break; sleep 0.1; done

say "three instances behind nginx, ${LOAD_THREE}s of load"
python3 scripts/load.py --base "$LB" --tokens "$work/tokens.json" --seconds "$LOAD_THREE" \
  --out "$work/three.json" >"$work/three.summary"
cat "$work/three.summary"

# A delivery to hold: a subscriber that answers the first post of an event
# only after a long while, and one event for it (a rejected claim: the load
# never rejects).
RECEIVER_PORT=$(free_port)
python3 scripts/load_webhook_receiver.py "$RECEIVER_PORT" "$work/receiver.log" 300 &
PIDS[4]=$!
curl -fsS "$LB/v1/webhooks" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -d "{\"url\": \"http://127.0.0.1:$RECEIVER_PORT/hook\", \"event_types\": [\"claim.rejected\"]}" >/dev/null
CLAIMANT=$(jq -r '.claimants[0]' "$work/tokens.json")
REGISTRAR=$(jq -r .registrar "$work/tokens.json")
BOARD=$(jq -r .board "$work/tokens.json")
CLAIM_JSON=$(python3 -c 'import json,sys; sys.path.insert(0,"scripts"); import load; c=load.CLAIM; c["location"]["cadastral_number"]="3210900000:99:999:9999"; print(json.dumps(c))')

say "three instances behind nginx, ${LOAD_KILL}s of load; one is killed mid-run"
python3 scripts/load.py --base "$LB" --tokens "$work/tokens.json" --seconds "$LOAD_KILL" \
  --out "$work/kill.json" >"$work/kill.summary" &
LOAD_PID=$!
PIDS[5]=$LOAD_PID
sleep $((LOAD_KILL / 3))
REJECTED=$(curl -fsS "$LB/v1/claims" -H "Authorization: Bearer $CLAIMANT" -H 'content-type: application/json' \
  -d "$CLAIM_JSON" | jq -r .id)
curl -fsS -o /dev/null -X POST "$LB/v1/claims/$REJECTED/submit" -H "Authorization: Bearer $CLAIMANT"
ETAG=$(curl -fsS -D - -o /dev/null -X POST "$LB/v1/claims/$REJECTED/review" -H "Authorization: Bearer $REGISTRAR" |
  tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}')
curl -fsS -o /dev/null -X POST "$LB/v1/claims/$REJECTED/decision" -H "Authorization: Bearer $BOARD" \
  -H "If-Match: $ETAG" -H 'content-type: application/json' \
  -d '{"outcome": "rejected", "reasons": "Outside the mandate."}'
# Which instance took the delivery: the lease names its worker, and the
# receiver's connection names its process.
HOLDER=""
for _ in $(seq 1 100); do
  if [ -s "$work/receiver.log" ]; then
    port=$(head -1 "$work/receiver.log" | jq -r .peer_port)
    HOLDER=$(ss -tnpH "sport = :$port and dport = :$RECEIVER_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    [ -n "$HOLDER" ] && break
  fi
  sleep 0.1
done
[ -n "$HOLDER" ] || die "no instance took the webhook delivery"
LEASED_BY=$(sql "SELECT leased_by FROM webhook_deliveries WHERE status = 'pending'")
for i in 1 2 3; do [ "${PIDS[i]}" = "$HOLDER" ] && KILLED=$i; done
[ -n "${KILLED:-}" ] || die "the delivery was taken by an unknown process $HOLDER"
say "instance $KILLED (pid $HOLDER, $LEASED_BY) holds the delivery; kill -9"
kill -9 "$HOLDER"
KILLED_AT=$(date +%s)

wait "$LOAD_PID" || die "the load driver failed"
cat "$work/kill.summary"

# The lease (60 s) runs out and another instance posts the event again.
say "waiting for another instance to take the delivery over"
for _ in $(seq 1 120); do
  [ "$(sql "SELECT status FROM webhook_deliveries")" = "delivered" ] && break
  sleep 1
done
TAKEN_OVER=$(($(date +%s) - KILLED_AT))

failures=0
check() { # description, condition result ("ok" or a message)
  if [ "$2" = ok ]; then say "ok: $1"; else echo "scale-out: FAILED: $1: $2" >&2; failures=$((failures + 1)); fi
}
[ "$(sql "SELECT status FROM webhook_deliveries")" = delivered ] &&
  [ "$(jq -s 'length' "$work/receiver.log")" -ge 2 ] &&
  [ "$(jq -s '[.[].webhook_id] | unique | length' "$work/receiver.log")" = 1 ] &&
  r=ok || r="delivery: $(sql "SELECT status, attempts, leased_by FROM webhook_deliveries"), receiver: $(cat "$work/receiver.log")"
check "the killed instance's webhook lease was taken over and delivered after ${TAKEN_OVER}s" "$r"

# Every acknowledged claim, once, with the reference it was acknowledged with.
jq -r '.acknowledged[] | [.id, (.reference // ""), .create_key, (.submit_key // "")] | @csv' \
  "$work/one.json" "$work/three.json" "$work/kill.json" >"$work/acked.csv"
ACKED=$(wc -l <"$work/acked.csv")
psql "$PG/$DB" -qAtX -v ON_ERROR_STOP=1 >"$work/checks.txt" <<SQL
CREATE TEMP TABLE acked (id uuid, reference text, create_key text, submit_key text);
\copy acked FROM '$work/acked.csv' WITH (FORMAT csv)
SELECT 'missing', count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.id = a.id);
SELECT 'wrong_reference', count(*) FROM acked a JOIN claims c ON c.id = a.id
  WHERE a.reference <> '' AND c.reference IS DISTINCT FROM a.reference;
SELECT 'duplicate_references', count(*) FROM (SELECT reference FROM claims WHERE reference IS NOT NULL
  GROUP BY reference HAVING count(*) > 1) d;
SELECT 'reference_gaps', coalesce(max(substring(reference from '[0-9]+\$')::bigint), 0) - count(*) FROM claims
  WHERE reference IS NOT NULL;
SELECT 'ran_twice', count(*) FROM (SELECT actor, idempotency_key, action FROM audit_log
  WHERE idempotency_key LIKE 'load-%' GROUP BY 1, 2, 3 HAVING count(*) > 1) t;
SELECT 'unacknowledged_claims', count(*) FROM claims c
  WHERE c.filed_by IN (SELECT DISTINCT filed_by FROM claims c2 JOIN acked a ON a.id = c2.id)
  AND NOT EXISTS (SELECT 1 FROM acked a WHERE a.id = c.id) AND c.id <> '$REJECTED';
SQL
val() { awk -F'|' -v k="$1" '$1 == k {print $2}' "$work/checks.txt"; }
[ "$ACKED" -gt 0 ] && r=ok || r="no claim was acknowledged"
check "$ACKED acknowledged claims" "$r"
for k in missing wrong_reference duplicate_references ran_twice; do
  [ "$(val $k)" = 0 ] && r=ok || r="$(val $k)"
  check "$k = 0" "$r"
done
say "reference numbers drawn but not used (a submission killed or refused after drawing one): $(val reference_gaps)"
say "claims filed but never acknowledged (answer lost, retries gave up): $(val unacknowledged_claims)"
F=$(jq -s 'map(.failure_count) | add' "$work/one.json" "$work/three.json" "$work/kill.json")
[ "$F" = 0 ] && r=ok || r="$(jq -c .failures "$work/one.json" "$work/three.json" "$work/kill.json" | head -c 2000)"
check "every operation of the load was answered (after retries)" "$r"
if out=$("$REDRESS_BIN" audit verify 2>&1); then r=ok; else r="$out"; fi
check "redress audit verify: $out" "$r"

T1=$(jq .ops_per_second "$work/one.json"); T3=$(jq .ops_per_second "$work/three.json")
say "throughput: 1 instance $T1 ops/s (latency $(jq -c .latency_ms "$work/one.json")); 3 instances behind nginx $T3 ops/s ($(jq -c .latency_ms "$work/three.json"))"
say "with one killed: $(jq .ops_per_second "$work/kill.json") ops/s, $(jq .retries "$work/kill.json") retries, slowest answer $(jq .latency_ms.max "$work/kill.json") ms (a key held by the dead instance waits for its lease)"
if ((failures)); then
  for i in 1 2 3; do echo "--- instance $i (last lines)"; tail -5 "$work/i$i.log"; done >&2
  exit 1
fi
say "passed"
