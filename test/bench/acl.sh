#!/usr/bin/env bash
# test/bench/acl.sh - the cost of ACL checks: shardis with the default user
# (every permission: the check is skipped) against the same server with a user
# restricted by key patterns and categories (every command's keys matched).
#
# Run from the repository root (`make bench` calls it).
#
# What it measures
#   SET and GET (-d 64, keys key:__rand_int__ over -r 1000000), 50 clients,
#   pipeline 1 and 16, ROUNDS rounds alternating default / restricted on one
#   shardis server (--threads THREADS); reported: the median requests per
#   second per row and restricted/default. The restricted user is
#   `on >benchpw ~key:* ~other:* %R~ro:* -@all +@string +@connection +@keyspace`.
#   Target (issue 7): restricted at most 5% slower than default.
#
# Environment: SHARDIS (default build/shardis-server), ROUNDS (5),
# REQUESTS (200000), THREADS (2).
set -euo pipefail

SHARDIS=${SHARDIS:-build/shardis-server}
ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-200000}
THREADS=${THREADS:-2}

command -v redis-benchmark >/dev/null || { echo "acl.sh: redis-benchmark not found" >&2; exit 1; }
port=$((20000 + RANDOM % 20000))
"$SHARDIS" --port "$port" --bind 127.0.0.1 --threads "$THREADS" --loglevel warning >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ACL SETUSER bench on '>benchpw' '~key:*' '~other:*' '%R~ro:*' -@all +@string +@connection \
    +@keyspace >/dev/null

rate() { # user-args... -> requests per second of the single test run
    redis-benchmark -p "$port" -c 50 -n "$REQUESTS" -d 64 -r 1000000 -q "$@" 2>/dev/null |
        awk -F'[: ]+' '/requests per second/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { print $i; exit } }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '%-6s %-3s %14s %14s %8s\n' test P default restricted ratio
for t in set get; do
    for p in 1 16; do
        d=() r=()
        for _ in $(seq "$ROUNDS"); do
            d+=("$(rate -t "$t" -P "$p")")
            r+=("$(rate -t "$t" -P "$p" --user bench -a benchpw)")
        done
        md=$(printf '%s\n' "${d[@]}" | median)
        mr=$(printf '%s\n' "${r[@]}" | median)
        printf '%-6s %-3s %14.0f %14.0f %8.3f\n' "$t" "$p" "$md" "$mr" "$(awk -v a="$mr" -v b="$md" 'BEGIN { print a / b }')"
    done
done
