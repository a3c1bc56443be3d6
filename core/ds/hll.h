/*
 * hll.h - HyperLogLog values in Redis's exact byte format, so a value GET
 * from Redis and SET here (or the reverse) counts the same.
 *
 * Layout (Redis 7.0's struct hllhdr): "HYLL", one encoding byte (0 dense,
 * 1 sparse), three unused bytes, the cached cardinality as 8 bytes little
 * endian whose top bit (byte 15, bit 7) marks the cache stale; then the
 * registers. 16384 registers (P = 14) of 6 bits:
 *   dense:  12288 bytes, register i at bit i * 6, least significant bits
 *           first within each byte (12304 bytes with the header);
 *   sparse: run-length opcodes: ZERO 00xxxxxx (1..64 zero registers),
 *           XZERO 01xxxxxx yyyyyyyy (1..16384 zeros), VAL 1vvvvvxx (1..4
 *           registers of value 1..32). A register above 32, or a value that
 *           would grow past hll-sparse-max-bytes, turns it dense.
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19) as Redis does:
 * the low 14 bits pick the register, the position of the first set bit of
 * the rest (plus one, at most 51) is the candidate value. The estimate is
 * Ertl's improved estimator over the register histogram, computed with the
 * same double operations in the same order as Redis, so PFCOUNT gives the
 * same number for the same registers.
 *
 * Ownership: functions work on bytes the caller owns; a value that must
 * grow asks the caller through hll_value.reserve. Threads: no shared state.
 * Untrusted input: every function that walks the sparse opcodes checks that
 * they cover exactly 16384 registers and reports a corrupt value (-1 or
 * *invalid) instead of reading or writing out of bounds.
 */
#ifndef SHARDIS_HLL_H
#define SHARDIS_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P 14
#define HLL_Q (64 - HLL_P)
#define HLL_REGISTERS (1 << HLL_P)
#define HLL_BITS 6
#define HLL_REGISTER_MAX ((1 << HLL_BITS) - 1)
#define HLL_HDR_SIZE 16
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) / 8)
#define HLL_SPARSE_EMPTY_SIZE (HLL_HDR_SIZE + 2)
#define HLL_SPARSE_VAL_MAX_VALUE 32

enum hll_encoding { HLL_DENSE = 0, HLL_SPARSE = 1 };

/* Redis's MurmurHash64A (endian neutral version). */
uint64_t hll_murmur64a(const void *key, size_t len, uint32_t seed);
/* The register an element goes to (*index) and its candidate value. */
int hll_pattern(const void *ele, size_t len, long *index);

/* Writes an empty sparse value (HLL_SPARSE_EMPTY_SIZE bytes, cached
 * cardinality 0) into out. */
void hll_init_sparse(unsigned char *out);
/* Whether len bytes at p are a HyperLogLog as Redis's isHLLObjectOrReply
 * accepts it (magic, known encoding, exact dense size). */
int hll_is_valid(const unsigned char *p, size_t len);
static inline int hll_encoding(const unsigned char *p)
{
    return p[4];
}

/* The cached cardinality (hll_cache_valid first). */
int hll_cache_valid(const unsigned char *p);
uint64_t hll_cache_get(const unsigned char *p);
void hll_cache_set(unsigned char *p, uint64_t card);
void hll_cache_invalidate(unsigned char *p);

/* Dense register access (regs = p + HLL_HDR_SIZE). */
unsigned hll_dense_get(const unsigned char *regs, long index);
void hll_dense_set(unsigned char *regs, long index, unsigned val);

/* A value being changed: p/len are its bytes. reserve(priv, need) must
 * return the value's bytes with room for at least `need` bytes (contents
 * kept; the pointer may move); the functions below update p and len. */
struct hll_value {
    unsigned char *p;
    size_t len;
    unsigned char *(*reserve)(void *priv, size_t need);
    void *priv;
    size_t sparse_max; /* hll-sparse-max-bytes */
};
/* Adds an element: 1 when a register changed, 0 when not, -1 when the
 * value is corrupt (then nothing changed). */
int hll_add(struct hll_value *v, const void *ele, size_t len);
/* Raises register index to count (if lower): same returns as hll_add. */
int hll_set(struct hll_value *v, long index, unsigned count);
/* Converts a sparse value to dense (a dense one is left as is); 0, or -1
 * when the sparse opcodes are corrupt (nothing changed). */
int hll_to_dense(struct hll_value *v);

/* max[i] = MAX(max[i], register i of the value); -1 when corrupt. */
int hll_merge_registers(uint8_t *max, const unsigned char *p, size_t len);
/* The estimate of a value (sets *invalid when a sparse one is corrupt),
 * and of raw registers (one byte each, as PFCOUNT's union builds them). */
uint64_t hll_count(const unsigned char *p, size_t len, int *invalid);
uint64_t hll_count_raw(const uint8_t *registers);

/* PFDEBUG DECODE's text of a sparse value ("Z:16384", "z:3 v:2,1 ..."),
 * NUL-terminated; the caller frees it. */
char *hll_sparse_describe(const unsigned char *p, size_t len);

/* PFSELFTEST: checks register access and the estimator's error. 0 when
 * good; else an error text (Redis's) in err. */
int hll_selftest(char *err, size_t errlen);

#endif
