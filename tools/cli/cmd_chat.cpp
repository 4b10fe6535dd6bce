// `tinylm chat`: an interactive multi-turn conversation in the terminal. Each turn renders
// the whole conversation with the chat template, tokenizes it, keeps the longest common
// prefix with the ids the session already consumed (Session::Truncate) and evaluates only
// the rest, so the KV cache is reused across turns instead of re-reading the history.
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "commands.h"
#include "core/json.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "sampling_args.h"

namespace tinylm::cli {
namespace {

constexpr const char* kChatUsage =
    "usage: tinylm chat [-m MODEL.slm] [--system TEXT] [--template NAME] [-n N] [--ctx N]\n"
    "       [--verbose] [sampling flags as in run]; then one message per line;\n"
    "       /reset starts over, /exit (or end of input) quits";

struct Message {
  std::string role;
  std::string content;
};

// The text that ends an assistant message in this template: what it renders right after
// an assistant message's content, up to the end of that line, without surrounding spaces
// ("<|im_end|>" for chatml, "</s>" for llama2, "<|eot_id|>" for llama3). Empty when the
// template adds nothing there.
std::string EndMarker(const chat::Template& tmpl, const std::string& bos, const std::string& eos) {
  static const char kSentinel[] = "\x01tinylm-end-marker\x01";
  json::Value::Object vars;
  json::Value::Array messages;
  for (const auto& [role, content] :
       {std::pair<const char*, const char*>{"user", "hi"},
        std::pair<const char*, const char*>{"assistant", kSentinel}}) {
    messages.push_back(json::Value::MakeObject(
        {{"role", json::Value::MakeString(role)}, {"content", json::Value::MakeString(content)}}));
  }
  vars.emplace_back("messages", json::Value::MakeArray(std::move(messages)));
  vars.emplace_back("add_generation_prompt", json::Value::MakeBool(false));
  vars.emplace_back("bos_token", json::Value::MakeString(bos));
  vars.emplace_back("eos_token", json::Value::MakeString(eos));
  auto text = tmpl.Render(json::Value::MakeObject(std::move(vars)));
  if (!text.ok()) return std::string();
  const size_t at = text->find(kSentinel);
  if (at == std::string::npos) return std::string();
  std::string after = text->substr(at + sizeof(kSentinel) - 1);
  after = after.substr(0, after.find('\n'));
  const size_t first = after.find_first_not_of(" \t\r");
  if (first == std::string::npos) return std::string();
  const size_t last = after.find_last_not_of(" \t\r");
  return after.substr(first, last - first + 1);
}

Expected<std::string> Render(const chat::Template& tmpl, const std::vector<Message>& conversation,
                             const std::string& bos, const std::string& eos) {
  json::Value::Array messages;
  for (const Message& m : conversation) {
    messages.push_back(json::Value::MakeObject({{"role", json::Value::MakeString(m.role)},
                                                {"content", json::Value::MakeString(m.content)}}));
  }
  json::Value::Object vars;
  vars.emplace_back("messages", json::Value::MakeArray(std::move(messages)));
  vars.emplace_back("add_generation_prompt", json::Value::MakeBool(true));
  vars.emplace_back("bos_token", json::Value::MakeString(bos));
  vars.emplace_back("eos_token", json::Value::MakeString(eos));
  return tmpl.Render(json::Value::MakeObject(std::move(vars)));
}

// The rendered conversation as ids: special tokens written by the template are matched
// (as apply_chat_template(tokenize=True) does); BOS is added when the tokenizer adds one
// and the template did not already write it (as llama.cpp does).
Expected<std::vector<int32_t>> Tokenize(const Tokenizer& tokenizer, const std::string& text) {
  TL_ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                      tokenizer.Encode(text, /*add_bos=*/false, /*parse_special=*/true));
  const int32_t bos = tokenizer.bos_id();
  if (tokenizer.add_bos() && bos >= 0 && (ids.empty() || ids[0] != bos)) {
    ids.insert(ids.begin(), bos);
  }
  return ids;
}

std::string Piece(const Tokenizer& tokenizer, int32_t id) {
  if (id < 0 || id >= tokenizer.size()) return std::string();
  return std::string(tokenizer.piece(id));
}

}  // namespace

int ChatCommand(int argc, char** argv) {
  auto args = Args::Parse(
      argc, argv, WithSamplingFlags({"-m", "-n", "--ctx", "--system", "--template", "--lora"}),
      WithSamplingSwitches({"--verbose", "--no-verify", "--ignore-eos", "-h", "--help"}));
  if (!args.ok()) return Fail(args.status());
  if (args->Has("-h") || args->Has("--help")) {
    std::puts(kChatUsage);
    return 0;
  }
  if (!args->positional().empty()) {
    return Fail(Errorf("unexpected argument '%s'", args->positional()[0].c_str()));
  }
  auto model_or = LoadModelArg(*args);
  if (!model_or.ok()) return Fail(model_or.status());
  const Model& model = **model_or;
  const Tokenizer* tokenizer = model.tokenizer();
  if (!tokenizer) return Fail(Status::Error("chat needs a model with a tokenizer"));

  auto max_tokens = args->IntOr("-n", 256, 1, 1 << 24);
  auto context = args->IntOr("--ctx", 0, 0, 1 << 24);
  for (const Status& s : {max_tokens.status(), context.status()}) {
    if (!s.ok()) return Fail(s);
  }
  SamplerOptions sampler_options;
  sampler_options.seed =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  GenerateOptions options;
  if (Status s = ParseSamplingArgs(*args, model.config().vocab_size, &sampler_options, &options);
      !s.ok()) {
    return Fail(s);
  }
  options.ignore_stop = args->Has("--ignore-eos");

  // The template: --template NAME, else the model's own.
  Expected<std::string> source = std::string();
  if (auto name = args->Get("--template")) {
    source = chat::BuiltinTemplateSource(*name);
  } else {
    source = chat::ModelTemplateSource(model);
    if (!source.ok()) {
      return Fail(source.status().WithContext(
          "this model has no chat template; choose one with --template NAME (" +
          chat::BuiltinTemplateNames() + ")"));
    }
  }
  if (!source.ok()) return Fail(source.status());
  auto tmpl = chat::Template::Parse(*source);
  if (!tmpl.ok()) return Fail(tmpl.status().WithContext("parsing the chat template"));
  const std::string bos = Piece(*tokenizer, tokenizer->bos_id());
  const std::string eos = Piece(*tokenizer, tokenizer->eos_id());

  // A turn ends on the model's stop ids or on the template's end marker (also as an id when
  // it is one token of the vocabulary, which the decoder may render as nothing).
  const std::string end_marker = EndMarker(**tmpl, bos, eos);
  if (!end_marker.empty()) {
    options.stop_strings.push_back(end_marker);
    const int32_t id = tokenizer->PieceToId(end_marker);
    if (id >= 0) options.extra_stop_ids.push_back(id);
  }

  SessionOptions session_options;
  session_options.context_length = *context;
  auto session_or = Session::Create(model, session_options);
  if (!session_or.ok()) return Fail(session_or.status());
  Session& session = **session_or;
  auto lora = LoadLoraArgs(*args, model);
  if (!lora.ok()) return Fail(lora.status());
  if (Status s = AttachLoraArgs(*lora, &session); !s.ok()) return Fail(s);
  Sampler sampler(sampler_options);
  const bool verbose = args->Has("--verbose");
  const bool interactive = isatty(0) != 0;

  std::vector<Message> conversation;
  const auto start_conversation = [&] {
    conversation.clear();
    if (auto system = args->Get("--system")) conversation.push_back({"system", *system});
  };
  start_conversation();
  if (verbose) {
    std::fprintf(stderr, "tinylm: chat: context %d tokens; end marker \"%s\"; seed %" PRIu64 "\n",
                 session.context_length(), end_marker.c_str(), sampler_options.seed);
  }

  int turn = 0;
  std::string line;
  char buffer[4096];
  while (true) {
    if (interactive) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
    }
    // One line of input (any length).
    line.clear();
    bool got = false;
    while (std::fgets(buffer, sizeof(buffer), stdin)) {
      got = true;
      line += buffer;
      if (!line.empty() && line.back() == '\n') break;
    }
    if (!got) break;  // end of input
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      start_conversation();
      session.Reset();
      std::fputs("tinylm: the conversation was reset\n", stderr);
      continue;
    }
    if (line.empty()) continue;

    conversation.push_back({"user", line});
    auto rendered = Render(**tmpl, conversation, bos, eos);
    if (!rendered.ok()) return Fail(rendered.status().WithContext("rendering the chat template"));
    auto ids = Tokenize(*tokenizer, *rendered);
    if (!ids.ok()) return Fail(ids.status());
    if (ids->empty()) return Fail(Status::Error("the rendered conversation has no tokens"));
    if (static_cast<int>(ids->size()) >= session.context_length()) {
      return Fail(Errorf(
          "the conversation (%zu tokens) no longer fits the context (%d tokens); /reset starts "
          "over",
          ids->size(), session.context_length()));
    }

    // Reuse the longest common prefix of what the session holds; evaluate the rest (at
    // least one token, for the logits of the next one).
    const std::vector<int32_t>& held = session.tokens();
    size_t common = 0;
    while (common < held.size() && common < ids->size() && held[common] == (*ids)[common]) {
      ++common;
    }
    if (common == ids->size()) --common;
    if (Status s = session.Truncate(static_cast<int>(common)); !s.ok()) return Fail(s);
    const std::vector<int32_t> rest(ids->begin() + static_cast<std::ptrdiff_t>(common), ids->end());

    ++turn;
    GenerateOptions turn_options = options;  // a full context ends the turn (context_full)
    turn_options.max_tokens = *max_tokens;
    std::string reply;
    GenerateStats stats;
    auto reason = GenerateText(
        &session, &sampler, rest, turn_options,
        [&](std::string_view piece) {
          reply += piece;
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
          return true;
        },
        &stats);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!reason.ok()) return Fail(reason.status());
    conversation.push_back({"assistant", reply});
    if (verbose) {
      std::fprintf(stderr,
                   "tinylm: turn %d: prompt %zu tokens, evaluated %d, reused %zu; generated %d "
                   "tokens in %.2f ms; stop: %s\n",
                   turn, ids->size(), stats.prompt_tokens, common, stats.generated_tokens,
                   stats.generate_seconds * 1e3, std::string(StopReasonName(*reason)).c_str());
    }
  }
  return 0;
}

}  // namespace tinylm::cli
