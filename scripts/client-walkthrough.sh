#!/usr/bin/env bash
# The OpenAPI description is a contract a client can be generated from:
# for SQLite and then PostgreSQL, start redress, fetch /openapi.json,
# validate it with openapi-spec-validator, generate a Python client with
# openapi-python-client, and run the README's filing walkthrough through
# that client's typed models and functions only (scripts/client_walkthrough.py):
# file docs/examples/claim.json, upload docs/examples/deed.pdf, submit;
# the secretariat reviews, the Board records (If-Match: the claim's ETag);
# the claimant reads the claim and its history back.
#
# usage: scripts/client-walkthrough.sh   (REDRESS_BIN: the binary; otherwise
# a debug build from $CARGO_TARGET_DIR; REDRESS_TEST_POSTGRES_URL: the
# server a fresh database is made on, default the local postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Pinned: the validator's and the generator's versions decide what is
# accepted; a new release is taken on purpose.
VALIDATOR=openapi-spec-validator==0.9.0
GENERATOR=openapi-python-client==0.29.1

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/redress-target}"
if [ -z "${REDRESS_BIN:-}" ]; then
  cargo build --quiet --locked --workspace --bin redress
  REDRESS_BIN="$CARGO_TARGET_DIR/debug/redress"
fi
PG_URL="${REDRESS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
say() { echo "client-walkthrough: $*"; }
die() { echo "client-walkthrough: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The tools, in a virtual environment of their own (kept between runs).
VENV="${REDRESS_CLIENT_VENV:-/var/tmp/redress-client-venv}"
if ! "$VENV/bin/python" -c 'import openapi_spec_validator, openapi_python_client' 2>/dev/null ||
   ! "$VENV/bin/pip" freeze 2>/dev/null | grep -qx "$VALIDATOR" ||
   ! "$VENV/bin/pip" freeze 2>/dev/null | grep -qx "$GENERATOR"; then
  say "installing $VALIDATOR and $GENERATOR"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$VALIDATOR" "$GENERATOR"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/redress-client.XXXXXX")
DB="redress_client_$$"
DB_URL="${PG_URL%/*}/$DB"
REDRESS_PID=""
stop_redress() {
  if [ -n "$REDRESS_PID" ]; then
    kill "$REDRESS_PID" 2>/dev/null || true
    wait "$REDRESS_PID" 2>/dev/null || true
    REDRESS_PID=""
  fi
}
cleanup() {
  set +e
  stop_redress
  psql "$PG_URL" -qAtc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# `account DIR NAME ROLE ENV...`: creates an account with `redress accounts
# create` and prints its token.
account() {
  local dir=$1 name=$2 role=$3
  shift 3
  env "$@" REDRESS_DATA_DIR="$dir/data" REDRESS_LOG=warn \
    "$REDRESS_BIN" accounts create --name "$name" --role "$role" >"$dir/account.txt" 2>"$dir/account.log" ||
    { cat "$dir/account.log" >&2; die "accounts create --role $role"; }
  awk '$1 == "token" { print $2 }' "$dir/account.txt" | grep . || die "accounts create printed no token"
}

# One run: $1 names the database, the rest is the environment of redress.
walk() {
  local name=$1
  shift
  local dir="$work/$name"
  mkdir -p "$dir/data"
  local port
  port=$(free_port)
  local base="http://127.0.0.1:$port"

  # The accounts and their tokens, from the command line as the README
  # shows (`redress accounts create`).
  local claimant registrar board
  claimant=$(account "$dir" "Olena Kovalenko" claimant "$@")
  registrar=$(account "$dir" "Register secretariat" registrar "$@")
  board=$(account "$dir" "Board member" board "$@")

  env "$@" REDRESS_DATA_DIR="$dir/data" REDRESS_LISTEN="127.0.0.1:$port" REDRESS_LOG=warn \
    "$REDRESS_BIN" serve >"$dir/redress.log" 2>&1 &
  REDRESS_PID=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$base/ready" && break
    kill -0 "$REDRESS_PID" 2>/dev/null || { cat "$dir/redress.log" >&2; die "$name: redress did not start"; }
    sleep 0.2
  done
  curl -fs -o /dev/null "$base/ready" || die "$name: redress is not ready"

  curl -fsS "$base/openapi.json" -o "$dir/openapi.json" || die "$name: GET /openapi.json"
  say "$name: validating the OpenAPI description"
  "$VENV/bin/openapi-spec-validator" "$dir/openapi.json" || die "$name: the description is not valid OpenAPI"

  say "$name: generating a Python client"
  (cd "$dir" && "$VENV/bin/openapi-python-client" generate --path openapi.json --meta none \
      --output-path client >generate.log 2>&1) ||
    { cat "$dir/generate.log" >&2; die "$name: openapi-python-client"; }
  # Parts the generator dropped are parts a client cannot use.
  if grep -q "Unable to process schema\|Failure to process" "$dir/generate.log"; then
    cat "$dir/generate.log" >&2
    die "$name: the generator could not use part of the description"
  fi

  say "$name: filing, uploading, submitting, recording and reading a claim through the generated client"
  PYTHONPATH="$dir" "$VENV/bin/python" "$ROOT/scripts/client_walkthrough.py" \
    --base-url "$base" --token "$claimant" --registrar-token "$registrar" --board-token "$board" \
    --claim "$ROOT/docs/examples/claim.json" --evidence "$ROOT/docs/examples/deed.pdf" ||
    { tail -20 "$dir/redress.log" >&2; die "$name: the walkthrough"; }
  stop_redress
}

walk sqlite
psql "$PG_URL" -qAtc "CREATE DATABASE $DB" >/dev/null || die "cannot create the database $DB"
walk postgres DATABASE_URL="$DB_URL"
say "2 passed, 0 failed"
