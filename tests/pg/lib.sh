# tests/pg/lib.sh — PostgreSQL for the store's tests (sourced by tests/run.sh and the
# store's test scripts).
#
#   pg_setup DIR   makes BPSTORE_PG_URL name a server: the one it names already (CI starts
#                  one for all its runs; a user may point it at their own), else a throwaway
#                  cluster (tests/pg/cluster.sh) started in a new folder of its own under
#                  TMPDIR or /tmp (not inside DIR, which may be closed to the server's
#                  user), DIR keeping what went wrong. Without PostgreSQL the
#                  URL stays empty and BPSTORE_PG_WHY says why, for the tests to print.
#                  BPSTORE_PG_REQUIRE=1 (CI) makes a missing server a failure of pg_setup.
#   pg_teardown    stops the cluster pg_setup started, if any.
#   pg_newdb NAME  prints the URL of a new, empty database NAME on that server (dropped
#                  first if it exists), for a test that needs its own; psql makes it.

pg_setup() {
  PG_OWN=""
  BPSTORE_PG_WHY=""
  if [ -n "${BPSTORE_PG_URL:-}" ]; then
    export BPSTORE_PG_URL
    return 0
  fi
  # PG_OWN first: a signal while the cluster starts still stops it (pg_teardown at exit).
  PG_OWN=$(mktemp -d "${TMPDIR:-/tmp}/bpc-pg.XXXXXX") || return 1
  if sh tests/pg/cluster.sh start "$PG_OWN" 2>"$1/pg.err"; then
    BPSTORE_PG_URL=$(sh tests/pg/cluster.sh url "$PG_OWN")
    export BPSTORE_PG_URL
    return 0
  fi
  BPSTORE_PG_WHY=$(cat "$1/pg.err")
  pg_teardown 2>/dev/null
  rm -rf "$PG_OWN"
  PG_OWN=""
  BPSTORE_PG_URL=""
  export BPSTORE_PG_URL BPSTORE_PG_WHY
  if [ "${BPSTORE_PG_REQUIRE:-0}" = 1 ]; then
    echo "PostgreSQL is required here (BPSTORE_PG_REQUIRE=1): $BPSTORE_PG_WHY" >&2
    return 1
  fi
  echo "note: no PostgreSQL server for the store's tests, which skip it (the SQLite tests still run): $BPSTORE_PG_WHY" >&2
  return 0
}

pg_teardown() {
  if [ -n "${PG_OWN:-}" ]; then
    sh tests/pg/cluster.sh stop "$PG_OWN"
    PG_OWN=""
  fi
}

# The URL of database NAME on the server of BPSTORE_PG_URL: the URL with its database
# (the path after the host) replaced.
pg_url_with_db() {
  printf '%s\n' "$BPSTORE_PG_URL" | sed 's|^\(postgres[a-z]*://[^/?]*\)/*[^?]*|\1/'"$1"'|'
}

pg_newdb() {
  psql -X -q -v ON_ERROR_STOP=1 "$BPSTORE_PG_URL" -c "DROP DATABASE IF EXISTS \"$1\"" -c "CREATE DATABASE \"$1\"" \
    >/dev/null 2>&1 || { echo "pg_newdb: cannot create database $1 on $BPSTORE_PG_URL" >&2; return 1; }
  pg_url_with_db "$1"
}
