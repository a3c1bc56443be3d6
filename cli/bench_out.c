/*
 * bench_out.c - shardis-benchmark's reports: the human table, JSON (schema in
 * docs/benchmark-tool.md), CSV, the HdrHistogram percentile file and the SVG
 * latency-versus-throughput chart. All of them read finished results only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const double PERCENTILES[] = {50, 90, 99, 99.9, 99.99};
static const char *const PERCENTILE_NAMES[] = {"p50", "p90", "p99", "p99.9", "p99.99"};
#define NPERCENTILES 5

const char *key_pattern_name(const struct bench_config *cfg, char *buf, size_t len)
{
    switch (cfg->pattern) {
    case KEYS_SEQUENTIAL:
        return "sequential";
    case KEYS_GAUSSIAN:
        return "gaussian";
    case KEYS_ZIPF:
        snprintf(buf, len, "zipf:%g", cfg->zipf_s);
        return buf;
    case KEYS_UNIFORM:
    default:
        return "uniform";
    }
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

void bench_print_table(const struct bench_output *o, int quiet)
{
    const struct bench_config *cfg = o->cfg;
    if (quiet) {
        for (int i = 0; i < o->ntests; i++) {
            const struct bench_result *r = &o->results[i];
            printf("%s: %.2f requests per second, p50=%.3f msec, p99=%.3f msec%s", o->tests[i].name, r->ops_per_sec,
                   ms(hdr_percentile(r->hist, 50)), ms(hdr_percentile(r->hist, 99)), r->errors ? "," : "\n");
            if (r->errors)
                printf(" %llu errors (first: %s)\n", (unsigned long long)r->errors, r->first_error);
        }
    } else {
        for (int i = 0; i < o->ntests; i++) {
            const struct bench_result *r = &o->results[i];
            const struct hdr *h = r->hist;
            printf("====== %s ======\n", o->tests[i].name);
            printf("  %llu requests completed in %.2f seconds\n", (unsigned long long)r->completed, r->elapsed_s);
            printf("  %d parallel clients on %d thread%s\n", cfg->clients_total, cfg->threads,
                   cfg->threads > 1 ? "s" : "");
            if (cfg->data_min == cfg->data_max)
                printf("  %zu bytes payload\n", cfg->data_min);
            else
                printf("  %zu-%zu bytes payload\n", cfg->data_min, cfg->data_max);
            if (r->offered_rate > 0)
                printf("  open loop: %.0f requests per second offered\n", r->offered_rate);
            else
                printf("  pipeline %d\n", cfg->pipeline);
            if (r->errors)
                printf("  %llu errors, first: %s\n", (unsigned long long)r->errors, r->first_error);
            printf("\n  throughput: %.2f requests per second\n", r->ops_per_sec);
            printf("  latency (msec):\n    %9s %9s %9s %9s %9s %9s %9s %9s\n", "min", "avg", "p50", "p90", "p99",
                   "p99.9", "p99.99", "max");
            printf("    %9.3f %9.3f", ms(h->total ? h->min : 0), hdr_mean(h) / 1000.0);
            for (int p = 0; p < NPERCENTILES; p++)
                printf(" %9.3f", ms(hdr_percentile(h, PERCENTILES[p])));
            printf(" %9.3f\n", ms(h->max));
            if (r->nseconds > 1) {
                printf("  throughput per second:");
                for (int s = 0; s < r->nseconds; s++)
                    printf(" %llu", (unsigned long long)r->per_second[s]);
                printf("\n");
            }
            printf("\n");
        }
        if (o->ntests > 1) {
            printf("%-34s %12s %9s %9s %9s %9s %9s %8s\n", "test", "ops/sec", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
                   "max ms", "errors");
            for (int i = 0; i < o->ntests; i++) {
                const struct bench_result *r = &o->results[i];
                printf("%-34s %12.2f %9.3f %9.3f %9.3f %9.3f %9.3f %8llu\n", o->tests[i].name, r->ops_per_sec,
                       ms(hdr_percentile(r->hist, 50)), ms(hdr_percentile(r->hist, 90)),
                       ms(hdr_percentile(r->hist, 99)), ms(hdr_percentile(r->hist, 99.9)), ms(r->hist->max),
                       (unsigned long long)r->errors);
            }
        }
    }
    const struct capacity_report *cap = o->capacity;
    if (cap != NULL) {
        printf("\n====== capacity (SLO p%g <= %.3f ms) ======\n", cap->slo_percentile, ms(cap->slo_max_us));
        printf("  closed-loop saturation: %.0f requests per second\n", cap->closed_loop_ops);
        printf("  %12s %12s %9s %9s %9s %9s %9s  %s\n", "offered/s", "achieved/s", "p50 ms", "p90 ms", "p99 ms",
               "p99.9 ms", "max ms", "SLO");
        for (int i = 0; i < cap->npoints; i++) {
            const struct capacity_point *pt = &cap->points[i];
            printf("  %12.0f %12.0f %9.3f %9.3f %9.3f %9.3f %9.3f  %s\n", pt->offered, pt->achieved, ms(pt->p50),
                   ms(pt->p90), ms(pt->p99), ms(pt->p999), ms(pt->max), pt->meets_slo ? "met" : "missed");
        }
        if (cap->best >= 0)
            printf("  highest rate meeting the SLO: %.0f requests per second\n", cap->points[cap->best].offered);
        else
            printf("  no tested rate met the SLO\n");
    }
    fflush(stdout);
}

/* ---- JSON ---- */

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void json_bucket(void *arg, uint64_t low, uint64_t high, uint64_t count)
{
    int *first = arg;
    printf("%s[%llu,%llu,%llu]", *first ? "" : ",", (unsigned long long)low, (unsigned long long)high,
           (unsigned long long)count);
    *first = 0;
}

static void json_latency(const struct hdr *h)
{
    printf("{\"min\":%llu,\"mean\":%.3f", (unsigned long long)(h->total ? h->min : 0), hdr_mean(h));
    for (int p = 0; p < NPERCENTILES; p++)
        printf(",\"%s\":%llu", PERCENTILE_NAMES[p], (unsigned long long)hdr_percentile(h, PERCENTILES[p]));
    printf(",\"max\":%llu}", (unsigned long long)h->max);
}

void bench_print_json(const struct bench_output *o)
{
    const struct bench_config *cfg = o->cfg;
    char pat[64];
    printf("{\"tool\":\"shardis-benchmark\",\"schema_version\":1,\"config\":{");
    printf("\"host\":");
    json_string(cfg->host);
    printf(",\"port\":%d,\"socket\":", cfg->port);
    if (cfg->socket_path)
        json_string(cfg->socket_path);
    else
        printf("null");
    printf(",\"tls\":%s,\"resp3\":%s,\"dbnum\":%d,\"threads\":%d,\"clients\":%d,\"pipeline\":%d,",
           cfg->tls ? "true" : "false", cfg->resp3 ? "true" : "false", cfg->dbnum, cfg->threads, cfg->clients_total,
           cfg->pipeline);
    if (cfg->duration_s > 0)
        printf("\"requests\":null,\"duration_s\":%.3f,", cfg->duration_s);
    else
        printf("\"requests\":%lld,\"duration_s\":null,", cfg->requests);
    printf("\"data_size\":{\"min\":%zu,\"max\":%zu},\"keyspace\":%lld,\"key_pattern\":\"%s\",\"rate\":", cfg->data_min,
           cfg->data_max, cfg->keyspace, key_pattern_name(cfg, pat, sizeof(pat)));
    if (cfg->rate > 0)
        printf("%.3f", cfg->rate);
    else
        printf("null");
    printf("},\"tests\":[");
    for (int i = 0; i < o->ntests; i++) {
        const struct bench_test *t = &o->tests[i];
        const struct bench_result *r = &o->results[i];
        printf("%s{\"name\":", i ? "," : "");
        json_string(t->name);
        printf(",\"requests_sent\":%llu,\"requests_completed\":%llu,\"errors\":%llu,\"first_error\":",
               (unsigned long long)r->sent, (unsigned long long)r->completed, (unsigned long long)r->errors);
        if (r->first_error[0])
            json_string(r->first_error);
        else
            printf("null");
        printf(",\"elapsed_s\":%.6f,\"ops_per_sec\":%.3f,\"offered_rate\":", r->elapsed_s, r->ops_per_sec);
        if (r->offered_rate > 0)
            printf("%.3f", r->offered_rate);
        else
            printf("null");
        printf(",\"commands\":{");
        /* the same command may appear in several templates (MSET's keys do not) */
        for (int k = 0; k < t->ntemplates; k++) {
            int dup = 0;
            for (int j = 0; j < k; j++)
                dup |= !strcmp(t->templates[j].name, t->templates[k].name);
            if (dup)
                continue;
            uint64_t n = 0;
            for (int j = k; j < t->ntemplates; j++)
                if (!strcmp(t->templates[j].name, t->templates[k].name))
                    n += r->sent_per_template[j];
            printf("%s", k ? "," : "");
            json_string(t->templates[k].name);
            printf(":%llu", (unsigned long long)n);
        }
        printf("},\"latency_us\":");
        json_latency(r->hist);
        printf(",\"throughput_per_second\":[");
        for (int s = 0; s < r->nseconds; s++)
            printf("%s%llu", s ? "," : "", (unsigned long long)r->per_second[s]);
        printf("],\"histogram\":{\"unit\":\"us\",\"buckets\":[");
        int first = 1;
        hdr_foreach(r->hist, json_bucket, &first);
        printf("]}}");
    }
    printf("]");
    const struct capacity_report *cap = o->capacity;
    if (cap != NULL) {
        printf(",\"capacity\":{\"slo\":{\"percentile\":%g,\"max_us\":%llu},\"closed_loop_ops_per_sec\":%.3f,"
               "\"max_rate_meeting_slo\":",
               cap->slo_percentile, (unsigned long long)cap->slo_max_us, cap->closed_loop_ops);
        if (cap->best >= 0)
            printf("%.3f", cap->points[cap->best].offered);
        else
            printf("null");
        printf(",\"points\":[");
        for (int i = 0; i < cap->npoints; i++) {
            const struct capacity_point *pt = &cap->points[i];
            printf("%s{\"offered_rate\":%.3f,\"ops_per_sec\":%.3f,\"latency_us\":{\"p50\":%llu,\"p90\":%llu,"
                   "\"p99\":%llu,\"p99.9\":%llu,\"max\":%llu},\"meets_slo\":%s}",
                   i ? "," : "", pt->offered, pt->achieved, (unsigned long long)pt->p50, (unsigned long long)pt->p90,
                   (unsigned long long)pt->p99, (unsigned long long)pt->p999, (unsigned long long)pt->max,
                   pt->meets_slo ? "true" : "false");
        }
        printf("]}");
    }
    printf("}\n");
    fflush(stdout);
}

/* ---- CSV ---- */

void bench_print_csv(const struct bench_output *o)
{
    printf(
        "test,requests,errors,elapsed_s,ops_per_sec,min_us,mean_us,p50_us,p90_us,p99_us,p99.9_us,p99.99_us,max_us\n");
    for (int i = 0; i < o->ntests; i++) {
        const struct bench_result *r = &o->results[i];
        const struct hdr *h = r->hist;
        printf("\"%s\",%llu,%llu,%.6f,%.3f,%llu,%.3f", o->tests[i].name, (unsigned long long)r->completed,
               (unsigned long long)r->errors, r->elapsed_s, r->ops_per_sec, (unsigned long long)(h->total ? h->min : 0),
               hdr_mean(h));
        for (int p = 0; p < NPERCENTILES; p++)
            printf(",%llu", (unsigned long long)hdr_percentile(h, PERCENTILES[p]));
        printf(",%llu\n", (unsigned long long)h->max);
    }
    fflush(stdout);
}

/* ---- HdrHistogram percentile file ---- */

int bench_write_hdr(const struct bench_output *o, const char *path)
{
    for (int i = 0; i < o->ntests; i++) {
        char name[4096];
        if (o->ntests == 1) {
            snprintf(name, sizeof(name), "%s", path);
        } else {
            /* out.hgrm -> out.SET.hgrm: one file per test */
            char test[128];
            size_t n = 0;
            for (const char *c = o->tests[i].name; *c && n < sizeof(test) - 1; c++)
                if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')
                    test[n++] = *c;
            test[n] = '\0';
            const char *dot = strrchr(path, '.');
            const char *slash = strrchr(path, '/');
            if (dot && (!slash || dot > slash))
                snprintf(name, sizeof(name), "%.*s.%s%s", (int)(dot - path), path, test, dot);
            else
                snprintf(name, sizeof(name), "%s.%s", path, test);
        }
        FILE *f = fopen(name, "w");
        if (f == NULL) {
            perror(name);
            return -1;
        }
        int rc = hdr_write_percentiles(o->results[i].hist, f);
        if (fclose(f) != 0 || rc < 0) {
            perror(name);
            return -1;
        }
    }
    return 0;
}

/* ---- SVG chart ---- */

struct series_point {
    double x, y[3]; /* throughput; p50, p99, p99.9 in ms */
};

static double nice_step(double range)
{
    double raw = range / 5.0;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/*
 * Latency (y, ms) against throughput (x, ops/s): the capacity sweep's points
 * when there is one, else one point per test. Lines for p50, p99 and p99.9;
 * the SLO as a dashed line.
 */
int bench_write_svg(const struct bench_output *o, const char *path)
{
    int n = o->capacity ? o->capacity->npoints : o->ntests;
    struct series_point *pts = calloc((size_t)(n ? n : 1), sizeof(*pts));
    for (int i = 0; i < n; i++) {
        if (o->capacity) {
            const struct capacity_point *c = &o->capacity->points[i];
            pts[i] = (struct series_point){c->achieved, {ms(c->p50), ms(c->p99), ms(c->p999)}};
        } else {
            const struct bench_result *r = &o->results[i];
            pts[i] = (struct series_point){
                r->ops_per_sec,
                {ms(hdr_percentile(r->hist, 50)), ms(hdr_percentile(r->hist, 99)), ms(hdr_percentile(r->hist, 99.9))}};
        }
    }
    double xmax = 0, ymax = 0;
    for (int i = 0; i < n; i++) {
        xmax = fmax(xmax, pts[i].x);
        for (int k = 0; k < 3; k++)
            ymax = fmax(ymax, pts[i].y[k]);
    }
    double slo_ms = o->capacity ? ms(o->capacity->slo_max_us) : 0;
    ymax = fmax(ymax, slo_ms);
    if (xmax <= 0)
        xmax = 1;
    if (ymax <= 0)
        ymax = 1;
    double xstep = nice_step(xmax), ystep = nice_step(ymax);
    xmax = ceil(xmax / xstep) * xstep;
    ymax = ceil(ymax / ystep) * ystep;
    const double W = 800, H = 500, L = 80, R = 30, T = 50, B = 60;
    double pw = W - L - R, ph = H - T - B;
#define SX(v) (L + (v) / xmax * pw)
#define SY(v) (T + ph - (v) / ymax * ph)
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        free(pts);
        return -1;
    }
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
            "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H);
    fprintf(f,
            "<text x=\"%.0f\" y=\"25\" font-size=\"16\" text-anchor=\"middle\">shardis-benchmark: latency vs "
            "throughput%s</text>\n",
            W / 2, o->capacity ? " (capacity sweep)" : "");
    for (double x = 0; x <= xmax + xstep / 2; x += xstep) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", SX(x), T, SX(x),
                T + ph);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", SX(x), T + ph + 18, x);
    }
    for (double y = 0; y <= ymax + ystep / 2; y += ystep) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, SY(y), L + pw,
                SY(y));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, SY(y) + 4, y);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n", L, T,
            pw, ph);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">throughput (requests/s)</text>\n", L + pw / 2,
            H - 15);
    fprintf(f,
            "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 20 %.1f)\">latency "
            "(ms)</text>\n",
            T + ph / 2, T + ph / 2);
    static const char *colors[3] = {"#1f77b4", "#ff7f0e", "#d62728"};
    static const char *labels[3] = {"p50", "p99", "p99.9"};
    for (int k = 0; k < 3; k++) {
        if (o->capacity && n > 1) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colors[k]);
            for (int i = 0; i < n; i++)
                fprintf(f, "%.1f,%.1f ", SX(pts[i].x), SY(pts[i].y[k]));
            fprintf(f, "\"/>\n");
        }
        for (int i = 0; i < n; i++)
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", SX(pts[i].x), SY(pts[i].y[k]),
                    colors[k]);
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%.1f\" "
                "y=\"%.1f\">%s</text>\n",
                L + 10, T + 10 + k * 18.0, colors[k], L + 28, T + 20 + k * 18.0, labels[k]);
    }
    if (!o->capacity)
        for (int i = 0; i < n; i++) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">", SX(pts[i].x) + 5, SY(pts[i].y[1]) - 5);
            for (const char *c = o->tests[i].name; *c; c++)
                if (*c == '<' || *c == '>' || *c == '&')
                    fprintf(f, "&#%d;", *c);
                else
                    fputc(*c, f);
            fprintf(f, "</text>\n");
        }
    if (slo_ms > 0)
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"6 4\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">SLO p%g &lt;= %g ms</text>\n",
                L, SY(slo_ms), L + pw, SY(slo_ms), L + pw - 4, SY(slo_ms) - 4, o->capacity->slo_percentile, slo_ms);
    fprintf(f, "</svg>\n");
#undef SX
#undef SY
    free(pts);
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}
