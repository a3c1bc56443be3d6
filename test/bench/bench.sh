#!/usr/bin/env bash
# test/bench/bench.sh - shardis vs. redis-server, side by side, with redis-benchmark
# and shardis-txbench (test/bench/txbench.c); collections are loaded with the RESP
# written by test/bench/collgen.awk.
#
# Run from the repository root (`make bench` does `bash test/bench/bench.sh`;
# `make build` also builds build/shardis-txbench when SHARDIS_TESTS is on).
#
# What it measures
#   Throughput: every test of TESTS at every pipeline depth of PIPELINES
#     against shardis-server and redis-server, interleaved (shardis, redis,
#     shardis, redis, ...) for ROUNDS rounds, in two placements:
#       pinned    both servers on CPU 0 (taskset), shardis --threads 1,
#                 the load generator on CPU 1
#       unpinned  nothing pinned, shardis --threads 2
#     For every run the server's CPU time (utime+stime of the whole process from
#     /proc/PID/stat) is read before and after, giving ops per server CPU-second.
#     Reported: medians over the rounds.
#   Tests (all: -c 50, keys KEY:N with N a 12-digit random number below 1000000):
#     set, get   redis-benchmark -d 64 -P {1,16} -t {set,get}
#     mset       MSET mset1:N v ... mset10:N v (64-byte values), sent by
#                redis-benchmark as a custom command. redis-benchmark 7.0.15
#                draws a new random number for every __rand_int__ of a command
#                (checked with MONITOR), so the 10 keys of one MSET land on
#                different shards. ops = MSET commands (10 keys each).
#     mset-tag   the same MSET with all 10 keys under one hash tag per command,
#                {tN}:mset1 ... {tN}:mset10: one shard per command, commands
#                spread over the shards. redis-benchmark cannot send that (its
#                __rand_int__ are independent, and "{tag}" is only replaced in
#                --cluster mode: a constant tag would put every command on one
#                shard), so shardis-txbench sends this row.
#     multi      MULTI, INCR incr1:N ... INCR incr4:N (one N per key: different
#                shards), EXEC, written together by shardis-txbench, which
#                checks +OK, 4 x +QUEUED and an EXEC array of 4 integers.
#                ops = transactions (6 commands each).
#     multi-tag  (not in the default TESTS) the same transaction with the 4 keys
#                under one hash tag per transaction, {tN}:incr1 ... {tN}:incr4.
#     With -P 16 shardis-txbench writes 16 transactions / MSETs at once per
#     connection and waits for all their replies, as redis-benchmark -P does.
#     lpush lpop rpop sadd spop hset zadd   (collection rows) redis-benchmark
#                -d 64 -r 1000000 -P {1,16} -t <test>. redis-benchmark 7.0.15
#                sends LPUSH mylist V, LPOP mylist, RPOP mylist, SADD myset
#                element:N, SPOP myset, HSET myhash element:N V, ZADD myzset S
#                element:N (V: the 64-byte value "xxx...", N: 12-digit random,
#                S: one random score for the whole run). Each row works on ONE
#                key, so in shardis on one shard: with --threads 2 the commands
#                that arrive on the other thread's connections are forwarded to
#                it. FLUSHALL at the start of a round; pushes and adds grow the
#                keys during the round (past 128 elements: Redis's big encodings,
#                quicklist, hashtable, skiplist).
#                The pop rows pop real elements: before each of their runs (not
#                timed, not in the CPU time) the key is deleted and refilled
#                through `collgen.awk | redis-cli --pipe` with requests +
#                PREFILL_MARGIN elements - 64-byte values for mylist (what LPUSH
#                pushes), members element:%012d for myset (the shape of SADD's) -
#                and its length checked; after the run the length is checked
#                again: the run fails (status check-failed) unless at least
#                `requests` elements were popped and the key is not empty (no
#                pop found an empty key).
#     lrange_100 LRANGE mylist 0 99, sent as a custom command: `-t lrange_100`
#                would first LPUSH -n elements in the same redis-benchmark run,
#                inside the measured server CPU time. Instead mylist is deleted
#                and refilled before every run (not timed) with LRANGE_LIST_LEN
#                64-byte values, the shape `-t lrange_100` builds, and its
#                length checked: every request returns 100 elements of 64 bytes.
#   A run that fails - the load generator exits non-zero (an error reply such
#     as "unknown command" to MULTI, a reply of the wrong shape, a timeout;
#     redis-benchmark 7.0.15 exits 1 at its first error reply), a prefill or
#     pop check fails (e.g. a command not implemented yet), or
#     the server dies (it is restarted for the next run) - is recorded in
#     raw.csv with its status and shows as "n/a (error)" (or "n/a (server
#     died)") in the table; the bench goes on and lists the failures at the end.
#   Memory: a fresh server of each kind (unpinned config) is loaded with
#     MEM_KEYS keys "key:%010d" -> 32-byte values through `redis-cli --pipe`;
#     RSS (VmRSS) before/after gives bytes per key.
#   Collection memory: for every type of COLL_MEM_TESTS, a fresh server of each
#     kind (unpinned config, shardis --threads 2) is loaded through
#     `redis-cli --pipe` with the RESP of test/bench/collgen.awk (written once
#     to a file, piped to both):
#       hash  COLL_MEM_KEYS x HSET hash:%08d f0 V ... f9 V (V: 8-byte strings
#             "v%07d", a different one per field)
#       set   COLL_MEM_KEYS x SADD set:%08d 1 2 ... 10
#       zset  COLL_MEM_KEYS x ZADD zset:%08d 1 m1 2 m2 ... 10 m10
#       list  COLL_MEM_LISTS lists list:%08d of COLL_MEM_LIST_LEN elements
#             item:1 item:2 ..., RPUSH of 100 elements per command
#     then checked: --pipe reports no error, DBSIZE = keys, and the first and
#     last key hold all their elements (HLEN/SCARD/ZCARD/LLEN). Reported: RSS
#     growth (VmRSS after - before) and bytes per element = growth / elements
#     (field-value pairs, members, list elements; the key's own overhead is
#     spread over its elements), ratio shardis / redis, and OBJECT ENCODING of
#     the first key on each server.
#
# Output: a markdown table on stdout, also in build/bench/results.md; every
# run's raw numbers in build/bench/raw.csv (status column: ok, error, timeout,
# server-died, server-down, no-txbench, prefill-error, check-failed); server
# logs in build/bench/*.log.
#
# Environment
#   SHARDIS_SERVER      shardis binary                 (build/shardis-server)
#   REDIS_SERVER        redis binary                   (/usr/bin/redis-server)
#   TXBENCH             load generator for mset-tag, multi, multi-tag
#                                                      (build/shardis-txbench)
#   SHARDIS_ARGS_STYLE  shardis | redis: how to start the "shardis" role
#                       ("redis" = Redis-style args, to validate this script by
#                       running redis-server in both roles)        (shardis)
#   SHARDIS_EXTRA_ARGS / REDIS_EXTRA_ARGS  extra server args, word-split  ()
#   TESTS               subset of "set get mset mset-tag multi multi-tag lpush
#                       lpop rpop sadd spop hset zadd lrange_100"
#                       (all but multi-tag)
#   MSET_CLIENT         redis-benchmark | txbench: who sends the mset row
#                       (txbench: same client as mset-tag)   (redis-benchmark)
#   ROUNDS              rounds per row                              (3)
#   REQUESTS            requests per run of set/get for every pipeline depth, or
#   REQUESTS_P1 / REQUESTS_P16   per depth               (200000 / 1000000)
#   TX_REQUESTS         operations per run of the mset/multi tests, or
#   TX_REQUESTS_P1 / TX_REQUESTS_P16   per depth           (30000 / 80000)
#   COLL_REQUESTS       requests per run of the collection rows but lrange_100,
#   COLL_REQUESTS_P1 / COLL_REQUESTS_P16  per depth       (15000 / 120000)
#   LRANGE_REQUESTS     requests per run of lrange_100, or
#   LRANGE_REQUESTS_P1 / LRANGE_REQUESTS_P16  per depth     (6000 / 30000)
#   LRANGE_LIST_LEN     elements in mylist for lrange_100            (1000)
#   PREFILL_MARGIN      elements beyond the requests in a pop row's key (1000)
#   BENCH_QUICK=1       smoke run: 1 round, set/get 5000 / 20000 requests,
#                       mset/multi 2000 / 5000, collections 2000 / 10000,
#                       lrange_100 1000 / 3000, collection memory 10000 keys
#                       and 1000 lists
#   MEM_KEYS            keys loaded for the memory test             (1000000)
#   COLL_MEM_TESTS      subset of "hash set zset list"    (hash set zset list)
#   COLL_MEM_KEYS       hashes / sets / sorted sets of 10 elements  (100000)
#   COLL_MEM_LISTS, COLL_MEM_LIST_LEN  lists and elements per list (10000, 1000)
#   PLACEMENTS          subset of "pinned unpinned"       (pinned unpinned)
#   PIPELINES           subset of "1 16"                            (1 16)
#   SKIP_MEMORY=1       skip the memory test
#   MEM_SETTLE          seconds between a memory load and reading RSS, for both
#                       servers: jemalloc purges freed pages in the background
#                       (shardis sets a 1 s decay, like Redis it runs jemalloc's
#                       background thread)                              (2)
#   SKIP_COLL_MEMORY=1  skip the collection memory table
#   SERVER_CPU / CLIENT_CPU   CPUs for the pinned placement         (0 / 1)
#   CLIENTS, DATASIZE, KEYSPACE   -c / -d / -r of the load generators (50/64/1000000)
#   RUN_TIMEOUT         seconds before one load-generator run is abandoned (600)
#   BENCH_STRICT=1      exit with status 1 at the end if any run failed  (0)
#   BENCH_OUT           output directory                        (build/bench)
set -euo pipefail

# ---------------------------------------------------------------- settings
SHARDIS_SERVER=${SHARDIS_SERVER:-build/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
TXBENCH=${TXBENCH:-build/shardis-txbench}
SHARDIS_ARGS_STYLE=${SHARDIS_ARGS_STYLE:-shardis}
SHARDIS_EXTRA_ARGS=${SHARDIS_EXTRA_ARGS:-}
REDIS_EXTRA_ARGS=${REDIS_EXTRA_ARGS:-}
BENCH_QUICK=${BENCH_QUICK:-0}
if [[ $BENCH_QUICK == 1 ]]; then
    ROUNDS=${ROUNDS:-1}
    REQUESTS_P1=${REQUESTS_P1:-${REQUESTS:-5000}}
    REQUESTS_P16=${REQUESTS_P16:-${REQUESTS:-20000}}
    TX_REQUESTS_P1=${TX_REQUESTS_P1:-${TX_REQUESTS:-2000}}
    TX_REQUESTS_P16=${TX_REQUESTS_P16:-${TX_REQUESTS:-5000}}
    COLL_REQUESTS_P1=${COLL_REQUESTS_P1:-${COLL_REQUESTS:-2000}}
    COLL_REQUESTS_P16=${COLL_REQUESTS_P16:-${COLL_REQUESTS:-10000}}
    LRANGE_REQUESTS_P1=${LRANGE_REQUESTS_P1:-${LRANGE_REQUESTS:-1000}}
    LRANGE_REQUESTS_P16=${LRANGE_REQUESTS_P16:-${LRANGE_REQUESTS:-3000}}
    COLL_MEM_KEYS=${COLL_MEM_KEYS:-10000}
    COLL_MEM_LISTS=${COLL_MEM_LISTS:-1000}
else
    ROUNDS=${ROUNDS:-3}
    REQUESTS_P1=${REQUESTS_P1:-${REQUESTS:-200000}}
    REQUESTS_P16=${REQUESTS_P16:-${REQUESTS:-1000000}}
    # an MSET writes 10 keys and a transaction is 6 commands: fewer operations
    # keep `make bench` near 4 minutes on 2 cores
    TX_REQUESTS_P1=${TX_REQUESTS_P1:-${TX_REQUESTS:-30000}}
    TX_REQUESTS_P16=${TX_REQUESTS_P16:-${TX_REQUESTS:-80000}}
    # 8 collection rows: fewer requests than set/get (about half a second per
    # run, estimated from quick runs on 2 shared cores) keep them and the
    # collection memory table near 3 minutes; an LRANGE_100 reply is 100
    # values of 64 bytes, so that row gets a quarter of the requests or less
    COLL_REQUESTS_P1=${COLL_REQUESTS_P1:-${COLL_REQUESTS:-15000}}
    COLL_REQUESTS_P16=${COLL_REQUESTS_P16:-${COLL_REQUESTS:-120000}}
    LRANGE_REQUESTS_P1=${LRANGE_REQUESTS_P1:-${LRANGE_REQUESTS:-6000}}
    LRANGE_REQUESTS_P16=${LRANGE_REQUESTS_P16:-${LRANGE_REQUESTS:-30000}}
    COLL_MEM_KEYS=${COLL_MEM_KEYS:-100000}
    COLL_MEM_LISTS=${COLL_MEM_LISTS:-10000}
fi
LRANGE_LIST_LEN=${LRANGE_LIST_LEN:-1000}
PREFILL_MARGIN=${PREFILL_MARGIN:-1000}
COLL_MEM_LIST_LEN=${COLL_MEM_LIST_LEN:-1000}
COLL_MEM_TESTS=${COLL_MEM_TESTS:-hash set zset list}
COLL_MEM_FIELDS=10 # elements per hash, set and sorted set
SKIP_COLL_MEMORY=${SKIP_COLL_MEMORY:-0}
COLLGEN=$(dirname "${BASH_SOURCE[0]}")/collgen.awk
MEM_KEYS=${MEM_KEYS:-1000000}
PLACEMENTS=${PLACEMENTS:-pinned unpinned}
PIPELINES=${PIPELINES:-1 16}
COLL_TESTS="lpush lpop rpop sadd spop hset zadd lrange_100"
TESTS=${TESTS:-set get mset mset-tag multi $COLL_TESTS}
KNOWN_TESTS="set get mset mset-tag multi multi-tag $COLL_TESTS"
MSET_CLIENT=${MSET_CLIENT:-redis-benchmark}
MSET_KEYS=10
MULTI_KEYS=4
SKIP_MEMORY=${SKIP_MEMORY:-0}
MEM_SETTLE=${MEM_SETTLE:-2} # seconds between the end of a memory load and reading RSS
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
CLIENTS=${CLIENTS:-50}
DATASIZE=${DATASIZE:-64}
KEYSPACE=${KEYSPACE:-1000000}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
TX_IDLE_TIMEOUT=30 # shardis-txbench fails when no reply comes for this long
BENCH_STRICT=${BENCH_STRICT:-0}
BENCH_OUT=${BENCH_OUT:-build/bench}
HOST=127.0.0.1

T_START=$SECONDS

die() {
    echo "bench: ERROR: $*" >&2
    exit 1
}
warn() { echo "bench: warning: $*" >&2; }

# ---------------------------------------------------------------- tests
test_label() { # name in the table and in raw.csv
    case $1 in
    set) echo SET ;;
    get) echo GET ;;
    mset) echo "MSET$MSET_KEYS" ;;
    mset-tag) echo "MSET$MSET_KEYS-TAG" ;;
    multi) echo "MULTI-INCR$MULTI_KEYS" ;;
    multi-tag) echo "MULTI-INCR$MULTI_KEYS-TAG" ;;
    *) echo "${1^^}" ;; # LPUSH ... LRANGE_100, redis-benchmark's names
    esac
}
test_client() { # redis-benchmark | txbench
    case $1 in
    mset) echo "$MSET_CLIENT" ;;
    mset-tag | multi | multi-tag) echo txbench ;;
    *) echo redis-benchmark ;;
    esac
}
test_kind() { # which request counts apply: kv | tx | coll | lrange
    case $1 in
    set | get) echo kv ;;
    mset | mset-tag | multi | multi-tag) echo tx ;;
    lrange_100) echo lrange ;;
    *) echo coll ;;
    esac
}

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
case $MSET_CLIENT in redis-benchmark | txbench) ;; *) die "MSET_CLIENT must be 'redis-benchmark' or 'txbench'" ;; esac
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
for p in $PLACEMENTS; do [[ $p == pinned || $p == unpinned ]] || die "unknown placement '$p'"; done
for p in $PIPELINES; do [[ $p =~ ^[1-9][0-9]*$ ]] || die "bad pipeline depth '$p'"; done
[[ -n ${TESTS// /} ]] || die "TESTS is empty"
for t in $TESTS; do [[ " $KNOWN_TESTS " == *" $t "* ]] || die "unknown test '$t' (known: $KNOWN_TESTS)"; done
for v in REQUESTS_P1 REQUESTS_P16 TX_REQUESTS_P1 TX_REQUESTS_P16 COLL_REQUESTS_P1 COLL_REQUESTS_P16 \
    LRANGE_REQUESTS_P1 LRANGE_REQUESTS_P16 LRANGE_LIST_LEN PREFILL_MARGIN COLL_MEM_KEYS COLL_MEM_LISTS \
    COLL_MEM_LIST_LEN; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
((LRANGE_LIST_LEN >= 100)) || die "LRANGE_LIST_LEN must be at least 100 (LRANGE mylist 0 99)"
for t in $COLL_MEM_TESTS; do
    [[ $t == hash || $t == set || $t == zset || $t == list ]] || die "unknown collection memory test '$t' (known: hash set zset list)"
done
[[ -n ${COLL_MEM_TESTS// /} ]] || SKIP_COLL_MEMORY=1
[[ -r $COLLGEN ]] || die "$COLLGEN not found"

# A missing txbench does not stop the redis-benchmark rows: its rows say n/a.
TXBENCH_BIN=
for t in $TESTS; do
    if [[ $(test_client "$t") == txbench ]]; then
        TXBENCH_BIN=$(abspath "$TXBENCH") ||
            warn "load generator '$TXBENCH' not found or not executable (built by 'make build' with SHARDIS_TESTS=ON, or set TXBENCH); its rows will be n/a"
        break
    fi
done
MSET_VALUE=$(printf "%${DATASIZE}s" "" | tr ' ' x)

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
declare -A SPID=()  # role -> pid of the running server (unset: not running)
declare -A SPORT=() # role -> port
BENCH_PID=
FAILURES=() # one line per failed run or server death, for the summary

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
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
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

# Ports come from below the kernel's ephemeral range when there is room: the
# load generators' own connections (and other programs' clients) take ports
# from that range and could hold a port picked here by the time a server binds.
PORT_LO=20000 PORT_SPAN=40000
if read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && ((eph_lo > 12000)); then
    PORT_LO=10000 PORT_SPAN=$((eph_lo - 10000))
fi
declare -A USED_PORTS=()
pick_port() { # sets PICKED_PORT (not via $(...): USED_PORTS must remember it)
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((PORT_LO + (RANDOM * 32768 + RANDOM) % PORT_SPAN))
        [[ -z ${USED_PORTS[$p]:-} ]] || continue
        port_in_use "$p" && continue
        USED_PORTS[$p]=1
        PICKED_PORT=$p
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
            # no save rules and no log, as the redis role: a server that saved
            # at shutdown would hand its keys to the next one started in the
            # same scratch directory (the memory test counted them)
            CMD+=(--port "$port" --bind "$HOST" --threads "$threads" --save "" --appendonly no --loglevel warning)
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

# check_alive ROLE WHAT: status 0 while the role's server runs. Once it has
# died: reports it with the end of its log, forgets it (the next run starts a
# new one) and returns 1; also 1, silently, when no server of the role runs.
check_alive() {
    local role=$1 pid=${SPID[$1]:-}
    [[ -n $pid ]] || return 1
    is_alive "$pid" && return 0
    local rc=unknown
    wait "$pid" 2>/dev/null && rc=0 || rc=$?
    echo "bench: ERROR: the $role server (pid $pid, port ${SPORT[$role]}) died during $2 (exit status $rc)" >&2
    echo "bench: last lines of its log ($BENCH_OUT/$role.log):" >&2
    tail -n 20 "$BENCH_OUT/$role.log" >&2 || true
    FAILURES+=("the $role server died during $2 (exit status $rc)")
    unset "SPID[$role]"
    return 1
}

start_server() { # start_server ROLE PORT PLACEMENT; status 1 when it does not come up
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
        check_alive "$role" "start-up" || return 1
        if [[ $(timeout 2 redis-cli -h "$HOST" -p "$port" PING 2>/dev/null) == PONG ]]; then
            sleep 0.2
            check_alive "$role" "start-up" || return 1 # PONG from someone else on that port?
            return 0
        fi
        sleep 0.05
    done
    echo "bench: ERROR: the $role server did not answer PING on port $port within 10 s (log: $log)" >&2
    FAILURES+=("the $role server did not answer PING within 10 s ($placement)")
    stop_pid "${SPID[$role]}"
    unset "SPID[$role]"
    return 1
}

# ensure_server ROLE PLACEMENT: a server of the role runs, restarted on a new
# port if it died; status 1 if it cannot be started (then, for the rest of the
# placement, no new attempt: every run of the role is recorded as server-down).
declare -A START_FAILED=()
ensure_server() {
    local role=$1 placement=$2
    [[ -n ${SPID[$role]:-} ]] && return 0
    [[ -z ${START_FAILED[$placement.$role]:-} ]] || return 1
    pick_port
    warn "starting a new $role server ($placement) on port $PICKED_PORT"
    start_server "$role" "$PICKED_PORT" "$placement" && return 0
    START_FAILED[$placement.$role]=1
    return 1
}

stop_server() {
    local role=$1
    check_alive "$role" "the runs" || return 0
    stop_pid "${SPID[$role]}"
    unset "SPID[$role]"
}

bench_cmd() { # bench_cmd ROLE TEST PIPELINE REQUESTS PLACEMENT -> fills array CMD
    local role=$1 test=$2 pipe=$3 n=$4 placement=$5 i
    CMD=()
    if [[ $placement == pinned ]]; then CMD+=(taskset -c "$CLIENT_CPU"); fi
    case $test:$(test_client "$test") in
    lrange_100:*)
        # what -t lrange_100 sends, without its in-run LPUSH prefill
        CMD+=(redis-benchmark -h "$HOST" -p "${SPORT[$role]}" -c "$CLIENTS"
            -n "$n" -P "$pipe" --csv LRANGE mylist 0 99)
        ;;
    *:redis-benchmark)
        if [[ $test == mset ]]; then
            # every __rand_int__ gets its own random number: the keys of one
            # MSET are spread over the shards
            CMD+=(redis-benchmark -h "$HOST" -p "${SPORT[$role]}" -c "$CLIENTS" -r "$KEYSPACE"
                -n "$n" -P "$pipe" --csv MSET)
            for ((i = 1; i <= MSET_KEYS; i++)); do CMD+=("mset$i:__rand_int__" "$MSET_VALUE"); done
        else
            CMD+=(redis-benchmark -h "$HOST" -p "${SPORT[$role]}" -c "$CLIENTS" -d "$DATASIZE" -r "$KEYSPACE"
                -n "$n" -P "$pipe" -t "$test" --csv)
        fi
        ;;
    *)
        CMD+=("${TXBENCH_BIN:-$TXBENCH}" -h "$HOST" -p "${SPORT[$role]}" -c "$CLIENTS" -r "$KEYSPACE"
            -d "$DATASIZE" -n "$n" -P "$pipe")
        case $test in
        mset) CMD+=(-m mset -k "$MSET_KEYS" -s random) ;;
        mset-tag) CMD+=(-m mset -k "$MSET_KEYS" -s tag) ;;
        multi) CMD+=(-m multi -k "$MULTI_KEYS" -s random) ;;
        multi-tag) CMD+=(-m multi -k "$MULTI_KEYS" -s tag) ;;
        esac
        CMD+=(--name "$(test_label "$test")" --timeout "$TX_IDLE_TIMEOUT" --csv)
        ;;
    esac
}

median() { # numbers on stdin -> median
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

RAW_HEADER="placement,server,test,pipeline,round,requests,ops_per_sec,cpu_ticks,cpu_sec,ops_per_cpu_sec,avg_latency_ms,p50_latency_ms,p99_latency_ms,keys,rss_before_bytes,rss_after_bytes,elements,status"
STATUS_COLUMN=18

# run_failed ROLE TEST PIPELINE REQUESTS PLACEMENT ROUND STATUS: a raw.csv row
# without numbers, a line in the run log and in the failure summary
run_failed() {
    local label
    label=$(test_label "$2")
    echo "$5,$1,$label,$3,$6,$4,,,,,,,,,,,,$7" >>"$RAW"
    FAILURES+=("$5 $1 $label P$3 round $6: $7")
    printf '  %-8s %-7s %-15s P%-3s round %d: failed (%s)\n' "$5" "$1" "$label" "$3" "$6" "$7"
}

declare -A FAILURE_SHOWN=() # role.test.status -> 1: details printed once
show_failure_once() { # show_failure_once ROLE TEST STATUS MESSAGE
    [[ -z ${FAILURE_SHOWN[$1.$2.$3]:-} ]] || return 0
    FAILURE_SHOWN[$1.$2.$3]=1
    echo "bench: $4" >&2
}

# The key a collection row prefills, the command giving its length, and how
# many elements go in for a run of N requests ("" when the row has none).
prefill_plan() { # prefill_plan TEST N -> sets PF_KIND PF_KEY PF_LEN_CMD PF_COUNT
    PF_KIND='' PF_KEY='' PF_LEN_CMD='' PF_COUNT=0
    case $1 in
    lpop | rpop) PF_KIND=fill-list PF_KEY=mylist PF_LEN_CMD=LLEN PF_COUNT=$(($2 + PREFILL_MARGIN)) ;;
    spop) PF_KIND=fill-set PF_KEY=myset PF_LEN_CMD=SCARD PF_COUNT=$(($2 + PREFILL_MARGIN)) ;;
    lrange_100) PF_KIND=fill-list PF_KEY=mylist PF_LEN_CMD=LLEN PF_COUNT=$LRANGE_LIST_LEN ;;
    esac
}
prefill_cmd() { # prefill_cmd ROLE-PORT: the generator | redis-cli pipeline, as text
    echo "awk -f $COLLGEN -v kind=$PF_KIND -v key=$PF_KEY -v elems=$PF_COUNT -v size=$DATASIZE -v chunk=1000 | redis-cli -h $HOST -p $1 --pipe"
}

# prefill ROLE TEST N: before a pop or LRANGE run (not timed), DEL the key and
# load it afresh; status 1, with the reason on stderr once, when the load fails
# or the key's length is not the one loaded.
prefill() {
    local role=$1 test=$2 n=$3 out len
    prefill_plan "$test" "$n"
    [[ -n $PF_KIND ]] || return 0
    cli "$role" DEL "$PF_KEY" >/dev/null 2>&1 || true
    if ! out=$(awk -f "$COLLGEN" -v kind="$PF_KIND" -v key="$PF_KEY" -v elems="$PF_COUNT" \
        -v size="$DATASIZE" -v chunk=1000 |
        timeout "$RUN_TIMEOUT" redis-cli -h "$HOST" -p "${SPORT[$role]}" --pipe 2>&1); then
        show_failure_once "$role" "$test" prefill-error \
            "prefill of $PF_KEY on $role failed: $(echo "$out" | tail -n 2 | cut -c1-300)"
        return 1
    fi
    len=$(cli "$role" "$PF_LEN_CMD" "$PF_KEY" 2>&1 || true)
    if [[ $len != "$PF_COUNT" ]]; then
        show_failure_once "$role" "$test" prefill-error \
            "prefill of $PF_KEY on $role: $PF_LEN_CMD answered '$(echo "$len" | head -n 1 | cut -c1-200)', expected $PF_COUNT ($(echo "$out" | tail -n 1))"
        return 1
    fi
}

# check_pops ROLE TEST N: after a pop run, the key lost at least N elements
# (every request popped one) and is not empty (no pop found it empty).
check_pops() {
    local role=$1 test=$2 n=$3 len
    case $test in lpop | rpop | spop) ;; *) return 0 ;; esac
    prefill_plan "$test" "$n"
    len=$(cli "$role" "$PF_LEN_CMD" "$PF_KEY" 2>&1 || true)
    if [[ ! $len =~ ^[0-9]+$ ]] || ((len == 0 || PF_COUNT - len < n)); then
        show_failure_once "$role" "$test" check-failed \
            "$(test_label "$test") on $role: $PF_KEY held $PF_COUNT elements before the run of $n pops and $PF_LEN_CMD answers '$(echo "$len" | head -n 1 | cut -c1-200)' after it"
        return 1
    fi
}

# run_one ROLE TEST PIPELINE REQUESTS PLACEMENT ROUND: one load-generator run,
# watched; appends a row to raw.csv. A failure is recorded, never fatal.
run_one() {
    local role=$1 test=$2 pipe=$3 n=$4 placement=$5 round=$6
    local out=$WORKDIR/bench.out err=$WORKDIR/bench.err what label
    local pid t0 t1 rc=0 died=0 line rps f status
    label=$(test_label "$test")
    what="$placement $label P$pipe round $round"
    if [[ $(test_client "$test") == txbench && -z $TXBENCH_BIN ]]; then
        run_failed "$role" "$test" "$pipe" "$n" "$placement" "$round" no-txbench
        return 0
    fi
    if [[ -n ${SPID[$role]:-} ]]; then check_alive "$role" "the pause before $what" || true; fi
    if ! ensure_server "$role" "$placement"; then
        run_failed "$role" "$test" "$pipe" "$n" "$placement" "$round" server-down
        return 0
    fi
    pid=${SPID[$role]}
    if ! prefill "$role" "$test" "$n"; then
        check_alive "$role" "the prefill before $what" || true
        run_failed "$role" "$test" "$pipe" "$n" "$placement" "$round" prefill-error
        return 0
    fi
    bench_cmd "$role" "$test" "$pipe" "$n" "$placement"
    t0=$(cpu_ticks "$pid") || died=1
    if ((!died)); then
        timeout "$RUN_TIMEOUT" "${CMD[@]}" >"$out" 2>"$err" </dev/null &
        BENCH_PID=$!
        # watch the server: redis-benchmark keeps retrying forever when it is gone
        while is_alive "$BENCH_PID"; do
            if ! is_alive "$pid"; then
                stop_pid "$BENCH_PID"
                died=1
                break
            fi
            sleep 0.1
        done
        wait "$BENCH_PID" || rc=$?
        BENCH_PID=
        t1=$(cpu_ticks "$pid") || died=1
    fi
    if ((died)) || ! check_alive "$role" "$what"; then
        check_alive "$role" "$what" || true # reports the death once
        run_failed "$role" "$test" "$pipe" "$n" "$placement" "$round" server-died
        return 0
    fi
    line=$(grep '^"' "$out" | grep -v '^"test",' | tail -n 1 || true)
    if ((rc != 0)) || [[ -z $line ]]; then
        status=error
        if ((rc == 124)); then status=timeout; fi
        if [[ -z ${FAILURE_SHOWN[$role.$test.$status]:-} ]]; then
            show_failure_once "$role" "$test" "$status" "run failed (exit status $rc) against $role: $(show_cmd "${CMD[@]}")"
            if ((rc == 124)); then echo "bench: (timed out after ${RUN_TIMEOUT}s)" >&2; fi
            { grep -v '^"test",' "$out" | tail -n 5 | cut -c1-300; tail -n 5 "$err" | cut -c1-300; } >&2 || true
        fi
        run_failed "$role" "$test" "$pipe" "$n" "$placement" "$round" "$status"
        return 0
    fi
    if ! check_pops "$role" "$test" "$n"; then
        run_failed "$role" "$test" "$pipe" "$n" "$placement" "$round" check-failed
        return 0
    fi
    # "NAME","rps","avg","min","p50","p95","p99","max" (older versions: just rps);
    # the name of a custom redis-benchmark command is the command itself
    line=${line#\"*\",}
    IFS=, read -r -a f <<<"${line//\"/}"
    rps=${f[0]}
    local ticks=$((t1 - t0))
    local cpu_s opcpu
    cpu_s=$(awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    opcpu=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { if (t > 0) printf "%.0f", n / (t / hz); else print "inf" }')
    echo "$placement,$role,$label,$pipe,$round,$n,$rps,$ticks,$cpu_s,$opcpu,${f[1]:-},${f[3]:-},${f[5]:-},,,,,ok" >>"$RAW"
    printf '  %-8s %-7s %-15s P%-3s round %d: %12.0f ops/s  server CPU %6.2f s  %10s ops/CPU-s  p50 %s ms\n' \
        "$placement" "$role" "$label" "$pipe" "$round" "$rps" "$cpu_s" "$opcpu" "${f[3]:-?}"
}

# coll_mem_plan KIND: what the collection memory load of KIND is -> sets
# CM_GEN_ARGS (collgen.awk's -v arguments), CM_KEYS, CM_PER_KEY (elements per
# key), CM_ELEMENTS, CM_LEN_CMD, CM_KEY_FIRST / CM_KEY_LAST, CM_LABEL, CM_DESC
coll_mem_plan() {
    local kind=$1 fmt
    CM_KEYS=$COLL_MEM_KEYS CM_PER_KEY=$COLL_MEM_FIELDS
    case $kind in
    hash) CM_LEN_CMD=HLEN fmt=hash:%08d CM_DESC="hash: $CM_KEYS keys x $CM_PER_KEY fields (HSET, fields f0.., 8-byte values)" ;;
    set) CM_LEN_CMD=SCARD fmt=set:%08d CM_DESC="set: $CM_KEYS keys x $CM_PER_KEY integers (SADD 1..$CM_PER_KEY)" ;;
    zset) CM_LEN_CMD=ZCARD fmt=zset:%08d CM_DESC="zset: $CM_KEYS keys x $CM_PER_KEY members (ZADD 1 m1 ..)" ;;
    list)
        CM_KEYS=$COLL_MEM_LISTS CM_PER_KEY=$COLL_MEM_LIST_LEN CM_LEN_CMD=LLEN fmt=list:%08d
        CM_DESC="list: $CM_KEYS keys x $CM_PER_KEY elements (RPUSH item:1 .., 100 per command)"
        ;;
    esac
    CM_GEN_ARGS=(-v "kind=$kind" -v "keys=$CM_KEYS" -v "elems=$CM_PER_KEY" -v chunk=100)
    CM_ELEMENTS=$((CM_KEYS * CM_PER_KEY))
    # shellcheck disable=SC2059
    CM_KEY_FIRST=$(printf "$fmt" 0) CM_KEY_LAST=$(printf "$fmt" $((CM_KEYS - 1)))
    CM_LABEL=${kind^^}
}

# ---------------------------------------------------------------- plan
# every port is chosen now, so the exact commands can be printed up front
declare -A PORT=()
for placement in $PLACEMENTS memory coll-memory; do
    [[ $placement == memory && $SKIP_MEMORY == 1 ]] && continue
    [[ $placement == coll-memory && $SKIP_COLL_MEMORY == 1 ]] && continue
    for role in shardis redis; do
        pick_port
        PORT[$placement.$role]=$PICKED_PORT
    done
done

requests_for() { # requests_for PIPELINE TEST
    local prefix
    case $(test_kind "$2") in
    kv) prefix= ;;
    tx) prefix=TX_ ;;
    coll) prefix=COLL_ ;;
    lrange) prefix=LRANGE_ ;;
    esac
    if [[ $1 == 1 ]]; then prefix+=REQUESTS_P1; else prefix+=REQUESTS_P16; fi
    echo "${!prefix}"
}
# "set/get 200000 (P1), 1000000 (P16); ..." for the kinds of TESTS
requests_summary() {
    local kind name out="" t p1 p16
    for kind in kv tx coll lrange; do
        for t in $TESTS; do
            [[ $(test_kind "$t") == "$kind" ]] || continue
            case $kind in
            kv) name=set/get ;;
            tx) name=mset/multi ;;
            coll) name=collections ;;
            lrange) name=lrange_100 ;;
            esac
            p1=$(requests_for 1 "$t") p16=$(requests_for 16 "$t")
            out+="; $name $p1 (P1), $p16 (P16)"
            break
        done
    done
    echo "${out#; }"
}

echo "# shardis benchmark  ($(date -u +%FT%TZ), $(uname -n), $NCPU CPU(s): $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?'))"
echo
echo "shardis role: $SHARDIS_BIN (args style: $SHARDIS_ARGS_STYLE)"
echo "redis role:   $REDIS_BIN ($("$REDIS_BIN" --version 2>/dev/null | head -n 1 || echo '?'))"
echo "client:       $(command -v redis-benchmark) ($(redis-benchmark --version 2>/dev/null | head -n 1 || echo '?'))"
if [[ -n $TXBENCH_BIN ]]; then echo "              $TXBENCH_BIN (test/bench/txbench.c)"; fi
echo "tests: $TESTS; rounds: $ROUNDS; requests per run: $(requests_summary); memory keys: $MEM_KEYS;" \
    "collection memory: $COLL_MEM_TESTS ($COLL_MEM_KEYS keys of $COLL_MEM_FIELDS, $COLL_MEM_LISTS lists of $COLL_MEM_LIST_LEN); CLK_TCK=$CLK_TCK"
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
                prefill_plan "$test" "$(requests_for "$pipe" "$test")"
                if [[ -n $PF_KIND ]]; then
                    echo "  redis-cli -h $HOST -p ${SPORT[$role]} DEL $PF_KEY; $(prefill_cmd "${SPORT[$role]}")  (not timed)"
                fi
                bench_cmd "$role" "$test" "$pipe" "$(requests_for "$pipe" "$test")" "$placement"
                echo "  $(show_cmd "${CMD[@]}")"
            done
        done
    done
    echo "  (each benchmark run x $ROUNDS rounds, order: for pipeline, for round: FLUSHALL both, then for test: shardis, redis;"
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
if [[ $SKIP_COLL_MEMORY != 1 ]]; then
    echo "collection memory (for each type: fresh servers, unpinned config):"
    for role in shardis redis; do
        server_cmd "$role" "${PORT[coll-memory.$role]}" unpinned
        echo "  $(show_cmd "${CMD[@]}") &"
    done
    for kind in $COLL_MEM_TESTS; do
        coll_mem_plan "$kind"
        echo "  awk -f $COLLGEN $(show_cmd "${CM_GEN_ARGS[@]}") >$kind.resp; then for each server: redis-cli -h $HOST -p PORT --pipe <$kind.resp"
    done
    echo "  (RSS = VmRSS from /proc/PID/status before the load and after it; the load checked with DBSIZE and HLEN/SCARD/ZCARD/LLEN of the first and last key)"
fi
echo

echo "$RAW_HEADER" >"$RAW"

# ---------------------------------------------------------------- throughput
FLUSH_WARNED=0
flushall() {
    local role r
    for role in shardis redis; do
        [[ -n ${SPID[$role]:-} ]] || continue
        r=$(cli "$role" FLUSHALL 2>&1 || true)
        check_alive "$role" "FLUSHALL" || continue
        if [[ $r != OK && $FLUSH_WARNED == 0 ]]; then
            warn "FLUSHALL on $role answered '$r'; continuing without flushing"
            FLUSH_WARNED=1
        fi
    done
}

echo "## Runs"
echo
for placement in $PLACEMENTS; do
    for role in shardis redis; do
        # on failure (e.g. the port was taken meanwhile) the first run retries once on a new port
        start_server "$role" "${PORT[$placement.$role]}" "$placement" || true
    done
    for pipe in $PIPELINES; do
        for ((round = 1; round <= ROUNDS; round++)); do
            flushall
            for test in $TESTS; do
                n=$(requests_for "$pipe" "$test")
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
mem_load() { # mem_load ROLE: fills MEM_BEFORE/MEM_AFTER; status 1 on failure
    local role=$1 out dbsize i
    if ! start_server "$role" "${PORT[memory.$role]}" unpinned; then
        pick_port # the port may have been taken meanwhile: one more try
        start_server "$role" "$PICKED_PORT" unpinned || return 1
    fi
    MEM_BEFORE[$role]=$(rss_bytes "${SPID[$role]}") || return 1
    if ! out=$(gen_resp "$MEM_KEYS" | timeout "$RUN_TIMEOUT" redis-cli -h "$HOST" -p "${SPORT[$role]}" --pipe 2>&1); then
        check_alive "$role" "the memory load" || return 1
        echo "bench: ERROR: redis-cli --pipe into $role failed: $out" >&2
        return 1
    fi
    check_alive "$role" "the memory load" || return 1
    [[ $out == *"errors: 0,"* ]] || warn "redis-cli --pipe into $role reported: $(echo "$out" | tail -n 1)"
    dbsize=
    for ((i = 0; i < 600; i++)); do
        dbsize=$(cli "$role" DBSIZE 2>/dev/null || true)
        [[ $dbsize == "$MEM_KEYS" ]] && break
        check_alive "$role" "the memory load" || return 1
        sleep 0.1
    done
    if [[ $dbsize != "$MEM_KEYS" ]]; then
        echo "bench: ERROR: $role: DBSIZE is '$dbsize' after loading, expected $MEM_KEYS" >&2
        return 1
    fi
    sleep "$MEM_SETTLE" # both allocators purge freed pages in the background (shardis: after 1 s)
    MEM_AFTER[$role]=$(rss_bytes "${SPID[$role]}") || return 1
}
if [[ $SKIP_MEMORY != 1 ]]; then
    echo
    for role in shardis redis; do
        if mem_load "$role"; then
            echo "memory,$role,LOAD,,1,$MEM_KEYS,,,,,,,,$MEM_KEYS,${MEM_BEFORE[$role]},${MEM_AFTER[$role]},,ok" >>"$RAW"
            printf '  memory   %-7s RSS before %6.1f MB, after %7.1f MB for %d keys\n' "$role" \
                "$(awk -v b="${MEM_BEFORE[$role]}" 'BEGIN { print b / 1e6 }')" \
                "$(awk -v b="${MEM_AFTER[$role]}" 'BEGIN { print b / 1e6 }')" "$MEM_KEYS"
        else
            MEM_BEFORE[$role]='' MEM_AFTER[$role]=''
            echo "memory,$role,LOAD,,1,$MEM_KEYS,,,,,,,,$MEM_KEYS,,,,error" >>"$RAW"
            FAILURES+=("memory $role: failed")
            printf '  memory   %-7s failed\n' "$role"
        fi
        stop_server "$role"
    done
fi

# ---------------------------------------------------------------- collection memory
declare -A CM_BEFORE=() CM_AFTER=() # kind.role -> RSS bytes ("" or unset: failed)
declare -A CM_ENCODING=()           # kind.role -> OBJECT ENCODING of the first key
# coll_mem_load ROLE KIND FILE: a fresh server loaded with FILE (coll_mem_plan
# KIND must be in effect); fills CM_BEFORE/CM_AFTER; status 1, with the reason
# on stderr, on failure. The caller stops the server.
coll_mem_load() {
    local role=$1 kind=$2 file=$3 out dbsize key len i
    if ! start_server "$role" "${PORT[coll-memory.$role]}" unpinned; then
        pick_port # the port may have been taken meanwhile: one more try
        start_server "$role" "$PICKED_PORT" unpinned || return 1
        PORT[coll-memory.$role]=$PICKED_PORT
    fi
    CM_BEFORE[$kind.$role]=$(rss_bytes "${SPID[$role]}") || return 1
    if ! out=$(timeout "$RUN_TIMEOUT" redis-cli -h "$HOST" -p "${SPORT[$role]}" --pipe <"$file" 2>&1); then
        check_alive "$role" "the $kind memory load" || return 1
        echo "bench: ERROR: redis-cli --pipe of the $kind load into $role failed: $(echo "$out" | tail -n 3)" >&2
        return 1
    fi
    check_alive "$role" "the $kind memory load" || return 1
    if [[ $out != *"errors: 0,"* ]]; then
        # a partial load would give a wrong figure per element
        echo "bench: ERROR: the $kind load into $role: $(echo "$out" | grep -v '^All data transferred' | head -n 3 | cut -c1-300)" >&2
        return 1
    fi
    dbsize=
    for ((i = 0; i < 100; i++)); do
        dbsize=$(cli "$role" DBSIZE 2>/dev/null || true)
        [[ $dbsize == "$CM_KEYS" ]] && break
        sleep 0.1
    done
    if [[ $dbsize != "$CM_KEYS" ]]; then
        echo "bench: ERROR: $role: DBSIZE is '$dbsize' after the $kind load, expected $CM_KEYS" >&2
        return 1
    fi
    for key in "$CM_KEY_FIRST" "$CM_KEY_LAST"; do
        len=$(cli "$role" "$CM_LEN_CMD" "$key" 2>&1 || true)
        if [[ $len != "$CM_PER_KEY" ]]; then
            echo "bench: ERROR: $role: $CM_LEN_CMD $key answers '$(echo "$len" | head -n 1 | cut -c1-200)' after the $kind load, expected $CM_PER_KEY" >&2
            return 1
        fi
    done
    CM_ENCODING[$kind.$role]=$(cli "$role" OBJECT ENCODING "$CM_KEY_FIRST" 2>/dev/null | head -n 1 || true)
    [[ ${CM_ENCODING[$kind.$role]} =~ ^[a-z]+$ ]] || CM_ENCODING[$kind.$role]='?'
    sleep "$MEM_SETTLE" # both allocators purge freed pages in the background (shardis: after 1 s)
    CM_AFTER[$kind.$role]=$(rss_bytes "${SPID[$role]}") || return 1
}
if [[ $SKIP_COLL_MEMORY != 1 ]]; then
    echo
    for kind in $COLL_MEM_TESTS; do
        coll_mem_plan "$kind"
        resp=$WORKDIR/$kind.resp
        awk -f "$COLLGEN" "${CM_GEN_ARGS[@]}" >"$resp"
        for role in shardis redis; do
            if coll_mem_load "$role" "$kind" "$resp"; then
                b=${CM_BEFORE[$kind.$role]} a=${CM_AFTER[$kind.$role]}
                echo "coll-memory,$role,$CM_LABEL,,1,,,,,,,,,$CM_KEYS,$b,$a,$CM_ELEMENTS,ok" >>"$RAW"
                printf '  coll-mem %-7s %-5s RSS before %6.1f MB, after %7.1f MB: %6.1f bytes per element (%d elements)\n' \
                    "$role" "$kind" "$(awk -v b="$b" 'BEGIN { print b / 1e6 }')" "$(awk -v b="$a" 'BEGIN { print b / 1e6 }')" \
                    "$(awk -v a="$a" -v b="$b" -v n="$CM_ELEMENTS" 'BEGIN { print (a - b) / n }')" "$CM_ELEMENTS"
            else
                CM_BEFORE[$kind.$role]='' CM_AFTER[$kind.$role]=''
                echo "coll-memory,$role,$CM_LABEL,,1,,,,,,,,,$CM_KEYS,,,$CM_ELEMENTS,error" >>"$RAW"
                FAILURES+=("collection memory $kind $role: failed")
                printf '  coll-mem %-7s %-5s failed\n' "$role" "$kind"
            fi
            stop_server "$role"
        done
        rm -f "$resp"
    done
fi

# ---------------------------------------------------------------- report
# col_median PLACEMENT ROLE LABEL PIPE COLUMN: median over the successful runs ("nan": none)
col_median() {
    awk -F, -v p="$1" -v r="$2" -v t="$3" -v q="$4" -v c="$5" -v s="$STATUS_COLUMN" \
        'NR > 1 && $1 == p && $2 == r && $3 == t && $4 == q && $s == "ok" { print $c }' "$RAW" | median
}
# run_counts PLACEMENT ROLE LABEL PIPE -> "OK TOTAL FIRST-FAILURE-STATUS"
run_counts() {
    awk -F, -v p="$1" -v r="$2" -v t="$3" -v q="$4" -v s="$STATUS_COLUMN" '
        NR > 1 && $1 == p && $2 == r && $3 == t && $4 == q {
            total++
            if ($s == "ok") ok++; else if (bad == "") bad = $s
        }
        END { printf "%d %d %s\n", ok, total, (bad == "" ? "-" : bad) }' "$RAW"
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'
}
fmt() { awk -v a="$1" 'BEGIN { if (a == "inf" || a == "nan") print a; else printf "%.0f", a }'; }
# cell VALUE PLACEMENT ROLE LABEL PIPE: the median, "n/a (why)" when no run
# succeeded, with "(k/N failed)" when some did not
cell() {
    local value=$1 ok total bad
    read -r ok total bad < <(run_counts "$2" "$3" "$4" "$5")
    if ((ok == 0)); then
        case $bad in
        -) echo "n/a" ;;
        server-died) echo "n/a (server died)" ;;
        server-down) echo "n/a (server down)" ;;
        no-txbench) echo "n/a (no txbench)" ;;
        timeout) echo "n/a (error: timeout)" ;;
        *) echo "n/a (error)" ;;
        esac
    elif ((ok < total)); then
        echo "$(fmt "$value") ($((total - ok))/$total failed)"
    else
        fmt "$value"
    fi
}
mb() { awk -v x="$1" 'BEGIN { if (x == "") print "n/a"; else printf "%.1f", x / 1e6 }'; }
per_key() { # per_key AFTER BEFORE|0
    awk -v x="$1" -v y="$2" -v n="$MEM_KEYS" 'BEGIN { if (x == "" || y == "") print "n/a"; else printf "%.1f", (x - y) / n }'
}

{
    echo "| placement | test | pipeline | shardis ops/s | redis ops/s | ratio | shardis ops/CPU-s | redis ops/CPU-s | ratio |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for placement in $PLACEMENTS; do
        for pipe in $PIPELINES; do
            for test in $TESTS; do
                T=$(test_label "$test")
                s_ops=$(col_median "$placement" shardis "$T" "$pipe" 7)
                r_ops=$(col_median "$placement" redis "$T" "$pipe" 7)
                s_cpu=$(col_median "$placement" shardis "$T" "$pipe" 10)
                r_cpu=$(col_median "$placement" redis "$T" "$pipe" 10)
                echo "| $placement | $T | $pipe" \
                    "| $(cell "$s_ops" "$placement" shardis "$T" "$pipe") | $(cell "$r_ops" "$placement" redis "$T" "$pipe")" \
                    "| $(ratio "$s_ops" "$r_ops")" \
                    "| $(cell "$s_cpu" "$placement" shardis "$T" "$pipe") | $(cell "$r_cpu" "$placement" redis "$T" "$pipe")" \
                    "| $(ratio "$s_cpu" "$r_cpu") |"
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
                b=${MEM_BEFORE[$role]:-} a=${MEM_AFTER[$role]:-}
                case $what in
                before) v=$(mb "$b") ;;
                after) v=$(mb "$a") ;;
                delta) v=$(per_key "$a" "$b") ;;
                total) v=$(per_key "$a" 0) ;;
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
    if [[ $SKIP_COLL_MEMORY != 1 ]]; then
        echo
        echo "| collection memory (fresh servers, RSS growth) | elements | encoding shardis / redis | shardis MB | redis MB | shardis bytes/element | redis bytes/element | ratio |"
        echo "|---|---:|---|---:|---:|---:|---:|---:|"
        for kind in $COLL_MEM_TESTS; do
            coll_mem_plan "$kind"
            growth=() per=()
            for role in shardis redis; do
                b=${CM_BEFORE[$kind.$role]:-} a=${CM_AFTER[$kind.$role]:-}
                growth+=("$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.1f", (a - b) / 1e6 }')")
                per+=("$(awk -v a="$a" -v b="$b" -v n="$CM_ELEMENTS" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.1f", (a - b) / n }')")
            done
            echo "| $CM_DESC | $CM_ELEMENTS | ${CM_ENCODING[$kind.shardis]:-n/a} / ${CM_ENCODING[$kind.redis]:-n/a} | ${growth[0]} | ${growth[1]} | ${per[0]} | ${per[1]} | $(ratio "${per[0]}" "${per[1]}") |"
        done
    fi
    notes=()
    has_tx=0 has_coll=0
    for test in $TESTS; do
        case $test in
        mset)
            notes+=("MSET$MSET_KEYS: MSET of $MSET_KEYS keys mset1:N ... mset$MSET_KEYS:N, $DATASIZE-byte values, one random N per key (keys on different shards), sent by $MSET_CLIENT; ops = MSET commands")
            ;;
        mset-tag)
            notes+=("MSET$MSET_KEYS-TAG: the same MSET with keys {tN}:mset1 ... {tN}:mset$MSET_KEYS, one random N per command (all keys of a command on one shard, commands spread over the shards), sent by shardis-txbench (redis-benchmark draws one number per __rand_int__, so it cannot share a tag within a command); ops = MSET commands")
            ;;
        multi)
            notes+=("MULTI-INCR$MULTI_KEYS: MULTI, INCR incr1:N ... INCR incr$MULTI_KEYS:N (one random N per key: different shards), EXEC, written together by shardis-txbench, every reply checked; ops = transactions ($((MULTI_KEYS + 2)) commands each)")
            ;;
        multi-tag)
            notes+=("MULTI-INCR$MULTI_KEYS-TAG: the same transaction with keys {tN}:incr1 ... {tN}:incr$MULTI_KEYS, one random N per transaction (one shard per transaction); ops = transactions")
            ;;
        esac
        case $(test_kind "$test") in
        tx) has_tx=1 ;;
        coll | lrange) has_coll=1 ;;
        esac
    done
    if ((has_tx)); then notes+=("pipeline 16 for MSET/MULTI rows: 16 commands / transactions written at once per connection"); fi
    if ((has_coll)); then
        notes+=("collection rows: redis-benchmark -t <row> -d $DATASIZE -r $KEYSPACE, each on one key (mylist, myset, myhash, myzset: one shard in shardis); LPOP/RPOP/SPOP keys refilled before every run with requests + $PREFILL_MARGIN elements (not timed), every pop checked to have found an element; LRANGE_100 = LRANGE mylist 0 99 on a list of $LRANGE_LIST_LEN $DATASIZE-byte elements, refilled before every run")
    fi
    if ((${#notes[@]})); then
        echo
        for note in "${notes[@]}"; do echo "- $note"; done
    fi
    if ((${#FAILURES[@]})); then
        echo
        echo "Failed runs (${#FAILURES[@]}; a failed run is left out of the medians; details on stderr of the bench):"
        echo
        for f in "${FAILURES[@]}"; do echo "- $f"; done
    fi
} >"$RESULTS.tmp"

{
    echo "shardis benchmark, $(date -u +%FT%TZ), $NCPU CPU(s); shardis role: $SHARDIS_BIN ($SHARDIS_ARGS_STYLE args), redis role: $REDIS_BIN"
    echo "medians of $ROUNDS round(s); requests per run: $(requests_summary); -c $CLIENTS -d $DATASIZE -r $KEYSPACE"
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
if ((${#FAILURES[@]})); then
    echo "bench: ${#FAILURES[@]} failure(s), listed above" >&2
    if [[ $BENCH_STRICT == 1 ]]; then exit 1; fi
fi
