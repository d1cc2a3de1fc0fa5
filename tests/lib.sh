# lib.sh — what every test script shares (sourced by run.sh, backend.sh, dot.sh,
# mass.sh, samples_mass.sh and store/run.sh): counting passes and failures, checking
# the programs are built, a temporary folder, running a command under a time limit, and
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

# need_built SCRIPT PROGRAM... — stops the script (status 2) when a program is not built.
need_built() {
  _who=$1
  shift
  for _prog in "$@"; do
    if [ ! -x "$_prog" ]; then
      echo "$_who: $_prog is missing; build it first (make)" >&2
      exit 2
    fi
  done
}

# make_tmp NAME — TMP: a new temporary folder, removed when the script exits.
make_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 2
  trap 'rm -rf "$TMP"' EXIT
  trap 'exit 130' INT TERM
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
