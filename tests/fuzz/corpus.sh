#!/bin/sh
# corpus.sh BUILD OUT [SHARED] — the seed corpora of the fuzz targets, made afresh
# in OUT/NAME (not committed): .bp texts of the samples and tests (and SHARED/spec
# /examples when given), their bundles, real saved states (seed_state), scenarios
# with the index of their bundle, CSV files; plus the small committed set of
# tests/fuzz/seeds/NAME. BUILD holds bpc and replay/seed_state (make fuzz-replay).
set -eu
export LC_ALL=C
BUILD=$1 OUT=$2 SHARED=${3:-}
BPC=$BUILD/bpc
for t in bp split bundle state scn csv bpmn bitrix json; do mkdir -p "$OUT/$t"; done

# fuzz_bp: every .bp text of the repository.
for f in samples/*.bp tests/golden/*.bp tests/scenarios/*.bp tests/dot/*.bp tests/mass/*.bp; do
  [ -f "$f" ] && cp "$f" "$OUT/bp/$(echo "$f" | tr / _)"
done
if [ -n "$SHARED" ] && [ -d "$SHARED/spec/examples" ]; then
  for f in "$SHARED"/spec/examples/*.bp; do cp "$f" "$OUT/bp/shared_$(basename "$f")"; done
fi

# fuzz_split: the samples and scenarios, each with its middle at the middle of the text
# (byte 128) and at its start (byte 0).
for f in samples/*.bp tests/scenarios/*.bp; do
  name=$(echo "$f" | tr / _)
  { printf '\200'; cat "$f"; } >"$OUT/split/$name.128"
  { printf '\000'; cat "$f"; } >"$OUT/split/$name.0"
done

# fuzz_bundle: each compiled program, with no events and with a few.
tmp=$OUT/tmp.bpt
for f in samples/*.bp tests/scenarios/*.bp tests/mass/*.bp; do
  "$BPC" compile "$f" -o "$tmp" 2>/dev/null || continue
  name=$(echo "$f" | tr / _)
  { printf '\000'; cat "$tmp"; } >"$OUT/bundle/$name.0"
  # 32 events: start, then approve/complete/advance in turn.
  { printf '\040\017\000\000\001\003\000\005\001\000\002\001\003\001\004\010\006\001\007\002\000\001\003\000\014\000\001\000\003\001\005\003\015'; cat "$tmp"; } \
    >"$OUT/bundle/$name.32"
done
rm -f "$tmp"

# fuzz_state: real saves.
"$BUILD/replay/seed_state" "$OUT/state" >/dev/null

# fuzz_scn: each scenario after the index of its program among the fixed bundles.
i=0
for f in $(sh tests/fuzz/bundles.sh --list); do
  dir=$(dirname "$f") base=$(basename "$f" .bp)
  for scn in "$dir/$base.scn" "$dir/$base".*.scn; do
    [ -f "$scn" ] || continue
    byte=$(printf '%03o' "$i")
    { printf "\\$byte"; cat "$scn"; } >"$OUT/scn/$(basename "$scn")"
  done
  i=$((i + 1))
done

# fuzz_csv: the CSV files of the tests.
for f in tests/mass/*.csv; do cp "$f" "$OUT/csv/"; done

# fuzz_bpmn: the BPMN files of the tests and, beside the checkout, of the shared corpus.
for f in tests/scenarios/*.bpmn; do [ -f "$f" ] && cp "$f" "$OUT/bpmn/"; done
corpus=${SHARED:-../shared}/corpus/bpmn
if [ -d "$corpus" ]; then
  find "$corpus" -type f \( -name '*.bpmn' -o -name '*.xml' \) | while read -r f; do
    cp "$f" "$OUT/bpmn/$(echo "${f#$corpus/}" | tr / _)"
  done
fi

# fuzz_bitrix: the templates of the tests and of the shared corpus.
cp tests/import/bitrix/*.bpt tests/import/bitrix/bad/*.bpt "$OUT/bitrix/" 2>/dev/null || true
cp ${SHARED:-../shared}/corpus/bitrix/*.bpt "$OUT/bitrix/" 2>/dev/null || true

# The committed seeds.
for t in bp split bundle state scn csv bpmn bitrix json; do
  [ -d "tests/fuzz/seeds/$t" ] && cp tests/fuzz/seeds/$t/* "$OUT/$t/" 2>/dev/null || true
done
for t in bp split bundle state scn csv bpmn bitrix json; do printf '%s: %s inputs\n' "$t" "$(ls "$OUT/$t" | wc -l)"; done
