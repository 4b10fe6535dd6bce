#include "harnesses.h"

#include <cstdio>
#include <cstdlib>

namespace tinylm::fuzz {

const std::vector<Harness>& AllHarnesses() {
  static const std::vector<Harness> harnesses = {
      {"slm", FuzzSlm},
      {"gguf", FuzzGguf},
      {"gguf_import", FuzzGgufImport},
      {"safetensors", FuzzSafetensors},
      {"torch_zip", FuzzTorchZip},
      {"pickle", FuzzPickle},
      {"hf_tokenizer_json", FuzzHfTokenizerJson},
      {"sentencepiece", FuzzSentencePiece},
      {"llama2c", FuzzLlama2c},
      {"llama2c_vocab", FuzzLlama2cVocab},
      {"tokenizer", FuzzTokenizer},
      {"json", FuzzJson},
      {"cli_args", FuzzCliArgs},
      {"cli_jsonl", FuzzCliJsonl},
      {"chat_template", FuzzChatTemplate},
      {"lora", FuzzLora},
  };
  return harnesses;
}

const Harness* FindHarness(std::string_view name) {
  for (const Harness& h : AllHarnesses()) {
    if (name == h.name) return &h;
  }
  return nullptr;
}

void Violation(const char* what) {
  std::fprintf(stderr, "tinylm fuzz: invariant violated: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tinylm::fuzz
