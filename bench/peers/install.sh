#!/bin/sh
# install.sh — installs the peers bpc is compared with (bpmn-engine, bpmn-moddle), at the
# versions package-lock.json pins, into bench/peers/node_modules with `npm ci`. Used by the
# conformance test (tests/conformance/run.sh) and the benchmarks (bench/bpmn_read.sh).
#
# Does nothing when node_modules already holds exactly this lockfile's packages (a copy of
# the lockfile is kept there as a stamp), so it costs nothing offline once installed.
# Quiet unless something is wrong. Exit status: 0 installed (or already there); 3 node or
# npm is not installed (the message says so); 4 npm ci failed (no network to the npm
# registry, most likely; npm's last lines are shown).
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
STAMP=$DIR/node_modules/.bpc-package-lock.json

if ! command -v node >/dev/null 2>&1; then
  echo "peers: node not installed (Debian: apt-get install nodejs npm)" >&2
  exit 3
fi
if cmp -s "$DIR/package-lock.json" "$STAMP" && [ -d "$DIR/node_modules/bpmn-engine" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "peers: npm not installed (Debian: apt-get install npm); cannot install $DIR/node_modules" >&2
  exit 3
fi
LOG=$(mktemp "${TMPDIR:-/tmp}/bpc-peers.XXXXXX") || exit 4
if npm ci --prefix "$DIR" --no-audit --no-fund --loglevel=error >"$LOG" 2>&1; then
  cp "$DIR/package-lock.json" "$STAMP"
  rm -f "$LOG"
  exit 0
fi
echo "peers: npm ci in $DIR failed (is the npm registry reachable? it is needed once):" >&2
tail -n 5 "$LOG" >&2
rm -f "$LOG"
exit 4
