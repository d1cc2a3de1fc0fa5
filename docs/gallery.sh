#!/bin/sh
# gallery.sh [BUILD] — draws every sample (samples/*.bp) with BUILD/bpc render
# into docs/gallery/NAME.png and writes docs/gallery.md, each picture beside
# its source. `make gallery` runs it; commit what it changes.
set -eu
BUILD=${1:-build}
BPC=$BUILD/bpc
[ -x "$BPC" ] || { echo "gallery.sh: $BPC is missing; run make" >&2; exit 2; }
mkdir -p docs/gallery
out=docs/gallery.md.tmp
{
  echo "# Gallery"
  echo
  echo "Every sample of \`samples/\`, drawn by \`bpc render samples/NAME.bp -o docs/gallery/NAME.png\`."
  echo "The shapes and colours are explained in [diagrams.md](diagrams.md). This file and the"
  echo "pictures are made by \`make gallery\` (docs/gallery.sh); do not edit them by hand."
  for src in samples/*.bp; do
    name=$(basename "$src" .bp)
    "$BPC" render "$src" -T png -o "docs/gallery/$name.png"
    echo
    echo "## $name"
    echo
    echo "<table><tr><td valign=\"top\">"
    echo
    echo '```'
    cat "$src"
    echo '```'
    echo
    echo "</td><td valign=\"top\">"
    echo
    echo "![$name](gallery/$name.png)"
    echo
    echo "</td></tr></table>"
  done
} >"$out"
mv "$out" docs/gallery.md
echo "docs/gallery.md and docs/gallery/*.png written"
