#!/usr/bin/env bash
# The project's test command (`npm test`): build, type check, lint, bring the local stack up,
# run every test suite that exists, and print one total line:  tests: N passed, N failed
set -euo pipefail
cd "$(dirname "$0")/.."

# out/ is rebuilt by every build; if something removed it meanwhile, rebuild before touching the stack
# (the EXIT trap must always be able to stop what this run started).
stack() {
  [[ -f out/test/sandbox/stack.js ]] || node scripts/build.mjs --tests-only
  node out/test/sandbox/stack.js "$@"
}

problems=()
# A fresh clone on a machine with only Node: install what is missing first (Debian packages when
# root; npm dependencies). code-server is installed by the host and e2e runners on first use.
echo "== system packages"
bash scripts/ensure-system.sh
echo "== npm dependencies"
if [[ ! -d node_modules ]]; then npm ci --no-audit --no-fund; else echo "node_modules present"; fi

echo "== build"
node scripts/build.mjs
# Type and lint errors fail the run, but the tests still run so one run shows everything.
echo "== typecheck"
npm run --silent typecheck || problems+=("typecheck failed")
echo "== lint"
npm run --silent lint || problems+=("lint failed")

echo "== stack"
# Only stop what this run starts: a stack that was already up (a developer's) stays up.
if stack status --quiet; then
  echo "stack already up: leaving it running afterwards"
else
  trap 'echo "== stack down"; stack down || true' EXIT
fi
stack up
DOCKER_HOST="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(".synapse-sandbox/sandbox.json","utf8")).dockerHost)')"
export DOCKER_HOST

results=test-results
mkdir -p "$results"
total_passed=0
total_failed=0
suites_ran=()

# Sums mocha's summary lines ("  12 passing (3s)", "  1 failing") in a suite's output.
count() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | { grep -Eo "^[[:space:]]*[0-9]+ $2" || true; } | awk '{ sum += $1 } END { print sum + 0 }'
}

# run_suite NAME COMMAND...: runs one suite, shows its output, adds its counts to the totals.
run_suite() {
  local name="$1"; shift
  local log="$results/$name.log"
  echo "== suite $name: $*"
  set +e
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  local passed failed
  passed=$(count "$log" passing)
  failed=$(count "$log" failing)
  if [[ $status -ne 0 && $failed -eq 0 ]]; then
    # Crashed before mocha could report (or the runner failed around it): count it as one failure.
    failed=1
    problems+=("$name exited with status $status without reporting a failing test (see $log)")
  elif [[ $failed -gt 0 ]]; then
    problems+=("$name: $failed failed (see $log)")
  elif [[ $passed -eq 0 ]]; then
    problems+=("$name ran zero tests (see $log)")
  fi
  suites_ran+=("$name ($passed passed, $failed failed)")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

run_suite unit npx mocha --config .mocharc.json
run_suite host node out/test/host/runCodeServer.js
# Again in a pseudo-translated display language: what the user reads comes from the l10n bundle.
run_suite host-qps-ploc env SYNAPSE_DOCKER_LOCALE=qps-ploc node out/test/host/runCodeServer.js
# The journeys run the packaged .vsix, so a broken .vscodeignore or bundle fails them.
echo "== package"
npm run --silent package
run_suite e2e node out/test/e2e/run.js

echo "== summary"
echo "suites ran: ${suites_ran[*]}"
for problem in "${problems[@]+"${problems[@]}"}"; do echo "problem: $problem"; done
echo "tests: $total_passed passed, $total_failed failed"
[[ ${#problems[@]} -eq 0 ]]
