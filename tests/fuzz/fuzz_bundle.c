/* fuzz_bundle — bundle bytes through the loader, the verifier and the disassembler;
 * a bundle that verifies is then run with events chosen by the input.
 *
 * Input: byte 0 is N (its high bit: leave the bundle's header as it is), bytes 1..N
 * are the events (drive.c), the rest is the bundle. Unless asked not to, the target
 * first sets the header's size and checksum to match the bytes: a mutation then
 * reaches the sections, the verifier and the interpreter instead of stopping at the
 * checksum (the inputs with the high bit reach the header checks).
 * Properties: the reader, verifier and disassembler never crash on any bytes; a
 * bundle the runtime loads (it verifies first) runs without a trap: every event gives
 * a clean status (drive.h), save -> restore -> save gives the same bytes, and nothing
 * is left allocated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpt.h"
#include "drive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *heap(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud, (void)old_size;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, new_size);
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void sink(void *ud, const char *text, size_t len) {
  size_t *total = ud;
  if (len) *total += (unsigned char)text[len - 1]; /* every byte printed is readable */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  bool raw = (data[0] & 0x80) != 0;
  size_t nevents = data[0] & 0x7f;
  if (nevents > size - 1) nevents = size - 1;
  const uint8_t *events = data + 1;
  size_t len = size - 1 - nevents;
  uint8_t *bundle = malloc(len ? len : 1);
  if (!bundle) abort();
  memcpy(bundle, data + 1 + nevents, len);
  if (!raw && len >= BPT_HEADER_SIZE) {
    put_u32(bundle + 8, (uint32_t)len);
    put_u32(bundle + 12, bpt_crc32c(0, bundle + BPT_HEADER_SIZE, len - BPT_HEADER_SIZE));
  }

  /* The format layer, as bpc disasm uses it. The source text handed to the
   * disassembler is part of the input, so a line table that points past it shows. */
  BptBundle b;
  BptError err;
  bool verified = false;
  if (bpt_read(bundle, len, heap, NULL, &b, &err)) {
    verified = bpt_verify(&b, heap, NULL, &err);
    /* Meant for verified bundles, but safe on any that reads (bpt.h). The source
     * is NUL-terminated, as read_file gives it to bpc disasm. */
    char *source = malloc(nevents + 1);
    if (!source) abort();
    memcpy(source, events, nevents);
    source[nevents] = '\0';
    size_t total = 0;
    bpt_disasm(&b, source, nevents, sink, &total);
    free(source);
    bpt_free(&b, heap, NULL);
  }

  /* The runtime: it must agree with the verifier. */
  Drive d;
  if (!drive_init(&d)) abort();
  bool loaded = drive_load(&d, bundle, len);
  if (loaded != verified) {
    fprintf(stderr, "fuzz_bundle: bpt_verify says %d, bp_bundle_load says %d\n", verified, loaded);
    abort();
  }
  if (loaded) {
    d.p = events, d.end = events + nevents;
    drive_start(&d, d.p < d.end ? *d.p++ : 0);
    drive_events(&d);
  }
  drive_free(&d);
  free(bundle);
  return 0;
}
