#!/bin/sh
# workers.sh BUILD — many workers on one PostgreSQL database (issue 16): INSTANCES (2,000)
# instances of tests/pg/beat.bp, each with ROUNDS (2) timers an hour apart that log a tick
# and notify its owner, fired by WORKERS (4) `bprun worker` processes at once. Then:
#   - every instance completed, none lost, none extra (`list`);
#   - its journal is started, tick 1, notified, … tick ROUNDS, notified, completed, numbered 1.. without gap
#     or duplicate, ticks an hour apart: every timer fired exactly once, and no instance
#     ran in two workers at once (two runs from one saved state would log a tick twice);
#   - the workers handed over every notification exactly once between them, each did
#     some of the work, none printed an error, each stopped on SIGTERM with status 0.
# Needs BPSTORE_PG_URL (tests/run.sh sets it; tests/pg/lib.sh). The database runs with
# synchronous_commit off: the workers, not the server, are what is tested (a commit the
# server acknowledged is seen by every later transaction either way) and the test stays
# short. Prints one line per failure and ends with `N passed, N failed`.
set -u
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
INSTANCES=${INSTANCES:-2000}
ROUNDS=${ROUNDS:-2}
WORKERS=${WORKERS:-4}
LIMIT=${LIMIT:-300}
export LC_ALL=C
. tests/lib.sh
. tests/pg/lib.sh
BPRUN=$BUILD/bprun
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-pg-workers.XXXXXX") || exit 2
pids=""
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

if [ -z "${BPSTORE_PG_URL:-}" ]; then
  echo "note: the workers test needs PostgreSQL: ${BPSTORE_PG_WHY:-BPSTORE_PG_URL is not set}"
  echo "0 passed, 0 failed"
  exit 0
fi
URL=$(pg_newdb bpc_workers) || { echo "FAIL: workers: cannot make a database"; echo "0 passed, 1 failed"; exit 1; }
case $URL in *\?*) URL="$URL&" ;; *) URL="$URL?" ;; esac
URL="${URL}options=-c%20synchronous_commit%3Doff"

# step NAME CMD... — a command that must succeed.
step() {
  _n=$1
  shift
  run "$TMP/out" "$TMP/err" "$@"
  if [ "$rc" -ne 0 ]; then fail "$_n" "exit $rc: $(head -c 300 "$TMP/err")"; echo "$passed passed, $failed failed"; exit 1; fi
  pass
}
TIMEOUT=120
step "workers compile" "$BUILD/bpc" compile tests/pg/beat.bp -o "$TMP/beat.bpt"
step "workers deploy" "$BPRUN" --store "$URL" deploy "$TMP/beat.bpt"
step "workers clock" "$BPRUN" --store "$URL" clock 2026-01-01T00:00
step "workers start $INSTANCES" "$BUILD/tests/start_many" "$URL" beat "$INSTANCES" owner=ann rounds="$ROUNDS"
# every timer is due: the clock stands past the last one
step "workers clock after" "$BPRUN" --store "$URL" clock "2026-01-01T$(printf %02d $((ROUNDS + 1))):00"

t0=$(date +%s)
w=1
while [ $w -le "$WORKERS" ]; do
  "$BPRUN" --store "$URL" worker --poll 1 >"$TMP/w$w.out" 2>"$TMP/w$w.err" &
  pids="$pids $!"
  w=$((w + 1))
done
# until nothing waits and the outbox is empty (its table read directly), or the limit
while :; do
  sleep 1
  left=$("$BPRUN" --store "$URL" list --status waiting 2>"$TMP/list.err" | wc -l)
  undelivered=$(psql -X -At "$URL" -c 'SELECT count(*) FROM outbox WHERE delivered_at IS NULL' 2>"$TMP/psql.err")
  [ "$left" -eq 0 ] && [ "$undelivered" = 0 ] && break
  if [ $(($(date +%s) - t0)) -gt "$LIMIT" ]; then
    fail "workers finish" "after ${LIMIT}s $left instances still wait, ${undelivered:-?} notifications undelivered"
    break
  fi
done
t1=$(date +%s)
w=1
for p in $pids; do
  kill -TERM "$p"
  wait "$p"
  wrc=$?
  if [ "$wrc" -eq 0 ]; then pass; else fail "worker $w" "exit $wrc after SIGTERM"; fi
  if grep -v '^bprun worker: running' "$TMP/w$w.err" >"$TMP/w$w.other"; then
    fail "worker $w" "printed: $(head -c 300 "$TMP/w$w.other")"
  else pass; fi
  w=$((w + 1))
done
pids=""

TIMEOUT=120
step "workers list" "$BPRUN" --store "$URL" list --json
cp "$TMP/out" "$TMP/list.json"
step "workers history" "$BPRUN" --store "$URL" history all --json
cp "$TMP/out" "$TMP/history.json"
python3 - "$TMP" "$INSTANCES" "$ROUNDS" "$WORKERS" >"$TMP/check" <<'PY'
import collections, json, sys
tmp, n, rounds, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bad = []
ids = [json.loads(l) for l in open(tmp + "/list.json")]
completed = sorted(r["id"] for r in ids if r["status"] == "completed")
if sorted(r["id"] for r in ids) != list(range(1, n + 1)):
    bad.append("instances: %d listed, want 1..%d" % (len(ids), n))
if len(completed) != n:
    bad.append("%d of %d instances completed" % (len(completed), n))
journal = collections.defaultdict(list)
for l in open(tmp + "/history.json"):
    r = json.loads(l)
    journal[r["instance"]].append(r)
want = ["started: Beat"] + [t for i in range(1, rounds + 1) for t in ("tick %d" % i, "notified ann: beat %d" % i)] + ["completed"]
ticks = 0
for inst, rs in sorted(journal.items()):
    texts = [r["text"] for r in rs]
    ticks += sum(t.startswith("tick ") for t in texts)
    if [r["seq"] for r in rs] != list(range(1, len(rs) + 1)):
        bad.append("instance %d: journal numbered %s" % (inst, [r["seq"] for r in rs]))
    elif texts != want:
        bad.append("instance %d: journal %s" % (inst, texts))
    elif [r["time"] - rs[0]["time"] for r in rs if r["text"].startswith("tick ")] != [3600 * i for i in range(1, rounds + 1)]:
        bad.append("instance %d: ticks not an hour apart" % inst)
if len(journal) != n:
    bad.append("journals of %d instances, want %d" % (len(journal), n))
notes = collections.Counter()
share = []
for w in range(1, workers + 1):
    lines = open("%s/w%d.out" % (tmp, w)).read().splitlines()
    share.append(len(lines))
    notes.update(lines)
want_notes = collections.Counter("notify ann: beat %d (#%d)" % (k, i) for i in range(1, n + 1) for k in range(1, rounds + 1))
dups = [l for l, c in notes.items() if c > 1]
if dups:
    bad.append("%d notifications handed over more than once, e.g. %s" % (len(dups), dups[0]))
if notes.keys() != want_notes.keys():
    bad.append("notifications: %d distinct, want %d" % (len(notes), len(want_notes)))
if min(share) == 0:
    bad.append("a worker did nothing: notifications per worker %s" % share)
print("%d instances completed, %d timers fired, %d notifications handed over (per worker %s)"
      % (len(completed), ticks, sum(notes.values()), "/".join(map(str, share))))
for b in bad[:5]:
    print(b)
PY
if [ "$(wc -l <"$TMP/check")" -eq 1 ]; then pass; else fail "workers journals" "$(tail -n +2 "$TMP/check")"; fi
echo "workers: $WORKERS workers, $(head -n 1 "$TMP/check"), $((t1 - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
