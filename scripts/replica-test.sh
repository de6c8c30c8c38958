#!/usr/bin/env bash
# The read-replica path, for real: a PostgreSQL primary and a streaming
# replica made from it with `pg_basebackup -R`, redress with DATABASE_URL
# on the primary and DATABASE_READ_URL on the replica. Claims are written
# through the API; once the replica has replayed them the claims report
# and the export show them, and the replica (not the primary) served the
# reads: redress's connections are on the replica, and with the replica
# stopped reports answer 503 while intake and /ready go on.
#
# The primary is a throwaway cluster (initdb in a temp dir, PostgreSQL 15
# binaries from /usr/lib/postgresql), so that the machine's own cluster
# needs no replication entry in its pg_hba.conf and no restart. Both run as
# the postgres OS user on 127.0.0.1 ports of their own.
#
# usage: scripts/replica-test.sh     (REDRESS_BIN: the binary; otherwise a
# debug build from $CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."

PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/redress-target}"
if [ -z "${REDRESS_BIN:-}" ]; then
  cargo build --quiet --locked --workspace --bin redress
  REDRESS_BIN="$CARGO_TARGET_DIR/debug/redress"
fi
say() { echo "replica-test: $*"; }
die() { echo "replica-test: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work=$(mktemp -d "${TMPDIR:-/tmp}/redress-replica.XXXXXX")
chmod 755 "$work"
REDRESS_PID=""
cleanup() {
  set +e
  [ -n "$REDRESS_PID" ] && kill "$REDRESS_PID" 2>/dev/null && wait "$REDRESS_PID" 2>/dev/null
  for d in replica primary; do
    [ -f "$work/$d/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$work/$d" -m immediate stop >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT

P1=$(free_port)
P2=$(free_port)
# Server logs are written by the postgres user.
install -d -m 755 "$work/logs"
[ "$(id -u)" = 0 ] && chown postgres: "$work/logs"
install -d -m 700 "$work/primary"
[ "$(id -u)" = 0 ] && chown postgres: "$work/primary"
as_pg "$PGBIN/initdb" -D "$work/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; die "initdb"; }
cat >>"$work/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $P1
unix_socket_directories = '$work/logs'
wal_level = replica
max_wal_senders = 4
fsync = off
CONF
echo "host replication postgres 127.0.0.1/32 trust" >>"$work/primary/pg_hba.conf"
as_pg "$PGBIN/pg_ctl" -D "$work/primary" -l "$work/logs/primary.log" -w start >/dev/null
psql "postgres://postgres@127.0.0.1:$P1/postgres" -qAtc "CREATE DATABASE redress" >/dev/null

# The replica: a base backup that streams WAL while it copies, with -R
# writing standby.signal and primary_conninfo.
install -d -m 700 "$work/replica"
[ "$(id -u)" = 0 ] && chown postgres: "$work/replica"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres -D "$work/replica" -R -X stream -c fast
cat >>"$work/replica/postgresql.conf" <<CONF
port = $P2
unix_socket_directories = '$work/logs'
hot_standby = on
CONF
as_pg "$PGBIN/pg_ctl" -D "$work/replica" -l "$work/logs/replica.log" -w start >/dev/null
PRIMARY="postgres://postgres@127.0.0.1:$P1/redress"
REPLICA="postgres://postgres@127.0.0.1:$P2/redress"
[ "$(psql "$REPLICA" -qAtc 'SELECT pg_is_in_recovery()')" = t ] || die "the replica is not in recovery"
[ "$(psql "postgres://postgres@127.0.0.1:$P1/postgres" -qAtc 'SELECT count(*) FROM pg_stat_replication')" = 1 ] ||
  die "the replica is not streaming"
say "primary :$P1, streaming replica :$P2"

PORT=$(free_port)
B="http://127.0.0.1:$PORT"
DATABASE_URL="$PRIMARY" DATABASE_READ_URL="$REPLICA" REDRESS_DATA_DIR="$work/data" \
  REDRESS_LISTEN="127.0.0.1:$PORT" REDRESS_LOG=warn \
  "$REDRESS_BIN" serve >"$work/redress.log" 2>&1 &
REDRESS_PID=$!
for _ in $(seq 1 150); do
  curl -fs -o /dev/null "$B/ready" && break
  kill -0 "$REDRESS_PID" 2>/dev/null || { cat "$work/redress.log" >&2; die "redress did not start"; }
  sleep 0.2
done
ADMIN=$(grep -o 'rdt_[A-Za-z0-9_-]*' "$work/redress.log" | head -1)
token_for() {
  local id
  id=$(curl -fsS "$B/v1/accounts" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d "{\"display_name\": \"$1\", \"roles\": [\"$2\"]}" | jq -r .id)
  curl -fsS -X POST "$B/v1/accounts/$id/tokens" -H "Authorization: Bearer $ADMIN" \
    -H 'content-type: application/json' -d '{"label": "replica-test"}' | jq -r .token
}
CLAIMANT=$(token_for Claimant claimant)
REGISTRAR=$(token_for Registrar registrar)
claim_json() { python3 -c 'import json,sys; sys.path.insert(0,"scripts"); import load; c=load.CLAIM; c["location"]["cadastral_number"]="3210900000:01:001:%04d" % int(sys.argv[1]); print(json.dumps(c))' "$1"; }
file_claims() { # from to
  for n in $(seq "$1" "$2"); do
    id=$(curl -fsS "$B/v1/claims" -H "Authorization: Bearer $CLAIMANT" -H 'content-type: application/json' \
      -H "Idempotency-Key: replica-$n" -d "$(claim_json "$n")" | jq -r .id)
    curl -fsS -o /dev/null -X POST "$B/v1/claims/$id/submit" -H "Authorization: Bearer $CLAIMANT" \
      -H "Idempotency-Key: replica-submit-$n"
  done
}
wait_for_replay() {
  local lsn
  lsn=$(psql "$PRIMARY" -qAtc 'SELECT pg_current_wal_lsn()')
  for _ in $(seq 1 100); do
    [ "$(psql "$REPLICA" -qAtc "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
    sleep 0.1
  done
  die "the replica did not replay up to $lsn"
}
reported_total() { curl -fsS "$B/v1/reports/claims" -H "Authorization: Bearer $REGISTRAR" | jq .total; }

file_claims 1 20
wait_for_replay
[ "$(reported_total)" = 20 ] || die "the claims report shows $(reported_total), not 20"
EXPORTED=$(curl -fsS "$B/v1/exports/claims" -H "Authorization: Bearer $REGISTRAR" | wc -l)
[ "$EXPORTED" = 20 ] || die "the export has $EXPORTED lines, not 20"
say "ok: 20 claims written to the primary are in the report and the export after replay"
# The reads went to the replica: redress holds connections there.
ON_REPLICA=$(psql "$REPLICA" -qAtc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'redress' AND pid <> pg_backend_pid()")
[ "$ON_REPLICA" -ge 1 ] || die "redress has no connection to the replica"
say "ok: redress has $ON_REPLICA connection(s) on the replica"
LAG=$(psql "$REPLICA" -qAtc "SELECT coalesce(round(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000), 0)")
say "replay lag at rest: ${LAG} ms since the last replayed transaction"

# Without the replica: reports and exports fail (503), intake goes on.
as_pg "$PGBIN/pg_ctl" -D "$work/replica" -m fast -w stop >/dev/null
STATUS=$(curl -s -o "$work/report.json" -w '%{http_code}' "$B/v1/reports/claims" -H "Authorization: Bearer $REGISTRAR")
[ "$STATUS" = 503 ] || die "with the replica down the report answered $STATUS: $(cat "$work/report.json")"
jq -e '.type | endswith("unavailable")' "$work/report.json" >/dev/null || die "not a problem: $(cat "$work/report.json")"
file_claims 21 25
curl -fs -o /dev/null "$B/ready" || die "/ready failed while only the replica was down"
[ "$(psql "$PRIMARY" -qAtc 'SELECT count(*) FROM claims')" = 25 ] || die "intake did not go on"
say "ok: replica down: reports 503, intake and /ready go on"

as_pg "$PGBIN/pg_ctl" -D "$work/replica" -l "$work/logs/replica.log" -w start >/dev/null
wait_for_replay
for _ in $(seq 1 50); do
  [ "$(curl -s "$B/v1/reports/claims" -H "Authorization: Bearer $REGISTRAR" | jq .total 2>/dev/null)" = 25 ] && break
  sleep 0.2
done
[ "$(reported_total)" = 25 ] || die "after the replica came back the report shows $(reported_total), not 25"
say "ok: replica back: it caught up and reports show all 25 claims"
say "passed"
