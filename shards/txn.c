/*
 * txn.c - the per-shard lock table and WATCH table, see txn.h (the
 * participant's side; the coordinator's is txn_coordinator.c and
 * txn_exec.c).
 *
 * Owner: one shard thread per instance; nothing here is shared or atomic.
 *
 * Lock table layout:
 *   - `names` is an open-addressing hash map (linear probing, power-of-two
 *     size, at most half full) from a lock name (key hash) to the number of
 *     key occurrences that hold it SHARED / EXCL and that wait for it SHARED /
 *     EXCL. An entry exists exactly while one of the four counts is nonzero.
 *     Key hashes are remixed (Fibonacci hashing, top bits) before probing
 *     because keys routed to one shard may share their low bits. Removal
 *     shifts the following entries back (no tombstones), so indexes into the
 *     map are only valid until the next insert or removal: every use looks
 *     the name up again.
 *   - Holder requests are counted, not linked. Waiting requests are linked
 *     in `queue_head..queue_tail` in arrival order through next/prev.
 *   - held_global / waiting_global count global requests among them. A held
 *     global request is the only holder (it conflicts with every other).
 *   - A request is counted per key occurrence: the same key twice adds two
 *     counts, which the release takes back. A request is never compared with
 *     counts that include itself (it is checked while it is outside the table
 *     or, in the grant pass, only against holders and earlier waiters), so
 *     duplicates need no deduplication.
 *
 * Conflict rules, with counts as above:
 *   key request, key k, mode m: conflicts when a global request is held or
 *     waits, or when k is held or waited for EXCL, or when m is EXCL and k is
 *     held or waited for at all.
 *   global request: conflicts when anything is held or waits.
 *
 * The grant pass (after a release or a cancel) walks the queue once, front
 * to back. Each waiter is checked against the holders (including those
 * granted earlier in this pass) and against the waiters before it that stay
 * waiting; the latter are recorded in per-entry flags stamped with the pass
 * number (`pass`), so nothing needs clearing between passes. A global waiter
 * that stays waiting blocks everything after it, so the pass stops there; a
 * held global lock blocks every waiter, so there is no pass at all.
 * Cost: O(keys of the waiters visited).
 *
 * WATCH table layout: a chained hash table of entries (dbid, key bytes,
 * refcount, version), buckets chosen by the remixed key hash, grown at load
 * factor 1 and shrunk below 1/8. The clock and the versions are described in
 * txn.h.
 */
#include "shards/txn.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", size);
    abort();
}

/* Fibonacci hashing: the top `bits` bits of hash * 2^64/phi. Spreads hashes
 * that differ only in their high bits over the whole table. */
static size_t remix(uint64_t hash, unsigned bits)
{
    return (size_t)((hash * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
}

/* ---------------- lock table ---------------- */

#define NAMES_MIN_BITS 4 /* 16 slots */

/* pass_modes bits: an earlier waiter that stays waiting in this pass wants
 * the name SHARED / EXCL. */
#define PASS_SHARED 1
#define PASS_EXCL 2

struct lock_name {
    uint64_t key;
    uint64_t pass; /* pass_modes is valid when pass == lock_table.pass */
    uint32_t held_shared, held_excl;
    uint32_t wait_shared, wait_excl;
    unsigned char pass_modes;
    unsigned char used;
};

struct lock_table {
    struct locktab_counters counters; /* first: read by txn.h's inline helpers */
    size_t held_global;
    size_t waiting_global;
    struct lock_req *queue_head, *queue_tail;
    struct lock_name *names;
    unsigned names_bits; /* the map has 2^names_bits slots */
    size_t names_used;
    uint64_t pass; /* number of the current or last grant pass */
};

static size_t names_mask(const struct lock_table *t)
{
    return ((size_t)1 << t->names_bits) - 1;
}

/* Index of `key` in the map, or SIZE_MAX when it has no entry. */
static size_t name_find(const struct lock_table *t, uint64_t key)
{
    size_t mask = names_mask(t);
    for (size_t i = remix(key, t->names_bits);; i = (i + 1) & mask) {
        const struct lock_name *n = &t->names[i];
        if (!n->used)
            return SIZE_MAX;
        if (n->key == key)
            return i;
    }
}

/* Entry of a name the caller knows exists (it is held or waited for). */
static struct lock_name *name_get(struct lock_table *t, uint64_t key)
{
    size_t i = name_find(t, key);
    assert(i != SIZE_MAX);
    return &t->names[i];
}

/* Moves every entry into a new map of 2^bits slots. Returns -1 (keeping the
 * old map) when out of memory. */
static int names_rehash(struct lock_table *t, unsigned bits)
{
    size_t slots = (size_t)1 << bits;
    struct lock_name *fresh = calloc(slots, sizeof(*fresh));
    if (!fresh)
        return -1;
    size_t old_slots = names_mask(t) + 1;
    for (size_t i = 0; i < old_slots; i++) {
        const struct lock_name *n = &t->names[i];
        if (!n->used)
            continue;
        size_t j = remix(n->key, bits);
        while (fresh[j].used)
            j = (j + 1) & (slots - 1);
        fresh[j] = *n;
    }
    free(t->names);
    t->names = fresh;
    t->names_bits = bits;
    return 0;
}

/* Makes room for `extra` more names, so that up to that many inserts cannot
 * rehash (the map stays at most half full). */
static void names_reserve(struct lock_table *t, size_t extra)
{
    size_t need = t->names_used + extra;
    unsigned bits = t->names_bits;
    while (need > ((size_t)1 << bits) / 2) {
        if (bits >= sizeof(size_t) * 8 - 2)
            out_of_memory(SIZE_MAX);
        bits++;
    }
    if (bits != t->names_bits && names_rehash(t, bits) != 0)
        out_of_memory(((size_t)1 << bits) * sizeof(struct lock_name));
}

/* Shrinks a map that is less than 1/16 full to one about 1/4 full. Best
 * effort: without memory the big map stays. */
static void names_maybe_shrink(struct lock_table *t)
{
    if (t->names_bits <= NAMES_MIN_BITS || t->names_used >= (names_mask(t) + 1) / 16)
        return;
    unsigned bits = NAMES_MIN_BITS;
    while (((size_t)1 << bits) < t->names_used * 4)
        bits++;
    if (bits < t->names_bits)
        names_rehash(t, bits);
}

/* Entry of `key`, created with zero counts when absent. Room must have been
 * reserved with names_reserve. */
static struct lock_name *name_get_or_add(struct lock_table *t, uint64_t key)
{
    size_t mask = names_mask(t);
    size_t i = remix(key, t->names_bits);
    for (;; i = (i + 1) & mask) {
        struct lock_name *n = &t->names[i];
        if (!n->used)
            break;
        if (n->key == key)
            return n;
    }
    assert(t->names_used + 1 <= (mask + 1) / 2);
    struct lock_name *n = &t->names[i];
    memset(n, 0, sizeof(*n));
    n->key = key;
    n->used = 1;
    t->names_used++;
    return n;
}

/* Removes n if none of its counts is left. Later entries of the probe run
 * move back into the hole when their home slot allows it (Knuth's algorithm R
 * for linear probing), so lookups never need tombstones. */
static void name_drop_if_unused(struct lock_table *t, struct lock_name *n)
{
    if (n->held_shared | n->held_excl | n->wait_shared | n->wait_excl)
        return;
    size_t mask = names_mask(t);
    size_t hole = (size_t)(n - t->names);
    for (size_t j = (hole + 1) & mask; t->names[j].used; j = (j + 1) & mask) {
        size_t home = remix(t->names[j].key, t->names_bits);
        /* The entry at j may fill the hole when its home is not inside the
         * cyclic range (hole, j]: lookups starting at home pass the hole. */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            t->names[hole] = t->names[j];
            hole = j;
        }
    }
    t->names[hole].used = 0;
    t->names_used--;
}

struct lock_table *locktab_create(void)
{
    struct lock_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->names_bits = NAMES_MIN_BITS;
    t->names = calloc(names_mask(t) + 1, sizeof(*t->names));
    if (!t->names) {
        free(t);
        return NULL;
    }
    return t;
}

void locktab_destroy(struct lock_table *t)
{
    if (!t)
        return;
    free(t->names);
    free(t);
}

size_t locktab_names(const struct lock_table *t)
{
    return t->names_used;
}

/* Does a key lock in `mode` conflict with these held or waited-for counts? */
static int counts_conflict(uint32_t shared, uint32_t excl, int mode)
{
    return excl != 0 || (mode == LOCK_EXCL && shared != 0);
}

int locktab_conflicts(const struct lock_table *t, const struct lock_req *r)
{
    if (r->global)
        return (t->counters.held | t->counters.waiting) != 0;
    if (t->held_global | t->waiting_global)
        return 1;
    if (t->names_used == 0)
        return 0;
    for (int i = 0; i < r->nkeys; i++) {
        size_t at = name_find(t, r->keys[i]);
        if (at == SIZE_MAX)
            continue;
        const struct lock_name *n = &t->names[at];
        if (counts_conflict(n->held_shared + n->wait_shared, n->held_excl + n->wait_excl, r->modes[i]))
            return 1;
    }
    return 0;
}

/* r's occurrences now hold their names. */
static void add_held(struct lock_table *t, struct lock_req *r)
{
    t->counters.held++;
    if (r->global) {
        t->held_global++;
        return;
    }
    names_reserve(t, (size_t)r->nkeys);
    for (int i = 0; i < r->nkeys; i++) {
        struct lock_name *n = name_get_or_add(t, r->keys[i]);
        if (r->modes[i] == LOCK_EXCL)
            n->held_excl++;
        else
            n->held_shared++;
    }
}

static void remove_held(struct lock_table *t, struct lock_req *r)
{
    assert(t->counters.held > 0);
    t->counters.held--;
    if (r->global) {
        assert(t->held_global > 0);
        t->held_global--;
        return;
    }
    for (int i = 0; i < r->nkeys; i++) {
        struct lock_name *n = name_get(t, r->keys[i]);
        if (r->modes[i] == LOCK_EXCL) {
            assert(n->held_excl > 0);
            n->held_excl--;
        } else {
            assert(n->held_shared > 0);
            n->held_shared--;
        }
        name_drop_if_unused(t, n);
    }
}

/* Appends r to the queue and counts its occurrences as waiting. */
static void enqueue(struct lock_table *t, struct lock_req *r)
{
    r->next = NULL;
    r->prev = t->queue_tail;
    if (t->queue_tail)
        t->queue_tail->next = r;
    else
        t->queue_head = r;
    t->queue_tail = r;
    t->counters.waiting++;
    if (r->global) {
        t->waiting_global++;
        return;
    }
    names_reserve(t, (size_t)r->nkeys);
    for (int i = 0; i < r->nkeys; i++) {
        struct lock_name *n = name_get_or_add(t, r->keys[i]);
        if (r->modes[i] == LOCK_EXCL)
            n->wait_excl++;
        else
            n->wait_shared++;
    }
}

/* Unlinks r from the queue and takes back its waiting counts; with
 * `to_held` they become held counts instead (a granted hold=1 waiter, whose
 * names therefore stay in the map). */
static void dequeue(struct lock_table *t, struct lock_req *r, int to_held)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        t->queue_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        t->queue_tail = r->prev;
    r->next = r->prev = NULL;
    assert(t->counters.waiting > 0);
    t->counters.waiting--;
    if (to_held)
        t->counters.held++;
    if (r->global) {
        assert(t->waiting_global > 0);
        t->waiting_global--;
        if (to_held)
            t->held_global++;
        return;
    }
    for (int i = 0; i < r->nkeys; i++) {
        struct lock_name *n = name_get(t, r->keys[i]);
        if (r->modes[i] == LOCK_EXCL) {
            assert(n->wait_excl > 0);
            n->wait_excl--;
            n->held_excl += to_held;
        } else {
            assert(n->wait_shared > 0);
            n->wait_shared--;
            n->held_shared += to_held;
        }
        name_drop_if_unused(t, n);
    }
}

int locktab_try(struct lock_table *t, struct lock_req *r)
{
    assert(r->state == LOCK_STATE_NONE);
    if (locktab_conflicts(t, r))
        return 0;
    if (r->hold) {
        add_held(t, r);
        r->state = LOCK_STATE_HELD;
    } else {
        r->state = LOCK_STATE_NONE;
    }
    return 1;
}

int locktab_acquire(struct lock_table *t, struct lock_req *r)
{
    if (locktab_try(t, r))
        return 1;
    enqueue(t, r);
    r->state = LOCK_STATE_WAITING;
    r->waited = 1;
    return 0;
}

/* In a grant pass: does waiter w conflict with a holder or with an earlier
 * waiter that stays waiting (a pass-stamped mode)? Global waiters are decided
 * by the caller. */
static int waiter_blocked(struct lock_table *t, const struct lock_req *w)
{
    if (t->held_global)
        return 1;
    for (int i = 0; i < w->nkeys; i++) {
        const struct lock_name *n = name_get(t, w->keys[i]);
        int mode = w->modes[i];
        if (counts_conflict(n->held_shared, n->held_excl, mode))
            return 1;
        if (n->pass == t->pass && counts_conflict(n->pass_modes & PASS_SHARED, n->pass_modes & PASS_EXCL, mode))
            return 1;
    }
    return 0;
}

/* Records that waiter w stays waiting in this pass, for the waiters after it. */
static void stamp_waiter(struct lock_table *t, const struct lock_req *w)
{
    for (int i = 0; i < w->nkeys; i++) {
        struct lock_name *n = name_get(t, w->keys[i]);
        if (n->pass != t->pass) {
            n->pass = t->pass;
            n->pass_modes = 0;
        }
        n->pass_modes |= w->modes[i] == LOCK_EXCL ? PASS_EXCL : PASS_SHARED;
    }
}

/* Grants every waiter that conflicts neither with a holder nor with an earlier
 * waiter that stays waiting; returns them linked through ->next in queue
 * order. */
static struct lock_req *grant_pass(struct lock_table *t)
{
    struct lock_req *granted = NULL, **granted_tail = &granted;
    int earlier_waits = 0; /* some waiter before the current one stays waiting */
    if (t->held_global || !t->queue_head)
        return NULL; /* a held global lock blocks every waiter */
    t->pass++;
    for (struct lock_req *w = t->queue_head, *next; w; w = next) {
        next = w->next;
        int blocked;
        if (w->global)
            blocked = earlier_waits || t->counters.held != 0;
        else
            blocked = waiter_blocked(t, w);
        if (blocked) {
            /* Everything after a waiting global request conflicts with it. */
            if (w->global)
                break;
            stamp_waiter(t, w);
            earlier_waits = 1;
            continue;
        }
        dequeue(t, w, w->hold);
        w->state = w->hold ? LOCK_STATE_HELD : LOCK_STATE_NONE;
        *granted_tail = w;
        granted_tail = &w->next;
    }
    return granted;
}

struct lock_req *locktab_release(struct lock_table *t, struct lock_req *r)
{
    assert(r->state == LOCK_STATE_HELD);
    remove_held(t, r);
    r->state = LOCK_STATE_NONE;
    struct lock_req *granted = grant_pass(t);
    names_maybe_shrink(t);
    return granted;
}

struct lock_req *locktab_cancel(struct lock_table *t, struct lock_req *r)
{
    assert(r->state == LOCK_STATE_WAITING);
    dequeue(t, r, 0);
    r->state = LOCK_STATE_NONE;
    struct lock_req *granted = grant_pass(t);
    names_maybe_shrink(t);
    return granted;
}

/* ---------------- WATCH table ---------------- */

#define WATCH_MIN_BITS 4 /* 16 buckets */

struct watch_entry {
    struct watch_entry *next; /* bucket chain */
    uint64_t hash;
    uint64_t version;
    size_t refcount;
    size_t len;
    int dbid;
    char key[]; /* len bytes, not NUL-terminated */
};

struct watch_table {
    struct watchtab_counters counters; /* first: read by txn.h's inline helpers */
    struct watch_entry **buckets;
    unsigned bits; /* 2^bits buckets */
    uint64_t clock;
};

struct watch_table *watchtab_create(void)
{
    struct watch_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->bits = WATCH_MIN_BITS;
    t->buckets = calloc((size_t)1 << t->bits, sizeof(*t->buckets));
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->clock = 1;
    return t;
}

void watchtab_destroy(struct watch_table *t)
{
    if (!t)
        return;
    size_t nbuckets = (size_t)1 << t->bits;
    for (size_t i = 0; i < nbuckets; i++) {
        struct watch_entry *e = t->buckets[i];
        while (e) {
            struct watch_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(t->buckets);
    free(t);
}

/* The link that points at the entry of (dbid, key), or at the NULL ending its
 * bucket's chain when the key is not watched. */
static struct watch_entry **watch_link(const struct watch_table *t, int dbid, uint64_t hash, const char *key,
                                       size_t len)
{
    struct watch_entry **link = &t->buckets[remix(hash, t->bits)];
    for (; *link; link = &(*link)->next) {
        const struct watch_entry *e = *link;
        if (e->hash == hash && e->dbid == dbid && e->len == len && memcmp(e->key, key, len) == 0)
            break;
    }
    return link;
}

/* Rebuilds the chains over 2^bits buckets; -1 (nothing changed) without
 * memory. */
static int watch_rehash(struct watch_table *t, unsigned bits)
{
    struct watch_entry **fresh = calloc((size_t)1 << bits, sizeof(*fresh));
    if (!fresh)
        return -1;
    size_t old = (size_t)1 << t->bits;
    for (size_t i = 0; i < old; i++) {
        struct watch_entry *e = t->buckets[i];
        while (e) {
            struct watch_entry *next = e->next;
            size_t b = remix(e->hash, bits);
            e->next = fresh[b];
            fresh[b] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = fresh;
    t->bits = bits;
    return 0;
}

uint64_t watchtab_add(struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len)
{
    struct watch_entry **link = watch_link(t, dbid, hash, key, len);
    if (*link) {
        (*link)->refcount++;
        return (*link)->version;
    }
    if (len > SIZE_MAX - sizeof(struct watch_entry))
        out_of_memory(SIZE_MAX);
    struct watch_entry *e = malloc(sizeof(*e) + len);
    if (!e)
        out_of_memory(sizeof(*e) + len);
    e->next = NULL;
    e->hash = hash;
    e->version = t->clock;
    e->refcount = 1;
    e->len = len;
    e->dbid = dbid;
    if (len)
        memcpy(e->key, key, len);
    *link = e;
    t->counters.count++;
    /* Load factor 1; a failed growth only makes chains longer. */
    if (t->counters.count > ((size_t)1 << t->bits) && t->bits < sizeof(size_t) * 8 - 4)
        watch_rehash(t, t->bits + 1);
    return e->version;
}

void watchtab_remove(struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len)
{
    struct watch_entry **link = watch_link(t, dbid, hash, key, len);
    struct watch_entry *e = *link;
    if (!e || --e->refcount > 0)
        return;
    *link = e->next;
    free(e);
    t->counters.count--;
    if (t->bits > WATCH_MIN_BITS && t->counters.count < ((size_t)1 << t->bits) / 8)
        watch_rehash(t, t->bits - 1);
}

uint64_t watchtab_version(const struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len)
{
    const struct watch_entry *e = *watch_link(t, dbid, hash, key, len);
    return e ? e->version : 0;
}

void watchtab_touch_watched(struct watch_table *t, int dbid, uint64_t hash, const char *key, size_t len)
{
    struct watch_entry *e = *watch_link(t, dbid, hash, key, len);
    if (e)
        e->version = ++t->clock;
}

void watchtab_touch_if(struct watch_table *t, int dbid,
                       int (*pred)(void *arg, int dbid, uint64_t hash, const char *key, size_t len), void *arg)
{
    if (t->counters.count == 0)
        return;
    size_t nbuckets = (size_t)1 << t->bits;
    for (size_t i = 0; i < nbuckets; i++) {
        for (struct watch_entry *e = t->buckets[i]; e; e = e->next) {
            if (dbid >= 0 && e->dbid != dbid)
                continue;
            if (pred(arg, e->dbid, e->hash, e->key, e->len))
                e->version = ++t->clock;
        }
    }
}
