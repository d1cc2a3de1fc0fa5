/* fuzz_bpmn — bytes as a BPMN 2.0 file through the importer: the safe XML reader,
 * the mapping onto the IR, code generation.
 *
 * Properties (abort on violation, which libFuzzer reports):
 *   - the reader answers every input with a model or messages, within its limits
 *     (no network, no entities: nothing outside the bytes is read);
 *   - every refusal comes with a message that names the file and a line
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

/* Is there a line `fuzz.bpmn:N: error: …` (the file and a line named)? Message
 * text may quote the input, so only the start of a line counts. */
static bool has_located_error(const char *text) {
  for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    const char *p = line;
    if (strncmp(p, "fuzz.bpmn:", 10) != 0) continue;
    p += 10;
    if (*p < '0' || *p > '9') continue;
    while (*p >= '0' && *p <= '9') p++;
    if (strncmp(p, ": error: ", 9) == 0) return true;
  }
  return false;
}

/* The bundle of the bytes, or NULL when the importer refuses them. */
static uint8_t *import(const uint8_t *data, size_t size, size_t *len) {
  BpmnModel *m = bpmn_read("fuzz.bpmn", (const char *)data, size);
  IrProgram *ir = m->errors_n ? NULL : bpmn_to_ir(m, NULL);
  size_t mlen;
  char *text = messages(m, &mlen);
  if (!ir && !has_located_error(text)) {
    fprintf(stderr, "fuzz_bpmn: refused without a `fuzz.bpmn:LINE: error:` message:\n%s", text);
    abort();
  }
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
