#!/bin/sh
# db.sh new NAME | dump URL — databases on the PostgreSQL server of BPSTORE_PG_URL, for the
# store's tests (tests/store/run.sh takes them as STORE_NEW and STORE_DUMP):
#   new NAME   prints the URL of a new, empty database NAME (dropped first if there)
#   dump URL   prints the whole database at URL as SQL text (pg_dump), the same text for
#              the same contents
set -u
. tests/pg/lib.sh
[ -n "${BPSTORE_PG_URL:-}" ] || { echo "db.sh: BPSTORE_PG_URL is not set" >&2; exit 2; }
case ${1:-} in
new) pg_newdb "$2" ;;
dump) # pg_dump's \restrict line carries a random key: not part of the contents
  pg_dump --no-owner --no-privileges "$2" | grep -v -e '^-- Dumped from' -e '^-- Dumped by' -e '^\\restrict ' -e '^\\unrestrict ' ;;
*) echo "usage: db.sh new NAME | dump URL" >&2; exit 2 ;;
esac
