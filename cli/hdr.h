/*
 * hdr.h - HDR-style latency histogram for shardis-benchmark.
 *
 * Values are microseconds. Buckets are log-linear: every value below
 * HDR_SUB_BUCKETS (1024 us) has its own bucket (exact to the microsecond);
 * above that each power of two is split into HDR_SUB_BUCKETS/2 equal buckets,
 * so a recorded value is known within 1/512 (< 0.2%) of itself. Values above
 * HDR_MAX_VALUE (about 71 minutes) are clamped into the last bucket; the
 * exact maximum is kept apart. The whole structure is a fixed array (about
 * 96 KB), so recording never allocates and histograms merge by adding counts.
 *
 * Threads: one writer records (hdr_record); any number of other threads may
 * read a live histogram concurrently with hdr_add_live(), which sees each
 * count as of some recent moment (counts are stored and loaded with relaxed
 * atomics, so the writer pays no locked instruction). Everything else
 * (hdr_add, hdr_percentile, ...) is for histograms no one is writing.
 */
#ifndef SHARDIS_HDR_H
#define SHARDIS_HDR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HDR_SUB_BITS 10
#define HDR_SUB_BUCKETS (1u << HDR_SUB_BITS)
#define HDR_MAX_BITS 32 /* values up to 2^32-1 us */
#define HDR_MAX_VALUE ((UINT64_C(1) << HDR_MAX_BITS) - 1)
#define HDR_BUCKETS (HDR_SUB_BUCKETS + (HDR_MAX_BITS - HDR_SUB_BITS) * (HDR_SUB_BUCKETS / 2))

struct hdr {
    uint64_t total; /* values recorded */
    uint64_t min;   /* UINT64_MAX when empty */
    uint64_t max;   /* exact, not clamped */
    double sum;     /* for the mean */
    uint64_t counts[HDR_BUCKETS];
};

/* Heap-allocated empty histogram; caller frees with free(). NULL on OOM. */
struct hdr *hdr_new(void);
void hdr_reset(struct hdr *h);
/* Records one value (microseconds). Single writer; see the header comment. */
void hdr_record(struct hdr *h, uint64_t value_us);
/* Records `count` occurrences of a value. */
void hdr_record_n(struct hdr *h, uint64_t value_us, uint64_t count);
/* dst += src. dst and src not written concurrently. */
void hdr_add(struct hdr *dst, const struct hdr *src);
/* dst += src while src's writer may still be recording (relaxed loads). */
void hdr_add_live(struct hdr *dst, const struct hdr *src);
/* dst = a - b, counts of a histogram since an earlier snapshot b of it
 * (min/max/sum are then approximated from the buckets). */
void hdr_diff(struct hdr *dst, const struct hdr *a, const struct hdr *b);

/* The bucket of a value and the value range [low, high] a bucket covers. */
size_t hdr_bucket_of(uint64_t value_us);
uint64_t hdr_bucket_low(size_t bucket);
uint64_t hdr_bucket_high(size_t bucket);

/* The value at percentile p (0..100): the smallest recorded bucket's upper
 * bound below which at least p% of values lie, capped at the exact max;
 * p >= 100 gives max, p <= 0 gives min. 0 for an empty histogram. */
uint64_t hdr_percentile(const struct hdr *h, double p);
double hdr_mean(const struct hdr *h);

/* Calls fn for every non-empty bucket in increasing order. */
void hdr_foreach(const struct hdr *h, void (*fn)(void *arg, uint64_t low, uint64_t high, uint64_t count), void *arg);

/* Writes the percentile distribution in HdrHistogram's text form (the
 * ".hgrm" output of HistogramLogProcessor: Value, Percentile, TotalCount,
 * 1/(1-Percentile), values in milliseconds), which HdrHistogram's plotter
 * reads. Returns 0, or -1 on a write error. */
int hdr_write_percentiles(const struct hdr *h, FILE *out);

#endif
