#!/bin/bash
# test/bench/bits.sh - bitmap and HyperLogLog commands, shardis --threads 2
# against redis-server, same redis-benchmark load for both (50 clients,
# pipeline 1 and 16):
#   SETBIT / GETBIT of a 1 MB bitmap (fixed offsets: redis-benchmark's
#   __rand_int__ is zero-padded, which no bit offset parser accepts, in
#   Redis either), BITCOUNT of the whole
#   1 MB bitmap, PFADD of random elements into one HyperLogLog (dense after
#   the first few thousand), PFCOUNT of it (cached after each PFADD run:
#   mostly cache hits, as in an application that reads more than it adds).
# Prints one markdown row per test: ops/s of each and the ratio.
# Env: N (requests per test, default 200000; BITCOUNT uses N/20), THREADS (2).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"
root="$(cd "$here/../.." && pwd)"
N=${N:-200000}
THREADS=${THREADS:-2}

sport=$(free_port)
rport=$(free_port)
data=$(mktemp -d)
"$root/build/shardis-server" --port "$sport" --threads "$THREADS" --save '' --appendonly no --dir "$data" \
    --loglevel warning >"$data/shardis.log" 2>&1 &
spid=$!
redis-server --port "$rport" --save '' --appendonly no --dir "$data" --daemonize no >"$data/redis.log" 2>&1 &
rpid=$!
trap 'kill $spid $rpid 2>/dev/null; wait $spid $rpid 2>/dev/null; rm -rf "$data"' EXIT
wait_ping "$sport" >/dev/null
wait_ping "$rport" >/dev/null

head -c 1048576 /dev/urandom >"$data/bitmap"
for port in $sport $rport; do
    redis-cli -p "$port" -x SET bm <"$data/bitmap" >/dev/null
done

rps() { # port P n [-r range] command... -> requests per second
    local port=$1 p=$2 n=$3
    shift 3
    redis-benchmark -p "$port" -c 50 -P "$p" -n "$n" -q "$@" 2>/dev/null | tr '\r' '\n' |
        awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($(i+1) == "requests") v = $i } END { print v }'
}

row() { # label P n args...
    local label=$1 p=$2 n=$3
    shift 3
    local s r
    s=$(rps "$sport" "$p" "$n" "$@")
    r=$(rps "$rport" "$p" "$n" "$@")
    echo "| $label | $p | $s | $r | $(awk -v s="$s" -v r="$r" 'BEGIN { printf "%.2f", s / r }') |"
}

echo "| command | P | shardis ops/s | redis ops/s | ratio |"
echo "|---|---:|---:|---:|---:|"
for p in 1 16; do
    row "SETBIT bm 4194303 1 (1 MB bitmap)" $p "$N" SETBIT bm 4194303 1
    row "GETBIT bm 8388607 (1 MB bitmap)" $p "$N" GETBIT bm 8388607
    row "BITCOUNT bm (whole 1 MB)" $p $((N / 20)) BITCOUNT bm
    row "PFADD hll <random element>" $p "$N" -r 100000000 PFADD hll __rand_int__
    row "PFCOUNT hll" $p "$N" PFCOUNT hll
done
