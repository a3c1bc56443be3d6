/*
 * t_hash.c - the hash type: encodings, lookups, updates, conversion,
 * iteration and the per-type hooks of object.h (see t_hash.h). Extracted
 * from core/commands/cmd_hash.c, which keeps the commands.
 *
 * Threads: the thread owning the value. Invariant: a listpack hash is
 * within both listpack limits of the config it was last written under; a
 * hashtable node's value is always a struct hash_blob.
 */
#include "core/types/t_hash.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"

/* ---------------- values of the hashtable encoding ---------------- */

static struct hash_blob *blob_new(const char *s, size_t len)
{
    struct hash_blob *b = xmalloc(sizeof(*b) + len);
    b->len = (uint32_t)len;
    memcpy(b->data, s, len);
    return b;
}

static void node_free_blob(struct sdict_node *n)
{
    free(n->v.ptr);
}

/* Stores s as the value of node n, reusing its blob when it is big enough. */
static void node_set_value(struct sdict_node *n, const char *s, size_t len)
{
    struct hash_blob *b = n->v.ptr;
    if (b && malloc_usable_size(b) >= sizeof(*b) + len) {
        memcpy(b->data, s, len);
        b->len = (uint32_t)len;
        return;
    }
    free(b);
    n->v.ptr = blob_new(s, len);
}

const char *hash_node_value(const struct sdict_node *n, size_t *len)
{
    const struct hash_blob *b = n->v.ptr;
    *len = b->len;
    return b->data;
}

int hash_table_add(struct sdict *d, const char *field, size_t flen, const char *val, size_t vlen)
{
    int added;
    struct sdict_node *n = sdict_add(d, field, flen, &added);
    if (added)
        n->v.ptr = blob_new(val, vlen);
    return added;
}

/* ---------------- the data structure ---------------- */

/* Converts a listpack-encoded hash to the hashtable encoding. */
static void hash_convert(struct db_entry *e)
{
    unsigned char *lp = e->v.ptr;
    struct sdict *d = sdict_new();
    sdict_reserve(d, lp_count(lp) / 2);
    char kbuf[LONG_STR_SIZE], vbuf[LONG_STR_SIZE];
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        size_t klen, vlen;
        const char *k = lp_get_str(p, kbuf, &klen);
        const char *v = lp_get_str(lp_next(lp, p), vbuf, &vlen);
        int added;
        struct sdict_node *n = sdict_add(d, k, klen, &added);
        n->v.ptr = blob_new(v, vlen);
    }
    lp_free(lp);
    e->v.ptr = d;
    e->encoding = ENC_HASHTABLE;
}

size_t hash_length(const struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        return lp_count(e->v.ptr) / 2;
    return sdict_size(e->v.ptr);
}

/* The listpack entry of field f (NULL when absent). */
static unsigned char *lp_find_field(unsigned char *lp, const char *f, size_t flen)
{
    unsigned char *first = lp_first(lp);
    return first ? lp_find(lp, first, f, flen, 1) : NULL;
}

int hash_get(struct db_entry *e, const char *f, size_t flen, char *tmp, const char **v, size_t *vlen)
{
    if (e->encoding == ENC_LISTPACK) {
        unsigned char *lp = e->v.ptr;
        unsigned char *p = lp_find_field(lp, f, flen);
        if (!p)
            return 0;
        *v = lp_get_str(lp_next(lp, p), tmp, vlen);
        return 1;
    }
    struct sdict_node *n = sdict_find(e->v.ptr, f, flen);
    if (!n)
        return 0;
    const struct hash_blob *b = n->v.ptr;
    *v = b->data;
    *vlen = b->len;
    return 1;
}

int hash_exists(struct db_entry *e, const char *f, size_t flen)
{
    if (e->encoding == ENC_LISTPACK)
        return lp_find_field(e->v.ptr, f, flen) != NULL;
    return sdict_find(e->v.ptr, f, flen) != NULL;
}

int hash_set(const struct config *cfg, struct db_entry *e, const char *f, size_t flen, const char *v, size_t vlen)
{
    if (e->encoding == ENC_LISTPACK &&
        (flen > (size_t)cfg->hash_max_listpack_value || vlen > (size_t)cfg->hash_max_listpack_value))
        hash_convert(e);

    if (e->encoding == ENC_LISTPACK) {
        unsigned char *lp = e->v.ptr;
        unsigned char *p = lp_find_field(lp, f, flen);
        if (p) {
            e->v.ptr = lp_insert(lp, lp_next(lp, p), v, vlen, LP_REPLACE, NULL);
            return 0;
        }
        lp = lp_append(lp, f, flen);
        e->v.ptr = lp_append(lp, v, vlen);
        if (lp_count(e->v.ptr) / 2 > (size_t)cfg->hash_max_listpack_entries)
            hash_convert(e);
        return 1;
    }
    int added;
    struct sdict_node *n = sdict_add(e->v.ptr, f, flen, &added);
    node_set_value(n, v, vlen);
    return added;
}

int hash_delete(struct db_entry *e, const char *f, size_t flen)
{
    if (e->encoding == ENC_LISTPACK) {
        unsigned char *lp = e->v.ptr;
        unsigned char *p = lp_find_field(lp, f, flen);
        if (!p)
            return 0;
        unsigned char *value;
        lp = lp_delete(lp, p, &value);
        e->v.ptr = lp_delete(lp, value, NULL);
        return 1;
    }
    struct sdict_node *n = sdict_unlink(e->v.ptr, f, flen);
    if (!n)
        return 0;
    free(n->v.ptr);
    sdict_node_free(n);
    return 1;
}

void hash_iter_init(struct hash_iter *hi, struct db_entry *e)
{
    hi->e = e;
    hi->p = NULL;
    hi->started = 0;
    hi->node = NULL;
    if (e->encoding == ENC_HASHTABLE)
        sdict_iter_init(&hi->it, e->v.ptr);
}

int hash_iter_next(struct hash_iter *hi)
{
    if (hi->e->encoding == ENC_LISTPACK) {
        unsigned char *lp = hi->e->v.ptr;
        hi->p = hi->started ? lp_next(lp, lp_next(lp, hi->p)) : lp_first(lp);
        hi->started = 1;
        return hi->p != NULL;
    }
    hi->node = sdict_iter_next(&hi->it);
    return hi->node != NULL;
}

const char *hash_iter_field(struct hash_iter *hi, size_t *len)
{
    if (hi->e->encoding == ENC_LISTPACK)
        return lp_get_str(hi->p, hi->kbuf, len);
    *len = hi->node->klen;
    return hi->node->key;
}

const char *hash_iter_value(struct hash_iter *hi, size_t *len)
{
    if (hi->e->encoding == ENC_LISTPACK)
        return lp_get_str(lp_next(hi->e->v.ptr, hi->p), hi->vbuf, len);
    const struct hash_blob *b = hi->node->v.ptr;
    *len = b->len;
    return b->data;
}

void hash_iter_done(struct hash_iter *hi)
{
    if (hi->e->encoding == ENC_HASHTABLE)
        sdict_iter_done(&hi->it);
}

/* ---------------- per-type hooks (object.h) ---------------- */

void hash_value_free(struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        lp_free(e->v.ptr);
    else
        sdict_free(e->v.ptr, node_free_blob);
    e->v.ptr = NULL;
}

void *hash_value_dup(const struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        return lp_dup(e->v.ptr);
    struct sdict *src = e->v.ptr;
    struct sdict *d = sdict_new();
    sdict_reserve(d, sdict_size(src));
    struct sdict_iter it;
    sdict_iter_init(&it, src);
    struct sdict_node *n;
    while ((n = sdict_iter_next(&it)) != NULL) {
        const struct hash_blob *b = n->v.ptr;
        int added;
        struct sdict_node *copy = sdict_add(d, n->key, n->klen, &added);
        copy->v.ptr = blob_new(b->data, b->len);
    }
    sdict_iter_done(&it);
    return d;
}

size_t hash_value_len(const struct db_entry *e)
{
    return hash_length(e);
}

/* The table's own bytes plus the values': exact up to 64 values, beyond that
 * extrapolated from the first 64 (as Redis's MEMORY USAGE samples). */
size_t hash_value_mem(const struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        return lp_bytes(e->v.ptr);
    struct sdict *d = e->v.ptr;
    size_t total = sdict_size(d), sampled = 0, bytes = 0;
    struct sdict_iter it;
    sdict_iter_init(&it, d);
    struct sdict_node *n;
    while (sampled < 64 && (n = sdict_iter_next(&it)) != NULL) {
        bytes += malloc_usable_size(n->v.ptr);
        sampled++;
    }
    sdict_iter_done(&it);
    if (sampled)
        bytes = bytes * total / sampled;
    return sdict_mem(d) + bytes;
}
