/*
 * quicklist.c - linked listpack nodes, the encoding of large lists (see
 * quicklist.h for the invariants and the node size limits).
 *
 * Placement of a new element, as Redis's quicklist does it: into the node at
 * the position if that node stays within the limit; else into the neighbour
 * node when the position is at the node's edge and the neighbour has room;
 * else into a new node at that edge; else (the middle of a full node) the
 * node is split at the position and the element goes to whichever half has
 * room, or to a new node between them. Nodes are not merged back when they
 * shrink (Redis does not either, except on LINSERT); a list that shrinks to
 * one small node is turned back into a listpack by its owner (cmd_list.c).
 *
 * A wrapped listpack (ql->unbounded) has one node and no limit, so none of
 * the node-creating paths is ever taken for it.
 *
 * Threads: none of its own; a quicklist is used only by the shard thread that
 * owns the key holding it.
 */
#include "core/ds/quicklist.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/listpack.h"
#include "core/base/util.h"

/* Redis's sizes for fill -1..-5, and the largest node a count-limited fill
 * may build (unless the node holds a single element). */
static const size_t size_levels[] = {4096, 8192, 16384, 32768, 65536};
#define QL_SIZE_SAFETY_LIMIT 8192

/* ---------------- limits ---------------- */

void ql_node_limit(int fill, size_t *size_limit, unsigned long *count_limit)
{
    if (fill >= 0) {
        *size_limit = SIZE_MAX;
        *count_limit = fill == 0 ? 1 : (unsigned long)fill;
        return;
    }
    size_t level = (size_t)(-(long long)fill - 1);
    size_t max_level = sizeof(size_levels) / sizeof(size_levels[0]) - 1;
    *size_limit = size_levels[level > max_level ? max_level : level];
    *count_limit = ULONG_MAX;
}

int ql_exceeds_limit(int fill, size_t new_bytes, unsigned long new_count)
{
    size_t size_limit;
    unsigned long count_limit;
    ql_node_limit(fill, &size_limit, &count_limit);
    if (size_limit != SIZE_MAX)
        return new_bytes > size_limit;
    if (new_bytes > QL_SIZE_SAFETY_LIMIT)
        return 1;
    return new_count > count_limit;
}

static size_t backlen_bytes(size_t l)
{
    if (l < 128)
        return 1;
    if (l < 16384)
        return 2;
    if (l < 2097152)
        return 3;
    if (l < 268435456)
        return 4;
    return 5;
}

size_t ql_entry_bytes(const char *s, size_t len)
{
    long long v;
    size_t l;
    if (len <= 20 && string2ll(s, len, &v)) {
        if (v >= 0 && v <= 127)
            l = 1;
        else if (v >= -4096 && v <= 4095)
            l = 2;
        else if (v >= INT16_MIN && v <= INT16_MAX)
            l = 3;
        else if (v >= -8388608 && v <= 8388607)
            l = 4;
        else if (v >= INT32_MIN && v <= INT32_MAX)
            l = 5;
        else
            l = 9;
    } else if (len < 64) {
        l = 1 + len;
    } else if (len < 4096) {
        l = 2 + len;
    } else {
        l = 5 + len;
    }
    return l + backlen_bytes(l);
}

/* True when node may take one more entry of entry_bytes bytes. */
static int node_allows(const struct quicklist *ql, const struct ql_node *node, size_t entry_bytes)
{
    if (ql->unbounded)
        return 1;
    if (node->count == 0)
        return 1;
    return !ql_exceeds_limit(ql->fill, (size_t)node->bytes + entry_bytes, (unsigned long)node->count + 1);
}

/* ---------------- nodes ---------------- */

static void node_sync(struct ql_node *node)
{
    node->count = lp_count(node->lp);
    node->bytes = (uint32_t)lp_bytes(node->lp);
}

static struct ql_node *node_new(unsigned char *lp)
{
    struct ql_node *node = xmalloc(sizeof(*node));
    node->prev = node->next = NULL;
    node->lp = lp;
    node_sync(node);
    return node;
}

/* Links node after `after` (NULL: at the head). */
static void link_after(struct quicklist *ql, struct ql_node *after, struct ql_node *node)
{
    node->prev = after;
    node->next = after ? after->next : ql->head;
    if (node->next)
        node->next->prev = node;
    else
        ql->tail = node;
    if (after)
        after->next = node;
    else
        ql->head = node;
    ql->len++;
}

/* Unlinks and frees an empty node, unless it is the only one. */
static void node_drop_if_empty(struct quicklist *ql, struct ql_node *node)
{
    if (node->count != 0 || ql->len == 1)
        return;
    if (node->prev)
        node->prev->next = node->next;
    else
        ql->head = node->next;
    if (node->next)
        node->next->prev = node->prev;
    else
        ql->tail = node->prev;
    ql->len--;
    lp_free(node->lp);
    free(node);
}

static unsigned char *lp_copy(const unsigned char *lp)
{
    size_t n = lp_bytes(lp);
    unsigned char *copy = xmalloc(n);
    memcpy(copy, lp, n);
    return copy;
}

/* Splits node at offset k (0 < k < count): node keeps [0, k), a new node
 * linked after it gets [k, count). Returns the new node. */
static struct ql_node *node_split(struct quicklist *ql, struct ql_node *node, uint32_t k)
{
    unsigned char *right = lp_copy(node->lp);
    right = lp_delete_range(right, 0, k);
    node->lp = lp_delete_range(node->lp, (long)k, node->count - k);
    node_sync(node);
    struct ql_node *rnode = node_new(right);
    link_after(ql, node, rnode);
    return rnode;
}

/* ---------------- whole lists ---------------- */

struct quicklist *ql_new(int fill)
{
    struct quicklist *ql = xmalloc(sizeof(*ql));
    ql->head = ql->tail = NULL;
    ql->count = 0;
    ql->len = 0;
    ql->fill = fill;
    ql->unbounded = 0;
    return ql;
}

struct quicklist *ql_from_listpack(int fill, unsigned char *lp)
{
    struct quicklist *ql = ql_new(fill);
    if (lp_count(lp) == 0) {
        lp_free(lp);
        return ql;
    }
    struct ql_node *node = node_new(lp);
    link_after(ql, NULL, node);
    ql->count = node->count;
    return ql;
}

void ql_append_node(struct quicklist *ql, unsigned char *lp)
{
    struct ql_node *node = node_new(lp);
    link_after(ql, ql->tail, node);
    ql->count += node->count;
}

unsigned char *ql_to_listpack(struct quicklist *ql)
{
    unsigned char *lp = ql->head ? ql->head->lp : lp_new();
    free(ql->head);
    free(ql);
    return lp;
}

void ql_free(struct quicklist *ql)
{
    if (!ql)
        return;
    struct ql_node *node = ql->head;
    while (node) {
        struct ql_node *next = node->next;
        lp_free(node->lp);
        free(node);
        node = next;
    }
    free(ql);
}

struct quicklist *ql_dup(const struct quicklist *ql)
{
    struct quicklist *copy = ql_new(ql->fill);
    for (const struct ql_node *node = ql->head; node; node = node->next)
        link_after(copy, copy->tail, node_new(lp_copy(node->lp)));
    copy->count = ql->count;
    return copy;
}

size_t ql_mem(const struct quicklist *ql)
{
    size_t n = sizeof(*ql);
    for (const struct ql_node *node = ql->head; node; node = node->next)
        n += sizeof(*node) + node->bytes;
    return n;
}

void ql_wrap_listpack(struct quicklist *ql, struct ql_node *node, unsigned char *lp)
{
    node->prev = node->next = NULL;
    node->lp = lp;
    node_sync(node);
    ql->head = ql->tail = node;
    ql->len = 1;
    ql->count = node->count;
    ql->fill = 0;
    ql->unbounded = 1;
}

unsigned char *ql_unwrap(struct quicklist *ql)
{
    return ql->head->lp;
}

/* ---------------- push ---------------- */

void ql_push(struct quicklist *ql, enum ql_where where, const char *s, size_t len)
{
    struct ql_node *node = where == QL_HEAD ? ql->head : ql->tail;
    if (!node || !node_allows(ql, node, ql_entry_bytes(s, len))) {
        node = node_new(lp_new());
        link_after(ql, where == QL_HEAD ? NULL : ql->tail, node);
    }
    node->lp = where == QL_HEAD ? lp_prepend(node->lp, s, len) : lp_append(node->lp, s, len);
    node_sync(node);
    ql->count++;
}

/* ---------------- positions ---------------- */

int ql_index(struct quicklist *ql, long index, struct ql_pos *pos)
{
    size_t n = ql->count;
    if (index < 0) {
        if ((unsigned long)-(index + 1) >= n)
            return 0;
        index += (long)n;
    } else if ((size_t)index >= n) {
        return 0;
    }
    size_t i = (size_t)index;
    struct ql_node *node;
    size_t offset;
    if (i < n / 2) {
        node = ql->head;
        while (i >= node->count) {
            i -= node->count;
            node = node->next;
        }
        offset = i;
    } else {
        size_t from_tail = n - 1 - i; /* entries after the wanted one */
        node = ql->tail;
        while (from_tail >= node->count) {
            from_tail -= node->count;
            node = node->prev;
        }
        offset = node->count - 1 - from_tail;
    }
    pos->node = node;
    pos->offset = (uint32_t)offset;
    pos->p = lp_seek(node->lp, (long)offset);
    return 1;
}

int ql_next(struct quicklist *ql, struct ql_pos *pos)
{
    (void)ql;
    unsigned char *p = lp_next(pos->node->lp, pos->p);
    if (p) {
        pos->p = p;
        pos->offset++;
        return 1;
    }
    struct ql_node *node = pos->node->next;
    if (!node)
        return 0;
    pos->node = node;
    pos->offset = 0;
    pos->p = lp_first(node->lp);
    return pos->p != NULL;
}

int ql_prev(struct quicklist *ql, struct ql_pos *pos)
{
    (void)ql;
    unsigned char *p = lp_prev(pos->node->lp, pos->p);
    if (p) {
        pos->p = p;
        pos->offset--;
        return 1;
    }
    struct ql_node *node = pos->node->prev;
    if (!node)
        return 0;
    pos->node = node;
    pos->offset = node->count - 1;
    pos->p = lp_last(node->lp);
    return pos->p != NULL;
}

/* ---------------- deletion ---------------- */

int ql_delete(struct quicklist *ql, struct ql_pos *pos, int forward)
{
    struct ql_node *node = pos->node;
    unsigned char *prev = forward ? NULL : lp_prev(node->lp, pos->p);
    size_t prev_off = prev ? (size_t)(prev - node->lp) : 0;
    unsigned char *following;
    node->lp = lp_delete(node->lp, pos->p, &following);
    node_sync(node);
    ql->count--;

    if (forward) {
        if (following) {
            pos->p = following; /* same offset */
            return 1;
        }
        struct ql_node *next = node->next;
        node_drop_if_empty(ql, node);
        if (!next)
            return 0;
        pos->node = next;
        pos->offset = 0;
        pos->p = lp_first(next->lp);
        return 1;
    }
    if (prev) {
        pos->p = node->lp + prev_off; /* bytes before the deleted entry did not move */
        pos->offset--;
        return 1;
    }
    struct ql_node *before = node->prev;
    node_drop_if_empty(ql, node);
    if (!before)
        return 0;
    pos->node = before;
    pos->offset = before->count - 1;
    pos->p = lp_last(before->lp);
    return 1;
}

void ql_delete_range(struct quicklist *ql, long start, unsigned long count)
{
    size_t n = ql->count;
    if (start < 0) {
        start += (long)n;
        if (start < 0)
            start = 0;
    }
    if ((size_t)start >= n || count == 0)
        return;
    if (count > n - (size_t)start)
        count = n - (size_t)start;

    /* Find the node holding `start`, from the nearer end. */
    struct ql_node *node;
    size_t offset = (size_t)start;
    if ((size_t)start < n / 2) {
        node = ql->head;
        while (offset >= node->count) {
            offset -= node->count;
            node = node->next;
        }
    } else {
        size_t from_tail = n - 1 - (size_t)start;
        node = ql->tail;
        while (from_tail >= node->count) {
            from_tail -= node->count;
            node = node->prev;
        }
        offset = node->count - 1 - from_tail;
    }

    while (count > 0 && node) {
        struct ql_node *next = node->next;
        unsigned long del = node->count - offset;
        if (del > count)
            del = count;
        if (offset == 0 && del == node->count && ql->len > 1) {
            node->count = 0;
            node_drop_if_empty(ql, node);
        } else {
            node->lp = lp_delete_range(node->lp, (long)offset, del);
            node_sync(node);
        }
        ql->count -= del;
        count -= del;
        offset = 0;
        node = next;
    }
}

/* ---------------- insertion and replacement ---------------- */

/* Puts s/len between node `left` (may be NULL) and its successor `right`:
 * at the tail of left, the head of right, or in a new node. */
static void insert_between(struct quicklist *ql, struct ql_node *left, struct ql_node *right, const char *s, size_t len,
                           size_t entry_bytes)
{
    if (left && node_allows(ql, left, entry_bytes)) {
        left->lp = lp_append(left->lp, s, len);
        node_sync(left);
    } else if (right && node_allows(ql, right, entry_bytes)) {
        right->lp = lp_prepend(right->lp, s, len);
        node_sync(right);
    } else {
        struct ql_node *node = node_new(lp_append(lp_new(), s, len));
        link_after(ql, left, node);
    }
    ql->count++;
}

void ql_insert(struct quicklist *ql, struct ql_pos *pos, const char *s, size_t len, int after)
{
    struct ql_node *node = pos->node;
    size_t entry_bytes = ql_entry_bytes(s, len);
    if (node_allows(ql, node, entry_bytes)) {
        node->lp = lp_insert(node->lp, pos->p, s, len, after ? LP_AFTER : LP_BEFORE, NULL);
        node_sync(node);
        ql->count++;
        return;
    }
    uint32_t k = after ? pos->offset + 1 : pos->offset; /* split point */
    if (k == node->count) {
        insert_between(ql, node, node->next, s, len, entry_bytes);
    } else if (k == 0) {
        insert_between(ql, node->prev, node, s, len, entry_bytes);
    } else {
        struct ql_node *right = node_split(ql, node, k);
        insert_between(ql, node, right, s, len, entry_bytes);
    }
}

int ql_replace_at(struct quicklist *ql, long index, const char *s, size_t len)
{
    struct ql_pos pos;
    if (!ql_index(ql, index, &pos))
        return 0;
    if (index < 0)
        index += (long)ql->count;
    struct ql_node *node = pos.node;
    size_t old_bytes =
        (size_t)(lp_next(node->lp, pos.p) ? lp_next(node->lp, pos.p) - pos.p : (node->lp + node->bytes - 1) - pos.p);
    size_t new_bytes = (size_t)node->bytes - old_bytes + ql_entry_bytes(s, len);
    if (ql->unbounded || node->count == 1 || !ql_exceeds_limit(ql->fill, new_bytes, node->count)) {
        node->lp = lp_insert(node->lp, pos.p, s, len, LP_REPLACE, NULL);
        node_sync(node);
        return 1;
    }
    /* Too big for its node: delete it, then insert the new value where it
     * was (the insertion splits the node as needed). */
    ql_delete(ql, &pos, 1);
    if ((size_t)index < ql->count) {
        ql_index(ql, index, &pos);
        ql_insert(ql, &pos, s, len, 0);
    } else if (ql->count > 0) {
        ql_index(ql, index - 1, &pos);
        ql_insert(ql, &pos, s, len, 1);
    } else {
        ql_push(ql, QL_TAIL, s, len);
    }
    return 1;
}

/* ---------------- checks ---------------- */

int ql_check(const struct quicklist *ql)
{
    size_t count = 0;
    uint32_t len = 0;
    const struct ql_node *prev = NULL;
    for (const struct ql_node *node = ql->head; node; node = node->next) {
        if (node->prev != prev)
            return 0;
        if (node->count != lp_count(node->lp) || node->bytes != lp_bytes(node->lp))
            return 0;
        if (!lp_validate(node->lp, node->bytes))
            return 0;
        if (node->count == 0 && ql->len != 1)
            return 0;
        count += node->count;
        len++;
        prev = node;
    }
    return prev == ql->tail && count == ql->count && len == ql->len;
}
