// `tinylm chat`: an interactive multi-turn conversation in the terminal. Each turn renders
// the whole conversation with the chat template, tokenizes it, keeps the longest common
// prefix with the ids the session already consumed (tinylm_session_keep_prefix) and
// evaluates only the rest, so the KV cache is reused across turns instead of re-reading the
// history. Built on the C API (include/tinylm.h).
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "api_args.h"
#include "commands.h"
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

// The template: --template NAME, else the model's own.
Expected<TemplateHandle> LoadTemplate(const Args& args, tinylm_model* model) {
  if (auto name = args.Get("--template")) {
    TemplateHandle tmpl(tinylm_chat_template_builtin(name->c_str()));
    if (!tmpl) return ApiError();
    return tmpl;
  }
  size_t length = 0;
  const char* source = tinylm_model_chat_template(model, &length);
  if (!source) {
    return ApiError().WithContext(
        std::string("this model has no chat template; choose one with --template NAME (") +
        tinylm_chat_template_names() + ")");
  }
  TemplateHandle tmpl(tinylm_chat_template_parse(source, length));
  if (!tmpl) return ApiError().WithContext("parsing the chat template");
  return tmpl;
}

std::string Piece(tinylm_tokenizer* tokenizer, int32_t id) {
  if (id < 0 || id >= tinylm_tokenizer_size(tokenizer)) return std::string();
  size_t length = 0;
  const char* piece = tinylm_tokenizer_piece(tokenizer, id, &length);
  return std::string(piece, length);
}

// The conversation rendered with the generation prompt.
Expected<std::string> Render(tinylm_chat_template* tmpl, const std::vector<Message>& conversation) {
  std::vector<tinylm_chat_message> messages;
  for (const Message& m : conversation) messages.push_back({m.role.c_str(), m.content.c_str()});
  size_t length = 0;
  const char* text =
      tinylm_chat_template_apply(tmpl, messages.data(), static_cast<int32_t>(messages.size()),
                                 /*add_generation_prompt=*/1, &length);
  if (!text) return ApiError();
  return std::string(text, length);
}

struct Reply {
  std::string text;
};

int32_t StreamPiece(int32_t, const char* piece, size_t length, void* reply) {
  if (length > 0) {
    static_cast<Reply*>(reply)->text.append(piece, length);
    std::fwrite(piece, 1, length, stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int ChatCommand(int argc, char** argv) {
  auto args = Args::Parse(
      argc, argv,
      WithSamplingFlags({"-m", "-n", "--ctx", "--kv-type", "--system", "--template", "--lora"}),
      WithSamplingSwitches({"--verbose", "--no-verify", "--ignore-eos", "-h", "--help"}));
  if (!args.ok()) return Fail(args.status());
  if (args->Has("-h") || args->Has("--help")) {
    std::puts(kChatUsage);
    return 0;
  }
  if (!args->positional().empty()) {
    return Fail(Errorf("unexpected argument '%s'", args->positional()[0].c_str()));
  }
  auto model_or = OpenModelArg(*args);
  if (!model_or.ok()) return Fail(model_or.status());
  tinylm_model* model = model_or->get();
  tinylm_tokenizer* tokenizer = tinylm_model_tokenizer(model);
  if (!tokenizer) return Fail(Status::Error("chat needs a model with a tokenizer"));

  auto max_tokens = args->IntOr("-n", 256, 1, 1 << 24);
  if (!max_tokens.ok()) return Fail(max_tokens.status());
  SamplingArgs sampling;
  sampling.sampling.seed =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  if (Status s = ParseSamplingArgs(*args, tinylm_model_vocab_size(model), &sampling); !s.ok()) {
    return Fail(s);
  }
  sampling.sampling.ignore_stop = args->Has("--ignore-eos");

  auto tmpl_or = LoadTemplate(*args, model);
  if (!tmpl_or.ok()) return Fail(tmpl_or.status());
  tinylm_chat_template* tmpl = tmpl_or->get();
  const std::string bos = Piece(tokenizer, tinylm_tokenizer_bos_id(tokenizer));
  const std::string eos = Piece(tokenizer, tinylm_tokenizer_eos_id(tokenizer));
  tinylm_chat_template_set_tokens(tmpl, bos.c_str(), eos.c_str());

  // A turn ends on the model's stop ids or on the template's end marker (also as an id when
  // it is one token of the vocabulary, which the decoder may render as nothing).
  const std::string end_marker = tinylm_chat_template_end_marker(tmpl);
  if (!end_marker.empty()) {
    sampling.stop_strings.push_back(end_marker);
    const int32_t id = tinylm_tokenizer_piece_id(tokenizer, end_marker.data(), end_marker.size());
    if (id >= 0) sampling.stop_ids.push_back(id);
  }
  const tinylm_sampling* options = sampling.Bind();

  auto session_or = OpenSessionArgs(*args, model);
  if (!session_or.ok()) return Fail(session_or.status());
  SessionHandle session_handle = std::move(session_or).value();
  tinylm_session* session = session_handle.get();
  auto lora = OpenLoraArgs(*args, model);
  if (!lora.ok()) return Fail(lora.status());
  if (Status s = AttachLoraArgs(*lora, session); !s.ok()) return Fail(s);
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
                 tinylm_session_context_length(session), end_marker.c_str(),
                 sampling.sampling.seed);
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
      tinylm_session_reset(session);
      std::fputs("tinylm: the conversation was reset\n", stderr);
      continue;
    }
    if (line.empty()) continue;

    conversation.push_back({"user", line});
    auto rendered = Render(tmpl, conversation);
    if (!rendered.ok()) return Fail(rendered.status().WithContext("rendering the chat template"));
    // Special tokens written by the template are matched (as apply_chat_template(
    // tokenize=True) does); BOS is added when the tokenizer adds one and the template did
    // not already write it (as llama.cpp does).
    auto ids = Encode(tokenizer, *rendered, TINYLM_BOS_ONCE, /*parse_special=*/true);
    if (!ids.ok()) return Fail(ids.status());
    if (ids->empty()) return Fail(Status::Error("the rendered conversation has no tokens"));
    const int context_length = tinylm_session_context_length(session);
    if (static_cast<int>(ids->size()) >= context_length) {
      return Fail(Errorf(
          "the conversation (%zu tokens) no longer fits the context (%d tokens); /reset starts "
          "over",
          ids->size(), context_length));
    }

    // Reuse the longest common prefix of what the session holds; evaluate the rest (at
    // least one token, for the logits of the next one).
    const int32_t common =
        tinylm_session_keep_prefix(session, ids->data(), static_cast<int32_t>(ids->size()));
    if (common < 0) return Fail(ApiError());
    const int32_t rest = static_cast<int32_t>(ids->size()) - common;

    ++turn;
    Reply reply;  // a full context ends the turn (context_full)
    const int32_t generated = tinylm_generate(session, ids->data() + common, rest, options,
                                              *max_tokens, StreamPiece, &reply);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (generated < 0) return Fail(ApiError());
    // One random stream for the whole conversation, as one sampler draws it.
    sampling.sampling.seed = tinylm_generate_rng_state(session);
    conversation.push_back({"assistant", reply.text});
    if (verbose) {
      tinylm_generate_stats stats;
      tinylm_generate_get_stats(session, &stats);
      std::fprintf(stderr,
                   "tinylm: turn %d: prompt %zu tokens, evaluated %d, reused %zu; generated %d "
                   "tokens in %.2f ms; stop: %s\n",
                   turn, ids->size(), stats.prompt_tokens, static_cast<size_t>(common),
                   stats.generated_tokens, stats.generate_seconds * 1e3,
                   tinylm_generate_stop_reason(session));
    }
  }
  return 0;
}

}  // namespace tinylm::cli
