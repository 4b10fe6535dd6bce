#include "runtime/session.h"

#include <algorithm>

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
  TL_RETURN_IF_ERROR(session->cache_.Init(c, context));
  TL_RETURN_IF_ERROR(session->scratch_.Init(c, options.batch_size, context));
  return session;
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
    Forward(model_, &cache_, &scratch_, tokens + done, chunk, position_, out, all_logits);
    position_ += chunk;
    done += chunk;
  }
  return Status::Ok();
}

}  // namespace tinylm
