/*
 * trackbench.c - GET throughput with and without client-side caching
 * (CLIENT TRACKING ON), which redis-benchmark cannot turn on.
 *
 * Like redis-benchmark: one thread, one epoll loop over CLIENTS connections;
 * each connection writes PIPELINE GETs of random keys ("key:N", N below
 * KEYSPACE, the keys SET by the caller beforehand) at once, waits for all of
 * their replies, then writes the next batch, until REQUESTS GETs are done.
 * Every connection first sends HELLO 3, and with --tracking on also CLIENT
 * TRACKING on, so both runs speak the same protocol and differ only in the
 * server recording every key read. Push frames (invalidations, if something
 * writes meanwhile) are counted and skipped.
 *
 * The run has two phases of REQUESTS GETs each on the same connections:
 * "cold", where with tracking on most GETs read a key for the first time on
 * their connection (the server adds an entry), and "warm", where most keys
 * were read before by the same connection (the entry is there already;
 * with KEYSPACE well below REQUESTS / CLIENTS). With --pid PID (the server's)
 * the server's CPU time (user + system, /proc/PID/stat) per GET of each
 * phase is measured too.
 *
 * Every reply is checked to be a bulk string or a null; an error, a closed
 * connection or no reply for 30 s ends the run with status 1. Output: one
 * line "<cold GETs/s> <warm GETs/s> <cold server CPU ns/GET> <warm server CPU
 * ns/GET> <pushes>" (the CPU figures 0 without PID).
 *
 * Usage: shardis-trackbench PORT on|off [CLIENTS 50] [REQUESTS 1000000]
 *        [PIPELINE 16] [KEYSPACE 100000] [PID]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
    int fd;
    char *in;
    size_t len, cap;
    long pending; /* replies still expected of the batch in flight */
    int setup;    /* replies of HELLO (and CLIENT TRACKING) still expected */
};

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* User + system time of process pid in ns (0 when unknown). */
static double cpu_ns(int pid)
{
    if (pid <= 0)
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * 1e9 / (double)sysconf(_SC_CLK_TCK);
}

static void die(const char *what)
{
    fprintf(stderr, "trackbench: %s\n", what);
    exit(1);
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) { /* the batches are small: wait for room */
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (w <= 0)
            die("write failed");
        p += w;
        n -= (size_t)w;
    }
}

/* Length of one complete RESP value at p (n bytes), 0 if incomplete; *kind
 * gets its type byte. Aggregates are walked element by element. */
static size_t resp_skip(const char *p, size_t n, char *kind)
{
    const char *eol = memchr(p, '\r', n);
    if (!eol || (size_t)(eol - p) + 2 > n)
        return 0;
    size_t head = (size_t)(eol - p) + 2;
    *kind = p[0];
    long long v = atoll(p + 1);
    switch (p[0]) {
    case '$':
    case '=':
    case '!':
        if (v < 0)
            return head;
        return head + (size_t)v + 2 <= n ? head + (size_t)v + 2 : 0;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
        long long items = v < 0 ? 0 : (p[0] == '%' || p[0] == '|') ? 2 * v : v;
        size_t off = head;
        for (long long i = 0; i < items; i++) {
            char k;
            size_t len = resp_skip(p + off, n - off, &k);
            if (!len)
                return 0;
            off += len;
        }
        return off;
    }
    default:
        return head;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
        fprintf(stderr, "usage: %s PORT on|off [CLIENTS] [REQUESTS] [PIPELINE] [KEYSPACE]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    int tracking = !strcmp(argv[2], "on");
    int nclients = argc > 3 ? atoi(argv[3]) : 50;
    long long requests = argc > 4 ? atoll(argv[4]) : 1000000;
    int pipeline = argc > 5 ? atoi(argv[5]) : 16;
    long long keyspace = argc > 6 ? atoll(argv[6]) : 100000;
    int pid = argc > 7 ? atoi(argv[7]) : 0;
    if (nclients < 1 || requests < 1 || pipeline < 1 || keyspace < 1)
        return 2;
    int ep = epoll_create1(0);
    struct conn *cs = calloc((size_t)nclients, sizeof(*cs));
    const char *hello = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n";
    const char *track = "*3\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\non\r\n";
    for (int i = 0; i < nclients; i++) {
        struct conn *c = &cs[i];
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(0x7f000001);
        if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            die("connect failed");
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->cap = 1 << 16;
        c->in = malloc(c->cap);
        send_all(c->fd, hello, strlen(hello));
        c->setup = 1;
        if (tracking) {
            send_all(c->fd, track, strlen(track));
            c->setup = 2;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    unsigned long long rng = 0x9e3779b97f4a7c15ULL;
    long long sent = 0, done = 0, pushes = 0, t0 = 0, total = 2 * requests, t_cold = 0;
    double cpu0 = 0, cpu_cold = 0;
    char batch[1 << 14];
    struct epoll_event evs[256];
    int ready = 0;
    while (done < total) {
        int n = epoll_wait(ep, evs, 256, 30000);
        if (n <= 0)
            die("no reply for 30 s");
        for (int e = 0; e < n; e++) {
            struct conn *c = evs[e].data.ptr;
            if (c->len == c->cap) {
                c->cap *= 2;
                c->in = realloc(c->in, c->cap);
            }
            ssize_t r = read(c->fd, c->in + c->len, c->cap - c->len);
            if (r <= 0)
                die("connection closed");
            c->len += (size_t)r;
            size_t off = 0;
            for (;;) {
                char kind;
                size_t len = resp_skip(c->in + off, c->len - off, &kind);
                if (!len)
                    break;
                off += len;
                if (kind == '>') {
                    pushes++;
                    continue;
                }
                if (kind == '-')
                    die("error reply");
                if (c->setup) {
                    if (--c->setup == 0 && ++ready == nclients) {
                        t0 = now_us();
                        cpu0 = cpu_ns(pid);
                    }
                    continue;
                }
                if (kind != '$' && kind != '_')
                    die("unexpected reply");
                c->pending--;
                if (++done == requests) { /* end of the cold phase */
                    t_cold = now_us();
                    cpu_cold = cpu_ns(pid);
                }
            }
            memmove(c->in, c->in + off, c->len - off);
            c->len -= off;
        }
        if (ready < nclients)
            continue;
        for (int i = 0; i < nclients; i++) {
            struct conn *c = &cs[i];
            /* the warm phase starts when every cold reply is in */
            long long limit = done < requests ? requests : total;
            if (c->pending || sent >= limit)
                continue;
            size_t blen = 0;
            int k = 0;
            for (; k < pipeline && sent < limit; k++, sent++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                char key[32];
                int klen =
                    snprintf(key, sizeof(key), "key:%llu", (unsigned long long)(rng % (unsigned long long)keyspace));
                blen +=
                    (size_t)snprintf(batch + blen, sizeof(batch) - blen, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", klen, key);
            }
            c->pending = k;
            send_all(c->fd, batch, blen);
        }
    }
    long long t_end = now_us();
    double cpu_end = cpu_ns(pid);
    printf("%.0f %.0f %.0f %.0f %lld\n", (double)requests / ((double)(t_cold - t0) / 1e6),
           (double)requests / ((double)(t_end - t_cold) / 1e6), pid ? (cpu_cold - cpu0) / (double)requests : 0,
           pid ? (cpu_end - cpu_cold) / (double)requests : 0, pushes);
    return 0;
}
