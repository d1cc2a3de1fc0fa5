#!/bin/sh
# bench/pgo.sh — the two runs of `make pgo` (the Makefile has the build steps).
#
#   sh bench/pgo.sh train BPC DIR        runs the compiler built with -fprofile-generate on
#                                        the training inputs: bench/gen.sh's program (20,000
#                                        lines) and every sample, `compile` and `check` each
#   sh bench/pgo.sh same PLAIN PGO DIR   compiles and checks the same inputs with both
#                                        compilers: bundle, stdout, stderr and exit status
#                                        must be byte for byte the same; exit 1 if any differs
#
# DIR holds the generated program and the outputs. The profile only moves code around
# (which branch falls through, what is inlined); `same` checks that nothing else changed.
set -u
mode=$1
case $mode in
train) bpc=$2 dir=$3 ;;
same) plain=$2 pgo=$3 dir=$4 ;;
*) echo "usage: bench/pgo.sh train BPC DIR | same PLAIN PGO DIR" >&2; exit 2 ;;
esac
mkdir -p "$dir"
[ -s "$dir/gen.bp" ] || sh bench/gen.sh 20000 >"$dir/gen.bp"

# One run: `NAME compile|check FILE` with its bundle, outputs and status under $dir/NAME.*.
run() {
  rm -f "$dir/$1.bpt"
  if [ "$3" = compile ]; then "$2" compile "$4" -o "$dir/$1.bpt" >"$dir/$1.out" 2>"$dir/$1.err"
  else "$2" check "$4" >"$dir/$1.out" 2>"$dir/$1.err"; fi
  echo $? >"$dir/$1.rc"
}

differ=0 runs=0
for f in "$dir/gen.bp" samples/*.bp samples/*.bpmn; do
  [ -f "$f" ] || continue
  for cmd in compile check; do
    if [ "$mode" = train ]; then
      run train "$bpc" "$cmd" "$f"
      continue
    fi
    run a "$plain" "$cmd" "$f"
    run b "$pgo" "$cmd" "$f"
    runs=$((runs + 1))
    for x in out err rc; do
      cmp -s "$dir/a.$x" "$dir/b.$x" || { echo "pgo: $cmd $f: the $x differs" >&2; differ=$((differ + 1)); }
    done
    if [ -f "$dir/a.bpt" ] || [ -f "$dir/b.bpt" ]; then
      cmp -s "$dir/a.bpt" "$dir/b.bpt" || { echo "pgo: $cmd $f: the bundle differs" >&2; differ=$((differ + 1)); }
    fi
  done
done
if [ "$mode" = same ]; then
  echo "pgo: $runs runs, $differ differ"
  [ "$differ" -eq 0 ] || exit 1
fi
exit 0
