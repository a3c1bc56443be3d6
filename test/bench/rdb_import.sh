#!/usr/bin/env bash
# test/bench/rdb_import.sh - importing a Redis dump.rdb: shardis
# (--rdb-import, one reader per shard) against redis-server loading the same
# file itself. Time to serve (exec until PING is answered; both servers open
# their port after loading) and peak RSS (VmHWM) after the load.
#
# Data: redis-server writes it: RDB_KEYS strings (DEBUG POPULATE, keys
# key:N, 16-byte values) plus RDB_KEYS/1000 keys of each collection type
# (test/bench/collgen.awk: hash of 10 fields, set of 10 integers, zset of 10
# members, list of 10 items), then SAVE (rdbcompression yes, the default).
# Each load runs LOAD_RUNS times; the lower median is reported.
#
# Output: a markdown table on stdout and in $BENCH_OUT/rdb_import.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), RDB_KEYS (5000000), THREADS ("1 2 4"),
# LOAD_RUNS (3), BENCH_OUT (build/bench).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
RDB_KEYS=${RDB_KEYS:-5000000}
THREADS=${THREADS:-1 2 4}
LOAD_RUNS=${LOAD_RUNS:-3}
BENCH_OUT=${BENCH_OUT:-build/bench}
COLLGEN=$(dirname "${BASH_SOURCE[0]}")/collgen.awk
mkdir -p "$BENCH_OUT"
WORK=$(mktemp -d /tmp/shardis-rdb-import-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# 1. the file, written by redis-server
mkdir -p "$WORK/gen"
port=$(free_port)
"$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/gen" \
    --enable-debug-command yes >/dev/null 2>&1 &
gen=$!
PIDS+=("$gen")
wait_ping_cli "$port"
redis-cli -p "$port" DEBUG POPULATE "$RDB_KEYS" key 16 >/dev/null
for kind in hash set zset list; do
    awk -f "$COLLGEN" -v kind=$kind -v keys=$((RDB_KEYS / 1000)) -v elems=10 | redis-cli -p "$port" --pipe >/dev/null
done
total=$(redis-cli -p "$port" DBSIZE)
redis-cli -p "$port" SAVE >/dev/null
kill "$gen"
wait "$gen" 2>/dev/null || true
FILE="$WORK/gen/dump.rdb"
size=$(stat -c %s "$FILE")

peak_rss_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# 2. loads: prints "seconds peak_mb"
load_once() { # kind threads
    local dir="$WORK/run" port pid t0 secs rss keys
    rm -rf "$dir" && mkdir -p "$dir"
    port=$(free_port)
    t0=$(date +%s.%N)
    if [ "$1" = redis ]; then
        cp "$FILE" "$dir/dump.rdb"
        t0=$(date +%s.%N)
        "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >/dev/null 2>&1 &
    else
        "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
            --threads "$2" --rdb-import "$FILE" >/dev/null 2>&1 &
    fi
    pid=$!
    PIDS+=("$pid")
    secs=$(wait_ping "$port" "$t0")
    rss=$(peak_rss_mb "$pid")
    keys=$(redis-cli -p "$port" DBSIZE)
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    [ "$keys" = "$total" ] || { echo "$1 loaded $keys keys, want $total" >&2; exit 1; }
    echo "$secs $rss"
}

measure() { # kind threads -> "median_seconds median_rss"
    local s="" r="" out
    for _ in $(seq "$LOAD_RUNS"); do
        out=$(load_once "$1" "$2")
        s="$s ${out% *}"
        r="$r ${out#* }"
    done
    echo "$(echo "$s" | median_low) $(echo "$r" | median_low)"
}

redis=$(measure redis 1)
rs=${redis% *}
{
    echo "RDB import: $total keys ($RDB_KEYS strings + $((RDB_KEYS / 1000)) each of hash/set/zset/list), dump.rdb $((size / 1048576)) MB, median of $LOAD_RUNS"
    echo
    echo "| server | time to serve (s) | vs redis | peak RSS (MB) |"
    echo "|---|---|---|---|"
    echo "| redis-server 7.0.15 (own load) | $rs | 1.00x | ${redis#* } |"
    for t in $THREADS; do
        ours=$(measure shardis "$t")
        os=${ours% *}
        echo "| shardis --threads $t --rdb-import | $os | $(awk -v a="$os" -v b="$rs" 'BEGIN { printf "%.2fx", a / b }') | ${ours#* } |"
    done
} | tee "$BENCH_OUT/rdb_import.md"
