#!/usr/bin/env bash
# The performance benchmark of issue #9: tinylm native, tinylm WebAssembly in Node and in
# headless Chromium, and the peers (node-llama-cpp and wllama on the same GGUF files,
# transformers.js on stories15M f32), all single-threaded, in one run; then
# bench/report.mjs writes docs/performance.md and docs/performance.svg. Not run in CI.
#
#   bench/run.sh                                   # everything (see the estimate below)
#   MODELS=pythia14m TYPES=q8_0 bench/run.sh       # a subset
#
# Environment (defaults):
#   MODELS="stories15M stories42M pythia14m aurelius10M tinygpt2-25M"
#                                  presets of ../shared/bench/peers/make_gguf.py (--list)
#   TYPES="q8_0 q4_0 f16 f32"      REPS=3 (timed repetitions per engine and model)
#   WARMUP_WASM=1                  untimed repetitions first in Node and Chromium (V8 tiers
#                                  the module up from Liftoff to TurboFan during the first)
#   WORK=/tmp/tinylm-bench         models, raw results, logs (outside the repository)
#   TINYLM=build/release/tinylm    WASM=web/tinylm.wasm   CHROMIUM=/usr/bin/chromium
#   PEERS=node-llama-cpp,wllama    ("" skips them)   PEERS_HOME=/tmp/peer-bench
#   TJS=1                          transformers.js on stories15M f32 (needs python3-torch for
#                                  make_onnx.py; skipped with a note when it is missing)
#   TJS_HOME=/tmp/tjs-node         SHARED=../shared   DOC=docs/performance.md
#   TRIAL=0                        1: label the report a trial (a partial run)
# Needs: the release build (cmake --preset release && cmake --build --preset release), the
# wasm module (cmake --preset wasm && cmake --build --preset wasm), web/node_modules
# (npm ci in web/), /usr/bin/python3 with numpy, Chromium, npm registry access on the first
# run (the peers' packages are installed into PEERS_HOME / TJS_HOME).
set -euo pipefail
# The settings given on the command line, for the report's "exact command".
GIVEN=$(for v in TRIAL MODELS TYPES REPS WARMUP_WASM WORK TINYLM WASM PEERS TJS; do
  if [ -n "${!v+x}" ]; then printf '%s=%q ' "$v" "${!v}"; fi; done)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=$(cd "${SHARED:-$ROOT/../shared}" && pwd)
MODELS=${MODELS:-stories15M stories42M pythia14m aurelius10M tinygpt2-25M}
TYPES=${TYPES:-q8_0 q4_0 f16 f32}
REPS=${REPS:-3}; WARMUP_WASM=${WARMUP_WASM:-1}
PP=64; TG=128; THREADS=1
WORK=${WORK:-/tmp/tinylm-bench}
TINYLM=${TINYLM:-$ROOT/build/release/tinylm}
WASM=${WASM:-$ROOT/web/tinylm.wasm}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PEERS=${PEERS-node-llama-cpp,wllama}
PEERS_HOME=${PEERS_HOME:-/tmp/peer-bench}
TJS=${TJS:-1}; TJS_HOME=${TJS_HOME:-/tmp/tjs-node}
DOC=${DOC:-$ROOT/docs/performance.md}
TRIAL=${TRIAL:-0}
PY=/usr/bin/python3
CLI="$ROOT/web/bin/tinylm-wasm.mjs"

[ -x "$TINYLM" ] || { echo "no $TINYLM: build the release preset first" >&2; exit 1; }
[ -f "$WASM" ] || { echo "no $WASM: build the wasm preset first" >&2; exit 1; }
"$TINYLM" bench -p 1 -n 1 --reps 1 --json >/dev/null 2>&1 \
  || { echo "$TINYLM has no bench command (tools/cli/cmd_bench.cpp)" >&2; exit 1; }
# Single-threaded everywhere, and never more threads than cores for the llama.cpp peers.
[ "$(nproc)" -ge "$THREADS" ] || THREADS=$(nproc)

RAW=$WORK/raw; LOG=$WORK/log.txt
mkdir -p "$WORK/models" "$RAW"
rm -f "$RAW"/*.jsonl "$RAW"/*.results "$RAW"/*.log
: > "$LOG"
START=$(date +%s)
say() { echo "[$(( $(date +%s) - START ))s] $*" >&2; }
# run NAME CMD...: stdout to $RAW/NAME.jsonl, stderr to the log; a failure is recorded, not fatal.
run() {
  local name=$1; shift
  say "$name"
  echo "== $name: $*" >> "$LOG"
  local rc=0
  "$@" > "$RAW/$name.jsonl" 2>> "$LOG" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "{\"error\": \"exit status $rc, see $LOG\"}" >> "$RAW/$name.jsonl"
    say "  $name failed (see $LOG)"
  fi
}

# 1. Models: GGUF (deterministic random weights), then .slm with the same tensor types.
GGUFS=()
for m in $MODELS; do
  missing=()
  for t in $TYPES; do [ -f "$WORK/models/$m-$t.gguf" ] || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "make_gguf $m ${missing[*]}"
    $PY "$SHARED/bench/peers/make_gguf.py" --preset "$m" --types "$(IFS=,; echo "${missing[*]}")" \
      --outdir "$WORK/models" >> "$LOG" 2>&1
  fi
  for t in $TYPES; do
    g=$WORK/models/$m-$t.gguf
    [ -f "$g" ] || { echo "make_gguf.py wrote no $g" >&2; exit 1; }
    GGUFS+=("$g")
    # Converted again when the GGUF or the converter is newer (a new .slm version, new types).
    if [ ! -f "${g%.gguf}.slm" ] || [ "$g" -nt "${g%.gguf}.slm" ] || [ "$TINYLM" -nt "${g%.gguf}.slm" ]; then
      say "convert $m-$t"
      "$TINYLM" convert "$g" -o "${g%.gguf}.slm" >> "$LOG" 2>&1
    fi
  done
done

# 2. tinylm: native, WebAssembly in Node, WebAssembly in Chromium (the same contract).
for m in $MODELS; do
  for t in $TYPES; do
    slm=$WORK/models/$m-$t.slm
    run "$m-$t.native" "$TINYLM" bench -m "$slm" -p $PP -n $TG -t $THREADS --reps "$REPS" --json
    run "$m-$t.wasm-node" node "$CLI" bench -m "$slm" -p $PP -n $TG --reps "$REPS" \
      --warmup "$WARMUP_WASM" --wasm "$WASM" --json
    run "$m-$t.wasm-chromium" node "$CLI" bench -m "$slm" -p $PP -n $TG --reps "$REPS" \
      --warmup "$WARMUP_WASM" --wasm "$WASM" --browser --chromium "$CHROMIUM" --json
  done
done

# 3. The llama.cpp peers on the same GGUF files (their own harness and prompt definition).
if [ -n "$PEERS" ]; then
  say "peers ($PEERS): ${#GGUFS[@]} files"
  OUT=$RAW/peers.results PEERS=$PEERS PEERS_HOME=$PEERS_HOME THREADS=$THREADS PP=$PP TG=$TG \
    REPS=$REPS WARMUP=1 CHROMIUM=$CHROMIUM "$SHARED/bench/peers/bench_peers.sh" "${GGUFS[@]}" \
    >> "$LOG" 2>&1 || say "  bench_peers.sh failed (see $LOG)"
  sed -n 's/^RESULT //p' "$RAW/peers.results" > "$RAW/peers.jsonl" 2>/dev/null || true
fi

# 4. transformers.js on stories15M f32 (an ONNX export of the same weights as the GGUF).
if [ "$TJS" = 1 ] && [[ " $MODELS " == *" stories15M "* ]] && [[ " $TYPES " == *" f32 "* ]]; then
  TJS_DIR=$SHARED/bench/peers/transformersjs
  ONNX=$WORK/tjs-model
  if [ ! -f "$ONNX/onnx/model.onnx" ] && ! $PY -c 'import torch' 2>/dev/null; then
    say "transformers.js skipped: make_onnx.py needs python3-torch (apt-get install python3-torch)"
    echo '{"peer": "transformers.js", "skipped": "python3-torch is not installed (make_onnx.py needs it)"}' > "$RAW/tjs.jsonl"
  else
    [ -f "$ONNX/onnx/model.onnx" ] || { say "make_onnx stories15M"; $PY "$TJS_DIR/make_onnx.py" --outdir "$ONNX" >> "$LOG" 2>&1; }
    mkdir -p "$TJS_HOME"
    if [ ! -d "$TJS_HOME/node_modules/@huggingface/transformers" ]; then
      say "npm install transformers.js into $TJS_HOME"
      cp "$TJS_DIR/package.json" "$TJS_HOME/" && (cd "$TJS_HOME" && npm install --ignore-scripts --no-audit --no-fund >> "$LOG" 2>&1)
    fi
    cp "$TJS_DIR"/*.mjs "$TJS_DIR"/*.html "$TJS_HOME/"
    : > "$RAW/tjs.results"
    say "transformers.js (Node)"
    (cd "$TJS_HOME" && node tjs_bench.mjs --modeldir "$ONNX" --reps "$REPS" --warmup 1) >> "$RAW/tjs.results" 2>> "$LOG" || say "  failed"
    say "transformers.js (Chromium)"
    (cd "$TJS_HOME" && node tjs_browser_bench.mjs --modeldir "$ONNX" --chromium "$CHROMIUM" --reps "$REPS" \
      --warmup 3 --page tjs) >> "$RAW/tjs.results" 2>> "$LOG" || say "  failed"
    sed -n 's/^RESULT //p' "$RAW/tjs.results" > "$RAW/tjs.jsonl"
  fi
fi

# 5. The report.
ELAPSED=$(( $(date +%s) - START ))
COMMAND="${GIVEN}bench/run.sh"
node "$ROOT/bench/report.mjs" --raw "$RAW" --out "$DOC" --command "$COMMAND" --elapsed "$ELAPSED" \
  --models "$MODELS" --types "$TYPES" --reps "$REPS" --trial "$TRIAL" --chromium "$CHROMIUM"
say "done: $DOC, $(dirname "$DOC")/performance.svg; raw results in $RAW, log $LOG"
