#include "tokenizer/sentencepiece_model.h"

#include <cstring>
#include <string>

namespace tinylm {
namespace {

// A protobuf wire-format cursor over untrusted bytes.
class ProtoReader {
 public:
  ProtoReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool at_end() const { return p_ == end_; }

  Status Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return Errorf("truncated varint");
      const uint8_t b = *p_++;
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) {
        *out = v;
        return Status::Ok();
      }
    }
    return Errorf("varint longer than 10 bytes");
  }
  // Reads a field header: field number and wire type.
  Status Tag(uint32_t* field, uint32_t* wire) {
    uint64_t tag = 0;
    TL_RETURN_IF_ERROR(Varint(&tag));
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) return Errorf("invalid field number");
    *field = static_cast<uint32_t>(tag >> 3);
    *wire = static_cast<uint32_t>(tag & 7);
    return Status::Ok();
  }
  Status Bytes(const uint8_t** data, size_t* size) {
    uint64_t n = 0;
    TL_RETURN_IF_ERROR(Varint(&n));
    if (n > static_cast<uint64_t>(end_ - p_)) {
      return Errorf("a field of %llu bytes runs past the end of its message",
                    static_cast<unsigned long long>(n));
    }
    *data = p_;
    *size = static_cast<size_t>(n);
    p_ += n;
    return Status::Ok();
  }
  Status Fixed32(uint32_t* out) {
    if (end_ - p_ < 4) return Errorf("truncated fixed32");
    std::memcpy(out, p_, 4);
    p_ += 4;
    return Status::Ok();
  }
  Status Skip(uint32_t wire) {
    uint64_t v = 0;
    const uint8_t* d = nullptr;
    size_t n = 0;
    switch (wire) {
      case 0:
        return Varint(&v);
      case 1:
        if (end_ - p_ < 8) return Errorf("truncated fixed64");
        p_ += 8;
        return Status::Ok();
      case 2:
        return Bytes(&d, &n);
      case 5:
        if (end_ - p_ < 4) return Errorf("truncated fixed32");
        p_ += 4;
        return Status::Ok();
      default:
        return Errorf("unsupported protobuf wire type %u", wire);
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

Status Expect(uint32_t wire, uint32_t wanted, const char* field) {
  if (wire != wanted) return Errorf("field %s has wire type %u, expected %u", field, wire, wanted);
  return Status::Ok();
}

struct Piece {
  std::string text;
  float score = 0;
  uint32_t type = 1;  // NORMAL
};

Status ParsePiece(const uint8_t* data, size_t size, Piece* piece) {
  ProtoReader r(data, size);
  while (!r.at_end()) {
    uint32_t field = 0, wire = 0;
    TL_RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field == 1) {
      TL_RETURN_IF_ERROR(Expect(wire, 2, "piece"));
      const uint8_t* d = nullptr;
      size_t n = 0;
      TL_RETURN_IF_ERROR(r.Bytes(&d, &n));
      if (n > kMaxPieceBytes) return Errorf("piece of %zu bytes exceeds the limit", n);
      piece->text.assign(reinterpret_cast<const char*>(d), n);
    } else if (field == 2) {
      TL_RETURN_IF_ERROR(Expect(wire, 5, "score"));
      uint32_t bits = 0;
      TL_RETURN_IF_ERROR(r.Fixed32(&bits));
      std::memcpy(&piece->score, &bits, 4);
    } else if (field == 3) {
      TL_RETURN_IF_ERROR(Expect(wire, 0, "type"));
      uint64_t v = 0;
      TL_RETURN_IF_ERROR(r.Varint(&v));
      piece->type = static_cast<uint32_t>(v);
    } else {
      TL_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

struct TrainerSpec {
  int64_t model_type = 1;  // UNIGRAM
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  int64_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
};

Status ParseTrainerSpec(const uint8_t* data, size_t size, TrainerSpec* spec) {
  ProtoReader r(data, size);
  while (!r.at_end()) {
    uint32_t field = 0, wire = 0;
    TL_RETURN_IF_ERROR(r.Tag(&field, &wire));
    int64_t* int_field = nullptr;
    bool* bool_field = nullptr;
    switch (field) {
      case 3:
        int_field = &spec->model_type;
        break;
      case 24:
        bool_field = &spec->treat_whitespace_as_suffix;
        break;
      case 35:
        bool_field = &spec->byte_fallback;
        break;
      case 40:
        int_field = &spec->unk_id;
        break;
      case 41:
        int_field = &spec->bos_id;
        break;
      case 42:
        int_field = &spec->eos_id;
        break;
      case 43:
        int_field = &spec->pad_id;
        break;
      default:
        break;
    }
    if (!int_field && !bool_field) {
      TL_RETURN_IF_ERROR(r.Skip(wire));
      continue;
    }
    TL_RETURN_IF_ERROR(Expect(wire, 0, "trainer_spec"));
    uint64_t v = 0;
    TL_RETURN_IF_ERROR(r.Varint(&v));
    if (int_field) {
      *int_field = static_cast<int32_t>(static_cast<uint32_t>(v));  // int32 (sign-extended)
    } else {
      *bool_field = v != 0;
    }
  }
  return Status::Ok();
}

struct NormalizerSpec {
  std::string name;
  size_t charsmap_bytes = 0;
  size_t rule_tsv_bytes = 0;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

Status ParseNormalizerSpec(const uint8_t* data, size_t size, NormalizerSpec* spec) {
  ProtoReader r(data, size);
  while (!r.at_end()) {
    uint32_t field = 0, wire = 0;
    TL_RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field == 1 || field == 2 || field == 6) {
      TL_RETURN_IF_ERROR(Expect(wire, 2, "normalizer_spec"));
      const uint8_t* d = nullptr;
      size_t n = 0;
      TL_RETURN_IF_ERROR(r.Bytes(&d, &n));
      if (field == 1) spec->name.assign(reinterpret_cast<const char*>(d), n < 64 ? n : 64);
      if (field == 2) spec->charsmap_bytes = n;
      if (field == 6) spec->rule_tsv_bytes = n;
    } else if (field >= 3 && field <= 5) {
      TL_RETURN_IF_ERROR(Expect(wire, 0, "normalizer_spec"));
      uint64_t v = 0;
      TL_RETURN_IF_ERROR(r.Varint(&v));
      bool* b = field == 3   ? &spec->add_dummy_prefix
                : field == 4 ? &spec->remove_extra_whitespaces
                             : &spec->escape_whitespaces;
      *b = v != 0;
    } else {
      TL_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

const char* ModelTypeName(int64_t t) {
  switch (t) {
    case 1:
      return "Unigram";
    case 2:
      return "BPE";
    case 3:
      return "word";
    case 4:
      return "char";
    default:
      return "unknown";
  }
}

Status ParseModel(const uint8_t* data, size_t size, Vocab* vocab) {
  ProtoReader r(data, size);
  std::vector<Piece> pieces;
  TrainerSpec trainer;
  NormalizerSpec normalizer;
  bool has_trainer = false, has_normalizer = false;
  while (!r.at_end()) {
    uint32_t field = 0, wire = 0;
    TL_RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field >= 1 && field <= 3) {
      TL_RETURN_IF_ERROR(Expect(wire, 2, "ModelProto"));
      const uint8_t* d = nullptr;
      size_t n = 0;
      TL_RETURN_IF_ERROR(r.Bytes(&d, &n));
      if (field == 1) {
        if (pieces.size() >= kMaxVocabPieces)
          return Errorf("more than %zu pieces", kMaxVocabPieces);
        Piece piece;
        Status s = ParsePiece(d, n, &piece);
        if (!s.ok()) return s.WithContext("piece " + std::to_string(pieces.size()));
        pieces.push_back(std::move(piece));
      } else if (field == 2) {
        has_trainer = true;
        TL_RETURN_IF_ERROR(ParseTrainerSpec(d, n, &trainer).WithContext("trainer_spec"));
      } else {
        has_normalizer = true;
        TL_RETURN_IF_ERROR(ParseNormalizerSpec(d, n, &normalizer).WithContext("normalizer_spec"));
      }
    } else {
      TL_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  if (pieces.empty()) return Errorf("the model has no pieces");
  if (!has_trainer) return Errorf("the model has no trainer_spec (its model type is unknown)");
  if (trainer.model_type != 2) {
    return Errorf("%s models (trainer_spec.model_type %lld) are not supported; only BPE is",
                  ModelTypeName(trainer.model_type), static_cast<long long>(trainer.model_type));
  }
  if (trainer.treat_whitespace_as_suffix) {
    return Errorf("treat_whitespace_as_suffix is not supported");
  }
  (void)has_normalizer;  // absent: SentencePiece's defaults
  if (normalizer.charsmap_bytes > 0 || normalizer.rule_tsv_bytes > 0) {
    return Errorf(
        "the normalizer '%s' (a %zu-byte character map) is not supported; only the "
        "identity normalizer is",
        normalizer.name.c_str(), normalizer.charsmap_bytes + normalizer.rule_tsv_bytes);
  }
  if (!normalizer.escape_whitespaces) return Errorf("escape_whitespaces = false is not supported");

  const size_t n = pieces.size();
  vocab->kind = TokenizerKind::SentencePieceBpe;
  vocab->pieces.reserve(n);
  vocab->scores.reserve(n);
  vocab->types.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Piece& p = pieces[i];
    if (p.type < 1 || p.type > 6) return Errorf("piece %zu has unknown type %u", i, p.type);
    vocab->pieces.push_back(std::move(p.text));
    vocab->scores.push_back(p.score);
    vocab->types.push_back(static_cast<uint8_t>(p.type));
    const auto type = static_cast<TokenType>(p.type);
    if (type == TokenType::Control || type == TokenType::Unknown) {
      vocab->added_ids.push_back(static_cast<int32_t>(i));
      vocab->added_flags.push_back(kAddedSpecial);
    } else if (type == TokenType::UserDefined) {
      vocab->added_ids.push_back(static_cast<int32_t>(i));
      vocab->added_flags.push_back(0);
    }
  }
  auto id_or_none = [&](int64_t id) -> int32_t {
    return id >= 0 && static_cast<size_t>(id) < n ? static_cast<int32_t>(id) : -1;
  };
  vocab->unk_id = id_or_none(trainer.unk_id);
  vocab->bos_id = id_or_none(trainer.bos_id);
  vocab->eos_id = id_or_none(trainer.eos_id);
  vocab->pad_id = id_or_none(trainer.pad_id);
  vocab->add_bos = vocab->bos_id >= 0;
  vocab->add_eos = false;
  vocab->add_dummy_prefix = normalizer.add_dummy_prefix;
  vocab->remove_extra_whitespaces = normalizer.remove_extra_whitespaces;
  vocab->byte_fallback = trainer.byte_fallback;
  return vocab->Validate();
}

}  // namespace

bool LooksLikeSentencePieceModel(const uint8_t* data, size_t size) {
  // 0x0A = field 1, wire type 2; then a varint length; then the piece's own field 1 (0x0A).
  if (size < 4 || data[0] != 0x0A) return false;
  size_t i = 1;
  while (i < size && i < 6 && (data[i] & 0x80)) ++i;
  return i + 1 < size && data[i + 1] == 0x0A;
}

Expected<Vocab> ParseSentencePieceModel(const uint8_t* data, size_t size) {
  Vocab vocab;
  Status s = ParseModel(data, size, &vocab);
  if (!s.ok()) return s.WithContext("SentencePiece model");
  return vocab;
}

}  // namespace tinylm
