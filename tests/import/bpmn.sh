#!/bin/sh
# bpmn.sh BUILD [CORPUS] — the BPMN reader over real files: BUILD/tests/bpmn_sweep
# reads every file under CORPUS (default ../shared/corpus/bpmn, beside the
# checkout) and prints `PATH: OK PROCESSES ELEMENTS` or `PATH: REFUSED` with the
# reader's messages. A case fails on a crash, a hang, a sanitizer report, or a
# refusal without a `PATH:LINE: error: REASON` line; every `error__*` file must
# be refused, except the few listed below with the reason this stage reads them.
#
# Run from the repository root (tests/run.sh calls it). Prints one line per
# failure, the sweep's totals (files, read, refused, MB/s) and ends with
# `N passed, N failed`.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
CORPUS=${2:-../shared/corpus/bpmn}
SWEEP=$BUILD/tests/bpmn_sweep
TIMEOUT=${TIMEOUT:-120}
export LC_ALL=C

. tests/lib.sh

# error__ files of the corpus this stage reads, and why (bpmn-moddle warns about them):
#   bad-encoding: declares windows-1252, which the issue asks bpc to read; every byte
#     of it is ASCII, which windows-1252 means as ASCII, so the declaration is true and
#     nothing in the file is wrong (bpmn-moddle only warns that it reads UTF-8 alone).
#     It holds no process: valid BPMN, compiled to an empty bundle with a warning at
#     its definitions, as empty-definitions.bpmn (the same file in UTF-8) is and as an
#     empty .bp program is (docs/bpmn.md).
#     A windows-1252 file whose bytes are not windows-1252 is refused
#     (tests/unit/test_bpmn.c, test_latin1_and_windows1252).
READ_ON_PURPOSE="bad-encoding"

if [ ! -x "$SWEEP" ]; then
  fail "bpmn/sweep" "$SWEEP is missing (make unit)"
  echo "$passed passed, $failed failed"
  exit 1
fi
if [ ! -d "$CORPUS" ]; then
  echo "bpmn.sh: no corpus at $CORPUS; nothing to sweep"
  echo "$passed passed, $failed failed"
  exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpmn-sweep.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

run "$TMP/out" "$TMP/err" "$SWEEP" "$CORPUS"
why=$(unsound "$TMP/err")
[ -z "$why" ] && why=$(unsound "$TMP/out")
if [ -n "$why" ]; then
  fail "bpmn/sweep" "$why"
  tail -n 20 "$TMP/err"
elif [ "$rc" -ne 0 ]; then
  fail "bpmn/sweep" "exit status $rc: $(head -n 3 "$TMP/err")"
else
  pass
fi

# One case per file: read, or refused with a reason.
grep -E ': (OK [0-9]+ [0-9]+|REFUSED)$' "$TMP/out" >"$TMP/files"
while IFS= read -r line; do
  path=${line%: *}
  path=${path%: OK*}
  name=bpmn/$(basename "$path")
  case $line in
  *": REFUSED")
    # PATH:LINE: error: REASON, with a reason of some length
    if grep -F "$path:" "$TMP/out" | grep -q -E "^[^ ]*:[0-9]+: error: .{8,}"; then
      pass
    else
      fail "$name" "refused without a 'file:line: error: reason' message"
    fi
    ;;
  *)
    base=$(basename "$path" .bpmn)
    case $base in
    error__*)
      if echo " $READ_ON_PURPOSE " | grep -q " ${base#error__} "; then pass
      else fail "$name" "an error__ file was read without an error"
      fi
      ;;
    *) pass ;;
    esac
    ;;
  esac
done <"$TMP/files"

if [ ! -s "$TMP/files" ]; then fail "bpmn/sweep" "no file was read under $CORPUS"; fi
tail -n 1 "$TMP/out"

# `bpc check` on every file: read, mapped to the graph IR and finished (exit 0),
# or refused (exit 1) with `PATH:LINE: error: ...` lines. Anything else fails:
# a crash, a hang, a sanitizer report, another exit status, a refusal without
# such a line, an error__ file (but those above) that is not refused.
BPC=$BUILD/bpc
if [ ! -x "$BPC" ]; then
  fail "bpmn/check" "$BPC is missing (make all)"
else
  compiled=0 empty=0 refused=0 rest=0 rest_ok=0
  : >"$TMP/reasons"
  find "$CORPUS" -type f \( -name '*.bpmn' -o -name '*.xml' \) | sort >"$TMP/list"
  while IFS= read -r path; do
    base=$(basename "$path" .bpmn)
    name=bpmn-check/$base
    run "$TMP/cout" "$TMP/cerr" "$BPC" check "$path"
    why=$(unsound "$TMP/cerr")
    is_error=no
    case $base in error__*)
      is_error=yes
      echo " $READ_ON_PURPOSE " | grep -q " ${base#error__} " && is_error=read ;;
    esac
    [ $is_error = no ] && rest=$((rest + 1))
    if [ -n "$why" ]; then
      fail "$name" "$why"
    elif [ "$rc" -eq 0 ]; then
      if [ $is_error = yes ]; then fail "$name" "an error__ file was compiled"
      else
        pass
        compiled=$((compiled + 1))
        [ $is_error = no ] && rest_ok=$((rest_ok + 1))
        grep -q "nothing to run" "$TMP/cerr" && empty=$((empty + 1))
      fi
    elif [ "$rc" -eq 1 ]; then
      # PATH:LINE: error: REASON, with a reason of some length
      if grep -F "$path:" "$TMP/cerr" | grep -q -E "^[^ ]*:[0-9]+: error: .{8,}"; then
        pass
        refused=$((refused + 1))
        # the reasons of this file, once each: the message without the id,
        # quoted text and the parenthesis
        grep -E "^[^ ]*:[0-9]+: error: " "$TMP/cerr" |
          sed -e 's/^[^ ]*:[0-9]*: error: //' -e 's/^[^ :]*: //' -e 's/ (.*//' \
              -e 's/`[^`]*`/`…`/g' -e 's/"[^"]*"/"…"/g' -e 's/_[0-9a-f-]\{8,\}//g' | sort -u >>"$TMP/reasons"
      else
        fail "$name" "refused without a 'file:line: error: reason' message: $(head -n 2 "$TMP/cerr")"
      fi
    else
      fail "$name" "exit status $rc: $(head -n 2 "$TMP/cerr")"
    fi
  done <"$TMP/list"
  echo "bpc check: refusal reasons (files):"
  sort "$TMP/reasons" | uniq -c | sort -rn | head -n 25
  echo "files checked by bpc: $((compiled + refused)), compiled $compiled ($empty with no process to run), refused $refused; of the $rest files that are not error__ cases $rest_ok compile ($((rest ? rest_ok * 100 / rest : 0))%)"
fi

# `-p ID` on compile and check picks one process of a BPMN model (as dot and
# render do); a .bp file is compiled whole (exit 2); an unknown id is an error.
if [ -x "$BPC" ]; then
  TWO=$TMP/two.bpmn
  cat >"$TWO" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<process id="one" isExecutable="true"><startEvent id="s1"/><serviceTask id="a1"/><endEvent id="e1"/>
<sequenceFlow id="f1" sourceRef="s1" targetRef="a1"/><sequenceFlow id="f2" sourceRef="a1" targetRef="e1"/></process>
<process id="two" isExecutable="true"><startEvent id="s2"/><serviceTask id="a2"/><endEvent id="e2"/>
<sequenceFlow id="g1" sourceRef="s2" targetRef="a2"/><sequenceFlow id="g2" sourceRef="a2" targetRef="e2"/></process>
</definitions>
XML
  run "$TMP/cout" "$TMP/cerr" "$BPC" compile "$TWO" -o "$TMP/all.bpt"
  run "$TMP/dout" "$TMP/derr" "$BPC" disasm "$TMP/all.bpt"
  n=$(grep -c '^process ' "$TMP/dout")
  [ "$n" -eq 2 ] && pass || fail "bpmn-cli/compile both" "$n processes: $(head -n 2 "$TMP/cerr")"
  run "$TMP/cout" "$TMP/cerr" "$BPC" compile "$TWO" -p two -o "$TMP/two.bpt"
  run "$TMP/dout" "$TMP/derr" "$BPC" disasm "$TMP/two.bpt"
  if [ "$(grep '^process ' "$TMP/dout" | cut -d' ' -f2 | tr '\n' ' ')" = "two " ]; then pass
  else fail "bpmn-cli/compile -p two" "$(grep '^process ' "$TMP/dout") $(head -n 2 "$TMP/cerr")"; fi
  run "$TMP/cout" "$TMP/cerr" "$BPC" check -p one "$TWO"
  [ "$rc" -eq 0 ] && pass || fail "bpmn-cli/check -p one" "exit $rc: $(head -n 2 "$TMP/cerr")"
  run "$TMP/cout" "$TMP/cerr" "$BPC" compile "$TWO" -p three -o "$TMP/three.bpt"
  if [ "$rc" -eq 1 ] && grep -q "three: no process of this file has this id" "$TMP/cerr" && [ ! -e "$TMP/three.bpt" ]; then pass
  else fail "bpmn-cli/compile -p three" "exit $rc: $(head -n 2 "$TMP/cerr")"; fi
  run "$TMP/cout" "$TMP/cerr" "$BPC" compile samples/statuses.bp -p x -o "$TMP/s.bpt"
  if [ "$rc" -eq 2 ] && grep -q -- "-p picks one process of a BPMN model" "$TMP/cerr"; then pass
  else fail "bpmn-cli/compile .bp -p" "exit $rc: $(head -n 2 "$TMP/cerr")"; fi
  run "$TMP/cout" "$TMP/cerr" "$BPC" check -p
  [ "$rc" -eq 2 ] && pass || fail "bpmn-cli/check -p without an id" "exit $rc"
  # A file with no process to run is valid (an empty bundle, as an empty .bp program):
  # exit 0 and a warning at the definitions' line naming it.
  printf '<?xml version="1.0"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"\n id="d" targetNamespace="t"><collaboration id="c"/></definitions>\n' >"$TMP/none.bpmn"
  run "$TMP/cout" "$TMP/cerr" "$BPC" compile "$TMP/none.bpmn" -o "$TMP/none.bpt"
  if [ "$rc" -eq 0 ] && grep -q "none.bpmn:2: warning: d: the file has no process with flow elements: nothing to run" "$TMP/cerr"; then pass
  else fail "bpmn-cli/no process" "exit $rc: $(head -n 2 "$TMP/cerr")"; fi
  : >"$TMP/none.bp"
  run "$TMP/cout" "$TMP/cerr" "$BPC" compile "$TMP/none.bp" -o "$TMP/none2.bpt"
  [ "$rc" -eq 0 ] && pass || fail "bpmn-cli/empty .bp" "exit $rc: $(head -n 2 "$TMP/cerr")"
fi
# Golden diagnostics (tests/import/golden): `bpc check` of each file prints exactly its
# .err file; ok_* files compile (exit 0), the others are refused (exit 1).
if [ -x "$BPC" ]; then
  for f in tests/import/golden/*.bpmn; do
    b=$(basename "$f" .bpmn)
    (cd tests/import/golden && "$BPC" check "$b.bpmn") >"$TMP/cout" 2>"$TMP/cerr"
    rc=$?
    case $b in ok_*) want=0 ;; *) want=1 ;; esac
    if [ "$rc" -eq "$want" ] && cmp -s "$TMP/cerr" "tests/import/golden/$b.err"; then pass
    else fail "bpmn-golden/$b" "exit $rc (want $want): $(diff "tests/import/golden/$b.err" "$TMP/cerr" | head -n 10)"; fi
  done
fi
# Modelling warnings (bpmnlint's rules, docs/bpmn.md "Modelling warnings"): exactly
# these, each with the element's id and line; the model still compiles.
if [ -x "$BPC" ]; then
  (cd tests/import/lint && "$BPC" check lint.bpmn) >"$TMP/cout" 2>"$TMP/cerr"
  rc=$?
  if [ "$rc" -eq 0 ] && cmp -s "$TMP/cerr" tests/import/lint/lint.err; then pass
  else fail "bpmn-lint/lint.bpmn" "exit $rc: $(diff tests/import/lint/lint.err "$TMP/cerr" | head -n 10)"; fi
  (cd tests/import/lint && "$BPC" check starts.bpmn) >"$TMP/cout" 2>"$TMP/cerr"
  if grep -q '^starts.bpmn:4: warning: starts: 2 blank start events: which one a start takes is not said (single-blank-start-event)$' "$TMP/cerr"; then pass
  else fail "bpmn-lint/starts.bpmn" "$(head -n 3 "$TMP/cerr")"; fi
  # an export's own structure (bpc:ir) is not linted: its merges and splits are bpc's
  run "$TMP/cout" "$TMP/cerr" "$BPC" export --bpmn samples/statuses.bp -o "$TMP/st.bpmn"
  run "$TMP/cout" "$TMP/cerr" "$BPC" check "$TMP/st.bpmn"
  if [ "$rc" -eq 0 ] && [ ! -s "$TMP/cerr" ]; then pass
  else fail "bpmn-lint/export" "exit $rc: $(head -n 3 "$TMP/cerr")"; fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
