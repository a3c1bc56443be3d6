/*
 * test_object.c - unit tests for core/types/object.c: the choice between the INT,
 * EMBSTR and RAW string encodings (with Redis's strict integer rules), the
 * bytes entry_string gives back for each, the conversions that may move an
 * entry (entry_string_make_raw, entry_set_string, entry_set_int) and keep
 * the db's chain link and expiry slot pointing at it, entry_dup_with_key,
 * the type and encoding names, and the LRU clock.
 *
 * Hashes are computed with XXH3_64bits directly (what key_hash() does), so
 * these tests depend only on object.c and db.c.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "core/types/db.h"
#include "core/types/object.h"

#define NOW 1700000000000LL

static uint64_t hash_of(const char *key)
{
    return XXH3_64bits(key, strlen(key));
}

static struct db_entry *new_string(const char *key, const char *val)
{
    return entry_new_string(hash_of(key), key, strlen(key), val, strlen(val));
}

/* Asserts that e's string value is exactly the len bytes of want. */
static void assert_value(const struct db_entry *e, const char *want, size_t len)
{
    char tmp[21];
    size_t got_len;
    const char *got = entry_string(e, tmp, &got_len);
    cr_assert_eq(got_len, len, "value length %zu, expected %zu", got_len, len);
    cr_assert(memcmp(got, want, len) == 0, "value bytes differ");
}

static void assert_cvalue(const struct db_entry *e, const char *want)
{
    assert_value(e, want, strlen(want));
}

static void assert_key(const struct db_entry *e, const char *key)
{
    cr_assert_eq(e->key_len, strlen(key));
    cr_assert(memcmp(e->key, key, e->key_len) == 0);
    cr_assert_eq(e->hash, hash_of(key));
}

static struct db_entry *find(struct db *db, const char *key)
{
    return db_find(db, hash_of(key), key, strlen(key));
}

/* A value of n bytes, all 'x' but the first and last, to catch truncation. */
static char *filler(size_t n)
{
    char *s = malloc(n + 1);
    memset(s, 'x', n);
    if (n) {
        s[0] = '<';
        s[n - 1] = '>';
    }
    s[n] = '\0';
    return s;
}

/* ---------------- encoding choice ---------------- */

Test(object, canonical_integers_are_int_encoded)
{
    static const struct {
        const char *text;
        long long value;
    } cases[] = {
        {"0", 0},
        {"123", 123},
        {"-123", -123},
        {"1", 1},
        {"-1", -1},
        {"9223372036854775807", LLONG_MAX},
        {"-9223372036854775808", LLONG_MIN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct db_entry *e = new_string("k", cases[i].text);
        cr_assert_eq(e->type, OBJ_STRING);
        cr_assert_eq(e->encoding, ENC_INT, "%s should be INT", cases[i].text);
        cr_assert_eq(e->v.i, cases[i].value, "%s", cases[i].text);
        assert_cvalue(e, cases[i].text);
        cr_assert_str_eq(entry_encoding_name(e), "int");
        entry_free(e);
    }
}

Test(object, non_canonical_numbers_are_strings)
{
    static const char *const cases[] = {
        "0123",
        "-0",
        "1.5",
        "+1",
        " 1",
        "1 ",
        "",
        "-",
        "00",
        "1e3",
        "0x10",
        "12a",
        "9223372036854775808",   /* LLONG_MAX + 1 */
        "-9223372036854775809",  /* LLONG_MIN - 1 */
        "100000000000000000000", /* 21 digits */
        "18446744073709551616",  /* 2^64: must not wrap around */
        "-00000000000000000001",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct db_entry *e = new_string("k", cases[i]);
        cr_assert_eq(e->encoding, ENC_EMBSTR, "\"%s\" should be EMBSTR, is %d", cases[i], e->encoding);
        cr_assert_eq(e->val_len, strlen(cases[i]));
        assert_cvalue(e, cases[i]);
        cr_assert_str_eq(entry_encoding_name(e), "embstr");
        entry_free(e);
    }
}

Test(object, embstr_up_to_the_limit_then_raw)
{
    char *at_limit = filler(OBJ_EMBSTR_MAX);
    char *over = filler(OBJ_EMBSTR_MAX + 1);

    struct db_entry *e = new_string("key", at_limit);
    cr_assert_eq(e->encoding, ENC_EMBSTR);
    assert_key(e, "key");
    /* The value follows the key inside the one block. */
    cr_assert(memcmp(e->key + e->key_len, at_limit, OBJ_EMBSTR_MAX) == 0);
    cr_assert_geq(malloc_usable_size(e), offsetof(struct db_entry, key) + 3 + OBJ_EMBSTR_MAX);
    assert_cvalue(e, at_limit);
    entry_free(e);

    e = new_string("key", over);
    cr_assert_eq(e->encoding, ENC_RAW);
    cr_assert_str_eq(entry_encoding_name(e), "raw");
    cr_assert_eq(e->val_len, OBJ_EMBSTR_MAX + 1);
    cr_assert_geq(malloc_usable_size(e->v.raw), OBJ_EMBSTR_MAX + 1);
    assert_key(e, "key");
    assert_cvalue(e, over);
    entry_free(e);

    free(at_limit);
    free(over);
}

Test(object, binary_values_and_empty_key)
{
    static const char bin[] = {'a', '\0', 'b', '\r', '\n', '\0'};
    struct db_entry *e = entry_new_string(hash_of(""), "", 0, bin, sizeof(bin));
    cr_assert_eq(e->encoding, ENC_EMBSTR);
    cr_assert_eq(e->key_len, 0);
    assert_value(e, bin, sizeof(bin));
    entry_free(e);
}

Test(object, new_int_and_new_entry_defaults)
{
    struct db_entry *e = entry_new_int(hash_of("counter"), "counter", 7, -42);
    cr_assert_eq(e->encoding, ENC_INT);
    cr_assert_eq(e->type, OBJ_STRING);
    cr_assert_eq(e->expire_at, 0);
    cr_assert_null(e->next);
    assert_key(e, "counter");
    assert_cvalue(e, "-42");
    cr_assert_str_eq(entry_type_name(e), "string");
    /* An INT entry carries no value bytes after the key. */
    cr_assert_lt(malloc_usable_size(e), offsetof(struct db_entry, key) + 7 + 24);
    entry_free(e);
}

Test(object, struct_layout_is_48_bytes_of_header)
{
    cr_assert_eq(offsetof(struct db_entry, key), 48);
    cr_assert_eq(sizeof(struct db_entry), 48);
}

/* ---------------- conversions ---------------- */

Test(object, make_raw_converts_embstr_and_moves_the_entry)
{
    struct db *db = db_create();
    char *val = filler(100);
    struct db_entry *e = new_string("k1", val);
    db_insert(db, e);
    db_insert(db, new_string("k2", "other"));
    cr_assert_eq(e->encoding, ENC_EMBSTR);

    struct db_entry *before = e;
    char *p = entry_string_make_raw(db, &e, 300);
    /* Dropping 100 inline bytes always moves the entry to a smaller block
     * (the old block is still allocated while the copy is made). */
    cr_assert_neq(e, before);
    cr_assert_eq(e->encoding, ENC_RAW);
    cr_assert_eq(e->val_len, 100, "make_raw keeps val_len");
    cr_assert_eq(p, e->v.raw);
    cr_assert_geq(malloc_usable_size(p), 300);
    cr_assert(memcmp(p, val, 100) == 0);
    assert_key(e, "k1");
    cr_assert_eq(find(db, "k1"), e, "the table points at the moved entry");
    cr_assert_eq(db_size(db), 2);

    /* APPEND-like use: write past the old length, then set val_len. */
    memcpy(p + 100, "tail", 4);
    e->val_len = 104;
    char want[104];
    memcpy(want, val, 100);
    memcpy(want + 100, "tail", 4);
    assert_value(find(db, "k1"), want, sizeof(want));

    /* Already RAW with room: same block, nothing moves. */
    struct db_entry *same = e;
    char *q = entry_string_make_raw(db, &e, 200);
    cr_assert_eq(e, same);
    cr_assert_eq(q, p);
    /* Already RAW without room: the block grows, the bytes stay. */
    q = entry_string_make_raw(db, &e, 100000);
    cr_assert_eq(e, same);
    cr_assert_geq(malloc_usable_size(q), 100000);
    assert_value(e, want, sizeof(want));

    free(val);
    db_destroy(db);
}

Test(object, make_raw_keeps_the_expiry_slot)
{
    struct db *db = db_create();
    struct db_entry *e = new_string("volatile", "some embedded value of a decent length....");
    e->expire_at = NOW + 1000;
    db_insert(db, e);
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof(key), "v%d", i);
        struct db_entry *o = new_string(key, "x");
        o->expire_at = NOW + 5000;
        db_insert(db, o);
    }
    cr_assert_eq(db_expires_size(db), 11);
    entry_string_make_raw(db, &e, 64);
    cr_assert_eq(e->expire_at, NOW + 1000);
    /* Clearing the TTL goes through the expiry slot, which must name the new
     * entry (db.c asserts it in debug builds). */
    db_set_expire(db, e, 0);
    cr_assert_eq(db_expires_size(db), 10);
    db_set_expire(db, e, NOW + 10);
    cr_assert_eq(db_expires_size(db), 11);
    /* The active cycle reaches the moved entry through the vector. */
    size_t deleted = 0;
    for (int round = 0; round < 100 && find(db, "volatile"); round++)
        deleted += db_expire_cycle(db, NOW + 100, 11);
    cr_assert_eq(deleted, 1);
    cr_assert_null(find(db, "volatile"));
    cr_assert_eq(db_size(db), 10);
    db_destroy(db);
}

Test(object, make_raw_converts_int_to_its_decimal_bytes)
{
    struct db *db = db_create();
    struct db_entry *e = new_string("n", "-12345");
    db_insert(db, e);
    cr_assert_eq(e->encoding, ENC_INT);
    char *p = entry_string_make_raw(db, &e, 10);
    cr_assert_eq(e->encoding, ENC_RAW);
    cr_assert_eq(e->val_len, 6);
    cr_assert(memcmp(p, "-12345", 6) == 0);
    cr_assert_eq(find(db, "n"), e);
    assert_cvalue(e, "-12345");
    db_destroy(db);
}

Test(object, make_raw_on_an_unlinked_entry)
{
    struct db_entry *e = new_string("loose", "abc");
    char *p = entry_string_make_raw(NULL, &e, 0);
    cr_assert_eq(e->encoding, ENC_RAW);
    cr_assert(memcmp(p, "abc", 3) == 0);
    assert_key(e, "loose");
    entry_free(e);

    e = new_string("empty", "");
    p = entry_string_make_raw(NULL, &e, 0);
    cr_assert_not_null(p, "a RAW block exists even for an empty value");
    cr_assert_eq(e->val_len, 0);
    assert_cvalue(e, "");
    entry_free(e);
}

/* Walks one entry through every encoding change, checking after each step
 * that the table still finds it at *ep and that the bytes are right. */
Test(object, set_string_and_set_int_switch_encodings)
{
    struct db *db = db_create();
    char *small = filler(60);
    char *big = filler(500);
    char *mid = filler(700);
    char *bigger = filler(900);
    struct db_entry *e = new_string("key", "hello");
    e->expire_at = NOW + 1000;
    db_insert(db, e);
    db_insert(db, new_string("neighbour", "n"));

#define CHECK(enc, text)                                                                                               \
    do {                                                                                                               \
        cr_assert_eq(find(db, "key"), e);                                                                              \
        cr_assert_eq(e->encoding, enc);                                                                                \
        assert_cvalue(e, text);                                                                                        \
        assert_key(e, "key");                                                                                          \
        cr_assert_eq(e->expire_at, NOW + 1000);                                                                        \
    } while (0)

    entry_set_string(db, &e, "12", 2);
    CHECK(ENC_INT, "12");
    entry_set_string(db, &e, big, 500);
    CHECK(ENC_RAW, big);
    entry_set_string(db, &e, bigger, 900);
    CHECK(ENC_RAW, bigger);
    char *block = e->v.raw; /* 900 bytes asked, at most 1024 given by any allocator */
    entry_set_string(db, &e, mid, 700);
    CHECK(ENC_RAW, mid);
    cr_assert_eq(e->v.raw, block, "a RAW block at most half empty is reused");
    entry_set_string(db, &e, big, 500);
    CHECK(ENC_RAW, big);
    entry_set_string(db, &e, small, 60);
    CHECK(ENC_EMBSTR, small);
    entry_set_string(db, &e, "tiny", 4);
    CHECK(ENC_EMBSTR, "tiny");
    entry_set_string(db, &e, small, 60);
    CHECK(ENC_EMBSTR, small);
    entry_set_int(db, &e, LLONG_MIN);
    CHECK(ENC_INT, "-9223372036854775808");
    entry_set_int(db, &e, 7);
    CHECK(ENC_INT, "7");
    entry_set_string(db, &e, "", 0);
    CHECK(ENC_EMBSTR, "");
    entry_set_string(db, &e, big, 500);
    entry_set_int(db, &e, 99);
    CHECK(ENC_INT, "99");
    entry_set_string(db, &e, "007", 3);
    CHECK(ENC_EMBSTR, "007");
#undef CHECK

    cr_assert_eq(db_size(db), 2);
    cr_assert_eq(db_expires_size(db), 1);
    db_set_expire(db, e, 0); /* the slot must still name e */
    cr_assert_eq(db_expires_size(db), 0);
    assert_cvalue(find(db, "neighbour"), "n");
    free(small);
    free(big);
    free(mid);
    free(bigger);
    db_destroy(db);
}

/* Until collections exist, command tests relabel an empty string as a list
 * with v.ptr NULL; freeing, copying and overwriting it must work. */
Test(object, placeholder_collections_are_freed_copied_and_overwritten)
{
    struct db *db = db_create();
    char *big = filler(300);
    const char *values[] = {"12", "short", big};
    const int encodings[] = {ENC_INT, ENC_EMBSTR, ENC_RAW};
    for (int i = 0; i < 3; i++) {
        struct db_entry *e = new_string("list", "");
        e->type = OBJ_LIST;
        e->encoding = ENC_RAW;
        e->v.ptr = NULL;
        e->val_len = 0;
        db_insert(db, e);
        cr_assert_str_eq(entry_type_name(e), "list");
        struct db_entry *copy = entry_dup_with_key(e, hash_of("l2"), "l2", 2);
        cr_assert_eq(copy->type, OBJ_LIST);
        entry_free(copy);
        entry_set_string(db, &e, values[i], strlen(values[i]));
        cr_assert_eq(e->type, OBJ_STRING);
        cr_assert_eq(e->encoding, encodings[i]);
        assert_cvalue(e, values[i]);
        cr_assert_eq(find(db, "list"), e);
        cr_assert_eq(db_delete(db, e->hash, "list", 4), 1);
    }
    struct db_entry *e = new_string("list", "");
    e->type = OBJ_HASH;
    e->encoding = ENC_RAW;
    e->v.ptr = NULL;
    db_insert(db, e);
    entry_set_int(db, &e, 5);
    cr_assert_eq(e->type, OBJ_STRING);
    assert_cvalue(e, "5");
    free(big);
    db_destroy(db);
}

Test(object, dup_with_key_copies_each_encoding)
{
    char *big = filler(1000);
    const char *values[] = {"12345", "embedded", big};
    const int encodings[] = {ENC_INT, ENC_EMBSTR, ENC_RAW};
    for (int i = 0; i < 3; i++) {
        struct db_entry *e = new_string("source", values[i]);
        e->expire_at = NOW + 77;
        e->lru = 1234;
        struct db_entry *copy =
            entry_dup_with_key(e, hash_of("a much longer destination key"), "a much longer destination key", 29);
        cr_assert_eq(copy->encoding, encodings[i]);
        cr_assert_eq(copy->type, OBJ_STRING);
        cr_assert_eq(copy->expire_at, NOW + 77);
        cr_assert_eq(copy->lru, 1234);
        cr_assert_null(copy->next);
        assert_key(copy, "a much longer destination key");
        assert_cvalue(copy, values[i]);
        if (encodings[i] == ENC_RAW)
            cr_assert_neq(copy->v.raw, e->v.raw, "RAW values are deep-copied");
        entry_free(e);
        assert_cvalue(copy, values[i]);
        entry_free(copy);
    }
    free(big);
}

Test(object, type_and_encoding_names)
{
    struct db_entry *e = new_string("k", "v");
    cr_assert_str_eq(entry_type_name(e), "string");
    cr_assert_str_eq(entry_encoding_name(e), "embstr");
    e->type = OBJ_LIST;
    cr_assert_str_eq(entry_type_name(e), "list");
    e->type = OBJ_SET;
    cr_assert_str_eq(entry_type_name(e), "set");
    e->type = OBJ_ZSET;
    cr_assert_str_eq(entry_type_name(e), "zset");
    e->type = OBJ_HASH;
    cr_assert_str_eq(entry_type_name(e), "hash");
    e->type = OBJ_STRING;
    entry_free(e);
}

/* ---------------- LRU clock ---------------- */

Test(object, lru_clock_and_idle_time)
{
    cr_assert_eq(lru_clock_now(0), 0);
    cr_assert_eq(lru_clock_now(1999), 1);
    cr_assert_eq(lru_clock_now((int64_t)0x1000005 * 1000), 5, "wraps at 2^24 seconds");

    struct db_entry *e = new_string("k", "v");
    e->lru = lru_clock_now(NOW);
    cr_assert_eq(entry_idle_seconds(e, NOW), 0);
    cr_assert_eq(entry_idle_seconds(e, NOW + 999), 0);
    cr_assert_eq(entry_idle_seconds(e, NOW + 10000), 10);
    /* Touched near the top of the 24-bit clock, read after it wrapped. */
    e->lru = 0xFFFFFF - 4;
    cr_assert_eq(entry_idle_seconds(e, (int64_t)0x1000003 * 1000), 8);
    /* Stamped a second after the caller's "now" (the loop took now_ms before
     * the entry was created): just touched, not 194 days idle. */
    e->lru = lru_clock_now(NOW) + 1;
    cr_assert_eq(entry_idle_seconds(e, NOW), 0);
    entry_free(e);
}

Test(object, new_entries_are_stamped_with_the_wall_clock)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    struct db_entry *e = new_string("fresh", "v");
    cr_assert_eq(entry_idle_seconds(e, now_ms), 0);
    cr_assert_leq(entry_idle_seconds(e, now_ms + 2000), 2);
    entry_free(e);
}
