#!/bin/sh
# store/run.sh BUILD — `bprun --store`: processes kept in a database across separate bprun
# runs. S1 (two-stage approval) and S11 (deadline escalation, timers days apart) driven
# step by step through the store give the journal `bprun test --journal` gives; refused
# events exit 1 and leave the database byte for byte as it was (a dump before and after);
# misuse exits 2; the inbox says what comes next (S20); documents and their triggers;
# the outbox handed over once, after the commit; a worker that stops on SIGTERM;
# migration from version 1 to 2 (the instances that can move finish on version 2, the one
# that cannot is named and finishes on 1); a missing bundle named; a locked, unreadable or misplaced database is a message; and the
# kill -9 loop: bprun killed at random moments (KILLS, default 200) while it fires
# timers, after which every instance finishes with a journal without gap or duplicate;
# and out of memory at every point of a command (every allocation of each command; OOM_POINTS=K for K of them)
# leaves the database as it was or as the command leaves it.
#
# The database: a new SQLite file per case under a temporary folder. To run the same
# cases on another engine, set STORE_NEW to a command that prints the URL of a new empty
# database for the name it is given, and STORE_DUMP to a command that prints a dump of
# the database at the URL it is given (for SQLite both are built in).
#
# Run from the repository root (tests/run.sh calls it). Prints one line per failure and
# ends with `N passed, N failed`; exits non-zero on failure.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
TIMEOUT=${TIMEOUT:-60}
KILLS=${KILLS:-200}
export LC_ALL=C

. tests/lib.sh
need_built store/run.sh "$BPC" "$BPRUN"
make_tmp bpc-store

# new_store NAME — sets URL to a new empty database.
new_store() {
  if [ -n "${STORE_NEW:-}" ]; then URL=$($STORE_NEW "$1")
  else URL=$TMP/$1.db
  fi
}
# dump FILE — the whole database, as SQL text, into FILE.
dump() {
  if [ -n "${STORE_DUMP:-}" ]; then $STORE_DUMP "$URL" >"$1"
  else python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for line in c.iterdump(): print(line)' "$URL" >"$1"
  fi
}

# st ARGS... — bprun --store $URL ARGS..., its output in $TMP/out and $TMP/err, rc set.
st() { run "$TMP/out" "$TMP/err" "$BPRUN" --store "$URL" "$@"; }

# ok NAME ARGS... — the command must succeed.
ok() {
  _n=$1
  shift
  st "$@"
  _why=$(unsound "$TMP/err")
  if [ -n "$_why" ]; then fail "$_n" "$_why"; return 1; fi
  if [ "$rc" -ne 0 ]; then fail "$_n" "exit $rc: $(head -c 300 "$TMP/err")"; return 1; fi
  pass
}

# item USER — the first open item of USER (as `tasks USER --json` lists them).
item() {
  "$BPRUN" --store "$URL" tasks "$1" --json | head -n 1 | sed -n 's/.*"item":"\([^"]*\)".*/\1/p'
}

# act NAME USER VERB ARGS... — USER acts on their first open item.
act() {
  _n=$1 _u=$2
  shift 2
  _i=$(item "$_u")
  if [ -z "$_i" ]; then fail "$_n" "no open item for $_u"; return 1; fi
  ok "$_n" act "$_i" "$@"
}

# same_journal NAME BUNDLE SCN — history of instance 1 equals bprun test --journal.
same_journal() {
  "$BPRUN" test "$2" "$3" --journal "$TMP/want.j" >/dev/null 2>&1
  "$BPRUN" --store "$URL" history 1 >"$TMP/got.j" 2>&1
  grep -v '^#' "$TMP/want.j" >"$TMP/want"
  grep -v '^#' "$TMP/got.j" >"$TMP/got"
  if [ ! -s "$TMP/want" ]; then fail "$1" "bprun test wrote no journal"
  elif cmp -s "$TMP/want" "$TMP/got"; then pass
  else
    fail "$1" "the store's journal differs from bprun test's:"
    diff "$TMP/want" "$TMP/got" | head -n 20
  fi
}

for src in samples/two_stage_approval.bp samples/pay_materials.bp samples/contract_corrections.bp tests/store/ticker.bp tests/store/filing_v1.bp \
  tests/store/filing_v2.bp tests/scenarios/triggers.bp; do
  if ! "$BPC" compile "$src" -o "$TMP/$(basename "$src" .bp).bpt" 2>"$TMP/err"; then
    fail "compile $src" "$(head -c 300 "$TMP/err")"
  fi
done

# ---- S1: two-stage approval, one bprun run per step -----------------------------------------
new_store s1
ok "s1 deploy" deploy "$TMP/two_stage_approval.bpt"
ok "s1 clock" clock 2026-01-01T00:00
ok "s1 start" start two_stage_approval expert=alice voters=bob,carol,dave quorum=60 'title="Contract 7"' author=erin
act "s1 alice rejects" alice reject --comment "add the delivery terms"
act "s1 erin revises" erin complete
act "s1 alice approves" alice approve
act "s1 bob" bob approve
act "s1 carol" carol reject
act "s1 dave" dave reject
act "s1 erin revises again" erin complete
act "s1 alice approves again" alice approve --comment "fine now"
act "s1 bob again" bob approve
act "s1 carol again" carol approve
st list --status completed --json
if grep -q '"id":1,' "$TMP/out"; then pass; else fail "s1 completed" "$(cat "$TMP/out" "$TMP/err")"; fi
same_journal "s1 journal" "$TMP/two_stage_approval.bpt" samples/two_stage_approval.scn
# the history draws the instance's path (bpc render --trace)
# Graphviz leaks what bpc cannot free: under ASan, the suppressions of tests/dot.sh
# (tests/lsan-graphviz.supp, with the full unwinder to see the library frames).
asan_was=${ASAN_OPTIONS-} lsan_was=${LSAN_OPTIONS-}
if [ -n "${ASAN_OPTIONS:-}" ]; then
  ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
  LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan-graphviz.supp:print_suppressions=0"
  export ASAN_OPTIONS LSAN_OPTIONS
fi
run "$TMP/out" "$TMP/err" "$BPC" render samples/two_stage_approval.bp --trace "$TMP/got.j" --instance 1 -T svg -o "$TMP/s1.svg"
ASAN_OPTIONS=$asan_was LSAN_OPTIONS=$lsan_was
if [ "$rc" -eq 0 ] && grep -q '<svg' "$TMP/s1.svg"; then pass; else fail "s1 render --trace" "exit $rc: $(head -c 300 "$TMP/err")"; fi
# the notification waits in the outbox until a worker hands it over, once
ok "s1 worker" worker --once
if grep -qx 'notify erin: Contract 7 is approved (#1)' "$TMP/out"; then pass; else fail "s1 outbox" "$(cat "$TMP/out")"; fi
ok "s1 worker again" worker --once
if [ -s "$TMP/out" ]; then fail "s1 outbox once" "handed over again: $(cat "$TMP/out")"; else pass; fi

# ---- S11: deadline escalation, timers days apart ---------------------------------------------
new_store s11
ok "s11 deploy" deploy "$TMP/pay_materials.bpt"
ok "s11 clock" clock 2026-02-25T09:00
ok "s11 start" start pay_materials accountant=marina chief_accountant=svetlana site_manager=fedor logistics=ivan \
  storekeeper=vasily helpers=h1,h2 title=bricks 'pay_by=datetime("2026-03-05T18:00")'
ok "s11 advance 4d" advance 4d
ok "s11 advance 5d" advance 5d
ok "s11 tasks" tasks svetlana
if grep -q 'svetlana task "Pay for bricks".*due 2026-03-06T18:00' "$TMP/out"; then pass; else fail "s11 escalated" "$(cat "$TMP/out")"; fi
ok "s11 advance 6h" advance 6h
act "s11 svetlana pays" svetlana complete
ok "s11 advance 6d" advance 6d
act "s11 ivan delivers" ivan complete
ok "s11 advance 2d" advance 2d
ok "s11 inbox" tasks
if grep -q 'vasily task "Accept bricks".*OVERDUE' "$TMP/out" && grep -q 'h1 task "Accept bricks"' "$TMP/out"; then pass
else fail "s11 inbox" "$(cat "$TMP/out")"; fi
act "s11 h2 accepts" h2 complete
same_journal "s11 journal" "$TMP/pay_materials.bpt" samples/pay_materials.scn

# ---- the inbox says what comes next (S20) -----------------------------------------------------
new_store s20
ok "s20 deploy" deploy "$TMP/contract_corrections.bpt"
ok "s20 clock" clock 2026-03-02T09:00
ok "s20 start" start contract_corrections supervisor=sergey head=galina client=client_kuznetsov 'title="Contract 17"' \
  'client_name="Kuznetsov"' author=alla
ok "s20 submit" command 1 submit --by alla
ok "s20 inbox" tasks sergey
if grep -q 'sergey approve "Check Contract 17 v1" (contract_corrections #1) from alla, since 2026-03-02T09:00, due 2026-03-04T09:00; next: the head of department' "$TMP/out"
then pass; else fail "s20 inbox" "$(cat "$TMP/out")"; fi
act "s20 sergey rejects" sergey reject --comment "add the delivery schedule"
ok "s20 inbox after" tasks alla --json
if grep -q '"title":"Correct Contract 17: add the delivery schedule".*"next":"next: back to the supervisor"' "$TMP/out"
then pass; else fail "s20 inbox json" "$(cat "$TMP/out")"; fi

# ---- refused events change nothing ------------------------------------------------------------
new_store refused
ok "refused deploy" deploy "$TMP/two_stage_approval.bpt"
ok "refused start" start two_stage_approval expert=alice voters=bob,carol quorum=60 'title="C"' author=erin
ok "refused start 2" start two_stage_approval expert=zoe voters=bob quorum=60 'title="D"' author=erin
i=$(item alice)
act "refused alice decides" alice approve
dump "$TMP/before.sql"
# refused_case NAME ARGS... — exit 1, a message, and the same dump.
refused_case() {
  _n=$1
  shift
  st "$@"
  _why=$(unsound "$TMP/err")
  if [ -n "$_why" ]; then fail "$_n" "$_why"
  elif [ "$rc" -ne 1 ]; then fail "$_n" "exit $rc, expected 1: $(head -c 300 "$TMP/err")"
  elif ! grep -q 'refused' "$TMP/err"; then fail "$_n" "no message: $(cat "$TMP/err")"
  else
    dump "$TMP/after.sql"
    if cmp -s "$TMP/before.sql" "$TMP/after.sql"; then pass
    else
      fail "$_n" "the database changed:"
      diff "$TMP/before.sql" "$TMP/after.sql" | head -n 10
    fi
  fi
}
refused_case "refused: already decided" act "$i" approve
j=$(item bob)
refused_case "refused: not your item" act "$j" approve --by mallory
refused_case "refused: no such item" act 1.999 approve
refused_case "refused: a value of the wrong type" start two_stage_approval expert=alice voters=bob quorum=many 'title="E"' author=erin
refused_case "refused: a command not offered" command 1 nosuch --by erin
refused_case "refused: a message nobody waits for" message 2 paid
ok "refused terminate" terminate 2 "not needed"
dump "$TMP/before.sql"
refused_case "refused: an ended instance" act "$(echo "$j" | sed 's/^[0-9]*/2/')" approve --by zoe

# ---- misuse: exit 2 and a message ----------------------------------------------------------------
misuse() {
  _n=$1
  shift
  run "$TMP/out" "$TMP/err" "$BPRUN" "$@"
  _why=$(unsound "$TMP/err")
  if [ -n "$_why" ]; then fail "$_n" "$_why"
  elif [ "$rc" -ne 2 ]; then fail "$_n" "exit $rc, expected 2"
  elif [ ! -s "$TMP/err" ]; then fail "$_n" "no message"
  else pass
  fi
}
misuse "misuse: no command" --store "$URL"
misuse "misuse: unknown command" --store "$URL" frobnicate
misuse "misuse: unknown process" --store "$URL" start nosuch
misuse "misuse: not an item" --store "$URL" act seven approve
misuse "misuse: unknown verb" --store "$URL" act 1.1 frob
misuse "misuse: not name=value" --store "$URL" start two_stage_approval expert
misuse "misuse: unknown parameter" --store "$URL" start two_stage_approval nosuch=1
misuse "misuse: no instance" --store "$URL" answer 99 act
misuse "misuse: bad advance" --store "$URL" advance soon
misuse "misuse: clock back" --store "$URL" advance 2000-01-01T00:00
misuse "misuse: unknown option" --store "$URL" list --frob
misuse "misuse: migrate without --to" --store "$URL" migrate two_stage_approval
misuse "misuse: not a bundle" --store "$URL" deploy tests/store/run.sh
run "$TMP/out" "$TMP/err" "$BPRUN" --store "$URL" --help
if [ "$rc" -eq 0 ] && grep -q 'migrate PROCESS --to VERSION' "$TMP/out"; then pass; else fail "store --help" "exit $rc"; fi

# ---- documents and their triggers ----------------------------------------------------------------
new_store docs
ok "docs deploy" deploy "$TMP/triggers.bpt"
ok "docs clock" clock 2026-01-01T00:00
ok "docs create" doc create Deal 'title="Big deal"' responsible=ann
if grep -qx 'document 1' "$TMP/out"; then pass; else fail "docs create number" "$(cat "$TMP/out")"; fi
ok "docs set" doc set 1 callback_at=2026-01-02T10:00
ok "docs started" list --json
if grep -q '"process":"promised_call"' "$TMP/out"; then pass; else fail "docs trigger" "$(cat "$TMP/out")"; fi
ok "docs show" doc show 1
if grep -qx 'reminders = 1' "$TMP/out" && grep -qx 'title = Big deal' "$TMP/out"; then pass
else fail "docs show fields" "$(cat "$TMP/out")"; fi
ok "docs start beside" start call_once --doc 1
ok "docs set again" doc set 1 refusal=yes
ok "docs show again" doc show 1
if grep -qx 'stage = deal failed' "$TMP/out"; then pass; else fail "docs a process's change" "$(cat "$TMP/out")"; fi
ok "docs advance" advance 2d
ok "docs history" history all
if grep -q 'called back late' "$TMP/out"; then pass; else fail "docs timer" "$(cat "$TMP/out")"; fi

# ---- the worker stops on SIGTERM ------------------------------------------------------------------
"$BPRUN" --store "$URL" worker --poll 1 >"$TMP/w.out" 2>"$TMP/w.err" &
wpid=$!
k=0 # its first line says it has set its handlers (a TERM before that would kill it)
while ! grep -q '^bprun worker: running' "$TMP/w.err" && kill -0 "$wpid" 2>/dev/null && [ $k -lt 200 ]; do
  sleep 0.05
  k=$((k + 1))
done
kill -TERM "$wpid"
k=0
while kill -0 "$wpid" 2>/dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
if kill -0 "$wpid" 2>/dev/null; then
  kill -9 "$wpid"
  fail "worker SIGTERM" "still running 5 s after SIGTERM"
else
  wait "$wpid"
  wrc=$?
  if [ "$wrc" -eq 0 ]; then pass; else fail "worker SIGTERM" "exit $wrc: $(cat "$TMP/w.err")"; fi
fi

# ---- migration: version 1 to 2 -------------------------------------------------------------------
new_store migrate
ok "migrate deploy v1" deploy "$TMP/filing_v1.bpt"
ok "migrate clock" clock 2026-01-01T00:00
ok "migrate start 1" start filing author=ann checker=bob title=one
ok "migrate start 2" start filing author=ann checker=bob title=two
ok "migrate start 3" start filing author=cid checker=bob title=three
act "migrate two drafted" ann complete # instance 1's draft: it now waits on the check
ok "migrate deploy v2" deploy "$TMP/filing_v2.bpt"
if grep -qx 'filing version 2' "$TMP/out"; then pass; else fail "migrate v2" "$(cat "$TMP/out")"; fi
ok "migrate new starts on v2" start filing author=dan checker=bob title=four
ok "migrate list" list --json
if grep -q '"id":4,"process":"filing","version":2' "$TMP/out" && grep -q '"id":1,"process":"filing","version":1' "$TMP/out"
then pass; else fail "migrate versions" "$(cat "$TMP/out")"; fi
dump "$TMP/before.sql"
ok "migrate dry run" migrate filing --to 2 --dry-run
if grep -q '^instance 1: stays on version 1: its open step "Check one" for bob does not exist on the new version' "$TMP/out" &&
  grep -q '^instance 2: moves from version 1 to 2' "$TMP/out" && grep -q '^instance 3: moves' "$TMP/out"; then pass
else fail "migrate dry-run report" "$(cat "$TMP/out")"; fi
dump "$TMP/after.sql"
if cmp -s "$TMP/before.sql" "$TMP/after.sql"; then pass; else fail "migrate dry run" "the database changed"; fi
ok "migrate" migrate filing --to 2
ok "migrate list after" list --json
if grep -q '"id":2,"process":"filing","version":2' "$TMP/out" && grep -q '"id":1,"process":"filing","version":1' "$TMP/out"
then pass; else fail "migrate moved" "$(cat "$TMP/out")"; fi
# every instance finishes: 1 on version 1, 2 and 3 on version 2 (with its new last step)
act "migrate 1 checked" bob approve
act "migrate 2 drafted" ann complete
act "migrate 2 reviewed" bob approve
act "migrate 2 filed" ann complete
act "migrate 3 drafted" cid complete
act "migrate 3 reviewed" bob approve
act "migrate 3 filed" cid complete
act "migrate 4 drafted" dan complete
act "migrate 4 reviewed" bob approve
act "migrate 4 filed" dan complete
ok "migrate all done" list --status waiting
if [ -s "$TMP/out" ]; then fail "migrate finished" "still waiting: $(cat "$TMP/out")"; else pass; fi
ok "migrate history" history 2
if grep -q 'migrated from version 1 to 2' "$TMP/out" && grep -q 'File two' "$TMP/out"; then pass
else fail "migrate journal" "$(cat "$TMP/out")"; fi

# ---- a missing bundle is named --------------------------------------------------------------------
if [ -z "${STORE_NEW:-}" ]; then
  new_store missing
  ok "missing deploy" deploy "$TMP/filing_v1.bpt"
  ok "missing start" start filing author=ann checker=bob title=x
  python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA foreign_keys=OFF")
c.execute("DELETE FROM processes")
c.execute("DELETE FROM bundles")
c.commit()' "$URL"
  hash=$("$BPRUN" --store "$URL" list --json >/dev/null; python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT bundle_hash FROM instances").fetchone()[0])' "$URL")
  st act "$(item ann)" complete
  if [ "$rc" -eq 2 ] && grep -q "instance 1 (filing version 1) cannot be restored: its bundle $hash is missing" "$TMP/err"
  then pass; else fail "missing bundle named" "exit $rc: $(cat "$TMP/err")"; fi
  ok "missing redeploy" deploy "$TMP/filing_v1.bpt"
  act "missing found again by its hash" ann complete

  # ---- a database library that cannot be loaded, or lacks a function, is a message -----------------
  # (the library is loaded when the first store opens, by its soname: LD_LIBRARY_PATH comes first)
  mkdir -p "$TMP/libs/bad" "$TMP/libs/old" "$TMP/libs/pq"
  printf 'not a library' >"$TMP/libs/bad/libsqlite3.so.0"
  printf 'not a library' >"$TMP/libs/pq/libpq.so.5"
  new_store lib
  run "$TMP/out" "$TMP/err" env LD_LIBRARY_PATH="$TMP/libs/bad" "$BPRUN" --store "$URL" list
  if [ "$rc" -eq 2 ] && grep -q "cannot open sqlite: the store needs the SQLite library (libsqlite3.so.0, Debian's libsqlite3-0), which cannot be loaded: .*libsqlite3.so.0" "$TMP/err"
  then pass; else fail "sqlite library not loaded" "exit $rc: $(cat "$TMP/err")"; fi
  run "$TMP/out" "$TMP/err" env LD_LIBRARY_PATH="$TMP/libs/pq" "$BPRUN" --store postgresql://localhost/none list
  if [ "$rc" -eq 2 ] && grep -q "cannot open postgresql: the store needs libpq (libpq.so.5, Debian's libpq5), which cannot be loaded: .*libpq.so.5" "$TMP/err"
  then pass; else fail "libpq not loaded" "exit $rc: $(cat "$TMP/err")"; fi
  if echo 'int sqlite3_open_v2(void) { return 1; }' | ${CC:-cc} -shared -fPIC -x c - -o "$TMP/libs/old/libsqlite3.so.0" 2>/dev/null; then
    run "$TMP/out" "$TMP/err" env LD_LIBRARY_PATH="$TMP/libs/old" "$BPRUN" --store "$URL" list
    if [ "$rc" -eq 2 ] && grep -q "cannot open sqlite: libsqlite3.so.0 has no function sqlite3_bind_blob: a newer SQLite is needed" "$TMP/err"
    then pass; else fail "old sqlite library" "exit $rc: $(cat "$TMP/err")"; fi
  fi
  if [ -e "$URL" ]; then fail "no library, no database" "$URL was made"; else pass; fi

  # ---- a locked, unreadable or misplaced database is a message ---------------------------------------
  new_store locked
  ok "locked deploy" deploy "$TMP/filing_v1.bpt"
  ok "locked start" start filing author=ann checker=bob title=x
  # another program holds the write lock until told to let go (or 60 s)
  python3 -c 'import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[3]): break
    time.sleep(0.1)' "$URL" "$TMP/locked.flag" "$TMP/release.flag" &
  lpid=$!
  k=0
  while [ ! -f "$TMP/locked.flag" ] && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
  dump "$TMP/before.sql"
  i=$(item ann)
  run "$TMP/out" "$TMP/err" "$BPRUN" --store "$URL?busy_timeout=100" act "$i" complete
  if [ "$rc" -eq 2 ] && grep -q 'locked' "$TMP/err"; then pass; else fail "locked database" "exit $rc: $(cat "$TMP/err")"; fi
  : >"$TMP/release.flag"
  wait "$lpid"
  dump "$TMP/after.sql"
  if cmp -s "$TMP/before.sql" "$TMP/after.sql"; then pass; else fail "locked unchanged" "the database changed"; fi
  act "locked then free" ann complete
  # a full disk (a quota of pages: SQLite then says what a full disk says) is a message;
  # the event that did not fit changes nothing, and with room again everything finishes
  new_store full
  ok "full deploy" deploy "$TMP/ticker.bpt"
  ok "full clock" clock 2026-01-01T00:00
  k=0
  while [ $k -lt 10 ]; do ok "full start $k" start ticker rounds=60; k=$((k + 1)); done
  run "$TMP/out" "$TMP/err" "$BPRUN" --store "$URL?max_pages=32" advance 2026-01-04T00:00
  if [ "$rc" -eq 2 ] && grep -q 'disk is full' "$TMP/err"; then pass; else fail "full disk" "exit $rc: $(cat "$TMP/err")"; fi
  dump "$TMP/before.sql"
  run "$TMP/out" "$TMP/err" "$BPRUN" --store "$URL?max_pages=32" advance 2026-01-04T00:00
  if [ "$rc" -eq 2 ] && grep -q 'disk is full' "$TMP/err"; then pass; else fail "full disk again" "exit $rc: $(cat "$TMP/err")"; fi
  dump "$TMP/after.sql"
  if cmp -s "$TMP/before.sql" "$TMP/after.sql"; then pass; else fail "full disk unchanged" "the database changed"; fi
  ok "full room again" advance 2026-01-04T00:00
  ok "full none waiting" list --status waiting
  if [ -s "$TMP/out" ]; then fail "full finished" "$(cat "$TMP/out")"; else pass; fi
  ok "full journal" history all
  if [ "$(grep -c 'tick 60$' "$TMP/out")" -eq 10 ] && [ "$(grep -c 'completed$' "$TMP/out")" -eq 10 ] &&
    [ "$(grep -c '	tick [0-9]*$' "$TMP/out")" -eq 600 ]; then pass
  else fail "full journals" "$(grep -c '	tick [0-9]*$' "$TMP/out") ticks"; fi
  # a schema newer than this bprun is refused, not misread
  python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE bps_meta SET value = 99 WHERE key = '"'"'schema'"'"'")
c.commit()' "$URL"
  misuse "newer schema" --store "$URL" list
  grep -q 'schema version 99 is newer' "$TMP/err" && pass || fail "newer schema named" "$(cat "$TMP/err")"

  printf 'this is not a database, only text long enough to fill a page header .........\n' >"$TMP/garbage.db"
  misuse "not a database" --store "$TMP/garbage.db" list
  grep -q 'garbage.db' "$TMP/err" && pass || fail "not a database named" "$(cat "$TMP/err")"
  misuse "no such folder" --store "$TMP/no/such/folder/x.db" list
  misuse "bad setting" --store "$TMP/x.db?synchronous=sometimes" list
  misuse "postgres without the driver or server" --store "postgresql://nobody@127.0.0.1:1/none" list
fi

# ---- kill -9 at random moments while timers fire ------------------------------------------------------
# KILLS kills of `bprun advance` at random moments (0-40 ms after it starts); each run
# fires what it can, a killed one is started again towards the same target. When the
# work runs out before the kills do, more instances start. Then every instance must
# have finished with exactly its journal: started, tick 1..N an hour apart, completed,
# numbered without gap or duplicate.
new_store kill
ok "kill deploy" deploy "$TMP/ticker.bpt"
ok "kill clock" clock 2026-01-01T00:00
start_batch() {
  _k=0
  while [ $_k -lt 20 ]; do
    "$BPRUN" --store "$URL" start ticker rounds=30 >/dev/null 2>&1 || fail "kill start" "start refused"
    _k=$((_k + 1))
  done
}
# noon of day D of the run (day 1: 2026-01-01), across months: a fast machine finishes
# many runs by themselves before the kills are done, each a day further on.
noon() { date -u -d "2026-01-01 +$(($1 - 1)) days" +%Y-%m-%dT12:00; }
start_batch
day=2
kills=0
finished=0
while [ $kills -lt "$KILLS" ]; do
  ms=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
  "$BPRUN" --store "$URL" advance "$(noon $day)" >/dev/null 2>"$TMP/kill.err" &
  kpid=$!
  sleep "0.0$((ms % 40 / 10))$((ms % 10))"
  if kill -9 "$kpid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$kpid" 2>/dev/null
  krc=$?
  if [ "$krc" -ne 0 ] && [ "$krc" -ne 137 ]; then fail "kill run" "exit $krc: $(head -c 300 "$TMP/kill.err")"; break; fi
  if [ "$krc" -eq 0 ]; then # the work ran out: more of it, a day later
    finished=$((finished + 1))
    day=$((day + 2))
    [ $finished -ge "$KILLS" ] && break # the kills come too late on this machine: fail below
    start_batch
  fi
done
ok "kill finish" advance "$(noon $((day + 2)))"
if [ $kills -lt "$KILLS" ]; then fail "kill count" "only $kills kills of $KILLS"; else pass; fi
ok "kill none waiting" list --status waiting
if [ -s "$TMP/out" ]; then fail "kill all finished" "$(wc -l <"$TMP/out") still waiting"; else pass; fi
ok "kill journal" history all --json
python3 - "$TMP/out" >"$TMP/check" <<'EOF'
import json, sys, collections
lines = collections.defaultdict(list)
for l in open(sys.argv[1]):
    r = json.loads(l)
    lines[r["instance"]].append(r)
bad = []
for inst, rs in sorted(lines.items()):
    seqs = [r["seq"] for r in rs]
    texts = [r["text"] for r in rs]
    want = ["started: Ticker"] + ["tick %d" % i for i in range(1, 31)] + ["completed"]
    if seqs != list(range(1, len(rs) + 1)):
        bad.append("instance %d: journal numbered %s" % (inst, seqs[:40]))
    elif texts != want:
        bad.append("instance %d: journal %s" % (inst, texts[:40]))
    else:
        t0 = rs[0]["time"]
        if [r["time"] - t0 for r in rs[1:31]] != [3600 * i for i in range(1, 31)]:
            bad.append("instance %d: ticks not an hour apart" % inst)
print("%d instances" % len(lines))
for b in bad[:5]: print(b)
EOF
if [ "$(wc -l <"$TMP/check")" -eq 1 ]; then pass; else fail "kill journals" "$(cat "$TMP/check")"; fi
echo "kill -9 loop: $kills kills, $(head -n 1 "$TMP/check"), $finished runs finished by themselves"

# ---- out of memory in the middle of a command (tests/store/oom.py) ----------------------------
# The Nth allocation fails (tests/store/failalloc.c, an LD_PRELOAD shim), for every N of
# each command's allocations (OOM_POINTS=K: K values spread over them): the database is
# left as it was (with a message and a non-zero status) or as the clean run leaves it.
# Every N, because one allocation inside SQLite can end its transaction by itself: the
# statements after it then committed on their own (a 40-point sweep met it only when the
# allocations moved). About 25 s. SQLite only; not in a sanitizer build (the sanitizer
# owns malloc).
if [ -z "${STORE_NEW:-}" ] && ! grep -q __asan_init "$BPRUN" 2>/dev/null &&
  ${CC:-cc} -shared -fPIC -O1 -o "$TMP/failalloc.so" tests/store/failalloc.c 2>"$TMP/err"; then
  new_store oom
  ok "oom deploy" deploy "$TMP/two_stage_approval.bpt"
  ok "oom deploy ticker" deploy "$TMP/ticker.bpt"
  ok "oom clock" clock 2026-01-01T00:00
  ok "oom start" start two_stage_approval expert=alice voters=bob,carol,dave quorum=60 'title="C7"' author=erin
  ok "oom start ticker" start ticker rounds=5
  python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$URL"
  oom_item=$(item alice)
  for cmd in "act $oom_item approve" "start two_stage_approval expert=bob voters=ann quorum=50 title=x author=erin" \
    "advance 1h"; do
    # shellcheck disable=SC2086 # the words of $cmd are the command's arguments
    python3 tests/store/oom.py "$BPRUN" "$TMP/failalloc.so" "$URL" "${OOM_POINTS:-1000000}" -- $cmd >"$TMP/oom.out" 2>&1
    grep '^FAIL' "$TMP/oom.out"
    _p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$TMP/oom.out")
    _f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$TMP/oom.out")
    if [ -z "$_p" ]; then fail "oom $cmd" "$(tail -n 3 "$TMP/oom.out")"; continue; fi
    passed=$((passed + _p))
    failed=$((failed + _f))
    echo "out of memory: $cmd: $_p runs, $_f failed"
  done
else
  echo "note: out-of-memory sweep not run here (another engine, a sanitizer build, or no C compiler)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
