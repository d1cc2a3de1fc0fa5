/* fuzz_state — saved instance states restored into a fixed bundle, then events.
 *
 * Input: byte 0 picks the bundle (bundles.sh), byte 1 is N, bytes 2..N+1 are the
 * events (drive.c), the rest is the saved state (the seeds are real saves of the
 * samples at various points, tests/fuzz/corpus.sh).
 * Properties: restore refuses damaged bytes with BP_EBADDATA (or BP_ENOMEM) and never
 * crashes or hangs; a restored state saves to bytes that restore and save again to the
 * same bytes; events on it give clean statuses (drive.h); nothing is left allocated. */
#include <stdio.h>
#include <stdlib.h>

#include "drive.h"
#include "fuzz_bundles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t which = data[0] % FUZZ_NBUNDLES;
  size_t nevents = data[1];
  if (nevents > size - 2) nevents = size - 2;
  const uint8_t *events = data + 2, *state = data + 2 + nevents;
  size_t len = size - 2 - nevents;

  Drive d;
  if (!drive_init(&d)) abort();
  if (!drive_load(&d, fuzz_bundles[which].bytes, fuzz_bundles[which].len)) {
    fprintf(stderr, "fuzz_state: %s does not load\n", fuzz_bundles[which].name);
    abort();
  }
  BpInstance *inst = NULL;
  BpError err;
  BpStatus st = bp_instance_restore(d.bundle, NULL, state, len, &inst, &err);
  if (st == BP_OK) {
    drive_adopt(&d, inst);
    drive_roundtrip(&d, 0);
    d.p = events, d.end = events + nevents;
    drive_events(&d);
  } else if (st != BP_EBADDATA && st != BP_ENOMEM) {
    fprintf(stderr, "fuzz_state: restore refused with status %d: %s\n", (int)st, err.message);
    abort();
  }
  drive_free(&d);
  return 0;
}
