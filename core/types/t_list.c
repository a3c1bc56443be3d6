/*
 * t_list.c - the list type: the view over both encodings, the conversions
 * and the per-type hooks of object.h (see t_list.h). Extracted from
 * core/commands/cmd_list.c, which keeps the commands.
 *
 * Threads: the shard thread owning the value. Invariant: between commands a
 * list is in the encoding t_list.h describes; a view (list_open) is closed
 * before the command returns.
 */
#include "core/types/t_list.h"

#include <stdlib.h>
#include <string.h>

/* ---------------- hooks of core/types/object.h ---------------- */

void list_value_free(struct db_entry *e)
{
    if (e->encoding == ENC_QUICKLIST)
        ql_free(e->v.ptr);
    else
        lp_free(e->v.ptr);
    e->v.ptr = NULL;
}

void *list_value_dup(const struct db_entry *e)
{
    if (e->encoding == ENC_QUICKLIST)
        return ql_dup(e->v.ptr);
    size_t n = lp_bytes(e->v.ptr);
    unsigned char *copy = malloc(n);
    if (!copy)
        abort();
    memcpy(copy, e->v.ptr, n);
    return copy;
}

size_t list_value_len(const struct db_entry *e)
{
    return list_length(e);
}

size_t list_value_mem(const struct db_entry *e)
{
    if (e->encoding == ENC_QUICKLIST)
        return ql_mem(e->v.ptr);
    return lp_bytes(e->v.ptr);
}

/* ---------------- conversions ---------------- */

void list_try_convert_listpack(struct db_entry *e, int fill, size_t add_bytes, unsigned long add_count)
{
    if (e->encoding != ENC_LISTPACK)
        return;
    unsigned char *lp = e->v.ptr;
    if (ql_exceeds_limit(fill, lp_bytes(lp) + add_bytes, lp_count(lp) + add_count)) {
        e->v.ptr = ql_from_listpack(fill, lp);
        e->encoding = ENC_QUICKLIST;
    }
}

void list_try_convert_quicklist(struct db_entry *e, int fill)
{
    if (e->encoding != ENC_QUICKLIST)
        return;
    struct quicklist *ql = e->v.ptr;
    if (ql->len != 1)
        return;
    size_t size_limit;
    unsigned long count_limit;
    ql_node_limit(fill, &size_limit, &count_limit);
    if (ql->head->bytes <= size_limit / 2 && ql->count <= count_limit / 2) {
        e->v.ptr = ql_to_listpack(ql);
        e->encoding = ENC_LISTPACK;
    }
}
