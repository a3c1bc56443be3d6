/*
 * listpack.h - a compact, contiguous sequence of small strings and integers
 * in one malloc'd block, the encoding of small hashes, sets, sorted sets and
 * of every node of a large list (quicklist). Same idea and the same entry
 * shapes as Redis's listpack, so its memory use per element matches Redis's.
 *
 * Layout: <total bytes: u32> <count: u32> <entry> ... <entry> <0xFF>
 * Each entry is <encoding+data> <backlen>: an integer that fits a small
 * encoding (7-bit unsigned, 13-, 16-, 24-, 32-, 64-bit signed) or a string
 * with a 6-, 12- or 32-bit length prefix, followed by the length of
 * <encoding+data> written backwards in 1..5 bytes, so the list can be walked
 * in both directions. A string that is a canonical integer (string2ll
 * accepts it) is stored as an integer; reading it gives the integer back and
 * lp_get_str formats it, so callers always see the bytes they stored.
 *
 * Ownership: the caller owns the block (lp_free). Every function that may
 * grow or shrink the block returns the new block pointer; the old one must not
 * be used afterwards. Entry pointers ("p") point into the block and are
 * invalidated by any mutation, except the one the mutating function returns.
 *
 * Nothing here is thread-safe; a listpack belongs to the shard thread that
 * owns its key.
 */
#ifndef SHARDIS_LISTPACK_H
#define SHARDIS_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

/* Header (8 bytes) + end marker. */
#define LP_EMPTY_BYTES 9
/* lp_insert positions. */
enum lp_where { LP_BEFORE = 0, LP_AFTER = 1, LP_REPLACE = 2 };

/* One element as read: an integer (str == NULL, ll set) or a string. */
struct lp_val {
    const unsigned char *str; /* NULL: integer */
    uint32_t len;
    long long ll;
};

unsigned char *lp_new(void);
/* A copy of the whole block; the caller frees it with lp_free. */
unsigned char *lp_dup(const unsigned char *lp);
void lp_free(unsigned char *lp);
/* Total size of the block in bytes, and the number of entries. */
size_t lp_bytes(const unsigned char *lp);
uint32_t lp_count(const unsigned char *lp);

/* Navigation: NULL when there is no such entry. */
unsigned char *lp_first(unsigned char *lp);
unsigned char *lp_last(unsigned char *lp);
unsigned char *lp_next(unsigned char *lp, unsigned char *p);
unsigned char *lp_prev(unsigned char *lp, unsigned char *p);
/* Entry at index (negative: from the end, -1 = last); NULL out of range.
 * Walks from the nearer end. */
unsigned char *lp_seek(unsigned char *lp, long index);

/* Reads the entry at p. */
void lp_get(const unsigned char *p, struct lp_val *v);
/* The entry's bytes: a string entry's own bytes, or an integer formatted
 * into buf (at least 21 bytes). Borrowed until the next mutation. */
const char *lp_get_str(const unsigned char *p, char *buf, size_t *len);
/* True when the entry equals the bytes s/len (integers compare as their
 * decimal form). */
int lp_eq(const unsigned char *p, const char *s, size_t len);

/* Mutations. Each returns the new block. */
unsigned char *lp_append(unsigned char *lp, const char *s, size_t len);
unsigned char *lp_prepend(unsigned char *lp, const char *s, size_t len);
unsigned char *lp_append_int(unsigned char *lp, long long v);
/* Inserts s before/after the entry p, or replaces it (LP_REPLACE). When newp
 * is not NULL, *newp is set to the inserted/replacing entry in the new block. */
unsigned char *lp_insert(unsigned char *lp, unsigned char *p, const char *s, size_t len, enum lp_where where,
                         unsigned char **newp);
/* lp_insert for an integer value (HINCRBY, list pushes of numbers) without
 * formatting it first. */
unsigned char *lp_insert_int(unsigned char *lp, unsigned char *p, long long v, enum lp_where where,
                             unsigned char **newp);
/* Deletes the entry at p; when newp is not NULL, *newp is set to the entry
 * that followed it (NULL if it was the last). */
unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **newp);
/* Deletes count entries starting at index (negative: from the end). */
unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long count);
/* Appends every entry of `other` to lp (lp grows; other unchanged). */
unsigned char *lp_merge(unsigned char *lp, const unsigned char *other);

/* Finds the first entry equal to s/len starting at p (inclusive), comparing
 * one entry and then skipping `skip` entries (skip 1: keys of key/value
 * pairs). NULL when not found. */
unsigned char *lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t len, unsigned skip);

/* Checks the block's structure (sizes, count, every entry's encoding and
 * backlen) within `bytes` bytes; 1 when valid. For loaders of untrusted
 * data (snapshots) and tests. */
int lp_validate(const unsigned char *lp, size_t bytes);

#endif
