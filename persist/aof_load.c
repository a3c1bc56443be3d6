/*
 * aof_load.c - start-up with append-only logs: read the manifest, check
 * every segment, replay base snapshots and logs, and open the segments the
 * shards append to.
 *
 * Replay runs per shard of the run that wrote the files ("old shard"), one
 * thread each: base snapshot, then its segments in order, each record run
 * through the command's own handler over the old shard's databases, with
 * now_ms 0 so that nothing expires while loading (as Redis: a key's TTL is
 * applied after the load; a record written before a key expired finds it
 * as it was). With the same thread count the old shard's databases are the
 * new shard's own; with another count they are private and every key is
 * then moved to the shard that owns it now, after which the logs are
 * compacted into a new generation (base snapshots + fresh segments) for the
 * new shard count.
 *
 * Checks come first, before anything is applied: every segment is scanned
 * (checksums, structure) and multi-shard transactions are matched (a part
 * whose peers did not all end is skipped). A damaged record anywhere but at
 * the very end of a shard's last segment stops the start with the file
 * name and byte offset; nothing is written then. A torn last record is cut
 * off with a warning when aof-load-truncated is yes.
 *
 * Threads: the main thread before any shard thread starts, plus one replay
 * thread per old shard (each touches only its old shard's databases and
 * its struct old_shard). The shards are reached through their views
 * (struct persist_shard, handed down by the engine in srv->aof->shards),
 * never struct shard. Owns srv->aof (created here) until the shards start.
 *
 * Invariants: nothing is applied before every file is checked; the manifest
 * on disk always names a complete generation (the new one is written before
 * the old files are deleted).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/server.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "persist/aof.h"
#include "persist/aof_internal.h"
#include "persist/aof_log.h"
#include "persist/manifest.h"
#include "persist/persist_shard.h"
#include "persist/snapshot.h"

struct seg_file {
    char path[AOF_PATH_MAX];
    uint64_t seq;
    int missing;
    const uint8_t *data; /* mapped */
    size_t len;
    size_t valid; /* bytes of whole records (header included) */
    int truncated;
};

struct old_shard {
    struct server *srv;
    int index;
    int ndbs;
    struct db **dbs; /* the new shard's own (same count) or private */
    int private_dbs;
    char base[AOF_PATH_MAX]; /* "" = none */
    struct seg_file *segs;
    int nsegs;
    const struct aof_txn_table *txns;
    uint64_t records, skipped, failed;
    int rc;
    char err[AOF_PATH_MAX + 512];
    struct buf out;
    struct shard_stats stats;
};

/* ---------------- applying records ---------------- */

struct restore_ctx {
    struct db *db;
};

static int restore_entry(void *priv, int dbid, struct db_entry *e)
{
    struct restore_ctx *r = priv;
    (void)dbid;
    db_delete(r->db, e->hash, e->key, e->key_len);
    db_insert(r->db, e);
    return 0;
}

static int base_entry(void *priv, int dbid, struct db_entry *e)
{
    struct old_shard *o = priv;
    if (dbid < 0 || dbid >= o->ndbs) {
        snprintf(o->err, sizeof(o->err), "Bad base file %s: a key of database %d does not fit in 'databases %d'",
                 o->base, dbid, o->ndbs);
        entry_free(e);
        return -1;
    }
    db_delete(o->dbs[dbid], e->hash, e->key, e->key_len);
    db_insert(o->dbs[dbid], e);
    return 0;
}

static int apply_record(struct old_shard *o, const struct seg_file *f, size_t at, const struct aof_record *rec)
{
    if (rec->type == AOF_REC_TXN_END)
        return 0;
    if (rec->txn_id && !aof_txn_complete(o->txns, rec->txn_id)) {
        o->skipped++;
        return 0;
    }
    if (rec->db >= (uint32_t)o->ndbs || rec->argc == 0) {
        snprintf(o->err, sizeof(o->err),
                 "Bad record in the append only file %s at offset %zu: database %u does not fit in 'databases %d'",
                 f->path, at, rec->db, o->ndbs);
        return -1;
    }
    o->records++;
    if (rec->argv_len[0] == sizeof(AOF_RESTORE_CMD) - 1 &&
        !memcmp(rec->argv[0], AOF_RESTORE_CMD, sizeof(AOF_RESTORE_CMD) - 1)) {
        if (rec->argc != 2)
            goto bad;
        struct restore_ctx r = {o->dbs[rec->db]};
        struct snap_load_result res;
        char msg[256];
        if (snap_load_buffer((const unsigned char *)rec->argv[1], rec->argv_len[1], 0, restore_entry, &r, &res, msg,
                             sizeof(msg)) < 0) {
            snprintf(o->err, sizeof(o->err), "Bad value in the append only file %s at offset %zu: %s", f->path, at,
                     msg);
            return -1;
        }
        return 0;
    }
    const struct command *cmd = command_lookup(rec->argv[0], rec->argv_len[0]);
    if (!cmd || !cmd->handler || !command_arity_ok(cmd, (int)rec->argc))
        goto bad;
    struct arg small[16];
    uint64_t hsmall[16];
    int argc = (int)rec->argc;
    struct arg *argv = argc <= 16 ? small : malloc(sizeof(struct arg) * argc);
    uint64_t *hashes = argc <= 16 ? hsmall : malloc(sizeof(uint64_t) * argc);
    for (int i = 0; i < argc; i++) {
        argv[i].ptr = rec->argv[i];
        argv[i].len = rec->argv_len[i];
        hashes[i] = 0;
    }
    int idx_small[16];
    int *idx = argc <= 16 ? idx_small : malloc(sizeof(int) * argc);
    int nk = command_key_positions(cmd, argc, argv, idx, argc);
    for (int k = 0; k < nk; k++)
        hashes[idx[k]] = key_hash(argv[idx[k]].ptr, argv[idx[k]].len);
    struct cmd_ctx c;
    memset(&c, 0, sizeof(c));
    c.nshards = 1;
    c.dbs = o->dbs;
    c.ndbs = o->ndbs;
    c.dbid = (int)rec->db;
    c.db = o->dbs[rec->db];
    c.argc = argc;
    c.argv = argv;
    c.hashes = hashes;
    c.out = &o->out;
    c.resp = 2;
    c.now_ms = 0; /* nothing expires while loading */
    c.stats = &o->stats;
    c.cmd = cmd;
    c.cfg = server_config(o->srv);
    o->out.len = 0;
    cmd->handler(&c);
    if (o->out.len && o->out.data[0] == '-') {
        if (o->failed++ < 5)
            server_log(LL_WARNING, "Replaying %s at offset %zu of %s: %.*s", cmd->name, at, f->path,
                       (int)(o->out.len > 200 ? 200 : o->out.len - 2), o->out.data);
    }
    if (argv != small)
        free(argv);
    if (hashes != hsmall)
        free(hashes);
    if (idx != idx_small)
        free(idx);
    return 0;
bad:
    snprintf(o->err, sizeof(o->err),
             "Bad record in the append only file %s at offset %zu: unknown command or wrong number of arguments",
             f->path, at);
    return -1;
}

static void *replay_thread(void *arg)
{
    struct old_shard *o = arg;
    if (o->base[0]) {
        struct snap_load_result res;
        char msg[1024];
        if (snap_load_file(o->base, 0, base_entry, o, &res, msg, sizeof(msg)) < 0) {
            if (!o->err[0])
                snprintf(o->err, sizeof(o->err), "%s", msg);
            o->rc = -1;
            return NULL;
        }
    }
    for (int i = 0; i < o->nsegs && o->rc == 0; i++) {
        struct seg_file *f = &o->segs[i];
        size_t pos = AOF_SEGMENT_HEADER_SIZE;
        while (pos < f->valid) {
            struct aof_record rec;
            if (aof_decode_record(f->data + pos, f->valid - pos, &rec) != AOF_OK) {
                snprintf(o->err, sizeof(o->err), "Bad file format reading the append only file %s at offset %zu",
                         f->path, pos);
                o->rc = -1;
                break;
            }
            int rc = apply_record(o, f, pos, &rec);
            pos += rec.size;
            aof_record_free(&rec);
            if (rc < 0) {
                o->rc = -1;
                break;
            }
        }
    }
    return NULL;
}

/* ---------------- checking the files ---------------- */

static void note_txn(const struct aof_record *rec, void *arg)
{
    aof_txn_table_note(arg, rec);
}

static void unmap_all(struct old_shard *olds, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < olds[i].nsegs; j++)
            if (olds[i].segs[j].data && olds[i].segs[j].len)
                munmap((void *)olds[i].segs[j].data, olds[i].segs[j].len);
        free(olds[i].segs);
        buf_free(&olds[i].out);
    }
}

static int cmp_seq(const void *a, const void *b)
{
    const struct seg_file *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Maps and checks every segment of the manifest; fills olds. */
static int check_files(struct aof_server *as, const struct manifest *m, struct old_shard *olds,
                       struct aof_txn_table *txns, int load_truncated, char *err, size_t errlen)
{
    for (size_t k = 0; k < m->count; k++) {
        const struct manifest_entry *e = &m->entries[k];
        struct old_shard *o = &olds[e->shard];
        if (e->kind == MANIFEST_BASE) {
            aof_join(o->base, sizeof(o->base), as->aofdir, e->file);
            continue;
        }
        o->segs = realloc(o->segs, sizeof(*o->segs) * (o->nsegs + 1));
        struct seg_file *f = &o->segs[o->nsegs++];
        memset(f, 0, sizeof(*f));
        f->seq = e->seq;
        aof_join(f->path, sizeof(f->path), as->aofdir, e->file);
    }
    for (uint32_t i = 0; i < m->shards; i++) {
        struct old_shard *o = &olds[i];
        qsort(o->segs, o->nsegs, sizeof(*o->segs), cmp_seq);
        for (int j = 0; j < o->nsegs; j++) {
            struct seg_file *f = &o->segs[j];
            int fd = open(f->path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                if (errno != ENOENT) {
                    snprintf(err, errlen, "Can't open the append only file %s: %s", f->path, strerror(errno));
                    return -1;
                }
                /* Listed by a rewrite before the shard cut to it. */
                f->missing = 1;
                continue;
            }
            struct stat st;
            if (fstat(fd, &st) < 0) {
                snprintf(err, errlen, "Can't read the append only file %s: %s", f->path, strerror(errno));
                close(fd);
                return -1;
            }
            f->len = (size_t)st.st_size;
            if (f->len) {
                void *p = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
                if (p == MAP_FAILED) {
                    snprintf(err, errlen, "Can't map the append only file %s: %s", f->path, strerror(errno));
                    close(fd);
                    f->len = 0;
                    return -1;
                }
                f->data = p;
            }
            close(fd);
        }
        int last = o->nsegs - 1;
        while (last >= 0 && o->segs[last].missing)
            last--;
        for (int j = 0; j < o->nsegs; j++) {
            struct seg_file *f = &o->segs[j];
            if (f->missing)
                continue;
            size_t off = 0;
            uint32_t sid;
            if (f->len >= AOF_SEGMENT_HEADER_SIZE && aof_decode_segment_header(f->data, f->len, &sid) == AOF_OK &&
                sid != i) {
                snprintf(err, errlen, "Bad append only file %s: written by shard %u, listed for shard %u", f->path, sid,
                         i);
                return -1;
            }
            enum aof_status st = f->len ? aof_scan_segment(f->data, f->len, note_txn, txns, &off) : AOF_TRUNCATED;
            if (st == AOF_END) {
                f->valid = off; /* zeros written ahead may follow */
                continue;
            }
            if (st == AOF_CORRUPT) {
                snprintf(err, errlen,
                         "Bad file format reading the append only file %s: checksum or format error at offset %zu",
                         f->path, off);
                return -1;
            }
            /* AOF_TRUNCATED */
            if (j != last) {
                snprintf(err, errlen,
                         "Bad file format reading the append only file %s: unexpected end of file at offset %zu "
                         "(not the last segment)",
                         f->path, off);
                return -1;
            }
            if (!load_truncated) {
                snprintf(err, errlen,
                         "Unexpected end of file reading the append only file %s at offset %zu: the last record is "
                         "truncated. Use shardis-check-log --fix, or set aof-load-truncated yes",
                         f->path, off);
                return -1;
            }
            f->valid = off < AOF_SEGMENT_HEADER_SIZE ? 0 : off;
            f->truncated = 1;
            server_log(LL_WARNING,
                       "!!! Warning: the append only file %s is truncated at offset %zu (%zu bytes of a torn last "
                       "record are cut off) !!!",
                       f->path, off, f->len - off);
        }
    }
    return 0;
}

/* ---------------- new generations ---------------- */

struct collect {
    struct db_entry **v;
    size_t n, cap;
};

static void collect_entry(void *priv, void *entry)
{
    struct db_entry *e = entry;
    struct collect *c = priv;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->v = realloc(c->v, sizeof(*c->v) * c->cap);
    }
    c->v[c->n++] = e;
}

static void collect_db(struct db *db, struct collect *c)
{
    c->n = 0;
    uint64_t cursor = 0;
    do {
        cursor = db_scan(db, cursor, collect_entry, c);
    } while (cursor);
}

static int write_all_fd(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes shard s's databases as a base snapshot; 0 or -1 (errno). */
static int write_base(struct aof_server *as, const struct persist_shard *s, int nshards, uint64_t epoch,
                      const char *name, uint64_t *size)
{
    char path[AOF_PATH_MAX], tmp[AOF_PATH_MAX + 8];
    aof_join(path, sizeof(path), as->aofdir, name);
    aof_join_ext(tmp, sizeof(tmp), path, ".tmp");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    struct snap_writer w;
    struct snap_buf b = {0};
    struct snap_header h = {SNAP_VERSION, (uint32_t)s->id, (uint32_t)nshards, (uint32_t)s->ndbs, epoch, mstime()};
    int rc = snap_writer_begin(&w, &h, &b);
    struct collect c = {0};
    for (int d = 0; d < s->ndbs && rc == 0; d++) {
        collect_db(s->dbs[d], &c);
        for (size_t i = 0; i < c.n && rc == 0; i++) {
            snap_writer_entry(&w, d, c.v[i], &b);
            if (b.len >= (1u << 20)) {
                rc = write_all_fd(fd, b.data, b.len);
                b.len = 0;
            }
        }
    }
    free(c.v);
    if (rc == 0) {
        snap_writer_end(&w, &b);
        rc = write_all_fd(fd, b.data, b.len);
    } else {
        snap_writer_abort(&w);
    }
    snap_buf_free(&b);
    if (rc == 0 && fsync(fd) < 0)
        rc = -1;
    struct stat st;
    if (rc == 0 && fstat(fd, &st) == 0)
        *size = (uint64_t)st.st_size;
    int e = errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -1;
    if (rc < 0) {
        e = errno;
        unlink(tmp);
        errno = e;
    }
    return rc;
}

static uint64_t manifest_max_seq(const struct manifest *m)
{
    uint64_t mx = 0;
    for (size_t i = 0; i < m->count; i++)
        if (m->entries[i].kind == MANIFEST_LOG && m->entries[i].seq > mx)
            mx = m->entries[i].seq;
    return mx;
}

/* Base snapshots of what is loaded now plus fresh segments, for the
 * current shard count; replaces the manifest and deletes the old files. */
static int new_generation(struct server *srv, struct aof_server *as, uint64_t epoch, char *err, size_t errlen)
{
    int n = srv->nshards;
    uint64_t keys = 0;
    for (int i = 0; i < n; i++)
        for (int d = 0; d < as->shards[i]->ndbs; d++)
            keys += db_size(as->shards[i]->dbs[d]);
    struct manifest next = {0};
    next.epoch = epoch;
    next.shards = (uint32_t)n;
    uint64_t base_size = 0;
    for (int i = 0; i < n && keys; i++) {
        char name[AOF_PATH_MAX];
        uint64_t size = 0;
        aof_base_file_name(as->name, epoch, i, name, sizeof(name));
        if (write_base(as, as->shards[i], n, epoch, name, &size) < 0) {
            snprintf(err, errlen, "Can't write the append only base file %s/%s: %s", as->aofdir, name, strerror(errno));
            manifest_free(&next);
            return -1;
        }
        base_size += size;
        manifest_add(&next, MANIFEST_BASE, (uint32_t)i, 0, name);
    }
    uint64_t seq = manifest_max_seq(&as->m) + 1;
    for (int i = 0; i < n; i++) {
        int fd = aof_seg_create(as, i, seq);
        if (fd < 0) {
            char p[AOF_PATH_MAX];
            aof_seg_path(as, i, seq, p, sizeof(p));
            snprintf(err, errlen, "Can't create the append only file %s: %s", p, strerror(errno));
            manifest_free(&next);
            return -1;
        }
        as->start_fd[i] = fd;
        as->start_seq[i] = seq;
        as->start_size[i] = AOF_SEGMENT_HEADER_SIZE;
        as->start_alloc[i] = AOF_SEGMENT_HEADER_SIZE;
        as->start_older[i] = 0;
        char name[AOF_PATH_MAX];
        aof_seg_name(as, i, seq, name, sizeof(name));
        manifest_add(&next, MANIFEST_LOG, (uint32_t)i, seq, name);
    }
    if (aof_fsync_dir(as->aofdir) < 0 || manifest_write(as->aofdir, as->manifest_name, &next) < 0) {
        snprintf(err, errlen, "Can't write the append only manifest %s/%s: %s", as->aofdir, as->manifest_name,
                 strerror(errno));
        manifest_free(&next);
        return -1;
    }
    for (size_t i = 0; i < as->m.count; i++) {
        int keep = 0;
        for (size_t j = 0; j < next.count; j++)
            keep |= !strcmp(next.entries[j].file, as->m.entries[i].file);
        if (!keep) {
            char p[AOF_PATH_MAX];
            aof_join(p, sizeof(p), as->aofdir, as->m.entries[i].file);
            unlink(p);
        }
    }
    manifest_free(&as->m);
    as->m = next;
    atomic_store(&as->base_size, base_size);
    atomic_store(&as->size_at_rewrite, base_size);
    server_log(LL_NOTICE, "Append only files created for %d shards in %s (%llu keys in the base)", n, as->aofdir,
               (unsigned long long)keys);
    return 0;
}

/* Same shard count: each shard appends to its last segment. */
static int reopen_segments(struct server *srv, struct aof_server *as, struct old_shard *olds, char *err, size_t errlen)
{
    uint64_t base_size = 0;
    for (int i = 0; i < srv->nshards; i++) {
        struct old_shard *o = &olds[i];
        struct stat st;
        if (o->base[0] && stat(o->base, &st) == 0)
            base_size += (uint64_t)st.st_size;
        uint64_t older = 0;
        struct seg_file *last = NULL;
        for (int j = 0; j < o->nsegs; j++) {
            if (j == o->nsegs - 1)
                last = &o->segs[j];
            else if (!o->segs[j].missing && o->segs[j].valid > AOF_SEGMENT_HEADER_SIZE)
                older += o->segs[j].valid - AOF_SEGMENT_HEADER_SIZE;
        }
        if (!last)
            return 1; /* a shard without segments: make a new generation */
        int fd;
        uint64_t size, alloc;
        if (last->missing || last->valid < AOF_SEGMENT_HEADER_SIZE) {
            fd = aof_seg_create(as, i, last->seq);
            size = alloc = AOF_SEGMENT_HEADER_SIZE;
        } else {
            /* Appends go on where the records end; the zeros after them
             * (written ahead) are reused. A torn record is cut off. */
            fd = open(last->path, O_WRONLY | O_CLOEXEC);
            size = last->valid;
            alloc = last->truncated ? size : last->len;
            if (fd >= 0 && last->truncated && (ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0)) {
                close(fd);
                fd = -1;
            }
        }
        if (fd < 0) {
            snprintf(err, errlen, "Can't open the append only file %s for writing: %s", last->path, strerror(errno));
            return -1;
        }
        as->start_fd[i] = fd;
        as->start_seq[i] = last->seq;
        as->start_size[i] = size;
        as->start_alloc[i] = alloc;
        as->start_older[i] = older;
        atomic_store(&as->log_bytes[i], older + size - AOF_SEGMENT_HEADER_SIZE);
    }
    atomic_store(&as->base_size, base_size);
    atomic_store(&as->size_at_rewrite, base_size);
    return 0;
}

/* Moves every key of private dbs to the shard that owns it now. */
static void distribute(struct server *srv, struct old_shard *o)
{
    struct collect c = {0};
    for (int d = 0; d < o->ndbs; d++) {
        collect_db(o->dbs[d], &c);
        for (size_t i = 0; i < c.n; i++) {
            struct db_entry *e = db_unlink(o->dbs[d], c.v[i]->hash, c.v[i]->key, c.v[i]->key_len);
            if (!e)
                continue;
            const struct persist_shard *s = srv->aof->shards[key_shard(e->key, e->key_len, e->hash, srv->nshards)];
            db_delete(s->dbs[d], e->hash, e->key, e->key_len);
            db_insert(s->dbs[d], e);
        }
    }
    free(c.v);
}

/* Files of ours the manifest does not name: a rewrite's base cut short by
 * a crash (.tmp), or the leftovers of a generation replaced then. */
static void delete_unlisted(struct aof_server *as)
{
    DIR *d = opendir(as->aofdir);
    if (!d)
        return;
    size_t nl = strlen(as->name);
    static const char *const ours[] = {".base.snap", ".incr.log", ".base.snap.tmp"};
    for (struct dirent *de; (de = readdir(d));) {
        const char *f = de->d_name;
        size_t fl = strlen(f);
        if (fl <= nl + 1 || strncmp(f, as->name, nl) != 0 || f[nl] != '.')
            continue;
        int match = 0;
        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
            size_t sl = strlen(ours[i]);
            match |= fl > sl && !strcmp(f + fl - sl, ours[i]);
        }
        for (size_t i = 0; match && i < as->m.count; i++)
            match = strcmp(as->m.entries[i].file, f) != 0;
        if (match) {
            char p[AOF_PATH_MAX];
            aof_join(p, sizeof(p), as->aofdir, f);
            server_log(LL_NOTICE, "Removing %s: not named by the append only manifest", p);
            unlink(p);
        }
    }
    closedir(d);
}

/* ---------------- start-up ---------------- */

static uint64_t count_keys(struct server *srv)
{
    const struct aof_server *as = srv->aof;
    uint64_t keys = 0;
    for (int i = 0; i < srv->nshards; i++)
        for (int d = 0; d < as->shards[i]->ndbs; d++)
            keys += db_size(as->shards[i]->dbs[d]);
    return keys;
}

int aof_load_at_startup(struct server *srv, struct persist_shard *const *shards, char *err, size_t errlen)
{
    const struct config *cfg = server_config(srv);
    struct aof_server *as = calloc(1, sizeof(*as));
    pthread_mutex_init(&as->lock, NULL);
    atomic_store(&as->last_rewrite_ok, 1);
    atomic_store(&as->last_rewrite_time_sec, -1);
    for (int i = 0; i < MAX_THREADS; i++)
        as->start_fd[i] = -1;
    for (int i = 0; i < srv->nshards; i++)
        as->shards[i] = shards[i];
    aof_join(as->aofdir, sizeof(as->aofdir), cfg->dir, cfg->appenddirname);
    snprintf(as->name, sizeof(as->name), "%s", cfg->appendfilename);
    snprintf(as->manifest_name, sizeof(as->manifest_name), "%s.manifest", cfg->appendfilename);
    srv->aof = as;

    /* Snapshot epochs go on from both the dump and the manifest. */
    uint64_t epoch = 0;
    struct snap_index idx;
    char ierr[256];
    if (snap_index_read(cfg->dir, cfg->dbfilename, &idx, ierr, sizeof(ierr)) == 1) {
        epoch = idx.epoch;
        snap_index_free(&idx);
    }

    struct manifest m = {0};
    char merr[512];
    int r = manifest_read(as->aofdir, as->manifest_name, &m, merr, sizeof(merr));
    if (r < 0 && r != -ENOENT && cfg->appendonly) {
        snprintf(err, errlen, "Bad append only manifest %s/%s: %s", as->aofdir, as->manifest_name,
                 r == -EINVAL ? merr : strerror(-r));
        return -1;
    }
    if (r == 0 && m.epoch > epoch)
        epoch = m.epoch;
    if (!cfg->appendonly) {
        /* Not logging: the snapshot is the data. The manifest is kept to
         * number later files and delete these when logging starts. */
        if (r == 0)
            as->m = m;
        return snap_load_at_startup(srv, shards, err, errlen);
    }
    if (mkdir(as->aofdir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "Can't create the append only directory %s: %s", as->aofdir, strerror(errno));
        return -1;
    }
    as->enabled_at_start = 1;
    if (r == -ENOENT) {
        /* First start with appendonly yes: the snapshot, if any, becomes
         * the base of the first generation. */
        if (snap_load_at_startup(srv, shards, err, errlen) < 0)
            return -1;
        if (new_generation(srv, as, epoch + 1, err, errlen) < 0)
            return -1;
        snap_note_loaded(srv, epoch + 1, count_keys(srv));
        return 0;
    }
    if (m.shards == 0 || m.shards > MAX_THREADS) {
        snprintf(err, errlen, "Bad append only manifest %s/%s: shard count %u", as->aofdir, as->manifest_name,
                 m.shards);
        manifest_free(&m);
        return -1;
    }
    int64_t start = monotonic_us();
    int nold = (int)m.shards;
    int same = nold == srv->nshards;
    struct old_shard *olds = calloc(nold, sizeof(*olds));
    struct aof_txn_table *txns = aof_txn_table_new();
    int rc = check_files(as, &m, olds, txns, cfg->aof_load_truncated, err, errlen);
    if (rc == 0) {
        pthread_t *threads = calloc(nold, sizeof(pthread_t));
        for (int i = 0; i < nold; i++) {
            struct old_shard *o = &olds[i];
            o->srv = srv;
            o->index = i;
            o->ndbs = cfg->databases;
            o->txns = txns;
            if (same) {
                o->dbs = as->shards[i]->dbs;
            } else {
                o->private_dbs = 1;
                o->dbs = calloc(o->ndbs, sizeof(*o->dbs));
                for (int d = 0; d < o->ndbs; d++)
                    o->dbs[d] = db_create();
            }
            if (pthread_create(&threads[i], NULL, replay_thread, o) != 0)
                replay_thread(o), threads[i] = 0;
        }
        uint64_t records = 0, skipped = 0;
        for (int i = 0; i < nold; i++) {
            if (threads[i])
                pthread_join(threads[i], NULL);
            records += olds[i].records;
            skipped += olds[i].skipped;
            if ((olds[i].rc < 0 || olds[i].err[0]) && rc == 0) {
                rc = -1;
                snprintf(err, errlen, "%s", olds[i].err[0] ? olds[i].err : "replay failed");
            }
        }
        free(threads);
        if (rc == 0 && !same)
            for (int i = 0; i < nold; i++)
                distribute(srv, &olds[i]);
        for (int i = 0; i < nold; i++) {
            if (olds[i].private_dbs) {
                for (int d = 0; d < olds[i].ndbs; d++)
                    db_destroy(olds[i].dbs[d]);
                free(olds[i].dbs);
            }
        }
        if (rc == 0) {
            uint64_t keys = count_keys(srv);
            server_log(LL_NOTICE,
                       "DB loaded from the append only files in %s: %llu keys, %llu records replayed (%llu of "
                       "incomplete multi-shard transactions skipped), %d shards in the files, %.3f seconds",
                       as->aofdir, (unsigned long long)keys, (unsigned long long)records, (unsigned long long)skipped,
                       nold, (double)(monotonic_us() - start) / 1e6);
            snap_note_loaded(srv, epoch, keys);
        }
    }
    aof_txn_table_free(txns);
    as->m = m;
    if (rc == 0) {
        int again = same ? reopen_segments(srv, as, olds, err, errlen) : 1;
        if (again < 0)
            rc = -1;
        else if (again > 0)
            rc = new_generation(srv, as, epoch + 1, err, errlen);
        if (again > 0 && rc == 0)
            snap_note_loaded(srv, epoch + 1, count_keys(srv));
    }
    unmap_all(olds, nold);
    free(olds);
    if (rc == 0)
        delete_unlisted(as);
    return rc;
}
