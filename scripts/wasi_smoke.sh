#!/usr/bin/env bash
# Runs the wasm32-wasi CLI under Node and checks that it generates exactly the ids the
# native build generates (greedy, and sampled with a seed) for the built-in model.
set -euo pipefail
wasm=$(realpath "$1")
model=$(realpath "$2")
native=$(dirname "$model")/tinylm
for flags in "--temp 0" "--temp 1 --top-p 0.9 --seed 7"; do
  # shellcheck disable=SC2086
  expected=$("$native" run -m "$model" -n 48 $flags --print-ids 2>/dev/null)
  # shellcheck disable=SC2086
  # Judged by the ids printed, not node's exit status: Node 20 sometimes segfaults while
  # tearing down after the program has finished; a crash before the end prints no ids.
  got=$(node --no-warnings scripts/wasi_run.mjs "$wasm" run -m "$model" -n 48 $flags --print-ids 2>/dev/null || true)
  if [[ "$expected" != "$got" ]]; then
    echo "wasi smoke: ids differ for '$flags'"; echo "native: $expected"; echo "wasm:   $got"; exit 1
  fi
done
echo "wasi smoke: wasm32-wasi CLI generates the same ids as the native build"
