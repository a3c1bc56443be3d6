/*
 * snapshot.c - the snapshot file format: the incremental writer, the loader
 * and validator, and the index file.
 *
 * Pure functions over buffers; any thread may call them. The engine
 * (snapshot_engine.c) decides what to serialize and when.
 *
 * Format version 2 (written; version 1 files are still read). After the
 * 40-byte header the file is a sequence of blocks, then the trailer:
 *   block    u8 SNAP_BLOCK_RAW, varint n, n bytes of records
 *            u8 SNAP_BLOCK_LZ4, varint n, varint c, c bytes: n bytes of
 *            records compressed with LZ4 (one LZ4_compress_default block)
 *   trailer  u8 SNAP_REC_END, u64 record count, u64 xxh3-64 of every byte
 *            before this checksum field
 * A block holds whole records (about SNAP_BLOCK_SIZE bytes of them; one big
 * value makes one big block) and decodes on its own: it opens with a
 * database selector and key prefixes are shared only inside it. Blocks that
 * LZ4 does not shrink, and every block when compression is off
 * (rdbcompression no), are stored raw. Records inside a block:
 *   u8 SNAP_OP_SELECT, varint db
 *   u8 op = type << 3 | encoding (| SNAP_OP_EXPIRE), [varint expire_at,
 *            absolute unix ms], varint shared, varint suffix length, suffix:
 *            the key is the first `shared` bytes (at most SNAP_KEY_PREFIX) of
 *            the previous key of the block followed by the suffix; the value.
 * Integers are unsigned LEB128 varints (7 bits a byte, low bits first);
 * signed ones are zigzag-encoded first. Values:
 *   STRING ENC_INT                zigzag varint of the integer.
 *   STRING ENC_RAW / ENC_EMBSTR   varint len, bytes. The loader picks INT,
 *                                 EMBSTR or RAW as a SET would.
 *   LISTPACK (list/hash/set/zset) varint bytes, the listpack block as in memory.
 *   QUICKLIST (list)              zigzag fill, varint nodes, then per node
 *                                 varint bytes and the node's listpack block.
 *   INTSET (set)                  varint bytes, the intset block as in memory.
 *   HASHTABLE set                 varint count, count x (varint len, bytes).
 *   HASHTABLE hash                varint count, count x (field, value) as above.
 *   SKIPLIST zset                 varint count, count x (varint len, bytes,
 *                                 u64 bits of the f64 score), in skiplist order.
 *   STREAM (op encoding bits 0)   varint nodes, per node: varint ms, varint seq
 *                                 (its master id), its listpack block; varint
 *                                 length, last id, first id, max deleted id
 *                                 (two varints each), varint entries added;
 *                                 varint groups, per group: name, last id,
 *                                 zigzag entries-read, varint pending, per
 *                                 pending entry: id, zigzag delivery time,
 *                                 varint delivery count; varint consumers, per
 *                                 consumer: name, zigzag seen time, varint
 *                                 pending, its pending ids (each one of the
 *                                 group's, owned by exactly one consumer).
 * Blocks are copied as they are in memory, so loading a compact value is one
 * malloc and one memcpy after validation; the encoding survives a restart.
 * Version 1 had no blocks and fixed-width fields (see git history); its
 * records are parsed by the same value code with u32 lengths.
 *
 * Trust: a file is untrusted input. The loader checks the checksum first
 * (unless told not to), then every length against the bytes left, every LZ4
 * block's sizes (decoded size bounded by 255x the compressed one, exact
 * match after decoding), every listpack and intset with its validator,
 * counts against limits, and the type-specific invariants the data
 * structures rely on (even listpacks for hashes and zsets, parsable and
 * ordered scores, no duplicate members), and only then builds the value.
 * Any violation is an error with its offset (inside an LZ4 block: the
 * block's offset, and the offset in its decoded bytes).
 */
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/base/util.h"
#include "core/ds/intset.h"
#include "core/ds/listpack.h"
#include "core/ds/quicklist.h"
#include "core/ds/sdict.h"
#include "core/ds/zset.h"
#include "core/types/object.h"
#include "core/types/t_stream.h"
#include "persist/snapshot.h"

/* ---------------- buffer ---------------- */

static void oom(size_t n)
{
    fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", n);
    abort();
}

static unsigned char *buf_room(struct snap_buf *b, size_t extra)
{
    if (b->len + extra > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + extra)
            cap *= 2;
        unsigned char *p = realloc(b->data, cap);
        if (!p)
            oom(cap);
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

static void put_bytes(struct snap_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(buf_room(b, n), p, n);
    b->len += n;
}

static void put_u8(struct snap_buf *b, uint8_t v)
{
    *buf_room(b, 1) = v;
    b->len++;
}

static void put_u32(struct snap_buf *b, uint32_t v)
{
    unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put_bytes(b, t, 4);
}

static void put_u64(struct snap_buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

/* Writes v as a varint at p (room for 10 bytes); returns its length. */
static size_t varint_encode(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static void put_varint(struct snap_buf *b, uint64_t v)
{
    b->len += varint_encode(buf_room(b, 10), v);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void put_str(struct snap_buf *b, const void *p, size_t n)
{
    put_varint(b, n);
    put_bytes(b, p, n);
}

void snap_buf_free(struct snap_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---------------- writer ---------------- */

/* Feeds the bytes appended since `from` to the checksum. */
static void writer_account(struct snap_writer *w, const struct snap_buf *out, size_t from)
{
    XXH3_64bits_update(w->xxh, out->data + from, out->len - from);
    w->bytes += out->len - from;
}

int snap_writer_begin(struct snap_writer *w, const struct snap_header *h, struct snap_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->compress = 1;
    w->block_db = -1;
    w->xxh = XXH3_createState();
    if (!w->xxh)
        return -1;
    XXH3_64bits_reset(w->xxh);
    size_t from = out->len;
    put_bytes(out, SNAP_MAGIC, 8);
    put_u32(out, SNAP_VERSION);
    put_u32(out, h->shard);
    put_u32(out, h->nshards);
    put_u32(out, h->ndbs);
    put_u64(out, h->epoch);
    put_u64(out, (uint64_t)h->ctime_ms);
    writer_account(w, out, from);
    return 0;
}

void snap_writer_set_compression(struct snap_writer *w, int on)
{
    w->compress = on;
}

/* Closes the open block: LZ4 when that makes it smaller, else raw. */
static void writer_flush_block(struct snap_writer *w, struct snap_buf *out)
{
    struct snap_buf *blk = &w->block;
    if (blk->len == 0)
        return;
    size_t from = out->len;
    int stored = 0;
    if (w->compress && blk->len >= 64 && blk->len <= LZ4_MAX_INPUT_SIZE) {
        int bound = LZ4_compressBound((int)blk->len);
        /* room for the block head (kind and two varints) and the worst case */
        unsigned char *room = buf_room(out, (size_t)bound + 21);
        int c = LZ4_compress_default((const char *)blk->data, (char *)room + 21, (int)blk->len, bound);
        if (c > 0 && (size_t)c + 12 < blk->len) {
            size_t head = 0;
            room[head++] = SNAP_BLOCK_LZ4;
            head += varint_encode(room + head, blk->len);
            head += varint_encode(room + head, (uint64_t)c);
            memmove(room + head, room + 21, (size_t)c);
            out->len += head + (size_t)c;
            stored = 1;
        }
    }
    if (!stored) {
        put_u8(out, SNAP_BLOCK_RAW);
        put_varint(out, blk->len);
        put_bytes(out, blk->data, blk->len);
    }
    writer_account(w, out, from);
    blk->len = 0;
    if (blk->cap > 16 * SNAP_BLOCK_SIZE)
        snap_buf_free(blk); /* after one big value: do not keep its room */
    w->block_db = -1;
    w->prev_klen = 0;
}

static void put_listpack(struct snap_buf *out, const unsigned char *lp)
{
    put_str(out, lp, lp_bytes(lp));
}

static void put_stream_id(struct snap_buf *out, uint64_t ms, uint64_t seq)
{
    put_varint(out, ms);
    put_varint(out, seq);
}

/* STREAM: see the format at the top. */
static void put_stream(struct snap_buf *out, const struct stream *s)
{
    put_varint(out, idmap_size(&s->nodes));
    for (size_t i = 0; i < idmap_size(&s->nodes); i++) {
        const struct idmap_item *it = idmap_at(&s->nodes, i);
        put_stream_id(out, it->ms, it->seq);
        put_listpack(out, it->val);
    }
    put_varint(out, s->length);
    put_stream_id(out, s->last_id.ms, s->last_id.seq);
    put_stream_id(out, s->first_id.ms, s->first_id.seq);
    put_stream_id(out, s->max_deleted_id.ms, s->max_deleted_id.seq);
    put_varint(out, s->entries_added);
    put_varint(out, s->ngroups);
    for (size_t g = 0; g < s->ngroups; g++) {
        const struct stream_cg *cg = s->groups[g];
        put_str(out, cg->name, cg->name_len);
        put_stream_id(out, cg->last_id.ms, cg->last_id.seq);
        put_varint(out, zigzag(cg->entries_read));
        put_varint(out, idmap_size(&cg->pel));
        for (size_t i = 0; i < idmap_size(&cg->pel); i++) {
            const struct idmap_item *it = idmap_at(&cg->pel, i);
            const struct stream_nack *n = it->val;
            put_stream_id(out, it->ms, it->seq);
            put_varint(out, zigzag(n->delivery_time));
            put_varint(out, n->delivery_count);
        }
        put_varint(out, cg->nconsumers);
        for (size_t c = 0; c < cg->nconsumers; c++) {
            const struct stream_consumer *cs = cg->consumers[c];
            put_str(out, cs->name, cs->name_len);
            put_varint(out, zigzag(cs->seen_time));
            put_varint(out, idmap_size(&cs->pel));
            for (size_t i = 0; i < idmap_size(&cs->pel); i++) {
                const struct idmap_item *it = idmap_at(&cs->pel, i);
                put_stream_id(out, it->ms, it->seq);
            }
        }
    }
}

static void put_value(struct snap_buf *out, const struct db_entry *e)
{
    switch (e->type) {
    case OBJ_STRING: {
        if (e->encoding == ENC_INT) {
            put_varint(out, zigzag(e->v.i));
            return;
        }
        char tmp[32];
        size_t len;
        const char *s = entry_string(e, tmp, &len);
        put_str(out, s, len);
        return;
    }
    case OBJ_LIST:
        if (e->encoding == ENC_QUICKLIST) {
            const struct quicklist *ql = e->v.ptr;
            put_varint(out, zigzag(ql->fill));
            put_varint(out, ql->len);
            for (const struct ql_node *n = ql->head; n; n = n->next)
                put_listpack(out, n->lp);
        } else {
            put_listpack(out, e->v.ptr);
        }
        return;
    case OBJ_SET:
        if (e->encoding == ENC_INTSET) {
            put_str(out, e->v.ptr, intset_bytes(e->v.ptr));
        } else if (e->encoding == ENC_LISTPACK) {
            put_listpack(out, e->v.ptr);
        } else {
            struct sdict_iter it;
            put_varint(out, sdict_size(e->v.ptr));
            sdict_iter_init(&it, e->v.ptr);
            for (struct sdict_node *n; (n = sdict_iter_next(&it));)
                put_str(out, n->key, n->klen);
            sdict_iter_done(&it);
        }
        return;
    case OBJ_HASH:
        if (e->encoding == ENC_LISTPACK) {
            put_listpack(out, e->v.ptr);
        } else {
            struct sdict_iter it;
            put_varint(out, sdict_size(e->v.ptr));
            sdict_iter_init(&it, e->v.ptr);
            for (struct sdict_node *n; (n = sdict_iter_next(&it));) {
                size_t vlen;
                const char *v = hash_node_value(n, &vlen);
                put_str(out, n->key, n->klen);
                put_str(out, v, vlen);
            }
            sdict_iter_done(&it);
        }
        return;
    case OBJ_ZSET:
        if (e->encoding == ENC_LISTPACK) {
            put_listpack(out, e->v.ptr);
        } else {
            const struct zset *z = e->v.ptr;
            put_varint(out, z->length);
            for (struct zset_node *n = zset_first(z); n; n = zset_next(n)) {
                uint64_t bits;
                memcpy(&bits, &n->score, 8);
                put_str(out, n->member->key, n->member->klen);
                put_u64(out, bits);
            }
        }
        return;
    case OBJ_STREAM:
        put_stream(out, e->v.ptr);
        return;
    }
}

void snap_writer_entry(struct snap_writer *w, int dbid, const struct db_entry *e, struct snap_buf *out)
{
    struct snap_buf *blk = &w->block;
    if (w->block_db != dbid) {
        put_u8(blk, SNAP_OP_SELECT);
        put_varint(blk, (uint64_t)dbid);
        w->block_db = dbid;
    }
    /* a stream's one encoding (ENC_STREAM, 8) does not fit the 3 bits: 0 */
    uint8_t op = (uint8_t)(e->type << 3 | (e->type == OBJ_STREAM ? 0 : e->encoding));
    if (e->expire_at)
        op |= SNAP_OP_EXPIRE;
    put_u8(blk, op);
    if (e->expire_at)
        put_varint(blk, (uint64_t)e->expire_at);
    size_t shared = 0, max = e->key_len < w->prev_klen ? e->key_len : w->prev_klen;
    while (shared < max && w->prev_key[shared] == (unsigned char)e->key[shared])
        shared++;
    put_varint(blk, shared);
    put_str(blk, e->key + shared, e->key_len - shared);
    w->prev_klen = e->key_len < SNAP_KEY_PREFIX ? e->key_len : SNAP_KEY_PREFIX;
    memcpy(w->prev_key, e->key, w->prev_klen);
    put_value(blk, e);
    w->records++;
    if (blk->len >= SNAP_BLOCK_SIZE)
        writer_flush_block(w, out);
}

void snap_writer_end(struct snap_writer *w, struct snap_buf *out)
{
    writer_flush_block(w, out);
    size_t from = out->len;
    put_u8(out, SNAP_REC_END);
    put_u64(out, w->records);
    writer_account(w, out, from);
    put_u64(out, XXH3_64bits_digest(w->xxh));
    w->bytes += 8;
    snap_writer_abort(w);
}

void snap_writer_abort(struct snap_writer *w)
{
    if (w->xxh)
        XXH3_freeState(w->xxh);
    w->xxh = NULL;
    snap_buf_free(&w->block);
}

/* ---------------- loader ---------------- */

struct reader {
    const unsigned char *data;
    size_t len, pos;
    char *err;
    size_t errlen;
    uint64_t *err_offset;
    int version; /* of the file: lengths are u32 (1) or varints (2) */
};

static int fail(struct reader *r, size_t at, const char *fmt, const char *what)
{
    snprintf(r->err, r->errlen, fmt, what);
    *r->err_offset = at;
    return -1;
}

static int get_u8(struct reader *r, uint8_t *v)
{
    if (r->len - r->pos < 1)
        return fail(r, r->pos, "unexpected end of file reading %s", "a record");
    *v = r->data[r->pos++];
    return 0;
}

static uint32_t load_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const unsigned char *p)
{
    return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

static int get_u32(struct reader *r, uint32_t *v, const char *what)
{
    if (r->len - r->pos < 4)
        return fail(r, r->pos, "unexpected end of file reading %s", what);
    *v = load_u32(r->data + r->pos);
    r->pos += 4;
    return 0;
}

static int get_u64(struct reader *r, uint64_t *v, const char *what)
{
    if (r->len - r->pos < 8)
        return fail(r, r->pos, "unexpected end of file reading %s", what);
    *v = load_u64(r->data + r->pos);
    r->pos += 8;
    return 0;
}

static int get_varint(struct reader *r, uint64_t *v, const char *what)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->pos >= r->len)
            return fail(r, r->pos, "unexpected end of file reading %s", what);
        unsigned char c = r->data[r->pos++];
        if (shift == 63 && c > 1)
            break;
        x |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return fail(r, r->pos, "bad variable-length integer in %s", what);
}

/* A length or count: u32 in version 1, a varint below 2^32 in version 2. */
static int get_len(struct reader *r, uint32_t *n, const char *what)
{
    if (r->version == 1)
        return get_u32(r, n, what);
    size_t at = r->pos;
    uint64_t v;
    if (get_varint(r, &v, what) < 0)
        return -1;
    if (v > UINT32_MAX)
        return fail(r, at, "%s too large", what);
    *n = (uint32_t)v;
    return 0;
}

/* Bytes a length takes at least (bounds counts by the bytes left). */
static size_t len_size(const struct reader *r)
{
    return r->version == 1 ? 4 : 1;
}

/* A length-prefixed byte string: *p points into the buffer. */
static int get_str(struct reader *r, const unsigned char **p, uint32_t *n, const char *what)
{
    size_t at = r->pos;
    if (get_len(r, n, what) < 0)
        return -1;
    if (*n > r->len - r->pos)
        return fail(r, at, "length of %s runs past the end of the file", what);
    *p = r->data + r->pos;
    r->pos += *n;
    return 0;
}

/* A listpack block copied to the heap and validated; NULL on error. */
static unsigned char *get_listpack(struct reader *r, const char *what)
{
    size_t at = r->pos;
    const unsigned char *p;
    uint32_t n;
    if (get_str(r, &p, &n, what) < 0)
        return NULL;
    unsigned char *lp = malloc(n ? n : 1);
    if (!lp)
        oom(n);
    memcpy(lp, p, n);
    if (!lp_validate(lp, n)) {
        free(lp);
        fail(r, at, "invalid listpack in %s", what);
        return NULL;
    }
    return lp;
}

/* Checks a zset listpack: member/score pairs, scores parse, ordered by
 * (score, member). */
static int zset_listpack_ok(unsigned char *lp)
{
    uint32_t count = lp_count(lp);
    if (count == 0 || count % 2)
        return 0;
    double prev_score = 0;
    const unsigned char *prev_m = NULL;
    size_t prev_len = 0;
    char mbuf[32], prev_buf[32];
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        struct lp_val m, s;
        lp_get(p, &m);
        p = lp_next(lp, p);
        if (!p)
            return 0;
        lp_get(p, &s);
        double score;
        if (s.str) {
            if (!string2d((const char *)s.str, s.len, &score) || isnan(score))
                return 0;
        } else {
            score = (double)s.ll;
        }
        const unsigned char *mptr = m.str;
        size_t mlen = m.len;
        if (!mptr) {
            mlen = (size_t)ll2string(mbuf, sizeof(mbuf), m.ll);
            mptr = (const unsigned char *)mbuf;
        }
        if (prev_m) {
            if (score < prev_score)
                return 0;
            if (score == prev_score && zset_member_cmp((const char *)prev_m, prev_len, (const char *)mptr, mlen) >= 0)
                return 0;
        }
        /* keep the previous member: an integer one lives in mbuf, copied */
        if (mptr == (const unsigned char *)mbuf) {
            memcpy(prev_buf, mbuf, mlen);
            prev_m = (const unsigned char *)prev_buf;
        } else {
            prev_m = mptr;
        }
        prev_len = mlen;
        prev_score = score;
    }
    return 1;
}

static int type_encoding_ok(uint8_t type, uint8_t enc)
{
    switch (type) {
    case OBJ_STRING:
        return enc == ENC_RAW || enc == ENC_INT || enc == ENC_EMBSTR;
    case OBJ_LIST:
        return enc == ENC_LISTPACK || enc == ENC_QUICKLIST;
    case OBJ_SET:
        return enc == ENC_INTSET || enc == ENC_LISTPACK || enc == ENC_HASHTABLE;
    case OBJ_ZSET:
        return enc == ENC_LISTPACK || enc == ENC_SKIPLIST;
    case OBJ_HASH:
        return enc == ENC_LISTPACK || enc == ENC_HASHTABLE;
    case OBJ_STREAM:
        return enc == 0;
    }
    return 0;
}

static int get_stream_id(struct reader *r, struct stream_id *id, const char *what)
{
    uint64_t ms, seq;
    if (get_varint(r, &ms, what) < 0 || get_varint(r, &seq, what) < 0)
        return -1;
    id->ms = ms;
    id->seq = seq;
    return 0;
}

/* A count bounded by the bytes left (each item takes at least `min` bytes). */
static int get_count(struct reader *r, uint64_t *n, size_t min, const char *what)
{
    size_t at = r->pos;
    if (get_varint(r, n, what) < 0)
        return -1;
    if (*n > (r->len - r->pos) / min)
        return fail(r, at, "bad %s", what);
    return 0;
}

/* STREAM record: nodes checked one by one (stream_node_validate), counters
 * against the nodes, every PEL entry owned by exactly one consumer. */
static struct stream *get_stream(struct reader *r)
{
    uint64_t nnodes, v;
    struct stream *s = stream_new();
    if (get_count(r, &nnodes, 3, "a stream node count") < 0)
        goto bad;
    struct stream_id after = {0, 0};
    uint64_t total = 0;
    for (uint64_t i = 0; i < nnodes; i++) {
        struct stream_id master;
        size_t n_at = r->pos;
        if (get_stream_id(r, &master, "a stream node id") < 0)
            goto bad;
        unsigned char *lp = get_listpack(r, "a stream node");
        if (!lp)
            goto bad;
        long long live;
        if (stream_id_cmp(master, after) <= 0 || !stream_node_validate(lp, master, &after, &live) || live == 0) {
            free(lp);
            fail(r, n_at, "%s", "invalid stream node");
            goto bad;
        }
        stream_load_node(s, master, lp);
        total += (uint64_t)live;
    }
    size_t c_at = r->pos;
    if (get_varint(r, &s->length, "a stream length") < 0 || get_stream_id(r, &s->last_id, "a stream id") < 0 ||
        get_stream_id(r, &s->first_id, "a stream id") < 0 || get_stream_id(r, &s->max_deleted_id, "a stream id") < 0 ||
        get_varint(r, &s->entries_added, "a stream counter") < 0)
        goto bad;
    if (s->length != total || stream_id_cmp(s->last_id, after) < 0 || s->entries_added < s->length) {
        fail(r, c_at, "%s", "stream counters do not match its entries");
        goto bad;
    }
    uint64_t ngroups;
    if (get_count(r, &ngroups, 4, "a consumer group count") < 0)
        goto bad;
    for (uint64_t g = 0; g < ngroups; g++) {
        const unsigned char *name;
        uint32_t nlen;
        struct stream_id last;
        size_t g_at = r->pos;
        if (get_str(r, &name, &nlen, "a group name") < 0 || get_stream_id(r, &last, "a group id") < 0 ||
            get_varint(r, &v, "a group read counter") < 0)
            goto bad;
        int64_t read = unzigzag(v);
        if (read < -1) {
            fail(r, g_at, "%s", "bad group read counter");
            goto bad;
        }
        struct stream_cg *cg = stream_group_create(s, (const char *)name, nlen, last, read);
        if (!cg) {
            fail(r, g_at, "%s", "duplicate consumer group");
            goto bad;
        }
        uint64_t npel;
        if (get_count(r, &npel, 4, "a pending entries count") < 0)
            goto bad;
        for (uint64_t i = 0; i < npel; i++) {
            struct stream_id id;
            uint64_t t, cnt;
            size_t p_at = r->pos;
            if (get_stream_id(r, &id, "a pending id") < 0 || get_varint(r, &t, "a delivery time") < 0 ||
                get_varint(r, &cnt, "a delivery count") < 0)
                goto bad;
            struct stream_nack *n = malloc(sizeof(*n));
            if (!n)
                oom(sizeof(*n));
            n->delivery_time = unzigzag(t);
            n->delivery_count = cnt;
            n->consumer = NULL;
            if (!idmap_insert(&cg->pel, id.ms, id.seq, n)) {
                free(n);
                fail(r, p_at, "%s", "duplicate pending entry");
                goto bad;
            }
        }
        uint64_t ncons, owned = 0;
        if (get_count(r, &ncons, 3, "a consumer count") < 0)
            goto bad;
        for (uint64_t c = 0; c < ncons; c++) {
            const unsigned char *cname;
            uint32_t clen;
            uint64_t seen, cpel;
            size_t c2_at = r->pos;
            if (get_str(r, &cname, &clen, "a consumer name") < 0 || get_varint(r, &seen, "a seen time") < 0 ||
                get_count(r, &cpel, 2, "a consumer pending count") < 0)
                goto bad;
            int created;
            struct stream_consumer *cs = stream_consumer_get(cg, (const char *)cname, clen, unzigzag(seen), &created);
            if (!created) {
                fail(r, c2_at, "%s", "duplicate consumer");
                goto bad;
            }
            for (uint64_t i = 0; i < cpel; i++) {
                struct stream_id id;
                size_t p_at = r->pos;
                if (get_stream_id(r, &id, "a pending id") < 0)
                    goto bad;
                struct stream_nack *n = idmap_find(&cg->pel, id.ms, id.seq);
                if (!n || n->consumer || !idmap_insert(&cs->pel, id.ms, id.seq, n)) {
                    fail(r, p_at, "%s", "consumer pending entry not in its group or owned twice");
                    goto bad;
                }
                n->consumer = cs;
                owned++;
            }
        }
        if (owned != idmap_size(&cg->pel)) {
            fail(r, g_at, "%s", "pending entry without a consumer");
            goto bad;
        }
    }
    return s;
bad:
    /* PEL entries not yet owned are freed by the group's pel (it owns them) */
    stream_free(s);
    return NULL;
}

/* Builds the value of a record; NULL (error set) when invalid. */
static struct db_entry *get_entry(struct reader *r, uint64_t hash, const unsigned char *key, uint32_t klen,
                                  uint8_t type, uint8_t enc)
{
    size_t at = r->pos;
    const char *k = (const char *)key;
    switch (type) {
    case OBJ_STRING: {
        if (enc != ENC_RAW && enc != ENC_INT && enc != ENC_EMBSTR)
            break;
        if (enc == ENC_INT && r->version >= 2) {
            uint64_t zz;
            if (get_varint(r, &zz, "an integer value") < 0)
                return NULL;
            return entry_new_int(hash, k, klen, unzigzag(zz));
        }
        const unsigned char *v;
        uint32_t n;
        if (get_str(r, &v, &n, "a string value") < 0)
            return NULL;
        if (n > OBJ_STRING_MAX) {
            fail(r, at, "%s longer than 512 MB", "string value");
            return NULL;
        }
        return entry_new_string(hash, k, klen, (const char *)v, n);
    }
    case OBJ_LIST:
        if (enc == ENC_LISTPACK) {
            unsigned char *lp = get_listpack(r, "a list");
            if (!lp)
                return NULL;
            if (lp_count(lp) == 0) {
                free(lp);
                fail(r, at, "%s", "empty list");
                return NULL;
            }
            return entry_new_collection(hash, k, klen, OBJ_LIST, ENC_LISTPACK, lp);
        }
        if (enc == ENC_QUICKLIST) {
            int64_t fill;
            uint32_t nodes;
            if (r->version == 1) {
                uint32_t f32;
                if (get_u32(r, &f32, "a quicklist fill") < 0)
                    return NULL;
                fill = (int32_t)f32;
            } else {
                uint64_t zz;
                if (get_varint(r, &zz, "a quicklist fill") < 0)
                    return NULL;
                fill = unzigzag(zz);
            }
            if (get_len(r, &nodes, "a quicklist node count") < 0)
                return NULL;
            if (fill < -5 || fill > 65535 || nodes == 0 || nodes > r->len - r->pos) {
                fail(r, at, "%s", "bad quicklist header");
                return NULL;
            }
            struct quicklist *ql = ql_new((int)fill);
            struct db_entry *e = entry_new_collection(hash, k, klen, OBJ_LIST, ENC_QUICKLIST, ql);
            for (uint32_t i = 0; i < nodes; i++) {
                size_t node_at = r->pos;
                unsigned char *lp = get_listpack(r, "a quicklist node");
                if (!lp) {
                    entry_free(e);
                    return NULL;
                }
                if (lp_count(lp) == 0) {
                    free(lp);
                    entry_free(e);
                    fail(r, node_at, "%s", "empty quicklist node");
                    return NULL;
                }
                ql_append_node(ql, lp);
            }
            return e;
        }
        break;
    case OBJ_SET:
        if (enc == ENC_INTSET) {
            const unsigned char *p;
            uint32_t n;
            if (get_str(r, &p, &n, "an intset") < 0)
                return NULL;
            struct intset *is = malloc(n ? n : 1);
            if (!is)
                oom(n);
            memcpy(is, p, n);
            if (!intset_validate(is, n) || intset_len(is) == 0) {
                free(is);
                fail(r, at, "%s", "invalid intset");
                return NULL;
            }
            return entry_new_collection(hash, k, klen, OBJ_SET, ENC_INTSET, is);
        }
        if (enc == ENC_LISTPACK) {
            unsigned char *lp = get_listpack(r, "a set");
            if (!lp)
                return NULL;
            if (lp_count(lp) == 0) {
                free(lp);
                fail(r, at, "%s", "empty set");
                return NULL;
            }
            return entry_new_collection(hash, k, klen, OBJ_SET, ENC_LISTPACK, lp);
        }
        if (enc == ENC_HASHTABLE) {
            uint32_t count;
            if (get_len(r, &count, "a set size") < 0)
                return NULL;
            if (count == 0 || count > (r->len - r->pos) / len_size(r)) {
                fail(r, at, "%s", "bad set size");
                return NULL;
            }
            struct sdict *d = sdict_new();
            sdict_reserve(d, count);
            struct db_entry *e = entry_new_collection(hash, k, klen, OBJ_SET, ENC_HASHTABLE, d);
            for (uint32_t i = 0; i < count; i++) {
                const unsigned char *m;
                uint32_t mlen;
                size_t m_at = r->pos;
                int added;
                if (get_str(r, &m, &mlen, "a set member") < 0) {
                    entry_free(e);
                    return NULL;
                }
                sdict_add(d, (const char *)m, mlen, &added);
                if (!added) {
                    entry_free(e);
                    fail(r, m_at, "%s", "duplicate set member");
                    return NULL;
                }
            }
            return e;
        }
        break;
    case OBJ_HASH:
        if (enc == ENC_LISTPACK) {
            unsigned char *lp = get_listpack(r, "a hash");
            if (!lp)
                return NULL;
            if (lp_count(lp) == 0 || lp_count(lp) % 2) {
                free(lp);
                fail(r, at, "%s", "hash listpack without field/value pairs");
                return NULL;
            }
            return entry_new_collection(hash, k, klen, OBJ_HASH, ENC_LISTPACK, lp);
        }
        if (enc == ENC_HASHTABLE) {
            uint32_t count;
            if (get_len(r, &count, "a hash size") < 0)
                return NULL;
            if (count == 0 || count > (r->len - r->pos) / (2 * len_size(r))) {
                fail(r, at, "%s", "bad hash size");
                return NULL;
            }
            struct sdict *d = sdict_new();
            sdict_reserve(d, count);
            struct db_entry *e = entry_new_collection(hash, k, klen, OBJ_HASH, ENC_HASHTABLE, d);
            for (uint32_t i = 0; i < count; i++) {
                const unsigned char *f, *v;
                uint32_t flen, vlen;
                size_t f_at = r->pos;
                if (get_str(r, &f, &flen, "a hash field") < 0 || get_str(r, &v, &vlen, "a hash value") < 0) {
                    entry_free(e);
                    return NULL;
                }
                if (!hash_table_add(d, (const char *)f, flen, (const char *)v, vlen)) {
                    entry_free(e);
                    fail(r, f_at, "%s", "duplicate hash field");
                    return NULL;
                }
            }
            return e;
        }
        break;
    case OBJ_ZSET:
        if (enc == ENC_LISTPACK) {
            unsigned char *lp = get_listpack(r, "a sorted set");
            if (!lp)
                return NULL;
            if (!zset_listpack_ok(lp)) {
                free(lp);
                fail(r, at, "%s", "sorted set listpack: bad pairs, score or order");
                return NULL;
            }
            return entry_new_collection(hash, k, klen, OBJ_ZSET, ENC_LISTPACK, lp);
        }
        if (enc == ENC_SKIPLIST) {
            uint32_t count;
            if (get_len(r, &count, "a sorted set size") < 0)
                return NULL;
            if (count == 0 || count > (r->len - r->pos) / (8 + len_size(r))) {
                fail(r, at, "%s", "bad sorted set size");
                return NULL;
            }
            struct zset *z = zset_new();
            struct db_entry *e = entry_new_collection(hash, k, klen, OBJ_ZSET, ENC_SKIPLIST, z);
            for (uint32_t i = 0; i < count; i++) {
                const unsigned char *m;
                uint32_t mlen;
                uint64_t bits;
                double score;
                size_t m_at = r->pos;
                if (get_str(r, &m, &mlen, "a sorted set member") < 0 || get_u64(r, &bits, "a score") < 0) {
                    entry_free(e);
                    return NULL;
                }
                memcpy(&score, &bits, 8);
                if (isnan(score)) {
                    entry_free(e);
                    fail(r, m_at, "%s", "NaN score");
                    return NULL;
                }
                if (zset_find(z, (const char *)m, mlen)) {
                    entry_free(e);
                    fail(r, m_at, "%s", "duplicate sorted set member");
                    return NULL;
                }
                zset_set(z, (const char *)m, mlen, score);
            }
            return e;
        }
        break;
    case OBJ_STREAM: {
        if (enc != 0)
            break;
        struct stream *st = get_stream(r);
        if (!st)
            return NULL;
        return entry_new_collection(hash, k, klen, OBJ_STREAM, ENC_STREAM, st);
    }
    default:
        fail(r, at - 1, "unknown value type %s", "");
        return NULL;
    }
    fail(r, at - 1, "invalid encoding for the value type%s", "");
    return NULL;
}

/* Builds one entry (its head already read) and hands it on; 0 or -1. */
static int load_entry(struct reader *r, const unsigned char *key, uint32_t klen, uint8_t type, uint8_t enc,
                      uint32_t dbid, int64_t expire_at, size_t rec_at, int flags, snap_entry_fn *fn, void *priv,
                      struct snap_load_result *res)
{
    struct db_entry *e = get_entry(r, key_hash((const char *)key, klen), key, klen, type, enc);
    if (!e) {
        if (*r->err_offset == 0)
            *r->err_offset = rec_at;
        return -1;
    }
    e->expire_at = expire_at;
    res->records++;
    if ((flags & SNAP_LOAD_VERIFY_ONLY) || !fn) {
        entry_free(e);
        return 0;
    }
    if (fn(priv, (int)dbid, e) < 0) {
        *r->err_offset = rec_at;
        return -1;
    }
    return 0;
}

/* Version 1: one record (after its kind byte) at file level. */
static int load_record_v1(struct reader *r, size_t rec_at, uint32_t ndbs, int flags, snap_entry_fn *fn, void *priv,
                          struct snap_load_result *res)
{
    const unsigned char *data = r->data;
    if (r->len - r->pos < 15)
        return fail(r, r->pos, "unexpected end of file reading %s", "a record head");
    uint8_t type = data[r->pos], enc = data[r->pos + 1];
    uint32_t dbid = load_u32(data + r->pos + 3);
    int64_t expire_at = (int64_t)load_u64(data + r->pos + 7);
    r->pos += 15;
    if (!type_encoding_ok(type, enc))
        return fail(r, rec_at, "%s", "unknown value type or encoding");
    if (dbid >= ndbs || dbid > 65535)
        return fail(r, rec_at, "%s", "database index out of range");
    if (expire_at < 0)
        return fail(r, rec_at, "%s", "negative expiry time");
    const unsigned char *key;
    uint32_t klen;
    if (get_str(r, &key, &klen, "a key") < 0)
        return -1;
    return load_entry(r, key, klen, type, enc, dbid, expire_at, rec_at, flags, fn, priv, res);
}

/* Version 2: the records of one decoded block (r covers exactly them).
 * keybuf: scratch for keys rebuilt from a shared prefix. */
static int load_block_records(struct reader *r, uint32_t ndbs, int flags, snap_entry_fn *fn, void *priv,
                              struct snap_load_result *res, struct snap_buf *keybuf)
{
    int64_t db = -1;
    const unsigned char *prev = NULL;
    size_t prev_len = 0;
    while (r->pos < r->len) {
        size_t rec_at = r->pos;
        uint8_t op = r->data[r->pos++];
        if (op == SNAP_OP_SELECT) {
            uint64_t v;
            if (get_varint(r, &v, "a database index") < 0)
                return -1;
            if (v >= ndbs || v > 65535)
                return fail(r, rec_at, "%s", "database index out of range");
            db = (int64_t)v;
            continue;
        }
        uint8_t type = (op & 0x3F) >> 3, enc = op & 7;
        if ((op & 0x80) || !type_encoding_ok(type, enc))
            return fail(r, rec_at, "%s", "unknown record or value type or encoding");
        if (db < 0)
            return fail(r, rec_at, "%s", "record before a database selector in its block");
        uint64_t expire_at = 0, shared;
        if ((op & SNAP_OP_EXPIRE) && get_varint(r, &expire_at, "an expiry time") < 0)
            return -1;
        if (expire_at > INT64_MAX || ((op & SNAP_OP_EXPIRE) && expire_at == 0))
            return fail(r, rec_at, "%s", "bad expiry time");
        if (get_varint(r, &shared, "a key prefix length") < 0)
            return -1;
        if (shared > prev_len)
            return fail(r, rec_at, "%s", "key shares more bytes than the previous key has");
        const unsigned char *suffix, *key;
        uint32_t slen;
        if (get_str(r, &suffix, &slen, "a key") < 0)
            return -1;
        if (shared + slen > UINT32_MAX - 1)
            return fail(r, rec_at, "%s", "key too long");
        uint32_t klen = (uint32_t)shared + slen;
        if (shared == 0) {
            key = suffix;
        } else {
            keybuf->len = 0;
            put_bytes(keybuf, prev, shared);
            put_bytes(keybuf, suffix, slen);
            key = keybuf->data;
        }
        if (load_entry(r, key, klen, type, enc, (uint32_t)db, (int64_t)expire_at, rec_at, flags, fn, priv, res) < 0)
            return -1;
        /* the next key's prefix: the bytes are in the block, or were copied */
        prev_len = klen < SNAP_KEY_PREFIX ? klen : SNAP_KEY_PREFIX;
        if (shared == 0) {
            prev = key;
        } else {
            memcpy(keybuf->data + SNAP_KEY_PREFIX, key, prev_len);
            prev = keybuf->data + SNAP_KEY_PREFIX;
        }
    }
    return 0;
}

int snap_load_buffer(const unsigned char *data, size_t len, int flags, snap_entry_fn *fn, void *priv,
                     struct snap_load_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof(*res));
    struct reader r = {data, len, 0, err, errlen, &res->error_offset, 1};
    if (len < SNAP_HEADER_SIZE || memcmp(data, SNAP_MAGIC, 8) != 0)
        return fail(&r, 0, "%s", len < 8 ? "file too short for a snapshot header" : "not a snapshot (bad magic)");
    r.pos = 8;
    struct snap_header *h = &res->header;
    uint64_t epoch, ctime;
    get_u32(&r, &h->version, "");
    get_u32(&r, &h->shard, "");
    get_u32(&r, &h->nshards, "");
    get_u32(&r, &h->ndbs, "");
    get_u64(&r, &epoch, "");
    get_u64(&r, &ctime, "");
    h->epoch = epoch;
    h->ctime_ms = (int64_t)ctime;
    if (h->version != 1 && h->version != SNAP_VERSION)
        return fail(&r, 8, "%s", "unsupported snapshot format version");
    r.version = (int)h->version;
    if (h->nshards == 0 || h->nshards > 65536 || h->shard >= h->nshards)
        return fail(&r, 12, "%s", "bad shard index or shard count in the header");
    /* The trailer: END, count, checksum. */
    if (len < SNAP_HEADER_SIZE + 17)
        return fail(&r, len, "%s", "file truncated: no trailer");
    if (!(flags & SNAP_LOAD_NO_CHECKSUM)) {
        uint64_t want = load_u64(data + len - 8);
        uint64_t got = XXH3_64bits(data, len - 8);
        if (want != got)
            return fail(&r, len - 8, "%s", "checksum mismatch (file damaged or truncated)");
    }
    /* Version 2: the decoded block (LZ4) and rebuilt keys (prefix sharing;
     * the bytes from SNAP_KEY_PREFIX on keep the previous key's head). */
    struct snap_buf scratch = {0}, keybuf = {0};
    buf_room(&keybuf, 2 * SNAP_KEY_PREFIX);
    int rc = -1;
    for (;;) {
        size_t rec_at = r.pos;
        uint8_t kind;
        if (get_u8(&r, &kind) < 0)
            goto out;
        if (kind == SNAP_REC_END) {
            uint64_t count, sum;
            if (get_u64(&r, &count, "the record count") < 0 || get_u64(&r, &sum, "the checksum") < 0)
                goto out;
            if (count != res->records) {
                fail(&r, rec_at, "%s", "record count in the trailer does not match the records");
                goto out;
            }
            if (r.pos != len) {
                fail(&r, r.pos, "%s", "bytes after the trailer");
                goto out;
            }
            rc = 0;
            goto out;
        }
        if (r.version == 1) {
            if (kind != SNAP_REC_ENTRY) {
                fail(&r, rec_at, "%s", "unknown record kind");
                goto out;
            }
            if (load_record_v1(&r, rec_at, h->ndbs, flags, fn, priv, res) < 0)
                goto out;
            continue;
        }
        if (kind != SNAP_BLOCK_RAW && kind != SNAP_BLOCK_LZ4) {
            fail(&r, rec_at, "%s", "unknown block kind");
            goto out;
        }
        uint64_t raw_len, comp_len = 0;
        if (get_varint(&r, &raw_len, "a block length") < 0)
            goto out;
        if (kind == SNAP_BLOCK_LZ4 && get_varint(&r, &comp_len, "a compressed block length") < 0)
            goto out;
        uint64_t stored = kind == SNAP_BLOCK_LZ4 ? comp_len : raw_len;
        if (stored > r.len - r.pos) {
            fail(&r, rec_at, "%s", "block runs past the end of the file");
            goto out;
        }
        /* A raw block is bounded by the file; an LZ4 one by what the writer
         * compresses and by LZ4's best ratio (about 255:1). */
        if (raw_len == 0 || (kind == SNAP_BLOCK_LZ4 &&
                             (comp_len == 0 || raw_len > LZ4_MAX_INPUT_SIZE || raw_len > comp_len * 255 + 16))) {
            fail(&r, rec_at, "%s", "bad block length");
            goto out;
        }
        const unsigned char *block = data + r.pos;
        if (kind == SNAP_BLOCK_LZ4) {
            scratch.len = 0;
            buf_room(&scratch, raw_len);
            int n = LZ4_decompress_safe((const char *)block, (char *)scratch.data, (int)comp_len, (int)raw_len);
            if (n < 0 || (uint64_t)n != raw_len) {
                fail(&r, rec_at, "%s", "damaged LZ4 block");
                goto out;
            }
            block = scratch.data;
        }
        size_t block_data_at = r.pos;
        r.pos += stored;
        uint64_t in_block = 0;
        struct reader br = {block, raw_len, 0, err, errlen, &in_block, 2};
        if (load_block_records(&br, h->ndbs, flags, fn, priv, res, &keybuf) < 0) {
            if (kind == SNAP_BLOCK_RAW) {
                res->error_offset = block_data_at + in_block;
            } else {
                res->error_offset = rec_at;
                size_t n = strlen(err);
                snprintf(err + n, errlen - n, " (at byte %llu of the LZ4 block's data)", (unsigned long long)in_block);
            }
            goto out;
        }
    }
out:
    snap_buf_free(&scratch);
    snap_buf_free(&keybuf);
    return rc;
}

int snap_load_file(const char *path, int flags, snap_entry_fn *fn, void *priv, struct snap_load_result *res, char *err,
                   size_t errlen)
{
    memset(res, 0, sizeof(*res));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the snapshot file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "Can't stat the snapshot file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    void *map = NULL;
    if (len > 0) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (map == MAP_FAILED) {
            snprintf(err, errlen, "Can't map the snapshot file %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        madvise(map, len, MADV_SEQUENTIAL);
    }
    close(fd);
    char msg[256];
    int rc = snap_load_buffer(map ? map : (const void *)"", len, flags, fn, priv, res, msg, sizeof(msg));
    if (rc < 0)
        snprintf(err, errlen, "Bad snapshot file %s at byte offset %llu: %s", path,
                 (unsigned long long)res->error_offset, msg);
    if (map)
        munmap(map, len);
    return rc;
}

/* ---------------- index ---------------- */

void snap_index_name(const char *dbfilename, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s", dbfilename, SNAP_INDEX_SUFFIX);
}

int snap_index_read_file(const char *path, struct snap_index *idx, char *err, size_t errlen)
{
    memset(idx, 0, sizeof(*idx));
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "Can't read the snapshot index %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, ok = 1, nshards = -1;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        if (lineno == 1) {
            if (strcmp(line, "shardis-snapshot-index 1") != 0) {
                ok = 0;
                break;
            }
        } else if (!strncmp(line, "epoch ", 6)) {
            idx->epoch = strtoull(line + 6, NULL, 10);
        } else if (!strncmp(line, "shards ", 7)) {
            nshards = atoi(line + 7);
        } else if (!strncmp(line, "file ", 5)) {
            if (strchr(line + 5, '/') || !line[5]) {
                ok = 0;
                break;
            }
            idx->files = realloc(idx->files, sizeof(char *) * (idx->nfiles + 1));
            idx->files[idx->nfiles++] = strdup(line + 5);
        } else if (!strcmp(line, "end")) {
            lineno = -1;
            break;
        } else {
            ok = 0;
            break;
        }
    }
    fclose(f);
    if (!ok || lineno != -1 || nshards != idx->nfiles || idx->nfiles == 0) {
        snprintf(err, errlen,
                 "The snapshot index %s is damaged or is not a shardis snapshot index (an RDB file from Redis "
                 "can't be loaded)",
                 path);
        snap_index_free(idx);
        return -1;
    }
    return 1;
}

int snap_index_read(const char *dir, const char *dbfilename, struct snap_index *idx, char *err, size_t errlen)
{
    memset(idx, 0, sizeof(*idx));
    char name[4096], path[8192];
    snap_index_name(dbfilename, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int r = snap_index_read_file(path, idx, err, errlen);
    if (r != 0)
        return r;
    /* An older shardis kept its index at <dbfilename> itself; a Redis RDB
     * there is not ours (imported by persist/rdb_import.c). */
    snprintf(path, sizeof(path), "%s/%s", dir, dbfilename);
    FILE *f = fopen(path, "rb");
    if (f) {
        char head[5];
        int rdb = fread(head, 1, 5, f) == 5 && !memcmp(head, "REDIS", 5);
        fclose(f);
        if (rdb)
            return 0;
    }
    r = snap_index_read_file(path, idx, err, errlen);
    idx->legacy = r == 1;
    return r;
}

void snap_index_free(struct snap_index *idx)
{
    for (int i = 0; i < idx->nfiles; i++)
        free(idx->files[i]);
    free(idx->files);
    idx->files = NULL;
    idx->nfiles = 0;
}
