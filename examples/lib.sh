# Shared helpers of the example scripts: the real keygen / server / submit /
# result path, every party a separate process talking CurveZMQ on loopback.
# Sourced, not run. Needs $BIN (the application binary) and $DIR (work dir).

set -eu

pub() {  # pub FILE KEY -> the hex public key KEY (curve_pk or sign_pk) of a .pub file
    awk -v k="$2" '$1 == k { print $2 }' "$1"
}

free_port() {  # a port nobody listens on, from the ephemeral-free range
    local p
    while :; do
        p=$(( 20000 + RANDOM % 20000 ))
        ss -ltn 2>/dev/null | grep -q ":$p " || { echo "$p"; return; }
    done
}

# keygen NAME...: one key pair per name, DIR/NAME.key (0600) and DIR/NAME.pub
keygen() {
    for who in "$@"; do "$BIN" keygen --out "$DIR/$who" >/dev/null; done
}

# write_defn FILE KIND RULES_JSON NSERVERS VOTER...: the organizer's definition file
write_defn() {
    local file=$1 kind=$2 rules=$3 n=$4
    shift 4
    {
        printf '{\n  "id": "example-%s-%s",\n  "kind": "%s",\n  "t": 1,\n' "$kind" "$$" "$kind"
        printf '  "deadline": %s,\n  "timeout_ms": 20000,\n  "servers": [\n' "$(( $(date +%s) + 600 ))"
        for i in $(seq 1 "$n"); do
            printf '    {"index": %d, "mesh": "tcp://127.0.0.1:%s", "client": "tcp://127.0.0.1:%s",\n' \
                "$i" "$(free_port)" "$(free_port)"
            printf '     "curve_pk": "%s", "sign_pk": "%s"}%s\n' "$(pub "$DIR/server$i.pub" curve_pk)" \
                "$(pub "$DIR/server$i.pub" sign_pk)" "$([ "$i" -lt "$n" ] && echo ,)"
        done
        printf '  ],\n  "roll": [\n'
        local last=${!#} v
        for v in "$@"; do
            printf '    {"name": "%s", "curve_pk": "%s", "sign_pk": "%s"}%s\n' "$v" \
                "$(pub "$DIR/$v.pub" curve_pk)" "$(pub "$DIR/$v.pub" sign_pk)" \
                "$([ "$v" != "$last" ] && echo ,)"
        done
        printf '  ],\n  "rules": %s\n}\n' "$rules"
    } > "$file"
}

# start_servers N: each server in the background, logs in DIR/serverI.log
start_servers() {
    SERVER_PIDS=""
    for i in $(seq 1 "$1"); do
        "$BIN" server --defn "$DIR/definition.json" --keys "$DIR/server$i.key" \
            --data "$DIR/data$i" --serve 30 > "$DIR/server$i.out" 2> "$DIR/server$i.log" &
        SERVER_PIDS="$SERVER_PIDS $!"
    done
}

stop_servers() {
    for p in $SERVER_PIDS; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

# wait_results N: until every server has written its signed statement
wait_results() {
    for _ in $(seq 1 300); do
        local ok=1
        for i in $(seq 1 "$1"); do [ -f "$DIR/data$i/result.stmt" ] || ok=0; done
        [ "$ok" = 1 ] && return 0
        sleep 0.1
    done
    echo "servers produced no result; logs in $DIR" >&2
    return 1
}
