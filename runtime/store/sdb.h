/* sdb.h — the store's database driver: the one small interface that its two backends,
 * SQLite (sdb_sqlite.c, the default: a file) and PostgreSQL (sdb_pg.c, libpq:
 * postgresql://… or postgres://…), implement. Nothing above this header knows which
 * engine it talks to.
 *
 * SQL text is shared between the engines. Parameters are written $1, $2 … (both accept
 * that form; a driver binds by name, so order and reuse do not matter). The few places
 * where the dialects differ are strings in SdbDialect, pasted into the store's SQL.
 * Both engines accept `INSERT … ON CONFLICT (…) DO UPDATE SET x = excluded.x` and
 * `RETURNING`; integers are BIGINT, times are BIGINT seconds since 1970 (UTC).
 *
 * Results are read whole into an SdbRows (the store's queries return few rows): cells
 * are typed by what the engine returns (SQLite's dynamic type; PostgreSQL's column
 * type: int2/int4/int8/bool → SDB_INT, bytea → SDB_BLOB, anything else → SDB_TEXT),
 * with NULL as SDB_NULL. Text and bytes of a cell stay valid until sdb_rows_free and
 * are followed by a NUL byte (not counted in n).
 *
 * Errors: every call returns a status; the connection keeps the last error's message
 * (one line, without a trailing newline) for sdb_error. SDB_BUSY means "another
 * connection holds what you need or your transaction lost a race (SQLite BUSY/LOCKED,
 * PostgreSQL 40001 serialization failure, 40P01 deadlock, 55P03 lock not available):
 * roll back and retry"; SDB_FULL a full disk (SQLite FULL, PostgreSQL 53100); SDB_CONSTRAINT a
 * violated unique or primary key (SQLite CONSTRAINT, PostgreSQL 23xxx). No call prints,
 * aborts or exits. */
#ifndef SDB_H
#define SDB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SdbStatus {
  SDB_OK = 0,
  SDB_ERROR,      /* any other failure: bad SQL, a lost connection, a damaged file */
  SDB_BUSY,       /* locked or a lost race: roll back and retry the transaction */
  SDB_CONSTRAINT, /* a unique or primary key was violated */
  SDB_FULL        /* the disk is full */
} SdbStatus;

typedef enum SdbType { SDB_NULL = 0, SDB_INT, SDB_TEXT, SDB_BLOB } SdbType;

/* A parameter or a result cell. For SDB_TEXT and SDB_BLOB, p/n are the bytes (a
 * parameter's text need not end in NUL; its length is n). */
typedef struct SdbValue {
  SdbType type;
  int64_t i;
  const char *p;
  size_t n;
} SdbValue;

static inline SdbValue sdb_int(int64_t i) { SdbValue v = {SDB_INT, i, NULL, 0}; return v; }
static inline SdbValue sdb_text(const char *s, size_t n) { SdbValue v = {SDB_TEXT, 0, s, n}; return v; }
static inline SdbValue sdb_blob(const void *p, size_t n) { SdbValue v = {SDB_BLOB, 0, (const char *)p, n}; return v; }
static inline SdbValue sdb_null(void) { SdbValue v = {SDB_NULL, 0, NULL, 0}; return v; }

/* A whole result: nrows × ncols cells, row by row. `changes` is the number of rows an
 * INSERT/UPDATE/DELETE touched (0 for a SELECT). */
typedef struct SdbRows {
  size_t nrows, ncols;
  SdbValue *cells;
  int64_t changes;
  char *bytes; /* the cells' text and bytes, owned */
} SdbRows;

static inline const SdbValue *sdb_cell(const SdbRows *r, size_t row, size_t col) {
  return &r->cells[row * r->ncols + col];
}
void sdb_rows_free(SdbRows *rows); /* NULL is fine */

/* Where the dialects differ, as text to paste into SQL. */
typedef struct SdbDialect {
  const char *blob;        /* column type of bytes: "BLOB" / "BYTEA" */
  const char *id_key;      /* an auto-numbered key column: "INTEGER PRIMARY KEY" /
                              "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" */
  const char *for_update;  /* after a SELECT that reads a row to change it: "" (SQLite
                              locks the database at begin) / " FOR UPDATE" */
  const char *skip_locked; /* after a SELECT that claims work: "" / " FOR UPDATE SKIP LOCKED" */
} SdbDialect;

typedef struct SdbConn SdbConn;

typedef struct SdbDriver {
  const char *name;   /* "sqlite", "postgresql" */
  SdbDialect dialect;
  /* Opens the database named by target (a file name for SQLite, a libpq connection URI
   * for PostgreSQL). SQLite: WAL mode, foreign keys on, a busy timeout of some seconds,
   * synchronous FULL unless the target asks otherwise. On failure *out is NULL and
   * *message (malloc'd, free it) says why, naming the target. */
  SdbStatus (*open)(const char *target, SdbConn **out, char **message);
  void (*close)(SdbConn *c);
  /* One transaction at a time per connection. SQLite: BEGIN IMMEDIATE (the write lock
   * at once, so two writers never deadlock); PostgreSQL: BEGIN (READ COMMITTED; rows
   * are locked with the dialect's for_update / skip_locked). */
  SdbStatus (*begin)(SdbConn *c);
  SdbStatus (*commit)(SdbConn *c);
  SdbStatus (*rollback)(SdbConn *c); /* also fine after a failed statement */
  /* Several statements separated by `;`, no parameters, no result (schema scripts). */
  SdbStatus (*exec)(SdbConn *c, const char *sql);
  /* One statement with parameters $1..$n. On SDB_OK, *rows (when rows is not NULL) is
   * the result, to free with sdb_rows_free. */
  SdbStatus (*query)(SdbConn *c, const char *sql, const SdbValue *params, size_t n, SdbRows **rows);
  const char *(*error)(SdbConn *c); /* the last failure's message, or "" */
} SdbDriver;

extern const SdbDriver sdb_sqlite;
extern const SdbDriver sdb_postgres;

/* A library a driver loads when its first database is opened (sdb_lib_load), not when
 * the program starts: bprun's other commands never use it, and loading it with its
 * dependencies cost a start-up of every bprun run (docs/performance-log.md). The driver
 * keeps a pointer for each function it calls; resolve takes them from the library's
 * handle (dlsym) and answers the name of the first one missing, or NULL. */
typedef struct SdbLib {
  const char *engine;  /* the messages' first word: "postgresql" */
  const char *soname;  /* the name the linker would have recorded: "libpq.so.5" */
  const char *needs;   /* what to install: "libpq (libpq.so.5, Debian's libpq5)" */
  const char *newer;   /* what a missing function asks for: "libpq" */
  const char *(*resolve)(void *handle);
  bool loaded; /* once loaded, for good; a failure (out of memory too) is tried again next time */
  char why[300];
  pthread_mutex_t lock;
} SdbLib;
#define SDB_LIB(engine, soname, needs, newer, resolve) \
  { engine, soname, needs, newer, resolve, false, "", PTHREAD_MUTEX_INITIALIZER }
/* Loads lib once (any thread); false with *message (malloc'd, to free) saying why not. */
bool sdb_lib_load(SdbLib *lib, char **message);

/* The driver for a target: postgresql:// and postgres:// → sdb_postgres, anything else
 * (a file name, or sqlite:FILE with the prefix removed by the caller) → sdb_sqlite. */
const SdbDriver *sdb_driver_for(const char *target);

#endif
