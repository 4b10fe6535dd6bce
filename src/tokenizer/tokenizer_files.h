// Reading a tokenizer from the files people have. The converter and
// `tinylm tokenize --tokenizer` both come through this one entry point:
//   tokenizer.json   Hugging Face `tokenizers` (hf_tokenizer_json.h)
//   tokenizer.model  SentencePiece ModelProto (sentencepiece_model.h)
//   tokenizer.bin    llama2.c (llama2c_vocab.h)
//   *.gguf           the tokenizer.ggml.* metadata of a GGUF file (gguf_vocab.h)
#pragma once

#include <optional>
#include <string>

#include "tokenizer/vocab.h"

namespace tinylm {

struct TokenizerSource {
  Vocab vocab;
  std::string file_name;  // for provenance
  std::string sha256;
};

// Reads the tokenizer at `path`, whatever its kind (recognized by content: the GGUF magic,
// a JSON object, a SentencePiece protobuf, else llama2.c; a ".json" / ".model" / ".bin" /
// ".gguf" name settles ambiguous cases). `vocab_size_hint` is the model's vocab size when
// known (llama2.c tokenizer.bin does not store its entry count), else -1.
Expected<TokenizerSource> LoadTokenizerFile(const std::string& path, int vocab_size_hint);

// The tokenizer of a Hugging Face model directory, if it has one (nullopt if none):
// tokenizer.json, else tokenizer.model; tokenizer_config.json, when present, overrides
// add_bos / add_eos and the bos/eos/unk/pad tokens.
Expected<std::optional<TokenizerSource>> LoadTokenizerFromDirectory(const std::string& directory,
                                                                    int vocab_size_hint);

}  // namespace tinylm
