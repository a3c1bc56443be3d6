/*
 * pubsub_load.c - pub/sub load generator for test/bench/pubsub.sh (built
 * by the script: cc -O2 -pthread). The same process drives both servers,
 * so the figures compare servers.
 *
 *   pubsub_load PORT throughput SUBSCRIBERS MESSAGES
 *       SUBSCRIBERS connections SUBSCRIBE to one channel; one publisher
 *       connection (its own thread) sends MESSAGES PUBLISHes of 32 bytes,
 *       pipelined, at most WINDOW in flight. Prints "delivered_per_s
 *       publishes_per_s": messages received by all subscribers together
 *       per second, from the first PUBLISH sent to the last message
 *       received, and the PUBLISH rate (first sent to last reply). Every
 *       subscriber must get every message: every frame has the same size,
 *       so each subscriber must read exactly MESSAGES frames of bytes.
 *
 *   pubsub_load PORT latency SUBSCRIBERS RATE SECONDS
 *       The same subscribers; the publisher sends RATE PUBLISHes a second
 *       for SECONDS, each carrying its send time (CLOCK_MONOTONIC ns, 20
 *       digits). Prints "p50_ms p99_ms": publish-to-receive latency over
 *       every message at every subscriber.
 *
 * Threads: LOAD_THREADS reader threads (default 2), each with its own
 * epoll set holding a share of the subscribers, plus the publisher thread.
 * Readers touch only their own subscribers; the shared counters are
 * atomics; latencies go to per-thread arrays merged at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WINDOW 512
#define CHANNEL "ch"
#define TIMEOUT_S 120

static int port;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "pubsub_load: %s\n", what);
    exit(1);
}

static int connect_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket failed (file descriptor limit?)");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        die("connect failed");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, 1000);
            continue;
        }
        if (w <= 0)
            die("send failed");
        p += w;
        n -= (size_t)w;
    }
}

/* ---------------- subscribers ---------------- */

struct sub {
    int fd;
    size_t got;      /* bytes read */
    size_t frame_at; /* latency: bytes of the current frame read so far */
    char frame[128]; /* latency: the current frame */
};

struct reader {
    pthread_t th;
    int epfd;
    struct sub *subs;
    int nsubs, ndone;
    size_t want;      /* throughput: bytes each subscriber must read */
    size_t frame_len; /* latency: bytes per frame */
    int latency_mode;
    double *lat; /* latency: ms, per message */
    size_t nlat, cap;
    int64_t done_ns; /* throughput: when its last subscriber had everything */
};

static atomic_int stop_readers;
static size_t expected_frames; /* latency: frames each subscriber will get */

static void latency_bytes(struct reader *r, struct sub *s, const char *p, size_t n)
{
    while (n) {
        size_t take = r->frame_len - s->frame_at;
        if (take > n)
            take = n;
        memcpy(s->frame + s->frame_at, p, take);
        s->frame_at += take;
        p += take;
        n -= take;
        if (s->frame_at == r->frame_len) {
            /* the stamp: 20 digits before the final CRLF */
            int64_t sent = 0;
            for (size_t i = r->frame_len - 22; i < r->frame_len - 2; i++)
                sent = sent * 10 + (s->frame[i] - '0');
            if (r->nlat == r->cap) {
                r->cap = r->cap ? r->cap * 2 : 4096;
                r->lat = realloc(r->lat, sizeof(double) * r->cap);
            }
            r->lat[r->nlat++] = (double)(now_ns() - sent) / 1e6;
            s->frame_at = 0;
        }
    }
}

static void *reader_run(void *arg)
{
    struct reader *r = arg;
    static __thread char buf[1 << 18];
    struct epoll_event ev[256];
    int64_t deadline = now_ns() + (int64_t)TIMEOUT_S * 1000000000LL;
    while (r->ndone < r->nsubs && !atomic_load(&stop_readers)) {
        int n = epoll_wait(r->epfd, ev, 256, 100);
        if (now_ns() > deadline)
            die("timeout: a subscriber did not get every message");
        for (int i = 0; i < n; i++) {
            struct sub *s = ev[i].data.ptr;
            for (;;) {
                ssize_t got = recv(s->fd, buf, sizeof(buf), 0);
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                    break;
                if (got <= 0)
                    die("a subscriber connection closed");
                s->got += (size_t)got;
                if (r->latency_mode)
                    latency_bytes(r, s, buf, (size_t)got);
                if ((size_t)got < sizeof(buf))
                    break;
            }
            size_t want = r->latency_mode ? expected_frames * r->frame_len : r->want;
            if (s->got >= want && want) {
                if (s->got > want)
                    die("a subscriber got more bytes than published");
                epoll_ctl(r->epfd, EPOLL_CTL_DEL, s->fd, NULL);
                r->ndone++;
                r->done_ns = now_ns();
            }
        }
    }
    return NULL;
}

static struct reader *readers;
static int nreaders;

static void subscribe_all(int nsubs, int latency_mode, size_t frame_len, size_t want)
{
    const char req[] = "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\n" CHANNEL "\r\n";
    const char confirm[] = "*3\r\n$9\r\nsubscribe\r\n$2\r\n" CHANNEL "\r\n:1\r\n";
    char *env = getenv("LOAD_THREADS");
    nreaders = env ? atoi(env) : 2;
    if (nreaders < 1)
        nreaders = 1;
    if (nreaders > nsubs)
        nreaders = nsubs;
    readers = calloc((size_t)nreaders, sizeof(*readers));
    for (int t = 0; t < nreaders; t++) {
        readers[t].epfd = epoll_create1(0);
        readers[t].subs = calloc((size_t)nsubs / (size_t)nreaders + 1, sizeof(struct sub));
        readers[t].latency_mode = latency_mode;
        readers[t].frame_len = frame_len;
        readers[t].want = want;
    }
    int *fds = malloc(sizeof(int) * (size_t)nsubs);
    for (int i = 0; i < nsubs; i++) {
        fds[i] = connect_port();
        send_all(fds[i], req, sizeof(req) - 1);
    }
    for (int i = 0; i < nsubs; i++) {
        char got[64];
        size_t have = 0;
        while (have < sizeof(confirm) - 1) {
            ssize_t n = recv(fds[i], got + have, sizeof(confirm) - 1 - have, 0);
            if (n <= 0)
                die("subscriber closed before its confirmation");
            have += (size_t)n;
        }
        if (memcmp(got, confirm, sizeof(confirm) - 1))
            die("unexpected SUBSCRIBE reply");
        struct reader *r = &readers[i % nreaders];
        struct sub *s = &r->subs[r->nsubs++];
        s->fd = fds[i];
        if (fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK) != 0)
            die("fcntl failed");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
        epoll_ctl(r->epfd, EPOLL_CTL_ADD, s->fd, &ev);
    }
    free(fds);
}

static void start_readers(void)
{
    for (int t = 0; t < nreaders; t++)
        pthread_create(&readers[t].th, NULL, reader_run, &readers[t]);
}

static void join_readers(void)
{
    for (int t = 0; t < nreaders; t++)
        pthread_join(readers[t].th, NULL);
}

/* ---------------- publisher ---------------- */

/* Reads the PUBLISH replies there are (each one line ":N\r\n"); returns
 * how many arrived. block: wait for at least one. */
static long read_replies(int fd, int block)
{
    static __thread char buf[1 << 16];
    long lines = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), block && !lines ? 0 : MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return lines;
        if (n <= 0)
            die("the publisher connection closed");
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
        if ((size_t)n < sizeof(buf))
            return lines;
    }
}

static int throughput(int nsubs, long messages)
{
    const char payload[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; /* 32 bytes */
    char frame[128];
    size_t frame_len =
        (size_t)snprintf(frame, sizeof(frame), "*3\r\n$7\r\nmessage\r\n$2\r\n" CHANNEL "\r\n$%zu\r\n%s\r\n",
                         sizeof(payload) - 1, payload);
    subscribe_all(nsubs, 0, 0, frame_len * (size_t)messages);
    char one[128];
    size_t one_len = (size_t)snprintf(one, sizeof(one), "*3\r\n$7\r\nPUBLISH\r\n$2\r\n" CHANNEL "\r\n$%zu\r\n%s\r\n",
                                      sizeof(payload) - 1, payload);
    char *batch = malloc(one_len * 64);
    for (int i = 0; i < 64; i++)
        memcpy(batch + one_len * (size_t)i, one, one_len);
    int pub = connect_port();
    start_readers();
    int64_t t0 = now_ns();
    long sent = 0, acked = 0;
    while (acked < messages) {
        if (sent < messages && sent - acked < WINDOW) {
            long n = messages - sent;
            if (n > 64)
                n = 64;
            if (n > WINDOW - (sent - acked))
                n = WINDOW - (sent - acked);
            send_all(pub, batch, one_len * (size_t)n);
            sent += n;
            acked += read_replies(pub, 0);
        } else {
            acked += read_replies(pub, 1);
        }
    }
    int64_t t_pub = now_ns();
    join_readers();
    int64_t t1 = t0;
    for (int t = 0; t < nreaders; t++)
        if (readers[t].done_ns > t1)
            t1 = readers[t].done_ns;
    printf("%.0f %.0f\n", (double)messages * nsubs / ((double)(t1 - t0) / 1e9),
           (double)messages / ((double)(t_pub - t0) / 1e9));
    free(batch);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int latency(int nsubs, double rate, double seconds)
{
    size_t frame_len = strlen("*3\r\n$7\r\nmessage\r\n$2\r\n" CHANNEL "\r\n$20\r\n") + 20 + 2;
    long total = (long)(rate * seconds);
    expected_frames = (size_t)total;
    subscribe_all(nsubs, 1, frame_len, 0);
    int pub = connect_port();
    start_readers();
    int64_t start = now_ns(), interval = (int64_t)(1e9 / rate);
    for (long sent = 0; sent < total;) {
        int64_t now = now_ns();
        while (sent < total && start + sent * interval <= now) {
            char req[128];
            int n = snprintf(req, sizeof(req), "*3\r\n$7\r\nPUBLISH\r\n$2\r\n" CHANNEL "\r\n$20\r\n%020lld\r\n",
                             (long long)now_ns());
            send_all(pub, req, (size_t)n);
            sent++;
        }
        read_replies(pub, 0);
        int64_t next = start + sent * interval - now_ns();
        if (next > 0) {
            struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
            nanosleep(&ts, NULL);
        }
    }
    join_readers();
    size_t n = 0;
    for (int t = 0; t < nreaders; t++)
        n += readers[t].nlat;
    if (n < (size_t)total * (size_t)nsubs)
        die("not every message arrived");
    double *all = malloc(sizeof(double) * n);
    size_t at = 0;
    for (int t = 0; t < nreaders; t++) {
        memcpy(all + at, readers[t].lat, sizeof(double) * readers[t].nlat);
        at += readers[t].nlat;
    }
    qsort(all, n, sizeof(double), cmp_double);
    printf("%.3f %.3f\n", all[n / 2], all[(size_t)((double)n * 0.99)]);
    free(all);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        die("usage: pubsub_load PORT throughput SUBSCRIBERS MESSAGES | PORT latency SUBSCRIBERS RATE SECONDS");
    port = atoi(argv[1]);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!strcmp(argv[2], "throughput"))
        return throughput(atoi(argv[3]), atol(argv[4]));
    if (!strcmp(argv[2], "latency") && argc >= 6)
        return latency(atoi(argv[3]), atof(argv[4]), atof(argv[5]));
    die("mode: throughput or latency");
    return 1;
}
