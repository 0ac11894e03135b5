#!/bin/sh
# plot_dp.sh: docs/dp_accuracy.svg from the dp_mae lines of bench_dp, the mean
# absolute error of noisy tallies against epsilon (Laplace for 100 and 10,000
# voters, binomial noise at the same delta, and E|Z| of the discrete Laplace).
#   scripts/plot_dp.sh [bench_dp.jsonl [out.svg]]
# Without an input file it runs build/bench/bench_dp (make it first) and keeps
# its output in build/bench/dp.jsonl. Needs gnuplot (apt-get install gnuplot-nox);
# not used by make test.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
in=${1:-}
out=${2:-$root/docs/dp_accuracy.svg}
if [ -z "$in" ]; then
    in=$root/build/bench/dp.jsonl
    [ -x "$root/build/bench/bench_dp" ] || { echo "plot_dp: build/bench/bench_dp missing: run make" >&2; exit 1; }
    MPC_BUILD=$root/build "$root/build/bench/bench_dp" > "$in"
fi
command -v gnuplot >/dev/null || { echo "plot_dp: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one "eps value theory" row per dp_mae line, into a file per series
awk -v dir="$tmp" '
function field(k,   m) {
    if (match($0, "\"" k "\":\"?[^,}\"]*")) {
        m = substr($0, RSTART, RLENGTH); sub("\"" k "\":\"?", "", m); return m
    }
    return ""
}
/"name":"dp_mae"/ {
    mech = field("mechanism"); f = dir "/" mech
    if (mech == "laplace") f = f "_" field("voters")
    print field("eps"), field("value"), field("theory") >> (f ".dat")
}' "$in"
for f in laplace_100 laplace_10000 binomial; do
    [ -s "$tmp/$f.dat" ] || { echo "plot_dp: no dp_mae lines for $f in $in" >&2; exit 1; }
    sort -g "$tmp/$f.dat" -o "$tmp/$f.dat"
done

gnuplot <<GP
set terminal svg size 720,480 dynamic enhanced font "sans,12" background rgb "white"
set output "$out"
set title "Noisy tallies released by MPC: mean absolute error (delta <= 2^{-40})"
set xlabel "epsilon (per tally, sensitivity 1)"
set ylabel "mean absolute error (votes)"
set logscale xy
set xrange [0.08:2.5]
set grid
set key top right
set yrange [0.1:400]
lap(x) = 2*exp(-x)/(1-exp(-2*x))
plot lap(x) with lines lw 2 lc rgb "#888888" title "discrete Laplace: E|Z| = 2a/(1-a^2), a = e^{-eps}", \
     "$tmp/laplace_100.dat" using 1:2 with points pt 7 ps 1.2 lc rgb "#1f77b4" title "Laplace in MPC, 100 voters", \
     "$tmp/laplace_10000.dat" using 1:2 with points pt 6 ps 1.8 lc rgb "#d62728" title "Laplace in MPC, 10,000 voters", \
     "$tmp/binomial.dat" using 1:3 with lines dt 2 lc rgb "#2ca02c" title "binomial noise: E|Z|", \
     "$tmp/binomial.dat" using 1:2 with points pt 5 ps 1.0 lc rgb "#2ca02c" title "binomial in MPC, 10,000 voters"
GP
echo "plot_dp: wrote $out from $in"
