/* two_threads.c — two runtimes on two threads at once, each running a scenario over and
 * over with bprun's own scenario engine; built with ThreadSanitizer (make tsan), which
 * must report nothing. The runtime has no global state, so the two never meet.
 *
 *   two_threads BUNDLE1 SCENARIO1 BUNDLE2 SCENARIO2 ROUNDS */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

typedef struct Job {
  const char *bundle, *scenario;
  int rounds;
  int passed, failed;
  char why[300];
} Job;

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = malloc(1 << 20);
  *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
  fclose(f);
  return buf;
}

static void *work(void *arg) {
  Job *job = arg;
  size_t len;
  uint8_t *bytes = slurp(job->bundle, &len);
  if (!bytes) {
    snprintf(job->why, sizeof job->why, "cannot read %s", job->bundle);
    job->failed++;
    return NULL;
  }
  Host h;
  host_init(&h);
  if (!host_open(&h, bytes, len, job->why, sizeof job->why)) {
    job->failed++;
    free(bytes);
    return NULL;
  }
  free(bytes);
  FILE *out = tmpfile();
  for (int i = 0; i < job->rounds && out; i++) {
    FILE *in = fopen(job->scenario, "r");
    if (!in) break;
    ScnOptions opt = {.reload = i % 2 == 1}; /* every other round saves and restores throughout */
    scn_run(&h, job->scenario, in, &opt, out, &job->passed, &job->failed);
    fclose(in);
    host_reset(&h);
  }
  if (out && job->failed) {
    rewind(out);
    size_t n = fread(job->why, 1, sizeof job->why - 1, out);
    job->why[n] = '\0';
  }
  if (out) fclose(out);
  host_close(&h);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: two_threads BUNDLE1 SCENARIO1 BUNDLE2 SCENARIO2 ROUNDS\n");
    return 2;
  }
  int rounds = atoi(argv[5]);
  Job jobs[2] = {{argv[1], argv[2], rounds, 0, 0, ""}, {argv[3], argv[4], rounds, 0, 0, ""}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    if (pthread_create(&t[i], NULL, work, &jobs[i]) != 0) return 2;
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  int failed = 0;
  for (int i = 0; i < 2; i++) {
    printf("thread %d: %s: %d passed, %d failed\n", i + 1, jobs[i].scenario, jobs[i].passed, jobs[i].failed);
    if (jobs[i].failed) printf("%s\n", jobs[i].why);
    failed += jobs[i].failed;
  }
  return failed ? 1 : 0;
}
