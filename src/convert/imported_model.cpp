#include "convert/imported_model.h"

#include <cstring>

#include "core/sha256.h"

namespace tinylm {

void PermuteInterleavedToRotateHalf(ImportedTensor* t, int n_heads, int head_dim) {
  const size_t cols = static_cast<size_t>(t->shape[1]);
  std::vector<float> out(t->values.size());
  const int half = head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    for (int i = 0; i < half; ++i) {
      const size_t base = static_cast<size_t>(h) * head_dim;
      std::memcpy(&out[(base + i) * cols], &t->values[(base + 2 * i) * cols], cols * 4);
      std::memcpy(&out[(base + half + i) * cols], &t->values[(base + 2 * i + 1) * cols], cols * 4);
    }
  }
  t->values = std::move(out);
}

std::vector<int64_t> InterleavedToRotateHalfRows(int n_heads, int head_dim) {
  std::vector<int64_t> rows(static_cast<size_t>(n_heads) * head_dim);
  const int half = head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    const int64_t base = static_cast<int64_t>(h) * head_dim;
    for (int i = 0; i < half; ++i) {
      rows[base + i] = base + 2 * i;
      rows[base + half + i] = base + 2 * i + 1;
    }
  }
  return rows;
}

ImportedTensor GatherRows(const ImportedTensor& t, const std::vector<int64_t>& rows,
                          std::string name) {
  const size_t width = t.shape.size() == 1 ? 1 : static_cast<size_t>(t.shape[1]);
  ImportedTensor out;
  out.name = std::move(name);
  out.shape = t.shape;
  out.shape[0] = static_cast<int64_t>(rows.size());
  out.values.resize(rows.size() * width);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(&out.values[i * width], &t.values[rows[i] * width], width * sizeof(float));
  }
  if (t.encoded_type && t.shape[0] > 0) {
    const size_t row_bytes = t.encoded.size() / static_cast<size_t>(t.shape[0]);
    out.encoded_type = t.encoded_type;
    out.encoded.resize(rows.size() * row_bytes);
    for (size_t i = 0; i < rows.size(); ++i) {
      std::memcpy(&out.encoded[i * row_bytes], &t.encoded[rows[i] * row_bytes], row_bytes);
    }
  }
  return out;
}

ImportedTensor SliceRows(const ImportedTensor& t, int64_t begin, int64_t count, std::string name) {
  std::vector<int64_t> rows(count);
  for (int64_t i = 0; i < count; ++i) rows[i] = begin + i;
  return GatherRows(t, rows, std::move(name));
}

ImportedTensor Transpose(const ImportedTensor& t) {
  const int64_t a = t.shape[0], b = t.shape[1];
  ImportedTensor out;
  out.name = t.name;
  out.shape = {b, a};
  out.values.resize(t.values.size());
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < b; ++j) out.values[j * a + i] = t.values[i * b + j];
  }
  return out;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string Sha256Hex(const uint8_t* data, size_t size) {
  const auto digest = Sha256Digest(data, size);
  return ToHex(digest.data(), digest.size());
}

}  // namespace tinylm
