#!/bin/sh
# dot.sh BUILD [--update] — diagrams through the command line: `bpc dot` and
# `bpc render` on every sample and on tests/dot/*.bp, from the source and
# from the compiled bundle; the graph structure (kinds, shapes and styles of
# nodes and edges, counted from the DOT output with Graphviz's gvpr) against
# tests/dot/NAME.shape; the DOT accepted by the `dot` program; SVG, PNG and
# PDF written; journals laid over (tests/dot/*.journal); bad input refused.
#
# Run from the repository root (tests/run.sh calls it). With --update it
# rewrites the .shape files from what bpc draws now: review the diff before
# keeping it. Prints one line per failure and ends with `N passed, N failed`.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
UPDATE=${2:-}
BPC=$BUILD/bpc
TIMEOUT=${TIMEOUT:-60}
export LC_ALL=C

if [ ! -x "$BPC" ]; then
  echo "dot.sh: $BPC is missing; build it first (make)" >&2
  exit 2
fi
for tool in dot gvpr; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "dot.sh: the '$tool' program (package graphviz) is needed to check the output; sh .ci/deps" >&2
    exit 2
  fi
done

# Under AddressSanitizer (make asan sets ASAN_OPTIONS): Graphviz 2.43 leaks
# in its HTML-label parser and its plugin configuration, and Pango keeps
# fontconfig caches from a thread of its own; none of it is ours and none can
# be freed from outside. tests/lsan-graphviz.supp suppresses leaks whose
# stack passes through those libraries only; the full unwinder is needed to
# see their frames (the fast one stops at the first library built without
# frame pointers).
if [ -n "${ASAN_OPTIONS:-}" ]; then
  ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
  LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan-graphviz.supp:print_suppressions=0"
  export ASAN_OPTIONS LSAN_OPTIONS
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-dot.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

. tests/lib.sh

# ok NAME — the last run exited 0 with nothing on stderr.
ok() {
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$1" "$why"; return 1
  elif [ "$rc" -ne 0 ]; then fail "$1" "exit status $rc: $(head -n 3 "$TMP/err")"; return 1
  elif [ -s "$TMP/err" ]; then fail "$1" "messages on stderr: $(head -n 3 "$TMP/err")"; return 1
  fi
  return 0
}

# shape DOTFILE — what the diagram is made of: one line per kind of node and
# edge with its look, and how many; then the clusters.
shape() {
  gvpr -q 'N { printf("node %s shape=%s style=%s peripheries=%s penwidth=%s\n",
                   $.class, $.shape, $.style, $.peripheries, $.penwidth); }
        E { printf("edge %s style=%s dir=%s label=%s\n", $.class, $.style, $.dir,
                   $.label == "" ? "no" : "yes"); }' "$1" | sort | uniq -c | sed 's/^ *//'
  echo "clusters $(grep -c 'subgraph cluster_' "$1")"
}

# magic FILE FORMAT — the file starts as a FORMAT file does.
magic() {
  case $2 in
  png) [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ;;
  pdf) [ "$(head -c 5 "$1")" = "%PDF-" ] ;;
  svg) grep -q '<svg' "$1" && grep -q '</svg>' "$1" ;;
  esac
}

# ---------------------------------------------------------------------------
echo "== dot: diagrams of the samples and tests/dot"
for src in samples/*.bp tests/dot/*.bp; do
  [ -f "$src" ] || continue
  base=$(basename "$src" .bp)
  name=dot/$base
  run "$TMP/a.dot" "$TMP/err" "$BPC" dot "$src"
  ok "$name dot" || continue
  pass

  run "$TMP/out" "$TMP/err" dot -Tsvg "$TMP/a.dot"
  if [ "$rc" -ne 0 ] || [ -s "$TMP/err" ] || ! grep -q '<svg' "$TMP/out"; then
    fail "$name dot parses" "dot -Tsvg refused the output: $(head -n 3 "$TMP/err")"
  else pass
  fi

  shape "$TMP/a.dot" >"$TMP/shape"
  expect=tests/dot/$base.shape
  if [ "$UPDATE" = --update ]; then
    cp "$TMP/shape" "$expect"
  elif [ ! -f "$expect" ]; then
    fail "$name shape" "no $expect (make one with: sh tests/dot.sh $1 --update, then review it)"
  elif ! cmp -s "$expect" "$TMP/shape"; then
    fail "$name shape" "the graph differs from $expect:"
    diff -u "$expect" "$TMP/shape" | sed -e "1s|.*|--- expected|" -e "2s|.*|+++ bpc dot $src|"
  else pass
  fi

  # The same drawing from the compiled bundle (its GRAPH section).
  run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/$base.bpt"
  if ok "$name compile"; then
    run "$TMP/b.dot" "$TMP/err" "$BPC" dot "$TMP/$base.bpt"
    if ok "$name dot of the bundle"; then
      if cmp -s "$TMP/a.dot" "$TMP/b.dot"; then pass
      else
        fail "$name dot of the bundle" "differs from the diagram of the source:"
        diff -u "$TMP/a.dot" "$TMP/b.dot" | head -n 30
      fi
    fi
  fi

  for fmt in svg png pdf; do
    out=$TMP/out.$fmt
    rm -f "$out"
    run "$TMP/out" "$TMP/err" "$BPC" render "$src" -T "$fmt" -o "$out"
    ok "$name render $fmt" || continue
    if [ -s "$TMP/out" ]; then fail "$name render $fmt" "printed on stdout"
    elif ! magic "$out" "$fmt"; then fail "$name render $fmt" "$out is not a $fmt file"
    else pass
    fi
  done
  if ls "$TMP" | grep -q '\.tmp\.'; then fail "$name render" "a temporary file was left behind"; fi
done

# The bundle draws to PNG too, and -T can come from the name of the output.
run "$TMP/out" "$TMP/err" "$BPC" render "$TMP/statuses.bpt" -o "$TMP/statuses.png"
if ok "dot/render a bundle, -T from -o"; then
  if magic "$TMP/statuses.png" png; then pass; else fail "dot/render a bundle" "not a PNG"; fi
fi
run "$TMP/out" "$TMP/err" "$BPC" dot samples/statuses.bp -o "$TMP/statuses.dot"
if ok "dot/dot -o"; then
  if [ -s "$TMP/out" ] || ! grep -q '^digraph' "$TMP/statuses.dot"; then
    fail "dot/dot -o" "printed on stdout, or no DOT in the file"
  else pass
  fi
fi

# ---------------------------------------------------------------------------
echo "== dot: labels (escaping, UTF-8, wrapping)"
run "$TMP/out" "$TMP/err" "$BPC" render tests/dot/all_kinds.bp -p order -T svg -o "$TMP/all.svg"
if ok "dot/escaping render"; then
  # The title `Заказ "клиента" \ {{скидка}} <срочно> & co`, as SVG text.
  if grep -q -F 'Заказ &quot;клиента&quot; \ {скидка} &lt;срочно&gt; &amp; co' "$TMP/all.svg"; then pass
  else fail "dot/escaping" "the process title is not drawn as written: $(grep -o '<text[^>]*>Заказ[^<]*' "$TMP/all.svg")"
  fi
fi
run "$TMP/all.dot" "$TMP/err" "$BPC" dot tests/dot/all_kinds.bp
if ok "dot/wrapping"; then
  # "Согласовать заказ {title} на сумму {amount}" is 43 characters: wrapped.
  if grep -q 'Согласовать<BR/>' "$TMP/all.dot" || grep -q 'Согласовать заказ<BR/>' "$TMP/all.dot"; then pass
  else fail "dot/wrapping" "the long Cyrillic title is not broken into lines"
  fi
  # Several processes: one cluster each, node names after the process's.
  if grep -q 'subgraph cluster_process_order' "$TMP/all.dot" && grep -q '"order.start_' "$TMP/all.dot"; then pass
  else fail "dot/several processes" "no cluster per process, or node names without the process's"
  fi
fi

# ---------------------------------------------------------------------------
echo "== dot: traces"
# trace NAME EXPECT_VISITED_NODES EXPECT_PASSED_NODES EXPECT_EDGES ARGS...
trace() {
  _name=$1 _v=$2 _p=$3 _e=$4
  shift 4
  run "$TMP/t.dot" "$TMP/err" "$BPC" dot "$@"
  ok "$_name" || return
  gvpr -q 'N [class == "*visited*"] { print("v"); } N [class == "*passed*"] { print("p"); }
        E [class == "*visited*"] { print("e"); }' "$TMP/t.dot" | sort | uniq -c | sed 's/^ *//' >"$TMP/marks"
  got="$(grep ' v$' "$TMP/marks" | cut -d' ' -f1) $(grep ' p$' "$TMP/marks" | cut -d' ' -f1) $(grep ' e$' "$TMP/marks" | cut -d' ' -f1)"
  if [ "$got" = "$_v $_p $_e" ]; then pass
  else fail "$_name" "visited nodes, passed nodes, edges: got '$got', expected '$_v $_p $_e'"
  fi
}
J=tests/dot
# two_stage_approval, instance 1: the expert rejects once, then the vote passes.
# Visited: approve_17, task_19, approve_22, notify_29. Passed: the start,
# the loop head, `rounds = rounds + 1`, both choices, the loop exit and
# `status = "approved"`. Edges: from the start to the expert (3), to the
# revision (2), back to the loop head (1; on to the expert is marked already),
# to the vote (1), to the notify (4).
trace "trace/two_stage_approval #1" 4 7 11 samples/two_stage_approval.bp --trace "$J/two_stage_approval.journal"
trace "trace/two_stage_approval #1 from the bundle" 4 7 11 "$TMP/two_stage_approval.bpt" --trace "$J/two_stage_approval.journal" --instance 1
# Instance 2 only started: its start node, nothing else.
trace "trace/two_stage_approval #2" "" 1 "" samples/two_stage_approval.bp --trace "$J/two_stage_approval.journal" --instance '#2'
# statuses: submitted, sent back, submitted again, approved. Visited: the
# three states, approve_18, notify_20. Passed: start, assign_17, choice_19,
# both gotos. Edges: start->draft, submit, enter, assign->approve,
# approve->choice, else, notify->goto, goto->draft, cond, goto->approved.
trace "trace/statuses" 5 5 10 samples/statuses.bp --trace "$J/statuses.journal"
# The same process through a journal the reference host wrote (bprun test
# samples/statuses.bpt samples/statuses.scn --journal FILE): it names the
# steps of the enter blocks (assignments too), not the states. Visited: the
# three assignments, approve_18, notify_20. Passed: start, the three states,
# choice_19, both gotos. Edges: every one but `withdraw`.
trace "trace/statuses, a journal of bprun" 5 7 12 samples/statuses.bp --trace "$J/bprun_statuses.journal"
# A parallel: entries of the two branches interleave; each branch's path is
# found from the latest entry that has one. Visited: request_22, approve_28,
# review_32, task_37. Passed: start, fork, join, race. Edges: start->request,
# request->fork->approve, fork->review, approve->join->race->task.
trace "trace/all_kinds parallel" 4 4 7 tests/dot/all_kinds.bp -p order --trace "$J/all_kinds.journal"

# Unknown node ids: a warning each, not a failure.
run "$TMP/out" "$TMP/err" "$BPC" dot samples/simple_vote.bp --trace "$J/unknown_nodes.journal"
if [ "$rc" -ne 0 ]; then fail "trace/unknown nodes" "exit status $rc, expected 0"
elif [ "$(grep -c ': warning: process `simple_vote` has no node `' "$TMP/err")" -ne 2 ]; then
  fail "trace/unknown nodes" "expected 2 warnings (one per unknown id): $(cat "$TMP/err")"
elif ! grep -q "^$J/unknown_nodes.journal:4: warning: " "$TMP/err"; then
  fail "trace/unknown nodes" "the warning does not give the journal's line: $(head -n 1 "$TMP/err")"
else pass
fi
# An instance the journal does not have: a warning, the plain diagram.
run "$TMP/out" "$TMP/err" "$BPC" dot samples/two_stage_approval.bp --trace "$J/two_stage_approval.journal" --instance 7
if [ "$rc" -ne 0 ] || ! grep -q 'warning: no entries of instance #7' "$TMP/err" || grep -q visited "$TMP/out"; then
  fail "trace/unknown instance" "exit status $rc, or no warning, or something highlighted"
else pass
fi
# A journal of another process: nothing to draw from it.
run "$TMP/out" "$TMP/err" "$BPC" dot samples/simple_vote.bp --trace "$J/statuses.journal"
if [ "$rc" -ne 0 ] || ! grep -q 'warning: no entries for the drawn process' "$TMP/err"; then
  fail "trace/another process" "exit status $rc, or no warning"
else pass
fi
# Rendered with the trace.
run "$TMP/out" "$TMP/err" "$BPC" render samples/statuses.bp --trace "$J/statuses.journal" -T png -o "$TMP/trace.png"
if ok "trace/render"; then
  if magic "$TMP/trace.png" png; then pass; else fail "trace/render" "not a PNG"; fi
fi

# Malformed journals: FILE:LINE: error: ..., exit 1, nothing drawn.
bad_journal() {
  _name=$1 _line=$2
  printf "$3" >"$TMP/bad.journal"
  run "$TMP/out" "$TMP/err" "$BPC" dot samples/simple_vote.bp --trace "$TMP/bad.journal"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$_name" "$why"
  elif [ "$rc" -ne 1 ]; then fail "$_name" "exit status $rc, expected 1"
  elif [ -s "$TMP/out" ]; then fail "$_name" "drew something anyway"
  elif ! grep -q "^$TMP/bad.journal:$_line: error: " "$TMP/err"; then
    fail "$_name" "no '$TMP/bad.journal:$_line: error:' message: $(head -n 2 "$TMP/err")"
  else pass
  fi
}
ok_line='2026-03-01T09:00\t#1\tsimple_vote\tapprove_9\topened\n'
bad_journal "trace/too few fields" 2 "$ok_line"'2026-03-01T09:00\t#1\tsimple_vote approve_9 opened\n'
bad_journal "trace/bad time" 1 '2026-13-01T09:00\t#1\tsimple_vote\tapprove_9\topened\n'
bad_journal "trace/bad time format" 1 '01.03.2026 09:00\t#1\tsimple_vote\tapprove_9\topened\n'
bad_journal "trace/bad instance" 3 "$ok_line"'\n1\t2026-03-01T09:00\t#1\tsimple_vote\tapprove_9\n'
bad_journal "trace/instance without #" 1 '2026-03-01T09:00\t1\tsimple_vote\tapprove_9\topened\n'
bad_journal "trace/empty node" 1 '2026-03-01T09:00\t#1\tsimple_vote\t\topened\n'
bad_journal "trace/bad process" 2 '# comment\n2026-03-01T09:00\t#1\tsimple vote\tapprove_9\topened\n'
bad_journal "trace/a hash with no space" 1 '#comment\n'
bad_journal "trace/NUL byte" 1 '2026-03-01T09:00\t#1\tsimple_vote\tapprove_9\topen\000ed\n'
# Comments, blank lines, CRLF ends and tabs in the text are fine.
printf '# a comment\r\n\r\n2026-03-01T09:00:30\t#1\tsimple_vote\tapprove_9\topened\tfor\tbob\r\n#\n' >"$TMP/good.journal"
trace "trace/comments, CRLF, tabs in the text" 1 1 1 samples/simple_vote.bp --trace "$TMP/good.journal"
# A journal that can't be read.
run "$TMP/out" "$TMP/err" "$BPC" dot samples/simple_vote.bp --trace "$TMP/no-such.journal"
if [ "$rc" -ne 2 ]; then fail "trace/missing journal" "exit status $rc, expected 2"; else pass; fi

# ---------------------------------------------------------------------------
echo "== dot: bad input"
# A broken .bp: its diagnostics, as `bpc check` prints them, and exit 1.
for cmd in dot render; do
  rm -f "$TMP/broken.png"
  run "$TMP/out" "$TMP/err" "$BPC" $cmd tests/golden/type_assign.bp -o "$TMP/broken.png"
  run "$TMP/check.out" "$TMP/check.err" "$BPC" check tests/golden/type_assign.bp
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "bad/$cmd of a broken file" "$why"
  elif [ "$rc" -ne 1 ]; then fail "bad/$cmd of a broken file" "exit status $rc, expected 1"
  elif ! cmp -s "$TMP/err" "$TMP/check.err"; then fail "bad/$cmd of a broken file" "diagnostics differ from bpc check's"
  elif [ -e "$TMP/broken.png" ] || [ -s "$TMP/out" ]; then fail "bad/$cmd of a broken file" "drew something"
  else pass
  fi
done

# Damaged bundles: refused with a message, exit 1.
# refused NAME FILE
refused() {
  for cmd in dot render; do
    run "$TMP/out" "$TMP/err" "$BPC" $cmd "$2" -o "$TMP/refused.svg"
    why=$(unsound "$TMP/err")
    if [ -n "$why" ]; then fail "$1 ($cmd)" "$why"
    elif [ "$rc" -ne 1 ]; then fail "$1 ($cmd)" "exit status $rc, expected 1"
    elif [ ! -s "$TMP/err" ]; then fail "$1 ($cmd)" "no message on stderr"
    elif [ -e "$TMP/refused.svg" ]; then fail "$1 ($cmd)" "drew something"
    else pass
    fi
  done
}
good=$TMP/simple_vote.bpt
size=$(wc -c <"$good" | tr -d ' ')
for at in 9 30 $((size / 2)) $((size - 3)); do
  { head -c "$at" "$good"; printf '\377'; tail -c +$((at + 2)) "$good"; } >"$TMP/flipped.bpt"
  cmp -s "$TMP/flipped.bpt" "$good" && continue
  refused "bad/bundle with byte $at changed" "$TMP/flipped.bpt"
done
head -c $((size - 10)) "$good" >"$TMP/short.bpt"
refused "bad/truncated bundle" "$TMP/short.bpt"
{ printf 'BPX'; tail -c +4 "$good"; } >"$TMP/magic.bpt"
refused "bad/.bpt without the magic" "$TMP/magic.bpt"
head -c 4 "$good" >"$TMP/only-magic.bp"
refused "bad/only the magic, named .bp" "$TMP/only-magic.bp"

# Bitrix24 exports share the extension .bpt: the content decides. disasm names
# one as such (exit 2); dot, render, check and compile import it (docs/bitrix.md),
# and these tiny hand-made inputs (a zlib header, PHP serialize data cut short:
# the real exports start the same way) are refused by the importer with
# `FILE: error: ...`, exit 1 — never "not a bundle" or a parse of binary data as
# .bp text.
printf 'x\234\355]mo\333\066' >"$TMP/bitrix-zlib.bpt"
printf 'a:6:{s:8:"TEMPLATE";a:1:{i:0;a:0:{}}}' >"$TMP/bitrix-php.bpt"
cp "$TMP/bitrix-zlib.bpt" "$TMP/bitrix-zlib.bp" # the content decides, not the name
for f in bitrix-zlib.bpt bitrix-php.bpt bitrix-zlib.bp; do
  for cmd in dot render disasm check compile; do
    case $cmd in render) args="-T svg -o $TMP/bitrix.svg" ;; compile) args="-o $TMP/bitrix.out" ;; *) args= ;; esac
    run "$TMP/out" "$TMP/err" "$BPC" $cmd "$TMP/$f" $args
    why=$(unsound "$TMP/err")
    if [ -n "$why" ]; then fail "bad/$cmd of a Bitrix24 export $f" "$why"
    elif [ $cmd = disasm ] && { [ "$rc" -ne 2 ] || ! grep -q "$f: a Bitrix24 template export (.*), not a bpc bundle" "$TMP/err"; }; then
      fail "bad/$cmd of a Bitrix24 export $f" "exit $rc: $(head -n 2 "$TMP/err")"
    elif [ $cmd != disasm ] && { [ "$rc" -ne 1 ] || ! grep -q "$f: error: " "$TMP/err"; }; then
      fail "bad/$cmd of a Bitrix24 export $f" "exit $rc: $(head -n 2 "$TMP/err")"
    elif [ -e "$TMP/bitrix.svg" ] || [ -e "$TMP/bitrix.out" ]; then fail "bad/$cmd of a Bitrix24 export $f" "wrote a file"
    else pass
    fi
  done
done
if [ -x "$BUILD/bprun" ]; then
  run "$TMP/out" "$TMP/err" "$BUILD/bprun" test "$TMP/bitrix-php.bpt" samples/simple_vote.scn
  grep -q 'a Bitrix24 template export (PHP serialize data)' "$TMP/err" && [ "$rc" -ne 0 ] && pass ||
    fail "bad/bprun of a Bitrix24 export" "exit $rc: $(head -n 2 "$TMP/err")"
fi

# Layout is bounded (docs/limits.md): 95 nested parallels once took 14 s in
# Graphviz; now render refuses them at once, exit 1, and bpc dot still writes
# the DOT text. Same for too many commands between states.
{ echo 'document D { t: string }'; echo 'process p on D {'
  i=0; while [ $i -lt 95 ]; do printf 'parallel {\nbranch {\nlog "a%d"\n}\nbranch {\n' $i; i=$((i + 1)); done
  echo 'log "end"'
  i=0; while [ $i -lt 95 ]; do printf '}\n}\n'; i=$((i + 1)); done; echo '}'; } >"$TMP/nest95.bp"
{ echo 'document D { a: user }'; echo 'process p on D {'; echo 'states {'
  i=0; while [ $i -lt 13 ]; do
    printf 's%d "S%d" {\ncommand done "D" by a -> fin\n' $i $i
    j=1; while [ $j -lt 5 ]; do printf 'command c%d "C" by a -> s%d\n' $j $(((i + j) % 13)); j=$((j + 1)); done
    echo '}'; i=$((i + 1)); done
  echo 'fin "F" final { }'; echo '}'; echo '}'; } >"$TMP/links65.bp"
for f in nest95:"nested 95 deep, the limit is 24" links65:"65 commands and gotos between states, the limit is 60"; do
  name=${f%%:*} want=${f#*:}
  rm -f "$TMP/large.svg"
  TIMEOUT=10 run "$TMP/out" "$TMP/err" "$BPC" render "$TMP/$name.bp" -o "$TMP/large.svg"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "bad/render of $name" "$why"
  elif [ "$rc" -ne 1 ] || ! grep -q "too large to lay out: .*$want" "$TMP/err"; then
    fail "bad/render of $name" "exit $rc, expected 1 with \"$want\": $(head -n 2 "$TMP/err")"
  elif [ -e "$TMP/large.svg" ]; then fail "bad/render of $name" "wrote a file"
  else pass
  fi
  TIMEOUT=10 run "$TMP/out" "$TMP/err" "$BPC" dot "$TMP/$name.bp" -o "$TMP/large.dot"
  [ "$rc" -eq 0 ] && [ -s "$TMP/large.dot" ] && pass || fail "bad/dot of $name" "exit $rc: $(head -n 2 "$TMP/err")"
done

# misuse NAME ARGS... — exit 2 with a message on stderr, nothing on stdout.
misuse() {
  _name=$1
  shift
  run "$TMP/out" "$TMP/err" "$BPC" "$@"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$_name" "$why"
  elif [ "$rc" -ne 2 ] || [ ! -s "$TMP/err" ] || [ -s "$TMP/out" ]; then
    fail "$_name" "exit status $rc, expected 2 with a message on stderr only"
  else pass
  fi
}
misuse "bad/dot of an unknown process" dot samples/statuses.bp -p nosuch
misuse "bad/render of an unknown process" render samples/statuses.bp -p nosuch -T svg -o "$TMP/x.svg"
misuse "bad/render -T gif" render samples/statuses.bp -T gif -o "$TMP/x.gif"
misuse "bad/render -Tjpg" render samples/statuses.bp -Tjpg -o "$TMP/x.jpg"
misuse "bad/render without -o" render samples/statuses.bp -T svg
misuse "bad/render -o without -T or a known extension" render samples/statuses.bp -o "$TMP/x.out"
misuse "bad/render -T without a value" render samples/statuses.bp -o "$TMP/x.svg" -T
misuse "bad/dot -o without a value" dot samples/statuses.bp -o
misuse "bad/dot -T" dot samples/statuses.bp -T svg
misuse "bad/dot without input" dot
misuse "bad/render without input" render -T svg -o "$TMP/x.svg"
misuse "bad/dot of two inputs" dot samples/statuses.bp samples/simple_vote.bp
misuse "bad/dot of a missing file" dot "$TMP/no-such.bp"
misuse "bad/dot of a directory" dot "$TMP"
misuse "bad/dot with an unknown option" dot samples/statuses.bp --frobnicate
misuse "bad/--instance without --trace" dot samples/statuses.bp --instance 1
misuse "bad/--instance that is not a number" dot samples/statuses.bp --trace "$J/statuses.journal" --instance one
misuse "bad/render into a missing directory" render samples/statuses.bp -T svg -o "$TMP/no/such/dir/x.svg"
misuse "bad/dot into a missing directory" dot samples/statuses.bp -o "$TMP/no/such/dir/x.dot"
if ls "$TMP" | grep -q '\.tmp\.'; then fail "bad/temporary files" "left behind: $(ls "$TMP" | grep '\.tmp\.')"; else pass; fi

# A failed render keeps the file it would have replaced.
echo keep >"$TMP/keep.svg"
run "$TMP/out" "$TMP/err" "$BPC" render tests/golden/type_assign.bp -T svg -o "$TMP/keep.svg"
if [ "$rc" -ne 1 ] || [ "$(cat "$TMP/keep.svg")" != keep ]; then
  fail "bad/failed render keeps the old file" "exit status $rc, or the file changed"
else pass
fi

# ---------------------------------------------------------------------------
echo "== dot: output files (devices and FIFOs in place, links followed)"
mkdir -p "$TMP/o"
echo old >"$TMP/o/real.svg"
ln -s real.svg "$TMP/o/link.svg"
echo old >"$TMP/o/real.dot"
ln -s real.dot "$TMP/o/link.dot"
for cmd in dot render; do
  ext=$([ $cmd = dot ] && echo dot || echo svg)
  run "$TMP/out" "$TMP/err" "$BPC" $cmd samples/statuses.bp -o "$TMP/o/link.$ext"
  if [ "$rc" -ne 0 ]; then fail "out/$cmd -o to a symlink" "exit status $rc: $(head -n 2 "$TMP/err")"
  elif [ ! -L "$TMP/o/link.$ext" ]; then fail "out/$cmd -o to a symlink" "the link was replaced by a regular file"
  elif [ "$(cat "$TMP/o/real.$ext")" = old ]; then fail "out/$cmd -o to a symlink" "the link's target was not written"
  else pass
  fi
  mkfifo "$TMP/o/fifo"
  timeout 30 cat "$TMP/o/fifo" >"$TMP/o/fifo.got" &
  reader=$!
  format=$([ $cmd = render ] && echo -Tsvg)
  run "$TMP/out" "$TMP/err" "$BPC" $cmd samples/statuses.bp $format -o "$TMP/o/fifo"
  wait "$reader" 2>/dev/null
  if [ "$rc" -ne 0 ]; then fail "out/$cmd -o to a FIFO" "exit status $rc: $(head -n 2 "$TMP/err")"
  elif [ ! -p "$TMP/o/fifo" ]; then fail "out/$cmd -o to a FIFO" "the FIFO was replaced by a regular file"
  elif ! grep -q -e '^digraph' -e '<svg' "$TMP/o/fifo.got"; then fail "out/$cmd -o to a FIFO" "its reader got no diagram"
  else pass
  fi
  rm -f "$TMP/o/fifo"
done
if [ "$(id -u)" != 0 ]; then
  echo "skip: out/render -o to a device: needs root to make a device node (mknod)"
elif ! mknod "$TMP/o/null" c 1 3 2>/dev/null; then
  echo "skip: out/render -o to a device: mknod is not allowed here"
else
  run "$TMP/out" "$TMP/err" "$BPC" render samples/statuses.bp -T png -o "$TMP/o/null"
  if [ "$rc" -ne 0 ] || [ ! -c "$TMP/o/null" ]; then fail "out/render -o to a device" "exit $rc, or the device node was replaced"
  else pass
  fi
fi
# A render ended by a signal while it lays out leaves no temporary file: 150
# ifs in a row take most of a second to lay out; SIGTERM comes after 0.3 s.
{ echo 'document D { t: string }'; echo 'process p on D {'
  i=0; while [ $i -lt 150 ]; do printf 'if t == "%d" {\nlog "a%d"\n}\n' $i $i; i=$((i + 1)); done; echo '}'; } >"$TMP/flat150.bp"
"$BPC" render "$TMP/flat150.bp" -o "$TMP/o/killed.svg" 2>/dev/null &
pid=$!
sleep 0.3
kill -TERM $pid 2>/dev/null
wait $pid
if ls "$TMP/o" | grep -q '\.tmp\.'; then fail "out/temporary files" "left behind: $(ls "$TMP/o" | grep '\.tmp\.')"; else pass; fi

# ---------------------------------------------------------------------------
echo "== dot: BPMN lanes and pools as clusters"
# Each node drawn inside the innermost lane of its element (helpers such as a
# boundary timer's race too), lanes inside their parent lane and the pool; a
# node in no lane inside the pool. (The path of clusters around each node.)
run "$TMP/out" "$TMP/err" "$BPC" dot tests/dot/lanes.bpmn
awk '/subgraph cluster_/ { d++; s[d] = $2 } /}$/ && !/\[/ { d-- }
  /^\t*(start|order|order__race|approve|end|gone)[ \t]*\[/ { p = ""; for (i = 1; i <= d; i++) p = p "/" s[i]; print $1, p }' \
  "$TMP/out" | sort >"$TMP/places"
cat >"$TMP/want" <<'WANT'
approve /cluster_pool/cluster_boss
end /cluster_pool/cluster_boss
gone /cluster_pool
order /cluster_pool/cluster_office/cluster_clerks
order__race /cluster_pool/cluster_office/cluster_clerks
start /cluster_pool/cluster_office
WANT
if [ "$rc" -eq 0 ] && cmp -s "$TMP/places" "$TMP/want" && grep -q '<B>Purchasing</B>' "$TMP/out" &&
  grep -q '>Clerks</FONT>' "$TMP/out"; then pass
else fail "dot/lanes" "exit status $rc: $(diff "$TMP/want" "$TMP/places" | head -n 8) $(head -n 3 "$TMP/err")"
fi
run "$TMP/out" "$TMP/err" "$BPC" render tests/dot/lanes.bpmn -T svg -o "$TMP/lanes.svg"
if [ "$rc" -eq 0 ] && grep -q '>Management<' "$TMP/lanes.svg" && grep -q '>Purchasing<' "$TMP/lanes.svg"; then pass
else fail "dot/lanes render" "exit status $rc: $(head -n 3 "$TMP/err")"
fi

# ---------------------------------------------------------------------------
echo "== dot: command line"
for cmd in dot render; do
  run "$TMP/out" "$TMP/err" "$BPC" $cmd --help
  if [ "$rc" -ne 0 ] || ! grep -q "^usage: bpc $cmd " "$TMP/out"; then
    fail "cli/bpc $cmd --help" "exit status $rc or no usage on stdout"
  else pass
  fi
  if ! "$BPC" --help | grep -q "^  $cmd "; then fail "cli/bpc --help" "does not list $cmd"; else pass; fi
done
# Only bpc links Graphviz; the runtime library must not need it.
if nm -u "$BUILD/libbprt.a" 2>/dev/null | grep -q -E ' (ag|gv)[A-Za-z]+$'; then
  fail "cli/runtime without Graphviz" "libbprt.a refers to Graphviz: $(nm -u "$BUILD/libbprt.a" | grep -E ' (ag|gv)' | head -n 3)"
else pass
fi

# bpc loads Graphviz and libxml2 only when a command needs them (compiler/bpc_lazy.c):
# `compile` and `check` of a .bp start without them, `render` opens Graphviz. Seen with
# glibc's loader trace (LD_DEBUG=libs), where there is one.
LD_DEBUG=libs "$BPC" compile samples/simple_vote.bp -o "$TMP/lazy.bpt" >/dev/null 2>"$TMP/lazy.err"
if grep -q 'calling init' "$TMP/lazy.err"; then
  if grep -q -E 'calling init: .*lib(gvc|cgraph|xml2)\.so' "$TMP/lazy.err"; then
    fail "cli/compile without Graphviz and libxml2" "$(grep -E 'calling init: .*lib(gvc|cgraph|xml2)' "$TMP/lazy.err" | head -n 3)"
  else pass
  fi
  LD_DEBUG=libs "$BPC" render samples/simple_vote.bp -T svg -o "$TMP/lazy.svg" >/dev/null 2>"$TMP/lazy.err"
  if grep -q -E 'calling init: .*libgvc\.so' "$TMP/lazy.err" && [ -s "$TMP/lazy.svg" ]; then pass
  else fail "cli/render loads Graphviz" "no libgvc in the loader's trace, or no drawing"
  fi
fi
# ---------------------------------------------------------------------------
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
