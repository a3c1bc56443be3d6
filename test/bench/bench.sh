#!/usr/bin/env bash
# test/bench/bench.sh - shardis vs. redis-server, side by side, with redis-benchmark.
#
# Run from the repository root (`make bench` does `bash test/bench/bench.sh`).
#
# What it measures
#   Throughput: redis-benchmark -c 50 -d 64 -r 1000000 -P {1,16} -t {set,get}
#     against shardis-server and redis-server, interleaved (shardis, redis,
#     shardis, redis, ...) for ROUNDS rounds, in two placements:
#       pinned    both servers on CPU 0 (taskset), shardis --threads 1,
#                 redis-benchmark on CPU 1
#       unpinned  nothing pinned, shardis --threads 2
#     For every run the server's CPU time (utime+stime of the whole process from
#     /proc/PID/stat) is read before and after, giving ops per server CPU-second.
#     Reported: medians over the rounds.
#   Memory: a fresh server of each kind (unpinned config) is loaded with
#     MEM_KEYS keys "key:%010d" -> 32-byte values through `redis-cli --pipe`;
#     RSS (VmRSS) before/after gives bytes per key.
#
# Output: a markdown table on stdout, also in build/bench/results.md; every
# run's raw numbers in build/bench/raw.csv; server logs in build/bench/*.log.
#
# Environment
#   SHARDIS_SERVER      shardis binary                 (build/shardis-server)
#   REDIS_SERVER        redis binary                   (/usr/bin/redis-server)
#   SHARDIS_ARGS_STYLE  shardis | redis: how to start the "shardis" role
#                       ("redis" = Redis-style args, to validate this script by
#                       running redis-server in both roles)        (shardis)
#   SHARDIS_EXTRA_ARGS / REDIS_EXTRA_ARGS  extra server args, word-split  ()
#   ROUNDS              rounds per row                              (3)
#   REQUESTS            requests per run for every pipeline depth, or
#   REQUESTS_P1 / REQUESTS_P16   per depth               (200000 / 1000000)
#   BENCH_QUICK=1       smoke run: 5000 / 20000 requests, 1 round
#   MEM_KEYS            keys loaded for the memory test             (1000000)
#   PLACEMENTS          subset of "pinned unpinned"       (pinned unpinned)
#   PIPELINES           subset of "1 16"                            (1 16)
#   SKIP_MEMORY=1       skip the memory test
#   SERVER_CPU / CLIENT_CPU   CPUs for the pinned placement         (0 / 1)
#   CLIENTS, DATASIZE, KEYSPACE   redis-benchmark -c / -d / -r  (50/64/1000000)
#   RUN_TIMEOUT         seconds before one redis-benchmark run is abandoned (600)
#   BENCH_OUT           output directory                        (build/bench)
set -euo pipefail

# ---------------------------------------------------------------- settings
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
SHARDIS_ARGS_STYLE=${SHARDIS_ARGS_STYLE:-shardis}
SHARDIS_EXTRA_ARGS=${SHARDIS_EXTRA_ARGS:-}
REDIS_EXTRA_ARGS=${REDIS_EXTRA_ARGS:-}
BENCH_QUICK=${BENCH_QUICK:-0}
if [[ $BENCH_QUICK == 1 ]]; then
    ROUNDS=${ROUNDS:-1}
    REQUESTS_P1=${REQUESTS_P1:-${REQUESTS:-5000}}
    REQUESTS_P16=${REQUESTS_P16:-${REQUESTS:-20000}}
else
    ROUNDS=${ROUNDS:-3}
    REQUESTS_P1=${REQUESTS_P1:-${REQUESTS:-200000}}
    REQUESTS_P16=${REQUESTS_P16:-${REQUESTS:-1000000}}
fi
MEM_KEYS=${MEM_KEYS:-1000000}
PLACEMENTS=${PLACEMENTS:-pinned unpinned}
PIPELINES=${PIPELINES:-1 16}
TESTS="set get"
SKIP_MEMORY=${SKIP_MEMORY:-0}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
CLIENTS=${CLIENTS:-50}
DATASIZE=${DATASIZE:-64}
KEYSPACE=${KEYSPACE:-1000000}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
BENCH_OUT=${BENCH_OUT:-build/bench}
HOST=127.0.0.1

T_START=$SECONDS

die() {
    echo "bench: ERROR: $*" >&2
    exit 1
}
warn() { echo "bench: warning: $*" >&2; }

# ---------------------------------------------------------------- checks
missing=()
for tool in redis-benchmark redis-cli taskset timeout awk sort; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "bench: missing tool(s): ${missing[*]}" >&2
    echo "bench: redis-benchmark and redis-cli come with the redis-tools package" \
        "(apt-get install redis-tools); taskset with util-linux; timeout with coreutils." >&2
    exit 1
fi
[[ -r /proc/self/stat ]] || die "/proc is not available; CPU time and RSS cannot be measured"

abspath() {
    local p=$1
    if [[ $p != */* ]]; then
        p=$(command -v "$p" 2>/dev/null) || return 1
    fi
    [[ -f $p && -x $p ]] || return 1
    echo "$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
}
SHARDIS_BIN=$(abspath "$SHARDIS_SERVER") ||
    die "shardis server binary '$SHARDIS_SERVER' not found or not executable (build it with 'make build', or set SHARDIS_SERVER)"
REDIS_BIN=$(abspath "$REDIS_SERVER") ||
    die "redis server binary '$REDIS_SERVER' not found or not executable (apt-get install redis-server, or set REDIS_SERVER)"
case $SHARDIS_ARGS_STYLE in shardis | redis) ;; *) die "SHARDIS_ARGS_STYLE must be 'shardis' or 'redis'" ;; esac
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
for p in $PLACEMENTS; do [[ $p == pinned || $p == unpinned ]] || die "unknown placement '$p'"; done
for p in $PIPELINES; do [[ $p =~ ^[1-9][0-9]*$ ]] || die "bad pipeline depth '$p'"; done

CLK_TCK=$(getconf CLK_TCK)
NCPU=$(getconf _NPROCESSORS_ONLN)
if [[ " $PLACEMENTS " == *" pinned "* ]]; then
    if ! taskset -c "$SERVER_CPU" true 2>/dev/null || ! taskset -c "$CLIENT_CPU" true 2>/dev/null; then
        warn "cannot pin to CPUs $SERVER_CPU and $CLIENT_CPU (only $NCPU CPU(s) / affinity $(taskset -pc $$ | sed 's/.*: //')); skipping the pinned placement"
        kept=""
        for p in $PLACEMENTS; do if [[ $p != pinned ]]; then kept+="$p "; fi; done
        PLACEMENTS=$kept
        [[ -n $PLACEMENTS ]] || die "nothing left to run"
    fi
fi

mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/shardis-bench.XXXXXX")
RAW=$BENCH_OUT/raw.csv
RESULTS=$BENCH_OUT/results.md

# ---------------------------------------------------------------- processes
declare -A SPID=()  # role -> pid of the running server
declare -A SPORT=() # role -> port
BENCH_PID=

stop_pid() { # stop_pid PID: TERM, wait up to 5 s, then KILL; reap it
    local pid=$1 i
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            is_alive "$pid" || break
            sleep 0.1
        done
        if is_alive "$pid"; then
            warn "pid $pid did not exit on SIGTERM, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? role
    trap - EXIT INT TERM
    if [[ -n $BENCH_PID ]]; then stop_pid "$BENCH_PID"; fi
    for role in "${!SPID[@]}"; do stop_pid "${SPID[$role]}"; done
    rm -rf "$WORKDIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

# alive and not a zombie (a dead child stays a zombie until reaped)
is_alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [[ ${st:0:1} != Z && ${st:0:1} != X ]]
}

cpu_ticks() { # utime+stime (fields 14, 15) of the whole process, in clock ticks
    local st f
    st=$(cat "/proc/$1/stat") || return 1
    st=${st##*) } # fields after "(comm)" start at field 3
    read -r -a f <<<"$st"
    echo $((f[11] + f[12]))
}

rss_bytes() {
    awk '/^VmRSS:/ { print $2 * 1024; found = 1 } END { if (!found) exit 1 }' "/proc/$1/status"
}

port_in_use() { # something accepts on it, or ss lists it as listening
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null && return 0
    if command -v ss >/dev/null 2>&1; then
        ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
    fi
    return 1
}

declare -A USED_PORTS=()
pick_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        [[ -z ${USED_PORTS[$p]:-} ]] || continue
        port_in_use "$p" && continue
        USED_PORTS[$p]=1
        echo "$p"
        return 0
    done
    die "no free TCP port found"
}

# server_cmd ROLE PORT PLACEMENT -> fills array CMD
server_cmd() {
    local role=$1 port=$2 placement=$3 threads
    CMD=()
    if [[ $placement == pinned ]]; then CMD+=(taskset -c "$SERVER_CPU"); fi
    if [[ $role == shardis ]]; then
        CMD+=("$SHARDIS_BIN")
        if [[ $SHARDIS_ARGS_STYLE == shardis ]]; then
            threads=2
            if [[ $placement == pinned ]]; then threads=1; fi
            CMD+=(--port "$port" --bind "$HOST" --threads "$threads" --loglevel warning)
        else
            CMD+=(--port "$port" --bind "$HOST" --save "" --appendonly no --loglevel warning)
        fi
        # shellcheck disable=SC2206
        if [[ -n $SHARDIS_EXTRA_ARGS ]]; then CMD+=($SHARDIS_EXTRA_ARGS); fi
    else
        CMD+=("$REDIS_BIN" --port "$port" --bind "$HOST" --save "" --appendonly no --loglevel warning)
        # shellcheck disable=SC2206
        if [[ -n $REDIS_EXTRA_ARGS ]]; then CMD+=($REDIS_EXTRA_ARGS); fi
    fi
}

show_cmd() { # print an array as a shell-quoted command line
    local out="" a
    for a in "$@"; do
        if [[ -z $a ]]; then
            out+=' ""'
        elif [[ $a =~ ^[A-Za-z0-9_./:,=+-]+$ ]]; then
            out+=" $a"
        else
            out+=" $(printf '%q' "$a")"
        fi
    done
    echo "${out# }"
}

cli() { # cli ROLE args... : redis-cli against a role, with a timeout
    timeout 60 redis-cli -h "$HOST" -p "${SPORT[$1]}" "${@:2}"
}

check_alive() { # check_alive ROLE WHAT
    local role=$1
    if ! is_alive "${SPID[$role]}"; then
        local rc=unknown
        wait "${SPID[$role]}" 2>/dev/null && rc=0 || rc=$?
        echo "bench: ERROR: the $role server (pid ${SPID[$role]}, port ${SPORT[$role]}) died during $2 (exit status $rc)" >&2
        echo "bench: last lines of its log ($BENCH_OUT/$role.log):" >&2
        tail -n 20 "$BENCH_OUT/$role.log" >&2 || true
        unset "SPID[$role]"
        exit 1
    fi
}

start_server() { # start_server ROLE PORT PLACEMENT
    local role=$1 port=$2 placement=$3 i log=$BENCH_OUT/$1.log
    server_cmd "$role" "$port" "$placement"
    mkdir -p "$WORKDIR/$role"
    echo "# $(date -u +%FT%TZ) placement=$placement: $(show_cmd "${CMD[@]}")" >>"$log"
    # cwd is a scratch directory so nothing the server writes lands in the repo;
    # exec keeps $! equal to the server's pid (taskset execs the server too).
    (cd "$WORKDIR/$role" && exec "${CMD[@]}") >>"$log" 2>&1 </dev/null &
    SPID[$role]=$!
    SPORT[$role]=$port
    for ((i = 0; i < 200; i++)); do
        check_alive "$role" "start-up"
        if [[ $(timeout 2 redis-cli -h "$HOST" -p "$port" PING 2>/dev/null) == PONG ]]; then
            sleep 0.2
            check_alive "$role" "start-up" # PONG from someone else on that port?
            return 0
        fi
        sleep 0.05
    done
    die "the $role server did not answer PING on port $port within 10 s (log: $log)"
}

stop_server() {
    local role=$1
    [[ -n ${SPID[$role]:-} ]] || return 0
    check_alive "$role" "the run"
    stop_pid "${SPID[$role]}"
    unset "SPID[$role]"
}

bench_cmd() { # bench_cmd ROLE TEST PIPELINE REQUESTS PLACEMENT -> fills array CMD
    CMD=()
    if [[ $5 == pinned ]]; then CMD+=(taskset -c "$CLIENT_CPU"); fi
    CMD+=(redis-benchmark -h "$HOST" -p "${SPORT[$1]}" -c "$CLIENTS" -d "$DATASIZE" -r "$KEYSPACE"
        -n "$4" -P "$3" -t "$2" --csv)
}

median() { # numbers on stdin -> median
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# run_one ROLE TEST PIPELINE REQUESTS PLACEMENT ROUND: one redis-benchmark run,
# watched; appends a row to raw.csv
run_one() {
    local role=$1 test=$2 pipe=$3 n=$4 placement=$5 round=$6
    local pid=${SPID[$1]} out=$WORKDIR/bench.out err=$WORKDIR/bench.err
    local t0 t1 rc=0 line rps f
    bench_cmd "$role" "$test" "$pipe" "$n" "$placement"
    check_alive "$role" "$placement $test P$pipe round $round"
    t0=$(cpu_ticks "$pid")
    timeout "$RUN_TIMEOUT" "${CMD[@]}" >"$out" 2>"$err" </dev/null &
    BENCH_PID=$!
    # watch the server: redis-benchmark keeps retrying forever when it is gone
    while is_alive "$BENCH_PID"; do
        if ! is_alive "$pid"; then
            stop_pid "$BENCH_PID"
            BENCH_PID=
            check_alive "$role" "$placement $test P$pipe round $round"
        fi
        sleep 0.1
    done
    wait "$BENCH_PID" || rc=$?
    BENCH_PID=
    t1=$(cpu_ticks "$pid") || check_alive "$role" "$placement $test P$pipe round $round"
    check_alive "$role" "$placement $test P$pipe round $round"
    local tname=${test^^}
    line=$(grep "^\"$tname\"," "$out" | tail -n 1 || true)
    if ((rc != 0)) || [[ -z $line ]]; then
        echo "bench: ERROR: redis-benchmark failed (exit status $rc) against $role: $(show_cmd "${CMD[@]}")" >&2
        [[ $rc == 124 ]] && echo "bench: (timed out after ${RUN_TIMEOUT}s)" >&2
        tail -n 5 "$out" "$err" >&2 || true
        exit 1
    fi
    # "SET","rps","avg","min","p50","p95","p99","max" (older versions: just rps)
    IFS=, read -r -a f <<<"${line//\"/}"
    rps=${f[1]}
    local ticks=$((t1 - t0))
    local cpu_s opcpu
    cpu_s=$(awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    opcpu=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { if (t > 0) printf "%.0f", n / (t / hz); else print "inf" }')
    echo "$placement,$role,$tname,$pipe,$round,$n,$rps,$ticks,$cpu_s,$opcpu,${f[2]:-},${f[4]:-},${f[6]:-},,," >>"$RAW"
    printf '  %-8s %-7s %-3s P%-3s round %d: %12.0f ops/s  server CPU %6.2f s  %10s ops/CPU-s  p50 %s ms\n' \
        "$placement" "$role" "$tname" "$pipe" "$round" "$rps" "$cpu_s" "$opcpu" "${f[4]:-?}"
}

# ---------------------------------------------------------------- plan
# every port is chosen now, so the exact commands can be printed up front
declare -A PORT=()
for placement in $PLACEMENTS memory; do
    [[ $placement == memory && $SKIP_MEMORY == 1 ]] && continue
    for role in shardis redis; do PORT[$placement.$role]=$(pick_port); done
done

requests_for() { if [[ $1 == 1 ]]; then echo "$REQUESTS_P1"; elif [[ $1 == 16 ]]; then echo "$REQUESTS_P16"; else echo "$REQUESTS_P16"; fi; }

echo "# shardis benchmark  ($(date -u +%FT%TZ), $(uname -n), $NCPU CPU(s): $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?'))"
echo
echo "shardis role: $SHARDIS_BIN (args style: $SHARDIS_ARGS_STYLE)"
echo "redis role:   $REDIS_BIN ($("$REDIS_BIN" --version 2>/dev/null | head -n 1 || echo '?'))"
echo "client:       $(command -v redis-benchmark) ($(redis-benchmark --version 2>/dev/null | head -n 1 || echo '?'))"
echo "rounds: $ROUNDS; requests per run: $REQUESTS_P1 (P1), $REQUESTS_P16 (P16); memory keys: $MEM_KEYS; CLK_TCK=$CLK_TCK"
echo
echo "## Commands"
echo
for placement in $PLACEMENTS; do
    echo "placement $placement:"
    for role in shardis redis; do
        server_cmd "$role" "${PORT[$placement.$role]}" "$placement"
        echo "  $(show_cmd "${CMD[@]}") &"
    done
    for pipe in $PIPELINES; do
        for test in $TESTS; do
            for role in shardis redis; do
                SPORT[$role]=${PORT[$placement.$role]}
                bench_cmd "$role" "$test" "$pipe" "$(requests_for "$pipe")" "$placement"
                echo "  $(show_cmd "${CMD[@]}")"
            done
        done
    done
    echo "  (each benchmark run x $ROUNDS rounds, order per round: for pipeline, for round: FLUSHALL both, then set shardis, set redis, get shardis, get redis;"
    echo "   server CPU = utime+stime from /proc/PID/stat before/after each run)"
done
unset 'SPORT[shardis]' 'SPORT[redis]'
if [[ $SKIP_MEMORY != 1 ]]; then
    echo "memory (fresh servers, unpinned config):"
    for role in shardis redis; do
        server_cmd "$role" "${PORT[memory.$role]}" unpinned
        echo "  $(show_cmd "${CMD[@]}") &"
    done
    for role in shardis redis; do
        # shellcheck disable=SC2028
        echo "  awk 'BEGIN { for (i = 0; i < $MEM_KEYS; i++) printf \"*3\\r\\n\$3\\r\\nSET\\r\\n\$14\\r\\nkey:%010d\\r\\n\$32\\r\\nval:%028d\\r\\n\", i, i }' | redis-cli -h $HOST -p ${PORT[memory.$role]} --pipe"
    done
    echo "  (RSS = VmRSS from /proc/PID/status before the load and after DBSIZE = $MEM_KEYS)"
fi
echo

echo "placement,server,test,pipeline,round,requests,ops_per_sec,cpu_ticks,cpu_sec,ops_per_cpu_sec,avg_latency_ms,p50_latency_ms,p99_latency_ms,keys,rss_before_bytes,rss_after_bytes" >"$RAW"

# ---------------------------------------------------------------- throughput
FLUSH_WARNED=0
flushall() {
    local role r
    for role in shardis redis; do
        r=$(cli "$role" FLUSHALL 2>&1 || true)
        if [[ $r != OK && $FLUSH_WARNED == 0 ]]; then
            warn "FLUSHALL on $role answered '$r'; continuing without flushing"
            FLUSH_WARNED=1
        fi
        check_alive "$role" "FLUSHALL"
    done
}

echo "## Runs"
echo
for placement in $PLACEMENTS; do
    start_server shardis "${PORT[$placement.shardis]}" "$placement"
    start_server redis "${PORT[$placement.redis]}" "$placement"
    for pipe in $PIPELINES; do
        n=$(requests_for "$pipe")
        for ((round = 1; round <= ROUNDS; round++)); do
            flushall
            for test in $TESTS; do
                for role in shardis redis; do
                    run_one "$role" "$test" "$pipe" "$n" "$placement" "$round"
                done
            done
        done
    done
    stop_server shardis
    stop_server redis
done

# ---------------------------------------------------------------- memory
declare -A MEM_BEFORE=() MEM_AFTER=()
gen_resp() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "*3\r\n$3\r\nSET\r\n$14\r\nkey:%010d\r\n$32\r\nval:%028d\r\n", i, i
    }'
}
if [[ $SKIP_MEMORY != 1 ]]; then
    echo
    for role in shardis redis; do
        start_server "$role" "${PORT[memory.$role]}" unpinned
        MEM_BEFORE[$role]=$(rss_bytes "${SPID[$role]}")
        out=$(gen_resp "$MEM_KEYS" | timeout "$RUN_TIMEOUT" redis-cli -h "$HOST" -p "${SPORT[$role]}" --pipe 2>&1) || {
            check_alive "$role" "the memory load"
            die "redis-cli --pipe into $role failed: $out"
        }
        check_alive "$role" "the memory load"
        [[ $out == *"errors: 0,"* ]] || warn "redis-cli --pipe into $role reported: $(echo "$out" | tail -n 1)"
        dbsize=
        for ((i = 0; i < 600; i++)); do
            dbsize=$(cli "$role" DBSIZE 2>/dev/null || true)
            [[ $dbsize == "$MEM_KEYS" ]] && break
            check_alive "$role" "the memory load"
            sleep 0.1
        done
        [[ $dbsize == "$MEM_KEYS" ]] || die "$role: DBSIZE is '$dbsize' after loading, expected $MEM_KEYS"
        sleep 0.5 # let the allocator settle (background frees, purges)
        MEM_AFTER[$role]=$(rss_bytes "${SPID[$role]}")
        echo "memory,$role,LOAD,,1,$MEM_KEYS,,,,,,,,$MEM_KEYS,${MEM_BEFORE[$role]},${MEM_AFTER[$role]}" >>"$RAW"
        printf '  memory   %-7s RSS before %6.1f MB, after %7.1f MB for %d keys\n' "$role" \
            "$(awk -v b="${MEM_BEFORE[$role]}" 'BEGIN { print b / 1e6 }')" \
            "$(awk -v b="${MEM_AFTER[$role]}" 'BEGIN { print b / 1e6 }')" "$MEM_KEYS"
        stop_server "$role"
    done
fi

# ---------------------------------------------------------------- report
col_median() { # col_median PLACEMENT ROLE TEST PIPE COLUMN
    awk -F, -v p="$1" -v r="$2" -v t="$3" -v q="$4" -v c="$5" \
        'NR > 1 && $1 == p && $2 == r && $3 == t && $4 == q { print $c }' "$RAW" | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "inf" && b != "inf") printf "%.2f", a / b; else print "n/a" }'; }
fmt() { awk -v a="$1" 'BEGIN { if (a == "inf" || a == "nan") print a; else printf "%.0f", a }'; }

{
    echo "| placement | test | pipeline | shardis ops/s | redis ops/s | ratio | shardis ops/CPU-s | redis ops/CPU-s | ratio |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for placement in $PLACEMENTS; do
        for pipe in $PIPELINES; do
            for test in $TESTS; do
                T=${test^^}
                s_ops=$(col_median "$placement" shardis "$T" "$pipe" 7)
                r_ops=$(col_median "$placement" redis "$T" "$pipe" 7)
                s_cpu=$(col_median "$placement" shardis "$T" "$pipe" 10)
                r_cpu=$(col_median "$placement" redis "$T" "$pipe" 10)
                echo "| $placement | $T | $pipe | $(fmt "$s_ops") | $(fmt "$r_ops") | $(ratio "$s_ops" "$r_ops") | $(fmt "$s_cpu") | $(fmt "$r_cpu") | $(ratio "$s_cpu" "$r_cpu") |"
            done
        done
    done
    if [[ $SKIP_MEMORY != 1 ]]; then
        echo
        echo "| memory ($MEM_KEYS keys, 14-byte keys, 32-byte values) | shardis | redis | ratio |"
        echo "|---|---:|---:|---:|"
        for what in before after delta total; do
            vals=()
            for role in shardis redis; do
                b=${MEM_BEFORE[$role]} a=${MEM_AFTER[$role]}
                case $what in
                before) v=$(awk -v x="$b" 'BEGIN { printf "%.1f", x / 1e6 }') ;;
                after) v=$(awk -v x="$a" 'BEGIN { printf "%.1f", x / 1e6 }') ;;
                delta) v=$(awk -v x="$a" -v y="$b" -v n="$MEM_KEYS" 'BEGIN { printf "%.1f", (x - y) / n }') ;;
                total) v=$(awk -v x="$a" -v n="$MEM_KEYS" 'BEGIN { printf "%.1f", x / n }') ;;
                esac
                vals+=("$v")
            done
            case $what in
            before) label="RSS before load (MB)" ;;
            after) label="RSS after load (MB)" ;;
            delta) label="bytes/key ((after-before)/keys)" ;;
            total) label="bytes/key (total RSS/keys)" ;;
            esac
            echo "| $label | ${vals[0]} | ${vals[1]} | $(ratio "${vals[0]}" "${vals[1]}") |"
        done
    fi
} >"$RESULTS.tmp"

{
    echo "shardis benchmark, $(date -u +%FT%TZ), $NCPU CPU(s); shardis role: $SHARDIS_BIN ($SHARDIS_ARGS_STYLE args), redis role: $REDIS_BIN"
    echo "medians of $ROUNDS round(s); $REQUESTS_P1 requests per run at P1, $REQUESTS_P16 at P16; -c $CLIENTS -d $DATASIZE -r $KEYSPACE"
    echo "ops/CPU-s = requests / (server utime+stime during the run); ratio = shardis / redis"
    echo
    cat "$RESULTS.tmp"
} >"$RESULTS"
rm -f "$RESULTS.tmp"

echo
echo "## Results"
echo
tail -n +5 "$RESULTS"
echo
echo "written: $RESULTS, $RAW (server logs: $BENCH_OUT/shardis.log, $BENCH_OUT/redis.log)"
echo "total time: $((SECONDS - T_START)) s"
