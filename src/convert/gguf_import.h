// Importer for GGUF files (llama.cpp), versions 2 and 3: architectures "llama", "gptneox"
// and "gpt2", with llama.cpp's tensor names and metadata keys.
//
//   llama    token_embd, output_norm, output (absent when tied), blk.N.{attn_norm, attn_q,
//            attn_k, attn_v, attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down}; attn_q/attn_k
//            rows are stored permuted for interleaved RoPE pairs and are permuted back here
//   gptneox  as llama with LayerNorm (weight + bias), biases on every linear, a fused
//            attn_qkv stored [q all heads; k; v] (rows), partial rotary (rotate-half already)
//   gpt2     as gptneox plus position_embd (learned positions) and no RoPE; the classifier
//            is usually a materialized copy of token_embd, detected and stored tied
//
// Tensor types F32, F16, Q8_0 and Q4_0 keep their exact bytes (ImportedTensor::encoded) so
// the converter can write them unchanged; every tensor is also dequantized exactly to float32
// (BF16, Q4_K, Q5_K and Q6_K are dequantized only, with ggml's arithmetic). The tokenizer
// comes from the tokenizer.ggml.* metadata (tokenizer/gguf_vocab.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "convert/imported_model.h"
#include "core/status.h"

namespace tinylm {

// `name` is the file's base name, for provenance and error messages.
Expected<ImportedModel> ImportGguf(const uint8_t* data, size_t size, const std::string& name);

}  // namespace tinylm
