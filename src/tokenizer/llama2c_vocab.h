// Importer for llama2.c's tokenizer.bin (the format run.c reads with `-z`).
//
// Layout (little-endian): u32 max_token_length, then per id: f32 score, i32 byte length,
// the piece bytes (no terminator). The number of ids is not stored; run.c takes it from the
// model header. The result is converted to SentencePiece form: an ASCII space in a piece
// becomes U+2581, ids 1/2 ("\n<s>\n", "\n</s>\n") become the control pieces <s>/</s>, ids
// 3..258 are the byte tokens <0x00>..<0xFF>, and the flags reproduce run.c's encode()
// (no whitespace normalization, dummy prefix, byte fallback, BOS prepended).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace tinylm {

// vocab_size: the number of entries to read (the model's vocab_size), or -1 to read
// entries until the end of the data. Hostile input (negative or oversized lengths,
// truncation, a layout without the 256 byte tokens) produces an error.
Expected<Vocab> ParseLlama2cTokenizer(const uint8_t* data, size_t size, int vocab_size);

}  // namespace tinylm
