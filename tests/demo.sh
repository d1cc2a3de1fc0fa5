#!/bin/sh
# demo.sh BUILD — shows what bpc does today, on real files: checks a sample,
# prints its canonical form, and shows the diagnostics for a broken program.
# (It will grow when the back end and the runtime land.) Run from the
# repository root; `make demo` runs it.
set -u
BUILD=${1:-build}
BPC=$BUILD/bpc
case $BPC in /*) ;; *) BPC=$(pwd)/$BPC ;; esac
[ -x "$BPC" ] || { echo "demo: $BPC is missing; build it first (make)" >&2; exit 2; }

sample=samples/two_stage_approval.bp
broken=mixed_errors.bp
status=0

echo "$ bpc check $sample"
if "$BPC" check "$sample"; then
  echo "$sample is clean: no errors, no warnings."
else
  echo "demo: $sample should check clean" >&2
  status=1
fi

echo
echo "\$ bpc fmt $sample"
"$BPC" fmt "$sample" || status=1

if "$BPC" compile --help >/dev/null 2>&1; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpc-demo.XXXXXX") || exit 2
  trap 'rm -rf "$tmp"' EXIT
  echo
  echo "\$ bpc compile $sample -o two_stage_approval.bpt && bpc disasm two_stage_approval.bpt"
  if "$BPC" compile "$sample" -o "$tmp/two_stage_approval.bpt"; then
    "$BPC" disasm "$tmp/two_stage_approval.bpt" | head -n 40
    echo "... (the first 40 lines)"
  else
    status=1
  fi
fi

echo
echo "\$ cat tests/golden/$broken"
cat "tests/golden/$broken"
echo
echo "\$ cd tests/golden && bpc check $broken"
(cd tests/golden && "$BPC" check "$broken" 2>&1)
rc=$?
echo "(exit status $rc: the file has errors)"
[ "$rc" -eq 1 ] || status=1
exit $status
