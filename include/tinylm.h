/* tinylm's C API: load a .slm model (file or memory), tokenize, evaluate, sample, generate
 * (token by token or with a callback), save/restore/truncate sessions, attach LoRA adapters,
 * render chat templates. It is also the boundary of the WebAssembly module (web/). A complete
 * example program: docs/api.md (examples/api_example.c, built and run by CI).
 *
 * Conventions:
 *   - Handles are opaque (tinylm_model, tinylm_session); every *_free accepts NULL.
 *   - No C++ type or exception crosses this API. A failing call returns NULL or a negative
 *     number, and tinylm_last_error() says why (one line, valid until the next failing call
 *     on the same thread).
 *   - Strings are UTF-8. Strings returned as `const char*` are owned by the handle they came
 *     from and stay valid until the next call on that handle (or its free).
 *   - A session borrows its model: free the sessions before the model.
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
/* Loads a .slm file by path (memory-mapped where the platform can; read otherwise). */
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

/* Text -> ids. Writes at most `capacity` ids and returns how many the text has (call
 * again with a larger buffer when that is more than `capacity`); -1 on error (no
 * tokenizer). add_bos: 1 = prepend BOS, 0 = don't, -1 = as the model's tokenizer says. */
int32_t tinylm_tokenize(tinylm_model* model, const char* text, size_t text_length, int32_t add_bos,
                        int32_t* ids, int32_t capacity);

/* Ids -> text. The text is owned by the model (valid until the next call on it); its byte
 * length goes to *length when length is not NULL. NULL on error (an id out of range). */
const char* tinylm_detokenize(tinylm_model* model, const int32_t* ids, int32_t n, size_t* length);

/* A session (KV cache and scratch) over `model`; context_length 0 = the model's. */
tinylm_session* tinylm_session_create(tinylm_model* model, int32_t context_length);
void tinylm_session_free(tinylm_session* session);
/* Forgets the tokens fed so far (and any generation in progress). */
void tinylm_session_reset(tinylm_session* session);
int32_t tinylm_session_position(const tinylm_session* session);
int32_t tinylm_session_context_length(const tinylm_session* session);
/* Bytes this session allocated (KV cache). */
size_t tinylm_session_memory_bytes(const tinylm_session* session);

/* Feeds n ids at the current position and returns their logits: [n, vocab] with
 * all_logits, else [vocab] for the last id. The array is owned by the session (valid
 * until its next call). NULL on error (an id out of range, the context is full); the
 * session is unchanged then. */
const float* tinylm_session_eval(tinylm_session* session, const int32_t* ids, int32_t n,
                                 int32_t all_logits);

/* Generation, one token per call, so that a caller can stream and stop between tokens.
 * tinylm_generate_begin feeds the prompt (n >= 1 ids) and sets up the sampler
 * (temperature 0 = greedy; top_k 0 = off; top_p outside (0, 1) = off; the seed as in
 * `tinylm run --seed`). Returns 0, or -1 on error. */
int32_t tinylm_generate_begin(tinylm_session* session, const int32_t* prompt, int32_t n,
                              float temperature, int32_t top_k, float top_p, uint64_t seed,
                              int32_t ignore_stop);
/* The next token id (>= 0), TINYLM_GENERATE_DONE or TINYLM_GENERATE_ERROR. The text the
 * token completes is then tinylm_generate_piece() (may be "" while a UTF-8 sequence is
 * incomplete). After DONE, the piece holds the decoder's remaining text. */
int32_t tinylm_generate_next(tinylm_session* session);
/* The text piece of the last tinylm_generate_next / tinylm_generate_end call; its byte
 * length goes to *length when length is not NULL. */
const char* tinylm_generate_piece(tinylm_session* session, size_t* length);
/* Ends a generation early (max tokens, cancelled): flushes the decoder into the piece. */
const char* tinylm_generate_end(tinylm_session* session, size_t* length);
/* Why the last generation ended: "stop_token", "context_full", "max_tokens", "cancelled",
 * or "" while running. */
const char* tinylm_generate_stop_reason(const tinylm_session* session);

/* ---- Sampling options and whole generations ---- */

/* Every control of the sampler chain (src/runtime/sampler.h documents the fixed order:
 * penalties and bias -> temperature -> softmax -> top-k -> typical -> top-p -> min-p ->
 * draw). Start from tinylm_sampling_defaults() and change what you need. */
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
  int32_t ignore_stop;      /* 1 = keep going past the model's stop ids */
  const int32_t* bias_ids;  /* logit bias: bias_values[i] is added to logit bias_ids[i] */
  const float* bias_values; /* (-INFINITY bans the id) */
  int32_t n_bias;
} tinylm_sampling;

/* temperature 0.8, top_p 0.9, everything else off, seed 0 (see `tinylm run --seed`). */
tinylm_sampling tinylm_sampling_defaults(void);

/* tinylm_generate_begin with every sampling control. Returns 0, or -1 on error (invalid
 * options, a prompt that does not fit). */
int32_t tinylm_generate_begin_ex(tinylm_session* session, const int32_t* prompt, int32_t n,
                                 const tinylm_sampling* options);

/* Called for each generated token with its id and the text it completes (possibly ""). Return
 * 0 to go on, non-zero to stop. */
typedef int32_t (*tinylm_token_callback)(int32_t id, const char* piece, size_t length,
                                         void* user_data);

/* A whole generation: feeds the prompt, then samples up to max_tokens tokens, calling
 * on_token for each; a stop id, a full context or a non-zero callback result ends it. Returns
 * the number of tokens generated, or -1 on error. The reason is tinylm_generate_stop_reason()
 * ("stop_token", "context_full", "max_tokens" or "cancelled"). */
int32_t tinylm_generate(tinylm_session* session, const int32_t* prompt, int32_t n,
                        const tinylm_sampling* options, int32_t max_tokens,
                        tinylm_token_callback on_token, void* user_data);

/* ---- Sessions: go back, save, restore ---- */

/* Goes back to `position` (<= the current one): the ids after it are forgotten, the next
 * eval continues there. Returns 0, or -1 on error. */
int32_t tinylm_session_truncate(tinylm_session* session, int32_t position);
/* The session's state (KV cache, ids, position; bound to its model and adapters) as bytes
 * owned by the session (valid until its next call); NULL on error. */
const uint8_t* tinylm_session_save(tinylm_session* session, size_t* length);
/* Restores a saved state; refuses one from another model, adapter set or context length.
 * Returns 0, or -1 on error (the session is unchanged then). */
int32_t tinylm_session_restore(tinylm_session* session, const void* data, size_t size);

/* ---- LoRA adapters (.slma files from `tinylm convert ADAPTER --base MODEL.slm`) ---- */

/* Loads an adapter and checks it fits `base` (the exact base file it was converted for).
 * The base must outlive the adapter, and the adapter every session it is attached to. */
tinylm_adapter* tinylm_adapter_load_file(tinylm_model* base, const char* path);
void tinylm_adapter_free(tinylm_adapter* adapter);
/* Applies the adapter unmerged (y = W x + scale * alpha/r * B (A x)) to the session's next
 * evaluations; attaching again changes the scale. Sub-microsecond, no weight is touched.
 * Returns 0, or -1 on error. */
int32_t tinylm_session_attach_adapter(tinylm_session* session, const tinylm_adapter* adapter,
                                      float scale);
/* Returns 1 if the adapter was attached, 0 if not. */
int32_t tinylm_session_detach_adapter(tinylm_session* session, const tinylm_adapter* adapter);

/* ---- Chat templates ---- */

/* Renders a conversation with a chat template: `template_name` NULL = the model's own
 * (tokenizer.chat_template), else a built-in one ("chatml", "llama2", ...; docs/chat.md).
 * `variables_json` is a JSON object: messages [{role, content}], add_generation_prompt,
 * and any other template variable; bos_token / eos_token default to the model's. The
 * prompt is owned by the model (valid until its next call); NULL on error (an unsupported
 * construct, raise_exception, bad JSON). */
const char* tinylm_chat_render(tinylm_model* model, const char* template_name,
                               const char* variables_json, size_t json_length, size_t* length);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TINYLM_H_ */
