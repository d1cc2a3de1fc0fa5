/* seed_state.c — the seeds of fuzz_state: real saves of every fixed bundle's
 * instances at various points, each written as a fuzz_state input (bundle index,
 * no events, the saved bytes) into the directory given. Events are drawn from a
 * fixed generator, so the seeds are the same on every run. */
#include <stdio.h>
#include <stdlib.h>

#include "drive.h"
#include "fuzz_bundles.h"

typedef struct Out {
  const char *dir;
  unsigned n;
} Out;

static void save(void *ud, size_t bundle_index, const uint8_t *bytes, size_t len) {
  Out *o = ud;
  if (o->n >= 2000) return;
  char path[4096];
  snprintf(path, sizeof path, "%s/state-%03zu-%04u", o->dir, bundle_index, o->n++);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(2);
  }
  uint8_t head[2] = {(uint8_t)bundle_index, 0};
  fwrite(head, 1, 2, f);
  fwrite(bytes, 1, len, f);
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: seed_state DIR\n");
    return 2;
  }
  Out o = {argv[1], 0};
  uint32_t x = 12345;
  for (size_t b = 0; b < FUZZ_NBUNDLES; b++) {
    for (int run = 0; run < 4; run++) {
      uint8_t events[48];
      for (size_t i = 0; i < sizeof events; i++) {
        x = x * 1103515245u + 12345u;
        events[i] = (uint8_t)(x >> 16);
        if (i % 3 == 0) events[i] = (uint8_t)(events[i] & 0xf0) | 12; /* save often */
      }
      Drive d;
      if (!drive_init(&d) || !drive_load(&d, fuzz_bundles[b].bytes, fuzz_bundles[b].len)) return 1;
      d.saved = save, d.saved_ud = &o, d.bundle_index = b;
      d.p = events, d.end = events + sizeof events;
      drive_start(&d, (uint8_t)run);
      drive_events(&d);
      drive_free(&d);
    }
  }
  printf("%u states\n", o.n);
  return 0;
}
