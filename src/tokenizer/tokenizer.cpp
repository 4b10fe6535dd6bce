#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <queue>

#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/unicode.h"

namespace tinylm {
namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";       // U+2581
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";   // U+FFFD
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";  // SentencePiece's " ⁇ "
constexpr size_t kMaxTextBytes = size_t{1} << 30;

bool IsTrailByte(uint8_t c) {
  return (c & 0xC0) == 0x80;
}

// SentencePiece's DecodeUTF8 + IsValidDecodeUTF8 (util.cc): the length of the character
// at the start of `s` and whether it is valid; an invalid character has length 1.
// (U+FFFD itself counts as valid.)
bool DecodeUtf8Char(std::string_view s, size_t* length) {
  const auto* b = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  auto valid_cp = [](uint32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); };
  if (b[0] < 0x80) {
    *length = 1;
    return true;
  } else if (n >= 2 && (b[0] & 0xE0) == 0xC0) {
    const uint32_t cp = ((b[0] & 0x1Fu) << 6) | (b[1] & 0x3Fu);
    if (IsTrailByte(b[1]) && cp >= 0x80 && valid_cp(cp)) {
      *length = 2;
      return true;
    }
  } else if (n >= 3 && (b[0] & 0xF0) == 0xE0) {
    const uint32_t cp = ((b[0] & 0x0Fu) << 12) | ((b[1] & 0x3Fu) << 6) | (b[2] & 0x3Fu);
    if (IsTrailByte(b[1]) && IsTrailByte(b[2]) && cp >= 0x800 && valid_cp(cp)) {
      *length = 3;
      return true;
    }
  } else if (n >= 4 && (b[0] & 0xF8) == 0xF0) {
    const uint32_t cp =
        ((b[0] & 0x07u) << 18) | ((b[1] & 0x3Fu) << 12) | ((b[2] & 0x3Fu) << 6) | (b[3] & 0x3Fu);
    if (IsTrailByte(b[1]) && IsTrailByte(b[2]) && IsTrailByte(b[3]) && cp >= 0x10000 &&
        valid_cp(cp)) {
      *length = 4;
      return true;
    }
  }
  *length = 1;
  return false;
}

// Length a UTF-8 lead byte announces (1 for ASCII and for bytes that cannot lead).
size_t AnnouncedLength(uint8_t c) {
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

// Turns the pending bytes of a run of byte tokens into text the way SentencePiece's
// ProcessBytePieces does (one character at a time, each invalid byte -> U+FFFD). Unless
// `final`, a trailing sequence that may still become a valid character is kept pending;
// this gives the same result as resolving the whole run at once, because a character is
// only decided once all the bytes it needs are present (or one of them is not a trail byte).
void ResolveBytes(std::string* pending, bool final, std::string* out) {
  size_t off = 0;
  while (off < pending->size()) {
    const std::string_view rest = std::string_view(*pending).substr(off);
    const size_t need = AnnouncedLength(static_cast<uint8_t>(rest[0]));
    if (!final && rest.size() < need) {
      bool may_complete = true;
      for (size_t i = 1; i < rest.size(); ++i) {
        if (!IsTrailByte(static_cast<uint8_t>(rest[i]))) may_complete = false;
      }
      if (may_complete) break;
    }
    size_t length;
    if (DecodeUtf8Char(rest, &length)) {
      out->append(rest.substr(0, length));
    } else {
      out->append(kReplacementChar);
    }
    off += length;
  }
  pending->erase(0, off);
}

// Byte-level decoding: Rust's String::from_utf8_lossy over the concatenated bytes (one
// U+FFFD per maximal invalid subsequence). Unless `final`, an unfinished but still valid
// sequence at the end stays pending.
void ResolveBytesLossy(std::string* pending, bool final, std::string* out) {
  size_t off = 0;
  while (off < pending->size()) {
    const std::string_view rest = std::string_view(*pending).substr(off);
    uint32_t cp;
    size_t length;
    const unicode::Utf8Status status = unicode::DecodeUtf8(rest, &cp, &length);
    if (status == unicode::Utf8Status::Valid) {
      out->append(rest.substr(0, length));
    } else if (status == unicode::Utf8Status::Invalid || final) {
      out->append(kReplacementChar);
    } else {
      break;  // incomplete: wait for more bytes
    }
    off += length;
  }
  pending->erase(0, off);
}

bool ParseBytePiece(std::string_view piece, int* byte) {
  // "<0xNN>" with uppercase or lowercase hex digits.
  if (piece.size() != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' ||
      piece[5] != '>') {
    return false;
  }
  int value = 0;
  for (int i = 3; i < 5; ++i) {
    const char c = piece[i];
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    value = value * 16 + digit;
  }
  *byte = value;
  return true;
}

// SentencePiece's remove_extra_whitespaces: drop leading and trailing spaces, collapse
// runs of spaces into one (only U+0020, as with the identity normalizer).
std::string RemoveExtraWhitespaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Character tests of Hugging Face's added-token matching (Rust regex `\s` and `\w`).
bool IsWhiteSpaceChar(uint32_t cp) {
  return unicode::ClassOf(cp) == unicode::CharClass::WhiteSpace;
}
bool IsWordChar(uint32_t cp) {
  const unicode::CharClass c = unicode::ClassOf(cp);
  return c == unicode::CharClass::Letter || c == unicode::CharClass::Number || cp == '_' ||
         unicode::CombiningClass(cp) != 0;
}

// The last / first character of `s` (valid UTF-8 expected; anything else counts as none).
bool LastChar(std::string_view s, uint32_t* cp, size_t* length) {
  if (s.empty()) return false;
  size_t start = s.size() - 1;
  while (start > 0 && s.size() - start < 4 && IsTrailByte(static_cast<uint8_t>(s[start]))) --start;
  return unicode::DecodeUtf8(s.substr(start), cp, length) == unicode::Utf8Status::Valid &&
         start + *length == s.size();
}
bool FirstChar(std::string_view s, uint32_t* cp, size_t* length) {
  if (s.empty()) return false;
  return unicode::DecodeUtf8(s, cp, length) == unicode::Utf8Status::Valid;
}

}  // namespace

// ---- Added tokens ----

void Tokenizer::AddToMatcher(AddedMatcher* m, std::string_view pattern, int32_t id, uint8_t flags) {
  if (pattern.empty()) return;
  if (m->nodes.empty()) m->nodes.emplace_back();
  int32_t node = 0;
  for (char ch : pattern) {
    const auto b = static_cast<uint8_t>(ch);
    auto& children = m->nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(b, int32_t{-1}));
    if (it != children.end() && it->first == b) {
      node = it->second;
    } else {
      const auto child = static_cast<int32_t>(m->nodes.size());
      children.insert(it, {b, child});
      m->nodes.emplace_back();  // invalidates `children`; not used again
      node = child;
    }
  }
  m->first_byte[static_cast<uint8_t>(pattern[0])] = true;
  if (m->nodes[node].token < 0) {  // the same content twice: the first one wins
    m->nodes[node].token = static_cast<int32_t>(m->tokens.size());
    m->tokens.push_back({id, flags});
    if (!(flags & kAddedSpecial)) ++m->non_special;
  }
}

// Hugging Face's AddedVocabulary::find_matches: leftmost-longest matches, then the
// single_word / lstrip / rstrip rules; the text between matches is returned as segments.
void Tokenizer::SplitOnAdded(const AddedMatcher& m, std::string_view text, bool parse_special,
                             std::vector<Segment>* out) const {
  const auto n = static_cast<uint32_t>(text.size());
  if (m.empty() || (!parse_special && m.non_special == 0)) {
    if (n) out->push_back({-1, 0, n});
    return;
  }
  uint32_t start_offset = 0;
  uint32_t pos = 0;
  while (pos < n) {
    // The leftmost position where an allowed token matches, and the longest token there.
    int32_t found = -1;
    uint32_t match_start = 0, match_end = 0;
    for (uint32_t p = pos; p < n && found < 0; ++p) {
      if (!m.first_byte[static_cast<uint8_t>(text[p])]) continue;
      int32_t node = 0;
      for (uint32_t q = p; q < n; ++q) {
        const auto b = static_cast<uint8_t>(text[q]);
        const auto& children = m.nodes[node].children;
        auto it =
            std::lower_bound(children.begin(), children.end(), std::make_pair(b, int32_t{-1}));
        if (it == children.end() || it->first != b) break;
        node = it->second;
        const int32_t token = m.nodes[node].token;
        if (token >= 0 && (parse_special || !(m.tokens[token].flags & kAddedSpecial))) {
          found = token;
          match_start = p;
          match_end = q + 1;
        }
      }
    }
    if (found < 0) break;
    pos = match_end;
    const AddedMatcher::Token& token = m.tokens[found];
    uint32_t start = match_start, stop = match_end;
    uint32_t cp;
    size_t length;
    if (token.flags & kAddedSingleWord) {
      const bool word_before = LastChar(text.substr(0, start), &cp, &length) && IsWordChar(cp);
      const bool word_after = FirstChar(text.substr(stop), &cp, &length) && IsWordChar(cp);
      if (word_before || word_after) continue;
    }
    if (token.flags & kAddedLstrip) {
      uint32_t new_start = start;
      while (LastChar(text.substr(0, new_start), &cp, &length) && IsWhiteSpaceChar(cp)) {
        new_start -= static_cast<uint32_t>(length);
      }
      start = std::max(new_start, start_offset);
    }
    if (token.flags & kAddedRstrip) {
      while (FirstChar(text.substr(stop), &cp, &length) && IsWhiteSpaceChar(cp)) {
        stop += static_cast<uint32_t>(length);
      }
    }
    if (start_offset < start) out->push_back({-1, start_offset, start});
    out->push_back({token.id, start, stop});
    start_offset = stop;
  }
  if (start_offset < n) out->push_back({-1, start_offset, n});
}

// ---- Create / load ----

Expected<Tokenizer> Tokenizer::Create(const Vocab& vocab) {
  TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, BuildTokenizerTables(vocab));
  MetaBlob blob(std::move(bytes));
  TL_ASSIGN_OR_RETURN(TokenizerTables tables, TokenizerTables::View(blob.bytes()));
  return Load(vocab, tables, std::move(blob));
}

Expected<Tokenizer> Tokenizer::FromMetadata(const Metadata& meta) {
  auto load = [&]() -> Expected<Tokenizer> {
    TL_ASSIGN_OR_RETURN(TokenizerSettings settings, TokenizerSettings::FromMetadata(meta));
    TL_ASSIGN_OR_RETURN(MetaBlob blob, meta.GetBlob("tokenizer.tables"));
    TL_ASSIGN_OR_RETURN(TokenizerTables tables, TokenizerTables::View(blob.bytes()));
    return Load(std::move(settings), tables, std::move(blob));
  };
  Expected<Tokenizer> t = load();
  if (!t.ok()) return t.status().WithContext("invalid tokenizer metadata");
  return t;
}

void Tokenizer::ToMetadata(Metadata* meta) const {
  settings_.ToMetadata(meta);
  const std::span<const uint8_t> bytes = tables_.bytes();
  meta->SetBlob("tokenizer.tables", std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Vocab Tokenizer::ToVocab() const {
  Vocab v;
  static_cast<TokenizerSettings&>(v) = settings_;
  const uint32_t n = tables_.n_pieces();
  v.pieces.reserve(n);
  for (uint32_t id = 0; id < n; ++id) {
    v.pieces.emplace_back(tables_.piece(id));
    v.scores.push_back(tables_.score(id));
    v.types.push_back(tables_.type(id));
  }
  for (uint32_t rank = 0; rank < tables_.n_merges(); ++rank) {
    const TokenizerTables::Merge merge = tables_.merge(rank);
    std::string text(tables_.piece(merge.left));
    text += ' ';
    text += tables_.piece(merge.right);
    v.merges.push_back(std::move(text));
  }
  return v;
}

Expected<Tokenizer> Tokenizer::Load(TokenizerSettings settings, TokenizerTables tables,
                                    MetaBlob blob) {
  const uint32_t n = tables.n_pieces();
  TL_RETURN_IF_ERROR(settings.Validate(n));
  for (int32_t id : settings.added_ids) {
    if (tables.piece(id).empty()) return Errorf("tokenizer added token %d is empty", id);
  }
  const bool byte_level = settings.kind == TokenizerKind::ByteLevelBpe;
  if (byte_level && tables.n_merges() == 0) {
    return Errorf("byte-level BPE tokenizer has no merges");
  }
  Tokenizer t;
  t.settings_ = std::move(settings);
  t.tables_ = tables;
  t.blob_ = std::move(blob);
  t.id_flags_ =
      MakeIdFlags(t.settings_, tables.types(), [&](size_t id) { return tables.piece(id).size(); });
  TL_RETURN_IF_ERROR(tables.CheckIndexes(&t.id_flags_));
  for (uint32_t id = 0; id < n; ++id) {
    if (t.id_flags_[id] & kIdMergeable) {
      t.max_piece_bytes_ = std::max(t.max_piece_bytes_, tables.piece(id).size());
    }
  }

  for (int b = 0; b < 256; ++b) t.byte_ids_[b] = -1;
  if (byte_level) {
    // The one-character piece of every byte (GPT-NeoX lacks the bytes UTF-8 never uses).
    for (int b = 0; b < 256; ++b) {
      t.byte_ids_[b] = t.FindMergeable(ByteLevelChar(static_cast<uint8_t>(b)));
    }
  } else {
    for (uint32_t id = 0; id < n; ++id) {
      if (static_cast<TokenType>(tables.type(id)) != TokenType::Byte) continue;
      int byte;
      if (!ParseBytePiece(tables.piece(id), &byte)) {
        return Errorf("token %u has type Byte but its piece is not of the form <0xNN>", id);
      }
      if (t.byte_ids_[byte] < 0) t.byte_ids_[byte] = static_cast<int32_t>(id);
    }
    if (t.settings_.byte_fallback) {
      for (int b = 0; b < 256; ++b) {
        if (t.byte_ids_[b] < 0) {
          return Errorf("tokenizer has byte_fallback but no byte token <0x%02X>", b);
        }
      }
    } else if (t.settings_.unk_id < 0) {
      return Errorf(
          "tokenizer has neither byte_fallback nor an unk_id: unknown text could "
          "not be encoded");
    }
  }
  t.rank_merges_ = tables.n_merges() > 0;

  // Added tokens. Byte-level: normalized ones are matched after normalization (their
  // pattern normalized too), the others in the raw text. SentencePiece: all in the raw text.
  const TokenizerSettings& s = t.settings_;
  for (size_t i = 0; i < s.added_ids.size(); ++i) {
    const int32_t id = s.added_ids[i];
    const uint8_t flags = s.added_flags[i];
    const std::string_view content = tables.piece(id);
    if (byte_level && (flags & kAddedNormalized)) {
      std::string pattern;
      if (s.normalizer == NormalizerKind::Nfc && unicode::IsValidUtf8(content)) {
        unicode::AppendNfc(content, &pattern);
      } else {
        pattern = content;
      }
      AddToMatcher(&t.normalized_added_, pattern, id, flags);
    } else {
      AddToMatcher(&t.raw_added_, content, id, flags);
    }
  }
  return t;
}

// ---- Encode ----

Expected<std::vector<int32_t>> Tokenizer::Encode(std::string_view text) const {
  return Encode(text, settings_.add_bos, /*parse_special=*/false);
}

Expected<std::vector<int32_t>> Tokenizer::Encode(std::string_view text, bool add_bos) const {
  return Encode(text, add_bos, /*parse_special=*/false);
}

Expected<std::vector<int32_t>> Tokenizer::Encode(std::string_view text, bool add_bos,
                                                 bool parse_special) const {
  if (size() == 0) return Errorf("tokenizer is empty (not built with Create)");
  if (text.size() > kMaxTextBytes) {
    return Errorf("text of %zu bytes is too long to encode (limit %zu)", text.size(),
                  kMaxTextBytes);
  }
  if (add_bos && settings_.bos_id < 0) return Errorf("cannot add BOS: the tokenizer has none");
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_bos) ids.push_back(settings_.bos_id);
  std::string valid;
  if (settings_.kind == TokenizerKind::ByteLevelBpe && !unicode::IsValidUtf8(text)) {
    unicode::AppendValidUtf8(text, &valid);
    text = valid;
  }
  TL_RETURN_IF_ERROR(EncodeText(text, parse_special, &ids));
  if (settings_.add_eos) ids.push_back(settings_.eos_id);
  return ids;
}

Status Tokenizer::EncodeText(std::string_view text, bool parse_special,
                             std::vector<int32_t>* ids) const {
  std::vector<Segment> segments;
  SplitOnAdded(raw_added_, text, parse_special, &segments);
  std::vector<Segment> inner;
  std::vector<TextSpan> words;
  std::string normalized;
  for (const Segment& segment : segments) {
    if (segment.id >= 0) {
      ids->push_back(segment.id);
      continue;
    }
    const std::string_view piece = text.substr(segment.begin, segment.end - segment.begin);
    if (settings_.kind == TokenizerKind::SentencePieceBpe) {
      EncodeSentencePiece(piece, settings_.add_dummy_prefix, ids);
      continue;
    }
    std::string_view view = piece;
    if (settings_.normalizer == NormalizerKind::Nfc) {
      normalized.clear();
      unicode::AppendNfc(piece, &normalized);
      view = normalized;
    }
    inner.clear();
    SplitOnAdded(normalized_added_, view, parse_special, &inner);
    for (const Segment& part : inner) {
      if (part.id >= 0) {
        ids->push_back(part.id);
        continue;
      }
      const std::string_view sub = view.substr(part.begin, part.end - part.begin);
      if (settings_.pre_tokenizer == PreTokenizerKind::Gpt2) {
        words.clear();
        SplitGpt2(sub, &words);
        for (const TextSpan& w : words) {
          EncodeByteLevelWord(sub.substr(w.begin, w.end - w.begin), ids);
        }
      } else {
        EncodeByteLevelWord(sub, ids);
      }
    }
  }
  return Status::Ok();
}

// One pre-tokenized word of byte-level BPE: each byte is the one-character piece of its
// GPT-2 alphabet character; bytes without one become unk, or are dropped when there is no
// unk (as Hugging Face's BPE does); then rank-ordered merges.
void Tokenizer::EncodeByteLevelWord(std::string_view word, std::vector<int32_t>* ids) const {
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (char c : word) {
    const int32_t id = byte_ids_[static_cast<uint8_t>(c)];
    if (id >= 0) {
      symbols.push_back(id);
    } else if (settings_.unk_id >= 0) {
      symbols.push_back(settings_.unk_id);
    }
  }
  MergeByRank(&symbols);
  ids->insert(ids->end(), symbols.begin(), symbols.end());
}

// Hugging Face's Word::merge_all: repeatedly merge the adjacent pair with the lowest merge
// rank, the leftmost one on ties, through a priority queue over a linked list of symbols.
void Tokenizer::MergeByRank(std::vector<int32_t>* symbols) const {
  const auto n = static_cast<int32_t>(symbols->size());
  if (n < 2) return;
  std::vector<int32_t>& id = *symbols;
  std::vector<int32_t> next(n), prev(n);
  std::vector<uint8_t> alive(n, 1);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int32_t rank;
    int32_t pos;  // the left symbol
    int32_t left;
    int32_t right;
    int32_t result;
  };
  struct Later {  // priority_queue pops the greatest: lowest rank, then leftmost
    bool operator()(const Candidate& a, const Candidate& b) const {
      if (a.rank != b.rank) return a.rank > b.rank;
      return a.pos > b.pos;
    }
  };
  std::vector<Candidate> storage;
  storage.reserve(n);
  std::priority_queue<Candidate, std::vector<Candidate>, Later> queue(Later(), std::move(storage));
  auto consider = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    const int32_t rank = tables_.FindMerge(id[pos], id[next[pos]]);
    if (rank >= 0) {
      const auto merged = static_cast<int32_t>(tables_.merge(rank).merged);
      queue.push({rank, pos, id[pos], id[next[pos]], merged});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    // Stale entries: a side was merged away or changed since the pair was queued.
    if (!alive[c.pos] || id[c.pos] != c.left) continue;
    const int32_t r = next[c.pos];
    if (r < 0 || id[r] != c.right) continue;
    id[c.pos] = c.result;
    alive[r] = 0;
    next[c.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = c.pos;
    consider(prev[c.pos]);
    consider(c.pos);
  }
  size_t out = 0;
  for (int32_t i = 0; i >= 0; i = next[i]) id[out++] = id[i];
  id.resize(out);
}

// SentencePiece BPE on one segment of text (the whole text unless added tokens cut it):
//  1. (remove_extra_whitespaces) normalize spaces; ' ' is spelled U+2581 in pieces;
//  2. (dummy_prefix) a U+2581 symbol first when the text is not empty;
//  3. split the bytes into symbols the way llama2.c run.c does: a symbol starts at every
//     byte that is not a UTF-8 continuation byte (10xxxxxx) and takes the continuation bytes
//     that follow, up to 4 bytes in all. So a valid character is one symbol, a continuation
//     byte after a complete 4-byte group or at the start of the text is a symbol of its own,
//     and continuation bytes after an ASCII byte join it (run.c does not decode lead bytes);
//  4. a symbol that is a piece becomes that piece; otherwise one byte token per byte
//     (byte_fallback) or unk (consecutive unks fused into one, as SentencePiece does);
//  5. without merges: repeatedly merge the adjacent pair whose concatenation is a piece
//     with the highest score, the leftmost pair on ties (a priority queue over a linked
//     list of symbols); byte and unk tokens never merge. With merges (Hugging Face
//     tokenizer.json): rank-ordered merges as in MergeByRank.
void Tokenizer::EncodeSentencePiece(std::string_view raw_text, bool dummy_prefix,
                                    std::vector<int32_t>* ids) const {
  std::string normalized_storage;
  std::string_view text = raw_text;
  if (settings_.remove_extra_whitespaces) {
    normalized_storage = RemoveExtraWhitespaces(raw_text);
    text = normalized_storage;
  }
  if (text.empty()) return;

  // A symbol is a byte range of `spelled` (the text with ' ' spelled U+2581) while it can
  // merge; merged symbols are contiguous, so a pair's concatenation is a view of `spelled`.
  struct Symbol {
    uint32_t begin;
    uint32_t length;
    int32_t id;
    int32_t prev;
    int32_t next;
    bool mergeable;
    bool alive;
  };
  std::string spelled;
  spelled.reserve(text.size() + 3);
  std::vector<Symbol> symbols;
  symbols.reserve(text.size() + 1);

  auto add_group = [&](std::string_view group_bytes) {
    const auto begin = static_cast<uint32_t>(spelled.size());
    for (char c : group_bytes) {
      if (c == ' ') {
        spelled += kSpaceSymbol;
      } else {
        spelled += c;
      }
    }
    const auto length = static_cast<uint32_t>(spelled.size() - begin);
    const int32_t id = FindMergeable(std::string_view(spelled).substr(begin, length));
    if (id >= 0) {
      symbols.push_back({begin, length, id, 0, 0, true, true});
    } else if (settings_.byte_fallback) {
      for (char c : group_bytes) {
        symbols.push_back({begin, length, byte_ids_[static_cast<uint8_t>(c)], 0, 0, false, true});
      }
    } else if (symbols.empty() || symbols.back().id != settings_.unk_id ||
               symbols.back().mergeable) {
      symbols.push_back({begin, length, settings_.unk_id, 0, 0, false, true});
    }
  };

  if (dummy_prefix) add_group(" ");
  for (size_t i = 0; i < text.size();) {
    size_t end = i + 1;
    while (end < text.size() && end - i < 4 && IsTrailByte(static_cast<uint8_t>(text[end]))) {
      ++end;
    }
    add_group(text.substr(i, end - i));
    i = end;
  }

  if (rank_merges_) {
    std::vector<int32_t> merged(symbols.size());
    for (size_t i = 0; i < symbols.size(); ++i) merged[i] = symbols[i].id;
    MergeByRank(&merged);
    ids->insert(ids->end(), merged.begin(), merged.end());
    return;
  }

  const int n = static_cast<int>(symbols.size());
  for (int i = 0; i < n; ++i) {
    symbols[i].prev = i - 1;
    symbols[i].next = i + 1 < n ? i + 1 : -1;
  }

  struct Pair {
    float score;
    int32_t left;  // symbol index; indices grow left to right
    int32_t right;
    uint32_t left_length;
    uint32_t right_length;
    int32_t id;
  };
  struct Lower {  // priority_queue pops the greatest: highest score, then leftmost
    bool operator()(const Pair& a, const Pair& b) const {
      if (a.score != b.score) return a.score < b.score;
      return a.left > b.left;
    }
  };
  std::priority_queue<Pair, std::vector<Pair>, Lower> queue;
  auto try_pair = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& a = symbols[left];
    const Symbol& b = symbols[right];
    if (!a.mergeable || !b.mergeable) return;
    const size_t length = size_t{a.length} + b.length;
    if (length > max_piece_bytes_) return;
    const int32_t id = FindMergeable(std::string_view(spelled).substr(a.begin, length));
    if (id < 0) return;
    queue.push({tables_.score(id), left, right, a.length, b.length, id});
  };
  for (int i = 0; i + 1 < n; ++i) try_pair(i, i + 1);

  while (!queue.empty()) {
    const Pair p = queue.top();
    queue.pop();
    Symbol& a = symbols[p.left];
    Symbol& b = symbols[p.right];
    // Stale entries: a side was merged away, or grew since the pair was queued.
    if (!a.alive || !b.alive || a.next != p.right || a.length != p.left_length ||
        b.length != p.right_length) {
      continue;
    }
    a.length += b.length;
    a.id = p.id;
    b.alive = false;
    a.next = b.next;
    if (b.next >= 0) symbols[b.next].prev = p.left;
    try_pair(a.prev, p.left);
    try_pair(p.left, a.next);
  }

  for (int i = 0; i >= 0 && i < n; i = symbols[i].next) ids->push_back(symbols[i].id);
}

// ---- Decode ----

void Tokenizer::DecodeStepByteLevel(DecodeState* state, int32_t id, std::string* out) const {
  if (id < 0 || id >= size()) {
    if (state->raw) {
      out->append(state->pending_bytes);
      state->pending_bytes.clear();
    } else {
      ResolveBytesLossy(&state->pending_bytes, /*final=*/true, out);
    }
    out->append(kReplacementChar);
    return;
  }
  const std::string_view piece = tables_.piece(id);
  const auto type = static_cast<TokenType>(tables_.type(id));
  if (type == TokenType::Unused) {
    // padding rows of the embedding matrix: not tokens (Hugging Face skips unknown ids)
  } else if (id_flags_[id] & kIdAdded) {
    state->pending_bytes += piece;
  } else if (!AppendByteLevelBytes(piece, &state->pending_bytes)) {
    state->pending_bytes += piece;  // not in the byte alphabet: its text, as HF does
  }
  if (state->raw) {
    out->append(state->pending_bytes);
    state->pending_bytes.clear();
  } else {
    ResolveBytesLossy(&state->pending_bytes, /*final=*/false, out);
  }
}

void Tokenizer::DecodeStep(DecodeState* state, int32_t id, std::string* out) const {
  if (settings_.kind == TokenizerKind::ByteLevelBpe) {
    DecodeStepByteLevel(state, id, out);
    return;
  }
  auto resolve = [&](bool final) {
    if (state->raw) {
      out->append(state->pending_bytes);
      state->pending_bytes.clear();
    } else {
      ResolveBytes(&state->pending_bytes, final, out);
    }
  };
  const size_t out_before = out->size();
  const bool in_range = id >= 0 && id < size();
  int byte;
  if (in_range && static_cast<TokenType>(tables_.type(id)) == TokenType::Byte &&
      ParseBytePiece(tables_.piece(id), &byte)) {  // always parses: checked at load
    state->pending_bytes += static_cast<char>(byte);
    resolve(/*final=*/false);
    if (out->size() != out_before) state->text_empty = false;
    return;
  }
  // A non-byte piece ends the current run of byte tokens.
  resolve(/*final=*/true);
  if (out->size() != out_before) state->text_empty = false;
  if (state->bos_ws_seen || !state->text_empty) state->is_bos_ws = false;

  bool consumed_bos_ws = false;
  if (!in_range) {
    out->append(kReplacementChar);
  } else {
    const auto type = static_cast<TokenType>(tables_.type(id));
    if (type == TokenType::Control) {
      // invisible
    } else if (type == TokenType::Unknown) {
      out->append(kUnknownSurface);
    } else {
      std::string_view piece = tables_.piece(id);
      if (state->is_bos_ws && (settings_.add_dummy_prefix || settings_.remove_extra_whitespaces)) {
        if (piece.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) {
          piece.remove_prefix(kSpaceSymbol.size());
          // With remove_extra_whitespaces every leading space-only piece is dropped.
          consumed_bos_ws = !settings_.remove_extra_whitespaces;
        }
      }
      for (size_t pos = 0; pos < piece.size();) {
        if (piece.substr(pos, kSpaceSymbol.size()) == kSpaceSymbol) {
          *out += ' ';
          pos += kSpaceSymbol.size();
        } else {
          *out += piece[pos++];
        }
      }
    }
  }
  state->bos_ws_seen = consumed_bos_ws;
  if (out->size() != out_before) state->text_empty = false;
}

void Tokenizer::DecodeFinish(DecodeState* state, std::string* out) const {
  const size_t out_before = out->size();
  if (state->raw) {
    out->append(state->pending_bytes);
    state->pending_bytes.clear();
  } else if (settings_.kind == TokenizerKind::ByteLevelBpe) {
    ResolveBytesLossy(&state->pending_bytes, /*final=*/true, out);
  } else {
    ResolveBytes(&state->pending_bytes, /*final=*/true, out);
  }
  if (out->size() != out_before) state->text_empty = false;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  DecodeState state;
  std::string out;
  for (int32_t id : ids) DecodeStep(&state, id, &out);
  DecodeFinish(&state, &out);
  return out;
}

std::string Tokenizer::DecodeBytes(const std::vector<int32_t>& ids) const {
  DecodeState state;
  state.raw = true;
  std::string out;
  for (int32_t id : ids) DecodeStep(&state, id, &out);
  DecodeFinish(&state, &out);
  return out;
}

Expected<std::string> Tokenizer::DecodeChecked(const std::vector<int32_t>& ids) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= size()) {
      return Errorf("token id %d at position %zu is out of range (vocabulary of %d)", ids[i], i,
                    size());
    }
  }
  return Decode(ids);
}

std::string TokenStreamDecoder::Push(int32_t id) {
  std::string out;
  tokenizer_->DecodeStep(&state_, id, &out);
  return out;
}

std::string TokenStreamDecoder::Flush() {
  std::string out;
  tokenizer_->DecodeFinish(&state_, &out);
  state_ = Tokenizer::DecodeState();
  return out;
}

}  // namespace tinylm
