#!/bin/sh
# update.sh [BUILD] [NAME...] — regenerates tests/golden/NAME.err (all of them
# by default) from what `BUILD/bpc check NAME.bp` prints now (BUILD: build).
#
# The result is a proposal, not the truth: review every change with
# `git diff tests/golden` and keep only messages that are right — position,
# caret, wording, nothing missing, no cascade. Where the tool is wrong, keep
# the hand-written expectation so that the test fails until it is fixed.
set -u
cd "$(dirname "$0")" || exit 2
build=../../build
case ${1:-} in
  */*|build*) build=$1; shift ;;
esac
case $build in /*) ;; ../../*) ;; *) build=../../$build ;; esac
bpc=$build/bpc
[ -x "$bpc" ] || { echo "update.sh: $bpc is missing; run make" >&2; exit 2; }

if [ $# -eq 0 ]; then
  set -- *.bp
fi
changed=0
for f in "$@"; do
  base=${f%.bp}
  [ -f "$base.bp" ] || { echo "update.sh: no $base.bp" >&2; continue; }
  timeout 20 "$bpc" check "$base.bp" >/dev/null 2>"$base.err.new"
  if cmp -s "$base.err.new" "$base.err" 2>/dev/null; then
    rm -f "$base.err.new"
  else
    mv "$base.err.new" "$base.err"
    echo "updated $base.err"
    changed=$((changed + 1))
  fi
done
echo "$changed file(s) changed; review them with: git diff tests/golden"
