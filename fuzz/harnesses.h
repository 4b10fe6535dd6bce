// The fuzz harnesses of tinylm: one plain function per parser entry point, shared by the
// libFuzzer targets (fuzz/fuzz_main.cpp, preset `fuzz`) and the regression test that
// replays fuzz/regressions/<harness>/ and fuzz/corpus/<harness>/ in the normal test suite
// (tests/fuzz_regression_test.cpp). See docs/security.md.
//
// A harness feeds its bytes to one parser, which must return an error value or a result;
// where the result has a checkable property (a round trip, an invariant between reader and
// writer) the harness checks it and calls Violation(), which aborts, when it does not hold.
// Sanitizers report every memory error, overflow and leak as a crash on their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tinylm::fuzz {

using HarnessFn = int (*)(const uint8_t* data, size_t size);

struct Harness {
  const char* name;  // the folder name under fuzz/corpus/, fuzz/regressions/, fuzz/dict/
  HarnessFn fn;
};

// Every harness, in a fixed order (fuzz/harnesses.cpp).
const std::vector<Harness>& AllHarnesses();
// nullptr when there is none of that name.
const Harness* FindHarness(std::string_view name);

// Prints "tinylm fuzz: invariant violated: <what>" on stderr and aborts.
[[noreturn]] void Violation(const char* what);

// Rewrites the file size and the three XXH64 checksums of a .slm / .slma header (when
// `data` starts with the magic) to match the bytes, so that mutated files reach the parser
// behind the checksum checks (those are covered by tests/slm_format_test.cpp).
void FixSlmHeader(uint8_t* data, size_t size);

// The harnesses (fuzz/harness_*.cpp).
int FuzzSlm(const uint8_t* data, size_t size);              // .slm reader, Model load, writer
int FuzzGguf(const uint8_t* data, size_t size);             // GGUF reader
int FuzzGgufImport(const uint8_t* data, size_t size);       // GGUF -> ImportedModel -> .slm
int FuzzSafetensors(const uint8_t* data, size_t size);      // safetensors header + index
int FuzzTorchZip(const uint8_t* data, size_t size);         // zip reader + torch checkpoint
int FuzzPickle(const uint8_t* data, size_t size);           // restricted unpickler
int FuzzHfTokenizerJson(const uint8_t* data, size_t size);  // tokenizer.json (+ config)
int FuzzSentencePiece(const uint8_t* data, size_t size);    // tokenizer.model protobuf
int FuzzLlama2c(const uint8_t* data, size_t size);          // llama2.c checkpoint import
int FuzzLlama2cVocab(const uint8_t* data, size_t size);     // llama2.c tokenizer.bin
int FuzzTokenizer(const uint8_t* data, size_t size);        // encode/decode, real tokenizers
int FuzzJson(const uint8_t* data, size_t size);             // JSON parse/serialize/parse
int FuzzCliArgs(const uint8_t* data, size_t size);          // CLI argument parsing
int FuzzCliJsonl(const uint8_t* data, size_t size);         // tokenize/detokenize --jsonl
int FuzzChatTemplate(const uint8_t* data, size_t size);     // chat template parse + render
int FuzzLora(const uint8_t* data, size_t size);             // .slma reader, LoRA import

}  // namespace tinylm::fuzz
