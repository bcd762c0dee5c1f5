#!/usr/bin/env bash
# Installs what the tests need, only what is missing, all from Debian's packages:
#   bash scripts/ensure-system.sh [--engines debian,current,podman]
# (default: $SYNAPSE_ENGINES, else $SYNAPSE_ENGINE, else debian).
# - always: the Debian 12 packages of the stack, the browser and code-server's native builds;
# - podman: Debian's podman, without its recommends (no rootless helpers: the stack runs it as root);
# - current: Docker Engine 28 (docker.io + containerd .debs from Debian's sid suite) fetched with a
#   PRIVATE apt configuration into .cache/engines/ (the system's apt sources are never changed) and
#   unpacked there with dpkg-deb; reused when present. See docs/test-stack.md §6.
# As root it runs `apt-get update` once and installs; otherwise it prints the command and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

engines="${SYNAPSE_ENGINES:-${SYNAPSE_ENGINE:-debian}}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --engines|--engine) engines="$2"; shift 2 ;;
    *) echo "usage: bash scripts/ensure-system.sh [--engines debian,current,podman]" >&2; exit 2 ;;
  esac
done
want() { [[ ",$engines," == *",$1,"* ]]; }
for engine in ${engines//,/ }; do
  case "$engine" in debian|current|podman) ;; *) echo "ensure-system: unknown engine '$engine' (debian, current, podman)" >&2; exit 2 ;; esac
done

packages=(
  # The local stack (test/sandbox/stack.ts): engine, registry, base image, token certificate.
  # docker.io also brings Debian 12's runc, which the current engine runs with (its own needs glibc 2.38).
  docker.io docker-registry busybox-static openssl
  # The browser that drives code-server (test/host, test/e2e).
  chromium
  # code-server builds native modules from source when it is installed (see docs/test-stack.md §3).
  libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep
)
# Podman as root needs nothing of its recommends (uidmap, slirp4netns, fuse-overlayfs are for
# rootless use; buildah's code is inside podman). Its one network dependency, CNI plugins, stays
# unused: the stack gives it no network configuration at all.
lean_packages=()
if want podman; then lean_packages+=(podman); fi

missing_of() {
  local package
  for package in "$@"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" != "install ok installed" ]]; then
      echo "$package"
    fi
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_lean < <(missing_of "${lean_packages[@]+"${lean_packages[@]}"}")

if [[ ${#missing[@]} -eq 0 && ${#missing_lean[@]} -eq 0 ]]; then
  echo "ensure-system: all $(( ${#packages[@]} + ${#lean_packages[@]} )) Debian packages present (engines: $engines)"
else
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system: missing packages (${missing[*]} ${missing_lean[*]}) and no apt-get here; install them by hand" >&2
    exit 1
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "ensure-system: missing Debian packages: ${missing[*]} ${missing_lean[*]}" >&2
    echo "run as root: apt-get update && apt-get install -y ${missing[*]} && apt-get install -y --no-install-recommends ${missing_lean[*]}" >&2
    exit 1
  fi
  # Package scripts must not start system services (a system dockerd, registry on :5000, podman's
  # socket units): the stack starts its own. policy-rc.d exiting 101 tells invoke-rc.d to leave them stopped.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  cleanup() { if [[ $created_policy -eq 1 ]]; then rm -f "$policy"; fi; }
  trap cleanup EXIT

  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt-get install -y -qq "${missing[@]}"
    echo "ensure-system: installed ${missing[*]}"
  fi
  if [[ ${#missing_lean[@]} -gt 0 ]]; then
    apt-get install -y -qq --no-install-recommends "${missing_lean[@]}"
    echo "ensure-system: installed ${missing_lean[*]} (without recommends)"
  fi
fi

if want current; then
  bash scripts/fetch-current-engine.sh
fi
