#!/usr/bin/env bash
# test/bench/stream.sh - stream commands, shardis (--threads 2) against
# redis-server, one server at a time, with the same redis-benchmark load
# (CLIENTS connections, pipeline PIPELINE).
#
# Rows:
#   XADD per-client streams  XADD s:__rand_int__ * f v over KEYS streams
#   XADD one stream          XADD shared * f v
#   XRANGE 100               XRANGE of 100 entries of a 1000-entry stream
#   XREADGROUP 10            XREADGROUP ... COUNT 10 STREAMS q > on a stream
#                            pre-filled with enough entries (no XACK)
#   bytes per entry          used_memory growth for ENTRIES XADDs of three
#                            small fields (a 1 b 2 c 3) into one stream
#
# Output: a markdown table on stdout and in $BENCH_OUT/stream.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), KINDS ("shardis redis"), REQUESTS (400000),
# CLIENTS (50), PIPELINE (16), KEYS (1000), ENTRIES (1000000), BENCH_OUT
# (build/bench).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
SHARDIS_SERVER=$(realpath "$SHARDIS_SERVER")
KINDS=${KINDS:-shardis redis}
REQUESTS=${REQUESTS:-400000}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-16}
KEYS=${KEYS:-1000}
ENTRIES=${ENTRIES:-1000000}
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"

rps() { # port requests args... -> requests per second
    local port=$1 n=$2
    shift 2
    redis-benchmark -p "$port" -c "$CLIENTS" -P "$PIPELINE" -n "$n" -q "$@" 2>/dev/null | tr '\r' '\n' |
        awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i == "requests") v = $(i - 1) } END { print v + 0 }'
}

used_memory() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

declare -A result=()
for kind in $KINDS; do
    port=$(free_port)
    dir=$(mktemp -d)
    if [[ $kind == shardis ]]; then
        (cd "$dir" && exec "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads 2 --save "" --appendonly no \
            --loglevel warning) >"$BENCH_OUT/stream-$kind.log" 2>&1 &
    else
        (cd "$dir" && exec "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --loglevel warning) >"$BENCH_OUT/stream-$kind.log" 2>&1 &
    fi
    pid=$!
    wait_ping_cli "$port"
    result[$kind.xadd_keys]=$(rps "$port" "$REQUESTS" -r "$KEYS" XADD 's:__rand_int__' '*' f v)
    result[$kind.xadd_one]=$(rps "$port" "$REQUESTS" XADD shared '*' f v)
    redis-cli -p "$port" XTRIM shared MAXLEN 1000 >/dev/null
    result[$kind.xrange]=$(rps "$port" $((REQUESTS / 20)) XRANGE shared - + COUNT 100)
    redis-cli -p "$port" XGROUP CREATE q g '$' MKSTREAM >/dev/null
    redis-benchmark -p "$port" -c 4 -P 100 -n $((REQUESTS / 2 * 10 + 1000)) -q XADD q '*' f v >/dev/null 2>&1
    result[$kind.xreadgroup]=$(rps "$port" $((REQUESTS / 2)) XREADGROUP GROUP g c COUNT 10 STREAMS q '>')
    redis-cli -p "$port" FLUSHALL >/dev/null
    before=$(used_memory "$port")
    redis-benchmark -p "$port" -c 1 -P 100 -n "$ENTRIES" -q XADD mem '*' a 1 b 2 c 3 >/dev/null 2>&1
    after=$(used_memory "$port")
    result[$kind.mem]=$(awk -v a="$after" -v b="$before" -v n="$ENTRIES" 'BEGIN { printf "%.2f", (a - b) / n }')
    echo "$kind: ${result[$kind.xadd_keys]} ${result[$kind.xadd_one]} ${result[$kind.xrange]} ${result[$kind.xreadgroup]} ${result[$kind.mem]}" >&2
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
{
    echo "| row (P$PIPELINE, $CLIENTS clients) | shardis | redis | ratio |"
    echo "|---|---:|---:|---:|"
    for row in "xadd_keys:XADD, $KEYS per-client streams, req/s" "xadd_one:XADD, one shared stream, req/s" \
        "xrange:XRANGE of 100 entries, req/s" "xreadgroup:XREADGROUP COUNT 10, req/s" \
        "mem:bytes per entry, $ENTRIES entries of 3 small fields"; do
        k=${row%%:*}
        s=${result[shardis.$k]:-0}
        r=${result[redis.$k]:-0}
        echo "| ${row#*:} | $s | $r | $(ratio "$s" "$r") |"
    done
} | tee "$BENCH_OUT/stream.md"
