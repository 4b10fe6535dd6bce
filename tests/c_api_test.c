/* The C API (include/tinylm.h) used from C: load stories260K from memory, tokenize,
 * detokenize, eval, and greedy generation token by token; errors come back as NULL or a
 * negative value with a message. Expected values: `tinylm run -p "Once upon a time" -n 10
 * --temp 0 --print-ids` of the native CLI (the same generation loop). */
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

  tinylm_session_free(session);
  tinylm_model_free(model);
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
