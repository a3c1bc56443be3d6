/*
 * rdb_import.c - importing a Redis RDB file (dump.rdb) at start-up.
 *
 * Runs on the main thread before any shard thread starts (as the snapshot
 * loader, persist/snapshot_load.c), only when the data directory holds no
 * snapshot of ours: the file named by `rdb-import`, else <dir>/<dbfilename>
 * when that file is a Redis RDB.
 *
 * Parallel load: the file is mmap'd and read by one thread per shard at
 * once. Every reader walks the whole file, but builds only the values of
 * the keys its shard owns (key_shard), stepping over the others by their
 * lengths, and inserts them into its own shard's dbs: no queue, no lock,
 * and each key is built exactly once. Reader 0 also verifies the CRC64, as
 * it goes: the region every reader has passed is folded into the CRC and
 * its pages dropped, so the mapped file does not add to peak memory.
 * Walking a record is cheap next to building it, so N readers build in
 * about 1/N of the time.
 *
 * Keys already expired are dropped (as a Redis master does); databases are
 * kept; a db number the config cannot hold, a duplicate key or any damage
 * stops the start with a message naming the file and byte offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/server.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/types/object.h"
#include "persist/persist_shard.h"
#include "persist/rdb.h"
#include "persist/snapshot.h"

/* Inserting a key costs two cache misses on a big table (its bucket, then
 * the entry already there): with entries queued PIPE_DEPTH deep, the bucket
 * is prefetched on entry, the chain's head halfway, and the insert finds
 * both in cache. */
#define PIPE_DEPTH 16

/* Reading the mapped file makes its pages resident: once every reader is
 * past a region, reader 0 folds it into the CRC64 and drops its pages
 * (MADV_DONTNEED; a page read again is faulted back in from the page cache,
 * so this is only about memory). Checked every RELEASE_STEP bytes. */
#define RELEASE_STEP (16u << 20)

struct importer {
    const unsigned char *data;
    size_t len;
    const char *path;
    const struct config *cfg;
    const struct persist_shard *shard;
    int index, nshards;
    int64_t now_ms;
    uint64_t loaded, expired;
    /* entries on their way into the dbs (see on_entry): a ring of
     * PIPE_DEPTH, prefetched in two stages before they are inserted */
    struct pending {
        int dbid;
        struct db_entry *e;
    } pipe[PIPE_DEPTH];
    unsigned pipe_head, pipe_len;
    struct rdb_load_stats st;
    int rc;
    char err[1024];
    /* progress: [nshards] how far each reader got (bytes), shared */
    _Atomic size_t *progress;
    size_t reported;
    /* reader 0 only: the CRC64 of data[0, released), and whether it checks
     * the file's CRC itself (else rdb_load_buffer does) */
    int own_crc;
    uint64_t crc;
    size_t released;
};

/* Reader 0: folds the bytes every reader has passed into the CRC and drops
 * their pages. */
static void release_consumed(struct importer *im)
{
    size_t min = SIZE_MAX;
    for (int i = 0; i < im->nshards; i++) {
        size_t p = atomic_load_explicit(&im->progress[i], memory_order_relaxed);
        if (p < min)
            min = p;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    min &= ~(page - 1);
    if (min <= im->released)
        return;
    im->crc = rdb_crc64(im->crc, im->data + im->released, min - im->released);
    madvise((void *)(im->data + im->released), min - im->released, MADV_DONTNEED);
    im->released = min;
}

static int want_key(void *priv, const char *key, size_t klen, uint64_t hash)
{
    struct importer *im = priv;
    /* a raw key points into the mapping: how far this reader got */
    const unsigned char *k = (const unsigned char *)key;
    if (k >= im->data && k < im->data + im->len && (size_t)(k - im->data) >= im->reported + RELEASE_STEP) {
        im->reported = (size_t)(k - im->data);
        atomic_store_explicit(&im->progress[im->index], im->reported, memory_order_relaxed);
        if (im->index == 0 && im->own_crc)
            release_consumed(im);
    }
    return key_shard(key, klen, hash, im->nshards) == im->index;
}

/* RESIZEDB: this shard gets about 1/n of the db's keys; size its table
 * once instead of growing it while inserting. A hint only: a hostile
 * number is capped by what the file could hold. */
static void on_resize(void *priv, int dbid, uint64_t keys, uint64_t expires)
{
    struct importer *im = priv;
    (void)expires;
    if (dbid < 0 || dbid >= im->shard->ndbs)
        return;
    uint64_t cap = im->len / 4; /* a record takes more than 4 bytes */
    if (keys > cap)
        keys = cap;
    uint64_t mine = keys / (uint64_t)im->nshards;
    db_reserve(im->shard->dbs[dbid], (size_t)(mine + mine / 16 + 16));
}

/* Links one entry into its db (refusing a duplicate key). */
static int insert_now(struct importer *im, int dbid, struct db_entry *e)
{
    struct db *db = im->shard->dbs[dbid];
    if (db_find(db, e->hash, e->key, e->key_len)) {
        snprintf(im->err, sizeof(im->err), "Can't import %s: duplicate key '%.*s' in database %d", im->path,
                 (int)(e->key_len > 64 ? 64 : e->key_len), e->key, dbid);
        entry_free(e);
        return -1;
    }
    db_insert(db, e);
    im->loaded++;
    return 0;
}

/* Inserts the oldest queued entry. */
static int pipe_pop(struct importer *im)
{
    struct pending *p = &im->pipe[im->pipe_head];
    im->pipe_head = (im->pipe_head + 1) % PIPE_DEPTH;
    im->pipe_len--;
    return insert_now(im, p->dbid, p->e);
}

/* After the file (or on an error): inserts or frees what is queued. */
static int pipe_drain(struct importer *im, int insert)
{
    int rc = 0;
    while (im->pipe_len) {
        if (insert && rc == 0) {
            rc = pipe_pop(im);
        } else {
            entry_free(im->pipe[im->pipe_head].e);
            im->pipe_head = (im->pipe_head + 1) % PIPE_DEPTH;
            im->pipe_len--;
        }
    }
    return rc;
}

static int on_entry(void *priv, int dbid, struct db_entry *e, long long idle, int freq)
{
    struct importer *im = priv;
    if (e->expire_at != 0 && e->expire_at <= im->now_ms) {
        entry_free(e);
        im->expired++;
        return 0;
    }
    const struct persist_shard *s = im->shard;
    if (dbid >= s->ndbs) {
        snprintf(im->err, sizeof(im->err),
                 "Can't import %s: it holds keys of database %d and 'databases' is %d (raise it to import the file)",
                 im->path, dbid, s->ndbs);
        entry_free(e);
        return -1;
    }
    e->lru = evict_new_lru(im->now_ms);
    if (evict_policy_is_lfu(im->cfg->maxmemory_policy)) {
        if (freq >= 0)
            e->lru = (e->lru & ~0xffu) | (uint32_t)freq;
    } else if (idle >= 0) {
        e->lru = (lru_clock_now(im->now_ms) - (uint32_t)(idle & 0xffffff)) & 0xffffff;
    }
    if (im->pipe_len == PIPE_DEPTH && pipe_pop(im) < 0)
        return -1;
    db_prefetch_bucket(s->dbs[dbid], e->hash);
    if (im->pipe_len >= PIPE_DEPTH / 2) {
        struct pending *mid = &im->pipe[(im->pipe_head + im->pipe_len - PIPE_DEPTH / 2) % PIPE_DEPTH];
        db_prefetch_entry(s->dbs[mid->dbid], mid->e->hash);
    }
    im->pipe[(im->pipe_head + im->pipe_len) % PIPE_DEPTH] = (struct pending){dbid, e};
    im->pipe_len++;
    return 0;
}

static void *import_thread(void *arg)
{
    struct importer *im = arg;
    char why[768] = "";
    int flags = im->index == 0 && !im->own_crc ? RDB_LOAD_CHECKSUM : 0;
    im->rc = rdb_load_buffer(im->data, im->len, im->cfg, flags, want_key, on_resize, on_entry, im, &im->st, why,
                             sizeof(why));
    /* done: this reader no longer holds pages back */
    atomic_store_explicit(&im->progress[im->index], im->len, memory_order_relaxed);
    if (pipe_drain(im, im->rc == 0) < 0)
        im->rc = -1;
    if (im->rc == 0 && im->own_crc) {
        /* the file ends with EOF and its CRC64 (checked by the caller) */
        uint64_t stored = 0;
        for (int i = 7; i >= 0; i--)
            stored = stored << 8 | im->data[im->len - 8 + (size_t)i];
        uint64_t crc = rdb_crc64(im->crc, im->data + im->released, im->len - 8 - im->released);
        if (stored != 0 && stored != crc) {
            im->rc = -1;
            snprintf(why, sizeof(why), "Wrong RDB checksum (at byte %zu)", im->len - 8);
        }
    }
    if (im->rc < 0 && why[0])
        snprintf(im->err, sizeof(im->err), "Bad RDB file %s: %s", im->path, why);
    return NULL;
}

/* 1 when path is a file that starts like an RDB ("REDIS"). */
static int looks_like_rdb(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char head[5];
    int yes = read(fd, head, 5) == 5 && memcmp(head, "REDIS", 5) == 0;
    close(fd);
    return yes;
}

int rdb_import_file(struct server *srv, struct persist_shard *const *shards, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the RDB file %s to import: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size == 0) {
        snprintf(err, errlen, "Can't import %s: %s", path, st.st_size == 0 ? "empty file" : strerror(errno));
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    const unsigned char *data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED) {
        snprintf(err, errlen, "Can't map %s: %s", path, strerror(errno));
        return -1;
    }
    madvise((void *)data, len, MADV_SEQUENTIAL);
    int n = srv->nshards;
    int64_t start = monotonic_us();
    struct importer *ims = calloc((size_t)n, sizeof(*ims));
    pthread_t *threads = calloc((size_t)n, sizeof(pthread_t));
    _Atomic size_t *progress = calloc((size_t)n, sizeof(*progress));
    /* reader 0 checks the CRC as it goes when the file ends the way Redis
     * writes it (EOF then the CRC64, version 5 and later) */
    int version = 0;
    for (size_t i = 5; i < 9 && i < len && data[i] >= '0' && data[i] <= '9'; i++)
        version = version * 10 + (data[i] - '0');
    int own_crc = len >= 18 && memcmp(data, "REDIS", 5) == 0 && version >= 5 && data[len - 9] == 0xFF;
    for (int i = 0; i < n; i++) {
        ims[i] = (struct importer){.data = data,
                                   .len = len,
                                   .path = path,
                                   .cfg = server_config(srv),
                                   .shard = shards[i],
                                   .index = i,
                                   .nshards = n,
                                   .now_ms = mstime(),
                                   .progress = progress,
                                   .own_crc = i == 0 && own_crc};
        if (pthread_create(&threads[i], NULL, import_thread, &ims[i]) != 0) {
            import_thread(&ims[i]);
            threads[i] = 0;
        }
    }
    int rc = 0;
    uint64_t loaded = 0, expired = 0;
    for (int i = 0; i < n; i++) {
        if (threads[i])
            pthread_join(threads[i], NULL);
        loaded += ims[i].loaded;
        expired += ims[i].expired;
        if (ims[i].rc < 0 && rc == 0) {
            rc = -1;
            snprintf(err, errlen, "%s", ims[i].err);
        }
    }
    if (rc == 0) {
        if (ims[0].st.functions_skipped)
            server_log(LL_WARNING,
                       "%s holds %llu function libraries: skipped (Functions are not supported); load them again "
                       "with FUNCTION LOAD when they are",
                       path, (unsigned long long)ims[0].st.functions_skipped);
        uint64_t empty = 0;
        for (int i = 0; i < n; i++)
            empty += ims[i].st.empty_skipped;
        server_log(LL_NOTICE,
                   "Redis RDB imported from %s (RDB version %d): %llu keys (%llu expired keys and %llu empty keys "
                   "skipped) in %.3f seconds by %d readers",
                   path, ims[0].st.version, (unsigned long long)loaded, (unsigned long long)expired,
                   (unsigned long long)empty, (double)(monotonic_us() - start) / 1e6, n);
        snap_note_loaded(srv, 0, loaded);
    }
    munmap((void *)data, len);
    free(progress);
    free(ims);
    free(threads);
    return rc;
}

int rdb_import_at_startup(struct server *srv, struct persist_shard *const *shards, char *err, size_t errlen)
{
    const struct config *cfg = server_config(srv);
    if (cfg->rdb_import[0])
        return rdb_import_file(srv, shards, cfg->rdb_import, err, errlen);
    char path[2 * CONFIG_PATH_MAX + 2];
    snprintf(path, sizeof(path), "%s/%s", cfg->dir, cfg->dbfilename);
    if (!looks_like_rdb(path))
        return 0;
    return rdb_import_file(srv, shards, path, err, errlen);
}
