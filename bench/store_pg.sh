#!/bin/sh
# store_pg.sh BUILD — events per second through the store on PostgreSQL with 1 and 4
# `bprun worker` processes (docs/postgresql.md): INSTANCES ticker instances
# (tests/store/ticker.bp) of ROUNDS timers each, all due (the store's clock stands past the
# last), fired by WORKERS `bprun --store URL worker --once` processes at once — one event,
# one transaction each (claim the timer with SKIP LOCKED, restore, deliver, save, items,
# the next timer, journal, commit). Wall time from the workers' start to the last one's
# exit (the commits wait for the disk), median of RUNS runs, each on a new database; the
# CPU time the workers spend per event (user + system, all of them) is shown beside.
#
# The server: the one BPSTORE_PG_URL names, else a throwaway cluster (tests/pg/cluster.sh)
# with the settings of a real one where it matters here: fsync and synchronous_commit on,
# so every commit is on the disk before the worker goes on.
#
# Prints `store postgresql-Nw EVENTS/s …` lines (bench/run.sh puts them beside Camunda 7's
# published 3,937 no-op steps/s on PostgreSQL). Prints `store postgresql skipped: WHY`
# when there is no PostgreSQL. Never fails on a number.
set -u
BUILD=${1:-build}
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
RUNS=${RUNS:-3}
INSTANCES=${INSTANCES:-20}
ROUNDS=${ROUNDS:-100}
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-store-pg.XXXXXX") || exit 2
. tests/pg/lib.sh
trap 'pg_teardown; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
. bench/lib.sh
pg_setup "$TMP" 2>"$TMP/setup.err"
if [ -z "${BPSTORE_PG_URL:-}" ]; then
  echo "store postgresql skipped: ${BPSTORE_PG_WHY:-no server}"
  exit 0
fi
"$BPC" compile tests/store/ticker.bp -o "$TMP/ticker.bpt" || exit 2

# CPU ticks (user + system) of this shell's finished children.
children_ticks() { awk '{ print $16 + $17 }' /proc/$$/stat 2>/dev/null || echo 0; }

# one WORKERS NAME — prints the events, the wall microseconds and the CPU ticks of the
# workers. (It runs in this shell, not a subshell: the workers are this shell's children.)
one() {
  _url=$(pg_newdb "$2") || return 1
  "$BPRUN" --store "$_url" deploy "$TMP/ticker.bpt" >/dev/null || return 1
  "$BPRUN" --store "$_url" clock 2026-01-01T00:00 || return 1
  _k=0
  while [ $_k -lt "$INSTANCES" ]; do
    "$BPRUN" --store "$_url" start ticker rounds="$ROUNDS" >/dev/null || return 1
    _k=$((_k + 1))
  done
  "$BPRUN" --store "$_url" clock "2026-01-$(printf %02d $((ROUNDS / 24 + 3)))T00:00" || return 1
  _c0=$(children_ticks)
  _t0=$(now_ns)
  _w=0
  _pids=""
  while [ $_w -lt "$1" ]; do
    "$BPRUN" --store "$_url" worker --once >/dev/null 2>"$TMP/w$_w.err" &
    _pids="$_pids $!"
    _w=$((_w + 1))
  done
  for _p in $_pids; do wait "$_p" || return 1; done
  _t1=$(now_ns)
  _c1=$(children_ticks)
  # every timer fired: nothing waits any more
  [ -z "$("$BPRUN" --store "$_url" list --status waiting)" ] || return 1
  echo "$((INSTANCES * ROUNDS)) $(((_t1 - _t0) / 1000)) $((_c1 - _c0))" >"$TMP/one"
}

# measure WORKERS — the median events/s of RUNS runs.
measure() {
  _r=0
  : >"$TMP/$1.runs"
  while [ $_r -lt "$RUNS" ]; do
    one "$1" "bpc_bench_${1}w_$_r" || { echo "store postgresql-$1w failed: $(cat "$TMP"/w*.err 2>/dev/null | head -c 300)"; return 1; }
    cat "$TMP/one" >>"$TMP/$1.runs"
    _r=$((_r + 1))
  done
  awk -v w="$1" -v hz="$(getconf CLK_TCK)" '{ r[NR] = $1 / ($2 / 1e6); c[NR] = $3 / hz * 1e6 / $1; n = $1 } END {
    for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) { if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
                                                             if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t } }
    m = int((NR + 1) / 2)
    printf "store postgresql-%dw %.0f events/s by wall time, workers CPU %.0f µs an event  (%d worker%s, %d events a run, median of %d)\n", w, r[m], c[m], w, (w > 1 ? "s" : ""), n, NR }' "$TMP/$1.runs"
}

echo "server: $(psql -X -At "$BPSTORE_PG_URL" -c 'SHOW server_version' 2>/dev/null), fsync $(psql -X -At "$BPSTORE_PG_URL" -c 'SHOW fsync' 2>/dev/null), synchronous_commit $(psql -X -At "$BPSTORE_PG_URL" -c 'SHOW synchronous_commit' 2>/dev/null)"
measure 1
measure 4
