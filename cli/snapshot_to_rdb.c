/*
 * snapshot_to_rdb.c - `shardis-check-snapshot --to-rdb OUT SNAPSHOT`: writes
 * the content of a shardis snapshot (an index file: every shard file it
 * names; or one shard file) as a Redis 7.0 RDB file (version 10) that
 * redis-server 7.0.15 loads and redis-check-rdb accepts (persist/rdb.h).
 *
 * Keys keep their db and their expiry (keys already expired are written
 * too: Redis drops them when it loads the file, as it does for its own).
 * The file is written as OUT.tmp, fsynced and renamed, so OUT is either
 * the old file or the whole new one. Runs in the tool's one thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/buf.h"
#include "core/base/util.h"
#include "core/types/object.h"
#include "persist/rdb.h"
#include "persist/snapshot.h"

struct convert {
    int fd;
    struct rdb_writer w;
    struct buf out;
    int failed;
    char err[512];
};

static int flush_out(struct convert *cv)
{
    size_t at = 0;
    while (at < cv->out.len) {
        ssize_t n = write(cv->fd, cv->out.data + at, cv->out.len - at);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(cv->err, sizeof(cv->err), "write: %s", strerror(errno));
            cv->failed = 1;
            return -1;
        }
        at += (size_t)n;
    }
    cv->out.len = 0;
    return 0;
}

static int convert_entry(void *priv, int dbid, struct db_entry *e)
{
    struct convert *cv = priv;
    rdb_writer_entry(&cv->w, &cv->out, dbid, e);
    entry_free(e);
    if (cv->out.len >= (1 << 20))
        return flush_out(cv);
    return 0;
}

int snapshot_to_rdb(const char *out_path, const char *src);

int snapshot_to_rdb(const char *out_path, const char *src)
{
    /* the shard files: those an index names, or src itself */
    char **files = NULL;
    int nfiles = 0;
    struct snap_index idx = {0};
    char err[2048];
    int r = snap_index_read_file(src, &idx, err, sizeof(err));
    char *copy = strdup(src);
    const char *dir = dirname(copy);
    if (r == 1) {
        files = calloc((size_t)idx.nfiles, sizeof(char *));
        for (int i = 0; i < idx.nfiles; i++) {
            size_t len = strlen(dir) + strlen(idx.files[i]) + 2;
            files[i] = malloc(len);
            snprintf(files[i], len, "%s/%s", dir, idx.files[i]);
        }
        nfiles = idx.nfiles;
        snap_index_free(&idx);
    } else {
        files = calloc(1, sizeof(char *));
        files[0] = strdup(src);
        nfiles = 1;
    }
    free(copy);

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
    struct convert cv = {0};
    cv.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (cv.fd < 0) {
        fprintf(stderr, "Can't create %s: %s\n", tmp, strerror(errno));
        rc = 1;
        goto out;
    }
    rdb_writer_begin(&cv.w, &cv.out, 1, mstime());
    for (int i = 0; i < nfiles && rc == 0; i++) {
        struct snap_load_result res;
        if (snap_load_file(files[i], 0, convert_entry, &cv, &res, err, sizeof(err)) < 0) {
            fprintf(stderr, "Can't convert %s: %s\n", files[i], cv.failed ? cv.err : err);
            rc = 1;
        }
    }
    if (rc == 0) {
        rdb_writer_end(&cv.w, &cv.out);
        if (flush_out(&cv) < 0 || fsync(cv.fd) < 0) {
            fprintf(stderr, "Can't write %s: %s\n", tmp, cv.failed ? cv.err : strerror(errno));
            rc = 1;
        }
    }
    close(cv.fd);
    if (rc == 0 && rename(tmp, out_path) < 0) {
        fprintf(stderr, "Can't rename %s to %s: %s\n", tmp, out_path, strerror(errno));
        rc = 1;
    }
    if (rc != 0)
        unlink(tmp);
    else
        printf("[info] %llu keys written to %s (Redis RDB version %d)\n", (unsigned long long)cv.w.keys, out_path,
               RDB_VERSION);
out:
    buf_free(&cv.out);
    for (int i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    return rc;
}
