/*
 * snapshot.c - the snapshot file format: the incremental writer, the loader
 * and validator, and the index file.
 *
 * Pure functions over buffers; any thread may call them. The engine
 * (snapshot_engine.c) decides what to serialize and when.
 *
 * Value encodings after the common record head (see snapshot.h):
 *   STRING (any string encoding)  u32 len, bytes. The loader picks INT,
 *                                 EMBSTR or RAW as a SET would.
 *   LISTPACK (list/hash/set/zset) u32 bytes, the listpack block as in memory.
 *   QUICKLIST (list)              i32 fill, u32 nodes, then per node u32 bytes
 *                                 and the node's listpack block.
 *   INTSET (set)                  u32 bytes, the intset block as in memory.
 *   HASHTABLE set                 u32 count, count x (u32 len, bytes).
 *   HASHTABLE hash                u32 count, count x (field, value) as above.
 *   SKIPLIST zset                 u32 count, count x (u32 len, bytes, f64
 *                                 score), in skiplist order.
 * Blocks are copied as they are in memory, so loading a compact value is one
 * malloc and one memcpy after validation; the encoding survives a restart.
 *
 * Trust: a file is untrusted input. The loader checks the checksum first
 * (unless told not to), then every length against the bytes left, every
 * listpack and intset with its validator, counts against limits, and the
 * type-specific invariants the data structures rely on (even listpacks for
 * hashes and zsets, parsable and ordered scores, no duplicate members), and
 * only then builds the value. Any violation is an error with its offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "intset.h"
#include "listpack.h"
#include "object.h"
#include "quicklist.h"
#include "sdict.h"
#include "snapshot.h"
#include "util.h"
#include "zset.h"

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
    memcpy(buf_room(b, n), p, n);
    b->len += n;
}

static void put_u8(struct snap_buf *b, uint8_t v)
{
    put_bytes(b, &v, 1);
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

static void put_str(struct snap_buf *b, const void *p, size_t n)
{
    put_u32(b, (uint32_t)n);
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

static void put_listpack(struct snap_buf *out, const unsigned char *lp)
{
    put_str(out, lp, lp_bytes(lp));
}

static void put_value(struct snap_buf *out, const struct db_entry *e)
{
    switch (e->type) {
    case OBJ_STRING: {
        char tmp[32];
        size_t len;
        const char *s = entry_string(e, tmp, &len);
        put_str(out, s, len);
        return;
    }
    case OBJ_LIST:
        if (e->encoding == ENC_QUICKLIST) {
            const struct quicklist *ql = e->v.ptr;
            put_u32(out, (uint32_t)ql->fill);
            put_u32(out, ql->len);
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
            put_u32(out, (uint32_t)sdict_size(e->v.ptr));
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
            put_u32(out, (uint32_t)sdict_size(e->v.ptr));
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
            put_u32(out, (uint32_t)z->length);
            for (struct zset_node *n = zset_first(z); n; n = zset_next(n)) {
                uint64_t bits;
                memcpy(&bits, &n->score, 8);
                put_str(out, n->member->key, n->member->klen);
                put_u64(out, bits);
            }
        }
        return;
    }
}

void snap_writer_entry(struct snap_writer *w, int dbid, const struct db_entry *e, struct snap_buf *out)
{
    size_t from = out->len;
    put_u8(out, SNAP_REC_ENTRY);
    put_u8(out, (uint8_t)e->type);
    put_u8(out, (uint8_t)e->encoding);
    put_u8(out, 0);
    put_u32(out, (uint32_t)dbid);
    put_u64(out, (uint64_t)e->expire_at);
    put_str(out, e->key, e->key_len);
    put_value(out, e);
    w->records++;
    writer_account(w, out, from);
}

void snap_writer_end(struct snap_writer *w, struct snap_buf *out)
{
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
}

/* ---------------- loader ---------------- */

struct reader {
    const unsigned char *data;
    size_t len, pos;
    char *err;
    size_t errlen;
    uint64_t *err_offset;
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

/* A length-prefixed byte string: *p points into the buffer. */
static int get_str(struct reader *r, const unsigned char **p, uint32_t *n, const char *what)
{
    size_t at = r->pos;
    if (get_u32(r, n, what) < 0)
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
    }
    return 0;
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
            uint32_t fill, nodes;
            if (get_u32(r, &fill, "a quicklist fill") < 0 || get_u32(r, &nodes, "a quicklist node count") < 0)
                return NULL;
            if ((int32_t)fill < -5 || (int32_t)fill > 65535 || nodes == 0 || nodes > r->len - r->pos) {
                fail(r, at, "%s", "bad quicklist header");
                return NULL;
            }
            struct quicklist *ql = ql_new((int)(int32_t)fill);
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
            if (get_u32(r, &count, "a set size") < 0)
                return NULL;
            if (count == 0 || count > (r->len - r->pos) / 4) {
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
            if (get_u32(r, &count, "a hash size") < 0)
                return NULL;
            if (count == 0 || count > (r->len - r->pos) / 8) {
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
            if (get_u32(r, &count, "a sorted set size") < 0)
                return NULL;
            if (count == 0 || count > (r->len - r->pos) / 12) {
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
    default:
        fail(r, at - 1, "unknown value type %s", "");
        return NULL;
    }
    fail(r, at - 1, "invalid encoding for the value type%s", "");
    return NULL;
}

int snap_load_buffer(const unsigned char *data, size_t len, int flags, snap_entry_fn *fn, void *priv,
                     struct snap_load_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof(*res));
    struct reader r = {data, len, 0, err, errlen, &res->error_offset};
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
    if (h->version != SNAP_VERSION)
        return fail(&r, 8, "%s", "unsupported snapshot format version");
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
    for (;;) {
        size_t rec_at = r.pos;
        uint8_t kind;
        if (get_u8(&r, &kind) < 0)
            return -1;
        if (kind == SNAP_REC_END) {
            uint64_t count, sum;
            if (get_u64(&r, &count, "the record count") < 0 || get_u64(&r, &sum, "the checksum") < 0)
                return -1;
            if (count != res->records)
                return fail(&r, rec_at, "%s", "record count in the trailer does not match the records");
            if (r.pos != len)
                return fail(&r, r.pos, "%s", "bytes after the trailer");
            return 0;
        }
        if (kind != SNAP_REC_ENTRY)
            return fail(&r, rec_at, "%s", "unknown record kind");
        if (r.len - r.pos < 15)
            return fail(&r, r.pos, "unexpected end of file reading %s", "a record head");
        uint8_t type = data[r.pos], enc = data[r.pos + 1];
        uint32_t dbid = load_u32(data + r.pos + 3);
        int64_t expire_at = (int64_t)load_u64(data + r.pos + 7);
        r.pos += 15;
        if (!type_encoding_ok(type, enc))
            return fail(&r, rec_at, "%s", "unknown value type or encoding");
        if (dbid >= h->ndbs || dbid > 65535)
            return fail(&r, rec_at, "%s", "database index out of range");
        if (expire_at < 0)
            return fail(&r, rec_at, "%s", "negative expiry time");
        const unsigned char *key;
        uint32_t klen;
        if (get_str(&r, &key, &klen, "a key") < 0)
            return -1;
        struct db_entry *e = get_entry(&r, key_hash((const char *)key, klen), key, klen, type, enc);
        if (!e) {
            if (res->error_offset == 0)
                res->error_offset = rec_at;
            return -1;
        }
        e->expire_at = expire_at;
        res->records++;
        if ((flags & SNAP_LOAD_VERIFY_ONLY) || !fn) {
            entry_free(e);
            continue;
        }
        if (fn(priv, (int)dbid, e) < 0) {
            res->error_offset = rec_at;
            return -1;
        }
    }
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

int snap_index_read(const char *dir, const char *dbfilename, struct snap_index *idx, char *err, size_t errlen)
{
    memset(idx, 0, sizeof(*idx));
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, dbfilename);
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

void snap_index_free(struct snap_index *idx)
{
    for (int i = 0; i < idx->nfiles; i++)
        free(idx->files[i]);
    free(idx->files);
    idx->files = NULL;
    idx->nfiles = 0;
}
