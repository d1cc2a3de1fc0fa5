/* sdb_pg_none.c — the PostgreSQL driver's place when bprun is built without libpq:
 * every open fails with a message. The build uses it only when sdb_pg.c (the libpq
 * driver) is absent. */
#include "sdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SdbStatus none_open(const char *target, SdbConn **out, char **message) {
  *out = NULL;
  const char *text = "PostgreSQL support is not built in";
  size_t n = strlen(target) + strlen(text) + 3;
  *message = malloc(n);
  if (*message) snprintf(*message, n, "%s: %s", target, text);
  return SDB_ERROR;
}

static void none_close(SdbConn *c) { (void)c; }
static SdbStatus none_tx(SdbConn *c) { (void)c; return SDB_ERROR; }
static SdbStatus none_exec(SdbConn *c, const char *sql) { (void)c, (void)sql; return SDB_ERROR; }
static SdbStatus none_query(SdbConn *c, const char *sql, const SdbValue *p, size_t n, SdbRows **rows) {
  (void)c, (void)sql, (void)p, (void)n;
  if (rows) *rows = NULL;
  return SDB_ERROR;
}
static const char *none_error(SdbConn *c) { (void)c; return "PostgreSQL support is not built in"; }

const SdbDriver sdb_postgres = {
    .name = "postgresql",
    .dialect = {.blob = "BYTEA", .id_key = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                .for_update = " FOR UPDATE", .skip_locked = " FOR UPDATE SKIP LOCKED"},
    .open = none_open,
    .close = none_close,
    .begin = none_tx,
    .commit = none_tx,
    .rollback = none_tx,
    .exec = none_exec,
    .query = none_query,
    .error = none_error,
};
