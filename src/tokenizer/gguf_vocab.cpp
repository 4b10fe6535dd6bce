#include "tokenizer/gguf_vocab.h"

#include <cstdio>
#include <string>

namespace tinylm {
namespace {

// An optional id key: -1 when absent or out of range (llama.cpp ignores such ids too).
int32_t OptionalId(const GgufFile& gguf, const char* key, size_t n) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return -1;
  const std::optional<uint64_t> id = v->as_u64();
  return id && *id < n ? static_cast<int32_t>(*id) : -1;
}

Expected<bool> OptionalBool(const GgufFile& gguf, const char* key, bool fallback) {
  const GgufValue* v = gguf.Find(key);
  if (!v) return fallback;
  const std::optional<bool> b = v->as_bool();
  if (!b) return Errorf("GGUF key '%s' is not a bool", key);
  return *b;
}

bool IsPadRow(const std::string& piece, size_t id) {
  return piece == "[PAD" + std::to_string(id) + "]";
}

Status Convert(const GgufFile& gguf, Vocab* vocab) {
  TL_ASSIGN_OR_RETURN(std::string model, gguf.GetString("tokenizer.ggml.model"));
  const bool spm = model == "llama";
  if (!spm && model != "gpt2") {
    return Errorf("tokenizer.ggml.model '%s' is not supported (only 'llama' and 'gpt2')",
                  model.c_str());
  }
  TL_ASSIGN_OR_RETURN(const GgufValue* tokens,
                      gguf.GetArray("tokenizer.ggml.tokens", GgufValueType::String));
  const size_t n = tokens->array_strings().size();
  if (n == 0 || n > kMaxVocabPieces) return Errorf("tokenizer.ggml.tokens has %zu entries", n);
  vocab->pieces = tokens->array_strings();

  std::vector<int64_t> types;
  if (const GgufValue* v = gguf.Find("tokenizer.ggml.token_type")) {
    if (!v->ArrayToI64(&types) || types.size() != n) {
      return Errorf("tokenizer.ggml.token_type is not %zu integers", n);
    }
  } else {
    types.assign(n, 1);
  }
  vocab->scores.assign(n, 0.0f);
  if (const GgufValue* v = gguf.Find("tokenizer.ggml.scores")) {
    if (!v->ArrayToF32(&vocab->scores) || vocab->scores.size() != n) {
      return Errorf("tokenizer.ggml.scores is not %zu numbers", n);
    }
  } else if (spm) {
    return Errorf("tokenizer.ggml.scores is missing (a 'llama' tokenizer merges by score)");
  }
  vocab->types.resize(n);
  int byte_tokens = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t t = types[i];
    if (t == 0) t = 1;  // LLAMA_TOKEN_TYPE_UNDEFINED: a normal token
    if (t < 1 || t > 6)
      return Errorf("token %zu has unknown token type %lld", i, static_cast<long long>(t));
    auto type = static_cast<TokenType>(t);
    if (!spm && type == TokenType::UserDefined && IsPadRow(vocab->pieces[i], i)) {
      type = TokenType::Unused;
    }
    if (!spm && type == TokenType::Byte) {
      return Errorf("token %zu: byte tokens are not supported in a 'gpt2' tokenizer", i);
    }
    if (type == TokenType::Byte) ++byte_tokens;
    vocab->types[i] = static_cast<uint8_t>(type);
    if (type == TokenType::Control || type == TokenType::Unknown) {
      vocab->added_ids.push_back(static_cast<int32_t>(i));
      vocab->added_flags.push_back(kAddedSpecial);
    } else if (type == TokenType::UserDefined) {
      vocab->added_ids.push_back(static_cast<int32_t>(i));
      vocab->added_flags.push_back(spm ? 0 : kAddedNormalized);
    }
  }

  vocab->bos_id = OptionalId(gguf, "tokenizer.ggml.bos_token_id", n);
  vocab->eos_id = OptionalId(gguf, "tokenizer.ggml.eos_token_id", n);
  vocab->pad_id = OptionalId(gguf, "tokenizer.ggml.padding_token_id", n);
  TL_ASSIGN_OR_RETURN(vocab->add_bos, OptionalBool(gguf, "tokenizer.ggml.add_bos_token", spm));
  TL_ASSIGN_OR_RETURN(vocab->add_eos, OptionalBool(gguf, "tokenizer.ggml.add_eos_token", false));
  if (vocab->add_bos && vocab->bos_id < 0) vocab->add_bos = false;
  if (vocab->add_eos && vocab->eos_id < 0) vocab->add_eos = false;

  if (spm) {
    vocab->kind = TokenizerKind::SentencePieceBpe;
    vocab->unk_id = OptionalId(gguf, "tokenizer.ggml.unknown_token_id", n);
    TL_ASSIGN_OR_RETURN(vocab->add_dummy_prefix,
                        OptionalBool(gguf, "tokenizer.ggml.add_space_prefix", true));
    TL_ASSIGN_OR_RETURN(vocab->remove_extra_whitespaces,
                        OptionalBool(gguf, "tokenizer.ggml.remove_extra_whitespaces", false));
    vocab->byte_fallback = byte_tokens > 0;
    if (gguf.Find("tokenizer.ggml.merges")) {
      return Errorf("a 'llama' tokenizer with tokenizer.ggml.merges is not supported");
    }
    return vocab->Validate();
  }

  vocab->kind = TokenizerKind::ByteLevelBpe;
  vocab->unk_id = -1;  // byte-level BPE never needs one (GPT-NeoX's file names <|endoftext|>)
  vocab->byte_fallback = false;
  vocab->add_dummy_prefix = false;
  TL_ASSIGN_OR_RETURN(const GgufValue* merges,
                      gguf.GetArray("tokenizer.ggml.merges", GgufValueType::String));
  if (merges->array_strings().size() > kMaxVocabPieces) return Errorf("too many merges");
  vocab->merges = merges->array_strings();
  std::string arch;
  if (const GgufValue* a = gguf.Find("general.architecture"); a && a->as_string()) {
    arch = *a->as_string();
  }
  const GgufValue* pre = gguf.Find("tokenizer.ggml.pre");
  if (pre) {
    const std::string* name = pre->as_string();
    if (!name) return Errorf("tokenizer.ggml.pre is not a string");
    if (*name != "gpt-2") {
      return Errorf("pre-tokenizer '%s' (tokenizer.ggml.pre) is not supported (only 'gpt-2')",
                    name->c_str());
    }
    vocab->pre_tokenizer = PreTokenizerKind::Gpt2;
  } else if (arch == "gptneox") {
    vocab->pre_tokenizer = PreTokenizerKind::Gpt2;
    vocab->normalizer = NormalizerKind::Nfc;
  } else if (arch == "gpt2") {
    vocab->pre_tokenizer = PreTokenizerKind::Gpt2;
  } else {
    return Errorf(
        "tokenizer.ggml.pre is missing and architecture '%s' does not say which "
        "pre-tokenizer the vocabulary needs",
        arch.c_str());
  }
  return vocab->Validate();
}

}  // namespace

Expected<Vocab> VocabFromGguf(const GgufFile& gguf) {
  Vocab vocab;
  Status s = Convert(gguf, &vocab);
  if (!s.ok()) return s.WithContext(gguf.what() + ": GGUF tokenizer");
  return vocab;
}

}  // namespace tinylm
