/*
 * test_lazyfree.c - the background freeing thread (shards/lazyfree.c, fed by
 * core/types/lazyfree.c).
 *
 * What matters to callers: the keys are gone from the db at once, whatever
 * is handed over is eventually freed exactly once (the counters add up and
 * ASan/LSan find neither a leak nor a double free), and small values never
 * take the detour.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/lazyfree.h"
#include "shards/lazyfree.h"
#include "core/types/object.h"

/* The engine's thread, as the server installs it at start-up. */
TestSuite(lazyfree, .init = lazyfree_thread_install);

static struct db_entry *string_entry(const char *key, const char *val)
{
    return entry_new_string(key_hash(key, strlen(key)), key, strlen(key), val, strlen(val));
}

Test(lazyfree, small_entries_are_freed_at_once)
{
    size_t before = lazyfree_freed();
    for (int i = 0; i < 100; i++)
        lazyfree_entry(string_entry("k", "a value that is not an integer"));
    lazyfree_entry(NULL);
    lazyfree_drain();
    cr_assert_eq(lazyfree_freed(), before, "strings must not go through the thread");
    cr_assert_eq(lazyfree_pending(), 0);
}

Test(lazyfree, db_clear_empties_at_once_and_frees_in_background)
{
    struct db *db = db_create();
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        db_insert(db, string_entry(key, "some value bytes that are not an integer"));
    }
    size_t before = lazyfree_freed();
    lazyfree_db_clear(db);
    cr_assert_eq(db_size(db), 0);
    /* the db is usable at once */
    db_insert(db, string_entry("fresh", "v"));
    cr_assert_not_null(db_find(db, key_hash("fresh", 5), "fresh", 5));
    cr_assert_null(db_find(db, key_hash("key:7", 5), "key:7", 5));
    lazyfree_drain();
    cr_assert_eq(lazyfree_freed(), before + 1, "one detached table freed");
    cr_assert_eq(lazyfree_pending(), 0);
    /* an empty db hands nothing over */
    struct db *empty = db_create();
    lazyfree_db_clear(empty);
    lazyfree_drain();
    cr_assert_eq(lazyfree_freed(), before + 1);
    db_destroy(empty);
    db_destroy(db);
}

Test(lazyfree, many_tables_in_a_row)
{
    size_t before = lazyfree_freed();
    struct db *db = db_create();
    char key[32];
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 200; i++) {
            snprintf(key, sizeof(key), "r%d:%d", round, i);
            db_insert(db, string_entry(key, "value"));
        }
        lazyfree_db_clear(db);
        cr_assert_eq(db_size(db), 0);
    }
    lazyfree_drain();
    cr_assert_eq(lazyfree_freed(), before + 50);
    db_destroy(db);
}
