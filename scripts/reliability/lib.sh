# Shared by the reliability scripts: the binary, a fresh database, a
# server on a free loopback port, accounts. Source it; it sets no traps of
# its own, the caller's cleanup calls rel_cleanup.

REL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/redress-target}"
REL_PG_ADMIN="${REDRESS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REL_PIDS=()
REL_DBS=()
REL_DIRS=()

rel_log() { echo "$(date +%H:%M:%S) $*" >&2; }

# The redress binary: $REDRESS_BIN, or a debug build (built if missing or
# stale; a no-op when CI has just built it for the tests).
rel_binary() {
  if [[ -n "${REDRESS_BIN:-}" ]]; then
    echo "$REDRESS_BIN"
    return
  fi
  (cd "$REL_ROOT" && cargo build --quiet --locked --workspace --bin redress) >&2
  echo "$CARGO_TARGET_DIR/debug/redress"
}

rel_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A new temporary directory in REL_TMP (not printed: the caller's shell
# must record it for rel_cleanup, which a $(...) subshell would not).
rel_tmpdir() {
  REL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/redress-rel.XXXXXX")
  REL_DIRS+=("$REL_TMP")
}

# A new PostgreSQL database, its URL in REL_PG_URL. Dropped by rel_cleanup.
rel_pg_database() {
  local name="redress_rel_$$_${RANDOM}${RANDOM}"
  psql "$REL_PG_ADMIN" -qAtc "CREATE DATABASE $name" >/dev/null
  REL_DBS+=("$name")
  REL_PG_URL="${REL_PG_ADMIN%/*}/$name"
}

# rel_start BIN URL DATA_DIR PORT LOG: starts `redress serve` in the
# background; sets REL_SERVER_PID. Waits until /health answers.
rel_start() {
  local bin=$1 url=$2 data=$3 port=$4 log=$5
  DATABASE_URL="$url" REDRESS_DATA_DIR="$data" REDRESS_LISTEN="127.0.0.1:$port" \
    REDRESS_LOG_FORMAT=json REDRESS_LOG="${REDRESS_LOG:-warn}" \
    REDRESS_RATE_LIMIT_PER_MINUTE=10000000 REDRESS_ANONYMOUS_RATE_LIMIT_PER_MINUTE=10000000 \
    REDRESS_REQUEST_TIMEOUT_SECS="${REL_REQUEST_TIMEOUT:-5}" \
    "$bin" serve >>"$log" 2>&1 &
  REL_SERVER_PID=$!
  REL_PIDS+=("$REL_SERVER_PID")
  local i
  for i in $(seq 1 300); do
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/health" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$REL_SERVER_PID" 2>/dev/null; then
      rel_log "redress exited at start; log:"
      tail -20 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  rel_log "redress did not answer /health within 30 s"
  return 1
}

# rel_stop PID: SIGTERM, then SIGKILL after 10 s.
rel_stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# rel_account BIN URL DATA_DIR NAME ROLE [more args]: prints the new token.
rel_account() {
  local bin=$1 url=$2 data=$3 name=$4 role=$5
  shift 5
  DATABASE_URL="$url" REDRESS_DATA_DIR="$data" REDRESS_LOG=error \
    "$bin" accounts create --name "$name" --role "$role" "$@" 2>/dev/null |
    awk '$1 == "token" { print $2 }'
}

# rel_audit_verify BIN URL DATA_DIR: `redress audit verify`, its line on stderr.
rel_audit_verify() {
  local bin=$1 url=$2 data=$3
  DATABASE_URL="$url" REDRESS_DATA_DIR="$data" REDRESS_LOG=error "$bin" audit verify >&2
}

rel_cleanup() {
  local pid name dir
  for pid in "${REL_PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for name in "${REL_DBS[@]}"; do
    psql "$REL_PG_ADMIN" -qAtc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
  done
  for dir in "${REL_DIRS[@]}"; do
    rm -rf "$dir"
  done
}
