#!/usr/bin/env bash
# test/bench/track.sh - what client-side caching costs a GET: GET throughput
# with every connection in CLIENT TRACKING on against the same connections
# without it, shardis (--threads 2) and redis-server, one server at a time,
# with the same load process (build/shardis-trackbench, test/bench/
# trackbench.c: one thread, HELLO 3 on every connection in both runs, so
# the runs differ only in the server recording each key read).
#
# Each run (test/bench/trackbench.c) has two phases of REQUESTS GETs on the
# same connections: cold (with tracking on, most GETs read a key for the
# first time on their connection: the server adds an entry) and warm (most
# keys were read before by the same connection: the entry exists; KEYSPACE
# is well below REQUESTS / CLIENTS for that). Rows: GET/s of each phase with
# tracking off and on (median of ROUNDS runs, alternating off and on) and
# the cost 1 - on/off; the server's CPU time per GET (user + system of the
# server process over the phase, /proc/PID/stat), which a loaded machine
# disturbs far less than the throughput, and its cost on/off - 1.
#
# Output: a markdown table on stdout and in $BENCH_OUT/track.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), TRACKBENCH (build/shardis-trackbench), KINDS
# ("shardis redis"), CLIENTS (50), REQUESTS (1000000), PIPELINE (16),
# KEYSPACE (10000), DATASIZE (64), ROUNDS (3), BENCH_OUT (build/bench).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=$(realpath "${SHARDIS_SERVER:-build/shardis-server}")
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
TRACKBENCH=$(realpath "${TRACKBENCH:-build/shardis-trackbench}")
KINDS=${KINDS:-shardis redis}
CLIENTS=${CLIENTS:-50}
REQUESTS=${REQUESTS:-1000000}
PIPELINE=${PIPELINE:-16}
KEYSPACE=${KEYSPACE:-10000}
DATASIZE=${DATASIZE:-64}
ROUNDS=${ROUNDS:-3}
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"

declare -A result=()
for kind in $KINDS; do
    port=$(free_port)
    dir=$(mktemp -d)
    if [[ $kind == shardis ]]; then
        (cd "$dir" && exec "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads 2 --save "" --appendonly no \
            --loglevel warning) >"$BENCH_OUT/track-$kind.log" 2>&1 &
    else
        (cd "$dir" && exec "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --loglevel warning) >"$BENCH_OUT/track-$kind.log" 2>&1 &
    fi
    pid=$!
    wait_ping_cli "$port"
    value=$(head -c "$DATASIZE" /dev/zero | tr '\0' 'x')
    awk -v n="$KEYSPACE" -v v="$value" 'BEGIN {
        for (i = 0; i < n; i++) { k = "key:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' |
        redis-cli -p "$port" --pipe >/dev/null
    declare -A runs=()
    for _ in $(seq "$ROUNDS"); do
        for mode in off on; do
            read -r cold warm coldcpu warmcpu _ < <("$TRACKBENCH" "$port" "$mode" "$CLIENTS" "$REQUESTS" "$PIPELINE" \
                "$KEYSPACE" "$pid")
            runs[$mode.cold]+=" $cold" runs[$mode.warm]+=" $warm"
            runs[$mode.coldcpu]+=" $coldcpu" runs[$mode.warmcpu]+=" $warmcpu"
        done
    done
    for k in "${!runs[@]}"; do
        result[$kind.$k]=$(echo "${runs[$k]}" | median_low)
        echo "$kind $k:${runs[$k]}" >&2
    done
    unset runs
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
done

{
    r() { echo "${result[$1]:-0}"; }
    cost() { awk -v on="$1" -v off="$2" 'BEGIN { printf "%.1f %%", off ? 100 * (1 - on / off) : 0 }'; }
    cpucost() { awk -v on="$1" -v off="$2" 'BEGIN { printf "%.1f %%", off ? 100 * (on / off - 1) : 0 }'; }
    echo "| row ($CLIENTS clients, -P $PIPELINE, $KEYSPACE keys, $REQUESTS GETs a phase) | shardis | redis |"
    echo "|---|---:|---:|"
    for phase in cold warm; do
        echo "| $phase: GET/s, tracking off | $(r shardis.off.$phase) | $(r redis.off.$phase) |"
        echo "| $phase: GET/s, CLIENT TRACKING on | $(r shardis.on.$phase) | $(r redis.on.$phase) |"
        echo "| $phase: throughput cost (1 - on/off) | $(cost "$(r shardis.on.$phase)" "$(r shardis.off.$phase)") |" \
            "$(cost "$(r redis.on.$phase)" "$(r redis.off.$phase)") |"
        echo "| $phase: server CPU ns/GET, off / on | $(r shardis.off.${phase}cpu) / $(r shardis.on.${phase}cpu) |" \
            "$(r redis.off.${phase}cpu) / $(r redis.on.${phase}cpu) |"
        echo "| $phase: CPU cost (on/off - 1) | $(cpucost "$(r shardis.on.${phase}cpu)" "$(r shardis.off.${phase}cpu)") |" \
            "$(cpucost "$(r redis.on.${phase}cpu)" "$(r redis.off.${phase}cpu)") |"
    done
} | tee "$BENCH_OUT/track.md"
