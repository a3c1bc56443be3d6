/*
 * bench.c - shardis-benchmark: command line, workloads, capacity sweep.
 *
 * Command-line habits follow redis-benchmark (-h -p -s -a -c -n -d -r -P -t
 * -q --csv --user --dbnum --tls, a trailing command) with memtier-style
 * additions (--threads, --clients per thread, --duration, --ratio,
 * --key-pattern) and the open-loop and capacity modes of issue 6. See
 * docs/benchmark-tool.md.
 *
 * -c is the total number of connections, as in redis-benchmark, spread over
 * the threads; --clients N is per thread (memtier's habit), i.e. -c N*threads.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bench.h"
#include "core/base/buf.h"
#include "core/base/resp.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: shardis-benchmark [OPTIONS] [COMMAND ARGS...]\n"
                 "\n"
                 "Connection:\n"
                 "  -h <host>            Server hostname (default 127.0.0.1)\n"
                 "  -p <port>            Server port (default 6379)\n"
                 "  -s <socket>          Server Unix socket (overrides host and port)\n"
                 "  -a <password>        Password for AUTH (with --user: ACL user)\n"
                 "  --user <username>    ACL user name\n"
                 "  --dbnum <db>         SELECT this database (default 0)\n"
                 "  --resp3              Speak RESP3 (HELLO 3)\n"
                 "  --tls                TLS connections (OpenSSL; poll() loop instead of io_uring)\n"
                 "  --cacert <file>      CA certificates to verify the server with\n"
                 "  --cert <file>        Client certificate; --key <file> its private key\n"
                 "  --sni <host>         Server name for TLS SNI\n"
                 "  --insecure           Do not verify the server certificate\n"
                 "\n"
                 "Load:\n"
                 "  --threads <n>        Load generator threads (default 1)\n"
                 "  -c <clients>         Connections in total, spread over the threads (default 50)\n"
                 "  --clients <n>        Connections per thread (= -c n*threads)\n"
                 "  -P, --pipeline <n>   Requests per batch in closed loop (default 1)\n"
                 "  -n, --requests <n>   Requests per test (default 100000)\n"
                 "  --duration <sec>     Run each test this long instead of -n requests\n"
                 "  -d, --data-size <n>  Value size in bytes, or MIN-MAX for random sizes (default 3)\n"
                 "  -r, --keyspace <n>   Keys key:000000000000 .. n-1 replace __rand_int__ / __key__\n"
                 "  --key-pattern <p>    uniform (default), sequential, zipf:<s>, gaussian\n"
                 "  -t, --tests <list>   Comma-separated: ping,ping_inline,ping_mbulk,set,get,incr,lpush,\n"
                 "                       rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,mset\n"
                 "  --ratio <S:G>        Mixed SET:GET workload, e.g. 1:10\n"
                 "  --command \"<cmd>\"    Any command; __key__, __data__ and __rand_int__ are replaced\n"
                 "  --rate <n>           Open loop: n requests per second in total, scheduled by the clock;\n"
                 "                       latency from the intended send time\n"
                 "  --capacity           Sweep the offered rate upward, report the highest meeting --slo\n"
                 "  --slo <spec>         e.g. p99<=1ms (default), p99.9<=500us\n"
                 "  --step-duration <s>  Seconds per capacity step (default 2)\n"
                 "\n"
                 "Output:\n"
                 "  -q, --quiet          One line per test, no progress line\n"
                 "  --json               JSON report on stdout (schema: docs/benchmark-tool.md)\n"
                 "  --csv                CSV report on stdout\n"
                 "  --hdr-out <file>     Latency distribution in HdrHistogram's percentile text form\n"
                 "  --plot <file.svg>    SVG latency-versus-throughput chart\n"
                 "  --help               This help\n");
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "shardis-benchmark: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static long long parse_ll(const char *s, const char *what, long long min)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min)
        die("invalid value for %s", what);
    return v;
}

static double parse_double(const char *s, const char *what, double min)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= min) || !isfinite(v))
        die("invalid value for %s", what);
    return v;
}

/* ---- workloads ---- */

/* Splits one argument into literal parts and placeholders. */
static void parse_template_arg(struct template_arg *a, const char *text)
{
    static const struct {
        const char *marker;
        enum part_kind kind;
    } markers[] = {{"__rand_int__", PART_RAND_INT}, {"__key__", PART_KEY}, {"__data__", PART_DATA}};
    a->nparts = 0;
    a->parts = calloc(strlen(text) + 1, sizeof(*a->parts));
    a->constant = 1;
    const char *p = text;
    while (*p) {
        const char *best = NULL;
        int which = -1;
        for (int m = 0; m < 3; m++) {
            const char *f = strstr(p, markers[m].marker);
            if (f && (!best || f < best))
                best = f, which = m;
        }
        if (!best) {
            a->parts[a->nparts++] = (struct arg_part){PART_LITERAL, p, strlen(p)};
            break;
        }
        if (best > p)
            a->parts[a->nparts++] = (struct arg_part){PART_LITERAL, p, (size_t)(best - p)};
        a->parts[a->nparts++] = (struct arg_part){markers[which].kind, NULL, 0};
        a->constant = 0;
        p = best + strlen(markers[which].marker);
    }
    if (a->nparts == 0)
        a->parts[a->nparts++] = (struct arg_part){PART_LITERAL, "", 0};
}

/* Builds a template from argv (NULL-padded array from split_words, owned by
 * the template from now on); encodes it once when nothing varies. */
static void make_template(struct bench_template *t, int argc, char **argv, const struct bench_config *cfg)
{
    t->words = argv;
    t->argc = argc;
    t->args = calloc((size_t)argc, sizeof(*t->args));
    t->weight = 1;
    t->name = strdup(argv[0]);
    for (char *c = t->name; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    int constant = 1;
    for (int i = 0; i < argc; i++) {
        parse_template_arg(&t->args[i], argv[i]);
        for (int p = 0; p < t->args[i].nparts; p++) {
            enum part_kind k = t->args[i].parts[p].kind;
            /* without -r, __rand_int__ stays literal (redis-benchmark) and so does __key__ */
            if (k == PART_DATA || ((k == PART_RAND_INT || k == PART_KEY) && cfg->keyspace > 0) ||
                (k == PART_DATA && cfg->data_max != cfg->data_min))
                constant = 0;
        }
    }
    int has_data = 0;
    for (int i = 0; i < argc; i++)
        for (int p = 0; p < t->args[i].nparts; p++)
            has_data |= t->args[i].parts[p].kind == PART_DATA;
    if (constant || (has_data && cfg->data_max == cfg->data_min && cfg->keyspace == 0)) {
        /* fixed bytes: encode the whole request once, like redis-benchmark */
        struct buf b = {0};
        reply_array(&b, argc);
        for (int i = 0; i < argc; i++) {
            struct buf arg = {0};
            for (int p = 0; p < t->args[i].nparts; p++) {
                const struct arg_part *part = &t->args[i].parts[p];
                if (part->kind == PART_LITERAL)
                    buf_append(&arg, part->text, part->len);
                else if (part->kind == PART_KEY)
                    buf_append_str(&arg, "key:__rand_int__");
                else if (part->kind == PART_RAND_INT)
                    buf_append_str(&arg, "__rand_int__");
                else
                    for (size_t k = 0; k < cfg->data_min; k++)
                        buf_append_byte(&arg, 'x');
            }
            reply_bulk(&b, arg.data ? arg.data : "", arg.len);
            buf_free(&arg);
        }
        t->encoded = b.data;
        t->encoded_len = b.len;
    }
}

static struct bench_test *add_test(struct bench_test **tests, int *ntests, const char *name)
{
    *tests = realloc(*tests, (size_t)(*ntests + 1) * sizeof(**tests));
    struct bench_test *t = &(*tests)[(*ntests)++];
    memset(t, 0, sizeof(*t));
    t->name = strdup(name);
    t->templates = calloc(BENCH_MAX_TEMPLATES, sizeof(*t->templates));
    return t;
}

/* Splits a command line on spaces; "double quotes" group words. */
static int split_words(const char *line, char ***out)
{
    char **argv = calloc(strlen(line) + 1, sizeof(char *));
    int argc = 0;
    const char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        struct buf w = {0};
        if (*p == '"') {
            p++;
            while (*p && *p != '"')
                buf_append_byte(&w, *p++);
            if (*p != '"')
                die("unbalanced quotes in --command %s", line);
            p++;
        } else {
            while (*p && *p != ' ' && *p != '\t')
                buf_append_byte(&w, *p++);
        }
        buf_append_byte(&w, '\0');
        argv[argc++] = w.data;
    }
    *out = argv;
    return argc;
}

static void add_command_test(struct bench_test **tests, int *ntests, const char *name, const char *line,
                             const struct bench_config *cfg)
{
    char **argv;
    int argc = split_words(line, &argv);
    if (argc == 0)
        die("empty command%s", "");
    struct bench_test *t = add_test(tests, ntests, name ? name : line);
    make_template(&t->templates[0], argc, argv, cfg);
    t->ntemplates = 1;
}

static void free_tests(struct bench_test *tests, int ntests)
{
    for (int i = 0; i < ntests; i++) {
        for (int k = 0; k < tests[i].ntemplates; k++) {
            struct bench_template *t = &tests[i].templates[k];
            for (int a = 0; t->args && a < t->argc; a++)
                free(t->args[a].parts);
            free(t->args);
            for (int a = 0; t->words && t->words[a]; a++)
                free(t->words[a]);
            free(t->words);
            free(t->name);
            free(t->encoded);
        }
        free(tests[i].templates);
        free(tests[i].name);
    }
    free(tests);
}

/* redis-benchmark's test set and key names (redis-benchmark.c, 7.0) */
static void add_named_test(struct bench_test **tests, int *ntests, const char *name, const struct bench_config *cfg)
{
    static const struct {
        const char *name, *label, *line;
    } known[] = {
        {"ping_mbulk", "PING_MBULK", "PING"},
        {"set", "SET", "SET key:__rand_int__ __data__"},
        {"get", "GET", "GET key:__rand_int__"},
        {"incr", "INCR", "INCR counter:__rand_int__"},
        {"lpush", "LPUSH", "LPUSH mylist __data__"},
        {"rpush", "RPUSH", "RPUSH mylist __data__"},
        {"lpop", "LPOP", "LPOP mylist"},
        {"rpop", "RPOP", "RPOP mylist"},
        {"sadd", "SADD", "SADD myset element:__rand_int__"},
        {"hset", "HSET", "HSET myhash element:__rand_int__ __data__"},
        {"spop", "SPOP", "SPOP myset"},
        {"zadd", "ZADD", NULL},
        {"lrange_100", "LRANGE_100 (first 100 elements)", "LRANGE mylist 0 99"},
        {"mset", "MSET (10 keys)", NULL},
    };
    if (!strcasecmp(name, "ping") || !strcasecmp(name, "ping_inline")) {
        struct bench_test *t = add_test(tests, ntests, "PING_INLINE");
        t->templates[0].name = strdup("PING");
        t->templates[0].inline_text = "PING\r\n";
        t->templates[0].weight = 1;
        t->ntemplates = 1;
        if (!strcasecmp(name, "ping_inline"))
            return;
        name = "ping_mbulk";
    }
    if (!strcasecmp(name, "lrange"))
        name = "lrange_100";
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcasecmp(name, known[i].name))
            continue;
        const char *line = known[i].line;
        char buf[512];
        if (!strcmp(known[i].name, "zadd")) /* the score is random only with -r, as in redis-benchmark */
            line = cfg->keyspace > 0 ? "ZADD myzset __rand_int__ element:__rand_int__"
                                     : "ZADD myzset 0 element:__rand_int__";
        if (!strcmp(known[i].name, "mset")) {
            int n = snprintf(buf, sizeof(buf), "MSET");
            for (int k = 0; k < 10; k++)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, " key:__rand_int__ __data__");
            line = buf;
        }
        add_command_test(tests, ntests, known[i].label, line, cfg);
        if (!strcmp(known[i].name, "lrange_100"))
            (*tests)[*ntests - 1].lrange_prefill = 1;
        return;
    }
    die("unknown test '%s' (see --help)", name);
}

static void parse_ratio(struct bench_test **tests, int *ntests, const char *spec, const struct bench_config *cfg)
{
    int s, g;
    char tail;
    if (sscanf(spec, "%d:%d%c", &s, &g, &tail) != 2 || s < 0 || g < 0 || s + g == 0 || s > 1000 || g > 1000)
        die("invalid --ratio '%s' (expected SET:GET, e.g. 1:10)", spec);
    char name[64];
    snprintf(name, sizeof(name), "SET:GET %d:%d", s, g);
    struct bench_test *t = add_test(tests, ntests, name);
    char **argv;
    int argc;
    if (s > 0) {
        argc = split_words("SET __key__ __data__", &argv);
        make_template(&t->templates[t->ntemplates], argc, argv, cfg);
        t->templates[t->ntemplates++].weight = s;
    }
    if (g > 0) {
        argc = split_words("GET __key__", &argv);
        make_template(&t->templates[t->ntemplates], argc, argv, cfg);
        t->templates[t->ntemplates++].weight = g;
    }
}

/* Fills mylist so that LRANGE mylist 0 99 returns 100 elements (redis-benchmark
 * runs LPUSH first for the same reason). */
static int lrange_prefill(const struct bench_config *cfg)
{
    struct buf b = {0};
    reply_array(&b, 2 + 100);
    reply_bulk_cstr(&b, "RPUSH");
    reply_bulk_cstr(&b, "mylist");
    char *data = malloc(cfg->data_min + 1);
    memset(data, 'x', cfg->data_min);
    for (int i = 0; i < 100; i++)
        reply_bulk(&b, data, cfg->data_min);
    free(data);
    char err[BENCH_ERROR_LEN];
    int rc = bench_exec(cfg, b.data, b.len, 1, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "shardis-benchmark: filling mylist failed: %s\n", err);
    buf_free(&b);
    return rc;
}

/* ---- capacity ---- */

static int parse_slo(const char *spec, double *percentile, uint64_t *max_us)
{
    double p, v;
    char unit[8] = "";
    int n = 0;
    if (sscanf(spec, "p%lf<=%lf%7[a-z]%n", &p, &v, unit, &n) != 3 || spec[n] != '\0' || p <= 0 || p >= 100 || v <= 0)
        return -1;
    double mult;
    if (!strcmp(unit, "us"))
        mult = 1;
    else if (!strcmp(unit, "ms"))
        mult = 1000;
    else if (!strcmp(unit, "s"))
        mult = 1e6;
    else
        return -1;
    *percentile = p;
    *max_us = (uint64_t)llround(v * mult);
    return 0;
}

static void capacity_point_from(struct capacity_point *pt, double offered, const struct bench_result *r,
                                const struct capacity_report *cap)
{
    pt->offered = offered;
    pt->achieved = r->ops_per_sec;
    pt->p50 = hdr_percentile(r->hist, 50);
    pt->p90 = hdr_percentile(r->hist, 90);
    pt->p99 = hdr_percentile(r->hist, 99);
    pt->p999 = hdr_percentile(r->hist, 99.9);
    pt->max = r->hist->max;
    pt->slo_value = hdr_percentile(r->hist, cap->slo_percentile);
    /* met: latency within the SLO, the offered rate was actually delivered
     * (97%), no errors, nothing left unanswered */
    pt->meets_slo = r->hist->total > 0 && pt->slo_value <= cap->slo_max_us && r->ops_per_sec >= offered * 0.97 &&
                    r->errors == 0 && r->completed == r->sent;
}

/* Adds one open-loop step of the sweep to the curve; the best result so far
 * is kept in *final (r is taken). Returns whether the step met the SLO. */
static int capacity_record(const struct bench_config *cfg, struct capacity_report *cap, double rate,
                           struct bench_result *r, struct bench_result *final)
{
    struct capacity_point *pt = &cap->points[cap->npoints++];
    capacity_point_from(pt, rate, r, cap);
    if (!cfg->quiet)
        fprintf(stderr, "capacity: offered %.0f/s achieved %.0f/s p%g %.3f ms %s\n", rate, pt->achieved,
                cap->slo_percentile, (double)pt->slo_value / 1000.0, pt->meets_slo ? "ok" : "over SLO");
    if (pt->meets_slo) {
        cap->best = cap->npoints - 1;
        bench_result_free(final);
        *final = *r;
    } else {
        bench_result_free(r);
    }
    return pt->meets_slo;
}

/*
 * The sweep: one closed-loop step measures saturation throughput X; then
 * open-loop steps at 10%, 20%, ... of X until a step misses the SLO (or 120%
 * of X), then a bisection between the last good and first bad rate (3 steps).
 * Each step runs step_s seconds. The answer is the highest offered rate that
 * met the SLO.
 */
static int run_capacity(const struct bench_config *cfg, const struct bench_test *test, double step_s,
                        struct capacity_report *cap, struct bench_result *final)
{
    struct bench_result r;
    if (!cfg->quiet)
        fprintf(stderr, "capacity: measuring closed-loop saturation for %.0f s\n", step_s);
    if (bench_run(cfg, test, 0, 0, step_s, &r) < 0) {
        fprintf(stderr, "shardis-benchmark: %s\n", r.fatal_error);
        bench_result_free(&r);
        return -1;
    }
    cap->closed_loop_ops = r.ops_per_sec;
    bench_result_free(&r);
    int cap_points = 32;
    cap->points = calloc((size_t)cap_points, sizeof(*cap->points));
    cap->best = -1;
    double good = 0, bad = 0;
    double x = cap->closed_loop_ops;
    for (int step = 1; step <= 12 && x > 0; step++) {
        double rate = x * step / 10.0;
        if (bench_run(cfg, test, rate, 0, step_s, &r) < 0) {
            fprintf(stderr, "shardis-benchmark: %s\n", r.fatal_error);
            bench_result_free(&r);
            return -1;
        }
        if (capacity_record(cfg, cap, rate, &r, final)) {
            good = rate;
        } else {
            bad = rate;
            break;
        }
    }
    for (int i = 0; i < 3 && bad > 0 && bad - good > x * 0.01; i++) {
        double rate = (good + bad) / 2;
        if (bench_run(cfg, test, rate, 0, step_s, &r) < 0) {
            bench_result_free(&r);
            break;
        }
        if (capacity_record(cfg, cap, rate, &r, final)) {
            good = rate;
        } else {
            bad = rate;
        }
    }
    /* the curve reads left to right */
    for (int i = 1; i < cap->npoints; i++)
        for (int j = i; j > 0 && cap->points[j].offered < cap->points[j - 1].offered; j--) {
            struct capacity_point tmp = cap->points[j];
            cap->points[j] = cap->points[j - 1];
            cap->points[j - 1] = tmp;
            if (cap->best == j)
                cap->best = j - 1;
            else if (cap->best == j - 1)
                cap->best = j;
        }
    return 0;
}

/* ---- main ---- */

enum {
    OPT_USER = 256,
    OPT_DBNUM,
    OPT_RESP3,
    OPT_TLS,
    OPT_CACERT,
    OPT_CERT,
    OPT_KEY,
    OPT_SNI,
    OPT_INSECURE,
    OPT_THREADS,
    OPT_CLIENTS,
    OPT_DURATION,
    OPT_KEY_PATTERN,
    OPT_RATIO,
    OPT_COMMAND,
    OPT_RATE,
    OPT_CAPACITY,
    OPT_SLO,
    OPT_STEP,
    OPT_JSON,
    OPT_CSV,
    OPT_HDR_OUT,
    OPT_PLOT,
    OPT_HELP,
};

int main(int argc, char **argv)
{
    struct bench_config cfg = {
        .host = "127.0.0.1",
        .port = 6379,
        .threads = 1,
        .clients_total = 50,
        .pipeline = 1,
        .requests = 100000,
        .data_min = 3,
        .data_max = 3,
        .pattern = KEYS_UNIFORM,
    };
    static const struct option options[] = {
        {"pipeline", required_argument, NULL, 'P'},
        {"requests", required_argument, NULL, 'n'},
        {"data-size", required_argument, NULL, 'd'},
        {"keyspace", required_argument, NULL, 'r'},
        {"tests", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"user", required_argument, NULL, OPT_USER},
        {"dbnum", required_argument, NULL, OPT_DBNUM},
        {"resp3", no_argument, NULL, OPT_RESP3},
        {"tls", no_argument, NULL, OPT_TLS},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"cert", required_argument, NULL, OPT_CERT},
        {"key", required_argument, NULL, OPT_KEY},
        {"sni", required_argument, NULL, OPT_SNI},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"clients", required_argument, NULL, OPT_CLIENTS},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"key-pattern", required_argument, NULL, OPT_KEY_PATTERN},
        {"ratio", required_argument, NULL, OPT_RATIO},
        {"command", required_argument, NULL, OPT_COMMAND},
        {"rate", required_argument, NULL, OPT_RATE},
        {"capacity", no_argument, NULL, OPT_CAPACITY},
        {"slo", required_argument, NULL, OPT_SLO},
        {"step-duration", required_argument, NULL, OPT_STEP},
        {"json", no_argument, NULL, OPT_JSON},
        {"csv", no_argument, NULL, OPT_CSV},
        {"hdr-out", required_argument, NULL, OPT_HDR_OUT},
        {"plot", required_argument, NULL, OPT_PLOT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *tests_spec = NULL, *ratio = NULL, *pattern = NULL, *slo = "p99<=1ms";
    const char *hdr_out = NULL, *plot = NULL;
    const char **commands = calloc((size_t)argc + 1, sizeof(char *));
    int ncommands = 0, json = 0, csv = 0, capacity = 0, clients_per_thread = 0;
    double step_s = 2;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+h:p:s:a:c:n:d:r:P:t:q", options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            cfg.host = optarg;
            break;
        case 'p':
            cfg.port = (int)parse_ll(optarg, "-p", 1);
            if (cfg.port > 65535)
                die("invalid port %s", optarg);
            break;
        case 's':
            cfg.socket_path = optarg;
            break;
        case 'a':
            cfg.password = optarg;
            break;
        case 'c':
            cfg.clients_total = (int)parse_ll(optarg, "-c", 1);
            clients_per_thread = 0;
            break;
        case 'n':
            cfg.requests = parse_ll(optarg, "-n", 1);
            break;
        case 'd': {
            long long lo, hi;
            char tail;
            if (sscanf(optarg, "%lld-%lld%c", &lo, &hi, &tail) == 2) {
                if (lo < 0 || hi < lo || hi > 512 * 1024 * 1024)
                    die("invalid data size range %s", optarg);
            } else {
                lo = hi = parse_ll(optarg, "-d", 0);
                if (hi > 512 * 1024 * 1024)
                    die("data size %s too large", optarg);
            }
            cfg.data_min = (size_t)lo;
            cfg.data_max = (size_t)hi;
            break;
        }
        case 'r':
            cfg.keyspace = parse_ll(optarg, "-r", 0);
            break;
        case 'P':
            cfg.pipeline = (int)parse_ll(optarg, "-P", 1);
            break;
        case 't':
            tests_spec = optarg;
            break;
        case 'q':
            cfg.quiet = 1;
            break;
        case OPT_USER:
            cfg.user = optarg;
            break;
        case OPT_DBNUM:
            cfg.dbnum = (int)parse_ll(optarg, "--dbnum", 0);
            break;
        case OPT_RESP3:
            cfg.resp3 = 1;
            break;
        case OPT_TLS:
            cfg.tls = 1;
            break;
        case OPT_CACERT:
            cfg.cacert = optarg;
            break;
        case OPT_CERT:
            cfg.cert = optarg;
            break;
        case OPT_KEY:
            cfg.key = optarg;
            break;
        case OPT_SNI:
            cfg.sni = optarg;
            break;
        case OPT_INSECURE:
            cfg.tls_insecure = 1;
            break;
        case OPT_THREADS:
            cfg.threads = (int)parse_ll(optarg, "--threads", 1);
            break;
        case OPT_CLIENTS:
            clients_per_thread = (int)parse_ll(optarg, "--clients", 1);
            break;
        case OPT_DURATION:
            cfg.duration_s = parse_double(optarg, "--duration", 0.001);
            break;
        case OPT_KEY_PATTERN:
            pattern = optarg;
            break;
        case OPT_RATIO:
            ratio = optarg;
            break;
        case OPT_COMMAND:
            commands[ncommands++] = optarg;
            break;
        case OPT_RATE:
            cfg.rate = parse_double(optarg, "--rate", 0.001);
            break;
        case OPT_CAPACITY:
            capacity = 1;
            break;
        case OPT_SLO:
            slo = optarg;
            break;
        case OPT_STEP:
            step_s = parse_double(optarg, "--step-duration", 0.1);
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_CSV:
            csv = 1;
            break;
        case OPT_HDR_OUT:
            hdr_out = optarg;
            break;
        case OPT_PLOT:
            plot = optarg;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        case '?':
        default:
            fprintf(stderr, "shardis-benchmark: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 1;
        }
    }
    if (cfg.threads > 1024)
        die("--threads %s is too many", "");
    if (clients_per_thread > 0)
        cfg.clients_total = clients_per_thread * cfg.threads;
    if (cfg.clients_total < cfg.threads)
        die("need at least one client per thread (-c >= --threads)%s", "");
    if (pattern != NULL) {
        if (cfg.keyspace <= 0)
            die("--key-pattern needs --keyspace (-r)%s", "");
        if (!strcmp(pattern, "uniform"))
            cfg.pattern = KEYS_UNIFORM;
        else if (!strcmp(pattern, "sequential"))
            cfg.pattern = KEYS_SEQUENTIAL;
        else if (!strcmp(pattern, "gaussian"))
            cfg.pattern = KEYS_GAUSSIAN;
        else if (!strncmp(pattern, "zipf:", 5)) {
            cfg.pattern = KEYS_ZIPF;
            cfg.zipf_s = parse_double(pattern + 5, "--key-pattern zipf:<s>", 0.000001);
        } else
            die("unknown --key-pattern '%s' (uniform, sequential, zipf:<s>, gaussian)", pattern);
    }
    if (cfg.user && !cfg.password)
        die("--user needs -a <password>%s", "");
    double slo_percentile = 99;
    uint64_t slo_max_us = 1000;
    if (parse_slo(slo, &slo_percentile, &slo_max_us) < 0)
        die("invalid --slo '%s' (expected e.g. p99<=1ms, p99.9<=500us)", slo);
    if (json && csv)
        die("--json and --csv are exclusive%s", "");
    cfg.progress = !cfg.quiet && !json && !csv && isatty(STDERR_FILENO);

    /* workloads: -t, --ratio, --command, trailing command; default: all tests */
    struct bench_test *tests = NULL;
    int ntests = 0;
    if (tests_spec != NULL) {
        char *copy = strdup(tests_spec), *save = NULL;
        for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save))
            add_named_test(&tests, &ntests, name, &cfg);
        free(copy);
    }
    if (ratio != NULL)
        parse_ratio(&tests, &ntests, ratio, &cfg);
    for (int i = 0; i < ncommands; i++)
        add_command_test(&tests, &ntests, NULL, commands[i], &cfg);
    if (optind < argc) {
        struct buf line = {0};
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                buf_append_byte(&line, ' ');
            int quote = strchr(argv[i], ' ') != NULL || argv[i][0] == '\0';
            if (quote)
                buf_append_byte(&line, '"');
            buf_append_str(&line, argv[i]);
            if (quote)
                buf_append_byte(&line, '"');
        }
        buf_append_byte(&line, '\0');
        add_command_test(&tests, &ntests, NULL, line.data, &cfg);
        buf_free(&line);
    }
    if (ntests == 0) {
        const char *all[] = {"ping", "set",  "get",  "incr", "lpush", "rpush",      "lpop",
                             "rpop", "sadd", "hset", "spop", "zadd",  "lrange_100", "mset"};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
            add_named_test(&tests, &ntests, all[i], &cfg);
    }
    if (capacity && ntests != 1)
        die("--capacity needs exactly one workload (-t one test, --ratio or --command)%s", "");

    signal(SIGPIPE, SIG_IGN);
    OPENSSL_init_ssl(0, NULL);
    struct bench_result *results = calloc((size_t)ntests, sizeof(*results));
    struct capacity_report cap = {.slo_percentile = slo_percentile, .slo_max_us = slo_max_us, .best = -1};
    int status = 0;
    for (int i = 0; i < ntests && status == 0; i++) {
        if (tests[i].lrange_prefill && lrange_prefill(&cfg) < 0) {
            status = 1;
        } else if (capacity) {
            if (run_capacity(&cfg, &tests[i], step_s, &cap, &results[i]) < 0)
                status = 1;
            else if (results[i].hist == NULL) /* no step met the SLO: the test's own row stays empty */
                results[i].hist = hdr_new();
        } else if (bench_run(&cfg, &tests[i], cfg.rate, cfg.requests, cfg.duration_s, &results[i]) < 0) {
            fprintf(stderr, "shardis-benchmark: %s\n", results[i].fatal_error);
            status = 1;
        } else if (!json && !csv && cfg.quiet) { /* one line per test as soon as it ends */
            bench_print_table(&(struct bench_output){&cfg, 1, &tests[i], &results[i], NULL}, 1);
        }
    }
    if (status == 0) {
        struct bench_output out = {&cfg, ntests, tests, results, capacity ? &cap : NULL};
        if (json)
            bench_print_json(&out);
        else if (csv)
            bench_print_csv(&out);
        else if (!cfg.quiet)
            bench_print_table(&out, 0);
        else if (capacity)
            bench_print_table(&out, 1);
        if (hdr_out && bench_write_hdr(&out, hdr_out) < 0)
            status = 1;
        if (plot && bench_write_svg(&out, plot) < 0)
            status = 1;
    }
    for (int i = 0; i < ntests; i++)
        bench_result_free(&results[i]);
    free(results);
    free(cap.points);
    free_tests(tests, ntests);
    free(commands);
    fflush(stdout);
    return status;
}
