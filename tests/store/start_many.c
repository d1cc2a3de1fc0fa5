/* start_many.c — starts COUNT instances of PROCESS in a store, each in its own
 * transaction, from one program (the store's concurrency test and benchmark need
 * thousands; a bprun run per instance would spend its time starting bprun).
 *
 *   start_many URL PROCESS COUNT [name=value ...]
 *
 * Prints the first and last instance numbers; exits 1 on the first failure, with the
 * store's message. */
#include "bps.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: start_many URL PROCESS COUNT [name=value ...]\n");
    return 2;
  }
  char *end;
  long count = strtol(argv[3], &end, 10);
  if (*end || count < 1) {
    fprintf(stderr, "start_many: COUNT must be a positive number, not `%s`\n", argv[3]);
    return 2;
  }
  BpsStore *s = NULL;
  BpsError err = {0};
  if (bps_open(argv[1], &s, &err) != BPS_OK) {
    fprintf(stderr, "start_many: %s\n", err.message);
    return 2;
  }
  int64_t first = 0, id = 0;
  for (long k = 0; k < count; k++) {
    if (bps_start(s, argv[2], 0, (const char *const *)argv + 4, (size_t)(argc - 4), &id, &err) != BPS_OK) {
      fprintf(stderr, "start_many: instance %ld of %ld: %s\n", k + 1, count, err.message);
      bps_close(s);
      return 1;
    }
    if (!first) first = id;
  }
  printf("instances %lld to %lld\n", (long long)first, (long long)id);
  bps_close(s);
  return 0;
}
