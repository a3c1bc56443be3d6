/*
 * idmap.c - the ordered id map of idmap.h: a sorted deque of 24-byte items.
 *
 * Invariants: items[head .. head + count) are sorted by (ms, seq) with no
 * duplicate; head + count <= cap. Growing recentres the items so that both
 * ends have room; an insert in the middle moves the shorter side.
 *
 * Threads: no shared state; the owner of the stream calls it.
 */
#include "core/ds/idmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"

void idmap_init(struct idmap *m)
{
    memset(m, 0, sizeof(*m));
}

void idmap_clear(struct idmap *m, void (*free_val)(void *))
{
    if (free_val)
        for (size_t i = 0; i < m->count; i++)
            free_val(m->items[m->head + i].val);
    free(m->items);
    idmap_init(m);
}

size_t idmap_seek_ge(const struct idmap *m, uint64_t ms, uint64_t seq)
{
    size_t lo = 0, hi = m->count;
    if (!hi)
        return 0; /* also: items may be NULL, no pointer arithmetic on it */
    const struct idmap_item *a = m->items + m->head;
    /* Appends dominate: check the tail first. */
    if (hi && idmap_cmp(a[hi - 1].ms, a[hi - 1].seq, ms, seq) < 0)
        return hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idmap_cmp(a[mid].ms, a[mid].seq, ms, seq) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long idmap_seek_le(const struct idmap *m, uint64_t ms, uint64_t seq)
{
    size_t i = idmap_seek_ge(m, ms, seq);
    if (i < m->count && idmap_cmp(m->items[m->head + i].ms, m->items[m->head + i].seq, ms, seq) == 0)
        return (long)i;
    return (long)i - 1;
}

void *idmap_find(const struct idmap *m, uint64_t ms, uint64_t seq)
{
    size_t i = idmap_seek_ge(m, ms, seq);
    if (i < m->count && idmap_cmp(m->items[m->head + i].ms, m->items[m->head + i].seq, ms, seq) == 0)
        return m->items[m->head + i].val;
    return NULL;
}

/* Makes room for one more item: a bigger array with the items centred when
 * the array is full, else a recentring when the needed end is exhausted. */
static void ensure_room(struct idmap *m, int at_front)
{
    if (at_front ? m->head > 0 : m->head + m->count < m->cap)
        return;
    if (m->count + 1 > m->cap / 2 || m->cap < 8) {
        size_t cap = m->cap < 8 ? 8 : m->cap * 2;
        struct idmap_item *items = malloc(cap * sizeof(*items));
        if (!items)
            out_of_memory(cap * sizeof(*items));
        /* appends dominate: leave a quarter in front, the rest behind */
        size_t head = at_front ? (cap - m->count) / 2 : (cap - m->count) / 4;
        if (m->count)
            memcpy(items + head, m->items + m->head, m->count * sizeof(*items));
        free(m->items);
        m->items = items;
        m->head = head;
        m->cap = cap;
        return;
    }
    size_t head = (m->cap - m->count) / 2;
    memmove(m->items + head, m->items + m->head, m->count * sizeof(*m->items));
    m->head = head;
}

int idmap_insert(struct idmap *m, uint64_t ms, uint64_t seq, void *val)
{
    size_t i = idmap_seek_ge(m, ms, seq);
    if (i < m->count && idmap_cmp(m->items[m->head + i].ms, m->items[m->head + i].seq, ms, seq) == 0)
        return 0;
    int front = i < m->count / 2;
    ensure_room(m, front);
    if (front) {
        memmove(m->items + m->head - 1, m->items + m->head, i * sizeof(*m->items));
        m->head--;
    } else {
        memmove(m->items + m->head + i + 1, m->items + m->head + i, (m->count - i) * sizeof(*m->items));
    }
    m->items[m->head + i] = (struct idmap_item){ms, seq, val};
    m->count++;
    return 1;
}

void *idmap_remove_at(struct idmap *m, size_t i)
{
    void *val = m->items[m->head + i].val;
    if (i < m->count / 2) {
        memmove(m->items + m->head + 1, m->items + m->head, i * sizeof(*m->items));
        m->head++;
    } else {
        memmove(m->items + m->head + i, m->items + m->head + i + 1, (m->count - i - 1) * sizeof(*m->items));
    }
    m->count--;
    if (m->count == 0) {
        m->head = m->cap / 4;
    } else if (m->cap > 64 && m->count < m->cap / 8) {
        /* shrink: a trimmed stream gives its index memory back */
        size_t cap = m->cap / 2;
        struct idmap_item *items = malloc(cap * sizeof(*items));
        if (!items)
            out_of_memory(cap * sizeof(*items));
        size_t head = (cap - m->count) / 4;
        memcpy(items + head, m->items + m->head, m->count * sizeof(*items));
        free(m->items);
        m->items = items;
        m->head = head;
        m->cap = cap;
    }
    return val;
}

void *idmap_remove(struct idmap *m, uint64_t ms, uint64_t seq)
{
    size_t i = idmap_seek_ge(m, ms, seq);
    if (i < m->count && idmap_cmp(m->items[m->head + i].ms, m->items[m->head + i].seq, ms, seq) == 0)
        return idmap_remove_at(m, i);
    return NULL;
}

size_t idmap_mem(const struct idmap *m)
{
    return m->cap * sizeof(*m->items);
}
