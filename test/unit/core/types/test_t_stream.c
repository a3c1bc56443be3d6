/*
 * test_t_stream.c - unit tests for core/types/t_stream.c: id parsing and
 * formatting (Redis's streamParseID forms), the node format at every
 * boundary of stream-node-max-entries and -max-bytes (a random model of
 * appends, deletions and trims checked forwards and backwards), master-entry
 * field compression, node validation against corruption, and PEL
 * operations (assign, move between consumers, ack, consumer deletion).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/types/t_stream.h"

static struct stream_id sid(uint64_t ms, uint64_t seq)
{
    return (struct stream_id){ms, seq};
}

Test(t_stream, id_parsing)
{
    struct stream_id id;
    int given;
    cr_assert(stream_id_parse("5-3", 3, 0, 1, NULL, &id));
    cr_assert(id.ms == 5 && id.seq == 3);
    cr_assert(stream_id_parse("5", 1, 77, 1, NULL, &id));
    cr_assert(id.ms == 5 && id.seq == 77);
    cr_assert_not(stream_id_parse("5-*", 3, 0, 1, NULL, &id), "ms-* only with seq_given");
    cr_assert(stream_id_parse("5-*", 3, 0, 1, &given, &id));
    cr_assert(given == 0 && id.ms == 5);
    cr_assert_not(stream_id_parse("-", 1, 0, 1, NULL, &id), "strict refuses -");
    cr_assert(stream_id_parse("-", 1, 0, 0, NULL, &id));
    cr_assert(id.ms == 0 && id.seq == 0);
    cr_assert(stream_id_parse("+", 1, 0, 0, NULL, &id));
    cr_assert(id.ms == UINT64_MAX && id.seq == UINT64_MAX);
    cr_assert(stream_id_parse("18446744073709551615-18446744073709551615", 41, 0, 1, NULL, &id));
    cr_assert(id.ms == UINT64_MAX && id.seq == UINT64_MAX);
    cr_assert_not(stream_id_parse("18446744073709551616", 20, 0, 1, NULL, &id));
    cr_assert_not(stream_id_parse("-1", 2, 0, 1, NULL, &id));
    cr_assert_not(stream_id_parse("1-2-3", 5, 0, 1, NULL, &id));
    cr_assert_not(stream_id_parse("abc", 3, 0, 1, NULL, &id));
    cr_assert_not(stream_id_parse("", 0, 0, 1, NULL, &id));
    char buf[48];
    size_t n = stream_id_format(sid(UINT64_MAX, 0), buf);
    cr_assert_eq(n, 22);
    cr_assert(memcmp(buf, "18446744073709551615-0", n) == 0);
    id = sid(1, UINT64_MAX);
    cr_assert(stream_id_incr(&id));
    cr_assert(id.ms == 2 && id.seq == 0);
    cr_assert(stream_id_decr(&id));
    cr_assert(id.ms == 1 && id.seq == UINT64_MAX);
    id = sid(UINT64_MAX, UINT64_MAX);
    cr_assert_not(stream_id_incr(&id));
    id = sid(0, 0);
    cr_assert_not(stream_id_decr(&id));
}

/* The model: ids and the number of fields of live entries. */
struct model {
    uint64_t ms[20000];
    int nf[20000];
    int n;
};

static void append(struct stream *s, struct model *m, uint64_t ms, int nf, int same, size_t max_bytes,
                   long long max_entries)
{
    struct arg fv[16];
    char fb[8][16], vb[8][24];
    for (int i = 0; i < nf; i++) {
        if (same)
            snprintf(fb[i], sizeof(fb[i]), "f%d", i);
        else
            snprintf(fb[i], sizeof(fb[i]), "g%llu_%d", (unsigned long long)ms % 3, i);
        snprintf(vb[i], sizeof(vb[i]), "%llu", (unsigned long long)ms * 7 + (unsigned long long)i);
        fv[2 * i] = (struct arg){fb[i], strlen(fb[i])};
        fv[2 * i + 1] = (struct arg){vb[i], strlen(vb[i])};
    }
    stream_append(s, sid(ms, 0), fv, nf * 2, max_bytes, max_entries);
    m->ms[m->n] = ms;
    m->nf[m->n] = nf;
    m->n++;
}

static void check(struct stream *s, const struct model *m, long long max_entries)
{
    cr_assert_eq(s->length, (uint64_t)m->n);
    for (int rev = 0; rev < 2; rev++) {
        struct stream_iter it;
        struct stream_id id;
        long long nf;
        int k = rev ? m->n - 1 : 0;
        stream_iter_start(&it, s, sid(0, 0), sid(UINT64_MAX, UINT64_MAX), rev);
        while (stream_iter_next(&it, &id, &nf)) {
            cr_assert(k >= 0 && k < m->n, "too many entries");
            cr_assert_eq(id.ms, m->ms[k], "rev %d pos %d: %llu != %llu", rev, k, (unsigned long long)id.ms,
                         (unsigned long long)m->ms[k]);
            cr_assert_eq(nf, m->nf[k]);
            for (long long i = 0; i < nf; i++) {
                unsigned char *f, *v;
                stream_iter_field(&it, &f, &v);
                char tmp[32], want[32];
                size_t len;
                const char *got = lp_get_str(v, tmp, &len);
                snprintf(want, sizeof(want), "%llu", (unsigned long long)id.ms * 7 + (unsigned long long)i);
                cr_assert(len == strlen(want) && memcmp(got, want, len) == 0);
            }
            k += rev ? -1 : 1;
        }
        cr_assert_eq(k, rev ? -1 : m->n, "entries missing (rev %d)", rev);
    }
    /* every node respects the entry limit and validates */
    struct stream_id after = {0, 0};
    uint64_t live_total = 0;
    for (size_t i = 0; i < idmap_size(&s->nodes); i++) {
        struct idmap_item *it = idmap_at(&s->nodes, i);
        long long live;
        cr_assert(lp_validate(it->val, lp_bytes(it->val)));
        cr_assert(stream_node_validate(it->val, sid(it->ms, it->seq), &after, &live), "node %zu invalid", i);
        live_total += (uint64_t)live;
        (void)max_entries;
    }
    cr_assert_eq(live_total, s->length);
}

static void model_delete(struct model *m, int k)
{
    memmove(m->ms + k, m->ms + k + 1, sizeof(m->ms[0]) * (size_t)(m->n - k - 1));
    memmove(m->nf + k, m->nf + k + 1, sizeof(m->nf[0]) * (size_t)(m->n - k - 1));
    m->n--;
}

static void run_model(size_t max_bytes, long long max_entries, unsigned seed)
{
    struct stream *s = stream_new();
    static struct model m;
    m.n = 0;
    srand(seed);
    uint64_t ms = 1;
    for (int step = 0; step < 3000; step++) {
        int op = rand() % 10;
        if (op < 6 && m.n < 19000) {
            ms += 1 + (uint64_t)(rand() % 2);
            append(s, &m, ms, 1 + rand() % 4, rand() % 3 != 0, max_bytes, max_entries);
        } else if (op < 8 && m.n) {
            int k = rand() % m.n;
            cr_assert(stream_delete(s, sid(m.ms[k], 0)));
            cr_assert_not(stream_delete(s, sid(m.ms[k], 0)), "deleted twice");
            model_delete(&m, k);
        } else if (op < 9 && m.n) {
            long long keep = rand() % (m.n + 1);
            int approx = rand() % 2;
            long long removed = stream_trim(s, 0, keep, sid(0, 0), approx, 0);
            cr_assert(approx ? removed <= m.n - keep : removed == m.n - keep);
            for (long long i = 0; i < removed; i++)
                model_delete(&m, 0);
        } else if (m.n) {
            int k = rand() % m.n;
            long long removed = stream_trim(s, 1, 0, sid(m.ms[k], 0), 0, 0);
            cr_assert_eq(removed, k);
            for (int i = 0; i < k; i++)
                model_delete(&m, 0);
        }
        if (step % 50 == 0)
            check(s, &m, max_entries);
    }
    check(s, &m, max_entries);
    /* a copy reads the same */
    struct stream *d = stream_dup(s);
    check(d, &m, max_entries);
    stream_free(d);
    stream_free(s);
}

Test(t_stream, model_node_entry_limits)
{
    long long limits[] = {1, 2, 3, 100};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
        run_model(4096, limits[i], (unsigned)i + 1);
}

Test(t_stream, model_node_byte_limits)
{
    size_t limits[] = {1, 20, 64, 300, 0};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
        run_model(limits[i], 0, (unsigned)i + 11);
}

Test(t_stream, node_boundaries_exact)
{
    /* max-entries 3: entries 1..3 in one node, the 4th opens a second */
    struct stream *s = stream_new();
    static struct model m;
    m.n = 0;
    for (uint64_t ms = 1; ms <= 7; ms++) {
        append(s, &m, ms, 2, 1, 0, 3);
        cr_assert_eq(idmap_size(&s->nodes), (size_t)((ms + 2) / 3));
    }
    cr_assert_eq(idmap_at(&s->nodes, 1)->ms, 4);
    /* deleting a whole node's entries frees the node */
    for (uint64_t ms = 4; ms <= 6; ms++) {
        cr_assert(stream_delete(s, sid(ms, 0)));
        model_delete(&m, 3);
    }
    cr_assert_eq(idmap_size(&s->nodes), 2);
    check(s, &m, 3);
    /* approximate MAXLEN removes whole nodes only */
    cr_assert_eq(stream_trim(s, 0, 1, sid(0, 0), 1, 0), 3);
    stream_free(s);
}

Test(t_stream, same_fields_are_compressed)
{
    struct stream *a = stream_new(), *b = stream_new();
    static struct model m;
    m.n = 0;
    for (uint64_t ms = 1; ms <= 50; ms++) {
        append(a, &m, ms, 3, 1, 0, 100); /* same fields as the master */
        append(b, &m, ms, 3, 0, 0, 100); /* fields differ per entry */
    }
    cr_assert_lt(stream_mem(a) + 50 * 6, stream_mem(b));
    stream_free(a);
    stream_free(b);
}

Test(t_stream, corrupt_node_is_refused)
{
    struct stream *s = stream_new();
    static struct model m;
    m.n = 0;
    append(s, &m, 5, 2, 1, 0, 100);
    append(s, &m, 6, 2, 1, 0, 100);
    unsigned char *lp = idmap_at(&s->nodes, 0)->val;
    struct stream_id after = {0, 0};
    long long live;
    cr_assert(stream_node_validate(lp, sid(5, 0), &after, &live));
    after = sid(5, 0);
    cr_assert_not(stream_node_validate(lp, sid(5, 0), &after, &live), "not above the previous node");
    /* a count that does not match */
    unsigned char *bad = lp_dup(lp);
    bad = lp_insert_int(bad, lp_first(bad), 7, LP_REPLACE, NULL);
    after = sid(0, 0);
    cr_assert_not(stream_node_validate(bad, sid(5, 0), &after, &live));
    lp_free(bad);
    /* a truncated entry */
    bad = lp_dup(lp);
    bad = lp_delete(bad, lp_last(bad), NULL);
    after = sid(0, 0);
    cr_assert_not(stream_node_validate(bad, sid(5, 0), &after, &live));
    lp_free(bad);
    stream_free(s);
}

Test(t_stream, pel_operations)
{
    struct stream *s = stream_new();
    struct stream_cg *g = stream_group_create(s, "g", 1, sid(0, 0), 0);
    cr_assert_not_null(g);
    cr_assert_null(stream_group_create(s, "g", 1, sid(0, 0), 0));
    int created;
    struct stream_consumer *a = stream_consumer_get(g, "a", 1, 100, &created);
    cr_assert(created);
    struct stream_consumer *b = stream_consumer_get(g, "b", 1, 100, &created);
    for (uint64_t i = 1; i <= 10; i++)
        stream_pel_assign(g, a, sid(i, 0), 200, 0);
    cr_assert_eq(idmap_size(&g->pel), 10);
    cr_assert_eq(idmap_size(&a->pel), 10);
    struct stream_nack *n = stream_pel_assign(g, b, sid(3, 0), 300, 1);
    cr_assert_eq(n->consumer, b);
    cr_assert_eq(n->delivery_count, 2);
    cr_assert_eq(idmap_size(&a->pel), 9);
    cr_assert_eq(idmap_size(&b->pel), 1);
    cr_assert(stream_pel_ack(g, sid(3, 0)));
    cr_assert_not(stream_pel_ack(g, sid(3, 0)));
    cr_assert_eq(idmap_size(&b->pel), 0);
    cr_assert_eq(stream_consumer_delete(g, "a", 1), 9);
    cr_assert_eq(idmap_size(&g->pel), 0);
    cr_assert_null(stream_consumer_find(g, "a", 1));
    cr_assert_eq(g->nconsumers, 1);
    /* groups are kept sorted by name */
    stream_group_create(s, "a", 1, sid(0, 0), 0);
    stream_group_create(s, "zz", 2, sid(0, 0), 0);
    cr_assert_str_eq(s->groups[0]->name, "a");
    cr_assert_str_eq(s->groups[2]->name, "zz");
    cr_assert(stream_group_destroy(s, "g", 1));
    cr_assert_not(stream_group_destroy(s, "g", 1));
    stream_free(s);
}
