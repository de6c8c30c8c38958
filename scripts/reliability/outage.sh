#!/usr/bin/env bash
# Database outage: PostgreSQL is stopped (immediate mode, as a crash would)
# in the middle of intake load, then started again. While it is down the
# API answers 503 problem+json quickly (no request hangs) and /ready fails
# while /health stays up; once it is back the same process recovers without
# a restart, and no acknowledged write is lost.
#
#   scripts/reliability/outage.sh [--down SECONDS] [--duration SECONDS]
#                                 [--long] [--main-cluster]
#
# By default the database is a throwaway PostgreSQL cluster of the
# installed version, made for the run on a free loopback port and removed
# afterwards, so that no one else's tests lose their database. With
# --main-cluster it is the machine's own cluster, stopped with
# `pg_ctlcluster --skip-systemctl-redirect VERSION main stop -m immediate`:
# only when nothing else uses it. Either way the cluster is started again
# whatever happens (trap).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"

down=10 duration=40 workers=4 cluster=private
while [[ $# -gt 0 ]]; do
  case $1 in
    --down) down=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --long) down=60 duration=180; shift ;;
    --main-cluster) cluster=main; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
PG_VERSION="${REDRESS_PG_VERSION:-$(ls /etc/postgresql | sort -V | tail -1)}"
if [[ $cluster == main ]]; then
  pg_port=5432
  pg() { pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main "$@"; }
else
  pg_bin="/usr/lib/postgresql/$PG_VERSION/bin"
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/redress-outage-pg.XXXXXX")
  chown postgres "$pg_dir"
  pg_port=$(rel_free_port)
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
  pg() {
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
      -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" "$@" >/dev/null
  }
  pg start
  REL_PG_ADMIN="postgres://postgres@127.0.0.1:$pg_port/postgres"
fi
pg_up() {
  local i
  for i in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p "$pg_port" -q 2>/dev/null && return 0
    sleep 1
  done
  return 1
}
cleanup() {
  # Whatever failed, the main cluster is left running for everyone else;
  # a throwaway one is removed.
  if [[ $cluster == main ]] && ! pg_isready -h 127.0.0.1 -p "$pg_port" -q 2>/dev/null; then
    pg start 2>/dev/null || true
    pg_up || true
  fi
  rel_cleanup
  if [[ $cluster == private ]]; then
    pg stop -m immediate 2>/dev/null || true
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT
trap "exit 143" INT TERM
pg_up || { rel_log "outage: PostgreSQL is not running to begin with"; exit 1; }

BIN=$(rel_binary)
rel_tmpdir
dir=$REL_TMP
rel_pg_database
url=$REL_PG_URL
port=$(rel_free_port)
base="http://127.0.0.1:$port"
tokens="$dir/tokens"
: >"$tokens"
for i in $(seq 1 "$workers"); do
  rel_account "$BIN" "$url" "$dir/data" "Outage claimant $i" claimant >>"$tokens"
done
staff=$(rel_account "$BIN" "$url" "$dir/data" "Outage registrar" registrar)
probe_token=$(head -1 "$tokens")
rel_start "$BIN" "$url" "$dir/data" "$port" "$dir/server.log"
server_pid=$REL_SERVER_PID

python3 "$HERE/intake_load.py" load --base "$base" --tokens "$tokens" --duration "$duration" \
  --drain 120 --out "$dir/results.json" &
load_pid=$!
REL_PIDS+=("$load_pid")
sleep 8

# probe NAME METHOD PATH [TOKEN]: one request; prints "status seconds type".
probe() {
  local method=$2 path=$3 token=${4:-} out
  local args=(-s -o "$dir/probe.json" -w '%{http_code} %{time_total}' --max-time 30 -X "$method")
  [[ -n $token ]] && args+=(-H "Authorization: Bearer $token")
  [[ $method == POST ]] && args+=(-H 'content-type: application/json' -d '{}')
  out=$(curl "${args[@]}" "$base$path" || echo "000 30")
  echo "$out $(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("type", "-"))
except Exception: print("-")' "$dir/probe.json")"
}

rel_log "outage: stopping PostgreSQL $PG_VERSION ($cluster cluster, immediate) under load"
stopped_at=$(date +%s)
pg stop -m immediate
failures=0 probes=0 slowest=0
check() {
  local what=$1 want_status=$2 want_type=$3 got status seconds type
  shift 3
  got=$(probe "$what" "$@")
  read -r status seconds type <<<"$got"
  probes=$((probes + 1))
  slowest=$(python3 -c "print(max($slowest, $seconds))")
  if [[ $status != "$want_status" || ( $want_type != "-" && $type != "$want_type" ) ]] ||
    python3 -c "import sys; sys.exit(0 if $seconds > 5 else 1)"; then
    rel_log "outage: FAIL $what: $got (wanted $want_status $want_type within 5 s)"
    failures=$((failures + 1))
  fi
}
deadline=$((stopped_at + down))
while [[ $(date +%s) -lt $deadline ]]; do
  check ready 503 /problems/unavailable GET /ready
  check health 200 - GET /health
  check list 503 /problems/unavailable GET /v1/claims "$probe_token"
  check file 503 /problems/unavailable POST /v1/claims "$probe_token"
  sleep 1
done

rel_log "outage: starting PostgreSQL again"
pg start
pg_up
restarted_at=$(date +%s)
recovered=""
for i in $(seq 1 120); do
  if [[ $(probe ready GET /ready | cut -d' ' -f1) == 200 ]]; then
    recovered=$(( $(date +%s) - restarted_at ))
    break
  fi
  sleep 0.5
done
[[ -n $recovered ]] || { rel_log "outage: FAIL /ready did not recover within 60 s"; failures=$((failures + 1)); }
kill -0 "$server_pid" 2>/dev/null || { rel_log "outage: FAIL the server process died"; failures=$((failures + 1)); }

load_ok=0
wait "$load_pid" || load_ok=$?
check_ok=0
python3 "$HERE/intake_load.py" check --base "$base" --tokens "$tokens" --staff-token "$staff" \
  --results "$dir/results.json" || check_ok=$?
rel_stop "$server_pid"
audit_ok=0
rel_audit_verify "$BIN" "$url" "$dir/data" || audit_ok=$?
python3 - "$dir/results.json" "$probes" "$failures" "$slowest" "${recovered:-never}" "$down" "$check_ok" "$audit_ok" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
probes, failures, slowest, recovered, down, check_ok, audit_ok = sys.argv[2:]
acked = sum(len(w["claims"]) for w in r["workers"])
print(f"outage[postgres]: down {down}s, {probes} probes while down ({failures} wrong), slowest {float(slowest):.2f}s, "
      f"ready again {recovered}s after the restart without restarting redress, requests {r['stats'].get('requests', 0)}, "
      f"claims acknowledged {acked}, {'zero losses' if check_ok == '0' else 'LOSSES'}, "
      f"audit {'intact' if audit_ok == '0' else 'BROKEN'}")
PY
if [[ $failures -ne 0 || $load_ok -ne 0 || $check_ok -ne 0 || $audit_ok -ne 0 ]]; then
  tail -20 "$dir/server.log" >&2
  exit 1
fi
