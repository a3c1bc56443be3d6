/*
 * bench.h - shardis-benchmark: configuration, workloads and results shared by
 * the option parser and reporting (bench.c), the load generator
 * (bench_load.c) and the outputs (bench_out.c).
 *
 * A run is a list of tests; each test is one workload (one or more command
 * templates with weights) driven by --threads worker threads. Each worker
 * owns its connections, its random generator, its key generator and its
 * latency histogram; nothing is shared between workers while a test runs
 * except the read-only configuration. The main thread only reads the
 * workers' counters and histograms (relaxed atomics, see hdr.h) for the
 * progress line and the per-second throughput series, and merges them when
 * the workers have finished.
 */
#ifndef SHARDIS_BENCH_H
#define SHARDIS_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "hdr.h"

enum key_pattern { KEYS_UNIFORM, KEYS_SEQUENTIAL, KEYS_ZIPF, KEYS_GAUSSIAN };

struct bench_config {
    const char *host;
    int port;
    const char *socket_path; /* -s: Unix socket instead of TCP */
    const char *password;    /* -a */
    const char *user;        /* --user (with -a) */
    int dbnum;               /* --dbnum: SELECT after connecting */
    int resp3;               /* --resp3: HELLO 3 */
    int tls;                 /* --tls: OpenSSL, poll() path instead of io_uring */
    const char *cacert, *cert, *key;
    int tls_insecure; /* --insecure: do not verify the server certificate */
    const char *sni;

    int threads;
    int clients_total; /* -c total, or --clients per thread * threads */
    int pipeline;      /* -P: requests per batch in closed loop */
    long long requests;
    double duration_s; /* --duration: when > 0, time bound instead of -n */
    size_t data_min, data_max;
    long long keyspace; /* -r; 0: __rand_int__ stays literal (redis-benchmark habit) */
    enum key_pattern pattern;
    double zipf_s;
    double rate; /* --rate: open loop, requests per second in total; 0: closed loop */

    int quiet;
    int progress; /* progress line on stderr */
};

/* One piece of a command argument: literal bytes or a placeholder. */
enum part_kind { PART_LITERAL, PART_RAND_INT, PART_KEY, PART_DATA };

struct arg_part {
    enum part_kind kind;
    const char *text; /* PART_LITERAL */
    size_t len;
};

struct template_arg {
    int nparts;
    struct arg_part *parts;
    int constant; /* no placeholder once the key space rule is applied */
};

/* One command of a workload, with __key__, __data__, __rand_int__ markers. */
struct bench_template {
    char *name; /* upper-case command name, for commandstats-style counts */
    int argc;
    struct template_arg *args;
    const char *inline_text; /* PING_INLINE: sent as these raw bytes */
    char *encoded;           /* the whole RESP command when nothing varies */
    size_t encoded_len;
    int weight;
    char **words; /* the argument strings the parts point into (owned) */
};

/* A workload: templates picked in proportion to their weights, interleaved
 * deterministically (SET:GET 1:3 sends S G G G S G G G ...). */
struct bench_test {
    char *name;
    int ntemplates;
    struct bench_template *templates;
    int lrange_prefill; /* fill mylist with 100+ elements first */
};

#define BENCH_MAX_TEMPLATES 8
#define BENCH_ERROR_LEN 256

struct bench_result {
    struct hdr *hist; /* merged over threads; latency in microseconds */
    uint64_t sent;
    uint64_t completed;
    uint64_t errors;
    uint64_t sent_per_template[BENCH_MAX_TEMPLATES];
    char first_error[BENCH_ERROR_LEN]; /* first error reply, "" if none */
    double elapsed_s;
    double ops_per_sec;
    double offered_rate;  /* 0 in closed loop */
    uint64_t *per_second; /* completions in each whole second of the run */
    int nseconds;
    int failed; /* the run stopped on a connection error: fatal_error says why */
    char fatal_error[BENCH_ERROR_LEN];
};

/* Runs one test. rate 0 = closed loop. requests or (duration_s > 0) bound
 * the run. Fills *result (caller frees with bench_result_free). Returns 0, or
 * -1 when the run could not start or lost a connection (result->fatal_error). */
int bench_run(const struct bench_config *cfg, const struct bench_test *test, double rate, long long requests,
              double duration_s, struct bench_result *result);
void bench_result_free(struct bench_result *result);

/* Opens one connection with the configured options (TLS, HELLO 3, AUTH,
 * SELECT) and sends `commands` (RESP bytes, expected replies `nreplies`),
 * synchronously; used for prefills. Returns 0 or -1 with err set. */
int bench_exec(const struct bench_config *cfg, const char *commands, size_t len, int nreplies, char *err,
               size_t errlen);

/* Length of the complete RESP2/RESP3 reply at p (0: incomplete, -1:
 * malformed); *is_error tells whether the top-level reply is an error. */
long bench_reply_length(const char *p, size_t len, int *is_error);

/* ---- outputs (bench_out.c) ---- */

struct capacity_point {
    double offered;  /* requests per second asked for */
    double achieved; /* completed per second */
    uint64_t p50, p90, p99, p999, max;
    uint64_t slo_value; /* latency at the SLO's percentile */
    int meets_slo;
};

struct capacity_report {
    double slo_percentile;
    uint64_t slo_max_us;
    double closed_loop_ops; /* the saturation estimate the sweep starts from */
    int npoints;
    struct capacity_point *points;
    int best; /* index of the highest point meeting the SLO, -1 if none */
};

struct bench_output {
    const struct bench_config *cfg;
    int ntests;
    const struct bench_test *tests;
    const struct bench_result *results;
    const struct capacity_report *capacity; /* NULL unless --capacity */
};

void bench_print_table(const struct bench_output *o, int quiet);
void bench_print_json(const struct bench_output *o);
void bench_print_csv(const struct bench_output *o);
int bench_write_hdr(const struct bench_output *o, const char *path);
int bench_write_svg(const struct bench_output *o, const char *path);
const char *key_pattern_name(const struct bench_config *cfg, char *buf, size_t len);

#endif
