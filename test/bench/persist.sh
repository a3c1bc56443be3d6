#!/usr/bin/env bash
# test/bench/persist.sh - snapshots: BGSAVE of SNAP_KEYS keys (default
# 5,000,000), shardis (forkless, --threads 2) against redis-server (fork).
#
# Per server: the keys are loaded (SET key:<i> <i>), then a probe connection
# sends GET back to back for 2 s (latency without a snapshot), BGSAVE is
# started and the probe goes on until it ends (latency during the snapshot).
# Meanwhile RSS is sampled every 5 ms: shardis's process (VmRSS), Redis's
# parent plus its fork child. Then the server is restarted on its files and
# the time until it answers PING is the load time.
#
# Columns: BGSAVE wall time; RSS before; peak RSS during BGSAVE (Redis:
# parent + child); ratio; p99 / max GET latency without and during BGSAVE;
# snapshot size on disk; load time.
#
# Output: a markdown table on stdout and in $BENCH_OUT/persist.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), SNAP_KEYS (5000000), BENCH_OUT (build/bench),
# KINDS ("shardis redis").
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
SNAP_KEYS=${SNAP_KEYS:-5000000}
BENCH_OUT=${BENCH_OUT:-build/bench}
KINDS=${KINDS:-shardis redis}
mkdir -p "$BENCH_OUT"
command -v python3 >/dev/null || { echo "persist: python3 is needed" >&2; exit 1; }


start_server() { # kind port dir -> pid
    local kind=$1 port=$2 dir=$3
    if [[ $kind == shardis ]]; then
        "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads 2 --loglevel notice --save "" --dir "$dir" \
            >>"$BENCH_OUT/persist-$kind.log" 2>&1 &
    else
        "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
            >>"$BENCH_OUT/persist-$kind.log" 2>&1 &
    fi
    echo $!
}


load_keys() { # port
    python3 - "$SNAP_KEYS" <<'PY' | redis-cli -p "$1" --pipe >/dev/null
import sys
n = int(sys.argv[1]); w = sys.stdout.buffer
for start in range(0, n, 10000):
    buf = []
    for i in range(start, min(n, start + 10000)):
        k = b"key:%d" % i; v = b"%d" % i
        buf.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    w.write(b"".join(buf))
PY
}

# Probe + RSS sampler + BGSAVE; prints one line of figures.
measure() { # kind port pid
    python3 - "$1" "$2" "$3" "$SNAP_KEYS" <<'PY'
import os, socket, sys, threading, time
kind, port, pid, nkeys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def rss_kb(p):
    try:
        with open("/proc/%d/status" % p) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def children(p):
    try:
        with open("/proc/%d/task/%d/children" % (p, p)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []

def total_rss():
    return rss_kb(pid) + sum(rss_kb(c) for c in children(pid))

def cmd(s, text):
    s.sendall(text)
    return s.recv(1 << 16)

ctl = socket.create_connection(("127.0.0.1", port))
def in_progress():
    ctl.sendall(b"INFO persistence\r\n")
    info = ctl.recv(1 << 16)
    head, _, body = info.partition(b"\r\n")
    need = int(head[1:]) + 2
    while len(body) < need:
        body += ctl.recv(1 << 16)
    return b"rdb_bgsave_in_progress:1" in body

probe = socket.create_connection(("127.0.0.1", port))
probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
phase = ["base"]; lat = {"base": [], "snap": []}; stop = [False]
def run_probe():
    i = 0
    while not stop[0]:
        k = b"key:%d" % (i * 7919 % nkeys); i += 1
        t = time.perf_counter()
        probe.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k))
        buf = b""
        while not (buf.startswith(b"$-1\r\n") or (buf.endswith(b"\r\n") and buf.count(b"\r\n") >= 2)):
            buf += probe.recv(4096)
        lat[phase[0]].append(time.perf_counter() - t)
th = threading.Thread(target=run_probe); th.start()
time.sleep(2.0)
before = total_rss()
peak = before
phase[0] = "snap"
t0 = time.monotonic()
assert b"Background saving started" in cmd(ctl, b"BGSAVE\r\n")
last_check = 0
while True:
    peak = max(peak, total_rss())
    now = time.monotonic()
    if now - last_check > 0.02:
        last_check = now
        if not in_progress():
            break
    time.sleep(0.005)
elapsed = time.monotonic() - t0
stop[0] = True; th.join()

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else 0.0
print("%.2f %d %d %.3f %.3f %.3f %.3f %.3f %d %d" % (
    elapsed, before, peak, peak / before, pct(lat["base"], 0.99), max(lat["base"]) * 1000,
    pct(lat["snap"], 0.99), max(lat["snap"] or [0]) * 1000, len(lat["base"]), len(lat["snap"])))
PY
}

out="$BENCH_OUT/persist.md"
{
    echo "BGSAVE of $SNAP_KEYS keys (SET key:i i); shardis --threads 2 (forkless, copy-on-write per bucket) vs redis-server (fork)"
    echo
    echo "| server | BGSAVE s | RSS before MB | peak RSS during MB | peak/before | GET p99 ms (no save) | GET max ms (no save) | GET p99 ms (during) | GET max ms (during) | files MB | load s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
} >"$out"
for kind in $KINDS; do
    dir=$(mktemp -d)
    port=$(free_port)
    pid=$(start_server "$kind" "$port" "$dir")
    wait_ping "$port" >/dev/null
    load_keys "$port"
    read -r el before peak ratio b99 bmax s99 smax nb ns < <(measure "$kind" "$port" "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    size=$(du -sm "$dir" | cut -f1)
    port=$(free_port)
    t0=$(date +%s.%N)
    pid=$(start_server "$kind" "$port" "$dir")
    load=$(wait_ping "$port" "$t0")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
    printf '| %s | %s | %d | %d | %.3f | %s | %s | %s | %s | %s | %s |\n' "$kind" "$el" $((before / 1024)) \
        $((peak / 1024)) "$ratio" "$b99" "$bmax" "$s99" "$smax" "$size" "$load" >>"$out"
done
cat "$out"
