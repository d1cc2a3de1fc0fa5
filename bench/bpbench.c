/* bpbench.c — the in-process measures of `make bench` (bench/run.sh): a host of libbprt
 * that sees only bp.h, as any embedding program does.
 *
 *   bpbench instances BUNDLE N RUNS      two-stage approval, N alive at once: each
 *                                        unit starts one, the expert of the one started
 *                                        N/2 units before approves, and the one voter of
 *                                        the one started N before (then freed)
 *   bpbench batches BUNDLE N RUNS        the same in batches: N started, N experts,
 *                                        N voters, N freed (the heap empties each batch)
 *   bpbench vote BUNDLE VOTERS N RUNS    simple vote: N instances, each started and decided
 *                                        by VOTERS voters (the first half + 1 approve, the
 *                                        rest reject; majority, wait all), one at a time
 *   bpbench state BUNDLE VOTERS          bytes of the saved two-stage approval waiting for
 *                                        its expert, with VOTERS voters
 *   bpbench restore BUNDLE VOTERS N RUNS restore that state, the expert approves, save:
 *                                        N times
 *   bpbench dispatch BUNDLE ITER RUNS    bench/loop.bp's tight loop of ITER iterations
 *   bpbench exec RUNS CMD ARG...         runs a command RUNS times (its output to
 *                                        /dev/null): its wall and CPU time, to the
 *                                        microsecond (getrusage; GNU time has 10 ms)
 *
 * A run prints `run N WALL_US CPU_US CALLS`: the units of work done, wall time and this
 * process's CPU time (user + system) in microseconds, and the calls of the host's
 * allocator the runtime made (allocations, reallocations and frees together). A run
 * repeats its batch (N instances alive at once, or one loop of ITER iterations) until it
 * has taken at least MIN_RUN_US of CPU time, and counts every unit of every batch: a
 * batch of 500 approvals takes about a millisecond, too short to time alone on a shared
 * machine. A warm-up as long comes first. The
 * host has opened/withdrawn/notify callbacks that count (a host must see its work items)
 * and no journal callback. Exit status 1 when the runtime refuses something: a measure
 * that did not do its work is no figure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bp.h"

/* The host's allocator, counting its calls (allocations, reallocations and frees): a run
 * prints how many it made. */
static unsigned long long heap_calls;

static void *heap(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud, (void)old_size;
  heap_calls++;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, new_size);
}

typedef struct Host {
  unsigned long opened, withdrawn, notified;
} Host;

static void on_opened(void *ud, BpInstance *inst, const BpItem *item) {
  (void)inst, (void)item;
  ((Host *)ud)->opened++;
}
static void on_withdrawn(void *ud, BpInstance *inst, const BpItem *item) {
  (void)inst, (void)item;
  ((Host *)ud)->withdrawn++;
}
static void on_notify(void *ud, BpInstance *inst, const char *user, const char *message) {
  (void)inst, (void)user, (void)message;
  ((Host *)ud)->notified++;
}

static void die(const char *what, const BpError *err) {
  fprintf(stderr, "bpbench: %s: %s\n", what, err ? err->message : "failed");
  exit(1);
}

static int64_t usec(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "bpbench: cannot open %s\n", path);
    exit(2);
  }
  size_t cap = 1 << 16, n = 0;
  unsigned char *p = malloc(cap);
  size_t got;
  while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) p = realloc(p, cap *= 2);
  }
  fclose(f);
  if (!p) exit(2);
  *len = n;
  return p;
}

typedef struct Bench {
  Host host;
  BpRuntime *rt;
  BpBundle *bundle;
  BpValue *voters; /* v1 … vN */
  char (*names)[24];
  size_t nvoters;
} Bench;

static void bench_open(Bench *b, const char *path, uint32_t budget) {
  memset(b, 0, sizeof *b);
  BpConfig config;
  bp_config_init(&config);
  config.alloc = heap;
  config.ud = &b->host;
  config.opened = on_opened;
  config.withdrawn = on_withdrawn;
  config.notify = on_notify;
  config.step_budget = budget;
  BpError err;
  if (bp_runtime_new(&config, &b->rt, &err) != BP_OK) die("runtime", &err);
  size_t len;
  unsigned char *bytes = read_file(path, &len);
  if (bp_bundle_load(b->rt, bytes, len, &b->bundle, &err) != BP_OK) die(path, &err);
  free(bytes);
}

static void bench_voters(Bench *b, size_t n) {
  b->nvoters = n;
  b->voters = calloc(n ? n : 1, sizeof *b->voters);
  b->names = calloc(n ? n : 1, sizeof *b->names);
  if (!b->voters || !b->names) exit(2);
  for (size_t i = 0; i < n; i++) {
    snprintf(b->names[i], sizeof b->names[i], "v%zu", i + 1);
    b->voters[i] = bp_user(b->names[i]);
  }
}

static void bench_close(Bench *b) {
  bp_bundle_free(b->bundle);
  bp_runtime_free(b->rt);
  free(b->voters);
  free(b->names);
}

static BpInstance *start_approval(Bench *b) {
  BpArg args[] = {
      {"title", bp_string("Contract 7")},
      {"author", bp_user("a")},
      {"expert", bp_user("e")},
      {"voters", bp_list(BP_T_USER, b->voters, b->nvoters)},
  };
  BpInstance *inst;
  BpError err;
  if (bp_start(b->bundle, "two_stage_approval", NULL, args, 4, NULL, &inst, &err) != BP_OK)
    die("start two_stage_approval", &err);
  return inst;
}

static void decide(BpInstance *inst, const char *user, bool yes) {
  BpError err;
  if (bp_decide(inst, 0, user, yes, NULL, &err) != BP_OK) die("decide", &err);
}

/* ---- the measures: each does N units and returns N ---------------------------------- */

static BpInstance **insts;

static void complete(BpInstance *inst) {
  decide(inst, "v1", true);
  if (bp_instance_status(inst) != BP_COMPLETED) die("the two-stage approval did not complete", NULL);
  bp_instance_free(inst);
}

/* A host's steady state: N instances alive at once in a ring of N places, the work of each
 * unit spread over three of them. Unit t starts instance t in place t mod N, after the one
 * there (started at t - N) has had its voter's decision and been freed; instance t - N/2
 * gets its expert's decision. Its state lives across calls: the warm-up fills the ring. */
static size_t ring_t;

static void run_instances(Bench *b, size_t n) {
  size_t h = n / 2;
  for (size_t i = 0; i < n; i++, ring_t++) {
    BpInstance **at = &insts[ring_t % n];
    if (*at) complete(*at);
    *at = start_approval(b);
    if (ring_t >= h) decide(insts[(ring_t - h) % n], "e", true);
  }
}

/* Until round 13 (docs/performance-log.md) the measure ran in batches: N started, then the
 * expert of each approves, then its voter, each freed. The heap empties after every batch
 * and glibc gives its top back to the kernel (it trims more than 128 KiB free at its top),
 * so every batch faulted its pages in again: a host that empties its heap 200 times a
 * second. Kept for comparison (`bpbench batches`). */
static void run_batches(Bench *b, size_t n) {
  for (size_t i = 0; i < n; i++) insts[i] = start_approval(b);
  for (size_t i = 0; i < n; i++) decide(insts[i], "e", true);
  for (size_t i = 0; i < n; i++) complete(insts[i]);
}

static void run_vote(Bench *b, size_t n) {
  size_t yes = b->nvoters / 2 + 1;
  for (size_t i = 0; i < n; i++) {
    BpArg args[] = {{"title", bp_string("New office")},
                    {"voters", bp_list(BP_T_USER, b->voters, b->nvoters)}};
    BpInstance *inst;
    BpError err;
    if (bp_start(b->bundle, "simple_vote", NULL, args, 2, NULL, &inst, &err) != BP_OK)
      die("start simple_vote", &err);
    for (size_t v = 0; v < b->nvoters; v++) decide(inst, b->names[v], v < yes);
    if (bp_instance_status(inst) != BP_COMPLETED) die("the vote did not complete", NULL);
    bp_instance_free(inst);
  }
}

static uint8_t *saved;
static size_t saved_len;

static void save_waiting(Bench *b) {
  BpInstance *inst = start_approval(b);
  BpError err;
  if (bp_instance_save(inst, &saved, &saved_len, &err) != BP_OK) die("save", &err);
  bp_instance_free(inst);
}

static void run_restore(Bench *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    BpInstance *inst;
    BpError err;
    if (bp_instance_restore(b->bundle, NULL, saved, saved_len, &inst, &err) != BP_OK)
      die("restore", &err);
    decide(inst, "e", true);
    uint8_t *bytes;
    size_t len;
    if (bp_instance_save(inst, &bytes, &len, &err) != BP_OK) die("save", &err);
    bp_free(b->rt, bytes, len);
    bp_instance_free(inst);
  }
}

static void run_dispatch(Bench *b, size_t iter) {
  BpArg args[] = {{"n", bp_int((int64_t)iter)}};
  BpInstance *inst;
  BpError err;
  if (bp_start(b->bundle, "tight_loop", NULL, args, 1, NULL, &inst, &err) != BP_OK)
    die("start tight_loop", &err);
  if (bp_instance_status(inst) != BP_COMPLETED) {
    fprintf(stderr, "bpbench: the loop did not complete: %s\n", bp_instance_message(inst));
    exit(1);
  }
  bp_instance_free(inst);
}

static int64_t tv_us(struct timeval tv) { return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec; }

static int run_exec(size_t runs, char **argv) {
  for (size_t r = 0; r < runs; r++) {
    struct rusage before, after;
    getrusage(RUSAGE_CHILDREN, &before);
    int64_t w0 = usec(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, 1);
      execvp(argv[0], argv);
      _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) return 2;
    int64_t w1 = usec(CLOCK_MONOTONIC);
    getrusage(RUSAGE_CHILDREN, &after);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    int64_t cpu = tv_us(after.ru_utime) + tv_us(after.ru_stime) - tv_us(before.ru_utime) -
                  tv_us(before.ru_stime);
    printf("run 1 %lld %lld\n", (long long)(w1 - w0), (long long)cpu);
    fflush(stdout);
  }
  return 0;
}

enum { MIN_RUN_US = 100000 }; /* the least CPU time of a measured run */

static size_t arg_size(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || v == 0) {
    fprintf(stderr, "bpbench: not a positive number: %s\n", s);
    exit(2);
  }
  return (size_t)v;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fputs("usage: bpbench instances|vote|state|restore|dispatch BUNDLE ...\n", stderr);
    return 2;
  }
  const char *measure = argv[1];
  if (strcmp(measure, "exec") == 0) return run_exec(arg_size(argv[2]), argv + 3);
  Bench b;
  void (*run)(Bench *, size_t) = NULL;
  size_t n = 0, runs = 0;
  if ((strcmp(measure, "instances") == 0 || strcmp(measure, "batches") == 0) && argc == 5) {
    bench_open(&b, argv[2], 0);
    bench_voters(&b, 1);
    n = arg_size(argv[3]), runs = arg_size(argv[4]);
    insts = calloc(n, sizeof *insts);
    if (!insts) exit(2);
    run = measure[0] == 'i' ? run_instances : run_batches;
  } else if (strcmp(measure, "vote") == 0 && argc == 6) {
    bench_open(&b, argv[2], 0);
    bench_voters(&b, arg_size(argv[3]));
    n = arg_size(argv[4]), runs = arg_size(argv[5]);
    run = run_vote;
  } else if (strcmp(measure, "state") == 0 && argc == 4) {
    bench_open(&b, argv[2], 0);
    bench_voters(&b, arg_size(argv[3]));
    save_waiting(&b);
    printf("bytes %zu\n", saved_len);
    bp_free(b.rt, saved, saved_len);
    bench_close(&b);
    return 0;
  } else if (strcmp(measure, "restore") == 0 && argc == 6) {
    bench_open(&b, argv[2], 0);
    bench_voters(&b, arg_size(argv[3]));
    n = arg_size(argv[4]), runs = arg_size(argv[5]);
    save_waiting(&b);
    run = run_restore;
  } else if (strcmp(measure, "dispatch") == 0 && argc == 5) {
    bench_open(&b, argv[2], UINT32_MAX);
    n = arg_size(argv[3]), runs = arg_size(argv[4]);
    run = run_dispatch;
  } else {
    fputs("bpbench: unknown measure or wrong arguments (see bench/bpbench.c)\n", stderr);
    return 2;
  }
  /* Warm-up, as long as a measured run: the first 100 ms of a process ran up to 40% slower
   * than the next on this machine (caches, the allocator's heap, the CPU's clock). */
  int64_t warm = usec(CLOCK_PROCESS_CPUTIME_ID);
  do run(&b, n);
  while (usec(CLOCK_PROCESS_CPUTIME_ID) - warm < MIN_RUN_US);
  for (size_t r = 0; r < runs; r++) {
    unsigned long long calls = heap_calls;
    int64_t w0 = usec(CLOCK_MONOTONIC), c0 = usec(CLOCK_PROCESS_CPUTIME_ID), c1;
    size_t units = 0;
    do {
      run(&b, n);
      units += n;
    } while ((c1 = usec(CLOCK_PROCESS_CPUTIME_ID)) - c0 < MIN_RUN_US);
    int64_t w1 = usec(CLOCK_MONOTONIC);
    printf("run %zu %lld %lld %llu\n", units, (long long)(w1 - w0), (long long)(c1 - c0), heap_calls - calls);
    fflush(stdout);
  }
  if (saved) bp_free(b.rt, saved, saved_len);
  if (run == run_instances) /* the ring's last N, each waiting for its expert or its voter */
    for (size_t i = 0; i < n; i++) bp_instance_free(insts[i]);
  free(insts);
  bench_close(&b);
  return 0;
}
