#!/usr/bin/env bash
# test/bench/evict.sh - does allkeys-lru evict over the whole keyspace when
# the keys are skewed between shards?
#
# One server at a time (shardis --threads 2, redis-server), maxmemory
# MAXMEMORY (50mb) with allkeys-lru, maxmemory-samples 5 (the default):
#   1. COLD keys of VALUE bytes under one hash tag (idle: written first);
#   2. a pause of 2 s (the LRU clock counts seconds), then HOT keys under
#      another hash tag, on the other shard, each read once after writing;
#   3. NEW keys under the hot tag, written at full speed with redis-cli
#      --pipe in runs of 1000 commands, so that the total goes past
#      maxmemory and the server evicts. (One pipe of every NEW command makes
#      shardis buffer tens of MB of query input when the connection's thread
#      is not the keys' shard: that memory counts, and keys of every shard
#      are evicted for it; the runs of 1000 keep it under 1 MB.)
# Redis's approximated LRU evicts the cold keys first; a per-shard choice
# evicts the keys of the shard that receives the writes, hot ones included.
# Reported per server: hot, cold and new keys left, evicted_keys, used_memory
# at the end.
#
# Output: a markdown table on stdout and in $BENCH_OUT/evict.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), KINDS ("shardis redis"), MAXMEMORY (50mb), COLD
# (40000), HOT (5000), NEW (30000), VALUE (1000), BENCH_OUT (build/bench).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
KINDS=${KINDS:-shardis redis}
MAXMEMORY=${MAXMEMORY:-50mb}
COLD=${COLD:-40000}
HOT=${HOT:-5000}
NEW=${NEW:-30000}
VALUE=${VALUE:-1000}
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"
command -v python3 >/dev/null || { echo "evict: python3 is needed" >&2; exit 1; }


start_server() { # kind port -> pid
    local kind=$1 port=$2
    if [[ $kind == shardis ]]; then
        "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads 2 --save "" --loglevel warning \
            >"$BENCH_OUT/evict-$kind.log" 2>&1 &
    else
        "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$BENCH_OUT/evict-$kind.log" 2>&1 &
    fi
    local pid=$!
    wait_ping_cli "$port"
    echo "$pid"
}

# Keys of each shard (shardis: INFO shards), one figure per line.
shard_keys() { # port
    redis-cli -p "$1" info shards | tr -d '\r' | sed -n 's/^shard[0-9]*:keys=\([0-9]*\).*/\1/p'
}

# A hash tag whose keys live on another shard than {hot}'s (shardis), else {cold}.
cold_tag() { # kind port
    if [[ $1 != shardis ]]; then
        echo "{cold}"
        return
    fi
    local port=$2 before after hot_shard tag_shard
    before=$(shard_keys "$port")
    redis-cli -p "$port" set "{hot}probe" x >/dev/null
    after=$(shard_keys "$port")
    hot_shard=$(paste <(echo "$before") <(echo "$after") | awk '$2 > $1 { print NR; exit }')
    for i in $(seq 0 200); do
        before=$(shard_keys "$port")
        redis-cli -p "$port" set "{cold$i}probe" x >/dev/null
        after=$(shard_keys "$port")
        tag_shard=$(paste <(echo "$before") <(echo "$after") | awk '$2 > $1 { print NR; exit }')
        redis-cli -p "$port" del "{cold$i}probe" >/dev/null
        if [[ $tag_shard != "$hot_shard" ]]; then
            redis-cli -p "$port" del "{hot}probe" >/dev/null
            echo "{cold$i}"
            return
        fi
    done
    echo "evict: no tag found on another shard than {hot}" >&2
    exit 1
}

# RESP for COMMAND prefix<first> .. prefix<first+n-1> [value], one command per key.
gen() { # command prefix n with_value [first]
    python3 - "$1" "$2" "$3" "$4" "$VALUE" "${5:-0}" <<'PY'
import sys
command, prefix, n, with_value, size = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
first = int(sys.argv[6])
value = b"v" * size
out = []
for i in range(first, first + n):
    key = prefix + str(i).encode()
    parts = [command.encode(), key] + ([value] if with_value else [])
    out.append(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
    if len(out) == 1000:
        sys.stdout.buffer.write(b"".join(out))
        out = []
sys.stdout.buffer.write(b"".join(out))
PY
}

# How many of prefix0 .. prefix(n-1) exist (EXISTS of 1000 keys at a time).
count() { # port prefix n
    python3 - "$2" "$3" <<'PY' | redis-cli -p "$1" | awk '{ s += $1 } END { print s + 0 }'
import sys
prefix, n = sys.argv[1], int(sys.argv[2])
for start in range(0, n, 1000):
    print("EXISTS " + " ".join("%s%d" % (prefix, i) for i in range(start, min(n, start + 1000))))
PY
}

info_field() { # port section field
    redis-cli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3:\(.*\)/\1/p"
}

{
    echo "| server | hot left (of $HOT) | cold left (of $COLD) | new left (of $NEW) | evicted_keys | used_memory at end | maxmemory |"
    echo "|---|---|---|---|---|---|---|"
} | tee "$BENCH_OUT/evict.md"
for kind in $KINDS; do
    port=$(free_port)
    pid=$(start_server "$kind" "$port")
    cold=$(cold_tag "$kind" "$port")
    redis-cli -p "$port" config set maxmemory "$MAXMEMORY" >/dev/null
    redis-cli -p "$port" config set maxmemory-policy allkeys-lru >/dev/null
    gen SET "${cold}c:" "$COLD" 1 | redis-cli -p "$port" --pipe >/dev/null
    sleep 2
    gen SET "{hot}h:" "$HOT" 1 | redis-cli -p "$port" --pipe >/dev/null
    gen GET "{hot}h:" "$HOT" 0 | redis-cli -p "$port" --pipe >/dev/null
    for ((first = 0; first < NEW; first += 1000)); do
        gen SET "{hot}n:" $((NEW - first < 1000 ? NEW - first : 1000)) 1 "$first" | redis-cli -p "$port" --pipe >/dev/null
    done
    hot_left=$(count "$port" "{hot}h:" "$HOT")
    cold_left=$(count "$port" "${cold}c:" "$COLD")
    new_left=$(count "$port" "{hot}n:" "$NEW")
    evicted=$(info_field "$port" stats evicted_keys)
    used=$(info_field "$port" memory used_memory_human)
    maxmem=$(info_field "$port" memory maxmemory_human)
    label=$kind
    [[ $kind == shardis ]] && label="shardis --threads 2"
    echo "| $label | $hot_left | $cold_left | $new_left | $evicted | $used | $maxmem |" | tee -a "$BENCH_OUT/evict.md"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
done
