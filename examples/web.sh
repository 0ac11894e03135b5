#!/usr/bin/env bash
# The web walk-through (issue 15): a secretary's local election with the ballot
# page. Three servers on loopback serve the page (build/web, `make web`) and
# take envelopes over HTTP; this prints the page's address and one credential
# code per voter, as the secretary would mail them.
#
#   examples/web.sh              deadline in 10 minutes: open the URL, vote with
#                                the codes, and the result is printed at the close
#   WEB_MINUTES=30 examples/web.sh
#   WEB_QUICK=1 examples/web.sh  (make demo) a 25-second election: three voters
#                                cast with `vote cast --keys CODEFILE`, the same
#                                envelopes the page seals, then the result
here=$(cd "$(dirname "$0")" && pwd)
B=${MPC_BUILD:-$here/../build}
BIN=$B/vote/vote
DIR=$(mktemp -d /tmp/web-XXXXXX)
. "$here/lib.sh"
SERVER_PIDS=""
trap 'stop_servers; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT

if [ ! -f "$B/web/index.html" ]; then
    echo "note: no page in $B/web (run make web): the servers take envelopes, but serve no page"
fi
if [ -n "${WEB_QUICK:-}" ]; then secs=25; else secs=$(( ${WEB_MINUTES:-10} * 60 )); fi
deadline=$(date -u -d "@$(( $(date +%s) + secs ))" +%Y-%m-%dT%H:%M:%SZ)

# 1. the trustees' server keys (each trustee runs this on their own machine)
for i in 1 2 3; do "$BIN" keygen --out "$DIR/trustee$i" >/dev/null; done
# 2. one credential per voter: DIR/creds/NAME.cred (secret) and roll.txt (public)
printf 'ahmed\nbeatriz\nchen\ndana\nemeka\n' > "$DIR/staff.txt"
"$BIN" credentials --names "$DIR/staff.txt" --out "$DIR/creds" >/dev/null
# 3. the servers file: index, mesh, client endpoint, key, and the page's origin
for i in 1 2 3; do
    echo "$i tcp://127.0.0.1:$(free_port) tcp://127.0.0.1:$(free_port) trustee$i.pub http://127.0.0.1:$(free_port)"
done > "$DIR/servers.txt"
sid=$("$BIN" new --servers "$DIR/servers.txt" --roll "$DIR/creds/roll.txt" --deadline "$deadline" \
          --id staff-motion --threshold 1/2 --out "$DIR/vote.json" --json 2>/dev/null |
      sed 's/.*"session_id": *"\([0-9a-f]*\)".*/\1/')
# 4. each trustee starts a server with --http ADDRESS:PORT (its origin's port)
for i in 1 2 3; do
    port=$(awk -v i="$i" '$1 == i { sub(/.*:/, "", $5); print $5 }' "$DIR/servers.txt")
    "$BIN" server --defn "$DIR/vote.json" --keys "$DIR/trustee$i.key" --data "$DIR/s$i" \
        --serve 60 --http "127.0.0.1:$port" --web "$B/web" > "$DIR/server$i.out" 2> "$DIR/server$i.log" &
    SERVER_PIDS="$SERVER_PIDS $!"
done
url=$(awk '$1 == 1 { print $5 }' "$DIR/servers.txt")/
for _ in $(seq 1 50); do curl -fs "${url}api/defn" >/dev/null 2>&1 && break; sleep 0.1; done

echo "Election staff-motion, closes $(date -d "$deadline"), session id"
echo "  $sid"
echo "The ballot page:  $url"
echo "Credential codes (mail each voter their own):"
for f in "$DIR"/creds/*.cred; do
    printf '  %-8s %s\n' "$(basename "$f" .cred)" "$(awk '$1 == "credential" { print $2 }' "$f")"
done
if [ -n "${WEB_QUICK:-}" ]; then
    for who in ahmed:yes beatriz:yes chen:no; do
        "$BIN" cast --defn "$DIR/vote.json" --keys "$DIR/creds/${who%%:*}.cred" --retry 10 "${who#*:}" \
            2>/dev/null | sed "s/^/  ${who%%:*}: /"
    done
else
    echo "Open the page, paste a code, vote; vote again to change it. Waiting for the close..."
fi
wait_n=$(( secs + 60 ))
for _ in $(seq 1 $(( wait_n * 2 ))); do
    [ -f "$DIR/s1/result.stmt" ] && [ -f "$DIR/s2/result.stmt" ] && break
    sleep 0.5
done
"$BIN" result --defn "$DIR/vote.json"
echo "(the page at $url shows the same outcome, verified in the browser)"
