#!/bin/sh
# bitrix_export.sh BUILD — `bpc export --bitrix` round trips (docs/bitrix.md "Export"):
#  - every .bp of samples/, of the spec's examples and of tests/import/bitrix/export
#    is exported to a Bitrix24 template, or refused with `FILE:LINE:COL: error:`
#    naming the construct (a file whose first lines say `# refused: TEXT` must be
#    refused with a message holding TEXT);
#  - an export is zlib data (78 DA) holding the PHP serialize data --plain writes;
#    `bpc import` reads it back and `bpc check` accepts it; the template is named
#    after the process (the importer names the process after the file), and the
#    original's scenarios (FILE.scn, FILE.*.scn) pass on it, as it is and with --reload.
# Prints `outcome FILE: exported|refused ...` lines, the export's warnings, and
# ends with `N passed, N failed`.
set -u
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
export LC_ALL=C
if [ -n "${ASAN_OPTIONS:-}" ]; then TIMEOUT=${TIMEOUT_ASAN:-120}; fi
. tests/lib.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bitrix-export.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

sound() {
  why=$(unsound "$TMP/err")
  [ -z "$why" ] && why=$(unsound "$TMP/out")
  [ -z "$why" ] && return 0
  fail "$1" "$why"
  return 1
}

exported=0 refused=0
# The samples that export (docs/bitrix.md); a test of tests/import/bitrix/export
# with a scenario must export too.
MUST_EXPORT="samples/first_vote.bp samples/simple_vote.bp samples/two_stage_approval.bp"
for src in samples/*.bp ../shared/spec/examples/*.bp tests/import/bitrix/export/*.bp; do
  [ -f "$src" ] || continue
  name=bitrix-export/$src
  base=${src%.bp}
  proc=$(sed -n 's/^process \([^ ]*\) .*/\1/p' "$src" | head -n 1)
  want=$(sed -n '1,3s/^# refused: //p' "$src")
  rm -rf "$TMP/w"
  mkdir -p "$TMP/w"
  out=$TMP/w/$proc.bpt
  run "$TMP/out" "$TMP/err" "$BPC" export --bitrix "$src" -o "$out"
  sound "$name export" || continue
  grep ': warning: ' "$TMP/err" | sed 's/^/  /'
  if [ "$rc" -eq 1 ]; then
    msg=$(grep -m1 ': error: ' "$TMP/err")
    echo "outcome $src: refused: $msg"
    refused=$((refused + 1))
    if [ -f "$base.scn" ] && { [ "${src#tests/}" != "$src" ] || echo " $MUST_EXPORT " | grep -qF " $src "; }; then
      fail "$name refused" "should export and pass its scenarios: $msg"
    elif ! echo "$msg" | grep -q "^$src:[0-9]*:[0-9]*: error: "; then
      fail "$name refused" "no FILE:LINE:COL: error: line: $(head -n 3 "$TMP/err")"
    elif [ -n "$want" ] && ! echo "$msg" | grep -qF "$want"; then
      fail "$name refused" "expected a message with '$want', got: $msg"
    else
      pass
    fi
    continue
  fi
  if [ "$rc" -ne 0 ]; then fail "$name export" "exit status $rc: $(head -n 3 "$TMP/err")"; continue; fi
  if [ -n "$want" ]; then fail "$name export" "exported, but should be refused ($want)"; continue; fi
  echo "outcome $src: exported as $proc.bpt"
  exported=$((exported + 1))
  # zlib level 9, as Bitrix's export (gzcompress(…, 9)): 78 DA; inside, the plain data
  if [ "$(od -An -tx1 -N2 "$out" | tr -d ' ')" != 78da ]; then fail "$name zlib" "the export does not start with 78 DA"; else pass; fi
  run "$TMP/out" "$TMP/err" "$BPC" export --bitrix "$src" --plain -o "$TMP/w/plain.bpt"
  if [ "$rc" -ne 0 ] || [ "$(head -c 5 "$TMP/w/plain.bpt")" != 'a:6:{' ]; then
    fail "$name plain" "exit status $rc: $(head -c 40 "$TMP/w/plain.bpt")"
  else
    pass
  fi
  # both forms import to the same text
  run "$TMP/out" "$TMP/err" "$BPC" import "$out"
  sound "$name import" || continue
  if [ "$rc" -ne 0 ]; then fail "$name import" "exit status $rc: $(head -n 5 "$TMP/err")"; continue; fi
  cp "$TMP/out" "$TMP/w/a.bp"
  cp "$TMP/w/plain.bpt" "$TMP/w/$proc.bpt.plain"
  (cd "$TMP/w" && mv "$proc.bpt" z.keep && mv "$proc.bpt.plain" "$proc.bpt" &&
    "$BPC" import "$proc.bpt" >b.bp 2>/dev/null; mv "$proc.bpt" plain.keep && mv z.keep "$proc.bpt")
  if ! cmp -s "$TMP/w/a.bp" "$TMP/w/b.bp"; then fail "$name same" "the zlib and the plain export import differently"; else pass; fi
  run "$TMP/out" "$TMP/err" "$BPC" check "$out"
  if [ "$rc" -ne 0 ]; then fail "$name check" "exit status $rc: $(head -n 5 "$TMP/err")"; continue; fi
  pass
  run "$TMP/out" "$TMP/err" "$BPC" compile "$out" -o "$TMP/w/x.bundle"
  if [ "$rc" -ne 0 ]; then fail "$name compile" "exit status $rc: $(head -n 5 "$TMP/err")"; continue; fi
  for scn in "$base.scn" "$base".*.scn; do
    [ -f "$scn" ] || continue
    for mode in "" --reload; do
      run "$TMP/out" "$TMP/err" "$BPRUN" test "$TMP/w/x.bundle" "$scn" $mode
      sound "$name $(basename "$scn")${mode:+ $mode}" || continue
      if [ "$rc" -ne 0 ] || ! tail -n 1 "$TMP/out" | grep -q '^[0-9]* passed, 0 failed$'; then
        fail "$name $(basename "$scn")${mode:+ $mode}" "exit status $rc: $(grep -m3 -e FAIL -e error "$TMP/out" "$TMP/err")"
      else
        pass
      fi
    done
  done
done

# The command line: a format must be named; -p and --plain where they do not belong.
run "$TMP/out" "$TMP/err" "$BPC" export samples/first_vote.bp
if [ "$rc" -eq 2 ]; then pass; else fail "bitrix-export/no format" "exit status $rc"; fi
run "$TMP/out" "$TMP/err" "$BPC" export --bitrix --bpmn samples/first_vote.bp
if [ "$rc" -eq 2 ]; then pass; else fail "bitrix-export/two formats" "exit status $rc"; fi
run "$TMP/out" "$TMP/err" "$BPC" export --bitrix samples/first_vote.bp -p x
if [ "$rc" -eq 2 ]; then pass; else fail "bitrix-export/-p" "exit status $rc"; fi
# -o - writes to stdout; the default output is FILE with .bpt
run "$TMP/out" "$TMP/err" "$BPC" export --bitrix samples/first_vote.bp --plain -o -
if [ "$rc" -eq 0 ] && [ "$(head -c 5 "$TMP/out")" = 'a:6:{' ]; then pass; else fail "bitrix-export/-o -" "exit status $rc"; fi
cp samples/first_vote.bp "$TMP/fv.bp"
run "$TMP/out" "$TMP/err" "$BPC" export --bitrix "$TMP/fv.bp"
if [ "$rc" -eq 0 ] && [ -s "$TMP/fv.bpt" ]; then pass; else fail "bitrix-export/default output" "exit status $rc"; fi
# a template exported again: through its .bp text; never over itself unasked
run "$TMP/out" "$TMP/err" "$BPC" export --bitrix "$TMP/fv.bpt"
if [ "$rc" -eq 2 ] && grep -q 'over itself' "$TMP/err"; then pass; else fail "bitrix-export/over itself" "exit status $rc"; fi
run "$TMP/out" "$TMP/err" "$BPC" export --bitrix "$TMP/fv.bpt" -o "$TMP/fv2.bpt"
if [ "$rc" -eq 0 ] && "$BPC" check "$TMP/fv2.bpt" >/dev/null 2>&1; then pass; else fail "bitrix-export/again" "exit status $rc: $(head -n 3 "$TMP/err")"; fi

echo "bitrix export: $exported exported, $refused refused"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
