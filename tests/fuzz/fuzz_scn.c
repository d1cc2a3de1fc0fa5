/* fuzz_scn — bprun's scenario reader (runtime/bprun/scn.c) and the expressions of
 * `expect` (expr.c), from memory, against a fixed bundle.
 *
 * Input: byte 0 picks the bundle (bundles.sh; its high bit asks for --reload: every
 * instance saved and restored between two commands), the rest is the scenario.
 * Property: any text gives pass/fail lines and counts, never a crash or a hang. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_bundles.h"
#include "host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t which = (data[0] & 0x7f) % FUZZ_NBUNDLES;
  ScnOptions opt = {.reload = (data[0] & 0x80) != 0};
  static FILE *out;
  if (!out) out = fopen("/dev/null", "w");
  FILE *in = fmemopen((void *)(data + 1), size - 1, "r");
  if (!out || !in) abort();
  Host h;
  host_init(&h);
  char why[256];
  if (!host_open(&h, fuzz_bundles[which].bytes, fuzz_bundles[which].len, why, sizeof why)) {
    fprintf(stderr, "fuzz_scn: %s does not load: %s\n", fuzz_bundles[which].name, why);
    abort();
  }
  int passed = 0, failed = 0;
  scn_run(&h, "fuzz.scn", in, &opt, out, &passed, &failed);
  fclose(in);
  host_close(&h);
  if (passed < 0 || failed < 0) abort();
  if (h.allocated != 0) {
    fprintf(stderr, "fuzz_scn: the runtime still holds %zu bytes after host_close\n", h.allocated);
    abort();
  }
  return 0;
}
