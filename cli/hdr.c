/*
 * hdr.c - log-linear latency histogram (see hdr.h for the bucket layout).
 *
 * Index of a value v:
 *   v < 1024:  v itself (one bucket per microsecond)
 *   otherwise: with m = position of v's top bit (m >= 10) and shift = m - 9,
 *              1024 + (m - 10) * 512 + ((v >> shift) - 512)
 * so each power of two [2^m, 2^(m+1)) gets 512 buckets of width 2^shift.
 */
#include "hdr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HALF (HDR_SUB_BUCKETS / 2)

struct hdr *hdr_new(void)
{
    struct hdr *h = malloc(sizeof(*h));
    if (h != NULL)
        hdr_reset(h);
    return h;
}

void hdr_reset(struct hdr *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

size_t hdr_bucket_of(uint64_t v)
{
    if (v > HDR_MAX_VALUE)
        v = HDR_MAX_VALUE;
    if (v < HDR_SUB_BUCKETS)
        return (size_t)v;
    unsigned m = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = m - (HDR_SUB_BITS - 1);
    return HDR_SUB_BUCKETS + (size_t)(m - HDR_SUB_BITS) * HALF + (size_t)((v >> shift) - HALF);
}

uint64_t hdr_bucket_low(size_t bucket)
{
    if (bucket < HDR_SUB_BUCKETS)
        return bucket;
    size_t rel = bucket - HDR_SUB_BUCKETS;
    unsigned m = HDR_SUB_BITS + (unsigned)(rel / HALF);
    unsigned shift = m - (HDR_SUB_BITS - 1);
    return (uint64_t)(HALF + rel % HALF) << shift;
}

uint64_t hdr_bucket_high(size_t bucket)
{
    if (bucket < HDR_SUB_BUCKETS)
        return bucket;
    size_t rel = bucket - HDR_SUB_BUCKETS;
    unsigned m = HDR_SUB_BITS + (unsigned)(rel / HALF);
    unsigned shift = m - (HDR_SUB_BITS - 1);
    return hdr_bucket_low(bucket) + ((UINT64_C(1) << shift) - 1);
}

/* The single writer's own read of a count cannot race with another write;
 * the relaxed store lets readers on other threads load it without a torn
 * value. On x86-64 both are plain moves. */
void hdr_record_n(struct hdr *h, uint64_t v, uint64_t count)
{
    size_t b = hdr_bucket_of(v);
    __atomic_store_n(&h->counts[b], h->counts[b] + count, __ATOMIC_RELAXED);
    __atomic_store_n(&h->total, h->total + count, __ATOMIC_RELAXED);
    if (v < h->min)
        __atomic_store_n(&h->min, v, __ATOMIC_RELAXED);
    if (v > h->max)
        __atomic_store_n(&h->max, v, __ATOMIC_RELAXED);
    h->sum += (double)v * (double)count;
}

void hdr_record(struct hdr *h, uint64_t v)
{
    hdr_record_n(h, v, 1);
}

void hdr_add(struct hdr *dst, const struct hdr *src)
{
    for (size_t i = 0; i < HDR_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

void hdr_add_live(struct hdr *dst, const struct hdr *src)
{
    uint64_t total = 0;
    for (size_t i = 0; i < HDR_BUCKETS; i++) {
        uint64_t c = __atomic_load_n(&src->counts[i], __ATOMIC_RELAXED);
        dst->counts[i] += c;
        total += c;
    }
    /* total from the counts read, so percentiles stay consistent */
    dst->total += total;
    uint64_t min = __atomic_load_n(&src->min, __ATOMIC_RELAXED);
    uint64_t max = __atomic_load_n(&src->max, __ATOMIC_RELAXED);
    if (min < dst->min)
        dst->min = min;
    if (max > dst->max)
        dst->max = max;
}

void hdr_diff(struct hdr *dst, const struct hdr *a, const struct hdr *b)
{
    hdr_reset(dst);
    for (size_t i = 0; i < HDR_BUCKETS; i++) {
        uint64_t c = a->counts[i] >= b->counts[i] ? a->counts[i] - b->counts[i] : 0;
        if (c == 0)
            continue;
        dst->counts[i] = c;
        dst->total += c;
        uint64_t low = hdr_bucket_low(i), high = hdr_bucket_high(i);
        if (low < dst->min)
            dst->min = low;
        if (high > dst->max)
            dst->max = high;
        dst->sum += (double)c * (double)(low + high) / 2.0;
    }
    if (dst->total > 0 && dst->max > a->max)
        dst->max = a->max;
}

uint64_t hdr_percentile(const struct hdr *h, double p)
{
    if (h->total == 0)
        return 0;
    if (p <= 0)
        return h->min;
    if (p >= 100)
        return h->max;
    uint64_t target = (uint64_t)ceil(p / 100.0 * (double)h->total);
    if (target < 1)
        target = 1;
    if (target > h->total)
        target = h->total;
    uint64_t seen = 0;
    for (size_t i = 0; i < HDR_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= target) {
            uint64_t v = hdr_bucket_high(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

double hdr_mean(const struct hdr *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}

void hdr_foreach(const struct hdr *h, void (*fn)(void *arg, uint64_t low, uint64_t high, uint64_t count), void *arg)
{
    for (size_t i = 0; i < HDR_BUCKETS; i++)
        if (h->counts[i] != 0)
            fn(arg, hdr_bucket_low(i), hdr_bucket_high(i), h->counts[i]);
}

/* HdrHistogram's percentile ticks: 5 per halving of the remaining tail. */
int hdr_write_percentiles(const struct hdr *h, FILE *out)
{
    fprintf(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    if (h->total > 0) {
        double p = 0.0;
        for (int half = 0; half < 40; half++) {
            double remaining = 100.0 / pow(2.0, half); /* tail still to cover, in % */
            for (int tick = 0; tick < 5 && p < 100.0; tick++) {
                uint64_t v = hdr_percentile(h, p);
                uint64_t below = 0;
                for (size_t i = 0; i < HDR_BUCKETS && hdr_bucket_low(i) <= v; i++)
                    below += h->counts[i];
                double q = p / 100.0;
                if (q < 1.0)
                    fprintf(out, "%12.3f %14.12f %10llu %14.2f\n", (double)v / 1000.0, q, (unsigned long long)below,
                            1.0 / (1.0 - q));
                p += remaining / 2.0 / 5.0;
            }
            if ((double)h->total * remaining / 100.0 < 1.0)
                break;
        }
        fprintf(out, "%12.3f %14.12f %10llu\n", (double)h->max / 1000.0, 1.0, (unsigned long long)h->total);
    }
    double mean = hdr_mean(h), var = 0.0;
    for (size_t i = 0; i < HDR_BUCKETS; i++) {
        if (h->counts[i] == 0)
            continue;
        double mid = ((double)hdr_bucket_low(i) + (double)hdr_bucket_high(i)) / 2.0 - mean;
        var += mid * mid * (double)h->counts[i];
    }
    double stddev = h->total ? sqrt(var / (double)h->total) : 0.0;
    fprintf(out, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean / 1000.0, stddev / 1000.0);
    fprintf(out, "#[Max     = %12.3f, Total count    = %12llu]\n", (double)h->max / 1000.0,
            (unsigned long long)h->total);
    fprintf(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", HDR_BUCKETS, HDR_SUB_BUCKETS);
    return ferror(out) ? -1 : 0;
}
