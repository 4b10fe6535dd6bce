#include "tokenizer/vocab.h"

#include <cmath>
#include <vector>

namespace tinylm {
namespace {

constexpr size_t kMaxMergeBytes = 2 * kMaxPieceBytes + 1;  // "left right"

Status CheckId(const char* name, int32_t id, size_t n) {
  if (id < -1 || (id >= 0 && static_cast<size_t>(id) >= n)) {
    return Errorf("tokenizer %s %d is out of range (vocabulary of %zu pieces; -1 = none)", name, id,
                  n);
  }
  return Status::Ok();
}

}  // namespace

Status TokenizerSettings::Validate(size_t n) const {
  if (kind != TokenizerKind::SentencePieceBpe && kind != TokenizerKind::ByteLevelBpe) {
    return Errorf("unknown tokenizer kind %u", static_cast<uint32_t>(kind));
  }
  if (static_cast<uint32_t>(normalizer) > static_cast<uint32_t>(NormalizerKind::Nfc)) {
    return Errorf("unknown tokenizer normalizer %u", static_cast<uint32_t>(normalizer));
  }
  if (static_cast<uint32_t>(pre_tokenizer) > static_cast<uint32_t>(PreTokenizerKind::Gpt2)) {
    return Errorf("unknown tokenizer pre-tokenizer %u", static_cast<uint32_t>(pre_tokenizer));
  }
  if (kind == TokenizerKind::SentencePieceBpe &&
      (normalizer != NormalizerKind::None || pre_tokenizer != PreTokenizerKind::None)) {
    return Errorf("a SentencePiece tokenizer takes no normalizer or pre-tokenizer kind");
  }
  if (added_flags.size() != added_ids.size()) {
    return Errorf("tokenizer has %zu added-token flags for %zu added tokens", added_flags.size(),
                  added_ids.size());
  }
  {
    std::vector<bool> seen(n, false);
    for (size_t i = 0; i < added_ids.size(); ++i) {
      const int32_t id = added_ids[i];
      if (id < 0 || static_cast<size_t>(id) >= n) {
        return Errorf("tokenizer added token %d is out of range (vocabulary of %zu pieces)", id, n);
      }
      if (seen[id]) return Errorf("tokenizer added token %d is listed twice", id);
      seen[id] = true;
      if (added_flags[i] & ~kAddedFlagsMask) {
        return Errorf("tokenizer added token %d has unknown flags 0x%02x", id,
                      unsigned{added_flags[i]});
      }
    }
  }
  TL_RETURN_IF_ERROR(CheckId("bos_id", bos_id, n));
  TL_RETURN_IF_ERROR(CheckId("eos_id", eos_id, n));
  TL_RETURN_IF_ERROR(CheckId("unk_id", unk_id, n));
  TL_RETURN_IF_ERROR(CheckId("pad_id", pad_id, n));
  if (add_bos && bos_id < 0) return Errorf("tokenizer sets add_bos but has no bos_id");
  if (add_eos && eos_id < 0) return Errorf("tokenizer sets add_eos but has no eos_id");
  return Status::Ok();
}

Status Vocab::Validate() const {
  const size_t n = pieces.size();
  if (n == 0) return Errorf("tokenizer vocabulary is empty");
  if (n > kMaxVocabPieces) {
    return Errorf("tokenizer vocabulary has %zu pieces, more than the limit of %zu", n,
                  kMaxVocabPieces);
  }
  if (scores.size() != n) {
    return Errorf("tokenizer has %zu scores for %zu pieces", scores.size(), n);
  }
  if (types.size() != n) {
    return Errorf("tokenizer has %zu token types for %zu pieces", types.size(), n);
  }
  for (size_t i = 0; i < n; ++i) {
    if (pieces[i].size() > kMaxPieceBytes) {
      return Errorf("tokenizer piece %zu is %zu bytes long, more than the limit of %zu", i,
                    pieces[i].size(), kMaxPieceBytes);
    }
    if (std::isnan(scores[i])) return Errorf("tokenizer piece %zu has a NaN score", i);
    if (types[i] < static_cast<uint8_t>(TokenType::Normal) ||
        types[i] > static_cast<uint8_t>(TokenType::Byte)) {
      return Errorf("tokenizer piece %zu has unknown token type %u", i, unsigned{types[i]});
    }
  }
  if (kind == TokenizerKind::ByteLevelBpe && merges.empty()) {
    return Errorf("byte-level BPE tokenizer has no merges");
  }
  TL_RETURN_IF_ERROR(TokenizerSettings::Validate(n));
  for (int32_t id : added_ids) {
    if (pieces[id].empty()) return Errorf("tokenizer added token %d is empty", id);
  }
  if (merges.size() > kMaxVocabPieces) {
    return Errorf("tokenizer has %zu merges, more than the limit of %zu", merges.size(),
                  kMaxVocabPieces);
  }
  for (size_t i = 0; i < merges.size(); ++i) {
    if (merges[i].size() > kMaxMergeBytes) {
      return Errorf("tokenizer merge %zu is %zu bytes long, more than the limit of %zu", i,
                    merges[i].size(), kMaxMergeBytes);
    }
  }
  return Status::Ok();
}

void TokenizerSettings::ToMetadata(Metadata* meta) const {
  meta->SetU32("tokenizer.kind", static_cast<uint32_t>(kind));
  meta->SetI32("tokenizer.bos_id", bos_id);
  meta->SetI32("tokenizer.eos_id", eos_id);
  meta->SetI32("tokenizer.unk_id", unk_id);
  meta->SetI32("tokenizer.pad_id", pad_id);
  meta->SetBool("tokenizer.add_bos", add_bos);
  meta->SetBool("tokenizer.add_eos", add_eos);
  meta->SetBool("tokenizer.add_dummy_prefix", add_dummy_prefix);
  meta->SetBool("tokenizer.remove_extra_whitespaces", remove_extra_whitespaces);
  meta->SetBool("tokenizer.byte_fallback", byte_fallback);
  meta->SetU32("tokenizer.normalizer", static_cast<uint32_t>(normalizer));
  meta->SetU32("tokenizer.pre_tokenizer", static_cast<uint32_t>(pre_tokenizer));
  if (added_ids.empty()) {
    meta->Erase("tokenizer.added_ids");
    meta->Erase("tokenizer.added_flags");
  } else {
    meta->SetI32Array("tokenizer.added_ids", added_ids);
    meta->SetU8Array("tokenizer.added_flags", added_flags);
  }
}

Expected<TokenizerSettings> TokenizerSettings::FromMetadata(const Metadata& meta) {
  TokenizerSettings s;
  TL_ASSIGN_OR_RETURN(uint32_t kind, meta.GetU32("tokenizer.kind"));
  if (kind != static_cast<uint32_t>(TokenizerKind::SentencePieceBpe) &&
      kind != static_cast<uint32_t>(TokenizerKind::ByteLevelBpe)) {
    return Errorf("unknown tokenizer.kind %u (1 = SentencePiece BPE, 2 = byte-level BPE)", kind);
  }
  s.kind = static_cast<TokenizerKind>(kind);
  TL_ASSIGN_OR_RETURN(s.bos_id, meta.GetI32Or("tokenizer.bos_id", -1));
  TL_ASSIGN_OR_RETURN(s.eos_id, meta.GetI32Or("tokenizer.eos_id", -1));
  TL_ASSIGN_OR_RETURN(s.unk_id, meta.GetI32Or("tokenizer.unk_id", -1));
  TL_ASSIGN_OR_RETURN(s.pad_id, meta.GetI32Or("tokenizer.pad_id", -1));
  TL_ASSIGN_OR_RETURN(s.add_bos, meta.GetBoolOr("tokenizer.add_bos", true));
  TL_ASSIGN_OR_RETURN(s.add_eos, meta.GetBoolOr("tokenizer.add_eos", false));
  TL_ASSIGN_OR_RETURN(s.add_dummy_prefix, meta.GetBoolOr("tokenizer.add_dummy_prefix", true));
  TL_ASSIGN_OR_RETURN(s.remove_extra_whitespaces,
                      meta.GetBoolOr("tokenizer.remove_extra_whitespaces", false));
  TL_ASSIGN_OR_RETURN(s.byte_fallback, meta.GetBoolOr("tokenizer.byte_fallback", true));
  TL_ASSIGN_OR_RETURN(uint32_t normalizer, meta.GetU32Or("tokenizer.normalizer", 0));
  TL_ASSIGN_OR_RETURN(uint32_t pre_tokenizer, meta.GetU32Or("tokenizer.pre_tokenizer", 0));
  // Out-of-range values are reported by Validate.
  s.normalizer = static_cast<NormalizerKind>(normalizer);
  s.pre_tokenizer = static_cast<PreTokenizerKind>(pre_tokenizer);
  if (meta.Has("tokenizer.added_ids") || meta.Has("tokenizer.added_flags")) {
    TL_ASSIGN_OR_RETURN(const std::vector<int32_t>* added_ids,
                        meta.GetI32Array("tokenizer.added_ids"));
    TL_ASSIGN_OR_RETURN(const std::vector<uint8_t>* added_flags,
                        meta.GetU8Array("tokenizer.added_flags"));
    s.added_ids = *added_ids;
    s.added_flags = *added_flags;
  }
  return s;
}

}  // namespace tinylm
