#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those missing. As root it runs
# `apt-get update` once and installs them; otherwise it prints the command to run and fails.
set -euo pipefail

packages=(
  # The local stack (test/sandbox/stack.ts): engine, registry, base image, token certificate.
  docker.io docker-registry busybox-static openssl
  # The browser that drives code-server (test/host, test/e2e).
  chromium
  # code-server builds native modules from source when it is installed (see ../shared/docs/test-stack.md §3).
  libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep
)

missing=()
for package in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "ensure-system: all ${#packages[@]} Debian packages present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system: missing packages (${missing[*]}) and no apt-get here; install them by hand" >&2
  exit 1
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-system: missing Debian packages: ${missing[*]}" >&2
  echo "run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "ensure-system: installing ${missing[*]}"
# Package scripts must not start system services (a system dockerd or registry on :5000):
# the stack starts its own. policy-rc.d exiting 101 tells invoke-rc.d to leave them stopped.
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
apt-get install -y -qq "${missing[@]}"
echo "ensure-system: installed ${missing[*]}"
