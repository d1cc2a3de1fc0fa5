/* bps.c — the persistent store (bps.h) over the driver interface (sdb.h): the schema and
 * its version, bundles and process versions, and the event transaction — read the
 * instances of a document, restore them, deliver, save, write items, timers, journal,
 * fields, events and outbox, commit or roll back.
 *
 * The SQL is shared by SQLite and PostgreSQL; the few differences are the driver's
 * dialect strings. Every instance on one document is restored and saved together in
 * one transaction, because an event on one (a field it sets) can start or wake another. */
#include "bps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bp.h"
#include "sdb.h"

enum { RETRIES = 8 };

/* ---- what one event touches -------------------------------------------------------------- */

typedef struct Line {
  int64_t time;
  int kind;
  char *process, *node, *text;
} Line;

typedef struct Out {
  char *kind, *user, *text;
} Out;

/* One instance in the current transaction. */
typedef struct Rec {
  BpInstance *inst;
  int64_t id;      /* 0: started in this transaction, not yet stored */
  int64_t bundle_id, version, journal_lines, events;
  bool by_trigger; /* started by a document change or another process */
  char *start_args; /* a new instance's start, for its recorded events */
  Line *lines;
  size_t nlines, caplines;
  Out *outs;
  size_t nouts, capouts;
} Rec;

typedef struct Ev {
  int64_t now;
  int64_t doc_id;
  int64_t bundle_id;
  BpBundle *bundle;
  Rec **recs;
  size_t nrecs, caprecs;
  Rec *actor;            /* journal lines without an instance go here */
  char **fields;         /* document fields named by this event (to store their values) */
  size_t nfields, capfields;
  bool discard;          /* a replay for migration: nothing of it is stored */
} Ev;

typedef struct Cached {
  int64_t id;
  BpBundle *b;
} Cached;

struct BpsStore {
  const SdbDriver *drv;
  SdbConn *conn;
  BpRuntime *rt;
  Cached *bundles;
  size_t nbundles;
  Ev *ev;
  /* Sticky: what went wrong where no status could be returned (see dupn); the
   * transaction then rolls back and reports it. Empty: nothing. */
  char fault[160];
  char sql[4096];
};

/* Room for one more element in ARR (N used of CAP): true when there is, the array
 * grown if it had to be; false when the heap is out (ARR and CAP stay as they were). */
#define GROW(arr, n, cap) ((n) < (cap) || ((arr) = grow((arr), &(cap), sizeof *(arr)), (n) < (cap)))
static void *grow(void *arr, size_t *cap, size_t size) {
  size_t c = *cap ? 2 * *cap : 8;
  void *p = realloc(arr, c * size);
  if (!p) return arr;
  *cap = c;
  return p;
}

/* Out of memory in the store's own bookkeeping (journal lines, outbox rows, arguments),
 * or a clock that cannot be read, is sticky: the runtime's callbacks cannot return a
 * status, so they record the fault (the first one counts), and the transaction that was
 * running rolls back and reports it (nothing is stored half). The database and the
 * instances in it stay as they were. */
static void fault(BpsStore *s, const char *why) {
  if (!s->fault[0]) snprintf(s->fault, sizeof s->fault, "%s", why);
}
#define OOM(s) fault((s), "out of memory")

static char *dupn(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, n);
  p[n] = '\0';
  return p;
}
static char *sdup(const char *s) { return dupn(s ? s : "", s ? strlen(s) : 0); }

static BpsStatus set_err(BpsError *err, BpsStatus st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static BpsStatus set_err(BpsError *err, BpsStatus st, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = st;
  }
  return st;
}

/* ---- SQL helpers ----------------------------------------------------------------------------- */

/* A statement; on failure err says so. *busy (if given) tells a lost race apart. */
static SdbStatus q(BpsStore *s, const char *sql, const SdbValue *p, size_t n, SdbRows **rows, BpsError *err) {
  SdbStatus st = s->drv->query(s->conn, sql, p, n, rows);
  if (st != SDB_OK) {
    const char *what = st == SDB_FULL ? "the disk is full: " : st == SDB_BUSY ? "the database is locked: " : "";
    set_err(err, BPS_ERROR, "%s%s", what, s->drv->error(s->conn));
  }
  return st;
}

/* The SQL with the dialect's strings put in: %B blob type, %K id key, %U for update,
 * %S skip locked. */
static const char *dialect(BpsStore *s, const char *sql) {
  size_t o = 0;
  for (const char *p = sql; *p && o + 64 < sizeof s->sql; p++) {
    const char *r = NULL;
    if (p[0] == '%' && p[1]) {
      switch (p[1]) {
      case 'B': r = s->drv->dialect.blob; break;
      case 'K': r = s->drv->dialect.id_key; break;
      case 'U': r = s->drv->dialect.for_update; break;
      case 'S': r = s->drv->dialect.skip_locked; break;
      default: break;
      }
    }
    if (r) {
      size_t n = strlen(r);
      if (o + n + 1 >= sizeof s->sql) break;
      memcpy(s->sql + o, r, n);
      o += n;
      p++;
    } else {
      s->sql[o++] = *p;
    }
  }
  s->sql[o] = '\0';
  return s->sql;
}

static SdbValue text(const char *t) { return t ? sdb_text(t, strlen(t)) : sdb_null(); }
static int64_t cell_int(const SdbRows *r, size_t row, size_t col) {
  const SdbValue *v = sdb_cell(r, row, col);
  if (v->type == SDB_INT) return v->i;
  if (v->type == SDB_TEXT) return strtoll(v->p, NULL, 10);
  return 0;
}
static const char *cell_text(const SdbRows *r, size_t row, size_t col) {
  const SdbValue *v = sdb_cell(r, row, col);
  return v->type == SDB_TEXT || v->type == SDB_BLOB ? v->p : NULL;
}

/* ---- the schema -------------------------------------------------------------------------------- */

static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS bps_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS bundles (id %K, hash TEXT NOT NULL UNIQUE, bytes %B NOT NULL,"
    " deployed_at BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS processes (name TEXT NOT NULL, version BIGINT NOT NULL,"
    " bundle_id BIGINT NOT NULL REFERENCES bundles(id), title TEXT NOT NULL, PRIMARY KEY (name, version));"
    "CREATE TABLE IF NOT EXISTS documents (id %K, bundle_id BIGINT NOT NULL REFERENCES bundles(id),"
    " doctype TEXT NOT NULL, process TEXT NOT NULL, created_at BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS fields (doc_id BIGINT NOT NULL REFERENCES documents(id), name TEXT NOT NULL,"
    " value TEXT NOT NULL, PRIMARY KEY (doc_id, name));"
    "CREATE TABLE IF NOT EXISTS instances (id %K, process TEXT NOT NULL, version BIGINT NOT NULL,"
    " bundle_id BIGINT NOT NULL REFERENCES bundles(id), bundle_hash TEXT NOT NULL,"
    " doc_id BIGINT NOT NULL REFERENCES documents(id), status TEXT NOT NULL, message TEXT NOT NULL, state_name TEXT, saved %B, started_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL, journal_lines BIGINT NOT NULL, events BIGINT NOT NULL,"
    " by_trigger BIGINT NOT NULL, start_args TEXT NOT NULL, next_step TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS instances_doc ON instances (doc_id, status);"
    "CREATE TABLE IF NOT EXISTS items (instance_id BIGINT NOT NULL REFERENCES instances(id), item BIGINT NOT NULL,"
    " kind TEXT NOT NULL, user_id TEXT NOT NULL, title TEXT NOT NULL, node TEXT NOT NULL, since BIGINT NOT NULL,"
    " due BIGINT, overdue BIGINT NOT NULL, live BIGINT NOT NULL, PRIMARY KEY (instance_id, item));"
    "CREATE INDEX IF NOT EXISTS items_user ON items (user_id);"
    "CREATE TABLE IF NOT EXISTS timers (instance_id BIGINT PRIMARY KEY REFERENCES instances(id),"
    " due BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS timers_due ON timers (due);"
    "CREATE TABLE IF NOT EXISTS journal (instance_id BIGINT NOT NULL REFERENCES instances(id),"
    " seq BIGINT NOT NULL, time BIGINT NOT NULL, kind BIGINT NOT NULL, process TEXT NOT NULL,"
    " node TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (instance_id, seq));"
    "CREATE TABLE IF NOT EXISTS events (instance_id BIGINT NOT NULL REFERENCES instances(id),"
    " seq BIGINT NOT NULL, time BIGINT NOT NULL, kind TEXT NOT NULL, item BIGINT NOT NULL,"
    " user_id TEXT NOT NULL, comment TEXT, name TEXT NOT NULL, value TEXT, args TEXT NOT NULL,"
    " PRIMARY KEY (instance_id, seq));"
    "CREATE TABLE IF NOT EXISTS outbox (id %K, instance_id BIGINT NOT NULL REFERENCES instances(id),"
    " created_at BIGINT NOT NULL, kind TEXT NOT NULL, user_id TEXT NOT NULL, text TEXT NOT NULL,"
    " delivered_at BIGINT);"
    "CREATE INDEX IF NOT EXISTS outbox_open ON outbox (delivered_at, id)";

/* Migrations: migrations[v] takes a store at schema v to v + 1 (none yet: version 1 is
 * the first; a later version appends its script here and bumps BPS_SCHEMA_VERSION). */
static const char *const migrations[BPS_SCHEMA_VERSION + 1] = {NULL, NULL};

static BpsStatus schema(BpsStore *s, BpsError *err) {
  SdbRows *r = NULL;
  int64_t version = 0;
  /* Outside a transaction: on PostgreSQL a failed statement would spoil it. */
  if (s->drv->query(s->conn, "SELECT value FROM bps_meta WHERE key = 'schema'", NULL, 0, &r) == SDB_OK) {
    if (r->nrows) version = cell_int(r, 0, 0);
    sdb_rows_free(r);
  } else if (strstr(s->drv->error(s->conn), "locked") || strstr(s->drv->error(s->conn), "busy")) {
    return set_err(err, BPS_ERROR, "the database is locked by another program: %s", s->drv->error(s->conn));
  }
  if (version > BPS_SCHEMA_VERSION)
    return set_err(err, BPS_ERROR, "schema version %lld is newer than this bprun's (%d): upgrade bprun",
                   (long long)version, BPS_SCHEMA_VERSION);
  if (version == BPS_SCHEMA_VERSION) return BPS_OK;
  SdbStatus st = s->drv->begin(s->conn);
  if (st == SDB_OK && version == 0) st = s->drv->exec(s->conn, dialect(s, schema_v1));
  for (int64_t v = version ? version : BPS_SCHEMA_VERSION; st == SDB_OK && v < BPS_SCHEMA_VERSION; v++)
    if (migrations[v]) st = s->drv->exec(s->conn, dialect(s, migrations[v]));
  char vtext[24];
  snprintf(vtext, sizeof vtext, "%d", BPS_SCHEMA_VERSION);
  SdbValue p[] = {text(vtext)};
  if (st == SDB_OK)
    st = s->drv->query(s->conn,
                       "INSERT INTO bps_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       p, 1, NULL);
  if (st == SDB_OK) st = s->drv->commit(s->conn);
  if (st != SDB_OK) {
    set_err(err, BPS_ERROR, "cannot %s the schema: %s%s", version ? "migrate" : "create",
            st == SDB_FULL ? "the disk is full: " : st == SDB_BUSY ? "the database is locked: " : "",
            s->drv->error(s->conn));
    s->drv->rollback(s->conn);
    return BPS_ERROR;
  }
  return BPS_OK;
}

/* ---- the runtime's callbacks ------------------------------------------------------------------ */

static void *heap(void *ud, void *ptr, size_t old_size, size_t new_size) {
  (void)ud, (void)old_size;
  if (new_size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, new_size);
}

static Rec *rec_of(BpsStore *s, BpInstance *inst) {
  if (inst) return bp_instance_ud(inst);
  return s->ev ? s->ev->actor : NULL;
}

static void add_out(BpsStore *s, Rec *r, const char *kind, const char *user, const char *msg) {
  if (!r) return;
  Out o = {sdup(kind), sdup(user), sdup(msg)};
  if (!o.kind || !o.user || !o.text || !GROW(r->outs, r->nouts, r->capouts)) {
    free(o.kind), free(o.user), free(o.text);
    OOM(s);
    return;
  }
  r->outs[r->nouts++] = o;
}

static void on_notify(void *ud, BpInstance *inst, const char *user, const char *message) {
  add_out(ud, rec_of(ud, inst), "notify", user, message);
}

static void note_field(BpsStore *s, const char *text) {
  Ev *ev = s->ev;
  const char *eq = strstr(text, " = ");
  if (!ev || !eq) return;
  for (size_t i = 0; i < ev->nfields; i++)
    if (strlen(ev->fields[i]) == (size_t)(eq - text) && !strncmp(ev->fields[i], text, (size_t)(eq - text))) return;
  char *name = dupn(text, (size_t)(eq - text));
  if (!name || !GROW(ev->fields, ev->nfields, ev->capfields)) {
    free(name);
    OOM(s);
    return;
  }
  ev->fields[ev->nfields++] = name;
}

static void on_journal(void *ud, BpInstance *inst, const BpJournal *line) {
  BpsStore *s = ud;
  Rec *r = rec_of(s, inst);
  if (line->kind == BP_J_FIELD) note_field(s, line->text);
  if (!r) return;
  Line l = {line->time ? line->time : (s->ev ? s->ev->now : 0), (int)line->kind, sdup(line->process), sdup(line->node),
            sdup(line->text)};
  if (!l.process || !l.node || !l.text || !GROW(r->lines, r->nlines, r->caplines)) {
    free(l.process), free(l.node), free(l.text);
    OOM(s);
    return;
  }
  r->lines[r->nlines++] = l;
}

static void on_call(void *ud, BpInstance *inst, const BpCall *call) {
  char buf[1024];
  size_t o = (size_t)snprintf(buf, sizeof buf, "%s(", call->action);
  for (size_t i = 0; i < call->nargs && o < sizeof buf; i++) {
    char v[300];
    bp_value_format(&call->args[i], v, sizeof v);
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? ", " : "", v);
  }
  if (o < sizeof buf) snprintf(buf + o, sizeof buf - o, ")");
  add_out(ud, rec_of(ud, inst), "call", "", buf);
}

/* A record of INST in the event; NULL (and s->oom) when the heap is out. */
static Rec *new_rec(BpsStore *s, Ev *ev, BpInstance *inst) {
  Rec *r = calloc(1, sizeof *r);
  if (!r || !GROW(ev->recs, ev->nrecs, ev->caprecs)) {
    free(r);
    OOM(s);
    return NULL;
  }
  r->inst = inst;
  ev->recs[ev->nrecs++] = r;
  return r;
}

static void on_started(void *ud, BpInstance *inst) {
  BpsStore *s = ud;
  if (!s->ev) {
    bp_instance_free(inst);
    return;
  }
  Rec *r = new_rec(s, s->ev, inst);
  if (!r) {
    bp_instance_free(inst);
    return;
  }
  r->bundle_id = s->ev->bundle_id;
  r->by_trigger = true;
  bp_instance_set_ud(inst, r);
}

static int64_t on_clock(void *ud) {
  BpsStore *s = ud;
  return s->ev ? s->ev->now : bps_now(s);
}

/* role("x"): the users named by BPRUN_ROLE_x, as bprun test takes them. */
static int on_role(void *ud, const char *role, const char *const **users, size_t *n) {
  (void)ud;
  static _Thread_local char buf[1024];
  static _Thread_local const char *list[64];
  char var[128];
  snprintf(var, sizeof var, "BPRUN_ROLE_%s", role);
  const char *v = getenv(var);
  *n = 0;
  *users = list;
  if (!v) return 0;
  snprintf(buf, sizeof buf, "%s", v);
  char *p = buf;
  while (*p && *n < 64) {
    list[(*n)++] = p;
    char *comma = strchr(p, ',');
    if (!comma) break;
    *comma = '\0';
    p = comma + 1;
  }
  return 0;
}

/* ---- open and close ---------------------------------------------------------------------------- */

BpsStatus bps_open(const char *url, BpsStore **out, BpsError *err) {
  *out = NULL;
  if (!url || !*url) return set_err(err, BPS_MISUSE, "no database named");
  const char *target = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
  BpsStore *s = calloc(1, sizeof *s);
  if (!s) return set_err(err, BPS_ERROR, "out of memory");
  s->drv = sdb_driver_for(target);
  char *msg = NULL;
  if (s->drv->open(target, &s->conn, &msg) != SDB_OK) {
    set_err(err, BPS_ERROR, "cannot open %s", msg ? msg : target);
    free(msg);
    free(s);
    return BPS_ERROR;
  }
  BpConfig cfg = BP_CONFIG_INIT;
  cfg.alloc = heap;
  cfg.ud = s;
  cfg.notify = on_notify;
  cfg.journal = on_journal;
  cfg.call = on_call;
  cfg.started = on_started;
  cfg.clock = on_clock;
  cfg.role = on_role;
  BpError e = {0};
  if (bp_runtime_new(&cfg, &s->rt, &e) != BP_OK) {
    set_err(err, BPS_ERROR, "%s", e.message);
    bps_close(s);
    return BPS_ERROR;
  }
  if (schema(s, err) != BPS_OK) {
    bps_close(s);
    return BPS_ERROR;
  }
  *out = s;
  return BPS_OK;
}

void bps_close(BpsStore *s) {
  if (!s) return;
  for (size_t i = 0; i < s->nbundles; i++) bp_bundle_free(s->bundles[i].b);
  free(s->bundles);
  if (s->rt) bp_runtime_free(s->rt);
  if (s->conn) s->drv->close(s->conn);
  free(s);
}

/* ---- the clock ------------------------------------------------------------------------------------ */

int64_t bps_now(BpsStore *s) {
  SdbRows *r = NULL;
  int64_t now = (int64_t)time(NULL);
  if (s->drv->query(s->conn, "SELECT value FROM bps_meta WHERE key = 'clock'", NULL, 0, &r) != SDB_OK)
    fault(s, "cannot read the store's clock"); /* not the wall clock in its place */
  else if (r->nrows)
    now = cell_int(r, 0, 0);
  sdb_rows_free(r);
  return now;
}

static SdbStatus store_clock(BpsStore *s, int64_t t, BpsError *err) {
  char v[24];
  snprintf(v, sizeof v, "%lld", (long long)t);
  SdbValue p[] = {text(v)};
  return q(s, "INSERT INTO bps_meta (key, value) VALUES ('clock', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
           p, 1, NULL, err);
}

BpsStatus bps_clock_set(BpsStore *s, int64_t t, BpsError *err) {
  SdbStatus st = s->drv->begin(s->conn);
  if (st != SDB_OK) return set_err(err, BPS_ERROR, "%s", s->drv->error(s->conn));
  st = t < 0 ? q(s, "DELETE FROM bps_meta WHERE key = 'clock'", NULL, 0, NULL, err) : store_clock(s, t, err);
  if (st == SDB_OK) st = s->drv->commit(s->conn);
  if (st != SDB_OK) {
    s->drv->rollback(s->conn);
    return set_err(err, BPS_ERROR, "%s", s->drv->error(s->conn));
  }
  return BPS_OK;
}

/* ---- bundles ----------------------------------------------------------------------------------------- */

/* The content hash of a bundle: FNV-1a 64 and the length, with the runtime's CRC-32C. */
static void bundle_hash(const uint8_t *p, size_t n, uint32_t crc, char *out, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  snprintf(out, size, "%016llx-%08x-%zu", (unsigned long long)h, crc, n);
}

/* The loaded bundle BUNDLE_ID, from the cache or the database. */
static BpBundle *bundle(BpsStore *s, int64_t id, BpsError *err) {
  for (size_t i = 0; i < s->nbundles; i++)
    if (s->bundles[i].id == id) return s->bundles[i].b;
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(id)};
  if (q(s, "SELECT bytes, hash FROM bundles WHERE id = $1", p, 1, &r, err) != SDB_OK) return NULL;
  if (!r->nrows) {
    sdb_rows_free(r);
    set_err(err, BPS_ERROR, "bundle %lld is missing from the store (it was deleted?)", (long long)id);
    return NULL;
  }
  const SdbValue *bytes = sdb_cell(r, 0, 0);
  BpBundle *b = NULL;
  BpError e = {0};
  if (bp_bundle_load(s->rt, bytes->p, bytes->n, &b, &e) != BP_OK) {
    set_err(err, BPS_ERROR, "bundle %lld (%s) cannot be loaded: %s", (long long)id, cell_text(r, 0, 1), e.message);
    sdb_rows_free(r);
    return NULL;
  }
  sdb_rows_free(r);
  Cached *c = realloc(s->bundles, (s->nbundles + 1) * sizeof *c);
  if (!c) {
    bp_bundle_free(b);
    set_err(err, BPS_ERROR, "out of memory");
    return NULL;
  }
  s->bundles = c;
  s->bundles[s->nbundles++] = (Cached){id, b};
  return b;
}

/* The transaction around FN: begin, FN, commit; a lost race is retried. */
typedef BpsStatus (*TxFn)(BpsStore *s, void *ctx, BpsError *err);
static BpsStatus transaction(BpsStore *s, TxFn fn, void *ctx, BpsError *err) {
  for (int attempt = 0;; attempt++) {
    SdbStatus st = s->drv->begin(s->conn);
    BpsStatus bs = BPS_ERROR;
    if (st != SDB_OK) set_err(err, BPS_ERROR, "the database is locked: %s", s->drv->error(s->conn));
    else {
      bs = fn(s, ctx, err); /* a fault from before (bps_now) fails it too */
      if (s->fault[0]) {
        bs = set_err(err, BPS_ERROR, "%s: nothing is stored, the database is as it was", s->fault);
        s->fault[0] = '\0';
        st = SDB_OK;
      }
      if (bs == BPS_OK) {
        st = s->drv->commit(s->conn);
        if (st == SDB_OK) return BPS_OK;
        set_err(err, BPS_ERROR, "cannot commit: %s", s->drv->error(s->conn));
      }
    }
    s->drv->rollback(s->conn);
    bool busy = st == SDB_BUSY || (bs == BPS_ERROR && err && strstr(err->message, "locked"));
    if (!busy || attempt + 1 >= RETRIES) return err ? (err->status ? err->status : BPS_ERROR) : BPS_ERROR;
    nanosleep(&(struct timespec){0, 1000000L << attempt}, NULL);
  }
}

typedef struct Deploy {
  const uint8_t *bytes;
  size_t len;
  BpsRowFn fn;
  void *ud;
} Deploy;

static BpsStatus deploy_tx(BpsStore *s, void *ctx, BpsError *err) {
  Deploy *d = ctx;
  BpBundle *b = NULL;
  BpError e = {0};
  if (bp_bundle_load(s->rt, d->bytes, d->len, &b, &e) != BP_OK) return set_err(err, BPS_MISUSE, "%s", e.message);
  char hash[64];
  bundle_hash(d->bytes, d->len, bp_bundle_checksum(b), hash, sizeof hash);
  SdbRows *r = NULL;
  SdbValue ph[] = {text(hash)};
  BpsStatus bs = BPS_ERROR;
  int64_t id = 0;
  bool fresh = false;
  if (q(s, "SELECT id FROM bundles WHERE hash = $1", ph, 1, &r, err) != SDB_OK) goto done;
  if (r->nrows) id = cell_int(r, 0, 0);
  sdb_rows_free(r);
  r = NULL;
  if (!id) {
    SdbValue p[] = {text(hash), sdb_blob(d->bytes, d->len), sdb_int(bps_now(s))};
    if (q(s, "INSERT INTO bundles (hash, bytes, deployed_at) VALUES ($1, $2, $3) RETURNING id", p, 3, &r, err) != SDB_OK)
      goto done;
    id = cell_int(r, 0, 0);
    sdb_rows_free(r);
    r = NULL;
    fresh = true;
  }
  for (size_t i = 0; i < bp_bundle_process_count(b); i++) {
    const char *name = bp_bundle_process_name(b, i);
    SdbValue p[] = {text(name), sdb_int(id), text(bp_bundle_process_title(b, i))};
    int64_t version = 0;
    if (fresh) {
      if (q(s, "INSERT INTO processes (name, version, bundle_id, title) SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3"
               " FROM processes WHERE name = $1 RETURNING version", p, 3, &r, err) != SDB_OK)
        goto done;
    } else if (q(s, "SELECT version FROM processes WHERE name = $1 AND bundle_id = $2", p, 2, &r, err) != SDB_OK) {
      goto done;
    }
    version = r->nrows ? cell_int(r, 0, 0) : 0;
    sdb_rows_free(r);
    r = NULL;
    if (d->fn) {
      BpsCell c[] = {{"process", name, 0, false}, {"version", NULL, version, true}, {"bundle", hash, 0, false},
                     {"new", NULL, fresh, true}};
      d->fn(d->ud, c, 4);
    }
  }
  bs = BPS_OK;
done:
  sdb_rows_free(r);
  bp_bundle_free(b);
  return bs;
}

BpsStatus bps_deploy(BpsStore *s, const void *bytes, size_t len, BpsRowFn fn, void *ud, BpsError *err) {
  Deploy d = {bytes, len, fn, ud};
  return transaction(s, deploy_tx, &d, err);
}

/* ---- arguments --------------------------------------------------------------------------------------- */

typedef BpType (*TypeOf)(void *ctx, const char *name);

typedef struct Args {
  BpArg *v;
  size_t n;
} Args;

static void args_free(BpsStore *s, Args *a) {
  for (size_t i = 0; i < a->n; i++) {
    bp_value_free(s->rt, &a->v[i].value);
    free((char *)a->v[i].name);
  }
  free(a->v);
  a->v = NULL;
  a->n = 0;
}

static BpsStatus parse_args(BpsStore *s, const char *const *words, size_t n, TypeOf type_of, void *ctx, Args *out,
                            BpsError *err) {
  out->v = calloc(n ? n : 1, sizeof *out->v);
  out->n = 0;
  if (!out->v) {
    OOM(s);
    return set_err(err, BPS_ERROR, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    const char *eq = strchr(words[i], '=');
    if (!eq || eq == words[i]) {
      args_free(s, out);
      return set_err(err, BPS_MISUSE, "`%s` is not name=value", words[i]);
    }
    char *name = dupn(words[i], (size_t)(eq - words[i]));
    if (!name) {
      args_free(s, out);
      OOM(s);
      return set_err(err, BPS_ERROR, "out of memory");
    }
    BpType t = type_of(ctx, name);
    if (t == BP_T_VOID) {
      set_err(err, BPS_MISUSE, "`%s` is not a name this takes", name);
      free(name);
      args_free(s, out);
      return BPS_MISUSE;
    }
    BpError e = {0};
    BpValue v;
    if (bp_value_parse(s->rt, eq + 1, strlen(eq + 1), t, &v, &e) != BP_OK) {
      set_err(err, BPS_REFUSED, "%s: %s", name, e.message);
      free(name);
      args_free(s, out);
      return BPS_REFUSED;
    }
    out->v[out->n].name = name;
    out->v[out->n].value = v;
    out->n++;
  }
  return BPS_OK;
}

/* Words joined with the unit separator (how recorded events keep their arguments);
 * NULL (and s->oom) when the heap is out. */
static char *join(BpsStore *s, const char *const *words, size_t n) {
  size_t len = 1;
  for (size_t i = 0; i < n; i++) len += strlen(words[i]) + 1;
  char *p = malloc(len);
  if (!p) {
    OOM(s);
    return NULL;
  }
  p[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(p, "\x1f");
    strcat(p, words[i]);
  }
  return p;
}
/* The reverse: pointers into S (which is cut). */
static size_t split(char *s, const char **words, size_t max) {
  size_t n = 0;
  if (!*s) return 0;
  for (char *p = s; n < max;) {
    words[n++] = p;
    char *sep = strchr(p, '\x1f');
    if (!sep) break;
    *sep = '\0';
    p = sep + 1;
  }
  return n;
}

typedef struct NameCtx {
  BpBundle *b;
  const char *process, *doctype;
  const BpItem *item;
  const BpMessageWait *wait;
} NameCtx;

static BpType start_type(void *ctx, const char *name) {
  NameCtx *c = ctx;
  BpNameKind kind;
  BpType t = bp_bundle_name_type(c->b, c->process, name, &kind);
  return kind == BP_NAME_VARIABLE ? BP_T_VOID : t;
}
static BpType doc_type(void *ctx, const char *name) {
  NameCtx *c = ctx;
  if (c->doctype && *c->doctype) return bp_bundle_field_type(c->b, c->doctype, name);
  BpNameKind kind;
  BpType t = bp_bundle_name_type(c->b, c->process, name, &kind);
  return kind == BP_NAME_FIELD ? t : BP_T_VOID;
}
static BpType answer_type(void *ctx, const char *name) {
  NameCtx *c = ctx;
  for (size_t i = 0; c->item && i < c->item->nfields; i++)
    if (!strcmp(c->item->fields[i].name, name)) return c->item->fields[i].type;
  for (size_t i = 0; c->wait && i < c->wait->nfields; i++)
    if (!strcmp(c->wait->fields[i].name, name)) return c->wait->fields[i].type;
  return BP_T_STRING; /* not asked for: the runtime refuses it with its own message */
}

/* ---- the event transaction ----------------------------------------------------------------------------- */

static void rec_free(Rec *r, bool free_inst) {
  for (size_t i = 0; i < r->nlines; i++) {
    free(r->lines[i].process);
    free(r->lines[i].node);
    free(r->lines[i].text);
  }
  for (size_t i = 0; i < r->nouts; i++) {
    free(r->outs[i].kind);
    free(r->outs[i].user);
    free(r->outs[i].text);
  }
  free(r->lines);
  free(r->outs);
  free(r->start_args);
  if (free_inst && r->inst) bp_instance_free(r->inst);
  free(r);
}

static void ev_end(BpsStore *s, Ev *ev) {
  for (size_t i = 0; i < ev->nrecs; i++) rec_free(ev->recs[i], true);
  for (size_t i = 0; i < ev->nfields; i++) free(ev->fields[i]);
  free(ev->recs);
  free(ev->fields);
  if (s->ev == ev) s->ev = NULL;
}

/* The bundle an instance was saved with: by its id, or — when that row is gone but the
 * same bytes were deployed again — by its content hash (*id is then the new id). */
static BpBundle *bundle_by_hash(BpsStore *s, int64_t *id, const char *hash, BpsError *err) {
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(*id), text(hash)};
  if (q(s, "SELECT id FROM bundles WHERE id = $1 UNION ALL SELECT id FROM bundles WHERE hash = $2", p, 2, &r, err) != SDB_OK)
    return NULL;
  if (!r->nrows) {
    sdb_rows_free(r);
    set_err(err, BPS_ERROR, "its bundle %s is missing from the store (deploy that bundle again)", hash);
    return NULL;
  }
  *id = cell_int(r, 0, 0);
  sdb_rows_free(r);
  return bundle(s, *id, err);
}

/* Restores the waiting instances on document DOC (all of them, attached to one BpDoc). */
static BpsStatus load_doc(BpsStore *s, Ev *ev, int64_t doc, BpsError *err) {
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(doc)};
  if (q(s, dialect(s, "SELECT id, bundle_id, version, journal_lines, events, saved, bundle_hash, process FROM instances"
                      " WHERE doc_id = $1 AND status = 'waiting' ORDER BY id%U"),
        p, 1, &r, err) != SDB_OK)
    return BPS_ERROR;
  BpDoc *shared = NULL;
  BpsStatus bs = BPS_OK;
  for (size_t i = 0; i < r->nrows && bs == BPS_OK; i++) {
    int64_t id = cell_int(r, i, 0), bundle_id = cell_int(r, i, 1);
    BpBundle *b = bundle_by_hash(s, &bundle_id, cell_text(r, i, 6), err);
    if (!b) {
      char why[sizeof err->message];
      snprintf(why, sizeof why, "%s", err->message);
      bs = set_err(err, BPS_ERROR, "instance %lld (%.100s version %lld) cannot be restored: %.300s", (long long)id,
                   cell_text(r, i, 7), (long long)cell_int(r, i, 2), why);
      break;
    }
    const SdbValue *saved = sdb_cell(r, i, 5);
    BpInstance *inst = NULL;
    BpError e = {0};
    if (bp_instance_restore(b, shared, (const uint8_t *)saved->p, saved->n, &inst, &e) != BP_OK) {
      bs = set_err(err, BPS_ERROR, "instance %lld cannot be restored: %s", (long long)id, e.message);
      break;
    }
    Rec *rec = new_rec(s, ev, inst);
    if (!rec) {
      bp_instance_free(inst);
      bs = set_err(err, BPS_ERROR, "out of memory");
      break;
    }
    rec->id = id;
    rec->bundle_id = bundle_id;
    rec->version = cell_int(r, i, 2);
    rec->journal_lines = cell_int(r, i, 3);
    rec->events = cell_int(r, i, 4);
    bp_instance_set_ud(inst, rec);
    if (!shared) {
      shared = bp_instance_doc(inst);
      ev->bundle = b;
      ev->bundle_id = rec->bundle_id;
    }
  }
  sdb_rows_free(r);
  return bs;
}

static Rec *find_rec(Ev *ev, int64_t id) {
  for (size_t i = 0; i < ev->nrecs; i++)
    if (ev->recs[i]->id == id) return ev->recs[i];
  return NULL;
}

static const char *status_name(BpRunStatus st) {
  static const char *const names[] = {"waiting", "completed", "terminated", "failed"};
  return names[st];
}
static const char *kind_name(BpItemKind k) {
  static const char *const names[] = {"task", "approve", "review", "request"};
  return names[k];
}

/* The version of PROCESS in bundle BUNDLE_ID. */
static int64_t version_of(BpsStore *s, const char *process, int64_t bundle_id, BpsError *err) {
  SdbRows *r = NULL;
  SdbValue p[] = {text(process), sdb_int(bundle_id)};
  if (q(s, "SELECT version FROM processes WHERE name = $1 AND bundle_id = $2", p, 2, &r, err) != SDB_OK) return -1;
  int64_t v = r->nrows ? cell_int(r, 0, 0) : 0;
  sdb_rows_free(r);
  return v;
}

/* Records an event of REC (for migration's replay). */
static SdbStatus record(BpsStore *s, Ev *ev, Rec *rec, const char *kind, const BpsEvent *e, const char *args,
                        BpsError *err) {
  SdbValue p[] = {sdb_int(rec->id), sdb_int(++rec->events), sdb_int(ev->now), text(kind),
                  sdb_int(e ? e->item : 0), text(e && e->user ? e->user : ""), text(e ? e->comment : NULL),
                  text(e && e->name ? e->name : ""), text(e ? e->value : NULL), text(args ? args : "")};
  return q(s, "INSERT INTO events (instance_id, seq, time, kind, item, user_id, comment, name, value, args)"
              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", p, 10, NULL, err);
}

/* What comes next for a waiting instance, as far as the store can tell: the process's own
 * `next_step` text when it keeps one (as S20 does), else its state. */
static void next_step(BpInstance *inst, BpRunStatus st, char *buf, size_t size) {
  BpValue v;
  const char *state = bp_instance_state(inst);
  buf[0] = '\0';
  if (st != BP_WAITING) return;
  if (bp_instance_get(inst, "next_step", &v) == BP_OK && v.type == BP_T_STRING && v.len)
    snprintf(buf, size, "next: %.*s", (int)(v.len < 250 ? v.len : 250), v.s);
  else if (state)
    snprintf(buf, size, "in state %.250s", state);
}

/* The instance's open work items (kept ones keep their `since`) and its earliest timer. */
static BpsStatus sync_waits(BpsStore *s, int64_t id, BpInstance *inst, BpRunStatus st, int64_t now, BpsError *err) {
  SdbValue pi[] = {sdb_int(id)};
  if (q(s, "UPDATE items SET live = 0 WHERE instance_id = $1", pi, 1, NULL, err) != SDB_OK) return BPS_ERROR;
  for (size_t k = 0; st == BP_WAITING && k < bp_instance_item_count(inst); k++) {
    BpItem it;
    if (!bp_instance_item(inst, k, &it)) continue;
    SdbValue p[] = {sdb_int(id), sdb_int(it.id), text(kind_name(it.kind)), text(it.user), text(it.title),
                    text(it.node), sdb_int(now), it.has_due ? sdb_int(it.due) : sdb_null(), sdb_int(it.overdue)};
    if (q(s, "INSERT INTO items (instance_id, item, kind, user_id, title, node, since, due, overdue, live)"
             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) ON CONFLICT (instance_id, item) DO UPDATE SET"
             " user_id = excluded.user_id, title = excluded.title, due = excluded.due,"
             " overdue = excluded.overdue, live = 1", p, 9, NULL, err) != SDB_OK)
      return BPS_ERROR;
  }
  if (q(s, "DELETE FROM items WHERE instance_id = $1 AND live = 0", pi, 1, NULL, err) != SDB_OK) return BPS_ERROR;
  if (q(s, "DELETE FROM timers WHERE instance_id = $1", pi, 1, NULL, err) != SDB_OK) return BPS_ERROR;
  int64_t at;
  if (st == BP_WAITING && bp_instance_next_timer(inst, &at)) {
    SdbValue p[] = {sdb_int(id), sdb_int(at)};
    if (q(s, "INSERT INTO timers (instance_id, due) VALUES ($1, $2)", p, 2, NULL, err) != SDB_OK) return BPS_ERROR;
  }
  return BPS_OK;
}

/* Writes everything the event did: new instances, saved bytes, items, timers, journal,
 * outbox, document fields. */
static BpsStatus write_back(BpsStore *s, Ev *ev, BpsError *err) {
  for (size_t i = 0; i < ev->nrecs; i++) {
    Rec *rec = ev->recs[i];
    BpInstance *inst = rec->inst;
    BpRunStatus st = bp_instance_status(inst);
    uint8_t *bytes = NULL;
    size_t len = 0;
    BpError e = {0};
    if (bp_instance_save(inst, &bytes, &len, &e) != BP_OK)
      return set_err(err, BPS_ERROR, "saving an instance of %s: %s", bp_instance_process(inst), e.message);
    const char *state = bp_instance_state(inst);
    char next[300];
    next_step(inst, st, next, sizeof next);
    SdbStatus sst;
    if (!rec->id) {
      const char *process = bp_instance_process(inst);
      rec->version = version_of(s, process, rec->bundle_id, err);
      if (rec->version < 0) { /* the query failed (out of memory): err says why, the event rolls back */
        bp_free(s->rt, bytes, len);
        return BPS_ERROR;
      }
      SdbValue p[] = {text(process), sdb_int(rec->version), sdb_int(rec->bundle_id), sdb_int(ev->doc_id),
                      text(status_name(st)), text(bp_instance_message(inst)), text(state), sdb_blob(bytes, len),
                      sdb_int(ev->now), sdb_int(rec->by_trigger), text(rec->start_args ? rec->start_args : ""),
                      text(next)};
      SdbRows *r = NULL;
      sst = q(s, "INSERT INTO instances (process, version, bundle_id, bundle_hash, doc_id, status, message, state_name,"
                 " saved, started_at, updated_at, journal_lines, events, by_trigger, start_args, next_step)"
                 " VALUES ($1, $2, $3, (SELECT hash FROM bundles WHERE id = $3), $4, $5, $6, $7, $8, $9, $9, 0, 0, $10, $11,"
                 " $12) RETURNING id",
              p, 12, &r, err);
      if (sst == SDB_OK) rec->id = cell_int(r, 0, 0);
      sdb_rows_free(r);
    } else {
      SdbValue p[] = {sdb_int(rec->id), text(status_name(st)), text(bp_instance_message(inst)), text(state),
                      sdb_blob(bytes, len), sdb_int(ev->now), text(next)};
      sst = q(s, "UPDATE instances SET status = $2, message = $3, state_name = $4, saved = $5, updated_at = $6,"
                 " next_step = $7 WHERE id = $1", p, 7, NULL, err);
    }
    bp_free(s->rt, bytes, len);
    if (sst != SDB_OK) return BPS_ERROR;
    /* journal */
    for (size_t k = 0; k < rec->nlines; k++) {
      Line *l = &rec->lines[k];
      SdbValue p[] = {sdb_int(rec->id), sdb_int(++rec->journal_lines), sdb_int(l->time), sdb_int(l->kind),
                      text(l->process), text(l->node), text(l->text)};
      if (q(s, "INSERT INTO journal (instance_id, seq, time, kind, process, node, text) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            p, 7, NULL, err) != SDB_OK)
        return BPS_ERROR;
    }
    SdbValue pj[] = {sdb_int(rec->id), sdb_int(rec->journal_lines), sdb_int(rec->events)};
    if (q(s, "UPDATE instances SET journal_lines = $2, events = $3 WHERE id = $1", pj, 3, NULL, err) != SDB_OK)
      return BPS_ERROR;
    /* outbox */
    for (size_t k = 0; k < rec->nouts; k++) {
      Out *o = &rec->outs[k];
      SdbValue p[] = {sdb_int(rec->id), sdb_int(ev->now), text(o->kind), text(o->user), text(o->text)};
      if (q(s, "INSERT INTO outbox (instance_id, created_at, kind, user_id, text) VALUES ($1, $2, $3, $4, $5)", p, 5,
            NULL, err) != SDB_OK)
        return BPS_ERROR;
    }
    if (sync_waits(s, rec->id, inst, st, ev->now, err) != BPS_OK) return BPS_ERROR;
  }
  /* document fields this event named, read back from the document */
  BpDoc *doc = ev->nrecs ? bp_instance_doc(ev->recs[0]->inst) : NULL;
  for (size_t i = 0; doc && i < ev->nfields; i++) {
    BpValue v;
    if (bp_doc_get(doc, ev->fields[i], &v) != BP_OK) continue;
    char buf[4096];
    bp_value_format(&v, buf, sizeof buf);
    SdbValue p[] = {sdb_int(ev->doc_id), text(ev->fields[i]), text(buf)};
    if (q(s, "INSERT INTO fields (doc_id, name, value) VALUES ($1, $2, $3) ON CONFLICT (doc_id, name) DO UPDATE"
             " SET value = excluded.value", p, 3, NULL, err) != SDB_OK)
      return BPS_ERROR;
  }
  return BPS_OK;
}

/* Runs one delivery on REC and maps the runtime's status. */
static BpsStatus runtime_status(BpStatus st, const BpError *e, BpsError *err) {
  if (st == BP_OK) return BPS_OK;
  if (st == BP_EREFUSED || st == BP_EOVER) return set_err(err, BPS_REFUSED, "%s", e->message);
  if (st == BP_EINVAL) return set_err(err, BPS_MISUSE, "%s", e->message);
  return set_err(err, BPS_ERROR, "%s", e->message);
}

/* Delivers E to INST (the live path and migration's replay share it). */
static BpsStatus deliver(BpsStore *s, BpInstance *inst, const BpsEvent *ev, BpsError *err) {
  BpError e = {0};
  BpStatus st = BP_OK;
  Args a = {0};
  BpsStatus bs;
  switch (ev->kind) {
  case BPS_EV_APPROVE:
  case BPS_EV_REJECT:
    st = bp_decide(inst, ev->item, ev->user, ev->kind == BPS_EV_APPROVE, ev->comment, &e);
    break;
  case BPS_EV_COMPLETE: {
    BpItem item;
    bool have = false;
    for (size_t i = 0; i < bp_instance_item_count(inst) && !have; i++)
      if (bp_instance_item(inst, i, &item) && (ev->item ? item.id == ev->item : !strcmp(item.user, ev->user) && item.kind != BP_ITEM_APPROVE))
        have = true;
    NameCtx c = {.item = have ? &item : NULL};
    if ((bs = parse_args(s, ev->args, ev->nargs, answer_type, &c, &a, err)) != BPS_OK) return bs;
    st = bp_complete(inst, ev->item, ev->user, ev->comment, a.v, a.n, &e);
    break;
  }
  case BPS_EV_COMMAND: st = bp_command(inst, ev->user, ev->name, &e); break;
  case BPS_EV_MESSAGE: {
    BpMessageWait w;
    bool have = false;
    for (size_t i = 0; i < bp_instance_message_count(inst) && !have; i++)
      have = bp_instance_message_wait(inst, i, &w) && !strcmp(w.name, ev->name);
    NameCtx c = {.wait = have ? &w : NULL};
    if ((bs = parse_args(s, ev->args, ev->nargs, answer_type, &c, &a, err)) != BPS_OK) return bs;
    st = bp_message(inst, ev->name, a.v, a.n, &e);
    break;
  }
  case BPS_EV_ANSWER:
  case BPS_EV_FAIL: {
    BpCall call;
    bool have = false;
    for (size_t i = 0; i < bp_instance_call_count(inst) && !have; i++)
      have = bp_instance_call(inst, i, &call) && !strcmp(call.action, ev->name);
    if (!have) return set_err(err, BPS_REFUSED, "no pending call of `%s`", ev->name);
    if (ev->kind == BPS_EV_FAIL) {
      st = bp_fail(inst, call.id, ev->comment ? ev->comment : "failed", &e);
    } else if (ev->value && call.result_type != BP_T_VOID) {
      BpValue v;
      if (bp_value_parse(s->rt, ev->value, strlen(ev->value), call.result_type, &v, &e) != BP_OK)
        return set_err(err, BPS_REFUSED, "%s: %s", ev->name, e.message);
      st = bp_answer(inst, call.id, &v, &e);
      bp_value_free(s->rt, &v);
    } else {
      st = bp_answer(inst, call.id, NULL, &e);
    }
    break;
  }
  case BPS_EV_TERMINATE: st = bp_terminate(inst, ev->comment ? ev->comment : "terminated by hand", &e); break;
  }
  args_free(s, &a);
  return runtime_status(st, &e, err);
}

static const char *event_word(BpsEventKind k) {
  static const char *const words[] = {"approve", "reject", "complete", "command", "message", "answer", "fail", "terminate"};
  return words[k];
}

typedef struct EventCtx {
  int64_t instance;
  const BpsEvent *ev;
} EventCtx;

static BpsStatus doc_of(BpsStore *s, int64_t instance, int64_t *doc, char *status, size_t size, BpsError *err) {
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(instance)};
  if (q(s, "SELECT doc_id, status FROM instances WHERE id = $1", p, 1, &r, err) != SDB_OK) return BPS_ERROR;
  if (!r->nrows) {
    sdb_rows_free(r);
    return set_err(err, BPS_MISUSE, "no instance %lld in the store", (long long)instance);
  }
  *doc = cell_int(r, 0, 0);
  snprintf(status, size, "%s", cell_text(r, 0, 1));
  sdb_rows_free(r);
  return BPS_OK;
}

static BpsStatus event_tx(BpsStore *s, void *ctx, BpsError *err) {
  EventCtx *c = ctx;
  Ev ev = {.now = bps_now(s)};
  char status[32];
  BpsStatus bs = doc_of(s, c->instance, &ev.doc_id, status, sizeof status, err);
  if (bs != BPS_OK) return bs;
  if (strcmp(status, "waiting") != 0)
    return set_err(err, BPS_REFUSED, "instance %lld has ended (%s)", (long long)c->instance, status);
  s->ev = &ev;
  bs = load_doc(s, &ev, ev.doc_id, err);
  Rec *rec = bs == BPS_OK ? find_rec(&ev, c->instance) : NULL;
  if (bs == BPS_OK && !rec) bs = set_err(err, BPS_ERROR, "instance %lld is not waiting", (long long)c->instance);
  if (bs == BPS_OK) {
    ev.actor = rec;
    bs = deliver(s, rec->inst, c->ev, err);
  }
  if (bs == BPS_OK) {
    char *args = join(s, c->ev->args, c->ev->nargs);
    bs = record(s, &ev, rec, event_word(c->ev->kind), c->ev, args, err) == SDB_OK ? BPS_OK : BPS_ERROR;
    free(args);
  }
  if (bs == BPS_OK) bs = write_back(s, &ev, err);
  ev_end(s, &ev);
  return bs;
}

BpsStatus bps_event(BpsStore *s, int64_t instance, const BpsEvent *ev, BpsError *err) {
  EventCtx c = {instance, ev};
  return transaction(s, event_tx, &c, err);
}

bool bps_item_user(BpsStore *s, int64_t instance, uint32_t item, char *user, size_t size) {
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(instance), sdb_int(item)};
  if (q(s, "SELECT user_id FROM items WHERE instance_id = $1 AND item = $2", p, 2, &r, NULL) != SDB_OK) return false;
  bool found = r->nrows > 0;
  if (found) snprintf(user, size, "%s", cell_text(r, 0, 0));
  sdb_rows_free(r);
  return found;
}

/* ---- start and documents ----------------------------------------------------------------------------- */

typedef struct StartCtx {
  const char *process, *doctype;
  int64_t doc;
  const char *const *args;
  size_t n;
  int64_t result;
  bool set; /* bps_doc_set */
} StartCtx;

/* A new documents row. */
static BpsStatus new_doc(BpsStore *s, Ev *ev, const char *doctype, const char *process, BpsError *err) {
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(ev->bundle_id), text(doctype ? doctype : ""), text(process ? process : ""), sdb_int(ev->now)};
  if (q(s, "INSERT INTO documents (bundle_id, doctype, process, created_at) VALUES ($1, $2, $3, $4) RETURNING id", p, 4,
        &r, err) != SDB_OK)
    return BPS_ERROR;
  ev->doc_id = cell_int(r, 0, 0);
  sdb_rows_free(r);
  return BPS_OK;
}

static void note_args(BpsStore *s, const Args *a) {
  for (size_t i = 0; i < a->n; i++) {
    char buf[300];
    snprintf(buf, sizeof buf, "%s = x", a->v[i].name);
    note_field(s, buf);
  }
}

static BpsStatus start_tx(BpsStore *s, void *ctx, BpsError *err) {
  StartCtx *c = ctx;
  Ev ev = {.now = bps_now(s)};
  SdbRows *r = NULL;
  SdbValue p[] = {text(c->process)};
  if (q(s, "SELECT bundle_id, version FROM processes WHERE name = $1 ORDER BY version DESC LIMIT 1", p, 1, &r, err) != SDB_OK)
    return BPS_ERROR;
  if (!r->nrows) {
    sdb_rows_free(r);
    return set_err(err, BPS_MISUSE, "no process `%s` in the store (deploy its bundle first)", c->process);
  }
  ev.bundle_id = cell_int(r, 0, 0);
  int64_t version = cell_int(r, 0, 1);
  sdb_rows_free(r);
  BpsStatus bs = BPS_OK;
  s->ev = &ev;
  BpDoc *doc = NULL;
  if (c->doc) {
    char status[32];
    (void)status;
    SdbRows *d = NULL;
    SdbValue pd[] = {sdb_int(c->doc)};
    if (q(s, "SELECT id FROM documents WHERE id = $1", pd, 1, &d, err) != SDB_OK) bs = BPS_ERROR;
    else if (!d->nrows) bs = set_err(err, BPS_MISUSE, "no document %lld in the store", (long long)c->doc);
    sdb_rows_free(d);
    if (bs == BPS_OK) bs = load_doc(s, &ev, c->doc, err);
    if (bs == BPS_OK && ev.nrecs) doc = bp_instance_doc(ev.recs[0]->inst);
    ev.doc_id = c->doc;
    if (bs == BPS_OK && !doc)
      bs = set_err(err, BPS_MISUSE, "document %lld has no waiting instance to start beside (start without it)",
                   (long long)c->doc);
    if (bs == BPS_OK && ev.bundle_id != ev.recs[0]->bundle_id)
      bs = set_err(err, BPS_MISUSE, "document %lld belongs to another version of its processes", (long long)c->doc);
  }
  BpBundle *b = bs == BPS_OK ? bundle(s, ev.bundle_id, err) : NULL;
  if (bs == BPS_OK && !b) bs = BPS_ERROR;
  Args a = {0};
  NameCtx nc = {.b = b, .process = c->process};
  if (bs == BPS_OK) bs = parse_args(s, c->args, c->n, start_type, &nc, &a, err);
  if (bs == BPS_OK && !c->doc) bs = new_doc(s, &ev, NULL, c->process, err);
  if (bs == BPS_OK) {
    Rec *rec = new_rec(s, &ev, NULL);
    if (!rec) bs = set_err(err, BPS_ERROR, "out of memory");
  }
  if (bs == BPS_OK) {
    Rec *rec = ev.recs[ev.nrecs - 1];
    rec->bundle_id = ev.bundle_id;
    rec->version = version;
    rec->start_args = join(s, c->args, c->n);
    ev.actor = rec;
    BpError e = {0};
    BpStatus st = bp_start(b, c->process, doc, a.v, a.n, rec, &rec->inst, &e);
    if (st != BP_OK) {
      ev.nrecs--;
      rec_free(rec, true);
      bs = runtime_status(st, &e, err);
    } else {
      note_args(s, &a);
    }
  }
  args_free(s, &a);
  if (bs == BPS_OK) bs = write_back(s, &ev, err);
  if (bs == BPS_OK) {
    for (size_t i = 0; i < ev.nrecs; i++)
      if (ev.recs[i]->start_args) c->result = ev.recs[i]->id;
    Rec *started = NULL;
    for (size_t i = 0; i < ev.nrecs; i++)
      if (ev.recs[i]->id == c->result) started = ev.recs[i];
    if (started && record(s, &ev, started, "start", NULL, started->start_args, err) != SDB_OK) bs = BPS_ERROR;
    SdbValue pe[] = {sdb_int(c->result), sdb_int(started ? started->events : 0)};
    if (bs == BPS_OK && q(s, "UPDATE instances SET events = $2 WHERE id = $1", pe, 2, NULL, err) != SDB_OK)
      bs = BPS_ERROR;
  }
  ev_end(s, &ev);
  return bs;
}

BpsStatus bps_start(BpsStore *s, const char *process, int64_t doc, const char *const *args, size_t n,
                    int64_t *instance, BpsError *err) {
  StartCtx c = {.process = process, .doc = doc, .args = args, .n = n};
  BpsStatus bs = transaction(s, start_tx, &c, err);
  if (bs == BPS_OK && instance) *instance = c.result;
  return bs;
}

/* The instances a document event touched that were waiting get an event recorded; a
 * new one started by a trigger is marked so (it cannot be replayed alone). */
static BpsStatus record_doc_event(BpsStore *s, Ev *ev, size_t nold, const char *args, BpsError *err) {
  for (size_t i = 0; i < nold; i++) {
    BpsEvent e = {0};
    if (record(s, ev, ev->recs[i], "set", &e, args, err) != SDB_OK) return BPS_ERROR;
    SdbValue p[] = {sdb_int(ev->recs[i]->id), sdb_int(ev->recs[i]->events)};
    if (q(s, "UPDATE instances SET events = $2 WHERE id = $1", p, 2, NULL, err) != SDB_OK) return BPS_ERROR;
  }
  return BPS_OK;
}

static BpsStatus doc_tx(BpsStore *s, void *ctx, BpsError *err) {
  StartCtx *c = ctx;
  Ev ev = {.now = bps_now(s)};
  s->ev = &ev;
  BpsStatus bs = BPS_OK;
  BpDoc *doc = NULL;
  bool own = false;
  char *doctype = NULL, *process = NULL;
  SdbRows *r = NULL;
  if (c->set) {
    SdbValue p[] = {sdb_int(c->doc)};
    if (q(s, "SELECT bundle_id, doctype, process FROM documents WHERE id = $1", p, 1, &r, err) != SDB_OK) bs = BPS_ERROR;
    else if (!r->nrows) bs = set_err(err, BPS_MISUSE, "no document %lld in the store", (long long)c->doc);
    else {
      ev.bundle_id = cell_int(r, 0, 0);
      doctype = sdup(cell_text(r, 0, 1));
      process = sdup(cell_text(r, 0, 2));
      ev.doc_id = c->doc;
    }
    sdb_rows_free(r);
    r = NULL;
    if (bs == BPS_OK) bs = load_doc(s, &ev, c->doc, err);
    if (bs == BPS_OK && ev.nrecs) doc = bp_instance_doc(ev.recs[0]->inst);
  } else {
    /* the newest bundle that has the document type */
    if (q(s, "SELECT id FROM bundles ORDER BY id DESC", NULL, 0, &r, err) != SDB_OK) bs = BPS_ERROR;
    for (size_t i = 0; bs == BPS_OK && i < r->nrows && !doc; i++) {
      BpBundle *b = bundle(s, cell_int(r, i, 0), err);
      if (!b) bs = BPS_ERROR;
      else if (bp_doc_new(b, c->doctype, NULL, 0, &doc, NULL) == BP_OK) {
        bp_doc_release(doc);
        doc = NULL;
        ev.bundle_id = cell_int(r, i, 0);
        break;
      }
    }
    if (bs == BPS_OK && !ev.bundle_id) bs = set_err(err, BPS_MISUSE, "no document type `%s` in the store", c->doctype);
    sdb_rows_free(r);
    r = NULL;
    doctype = sdup(c->doctype);
    process = sdup("");
  }
  BpBundle *b = bs == BPS_OK ? bundle(s, ev.bundle_id, err) : NULL;
  if (bs == BPS_OK && !b) bs = BPS_ERROR;
  Args a = {0};
  NameCtx nc = {.b = b, .process = process, .doctype = doctype};
  if (bs == BPS_OK) bs = parse_args(s, c->args, c->n, doc_type, &nc, &a, err);
  if (bs == BPS_OK && !doc) {
    /* no instance holds it: rebuilt from its stored fields (or new) */
    SdbRows *f = NULL;
    Args stored = {0};
    if (c->set) {
      SdbValue p[] = {sdb_int(c->doc)};
      if (q(s, "SELECT name, value FROM fields WHERE doc_id = $1 ORDER BY name", p, 1, &f, err) != SDB_OK) bs = BPS_ERROR;
      for (size_t i = 0; bs == BPS_OK && i < f->nrows; i++) {
        char word[4200];
        snprintf(word, sizeof word, "%s=%s", cell_text(f, i, 0), cell_text(f, i, 1));
        const char *w = word;
        Args one = {0};
        if (parse_args(s, &w, 1, doc_type, &nc, &one, err) != BPS_OK) continue; /* a field no longer there */
        BpArg *more = realloc(stored.v, (stored.n + 1) * sizeof *stored.v);
        if (!more) {
          args_free(s, &one);
          bs = set_err(err, BPS_ERROR, "out of memory");
          break;
        }
        stored.v = more;
        stored.v[stored.n++] = one.v[0];
        free(one.v);
      }
      sdb_rows_free(f);
    }
    if (bs == BPS_OK) {
      BpError e = {0};
      BpStatus st = c->set ? bp_doc_new(b, *doctype ? doctype : NULL, stored.v, stored.n, &doc, &e)
                           : bp_doc_new(b, doctype, a.v, a.n, &doc, &e);
      if (st != BP_OK) bs = runtime_status(st, &e, err);
      else own = true;
    }
    args_free(s, &stored);
  }
  if (bs == BPS_OK && !c->set) bs = new_doc(s, &ev, doctype, "", err);
  size_t nold = ev.nrecs;
  if (bs == BPS_OK) {
    BpError e = {0};
    BpStatus st = c->set ? bp_doc_set(doc, a.v, a.n, &e) : bp_doc_created(doc, NULL, &e);
    if (st != BP_OK) bs = runtime_status(st, &e, err);
    note_args(s, &a);
  }
  if (bs == BPS_OK) {
    /* a document nobody holds: its fields are only in the fields table */
    for (size_t i = 0; i < ev.nfields; i++) {
      BpValue v;
      if (bp_doc_get(doc, ev.fields[i], &v) != BP_OK) continue;
      char buf[4096];
      bp_value_format(&v, buf, sizeof buf);
      SdbValue p[] = {sdb_int(ev.doc_id), text(ev.fields[i]), text(buf)};
      if (q(s, "INSERT INTO fields (doc_id, name, value) VALUES ($1, $2, $3) ON CONFLICT (doc_id, name) DO UPDATE"
               " SET value = excluded.value", p, 3, NULL, err) != SDB_OK)
        bs = BPS_ERROR;
    }
  }
  if (bs == BPS_OK) bs = write_back(s, &ev, err);
  if (bs == BPS_OK && c->set) {
    char *args = join(s, c->args, c->n);
    bs = record_doc_event(s, &ev, nold, args, err);
    free(args);
  }
  c->result = ev.doc_id;
  args_free(s, &a);
  ev_end(s, &ev);
  if (own) bp_doc_release(doc);
  free(doctype);
  free(process);
  return bs;
}

BpsStatus bps_doc_create(BpsStore *s, const char *doctype, const char *const *args, size_t n, int64_t *doc,
                         BpsError *err) {
  StartCtx c = {.doctype = doctype, .args = args, .n = n};
  BpsStatus bs = transaction(s, doc_tx, &c, err);
  if (bs == BPS_OK && doc) *doc = c.result;
  return bs;
}

BpsStatus bps_doc_set(BpsStore *s, int64_t doc, const char *const *args, size_t n, BpsError *err) {
  StartCtx c = {.doc = doc, .args = args, .n = n, .set = true};
  return transaction(s, doc_tx, &c, err);
}

/* ---- timers ---------------------------------------------------------------------------------------------- */

typedef struct FireCtx {
  int64_t until;
  bool move_clock;
  bool fired;
} FireCtx;

/* One due timer (the earliest up to UNTIL) fired, in its own transaction; when none is
 * due the clock moves to UNTIL (if asked). */
static BpsStatus fire_tx(BpsStore *s, void *ctx, BpsError *err) {
  FireCtx *c = ctx;
  c->fired = false;
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(c->until)};
  if (q(s, dialect(s, "SELECT instance_id, due FROM timers WHERE due <= $1 ORDER BY due, instance_id LIMIT 1%S"), p, 1,
        &r, err) != SDB_OK)
    return BPS_ERROR;
  if (!r->nrows) {
    sdb_rows_free(r);
    if (c->move_clock && bps_now(s) < c->until && store_clock(s, c->until, err) != SDB_OK) return BPS_ERROR;
    return BPS_OK;
  }
  int64_t id = cell_int(r, 0, 0), due = cell_int(r, 0, 1);
  sdb_rows_free(r);
  int64_t now = bps_now(s);
  Ev ev = {.now = c->move_clock && due > now ? due : now};
  if (c->move_clock && due > now && store_clock(s, due, err) != SDB_OK) return BPS_ERROR;
  char status[32];
  BpsStatus bs = doc_of(s, id, &ev.doc_id, status, sizeof status, err);
  if (bs != BPS_OK) return bs;
  s->ev = &ev;
  bs = load_doc(s, &ev, ev.doc_id, err);
  size_t nold = ev.nrecs;
  for (size_t i = 0; bs == BPS_OK && i < nold; i++) {
    Rec *rec = ev.recs[i];
    int64_t at;
    if (!bp_instance_next_timer(rec->inst, &at) || at > ev.now) continue;
    ev.actor = rec;
    BpError e = {0};
    if (bp_advance(rec->inst, ev.now, &e) != BP_OK) {
      bs = set_err(err, BPS_ERROR, "advancing instance %lld: %s", (long long)rec->id, e.message);
      break;
    }
    BpsEvent none = {0};
    if (record(s, &ev, rec, "advance", &none, "", err) != SDB_OK) bs = BPS_ERROR;
  }
  if (bs == BPS_OK) bs = write_back(s, &ev, err);
  ev_end(s, &ev);
  c->fired = bs == BPS_OK;
  return bs;
}

static BpsStatus fire_until(BpsStore *s, int64_t until, bool move_clock, size_t max, int64_t *fired, BpsError *err) {
  if (fired) *fired = 0;
  for (size_t k = 0; !max || k < max; k++) {
    FireCtx c = {until, move_clock, false};
    BpsStatus bs = transaction(s, fire_tx, &c, err);
    if (bs != BPS_OK) return bs;
    if (!c.fired) break;
    if (fired) (*fired)++;
  }
  return BPS_OK;
}

BpsStatus bps_advance(BpsStore *s, int64_t until, int64_t *fired, BpsError *err) {
  if (until < bps_now(s)) return set_err(err, BPS_MISUSE, "the clock does not go back");
  return fire_until(s, until, true, 0, fired, err);
}

BpsStatus bps_tick(BpsStore *s, size_t max, int64_t *fired, BpsError *err) {
  return fire_until(s, bps_now(s), false, max, fired, err);
}

/* ---- the outbox ---------------------------------------------------------------------------------------------- */

typedef struct OutboxCtx {
  BpsRowFn fn;
  void *ud;
  bool handed;
} OutboxCtx;

/* One outbox row claimed (SKIP LOCKED: two workers never hand over the same row), handed
 * to the host and marked delivered, in one transaction. */
static BpsStatus outbox_tx(BpsStore *s, void *ctx, BpsError *err) {
  OutboxCtx *c = ctx;
  c->handed = false;
  SdbRows *r = NULL;
  if (q(s, dialect(s, "SELECT id, instance_id, created_at, kind, user_id, text FROM outbox WHERE delivered_at IS NULL"
                      " ORDER BY id LIMIT 1%S"), NULL, 0, &r, err) != SDB_OK)
    return BPS_ERROR;
  if (!r->nrows) {
    sdb_rows_free(r);
    return BPS_OK;
  }
  BpsCell cells[] = {{"id", NULL, cell_int(r, 0, 0), true},      {"instance", NULL, cell_int(r, 0, 1), true},
                     {"created", NULL, cell_int(r, 0, 2), true}, {"kind", cell_text(r, 0, 3), 0, false},
                     {"user", cell_text(r, 0, 4), 0, false},     {"text", cell_text(r, 0, 5), 0, false}};
  if (c->fn) c->fn(c->ud, cells, 6);
  SdbValue p[] = {sdb_int(cell_int(r, 0, 0)), sdb_int(bps_now(s))};
  sdb_rows_free(r);
  if (q(s, "UPDATE outbox SET delivered_at = $2 WHERE id = $1", p, 2, NULL, err) != SDB_OK) return BPS_ERROR;
  c->handed = true;
  return BPS_OK;
}

BpsStatus bps_outbox(BpsStore *s, size_t max, BpsRowFn fn, void *ud, int64_t *delivered, BpsError *err) {
  if (delivered) *delivered = 0;
  for (size_t k = 0; !max || k < max; k++) {
    OutboxCtx c = {fn, ud, false};
    BpsStatus bs = transaction(s, outbox_tx, &c, err);
    if (bs != BPS_OK) return bs;
    if (!c.handed) break;
    if (delivered) (*delivered)++;
  }
  return BPS_OK;
}

/* ---- listings ---------------------------------------------------------------------------------------------------- */

/* Hands every row of R to FN, the columns named by NAMES (a name starting with `#` is an
 * integer). */
static void rows_out(const SdbRows *r, const char *const *names, BpsRowFn fn, void *ud) {
  BpsCell c[16];
  for (size_t i = 0; i < r->nrows; i++) {
    for (size_t k = 0; k < r->ncols && k < 16; k++) {
      bool is_int = names[k][0] == '#';
      const SdbValue *v = sdb_cell(r, i, k);
      c[k] = (BpsCell){names[k] + is_int, is_int ? NULL : (v->type == SDB_NULL ? NULL : v->p),
                       is_int ? cell_int(r, i, k) : 0, is_int && v->type != SDB_NULL};
      if (is_int && v->type == SDB_NULL) c[k].text = NULL;
    }
    fn(ud, c, r->ncols < 16 ? r->ncols : 16);
  }
}

static BpsStatus listing(BpsStore *s, const char *sql, const SdbValue *p, size_t n, const char *const *names,
                         BpsRowFn fn, void *ud, BpsError *err) {
  SdbRows *r = NULL;
  if (q(s, sql, p, n, &r, err) != SDB_OK) return BPS_ERROR;
  rows_out(r, names, fn, ud);
  sdb_rows_free(r);
  return BPS_OK;
}

BpsStatus bps_list(BpsStore *s, const char *status, BpsRowFn fn, void *ud, BpsError *err) {
  static const char *const names[] = {"#id", "process", "#version", "status", "state", "message", "#doc",
                                      "#started", "#updated", "#next_timer"};
  SdbValue p[] = {text(status ? status : "")};
  return listing(s, "SELECT i.id, i.process, i.version, i.status, i.state_name, i.message, i.doc_id, i.started_at,"
                    " i.updated_at, t.due FROM instances i LEFT JOIN timers t ON t.instance_id = i.id"
                    " WHERE $1 = '' OR i.status = $1 ORDER BY i.id",
                 p, 1, names, fn, ud, err);
}

typedef struct TaskCtx {
  BpsStore *s;
  BpsRowFn fn;
  void *ud;
  int64_t now;
} TaskCtx;

BpsStatus bps_tasks(BpsStore *s, const char *user, BpsRowFn fn, void *ud, BpsError *err) {
  SdbRows *r = NULL;
  SdbValue p[] = {text(user ? user : "")};
  if (q(s, "SELECT it.instance_id, it.item, i.process, it.kind, it.user_id, it.title, it.since, it.due, it.overdue,"
           " (SELECT e.args FROM events e WHERE e.instance_id = i.id AND e.seq = 1 AND e.kind = 'start'),"
           " (SELECT COUNT(*) FROM items o WHERE o.instance_id = it.instance_id AND o.item <> it.item), i.next_step"
           " FROM items it JOIN instances i ON i.id = it.instance_id"
           " WHERE $1 = '' OR it.user_id = $1 ORDER BY it.since, it.instance_id, it.item",
        p, 1, &r, err) != SDB_OK)
    return BPS_ERROR;
  int64_t now = bps_now(s);
  for (size_t i = 0; i < r->nrows; i++) {
    char item[48], from[200] = "", next[400] = "";
    snprintf(item, sizeof item, "%lld.%lld", (long long)cell_int(r, i, 0), (long long)cell_int(r, i, 1));
    /* who it is from: the start's `author`, `initiator` or `requester` argument */
    const char *args = cell_text(r, i, 9);
    if (args) {
      char *copy = sdup(args);
      const char *w[64];
      size_t nw = split(copy, w, 64);
      for (size_t k = 0; k < nw && !from[0]; k++)
        if (!strncmp(w[k], "author=", 7) || !strncmp(w[k], "initiator=", 10) || !strncmp(w[k], "requester=", 10))
          snprintf(from, sizeof from, "%s", strchr(w[k], '=') + 1);
      free(copy);
    }
    int64_t others = cell_int(r, i, 10);
    const char *step = cell_text(r, i, 11);
    snprintf(next, sizeof next, "%s%s", step ? step : "", step && *step && others ? "; " : "");
    if (others)
      snprintf(next + strlen(next), sizeof next - strlen(next), "%lld other open item%s", (long long)others,
               others == 1 ? "" : "s");
    bool has_due = sdb_cell(r, i, 7)->type != SDB_NULL;
    int64_t due = cell_int(r, i, 7);
    bool overdue = cell_int(r, i, 8) || (has_due && due < now);
    BpsCell c[] = {{"item", item, 0, false},
                   {"instance", NULL, cell_int(r, i, 0), true},
                   {"process", cell_text(r, i, 2), 0, false},
                   {"kind", cell_text(r, i, 3), 0, false},
                   {"user", cell_text(r, i, 4), 0, false},
                   {"title", cell_text(r, i, 5), 0, false},
                   {"since", NULL, cell_int(r, i, 6), true},
                   {"due", NULL, due, has_due},
                   {"overdue", NULL, overdue, true},
                   {"from", from, 0, false},
                   {"next", next, 0, false}};
    fn(ud, c, 11);
  }
  sdb_rows_free(r);
  return BPS_OK;
}

BpsStatus bps_history(BpsStore *s, int64_t instance, BpsRowFn fn, void *ud, BpsError *err) {
  static const char *const names[] = {"#instance", "#seq", "#time", "process", "node", "text"};
  SdbValue p[] = {sdb_int(instance)};
  return listing(s, "SELECT instance_id, seq, time, process, node, text FROM journal WHERE $1 = 0 OR instance_id = $1"
                    " ORDER BY instance_id, seq", p, 1, names, fn, ud, err);
}

BpsStatus bps_doc_show(BpsStore *s, int64_t doc, BpsRowFn fn, void *ud, BpsError *err) {
  static const char *const names[] = {"field", "value"};
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(doc)};
  if (q(s, "SELECT id FROM documents WHERE id = $1", p, 1, &r, err) != SDB_OK) return BPS_ERROR;
  bool found = r->nrows > 0;
  sdb_rows_free(r);
  if (!found) return set_err(err, BPS_MISUSE, "no document %lld in the store", (long long)doc);
  return listing(s, "SELECT name, value FROM fields WHERE doc_id = $1 ORDER BY name", p, 1, names, fn, ud, err);
}

/* ---- migration ---------------------------------------------------------------------------------------------------- */

typedef struct MigrateCtx {
  const char *process;
  int64_t version;
  bool dry_run;
  BpsRowFn fn;
  void *ud;
} MigrateCtx;

/* Replays the recorded events of instance ID on bundle B; *out is the new instance, or
 * NULL with WHY. */
static BpInstance *replay(BpsStore *s, int64_t id, BpBundle *b, const char *process, char *why, size_t size) {
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(id)};
  if (q(s, "SELECT time, kind, item, user_id, comment, name, value, args FROM events WHERE instance_id = $1 ORDER BY seq",
        p, 1, &r, NULL) != SDB_OK) {
    snprintf(why, size, "%s", s->drv->error(s->conn));
    return NULL;
  }
  Ev ev = {.discard = true};
  Ev *saved_ev = s->ev;
  s->ev = &ev;
  Rec *rec = new_rec(s, &ev, NULL);
  ev.actor = rec;
  BpInstance *inst = NULL;
  for (size_t i = 0; rec && i < r->nrows; i++) {
    ev.now = cell_int(r, i, 0);
    const char *kind = cell_text(r, i, 1);
    char *args = sdup(cell_text(r, i, 7));
    if (!args) {
      OOM(s);
      break;
    }
    const char *w[128];
    size_t nw = split(args, w, 128);
    BpsError e = {0};
    BpsStatus bs = BPS_OK;
    if (!strcmp(kind, "start")) {
      Args a = {0};
      NameCtx nc = {.b = b, .process = process};
      bs = parse_args(s, w, nw, start_type, &nc, &a, &e);
      BpError be = {0};
      if (bs == BPS_OK) bs = runtime_status(bp_start(b, process, NULL, a.v, a.n, rec, &inst, &be), &be, &e);
      args_free(s, &a);
      rec->inst = inst;
    } else if (!inst) {
      snprintf(e.message, sizeof e.message, "its start is not recorded");
      bs = BPS_REFUSED;
    } else if (!strcmp(kind, "advance")) {
      BpError be = {0};
      bs = runtime_status(bp_advance(inst, ev.now, &be), &be, &e);
    } else if (!strcmp(kind, "set")) {
      snprintf(e.message, sizeof e.message, "its document was changed by hand");
      bs = BPS_REFUSED;
    } else {
      static const char *const words[] = {"approve", "reject", "complete", "command", "message", "answer", "fail", "terminate"};
      BpsEvent x = {0};
      for (int k = 0; k < 8; k++)
        if (!strcmp(kind, words[k])) x.kind = (BpsEventKind)k;
      x.item = (uint32_t)cell_int(r, i, 2);
      x.user = cell_text(r, i, 3);
      x.comment = cell_text(r, i, 4);
      x.name = cell_text(r, i, 5);
      x.value = cell_text(r, i, 6);
      x.args = w;
      x.nargs = nw;
      bs = deliver(s, inst, &x, &e);
    }
    free(args);
    if (bs != BPS_OK) {
      snprintf(why, size, "event %zu (%.20s) is refused on the new version: %.300s", i + 1, kind, e.message);
      if (inst) bp_instance_free(inst);
      inst = NULL;
      break;
    }
  }
  sdb_rows_free(r);
  if (rec) rec->inst = NULL;
  if (s->fault[0]) {
    snprintf(why, size, "%s", s->fault);
    if (inst) bp_instance_free(inst);
    inst = NULL;
  }
  if (inst) bp_instance_set_ud(inst, NULL);
  ev_end(s, &ev);
  s->ev = saved_ev;
  return inst;
}

/* Whether every open item of OLD (user and title) is open in FRESH. */
static bool same_steps(BpsStore *s, int64_t id, BpInstance *fresh, char *why, size_t size) {
  SdbRows *r = NULL;
  SdbValue p[] = {sdb_int(id)};
  if (q(s, "SELECT user_id, title FROM items WHERE instance_id = $1 ORDER BY item", p, 1, &r, NULL) != SDB_OK) return false;
  bool ok = bp_instance_status(fresh) == BP_WAITING;
  if (!ok) snprintf(why, size, "on the new version it would be %s", status_name(bp_instance_status(fresh)));
  for (size_t i = 0; ok && i < r->nrows; i++) {
    bool found = false;
    for (size_t k = 0; k < bp_instance_item_count(fresh) && !found; k++) {
      BpItem it;
      found = bp_instance_item(fresh, k, &it) && !strcmp(it.user, cell_text(r, i, 0)) && !strcmp(it.title, cell_text(r, i, 1));
    }
    if (!found) {
      snprintf(why, size, "its open step \"%s\" for %s does not exist on the new version", cell_text(r, i, 1),
               cell_text(r, i, 0));
      ok = false;
    }
  }
  if (ok && (size_t)r->nrows != bp_instance_item_count(fresh)) {
    snprintf(why, size, "the new version opens other steps at this point");
    ok = false;
  }
  sdb_rows_free(r);
  return ok;
}

static BpsStatus migrate_tx(BpsStore *s, void *ctx, BpsError *err) {
  MigrateCtx *c = ctx;
  SdbRows *r = NULL, *pv = NULL;
  SdbValue p[] = {text(c->process), sdb_int(c->version)};
  if (q(s, "SELECT bundle_id FROM processes WHERE name = $1 AND version = $2", p, 2, &pv, err) != SDB_OK) return BPS_ERROR;
  if (!pv->nrows) {
    sdb_rows_free(pv);
    return set_err(err, BPS_MISUSE, "no version %lld of process `%s` in the store", (long long)c->version, c->process);
  }
  int64_t bundle_id = cell_int(pv, 0, 0);
  sdb_rows_free(pv);
  BpBundle *b = bundle(s, bundle_id, err);
  if (!b) return BPS_ERROR;
  if (q(s, dialect(s, "SELECT id, version, doc_id, by_trigger, (SELECT COUNT(*) FROM instances o WHERE o.doc_id = i.doc_id"
                      " AND o.id <> i.id AND o.status = 'waiting') FROM instances i WHERE process = $1 AND version <> $2"
                      " AND status = 'waiting' ORDER BY id%U"),
        p, 2, &r, err) != SDB_OK)
    return BPS_ERROR;
  BpsStatus bs = BPS_OK;
  for (size_t i = 0; i < r->nrows && bs == BPS_OK; i++) {
    int64_t id = cell_int(r, i, 0), from = cell_int(r, i, 1);
    char why[400] = "";
    BpInstance *fresh = NULL;
    if (cell_int(r, i, 3)) snprintf(why, sizeof why, "it was started by a document change, not by hand");
    else if (cell_int(r, i, 4)) snprintf(why, sizeof why, "it shares its document with other waiting instances");
    else if ((fresh = replay(s, id, b, c->process, why, sizeof why)) && !same_steps(s, id, fresh, why, sizeof why)) {
      bp_instance_free(fresh);
      fresh = NULL;
    }
    bool moved = fresh != NULL;
    if (fresh && !c->dry_run) {
      uint8_t *bytes = NULL;
      size_t len = 0;
      BpError e = {0};
      if (bp_instance_save(fresh, &bytes, &len, &e) != BP_OK) {
        bs = set_err(err, BPS_ERROR, "saving instance %lld: %s", (long long)id, e.message);
      } else {
        int64_t now = bps_now(s);
        SdbValue u[] = {sdb_int(id), sdb_int(c->version), sdb_int(bundle_id), sdb_blob(bytes, len), sdb_int(now)};
        if (q(s, "UPDATE instances SET version = $2, bundle_id = $3, bundle_hash = (SELECT hash FROM bundles WHERE id = $3),"
                 " saved = $4, updated_at = $5 WHERE id = $1", u, 5,
              NULL, err) != SDB_OK)
          bs = BPS_ERROR;
        char line[200];
        snprintf(line, sizeof line, "migrated from version %lld to %lld", (long long)from, (long long)c->version);
        SdbValue j[] = {sdb_int(id), sdb_int(now), text(c->process), text(line)};
        if (bs == BPS_OK && q(s, "INSERT INTO journal (instance_id, seq, time, kind, process, node, text) SELECT $1,"
                                 " journal_lines + 1, $2, -1, $3, '', $4 FROM instances WHERE id = $1", j, 4, NULL, err) != SDB_OK)
          bs = BPS_ERROR;
        SdbValue jl[] = {sdb_int(id)};
        if (bs == BPS_OK && q(s, "UPDATE instances SET journal_lines = journal_lines + 1 WHERE id = $1", jl, 1, NULL, err) != SDB_OK)
          bs = BPS_ERROR;
        /* item numbers may differ on the new version: the items are the replayed ones */
        if (bs == BPS_OK && q(s, "DELETE FROM items WHERE instance_id = $1", jl, 1, NULL, err) != SDB_OK) bs = BPS_ERROR;
        if (bs == BPS_OK) bs = sync_waits(s, id, fresh, bp_instance_status(fresh), now, err);
        char next[300];
        next_step(fresh, bp_instance_status(fresh), next, sizeof next);
        SdbValue nx[] = {sdb_int(id), text(next)};
        if (bs == BPS_OK && q(s, "UPDATE instances SET next_step = $2 WHERE id = $1", nx, 2, NULL, err) != SDB_OK)
          bs = BPS_ERROR;
        bp_free(s->rt, bytes, len);
      }
    }
    if (fresh) bp_instance_free(fresh);
    BpsCell cells[] = {{"instance", NULL, id, true}, {"from", NULL, from, true}, {"to", NULL, c->version, true},
                       {"moved", NULL, moved, true}, {"why", why, 0, false}};
    if (bs == BPS_OK && c->fn) c->fn(c->ud, cells, 5);
  }
  sdb_rows_free(r);
  return bs;
}

BpsStatus bps_migrate(BpsStore *s, const char *process, int64_t version, bool dry_run, BpsRowFn fn, void *ud,
                      BpsError *err) {
  MigrateCtx c = {process, version, dry_run, fn, ud};
  return transaction(s, migrate_tx, &c, err);
}
