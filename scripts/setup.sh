#!/usr/bin/env bash
# Installs the Debian packages corio needs (only those missing), then configures and builds the release build
# in build/release. Works as root; uses sudo otherwise. Downloads nothing but Debian packages.
#   scripts/setup.sh            packages + release build
#   scripts/setup.sh --deps     packages only
#   scripts/setup.sh --test-deps  packages, plus what the tests use (headless Chromium, gnuplot), no build
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ clang-19 libclang-rt-19-dev clang-format-19 meson ninja-build pkg-config ccache python3
  libasio-dev libasio-doc libspdlog-dev doctest-dev libcli11-dev libbenchmark-dev
  curl wrk procps util-linux
)
if [ "${1:-}" = "--test-deps" ]; then
  packages+=(chromium gnuplot-nox)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
case "${1:-}" in --deps|--test-deps) exit 0 ;; esac

if [ ! -f build/release/build.ninja ]; then
  CXX="${CXX:-g++}" meson setup build/release --buildtype=release
fi
ninja -C build/release
