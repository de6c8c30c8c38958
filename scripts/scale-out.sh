#!/usr/bin/env bash
# Several redress instances behave as one.
#
# Three instances on 127.0.0.1 behind nginx (round-robin) share one
# PostgreSQL database created for the run. A load of intake (file and
# submit claims, each POST with an Idempotency-Key, retried with it) and
# staff actions (review, request information, record) runs first against
# one instance, then against the three. For the last run, three batch
# assessment jobs and three imports (JSON Lines, submitted) are started, one
# of each on each instance, and mid-run the instance that holds a webhook
# delivery's lease is killed with SIGKILL, with its batch job and its
# import in flight. Then:
#   - every acknowledged claim is in the database, with the reference
#     number that was acknowledged; reference numbers are unique (gaps,
#     left by submissions that drew a number and did not commit, are
#     counted); no request ran twice (one audit entry per key and action);
#   - the dead instance's leases were taken over: the delivery it held was
#     posted again by another instance and is marked delivered, its batch job
#     was finished by another instance, and its import, failed by another
#     instance's worker once its lease ran out, was uploaded again;
#   - no case was assessed twice, every case of the batches is accounted
#     for (assessed, routed to individual assessment, or failed), and every
#     imported row is there once, with one audit entry;
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
# Sized so that the jobs, started just before the kill, are still running
# when it comes, on a fast machine too: with 6,000 of each, both were done
# before the kill on one, where a debug build had assessed 9,500 of 20,000
# cases when it came. SCALE_BATCH_CASES and SCALE_IMPORT_ROWS override.
if ((LONG)); then BATCH_CASES=100000 IMPORT_ROWS=60000; else BATCH_CASES=30000 IMPORT_ROWS=20000; fi
BATCH_CASES=${SCALE_BATCH_CASES:-$BATCH_CASES}
IMPORT_ROWS=${SCALE_IMPORT_ROWS:-$IMPORT_ROWS}
PG="${REDRESS_SCALE_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/redress-target}"
# The whole workspace, so that features resolve as for the tests and
# nothing is rebuilt.
if [ -z "${REDRESS_BIN:-}" ]; then
  if ((LONG)); then
    cargo build --quiet --locked --release --workspace --bin redress
    REDRESS_BIN="$CARGO_TARGET_DIR/release/redress"
  else
    cargo build --quiet --locked --workspace --bin redress
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
  local status=$?
  set +e
  if ((status)); then
    for log in "$work"/i*.log "$work/nginx-error.log"; do
      [ -f "$log" ] && { echo "--- $log (last lines)"; tail -20 "$log"; } >&2
    done
  fi
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
# The webhook receiver runs on this machine: allow its port, and only it.
RECEIVER_PORT=$(free_port)
export REDRESS_WEBHOOK_ALLOW_PRIVATE="127.0.0.1:$RECEIVER_PORT"

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
account_for() { # name role -> "id token"
  local id
  id=$(curl -fsS "$B1/v1/accounts" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d "{\"display_name\": \"$1\", \"roles\": [\"$2\"]}" | jq -r .id)
  echo "$id $(curl -fsS -X POST "$B1/v1/accounts/$id/tokens" -H "Authorization: Bearer $ADMIN" \
    -H 'content-type: application/json' -d '{"label": "scale-out"}' | jq -r .token)"
}
token_for() { account_for "$@" | cut -d' ' -f2; }
jq -n --arg c1 "$(token_for 'Claimant 1' claimant)" --arg c2 "$(token_for 'Claimant 2' claimant)" \
  --arg c3 "$(token_for 'Claimant 3' claimant)" --arg c4 "$(token_for 'Claimant 4' claimant)" \
  --arg r "$(token_for Registrar registrar)" --arg b "$(token_for Board board)" \
  '{claimants: [$c1, $c2, $c3, $c4], registrar: $r, board: $b}' >"$work/tokens.json"

COUNCIL=$(token_for Council council)
ASSESSOR=$(token_for Assessor assessor)
# Claims of their own for the batches and the imports, filed for accounts
# the load does not use, so that the load's checks count only its own.
read -r ARCHIVE_ID _ <<<"$(account_for 'Archive' claimant)"
read -r IMPORTED_ID _ <<<"$(account_for 'Partner portal' claimant)"

# Recorded claims with cases awaiting assessment, generated in the
# database as redress-bench's batch scenario does (the batch does not care
# how they arrived): three batches' worth, of the category the per-unit
# rule values, with a floor area. Their references (GEN-...) are not
# drawn from the counter and are left out of the reference checks.
say "generating $((3 * BATCH_CASES)) recorded claims with cases for the batch jobs"
psql "$PG/$DB" -qAtX -v ON_ERROR_STOP=1 -v n="$((3 * BATCH_CASES))" -v filed_by="$ARCHIVE_ID" <<'SQL' >/dev/null
WITH v AS (
  SELECT g, gen_random_uuid() AS claim_id, gen_random_uuid() AS case_id,
    (ARRAY['UA-30', 'UA-32', 'UA-14', 'UA-63', 'UA-48'])[1 + g % 5] AS region,
    lpad(g::text, 10, '0') AS tax,
    (3000 + g % 200000)::numeric(12, 2) AS amount,
    (30 + g % 170)::numeric(6, 1) AS area,
    date '2022-03-01' + g % 900 AS incident
  FROM generate_series(1, :n) g),
c AS (INSERT INTO claims (id, filed_by, status, category, reference, content, claimant_name,
    claimant_search, claimant_key, region, incident_from, incident_to, totals, submitted_at, decided_at,
    created_at, updated_at)
  SELECT claim_id, :'filed_by'::uuid, 'recorded', 'A3.1', 'GEN-' || g,
    jsonb_build_object('claimant', jsonb_build_object('claimant_type', 'natural_person',
        'given_name', 'Олена', 'family_name', 'Архівна', 'tax_number', tax, 'nationalities', jsonb_build_array('UA')),
      'category', 'A3.1', 'incident', jsonb_build_object('kind', 'on', 'date', incident),
      'location', jsonb_build_object('region', region, 'settlement', 'Ірпінь', 'occupied_territory', false),
      'narrative', 'Будинок було зруйновано.',
      'losses', jsonb_build_array(jsonb_build_object('description', 'Житловий будинок',
        'amount', jsonb_build_object('amount', amount::text, 'currency', 'EUR'))),
      'external_references', '[]'::jsonb, 'category_fields', jsonb_build_object('floor_area_m2', area::text)),
    'Архівна Олена', 'архівна олена', 'rnokpp:' || tax, region, incident, incident,
    jsonb_build_array(jsonb_build_object('amount', amount::text, 'currency', 'EUR')),
    now() - interval '2 days', now() - interval '1 day', now() - interval '2 days', now() - interval '1 day'
  FROM v)
INSERT INTO cases (id, claim_id, category, region, claimant_key, claimed_amount, claimed_currency, facts,
  status, created_at, updated_at)
SELECT case_id, claim_id, 'A3.1', region, 'rnokpp:' || tax, amount, 'EUR',
  jsonb_build_object('claimed', jsonb_build_array(jsonb_build_object('amount', amount::text, 'currency', 'EUR')),
    'quantities', jsonb_build_object('floor_area_m2', area::text), 'region', region,
    'incident_date', incident::text, 'submission_date', (now() - interval '2 days')::date::text),
  'awaiting_assessment', now() - interval '1 day', now() - interval '1 day'
FROM v;
SQL
curl -fsS -o /dev/null "$B1/v1/valuation-rules" -H "Authorization: Bearer $COUNCIL" -H 'content-type: application/json' \
  -d '{"category": "A3.1", "kind": "per_unit", "unit": "floor_area_m2",
       "rate": {"amount": "850", "currency": "EUR"},
       "regional_rates": {"UA-30": {"amount": "1200", "currency": "EUR"}},
       "factors": [{"name": "depreciation", "value": "0.8"}],
       "cap": {"amount": "150000", "currency": "EUR"}, "valuation_date": "incident_date", "currency": "EUR"}'

# Three import files of distinct rows (claimants with valid RNOKPP check
# digits, each row submitted), one for each instance.
python3 - "$work" "$IMPORT_ROWS" <<'PY'
import json, sys
sys.path.insert(0, "scripts")
import load
work, rows = sys.argv[1], int(sys.argv[2])
W = [-1, 5, 7, 9, 4, 6, 10, 5, 7]
def rnokpp(n):
    d = [int(c) for c in f"{n:09d}"]
    return f"{n:09d}{sum(w * x for w, x in zip(W, d)) % 11 % 10}"
for i in (1, 2, 3):
    with open(f"{work}/import{i}.jsonl", "w") as f:
        for n in range(rows):
            c = json.loads(json.dumps(load.CLAIM))
            c["claimant"]["tax_number"] = rnokpp(200000000 + i * 1000000 + n)
            c["claimant"]["family_name"] = "Partner"
            c["location"]["cadastral_number"] = f"3210900000:{i:02d}:{n // 10000:03d}:{n % 10000:04d}"
            f.write(json.dumps({"external_id": f"scale-{i}-{n}", "claim": c, "submit": True}) + "\n")
PY

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
        # Below redress's idle close (REDRESS_HEADER_READ_TIMEOUT_SECS).
        keepalive_timeout 5s;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        # Imports go through it (deploy/nginx/redress.conf has the same).
        client_max_body_size 4g;
        location / {
            proxy_pass http://redress;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout;
            # Streamed as deploy/nginx/redress.conf does (the workers could
            # not write a body to this directory anyway).
            proxy_request_buffering off;
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
python3 scripts/load_webhook_receiver.py "$RECEIVER_PORT" "$work/receiver.log" 300 &
PIDS[4]=$!
curl -fsS "$LB/v1/webhooks" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -d "{\"url\": \"http://127.0.0.1:$RECEIVER_PORT/hook\", \"event_types\": [\"claim.rejected\"]}" >/dev/null
CLAIMANT=$(jq -r '.claimants[0]' "$work/tokens.json")
REGISTRAR=$(jq -r .registrar "$work/tokens.json")
BOARD=$(jq -r .board "$work/tokens.json")
CLAIM_JSON=$(python3 -c 'import json,sys; sys.path.insert(0,"scripts"); import load; c=load.CLAIM; c["location"]["cadastral_number"]="3210900000:99:999:9999"; print(json.dumps(c))')

# Three batches of cases, selected now; their jobs start just before the
# kill.
declare -a BATCH=() IMPORT_JOB=() WORKER=()
for i in 1 2 3; do
  BATCH[i]=$(curl -fsS "$LB/v1/batches" -H "Authorization: Bearer $ASSESSOR" -H 'content-type: application/json' \
    -d "{\"category\": \"A3.1\", \"max_cases\": $BATCH_CASES, \"sample_share\": \"0.05\", \"sample_minimum\": 10, \"error_threshold\": \"0.05\"}" |
    jq -r .id)
done

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
# Just before the kill, one batch job and one import on each instance.
# POST /assess wakes the worker of the instance it reaches, which takes the
# oldest queued job; an import runs in the process that received the
# upload, under that process's worker lease.
for i in 1 2 3; do
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:${PORTS[i]}/v1/batches/${BATCH[i]}/assess" -H "Authorization: Bearer $ASSESSOR"
done
for i in 1 2 3; do
  IMPORT_JOB[i]=$(curl -fsS "http://127.0.0.1:${PORTS[i]}/v1/imports?filed_by=$IMPORTED_ID" \
    -H "Authorization: Bearer $REGISTRAR" -H 'content-type: application/x-ndjson' \
    --data-binary "@$work/import$i.jsonl" | jq -r .id)
  WORKER[i]=$(sql "SELECT leased_by FROM jobs WHERE id = '${IMPORT_JOB[i]}'")
done
# Kill once the doomed instance has committed part of each, so that the
# takeover continues a batch job and the upload again skips rows.
for _ in $(seq 1 150); do
  [ "$(sql "SELECT count(*) FROM jobs WHERE leased_by = '${WORKER[KILLED]}' AND status = 'running'
    AND processed > 0")" = 2 ] && break
  sleep 0.1
done
say "batch jobs of $BATCH_CASES cases started and imports of $IMPORT_ROWS rows uploaded, one of each on each instance"
# What else the instance holds as it dies: its batch job and its import.
HELD=$(sql "SELECT coalesce(string_agg(id || ':' || kind || ':' || processed, ' '), '') FROM jobs
  WHERE leased_by = '${WORKER[KILLED]}' AND status = 'running'")
say "instance $KILLED (pid $HOLDER, $LEASED_BY) holds the delivery and the jobs $HELD; kill -9"
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

# The dead instance's import is failed by another instance's worker once
# its lease runs out; the client uploads the file again, through nginx.
IMPORT_KILLED=${IMPORT_JOB[KILLED]}
job_status() { sql "SELECT status FROM jobs WHERE id = '$1'"; }
for _ in $(seq 1 120); do
  [ "$(job_status "$IMPORT_KILLED")" != running ] && break
  sleep 1
done
IMPORT_KILLED_END=$(sql "SELECT status || ' (' || coalesce(error, '') || ')' FROM jobs WHERE id = '$IMPORT_KILLED'")
REUPLOAD=""
if [ "$(job_status "$IMPORT_KILLED")" = failed ]; then
  REUPLOAD=$(curl -fsS "$LB/v1/imports?filed_by=$IMPORTED_ID" -H "Authorization: Bearer $REGISTRAR" \
    -H 'content-type: application/x-ndjson' --data-binary "@$work/import$KILLED.jsonl" | jq -r .id)
fi
say "waiting for the batch jobs and the imports"
for _ in $(seq 1 600); do
  [ "$(sql "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")" = 0 ] && break
  sleep 1
done

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
BATCH_IDS="'${BATCH[1]}', '${BATCH[2]}', '${BATCH[3]}'"
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
  WHERE reference LIKE 'RD-%';
SELECT 'assessed_twice', count(*) FROM (SELECT case_id FROM assessments GROUP BY case_id HAVING count(*) > 1) t;
SELECT 'batch_cases', coalesce(sum(case_count), 0) FROM batches WHERE id IN ($BATCH_IDS);
SELECT 'batch_cases_left', count(*) FROM batch_cases m JOIN cases c ON c.id = m.case_id
  WHERE m.batch_id IN ($BATCH_IDS) AND c.status IN ('awaiting_assessment', 'assigned')
  AND c.assessment_error IS NULL;
SELECT 'batches_not_in_review', count(*) FROM batches WHERE id IN ($BATCH_IDS) AND status <> 'in_review';
SELECT 'assessments', count(*) FROM assessments WHERE batch_id IN ($BATCH_IDS);
SELECT 'jobs_not_completed', count(*) FROM jobs WHERE status <> 'completed'
  AND id NOT IN ('$IMPORT_KILLED');
SELECT 'imported', count(*) FROM imported_claims i JOIN claims c ON c.id = i.claim_id
  WHERE i.external_id LIKE 'scale-%' AND c.filed_by = '$IMPORTED_ID';
SELECT 'imported_claims_unmarked', count(*) FROM claims c WHERE c.filed_by = '$IMPORTED_ID'
  AND NOT EXISTS (SELECT 1 FROM imported_claims i WHERE i.claim_id = c.id);
SELECT 'imported_audit', count(*) FROM audit_log WHERE action = 'claim.imported';
SELECT 'imported_audit_twice', count(*) FROM (SELECT summary->>'external_id' FROM audit_log
  WHERE action = 'claim.imported' GROUP BY 1 HAVING count(*) > 1) t;
SELECT 'import_rejects', count(*) FROM import_rejects;

SELECT 'ran_twice', count(*) FROM (SELECT actor, idempotency_key, action FROM audit_log
  WHERE idempotency_key LIKE 'load-%' GROUP BY 1, 2, 3 HAVING count(*) > 1) t;
SELECT 'unacknowledged_claims', count(*) FROM claims c
  WHERE c.filed_by IN (SELECT DISTINCT filed_by FROM claims c2 JOIN acked a ON a.id = c2.id)
  AND NOT EXISTS (SELECT 1 FROM acked a WHERE a.id = c.id) AND c.id <> '$REJECTED';
SQL
val() { awk -F'|' -v k="$1" '$1 == k {print $2}' "$work/checks.txt"; }
# The kill must have cut a batch job and an import short, or nothing was
# taken over.
held_batch=0 held_import=0
for h in $HELD; do
  case $h in
    *:claims_import:*) held_import=1 ;;
    *:batch_assessment:*) held_batch=1 ;;
  esac
done
((held_batch && held_import)) && r=ok ||
  r="the killed instance held: ${HELD:-nothing}; raise SCALE_BATCH_CASES / SCALE_IMPORT_ROWS"
check "the kill cut the instance's batch job and import short ($HELD)" "$r"
for k in assessed_twice batch_cases_left batches_not_in_review jobs_not_completed imported_claims_unmarked \
  imported_audit_twice import_rejects; do
  [ "$(val $k)" = 0 ] && r=ok || r="$(val $k)"
  check "$k = 0" "$r"
done
[ "$(val batch_cases)" = "$((3 * BATCH_CASES))" ] && r=ok || r="$(val batch_cases)"
check "the batches hold $((3 * BATCH_CASES)) cases; $(val assessments) assessed, the rest routed to individual assessment" "$r"
[[ "$IMPORT_KILLED_END" == failed* ]] && [ -n "$REUPLOAD" ] && r=ok || r="$IMPORT_KILLED_END"
check "the killed instance's import was failed by another instance: $IMPORT_KILLED_END" "$r"
[ "$(val imported)" = "$((3 * IMPORT_ROWS))" ] && [ "$(val imported_audit)" = "$((3 * IMPORT_ROWS))" ] && r=ok ||
  r="$(val imported) rows, $(val imported_audit) audit entries"
AGAIN=none
[ -n "$REUPLOAD" ] && AGAIN=$(curl -fsS "$LB/v1/imports/$REUPLOAD" -H "Authorization: Bearer $REGISTRAR" |
  jq -r '"\(.imported) imported, \(.skipped) skipped (already imported)"')
check "every imported row once, with one audit entry: $(val imported) of $((3 * IMPORT_ROWS)); uploaded again: $AGAIN" "$r"
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
