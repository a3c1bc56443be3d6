/*
 * quicklist.h - the "quicklist" encoding of large lists: a doubly linked list
 * of nodes, each holding a listpack (core/ds/listpack.h) of up to
 * list-max-listpack-size worth of elements, with the element count cached in
 * every node and in the list, so that:
 *   - a push or pop at either end touches one node (O(1) amortised: at most
 *     one node's listpack is shifted, never the whole list);
 *   - an index (LINDEX, LSET, LRANGE's start) walks whole nodes by their
 *     cached counts from the nearer end, then seeks inside one listpack.
 *
 * Node size limit (Redis's list-max-listpack-size, "fill"): a positive fill
 * is a maximum number of entries per node (and a node still never grows past
 * 8 KB unless it holds a single element); -1..-5 are 4, 8, 16, 32, 64 KB per
 * node (values below -5 count as -5). A single element bigger than the limit
 * gets a node of its own.
 *
 * Invariants: ql->count is the sum of the nodes' counts, ql->len the number
 * of nodes; node->count == lp_count(node->lp) and node->bytes ==
 * lp_bytes(node->lp). No node is empty, except a sole node (a quicklist never
 * frees its last node; an empty list is deleted by its owner anyway).
 *
 * Ownership: a quicklist and its nodes belong to the shard thread that owns
 * the key. ql_free frees everything.
 *
 * Wrapped listpacks: the small-list encoding (ENC_LISTPACK) is a bare
 * listpack. ql_wrap_listpack makes a quicklist view of it on the caller's
 * stack (one node, no size limit), so every list command has one code path;
 * ql_unwrap gives the (possibly reallocated) listpack back.
 */
#ifndef SHARDIS_QUICKLIST_H
#define SHARDIS_QUICKLIST_H

#include <stddef.h>
#include <stdint.h>

enum ql_where { QL_HEAD = 0, QL_TAIL = 1 };

struct ql_node {
    struct ql_node *prev, *next;
    unsigned char *lp;
    uint32_t count; /* lp_count(lp) */
    uint32_t bytes; /* lp_bytes(lp) */
};

struct quicklist {
    struct ql_node *head, *tail;
    size_t count;  /* elements */
    uint32_t len;  /* nodes */
    int fill;      /* list-max-listpack-size when the list was made */
    int unbounded; /* a wrapped listpack: nodes are never split or added */
};

/* A position: the entry p of node, at index offset inside the node. Valid
 * until the next mutation, except where a function says it updates it. */
struct ql_pos {
    struct ql_node *node;
    unsigned char *p;
    uint32_t offset;
};

/* An empty quicklist with this fill. */
struct quicklist *ql_new(int fill);
/* A quicklist whose first node is lp (taken over; freed if empty). */
struct quicklist *ql_from_listpack(int fill, unsigned char *lp);
/* Frees a quicklist of at most one node, returning that node's listpack
 * (a new empty one when there is none). */
unsigned char *ql_to_listpack(struct quicklist *ql);
void ql_free(struct quicklist *ql);
/* Appends a whole node holding lp (non-empty; the quicklist takes it), as
 * the snapshot loader rebuilds a list node by node. */
void ql_append_node(struct quicklist *ql, unsigned char *lp);
/* Deep copy (same fill). */
struct quicklist *ql_dup(const struct quicklist *ql);
/* Bytes used: structs plus listpack blocks. */
size_t ql_mem(const struct quicklist *ql);

/* Wraps lp as a one-node unbounded quicklist in caller-provided storage;
 * ql_unwrap returns the listpack (which the caller stores back). */
void ql_wrap_listpack(struct quicklist *ql, struct ql_node *node, unsigned char *lp);
unsigned char *ql_unwrap(struct quicklist *ql);

/* Node limits for a fill: size limit (SIZE_MAX: none) and count limit
 * (ULONG_MAX: none). */
void ql_node_limit(int fill, size_t *size_limit, unsigned long *count_limit);
/* True when a node (or a listpack list) of new_bytes bytes holding
 * new_count entries would exceed the limits of fill. */
int ql_exceeds_limit(int fill, size_t new_bytes, unsigned long new_count);
/* Bytes the element s/len takes as a listpack entry. */
size_t ql_entry_bytes(const char *s, size_t len);

/* Pushes s/len at the head or the tail. */
void ql_push(struct quicklist *ql, enum ql_where where, const char *s, size_t len);

/* Positions pos at index (negative: from the tail). 0 when out of range. */
int ql_index(struct quicklist *ql, long index, struct ql_pos *pos);
/* Moves pos to the next (towards the tail) / previous entry; 0 at the end. */
int ql_next(struct quicklist *ql, struct ql_pos *pos);
int ql_prev(struct quicklist *ql, struct ql_pos *pos);

/* Deletes the entry at pos and moves pos to the entry that comes next in the
 * direction of iteration (forward: the one that followed it; backward: the
 * one before it). Returns 0 when there is none (pos is then invalid). */
int ql_delete(struct quicklist *ql, struct ql_pos *pos, int forward);
/* Deletes count entries from index start (negative: from the tail);
 * clamped to the list. */
void ql_delete_range(struct quicklist *ql, long start, unsigned long count);
/* Inserts s/len before or after the entry at pos; pos is invalid after. */
void ql_insert(struct quicklist *ql, struct ql_pos *pos, const char *s, size_t len, int after);
/* Replaces the element at index (negative: from the tail); 0 when out of
 * range. */
int ql_replace_at(struct quicklist *ql, long index, const char *s, size_t len);

/* Checks the invariants above; 1 when they hold (tests). */
int ql_check(const struct quicklist *ql);

#endif
