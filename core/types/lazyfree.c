/*
 * lazyfree.c - what is freed in the background and how it is detached (see
 * lazyfree.h): small values are freed at once, big ones and whole dbs are
 * handed to the engine's background hook (shards/lazyfree.c's thread).
 * Extracted from the former core/types/lazyfree.c, whose thread moved to
 * shards/lazyfree.c.
 *
 * Threads: called on the shard thread that unlinked the value. Invariant:
 * the hook is set at start-up and read-only afterwards.
 */
#include "core/types/lazyfree.h"

#include <stddef.h>

static lazyfree_background_fn *background;

void lazyfree_set_background(lazyfree_background_fn *fn)
{
    background = fn;
}

void lazyfree_entry(struct db_entry *e)
{
    if (!e)
        return;
    if (!background || e->type == OBJ_STRING || entry_element_count(e) <= LAZYFREE_THRESHOLD) {
        entry_free(e);
        return;
    }
    background(e, NULL);
}

void lazyfree_db_clear(struct db *db)
{
    if (db_size(db) == 0)
        return;
    if (!background) {
        struct db *old = db_create();
        db_swap(db, old);
        db_destroy(old);
        return;
    }
    struct db *old = db_create();
    db_swap(db, old);
    background(NULL, old);
}
