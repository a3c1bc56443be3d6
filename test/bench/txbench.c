/*
 * txbench.c - load generator for what redis-benchmark cannot send: MULTI/EXEC
 * transactions, and MSETs whose keys share one hash tag that changes from
 * command to command.
 *
 * redis-benchmark replaces every "__rand_int__" of a custom command with its
 * own random number, so "MSET {t__rand_int__}:1 v {t__rand_int__}:2 v" spreads
 * over many tags, and it sends one command per request, so it cannot send
 * MULTI, INCR..., EXEC as one transaction. txbench does both, the way
 * redis-benchmark works otherwise: one thread, one epoll loop over CLIENTS
 * connections; each connection writes PIPELINE operations at once, waits for
 * all of their replies, then writes the next PIPELINE operations, until
 * REQUESTS operations are done. An operation is one transaction
 * (MULTI, KEYS x INCR, EXEC: KEYS + 2 commands, KEYS + 2 replies) or one
 * MSET of KEYS keys.
 *
 * Every reply is checked: +OK for MULTI and MSET, +QUEUED for each INCR, and
 * for EXEC an array of KEYS integers. The first unexpected reply, a closed
 * connection or no reply for --timeout seconds ends the run with exit status 1
 * and a message on stderr, so a script can tell a failed run from a slow one.
 * Bad arguments print the usage and exit with status 2.
 *
 * Keys (N is a random number below KEYSPACE written as 12 digits, like
 * redis-benchmark's __rand_int__; i = 1..KEYS; PREFIX is "incr" or "mset"):
 *   random  PREFIXi:N, one N per key: the keys of an operation are spread
 *           over the shards
 *   tag     {tN}:PREFIXi, one N per operation: all keys of an operation share
 *           a hash tag (one shard), operations spread over the shards
 *   fixed   {t}:PREFIXi:N: one constant hash tag, every operation on one shard
 *
 * The commands are formatted once into a template (hiredis) and only the
 * digits are rewritten per operation, so the client spends its CPU on the
 * socket, as redis-benchmark does. Replies are parsed with hiredis's reader.
 *
 * Output: a summary, or with --csv the header and one line in
 * redis-benchmark's --csv format ("test","rps","avg_latency_ms",
 * "min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",
 * "max_latency_ms"); rps counts operations (transactions or MSETs). Latency
 * of an operation: from writing its batch to its last reply.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the CMake build defines it; for stand-alone builds */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RAND_PLACEHOLDER "__rand_int__" /* 12 characters, replaced by 12 digits */
#define RAND_DIGITS 12
#define READ_CHUNK 65536
#define MAX_KEYS 1000
/* latency histogram: 1 us buckets below 100 ms, 1 ms buckets up to 100 s */
#define FINE_BUCKETS 100000
#define COARSE_BUCKETS 100000

enum mode { MODE_MULTI, MODE_MSET };
enum scheme { SCHEME_RANDOM, SCHEME_TAG, SCHEME_FIXED };

struct options {
    const char *host;
    int port;
    int clients;
    long long requests;
    int pipeline;
    long long keyspace;
    int datasize;
    enum mode mode;
    int keys;
    enum scheme scheme;
    const char *name;
    bool csv;
    uint64_t seed;
    int timeout_seconds;
};

/* One operation's commands, formatted once; the random digits are rewritten
 * in place for every operation. */
struct op_template {
    char *bytes;
    size_t len;
    size_t *field_offsets; /* where each RAND_DIGITS-digit field starts */
    int *field_groups;     /* fields of one group get the same number */
    int fields;
    int groups;
    int replies; /* replies one operation gets */
};

struct connection {
    int fd;
    redisReader *reader;
    char *out; /* the batch being written */
    size_t out_len, out_sent, out_cap;
    bool want_write; /* EPOLLOUT is armed */
    int ops_in_flight;
    int replies_into_op; /* replies of the oldest in-flight op already checked */
    uint64_t batch_start_ns;
};

struct run {
    struct options opt;
    struct op_template tmpl;
    struct connection *conns;
    int epoll_fd;
    long long issued, completed;
    uint64_t rng_state;
    uint64_t fine[FINE_BUCKETS];
    uint64_t coarse[COARSE_BUCKETS];
    uint64_t latency_sum_us, latency_min_us, latency_max_us;
};

static void fail(const char *fmt, ...)
{
    va_list ap;
    fputs("txbench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        fail("out of memory (%zu bytes)", n);
    return p;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t next_random(struct run *run) /* xorshift64* */
{
    uint64_t x = run->rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    run->rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---------------------------------------------------------------- usage */

static void usage(FILE *to)
{
    fprintf(to, "Usage: shardis-txbench [options]\n"
                "Load generator for MULTI/EXEC transactions and hash-tagged MSETs (see test/bench/txbench.c).\n"
                "\n"
                "  -h HOST          server host                                  (127.0.0.1)\n"
                "  -p PORT          server port                                  (6379)\n"
                "  -c CLIENTS       connections, all driven by one thread        (50)\n"
                "  -n REQUESTS      operations in total (transactions or MSETs)  (100000)\n"
                "  -P PIPELINE      operations written at once per connection    (1)\n"
                "  -r KEYSPACE      random numbers in keys are below KEYSPACE    (1000000)\n"
                "  -d DATASIZE      MSET value size in bytes                     (64)\n"
                "  -m MODE          multi: MULTI, KEYS x INCR key, EXEC          (multi)\n"
                "                   mset:  MSET key value ... (KEYS pairs)\n"
                "  -k KEYS          keys per operation                (multi: 4, mset: 10)\n"
                "  -s SCHEME        random: PREFIXi:N, one N per key (keys spread over shards)  (random)\n"
                "                   tag:    {tN}:PREFIXi, one N per operation (one shard per operation)\n"
                "                   fixed:  {t}:PREFIXi:N, one constant tag (every operation on one shard)\n"
                "                   (N: 12-digit random number; PREFIX: incr or mset)\n"
                "  --name NAME      test name in the CSV line            (MULTI-INCR<KEYS> / MSET<KEYS>)\n"
                "  --csv            print redis-benchmark --csv style output (rps = operations/s)\n"
                "  --seed N         random seed                                  (time and pid)\n"
                "  --timeout SEC    fail when no reply arrives for SEC seconds   (30)\n"
                "  --help           this text\n"
                "\n"
                "Exit status: 0 done, 1 failed (connection, unexpected reply, timeout), 2 bad arguments.\n");
}

static void bad_args(const char *fmt, ...)
{
    va_list ap;
    fputs("shardis-txbench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    usage(stderr);
    exit(2);
}

static long long parse_number(const char *what, const char *text, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        bad_args("%s must be an integer from %lld to %lld, not '%s'", what, min, max, text);
    return v;
}

static void parse_options(int argc, char **argv, struct options *opt)
{
    enum { OPT_NAME = 256, OPT_CSV, OPT_SEED, OPT_TIMEOUT, OPT_HELP };
    static const struct option long_options[] = {
        {"name", required_argument, NULL, OPT_NAME}, {"csv", no_argument, NULL, OPT_CSV},
        {"seed", required_argument, NULL, OPT_SEED}, {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, OPT_HELP},       {NULL, 0, NULL, 0},
    };
    *opt = (struct options){.host = "127.0.0.1",
                            .port = 6379,
                            .clients = 50,
                            .requests = 100000,
                            .pipeline = 1,
                            .keyspace = 1000000,
                            .datasize = 64,
                            .mode = MODE_MULTI,
                            .keys = 0,
                            .scheme = SCHEME_RANDOM,
                            .timeout_seconds = 30};
    bool seeded = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h:p:c:n:P:r:d:m:k:s:", long_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            opt->host = optarg;
            break;
        case 'p':
            opt->port = (int)parse_number("-p PORT", optarg, 1, 65535);
            break;
        case 'c':
            opt->clients = (int)parse_number("-c CLIENTS", optarg, 1, 10000);
            break;
        case 'n':
            opt->requests = parse_number("-n REQUESTS", optarg, 1, LLONG_MAX / 2);
            break;
        case 'P':
            opt->pipeline = (int)parse_number("-P PIPELINE", optarg, 1, 100000);
            break;
        case 'r':
            /* 12 digits, as redis-benchmark writes them */
            opt->keyspace = parse_number("-r KEYSPACE", optarg, 1, 1000000000000LL);
            break;
        case 'd':
            opt->datasize = (int)parse_number("-d DATASIZE", optarg, 0, 64 * 1024 * 1024);
            break;
        case 'm':
            if (strcmp(optarg, "multi") == 0)
                opt->mode = MODE_MULTI;
            else if (strcmp(optarg, "mset") == 0)
                opt->mode = MODE_MSET;
            else
                bad_args("-m MODE must be multi or mset, not '%s'", optarg);
            break;
        case 'k':
            opt->keys = (int)parse_number("-k KEYS", optarg, 1, MAX_KEYS);
            break;
        case 's':
            if (strcmp(optarg, "random") == 0)
                opt->scheme = SCHEME_RANDOM;
            else if (strcmp(optarg, "tag") == 0)
                opt->scheme = SCHEME_TAG;
            else if (strcmp(optarg, "fixed") == 0)
                opt->scheme = SCHEME_FIXED;
            else
                bad_args("-s SCHEME must be random, tag or fixed, not '%s'", optarg);
            break;
        case OPT_NAME:
            opt->name = optarg;
            break;
        case OPT_CSV:
            opt->csv = true;
            break;
        case OPT_SEED:
            opt->seed = (uint64_t)parse_number("--seed", optarg, 0, LLONG_MAX);
            seeded = true;
            break;
        case OPT_TIMEOUT:
            opt->timeout_seconds = (int)parse_number("--timeout SEC", optarg, 1, 86400);
            break;
        case OPT_HELP:
            usage(stdout);
            exit(0);
        case ':':
            bad_args("option %s needs a value", argv[optind - 1]);
            break;
        default:
            bad_args("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        bad_args("unexpected argument '%s'", argv[optind]);
    if (opt->keys == 0)
        opt->keys = opt->mode == MODE_MULTI ? 4 : 10;
    if (!seeded)
        opt->seed = now_ns() ^ ((uint64_t)getpid() << 32);
}

/* ---------------------------------------------------------------- template */

static const char *scheme_name(enum scheme s)
{
    return s == SCHEME_RANDOM ? "random" : s == SCHEME_TAG ? "tag" : "fixed";
}

/* The key of argument i (1-based) of an operation, with RAND_PLACEHOLDER where
 * the digits go; *group says which random number fills it. */
static void format_key(char *key, size_t size, const struct options *opt, int i, int *group)
{
    const char *prefix = opt->mode == MODE_MULTI ? "incr" : "mset";
    switch (opt->scheme) {
    case SCHEME_RANDOM:
        snprintf(key, size, "%s%d:" RAND_PLACEHOLDER, prefix, i);
        *group = i - 1;
        break;
    case SCHEME_TAG:
        snprintf(key, size, "{t" RAND_PLACEHOLDER "}:%s%d", prefix, i);
        *group = 0;
        break;
    case SCHEME_FIXED:
        snprintf(key, size, "{t}:%s%d:" RAND_PLACEHOLDER, prefix, i);
        *group = i - 1;
        break;
    }
}

static void template_append(struct op_template *t, int argc, const char **argv, const size_t *argvlen)
{
    char *cmd;
    int len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0)
        fail("cannot format a command");
    t->bytes = realloc(t->bytes, t->len + (size_t)len);
    if (t->bytes == NULL)
        fail("out of memory");
    memcpy(t->bytes + t->len, cmd, (size_t)len);
    t->len += (size_t)len;
    redisFreeCommand(cmd);
}

/* Builds the commands of one operation. Key groups are recorded in the order
 * the keys are appended; the placeholders are found in the same order. */
static void build_template(const struct options *opt, struct op_template *t)
{
    int k = opt->keys;
    char(*keys)[64] = xmalloc(sizeof(*keys) * (size_t)k);
    int *groups = xmalloc(sizeof(int) * (size_t)k);
    *t = (struct op_template){0};
    for (int i = 0; i < k; i++)
        format_key(keys[i], sizeof(keys[i]), opt, i + 1, &groups[i]);

    if (opt->mode == MODE_MULTI) {
        const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
        size_t multi_len[] = {5}, exec_len[] = {4};
        template_append(t, 1, multi, multi_len);
        for (int i = 0; i < k; i++) {
            const char *argv[] = {"INCR", keys[i]};
            size_t argvlen[] = {4, strlen(keys[i])};
            template_append(t, 2, argv, argvlen);
        }
        template_append(t, 1, exec, exec_len);
        t->replies = k + 2;
    } else {
        char *value = xmalloc((size_t)opt->datasize + 1);
        memset(value, 'x', (size_t)opt->datasize);
        int argc = 1 + 2 * k;
        const char **argv = xmalloc(sizeof(char *) * (size_t)argc);
        size_t *argvlen = xmalloc(sizeof(size_t) * (size_t)argc);
        argv[0] = "MSET";
        argvlen[0] = 4;
        for (int i = 0; i < k; i++) {
            argv[1 + 2 * i] = keys[i];
            argvlen[1 + 2 * i] = strlen(keys[i]);
            argv[2 + 2 * i] = value;
            argvlen[2 + 2 * i] = (size_t)opt->datasize;
        }
        template_append(t, argc, argv, argvlen);
        t->replies = 1;
        free(argv);
        free(argvlen);
        free(value);
    }

    /* Values are all 'x' and command names have no '_', so every placeholder
     * found is one of the keys', in order. */
    t->field_offsets = xmalloc(sizeof(size_t) * (size_t)k);
    t->field_groups = xmalloc(sizeof(int) * (size_t)k);
    const char *p = t->bytes, *end = t->bytes + t->len;
    while ((p = memmem(p, (size_t)(end - p), RAND_PLACEHOLDER, RAND_DIGITS)) != NULL) {
        if (t->fields == k)
            fail("internal error: more placeholders than keys");
        t->field_offsets[t->fields] = (size_t)(p - t->bytes);
        t->field_groups[t->fields] = groups[t->fields];
        t->fields++;
        p += RAND_DIGITS;
    }
    if (t->fields != k)
        fail("internal error: %d placeholders for %d keys", t->fields, k);
    t->groups = opt->scheme == SCHEME_TAG ? 1 : k;
    free(keys);
    free(groups);
}

/* ---------------------------------------------------------------- connections */

static int connect_to(const struct options *opt)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    char port[16];
    snprintf(port, sizeof(port), "%d", opt->port);
    int rc = getaddrinfo(opt->host, port, &hints, &res);
    if (rc != 0)
        fail("cannot resolve %s: %s", opt->host, gai_strerror(rc));
    int fd = -1, saved_errno = 0;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        fail("cannot connect to %s:%d: %s", opt->host, opt->port, strerror(saved_errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        fail("cannot make a socket non-blocking: %s", strerror(errno));
    return fd;
}

static void watch(struct run *run, struct connection *conn, bool want_write)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_write ? EPOLLOUT : 0), .data.ptr = conn};
    if (epoll_ctl(run->epoll_fd, EPOLL_CTL_MOD, conn->fd, &ev) < 0)
        fail("epoll_ctl: %s", strerror(errno));
    conn->want_write = want_write;
}

/* Writes what the socket takes; arms EPOLLOUT while something is left. */
static void flush_output(struct run *run, struct connection *conn)
{
    while (conn->out_sent < conn->out_len) {
        ssize_t n = send(conn->fd, conn->out + conn->out_sent, conn->out_len - conn->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            conn->out_sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!conn->want_write)
                watch(run, conn, true);
            return;
        }
        fail("write to %s:%d failed: %s", run->opt.host, run->opt.port, n < 0 ? strerror(errno) : "wrote 0 bytes");
    }
    if (conn->want_write)
        watch(run, conn, false);
}

static void write_digits(char *p, uint64_t v)
{
    for (int i = RAND_DIGITS - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Starts the connection's next batch: up to PIPELINE operations, written at
 * once. Does nothing when every operation has been issued. */
static void issue_batch(struct run *run, struct connection *conn)
{
    const struct op_template *t = &run->tmpl;
    long long left = run->opt.requests - run->issued;
    int ops = left < run->opt.pipeline ? (int)left : run->opt.pipeline;
    if (ops <= 0)
        return;
    run->issued += ops;
    size_t need = t->len * (size_t)ops;
    if (need > conn->out_cap) {
        free(conn->out);
        conn->out = xmalloc(need);
        conn->out_cap = need;
    }
    uint64_t numbers[MAX_KEYS];
    char *p = conn->out;
    for (int op = 0; op < ops; op++) {
        memcpy(p, t->bytes, t->len);
        for (int g = 0; g < t->groups; g++)
            numbers[g] = next_random(run) % (uint64_t)run->opt.keyspace;
        for (int f = 0; f < t->fields; f++)
            write_digits(p + t->field_offsets[f], numbers[t->field_groups[f]]);
        p += t->len;
    }
    conn->out_len = need;
    conn->out_sent = 0;
    conn->ops_in_flight = ops;
    conn->replies_into_op = 0;
    conn->batch_start_ns = now_ns();
    flush_output(run, conn);
}

static void describe_reply(const redisReply *r, char *buf, size_t size)
{
    switch (r->type) {
    case REDIS_REPLY_STATUS:
        snprintf(buf, size, "status +%.*s", (int)(r->len > 200 ? 200 : r->len), r->str);
        break;
    case REDIS_REPLY_ERROR:
        snprintf(buf, size, "error -%.*s", (int)(r->len > 200 ? 200 : r->len), r->str);
        break;
    case REDIS_REPLY_STRING:
        snprintf(buf, size, "bulk string \"%.*s\"", (int)(r->len > 200 ? 200 : r->len), r->str);
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(buf, size, "integer %lld", r->integer);
        break;
    case REDIS_REPLY_NIL:
        snprintf(buf, size, "nil");
        break;
    case REDIS_REPLY_ARRAY: {
        size_t used = (size_t)snprintf(buf, size, "array of %zu", r->elements);
        for (size_t i = 0; i < r->elements && i < 8 && used < size; i++) {
            used += (size_t)snprintf(buf + used, size - used, "%s", i == 0 ? ": " : ", ");
            if (used < size)
                describe_reply(r->element[i], buf + used, size - used);
            used += strlen(buf + used);
        }
        break;
    }
    default:
        snprintf(buf, size, "reply of type %d", r->type);
    }
}

static bool is_status(const redisReply *r, const char *text)
{
    return r->type == REDIS_REPLY_STATUS && r->len == strlen(text) && memcmp(r->str, text, r->len) == 0;
}

/* Checks reply number `index` (0-based) of an operation; exits on a mismatch. */
static void check_reply(const struct run *run, const redisReply *r, int index)
{
    const struct options *opt = &run->opt;
    const char *command, *expected;
    bool ok;
    if (opt->mode == MODE_MSET) {
        command = "MSET";
        expected = "+OK";
        ok = is_status(r, "OK");
    } else if (index == 0) {
        command = "MULTI";
        expected = "+OK";
        ok = is_status(r, "OK");
    } else if (index <= opt->keys) {
        command = "INCR inside MULTI";
        expected = "+QUEUED";
        ok = is_status(r, "QUEUED");
    } else {
        command = "EXEC";
        expected = "an array of integers, one per INCR";
        ok = r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)opt->keys;
        for (size_t i = 0; ok && i < r->elements; i++)
            ok = r->element[i]->type == REDIS_REPLY_INTEGER;
    }
    if (!ok) {
        char got[1024];
        describe_reply(r, got, sizeof(got));
        fail("unexpected reply to %s from %s:%d: %s (expected %s)", command, opt->host, opt->port, got, expected);
    }
}

static void record_latency(struct run *run, uint64_t us)
{
    if (us < FINE_BUCKETS)
        run->fine[us]++;
    else
        run->coarse[us / 1000 < COARSE_BUCKETS ? us / 1000 : COARSE_BUCKETS - 1]++;
    run->latency_sum_us += us;
    if (us < run->latency_min_us)
        run->latency_min_us = us;
    if (us > run->latency_max_us)
        run->latency_max_us = us;
}

/* Microseconds below which `fraction` of the operations completed. */
static double percentile_us(const struct run *run, double fraction)
{
    uint64_t want = (uint64_t)(fraction * (double)run->completed + 0.5), seen = 0;
    if (want == 0)
        want = 1;
    for (uint64_t i = 0; i < FINE_BUCKETS; i++) {
        seen += run->fine[i];
        if (seen >= want)
            return (double)i;
    }
    for (uint64_t i = 0; i < COARSE_BUCKETS; i++) {
        seen += run->coarse[i];
        if (seen >= want)
            return (double)i * 1000.0;
    }
    return (double)run->latency_max_us;
}

static void handle_readable(struct run *run, struct connection *conn, char *buf)
{
    ssize_t n = recv(conn->fd, buf, READ_CHUNK, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n < 0)
        fail("read from %s:%d failed: %s", run->opt.host, run->opt.port, strerror(errno));
    if (n == 0)
        fail("%s:%d closed the connection", run->opt.host, run->opt.port);
    if (redisReaderFeed(conn->reader, buf, (size_t)n) != REDIS_OK)
        fail("reply parser: %s", conn->reader->errstr);
    for (;;) {
        void *reply;
        if (redisReaderGetReply(conn->reader, &reply) != REDIS_OK)
            fail("protocol error from %s:%d: %s", run->opt.host, run->opt.port, conn->reader->errstr);
        if (reply == NULL)
            break;
        if (conn->ops_in_flight == 0)
            fail("%s:%d sent a reply nobody asked for", run->opt.host, run->opt.port);
        check_reply(run, reply, conn->replies_into_op);
        freeReplyObject(reply);
        if (++conn->replies_into_op < run->tmpl.replies)
            continue;
        conn->replies_into_op = 0;
        record_latency(run, (now_ns() - conn->batch_start_ns) / 1000);
        run->completed++;
        if (--conn->ops_in_flight == 0)
            issue_batch(run, conn);
    }
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    static struct run run; /* the histogram is large: not on the stack */
    parse_options(argc, argv, &run.opt);
    const struct options *opt = &run.opt;
    char default_name[64];
    if (opt->name == NULL) {
        if (opt->mode == MODE_MULTI)
            snprintf(default_name, sizeof(default_name), "MULTI-INCR%d", opt->keys);
        else
            snprintf(default_name, sizeof(default_name), "MSET%d", opt->keys);
        run.opt.name = default_name;
    }
    run.rng_state = opt->seed ? opt->seed : 0x9E3779B97F4A7C15ULL;
    run.latency_min_us = UINT64_MAX;
    build_template(opt, &run.tmpl);

    run.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (run.epoll_fd < 0)
        fail("epoll_create1: %s", strerror(errno));
    run.conns = calloc((size_t)opt->clients, sizeof(*run.conns));
    if (run.conns == NULL)
        fail("out of memory");
    for (int i = 0; i < opt->clients; i++) {
        struct connection *conn = &run.conns[i];
        conn->fd = connect_to(opt);
        conn->reader = redisReaderCreate();
        if (conn->reader == NULL)
            fail("out of memory");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = conn};
        if (epoll_ctl(run.epoll_fd, EPOLL_CTL_ADD, conn->fd, &ev) < 0)
            fail("epoll_ctl: %s", strerror(errno));
    }

    char *buf = xmalloc(READ_CHUNK);
    uint64_t start = now_ns(), last_progress = start;
    long long completed_before = 0;
    for (int i = 0; i < opt->clients; i++)
        issue_batch(&run, &run.conns[i]);
    while (run.completed < opt->requests) {
        struct epoll_event events[64];
        int n = epoll_wait(run.epoll_fd, events, 64, 1000);
        if (n < 0 && errno != EINTR)
            fail("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            struct connection *conn = events[i].data.ptr;
            if (events[i].events & EPOLLOUT)
                flush_output(&run, conn);
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                handle_readable(&run, conn, buf);
        }
        uint64_t now = now_ns();
        if (run.completed != completed_before) {
            completed_before = run.completed;
            last_progress = now;
        } else if (now - last_progress > (uint64_t)opt->timeout_seconds * 1000000000u) {
            fail("no reply from %s:%d for %d s (%lld of %lld operations done)", opt->host, opt->port,
                 opt->timeout_seconds, run.completed, opt->requests);
        }
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    double ops_per_sec = (double)run.completed / seconds;
    double avg_ms = (double)run.latency_sum_us / (double)run.completed / 1000.0;

    if (opt->csv) {
        printf("\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\","
               "\"p99_latency_ms\",\"max_latency_ms\"\n");
        printf("\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n", opt->name, ops_per_sec,
               avg_ms, (double)run.latency_min_us / 1000.0, percentile_us(&run, 0.50) / 1000.0,
               percentile_us(&run, 0.95) / 1000.0, percentile_us(&run, 0.99) / 1000.0,
               (double)run.latency_max_us / 1000.0);
    } else {
        const char *what = opt->mode == MODE_MULTI ? "transactions" : "MSETs";
        if (opt->mode == MODE_MULTI)
            printf("%s: MULTI, %d x INCR, EXEC", opt->name, opt->keys);
        else
            printf("%s: MSET of %d keys, %d-byte values", opt->name, opt->keys, opt->datasize);
        printf(", %s keys; %d connections, pipeline %d, keyspace %lld\n", scheme_name(opt->scheme), opt->clients,
               opt->pipeline, opt->keyspace);
        printf("  %lld %s in %.3f s: %.2f %s/s (%.0f commands/s)\n", run.completed, what, seconds, ops_per_sec, what,
               ops_per_sec * (opt->mode == MODE_MULTI ? opt->keys + 2 : 1));
        printf("  latency ms: avg %.3f  min %.3f  p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", avg_ms,
               (double)run.latency_min_us / 1000.0, percentile_us(&run, 0.50) / 1000.0,
               percentile_us(&run, 0.95) / 1000.0, percentile_us(&run, 0.99) / 1000.0,
               (double)run.latency_max_us / 1000.0);
    }
    return 0;
}
