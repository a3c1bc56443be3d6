#!/usr/bin/env bash
# test/bench/aof.sh - SET throughput with the append-only log: shardis vs.
# redis-server with the same settings, measured with redis-benchmark.
#
# Run from the repository root (`make bench` calls it).
#
# What it measures
#   SET (-d 64, -r 1000000), CLIENTS clients (default 50), pipeline 1 and 16,
#   for appendonly no (reference), appendonly yes with appendfsync everysec,
#   and appendonly yes with appendfsync always. Each run starts a fresh server
#   on its own empty directory under BENCH_DIR (default: a temp dir in
#   /var/tmp, i.e. the machine's disk, not tmpfs), ROUNDS rounds interleaved
#   (shardis, redis, shardis, ...); reported: the median requests per second
#   per row and the ratio shardis / redis. shardis runs with --threads
#   THREADS (default 2), redis-server with its defaults (one thread,
#   aof-use-rdb-preamble yes). Nothing is pinned: the load generator shares
#   the cores with the servers.
#
# Environment: SHARDIS (build/shardis-server), REDIS (/usr/bin/redis-server),
# ROUNDS (3), REQUESTS (200000 at -P 1, 8x at -P 16), THREADS (2), CLIENTS
# (50), BENCH_DIR, BENCH_OUT (build/bench: the table goes to aof.md too).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHARDIS=${SHARDIS:-build/shardis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
THREADS=${THREADS:-2}
CLIENTS=${CLIENTS:-50}
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"

for tool in "$SHARDIS" "$REDIS" redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "aof.sh: $tool not found" >&2; exit 1; }
done

dir=${BENCH_DIR:-$(mktemp -d /var/tmp/shardis-aofbench-XXXXXX)}
mkdir -p "$dir"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))

start_server() { # name mode
    local data="$dir/$1-$2"
    rm -rf "$data"
    mkdir -p "$data"
    local aof=(--appendonly no)
    [ "$2" = no-aof ] || aof=(--appendonly yes --appendfsync "$2")
    if [ "$1" = shardis ]; then
        "$SHARDIS" --port "$port" --bind 127.0.0.1 --threads "$THREADS" --loglevel warning --save "" \
            --dir "$data" "${aof[@]}" >"$data/server.log" 2>&1 &
    else
        "$REDIS" --port "$port" --bind 127.0.0.1 --save "" --dir "$data" "${aof[@]}" >"$data/server.log" 2>&1 &
    fi
    server_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    echo "aof.sh: $1 did not start:" >&2
    cat "$data/server.log" >&2
    exit 1
}

stop_server() {
    kill -9 "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

run_bench() { # pipeline
    local n=$REQUESTS
    [ "$1" = 1 ] || n=$((REQUESTS * 8))
    redis-benchmark -p "$port" -t set -P "$1" -c "$CLIENTS" -n "$n" -d 64 -r 1000000 --csv 2>/dev/null |
        awk -F'"' 'NR > 1 && $2 != "" { print $4; exit }'
}

modes="no-aof everysec always"
declare -A results
for round in $(seq "$ROUNDS"); do
    for mode in $modes; do
        for server in shardis redis; do
            for pipeline in 1 16; do
                start_server "$server" "$mode"
                rps=$(run_bench "$pipeline")
                [ -n "$rps" ] || { echo "aof.sh: no result for $server $mode -P $pipeline" >&2; exit 1; }
                results[$server,$mode,$pipeline]+="$rps "
                stop_server
            done
        done
    done
done


{
    echo
    echo "Append-only log: SET -c $CLIENTS -d 64 -r 1000000, $REQUESTS requests (8x at -P 16), median of $ROUNDS rounds;"
    echo "shardis --threads $THREADS, redis-server default; data in $(df -T "$dir" | awk 'NR == 2 { print $2 }') ($dir)"
    echo
    echo "| mode | -P | shardis rps | redis rps | ratio |"
    echo "|---|---|---|---|---|"
    for mode in $modes; do
        for pipeline in 1 16; do
            s=$(echo "${results[shardis,$mode,$pipeline]}" | median_low)
            r=$(echo "${results[redis,$mode,$pipeline]}" | median_low)
            printf '| %s | %s | %s | %s | %s |\n' "$mode" "$pipeline" "$s" "$r" \
                "$(awk -v s="$s" -v r="$r" 'BEGIN { printf "%.2f", s / r }')"
        done
    done
} | tee "$BENCH_OUT/aof.md"
