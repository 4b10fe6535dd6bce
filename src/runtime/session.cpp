#include "runtime/session.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/byte_reader.h"
#include "core/xxhash64.h"
#include "platform/file.h"

namespace tinylm {

Expected<std::unique_ptr<Session>> Session::Create(const Model& model,
                                                   const SessionOptions& options) {
  const ModelConfig& c = model.config();
  int context = options.context_length > 0 ? options.context_length : c.context_length;
  if (context > c.context_length) {
    return Errorf("context length %d exceeds the model's %d", context, c.context_length);
  }
  if (options.batch_size < 1 || options.batch_size > 4096) {
    return Errorf("batch size %d is out of range (1..4096)", options.batch_size);
  }
  std::unique_ptr<Session> session(new Session(model));
  TL_RETURN_IF_ERROR(session->cache_.Init(c, context, options.kv_type));
  TL_RETURN_IF_ERROR(session->scratch_.Init(c, options.batch_size, context));
  session->tokens_.reserve(static_cast<size_t>(context));
  return session;
}

Status Session::AttachAdapter(const Adapter& adapter, float scale) {
  if (adapter.base_checksum() != model_.file().data_checksum()) {
    return Errorf("adapter '%s' was loaded for a different model", adapter.name().c_str());
  }
  if (!std::isfinite(scale)) return Status::Error("adapter scale is not finite");
  TL_RETURN_IF_ERROR(scratch_.ReserveLora(adapter));
  adapters_.Attach(adapter, scale);
  return Status::Ok();
}

Status Session::Eval(const int32_t* tokens, int n, bool all_logits, std::vector<float>* logits) {
  const ModelConfig& c = model_.config();
  if (n <= 0) return Status::Error("no tokens to evaluate");
  for (int i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size) {
      return Errorf("token id %d is outside the vocabulary (0..%d)", tokens[i], c.vocab_size - 1);
    }
  }
  if (n > context_length() - position_) {
    return Errorf("context overflow: %d tokens at position %d exceed the context length %d", n,
                  position_, context_length());
  }
  const size_t vocab = c.vocab_size;
  if (logits) logits->assign(all_logits ? vocab * n : vocab, 0.0f);
  for (int done = 0; done < n;) {
    const int chunk = std::min(n - done, scratch_.max_tokens);
    const bool last_chunk = done + chunk == n;
    float* out = nullptr;
    if (logits && all_logits) out = logits->data() + vocab * done;
    if (logits && !all_logits && last_chunk) out = logits->data();
    Forward(model_, &cache_, &scratch_, tokens + done, chunk, position_, out, all_logits,
            adapters_.empty() ? nullptr : &adapters_);
    tokens_.insert(tokens_.end(), tokens + done, tokens + done + chunk);
    position_ += chunk;
    done += chunk;
  }
  return Status::Ok();
}

Status Session::Truncate(int position) {
  if (position < 0 || position > position_) {
    return Errorf("cannot truncate the session to position %d (it is at %d)", position, position_);
  }
  position_ = position;
  tokens_.resize(static_cast<size_t>(position));
  return Status::Ok();
}

Expected<int> Session::Shift(int n_keep, std::vector<float>* logits) {
  if (n_keep < 0)
    return Errorf("context shift: the number of kept tokens is negative (%d)", n_keep);
  const int keep = std::min(n_keep, position_);
  const int dropped = (position_ - keep) / 2;
  if (dropped < 1) {
    return Errorf("context shift: nothing to drop (%d tokens, the first %d kept)", position_,
                  n_keep);
  }
  const std::vector<int32_t> tail(tokens_.begin() + keep + dropped, tokens_.end());
  TL_RETURN_IF_ERROR(Truncate(keep));  // the kept prefix's cache rows stay valid
  if (!tail.empty()) TL_RETURN_IF_ERROR(Eval(tail, /*all_logits=*/false, logits));
  return dropped;
}

// ---- saved state ----
//
// Little-endian, in this order (docs/sessions.md):
//   char[8] "TLMSTATE"; u32 version (1); u32 cache type (0 = f32, 1 = f16)
//   u64 model data checksum (.slm header); u64 model file size; u64 adapters identity
//   u32 n_layers, kv_dim, vocab_size, context_length, position
//   i32 tokens[position]
//   keys[n_layers][position][kv_dim]; values[n_layers][position][kv_dim] (the cache type;
//   f16 as IEEE binary16 bits)
//   u64 XXH64 (seed 0) of every byte before it

namespace {

constexpr char kStateMagic[8] = {'T', 'L', 'M', 'S', 'T', 'A', 'T', 'E'};
constexpr uint32_t kStateVersion = 1;
constexpr size_t kStateHeaderBytes = 8 + 4 + 4 + 3 * 8 + 5 * 4;

template <typename T>
void Put(std::vector<uint8_t>* out, T value) {
  const size_t at = out->size();
  out->resize(at + sizeof(T));
  std::memcpy(out->data() + at, &value, sizeof(T));
}

void PutBytes(std::vector<uint8_t>* out, const void* data, size_t n) {
  const size_t at = out->size();
  out->resize(at + n);
  if (n) std::memcpy(out->data() + at, data, n);
}

// 0 without adapters; else XXH64 over (data checksum, scale bits) of each, in attach order.
uint64_t AdaptersIdentity(const AdapterSet& adapters) {
  if (adapters.empty()) return 0;
  std::vector<uint8_t> bytes;
  for (const ActiveAdapter& a : adapters.active()) {
    Put<uint64_t>(&bytes, a.adapter->file().data_checksum());
    Put<float>(&bytes, a.scale);
  }
  return XxHash64(bytes.data(), bytes.size());
}

}  // namespace

Expected<std::vector<uint8_t>> Session::SaveState() const {
  const ModelConfig& c = model_.config();
  const size_t row_bytes = static_cast<size_t>(cache_.kv_dim()) * cache_.element_bytes();
  const size_t rows = static_cast<size_t>(cache_.n_layers()) * position_;
  std::vector<uint8_t> out;
  out.reserve(kStateHeaderBytes + tokens_.size() * 4 + 2 * rows * row_bytes + 8);
  PutBytes(&out, kStateMagic, sizeof(kStateMagic));
  Put<uint32_t>(&out, kStateVersion);
  Put<uint32_t>(&out, static_cast<uint32_t>(cache_.type()));
  Put<uint64_t>(&out, model_.file().data_checksum());
  Put<uint64_t>(&out, model_.file().file_size());
  Put<uint64_t>(&out, AdaptersIdentity(adapters_));
  Put<uint32_t>(&out, static_cast<uint32_t>(cache_.n_layers()));
  Put<uint32_t>(&out, static_cast<uint32_t>(cache_.kv_dim()));
  Put<uint32_t>(&out, static_cast<uint32_t>(c.vocab_size));
  Put<uint32_t>(&out, static_cast<uint32_t>(context_length()));
  Put<uint32_t>(&out, static_cast<uint32_t>(position_));
  PutBytes(&out, tokens_.data(), tokens_.size() * sizeof(int32_t));
  for (bool values : {false, true}) {
    for (int l = 0; l < cache_.n_layers() && position_ > 0; ++l) {
      const size_t at = out.size();
      out.resize(at + position_ * row_bytes);
      cache_.CopyOut(l, values, position_, out.data() + at);
    }
  }
  Put<uint64_t>(&out, XxHash64(out.data(), out.size()));
  return out;
}

Status Session::RestoreState(const uint8_t* data, size_t size) {
  const ModelConfig& c = model_.config();
  if (data == nullptr || size < kStateHeaderBytes + 8) {
    return Status::Error("saved session: too short to be a saved session");
  }
  ByteReader r(data, size - 8, "saved session");
  char magic[8];
  TL_RETURN_IF_ERROR(r.ReadBytes(magic, sizeof(magic)));
  if (std::memcmp(magic, kStateMagic, sizeof(magic)) != 0) {
    return Status::Error("saved session: not a tinylm saved session (bad magic)");
  }
  uint32_t version = 0, kv_type = 0;
  TL_RETURN_IF_ERROR(r.Read(&version));
  TL_RETURN_IF_ERROR(r.Read(&kv_type));
  if (version != kStateVersion) {
    return Errorf("saved session: version %u is not supported (this build reads %u)", version,
                  kStateVersion);
  }
  uint64_t stored_hash = 0;
  std::memcpy(&stored_hash, data + size - 8, 8);
  if (XxHash64(data, size - 8) != stored_hash) {
    return Status::Error("saved session: checksum mismatch (the data is damaged)");
  }
  uint64_t checksum = 0, file_size = 0, adapters = 0;
  uint32_t n_layers = 0, kv_dim = 0, vocab = 0, context = 0, position = 0;
  TL_RETURN_IF_ERROR(r.Read(&checksum));
  TL_RETURN_IF_ERROR(r.Read(&file_size));
  TL_RETURN_IF_ERROR(r.Read(&adapters));
  TL_RETURN_IF_ERROR(r.Read(&n_layers));
  TL_RETURN_IF_ERROR(r.Read(&kv_dim));
  TL_RETURN_IF_ERROR(r.Read(&vocab));
  TL_RETURN_IF_ERROR(r.Read(&context));
  TL_RETURN_IF_ERROR(r.Read(&position));
  if (checksum != model_.file().data_checksum() || file_size != model_.file().file_size() ||
      n_layers != static_cast<uint32_t>(cache_.n_layers()) ||
      kv_dim != static_cast<uint32_t>(cache_.kv_dim()) ||
      vocab != static_cast<uint32_t>(c.vocab_size)) {
    return Errorf(
        "saved session: it was saved with another model (data checksum %016llx, %llu bytes; "
        "this model: %016llx, %llu bytes)",
        static_cast<unsigned long long>(checksum), static_cast<unsigned long long>(file_size),
        static_cast<unsigned long long>(model_.file().data_checksum()),
        static_cast<unsigned long long>(model_.file().file_size()));
  }
  if (adapters != AdaptersIdentity(adapters_)) {
    return Status::Error(
        "saved session: it was saved with other LoRA adapters (or scales) than this session's");
  }
  if (context != static_cast<uint32_t>(context_length())) {
    return Errorf(
        "saved session: it was saved with a context length of %u tokens, this session has %d",
        context, context_length());
  }
  if (kv_type != static_cast<uint32_t>(cache_.type())) {
    return Errorf("saved session: its KV cache is %s, this session's is %s",
                  kv_type == 1   ? "f16"
                  : kv_type == 0 ? "f32"
                                 : "of an unknown type",
                  KvTypeName(cache_.type()));
  }
  if (position > context) {
    return Errorf("saved session: position %u exceeds its context length %u", position, context);
  }
  const size_t row_bytes = static_cast<size_t>(kv_dim) * cache_.element_bytes();
  const size_t expected =
      static_cast<size_t>(position) * 4 + 2 * static_cast<size_t>(n_layers) * position * row_bytes;
  if (r.remaining() != expected) {
    return Errorf("saved session: %zu bytes of tokens and cache, expected %zu", r.remaining(),
                  expected);
  }
  std::vector<int32_t> tokens(position);
  TL_RETURN_IF_ERROR(r.ReadBytes(tokens.data(), tokens.size() * sizeof(int32_t)));
  for (int32_t id : tokens) {
    if (id < 0 || id >= c.vocab_size) {
      return Errorf("saved session: token id %d is outside the vocabulary (0..%d)", id,
                    c.vocab_size - 1);
    }
  }
  // Everything is checked: only now is the state overwritten.
  const uint8_t* rows = data + (size - 8 - r.remaining());
  for (bool values : {false, true}) {
    for (uint32_t l = 0; l < n_layers && position > 0; ++l, rows += position * row_bytes) {
      cache_.CopyIn(static_cast<int>(l), values, static_cast<int>(position), rows);
    }
  }
  tokens_.assign(tokens.begin(), tokens.end());
  position_ = static_cast<int>(position);
  return Status::Ok();
}

Status Session::SaveStateFile(const std::string& path) const {
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, SaveState());
  return WriteFileBytes(path, bytes.data(), bytes.size())
      .WithContext("saving the session to " + path);
}

Status Session::RestoreStateFile(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status().WithContext("restoring the session from " + path);
  return RestoreState(bytes->data(), bytes->size()).WithContext(path);
}

}  // namespace tinylm
