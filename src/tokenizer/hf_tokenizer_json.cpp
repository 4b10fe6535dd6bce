#include "tokenizer/hf_tokenizer_json.h"

#include <cstdio>
#include <string>
#include <vector>

#include "core/json.h"

namespace tinylm {
namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581
constexpr std::string_view kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const std::string& TypeOf(const json::Value& v) {
  static const std::string kNone;
  const json::Value* t = v.find("type");
  return t && t->is_string() ? t->as_string() : kNone;
}

std::string Shorten(std::string_view s) {
  if (s.size() <= 60) return std::string(s);
  return std::string(s.substr(0, 57)) + "...";
}

bool BoolOr(const json::Value& v, std::string_view key, bool fallback) {
  const json::Value* b = v.find(key);
  return b && b->is_bool() ? b->as_bool() : fallback;
}

// The items of a {"type": "Sequence", <list_key>: [...]} or the value itself.
std::vector<const json::Value*> Flatten(const json::Value& v, std::string_view list_key) {
  std::vector<const json::Value*> out;
  if (v.is_null()) return out;
  if (TypeOf(v) == "Sequence") {
    if (const json::Value* items = v.find(list_key)) {
      for (const json::Value& item : items->as_array()) {
        for (const json::Value* inner : Flatten(item, list_key)) out.push_back(inner);
      }
    }
    return out;
  }
  out.push_back(&v);
  return out;
}

// Replace {"pattern": {"String": from}, "content": to}.
bool IsReplace(const json::Value& v, std::string_view from, std::string_view to) {
  if (TypeOf(v) != "Replace") return false;
  const json::Value* pattern = v.find("pattern");
  const json::Value* s = pattern ? pattern->find("String") : nullptr;
  const json::Value* content = v.find("content");
  return s && s->is_string() && s->as_string() == from && content && content->is_string() &&
         content->as_string() == to;
}

struct Pipeline {
  bool byte_level = false;     // ByteLevel pre-tokenizer and decoder
  bool sentencepiece = false;  // Prepend/Replace normalizer
  bool dummy_prefix = false;   // Prepend("▁")
  NormalizerKind normalizer = NormalizerKind::None;
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::None;
};

Status ReadNormalizer(const json::Value* v, Pipeline* p) {
  if (!v || v->is_null()) return Status::Ok();
  std::vector<const json::Value*> items = Flatten(*v, "normalizers");
  bool replace_seen = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const json::Value& item = *items[i];
    const std::string& type = TypeOf(item);
    if (type == "NFC" && items.size() == 1) {
      p->normalizer = NormalizerKind::Nfc;
    } else if (type == "Prepend" && i == 0 && items.size() == 2) {
      const json::Value* prepend = item.find("prepend");
      if (!prepend || prepend->as_string() != kSpaceSymbol) {
        return Errorf("normalizer Prepend(\"%s\") is not supported (only U+2581)",
                      prepend ? Shorten(prepend->as_string()).c_str() : "");
      }
      p->dummy_prefix = true;
    } else if (IsReplace(item, " ", kSpaceSymbol) && i + 1 == items.size()) {
      replace_seen = true;
    } else {
      return Errorf(
          "normalizer '%s' is not supported here (supported: NFC, or SentencePiece's "
          "Prepend(\"\xE2\x96\x81\") + Replace(\" \" -> \"\xE2\x96\x81\"))",
          type.empty() ? "?" : type.c_str());
    }
  }
  if (p->dummy_prefix && !replace_seen) {
    return Errorf("normalizer Prepend without Replace(\" \" -> \"\xE2\x96\x81\") is not supported");
  }
  p->sentencepiece = replace_seen;
  return Status::Ok();
}

Status ReadByteLevelOptions(const json::Value& item, bool need_regex, Pipeline* p) {
  if (BoolOr(item, "add_prefix_space", true)) {
    return Errorf("pre_tokenizer ByteLevel with add_prefix_space = true is not supported");
  }
  const bool use_regex = BoolOr(item, "use_regex", true);
  if (need_regex) {
    p->pre_tokenizer = use_regex ? PreTokenizerKind::Gpt2 : PreTokenizerKind::None;
  } else if (use_regex) {
    return Errorf("pre_tokenizer Split followed by ByteLevel(use_regex = true) is not supported");
  }
  p->byte_level = true;
  return Status::Ok();
}

Status ReadPreTokenizer(const json::Value* v, Pipeline* p) {
  if (!v || v->is_null()) return Status::Ok();
  std::vector<const json::Value*> items = Flatten(*v, "pretokenizers");
  if (items.size() == 1 && TypeOf(*items[0]) == "ByteLevel") {
    return ReadByteLevelOptions(*items[0], /*need_regex=*/true, p);
  }
  if (items.size() == 2 && TypeOf(*items[0]) == "Split" && TypeOf(*items[1]) == "ByteLevel") {
    const json::Value& split = *items[0];
    const json::Value* pattern = split.find("pattern");
    const json::Value* regex = pattern ? pattern->find("Regex") : nullptr;
    const json::Value* behavior = split.find("behavior");
    if (!regex || regex->as_string() != kGpt2Pattern) {
      return Errorf(
          "pre_tokenizer Split with pattern \"%s\" is not supported (only the GPT-2 "
          "regex is implemented)",
          regex ? Shorten(regex->as_string()).c_str() : "?");
    }
    if (!behavior || behavior->as_string() != "Isolated" || BoolOr(split, "invert", false)) {
      return Errorf("pre_tokenizer Split with behavior other than Isolated is not supported");
    }
    TL_RETURN_IF_ERROR(ReadByteLevelOptions(*items[1], /*need_regex=*/false, p));
    p->pre_tokenizer = PreTokenizerKind::Gpt2;
    return Status::Ok();
  }
  std::string types;
  for (const json::Value* item : items) types += (types.empty() ? "" : ", ") + TypeOf(*item);
  if (types.find("Metaspace") != std::string::npos) {
    return Errorf(
        "pre_tokenizer Metaspace is not supported (it differs from SentencePiece's "
        "dummy prefix; the Prepend/Replace normalizer form is)");
  }
  return Errorf(
      "pre_tokenizer [%s] is not supported (supported: ByteLevel, or Split(GPT-2 "
      "regex) + ByteLevel)",
      types.c_str());
}

Status ReadDecoder(const json::Value* v, const Pipeline& p) {
  if (!v || v->is_null()) return Errorf("tokenizer.json has no decoder");
  std::vector<const json::Value*> items = Flatten(*v, "decoders");
  if (p.byte_level) {
    if (items.size() == 1 && TypeOf(*items[0]) == "ByteLevel") return Status::Ok();
  } else if (p.sentencepiece) {
    const size_t expected = p.dummy_prefix ? 4 : 3;
    bool ok = items.size() == expected && IsReplace(*items[0], kSpaceSymbol, " ") &&
              TypeOf(*items[1]) == "ByteFallback" && TypeOf(*items[2]) == "Fuse";
    if (ok && p.dummy_prefix) {
      const json::Value& strip = *items[3];
      const json::Value* content = strip.find("content");
      const json::Value* start = strip.find("start");
      const json::Value* stop = strip.find("stop");
      ok = TypeOf(strip) == "Strip" && content && content->as_string() == " " && start &&
           start->as_int64() == 1 && stop && stop->as_int64() == 0;
    }
    if (ok) return Status::Ok();
  }
  std::string types;
  for (const json::Value* item : items) types += (types.empty() ? "" : ", ") + TypeOf(*item);
  return Errorf(
      "decoder [%s] does not match the tokenizer (expected %s)", types.c_str(),
      p.byte_level ? "ByteLevel" : "Replace(\"\xE2\x96\x81\" -> \" \"), ByteFallback, Fuse, Strip");
}

// The id of a post-processor's special token, by content.
int32_t SpecialId(const json::Value& processor, const std::string& name, Status* error) {
  const json::Value* specials = processor.find("special_tokens");
  const json::Value* entry = specials ? specials->find(name) : nullptr;
  const json::Value* ids = entry ? entry->find("ids") : nullptr;
  if (!ids || ids->size() != 1 || !ids->as_array()[0].is_integer()) {
    *error = Errorf("post_processor special token '%s' is not a single id", Shorten(name).c_str());
    return -1;
  }
  return static_cast<int32_t>(ids->as_array()[0].as_int64());
}

Status ReadPostProcessor(const json::Value* v, Vocab* vocab) {
  if (!v || v->is_null()) return Status::Ok();
  for (const json::Value* item : Flatten(*v, "processors")) {
    const std::string& type = TypeOf(*item);
    if (type == "ByteLevel") continue;
    if (type == "RobertaProcessing" || type == "BertProcessing") {
      const json::Value* cls = item->find("cls");
      const json::Value* sep = item->find("sep");
      if (!cls || cls->size() != 2 || !sep || sep->size() != 2) {
        return Errorf("post_processor %s without cls/sep", type.c_str());
      }
      vocab->bos_id = static_cast<int32_t>(cls->as_array()[1].as_int64());
      vocab->eos_id = static_cast<int32_t>(sep->as_array()[1].as_int64());
      vocab->add_bos = vocab->add_eos = true;
      continue;
    }
    if (type != "TemplateProcessing") {
      return Errorf("post_processor '%s' is not supported", type.c_str());
    }
    const json::Value* single = item->find("single");
    if (!single || !single->is_array())
      return Errorf("post_processor TemplateProcessing has no 'single'");
    std::vector<std::string> before, after;
    bool seen_a = false;
    for (const json::Value& piece : single->as_array()) {
      if (const json::Value* special = piece.find("SpecialToken")) {
        const json::Value* id = special->find("id");
        (seen_a ? after : before).push_back(id ? id->as_string() : "");
      } else if (const json::Value* seq = piece.find("Sequence")) {
        const json::Value* id = seq->find("id");
        if (!id || id->as_string() != "A" || seen_a) {
          return Errorf("post_processor template 'single' is not of the form [bos] $A [eos]");
        }
        seen_a = true;
      } else {
        return Errorf("post_processor template has an unknown item");
      }
    }
    if (!seen_a || before.size() > 1 || after.size() > 1) {
      return Errorf("post_processor template 'single' is not of the form [bos] $A [eos]");
    }
    Status error;
    if (!before.empty()) {
      vocab->bos_id = SpecialId(*item, before[0], &error);
      vocab->add_bos = true;
    }
    if (!after.empty()) {
      vocab->eos_id = SpecialId(*item, after[0], &error);
      vocab->add_eos = true;
    }
    TL_RETURN_IF_ERROR(error);
  }
  return Status::Ok();
}

bool IsBytePiece(std::string_view piece) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
  return piece.size() == 6 && piece.substr(0, 3) == "<0x" && hex(piece[3]) && hex(piece[4]) &&
         piece[5] == '>';
}

int32_t FindPiece(const Vocab& vocab, std::string_view piece) {
  for (int32_t i = 0; i < vocab.size(); ++i) {
    if (vocab.pieces[i] == piece) return i;
  }
  return -1;
}

Status Convert(const json::Value& root, Vocab* vocab) {
  if (!root.is_object()) return Errorf("not a JSON object");
  const json::Value* model = root.find("model");
  if (!model || !model->is_object()) return Errorf("no 'model'");
  const std::string& model_type = TypeOf(*model);
  if (!model_type.empty() && model_type != "BPE") {
    return Errorf("model type '%s' is not supported (only BPE)", model_type.c_str());
  }
  const json::Value* model_vocab = model->find("vocab");
  const json::Value* merges = model->find("merges");
  if (!model_vocab || !model_vocab->is_object() || !merges || !merges->is_array()) {
    return Errorf("model is not a BPE model with 'vocab' and 'merges'");
  }
  if (const json::Value* dropout = model->find("dropout");
      dropout && !dropout->is_null() && dropout->as_number() != 0) {
    return Errorf("BPE dropout is not supported");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const json::Value* affix = model->find(key);
    if (affix && !affix->is_null() && !affix->as_string().empty()) {
      return Errorf("BPE %s \"%s\" is not supported", key, Shorten(affix->as_string()).c_str());
    }
  }
  if (BoolOr(*model, "ignore_merges", false)) return Errorf("BPE ignore_merges is not supported");

  Pipeline p;
  TL_RETURN_IF_ERROR(ReadNormalizer(root.find("normalizer"), &p));
  TL_RETURN_IF_ERROR(ReadPreTokenizer(root.find("pre_tokenizer"), &p));
  if (p.byte_level == p.sentencepiece) {
    return Errorf(p.byte_level ? "a ByteLevel pre-tokenizer with a SentencePiece normalizer is "
                                 "not supported"
                               : "neither a ByteLevel pre-tokenizer nor SentencePiece's "
                                 "Prepend/Replace normalizer: this BPE variant is not supported");
  }
  if (p.sentencepiece && p.pre_tokenizer != PreTokenizerKind::None) {
    return Errorf("a pre-tokenizer with the SentencePiece normalizer is not supported");
  }
  if (p.byte_level && p.normalizer != NormalizerKind::None && p.normalizer != NormalizerKind::Nfc) {
    return Errorf("unsupported normalizer for byte-level BPE");
  }
  TL_RETURN_IF_ERROR(ReadDecoder(root.find("decoder"), p));
  const bool byte_fallback = BoolOr(*model, "byte_fallback", false);
  if (p.byte_level && byte_fallback) {
    return Errorf("byte_fallback with a ByteLevel pre-tokenizer is not supported");
  }

  // Pieces: the model vocabulary, then added tokens (which may extend it).
  size_t n = 0;
  for (const auto& [piece, id] : model_vocab->as_object()) {
    if (!id.is_integer() || id.as_int64() < 0 ||
        static_cast<uint64_t>(id.as_int64()) >= kMaxVocabPieces) {
      return Errorf("vocab entry \"%s\" has an invalid id", Shorten(piece).c_str());
    }
    n = std::max(n, static_cast<size_t>(id.as_int64()) + 1);
  }
  const json::Value* added = root.find("added_tokens");
  if (added) {
    for (const json::Value& token : added->as_array()) {
      const json::Value* id = token.find("id");
      if (!id || !id->is_integer() || id->as_int64() < 0 ||
          static_cast<uint64_t>(id->as_int64()) >= kMaxVocabPieces) {
        return Errorf("added token with an invalid id");
      }
      n = std::max(n, static_cast<size_t>(id->as_int64()) + 1);
    }
  }
  vocab->kind = p.byte_level ? TokenizerKind::ByteLevelBpe : TokenizerKind::SentencePieceBpe;
  vocab->pieces.assign(n, std::string());
  vocab->scores.assign(n, 0.0f);
  vocab->types.assign(n, static_cast<uint8_t>(TokenType::Unused));  // ids with no token
  std::vector<bool> in_model(n, false);
  for (const auto& [piece, id_value] : model_vocab->as_object()) {
    const auto id = static_cast<size_t>(id_value.as_int64());
    if (in_model[id]) return Errorf("vocab id %zu is given to two pieces", id);
    in_model[id] = true;
    if (piece.size() > kMaxPieceBytes) return Errorf("vocab piece %zu is too long", id);
    vocab->pieces[id] = piece;
    vocab->types[id] = static_cast<uint8_t>(p.sentencepiece && byte_fallback && IsBytePiece(piece)
                                                ? TokenType::Byte
                                                : TokenType::Normal);
  }
  vocab->unk_id = -1;
  if (const json::Value* unk = model->find("unk_token"); unk && unk->is_string()) {
    vocab->unk_id = FindPiece(*vocab, unk->as_string());
    if (vocab->unk_id < 0) {
      return Errorf("unk_token \"%s\" is not in the vocabulary", Shorten(unk->as_string()).c_str());
    }
    vocab->types[vocab->unk_id] = static_cast<uint8_t>(TokenType::Unknown);
  }
  if (added) {
    std::vector<bool> seen(n, false);
    for (const json::Value& token : added->as_array()) {
      const auto id = static_cast<size_t>(token.find("id")->as_int64());
      const json::Value* content = token.find("content");
      if (!content || !content->is_string() || content->as_string().empty()) {
        return Errorf("added token %zu has no content", id);
      }
      if (seen[id]) return Errorf("added token id %zu appears twice", id);
      seen[id] = true;
      const std::string& text = content->as_string();
      if (in_model[id] && vocab->pieces[id] != text) {
        return Errorf("added token %zu \"%s\" differs from the vocabulary's piece \"%s\"", id,
                      Shorten(text).c_str(), Shorten(vocab->pieces[id]).c_str());
      }
      if (text.size() > kMaxPieceBytes) return Errorf("added token %zu is too long", id);
      vocab->pieces[id] = text;
      uint8_t flags = 0;
      const bool special = BoolOr(token, "special", false);
      if (special) flags |= kAddedSpecial;
      if (BoolOr(token, "lstrip", false)) flags |= kAddedLstrip;
      if (BoolOr(token, "rstrip", false)) flags |= kAddedRstrip;
      if (BoolOr(token, "normalized", !special)) flags |= kAddedNormalized;
      if (BoolOr(token, "single_word", false)) flags |= kAddedSingleWord;
      if (p.sentencepiece && (flags & kAddedNormalized)) {
        return Errorf(
            "added token \"%s\" is normalized (matched after the Prepend/Replace "
            "normalizer), which is not supported",
            Shorten(text).c_str());
      }
      if (static_cast<int32_t>(id) != vocab->unk_id) {
        vocab->types[id] =
            static_cast<uint8_t>(special ? TokenType::Control : TokenType::UserDefined);
      }
      vocab->added_ids.push_back(static_cast<int32_t>(id));
      vocab->added_flags.push_back(flags);
    }
  }

  // Merges, stored as "left right".
  vocab->merges.reserve(merges->size());
  for (const json::Value& merge : merges->as_array()) {
    if (merge.is_string()) {
      const std::string& s = merge.as_string();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        return Errorf("merge \"%s\" is not two pieces separated by one space", Shorten(s).c_str());
      }
      vocab->merges.push_back(s);
    } else if (merge.is_array() && merge.size() == 2 && merge.as_array()[0].is_string() &&
               merge.as_array()[1].is_string()) {
      const std::string& a = merge.as_array()[0].as_string();
      const std::string& b = merge.as_array()[1].as_string();
      if (a.find(' ') != std::string::npos || b.find(' ') != std::string::npos) {
        return Errorf("merge [\"%s\", \"%s\"] has a piece with a space, which is not supported",
                      Shorten(a).c_str(), Shorten(b).c_str());
      }
      vocab->merges.push_back(a + " " + b);
    } else {
      return Errorf("a merge is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  if (vocab->merges.empty()) return Errorf("the BPE model has no merges");

  vocab->normalizer = p.normalizer;
  vocab->pre_tokenizer = p.pre_tokenizer;
  vocab->add_dummy_prefix = p.dummy_prefix;
  vocab->remove_extra_whitespaces = false;
  vocab->byte_fallback = byte_fallback;
  vocab->add_bos = false;
  vocab->add_eos = false;
  // BOS/EOS/PAD by their usual names; the post-processor (below) and tokenizer_config.json
  // (ApplyHfTokenizerConfig) are authoritative when they say more.
  auto first_of = [&](std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
      const int32_t id = FindPiece(*vocab, name);
      if (id >= 0 && vocab->types[id] != static_cast<uint8_t>(TokenType::Normal)) return id;
    }
    return int32_t{-1};
  };
  vocab->bos_id = first_of({"<s>", "<|begin_of_text|>", "<|endoftext|>"});
  vocab->eos_id = first_of({"</s>", "<|end_of_text|>", "<|endoftext|>"});
  vocab->pad_id = first_of({"<pad>", "<|padding|>"});
  TL_RETURN_IF_ERROR(ReadPostProcessor(root.find("post_processor"), vocab));
  return vocab->Validate();
}

}  // namespace

Expected<Vocab> ParseHfTokenizerJson(std::string_view json_text, size_t max_values) {
  json::ParseLimits limits;
  limits.max_values = max_values;
  Expected<json::Value> root = json::Parse(json_text, limits);
  if (!root.ok()) return root.status().WithContext("tokenizer.json");
  Vocab vocab;
  Status s = Convert(*root, &vocab);
  if (!s.ok()) return s.WithContext("tokenizer.json");
  return vocab;
}

Status ApplyHfTokenizerConfig(std::string_view json_text, Vocab* vocab) {
  json::ParseLimits limits;
  limits.max_values = kMaxTokenizerJsonValues;
  Expected<json::Value> root = json::Parse(json_text, limits);
  if (!root.ok()) return root.status().WithContext("tokenizer_config.json");
  if (!root->is_object()) return Errorf("tokenizer_config.json: not a JSON object");
  struct NamedId {
    const char* key;
    int32_t* id;
  };
  for (NamedId named :
       {NamedId{"bos_token", &vocab->bos_id}, NamedId{"eos_token", &vocab->eos_id},
        NamedId{"unk_token", &vocab->unk_id}, NamedId{"pad_token", &vocab->pad_id}}) {
    const json::Value* v = root->find(named.key);
    if (!v || v->is_null()) continue;
    const json::Value* content = v->is_object() ? v->find("content") : v;
    if (!content || !content->is_string()) continue;
    const int32_t id = FindPiece(*vocab, content->as_string());
    if (id < 0) {
      return Errorf("tokenizer_config.json: %s \"%s\" is not in the vocabulary", named.key,
                    Shorten(content->as_string()).c_str());
    }
    *named.id = id;
  }
  if (const json::Value* b = root->find("add_bos_token"); b && b->is_bool())
    vocab->add_bos = b->as_bool();
  if (const json::Value* b = root->find("add_eos_token"); b && b->is_bool())
    vocab->add_eos = b->as_bool();
  Status s = vocab->Validate();
  return s.WithContext("tokenizer_config.json");
}

}  // namespace tinylm
