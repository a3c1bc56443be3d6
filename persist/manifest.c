/*
 * manifest.c - text encoding and atomic replacement of the persistence
 * manifest (format in manifest.h).
 *
 * Why text: an operator can read and repair it with an editor, as with
 * Redis's appendonly.aof.manifest; it is tiny and written once per rewrite.
 * Why write-fsync-rename-fsync(dir): rename(2) is atomic within a directory,
 * and the two fsyncs make both the new content and the new directory entry
 * durable before the old files are deleted.
 *
 * Threads: no state of its own; called by the thread that writes or loads the
 * logs, never by two at once for one directory.
 */
#include "persist/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int plain_file_name(const char *s)
{
    if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p == '/' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            return 0;
    }
    return 1;
}

int manifest_add(struct manifest *m, enum manifest_entry_kind kind, uint32_t shard, uint64_t seq, const char *file)
{
    if (!plain_file_name(file))
        return -1;
    struct manifest_entry *grown = realloc(m->entries, (m->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    m->entries = grown;
    char *copy = strdup(file);
    if (!copy)
        return -1;
    m->entries[m->count++] = (struct manifest_entry){.kind = kind, .shard = shard, .seq = seq, .file = copy};
    return 0;
}

void manifest_free(struct manifest *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->entries[i].file);
    free(m->entries);
    memset(m, 0, sizeof *m);
}

char *manifest_format(const struct manifest *m, size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    fprintf(f, "version %d\nepoch %" PRIu64 "\nshards %" PRIu32 "\n", MANIFEST_VERSION, m->epoch, m->shards);
    for (size_t i = 0; i < m->count; i++) {
        const struct manifest_entry *e = &m->entries[i];
        if (e->kind == MANIFEST_BASE)
            fprintf(f, "base %" PRIu32 " %s\n", e->shard, e->file);
        else
            fprintf(f, "log %" PRIu32 " %" PRIu64 " %s\n", e->shard, e->seq, e->file);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t err_size)
{
    memset(m, 0, sizeof *m);
    char *copy = malloc(len + 1);
    if (!copy) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    int line_no = 0, have_version = 0, have_shards = 0;
    char *save_line = NULL;
    for (char *line = strtok_r(copy, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
        line_no++;
        char *save = NULL;
        char *words[5] = {0};
        int n = 0;
        for (char *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
            if (n == 5)
                goto bad;
            words[n++] = w;
        }
        if (n == 0 || words[0][0] == '#')
            continue;
        uint64_t a, b;
        if (strcmp(words[0], "version") == 0 && n == 2 && parse_u64(words[1], &a) == 0) {
            if (a != MANIFEST_VERSION) {
                snprintf(err, err_size, "line %d: unsupported manifest version %s", line_no, words[1]);
                goto fail;
            }
            have_version = 1;
        } else if (strcmp(words[0], "epoch") == 0 && n == 2 && parse_u64(words[1], &a) == 0) {
            m->epoch = a;
        } else if (strcmp(words[0], "shards") == 0 && n == 2 && parse_u64(words[1], &a) == 0 && a > 0 &&
                   a <= UINT32_MAX) {
            m->shards = (uint32_t)a;
            have_shards = 1;
        } else if (strcmp(words[0], "base") == 0 && n == 3 && parse_u64(words[1], &a) == 0 && a <= UINT32_MAX) {
            if (manifest_add(m, MANIFEST_BASE, (uint32_t)a, 0, words[2]) != 0)
                goto bad;
        } else if (strcmp(words[0], "log") == 0 && n == 4 && parse_u64(words[1], &a) == 0 && a <= UINT32_MAX &&
                   parse_u64(words[2], &b) == 0) {
            if (manifest_add(m, MANIFEST_LOG, (uint32_t)a, b, words[3]) != 0)
                goto bad;
        } else {
            goto bad;
        }
        continue;
    bad:
        snprintf(err, err_size, "line %d: malformed manifest entry", line_no);
        goto fail;
    }
    if (!have_version || !have_shards) {
        snprintf(err, err_size, "manifest lacks its %s line", have_version ? "shards" : "version");
        goto fail;
    }
    for (size_t i = 0; i < m->count; i++) {
        if (m->entries[i].shard >= m->shards) {
            snprintf(err, err_size, "entry %s names shard %" PRIu32 " of %" PRIu32, m->entries[i].file,
                     m->entries[i].shard, m->shards);
            goto fail;
        }
    }
    free(copy);
    return 0;
fail:
    free(copy);
    manifest_free(m);
    return -1;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int manifest_write(const char *dir, const char *name, const struct manifest *m)
{
    char path[4096], tmp[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/temp-%s", dir, name) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    size_t len;
    char *text = manifest_format(m, &len);
    if (!text)
        return -ENOMEM;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = -errno;
        free(text);
        return rc;
    }
    int rc = write_all(fd, text, len);
    free(text);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (fsync(dfd) != 0)
        rc = -errno;
    close(dfd);
    return rc;
}

int manifest_read(const char *dir, const char *name, struct manifest *m, char *err, size_t err_size)
{
    char path[4096];
    memset(m, 0, sizeof *m);
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *text = NULL;
    size_t size = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (size == cap) {
            char *grown = realloc(text, cap ? cap * 2 : 4096);
            if (!grown) {
                rc = -ENOMEM;
                break;
            }
            text = grown;
            cap = cap ? cap * 2 : 4096;
        }
        size_t n = fread(text + size, 1, cap - size, f);
        size += n;
        if (n == 0) {
            if (ferror(f))
                rc = -EIO;
            break;
        }
    }
    fclose(f);
    if (rc == 0 && manifest_parse(text, size, m, err, err_size) != 0)
        rc = -EINVAL;
    free(text);
    return rc;
}
