#!/usr/bin/env bash
# test/bench/tool.sh - benchmark of the benchmark: is shardis-benchmark ever
# the bottleneck? (issue 6: with one thread it must generate at least the load
# redis-benchmark generates with its default single event loop.)
#
# Run from the repository root after `make build` (`make bench` calls it).
#
# What it measures
#   Debian's redis-server (one thread, persistence off) pinned to CPU 0; the
#   load generator pinned to CPU 1 (when the machine has 2+ CPUs), so both tools
#   get the same single core against the same server:
#     redis-benchmark    -c 50 -P {1,16} -d 3 -r 1000000 -n N -t {set,get}
#     shardis-benchmark  -c 50 -P {1,16} -d 3 -r 1000000 -n N -t {set,get} --threads 1
#   Both send SET key:<12 digits> xxx / GET key:<12 digits> with the same key
#   space. The two tools alternate for ROUNDS rounds; the table holds the
#   median requests per second of each and the ratio ours/theirs.
#   N: REQUESTS_P1 for -P 1, REQUESTS_P16 for -P 16.
#   Also the load generator's own CPU time (user+sys, bash's `time`) per
#   request, in microseconds: when the server is the bottleneck both rates
#   are the server's, and the CPU cost per request is what tells the tools
#   apart (lower = more headroom).
#
# Environment: ROUNDS (3), REQUESTS_P1 (200000), REQUESTS_P16 (1000000),
# BUILD (build), REDIS_SERVER (/usr/bin/redis-server), REDIS_BENCHMARK.
set -euo pipefail

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
REQUESTS_P1=${REQUESTS_P1:-200000}
REQUESTS_P16=${REQUESTS_P16:-1000000}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-$(command -v redis-benchmark || true)}
TOOL=$BUILD/shardis-benchmark

[ -x "$TOOL" ] || { echo "tool.sh: $TOOL not built (make build)" >&2; exit 1; }
[ -x "$REDIS_SERVER" ] || { echo "tool.sh: $REDIS_SERVER missing" >&2; exit 1; }
[ -n "$REDIS_BENCHMARK" ] || { echo "tool.sh: redis-benchmark missing" >&2; exit 1; }

pin_server="" pin_client=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_server="taskset -c 0" pin_client="taskset -c 1"
fi

port=$((20000 + RANDOM % 20000))
workdir=$(mktemp -d)
$pin_server "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize no --dir "$workdir" --logfile "$workdir/redis.log" &
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$workdir"; }
trap cleanup EXIT
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# Prints "<requests per second> <CPU us per request>".
# redis-benchmark --csv: "SET","123.45",... ; ours --csv: "SET",requests,errors,elapsed,ops_per_sec,...
measure() {
  local requests=$1 column=$2; shift 2
  local out cpu
  out=$(mktemp) cpu=$(mktemp)
  { TIMEFORMAT='%U %S'; time "$@" >"$out"; } 2>"$cpu"
  awk -F, -v c="$column" 'NR==2 {gsub(/"/,"",$c); printf "%s ", $c}' "$out"
  awk -v n="$requests" '{printf "%.3f\n", ($1+$2)*1e6/n}' "$cpu"
  rm -f "$out" "$cpu"
}
run_redis() { measure "$2" 2 $pin_client "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c 50 -P "$1" -d 3 -r 1000000 -n "$2" -t "$3" --csv; }
run_ours() { measure "$2" 5 $pin_client "$TOOL" -h 127.0.0.1 -p "$port" --threads 1 -c 50 -P "$1" -d 3 -r 1000000 -n "$2" -t "$3" --csv; }

printf '%-4s %-6s %14s %14s %6s %12s %12s\n' test "" "redis-bench/s" "shardis-b./s" ratio "rb cpu us/op" "sb cpu us/op"
for pipeline in 1 16; do
  requests=$REQUESTS_P1
  [ "$pipeline" -eq 16 ] && requests=$REQUESTS_P16
  for test in set get; do
    theirs=() ours=() theirs_cpu=() ours_cpu=()
    for _ in $(seq "$ROUNDS"); do
      read -r rate cpu < <(run_redis "$pipeline" "$requests" "$test")
      theirs+=("$rate") theirs_cpu+=("$cpu")
      read -r rate cpu < <(run_ours "$pipeline" "$requests" "$test")
      ours+=("$rate") ours_cpu+=("$cpu")
    done
    t=$(printf '%s\n' "${theirs[@]}" | median)
    o=$(printf '%s\n' "${ours[@]}" | median)
    printf '%-4s %-6s %14.0f %14.0f %6.2f %12.3f %12.3f   (rounds: %s/ %s)\n' \
      "$test" "-P $pipeline" "$t" "$o" "$(awk -v a="$o" -v b="$t" 'BEGIN {print a/b}')" \
      "$(printf '%s\n' "${theirs_cpu[@]}" | median)" "$(printf '%s\n' "${ours_cpu[@]}" | median)" \
      "$(printf '%.0f ' "${theirs[@]}")" "$(printf '%.0f ' "${ours[@]}")"
  done
done
