#!/bin/sh
# mass.sh BUILD — times `bprun mass` (samples/fix_city.bp, S15) on 100,000 generated
# contacts with --jobs 1 and --jobs 2.
#
# Prints for each the best and the median wall time of RUNS runs, rows/s at best, the
# CPU time and the peak RSS (GNU time); and, as a peer measured in the same run on the
# same file, a plain awk pass that makes the same replacements (it knows where the city
# and contract are and that nothing else needs parsing: the floor of "read a CSV, write
# a CSV"), with the ratio of bprun's time to it. The awk output, with the status columns
# added, must be the same bytes as bprun's. Run from the repository root; `make
# bench-mass` runs it. Not part of make check.
set -u

BUILD=${1:-build}
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
ROWS=${ROWS:-100000}
RUNS=${RUNS:-5}
export LC_ALL=C

for tool in "$BPC" "$BPRUN"; do
  [ -x "$tool" ] || { echo "bench: $tool is missing; build it first (make)" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-bench-mass.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

. bench/lib.sh
have_gnu_time=false
/usr/bin/time -f '%U %S %M' true >/dev/null 2>&1 && have_gnu_time=true

# cpu_rss CMD... — "CPU_MS RSS_KIB" of one run (GNU time).
cpu_rss() {
  /usr/bin/time -f '%U %S %M' -o "$TMP/time.one" "$@" >/dev/null 2>&1
  awk '{ printf "%.0f %s\n", ($1 + $2) * 1000, $3 }' "$TMP/time.one"
}

# ---- the input ------------------------------------------------------------------
"$BPC" compile samples/fix_city.bp -o "$TMP/fix_city.bpt" || exit 2
awk -v rows="$ROWS" 'BEGIN {
  print "name,city,contract"
  split("Моква,Мсква,Масква,москва,Москва,Тула,Казань,Санкт-Петербург", city, ",")
  split("Дизрем,Дезерм,дезрем,Дезрем,Дезрем,Дезрем", prefix, ",")
  for (i = 1; i <= rows; i++)
    printf "\"Контакт %d, ООО \"\"Ромашка\"\"\",%s,%s-%06d\n", i, city[1 + i % 8], prefix[1 + i % 6], i
}' >"$TMP/contacts.csv"
echo "input: $ROWS contacts, $(wc -c <"$TMP/contacts.csv" | tr -d ' ') bytes (3 of 8 cities misspelt, 3 of 6 prefixes)"
[ -r /proc/loadavg ] && echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"

# ---- bprun mass -------------------------------------------------------------------
for jobs in 1 2; do
  "$BPRUN" mass "$TMP/fix_city.bpt" fix_city --documents "$TMP/contacts.csv" --out "$TMP/out$jobs.csv" \
    --jobs $jobs --clock 2026-03-01T09:00 2>"$TMP/err" || { echo "bench: bprun mass failed:"; cat "$TMP/err"; exit 1; }
  time_runs "$RUNS" "$BPRUN" mass "$TMP/fix_city.bpt" fix_city --documents "$TMP/contacts.csv" \
    --out "$TMP/out$jobs.csv" --jobs $jobs --clock 2026-03-01T09:00 >"$TMP/times$jobs"
  b=$(best <"$TMP/times$jobs")
  eval "best$jobs=$b"
  line="bprun mass --jobs $jobs: best $(ms "$b") ms, median $(ms "$(median <"$TMP/times$jobs")") ms of $RUNS runs, $(per_second "$ROWS" "$b") rows/s at best"
  if $have_gnu_time; then
    set -- $(cpu_rss "$BPRUN" mass "$TMP/fix_city.bpt" fix_city --documents "$TMP/contacts.csv" \
      --out "$TMP/out$jobs.csv" --jobs $jobs --clock 2026-03-01T09:00)
    line="$line; CPU $1 ms, peak RSS $2 KiB"
  fi
  echo "$line"
done
if cmp -s "$TMP/out1.csv" "$TMP/out2.csv"; then echo "outputs of 1 and 2 jobs: the same bytes"
else echo "FAIL: the outputs of 1 and 2 jobs differ"; exit 1
fi

# ---- the peer: awk (bench/fix_city.awk) ----------------------------------------------
awk -f bench/fix_city.awk "$TMP/contacts.csv" >"$TMP/awk.csv"
if cmp -s "$TMP/awk.csv" "$TMP/out1.csv"; then echo "awk output: the same bytes as bprun's"
else echo "FAIL: the awk peer's output differs from bprun's:"; diff "$TMP/awk.csv" "$TMP/out1.csv" | head -n 6; exit 1
fi
time_runs "$RUNS" awk -f bench/fix_city.awk "$TMP/contacts.csv" >"$TMP/awk.times"
awk_best=$(best <"$TMP/awk.times")
echo "peer: $(awk -W version 2>/dev/null | head -n 1 | cut -c1-40 || echo awk) on the same file: best $(ms "$awk_best") ms, $(per_second "$ROWS" "$awk_best") rows/s"
awk -v a="$best1" -v b="$best2" -v c="$awk_best" 'BEGIN {
  if (c > 0) printf "ratio: bprun mass takes %.2fx (1 job) and %.2fx (2 jobs) the time of the awk pass (best vs best)\n", a / c, b / c }'
