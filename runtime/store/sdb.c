/* sdb.c — what the store's two database drivers share: loading their library, freeing a
 * result, and choosing the driver for a target. */
#include "sdb.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sdb_lib_load(SdbLib *lib, char **message) {
  pthread_mutex_lock(&lib->lock);
  if (!lib->loaded) {
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    const char *missing = NULL;
    if (!h) {
      const char *why = dlerror();
      snprintf(lib->why, sizeof lib->why, "%s: the store needs %s, which cannot be loaded: %s", lib->engine,
               lib->needs, why ? why : "no reason given");
    } else if ((missing = lib->resolve(h))) {
      snprintf(lib->why, sizeof lib->why, "%s: %s has no function %s: a newer %s is needed", lib->engine,
               lib->soname, missing, lib->newer);
      dlclose(h);
    } else {
      lib->loaded = true;
    }
  }
  bool ok = lib->loaded;
  if (!ok) *message = strdup(lib->why);
  pthread_mutex_unlock(&lib->lock);
  return ok;
}

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
