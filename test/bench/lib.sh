# test/bench/lib.sh - helpers the benchmark scripts share; source it with
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides: free_port (a loopback TCP port nobody listens on right now, on
# stdout; needs python3), wait_ping (polls a port every millisecond until it
# answers PING; prints the seconds since a given start), wait_ping_cli (the
# same through redis-cli, every 0.1 s, 10 s at most) and median_low (the
# lower median of the numbers on stdin, separated by spaces or newlines).

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

median_low() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

wait_ping() { # port [start time (unix s), default now] -> seconds from start until PONG
    python3 - "$1" "${2:-}" <<'PY'
import socket, sys, time
port = int(sys.argv[1]); t0 = float(sys.argv[2]) if sys.argv[2] else time.time()
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.sendall(b"PING\r\n")
        if s.recv(64).startswith(b"+PONG"):
            break
    except OSError:
        pass
    time.sleep(0.001)
print("%.3f" % (time.time() - t0))
PY
}

wait_ping_cli() { # port
    for _ in $(seq 100); do
        redis-cli -p "$1" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
}
