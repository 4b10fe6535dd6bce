// Importer for Hugging Face `tokenizer.json` (the `tokenizers` library's serialization) and
// the bits of `tokenizer_config.json` that change encoding.
//
// Representable, and therefore accepted (anything else is an error naming the part):
//   model          BPE: vocab, merges ("a b" strings or [a, b] arrays), byte_fallback,
//                  unk_token, fuse_unk; no dropout, no continuing_subword_prefix /
//                  end_of_word_suffix, no ignore_merges
//   byte-level     pre_tokenizer ByteLevel (add_prefix_space false; use_regex -> the GPT-2
//                  regex) or Sequence[Split(GPT-2 regex, Isolated), ByteLevel(use_regex
//                  false)]; normalizer null or NFC; decoder ByteLevel
//   SentencePiece  normalizer Sequence[Prepend("▁"), Replace(" " -> "▁")] (or the Replace
//                  alone), no pre_tokenizer; decoder Sequence[Replace("▁" -> " "),
//                  ByteFallback, Fuse, Strip(" ", 1, 0)] (Strip present iff Prepend is)
//   post_processor null, ByteLevel, TemplateProcessing / RobertaProcessing / BertProcessing
//                  (one special token before and/or after $A -> add_bos / add_eos), or a
//                  Sequence of those
//   added_tokens   content, special, lstrip, rstrip, normalized, single_word
#pragma once

#include <cstddef>
#include <string_view>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace tinylm {

// The most JSON values (the root, every array element and member value) a tokenizer.json or
// tokenizer_config.json may hold: room for a vocabulary at its limit (kMaxVocabPieces pieces
// and as many merges written as [left, right] pairs) and the rest. A value costs about 100
// bytes of DOM however short its text, so this bounds what a hostile file can make the parser
// allocate (~2 GB) independently of the file's length.
constexpr size_t kMaxTokenizerJsonValues = 4 * kMaxVocabPieces + (size_t{1} << 20);

// `max_values` is kMaxTokenizerJsonValues unless a test asks for less.
Expected<Vocab> ParseHfTokenizerJson(std::string_view json_text,
                                     size_t max_values = kMaxTokenizerJsonValues);

// tokenizer_config.json: add_bos_token / add_eos_token and the bos/eos/unk/pad token names
// (a string or {"content": ...}) override what tokenizer.json implies.
Status ApplyHfTokenizerConfig(std::string_view json_text, Vocab* vocab);

}  // namespace tinylm
