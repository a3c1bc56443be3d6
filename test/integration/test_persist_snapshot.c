/*
 * test_persist_snapshot.c - snapshots with real server processes: SAVE,
 * BGSAVE and restart with every type (also with another thread count),
 * writes during BGSAVE and the point-in-time cut, kill -9 during BGSAVE, a
 * corrupted file refusing the start, a missing directory, a failing save
 * (ENOSPC on a tiny tmpfs when root, a vanished directory otherwise) with
 * MISCONF and recovery, and the command surface (BGSAVE SCHEDULE, LASTSAVE,
 * SHUTDOWN SAVE|NOSAVE, CONFIG save/dir/dbfilename, INFO persistence), the
 * file names (nothing at dbfilename itself, an older index there read and
 * replaced), rdbcompression, and save-rule snapshots taken under the
 * global barrier (no cross-shard MSET is half in one).
 *
 * Each test owns a data directory and starts its servers itself
 * (server_start_opts), so a restart finds the files of the previous run.
 * shardis only: the files are shardis snapshots.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fs.h"
#include "model.h"
#include "proc.h"
#include "server.h"

TestSuite(persist_snapshot, .timeout = 60);

static void skip_for_redis(void)
{
    if (env_is_redis())
        cr_skip_test("shardis snapshot files only");
}

static void start(struct test_server *srv, const char *dir, int threads, int nargs, const char *const *args)
{
    struct test_server_opts o = {dir, threads, nargs, args};
    server_start_opts(srv, &o);
}

static void wait_bgsave_done(redisContext *c)
{
    long long deadline = now_ms() + 20000;
    char v[64];
    for (;;) {
        char *info = info_text(c, "persistence");
        cr_assert(info_field(info, "rdb_bgsave_in_progress", v, sizeof(v)));
        free(info);
        if (strcmp(v, "0") == 0)
            return;
        cr_assert(now_ms() < deadline, "BGSAVE did not finish");
        sleep_ms(5);
    }
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void info_expect(redisContext *c, const char *field, const char *want)
{
    char v[128];
    char *info = info_text(c, "persistence");
    cr_assert(info_field(info, field, v, sizeof(v)), "no %s in INFO", field);
    free(info);
    cr_assert_str_eq(v, want, "%s", field);
}

/* ---------------- data of every type and its canonical dump ---------------- */

static void fill_every_type(redisContext *c)
{
    expect_status(cmd(c, "SET int 12345"), "OK");
    expect_status(cmd(c, "SET emb %s", "hello world"), "OK");
    char big[2000];
    memset(big, 'r', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_status(cmd(c, "SET raw %s", big), "OK");
    expect_status(cmd(c, "SET bin %b", "a\0\r\nz", (size_t)5), "OK");
    expect_int(cmd(c, "RPUSH small a 1 -2 z"), 4);
    for (int i = 0; i < 3000; i++)
        redisAppendCommand(c, "RPUSH big elem-%d", i);
    for (int i = 0; i < 3000; i++)
        freeReplyObject(next_reply(c));
    expect_int(cmd(c, "SADD iset 1 2 3 -99 100000"), 5);
    expect_int(cmd(c, "SADD lpset a b c"), 3);
    for (int i = 0; i < 300; i++)
        redisAppendCommand(c, "SADD htset m%d", i);
    for (int i = 0; i < 300; i++)
        freeReplyObject(next_reply(c));
    expect_int(cmd(c, "HSET lphash f1 v1 f2 2"), 2);
    for (int i = 0; i < 300; i++)
        redisAppendCommand(c, "HSET hthash field%d value%d", i, i * 3);
    for (int i = 0; i < 300; i++)
        freeReplyObject(next_reply(c));
    expect_int(cmd(c, "ZADD lpz 1 a 2.5 b -inf c"), 3);
    for (int i = 0; i < 300; i++)
        redisAppendCommand(c, "ZADD slz %d.5 member%d", i % 13, i);
    for (int i = 0; i < 300; i++)
        freeReplyObject(next_reply(c));
    expect_int(cmd(c, "PEXPIREAT emb 4000000000000"), 1);
    expect_int(cmd(c, "PEXPIREAT big 4000000000123"), 1);
    expect_status(cmd(c, "SELECT 3"), "OK");
    expect_status(cmd(c, "SET in3 three"), "OK");
    expect_int(cmd(c, "SADD iset 7"), 1);
    expect_status(cmd(c, "SELECT 0"), "OK");
}

/* ---------------- tests ---------------- */

Test(persist_snapshot, save_and_restart_every_type)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    fill_every_type(c);
    char *before = dump_all(c, DUMP_EXPIRE_AT | DUMP_ENCODING | DUMP_HASH_LOOKUPS | DUMP_HEX);
    redisReply *ls0 = cmd(c, "LASTSAVE");
    expect_status(cmd(c, "SAVE"), "OK");
    redisReply *ls1 = cmd(c, "LASTSAVE");
    cr_assert_geq(ls1->integer, ls0->integer);
    freeReplyObject(ls0);
    freeReplyObject(ls1);
    info_expect(c, "rdb_changes_since_last_save", "0");
    info_expect(c, "rdb_last_bgsave_status", "ok");
    redisFree(c);
    cr_assert(server_stop(&srv));

    start(&srv, dir, 0, 0, NULL);
    c = client_connect_port(srv.port);
    char *after = dump_all(c, DUMP_EXPIRE_AT | DUMP_ENCODING | DUMP_HASH_LOOKUPS | DUMP_HEX);
    cr_assert_str_eq(after, before);
    /* the loaded values keep working */
    expect_int(cmd(c, "RPUSH big more"), 3001);
    expect_int(cmd(c, "SADD iset 5"), 1);
    redisFree(c);
    cr_assert(server_stop(&srv));
    free(before);
    free(after);
    remove_tree(dir);
}

Test(persist_snapshot, bgsave_and_restart_with_another_thread_count)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    int t = env_threads(), other = t == 1 ? 4 : 1;
    struct test_server srv;
    start(&srv, dir, t, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    fill_every_type(c);
    fill_keys(c, "k", 2000);
    char *before = dump_all(c, DUMP_EXPIRE_AT | DUMP_ENCODING | DUMP_HASH_LOOKUPS | DUMP_HEX);
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    info_expect(c, "rdb_last_bgsave_status", "ok");
    info_expect(c, "rdb_saves", "1");
    redisFree(c);
    cr_assert(server_stop(&srv));

    start(&srv, dir, other, 0, NULL);
    c = client_connect_port(srv.port);
    char *after = dump_all(c, DUMP_EXPIRE_AT | DUMP_ENCODING | DUMP_HASH_LOOKUPS | DUMP_HEX);
    cr_assert_str_eq(after, before, "different after a restart with %d threads (written with %d)", other, t);
    free(after);
    /* and back, through another snapshot written by `other` shards */
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    cr_assert(server_stop(&srv));
    start(&srv, dir, t, 0, NULL);
    c = client_connect_port(srv.port);
    after = dump_all(c, DUMP_EXPIRE_AT | DUMP_ENCODING | DUMP_HASH_LOOKUPS | DUMP_HEX);
    cr_assert_str_eq(after, before);
    redisFree(c);
    cr_assert(server_stop(&srv));
    free(before);
    free(after);
    /* only the files of the last snapshot remain */
    DIR *d = opendir(dir);
    int snaps = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (strstr(de->d_name, ".snap"))
            snaps++;
    closedir(d);
    cr_assert_eq(snaps, other == 4 ? 4 : 1, "old snapshot files left: %d", snaps);
    remove_tree(dir);
}

Test(persist_snapshot, writes_during_bgsave_and_the_cut)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    fill_keys(c, "key", 50000);
    expect_int(cmd(c, "RPUSH list a b"), 2);
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    /* Changes right after the cut, pipelined while the snapshot runs. */
    for (int i = 0; i < 50000; i += 7)
        redisAppendCommand(c, "SET key%d changed", i);
    for (int i = 1; i < 50000; i += 11)
        redisAppendCommand(c, "DEL key%d", i);
    for (int i = 0; i < 5000; i++)
        redisAppendCommand(c, "SET added%d x", i);
    redisAppendCommand(c, "RPUSH list c");
    for (int i = 0; i < 50000; i += 7)
        expect_status(next_reply(c), "OK");
    for (int i = 1; i < 50000; i += 11)
        freeReplyObject(next_reply(c)); /* 1, or 0 when also changed... deleted once either way */
    for (int i = 0; i < 5000; i++)
        expect_status(next_reply(c), "OK");
    expect_int(next_reply(c), 3);
    /* The live data is the new data. */
    expect_str(cmd(c, "GET key7"), "changed");
    expect_nil(cmd(c, "GET key1"));
    expect_str(cmd(c, "GET added1"), "x");
    wait_bgsave_done(c);
    info_expect(c, "rdb_last_bgsave_status", "ok");
    redisFree(c);
    cr_assert(server_stop(&srv));

    /* The file holds the values at the cut. */
    start(&srv, dir, 0, 0, NULL);
    c = client_connect_port(srv.port);
    cr_assert_eq(dbsize(c), 50001);
    expect_str(cmd(c, "GET key7"), "7");
    expect_str(cmd(c, "GET key1"), "1");
    expect_str(cmd(c, "GET key49999"), "49999");
    expect_nil(cmd(c, "GET added1"));
    expect_strs(cmd(c, "LRANGE list 0 -1"), 2, "a", "b");
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

Test(persist_snapshot, kill9_during_bgsave_keeps_the_previous_snapshot)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    fill_keys(c, "a", 1000);
    expect_status(cmd(c, "SAVE"), "OK");
    fill_keys(c, "b", 60000);
    redisAppendCommand(c, "BGSAVE");
    freeReplyObject(next_reply(c));
    server_kill9(&srv);
    redisFree(c);

    start(&srv, dir, 0, 0, NULL);
    c = client_connect_port(srv.port);
    long long n = dbsize(c);
    /* either the old snapshot, or (if it finished first) the new one whole */
    cr_assert(n == 1000 || n == 61000, "dbsize %lld", n);
    expect_str(cmd(c, "GET a999"), "999");
    if (n == 61000)
        expect_str(cmd(c, "GET b59999"), "59999");
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

Test(persist_snapshot, corrupted_snapshot_refuses_to_start)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 1, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    fill_keys(c, "k", 500);
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    cr_assert(server_stop(&srv));
    char path[512];
    snprintf(path, sizeof(path), "%s/dump.rdb.shardis-1-0.snap", dir);
    long size = file_size(path);
    cr_assert_gt(size, 1000);
    int fd = open(path, O_RDWR);
    char byte;
    cr_assert_eq(pread(fd, &byte, 1, size / 2), 1);
    byte ^= 0x5a;
    cr_assert_eq(pwrite(fd, &byte, 1, size / 2), 1);
    close(fd);
    char log[4096];
    struct test_server_opts o = {dir, 1, 0, NULL};
    int status = server_run_expect_exit(&o, log, sizeof(log));
    cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0, "server started on a damaged file");
    cr_assert(strstr(log, "Bad snapshot file") && strstr(log, "dump.rdb.shardis-1-0.snap") &&
                  strstr(log, "byte offset"),
              "unclear message: %s", log);
    cr_assert_eq(file_size(path), size, "the damaged file was changed");
    /* shardis-check-snapshot says the same */
    const char *exe = getenv("SHARDIS_SERVER");
    char checker[1024];
    snprintf(checker, sizeof(checker), "%s", exe);
    char *slash = strrchr(checker, '/');
    if (slash) {
        snprintf(slash + 1, sizeof(checker) - (size_t)(slash + 1 - checker), "shardis-check-snapshot");
        if (access(checker, X_OK) == 0) {
            char command[2048];
            snprintf(command, sizeof(command), "%s %s >/dev/null", checker, path);
            int rc = system(command);
            cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "checker status %d", rc);
        }
    }
    remove_tree(dir);
}

Test(persist_snapshot, missing_directory_is_a_clear_error)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    const char *args[] = {"--dir", "/nonexistent/shardis-nowhere"};
    struct test_server_opts o = {dir, 0, 2, args};
    char log[4096];
    int status = server_run_expect_exit(&o, log, sizeof(log));
    cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0);
    cr_assert(strstr(log, "dir") && strstr(log, "No such file or directory"), "unclear message: %s", log);
    /* CONFIG SET dir checks the directory as Redis does */
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    expect_err(cmd(c, "CONFIG SET dir /nonexistent/shardis-nowhere"),
               "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory");
    expect_err(cmd(c, "CONFIG SET dbfilename a/b"),
               "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, "
               "just a filename");
    redisReply *r = cmd(c, "CONFIG GET dir");
    cr_assert_eq(r->elements, 2);
    char real[512];
    cr_assert(realpath(dir, real));
    cr_assert_str_eq(r->element[1]->str, real);
    freeReplyObject(r);
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

/* A save that fails: MISCONF for writes until a save works again. */
static void misconf_and_recovery(redisContext *c, const char *good_dir)
{
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    info_expect(c, "rdb_last_bgsave_status", "err");
    expect_err_prefix(cmd(c, "SET x 1"), "MISCONF ");
    expect_err_prefix(cmd(c, "RPUSH l a"), "MISCONF ");
    expect_str(cmd(c, "GET k1"), "1"); /* reads still work */
    expect_err(cmd(c, "SAVE"), "ERR");
    expect_status(cmd(c, "CONFIG SET dir %s", good_dir), "OK");
    expect_status(cmd(c, "SAVE"), "OK");
    info_expect(c, "rdb_last_bgsave_status", "ok");
    expect_status(cmd(c, "SET x 1"), "OK");
}

Test(persist_snapshot, failing_save_misconf_then_recovery)
{
    skip_for_redis();
    char dir[256], data[300];
    temp_dir(dir, sizeof(dir), "snap");
    snprintf(data, sizeof(data), "%s/data", dir);
    cr_assert_eq(mkdir(data, 0755), 0);
    const char *args[] = {"--save", "3600 1", "--dir", data};
    struct test_server srv;
    start(&srv, dir, 0, 4, args);
    redisContext *c = client_connect_port(srv.port);
    fill_keys(c, "k", 100);
    /* the directory vanishes under the server */
    cr_assert_eq(rmdir(data), 0);
    misconf_and_recovery(c, dir);
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

Test(persist_snapshot, enospc_on_a_tiny_tmpfs)
{
    skip_for_redis();
    char dir[256], mnt[300];
    temp_dir(dir, sizeof(dir), "snap");
    snprintf(mnt, sizeof(mnt), "%s/tiny", dir);
    cr_assert_eq(mkdir(mnt, 0755), 0);
    /* In a mount namespace of this test process (and its server): the
     * tmpfs goes away with them even when an assertion ends the test. */
    if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0) {
        remove_tree(dir);
        cr_skip_test("ENOSPC test needs root and tmpfs mounts (mount -t tmpfs -o size=1m): skipped");
    }
    const char *args[] = {"--save", "3600 1", "--dir", mnt};
    struct test_server srv;
    start(&srv, dir, 0, 4, args);
    redisContext *c = client_connect_port(srv.port);
    /* 3 MB that LZ4 cannot shrink: random letters */
    char value[1000];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 3000; i++) {
        for (size_t j = 0; j + 1 < sizeof(value); j++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            value[j] = (char)('a' + x % 26);
        }
        value[sizeof(value) - 1] = '\0';
        redisAppendCommand(c, "SET k%d %s", i, value);
    }
    for (int i = 0; i < 3000; i++)
        freeReplyObject(next_reply(c));
    expect_status(cmd(c, "SET k1 1"), "OK");
    misconf_and_recovery(c, dir);
    redisFree(c);
    cr_assert(server_stop(&srv));
    umount(mnt);
    remove_tree(dir);
}

Test(persist_snapshot, commands_and_shutdown)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    expect_err(cmd(c, "BGSAVE now"), "ERR syntax error");
    expect_err(cmd(c, "SAVE x"), "ERR wrong number of arguments for 'save' command");
    redisReply *r = cmd(c, "CONFIG GET save");
    cr_assert_str_eq(r->element[1]->str, "");
    freeReplyObject(r);
    expect_status(cmd(c, "CONFIG SET save %s", "100 10 20 5"), "OK");
    r = cmd(c, "CONFIG GET save");
    cr_assert_str_eq(r->element[1]->str, "100 10 20 5");
    freeReplyObject(r);
    expect_err_prefix(cmd(c, "CONFIG SET save %s", "100"), "ERR CONFIG SET failed");
    expect_status(cmd(c, "CONFIG SET save %s", ""), "OK");
    expect_status(cmd(c, "CONFIG SET rdbcompression no"), "OK");
    expect_status(cmd(c, "CONFIG SET dbfilename other.rdb"), "OK");
    fill_keys(c, "k", 30000);
    /* a second BGSAVE while one runs */
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    redisReply *again = cmd(c, "BGSAVE");
    if (again->type == REDIS_REPLY_ERROR) {
        cr_assert_str_eq(again->str, "ERR Background save already in progress");
        /* Redis 7.0: SCHEDULE only waits for an AOF rewrite, not a BGSAVE */
        redisReply *sched = cmd(c, "BGSAVE SCHEDULE");
        if (sched->type == REDIS_REPLY_ERROR)
            cr_assert_str_eq(sched->str, "ERR Background save already in progress");
        else
            cr_assert_str_eq(sched->str, "Background saving started");
        freeReplyObject(sched);
    } else {
        cr_assert_str_eq(again->str, "Background saving started"); /* the first had finished */
    }
    freeReplyObject(again);
    wait_bgsave_done(c);
    /* save rules: one change within 1 second triggers a BGSAVE (cron) */
    expect_status(cmd(c, "CONFIG SET save %s", "1 1"), "OK");
    expect_status(cmd(c, "SET trigger 1"), "OK");
    long long deadline = now_ms() + 10000;
    char v[64];
    for (;;) {
        char *info = info_text(c, "persistence");
        info_field(info, "rdb_changes_since_last_save", v, sizeof(v));
        free(info);
        if (atoi(v) == 0)
            break;
        cr_assert(now_ms() < deadline, "the save rule did not trigger a BGSAVE");
        sleep_ms(20);
    }
    expect_status(cmd(c, "CONFIG SET save %s", ""), "OK");
    wait_bgsave_done(c);
    char idx[512];
    snprintf(idx, sizeof(idx), "%s/other.rdb.shardis-index", dir);
    cr_assert_gt(file_size(idx), 0);
    /* SHUTDOWN NOSAVE: the change is lost; SHUTDOWN SAVE: kept. */
    expect_status(cmd(c, "SET after nosave"), "OK");
    expect_err(cmd(c, "SHUTDOWN SAVE NOSAVE"), "ERR syntax error");
    redisAppendCommand(c, "SHUTDOWN NOSAVE");
    r = NULL;
    redisGetReply(c, (void **)&r);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    int status;
    waitpid(srv.pid, &status, 0);
    srv.pid = 0;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    server_stop(&srv);

    const char *args[] = {"--dbfilename", "other.rdb"};
    start(&srv, dir, 0, 2, args);
    c = client_connect_port(srv.port);
    expect_nil(cmd(c, "GET after"));
    cr_assert_eq(dbsize(c), 30001);
    expect_status(cmd(c, "SET after save"), "OK");
    redisAppendCommand(c, "SHUTDOWN SAVE");
    r = NULL;
    redisGetReply(c, (void **)&r);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    waitpid(srv.pid, &status, 0);
    srv.pid = 0;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    server_stop(&srv);

    start(&srv, dir, 0, 2, args);
    c = client_connect_port(srv.port);
    expect_str(cmd(c, "GET after"), "save");
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

/* The sum of the sizes of the files in dir whose name contains `part`. */
static long files_size(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    long total = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!strstr(de->d_name, part))
            continue;
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        total += file_size(p);
    }
    closedir(d);
    return total;
}

/* Our files never take dbfilename's own name (Redis tools read dump.rdb as an
 * RDB and refuse ours); an index an older shardis left at dbfilename is read
 * at start-up and replaced by the next save. */
Test(persist_snapshot, files_are_not_named_like_redis_files)
{
    skip_for_redis();
    char dir[256], path[512], idx[512];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    fill_keys(c, "k", 1000);
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    cr_assert(server_stop(&srv));
    snprintf(path, sizeof(path), "%s/dump.rdb", dir);
    snprintf(idx, sizeof(idx), "%s/dump.rdb.shardis-index", dir);
    cr_assert_eq(file_size(path), -1, "a file at dump.rdb");
    cr_assert_gt(file_size(idx), 0);
    /* what an older shardis left: its index at dump.rdb */
    cr_assert_eq(rename(idx, path), 0);
    start(&srv, dir, 0, 0, NULL);
    c = client_connect_port(srv.port);
    cr_assert_eq(dbsize(c), 1000);
    expect_str(cmd(c, "GET k999"), "999");
    expect_status(cmd(c, "SAVE"), "OK");
    cr_assert_eq(file_size(path), -1, "the old index was not replaced");
    cr_assert_gt(file_size(idx), 0);
    redisFree(c);
    cr_assert(server_stop(&srv));
    start(&srv, dir, 0, 0, NULL);
    c = client_connect_port(srv.port);
    cr_assert_eq(dbsize(c), 1000);
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

/* rdbcompression: LZ4 blocks make the files smaller; both kinds load. */
Test(persist_snapshot, rdbcompression_shrinks_the_files)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port);
    for (int i = 0; i < 20000; i++)
        redisAppendCommand(c, "SET user:session:%d payload-%d-payload-payload-payload", i, i % 100);
    for (int i = 0; i < 20000; i++)
        freeReplyObject(next_reply(c));
    expect_status(cmd(c, "CONFIG SET rdbcompression no"), "OK");
    expect_status(cmd(c, "SAVE"), "OK");
    long plain = files_size(dir, ".snap");
    expect_status(cmd(c, "CONFIG SET rdbcompression yes"), "OK");
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    long packed = files_size(dir, ".snap");
    cr_assert_lt(packed * 2, plain, "compressed %ld bytes, uncompressed %ld", packed, plain);
    redisFree(c);
    cr_assert(server_stop(&srv));
    start(&srv, dir, 0, 0, NULL);
    c = client_connect_port(srv.port);
    cr_assert_eq(dbsize(c), 20000);
    expect_str(cmd(c, "GET user:session:12345"), "payload-45-payload-payload-payload");
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

/* The walk is paced while clients are served (it yields to requests and
 * earns half of the wall time): under a client that never stops sending
 * GETs, BGSAVE still finishes, with every key, and the GETs are answered
 * all along. */
Test(persist_snapshot, bgsave_finishes_under_continuous_requests)
{
    skip_for_redis();
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    struct test_server srv;
    start(&srv, dir, 0, 0, NULL);
    redisContext *c = client_connect_port(srv.port), *probe = client_connect_port(srv.port);
    fill_keys(c, "k", 100000);
    expect_status(cmd(c, "BGSAVE"), "Background saving started");
    long long deadline = now_ms() + 50000;
    char v[64];
    long gets = 0;
    for (;;) {
        /* a burst of GETs between two looks at INFO */
        for (int i = 0; i < 100; i++, gets++) {
            char want[32];
            snprintf(want, sizeof(want), "%ld", (gets * 7919) % 100000);
            expect_str(cmd(probe, "GET k%s", want), want);
        }
        char *info = info_text(c, "persistence");
        cr_assert(info_field(info, "rdb_bgsave_in_progress", v, sizeof(v)));
        free(info);
        if (strcmp(v, "0") == 0)
            break;
        cr_assert(now_ms() < deadline, "BGSAVE did not finish under load (%ld GETs)", gets);
    }
    info_expect(c, "rdb_last_bgsave_status", "ok");
    redisFree(probe);
    redisFree(c);
    cr_assert(server_stop(&srv));
    start(&srv, dir, 0, 0, NULL);
    c = client_connect_port(srv.port);
    cr_assert_eq(dbsize(c), 100000);
    expect_str(cmd(c, "GET k99999"), "99999");
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

/* ---------------- save rules cut under the global barrier ---------------- */

/* Keys of one group live on different shards (hash tags): one MSET of a
 * group is a multi-shard transaction writing the same value to each. */
#define MSET_WRITERS 4

Test(persist_snapshot, save_rule_snapshot_holds_transactions_whole)
{
    skip_for_redis();
    int t = env_threads();
    if (t < 2)
        cr_skip_test("needs two shards");
    char dir[256];
    temp_dir(dir, sizeof(dir), "snap");
    const char *args[] = {"--save", "1 1"};
    /* Each round: cross-shard MSETs run without a pause while the save rule
     * takes snapshots; kill -9 right after one finished, restart from it:
     * every MSET is in it whole or not at all. */
    for (int round = 0; round < 3; round++) {
        struct test_server srv;
        start(&srv, dir, t, 2, args);
        redisContext *c = client_connect_port(srv.port);
        volatile int stop;
        struct mset_writer w[MSET_WRITERS];
        mset_writers_start(w, MSET_WRITERS, srv.port, &stop, 0, false);
        long long deadline = now_ms() + 30000;
        char v[64];
        for (;;) {
            char *info = info_text(c, "persistence");
            cr_assert(info_field(info, "rdb_saves", v, sizeof(v)));
            free(info);
            if (atoll(v) >= 2)
                break;
            cr_assert(now_ms() < deadline, "the save rule took no snapshots");
            sleep_ms(5);
        }
        redisFree(c);
        server_kill9(&srv);
        mset_writers_join(w, MSET_WRITERS);
        start(&srv, dir, t, 2, args);
        c = client_connect_port(srv.port);
        for (int g = 0; g < MSET_WRITERS; g++) {
            redisReply *r =
                cmd(c, "MGET {t0}g%d {t1}g%d {t2}g%d {t3}g%d {t4}g%d {t5}g%d {t6}g%d {t7}g%d", g, g, g, g, g, g, g, g);
            cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
            cr_assert_eq(r->element[0]->type, REDIS_REPLY_STRING, "round %d: group %d is lost", round, g);
            for (int k = 1; k < MSET_GROUP_KEYS; k++) {
                cr_assert_eq(r->element[k]->type, REDIS_REPLY_STRING, "round %d: group %d key %d", round, g, k);
                cr_assert_str_eq(r->element[k]->str, r->element[0]->str,
                                 "round %d: an MSET is half in the snapshot (group %d, key %d)", round, g, k);
            }
            freeReplyObject(r);
        }
        redisFree(c);
        cr_assert(server_stop(&srv));
    }
    remove_tree(dir);
}
