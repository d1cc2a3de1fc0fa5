#!/bin/sh
# mass.sh BUILD — `bprun mass` through the command line: samples/fix_city.bp (S15) on
# tests/mass/contacts.csv (Cyrillic, quoted commas and quotes, a cell over two lines,
# malformed lines) and tests/mass/accounts.bp on typed columns, each against its
# expected OUT.csv; a CRLF file with a BOM; --jobs 1 and 4 giving the same bytes; bad
# rows and waiting processes reported with their line and not stopping the others; a
# generated file of 20,000 rows; values read back as written; misuse; and no output
# (or the old one untouched) when a run fails. Then `bprun run` with commands piped in:
# its exit status, the positions in its messages, its help.
#
# Run from the repository root (tests/run.sh calls it). Prints one line per failure and
# ends with `N passed, N failed`; exits non-zero on failure.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
TIMEOUT=${TIMEOUT:-60}
export LC_ALL=C
M=tests/mass

. tests/lib.sh
need_built mass.sh "$BPC" "$BPRUN"
make_tmp bpc-mass

# exited NAME WANT_RC — true when the last run (rc, its stderr in $TMP/err) exited
# WANT_RC soundly, else reports the failure.
exited() {
  _why=$(unsound "$TMP/err")
  if [ -n "$_why" ]; then fail "$1" "$_why"; return 1; fi
  if [ "$rc" -ne "$2" ]; then
    fail "$1" "exit status $rc, expected $2: $(head -n 5 "$TMP/err")"
    return 1
  fi
  return 0
}

# mass NAME WANT_RC ARGS... — runs bprun mass ARGS (stderr in $TMP/err); true when it
# exited WANT_RC soundly, else reports the failure.
mass() {
  _name=$1 _want=$2
  shift 2
  run "$TMP/stdout" "$TMP/err" "$BPRUN" mass "$@"
  exited "$_name" "$_want"
}

# same NAME EXPECTED ACTUAL — the files are the same bytes.
same() {
  if cmp -s "$2" "$3"; then pass
  else
    fail "$1" "differs from $2:"
    diff -u "$2" "$3" | head -n 30
  fi
}

# said NAME TEXT — stderr of the last run has a line with TEXT (fixed string).
said() {
  if grep -q -F -e "$2" "$TMP/err"; then pass
  else fail "$1" "no line with \"$2\" on stderr: $(head -n 5 "$TMP/err")"
  fi
}

# leftovers DIR — temporary files left in DIR.
leftovers() { ls "$1" | grep '\.tmp\.' ; }

# ---------------------------------------------------------------------------
echo "== mass: compile"
# compiled NAME SRC OUT — compiles SRC to OUT, or reports the failure and stops: every
# test below needs the bundle.
compiled() {
  "$BPC" compile "$2" -o "$3" 2>"$TMP/err" && return
  fail "$1" "$(head -n 5 "$TMP/err")"
  echo "$passed passed, $failed failed"
  exit 1
}
compiled "mass/compile fix_city" samples/fix_city.bp "$TMP/fix_city.bpt"
compiled "mass/compile accounts" $M/accounts.bp "$TMP/accounts.bpt"
FIX=$TMP/fix_city.bpt
ACC=$TMP/accounts.bpt
CLOCK="--clock 2026-03-01T09:00"

# ---------------------------------------------------------------------------
echo "== mass: S15 on contacts.csv"
# Bad lines (10: two cells, 11: text after a closing quote, 13: a quote never closed)
# are reported, written with status error, and the rows after them still run.
mass "mass/contacts" 1 "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/c1.csv" --journal "$TMP/c1.journal" $CLOCK &&
  same "mass/contacts output" $M/contacts.expected.csv "$TMP/c1.csv"
said "mass/contacts line 10" "$M/contacts.csv:10: 2 cells where the header has 3"
said "mass/contacts line 11" "$M/contacts.csv:11: name: text after the closing quote"
said "mass/contacts line 13" "$M/contacts.csv:13: city: a quote is never closed"
said "mass/contacts summary" "10 rows: 7 completed, 0 terminated, 0 failed, 3 bad ("

# The journal: bprun test's format, the row number as the instance number.
if head -n 1 "$TMP/c1.journal" | grep -q '^# bprun journal: time, instance, process, node, text$' &&
  grep -q "$(printf '^2026-03-01T09:00\t#1\tfix_city\t[a-z_0-9]*\tcity Мсква -> Москва$')" "$TMP/c1.journal" &&
  grep -q "$(printf '^2026-03-01T09:00\t#9\tfix_city\t[a-z_0-9]*\tcontract = Дезрем$')" "$TMP/c1.journal" &&
  ! grep -q "$(printf '\t#7\t')" "$TMP/c1.journal"; then pass
else fail "mass/contacts journal" "not the lines expected: $(head -n 4 "$TMP/c1.journal")"
fi

# Four threads: the same output and journal, byte for byte.
mass "mass/contacts --jobs 4" 1 "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/c4.csv" --journal "$TMP/c4.journal" --jobs 4 $CLOCK &&
  same "mass/contacts --jobs 4 output" "$TMP/c1.csv" "$TMP/c4.csv" &&
  same "mass/contacts --jobs 4 journal" "$TMP/c1.journal" "$TMP/c4.journal"

# A CRLF file with a BOM: read the same, written with its line ends and its BOM.
printf '\357\273\277name,city,contract\r\nИван,Мсква,Дизрем-1\r\n"Петров, Пётр", Масква ,Дезерм-2\r\n\r\nОля,Тула,"Дезрем-3"\r\n' >"$TMP/crlf.csv"
printf '\357\273\277name,city,contract,status,message\r\nИван,Москва,Дезрем-1,completed,\r\n"Петров, Пётр",Москва,Дезрем-2,completed,\r\nОля,Тула,Дезрем-3,completed,\r\n' >"$TMP/crlf.expected"
mass "mass/CRLF and BOM" 0 "$FIX" fix_city --documents "$TMP/crlf.csv" --out "$TMP/crlf.out" &&
  same "mass/CRLF and BOM output" "$TMP/crlf.expected" "$TMP/crlf.out"

# Text cells bprun hands to the runtime as they stand (no copy) and the ones it must
# parse: a quoted literal, blanks and tabs to trim, a line end inside, invalid UTF-8
# (bytes FF FE, an overlong form, a surrogate, a code point above U+10FFFF), a 4-byte
# character: the same values and messages as bp_value_parse gives, with 1 and 2 jobs.
mass "mass/text cells" 1 "$FIX" fix_city --documents $M/cells.csv --out "$TMP/cells1.csv" $CLOCK &&
  same "mass/text cells output" $M/cells.expected.csv "$TMP/cells1.csv"
said "mass/text cells surrogate" "$M/cells.csv:7: name: text that is not valid UTF-8"
mass "mass/text cells --jobs 2" 1 "$FIX" fix_city --documents $M/cells.csv --out "$TMP/cells2.csv" --jobs 2 $CLOCK &&
  same "mass/text cells --jobs 2 output" $M/cells.expected.csv "$TMP/cells2.csv"

# ---------------------------------------------------------------------------
echo "== mass: typed columns (tests/mass/accounts.bp)"
mass "mass/accounts" 1 "$ACC" check --documents $M/accounts.csv --out "$TMP/a1.csv" $CLOCK limit=2000 &&
  same "mass/accounts output" $M/accounts.expected.csv "$TMP/a1.csv"
said "mass/accounts waits for people" "$M/accounts.csv:3: row 2: the process waits for people (task for bob \"Check big\") — mass runs need processes that finish on their own"
said "mass/accounts failure" "$M/accounts.csv:5: row 4: the process failed: division by zero (at $M/accounts.bp:"
said "mass/accounts timer" "$M/accounts.csv:6: row 5: the process waits until 2026-03-02T09:00"
said "mass/accounts bad decimal" "$M/accounts.csv:7: balance: \`12.5.0\` is not a number"
said "mass/accounts bad date" "$M/accounts.csv:8: opened: \`2026-13-01\` is not a date"
said "mass/accounts summary" "9 rows: 3 completed, 1 terminated, 3 failed, 2 bad ("

# A row with two bad cells: the first, in column order, is the one reported, even though
# bprun hands a text cell to bp_start without checking its UTF-8 itself.
printf 'name,balance\n\377bad,many\nok,12.50\n' >"$TMP/two_bad.csv"
mass "mass/two bad cells" 1 "$ACC" check --documents "$TMP/two_bad.csv" --out "$TMP/two_bad.out" $CLOCK
said "mass/two bad cells: the first" "$TMP/two_bad.csv:2: name: text that is not valid UTF-8"

mass "mass/accounts --jobs 4" 1 "$ACC" check --documents $M/accounts.csv --out "$TMP/a4.csv" --jobs 4 $CLOCK limit=2000 &&
  same "mass/accounts --jobs 4 output" "$TMP/a1.csv" "$TMP/a4.csv"

# What is written reads back as the same values: the output of a process that changes
# nothing, without its status and message, run again gives the same output.
mass "mass/read back" 1 "$ACC" keep --documents $M/accounts.csv --out "$TMP/k1.csv" $CLOCK
grep -v ',error,' "$TMP/k1.csv" >"$TMP/k1.good"
sed -e 's/,status,message$//' -e 's/,completed,$//' "$TMP/k1.good" >"$TMP/k1.in"
mass "mass/read back, again" 0 "$ACC" keep --documents "$TMP/k1.in" --out "$TMP/k2.csv" $CLOCK &&
  same "mass/read back output" "$TMP/k1.good" "$TMP/k2.csv"

# Parameters: the same for every row; one without a default must be given.
mass "mass/parameter" 0 "$ACC" grant --documents "$TMP/k1.in" --out "$TMP/g.csv" amount=10.00 $CLOCK &&
  if grep -q '^ann,20.50,2026-01-05,ann,"bob, carol",false,granted 10.00,completed,$' "$TMP/g.csv"; then pass
  else fail "mass/parameter output" "no granted row for ann: $(sed -n 2p "$TMP/g.csv")"
  fi
rm -f "$TMP/g.csv"
mass "mass/missing parameter" 2 "$ACC" grant --documents "$TMP/k1.in" --out "$TMP/g.csv" &&
  said "mass/missing parameter message" "amount" &&
  if [ -e "$TMP/g.csv" ]; then fail "mass/missing parameter" "an output was written"; else pass; fi

# role("x") answers from BPRUN_ROLE_x, as in bprun test.
BPRUN_ROLE_auditors=ann,bob mass "mass/roles" 0 "$ACC" audit --documents "$TMP/k1.in" --out "$TMP/r.csv" $CLOCK &&
  if grep -q '^ann,10.50,2026-01-05,ann,"ann, bob",false,,completed,$' "$TMP/r.csv"; then pass
  else fail "mass/roles output" "the auditors are not ann and bob: $(sed -n 2p "$TMP/r.csv")"
  fi

# An unknown column stops everything before a row runs: no output, an old one untouched.
printf 'name,town,city\nИван,Тула,Мсква\n' >"$TMP/cols.csv"
echo "old output" >"$TMP/cols.out"
mass "mass/unknown column" 1 "$FIX" fix_city --documents "$TMP/cols.csv" --out "$TMP/cols.out" &&
  said "mass/unknown column message" "$TMP/cols.csv:1: column 2: unknown column \`town\`" &&
  if [ "$(cat "$TMP/cols.out")" = "old output" ]; then pass; else fail "mass/unknown column" "the old output was replaced"; fi

# Dates are of the years 1 to 9999, so what mass writes it reads back: a date moved past
# 9999-12-31 fails its row with a message (it was written as year 1918560 and could not
# be read again), and year 0 is not read.
printf 'name,opened\nlast,9999-12-31\nfirst,0001-01-01\n' >"$TMP/edge.csv"
mass "mass/the last date" 0 "$ACC" postpone --documents "$TMP/edge.csv" --out "$TMP/edge0.csv" shift=0d $CLOCK &&
  if grep -q '^last,9999-12-31,completed,$' "$TMP/edge0.csv" && grep -q '^first,0001-01-01,completed,$' "$TMP/edge0.csv"; then pass
  else fail "mass/the last date output" "$(cat "$TMP/edge0.csv")"
  fi
mass "mass/past the last date" 1 "$ACC" postpone --documents "$TMP/edge.csv" --out "$TMP/edge1.csv" shift=1d $CLOCK &&
  said "mass/past the last date message" "$TMP/edge.csv:2: row 1: the process failed: a date outside the years 1 to 9999" &&
  if grep -q '^last,9999-12-31,failed,a date outside' "$TMP/edge1.csv" && grep -q '^first,0001-01-02,completed,$' "$TMP/edge1.csv"; then pass
  else fail "mass/past the last date output" "$(cat "$TMP/edge1.csv")"
  fi
mass "mass/far past the last date" 1 "$ACC" postpone --documents $M/accounts.csv --out "$TMP/far.csv" shift=700000000d $CLOCK &&
  said "mass/far past the last date summary" "9 rows: 0 completed, 0 terminated, 7 failed, 2 bad (" &&
  if grep -q -E '[0-9]{5}-[0-9]{2}-[0-9]{2}' "$TMP/far.csv"; then fail "mass/far past the last date output" "a year of five digits"
  else pass
  fi
printf 'name,opened\nzero,0000-12-31\n' >"$TMP/zero.csv"
mass "mass/year 0" 1 "$ACC" keep --documents "$TMP/zero.csv" --out "$TMP/zero.out" $CLOCK &&
  said "mass/year 0 message" "$TMP/zero.csv:2: opened: \`0000-12-31\` is not a date"

# Nothing is taken in part: a NUL byte (in the header or a row), a record over 1 MiB,
# more than 10,000 cells — each refused with its line and column or cell.
printf 'name,ci\000ty\nx,y\n' >"$TMP/nul.csv"
mass "mass/NUL in the header" 1 "$FIX" fix_city --documents "$TMP/nul.csv" --out "$TMP/nul.out" &&
  said "mass/NUL in the header message" "$TMP/nul.csv:1: the header, column 2: a NUL byte"
printf 'name,city,contract\nИван,Мс\000ква,Д-1\nОля,Тула,Д-2\n' >"$TMP/nulrow.csv"
mass "mass/NUL in a row" 1 "$FIX" fix_city --documents "$TMP/nulrow.csv" --out "$TMP/nulrow.out" &&
  said "mass/NUL in a row message" "$TMP/nulrow.csv:2: city: a NUL byte" &&
  said "mass/NUL in a row summary" "2 rows: 1 completed, 0 terminated, 0 failed, 1 bad ("
awk 'BEGIN { printf "name,city,contract\nИван,"; for (i = 0; i < 70000; i++) printf "Москва-Тула"; print ",Д-1"; print "Оля,Тула,Д-2" }' >"$TMP/long.csv"
mass "mass/long record" 1 "$FIX" fix_city --documents "$TMP/long.csv" --out "$TMP/long.out" &&
  said "mass/long record message" "$TMP/long.csv:2: name: a record longer than 1 MiB"
awk 'BEGIN { printf "name,city,contract\nИван"; for (i = 0; i < 10005; i++) printf ",x"; print ""; print "Оля,Тула,Д-2" }' >"$TMP/wide.csv"
mass "mass/many cells" 1 "$FIX" fix_city --documents "$TMP/wide.csv" --out "$TMP/wide.out" &&
  said "mass/many cells message" "$TMP/wide.csv:2: cell 10001: more cells than 10000"
awk 'BEGIN { printf "name"; for (i = 0; i < 20; i++) printf ",c%d", i; print ""; print "x" }' >"$TMP/cols20.csv"
mass "mass/many bad columns" 1 "$FIX" fix_city --documents "$TMP/cols20.csv" --out "$TMP/cols20.out" &&
  said "mass/many bad columns, counted" "$TMP/cols20.csv:1: and 10 more bad columns"

# ---------------------------------------------------------------------------
echo "== mass: 20,000 generated rows"
awk 'BEGIN {
  print "name,city,contract"
  split("Моква,Мсква,Масква,москва,Тула", city, ",")
  for (i = 1; i <= 20000; i++) printf "\"Контакт %d, ООО\",%s,Дизрем-%05d\n", i, city[1 + i % 5], i
}' >"$TMP/big.csv"
mass "mass/20000 rows --jobs 2" 0 "$FIX" fix_city --documents "$TMP/big.csv" --out "$TMP/big2.csv" --jobs 2 &&
  said "mass/20000 rows summary" "20000 rows: 20000 completed, 0 terminated, 0 failed, 0 bad (" &&
  if [ "$(wc -l <"$TMP/big2.csv" | tr -d ' ')" -eq 20001 ] &&
    [ "$(sed -n 2p "$TMP/big2.csv")" = '"Контакт 1, ООО",Москва,Дезрем-00001,completed,' ] &&
    [ "$(sed -n 5p "$TMP/big2.csv")" = '"Контакт 4, ООО",Тула,Дезрем-00004,completed,' ] &&
    [ "$(sed -n 12346p "$TMP/big2.csv")" = '"Контакт 12345, ООО",Москва,Дезрем-12345,completed,' ] &&
    [ "$(tail -n 1 "$TMP/big2.csv")" = '"Контакт 20000, ООО",Москва,Дезрем-20000,completed,' ]; then pass
  else fail "mass/20000 rows output" "$(wc -l <"$TMP/big2.csv") lines; line 2: $(sed -n 2p "$TMP/big2.csv")"
  fi
mass "mass/20000 rows --jobs 1" 0 "$FIX" fix_city --documents "$TMP/big.csv" --out "$TMP/big1.csv" &&
  same "mass/20000 rows, 1 and 2 jobs" "$TMP/big1.csv" "$TMP/big2.csv"
# --jobs 1 without a progress bar runs the rows in the thread that writes them
# (read_and_write), no second thread. Its output is a FIFO whose reader holds it open:
# once more than a pipe's worth (64 KB) was read, the rows are running and writing, and
# the run then stops in a write, the reader reading no more; its threads are counted.
if [ -d /proc/self/task ] && mkfifo "$TMP/fifo" 2>/dev/null; then
  "$BPRUN" mass "$FIX" fix_city --documents "$TMP/big.csv" --out "$TMP/fifo" 2>/dev/null &
  mpid=$!
  exec 3<>"$TMP/fifo" # (read and write: the open cannot block, whatever the run does)
  timeout 20 head -c 70000 <&3 >"$TMP/fifo.got"
  sleep 0.3
  threads=$(ls "/proc/$mpid/task" 2>/dev/null | wc -l | tr -d ' ')
  exec 3<&-
  wait "$mpid" 2>/dev/null
  if [ "$(head -n 1 "$TMP/fifo.got")" = "name,city,contract,status,message" ] && [ "$threads" = 1 ]; then pass
  else fail "mass/--jobs 1 in one thread" "$threads threads; first line: $(head -n 1 "$TMP/fifo.got")"
  fi
fi
if [ -n "$(leftovers "$TMP")" ]; then fail "mass/temporary files" "left behind: $(leftovers "$TMP")"; else pass; fi

# ---------------------------------------------------------------------------
echo "== mass: the database libraries are not loaded"
# A mass run never opens a store: the store's SQLite and PostgreSQL libraries (libpq with
# its two dozen dependencies) are loaded when a store is opened, not when bprun starts
# (docs/performance-log.md: `bprun mass`, the fifth round). glibc's loader names every library it loads
# under LD_DEBUG=libs; a store command run the same way shows the check can see one.
LD_DEBUG=libs "$BPRUN" mass "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/ld.csv" >/dev/null 2>"$TMP/ld.err"
LD_DEBUG=libs "$BPRUN" --store "$TMP/ld.db" list >/dev/null 2>"$TMP/ld_store.err"
if ! grep -q 'libsqlite3\.so' "$TMP/ld_store.err"; then
  echo "note: LD_DEBUG=libs names no library here (not glibc's loader): the check is skipped"
elif grep -q -e 'libpq\.so' -e 'libsqlite3\.so' "$TMP/ld.err"; then
  fail "mass/no database library" "$(grep -e 'libpq\.so' -e 'libsqlite3\.so' "$TMP/ld.err" | head -n 2)"
else pass
fi

# ---------------------------------------------------------------------------
echo "== mass: a text changed to another of its length"
# A text the run left as its cell gave it is written as the cell stands (put_document);
# one changed to other bytes of the same length must not be: short (under 8 bytes, the
# byte-wise compare), 8 bytes, and longer (8 at a time, the last 8 again), the change at
# the start, in the middle and at the end; unchanged ones as they stand, quoted or not.
cat >"$TMP/same_len.bp" <<'BP'
document Code { code: string }
process swap "Swap letters" on Code {
  if code == "ab" { code = "ba" }
  if code == "abcdefgh" { code = "abcdefgX" }
  if code == "abcdefghijklmnopq" { code = "abcdefghXjklmnopq" }
  if code == "abcdefghijklmnopq1" { code = "Xbcdefghijklmnopq1" }
}
BP
printf 'code\nab\nabcdefgh\nabcdefghijklmnopq\nabcdefghijklmnopq1\n"ab"\nabcdefghijklmnopq2\n' >"$TMP/same_len.csv"
printf 'code,status,message\nba,completed,\nabcdefgX,completed,\nabcdefghXjklmnopq,completed,\nXbcdefghijklmnopq1,completed,\nba,completed,\nabcdefghijklmnopq2,completed,\n' >"$TMP/same_len.expected.csv"
compiled "mass/compile same_len" "$TMP/same_len.bp" "$TMP/same_len.bpt"
mass "mass/same length" 0 "$TMP/same_len.bpt" swap --documents "$TMP/same_len.csv" --out "$TMP/same_len.out.csv" $CLOCK &&
  same "mass/same length output" "$TMP/same_len.expected.csv" "$TMP/same_len.out.csv"

# ---------------------------------------------------------------------------
echo "== mass: misuse and failures"
rm -f "$TMP/x.csv"
# misuse NAME ARGS... — exit 2, a message, and no output written.
misuse() {
  _name=$1
  shift
  if mass "$_name" 2 "$@"; then
    if [ ! -s "$TMP/err" ]; then fail "$_name" "no message"
    elif [ -e "$TMP/x.csv" ]; then fail "$_name" "an output was written"
    else pass
    fi
  fi
  rm -f "$TMP/x.csv"
}
misuse "mass/missing --out" "$FIX" fix_city --documents $M/contacts.csv
misuse "mass/missing --documents" "$FIX" fix_city --out "$TMP/x.csv"
misuse "mass/unknown process" "$FIX" no_such_process --documents $M/contacts.csv --out "$TMP/x.csv"
misuse "mass/missing CSV file" "$FIX" fix_city --documents "$TMP/no-such.csv" --out "$TMP/x.csv"
misuse "mass/missing bundle" "$TMP/no-such.bpt" fix_city --documents $M/contacts.csv --out "$TMP/x.csv"
misuse "mass/--jobs 0" "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/x.csv" --jobs 0
misuse "mass/--jobs 65" "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/x.csv" --jobs 65
misuse "mass/unknown parameter" "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/x.csv" colour=red
misuse "mass/bad --clock" "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/x.csv" --clock soon
misuse "mass/output in a missing directory" "$FIX" fix_city --documents $M/contacts.csv --out "$TMP/no/x.csv"

# Writing fails half-way (a file size limit): exit 2, the old output untouched, no
# temporary file left.
mkdir -p "$TMP/full"
echo "old output" >"$TMP/full/out.csv"
run "$TMP/stdout" "$TMP/err" sh -c 'ulimit -f 64; trap "" XFSZ; exec "$@"' sh \
  "$BPRUN" mass "$FIX" fix_city --documents "$TMP/big.csv" --out "$TMP/full/out.csv" --journal "$TMP/full/j.txt" --jobs 2
if exited "mass/write fails" 2; then
  if [ "$(cat "$TMP/full/out.csv")" != "old output" ]; then fail "mass/write fails" "the old output was replaced"
  elif [ -e "$TMP/full/j.txt" ]; then fail "mass/write fails" "a journal was written"
  elif [ -n "$(leftovers "$TMP/full")" ]; then fail "mass/write fails" "left behind: $(leftovers "$TMP/full")"
  else pass
  fi
fi

# ---------------------------------------------------------------------------
echo "== bprun run (commands from a pipe)"
PAR="$TMP/params.bpt"
"$BPC" compile tests/scenarios/params.bp -o "$PAR" >"$TMP/err" 2>&1 || fail "bprun run/compile" "$(cat "$TMP/err")"
# brun NAME WANT_RC INPUT ARGS... — bprun run ARGS with INPUT piped in (stdout and
# stderr in $TMP/err); true when it exited WANT_RC soundly.
brun() {
  _name=$1 _want=$2 _input=$3
  shift 3
  printf '%b' "$_input" >"$TMP/input"
  timeout -k 5 "$TIMEOUT" "$BPRUN" run "$@" <"$TMP/input" >"$TMP/err" 2>&1
  rc=$?
  exited "$_name" "$_want"
}
brun "bprun run/accepted" 0 'approve ann\napprove bob\n' "$PAR" approval title=x approvers=ann,bob quorum=100 &&
  said "bprun run/accepted output" "#1 completed"
# A refused start exits 1 (it exited 0) and says so at `start:` (it said `<stdin>:0:`).
brun "bprun run/start refused" 1 '' "$PAR" approval title=x &&
  said "bprun run/start refused message" "start: refused: \`approval\` cannot start: parameter \`approvers\`"
brun "bprun run/unknown process" 1 '' "$PAR" no_such_process &&
  said "bprun run/unknown process message" "start: error: no process \`no_such_process\`"
# A refused command is told with its input line, and the exit status is 1.
brun "bprun run/command refused" 1 'items\napprove carol\napprove ann\n' "$PAR" approval title=x approvers=ann,bob quorum=100 &&
  said "bprun run/command refused message" "stdin:2: refused: no open approval for carol"
brun "bprun run/help command" 0 'help\n' "$PAR" approval title=x approvers=ann &&
  said "bprun run/help command output" "approve USER [COMMENT]"
brun "bprun run --help" 0 '' --help && said "bprun run --help output" "usage: bprun run BUNDLE.bpt PROCESS" &&
  said "bprun run --help commands" "advance 1d"
brun "bprun run/no process" 2 '' "$PAR"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
