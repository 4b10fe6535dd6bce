/* The C API (include/tinylm.h) used from C: load stories260K from memory, tokenize,
 * detokenize, eval, and greedy generation token by token; errors come back as NULL or a
 * negative value with a message. Expected values: `tinylm run -p "Once upon a time" -n 10
 * --temp 0 --print-ids` of the native CLI (the same generation loop).
 *
 * tinylm_sample is checked against the definition of each control of the sampler chain
 * (src/runtime/sampler.h) on fixed logits, with the random stream recomputed here from
 * run.c's xorshift64* and probabilities from libm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinylm.h"

static int failures = 0;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

/* run.c's random_u32 / random_f32. */
static float coin(uint64_t* state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (float)((uint32_t)((*state * 0x2545F4914F6CDD1DULL) >> 32) >> 8) / 16777216.0f;
}

/* The index whose cumulative interval [cdf - p, cdf) of probs (in the given order) holds r,
 * or -1 when r lies within 1e-4 of an interval end (float rounding could go either way). */
static int pick(const double* probs, const int* order, int n, double r) {
  double cdf = 0.0;
  for (int i = 0; i < n; ++i) {
    cdf += probs[order[i]];
    if (fabs(r - cdf) < 1e-4) return -1;
    if (r < cdf) return order[i];
  }
  return -1;
}

/* n_draws samples of tinylm_sample against the definition: the survivors `order` (by
 * descending probability for a truncated set, by id for sample_mult), their probabilities
 * renormalized over `mass`, one coin per call. */
static void check_draws(const tinylm_sampling* o, const float* logits, int n, const double* probs,
                        const int* order, int n_order, double mass, uint64_t seed) {
  uint64_t state = seed, expected_state = seed;
  int checked = 0;
  for (int draw = 0; draw < 200; ++draw) {
    const int32_t id = tinylm_sample(o, logits, n, NULL, 0, &state);
    const int want = pick(probs, order, n_order, coin(&expected_state) * mass);
    CHECK(state == expected_state); /* exactly one random number per call */
    if (want < 0) continue;
    CHECK(id == want);
    ++checked;
  }
  CHECK(checked > 150);
}

static void test_sample(void) {
  tinylm_sampling o = tinylm_sampling_defaults();
  const float logits[4] = {0.5f, 2.0f, 1.0f, 1.5f};
  uint64_t state = 42;

  /* Greedy: the argmax, no random number drawn; the logits are left as they were. */
  o.temperature = 0.0f;
  CHECK(tinylm_sample(&o, logits, 4, NULL, 0, &state) == 1);
  CHECK(state == 42);
  CHECK(logits[1] == 2.0f);

  /* Logit bias: -inf bans the argmax; a positive bias promotes an id. */
  int32_t bias_id = 1;
  float bias_value = -INFINITY;
  o.bias_ids = &bias_id;
  o.bias_values = &bias_value;
  o.n_bias = 1;
  CHECK(tinylm_sample(&o, logits, 4, NULL, 0, &state) == 3);
  bias_id = 0;
  bias_value = 1.6f; /* 0.5 + 1.6 = 2.1 > 2.0 */
  CHECK(tinylm_sample(&o, logits, 4, NULL, 0, &state) == 0);
  o.n_bias = 0;

  /* Repetition penalty (l > 0: l / p, l <= 0: l * p) over the window of the history. */
  const float pen[3] = {2.0f, 1.9f, -0.4f};
  const int32_t history[2] = {0, 2};
  o.repeat_penalty = 2.0f; /* 2.0 -> 1.0 < 1.9 */
  CHECK(tinylm_sample(&o, pen, 3, history, 2, &state) == 1);
  o.repeat_last_n = 1; /* only id 2 is in the window: id 0 keeps 2.0 */
  CHECK(tinylm_sample(&o, pen, 3, history, 2, &state) == 0);
  const float neg[2] = {-0.4f, -0.7f};
  const int32_t zero[1] = {0}; /* -0.4 * 2 = -0.8 < -0.7 */
  CHECK(tinylm_sample(&o, neg, 2, zero, 1, &state) == 1);
  o.repeat_penalty = 1.0f;
  o.repeat_last_n = -1;

  /* Presence and frequency: l - (count * frequency + (count > 0) * presence). */
  const float pf[2] = {1.0f, 0.8f};
  const int32_t thrice[3] = {0, 0, 0};
  o.frequency_penalty = 0.1f; /* 1.0 - 0.3 = 0.7 < 0.8 */
  CHECK(tinylm_sample(&o, pf, 2, thrice, 3, &state) == 1);
  o.frequency_penalty = 0.0f;
  o.presence_penalty = 0.1f; /* 1.0 - 0.1 = 0.9 > 0.8 */
  CHECK(tinylm_sample(&o, pf, 2, thrice, 3, &state) == 0);
  o.presence_penalty = 0.3f; /* 0.7 < 0.8 */
  CHECK(tinylm_sample(&o, pf, 2, thrice, 3, &state) == 1);
  o.presence_penalty = 0.0f;

  /* Temperature 1, nothing truncated: run.c's sample_mult, the first id (by id) whose
   * running cdf exceeds the coin. */
  const double p3[3] = {0.5, 0.3, 0.2};
  const float l3[3] = {logf(0.5f), logf(0.3f), logf(0.2f)};
  const int by_id[3] = {0, 1, 2};
  o.temperature = 1.0f;
  o.top_p = 1.0f;
  check_draws(&o, l3, 3, p3, by_id, 3, 1.0, 7);

  /* Temperature 2: softmax of l / 2, probabilities proportional to sqrt(p). */
  double p3t[3], sum = 0.0;
  for (int i = 0; i < 3; ++i) sum += (p3t[i] = sqrt(p3[i]));
  for (int i = 0; i < 3; ++i) p3t[i] /= sum;
  o.temperature = 2.0f;
  check_draws(&o, l3, 3, p3t, by_id, 3, 1.0, 8);
  o.temperature = 1.0f;

  /* top-p 0.6: the shortest prefix by descending probability whose sum exceeds 0.6 is
   * {0, 1}; the draw is coin * 0.8 over it. */
  o.top_p = 0.6f;
  check_draws(&o, l3, 3, p3, by_id, 2, 0.8, 9);
  o.top_p = 1.0f;

  /* top-k 2: {0, 1} renormalized (0.625, 0.375), sample_mult by id. */
  const double p2[3] = {0.625, 0.375, 0.0};
  o.top_k = 2;
  check_draws(&o, l3, 3, p2, by_id, 2, 1.0, 10);
  o.top_k = 0;

  /* min-p 0.7: p >= 0.35 keeps id 0 alone (the draw still takes its coin). */
  o.min_p = 0.7f;
  uint64_t s1 = 11, s2 = 11;
  for (int i = 0; i < 20; ++i) {
    CHECK(tinylm_sample(&o, l3, 3, NULL, 0, &s1) == 0);
    coin(&s2);
    CHECK(s1 == s2);
  }
  /* min-p 0.5: p >= 0.25 keeps {0, 1}; the draw by descending probability. */
  o.min_p = 0.5f;
  check_draws(&o, l3, 3, p3, by_id, 2, 0.8, 12);
  o.min_p = 0.0f;

  /* Locally typical: H = -sum p ln p = 1.0297; |-ln p - H| = 0.336, 0.174, 0.580, so the
   * order is 1, 0, 2. typical_p 0.25 keeps id 1 alone (0.3 > 0.25), the most typical id,
   * not the most probable one; 0.5 keeps {1, 0}. */
  o.typical_p = 0.25f;
  for (int i = 0; i < 20; ++i) CHECK(tinylm_sample(&o, l3, 3, NULL, 0, &state) == 1);
  o.typical_p = 0.5f;
  check_draws(&o, l3, 3, p3, by_id, 2, 0.8, 13);
  o.typical_p = 1.0f;

  /* Same seed, same ids. */
  uint64_t a = 99, b = 99;
  for (int i = 0; i < 50; ++i) {
    CHECK(tinylm_sample(&o, logits, 4, NULL, 0, &a) == tinylm_sample(&o, logits, 4, NULL, 0, &b));
  }

  /* Invalid options are an error with a message, not a crash. */
  o.min_p = 1.5f;
  CHECK(tinylm_sample(&o, logits, 4, NULL, 0, &state) == -1);
  CHECK(strstr(tinylm_last_error(), "min_p") != NULL);
  CHECK(tinylm_sampling_validate(&o, 4) == -1);
  o.min_p = 0.0f;
  CHECK(tinylm_sampling_validate(&o, 4) == 0);
  bias_id = 4;
  o.n_bias = 1;
  CHECK(tinylm_sampling_validate(&o, 4) == -1);
  CHECK(strstr(tinylm_last_error(), "outside the vocabulary") != NULL);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: c_api_test MODEL.slm\n");
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END);
  size_t size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  void* buffer = tinylm_alloc(size);
  CHECK(buffer != NULL);
  CHECK(fread(buffer, 1, size, f) == size);
  fclose(f);

  /* Not a model: NULL and a message. */
  char junk[256] = {0};
  CHECK(tinylm_model_load_copy(junk, sizeof junk, 0) == NULL);
  CHECK(strstr(tinylm_last_error(), "magic") != NULL);

  tinylm_model* model = tinylm_model_load(buffer, size, 0);
  CHECK(model != NULL);
  if (!model) return 1;
  CHECK(strstr(tinylm_model_info_json(model), "\"architecture\":\"llama\"") != NULL);
  CHECK(tinylm_model_vocab_size(model) == 512);

  const char* text = "Once upon a time";
  int32_t ids[64];
  int32_t n = tinylm_tokenize(model, text, strlen(text), 1, ids, 64);
  CHECK(n > 1 && ids[0] == 1);
  size_t length = 0;
  const char* back = tinylm_detokenize(model, ids, n, &length);
  CHECK(back != NULL && length == strlen(text) && memcmp(back, text, length) == 0);

  /* An f16 KV cache is half the bytes; an unknown cache type is an error. */
  tinylm_session* f32_cache = tinylm_session_create_ex(model, 64, TINYLM_KV_F32);
  tinylm_session* f16_cache = tinylm_session_create_ex(model, 64, TINYLM_KV_F16);
  CHECK(f32_cache != NULL && f16_cache != NULL);
  CHECK(tinylm_session_memory_bytes(f16_cache) * 2 == tinylm_session_memory_bytes(f32_cache));
  CHECK(tinylm_session_create_ex(model, 64, 7) == NULL);
  CHECK(strstr(tinylm_last_error(), "KV cache type") != NULL);
  tinylm_session_free(f32_cache);
  tinylm_session_free(f16_cache);

  tinylm_session* session = tinylm_session_create(model, 0);
  CHECK(session != NULL);
  CHECK(tinylm_session_eval(session, ids, n, 1) != NULL);
  CHECK(tinylm_session_position(session) == n);
  int32_t bad = 100000;
  CHECK(tinylm_session_eval(session, &bad, 1, 0) == NULL);
  CHECK(tinylm_last_error()[0] != '\0');

  tinylm_session_reset(session);
  CHECK(tinylm_generate_begin(session, ids, n, 0.0f, 0, 0.9f, 0, 0) == 0);
  const int32_t expected[10] = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317};
  char story[256] = {0};
  for (int i = 0; i < 10; ++i) {
    int32_t id = tinylm_generate_next(session);
    CHECK(id == expected[i]);
    size_t piece_length = 0;
    const char* piece = tinylm_generate_piece(session, &piece_length);
    strncat(story, piece, sizeof story - strlen(story) - 1);
  }
  strncat(story, tinylm_generate_end(session, NULL), sizeof story - strlen(story) - 1);
  CHECK(strcmp(story, ", there was a little girl named Lily") == 0);

  /* The session's ids are the penalty history; stop ids; the tokenizer and the streaming
   * decoder give the same text as tinylm_detokenize. */
  int32_t n_held = 0;
  const int32_t* held = tinylm_session_tokens(session, &n_held);
  CHECK(n_held == tinylm_session_position(session) && n_held >= n && held[0] == ids[0]);
  int32_t n_stop = 0;
  const int32_t* stops = tinylm_model_stop_ids(model, &n_stop);
  CHECK(n_stop >= 1 && stops[0] == 2); /* llama2.c's EOS */
  tinylm_tokenizer* tok = tinylm_model_tokenizer(model);
  CHECK(tok != NULL && tinylm_tokenizer_size(tok) == 512 && tinylm_tokenizer_bos_id(tok) == 1);
  tinylm_decoder* decoder = tinylm_decoder_create(tok);
  char streamed[128] = {0};
  for (int i = 0; i < n; ++i) {
    strncat(streamed, tinylm_decoder_push(decoder, ids[i], NULL),
            sizeof streamed - 1 - strlen(streamed));
  }
  strncat(streamed, tinylm_decoder_flush(decoder, NULL), sizeof streamed - 1 - strlen(streamed));
  CHECK(strcmp(streamed, text) == 0);
  CHECK(tinylm_decoder_push(decoder, 100000, NULL) == NULL);
  tinylm_decoder_free(decoder);
  tinylm_tokenizer_free(tok); /* the model's: ignored */
  CHECK(tinylm_tokenizer_bos_id(tinylm_model_tokenizer(model)) == 1);

  tinylm_session_free(session);
  tinylm_model_free(model);
  test_sample();
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
