/*
 * cmd_hll.c - the HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG
 * and PFSELFTEST, with Redis 7.0's replies and errors. The value is a plain
 * string in Redis's byte format (core/ds/hll.c), so GET/SET, DUMP/RESTORE
 * and snapshots carry it unchanged.
 *
 * Threads: every handler runs on the shard that owns its keys. PFCOUNT of
 * several keys and PFMERGE are ROUTE_CUSTOM: keys on several shards are
 * gathered onto the coordinator (docs/architecture.md, "Multi-key collection
 * commands across shards"); PFCOUNT's gather is a read (copies), so the
 * union of several keys never writes, as in Redis. PFSELFTEST is keyless.
 *
 * Invariants:
 *   - a value is checked (type, magic, encoding, dense size) before it is
 *     used; corrupt sparse opcodes are reported as "-INVALIDOBJ Corrupted
 *     HLL object detected", never read out of bounds;
 *   - a value is changed in place once it is ENC_RAW (hll_write_begin);
 *     its length is written back to the entry by hll_write_end;
 *   - every change is followed by key_modified() (PFCOUNT's refreshed cache
 *     included, as Redis propagates it) and the "pfadd" event for PFADD and
 *     PFMERGE. Every command replays to the same bytes, so the log records
 *     the command itself.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/hll.h"
#include "core/types/db.h"
#include "core/types/object.h"

#define ERR_HLL_WRONGTYPE "WRONGTYPE Key is not a valid HyperLogLog string value."
#define ERR_HLL_CORRUPT "INVALIDOBJ Corrupted HLL object detected"

/* Checks that e holds a HyperLogLog (Redis's isHLLObjectOrReply); replies
 * the error and returns 0 when not. */
static int hll_entry_ok_or_reply(struct cmd_ctx *c, const struct db_entry *e)
{
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return 0;
    }
    char tmp[LONG_STR_SIZE];
    size_t len;
    const char *p = entry_string(e, tmp, &len);
    if (e->encoding == ENC_INT || !hll_is_valid((const unsigned char *)p, len)) {
        reply_error(c->out, ERR_HLL_WRONGTYPE);
        return 0;
    }
    return 1;
}

/* A value being changed in place: the entry and the hll_value over it. */
struct hll_write {
    struct cmd_ctx *c;
    struct db_entry *e;
    struct hll_value v;
};

static unsigned char *hll_reserve(void *priv, size_t need)
{
    struct hll_write *w = priv;
    struct db_entry *e = w->e;
    size_t cap = need;
    if (!(e->encoding == ENC_RAW && e->v.raw && malloc_usable_size(e->v.raw) >= need))
        cap = need + need / 4; /* a sparse value grows 3 bytes at a time */
    return (unsigned char *)entry_string_make_raw(w->c->db, &w->e, cap);
}

/* Makes the linked string entry e writable (ENC_RAW) and prepares w. */
static void hll_write_begin(struct cmd_ctx *c, struct db_entry *e, struct hll_write *w)
{
    w->c = c;
    w->e = e;
    size_t len = e->val_len;
    w->v.p = (unsigned char *)entry_string_make_raw(c->db, &w->e, len);
    w->v.len = len;
    w->v.reserve = hll_reserve;
    w->v.priv = w;
    long long max = ctx_config(c)->hll_sparse_max_bytes;
    w->v.sparse_max = max > 0 ? (size_t)max : 0;
}

static void hll_write_end(struct hll_write *w)
{
    w->e->val_len = (uint32_t)w->v.len;
}

/* A new empty (sparse) HyperLogLog at argv[argi], linked into c->db. */
static struct db_entry *hll_create(struct cmd_ctx *c, int argi)
{
    unsigned char empty[HLL_SPARSE_EMPTY_SIZE];
    hll_init_sparse(empty);
    struct db_entry *e = entry_new_string(arg_key_hash(c, argi), c->argv[argi].ptr, c->argv[argi].len,
                                          (const char *)empty, sizeof(empty));
    db_insert(c->db, e);
    notify_keyspace_event(c, NOTIFY_NEW, "new", argi);
    return e;
}

/* PFADD key [element ...]: 1 when a register changed or the key was
 * created, else 0. */
void cmd_pfadd(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_write(c, 1);
    int updated = 0;
    if (!e) {
        e = hll_create(c, 1);
        updated++;
    } else if (!hll_entry_ok_or_reply(c, e)) {
        return;
    }
    struct hll_write w;
    hll_write_begin(c, e, &w);
    int corrupt = 0;
    for (int j = 2; j < c->argc; j++) {
        int r = hll_add(&w.v, c->argv[j].ptr, c->argv[j].len);
        if (r < 0) {
            corrupt = 1;
            break;
        }
        updated += r;
    }
    hll_write_end(&w);
    if (updated)
        hll_cache_invalidate(w.v.p);
    if (corrupt) {
        /* what changed before the corruption was found stays, as in Redis;
         * it is reported so the log replays it */
        if (updated)
            key_modified(c, 1);
        reply_error(c->out, ERR_HLL_CORRUPT);
        return;
    }
    if (updated) {
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_STRING, "pfadd", 1);
    }
    reply_integer(c->out, updated ? 1 : 0);
}

/* PFCOUNT key [key ...]: one key uses (and refreshes) the cached
 * cardinality; several keys count their union without writing. */
void cmd_pfcount(struct cmd_ctx *c)
{
    if (c->argc > 2) {
        uint8_t *max = calloc(HLL_REGISTERS, 1);
        for (int j = 1; j < c->argc; j++) {
            struct db_entry *e = lookup_read(c, j);
            if (!e)
                continue;
            if (!hll_entry_ok_or_reply(c, e)) {
                free(max);
                return;
            }
            char tmp[LONG_STR_SIZE];
            size_t len;
            const char *p = entry_string(e, tmp, &len);
            if (hll_merge_registers(max, (const unsigned char *)p, len) != 0) {
                reply_error(c->out, ERR_HLL_CORRUPT);
                free(max);
                return;
            }
        }
        reply_integer(c->out, (long long)hll_count_raw(max));
        free(max);
        return;
    }
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    if (!hll_entry_ok_or_reply(c, e))
        return;
    char tmp[LONG_STR_SIZE];
    size_t len;
    const unsigned char *p = (const unsigned char *)entry_string(e, tmp, &len);
    uint64_t card;
    if (hll_cache_valid(p)) {
        card = hll_cache_get(p);
    } else {
        int invalid = 0;
        card = hll_count(p, len, &invalid);
        if (invalid) {
            reply_error(c->out, ERR_HLL_CORRUPT);
            return;
        }
        struct hll_write w;
        hll_write_begin(c, e, &w);
        hll_cache_set(w.v.p, card);
        hll_write_end(&w);
        key_modified(c, 1);
    }
    reply_integer(c->out, (long long)card);
}

/* PFMERGE destkey [sourcekey ...]: destkey becomes the union of itself and
 * the sources (dense when any input is dense). */
void cmd_pfmerge(struct cmd_ctx *c)
{
    uint8_t *max = calloc(HLL_REGISTERS, 1);
    int use_dense = 0;
    for (int j = 1; j < c->argc; j++) {
        struct db_entry *e = lookup_read(c, j);
        if (!e)
            continue;
        if (!hll_entry_ok_or_reply(c, e))
            goto done;
        char tmp[LONG_STR_SIZE];
        size_t len;
        const unsigned char *p = (const unsigned char *)entry_string(e, tmp, &len);
        if (hll_encoding(p) == HLL_DENSE)
            use_dense = 1;
        if (hll_merge_registers(max, p, len) != 0) {
            reply_error(c->out, ERR_HLL_CORRUPT);
            goto done;
        }
    }
    struct db_entry *e = lookup_write(c, 1);
    if (!e)
        e = hll_create(c, 1);
    struct hll_write w;
    hll_write_begin(c, e, &w);
    if (use_dense && hll_to_dense(&w.v) != 0) {
        hll_write_end(&w);
        reply_error(c->out, ERR_HLL_CORRUPT);
        goto done;
    }
    for (long j = 0; j < HLL_REGISTERS; j++)
        if (max[j])
            hll_set(&w.v, j, max[j]);
    hll_cache_invalidate(w.v.p);
    hll_write_end(&w);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STRING, "pfadd", 1);
    reply_ok(c->out);
done:
    free(max);
}

/* PFDEBUG GETREG|DECODE|ENCODING|TODENSE key */
void cmd_pfdebug(struct cmd_ctx *c)
{
    const struct arg *sub = &c->argv[1];
    struct db_entry *e = lookup_write(c, 2);
    if (!e) {
        reply_error(c->out, "ERR The specified key does not exist");
        return;
    }
    if (!hll_entry_ok_or_reply(c, e))
        return;
    struct hll_write w;
    hll_write_begin(c, e, &w);
    if (arg_is(sub, "getreg") || arg_is(sub, "todense")) {
        int converted = 0;
        if (hll_encoding(w.v.p) == HLL_SPARSE) {
            if (hll_to_dense(&w.v) != 0) {
                reply_error(c->out, ERR_HLL_CORRUPT);
                return;
            }
            hll_write_end(&w);
            converted = 1;
            key_modified(c, 2); /* the encoding changed: logged */
        }
        if (arg_is(sub, "todense")) {
            reply_integer(c->out, converted);
            return;
        }
        reply_array(c->out, HLL_REGISTERS);
        for (long j = 0; j < HLL_REGISTERS; j++)
            reply_integer(c->out, hll_dense_get(w.v.p + HLL_HDR_SIZE, j));
    } else if (arg_is(sub, "decode")) {
        if (hll_encoding(w.v.p) != HLL_SPARSE) {
            reply_error(c->out, "ERR HLL encoding is not sparse");
            return;
        }
        char *text = hll_sparse_describe(w.v.p, w.v.len);
        reply_bulk(c->out, text, strlen(text));
        free(text);
    } else if (arg_is(sub, "encoding")) {
        reply_simple(c->out, hll_encoding(w.v.p) == HLL_DENSE ? "dense" : "sparse");
    } else {
        reply_errorf(c->out, "ERR Unknown PFDEBUG subcommand '%.*s'", (int)sub->len, sub->ptr);
    }
}

/* PFSELFTEST: register access and the estimator's error (hll_selftest). */
void cmd_pfselftest(struct cmd_ctx *c)
{
    char err[128];
    if (hll_selftest(err, sizeof(err)) == 0)
        reply_ok(c->out);
    else
        reply_error(c->out, err);
}
