/* sdb_sqlite.c — the store's SQLite driver (sdb.h): a database file, WAL mode, foreign
 * keys on, BEGIN IMMEDIATE so that two writers queue at begin instead of deadlocking.
 *
 * The target is a file name, optionally followed by `?key=value&…` settings:
 * synchronous=full|normal|off (default full: a committed event survives a power cut),
 * busy_timeout=MS (default 5000: how long a writer waits for another before SDB_BUSY),
 * max_pages=N (the database may not grow past N pages: a quota; past it, SDB_FULL).
 * Parameters are SQLite's named `$1`, `$2` …: each is bound by its number, so a
 * statement may use them in any order and more than once. */
#include "sdb.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The functions of libsqlite3.so.0 this driver calls, each one pointer of `sq_lib` (loaded by
 * sq_load with sdb_lib_load); the names below stand for them. */
#define SQ_FUNCS(X) \
  X(sqlite3_bind_blob) \
  X(sqlite3_bind_int64) \
  X(sqlite3_bind_null) \
  X(sqlite3_bind_parameter_count) \
  X(sqlite3_bind_parameter_name) \
  X(sqlite3_bind_text) \
  X(sqlite3_busy_timeout) \
  X(sqlite3_changes64) \
  X(sqlite3_clear_bindings) \
  X(sqlite3_close) \
  X(sqlite3_column_blob) \
  X(sqlite3_column_bytes) \
  X(sqlite3_column_count) \
  X(sqlite3_column_double) \
  X(sqlite3_column_int64) \
  X(sqlite3_column_text) \
  X(sqlite3_column_type) \
  X(sqlite3_db_config) \
  X(sqlite3_errmsg) \
  X(sqlite3_errstr) \
  X(sqlite3_exec) \
  X(sqlite3_finalize) \
  X(sqlite3_free) \
  X(sqlite3_get_autocommit) \
  X(sqlite3_open_v2) \
  X(sqlite3_prepare_v2) \
  X(sqlite3_reset) \
  X(sqlite3_step) \
  X(sqlite3_stmt_readonly)

static struct {
#define SQ_FIELD(f) __typeof__(f) *f;
  SQ_FUNCS(SQ_FIELD)
#undef SQ_FIELD
} sq_lib;

static const char *sq_resolve(void *h) {
#define SQ_LOAD(f) \
  if (!(sq_lib.f = (__typeof__(sq_lib.f))dlsym(h, #f))) return #f;
  SQ_FUNCS(SQ_LOAD)
#undef SQ_LOAD
  return NULL;
}
static SdbLib sq_loader = SDB_LIB("sqlite", "libsqlite3.so.0", "the SQLite library (libsqlite3.so.0, Debian's libsqlite3-0)", "SQLite", sq_resolve);
static bool sq_load(char **message) { return sdb_lib_load(&sq_loader, message); }

#define sqlite3_bind_blob (sq_lib.sqlite3_bind_blob)
#define sqlite3_bind_int64 (sq_lib.sqlite3_bind_int64)
#define sqlite3_bind_null (sq_lib.sqlite3_bind_null)
#define sqlite3_bind_parameter_count (sq_lib.sqlite3_bind_parameter_count)
#define sqlite3_bind_parameter_name (sq_lib.sqlite3_bind_parameter_name)
#define sqlite3_bind_text (sq_lib.sqlite3_bind_text)
#define sqlite3_busy_timeout (sq_lib.sqlite3_busy_timeout)
#define sqlite3_changes64 (sq_lib.sqlite3_changes64)
#define sqlite3_clear_bindings (sq_lib.sqlite3_clear_bindings)
#define sqlite3_close (sq_lib.sqlite3_close)
#define sqlite3_column_blob (sq_lib.sqlite3_column_blob)
#define sqlite3_column_bytes (sq_lib.sqlite3_column_bytes)
#define sqlite3_column_count (sq_lib.sqlite3_column_count)
#define sqlite3_column_double (sq_lib.sqlite3_column_double)
#define sqlite3_column_int64 (sq_lib.sqlite3_column_int64)
#define sqlite3_column_text (sq_lib.sqlite3_column_text)
#define sqlite3_column_type (sq_lib.sqlite3_column_type)
#define sqlite3_db_config (sq_lib.sqlite3_db_config)
#define sqlite3_errmsg (sq_lib.sqlite3_errmsg)
#define sqlite3_errstr (sq_lib.sqlite3_errstr)
#define sqlite3_exec (sq_lib.sqlite3_exec)
#define sqlite3_finalize (sq_lib.sqlite3_finalize)
#define sqlite3_free (sq_lib.sqlite3_free)
#define sqlite3_get_autocommit (sq_lib.sqlite3_get_autocommit)
#define sqlite3_open_v2 (sq_lib.sqlite3_open_v2)
#define sqlite3_prepare_v2 (sq_lib.sqlite3_prepare_v2)
#define sqlite3_reset (sq_lib.sqlite3_reset)
#define sqlite3_step (sq_lib.sqlite3_step)
#define sqlite3_stmt_readonly (sq_lib.sqlite3_stmt_readonly)

/* Prepared statements are kept by their SQL text: the store runs the same few dozen
 * statements again and again. */
enum { CACHE = 64 };
typedef struct Cached {
  char *sql;
  sqlite3_stmt *stmt;
} Cached;

struct SdbConn {
  sqlite3 *db;
  Cached cache[CACHE];
  size_t ncache;
  char error[512];
  bool in_tx; /* between a BEGIN that worked and its COMMIT or ROLLBACK */
};

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}


static SdbStatus status_of(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return SDB_OK;
  case SQLITE_BUSY: case SQLITE_LOCKED: return SDB_BUSY;
  case SQLITE_CONSTRAINT: return SDB_CONSTRAINT;
  case SQLITE_FULL: return SDB_FULL;
  default: return SDB_ERROR;
  }
}

/* Records the connection's last error and returns its status. */
static SdbStatus fail(SdbConn *c, int rc) {
  snprintf(c->error, sizeof c->error, "%s", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
  SdbStatus st = status_of(rc);
  return st == SDB_OK ? SDB_ERROR : st;
}

/* The file name and the settings after `?`. */
typedef struct Target {
  char file[4096];
  const char *synchronous;
  int busy_ms;
  long max_pages; /* 0: SQLite's default */
} Target;

static bool parse_target(const char *target, Target *t, char **message) {
  t->synchronous = "FULL";
  t->busy_ms = 5000;
  t->max_pages = 0;
  const char *q = strchr(target, '?');
  size_t n = q ? (size_t)(q - target) : strlen(target);
  char buf[600];
  if (n == 0 || n >= sizeof t->file) {
    snprintf(buf, sizeof buf, "%.500s: not a database file name", target);
    *message = dup_text(buf);
    return false;
  }
  memcpy(t->file, target, n);
  t->file[n] = '\0';
  while (q && *q) {
    const char *key = q + 1;
    const char *end = strchr(key, '&');
    size_t len = end ? (size_t)(end - key) : strlen(key);
    if (len == 18 && !strncmp(key, "synchronous=normal", 18)) t->synchronous = "NORMAL";
    else if (len == 16 && !strncmp(key, "synchronous=full", 16)) t->synchronous = "FULL";
    else if (len == 15 && !strncmp(key, "synchronous=off", 15)) t->synchronous = "OFF";
    else if (len > 13 && !strncmp(key, "busy_timeout=", 13)) t->busy_ms = atoi(key + 13);
    else if (len > 10 && !strncmp(key, "max_pages=", 10)) t->max_pages = atol(key + 10);
    else {
      snprintf(buf, sizeof buf, "%.300s: unknown setting `%.*s` (synchronous=full|normal|off, busy_timeout=MS, max_pages=N)",
               t->file, (int)(len > 100 ? 100 : len), key);
      *message = dup_text(buf);
      return false;
    }
    q = end;
  }
  return true;
}

/* SQLite ends a transaction itself after some errors (out of memory, a full disk,
 * an I/O error: "the transaction is rolled back automatically"). A statement run
 * after that would be committed on its own, outside the transaction its caller
 * meant, so every statement until the caller's COMMIT or ROLLBACK is refused, and
 * that COMMIT fails. */
static bool tx_lost(SdbConn *c) {
  if (!c->in_tx || !sqlite3_get_autocommit(c->db)) return false;
  snprintf(c->error, sizeof c->error, "the transaction was rolled back after an error");
  return true;
}

static SdbStatus sq_exec(SdbConn *c, const char *sql) {
  if (tx_lost(c)) return SDB_ERROR;
  char *msg = NULL;
  int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
  if (rc == SQLITE_OK) return SDB_OK;
  snprintf(c->error, sizeof c->error, "%s", msg ? msg : sqlite3_errmsg(c->db));
  sqlite3_free(msg);
  SdbStatus st = status_of(rc);
  return st == SDB_OK ? SDB_ERROR : st;
}

static SdbStatus sq_open(const char *target, SdbConn **out, char **message) {
  *out = NULL;
  *message = NULL;
  if (!sq_load(message)) return SDB_ERROR;
  Target t;
  if (!parse_target(target, &t, message)) return SDB_ERROR;
  SdbConn *c = calloc(1, sizeof *c);
  if (!c) {
    *message = dup_text("out of memory");
    return SDB_ERROR;
  }
  int rc = sqlite3_open_v2(t.file, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  char setup[200];
  snprintf(setup, sizeof setup, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON", t.synchronous);
  if (t.max_pages > 0)
    snprintf(setup + strlen(setup), sizeof setup - strlen(setup), "; PRAGMA max_page_count=%ld", t.max_pages);
  SdbStatus st = SDB_OK;
  if (rc != SQLITE_OK) st = fail(c, rc);
  else {
    sqlite3_busy_timeout(c->db, t.busy_ms);
    /* No checkpoint when the last connection closes (bprun opens the store once per
     * command): the WAL is checkpointed as it grows, by the commits themselves. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
    st = sq_exec(c, setup);
  }
  if (st != SDB_OK) {
    char buf[700];
    snprintf(buf, sizeof buf, "%.300s: %.380s", t.file, c->error);
    *message = dup_text(buf);
    sqlite3_close(c->db);
    free(c);
    return st;
  }
  *out = c;
  return SDB_OK;
}

static void sq_close(SdbConn *c) {
  if (!c) return;
  for (size_t i = 0; i < c->ncache; i++) {
    sqlite3_finalize(c->cache[i].stmt);
    free(c->cache[i].sql);
  }
  sqlite3_close(c->db);
  free(c);
}

static SdbStatus sq_begin(SdbConn *c) {
  SdbStatus st = sq_exec(c, "BEGIN IMMEDIATE");
  c->in_tx = st == SDB_OK;
  return st;
}
static SdbStatus sq_commit(SdbConn *c) {
  SdbStatus st = sq_exec(c, "COMMIT");
  if (st == SDB_OK || sqlite3_get_autocommit(c->db)) c->in_tx = false;
  return st;
}
static SdbStatus sq_rollback(SdbConn *c) {
  c->in_tx = false;
  if (sqlite3_get_autocommit(c->db)) return SDB_OK; /* nothing open (a failed statement ended it) */
  return sq_exec(c, "ROLLBACK");
}

/* A growing result: cells whose text points at offsets into bytes until the end. */
typedef struct Build {
  SdbValue *cells;
  size_t ncells, capcells;
  char *bytes;
  size_t nbytes, capbytes;
} Build;

static bool add_cell(Build *b, SdbValue v) {
  if (b->ncells == b->capcells) {
    size_t cap = b->capcells ? 2 * b->capcells : 16;
    SdbValue *p = realloc(b->cells, cap * sizeof *p);
    if (!p) return false;
    b->cells = p;
    b->capcells = cap;
  }
  if (v.type == SDB_TEXT || v.type == SDB_BLOB) {
    size_t need = b->nbytes + v.n + 1;
    if (need > b->capbytes) {
      size_t cap = b->capbytes ? b->capbytes : 256;
      while (cap < need) cap *= 2;
      char *p = realloc(b->bytes, cap);
      if (!p) return false;
      b->bytes = p;
      b->capbytes = cap;
    }
    if (v.n) memcpy(b->bytes + b->nbytes, v.p, v.n);
    b->bytes[b->nbytes + v.n] = '\0';
    v.i = (int64_t)b->nbytes; /* the offset, until the bytes stop moving */
    b->nbytes = need;
  }
  b->cells[b->ncells++] = v;
  return true;
}

static SdbStatus bind_all(SdbConn *c, sqlite3_stmt *s, const SdbValue *params, size_t n) {
  int count = sqlite3_bind_parameter_count(s);
  for (int i = 1; i <= count; i++) {
    const char *name = sqlite3_bind_parameter_name(s, i);
    long k = name && name[0] == '$' ? strtol(name + 1, NULL, 10) : 0;
    if (k < 1 || (size_t)k > n) {
      snprintf(c->error, sizeof c->error, "parameter %s has no value (%zu given)", name ? name : "?", n);
      return SDB_ERROR;
    }
    const SdbValue *v = &params[k - 1];
    int rc;
    switch (v->type) {
    case SDB_INT: rc = sqlite3_bind_int64(s, i, v->i); break;
    case SDB_TEXT: rc = sqlite3_bind_text(s, i, v->p ? v->p : "", (int)v->n, SQLITE_STATIC); break;
    case SDB_BLOB: rc = sqlite3_bind_blob(s, i, v->p ? v->p : "", (int)v->n, SQLITE_STATIC); break;
    default: rc = sqlite3_bind_null(s, i); break;
    }
    if (rc != SQLITE_OK) return fail(c, rc);
  }
  return SDB_OK;
}

/* The statement for SQL, from the cache or prepared (and kept while there is room). */
static int prepare(SdbConn *c, const char *sql, sqlite3_stmt **out) {
  for (size_t i = 0; i < c->ncache; i++)
    if (!strcmp(c->cache[i].sql, sql)) {
      *out = c->cache[i].stmt;
      return SQLITE_OK;
    }
  int rc = sqlite3_prepare_v2(c->db, sql, -1, out, NULL);
  if (rc != SQLITE_OK) return rc;
  if (c->ncache == CACHE) { /* full: the oldest goes */
    sqlite3_finalize(c->cache[0].stmt);
    free(c->cache[0].sql);
    memmove(c->cache, c->cache + 1, (CACHE - 1) * sizeof *c->cache);
    c->ncache--;
  }
  char *copy = dup_text(sql);
  if (!copy) {
    sqlite3_finalize(*out);
    *out = NULL;
    return SQLITE_NOMEM;
  }
  c->cache[c->ncache++] = (Cached){copy, *out};
  return SQLITE_OK;
}

static SdbStatus sq_query(SdbConn *c, const char *sql, const SdbValue *params, size_t n, SdbRows **rows) {
  if (rows) *rows = NULL;
  if (tx_lost(c)) return SDB_ERROR;
  sqlite3_stmt *s = NULL;
  int rc = prepare(c, sql, &s);
  if (rc != SQLITE_OK) return fail(c, rc);
  SdbStatus st = bind_all(c, s, params, n);
  Build b = {0};
  size_t ncols = (size_t)sqlite3_column_count(s), nrows = 0;
  while (st == SDB_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    nrows++;
    for (size_t k = 0; k < ncols && st == SDB_OK; k++) {
      SdbValue v = sdb_null();
      int col = (int)k;
      switch (sqlite3_column_type(s, col)) {
      case SQLITE_INTEGER: v = sdb_int(sqlite3_column_int64(s, col)); break;
      case SQLITE_FLOAT: v = sdb_int((int64_t)sqlite3_column_double(s, col)); break;
      case SQLITE_TEXT: {
        const char *p = (const char *)sqlite3_column_text(s, col);
        v = sdb_text(p, (size_t)sqlite3_column_bytes(s, col));
        break;
      }
      case SQLITE_BLOB: {
        const void *p = sqlite3_column_blob(s, col);
        v = sdb_blob(p, (size_t)sqlite3_column_bytes(s, col));
        break;
      }
      default: break;
      }
      if (!add_cell(&b, v)) {
        snprintf(c->error, sizeof c->error, "out of memory reading a result");
        st = SDB_ERROR;
      }
    }
  }
  if (st == SDB_OK && rc != SQLITE_DONE) st = fail(c, rc);
  int64_t changes = sqlite3_changes64(c->db);
  if (st == SDB_OK && sqlite3_stmt_readonly(s)) changes = 0;
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (st != SDB_OK || !rows) {
    free(b.cells);
    free(b.bytes);
    return st;
  }
  SdbRows *r = calloc(1, sizeof *r);
  if (!r) {
    free(b.cells);
    free(b.bytes);
    snprintf(c->error, sizeof c->error, "out of memory reading a result");
    return SDB_ERROR;
  }
  for (size_t i = 0; i < b.ncells; i++)
    if (b.cells[i].type == SDB_TEXT || b.cells[i].type == SDB_BLOB) {
      b.cells[i].p = b.bytes + b.cells[i].i;
      b.cells[i].i = 0;
    }
  r->nrows = nrows;
  r->ncols = ncols;
  r->cells = b.cells;
  r->bytes = b.bytes;
  r->changes = changes;
  *rows = r;
  return SDB_OK;
}

static const char *sq_error(SdbConn *c) { return c ? c->error : ""; }

const SdbDriver sdb_sqlite = {
    .name = "sqlite",
    .dialect = {.blob = "BLOB", .id_key = "INTEGER PRIMARY KEY", .for_update = "", .skip_locked = ""},
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .exec = sq_exec,
    .query = sq_query,
    .error = sq_error,
};
