/*
 * t_stream.c - the stream value (t_stream.h): the listpack node format, the
 * ordered node index, iteration, deletion and trimming, consumer groups,
 * consumers and pending entries lists, and the object hooks (free, dup,
 * len, mem).
 *
 * Threads: the shard thread that owns the key; nothing here is shared.
 *
 * Invariants:
 *   - every node in s->nodes has count > 0 live entries (a node whose last
 *     live entry is deleted is freed), and its index key is its master id,
 *     the id of the first entry ever written into it;
 *   - s->length is the sum of the nodes' counts;
 *   - ids in a node and across nodes ascend; the last node is the only one
 *     appended to;
 *   - a PEL entry (struct stream_nack) is owned by the group's pel and is
 *     also in exactly one consumer's pel (its `consumer`).
 */
#include "core/types/t_stream.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/types/object.h"

#define FLAG_DELETED 1
#define FLAG_SAMEFIELDS 2
/* A node never grows past this whatever stream-node-max-bytes says. */
#define NODE_HARD_MAX_BYTES (1u << 30)

/* ---------------- small helpers ---------------- */

static long long lp_int(const unsigned char *p)
{
    struct lp_val v;
    lp_get(p, &v);
    if (v.str) {
        long long ll = 0;
        string2ll((const char *)v.str, v.len, &ll);
        return ll;
    }
    return v.ll;
}

static void *xrealloc(void *p, size_t size)
{
    void *n = realloc(p, size);
    if (!n)
        out_of_memory(size);
    return n;
}

static char *dup_bytes(const char *s, size_t len)
{
    char *d = xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = memcmp(a, b, n);
    if (r)
        return r;
    return alen < blen ? -1 : alen > blen;
}

/* ---------------- ids ---------------- */

/* Redis's string2ull: the strict form, else strtoull over the whole string. */
static int parse_u64(const char *s, size_t len, unsigned long long *v)
{
    long long ll;
    if (string2ll(s, len, &ll)) {
        if (ll < 0)
            return 0;
        *v = (unsigned long long)ll;
        return 1;
    }
    char buf[128];
    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (memchr(buf, 0, len))
        return 0;
    errno = 0;
    char *end = NULL;
    *v = strtoull(buf, &end, 10);
    if (errno == EINVAL || errno == ERANGE || *end != 0)
        return 0;
    return 1;
}

int stream_id_parse(const char *s, size_t len, uint64_t missing_seq, int strict, int *seq_given, struct stream_id *id)
{
    if (len > 127)
        return 0;
    if (strict && len == 1 && (s[0] == '-' || s[0] == '+'))
        return 0;
    if (seq_given)
        *seq_given = 1;
    if (len == 1 && s[0] == '-') {
        *id = (struct stream_id){0, 0};
        return 1;
    }
    if (len == 1 && s[0] == '+') {
        *id = (struct stream_id){UINT64_MAX, UINT64_MAX};
        return 1;
    }
    const char *dash = memchr(s, '-', len);
    unsigned long long ms, seq;
    size_t mslen = dash ? (size_t)(dash - s) : len;
    if (!parse_u64(s, mslen, &ms))
        return 0;
    if (dash) {
        const char *q = dash + 1;
        size_t qlen = len - mslen - 1;
        if (seq_given && qlen == 1 && q[0] == '*') {
            seq = 0;
            *seq_given = 0;
        } else if (!parse_u64(q, qlen, &seq)) {
            return 0;
        }
    } else {
        seq = missing_seq;
    }
    id->ms = ms;
    id->seq = seq;
    return 1;
}

size_t stream_id_format(struct stream_id id, char *buf)
{
    size_t n = (size_t)ull2string(buf, 21, id.ms);
    buf[n++] = '-';
    n += (size_t)ull2string(buf + n, 21, id.seq);
    return n;
}

int stream_id_incr(struct stream_id *id)
{
    if (id->seq == UINT64_MAX) {
        if (id->ms == UINT64_MAX)
            return 0;
        id->ms++;
        id->seq = 0;
    } else {
        id->seq++;
    }
    return 1;
}

int stream_id_decr(struct stream_id *id)
{
    if (id->seq == 0) {
        if (id->ms == 0)
            return 0;
        id->ms--;
        id->seq = UINT64_MAX;
    } else {
        id->seq--;
    }
    return 1;
}

/* ---------------- lifetime ---------------- */

struct stream *stream_new(void)
{
    struct stream *s = xmalloc(sizeof(*s));
    memset(s, 0, sizeof(*s));
    idmap_init(&s->nodes);
    return s;
}

static void free_lp(void *p)
{
    lp_free(p);
}

static void consumer_free(struct stream_consumer *c)
{
    idmap_clear(&c->pel, NULL);
    free(c->name);
    free(c);
}

static void group_free(struct stream_cg *g)
{
    for (size_t i = 0; i < g->nconsumers; i++)
        consumer_free(g->consumers[i]);
    free(g->consumers);
    idmap_clear(&g->pel, free);
    free(g->name);
    free(g);
}

void stream_free(struct stream *s)
{
    if (!s)
        return;
    idmap_clear(&s->nodes, free_lp);
    for (size_t i = 0; i < s->ngroups; i++)
        group_free(s->groups[i]);
    free(s->groups);
    free(s);
}

struct stream *stream_dup(const struct stream *s)
{
    struct stream *d = stream_new();
    for (size_t i = 0; i < idmap_size(&s->nodes); i++) {
        const struct idmap_item *it = idmap_at(&s->nodes, i);
        idmap_insert(&d->nodes, it->ms, it->seq, lp_dup(it->val));
    }
    d->length = s->length;
    d->last_id = s->last_id;
    d->first_id = s->first_id;
    d->max_deleted_id = s->max_deleted_id;
    d->entries_added = s->entries_added;
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct stream_cg *g = s->groups[i];
        struct stream_cg *ng = stream_group_create(d, g->name, g->name_len, g->last_id, g->entries_read);
        for (size_t j = 0; j < g->nconsumers; j++) {
            const struct stream_consumer *c = g->consumers[j];
            int created;
            struct stream_consumer *nc = stream_consumer_get(ng, c->name, c->name_len, c->seen_time, &created);
            for (size_t k = 0; k < idmap_size(&c->pel); k++) {
                const struct idmap_item *pi = idmap_at(&c->pel, k);
                const struct stream_nack *n = pi->val;
                struct stream_nack *nn = xmalloc(sizeof(*nn));
                *nn = *n;
                nn->consumer = nc;
                idmap_insert(&ng->pel, pi->ms, pi->seq, nn);
                idmap_insert(&nc->pel, pi->ms, pi->seq, nn);
            }
        }
    }
    return d;
}

size_t stream_mem(const struct stream *s)
{
    size_t n = malloc_usable_size((void *)s) + idmap_mem(&s->nodes);
    for (size_t i = 0; i < idmap_size(&s->nodes); i++)
        n += malloc_usable_size(idmap_at(&s->nodes, i)->val);
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct stream_cg *g = s->groups[i];
        n += sizeof(*g) + g->name_len + idmap_mem(&g->pel) + idmap_size(&g->pel) * sizeof(struct stream_nack);
        for (size_t j = 0; j < g->nconsumers; j++)
            n += sizeof(struct stream_consumer) + g->consumers[j]->name_len + idmap_mem(&g->consumers[j]->pel);
    }
    return n;
}

/* ---------------- the node format ---------------- */

/* Appends v as an integer element. */
static unsigned char *lp_push_int(unsigned char *lp, long long v)
{
    return lp_append_int(lp, v);
}

/* Master entry fields of a node: *nfields and the first field's element. */
static unsigned char *node_master_fields(unsigned char *lp, long long *nfields)
{
    unsigned char *p = lp_first(lp); /* count */
    p = lp_next(lp, p);              /* deleted */
    p = lp_next(lp, p);              /* nfields */
    *nfields = lp_int(p);
    return lp_next(lp, p);
}

/* The first entry after the master entry (NULL when none). */
static unsigned char *node_first_entry(unsigned char *lp, long long nfields)
{
    unsigned char *p = lp_first(lp);
    for (long long i = 0; i < 3 + nfields + 1 && p; i++)
        p = lp_next(lp, p);
    return p;
}

static int fields_match_master(unsigned char *lp, const struct arg *fv, int nfv)
{
    long long mf;
    unsigned char *p = node_master_fields(lp, &mf);
    if (mf != nfv / 2)
        return 0;
    for (int i = 0; i < nfv; i += 2) {
        if (!lp_eq(p, fv[i].ptr, fv[i].len))
            return 0;
        p = lp_next(lp, p);
    }
    return 1;
}

void stream_append(struct stream *s, struct stream_id id, const struct arg *fv, int nfv, size_t max_bytes,
                   long long max_entries)
{
    unsigned char *lp = NULL;
    struct idmap_item *last = NULL;
    if (idmap_size(&s->nodes)) {
        last = idmap_at(&s->nodes, idmap_size(&s->nodes) - 1);
        lp = last->val;
    }
    if (lp) {
        size_t need = 0;
        for (int i = 0; i < nfv; i++)
            need += fv[i].len;
        size_t limit = max_bytes == 0 || max_bytes > NODE_HARD_MAX_BYTES ? NODE_HARD_MAX_BYTES : max_bytes;
        if (lp_bytes(lp) + need >= limit) {
            lp = NULL;
        } else if (max_entries) {
            unsigned char *p = lp_first(lp);
            long long count = lp_int(p) + lp_int(lp_next(lp, p));
            if (count >= max_entries)
                lp = NULL;
        }
    }
    struct stream_id master;
    if (!lp) {
        lp = lp_new();
        lp = lp_push_int(lp, 1); /* count: this entry */
        lp = lp_push_int(lp, 0); /* deleted */
        lp = lp_push_int(lp, nfv / 2);
        for (int i = 0; i < nfv; i += 2)
            lp = lp_append(lp, fv[i].ptr, fv[i].len);
        lp = lp_push_int(lp, 0); /* end of the master entry */
        idmap_insert(&s->nodes, id.ms, id.seq, lp);
        last = idmap_at(&s->nodes, idmap_size(&s->nodes) - 1);
        master = id;
    } else {
        master = (struct stream_id){last->ms, last->seq};
        unsigned char *p = lp_first(lp);
        lp = lp_insert_int(lp, p, lp_int(p) + 1, LP_REPLACE, NULL);
    }
    int same = fields_match_master(lp, fv, nfv);
    lp = lp_push_int(lp, same ? FLAG_SAMEFIELDS : 0);
    lp = lp_push_int(lp, (long long)(id.ms - master.ms));
    lp = lp_push_int(lp, (long long)(id.seq - master.seq));
    long long elems = 3;
    if (same) {
        for (int i = 1; i < nfv; i += 2)
            lp = lp_append(lp, fv[i].ptr, fv[i].len);
        elems += nfv / 2;
    } else {
        lp = lp_push_int(lp, nfv / 2);
        for (int i = 0; i < nfv; i++)
            lp = lp_append(lp, fv[i].ptr, fv[i].len);
        elems += 1 + nfv;
    }
    lp = lp_push_int(lp, elems);
    last->val = lp;
    s->length++;
    s->entries_added++;
    s->last_id = id;
    if (s->length == 1)
        s->first_id = id;
}

/* Reads the entry at p (its flags): id, flags, and the element after it. */
static unsigned char *entry_read(unsigned char *lp, unsigned char *p, struct stream_id master, long long master_nf,
                                 struct stream_id *id, int *flags, long long *nfields, unsigned char **fields)
{
    *flags = (int)lp_int(p);
    p = lp_next(lp, p);
    id->ms = master.ms + (uint64_t)lp_int(p);
    p = lp_next(lp, p);
    id->seq = master.seq + (uint64_t)lp_int(p);
    p = lp_next(lp, p);
    long long skip;
    if (*flags & FLAG_SAMEFIELDS) {
        *nfields = master_nf;
        skip = master_nf;
    } else {
        *nfields = lp_int(p);
        p = lp_next(lp, p);
        skip = *nfields * 2;
    }
    *fields = p;
    for (long long i = 0; i < skip; i++)
        p = lp_next(lp, p);
    return lp_next(lp, p); /* past lp-count */
}

/* Marks the entry whose flags are at *pp deleted and updates the master
 * counters; returns the new block. */
static unsigned char *entry_mark_deleted(unsigned char *lp, unsigned char *flags_p, int flags)
{
    unsigned char *p = flags_p;
    lp = lp_insert_int(lp, p, flags | FLAG_DELETED, LP_REPLACE, NULL);
    p = lp_first(lp);
    long long count = lp_int(p);
    lp = lp_insert_int(lp, p, count - 1, LP_REPLACE, &p);
    p = lp_next(lp, p);
    lp = lp_insert_int(lp, p, lp_int(p) + 1, LP_REPLACE, NULL);
    return lp;
}

static long long node_count(unsigned char *lp)
{
    return lp_int(lp_first(lp));
}

int stream_delete(struct stream *s, struct stream_id id)
{
    long ni = idmap_seek_le(&s->nodes, id.ms, id.seq);
    if (ni < 0)
        return 0;
    struct idmap_item *node = idmap_at(&s->nodes, (size_t)ni);
    unsigned char *lp = node->val;
    struct stream_id master = {node->ms, node->seq};
    long long mf;
    node_master_fields(lp, &mf);
    unsigned char *p = node_first_entry(lp, mf);
    while (p) {
        struct stream_id eid;
        int flags;
        long long nf;
        unsigned char *fields;
        unsigned char *next = entry_read(lp, p, master, mf, &eid, &flags, &nf, &fields);
        int cmp = stream_id_cmp(eid, id);
        if (cmp > 0)
            return 0;
        if (cmp == 0) {
            if (flags & FLAG_DELETED)
                return 0;
            lp = entry_mark_deleted(lp, p, flags);
            s->length--;
            if (node_count(lp) == 0) {
                lp_free(lp);
                idmap_remove_at(&s->nodes, (size_t)ni);
            } else {
                node->val = lp;
            }
            return 1;
        }
        p = next;
    }
    return 0;
}

int stream_entry_exists(struct stream *s, struct stream_id id)
{
    struct stream_iter it;
    struct stream_id got;
    long long nf;
    stream_iter_start(&it, s, id, id, 0);
    return stream_iter_next(&it, &got, &nf);
}

void stream_update_first_id(struct stream *s)
{
    struct stream_iter it;
    long long nf;
    if (s->length == 0) {
        s->first_id = (struct stream_id){0, 0};
        return;
    }
    stream_iter_start(&it, s, (struct stream_id){0, 0}, (struct stream_id){UINT64_MAX, UINT64_MAX}, 0);
    if (!stream_iter_next(&it, &s->first_id, &nf))
        s->first_id = (struct stream_id){0, 0};
}

/* The last id written into node lp (deleted or not). */
static struct stream_id node_last_id(unsigned char *lp, struct stream_id master)
{
    unsigned char *p = lp_last(lp); /* lp-count of the last entry */
    long long back = lp_int(p);
    for (long long i = 0; i < back; i++)
        p = lp_prev(lp, p);
    p = lp_next(lp, p); /* ms delta */
    struct stream_id id;
    id.ms = master.ms + (uint64_t)lp_int(p);
    p = lp_next(lp, p);
    id.seq = master.seq + (uint64_t)lp_int(p);
    return id;
}

long long stream_trim(struct stream *s, int by_minid, long long maxlen, struct stream_id minid, int approx,
                      long long limit)
{
    long long removed = 0;
    while (idmap_size(&s->nodes)) {
        if (!by_minid && s->length <= (uint64_t)maxlen)
            break;
        struct idmap_item *node = idmap_at(&s->nodes, 0);
        unsigned char *lp = node->val;
        struct stream_id master = {node->ms, node->seq};
        long long entries = node_count(lp);
        if (limit && removed + entries > limit)
            break;
        int whole;
        if (!by_minid)
            whole = (long long)s->length - entries >= maxlen;
        else
            whole = stream_id_cmp(node_last_id(lp, master), minid) < 0;
        if (whole) {
            lp_free(lp);
            idmap_remove_at(&s->nodes, 0);
            s->length -= (uint64_t)entries;
            removed += entries;
            continue;
        }
        if (approx)
            break;
        /* mark entries deleted one by one inside this node */
        long long mf;
        node_master_fields(lp, &mf);
        unsigned char *p = node_first_entry(lp, mf);
        while (p) {
            struct stream_id eid;
            int flags;
            long long nf;
            unsigned char *fields;
            unsigned char *next = entry_read(lp, p, master, mf, &eid, &flags, &nf, &fields);
            int stop = by_minid ? stream_id_cmp(eid, minid) >= 0 : s->length <= (uint64_t)maxlen;
            if (stop)
                break;
            if (!(flags & FLAG_DELETED)) {
                ptrdiff_t off = next ? next - lp : -1;
                lp = entry_mark_deleted(lp, p, flags);
                s->length--;
                removed++;
                /* the flags and counters keep their sizes only when the
                 * integers keep their encodings: re-find the next entry */
                if (off >= 0) {
                    node_master_fields(lp, &mf);
                    unsigned char *q = node_first_entry(lp, mf);
                    while (q) {
                        struct stream_id qid;
                        int qf;
                        long long qnf;
                        unsigned char *qfields;
                        unsigned char *qn = entry_read(lp, q, master, mf, &qid, &qf, &qnf, &qfields);
                        if (stream_id_cmp(qid, eid) > 0)
                            break;
                        q = qn;
                    }
                    next = q;
                }
            }
            p = next;
        }
        node->val = lp;
        if (node_count(lp) == 0) {
            lp_free(lp);
            idmap_remove_at(&s->nodes, 0);
            continue;
        }
        break;
    }
    if (removed) {
        if (s->length == 0)
            s->first_id = (struct stream_id){0, 0};
        else
            stream_update_first_id(s);
    }
    return removed;
}

/* ---------------- loading ---------------- */

/* The integer at p, 0 when the element is a string. */
static int lp_int_strict(unsigned char *p, long long *v)
{
    struct lp_val x;
    if (!p)
        return 0;
    lp_get(p, &x);
    if (x.str)
        return 0;
    *v = x.ll;
    return 1;
}

int stream_node_validate(unsigned char *lp, struct stream_id master, struct stream_id *after, long long *live)
{
    long long count, deleted, mf, v;
    unsigned char *p = lp_first(lp);
    if (!lp_int_strict(p, &count) || count < 0)
        return 0;
    p = lp_next(lp, p);
    if (!lp_int_strict(p, &deleted) || deleted < 0)
        return 0;
    p = lp_next(lp, p);
    if (!lp_int_strict(p, &mf) || mf < 0 || mf > (long long)lp_count(lp))
        return 0;
    for (long long i = 0; i < mf; i++) {
        p = lp_next(lp, p);
        if (!p)
            return 0;
    }
    p = lp_next(lp, p);
    if (!lp_int_strict(p, &v) || v != 0)
        return 0;
    p = lp_next(lp, p);
    long long seen_live = 0, seen_deleted = 0;
    int first = 1;
    while (p) {
        long long flags, msd, seqd, nf;
        if (!lp_int_strict(p, &flags) || flags < 0 || flags > 3)
            return 0;
        p = lp_next(lp, p);
        if (!lp_int_strict(p, &msd))
            return 0;
        p = lp_next(lp, p);
        if (!lp_int_strict(p, &seqd))
            return 0;
        struct stream_id id = {master.ms + (uint64_t)msd, master.seq + (uint64_t)seqd};
        if (first && stream_id_cmp(id, master) != 0)
            return 0;
        if (stream_id_cmp(id, *after) <= 0) /* ascending, and never 0-0 */
            return 0;
        first = 0;
        *after = id;
        long long elems = 3, skip;
        if (flags & FLAG_SAMEFIELDS) {
            skip = mf;
        } else {
            p = lp_next(lp, p);
            if (!lp_int_strict(p, &nf) || nf < 0 || nf > (long long)lp_count(lp))
                return 0;
            skip = nf * 2;
            elems++;
        }
        for (long long i = 0; i < skip; i++) {
            p = lp_next(lp, p);
            if (!p)
                return 0;
        }
        elems += skip;
        p = lp_next(lp, p);
        if (!lp_int_strict(p, &v) || v != elems)
            return 0;
        if (flags & FLAG_DELETED)
            seen_deleted++;
        else
            seen_live++;
        p = lp_next(lp, p);
    }
    if (first || seen_live != count || seen_deleted != deleted)
        return 0;
    *live = count;
    return 1;
}

void stream_load_node(struct stream *s, struct stream_id master, unsigned char *lp)
{
    idmap_insert(&s->nodes, master.ms, master.seq, lp);
}

/* ---------------- iteration ---------------- */

/* Opens node it->node: sets lp, master, fields and the start position. */
static void iter_open_node(struct stream_iter *it)
{
    struct idmap_item *node = idmap_at(&it->s->nodes, (size_t)it->node);
    it->lp = node->val;
    it->master = (struct stream_id){node->ms, node->seq};
    it->master_fields = node_master_fields(it->lp, &it->master_nfields);
    it->first_entry = node_first_entry(it->lp, it->master_nfields);
    it->p = it->rev ? lp_last(it->lp) : it->first_entry;
}

void stream_iter_start(struct stream_iter *it, struct stream *s, struct stream_id start, struct stream_id end, int rev)
{
    memset(it, 0, sizeof(*it));
    it->s = s;
    it->start = start;
    it->end = end;
    it->rev = rev;
    size_t n = idmap_size(&s->nodes);
    if (!rev) {
        long i = idmap_seek_le(&s->nodes, start.ms, start.seq);
        it->node = i < 0 ? 0 : i;
        if ((size_t)it->node >= n) {
            it->node = (long)n;
            return;
        }
    } else {
        it->node = idmap_seek_le(&s->nodes, end.ms, end.seq);
        if (it->node < 0)
            return;
    }
    iter_open_node(it);
}

int stream_iter_next(struct stream_iter *it, struct stream_id *id, long long *nfields)
{
    size_t n = idmap_size(&it->s->nodes);
    for (;;) {
        if (it->node < 0 || (size_t)it->node >= n)
            return 0;
        if (!it->lp) {
            iter_open_node(it);
        }
        unsigned char *lp = it->lp;
        if (!it->rev) {
            while (it->p) {
                int flags;
                unsigned char *at = it->p;
                it->p = entry_read(lp, at, it->master, it->master_nfields, id, &flags, nfields, &it->fields);
                if (stream_id_cmp(*id, it->end) > 0) {
                    it->node = (long)n;
                    return 0;
                }
                if ((flags & FLAG_DELETED) || stream_id_cmp(*id, it->start) < 0)
                    continue;
                it->samefields = (flags & FLAG_SAMEFIELDS) != 0;
                it->nfields = *nfields;
                it->fp = it->master_fields;
                it->vp = it->fields;
                return 1;
            }
            it->node++;
        } else {
            while (it->p) {
                unsigned char *p = it->p;
                long long back = lp_int(p);
                for (long long i = 0; i < back; i++)
                    p = lp_prev(lp, p);
                /* p: flags of the entry */
                it->p = p == it->first_entry ? NULL : lp_prev(lp, p);
                int flags;
                entry_read(lp, p, it->master, it->master_nfields, id, &flags, nfields, &it->fields);
                if (stream_id_cmp(*id, it->start) < 0) {
                    it->node = -1;
                    return 0;
                }
                if ((flags & FLAG_DELETED) || stream_id_cmp(*id, it->end) > 0)
                    continue;
                it->samefields = (flags & FLAG_SAMEFIELDS) != 0;
                it->nfields = *nfields;
                it->fp = it->master_fields;
                it->vp = it->fields;
                return 1;
            }
            it->node--;
        }
        it->lp = NULL;
    }
}

void stream_iter_field(struct stream_iter *it, unsigned char **field, unsigned char **value)
{
    if (it->samefields) {
        *field = it->fp;
        *value = it->vp;
        it->fp = lp_next(it->lp, it->fp);
        it->vp = lp_next(it->lp, it->vp);
    } else {
        *field = it->vp;
        *value = lp_next(it->lp, it->vp);
        it->vp = lp_next(it->lp, *value);
    }
}

/* ---------------- groups and consumers ---------------- */

static size_t group_pos(const struct stream *s, const char *name, size_t len, int *found)
{
    size_t lo = 0, hi = s->ngroups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = name_cmp(s->groups[mid]->name, s->groups[mid]->name_len, name, len);
        if (r == 0) {
            *found = 1;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

struct stream_cg *stream_group_find(const struct stream *s, const char *name, size_t len)
{
    int found;
    size_t i = group_pos(s, name, len, &found);
    return found ? s->groups[i] : NULL;
}

struct stream_cg *stream_group_create(struct stream *s, const char *name, size_t len, struct stream_id last_id,
                                      long long entries_read)
{
    int found;
    size_t i = group_pos(s, name, len, &found);
    if (found)
        return NULL;
    if (s->ngroups == s->groups_cap) {
        s->groups_cap = s->groups_cap ? s->groups_cap * 2 : 2;
        s->groups = xrealloc(s->groups, s->groups_cap * sizeof(*s->groups));
    }
    memmove(s->groups + i + 1, s->groups + i, (s->ngroups - i) * sizeof(*s->groups));
    struct stream_cg *g = xmalloc(sizeof(*g));
    memset(g, 0, sizeof(*g));
    g->name = dup_bytes(name, len);
    g->name_len = len;
    g->last_id = last_id;
    g->entries_read = entries_read;
    idmap_init(&g->pel);
    s->groups[i] = g;
    s->ngroups++;
    return g;
}

int stream_group_destroy(struct stream *s, const char *name, size_t len)
{
    int found;
    size_t i = group_pos(s, name, len, &found);
    if (!found)
        return 0;
    group_free(s->groups[i]);
    memmove(s->groups + i, s->groups + i + 1, (s->ngroups - i - 1) * sizeof(*s->groups));
    s->ngroups--;
    return 1;
}

static size_t consumer_pos(const struct stream_cg *g, const char *name, size_t len, int *found)
{
    size_t lo = 0, hi = g->nconsumers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = name_cmp(g->consumers[mid]->name, g->consumers[mid]->name_len, name, len);
        if (r == 0) {
            *found = 1;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

struct stream_consumer *stream_consumer_find(const struct stream_cg *g, const char *name, size_t len)
{
    int found;
    size_t i = consumer_pos(g, name, len, &found);
    return found ? g->consumers[i] : NULL;
}

struct stream_consumer *stream_consumer_get(struct stream_cg *g, const char *name, size_t len, int64_t now,
                                            int *created)
{
    int found;
    size_t i = consumer_pos(g, name, len, &found);
    *created = !found;
    if (found)
        return g->consumers[i];
    if (g->nconsumers == g->consumers_cap) {
        g->consumers_cap = g->consumers_cap ? g->consumers_cap * 2 : 2;
        g->consumers = xrealloc(g->consumers, g->consumers_cap * sizeof(*g->consumers));
    }
    memmove(g->consumers + i + 1, g->consumers + i, (g->nconsumers - i) * sizeof(*g->consumers));
    struct stream_consumer *c = xmalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->name = dup_bytes(name, len);
    c->name_len = len;
    c->seen_time = now;
    idmap_init(&c->pel);
    g->consumers[i] = c;
    g->nconsumers++;
    return c;
}

size_t stream_consumer_delete(struct stream_cg *g, const char *name, size_t len)
{
    int found;
    size_t i = consumer_pos(g, name, len, &found);
    if (!found)
        return 0;
    struct stream_consumer *c = g->consumers[i];
    size_t pending = idmap_size(&c->pel);
    for (size_t k = 0; k < pending; k++) {
        const struct idmap_item *pi = idmap_at(&c->pel, k);
        free(idmap_remove(&g->pel, pi->ms, pi->seq));
    }
    consumer_free(c);
    memmove(g->consumers + i, g->consumers + i + 1, (g->nconsumers - i - 1) * sizeof(*g->consumers));
    g->nconsumers--;
    return pending;
}

struct stream_nack *stream_pel_assign(struct stream_cg *g, struct stream_consumer *c, struct stream_id id, int64_t now,
                                      int inc_count)
{
    struct stream_nack *n = idmap_find(&g->pel, id.ms, id.seq);
    if (!n) {
        n = xmalloc(sizeof(*n));
        n->delivery_time = now;
        n->delivery_count = 1;
        n->consumer = c;
        idmap_insert(&g->pel, id.ms, id.seq, n);
        idmap_insert(&c->pel, id.ms, id.seq, n);
        return n;
    }
    if (n->consumer != c) {
        idmap_remove(&n->consumer->pel, id.ms, id.seq);
        n->consumer = c;
        idmap_insert(&c->pel, id.ms, id.seq, n);
    }
    n->delivery_time = now;
    if (inc_count)
        n->delivery_count++;
    return n;
}

int stream_pel_ack(struct stream_cg *g, struct stream_id id)
{
    struct stream_nack *n = idmap_remove(&g->pel, id.ms, id.seq);
    if (!n)
        return 0;
    idmap_remove(&n->consumer->pel, id.ms, id.seq);
    free(n);
    return 1;
}

int stream_range_has_tombstones(const struct stream *s, struct stream_id start, struct stream_id end)
{
    if (!s->length || stream_id_is_zero(s->max_deleted_id))
        return 0;
    if (stream_id_cmp(s->first_id, s->max_deleted_id) > 0)
        return 0;
    return stream_id_cmp(start, s->max_deleted_id) <= 0 && stream_id_cmp(s->max_deleted_id, end) <= 0;
}

long long stream_estimate_distance(const struct stream *s, struct stream_id id)
{
    if (!s->entries_added)
        return 0;
    if (!s->length && stream_id_cmp(id, s->last_id) < 1)
        return (long long)s->entries_added;
    int cmp_last = stream_id_cmp(id, s->last_id);
    if (cmp_last == 0)
        return (long long)s->entries_added;
    if (cmp_last > 0)
        return STREAM_ENTRIES_READ_INVALID;
    int cmp_first = stream_id_cmp(id, s->first_id);
    if (stream_id_is_zero(s->max_deleted_id) || stream_id_cmp(s->max_deleted_id, s->first_id) < 0) {
        if (cmp_first < 0)
            return (long long)(s->entries_added - s->length);
        if (cmp_first == 0)
            return (long long)(s->entries_added - s->length + 1);
    }
    return STREAM_ENTRIES_READ_INVALID;
}

long long stream_group_lag(const struct stream *s, const struct stream_cg *g)
{
    if (!s->entries_added)
        return 0;
    if (g->entries_read != STREAM_ENTRIES_READ_INVALID &&
        !stream_range_has_tombstones(s, g->last_id, (struct stream_id){UINT64_MAX, UINT64_MAX}))
        return (long long)s->entries_added - g->entries_read;
    long long read = stream_estimate_distance(s, g->last_id);
    if (read == STREAM_ENTRIES_READ_INVALID)
        return -1;
    return (long long)s->entries_added - read;
}

/* ---------------- object hooks ---------------- */

void stream_value_free(struct db_entry *e)
{
    stream_free(e->v.ptr);
}

void *stream_value_dup(const struct db_entry *e)
{
    return stream_dup(e->v.ptr);
}

size_t stream_value_len(const struct db_entry *e)
{
    return (size_t)((const struct stream *)e->v.ptr)->length;
}

size_t stream_value_mem(const struct db_entry *e)
{
    return stream_mem(e->v.ptr);
}
