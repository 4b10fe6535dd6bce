// A session: one conversation's state over a loaded model (KV cache, position, scratch
// buffers allocated once). Tokens are fed in order; logits come back per token or for the
// last one. Several sessions can share one Model.
#pragma once

#include <memory>
#include <vector>

#include "model/forward.h"
#include "model/model.h"
#include "runtime/kv_cache.h"

namespace tinylm {

struct SessionOptions {
  int context_length = 0;  // 0 = the model's context length
  int batch_size = 32;     // prompt tokens processed per forward call
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

  int position() const { return position_; }
  int context_length() const { return cache_.capacity(); }
  const Model& model() const { return model_; }
  size_t kv_cache_bytes() const { return cache_.bytes(); }
  void Reset() { position_ = 0; }

 private:
  explicit Session(const Model& model) : model_(model) {}

  const Model& model_;
  KvCache cache_;
  ForwardScratch scratch_;
  int position_ = 0;
};

}  // namespace tinylm
