#!/bin/sh
# alloc_sweep.sh BUILD [SCENARIO.scn...] — allocation-failure sweeps of the runtime's
# events: each scenario run by BUILD/faults/bprun (bprun built with -DBPRUN_SWEEP, `make
# check` builds it) with BPRUN_SWEEP=1. For every event the scenario makes (bp_start,
# bp_decide, bp_complete, bp_command, bp_doc_set, bp_advance_shared, bp_answer, bp_fail,
# bp_fail_error, bp_message) it runs the event in a child with the runtime's 1st, 2nd, ...
# allocation failing until the failure is no longer reached. Each child checks that a
# dropped event (BP_ENOMEM) left every instance's saved bytes as they were, then tries
# the event again and runs the scenario to its end, which must be the direct run's end:
# the same saved bytes, journal lines, notifications and expectations
# (runtime/bprun/scn.c, "the allocation-failure sweep"). Each scenario must pass as it
# does in bprun, with no sweep difference, crash or sanitizer report.
#
# Which scenarios: those given, or every sample's (samples/*.scn) and every STRIDE-th of
# tests/scenarios, in the order tests/run.sh runs them: STRIDE=1 (all of them, about 20 s
# on one core) in `make check`, 4 under ASan (build/asan: `make asan`, where each run
# costs some 5 times more); `make sweep` runs all of them under ASan. A scenario in LONG
# (runaways whose one `advance` is 100,000 events, each child run to the end) has its
# first EVENTS events swept (3), others all. Prints one line per scenario and
# `N passed, N failed`.
set -u
BUILD=${1:-build}
[ $# -gt 0 ] && shift
TIMEOUT=${TIMEOUT:-120}
. tests/lib.sh
export LC_ALL=C
# Only what this script sets: an inherited BPRUN_SWEEP_FROM would sweep less, quietly.
unset BPRUN_SWEEP_FROM BPRUN_SWEEP_EVENTS
BPC=$BUILD/bpc
BPRUN=$BUILD/faults/bprun
need_built alloc_sweep.sh "$BPC" "$BPRUN"
make_tmp bpc-sweep
case $BUILD in */asan) STRIDE=${STRIDE:-4} ;; *) STRIDE=${STRIDE:-1} ;; esac
LONG="timeout.forever.scn limits.threads.scn"
EVENTS=${EVENTS:-3}

# The scenarios, as tests/run.sh finds them: NAME.scn and NAME.*.scn beside NAME.bp.
list() {
  for src in samples/*.bp tests/scenarios/*.bp tests/scenarios/*.bpmn; do
    [ -f "$src" ] || continue
    dir=$(dirname "$src") base=$(basename "$src")
    base=${base%.*}
    for scn in "$dir/$base.scn" "$dir/$base".*.scn; do [ -f "$scn" ] && echo "$src $scn"; done
  done
}
if [ $# -gt 0 ]; then
  for scn in "$@"; do
    dir=$(dirname "$scn") base=$(basename "$scn" .scn)
    base=${base%%.*}
    for src in "$dir/$base.bp" "$dir/$base.bpmn"; do [ -f "$src" ] && echo "$src $scn"; done
  done >"$TMP/list"
else
  list | awk -v stride="$STRIDE" '$1 ~ /^samples\// { print; next } { if (n++ % stride == 0) print }' >"$TMP/list"
fi

while read -r src scn; do
  name=alloc_sweep/$(basename "$scn")
  bpt=$TMP/$(basename "$src").bpt
  if [ ! -f "$bpt" ]; then
    run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$bpt"
    if [ "$rc" -ne 0 ]; then fail "$name" "compile: exit status $rc: $(head -n 3 "$TMP/err")"; continue; fi
  fi
  bound= limit=$TIMEOUT
  # A runaway's one advance is 100,000 events, each child run to the end: it is given four
  # times as long (under ASan on a busy machine it took 97 s of the 120).
  case " $LONG " in *" $(basename "$scn") "*) bound=$EVENTS limit=$((TIMEOUT * 4)) ;; esac
  BPRUN_SWEEP=1 BPRUN_SWEEP_EVENTS=$bound TIMEOUT=$limit run "$TMP/out" "$TMP/err" "$BPRUN" test "$bpt" "$scn"
  why=$(unsound "$TMP/err")
  summary=$(sed -n 's/^bprun: sweep: [^ ]*: \([0-9]* of [0-9]* events swept.*\)/\1/p' "$TMP/err" | tail -n 1)
  if [ -n "$why" ]; then fail "$name" "$why"
  elif grep -v -e '^bprun: sweep: [^ ]*: [0-9]* of [0-9]* events swept' "$TMP/err" | grep -q .; then
    fail "$name" "$(grep -v -e '^bprun: sweep: [^ ]*: [0-9]* of [0-9]* events swept' "$TMP/err" | head -n 5)"
  elif [ "$rc" -ne 0 ] || ! tail -n 1 "$TMP/out" | grep -q '^[0-9]* passed, 0 failed$'; then
    fail "$name" "exit status $rc: $(head -n 5 "$TMP/out")"
  elif [ -z "$summary" ]; then fail "$name" "no sweep summary on stderr (is $BPRUN built with -DBPRUN_SWEEP?)"
  else
    echo "-- $name: $summary"
    pass
  fi
done <"$TMP/list"

# Started with SIGCHLD ignored (inherited through exec: some CI runners and daemons do
# that), the kernel reaps the children itself and waitpid never sees one end: bprun
# puts the default back before it sweeps. Without that, this run waits for ever (here,
# until TIMEOUT). perl sets the disposition (Debian's perl-base is always there).
if [ $# -eq 0 ] && command -v perl >/dev/null 2>&1; then
  name=alloc_sweep/sigchld-ignored
  src=tests/scenarios/start_other.bp bpt=$TMP/sigchld.bpt
  run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$bpt"
  if [ "$rc" -ne 0 ]; then fail "$name" "compile: exit status $rc: $(head -n 3 "$TMP/err")"
  else
    TIMEOUT=20
    BPRUN_SWEEP=1 BPRUN_SWEEP_EVENTS=1 run "$TMP/out" "$TMP/err" perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV or die' \
      "$BPRUN" test "$bpt" tests/scenarios/start_other.scn
    why=$(unsound "$TMP/err")
    if [ -n "$why" ]; then fail "$name" "$why"
    elif [ "$rc" -ne 0 ] || ! grep -q '^bprun: sweep: .* 1 of [0-9]* events swept' "$TMP/err"; then
      fail "$name" "exit status $rc: $(head -n 3 "$TMP/err")"
    else pass
    fi
  fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
