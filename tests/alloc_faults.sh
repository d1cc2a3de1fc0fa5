#!/bin/sh
# alloc_faults.sh BUILD [SAMPLE...] — allocation-failure injection for the compiler:
# `bpc compile` of each sample (default: every samples/*.bp) with its 1st, 2nd, ...
# allocation failing in turn, as many as a run that fails none makes. Each
# failing run must end cleanly: exit status 2 (out_of_memory) or 1 (a step that
# reports the failure, as writing the bundle does), one line on stderr that says
# `out of memory` (no "internal error", no sanitizer report, so no leak under
# LeakSanitizer), and no output file or temporary file left behind; or, when the
# failure is absorbed (a buffer that stays larger), exit 0 and the same bundle.
#
# BUILD/bpc must be built with -DBPC_ALLOC_FAULTS (make check and make asan build
# BUILD/faults/bpc so): BPC_FAIL_ALLOC=N fails its Nth allocation (compiler/base/
# util.c), BPC_COUNT_ALLOCS=1 counts them. STRIDE=K fails only every Kth one (a quicker pass under ASan). Prints
# one line per sample and `N passed, N failed`.
set -u
BUILD=${1:-build/faults}
[ $# -gt 0 ] && shift
GIVEN=$# # samples named (the loop below sets the positional parameters)
STRIDE=${STRIDE:-1}
TIMEOUT=${TIMEOUT:-20}
. tests/lib.sh
BPC=$BUILD/bpc
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-faults.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

# judge N — after a run whose Nth allocation failed and that did not exit 0 (its status in
# $rc, the first two lines it said in $l1 and $l2): sets bad when it did not end cleanly
# (a file left in $TMP/w, an internal error or a sanitizer's report, more than one line,
# another status), and counts in ones the failures a step reported (exit 1).
judge() {
  _n=$1
  set -- "$TMP"/w/*
  if [ -e "$1" ]; then
    bad="allocation $_n failing: a file was left behind: $*"
    return
  fi
  case $rc:$l1 in
  [12]:*"internal error"* | [12]:*Sanitizer* | [12]:*"runtime error"*) bad="allocation $_n failing: $l1" ;;
  [12]:*"out of memory"*) [ -n "$l2" ] && bad="allocation $_n failing: more than one line: $l1 / $l2" ;;
  *) bad="allocation $_n failing: exit status $rc: $l1" ;;
  esac
  if [ "$rc" -eq 1 ]; then ones=$((ones + 1)); fi
}

for src in ${*:-samples/*.bp}; do
  name=alloc_faults/$(basename "$src" .bp)
  rm -rf "$TMP/w" && mkdir -p "$TMP/w"
  # The allocations of a run that fails none (the same each time: the same input).
  BPC_COUNT_ALLOCS=1 timeout -k 5 "$TIMEOUT" "$BPC" compile "$src" -o "$TMP/ref.bpt" >/dev/null 2>"$TMP/err" </dev/null
  rc=$?
  total=$(sed -n 's/^bpc: \([0-9]*\) allocations$/\1/p' "$TMP/err")
  if [ "$rc" -ne 0 ] || [ -z "$total" ]; then
    fail "$name" "exit status $rc, or no count of allocations (is $BPC built with -DBPC_ALLOC_FAULTS?): $(head -c 300 "$TMP/err")"
    continue
  fi
  n=1 bad= ones=0 absorbed=0
  while [ "$n" -le "$total" ]; do
    out=$TMP/w/out.bpt
    BPC_FAIL_ALLOC=$n timeout -k 5 "$TIMEOUT" "$BPC" compile "$src" -o "$out" >/dev/null 2>"$TMP/err" </dev/null
    rc=$?
    l1= l2=
    { IFS= read -r l1; IFS= read -r l2; } <"$TMP/err"
    if [ "$rc" -eq 0 ]; then
      # The failure was absorbed (a buffer that could not shrink): the same bundle.
      if [ -n "$l1" ] || ! cmp -s "$out" "$TMP/ref.bpt"; then bad="allocation $n failing: exit status 0 but messages or another bundle: $l1"; break; fi
      absorbed=$((absorbed + 1))
      rm -f "$out"
      n=$((n + STRIDE))
      continue
    fi
    judge "$n"
    [ -n "$bad" ] && break
    n=$((n + STRIDE))
  done
  if [ -n "$bad" ]; then fail "$name" "$bad"
  else
    if [ "$STRIDE" -eq 1 ]; then which="each of $total allocations"
    else which="allocations 1, $((1 + STRIDE)), ... (every ${STRIDE}th) of $total"; fi
    echo "-- $name: $which failed in turn: $ones reported by a step (exit 1), $absorbed absorbed, the rest by out_of_memory (exit 2)"
    pass
  fi
done

# A large file on two threads (BPC_FAULT_THREADS keeps them while allocations fail): the
# parse in two halves, the lowering beside the code generator and the bundle written
# beside the self-check each run out of memory somewhere. Which allocation is the Nth
# varies from run to run then, but every run must end as above: one thread says `out of
# memory` and exits while the other may be running, nothing hangs, no temporary file is
# left. About 48 allocations of the 8,000, spread over the whole compile, and each of the
# last 24 (the self-check, while the bundle's temporary file is being written).
if [ "$GIVEN" -eq 0 ]; then
  name=alloc_faults/two-threads
  src=$TMP/large.bp
  # bench/gen.sh's program without the lines it warns about: a failing run says one line
  sh bench/gen.sh 10000 | sed '/on timeout { reassign responsible due 2d }/d' >"$src"
  export BPC_FAULT_THREADS=1 BPC_THREADS=2
  BPC_COUNT_ALLOCS=1 timeout -k 5 "$TIMEOUT" "$BPC" compile "$src" -o "$TMP/ref.bpt" >/dev/null 2>"$TMP/err" </dev/null
  rc=$?
  total=$(sed -n 's/^bpc: \([0-9]*\) allocations$/\1/p' "$TMP/err")
  bad= ones=0 absorbed=0 runs=0
  if [ "$rc" -ne 0 ] || [ -z "$total" ]; then bad="exit status $rc, or no count of allocations: $(head -c 300 "$TMP/err")"; total=0; fi
  step=$((total / 48 + 1))
  last=$((total > 24 ? total - 23 : 1))
  for n in $(seq 1 "$step" "$total") $(seq "$last" "$total"); do
    rm -rf "$TMP/w" && mkdir -p "$TMP/w"
    BPC_FAIL_ALLOC=$n timeout -k 5 "$TIMEOUT" "$BPC" compile "$src" -o "$TMP/w/out.bpt" >/dev/null 2>"$TMP/err" </dev/null
    rc=$?
    runs=$((runs + 1))
    l1= l2=
    { IFS= read -r l1; IFS= read -r l2; } <"$TMP/err"
    if [ "$rc" -eq 0 ]; then
      if [ -n "$l1" ] || ! cmp -s "$TMP/w/out.bpt" "$TMP/ref.bpt"; then bad="allocation $n failing: exit status 0 but messages or another bundle: $l1"; break; fi
      absorbed=$((absorbed + 1))
      continue
    fi
    judge "$n"
    [ -n "$bad" ] && break
  done
  unset BPC_FAULT_THREADS BPC_THREADS
  if [ -n "$bad" ]; then fail "$name" "$bad"
  else
    echo "-- $name: $runs of about $total allocations failed in turn on two threads: $ones reported by a step (exit 1), $absorbed absorbed, the rest by out_of_memory (exit 2)"
    pass
  fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
