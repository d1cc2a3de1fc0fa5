#!/bin/sh
# bitrix.sh BUILD [CORPUS] — Bitrix24 templates through bpc (docs/bitrix.md):
#  - every template of CORPUS (default ../shared/corpus/bitrix) and of
#    tests/import/bitrix imports: `bpc import` prints .bp text that `bpc fmt`
#    leaves unchanged and that compiles; compiling the template gives the same
#    bundle bytes as compiling the printed text; `bpc render` draws it;
#  - every scenario tests/import/bitrix/NAME.scn and NAME.*.scn passes on the
#    template NAME.bpt beside it, or on the corpus's zWolf_en_bp-NAME.serialized.bpt
#    (the lists templates), as it is and with --reload;
#  - every hostile template of tests/import/bitrix/bad, and a few made here
#    (arrays nested 100,000 deep, an inflate bomb), is refused with exit status 1
#    and a `FILE: error: ...` message, never a crash or a hang.
# Run from the repository root (tests/run.sh calls it). Ends with `N passed, N failed`.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
CORPUS=${2:-../shared/corpus/bitrix}
case $CORPUS in /*) ;; *) CORPUS=$(pwd)/$CORPUS ;; esac
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
HERE=$(pwd)/tests/import/bitrix
export LC_ALL=C

. tests/lib.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bitrix.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

# sound NAME: fails the case when the last run hung, crashed or tripped a sanitizer.
sound() {
  why=$(unsound "$TMP/err")
  [ -z "$why" ] && why=$(unsound "$TMP/out")
  [ -z "$why" ] && return 0
  fail "$1" "$why"
  return 1
}

templates=""
[ -d "$CORPUS" ] && templates=$(ls "$CORPUS"/*.bpt 2>/dev/null)
templates="$templates $(ls "$HERE"/*.bpt)"

for t in $templates; do
  name=bitrix/$(basename "$t")
  base=$(basename "$t")
  mkdir -p "$TMP/a" "$TMP/b"
  run "$TMP/out" "$TMP/err" "$BPC" import "$t"
  sound "$name import" || continue
  if [ "$rc" -ne 0 ] || [ ! -s "$TMP/out" ]; then
    fail "$name import" "exit status $rc: $(head -n 3 "$TMP/err")"
    continue
  fi
  pass
  grep ': warning: ' "$TMP/err" | sed "s|^$CORPUS/||; s|^$HERE/||; s|^|  |" >>"$TMP/warnings"
  # the printed text is canonical and compiles; both compile to the same bytes
  # (each under the same name, as the bundle records its source's name)
  cp "$TMP/out" "$TMP/b/$base"
  cp "$t" "$TMP/a/$base"
  run "$TMP/out" "$TMP/err" "$BPC" fmt --check "$TMP/b/$base"
  if [ "$rc" -ne 0 ]; then fail "$name fmt" "the printed text is not canonical: $(head -n 3 "$TMP/err")"; else pass; fi
  (cd "$TMP/a" && run "$TMP/out" "$TMP/err" "$BPC" compile "$base" -o "$TMP/a.bundle")
  sound "$name compile" || continue
  if [ "$rc" -ne 0 ]; then fail "$name compile" "exit status $rc: $(head -n 3 "$TMP/err")"; continue; fi
  (cd "$TMP/b" && run "$TMP/out" "$TMP/err" "$BPC" compile "$base" -o "$TMP/b.bundle")
  if [ "$rc" -ne 0 ]; then fail "$name compile text" "exit status $rc: $(head -n 3 "$TMP/err")"
  elif ! cmp -s "$TMP/a.bundle" "$TMP/b.bundle"; then fail "$name same bundle" "the template and its printed text compile to different bundles"
  else pass
  fi
  cp "$TMP/a.bundle" "$TMP/$base.bundle"
  # Under AddressSanitizer, Graphviz's own leaks are suppressed as in tests/dot.sh.
  if [ -n "${ASAN_OPTIONS:-}" ]; then
    ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" \
      LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan-graphviz.supp:print_suppressions=0" \
      run "$TMP/out" "$TMP/err" "$BPC" render "$t" -T svg -o "$TMP/d.svg"
  else
    run "$TMP/out" "$TMP/err" "$BPC" render "$t" -T svg -o "$TMP/d.svg"
  fi
  sound "$name render" || continue
  if [ "$rc" -ne 0 ] || ! grep -q '<svg' "$TMP/d.svg"; then fail "$name render" "exit status $rc: $(head -n 3 "$TMP/err")"; else pass; fi
  rm -rf "$TMP/a" "$TMP/b"
done

# Scenarios: NAME.scn and NAME.*.scn on the template NAME.
for scn in "$HERE"/*.scn; do
  stem=$(basename "$scn" .scn)
  stem=${stem%%.*}
  bundle=$TMP/$stem.bpt.bundle
  [ -f "$bundle" ] || bundle=$TMP/zWolf_en_bp-$stem.serialized.bpt.bundle
  if [ ! -f "$bundle" ]; then
    if [ -f "$HERE/$stem.bpt" ]; then fail "bitrix/$(basename "$scn")" "no bundle of $stem"; fi
    continue # a corpus template that is not here
  fi
  for mode in "" --reload; do
    name="bitrix/$(basename "$scn")${mode:+ $mode}"
    run "$TMP/out" "$TMP/err" "$BPRUN" test "$bundle" "$scn" $mode
    sound "$name" || continue
    if [ "$rc" -ne 0 ] || ! tail -n 1 "$TMP/out" | grep -q '^[0-9]* passed, 0 failed$'; then
      fail "$name" "exit status $rc:"
      head -n 20 "$TMP/out" "$TMP/err"
    else pass
    fi
  done
done

# Hostile templates: refused with a message naming the file, never a crash.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "a:1:{i:0;"; printf "N;"; for (i = 0; i < 100000; i++) printf "}" }' >"$TMP/deep.bpt"
# An inflate bomb: a zlib stream of 200 MB of zeros (about 200 KB), made with the
# zlib the build links: bpc itself never writes one, so a tiny C program does.
cat >"$TMP/bomb.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <zlib.h>
int main(void) {
  static unsigned char in[1 << 20], out[1 << 16];
  z_stream z;
  memset(&z, 0, sizeof z);
  memset(in, 'a', sizeof in);
  in[0] = 'a'; in[1] = ':';
  if (deflateInit(&z, 9) != Z_OK) return 1;
  for (int i = 0; i < 200; i++) {
    z.next_in = in; z.avail_in = sizeof in;
    do {
      z.next_out = out; z.avail_out = sizeof out;
      deflate(&z, i == 199 ? Z_FINISH : Z_NO_FLUSH);
      fwrite(out, 1, sizeof out - z.avail_out, stdout);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return 0;
}
C
bombs=""
if ${CC:-cc} -o "$TMP/bomb" "$TMP/bomb.c" -lz 2>/dev/null && "$TMP/bomb" >"$TMP/bomb.bpt"; then bombs=$TMP/bomb.bpt
else echo "bitrix.sh: no C compiler with zlib here; the inflate bomb is left to the unit tests"
fi
# The message each one must give: the check that refuses it, not merely any error
# (a template that a missing check let through would fail later with another one).
want_of() {
  case $(basename "$1") in
  code.bpt) echo 'activity A1_vote (CodeActivity) at Template/A1_vote: CodeActivity holds PHP code' ;;
  codecondition.bpt) echo 'activity W1 (WhileActivity) at Template/W1: the condition is PHP code (codecondition)' ;;
  count.bpt) echo 'at byte 0: the array claims 99999999 members, more than the data holds' ;;
  duplicate-name.bpt) echo 'the activity Name A3 is used twice (at byte 1131)' ;;
  finalization-results.bpt) echo 'activity draft (StateActivity) at Template/draft: the StateFinalizationActivity F1 holds a step with results' ;;
  formula.bpt) echo 'the calculation `=implode(", ", {=Template:Voters})` is not in the subset' ;;
  not-template.bpt) echo 'no TEMPLATE with a root activity' ;;
  object.bpt) echo 'at byte 20: a PHP object' ;;
  reference.bpt) echo 'at byte 27: a PHP reference' ;;
  string-length.bpt) echo "at byte 20: the string's length 5 does not match its bytes" ;;
  trailing-zlib.bpt) echo 'at byte 604: 4 bytes after the end of the zlib data' ;;
  trailing.bpt) echo 'at byte 1840: 1 bytes after the end of the data' ;;
  truncated-zlib.bpt) echo 'the zlib data is truncated' ;;
  user-object.bpt) echo "activity V1 (SetVariableActivity) at Template/V1: \`{=User:ID}\`: Bitrix's User object is the user the running request acts for" ;;
  utf8.bpt) echo 'at byte 25: the text is not UTF-8' ;;
  deep.bpt) echo 'arrays nested more than 256 deep' ;;
  bomb.bpt) echo 'inflates to more than 67108864 bytes' ;;
  esac
}
for t in "$HERE"/bad/*.bpt "$TMP/deep.bpt" $bombs; do
  name=bitrix/bad/$(basename "$t")
  want=$(want_of "$t")
  if [ -z "$want" ]; then fail "$name" "no expected message for it in bitrix.sh"; continue; fi
  for cmd in import compile; do
    rm -f "$TMP/never.bundle"
    run "$TMP/out" "$TMP/err" "$BPC" $cmd "$t" -o "$TMP/never.bundle"
    [ $cmd = import ] && run "$TMP/out" "$TMP/err" "$BPC" import "$t"
    sound "$name $cmd" || continue
    if [ "$rc" -ne 1 ]; then fail "$name $cmd" "exit status $rc, not 1: $(head -n 3 "$TMP/err")"
    elif ! grep -q -F "$t: error: " "$TMP/err"; then fail "$name $cmd" "no '$t: error: ...' message: $(head -n 3 "$TMP/err")"
    elif ! grep -q -F "$want" "$TMP/err"; then fail "$name $cmd" "not refused by its check ('$want'): $(head -n 3 "$TMP/err")"
    elif [ -e "$TMP/never.bundle" ]; then fail "$name $cmd" "a bundle was written"
    else pass
    fi
  done
done

# Names: an imported step's journal lines name its activity's Name, and its diagram
# node is that Name with the activity's Title (docs/bitrix.md "Names"); a .bp file
# with the same comments but no import header keeps its own ids.
mkdir -p "$TMP/names"
cp "$HERE/vote.bpt" "$TMP/names/vote.bpt"
(cd "$TMP/names" && "$BPC" compile vote.bpt -o vote.bundle 2>/dev/null) &&
  run "$TMP/out" "$TMP/err" "$BPRUN" test "$TMP/names/vote.bundle" "$HERE/vote.scn" --journal "$TMP/names/journal"
if [ "${rc:-1}" -eq 0 ] && grep -q "	A1_vote	opened for a: Vote on Plan" "$TMP/names/journal" &&
   grep -q "	G1	last: " "$TMP/names/journal"; then pass
else fail "bitrix/names journal" "no journal line names A1_vote: $(head -n 5 "$TMP/names/journal" 2>/dev/null)"
fi
run "$TMP/out" "$TMP/err" "$BPC" dot "$HERE/vote.bpt"
if [ "$rc" -eq 0 ] && grep -q '^	A1_vote	' "$TMP/out" && grep -A12 '^	A1_vote	' "$TMP/out" | grep -q 'label=<<FONT>Vote<BR/>'; then pass
else fail "bitrix/names diagram" "no node A1_vote titled Vote: $(grep -m3 -i 'vote' "$TMP/out")"
fi
"$BPC" import "$HERE/vote.bpt" 2>/dev/null | sed 1d >"$TMP/names/plain.bp"
run "$TMP/out" "$TMP/err" "$BPC" dot "$TMP/names/plain.bp"
if [ "$rc" -eq 0 ] && ! grep -q 'A1_vote	' "$TMP/out"; then pass
else fail "bitrix/names plain" "a .bp file without the import header took Bitrix names (exit $rc)"
fi

# `bpc import X.bpt -o OUT.bp` writes what it prints; never over the template itself.
"$BPC" import "$HERE/vote.bpt" >"$TMP/names/stdout.bp" 2>/dev/null
run "$TMP/out" "$TMP/err" "$BPC" import "$HERE/vote.bpt" -o "$TMP/names/o.bp"
if [ "$rc" -eq 0 ] && [ ! -s "$TMP/out" ] && cmp -s "$TMP/names/stdout.bp" "$TMP/names/o.bp"; then pass
else fail "bitrix/import -o" "exit status $rc: $(head -n 3 "$TMP/err")"
fi
run "$TMP/out" "$TMP/err" "$BPC" import "$TMP/names/vote.bpt" -o "$TMP/names/vote.bpt"
if [ "$rc" -eq 2 ] && cmp -s "$HERE/vote.bpt" "$TMP/names/vote.bpt"; then pass
else fail "bitrix/import -o itself" "exit status $rc"
fi

if [ -s "$TMP/warnings" ]; then
  echo "warnings of the imports:"
  sort -u "$TMP/warnings"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
