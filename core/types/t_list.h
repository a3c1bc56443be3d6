/*
 * t_list.h - the list type (extracted from core/commands/cmd_list.c): one
 * view over its two encodings, the conversions between them, and the
 * per-type hooks of object.h. The commands are in core/commands/cmd_list.c.
 *
 * Encodings (e->encoding of an OBJ_LIST entry, e->v.ptr):
 *   ENC_LISTPACK  - an unsigned char * listpack (core/ds/listpack.h) while
 *                   the list fits list-max-listpack-size as one node;
 *   ENC_QUICKLIST - a struct quicklist * (core/ds/quicklist.h) beyond it.
 * A listpack becomes a quicklist before an addition would exceed the limit;
 * a quicklist of one node below half the limits becomes a listpack again
 * after removals (Redis 7.2's listTypeTryConversion).
 *
 * Threads: the shard thread owning the key; nothing here is shared.
 */
#ifndef SHARDIS_T_LIST_H
#define SHARDIS_T_LIST_H

#include <stddef.h>

#include "core/ds/listpack.h"
#include "core/ds/quicklist.h"
#include "core/types/object.h"

/* One code path for both encodings: a listpack is wrapped as a one-node
 * quicklist in `wrap`/`node`; list_close stores the block back. */
struct list_view {
    struct db_entry *e;
    struct quicklist *ql;
    struct quicklist wrap;
    struct ql_node node;
};

static inline struct quicklist *list_open(struct list_view *v, struct db_entry *e)
{
    v->e = e;
    if (e->encoding == ENC_QUICKLIST) {
        v->ql = e->v.ptr;
    } else {
        ql_wrap_listpack(&v->wrap, &v->node, e->v.ptr);
        v->ql = &v->wrap;
    }
    return v->ql;
}

static inline void list_close(struct list_view *v)
{
    if (v->ql == &v->wrap)
        v->e->v.ptr = ql_unwrap(&v->wrap);
}

static inline size_t list_length(const struct db_entry *e)
{
    if (e->encoding == ENC_QUICKLIST)
        return ((const struct quicklist *)e->v.ptr)->count;
    return lp_count(e->v.ptr);
}

/* Before adding add_count elements of add_bytes raw bytes to e: a listpack
 * that would exceed the limit `fill` (list-max-listpack-size) becomes a
 * quicklist (Redis's listTypeTryConvertListpack). */
void list_try_convert_listpack(struct db_entry *e, int fill, size_t add_bytes, unsigned long add_count);

/* After elements were removed from the non-empty list e: a quicklist of one
 * node below half the limits of `fill` becomes a listpack again (Redis's
 * listTypeTryConvertQuicklist). */
void list_try_convert_quicklist(struct db_entry *e, int fill);

/* The per-type hooks (list_value_free, _dup, _len, _mem) are declared in
 * core/types/object.h. */

#endif
