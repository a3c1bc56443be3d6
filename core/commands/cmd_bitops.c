/*
 * cmd_bitops.c - the bitmap commands on string values: SETBIT, GETBIT,
 * BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO, with Redis 7.0's
 * replies, errors and argument checks in its order. The bit maths (word at
 * a time counting and searching, fields, BITOP) is core/ds/bitmap.c.
 *
 * Every handler runs on the shard thread that owns its keys. BITOP's
 * sources may live on other shards: it is a ROUTE_CUSTOM command, so the
 * dispatcher gathers every key onto the coordinator (docs/architecture.md,
 * "Multi-key collection commands across shards") and runs this handler on a
 * private db holding them; the destination then goes back to its shard.
 *
 * Invariants the handlers keep:
 *   - errors are detected before anything changes;
 *   - a write that grows a string pads it with zero bytes and keeps its TTL
 *     (as Redis's lookupStringForBitCommand); BITOP replaces the destination
 *     and clears its TTL (setKey);
 *   - a change is followed by key_modified() and the keyspace event Redis
 *     raises ("setbit" for SETBIT and BITFIELD, "set" or "del" for BITOP).
 *     Every command here replays to the same bytes, so the log records the
 *     command itself.
 *   - offsets are checked against proto-max-bulk-len (at most 512 MB), so a
 *     string never grows past it.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/bitmap.h"
#include "core/types/db.h"
#include "core/types/object.h"

#define ERR_BIT_OFFSET "ERR bit offset is not an integer or out of range"
#define ERR_BIT_VALUE "ERR bit is not an integer or out of range"
#define ERR_BIT_ARG "ERR The bit argument must be 1 or 0."
#define ERR_BITOP_NOT "ERR BITOP NOT must be called with a single source key."
#define ERR_BITFIELD_TYPE                                                                                              \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
#define ERR_BITFIELD_OVERFLOW "ERR Invalid OVERFLOW type specified"
#define ERR_BITFIELD_RO "ERR BITFIELD_RO only supports the GET subcommand"

/* ---------------- helpers ---------------- */

/*
 * A bit offset argument (Redis's getBitOffsetFromArgument): a non-negative
 * integer whose byte is below proto-max-bulk-len. With `bits` > 0 (BITFIELD)
 * "#N" means N * bits. Replies the error and returns 0 when invalid.
 */
static int bit_offset_or_reply(struct cmd_ctx *c, int argi, int bits, uint64_t *offset)
{
    const struct arg *a = &c->argv[argi];
    int usehash = bits > 0 && a->len > 0 && a->ptr[0] == '#';
    long long v;
    if (!string2ll(a->ptr + usehash, a->len - (size_t)usehash, &v)) {
        reply_error(c->out, ERR_BIT_OFFSET);
        return 0;
    }
    if (usehash) {
        if (__builtin_mul_overflow(v, (long long)bits, &v)) {
            reply_error(c->out, ERR_BIT_OFFSET);
            return 0;
        }
    }
    if (v < 0 || (v >> 3) >= ctx_config(c)->proto_max_bulk_len) {
        reply_error(c->out, ERR_BIT_OFFSET);
        return 0;
    }
    *offset = (uint64_t)v;
    return 1;
}

/* The bytes of a string entry (ENC_INT formatted into tmp); NULL, 0 when e
 * is NULL. */
static const unsigned char *string_bytes(const struct db_entry *e, char *tmp, size_t *len)
{
    if (!e) {
        *len = 0;
        return NULL;
    }
    return (const unsigned char *)entry_string(e, tmp, len);
}

/*
 * The string at argv[1] made writable and at least maxbit / 8 + 1 bytes long
 * (zero padded), created when missing (Redis's lookupStringForBitCommand).
 * *dirty is set when it was created or grew. Replies WRONGTYPE and returns
 * NULL for another type. The returned bytes are valid until the entry
 * changes; *ep is the (possibly reallocated) entry.
 */
static unsigned char *string_for_bits(struct cmd_ctx *c, uint64_t maxbit, struct db_entry **ep, int *dirty)
{
    size_t need = (size_t)(maxbit >> 3) + 1;
    struct db_entry *e = lookup_write(c, 1);
    *dirty = 0;
    size_t old_len = 0;
    if (!e) {
        e = entry_new_string(arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len, "", 0);
        db_insert(c->db, e);
        notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
        *dirty = 1;
    } else if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return NULL;
    } else {
        char tmp[LONG_STR_SIZE];
        entry_string(e, tmp, &old_len);
    }
    size_t new_len = need > old_len ? need : old_len;
    size_t cap = new_len;
    int has_room = e->encoding == ENC_RAW && e->v.raw && malloc_usable_size(e->v.raw) >= new_len;
    if (new_len > old_len && !has_room) {
        /* grows as sds does: double below 1 MB, 1 MB more above */
        const size_t prealloc_max = 1024 * 1024;
        cap = new_len < prealloc_max ? new_len * 2 : new_len + prealloc_max;
        if (cap > (size_t)OBJ_STRING_MAX)
            cap = new_len > (size_t)OBJ_STRING_MAX ? new_len : (size_t)OBJ_STRING_MAX;
    }
    unsigned char *p = (unsigned char *)entry_string_make_raw(c->db, &e, cap);
    if (new_len > old_len) {
        memset(p + old_len, 0, new_len - old_len);
        e->val_len = (uint32_t)new_len;
        *dirty = 1;
    }
    *ep = e;
    return p;
}

/* BYTE / BIT unit argument of BITCOUNT and BITPOS: 1 for BIT, 0 for BYTE,
 * -1 (syntax error replied) otherwise. */
static int unit_is_bit_or_reply(struct cmd_ctx *c, int argi)
{
    if (arg_is(&c->argv[argi], "bit"))
        return 1;
    if (arg_is(&c->argv[argi], "byte"))
        return 0;
    reply_error(c->out, ERR_SYNTAX);
    return -1;
}

/* ---------------- SETBIT, GETBIT ---------------- */

void cmd_setbit(struct cmd_ctx *c)
{
    uint64_t offset;
    long long on;
    if (!bit_offset_or_reply(c, 2, 0, &offset))
        return;
    if (!arg_ll_or_reply(c, 3, &on, ERR_BIT_VALUE))
        return;
    if (on & ~1LL) {
        reply_error(c->out, ERR_BIT_VALUE);
        return;
    }
    struct db_entry *e;
    int dirty;
    unsigned char *p = string_for_bits(c, offset, &e, &dirty);
    if (!p)
        return;
    size_t byte = (size_t)(offset >> 3);
    unsigned char mask = (unsigned char)(1u << (7 - (offset & 7)));
    int old = (p[byte] & mask) != 0;
    if (dirty || old != (int)on) {
        if (on)
            p[byte] |= mask;
        else
            p[byte] &= (unsigned char)~mask;
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_STRING, "setbit", 1);
    }
    reply_integer(c->out, old);
}

void cmd_getbit(struct cmd_ctx *c)
{
    uint64_t offset;
    if (!bit_offset_or_reply(c, 2, 0, &offset))
        return;
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    char tmp[LONG_STR_SIZE];
    size_t len;
    const unsigned char *p = string_bytes(e, tmp, &len);
    size_t byte = (size_t)(offset >> 3);
    int bit = byte < len ? (p[byte] >> (7 - (offset & 7))) & 1 : 0;
    reply_integer(c->out, bit);
}

/* ---------------- BITCOUNT, BITPOS ---------------- */

/*
 * Turns start/end (BYTE or BIT units, negative from the end) into an
 * inclusive bit range of a string of len bytes, as Redis clamps them.
 * Returns 0 when the range is empty.
 */
static int bit_range(long long start, long long end, int isbit, size_t len, uint64_t *first, uint64_t *last)
{
    long long total = (long long)len;
    if (isbit)
        total <<= 3;
    if (start < 0)
        start += total;
    if (end < 0)
        end += total;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= total)
        end = total - 1;
    if (start > end)
        return 0;
    *first = isbit ? (uint64_t)start : (uint64_t)start * 8;
    *last = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    return 1;
}

/* BITCOUNT key [start end [BYTE|BIT]] */
void cmd_bitcount(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    char tmp[LONG_STR_SIZE];
    size_t len;
    const unsigned char *p = string_bytes(e, tmp, &len);
    uint64_t first, last;
    if (c->argc == 4 || c->argc == 5) {
        long long start, end;
        int isbit = 0;
        if (!arg_ll_or_reply(c, 2, &start, NULL) || !arg_ll_or_reply(c, 3, &end, NULL))
            return;
        if (start < 0 && end < 0 && start > end) {
            reply_integer(c->out, 0);
            return;
        }
        if (c->argc == 5 && (isbit = unit_is_bit_or_reply(c, 4)) < 0)
            return;
        if (!bit_range(start, end, isbit, len, &first, &last)) {
            reply_integer(c->out, 0);
            return;
        }
    } else if (c->argc == 2) {
        if (len == 0) {
            reply_integer(c->out, 0);
            return;
        }
        first = 0;
        last = (uint64_t)len * 8 - 1;
    } else {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    reply_integer(c->out, (long long)bitmap_count(p, first, last));
}

/* BITPOS key bit [start [end [BYTE|BIT]]] */
void cmd_bitpos(struct cmd_ctx *c)
{
    long long bit;
    if (!arg_ll_or_reply(c, 2, &bit, NULL))
        return;
    if (bit != 0 && bit != 1) {
        reply_error(c->out, ERR_BIT_ARG);
        return;
    }
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_integer(c->out, bit ? -1 : 0);
        return;
    }
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    char tmp[LONG_STR_SIZE];
    size_t len;
    const unsigned char *p = string_bytes(e, tmp, &len);
    int end_given = 0;
    uint64_t first, last;
    if (c->argc >= 4 && c->argc <= 6) {
        long long start, end;
        int isbit = 0;
        if (!arg_ll_or_reply(c, 3, &start, NULL))
            return;
        if (c->argc == 6 && (isbit = unit_is_bit_or_reply(c, 5)) < 0)
            return;
        if (c->argc >= 5) {
            if (!arg_ll_or_reply(c, 4, &end, NULL))
                return;
            end_given = 1;
        } else {
            end = -1; /* the last byte (or bit) */
        }
        if (!bit_range(start, end, isbit, len, &first, &last)) {
            reply_integer(c->out, -1);
            return;
        }
    } else if (c->argc == 3) {
        if (len == 0) {
            reply_integer(c->out, -1);
            return;
        }
        first = 0;
        last = (uint64_t)len * 8 - 1;
    } else {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    int64_t pos = bitmap_find(p, len, first, last, (int)bit);
    /* Looking for a clear bit in a range of set bits without an explicit
     * end: the string is taken as padded with zeros on the right, so the
     * answer is the first bit past the range (Redis's rule). */
    if (pos < 0 && bit == 0 && !end_given)
        pos = (int64_t)last + 1;
    reply_integer(c->out, pos);
}

/* ---------------- BITOP ---------------- */

/* BITOP AND|OR|XOR|NOT destkey key [key ...]: replies the length of the
 * result, the longest source; an empty result deletes destkey. */
void cmd_bitop(struct cmd_ctx *c)
{
    const struct arg *opname = &c->argv[1];
    enum bitmap_op op;
    if (arg_is(opname, "and"))
        op = BITMAP_AND;
    else if (arg_is(opname, "or"))
        op = BITMAP_OR;
    else if (arg_is(opname, "xor"))
        op = BITMAP_XOR;
    else if (arg_is(opname, "not"))
        op = BITMAP_NOT;
    else {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    if (op == BITMAP_NOT && c->argc != 4) {
        reply_error(c->out, ERR_BITOP_NOT);
        return;
    }
    size_t n = (size_t)c->argc - 3;
    const unsigned char **srcs = calloc(n, sizeof(*srcs));
    size_t *lens = calloc(n, sizeof(*lens));
    char(*tmps)[LONG_STR_SIZE] = calloc(n, LONG_STR_SIZE);
    size_t maxlen = 0;
    for (size_t j = 0; j < n; j++) {
        struct db_entry *e = lookup_read(c, (int)j + 3);
        if (!e)
            continue;
        if (e->type != OBJ_STRING) {
            reply_error(c->out, ERR_WRONGTYPE);
            goto done;
        }
        srcs[j] = string_bytes(e, tmps[j], &lens[j]);
        if (lens[j] > maxlen)
            maxlen = lens[j];
    }
    if (maxlen) {
        /* sources may be the destination itself: compute first, then
         * replace the destination with the result */
        char *res = malloc(maxlen);
        bitmap_op(op, srcs, lens, n, (unsigned char *)res, maxlen);
        struct db_entry *dst = lookup_write(c, 2);
        if (dst) {
            entry_set_string(c->db, &dst, res, maxlen);
            db_set_expire(c->db, dst, 0);
        } else {
            dst = entry_new_string(arg_key_hash(c, 2), c->argv[2].ptr, c->argv[2].len, res, maxlen);
            db_insert(c->db, dst);
            notify_keyspace_event(c, NOTIFY_NEW, "new", 2);
        }
        free(res);
        key_modified(c, 2);
        notify_keyspace_event(c, NOTIFY_STRING, "set", 2);
    } else if (delete_key_arg(c, 2)) {
        key_modified(c, 2);
        notify_keyspace_event(c, NOTIFY_GENERIC, "del", 2);
    }
    reply_integer(c->out, (long long)maxlen);
done:
    free(tmps);
    free(lens);
    free(srcs);
}

/* ---------------- BITFIELD, BITFIELD_RO ---------------- */

enum bitfield_opcode { BF_GET, BF_SET, BF_INCRBY };
enum bitfield_overflow { BF_WRAP, BF_SAT, BF_FAIL };

struct bitfield_op {
    uint64_t offset;
    int64_t value; /* SET value or INCRBY increment */
    enum bitfield_opcode opcode;
    enum bitfield_overflow overflow;
    int bits;
    int sign;
};

/* i1..i64 or u1..u63; replies the error and returns 0 otherwise. */
static int bitfield_type_or_reply(struct cmd_ctx *c, int argi, int *sign, int *bits)
{
    const struct arg *a = &c->argv[argi];
    long long n;
    if (a->len < 1 || (a->ptr[0] != 'i' && a->ptr[0] != 'u')) {
        reply_error(c->out, ERR_BITFIELD_TYPE);
        return 0;
    }
    *sign = a->ptr[0] == 'i';
    if (!string2ll(a->ptr + 1, a->len - 1, &n) || n < 1 || (*sign && n > 64) || (!*sign && n > 63)) {
        reply_error(c->out, ERR_BITFIELD_TYPE);
        return 0;
    }
    *bits = (int)n;
    return 1;
}

static void bitfield_generic(struct cmd_ctx *c, int readonly_cmd)
{
    struct bitfield_op *ops = NULL;
    int nops = 0, cap = 0;
    enum bitfield_overflow overflow = BF_WRAP;
    int readonly = 1;
    uint64_t highest_write = 0;

    for (int j = 2; j < c->argc; j++) {
        int remargs = c->argc - j - 1;
        const struct arg *sub = &c->argv[j];
        enum bitfield_opcode opcode;
        if (arg_is(sub, "get") && remargs >= 2)
            opcode = BF_GET;
        else if (arg_is(sub, "set") && remargs >= 3)
            opcode = BF_SET;
        else if (arg_is(sub, "incrby") && remargs >= 3)
            opcode = BF_INCRBY;
        else if (arg_is(sub, "overflow") && remargs >= 1) {
            const struct arg *kind = &c->argv[++j];
            if (arg_is(kind, "wrap"))
                overflow = BF_WRAP;
            else if (arg_is(kind, "sat"))
                overflow = BF_SAT;
            else if (arg_is(kind, "fail"))
                overflow = BF_FAIL;
            else {
                reply_error(c->out, ERR_BITFIELD_OVERFLOW);
                goto done;
            }
            continue;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            goto done;
        }
        int sign, bits;
        uint64_t offset;
        long long value = 0;
        if (!bitfield_type_or_reply(c, j + 1, &sign, &bits) || !bit_offset_or_reply(c, j + 2, bits, &offset))
            goto done;
        if (opcode != BF_GET) {
            readonly = 0;
            if (highest_write < offset + (uint64_t)bits - 1)
                highest_write = offset + (uint64_t)bits - 1;
            if (!arg_ll_or_reply(c, j + 3, &value, NULL))
                goto done;
        }
        if (nops == cap) {
            cap = cap ? cap * 2 : 4;
            ops = realloc(ops, sizeof(*ops) * (size_t)cap);
        }
        ops[nops++] = (struct bitfield_op){
            .offset = offset, .value = value, .opcode = opcode, .overflow = overflow, .bits = bits, .sign = sign};
        j += opcode == BF_GET ? 2 : 3;
    }

    struct db_entry *e = NULL;
    unsigned char *wp = NULL;
    int dirty = 0;
    if (readonly) {
        e = lookup_read(c, 1);
        if (e && e->type != OBJ_STRING) {
            reply_error(c->out, ERR_WRONGTYPE);
            goto done;
        }
    } else {
        if (readonly_cmd) {
            reply_error(c->out, ERR_BITFIELD_RO);
            goto done;
        }
        wp = string_for_bits(c, highest_write, &e, &dirty);
        if (!wp)
            goto done;
    }

    reply_array(c->out, nops);
    long long changes = 0;
    for (int j = 0; j < nops; j++) {
        const struct bitfield_op *op = &ops[j];
        if (op->opcode == BF_GET) {
            char tmp[LONG_STR_SIZE];
            size_t len;
            const unsigned char *p = string_bytes(e, tmp, &len);
            if (op->sign)
                reply_integer(c->out, bitmap_get_signed_field(p, len, op->offset, op->bits));
            else
                reply_integer(c->out, (long long)bitmap_get_field(p, len, op->offset, op->bits));
            continue;
        }
        size_t len = e->val_len; /* RAW: the writable string's length */
        int over;
        uint64_t oldbits, newbits;
        long long ret;
        if (op->sign) {
            int64_t oldval = bitmap_get_signed_field(wp, len, op->offset, op->bits), newval;
            if (op->opcode == BF_INCRBY) {
                over = bitfield_signed_add(oldval, op->value, op->bits, op->overflow == BF_SAT, &newval);
                ret = newval;
            } else {
                over = bitfield_signed_add(op->value, 0, op->bits, op->overflow == BF_SAT, &newval);
                ret = oldval;
            }
            oldbits = (uint64_t)oldval;
            newbits = (uint64_t)newval;
        } else {
            uint64_t oldval = bitmap_get_field(wp, len, op->offset, op->bits), newval;
            if (op->opcode == BF_INCRBY) {
                over = bitfield_unsigned_add(oldval, op->value, op->bits, op->overflow == BF_SAT, &newval);
                ret = (long long)newval;
            } else {
                over = bitfield_unsigned_add((uint64_t)op->value, 0, op->bits, op->overflow == BF_SAT, &newval);
                ret = (long long)oldval;
            }
            oldbits = oldval;
            newbits = newval;
        }
        if (over && op->overflow == BF_FAIL) {
            reply_null(c->out, c->resp);
            continue;
        }
        reply_integer(c->out, ret);
        bitmap_set_field(wp, op->offset, op->bits, newbits);
        if (dirty || oldbits != newbits)
            changes++;
    }
    if (changes) {
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_STRING, "setbit", 1);
    }
done:
    free(ops);
}

void cmd_bitfield(struct cmd_ctx *c)
{
    bitfield_generic(c, 0);
}

void cmd_bitfield_ro(struct cmd_ctx *c)
{
    bitfield_generic(c, 1);
}
