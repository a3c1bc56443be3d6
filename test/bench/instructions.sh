#!/usr/bin/env bash
# test/bench/instructions.sh - user-space instructions per request of two
# shardis builds, counted by callgrind: a deterministic A/B for "the new build
# costs no more than X % per request" targets, which timing runs on a shared
# VM cannot resolve (and which `perf stat` cannot count where the VM exposes
# no hardware counters).
#
#   bash test/bench/instructions.sh OLD_BINARY NEW_BINARY
#
# For each binary and each workload (SET and GET at pipeline 16, 100,000
# requests; SET at pipeline 1, 30,000 requests; redis-benchmark -c 20 -d 64
# -r 100000) it starts the server under `valgrind --tool=callgrind` with one
# thread on a free loopback port, runs the workload, stops the server with
# SHUTDOWN and waits for its PID, and subtracts the instructions of a start and stop without requests.
# Kernel work (system calls) is not counted; it is the same code in both
# builds unless the change touches the I/O path. Takes about 5 minutes.
# Needs valgrind (Debian package valgrind) and redis-benchmark.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
    echo "usage: $0 OLD_SHARDIS_SERVER NEW_SHARDIS_SERVER (both executables)" >&2
    exit 2
fi
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark is not installed (apt-get install redis-tools)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT


# count BINARY TEST PIPELINE REQUESTS -> instructions
count() {
    local bin=$1 test=$2 pipeline=$3 requests=$4 port out pid
    port=$(free_port)
    out="$work/cg.$$.$RANDOM"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --port "$port" --bind 127.0.0.1 --threads 1 \
        --loglevel warning >/dev/null 2>"$work/valgrind.log" &
    pid=$!
    for _ in $(seq 1 150); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.2
    done
    if [ "$requests" -gt 0 ]; then
        redis-benchmark -p "$port" -q -c 20 -d 64 -r 100000 -P "$pipeline" -n "$requests" -t "$test" >/dev/null 2>&1
    fi
    # SHUTDOWN rather than SIGTERM: under valgrind a signal stays pending
    # while the shard threads sit in io_uring_enter.
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    awk '/^totals:/ {print $2}' "$out"
}

echo "| workload | old instr/request | new instr/request | new/old |"
echo "|---|---:|---:|---:|"
old_base=$(count "$1" set 16 0)
new_base=$(count "$2" set 16 0)
for spec in "set 16 100000" "get 16 100000" "set 1 30000"; do
    read -r test pipeline requests <<<"$spec"
    old=$(count "$1" "$test" "$pipeline" "$requests")
    new=$(count "$2" "$test" "$pipeline" "$requests")
    awk -v t="$test" -v p="$pipeline" -v n="$requests" -v o="$old" -v ob="$old_base" -v w="$new" -v wb="$new_base" \
        'BEGIN { a = (o - ob) / n; b = (w - wb) / n; printf "| %s P%s | %.1f | %.1f | %.4f |\n", toupper(t), p, a, b, b / a }'
done
