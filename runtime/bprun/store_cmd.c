/* store_cmd.c — `bprun --store URL COMMAND …`: processes kept in a store (bps.h) across
 * runs of bprun. Each command opens the store, does one thing (an event is one
 * transaction) and closes it.
 *
 * Exit status: 0 done, 1 an event was refused (nothing changed), 2 misuse or a store
 * that cannot be used (locked past the retries, unwritable, a missing bundle). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bps.h"
#include "host.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_MISUSE = 2 };

static const char store_usage[] =
    "usage: bprun --store URL COMMAND ...\n"
    "\n"
    "URL is a database file (SQLite; FILE?synchronous=normal to trade the last commits\n"
    "for speed) or postgresql://user@host/db. Commands:\n"
    "  deploy BUNDLE.bpt            store a bundle; its processes become the newest versions\n"
    "  migrate PROCESS --to VERSION [--dry-run]\n"
    "                               move waiting instances to VERSION; name those that cannot move\n"
    "  doc create DOCTYPE [field=value ...] | doc set DOC field=value ... | doc show DOC\n"
    "  start PROCESS [--doc DOC] [name=value ...]\n"
    "  list [--status waiting|completed|terminated|failed]\n"
    "  tasks [USER]                 the inbox: who waits for what, since, until, overdue\n"
    "  act ITEM approve|reject|complete|answer [field=value ...] [--comment TEXT] [--by USER]\n"
    "  command INSTANCE NAME --by USER\n"
    "  message INSTANCE NAME [field=value ...]\n"
    "  answer INSTANCE ACTION [VALUE] | fail INSTANCE ACTION WHY | terminate INSTANCE [WHY]\n"
    "  advance DURATION|DATETIME    move the store's clock, firing what falls due\n"
    "  clock DATETIME|wall          set the store's clock (tests), or go back to the wall clock\n"
    "  tick                         fire the timers due now\n"
    "  history INSTANCE|all         the journal (the format of bprun test --journal)\n"
    "  worker [--once] [--poll SECONDS]\n"
    "                               fire due timers and deliver the outbox until SIGTERM\n"
    "--json prints listings (list, tasks, history, doc show, migrate, deploy) as JSON lines.\n";

typedef struct Out {
  bool json;
  int kind; /* which listing: 't' tasks, 'l' list, 'h' history, 'd' doc, 'm' migrate, 'p' deploy, 'o' outbox */
  size_t rows;
} Out;

static void json_str(const char *s) {
  putchar('"');
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c == '\t') fputs("\\t", stdout);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static const BpsCell *cell(const BpsCell *c, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(c[i].name, name)) return &c[i];
  return NULL;
}
static const char *ctext(const BpsCell *c, size_t n, const char *name) {
  const BpsCell *x = cell(c, n, name);
  return x && x->text ? x->text : "";
}
static int64_t cint(const BpsCell *c, size_t n, const char *name) {
  const BpsCell *x = cell(c, n, name);
  return x ? x->i : 0;
}
static const char *when(int64_t t, char *buf, size_t size) {
  format_time(t, buf, size);
  return buf;
}

static void row(void *ud, const BpsCell *c, size_t n) {
  Out *o = ud;
  o->rows++;
  char a[32], b[32];
  if (o->json) {
    putchar('{');
    for (size_t i = 0; i < n; i++) {
      if (i) putchar(',');
      json_str(c[i].name);
      putchar(':');
      if (c[i].is_int) printf("%lld", (long long)c[i].i);
      else if (c[i].text) json_str(c[i].text);
      else fputs("null", stdout);
    }
    puts("}");
    return;
  }
  switch (o->kind) {
  case 't': {
    const BpsCell *due = cell(c, n, "due");
    printf("%s\t%s %s \"%s\" (%s #%lld)", ctext(c, n, "item"), ctext(c, n, "user"), ctext(c, n, "kind"),
           ctext(c, n, "title"), ctext(c, n, "process"), (long long)cint(c, n, "instance"));
    if (*ctext(c, n, "from")) printf(" from %s", ctext(c, n, "from"));
    printf(", since %s", when(cint(c, n, "since"), a, sizeof a));
    if (due && due->is_int) printf(", due %s", when(due->i, b, sizeof b));
    if (cint(c, n, "overdue")) printf(", OVERDUE");
    if (*ctext(c, n, "next")) printf("; %s", ctext(c, n, "next"));
    putchar('\n');
    break;
  }
  case 'l': {
    const BpsCell *next = cell(c, n, "next_timer");
    printf("%lld\t%s v%lld\t%s", (long long)cint(c, n, "id"), ctext(c, n, "process"), (long long)cint(c, n, "version"),
           ctext(c, n, "status"));
    if (*ctext(c, n, "state")) printf(", state %s", ctext(c, n, "state"));
    if (*ctext(c, n, "message")) printf(": %s", ctext(c, n, "message"));
    printf("\tdoc %lld\tupdated %s", (long long)cint(c, n, "doc"), when(cint(c, n, "updated"), a, sizeof a));
    if (next && next->is_int) printf("\tnext timer %s", when(next->i, b, sizeof b));
    putchar('\n');
    break;
  }
  case 'h': {
    const char *node = ctext(c, n, "node");
    printf("%s\t#%lld\t%s\t%s\t%s\n", when(cint(c, n, "time"), a, sizeof a), (long long)cint(c, n, "instance"),
           ctext(c, n, "process"), *node ? node : "-", ctext(c, n, "text"));
    break;
  }
  case 'd': printf("%s = %s\n", ctext(c, n, "field"), ctext(c, n, "value")); break;
  case 'm':
    if (cint(c, n, "moved"))
      printf("instance %lld: %s from version %lld to %lld\n", (long long)cint(c, n, "instance"), "moves",
             (long long)cint(c, n, "from"), (long long)cint(c, n, "to"));
    else
      printf("instance %lld: stays on version %lld: %s\n", (long long)cint(c, n, "instance"), (long long)cint(c, n, "from"),
             ctext(c, n, "why"));
    break;
  case 'p':
    printf("%s version %lld%s\n", ctext(c, n, "process"), (long long)cint(c, n, "version"),
           cint(c, n, "new") ? "" : " (already deployed)");
    break;
  case 'o':
    if (!strcmp(ctext(c, n, "kind"), "notify"))
      printf("notify %s: %s (#%lld)\n", ctext(c, n, "user"), ctext(c, n, "text"), (long long)cint(c, n, "instance"));
    else
      printf("call %s (#%lld)\n", ctext(c, n, "text"), (long long)cint(c, n, "instance"));
    fflush(stdout);
    break;
  default: break;
  }
}

/* ---- parsing words ---------------------------------------------------------------------- */

static void *plain_alloc(void *ud, void *p, size_t old, size_t n) {
  (void)ud, (void)old;
  if (!n) {
    free(p);
    return NULL;
  }
  return realloc(p, n);
}

/* TEXT as a value of TYPE (a duration or a datetime), with the runtime's rules. */
static bool parse_value(const char *text, BpType type, int64_t *out) {
  BpConfig cfg = BP_CONFIG_INIT;
  cfg.alloc = plain_alloc;
  BpRuntime *rt = NULL;
  BpError e = {0};
  if (bp_runtime_new(&cfg, &rt, &e) != BP_OK) return false;
  BpValue v;
  bool ok = bp_value_parse(rt, text, strlen(text), type, &v, &e) == BP_OK;
  if (ok) *out = v.i;
  if (ok) bp_value_free(rt, &v);
  bp_runtime_free(rt);
  return ok;
}

static bool number(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno || v <= 0) return false;
  *out = v;
  return true;
}

static int misuse(const char *fmt, const char *arg) {
  fputs("bprun --store: ", stderr);
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  return EXIT_MISUSE;
}

static int result(BpsStatus st, const BpsError *err) {
  if (st == BPS_OK) return EXIT_OK;
  fprintf(stderr, "bprun --store: %s%s\n", st == BPS_REFUSED ? "refused: " : "", err->message);
  return st == BPS_REFUSED ? EXIT_REFUSED : EXIT_MISUSE;
}

/* Options taken out of the words: --json, and the named ones with a value. */
typedef struct Opts {
  bool json, dry_run, once;
  const char *comment, *by, *to, *status, *doc, *poll;
  const char **rest;
  int nrest;
} Opts;

static bool take_opts(int argc, char **argv, Opts *o) {
  o->rest = xrealloc(NULL, (size_t)(argc + 1) * sizeof *o->rest);
  o->nrest = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = !strcmp(a, "--comment") ? &o->comment
                        : !strcmp(a, "--by")    ? &o->by
                        : !strcmp(a, "--to")    ? &o->to
                        : !strcmp(a, "--status") ? &o->status
                        : !strcmp(a, "--doc")   ? &o->doc
                        : !strcmp(a, "--poll")  ? &o->poll
                                                : NULL;
    if (slot) {
      if (i + 1 >= argc) {
        misuse("%s needs a value", a);
        return false;
      }
      *slot = argv[++i];
    } else if (!strcmp(a, "--json")) o->json = true;
    else if (!strcmp(a, "--dry-run")) o->dry_run = true;
    else if (!strcmp(a, "--once")) o->once = true;
    else if (a[0] == '-' && a[1] == '-') {
      misuse("unknown option %s", a);
      return false;
    } else o->rest[o->nrest++] = a;
  }
  return true;
}

/* ---- the worker ---------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;
static void on_term(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int worker(BpsStore *s, const Opts *o) {
  int64_t poll = 1;
  if (o->poll && !number(o->poll, &poll)) return misuse("--poll needs a number of seconds, not `%s`", o->poll);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  if (!o->once) {
    /* the line a supervisor (or a test) waits for before it may stop the worker */
    fprintf(stderr, "bprun worker: running; SIGTERM or SIGINT stops it after the current transaction\n");
    fflush(stderr);
  }
  Out out = {o->json, 'o', 0};
  while (!stop_requested) {
    BpsError err = {0};
    int64_t fired = 0, delivered = 0;
    /* one timer per transaction, a few at a time, so that SIGTERM is noticed soon */
    BpsStatus st = bps_tick(s, 100, &fired, &err);
    if (st == BPS_OK) st = bps_outbox(s, 100, row, &out, &delivered, &err);
    if (st != BPS_OK) {
      fprintf(stderr, "bprun worker: %s\n", err.message);
      if (o->once) return EXIT_MISUSE;
    }
    if (o->once && !fired && !delivered) break;
    if (!fired && !delivered)
      for (int64_t k = 0; k < poll * 10 && !stop_requested; k++) nanosleep(&(struct timespec){0, 100000000}, NULL);
  }
  return EXIT_OK;
}

/* ---- the commands ------------------------------------------------------------------------------ */

static int cmd_deploy(BpsStore *s, const Opts *o) {
  if (o->nrest != 1) return misuse("%s", "usage: deploy BUNDLE.bpt");
  uint8_t *bytes;
  size_t len;
  char why[300];
  if (!read_whole_file(o->rest[0], &bytes, &len, why, sizeof why)) return misuse("%s", why);
  Out out = {o->json, 'p', 0};
  BpsError err = {0};
  BpsStatus st = bps_deploy(s, bytes, len, row, &out, &err);
  free(bytes);
  if (st == BPS_MISUSE) {
    fprintf(stderr, "bprun --store: %s: %s\n", o->rest[0], err.message);
    return EXIT_MISUSE;
  }
  return result(st, &err);
}

static int cmd_doc(BpsStore *s, const Opts *o) {
  BpsError err = {0};
  Out out = {o->json, 'd', 0};
  if (o->nrest >= 2 && !strcmp(o->rest[0], "create")) {
    int64_t doc = 0;
    BpsStatus st = bps_doc_create(s, o->rest[1], o->rest + 2, (size_t)(o->nrest - 2), &doc, &err);
    if (st == BPS_OK) printf("document %lld\n", (long long)doc);
    return result(st, &err);
  }
  int64_t doc;
  if (o->nrest >= 2 && !number(o->rest[1], &doc)) return misuse("`%s` is not a document number", o->rest[1]);
  if (o->nrest >= 3 && !strcmp(o->rest[0], "set"))
    return result(bps_doc_set(s, doc, o->rest + 2, (size_t)(o->nrest - 2), &err), &err);
  if (o->nrest == 2 && !strcmp(o->rest[0], "show")) return result(bps_doc_show(s, doc, row, &out, &err), &err);
  return misuse("%s", "usage: doc create DOCTYPE [field=value ...] | doc set DOC field=value ... | doc show DOC");
}

static int cmd_start(BpsStore *s, const Opts *o) {
  if (o->nrest < 1) return misuse("%s", "usage: start PROCESS [--doc DOC] [name=value ...]");
  int64_t doc = 0, id = 0;
  if (o->doc && !number(o->doc, &doc)) return misuse("`%s` is not a document number", o->doc);
  BpsError err = {0};
  BpsStatus st = bps_start(s, o->rest[0], doc, o->rest + 1, (size_t)(o->nrest - 1), &id, &err);
  if (st == BPS_OK) printf("instance %lld\n", (long long)id);
  return result(st, &err);
}

static int cmd_act(BpsStore *s, const Opts *o) {
  static const char usage[] = "usage: act ITEM approve|reject|complete|answer [field=value ...] [--comment TEXT] [--by USER]";
  if (o->nrest < 2) return misuse("%s", usage);
  const char *dot = strchr(o->rest[0], '.');
  int64_t instance, item;
  char inst_text[32];
  if (!dot || (size_t)(dot - o->rest[0]) >= sizeof inst_text) return misuse("`%s` is not an item (INSTANCE.N, as tasks shows)", o->rest[0]);
  memcpy(inst_text, o->rest[0], (size_t)(dot - o->rest[0]));
  inst_text[dot - o->rest[0]] = '\0';
  if (!number(inst_text, &instance) || !number(dot + 1, &item) || item > UINT32_MAX)
    return misuse("`%s` is not an item (INSTANCE.N, as tasks shows)", o->rest[0]);
  BpsEvent ev = {.item = (uint32_t)item, .comment = o->comment, .args = o->rest + 2, .nargs = (size_t)(o->nrest - 2)};
  const char *verb = o->rest[1];
  if (!strcmp(verb, "approve")) ev.kind = BPS_EV_APPROVE;
  else if (!strcmp(verb, "reject")) ev.kind = BPS_EV_REJECT;
  else if (!strcmp(verb, "complete") || !strcmp(verb, "answer")) ev.kind = BPS_EV_COMPLETE;
  else return misuse("unknown action `%s` (approve, reject, complete or answer)", verb);
  if (ev.kind != BPS_EV_COMPLETE && ev.nargs) return misuse("%s takes no field=value", verb);
  char user[256];
  if (o->by) ev.user = o->by;
  else if (bps_item_user(s, instance, (uint32_t)item, user, sizeof user)) ev.user = user;
  else {
    fprintf(stderr, "bprun --store: refused: item %s is not open\n", o->rest[0]);
    return EXIT_REFUSED;
  }
  BpsError err = {0};
  return result(bps_event(s, instance, &ev, &err), &err);
}

static int cmd_instance_event(BpsStore *s, const char *cmd, const Opts *o) {
  int64_t instance;
  if (o->nrest < 1 || !number(o->rest[0], &instance)) return misuse("%s needs an instance number", cmd);
  BpsEvent ev = {0};
  if (!strcmp(cmd, "command")) {
    if (o->nrest != 2 || !o->by) return misuse("%s", "usage: command INSTANCE NAME --by USER");
    ev = (BpsEvent){.kind = BPS_EV_COMMAND, .user = o->by, .name = o->rest[1]};
  } else if (!strcmp(cmd, "message")) {
    if (o->nrest < 2) return misuse("%s", "usage: message INSTANCE NAME [field=value ...]");
    ev = (BpsEvent){.kind = BPS_EV_MESSAGE, .name = o->rest[1], .args = o->rest + 2, .nargs = (size_t)(o->nrest - 2)};
  } else if (!strcmp(cmd, "answer")) {
    if (o->nrest != 2 && o->nrest != 3) return misuse("%s", "usage: answer INSTANCE ACTION [VALUE]");
    ev = (BpsEvent){.kind = BPS_EV_ANSWER, .name = o->rest[1], .value = o->nrest == 3 ? o->rest[2] : NULL};
  } else if (!strcmp(cmd, "fail")) {
    if (o->nrest != 3) return misuse("%s", "usage: fail INSTANCE ACTION WHY");
    ev = (BpsEvent){.kind = BPS_EV_FAIL, .name = o->rest[1], .comment = o->rest[2]};
  } else {
    if (o->nrest > 2) return misuse("%s", "usage: terminate INSTANCE [WHY]");
    ev = (BpsEvent){.kind = BPS_EV_TERMINATE, .comment = o->nrest == 2 ? o->rest[1] : NULL};
  }
  BpsError err = {0};
  return result(bps_event(s, instance, &ev, &err), &err);
}

static int cmd_advance(BpsStore *s, const Opts *o) {
  if (o->nrest != 1) return misuse("%s", "usage: advance DURATION|DATETIME");
  int64_t v, until;
  if (parse_value(o->rest[0], BP_T_DURATION, &v)) until = bps_now(s) + v;
  else if (parse_value(o->rest[0], BP_T_DATETIME, &v)) until = v * 60;
  else return misuse("`%s` is neither a duration (3d, 4h30m) nor a datetime (2026-03-05T10:00)", o->rest[0]);
  BpsError err = {0};
  int64_t fired = 0;
  BpsStatus st = bps_advance(s, until, &fired, &err);
  if (st == BPS_OK) {
    char t[32];
    printf("clock %s, %lld timer%s fired\n", when(until, t, sizeof t), (long long)fired, fired == 1 ? "" : "s");
  }
  return result(st, &err);
}

static int cmd_clock(BpsStore *s, const Opts *o) {
  int64_t v;
  if (o->nrest != 1) return misuse("%s", "usage: clock DATETIME|wall");
  BpsError err = {0};
  if (!strcmp(o->rest[0], "wall")) return result(bps_clock_set(s, -1, &err), &err);
  if (!parse_value(o->rest[0], BP_T_DATETIME, &v)) return misuse("`%s` is not a datetime (2026-03-05T10:00)", o->rest[0]);
  return result(bps_clock_set(s, v * 60, &err), &err);
}

static int dispatch(BpsStore *s, const char *cmd, const Opts *o) {
  BpsError err = {0};
  if (!strcmp(cmd, "deploy")) return cmd_deploy(s, o);
  if (!strcmp(cmd, "doc")) return cmd_doc(s, o);
  if (!strcmp(cmd, "start")) return cmd_start(s, o);
  if (!strcmp(cmd, "act")) return cmd_act(s, o);
  if (!strcmp(cmd, "command") || !strcmp(cmd, "message") || !strcmp(cmd, "answer") || !strcmp(cmd, "fail") ||
      !strcmp(cmd, "terminate"))
    return cmd_instance_event(s, cmd, o);
  if (!strcmp(cmd, "advance")) return cmd_advance(s, o);
  if (!strcmp(cmd, "clock")) return cmd_clock(s, o);
  if (!strcmp(cmd, "tick")) {
    if (o->nrest) return misuse("%s", "usage: tick");
    int64_t fired = 0;
    BpsStatus st = bps_tick(s, 0, &fired, &err);
    if (st == BPS_OK) printf("%lld timer%s fired\n", (long long)fired, fired == 1 ? "" : "s");
    return result(st, &err);
  }
  if (!strcmp(cmd, "worker")) return o->nrest ? misuse("%s", "usage: worker [--once] [--poll SECONDS]") : worker(s, o);
  if (!strcmp(cmd, "list")) {
    Out out = {o->json, 'l', 0};
    if (o->nrest) return misuse("%s", "usage: list [--status STATUS]");
    return result(bps_list(s, o->status, row, &out, &err), &err);
  }
  if (!strcmp(cmd, "tasks")) {
    Out out = {o->json, 't', 0};
    if (o->nrest > 1) return misuse("%s", "usage: tasks [USER]");
    BpsStatus st = bps_tasks(s, o->nrest ? o->rest[0] : NULL, row, &out, &err);
    if (st == BPS_OK && !out.rows && !o->json) printf("no open items%s%s\n", o->nrest ? " for " : "", o->nrest ? o->rest[0] : "");
    return result(st, &err);
  }
  if (!strcmp(cmd, "history")) {
    int64_t id = 0;
    if (o->nrest != 1 || (strcmp(o->rest[0], "all") && !number(o->rest[0], &id)))
      return misuse("%s", "usage: history INSTANCE|all");
    Out out = {o->json, 'h', 0};
    if (!o->json) puts("# bprun journal: time, instance, process, node, text");
    return result(bps_history(s, id, row, &out, &err), &err);
  }
  if (!strcmp(cmd, "migrate")) {
    int64_t version;
    if (o->nrest != 1 || !o->to || !number(o->to, &version))
      return misuse("%s", "usage: migrate PROCESS --to VERSION [--dry-run]");
    Out out = {o->json, 'm', 0};
    BpsStatus st = bps_migrate(s, o->rest[0], version, o->dry_run, row, &out, &err);
    if (st == BPS_OK && !out.rows && !o->json) printf("no waiting instance of %s on another version\n", o->rest[0]);
    return result(st, &err);
  }
  return misuse("unknown command `%s` (see bprun --store URL --help)", cmd);
}

int store_main(int argc, char **argv) {
  if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
    fputs(store_usage, stdout);
    return EXIT_OK;
  }
  if (argc < 2) {
    fputs(store_usage, stderr);
    return EXIT_MISUSE;
  }
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(store_usage, stdout);
      return EXIT_OK;
    }
  Opts o = {0};
  if (!take_opts(argc - 2, argv + 2, &o)) {
    free(o.rest);
    return EXIT_MISUSE;
  }
  BpsStore *s = NULL;
  BpsError err = {0};
  if (bps_open(argv[0], &s, &err) != BPS_OK) {
    fprintf(stderr, "bprun --store: %s\n", err.message);
    free(o.rest);
    return EXIT_MISUSE;
  }
  int rc = dispatch(s, argv[1], &o);
  bps_close(s);
  free(o.rest);
  return rc;
}
