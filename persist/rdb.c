/*
 * rdb.c - Redis's RDB format: CRC64, LZF, the value codec (DUMP/RESTORE
 * payloads) and whole files (import and export). The format is described in
 * persist/rdb.h and docs/architecture.md, "RDB codec".
 *
 * Reading: every read goes through struct rd, which checks the bytes exist
 * before touching them; nested blobs (ziplist, listpack, intset, zipmap) are
 * walked by validating walkers that hand out one element at a time, and a
 * builder turns elements into our own structures, refusing duplicates,
 * NaN scores and empty values. Nothing from the input is trusted: counts
 * only bound loops that consume input, never allocations.
 *
 * Writing: Redis 7.0's encodings (strings int-encoded or LZF-compressed,
 * lists as quicklists of listpacks, sets as intsets or plain members, small
 * hashes and sorted sets as listpacks, streams as type 19 with their
 * groups), written in Redis's byte layout by our own encoders (our
 * listpack's header differs from Redis's; a stream node's elements are the
 * same as Redis's, so only its listpack is re-encoded). Streams are read
 * from types 15 and 19 and checked deeply (load_stream).
 *
 * Threads: no shared state; any thread.
 */
#include "persist/rdb.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/log.h"
#include "core/base/util.h"
#include "core/ds/intset.h"
#include "core/ds/listpack.h"
#include "core/ds/quicklist.h"
#include "core/ds/sdict.h"
#include "core/ds/zset.h"
#include "core/types/t_hash.h"
#include "core/types/t_list.h"
#include "core/types/t_set.h"
#include "core/types/t_stream.h"
#include "core/types/t_zset.h"

/* ---------------- CRC64 (Jones polynomial, reflected) ---------------- */

/* 0xad93d23594c935a9 with its bits reversed: the reflected form. */
#define CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t crc64_table[8][256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint64_t c = (uint64_t)i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC64_POLY_REFLECTED : c >> 1;
        crc64_table[0][i] = c;
    }
    /* slicing-by-8: table[k][i] is the crc of byte i followed by k zeros */
    for (int i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            crc64_table[k][i] = (crc64_table[k - 1][i] >> 8) ^ crc64_table[0][crc64_table[k - 1][i] & 0xff];
}

uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n)
{
    pthread_once(&crc64_once, crc64_init);
    const unsigned char *s = p;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8); /* little-endian host (x86-64, aarch64) */
        crc ^= w;
        crc = crc64_table[7][crc & 0xff] ^ crc64_table[6][(crc >> 8) & 0xff] ^ crc64_table[5][(crc >> 16) & 0xff] ^
              crc64_table[4][(crc >> 24) & 0xff] ^ crc64_table[3][(crc >> 32) & 0xff] ^
              crc64_table[2][(crc >> 40) & 0xff] ^ crc64_table[1][(crc >> 48) & 0xff] ^ crc64_table[0][crc >> 56];
        s += 8;
        n -= 8;
    }
    while (n--)
        crc = crc64_table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return crc;
}

/* ---------------- LZF ----------------
 * A stream of runs: a control byte below 32 is a literal run of ctrl+1
 * bytes that follow; otherwise its top 3 bits are a length (7: one more
 * length byte follows) and its low 5 bits with the next byte an offset back
 * into the output (minus 1), from where len+2 bytes are copied. */

#define LZF_HASH_BITS 14
#define LZF_MAX_OFF (1 << 13)
#define LZF_MAX_REF ((1 << 8) + (1 << 3))
#define LZF_MAX_LIT (1 << 5)

static inline uint32_t lzf_hash(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (v * 2654435761u) >> (32 - LZF_HASH_BITS);
}

size_t rdb_lzf_compress(const void *in, size_t inlen, void *out, size_t outlen)
{
    const unsigned char *ip = in, *end = ip + inlen;
    unsigned char *op = out, *oend = op + outlen;
    uint32_t *table = calloc(1u << LZF_HASH_BITS, sizeof(uint32_t)); /* position + 1, 0 = none */
    if (!table)
        return 0;
    const unsigned char *base = ip;
    size_t lit = 0; /* bytes in the open literal run */
    unsigned char *lit_ctrl = NULL;
    size_t result = 0;
    while (ip < end) {
        size_t len = 0, off = 0;
        if (end - ip >= 3) {
            uint32_t h = lzf_hash(ip);
            uint32_t cand = table[h];
            table[h] = (uint32_t)(ip - base) + 1;
            if (cand) {
                const unsigned char *ref = base + cand - 1;
                off = (size_t)(ip - ref) - 1;
                if (off < LZF_MAX_OFF && ref[0] == ip[0] && ref[1] == ip[1] && ref[2] == ip[2]) {
                    size_t max = (size_t)(end - ip);
                    if (max > LZF_MAX_REF)
                        max = LZF_MAX_REF;
                    len = 3;
                    while (len < max && ref[len] == ip[len])
                        len++;
                }
            }
        }
        if (len >= 3) {
            size_t code = len - 2;
            size_t need = code >= 7 ? 3 : 2;
            if ((size_t)(oend - op) < need)
                goto done;
            if (code >= 7) {
                *op++ = (unsigned char)((7 << 5) | (off >> 8));
                *op++ = (unsigned char)(code - 7);
            } else {
                *op++ = (unsigned char)((code << 5) | (off >> 8));
            }
            *op++ = (unsigned char)(off & 0xff);
            lit = 0;
            lit_ctrl = NULL;
            /* index a few positions inside the match so later data finds them */
            for (size_t k = 1; k < len && end - (ip + k) >= 3; k++)
                table[lzf_hash(ip + k)] = (uint32_t)(ip + k - base) + 1;
            ip += len;
            continue;
        }
        if (lit == 0 || lit == LZF_MAX_LIT) {
            if (oend - op < 2)
                goto done;
            lit_ctrl = op++;
            lit = 0;
        } else if (op >= oend) {
            goto done;
        }
        *op++ = *ip++;
        *lit_ctrl = (unsigned char)lit;
        lit++;
    }
    result = (size_t)(op - (unsigned char *)out);
done:
    free(table);
    return result;
}

int rdb_lzf_decompress(const void *in, size_t inlen, void *out, size_t outlen)
{
    const unsigned char *ip = in, *iend = ip + inlen;
    unsigned char *op = out, *ostart = out, *oend = op + outlen;
    while (ip < iend) {
        unsigned ctrl = *ip++;
        if (ctrl < 32) {
            size_t run = ctrl + 1;
            if ((size_t)(iend - ip) < run || (size_t)(oend - op) < run)
                return -1;
            memcpy(op, ip, run);
            op += run;
            ip += run;
            continue;
        }
        size_t len = ctrl >> 5;
        if (len == 7) {
            if (ip >= iend)
                return -1;
            len += *ip++;
        }
        if (ip >= iend)
            return -1;
        size_t back = ((size_t)(ctrl & 0x1f) << 8) + *ip++ + 1;
        len += 2;
        if ((size_t)(op - ostart) < back || (size_t)(oend - op) < len)
            return -1;
        const unsigned char *ref = op - back;
        for (size_t k = 0; k < len; k++) /* may overlap: byte by byte */
            op[k] = ref[k];
        op += len;
    }
    return op == oend ? 0 : -1;
}

/* ---------------- writer ---------------- */

static void put_u8(struct buf *b, unsigned v)
{
    buf_append_byte(b, (char)(unsigned char)v);
}

static void put_le(struct buf *b, uint64_t v, int n)
{
    unsigned char t[8];
    for (int i = 0; i < n; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    buf_append(b, t, (size_t)n);
}

static void put_len(struct buf *b, uint64_t n)
{
    unsigned char t[9];
    if (n < 64) {
        put_u8(b, (unsigned)n);
    } else if (n < 16384) {
        t[0] = (unsigned char)(0x40 | (n >> 8));
        t[1] = (unsigned char)(n & 0xff);
        buf_append(b, t, 2);
    } else if (n <= UINT32_MAX) {
        t[0] = 0x80;
        for (int i = 0; i < 4; i++)
            t[1 + i] = (unsigned char)(n >> (8 * (3 - i)));
        buf_append(b, t, 5);
    } else {
        t[0] = 0x81;
        for (int i = 0; i < 8; i++)
            t[1 + i] = (unsigned char)(n >> (8 * (7 - i)));
        buf_append(b, t, 9);
    }
}

/* An integer in the string's int encoding when it fits 32 bits; 0 if not. */
static int put_int_string(struct buf *b, long long v)
{
    if (v >= INT8_MIN && v <= INT8_MAX) {
        put_u8(b, 0xC0);
        put_le(b, (uint64_t)v, 1);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        put_u8(b, 0xC1);
        put_le(b, (uint64_t)v, 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        put_u8(b, 0xC2);
        put_le(b, (uint64_t)v, 4);
    } else {
        return 0;
    }
    return 1;
}

static void put_string(struct buf *b, const char *s, size_t len, int compress)
{
    long long v;
    if (len <= 11 && string2ll(s, len, &v) && put_int_string(b, v))
        return;
    if (compress && len > 20) {
        size_t cap = len - 4;
        unsigned char *tmp = malloc(cap);
        size_t clen = tmp ? rdb_lzf_compress(s, len, tmp, cap) : 0;
        if (clen) {
            put_u8(b, 0xC3);
            put_len(b, clen);
            put_len(b, len);
            buf_append(b, tmp, clen);
            free(tmp);
            return;
        }
        free(tmp);
    }
    put_len(b, len);
    buf_append(b, s, len);
}

/* --- Redis's listpack layout: u32 total bytes, u16 count, entries, 0xFF;
 * an entry is encoding+data then its length written backwards. --- */

static size_t backlen_size(size_t l)
{
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

static void backlen_encode(unsigned char *t, size_t l)
{
    size_t n = backlen_size(l);
    for (size_t i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        t[i] = (unsigned char)((l >> shift) & 127);
        if (i > 0)
            t[i] |= 128;
    }
}

static void rlp_put_entry(struct buf *b, const unsigned char *enc, size_t enclen, const char *s, size_t slen)
{
    unsigned char t[5];
    size_t l = enclen + slen;
    buf_append(b, enc, enclen);
    if (slen)
        buf_append(b, s, slen);
    backlen_encode(t, l);
    buf_append(b, t, backlen_size(l));
}

static void rlp_put_int(struct buf *b, long long v)
{
    unsigned char e[9];
    size_t n;
    if (v >= 0 && v <= 127) {
        e[0] = (unsigned char)v;
        n = 1;
    } else if (v >= -4096 && v <= 4095) {
        uint64_t u = v < 0 ? (uint64_t)((1 << 13) + v) : (uint64_t)v;
        e[0] = (unsigned char)(0xC0 | (u >> 8));
        e[1] = (unsigned char)(u & 0xff);
        n = 2;
    } else {
        int w = v >= INT16_MIN && v <= INT16_MAX   ? 2
                : v >= -(1 << 23) && v < (1 << 23) ? 3
                : v >= INT32_MIN && v <= INT32_MAX ? 4
                                                   : 8;
        e[0] = w == 2 ? 0xF1 : w == 3 ? 0xF2 : w == 4 ? 0xF3 : 0xF4;
        for (int i = 0; i < w; i++)
            e[1 + i] = (unsigned char)((uint64_t)v >> (8 * i));
        n = 1 + (size_t)w;
    }
    rlp_put_entry(b, e, n, NULL, 0);
}

static void rlp_put_str(struct buf *b, const char *s, size_t len)
{
    long long v;
    if (len <= 20 && string2ll(s, len, &v)) {
        rlp_put_int(b, v);
        return;
    }
    unsigned char e[5];
    size_t n;
    if (len < 64) {
        e[0] = (unsigned char)(0x80 | len);
        n = 1;
    } else if (len < 4096) {
        e[0] = (unsigned char)(0xE0 | (len >> 8));
        e[1] = (unsigned char)(len & 0xff);
        n = 2;
    } else {
        e[0] = 0xF0;
        for (int i = 0; i < 4; i++)
            e[1 + i] = (unsigned char)(len >> (8 * i));
        n = 5;
    }
    rlp_put_entry(b, e, n, s, len);
}

/* A Redis listpack built in b from its 6-byte header on; rlp_finish
 * writes the end byte and patches the header. */
static size_t rlp_begin(struct buf *b)
{
    size_t at = b->len;
    buf_append(b, "\0\0\0\0\0\0", 6);
    return at;
}

static void rlp_finish(struct buf *b, size_t at, size_t count)
{
    put_u8(b, 0xFF);
    size_t total = b->len - at;
    unsigned char *h = (unsigned char *)b->data + at;
    for (int i = 0; i < 4; i++)
        h[i] = (unsigned char)(total >> (8 * i));
    uint16_t c = count < 65535 ? (uint16_t)count : 65535;
    h[4] = (unsigned char)(c & 0xff);
    h[5] = (unsigned char)(c >> 8);
}

/* Our listpack (any range of it) re-encoded in Redis's layout. */
static void rlp_from_ours(struct buf *b, unsigned char *lp)
{
    size_t at = rlp_begin(b);
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        struct lp_val v;
        lp_get(p, &v);
        if (v.str)
            rlp_put_str(b, (const char *)v.str, v.len);
        else
            rlp_put_int(b, v.ll);
    }
    rlp_finish(b, at, lp_count(lp));
}

/* A blob built in a scratch buffer, then written as one RDB string. */
static void put_blob(struct buf *out, struct buf *blob, int compress)
{
    put_string(out, blob->data, blob->len, compress);
    buf_free(blob);
}

static void put_listpack_value(struct buf *out, unsigned char *lp, int compress)
{
    struct buf blob = {0};
    rlp_from_ours(&blob, lp);
    put_blob(out, &blob, compress);
}

static void put_double_binary(struct buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    put_le(b, bits, 8);
}

/* A stream id as Redis's rax key and PEL ids: 16 bytes, big-endian. */
static void put_raw_id(struct buf *b, uint64_t ms, uint64_t seq)
{
    unsigned char t[16];
    for (int i = 0; i < 8; i++) {
        t[i] = (unsigned char)(ms >> (8 * (7 - i)));
        t[8 + i] = (unsigned char)(seq >> (8 * (7 - i)));
    }
    buf_append(b, t, 16);
}

/* RDB_TYPE_STREAM_LISTPACKS_2 as Redis 7.0 writes it: nodes (raw id key,
 * listpack re-encoded in Redis's header layout: the node's elements are the
 * same), length, last id, first id, max deleted id, entries added, then per
 * group: name, last id, entries read (-1 as a 64-bit length), global PEL
 * (raw id, delivery time u64 LE, count), consumers (name, seen time u64 LE,
 * PEL of raw ids). */
static void put_stream_value(struct buf *out, const struct stream *s, int compress)
{
    put_u8(out, RDB_TYPE_STREAM_LISTPACKS_2);
    put_len(out, idmap_size(&s->nodes));
    for (size_t i = 0; i < idmap_size(&s->nodes); i++) {
        const struct idmap_item *it = idmap_at(&s->nodes, i);
        struct buf key = {0};
        put_raw_id(&key, it->ms, it->seq);
        put_blob(out, &key, 0);
        put_listpack_value(out, it->val, compress);
    }
    put_len(out, s->length);
    put_len(out, s->last_id.ms);
    put_len(out, s->last_id.seq);
    put_len(out, s->first_id.ms);
    put_len(out, s->first_id.seq);
    put_len(out, s->max_deleted_id.ms);
    put_len(out, s->max_deleted_id.seq);
    put_len(out, s->entries_added);
    put_len(out, s->ngroups);
    for (size_t g = 0; g < s->ngroups; g++) {
        const struct stream_cg *cg = s->groups[g];
        put_string(out, cg->name, cg->name_len, compress);
        put_len(out, cg->last_id.ms);
        put_len(out, cg->last_id.seq);
        put_len(out, (uint64_t)cg->entries_read);
        put_len(out, idmap_size(&cg->pel));
        for (size_t i = 0; i < idmap_size(&cg->pel); i++) {
            const struct idmap_item *it = idmap_at(&cg->pel, i);
            const struct stream_nack *n = it->val;
            put_raw_id(out, it->ms, it->seq);
            put_le(out, (uint64_t)n->delivery_time, 8);
            put_len(out, n->delivery_count);
        }
        put_len(out, cg->nconsumers);
        for (size_t c = 0; c < cg->nconsumers; c++) {
            const struct stream_consumer *cs = cg->consumers[c];
            put_string(out, cs->name, cs->name_len, compress);
            put_le(out, (uint64_t)cs->seen_time, 8);
            put_len(out, idmap_size(&cs->pel));
            for (size_t i = 0; i < idmap_size(&cs->pel); i++) {
                const struct idmap_item *it = idmap_at(&cs->pel, i);
                put_raw_id(out, it->ms, it->seq);
            }
        }
    }
}

void rdb_write_value(struct buf *out, const struct db_entry *e, int compress)
{
    switch (e->type) {
    case OBJ_STRING: {
        put_u8(out, RDB_TYPE_STRING);
        if (e->encoding == ENC_INT && put_int_string(out, e->v.i))
            return;
        char tmp[LONG_STR_SIZE];
        size_t len;
        const char *s = entry_string(e, tmp, &len);
        put_string(out, s, len, compress);
        return;
    }
    case OBJ_LIST: {
        put_u8(out, RDB_TYPE_LIST_QUICKLIST_2);
        if (e->encoding == ENC_QUICKLIST) {
            const struct quicklist *ql = e->v.ptr;
            put_len(out, ql->len);
            for (const struct ql_node *n = ql->head; n; n = n->next) {
                put_len(out, 2); /* PACKED */
                put_listpack_value(out, n->lp, compress);
            }
        } else {
            put_len(out, 1);
            put_len(out, 2);
            put_listpack_value(out, e->v.ptr, compress);
        }
        return;
    }
    case OBJ_SET: {
        if (e->encoding == ENC_INTSET) {
            const struct intset *is = e->v.ptr;
            uint32_t n = intset_len(is);
            int width = 2;
            for (uint32_t i = 0; i < n; i++) {
                int64_t v = intset_get(is, i);
                if (v < INT32_MIN || v > INT32_MAX)
                    width = 8;
                else if ((v < INT16_MIN || v > INT16_MAX) && width < 4)
                    width = 4;
            }
            struct buf blob = {0};
            put_le(&blob, (uint64_t)width, 4);
            put_le(&blob, n, 4);
            for (uint32_t i = 0; i < n; i++)
                put_le(&blob, (uint64_t)intset_get(is, i), width);
            put_u8(out, RDB_TYPE_SET_INTSET);
            put_blob(out, &blob, compress);
            return;
        }
        put_u8(out, RDB_TYPE_SET);
        if (e->encoding == ENC_LISTPACK) {
            unsigned char *lp = e->v.ptr;
            put_len(out, lp_count(lp));
            for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
                char tmp[LONG_STR_SIZE];
                size_t len;
                const char *s = lp_get_str(p, tmp, &len);
                put_string(out, s, len, compress);
            }
        } else {
            struct sdict_iter it;
            put_len(out, sdict_size(e->v.ptr));
            sdict_iter_init(&it, e->v.ptr);
            for (struct sdict_node *n; (n = sdict_iter_next(&it));)
                put_string(out, n->key, n->klen, compress);
            sdict_iter_done(&it);
        }
        return;
    }
    case OBJ_ZSET:
        if (e->encoding == ENC_LISTPACK) {
            put_u8(out, RDB_TYPE_ZSET_LISTPACK);
            put_listpack_value(out, e->v.ptr, compress);
        } else {
            const struct zset *z = e->v.ptr;
            put_u8(out, RDB_TYPE_ZSET_2);
            put_len(out, zset_length(z));
            /* tail first, as Redis: its loader then inserts at the head */
            for (struct zset_node *n = zset_last(z); n; n = zset_prev(n)) {
                put_string(out, n->member->key, n->member->klen, compress);
                put_double_binary(out, n->score);
            }
        }
        return;
    case OBJ_HASH:
        if (e->encoding == ENC_LISTPACK) {
            put_u8(out, RDB_TYPE_HASH_LISTPACK);
            put_listpack_value(out, e->v.ptr, compress);
        } else {
            struct sdict_iter it;
            put_u8(out, RDB_TYPE_HASH);
            put_len(out, sdict_size(e->v.ptr));
            sdict_iter_init(&it, e->v.ptr);
            for (struct sdict_node *n; (n = sdict_iter_next(&it));) {
                size_t vlen;
                const char *v = hash_node_value(n, &vlen);
                put_string(out, n->key, n->klen, compress);
                put_string(out, v, vlen, compress);
            }
            sdict_iter_done(&it);
        }
        return;
    case OBJ_STREAM:
        put_stream_value(out, e->v.ptr, compress);
        return;
    }
}

void rdb_dump_payload(struct buf *out, const struct db_entry *e, int compress)
{
    size_t at = out->len;
    rdb_write_value(out, e, compress);
    put_le(out, RDB_VERSION, 2);
    uint64_t crc = rdb_crc64(0, out->data + at, out->len - at);
    put_le(out, crc, 8);
}

static void writer_account(struct rdb_writer *w, struct buf *out, size_t from)
{
    w->crc = rdb_crc64(w->crc, out->data + from, out->len - from);
}

static void put_aux(struct buf *b, const char *k, const char *v)
{
    put_u8(b, RDB_OPCODE_AUX);
    put_string(b, k, strlen(k), 0);
    put_string(b, v, strlen(v), 0);
}

void rdb_writer_begin(struct rdb_writer *w, struct buf *out, int compress, int64_t now_ms)
{
    memset(w, 0, sizeof(*w));
    w->dbid = -1;
    w->compress = compress;
    size_t at = out->len;
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "REDIS%04d", RDB_VERSION);
    buf_append(out, tmp, 9);
    put_aux(out, "redis-ver", "7.0.15");
    put_aux(out, "redis-bits", "64");
    snprintf(tmp, sizeof(tmp), "%lld", (long long)(now_ms / 1000));
    put_aux(out, "ctime", tmp);
    put_aux(out, "used-mem", "0");
    put_aux(out, "aof-base", "0");
    writer_account(w, out, at);
}

void rdb_writer_entry(struct rdb_writer *w, struct buf *out, int dbid, const struct db_entry *e)
{
    size_t at = out->len;
    if (dbid != w->dbid) {
        put_u8(out, RDB_OPCODE_SELECTDB);
        put_len(out, (uint64_t)dbid);
        w->dbid = dbid;
    }
    if (e->expire_at) {
        put_u8(out, RDB_OPCODE_EXPIRETIME_MS);
        put_le(out, (uint64_t)e->expire_at, 8);
    }
    /* the type byte comes first in a record: write the value to a scratch
     * buffer, then type, key, value */
    struct buf val = {0};
    rdb_write_value(&val, e, w->compress);
    put_u8(out, (unsigned char)val.data[0]);
    put_string(out, e->key, e->key_len, w->compress);
    buf_append(out, val.data + 1, val.len - 1);
    buf_free(&val);
    w->keys++;
    writer_account(w, out, at);
}

void rdb_writer_end(struct rdb_writer *w, struct buf *out)
{
    size_t at = out->len;
    put_u8(out, RDB_OPCODE_EOF);
    writer_account(w, out, at);
    put_le(out, w->crc, 8);
}

/* ---------------- reader ---------------- */

struct rd {
    const unsigned char *d;
    size_t len, pos;
    int version;
    const struct config *cfg;
    char *err;
    size_t errlen;
    int failed;
};

static int rfail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rfail(struct rd *r, const char *fmt, ...)
{
    if (!r->failed) {
        r->failed = 1;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < r->errlen)
            snprintf(r->err + n, r->errlen - (size_t)n, " (at byte %zu)", r->pos);
    }
    return -1;
}

static size_t rleft(const struct rd *r)
{
    return r->len - r->pos;
}

static int rbytes(struct rd *r, size_t n, const unsigned char **p, const char *what)
{
    *p = r->d + r->pos;
    if (rleft(r) < n)
        return rfail(r, "Unexpected end of data reading %s", what);
    r->pos += n;
    return 0;
}

static int ru8(struct rd *r, unsigned *v, const char *what)
{
    const unsigned char *p;
    if (rbytes(r, 1, &p, what) < 0)
        return -1;
    *v = p[0];
    return 0;
}

static uint64_t load_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t load_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* A length, or (encoded = 1) a special string encoding in *v. */
static int rlen_enc(struct rd *r, uint64_t *v, int *encoded, const char *what)
{
    unsigned b;
    const unsigned char *p;
    if (ru8(r, &b, what) < 0)
        return -1;
    *encoded = 0;
    switch (b >> 6) {
    case 0:
        *v = b & 63;
        return 0;
    case 1:
        if (rbytes(r, 1, &p, what) < 0)
            return -1;
        *v = (uint64_t)(b & 63) << 8 | p[0];
        return 0;
    case 2:
        if (b == 0x80) {
            if (rbytes(r, 4, &p, what) < 0)
                return -1;
            *v = load_be(p, 4);
            return 0;
        }
        if (b == 0x81) {
            if (rbytes(r, 8, &p, what) < 0)
                return -1;
            *v = load_be(p, 8);
            return 0;
        }
        return rfail(r, "Unknown length encoding 0x%02x in %s", b, what);
    default:
        *encoded = 1;
        *v = b & 63;
        return 0;
    }
}

static int rlen(struct rd *r, uint64_t *v, const char *what)
{
    int enc;
    if (rlen_enc(r, v, &enc, what) < 0)
        return -1;
    if (enc)
        return rfail(r, "Unexpected string encoding where %s was expected", what);
    return 0;
}

/* A count of items that each take at least min_bytes of input: bounded by
 * what is left, so a hostile count fails at once. */
static int rcount(struct rd *r, uint64_t *n, size_t min_bytes, const char *what)
{
    if (rlen(r, n, what) < 0)
        return -1;
    if (*n > rleft(r) / min_bytes)
        return rfail(r, "Absurd %s %llu (more than the bytes left)", what, (unsigned long long)*n);
    return 0;
}

/* A string read from the input: points into it, into ibuf (integers) or at
 * heap (LZF). rstr_free releases the heap part. */
struct rstr {
    const char *s;
    size_t len;
    char *heap;
    char ibuf[LONG_STR_SIZE];
};

static void rstr_free(struct rstr *s)
{
    free(s->heap);
    s->heap = NULL;
}

static int rstring(struct rd *r, struct rstr *out, const char *what)
{
    uint64_t n;
    int enc;
    const unsigned char *p;
    out->heap = NULL;
    if (rlen_enc(r, &n, &enc, what) < 0)
        return -1;
    if (!enc) {
        if (rbytes(r, n, &p, what) < 0)
            return -1;
        out->s = (const char *)p;
        out->len = n;
        return 0;
    }
    long long v;
    switch (n) {
    case 0:
        if (rbytes(r, 1, &p, what) < 0)
            return -1;
        v = (int8_t)p[0];
        break;
    case 1:
        if (rbytes(r, 2, &p, what) < 0)
            return -1;
        v = (int16_t)load_le(p, 2);
        break;
    case 2:
        if (rbytes(r, 4, &p, what) < 0)
            return -1;
        v = (int32_t)load_le(p, 4);
        break;
    case 3: {
        uint64_t clen, ulen;
        if (rlen(r, &clen, "an LZF compressed length") < 0 || rlen(r, &ulen, "an LZF length") < 0)
            return -1;
        if (clen > rleft(r))
            return rfail(r, "Unexpected end of data reading %s", what);
        /* LZF expands at most 88 times (3 bytes to 264): more is hostile */
        if (ulen == 0 || ulen > (uint64_t)OBJ_STRING_MAX || ulen > clen * 88 + 32)
            return rfail(r, "Bad LZF lengths (%llu compressed, %llu uncompressed) in %s", (unsigned long long)clen,
                         (unsigned long long)ulen, what);
        if (rbytes(r, clen, &p, what) < 0)
            return -1;
        out->heap = malloc(ulen);
        if (!out->heap)
            return rfail(r, "Out of memory decompressing %s", what);
        if (rdb_lzf_decompress(p, clen, out->heap, ulen) < 0) {
            rstr_free(out);
            return rfail(r, "Invalid LZF compressed data in %s", what);
        }
        out->s = out->heap;
        out->len = ulen;
        return 0;
    }
    default:
        return rfail(r, "Unknown string encoding %llu in %s", (unsigned long long)n, what);
    }
    out->len = (size_t)ll2string(out->ibuf, sizeof(out->ibuf), v);
    out->s = out->ibuf;
    return 0;
}

static int rskip_string(struct rd *r, const char *what)
{
    uint64_t n;
    int enc;
    const unsigned char *p;
    if (rlen_enc(r, &n, &enc, what) < 0)
        return -1;
    if (!enc)
        return rbytes(r, n, &p, what);
    switch (n) {
    case 0:
        return rbytes(r, 1, &p, what);
    case 1:
        return rbytes(r, 2, &p, what);
    case 2:
        return rbytes(r, 4, &p, what);
    case 3: {
        uint64_t clen, ulen;
        if (rlen(r, &clen, what) < 0 || rlen(r, &ulen, what) < 0)
            return -1;
        return rbytes(r, clen, &p, what);
    }
    }
    return rfail(r, "Unknown string encoding %llu in %s", (unsigned long long)n, what);
}

/* An element of a ziplist, listpack, intset or zipmap. */
struct relem {
    const unsigned char *s; /* NULL: the integer ll */
    size_t len;
    long long ll;
};

static const char *relem_str(const struct relem *v, char *buf, size_t *len)
{
    if (v->s) {
        *len = v->len;
        return (const char *)v->s;
    }
    *len = (size_t)ll2string(buf, LONG_STR_SIZE, v->ll);
    return buf;
}

typedef int relem_fn(void *priv, const struct relem *v);

/* Redis listpack: header u32 bytes, u16 count; 0xFF at the end. */
static int walk_listpack(struct rd *r, const unsigned char *lp, size_t bytes, relem_fn *fn, void *priv, size_t *count)
{
    if (bytes < 7 || load_le(lp, 4) != bytes || lp[bytes - 1] != 0xFF)
        return rfail(r, "%s", "Invalid listpack header");
    uint32_t declared = (uint32_t)load_le(lp + 4, 2);
    const unsigned char *p = lp + 6, *end = lp + bytes - 1;
    size_t n = 0;
    while (p < end) {
        size_t avail = (size_t)(end - p), hdr, slen = 0;
        struct relem v = {NULL, 0, 0};
        unsigned b = p[0];
        if ((b & 0x80) == 0) {
            hdr = 1;
            v.ll = b & 0x7f;
        } else if ((b & 0xC0) == 0x80) {
            hdr = 1;
            slen = b & 0x3f;
        } else if ((b & 0xE0) == 0xC0) {
            if (avail < 2)
                return rfail(r, "%s", "Truncated listpack entry");
            hdr = 2;
            long long x = (long long)((b & 0x1f) << 8 | p[1]);
            v.ll = x >= 4096 ? x - 8192 : x;
        } else if ((b & 0xF0) == 0xE0) {
            if (avail < 2)
                return rfail(r, "%s", "Truncated listpack entry");
            hdr = 2;
            slen = (size_t)(b & 0x0f) << 8 | p[1];
        } else if (b == 0xF0) {
            if (avail < 5)
                return rfail(r, "%s", "Truncated listpack entry");
            hdr = 5;
            slen = (size_t)load_le(p + 1, 4);
        } else if (b >= 0xF1 && b <= 0xF4) {
            int w = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
            if (avail < (size_t)w + 1)
                return rfail(r, "%s", "Truncated listpack entry");
            hdr = 1 + (size_t)w;
            uint64_t u = load_le(p + 1, w);
            if (w < 8 && (u >> (8 * w - 1)) & 1)
                u |= ~0ULL << (8 * w); /* sign-extend */
            v.ll = (long long)u;
        } else {
            return rfail(r, "Invalid listpack entry encoding 0x%02x", b);
        }
        if (slen > avail || hdr + slen > avail)
            return rfail(r, "%s", "Listpack entry runs past the end");
        if (b & 0x80 && ((b & 0xC0) == 0x80 || (b & 0xF0) == 0xE0 || b == 0xF0)) {
            v.s = p + hdr;
            v.len = slen;
        }
        size_t l = hdr + slen, bl = backlen_size(l);
        if (bl > avail - l)
            return rfail(r, "%s", "Listpack entry runs past the end");
        unsigned char t[5];
        backlen_encode(t, l);
        if (memcmp(t, p + l, bl) != 0)
            return rfail(r, "%s", "Listpack entry with a wrong back length");
        p += l + bl;
        n++;
        if (fn && fn(priv, &v) < 0)
            return -1;
    }
    if (declared != 65535 && declared != n)
        return rfail(r, "Listpack count %u does not match its %zu entries", declared, n);
    *count = n;
    return 0;
}

/* Ziplist: u32 bytes, u32 tail offset, u16 count, entries, 0xFF. */
static int walk_ziplist(struct rd *r, const unsigned char *zl, size_t bytes, relem_fn *fn, void *priv, size_t *count)
{
    if (bytes < 11 || load_le(zl, 4) != bytes || zl[bytes - 1] != 0xFF)
        return rfail(r, "%s", "Invalid ziplist header");
    size_t tail = (size_t)load_le(zl + 4, 4);
    uint32_t declared = (uint32_t)load_le(zl + 8, 2);
    const unsigned char *p = zl + 10, *end = zl + bytes - 1;
    size_t n = 0, prev_size = 0, last_at = 10;
    while (p < end) {
        size_t avail = (size_t)(end - p), pl, hdr, dlen = 0;
        struct relem v = {NULL, 0, 0};
        uint64_t prevlen;
        if (p[0] < 254) {
            pl = 1;
            prevlen = p[0];
        } else if (p[0] == 254) {
            if (avail < 5)
                return rfail(r, "%s", "Truncated ziplist entry");
            pl = 5;
            prevlen = load_le(p + 1, 4);
        } else {
            return rfail(r, "%s", "Invalid ziplist entry");
        }
        if (prevlen != prev_size)
            return rfail(r, "%s", "Ziplist entry with a wrong previous length");
        if (avail < pl + 1)
            return rfail(r, "%s", "Truncated ziplist entry");
        const unsigned char *q = p + pl;
        unsigned b = q[0];
        int is_str = 1;
        switch (b >> 6) {
        case 0:
            hdr = 1;
            dlen = b & 63;
            break;
        case 1:
            if (avail < pl + 2)
                return rfail(r, "%s", "Truncated ziplist entry");
            hdr = 2;
            dlen = (size_t)(b & 63) << 8 | q[1];
            break;
        case 2:
            if (avail < pl + 5)
                return rfail(r, "%s", "Truncated ziplist entry");
            hdr = 5;
            dlen = (size_t)load_be(q + 1, 4);
            break;
        default:
            is_str = 0;
            hdr = 1;
            if (b == 0xC0)
                dlen = 2;
            else if (b == 0xD0)
                dlen = 4;
            else if (b == 0xE0)
                dlen = 8;
            else if (b == 0xF0)
                dlen = 3;
            else if (b == 0xFE)
                dlen = 1;
            else if (b >= 0xF1 && b <= 0xFD)
                dlen = 0;
            else
                return rfail(r, "Invalid ziplist entry encoding 0x%02x", b);
        }
        if (dlen > avail || pl + hdr + dlen > avail)
            return rfail(r, "%s", "Ziplist entry runs past the end");
        const unsigned char *data = q + hdr;
        if (is_str) {
            v.s = data;
            v.len = dlen;
        } else if (dlen == 0) {
            v.ll = (long long)(b & 0x0f) - 1;
        } else {
            uint64_t u = load_le(data, (int)dlen);
            if (dlen < 8 && (u >> (8 * dlen - 1)) & 1)
                u |= ~0ULL << (8 * dlen);
            v.ll = (long long)u;
        }
        last_at = (size_t)(p - zl);
        prev_size = pl + hdr + dlen;
        p += prev_size;
        n++;
        if (fn && fn(priv, &v) < 0)
            return -1;
    }
    if (tail != last_at)
        return rfail(r, "%s", "Ziplist tail offset is wrong");
    if (declared != 65535 && declared != n)
        return rfail(r, "Ziplist count %u does not match its %zu entries", declared, n);
    *count = n;
    return 0;
}

/* Intset: u32 width (2, 4, 8), u32 count, ascending values. */
static int walk_intset(struct rd *r, const unsigned char *is, size_t bytes, relem_fn *fn, void *priv, size_t *count)
{
    if (bytes < 8)
        return rfail(r, "%s", "Invalid intset header");
    uint32_t w = (uint32_t)load_le(is, 4), n = (uint32_t)load_le(is + 4, 4);
    if ((w != 2 && w != 4 && w != 8) || (uint64_t)w * n + 8 != bytes)
        return rfail(r, "%s", "Invalid intset size");
    long long prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t u = load_le(is + 8 + (size_t)i * w, (int)w);
        if (w < 8 && (u >> (8 * w - 1)) & 1)
            u |= ~0ULL << (8 * w);
        struct relem v = {NULL, 0, (long long)u};
        if (i > 0 && v.ll <= prev)
            return rfail(r, "%s", "Intset not in ascending order");
        prev = v.ll;
        if (fn && fn(priv, &v) < 0)
            return -1;
    }
    *count = n;
    return 0;
}

/* Zipmap: u8 count hint, then len key len free value [free bytes], 0xFF. */
static int zipmap_len(struct rd *r, const unsigned char **p, const unsigned char *end, size_t *len)
{
    if (*p >= end)
        return rfail(r, "%s", "Truncated zipmap");
    if (**p < 254) {
        *len = **p;
        *p += 1;
        return 0;
    }
    if (**p == 254 && end - *p >= 5) {
        *len = (size_t)load_le(*p + 1, 4);
        *p += 5;
        return 0;
    }
    return rfail(r, "%s", "Invalid zipmap length");
}

static int walk_zipmap(struct rd *r, const unsigned char *zm, size_t bytes, relem_fn *fn, void *priv, size_t *count)
{
    if (bytes < 2 || zm[bytes - 1] != 0xFF)
        return rfail(r, "%s", "Invalid zipmap");
    const unsigned char *p = zm + 1, *end = zm + bytes - 1;
    size_t n = 0;
    while (p < end) {
        size_t klen, vlen;
        if (zipmap_len(r, &p, end, &klen) < 0)
            return -1;
        if (klen > (size_t)(end - p))
            return rfail(r, "%s", "Zipmap key runs past the end");
        struct relem k = {p, klen, 0};
        p += klen;
        if (zipmap_len(r, &p, end, &vlen) < 0)
            return -1;
        if (p >= end)
            return rfail(r, "%s", "Truncated zipmap");
        size_t fr = *p++;
        if (vlen > (size_t)(end - p) || fr > (size_t)(end - p) - vlen)
            return rfail(r, "%s", "Zipmap value runs past the end");
        struct relem v = {p, vlen, 0};
        p += vlen + fr;
        n += 2;
        if (fn && (fn(priv, &k) < 0 || fn(priv, &v) < 0))
            return -1;
    }
    if (zm[0] < 254 && zm[0] != n / 2)
        return rfail(r, "%s", "Zipmap count does not match its entries");
    *count = n;
    return 0;
}

/* ---- builders: elements into our structures ---- */

struct builder {
    struct rd *r;
    const struct config *cfg;
    struct set_limits lim;
    struct db_entry *e;
    int type; /* OBJ_* */
    uint64_t hash;
    const char *key;
    size_t klen;
    size_t hint; /* declared size, bounded by the input */
    size_t count;
    /* pairs (hash field, zset member) from blobs: the first half */
    int have_first;
    const char *first;
    size_t first_len;
    char first_buf[LONG_STR_SIZE];
};

static void builder_init(struct builder *b, struct rd *r, int type, uint64_t hash, const char *key, size_t klen)
{
    memset(b, 0, sizeof(*b));
    b->r = r;
    b->cfg = r->cfg;
    b->lim = set_limits_of(r->cfg);
    b->type = type;
    b->hash = hash;
    b->key = key;
    b->klen = klen;
    if (type == OBJ_LIST) {
        struct quicklist *ql = ql_new(r->cfg->list_max_listpack_size);
        b->e = entry_new_collection(hash, key, klen, OBJ_LIST, ENC_QUICKLIST, ql);
    } else if (type == OBJ_HASH || type == OBJ_ZSET) {
        b->e = entry_new_collection(hash, key, klen, type, ENC_LISTPACK, lp_new());
    }
}

static int b_list_push(struct builder *b, const char *s, size_t len)
{
    ql_push(b->e->v.ptr, QL_TAIL, s, len);
    b->count++;
    return 0;
}

static int b_set_add(struct builder *b, const struct set_member *m)
{
    if (!b->e) {
        int encoding;
        void *value;
        set_create_value(m, b->hint ? b->hint : 1, &b->lim, &encoding, &value);
        b->e = entry_new_collection(b->hash, b->key, b->klen, OBJ_SET, encoding, value);
    }
    if (!set_add(b->e, m, &b->lim))
        return rfail(b->r, "%s", "Duplicate set member");
    b->count++;
    return 0;
}

static int b_hash_set(struct builder *b, const char *f, size_t flen, const char *v, size_t vlen)
{
    if (!hash_set(b->cfg, b->e, f, flen, v, vlen))
        return rfail(b->r, "%s", "Duplicate hash field");
    b->count++;
    return 0;
}

static int b_zset_add(struct builder *b, const char *m, size_t mlen, double score)
{
    if (isnan(score))
        return rfail(b->r, "%s", "NaN score in a sorted set");
    double ns;
    if (zadd_one(b->cfg, b->e, m, mlen, score, ZA_NX, &ns) != ZA_OUT_ADDED)
        return rfail(b->r, "%s", "Duplicate sorted set member");
    b->count++;
    return 0;
}

static int elem_list(void *priv, const struct relem *v)
{
    char buf[LONG_STR_SIZE];
    size_t len;
    const char *s = relem_str(v, buf, &len);
    return b_list_push(priv, s, len);
}

static int elem_set(void *priv, const struct relem *v)
{
    struct set_member m = {(const char *)v->s, v->len, v->ll};
    return b_set_add(priv, &m);
}

/* hash and zset blobs: elements come in pairs */
static int elem_pair(void *priv, const struct relem *v)
{
    struct builder *b = priv;
    if (!b->have_first) {
        b->first = relem_str(v, b->first_buf, &b->first_len);
        b->have_first = 1;
        return 0;
    }
    b->have_first = 0;
    if (b->type == OBJ_HASH) {
        char buf[LONG_STR_SIZE];
        size_t len;
        const char *s = relem_str(v, buf, &len);
        return b_hash_set(b, b->first, b->first_len, s, len);
    }
    double score;
    if (v->s) {
        if (!string2d((const char *)v->s, v->len, &score))
            return rfail(b->r, "%s", "Invalid score in a sorted set");
    } else {
        score = (double)v->ll;
    }
    return b_zset_add(b, b->first, b->first_len, score);
}

typedef int walker_fn(struct rd *r, const unsigned char *p, size_t bytes, relem_fn *fn, void *priv, size_t *count);

/* One blob string walked by walker into the builder. */
static int load_blob(struct rd *r, struct builder *b, walker_fn *walker, relem_fn *fn, const char *what, size_t *count)
{
    struct rstr s;
    if (rstring(r, &s, what) < 0)
        return -1;
    size_t n = 0;
    int rc = walker(r, (const unsigned char *)s.s, s.len, fn, b, &n);
    rstr_free(&s);
    if (rc == 0 && b->have_first)
        rc = rfail(r, "Odd number of elements in %s", what);
    if (count)
        *count = n;
    return rc;
}

/* ---- streams (RDB_TYPE_STREAM_LISTPACKS and _2) ---- */

/* A raw 16-byte big-endian stream id (rax keys, PEL ids). */
static int rraw_id(struct rd *r, struct stream_id *id, const char *what)
{
    const unsigned char *p;
    if (rbytes(r, 16, &p, what) < 0)
        return -1;
    id->ms = load_be(p, 8);
    id->seq = load_be(p + 8, 8);
    return 0;
}

static int rlen_id(struct rd *r, struct stream_id *id, const char *what)
{
    return rlen(r, &id->ms, what) < 0 || rlen(r, &id->seq, what) < 0 ? -1 : 0;
}

/* Redis's millisecond times: u64 little-endian. */
static int rms_time(struct rd *r, int64_t *t, const char *what)
{
    const unsigned char *p;
    if (rbytes(r, 8, &p, what) < 0)
        return -1;
    *t = (int64_t)load_le(p, 8);
    return 0;
}

/* Elements of a Redis listpack appended to one of ours. */
static int elem_to_lp(void *priv, const struct relem *v)
{
    unsigned char **lp = priv;
    *lp = v->s ? lp_append(*lp, (const char *)v->s, v->len) : lp_append_int(*lp, v->ll);
    return 0;
}

/* One node: its rax key (a 16-byte id) and its listpack, converted to ours
 * element by element and checked by stream_node_validate (layout, flags,
 * ids ascending across nodes, counters). *lp NULL: a node with no live entry
 * (Redis can leave one behind after trimming), dropped. */
static int load_stream_node(struct rd *r, struct stream_id *after, struct stream_id *master, unsigned char **lp,
                            long long *live)
{
    struct rstr k;
    *lp = NULL;
    if (rstring(r, &k, "a stream node key") < 0)
        return -1;
    if (k.len != 16) {
        rstr_free(&k);
        return rfail(r, "%s", "Stream node key entry is not the size of a stream ID");
    }
    master->ms = load_be((const unsigned char *)k.s, 8);
    master->seq = load_be((const unsigned char *)k.s + 8, 8);
    rstr_free(&k);
    if (stream_id_cmp(*master, *after) <= 0)
        return rfail(r, "%s", "Stream node keys out of order");
    struct rstr b;
    if (rstring(r, &b, "a stream listpack") < 0)
        return -1;
    unsigned char *ours = lp_new();
    size_t n = 0;
    int rc = walk_listpack(r, (const unsigned char *)b.s, b.len, elem_to_lp, &ours, &n);
    rstr_free(&b);
    if (rc < 0) {
        lp_free(ours);
        return -1;
    }
    if (n == 0) {
        lp_free(ours);
        return rfail(r, "%s", "Empty listpack inside stream");
    }
    if (!stream_node_validate(ours, *master, after, live)) {
        lp_free(ours);
        return rfail(r, "%s", "Stream listpack integrity check failed");
    }
    if (*live == 0)
        lp_free(ours);
    else
        *lp = ours;
    return 0;
}

/* One consumer group with its PEL and consumers; every global PEL entry
 * must end up owned by exactly one consumer. */
static int load_stream_group(struct rd *r, struct stream *s, int v2)
{
    struct rstr name;
    struct stream_id last;
    uint64_t read = 0;
    if (rstring(r, &name, "a consumer group name") < 0)
        return -1;
    if (rlen_id(r, &last, "a consumer group id") < 0 || (v2 && rlen(r, &read, "a consumer group offset") < 0)) {
        rstr_free(&name);
        return -1;
    }
    long long entries_read = v2 ? (long long)read : stream_estimate_distance(s, last);
    if (entries_read < STREAM_ENTRIES_READ_INVALID) {
        rstr_free(&name);
        return rfail(r, "%s", "Bad consumer group offset");
    }
    struct stream_cg *cg = stream_group_create(s, name.s, name.len, last, entries_read);
    rstr_free(&name);
    if (!cg)
        return rfail(r, "%s", "Duplicated consumer group name");
    uint64_t npel, ncons, owned = 0;
    if (rcount(r, &npel, 17, "a stream PEL size") < 0)
        return -1;
    for (uint64_t i = 0; i < npel; i++) {
        struct stream_id id;
        int64_t t;
        uint64_t cnt;
        if (rraw_id(r, &id, "a PEL id") < 0 || rms_time(r, &t, "a delivery time") < 0 ||
            rlen(r, &cnt, "a delivery count") < 0)
            return -1;
        struct stream_nack *n = malloc(sizeof(*n));
        if (!n)
            return rfail(r, "%s", "Out of memory loading a stream PEL");
        n->delivery_time = t;
        n->delivery_count = cnt;
        n->consumer = NULL;
        if (!idmap_insert(&cg->pel, id.ms, id.seq, n)) {
            free(n);
            return rfail(r, "%s", "Duplicated global PEL entry loading stream consumer group");
        }
    }
    if (rcount(r, &ncons, 10, "a stream consumer count") < 0)
        return -1;
    for (uint64_t c = 0; c < ncons; c++) {
        struct rstr cname;
        int64_t seen;
        uint64_t cpel;
        if (rstring(r, &cname, "a consumer name") < 0)
            return -1;
        if (rms_time(r, &seen, "a consumer seen time") < 0) {
            rstr_free(&cname);
            return -1;
        }
        int created;
        struct stream_consumer *cs = stream_consumer_get(cg, cname.s, cname.len, seen, &created);
        rstr_free(&cname);
        if (!created)
            return rfail(r, "%s", "Duplicate stream consumer detected");
        if (rcount(r, &cpel, 16, "a consumer PEL size") < 0)
            return -1;
        for (uint64_t i = 0; i < cpel; i++) {
            struct stream_id id;
            if (rraw_id(r, &id, "a consumer PEL id") < 0)
                return -1;
            struct stream_nack *n = idmap_find(&cg->pel, id.ms, id.seq);
            if (!n)
                return rfail(r, "%s", "Consumer entry not found in group global PEL");
            if (n->consumer || !idmap_insert(&cs->pel, id.ms, id.seq, n))
                return rfail(r, "%s", "Duplicated consumer PEL entry loading a stream consumer group");
            n->consumer = cs;
            owned++;
        }
    }
    if (owned != idmap_size(&cg->pel))
        return rfail(r, "%s", "Stream CG PEL entry without consumer");
    return 0;
}

/* A stream value: built (out set) when out is not NULL, else walked and
 * checked the same way, then freed. 0 or -1. */
static int load_stream(struct rd *r, unsigned t, uint64_t hash, const char *key, size_t klen, struct db_entry **out)
{
    int v2 = t == RDB_TYPE_STREAM_LISTPACKS_2;
    struct stream *s = stream_new();
    uint64_t nnodes, ngroups, total = 0;
    struct stream_id after = {0, 0};
    if (rcount(r, &nnodes, 2, "a stream listpack count") < 0)
        goto bad;
    for (uint64_t i = 0; i < nnodes; i++) {
        struct stream_id master;
        unsigned char *lp;
        long long live;
        if (load_stream_node(r, &after, &master, &lp, &live) < 0)
            goto bad;
        if (lp)
            stream_load_node(s, master, lp);
        total += (uint64_t)live;
    }
    if (rlen(r, &s->length, "a stream length") < 0 || rlen_id(r, &s->last_id, "a stream last id") < 0)
        goto bad;
    if (v2) {
        if (rlen_id(r, &s->first_id, "a stream first id") < 0 ||
            rlen_id(r, &s->max_deleted_id, "a stream max deleted id") < 0 ||
            rlen(r, &s->entries_added, "a stream entries added") < 0)
            goto bad;
    } else {
        s->entries_added = s->length;
        stream_update_first_id(s);
    }
    if (s->length != total) {
        rfail(r, "Stream length %llu inconsistent with its %llu entries", (unsigned long long)s->length,
              (unsigned long long)total);
        goto bad;
    }
    /* entries-added is a long long in Redis (and in the lag arithmetic) */
    if (stream_id_cmp(s->last_id, after) < 0 || s->entries_added < s->length || s->entries_added > INT64_MAX) {
        rfail(r, "%s", "Stream last id or entries added inconsistent with its entries");
        goto bad;
    }
    if (rcount(r, &ngroups, 4, "a stream consumer group count") < 0)
        goto bad;
    for (uint64_t g = 0; g < ngroups; g++)
        if (load_stream_group(r, s, v2) < 0)
            goto bad;
    if (!out) {
        stream_free(s);
        return 0;
    }
    *out = entry_new_collection(hash, key, klen, OBJ_STREAM, ENC_STREAM, s);
    return 0;
bad:
    /* PEL entries no consumer owns yet are freed with their group's PEL */
    stream_free(s);
    return -1;
}

static int read_double_ascii(struct rd *r, double *d)
{
    unsigned l;
    const unsigned char *p;
    if (ru8(r, &l, "a score") < 0)
        return -1;
    if (l == 253)
        return rfail(r, "%s", "NaN score in a sorted set");
    if (l == 254) {
        *d = INFINITY;
        return 0;
    }
    if (l == 255) {
        *d = -INFINITY;
        return 0;
    }
    if (rbytes(r, l, &p, "a score") < 0)
        return -1;
    if (!string2d((const char *)p, l, d))
        return rfail(r, "%s", "Invalid score in a sorted set");
    return 0;
}

static const char module_charset[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int refuse_module(struct rd *r, const char *what)
{
    uint64_t id;
    if (rlen(r, &id, "a module id") < 0)
        return -1;
    char name[10];
    for (int i = 0; i < 9; i++)
        name[i] = module_charset[(id >> (64 - 6 * (i + 1))) & 63];
    name[9] = '\0';
    return rfail(r, "The data holds %s of module type '%s' (version %llu): modules are not supported", what, name,
                 (unsigned long long)(id & 1023));
}

static int value_type_ok(unsigned t)
{
    return t <= 7 || (t >= 9 && t <= 19);
}

static int obj_type_of(unsigned t)
{
    switch (t) {
    case RDB_TYPE_STRING:
        return OBJ_STRING;
    case RDB_TYPE_LIST:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
        return OBJ_LIST;
    case RDB_TYPE_SET:
    case RDB_TYPE_SET_INTSET:
        return OBJ_SET;
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK:
        return OBJ_ZSET;
    case RDB_TYPE_HASH:
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
        return OBJ_HASH;
    }
    return -1;
}

/* Builds the value of type t. 0 with *out set, 0 with *out NULL for an
 * empty collection, -1 on error (err set). */
static int load_value(struct rd *r, unsigned t, uint64_t hash, const char *key, size_t klen, struct db_entry **out)
{
    *out = NULL;
    if (t == RDB_TYPE_MODULE || t == RDB_TYPE_MODULE_2)
        return refuse_module(r, "a value");
    if (t == RDB_TYPE_STREAM_LISTPACKS || t == RDB_TYPE_STREAM_LISTPACKS_2)
        return load_stream(r, t, hash, key, klen, out);
    int otype = obj_type_of(t);
    if (otype < 0)
        return rfail(r, "Unknown value type %u", t);
    if (otype == OBJ_STRING) {
        struct rstr s;
        if (rstring(r, &s, "a string value") < 0)
            return -1;
        if (s.len > (size_t)OBJ_STRING_MAX) {
            rstr_free(&s);
            return rfail(r, "%s", "String value longer than 512 MB");
        }
        *out = entry_new_string(hash, key, klen, s.s, s.len);
        rstr_free(&s);
        return 0;
    }
    struct builder b;
    builder_init(&b, r, otype, hash, key, klen);
    uint64_t n;
    int rc = 0;
    switch (t) {
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET:
        if (rcount(r, &n, 1, "an element count") < 0) {
            rc = -1;
            break;
        }
        b.hint = (size_t)n;
        for (uint64_t i = 0; i < n && rc == 0; i++) {
            struct rstr s;
            if (rstring(r, &s, "an element") < 0) {
                rc = -1;
                break;
            }
            if (otype == OBJ_LIST) {
                rc = b_list_push(&b, s.s, s.len);
            } else {
                struct set_member m = {s.s, s.len, 0};
                rc = b_set_add(&b, &m);
            }
            rstr_free(&s);
        }
        break;
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
        if (rcount(r, &n, 2, "a sorted set size") < 0) {
            rc = -1;
            break;
        }
        for (uint64_t i = 0; i < n && rc == 0; i++) {
            struct rstr s;
            double score;
            if (rstring(r, &s, "a sorted set member") < 0) {
                rc = -1;
                break;
            }
            if (t == RDB_TYPE_ZSET) {
                rc = read_double_ascii(r, &score);
            } else {
                const unsigned char *p;
                rc = rbytes(r, 8, &p, "a score");
                if (rc == 0) {
                    uint64_t bits = load_le(p, 8);
                    memcpy(&score, &bits, 8);
                }
            }
            if (rc == 0)
                rc = b_zset_add(&b, s.s, s.len, score);
            rstr_free(&s);
        }
        break;
    case RDB_TYPE_HASH:
        if (rcount(r, &n, 2, "a hash size") < 0) {
            rc = -1;
            break;
        }
        for (uint64_t i = 0; i < n && rc == 0; i++) {
            struct rstr f, v;
            if (rstring(r, &f, "a hash field") < 0) {
                rc = -1;
                break;
            }
            if (rstring(r, &v, "a hash value") < 0) {
                rstr_free(&f);
                rc = -1;
                break;
            }
            rc = b_hash_set(&b, f.s, f.len, v.s, v.len);
            rstr_free(&f);
            rstr_free(&v);
        }
        break;
    case RDB_TYPE_HASH_ZIPMAP:
        rc = load_blob(r, &b, walk_zipmap, elem_pair, "a zipmap", NULL);
        break;
    case RDB_TYPE_LIST_ZIPLIST:
        rc = load_blob(r, &b, walk_ziplist, elem_list, "a ziplist", NULL);
        break;
    case RDB_TYPE_SET_INTSET:
        rc = load_blob(r, &b, walk_intset, elem_set, "an intset", NULL);
        break;
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST:
        rc = load_blob(r, &b, walk_ziplist, elem_pair, "a ziplist", NULL);
        break;
    case RDB_TYPE_ZSET_LISTPACK:
    case RDB_TYPE_HASH_LISTPACK:
        rc = load_blob(r, &b, walk_listpack, elem_pair, "a listpack", NULL);
        break;
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
        if (rcount(r, &n, 2, "a quicklist node count") < 0) {
            rc = -1;
            break;
        }
        for (uint64_t i = 0; i < n && rc == 0; i++) {
            uint64_t container = 2;
            if (t == RDB_TYPE_LIST_QUICKLIST_2) {
                if (rlen(r, &container, "a quicklist container") < 0) {
                    rc = -1;
                    break;
                }
                if (container != 1 && container != 2) {
                    rc = rfail(r, "Unknown quicklist container %llu", (unsigned long long)container);
                    break;
                }
            }
            if (container == 1) {
                struct rstr s;
                if (rstring(r, &s, "a plain quicklist node") < 0) {
                    rc = -1;
                    break;
                }
                rc = b_list_push(&b, s.s, s.len);
                rstr_free(&s);
            } else {
                rc = load_blob(r, &b, t == RDB_TYPE_LIST_QUICKLIST ? walk_ziplist : walk_listpack, elem_list,
                               "a quicklist node", NULL);
            }
        }
        break;
    }
    if (rc < 0) {
        if (b.e)
            entry_free(b.e);
        return -1;
    }
    if (b.count == 0) {
        if (b.e)
            entry_free(b.e);
        return 0;
    }
    if (otype == OBJ_LIST)
        list_try_convert_quicklist(b.e, r->cfg->list_max_listpack_size);
    *out = b.e;
    return 0;
}

/* Walks the value of type t without building it (another reader owns the
 * key): lengths are checked, blob contents are not. */
static int skip_value(struct rd *r, unsigned t)
{
    uint64_t n;
    const unsigned char *p;
    switch (t) {
    case RDB_TYPE_STRING:
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_SET_INTSET:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_ZSET_LISTPACK:
        return rskip_string(r, "a value");
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET:
    case RDB_TYPE_LIST_QUICKLIST:
        if (rcount(r, &n, 1, "an element count") < 0)
            return -1;
        for (uint64_t i = 0; i < n; i++)
            if (rskip_string(r, "an element") < 0)
                return -1;
        return 0;
    case RDB_TYPE_HASH:
        if (rcount(r, &n, 2, "a hash size") < 0)
            return -1;
        for (uint64_t i = 0; i < 2 * n; i++)
            if (rskip_string(r, "a hash element") < 0)
                return -1;
        return 0;
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
        if (rcount(r, &n, 2, "a sorted set size") < 0)
            return -1;
        for (uint64_t i = 0; i < n; i++) {
            if (rskip_string(r, "a sorted set member") < 0)
                return -1;
            if (t == RDB_TYPE_ZSET_2) {
                if (rbytes(r, 8, &p, "a score") < 0)
                    return -1;
            } else {
                unsigned l;
                if (ru8(r, &l, "a score") < 0)
                    return -1;
                if (l < 253 && rbytes(r, l, &p, "a score") < 0)
                    return -1;
            }
        }
        return 0;
    case RDB_TYPE_LIST_QUICKLIST_2:
        if (rcount(r, &n, 2, "a quicklist node count") < 0)
            return -1;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t container;
            if (rlen(r, &container, "a quicklist container") < 0 || rskip_string(r, "a quicklist node") < 0)
                return -1;
        }
        return 0;
    case RDB_TYPE_MODULE:
    case RDB_TYPE_MODULE_2:
        return refuse_module(r, "a value");
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
        /* walked and checked as when built (streams are rare and their
         * nodes need their contents to be bounded anyway) */
        return load_stream(r, t, 0, NULL, 0, NULL);
    }
    return rfail(r, "Unknown value type %u", t);
}

int rdb_payload_verify(const unsigned char *p, size_t len)
{
    if (len < 10)
        return -1;
    const unsigned char *footer = p + len - 10;
    unsigned version = footer[0] | (unsigned)footer[1] << 8;
    if (version > RDB_VERSION)
        return -1;
    return rdb_crc64(0, p, len - 8) == load_le(footer + 2, 8) ? 0 : -1;
}

struct db_entry *rdb_payload_load(const unsigned char *p, size_t len, const char *key, size_t klen,
                                  const struct config *cfg, char *err, size_t errlen)
{
    if (len < 10) {
        snprintf(err, errlen, "%s", "payload too short");
        return NULL;
    }
    struct rd r = {p, len - 10, 0, p[len - 10] | p[len - 9] << 8, cfg, err, errlen, 0};
    unsigned t;
    if (ru8(&r, &t, "the value type") < 0)
        return NULL;
    if (!value_type_ok(t)) {
        rfail(&r, "Unknown value type %u", t);
        return NULL;
    }
    struct db_entry *e;
    if (load_value(&r, t, key_hash(key, klen), key, klen, &e) < 0)
        return NULL;
    if (!e)
        rfail(&r, "%s", "Empty collection");
    return e;
}

int rdb_load_buffer(const unsigned char *data, size_t len, const struct config *cfg, int flags, rdb_want_fn *want,
                    rdb_resize_fn *resize, rdb_entry_fn *fn, void *priv, struct rdb_load_stats *st, char *err,
                    size_t errlen)
{
    memset(st, 0, sizeof(*st));
    struct rd r = {data, len, 0, 0, cfg, err, errlen, 0};
    if (len < 9 || memcmp(data, "REDIS", 5) != 0) {
        rfail(&r, "%s", "Wrong signature trying to load DB from file (not an RDB file)");
        return -1;
    }
    int version = 0;
    for (int i = 5; i < 9; i++) {
        if (data[i] < '0' || data[i] > '9') {
            rfail(&r, "%s", "Wrong signature trying to load DB from file (bad version digits)");
            return -1;
        }
        version = version * 10 + (data[i] - '0');
    }
    if (version < 1 || version > RDB_VERSION) {
        rfail(&r, "Can't handle RDB format version %d", version);
        return -1;
    }
    r.version = st->version = version;
    r.pos = 9;
    uint64_t dbid = 0;
    int64_t expire = 0;
    long long idle = -1;
    int freq = -1;
    for (;;) {
        size_t rec_at = r.pos;
        unsigned t;
        const unsigned char *p;
        uint64_t a, b;
        if (ru8(&r, &t, "a record type (truncated file?)") < 0)
            goto fail;
        switch (t) {
        case RDB_OPCODE_EXPIRETIME_MS:
            if (rbytes(&r, 8, &p, "an expire time") < 0)
                goto fail;
            expire = (int64_t)load_le(p, 8);
            if (expire <= 0)
                expire = 1; /* long past: dropped like any expired key */
            continue;
        case RDB_OPCODE_EXPIRETIME:
            if (rbytes(&r, 4, &p, "an expire time") < 0)
                goto fail;
            expire = (int64_t)(int32_t)load_le(p, 4) * 1000;
            if (expire <= 0)
                expire = 1;
            continue;
        case RDB_OPCODE_IDLE:
            if (rlen(&r, &a, "an idle time") < 0)
                goto fail;
            idle = a > (uint64_t)LLONG_MAX ? LLONG_MAX : (long long)a;
            continue;
        case RDB_OPCODE_FREQ:
            if (rbytes(&r, 1, &p, "a frequency") < 0)
                goto fail;
            freq = p[0];
            continue;
        case RDB_OPCODE_SELECTDB:
            if (rlen(&r, &dbid, "a database number") < 0)
                goto fail;
            if (dbid > INT32_MAX) {
                rfail(&r, "Database number %llu out of range", (unsigned long long)dbid);
                goto fail;
            }
            continue;
        case RDB_OPCODE_RESIZEDB:
            if (rlen(&r, &a, "a db size") < 0 || rlen(&r, &b, "an expires size") < 0)
                goto fail;
            if (resize && dbid <= INT32_MAX)
                resize(priv, (int)dbid, a, b);
            continue;
        case RDB_OPCODE_AUX:
            if (rskip_string(&r, "an AUX field name") < 0 || rskip_string(&r, "an AUX field value") < 0)
                goto fail;
            continue;
        case RDB_OPCODE_MODULE_AUX:
            refuse_module(&r, "auxiliary data");
            goto fail;
        case RDB_OPCODE_FUNCTION:
            rfail(&r, "%s", "Pre-release function format (Redis 7.0 release candidates) not supported");
            goto fail;
        case RDB_OPCODE_FUNCTION2:
            /* A function library: skipped until scripting lands. */
            if (rskip_string(&r, "a function library") < 0)
                goto fail;
            st->functions_skipped++;
            continue;
        case RDB_OPCODE_EOF:
            if (version >= 5) {
                if (rbytes(&r, 8, &p, "the checksum") < 0)
                    goto fail;
                uint64_t stored = load_le(p, 8);
                if ((flags & RDB_LOAD_CHECKSUM) && stored != 0 && stored != rdb_crc64(0, data, r.pos - 8)) {
                    r.pos -= 8;
                    rfail(&r, "%s", "Wrong RDB checksum");
                    goto fail;
                }
            }
            return 0;
        default:
            break;
        }
        if (!value_type_ok(t)) {
            r.pos = rec_at;
            rfail(&r, "Unknown RDB record type %u", t);
            goto fail;
        }
        struct rstr key;
        if (rstring(&r, &key, "a key") < 0)
            goto fail;
        if (key.len > (size_t)OBJ_STRING_MAX) {
            rstr_free(&key);
            rfail(&r, "%s", "Key longer than 512 MB");
            goto fail;
        }
        uint64_t h = key_hash(key.s, key.len);
        st->keys++;
        if (want && !want(priv, key.s, key.len, h)) {
            rstr_free(&key);
            if (skip_value(&r, t) < 0)
                goto fail;
        } else {
            struct db_entry *e;
            int rc = load_value(&r, t, h, key.s, key.len, &e);
            rstr_free(&key);
            if (rc < 0)
                goto fail;
            if (!e) {
                st->empty_skipped++;
            } else {
                st->built++;
                e->expire_at = expire;
                if (!fn) {
                    entry_free(e); /* checking only */
                } else if (fn(priv, (int)dbid, e, idle, freq) < 0) {
                    st->error_offset = rec_at;
                    return -1;
                }
            }
        }
        expire = 0;
        idle = -1;
        freq = -1;
    }
fail:
    st->error_offset = r.pos;
    return -1;
}
