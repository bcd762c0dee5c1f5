#!/usr/bin/env bash
# npm run sandbox: try the extension against a local Synapse sandbox in a real VS Code (code-server).
# On a fresh Debian machine with Node it installs what is missing (Debian packages through
# scripts/ensure-system.sh, npm ci, code-server), builds, brings the stack up, opens code-server on
# 127.0.0.1 with the extension and a demo workspace, prints the URL and a demo token, and stays in
# the foreground until Ctrl-C; then it stops code-server and the stack it started.
#
# Environment: SYNAPSE_SANDBOX_PORT=<port> for a fixed code-server port (default: a free one).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== %s\n' "$*"; }
fail() { printf 'sandbox: %s\n' "$*" >&2; exit 1; }

# Node 20.19 or later (engines in package.json; code-server 4.100 runs on it too).
command -v node >/dev/null 2>&1 || fail "Node.js is not installed (need 20.19 or later)"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) { console.error(`Node ${process.versions.node} is too old: need 20.19 or later`); process.exit(1); }
' || fail "install Node.js 20.19 or later"

say "system packages"
bash scripts/ensure-system.sh

say "npm dependencies"
if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules present"
fi

say "build"
node scripts/build.mjs

say "code-server"
# Checks the system packages its native modules need and says which are missing.
node out/test/vscode/codeServer.js install

say "stack"
stack() { node out/test/sandbox/stack.js "$@"; }
started_stack=0
if stack status --quiet; then
  echo "stack already up: it stays up afterwards"
else
  started_stack=1
fi
on_exit() {
  local status=$?
  trap - EXIT INT TERM
  if [[ $started_stack -eq 1 ]]; then
    say "stack down"
    stack down || true
  fi
  exit "$status"
}
trap on_exit EXIT
stack up

say "code-server on 127.0.0.1"
# In the background so a signal to this script (Ctrl-C, SIGTERM) is forwarded to it by pid; it
# stops code-server cleanly, then on_exit stops the stack.
node out/test/vscode/serveSandbox.js &
serve_pid=$!
forward() { kill -TERM "$serve_pid" 2>/dev/null || true; }
trap forward INT TERM HUP
status=0
while true; do
  set +e
  wait "$serve_pid"
  status=$?
  set -e
  # wait returns early (status > 128) when a trapped signal arrives; keep waiting until it is gone.
  if ! kill -0 "$serve_pid" 2>/dev/null; then break; fi
done
exit "$status"
