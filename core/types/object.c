/*
 * object.c - the keyspace entry (struct db_entry, see object.h): creation,
 * copying and freeing, and the string encodings INT, EMBSTR and RAW.
 *
 * Owner: the shard thread whose db holds the entry, or whoever holds an
 * unlinked entry. Nothing here touches shared state.
 *
 * Memory is the point of the layout. One malloc holds the 48-byte header,
 * the key and, for values of at most OBJ_EMBSTR_MAX bytes, the value: a
 * 16-byte key with a 32-byte value is exactly 96 bytes, one jemalloc size
 * class with no slack. Integers need no value bytes at all (v.i). Longer
 * values live in a separate RAW block whose capacity is whatever the
 * allocator gave (malloc_usable_size), so APPEND/SETRANGE grow it in place.
 *
 * Changing the size of the inline part means moving the entry to a new
 * block. When a linked entry moves, db_replace() re-points the chain link and
 * the expiry vector slot at the new address and frees the old block; every
 * function that can move an entry therefore takes the db and a
 * `struct db_entry **` and updates the caller's pointer. A NULL db means
 * "this entry is not linked anywhere" (an entry in transit between shards):
 * it is then moved without db_replace().
 *
 * Invariants:
 *   - ENC_INT: no value bytes follow the key; val_len is 0 (the length of the
 *     value is that of its decimal form, which entry_string computes).
 *   - ENC_EMBSTR: exactly val_len value bytes follow the key.
 *   - ENC_RAW: no value bytes follow the key; v.raw is a malloc'd block with
 *     malloc_usable_size(v.raw) >= val_len (never NULL, even for length 0).
 *   - lru of a new entry is the LRU clock of the current wall clock (see
 *     entry_now_ms), so OBJECT IDLETIME of a fresh key is 0 even when the
 *     creator does not touch it; lookups refresh it with the loop's now_ms.
 *
 * The integer rules are Redis's string2ll/ll2string (util.c); test_object
 * checks the edge cases ("0123", "-0", "+1", 21 digits, LLONG_MIN).
 */
#include <limits.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/types/object.h"

/* Decimal digits of the longest long long (LLONG_MIN) plus the NUL: the size
 * entry_string's tmp must have (util.h's LONG_STR_SIZE). */
#define OBJ_LONG_STR_SIZE 21
/* How far (seconds) an entry's lru may be ahead of the caller's clock and
 * still be read as "just touched" rather than as a wrapped 24-bit clock: the
 * entry may have been stamped with the live wall clock after the loop took
 * its now_ms. A real wraparound is 2^24 s (194 days) old, so this costs
 * nothing in practice. */
#define LRU_AHEAD_TOLERANCE 60
#define LRU_CLOCK_MAX 0xFFFFFFu

#define ENTRY_HEADER_SIZE offsetof(struct db_entry, key)

/* ---------------- allocation ---------------- */

/* Running out of memory is not recoverable at this layer (maxmemory and
 * eviction keep us away from it); fail loudly instead of corrupting. */
static void *obj_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

static void *obj_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

/* ---------------- integers with Redis's rules ---------------- */

/* ---------------- LRU clock ---------------- */

uint32_t lru_clock_now(int64_t now_ms)
{
    return (uint32_t)((uint64_t)(now_ms / 1000) & LRU_CLOCK_MAX);
}

long long entry_idle_seconds(const struct db_entry *e, int64_t now_ms)
{
    uint32_t now = lru_clock_now(now_ms);
    uint32_t lru = e->lru;
    if (now >= lru)
        return (long long)(now - lru);
    if (lru - now <= LRU_AHEAD_TOLERANCE)
        return 0;
    return (long long)(now + (LRU_CLOCK_MAX + 1 - lru));
}

/* The LRU clock of the live wall clock, for entries created without a
 * caller-provided "now". CLOCK_REALTIME is a vDSO call, cheap next to the
 * malloc that comes with it. */
static int64_t entry_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------- creation and freeing ---------------- */

/* Allocates an entry with room for `inline_len` value bytes after the key and
 * fills the header and the key. The value is the caller's to set. */
static struct db_entry *entry_alloc(uint64_t hash, const char *key, size_t klen, size_t inline_len,
                                    enum obj_encoding encoding)
{
    struct db_entry *e = obj_malloc(ENTRY_HEADER_SIZE + klen + inline_len);
    e->next = NULL;
    e->hash = hash;
    e->expire_at = 0;
    e->key_len = (uint32_t)klen;
    e->val_len = 0;
    e->type = OBJ_STRING;
    e->encoding = encoding;
    e->lru = evict_new_lru(entry_now_ms());
    e->expire_slot = 0;
    e->v.i = 0;
    if (klen)
        memcpy(e->key, key, klen);
    return e;
}

/* A RAW block holding len bytes of val, with capacity at least cap. */
static char *raw_block_new(const char *val, size_t len, size_t cap)
{
    char *block = obj_malloc(cap > len ? cap : len);
    if (len)
        memcpy(block, val, len);
    return block;
}

struct db_entry *entry_new_int(uint64_t hash, const char *key, size_t klen, long long v)
{
    struct db_entry *e = entry_alloc(hash, key, klen, 0, ENC_INT);
    e->v.i = v;
    return e;
}

struct db_entry *entry_new_string(uint64_t hash, const char *key, size_t klen, const char *val, size_t vlen)
{
    long long iv;
    if (string2ll(val, vlen, &iv))
        return entry_new_int(hash, key, klen, iv);
    struct db_entry *e;
    if (vlen <= OBJ_EMBSTR_MAX) {
        e = entry_alloc(hash, key, klen, vlen, ENC_EMBSTR);
        if (vlen)
            memcpy(e->key + klen, val, vlen);
    } else {
        e = entry_alloc(hash, key, klen, 0, ENC_RAW);
        e->v.raw = raw_block_new(val, vlen, vlen);
    }
    e->val_len = (uint32_t)vlen;
    return e;
}

/* Value bytes stored inside the entry after the key. */
static size_t entry_inline_len(const struct db_entry *e)
{
    return e->type == OBJ_STRING && e->encoding == ENC_EMBSTR ? e->val_len : 0;
}

/*
 * Frees the value's out-of-line part: a RAW block, or a collection's v.ptr.
 * No collection type exists yet; until each gets its own free function (to
 * be called from here), a non-NULL v.ptr is taken to be one malloc'd block.
 * Test helpers relabel empty strings as OBJ_LIST with v.ptr NULL.
 */
static void entry_free_value(struct db_entry *e)
{
    if (e->type == OBJ_STRING) {
        if (e->encoding == ENC_RAW)
            free(e->v.raw);
    } else if (e->v.ptr) {
        switch (e->type) {
        case OBJ_LIST:
            list_value_free(e);
            break;
        case OBJ_HASH:
            hash_value_free(e);
            break;
        case OBJ_SET:
            set_value_free(e);
            break;
        case OBJ_ZSET:
            zset_value_free(e);
            break;
        case OBJ_STREAM:
            stream_value_free(e);
            break;
        default:
            break;
        }
    }
    e->v.i = 0;
}

void entry_free(struct db_entry *e)
{
    if (!e)
        return;
    entry_free_value(e);
    free(e);
}

/*
 * The copy keeps the source's encoding (OBJECT ENCODING does not change on
 * RENAME), its expiry and its lru: RENAME is the main user and Redis keeps
 * the object, hence its idle time; COPY callers that want Redis's fresh
 * idle time reset lru themselves. A RAW copy gets a block of exactly val_len
 * bytes, not the source's spare capacity.
 */
struct db_entry *entry_dup_with_key(const struct db_entry *e, uint64_t hash, const char *key, size_t klen)
{
    size_t inline_len = entry_inline_len(e);
    struct db_entry *copy = entry_alloc(hash, key, klen, inline_len, (enum obj_encoding)e->encoding);
    copy->type = e->type;
    copy->expire_at = e->expire_at;
    copy->lru = e->lru;
    copy->val_len = e->val_len;
    if (e->type != OBJ_STRING) {
        copy->v.ptr = NULL;
        if (e->v.ptr) {
            switch (e->type) {
            case OBJ_LIST:
                copy->v.ptr = list_value_dup(e);
                break;
            case OBJ_HASH:
                copy->v.ptr = hash_value_dup(e);
                break;
            case OBJ_SET:
                copy->v.ptr = set_value_dup(e);
                break;
            case OBJ_ZSET:
                copy->v.ptr = zset_value_dup(e);
                break;
            case OBJ_STREAM:
                copy->v.ptr = stream_value_dup(e);
                break;
            default:
                break;
            }
        }
        return copy;
    }
    switch (e->encoding) {
    case ENC_INT:
        copy->v.i = e->v.i;
        break;
    case ENC_EMBSTR:
        if (inline_len)
            memcpy(copy->key + klen, e->key + e->key_len, inline_len);
        break;
    default:
        copy->v.raw = raw_block_new(e->v.raw, e->val_len, e->val_len);
        break;
    }
    return copy;
}

/* ---------------- string values ---------------- */

const char *entry_string(const struct db_entry *e, char *tmp, size_t *len)
{
    switch (e->encoding) {
    case ENC_INT:
        *len = (size_t)ll2string(tmp, LONG_STR_SIZE, e->v.i);
        return tmp;
    case ENC_EMBSTR:
        *len = e->val_len;
        return e->key + e->key_len;
    default:
        *len = e->val_len;
        return e->v.raw;
    }
}

/*
 * Moves *ep into a block where exactly inline_len bytes follow the key,
 * copying the header and the key (the caller has already saved or dropped
 * whatever value bytes were there, and sets the value afterwards). The copy
 * is made with malloc+memcpy rather than realloc so the old block is still
 * valid when db_replace() re-points the table at the new one; db_replace()
 * then frees the old block. With no db (an unlinked entry) it is freed here.
 */
static struct db_entry *entry_resize_inline(struct db *db, struct db_entry **ep, size_t inline_len)
{
    struct db_entry *old = *ep;
    size_t want = ENTRY_HEADER_SIZE + old->key_len + inline_len;
    size_t have = malloc_usable_size(old);
    /* Keep the block when it is big enough and would not shrink into a
     * smaller size class anyway (within 16 bytes of what is needed). */
    if (have >= want && have - want < 16)
        return old;
    struct db_entry *newer = obj_malloc(want);
    memcpy(newer, old, ENTRY_HEADER_SIZE + old->key_len);
    if (db)
        db_replace(db, old, newer);
    else
        free(old);
    *ep = newer;
    return newer;
}

char *entry_string_make_raw(struct db *db, struct db_entry **ep, size_t cap)
{
    struct db_entry *e = *ep;
    if (e->encoding == ENC_RAW) {
        if (malloc_usable_size(e->v.raw) < cap)
            e->v.raw = obj_realloc(e->v.raw, cap);
        return e->v.raw;
    }
    char tmp[OBJ_LONG_STR_SIZE];
    size_t len;
    const char *bytes = entry_string(e, tmp, &len);
    char *block = raw_block_new(bytes, len, cap);
    if (e->encoding == ENC_EMBSTR)
        e = entry_resize_inline(db, ep, 0);
    e->encoding = ENC_RAW;
    e->val_len = (uint32_t)len;
    e->v.raw = block;
    return block;
}

/*
 * Picks the encoding entry_new_string would and converts in place: the
 * entry is reallocated only when the inline part changes size, and a RAW
 * block is reused when the new value fits without wasting more than half
 * of it (the next APPEND then still grows in place). An entry of another
 * type becomes a string (its value is freed). val must not point into *ep.
 */
void entry_set_string(struct db *db, struct db_entry **ep, const char *val, size_t vlen)
{
    struct db_entry *e = *ep;
    long long iv;
    if (string2ll(val, vlen, &iv)) {
        entry_set_int(db, ep, iv);
        return;
    }
    if (vlen <= OBJ_EMBSTR_MAX) {
        entry_free_value(e);
        e = entry_resize_inline(db, ep, vlen);
        e->type = OBJ_STRING;
        e->encoding = ENC_EMBSTR;
        if (vlen)
            memcpy(e->key + e->key_len, val, vlen);
        e->val_len = (uint32_t)vlen;
        return;
    }
    if (e->type == OBJ_STRING && e->encoding == ENC_RAW) {
        size_t have = malloc_usable_size(e->v.raw);
        if (have < vlen || have / 2 > vlen) {
            free(e->v.raw);
            e->v.raw = obj_malloc(vlen);
        }
    } else {
        entry_free_value(e);
        if (entry_inline_len(e))
            e = entry_resize_inline(db, ep, 0);
        e->type = OBJ_STRING;
        e->encoding = ENC_RAW;
        e->v.raw = obj_malloc(vlen);
    }
    memcpy(e->v.raw, val, vlen);
    e->val_len = (uint32_t)vlen;
}

void entry_set_int(struct db *db, struct db_entry **ep, long long v)
{
    struct db_entry *e = *ep;
    entry_free_value(e);
    if (entry_inline_len(e))
        e = entry_resize_inline(db, ep, 0);
    e->type = OBJ_STRING;
    e->encoding = ENC_INT;
    e->val_len = 0;
    e->v.i = v;
}

/* ---------------- collections ---------------- */

struct db_entry *entry_new_collection(uint64_t hash, const char *key, size_t klen, int type, int encoding, void *value)
{
    struct db_entry *e = entry_alloc(hash, key, klen, 0, (enum obj_encoding)encoding);
    e->type = (uint32_t)type;
    e->val_len = 0;
    e->v.ptr = value;
    return e;
}

size_t entry_element_count(const struct db_entry *e)
{
    if (!e->v.ptr && e->type != OBJ_STRING)
        return 0;
    switch (e->type) {
    case OBJ_LIST:
        return list_value_len(e);
    case OBJ_HASH:
        return hash_value_len(e);
    case OBJ_SET:
        return set_value_len(e);
    case OBJ_ZSET:
        return zset_value_len(e);
    case OBJ_STREAM:
        return stream_value_len(e);
    default:
        return 1;
    }
}

/* ---------------- names ---------------- */

const char *entry_type_name(const struct db_entry *e)
{
    switch (e->type) {
    case OBJ_STRING:
        return "string";
    case OBJ_LIST:
        return "list";
    case OBJ_SET:
        return "set";
    case OBJ_ZSET:
        return "zset";
    case OBJ_HASH:
        return "hash";
    case OBJ_STREAM:
        return "stream";
    default:
        return "unknown";
    }
}

/* Redis 7.0 keeps every list in a quicklist (a small list is a quicklist of
 * one listpack node, which is what our bare listpack list is) and has no
 * listpack sets (a set that is not an intset is a hash table there): OBJECT
 * ENCODING answers those names, so replies match 7.0's whatever encoding we
 * chose inside. entry_encoding_name stays the internal name (logs, tests). */
const char *entry_object_encoding(const struct db_entry *e)
{
    if (e->type == OBJ_LIST)
        return "quicklist";
    if (e->type == OBJ_SET && e->encoding == ENC_LISTPACK)
        return "hashtable";
    return entry_encoding_name(e);
}

const char *entry_encoding_name(const struct db_entry *e)
{
    switch (e->encoding) {
    case ENC_LISTPACK:
        return "listpack";
    case ENC_QUICKLIST:
        return "quicklist";
    case ENC_INTSET:
        return "intset";
    case ENC_HASHTABLE:
        return "hashtable";
    case ENC_SKIPLIST:
        return "skiplist";
    case ENC_STREAM:
        return "stream";
    case ENC_RAW:
        return "raw";
    case ENC_INT:
        return "int";
    case ENC_EMBSTR:
        return "embstr";
    default:
        return "unknown";
    }
}
