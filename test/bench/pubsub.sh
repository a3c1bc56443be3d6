#!/usr/bin/env bash
# test/bench/pubsub.sh - PUBLISH fan-out and publish-to-receive latency,
# shardis (--threads 2) against redis-server, one server at a time, with the
# same load process (test/bench/pubsub_load.c, compiled here: a publisher
# thread and LOAD_THREADS epoll reader threads, so the figures compare the
# servers).
#
# Rows:
#   fan-out N   N subscribers of one channel, MESSAGES PUBLISHes of 32 bytes
#               from one pipelined publisher: messages delivered per second
#               (to all subscribers together) and PUBLISHes per second
#   latency     LAT_SUBS subscribers, LAT_RATE PUBLISHes a second for
#               LAT_SECONDS: p50 and p99 from PUBLISH sent to message read
#
# Output: a markdown table on stdout and in $BENCH_OUT/pubsub.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), KINDS ("shardis redis"), SUBS ("1 100 1000"),
# MESSAGES (message count per fan-out row, default 200000 / N subscribers,
# at least 2000), LAT_SUBS (100), LAT_RATE (2000), LAT_SECONDS (5),
# BENCH_OUT (build/bench).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
SHARDIS_SERVER=$(realpath "$SHARDIS_SERVER")
KINDS=${KINDS:-shardis redis}
SUBS=${SUBS:-1 100 1000}
LAT_SUBS=${LAT_SUBS:-100}
LAT_RATE=${LAT_RATE:-2000}
LAT_SECONDS=${LAT_SECONDS:-5}
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"
LOAD="$BENCH_OUT/pubsub_load"
${CC:-cc} -std=gnu17 -O2 -Wall -Wextra -pthread "$(dirname "${BASH_SOURCE[0]}")/pubsub_load.c" -o "$LOAD"
ulimit -n 8192 2>/dev/null || true

declare -A result=()
for kind in $KINDS; do
    port=$(free_port)
    dir=$(mktemp -d)
    if [[ $kind == shardis ]]; then
        (cd "$dir" && exec "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads 2 --save "" --appendonly no \
            --loglevel warning) >"$BENCH_OUT/pubsub-$kind.log" 2>&1 &
    else
        (cd "$dir" && exec "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --loglevel warning) >"$BENCH_OUT/pubsub-$kind.log" 2>&1 &
    fi
    pid=$!
    wait_ping_cli "$port"
    for n in $SUBS; do
        messages=${MESSAGES:-$((200000 / n > 2000 ? 200000 / n : 2000))}
        result[$kind.fan$n]=$("$LOAD" "$port" throughput "$n" "$messages")
        echo "$kind fan-out $n subscribers, $messages messages: ${result[$kind.fan$n]}" >&2
    done
    result[$kind.lat]=$("$LOAD" "$port" latency "$LAT_SUBS" "$LAT_RATE" "$LAT_SECONDS")
    echo "$kind latency: ${result[$kind.lat]}" >&2
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
done

{
    echo "| row | shardis | redis | ratio |"
    echo "|---|---:|---:|---:|"
    for n in $SUBS; do
        read -r sd sp <<<"${result[shardis.fan$n]:-0 0}"
        read -r rd rp <<<"${result[redis.fan$n]:-0 0}"
        echo "| fan-out $n subscribers: delivered/s | $sd | $rd | $(awk -v a="$sd" -v b="$rd" 'BEGIN { printf "%.2f", b ? a / b : 0 }') |"
        echo "| fan-out $n subscribers: PUBLISH/s | $sp | $rp | $(awk -v a="$sp" -v b="$rp" 'BEGIN { printf "%.2f", b ? a / b : 0 }') |"
    done
    read -r s50 s99 <<<"${result[shardis.lat]:-0 0}"
    read -r r50 r99 <<<"${result[redis.lat]:-0 0}"
    echo "| latency p50 ms ($LAT_SUBS subscribers, $LAT_RATE/s) | $s50 | $r50 | $(awk -v a="$s50" -v b="$r50" 'BEGIN { printf "%.2f", b ? a / b : 0 }') |"
    echo "| latency p99 ms ($LAT_SUBS subscribers, $LAT_RATE/s) | $s99 | $r99 | $(awk -v a="$s99" -v b="$r99" 'BEGIN { printf "%.2f", b ? a / b : 0 }') |"
} | tee "$BENCH_OUT/pubsub.md"
