#!/usr/bin/env bash
# The seed's four engineers (Alice, Bob, Carlos, David) learn their average raise
# and nothing else: each engineer is a client process that Shamir-shares its raise
# among three compute servers over CurveZMQ; the servers check the raises are in
# range, add the shares and open only the sum. Expected output: average 3171.5
here=$(cd "$(dirname "$0")" && pwd)
BIN=${MPC_BUILD:-$here/../build}/examples/average
DIR=$(mktemp -d /tmp/raises-XXXXXX)
. "$here/lib.sh"
trap 'stop_servers; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT

keygen server1 server2 server3 alice bob carlos david
write_defn "$DIR/definition.json" sum '{}' 3 alice bob carlos david
start_servers 3
# four client processes, in parallel as four engineers would be
clients=""
for who in alice:3800 bob:2514 carlos:2982 david:3390; do
    "$BIN" submit --defn "$DIR/definition.json" --keys "$DIR/${who%%:*}.key" "${who#*:}" &
    clients="$clients $!"
done
for p in $clients; do wait "$p"; done
wait_results 3
# anyone on the roll fetches the signed statements and checks t+1 signatures
"$BIN" result --defn "$DIR/definition.json" --keys "$DIR/alice.key"
