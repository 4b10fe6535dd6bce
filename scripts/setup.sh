#!/usr/bin/env bash
# Installs what tinylm needs on Debian 12, idempotently: only missing packages are
# installed, and apt-get update runs only when something is missing.
#   scripts/setup.sh          build tools (to build and run tinylm)
#   scripts/setup.sh --test   also GoogleTest, clang-format, the wasm32-wasi toolchain and
#                             clang-14's libFuzzer runtime (fuzz/run.sh)
set -euo pipefail

packages=(cmake ninja-build g++ make)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libgtest-dev googletest clang-14 lld-14 clang-format-14 wasi-libc
             libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32 nodejs
             chromium  # chromium: the browser test of web/
             libclang-rt-14-dev llvm-14)  # libFuzzer + sanitizer runtimes, llvm-symbolizer: fuzz/
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
