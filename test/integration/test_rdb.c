/*
 * test_rdb.c - Redis's RDB format against redis-server 7.0.15 itself: a
 * redis-server started here writes every type and encoding (small and big,
 * with TTLs, in several dbs) and SAVEs; shardis imports that dump.rdb
 * (--rdb-import, and as <dir>/<dbfilename>) and every key, value, TTL and
 * db matches (dump_all through the clients); DUMP from Redis restores here
 * and our DUMP restores into Redis with the same content; RESTORE's errors
 * are Redis's; damaged files (truncated, flipped bytes, absurd lengths)
 * refuse the start with a clear message and damaged payloads are refused,
 * without a crash. Streams (with deletions, several nodes, groups, PEL and
 * consumers, an empty stream with a group) go through the same three paths:
 * import of Redis's SAVE, DUMP/RESTORE both ways and the export converter,
 * compared through XINFO STREAM FULL, XRANGE, XINFO GROUPS and XPENDING.
 * The thread count comes from $SHARDIS_THREADS (1, 2, 4).
 *
 * shardis only (it compares shardis with a redis-server it starts).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fs.h"
#include "model.h"
#include "persist/rdb.h"
#include "proc.h"
#include "server.h"

#define REDIS_SERVER "/usr/bin/redis-server"

TestSuite(rdb, .timeout = 120);

struct redis_proc {
    pid_t pid;
    int port;
    redisContext *c;
};

static void skip_unless_possible(void)
{
    if (env_is_redis())
        cr_skip_test("compares shardis with redis-server");
    if (access(REDIS_SERVER, X_OK) != 0)
        cr_skip_test("needs " REDIS_SERVER);
}

static void redis_start(struct redis_proc *r, const char *dir)
{
    r->port = free_port();
    char port[16], logfile[400];
    snprintf(port, sizeof(port), "%d", r->port);
    snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        execl(REDIS_SERVER, "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
              "--dir", dir, "--dbfilename", "dump.rdb", "--logfile", logfile, "--enable-debug-command", "yes",
              (char *)NULL);
        _exit(127);
    }
    r->pid = pid;
    for (int i = 0; i < 200; i++) {
        redisContext *c = redisConnect("127.0.0.1", r->port);
        if (c && !c->err) {
            redisReply *rep = redisCommand(c, "PING");
            int ok = rep && rep->type == REDIS_REPLY_STATUS;
            if (rep)
                freeReplyObject(rep);
            if (ok) {
                r->c = c;
                return;
            }
        }
        if (c)
            redisFree(c);
        sleep_ms(50);
    }
    cr_assert_fail("redis-server did not come up on port %d", r->port);
}

static void redis_stop(struct redis_proc *r)
{
    if (r->c)
        redisFree(r->c);
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = 0;
    r->c = NULL;
}

/* RPUSH/SADD/HSET/ZADD key followed by n generated arguments. */
static void many(redisContext *c, const char *command, const char *key, int n, int pairs, const char *fmt, int width)
{
    int argc = 2 + n * (pairs ? 2 : 1);
    const char **argv = calloc((size_t)argc, sizeof(char *));
    size_t *lens = calloc((size_t)argc, sizeof(size_t));
    char **bufs = calloc((size_t)argc, sizeof(char *));
    argv[0] = command;
    argv[1] = key;
    int a = 2;
    for (int i = 0; i < n; i++) {
        for (int half = 0; half < (pairs ? 2 : 1); half++) {
            char *b = malloc((size_t)width + 64);
            if (pairs && half == 0 && !strcmp(command, "ZADD"))
                snprintf(b, (size_t)width + 64, "%d.%d", i % 97 - 40, i % 10);
            else if (pairs && half == 0)
                snprintf(b, (size_t)width + 64, "field:%d", i);
            else
                snprintf(b, (size_t)width + 64, fmt, width, i);
            bufs[a] = b;
            argv[a] = b;
            lens[a] = strlen(b);
            a++;
        }
    }
    for (int i = 0; i < 2; i++)
        lens[i] = strlen(argv[i]);
    redisReply *rep = cmd_argv(c, argc, argv, lens);
    cr_assert(rep->type != REDIS_REPLY_ERROR, "%s %s: %s", command, key, rep->str);
    freeReplyObject(rep);
    for (int i = 2; i < argc; i++)
        free(bufs[i]);
    free(bufs);
    free(argv);
    free(lens);
}

static void ok(redisContext *c, const char *fmt, const char *arg)
{
    redisReply *rep = cmd(c, fmt, arg);
    cr_assert(rep->type != REDIS_REPLY_ERROR, "%s: %s", fmt, rep->str);
    freeReplyObject(rep);
}

/* Every type and encoding Redis 7.0 writes, small and big, in dbs 0..3. */
static void populate(redisContext *c)
{
    char bin[300];
    for (size_t i = 0; i < sizeof(bin); i++)
        bin[i] = (char)(i * 37 + 11);
    for (int db = 0; db < 4; db++) {
        char sel[8];
        snprintf(sel, sizeof(sel), "%d", db);
        ok(c, "SELECT %s", sel);
        ok(c, "SET s:small %s", db ? "other" : "hello");
        ok(c, "SET s:int %s", "12345");
        if (db > 0)
            continue;
        ok(c, "SET s:neg %s", "-7");
        ok(c, "SET s:int64 %s", "1234567890123456789");
        ok(c, "SET s:float %s", "3.14");
        redisReply *rep = cmd(c, "SET s:bin %b", bin, sizeof(bin));
        freeReplyObject(rep);
        char big[3000];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        ok(c, "SET s:lzf %s", big);
        many(c, "RPUSH", "l:small", 6, 0, "%0*d", 2);
        many(c, "RPUSH", "l:big", 3000, 0, "element-%0*d", 8);
        many(c, "RPUSH", "l:fat", 20, 0, "%0*d", 5000);
        many(c, "SADD", "set:int", 50, 0, "%0*d", 1);
        many(c, "SADD", "set:str", 10, 0, "m%0*d", 3);
        many(c, "SADD", "set:bigint", 1000, 0, "%0*d", 1);
        many(c, "SADD", "set:big", 1000, 0, "member-%0*d", 6);
        ok(c, "SADD set:neg %s", "-9223372036854775808");
        many(c, "HSET", "h:small", 10, 1, "v%0*d", 3);
        many(c, "HSET", "h:big", 1000, 1, "value-%0*d", 4);
        many(c, "HSET", "h:longval", 3, 1, "%0*d", 100);
        many(c, "ZADD", "z:small", 20, 1, "m%0*d", 2);
        ok(c, "ZADD z:small +inf %s", "top");
        ok(c, "ZADD z:small -inf %s", "bottom");
        many(c, "ZADD", "z:big", 500, 1, "member-%0*d", 4);
        ok(c, "SET ttl:s v PX %s", "100000000");
        many(c, "HSET", "ttl:h", 3, 1, "%0*d", 1);
        ok(c, "PEXPIRE ttl:h %s", "200000000");
    }
    ok(c, "SELECT %s", "0");
}

struct dirs {
    char redis[256], shardis[256];
};

static void make_dirs(struct dirs *d)
{
    temp_dir(d->redis, sizeof(d->redis), "rdb-redis");
    temp_dir(d->shardis, sizeof(d->shardis), "rdb-shardis");
}

static void free_dirs(struct dirs *d)
{
    remove_tree(d->redis);
    remove_tree(d->shardis);
}

static void start_shardis(struct test_server *srv, const char *dir, int nargs, const char *const *args)
{
    struct test_server_opts o = {dir, 0, nargs, args};
    server_start_opts(srv, &o);
}

static void compare(redisContext *redis, redisContext *ours)
{
    char *a = dump_all(redis, DUMP_EXPIRE_AT | DUMP_HEX | DUMP_ENCODING);
    char *b = dump_all(ours, DUMP_EXPIRE_AT | DUMP_HEX | DUMP_ENCODING);
    cr_assert(strstr(a, "z:big") && strstr(a, "set:bigint") && strstr(a, "\n3 s:small"), "%.300s", a);
    cr_assert(strcmp(a, b) == 0, "content differs:\nredis:\n%.3000s\nshardis:\n%.3000s", a, b);
    free(a);
    free(b);
}

Test(rdb, import_every_type_from_redis)
{
    skip_unless_possible();
    struct dirs d;
    make_dirs(&d);
    struct redis_proc r = {0};
    redis_start(&r, d.redis);
    populate(r.c);
    /* a key that has expired when the file is written: not imported */
    ok(r.c, "DEBUG SET-ACTIVE-EXPIRE %s", "0");
    ok(r.c, "SET gone v PX %s", "20");
    long long until = unix_time_ms() + 40;
    while (unix_time_ms() < until)
        sleep_ms(5);
    ok(r.c, "SAVE%s", "");
    char path[400];
    snprintf(path, sizeof(path), "%s/dump.rdb", d.redis);
    const char *args[] = {"--rdb-import", path};
    struct test_server s;
    start_shardis(&s, d.shardis, 2, args);
    redisContext *c = client_connect_port(s.port);
    redisReply *rep = cmd(c, "EXISTS gone");
    expect_int(rep, 0);
    compare(r.c, c);
    redisFree(c);
    cr_assert(server_stop(&s));

    /* the same file as <dir>/<dbfilename> of a fresh data dir */
    char cp[1000];
    snprintf(cp, sizeof(cp), "cp '%s' '%s/dump.rdb'", path, d.shardis);
    remove_tree(d.shardis);
    mkdir(d.shardis, 0700);
    cr_assert(system(cp) == 0);
    start_shardis(&s, d.shardis, 0, NULL);
    c = client_connect_port(s.port);
    compare(r.c, c);
    /* once we saved, our snapshot wins over dump.rdb, which stays Redis's */
    rep = cmd(c, "SET after-import 1");
    freeReplyObject(rep);
    rep = cmd(c, "SAVE");
    expect_status(rep, "OK");
    redisFree(c);
    cr_assert(server_stop(&s));
    start_shardis(&s, d.shardis, 0, NULL);
    c = client_connect_port(s.port);
    rep = cmd(c, "GET after-import");
    expect_str(rep, "1");
    redisFree(c);
    cr_assert(server_stop(&s));
    size_t len;
    unsigned char *data = read_file(path, &len);
    unsigned char *copy = NULL;
    char ours[400];
    snprintf(ours, sizeof(ours), "%s/dump.rdb", d.shardis);
    copy = read_file(ours, &len);
    cr_assert(copy && len > 5 && memcmp(copy, "REDIS", 5) == 0, "dump.rdb is left to Redis");
    free(copy);
    free(data);
    redis_stop(&r);
    free_dirs(&d);
}

/* Every key of db 0: DUMP in one server, RESTORE (REPLACE) in the other. */
static void transfer_all(redisContext *from, redisContext *to)
{
    redisReply *keys = cmd(from, "KEYS *");
    cr_assert_eq(keys->type, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < keys->elements; i++) {
        const char *k = keys->element[i]->str;
        size_t kl = keys->element[i]->len;
        redisReply *dump = cmd(from, "DUMP %b", k, kl);
        cr_assert_eq(dump->type, REDIS_REPLY_STRING, "DUMP %s", k);
        redisReply *pt = cmd(from, "PEXPIRETIME %b", k, kl);
        char ttl[32];
        snprintf(ttl, sizeof(ttl), "%lld", pt->integer > 0 ? pt->integer : 0);
        redisReply *rep = cmd(to, "RESTORE %b %s %b REPLACE ABSTTL", k, kl, ttl, dump->str, dump->len);
        cr_assert(rep->type == REDIS_REPLY_STATUS, "RESTORE %s: %s", k, rep->str);
        freeReplyObject(rep);
        freeReplyObject(pt);
        freeReplyObject(dump);
    }
    freeReplyObject(keys);
}

Test(rdb, dump_restore_both_ways)
{
    skip_unless_possible();
    struct dirs d;
    make_dirs(&d);
    struct redis_proc r = {0};
    redis_start(&r, d.redis);
    populate(r.c);
    struct test_server s;
    start_shardis(&s, d.shardis, 0, NULL);
    redisContext *c = client_connect_port(s.port);
    transfer_all(r.c, c);
    char *a = dump_all(r.c, DUMP_EXPIRE_AT | DUMP_HEX | DUMP_ENCODING);
    /* dump_all walks dbs 0-3: compare db 0 only (its first block) */
    ok(r.c, "FLUSHALL%s", "");
    transfer_all(c, r.c);
    char *b = dump_all(r.c, DUMP_EXPIRE_AT | DUMP_HEX | DUMP_ENCODING);
    char *ours = dump_all(c, DUMP_EXPIRE_AT | DUMP_HEX | DUMP_ENCODING);
    cr_assert(strcmp(b, ours) == 0, "redis after our payloads differs from us:\n%.2000s\n---\n%.2000s", b, ours);
    /* a's db 0 part is what both now hold */
    char *a0 = strstr(a, "\n1 ");
    if (a0)
        *a0 = 0;
    cr_assert(strncmp(a, ours, strlen(a)) == 0, "db 0 differs after the round trip");
    free(a);
    free(b);
    free(ours);

    /* errors, as Redis words them, from both servers */
    redisContext *both[2] = {r.c, c};
    for (int i = 0; i < 2; i++) {
        redisContext *x = both[i];
        redisReply *dump = cmd(x, "DUMP s:small");
        cr_assert_eq(dump->type, REDIS_REPLY_STRING);
        redisReply *rep = cmd(x, "RESTORE s:small 0 %b", dump->str, dump->len);
        expect_err(rep, "BUSYKEY Target key name already exists.");
        dump->str[0] ^= 1;
        rep = cmd(x, "RESTORE fresh 0 %b", dump->str, dump->len);
        expect_err(rep, "ERR DUMP payload version or checksum are wrong");
        rep = cmd(x, "RESTORE fresh -1 %b", dump->str, dump->len);
        expect_err(rep, "ERR Invalid TTL value, must be >= 0");
        rep = cmd(x, "RESTORE fresh 0 %b IDLETIME -1", dump->str, dump->len);
        expect_err(rep, "ERR Invalid IDLETIME value, must be >= 0");
        rep = cmd(x, "RESTORE fresh 0 %b FREQ 256", dump->str, dump->len);
        expect_err(rep, "ERR Invalid FREQ value, must be >= 0 and <= 255");
        rep = cmd(x, "RESTORE fresh 0 %b IDLETIME 1 FREQ 1", dump->str, dump->len);
        expect_err(rep, "ERR syntax error");
        rep = cmd(x, "RESTORE fresh 0 %b", "short", (size_t)5);
        expect_err(rep, "ERR DUMP payload version or checksum are wrong");
        dump->str[0] ^= 1;
        rep = cmd(x, "RESTORE idle 0 %b IDLETIME 1000", dump->str, dump->len);
        expect_status(rep, "OK");
        rep = cmd(x, "OBJECT IDLETIME idle");
        cr_assert(rep->type == REDIS_REPLY_INTEGER && rep->integer >= 1000, "%s", describe_reply(rep));
        freeReplyObject(rep);
        /* an expired TTL deletes with REPLACE and restores nothing */
        rep = cmd(x, "RESTORE idle 1 %b REPLACE ABSTTL", dump->str, dump->len);
        expect_status(rep, "OK");
        rep = cmd(x, "EXISTS idle");
        expect_int(rep, 0);
        rep = cmd(x, "DUMP nosuchkey");
        expect_nil(rep);
        freeReplyObject(dump);
    }
    /* payloads whose body is damaged but whose checksum is right (the
     * parser sees every flip): refused or restored, never a crash */
    redisReply *dump = cmd(c, "DUMP h:small");
    size_t n = dump->len;
    unsigned char *p = malloc(n);
    memcpy(p, dump->str, n);
    freeReplyObject(dump);
    for (size_t at = 0; at + 10 < n; at++) {
        p[at] ^= 0x5a;
        uint64_t crc = rdb_crc64(0, p, n - 8);
        for (int i = 0; i < 8; i++)
            p[n - 8 + i] = (unsigned char)(crc >> (8 * i));
        redisReply *rep = cmd(c, "RESTORE hostile 0 %b REPLACE", p, n);
        cr_assert(rep->type == REDIS_REPLY_ERROR || rep->type == REDIS_REPLY_STATUS);
        if (rep->type == REDIS_REPLY_ERROR)
            cr_assert_str_eq(rep->str, "ERR Bad data format");
        freeReplyObject(rep);
        p[at] ^= 0x5a;
    }
    free(p);
    redisReply *rep = cmd(c, "PING");
    expect_status(rep, "PONG");
    redisFree(c);
    cr_assert(server_stop(&s));
    redis_stop(&r);
    free_dirs(&d);
}

static void expect_refused(const char *dir, const char *path, const char *why)
{
    const char *args[] = {"--rdb-import", path};
    struct test_server_opts o = {dir, 0, 2, args};
    char log[4096];
    int status = server_run_expect_exit(&o, log, sizeof(log));
    cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0, "%s: server did not refuse: %s", why, log);
    cr_assert(strstr(log, "RDB") != NULL, "%s: no clear message: %s", why, log);
}

static void expect_refused_with(const char *dir, const char *path, const char *text)
{
    const char *args[] = {"--rdb-import", path};
    struct test_server_opts o = {dir, 0, 2, args};
    char log[4096];
    int status = server_run_expect_exit(&o, log, sizeof(log));
    cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0, "not refused: %s", log);
    cr_assert(strstr(log, text) != NULL, "no '%s' in: %s", text, log);
}

static void write_bytes(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

Test(rdb, damaged_files_refused)
{
    skip_unless_possible();
    struct dirs d;
    make_dirs(&d);
    struct redis_proc r = {0};
    redis_start(&r, d.redis);
    many(r.c, "RPUSH", "l", 200, 0, "e%0*d", 4);
    many(r.c, "HSET", "h", 20, 1, "v%0*d", 3);
    ok(r.c, "SET s %s", "value");
    ok(r.c, "SAVE%s", "");
    char path[400], bad[400];
    snprintf(path, sizeof(path), "%s/dump.rdb", d.redis);
    snprintf(bad, sizeof(bad), "%s/bad.rdb", d.redis);
    size_t n;
    unsigned char *data = read_file(path, &n);
    cr_assert(data && n > 100);
    /* truncated in the middle and just before the checksum */
    write_bytes(bad, data, n / 2);
    expect_refused(d.shardis, bad, "truncated");
    write_bytes(bad, data, n - 4);
    expect_refused(d.shardis, bad, "truncated checksum");
    /* a flipped byte: the checksum (or the parser) refuses it */
    data[n / 3] ^= 0x10;
    write_bytes(bad, data, n);
    expect_refused(d.shardis, bad, "flipped byte");
    data[n / 3] ^= 0x10;
    /* a changed byte inside a string value parses: only the CRC64 sees it */
    unsigned char *v = memmem(data, n, "value", 5);
    cr_assert(v);
    v[4] = 'f';
    write_bytes(bad, data, n);
    expect_refused_with(d.shardis, bad, "Wrong RDB checksum");
    v[4] = 'e';
    /* not an RDB, and a future version */
    write_bytes(bad, (const unsigned char *)"REDIS0099\xff", 10);
    expect_refused(d.shardis, bad, "version 99");
    /* an absurd length: a list claiming 2^32 elements (checksum disabled, 0) */
    static const unsigned char absurd[] = {'R',  'E',  'D',  'I',  'S', '0', '0',  '1', '0', 0xFE, 0, 1, 1, 'k', 0x80,
                                           0xff, 0xff, 0xff, 0xff, 1,   'a', 0xFF, 0,   0,   0,    0, 0, 0, 0,   0};
    write_bytes(bad, absurd, sizeof(absurd));
    expect_refused(d.shardis, bad, "absurd length");
    /* a duplicate key, and a db the config does not have */
    static const unsigned char dup[] = {'R', 'E', 'D', 'I', 'S', '0', '0',  '1', '0', 0xFE, 0, 0, 1, 'k', 1,
                                        'a', 0,   1,   'k', 1,   'b', 0xFF, 0,   0,   0,    0, 0, 0, 0,   0};
    write_bytes(bad, dup, sizeof(dup));
    expect_refused_with(d.shardis, bad, "duplicate key 'k'");
    static const unsigned char db20[] = {'R', 'E', 'D', 'I',  'S', '0', '0', '1', '0', 0xFE, 20, 0, 1,
                                         'k', 1,   'a', 0xFF, 0,   0,   0,   0,   0,   0,    0,  0};
    write_bytes(bad, db20, sizeof(db20));
    expect_refused_with(d.shardis, bad, "'databases' is 16");
    /* a module value names its module */
    static const unsigned char module[] = {'R',  'E',  'D',  'I',  'S',  '0',  '0',  '1',  '0',  7,
                                           1,    'k',  0x81, 0x1d, 0x8c, 0x36, 0xd5, 0x23, 0x00, 0x00,
                                           0x01, 0xFF, 0,    0,    0,    0,    0,    0,    0,    0};
    write_bytes(bad, module, sizeof(module));
    const char *args[] = {"--rdb-import", bad};
    struct test_server_opts o = {d.shardis, 0, 2, args};
    char log[4096];
    int status = server_run_expect_exit(&o, log, sizeof(log));
    cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0);
    cr_assert(strstr(log, "module type") != NULL, "%s", log);
    /* and the intact file still loads */
    const char *good[] = {"--rdb-import", path};
    struct test_server s;
    start_shardis(&s, d.shardis, 2, good);
    redisContext *c = client_connect_port(s.port);
    redisReply *rep = cmd(c, "LLEN l");
    expect_int(rep, 200);
    redisFree(c);
    cr_assert(server_stop(&s));
    free(data);
    redis_stop(&r);
    free_dirs(&d);
}

/* The converter next to the server binary under test. */
static void tool_path(char *out, size_t size, const char *name)
{
    const char *server = getenv("SHARDIS_SERVER");
    cr_assert(server);
    char copy[900];
    snprintf(copy, sizeof(copy), "%s", server);
    char *slash = strrchr(copy, '/');
    if (slash)
        *slash = 0;
    int n = snprintf(out, size, "%s/%s", slash ? copy : ".", name);
    cr_assert(n > 0 && (size_t)n < size);
}

Test(rdb, export_loads_into_redis)
{
    skip_unless_possible();
    struct dirs d;
    make_dirs(&d);
    struct test_server s;
    start_shardis(&s, d.shardis, 0, NULL);
    redisContext *c = client_connect_port(s.port);
    populate(c);
    redisReply *rep = cmd(c, "SAVE");
    expect_status(rep, "OK");
    /* shardis-check-snapshot --to-rdb writes Redis's dump.rdb */
    char tool[2048], command[8192], out[400];
    tool_path(tool, sizeof(tool), "shardis-check-snapshot");
    snprintf(out, sizeof(out), "%s/dump.rdb", d.redis);
    snprintf(command, sizeof(command), "'%s' --to-rdb '%s' '%s/dump.rdb.shardis-index' >/dev/null", tool, out,
             d.shardis);
    cr_assert(system(command) == 0, "%s failed", command);
    if (access("/usr/bin/redis-check-rdb", X_OK) == 0) {
        snprintf(command, sizeof(command), "/usr/bin/redis-check-rdb '%s' >/dev/null 2>&1", out);
        cr_assert(system(command) == 0, "redis-check-rdb refuses our file");
    }
    tool_path(tool, sizeof(tool), "shardis-check-rdb");
    snprintf(command, sizeof(command), "'%s' '%s' >/dev/null", tool, out);
    cr_assert(system(command) == 0, "shardis-check-rdb refuses our file");
    struct redis_proc r = {0};
    redis_start(&r, d.redis);
    compare(r.c, c);
    redisFree(c);
    cr_assert(server_stop(&s));
    redis_stop(&r);
    free_dirs(&d);
}

/* RESTORE is logged (a relative TTL as ABSTTL) and replayed after a restart. */
Test(rdb, restore_survives_log_replay)
{
    skip_unless_possible();
    struct dirs d;
    make_dirs(&d);
    const char *args[] = {"--appendonly", "yes", "--appendfsync", "always"};
    struct test_server s;
    start_shardis(&s, d.shardis, 4, args);
    redisContext *c = client_connect_port(s.port);
    many(c, "HSET", "src", 200, 1, "v%0*d", 3);
    redisReply *dump = cmd(c, "DUMP src");
    cr_assert_eq(dump->type, REDIS_REPLY_STRING);
    redisReply *rep = cmd(c, "SET copy old");
    freeReplyObject(rep);
    rep = cmd(c, "RESTORE copy 100000000 %b REPLACE", dump->str, dump->len);
    expect_status(rep, "OK");
    rep = cmd(c, "RESTORE plain 0 %b", dump->str, dump->len);
    expect_status(rep, "OK");
    rep = cmd(c, "PEXPIRETIME copy");
    long long when = rep->integer;
    freeReplyObject(rep);
    freeReplyObject(dump);
    char *before = dump_all(c, DUMP_EXPIRE_AT | DUMP_HEX);
    redisFree(c);
    cr_assert(server_stop(&s));
    start_shardis(&s, d.shardis, 4, args);
    c = client_connect_port(s.port);
    rep = cmd(c, "PEXPIRETIME copy");
    expect_int(rep, when);
    char *after = dump_all(c, DUMP_EXPIRE_AT | DUMP_HEX);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
    redisFree(c);
    cr_assert(server_stop(&s));
    free_dirs(&d);
}

/* Drops the "ttl=N" of dump_all lines (compared apart). */
static void strip_ttls(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (!strncmp(r, "ttl=", 4)) {
            r += 4;
            while (*r && *r != ':')
                r++;
            continue;
        }
        *w++ = *r++;
    }
    *w = 0;
}

/* Redis's MIGRATE speaks SELECT + RESTORE to its target: into shardis.
 * (TTLs travel relative: compared within 5 s, apart from the values.) */
Test(rdb, migrate_from_redis)
{
    skip_unless_possible();
    struct dirs d;
    make_dirs(&d);
    struct redis_proc r = {0};
    redis_start(&r, d.redis);
    populate(r.c);
    struct test_server s;
    start_shardis(&s, d.shardis, 0, NULL);
    redisContext *c = client_connect_port(s.port);
    char *want = dump_all(r.c, DUMP_HEX | DUMP_ENCODING);
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    redisReply *rep = cmd(r.c, "MIGRATE 127.0.0.1 %s s:small 0 5000", port);
    expect_status(rep, "OK");
    rep = cmd(r.c, "EXISTS s:small");
    expect_int(rep, 0);
    rep = cmd(c, "GET s:small");
    expect_str(rep, "hello");
    /* every other key of db 0 at once, with COPY and REPLACE */
    redisReply *keys = cmd(r.c, "KEYS *");
    const char **argv = calloc(keys->elements + 10, sizeof(char *));
    size_t *lens = calloc(keys->elements + 10, sizeof(size_t));
    int n = 0;
    const char *head[] = {"MIGRATE", "127.0.0.1", port, "", "0", "5000", "COPY", "REPLACE", "KEYS"};
    for (int i = 0; i < 9; i++)
        argv[n++] = head[i];
    for (size_t i = 0; i < keys->elements; i++)
        argv[n++] = keys->element[i]->str;
    for (int i = 0; i < n; i++)
        lens[i] = strlen(argv[i]);
    rep = cmd_argv(r.c, n, argv, lens);
    expect_status(rep, "OK");
    free(argv);
    free(lens);
    freeReplyObject(keys);
    char *got = dump_all(c, DUMP_HEX | DUMP_ENCODING);
    char *cut = strstr(want, "\n1 ");
    if (cut)
        *cut = 0;
    strip_ttls(want);
    strip_ttls(got);
    /* the TTLs themselves: Redis sends them relative, so allow the transit */
    const char *ttl_keys[] = {"ttl:s", "ttl:h"};
    for (int k = 0; k < 2; k++) {
        redisReply *a = cmd(r.c, "PEXPIRETIME %s", ttl_keys[k]);
        redisReply *b = cmd(c, "PEXPIRETIME %s", ttl_keys[k]);
        cr_assert(a->integer > 0 && b->integer >= a->integer - 5000 && b->integer <= a->integer + 5000,
                  "%s: %lld vs %lld", ttl_keys[k], a->integer, b->integer);
        freeReplyObject(a);
        freeReplyObject(b);
    }
    if (strcmp(want, got) != 0) {
        size_t i = 0;
        while (want[i] && want[i] == got[i])
            i++;
        size_t from = i > 200 ? i - 200 : 0;
        cr_assert_fail("after MIGRATE, first difference at %zu:\n%.400s\n---\n%.400s", i, want + from, got + from);
    }
    free(want);
    free(got);
    redisFree(c);
    cr_assert(server_stop(&s));
    redis_stop(&r);
    free_dirs(&d);
}

/* ---- streams ---- */

/* A reply as text; the value after "radix-tree-nodes" is left out (a rax's
 * inner node count, which our index does not have). */
static void reply_text(struct buf *b, const redisReply *r)
{
    char t[64];
    switch (r->type) {
    case REDIS_REPLY_ARRAY:
        snprintf(t, sizeof(t), "[%zu:", r->elements);
        buf_append(b, t, strlen(t));
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *x = r->element[i];
            if (i > 0 && r->element[i - 1]->type == REDIS_REPLY_STRING &&
                strcmp(r->element[i - 1]->str, "radix-tree-nodes") == 0) {
                buf_append(b, "? ", 2);
                continue;
            }
            reply_text(b, x);
            buf_append(b, " ", 1);
        }
        buf_append(b, "]", 1);
        return;
    case REDIS_REPLY_INTEGER:
        snprintf(t, sizeof(t), ":%lld", r->integer);
        buf_append(b, t, strlen(t));
        return;
    case REDIS_REPLY_NIL:
        buf_append(b, "nil", 3);
        return;
    default:
        buf_append(b, "\"", 1);
        buf_append(b, r->str, r->len);
        buf_append(b, "\"", 1);
    }
}

static const char *const stream_keys[] = {"st:big", "st:small", "st:empty", "st:mk", "st:v"};

/* Streams as Redis 7.0 builds them: 250 entries over 3 nodes of 100 (the
 * default), fields shared by most entries, deletions (XDEL), two groups
 * with deliveries to two consumers, an acknowledgement, a claimed entry and
 * a consumer with nothing pending; an emptied stream with a group; a
 * MKSTREAM stream; a one-entry stream. */
static void populate_streams(redisContext *c)
{
    for (int i = 1; i <= 250; i++) {
        char id[32], v[32];
        snprintf(id, sizeof(id), "%d-%d", 1000 + i, i % 4);
        snprintf(v, sizeof(v), "%d", i * 37);
        redisReply *rep = i % 9 == 0 ? cmd(c, "XADD st:big %s other %s x y", id, v)
                                     : cmd(c, "XADD st:big %s name value-%s n %s", id, v, v);
        cr_assert(rep->type == REDIS_REPLY_STRING, "XADD: %s", describe_reply(rep));
        freeReplyObject(rep);
    }
    for (int i = 5; i <= 250; i += 23) {
        char id[32];
        snprintf(id, sizeof(id), "%d-%d", 1000 + i, i % 4);
        ok(c, "XDEL st:big %s", id);
    }
    ok(c, "XGROUP CREATE st:big g1 %s", "0");
    ok(c, "XGROUP CREATE st:big g2 %s", "1100-0");
    ok(c, "XREADGROUP GROUP g1 alice COUNT 7 STREAMS st:big %s", ">");
    ok(c, "XREADGROUP GROUP g1 bob COUNT 4 STREAMS st:big %s", ">");
    ok(c, "XREADGROUP GROUP g2 alice COUNT 120 STREAMS st:big %s", ">");
    ok(c, "XACK st:big g1 %s", "1002-2");
    ok(c, "XCLAIM st:big g1 bob 0 %s", "1003-3");
    ok(c, "XGROUP CREATECONSUMER st:big g1 %s", "carol");
    ok(c, "XADD st:small 5-1 a %s", "1");
    ok(c, "XADD st:empty 7-7 f %s", "v");
    ok(c, "XDEL st:empty %s", "7-7");
    ok(c, "XGROUP CREATE st:empty g %s", "$");
    ok(c, "XGROUP CREATE st:mk g %s MKSTREAM", "$");
    ok(c, "XADD st:v 9-9 longfield-000000000000000000000000 %s", "longvalue-000000000000000000000000000000");
    ok(c, "XSETID st:v 10-0 ENTRIESADDED 5 MAXDELETEDID %s", "9-0");
}

static char *streams_text(redisContext *c)
{
    struct buf b = {0};
    for (size_t k = 0; k < sizeof(stream_keys) / sizeof(*stream_keys); k++) {
        const char *key = stream_keys[k];
        const char *forms[] = {"TYPE %s", "XINFO STREAM %s FULL COUNT 0", "XRANGE %s - +", "XINFO GROUPS %s"};
        for (size_t f = 0; f < 4; f++) {
            redisReply *rep = cmd(c, forms[f], key);
            reply_text(&b, rep);
            buf_append(&b, "\n", 1);
            freeReplyObject(rep);
        }
        redisReply *groups = cmd(c, "XINFO GROUPS %s", key);
        for (size_t g = 0; g < groups->elements; g++) {
            const char *name = groups->element[g]->element[1]->str;
            redisReply *rep = cmd(c, "XPENDING %s %s", key, name);
            reply_text(&b, rep);
            freeReplyObject(rep);
            /* extended form: id, consumer and count (the idle time moves) */
            rep = cmd(c, "XPENDING %s %s - + 1000", key, name);
            for (size_t i = 0; i < rep->elements; i++) {
                const redisReply *x = rep->element[i];
                reply_text(&b, x->element[0]);
                reply_text(&b, x->element[1]);
                reply_text(&b, x->element[3]);
            }
            buf_append(&b, "\n", 1);
            freeReplyObject(rep);
        }
        freeReplyObject(groups);
    }
    buf_append(&b, "", 1);
    return b.data;
}

static void expect_streams(redisContext *c, const char *want, const char *what)
{
    char *got = streams_text(c);
    cr_assert(strcmp(want, got) == 0, "%s: streams differ:\nwant:\n%.3000s\ngot:\n%.3000s", what, want, got);
    free(got);
}

Test(rdb, streams_with_redis)
{
    skip_unless_possible();
    struct dirs d;
    make_dirs(&d);
    struct redis_proc r = {0};
    redis_start(&r, d.redis);
    populate_streams(r.c);
    char *want = streams_text(r.c);
    cr_assert(strstr(want, "\"alice\"") && strstr(want, "\"carol\"") && strstr(want, "value-74"), "%.500s", want);

    /* a node whose entries are all deleted, which Redis keeps after XDEL of
     * the last entry and XTRIM MINID of the others: dropped on import */
    for (int i = 1; i <= 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%d-0", i);
        ok(r.c, "XADD st:dead %s a 1", id);
    }
    ok(r.c, "XDEL st:dead %s", "4-0");
    ok(r.c, "XTRIM st:dead MINID %s", "4");
    ok(r.c, "XGROUP CREATE st:dead g %s", "0");

    /* Redis's SAVE imported */
    ok(r.c, "SAVE%s", "");
    char path[400];
    snprintf(path, sizeof(path), "%s/dump.rdb", d.redis);
    const char *args[] = {"--rdb-import", path};
    struct test_server s;
    start_shardis(&s, d.shardis, 2, args);
    redisContext *c = client_connect_port(s.port);
    expect_streams(c, want, "import");
    redisReply *rep = cmd(c, "XLEN st:dead");
    expect_int(rep, 0);
    rep = cmd(c, "XADD st:dead 5-0 b 2");
    expect_str(rep, "5-0");
    rep = cmd(c, "XRANGE st:dead - +");
    cr_assert(rep->type == REDIS_REPLY_ARRAY && rep->elements == 1, "%s", describe_reply(rep));
    freeReplyObject(rep);
    char tool[2048], command[8192];
    tool_path(tool, sizeof(tool), "shardis-check-rdb");
    snprintf(command, sizeof(command), "'%s' '%s' >/dev/null", tool, path);
    cr_assert(system(command) == 0, "shardis-check-rdb refuses Redis's file with streams");

    /* DUMP from Redis -> RESTORE here, and back */
    ok(c, "FLUSHALL%s", "");
    transfer_all(r.c, c);
    expect_streams(c, want, "RESTORE of Redis's DUMP");
    ok(r.c, "FLUSHALL%s", "");
    transfer_all(c, r.c);
    expect_streams(r.c, want, "Redis's RESTORE of our DUMP");
    /* a damaged stream payload with a right checksum: refused or restored */
    redisReply *dump = cmd(c, "DUMP st:small");
    cr_assert_eq(dump->type, REDIS_REPLY_STRING);
    size_t n = dump->len;
    unsigned char *p = malloc(n);
    memcpy(p, dump->str, n);
    freeReplyObject(dump);
    for (size_t at = 0; at + 10 < n; at++) {
        p[at] ^= 0x21;
        uint64_t crc = rdb_crc64(0, p, n - 8);
        for (int i = 0; i < 8; i++)
            p[n - 8 + i] = (unsigned char)(crc >> (8 * i));
        redisReply *rep = cmd(c, "RESTORE hostile 0 %b REPLACE", p, n);
        cr_assert(rep->type == REDIS_REPLY_ERROR || rep->type == REDIS_REPLY_STATUS);
        freeReplyObject(rep);
        p[at] ^= 0x21;
    }
    free(p);
    ok(c, "DEL hostile%s", "");

    /* our export loads into Redis */
    rep = cmd(c, "SAVE");
    expect_status(rep, "OK");
    redis_stop(&r);
    char out[400];
    snprintf(out, sizeof(out), "%s/dump.rdb", d.redis);
    unlink(out);
    tool_path(tool, sizeof(tool), "shardis-check-snapshot");
    snprintf(command, sizeof(command), "'%s' --to-rdb '%s' '%s/dump.rdb.shardis-index' >/dev/null", tool, out,
             d.shardis);
    cr_assert(system(command) == 0, "%s failed", command);
    if (access("/usr/bin/redis-check-rdb", X_OK) == 0) {
        snprintf(command, sizeof(command), "/usr/bin/redis-check-rdb '%s' >/dev/null 2>&1", out);
        cr_assert(system(command) == 0, "redis-check-rdb refuses our file with streams");
    }
    redis_start(&r, d.redis);
    expect_streams(r.c, want, "Redis loading our export");
    free(want);
    redisFree(c);
    cr_assert(server_stop(&s));
    redis_stop(&r);
    free_dirs(&d);
}
