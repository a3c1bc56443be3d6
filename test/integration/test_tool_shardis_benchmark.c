/*
 * test_tool_shardis_benchmark.c - shardis-benchmark ($SHARDIS_BENCH_TOOL) against a real
 * server: the requests it says it sent are what the server counted (INFO
 * commandstats), open-loop --rate delivers the asked rate, --json parses and
 * holds every documented field, --csv, error replies, RESP3 + --dbnum, the
 * histogram and SVG files, and a clear failure when no server listens.
 *
 * The JSON is checked with a small parser below (no dependency). Runs once
 * (ctest registers test_tool_* files for one server thread count).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "proc.h"
#include "server.h"

TestSuite(tool_bench, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

static const char *tool_path(void)
{
    const char *path = getenv("SHARDIS_BENCH_TOOL");
    if (path == NULL || path[0] == '\0')
        cr_skip_test("SHARDIS_BENCH_TOOL is not set (ctest sets it to the built shardis-benchmark)");
    return path;
}

/* Runs the tool with `args` against the test's server (port given unless
 * args has its own -p); returns stdout (caller frees), *status its exit code.
 * stderr is appended when merge_stderr. */
static char *run_tool(const char *args, int *status, int merge_stderr)
{
    char command[4096];
    snprintf(command, sizeof(command), "'%s' -h 127.0.0.1 -p %d %s %s", tool_path(), server_port(), args,
             merge_stderr ? "2>&1" : "2>/dev/null");
    int rc;
    char *out = run_capture(command, &rc);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

/* ---- a minimal JSON parser: enough to validate and look values up ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json {
    enum jtype type;
    double num;
    char *str;           /* J_STR; key names of J_OBJ members in keys */
    int n;               /* J_ARR / J_OBJ members */
    struct json **items; /* values */
    char **keys;         /* J_OBJ */
};

static void skip_ws(const char **p)
{
    while (isspace((unsigned char)**p))
        (*p)++;
}

static struct json *json_parse_value(const char **p);

static char *json_parse_string(const char **p)
{
    if (**p != '"')
        return NULL;
    (*p)++;
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    while (**p && **p != '"') {
        char c = *(*p)++;
        if (c == '\\') {
            char e = *(*p)++;
            if (e == 'u') {
                unsigned v;
                if (sscanf(*p, "%4x", &v) != 1) {
                    free(s);
                    return NULL;
                }
                *p += 4;
                c = (char)v;
            } else if (e == 'n') {
                c = '\n';
            } else if (e == '"' || e == '\\' || e == '/') {
                c = e;
            } else {
                free(s);
                return NULL;
            }
        } else if ((unsigned char)c < 0x20) {
            free(s);
            return NULL;
        }
        if (len + 2 > cap)
            s = realloc(s, cap *= 2);
        s[len++] = c;
    }
    if (**p != '"') {
        free(s);
        return NULL;
    }
    (*p)++;
    s[len] = '\0';
    return s;
}

static struct json *json_parse_value(const char **p)
{
    skip_ws(p);
    struct json *v = calloc(1, sizeof(*v));
    if (**p == '{' || **p == '[') {
        int obj = **p == '{';
        v->type = obj ? J_OBJ : J_ARR;
        (*p)++;
        skip_ws(p);
        if (**p == (obj ? '}' : ']')) {
            (*p)++;
            return v;
        }
        for (;;) {
            v->items = realloc(v->items, (size_t)(v->n + 1) * sizeof(*v->items));
            v->keys = realloc(v->keys, (size_t)(v->n + 1) * sizeof(*v->keys));
            v->keys[v->n] = NULL;
            if (obj) {
                skip_ws(p);
                if ((v->keys[v->n] = json_parse_string(p)) == NULL)
                    return NULL;
                skip_ws(p);
                if (*(*p)++ != ':')
                    return NULL;
            }
            if ((v->items[v->n++] = json_parse_value(p)) == NULL)
                return NULL;
            skip_ws(p);
            if (**p == ',') {
                (*p)++;
                continue;
            }
            if (*(*p)++ != (obj ? '}' : ']'))
                return NULL;
            return v;
        }
    }
    if (**p == '"') {
        v->type = J_STR;
        return (v->str = json_parse_string(p)) ? v : NULL;
    }
    if (!strncmp(*p, "null", 4)) {
        *p += 4;
        v->type = J_NULL;
        return v;
    }
    if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
        v->type = J_BOOL;
        v->num = **p == 't';
        *p += **p == 't' ? 4 : 5;
        return v;
    }
    char *end;
    v->num = strtod(*p, &end);
    if (end == *p)
        return NULL;
    v->type = J_NUM;
    *p = end;
    return v;
}

/* Parses a whole document; fails the test if it is not valid JSON. */
static struct json *json_parse(const char *text)
{
    const char *p = text;
    struct json *v = json_parse_value(&p);
    cr_assert(v != NULL, "invalid JSON near offset %ld: %.200s", (long)(p - text), text);
    skip_ws(&p);
    cr_assert(*p == '\0', "trailing bytes after JSON: %.100s", p);
    return v;
}

/* Member `key` of object o; fails the test when missing or of another type. */
static struct json *jget(const struct json *o, const char *key, enum jtype type)
{
    cr_assert(o != NULL && o->type == J_OBJ, "not an object looking for %s", key);
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key)) {
            cr_assert(o->items[i]->type == type, "field %s has type %d, expected %d", key, o->items[i]->type, type);
            return o->items[i];
        }
    cr_assert_fail("JSON field %s missing", key);
    return NULL;
}

static double jnum(const struct json *o, const char *key)
{
    return jget(o, key, J_NUM)->num;
}

static void json_free(struct json *v)
{
    if (v == NULL)
        return;
    for (int i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

/* calls=N of a command in INFO commandstats, 0 when absent */
static long long commandstat_calls(redisContext *c, const char *command)
{
    char *info = info_text(c, "commandstats");
    char field[64], value[256];
    snprintf(field, sizeof(field), "cmdstat_%s", command);
    long long calls = 0;
    if (info_field(info, field, value, sizeof(value)))
        cr_assert(sscanf(value, "calls=%lld", &calls) == 1, "%s", value);
    free(info);
    return calls;
}

/* ---- tests ---- */

Test(tool_bench, commandstats_match_what_the_tool_sent)
{
    int status;
    char *out = run_tool("--threads 2 -c 6 -P 3 -n 1000 -r 500 -t set,get,incr --json", &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    struct json *doc = json_parse(out);
    struct json *tests = jget(doc, "tests", J_ARR);
    cr_assert_eq(tests->n, 3);
    redisContext *c = client_connect();
    const char *names[] = {"SET", "GET", "INCR"}, *lower[] = {"set", "get", "incr"};
    for (int i = 0; i < 3; i++) {
        struct json *t = tests->items[i];
        cr_assert_str_eq(jget(t, "name", J_STR)->str, names[i]);
        cr_assert_eq(jnum(t, "requests_sent"), 1000);
        cr_assert_eq(jnum(t, "requests_completed"), 1000);
        cr_assert_eq(jnum(t, "errors"), 0);
        cr_assert_eq(jnum(jget(t, "commands", J_OBJ), names[i]), 1000);
        cr_assert_eq(commandstat_calls(c, lower[i]), 1000, "server counted what the tool reported");
    }
    /* -r 500: keys key:000000000000 .. key:000000000499 */
    long long keys = dbsize(c);
    cr_assert(keys > 100 && keys <= 1000, "dbsize %lld", keys); /* SET keys + INCR counters */
    redisReply *r = cmd(c, "RANDOMKEY");
    cr_assert(r->type == REDIS_REPLY_STRING &&
                  (strncmp(r->str, "key:", 4) == 0 || strncmp(r->str, "counter:", 8) == 0) &&
                  strlen(r->str) == (r->str[0] == 'k' ? 16 : 20),
              "%s", r->str);
    freeReplyObject(r);
    redisFree(c);
    json_free(doc);
    free(out);
}

Test(tool_bench, json_has_every_documented_field)
{
    int status;
    char *out = run_tool("-c 3 -n 300 -d 10-20 -t set --ratio 1:3 --json", &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    struct json *doc = json_parse(out);
    cr_assert_str_eq(jget(doc, "tool", J_STR)->str, "shardis-benchmark");
    cr_assert_eq(jnum(doc, "schema_version"), 1);
    struct json *cfg = jget(doc, "config", J_OBJ);
    jget(cfg, "host", J_STR);
    cr_assert_eq(jnum(cfg, "port"), server_port());
    jget(cfg, "socket", J_NULL);
    jget(cfg, "tls", J_BOOL);
    jget(cfg, "resp3", J_BOOL);
    cr_assert_eq(jnum(cfg, "dbnum"), 0);
    cr_assert_eq(jnum(cfg, "threads"), 1);
    cr_assert_eq(jnum(cfg, "clients"), 3);
    cr_assert_eq(jnum(cfg, "pipeline"), 1);
    cr_assert_eq(jnum(cfg, "requests"), 300);
    jget(cfg, "duration_s", J_NULL);
    struct json *size = jget(cfg, "data_size", J_OBJ);
    cr_assert_eq(jnum(size, "min"), 10);
    cr_assert_eq(jnum(size, "max"), 20);
    jnum(cfg, "keyspace");
    cr_assert_str_eq(jget(cfg, "key_pattern", J_STR)->str, "uniform");
    jget(cfg, "rate", J_NULL);

    struct json *tests = jget(doc, "tests", J_ARR);
    cr_assert_eq(tests->n, 2);
    for (int i = 0; i < tests->n; i++) {
        struct json *t = tests->items[i];
        jget(t, "name", J_STR);
        cr_assert_eq(jnum(t, "requests_sent"), 300);
        cr_assert_eq(jnum(t, "requests_completed"), 300);
        cr_assert_eq(jnum(t, "errors"), 0);
        jget(t, "first_error", J_NULL);
        cr_assert_gt(jnum(t, "elapsed_s"), 0);
        cr_assert_gt(jnum(t, "ops_per_sec"), 0);
        jget(t, "offered_rate", J_NULL);
        jget(t, "throughput_per_second", J_ARR);
        struct json *lat = jget(t, "latency_us", J_OBJ);
        const char *fields[] = {"min", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"};
        double prev = 0;
        for (int f = 0; f < 8; f++) {
            double v = jnum(lat, fields[f]);
            if (f != 1) { /* mean aside, the values never decrease */
                cr_assert_geq(v, prev, "%s", fields[f]);
                prev = v;
            }
        }
        struct json *hist = jget(t, "histogram", J_OBJ);
        cr_assert_str_eq(jget(hist, "unit", J_STR)->str, "us");
        struct json *buckets = jget(hist, "buckets", J_ARR);
        double total = 0;
        for (int b = 0; b < buckets->n; b++) {
            struct json *bk = buckets->items[b];
            cr_assert(bk->type == J_ARR && bk->n == 3);
            cr_assert_leq(bk->items[0]->num, bk->items[1]->num);
            total += bk->items[2]->num;
        }
        cr_assert_eq(total, 300, "histogram holds every completed request");
        cr_assert_geq(jnum(lat, "max"), buckets->items[buckets->n - 1]->items[0]->num);
    }
    struct json *mix = jget(tests->items[1], "commands", J_OBJ);
    cr_assert_str_eq(jget(tests->items[1], "name", J_STR)->str, "SET:GET 1:3");
    cr_assert_eq(jnum(mix, "SET") + jnum(mix, "GET"), 300);
    cr_assert(jnum(mix, "SET") >= 70 && jnum(mix, "SET") <= 80, "1:3 interleaved: %g SETs", jnum(mix, "SET"));
    json_free(doc);
    free(out);
}

Test(tool_bench, open_loop_rate_is_kept)
{
    /* 2000 requests/s for 1 s on 4 connections: the schedule comes from the
     * clock, so the count is right even when the machine is busy (late sends
     * are caught up, and counted as latency, not dropped). */
    int status;
    char *out = run_tool("-c 4 --rate 2000 --duration 1 --command 'INCR ratecount' --json", &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    struct json *doc = json_parse(out);
    struct json *t = jget(doc, "tests", J_ARR)->items[0];
    cr_assert_eq(jnum(t, "offered_rate"), 2000);
    double sent = jnum(t, "requests_sent");
    cr_assert(sent >= 1900 && sent <= 2100, "sent %g for 2000/s over 1 s", sent);
    cr_assert_eq(jnum(t, "requests_completed"), sent);
    redisContext *c = client_connect();
    redisReply *r = cmd(c, "GET ratecount");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert_eq(atof(r->str), sent, "server saw %s, tool sent %g", r->str, sent);
    freeReplyObject(r);
    redisFree(c);
    json_free(doc);
    free(out);
}

Test(tool_bench, csv_output)
{
    int status;
    char *out = run_tool("-c 2 -n 200 -t ping_mbulk,get --csv", &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    char *save = NULL;
    char *line = strtok_r(out, "\n", &save);
    cr_assert_str_eq(line, "test,requests,errors,elapsed_s,ops_per_sec,min_us,mean_us,p50_us,p90_us,p99_us,p99.9_us,"
                           "p99.99_us,max_us");
    const char *names[] = {"\"PING_MBULK\"", "\"GET\""};
    for (int i = 0; i < 2; i++) {
        line = strtok_r(NULL, "\n", &save);
        cr_assert(line != NULL);
        char name[64];
        long long requests, errors;
        double elapsed, ops;
        cr_assert_eq(sscanf(line, "%63[^,],%lld,%lld,%lf,%lf", name, &requests, &errors, &elapsed, &ops), 5, "%s",
                     line);
        cr_assert_str_eq(name, names[i]);
        cr_assert_eq(requests, 200);
        cr_assert_eq(errors, 0);
        cr_assert_gt(ops, 0);
        int commas = 0;
        for (char *p = line; *p; p++)
            commas += *p == ',';
        cr_assert_eq(commas, 12, "%s", line);
    }
    cr_assert_null(strtok_r(NULL, "\n", &save));
    free(out);
}

Test(tool_bench, server_errors_are_counted)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET notanumber abc"), "OK");
    int status;
    char *out = run_tool("-c 2 -n 50 --json INCR notanumber", &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    struct json *doc = json_parse(out);
    struct json *t = jget(doc, "tests", J_ARR)->items[0];
    cr_assert_eq(jnum(t, "errors"), 50);
    cr_assert_str_eq(jget(t, "first_error", J_STR)->str, "ERR value is not an integer or out of range");
    json_free(doc);
    free(out);
    out = run_tool("-c 2 -n 50 -q INCR notanumber", &status, 1);
    cr_assert(strstr(out, "50 errors (first: ERR value is not an integer or out of range)"), "%s", out);
    free(out);
    redisFree(c);
}

Test(tool_bench, resp3_dbnum_and_data_size)
{
    int status;
    char *out = run_tool("--resp3 --dbnum 3 -c 2 -n 100 -d 7 -q SET fixedkey __data__", &status, 1);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(strstr(out, "SET fixedkey __data__: ") != NULL, "%s", out);
    redisContext *c = client_connect();
    cr_assert_eq(dbsize(c), 0, "nothing written to db 0");
    expect_status(cmd(c, "SELECT 3"), "OK");
    expect_str(cmd(c, "GET fixedkey"), "xxxxxxx");
    redisFree(c);
    free(out);
}

Test(tool_bench, histogram_and_plot_files)
{
    char dir[] = "/tmp/shardis-bench-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char args[1024], hgrm[300], svg[300];
    snprintf(hgrm, sizeof(hgrm), "%s/lat.hgrm", dir);
    snprintf(svg, sizeof(svg), "%s/lat.svg", dir);
    snprintf(args, sizeof(args), "-c 2 -n 300 -t set,get -q --hdr-out %s --plot %s", hgrm, svg);
    int status;
    char *out = run_tool(args, &status, 1);
    cr_assert_eq(status, 0, "%s", out);
    free(out);
    const char *files[] = {"lat.SET.hgrm", "lat.GET.hgrm", "lat.svg"};
    for (int i = 0; i < 3; i++) {
        char path[400];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "r");
        cr_assert(f != NULL, "%s missing", path);
        char text[65536];
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        fclose(f);
        if (i < 2)
            cr_assert(strstr(text, "Value") && strstr(text, "Total count    =          300]"), "%s", text);
        else
            cr_assert(strstr(text, "<svg") && strstr(text, "</svg>") && strstr(text, "<circle"), "%s", text);
        unlink(path);
    }
    rmdir(dir);
}

Test(tool_bench, connection_failure_is_clear)
{
    /* a port bound but not listening refuses connections, and no other
     * process (other tests run in parallel on this machine) can take it */
    int holder = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addrlen = sizeof(addr);
    cr_assert(holder >= 0 && bind(holder, (struct sockaddr *)&addr, sizeof(addr)) == 0);
    cr_assert(getsockname(holder, (struct sockaddr *)&addr, &addrlen) == 0);
    int port = ntohs(addr.sin_port);
    char command[512];
    snprintf(command, sizeof(command), "'%s' -h 127.0.0.1 -p %d -n 10 -t get 2>&1", tool_path(), port);
    FILE *pipe = popen(command, "r");
    char out[1024] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, pipe);
    out[n] = '\0';
    int rc = pclose(pipe);
    close(holder);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "exit status %d: %s", rc, out);
    cr_assert(strstr(out, "Could not connect to Redis at 127.0.0.1:") && strstr(out, "Connection refused"), "%s", out);

    int status;
    char *bad = run_tool("--key-pattern zipf:1.1 -t get", &status, 1);
    cr_assert_eq(status, 1);
    cr_assert(strstr(bad, "--key-pattern needs --keyspace"), "%s", bad);
    free(bad);
}

/* GET <key> as a number, 0 for a missing key */
static long long counter(redisContext *c, const char *key)
{
    redisReply *r = cmd(c, "GET %s", key);
    long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
    freeReplyObject(r);
    return v;
}

Test(tool_bench, key_patterns)
{
    redisContext *c = client_connect();
    int status;
    /* sequential: 1 client walks key 0..99 once each */
    char *out = run_tool("-c 1 -n 100 -r 100 --key-pattern sequential -q INCR __key__", &status, 1);
    cr_assert_eq(status, 0, "%s", out);
    free(out);
    cr_assert_eq(dbsize(c), 100);
    cr_assert_eq(counter(c, "key:000000000000"), 1);
    cr_assert_eq(counter(c, "key:000000000099"), 1);
    expect_status(cmd(c, "FLUSHALL"), "OK");

    /* zipf:1 over 1000 keys: key 0 gets 1/H(1000) = 13.4% of the requests */
    out = run_tool("-c 2 -n 5000 -r 1000 --key-pattern zipf:1 -q INCR __key__", &status, 1);
    cr_assert_eq(status, 0, "%s", out);
    free(out);
    long long hot = counter(c, "key:000000000000"), second = counter(c, "key:000000000001");
    cr_assert(hot > 450 && hot < 900, "zipf key 0 got %lld of 5000", hot);
    cr_assert(second > 200 && second < hot, "zipf key 1 got %lld (key 0: %lld)", second, hot);
    expect_status(cmd(c, "FLUSHALL"), "OK");

    /* gaussian: mean 500, deviation 166: the middle is hot, the edges cold */
    out = run_tool("-c 2 -n 5000 -r 1000 --key-pattern gaussian -q INCR __key__", &status, 1);
    cr_assert_eq(status, 0, "%s", out);
    free(out);
    long long keys = dbsize(c);
    cr_assert(keys > 400 && keys < 950, "gaussian touched %lld of 1000 keys", keys);
    long long middle = 0, edge = 0;
    char key[32];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof(key), "key:%012d", 490 + i);
        middle += counter(c, key);
        snprintf(key, sizeof(key), "key:%012d", i);
        edge += counter(c, key);
    }
    cr_assert(middle > 100 && edge < 10, "gaussian: keys 490-509 got %lld, keys 0-19 got %lld", middle, edge);
    redisFree(c);
}

Test(tool_bench, aggregate_replies_in_both_protocols)
{
    /* replies the scanner must frame: LRANGE's 100-element arrays, and a
     * RESP3 map (HGETALL) and set (SMEMBERS) */
    int status;
    char *out = run_tool("-c 3 -n 300 -P 5 -t lrange_100 --json", &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    struct json *doc = json_parse(out);
    struct json *t = jget(doc, "tests", J_ARR)->items[0];
    cr_assert_eq(jnum(t, "requests_completed"), 300);
    cr_assert_eq(jnum(t, "errors"), 0);
    json_free(doc);
    free(out);
    redisContext *c = client_connect();
    expect_int(cmd(c, "LLEN mylist"), 100);
    expect_int(cmd(c, "HSET h a 1 b 2 c 3"), 3);
    expect_int(cmd(c, "SADD s x y z"), 3);
    redisFree(c);
    out = run_tool(
        "--resp3 -c 3 -n 300 -P 7 --command 'HGETALL h' --command 'SMEMBERS s' --command 'GET nosuchkey' --json",
        &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    doc = json_parse(out);
    struct json *tests = jget(doc, "tests", J_ARR);
    cr_assert_eq(tests->n, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(jnum(tests->items[i], "requests_completed"), 300);
        cr_assert_eq(jnum(tests->items[i], "errors"), 0);
    }
    json_free(doc);
    free(out);
}

Test(tool_bench, capacity_sweep_report)
{
    /* an SLO no loopback round trip can meet (p50 <= 1 us): the sweep stops
     * at its first open-loop step, bisects below it, and reports no rate */
    int status;
    char *out = run_tool("-c 2 -t get --capacity --slo 'p50<=1us' --step-duration 0.15 --json", &status, 0);
    cr_assert_eq(status, 0, "%s", out);
    struct json *doc = json_parse(out);
    struct json *cap = jget(doc, "capacity", J_OBJ);
    struct json *slo = jget(cap, "slo", J_OBJ);
    cr_assert_eq(jnum(slo, "percentile"), 50);
    cr_assert_eq(jnum(slo, "max_us"), 1);
    double saturation = jnum(cap, "closed_loop_ops_per_sec");
    cr_assert_gt(saturation, 0);
    jget(cap, "max_rate_meeting_slo", J_NULL);
    struct json *points = jget(cap, "points", J_ARR);
    cr_assert_eq(points->n, 4, "first step at 10%% of saturation, then 3 bisection steps");
    double prev = 0;
    for (int i = 0; i < points->n; i++) {
        struct json *pt = points->items[i];
        double offered = jnum(pt, "offered_rate");
        cr_assert_gt(offered, prev, "points in increasing offered rate");
        prev = offered;
        jnum(pt, "ops_per_sec");
        cr_assert_eq(jget(pt, "meets_slo", J_BOOL)->num, 0);
        struct json *lat = jget(pt, "latency_us", J_OBJ);
        cr_assert_gt(jnum(lat, "p50"), 1);
        jnum(lat, "p90"), jnum(lat, "p99"), jnum(lat, "p99.9"), jnum(lat, "max");
    }
    cr_assert_float_eq(prev, saturation / 10, saturation / 1000, "the highest step is 10%% of saturation");
    json_free(doc);
    free(out);
}
