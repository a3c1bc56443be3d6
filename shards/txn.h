/*
 * txn.h - the two per-shard tables transactions need: the lock table (VLL-style
 * intent locks on key hashes with one FIFO wait queue) and the WATCH table
 * (versions of watched keys): the participant's side of a transaction.
 * The coordinator's side is shards/txn_coordinator.c (locking protocol) and
 * shards/txn_exec.c (MULTI, WATCH, EXEC); the shard applies SUB_LOCK,
 * SUB_UNLOCK, SUB_WATCH and SUB_EXEC to these tables in shards/shard.c.
 *
 * Owner: one shard thread per instance. Nothing is atomic and nothing is
 * locked; the tables are never touched by another thread.
 *
 * Lock table in short:
 *   - A struct lock_req names key hashes with a mode each (SHARED or EXCL), or
 *     the whole shard (global). SHARED/SHARED is compatible; EXCL conflicts
 *     with anything on the same key; a global request conflicts with every
 *     other request. Distinct keys with equal hashes simply conflict.
 *   - Requests are granted in arrival order: a new request waits when it
 *     conflicts with a holder OR with any request already waiting, so nobody
 *     overtakes an earlier conflicting request (no starvation). A request
 *     whose keys nobody holds or waits for is granted at once even while
 *     others wait.
 *   - A request is "hold" (it becomes a holder until locktab_release) or
 *     "parked" (hold == 0: a command that only has to wait for its turn; when
 *     granted it leaves the table and the caller runs it at once).
 *   - Duplicate keys in one request are counted per occurrence: a request
 *     never conflicts with itself, and release undoes exactly what the grant
 *     did. The caller must not change keys, modes, nkeys or global while the
 *     request is in the table.
 *
 * Internal allocation failure aborts (as Redis's zmalloc does); only the
 * constructors return NULL.
 */
#ifndef SHARDIS_TXN_H
#define SHARDIS_TXN_H

#include <stddef.h>
#include <stdint.h>

/* ---------------- lock table ---------------- */

enum lock_mode { LOCK_SHARED = 0, LOCK_EXCL = 1 };

enum lock_state { LOCK_STATE_NONE = 0, LOCK_STATE_WAITING = 1, LOCK_STATE_HELD = 2 };

/* A request for locks on one shard: a set of key-hash locks with modes, or the
 * whole shard (global barrier). Memory owned by the caller, who keeps it alive
 * while it is WAITING or HELD; the table only links it. A zeroed struct (plus
 * keys/modes/nkeys or global) is a valid new request. */
struct lock_req {
    struct lock_req *next, *prev; /* wait-queue links, owned by the table */
    int nkeys;
    uint64_t *keys;       /* lock names: key hashes, duplicates allowed */
    unsigned char *modes; /* LOCK_SHARED / LOCK_EXCL per key */
    int global;           /* 1: exclusive lock on the whole shard; nkeys ignored */
    int hold;             /* 1: when granted it holds until locktab_release();
                             0: parked command: when granted it only leaves the queue */
    int state;            /* enum lock_state */
    int waited;           /* set to 1 if it ever had to wait */
    void *owner;          /* opaque for the caller */
};

struct lock_table;

/* The counters the inline helpers read; the first member of struct lock_table,
 * not to be written by callers. */
struct locktab_counters {
    size_t held;    /* holder requests (key or global) */
    size_t waiting; /* requests in the wait queue */
};

/* NULL when out of memory. */
struct lock_table *locktab_create(void);
/* Frees the table only, never the requests still in it. */
void locktab_destroy(struct lock_table *t);

/* True when no lock is held and nothing waits: the fast path's only check. */
static inline int locktab_idle(const struct lock_table *t)
{
    const struct locktab_counters *c = (const struct locktab_counters *)t;
    return (c->held | c->waiting) == 0;
}

/* Would r have to wait? (It conflicts with a holder or with any request in
 * the wait queue, all of which are earlier than r.) Changes nothing; r must
 * not be in the table. */
int locktab_conflicts(const struct lock_table *t, const struct lock_req *r);

/* Grants r now if it does not conflict (as above) and returns 1: r->state is
 * HELD if r->hold, else NONE (nothing changed in the table). Returns 0 and
 * changes nothing otherwise. r must not be in the table. */
int locktab_try(struct lock_table *t, struct lock_req *r);

/* Grants r now if possible (returns 1 as locktab_try), else appends r to the
 * wait queue and returns 0 (r->state = WAITING, r->waited = 1). */
int locktab_acquire(struct lock_table *t, struct lock_req *r);

/* Releases held request r (HELD -> NONE), then grants waiters in queue order:
 * a waiter is granted when it conflicts neither with a holder nor with an
 * earlier waiter still waiting after this pass. Granted waiters leave the
 * queue (hold=1 ones become holders, hold=0 ones become NONE) and are returned
 * as a list linked through ->next, in queue order, NULL-terminated; NULL when
 * none was granted. The table forgets the list when it returns: the caller may
 * call into the table again while walking it (read ->next before that).
 *
 * Note for the caller: a parked (hold=0) waiter on the list is not in the
 * table any more, so a lock granted by a nested release while the caller is
 * still walking this list may conflict with a parked command further down the
 * list that has not run yet. Run or hand off the whole list before releasing
 * anything else, or queue those releases. */
struct lock_req *locktab_release(struct lock_table *t, struct lock_req *r);

/* Removes waiting request r from the queue (WAITING -> NONE), e.g. when its
 * client goes away, then grants the waiters r was blocking, returned as
 * locktab_release does. */
struct lock_req *locktab_cancel(struct lock_table *t, struct lock_req *r);

/* Stats for INFO. */
static inline size_t locktab_waiting(const struct lock_table *t) /* requests in the wait queue */
{
    return ((const struct locktab_counters *)t)->waiting;
}
static inline size_t locktab_held(const struct lock_table *t) /* holder requests */
{
    return ((const struct locktab_counters *)t)->held;
}
/* Distinct lock names (key hashes) that are held or waited for. */
size_t locktab_names(const struct lock_table *t);

/* ---------------- WATCH table ----------------
 *
 * One entry per watched (dbid, key), shared by all its watchers through a
 * refcount. Versions come from a table-wide clock that starts at 1: touching
 * a watched key sets its version to ++clock, and a new entry starts at the
 * current clock, so a key's version only grows, also across being unwatched
 * and watched again, and a watched key's version is never 0. */

struct watch_table;

/* The first member of struct watch_table, read by the inline helpers. */
struct watchtab_counters {
    size_t count; /* distinct watched keys */
};

/* NULL when out of memory. */
struct watch_table *watchtab_create(void);
void watchtab_destroy(struct watch_table *t);

/* Registers one watcher of (dbid, key): refcount++, the key bytes are copied
 * on the first one. Returns the key's current version. `hash` is the key's
 * 64-bit hash; equality is decided on dbid and the bytes. */
uint64_t watchtab_add(struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len);

/* Drops one watcher (refcount--; the entry is freed at 0). Unknown keys are
 * ignored. */
void watchtab_remove(struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len);

/* Current version of a watched key; 0 for a key nobody watches. */
uint64_t watchtab_version(const struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len);

static inline size_t watchtab_count(const struct watch_table *t) /* distinct watched keys */
{
    return ((const struct watchtab_counters *)t)->count;
}

/* watchtab_touch without the empty-table check. */
void watchtab_touch_watched(struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len);

/* A write to (dbid, key): bumps its version if it is watched. One load and
 * compare when nothing is watched. */
static inline void watchtab_touch(struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len)
{
    if (watchtab_count(t))
        watchtab_touch_watched(t, dbid, hash, key, len);
}

/* FLUSHDB / FLUSHALL / SWAPDB: for every watched key of dbid (-1: of every
 * db) calls pred(arg, dbid, hash, key, len) and bumps the key's version when
 * it returns nonzero. pred must not call into the table. */
void watchtab_touch_if(struct watch_table *t, int dbid,
                       int (*pred)(void *arg, int dbid, uint64_t hash, const char *key, size_t len), void *arg);

#endif
