#!/bin/sh
# run.sh BUILD [--require] [MODEL.bpmn ...] — conformance with a peer: every executable
# model of the corpus's bpmn-engine folder (and the other models cases.txt names, and the
# BPMN models of tests/scenarios that are not copies of those) runs with bpmn-engine and, compiled by bpc, with bprun,
# both driven by the same decisions, and the sequences of completed activities are
# compared.
#
# For each model: `bpc compile`; a refusal is reported with bpc's reason (not a failure:
# the importer grows, and the model is picked up when it compiles). Otherwise, for each
# case of tests/conformance/cases.txt (the variables a run starts with; a model not listed
# there has one case, `default`) and each policy (`users`: user tasks are completed before
# time passes; `timers`: timers fire first — shown only when it decides differently),
# tests/conformance/engine.js runs bpmn-engine with fake timers, records its sequence and
# writes its decisions as a scenario; `bprun test --journal` replays them on the bundle,
# and the journal gives bprun's sequence: a step closed (a task done), a host call
# answered (at the node that called it). The two agree when the sequences are equal, both
# ended alike (completed, or terminated by a terminate end event; failed or ended by an
# error; still waiting) and bprun took every decision. A disagreement fails the case
# unless tests/conformance/explained.txt lists it, with both outcomes as shown and the
# reason docs/bpmn.md gives.
#
# Prints one table row per case (Markdown: docs/bpmn.md shows the table) and ends with
# `N passed, N failed`. Needs node; bench/peers/install.sh installs the pinned peers. On
# a machine without node (or without the npm registry the first time) it prints
# `skipped: ...` and passes, unless --require is given (CI: there it must run).
# Run from the repository root.
set -u

BUILD=${1:-build}
[ $# -gt 0 ] && shift
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
REQUIRE=0
if [ "${1:-}" = --require ]; then
  REQUIRE=1
  shift
fi
CORPUS=${BPC_CORPUS:-../shared/corpus/bpmn}
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
HERE=tests/conformance
TIMEOUT=${TIMEOUT:-60}
export LC_ALL=C

. tests/lib.sh

skip() {
  echo "conformance with bpmn-engine: skipped: $1"
  if [ "$REQUIRE" -eq 1 ]; then
    fail "conformance" "required (--require) but $1"
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

if [ ! -x "$BPC" ] || [ ! -x "$BPRUN" ]; then
  fail "conformance" "$BPC or $BPRUN is missing (make)"
  echo "$passed passed, $failed failed"
  exit 1
fi
command -v node >/dev/null 2>&1 || skip "node not installed"
sh bench/peers/install.sh
case $? in
0) ;;
3) skip "node or npm not installed" ;;
*) skip "the peers could not be installed (npm ci failed; see above)" ;;
esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-conformance.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

ONLY=
if [ $# -gt 0 ]; then
  ONLY=1
  MODELS="$*"
else
  # The bpmn-engine folder of the corpus, the other corpus models cases.txt names, and the
  # BPMN models of tests/scenarios.
  MODELS=
  for f in "$CORPUS"/bpmn-engine/*.bpmn; do
    [ -f "$f" ] && MODELS="$MODELS $f"
  done
  for m in $(awk '!/^[[:space:]]*(#|$)/ && !seen[$1]++ { print $1 }' "$HERE/cases.txt"); do
    case $m in
    bpmn-engine/* | tests/*) ;;
    *) [ -f "$CORPUS/$m" ] && MODELS="$MODELS $CORPUS/$m" ;;
    esac
  done
  # (the scenarios' copies of corpus models once: as corpus models)
  for f in tests/scenarios/bpmn_*.bpmn; do
    [ -f "$f" ] || continue
    copy=
    for m in $MODELS; do
      if cmp -s "$f" "$m"; then copy=1; break; fi
    done
    [ -z "$copy" ] && MODELS="$MODELS $f"
  done
fi

# A model's label: its path under the corpus, or in the repository.
label() {
  case $1 in
  "$CORPUS"/*) echo "${1#"$CORPUS"/}" ;;
  *) echo "$1" ;;
  esac
}

# The cases of a model (NAME and NAME=VALUE words), one a line; `default` when none.
cases_of() {
  awk -v m="$1" '!/^[[:space:]]*(#|$)/ && $1 == m { $1 = ""; sub(/^ /, ""); print; n++ }
    END { if (!n) print "default" }' "$HERE/cases.txt"
}

# The reason a disagreement is explained, or nothing: a line of explained.txt
# `MODEL CASE POLICY | BPMN-ENGINE | BPRUN | REASON` whose two outcomes are the ones shown
# now (a disagreement that changes is a new one).
explained() {
  awk -F ' [|] ' -v key="$1 $2 $3" -v e="$4" -v b="$5" '!/^[[:space:]]*(#|$)/ {
    k = $1; gsub(/[[:space:]]+/, " ", k); sub(/ $/, "", k)
    if (k == key && $2 == e && $3 == b) { print $4; exit } }' "$HERE/explained.txt"
}

# A table cell for a sequence ("—" when empty), shortened when long.
cell() {
  if [ -z "$1" ]; then echo "—"
  else echo "$1" | awk '{ if (NF > 8) { $0 = $1 " " $2 " " $3 " " $4 " … (" NF " in all)" } print }'
  fi
}
esc() { echo "$1" | sed 's/|/\\|/g'; }

# ---- 1. compile every model; the runs bpmn-engine is to make ------------------------------
: >"$TMP/jobs"
: >"$TMP/plan"
i=0
for model in $MODELS; do
  i=$((i + 1))
  name=$(label "$model")
  : >"$TMP/rows.$i"
  bpt=$TMP/$i.bpt
  run "$TMP/c.out" "$TMP/c.err" "$BPC" compile "$model" -o "$bpt"
  why=$(unsound "$TMP/c.err")
  if [ -n "$why" ]; then
    fail "conformance/$name compile" "$why"
    continue
  fi
  if [ "$rc" -ne 0 ]; then
    reason=$(grep -m1 ': error: ' "$TMP/c.err" | sed -e 's/^.*: error: //')
    nerr=$(grep -c ': error: ' "$TMP/c.err")
    [ "$nerr" -gt 1 ] && reason="$reason (and $((nerr - 1)) more)"
    echo "| $name | — | — | — | refused by bpc: $(esc "${reason:-exit status $rc}") |" >>"$TMP/rows.$i"
    echo "refused" >"$TMP/refused.$i"
    pass
    continue
  fi
  # The first process of the bundle and its parameters with their types.
  "$BPC" disasm "$bpt" >"$TMP/dis" 2>&1
  proc=$(awk '$1 == "process" { print $2; exit }' "$TMP/dis")
  if [ -z "$proc" ]; then
    echo "| $name | — | — | — | no process to run (bpc compiles none) |" >>"$TMP/rows.$i"
    pass
    continue
  fi
  nprocs=$(grep -c '^process ' "$TMP/dis")
  [ "$nprocs" -gt 1 ] && echo "note: $name has $nprocs processes; the first, $proc, is run" >"$TMP/note.$i"
  params=$(awk -v p="$proc" '$1 == "process" { inp = ($2 == p) } inp && $NF == "param" && NF == 4 { printf " --param %s:%s", $2, $3 }' "$TMP/dis")
  cases_of "$name" | while IFS= read -r casewords; do
    # shellcheck disable=SC2086
    set -- $casewords
    case_name=$1
    shift
    sets=
    for kv in "$@"; do sets="$sets --set $kv"; done
    for policy in users timers; do
      k=$i.$case_name.$policy
      echo "$model --process $proc --policy $policy --scn $TMP/$k.scn --out $TMP/$k.out$params$sets" >>"$TMP/jobs"
      echo "$i $name $case_name $policy $k" >>"$TMP/plan"
    done
  done
done
nmodels=$i

# ---- 2. bpmn-engine, every run in one node process ----------------------------------------
if [ -s "$TMP/jobs" ]; then
  TIMEOUT=600 run "$TMP/node.out" "$TMP/node.err" node "$HERE/engine.js" --jobs "$TMP/jobs"
  if [ "$rc" -ne 0 ]; then
    fail "conformance/engine.js" "exit status $rc: $(head -n 10 "$TMP/node.err")"
  fi
fi

# ---- 3. bprun, the same decisions; compare ------------------------------------------------
agree=0
disagree=0
explain=0
: >"$TMP/used"
while read -r i name case_name policy k; do
  out=$TMP/$k.out
  scn=$TMP/$k.scn
  if [ ! -s "$out" ]; then
    fail "conformance/$name $case_name $policy" "engine.js made no result"
    continue
  fi
  tail -n +2 "$scn" >"$scn.body"
  # The timers policy only when it decides differently.
  if [ "$policy" = timers ] && tail -n +2 "$TMP/$i.$case_name.users.scn" | cmp -s - "$scn.body"; then continue; fi
  eseq=$(sed -n 's/^sequence *//p' "$out")
  estatus=$(sed -n 's/^status //p' "$out")
  case $estatus in
  refused*)
    echo "| $name | $case_name, $policy | — | — | refused by bpmn-engine: $(esc "${estatus#refused }") |" >>"$TMP/rows.$i"
    pass
    continue
    ;;
  "engine.js failed"*)
    fail "conformance/$name $case_name $policy" "$estatus"
    continue
    ;;
  esac

  # Every lane is a role whose user is the performer.
  set -- env
  while IFS= read -r r; do
    [ -n "$r" ] && set -- "$@" "BPRUN_ROLE_$r=pat"
  done <<EOF_ROLES
$(sed -n 's/^role //p' "$out")
EOF_ROLES
  rm -f "$TMP/journal"
  run "$TMP/b.out" "$TMP/b.err" "$@" "$BPRUN" test "$TMP/$i.bpt" "$scn" --journal "$TMP/journal"
  why=$(unsound "$TMP/b.err")
  [ -z "$why" ] && why=$(unsound "$TMP/b.out")
  if [ -n "$why" ]; then
    fail "conformance/$name $case_name $policy" "bprun: $why"
    continue
  fi
  bseq=$(awk -F '\t' '/^#/ { next }
    $5 ~ /^called / { n = $5; sub(/^called /, "", n); sub(/\(.*/, "", n); at[n] = $4 }
    $5 ~ /^answered / { n = $5; sub(/^answered /, "", n); sub(/:.*/, "", n); printf "%s%s", sep, (n in at ? at[n] : n); sep = " " }
    $5 ~ /^closed: / { printf "%s%s", sep, $4; sep = " " }' "$TMP/journal" 2>/dev/null)
  bstatus=$(awk -F '\t' '/^#/ { next } { t = $5 }
    END { if (t == "completed") print "completed"; else if (t ~ /^terminated/ || t ~ /^failed/) print t; else print "waiting" }' \
    "$TMP/journal" 2>/dev/null)
  [ -s "$TMP/journal" ] || bstatus="not started"
  refusal=$(grep -m1 -E '^[^ ]*:[0-9]+: ' "$TMP/b.out" | sed "s|^$TMP/||")
  [ -z "$refusal" ] && [ "$rc" -ne 0 ] && refusal="exit status $rc: $(head -n 2 "$TMP/b.out" "$TMP/b.err" | tr '\n' ' ')"

  # Equal sequences, and ended alike. When bpmn-engine ran away (a loop it runs with no
  # decision in between), bprun waits for the next decision after as many.
  same_end=0
  case $estatus:$bstatus in
  completed:completed | waiting:waiting | runaway*:waiting) same_end=1 ;;
  completed:terminated*) case $bstatus in *": error "*) ;; *) same_end=1 ;; esac ;;
  error*:"terminated: error "* | error*:failed*) same_end=1 ;;
  esac
  shown_e="$(cell "$eseq") ($estatus)"
  shown_b="$(cell "$bseq") ($bstatus)"
  if [ "$eseq" = "$bseq" ] && [ "$same_end" -eq 1 ] && [ -z "$refusal" ]; then
    echo "| $name | $case_name, $policy | $(esc "$shown_e") | $(esc "$shown_b") | agree |" >>"$TMP/rows.$i"
    agree=$((agree + 1))
    pass
    continue
  fi
  detail=
  [ -n "$refusal" ] && detail=" (bprun: $refusal)"
  reason=$(explained "$name" "$case_name" "$policy" "$shown_e" "$shown_b")
  if [ -n "$reason" ]; then
    echo "| $name | $case_name, $policy | $(esc "$shown_e") | $(esc "$shown_b") | disagree, explained: $reason |" >>"$TMP/rows.$i"
    echo "$name $case_name $policy" >>"$TMP/used"
    explain=$((explain + 1))
    pass
  else
    echo "| $name | $case_name, $policy | $(esc "$shown_e") | $(esc "$shown_b") | DISAGREE$(esc "$detail") |" >>"$TMP/rows.$i"
    disagree=$((disagree + 1))
    fail "conformance/$name $case_name $policy" "bpmn-engine: $shown_e; bprun: $shown_b$detail"
    {
      echo "  to explain it, add to $HERE/explained.txt (with the reason docs/bpmn.md gives):"
      echo "  $name $case_name $policy | $shown_e | $shown_b | REASON"
      echo "  the decisions:"
      head -n 12 "$scn" | sed 's/^/    /'
      [ "$(wc -l <"$scn")" -gt 12 ] && echo "    ..."
    } >>"$TMP/why"
  fi
done <"$TMP/plan"

# ---- 4. the table --------------------------------------------------------------------------
echo "| model | case, policy | bpmn-engine | bprun | result |"
echo "| --- | --- | --- | --- | --- |"
j=1
while [ "$j" -le "$nmodels" ]; do
  cat "$TMP/rows.$j" 2>/dev/null
  j=$((j + 1))
done
cat "$TMP"/note.* 2>/dev/null
[ -s "$TMP/why" ] && cat "$TMP/why"
# Explanations no case needed are stale (the case agrees now, or its outcome changed).
if [ -z "$ONLY" ]; then
  awk -F ' [|] ' '!/^[[:space:]]*(#|$)/ { k = $1; gsub(/[[:space:]]+/, " ", k); sub(/ $/, "", k); print k }' \
    "$HERE/explained.txt" | while IFS= read -r k; do
    grep -qxF "$k" "$TMP/used" || echo "note: explained.txt: \`$k\` was not needed in this run: update the list"
  done
fi
nrefused=$(cat "$TMP"/refused.* 2>/dev/null | wc -l | tr -d ' ')
echo "conformance: $agree agree, $explain disagree as explained, $disagree disagree unexplained, $nrefused models refused by bpc"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
