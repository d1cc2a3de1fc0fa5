/* replay.c — a main for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named on the command line, so that
 * `make check` replays every kept input with the normal compiler. A property that
 * fails aborts, as under the fuzzer; on success it prints one line per file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *more = realloc(buf, cap *= 2);
      if (!more) free(buf);
      buf = more;
    }
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE...  (runs the fuzz target once on each file)\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    size_t len;
    uint8_t *data = slurp(argv[i], &len);
    if (!data) {
      fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[i]);
      return 2;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    printf("ok %s\n", argv[i]);
  }
  return 0;
}
