#!/usr/bin/env bash
# test/bench/bigdelete.sh - does deleting a huge collection stall the server?
#
# Loads one set of BIG_MEMBERS members (default 10,000,000) under the hash tag
# {big} into a fresh server, then deletes it (UNLINK by default) while a probe connection sends GET {big}:probe back to back: the
# probe's key lives on the same shard as the set, so its worst round trip
# during the delete is the stall the shard imposed on its clients. Reported
# per server (shardis --threads 2, redis-server): the delete command's own
# time and the probe's worst round trip.
#
# Output: a markdown table on stdout and in $BENCH_OUT/bigdelete.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), BIG_MEMBERS (10000000), BENCH_OUT (build/bench),
# KINDS (which servers: "shardis redis"), COMMANDS (delete commands to time:
# "UNLINK"; add DEL to see what a synchronous free costs - each one reloads the
# set).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
BIG_MEMBERS=${BIG_MEMBERS:-10000000}
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"
command -v python3 >/dev/null || { echo "bigdelete: python3 is needed for the probe" >&2; exit 1; }


start_server() { # kind port -> pid
    local kind=$1 port=$2
    if [[ $kind == shardis ]]; then
        "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads 2 --loglevel warning >"$BENCH_OUT/bigdelete-$kind.log" 2>&1 &
    else
        "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$BENCH_OUT/bigdelete-$kind.log" 2>&1 &
    fi
    local pid=$!
    wait_ping_cli "$port"
    echo "$pid"
}

load_set() { # port
    python3 - "$1" "$BIG_MEMBERS" <<'PY' | redis-cli -p "$1" --pipe >/dev/null
import sys
port, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout
chunk = 1000
for start in range(0, n, chunk):
    members = [b"m%d" % i for i in range(start, min(n, start + chunk))]
    parts = [b"SADD", b"{big}:set"] + members
    buf = [b"*%d\r\n" % len(parts)]
    for p in parts:
        buf.append(b"$%d\r\n%s\r\n" % (len(p), p))
    out.buffer.write(b"".join(buf))
PY
}

# Runs the delete command while probing; prints "<command ms> <probe max ms>".
measure() { # port command
    python3 - "$1" "$2" <<'PY'
import socket, sys, threading, time
port, command = int(sys.argv[1]), sys.argv[2]
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
def roundtrip(s, payload):
    s.sendall(payload)
    data = b""
    while not data.endswith(b"\r\n"):
        data += s.recv(65536)
    return data
probe = conn()
roundtrip(probe, b"SET {big}:probe x\r\n")
worst = [0.0]
stop = threading.Event()
def probing():
    while not stop.is_set():
        t = time.perf_counter()
        roundtrip(probe, b"GET {big}:probe\r\n")
        worst[0] = max(worst[0], time.perf_counter() - t)
th = threading.Thread(target=probing)
th.start()
time.sleep(0.3)
worst[0] = 0.0
d = conn()
t = time.perf_counter()
reply = roundtrip(d, ("%s {big}:set\r\n" % command).encode())
took = time.perf_counter() - t
time.sleep(0.5)
stop.set()
th.join()
assert reply.startswith(b":1"), reply
print("%.1f %.1f" % (took * 1000, worst[0] * 1000))
PY
}

rows=()
for kind in ${KINDS:-shardis redis}; do
    port=$(free_port)
    pid=$(start_server "$kind" "$port")
    for command in ${COMMANDS:-UNLINK}; do
        load_set "$port"
        card=$(redis-cli -p "$port" scard "{big}:set")
        [[ $card == "$BIG_MEMBERS" ]] || { echo "bigdelete: $kind loaded $card members, not $BIG_MEMBERS" >&2; kill "$pid"; exit 1; }
        read -r took worst < <(measure "$port" "$command")
        rows+=("| $kind | $command | $took | $worst |")
    done
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$pid"
    wait "$pid" 2>/dev/null || true
done
{
    echo "Deleting a set of $BIG_MEMBERS members (probe: GET on the same shard, back to back)"
    echo
    echo "| server | command | command ms | worst probe round trip ms |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "$BENCH_OUT/bigdelete.md"
