/* fuzz_state — saved instance states restored into a fixed bundle, then events.
 *
 * Input: byte 0 picks the bundle (bundles.sh), byte 1 is N (its high bit: leave the
 * state's header as it is), bytes 2..N+1 are the events (drive.c), the rest is the
 * saved state (the seeds are real saves of the samples at various points,
 * tests/fuzz/corpus.sh). Unless asked not to, the target first sets the bundle
 * checksum and the state's own checksum (and, in version 3, its length) to match the
 * bytes: a mutation then reaches the decoder instead of stopping at a checksum (the
 * header checks are reached by the inputs with the high bit).
 * Properties: restore refuses damaged bytes with BP_EBADDATA (or BP_ENOMEM) and never
 * crashes or hangs; a restored state saves to bytes that restore and save again to the
 * same bytes; events on it give clean statuses (drive.h); nothing is left allocated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpt.h"

#include "drive.h"
#include "fuzz_bundles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The saved state (rt_save.c), version 4: magic "BS", version, u32 bundle checksum at
 * 3, the payload, a CRC-32C of all the bytes before it in the last 4. Version 3 (still
 * restored): magic "BPS\x1A", version, flags, process, u32 bundle checksum at 8, u32
 * length of the rest at 12, u32 CRC-32C of the rest at 16. */
enum { STATE_HEADER = 7, STATE_HEADER_3 = 20 };

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t which = data[0] % FUZZ_NBUNDLES;
  bool raw = (data[1] & 0x80) != 0;
  size_t nevents = data[1] & 0x7f;
  if (nevents > size - 2) nevents = size - 2;
  const uint8_t *events = data + 2;
  size_t len = size - 2 - nevents;
  uint8_t *state = malloc(len ? len : 1);
  if (!state) abort();
  memcpy(state, data + 2 + nevents, len);

  Drive d;
  if (!drive_init(&d)) abort();
  if (!drive_load(&d, fuzz_bundles[which].bytes, fuzz_bundles[which].len)) {
    fprintf(stderr, "fuzz_state: %s does not load\n", fuzz_bundles[which].name);
    abort();
  }
  if (!raw && len >= STATE_HEADER_3 && memcmp(state, "BPS\x1A", 4) == 0) {
    put_u32(state + 8, bp_bundle_checksum(d.bundle));
    put_u32(state + 12, (uint32_t)(len - STATE_HEADER_3));
    put_u32(state + 16, bpt_crc32c(0, state + STATE_HEADER_3, len - STATE_HEADER_3));
  } else if (!raw && len >= STATE_HEADER + 4) {
    put_u32(state + 3, bp_bundle_checksum(d.bundle));
    put_u32(state + len - 4, bpt_crc32c(0, state, len - 4));
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
  free(state);
  return 0;
}
