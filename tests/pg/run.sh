#!/bin/sh
# tests/pg/run.sh BUILD — the store's database drivers on real databases: sdb_test
# (tests/store/sdb_test.c) against the PostgreSQL server BPSTORE_PG_URL names (tests/run.sh
# starts a throwaway one, tests/pg/lib.sh) and against a new SQLite file. Without a
# PostgreSQL server it says so and checks SQLite only. Ends with `N passed, N failed`.
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

if [ -n "${BPSTORE_PG_URL:-}" ]; then
  url=$(pg_newdb bpc_sdb_test) || { fail sdb-postgresql "cannot make a database on $BPSTORE_PG_URL"; url=""; }
  [ -n "$url" ] && driver_test sdb-postgresql "$url"
else
  echo "note: PostgreSQL driver tests skipped: ${BPSTORE_PG_WHY:-BPSTORE_PG_URL is not set}"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
