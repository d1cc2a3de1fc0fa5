#!/bin/sh
# demo.sh BUILD — the main job on a sample: check it, compile it, run its scenario
# (with every instance saved and restored between commands) and show the journal,
# then show the diagnostics of a broken program. Run from the repository root;
# `make demo` runs it.
set -u
BUILD=${1:-build}
BPC=$BUILD/bpc
BPRUN=$BUILD/bprun
case $BPC in /*) ;; *) BPC=$(pwd)/$BPC BPRUN=$(pwd)/$BPRUN ;; esac
[ -x "$BPC" ] && [ -x "$BPRUN" ] || { echo "demo: $BPC or $BPRUN is missing; build them first (make)" >&2; exit 2; }

sample=samples/two_stage_approval.bp
scenario=samples/two_stage_approval.scn
broken=mixed_errors.bp
status=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpc-demo.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

echo "\$ cat $sample"
cat "$sample"

echo
echo "\$ bpc check $sample && bpc compile $sample -o two_stage_approval.bpt"
if "$BPC" check "$sample" && "$BPC" compile "$sample" -o "$tmp/two_stage_approval.bpt"; then
  echo "(clean: no errors, no warnings; $(wc -c <"$tmp/two_stage_approval.bpt" | tr -d ' ') bytes of bundle)"
else
  echo "demo: $sample should check and compile clean" >&2
  status=1
fi

echo
echo "\$ cat $scenario"
cat "$scenario"

echo
echo "\$ bprun test two_stage_approval.bpt $scenario --reload --journal journal.tsv"
"$BPRUN" test "$tmp/two_stage_approval.bpt" "$scenario" --reload --journal "$tmp/journal.tsv" || status=1

echo
echo "\$ cat journal.tsv    # time, instance, process, diagram node, what happened"
cat "$tmp/journal.tsv"

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
