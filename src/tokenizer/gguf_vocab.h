// Importer for the tokenizer of a GGUF file (llama.cpp): the tokenizer.ggml.* metadata.
//
//   tokenizer.ggml.model        "llama" (SentencePiece BPE) or "gpt2" (byte-level BPE);
//                               anything else is an error naming it
//   tokenizer.ggml.tokens       piece text per id
//   tokenizer.ggml.scores       SentencePiece scores (llama)
//   tokenizer.ggml.token_type   1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
//   tokenizer.ggml.merges       "left right" in rank order (gpt2)
//   tokenizer.ggml.{bos,eos,unknown,padding}_token_id, add_bos_token, add_eos_token,
//   add_space_prefix, remove_extra_whitespaces
//   tokenizer.ggml.pre          the pre-tokenizer (gpt2): "gpt-2"; when absent, the
//                               architecture decides: "gpt2" -> the GPT-2 regex, "gptneox"
//                               -> GPT-NeoX-20B's tokenizer (NFC + the GPT-2 regex; these
//                               files predate the key). Other values are errors.
//
// Control (and unknown) tokens become special added tokens, user-defined tokens
// non-special ones (llama.cpp always matches them in the text), except the "[PAD<id>]"
// rows that only pad a GPT-NeoX embedding matrix, which become unused ids.
#pragma once

#include "core/status.h"
#include "format/gguf.h"
#include "tokenizer/vocab.h"

namespace tinylm {

Expected<Vocab> VocabFromGguf(const GgufFile& gguf);

}  // namespace tinylm
