#!/bin/sh
# tests/pg/run.sh BUILD — the store on PostgreSQL: the drivers' contract (sdb_test,
# tests/store/sdb_test.c) on a new SQLite file and on the PostgreSQL server BPSTORE_PG_URL
# names (tests/run.sh starts a throwaway one, tests/pg/lib.sh); the store's tests
# (tests/store/run.sh, with its kill -9 loop) on PostgreSQL; many workers on one database
# (tests/pg/workers.sh). Without a PostgreSQL server it says so and checks SQLite only.
# Ends with `N passed, N failed`.
set -u
BUILD=${1:-build}
TIMEOUT=${TIMEOUT:-60}
. tests/lib.sh
. tests/pg/lib.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-pg-tests.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

# driver_test NAME TARGET — sdb_test's own checks count one each.
driver_test() {
  run "$TMP/$1.out" "$TMP/$1.err" "$BUILD/tests/sdb_test" "$2"
  why=$(unsound "$TMP/$1.err")
  sub=$(tail -n 1 "$TMP/$1.out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
  if [ -n "$why" ] || [ -z "$sub" ]; then
    fail "$1" "${why:-no summary line (rc $rc): $(tail -n 3 "$TMP/$1.out" "$TMP/$1.err" | tr '\n' ' ')}"
    return
  fi
  passed=$((passed + ${sub% *}))
  failed=$((failed + ${sub#* }))
  grep '^FAIL' "$TMP/$1.out" | sed "s/^FAIL: /FAIL: $1: /"
  # The drivers never print: the server's notices (DROP TABLE IF EXISTS …) are dropped.
  if [ -s "$TMP/$1.err" ]; then fail "$1" "printed on stderr: $(head -c 300 "$TMP/$1.err")"; else pass; fi
}

driver_test sdb-sqlite "$TMP/sdb.db"

# sub_suite NAME CMD... — a script ending with `N passed, N failed`; its counts count here.
sub_suite() {
  _n=$1
  shift
  "$@" >"$TMP/$_n.out" 2>&1
  grep -A 10 '^FAIL' "$TMP/$_n.out" | head -n 40
  grep -e '^kill -9 loop' -e '^workers:' -e '^note' "$TMP/$_n.out"
  _sub=$(tail -n 1 "$TMP/$_n.out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
  if [ -z "$_sub" ]; then fail "$_n" "no summary line: $(tail -n 3 "$TMP/$_n.out" | tr '\n' ' ')"; return; fi
  passed=$((passed + ${_sub% *}))
  failed=$((failed + ${_sub#* }))
}

if [ -n "${BPSTORE_PG_URL:-}" ]; then
  url=$(pg_newdb bpc_sdb_test) || { fail sdb-postgresql "cannot make a database on $BPSTORE_PG_URL"; url=""; }
  [ -n "$url" ] && driver_test sdb-postgresql "$url"
  # The store's own tests (tests/store/run.sh: S1 and S11 across runs, refusals that change
  # nothing, migration, the kill -9 loop …) on PostgreSQL, a new database per case, and the
  # workers test. Their databases run with synchronous_commit off: bprun is what is killed
  # and tested, not the server, and a commit the server acknowledged is seen by every later
  # transaction either way.
  # The full sizes (the kill -9 loop's 200 kills, 2,000 instances for the workers) in the
  # main build; CI's other builds of the same tests (build/clang, build/asan: slower, and
  # the same code on the database side) run them smaller, unless KILLS or INSTANCES say.
  case $(basename "$BUILD") in
  build) ;;
  *) KILLS=${KILLS:-40} INSTANCES=${INSTANCES:-400}; export KILLS INSTANCES ;;
  esac
  case $BPSTORE_PG_URL in *\?*) sep='&' ;; *) sep='?' ;; esac
  BPSTORE_PG_URL="$BPSTORE_PG_URL${sep}options=-c%20synchronous_commit%3Doff"
  STORE_NEW="sh tests/pg/db.sh new"
  STORE_DUMP="sh tests/pg/db.sh dump"
  export BPSTORE_PG_URL STORE_NEW STORE_DUMP
  sub_suite store-postgresql sh tests/store/run.sh "$BUILD"
  sub_suite workers-postgresql sh tests/pg/workers.sh "$BUILD"
else
  echo "note: PostgreSQL tests skipped: ${BPSTORE_PG_WHY:-BPSTORE_PG_URL is not set}"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
