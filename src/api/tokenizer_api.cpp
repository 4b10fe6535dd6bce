// The C API's tokenizers (include/tinylm.h, "Tokenizers"): the model's or one read from a
// file, text <-> ids, pieces, and the incremental decoder for streaming.
#include <string_view>

#include "api/handles.h"
#include "tokenizer/tokenizer_files.h"

using tinylm::api::SetError;

namespace {

// Writes at most `capacity` ids and returns how many there are.
int32_t CopyIds(const std::vector<int32_t>& from, int32_t* ids, int32_t capacity) {
  const auto n = static_cast<int32_t>(from.size());
  for (int32_t i = 0; i < n && i < capacity; ++i) ids[i] = from[static_cast<size_t>(i)];
  return n;
}

const char* Text(const std::string& text, size_t* length) {
  if (length) *length = text.size();
  return text.c_str();
}

}  // namespace

extern "C" {

tinylm_tokenizer* tinylm_model_tokenizer(tinylm_model* model) {
  const tinylm::Tokenizer* t = model->model->tokenizer();
  if (t == nullptr) {
    SetError("this model has no tokenizer");
    return nullptr;
  }
  if (!model->tokenizer) {
    model->tokenizer.reset(tinylm::api::NewHandle<tinylm_tokenizer>());
    if (!model->tokenizer) return nullptr;
    model->tokenizer->tokenizer = t;
  }
  return model->tokenizer.get();
}

tinylm_tokenizer* tinylm_tokenizer_load_file(const char* path_c) {
  const std::string path = path_c ? path_c : "";
  auto source = tinylm::LoadTokenizerFile(path, /*vocab_size_hint=*/-1);
  if (!source.ok()) {
    SetError(source.status());
    return nullptr;
  }
  auto tokenizer = tinylm::Tokenizer::Create(std::move(source->vocab));
  if (!tokenizer.ok()) {
    SetError(tokenizer.status().WithContext(path));
    return nullptr;
  }
  auto* handle = tinylm::api::NewHandle<tinylm_tokenizer>();
  if (handle == nullptr) return nullptr;
  handle->own.emplace(std::move(tokenizer).value());
  handle->tokenizer = &*handle->own;
  handle->owned = true;
  return handle;
}

void tinylm_tokenizer_free(tinylm_tokenizer* tokenizer) {
  if (tokenizer && tokenizer->owned) delete tokenizer;
}

int32_t tinylm_tokenizer_encode(tinylm_tokenizer* tokenizer, const char* text, size_t text_length,
                                int32_t add_bos, int32_t parse_special, int32_t* ids,
                                int32_t capacity) {
  const tinylm::Tokenizer& t = *tokenizer->tokenizer;
  const std::string_view view(text ? text : "", text ? text_length : 0);
  const bool vocab_bos = t.add_bos();
  const bool bos =
      add_bos == TINYLM_BOS_DEFAULT || add_bos == TINYLM_BOS_ONCE ? vocab_bos : add_bos != 0;
  auto encoded = t.Encode(view, add_bos == TINYLM_BOS_ONCE ? false : bos, parse_special != 0);
  if (!encoded.ok()) {
    SetError(encoded.status());
    return -1;
  }
  if (add_bos == TINYLM_BOS_ONCE && bos && t.bos_id() >= 0 &&
      (encoded->empty() || (*encoded)[0] != t.bos_id())) {
    encoded->insert(encoded->begin(), t.bos_id());
  }
  return CopyIds(*encoded, ids, capacity);
}

const char* tinylm_tokenizer_decode(tinylm_tokenizer* tokenizer, const int32_t* ids, int32_t n,
                                    size_t* length) {
  auto text = tokenizer->tokenizer->DecodeChecked(
      std::vector<int32_t>(ids, ids + (ids != nullptr && n > 0 ? n : 0)));
  if (!text.ok()) {
    SetError(text.status());
    return nullptr;
  }
  tokenizer->text = std::move(text).value();
  return Text(tokenizer->text, length);
}

int32_t tinylm_tokenizer_size(const tinylm_tokenizer* tokenizer) {
  return tokenizer->tokenizer->size();
}

int32_t tinylm_tokenizer_bos_id(const tinylm_tokenizer* tokenizer) {
  return tokenizer->tokenizer->bos_id();
}

int32_t tinylm_tokenizer_eos_id(const tinylm_tokenizer* tokenizer) {
  return tokenizer->tokenizer->eos_id();
}

const char* tinylm_tokenizer_piece(const tinylm_tokenizer* tokenizer, int32_t id, size_t* length) {
  const tinylm::Tokenizer& t = *tokenizer->tokenizer;
  if (id < 0 || id >= t.size()) {
    SetError(tinylm::Errorf("token id %d is outside the vocabulary (0..%d)", id, t.size() - 1));
    return nullptr;
  }
  auto it = tokenizer->pieces.find(id);
  if (it == tokenizer->pieces.end()) it = tokenizer->pieces.emplace(id, t.piece(id)).first;
  return Text(it->second, length);
}

int32_t tinylm_tokenizer_piece_id(const tinylm_tokenizer* tokenizer, const char* piece,
                                  size_t length) {
  return tokenizer->tokenizer->PieceToId(std::string_view(piece ? piece : "", piece ? length : 0));
}

tinylm_decoder* tinylm_decoder_create(tinylm_tokenizer* tokenizer) {
  auto* decoder = new (std::nothrow)
      tinylm_decoder{tinylm::TokenStreamDecoder(*tokenizer->tokenizer), tokenizer->tokenizer, {}};
  if (decoder == nullptr) SetError("out of memory");
  return decoder;
}

void tinylm_decoder_free(tinylm_decoder* decoder) {
  delete decoder;
}

const char* tinylm_decoder_push(tinylm_decoder* decoder, int32_t id, size_t* length) {
  if (id < 0 || id >= decoder->tokenizer->size()) {
    SetError(tinylm::Errorf("token id %d is outside the vocabulary (0..%d)", id,
                            decoder->tokenizer->size() - 1));
    return nullptr;
  }
  decoder->text = decoder->decoder.Push(id);
  return Text(decoder->text, length);
}

const char* tinylm_decoder_flush(tinylm_decoder* decoder, size_t* length) {
  decoder->text = decoder->decoder.Flush();
  return Text(decoder->text, length);
}

int32_t tinylm_tokenize(tinylm_model* model, const char* text, size_t text_length, int32_t add_bos,
                        int32_t* ids, int32_t capacity) {
  tinylm_tokenizer* t = tinylm_model_tokenizer(model);
  if (t == nullptr) return -1;
  return tinylm_tokenizer_encode(t, text, text_length, add_bos < 0 ? TINYLM_BOS_DEFAULT : add_bos,
                                 0, ids, capacity);
}

const char* tinylm_detokenize(tinylm_model* model, const int32_t* ids, int32_t n, size_t* length) {
  tinylm_tokenizer* t = tinylm_model_tokenizer(model);
  if (t == nullptr) return nullptr;
  return tinylm_tokenizer_decode(t, ids, n, length);
}

}  // extern "C"
