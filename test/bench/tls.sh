#!/usr/bin/env bash
# test/bench/tls.sh - TLS throughput: shardis vs. redis-server, both with TLS on
# the same test certificates, measured with redis-benchmark --tls.
#
# Run from the repository root (`make bench` calls it after bench.sh).
#
# What it measures
#   SET and GET (-d 64, -r 1000000), 50 clients, pipeline 1 and 16, over the
#   TLS port with mutual TLS (tls-auth-clients yes, client certificate given),
#   ROUNDS rounds interleaved (shardis, redis, shardis, ...); reported: the
#   median requests per second per row. The connections are opened once per
#   run, so the figures are record encryption and decryption, not handshakes.
#   shardis runs with --threads THREADS (default 2); redis-server with its
#   defaults (one thread, io-threads 1). Nothing is pinned.
#   Certificates: ECDSA P-256 CA, server and client certificates generated with
#   the openssl CLI into a temp dir, removed at exit.
#
# Environment: SHARDIS (default build/shardis-server), REDIS (default
# /usr/bin/redis-server), ROUNDS (3), REQUESTS (200000), THREADS (2).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHARDIS=${SHARDIS:-build/shardis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
THREADS=${THREADS:-2}

for tool in "$SHARDIS" "$REDIS" redis-benchmark openssl; do
    command -v "$tool" >/dev/null || { echo "tls.sh: $tool not found" >&2; exit 1; }
done
if ! redis-benchmark --help 2>&1 | grep -q -- --tls; then
    echo "tls.sh: redis-benchmark has no TLS support; skipping the TLS rows" >&2
    exit 0
fi

dir=$(mktemp -d /tmp/shardis-tlsbench-XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

(
    cd "$dir"
    ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    openssl req -x509 -new -nodes $ec -keyout ca.key -out ca.crt -days 2 -subj "/CN=Bench CA"
    for name in server client; do
        openssl req -new -nodes $ec -keyout $name.key -out $name.csr -subj "/CN=$name"
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > $name.ext
        openssl x509 -req -in $name.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile $name.ext \
            -out $name.crt
    done
) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }

port=$((20000 + RANDOM % 20000))
tls_port=$((port + 1))
tls_args=(--tls-port "$tls_port" --tls-cert-file "$dir/server.crt" --tls-key-file "$dir/server.key"
          --tls-ca-cert-file "$dir/ca.crt" --tls-auth-clients yes)

start_server() { # name
    if [ "$1" = shardis ]; then
        "$SHARDIS" --port "$port" --bind 127.0.0.1 --threads "$THREADS" --loglevel warning "${tls_args[@]}" \
            >"$dir/server.log" 2>&1 &
    else
        "$REDIS" --port "$port" --bind 127.0.0.1 --save "" --appendonly no "${tls_args[@]}" \
            >"$dir/server.log" 2>&1 &
    fi
    server_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    echo "tls.sh: $1 did not start:" >&2; cat "$dir/server.log" >&2; exit 1
}

stop_server() {
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}

# rps of one run: redis-benchmark --csv prints "test","rps",...
run_bench() { # test pipeline
    redis-benchmark -p "$tls_port" --tls --cacert "$dir/ca.crt" --cert "$dir/client.crt" --key "$dir/client.key" \
        -t "$1" -P "$2" -c 50 -n "$REQUESTS" -d 64 -r 1000000 --csv 2>/dev/null |
        awk -F'"' 'NR > 1 && $2 != "" { print $4; exit }'
}

declare -A results
for round in $(seq "$ROUNDS"); do
    for server in shardis redis; do
        start_server "$server"
        for test in set get; do
            for pipeline in 1 16; do
                rps=$(run_bench "$test" "$pipeline")
                [ -n "$rps" ] || { echo "tls.sh: no result for $server $test -P $pipeline" >&2; exit 1; }
                results[$server,$test,$pipeline]+="$rps "
            done
        done
        stop_server
    done
done


echo
echo "TLS (redis-benchmark --tls, mutual TLS, -c 50 -d 64, $REQUESTS requests, median of $ROUNDS rounds;"
echo "shardis --threads $THREADS, redis-server default)"
printf '%-6s %-3s %14s %14s %8s\n' test -P shardis redis ratio
for test in set get; do
    for pipeline in 1 16; do
        s=$(echo "${results[shardis,$test,$pipeline]}" | median_low)
        r=$(echo "${results[redis,$test,$pipeline]}" | median_low)
        printf '%-6s %-3s %14s %14s %8s\n' "$test" "$pipeline" "$s" "$r" "$(awk -v s="$s" -v r="$r" 'BEGIN { printf "%.2f", s / r }')"
    done
done
