/* scn.c — the scenario engine of bprun (../shared/spec/SCENARIOS.md); the host side
 * of the runtime (allocator, callbacks, clock, --reload) is host.c.
 *
 * A scenario is read a line at a time; each line is a command or an `expect`. A command
 * the runtime refuses must be followed by `expect error "..."`; otherwise the refusal is
 * a failure of the scenario. Every `expect` counts one passed or one failed; a line that
 * cannot be understood counts one failed, with its FILE:LINE. */
#include <ctype.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* ---- reading a line --------------------------------------------------------------------------- */

/* Splits a line into words at spaces outside quotes, brackets and parentheses; `#`
 * outside quotes starts a comment. Words point into the line. */
static int split(char *line, char **words, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (!*p || *p == '#') break;
    if (n == max) return -1;
    words[n++] = p;
    bool quoted = false;
    int depth = 0;
    for (; *p; p++) {
      if (quoted) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '"') quoted = false;
        continue;
      }
      if (*p == '"') quoted = true;
      else if (*p == '(' || *p == '[') depth++;
      else if ((*p == ')' || *p == ']') && depth > 0) depth--;
      else if ((*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') && depth == 0) break;
    }
    if (*p) *p++ = '\0';
    else break;
  }
  return n;
}

/* ---- running a scenario ------------------------------------------------------------------------- */

typedef struct Run {
  Host *h;
  const ScnOptions *opt;
  const char *file;
  int line;
  FILE *out;
  int passed, failed;
  bool refused;          /* the previous command was refused ... */
  char refusal[300];     /* ... with this message */
  int refused_line;
  char *text;            /* the current line, as written */
  bool terminal;         /* bprun run from a terminal: commands are counted, not lines */
} Run;

/* Where a message is about: FILE:LINE: in a scenario; in bprun run, the start, or the
 * command typed (`command N:`), or the line of the input piped in. */
static void position(Run *r) {
  if (!r->opt->interactive) fprintf(r->out, "%s:%d: ", r->file, r->line);
  else if (r->line == 0) fprintf(r->out, "start: ");
  else if (r->terminal) fprintf(r->out, "command %d: ", r->line);
  else fprintf(r->out, "%s:%d: ", r->file, r->line);
}

static void report(Run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(Run *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  position(r);
  vfprintf(r->out, fmt, ap);
  fputc('\n', r->out);
  va_end(ap);
}

static void failure(Run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failure(Run *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  position(r);
  vfprintf(r->out, fmt, ap);
  fputc('\n', r->out);
  va_end(ap);
  r->failed++;
}

static void pass(Run *r) {
  r->passed++;
  if (r->opt->verbose) report(r, "ok: %s", r->text);
}

static void refused(Run *r, const BpError *err) {
  if (r->opt->interactive) { /* told at once, and counted: bprun run then exits 1 */
    position(r);
    fprintf(r->out, "refused: %s\n", err->message);
    r->failed++;
    return;
  }
  r->refused = true;
  r->refused_line = r->line;
  snprintf(r->refusal, sizeof r->refusal, "%s", err->message);
}

/* ---- the allocation-failure sweep (build/faults/bprun only) ---------------------------------- */

/* The runtime promises that an event is applied whole or not at all, also when the host's
 * allocator fails half-way (BP_ENOMEM: nothing changed), and that the event tried again
 * then gives exactly what it gives when run once. build/faults/bprun (host.c and this file
 * built with -DBPRUN_SWEEP) checks that on scenarios: with BPRUN_SWEEP=1 in the
 * environment, every event a scenario makes (EVENT below) is first run in a child
 * process with the runtime's 1st growth failing, then the 2nd, and so on until the
 * failure is no longer reached; only then does bprun make the event itself. Each child
 * checks that a dropped event left every instance's saved bytes as they were, tries the
 * event again with nothing failing and runs the rest of the scenario; at the end it
 * sends its final state (every instance's saved bytes, every journal line and
 * notification bprun got, the expectations passed and failed) to the parent, which
 * compares it with its own at its end. So a rollback that gets the saved bytes right but
 * leaves something in memory wrong shows too. A failure the runtime absorbs (the event
 * succeeds) is run on in the same way, but for a process started after the event that
 * ran out of memory, which the journal tells of (sweep_dropped). BPRUN_SWEEP_FROM=N sweeps only from the Nth event
 * of each scenario file on, BPRUN_SWEEP_EVENTS=N at most N events (tests/alloc_sweep.sh
 * bounds the long runaway scenarios so). Each difference is a message on stderr and
 * one failed expectation; a summary line goes to stderr at each scenario's end. */
#ifdef BPRUN_SWEEP
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

enum { SWEEP_REACHED = 0, SWEEP_UNREACHED = 3, SWEEP_BROKEN = 4, SWEEP_TOLD = 5 };

typedef struct SweepRun { /* one child that ran to the end */
  long event, k;
  int line;
  BpStatus st;           /* what the event returned with allocation k failing */
  uint64_t hash;         /* of the child's final state */
} SweepRun;

typedef struct Sweep {
  int on;                /* -1: not read yet */
  long from, max;        /* BPRUN_SWEEP_FROM, BPRUN_SWEEP_EVENTS (0: no bound) */
  long events, swept;    /* events seen and swept in this scenario */
  bool child;            /* this process is a child: it sweeps nothing, and ends at the end */
  bool ran_on;           /* a child whose failure a later start told of (sweep_dropped) */
  int fd;                /* a child's pipe to the parent */
  long k;                /* a child's failing allocation */
  BpStatus st;           /* a child's event, as it ended with that allocation failing */
  uint8_t *pre;          /* every instance saved before the event */
  size_t npre;
  SweepRun *runs;
  size_t nruns, capruns;
  long dropped, absorbed, other, told;
} Sweep;
static Sweep sweep = {.on = -1}; /* bprun's own: the runtime has no globals */

static void sweep_put(uint8_t **b, size_t *n, size_t *cap, const void *p, size_t len) {
  if (*n + len > *cap) {
    *cap = (*n + len) * 2 + 256;
    *b = xrealloc(*b, *cap);
  }
  if (len) memcpy(*b + *n, p, len);
  *n += len;
}

/* Every instance's status and saved bytes, end to end (the allocator failing nothing). */
static uint8_t *sweep_state(Host *h, size_t *len) {
  uint8_t *b = NULL;
  size_t n = 0, cap = 0;
  long fail_at = sweep_fail_at;
  sweep_fail_at = 0;
  for (size_t i = 0; i < h->ninsts; i++) {
    BpInstance *inst = h->insts[i]->inst;
    uint64_t hdr[3] = {i, 0, 0};
    uint8_t *bytes = NULL;
    size_t size = 0;
    BpError err = {0};
    if (inst) hdr[1] = 1 + (uint64_t)bp_instance_save(inst, &bytes, &size, &err);
    hdr[2] = size;
    sweep_put(&b, &n, &cap, hdr, sizeof hdr);
    if (bytes) {
      sweep_put(&b, &n, &cap, bytes, size);
      bp_free(h->rt, bytes, size);
    }
  }
  sweep_fail_at = fail_at;
  *len = n;
  return b;
}

/* FNV-1a of the final state: the instances, what bprun got of them, the counts. */
static uint64_t sweep_final(Run *r) {
  size_t n;
  uint8_t *b = sweep_state(r->h, &n);
  size_t cap = n;
  for (size_t i = 0; i < r->h->ninsts; i++) {
    Inst *c = r->h->insts[i];
    uint64_t counts[2] = {c->njournal, c->nnotes};
    sweep_put(&b, &n, &cap, counts, sizeof counts);
    for (size_t j = 0; j < c->njournal; j++) sweep_put(&b, &n, &cap, c->journal[j], strlen(c->journal[j]) + 1);
    for (size_t j = 0; j < c->nnotes; j++) {
      sweep_put(&b, &n, &cap, c->notes[j].user, strlen(c->notes[j].user) + 1);
      sweep_put(&b, &n, &cap, c->notes[j].message, strlen(c->notes[j].message) + 1);
    }
  }
  int counts[2] = {r->passed, r->failed};
  sweep_put(&b, &n, &cap, counts, sizeof counts);
  uint64_t x = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) x = (x ^ b[i]) * 1099511628211ull;
  free(b);
  return x;
}

static long env_long(const char *name) {
  const char *v = getenv(name);
  return v ? strtol(v, NULL, 10) : 0;
}

/* Where the first difference is, for the message. */
static size_t sweep_differs_at(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
  size_t i = 0;
  while (i < na && i < nb && a[i] == b[i]) i++;
  return i;
}

/* Before an event: true in a child just made, which runs the event with its allocation
 * failing; false in the parent once every child has run (it then runs the event itself),
 * and whenever nothing is swept. */
static bool sweep_begin(Run *r) {
  Sweep *s = &sweep;
  if (s->on < 0) {
    const char *v = getenv("BPRUN_SWEEP");
    s->on = v && *v == '1';
    s->from = env_long("BPRUN_SWEEP_FROM");
    s->max = env_long("BPRUN_SWEEP_EVENTS");
    /* SIGCHLD ignored by whoever started bprun (the disposition is inherited through
     * exec) lets the kernel reap the children itself, and waitpid would never see one
     * end: the sweep waits for each, so it is put back to the default. */
    if (s->on) signal(SIGCHLD, SIG_DFL);
  }
  if (!s->on || s->child) return false;
  s->events++;
  if (s->events < s->from || (s->max && s->swept >= s->max)) return false;
  s->swept++;
  s->pre = sweep_state(r->h, &s->npre);
  for (long k = 1;; k++) {
    int fd[2];
    fflush(NULL);
    if (pipe(fd) != 0) {
      perror("bprun: sweep: pipe");
      exit(2);
    }
    pid_t pid = fork();
    if (pid < 0) {
      perror("bprun: sweep: fork");
      exit(2);
    }
    if (pid == 0) {
      close(fd[0]);
      s->child = true, s->fd = fd[1], s->k = k;
      if (!freopen("/dev/null", "w", stdout)) _exit(SWEEP_BROKEN);
      r->out = stdout; /* /dev/null now: the child's messages are not the scenario's */
      r->h->journal_out = NULL;
      sweep_allocs = 0, sweep_failed = false, sweep_told = 0, sweep_fail_at = k;
      return true;
    }
    close(fd[1]);
    SweepRun run = {.event = s->events, .k = k, .line = r->line};
    uint64_t got[2];
    size_t have = 0;
    ssize_t m;
    while (have < sizeof got && (m = read(fd[0], (char *)got + have, sizeof got - have)) > 0) have += (size_t)m;
    close(fd[0]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0) {
      if (errno == EINTR) continue;
      perror("bprun: sweep: waitpid");
      exit(2);
    }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == SWEEP_UNREACHED) break;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == SWEEP_TOLD && have == sizeof got) { /* ran to its end */
      s->told++;
      continue;
    }
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != SWEEP_REACHED || have != sizeof got) {
      if (!(WIFEXITED(ws) && WEXITSTATUS(ws) == SWEEP_BROKEN)) /* a broken one said why */
        fprintf(stderr, "bprun: sweep: %s:%d: event %ld with allocation %ld failing: the run %s %d\n", r->file,
                r->line, s->events, k, WIFSIGNALED(ws) ? "was killed by signal" : "ended with status",
                WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
      r->failed++;
      continue;
    }
    run.st = (BpStatus)got[0], run.hash = got[1];
    if (run.st == BP_ENOMEM) s->dropped++;
    else if (run.st == BP_OK) s->absorbed++;
    else s->other++;
    if (s->nruns == s->capruns) {
      s->capruns = s->capruns ? 2 * s->capruns : 64;
      s->runs = xrealloc(s->runs, s->capruns * sizeof *s->runs);
    }
    s->runs[s->nruns++] = run;
  }
  return false;
}

/* In a child, after the event ran with its allocation failing: true when it was dropped
 * (BP_ENOMEM) and left every instance as it was, so the event is tried again. */
static bool sweep_dropped(Run *r, BpStatus st) {
  Sweep *s = &sweep;
  sweep_fail_at = 0;
  if (!sweep_failed) _exit(SWEEP_UNREACHED);
  s->st = st;
  uint8_t *pre = s->pre;
  s->pre = NULL; /* the child's later events are not checked against it */
  /* A process that the event starts after it is applied (`start P`, a trigger) and that
   * ran out of memory is journalled "could not start P: out of memory", and the event
   * stays (bp.h): the host was told, and the run goes on otherwise by design. */
  if (st == BP_OK && sweep_told) {
    /* Its end is not compared (the start that failed would have changed what follows),
     * but it still runs to the end: a failed start's clean-up that broke the instances
     * then crashes or, under ASan, is reported, as any other child's would be. */
    s->ran_on = true;
    free(pre);
    return false;
  }
  if (st == BP_OK) return false; /* absorbed: run on with it */
  size_t n;
  uint8_t *now = sweep_state(r->h, &n);
  if (n != s->npre || memcmp(now, pre, n) != 0) {
    fprintf(stderr, "bprun: sweep: %s:%d: event %ld with allocation %ld failing: %s (status %d), yet the instances' saved bytes changed (first at byte %zu of %zu, now %zu)\n",
            r->file, r->line, s->events, s->k, st == BP_ENOMEM ? "dropped" : "refused", (int)st,
            sweep_differs_at(pre, s->npre, now, n), s->npre, n);
    _exit(SWEEP_BROKEN);
  }
  free(now);
  free(pre);
  return st == BP_ENOMEM;
}

/* In the parent, after it made the event itself: a refused event changed nothing. */
static void sweep_end(Run *r, BpStatus st) {
  Sweep *s = &sweep;
  if (!s->pre) return;
  if (st != BP_OK) {
    size_t n;
    uint8_t *now = sweep_state(r->h, &n);
    if (n != s->npre || memcmp(now, s->pre, n) != 0) {
      fprintf(stderr, "bprun: sweep: %s:%d: event %ld was refused (status %d), yet the instances' saved bytes changed\n",
              r->file, r->line, s->events, (int)st);
      r->failed++;
    }
    free(now);
  }
  free(s->pre);
  s->pre = NULL;
}

/* At a scenario's end: a child sends its final state and ends; the parent compares. */
static void sweep_finish(Run *r) {
  Sweep *s = &sweep;
  if (s->on <= 0) return;
  if (s->child) {
    uint64_t out[2] = {(uint64_t)s->st, sweep_final(r)};
    if (write(s->fd, out, sizeof out) != (ssize_t)sizeof out) _exit(SWEEP_BROKEN);
    _exit(s->ran_on ? SWEEP_TOLD : SWEEP_REACHED);
  }
  uint64_t want = sweep_final(r);
  long differ = 0;
  for (size_t i = 0; i < s->nruns; i++) {
    const SweepRun *run = &s->runs[i];
    if (run->hash == want) continue;
    differ++;
    r->failed++;
    fprintf(stderr, "bprun: sweep: %s:%d: event %ld with allocation %ld failing (%s): the scenario ends otherwise than when the event ran once\n",
            r->file, run->line, run->event, run->k,
            run->st == BP_ENOMEM ? "dropped, then tried again" : run->st == BP_OK ? "absorbed" : "refused");
  }
  fprintf(stderr, "bprun: sweep: %s: %ld of %ld events swept, %ld runs with an allocation failing (%ld dropped and tried again, %ld absorbed, %ld refused, %ld a later start told in the journal), %ld ended otherwise\n",
          r->file, s->swept, s->events, (long)s->nruns + s->told, s->dropped, s->absorbed, s->other, s->told, differ);
  free(s->runs);
  int on = s->on;
  long from = s->from, max = s->max;
  *s = (Sweep){.on = on, .from = from, .max = max};
}

/* st = CALL, an event of the runtime, swept first when BPRUN_SWEEP=1. */
#define EVENT(r, st, call)                          \
  do {                                              \
    if (sweep_begin(r)) {                           \
      (st) = (call);                                \
      if (sweep_dropped((r), (st))) (st) = (call);  \
    } else {                                        \
      (st) = (call);                                \
      sweep_end((r), (st));                         \
    }                                               \
  } while (0)
#else
#define EVENT(r, st, call) ((st) = (call))
#define sweep_finish(r) ((void)(r))
#endif

/* A word's text: a quoted string decoded, or the word as it is. Freed by the caller. */
static char *text_of(Run *r, const char *word) {
  size_t n = strlen(word);
  if (n >= 2 && word[0] == '"' && word[n - 1] == '"') {
    BpValue v;
    BpError err = {0};
    if (bp_value_parse(r->h->rt, word, n, BP_T_STRING, &v, &err) == BP_OK) {
      char *s = xstrndup(v.s, v.len);
      bp_value_free(r->h->rt, &v);
      return s;
    }
  }
  return xstrdup(word);
}

/* words[from..n) joined by spaces, each decoded (a comment). */
static char *rest_text(Run *r, char **words, int from, int n) {
  if (from >= n) return NULL;
  if (from + 1 == n) return text_of(r, words[from]);
  size_t len = 0;
  for (int i = from; i < n; i++) len += strlen(words[i]) + 1;
  char *s = xrealloc(NULL, len + 1);
  s[0] = '\0';
  for (int i = from; i < n; i++) {
    if (i > from) strcat(s, " ");
    strcat(s, words[i]);
  }
  return s;
}

/* Names may hold letters beyond ASCII (UTF-8, as the compiler takes them):
 * any byte of 0x80 or more counts as a letter here. */
static bool name_byte(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

static bool is_assignment(const char *w, size_t *name_len) {
  size_t i = 0;
  if (!name_byte((unsigned char)w[0]) || isdigit((unsigned char)w[0])) return false;
  while (name_byte((unsigned char)w[i])) i++;
  if (w[i] != '=' || w[i + 1] == '=') return false;
  *name_len = i;
  return true;
}

/* name=value words into BpArgs of the types TYPE_OF tells; false with a report. */
typedef uint8_t (*TypeOf)(Run *r, const char *name, void *ctx);

typedef struct Args {
  BpArg *v;
  char **names;
  int n;
} Args;

static void args_free(Run *r, Args *a) {
  for (int i = 0; i < a->n; i++) {
    bp_value_free(r->h->rt, &a->v[i].value);
    free(a->names[i]);
  }
  free(a->v);
  free(a->names);
  *a = (Args){0};
}

static bool parse_args(Run *r, char **words, int n, TypeOf type_of, void *ctx, Args *out) {
  *out = (Args){xrealloc(NULL, (size_t)(n ? n : 1) * sizeof(BpArg)), xrealloc(NULL, (size_t)(n ? n : 1) * sizeof(char *)), 0};
  for (int i = 0; i < n; i++) {
    size_t k;
    if (!is_assignment(words[i], &k)) {
      failure(r, "error: `%s` is not name=value", words[i]);
      args_free(r, out);
      return false;
    }
    char *name = xstrndup(words[i], k);
    uint8_t type = type_of(r, name, ctx);
    if (type == BP_T_VOID) {
      free(name);
      args_free(r, out);
      return false;
    }
    const char *value = words[i] + k + 1;
    BpError err = {0};
    BpValue v;
    if (bp_value_parse(r->h->rt, value, strlen(value), type, &v, &err) != BP_OK) {
      /* Text that is not a value of the type asked for is refused, as a form would
       * refuse it: `expect error` may follow. */
      BpError why = {BP_EREFUSED, ""};
      snprintf(why.message, sizeof why.message, "%.40s: %.200s", name, err.message);
      refused(r, &why);
      free(name);
      args_free(r, out);
      return false;
    }
    out->names[out->n] = name;
    out->v[out->n].name = name;
    out->v[out->n].value = v;
    out->n++;
  }
  return true;
}

static uint8_t start_type(Run *r, const char *name, void *ctx) {
  BpNameKind kind;
  BpType t = bp_bundle_name_type(r->h->bundle, ctx, name, &kind);
  if (t == BP_T_VOID || kind == BP_NAME_VARIABLE) {
    failure(r, "error: `%s` is neither a parameter of `%s` nor a field of its document", name, (const char *)ctx);
    return BP_T_VOID;
  }
  return t;
}

static uint8_t field_type(Run *r, const char *name, void *ctx) {
  BpNameKind kind;
  BpType t = bp_bundle_name_type(r->h->bundle, ctx, name, &kind);
  if (t == BP_T_VOID || kind != BP_NAME_FIELD) {
    failure(r, "error: `%s` is not a field of the document", name);
    return BP_T_VOID;
  }
  return t;
}

static uint8_t doc_field_type(Run *r, const char *name, void *ctx) {
  uint8_t t = bp_bundle_field_type(r->h->bundle, ctx, name);
  if (t == BP_T_VOID) failure(r, "error: `%s` is not a field of document type %s", name, (const char *)ctx);
  return t;
}

static uint8_t answer_type(Run *r, const char *name, void *ctx) {
  const BpItem *item = ctx;
  for (size_t i = 0; item && i < item->nfields; i++)
    if (strcmp(item->fields[i].name, name) == 0) return item->fields[i].type;
  (void)r;
  return BP_T_STRING; /* not asked for: the runtime refuses it with its own message */
}

static Inst *need_instance(Run *r) {
  Inst *c = host_current(r->h);
  if (!c) failure(r, "error: no instance yet (start one first)");
  return c;
}

static void cmd_start(Run *r, char **w, int n) {
  if (n < 2) {
    failure(r, "error: `start` needs a process name");
    return;
  }
  if (!host_has_process(r->h, w[1])) {
    failure(r, "error: no process `%s` in the bundle", w[1]);
    return;
  }
  Args a;
  if (!parse_args(r, w + 2, n - 2, start_type, w[1], &a)) return;
  Inst *rec = host_new_inst(r->h);
  BpError err = {0};
  BpStatus st;
  EVENT(r, st, bp_start(r->h->bundle, w[1], NULL, a.v, (size_t)a.n, rec, &rec->inst, &err));
  args_free(r, &a);
  if (st != BP_OK) {
    r->h->ninsts--; /* it never was */
    host_free_inst(rec);
    if (st == BP_ENOMEM) failure(r, "error: %s", err.message);
    else refused(r, &err);
    return;
  }
  r->h->current = (size_t)rec->number - 1;
}

/* create DOCTYPE field=value ...: a new document, and the processes that start on a
 * document's creation (`start on create`); the first of them becomes the current one. */
static void cmd_create(Run *r, char **w, int n) {
  if (n < 2) {
    failure(r, "error: `create` needs a document type");
    return;
  }
  Args a;
  if (!parse_args(r, w + 2, n - 2, doc_field_type, w[1], &a)) return;
  BpDoc *doc;
  BpError err = {0};
  BpStatus st = bp_doc_new(r->h->bundle, w[1], a.v, (size_t)a.n, &doc, &err);
  args_free(r, &a);
  if (st != BP_OK) {
    if (st == BP_ENOMEM) failure(r, "error: %s", err.message);
    else refused(r, &err);
    return;
  }
  size_t before = r->h->ninsts, started = 0;
  bp_doc_created(doc, &started, &err);
  bp_doc_release(doc); /* the instances started on it hold it */
  if (r->h->ninsts > before) r->h->current = before;
}

static void after_event(Run *r, BpStatus st, const BpError *err) {
  if (st == BP_OK) return;
  if (st == BP_ENOMEM) failure(r, "error: %s", err->message);
  else refused(r, err);
}

static void cmd_decide(Run *r, char **w, int n, bool approve) {
  Inst *c = need_instance(r);
  if (!c) return;
  if (n < 2) {
    failure(r, "error: `%s` needs a user", w[0]);
    return;
  }
  char *comment = rest_text(r, w, 2, n);
  BpError err = {0};
  BpStatus st;
  EVENT(r, st, bp_decide(c->inst, 0, w[1], approve, comment, &err));
  free(comment);
  after_event(r, st, &err);
}

/* The user's oldest open item that `complete` acts on (to know a request's fields). */
static bool completable_item(BpInstance *inst, const char *user, BpItem *out) {
  for (size_t i = 0; i < bp_instance_item_count(inst); i++)
    if (bp_instance_item(inst, i, out) && strcmp(out->user, user) == 0 && out->kind != BP_ITEM_APPROVE) return true;
  return false;
}

static void cmd_complete(Run *r, char **w, int n) {
  Inst *c = need_instance(r);
  if (!c) return;
  if (n < 2) {
    failure(r, "error: `complete` needs a user");
    return;
  }
  int first_answer = n;
  for (int i = 2; i < n; i++) {
    size_t k;
    if (is_assignment(w[i], &k)) {
      first_answer = i;
      break;
    }
  }
  BpItem item;
  bool have = completable_item(c->inst, w[1], &item);
  Args a;
  if (!parse_args(r, w + first_answer, n - first_answer, answer_type, have ? &item : NULL, &a)) return;
  char *comment = rest_text(r, w, 2, first_answer);
  BpError err = {0};
  BpStatus st;
  EVENT(r, st, bp_complete(c->inst, 0, w[1], comment, a.v, (size_t)a.n, &err));
  free(comment);
  args_free(r, &a);
  after_event(r, st, &err);
}

static void cmd_command(Run *r, char **w, int n) {
  Inst *c = need_instance(r);
  if (!c) return;
  if (n != 3) {
    failure(r, "error: `command` needs a user and a command name");
    return;
  }
  BpError err = {0};
  BpStatus st;
  EVENT(r, st, bp_command(c->inst, w[1], w[2], &err));
  after_event(r, st, &err);
}

static void cmd_set(Run *r, char **w, int n) {
  Inst *c = need_instance(r);
  if (!c) return;
  Args a;
  if (!parse_args(r, w + 1, n - 1, field_type, (void *)bp_instance_process(c->inst), &a)) return;
  BpError err = {0};
  BpStatus st;
  EVENT(r, st, bp_doc_set(bp_instance_doc(c->inst), a.v, (size_t)a.n, &err));
  args_free(r, &a);
  after_event(r, st, &err);
}

static bool parse_duration(Run *r, const char *text, int64_t *seconds) {
  BpValue v;
  BpError err = {0};
  if (bp_value_parse(r->h->rt, text, strlen(text), BP_T_DURATION, &v, &err) != BP_OK) {
    failure(r, "error: %s", err.message);
    return false;
  }
  *seconds = v.i;
  return true;
}

static void cmd_advance(Run *r, char **w, int n) {
  int64_t d;
  if (n != 2) {
    failure(r, "error: `advance` needs a duration (like 3d)");
    return;
  }
  if (!parse_duration(r, w[1], &d)) return;
  if (d < 0) {
    failure(r, "error: the clock does not go back");
    return;
  }
  int64_t until = r->h->clock + d;
  /* Every instance's timers in one time order: the clock stops at each earliest due
   * time, and the instances due then fire, so one sees what another (on the same
   * document) did before. Instances started meanwhile join in. For each instance the
   * whole `advance` is one event with one step budget, as a single bp_advance is. */
  uint32_t *budgets = NULL;
  size_t nbudgets = 0;
  for (;;) {
    int64_t next = until, at;
    for (size_t i = 0; i < r->h->ninsts; i++)
      if (bp_instance_status(r->h->insts[i]->inst) == BP_WAITING && bp_instance_next_timer(r->h->insts[i]->inst, &at) &&
          at < next)
        next = at;
    if (next > r->h->clock) r->h->clock = next;
    bool fired = false;
    for (size_t i = 0; i < r->h->ninsts; i++) {
      BpInstance *inst = r->h->insts[i]->inst;
      if (next < until && !(bp_instance_status(inst) == BP_WAITING && bp_instance_next_timer(inst, &at) && at <= next))
        continue;
      for (; nbudgets < r->h->ninsts; nbudgets++) {
        budgets = xrealloc(budgets, (nbudgets + 1) * sizeof *budgets);
        budgets[nbudgets] = bp_runtime_step_budget(r->h->rt);
      }
      BpError err = {0};
      BpStatus st;
      EVENT(r, st, bp_advance_shared(inst, r->h->clock, &budgets[i], &err));
      if (st != BP_OK) {
        failure(r, "error: advancing instance #%zu: %s", i + 1, err.message);
        r->h->clock = until;
        free(budgets);
        return;
      }
      fired = true;
    }
    if (next >= until || !fired) break;
  }
  free(budgets);
}

static void cmd_clock(Run *r, char **w, int n) {
  BpValue v;
  BpError err = {0};
  if (n != 2 || bp_value_parse(r->h->rt, w[1], strlen(w[1]), BP_T_DATETIME, &v, &err) != BP_OK) {
    failure(r, "error: `clock` needs a datetime like 2026-03-01T09:00%s%s", err.message[0] ? ": " : "", err.message);
    return;
  }
  r->h->clock = v.i * 60;
}

/* The current instance's oldest pending call of ACTION. */
static bool pending_call(Inst *c, const char *action, BpCall *out) {
  for (size_t i = 0; i < bp_instance_call_count(c->inst); i++)
    if (bp_instance_call(c->inst, i, out) && strcmp(out->action, action) == 0) return true;
  return false;
}

static void cmd_answer(Run *r, char **w, int n, bool fail) {
  Inst *c = need_instance(r);
  if (!c) return;
  if (n < 2 || n > (fail ? 4 : 3)) {
    failure(r, "error: `%s` needs an action name and %s", w[0],
            fail ? "a message, or an error code and a message" : "at most one value");
    return;
  }
  BpCall call;
  if (!pending_call(c, w[1], &call)) {
    BpError err = {BP_EREFUSED, ""};
    snprintf(err.message, sizeof err.message, "no pending call of `%s`", w[1]);
    refused(r, &err);
    return;
  }
  BpError err = {0};
  if (fail && n == 4) { /* fail ACTION CODE "message": a business error a try may catch */
    char *code = text_of(r, w[2]), *msg = text_of(r, w[3]);
    BpStatus st;
    EVENT(r, st, bp_fail_error(c->inst, call.id, code, msg, &err));
    free(code);
    free(msg);
    after_event(r, st, &err);
    return;
  }
  if (fail) {
    char *msg = n == 3 ? text_of(r, w[2]) : NULL;
    BpStatus st;
    EVENT(r, st, bp_fail(c->inst, call.id, msg ? msg : "", &err));
    free(msg);
    after_event(r, st, &err);
    return;
  }
  if (n == 2) {
    BpStatus st;
    EVENT(r, st, bp_answer(c->inst, call.id, NULL, &err));
    after_event(r, st, &err);
    return;
  }
  uint8_t type = call.result_type == BP_T_VOID ? BP_T_STRING : call.result_type;
  BpValue v;
  if (bp_value_parse(r->h->rt, w[2], strlen(w[2]), type, &v, &err) != BP_OK) {
    BpError why = {BP_EREFUSED, ""};
    snprintf(why.message, sizeof why.message, "the answer to `%.40s`: %.180s", w[1], err.message);
    refused(r, &why);
    return;
  }
  BpStatus st;
  EVENT(r, st, bp_answer(c->inst, call.id, &v, &err));
  bp_value_free(r->h->rt, &v);
  after_event(r, st, &err);
}

/* ---- messages and signals ------------------------------------------------------------------------------ */

/* Whether the instance waits for message NAME; *out then tells its payload fields. */
static bool waits_for_message(BpInstance *inst, const char *name, BpMessageWait *out) {
  for (size_t i = 0; i < bp_instance_message_count(inst); i++)
    if (bp_instance_message_wait(inst, i, out) && strcmp(out->name, name) == 0) return true;
  return false;
}

static uint8_t message_field_type(Run *r, const char *name, void *ctx) {
  const BpMessageWait *m = ctx;
  for (size_t i = 0; m && i < m->nfields; i++)
    if (strcmp(m->fields[i].name, name) == 0) return m->fields[i].type;
  (void)r;
  return BP_T_STRING; /* not taken: the runtime refuses it with its own message */
}

/* Delivers message NAME with the name=value words w[2..n) to one instance. */
static void deliver_message(Run *r, Inst *c, const char *name, char **w, int n) {
  BpMessageWait m;
  bool waits = waits_for_message(c->inst, name, &m);
  Args a;
  if (!parse_args(r, w + 2, n - 2, message_field_type, waits ? &m : NULL, &a)) return;
  BpError err = {0};
  BpStatus st;
  EVENT(r, st, bp_message(c->inst, name, a.v, (size_t)a.n, &err));
  args_free(r, &a);
  after_event(r, st, &err);
}

/* message NAME [field=value ...]: to the current instance. */
static void cmd_message(Run *r, char **w, int n) {
  Inst *c = need_instance(r);
  if (!c) return;
  if (n < 2) {
    failure(r, "error: `message` needs a message name");
    return;
  }
  char *name = text_of(r, w[1]);
  deliver_message(r, c, name, w, n);
  free(name);
}

/* signal NAME [field=value ...]: a broadcast to every instance that waits for NAME, in
 * the order they appeared; refused when none does (so a scenario notices a signal lost). */
static void cmd_signal(Run *r, char **w, int n) {
  if (n < 2) {
    failure(r, "error: `signal` needs a signal name");
    return;
  }
  char *name = text_of(r, w[1]);
  size_t ninsts = r->h->ninsts, got = 0;
  for (size_t i = 0; i < ninsts && i < r->h->ninsts; i++) {
    Inst *c = r->h->insts[i];
    BpMessageWait m;
    if (bp_instance_status(c->inst) != BP_WAITING || !waits_for_message(c->inst, name, &m)) continue;
    got++;
    deliver_message(r, c, name, w, n);
  }
  if (!got) {
    BpError err = {BP_EREFUSED, ""};
    snprintf(err.message, sizeof err.message, "no instance waits for signal `%.200s`", name);
    refused(r, &err);
  }
  free(name);
}

/* expect waiting message NAME */
static void expect_message(Run *r, Inst *c, char **w, int n) {
  if (n != 4) {
    failure(r, "error: expected `expect waiting message NAME`");
    return;
  }
  char *name = text_of(r, w[3]);
  BpMessageWait m;
  if (waits_for_message(c->inst, name, &m)) {
    pass(r);
  } else {
    char list[300] = "";
    size_t at = 0;
    for (size_t i = 0; i < bp_instance_message_count(c->inst) && at < sizeof list; i++)
      if (bp_instance_message_wait(c->inst, i, &m))
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", at ? ", " : "", m.name);
    failure(r, "expected the instance to wait for message %s, found %s", name, at ? list : "no message waited for");
  }
  free(name);
}

/* ---- expect ------------------------------------------------------------------------------------------ */

static void list_items(Run *r, Inst *c, const char *user, char *buf, size_t size) {
  size_t at = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < bp_instance_item_count(c->inst) && at < size; i++) {
    BpItem it;
    if (!bp_instance_item(c->inst, i, &it) || (user && strcmp(it.user, user) != 0)) continue;
    at += (size_t)snprintf(buf + at, size - at, "%s%s \"%s\"%s", at ? ", " : "", it.user, it.title,
                           it.overdue ? " (overdue)" : "");
  }
  (void)r;
  if (!at) snprintf(buf, size, "none");
}

static void expect_task(Run *r, Inst *c, char **w, int n, bool none) {
  if ((none && n != 4) || (!none && n != 4)) {
    failure(r, "error: expected `expect task USER \"title\"` or `expect no task USER`");
    return;
  }
  const char *user = none ? w[3] : w[2];
  char *title = none ? NULL : text_of(r, w[3]);
  bool found = false;
  for (size_t i = 0; i < bp_instance_item_count(c->inst) && !found; i++) {
    BpItem it;
    if (bp_instance_item(c->inst, i, &it) && strcmp(it.user, user) == 0)
      found = none || strcmp(it.title, title) == 0;
  }
  char items[600];
  if (found != none) pass(r);
  else if (none) {
    list_items(r, c, user, items, sizeof items);
    failure(r, "expected no task for %s, found %s", user, items);
  } else {
    list_items(r, c, NULL, items, sizeof items);
    failure(r, "expected a task for %s \"%s\", found %s", user, title, items);
  }
  free(title);
}

/* expect [no] overdue USER ["title"]: USER has (no) open item (with that title) whose due
 * time passed while it stayed open (BpItem.overdue). */
static void expect_overdue(Run *r, Inst *c, char **w, int n, bool none) {
  if (none) w++, n--;
  if (n != 3 && n != 4) {
    failure(r, "error: expected `expect overdue USER [\"title\"]` or `expect no overdue USER [\"title\"]`");
    return;
  }
  char *title = n == 4 ? text_of(r, w[3]) : NULL;
  bool found = false;
  for (size_t i = 0; i < bp_instance_item_count(c->inst) && !found; i++) {
    BpItem it;
    if (bp_instance_item(c->inst, i, &it) && strcmp(it.user, w[2]) == 0 && it.overdue)
      found = !title || strcmp(it.title, title) == 0;
  }
  char items[600];
  if (found != none) pass(r);
  else {
    list_items(r, c, w[2], items, sizeof items);
    failure(r, "expected %s overdue item for %s%s%s%s, found %s", none ? "no" : "an", w[2], title ? " \"" : "",
            title ? title : "", title ? "\"" : "", items);
  }
  free(title);
}

static void expect_status(Run *r, Inst *c, const char *want) {
  static const char *const names[] = {"waiting", "completed", "terminated", "failed"};
  BpRunStatus st = bp_instance_status(c->inst);
  if (strcmp(names[st], want) == 0) {
    pass(r);
    return;
  }
  const char *msg = bp_instance_message(c->inst);
  failure(r, "expected %s, found %s%s%s", want, names[st], *msg ? ": " : "", msg);
}

static void expect_notified(Run *r, Inst *c, char **w, int n) {
  if (n != 4) {
    failure(r, "error: expected `expect notified USER \"message\"`");
    return;
  }
  char *msg = text_of(r, w[3]);
  for (size_t i = 0; i < c->nnotes; i++)
    if (strcmp(c->notes[i].user, w[2]) == 0 && strcmp(c->notes[i].message, msg) == 0) {
      pass(r);
      free(msg);
      return;
    }
  char seen[600] = "";
  size_t at = 0;
  for (size_t i = 0; i < c->nnotes && at < sizeof seen; i++)
    if (strcmp(c->notes[i].user, w[2]) == 0)
      at += (size_t)snprintf(seen + at, sizeof seen - at, "%s\"%s\"", at ? ", " : "", c->notes[i].message);
  failure(r, "expected %s to be told \"%s\", found %s", w[2], msg, at ? seen : "no message to them");
  free(msg);
}

static void expect_journal(Run *r, Inst *c, char **w, int n) {
  if (n != 3) {
    failure(r, "error: expected `expect journal \"text\"`");
    return;
  }
  char *text = text_of(r, w[2]);
  for (size_t i = 0; i < c->njournal; i++)
    if (strstr(c->journal[i], text)) {
      pass(r);
      free(text);
      return;
    }
  failure(r, "expected a journal line containing \"%s\", found none among %zu lines", text, c->njournal);
  free(text);
}

static void expect_state(Run *r, Inst *c, char **w, int n) {
  if (n != 3) {
    failure(r, "error: expected `expect state NAME`");
    return;
  }
  const char *st = bp_instance_state(c->inst);
  if (st && strcmp(st, w[2]) == 0) pass(r);
  else failure(r, "expected state %s, found %s", w[2], st ? st : "no state");
}

/* ACTION(ARG, ...): each ARG read as a value of the type of the call's own argument. */
static void expect_called(Run *r, Inst *c, char **w, int n) {
  if (n != 3 || !strchr(w[2], '(') || w[2][strlen(w[2]) - 1] != ')') {
    failure(r, "error: expected `expect called ACTION(ARG, ...)`");
    return;
  }
  char *spec = xstrdup(w[2]);
  char *open = strchr(spec, '(');
  *open = '\0';
  char *inner = open + 1;
  inner[strlen(inner) - 1] = '\0';
  char *args[64];
  int nargs = 0;
  /* split the arguments at top-level commas */
  char *p = inner;
  while (*p == ' ') p++;
  if (*p) {
    args[nargs++] = p;
    bool quoted = false;
    int depth = 0;
    for (; *p && nargs < 64; p++) {
      if (quoted) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '"') quoted = false;
      } else if (*p == '"') quoted = true;
      else if (*p == '(' || *p == '[') depth++;
      else if (*p == ')' || *p == ']') depth--;
      else if (*p == ',' && depth == 0) {
        *p = '\0';
        args[nargs++] = p + 1;
      }
    }
  }
  bool matched = false;
  char seen[600] = "";
  size_t at = 0;
  for (size_t i = 0; i < bp_instance_call_count(c->inst) && !matched; i++) {
    BpCall call;
    if (!bp_instance_call(c->inst, i, &call) || strcmp(call.action, spec) != 0) continue;
    bool same = call.nargs == (size_t)nargs;
    at += (size_t)snprintf(seen + at, at < sizeof seen ? sizeof seen - at : 0, "%s%s(", at ? ", " : "", call.action);
    for (size_t k = 0; k < call.nargs; k++) {
      char text[200];
      bp_value_format(&call.args[k], text, sizeof text);
      if (at < sizeof seen) at += (size_t)snprintf(seen + at, sizeof seen - at, "%s%s", k ? ", " : "", text);
    }
    if (at < sizeof seen) at += (size_t)snprintf(seen + at, sizeof seen - at, ")");
    /* Copy the arguments first: parsing below does not touch the instance, but keep
     * the comparison independent of the view's lifetime anyway. */
    for (size_t k = 0; same && k < call.nargs; k++) {
      BpValue want, eq;
      BpError err = {0};
      if (bp_value_parse(r->h->rt, args[k], strlen(args[k]), call.args[k].type, &want, &err) != BP_OK) {
        same = false;
        continue;
      }
      if (bp_value_op(r->h->rt, BP_OP_EQ, &want, &call.args[k], &eq, &err) != BP_OK || !eq.i) same = false;
      bp_value_free(r->h->rt, &want);
      bp_value_free(r->h->rt, &eq);
    }
    matched = same;
  }
  if (matched) pass(r);
  else failure(r, "expected a pending call %s, found %s", w[2], at ? seen : "no pending call");
  free(spec);
}

static void expect_expr(Run *r, Inst *c, const char *text) {
  BpValue v;
  char why[300];
  if (!expr_eval(r->h, c->inst, text, &v, why, sizeof why)) {
    failure(r, "expected %s: %s", text, why);
    return;
  }
  if (v.type != BP_T_BOOL) failure(r, "expected %s: that is not a condition (a bool)", text);
  else if (v.i) pass(r);
  else failure(r, "expected %s, found it false", text);
  bp_value_free(r->h->rt, &v);
}

static void expect_error(Run *r, char **w, int n) {
  if (n != 3) {
    failure(r, "error: expected `expect error \"text\"`");
    return;
  }
  char *text = text_of(r, w[2]);
  if (!r->refused) failure(r, "expected the previous command to be refused with \"%s\", but it was not", text);
  else if (!strstr(r->refusal, text))
    failure(r, "expected a refusal with \"%s\", found \"%s\"", text, r->refusal);
  else pass(r);
  r->refused = false;
  free(text);
}

static void cmd_expect(Run *r, char **w, int n, const char *rest) {
  if (n < 2) {
    failure(r, "error: `expect` needs something to expect");
    return;
  }
  if (strcmp(w[1], "error") == 0) {
    expect_error(r, w, n);
    return;
  }
  Inst *c = need_instance(r);
  if (!c) return;
  if (strcmp(w[1], "task") == 0) expect_task(r, c, w, n, false);
  else if (strcmp(w[1], "no") == 0 && n >= 3 && strcmp(w[2], "task") == 0) expect_task(r, c, w, n, true);
  else if (n == 2 && (!strcmp(w[1], "completed") || !strcmp(w[1], "terminated") || !strcmp(w[1], "waiting") ||
                      !strcmp(w[1], "failed")))
    expect_status(r, c, w[1]);
  else if (strcmp(w[1], "notified") == 0) expect_notified(r, c, w, n);
  else if (strcmp(w[1], "overdue") == 0 && (n == 3 || n == 4)) expect_overdue(r, c, w, n, false);
  else if (strcmp(w[1], "no") == 0 && n >= 3 && strcmp(w[2], "overdue") == 0) expect_overdue(r, c, w, n, true);
  else if (strcmp(w[1], "journal") == 0) expect_journal(r, c, w, n);
  else if (strcmp(w[1], "state") == 0 && n == 3) expect_state(r, c, w, n);
  else if (strcmp(w[1], "called") == 0) expect_called(r, c, w, n);
  else if (n >= 3 && strcmp(w[1], "waiting") == 0 && strcmp(w[2], "message") == 0) expect_message(r, c, w, n);
  else expect_expr(r, c, rest);
}

static const char *type_word(BpType t) {
  static const char *const names[] = {"?", "string", "int", "decimal", "bool", "date", "datetime", "duration", "user"};
  if (t == BP_T_USERS) return "users";
  return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

/* bprun run: the messages the instance waits for, and how to send one. */
static void show_messages(Inst *c) {
  for (size_t i = 0; i < bp_instance_message_count(c->inst); i++) {
    BpMessageWait m;
    if (!bp_instance_message_wait(c->inst, i, &m)) continue;
    bool quote = strpbrk(m.name, " \t\"") != NULL;
    printf("  waits for message %s (message %s%s%s", m.name, quote ? "\"" : "", m.name, quote ? "\"" : "");
    for (size_t f = 0; f < m.nfields; f++) printf(" %s=%s", m.fields[f].name, type_word(m.fields[f].type));
    printf(")\n");
  }
}

static void show_items(Run *r) {
  Inst *c = host_current(r->h);
  if (!c) return;
  static const char *const kinds[] = {"task", "approve", "review", "request"};
  static const char *const states[] = {"waiting", "completed", "terminated", "failed"};
  size_t n = bp_instance_item_count(c->inst);
  for (size_t i = 0; i < n; i++) {
    BpItem it;
    if (!bp_instance_item(c->inst, i, &it)) continue;
    char due[40] = "";
    if (it.has_due) {
      char t[32];
      format_time(it.due, t, sizeof t);
      snprintf(due, sizeof due, ", due %s", t);
    }
    printf("  open: %s %s \"%s\"%s%s\n", kinds[it.kind], it.user, it.title, due, it.overdue ? ", overdue" : "");
    for (size_t f = 0; f < it.nfields; f++) printf("        %s: \"%s\"\n", it.fields[f].name, it.fields[f].label);
  }
  for (size_t i = 0; i < bp_instance_call_count(c->inst); i++) {
    BpCall call;
    if (bp_instance_call(c->inst, i, &call)) printf("  waits for the host: %s (answer %s VALUE)\n", call.action, call.action);
  }
  show_messages(c);
  const char *state = bp_instance_state(c->inst);
  BpRunStatus st = bp_instance_status(c->inst);
  const char *msg = bp_instance_message(c->inst);
  printf("  #%d %s%s%s%s%s\n", c->number, states[st], state ? ", state " : "", state ? state : "", *msg ? ": " : "", msg);
  if (state && st == BP_WAITING) {
    const char *names[32], *labels[32];
    size_t k = bp_instance_commands(c->inst, NULL, names, labels, 32);
    for (size_t i = 0; i < k && i < 32; i++) printf("  command: %s \"%s\"\n", names[i], labels[i]);
  }
}

const char scn_run_help[] =
    "commands (as in scenarios; a quoted text may hold spaces):\n"
    "  approve USER [COMMENT]     reject USER [COMMENT]     complete USER [field=value ...]\n"
    "  command USER NAME          set field=value ...       answer ACTION VALUE | fail ACTION [CODE] WHY\n"
    "  message NAME [field=value ...] (to this instance)    signal NAME [field=value ...] (to all)\n"
    "  advance 1d | 4h30m ...     clock 2026-03-05T10:00    start PROCESS [name=value ...]\n"
    "  use N (the Nth instance)   expect EXPR | expect error TEXT | expect completed ...\n"
    "  items (show the open items again)   help   quit\n";

/* One line of a scenario. */
static void run_line(Run *r, char *line) {
  char *copy = xstrdup(line);
  size_t len = strlen(copy);
  while (len && (copy[len - 1] == '\n' || copy[len - 1] == '\r')) copy[--len] = '\0';
  r->text = copy;
  char *w[128];
  char *buf = xstrdup(copy);
  int n = split(buf, w, 128);
  if (n == 0) goto done;
  if (n < 0) {
    failure(r, "error: too many words on the line");
    goto done;
  }
  if (r->refused && !(strcmp(w[0], "expect") == 0 && n >= 2 && strcmp(w[1], "error") == 0)) {
    int at = r->line;
    r->line = r->refused_line;
    failure(r, "the command was refused: %s", r->refusal);
    r->line = at;
    r->refused = false;
  }
  /* `expect EXPR` takes the rest of the line as it was written. */
  const char *rest = copy;
  while (*rest == ' ' || *rest == '\t') rest++;
  if (strncmp(rest, "expect", 6) == 0) rest += 6;
  while (*rest == ' ' || *rest == '\t') rest++;
  const char *cmd = w[0];
  if (!strcmp(cmd, "start")) cmd_start(r, w, n);
  else if (!strcmp(cmd, "create")) cmd_create(r, w, n);
  else if (!strcmp(cmd, "use")) {
    long k = n == 2 ? strtol(w[1], NULL, 10) : 0;
    if (k < 1 || (size_t)k > r->h->ninsts) failure(r, "error: `use N` needs an instance number from 1 to %zu", r->h->ninsts);
    else r->h->current = (size_t)k - 1;
  } else if (!strcmp(cmd, "approve") || !strcmp(cmd, "reject")) cmd_decide(r, w, n, cmd[0] == 'a');
  else if (!strcmp(cmd, "complete")) cmd_complete(r, w, n);
  else if (!strcmp(cmd, "command")) cmd_command(r, w, n);
  else if (!strcmp(cmd, "set")) cmd_set(r, w, n);
  else if (!strcmp(cmd, "advance")) cmd_advance(r, w, n);
  else if (!strcmp(cmd, "clock")) cmd_clock(r, w, n);
  else if (!strcmp(cmd, "answer")) cmd_answer(r, w, n, false);
  else if (!strcmp(cmd, "fail")) cmd_answer(r, w, n, true);
  else if (!strcmp(cmd, "message")) cmd_message(r, w, n);
  else if (!strcmp(cmd, "signal")) cmd_signal(r, w, n);
  else if (!strcmp(cmd, "expect")) cmd_expect(r, w, n, rest);
  else if (r->opt->interactive && (!strcmp(cmd, "items") || !strcmp(cmd, "show"))) { /* shown below */
  } else if (r->opt->interactive && !strcmp(cmd, "help")) {
    fputs(scn_run_help, r->out);
  } else failure(r, "error: unknown command `%s`", cmd);
  if (r->opt->reload && r->h->ninsts) {
    char why[300];
    if (!host_reload(r->h, why, sizeof why)) failure(r, "error: --reload: %s", why);
  }
  if (r->opt->interactive) show_items(r);
done:
  free(buf);
  free(copy);
  r->text = NULL;
}

void scn_run(Host *h, const char *file, FILE *in, const ScnOptions *opt, FILE *out, int *passed, int *failed) {
  Run r = {.h = h, .opt = opt, .file = file, .out = out, .terminal = opt->interactive && isatty(fileno(in))};
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  if (opt->nstart) {
    r.text = "start";
    cmd_start(&r, opt->start, opt->nstart);
    if (r.refused) {
      fprintf(out, "bprun: cannot start: %s\n", r.refusal);
      r.refused = false;
      r.failed++;
      *failed += r.failed;
      return;
    }
    if (!host_current(h)) { /* refused or failed, and told: never a success */
      *failed += r.failed ? r.failed : 1;
      return;
    }
  }
  if (r.terminal) fputs("type help for the commands, quit to end\n", out);
  if (opt->interactive) show_items(&r);
  bool terminal = r.terminal;
  for (;;) {
    if (terminal) {
      printf("> ");
      fflush(stdout);
    }
    if ((len = getline(&line, &cap, in)) < 0) break;
    if (opt->interactive && !terminal) printf("> %s%s", line, len && line[len - 1] == '\n' ? "" : "\n");
    r.line++;
    if (memchr(line, '\0', (size_t)len)) {
      failure(&r, "error: a NUL byte in the line");
      continue;
    }
    if (opt->interactive) {
      const char *t = line;
      while (*t == ' ') t++;
      if (!strncmp(t, "quit", 4) || !strncmp(t, "exit", 4)) break;
    }
    run_line(&r, line);
  }
  free(line);
  if (r.refused) {
    r.line = r.refused_line;
    failure(&r, "the command was refused: %s", r.refusal);
  }
  sweep_finish(&r);
  *passed += r.passed;
  *failed += r.failed;
}
