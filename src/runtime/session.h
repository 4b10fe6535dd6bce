// A session: one conversation's state over a loaded model (KV cache, position, the ids
// consumed so far, scratch buffers allocated once). Tokens are fed in order; logits come
// back per token or for the last one. Several sessions can share one Model.
//
// A session can go back (Truncate), make room when its context is full (Shift), and be
// saved to bytes or a file and restored later (prompt caching); see docs/sessions.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/forward.h"
#include "model/model.h"
#include "runtime/kv_cache.h"

namespace tinylm {

struct SessionOptions {
  int context_length = 0;        // 0 = the model's context length
  int batch_size = 32;           // prompt tokens processed per forward call
  KvType kv_type = KvType::F32;  // f16 halves the cache (runtime/kv_cache.h)
};

class Session {
 public:
  static Expected<std::unique_ptr<Session>> Create(const Model& model,
                                                   const SessionOptions& options = {});

  // Feeds tokens at the current position. With all_logits, *logits receives [n, vocab];
  // otherwise [vocab] for the last token. Errors on an id outside the vocabulary or when
  // the tokens do not fit the context; the session is unchanged then.
  Status Eval(const int32_t* tokens, int n, bool all_logits, std::vector<float>* logits);
  Status Eval(const std::vector<int32_t>& tokens, bool all_logits, std::vector<float>* logits) {
    return Eval(tokens.data(), static_cast<int>(tokens.size()), all_logits, logits);
  }

  // LoRA adapters (runtime/adapter.h), applied unmerged from the next Eval on; the KV cache
  // keeps what earlier tokens computed, so change them between requests (after Reset).
  // The adapter must have been loaded for this session's model and must outlive its
  // attachment. Attaching again updates the scale.
  Status AttachAdapter(const Adapter& adapter, float scale = 1.0f);
  bool DetachAdapter(const Adapter& adapter) { return adapters_.Detach(adapter); }
  void DetachAllAdapters() { adapters_.Clear(); }
  const AdapterSet& adapters() const { return adapters_; }

  int position() const { return position_; }
  int context_length() const { return cache_.capacity(); }
  const Model& model() const { return model_; }
  size_t kv_cache_bytes() const { return cache_.bytes(); }
  KvType kv_type() const { return cache_.type(); }
  // The ids consumed so far: tokens()[p] was fed at position p (size() == position()).
  const std::vector<int32_t>& tokens() const { return tokens_; }
  void Reset() {
    position_ = 0;
    tokens_.clear();
  }

  // Goes back to `position` (0..position()): the tokens from there on are forgotten, and
  // the next Eval continues at `position`. Exact: the cache entries below `position`
  // depend only on the tokens before them, which are unchanged (attention is causal).
  Status Truncate(int position);

  // Makes room in a full (or any) context: keeps the first n_keep tokens, drops the
  // oldest half (rounded down) of the rest, and re-evaluates the remaining newer tokens at
  // their new positions. The kept prefix's cache entries are reused as they are: they
  // depend only on the prefix, which does not change. The re-evaluated tail gets exactly
  // the cache a fresh session fed the same ids would have, for every positional scheme
  // (RoPE or learned positions) and every layer (re-rotating cached keys, as llama.cpp
  // does, is exact only in the first layer: deeper keys and values depend on what the
  // token attended to, which now lacks the dropped tokens). If logits is non-null it
  // receives the last token's [vocab] row. Returns how many tokens were dropped; an error
  // when nothing can be dropped (fewer than 2 tokens after n_keep).
  Expected<int> Shift(int n_keep, std::vector<float>* logits = nullptr);

  // The session's state (position, consumed ids, the cache rows in use) as bytes, tagged
  // with the model's identity (the .slm data checksum, file size and shapes, and the
  // attached adapters with their scales) and the context length. Format: docs/sessions.md.
  Expected<std::vector<uint8_t>> SaveState() const;
  // Replaces this session's state with a saved one. Refuses (with the reason, the session
  // unchanged) a blob from another model, other adapters or another context length, or
  // one that is damaged.
  Status RestoreState(const uint8_t* data, size_t size);
  // The same through the platform's file seam (platform/file.h).
  Status SaveStateFile(const std::string& path) const;
  Status RestoreStateFile(const std::string& path);

 private:
  explicit Session(const Model& model) : model_(model) {}

  const Model& model_;
  KvCache cache_;
  ForwardScratch scratch_;
  AdapterSet adapters_;
  int position_ = 0;
  std::vector<int32_t> tokens_;  // [position_] the ids fed so far
};

}  // namespace tinylm
