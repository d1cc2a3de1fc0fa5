/* sdb_test.c — the store's database driver (sdb.h) against a real database.
 *
 *   sdb_test TARGET
 *
 * TARGET is what the store is given: a SQLite file name, or a PostgreSQL URL
 * (postgresql://…); the driver is the one sdb_driver_for chooses. The test makes its
 * own tables (sdbt_*), dropping them first, and checks the contract sdb.h states: types
 * round-trip (64-bit ints at both ends, UTF-8 text, bytes with zeros, NULL, empty text
 * and bytes), $N parameters reused and out of order, `changes`, ON CONFLICT upserts,
 * RETURNING, transactions, SDB_CONSTRAINT, SDB_BUSY on a lock another connection holds,
 * and claiming work with the dialect's skip_locked from two connections.
 *
 * Where the engines differ in what they may do (SQLite has one writer: a second
 * connection's begin waits and is SDB_BUSY; PostgreSQL locks rows), the check accepts
 * what sdb.h allows for that engine and says which way it went; nothing is skipped.
 * Prints `ok`/`FAIL` a line per check, then `N passed, N failed`; exits 1 on a failure,
 * 2 when the database cannot be opened. */
#include "sdb.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void check(int ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s: ", ok ? "ok" : "FAIL");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  if (ok) passed++;
  else failed++;
}

static const SdbDriver *drv;
static const char *target;
static int is_pg;

/* A message is one line: no line break anywhere. */
static int one_line(const char *s) { return s && !strchr(s, '\n') && !strchr(s, '\r'); }

static SdbConn *open_or_die(const char *t) {
  SdbConn *c = NULL;
  char *msg = NULL;
  if (drv->open(t, &c, &msg) != SDB_OK) {
    printf("FAIL: cannot open %s: %s\n0 passed, 1 failed\n", t, msg ? msg : "(no message)");
    free(msg);
    exit(2);
  }
  return c;
}

/* Runs sql with params; on a status other than want, reports the driver's message. */
static SdbRows *q(SdbConn *c, SdbStatus want, const char *sql, const SdbValue *p, size_t n) {
  SdbRows *rows = NULL;
  SdbStatus st = drv->query(c, sql, p, n, &rows);
  if (st != want) {
    check(0, "%s: status %d, want %d (%s)", sql, st, want, drv->error(c));
    sdb_rows_free(rows);
    return NULL;
  }
  return rows;
}

static int64_t changes_of(SdbConn *c, const char *sql, const SdbValue *p, size_t n) {
  SdbRows *r = q(c, SDB_OK, sql, p, n);
  int64_t ch = r ? r->changes : -1;
  sdb_rows_free(r);
  return ch;
}

static int is_int(const SdbValue *v, int64_t i) { return v->type == SDB_INT && v->i == i; }
static int is_text(const SdbValue *v, const char *s) {
  size_t n = strlen(s);
  return v->type == SDB_TEXT && v->n == n && memcmp(v->p, s, n) == 0 && v->p[n] == '\0';
}

/* ---- the checks ------------------------------------------------------------------- */

static void check_driver_for(void) {
  check(sdb_driver_for("postgresql://h/db") == &sdb_postgres && sdb_driver_for("postgres:///db") == &sdb_postgres &&
            sdb_driver_for("store.db") == &sdb_sqlite && sdb_driver_for("postgresql.db") == &sdb_sqlite,
        "sdb_driver_for: postgresql:// and postgres:// URLs are PostgreSQL, file names SQLite");
}

/* An open that fails names where it tried, on one line, and never shows a password. */
static void check_open_failure(void) {
  const char *bad = is_pg ? "postgresql://bpc:s3cret-pw@/nodb?host=/nonexistent-dir-sdbt&connect_timeout=5"
                          : "/nonexistent-dir-sdbt/store.db";
  SdbConn *c = (SdbConn *)1;
  char *msg = NULL;
  SdbStatus st = drv->open(bad, &c, &msg);
  check(st != SDB_OK && c == NULL && msg && strstr(msg, "nonexistent-dir-sdbt") && one_line(msg) &&
            !strstr(msg, "s3cret-pw"),
        "open of an unreachable target fails naming it on one line without the password: %s", msg ? msg : "(none)");
  free(msg);
}

static void make_tables(SdbConn *c) {
  char sql[1024];
  snprintf(sql, sizeof sql,
           "DROP TABLE IF EXISTS sdbt_kv; DROP TABLE IF EXISTS sdbt_seq; DROP TABLE IF EXISTS sdbt_jobs;\n"
           "CREATE TABLE sdbt_kv (k BIGINT PRIMARY KEY, t TEXT, b %s, n BIGINT);\n"
           "CREATE TABLE sdbt_seq (id %s, v TEXT NOT NULL);\n"
           "CREATE TABLE sdbt_jobs (k BIGINT PRIMARY KEY, done BIGINT NOT NULL DEFAULT 0);",
           drv->dialect.blob, drv->dialect.id_key);
  SdbStatus st = drv->exec(c, sql);
  check(st == SDB_OK, "exec runs a script of several statements (%s)", drv->error(c));
  if (st != SDB_OK) {
    printf("%d passed, %d failed\n", passed, failed);
    exit(1);
  }
}

static void check_types(SdbConn *c) {
  static const char utf8[] = "Grüße, мир, 世界 ✓ 🚀";
  char textbuf[64];
  memcpy(textbuf, utf8, sizeof utf8 - 1);
  memcpy(textbuf + sizeof utf8 - 1, "garbage", 8); /* a parameter's text is p/n, not NUL-ended */
  unsigned char blob[300];
  for (size_t i = 0; i < sizeof blob; i++) blob[i] = (unsigned char)(i * 7 % 256);
  blob[0] = blob[5] = blob[299] = 0;
  const int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1, 1, 4294967296LL};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    SdbValue p[4] = {sdb_int((int64_t)i + 1), sdb_text(textbuf, sizeof utf8 - 1), sdb_blob(blob, sizeof blob),
                     sdb_int(ints[i])};
    changes_of(c, "INSERT INTO sdbt_kv (k, t, b, n) VALUES ($1, $2, $3, $4)", p, 4);
  }
  SdbValue nulls[4] = {sdb_int(100), sdb_null(), sdb_null(), sdb_null()};
  changes_of(c, "INSERT INTO sdbt_kv (k, t, b, n) VALUES ($1, $2, $3, $4)", nulls, 4);
  SdbValue empties[3] = {sdb_int(101), sdb_text("", 0), sdb_blob("", 0)};
  changes_of(c, "INSERT INTO sdbt_kv (k, t, b) VALUES ($1, $2, $3)", empties, 3);

  SdbRows *r = q(c, SDB_OK, "SELECT k, t, b, n FROM sdbt_kv WHERE k <= $1 ORDER BY k", (SdbValue[]){sdb_int(6)}, 1);
  if (!r) return;
  int ok = r->nrows == 6 && r->ncols == 4 && r->changes == 0;
  for (size_t i = 0; ok && i < r->nrows; i++) {
    const SdbValue *t = sdb_cell(r, i, 1), *b = sdb_cell(r, i, 2);
    ok = is_int(sdb_cell(r, i, 0), (int64_t)i + 1) && is_int(sdb_cell(r, i, 3), ints[i]) && is_text(t, utf8) &&
         b->type == SDB_BLOB && b->n == sizeof blob && memcmp(b->p, blob, sizeof blob) == 0 && b->p[b->n] == '\0';
    if (!ok) check(0, "row %zu read back: types %d %d %d %d", i, sdb_cell(r, i, 0)->type, t->type, b->type,
                   sdb_cell(r, i, 3)->type);
  }
  check(ok, "ints (INT64_MIN, INT64_MAX, 0, -1, 1, 2^32), UTF-8 text and 300 bytes with zeros round-trip, NUL-ended");
  sdb_rows_free(r);

  r = q(c, SDB_OK, "SELECT t, b, n FROM sdbt_kv WHERE k = $1", (SdbValue[]){sdb_int(100)}, 1);
  check(r && r->nrows == 1 && sdb_cell(r, 0, 0)->type == SDB_NULL && sdb_cell(r, 0, 1)->type == SDB_NULL &&
            sdb_cell(r, 0, 2)->type == SDB_NULL,
        "NULL parameters are stored and read back as SDB_NULL");
  sdb_rows_free(r);
  r = q(c, SDB_OK, "SELECT t, b FROM sdbt_kv WHERE k = $1", (SdbValue[]){sdb_int(101)}, 1);
  check(r && r->nrows == 1 && is_text(sdb_cell(r, 0, 0), "") && sdb_cell(r, 0, 1)->type == SDB_BLOB &&
            sdb_cell(r, 0, 1)->n == 0 && sdb_cell(r, 0, 1)->p && sdb_cell(r, 0, 1)->p[0] == '\0',
        "empty text and empty bytes stay text and bytes (not NULL), NUL-ended");
  sdb_rows_free(r);

  r = q(c, SDB_OK, "SELECT count(*), 1 = 1, 1 = 2, 'x' FROM sdbt_kv", NULL, 0);
  check(r && r->nrows == 1 && is_int(sdb_cell(r, 0, 0), 8) && is_int(sdb_cell(r, 0, 1), 1) &&
            is_int(sdb_cell(r, 0, 2), 0) && is_text(sdb_cell(r, 0, 3), "x"),
        "count(*) and comparisons are SDB_INT (true 1, false 0), a literal is text");
  sdb_rows_free(r);

  r = q(c, SDB_OK, "SELECT k FROM sdbt_kv WHERE k = $1", (SdbValue[]){sdb_int(999)}, 1);
  check(r && r->nrows == 0 && r->ncols == 1, "a query matching nothing is 0 rows of its columns");
  sdb_rows_free(r);
}

static void check_params(SdbConn *c) {
  SdbValue p[3] = {sdb_text("a", 1), sdb_int(40), sdb_text("zz", 2)};
  SdbRows *r = q(c, SDB_OK, "SELECT $2 + 2, $3 || $1 || $3, $2, $1", p, 3);
  check(r && r->nrows == 1 && r->ncols == 4 && is_int(sdb_cell(r, 0, 0), 42) && is_text(sdb_cell(r, 0, 1), "zzazz") &&
            is_int(sdb_cell(r, 0, 2), 40) && is_text(sdb_cell(r, 0, 3), "a"),
        "$N parameters out of order and reused ($2 + 2, $3 || $1 || $3, $2, $1)");
  sdb_rows_free(r);

  SdbValue ins[3] = {sdb_text("third", 5), sdb_int(200), sdb_int(7)};
  changes_of(c, "INSERT INTO sdbt_kv (n, k, t) VALUES ($3, $2, $1)", ins, 3);
  r = q(c, SDB_OK, "SELECT t, n FROM sdbt_kv WHERE k = $1 AND n = $1 - 193", (SdbValue[]){sdb_int(200)}, 1);
  check(r && r->nrows == 1 && is_text(sdb_cell(r, 0, 0), "third") && is_int(sdb_cell(r, 0, 1), 7),
        "an INSERT's $N bind by number, not by position in the statement");
  sdb_rows_free(r);

  /* More parameters than a driver may keep on its stack. */
  enum { N = 40 };
  SdbValue many[N];
  char sql[1024] = "SELECT ";
  for (int i = 0; i < N; i++) {
    many[i] = sdb_int(i * 1000);
    char part[16];
    snprintf(part, sizeof part, "%s$%d", i ? " + " : "", N - i);
    strcat(sql, part);
  }
  r = q(c, SDB_OK, sql, many, N);
  check(r && r->nrows == 1 && is_int(sdb_cell(r, 0, 0), 1000LL * N * (N - 1) / 2), "40 parameters in one statement");
  sdb_rows_free(r);

  /* A NULL rows pointer: the statement runs, nothing comes back. */
  SdbStatus st = drv->query(c, "UPDATE sdbt_kv SET n = n WHERE k = $1", (SdbValue[]){sdb_int(200)}, 1, NULL);
  check(st == SDB_OK, "query with rows == NULL (%s)", drv->error(c));
}

static void check_changes(SdbConn *c) {
  int64_t ins = changes_of(c, "INSERT INTO sdbt_jobs (k) VALUES (1), (2), (3), (4), (5)", NULL, 0);
  int64_t upd = changes_of(c, "UPDATE sdbt_jobs SET done = 0 WHERE k >= $1", (SdbValue[]){sdb_int(3)}, 1);
  int64_t none = changes_of(c, "UPDATE sdbt_jobs SET done = 0 WHERE k > 100", NULL, 0);
  int64_t sel = changes_of(c, "SELECT k FROM sdbt_jobs", NULL, 0);
  int64_t del = changes_of(c, "DELETE FROM sdbt_kv WHERE k >= 100", NULL, 0);
  check(ins == 5 && upd == 3 && none == 0 && sel == 0 && del == 3,
        "changes: INSERT of 5 rows %" PRId64 ", UPDATE of 3 %" PRId64 ", of none %" PRId64 ", SELECT %" PRId64
        ", DELETE of 3 %" PRId64,
        ins, upd, none, sel, del);
}

static void check_upsert_returning(SdbConn *c) {
  const char *upsert = "INSERT INTO sdbt_kv (k, t) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET t = excluded.t";
  int64_t a = changes_of(c, upsert, (SdbValue[]){sdb_int(300), sdb_text("first", 5)}, 2);
  int64_t b = changes_of(c, upsert, (SdbValue[]){sdb_int(300), sdb_text("second", 6)}, 2);
  SdbRows *r = q(c, SDB_OK, "SELECT t FROM sdbt_kv WHERE k = 300", NULL, 0);
  check(a == 1 && b == 1 && r && r->nrows == 1 && is_text(sdb_cell(r, 0, 0), "second"),
        "ON CONFLICT DO UPDATE inserts, then updates (changes %" PRId64 ", %" PRId64 ")", a, b);
  sdb_rows_free(r);
  int64_t d = changes_of(c, "INSERT INTO sdbt_kv (k, t) VALUES (300, 'x') ON CONFLICT (k) DO NOTHING", NULL, 0);
  check(d == 0, "ON CONFLICT DO NOTHING on a duplicate changes nothing (%" PRId64 ")", d);

  SdbRows *r1 = q(c, SDB_OK, "INSERT INTO sdbt_seq (v) VALUES ($1) RETURNING id, v", (SdbValue[]){sdb_text("a", 1)}, 1);
  SdbRows *r2 = q(c, SDB_OK, "INSERT INTO sdbt_seq (v) VALUES ($1) RETURNING id", (SdbValue[]){sdb_text("b", 1)}, 1);
  check(r1 && r2 && r1->nrows == 1 && r1->changes == 1 && sdb_cell(r1, 0, 0)->type == SDB_INT &&
            is_text(sdb_cell(r1, 0, 1), "a") && r2->nrows == 1 && sdb_cell(r2, 0, 0)->type == SDB_INT &&
            sdb_cell(r2, 0, 0)->i > sdb_cell(r1, 0, 0)->i,
        "INSERT … RETURNING gives the new auto-numbered key (an SDB_INT, increasing) and changes 1");
  sdb_rows_free(r1);
  sdb_rows_free(r2);
  r = q(c, SDB_OK, "UPDATE sdbt_jobs SET done = done + 1 WHERE k <= 2 RETURNING k", NULL, 0);
  check(r && r->nrows == 2 && r->changes == 2, "UPDATE … RETURNING gives a row per changed row and changes 2");
  sdb_rows_free(r);

  enum { ROWS = 1000 };
  r = q(c, SDB_OK,
        "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < $1) SELECT x, 'r' || x FROM s",
        (SdbValue[]){sdb_int(ROWS)}, 1);
  int64_t sum = 0;
  int texts = 1;
  for (size_t i = 0; r && i < r->nrows; i++) {
    sum += sdb_cell(r, i, 0)->i;
    char want[32];
    snprintf(want, sizeof want, "r%zu", i + 1);
    texts = texts && is_text(sdb_cell(r, i, 1), want);
  }
  check(r && r->nrows == ROWS && sum == (int64_t)ROWS * (ROWS + 1) / 2 && texts, "a result of 1,000 rows read whole");
  sdb_rows_free(r);
}

static int64_t count_where(SdbConn *c, const char *sql) {
  SdbRows *r = q(c, SDB_OK, sql, NULL, 0);
  int64_t n = r && r->nrows == 1 && sdb_cell(r, 0, 0)->type == SDB_INT ? sdb_cell(r, 0, 0)->i : -1;
  sdb_rows_free(r);
  return n;
}

static void check_transactions(SdbConn *c) {
  SdbStatus b = drv->begin(c);
  changes_of(c, "INSERT INTO sdbt_kv (k, t) VALUES (400, 'gone')", NULL, 0);
  changes_of(c, "UPDATE sdbt_kv SET t = 'changed' WHERE k = 300", NULL, 0);
  int64_t inside = count_where(c, "SELECT count(*) FROM sdbt_kv WHERE k = 400");
  SdbStatus rb = drv->rollback(c);
  int64_t after = count_where(c, "SELECT count(*) FROM sdbt_kv WHERE k = 400 OR t = 'changed'");
  check(b == SDB_OK && rb == SDB_OK && inside == 1 && after == 0,
        "rollback undoes an insert and an update (seen inside %" PRId64 ", after %" PRId64 ")", inside, after);

  SdbConn *other = open_or_die(target);
  b = drv->begin(c);
  changes_of(c, "INSERT INTO sdbt_kv (k, t) VALUES (401, 'kept')", NULL, 0);
  int64_t seen_before = count_where(other, "SELECT count(*) FROM sdbt_kv WHERE k = 401");
  SdbStatus cm = drv->commit(c);
  int64_t seen_after = count_where(other, "SELECT count(*) FROM sdbt_kv WHERE k = 401");
  check(b == SDB_OK && cm == SDB_OK && seen_before == 0 && seen_after == 1,
        "another connection sees a transaction's insert only after commit (%" PRId64 " then %" PRId64 ")", seen_before,
        seen_after);
  drv->close(other);
}

static void check_errors(SdbConn *c) {
  SdbRows *r = NULL;
  SdbStatus st = drv->query(c, "INSERT INTO sdbt_kv (k, t) VALUES ($1, 'dup')", (SdbValue[]){sdb_int(401)}, 1, &r);
  const char *msg = drv->error(c);
  check(st == SDB_CONSTRAINT && r == NULL && *msg && one_line(msg),
        "a duplicate primary key is SDB_CONSTRAINT (%d), one line: %s", st, msg);
  st = drv->query(c, "SELECT nosuchcolumn FROM sdbt_kv", NULL, 0, &r);
  msg = drv->error(c);
  check(st == SDB_ERROR && r == NULL && *msg && one_line(msg), "bad SQL is SDB_ERROR (%d), one line: %s", st, msg);
  st = drv->exec(c, "CREATE TABLE sdbt_never (x BIGINT); SELECT * FROM nosuchtable_sdbt");
  check(st == SDB_ERROR && one_line(drv->error(c)), "a failing script is SDB_ERROR: %s", drv->error(c));

  /* A failed statement inside a transaction: rollback is fine, nothing stays. */
  drv->begin(c);
  changes_of(c, "INSERT INTO sdbt_kv (k, t) VALUES (402, 'x')", NULL, 0);
  st = drv->query(c, "INSERT INTO sdbt_kv (k, t) VALUES (401, 'dup')", NULL, 0, NULL);
  SdbStatus rb = drv->rollback(c);
  int64_t left = count_where(c, "SELECT count(*) FROM sdbt_kv WHERE k = 402");
  check(st == SDB_CONSTRAINT && rb == SDB_OK && left == 0,
        "rollback after a failed statement in a transaction undoes the transaction (%d, %d, %" PRId64 ")", st, rb,
        left);
  /* A rollback outside a transaction does no harm either. */
  rb = drv->rollback(c);
  check(rb == SDB_OK || rb == SDB_ERROR, "rollback with no transaction returns a status (%d)", rb);
  check(count_where(c, "SELECT count(*) FROM sdbt_kv WHERE k = 401") == 1, "the connection works after errors");
}

/* The target of a second connection that waits for a lock only briefly, set in the
 * target over the driver's default: PostgreSQL takes server settings from the URL
 * (options=-c lock_timeout=…), the SQLite driver a busy_timeout (ms). */
static char *impatient_target(void) {
  size_t n = strlen(target) + 64;
  char *t = malloc(n);
  if (!t) exit(2);
  if (is_pg)
    snprintf(t, n, "%s%soptions=-c%%20lock_timeout%%3D300ms", target, strchr(target, '?') ? "&" : "?");
  else
    snprintf(t, n, "%s%sbusy_timeout=300", target, strchr(target, '?') ? "&" : "?");
  return t;
}

/* Connection A holds row 1 (changed in an open transaction); B wants to change it. */
static void check_busy(SdbConn *a) {
  char *bt = impatient_target();
  SdbConn *b = open_or_die(bt);
  drv->begin(a);
  changes_of(a, "UPDATE sdbt_jobs SET done = 10 WHERE k = 1", NULL, 0);
  SdbStatus bb = drv->begin(b), bu = SDB_OK;
  const char *how;
  if (bb == SDB_BUSY) {
    how = "B's begin (one writer at a time)";
  } else {
    bu = drv->query(b, "UPDATE sdbt_jobs SET done = 20 WHERE k = 1", NULL, 0, NULL);
    how = "B's update of the locked row";
  }
  const char *msg = drv->error(b);
  int ok = (bb == SDB_BUSY || (bb == SDB_OK && bu == SDB_BUSY)) && *msg && one_line(msg) && !(is_pg && bb != SDB_OK);
  check(ok, "a row another connection holds is SDB_BUSY at %s: %s", how, msg);
  drv->rollback(b);
  drv->commit(a);
  int64_t done = count_where(a, "SELECT done FROM sdbt_jobs WHERE k = 1");
  check(done == 10, "the holder's change stands, the busy one left nothing (%" PRId64 ")", done);
  drv->close(b);
  free(bt);
}

/* Two workers claim the first undone job with skip_locked: the second never gets the
 * row the first holds. */
static int64_t claim(SdbConn *c) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT k FROM sdbt_jobs WHERE done = 0 ORDER BY k LIMIT 1%s", drv->dialect.skip_locked);
  SdbRows *r = q(c, SDB_OK, sql, NULL, 0);
  int64_t k = r && r->nrows == 1 ? sdb_cell(r, 0, 0)->i : -1;
  sdb_rows_free(r);
  return k;
}

static void check_skip_locked(SdbConn *a) {
  changes_of(a, "UPDATE sdbt_jobs SET done = 0", NULL, 0);
  char *bt = impatient_target();
  SdbConn *b = open_or_die(bt);
  drv->begin(a);
  int64_t ka = claim(a);
  SdbStatus bb = drv->begin(b);
  if (bb == SDB_OK) {
    int64_t kb = claim(b);
    check(ka == 1 && kb == 2, "skip_locked: A claims job %" PRId64 ", B at the same time gets job %" PRId64
          " (not A's)", ka, kb);
    changes_of(b, "UPDATE sdbt_jobs SET done = 1 WHERE k = $1", (SdbValue[]){sdb_int(kb)}, 1);
    drv->commit(b);
    changes_of(a, "UPDATE sdbt_jobs SET done = 1 WHERE k = $1", (SdbValue[]){sdb_int(ka)}, 1);
    drv->commit(a);
  } else {
    /* One writer (SQLite): B cannot even begin while A holds its claim; after A
     * commits, B claims the next job. */
    changes_of(a, "UPDATE sdbt_jobs SET done = 1 WHERE k = $1", (SdbValue[]){sdb_int(ka)}, 1);
    drv->commit(a);
    SdbStatus bb2 = drv->begin(b);
    int64_t kb = claim(b);
    changes_of(b, "UPDATE sdbt_jobs SET done = 1 WHERE k = $1", (SdbValue[]){sdb_int(kb)}, 1);
    drv->commit(b);
    check(!is_pg && bb == SDB_BUSY && bb2 == SDB_OK && ka == 1 && kb == 2,
          "one writer: B's begin is SDB_BUSY while A holds job %" PRId64 "; after A's commit B gets job %" PRId64, ka,
          kb);
  }
  int64_t done = count_where(a, "SELECT count(*) FROM sdbt_jobs WHERE done = 1");
  check(done == 2, "each claimed job was done once (%" PRId64 " done)", done);
  drv->close(b);
  free(bt);
}

/* PostgreSQL: the server ends a connection (here pg_terminate_backend, as a restart
 * would): the next statement fails with a message, the next begin connects again. */
static void check_reconnect(void) {
  if (!is_pg) {
    printf("note: a connection the server drops: PostgreSQL only (SQLite has no server)\n");
    return;
  }
  SdbConn *x = open_or_die(target), *y = open_or_die(target);
  SdbRows *r = q(x, SDB_OK, "SELECT pg_backend_pid()", NULL, 0);
  int64_t pid = r && r->nrows == 1 ? sdb_cell(r, 0, 0)->i : 0;
  sdb_rows_free(r);
  r = q(y, SDB_OK, "SELECT pg_terminate_backend(CAST($1 AS INTEGER))", (SdbValue[]){sdb_int(pid)}, 1);
  check(r && r->nrows == 1 && is_int(sdb_cell(r, 0, 0), 1), "pg_terminate_backend ends connection X (pid %" PRId64 ")",
        pid);
  sdb_rows_free(r);
  SdbStatus st = drv->query(x, "SELECT 1", NULL, 0, NULL);
  check(st == SDB_ERROR && one_line(drv->error(x)) && *drv->error(x),
        "a statement on the dropped connection is SDB_ERROR: %s", drv->error(x));
  SdbStatus b = drv->begin(x);
  r = q(x, SDB_OK, "SELECT count(*) FROM sdbt_kv WHERE k = 401", NULL, 0);
  SdbStatus cm = drv->commit(x);
  check(b == SDB_OK && r && is_int(sdb_cell(r, 0, 0), 1) && cm == SDB_OK,
        "the next begin connects again and the transaction works (%s)", drv->error(x));
  sdb_rows_free(r);
  drv->close(x);
  drv->close(y);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sdb_test TARGET   (a SQLite file or a postgresql:// URL)\n");
    return 2;
  }
  target = argv[1];
  drv = sdb_driver_for(target);
  is_pg = drv == &sdb_postgres;
  printf("driver %s, target %s\n", drv->name, target);
  check_driver_for();
  check_open_failure();
  SdbConn *c = open_or_die(target);
  make_tables(c);
  check_types(c);
  check_params(c);
  check_changes(c);
  check_upsert_returning(c);
  check_transactions(c);
  check_errors(c);
  check_busy(c);
  check_skip_locked(c);
  check_reconnect();
  drv->exec(c, "DROP TABLE sdbt_kv; DROP TABLE sdbt_seq; DROP TABLE sdbt_jobs");
  drv->close(c);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
