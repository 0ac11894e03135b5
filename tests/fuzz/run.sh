#!/bin/sh
# run.sh: run the libFuzzer targets built by `make fuzz` for FUZZ_SECONDS each and
# print one line per target (executions, executions per second, corpus, outcome).
# Usage (normally through make):  FUZZ_SECONDS=60 sh tests/fuzz/run.sh [target...]
# Targets are the names after fuzz_ (net_hdr, store, ...); default: all built.
# Seeds come from tests/fuzz/corpus/<target> (read only); inputs found while
# fuzzing go to build/fuzz/corpus/<target>, crash/leak/timeout inputs to
# build/fuzz/crashes/<target>/, logs to build/fuzz/logs/<target>.log. A
# dictionary tests/fuzz/<target>.dict, when present, is passed with -dict.
# Exit status: 0 when no target crashed, 1 otherwise (the crash files stay).
# Extra libFuzzer flags: FUZZ_ARGS="-jobs=2 -workers=2" (for example).
set -u

dir=${FUZZ_DIR:-build/fuzz}
secs=${FUZZ_SECONDS:-20}
seeds_root=tests/fuzz/corpus

case $secs in
    ''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;;
esac

# Longest input per target: room for every valid message plus slack to mutate.
max_len() {
    case $1 in
        net_hdr)  echo 128 ;;     # header 52 bytes
        field)    echo 1024 ;;    # up to ~60 elements of 16 bytes
        net_recv) echo 2048 ;;
        intake)   echo 2048 ;;    # a frame of 20 bytes + an envelope
        result)   echo 2048 ;;    # statement 153 bytes + output
        defn)     echo 16384 ;;   # a few servers and voters of JSON
        keys)     echo 4200 ;;    # KEYS_FILE_MAX (4096) plus a little, to cross it
        store)    echo 4096 ;;
        http)     echo 1024 ;;    # four short lines and a body past the 64-byte buffer
        *)        echo 4096 ;;
    esac
}

if [ $# -eq 0 ]; then
    set --
    for b in "$dir"/fuzz_*; do
        [ -x "$b" ] && set -- "$@" "${b##*/fuzz_}"
    done
fi
if [ $# -eq 0 ]; then
    echo "run.sh: no fuzz targets in $dir (run: make fuzz)" >&2
    exit 2
fi

mkdir -p "$dir/logs" "$dir/corpus" "$dir/crashes"
status=0
printf '%-10s %6s %12s %10s %8s %8s  %s\n' target seconds execs 'execs/s' corpus cov result
for t in "$@"; do
    bin=$dir/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "run.sh: no such target: $t ($bin)" >&2
        status=1
        continue
    fi
    seeds=$seeds_root/$t
    if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
        # No committed seeds: make them in the build directory.
        if [ ! -d "$dir/seeds/$t" ] && [ -x "$dir/gen_corpus" ]; then
            "$dir/gen_corpus" "$dir/seeds" >/dev/null || exit 1
        fi
        seeds=$dir/seeds/$t
    fi
    [ -d "$seeds" ] || seeds=
    work=$dir/corpus/$t
    crashes=$dir/crashes/$t
    log=$dir/logs/$t.log
    mkdir -p "$work" "$crashes"
    dict=tests/fuzz/$t.dict
    [ -f "$dict" ] || dict=
    # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
    "$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
        ${dict:+-dict="$dict"} ${FUZZ_ARGS:-} "$work" ${seeds:+"$seeds"} >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    corp=$(find "$work" -type f | wc -l)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        status=1
        crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        result="FAILED (exit $rc) ${crash:-see $log}"
    fi
    printf '%-10s %6s %12s %10s %8s %8s  %s\n' "$t" "$secs" "${execs:--}" "${eps:--}" \
        "$corp" "${cov:--}" "$result"
    if [ $rc -ne 0 ]; then
        grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9]+ )' "$log" | head -n 25 | sed 's/^/    /'
    fi
done
exit $status
