# lib.sh — what every test script shares (sourced by run.sh, backend.sh, dot.sh and
# mass.sh): counting passes and failures, running a command under a time limit, and
# telling a broken run (a hang, a signal, a sanitizer report) from a refusal.
# The sourcing script sets TIMEOUT (seconds) first if it wants another than 20.

TIMEOUT=${TIMEOUT:-20}
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $1: $2"
}

# run OUT ERR CMD... — runs CMD under the time limit; sets rc (124: no answer in time).
run() {
  _out=$1 _err=$2
  shift 2
  timeout -k 5 "$TIMEOUT" "$@" >"$_out" 2>"$_err" </dev/null
  rc=$?
}

# Why a finished run is broken whatever was expected of it: a hang, a signal, or a
# sanitizer report (ASan and UBSan exit with status 1, which looks like an ordinary
# "errors in the input", so their output is searched). Prints the reason, or nothing
# when the run is sound.
unsound() {
  if [ "$rc" -eq 124 ]; then
    echo "no answer within ${TIMEOUT}s (hang?)"
  elif [ "$rc" -ge 128 ]; then
    echo "killed by signal $((rc - 128))"
  elif grep -q -e 'runtime error:' -e 'Sanitizer' "$1" 2>/dev/null; then
    echo "sanitizer report: $(grep -m1 -e 'runtime error:' -e 'Sanitizer' "$1")"
  fi
}
