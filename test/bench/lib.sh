# test/bench/lib.sh - helpers the benchmark scripts share; source it with
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides: free_port (a loopback TCP port nobody listens on right now, on
# stdout; needs python3) and median_low (the lower median of the numbers on
# stdin, separated by spaces or newlines).

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

median_low() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
