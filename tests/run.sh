#!/bin/sh
# run.sh BUILD — every test of bpc: unit tests, golden diagnostics, the
# samples (check + fmt), hostile input, the command line, (tests/dot.sh)
# the diagrams, (tests/mass.sh) bprun mass, (tests/samples_mass.sh) the mass
# samples on their data and (tests/export.sh) BPMN export round trips.
# The sub-suites (scripts of their own) run in a second stream beside the
# sections of this file, and this stream takes the ones not yet started while it
# waits for one (two streams in all, for two cores); SUITES=serial runs everything
# in one. Knobs, all optional (the defaults keep every case; under ASan, build/asan,
# the slowest loops run a part of their rounds):
#   SUITES=serial    one stream;
#   TIMEOUT          seconds per command (20);
#   KILLS            kills of the store's kill -9 loop (tests/store/run.sh) on SQLite:
#                    200, under ASan 50; on PostgreSQL (tests/pg/run.sh) 200 in build,
#                    40 in the other builds;
#   INSTANCES        of the PostgreSQL workers test (tests/pg/workers.sh): 2,000 in
#                    build, 400 in the other builds;
#   STRIDE           tests/alloc_faults.sh fails every STRIDEth allocation: 1, under
#                    ASan 7;
#   CONFORMANCE_REQUIRE=1  the conformance test fails instead of skipping when node or
#                    bpmn-engine is missing (CI sets it).
#
# Run from the repository root: `sh tests/run.sh build` (or build/asan, where
# the same cases run under AddressSanitizer and UBSan). Prints one line per
# failure with its reason, and ends with the line `N passed, N failed`; exits
# non-zero if anything failed. Never needs a network or root.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BPC=$BUILD/bpc
TIMEOUT=${TIMEOUT:-20}
export LC_ALL=C

if [ ! -x "$BPC" ]; then
  echo "run.sh: $BPC is missing; build it first (make)" >&2
  exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-tests.XXXXXX") || exit 2
trap 'pg_teardown; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

. tests/lib.sh

# PostgreSQL for the store's tests (tests/pg/lib.sh): the server BPSTORE_PG_URL names, or
# a throwaway cluster started here and stopped at exit; without one, those tests say so.
. tests/pg/lib.sh
pg_setup "$TMP" || exit 2

# Adds the counts of a sub-suite whose output (in file $2) ends with `N passed, N failed`;
# without that line the sub-suite $1 failed.
add_counts() {
  summary=$(tail -n 1 "$2")
  sub_passed=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  sub_failed=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$sub_passed" ]; then
    fail "$1" "no summary line: $summary"
    return 1
  fi
  passed=$((passed + sub_passed))
  failed=$((failed + sub_failed))
}

# Number of lines of a file.
lines() { wc -l <"$1" | tr -d ' '; }

# ---------------------------------------------------------------------------
echo "== unit tests"
# test_bpt_mutate also mutates every compiled sample: compile them first.
mkdir -p "$BUILD/samples"
for src in samples/*.bp; do
  "$BPC" compile "$src" -o "$BUILD/samples/$(basename "$src" .bp).bpt" 2>/dev/null
done
export BPT_SAMPLES="$BUILD/samples"

# The sub-suites: scripts with their own temporary folders that need nothing from the
# sections of this file. They run one after another in a second stream beside those
# sections (the second core), in the order they are reported below, where `collect
# NAME` waits for one and leaves its output in $TMP/NAME.out and its status in
# $TMP/NAME.rc. SUITES=serial runs each only when it is collected.
suite_cmd() {
  case $1 in
  tools) sh tests/tools.sh "$BUILD" ;;
  backend) sh tests/backend.sh "$BUILD" ;;
  mass) sh tests/mass.sh "$BUILD" ;;
  smass) sh tests/samples_mass.sh "$BUILD" ;;
  export) sh tests/export.sh "$BUILD" ;;
  dot) sh tests/dot.sh "$BUILD" ;;
  bpmn) sh tests/import/bpmn.sh "$BUILD" ;;
  conf) if [ "${CONFORMANCE_REQUIRE:-0}" = 1 ]; then sh tests/conformance/run.sh "$BUILD" --require
    else sh tests/conformance/run.sh "$BUILD"; fi ;;
  bitrix) sh tests/import/bitrix.sh "$BUILD" ;;
  tobp) sh tests/import/tobp.sh "$BUILD" ;;
  store) # under ASan the kill -9 loop kills 50 times, not 200 (KILLS overrides)
    case $BUILD in */asan) KILLS=${KILLS:-50} sh tests/store/run.sh "$BUILD" ;; *) sh tests/store/run.sh "$BUILD" ;; esac ;;
  pg) sh tests/pg/run.sh "$BUILD" ;;
  faults) STRIDE=$fault_stride sh tests/alloc_faults.sh "$BUILD/faults" ;;
  sweep) sh tests/alloc_sweep.sh "$BUILD" ;;
  bxexport) sh tests/import/bitrix_export.sh "$BUILD" ;;
  esac
}
# Under ASan (where LeakSanitizer also looks for leaks) every 7th allocation fails.
fault_stride=${STRIDE:-1}
case $BUILD in */asan) fault_stride=${STRIDE:-7} ;; esac
SUITE_ORDER="tools backend mass smass store export dot bpmn conf bitrix tobp pg"
[ -x "$BUILD/faults/bpc" ] && SUITE_ORDER="$SUITE_ORDER faults"
[ -x "$BUILD/faults/bprun" ] && SUITE_ORDER="$SUITE_ORDER sweep"
[ -f tests/import/bitrix_export.sh ] && SUITE_ORDER="$SUITE_ORDER bxexport"
# The order the second stream starts them in: the longest first (measured: CPU seconds),
# so that what is left at the end is short, for whichever stream is free.
SUITE_START="export faults sweep tobp pg store conf dot bitrix tools backend bxexport bpmn smass mass"
# claim NAME: true for the one stream that starts suite NAME.
claim() { mkdir "$TMP/claim.$1" 2>/dev/null; }
run_suite() {
  suite_cmd "$1" >"$TMP/$1.out" 2>&1 &
  suite_child=$!
  wait "$suite_child"
  echo $? >"$TMP/$1.rc.tmp" && mv "$TMP/$1.rc.tmp" "$TMP/$1.rc"
}
suites_pid=
if [ "${SUITES:-parallel}" != serial ]; then
  (
    suite_child=
    trap '[ -n "$suite_child" ] && kill "$suite_child" 2>/dev/null; exit 143' TERM
    for s in $SUITE_START; do
      case " $SUITE_ORDER " in *" $s "*) claim "$s" && run_suite "$s" ;; esac
    done
  ) &
  suites_pid=$!
  trap 'kill "$suites_pid" 2>/dev/null; pg_teardown; rm -rf "$TMP"' EXIT
fi
collect() {
  if [ -z "$suites_pid" ]; then
    run_suite "$1"
    return
  fi
  if claim "$1"; then
    run_suite "$1"
    return
  fi
  while [ ! -f "$TMP/$1.rc" ]; do
    # the other stream runs it: meanwhile this one runs a suite not yet started
    for s in $SUITE_START; do
      case " $SUITE_ORDER " in *" $s "*) ;; *) continue ;; esac
      if claim "$s"; then
        run_suite "$s"
        continue 2
      fi
    done
    kill -0 "$suites_pid" 2>/dev/null || [ -f "$TMP/$1.rc" ] || { echo 1 >"$TMP/$1.rc"; break; }
    sleep 0.1
  done
}
for src in tests/unit/test_*.c; do
  [ -f "$src" ] || continue
  t=$BUILD/tests/$(basename "$src" .c)
  [ -x "$t" ] || fail "unit/$(basename "$t")" "not built ($t is missing; make unit)"
done
for t in "$BUILD"/tests/test_*; do
  if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
  name=unit/$(basename "$t")
  echo "-- $name"
  timeout -k 5 120 "$t" 2>"$TMP/unit.err"
  rc=$?
  cat "$TMP/unit.err" >&2
  why=$(unsound "$TMP/unit.err")
  if [ -n "$why" ]; then fail "$name" "$why"
  elif [ "$rc" -ne 0 ]; then fail "$name" "exit status $rc"
  else pass
  fi
done

# ---------------------------------------------------------------------------
echo "== rooms (tests/rooms.sh: every #include is one its room may see)"
sh tests/rooms.sh >"$TMP/rooms.out" 2>&1
if grep -q '^FAIL' "$TMP/rooms.out"; then
  while IFS= read -r line; do fail "${line#FAIL }" ""; done <<EOF_ROOMS
$(grep '^FAIL' "$TMP/rooms.out")
EOF_ROOMS
elif ! tail -n 1 "$TMP/rooms.out" | grep -q ' 0 failed$'; then fail "rooms" "$(tail -n 3 "$TMP/rooms.out")"
else pass
fi

# ---------------------------------------------------------------------------
echo "== golden diagnostics (tests/golden)"
for src in tests/golden/*.bp; do
  [ -f "$src" ] || continue
  base=$(basename "$src" .bp)
  name=golden/$base
  expect=tests/golden/$base.err
  if [ ! -f "$expect" ]; then
    fail "$name" "no $expect (write it, or make one with tests/golden/update.sh $base)"
    continue
  fi
  (cd tests/golden || exit 2; run "$TMP/out" "$TMP/err" "$BPC" check "$base.bp"; exit "$rc")
  rc=$?
  want_rc=0
  grep -q ': error: ' "$expect" && want_rc=1
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then
    fail "$name" "$why"
  elif ! cmp -s "$expect" "$TMP/err"; then
    fail "$name" "diagnostics differ from $expect:"
    diff -u "$expect" "$TMP/err" | sed -e "1s|.*|--- expected|" -e "2s|.*|+++ bpc check $base.bp|"
  elif [ -s "$TMP/out" ]; then
    fail "$name" "printed on stdout"
  elif [ "$rc" -ne "$want_rc" ]; then
    fail "$name" "exit status $rc, expected $want_rc"
  else
    pass
  fi
done

# ---------------------------------------------------------------------------
echo "== samples (check, fmt)"
for src in samples/*.bp; do
  [ -f "$src" ] || continue
  name=samples/$(basename "$src" .bp)
  run "$TMP/out" "$TMP/err" "$BPC" check "$src"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$name check" "$why"
  elif [ "$rc" -ne 0 ] || [ -s "$TMP/out" ] || [ -s "$TMP/err" ]; then
    fail "$name check" "exit status $rc, expected a clean check (0, no output):"
    head -n 20 "$TMP/err"
  else pass
  fi

  run "$TMP/fmt1.bp" "$TMP/err" "$BPC" fmt "$src"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$name fmt" "$why"; continue
  elif [ "$rc" -ne 0 ] || [ -s "$TMP/err" ]; then
    fail "$name fmt" "exit status $rc:"
    head -n 20 "$TMP/err"
    continue
  fi
  pass

  run "$TMP/out" "$TMP/err" "$BPC" check "$TMP/fmt1.bp"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$name fmt output checks clean" "$why"
  elif [ "$rc" -ne 0 ] || [ -s "$TMP/out" ] || [ -s "$TMP/err" ]; then
    fail "$name fmt output checks clean" "exit status $rc:"
    head -n 20 "$TMP/err"
  else pass
  fi

  run "$TMP/fmt2.bp" "$TMP/err" "$BPC" fmt "$TMP/fmt1.bp"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$name fmt idempotent" "$why"
  elif [ "$rc" -ne 0 ]; then fail "$name fmt idempotent" "fmt of its own output: exit status $rc"
  elif ! cmp -s "$TMP/fmt1.bp" "$TMP/fmt2.bp"; then
    fail "$name fmt idempotent" "fmt of fmt output differs:"
    diff -u "$TMP/fmt1.bp" "$TMP/fmt2.bp" | head -n 40
  else pass
  fi

  if cmp -s "$src" "$TMP/fmt1.bp"; then pass
  else
    fail "$name fmt is the sample" "fmt output differs from the sample (samples are in canonical form):"
    diff -u "$src" "$TMP/fmt1.bp" | head -n 40
  fi
done

# ---------------------------------------------------------------------------
# Once the back end is there: every sample compiles to a bundle that the
# disassembler (which verifies it first) accepts.
if "$BPC" compile --help >/dev/null 2>&1; then
  echo "== samples (compile, disasm)"
  for src in samples/*.bp; do
    [ -f "$src" ] || continue
    name=samples/$(basename "$src" .bp)
    rm -f "$TMP/s.bpt"
    run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/s.bpt"
    why=$(unsound "$TMP/err")
    if [ -n "$why" ]; then fail "$name compile" "$why"; continue
    elif [ "$rc" -ne 0 ] || [ -s "$TMP/err" ] || [ ! -s "$TMP/s.bpt" ]; then
      fail "$name compile" "exit status $rc, or messages, or no bundle:"
      head -n 20 "$TMP/err"
      continue
    fi
    pass
    run "$TMP/out" "$TMP/err" "$BPC" disasm "$TMP/s.bpt"
    why=$(unsound "$TMP/err")
    if [ -n "$why" ]; then fail "$name disasm" "$why"
    elif [ "$rc" -ne 0 ] || [ ! -s "$TMP/out" ]; then
      fail "$name disasm" "exit status $rc or no listing:"
      head -n 20 "$TMP/err"
    else pass
    fi
  done
fi

# ---------------------------------------------------------------------------
# The runtime: every sample's scenario and every scenario of tests/scenarios
# (NAME.bp or NAME.bpmn with NAME.scn and NAME.*.scn) pass, as they are and with --reload
# (every instance saved and restored between every two commands).
BPRUN=$BUILD/bprun
if [ -x "$BPRUN" ]; then
  echo "== scenarios (bprun test, with and without --reload)"
  mkdir -p "$TMP/scn"
  for src in samples/*.bp tests/scenarios/*.bp tests/scenarios/*.bpmn; do
    [ -f "$src" ] || continue
    dir=$(dirname "$src")
    base=$(basename "$src")
    base=${base%.*}
    bpt=$TMP/scn/$base.bpt
    run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$bpt"
    if [ "$rc" -ne 0 ]; then
      fail "scenario/$base compile" "exit status $rc: $(head -n 3 "$TMP/err")"
      continue
    fi
    for scn in "$dir/$base.scn" "$dir/$base".*.scn; do
      [ -f "$scn" ] || continue
      for mode in "" --reload; do
        name="scenario/$(basename "$scn")${mode:+ $mode}"
        run "$TMP/out" "$TMP/err" "$BPRUN" test "$bpt" "$scn" $mode
        why=$(unsound "$TMP/err")
        [ -z "$why" ] && why=$(unsound "$TMP/out")
        if [ -n "$why" ]; then fail "$name" "$why"
        elif [ "$rc" -ne 0 ] || ! tail -n 1 "$TMP/out" | grep -q '^[0-9]* passed, 0 failed$'; then
          fail "$name" "exit status $rc:"
          head -n 20 "$TMP/out" "$TMP/err"
        else pass
        fi
      done
    done
  done
fi

# ---------------------------------------------------------------------------
# The runtime is a guest in someone else's program: no writable globals, no
# calls of malloc, printf, exit or abort (nm); two runtimes on two threads
# under ThreadSanitizer (build/tsan/two_threads, made by `make check`).
if [ -f "$BUILD/libbprt.a" ] && command -v nm >/dev/null 2>&1; then
  echo "== runtime library (nm, threads)"
  # (the sanitizers' own instrumentation adds __odr_asan and similar symbols, and with
  # clang their metadata arrays __unnamed_N; clang's jump tables switch.table.* are in
  # .data.rel.ro, read-only once relocated, which nm cannot tell from data)
  globals=$(nm "$BUILD/libbprt.a" 2>/dev/null | grep -E ' [BbCDdGgSsV] ' |
    grep -v -E ' (_*(odr_asan|asan|ubsan)|switch\.table\.)' |
    { case $BUILD in */asan) grep -v -E ' __unnamed_[0-9]+$' ;; *) cat ;; esac; } || true)
  if [ -n "$globals" ]; then fail "runtime/no writable globals" "nm shows: $(echo "$globals" | head -n 5 | tr '\n' ' ')"
  else pass
  fi
  calls=$(nm -u "$BUILD/libbprt.a" 2>/dev/null | awk '{ print $2 }' |
    grep -E -x '(malloc|calloc|realloc|free|printf|fprintf|vfprintf|puts|fputs|putchar|exit|_exit|abort|__assert_fail)' || true)
  if [ -n "$calls" ]; then fail "runtime/no malloc, printf, exit, abort" "libbprt calls: $(echo "$calls" | sort -u | tr '\n' ' ')"
  else pass
  fi
  TSAN_BIN=build/tsan/two_threads
  case $BUILD in */asan) TSAN_BIN= ;; esac
  if [ -n "$TSAN_BIN" ] && [ -x "$TSAN_BIN" ]; then
    "$BPC" compile samples/two_stage_approval.bp -o "$TMP/t1.bpt" 2>/dev/null
    "$BPC" compile samples/pay_materials.bp -o "$TMP/t2.bpt" 2>/dev/null
    TSAN_OPTIONS="halt_on_error=1" timeout -k 5 120 "$TSAN_BIN" "$TMP/t1.bpt" samples/two_stage_approval.scn \
      "$TMP/t2.bpt" samples/pay_materials.scn 300 >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if grep -q 'ThreadSanitizer' "$TMP/err"; then fail "runtime/two threads (TSan)" "$(grep -m1 -A3 'WARNING' "$TMP/err")"
    elif [ "$rc" -ne 0 ]; then fail "runtime/two threads (TSan)" "exit status $rc: $(head -n 5 "$TMP/out" "$TMP/err")"
    else pass
    fi
  fi
fi

# ---------------------------------------------------------------------------
# docs/embedding.md's host program, extracted, built against libbprt and run:
# its output must be the one the page shows.
if [ -f "$BUILD/libbprt.a" ] && [ -f docs/embedding.md ]; then
  echo "== docs/embedding.md host program"
  san=
  case $BUILD in */asan) san="-fsanitize=address,undefined -fno-sanitize-recover=all" ;; esac
  awk '/^```c$/ { f = 1; next } /^```$/ { f = 0 } f' docs/embedding.md >"$TMP/host.c"
  awk '/^```text$/ { f = 1; next } /^```$/ { f = 0 } f' docs/embedding.md >"$TMP/host.expected"
  if ! ${CC:-cc} -Iruntime -std=c11 -Wall -Wextra -Werror $san -o "$TMP/host" "$TMP/host.c" "$BUILD/libbprt.a" 2>"$TMP/err"; then
    fail "embedding/build" "$(head -n 5 "$TMP/err")"
  elif ! "$BPC" compile samples/simple_vote.bp -o "$TMP/host.bpt" 2>"$TMP/err"; then
    fail "embedding/compile" "$(head -n 5 "$TMP/err")"
  else
    run "$TMP/host.out" "$TMP/err" "$TMP/host" "$TMP/host.bpt"
    why=$(unsound "$TMP/err")
    if [ -n "$why" ]; then fail "embedding/run" "$why"
    elif [ "$rc" -ne 0 ]; then fail "embedding/run" "exit status $rc: $(head -n 3 "$TMP/err")"
    elif ! cmp -s "$TMP/host.out" "$TMP/host.expected"; then
      fail "embedding/output" "differs from the page:"
      diff -u "$TMP/host.expected" "$TMP/host.out" | head -n 20
    else pass
    fi
  fi
fi

# ---------------------------------------------------------------------------
# bpc as a tool (tests/tools.sh): make install / uninstall into a DESTDIR with pkg-config,
# the exported symbols against bp.h, man pages, editor keywords, JSON/SARIF diagnostics,
# bpc lsp, bash completion. Its cases count here.
if [ -f tests/tools.sh ]; then
  echo "== install, man pages, editors, diagnostics for tools, bpc lsp (tests/tools.sh)"
  collect tools
  grep -e '^FAIL' -e '^skipped' -A 3 "$TMP/tools.out" | head -n 60
  add_counts "tests/tools.sh" "$TMP/tools.out"
fi

# ---------------------------------------------------------------------------
# The back end through the command line (tests/backend.sh): its cases count here.
if [ -f tests/backend.sh ]; then
  echo "== back end (tests/backend.sh)"
  collect backend
  grep '^FAIL' "$TMP/backend.out"
  add_counts "backend.sh" "$TMP/backend.out"
fi

# ---------------------------------------------------------------------------
# bprun mass over CSV files (tests/mass.sh): its cases count here.
if [ -f tests/mass.sh ] && [ -x "$BUILD/bprun" ]; then
  echo "== bprun mass (tests/mass.sh)"
  collect mass
  grep -A 30 '^FAIL' "$TMP/mass.out" | head -n 60
  add_counts "mass.sh" "$TMP/mass.out"
fi

# The mass samples S14–S17 on their data (tests/samples_mass.sh): its cases count here.
if [ -f tests/samples_mass.sh ] && [ -x "$BUILD/bprun" ]; then
  echo "== samples: mass runs (tests/samples_mass.sh)"
  collect smass
  grep -A 30 '^FAIL' "$TMP/smass.out" | head -n 60
  add_counts "samples_mass.sh" "$TMP/smass.out"
fi

# bprun --store (tests/store/run.sh): S1 and S11 across runs, refusals, migration, the
# kill -9 loop. Its cases count here.
if [ -f tests/store/run.sh ] && [ -x "$BUILD/bprun" ]; then
  echo "== bprun --store (tests/store/run.sh)"
  collect store
  grep -A 10 -e '^FAIL' "$TMP/store.out" | head -n 60
  grep '^kill -9 loop' "$TMP/store.out"
  add_counts "store/run.sh" "$TMP/store.out"
fi

# `bpc export --bpmn` round trips (tests/export.sh): its cases count here.
if [ -f tests/export.sh ] && [ -x "$BUILD/bprun" ]; then
  echo "== export --bpmn round trips (tests/export.sh)"
  collect export
  grep -e '^FAIL' -e '^skipped' -e '^round trips' -e '^bpmn-moddle' "$TMP/export.out" | head -n 40
  add_counts "export.sh" "$TMP/export.out"
fi

# ---------------------------------------------------------------------------
echo "== bad input"
B=$TMP/bad
mkdir -p "$B"

# expect_error NAME FILE [MAXLINES] — bpc check FILE must exit 1 with
# FILE:LINE:COL: error: on stderr (at most MAXLINES lines of it), nothing on
# stdout, in time and without a signal.
expect_error() {
  _name=$1 _file=$2 _max=${3:-}
  run "$TMP/out" "$TMP/err" "$BPC" check "$_file"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$_name" "$why"; return; fi
  if [ "$rc" -ne 1 ]; then
    fail "$_name" "exit status $rc, expected 1"
    head -c 2000 "$TMP/err" | head -n 10
    return
  fi
  if [ -s "$TMP/out" ]; then fail "$_name" "printed on stdout"; return; fi
  if ! head -n 1 "$TMP/err" | grep -q "^$_file:[0-9][0-9]*:[0-9][0-9]*: error: "; then
    fail "$_name" "first message is not '$_file:LINE:COL: error: ...': $(head -c 300 "$TMP/err" | head -n 1)"
    return
  fi
  if [ -n "$_max" ] && [ "$(lines "$TMP/err")" -ge "$_max" ]; then
    fail "$_name" "$(lines "$TMP/err") lines of messages, expected fewer than $_max"
    return
  fi
  # The source line echoed under a message is cut on long lines.
  if [ "$(wc -c <"$TMP/err")" -gt 20000 ]; then
    fail "$_name" "$(wc -c <"$TMP/err" | tr -d ' ') bytes of messages (a long line not cut?)"
    return
  fi
  pass
}

# expect_misuse NAME ARGS... — exit 2, a message on stderr, nothing on stdout.
expect_misuse() {
  _name=$1
  shift
  run "$TMP/out" "$TMP/err" "$BPC" "$@"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$_name" "$why"
  elif [ "$rc" -ne 2 ]; then fail "$_name" "exit status $rc, expected 2"
  elif [ ! -s "$TMP/err" ]; then fail "$_name" "no message on stderr"
  elif [ -s "$TMP/out" ]; then fail "$_name" "printed on stdout"
  else pass
  fi
}

# An empty file is an empty program.
: >"$B/empty.bp"
run "$TMP/out" "$TMP/err" "$BPC" check "$B/empty.bp"
why=$(unsound "$TMP/err")
if [ -n "$why" ]; then fail "badinput/empty" "$why"
elif [ "$rc" -ne 0 ] || [ -s "$TMP/out" ] || [ -s "$TMP/err" ]; then
  fail "badinput/empty" "exit status $rc, expected 0 and no output"
else pass
fi

# 64 KiB of deterministic noise (an LCG; every byte value occurs).
awk 'BEGIN { x = 1; for (i = 0; i < 65536; i++) { x = (x * 75 + 74) % 65537; printf "%c", x % 256 } }' \
  >"$B/binary.bp"
if [ "$(wc -c <"$B/binary.bp" | tr -d ' ')" -lt 60000 ]; then
  fail "badinput/binary" "could not write the test file"
else
  expect_error "badinput/binary" "$B/binary.bp" 60
fi

# One 10 MB line: many statements, then a type error at its very end.
awk 'BEGIN {
  printf "process long_line { var n: int = 0; "
  for (i = 0; i < 600000; i++) printf "n = n + 1; "
  printf "n = \"ten\" }\n"
}' >"$B/long.bp"
expect_error "badinput/10MB line" "$B/long.bp" 60
if [ "$rc" -eq 1 ] && ! grep -q '^[^:]*:1:[0-9]*: error: ' "$TMP/err"; then
  fail "badinput/10MB line position" "the error is not reported on line 1"
fi

# 10,000 nested blocks inside a process: refused, not a stack overflow.
awk 'BEGIN {
  print "process deep {"
  print "  var go: bool = true"
  for (i = 0; i < 10000; i++) print "if go {"
  for (i = 0; i < 10000; i++) print "}"
  print "}"
}' >"$B/nested.bp"
expect_error "badinput/10000 nested blocks" "$B/nested.bp" 60

# 10,000 nested parentheses in an expression.
awk 'BEGIN {
  printf "process deep {\n  var n: int = "
  for (i = 0; i < 10000; i++) printf "("
  printf "1"
  for (i = 0; i < 10000; i++) printf ")"
  printf "\n  log \"{n}\"\n}\n"
}' >"$B/parens.bp"
expect_error "badinput/10000 nested parentheses" "$B/parens.bp" 60

# NUL bytes in the middle of a program.
{
  printf 'document Doc {\n  title: string\n}\n\nprocess p on Doc {\n  log "a'
  printf '\000'
  printf 'b"\n'
  printf '\000\000\n  log "{title}"\n}\n'
} >"$B/nul.bp"
expect_error "badinput/NUL bytes" "$B/nul.bp" 60

# Invalid UTF-8 (a Latin-1 byte, a lone continuation byte) inside a string.
{
  printf 'process p {\n  log "caf\351 cr\350me"\n  log "x \200 y"\n}\n'
} >"$B/utf8.bp"
expect_error "badinput/invalid UTF-8 in a string" "$B/utf8.bp" 60
if [ "$rc" -eq 1 ] && ! grep -q ':2:[0-9]*: error: ' "$TMP/err"; then
  fail "badinput/invalid UTF-8 position" "no error reported on line 2"
fi

# A line of 200,000 opening brackets: nesting limit, not a crash.
awk 'BEGIN { printf "process p {\n  log \"{"; for (i = 0; i < 200000; i++) printf "["; printf "\n}\n" }' \
  >"$B/brackets.bp"
expect_error "badinput/deep brackets in an interpolation" "$B/brackets.bp" 60

# Bundles that are not bundles: refused by the verifier (exit 1, a message).
# expect_refused NAME FILE
expect_refused() {
  run "$TMP/out" "$TMP/err" "$BPC" disasm "$2"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$1" "$why"
  elif [ "$rc" -ne 1 ]; then fail "$1" "exit status $rc, expected 1"
  elif [ ! -s "$TMP/err" ]; then fail "$1" "no message on stderr"
  else pass
  fi
}
if "$BPC" disasm --help >/dev/null 2>&1 && "$BPC" compile samples/statuses.bp -o "$B/good.bpt" 2>/dev/null; then
  expect_refused "badinput/disasm of noise" "$B/binary.bp"
  expect_refused "badinput/disasm of an empty file" "$B/empty.bp"
  size=$(wc -c <"$B/good.bpt" | tr -d ' ')
  head -c $((size / 2)) "$B/good.bpt" >"$B/truncated.bpt"
  expect_refused "badinput/disasm of a truncated bundle" "$B/truncated.bpt"
  # Every byte flipped in turn would be the fuzzer's job; here a few spread
  # over the file (header, tables, code, end) must each be caught.
  for at in 5 9 17 $((size / 3)) $((size / 2)) $((size - 2)); do
    [ "$at" -lt "$size" ] || continue
    { head -c "$at" "$B/good.bpt"; printf '\377'; tail -c +$((at + 2)) "$B/good.bpt"; } >"$B/flipped.bpt"
    cmp -s "$B/flipped.bpt" "$B/good.bpt" && continue # the byte was 0xFF already
    expect_refused "badinput/disasm of a bundle with byte $at changed" "$B/flipped.bpt"
  done
fi

mkdir -p "$B/dir.bp"
expect_misuse "badinput/directory" check "$B/dir.bp"
expect_misuse "badinput/missing file" check "$B/no-such-file.bp"
expect_misuse "badinput/fmt of a missing file" fmt "$B/no-such-file.bp"

# ---------------------------------------------------------------------------
echo "== command line"
for opt in --help --version; do
  run "$TMP/out" "$TMP/err" "$BPC" $opt
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "cli/bpc $opt" "$why"
  elif [ "$rc" -ne 0 ]; then fail "cli/bpc $opt" "exit status $rc, expected 0"
  elif [ ! -s "$TMP/out" ]; then fail "cli/bpc $opt" "nothing on stdout"
  else pass
  fi
done
if [ -s "$TMP/out" ] && ! grep -q '^bpc [0-9]' "$TMP/out"; then
  fail "cli/bpc --version" "does not print 'bpc VERSION': $(head -n 1 "$TMP/out")"
fi
for cmd in check fmt; do
  run "$TMP/out" "$TMP/err" "$BPC" $cmd --help
  if [ "$rc" -ne 0 ] || [ ! -s "$TMP/out" ]; then fail "cli/bpc $cmd --help" "exit status $rc or no help on stdout"
  else pass
  fi
done
expect_misuse "cli/no arguments"
expect_misuse "cli/unknown command" frobnicate
expect_misuse "cli/check without files" check
expect_misuse "cli/unknown option" check --frobnicate samples/acknowledge.bp

# Two broken files: both are reported.
printf 'process a {\n  var n: int = "one"\n  log "{n}"\n}\n' >"$B/first.bp"
printf 'process b {\n  log "{missing}"\n}\n' >"$B/second.bp"
run "$TMP/out" "$TMP/err" "$BPC" check "$B/first.bp" "$B/second.bp"
why=$(unsound "$TMP/err")
if [ -n "$why" ]; then fail "cli/check of two files" "$why"
elif [ "$rc" -ne 1 ]; then fail "cli/check of two files" "exit status $rc, expected 1"
elif ! grep -q "^$B/first.bp:2:[0-9]*: error: " "$TMP/err"; then fail "cli/check of two files" "no error for the first file"
elif ! grep -q "^$B/second.bp:2:[0-9]*: error: " "$TMP/err"; then fail "cli/check of two files" "no error for the second file"
else pass
fi

# A clean file and a broken one: exit 1; only the broken one speaks.
run "$TMP/out" "$TMP/err" "$BPC" check samples/acknowledge.bp "$B/second.bp"
if [ "$rc" -ne 1 ] || grep -q '^samples/' "$TMP/err" || ! grep -q "second.bp:2:" "$TMP/err"; then
  fail "cli/check of a clean and a broken file" "exit status $rc, or wrong messages"
else pass
fi

# A missing file among good ones: exit 2, the others still checked.
run "$TMP/out" "$TMP/err" "$BPC" check "$B/no-such-file.bp" "$B/second.bp"
if [ "$rc" -ne 2 ] || ! grep -q "second.bp:2:" "$TMP/err"; then
  fail "cli/check of a missing and a broken file" "exit status $rc (expected 2), or the broken file was not reported"
else pass
fi

# fmt of a broken file: the diagnostics, exit 1, nothing on stdout.
run "$TMP/out" "$TMP/err" "$BPC" fmt tests/golden/syntax_bad_token.bp
why=$(unsound "$TMP/err")
if [ -n "$why" ]; then fail "cli/fmt of a broken file" "$why"
elif [ "$rc" -ne 1 ] || [ -s "$TMP/out" ] || [ ! -s "$TMP/err" ]; then
  fail "cli/fmt of a broken file" "exit status $rc (expected 1, messages on stderr only)"
else pass
fi

# A failed compile leaves no bundle behind (TOOLS.md: atomic output).
leftover() { [ -e "$1" ]; } # true when a glob matched a file
if "$BPC" compile --help >/dev/null 2>&1; then
  rm -f "$B/broken.bpt"
  run "$TMP/out" "$TMP/err" "$BPC" compile tests/golden/type_assign.bp -o "$B/broken.bpt"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "cli/compile of a broken file" "$why"
  elif [ "$rc" -ne 1 ] || [ -e "$B/broken.bpt" ]; then
    fail "cli/compile of a broken file" "exit status $rc (expected 1), or a bundle was left behind"
  elif leftover "$B"/*.tmp*; then fail "cli/compile of a broken file" "a temporary file was left behind"
  else pass
  fi
fi

# fmt --check on a sample (canonical by design) and on a badly laid out copy.
run "$TMP/out" "$TMP/err" "$BPC" fmt --check samples/simple_vote.bp
if [ "$rc" -ne 0 ]; then fail "cli/fmt --check of a sample" "exit status $rc, expected 0"; else pass; fi
sed 's/^  //' samples/simple_vote.bp >"$B/unindented.bp"
run "$TMP/out" "$TMP/err" "$BPC" fmt --check "$B/unindented.bp"
if [ "$rc" -ne 1 ]; then fail "cli/fmt --check of an unformatted file" "exit status $rc, expected 1"; else pass; fi

# ---------------------------------------------------------------------------
# The fuzz targets (tests/fuzz) built with this compiler and a plain main
# ($BUILD/replay/replay_NAME, make fuzz-replay), run on every input the fuzzers
# found (tests/fuzz/regress/NAME) and on the committed seeds (tests/fuzz/seeds/NAME):
# each must pass the target's properties. An input listed in tests/fuzz/regress/KNOWN
# (an open defect, with its cause) is skipped, and said so.
if [ -d tests/fuzz ]; then
  echo "== fuzz inputs (tests/fuzz/regress, tests/fuzz/seeds; replayed without libFuzzer)"
  for t in bp split bundle state scn csv bpmn bitrix json; do
    bin=$BUILD/replay/replay_$t
    for f in tests/fuzz/regress/$t/* tests/fuzz/seeds/$t/*; do
      [ -f "$f" ] || continue
      name=fuzz/${f#tests/fuzz/}
      if grep -q "^${f#tests/fuzz/regress/} " tests/fuzz/regress/KNOWN 2>/dev/null; then
        echo "-- $name: skipped, a known open defect (tests/fuzz/regress/KNOWN)"
        continue
      fi
      if [ ! -x "$bin" ]; then fail "$name" "$bin is missing (make fuzz-replay)"; continue; fi
      run "$TMP/out" "$TMP/err" "$bin" "$f"
      why=$(unsound "$TMP/err")
      if [ -n "$why" ]; then fail "$name" "$why"
      elif [ "$rc" -ne 0 ]; then fail "$name" "exit status $rc: $(head -c 600 "$TMP/err")"
      else pass
      fi
    done
  done
fi

# ---------------------------------------------------------------------------
# Allocation-failure injection (tests/alloc_faults.sh): compiling each sample with
# each allocation failing in turn ends with a clean message and no file left
# behind. $BUILD/faults/bpc is bpc with the injection hook (make check, make asan);
# under ASan (where LeakSanitizer also looks for leaks) every 7th allocation fails.
if [ -x "$BUILD/faults/bpc" ]; then
  echo "== allocation failures (tests/alloc_faults.sh)"
  collect faults
  grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/faults.out"
  add_counts "alloc_faults.sh" "$TMP/faults.out"
else
  echo "== allocation failures: skipped, $BUILD/faults/bpc is not built (make check builds it)"
fi

# ---------------------------------------------------------------------------
# Allocation-failure sweeps of the runtime's events (tests/alloc_sweep.sh): every event of
# the scenarios made with each allocation failing in turn, by $BUILD/faults/bprun (bprun
# built with -DBPRUN_SWEEP; make check, make asan): a dropped event changed nothing, and
# tried again it ends the scenario as the direct run does. Under ASan every 4th scenario
# of tests/scenarios (and every sample's).
if [ -x "$BUILD/faults/bprun" ]; then
  echo "== allocation-failure sweeps of the runtime's events (tests/alloc_sweep.sh)"
  collect sweep
  grep '^FAIL' "$TMP/sweep.out" | head -n 40
  add_counts "alloc_sweep.sh" "$TMP/sweep.out"
else
  echo "== allocation-failure sweeps of the runtime's events: skipped, $BUILD/faults/bprun is not built (make check builds it)"
fi

# ---------------------------------------------------------------------------
# Diagrams (bpc dot, bpc render, traces): tests/dot.sh, its counts added here.
collect dot
dot_rc=$(cat "$TMP/dot.rc")
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/dot.out"
summary=$(tail -n 1 "$TMP/dot.out")
case $summary in
*" passed, "*" failed")
  passed=$((passed + ${summary%% passed*}))
  rest=${summary#*passed, }
  failed=$((failed + ${rest%% failed}))
  ;;
*) fail "tests/dot.sh" "exit status $dot_rc without a summary" ;;
esac

# ---------------------------------------------------------------------------
# The BPMN reader over ../shared/corpus/bpmn (tests/import/bpmn.sh): its cases count here.
if [ -f tests/import/bpmn.sh ]; then
  echo "== BPMN corpus (tests/import/bpmn.sh)"
  collect bpmn
  grep -A 5 '^FAIL' "$TMP/bpmn.out" | head -n 60
  if add_counts "tests/import/bpmn.sh" "$TMP/bpmn.out"; then
    grep '^files ' "$TMP/bpmn.out"
  fi
fi

# ---------------------------------------------------------------------------
# Conformance with bpmn-engine (tests/conformance/run.sh): the corpus's executable models
# run by the peer and by bprun with the same decisions. Without node it prints
# `skipped: node not installed` and counts nothing; CI runs it with --require.
if [ -f tests/conformance/run.sh ]; then
  echo "== conformance with bpmn-engine (tests/conformance/run.sh)"
  collect conf
  grep -E '^(FAIL|conformance|note)' "$TMP/conf.out"
  add_counts "tests/conformance/run.sh" "$TMP/conf.out"
fi

# Bitrix24 templates (tests/import/bitrix.sh): the corpus, the hand-written templates
# and their scenarios, the hostile ones; its cases count here.
if [ -f tests/import/bitrix.sh ]; then
  echo "== Bitrix24 templates (tests/import/bitrix.sh)"
  collect bitrix
  grep -A 5 '^FAIL' "$TMP/bitrix.out" | head -n 60
  add_counts "tests/import/bitrix.sh" "$TMP/bitrix.out"
fi

# `bpc export --bitrix` round trips (tests/import/bitrix_export.sh): its cases count here.
if [ -f tests/import/bitrix_export.sh ]; then
  echo "== export --bitrix round trips (tests/import/bitrix_export.sh)"
  collect bxexport
  grep -e '^FAIL' -e '^bitrix export:' "$TMP/bxexport.out" | head -n 40
  add_counts "tests/import/bitrix_export.sh" "$TMP/bxexport.out"
fi

# `bpc import`: BPMN models printed as .bp text (tests/import/tobp.sh).
if [ -f tests/import/tobp.sh ]; then
  echo "== bpc import to .bp (tests/import/tobp.sh)"
  collect tobp
  grep -A 5 '^FAIL' "$TMP/tobp.out" | head -n 60
  if add_counts "tests/import/tobp.sh" "$TMP/tobp.out"; then
    grep '^bpc import ' "$TMP/tobp.out"
  fi
fi

# The store's database drivers on SQLite and PostgreSQL (tests/pg/run.sh).
if [ -f tests/pg/run.sh ]; then
  echo "== store drivers on SQLite and PostgreSQL (tests/pg/run.sh)"
  collect pg
  grep -e '^FAIL' -e '^note' "$TMP/pg.out" | head -n 40
  add_counts "tests/pg/run.sh" "$TMP/pg.out"
fi

# ---------------------------------------------------------------------------
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
