#!/usr/bin/env bash
# Builds the libFuzzer harnesses (preset `fuzz`, clang-14 + ASan + UBSan) when needed and
# runs each one for SECONDS (default 60), one at a time, at nice 19:
#
#   fuzz/run.sh [SECONDS] [HARNESS...]      e.g. fuzz/run.sh 600 slm gguf
#
# FUZZ_RUNS=N also stops each harness after N executions (the long run: FUZZ_RUNS=10000000
# fuzz/run.sh 3600 — ten million executions or an hour, whichever comes first).
# FUZZ_SUMMARY=FILE appends the summary lines there instead of truncating build/fuzz/summary.txt.
#
# Seeds: the committed fuzz/corpus/<harness>/ plus real files from ../shared/fixtures,
# gathered into build/fuzz/corpus-<harness>/ (kept between runs, never committed; the fuzzer
# adds what it finds there). Dictionaries: fuzz/dict/. Findings are written to
# build/fuzz/artifacts/<harness>/; the script exits non-zero when there is any and prints
# the crashing inputs' paths. Replay one with build/fuzz/fuzz_<harness> FILE; once fixed,
# copy it to fuzz/regressions/<harness>/ (the test suite replays that folder).
# Logs: build/fuzz/logs/<harness>.log. Summary (executions, cov, ft): build/fuzz/summary.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
build=build/fuzz
fixtures=../shared/fixtures

if ! command -v clang++-14 >/dev/null; then scripts/setup.sh --test; fi
cmake --preset fuzz >/dev/null || exit 1
cmake --build --preset fuzz -j 2 >/dev/null || { cmake --build --preset fuzz -j 2; exit 1; }

# harness -> "max_len dictionary"
declare -A opts=(
  [slm]="65536 slm" [gguf]="262144 gguf" [gguf_import]="65536 gguf"
  [safetensors]="65536 safetensors" [torch_zip]="1048576 torch" [pickle]="16384 torch"
  [hf_tokenizer_json]="65536 tokenizer_json" [sentencepiece]="16384 binary_vocab"
  [llama2c]="16384 binary_vocab" [llama2c_vocab]="16384 binary_vocab" [tokenizer]="4096 text"
  [json]="65536 json" [cli_args]="1024 text" [cli_jsonl]="4096 text"
  [chat_template]="8192 jinja" [lora]="65536 safetensors"
)
if (($# == 0)); then
  mapfile -t harnesses < <(sed -n 's/^ *{"\([a-z0-9_]*\)", Fuzz.*/\1/p' fuzz/harnesses.cpp)
else
  harnesses=("$@")
fi

# Real files from ../shared/fixtures, per harness (when the reference data is present).
seed_fixtures() {
  local h=$1 dir=$2
  [[ -d $fixtures ]] || return 0
  case $h in
    slm) [[ -f $build/stories260K.slm ]] && cp -n $build/stories260K.slm "$dir/" ;;
    gguf) cp -n $fixtures/gguf/quant/*.gguf $fixtures/gguf/models/*/*q4_0.gguf "$dir/" ;;
    gguf_import) cp -n $fixtures/gguf/quant/*.gguf "$dir/" ;;
    safetensors)
      for f in $fixtures/models/*/model.safetensors $fixtures/models/llama-lora/adapter/*.safetensors; do
        cp -n "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
      done ;;
    torch_zip) for f in $fixtures/models/*/pytorch_model.bin; do
        cp -n "$f" "$dir/$(basename "$(dirname "$f")").bin"; done ;;
    pickle) python3 - "$dir" $fixtures/models/*/pytorch_model.bin <<'PY'
import sys, zipfile, os
for path in sys.argv[2:]:
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.endswith("data.pkl"):
                open(os.path.join(sys.argv[1], os.path.basename(os.path.dirname(path)) + ".pkl"), "wb").write(z.read(n))
PY
      ;;
    hf_tokenizer_json | json) python3 - "$dir" $fixtures/tokenizers/*/tokenizer.json <<'PY'
# The fixtures' tokenizer.json files are ~2 MB: keep their structure with a small vocabulary.
import sys, json, os
for path in sys.argv[2:]:
    t = json.load(open(path, encoding="utf-8"))
    m = t.get("model", {})
    vocab = {k: v for k, v in m.get("vocab", {}).items() if v < 400}
    for a in t.get("added_tokens", []):
        vocab[a["content"]] = a["id"]
    def parts(x):
        return x.split(" ", 1) if isinstance(x, str) else x
    m["merges"] = [x for x in m.get("merges", [])
                   if all(p in vocab for p in parts(x)) and "".join(parts(x)) in vocab][:200]
    m["vocab"] = vocab
    name = os.path.basename(os.path.dirname(path)) + "-tokenizer.json"
    open(os.path.join(sys.argv[1], name), "w", encoding="utf-8").write(json.dumps(t, ensure_ascii=False))
PY
      for f in $fixtures/models/*/config.json $fixtures/chat/spec.json; do
        cp -n "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    sentencepiece) cp -n $fixtures/llama2c/tok512.model "$dir/" ;;
    llama2c_vocab) { printf '\0'; cat models/tok512.bin; } >"$dir/tok512-until-end.bin" ;;
    tokenizer) head -c 3000 $fixtures/chat/templates/chatml.jinja | { printf '\1\0'; cat; } >"$dir/chatml" ;;
    cli_jsonl) head -n 20 $fixtures/llama2c/tokenizer_cases.jsonl >"$dir/tokenizer_cases.jsonl" ;;
    chat_template) cp -n $fixtures/chat/templates/*.jinja "$dir/" ;;
    lora)
      local peft=$fixtures/models/llama-lora/adapter
      { cat $peft/adapter_config.json; printf '\0'; cat $peft/adapter_model.safetensors; } \
        >"$dir/llama-lora-peft"
      # The .slma the converter makes of it, against the base the harness loads (llama-mha).
      if [[ -x $build/tinylm && ! -f $dir/llama-lora.slma ]]; then
        $build/tinylm convert $fixtures/models/llama-mha -o $build/llama-mha.slm --quiet &&
          $build/tinylm convert $peft --base $build/llama-mha.slm -o "$dir/llama-lora.slma" --quiet
      fi >/dev/null ;;
  esac 2>/dev/null
  return 0
}

failed=()
summary=${FUZZ_SUMMARY:-$build/summary.txt}
[[ -n ${FUZZ_SUMMARY:-} ]] || : >"$summary"
runs_limit=()
[[ -n ${FUZZ_RUNS:-} ]] && runs_limit=(-runs="$FUZZ_RUNS")
for h in "${harnesses[@]}"; do
  exe=$build/fuzz_$h
  if [[ ! -x $exe || -z ${opts[$h]:-} ]]; then
    echo "fuzz: no harness '$h'" >&2
    failed+=("$h (no such harness)")
    continue
  fi
  read -r max_len dict <<<"${opts[$h]}"
  corpus=$build/corpus-$h
  artifacts=$build/artifacts/$h
  mkdir -p "$corpus" "$artifacts" $build/logs
  cp fuzz/corpus/"$h"/* "$corpus/" 2>/dev/null
  [[ -d fuzz/regressions/$h ]] && cp fuzz/regressions/"$h"/* "$corpus/" 2>/dev/null
  seed_fixtures "$h" "$corpus"
  log=$build/logs/$h.log
  echo "== fuzz $h: ${seconds}s (max_len $max_len, dict fuzz/dict/$dict.dict)"
  nice -n 19 "$exe" "$corpus" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -dict=fuzz/dict/"$dict".dict -artifact_prefix="$artifacts/" \
    -print_final_stats=1 "${runs_limit[@]}" >"$log" 2>&1
  status=$?
  elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-18s %10s execs  %6ss  cov %6s  ft %6s  %s\n' "$h" "${runs:-?}" "${elapsed:-$seconds}" \
    "${cov:-?}" "${ft:-?}" "$( ((status == 0)) && echo ok || echo FINDING)" | tee -a "$summary"
  if ((status != 0)); then
    grep -E 'ERROR: |SUMMARY: |invariant violated|Test unit written to' "$log" | head -5
    failed+=("$h: $(sed -n 's/.*Test unit written to //p' "$log" | tail -1) (log: $log)")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: findings:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: no findings (summary in $summary)"
