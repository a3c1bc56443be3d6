/*
 * shardis_check_rdb.c - `shardis-check-rdb FILE`: checks a Redis RDB file
 * (versions 1 to 10) as redis-check-rdb does: every record is parsed and
 * every value built with the same validation the import uses
 * (persist/rdb.c), then the CRC64 is verified.
 *
 * Prints what it read (version, keys, expires, keys per type) or the first
 * problem and its byte offset. Exit status: 0 when the file is intact, 1
 * when it is damaged or unreadable, 2 on bad usage. Nothing is written.
 * One thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/util.h"
#include "core/types/object.h"
#include "persist/rdb.h"

struct counts {
    unsigned long long types[OBJ_STREAM + 1], expires, already_expired;
    int64_t now_ms;
};

static int count_entry(void *priv, int dbid, struct db_entry *e, long long idle, int freq)
{
    struct counts *c = priv;
    if (e->type <= OBJ_STREAM)
        c->types[e->type]++;
    if (e->expire_at) {
        c->expires++;
        if (e->expire_at <= c->now_ms)
            c->already_expired++;
    }
    entry_free(e);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "Usage: %s <rdb-file-name>\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    printf("[offset 0] Checking RDB file %s\n", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        printf("--- RDB ERROR DETECTED ---\n[offset 0] Can't open %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t len = (size_t)st.st_size;
    const unsigned char *data = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (data == MAP_FAILED) {
        printf("--- RDB ERROR DETECTED ---\n[offset 0] Can't map %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct config cfg;
    config_init_defaults(&cfg);
    struct counts c = {.now_ms = mstime()};
    struct rdb_load_stats rs;
    char err[1024] = "";
    int rc = rdb_load_buffer(data ? data : (const unsigned char *)"", len, &cfg, RDB_LOAD_CHECKSUM, NULL, NULL,
                             count_entry, &c, &rs, err, sizeof(err));
    if (rs.version)
        printf("[offset 9] RDB version %d\n", rs.version);
    if (rc < 0) {
        printf("--- RDB ERROR DETECTED ---\n");
        printf("[offset %llu] %s\n", (unsigned long long)rs.error_offset, err);
        printf("[additional info] %llu keys read before the error\n", (unsigned long long)rs.keys);
    } else {
        printf("[info] %llu keys read\n", (unsigned long long)rs.keys);
        printf("[info] %llu expires\n", c.expires);
        printf("[info] %llu already expired\n", c.already_expired);
        printf("[info] %llu strings, %llu lists, %llu sets, %llu sorted sets, %llu hashes, %llu streams\n",
               c.types[OBJ_STRING], c.types[OBJ_LIST], c.types[OBJ_SET], c.types[OBJ_ZSET], c.types[OBJ_HASH],
               c.types[OBJ_STREAM]);
        if (rs.empty_skipped)
            printf("[info] %llu empty keys (Redis skips them when loading)\n", (unsigned long long)rs.empty_skipped);
        if (rs.functions_skipped)
            printf("[info] %llu function libraries (not loaded by shardis)\n",
                   (unsigned long long)rs.functions_skipped);
        printf("\\o/ RDB looks OK! \\o/\n");
    }
    if (data)
        munmap((void *)data, len);
    return rc < 0 ? 1 : 0;
}
