#!/usr/bin/env bash
# cargo fuzz on the parsers that take untrusted input and the
# entry-into-force engine (fuzz/, its own Cargo project).
#
#   scripts/reliability/fuzz.sh [--seconds N] [--targets "a b"] [--long]
#
# Short form (CI): a few seconds per target, built without optimisation
# (the server crate changes with nearly every commit, and an optimised
# instrumented build of it takes minutes). --long: 10 minutes per target,
# optimised.
# cargo-fuzz needs nightly compiler flags; the stable toolchain accepts them
# with RUSTC_BOOTSTRAP=1. No sanitizer: the code under test is safe Rust and
# what is looked for is panics (overflow checks and debug assertions are
# on). A crash leaves its input in fuzz/artifacts/TARGET/ and fails the run;
# turn it into a regression test next to the code it broke.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"

seconds=5 profile=(--dev)
targets="claim_json import_rows entry_into_force"
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --long) seconds=600 profile=(); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  rel_log "installing cargo-fuzz"
  CARGO_TARGET_DIR=/var/tmp/cargo-install-target cargo install cargo-fuzz --locked
fi
trap rel_cleanup EXIT
trap "exit 143" INT TERM
export RUSTC_BOOTSTRAP=1
FUZZ_TARGET_DIR="${REDRESS_FUZZ_TARGET_DIR:-/var/tmp/redress-fuzz-target}"
cd "$REL_ROOT"
fuzz() {
  local command=$1
  shift
  cargo fuzz "$command" --fuzz-dir fuzz --sanitizer none --target-dir "$FUZZ_TARGET_DIR" \
    "${profile[@]}" "$@"
}
rel_log "fuzz: building"
fuzz build >&2
status=0
for target in $targets; do
  rel_tmpdir
  corpus=$REL_TMP
  log="$corpus/fuzz.log"
  mkdir -p "fuzz/artifacts/$target"
  set +e
  fuzz run "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$target/" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1 || true)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  if [[ $rc -eq 0 ]]; then
    echo "fuzz[$target]: ${runs:-?} runs in ${seconds}s, coverage ${cov:-?} edges, 0 crashes"
  else
    status=1
    echo "fuzz[$target]: CRASH after ${runs:-?} runs; input kept in fuzz/artifacts/$target/"
    grep -E "panicked|ERROR|SUMMARY|Test unit written|error" "$log" | head -20 >&2 || tail -20 "$log" >&2
  fi
done
exit $status
