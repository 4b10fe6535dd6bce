// `tinylm tokenize` and `tinylm detokenize`, on the C API (include/tinylm.h): the tokenizer
// of a model, or one read from a file with --tokenizer.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "api_args.h"
#include "commands.h"
#include "core/json.h"
#include "jsonl.h"

namespace tinylm::cli {
namespace {

// The tokenizer named by --tokenizer (a tokenizer.json, tokenizer.model, tokenizer.bin or
// .gguf file, read directly) or the one inside the model named by -m (or the built-in one).
struct LoadedTokenizer {
  ModelHandle model;
  TokenizerHandle own;
  tinylm_tokenizer* get() const { return own ? own.get() : tinylm_model_tokenizer(model.get()); }
};

Expected<LoadedTokenizer> LoadTokenizerArg(const Args& args) {
  LoadedTokenizer loaded;
  if (auto path = args.Get("--tokenizer")) {
    if (args.Has("-m")) return Status::Error("give either -m MODEL or --tokenizer PATH, not both");
    loaded.own.reset(tinylm_tokenizer_load_file(path->c_str()));
    if (!loaded.own) return ApiError();
    return loaded;
  }
  TL_ASSIGN_OR_RETURN(loaded.model, OpenModelArg(args));
  if (!tinylm_model_tokenizer(loaded.model.get())) {
    return Status::Error("this model has no tokenizer");
  }
  return loaded;
}

// Ids -> text (checked: an id outside the vocabulary is an error).
Expected<std::string> Decode(tinylm_tokenizer* tokenizer, const std::vector<int32_t>& ids) {
  size_t length = 0;
  const char* text =
      tinylm_tokenizer_decode(tokenizer, ids.data(), static_cast<int32_t>(ids.size()), &length);
  if (!text) return ApiError();
  return std::string(text, length);
}

std::string IdsToJson(const std::vector<int32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

void Write(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

}  // namespace

// Text on stdin (exactly as given, no newline stripped) -> JSON array of ids on stdout.
// --jsonl: each stdin line is a JSON string; one JSON array of ids per output line.
// BOS follows the tokenizer (add_bos) unless --no-bos; --special matches special tokens
// (<|endoftext|>, <s>, ...) written in the text.
int TokenizeCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--tokenizer"},
                          {"--no-bos", "--no-verify", "--special", "--jsonl"});
  if (!args.ok()) return Fail(args.status());
  auto loaded = LoadTokenizerArg(*args);
  if (!loaded.ok()) return Fail(loaded.status());
  tinylm_tokenizer* tokenizer = loaded->get();
  const int32_t add_bos = args->Has("--no-bos") ? 0 : TINYLM_BOS_DEFAULT;
  const bool parse_special = args->Has("--special");
  const std::string input = ReadStdin();
  if (!args->Has("--jsonl")) {
    auto ids = Encode(tokenizer, input, add_bos, parse_special);
    if (!ids.ok()) return Fail(ids.status());
    Write(IdsToJson(*ids) + "\n");
    return 0;
  }
  Status status = ForEachJsonlLine(input, [&](std::string_view line) -> Status {
    TL_ASSIGN_OR_RETURN(std::string text, ParseJsonlText(line));
    TL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, Encode(tokenizer, text, add_bos, parse_special));
    Write(IdsToJson(ids) + "\n");
    return Status::Ok();
  });
  if (!status.ok()) return Fail(status);
  return 0;
}

// JSON array of ids on stdin -> text on stdout (nothing appended).
// --jsonl: each stdin line is a JSON array of ids; one JSON string per output line.
int DetokenizeCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--tokenizer"}, {"--no-verify", "--jsonl"});
  if (!args.ok()) return Fail(args.status());
  auto loaded = LoadTokenizerArg(*args);
  if (!loaded.ok()) return Fail(loaded.status());
  tinylm_tokenizer* tokenizer = loaded->get();
  const std::string input = ReadStdin();
  if (!args->Has("--jsonl")) {
    auto ids = ParseIdList(input);
    if (!ids.ok()) return Fail(ids.status());
    auto text = Decode(tokenizer, *ids);
    if (!text.ok()) return Fail(text.status());
    Write(*text);
    return 0;
  }
  Status status = ForEachJsonlLine(input, [&](std::string_view line) -> Status {
    TL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ParseJsonlIds(line));
    TL_ASSIGN_OR_RETURN(std::string text, Decode(tokenizer, ids));
    Write(json::Quote(text) + "\n");
    return Status::Ok();
  });
  if (!status.ok()) return Fail(status);
  return 0;
}

}  // namespace tinylm::cli
