#!/usr/bin/env bash
# A departmental vote: seven faculty members on a motion that needs two thirds of
# the yes/no votes; three trustees run the servers. Only YES or NO is revealed,
# never the tally. Usage: examples/vote.sh
here=$(cd "$(dirname "$0")" && pwd)
BIN=${MPC_BUILD:-$here/../build}/vote/vote
DIR=$(mktemp -d /tmp/vote-XXXXXX)
. "$here/lib.sh"
trap 'stop_servers; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT

faculty="ahmed beatriz chen dana emeka fatima goran"
keygen server1 server2 server3 $faculty
write_defn "$DIR/definition.json" vote \
    '{"type": "threshold", "threshold": "2/3", "base": "yes_no", "close": "all_voted"}' 3 $faculty
start_servers 3
clients=""
for who in ahmed:yes beatriz:yes chen:no dana:yes emeka:blank fatima:yes goran:no; do
    "$BIN" cast --defn "$DIR/definition.json" --keys "$DIR/${who%%:*}.key" "${who#*:}" &
    clients="$clients $!"
done
for p in $clients; do wait "$p"; done
wait_results 3
"$BIN" result --defn "$DIR/definition.json" --keys "$DIR/ahmed.key"
