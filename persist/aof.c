/*
 * aof.c - encoding and decoding of shardis log records (format in aof.h).
 *
 * Pure functions over caller buffers: the shard's append path encodes into
 * its batch buffer, recovery and shardis-check-log decode from a mapped or
 * read file. Every length read from disk is checked against the bytes that
 * remain before it is used, so a damaged file can only yield AOF_TRUNCATED or
 * AOF_CORRUPT, never an out-of-bounds read.
 *
 * Threads: pure, so any thread (a shard writing, the loader at start-up,
 * shardis-check-log).
 */
#include "persist/aof.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const char segment_magic[8] = {'S', 'H', 'D', 'L', 'O', 'G', 0, 0};

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

size_t aof_record_size(uint32_t argc, const uint32_t *argv_len)
{
    size_t size = AOF_RECORD_HEADER_SIZE + AOF_RECORD_TRAILER_SIZE;
    for (uint32_t i = 0; i < argc; i++)
        size += 4 + (size_t)argv_len[i];
    return size;
}

size_t aof_encode_record(uint8_t *out, uint8_t type, uint32_t db, uint64_t txn_id, uint16_t participants, uint32_t argc,
                         const char *const *argv, const uint32_t *argv_len)
{
    size_t payload = aof_record_size(argc, argv_len) - AOF_RECORD_HEADER_SIZE - AOF_RECORD_TRAILER_SIZE;
    put_u32(out, (uint32_t)payload);
    out[4] = type;
    out[5] = 0;
    put_u16(out + 6, participants);
    put_u32(out + 8, db);
    put_u64(out + 12, txn_id);
    put_u32(out + 20, argc);
    uint8_t *p = out + AOF_RECORD_HEADER_SIZE;
    for (uint32_t i = 0; i < argc; i++) {
        put_u32(p, argv_len[i]);
        if (argv_len[i])
            memcpy(p + 4, argv[i], argv_len[i]);
        p += 4 + argv_len[i];
    }
    size_t body = (size_t)(p - out);
    put_u64(p, XXH3_64bits(out, body));
    return body + AOF_RECORD_TRAILER_SIZE;
}

void aof_encode_segment_header(uint8_t *out, uint32_t shard_id)
{
    memcpy(out, segment_magic, sizeof segment_magic);
    put_u32(out + 8, AOF_VERSION);
    put_u32(out + 12, shard_id);
}

enum aof_status aof_decode_segment_header(const uint8_t *buf, size_t len, uint32_t *shard_id)
{
    if (len < AOF_SEGMENT_HEADER_SIZE)
        return AOF_TRUNCATED;
    if (memcmp(buf, segment_magic, sizeof segment_magic) != 0 || get_u32(buf + 8) != AOF_VERSION)
        return AOF_CORRUPT;
    *shard_id = get_u32(buf + 12);
    return AOF_OK;
}

enum aof_status aof_decode_record(const uint8_t *buf, size_t len, struct aof_record *rec)
{
    memset(rec, 0, sizeof *rec);
    if (len == 0)
        return AOF_END;
    if (len < AOF_RECORD_HEADER_SIZE)
        return AOF_TRUNCATED;
    uint32_t payload = get_u32(buf);
    if (payload > AOF_MAX_PAYLOAD)
        return AOF_CORRUPT;
    size_t total = (size_t)AOF_RECORD_HEADER_SIZE + payload + AOF_RECORD_TRAILER_SIZE;
    if (len < total)
        return AOF_TRUNCATED;
    size_t body = AOF_RECORD_HEADER_SIZE + payload;
    if (XXH3_64bits(buf, body) != get_u64(buf + body))
        return AOF_CORRUPT;

    uint8_t type = buf[4];
    uint32_t argc = get_u32(buf + 20);
    if ((type != AOF_REC_COMMAND && type != AOF_REC_TXN_END) || buf[5] != 0 || argc > payload / 4)
        return AOF_CORRUPT;
    rec->type = type;
    rec->participants = get_u16(buf + 6);
    rec->db = get_u32(buf + 8);
    rec->txn_id = get_u64(buf + 12);
    rec->argc = argc;
    rec->size = total;
    if (argc) {
        rec->argv = malloc(argc * sizeof *rec->argv);
        rec->argv_len = malloc(argc * sizeof *rec->argv_len);
        if (!rec->argv || !rec->argv_len) {
            aof_record_free(rec);
            return AOF_CORRUPT;
        }
    }
    const uint8_t *p = buf + AOF_RECORD_HEADER_SIZE;
    const uint8_t *end = buf + body;
    for (uint32_t i = 0; i < argc; i++) {
        if ((size_t)(end - p) < 4)
            goto corrupt;
        uint32_t n = get_u32(p);
        p += 4;
        if ((size_t)(end - p) < n)
            goto corrupt;
        rec->argv[i] = (const char *)p;
        rec->argv_len[i] = n;
        p += n;
    }
    if (p != end)
        goto corrupt;
    return AOF_OK;
corrupt:
    aof_record_free(rec);
    return AOF_CORRUPT;
}

void aof_record_free(struct aof_record *rec)
{
    free(rec->argv);
    free(rec->argv_len);
    rec->argv = NULL;
    rec->argv_len = NULL;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* A record that does not decode at the end of a pre-zeroed segment: torn
 * by a crash (its last bytes never reached the disk) when it runs past the
 * end, or when its last byte and everything after it are zeros. */
static int torn_record(const uint8_t *buf, size_t len)
{
    if (len < AOF_RECORD_HEADER_SIZE)
        return 1;
    uint64_t total = (uint64_t)AOF_RECORD_HEADER_SIZE + get_u32(buf) + AOF_RECORD_TRAILER_SIZE;
    if (total > len)
        return 1;
    return all_zero(buf + total - 1, (size_t)(len - total + 1));
}

enum aof_status aof_scan_segment(const uint8_t *buf, size_t len, aof_visit_fn visit, void *arg, size_t *offset)
{
    uint32_t shard_id;
    *offset = 0;
    enum aof_status st = aof_decode_segment_header(buf, len, &shard_id);
    if (st != AOF_OK)
        return st;
    size_t pos = AOF_SEGMENT_HEADER_SIZE;
    for (;;) {
        struct aof_record rec;
        *offset = pos;
        st = aof_decode_record(buf + pos, len - pos, &rec);
        if (st != AOF_OK && st != AOF_END) {
            /* Segments are filled with zeros ahead of the writes: zeros up
             * to the end are the unused rest, not a record. */
            if (all_zero(buf + pos, len - pos))
                return AOF_END;
            if (st == AOF_CORRUPT && torn_record(buf + pos, len - pos))
                return AOF_TRUNCATED;
        }
        if (st != AOF_OK)
            return st;
        if (visit)
            visit(&rec, arg);
        pos += rec.size;
        aof_record_free(&rec);
    }
}

/* Open-addressing table txn_id -> (participants, parts ended). Ids are never
 * 0, so 0 marks an empty slot. */
struct txn_slot {
    uint64_t txn_id;
    uint16_t participants;
    uint32_t parts_ended;
};

struct aof_txn_table {
    struct txn_slot *slots;
    size_t cap; /* power of two */
    size_t used;
};

struct aof_txn_table *aof_txn_table_new(void)
{
    struct aof_txn_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cap = 64;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    return t;
}

void aof_txn_table_free(struct aof_txn_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t);
}

static struct txn_slot *txn_find(const struct aof_txn_table *t, uint64_t txn_id)
{
    size_t mask = t->cap - 1;
    for (size_t i = XXH3_64bits(&txn_id, sizeof txn_id) & mask;; i = (i + 1) & mask) {
        if (t->slots[i].txn_id == txn_id || t->slots[i].txn_id == 0)
            return &t->slots[i];
    }
}

static int txn_grow(struct aof_txn_table *t)
{
    struct aof_txn_table bigger = {.cap = t->cap * 2};
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].txn_id)
            *txn_find(&bigger, t->slots[i].txn_id) = t->slots[i];
    }
    bigger.used = t->used;
    free(t->slots);
    *t = bigger;
    return 0;
}

void aof_txn_table_note(struct aof_txn_table *t, const struct aof_record *rec)
{
    if (rec->txn_id == 0 || rec->type != AOF_REC_TXN_END)
        return;
    if ((t->used + 1) * 2 > t->cap && txn_grow(t) != 0)
        return; /* out of memory: the transaction stays incomplete (not applied) */
    struct txn_slot *s = txn_find(t, rec->txn_id);
    if (s->txn_id == 0) {
        s->txn_id = rec->txn_id;
        s->participants = rec->participants;
        t->used++;
    }
    s->parts_ended++;
}

int aof_txn_complete(const struct aof_txn_table *t, uint64_t txn_id)
{
    if (txn_id == 0)
        return 1;
    const struct txn_slot *s = txn_find(t, txn_id);
    return s->txn_id == txn_id && s->participants > 0 && s->parts_ended >= s->participants;
}
