/*
 * test_manifest.c - unit tests for persist/manifest.c: format/parse round
 * trip, rejection of malformed lines (with the line number), of unsafe file
 * names and of shards out of range, and the atomic write/read through a
 * temporary directory (no temp file left behind).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persist/manifest.h"

static void fill(struct manifest *m)
{
    memset(m, 0, sizeof *m);
    m->epoch = 77;
    m->shards = 2;
    cr_assert_eq(manifest_add(m, MANIFEST_BASE, 0, 0, "base-77-0.snap"), 0);
    cr_assert_eq(manifest_add(m, MANIFEST_BASE, 1, 0, "base-77-1.snap"), 0);
    cr_assert_eq(manifest_add(m, MANIFEST_LOG, 0, 1, "log-0-1.log"), 0);
    cr_assert_eq(manifest_add(m, MANIFEST_LOG, 1, 1, "log-1-1.log"), 0);
}

Test(manifest, round_trip)
{
    struct manifest m, back;
    fill(&m);
    size_t len;
    char *text = manifest_format(&m, &len);
    cr_assert_not_null(text);
    char err[128];
    cr_assert_eq(manifest_parse(text, len, &back, err, sizeof err), 0, "%s", err);
    cr_assert_eq(back.epoch, 77);
    cr_assert_eq(back.shards, 2);
    cr_assert_eq(back.count, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(back.entries[i].kind, m.entries[i].kind);
        cr_assert_eq(back.entries[i].shard, m.entries[i].shard);
        cr_assert_eq(back.entries[i].seq, m.entries[i].seq);
        cr_assert_str_eq(back.entries[i].file, m.entries[i].file);
    }
    free(text);
    manifest_free(&m);
    manifest_free(&back);
}

Test(manifest, rejects_bad_input)
{
    struct manifest m;
    char err[128];
    const char *bad[] = {
        "version 1\nshards 1\nbogus 3\n",
        "version 2\nshards 1\n",
        "version 1\nshards 1\nlog 0 x a.log\n",
        "version 1\nshards 1\nbase 1 a.snap\n",
        "version 1\nshards 1\nbase 0 ../a\n",
        "shards 1\n",
        "version 1\nshards 0\n",
        "version 1\nshards 1\nlog 0 1 a b c\n",
        "version 1\nshards 1\nepoch -1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        cr_assert_eq(manifest_parse(bad[i], strlen(bad[i]), &m, err, sizeof err), -1, "case %zu", i);
        cr_assert_neq(err[0], '\0');
        cr_assert_eq(m.count, 0);
    }
    cr_assert_eq(manifest_parse(bad[0], strlen(bad[0]), &m, err, sizeof err), -1);
    cr_assert_str_eq(err, "line 3: malformed manifest entry");
    memset(&m, 0, sizeof m);
    cr_assert_eq(manifest_add(&m, MANIFEST_LOG, 0, 1, "a/b"), -1);
    cr_assert_eq(manifest_add(&m, MANIFEST_LOG, 0, 1, "a b"), -1);
    manifest_free(&m);
}

Test(manifest, atomic_write_and_read)
{
    char dir[] = "/tmp/shardis-manifest-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct manifest m, back;
    char err[128];
    cr_assert_eq(manifest_read(dir, "x.manifest", &back, err, sizeof err), -ENOENT);
    fill(&m);
    cr_assert_eq(manifest_write(dir, "x.manifest", &m), 0);
    m.epoch = 78;
    cr_assert_eq(manifest_write(dir, "x.manifest", &m), 0);
    cr_assert_eq(manifest_read(dir, "x.manifest", &back, err, sizeof err), 0, "%s", err);
    cr_assert_eq(back.epoch, 78);
    cr_assert_eq(back.count, 4);
    manifest_free(&back);
    manifest_free(&m);

    int files = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        files++;
        cr_assert_str_eq(e->d_name, "x.manifest");
    }
    closedir(d);
    cr_assert_eq(files, 1);
    char path[128];
    snprintf(path, sizeof path, "%s/x.manifest", dir);
    unlink(path);
    rmdir(dir);
}
