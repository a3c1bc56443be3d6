/*
 * snapshot_load.c - loading the last complete snapshot at start-up.
 *
 * Runs on the main thread before any shard thread starts, so the shards'
 * dbs (reached through their views, persist/persist_shard.h) can be filled
 * from here. One loader thread per file parses it (the
 * loader validates everything, see snapshot.c). Each key is re-hashed to the
 * shard that owns it now (key_shard with the current thread count): loader
 * thread i inserts directly into shard i (nobody else touches shard i in the
 * first phase) and queues the keys of other shards; in the second phase one
 * thread per shard inserts what was queued for it. With an unchanged thread
 * count every key stays in its file's shard and the queues stay empty.
 *
 * A damaged file stops the start (the message names the file and the byte
 * offset); nothing is ever written or deleted here.
 *
 * Invariants: a key is inserted by exactly one thread into exactly the
 * shard key_shard() names; a duplicate key is an error, never an overwrite.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/log.h"
#include "core/base/server.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "persist/persist_shard.h"
#include "persist/rdb.h"
#include "persist/snapshot.h"

struct queued {
    struct queued *next;
    int dbid;
    struct db_entry *e;
};

struct loader {
    struct server *srv;
    struct persist_shard *const *shards; /* [nshards] the shards' views */
    int index;                           /* file index = the shard it fills directly */
    char path[2 * CONFIG_PATH_MAX + 8];
    int64_t now_ms;
    struct queued **queues; /* [nshards] keys for other shards */
    uint64_t loaded, expired;
    int rc;
    char err[1024];
};

static int insert_entry(const char *path, char *err, size_t errlen, const struct persist_shard *s, int dbid,
                        struct db_entry *e)
{
    if (dbid >= s->ndbs) {
        snprintf(err, errlen, "Bad snapshot file %s: a key of database %d does not fit in 'databases %d'", path, dbid,
                 s->ndbs);
        entry_free(e);
        return -1;
    }
    struct db *db = s->dbs[dbid];
    if (db_find(db, e->hash, e->key, e->key_len)) {
        snprintf(err, errlen, "Bad snapshot file %s: duplicate key '%.*s' in database %d", path,
                 (int)(e->key_len > 64 ? 64 : e->key_len), e->key, dbid);
        entry_free(e);
        return -1;
    }
    db_insert(db, e);
    return 0;
}

static int on_entry(void *priv, int dbid, struct db_entry *e)
{
    struct loader *l = priv;
    /* As Redis's master: keys already expired are not loaded. */
    if (e->expire_at != 0 && e->expire_at <= l->now_ms) {
        entry_free(e);
        l->expired++;
        return 0;
    }
    int n = l->srv->nshards;
    int target = key_shard(e->key, e->key_len, e->hash, n);
    l->loaded++;
    if (target == l->index)
        return insert_entry(l->path, l->err, sizeof(l->err), l->shards[target], dbid, e);
    struct queued *q = malloc(sizeof(*q));
    q->dbid = dbid;
    q->e = e;
    q->next = l->queues[target];
    l->queues[target] = q;
    return 0;
}

static void *load_thread(void *arg)
{
    struct loader *l = arg;
    struct snap_load_result res;
    l->rc = snap_load_file(l->path, 0, on_entry, l, &res, l->err, sizeof(l->err));
    return NULL;
}

struct drain {
    struct server *srv;
    struct persist_shard *const *shards;
    int shard;
    struct loader *loaders;
    int nloaders;
    int rc;
    char err[1024];
};

static void *drain_thread(void *arg)
{
    struct drain *d = arg;
    const struct persist_shard *s = d->shards[d->shard];
    for (int i = 0; i < d->nloaders; i++) {
        struct loader *l = &d->loaders[i];
        struct queued *q = l->queues[d->shard];
        l->queues[d->shard] = NULL;
        while (q) {
            struct queued *next = q->next;
            if (d->rc == 0 && insert_entry(l->path, d->err, sizeof(d->err), s, q->dbid, q->e) < 0) {
                d->rc = -1;
            } else if (d->rc != 0) {
                entry_free(q->e);
            }
            free(q);
            q = next;
        }
    }
    return NULL;
}

int snap_load_files(struct server *srv, struct persist_shard *const *shards, const char *dir, char *const *files,
                    int nfiles, char *err, size_t errlen)
{
    int n = srv->nshards;
    int64_t start = monotonic_us();
    struct loader *loaders = calloc(nfiles, sizeof(*loaders));
    pthread_t *threads = calloc(nfiles > n ? nfiles : n, sizeof(pthread_t));
    for (int i = 0; i < nfiles; i++) {
        struct loader *l = &loaders[i];
        l->srv = srv;
        l->shards = shards;
        l->index = i < n ? i : -1;
        l->now_ms = mstime();
        l->queues = calloc(n, sizeof(*l->queues));
        snprintf(l->path, sizeof(l->path), "%s/%s", dir, files[i]);
    }
    /* Phase 1: parse every file; loader i owns shard i. */
    for (int i = 0; i < nfiles; i++)
        if (pthread_create(&threads[i], NULL, load_thread, &loaders[i]) != 0)
            load_thread(&loaders[i]), threads[i] = 0;
    for (int i = 0; i < nfiles; i++)
        if (threads[i])
            pthread_join(threads[i], NULL);
    int rc = 0;
    uint64_t loaded = 0, expired = 0;
    for (int i = 0; i < nfiles; i++) {
        loaded += loaders[i].loaded;
        expired += loaders[i].expired;
        if (loaders[i].rc < 0 && rc == 0) {
            rc = -1;
            snprintf(err, errlen, "%s", loaders[i].err);
        }
    }
    /* Phase 2: keys that moved to another shard. */
    struct drain *drains = calloc(n, sizeof(*drains));
    for (int t = 0; t < n; t++) {
        drains[t] = (struct drain){srv, shards, t, loaders, nfiles, rc, ""};
        if (pthread_create(&threads[t], NULL, drain_thread, &drains[t]) != 0)
            drain_thread(&drains[t]), threads[t] = 0;
    }
    for (int t = 0; t < n; t++) {
        if (threads[t])
            pthread_join(threads[t], NULL);
        if (drains[t].rc < 0 && rc == 0) {
            rc = -1;
            snprintf(err, errlen, "%s", drains[t].err);
        }
    }
    for (int i = 0; i < nfiles; i++)
        free(loaders[i].queues);
    free(drains);
    free(loaders);
    free(threads);
    if (rc == 0)
        server_log(LL_NOTICE, "Snapshot loaded: %llu keys (%llu expired keys skipped) from %d files in %.3f seconds",
                   (unsigned long long)loaded, (unsigned long long)expired, nfiles,
                   (double)(monotonic_us() - start) / 1e6);
    snap_note_loaded(srv, 0, loaded);
    return rc;
}

int snap_load_at_startup(struct server *srv, struct persist_shard *const *shards, char *err, size_t errlen)
{
    const struct config *cfg = server_config(srv);
    struct stat st;
    if (stat(cfg->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "Can't use the data directory '%s': %s", cfg->dir,
                 errno ? strerror(errno) : strerror(ENOTDIR));
        return -1;
    }
    struct snap_index idx;
    int r = snap_index_read(cfg->dir, cfg->dbfilename, &idx, err, errlen);
    if (r == 0) /* no snapshot of ours: a Redis RDB, if any, is imported */
        return rdb_import_at_startup(srv, shards, err, errlen);
    if (r < 0)
        return r;
    if (cfg->rdb_import[0])
        server_log(LL_NOTICE, "rdb-import %s ignored: the data directory holds a snapshot of ours", cfg->rdb_import);
    int rc = snap_load_files(srv, shards, cfg->dir, idx.files, idx.nfiles, err, errlen);
    if (rc == 0) {
        uint64_t keys = 0;
        for (int i = 0; i < srv->nshards; i++)
            for (int d = 0; d < shards[i]->ndbs; d++)
                keys += db_size(shards[i]->dbs[d]);
        snap_note_loaded(srv, idx.epoch, keys);
        char name[CONFIG_PATH_MAX + 32];
        snap_index_name(cfg->dbfilename, name, sizeof(name));
        server_log(LL_NOTICE, "DB loaded from the snapshot of epoch %llu (%s/%s%s)", (unsigned long long)idx.epoch,
                   cfg->dir, idx.legacy ? cfg->dbfilename : name, idx.legacy ? ", written by an older version" : "");
    }
    snap_index_free(&idx);
    return rc;
}
