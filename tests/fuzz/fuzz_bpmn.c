/* fuzz_bpmn — bytes as a BPMN 2.0 file through the importer: the safe XML reader,
 * the mapping onto the IR, code generation.
 *
 * Properties (abort on violation, which libFuzzer reports):
 *   - the reader answers every input with a model or messages, within its limits
 *     (no network, no entities: nothing outside the bytes is read);
 *   - every refusal is a message that names the file and a line
 *     (`fuzz.bpmn:LINE: error: …`);
 *   - importing is deterministic: the same bytes twice give the same bundle;
 *   - every bundle made from an accepted model verifies. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpmn.h"
#include "bpmn_ir.h"
#include "bpt.h"
#include "codegen.h"
#include "ir.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_INPUT = 1 << 20 };

/* The model's messages, as bpc prints them, in memory. */
static char *messages(const BpmnModel *m, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  if (!f) abort();
  bpmn_print_diags(m, f);
  fclose(f);
  return text;
}

static bool contains(const char *s, size_t n, const char *what) {
  size_t m = strlen(what);
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(s + i, what, m) == 0) return true;
  return false;
}

/* Every error line names the file and a line: `fuzz.bpmn:N: error: `. */
static void check_messages(const char *text) {
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    if (contains(line, n, ": error: ")) {
      const char *p = line;
      if (strncmp(p, "fuzz.bpmn:", 10) != 0) goto bad;
      p += 10;
      if (*p < '0' || *p > '9') goto bad;
      while (*p >= '0' && *p <= '9') p++;
      if (strncmp(p, ": error: ", 9) != 0) goto bad;
    }
    line += n + (end ? 1 : 0);
    continue;
  bad:
    fprintf(stderr, "fuzz_bpmn: an error without file:line: %.*s\n", (int)n, line);
    abort();
  }
}

/* The bundle of the bytes, or NULL when the importer refuses them. */
static uint8_t *import(const uint8_t *data, size_t size, size_t *len) {
  BpmnModel *m = bpmn_read("fuzz.bpmn", (const char *)data, size);
  IrProgram *ir = m->errors_n ? NULL : bpmn_to_ir(m, NULL);
  size_t mlen;
  char *text = messages(m, &mlen);
  check_messages(text);
  free(text);
  bpmn_free(m);
  uint8_t *bytes = NULL;
  *len = 0;
  BptError err;
  if (ir && !codegen_bundle(ir, &bytes, len, &err)) {
    /* A limit of the format (more than 65535 of something): a clean refusal. */
    bytes = NULL;
  }
  ir_free(ir);
  return bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_INPUT) return 0;
  size_t len1, len2;
  uint8_t *b1 = import(data, size, &len1);
  if (!b1) return 0;
  uint8_t *b2 = import(data, size, &len2);
  if (!b2 || len1 != len2 || memcmp(b1, b2, len1) != 0) {
    fprintf(stderr, "fuzz_bpmn: the same model gave two different bundles\n");
    abort();
  }
  BptBundle b;
  BptError err;
  bool ok = bpt_read(b1, len1, heap_realloc, NULL, &b, &err);
  if (ok) {
    ok = bpt_verify(&b, heap_realloc, NULL, &err);
    bpt_free(&b, heap_realloc, NULL);
  }
  if (!ok) {
    fprintf(stderr, "fuzz_bpmn: a bundle made from a model does not verify: %s\n", err.message);
    abort();
  }
  free(b1);
  free(b2);
  return 0;
}
