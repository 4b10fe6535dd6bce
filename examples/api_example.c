/* A complete program on tinylm's C API (include/tinylm.h), as shown in docs/api.md:
 * load a model, render a chat prompt, tokenize, stream a generation through a callback with
 * sampling options and a stop string, save the session, continue, restore, go back, run
 * your own loop with tinylm_session_eval + tinylm_sample + the streaming decoder, and
 * report errors.
 *
 *   cc -std=c11 examples/api_example.c -Iinclude build/release/libtinylm_core.a -lstdc++ -lm
 *   ./a.out build/release/stories260K.slm
 *
 * CI builds and runs it on the built-in stories260K model (ctest: ApiExample). */
#include <stdio.h>
#include <string.h>

#include "tinylm.h"

static int32_t print_piece(int32_t id, const char* piece, size_t length, void* user_data) {
  int* count = (int*)user_data;
  (void)id;
  fwrite(piece, 1, length, stdout);
  fflush(stdout);
  ++*count;
  return 0; /* non-zero would stop the generation */
}

static int fail(const char* what) {
  fprintf(stderr, "%s: %s\n", what, tinylm_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.slm\n", argv[0]);
    return 2;
  }
  printf("tinylm %s, kernels %s\n", tinylm_version(), tinylm_kernels());

  /* Errors come back as NULL / -1 with a message. */
  if (tinylm_model_load_file("/nonexistent.slm", 0) != NULL) return 1;
  printf("expected error: %s\n", tinylm_last_error());

  tinylm_model* model = tinylm_model_load_file(argv[1], 0);
  if (!model) return fail("load");
  printf("info: %.80s...\n", tinylm_model_info_json(model));

  /* A chat prompt from a built-in template (NULL would use the model's own). */
  const char* conversation =
      "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a story.\"}],"
      " \"add_generation_prompt\": true}";
  size_t prompt_length = 0;
  const char* chat =
      tinylm_chat_render(model, "chatml", conversation, strlen(conversation), &prompt_length);
  if (!chat) return fail("chat");
  printf("chatml prompt (%zu bytes):\n%s\n", prompt_length, chat);

  /* stories260K is a story model, not a chat model: prompt it with plain text. */
  const char* text = "Once upon a time";
  int32_t ids[256];
  int32_t n = tinylm_tokenize(model, text, strlen(text), -1, ids, 256);
  if (n < 0 || n > 256) return fail("tokenize");

  tinylm_session* session = tinylm_session_create(model, 0);
  if (!session) return fail("session");

  tinylm_sampling sampling = tinylm_sampling_defaults();
  sampling.temperature = 0.8f;
  sampling.top_p = 0.9f;
  sampling.repeat_penalty = 1.1f;
  sampling.seed = 42;
  const char* stops[1] = {"\n\n"}; /* never printed; matched across tokens */
  sampling.stop_strings = stops;
  sampling.n_stop_strings = 1;
  int count = 0;
  printf("%s", text);
  int32_t generated = tinylm_generate(session, ids, n, &sampling, 40, print_piece, &count);
  if (generated < 0) return fail("generate");
  printf("\n[%d tokens, stop: %s, position %d]\n", generated, tinylm_generate_stop_reason(session),
         tinylm_session_position(session));

  /* Save, evaluate more, restore: the session is back where it was. */
  size_t saved_length = 0;
  const uint8_t* saved = tinylm_session_save(session, &saved_length);
  if (!saved) return fail("save");
  static uint8_t copy[1 << 22];
  if (saved_length > sizeof copy) return 1;
  memcpy(copy, saved, saved_length);
  const int32_t position = tinylm_session_position(session);
  const int32_t more[3] = {1, 2, 3};
  if (!tinylm_session_eval(session, more, 3, 0)) return fail("eval");
  if (tinylm_session_restore(session, copy, saved_length) != 0) return fail("restore");
  printf("restored to position %d (was %d after 3 more ids)\n", tinylm_session_position(session),
         position + 3);

  /* Go back to the prompt and generate greedily instead. */
  if (tinylm_session_truncate(session, 0) != 0) return fail("truncate");
  sampling.temperature = 0.0f;
  count = 0;
  printf("%s", text);
  if (tinylm_generate(session, ids, n, &sampling, 20, print_piece, &count) < 0) {
    return fail("generate");
  }
  printf("\n");

  /* Your own loop: evaluate, sample with the same chain, decode as the ids come. */
  tinylm_session_reset(session);
  tinylm_tokenizer* tokenizer = tinylm_model_tokenizer(model);
  tinylm_decoder* decoder = tinylm_decoder_create(tokenizer);
  tinylm_sampling own = tinylm_sampling_defaults();
  own.repeat_penalty = 1.3f;
  uint64_t rng = 7; /* the seed; tinylm_sample advances it */
  for (int32_t i = 0; i < n; ++i) tinylm_decoder_push(decoder, ids[i], NULL); /* spacing */
  const float* logits = tinylm_session_eval(session, ids, n, 0);
  printf("%s", text);
  for (int i = 0; i < 20 && logits; ++i) {
    int32_t n_history = 0;
    const int32_t* history = tinylm_session_tokens(session, &n_history);
    int32_t id =
        tinylm_sample(&own, logits, tinylm_model_vocab_size(model), history, n_history, &rng);
    if (id < 0) return fail("sample");
    if (id == tinylm_tokenizer_eos_id(tokenizer)) break;
    printf("%s", tinylm_decoder_push(decoder, id, NULL));
    logits = tinylm_session_eval(session, &id, 1, 0);
  }
  printf("%s\n", tinylm_decoder_flush(decoder, NULL));
  tinylm_decoder_free(decoder);

  tinylm_session_free(session);
  tinylm_model_free(model);
  return 0;
}
