/*
 * snapshot_engine.c - the forkless snapshot of the running server, the
 * snapshot part of start-up, and the state behind SAVE, BGSAVE, LASTSAVE,
 * the save rules, INFO persistence and MISCONF.
 *
 * How a snapshot runs (docs/architecture.md, "Persistence: snapshots"):
 *   1. snap_prepare() (coordinator thread) claims the one snapshot slot in
 *      struct snap_server and fixes epoch E, dir and dbfilename.
 *   2. Under the dispatcher's global barrier, snap_shard_begin() runs on
 *      every shard at one cut: it opens
 *      <dbfilename>.shardis-E-<shard>.snap.tmp, writes the header into its
 *      buffer and puts every db in copy-on-write mode (db_cow_begin: a
 *      bucket is serialized before its first change).
 *   3. Between requests, snap_shard_pump() walks more buckets and submits
 *      IORING_OP_WRITEs of 256 KB chunks through the shard's ring, at most
 *      SNAP_MAX_INFLIGHT bytes in flight; completions come back as TAG_SNAP
 *      CQEs. After the trailer: IORING_OP_FSYNC, then rename and an fsync of
 *      the directory.
 *   4. Each shard's part ends in part_done(); the last one (an atomic count)
 *      writes the index <dir>/<dbfilename>.shardis-index (tmp, fsync,
 *      rename, fsync dir), deletes the previous epoch's files, records the
 *      result and runs the completion callback.
 * SAVE does steps 2-4 synchronously inside the barrier (clients wait, as
 * with Redis's SAVE).
 *
 * Ownership: struct snap_job belongs to its shard thread (then to its
 * finish_thread, once the shard let go of it). struct snap_server is
 * shared: its fields are atomics, or written only by the holder of the
 * slot (between snap_prepare and the last part_done). A shard is known
 * only through struct persist_shard (persist/persist_shard.h): its dbs,
 * ring, clock and counters. When to cut is the engine's decision: the
 * global barrier (dispatch_cut) and the shutdown rendezvous
 * (shards/persist_host.c) call snap_shard_begin on every shard.
 *
 * Threads: snap_shard_* on the shard's thread; snap_prepare, the INFO and
 * command helpers on any thread; finish_thread on its own short thread.
 *
 * Invariants: one snapshot at a time (the slot, `active`); the index names
 * only complete, fsynced, renamed files; the files of an index are deleted
 * only after a newer index replaced it.
 */
#include <dirent.h>
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
#include "core/base/log.h"
#include "core/base/server.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "persist/aof_log.h"
#include "persist/persist_shard.h"
#include "persist/snapshot.h"

#define SNAP_CHUNK (256 * 1024)
#define SNAP_MAX_INFLIGHT (2 * 1024 * 1024)
/* Pacing the walk (docs/architecture.md, "Writing between requests"): a
 * pump (once per loop iteration) walks SNAP_STEP_BUCKETS buckets at a time,
 * stops after SNAP_PUMP_US of work and as soon as a completion (a request)
 * is waiting in the ring. While the shard serves requests (it ran or
 * forwarded one in the last SNAP_IDLE_US) the walk earns credit at
 * 1/SNAP_SERVING_SHARE of the wall time (at most SNAP_PUMP_US saved up) and
 * spends it, and the loop may sleep in between: a timer of SNAP_PACE_US
 * wakes it for more. So the thread uses a quarter of a core at most for the
 * snapshot and stays a thread that sleeps, which the scheduler wakes at once
 * when a request arrives (a thread that never sleeps, or uses more than its
 * fair share of a busy machine, waits for a time slice: milliseconds). An
 * idle shard walks at full speed. */
#define SNAP_STEP_BUCKETS 16
#define SNAP_PUMP_US 100
#define SNAP_PACE_US 150
#define SNAP_IDLE_US 5000
#define SNAP_SERVING_SHARE 4 /* 1/4 of the wall time while serving */

struct snap_server {
    _Atomic int active;     /* the slot: a snapshot is running */
    _Atomic int kind;       /* enum snap_kind of the running one */
    _Atomic uint64_t epoch; /* of the running one, or the last one */
    _Atomic int remaining;  /* shard parts still running */
    _Atomic int failed;     /* some part failed */
    snap_done_fn *cb;
    void *cb_priv;
    char dir[CONFIG_PATH_MAX];
    char dbfilename[CONFIG_PATH_MAX];
    char appendfilename[CONFIG_PATH_MAX]; /* a rewrite's base files are named after it */
    int64_t start_ms;
    int nshards;
    /* results */
    _Atomic int last_bgsave_ok;
    _Atomic int last_save_ok;               /* of any kind, for the shutdown save */
    _Atomic long long last_bgsave_time_sec; /* -1 before the first */
    _Atomic int64_t bgsave_start_ms;        /* 0 = none running */
    _Atomic uint64_t saves;
    _Atomic int bgsave_scheduled;
    _Atomic int64_t last_try_ms;                 /* last automatic attempt (retry after failure: 5 s, as Redis) */
    _Atomic int shutdown_save;                   /* set by SHUTDOWN / SIGTERM: save at exit */
    _Atomic uint64_t shard_dirty[MAX_THREADS];   /* published by each shard's cron */
    _Atomic uint64_t dirty_at_cut[MAX_THREADS];  /* of the running snapshot */
    _Atomic uint64_t dirty_at_save[MAX_THREADS]; /* of the last successful one */
    _Atomic int64_t last_save_ms;                /* for the save rules */
    _Atomic uint64_t started_epoch[MAX_THREADS]; /* last epoch each shard started */
    _Atomic uint64_t loaded_keys;                /* at start-up */
    _Atomic int finishers;                       /* finish_thread()s running */
};

/* Per shard, per db: what the copy-on-write callback needs. */
struct snap_dbctx {
    struct snap_job *job;
    int dbid;
};

struct snap_io {
    struct snap_job *job;
    unsigned char *data; /* NULL for the fsync and the pacing timer */
    size_t len, done;
    uint64_t offset;
    int is_timer;                /* the pacing timer (IORING_OP_TIMEOUT) */
    struct __kernel_timespec ts; /* its delay, read by the kernel at submit */
};

enum job_state { JOB_WALK, JOB_DRAIN, JOB_FSYNC, JOB_FAILED };

struct snap_job {
    struct persist_shard *p; /* the shard it writes for */
    int kind;
    uint64_t epoch;
    int fd;
    char tmp[2 * CONFIG_PATH_MAX + 80];
    char final[2 * CONFIG_PATH_MAX + 72];
    struct snap_writer w;
    struct snap_buf cur;
    uint64_t offset; /* next write offset */
    size_t inflight_bytes;
    int inflight; /* SQEs not completed (writes + fsync) */
    int db;       /* walker: current db */
    int state;
    int cow_on;
    int err; /* errno of the failure */
    struct snap_dbctx *dbctx;
    /* pacing: requests seen (commands run + forwarded) and when they moved */
    uint64_t activity;
    int64_t active_us;
    int timer_armed;   /* a pacing timer is in flight */
    int64_t credit_us; /* walk time left while serving (may go below 0) */
    int64_t credit_at; /* when credit_us was last topped up */
};

static struct snap_server *S(struct server *srv)
{
    return srv->snap;
}

int snap_save_due(struct server *srv, int64_t now_ms);

void snap_note_loaded(struct server *srv, uint64_t epoch, uint64_t keys)
{
    if (epoch)
        atomic_store(&S(srv)->epoch, epoch);
    atomic_store(&S(srv)->loaded_keys, keys);
}

void snap_server_init(struct server *srv)
{
    struct snap_server *ss = calloc(1, sizeof(*ss));
    atomic_store(&ss->last_bgsave_ok, 1);
    atomic_store(&ss->last_bgsave_time_sec, -1);
    atomic_store(&ss->last_save_ms, srv->start_time_ms);
    ss->nshards = srv->nshards;
    srv->snap = ss;
}

static void shard_file_name(const struct snap_server *ss, uint64_t epoch, int shard, char *out, size_t outlen)
{
    if (atomic_load(&ss->kind) == SNAP_KIND_REWRITE) {
        aof_base_file_name(ss->appendfilename, epoch, shard, out, outlen);
        return;
    }
    snprintf(out, outlen, "%s.shardis-%llu-%d.snap", ss->dbfilename, (unsigned long long)epoch, shard);
}

int snap_prepare(struct server *srv, enum snap_kind kind, snap_done_fn *cb, void *priv, uint64_t *epoch)
{
    struct snap_server *ss = S(srv);
    int expected = 0;
    if (!atomic_compare_exchange_strong(&ss->active, &expected, 1))
        return -1;
    const struct config *cfg = server_config(srv);
    /* A rewrite writes the bases of the logs, in their directory (fixed at
     * start-up: CONFIG SET dir moves the snapshots, not the logs). */
    if (kind == SNAP_KIND_REWRITE)
        snprintf(ss->dir, sizeof(ss->dir), "%s", aof_dir(srv));
    else
        snprintf(ss->dir, sizeof(ss->dir), "%s", cfg->dir);
    snprintf(ss->appendfilename, sizeof(ss->appendfilename), "%s", cfg->appendfilename);
    snprintf(ss->dbfilename, sizeof(ss->dbfilename), "%s", cfg->dbfilename);
    ss->cb = cb;
    ss->cb_priv = priv;
    ss->start_ms = mstime();
    ss->nshards = srv->nshards;
    atomic_store(&ss->kind, kind);
    atomic_store(&ss->failed, 0);
    atomic_store(&ss->remaining, srv->nshards);
    uint64_t e = atomic_load(&ss->epoch) + 1;
    atomic_store(&ss->epoch, e);
    if (kind == SNAP_KIND_BGSAVE)
        atomic_store(&ss->bgsave_start_ms, ss->start_ms);
    *epoch = e;
    return 0;
}

int snap_in_progress(struct server *srv)
{
    return atomic_load(&S(srv)->active);
}

int snap_writes_refused(struct server *srv)
{
    const struct config *cfg = server_config(srv);
    return cfg->stop_writes_on_bgsave_error && cfg->nsave > 0 && !atomic_load(&S(srv)->last_bgsave_ok);
}

/* ---------------- small synchronous file helpers ---------------- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes the index naming epoch's files, atomically; deletes the files of
 * the index it replaces. Returns 0 or -1 (errno set). */
static int write_index(struct snap_server *ss, uint64_t epoch, int nshards)
{
    struct snap_index old;
    char err[256];
    int had_old = snap_index_read(ss->dir, ss->dbfilename, &old, err, sizeof(err)) == 1;
    struct buf b = {0};
    char line[CONFIG_PATH_MAX + 64];
    snprintf(line, sizeof(line), "shardis-snapshot-index 1\nepoch %llu\nshards %d\n", (unsigned long long)epoch,
             nshards);
    buf_append_str(&b, line);
    for (int i = 0; i < nshards; i++) {
        char name[CONFIG_PATH_MAX + 32];
        shard_file_name(ss, epoch, i, name, sizeof(name));
        snprintf(line, sizeof(line), "file %s\n", name);
        buf_append_str(&b, line);
    }
    buf_append_str(&b, "end\n");
    char path[2 * CONFIG_PATH_MAX + 40], tmp[2 * CONFIG_PATH_MAX + 48], name[CONFIG_PATH_MAX + 32];
    snap_index_name(ss->dbfilename, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", ss->dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = -1;
    if (fd >= 0) {
        if (write_all(fd, b.data, b.len) == 0 && fsync(fd) == 0 && close(fd) == 0) {
            fd = -1;
            if (rename(tmp, path) == 0 && fsync_dir(ss->dir) == 0)
                rc = 0;
        }
        if (fd >= 0)
            close(fd);
        if (rc < 0) {
            int e = errno;
            unlink(tmp);
            errno = e;
        }
    }
    buf_free(&b);
    if (rc == 0 && had_old && old.epoch != epoch) {
        for (int i = 0; i < old.nfiles; i++) {
            char p[2 * CONFIG_PATH_MAX + 8];
            snprintf(p, sizeof(p), "%s/%s", ss->dir, old.files[i]);
            unlink(p);
        }
    }
    if (rc == 0 && had_old && old.legacy) {
        /* upgraded: the older shardis's index at dbfilename is replaced */
        char p[2 * CONFIG_PATH_MAX + 8];
        snprintf(p, sizeof(p), "%s/%s", ss->dir, ss->dbfilename);
        unlink(p);
    }
    if (had_old)
        snap_index_free(&old);
    return rc;
}

/* Tells the snapshot's requester (a log rewrite) how it ended, with the
 * names of the shards' files. */
static void call_done(struct snap_server *ss, int success, uint64_t epoch)
{
    if (!ss->cb)
        return;
    char **files = calloc(ss->nshards, sizeof(char *));
    for (int i = 0; i < ss->nshards; i++) {
        files[i] = malloc(CONFIG_PATH_MAX + 32);
        shard_file_name(ss, epoch, i, files[i], CONFIG_PATH_MAX + 32);
    }
    ss->cb(ss->cb_priv, success, epoch, files, ss->nshards);
    for (int i = 0; i < ss->nshards; i++)
        free(files[i]);
    free(files);
}

/* One shard's part is over (ok or not). The last part finishes the whole. */
static void part_done(struct server *srv, int shard, int ok, uint64_t dirty_at_cut)
{
    struct snap_server *ss = S(srv);
    if (!ok)
        atomic_store(&ss->failed, 1);
    atomic_store(&ss->dirty_at_cut[shard], dirty_at_cut);
    if (atomic_fetch_sub(&ss->remaining, 1) != 1)
        return;
    uint64_t epoch = atomic_load(&ss->epoch);
    int kind = atomic_load(&ss->kind);
    int success = !atomic_load(&ss->failed);
    if (kind == SNAP_KIND_REWRITE) {
        /* A log rewrite: no index, no save statistics; the logs' manifest
         * names the files (aof_rewrite_done). */
        if (!success)
            server_log(LL_WARNING, "The base snapshot of the append only file rewrite failed");
        call_done(ss, success, epoch);
        atomic_store(&ss->active, 0);
        return;
    }
    if (success && write_index(ss, epoch, ss->nshards) < 0) {
        server_log(LL_WARNING, "Failed writing the snapshot index %s/%s: %s", ss->dir, ss->dbfilename, strerror(errno));
        success = 0;
    }
    int64_t now = mstime();
    if (success) {
        for (int i = 0; i < ss->nshards; i++)
            atomic_store(&ss->dirty_at_save[i], atomic_load(&ss->dirty_at_cut[i]));
        atomic_store(&srv->lastsave_unix, now / 1000);
        atomic_store(&ss->last_save_ms, now);
        atomic_fetch_add(&ss->saves, 1);
        server_log(LL_NOTICE, "%s: DB saved on disk (epoch %llu, %d shard files)",
                   kind == SNAP_KIND_SAVE ? "SAVE" : "Background saving", (unsigned long long)epoch, ss->nshards);
    } else {
        /* Remove what this epoch left; the previous snapshot stays. */
        for (int i = 0; i < ss->nshards; i++) {
            char name[CONFIG_PATH_MAX + 32], p[2 * CONFIG_PATH_MAX + 40];
            shard_file_name(ss, epoch, i, name, sizeof(name));
            snprintf(p, sizeof(p), "%s/%s", ss->dir, name);
            unlink(p);
        }
        server_log(LL_WARNING, "%s failed: the previous snapshot is kept",
                   kind == SNAP_KIND_SAVE ? "SAVE" : "Background saving");
    }
    /* As Redis: any successful save clears the error; a failed SAVE (the
     * client got its error) does not set it. */
    if (success || kind != SNAP_KIND_SAVE)
        atomic_store(&ss->last_bgsave_ok, success);
    atomic_store(&ss->last_save_ok, success);
    if (kind != SNAP_KIND_SAVE) {
        atomic_store(&ss->last_bgsave_time_sec, (now - ss->start_ms + 500) / 1000);
        atomic_store(&ss->bgsave_start_ms, 0);
    }
    atomic_store(&ss->last_try_ms, now);
    call_done(ss, success, epoch);
    atomic_store(&ss->active, 0);
}

/* ---------------- one shard's part ---------------- */

static void cow_entry(void *priv, const struct db_entry *e)
{
    struct snap_dbctx *d = priv;
    snap_writer_entry(&d->job->w, d->dbid, e, &d->job->cur);
}

static void job_cow_end(struct snap_job *job)
{
    if (!job->cow_on)
        return;
    struct persist_shard *p = job->p;
    for (int i = 0; i < p->ndbs; i++)
        db_cow_end(p->dbs[i]);
    job->cow_on = 0;
}

static void job_free(struct snap_job *job)
{
    job_cow_end(job);
    snap_writer_abort(&job->w);
    snap_buf_free(&job->cur);
    if (job->fd >= 0)
        close(job->fd);
    free(job->dbctx);
    free(job);
}

static void job_fail(struct snap_job *job, int err, const char *what)
{
    if (job->state == JOB_FAILED)
        return;
    job->state = JOB_FAILED;
    job->err = err;
    server_log(LL_WARNING, "Snapshot of shard %d failed (%s %s): %s", job->p->id, what, job->tmp, strerror(err));
    job_cow_end(job);
    snap_buf_free(&job->cur);
}

/* Ends the job once nothing of it is in flight. */
static void job_maybe_end(struct snap_job *job)
{
    struct persist_shard *p = job->p;
    if (job->inflight > 0)
        return;
    if (job->state == JOB_FAILED) {
        if (job->fd >= 0) {
            close(job->fd);
            job->fd = -1;
        }
        unlink(job->tmp);
        uint64_t dirty = p->stats->dirty;
        p->snap = NULL;
        job_free(job);
        part_done(p->srv, p->id, 0, dirty);
    }
}

static int job_open(struct persist_shard *p, struct snap_job *job, char *err, size_t errlen)
{
    struct snap_server *ss = S(p->srv);
    char name[CONFIG_PATH_MAX + 32];
    shard_file_name(ss, job->epoch, p->id, name, sizeof(name));
    snprintf(job->final, sizeof(job->final), "%s/%s", ss->dir, name);
    snprintf(job->tmp, sizeof(job->tmp), "%s.tmp", job->final);
    job->fd = open(job->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (job->fd < 0) {
        snprintf(err, errlen, "Failed opening the snapshot file %s for saving: %s", job->tmp, strerror(errno));
        server_log(LL_WARNING, "%s", err);
        return -1;
    }
    struct snap_header h = {SNAP_VERSION,      (uint32_t)p->id, (uint32_t)p->srv->nshards,
                            (uint32_t)p->ndbs, job->epoch,      ss->start_ms};
    if (snap_writer_begin(&job->w, &h, &job->cur) < 0) {
        snprintf(err, errlen, "Out of memory starting a snapshot");
        return -1;
    }
    snap_writer_set_compression(&job->w, server_config(p->srv)->rdbcompression);
    job->dbctx = calloc(p->ndbs, sizeof(*job->dbctx));
    for (int i = 0; i < p->ndbs; i++) {
        job->dbctx[i].job = job;
        job->dbctx[i].dbid = i;
        db_cow_begin(p->dbs[i], cow_entry, &job->dbctx[i]);
    }
    job->cow_on = 1;
    return 0;
}

/* Renames the fsynced temp file; 0 or -1 (errno). */
static int job_publish(struct snap_job *job)
{
    struct snap_server *ss = S(job->p->srv);
    if (close(job->fd) < 0) {
        job->fd = -1;
        return -1;
    }
    job->fd = -1;
    if (rename(job->tmp, job->final) < 0)
        return -1;
    return fsync_dir(ss->dir);
}

/* SAVE and shutdown: the whole part, synchronously. */
static int save_sync(struct persist_shard *p, struct snap_job *job, char *err, size_t errlen)
{
    for (int i = 0; i < p->ndbs; i++) {
        while (db_cow_step(p->dbs[i], 1024)) {
            if (job->cur.len >= SNAP_CHUNK) {
                if (write_all(job->fd, job->cur.data, job->cur.len) < 0)
                    goto fail;
                job->cur.len = 0;
            }
        }
    }
    snap_writer_end(&job->w, &job->cur);
    if (write_all(job->fd, job->cur.data, job->cur.len) < 0 || fsync(job->fd) < 0 || job_publish(job) < 0)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "Error saving the snapshot file %s: %s", job->tmp, strerror(errno));
    server_log(LL_WARNING, "%s", err);
    if (job->fd >= 0) {
        close(job->fd);
        job->fd = -1;
    }
    unlink(job->tmp);
    return -1;
}

int snap_shard_begin(struct persist_shard *p, char *err, size_t errlen)
{
    struct snap_server *ss = S(p->srv);
    struct snap_job *job = calloc(1, sizeof(*job));
    job->p = p;
    job->fd = -1;
    job->kind = atomic_load(&ss->kind);
    job->epoch = atomic_load(&ss->epoch);
    uint64_t dirty = p->stats->dirty;
    atomic_store(&ss->started_epoch[p->id], job->epoch);
    if (job->kind == SNAP_KIND_REWRITE)
        aof_shard_cut(p); /* records from here on follow the base */
    if (job_open(p, job, err, errlen) < 0) {
        if (job->fd >= 0)
            unlink(job->tmp);
        job_free(job);
        part_done(p->srv, p->id, 0, dirty);
        return -1;
    }
    if (job->kind == SNAP_KIND_SAVE) {
        int rc = save_sync(p, job, err, errlen);
        job_free(job);
        part_done(p->srv, p->id, rc == 0, dirty);
        return rc;
    }
    job->state = JOB_WALK;
    p->snap = job;
    /* dirty at the cut: kept until the part is done */
    job->err = 0;
    job->offset = 0;
    atomic_store(&ss->dirty_at_cut[p->id], dirty);
    return 0;
}

static void submit_chunk(struct persist_shard *p, struct snap_job *job)
{
    if (job->cur.len == 0)
        return;
    struct snap_io *io = calloc(1, sizeof(*io));
    io->job = job;
    io->data = job->cur.data;
    io->len = job->cur.len;
    io->offset = job->offset;
    job->offset += io->len;
    job->cur.data = NULL;
    job->cur.len = job->cur.cap = 0;
    job->inflight++;
    job->inflight_bytes += io->len;
    struct io_uring_sqe *sqe = io_uring_get_sqe(p->ring);
    if (!sqe) {
        io_uring_submit(p->ring);
        sqe = io_uring_get_sqe(p->ring);
    }
    io_uring_prep_write(sqe, job->fd, io->data, (unsigned)io->len, io->offset);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io | p->tag_snap);
}

static void resubmit(struct persist_shard *p, struct snap_io *io)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(p->ring);
    if (!sqe) {
        io_uring_submit(p->ring);
        sqe = io_uring_get_sqe(p->ring);
    }
    if (io->data)
        io_uring_prep_write(sqe, io->job->fd, io->data + io->done, (unsigned)(io->len - io->done),
                            io->offset + io->done);
    else
        io_uring_prep_fsync(sqe, io->job->fd, 0);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io | p->tag_snap);
}

/* The pacing timer: its CQE (TAG_SNAP) wakes the loop for the next pump. */
static void arm_pace_timer(struct persist_shard *p, struct snap_job *job)
{
    struct snap_io *io = calloc(1, sizeof(*io));
    io->job = job;
    io->is_timer = 1;
    io->ts.tv_nsec = SNAP_PACE_US * 1000;
    job->inflight++;
    job->timer_armed = 1;
    struct io_uring_sqe *sqe = io_uring_get_sqe(p->ring);
    if (!sqe) {
        io_uring_submit(p->ring);
        sqe = io_uring_get_sqe(p->ring);
    }
    io_uring_prep_timeout(sqe, &io->ts, 0, 0);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)io | p->tag_snap);
}

int snap_shard_pump(struct persist_shard *p)
{
    struct snap_job *job = p->snap;
    if (!job)
        return 0;
    int serving = 0;
    if (job->state == JOB_WALK) {
        int64_t now = monotonic_us();
        uint64_t activity = p->stats->commands + p->stats->hops_out;
        if (activity != job->activity) {
            job->activity = activity;
            job->active_us = now;
        }
        serving = now - job->active_us < SNAP_IDLE_US;
        int64_t budget = SNAP_PUMP_US;
        if (serving) {
            /* a share of the wall time, at most one budget saved up */
            job->credit_us += (now - job->credit_at) / SNAP_SERVING_SHARE;
            if (job->credit_us > SNAP_PUMP_US)
                job->credit_us = SNAP_PUMP_US;
            budget = job->credit_us;
        }
        job->credit_at = now;
        /* the replies and messages of this iteration leave before the walk */
        if (serving && budget > 0)
            io_uring_submit(p->ring);
        int64_t start = now;
        while (job->inflight_bytes < SNAP_MAX_INFLIGHT && now - start < budget) {
            /* a completion waits (a request, most likely): serve it first */
            if (io_uring_cq_ready(p->ring))
                break;
            if (job->db >= p->ndbs) {
                snap_writer_end(&job->w, &job->cur);
                job_cow_end(job);
                job->state = JOB_DRAIN;
                submit_chunk(p, job);
                break;
            }
            if (!db_cow_step(p->dbs[job->db], SNAP_STEP_BUCKETS))
                job->db++;
            if (job->cur.len >= SNAP_CHUNK)
                submit_chunk(p, job);
            now = monotonic_us();
        }
        if (serving) {
            job->credit_us -= now - start;
            /* the loop may sleep: the timer brings it back for more */
            if (job->state == JOB_WALK && !job->timer_armed)
                arm_pace_timer(p, job);
        } else {
            job->credit_us = 0;
        }
    }
    /* Buckets copied by writes between pumps. */
    if (job->state == JOB_WALK && job->cur.len >= SNAP_CHUNK)
        submit_chunk(p, job);
    if (job->state == JOB_DRAIN && job->inflight == 0) {
        struct snap_io *io = calloc(1, sizeof(*io));
        io->job = job;
        job->inflight++;
        job->state = JOB_FSYNC;
        resubmit(p, io);
    }
    return job->state == JOB_WALK && job->inflight_bytes < SNAP_MAX_INFLIGHT && !serving;
}

/* The end of a part whose data is fsynced: publish it, then part_done.
 * Touches only the job (detached from its shard) and struct snap_server. */
static void *finish_thread(void *arg)
{
    struct snap_job *job = arg;
    struct persist_shard *p = job->p;
    struct server *srv = p->srv;
    int id = p->id;
    uint64_t dirty = atomic_load(&S(srv)->dirty_at_cut[id]);
    int ok = job_publish(job) == 0;
    if (!ok) {
        server_log(LL_WARNING, "Snapshot of shard %d failed (renaming %s): %s", id, job->tmp, strerror(errno));
        unlink(job->tmp);
    }
    job->cow_on = 0; /* ended before the fsync; the dbs are not touched here */
    job_free(job);
    part_done(srv, id, ok, dirty);
    atomic_fetch_sub(&S(srv)->finishers, 1);
    return NULL;
}

void snap_shard_cqe(struct persist_shard *p, void *ptr, int res)
{
    struct snap_io *io = ptr;
    struct snap_job *job = io->job;
    if (io->is_timer) {
        job->timer_armed = 0;
        job->inflight--;
        free(io);
        job_maybe_end(job);
        return;
    }
    if (res < 0 && res == -EINTR) {
        resubmit(p, io);
        return;
    }
    if (io->data) {
        if (res < 0 || (res == 0 && io->done < io->len)) {
            job_fail(job, res < 0 ? -res : ENOSPC, "writing");
        } else if (io->done + (size_t)res < io->len && job->state != JOB_FAILED) {
            io->done += (size_t)res;
            resubmit(p, io);
            return;
        }
        job->inflight_bytes -= io->len;
        job->inflight--;
        free(io->data);
        free(io);
        job_maybe_end(job);
        return;
    }
    /* the fsync */
    job->inflight--;
    free(io);
    if (res < 0) {
        job_fail(job, -res, "fsync of");
        job_maybe_end(job);
        return;
    }
    if (job->state == JOB_FAILED) {
        job_maybe_end(job);
        return;
    }
    /* Rename, directory fsync and (for the last part) the index are
     * synchronous metadata work that can take milliseconds on a real disk:
     * a short-lived thread does them, the shard goes back to its clients. */
    p->snap = NULL;
    atomic_fetch_add(&S(p->srv)->finishers, 1);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, finish_thread, job) != 0)
        finish_thread(job);
    pthread_attr_destroy(&attr);
}

/* ---------------- cron: save rules ---------------- */

int snap_shard_cron(struct persist_shard *p)
{
    struct snap_server *ss = S(p->srv);
    atomic_store_explicit(&ss->shard_dirty[p->id], p->stats->dirty, memory_order_relaxed);
    if (p->id != 0 || *p->stopping || !snap_save_due(p->srv, *p->now_ms))
        return 0;
    uint64_t epoch;
    int scheduled = atomic_load(&ss->bgsave_scheduled);
    if (snap_prepare(p->srv, SNAP_KIND_BGSAVE, NULL, NULL, &epoch) < 0)
        return 0;
    atomic_store(&ss->bgsave_scheduled, 0);
    server_log(LL_NOTICE, "%s. Background saving started (epoch %llu)",
               scheduled ? "Background saving scheduled by BGSAVE SCHEDULE" : "Save rule reached",
               (unsigned long long)epoch);
    return 1; /* the caller takes the cut behind the global barrier (dispatch_cut) */
}

int snap_command_prepare(struct server *srv, int is_save, int argc, const struct arg *argv, const char **reply,
                         int *is_error)
{
    struct snap_server *ss = S(srv);
    int schedule = 0;
    if (!is_save && argc > 1) {
        if (argc == 2 && arg_is(&argv[1], "schedule")) {
            schedule = 1;
        } else {
            *reply = ERR_SYNTAX;
            *is_error = 1;
            return 0;
        }
    }
    uint64_t epoch;
    if (snap_prepare(srv, is_save ? SNAP_KIND_SAVE : SNAP_KIND_BGSAVE, NULL, NULL, &epoch) == 0)
        return 1;
    /* As Redis: SCHEDULE waits for another kind of job (a log rewrite);
     * a BGSAVE already running is an error even with SCHEDULE. */
    if (schedule && atomic_load(&ss->kind) == SNAP_KIND_REWRITE) {
        atomic_store(&ss->bgsave_scheduled, 1);
        *reply = "Background saving scheduled";
        *is_error = 0;
        return 0;
    }
    *reply = "ERR Background save already in progress";
    *is_error = 1;
    return 0;
}

uint64_t snap_changes_since_save(struct server *srv)
{
    struct snap_server *ss = S(srv);
    uint64_t total = 0;
    for (int i = 0; i < srv->nshards; i++) {
        uint64_t now = atomic_load_explicit(&ss->shard_dirty[i], memory_order_relaxed);
        uint64_t then = atomic_load_explicit(&ss->dirty_at_save[i], memory_order_relaxed);
        total += now > then ? now - then : 0;
    }
    return total;
}

int snap_save_due(struct server *srv, int64_t now_ms)
{
    struct snap_server *ss = S(srv);
    if (atomic_load(&ss->active))
        return 0;
    if (atomic_load(&ss->bgsave_scheduled))
        return 1;
    const struct config *cfg = server_config(srv);
    if (cfg->nsave == 0)
        return 0;
    /* After a failure, retry no sooner than 5 s later (Redis's
     * CONFIG_BGSAVE_RETRY_DELAY). */
    if (!atomic_load(&ss->last_bgsave_ok) && now_ms - atomic_load(&ss->last_try_ms) < 5000)
        return 0;
    uint64_t changes = snap_changes_since_save(srv);
    int64_t since = (now_ms - atomic_load(&ss->last_save_ms)) / 1000;
    for (int i = 0; i < cfg->nsave; i++)
        if (changes >= (uint64_t)cfg->save_changes[i] && since >= cfg->save_seconds[i])
            return 1;
    return 0;
}

void snap_schedule(struct server *srv, int on)
{
    atomic_store(&S(srv)->bgsave_scheduled, on);
}

/* ---------------- shutdown ---------------- */

void snap_request_shutdown_save(struct server *srv, int save)
{
    atomic_store(&S(srv)->shutdown_save, save);
}

void snap_shard_abandon(struct persist_shard *p)
{
    struct snap_server *ss = S(p->srv);
    struct snap_job *job = p->snap;
    /* A part being published finishes first (it may write the index). */
    while (atomic_load(&ss->finishers) > 0)
        usleep(1000);
    if (!job)
        return;
    /* A running BGSAVE is abandoned: wait for its writes, drop the file.
     * Other CQEs are of connections already closed. */
    job_fail(job, ECANCELED, "shutdown during");
    while (job->inflight > 0) {
        struct io_uring_cqe *cqe;
        io_uring_submit(p->ring);
        if (io_uring_wait_cqe(p->ring, &cqe) < 0)
            break;
        uint64_t ud = cqe->user_data;
        int res = cqe->res;
        io_uring_cqe_seen(p->ring, cqe);
        if ((ud & p->tag_mask) == p->tag_snap) {
            struct snap_io *io = (void *)(uintptr_t)(ud & ~p->tag_mask);
            job->inflight--;
            (void)res;
            free(io->data);
            free(io);
        }
    }
    if (job->fd >= 0)
        close(job->fd);
    job->fd = -1;
    unlink(job->tmp);
    p->snap = NULL;
    job_free(job);
    /* the abandoned part no longer counts */
}

int snap_shutdown_save_wanted(struct server *srv)
{
    return atomic_load(&S(srv)->shutdown_save);
}

void snap_prepare_final(struct server *srv)
{
    struct snap_server *ss = S(srv);
    /* Every loop has stopped and every part of an abandoned snapshot is
     * gone (the caller's rendezvous): the slot is free whatever it says. */
    atomic_store(&ss->active, 0);
    uint64_t epoch;
    snap_prepare(srv, SNAP_KIND_SAVE, NULL, NULL, &epoch);
    server_log(LL_NOTICE, "Saving the final snapshot before exiting.");
}

int snap_shutdown_failed(struct server *srv)
{
    struct snap_server *ss = S(srv);
    return atomic_load(&ss->shutdown_save) && !atomic_load(&ss->last_save_ok);
}

/* ---------------- INFO ---------------- */

void snap_info(struct server *srv, struct buf *out, uint64_t dirty_total)
{
    struct snap_server *ss = S(srv);
    /* dirty_total is fresh (INFO asked every shard); the crons' copies lag. */
    uint64_t saved = 0;
    for (int i = 0; i < srv->nshards; i++)
        saved += atomic_load_explicit(&ss->dirty_at_save[i], memory_order_relaxed);
    int64_t start = atomic_load(&ss->bgsave_start_ms);
    char line[1024];
    snprintf(line, sizeof(line),
             "loading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n"
             "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\n"
             "current_save_keys_total:0\r\nrdb_changes_since_last_save:%llu\r\nrdb_bgsave_in_progress:%d\r\n"
             "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\nrdb_last_bgsave_time_sec:%lld\r\n"
             "rdb_current_bgsave_time_sec:%lld\r\nrdb_saves:%llu\r\nrdb_last_cow_size:0\r\n"
             "rdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:%llu\r\n",
             (unsigned long long)(dirty_total > saved ? dirty_total - saved : 0), start ? 1 : 0,
             (long long)atomic_load(&srv->lastsave_unix), atomic_load(&ss->last_bgsave_ok) ? "ok" : "err",
             (long long)atomic_load(&ss->last_bgsave_time_sec), start ? (long long)(mstime() - start) / 1000 : -1LL,
             (unsigned long long)atomic_load(&ss->saves), (unsigned long long)atomic_load(&ss->loaded_keys));
    buf_append_str(out, line);
}
