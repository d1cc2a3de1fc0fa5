#!/bin/sh
# run.sh BUILD — `make bench`: every measure of bpc against its peer, in one run, one line
#   ratio NAME X   (ours over the peer's, higher is better)
# each, beside both raw figures and the target of issue 15 (printed, never asserted).
#
# Each measure runs at three sizes (1×, 10×, 100× of its input) and prints how its cost
# grows (×10 and ×100 are linear). Figures are medians of RUNS runs (default 5), after one
# warm-up run, by CPU time (user + system) of the measured process: the machine is shared,
# and CPU time is the steadier figure; wall time is shown beside where it differs. An
# in-process run (bpbench) repeats its batch until it has taken 0.1 s of CPU time.
#
#   instances  two-stage approval (samples/two_stage_approval.bp): start, the expert
#              approves, the one voter approves; instances/s in-process (bench/bpbench
#              over libbprt); sizes: 500 / 5,000 / 50,000 instances alive at once, in a
#              ring: each unit starts one, decides for two others, frees the oldest (the
#              old batches, whose heap emptied each time, shown beside at 500).
#              Peer: bpmn-engine on `bpc export --bpmn` of the same sample, same decisions.
#   vote       simple vote (samples/simple_vote.bp), majority, wait all: instances/s with
#              3 voters (sizes: 3 / 30 / 300 voters). Peer: bpmn-engine, 3 voters.
#   state      bytes of the saved two-stage approval waiting for its expert (1 / 10 / 100
#              voters). Peer: JSON.stringify(bpmn-engine getState()), 1 voter. The ratio is
#              the peer's bytes over ours.
#   restore    restore that state + the expert's decision + save, per second. Peer:
#              bpmn-engine recover + resume + signal + getState.
#   import     BPMN read, MB/s: `bpc check` of a BPMN file of 5 / 50 / 500 processes
#              (exported by bpc). Peer: bpmn-moddle fromXML on the same bytes.
#   mass       `bprun mass` of samples/fix_city.bp (S15) on 2,000 / 20,000 / 200,000
#              generated contacts, rows/s (--jobs 1; --jobs 2 shown at 200,000). Peer: mawk making the
#              same edit (its output is compared with ours: the same bytes).
#   dispatch   bytecode instructions/s of bench/loop.bp's tight loop (30,000 / 300,000 /
#              3,000,000 iterations). Peer: the same loop in Lua 5.4 (instructions counted
#              from `luac5.4 -l`: the ones an iteration executes).
#   store      events/s through `bprun --store` on SQLite (WAL, synchronous FULL and
#              NORMAL): timers fired one transaction each (bench/store.sh). Peer: Camunda
#              7's published 3,937 no-op steps/s on PostgreSQL, quoted, not measured.
#   store-pg   the same on PostgreSQL with 1 and 4 `bprun worker` processes, fsync and
#              synchronous_commit on (bench/store_pg.sh; a throwaway cluster unless
#              BPSTORE_PG_URL names a server). Peer: the same Camunda 7 figure.
#   compile    `bpc compile` of bench/gen.sh's program, lines/s (1,000 / 10,000 / 100,000
#              lines; `bpc check` shown), on as many threads as bpc takes (two on a large
#              file: the parse in halves, lowering beside code generation, the write beside
#              the self-check); the same on one thread (BPC_THREADS=1) is shown beside.
#              The ratio is by CPU time, as every other (two threads add theirs up);
#              wall time, what one waits for, is shown beside it.
#              Peer: gcc -fsyntax-only on a C file of as many lines (one thread).
#
# Peers are installed when missing: the npm packages pinned by bench/peers/package-lock.json
# (bench/peers/install.sh) and Debian's lua5.4 and mawk (apt-get, when run as root). A peer
# that cannot be had is reported as skipped and its ratio line says so. Never fails on a
# number. Run from the repository root.
set -u
BUILD=${1:-build}
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
BB=$BUILD/bench/bpbench
RUNS=${RUNS:-5}
export LC_ALL=C
for tool in "$BPC" "$BPRUN" "$BB"; do
  [ -x "$tool" ] || { echo "bench: $tool is missing; build it first (make bench)" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-bench.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
. bench/lib.sh
T0=$(now_ns)

# ---- the machine and the peers ----------------------------------------------------------
cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "machine: ${cpu:-unknown CPU}, $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') cores, $(uname -sr)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the start"
echo "figures: median of $RUNS runs after a warm-up, CPU time (user + system) of the measured process"

missing=""
command -v lua5.4 >/dev/null 2>&1 || missing="$missing lua5.4"
command -v mawk >/dev/null 2>&1 || missing="$missing mawk"
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "peers: installing$missing (apt-get)"
    # shellcheck disable=SC2086
    apt-get install -y $missing >"$TMP/apt.log" 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y $missing >"$TMP/apt.log" 2>&1; } ||
      tail -n 3 "$TMP/apt.log"
  else
    echo "peers:$missing missing (apt-get install$missing as root); those measures lose their peer"
  fi
fi
have_node=0
if command -v node >/dev/null 2>&1 && sh bench/peers/install.sh; then
  have_node=1
  engine_v=$(sed -n 's/^ *"version": "\(.*\)",*$/\1/p' bench/peers/node_modules/bpmn-engine/package.json | head -n 1)
  moddle_v=$(sed -n 's/^ *"version": "\(.*\)",*$/\1/p' bench/peers/node_modules/bpmn-moddle/package.json | head -n 1)
  echo "peers: bpmn-engine $engine_v, bpmn-moddle $moddle_v (node $(node --version)); $(lua5.4 -v 2>/dev/null | cut -c1-9 || echo 'no Lua'); mawk $(mawk -W version 2>/dev/null | head -n 1 | awk '{ print $2 }')"
else
  echo "peers: node or the npm packages are missing: bpmn-engine and bpmn-moddle are skipped"
fi

# ---- helpers ----------------------------------------------------------------------------
# median_rate FILE SCALE — FILE holds `run N WALL_US CPU_US` lines: the median over runs
# of N * SCALE / CPU seconds (and of wall seconds, second field).
median_rate() {
  awk -v s="$2" '$1 == "run" { c[++n] = ($4 > 0) ? $2 * s / ($4 / 1e6) : 0; w[n] = ($3 > 0) ? $2 * s / ($3 / 1e6) : 0 }
    END { if (!n) { print "0 0"; exit }
          for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) { if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
                                                                 if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t } }
          m = int((n + 1) / 2); printf "%.6g %.6g\n", c[m], w[m] }' "$1"
}
# batch_us FILE SIZE — the median over runs of the CPU µs a unit took, times SIZE: what one
# batch of SIZE units cost (bpbench repeats a batch until a run takes 0.1 s).
batch_us() {
  awk -v s="$2" '$1 == "run" { v[++n] = ($2 > 0) ? $4 / $2 * s : 0 } END { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    print n ? v[int((n + 1) / 2)] : 0 }' "$1"
}
# median_us FILE — the median CPU µs of the runs.
median_us() {
  awk '$1 == "run" { v[++n] = $4 } END { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    print n ? v[int((n + 1) / 2)] : 0 }' "$1"
}
# timed OUT CMD... — runs CMD RUNS times after a warm-up, appending `run 1 WALL_US CPU_US`
# (bpbench exec measures the child's CPU time to the microsecond) to OUT. Exit status: the
# command's (its output goes to $TMP/last.out, its errors to $TMP/last.err).
timed() {
  _out=$1
  shift
  : >"$_out"
  "$BB" exec 1 "$@" >/dev/null 2>"$TMP/last.err" || return 1
  "$BB" exec "$RUNS" "$@" >>"$_out" 2>"$TMP/last.err"
}
fmt() { awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f", v; else if (v >= 1) printf "%.2f", v; else printf "%.3g", v }'; }
# growth A B C — the costs of 1×, 10×, 100× the input: "×B/A, ×C/A".
growth() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { if (a > 0) printf "cost ×%.1f at 10× the input, ×%.1f at 100× (linear: ×10, ×100)", b / a, c / a; else print "cost growth: no figure" }'; }
# section TITLE — a measure's heading, with the seconds the run has taken so far.
section() { echo; echo "== $1 [$((($(now_ns) - T0) / 1000000000)) s]"; }
ratio() { # NAME OURS PEER DETAIL TARGET
  awk -v n="$1" -v a="$2" -v b="$3" -v d="$4" -v t="$5" 'BEGIN {
    if (a > 0 && b > 0) { x = a / b; f = (x >= 100) ? "ratio %s %.0f  (%s; target: %s)\n" : "ratio %s %.2f  (%s; target: %s)\n"; printf f, n, x, d, t }
    else printf "ratio %s skipped  (%s; target: %s)\n", n, d, t }'
}
# engine KIND BPMN — sets peer to bpmn-engine's median rate of KIND (bench/peers/engine_bench.js,
# 20 a run) on the model BPMN; 0, and a line saying why, when it cannot run.
engine() {
  peer=0
  [ "$have_node" -eq 1 ] || return 1
  if node bench/peers/engine_bench.js "$1" "$2" 20 "$RUNS" >"$TMP/peer.$1" 2>"$TMP/peer.err"; then
    peer=$(median_rate "$TMP/peer.$1" 1 | cut -d' ' -f1)
  else
    echo "  bpmn-engine: failed: $(head -n 2 "$TMP/peer.err")"
    return 1
  fi
}
RATIOS=$TMP/ratios
: >"$RATIOS"

# ---- instances ------------------------------------------------------------------------------
section "instances: two-stage approval, start + expert approves + 1 voter approves"
"$BPC" compile samples/two_stage_approval.bp -o "$TMP/tsa.bpt" || exit 2
"$BPC" compile samples/simple_vote.bp -o "$TMP/vote.bpt" || exit 2
"$BPC" export --bpmn samples/two_stage_approval.bp -o "$TMP/tsa.bpmn" || exit 2
"$BPC" export --bpmn samples/simple_vote.bp -o "$TMP/vote.bpmn" || exit 2
set --
for n in 500 5000 50000; do
  "$BB" instances "$TMP/tsa.bpt" "$n" "$RUNS" >"$TMP/inst$n" || exit 1
  set -- "$@" "$(batch_us "$TMP/inst$n" "$n")"
  echo "  bpc (in-process, libbprt): $n alive at once: $(fmt "$(median_rate "$TMP/inst$n" 1 | cut -d' ' -f1)") instances/s"
done
echo "  $(growth "$1" "$2" "$3")"
"$BB" batches "$TMP/tsa.bpt" 500 "$RUNS" >"$TMP/batch500" || exit 1
echo "  bpc in batches (500 started, 500 experts, 500 voters, 500 freed; the heap empties each batch): $(fmt "$(median_rate "$TMP/batch500" 1 | cut -d' ' -f1)") instances/s"
ours=$(median_rate "$TMP/inst500" 1 | cut -d' ' -f1)
engine instances "$TMP/tsa.bpmn" && echo "  bpmn-engine: $(fmt "$peer") instances/s (20 a run)"
ratio instances "$ours" "$peer" "bpc $(fmt "$ours")/s (500 alive), bpmn-engine $(fmt "$peer")/s" ">= 1,000,000/s on one core, >= 5,000x" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- vote ------------------------------------------------------------------------------------
section "vote: simple vote, majority, wait all (half + 1 approve)"
set --
for v in 3 30 300; do
  n=$((15000 / v))
  "$BB" vote "$TMP/vote.bpt" "$v" "$n" "$RUNS" >"$TMP/vote$v" || exit 1
  set -- "$@" "$(median_rate "$TMP/vote$v" 1 | cut -d' ' -f1)" # instances/s
  echo "  bpc: $v voters: $(fmt "$(median_rate "$TMP/vote$v" 1 | cut -d' ' -f1)") instances/s, $(fmt "$(median_rate "$TMP/vote$v" "$v" | cut -d' ' -f1)") decisions/s"
done
# cost per instance: 1 / rate
echo "  $(awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { if (b > 0 && c > 0) printf "cost of an instance ×%.1f at 10× the voters, ×%.1f at 100× (linear: ×10, ×100)", a / b, a / c }')"
ours=$1
engine vote "$TMP/vote.bpmn" && echo "  bpmn-engine: 3 voters: $(fmt "$peer") instances/s"
ratio vote "$ours" "$peer" "bpc $(fmt "$ours")/s, bpmn-engine $(fmt "$peer")/s, 3 voters" ">= 700,000/s" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- state -----------------------------------------------------------------------------------
section "state: the saved two-stage approval waiting for its expert"
set --
for v in 1 10 100; do
  b=$("$BB" state "$TMP/tsa.bpt" "$v" | awk '{ print $2 }')
  set -- "$@" "$b"
  echo "  bpc: $v voters: $b bytes"
done
echo "  $(growth "$1" "$2" "$3")"
ours=$1
peer=0
if [ "$have_node" -eq 1 ]; then
  if node bench/peers/engine_bench.js state "$TMP/tsa.bpmn" 1 1 >"$TMP/peer.state" 2>"$TMP/peer.err"; then
    peer=$(awk '{ print $2 }' "$TMP/peer.state")
    echo "  bpmn-engine: 1 voter: $peer bytes of JSON"
  else echo "  bpmn-engine: failed: $(head -n 2 "$TMP/peer.err")"; fi
fi
ratio state "$peer" "$ours" "bpmn-engine $peer bytes / bpc $ours bytes" "<= 64 bytes, >= 140x smaller" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- restore ---------------------------------------------------------------------------------
section "restore: restore + the expert approves + save"
set --
for v in 1 10 100; do
  "$BB" restore "$TMP/tsa.bpt" "$v" 5000 "$RUNS" >"$TMP/rest$v" || exit 1
  set -- "$@" "$(batch_us "$TMP/rest$v" 5000)"
  r=$(median_rate "$TMP/rest$v" 1 | cut -d' ' -f1)
  echo "  bpc: $v voters: $(fmt "$r")/s ($(awk -v r="$r" 'BEGIN { printf "%.2f", (r > 0) ? 1e6 / r : 0 }') µs each)"
done
echo "  $(growth "$1" "$2" "$3") (the input: the voters in the state)"
ours=$(median_rate "$TMP/rest1" 1 | cut -d' ' -f1)
engine restore "$TMP/tsa.bpmn" && echo "  bpmn-engine: recover + resume + signal + getState: $(fmt "$peer")/s"
ratio restore "$ours" "$peer" "bpc $(fmt "$ours")/s, bpmn-engine $(fmt "$peer")/s" "<= 0.5 µs (2,000,000/s)" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- import ----------------------------------------------------------------------------------
section "import: BPMN read (bpc check of a .bpmn file exported by bpc)"
sed -n '/^process/,$p' samples/two_stage_approval.bp >"$TMP/body"
set --
for k in 5 50 500; do
  awk -v k="$k" 'NR == FNR { body[n++] = $0; next } END {
    print "document Doc {\n  title: string\n  author: user\n  status: string = \"draft\"\n}"
    for (i = 1; i <= k; i++) for (j = 0; j < n; j++) { l = body[j]; sub(/^process two_stage_approval /, "process two_stage_approval_" i " ", l); print l } }' \
    "$TMP/body" /dev/null >"$TMP/m$k.bp"
  "$BPC" export --bpmn "$TMP/m$k.bp" -o "$TMP/m$k.bpmn" || exit 2
  bytes=$(wc -c <"$TMP/m$k.bpmn" | tr -d ' ')
  timed "$TMP/imp$k" "$BPC" check "$TMP/m$k.bpmn" || { echo "  bpc check refused $TMP/m$k.bpmn"; cat "$TMP/last.err"; exit 1; }
  set -- "$@" "$(median_us "$TMP/imp$k")"
  mb=$(median_rate "$TMP/imp$k" "$bytes" | awk '{ printf "%.1f", $1 / 1e6 }')
  echo "  bpc check: $k processes, $bytes bytes: $mb MB/s"
  eval "bytes$k=$bytes mb$k=$mb"
done
echo "  $(growth "$1" "$2" "$3")"
peer=0
if [ "$have_node" -eq 1 ]; then
  # moddle_read.js: `run BYTES WALL CPU` per run of at least 1 s of CPU.
  if node bench/peers/moddle_read.js "$RUNS" 1 "$TMP/m500.bpmn" >"$TMP/peer.imp" 2>"$TMP/peer.err"; then
    peer=$(awk '$1 == "run" { v[++n] = ($4 > 0) ? $2 / $4 : 0 } END { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      printf "%.1f", n ? v[int((n + 1) / 2)] : 0 }' "$TMP/peer.imp")
    echo "  bpmn-moddle fromXML: 500 processes: $peer MB/s"
  else echo "  bpmn-moddle: failed: $(head -n 2 "$TMP/peer.err")"; fi
fi
# shellcheck disable=SC2154
ratio import "$mb500" "$peer" "bpc check $mb500 MB/s, bpmn-moddle fromXML $peer MB/s, $bytes500 bytes" ">= 10x (issue 12)" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- mass ------------------------------------------------------------------------------------
section "mass: bprun mass of samples/fix_city.bp (S15) on generated contacts"
"$BPC" compile samples/fix_city.bp -o "$TMP/fix.bpt" || exit 2
set --
for rows in 2000 20000 200000; do
  awk -v rows="$rows" 'BEGIN {
    print "name,city,contract"
    split("Моква,Мсква,Масква,москва,Москва,Тула,Казань,Санкт-Петербург", city, ",")
    split("Дизрем,Дезерм,дезрем,Дезрем,Дезрем,Дезрем", prefix, ",")
    for (i = 1; i <= rows; i++)
      printf "\"Контакт %d, ООО \"\"Ромашка\"\"\",%s,%s-%06d\n", i, city[1 + i % 8], prefix[1 + i % 6], i
  }' >"$TMP/c$rows.csv"
  jobs_list=1
  [ "$rows" -eq 200000 ] && jobs_list="1 2"
  for jobs in $jobs_list; do
    timed "$TMP/mass$rows.$jobs" "$BPRUN" mass "$TMP/fix.bpt" fix_city --documents "$TMP/c$rows.csv" \
      --out "$TMP/out$rows.$jobs.csv" --jobs "$jobs" --clock 2026-03-01T09:00 ||
      { echo "  bprun mass failed:"; cat "$TMP/last.err"; exit 1; }
  done
  set -- "$@" "$(median_us "$TMP/mass$rows.1")"
  r1=$(median_rate "$TMP/mass$rows.1" "$rows" | cut -d' ' -f1)
  w1=$(median_rate "$TMP/mass$rows.1" "$rows" | cut -d' ' -f2)
  echo "  bprun mass: $rows rows: $(fmt "$r1") rows/s by CPU time, $(fmt "$w1") by wall time (--jobs 1)"
  if [ "$rows" -eq 200000 ]; then
    r2=$(median_rate "$TMP/mass$rows.2" "$rows")
    same=$(cmp -s "$TMP/out$rows.1.csv" "$TMP/out$rows.2.csv" && echo "the same bytes as --jobs 1" || echo "OUTPUT DIFFERS FROM --jobs 1")
    echo "  bprun mass --jobs 2: $rows rows: $(fmt "$(echo "$r2" | cut -d' ' -f1)") rows/s of CPU time, $(fmt "$(echo "$r2" | cut -d' ' -f2)") by wall time ($same)"
  fi
  eval "mass$rows=$r1"
done
echo "  $(growth "$1" "$2" "$3")"
peer=0
if command -v mawk >/dev/null 2>&1; then
  mawk -f bench/fix_city.awk "$TMP/c200000.csv" >"$TMP/awk.csv"
  if cmp -s "$TMP/awk.csv" "$TMP/out200000.1.csv"; then
    # mawk writes its output to a file, as bprun mass does (bpbench exec would send it to
    # /dev/null, which spared it the writing: 119 against 130.5 ms in turns at 200,000 rows).
    timed "$TMP/peer.mass" sh -c 'exec mawk -f bench/fix_city.awk "$1" >"$2"' sh "$TMP/c200000.csv" "$TMP/awk.csv"
    peer=$(median_rate "$TMP/peer.mass" 200000 | cut -d' ' -f1)
    echo "  mawk: 200000 rows: $(fmt "$peer") rows/s (its output: the same bytes as bprun's)"
  else
    echo "  mawk: its output differs from bprun's: no ratio"
  fi
fi
# shellcheck disable=SC2154
ratio mass "$mass200000" "$peer" "bprun mass $(fmt "$mass200000") rows/s, mawk $(fmt "$peer") rows/s, 200,000 rows, --jobs 1, CPU time" ">= 1,000,000 rows/s, no slower than mawk" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- dispatch --------------------------------------------------------------------------------
section "dispatch: bench/loop.bp's tight loop (while i < n { s = s + i % 7; i = i + 1 })"
"$BPC" compile bench/loop.bp -o "$TMP/loop.bpt" || exit 2
# Instructions an iteration runs: from the loop's test to the jump back, all executed.
per=$("$BPC" disasm "$TMP/loop.bpt" | awk '/; [0-9]+: while/ { on = 1; next } on && /^  [0-9]+  / { n++ } on && /JUMP  *->/ && !/IF/ { print n; exit }')
echo "  bpc: $per bytecode instructions an iteration ($BPC disasm)"
set --
for it in 30000 300000 3000000; do
  "$BB" dispatch "$TMP/loop.bpt" "$it" "$RUNS" >"$TMP/disp$it" || exit 1
  set -- "$@" "$(batch_us "$TMP/disp$it" "$it")"
  r=$(median_rate "$TMP/disp$it" "$per" | cut -d' ' -f1)
  echo "  bpc: $it iterations: $(fmt "$r") instructions/s"
  eval "disp$it=$r"
done
echo "  $(growth "$1" "$2" "$3")"
peer=0
iters=0
if command -v lua5.4 >/dev/null 2>&1; then
  printf 'local n = tonumber(arg[1])\nlocal i, s = 0, 0\nwhile i < n do\n  s = s + i %% 7\n  i = i + 1\nend\n' >"$TMP/loop.lua"
  # Lua 5.4 runs LT, MODK, ADD, ADDI, JMP an iteration: the JMP after LT and the MMBIN
  # fallbacks after the arithmetic are skipped while the numbers are integers.
  lper=$(luac5.4 -l -p "$TMP/loop.lua" 2>/dev/null | awk '$3 ~ /^(LT|MODK|ADD|ADDI)$/ { n++ } $3 == "JMP" && $4 ~ /^-/ { n++ } END { print n + 0 }')
  timed "$TMP/peer.disp" lua5.4 "$TMP/loop.lua" 3000000
  peer=$(median_rate "$TMP/peer.disp" $((3000000 * lper)) | cut -d' ' -f1)
  echo "  Lua 5.4: 3000000 iterations, $lper instructions each: $(fmt "$peer") instructions/s"
  iters=$(awk -v a="$disp3000000" -v pa="$per" -v b="$peer" -v pb="$lper" 'BEGIN { if (b > 0) printf "%.3g", (a / pa) / (b / pb) }')
fi
# shellcheck disable=SC2154
ratio dispatch "$disp3000000" "$peer" "bpc $(fmt "$disp3000000") instr/s, Lua 5.4 $(fmt "$peer") instr/s, 3,000,000 iterations; iterations/s: ${iters}x" "within 2x of Lua 5.4 (ratio >= 0.5)" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- compile ---------------------------------------------------------------------------------
section "compile: bench/gen.sh's program"
set --
for lines in 1000 10000 100000; do
  sh bench/gen.sh "$lines" >"$TMP/g$lines.bp"
  nl=$(wc -l <"$TMP/g$lines.bp" | tr -d ' ')
  timed "$TMP/comp$lines" "$BPC" compile "$TMP/g$lines.bp" -o "$TMP/g.bpt" || { cat "$TMP/last.err"; exit 1; }
  timed "$TMP/chk$lines" "$BPC" check "$TMP/g$lines.bp"
  set -- "$@" "$(median_us "$TMP/comp$lines")"
  rc=$(median_rate "$TMP/comp$lines" "$nl" | cut -d' ' -f1)
  rw=$(median_rate "$TMP/comp$lines" "$nl" | cut -d' ' -f2)
  rk=$(median_rate "$TMP/chk$lines" "$nl" | cut -d' ' -f1)
  echo "  bpc: $nl lines: compile $(fmt "$rc") lines/s by CPU time, $(fmt "$rw") by wall time; check $(fmt "$rk") lines/s"
  eval "comp$lines=$rc wall$lines=$rw nl$lines=$nl"
done
echo "  $(growth "$1" "$2" "$3")"
# bpc compile uses two threads on a large file (docs/performance.md, "The compiler");
# the same compile on one, for comparison (not the ratio's figure)
if timed "$TMP/comp1t" env BPC_THREADS=1 "$BPC" compile "$TMP/g100000.bp" -o "$TMP/g.bpt"; then
  # shellcheck disable=SC2154
  r1t=$(median_rate "$TMP/comp1t" "$nl100000")
  echo "  bpc on one thread (BPC_THREADS=1): $nl100000 lines: compile $(fmt "$(echo "$r1t" | cut -d' ' -f1)") lines/s by CPU time, $(fmt "$(echo "$r1t" | cut -d' ' -f2)") by wall time"
fi
peer=0
if command -v gcc >/dev/null 2>&1; then
  # shellcheck disable=SC2154
  sh bench/gen_c.sh "$nl100000" >"$TMP/ref.c"
  cl=$(wc -l <"$TMP/ref.c" | tr -d ' ')
  if timed "$TMP/peer.comp" gcc -fsyntax-only -std=c11 "$TMP/ref.c"; then
    peer=$(median_rate "$TMP/peer.comp" "$cl" | cut -d' ' -f1)
    echo "  gcc -fsyntax-only: $cl lines of C: $(fmt "$peer") lines/s"
  fi
fi
# shellcheck disable=SC2154
ratio compile "$comp100000" "$peer" "bpc compile $(fmt "$comp100000") lines/s by CPU time ($(fmt "$wall100000") by wall time), gcc -fsyntax-only $(fmt "$peer") lines/s, $nl100000 lines" ">= 1,000,000 lines/s" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- store ----------------------------------------------------------------------------------
section "store: timers fired through bprun --store, one transaction each (bench/store.sh)"
sh bench/store.sh "$BUILD" >"$TMP/store.out" 2>&1
sed 's/^/  /' "$TMP/store.out"
full=$(sed -n 's/^store sqlite-full \([0-9]*\).*/\1/p' "$TMP/store.out")
normal=$(sed -n 's/^store sqlite-normal \([0-9]*\).*/\1/p' "$TMP/store.out")
echo "  Camunda 7: 3937 no-op steps/s on PostgreSQL (its published figure, not measured here)"
ratio store "${full:-0}" 3937 "SQLite WAL synchronous FULL ${full:-?} events/s, NORMAL ${normal:-?} events/s, Camunda 7 published 3,937 no-op steps/s on PostgreSQL" "events/s beside Camunda 7's published figure" >>"$RATIOS"
tail -n 1 "$RATIOS"
sh bench/store_pg.sh "$BUILD" >"$TMP/store_pg.out" 2>&1
sed 's/^/  /' "$TMP/store_pg.out"
pg1=$(sed -n 's/^store postgresql-1w \([0-9]*\).*/\1/p' "$TMP/store_pg.out")
pg4=$(sed -n 's/^store postgresql-4w \([0-9]*\).*/\1/p' "$TMP/store_pg.out")
ratio store-pg "${pg4:-0}" 3937 "PostgreSQL 4 workers ${pg4:-?} events/s, 1 worker ${pg1:-?} events/s, Camunda 7 published 3,937 no-op steps/s on PostgreSQL" "events/s beside Camunda 7's published figure" >>"$RATIOS"
tail -n 1 "$RATIOS"

# ---- the summary --------------------------------------------------------------------------------
T1=$(now_ns)
echo
echo "== summary (ours over the peer's, higher is better; $(((T1 - T0) / 1000000000)) s, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the end)"
cat "$RATIOS"
