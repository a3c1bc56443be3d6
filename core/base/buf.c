/*
 * buf.c - growable byte buffer, see buf.h. Capacity grows by doubling (or to
 * the exact need when that is larger), so appends are amortised O(1).
 * Threads: a buf belongs to one thread at a time (buf.h); no locks.
 */
#include "core/base/buf.h"

#include <stdio.h>
#include <stdlib.h>

char *buf_reserve(struct buf *b, size_t extra)
{
    if (b->cap - b->len < extra) {
        size_t want = b->len + extra;
        size_t cap = b->cap ? b->cap * 2 : 64;
        if (cap < want)
            cap = want;
        char *p = realloc(b->data, cap);
        if (!p) {
            fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", cap);
            abort();
        }
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(buf_reserve(b, n), p, n);
    b->len += n;
}

void buf_append_str(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
