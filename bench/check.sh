#!/bin/sh
# check.sh BUILD — times `bpc check` on a generated program of 100,000 lines.
#
# Prints the best and the median of 5 runs in ms and lines/s, the peak RSS,
# and, as a reference measured in the same run on the same machine, the time
# of `gcc -fsyntax-only` on a generated C file of the same line count. The
# target is under 100 ms for 100k lines: prints PASS or FAIL (exit 1 on FAIL).
# Run from the repository root; `make bench-check` runs it.
set -u

BUILD=${1:-build}
BPC=$BUILD/bpc
LINES=${LINES:-100000}
RUNS=5
TARGET_MS=100
export LC_ALL=C

[ -x "$BPC" ] || { echo "bench: $BPC is missing; build it first (make)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-bench.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

. bench/lib.sh

# ---- the program -----------------------------------------------------------
sh bench/gen.sh "$LINES" >"$TMP/bench.bp"
nlines=$(wc -l <"$TMP/bench.bp" | tr -d ' ')
nbytes=$(wc -c <"$TMP/bench.bp" | tr -d ' ')
echo "input: bench/gen.sh $LINES -> $nlines lines, $nbytes bytes"

"$BPC" check "$TMP/bench.bp" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" -ne 0 ] || [ -s "$TMP/err" ]; then
  echo "bench: the generated program does not check clean (exit $rc):"
  head -n 20 "$TMP/err"
  [ "$rc" -ne 0 ] && { echo "FAIL: invalid benchmark input"; exit 1; }
fi

# One warm-up run fills the page cache; then the measured runs.
"$BPC" check "$TMP/bench.bp" >/dev/null 2>&1
time_runs "$RUNS" "$BPC" check "$TMP/bench.bp" >"$TMP/bpc.times"
bpc_best=$(best <"$TMP/bpc.times")
bpc_median=$(median <"$TMP/bpc.times")
echo "bpc check:          best $(ms "$bpc_best") ms, median $(ms "$bpc_median") ms of $RUNS runs" \
  "($(per_second "$nlines" "$bpc_best") lines/s at best)"

# ---- CPU time and peak memory --------------------------------------------------
# Wall time suffers when the machine is busy; CPU time (user + system) much
# less, so it is shown too, with the load average, to read the verdict by.
if /usr/bin/time -f '%U %S' true >/dev/null 2>&1; then
  _i=0
  while [ "$_i" -lt "$RUNS" ]; do
    /usr/bin/time -f '%U %S' -o "$TMP/cpu.one" "$BPC" check "$TMP/bench.bp" >/dev/null 2>&1
    awk '{ printf "%d\n", ($1 + $2) * 1000000 }' "$TMP/cpu.one"
    _i=$((_i + 1))
  done | sort -n >"$TMP/cpu.times"
  echo "bpc check CPU time: best $(ms "$(best <"$TMP/cpu.times")") ms, median" \
    "$(ms "$(median <"$TMP/cpu.times")") ms (user + system, 10 ms resolution)"
fi
[ -r /proc/loadavg ] && echo "load average:       $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
if /usr/bin/time -v true >/dev/null 2>&1; then
  /usr/bin/time -v "$BPC" check "$TMP/bench.bp" >/dev/null 2>"$TMP/time.err"
  rss=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$TMP/time.err")
  echo "peak RSS:           ${rss:-?} KiB (GNU time -v)"
else
  echo "peak RSS:           skipped (no GNU /usr/bin/time with -v)"
fi

# ---- the reference peer: gcc -fsyntax-only on as many lines of C -------------
if command -v gcc >/dev/null 2>&1; then
  sh bench/gen_c.sh "$nlines" >"$TMP/bench.c"
  clines=$(wc -l <"$TMP/bench.c" | tr -d ' ')
  if gcc -fsyntax-only -std=c11 "$TMP/bench.c" 2>"$TMP/gcc.err"; then
    time_runs "$RUNS" gcc -fsyntax-only -std=c11 "$TMP/bench.c" >"$TMP/gcc.times"
    gcc_best=$(best <"$TMP/gcc.times")
    gcc_median=$(median <"$TMP/gcc.times")
    echo "reference peer:     gcc -fsyntax-only on a generated C file of $clines lines" \
      "(same machine, same run): best $(ms "$gcc_best") ms, median $(ms "$gcc_median") ms"
    awk -v a="$bpc_best" -v b="$gcc_best" 'BEGIN {
      if (b > 0) printf "ratio:              bpc check takes %.3fx the time of gcc -fsyntax-only (best vs best)\n", a / b }'
  else
    echo "reference peer:     skipped (gcc rejected the generated C file)"
    head -n 5 "$TMP/gcc.err"
  fi
else
  echo "reference peer:     skipped (no gcc)"
fi

# ---- verdict -----------------------------------------------------------------
if [ "$bpc_best" -lt $((TARGET_MS * 1000)) ]; then
  echo "PASS: best $(ms "$bpc_best") ms < $TARGET_MS ms for $nlines lines"
else
  echo "FAIL: best $(ms "$bpc_best") ms >= $TARGET_MS ms for $nlines lines"
  exit 1
fi
