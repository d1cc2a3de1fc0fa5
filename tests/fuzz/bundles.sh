#!/bin/sh
# bundles.sh BPC OUT.h — the fixed bundles of fuzz_state, fuzz_scn and fuzz_csv: every
# sample and every program of tests/scenarios, compiled by BPC and written into OUT.h
# as byte arrays, in the order of `bundles.sh --list` (an input's first byte picks one).
set -eu
export LC_ALL=C
list() { ls samples/*.bp tests/scenarios/*.bp; }
if [ "${1:-}" = --list ]; then list; exit 0; fi
BPC=$1 OUT=$2
tmp=$OUT.tmp.$$
trap 'rm -f "$tmp" "$tmp.bpt"' EXIT
{
  echo "/* made by tests/fuzz/bundles.sh from samples/ and tests/scenarios/: do not edit */"
  echo "#include <stddef.h>"
  echo "#include <stdint.h>"
  n=0
  for src in $(list); do
    "$BPC" compile "$src" -o "$tmp.bpt"
    echo "static const uint8_t fuzz_bundle_$n[] = {"
    od -An -v -tu1 "$tmp.bpt" | awk '{ for (i = 1; i <= NF; i++) printf "%s,", $i; print "" }'
    echo "};"
    n=$((n + 1))
  done
  echo "static const struct { const char *name; const uint8_t *bytes; size_t len; } fuzz_bundles[] = {"
  n=0
  for src in $(list); do
    echo "  {\"$src\", fuzz_bundle_$n, sizeof fuzz_bundle_$n},"
    n=$((n + 1))
  done
  echo "};"
  echo "enum { FUZZ_NBUNDLES = $n };"
} >"$tmp"
mv "$tmp" "$OUT"
