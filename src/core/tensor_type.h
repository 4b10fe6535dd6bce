// Tensor element types. The numeric codes are GGML's (ggml_type), so GGUF tensors map
// onto .slm types without translation tables and later types fit without a format break.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tinylm {

enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
};

constexpr int kQuantBlock = 32;  // values per q8_0 / q4_0 block

// GGML block layouts, bit-exact: 32 values per block.
struct BlockQ8_0 {
  uint16_t d;     // f16 scale
  int8_t qs[32];  // value i = qs[i] * d
};
struct BlockQ4_0 {
  uint16_t d;  // f16 scale
  uint8_t
      qs[16];  // value j (j < 16) = ((qs[j] & 15) - 8) * d; value j + 16 = ((qs[j] >> 4) - 8) * d
};
static_assert(sizeof(BlockQ8_0) == 34, "q8_0 block must be 34 bytes");
static_assert(sizeof(BlockQ4_0) == 18, "q4_0 block must be 18 bytes");

inline bool IsKnownTensorType(uint32_t code) {
  return code == 0 || code == 1 || code == 2 || code == 8;
}

inline std::string_view TensorTypeName(TensorType t) {
  switch (t) {
    case TensorType::F32:
      return "f32";
    case TensorType::F16:
      return "f16";
    case TensorType::Q4_0:
      return "q4_0";
    case TensorType::Q8_0:
      return "q8_0";
  }
  return "unknown";
}

inline std::optional<TensorType> ParseTensorType(std::string_view name) {
  if (name == "f32") return TensorType::F32;
  if (name == "f16") return TensorType::F16;
  if (name == "q4_0") return TensorType::Q4_0;
  if (name == "q8_0") return TensorType::Q8_0;
  return std::nullopt;
}

// Values per block and bytes per block.
inline int TypeBlockSize(TensorType t) {
  return (t == TensorType::Q4_0 || t == TensorType::Q8_0) ? kQuantBlock : 1;
}
inline size_t TypeBlockBytes(TensorType t) {
  switch (t) {
    case TensorType::F32:
      return 4;
    case TensorType::F16:
      return 2;
    case TensorType::Q4_0:
      return sizeof(BlockQ4_0);
    case TensorType::Q8_0:
      return sizeof(BlockQ8_0);
  }
  return 0;
}

}  // namespace tinylm
