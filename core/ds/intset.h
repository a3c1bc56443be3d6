/*
 * intset.h - a sorted array of distinct integers in one malloc'd block, the
 * encoding of small sets whose members are all integers (set-max-intset-
 * entries). Elements are stored 2, 4 or 8 bytes wide, the narrowest width
 * that holds every member; adding a wider value upgrades the whole array
 * (as Redis's intset), so 10 small integers take 8 + 10*2 bytes.
 *
 * Ownership: the caller owns the block (intset_free). Functions that may
 * reallocate return the new pointer; the old one must not be used.
 *
 * Threads: no shared state; used by the thread that owns the value.
 */
#ifndef SHARDIS_INTSET_H
#define SHARDIS_INTSET_H

#include <stddef.h>
#include <stdint.h>

struct intset;

struct intset *intset_new(void);
void intset_free(struct intset *is);
/* Adds v; *added (may be NULL) is 1 when it was not present. */
struct intset *intset_add(struct intset *is, int64_t v, int *added);
/* Removes v; *removed (may be NULL) is 1 when it was present. */
struct intset *intset_remove(struct intset *is, int64_t v, int *removed);
int intset_find(const struct intset *is, int64_t v);
uint32_t intset_len(const struct intset *is);
/* The element at position pos (0 <= pos < len), in ascending order. */
int64_t intset_get(const struct intset *is, uint32_t pos);
/* Size of the block in bytes (header + elements). */
size_t intset_bytes(const struct intset *is);
/* Deep copy. */
struct intset *intset_dup(const struct intset *is);
/* Checks a block of `bytes` bytes read from an untrusted source: width,
 * length and strict ascending order. 1 when valid. */
int intset_validate(const struct intset *is, size_t bytes);

#endif
