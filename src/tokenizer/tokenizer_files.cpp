#include "tokenizer/tokenizer_files.h"

#include <cstring>
#include <string_view>

#include "core/sha256.h"
#include "format/gguf.h"
#include "platform/file.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/hf_tokenizer_json.h"
#include "tokenizer/llama2c_vocab.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"

namespace tinylm {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool LooksLikeJson(const uint8_t* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '{';
  }
  return false;
}

Expected<Vocab> ParseTokenizerBytes(const std::string& path, const uint8_t* data, size_t size,
                                    int vocab_size_hint) {
  const std::string name = BaseName(path);
  if (size >= 4 && std::memcmp(data, "GGUF", 4) == 0) {
    TL_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::Parse(data, size, name));
    return VocabFromGguf(gguf);
  }
  if (EndsWith(name, ".json") || (!EndsWith(name, ".bin") && LooksLikeJson(data, size))) {
    return ParseHfTokenizerJson(std::string_view(reinterpret_cast<const char*>(data), size));
  }
  if (EndsWith(name, ".model") ||
      (!EndsWith(name, ".bin") && LooksLikeSentencePieceModel(data, size))) {
    return ParseSentencePieceModel(data, size);
  }
  return ParseLlama2cTokenizer(data, size, vocab_size_hint);
}

Expected<TokenizerSource> LoadSource(const std::string& path, int vocab_size_hint) {
  TL_ASSIGN_OR_RETURN(MappedFile file, MapFile(path));
  TokenizerSource source;
  source.file_name = BaseName(path);
  const auto digest = Sha256Digest(file.data(), file.size());
  source.sha256 = ToHex(digest.data(), digest.size());
  auto vocab = ParseTokenizerBytes(path, file.data(), file.size(), vocab_size_hint);
  if (!vocab.ok()) return vocab.status().WithContext(path);
  // Building the tokenizer checks what Validate cannot (merges name real pieces, byte
  // tokens are well formed), so that a bad source fails here and not when a model loads.
  Expected<Tokenizer> check = Tokenizer::Create(*vocab);
  if (!check.ok()) return check.status().WithContext(path);
  source.vocab = std::move(vocab).value();
  return source;
}

}  // namespace

Expected<TokenizerSource> LoadTokenizerFile(const std::string& path, int vocab_size_hint) {
  return LoadSource(path, vocab_size_hint);
}

Expected<std::optional<TokenizerSource>> LoadTokenizerFromDirectory(const std::string& directory,
                                                                    int vocab_size_hint) {
  std::optional<TokenizerSource> source;
  for (const char* name : {"tokenizer.json", "tokenizer.model"}) {
    const std::string path = directory + "/" + name;
    if (!FileExists(path)) continue;
    TL_ASSIGN_OR_RETURN(source, LoadSource(path, vocab_size_hint));
    break;
  }
  if (!source) return source;
  const std::string config = directory + "/tokenizer_config.json";
  if (FileExists(config)) {
    TL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(config, uint64_t{64} << 20));
    Status s = ApplyHfTokenizerConfig(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
        &source->vocab);
    if (!s.ok()) return s.WithContext(config);
  }
  return source;
}

}  // namespace tinylm
