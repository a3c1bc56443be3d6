/*
 * aof_log.c - the append path, group commit and rewrite of the per-shard
 * logs (see aof_log.h; start-up replay is in aof_load.c).
 *
 * Owns: each shard's struct aof_shard (its segments, pending records, ops
 * in flight) and the rewrite bookkeeping of struct aof_server. It knows its
 * shard only through struct persist_shard (persist/persist_shard.h): the
 * ring it queues writes and fsyncs on, the clock, the config snapshot, and
 * the engine's log positions, which it moves; when they move it calls the
 * engine's release_held op.
 *
 * Threads: the aof_shard_* functions and the append path run on the
 * shard's thread; aof_command_prepare, aof_config_changed,
 * aof_writes_refused and aof_info on any thread (atomics and `lock`);
 * aof_rewrite_done on the thread of the shard whose snapshot part ends
 * last (or its finishing thread).
 *
 * Invariants: log_durable <= log_appended; with appendfsync always,
 * log_durable only counts records written and fsynced, in order, and never
 * moves past a failed op (nor, after a failed fsync, until a rewrite
 * replaced the files); `*log` is the writer exactly while it logs.
 *
 * Each shard encodes the records of one loop iteration into `pending`; at
 * the end of the iteration aof_shard_flush turns them into one write (with
 * appendfsync always a linked fsync) on the shard's ring. Positions count
 * the bytes ever appended by the shard: `appended` grows with each record,
 * the engine's log_durable is what has been written and, with always, fsynced, in
 * order. Output produced at position p may leave once log_durable >= p
 * (shards/client.c holds client output, shards/mailbox.c reply batches;
 * only with always).
 *
 * A failed write (ENOSPC, EIO) keeps its bytes; the cron retries it each
 * second, and until it succeeds write commands get MISCONF (as Redis's
 * "Errors writing to the AOF file"). Durable positions never move past it,
 * so with always nothing written after it is acknowledged either.
 *
 * A failed everysec fsync cannot be repaired in place: the kernel marks the
 * pages it could not write clean (they read back fine, but a later fsync,
 * even a successful one, never writes them again; on ext4 the blocks next
 * to them are lost too). So writes get MISCONF, the fsync is retried with
 * backoff (1, 2, 4, 8 s) until the disk takes data again, and then a rewrite
 * writes the whole data set from memory into new files; only when that
 * rewrite is done are writes accepted again ("fsync works again").
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/buf.h"
#include "core/base/config.h"
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

/* Bytes of records a shard keeps per write; a bigger iteration writes more
 * than one op (the pipeline of `always` waits for the previous op only). */
#define AOF_WRITE_MAX (8u << 20)
/* Segments are extended with zeros ahead of the writes, a step at a time:
 * a write then changes no file size and fdatasync flushes data only (on
 * ext4 or xfs no journal commit per fsync, and the shards' fsyncs do not
 * queue behind one another). The loader reads zeros as the end. */
#define AOF_PREALLOC_STEP (1u << 20)
#define AOF_PREALLOC_AHEAD (256u << 10)
/* Without appendfsync always a write waits for this many bytes or ms. */
#define AOF_LAZY_BYTES (64u << 10)
#define AOF_LAZY_MS 2
/* A failed everysec fsync is retried after 1 s, then 2, 4, 8 s. */
#define AOF_FSYNC_RETRY_FIRST_MS 1000
#define AOF_FSYNC_RETRY_MAX_MS 8000

/* One CQE source of an op: its write or its fsync. */
struct aof_part {
    struct aof_op *op;
    int is_fsync;
};

struct aof_op {
    struct aof_op *next;
    struct aof_seg *seg;
    char *data; /* NULL for an fsync-only op (everysec) */
    size_t len, done;
    uint64_t offset; /* in the file */
    uint64_t end;    /* log position once this op is done */
    int fsync;
    int pending; /* CQEs to come */
    int err;     /* errno of a failure, retried from the cron */
    int ok;      /* written (and fsynced when asked) */
    struct aof_part w, f;
};

/* ---------------- server-wide state ---------------- */

static struct aof_server *A(struct server *srv)
{
    return srv->aof;
}

void aof_seg_path(const struct aof_server *as, int shard, uint64_t seq, char *out, size_t outlen)
{
    char name[AOF_PATH_MAX];
    aof_seg_name(as, shard, seq, name, sizeof(name));
    aof_join(out, outlen, as->aofdir, name);
}

void aof_seg_name(const struct aof_server *as, int shard, uint64_t seq, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s.%d.%llu.incr.log", as->name, shard, (unsigned long long)seq);
}

void aof_base_file_name(const char *appendfilename, uint64_t epoch, int shard, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s.%llu.%d.base.snap", appendfilename, (unsigned long long)epoch, shard);
}

__attribute__((noinline)) void aof_join(char *out, size_t outlen, const char *dir, const char *file)
{
    snprintf(out, outlen, "%s/%s", dir, file);
}

__attribute__((noinline)) void aof_join_ext(char *out, size_t outlen, const char *path, const char *ext)
{
    snprintf(out, outlen, "%s%s", path, ext);
}

int aof_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Creates a segment: header written and fsynced, the directory too.
 * Returns the fd or -1 (errno). */
int aof_seg_create(const struct aof_server *as, int shard, uint64_t seq)
{
    char path[AOF_PATH_MAX];
    aof_seg_path(as, shard, seq, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    uint8_t h[AOF_SEGMENT_HEADER_SIZE];
    aof_encode_segment_header(h, (uint32_t)shard);
    if (pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || fsync(fd) < 0 || aof_fsync_dir(as->aofdir) < 0) {
        int e = errno ? errno : EIO;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* ---------------- records ---------------- */

static void risk_note_record(struct aof_shard *a, int argc, const char *const *argv, const uint32_t *lens);

static void append_record(struct aof_shard *a, uint8_t type, int dbid, int argc, const char *const *argv,
                          const uint32_t *lens)
{
    if (__builtin_expect(*a->p->log_failing, 0))
        risk_note_record(a, argc, argv, lens);
    size_t n = aof_record_size((uint32_t)argc, lens);
    char *p = buf_reserve(&a->pending, n);
    aof_encode_record((uint8_t *)p, type, (uint32_t)dbid, a->txn_id, a->txn_parts, (uint32_t)argc, argv, lens);
    a->pending.len += n;
    *a->p->log_appended += n;
    a->txn_records++;
}

void aof_append_strs(struct aof_shard *a, int dbid, int argc, const char *const *argv, const size_t *lens)
{
    if (!a)
        return;
    uint32_t small[16] = {0};
    uint32_t *l = argc <= 16 ? small : malloc(sizeof(uint32_t) * argc);
    for (int i = 0; i < argc; i++)
        l[i] = (uint32_t)lens[i];
    append_record(a, AOF_REC_COMMAND, dbid, argc, argv, l);
    if (l != small)
        free(l);
}

void aof_append_args(struct aof_shard *a, int dbid, int argc, const struct arg *argv)
{
    if (!a)
        return;
    const char *psmall[16] = {0};
    uint32_t lsmall[16] = {0};
    const char **p = argc <= 16 ? psmall : malloc(sizeof(char *) * argc);
    uint32_t *l = argc <= 16 ? lsmall : malloc(sizeof(uint32_t) * argc);
    for (int i = 0; i < argc; i++) {
        p[i] = argv[i].ptr;
        l[i] = (uint32_t)argv[i].len;
    }
    append_record(a, AOF_REC_COMMAND, dbid, argc, p, l);
    if (p != psmall) {
        free(p);
        free(l);
    }
}

void aof_append_del(struct aof_shard *a, int dbid, const char *key, size_t len)
{
    if (!a)
        return;
    const char *argv[2] = {"DEL", key};
    uint32_t lens[2] = {3, (uint32_t)len};
    append_record(a, AOF_REC_COMMAND, dbid, 2, argv, lens);
}

void aof_append_entry(struct aof_shard *a, int dbid, const struct db_entry *e)
{
    if (!a)
        return;
    struct snap_writer w;
    struct snap_buf b = {0};
    struct snap_header h = {SNAP_VERSION, 0, 1, (uint32_t)dbid + 1, 0, 0};
    if (snap_writer_begin(&w, &h, &b) < 0)
        return;
    snap_writer_entry(&w, dbid, e, &b);
    snap_writer_end(&w, &b);
    const char *argv[2] = {AOF_RESTORE_CMD, (const char *)b.data};
    uint32_t lens[2] = {sizeof(AOF_RESTORE_CMD) - 1, (uint32_t)b.len};
    append_record(a, AOF_REC_COMMAND, dbid, 2, argv, lens);
    snap_buf_free(&b);
}

void aof_txn_begin(struct aof_shard *a, uint64_t txn_id, int parts)
{
    if (!a)
        return;
    a->txn_id = txn_id;
    a->txn_parts = (uint16_t)parts;
    a->txn_records = 0;
}

void aof_txn_end(struct aof_shard *a)
{
    if (!a || !a->txn_id)
        return;
    /* A one-shard transaction (EXEC on one shard) that logged nothing needs
     * no end; a multi-shard part always ends: its peers count on it. */
    if (a->txn_parts > 1 || a->txn_records > 0)
        append_record(a, AOF_REC_TXN_END, 0, 0, NULL, NULL);
    a->txn_id = 0;
    a->txn_parts = 0;
}

int aof_txn_open(const struct aof_shard *a)
{
    return a && a->txn_id != 0;
}

uint64_t aof_new_txn_id(struct persist_shard *p)
{
    if (!p->next_txn_id)
        p->next_txn_id = ((uint64_t)(monotonic_us() + (uint64_t)mstime() * 1000) << 8) | (uint64_t)p->id;
    p->next_txn_id += 256;
    return p->next_txn_id;
}

const char *aof_dir(struct server *srv)
{
    return A(srv)->aofdir;
}

struct aof_shard *aof_shard_log(struct persist_shard *p)
{
    return *p->log;
}

/* ---------------- segments and ops ---------------- */

static struct io_uring_sqe *sqe_get(struct persist_shard *p)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(p->ring);
    if (!sqe) {
        io_uring_submit(p->ring);
        sqe = io_uring_get_sqe(p->ring);
    }
    return sqe;
}

static void seg_release(struct aof_shard *a, struct aof_seg *seg)
{
    if (--seg->refs > 0)
        return;
    /* A segment left behind (rotation, appendonly no): its data reaches the
     * disk before the file is closed, whatever the policy. */
    if (seg->fd >= 0) {
        if (a->fsync_policy != AOF_FSYNC_NO)
            fdatasync(seg->fd);
        close(seg->fd);
    }
    free(seg);
}

static void op_submit(struct persist_shard *p, struct aof_op *op)
{
    op->err = 0;
    if (op->data) {
        struct io_uring_sqe *sqe = sqe_get(p);
        io_uring_prep_write(sqe, op->seg->fd, op->data + op->done, (unsigned)(op->len - op->done),
                            op->offset + op->done);
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)&op->w | p->tag_aof);
        op->pending++;
        if (op->fsync)
            sqe->flags |= IOSQE_IO_LINK;
    }
    if (op->fsync) {
        struct io_uring_sqe *sqe = sqe_get(p);
        io_uring_prep_fsync(sqe, op->seg->fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)&op->f | p->tag_aof);
        op->pending++;
    }
}

static struct aof_op *op_new(struct aof_seg *seg)
{
    struct aof_op *op = calloc(1, sizeof(*op));
    op->seg = seg;
    seg->refs++;
    op->w.op = op;
    op->f.op = op;
    op->f.is_fsync = 1;
    return op;
}

/* ---------------- reads while the log fails (appendfsync always) ----------------
 *
 * A write or fsync fails: the replies of the writes whose records are not
 * durable stay held, new writes get MISCONF, and reads go on unless they
 * read a key that such a record touches: the set of those keys is built
 * from the records not yet durable when the failure is seen, and grows with
 * every record appended while it lasts (expiry deletions, the parts of a
 * transaction already admitted). It is dropped when the log works again. */

static void risk_add(struct aof_shard *a, uint64_t h)
{
    h |= 1; /* 0 marks an empty slot */
    if ((a->risk_used + 1) * 2 > a->risk_cap) {
        size_t cap = a->risk_cap ? a->risk_cap * 2 : 256;
        uint64_t *t = calloc(cap, sizeof(uint64_t));
        if (!t) {
            a->risk_all = 1;
            return;
        }
        for (size_t i = 0; i < a->risk_cap; i++) {
            if (!a->risk[i])
                continue;
            size_t j = a->risk[i] & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = a->risk[i];
        }
        free(a->risk);
        a->risk = t;
        a->risk_cap = cap;
    }
    size_t j = h & (a->risk_cap - 1);
    while (a->risk[j] && a->risk[j] != h)
        j = (j + 1) & (a->risk_cap - 1);
    if (!a->risk[j]) {
        a->risk[j] = h;
        a->risk_used++;
    }
}

static int risk_has(const struct aof_shard *a, uint64_t h)
{
    if (!a->risk_cap)
        return 0;
    h |= 1;
    size_t j = h & (a->risk_cap - 1);
    while (a->risk[j]) {
        if (a->risk[j] == h)
            return 1;
        j = (j + 1) & (a->risk_cap - 1);
    }
    return 0;
}

/* The keys of one record (a command, or a whole value moved in). */
static void risk_note_record(struct aof_shard *a, int argc, const char *const *argv, const uint32_t *lens)
{
    if (argc < 1) /* TXN_END */
        return;
    if (lens[0] == sizeof(AOF_RESTORE_CMD) - 1 && !memcmp(argv[0], AOF_RESTORE_CMD, lens[0]) && argc == 2) {
        /* a one-entry snapshot: the key follows the header and the record
         * head (type, encoding, pad, db, expiry, key length) */
        const unsigned char *p = (const unsigned char *)argv[1];
        size_t at = SNAP_HEADER_SIZE + 1 + 3 + 4 + 8;
        if (lens[1] < at + 4) {
            a->risk_all = 1;
            return;
        }
        uint32_t klen =
            (uint32_t)p[at] | (uint32_t)p[at + 1] << 8 | (uint32_t)p[at + 2] << 16 | (uint32_t)p[at + 3] << 24;
        if (lens[1] < at + 4 + klen) {
            a->risk_all = 1;
            return;
        }
        risk_add(a, key_hash((const char *)p + at + 4, klen));
        return;
    }
    const struct command *cmd = command_lookup(argv[0], lens[0]);
    struct arg small[16];
    struct arg *args = argc <= 16 ? small : malloc(sizeof(struct arg) * argc);
    for (int i = 0; i < argc; i++) {
        args[i].ptr = (char *)argv[i];
        args[i].len = lens[i];
    }
    int idx_small[16];
    int *idx = argc <= 16 ? idx_small : malloc(sizeof(int) * argc);
    int n = cmd ? command_key_positions(cmd, argc, args, idx, argc) : 0;
    if (n <= 0)
        a->risk_all = 1; /* FLUSHALL, FLUSHDB, SWAPDB, an unknown record: every key */
    for (int i = 0; i < n; i++)
        risk_add(a, key_hash(args[idx[i]].ptr, args[idx[i]].len));
    if (args != small)
        free(args);
    if (idx != idx_small)
        free(idx);
}

static void risk_note_bytes(struct aof_shard *a, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        struct aof_record rec;
        if (aof_decode_record((const uint8_t *)data + off, len - off, &rec) != AOF_OK) {
            a->risk_all = 1;
            return;
        }
        risk_note_record(a, (int)rec.argc, rec.argv, rec.argv_len);
        off += rec.size;
        aof_record_free(&rec);
    }
}

/* The log of an always shard failed: from now on reads of keys not touched
 * by a record that is not durable leave without waiting. */
static void failing_begin(struct aof_shard *a)
{
    struct persist_shard *p = a->p;
    if (*p->log_failing || !*p->log_hold)
        return;
    *p->log_failing = 1;
    for (struct aof_op *op = a->ops_head; op; op = op->next)
        if (op->data)
            risk_note_bytes(a, op->data, op->len);
    risk_note_bytes(a, a->pending.data, a->pending.len);
}

static void failing_end(struct aof_shard *a)
{
    *a->p->log_failing = 0;
    free(a->risk);
    a->risk = NULL;
    a->risk_cap = a->risk_used = 0;
    a->risk_all = 0;
}

int aof_read_is_durable(struct persist_shard *p, const struct command *cmd, int argc, const struct arg *argv)
{
    struct aof_shard *a = p->aof;
    if (!*p->log_failing || !a || a->risk_all || !cmd || (cmd->flags & CMD_WRITE))
        return 0;
    int idx_small[16];
    int *idx = argc <= 16 ? idx_small : malloc(sizeof(int) * argc);
    int n = command_key_positions(cmd, argc, argv, idx, argc);
    /* A keyless command that reads the keyspace (DBSIZE, KEYS, SCAN,
     * RANDOMKEY: @read or @keyspace) may see any key; the others (PING,
     * INFO, COMMAND, CLIENT, ...) read no data. */
    int keyspace =
        cmd->acl_categories && (strstr(cmd->acl_categories, "@read") || strstr(cmd->acl_categories, "@keyspace"));
    int ok = n > 0 || (n == 0 && (!keyspace || a->risk_used == 0));
    for (int i = 0; ok && i < n; i++)
        ok = !risk_has(a, key_hash(argv[idx[i]].ptr, argv[idx[i]].len));
    if (idx != idx_small)
        free(idx);
    return ok;
}

static void set_error(struct aof_shard *a, int err)
{
    struct aof_server *as = A(a->p->srv);
    if (atomic_load(&as->write_err[a->p->id]) != err) {
        server_log(LL_WARNING, "Error writing to the append only file of shard %d (%s): %s", a->p->id,
                   a->cur ? a->cur_path : "", strerror(err));
    }
    atomic_store(&as->write_err[a->p->id], err);
    failing_begin(a);
}

/* An everysec fsync failed: writes are refused (MISCONF); the retries wait
 * longer each time. */
static void fsync_failed(struct aof_shard *a, int err)
{
    struct aof_server *as = A(a->p->srv);
    if (!a->fsync_backoff_ms)
        a->fsync_backoff_ms = AOF_FSYNC_RETRY_FIRST_MS;
    if (atomic_load(&as->fsync_err[a->p->id]) != err)
        server_log(LL_WARNING,
                   "Fsync of the append only file of shard %d failed (%s): %s; writes are refused, retrying in %lld ms",
                   a->p->id, a->cur ? a->cur_path : "", strerror(err), (long long)a->fsync_backoff_ms);
    atomic_store(&as->fsync_err[a->p->id], err);
    a->fsync_retry_ms = *a->p->now_ms + a->fsync_backoff_ms;
    a->fsync_backoff_ms =
        a->fsync_backoff_ms * 2 > AOF_FSYNC_RETRY_MAX_MS ? AOF_FSYNC_RETRY_MAX_MS : a->fsync_backoff_ms * 2;
}

/* Pops the finished ops at the head: the durable position moves. */
static void ops_advance(struct aof_shard *a)
{
    struct persist_shard *p = a->p;
    int moved = 0;
    while (a->ops_head && a->ops_head->ok) {
        struct aof_op *op = a->ops_head;
        a->ops_head = op->next;
        if (!a->ops_head)
            a->ops_tail = NULL;
        a->written = op->end;
        if (op->fsync)
            a->fsynced = op->end;
        moved = 1;
        seg_release(a, op->seg);
        free(op->data);
        free(op);
    }
    if (moved && *p->log_hold && !a->durable_blocked) {
        *p->log_durable = a->fsynced > *p->log_durable ? a->fsynced : *p->log_durable;
        p->ops->release_held(p->host);
    }
    int failed = 0;
    for (struct aof_op *op = a->ops_head; op; op = op->next)
        failed |= op->err != 0;
    if (!failed && atomic_load(&A(p->srv)->write_err[p->id])) {
        atomic_store(&A(p->srv)->write_err[p->id], 0);
        server_log(LL_WARNING, "The append only file of shard %d is writable again", p->id);
    }
    if (!failed && a->durable_blocked && !atomic_load(&A(p->srv)->fsync_healed[p->id]) &&
        atomic_load(&A(p->srv)->fsync_err[p->id])) {
        /* the failed fsync was retried with success: the disk takes data
         * again; a rewrite (maybe_auto_rewrite) makes the data durable */
        atomic_store(&A(p->srv)->fsync_healed[p->id], 1);
        server_log(LL_WARNING,
                   "Fsync of the append only file of shard %d works again; rewriting the append only files before "
                   "writes are accepted and held replies leave",
                   p->id);
    }
    if (!failed && *p->log_failing && !a->ops_head && !a->durable_blocked)
        failing_end(a); /* every record is durable again */
}

/* Writes zeros ahead of the data (synchronously: a step is written to the
 * page cache in a fraction of a millisecond, once per megabyte of log). */
static void prealloc(struct aof_seg *seg, uint64_t end)
{
    static const char zeros[64 * 1024];
    if (seg->no_prealloc || seg->alloc >= end + AOF_PREALLOC_AHEAD)
        return;
    if (seg->size > seg->alloc) { /* data past the zeros: never overwrite it */
        seg->no_prealloc = 1;
        return;
    }
    uint64_t to = seg->alloc + AOF_PREALLOC_STEP;
    while (to < end + AOF_PREALLOC_AHEAD)
        to += AOF_PREALLOC_STEP;
    for (uint64_t off = seg->alloc; off < to;) {
        size_t n = to - off < sizeof(zeros) ? (size_t)(to - off) : sizeof(zeros);
        ssize_t w = pwrite(seg->fd, zeros, n, (off_t)off);
        if (w <= 0) {
            seg->no_prealloc = 1; /* ENOSPC: plain appends; their errors are reported */
            return;
        }
        off += (uint64_t)w;
        seg->alloc = off;
    }
}

/* Turns `pending` into a write on the current segment. */
static void submit_pending(struct persist_shard *p, struct aof_shard *a)
{
    if (!a->pending.len || !a->cur)
        return;
    prealloc(a->cur, a->cur->size + a->pending.len);
    struct aof_op *op = op_new(a->cur);
    op->data = a->pending.data;
    op->len = a->pending.len;
    op->offset = a->cur->size;
    op->end = *p->log_appended;
    op->fsync = a->fsync_policy == AOF_FSYNC_ALWAYS;
    a->cur->size += op->len;
    a->pending.data = NULL;
    a->pending.len = a->pending.cap = 0;
    if (a->ops_tail)
        a->ops_tail->next = op;
    else
        a->ops_head = op;
    a->ops_tail = op;
    atomic_store_explicit(&A(p->srv)->log_bytes[p->id], a->cur->size - AOF_SEGMENT_HEADER_SIZE + a->older_bytes,
                          memory_order_relaxed);
    op_submit(p, op);
}

void aof_shard_flush(struct persist_shard *p)
{
    struct aof_shard *a = p->aof;
    if (!a)
        return;
    int hold = *p->log != NULL && (*p->cfg)->appendfsync == AOF_FSYNC_ALWAYS;
    a->fsync_policy = *p->log ? (*p->cfg)->appendfsync : a->fsync_policy;
    if (!hold && *p->log_hold) {
        *p->log_hold = 0; /* always -> everysec/no, or logging stopped */
        *p->log_durable = *p->log_appended;
        p->ops->release_held(p->host);
    }
    *p->log_hold = hold;
    if (!a->pending.len) {
        *p->log_lazy = 0;
        return;
    }
    /* Group commit: with always, the next write waits for the fsync of the
     * previous one, gathering what arrives meanwhile. */
    if (hold && a->ops_head && a->pending.len < AOF_WRITE_MAX)
        return;
    if (!hold) {
        *p->log_durable = *p->log_appended; /* nothing waits for the disk */
        /* everysec / no: fewer, larger writes (the fsync comes later anyway):
         * records wait up to AOF_LAZY_MS or AOF_LAZY_BYTES. */
        if (!a->pending_since_ms)
            a->pending_since_ms = *p->now_ms;
        if (a->pending.len < AOF_LAZY_BYTES && *p->now_ms - a->pending_since_ms < AOF_LAZY_MS) {
            *p->log_lazy = 1; /* the loop wakes up for it */
            return;
        }
    }
    *p->log_lazy = 0;
    a->pending_since_ms = 0;
    submit_pending(p, a);
}

void aof_shard_cqe(struct persist_shard *p, void *ptr, int res)
{
    struct aof_part *part = ptr;
    struct aof_op *op = part->op;
    struct aof_shard *a = p->aof;
    op->pending--;
    if (part->is_fsync) {
        if (!op->data) { /* everysec's fsync */
            struct aof_server *as = A(p->srv);
            a->fsync_inflight = 0;
            if (res < 0) {
                fsync_failed(a, -res);
            } else {
                a->fsynced = op->end > a->fsynced ? op->end : a->fsynced;
                if (atomic_load(&as->fsync_err[p->id]) && !atomic_load(&as->fsync_healed[p->id])) {
                    /* the disk takes data again: a rewrite replaces what
                     * the failed fsync may have lost (maybe_auto_rewrite) */
                    atomic_store(&as->fsync_healed[p->id], 1);
                    a->fsync_backoff_ms = 0;
                    server_log(LL_WARNING,
                               "Fsync of the append only file of shard %d works again; rewriting the append only "
                               "files before writes are accepted",
                               p->id);
                }
            }
            seg_release(a, op->seg);
            free(op);
            return;
        }
        if (res < 0 && res != -ECANCELED && !op->err) {
            op->err = -res;
            /* the write reached the page cache, the disk refused it: the
             * replies wait for a rewrite (durable_blocked) */
            if (!a->durable_blocked) {
                a->durable_blocked = 1;
                atomic_store(&A(p->srv)->fsync_err[p->id], -res);
            }
        }
    } else if (res < 0) {
        if (res != -EINTR && res != -EAGAIN)
            op->err = -res;
    } else if (res == 0 && op->done < op->len) {
        op->err = ENOSPC;
    } else {
        op->done += (size_t)res;
    }
    if (op->pending > 0)
        return;
    if (op->err) {
        set_error(a, op->err);
        return; /* the cron retries it */
    }
    if (op->done < op->len) {
        op_submit(p, op); /* short write: the rest, then the fsync */
        return;
    }
    op->ok = 1;
    ops_advance(a);
}

/* ---------------- rotation, enabling, disabling ---------------- */

static void open_current(struct persist_shard *p, struct aof_shard *a, int fd, uint64_t seq, uint64_t size,
                         uint64_t alloc)
{
    struct aof_seg *seg = calloc(1, sizeof(*seg));
    seg->fd = fd;
    seg->seq = seq;
    seg->size = size;
    seg->alloc = alloc > size ? alloc : size;
    seg->refs = 1;
    a->cur = seg;
    aof_seg_path(A(p->srv), p->id, seq, a->cur_path, sizeof(a->cur_path));
}

void aof_shard_cut(struct persist_shard *p)
{
    struct aof_shard *a = p->aof;
    struct aof_server *as = A(p->srv);
    uint64_t seq = atomic_load(&as->next_seq[p->id]);
    if (!a || !seq)
        return;
    int fd = -1;
    if ((*p->cfg)->appendonly) {
        fd = aof_seg_create(as, p->id, seq);
        if (fd < 0) {
            /* Logging goes on in the old segment, still listed; the rewrite
             * fails (aof_rewrite_done) and the old generation stays. */
            server_log(LL_WARNING, "Can't create the append only file segment %llu of shard %d: %s",
                       (unsigned long long)seq, p->id, strerror(errno));
            atomic_store(&as->cut_failed, 1);
            return;
        }
    }
    /* What came before the cut goes to the old segment. */
    if (a->cur) {
        submit_pending(p, a);
        struct aof_seg *old = a->cur;
        a->cur = NULL;
        seg_release(a, old);
    }
    if (fd < 0) {
        /* BGREWRITEAOF with appendonly no writes the files, as Redis, but
         * nothing is logged: the listed segment stays absent (empty). */
        *p->log = NULL;
        return;
    }
    open_current(p, a, fd, seq, AOF_SEGMENT_HEADER_SIZE, AOF_SEGMENT_HEADER_SIZE);
    a->older_bytes = 0; /* the base replaces what came before */
    atomic_store_explicit(&as->log_bytes[p->id], 0, memory_order_relaxed);
    a->fsync_policy = (*p->cfg)->appendfsync;
    *p->log = a;
}

static void stop_logging(struct persist_shard *p, struct aof_shard *a)
{
    submit_pending(p, a);
    if (a->cur) {
        struct aof_seg *old = a->cur;
        a->cur = NULL;
        seg_release(a, old);
    }
    *p->log = NULL;
}

/* ---------------- cron ---------------- */

static void retry_failed(struct persist_shard *p, struct aof_shard *a)
{
    for (struct aof_op *op = a->ops_head; op; op = op->next)
        if (op->err && op->pending == 0)
            op_submit(p, op);
}

static int maybe_auto_rewrite(struct persist_shard *p);

int aof_shard_cron(struct persist_shard *p)
{
    struct aof_shard *a = p->aof;
    struct aof_server *as = A(p->srv);
    if (!a)
        return 0;
    if (*p->log && !(*p->cfg)->appendonly)
        stop_logging(p, a);
    if (*p->now_ms - a->last_retry_ms >= 1000) {
        a->last_retry_ms = *p->now_ms;
        retry_failed(p, a);
    }
    if (a->durable_blocked && !atomic_load(&as->fsync_err[p->id])) {
        /* the rewrite after a failed fsync is done: what was held is in it */
        a->durable_blocked = 0;
        *p->log_durable = a->fsynced > *p->log_durable ? a->fsynced : *p->log_durable;
        p->ops->release_held(p->host);
        if (*p->log_failing && !a->ops_head)
            failing_end(a);
    }
    int fsync_failing = atomic_load_explicit(&as->fsync_err[p->id], memory_order_relaxed) != 0;
    int fsync_due = fsync_failing ? !atomic_load(&as->fsync_healed[p->id]) && *p->now_ms >= a->fsync_retry_ms
                                  : a->fsync_policy == AOF_FSYNC_EVERYSEC && *p->now_ms - a->last_fsync_ms >= 1000 &&
                                        a->written > a->fsynced;
    if (*p->log && fsync_due && !a->fsync_inflight && a->cur) {
        a->last_fsync_ms = *p->now_ms;
        struct aof_op *op = op_new(a->cur);
        op->fsync = 1;
        op->end = a->written;
        a->fsync_inflight = 1;
        op_submit(p, op);
    }
    (void)as;
    return p->id == 0 && !*p->stopping && maybe_auto_rewrite(p);
}

/* Expiry deletes a key: logged as DEL, so that a replay (where nothing
 * expires) deletes it at the same point. */
struct expire_hook {
    struct persist_shard *p;
    int dbid;
};

static void on_expire(void *priv, const struct db_entry *e)
{
    struct expire_hook *h = priv;
    aof_append_del(*h->p->log, h->dbid, e->key, e->key_len);
}

void aof_shard_init(struct persist_shard *p)
{
    struct aof_server *as = A(p->srv);
    struct aof_shard *a = calloc(1, sizeof(*a));
    a->p = p;
    a->hooks = calloc(p->ndbs, sizeof(struct expire_hook));
    for (int i = 0; i < p->ndbs; i++) {
        struct expire_hook *h = &((struct expire_hook *)a->hooks)[i];
        h->p = p;
        h->dbid = i;
        db_set_expire_hook(p->dbs[i], on_expire, h);
    }
    a->fsync_policy = (*p->cfg)->appendfsync;
    p->aof = a;
    if (as->start_fd[p->id] >= 0 && as->enabled_at_start) {
        open_current(p, a, as->start_fd[p->id], as->start_seq[p->id], as->start_size[p->id], as->start_alloc[p->id]);
        a->older_bytes = as->start_older[p->id];
        *p->log = a;
    }
}

void aof_shard_finish(struct persist_shard *p)
{
    struct aof_shard *a = p->aof;
    if (!a)
        return;
    /* Wait for what is in flight (the loop is over: other CQEs are
     * dropped), then write what is left synchronously. */
    int spins = 0;
    while ((a->ops_head || a->fsync_inflight) && spins < 100000) {
        int stuck = !a->fsync_inflight;
        for (struct aof_op *op = a->ops_head; op; op = op->next)
            stuck &= op->err != 0 && op->pending == 0;
        if (stuck)
            break;
        struct io_uring_cqe *cqe;
        struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
        io_uring_submit(p->ring);
        if (io_uring_wait_cqe_timeout(p->ring, &cqe, &ts) == 0) {
            uint64_t ud = cqe->user_data;
            int res = cqe->res;
            io_uring_cqe_seen(p->ring, cqe);
            if ((ud & p->tag_mask) == p->tag_aof)
                aof_shard_cqe(p, (void *)(uintptr_t)(ud & ~p->tag_mask), res);
        }
        spins++;
    }
    if (a->cur && a->pending.len) {
        size_t off = 0;
        while (off < a->pending.len) {
            ssize_t n = pwrite(a->cur->fd, a->pending.data + off, a->pending.len - off, a->cur->size + off);
            if (n <= 0) {
                server_log(LL_WARNING, "Error writing the append only file of shard %d at exit: %s", p->id,
                           strerror(n < 0 ? errno : ENOSPC));
                break;
            }
            off += (size_t)n;
        }
        a->cur->size += off;
    }
    if (a->cur && a->cur->fd >= 0) {
        fsync(a->cur->fd);
        close(a->cur->fd);
        a->cur->fd = -1;
    }
    buf_free(&a->pending);
}

/* ---------------- rewrite ---------------- */

/* Writes the manifest of the current generation plus, when with_next, the
 * next segment of every shard (a rewrite about to cut). Caller holds lock. */
static int write_manifest_locked(struct aof_server *as)
{
    int rc = manifest_write(as->aofdir, as->manifest_name, &as->m);
    if (rc < 0)
        server_log(LL_WARNING, "Can't write the append only manifest %s/%s: %s", as->aofdir, as->manifest_name,
                   strerror(-rc));
    return rc;
}

static uint64_t max_seq(const struct manifest *m, int shard)
{
    uint64_t mx = 0;
    for (size_t i = 0; i < m->count; i++)
        if (m->entries[i].kind == MANIFEST_LOG && (int)m->entries[i].shard == shard && m->entries[i].seq > mx)
            mx = m->entries[i].seq;
    return mx;
}

/* Claims the snapshot slot for a rewrite and lists the next segments.
 * Returns 1 started (epoch set), 0 scheduled (busy), -1 failed. */
static int rewrite_start(struct server *srv, uint64_t *epoch, const char **why)
{
    struct aof_server *as = A(srv);
    int n = srv->nshards;
    pthread_mutex_lock(&as->lock);
    if (atomic_load(&as->rewrite_in_progress)) {
        pthread_mutex_unlock(&as->lock);
        *why = "ERR Background append only file rewriting already in progress";
        return -1;
    }
    if (snap_in_progress(srv)) {
        atomic_store(&as->rewrite_scheduled, 1);
        pthread_mutex_unlock(&as->lock);
        return 0;
    }
    if (mkdir(as->aofdir, 0755) < 0 && errno != EEXIST)
        server_log(LL_WARNING, "Can't create the append only directory %s: %s", as->aofdir, strerror(errno));
    /* The next segments are listed before any shard writes to them: a
     * crash before the rewrite completes still replays them. */
    for (int i = 0; i < n; i++) {
        uint64_t next = max_seq(&as->m, i) + 1;
        char name[AOF_PATH_MAX];
        aof_seg_name(as, i, next, name, sizeof(name));
        manifest_add(&as->m, MANIFEST_LOG, (uint32_t)i, next, name);
        atomic_store(&as->next_seq[i], next);
    }
    as->m.shards = (uint32_t)n;
    if (write_manifest_locked(as) < 0) {
        pthread_mutex_unlock(&as->lock);
        *why = "ERR Can't write the append only manifest: check the logs";
        return -1;
    }
    if (snap_prepare(srv, SNAP_KIND_REWRITE, aof_rewrite_done, srv, epoch) < 0) {
        atomic_store(&as->rewrite_scheduled, 1);
        pthread_mutex_unlock(&as->lock);
        return 0;
    }
    uint64_t healed = 0;
    for (int i = 0; i < n; i++)
        if (atomic_load(&as->fsync_healed[i]))
            healed |= 1ULL << i;
    atomic_store(&as->healed_at_rewrite, healed);
    atomic_store(&as->cut_failed, 0);
    atomic_store(&as->rewrite_in_progress, 1);
    atomic_store(&as->rewrite_scheduled, 0);
    as->rewrite_start_ms = mstime();
    pthread_mutex_unlock(&as->lock);
    server_log(LL_NOTICE, "Background append only file rewriting started (epoch %llu)", (unsigned long long)*epoch);
    return 1;
}

int aof_command_prepare(struct server *srv, const char **reply, int *is_error)
{
    uint64_t epoch;
    const char *why = NULL;
    int r = rewrite_start(srv, &epoch, &why);
    if (r == 1)
        return 1;
    *is_error = r < 0;
    *reply = r < 0 ? why : "Background append only file rewriting scheduled";
    return 0;
}

/* A rewrite started without a client (automatic, scheduled, CONFIG SET
 * appendonly yes): 1 when the slot is claimed; the caller then takes the cut
 * behind the global barrier (dispatch_cut), as BGREWRITEAOF does. */
static int rewrite_start_auto(struct server *srv, const char *reason)
{
    uint64_t epoch;
    const char *why = NULL;
    if (rewrite_start(srv, &epoch, &why) != 1)
        return 0;
    server_log(LL_NOTICE, "%s: append only file rewrite started", reason);
    return 1;
}

void aof_rewrite_done(void *priv, int ok, uint64_t epoch, char *const *files, int nfiles)
{
    struct server *srv = priv;
    struct aof_server *as = A(srv);
    pthread_mutex_lock(&as->lock);
    if (ok && atomic_load(&as->cut_failed))
        ok = 0;
    if (ok) {
        struct manifest next = {0};
        next.epoch = epoch;
        next.shards = (uint32_t)nfiles;
        for (int i = 0; i < nfiles; i++)
            manifest_add(&next, MANIFEST_BASE, (uint32_t)i, 0, files[i]);
        for (int i = 0; i < nfiles; i++) {
            uint64_t seq = atomic_load(&as->next_seq[i]);
            char name[AOF_PATH_MAX];
            aof_seg_name(as, i, seq, name, sizeof(name));
            manifest_add(&next, MANIFEST_LOG, (uint32_t)i, seq, name);
        }
        int rc = manifest_write(as->aofdir, as->manifest_name, &next);
        if (rc == 0) {
            /* The old generation's files are no longer named: delete them. */
            for (size_t i = 0; i < as->m.count; i++) {
                const struct manifest_entry *e = &as->m.entries[i];
                int keep = 0;
                for (size_t j = 0; j < next.count; j++)
                    keep |= !strcmp(next.entries[j].file, e->file);
                if (!keep) {
                    char p[AOF_PATH_MAX];
                    aof_join(p, sizeof(p), as->aofdir, e->file);
                    unlink(p);
                }
            }
            manifest_free(&as->m);
            as->m = next;
            uint64_t base = 0;
            for (int i = 0; i < nfiles; i++) {
                char p[AOF_PATH_MAX];
                struct stat st;
                aof_join(p, sizeof(p), as->aofdir, files[i]);
                if (stat(p, &st) == 0)
                    base += (uint64_t)st.st_size;
            }
            atomic_store(&as->base_size, base);
            atomic_store(&as->size_at_rewrite, base);
        } else {
            server_log(LL_WARNING, "Can't write the append only manifest after a rewrite: %s", strerror(-rc));
            manifest_free(&next);
            ok = 0;
        }
    }
    if (!ok) {
        /* The base files of this epoch are not named by any manifest. */
        for (int i = 0; i < nfiles; i++) {
            char p[AOF_PATH_MAX];
            aof_join(p, sizeof(p), as->aofdir, files[i]);
            unlink(p);
        }
    }
    /* Files written after the disk came back replace those a failed fsync
     * may have damaged: writes are accepted again. */
    uint64_t healed = atomic_exchange(&as->healed_at_rewrite, 0);
    for (int i = 0; ok && i < nfiles && i < MAX_THREADS; i++) {
        if (!(healed & (1ULL << i)))
            continue;
        atomic_store(&as->fsync_healed[i], 0);
        atomic_store(&as->fsync_err[i], 0);
        server_log(LL_WARNING, "The append only files of shard %d are durable again: writes are accepted", i);
    }
    int64_t now = mstime();
    atomic_store(&as->last_rewrite_ok, ok);
    atomic_store(&as->last_rewrite_time_sec, (now - as->rewrite_start_ms + 500) / 1000);
    if (ok)
        atomic_fetch_add(&as->rewrites, 1);
    atomic_store(&as->rewrite_in_progress, 0);
    pthread_mutex_unlock(&as->lock);
    server_log(ok ? LL_NOTICE : LL_WARNING,
               ok ? "Background AOF rewrite finished successfully (epoch %llu)"
                  : "Background AOF rewrite failed (epoch %llu)",
               (unsigned long long)epoch);
}

static int maybe_auto_rewrite(struct persist_shard *p)
{
    struct server *srv = p->srv;
    struct aof_server *as = A(srv);
    const struct config *cfg = (*p->cfg);
    if (atomic_load(&as->rewrite_in_progress) || snap_in_progress(srv))
        return 0;
    if (atomic_load(&as->enable_pending) && cfg->appendonly) {
        atomic_store(&as->enable_pending, 0);
        return rewrite_start_auto(srv, "Appendonly turned on");
    }
    /* A shard whose failed fsync works again: new files from memory. */
    int healed = 0;
    for (int i = 0; i < srv->nshards; i++)
        healed |= atomic_load(&as->fsync_healed[i]);
    if (healed && cfg->appendonly) {
        if (!atomic_load(&as->last_rewrite_ok) && *p->now_ms - as->last_auto_try_ms < 5000)
            return 0;
        as->last_auto_try_ms = *p->now_ms;
        return rewrite_start_auto(srv, "Append only file fsync recovered");
    }
    if (!*p->log)
        return 0;
    if (atomic_load(&as->rewrite_scheduled))
        return rewrite_start_auto(srv, "Scheduled BGREWRITEAOF");
    if (cfg->auto_aof_rewrite_percentage <= 0)
        return 0;
    uint64_t logs = 0;
    for (int i = 0; i < srv->nshards; i++)
        logs += atomic_load_explicit(&as->log_bytes[i], memory_order_relaxed);
    uint64_t base = atomic_load(&as->size_at_rewrite);
    uint64_t cur = base + logs;
    if (cur < (uint64_t)cfg->auto_aof_rewrite_min_size)
        return 0;
    uint64_t ref = base ? base : 1;
    if ((cur - base) * 100 / ref < (uint64_t)cfg->auto_aof_rewrite_percentage)
        return 0;
    /* As Redis: a failed automatic rewrite is retried after a pause. */
    if (!atomic_load(&as->last_rewrite_ok) && *p->now_ms - as->last_auto_try_ms < 5000)
        return 0;
    as->last_auto_try_ms = *p->now_ms;
    return rewrite_start_auto(srv, "Append only file growth");
}

void aof_config_changed(struct server *srv, int was_on, int now_on)
{
    struct aof_server *as = A(srv);
    if (!was_on && now_on) {
        /* As Redis: logging starts with a rewrite; the shards start their
         * logs at its cut. Needs the directory. */
        if (mkdir(as->aofdir, 0755) < 0 && errno != EEXIST)
            server_log(LL_WARNING, "Can't create the append only directory %s: %s", as->aofdir, strerror(errno));
        atomic_store(&as->enable_pending, 1);
    } else if (was_on && !now_on) {
        atomic_store(&as->enable_pending, 0);
    }
}

int aof_writes_refused(struct server *srv, const char **msg)
{
    struct aof_server *as = A(srv);
    for (int i = 0; i < srv->nshards; i++) {
        int e = atomic_load_explicit(&as->write_err[i], memory_order_relaxed);
        if (!e)
            e = atomic_load_explicit(&as->fsync_err[i], memory_order_relaxed);
        if (e) {
            static __thread char text[160]; /* each shard thread its own */
            snprintf(text, sizeof(text), "MISCONF Errors writing to the AOF file: %s", strerror(e));
            *msg = text;
            return 1;
        }
    }
    return 0;
}

void aof_info(struct server *srv, struct buf *out)
{
    struct aof_server *as = A(srv);
    const struct config *cfg = server_config(srv);
    int in_progress = atomic_load(&as->rewrite_in_progress);
    int write_ok = 1;
    for (int i = 0; i < srv->nshards; i++)
        write_ok &= atomic_load(&as->write_err[i]) == 0 && atomic_load(&as->fsync_err[i]) == 0;
    char line[1024];
    int64_t cur = in_progress ? (mstime() - as->rewrite_start_ms) / 1000 : -1;
    snprintf(line, sizeof(line),
             "aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n"
             "aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n"
             "aof_last_bgrewrite_status:%s\r\naof_rewrites:%llu\r\naof_rewrites_consecutive_failures:0\r\n"
             "aof_last_write_status:%s\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\n"
             "module_fork_last_cow_size:0\r\n",
             cfg->appendonly, in_progress, atomic_load(&as->rewrite_scheduled),
             (long long)atomic_load(&as->last_rewrite_time_sec), (long long)cur,
             atomic_load(&as->last_rewrite_ok) ? "ok" : "err", (unsigned long long)atomic_load(&as->rewrites),
             write_ok ? "ok" : "err");
    buf_append_str(out, line);
    if (cfg->appendonly) {
        uint64_t logs = 0;
        for (int i = 0; i < srv->nshards; i++)
            logs += atomic_load_explicit(&as->log_bytes[i], memory_order_relaxed);
        uint64_t base = atomic_load(&as->base_size);
        snprintf(line, sizeof(line),
                 "aof_current_size:%llu\r\naof_base_size:%llu\r\naof_pending_rewrite:%d\r\n"
                 "aof_buffer_length:0\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
                 (unsigned long long)(atomic_load(&as->size_at_rewrite) + logs), (unsigned long long)base,
                 atomic_load(&as->rewrite_scheduled));
        buf_append_str(out, line);
    }
}
