#!/usr/bin/env bash
# A sealed-bid auction hosted for real: three servers (the auctioneer and two
# independent parties) and three bidders, every one a separate process with its
# own keys, talking CurveZMQ on loopback. Only the winning bid and the winner are
# revealed; the losing bids stay secret. Usage: examples/auction.sh [first|second]
here=$(cd "$(dirname "$0")" && pwd)
BIN=${MPC_BUILD:-$here/../build}/auction/auction
DIR=$(mktemp -d /tmp/auction-XXXXXX)
. "$here/lib.sh"
trap 'stop_servers; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT
price=${1:-first}

# 1. every party makes its keys; the organizer collects the .pub files
keygen server1 server2 server3 ada grace linus
# 2. the organizer writes the definition file (rules, servers, roll of bidders)
write_defn "$DIR/definition.json" auction \
    "{\"price\": \"$price\", \"reveal_winner\": true, \"reserve\": 100, \"close\": \"all_voted\"}" 3 ada grace linus
# 3. each server operator starts a server
start_servers 3
# 4. each bidder bids from its own terminal (here: its own process)
clients=""
for who in ada:1200 grace:1750 linus:990; do
    "$BIN" bid --defn "$DIR/definition.json" --keys "$DIR/${who%%:*}.key" "${who#*:}" &
    clients="$clients $!"
done
for p in $clients; do wait "$p"; done
# 5. the servers close the bidding once every bidder has bid, compute, and sign
wait_results 3
# 6. anyone on the roll fetches the statements and checks t+1 = 2 signatures
"$BIN" result --defn "$DIR/definition.json" --keys "$DIR/ada.key"
