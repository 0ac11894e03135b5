#!/usr/bin/env sh
# `make demo`: one-command local runs of everything, servers and clients as
# processes on loopback over CurveZMQ.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
B=${MPC_BUILD:-$here/../build}
tmp=$(mktemp -d /tmp/mpc-demo-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "== The four engineers' average raise (seed example), additive sharing among themselves"
"$B/examples/raises_additive" --table "$here/../tests/vectors/raises.tsv"
echo
echo "== The same with three compute servers and four clients (Shamir, t = 1)"
printf 'alice 3800\nbob 2514\ncarlos 2982\ndavid 3390\n' > "$tmp/raises.txt"
"$B/examples/average" run-local --values "$tmp/raises.txt"
echo
echo "== Sealed-bid auction, first price, winner revealed (a hostile bid of -5 is excluded)"
printf 'ada 1200\ngrace 1750\nlinus 990\nmallory raw:-5\n' > "$tmp/bids.txt"
"$B/auction/auction" run-local --bids "$tmp/bids.txt" --reveal-winner
echo
echo "== Second-price (Vickrey) auction with a reserve of 1000"
"$B/auction/auction" run-local --bids "$tmp/bids.txt" --rule second --reserve 1000
echo
echo "== Referendum needing 2/3 of yes+no: only YES/NO is revealed"
printf 'yes\nyes\nno\nyes\nblank\nyes\nno\n' > "$tmp/ballots.txt"
"$B/vote/vote" run-local --ballots "$tmp/ballots.txt" --threshold 2/3
echo
echo "== Plurality vote among three options, winner only (a two-hot ballot is excluded)"
printf 'tea\ncoffee\ncoffee\nwater\nraw:1,1,0\n' > "$tmp/plural.txt"
"$B/vote/vote" run-local --ballots "$tmp/plural.txt" --rule plurality --options tea,coffee,water
echo
echo "== A department of 60 releases its plurality tallies with differential privacy"
echo "   (epsilon = 1; true counts tea 14, coffee 31, water 15): noise drawn inside MPC"
for i in $(seq 14); do echo tea; done > "$tmp/dept.txt"
for i in $(seq 31); do echo coffee; done >> "$tmp/dept.txt"
for i in $(seq 15); do echo water; done >> "$tmp/dept.txt"
"$B/vote/vote" run-local --ballots "$tmp/dept.txt" --rule plurality --options tea,coffee,water \
    --reveal noisy_tallies --dp-epsilon 1
echo
echo "== The ballot page (examples/web.sh): three servers with --http, credential codes to mail;"
echo "   here three voters cast from the command line with their codes (the page seals the same envelopes)"
WEB_QUICK=1 MPC_BUILD="$B" bash "$here/web.sh"
