#!/usr/bin/env bash
# The "current" test engine: Docker Engine 28 as Debian's sid suite packages it (docker.io +
# containerd), with the same suite's docker CLI and buildx (docker-cli + docker-buildx: the CLI the
# benchmark compares the extension with on this engine), fetched with a private apt configuration
# (the system's sources, lists and cache are never touched) and unpacked with dpkg-deb into .cache/engines/current/<versions>/. Reused when present.
# Writes .cache/engines/current/engine.json, which test/sandbox/engines.ts reads:
#   {"suite", "packages": {name: version}, "pinned": true|false, "pins": {...}, "root": <unpacked tree>}
# Sid moves: the versions CI uses are pinned below (override: SYNAPSE_CURRENT_ENGINE_PINS="docker.io=… containerd=…").
# When a pinned version is no longer in sid, this takes what sid has and says so loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

suite=sid
pins="${SYNAPSE_CURRENT_ENGINE_PINS:-docker.io=28.5.2+dfsg4-5 containerd=2.1.9+ds1-5 docker-cli=28.5.2+dfsg4-5 docker-buildx=0.29.1+ds1-4}"
cache="$PWD/.cache/engines"
apt_dir="$cache/apt-$suite"
engine_dir="$cache/current"
record="$engine_dir/engine.json"

declare -A pinned=()
for pin in $pins; do pinned["${pin%%=*}"]="${pin#*=}"; done
names=("${!pinned[@]}")

# The record says which versions are unpacked; reuse them when they are the pinned ones.
recorded() { # recorded NAME -> version in engine.json, or empty
  [[ -f "$record" ]] || return 0
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (require("fs").existsSync(r.root)) console.log(r.packages[process.argv[2]] ?? "")' "$record" "$1"
}
matches_pins=1
for name in "${names[@]}"; do [[ "$(recorded "$name")" == "${pinned[$name]}" ]] || matches_pins=0; done
if [[ $matches_pins -eq 1 ]]; then
  echo "ensure-system: current engine present ($(for n in "${names[@]}"; do printf '%s=%s ' "$n" "${pinned[$n]}"; done)from $suite, pinned) in ${engine_dir#"$PWD/"}"
  exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "ensure-system: the current engine needs apt-get and dpkg-deb (Debian)" >&2; exit 1; }
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' "$keyring" "$suite" >"$apt_dir/sources.list"
apt_options=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null
  -o APT::Sandbox::User=root -q
)
echo "ensure-system: fetching the current engine from Debian $suite (private apt configuration in ${apt_dir#"$PWD/"})"
apt-get "${apt_options[@]}" update >/dev/null

is_pinned=true
wanted=()
for name in "${names[@]}"; do
  if apt-cache "${apt_options[@]}" show "$name=${pinned[$name]}" >/dev/null 2>&1; then
    wanted+=("$name=${pinned[$name]}")
  else
    available="$(apt-cache "${apt_options[@]}" policy "$name" | awk '/Candidate:/ { print $2 }')"
    if [[ -z "$available" || "$available" == "(none)" ]]; then echo "ensure-system: $name is not in Debian $suite" >&2; exit 1; fi
    echo "ensure-system: WARNING: pinned $name=${pinned[$name]} is no longer in Debian $suite; using $name=$available instead." >&2
    echo "ensure-system: WARNING: the current engine is NOT the pinned one; update the pins in scripts/fetch-current-engine.sh." >&2
    is_pinned=false
    wanted+=("$name=$available")
  fi
done

tree_name="$(printf '%s_' "${wanted[@]}" | tr '=+~:' '-___' | sed 's/_$//')"
tree="$engine_dir/$tree_name"
download="$(mktemp -d "$apt_dir/download.XXXXXX")"
trap 'rm -rf "$download"' EXIT
(cd "$download" && apt-get "${apt_options[@]}" download "${wanted[@]}" >/dev/null)
rm -rf "$tree.partial" && mkdir -p "$tree.partial"
for deb in "$download"/*.deb; do dpkg-deb -x "$deb" "$tree.partial"; done
rm -rf "$tree" && mv "$tree.partial" "$tree"

packages_json="$(for w in "${wanted[@]}"; do printf '"%s":"%s",' "${w%%=*}" "${w#*=}"; done | sed 's/,$//')"
pins_json="$(for n in "${names[@]}"; do printf '"%s":"%s",' "$n" "${pinned[$n]}"; done | sed 's/,$//')"
printf '{"suite":"%s","packages":{%s},"pinned":%s,"pins":{%s},"root":"%s","fetchedAt":"%s"}\n' \
  "$suite" "$packages_json" "$is_pinned" "$pins_json" "$tree" "$(date -u +%FT%TZ)" >"$record.tmp"
mv "$record.tmp" "$record"
echo "ensure-system: current engine unpacked: ${wanted[*]} (from $suite$([[ $is_pinned == true ]] && echo ', pinned' || echo ', NOT the pinned versions')) in ${tree#"$PWD/"}"
