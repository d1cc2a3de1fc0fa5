#!/bin/sh
# bundles_pin.sh BUILD — writes tests/bundles.cksum, the bundles tests/backend.sh
# pins: "CRC SIZE SOURCE" (cksum of the bundle BUILD/bpc compiles from SOURCE) for
# every sample, every scenario program and bench/gen.sh's 3,000-line program.
# Run it only when the bundle bytes change on purpose. Run from the repository root.
set -u
BPC=${1:-build}/bpc
case $BPC in /*) ;; *) BPC=$(pwd)/$BPC ;; esac
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-pin.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
sum() { # SOURCE -> "CRC SIZE SOURCE"
  rm -f "$TMP/pin.bpt"
  "$BPC" compile "$1" -o "$TMP/pin.bpt" >/dev/null 2>&1 || { echo "bundles_pin.sh: $1 does not compile" >&2; exit 1; }
  set -- "$(cksum <"$TMP/pin.bpt")" "$1"
  echo "$1 $2"
}
sh bench/gen.sh 3000 >"$TMP/gen3000.bp"
{
  echo "# bundle checksums (cksum) pinned by tests/backend.sh; regenerate: sh tests/bundles_pin.sh build"
  for src in samples/*.bp tests/scenarios/*.bp; do sum "$src" || exit 1; done
  (cd "$TMP" && sum gen3000.bp) || exit 1
} >"$TMP/list" || exit 1
mv "$TMP/list" tests/bundles.cksum
