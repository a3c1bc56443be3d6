#!/usr/bin/env python3
"""test/bench/pubsub_load.py - pub/sub load for test/bench/pubsub.sh.

    pubsub_load.py PORT throughput SUBSCRIBERS MESSAGES
        SUBSCRIBERS connections SUBSCRIBE to one channel; one publisher
        connection sends MESSAGES PUBLISHes (32-byte payloads), pipelined,
        at most WINDOW in flight. Prints "delivered_per_s publishes_per_s":
        messages received by all subscribers together per second, from the
        first PUBLISH sent to the last message received, and the PUBLISH
        rate over the same time. Every subscriber must get every message
        (checked by byte count: every frame has the same size).

    pubsub_load.py PORT latency SUBSCRIBERS RATE SECONDS
        The same subscribers; the publisher sends RATE PUBLISHes a second
        for SECONDS, each carrying its send time (perf_counter_ns). Prints
        "p50_ms p99_ms": publish-to-receive latency over every message at
        every subscriber.

One process and one thread for all connections (selectors), the same for
both servers, so the numbers compare servers, not absolute capacity.
"""
import re
import selectors
import socket
import sys
import time

CHANNEL = b"ch"
WINDOW = 512


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def subscribe_all(port, n):
    subs = []
    for _ in range(n):
        s = connect(port)
        s.sendall(cmd(b"SUBSCRIBE", CHANNEL))
        subs.append(s)
    want = len(b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
    for s in subs:
        got = b""
        while len(got) < want:
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("subscriber closed before its confirmation")
            got += chunk
        s.setblocking(False)
    return subs


def frame_len(payload_len):
    return len(b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$%d\r\n" % payload_len) + payload_len + 2


def throughput(port, nsubs, messages):
    subs = subscribe_all(port, nsubs)
    pub = connect(port)
    pub.setblocking(False)
    sel = selectors.DefaultSelector()
    for s in subs:
        sel.register(s, selectors.EVENT_READ, "sub")
    sel.register(pub, selectors.EVENT_READ, "pub")
    payload = b"x" * 32
    one = cmd(b"PUBLISH", CHANNEL, payload)
    per_frame = frame_len(len(payload))
    want_bytes = per_frame * messages * nsubs
    got_bytes = 0
    sent = acked = 0
    pub_in = b""
    t0 = time.perf_counter()
    t_pub_done = None
    while got_bytes < want_bytes:
        if sent < messages and sent - acked < WINDOW:
            n = min(64, messages - sent, WINDOW - (sent - acked))
            pub.setblocking(True)
            pub.sendall(one * n)
            pub.setblocking(False)
            sent += n
        for key, _ in sel.select(timeout=0 if sent < messages and sent - acked < WINDOW else 1.0):
            s = key.fileobj
            try:
                data = s.recv(1 << 20)
            except BlockingIOError:
                continue
            if not data:
                raise SystemExit("a connection closed")
            if key.data == "pub":
                pub_in += data
                lines = pub_in.count(b"\r\n")
                acked += lines
                pub_in = pub_in[pub_in.rfind(b"\r\n") + 2:] if lines else pub_in
                if acked >= messages and t_pub_done is None:
                    t_pub_done = time.perf_counter()
            else:
                got_bytes += len(data)
        if time.perf_counter() - t0 > 120:
            raise SystemExit("timeout: %d of %d bytes delivered" % (got_bytes, want_bytes))
    t1 = time.perf_counter()
    if t_pub_done is None:
        t_pub_done = t1
    print("%.0f %.0f" % (messages * nsubs / (t1 - t0), messages / (t_pub_done - t0)))


def latency(port, nsubs, rate, seconds):
    subs = subscribe_all(port, nsubs)
    pub = connect(port)
    pub.setblocking(False)
    sel = selectors.DefaultSelector()
    for s in subs:
        sel.register(s, selectors.EVENT_READ, b"")
    sel.register(pub, selectors.EVENT_READ, None)
    pattern = re.compile(rb"\$20\r\n(\d{20})\r\n")
    lat = []
    total = int(rate * seconds)
    interval = 1.0 / rate
    start = time.perf_counter()
    sent = 0
    pending = {s: b"" for s in subs}
    deadline = start + seconds + 5
    while (sent < total or len(lat) < total * nsubs) and time.perf_counter() < deadline:
        now = time.perf_counter()
        while sent < total and start + sent * interval <= now:
            stamp = b"%020d" % time.perf_counter_ns()
            pub.setblocking(True)
            pub.sendall(cmd(b"PUBLISH", CHANNEL, stamp))
            pub.setblocking(False)
            sent += 1
        for key, _ in sel.select(timeout=interval / 2):
            s = key.fileobj
            try:
                data = s.recv(1 << 20)
            except BlockingIOError:
                continue
            if key.data is None:
                continue  # PUBLISH replies
            now_ns = time.perf_counter_ns()
            buf = pending[s] + data
            last = 0
            for m in pattern.finditer(buf):
                lat.append((now_ns - int(m.group(1))) / 1e6)
                last = m.end()
            pending[s] = buf[last:]
    if len(lat) < total * nsubs:
        raise SystemExit("only %d of %d messages arrived" % (len(lat), total * nsubs))
    lat.sort()
    print("%.3f %.3f" % (lat[len(lat) // 2], lat[int(len(lat) * 0.99)]))


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "throughput":
        throughput(port, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "latency":
        latency(port, int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    else:
        raise SystemExit("mode: throughput or latency")


if __name__ == "__main__":
    main()
