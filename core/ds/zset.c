/*
 * zset.c - skip list with spans + member dictionary (see zset.h), after
 * Redis's t_zset.c zsl* functions.
 *
 * Invariants: header->level[i].span counts the elements skipped by each
 * forward link at level i (for a NULL link: the elements after the node);
 * node->backward is the previous node (NULL for the first); tail is the last
 * node; z->level is the highest level in use (>= 1); every member is in the
 * dict exactly once with v.ptr = its skip-list node.
 *
 * Levels are drawn with p = 1/4 from a per-thread xorshift generator.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/zset.h"

static void *zmalloc(size_t size)
{
    void *p = malloc(size);
    if (!p) {
        fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", size);
        abort();
    }
    return p;
}

static int random_level(void)
{
    static __thread uint64_t state;
    if (!state)
        state = (uint64_t)(uintptr_t)&state ^ 0x9e3779b97f4a7c15ULL;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    /* Two bits per level: each further level with probability 1/4. */
    uint64_t bits = state;
    int level = 1;
    while (level < ZSET_MAX_LEVEL && (bits & 3) == 0) {
        level++;
        bits >>= 2;
    }
    return level;
}

static struct zset_node *node_new(int level, double score, struct sdict_node *member)
{
    struct zset_node *n = zmalloc(sizeof(*n) + (size_t)level * sizeof(struct zset_level));
    n->member = member;
    n->score = score;
    n->backward = NULL;
    return n;
}

int zset_member_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t min = alen < blen ? alen : blen;
    int r = min ? memcmp(a, b, min) : 0;
    if (r)
        return r;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* n sorts before (score, m). */
static int node_before(const struct zset_node *n, double score, const char *m, size_t len)
{
    return n->score < score || (n->score == score && zset_member_cmp(n->member->key, n->member->klen, m, len) < 0);
}

struct zset *zset_new(void)
{
    struct zset *z = zmalloc(sizeof(*z));
    z->dict = sdict_new();
    z->header = node_new(ZSET_MAX_LEVEL, 0, NULL);
    for (int i = 0; i < ZSET_MAX_LEVEL; i++) {
        z->header->level[i].forward = NULL;
        z->header->level[i].span = 0;
    }
    z->tail = NULL;
    z->length = 0;
    z->level = 1;
    return z;
}

void zset_free(struct zset *z)
{
    if (!z)
        return;
    struct zset_node *n = z->header->level[0].forward;
    while (n) {
        struct zset_node *next = n->level[0].forward;
        free(n);
        n = next;
    }
    free(z->header);
    sdict_free(z->dict, NULL);
    free(z);
}

struct zset *zset_dup(struct zset *z)
{
    struct zset *copy = zset_new();
    /* Inserting in descending order makes each insert stop at the head. */
    for (struct zset_node *n = z->tail; n; n = n->backward)
        zset_set(copy, n->member->key, n->member->klen, n->score);
    return copy;
}

size_t zset_mem(const struct zset *z)
{
    /* Average level is 4/3 with p = 1/4. */
    size_t per_node = sizeof(struct zset_node) + sizeof(struct zset_level) * 4 / 3 + 8;
    return sizeof(*z) + sizeof(struct zset_node) + ZSET_MAX_LEVEL * sizeof(struct zset_level) + sdict_mem(z->dict) +
           z->length * per_node;
}

static struct zset_node *sl_insert(struct zset *z, double score, struct sdict_node *member)
{
    struct zset_node *update[ZSET_MAX_LEVEL], *x = z->header;
    unsigned long rank[ZSET_MAX_LEVEL];
    const char *m = member->key;
    size_t len = member->klen;
    for (int i = z->level - 1; i >= 0; i--) {
        rank[i] = i == z->level - 1 ? 0 : rank[i + 1];
        while (x->level[i].forward && node_before(x->level[i].forward, score, m, len)) {
            rank[i] += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    int level = random_level();
    if (level > z->level) {
        for (int i = z->level; i < level; i++) {
            rank[i] = 0;
            update[i] = z->header;
            update[i]->level[i].span = z->length;
        }
        z->level = level;
    }
    x = node_new(level, score, member);
    for (int i = 0; i < level; i++) {
        x->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = x;
        x->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < z->level; i++)
        update[i]->level[i].span++;
    x->backward = update[0] == z->header ? NULL : update[0];
    if (x->level[0].forward)
        x->level[0].forward->backward = x;
    else
        z->tail = x;
    z->length++;
    return x;
}

/* Unlinks node x (found with score/member) from the list and frees it. */
static void sl_delete(struct zset *z, const struct zset_node *target)
{
    struct zset_node *update[ZSET_MAX_LEVEL], *x = z->header;
    const char *m = target->member->key;
    size_t len = target->member->klen;
    for (int i = z->level - 1; i >= 0; i--) {
        while (x->level[i].forward && node_before(x->level[i].forward, target->score, m, len))
            x = x->level[i].forward;
        update[i] = x;
    }
    x = x->level[0].forward; /* == target */
    for (int i = 0; i < z->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
        } else {
            update[i]->level[i].span -= 1;
        }
    }
    if (x->level[0].forward)
        x->level[0].forward->backward = x->backward;
    else
        z->tail = x->backward;
    while (z->level > 1 && z->header->level[z->level - 1].forward == NULL)
        z->level--;
    z->length--;
    free(x);
}

struct zset_node *zset_update_score(struct zset *z, struct zset_node *n, double score)
{
    if (n->score == score)
        return n;
    const char *m = n->member->key;
    size_t len = n->member->klen;
    /* Still between its neighbours: update in place (Redis's zslUpdateScore). */
    struct zset_node *next = n->level[0].forward;
    if ((n->backward == NULL || n->backward->score < score ||
         (n->backward->score == score &&
          zset_member_cmp(n->backward->member->key, n->backward->member->klen, m, len) < 0)) &&
        (next == NULL || next->score > score ||
         (next->score == score && zset_member_cmp(next->member->key, next->member->klen, m, len) > 0))) {
        n->score = score;
        return n;
    }
    struct sdict_node *dn = n->member;
    sl_delete(z, n);
    dn->v.ptr = sl_insert(z, score, dn);
    return dn->v.ptr;
}

int zset_add_or_find(struct zset *z, const char *m, size_t len, double score, struct zset_node **node)
{
    int added;
    struct sdict_node *dn = sdict_add(z->dict, m, len, &added);
    if (added)
        dn->v.ptr = sl_insert(z, score, dn);
    *node = dn->v.ptr;
    return added;
}

struct zset_node *zset_find(struct zset *z, const char *m, size_t len)
{
    struct sdict_node *dn = sdict_find(z->dict, m, len);
    return dn ? dn->v.ptr : NULL;
}

int zset_set(struct zset *z, const char *m, size_t len, double score)
{
    struct zset_node *n;
    if (zset_add_or_find(z, m, len, score, &n))
        return 1;
    zset_update_score(z, n, score);
    return 0;
}

int zset_score(struct zset *z, const char *m, size_t len, double *score)
{
    struct sdict_node *dn = sdict_find(z->dict, m, len);
    if (!dn)
        return 0;
    *score = ((struct zset_node *)dn->v.ptr)->score;
    return 1;
}

int zset_remove(struct zset *z, const char *m, size_t len)
{
    struct sdict_node *dn = sdict_unlink(z->dict, m, len);
    if (!dn)
        return 0;
    sl_delete(z, dn->v.ptr);
    sdict_node_free(dn);
    return 1;
}

unsigned long zset_node_rank(const struct zset *z, const struct zset_node *target)
{
    const struct zset_node *x = z->header;
    unsigned long rank = 0;
    const char *m = target->member->key;
    size_t len = target->member->klen;
    for (int i = z->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               (x->level[i].forward == target || node_before(x->level[i].forward, target->score, m, len))) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
        if (x == target)
            return rank;
    }
    return 0;
}

unsigned long zset_rank(struct zset *z, const char *m, size_t len)
{
    struct sdict_node *dn = sdict_find(z->dict, m, len);
    return dn ? zset_node_rank(z, dn->v.ptr) : 0;
}

struct zset_node *zset_node_by_rank(const struct zset *z, unsigned long rank)
{
    if (rank == 0 || rank > z->length)
        return NULL;
    const struct zset_node *x = z->header;
    unsigned long traversed = 0;
    for (int i = z->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= rank) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == rank)
            return (struct zset_node *)x;
    }
    return NULL;
}

int zset_score_range_empty(const struct zset_score_range *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

struct zset_node *zset_first_in_score_range(const struct zset *z, const struct zset_score_range *r)
{
    if (zset_score_range_empty(r))
        return NULL;
    const struct zset_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--)
        while (x->level[i].forward && !zset_score_gte_min(x->level[i].forward->score, r))
            x = x->level[i].forward;
    x = x->level[0].forward;
    return x && zset_score_lte_max(x->score, r) ? (struct zset_node *)x : NULL;
}

struct zset_node *zset_last_in_score_range(const struct zset *z, const struct zset_score_range *r)
{
    if (zset_score_range_empty(r))
        return NULL;
    const struct zset_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--)
        while (x->level[i].forward && zset_score_lte_max(x->level[i].forward->score, r))
            x = x->level[i].forward;
    return x != z->header && zset_score_gte_min(x->score, r) ? (struct zset_node *)x : NULL;
}

int zset_lex_gte_min(const char *s, size_t len, const struct zset_lex_range *r)
{
    if (r->min_kind == ZLEX_MINUS)
        return 1;
    if (r->min_kind == ZLEX_PLUS)
        return 0;
    int c = zset_member_cmp(s, len, r->min, r->minlen);
    return r->minex ? c > 0 : c >= 0;
}

int zset_lex_lte_max(const char *s, size_t len, const struct zset_lex_range *r)
{
    if (r->max_kind == ZLEX_PLUS)
        return 1;
    if (r->max_kind == ZLEX_MINUS)
        return 0;
    int c = zset_member_cmp(s, len, r->max, r->maxlen);
    return r->maxex ? c < 0 : c <= 0;
}

int zset_lex_range_empty(const struct zset_lex_range *r)
{
    if (r->min_kind == ZLEX_PLUS || r->max_kind == ZLEX_MINUS)
        return 1;
    if (r->min_kind == ZLEX_MINUS || r->max_kind == ZLEX_PLUS)
        return 0;
    int c = zset_member_cmp(r->min, r->minlen, r->max, r->maxlen);
    return c > 0 || (c == 0 && (r->minex || r->maxex));
}

struct zset_node *zset_first_in_lex_range(const struct zset *z, const struct zset_lex_range *r)
{
    if (zset_lex_range_empty(r))
        return NULL;
    const struct zset_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--)
        while (x->level[i].forward &&
               !zset_lex_gte_min(x->level[i].forward->member->key, x->level[i].forward->member->klen, r))
            x = x->level[i].forward;
    x = x->level[0].forward;
    return x && zset_lex_lte_max(x->member->key, x->member->klen, r) ? (struct zset_node *)x : NULL;
}

struct zset_node *zset_last_in_lex_range(const struct zset *z, const struct zset_lex_range *r)
{
    if (zset_lex_range_empty(r))
        return NULL;
    const struct zset_node *x = z->header;
    for (int i = z->level - 1; i >= 0; i--)
        while (x->level[i].forward &&
               zset_lex_lte_max(x->level[i].forward->member->key, x->level[i].forward->member->klen, r))
            x = x->level[i].forward;
    return x != z->header && zset_lex_gte_min(x->member->key, x->member->klen, r) ? (struct zset_node *)x : NULL;
}
