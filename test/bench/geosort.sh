#!/usr/bin/env bash
# test/bench/geosort.sh - GEOADD, GEOSEARCH and SORT of a 1,000-element list,
# shardis (--threads 2) against redis-server, one server at a time, with the
# same redis-benchmark load (50 clients, -P 1 and -P 16).
#
# Rows:
#   GEOADD      GEOADD geo <lon> <lat> m:<rand>, members from a 100,000 space
#               (lon/lat fixed: redis-benchmark substitutes only
#               __rand_int__, which is a 12-digit integer)
#   GEOSEARCH   GEOSEARCH pts FROMLONLAT 2.35 48.85 BYRADIUS 50 km ASC
#               COUNT 10 over 10,000 points spread over France
#   SORT        SORT list (1,000 integers, numeric sort, whole reply)
#   SORT BY GET SORT list BY nosort GET w_* LIMIT 0 100: 100 keys read by
#               pattern; with 2 threads they live on both shards, so each
#               call takes the global barrier (docs/architecture.md)
#
# Output: a markdown table (requests per second) on stdout and in
# $BENCH_OUT/geosort.md. Environment: SHARDIS_SERVER (build/shardis-server),
# REDIS_SERVER (/usr/bin/redis-server), KINDS ("shardis redis"), REQUESTS
# (per row, default 100000; SORT rows a tenth), BENCH_OUT (build/bench).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=$(realpath "${SHARDIS_SERVER:-build/shardis-server}")
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
KINDS=${KINDS:-shardis redis}
REQUESTS=${REQUESTS:-100000}
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"

rps() { # port pipeline requests command... -> requests per second
    local port=$1 pipe=$2 n=$3
    shift 3
    redis-benchmark -p "$port" -c 50 -n "$n" -P "$pipe" -r 100000 --csv "$@" | tail -1 | cut -d, -f2 | tr -d '"'
}

fill() { # port: the data the read rows use
    python3 - "$1" <<'PY'
import random, socket, sys
port = int(sys.argv[1]); rnd = random.Random(7)
s = socket.create_connection(("127.0.0.1", port))
def enc(*a):
    return b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in (str(v).encode() for v in a))
out = [enc("FLUSHALL")]
for i in range(0, 10000, 100):
    args = ["GEOADD", "pts"]
    for j in range(i, i + 100):
        args += ["%.6f" % rnd.uniform(-4.5, 8), "%.6f" % rnd.uniform(42.5, 51), "p%d" % j]
    out.append(enc(*args))
out.append(enc("RPUSH", "list", *[rnd.randint(0, 1000000) for _ in range(1000)]))
for i in range(0, 1000, 100):
    out.append(enc("RPUSH", "wl", *range(i, i + 100)))
    args = ["MSET"]
    for j in range(i, i + 100):
        args += ["w_%d" % j, j * 7 % 1000]
    out.append(enc(*args))
s.sendall(b"".join(out))
want, got = len(out), 0
buf = b""
while got < want:
    buf += s.recv(1 << 20)
    got = buf.count(b"\r\n", 0) and sum(1 for line in buf.split(b"\r\n") if line[:1] in (b"+", b":", b"-"))
PY
}

declare -A result=()
for kind in $KINDS; do
    port=$(free_port)
    dir=$(mktemp -d)
    if [[ $kind == shardis ]]; then
        (cd "$dir" && exec "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads 2 --save "" --appendonly no \
            >"$dir/log" 2>&1) &
    else
        (cd "$dir" && exec "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            >"$dir/log" 2>&1) &
    fi
    pid=$!
    wait_ping_cli "$port"
    fill "$port"
    for p in 1 16; do
        result[$kind,GEOADD,$p]=$(rps "$port" $p "$REQUESTS" GEOADD geo 2.35 48.85 m:__rand_int__)
        result[$kind,GEOSEARCH,$p]=$(rps "$port" $p "$REQUESTS" GEOSEARCH pts FROMLONLAT 2.35 48.85 BYRADIUS 50 km ASC COUNT 10)
        result[$kind,SORT,$p]=$(rps "$port" $p $((REQUESTS / 10)) SORT list)
        result[$kind,SORTBYGET,$p]=$(rps "$port" $p $((REQUESTS / 10)) SORT wl BY nosort GET w_* LIMIT 0 100)
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
done

{
    echo "| command | P | shardis --threads 2 (req/s) | redis-server (req/s) | ratio |"
    echo "|---|---|---|---|---|"
    for row in GEOADD GEOSEARCH SORT SORTBYGET; do
        for p in 1 16; do
            s=${result[shardis,$row,$p]:-}
            r=${result[redis,$row,$p]:-}
            ratio=$(awk -v s="${s:-0}" -v r="${r:-0}" 'BEGIN { if (r > 0 && s > 0) printf "%.2fx", s / r; else print "-" }')
            name=$row
            [[ $row == SORTBYGET ]] && name="SORT BY nosort GET w_* (100)"
            echo "| $name | $p | ${s:--} | ${r:--} | $ratio |"
        done
    done
} | tee "$BENCH_OUT/geosort.md"
