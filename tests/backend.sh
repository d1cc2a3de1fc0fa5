#!/bin/sh
# backend.sh BUILD — the back end through the command line: every sample
# compiles to BUILD/samples/NAME.bpt, verifies and disassembles with its
# source lines, compiles to the same bytes twice; a broken program or a failed
# compile leaves no file; a damaged bundle is refused.
#
# Run from the repository root: `sh tests/backend.sh build`. Prints one line
# per failure and ends with `N passed, N failed`; exits non-zero on failure.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BPC=$BUILD/bpc
TIMEOUT=${TIMEOUT:-20}
export LC_ALL=C

. tests/lib.sh
need_built backend.sh "$BPC"

OUT=$BUILD/samples
mkdir -p "$OUT" || exit 2
make_tmp bpc-backend

# ---------------------------------------------------------------------------
echo "== samples compile, verify, disassemble"
for src in samples/*.bp; do
  [ -f "$src" ] || continue
  base=$(basename "$src" .bp)
  name=backend/$base
  bpt=$OUT/$base.bpt
  rm -f "$bpt"
  run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$bpt"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "$name compile" "$why"; continue
  elif [ "$rc" -ne 0 ] || [ ! -s "$bpt" ]; then
    fail "$name compile" "exit status $rc, or no bundle:"
    head -n 10 "$TMP/err"
    continue
  elif [ -s "$TMP/out" ]; then fail "$name compile" "printed on stdout"; continue
  fi
  pass

  run "$TMP/dis" "$TMP/err" "$BPC" disasm "$bpt"
  why=$(unsound "$TMP/err")
  # Source lines must be shown: statement lines of the file (trimmed, 12
  # characters or more, not comments) appear in the listing.
  sed -n 's/^ *//; /^[a-z].\{11,\}/p' "$src" >"$TMP/lines"
  if [ -n "$why" ]; then fail "$name disasm" "$why"
  elif [ "$rc" -ne 0 ]; then fail "$name disasm" "exit status $rc: $(head -n 3 "$TMP/err")"
  elif [ ! -s "$TMP/dis" ]; then fail "$name disasm" "no listing"
  elif ! grep -q -F -f "$TMP/lines" "$TMP/dis"; then
    fail "$name disasm" "the listing shows no source lines"
  else pass
  fi

  run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/again.bpt"
  if [ "$rc" -ne 0 ]; then fail "$name deterministic" "second compile: exit status $rc"
  elif ! cmp -s "$bpt" "$TMP/again.bpt"; then
    fail "$name deterministic" "two compiles of the same file differ"
  else pass
  fi
done

# ---------------------------------------------------------------------------
echo "== default output name, atomic writes"
cp samples/simple_vote.bp "$TMP/vote.bp"
run "$TMP/out" "$TMP/err" "$BPC" compile "$TMP/vote.bp"
if [ "$rc" -ne 0 ] || [ ! -s "$TMP/vote.bpt" ]; then
  fail "backend/default output" "exit status $rc, or no $TMP/vote.bpt"
else pass
fi

mkdir -p "$TMP/broken"
printf 'process p {\n  var n: int = "one"\n  log "{n}"\n}\n' >"$TMP/broken/bad.bp"
run "$TMP/out" "$TMP/err" "$BPC" compile "$TMP/broken/bad.bp"
why=$(unsound "$TMP/err")
left=$(ls "$TMP/broken" | grep -v '^bad\.bp$')
if [ -n "$why" ]; then fail "backend/broken program" "$why"
elif [ "$rc" -ne 1 ]; then fail "backend/broken program" "exit status $rc, expected 1"
elif [ -n "$left" ]; then fail "backend/broken program" "left files behind: $left"
elif ! grep -q "bad.bp:2:[0-9]*: error: " "$TMP/err"; then
  fail "backend/broken program" "no diagnostic: $(head -n 1 "$TMP/err")"
else pass
fi

# A broken program must not replace (or remove) an existing bundle either.
cp "$TMP/vote.bpt" "$TMP/broken/bad.bpt"
run "$TMP/out" "$TMP/err" "$BPC" compile "$TMP/broken/bad.bp"
if [ "$rc" -ne 1 ] || ! cmp -s "$TMP/vote.bpt" "$TMP/broken/bad.bpt"; then
  fail "backend/broken program keeps the old bundle" "exit status $rc, or the old bundle changed"
else pass
fi

# Writing into a directory that does not exist: exit 2, nothing written.
run "$TMP/out" "$TMP/err" "$BPC" compile samples/simple_vote.bp -o "$TMP/no/such/dir/x.bpt"
if [ "$rc" -ne 2 ] || [ ! -s "$TMP/err" ]; then
  fail "backend/unwritable output" "exit status $rc, expected 2 with a message"
else pass
fi

# ---------------------------------------------------------------------------
echo "== damaged bundles are refused"
bpt=$OUT/simple_vote.bpt
if [ -s "$bpt" ]; then
  size=$(wc -c <"$bpt" | tr -d ' ')
  # A byte flipped in the middle: the checksum no longer matches.
  mid=$((size / 2))
  head -c "$mid" "$bpt" >"$TMP/flip.bpt"
  byte=$(dd if="$bpt" bs=1 skip="$mid" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
  printf "$(printf '\\%03o' $(((byte + 1) % 256)))" >>"$TMP/flip.bpt"
  tail -c +"$((mid + 2))" "$bpt" >>"$TMP/flip.bpt"
  run "$TMP/out" "$TMP/err" "$BPC" disasm "$TMP/flip.bpt"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "backend/flipped byte" "$why"
  elif [ "$rc" -ne 1 ] || [ ! -s "$TMP/err" ]; then
    fail "backend/flipped byte" "exit status $rc, expected 1 with a message"
  else pass
  fi
  # Cut short.
  head -c "$((size - 7))" "$bpt" >"$TMP/short.bpt"
  run "$TMP/out" "$TMP/err" "$BPC" disasm "$TMP/short.bpt"
  why=$(unsound "$TMP/err")
  if [ -n "$why" ]; then fail "backend/truncated" "$why"
  elif [ "$rc" -ne 1 ]; then fail "backend/truncated" "exit status $rc, expected 1"
  else pass
  fi
  # A source file is not a bundle.
  run "$TMP/out" "$TMP/err" "$BPC" disasm samples/simple_vote.bp
  if [ "$rc" -ne 1 ]; then fail "backend/not a bundle" "exit status $rc, expected 1"; else pass; fi
  # Without its source file the listing still works, without source lines.
  (cd "$TMP" && run "$TMP/out" "$TMP/err" "$BPC" disasm "$bpt"; echo "$rc" >"$TMP/rc")
  if [ "$(cat "$TMP/rc")" -ne 0 ] || [ ! -s "$TMP/out" ]; then
    fail "backend/disasm without the source" "exit status $(cat "$TMP/rc") or no listing"
  else pass
  fi
fi

# ---------------------------------------------------------------------------
echo "== disasm shows only the source the bundle was compiled from"
# A bundle names its source file; disasm reads that file only if it is a
# regular file of the recorded size and CRC-32C. A bundle naming another file
# (here: the source replaced by a secret) must not print that file's lines.
mkdir -p "$TMP/s/d"
cp samples/simple_vote.bp "$TMP/s/a.bp"
(cd "$TMP/s" && "$BPC" compile ./a.bp -o 1.bpt && "$BPC" compile a.bp -o 2.bpt &&
  "$BPC" compile d/../a.bp -o 3.bpt && "$BPC" compile .//d/./../a.bp -o 4.bpt) 2>"$TMP/err"
if ! cmp -s "$TMP/s/1.bpt" "$TMP/s/2.bpt" || ! cmp -s "$TMP/s/1.bpt" "$TMP/s/3.bpt" ||
   ! cmp -s "$TMP/s/1.bpt" "$TMP/s/4.bpt"; then
  fail "backend/source name spelled differently" "./a.bp, a.bp, d/../a.bp and .//d/./../a.bp give different bundles $(head -n 2 "$TMP/err")"
else pass
fi
(cd "$TMP/s" && "$BPC" disasm 1.bpt) >"$TMP/dis" 2>"$TMP/err"
grep -q 'approve voters "Vote on {title}"' "$TMP/dis" && grep -q '^; source: a.bp (' "$TMP/dis" && pass ||
  fail "backend/disasm of an unchanged source" "no source lines, or the name is not a.bp: $(head -n 3 "$TMP/dis")"
i=1
while [ $i -le 40 ]; do echo "hunter2 secret line $i"; i=$((i + 1)); done >"$TMP/s/a.bp"
run "$TMP/dis" "$TMP/err" sh -c "cd '$TMP/s' && '$BPC' disasm 1.bpt"
if [ "$rc" -ne 0 ]; then fail "backend/disasm of a bundle naming another file" "exit status $rc: $(head -n 2 "$TMP/err")"
elif grep -q hunter2 "$TMP/dis"; then fail "backend/disasm of a bundle naming another file" "it printed that file's lines"
elif ! grep -q 'not the source' "$TMP/err"; then fail "backend/disasm of a bundle naming another file" "no note why the lines are missing"
else pass
fi
tr 'a-z' 'A-Z' <samples/simple_vote.bp >"$TMP/s/a.bp" # the same size, other bytes
(cd "$TMP/s" && "$BPC" disasm 1.bpt) >"$TMP/dis" 2>/dev/null
grep -q 'APPROVE VOTERS' "$TMP/dis" && fail "backend/disasm of a same-sized other file" "it printed that file's lines" || pass
rm -f "$TMP/s/a.bp"
mkfifo "$TMP/s/a.bp" # a FIFO with no writer: reading it would wait forever
TIMEOUT=5 run "$TMP/dis" "$TMP/err" sh -c "cd '$TMP/s' && '$BPC' disasm 1.bpt"
[ "$rc" -eq 0 ] && pass || fail "backend/disasm of a bundle naming a FIFO" "exit status $rc (124: it waited on the FIFO)"

echo "== output files: special files written in place, links followed"
# -o FILE replaces a regular file atomically, but a device, a FIFO or a
# symbolic link must stay what it is (`-o /dev/null` as root once replaced
# /dev/null with a regular file). Devices are made here with mknod, never
# the system's own. No temporary file may be left behind.
src=samples/simple_vote.bp
"$BPC" compile "$src" -o "$TMP/want.bpt" 2>/dev/null
mkdir -p "$TMP/o"
no_leftovers() { # NAME: no FILE.tmp.PID left in $TMP/o
  if ls "$TMP/o" | grep -q '\.tmp\.'; then fail "$1" "a temporary file was left: $(ls "$TMP/o" | grep '\.tmp\.')"
  else pass
  fi
}
if [ "$(id -u)" != 0 ]; then
  echo "skip: backend/-o to a device: needs root to make a device node (mknod)"
elif ! mknod "$TMP/o/null" c 1 3 2>/dev/null; then
  echo "skip: backend/-o to a device: mknod is not allowed here"
else
  run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/o/null"
  if [ "$rc" -ne 0 ]; then fail "backend/-o to a device" "exit status $rc: $(head -n 2 "$TMP/err")"
  elif [ ! -c "$TMP/o/null" ]; then fail "backend/-o to a device" "the device node was replaced by a regular file"
  else pass
  fi
  run "$TMP/out" "$TMP/err" "$BPC" fmt -w "$TMP/o/null"
  [ -c "$TMP/o/null" ] && pass || fail "backend/fmt -w of a device" "the device node was replaced"
  no_leftovers "backend/-o to a device leaves nothing"
fi
mkfifo "$TMP/o/fifo"
timeout 10 cat "$TMP/o/fifo" >"$TMP/fifo.got" & # gives up if no writer comes
reader=$!
run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/o/fifo"
wait "$reader" 2>/dev/null
if [ "$rc" -ne 0 ]; then fail "backend/-o to a FIFO" "exit status $rc: $(head -n 2 "$TMP/err")"
elif [ ! -p "$TMP/o/fifo" ]; then fail "backend/-o to a FIFO" "the FIFO was replaced by a regular file"
elif ! cmp -s "$TMP/fifo.got" "$TMP/want.bpt"; then fail "backend/-o to a FIFO" "its reader did not get the bundle"
else pass
fi
no_leftovers "backend/-o to a FIFO leaves nothing"
# a link in the same folder, a relative link into a subfolder, a dangling one
mkdir -p "$TMP/o/sub"
echo old >"$TMP/o/real.bpt"
ln -s real.bpt "$TMP/o/link.bpt"
ln -s sub/deep.bpt "$TMP/o/rel.bpt"
ln -s "$TMP/o/sub/new.bpt" "$TMP/o/dangling.bpt"
for l in link rel dangling; do
  run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/o/$l.bpt"
  target=$(readlink "$TMP/o/$l.bpt")
  case $target in /*) ;; *) target=$TMP/o/$target ;; esac
  if [ "$rc" -ne 0 ]; then fail "backend/-o to a $l symlink" "exit status $rc: $(head -n 2 "$TMP/err")"
  elif [ ! -L "$TMP/o/$l.bpt" ]; then fail "backend/-o to a $l symlink" "the link was replaced by a regular file"
  elif ! cmp -s "$target" "$TMP/want.bpt"; then fail "backend/-o to a $l symlink" "its target $target did not get the bundle"
  else pass
  fi
done
no_leftovers "backend/-o to symlinks leaves nothing"
ls "$TMP/o/sub" | grep -q '\.tmp\.' && fail "backend/-o to symlinks leaves nothing" "a temporary file in sub/" || pass
# fmt -w through a link rewrites the target and keeps the link
sed 's/^  /    /' "$src" >"$TMP/o/unformatted.bp"
ln -s unformatted.bp "$TMP/o/fmtlink.bp"
run "$TMP/out" "$TMP/err" "$BPC" fmt -w "$TMP/o/fmtlink.bp"
if [ ! -L "$TMP/o/fmtlink.bp" ]; then fail "backend/fmt -w of a symlink" "the link was replaced (exit $rc: $(head -n 2 "$TMP/err"))"
elif ! cmp -s "$TMP/o/unformatted.bp" "$src"; then fail "backend/fmt -w of a symlink" "the target was not formatted"
else pass
fi
# a regular file is replaced with its mode kept
cp "$TMP/want.bpt" "$TMP/o/mode.bpt" && chmod 640 "$TMP/o/mode.bpt"
run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/o/mode.bpt"
mode=$(stat -c %a "$TMP/o/mode.bpt")
[ "$rc" -eq 0 ] && [ "$mode" = 640 ] && pass || fail "backend/-o keeps the mode" "exit $rc, mode $mode, expected 640"
# a directory is refused, and nothing is made beside it
run "$TMP/out" "$TMP/err" "$BPC" compile "$src" -o "$TMP/o/sub"
[ "$rc" -eq 2 ] && [ -d "$TMP/o/sub" ] && grep -q 'directory' "$TMP/err" && pass ||
  fail "backend/-o to a directory" "exit $rc: $(head -n 2 "$TMP/err")"
no_leftovers "backend/-o to a directory leaves nothing"

# bprun mass --out and --journal follow the same rules (its own copy of them).
BPRUN=$BUILD/bprun
if [ -x "$BPRUN" ]; then
  "$BPC" compile samples/fix_city.bp -o "$TMP/fix.bpt" 2>/dev/null
  printf 'name,city,contract\nann,Tula,X-1\n' >"$TMP/rows.csv"
  "$BPRUN" mass "$TMP/fix.bpt" fix_city --documents "$TMP/rows.csv" --out "$TMP/want.csv" \
    --journal "$TMP/want.journal" --clock 2026-03-01T09:00 2>/dev/null
  echo old >"$TMP/o/real.csv"
  ln -s real.csv "$TMP/o/out.csv"
  mkfifo "$TMP/o/journal"
  timeout 10 cat "$TMP/o/journal" >"$TMP/journal.got" &
  reader=$!
  run "$TMP/out" "$TMP/err" "$BPRUN" mass "$TMP/fix.bpt" fix_city --documents "$TMP/rows.csv" \
    --out "$TMP/o/out.csv" --journal "$TMP/o/journal" --clock 2026-03-01T09:00
  wait "$reader" 2>/dev/null
  if [ "$rc" -ne 0 ]; then fail "backend/bprun mass --out to a symlink" "exit status $rc: $(head -n 2 "$TMP/err")"
  elif [ ! -L "$TMP/o/out.csv" ] || ! cmp -s "$TMP/o/real.csv" "$TMP/want.csv"; then
    fail "backend/bprun mass --out to a symlink" "the link was replaced, or its target not written"
  elif [ ! -p "$TMP/o/journal" ] || ! cmp -s "$TMP/journal.got" "$TMP/want.journal"; then
    fail "backend/bprun mass --journal to a FIFO" "the FIFO was replaced, or its reader got another journal"
  else pass
  fi
  no_leftovers "backend/bprun mass leaves nothing"
fi

echo "== limits (docs/limits.md)"
# A source of 1 GiB or more is refused before it is read (a sparse file: no disk used).
if truncate -s 1G "$TMP/huge.bp" 2>/dev/null; then
  TIMEOUT=5 run "$TMP/out" "$TMP/err" "$BPC" check "$TMP/huge.bp"
  [ "$rc" -eq 2 ] && grep -q 'is too large (the limit is 1 GiB)' "$TMP/err" && pass ||
    fail "limits/source of 1 GiB" "exit $rc: $(head -n 2 "$TMP/err")"
  rm -f "$TMP/huge.bp"
else echo "skip: limits/source of 1 GiB: truncate cannot make a sparse file here"
fi
# 100 errors, then bpc stops listing them.
{ echo 'process p {'; i=0; while [ $i -lt 150 ]; do echo "  n$i = 1"; i=$((i + 1)); done; echo '}'; } >"$TMP/errors.bp"
run "$TMP/out" "$TMP/err" "$BPC" check "$TMP/errors.bp"
count=$(grep -c ': error: ' "$TMP/err")
[ "$rc" -eq 1 ] && [ "$count" -eq 100 ] && grep -q 'too many errors, stopped after 100' "$TMP/err" && pass ||
  fail "limits/100 errors" "exit $rc, $count errors listed"
# Nesting: 200 levels of brackets are read, 201 are refused with the limit named.
for depth in 200 201; do
  awk -v d=$depth 'BEGIN { printf "process p {\n  var n: int = "; for (i = 1; i < d; i++) printf "("; printf "1"; for (i = 1; i < d; i++) printf ")"; printf "\n}\n" }' >"$TMP/nest.bp"
  run "$TMP/out" "$TMP/err" "$BPC" check "$TMP/nest.bp"
  if [ $depth = 200 ] && grep -q 'deeper than 200' "$TMP/err"; then fail "limits/nesting of 200" "refused: $(head -n 1 "$TMP/err")"
  elif [ $depth = 201 ] && { [ "$rc" -ne 1 ] || ! grep -q 'deeper than 200 levels' "$TMP/err"; }; then
    fail "limits/nesting of 201" "exit $rc: $(head -n 1 "$TMP/err")"
  else pass
  fi
done
# bprun mass --jobs: 1 to 64.
if [ -x "$BPRUN" ]; then
  run "$TMP/out" "$TMP/err" "$BPRUN" mass "$TMP/fix.bpt" fix_city --documents "$TMP/rows.csv" --out "$TMP/o/j.csv" --jobs 65
  [ "$rc" -eq 2 ] && grep -q -- '--jobs needs a number from 1 to 64' "$TMP/err" && pass ||
    fail "limits/mass --jobs 65" "exit $rc: $(head -n 2 "$TMP/err")"
fi

echo "== command line"
for cmd in compile disasm; do
  run "$TMP/out" "$TMP/err" "$BPC" $cmd --help
  if [ "$rc" -ne 0 ] || [ ! -s "$TMP/out" ]; then fail "backend/bpc $cmd --help" "exit status $rc or no help"
  else pass
  fi
done
# misuse NAME ARGS... — exit 2 with a message, nothing on stdout.
misuse() {
  _name=$1
  shift
  run "$TMP/out" "$TMP/err" "$BPC" "$@"
  if [ "$rc" -ne 2 ] || [ ! -s "$TMP/err" ] || [ -s "$TMP/out" ]; then
    fail "$_name" "exit status $rc, expected 2 with a message on stderr only"
  else pass
  fi
}
misuse "backend/compile without input" compile
misuse "backend/compile of two inputs" compile samples/simple_vote.bp samples/statuses.bp
misuse "backend/compile -o without a name" compile samples/simple_vote.bp -o
misuse "backend/compile of a missing file" compile "$TMP/no-such.bp"
misuse "backend/disasm without a bundle" disasm
misuse "backend/disasm of a missing file" disasm "$TMP/no-such.bpt"
if ! "$BPC" --help | grep -q 'compile'; then fail "backend/usage" "bpc --help does not list compile"
else pass
fi

# ---------------------------------------------------------------------------
echo "== a long else-if chain"
# 40,000 arms: code generation once took time quadratic in the arms (52 s for
# 40,000); linear, it takes about a second, so a generous limit tells them apart.
awk 'BEGIN {
  print "process chain {"; print "  param x: int"; print "  if x == 0 {"; print "    log \"0\""
  for (i = 1; i < 40000; i++) { print "  } else if x == " i " {"; print "    log \"arm\"" }
  print "  }"; print "}" }' >"$TMP/chain.bp"
_timeout=$TIMEOUT
TIMEOUT=40
run "$TMP/out" "$TMP/err" "$BPC" compile "$TMP/chain.bp" -o "$TMP/chain.bpt"
why=$(unsound "$TMP/err")
TIMEOUT=$_timeout
if [ -n "$why" ]; then fail "backend/else-if chain of 40000 arms" "$why"
elif [ "$rc" -ne 0 ] || [ ! -s "$TMP/chain.bpt" ]; then
  fail "backend/else-if chain of 40000 arms" "exit status $rc: $(head -n 1 "$TMP/err")"
else pass
fi

# ---------------------------------------------------------------------------
echo "== input read once: a pipe works like a file"
# Each input is read once and recognised by its content, so /dev/stdin fed by a
# pipe gives the same program as the file (it used to be read twice: the second
# read found nothing and an empty bundle was written).
for cmd in compile dot check; do
  case $cmd in
    compile) set -- compile /dev/stdin -o "$TMP/stdin.bpt" ;;
    dot) set -- dot /dev/stdin -o "$TMP/stdin.dot" ;;
    check) set -- check /dev/stdin ;;
  esac
  cat samples/simple_vote.bp | timeout -k 5 "$TIMEOUT" "$BPC" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" -ne 0 ]; then fail "backend/$cmd from a pipe" "exit status $rc: $(head -n 1 "$TMP/err")"
  elif [ "$cmd" = compile ] && ! "$BPC" disasm "$TMP/stdin.bpt" 2>/dev/null | grep -q '^process simple_vote'; then
    fail "backend/compile from a pipe" "the bundle has no process simple_vote"
  elif [ "$cmd" = dot ] && ! grep -q 'simple_vote' "$TMP/stdin.dot"; then
    fail "backend/dot from a pipe" "the diagram does not draw simple_vote"
  else pass
  fi
done
cat tests/golden/action_in_expression.bp | timeout -k 5 "$TIMEOUT" "$BPC" check /dev/stdin >/dev/null 2>&1
[ $? -eq 1 ] && pass || fail "backend/check from a pipe" "a broken program read from a pipe was not refused"

# ---------------------------------------------------------------------------
echo "== compile on two threads: the bytes and messages of one"
# A large program's bodies are lowered on a second thread while the first generates
# their code (lower.c, lower_bodies_ahead): the bundle, the warnings and the exit
# status must be those of one thread (BPC_THREADS=1). A process that lowering makes but
# ir_finish refuses (a parallel of 256 branches) stops the compile at the first one in
# the file, as on one thread, whatever the other thread lowered past it.
sh bench/gen.sh 10000 >"$TMP/gen10000.bp"
wide() { # NAME -> a process whose parallel has 256 branches
  echo "process $1 {"
  echo "  parallel {"
  i=0
  while [ $i -lt 256 ]; do echo "    branch { log \"b$i\" }"; i=$((i + 1)); done
  echo "  }"
  echo "}"
}
wide wide_a >"$TMP/wide_a.bp"
wide wide_b >"$TMP/wide_b.bp"
# the first refused process in the middle of the file, a second one near its end
awk -v mid="$(grep -c '^process ' "$TMP/gen10000.bp")" -v a="$TMP/wide_a.bp" -v b="$TMP/wide_b.bp" '
  /^process / { n++; if (n == int(mid / 2)) while ((getline l < a) > 0) print l;
                if (n == mid - 1) while ((getline l < b) > 0) print l }
  { print }' "$TMP/gen10000.bp" >"$TMP/refused.bp"
for prog in gen10000 refused; do
  for t in 1 2; do
    rm -f "$TMP/$prog.$t.bpt"
    export BPC_THREADS=$t
    run "$TMP/$prog.$t.out" "$TMP/$prog.$t.err" "$BPC" compile "$TMP/$prog.bp" -o "$TMP/$prog.$t.bpt"
    unset BPC_THREADS
    echo "$rc" >"$TMP/$prog.$t.rc"
    why=$(unsound "$TMP/$prog.$t.err")
    [ -z "$why" ] || fail "backend/threads $prog $t" "$why"
  done
  same=1
  for x in out err rc; do cmp -s "$TMP/$prog.1.$x" "$TMP/$prog.2.$x" || same=0; done
  if [ -f "$TMP/$prog.1.bpt" ] || [ -f "$TMP/$prog.2.bpt" ]; then
    cmp -s "$TMP/$prog.1.bpt" "$TMP/$prog.2.bpt" || same=0
  fi
  if [ $same -eq 1 ]; then pass
  else fail "backend/threads $prog" "two threads did not write what one did (bundle, output or status)"
  fi
done
if [ "$(cat "$TMP/gen10000.2.rc")" -eq 0 ] && [ -s "$TMP/gen10000.2.bpt" ]; then pass
else fail "backend/threads gen10000" "no bundle on two threads"
fi
if [ "$(cat "$TMP/refused.2.rc")" -eq 1 ] && [ ! -f "$TMP/refused.2.bpt" ] &&
   grep -q "cannot compile: .*process \`wide_a\`, node \`fork_[0-9]*\`: a parallel split needs 1 to 255 FLOW edges" "$TMP/refused.2.err" &&
   ! grep -q wide_b "$TMP/refused.2.err"; then pass
else fail "backend/threads refused" "not refused at the first wide process:"; tail -n 2 "$TMP/refused.2.err"
fi

# ---------------------------------------------------------------------------
echo "== bundles pinned byte for byte (tests/bundles.cksum)"
# A faster compiler must write the same bytes: every sample, every scenario program
# and bench/gen.sh's program (3,000 lines, the whole language) compiles to the
# bundle whose checksum and size are listed. A change of the bundle format or of a
# listed program on purpose: regenerate the list (the command is in its first line)
# and say why in the commit.
bundle_sum() { # SOURCE (relative to the current directory) -> "CRC SIZE SOURCE", or nothing
  rm -f "$TMP/pin.bpt"
  run "$TMP/out" "$TMP/err" "$BPC" compile "$1" -o "$TMP/pin.bpt"
  if [ "$rc" -eq 0 ] && [ -f "$TMP/pin.bpt" ]; then
    set -- "$(cksum <"$TMP/pin.bpt")" "$1"
    echo "$1 $2"
  fi
}
sh bench/gen.sh 3000 >"$TMP/gen3000.bp"
while read -r crc size src; do
  case $crc in '#'*) continue ;; esac
  if [ "$src" = gen3000.bp ]; then got=$(cd "$TMP" && bundle_sum gen3000.bp)
  elif [ -f "$src" ]; then got=$(bundle_sum "$src")
  else fail "backend/pinned $src" "listed in tests/bundles.cksum but missing"; continue
  fi
  if [ "$got" = "$crc $size $src" ]; then pass
  else fail "backend/pinned $src" "the bundle is not the pinned one (${got:-no bundle}; pinned: $crc $size)"
  fi
done <tests/bundles.cksum

# ---------------------------------------------------------------------------
echo "== a large file on one thread and on two (BPC_THREADS)"
# At 10,000 lines (330 KB) the parse is cut in two halves and the 600 KB bundle is
# written beside the self-check: the bundle, the messages and the exit status must be
# those of one thread, for a program that compiles, one with an error in either half,
# and with -o to an existing file, to a FIFO (written in place, not through a
# temporary file); no temporary file may be left behind.
sh bench/gen.sh 10000 >"$TMP/big.bp"
awk 'NR == 200 { print "process broken {"; print "  x = "; print "}" } { print }' "$TMP/big.bp" >"$TMP/big-first.bp"
awk '{ print } END { print "process broken {"; print "  log \"open"; print "}" }' "$TMP/big.bp" >"$TMP/big-second.bp"
for src in big big-first big-second; do
  for t in 1 2; do
    echo old >"$TMP/$src.$t.bpt"
    BPC_THREADS=$t run "$TMP/out.$t" "$TMP/err.$t" "$BPC" compile "$TMP/$src.bp" -o "$TMP/$src.$t.bpt"
    echo "$rc" >"$TMP/rc.$t"
  done
  why=$(unsound "$TMP/err.2")
  if [ -n "$why" ]; then fail "backend/threads $src" "$why"
  elif ! cmp -s "$TMP/rc.1" "$TMP/rc.2" || ! cmp -s "$TMP/err.1" "$TMP/err.2"; then
    fail "backend/threads $src" "exit status or messages differ: $(cat "$TMP/rc.1") vs $(cat "$TMP/rc.2")"
  elif ! cmp -s "$TMP/$src.1.bpt" "$TMP/$src.2.bpt"; then
    fail "backend/threads $src" "the output files differ"
  elif ls "$TMP" | grep -q '\.tmp\.'; then
    fail "backend/threads $src" "a temporary file was left: $(ls "$TMP" | grep '\.tmp\.')"
  else pass
  fi
done
if [ "$(cat "$TMP/rc.1")" -ne 1 ] || [ "$(cat "$TMP/big-second.2.bpt")" != old ]; then
  fail "backend/threads big-second" "a broken program must leave the old output as it was"
else pass
fi
if mkfifo "$TMP/fifo" 2>/dev/null; then
  cat "$TMP/fifo" >"$TMP/from-fifo" &
  BPC_THREADS=2 run "$TMP/out" "$TMP/err" "$BPC" compile "$TMP/big.bp" -o "$TMP/fifo"
  wait
  if [ "$rc" -ne 0 ] || ! cmp -s "$TMP/from-fifo" "$TMP/big.1.bpt"; then
    fail "backend/threads fifo" "exit status $rc, or the bytes read from the FIFO differ"
  else pass
  fi
fi

# ---------------------------------------------------------------------------
echo "== check and fmt of a large file on one thread and on two"
# The parse cuts a large file in two halves, each interning its own names: the checker
# compares names by their text, so a process defined in both halves is a duplicate and a
# name from the first half is found from the second, as on one thread. A CRLF file is
# cut at a line too, and fmt prints its comments as one thread's parse does.
awk '/^process / && !d { d = 1; copy = 1 } copy { dup = dup $0 "\n" } copy && /^}/ { copy = 0 }
     { print } END { printf "%s", dup }' "$TMP/big.bp" >"$TMP/big-dup.bp"
awk '{ print } END { print "process late {"; print "  start followup_1(note: nosuch)"; print "}" }' \
  "$TMP/big.bp" >"$TMP/big-undef.bp"
awk '{ printf "%s\r\n", $0 }' "$TMP/big.bp" >"$TMP/big-crlf.bp"
for src in big-dup big-undef big-crlf; do
  for cmd in check fmt; do
    for t in 1 2; do
      BPC_THREADS=$t run "$TMP/out.$t" "$TMP/err.$t" "$BPC" $cmd "$TMP/$src.bp"
      echo "$rc" >"$TMP/rc.$t"
    done
    why=$(unsound "$TMP/err.2")
    if [ -n "$why" ]; then fail "backend/threads $cmd $src" "$why"
    elif ! cmp -s "$TMP/rc.1" "$TMP/rc.2" || ! cmp -s "$TMP/err.1" "$TMP/err.2" ||
         ! cmp -s "$TMP/out.1" "$TMP/out.2"; then
      fail "backend/threads $cmd $src" "two threads said what one did not: $(cat "$TMP/rc.1") vs $(cat "$TMP/rc.2")"
    else pass
    fi
  done
done
if [ "$(cat "$TMP/rc.2")" -eq 0 ] && BPC_THREADS=2 "$BPC" check "$TMP/big-dup.bp" 2>&1 | grep -q 'duplicate process' &&
   BPC_THREADS=2 "$BPC" check "$TMP/big-undef.bp" 2>&1 | grep -q 'unknown name .nosuch.'; then pass
else fail "backend/threads check" "the duplicate process or the unknown name was not reported"
fi

# ---------------------------------------------------------------------------
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
