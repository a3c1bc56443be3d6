#!/usr/bin/env bash
# test/bench/snapshot.sh - snapshot size, start-up load time and GET latency
# during BGSAVE: shardis (forkless, --threads 2) against redis-server (fork),
# on the same data.
#
# Data (identical for both servers, written once as RESP and piped with
# redis-cli --pipe): SNAP_KEYS strings shaped like redis-benchmark's
# (`SET key:%012d xxx`, what `redis-benchmark -t set -r N` writes), plus
# SNAP_KEYS/1000 keys of each collection type from test/bench/collgen.awk
# (hash of 10 fields, set of 10 integers, zset of 10 members, list of 10
# items) and, in db 1, as many of each type with 200 elements (past the
# listpack limits: hash tables, skiplists, quicklists).
#
# Per server: start on an empty directory, load, SAVE; the files' size is
# the sum of the server's files in the directory (shardis: its snapshot
# files and index; Redis: dump.rdb). Then a probe connection sends GET back
# to back (random existing keys) for PROBE_SECONDS without a snapshot, then
# BGSAVE runs and the probe goes on until it ends: p50, p99, p99.9 and max of
# both phases. Then the server is restarted on its files: the load time is
# the time from exec until PING is answered (the port opens after loading
# with both servers), best of LOAD_RUNS starts; the keys counted by INFO
# keyspace after the load check that everything came back.
#
# Output: markdown tables on stdout and in $BENCH_OUT/snapshot.md.
# Environment: SHARDIS_SERVER (build/shardis-server), REDIS_SERVER
# (/usr/bin/redis-server), SNAP_KEYS (1000000), THREADS (2), PROBE_SECONDS
# (3), LOAD_RUNS (3), BENCH_OUT (build/bench), KINDS ("shardis redis"),
# RDBCOMPRESSION (yes), CUT (bgsave; `rewrite`: both servers run with
# appendonly yes and the probe measures GET during BGREWRITEAOF, the cut an
# automatic rewrite takes; the load then replays the logs).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
SNAP_KEYS=${SNAP_KEYS:-1000000}
THREADS=${THREADS:-2}
PROBE_SECONDS=${PROBE_SECONDS:-3}
LOAD_RUNS=${LOAD_RUNS:-3}
BENCH_OUT=${BENCH_OUT:-build/bench}
KINDS=${KINDS:-shardis redis}
RDBCOMPRESSION=${RDBCOMPRESSION:-yes}
CUT=${CUT:-bgsave}
case $CUT in
bgsave) APPENDONLY=no ;;
rewrite) APPENDONLY=yes ;;
*) echo "CUT must be bgsave or rewrite" >&2; exit 2 ;;
esac
COLLGEN=$(dirname "${BASH_SOURCE[0]}")/collgen.awk
mkdir -p "$BENCH_OUT"
command -v python3 >/dev/null || { echo "snapshot: python3 is needed" >&2; exit 1; }


start_server() { # kind port dir -> pid
    local kind=$1 port=$2 dir=$3
    if [[ $kind == shardis ]]; then
        "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads "$THREADS" --loglevel notice --save "" \
            --appendonly "$APPENDONLY" --rdbcompression "$RDBCOMPRESSION" --dir "$dir" >>"$BENCH_OUT/snapshot-$kind.log" 2>&1 &
    else
        "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly "$APPENDONLY" \
            --rdbcompression "$RDBCOMPRESSION" --dir "$dir" >>"$BENCH_OUT/snapshot-$kind.log" 2>&1 &
    fi
    echo $!
}


# Starts the server (exec'd by python, so its own start-up is not counted),
# prints the seconds until PING is answered, then stops it.
timed_load() { # kind dir -> seconds
    local kind=$1 dir=$2 port
    port=$(free_port)
    if [[ $kind == shardis ]]; then
        set -- "$SHARDIS_SERVER" --port "$port" --bind 127.0.0.1 --threads "$THREADS" --loglevel notice --save "" \
            --appendonly "$APPENDONLY" --dir "$dir"
    else
        set -- "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly "$APPENDONLY" --dir "$dir"
    fi
    python3 - "$port" "$BENCH_OUT/snapshot-$kind.log" "$@" <<'PY'
import socket, subprocess, sys, time
port, log, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(log, "a") as out:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out, stderr=out)
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            s.sendall(b"PING\r\n")
            if s.recv(64).startswith(b"+PONG"):
                break
        except OSError:
            pass
        time.sleep(0.0005)
    took = time.perf_counter() - t0
    s.sendall(b"INFO keyspace\r\n")
    time.sleep(0.05)
    info = s.recv(1 << 16).decode()
    keys = sum(int(l.split("keys=")[1].split(",")[0]) for l in info.split("\r\n") if l.startswith("db"))
    proc.terminate()
    proc.wait()
print("%.3f %d" % (took, keys))
PY
}

data="$BENCH_OUT/snapshot-data-$SNAP_KEYS.resp"
if [[ ! -s $data ]]; then
    coll=$((SNAP_KEYS / 1000))
    {
        awk -v n="$SNAP_KEYS" 'BEGIN { for (i = 0; i < n; i++) { k = sprintf("key:%012d", i);
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n", length(k), k } }'
        for kind in hash set zset list; do
            awk -f "$COLLGEN" -v kind=$kind -v keys=$coll -v elems=10
        done
        # the big ones in db 1 (collgen names keys by kind only)
        printf '*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n'
        for kind in hash set zset list; do
            awk -f "$COLLGEN" -v kind=$kind -v keys=$coll -v elems=200 -v chunk=200
        done
    } >"$data"
fi

probe() { # port -> one line of figures
    python3 - "$1" "$SNAP_KEYS" "$PROBE_SECONDS" "$CUT" <<'PY'
import random, socket, sys, time
port, nkeys, secs, cut = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
command, field = (b"BGSAVE", b"rdb_bgsave_in_progress:1") if cut == "bgsave" else (b"BGREWRITEAOF", b"aof_rewrite_in_progress:1")
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
ctl, p = conn(), conn()
def reply(s):
    buf = b""
    while True:
        buf += s.recv(1 << 16)
        if buf[:1] == b"$":
            head, _, body = buf.partition(b"\r\n")
            n = int(head[1:])
            if n < 0 or len(body) >= n + 2:
                return buf
        elif buf.endswith(b"\r\n"):
            return buf
def in_progress():
    ctl.sendall(b"INFO persistence\r\n")
    return field in reply(ctl)
rnd = random.Random(1)
def get():
    k = b"key:%012d" % rnd.randrange(nkeys)
    t = time.perf_counter()
    p.sendall(b"*2\r\n$3\r\nGET\r\n$16\r\n%s\r\n" % k)
    r = reply(p)
    assert r.startswith(b"$3"), r
    return time.perf_counter() - t
base = []
end = time.monotonic() + secs
while time.monotonic() < end:
    base.append(get())
while in_progress():  # a rewrite the server started by itself
    time.sleep(0.05)
ctl.sendall(command + b"\r\n")
started = reply(ctl)
assert started.startswith(b"+Background"), started
t0 = time.monotonic()
snap = []
last = 0.0
while True:
    snap.append(get())
    now = time.monotonic()
    if now - last > 0.05:
        last = now
        if not in_progress():
            break
elapsed = time.monotonic() - t0
def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] * 1000
print("%.2f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %d %d" % (elapsed,
      pct(base, .5), pct(base, .99), pct(base, .999), max(base) * 1000,
      pct(snap, .5), pct(snap, .99), pct(snap, .999), max(snap) * 1000, len(base), len(snap)))
PY
}

files_bytes() { # kind dir -> bytes of the server's snapshot files
    if [[ $1 == shardis ]]; then
        find "$2" -maxdepth 1 -name '*.shardis-*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
    else
        stat -c %s "$2/dump.rdb"
    fi
}

out="$BENCH_OUT/snapshot-$CUT.md"
{
    echo "$SNAP_KEYS strings (SET key:%012d xxx) + $((SNAP_KEYS / 1000)) x 4 collections of 10 and 200 elements;" \
        "shardis --threads $THREADS (forkless) vs redis-server (fork); rdbcompression $RDBCOMPRESSION; cut: $CUT (appendonly $APPENDONLY)"
    echo
    echo "| server | keys loaded | files bytes | SAVE s | load s (best of $LOAD_RUNS) | $CUT s | GET p50/p99/p99.9/max ms, no save | GET p50/p99/p99.9/max ms, during $CUT | GETs (no save / during) |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >"$out"
for kind in $KINDS; do
    dir=$(mktemp -d)
    port=$(free_port)
    pid=$(start_server "$kind" "$port" "$dir")
    wait_ping "$port" >/dev/null
    redis-cli -p "$port" --pipe <"$data" >/dev/null
    # an automatic rewrite started by the load must end first (SAVE is
    # refused meanwhile)
    while redis-cli -p "$port" INFO persistence | grep -q '_in_progress:1'; do sleep 0.05; done
    t0=$(date +%s%N)
    redis-cli -p "$port" SAVE | grep -qx OK
    save_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    bytes=$(files_bytes "$kind" "$dir")
    read -r el b50 b99 b999 bmax s50 s99 s999 smax nb ns < <(probe "$port")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    best=""
    for _ in $(seq "$LOAD_RUNS"); do
        read -r load keys < <(timed_load "$kind" "$dir")
        if [[ -z $best ]] || python3 -c "import sys; sys.exit(0 if $load < $best else 1)"; then best=$load; fi
    done
    rm -rf "$dir"
    printf '| %s | %s | %s | %s | %s | %s | %s / %s / %s / %s | %s / %s / %s / %s | %s / %s |\n' "$kind" "$keys" \
        "$bytes" "$save_s" "$best" "$el" "$b50" "$b99" "$b999" "$bmax" "$s50" "$s99" "$s999" "$smax" "$nb" "$ns" >>"$out"
done
cat "$out"
