/*
 * hll.c - HyperLogLog registers in Redis's dense and sparse byte formats,
 * MurmurHash64A, the estimator, merging and PFSELFTEST (see hll.h for the
 * layout, the ownership and the thread rules).
 *
 * Why byte-for-byte Redis: a value moves between Redis and shardis as a
 * plain string (GET/SET, DUMP/RESTORE, RDB), so the sparse opcodes must be
 * split and re-merged exactly as Redis does (hll_sparse_set below follows
 * its rules: replace the opcode covering the register by at most five, then
 * merge equal neighbouring VALs over a window of five opcodes starting at
 * the one before), and the estimate must use the same double operations in
 * the same order.
 *
 * Dense register i occupies bits i*6 .. i*6+5 of the register area, low
 * bits first. A register that straddles two bytes is read from both; the
 * last register (16383, bits 2..7 of the last byte) does not straddle, so
 * nothing here touches the byte after the value (Redis relies on sds's
 * terminator there).
 */
#include "core/ds/hll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HLL_SEED 0xadc83b19ULL
#define HLL_ALPHA_INF 0.721347520444481703680 /* 0.5 / ln(2) */

/* ---------------- hash ---------------- */

uint64_t hll_murmur64a(const void *key, size_t len, uint32_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    uint64_t h = seed ^ ((uint64_t)len * m);
    const uint8_t *data = key;
    const uint8_t *end = data + (len - (len & 7));
    while (data != end) {
        uint64_t k = (uint64_t)data[0] | (uint64_t)data[1] << 8 | (uint64_t)data[2] << 16 | (uint64_t)data[3] << 24 |
                     (uint64_t)data[4] << 32 | (uint64_t)data[5] << 40 | (uint64_t)data[6] << 48 |
                     (uint64_t)data[7] << 56;
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
        data += 8;
    }
    size_t tail = len & 7;
    if (tail) {
        for (size_t i = tail; i-- > 0;)
            h ^= (uint64_t)data[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

int hll_pattern(const void *ele, size_t len, long *index)
{
    uint64_t hash = hll_murmur64a(ele, len, (uint32_t)HLL_SEED);
    *index = (long)(hash & (HLL_REGISTERS - 1));
    hash >>= HLL_P;
    hash |= 1ULL << HLL_Q; /* the count stops at Q + 1 */
    return __builtin_ctzll(hash) + 1;
}

/* ---------------- header ---------------- */

void hll_init_sparse(unsigned char *out)
{
    memset(out, 0, HLL_SPARSE_EMPTY_SIZE);
    memcpy(out, "HYLL", 4);
    out[4] = HLL_SPARSE;
    /* one XZERO opcode covering every register */
    out[HLL_HDR_SIZE] = 0x40 | ((HLL_REGISTERS - 1) >> 8);
    out[HLL_HDR_SIZE + 1] = (HLL_REGISTERS - 1) & 0xff;
}

int hll_is_valid(const unsigned char *p, size_t len)
{
    if (len < HLL_HDR_SIZE || memcmp(p, "HYLL", 4) != 0)
        return 0;
    if (p[4] > HLL_SPARSE)
        return 0;
    if (p[4] == HLL_DENSE && len != HLL_DENSE_SIZE)
        return 0;
    return 1;
}

int hll_cache_valid(const unsigned char *p)
{
    return (p[15] & 0x80) == 0;
}

uint64_t hll_cache_get(const unsigned char *p)
{
    uint64_t card = 0;
    for (int i = 7; i >= 0; i--)
        card = (card << 8) | p[8 + i];
    return card;
}

void hll_cache_set(unsigned char *p, uint64_t card)
{
    for (int i = 0; i < 8; i++)
        p[8 + i] = (unsigned char)(card >> (8 * i));
}

void hll_cache_invalidate(unsigned char *p)
{
    p[15] |= 0x80;
}

/* ---------------- dense registers ---------------- */

unsigned hll_dense_get(const unsigned char *regs, long index)
{
    unsigned long bit = (unsigned long)index * HLL_BITS;
    unsigned long byte = bit >> 3, fb = bit & 7;
    unsigned v = regs[byte] >> fb;
    if (fb > 8 - HLL_BITS)
        v |= (unsigned)regs[byte + 1] << (8 - fb);
    return v & HLL_REGISTER_MAX;
}

void hll_dense_set(unsigned char *regs, long index, unsigned val)
{
    unsigned long bit = (unsigned long)index * HLL_BITS;
    unsigned long byte = bit >> 3, fb = bit & 7;
    regs[byte] = (unsigned char)((regs[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb));
    if (fb > 8 - HLL_BITS) {
        unsigned long fb8 = 8 - fb;
        regs[byte + 1] = (unsigned char)((regs[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (val >> fb8));
    }
}

/* ---------------- sparse opcodes ---------------- */

static inline int op_is_zero(const unsigned char *p)
{
    return (*p & 0xc0) == 0;
}
static inline int op_is_xzero(const unsigned char *p)
{
    return (*p & 0xc0) == 0x40;
}
static inline int op_is_val(const unsigned char *p)
{
    return (*p & 0x80) != 0;
}
static inline int op_zero_len(const unsigned char *p)
{
    return (*p & 0x3f) + 1;
}
/* needs two bytes: callers check p + 1 < end */
static inline int op_xzero_len(const unsigned char *p)
{
    return (((p[0] & 0x3f) << 8) | p[1]) + 1;
}
static inline int op_val_value(const unsigned char *p)
{
    return ((*p >> 2) & 0x1f) + 1;
}
static inline int op_val_len(const unsigned char *p)
{
    return (*p & 0x3) + 1;
}
static inline void op_set_val(unsigned char *p, int val, int len)
{
    *p = (unsigned char)(((val - 1) << 2 | (len - 1)) | 0x80);
}
static inline void op_set_zero(unsigned char *p, int len)
{
    *p = (unsigned char)(len - 1);
}
static inline void op_set_xzero(unsigned char *p, int len)
{
    int l = len - 1;
    p[0] = (unsigned char)((l >> 8) | 0x40);
    p[1] = (unsigned char)(l & 0xff);
}

/*
 * Calls fn(priv, first, runlen, value) for every run of the sparse opcodes
 * at p..end (value 0 for ZERO/XZERO). Returns 0 when the runs cover exactly
 * HLL_REGISTERS registers, -1 when the opcodes are corrupt (a truncated
 * XZERO, or runs past the last register; fn is never called with a run
 * that goes past it).
 */
typedef void sparse_run_fn(void *priv, long first, long runlen, int value);
static int sparse_walk(const unsigned char *p, const unsigned char *end, sparse_run_fn *fn, void *priv)
{
    long idx = 0;
    while (p < end) {
        long runlen;
        int value = 0;
        if (op_is_zero(p)) {
            runlen = op_zero_len(p);
            p++;
        } else if (op_is_xzero(p)) {
            if (p + 1 >= end)
                return -1;
            runlen = op_xzero_len(p);
            p += 2;
        } else {
            runlen = op_val_len(p);
            value = op_val_value(p);
            p++;
        }
        if (idx + runlen > HLL_REGISTERS)
            return -1;
        if (fn)
            fn(priv, idx, runlen, value);
        idx += runlen;
    }
    return idx == HLL_REGISTERS ? 0 : -1;
}

static void run_to_dense(void *priv, long first, long runlen, int value)
{
    unsigned char *regs = priv;
    if (value)
        for (long i = first; i < first + runlen; i++)
            hll_dense_set(regs, i, (unsigned)value);
}

int hll_to_dense(struct hll_value *v)
{
    if (hll_encoding(v->p) == HLL_DENSE)
        return 0;
    unsigned char *dense = calloc(1, HLL_DENSE_SIZE);
    memcpy(dense, v->p, HLL_HDR_SIZE); /* magic and cached cardinality */
    dense[4] = HLL_DENSE;
    if (sparse_walk(v->p + HLL_HDR_SIZE, v->p + v->len, run_to_dense, dense + HLL_HDR_SIZE) != 0) {
        free(dense);
        return -1;
    }
    v->p = v->reserve(v->priv, HLL_DENSE_SIZE);
    memcpy(v->p, dense, HLL_DENSE_SIZE);
    v->len = HLL_DENSE_SIZE;
    free(dense);
    return 0;
}

static int dense_set(unsigned char *regs, long index, unsigned count)
{
    if (hll_dense_get(regs, index) >= count)
        return 0;
    hll_dense_set(regs, index, count);
    return 1;
}

static int promote_and_set(struct hll_value *v, long index, unsigned count)
{
    if (hll_to_dense(v) != 0)
        return -1;
    return dense_set(v->p + HLL_HDR_SIZE, index, count);
}

/*
 * Sets register index to count in a sparse value (count > current only),
 * following Redis's hllSparseSet step for step so the bytes come out the
 * same. Promotes to dense when count > 32 or the value would grow past
 * sparse_max.
 */
static int hll_sparse_set(struct hll_value *v, long index, unsigned count)
{
    if (count > HLL_SPARSE_VAL_MAX_VALUE)
        return promote_and_set(v, index, count);

    /* room for the largest growth (3 bytes) before taking pointers */
    v->p = v->reserve(v->priv, v->len + 3);
    unsigned char *sparse = v->p + HLL_HDR_SIZE, *end = v->p + v->len, *p = sparse, *prev = NULL, *next;
    long first = 0, span = 0;
    while (p < end) {
        long oplen = 1;
        if (op_is_zero(p)) {
            span = op_zero_len(p);
        } else if (op_is_val(p)) {
            span = op_val_len(p);
        } else {
            if (p + 1 >= end)
                return -1;
            span = op_xzero_len(p);
            oplen = 2;
        }
        if (index <= first + span - 1)
            break;
        prev = p;
        p += oplen;
        first += span;
    }
    if (span == 0 || p >= end || first + span > HLL_REGISTERS)
        return -1;

    next = op_is_xzero(p) ? p + 2 : p + 1;
    if (next >= end)
        next = NULL;

    int is_zero = 0, is_xzero = 0, is_val = 0;
    long runlen;
    if (op_is_zero(p)) {
        is_zero = 1;
        runlen = op_zero_len(p);
    } else if (op_is_xzero(p)) {
        is_xzero = 1;
        runlen = op_xzero_len(p);
    } else {
        is_val = 1;
        runlen = op_val_len(p);
    }

    if (is_val) {
        if ((unsigned)op_val_value(p) >= count)
            return 0;
        if (runlen == 1) {
            op_set_val(p, (int)count, 1);
            goto updated;
        }
    }
    if (is_zero && runlen == 1) {
        op_set_val(p, (int)count, 1);
        goto updated;
    }

    /* Split the run into up to three: before, the register, after. */
    unsigned char seq[5], *n = seq;
    long last = first + span - 1;
    if (is_zero || is_xzero) {
        if (index != first) {
            long len = index - first;
            if (len > 64) {
                op_set_xzero(n, (int)len);
                n += 2;
            } else {
                op_set_zero(n, (int)len);
                n++;
            }
        }
        op_set_val(n++, (int)count, 1);
        if (index != last) {
            long len = last - index;
            if (len > 64) {
                op_set_xzero(n, (int)len);
                n += 2;
            } else {
                op_set_zero(n, (int)len);
                n++;
            }
        }
    } else {
        int curval = op_val_value(p);
        if (index != first)
            op_set_val(n++, curval, (int)(index - first));
        op_set_val(n++, (int)count, 1);
        if (index != last)
            op_set_val(n++, curval, (int)(last - index));
    }
    long seqlen = n - seq;
    long oldlen = is_xzero ? 2 : 1;
    long deltalen = seqlen - oldlen;
    if (deltalen > 0 && v->len + (size_t)deltalen > v->sparse_max)
        return promote_and_set(v, index, count);
    if (deltalen && next)
        memmove(next + deltalen, next, (size_t)(end - next));
    v->len = (size_t)((long)v->len + deltalen);
    memcpy(p, seq, (size_t)seqlen);
    end += deltalen;

updated:
    /* Merge equal neighbouring VALs, scanning five opcodes from prev (the
     * window counts every step, a merge included, as Redis's does). */
    p = prev ? prev : sparse;
    int scanlen = 5;
    while (p < end && scanlen--) {
        if (op_is_xzero(p)) {
            p += 2;
            continue;
        } else if (op_is_zero(p)) {
            p++;
            continue;
        }
        if (p + 1 < end && op_is_val(p + 1)) {
            int v1 = op_val_value(p), v2 = op_val_value(p + 1);
            if (v1 == v2) {
                int len = op_val_len(p) + op_val_len(p + 1);
                if (len <= 4) {
                    op_set_val(p + 1, v1, len);
                    memmove(p, p + 1, (size_t)(end - p - 1));
                    v->len--;
                    end--;
                    continue;
                }
            }
        }
        p++;
    }
    hll_cache_invalidate(v->p);
    return 1;
}

int hll_set(struct hll_value *v, long index, unsigned count)
{
    if (hll_encoding(v->p) == HLL_DENSE)
        return dense_set(v->p + HLL_HDR_SIZE, index, count);
    return hll_sparse_set(v, index, count);
}

int hll_add(struct hll_value *v, const void *ele, size_t len)
{
    long index;
    int count = hll_pattern(ele, len, &index);
    return hll_set(v, index, (unsigned)count);
}

/* ---------------- merge and count ---------------- */

static void run_to_max(void *priv, long first, long runlen, int value)
{
    uint8_t *max = priv;
    for (long i = first; i < first + runlen; i++)
        if (value > max[i])
            max[i] = (uint8_t)value;
}

int hll_merge_registers(uint8_t *max, const unsigned char *p, size_t len)
{
    if (hll_encoding(p) == HLL_DENSE) {
        const unsigned char *regs = p + HLL_HDR_SIZE;
        for (long i = 0; i < HLL_REGISTERS; i++) {
            unsigned val = hll_dense_get(regs, i);
            if (val > max[i])
                max[i] = (uint8_t)val;
        }
        return 0;
    }
    return sparse_walk(p + HLL_HDR_SIZE, p + len, run_to_max, max);
}

static double hll_sigma(double x)
{
    if (x == 1.)
        return INFINITY;
    double z_prime;
    double y = 1;
    double z = x;
    do {
        x *= x;
        z_prime = z;
        z += x * y;
        y += y;
    } while (z_prime != z);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0. || x == 1.)
        return 0.;
    double z_prime;
    double y = 1.0;
    double z = 1 - x;
    do {
        x = sqrt(x);
        z_prime = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (z_prime != z);
    return z / 3;
}

/* Ertl's estimator over the histogram of register values. */
static uint64_t estimate(const int *reghisto)
{
    double m = HLL_REGISTERS;
    double z = m * hll_tau((m - reghisto[HLL_Q + 1]) / (double)m);
    for (int j = HLL_Q; j >= 1; --j) {
        z += reghisto[j];
        z *= 0.5;
    }
    z += m * hll_sigma(reghisto[0] / (double)m);
    double e = (double)llroundl(HLL_ALPHA_INF * m * m / z);
    return (uint64_t)e;
}

static void run_to_histo(void *priv, long first, long runlen, int value)
{
    (void)first;
    int *reghisto = priv;
    reghisto[value] += (int)runlen;
}

uint64_t hll_count(const unsigned char *p, size_t len, int *invalid)
{
    int reghisto[64] = {0};
    if (hll_encoding(p) == HLL_DENSE) {
        const unsigned char *regs = p + HLL_HDR_SIZE;
        for (long i = 0; i < HLL_REGISTERS; i++)
            reghisto[hll_dense_get(regs, i)]++;
    } else if (sparse_walk(p + HLL_HDR_SIZE, p + len, run_to_histo, reghisto) != 0) {
        if (invalid)
            *invalid = 1;
        return 0;
    }
    return estimate(reghisto);
}

uint64_t hll_count_raw(const uint8_t *registers)
{
    int reghisto[64] = {0};
    for (long i = 0; i < HLL_REGISTERS; i++)
        reghisto[registers[i] & 63]++;
    return estimate(reghisto);
}

/* ---------------- PFDEBUG DECODE ---------------- */

char *hll_sparse_describe(const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;
    size_t cap = 64, used = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    p += HLL_HDR_SIZE;
    while (p < end) {
        char item[32];
        int n;
        if (op_is_zero(p)) {
            n = snprintf(item, sizeof(item), "z:%d ", op_zero_len(p));
            p++;
        } else if (op_is_xzero(p)) {
            int runlen = p + 1 < end ? op_xzero_len(p) : ((p[0] & 0x3f) << 8) + 1;
            n = snprintf(item, sizeof(item), "Z:%d ", runlen);
            p += 2;
        } else {
            n = snprintf(item, sizeof(item), "v:%d,%d ", op_val_value(p), op_val_len(p));
            p++;
        }
        if (used + (size_t)n + 1 > cap) {
            cap = cap * 2 + (size_t)n;
            out = realloc(out, cap);
        }
        memcpy(out + used, item, (size_t)n + 1);
        used += (size_t)n;
    }
    while (used > 0 && out[used - 1] == ' ')
        out[--used] = '\0';
    return out;
}

/* ---------------- PFSELFTEST ---------------- */

static unsigned char *selftest_reserve(void *priv, size_t need)
{
    struct hll_value *v = priv;
    return realloc(v->p, need);
}

int hll_selftest(char *err, size_t errlen)
{
    /* 1. dense registers: random values written and read back */
    unsigned char *regs = calloc(1, HLL_DENSE_SIZE);
    uint8_t *model = calloc(HLL_REGISTERS, 1);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int cycle = 0; cycle < 1000; cycle++) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            unsigned r = (unsigned)(seed & HLL_REGISTER_MAX);
            model[i] = (uint8_t)r;
            hll_dense_set(regs, i, r);
        }
        for (long i = 0; i < HLL_REGISTERS; i++) {
            unsigned val = hll_dense_get(regs, i);
            if (val != model[i]) {
                snprintf(err, errlen, "TESTFAILED Register %ld should be %d but is %u", i, model[i], val);
                free(regs);
                free(model);
                return -1;
            }
        }
    }
    free(regs);
    free(model);

    /* 2. the estimate against the true count, with a sparse and a dense
     * value fed the same elements (they must agree) */
    struct hll_value sv = {.p = malloc(HLL_SPARSE_EMPTY_SIZE), .len = HLL_SPARSE_EMPTY_SIZE, .sparse_max = 3000};
    sv.reserve = selftest_reserve;
    sv.priv = &sv;
    hll_init_sparse(sv.p);
    struct hll_value dv = {.p = calloc(1, HLL_DENSE_SIZE), .len = HLL_DENSE_SIZE, .sparse_max = 3000};
    dv.reserve = selftest_reserve;
    dv.priv = &dv;
    memcpy(dv.p, "HYLL", 4);
    dv.p[4] = HLL_DENSE;
    double relerr = 1.04 / sqrt(HLL_REGISTERS);
    int64_t checkpoint = 1;
    int rc = 0;
    for (int64_t j = 1; j <= 1000000; j++) {
        uint64_t ele = (uint64_t)j * 0x9e3779b97f4a7c15ULL;
        if (hll_add(&sv, &ele, sizeof(ele)) < 0 || hll_add(&dv, &ele, sizeof(ele)) < 0) {
            snprintf(err, errlen, "TESTFAILED corrupted HLL while adding");
            rc = -1;
            break;
        }
        if (j != checkpoint)
            continue;
        uint64_t cs = hll_count(sv.p, sv.len, NULL), cd = hll_count(dv.p, dv.len, NULL);
        if (cs != cd) {
            snprintf(err, errlen, "TESTFAILED dense/sparse disagree");
            rc = -1;
            break;
        }
        int64_t abserr = checkpoint - (int64_t)cd;
        uint64_t maxerr = (uint64_t)ceil(relerr * 6 * (double)checkpoint);
        if (abserr < 0)
            abserr = -abserr;
        if ((uint64_t)abserr > maxerr) {
            snprintf(err, errlen, "TESTFAILED Too big error. card:%llu abserr:%llu", (unsigned long long)checkpoint,
                     (unsigned long long)abserr);
            rc = -1;
            break;
        }
        checkpoint *= 10;
    }
    free(sv.p);
    free(dv.p);
    return rc;
}
