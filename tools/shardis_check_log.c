/*
 * shardis_check_log.c - shardis-check-log FILE [--fix], the counterpart of
 * redis-check-aof for one shardis log segment (format in persist/aof.h).
 *
 * Reads the whole segment, walks its records and prints either "OK" with the
 * record count, or what is wrong and at which byte offset. A torn tail
 * (the last record cut off by a crash) is repaired with --fix by truncating
 * the file to its valid prefix; the tool says how many bytes it cut. A
 * checksum or structure error before the end is never "fixed": cutting there
 * would drop acknowledged writes, so the operator decides.
 *
 * Exit status: 0 valid (or fixed), 1 damaged, 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persist/aof.h"

static void count_record(const struct aof_record *rec, void *arg)
{
    (void)rec;
    (*(unsigned long *)arg)++;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, used = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0)
            break;
        if (used == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = used;
    return buf;
}

int main(int argc, char **argv)
{
    int fix = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fix") == 0)
            fix = 1;
        else if (!path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path) {
        fprintf(stderr, "Usage: %s <file.log> [--fix]\n", argv[0]);
        return 2;
    }
    size_t len;
    uint8_t *buf = read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "Cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    unsigned long records = 0;
    size_t offset;
    enum aof_status st = aof_scan_segment(buf, len, count_record, &records, &offset);
    free(buf);
    if (st == AOF_END) {
        printf("%s: OK, %lu records, %zu bytes\n", path, records, len);
        return 0;
    }
    if (st == AOF_CORRUPT) {
        printf("%s: corrupt %s at byte offset %zu (after %lu valid records); not fixable automatically\n", path,
               offset == 0 ? "segment header" : "record", offset, records);
        return 1;
    }
    printf("%s: truncated record at byte offset %zu (after %lu valid records), %zu bytes of torn tail\n", path, offset,
           records, len - offset);
    if (!fix) {
        printf("Run with --fix to cut the file at byte offset %zu\n", offset);
        return 1;
    }
    if (offset == 0) {
        printf("The segment header itself is cut; nothing valid to keep, file left unchanged\n");
        return 1;
    }
    if (truncate(path, (off_t)offset) != 0) {
        fprintf(stderr, "Cannot truncate %s: %s\n", path, strerror(errno));
        return 2;
    }
    printf("Fixed: cut %zu bytes, %s now ends at byte offset %zu with %lu records\n", len - offset, path, offset,
           records);
    return 0;
}
