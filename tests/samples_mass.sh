#!/bin/sh
# samples_mass.sh BUILD — first the samples themselves (tests/tools/samples_docs.py: S1–S20
# each once, each with its scenario, its section and diagram in docs/samples.md); then the
# mass samples S14–S17 run by `bprun mass` on their data
# (samples/data/, made by samples/data/generate.py from fixed seeds), each output compared
# with the expected one committed beside the data:
#   S15 samples/fix_city.bp      on contacts.csv  (600 rows, committed)  -> contacts.expected.csv
#   S17 samples/holding.bp       on companies.csv (1,000, committed)     -> companies.expected.csv
#   S16 samples/reassign_idle.bp on 14,250 contacts generated here       -> idle.expected
#   S14 samples/imported_deals.bp on 16,000 deals generated here         -> deals.expected
# The large outputs are compared by their digest (idle.expected, deals.expected: the summary,
# the first lines, the line count and the SHA-256 of the whole file). The committed inputs must
# be what the generator makes, so that the data and its generator never part.
#
# Run from the repository root (tests/run.sh calls it). Prints one line per failure and ends
# with `N passed, N failed`; exits non-zero on failure. `sh tests/samples_mass.sh BUILD --update`
# rewrites the expected files (check the diff before committing it).
set -u

BUILD=${1:-build}
UPDATE=${2:-}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
TIMEOUT=${TIMEOUT:-60}
export LC_ALL=C
D=samples/data
CLOCK="--clock 2026-03-01T09:00"

. tests/lib.sh
need_built samples_mass.sh "$BPC" "$BPRUN"
make_tmp bpc-smass

# same NAME EXPECTED ACTUAL — the files are the same bytes (or, with --update, EXPECTED
# becomes ACTUAL).
same() {
  if [ "$UPDATE" = --update ]; then cp "$3" "$2"; pass; return; fi
  if cmp -s "$2" "$3"; then pass
  else
    fail "$1" "differs from $2:"
    diff -u "$2" "$3" | head -n 30
  fi
}

# digest OUT.csv SUMMARY — what a large output is compared by.
digest() {
  echo "summary: $(sed -n 's/ (.*//p' "$2" | tail -n 1)"
  echo "lines: $(wc -l <"$1" | tr -d ' ')"
  echo "sha256: $(sha256sum "$1" | cut -d' ' -f1)"
  echo "first lines:"
  head -n 12 "$1"
}

# mass NAME SAMPLE PROCESS IN OUT [param=value...] — compiles the sample and runs it on IN
# with two threads; true when every row completed or terminated.
mass() {
  _name=$1 _src=$2 _proc=$3 _in=$4 _out=$5
  shift 5
  if ! "$BPC" compile "$_src" -o "$TMP/$_proc.bpt" 2>"$TMP/err"; then
    fail "$_name compile" "$(head -n 3 "$TMP/err")"
    return 1
  fi
  run "$TMP/stdout" "$TMP/$_proc.summary" "$BPRUN" mass "$TMP/$_proc.bpt" "$_proc" --documents "$_in" --out "$_out" --jobs 2 $CLOCK "$@"
  _why=$(unsound "$TMP/$_proc.summary")
  if [ -n "$_why" ]; then fail "$_name" "$_why"; return 1; fi
  if [ "$rc" -ne 0 ]; then fail "$_name" "exit status $rc: $(head -n 5 "$TMP/$_proc.summary")"; return 1; fi
  pass
}

# generated NAME KIND FILE — the generator makes FILE (into $TMP/KIND.csv); with FILE
# committed, the two are the same bytes.
generated() {
  if ! python3 $D/generate.py "$2" "$TMP/$2.csv" 2>"$TMP/err"; then
    fail "$1" "generate.py $2: $(head -n 3 "$TMP/err")"
    return 1
  fi
  if [ -n "$3" ]; then
    if cmp -s "$3" "$TMP/$2.csv"; then pass
    else fail "$1" "$3 is not what generate.py $2 makes (run it and commit the file)"
    fi
  else pass
  fi
}

echo "== samples: mass runs (S14–S17)"
if ! command -v python3 >/dev/null 2>&1; then
  fail "samples mass" "python3 is missing (.ci/deps installs it)"
  echo "$passed passed, $failed failed"
  exit 1
fi

# The samples are S1-S20, each with its scenario, its section in docs/samples.md and its
# current diagram; every scenario word is in docs/scenarios.md (tests/tools/samples_docs.py;
# it draws twenty diagrams, a minute under ASan on a busy machine, hence its own time limit).
echo "== samples: ids, scenarios, docs (tests/tools/samples_docs.py)"
timeout -k 5 300 python3 tests/tools/samples_docs.py "$BPC" >"$TMP/docs.out" 2>&1
grep '^FAIL' "$TMP/docs.out" | head -n 20
summary=$(tail -n 1 "$TMP/docs.out")
p=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$p" ]; then fail "samples/docs" "no summary: $(tail -n 5 "$TMP/docs.out")"
else passed=$((passed + p)); failed=$((failed + f))
fi

# S15: 600 contacts, misspelt cities and contract prefixes.
generated "mass/S15 data" contacts $D/contacts.csv &&
  mass "mass/S15 fix_city" samples/fix_city.bp fix_city $D/contacts.csv "$TMP/contacts.out" &&
  same "mass/S15 output" $D/contacts.expected.csv "$TMP/contacts.out"

# S17: 1,000 companies with holding markers.
generated "mass/S17 data" companies $D/companies.csv &&
  mass "mass/S17 holding" samples/holding.bp holding $D/companies.csv "$TMP/companies.out" &&
  same "mass/S17 output" $D/companies.expected.csv "$TMP/companies.out"

# S16: 14,250 contacts, 9,612 of them without an active deal.
generated "mass/S16 data" idle "" &&
  mass "mass/S16 reassign_idle" samples/reassign_idle.bp reassign_idle "$TMP/idle.csv" "$TMP/idle.out" bot=operator_bot &&
  { digest "$TMP/idle.out" "$TMP/reassign_idle.summary" >"$TMP/idle.digest"; same "mass/S16 output" $D/idle.expected "$TMP/idle.digest"; }
if [ -f "$TMP/idle.out" ]; then
  n=$(grep -c ',operator_bot,.*,completed,$' "$TMP/idle.out")
  if [ "$n" -eq 9612 ]; then pass; else fail "mass/S16 count" "$n contacts went to operator_bot, not 9612"; fi
fi

# S14: 16,000 imported deals.
generated "mass/S14 data" deals "" &&
  mass "mass/S14 import_deal" samples/imported_deals.bp import_deal "$TMP/deals.csv" "$TMP/deals.out" &&
  { digest "$TMP/deals.out" "$TMP/import_deal.summary" >"$TMP/deals.digest"; same "mass/S14 output" $D/deals.expected "$TMP/deals.digest"; }

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
