#!/usr/bin/env bash
# The long forms of every reliability test, one after the other, with a
# summary of their figures at the end (for docs/reliability.md).
#
#   scripts/reliability/all.sh [--short]
#
# Long (default): about an hour on two cores. --short: the CI forms.
# The database outage test stops a throwaway PostgreSQL cluster of its own
# (outage.sh --main-cluster would stop the machine's). Several instances
# behind a load balancer: scripts/scale-out.sh (its own database on the
# machine's PostgreSQL).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
long=(--long)
[[ ${1:-} == --short ]] && long=()
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
status=0
run() {
  echo "== $*" >&2
  "$@" | tee -a "$summary" || status=1
}
run cargo deny --manifest-path "$HERE/../../Cargo.toml" check licenses bans sources
run "$HERE/crash.sh" "${long[@]}"
run "$HERE/schemathesis.sh" "${long[@]}"
run "$HERE/schemathesis.sh" --backend postgres "${long[@]}"
run "$HERE/fuzz.sh" "${long[@]}"
run "$HERE/outage.sh" "${long[@]}"
run "$HERE/../scale-out.sh" "${long[@]}"
echo
echo "== figures ($(date -u +%Y-%m-%d))"
grep -E '^(crash|outage|schemathesis|fuzz|scale-out: (ok|throughput|with one))' "$summary"
exit $status
