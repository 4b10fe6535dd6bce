// Importer for SentencePiece's tokenizer.model: a serialized sentencepiece.ModelProto
// (protobuf, proto2), read here with a small wire-format parser (no protobuf library).
//
// Read: pieces (piece, score, type); trainer_spec model_type, byte_fallback,
// treat_whitespace_as_suffix, unk/bos/eos/pad ids; normalizer_spec name,
// precompiled_charsmap, add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces.
// Only BPE models whose normalizer is the identity (no character map) are representable;
// anything else (a Unigram model, an nmt_nfkc normalizer, ...) is an error naming it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace tinylm {

// Control and unknown pieces become special added tokens and user-defined pieces
// non-special ones (SentencePiece always matches user-defined pieces in the text). BOS is
// prepended by default when the model has one (as Llama, llama2.c and llama.cpp do).
Expected<Vocab> ParseSentencePieceModel(const uint8_t* data, size_t size);

// True when `data` starts like a ModelProto (field 1, length-delimited, holding field 1).
bool LooksLikeSentencePieceModel(const uint8_t* data, size_t size);

}  // namespace tinylm
