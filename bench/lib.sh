# lib.sh — timing helpers shared by the benchmarks (sourced by run.sh and mass.sh).

# Nanoseconds since the epoch; GNU date has %N. Elsewhere fall back to a
# second-resolution clock, and say so.
case $(date +%N) in
  *[!0-9]* | '') now_ns() { echo "$(date +%s)000000000"; }
    echo "bench: date has no %N here; times are to the second" ;;
  *) now_ns() { date +%s%N; } ;;
esac

# time_runs N CMD... — runs CMD N times (output discarded) and prints each
# run's wall time in microseconds, one a line, sorted.
time_runs() {
  _n=$1
  shift
  _i=0
  while [ "$_i" -lt "$_n" ]; do
    _t0=$(now_ns)
    "$@" >/dev/null 2>&1
    _t1=$(now_ns)
    echo $(((_t1 - _t0) / 1000))
    _i=$((_i + 1))
  done | sort -n
}
best() { head -n 1; }
median() { awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
per_second() { awk -v n="$1" -v us="$2" 'BEGIN { if (us > 0) printf "%.0f", n / (us / 1e6); else print "inf" }'; }
