#!/usr/bin/env bash
# Crash durability: intake load with Idempotency-Keys and client retries
# while the server is killed with SIGKILL at random moments and restarted.
# Afterwards every acknowledged claim is held exactly once in the state
# the client was told, no claim exists that a client was not told about,
# reference numbers are unique and `redress audit verify` passes.
#
#   scripts/reliability/crash.sh [--backend sqlite|postgres|both] [--kills N]
#                                [--duration SECONDS] [--workers N] [--long] [--strict]
#
# Short form (CI): 3 kills in 30 s per backend. --long: 20 kills in 300 s.
# Prints one `crash[BACKEND]: ...` summary line per backend; exits 1 on any
# loss, duplicate reference or broken chain. A retry whose change had been
# committed before the kill is answered 303 See Other to the result (the
# change is recorded on its idempotency key in the change's transaction);
# those are counted. Anything the client was never told about, or a
# submission answered 409 after it committed, is counted too, and --strict
# (as CI runs it) fails on them.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"

backend=both kills=3 duration=30 workers=4 seed="${REL_SEED:-$RANDOM}" strict=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --backend) backend=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --long) kills=20 duration=300; shift ;;
    --strict) strict=(--strict); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
trap rel_cleanup EXIT
trap "exit 143" INT TERM
BIN=$(rel_binary)

run_backend() {
  local which=$1 dir url port log
  rel_tmpdir
  dir=$REL_TMP
  log="$dir/server.log"
  if [[ $which == postgres ]]; then
    rel_pg_database
    url=$REL_PG_URL
  else
    url="sqlite://$dir/data/redress.db"
  fi
  port=$(rel_free_port)
  local i tokens="$dir/tokens" staff
  : >"$tokens"
  for i in $(seq 1 "$workers"); do
    rel_account "$BIN" "$url" "$dir/data" "Load claimant $i" claimant >>"$tokens"
  done
  staff=$(rel_account "$BIN" "$url" "$dir/data" "Load registrar" registrar)
  [[ $(wc -l <"$tokens") -eq $workers && -n $staff ]] || { rel_log "accounts were not created"; return 1; }

  rel_start "$BIN" "$url" "$dir/data" "$port" "$log"
  rel_log "crash[$which]: load for ${duration}s with $workers workers, $kills kills (seed $seed)"
  python3 "$HERE/intake_load.py" load --base "http://127.0.0.1:$port" --tokens "$tokens" \
    --duration "$duration" --seed "$seed" --out "$dir/results.json" &
  local load_pid=$! survived=0 gap
  REL_PIDS+=("$load_pid")
  # Kill moments: spread over the load, each at a random point of its slot.
  gap=$(python3 -c "print($duration / ($kills + 1))")
  for i in $(seq 1 "$kills"); do
    sleep "$(python3 -c "import random; random.seed($seed * 100 + $i); print(round(random.uniform(0.3, 1.7) * $gap, 2))")"
    kill -0 "$load_pid" 2>/dev/null || break
    kill -KILL "$REL_SERVER_PID"
    wait "$REL_SERVER_PID" 2>/dev/null || true
    rel_start "$BIN" "$url" "$dir/data" "$port" "$log"
    survived=$((survived + 1))
    rel_log "crash[$which]: kill $i/$kills, restarted"
  done
  local load_ok=0
  wait "$load_pid" || load_ok=$?
  local check_ok=0
  python3 "$HERE/intake_load.py" check --base "http://127.0.0.1:$port" --tokens "$tokens" \
    --staff-token "$staff" --results "$dir/results.json" "${strict[@]}" >"$dir/check.out" || check_ok=$?
  cat "$dir/check.out" >&2
  rel_stop "$REL_SERVER_PID"
  local audit_ok=0
  rel_audit_verify "$BIN" "$url" "$dir/data" || audit_ok=$?
  python3 - "$dir/results.json" "$which" "$survived" "$load_ok" "$audit_ok" "$dir/check.out" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
s = r["stats"]
acked = sum(len(w["claims"]) for w in r["workers"])
which, survived, load_ok, audit_ok = sys.argv[2:6]
line = open(sys.argv[6]).read()
figure = lambda name: (re.search(name + r" (\d+)", line) or [None, "?"])[1]
print(f"crash[{which}]: kills survived {survived}, requests {s.get('requests', 0)} "
      f"({s.get('no_answer', 0)} unanswered and retried, {s.get('replayed', 0)} replayed, "
      f"{s.get('see_other', 0)} answered 303 after a crash), "
      f"claims acknowledged {acked}, lost {figure('lost')}, "
      f"duplicate references {'0' if 'duplicate reference' not in line else 'SOME'}, "
      f"audit {'intact' if audit_ok == '0' else 'BROKEN'}, "
      f"crash-window answers: untold claims {figure('untold')}, "
      f"submissions answered 409 after committing {figure('committing')}, "
      f"{'all answered' if load_ok == '0' else 'UNANSWERED REQUESTS'}, {r['seconds']}s")
PY
  if [[ $load_ok -ne 0 || $check_ok -ne 0 || $audit_ok -ne 0 ]]; then
    rel_log "crash[$which]: FAILED; last server log lines:"
    tail -20 "$log" >&2
    return 1
  fi
}

status=0
case $backend in
  sqlite) run_backend sqlite || status=1 ;;
  postgres) run_backend postgres || status=1 ;;
  both)
    run_backend sqlite || status=1
    run_backend postgres || status=1
    ;;
  *) echo "unknown backend $backend" >&2; exit 2 ;;
esac
exit $status
