#!/usr/bin/env bash
# Regenerates the quality tables of docs/quantization.md: for stories260K and for each
# fixture family in ../shared/fixtures/models, every quantized type against f32 — mean and
# max KL divergence, top-1 agreement, perplexity ratio, file size — on text the f32 model
# generated itself at temperature 1 (no external corpus).
#
# The text: SEQS sequences, each BOS followed by ctx − 1 ids sampled from the f32 model at
# temperature 1 with top-p off (the full distribution), seeds SEED, SEED+1, ...; one
# sequence is exactly one chunk of `tinylm kld --ctx ctx` (ctx = the model's context), so
# every chunk is one coherent generation. Each chunk scores its second half
# (llama.cpp's rule), i.e. ctx/2 − 1 predictions.
#
# usage: bench/quality.sh [OUT_DIR]    (from the repository root, after a release build)
# env:   TINYLM (default build/release/tinylm), FIXTURES (default ../shared/fixtures/models),
#        N_IDS (ids per model, default 2048), SEED (default 1)
set -euo pipefail

TINYLM=${TINYLM:-build/release/tinylm}
FIXTURES=${FIXTURES:-../shared/fixtures/models}
N_IDS=${N_IDS:-2048}
SEED=${SEED:-1}
OUT=${1:-build/quality}
mkdir -p "$OUT"

# `--pure` (quantize embeddings and classifier too) is measured when the converter has it.
TYPES="f16 q8_0 q4_0"
if "$TINYLM" convert models/stories260K.bin --tokenizer models/tok512.bin --type q8_0 --pure \
  --quiet -o "$OUT/pure-probe.slm" >/dev/null 2>&1; then
  TYPES="$TYPES q8_0+pure q4_0+pure"
fi
rm -f "$OUT/pure-probe.slm"

# measure NAME BOS CTX SRC [convert args...]
measure() {
  local name=$1 bos=$2 ctx=$3
  shift 3
  local dir="$OUT/$name"
  mkdir -p "$dir"
  "$TINYLM" convert "$@" --quiet -o "$dir/f32.slm"
  : >"$dir/ids.txt"
  local seqs=$(((N_IDS + ctx - 1) / ctx)) k
  for ((k = 0; k < seqs; k++)); do
    echo "$bos" >>"$dir/ids.txt"
    "$TINYLM" run -m "$dir/f32.slm" --ids "$bos" --temp 1 --top-p 1 --seed $((SEED + k)) \
      --print-ids -n $((ctx - 1)) --ignore-eos 2>/dev/null | tr -d '[],' >>"$dir/ids.txt"
  done
  local f32_size
  f32_size=$(stat -c %s "$dir/f32.slm")
  echo
  echo "### $name"
  echo
  echo "$(wc -w <"$dir/ids.txt") ids, $seqs chunks of $ctx, $((seqs * (ctx / 2 - 1))) scored positions; f32 file $f32_size bytes."
  echo
  echo "| type | file bytes | size vs f32 | mean KL (nats) | max KL (nats) | top-1 agreement | PPL f32 | PPL type | PPL ratio |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  local t type pure
  for t in $TYPES; do
    type=${t%+pure}
    pure=()
    [[ $t == *+pure ]] && pure=(--pure)
    "$TINYLM" convert "$@" --type "$type" "${pure[@]}" --quiet -o "$dir/$t.slm"
    "$TINYLM" kld --base "$dir/f32.slm" -m "$dir/$t.slm" --ids-file "$dir/ids.txt" \
      --ctx "$ctx" --json >"$dir/$t.json"
    python3 - "$t" "$(stat -c %s "$dir/$t.slm")" "$f32_size" "$dir/$t.json" <<'EOF'
import json, sys
t, size, f32, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = json.load(open(path))
print(f"| {t.replace('+pure', ' --pure')} | {size} | {size / f32:.3f} | {r['kl_mean']:.3g} | "
      f"{r['kl_max']:.3g} | {100 * r['top1_agreement']:.2f} % | {r['base_perplexity']:.4f} | "
      f"{r['test_perplexity']:.4f} | {r['perplexity_ratio']:.5f} |")
EOF
  done
}

{
  measure stories260K 1 512 models/stories260K.bin --tokenizer models/tok512.bin
  # BOS ids from each fixture's config.json (bos_token_id); contexts from its positions.
  measure llama-mha 1 128 "$FIXTURES/llama-mha"
  measure llama-gqa-tied 1 128 "$FIXTURES/llama-gqa-tied"
  measure gpt-neox 0 128 "$FIXTURES/gpt-neox"
  measure gpt-neox-sequential 0 128 "$FIXTURES/gpt-neox-sequential"
  measure gpt2 511 64 "$FIXTURES/gpt2"
  measure gpt-neo 511 64 "$FIXTURES/gpt-neo"
} | tee "$OUT/tables.md"
