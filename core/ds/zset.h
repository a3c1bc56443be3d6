/*
 * zset.h - the "skiplist" encoding of sorted sets: a skip list ordered by
 * (score, member) whose links carry spans, so rank queries and rank lookups
 * are O(log n), plus an sdict mapping member -> skip-list node for O(1)
 * ZSCORE and membership. Same structure as Redis's zskiplist + dict.
 *
 * Memory: a member's bytes live once, inline in its sdict node; the skip-list
 * node points at that sdict node (member = n->member->key/klen) and the sdict
 * node's value word points back at the skip-list node.
 *
 * Order: by score, then by member bytes (memcmp, a prefix sorts first), as
 * Redis's zslInsert. Scores are never NaN (callers reject NaN first).
 *
 * Ownership: the zset owns its nodes and member bytes; node and member
 * pointers are borrowed until the next mutation of the set. Not thread-safe:
 * it belongs to the shard thread that owns the key.
 */
#ifndef SHARDIS_ZSET_H
#define SHARDIS_ZSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/ds/sdict.h"

#define ZSET_MAX_LEVEL 32

struct zset_node {
    struct sdict_node *member; /* NULL only in the header node */
    double score;
    struct zset_node *backward;
    struct zset_level {
        struct zset_node *forward;
        unsigned long span; /* elements skipped by following forward */
    } level[];
};

struct zset {
    struct sdict *dict; /* member -> node (v.ptr) */
    struct zset_node *header, *tail;
    unsigned long length;
    int level;
};

/* Score interval; minex/maxex: exclusive ends ("(" in Redis syntax). */
struct zset_score_range {
    double min, max;
    int minex, maxex;
};

/* Lexicographic interval: an end is "-" (ZLEX_MINUS), "+" (ZLEX_PLUS) or a
 * value, inclusive ("[") or exclusive ("("). Bytes are borrowed. */
enum zset_lex_kind { ZLEX_VALUE = 0, ZLEX_MINUS = 1, ZLEX_PLUS = 2 };
struct zset_lex_range {
    const char *min, *max;
    size_t minlen, maxlen;
    int minex, maxex;
    int min_kind, max_kind;
};

struct zset *zset_new(void);
void zset_free(struct zset *z);
/* Deep copy; the caller frees it with zset_free. */
struct zset *zset_dup(struct zset *z);
static inline unsigned long zset_length(const struct zset *z)
{
    return z->length;
}
/* Bytes used (nodes, dict, header). */
size_t zset_mem(const struct zset *z);

/* Adds member with score, or moves it to the new score. Returns 1 when
 * added, 0 when it existed. */
int zset_set(struct zset *z, const char *m, size_t len, double score);
/* The node of member, NULL when absent. */
struct zset_node *zset_find(struct zset *z, const char *m, size_t len);
/* Adds member with score when absent (returns 1); else returns 0 and leaves
 * it. Either way *node is the member's node. One hash lookup. */
int zset_add_or_find(struct zset *z, const char *m, size_t len, double score, struct zset_node **node);
/* Moves node n of z to a new score; n stays valid only when it returns n
 * (the node is re-allocated when it changes place). Returns the node. */
struct zset_node *zset_update_score(struct zset *z, struct zset_node *n, double score);
/* 1 and *score when member exists. */
int zset_score(struct zset *z, const char *m, size_t len, double *score);
/* Removes member; 1 when it existed. */
int zset_remove(struct zset *z, const char *m, size_t len);
/* 1-based rank in ascending order; 0 when absent. */
unsigned long zset_rank(struct zset *z, const char *m, size_t len);
/* The node with 1-based rank; NULL out of range. */
struct zset_node *zset_node_by_rank(const struct zset *z, unsigned long rank);
/* 1-based rank of a node of z. */
unsigned long zset_node_rank(const struct zset *z, const struct zset_node *n);

static inline struct zset_node *zset_first(const struct zset *z)
{
    return z->header->level[0].forward;
}
static inline struct zset_node *zset_last(const struct zset *z)
{
    return z->tail;
}
static inline struct zset_node *zset_next(const struct zset_node *n)
{
    return n->level[0].forward;
}
static inline struct zset_node *zset_prev(const struct zset_node *n)
{
    return n->backward;
}

/* First / last node inside the range; NULL when none. */
struct zset_node *zset_first_in_score_range(const struct zset *z, const struct zset_score_range *r);
struct zset_node *zset_last_in_score_range(const struct zset *z, const struct zset_score_range *r);
struct zset_node *zset_first_in_lex_range(const struct zset *z, const struct zset_lex_range *r);
struct zset_node *zset_last_in_lex_range(const struct zset *z, const struct zset_lex_range *r);

/* Range predicates, shared with the listpack encoding (core/commands/cmd_zset.c). */
int zset_member_cmp(const char *a, size_t alen, const char *b, size_t blen);
static inline int zset_score_gte_min(double v, const struct zset_score_range *r)
{
    return r->minex ? v > r->min : v >= r->min;
}
static inline int zset_score_lte_max(double v, const struct zset_score_range *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}
/* True when no value can be inside r. */
int zset_score_range_empty(const struct zset_score_range *r);
int zset_lex_gte_min(const char *s, size_t len, const struct zset_lex_range *r);
int zset_lex_lte_max(const char *s, size_t len, const struct zset_lex_range *r);
int zset_lex_range_empty(const struct zset_lex_range *r);

#endif
