#!/usr/bin/env bash
# test/bench/track.sh - what client-side caching costs a GET: GET throughput
# with every connection in CLIENT TRACKING on against the same connections
# without it, shardis (--threads 2) and redis-server, one server at a time,
# with the same load process (build/shardis-trackbench, test/bench/
# trackbench.c: one thread, HELLO 3 on every connection in both runs, so
# the runs differ only in the server recording each key read).
#
# Rows: GET/s tracking off, GET/s tracking on (median of ROUNDS runs each,
# alternating off and on), and the cost: 1 - on/off. With tracking on, the
# server's table fills with KEYSPACE keys x CLIENTS readers during the first
# run (nothing writes, so nothing is invalidated): the later runs measure
# the steady state, a GET of a key already recorded for that client.
#
# Output: a markdown table on stdout and in $BENCH_OUT/track.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), TRACKBENCH (build/shardis-trackbench), KINDS
# ("shardis redis"), CLIENTS (50), REQUESTS (1000000), PIPELINE (16),
# KEYSPACE (100000), DATASIZE (64), ROUNDS (3), BENCH_OUT (build/bench).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=$(realpath "${SHARDIS_SERVER:-build/shardis-server}")
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
TRACKBENCH=$(realpath "${TRACKBENCH:-build/shardis-trackbench}")
KINDS=${KINDS:-shardis redis}
CLIENTS=${CLIENTS:-50}
REQUESTS=${REQUESTS:-1000000}
PIPELINE=${PIPELINE:-16}
KEYSPACE=${KEYSPACE:-100000}
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
    off=() on=()
    for _ in $(seq "$ROUNDS"); do
        read -r rps _ < <("$TRACKBENCH" "$port" off "$CLIENTS" "$REQUESTS" "$PIPELINE" "$KEYSPACE")
        off+=("$rps")
        read -r rps _ < <("$TRACKBENCH" "$port" on "$CLIENTS" "$REQUESTS" "$PIPELINE" "$KEYSPACE")
        on+=("$rps")
    done
    result[$kind.off]=$(echo "${off[@]}" | median_low)
    result[$kind.on]=$(echo "${on[@]}" | median_low)
    echo "$kind: off ${off[*]}, on ${on[*]}" >&2
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
done

{
    echo "| row ($CLIENTS clients, -P $PIPELINE, $KEYSPACE keys) | shardis | redis |"
    echo "|---|---:|---:|"
    echo "| GET/s, tracking off | ${result[shardis.off]:-0} | ${result[redis.off]:-0} |"
    echo "| GET/s, CLIENT TRACKING on | ${result[shardis.on]:-0} | ${result[redis.on]:-0} |"
    cost() { awk -v on="$1" -v off="$2" 'BEGIN { printf "%.1f %%", off ? 100 * (1 - on / off) : 0 }'; }
    echo "| tracking cost (1 - on/off) | $(cost "${result[shardis.on]:-0}" "${result[shardis.off]:-0}") | $(cost "${result[redis.on]:-0}" "${result[redis.off]:-0}") |"
} | tee "$BENCH_OUT/track.md"
