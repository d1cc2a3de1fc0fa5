#!/bin/sh
# store.sh BUILD — events per second through the store (`bprun --store`, docs/store.md):
# INSTANCES ticker instances (tests/store/ticker.bp) of ROUNDS timers each, all fired by
# one `bprun --store URL advance` — one event, one transaction (restore, deliver, save,
# items, timer, journal, commit) per timer. Wall time of that advance (the commits wait
# for the disk, which CPU time would not show), median of RUNS runs, each on a new
# database. SQLite in WAL mode with synchronous FULL (every commit on the disk: a power
# cut loses nothing committed) and NORMAL (a crash of the program loses nothing; a power
# cut may lose the last commits).
#
# CPU time (of the bprun process) is shown beside: on a shared machine it is the steadier
# figure, and what the store costs apart from waiting for the disk.
#
# Prints `store MODE EVENTS/s …` lines (run.sh turns the FULL one into its ratio against
# Camunda 7's published 3,937 no-op steps/s on PostgreSQL). STORE_BENCH_URLS adds other
# targets: `NAME=URL-PREFIX` words, URL-PREFIX followed by the run's name must be a new
# empty database (a PostgreSQL driver's own test harness sets it).
set -u
BUILD=${1:-build}
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
BB=$BUILD/bench/bpbench
RUNS=${RUNS:-3}
INSTANCES=${INSTANCES:-20}
ROUNDS=${ROUNDS:-100}
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-store-bench.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
. bench/lib.sh
[ -x "$BB" ] || { echo "store.sh: $BB is missing (make bench builds it)" >&2; exit 2; }
"$BPC" compile tests/store/ticker.bp -o "$TMP/ticker.bpt" || exit 2

# one URL — prints the events and the microseconds of the advance.
one() {
  "$BPRUN" --store "$1" deploy "$TMP/ticker.bpt" >/dev/null || return 1
  "$BPRUN" --store "$1" clock 2026-01-01T00:00 || return 1
  _k=0
  while [ $_k -lt "$INSTANCES" ]; do
    "$BPRUN" --store "$1" start ticker rounds="$ROUNDS" >/dev/null || return 1
    _k=$((_k + 1))
  done
  "$BB" exec 1 "$BPRUN" --store "$1" advance "$((ROUNDS / 24 + 2))d" >"$TMP/exec" || return 1
  # every timer fired: nothing waits any more
  [ -z "$("$BPRUN" --store "$1" list --status waiting)" ] || return 1
  echo "$((INSTANCES * ROUNDS)) $(sed -n 's/^run 1 //p' "$TMP/exec")"
}

# measure NAME URL-PREFIX — the median events/s of RUNS runs.
measure() {
  _r=0
  : >"$TMP/$1.runs"
  while [ $_r -lt "$RUNS" ]; do
    _url=$2$1-$_r
    case $2 in *://*) ;; *) _url=$TMP/$1-$_r.db$3 ;; esac
    one "$_url" >>"$TMP/$1.runs" || { echo "store $1 failed"; return 1; }
    _r=$((_r + 1))
  done
  awk -v name="$1" '{ r[NR] = $1 / ($2 / 1e6); c[NR] = $1 / ($3 / 1e6); n = $1 } END {
    for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) { if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
                                                             if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t } }
    m = int((NR + 1) / 2)
    printf "store %s %.0f events/s by wall time, %.0f by CPU time  (%d events a run, median of %d)\n", name, r[m], c[m], n, NR }' "$TMP/$1.runs"
}

measure sqlite-full "" ""
measure sqlite-normal "" "?synchronous=normal"
for target in ${STORE_BENCH_URLS:-}; do
  measure "${target%%=*}" "${target#*=}" ""
done
