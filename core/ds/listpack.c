/*
 * listpack.c - the listpack block (see listpack.h for the layout).
 *
 * Entry encodings (first byte), exactly Redis's:
 *   0xxxxxxx                      7-bit unsigned int         1 byte
 *   10xxxxxx <data>               string, 6-bit length       1 + len
 *   110xxxxx yyyyyyyy             13-bit signed int          2 bytes
 *   1110xxxx yyyyyyyy <data>      string, 12-bit length      2 + len
 *   11110000 <len:u32> <data>     string, 32-bit length      5 + len
 *   11110001 <i16>                16-bit signed int          3 bytes
 *   11110010 <i24>                24-bit signed int          4 bytes
 *   11110011 <i32>                32-bit signed int          5 bytes
 *   11110100 <i64>                64-bit signed int          9 bytes
 *   11111111                      end of the listpack
 * Multi-byte integers and lengths are little-endian; the 13- and 12-bit
 * forms keep their high bits in the first byte. Negative integers are
 * stored as two's complement in their width.
 *
 * After <encoding+data> comes its length L written "backwards" in 1..5
 * bytes of 7 bits: the byte next to the following entry holds the low 7
 * bits and has bit 7 set when more (higher) bits precede it. Reading
 * backwards from the byte before an entry therefore yields the previous
 * entry's L, and its start is L + sizeof(backlen) bytes further back.
 *
 * Invariants: the header's total equals the block's size, the count is
 * exact (u32, never "unknown"), the block ends with 0xFF and no entry starts
 * with it. A string that string2ll accepts is always stored as an integer
 * (so equality by value and by bytes agree); lp_validate enforces it.
 *
 * Mutations move the tail with one memmove and resize the block with one
 * realloc; no entry ever needs to be re-encoded when its neighbour changes
 * (unlike the old ziplist, there is no cascade).
 *
 * Threads: none of its own; a listpack is used only by the shard thread that
 * owns the key holding it (or by a loader before the shards start).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/listpack.h"
#include "core/base/util.h"

#define LP_HDR 8
#define LP_EOF 0xFF

#define LP_ENC_7BIT_UINT 0x00
#define LP_ENC_6BIT_STR 0x80
#define LP_ENC_13BIT_INT 0xC0
#define LP_ENC_12BIT_STR 0xE0
#define LP_ENC_32BIT_STR 0xF0
#define LP_ENC_16BIT_INT 0xF1
#define LP_ENC_24BIT_INT 0xF2
#define LP_ENC_32BIT_INT 0xF3
#define LP_ENC_64BIT_INT 0xF4

/* Largest encoding header of a string (32-bit length) or a whole integer
 * entry (64-bit), and the longest backlen. */
#define LP_MAX_INT_ENTRY 9
#define LP_MAX_BACKLEN 5

static unsigned char *lp_realloc(unsigned char *lp, size_t size)
{
    unsigned char *p = realloc(lp, size);
    if (!p)
        out_of_memory(size);
    return p;
}

static uint32_t read_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void set_bytes(unsigned char *lp, size_t bytes)
{
    write_u32(lp, (uint32_t)bytes);
}

static void set_count(unsigned char *lp, uint32_t count)
{
    write_u32(lp + 4, count);
}

/* ---------------- entry sizes ---------------- */

/* Number of bytes the backlen of an entry of encoded length l takes. */
static unsigned backlen_size(uint64_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

/* Writes l's backlen into buf (backlen_size(l) bytes). */
static void write_backlen(unsigned char *buf, uint64_t l)
{
    unsigned n = backlen_size(l);
    /* buf[n-1] holds the low 7 bits; bit 7 set on every byte but buf[0]. */
    for (unsigned i = n; i-- > 0;) {
        buf[i] = (unsigned char)(l & 127);
        if (i != 0)
            buf[i] |= 128;
        l >>= 7;
    }
}

/* Reads the backlen ending at p (p points at its last byte, the one next to
 * the following entry). Sets *nbytes to its size. */
static uint64_t read_backlen(const unsigned char *p, unsigned *nbytes)
{
    uint64_t v = 0;
    unsigned shift = 0, n = 0;
    for (;;) {
        v |= (uint64_t)(p[0] & 127) << shift;
        n++;
        if (!(p[0] & 128) || n == LP_MAX_BACKLEN)
            break;
        shift += 7;
        p--;
    }
    *nbytes = n;
    return v;
}

/* Length of <encoding+data> of the entry at p. */
static uint64_t encoded_size(const unsigned char *p)
{
    unsigned char b = p[0];
    if ((b & 0x80) == 0)
        return 1;
    if ((b & 0xC0) == LP_ENC_6BIT_STR)
        return 1 + (uint64_t)(b & 0x3F);
    if ((b & 0xE0) == LP_ENC_13BIT_INT)
        return 2;
    if ((b & 0xF0) == LP_ENC_12BIT_STR)
        return 2 + ((uint64_t)(b & 0x0F) << 8 | p[1]);
    switch (b) {
    case LP_ENC_32BIT_STR:
        return 5 + (uint64_t)read_u32(p + 1);
    case LP_ENC_16BIT_INT:
        return 3;
    case LP_ENC_24BIT_INT:
        return 4;
    case LP_ENC_32BIT_INT:
        return 5;
    case LP_ENC_64BIT_INT:
        return 9;
    default:
        return 0; /* EOF or an invalid encoding */
    }
}

static size_t entry_size(const unsigned char *p)
{
    uint64_t l = encoded_size(p);
    return (size_t)(l + backlen_size(l));
}

/* ---------------- encoding ---------------- */

/* Encodes integer v (a whole entry without backlen) into buf; returns its
 * length. */
static unsigned encode_int(unsigned char *buf, long long v)
{
    if (v >= 0 && v <= 127) {
        buf[0] = (unsigned char)v;
        return 1;
    }
    uint64_t u = (uint64_t)v;
    if (v >= -4096 && v <= 4095) {
        u &= 0x1FFF;
        buf[0] = (unsigned char)(LP_ENC_13BIT_INT | (u >> 8));
        buf[1] = (unsigned char)u;
        return 2;
    }
    unsigned width;
    if (v >= INT16_MIN && v <= INT16_MAX) {
        buf[0] = LP_ENC_16BIT_INT;
        width = 2;
    } else if (v >= -8388608 && v <= 8388607) {
        buf[0] = LP_ENC_24BIT_INT;
        width = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        buf[0] = LP_ENC_32BIT_INT;
        width = 4;
    } else {
        buf[0] = LP_ENC_64BIT_INT;
        width = 8;
    }
    for (unsigned i = 0; i < width; i++)
        buf[1 + i] = (unsigned char)(u >> (8 * i));
    return 1 + width;
}

/* Encodes the header of a string of len bytes into buf; returns its length
 * (1, 2 or 5). */
static unsigned encode_str_header(unsigned char *buf, size_t len)
{
    if (len < 64) {
        buf[0] = (unsigned char)(LP_ENC_6BIT_STR | len);
        return 1;
    }
    if (len < 4096) {
        buf[0] = (unsigned char)(LP_ENC_12BIT_STR | (len >> 8));
        buf[1] = (unsigned char)len;
        return 2;
    }
    buf[0] = LP_ENC_32BIT_STR;
    write_u32(buf + 1, (uint32_t)len);
    return 5;
}

/* Sign-extends the low `bits` bits of u. */
static long long sign_extend(uint64_t u, unsigned bits)
{
    uint64_t m = 1ULL << (bits - 1);
    u &= (bits == 64) ? ~0ULL : ((1ULL << bits) - 1);
    return (long long)((u ^ m) - m);
}

void lp_get(const unsigned char *p, struct lp_val *v)
{
    unsigned char b = p[0];
    v->str = NULL;
    v->len = 0;
    if ((b & 0x80) == 0) {
        v->ll = b;
        return;
    }
    if ((b & 0xC0) == LP_ENC_6BIT_STR) {
        v->str = p + 1;
        v->len = b & 0x3F;
        return;
    }
    if ((b & 0xE0) == LP_ENC_13BIT_INT) {
        v->ll = sign_extend((uint64_t)(b & 0x1F) << 8 | p[1], 13);
        return;
    }
    if ((b & 0xF0) == LP_ENC_12BIT_STR) {
        v->str = p + 2;
        v->len = (uint32_t)(b & 0x0F) << 8 | p[1];
        return;
    }
    if (b == LP_ENC_32BIT_STR) {
        v->str = p + 5;
        v->len = read_u32(p + 1);
        return;
    }
    unsigned width = b == LP_ENC_16BIT_INT ? 2 : b == LP_ENC_24BIT_INT ? 3 : b == LP_ENC_32BIT_INT ? 4 : 8;
    uint64_t u = 0;
    for (unsigned i = 0; i < width; i++)
        u |= (uint64_t)p[1 + i] << (8 * i);
    v->ll = sign_extend(u, width * 8);
}

const char *lp_get_str(const unsigned char *p, char *buf, size_t *len)
{
    struct lp_val v;
    lp_get(p, &v);
    if (v.str) {
        *len = v.len;
        return (const char *)v.str;
    }
    *len = (size_t)ll2string(buf, LONG_STR_SIZE, v.ll);
    return buf;
}

/* The bytes s/len prepared for comparison with entries: its integer value
 * when it is canonical (then only integer entries can match), else the
 * bytes (then only string entries can). */
struct lp_needle {
    const char *s;
    size_t len;
    int is_int;
    long long ll;
};

static void needle_init(struct lp_needle *n, const char *s, size_t len)
{
    n->s = s;
    n->len = len;
    n->is_int = len <= 20 && string2ll(s, len, &n->ll);
}

static int needle_eq(const unsigned char *p, const struct lp_needle *n)
{
    unsigned char b = p[0];
    /* Fast path for the common string forms without a full decode. */
    if ((b & 0xC0) == LP_ENC_6BIT_STR)
        return !n->is_int && (size_t)(b & 0x3F) == n->len && memcmp(p + 1, n->s, n->len) == 0;
    struct lp_val v;
    lp_get(p, &v);
    if (v.str)
        return !n->is_int && v.len == n->len && memcmp(v.str, n->s, n->len) == 0;
    return n->is_int && v.ll == n->ll;
}

int lp_eq(const unsigned char *p, const char *s, size_t len)
{
    struct lp_needle n;
    needle_init(&n, s, len);
    return needle_eq(p, &n);
}

/* ---------------- whole block ---------------- */

unsigned char *lp_new(void)
{
    unsigned char *lp = lp_realloc(NULL, LP_EMPTY_BYTES);
    set_bytes(lp, LP_EMPTY_BYTES);
    set_count(lp, 0);
    lp[LP_HDR] = LP_EOF;
    return lp;
}

unsigned char *lp_dup(const unsigned char *lp)
{
    size_t bytes = lp_bytes(lp);
    unsigned char *copy = lp_realloc(NULL, bytes);
    memcpy(copy, lp, bytes);
    return copy;
}

void lp_free(unsigned char *lp)
{
    free(lp);
}

size_t lp_bytes(const unsigned char *lp)
{
    return read_u32(lp);
}

uint32_t lp_count(const unsigned char *lp)
{
    return read_u32(lp + 4);
}

/* ---------------- navigation ---------------- */

unsigned char *lp_first(unsigned char *lp)
{
    unsigned char *p = lp + LP_HDR;
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_last(unsigned char *lp)
{
    unsigned char *end = lp + lp_bytes(lp) - 1;
    return lp_prev(lp, end);
}

unsigned char *lp_next(unsigned char *lp, unsigned char *p)
{
    (void)lp;
    p += entry_size(p);
    return *p == LP_EOF ? NULL : p;
}

/* p may be the end marker (then the last entry is returned). */
unsigned char *lp_prev(unsigned char *lp, unsigned char *p)
{
    if (p == lp + LP_HDR)
        return NULL;
    unsigned n;
    uint64_t l = read_backlen(p - 1, &n);
    return p - n - l;
}

unsigned char *lp_seek(unsigned char *lp, long index)
{
    long count = (long)lp_count(lp);
    if (index < 0)
        index += count;
    if (index < 0 || index >= count)
        return NULL;
    unsigned char *p;
    if (index <= count / 2) {
        p = lp + LP_HDR;
        while (index-- > 0)
            p += entry_size(p);
    } else {
        p = lp + lp_bytes(lp) - 1;
        for (long i = count - index; i > 0; i--)
            p = lp_prev(lp, p);
    }
    return p;
}

/* ---------------- mutations ---------------- */

/*
 * The core of every mutation: replaces the `old_size` bytes at offset `off`
 * with one new entry (old_size 0: inserts), whose <encoding+data> is hdr/hlen
 * followed by data/dlen. count_delta is added to the count. Returns the new
 * block; *newp (if not NULL) is the new entry.
 */
static unsigned char *splice(unsigned char *lp, size_t off, size_t old_size, const unsigned char *hdr, unsigned hlen,
                             const char *data, size_t dlen, int count_delta, unsigned char **newp)
{
    size_t bytes = lp_bytes(lp);
    uint64_t l = (uint64_t)hlen + dlen;
    unsigned bl = backlen_size(l);
    size_t new_size = (size_t)l + bl;
    size_t new_bytes = bytes - old_size + new_size;
    if (new_bytes > UINT32_MAX)
        return lp; /* callers keep blocks far below 4 GiB; refuse rather than corrupt */

    /* data may point into lp itself (e.g. an entry copied to another
     * position): keep a copy across the realloc. */
    char *copy = NULL;
    if (dlen && (const unsigned char *)data >= lp && (const unsigned char *)data < lp + bytes) {
        copy = malloc(dlen);
        if (!copy)
            out_of_memory(dlen);
        memcpy(copy, data, dlen);
        data = copy;
    }
    size_t tail = bytes - off - old_size;
    if (new_bytes > bytes) {
        lp = lp_realloc(lp, new_bytes);
        memmove(lp + off + new_size, lp + off + old_size, tail);
    } else if (new_bytes < bytes) {
        memmove(lp + off + new_size, lp + off + old_size, tail);
        lp = lp_realloc(lp, new_bytes);
    }
    unsigned char *p = lp + off;
    memcpy(p, hdr, hlen);
    if (dlen)
        memcpy(p + hlen, data, dlen);
    write_backlen(p + l, l);
    set_bytes(lp, new_bytes);
    set_count(lp, (uint32_t)((long long)lp_count(lp) + count_delta));
    free(copy);
    if (newp)
        *newp = p;
    return lp;
}

/* Splices in s/len, stored as an integer when it is canonical. */
static unsigned char *splice_str(unsigned char *lp, size_t off, size_t old_size, const char *s, size_t len,
                                 int count_delta, unsigned char **newp)
{
    unsigned char hdr[LP_MAX_INT_ENTRY];
    long long v;
    if (len <= 20 && string2ll(s, len, &v))
        return splice(lp, off, old_size, hdr, encode_int(hdr, v), NULL, 0, count_delta, newp);
    if (len > UINT32_MAX)
        return lp;
    return splice(lp, off, old_size, hdr, encode_str_header(hdr, len), s, len, count_delta, newp);
}

unsigned char *lp_append(unsigned char *lp, const char *s, size_t len)
{
    return splice_str(lp, lp_bytes(lp) - 1, 0, s, len, 1, NULL);
}

unsigned char *lp_prepend(unsigned char *lp, const char *s, size_t len)
{
    return splice_str(lp, LP_HDR, 0, s, len, 1, NULL);
}

unsigned char *lp_append_int(unsigned char *lp, long long v)
{
    unsigned char hdr[LP_MAX_INT_ENTRY];
    return splice(lp, lp_bytes(lp) - 1, 0, hdr, encode_int(hdr, v), NULL, 0, 1, NULL);
}

unsigned char *lp_insert(unsigned char *lp, unsigned char *p, const char *s, size_t len, enum lp_where where,
                         unsigned char **newp)
{
    size_t off = (size_t)(p - lp);
    switch (where) {
    case LP_BEFORE:
        return splice_str(lp, off, 0, s, len, 1, newp);
    case LP_AFTER:
        /* p may be the end marker: then this appends. */
        return splice_str(lp, *p == LP_EOF ? off : off + entry_size(p), 0, s, len, 1, newp);
    case LP_REPLACE:
        return splice_str(lp, off, entry_size(p), s, len, 0, newp);
    }
    return lp;
}

unsigned char *lp_insert_int(unsigned char *lp, unsigned char *p, long long v, enum lp_where where,
                             unsigned char **newp)
{
    unsigned char hdr[LP_MAX_INT_ENTRY];
    unsigned hlen = encode_int(hdr, v);
    size_t off = (size_t)(p - lp);
    switch (where) {
    case LP_BEFORE:
        return splice(lp, off, 0, hdr, hlen, NULL, 0, 1, newp);
    case LP_AFTER:
        return splice(lp, *p == LP_EOF ? off : off + entry_size(p), 0, hdr, hlen, NULL, 0, 1, newp);
    case LP_REPLACE:
        return splice(lp, off, entry_size(p), hdr, hlen, NULL, 0, 0, newp);
    }
    return lp;
}

/* Removes `size` bytes holding `n` entries at offset off. */
static unsigned char *cut(unsigned char *lp, size_t off, size_t size, uint32_t n)
{
    size_t bytes = lp_bytes(lp);
    memmove(lp + off, lp + off + size, bytes - off - size);
    lp = lp_realloc(lp, bytes - size);
    set_bytes(lp, bytes - size);
    set_count(lp, lp_count(lp) - n);
    return lp;
}

unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **newp)
{
    size_t off = (size_t)(p - lp);
    lp = cut(lp, off, entry_size(p), 1);
    if (newp)
        *newp = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long count)
{
    unsigned char *p = lp_seek(lp, index);
    if (!p || count == 0)
        return lp;
    unsigned char *q = p;
    uint32_t n = 0;
    while (*q != LP_EOF && n < count) {
        q += entry_size(q);
        n++;
    }
    return cut(lp, (size_t)(p - lp), (size_t)(q - p), n);
}

unsigned char *lp_merge(unsigned char *lp, const unsigned char *other)
{
    size_t add = lp_bytes(other) - LP_EMPTY_BYTES;
    uint32_t n = lp_count(other);
    if (n == 0)
        return lp;
    size_t bytes = lp_bytes(lp);
    if (bytes + add > UINT32_MAX)
        return lp;
    lp = lp_realloc(lp, bytes + add);
    memcpy(lp + bytes - 1, other + LP_HDR, add);
    lp[bytes + add - 1] = LP_EOF;
    set_bytes(lp, bytes + add);
    set_count(lp, lp_count(lp) + n);
    return lp;
}

/* The entry after p, with the two most common shapes (small integers and
 * short strings, both with a 1-byte backlen) decoded inline. */
static inline unsigned char *skip_entry(unsigned char *p)
{
    unsigned char b = p[0];
    if ((b & 0x80) == 0)
        return p + 2;
    if ((b & 0xC0) == LP_ENC_6BIT_STR)
        return p + (b & 0x3F) + 2;
    return p + entry_size(p);
}

unsigned char *lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t len, unsigned skip)
{
    (void)lp;
    if (!p)
        return NULL;
    struct lp_needle n;
    needle_init(&n, s, len);
    while (*p != LP_EOF) {
        unsigned char b = p[0];
        if ((b & 0xC0) == LP_ENC_6BIT_STR) {
            /* Hot path (hash fields, set members): length and first byte
             * before memcmp. */
            size_t l = b & 0x3F;
            if (!n.is_int && l == len && (l == 0 || (p[1] == (unsigned char)s[0] && memcmp(p + 1, s, l) == 0)))
                return p;
            p += l + 2;
        } else {
            if (needle_eq(p, &n))
                return p;
            p += entry_size(p);
        }
        for (unsigned i = 0; i < skip && *p != LP_EOF; i++)
            p = skip_entry(p);
    }
    return NULL;
}

/* ---------------- validation ---------------- */

int lp_validate(const unsigned char *lp, size_t bytes)
{
    if (!lp || bytes < LP_EMPTY_BYTES || bytes > UINT32_MAX)
        return 0;
    if (read_u32(lp) != bytes || lp[bytes - 1] != LP_EOF)
        return 0;
    uint32_t count = read_u32(lp + 4), seen = 0;
    const unsigned char *end = lp + bytes - 1; /* the end marker */
    const unsigned char *p = lp + LP_HDR;
    while (p < end) {
        unsigned char b = p[0];
        if (b >= 0xF5) /* 0xF5..0xFE are unused; 0xFF only at the end */
            return 0;
        /* The encoding's fixed part must be inside the block before it is
         * read (12-bit and 32-bit string lengths span later bytes). */
        size_t avail = (size_t)(end - p);
        if ((b & 0xF0) == LP_ENC_12BIT_STR && avail < 2)
            return 0;
        if (b == LP_ENC_32BIT_STR && avail < 5)
            return 0;
        uint64_t l = encoded_size(p);
        unsigned bl = backlen_size(l);
        if (l == 0 || l + bl > avail)
            return 0;
        unsigned n;
        if (read_backlen(p + l + bl - 1, &n) != l || n != bl)
            return 0;
        struct lp_val v;
        lp_get(p, &v);
        long long ignored;
        if (v.str && v.len <= 20 && string2ll((const char *)v.str, v.len, &ignored))
            return 0; /* a canonical integer stored as a string */
        p += l + bl;
        if (++seen > count)
            return 0;
    }
    return p == end && seen == count;
}
