#!/usr/bin/env python3
"""Regenerates the seeds of fuzz_rdb (test/fuzz/rdb/seeds) with the installed
redis-server 7.0.15: small RDB files of every type and encoding (streams with a group,
several
dbs, TTLs, LZF strings) and the DUMP payload of every key. Usage:
    python3 test/fuzz/rdb/make_seeds.py [seeds-dir]
Starts its own redis-server on a free loopback port in a temp dir and
stops it by PID."""
import os, shutil, socket, subprocess, sys, tempfile, time

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        i = self.buf.index(b"\r\n")
        l, self.buf = self.buf[:i], self.buf[i + 2:]
        return l
    def _reply(self):
        l = self._line()
        t, rest = l[:1], l[1:]
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(65536)
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b"*":
            return [self._reply() for _ in range(int(rest))]
        if t == b"-":
            raise RuntimeError(rest.decode())
        return rest
    def call(self, *args):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        return self._reply()

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "seeds")
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rdb-seeds-")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--dir", work, "--dbfilename", "dump.rdb"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                c = Conn(port)
                c.call("PING")
                break
            except OSError:
                time.sleep(0.05)
        c.call("SET", "str", "hello")
        c.call("SET", "int", "-12345")
        c.call("SET", "lzf", "ab" * 40)
        c.call("RPUSH", "list", "a", "1", "-300", "70000", "x" * 70)
        c.call("SADD", "intset", "1", "-2", "100000", "-5000000000")
        c.call("SADD", "set", "a", "b", "c")
        c.call("HSET", "hash", "f", "v", "n", "12")
        c.call("ZADD", "zset", "1.5", "a", "-inf", "b", "3", "c")
        c.call("CONFIG", "SET", "zset-max-listpack-entries", "2")
        c.call("ZADD", "zskip", "1", "a", "2", "b", "3", "c")
        c.call("CONFIG", "SET", "hash-max-listpack-entries", "2")
        c.call("HSET", "htable", "a", "1", "b", "2", "c", "3")
        c.call("SET", "ttl", "v", "PX", "100000000")
        # a stream: two nodes, a deletion, a group with a PEL over two
        # consumers and one with nothing pending
        c.call("CONFIG", "SET", "stream-node-max-entries", "3")
        for i in range(1, 6):
            c.call("XADD", "stream", "%d-%d" % (i, i % 2), "a", str(i), "b", "v%d" % i)
        c.call("XADD", "stream", "6-0", "other", "x")
        c.call("XDEL", "stream", "2-0")
        c.call("XGROUP", "CREATE", "stream", "g", "0")
        c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "stream", ">")
        c.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "stream", ">")
        c.call("XGROUP", "CREATECONSUMER", "stream", "g", "carol")
        c.call("XGROUP", "CREATE", "stream", "g2", "$")
        c.call("SELECT", "2")
        c.call("SET", "db2", "x")
        c.call("SELECT", "0")
        for k in c.call("KEYS", "*"):
            with open(os.path.join(out, "dump-" + k.decode() + ".bin"), "wb") as f:
                f.write(c.call("DUMP", k))
        c.call("SAVE")
        shutil.copy(os.path.join(work, "dump.rdb"), os.path.join(out, "all-types.rdb"))
        c.call("CONFIG", "SET", "rdbcompression", "no")
        c.call("SAVE")
        shutil.copy(os.path.join(work, "dump.rdb"), os.path.join(out, "all-types-uncompressed.rdb"))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)

main()
