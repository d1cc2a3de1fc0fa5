#!/bin/sh
# bpmn_read.sh BUILD [CORPUS] — how fast `bpc check` reads BPMN, next to bpmn-moddle's
# fromXML (the reader of bpmn-engine and bpmn-js) on the same bytes, in the same run.
#
# The input is every .bpmn file of CORPUS (default ../shared/corpus/bpmn). bpc: one
# `bpc check` over the list repeated R times (R chosen so a run takes about 1 s of CPU; the
# diagnostics of the refused files go to /dev/null), 5 runs. bpmn-moddle:
# bench/peers/moddle_read.js reads the files into memory once, warms up with one pass,
# then makes 5 runs of whole passes for at least 1 s of CPU time each. Each side's figure is the
# median run, in MB/s (10^6 bytes) of wall time and of CPU time (user + system; on a
# busy shared machine CPU time is the steadier one). Prints
#   ratio bpmn_read X
# (ours over the peer's, by CPU time; higher is better) beside both raw figures, as
# `make bench` prints its measures. Never fails on a number; without node the peer's
# side is skipped. Run from the repository root.
set -u
BUILD=${1:-build}
CORPUS=${2:-../shared/corpus/bpmn}
BPC=$BUILD/bpc
RUNS=5
export LC_ALL=C

[ -x "$BPC" ] || { echo "bpmn_read: $BPC is missing; build it first (make)" >&2; exit 2; }
[ -d "$CORPUS" ] || { echo "bpmn_read: no corpus at $CORPUS" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-bpmn-read.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
. bench/lib.sh

find "$CORPUS" -name '*.bpmn' -type f | sort >"$TMP/files"
nfiles=$(wc -l <"$TMP/files" | tr -d ' ')
bytes=$(xargs cat <"$TMP/files" | wc -c | tr -d ' ')
echo "bpmn_read: $nfiles BPMN files, $bytes bytes ($CORPUS)"


# bpc check over the file list R times, in one command (file names are words: no blanks).
set -f
have_time=0
/usr/bin/time -f '%e %U %S' true >/dev/null 2>&1 && have_time=1
bpc_run() { # R -> "WALL_US CPU_US"
  _reps=$1
  set --
  _r=0
  while [ "$_r" -lt "$_reps" ]; do
    # shellcheck disable=SC2046
    set -- "$@" $(cat "$TMP/files")
    _r=$((_r + 1))
  done
  if [ "$have_time" -eq 1 ]; then
    # (GNU time writes "Command exited with non-zero status 1" first: the corpus has refusals)
    /usr/bin/time -f '%e %U %S' -o "$TMP/t" "$BPC" check "$@" >/dev/null 2>&1
    tail -n 1 "$TMP/t" | awk '{ printf "%d %d\n", $1 * 1000000, ($2 + $3) * 1000000 }'
  else
    _a=$(now_ns)
    "$BPC" check "$@" >/dev/null 2>&1
    _b=$(now_ns)
    echo "$(((_b - _a) / 1000)) $(((_b - _a) / 1000))"
  fi
}
# A warm-up run over the corpus 5 times sets R so that a run takes about 1 s of CPU time
# (wall time when GNU time is missing).
five=$(bpc_run 5 | cut -d' ' -f2)
reps=$(awk -v us="$five" 'BEGIN { r = (us > 0) ? int(5 * 1000000 / us + 0.5) : 100; if (r < 1) r = 1; if (r > 200) r = 200; print r }')
i=0
while [ "$i" -lt "$RUNS" ]; do
  bpc_run "$reps"
  i=$((i + 1))
done >"$TMP/bpc.runs"
# MB/s of the median run, by wall time ($1) and CPU time ($2).
mbps() { # FILE FIELD BYTES-PER-RUN (0: field 1 of each line holds the bytes, moddle's form)
  awk -v f="$2" -v per="$3" '{ b = per ? per : $1; us = per ? $f : $(f + 1); printf "%.3f\n", (us > 0) ? b / us : 0 }' "$1" |
    sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] }'
}
bpc_wall=$(mbps "$TMP/bpc.runs" 1 $((bytes * reps)))
bpc_cpu=$(mbps "$TMP/bpc.runs" 2 $((bytes * reps)))
echo "bpmn_read: bpc check: $bpc_wall MB/s wall, $bpc_cpu MB/s CPU (median of $RUNS runs, each the corpus $reps times in one bpc check)"

if ! command -v node >/dev/null 2>&1; then
  echo "bpmn_read: bpmn-moddle: skipped: node not installed"
  exit 0
fi
if ! sh bench/peers/install.sh; then
  echo "bpmn_read: bpmn-moddle: skipped: the peers could not be installed"
  exit 0
fi
version=$(sed -n 's/^ *"version": "\(.*\)",*$/\1/p' bench/peers/node_modules/bpmn-moddle/package.json | head -n 1)
# shellcheck disable=SC2046
if ! node bench/peers/moddle_read.js "$RUNS" 1 $(cat "$TMP/files") >"$TMP/moddle.runs" 2>"$TMP/moddle.err"; then
  echo "bpmn_read: bpmn-moddle: failed: $(head -n 3 "$TMP/moddle.err")"
  exit 0
fi
sed -n 's/^run //p' "$TMP/moddle.runs" >"$TMP/m"
moddle_wall=$(mbps "$TMP/m" 1 0)
moddle_cpu=$(mbps "$TMP/m" 2 0)
echo "bpmn_read: bpmn-moddle $version fromXML: $moddle_wall MB/s wall, $moddle_cpu MB/s CPU (median of $RUNS runs of at least 1 s of CPU, node $(node --version))"
[ -r /proc/loadavg ] && echo "bpmn_read: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
echo
awk -v a="$bpc_cpu" -v b="$moddle_cpu" -v aw="$bpc_wall" -v bw="$moddle_wall" 'BEGIN {
  if (b > 0 && bw > 0) printf "ratio bpmn_read %.1f  (bpc check %s MB/s, bpmn-moddle fromXML %s MB/s, CPU time; by wall time %.1f: %s vs %s MB/s)\n", a / b, a, b, aw / bw, aw, bw }'
