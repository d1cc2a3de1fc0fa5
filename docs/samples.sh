#!/bin/sh
# samples.sh [BUILD] — draws every sample (samples/*.bp) with BUILD/bpc render into
# docs/samples/NAME.svg, the diagrams docs/samples.md shows. Run it after changing a
# sample, and commit what it changes.
set -eu
BUILD=${1:-build}
BPC=$BUILD/bpc
[ -x "$BPC" ] || { echo "samples.sh: $BPC is missing; run make" >&2; exit 2; }
mkdir -p docs/samples
for src in samples/*.bp; do
  name=$(basename "$src" .bp)
  "$BPC" render "$src" -T svg -o "docs/samples/$name.svg"
done
echo "docs/samples/*.svg written"
