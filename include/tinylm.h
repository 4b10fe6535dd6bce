/* tinylm's C API: load a .slm model (file or memory), tokenize and detokenize (the model's
 * tokenizer or one read from a file; incrementally for streaming), evaluate, sample (the
 * sampler chain on any logits), generate (token by token or with a callback; stop strings,
 * context shift), save/restore/truncate sessions, attach LoRA adapters, render chat
 * templates. The CLI's inference commands and the WebAssembly package (web/) are built on
 * it. A complete example program: docs/api.md (examples/api_example.c, built and run by CI).
 *
 * Conventions:
 *   - Handles are opaque (tinylm_model, tinylm_session, tinylm_adapter, tinylm_tokenizer,
 *     tinylm_decoder, tinylm_chat_template); every *_free accepts NULL.
 *   - No C++ type or exception crosses this API. A failing call returns NULL or a negative
 *     number, and tinylm_last_error() says why (one line, valid until the next failing call
 *     on the same thread).
 *   - Strings are UTF-8. Strings returned as `const char*` are owned by the handle they came
 *     from and stay valid until the next call on that handle (or its free).
 *   - A session borrows its model, an adapter its base model, a decoder its tokenizer: free
 *     sessions and decoders first, then adapters, then models.
 */
#ifndef TINYLM_H_
#define TINYLM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tinylm_model tinylm_model;
typedef struct tinylm_session tinylm_session;
typedef struct tinylm_adapter tinylm_adapter;
typedef struct tinylm_tokenizer tinylm_tokenizer;
typedef struct tinylm_decoder tinylm_decoder;
typedef struct tinylm_chat_template tinylm_chat_template;

/* Return values of tinylm_generate_next() besides a token id (>= 0). */
#define TINYLM_GENERATE_DONE (-1)  /* a stop token or a full context; see stop_reason */
#define TINYLM_GENERATE_ERROR (-2) /* see tinylm_last_error() */

/* Flags of tinylm_model_load(). */
#define TINYLM_LOAD_NO_VERIFY 1u /* skip hashing the tensor data (the header is still checked) */

/* The library version, "MAJOR.MINOR.PATCH". */
const char* tinylm_version(void);

/* The message of the last failing call on this thread ("" when none failed). */
const char* tinylm_last_error(void);

/* A 64-byte-aligned buffer of `size` bytes, or NULL when memory is exhausted. The
 * WebAssembly loader writes the model file into such a buffer and hands it to
 * tinylm_model_load, so the weights live once in the module's memory. */
void* tinylm_alloc(size_t size);
void tinylm_free(void* buffer);

/* Loads a .slm model from `buffer` (from tinylm_alloc), which the model takes over and
 * uses in place: it is freed by tinylm_model_free, or right away when loading fails. */
tinylm_model* tinylm_model_load(void* buffer, size_t size, uint32_t flags);
/* Same, from bytes the caller keeps (they are copied once). */
tinylm_model* tinylm_model_load_copy(const void* bytes, size_t size, uint32_t flags);
void tinylm_model_free(tinylm_model* model);
/* Loads a .slm file by path (memory-mapped where the platform can; read otherwise). Errors
 * about the file's content name the path ("PATH: bad magic ..."). */
tinylm_model* tinylm_model_load_file(const char* path, uint32_t flags);

/* A JSON object describing the model: architecture, parameters, file bytes, context and
 * vocabulary sizes, the block description, bytes per tensor type, whether it fits the
 * 33.5 MB browser budget, the licence and provenance, and the other metadata. */
const char* tinylm_model_info_json(tinylm_model* model);
int32_t tinylm_model_vocab_size(const tinylm_model* model);
int32_t tinylm_model_context_length(const tinylm_model* model);
/* Bytes of weights one decode step reads (every matrix once, norms and biases, one row of
 * the token and position embeddings; a tied classifier reads the embedding in full): the
 * `weight_bytes_per_token` of `tinylm bench`, for a decode GB/s figure. */
uint64_t tinylm_model_weight_bytes_per_token(const tinylm_model* model);
/* The name of the matrix kernels in use ("scalar", "wasm-simd128", ...), as `tinylm bench`. */
const char* tinylm_kernels(void);
/* The ids that end a generation (end of sequence, end of turn), owned by the model; their
 * count goes to *n. */
const int32_t* tinylm_model_stop_ids(const tinylm_model* model, int32_t* n);

/* Text -> ids with the model's tokenizer (tinylm_tokenizer_encode without special tokens).
 * Writes at most `capacity` ids and returns how many the text has (call
 * again with a larger buffer when that is more than `capacity`); -1 on error (no
 * tokenizer). add_bos: 1 = prepend BOS, 0 = don't, -1 = as the model's tokenizer says. */
int32_t tinylm_tokenize(tinylm_model* model, const char* text, size_t text_length, int32_t add_bos,
                        int32_t* ids, int32_t capacity);

/* Ids -> text. The text is owned by the model (valid until the next call on it); its byte
 * length goes to *length when length is not NULL. NULL on error (an id out of range). */
const char* tinylm_detokenize(tinylm_model* model, const int32_t* ids, int32_t n, size_t* length);

/* A session (KV cache and scratch) over `model`; context_length 0 = the model's. */
tinylm_session* tinylm_session_create(tinylm_model* model, int32_t context_length);

/* KV cache element types of tinylm_session_create_ex (docs/sessions.md). */
#define TINYLM_KV_F32 0 /* the default; the golden logits are computed with it */
#define TINYLM_KV_F16 1 /* half the memory; keys and values rounded to binary16 when stored */

/* tinylm_session_create with the KV cache's element type. NULL on error (an unknown type). */
tinylm_session* tinylm_session_create_ex(tinylm_model* model, int32_t context_length,
                                         int32_t kv_type);
void tinylm_session_free(tinylm_session* session);
/* Forgets the tokens fed so far (and any generation in progress). */
void tinylm_session_reset(tinylm_session* session);
int32_t tinylm_session_position(const tinylm_session* session);
int32_t tinylm_session_context_length(const tinylm_session* session);
/* Bytes this session allocated (KV cache). */
size_t tinylm_session_memory_bytes(const tinylm_session* session);
/* The ids fed so far (ids[p] was fed at position p; the count is the position), owned by
 * the session (valid until its next call): the history tinylm_sample's penalties read. */
const int32_t* tinylm_session_tokens(const tinylm_session* session, int32_t* n);

/* Feeds n ids at the current position and returns their logits: [n, vocab] with
 * all_logits, else [vocab] for the last id. The array is owned by the session (valid
 * until its next call). NULL on error (an id out of range, the context is full); the
 * session is unchanged then. */
const float* tinylm_session_eval(tinylm_session* session, const int32_t* ids, int32_t n,
                                 int32_t all_logits);

/* Shifts a session whose context is full (or any): keeps the first `keep` ids, drops the
 * oldest half of the rest and re-evaluates the newer ids at their new positions (exact, see
 * docs/sessions.md). Returns how many ids were dropped, or -1 (nothing can be dropped). */
int32_t tinylm_session_shift(tinylm_session* session, int32_t keep);

/* ---- Sampling ---- */

/* Every control of the sampler chain (src/runtime/sampler.h documents the fixed order:
 * penalties and bias -> temperature -> softmax -> top-k -> typical -> top-p -> min-p ->
 * draw), and how a generation stops. Start from tinylm_sampling_defaults() and change what
 * you need. The arrays are read during the call that takes the options (tinylm_sample,
 * tinylm_generate, tinylm_generate_begin_ex), which copies what it keeps. */
typedef struct tinylm_sampling {
  float temperature;       /* 0 = greedy */
  int32_t top_k;           /* 0 = off */
  float top_p;             /* outside (0, 1) = off */
  float min_p;             /* 0 = off */
  float typical_p;         /* 1 = off */
  float repeat_penalty;    /* 1 = off */
  int32_t repeat_last_n;   /* penalty window over the session's ids; -1 = all, 0 = none */
  float presence_penalty;  /* 0 = off */
  float frequency_penalty; /* 0 = off */
  uint64_t seed;
  int32_t ignore_stop;      /* 1 = keep going past the model's stop ids (and stop_ids) */
  const int32_t* bias_ids;  /* logit bias: bias_values[i] is added to logit bias_ids[i] */
  const float* bias_values; /* (-INFINITY bans the id) */
  int32_t n_bias;
  /* Generations only (tinylm_sample ignores these): */
  const char* const* stop_strings; /* end when the text contains one (matched across */
  int32_t n_stop_strings;          /* tokens, never passed on); non-empty, NUL-terminated */
  const int32_t* stop_ids;         /* more ids that end a generation (e.g. end of turn) */
  int32_t n_stop_ids;
  int32_t context_shift; /* 1 = a full context shifts (tinylm_session_shift) instead of */
  int32_t keep_tokens;   /* ending the generation ("context_full"); keep_tokens are kept */
} tinylm_sampling;

/* temperature 0.8, top_p 0.9, repeat_last_n 64, everything else off, seed 0 (see
 * `tinylm run --seed`), no stop strings, a full context ends the generation. */
tinylm_sampling tinylm_sampling_defaults(void);

/* Checks the sampler controls (ranges, finite values; bias ids below vocab_size when it is
 * > 0): 0, or -1 with the reason in tinylm_last_error(). */
int32_t tinylm_sampling_validate(const tinylm_sampling* options, int32_t vocab_size);

/* Samples one id from logits[0..n) with the sampler chain, exactly as the generation
 * functions do (the same ids for the same logits, history and random state). `history`
 * holds the ids seen so far (e.g. tinylm_session_tokens), read by the penalties only (NULL
 * when n_history is 0). *rng_state is the random state: set it to the seed before the first
 * call; each call with temperature != 0 draws one number and updates it (greedy draws
 * none). The logits are not modified. Returns the id, or -1 on error (invalid options). */
int32_t tinylm_sample(const tinylm_sampling* options, const float* logits, int32_t n,
                      const int32_t* history, int32_t n_history, uint64_t* rng_state);

/* ---- Generation ---- */

/* Generation, one token per call, so that a caller can stream and stop between tokens.
 * tinylm_generate_begin_ex feeds the prompt (n >= 1 ids, appended to what the session
 * holds) and sets up the sampler and the stopping rules. Returns 0, or -1 on error (invalid
 * options, a prompt that does not fit, stop strings without a tokenizer). */
int32_t tinylm_generate_begin_ex(tinylm_session* session, const int32_t* prompt, int32_t n,
                                 const tinylm_sampling* options);
/* tinylm_generate_begin_ex with temperature, top_k, top_p, the seed and ignore_stop; the
 * other controls as tinylm_sampling_defaults(). */
int32_t tinylm_generate_begin(tinylm_session* session, const int32_t* prompt, int32_t n,
                              float temperature, int32_t top_k, float top_p, uint64_t seed,
                              int32_t ignore_stop);
/* The next token id (>= 0), TINYLM_GENERATE_DONE or TINYLM_GENERATE_ERROR. The text the
 * token makes final is then tinylm_generate_piece() (may be "" while a UTF-8 sequence or a
 * possible stop string is incomplete; the text of a model with a tokenizer continues the
 * session's text, spacing included). A token that completes a stop string is returned with
 * the text before the stop string; the next call returns DONE. After DONE, the piece holds
 * the remaining text. */
int32_t tinylm_generate_next(tinylm_session* session);
/* The text piece of the last tinylm_generate_next / tinylm_generate_end call; its byte
 * length goes to *length when length is not NULL. */
const char* tinylm_generate_piece(tinylm_session* session, size_t* length);
/* Ends a generation early (max tokens, cancelled): the piece is the remaining text; the stop
 * reason becomes "cancelled" if the generation was still running. */
const char* tinylm_generate_end(tinylm_session* session, size_t* length);
/* Why the last generation ended: "stop_token", "stop_string", "context_full", "max_tokens",
 * "cancelled", or "" while running. */
const char* tinylm_generate_stop_reason(const tinylm_session* session);

/* What the last generation measured (tinylm_generate or begin .. DONE / end). */
typedef struct tinylm_generate_stats {
  int32_t prompt_tokens;      /* ids fed by begin */
  int32_t generated_tokens;   /* ids sampled (stop ids not counted) */
  double prompt_seconds;      /* feeding the prompt */
  double generate_seconds;    /* from then to the end */
  int32_t context_shifts;     /* shifts of a full context (context_shift) */
  int32_t shifted_tokens;     /* ids they dropped */
  int32_t reevaluated_tokens; /* ids they re-evaluated */
} tinylm_generate_stats;
void tinylm_generate_get_stats(const tinylm_session* session, tinylm_generate_stats* stats);
/* The random state after the last generation (0 before any). Given as the next
 * generation's seed, it continues the same random stream instead of starting over: a whole
 * conversation then draws as one sampler would (`tinylm chat` does so across turns). */
uint64_t tinylm_generate_rng_state(const tinylm_session* session);

/* Called for each generated token with its id and the text it makes final (possibly "");
 * at the end, once more with id -1 and the remaining text when there is any. Return 0 to go
 * on, non-zero to stop (the remaining text is then dropped). It must not call functions on
 * the generating session. */
typedef int32_t (*tinylm_token_callback)(int32_t id, const char* piece, size_t length,
                                         void* user_data);

/* A whole generation: feeds the prompt, then samples up to max_tokens tokens, calling
 * on_token for each (`tinylm run`'s loop). A stop id, a stop string, a full context
 * (unless context_shift) or a non-zero callback result ends it. Returns the number of
 * tokens generated, or -1 on error. The reason is tinylm_generate_stop_reason(). */
int32_t tinylm_generate(tinylm_session* session, const int32_t* prompt, int32_t n,
                        const tinylm_sampling* options, int32_t max_tokens,
                        tinylm_token_callback on_token, void* user_data);

/* ---- Sessions: go back, save, restore ---- */

/* Goes back to `position` (<= the current one): the ids after it are forgotten, the next
 * eval continues there. Returns 0, or -1 on error. */
int32_t tinylm_session_truncate(tinylm_session* session, int32_t position);
/* Prompt caching: goes back to the longest common prefix of the session's ids and ids[0..n)
 * (at most n - 1 of them, so that at least one id is left to feed for the logits) and
 * returns its length: feed ids[kept..n) next. -1 on error. */
int32_t tinylm_session_keep_prefix(tinylm_session* session, const int32_t* ids, int32_t n);
/* The session's state (KV cache, ids, position; bound to its model and adapters) as bytes
 * owned by the session (valid until its next call); NULL on error. */
const uint8_t* tinylm_session_save(tinylm_session* session, size_t* length);
/* Restores a saved state; refuses one from another model, adapter set or context length.
 * Returns 0, or -1 on error (the session is unchanged then). */
int32_t tinylm_session_restore(tinylm_session* session, const void* data, size_t size);

/* ---- LoRA adapters (.slma files from `tinylm convert ADAPTER --base MODEL.slm`) ---- */

/* Loads an adapter and checks it fits `base` (the exact base file it was converted for).
 * The base must outlive the adapter, and the adapter every session it is attached to.
 * Errors name the path. */
tinylm_adapter* tinylm_adapter_load_file(tinylm_model* base, const char* path);
/* The same from a tinylm_alloc buffer, which the adapter takes over and uses in place (freed
 * with the adapter, or right away when loading fails). */
tinylm_adapter* tinylm_adapter_load(tinylm_model* base, void* buffer, size_t size);
void tinylm_adapter_free(tinylm_adapter* adapter);
/* Applies the adapter unmerged (y = W x + scale * alpha/r * B (A x)) to the session's next
 * evaluations; attaching again changes the scale. Sub-microsecond, no weight is touched.
 * Returns 0, or -1 on error. */
int32_t tinylm_session_attach_adapter(tinylm_session* session, const tinylm_adapter* adapter,
                                      float scale);
/* Returns 1 if the adapter was attached, 0 if not. */
int32_t tinylm_session_detach_adapter(tinylm_session* session, const tinylm_adapter* adapter);

/* ---- Tokenizers ---- */

/* tinylm_tokenizer_encode's add_bos besides 0 (no) and 1 (yes). */
#define TINYLM_BOS_DEFAULT (-1) /* as the tokenizer says (add_bos of its vocabulary) */
#define TINYLM_BOS_ONCE                                              \
  (-2) /* as the tokenizer says, unless the text's ids already begin \
          with BOS (a chat template that writes it; as llama.cpp) */

/* The model's tokenizer, owned by the model (tinylm_tokenizer_free ignores it); NULL with
 * "this model has no tokenizer" when it has none. */
tinylm_tokenizer* tinylm_model_tokenizer(tinylm_model* model);
/* A tokenizer read from a file: a Hugging Face tokenizer.json, a SentencePiece
 * tokenizer.model, a llama2.c tokenizer.bin or the vocabulary of a .gguf file. Free it
 * with tinylm_tokenizer_free. */
tinylm_tokenizer* tinylm_tokenizer_load_file(const char* path);
void tinylm_tokenizer_free(tinylm_tokenizer* tokenizer);

/* Text -> ids, as tinylm_tokenize. parse_special: 1 = special tokens written in the text
 * (<|im_start|>, <s>, ...) become their ids, 0 = they are tokenized as plain text. */
int32_t tinylm_tokenizer_encode(tinylm_tokenizer* tokenizer, const char* text, size_t text_length,
                                int32_t add_bos, int32_t parse_special, int32_t* ids,
                                int32_t capacity);
/* Ids -> text, owned by the tokenizer (valid until its next call); NULL on error (an id out
 * of range). */
const char* tinylm_tokenizer_decode(tinylm_tokenizer* tokenizer, const int32_t* ids, int32_t n,
                                    size_t* length);
int32_t tinylm_tokenizer_size(const tinylm_tokenizer* tokenizer);
int32_t tinylm_tokenizer_bos_id(const tinylm_tokenizer* tokenizer); /* -1 = none */
int32_t tinylm_tokenizer_eos_id(const tinylm_tokenizer* tokenizer); /* -1 = none */
/* The vocabulary's piece of `id` as stored (U+2581 for spaces in SentencePiece, GPT-2's byte
 * alphabet in byte-level BPE; special tokens as written), NUL-terminated, owned by the
 * tokenizer; NULL for an id out of range. */
const char* tinylm_tokenizer_piece(const tinylm_tokenizer* tokenizer, int32_t id, size_t* length);
/* The id of a piece, or -1 when the vocabulary has no such piece. */
int32_t tinylm_tokenizer_piece_id(const tinylm_tokenizer* tokenizer, const char* piece,
                                  size_t length);

/* Incremental ids -> text, for streaming: the concatenation of every push and the final
 * flush equals tinylm_tokenizer_decode of the same ids. The tokenizer must outlive it. */
tinylm_decoder* tinylm_decoder_create(tinylm_tokenizer* tokenizer);
void tinylm_decoder_free(tinylm_decoder* decoder);
/* The text `id` makes final (a partial UTF-8 sequence is held back), owned by the decoder
 * (valid until its next call); NULL for an id out of range. */
const char* tinylm_decoder_push(tinylm_decoder* decoder, int32_t id, size_t* length);
/* What is left (an incomplete UTF-8 sequence as U+FFFD); the decoder starts over. */
const char* tinylm_decoder_flush(tinylm_decoder* decoder, size_t* length);

/* ---- Chat templates ---- */

/* The built-in templates' names, comma-separated ("chatml, qwen2, llama2, ..."). */
const char* tinylm_chat_template_names(void);
/* The model's own template source (tokenizer.chat_template), owned by the model; NULL when
 * it has none. */
const char* tinylm_model_chat_template(tinylm_model* model, size_t* length);
/* Parses a template (a syntax error or an unsupported construct is an error naming it). */
tinylm_chat_template* tinylm_chat_template_parse(const char* source, size_t length);
/* A built-in template by name (docs/chat.md). */
tinylm_chat_template* tinylm_chat_template_builtin(const char* name);
void tinylm_chat_template_free(tinylm_chat_template* tmpl);
/* Pins the clock strftime_now reads to `now`, "YYYY-MM-DDTHH:MM:SS[.ffffff]" local time;
 * NULL goes back to the real clock. Returns 0, or -1 for a malformed time (the template is
 * unchanged). With tmpl NULL it only checks the time. */
int32_t tinylm_chat_template_set_now(tinylm_chat_template* tmpl, const char* now);
/* Renders `variables_json`, a JSON object (messages [{role, content}], add_generation_prompt,
 * bos_token, eos_token, tools, any other template variable), byte for byte as
 * transformers' apply_chat_template(tokenize=False). The prompt is owned by the template
 * (valid until its next call); NULL on error (bad JSON, raise_exception: its message). */
const char* tinylm_chat_template_render(tinylm_chat_template* tmpl, const char* variables_json,
                                        size_t json_length, size_t* length);
/* One message of a conversation (tinylm_chat_template_apply). */
typedef struct tinylm_chat_message {
  const char* role; /* "system", "user", "assistant", ... */
  const char* content;
} tinylm_chat_message;
/* Renders messages[0..n) with add_generation_prompt (0 or 1) and the template's bos / eos
 * tokens (tinylm_chat_template_set_tokens), as tinylm_chat_template_render would render the
 * same JSON. Owned by the template; NULL on error. */
const char* tinylm_chat_template_apply(tinylm_chat_template* tmpl,
                                       const tinylm_chat_message* messages, int32_t n,
                                       int32_t add_generation_prompt, size_t* length);
/* bos_token / eos_token for the renders whose variables lack them (usually the model's
 * tinylm_tokenizer_piece of its BOS and EOS ids); NULL = none. */
void tinylm_chat_template_set_tokens(tinylm_chat_template* tmpl, const char* bos, const char* eos);
/* The text that ends an assistant message in this template ("<|im_end|>" for chatml,
 * "</s>" for llama2, "<|eot_id|>" for llama3): what it renders right after an assistant
 * message, up to the end of that line, without surrounding spaces; "" when it adds nothing
 * there (or cannot render). A chat stops generating there: a stop string, and a stop id when
 * it is one piece of the vocabulary. Owned by the template. */
const char* tinylm_chat_template_end_marker(tinylm_chat_template* tmpl);

/* One call: renders with `template_name` (NULL = the model's own template) and bos_token /
 * eos_token defaulting to the model's. The prompt is owned by the model (valid until its
 * next call); NULL on error. */
const char* tinylm_chat_render(tinylm_model* model, const char* template_name,
                               const char* variables_json, size_t json_length, size_t* length);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TINYLM_H_ */
