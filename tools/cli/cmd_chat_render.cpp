// `tinylm render-chat`: a conversation (JSON on stdin) -> the prompt a chat template renders
// for it, byte for byte as transformers' apply_chat_template(..., tokenize=False) would.
#include <cstdio>
#include <string>

#include "chat/chat_template.h"
#include "commands.h"
#include "core/json.h"

namespace tinylm::cli {
namespace {

void Write(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

struct LoadedTemplate {
  std::unique_ptr<chat::Template> tmpl;
  std::string bos_token, eos_token;  // defaults from -m's tokenizer (empty = none)
  bool has_bos = false, has_eos = false;
};

Expected<LoadedTemplate> LoadTemplateArg(const Args& args) {
  const int sources = args.Has("-m") + args.Has("--template") + args.Has("--template-file");
  if (sources != 1) {
    return Status::Error(
        "usage: tinylm render-chat (-m MODEL.slm | --template-file FILE | --template NAME) "
        "[--jsonl] [--now YYYY-MM-DDTHH:MM:SS] < conversation.json");
  }
  LoadedTemplate loaded;
  std::string source;
  if (auto name = args.Get("--template")) {
    TL_ASSIGN_OR_RETURN(source, chat::BuiltinTemplateSource(*name));
  } else if (auto path = args.Get("--template-file")) {
    auto file = MapFile(*path);
    if (!file.ok()) return file.status();
    source.assign(reinterpret_cast<const char*>(file->data()), file->size());
  } else {
    TL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, LoadModelArg(args));
    auto own = chat::ModelTemplateSource(*model);
    if (!own.ok()) {
      return Status::Error(own.message() + "; give --template NAME (" +
                           chat::BuiltinTemplateNames() + ") or --template-file FILE");
    }
    source = std::move(own).value();
    if (const Tokenizer* t = model->tokenizer()) {
      auto piece = [&](int32_t id, std::string* out, bool* has) {
        if (id < 0 || id >= t->size()) return;
        *out = std::string(t->piece(id));
        *has = true;
      };
      piece(t->bos_id(), &loaded.bos_token, &loaded.has_bos);
      piece(t->eos_id(), &loaded.eos_token, &loaded.has_eos);
    }
  }
  auto parsed = chat::Template::Parse(source);
  if (!parsed.ok()) return parsed.status().WithContext("chat template");
  loaded.tmpl = std::move(parsed).value();
  return loaded;
}

// One conversation object -> the rendered prompt.
Expected<std::string> RenderOne(const LoadedTemplate& t, std::string_view text,
                                const chat::RenderOptions& options) {
  TL_ASSIGN_OR_RETURN(json::Value input, json::Parse(text));
  if (!input.is_object()) {
    return Status::Error(
        "expected a JSON object with \"messages\" (and optionally "
        "add_generation_prompt, bos_token, eos_token, tools, ...)");
  }
  if (!input.find("messages")) return Status::Error("the input object has no \"messages\"");
  json::Value::Object vars = input.as_object();
  if (t.has_bos && !input.find("bos_token")) {
    vars.emplace_back("bos_token", json::Value::MakeString(t.bos_token));
  }
  if (t.has_eos && !input.find("eos_token")) {
    vars.emplace_back("eos_token", json::Value::MakeString(t.eos_token));
  }
  return t.tmpl->Render(json::Value::MakeObject(std::move(vars)), options);
}

}  // namespace

// stdin: one JSON object (messages, add_generation_prompt, bos_token, eos_token, tools, any
// other template variable); stdout: the rendered prompt, nothing appended.
// --jsonl: one object per line; one {"text": ...} or {"error": ...} per output line; exit 0.
int RenderChatCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--template", "--template-file", "--now"},
                          {"--jsonl", "--no-verify"});
  if (!args.ok()) return Fail(args.status());
  chat::RenderOptions options;
  if (auto now = args->Get("--now")) {
    auto pinned = chat::ParseIsoLocalTime(*now);
    if (!pinned.ok()) return Fail(pinned.status().WithContext("--now"));
    const chat::LocalTime t = *pinned;
    options.clock = [t] { return t; };
  }
  auto loaded = LoadTemplateArg(*args);
  if (!loaded.ok()) return Fail(loaded.status());
  const std::string input = ReadStdin();
  if (!args->Has("--jsonl")) {
    auto text = RenderOne(*loaded, input, options);
    if (!text.ok()) return Fail(text.status());
    Write(*text);
    return 0;
  }
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    std::string_view line(input.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto text = RenderOne(*loaded, line, options);
    Write(text.ok() ? "{\"text\": " + json::Quote(*text) + "}\n"
                    : "{\"error\": " + json::Quote(text.message()) + "}\n");
  }
  return 0;
}

}  // namespace tinylm::cli
