/* sdb_pg.c — the store's PostgreSQL driver (sdb.h) over libpq.
 *
 * Every statement goes through PQexecParams with all parameters in binary form
 * (int8 as 8 big-endian bytes, text and bytea as their bytes), so a parameter's text
 * needs no NUL and $N may be reused or used out of order: the server binds by number.
 * An integer parameter is int8 (64 bits, as SQLite's): compared with or stored into any
 * integer column it converts, but a function that wants int4 needs CAST($N AS INTEGER).
 * Results come back in text form and are read whole into an SdbRows, typed by the
 * column's type (int2/int4/int8/bool → SDB_INT, bytea → SDB_BLOB, the rest → SDB_TEXT).
 * A failure's SQLSTATE says what it was (sdb_status_of); its message is kept on one
 * line for sdb_error. The server's notices (NOTICE, WARNING) are dropped: the driver
 * never prints.
 *
 * The connection asks for UTF-8, hex bytea output and, unless the target says
 * otherwise, a lock_timeout of 10 s: a row another connection holds too long is
 * SDB_BUSY then (55P03), as SQLite's busy timeout makes a locked database SDB_BUSY. */
#include "sdb.h"

#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The functions of libpq.so.5 this driver calls, each one pointer of `pg_lib` (loaded by
 * pg_load with sdb_lib_load); the names below stand for them. */
#define PG_FUNCS(X) \
  X(PQclear) \
  X(PQcmdStatus) \
  X(PQcmdTuples) \
  X(PQconnectdbParams) \
  X(PQconninfoFree) \
  X(PQconninfoParse) \
  X(PQerrorMessage) \
  X(PQexec) \
  X(PQexecParams) \
  X(PQfinish) \
  X(PQfname) \
  X(PQfreemem) \
  X(PQftype) \
  X(PQgetisnull) \
  X(PQgetlength) \
  X(PQgetvalue) \
  X(PQnfields) \
  X(PQntuples) \
  X(PQreset) \
  X(PQresultErrorField) \
  X(PQresultErrorMessage) \
  X(PQresultStatus) \
  X(PQsetClientEncoding) \
  X(PQsetNoticeProcessor) \
  X(PQstatus)

static struct {
#define PG_FIELD(f) __typeof__(f) *f;
  PG_FUNCS(PG_FIELD)
#undef PG_FIELD
} pg_lib;

static const char *pg_resolve(void *h) {
#define PG_LOAD(f) \
  if (!(pg_lib.f = (__typeof__(pg_lib.f))dlsym(h, #f))) return #f;
  PG_FUNCS(PG_LOAD)
#undef PG_LOAD
  return NULL;
}
static SdbLib pg_loader = SDB_LIB("postgresql", "libpq.so.5", "libpq (libpq.so.5, Debian's libpq5)", "libpq", pg_resolve);
static bool pg_load(char **message) { return sdb_lib_load(&pg_loader, message); }

#define PQclear (pg_lib.PQclear)
#define PQcmdStatus (pg_lib.PQcmdStatus)
#define PQcmdTuples (pg_lib.PQcmdTuples)
#define PQconnectdbParams (pg_lib.PQconnectdbParams)
#define PQconninfoFree (pg_lib.PQconninfoFree)
#define PQconninfoParse (pg_lib.PQconninfoParse)
#define PQerrorMessage (pg_lib.PQerrorMessage)
#define PQexec (pg_lib.PQexec)
#define PQexecParams (pg_lib.PQexecParams)
#define PQfinish (pg_lib.PQfinish)
#define PQfname (pg_lib.PQfname)
#define PQfreemem (pg_lib.PQfreemem)
#define PQftype (pg_lib.PQftype)
#define PQgetisnull (pg_lib.PQgetisnull)
#define PQgetlength (pg_lib.PQgetlength)
#define PQgetvalue (pg_lib.PQgetvalue)
#define PQnfields (pg_lib.PQnfields)
#define PQntuples (pg_lib.PQntuples)
#define PQreset (pg_lib.PQreset)
#define PQresultErrorField (pg_lib.PQresultErrorField)
#define PQresultErrorMessage (pg_lib.PQresultErrorMessage)
#define PQresultStatus (pg_lib.PQresultStatus)
#define PQsetClientEncoding (pg_lib.PQsetClientEncoding)
#define PQsetNoticeProcessor (pg_lib.PQsetNoticeProcessor)
#define PQstatus (pg_lib.PQstatus)

/* Type OIDs of the built-in types (pg_type.dat; they never change). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25 };

struct SdbConn {
  PGconn *pg;
  char error[1024];
};

/* The server's notices would go to stderr: the driver never prints. */
static void drop_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

/* Appends text to buf (size cap, NUL-terminated) with every run of line breaks and
 * tabs turned into one space and the trailing ones dropped: messages stay on a line. */
static void append_line(char *buf, size_t cap, const char *text) {
  size_t n = strlen(buf);
  int space = 0;
  for (const char *s = text; *s && n + 1 < cap; s++) {
    if (*s == '\n' || *s == '\r' || *s == '\t') {
      space = 1;
      continue;
    }
    if (space && n > 0 && buf[n - 1] != ' ' && n + 2 < cap) buf[n++] = ' ';
    space = 0;
    buf[n++] = *s;
  }
  while (n > 0 && buf[n - 1] == ' ') n--;
  buf[n] = '\0';
}

static void set_error(SdbConn *c, const char *fmt, ...) {
  va_list ap;
  char tmp[sizeof c->error];
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  c->error[0] = '\0';
  append_line(c->error, sizeof c->error, tmp);
}

/* ---- status ---------------------------------------------------------------- */

/* What a SQLSTATE means to the store (sdb.h). NULL: no SQLSTATE (the connection
 * failed, or libpq refused the call). */
static SdbStatus sdb_status_of(const char *sqlstate) {
  if (!sqlstate) return SDB_ERROR;
  if (!strcmp(sqlstate, "40001") || !strcmp(sqlstate, "40P01") || !strcmp(sqlstate, "55P03"))
    return SDB_BUSY;
  if (!strncmp(sqlstate, "23", 2)) return SDB_CONSTRAINT;
  if (!strcmp(sqlstate, "53100")) return SDB_FULL;
  return SDB_ERROR;
}

/* The status and message of a failed result (res may be NULL: out of memory or a
 * broken connection). Frees res. */
static SdbStatus fail_result(SdbConn *c, PGresult *res) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
  SdbStatus st = sdb_status_of(state);
  if (primary)
    set_error(c, "postgresql: %s%s%s%s [%s]", primary, detail ? " (" : "", detail ? detail : "",
              detail ? ")" : "", state ? state : "no SQLSTATE");
  else if (PQstatus(c->pg) == CONNECTION_BAD)
    set_error(c, "postgresql: lost the connection to the server: %s", PQerrorMessage(c->pg));
  else
    set_error(c, "postgresql: %s", res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
  PQclear(res);
  return st;
}

/* ---- open and close --------------------------------------------------------- */

/* Where target points, for a message, without its password: "database D on host H
 * port P as user U" (what the target leaves out is libpq's default). */
static void describe_target(const char *target, char *buf, size_t cap) {
  char *err = NULL;
  PQconninfoOption *opts = PQconninfoParse(target, &err);
  if (!opts) {
    snprintf(buf, cap, "an unreadable URL (%s)", err ? err : "out of memory");
    PQfreemem(err);
    return;
  }
  const char *db = NULL, *host = NULL, *port = NULL, *user = NULL;
  for (PQconninfoOption *o = opts; o->keyword; o++) {
    if (!o->val || !*o->val) continue;
    if (!strcmp(o->keyword, "dbname")) db = o->val;
    else if (!strcmp(o->keyword, "host")) host = o->val;
    else if (!strcmp(o->keyword, "hostaddr") && !host) host = o->val;
    else if (!strcmp(o->keyword, "port")) port = o->val;
    else if (!strcmp(o->keyword, "user")) user = o->val;
  }
  snprintf(buf, cap, "database %s on %s%s%s%s%s", db ? db : "(default)",
           host ? host : "the default host", port ? " port " : "", port ? port : "",
           user ? " as user " : "", user ? user : "");
  PQconninfoFree(opts);
}

static char *dup_message(const char *s) {
  size_t n = strlen(s) + 1;
  char *m = malloc(n);
  if (m) memcpy(m, s, n);
  return m;
}


/* Runs a statement that returns nothing; the error is kept in c. */
static SdbStatus run_command(SdbConn *c, const char *sql) {
  PGresult *res = PQexec(c->pg, sql);
  if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
    PQclear(res);
    return SDB_OK;
  }
  return fail_result(c, res);
}

/* What every session needs, after connecting and after reconnecting. */
static SdbStatus setup_session(SdbConn *c) {
  PQsetNoticeProcessor(c->pg, drop_notice, NULL);
  if (PQsetClientEncoding(c->pg, "UTF8") != 0) {
    set_error(c, "postgresql: the server does not speak UTF-8: %s", PQerrorMessage(c->pg));
    return SDB_ERROR;
  }
  return run_command(c, "SET bytea_output = 'hex'");
}

static SdbStatus pg_open(const char *target, SdbConn **out, char **message) {
  *out = NULL;
  *message = NULL;
  if (!pg_load(message)) return SDB_ERROR;
  SdbConn *c = calloc(1, sizeof *c);
  if (!c) {
    *message = dup_message("postgresql: out of memory");
    return SDB_ERROR;
  }
  /* Settings before dbname are defaults the target's own (expanded from dbname) override. */
  const char *keys[] = {"connect_timeout", "options", "fallback_application_name", "dbname", NULL};
  const char *vals[] = {"10", "-c lock_timeout=10s", "bprun", target, NULL};
  c->pg = PQconnectdbParams(keys, vals, 1);
  if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
    char where[512], text[1024];
    describe_target(target, where, sizeof where);
    snprintf(text, sizeof text, "postgresql: cannot connect to %s: ", where);
    append_line(text, sizeof text, c->pg ? PQerrorMessage(c->pg) : "out of memory");
    *message = dup_message(text);
    PQfinish(c->pg);
    free(c);
    return SDB_ERROR;
  }
  SdbStatus st = setup_session(c);
  if (st != SDB_OK) {
    *message = dup_message(c->error);
    PQfinish(c->pg);
    free(c);
    return st;
  }
  *out = c;
  return SDB_OK;
}

static void pg_close(SdbConn *c) {
  if (!c) return;
  PQfinish(c->pg);
  free(c);
}

/* ---- transactions ------------------------------------------------------------ */

/* A transaction starts on a working connection: one the server dropped (a restart, an
 * idle timeout, pg_terminate_backend) is made again here, once, where no work can be
 * lost by it: a worker outlives a server restart. (libpq learns that the server is
 * gone only when it next talks to it: so BEGIN first, and a BEGIN that lost the
 * connection reconnects.) */
static SdbStatus pg_begin(SdbConn *c) {
  if (PQstatus(c->pg) == CONNECTION_OK) {
    PGresult *res = PQexec(c->pg, "BEGIN");
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
      PQclear(res);
      return SDB_OK;
    }
    if (PQstatus(c->pg) == CONNECTION_OK) return fail_result(c, res);
    PQclear(res);
  }
  PQreset(c->pg);
  if (PQstatus(c->pg) != CONNECTION_OK) {
    set_error(c, "postgresql: lost the connection to the server and cannot connect again: %s",
              PQerrorMessage(c->pg));
    return SDB_ERROR;
  }
  SdbStatus st = setup_session(c);
  return st == SDB_OK ? run_command(c, "BEGIN") : st;
}

/* COMMIT of a transaction an earlier statement broke rolls back and says so only in
 * its command tag: that is a failure here, never a quiet success. */
static SdbStatus pg_commit(SdbConn *c) {
  PGresult *res = PQexec(c->pg, "COMMIT");
  if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) return fail_result(c, res);
  int rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
  PQclear(res);
  if (rolled_back) {
    set_error(c, "postgresql: the transaction was rolled back, not committed (a statement in it had failed)");
    return SDB_ERROR;
  }
  return SDB_OK;
}

static SdbStatus pg_rollback(SdbConn *c) { return run_command(c, "ROLLBACK"); }

/* Several statements in one string (the simple query protocol); the first failure
 * stops them and is the result. */
static SdbStatus pg_exec(SdbConn *c, const char *sql) {
  PGresult *res = PQexec(c->pg, sql);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
    PQclear(res);
    return SDB_OK;
  }
  return fail_result(c, res);
}

/* ---- results ------------------------------------------------------------------ */

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* The size of a bytea value in hex form ("\x0a1b…"), or -1 when it is not in that form. */
static long long hex_size(const char *s, size_t n) {
  if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n - 2) % 2 != 0) return -1;
  return (long long)(n - 2) / 2;
}

static int parse_int(const char *s, Oid type, int64_t *out) {
  if (type == OID_BOOL) {
    *out = s[0] == 't';
    return 1;
  }
  char *end;
  long long v = strtoll(s, &end, 10);
  *out = v;
  return end != s && *end == '\0';
}

static SdbType column_type(Oid type) {
  switch (type) {
  case OID_INT2: case OID_INT4: case OID_INT8: case OID_BOOL: return SDB_INT;
  case OID_BYTEA: return SDB_BLOB;
  default: return SDB_TEXT;
  }
}

/* Reads res whole into a new SdbRows. */
static SdbStatus read_rows(SdbConn *c, PGresult *res, SdbRows **out) {
  size_t nrows = (size_t)PQntuples(res), ncols = (size_t)PQnfields(res);
  SdbRows *rows = calloc(1, sizeof *rows);
  if (!rows) goto oom;
  rows->nrows = nrows;
  rows->ncols = ncols;
  size_t total = 1;
  for (size_t r = 0; r < nrows; r++)
    for (size_t k = 0; k < ncols; k++) {
      if (PQgetisnull(res, (int)r, (int)k)) continue;
      SdbType t = column_type(PQftype(res, (int)k));
      size_t len = (size_t)PQgetlength(res, (int)r, (int)k);
      if (t == SDB_BLOB) {
        long long n = hex_size(PQgetvalue(res, (int)r, (int)k), len);
        if (n < 0) {
          set_error(c, "postgresql: a bytea value is not in hex form");
          sdb_rows_free(rows);
          return SDB_ERROR;
        }
        len = (size_t)n;
      }
      if (t != SDB_INT) total += len + 1;
    }
  if (nrows && ncols > SIZE_MAX / sizeof(SdbValue) / nrows) goto oom;
  rows->cells = calloc(nrows * ncols > 0 ? nrows * ncols : 1, sizeof(SdbValue));
  rows->bytes = malloc(total);
  if (!rows->cells || !rows->bytes) goto oom;
  char *at = rows->bytes;
  for (size_t r = 0; r < nrows; r++)
    for (size_t k = 0; k < ncols; k++) {
      SdbValue *v = &rows->cells[r * ncols + k];
      if (PQgetisnull(res, (int)r, (int)k)) {
        *v = sdb_null();
        continue;
      }
      Oid type = PQftype(res, (int)k);
      const char *s = PQgetvalue(res, (int)r, (int)k);
      size_t len = (size_t)PQgetlength(res, (int)r, (int)k);
      v->type = column_type(type);
      if (v->type == SDB_INT) {
        if (!parse_int(s, type, &v->i)) {
          set_error(c, "postgresql: column %s: \"%s\" is not an integer", PQfname(res, (int)k), s);
          sdb_rows_free(rows);
          return SDB_ERROR;
        }
      } else if (v->type == SDB_BLOB) {
        v->p = at;
        v->n = (len - 2) / 2;
        for (size_t i = 0; i < v->n; i++) {
          int hi = hex_digit(s[2 + 2 * i]), lo = hex_digit(s[3 + 2 * i]);
          if (hi < 0 || lo < 0) {
            set_error(c, "postgresql: a bytea value is not in hex form");
            sdb_rows_free(rows);
            return SDB_ERROR;
          }
          *at++ = (char)(hi << 4 | lo);
        }
        *at++ = '\0';
      } else {
        v->p = at;
        v->n = len;
        memcpy(at, s, len);
        at += len;
        *at++ = '\0';
      }
    }
  *out = rows;
  return SDB_OK;
oom:
  sdb_rows_free(rows);
  set_error(c, "postgresql: out of memory reading a result of %zu rows", nrows);
  return SDB_ERROR;
}

/* Rows touched by an INSERT, UPDATE, DELETE or MERGE; 0 for anything else (SELECT's
 * count is in its tag too, but sdb.h says 0). */
static int64_t changes_of(PGresult *res) {
  const char *tag = PQcmdStatus(res);
  if (strncmp(tag, "INSERT", 6) && strncmp(tag, "UPDATE", 6) && strncmp(tag, "DELETE", 6) &&
      strncmp(tag, "MERGE", 5))
    return 0;
  return strtoll(PQcmdTuples(res), NULL, 10);
}

/* ---- parameters and queries ---------------------------------------------------- */

enum { INLINE_PARAMS = 16 };

static SdbStatus pg_query(SdbConn *c, const char *sql, const SdbValue *params, size_t n, SdbRows **out) {
  if (out) *out = NULL;
  if (n > 65535) {
    set_error(c, "postgresql: %zu parameters (at most 65535)", n);
    return SDB_ERROR;
  }
  /* Per parameter: its type, bytes, length and format (always binary); ints are
   * stored big-endian in ints8[]. */
  Oid types_[INLINE_PARAMS];
  const char *values_[INLINE_PARAMS];
  int lengths_[INLINE_PARAMS], formats_[INLINE_PARAMS];
  unsigned char ints_[INLINE_PARAMS][8];
  Oid *types = types_;
  const char **values = values_;
  int *lengths = lengths_, *formats = formats_;
  unsigned char (*ints8)[8] = ints_;
  if (n > INLINE_PARAMS) {
    types = malloc(n * sizeof *types);
    values = malloc(n * sizeof *values);
    lengths = malloc(n * sizeof *lengths);
    formats = malloc(n * sizeof *formats);
    ints8 = malloc(n * sizeof *ints8);
  }
  SdbStatus st = SDB_OK;
  if (!types || !values || !lengths || !formats || !ints8) {
    set_error(c, "postgresql: out of memory for %zu parameters", n);
    st = SDB_ERROR;
    goto done;
  }
  for (size_t i = 0; i < n && st == SDB_OK; i++) {
    const SdbValue *v = &params[i];
    formats[i] = 1;
    switch (v->type) {
    case SDB_NULL:
      types[i] = 0; /* unknown: the server takes the type from where $N stands */
      values[i] = NULL;
      lengths[i] = 0;
      break;
    case SDB_INT: {
      uint64_t u = (uint64_t)v->i;
      for (int b = 0; b < 8; b++) ints8[i][b] = (unsigned char)(u >> (56 - 8 * b));
      types[i] = OID_INT8;
      values[i] = (const char *)ints8[i];
      lengths[i] = 8;
      break;
    }
    case SDB_TEXT:
    case SDB_BLOB:
      if (v->n > 0x3fffffff) {
        set_error(c, "postgresql: parameter $%zu is %zu bytes (at most 1 GiB)", i + 1, v->n);
        st = SDB_ERROR;
        break;
      }
      types[i] = v->type == SDB_TEXT ? OID_TEXT : OID_BYTEA;
      values[i] = v->n ? v->p : "";
      lengths[i] = (int)v->n;
      break;
    default:
      set_error(c, "postgresql: parameter $%zu has no valid type", i + 1);
      st = SDB_ERROR;
    }
  }
  if (st != SDB_OK) goto done;
  PGresult *res = PQexecParams(c->pg, sql, (int)n, types, values, lengths, formats, 0);
  ExecStatusType rs = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
    if (out) {
      st = read_rows(c, res, out);
      if (st == SDB_OK) (*out)->changes = changes_of(res);
    }
    PQclear(res);
  } else {
    st = fail_result(c, res);
  }
done:
  if (n > INLINE_PARAMS) {
    free(types);
    free(values);
    free(lengths);
    free(formats);
    free(ints8);
  }
  return st;
}

static const char *pg_error(SdbConn *c) { return c ? c->error : ""; }

const SdbDriver sdb_postgres = {
  "postgresql",
  {"BYTEA", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", " FOR UPDATE", " FOR UPDATE SKIP LOCKED"},
  pg_open,
  pg_close,
  pg_begin,
  pg_commit,
  pg_rollback,
  pg_exec,
  pg_query,
  pg_error,
};
