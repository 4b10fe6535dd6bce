// `tinylm render-chat`: a conversation (JSON on stdin) -> the prompt a chat template renders
// for it, byte for byte as transformers' apply_chat_template(..., tokenize=False) would; on
// the C API's chat templates (include/tinylm.h).
#include <cstdio>
#include <string>

#include "api_args.h"
#include "commands.h"
#include "core/json.h"
#include "platform/file.h"

namespace tinylm::cli {
namespace {

void Write(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

// The template of -m (with the model's bos_token / eos_token as defaults), --template NAME
// or --template-file FILE.
Expected<TemplateHandle> LoadTemplateArg(const Args& args) {
  const int sources = args.Has("-m") + args.Has("--template") + args.Has("--template-file");
  if (sources != 1) {
    return Status::Error(
        "usage: tinylm render-chat (-m MODEL.slm | --template-file FILE | --template NAME) "
        "[--jsonl] [--now YYYY-MM-DDTHH:MM:SS] < conversation.json");
  }
  if (auto name = args.Get("--template")) {
    TemplateHandle tmpl(tinylm_chat_template_builtin(name->c_str()));
    if (!tmpl) return ApiError();
    return tmpl;
  }
  std::string source;
  ModelHandle model;
  if (auto path = args.Get("--template-file")) {
    auto file = MapFile(*path);
    if (!file.ok()) return file.status();
    source.assign(reinterpret_cast<const char*>(file->data()), file->size());
  } else {
    TL_ASSIGN_OR_RETURN(model, OpenModelArg(args));
    size_t length = 0;
    const char* own = tinylm_model_chat_template(model.get(), &length);
    if (!own) {
      return Status::Error(std::string(tinylm_last_error()) + "; give --template NAME (" +
                           tinylm_chat_template_names() + ") or --template-file FILE");
    }
    source.assign(own, length);
  }
  TemplateHandle tmpl(tinylm_chat_template_parse(source.data(), source.size()));
  if (!tmpl) return ApiError().WithContext("chat template");
  if (tinylm_tokenizer* t = model ? tinylm_model_tokenizer(model.get()) : nullptr) {
    const auto piece = [&](int32_t id) { return tinylm_tokenizer_piece(t, id, nullptr); };
    tinylm_chat_template_set_tokens(tmpl.get(), piece(tinylm_tokenizer_bos_id(t)),
                                    piece(tinylm_tokenizer_eos_id(t)));
  }
  return tmpl;
}

// One conversation object -> the rendered prompt.
Expected<std::string> RenderOne(tinylm_chat_template* tmpl, std::string_view text) {
  TL_ASSIGN_OR_RETURN(json::Value input, json::Parse(text));
  if (!input.is_object()) {
    return Status::Error(
        "expected a JSON object with \"messages\" (and optionally "
        "add_generation_prompt, bos_token, eos_token, tools, ...)");
  }
  if (!input.find("messages")) return Status::Error("the input object has no \"messages\"");
  size_t length = 0;
  const char* rendered = tinylm_chat_template_render(tmpl, text.data(), text.size(), &length);
  if (!rendered) return ApiError();
  return std::string(rendered, length);
}

}  // namespace

// stdin: one JSON object (messages, add_generation_prompt, bos_token, eos_token, tools, any
// other template variable); stdout: the rendered prompt, nothing appended.
// --jsonl: one object per line; one {"text": ...} or {"error": ...} per output line; exit 0.
int RenderChatCommand(int argc, char** argv) {
  auto args = Args::Parse(argc, argv, {"-m", "--template", "--template-file", "--now"},
                          {"--jsonl", "--no-verify"});
  if (!args.ok()) return Fail(args.status());
  auto now = args->Get("--now");
  if (now && tinylm_chat_template_set_now(nullptr, now->c_str()) != 0) {
    return Fail(ApiError().WithContext("--now"));
  }
  auto loaded = LoadTemplateArg(*args);
  if (!loaded.ok()) return Fail(loaded.status());
  tinylm_chat_template* tmpl = loaded->get();
  if (now) tinylm_chat_template_set_now(tmpl, now->c_str());
  const std::string input = ReadStdin();
  if (!args->Has("--jsonl")) {
    auto text = RenderOne(tmpl, input);
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
    auto text = RenderOne(tmpl, line);
    Write(text.ok() ? "{\"text\": " + json::Quote(*text) + "}\n"
                    : "{\"error\": " + json::Quote(text.message()) + "}\n");
  }
  return 0;
}

}  // namespace tinylm::cli
