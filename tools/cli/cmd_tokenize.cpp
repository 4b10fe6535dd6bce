#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "commands.h"
#include "core/json.h"
#include "jsonl.h"
#include "tokenizer/tokenizer_files.h"

namespace tinylm::cli {
namespace {

// The tokenizer named by --tokenizer (a tokenizer.json, tokenizer.model, tokenizer.bin or
// .gguf file, read directly) or the one inside the model named by -m (or the built-in one).
struct LoadedTokenizer {
  std::unique_ptr<Model> model;
  std::optional<Tokenizer> own;
  const Tokenizer* get() const { return own ? &*own : model->tokenizer(); }
};

Expected<LoadedTokenizer> LoadTokenizerArg(const Args& args) {
  LoadedTokenizer loaded;
  if (auto path = args.Get("--tokenizer")) {
    if (args.Has("-m")) return Status::Error("give either -m MODEL or --tokenizer PATH, not both");
    TL_ASSIGN_OR_RETURN(TokenizerSource source, LoadTokenizerFile(*path, /*vocab_size_hint=*/-1));
    auto tokenizer = Tokenizer::Create(std::move(source.vocab));
    if (!tokenizer.ok()) return tokenizer.status().WithContext(*path);
    loaded.own.emplace(std::move(tokenizer).value());
    return loaded;
  }
  TL_ASSIGN_OR_RETURN(loaded.model, LoadModelArg(args));
  if (!loaded.model->tokenizer()) return Status::Error("this model has no tokenizer");
  return loaded;
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
  const Tokenizer* tokenizer = loaded->get();
  const bool add_bos = tokenizer->add_bos() && !args->Has("--no-bos");
  const bool parse_special = args->Has("--special");
  const std::string input = ReadStdin();
  if (!args->Has("--jsonl")) {
    auto ids = tokenizer->Encode(input, add_bos, parse_special);
    if (!ids.ok()) return Fail(ids.status());
    Write(IdsToJson(*ids) + "\n");
    return 0;
  }
  Status status = ForEachJsonlLine(input, [&](std::string_view line) -> Status {
    TL_ASSIGN_OR_RETURN(std::string text, ParseJsonlText(line));
    TL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer->Encode(text, add_bos, parse_special));
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
  const Tokenizer* tokenizer = loaded->get();
  const std::string input = ReadStdin();
  if (!args->Has("--jsonl")) {
    auto ids = ParseIdList(input);
    if (!ids.ok()) return Fail(ids.status());
    auto text = tokenizer->DecodeChecked(*ids);
    if (!text.ok()) return Fail(text.status());
    Write(*text);
    return 0;
  }
  Status status = ForEachJsonlLine(input, [&](std::string_view line) -> Status {
    TL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ParseJsonlIds(line));
    TL_ASSIGN_OR_RETURN(std::string text, tokenizer->DecodeChecked(ids));
    Write(json::Quote(text) + "\n");
    return Status::Ok();
  });
  if (!status.ok()) return Fail(status);
  return 0;
}

}  // namespace tinylm::cli
