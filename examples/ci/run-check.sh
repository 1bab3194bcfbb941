#!/usr/bin/env bash
# The same guard for any CI system (GitLab, Jenkins, Buildkite, ...): check every scenario that has
# a baseline, write JUnit reports, and exit with the worst code (2 cannot compare > 1 changed > 0).
#
#   examples/ci/run-check.sh [SCENARIO_DIR [BASELINE_DIR [REPORT_DIR]]]
set -uo pipefail
scenarios="${1:-scenarios}"
baselines="${2:-baselines}"
reports="${3:-reports}"
mkdir -p "$reports"
worst=0
for base in "$baselines"/*.json; do
  [ -e "$base" ] || { echo "no baselines in $baselines" >&2; exit 2; }
  name="$(basename "$base" .json)"
  pacing-sim check "$scenarios/$name.yaml" --baseline "$base" --junit-xml "$reports/$name.xml" --changes-only
  code=$?
  if [ "$code" -eq 2 ] || { [ "$code" -eq 1 ] && [ "$worst" -eq 0 ]; }; then worst=$code; fi
done
exit "$worst"
