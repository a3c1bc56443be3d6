/*
 * test_hdr.c - the benchmark's latency histogram (cli/hdr.c): bucket layout,
 * percentiles of known synthetic distributions, merging, edge values and the
 * HdrHistogram text export.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"

Test(hdr, bucket_layout_is_contiguous_and_precise)
{
    /* every value maps into a bucket whose range contains it, buckets tile
     * the value line without gaps, precision better than 0.2% */
    for (size_t b = 0; b + 1 < HDR_BUCKETS; b++) {
        cr_assert_eq(hdr_bucket_high(b) + 1, hdr_bucket_low(b + 1), "gap after bucket %zu", b);
        cr_assert_eq(hdr_bucket_of(hdr_bucket_low(b)), b);
        cr_assert_eq(hdr_bucket_of(hdr_bucket_high(b)), b);
        uint64_t width = hdr_bucket_high(b) - hdr_bucket_low(b) + 1;
        if (hdr_bucket_low(b) >= HDR_SUB_BUCKETS)
            cr_assert_leq((double)width / (double)hdr_bucket_low(b), 1.0 / 512.0 + 1e-12);
    }
    cr_assert_eq(hdr_bucket_high(HDR_BUCKETS - 1), HDR_MAX_VALUE);
    for (uint64_t v = 0; v < 1024; v++)
        cr_assert_eq(hdr_bucket_of(v), v, "below 1024 us every microsecond is its own bucket");
}

Test(hdr, uniform_distribution_percentiles)
{
    struct hdr *h = hdr_new();
    for (uint64_t v = 1; v <= 100000; v++) /* 1 us .. 100 ms, one each */
        hdr_record(h, v);
    cr_assert_eq(h->total, 100000);
    cr_assert_eq(h->min, 1);
    cr_assert_eq(h->max, 100000);
    struct {
        double p;
        uint64_t exact;
    } cases[] = {{50, 50000}, {90, 90000}, {99, 99000}, {99.9, 99900}, {99.99, 99990}, {10, 10000}, {0.5, 500}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t got = hdr_percentile(h, cases[i].p);
        cr_assert_geq(got, cases[i].exact, "p%g: %llu < %llu", cases[i].p, (unsigned long long)got,
                      (unsigned long long)cases[i].exact);
        cr_assert_leq((double)got, (double)cases[i].exact * (1.0 + 1.0 / 512.0), "p%g: %llu too far from %llu",
                      cases[i].p, (unsigned long long)got, (unsigned long long)cases[i].exact);
    }
    cr_assert_eq(hdr_percentile(h, 0.5), 500, "exact below 1024 us");
    cr_assert_eq(hdr_percentile(h, 100), 100000);
    cr_assert_eq(hdr_percentile(h, 0), 1);
    cr_assert_float_eq(hdr_mean(h), 50000.5, 1e-6);
    free(h);
}

Test(hdr, bimodal_distribution_tail)
{
    /* 99% at 100 us, 1% at 20 ms: p99 is still 100 us, p99.9 is the slow mode */
    struct hdr *h = hdr_new();
    hdr_record_n(h, 100, 99000);
    hdr_record_n(h, 20000, 1000);
    cr_assert_eq(hdr_percentile(h, 50), 100);
    cr_assert_eq(hdr_percentile(h, 99), 100);
    uint64_t p999 = hdr_percentile(h, 99.9);
    cr_assert(p999 >= 20000 && p999 <= 20000 + 20000 / 512, "p99.9 = %llu", (unsigned long long)p999);
    cr_assert_eq(hdr_percentile(h, 100), 20000);
    free(h);
}

Test(hdr, merge_equals_recording_into_one)
{
    struct hdr *a = hdr_new(), *b = hdr_new(), *all = hdr_new(), *merged = hdr_new();
    unsigned seed = 7;
    for (int i = 0; i < 50000; i++) {
        uint64_t v = (uint64_t)(rand_r(&seed) % 5000000);
        hdr_record(i % 3 ? a : b, v);
        hdr_record(all, v);
    }
    hdr_add(merged, a);
    hdr_add(merged, b);
    cr_assert_eq(merged->total, all->total);
    cr_assert_eq(merged->min, all->min);
    cr_assert_eq(merged->max, all->max);
    cr_assert_eq(memcmp(merged->counts, all->counts, sizeof(all->counts)), 0);
    double ps[] = {50, 90, 99, 99.9, 99.99};
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(hdr_percentile(merged, ps[i]), hdr_percentile(all, ps[i]));

    /* the live variant (reader on another thread) gives the same counts */
    struct hdr *live = hdr_new();
    hdr_add_live(live, a);
    hdr_add_live(live, b);
    cr_assert_eq(memcmp(live->counts, all->counts, sizeof(all->counts)), 0);
    cr_assert_eq(live->total, all->total);

    /* diff recovers what was recorded after a snapshot */
    struct hdr *diff = hdr_new();
    hdr_diff(diff, all, a);
    cr_assert_eq(diff->total, b->total);
    cr_assert_eq(hdr_percentile(diff, 99), hdr_percentile(b, 99));
    free(a), free(b), free(all), free(merged), free(live), free(diff);
}

Test(hdr, edge_values)
{
    struct hdr *h = hdr_new();
    cr_assert_eq(hdr_percentile(h, 99), 0, "empty histogram");
    cr_assert_eq(hdr_mean(h), 0.0);
    hdr_record(h, 0);
    cr_assert_eq(hdr_percentile(h, 50), 0);
    cr_assert_eq(hdr_percentile(h, 100), 0);
    hdr_record(h, UINT64_MAX); /* clamped into the last bucket, max exact */
    cr_assert_eq(h->counts[HDR_BUCKETS - 1], 1);
    cr_assert_eq(h->max, UINT64_MAX);
    cr_assert_eq(hdr_percentile(h, 100), UINT64_MAX);
    cr_assert_eq(hdr_percentile(h, 50), 0);
    hdr_reset(h);
    hdr_record(h, 1023);
    hdr_record(h, 1024);
    hdr_record(h, 1025);
    cr_assert_eq(hdr_percentile(h, 34), 1025, "1024 and 1025 share a 2 us bucket, reported by its upper bound");
    cr_assert_eq(hdr_percentile(h, 30), 1023);
    free(h);
}

static void count_buckets(void *arg, uint64_t low, uint64_t high, uint64_t count)
{
    uint64_t *sum = arg;
    sum[0] += count;
    sum[1]++;
    cr_assert_leq(low, high);
}

Test(hdr, foreach_and_percentile_export)
{
    struct hdr *h = hdr_new();
    for (uint64_t v = 1; v <= 1000; v++)
        hdr_record_n(h, v * 10, 2);
    uint64_t sum[2] = {0, 0};
    hdr_foreach(h, count_buckets, sum);
    cr_assert_eq(sum[0], 2000);
    cr_assert_lt(sum[1], 1000, "values above 1024 us share buckets");
    cr_assert_gt(sum[1], 900);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_eq(hdr_write_percentiles(h, out), 0);
    fclose(out);
    cr_assert(strstr(text, "Value") && strstr(text, "Percentile"), "%s", text);
    cr_assert(strstr(text, "#[Max     =       10.000, Total count    =         2000]"), "%s", text);
    /* the 50th percentile row: 5000 us lies in bucket [5000, 5007], reported by its upper bound in ms */
    cr_assert(strstr(text, "       5.007 0.500000000000 "), "%s", text);
    free(text);
    free(h);
}
