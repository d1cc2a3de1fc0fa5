#!/bin/sh
# scaling.sh BUILD — how cost grows with the input, for the paths issue 11 found
# super-linear: each measure at a size and at 10× that size, with the ratio of the
# times (about 10 is linear; 100 would be quadratic). Best of RUNS runs each.
#
#   users     a step for N distinct people (bprun test: `start … board=u1,…,uN`):
#             making users unique and adding the people to the step
#   else-if   bpc compile of a chain of N `else if` arms (code generation)
#   advance   bprun test: one `advance` over N days of a deadline that re-arms
#             itself every day (one event, one step budget)
#
# Run from the repository root; `make bench-scaling` runs it. Never fails on a
# number: read the ratios.
set -u
BUILD=${1:-build}
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
RUNS=${RUNS:-3}
export LC_ALL=C
for tool in "$BPC" "$BPRUN"; do
  [ -x "$tool" ] || { echo "bench: $tool is missing; build it first (make)" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-bench-scaling.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
. bench/lib.sh

# ratio SMALL_US LARGE_US
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1f", b / a; else print "inf" }'; }
report() { # NAME SMALL LARGE SMALL_US LARGE_US
  printf '%-9s %8s: %9s ms   %8s: %9s ms   growth %s× for 10× the input\n' \
    "$1" "$2" "$(ms "$4")" "$3" "$(ms "$5")" "$(ratio "$4" "$5")"
}

# ---- users ----------------------------------------------------------------------
"$BPC" compile tests/scenarios/approve_all.bp -o "$TMP/board.bpt" || exit 2
users_case() { # N -> best µs
  awk -v n="$1" 'BEGIN { printf "start board board="; for (i = 1; i <= n; i++) printf "%su%d", (i > 1 ? "," : ""), i
                  printf " title=T author=zoe\nexpect waiting\n" }' >"$TMP/users$1.scn"
  time_runs "$RUNS" "$BPRUN" test "$TMP/board.bpt" "$TMP/users$1.scn" | best
}
a=$(users_case 10000) b=$(users_case 100000)
report users 10000 100000 "$a" "$b"

# ---- else-if --------------------------------------------------------------------
chain() { # N -> file
  awk -v n="$1" 'BEGIN {
    print "document D {\n  title: string\n}\n\nprocess p \"P\" on D {\n  param k: int \"K\"\n  if k == 0 {\n    log \"arm\""
    for (i = 1; i < n; i++) printf "  } else if k == %d {\n    log \"arm\"\n", i
    print "  }\n}" }' >"$TMP/chain$1.bp"
}
chain 4000; chain 40000
a=$(time_runs "$RUNS" "$BPC" compile "$TMP/chain4000.bp" -o "$TMP/c.bpt" | best)
b=$(time_runs "$RUNS" "$BPC" compile "$TMP/chain40000.bp" -o "$TMP/c.bpt" | best)
report else-if 4000 40000 "$a" "$b"

# ---- advance --------------------------------------------------------------------
"$BPC" compile tests/scenarios/timeout.bp -o "$TMP/timeout.bpt" || exit 2
first=$(sed -n 's/^\(start pay_relative .*\)$/\1/p' tests/scenarios/timeout.forever.scn | head -n 1)
advance_case() { # DAYS -> best µs
  printf '%s\nadvance %dd\n' "$first" "$1" >"$TMP/adv$1.scn"
  time_runs "$RUNS" "$BPRUN" test "$TMP/timeout.bpt" "$TMP/adv$1.scn" | best
}
if [ -n "$first" ]; then
  a=$(advance_case 3000) b=$(advance_case 30000)
  report advance 3000d 30000d "$a" "$b"
else
  echo "advance   (tests/scenarios/timeout.forever.scn has no start of pay_relative; skipped)"
fi
