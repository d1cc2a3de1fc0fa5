/* sdb.c — what the store's two database drivers share: freeing a result, and choosing
 * the driver for a target. */
#include "sdb.h"

#include <stdlib.h>
#include <string.h>

void sdb_rows_free(SdbRows *rows) {
  if (!rows) return;
  free(rows->cells);
  free(rows->bytes);
  free(rows);
}

const SdbDriver *sdb_driver_for(const char *target) {
  if (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0)
    return &sdb_postgres;
  return &sdb_sqlite;
}
