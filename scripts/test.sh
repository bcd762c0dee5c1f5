#!/usr/bin/env bash
# The project's test command (`npm test`): build, type check, lint, bring the local stack up,
# run every test suite that exists, and print one total line:  tests: N passed, N failed
# The engine matrix: every suite runs on the default engine (debian: Debian 12's Docker 20.10); the
# Docker suites (engine unit files, host Docker tests, the build → push → tag journey) run again on
# each engine of SYNAPSE_MATRIX_ENGINES (default "current podman"), one engine at a time, without the
# known product gaps of test/engine-gaps.json, each of which the summary names.
set -euo pipefail
cd "$(dirname "$0")/.."
run_started=$(date +%s)
matrix_engines=(${SYNAPSE_MATRIX_ENGINES-current podman})

# out/ is rebuilt by every build; if something removed it meanwhile, rebuild before touching the stack
# (the EXIT trap must always be able to stop what this run started).
stack() {
  [[ -f out/test/sandbox/stack.js ]] || node scripts/build.mjs --tests-only
  node out/test/sandbox/stack.js "$@"
}
# A field of sandbox.json's engine record (name, version, source), or dockerHost.
stack_info() {
  node -e 'const i = JSON.parse(require("fs").readFileSync(".synapse-sandbox/sandbox.json", "utf8")); const k = process.argv[1]; console.log(k === "dockerHost" ? i.dockerHost : (i.engine ?? {})[k] ?? "")' "$1"
}

problems=()
# A fresh clone on a machine with only Node: install what is missing first (Debian packages when
# root; npm dependencies). code-server is installed by the host and e2e runners on first use.
echo "== system packages"
bash scripts/ensure-system.sh --engines "$(IFS=,; echo "debian${matrix_engines[*]+,${matrix_engines[*]}}")"
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
# Only stop what this run starts: a stack that was already up (a developer's) stays up, on the
# engine it had (the matrix switches engines and switches back at the end).
if stack status --quiet; then
  initial_engine="$(stack_info name)"
  initial_engine="${initial_engine:-debian}"
  echo "stack already up on $initial_engine: leaving it running afterwards"
  trap 'echo "== stack back to $initial_engine"; SYNAPSE_ENGINE=$initial_engine stack up >/dev/null || true' EXIT
else
  trap 'echo "== stack down"; stack down || true' EXIT
fi
SYNAPSE_SANDBOX_MANIFEST_POLICY=strict SYNAPSE_ENGINE=debian stack up
engines_ran=("debian: $(stack_info version) from $(stack_info source)")
DOCKER_HOST="$(stack_info dockerHost)"
export DOCKER_HOST

results=test-results
mkdir -p "$results"
total_passed=0
total_failed=0
suites_ran=()
known_gaps=()

# Sums mocha's summary lines ("  12 passing (3s)", "  1 failing") in a suite's output.
count() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | { grep -Eo "^[[:space:]]*[0-9]+ $2" || true; } | awk '{ sum += $1 } END { print sum + 0 }'
}

# run_suite NAME COMMAND...: runs one suite, shows its output, adds its counts to the totals.
run_suite() {
  local name="$1"; shift
  local log="$results/$name.log"
  local started=$SECONDS
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
  suites_ran+=("$name ($passed passed, $failed failed, $((SECONDS - started)) s)")
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

# The engine matrix: the Docker suites again on each other engine, one engine at a time (the
# stack switches its engine; sandbox and registry stay).
sandbox_policy=strict
read -r -a engine_unit_files <<<"$(node out/test/sandbox/matrix.js unit-files | tr '\n' ' ')"
for engine in "${matrix_engines[@]+"${matrix_engines[@]}"}"; do
  echo "== engine $engine"
  # Docker 28 with the containerd image store pushes every image the classic builder or a test
  # fixture made as an OCI manifest, which Synapse's Oct-2024 rule (the sandbox's default, strict)
  # never records. The strict rule's answer to such a push is covered on every run by
  # pushed-manifest and push-truth; this engine's run plays the wide rule (PLFM-9133) so that its
  # suites test the engine, and says so.
  policy=strict
  [[ "$engine" == current ]] && policy=wide
  # The policy is a start option of the sandbox (reset keeps it): a new policy means a new stack.
  if [[ "$policy" != "$sandbox_policy" ]]; then stack down >/dev/null; fi
  echo "sandbox manifest policy on $engine: $policy"
  sandbox_policy=$policy
  if ! SYNAPSE_SANDBOX_MANIFEST_POLICY=$policy SYNAPSE_ENGINE=$engine stack up; then
    problems+=("the $engine engine did not start (see .synapse-sandbox/logs/engine-$engine.log)")
    continue
  fi
  engines_ran+=("$engine: $(stack_info version) from $(stack_info source), sandbox manifest policy $policy")
  DOCKER_HOST="$(stack_info dockerHost)"
  export DOCKER_HOST
  if ! gap_lines="$(node out/test/sandbox/matrix.js gaps "$engine")"; then problems+=("test/engine-gaps.json is stale for $engine (see the lines above)"); fi
  while IFS= read -r line; do
    [[ -z "$line" ]] && continue
    echo "$line"
    if [[ "$line" == known\ gap* ]]; then known_gaps+=("$line"); else problems+=("$line"); fi
  done <<<"$gap_lines"
  unit_grep="$(node out/test/sandbox/matrix.js grep "$engine" unit)"
  # The engine's unit files only (mocha merges positional files with a config's spec, hence --no-config
  # and .mocharc.json's options again).
  run_suite "unit-$engine" npx mocha --no-config --timeout 20000 --reporter spec --exit --node-option expose-gc \
    ${unit_grep:+--grep "$unit_grep"} "${engine_unit_files[@]}"
  run_suite "host-$engine" env SYNAPSE_DOCKER_SUITE="host-$engine" SYNAPSE_DOCKER_TEST_GREP="$(node out/test/sandbox/matrix.js grep "$engine" host)" \
    node out/test/host/runCodeServer.js
  run_suite "e2e-$engine" env SYNAPSE_DOCKER_SUITE="e2e-$engine" SYNAPSE_DOCKER_E2E_GREP="$(node out/test/sandbox/matrix.js grep "$engine" e2e)" \
    node out/test/e2e/run.js
done

echo "== summary"
for line in "${engines_ran[@]}"; do echo "engine $line"; done
echo "suites ran: ${suites_ran[*]}"
for gap in "${known_gaps[@]+"${known_gaps[@]}"}"; do echo "$gap"; done
for problem in "${problems[@]+"${problems[@]}"}"; do echo "problem: $problem"; done
echo "known gaps left out: ${#known_gaps[@]} (test/engine-gaps.json)"
echo "tests: $total_passed passed, $total_failed failed ($(( $(date +%s) - run_started )) s in all)"
[[ ${#problems[@]} -eq 0 ]]
