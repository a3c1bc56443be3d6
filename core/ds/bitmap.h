/*
 * bitmap.h - bit operations on a byte string, as Redis's bitmap commands see
 * it: bit 0 is the most significant bit of byte 0, bit 8 the most
 * significant bit of byte 1, and so on. Bits past the end of the string read
 * as 0. The commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD) are
 * in core/commands/cmd_bitops.c; this module has no knowledge of keys.
 *
 * Counting and searching work a 64-bit word at a time (a hardware popcount
 * when the CPU has one, chosen once at first use; a SWAR count otherwise).
 *
 * Ownership: every function works on memory the caller owns and keeps;
 * nothing here allocates except where said. Threads: no shared state
 * except the popcount choice, which is idempotent (any thread may set it).
 */
#ifndef SHARDIS_BITMAP_H
#define SHARDIS_BITMAP_H

#include <stddef.h>
#include <stdint.h>

/* Set bits in bits [startbit, endbit] (inclusive, both < len * 8) of p. */
uint64_t bitmap_count(const unsigned char *p, uint64_t startbit, uint64_t endbit);
/* Set bits in the n bytes at p. */
uint64_t bitmap_popcount(const unsigned char *p, size_t n);
/* The first position in [startbit, endbit] (endbit < len * 8) whose bit
 * equals `bit` (0 or 1), or -1 when there is none. */
int64_t bitmap_find(const unsigned char *p, size_t len, uint64_t startbit, uint64_t endbit, int bit);

/* The `bits`-wide (1..64) unsigned field at bit `offset` of the len bytes at
 * p, most significant bit first; bits past len read as 0. */
uint64_t bitmap_get_field(const unsigned char *p, size_t len, uint64_t offset, int bits);
/* The same field read as a two's complement signed integer. */
int64_t bitmap_get_signed_field(const unsigned char *p, size_t len, uint64_t offset, int bits);
/* Writes the low `bits` bits of value at bit `offset`; the caller makes sure
 * p holds at least (offset + bits + 7) / 8 bytes. */
void bitmap_set_field(unsigned char *p, uint64_t offset, int bits, uint64_t value);

enum bitmap_op { BITMAP_AND, BITMAP_OR, BITMAP_XOR, BITMAP_NOT };
/* BITOP: out (maxlen bytes, the longest source) = op over the n sources
 * (srcs[i] of lens[i] bytes; a missing key is a NULL source of length 0);
 * a shorter source reads as zero bytes past its end. NOT takes one source. */
void bitmap_op(enum bitmap_op op, const unsigned char *const *srcs, const size_t *lens, size_t n, unsigned char *out,
               size_t maxlen);

/* BITFIELD arithmetic with Redis's overflow rules. `value` is the field's
 * current value (or, for SET, the new value with incr 0). Returns 1 when the
 * result overflows the field; *result is the wrapped result (WRAP), or the
 * saturated one when sat is set. */
int bitfield_unsigned_add(uint64_t value, int64_t incr, int bits, int sat, uint64_t *result);
int bitfield_signed_add(int64_t value, int64_t incr, int bits, int sat, int64_t *result);

#endif
