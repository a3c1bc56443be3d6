/*
 * buf.h - growable byte buffer.
 *
 * A buf is owned by exactly one thread at a time: the thread that holds the
 * structure that embeds it (a connection, a request, a sub-request travelling
 * in a message). Handing a sub-request to another shard hands its buffers with
 * it; the ring's release/acquire ordering makes the bytes visible.
 *
 * Invariants: len <= cap; data is NULL only when cap == 0. The bytes are not
 * NUL-terminated. Allocation failure aborts (like Redis's zmalloc): an
 * in-memory store that cannot allocate a few bytes cannot keep its promises.
 */
#ifndef SHARDIS_BUF_H
#define SHARDIS_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Makes room for at least `extra` more bytes; returns a pointer to the end. */
char *buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_str(struct buf *b, const char *s);
/* Drops the first n bytes, moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/* Frees the storage; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

static inline void buf_reset(struct buf *b)
{
    b->len = 0;
}

static inline void buf_append_byte(struct buf *b, char c)
{
    if (b->len == b->cap)
        buf_reserve(b, 1);
    b->data[b->len++] = c;
}

#endif
