/*
 * test_acl.c - AUTH, HELLO AUTH, requirepass and ACL against a real server:
 * each rule kind allows and denies what it should (commands, subcommands,
 * categories, read/write key patterns, channels), ACL LIST/GETUSER/LOG/
 * DRYRUN/WHOAMI/USERS/CAT/GENPASS/DELUSER, ACL SAVE/LOAD through an aclfile,
 * rename-command, protected mode, the unauthenticated request limits, a flood
 * of wrong passwords that does not disturb other clients, and the audit log.
 *
 * Every test but the audit log (shardis-only) also passes against Debian's
 * redis-server 7.0.15 (SHARDIS_SERVER=/usr/bin/redis-server).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "fs.h"
#include "server.h"

static void acl_init_suite(void)
{
    server_set_extra_args(NULL);
    server_suite_init();
}

TestSuite(acl, .init = acl_init_suite, .fini = server_suite_fini, .timeout = 60);

static void restart_with(const char *const *args)
{
    struct test_server *s = server_current();
    server_stop(s);
    server_set_extra_args(args);
    server_start(s);
    server_set_extra_args(NULL);
}

static redisContext *connect_as(const char *user, const char *pass)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "AUTH %s %s", user, pass), "OK");
    return c;
}

Test(acl, auth_and_requirepass)
{
    redisContext *admin = client_connect();
    expect_err(cmd(admin, "AUTH nopassword"), "ERR AUTH <password> called without any password configured for the "
                                              "default user. Are you sure your configuration is correct?");
    expect_err(cmd(admin, "AUTH a b c"), "ERR syntax error");
    expect_status(cmd(admin, "CONFIG SET requirepass s3cret"), "OK");
    /* the connection that set it stays authenticated */
    expect_status(cmd(admin, "PING"), "PONG");

    redisContext *c = client_connect();
    expect_err(cmd(c, "GET a"), "NOAUTH Authentication required.");
    expect_err(cmd(c, "NOSUCHCMD"), "ERR unknown command 'NOSUCHCMD', with args beginning with: ");
    expect_err(cmd(c, "AUTH wrong"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(cmd(c, "AUTH default wrong"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err_prefix(cmd(c, "HELLO 3"), "NOAUTH HELLO must be called with the client already authenticated");
    expect_status(cmd(c, "AUTH s3cret"), "OK");
    expect_status(cmd(c, "SET a 1"), "OK");
    expect_str(cmd(c, "ACL WHOAMI"), "default");
    redisFree(c);

    /* HELLO 3 AUTH logs in and switches to RESP3 in one step */
    const char hello[] = "*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$6\r\ns3cret\r\n"
                         "*2\r\n$3\r\nGET\r\n$1\r\na\r\n";
    struct raw_reply raw = raw_roundtrip(server_port(), hello, sizeof(hello) - 1);
    cr_assert(raw.len > 4 && !memcmp(raw.data, "%7\r\n", 4), "%s", escape_bytes(raw.data, raw.len));
    cr_assert(strstr(raw.data, "$1\r\n1\r\n") != NULL, "%s", escape_bytes(raw.data, raw.len));
    raw_reply_free(&raw);

    c = client_connect();
    expect_err(cmd(c, "HELLO 3 AUTH default nope"), "WRONGPASS invalid username-password pair or user is disabled.");
    redisFree(c);

    expect_status(cmd(admin, "CONFIG SET requirepass %s", ""), "OK");
    c = client_connect();
    expect_str(cmd(c, "GET a"), "1");
    redisFree(c);
    redisFree(admin);
}

Test(acl, setuser_list_getuser)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "ACL SETUSER alice on >pw ~k* +get +@string -set &ch*"), "OK");
    redisReply *r = cmd(admin, "ACL LIST");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2, "%s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str,
                     "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
                     "~k* resetchannels &ch* -@all +@string -set");
    cr_assert_str_eq(r->element[1]->str, "user default on nopass ~* &* +@all");
    freeReplyObject(r);

    r = cmd(admin, "ACL GETUSER alice");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 12, "%s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str, "flags");
    cr_assert_eq(r->element[1]->elements, 1);
    cr_assert_str_eq(r->element[1]->element[0]->str, "on");
    cr_assert_str_eq(r->element[2]->str, "passwords");
    cr_assert_str_eq(r->element[3]->element[0]->str,
                     "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
    cr_assert_str_eq(r->element[5]->str, "-@all +@string -set");
    cr_assert_str_eq(r->element[7]->str, "~k*");
    cr_assert_str_eq(r->element[9]->str, "&ch*");
    freeReplyObject(r);
    expect_nil(cmd(admin, "ACL GETUSER nobody"));

    expect_err(cmd(admin, "ACL SETUSER x badrule"), "ERR Error in ACL SETUSER modifier 'badrule': Syntax error");
    expect_err(cmd(admin, "ACL SETUSER x +nosuchcommand"),
               "ERR Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL");
    expect_err_prefix(cmd(admin, "ACL SETUSER x #abc"), "ERR Error in ACL SETUSER modifier '#abc': The password hash");
    expect_err(cmd(admin, "ACL DELUSER default"), "ERR The 'default' user cannot be removed");
    expect_strs(cmd(admin, "ACL USERS"), 2, "alice", "default");
    redisFree(admin);
}

Test(acl, command_category_and_subcommand_rules)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "ACL SETUSER u on >p allkeys -@all +@string +config|get +acl|whoami"), "OK");
    redisContext *c = connect_as("u", "p");
    expect_status(cmd(c, "SET k v"), "OK"); /* @string */
    expect_int(cmd(c, "APPEND k x"), 2);
    expect_str(cmd(c, "GET k"), "vx");
    expect_err(cmd(c, "LPUSH l a"), "NOPERM this user has no permissions to run the 'lpush' command");
    expect_err(cmd(c, "CONFIG SET timeout 0"), "NOPERM this user has no permissions to run the 'config|set' command");
    redisReply *r = cmd(c, "CONFIG GET timeout");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    freeReplyObject(r);
    expect_str(cmd(c, "ACL WHOAMI"), "u");
    /* changes apply to a connected client at once */
    expect_status(cmd(admin, "ACL SETUSER u -get +lpush"), "OK");
    expect_err(cmd(c, "GET k"), "NOPERM this user has no permissions to run the 'get' command");
    expect_int(cmd(c, "LPUSH l a"), 1);
    expect_status(cmd(admin, "ACL SETUSER u nocommands"), "OK");
    expect_err(cmd(c, "STRLEN k"), "NOPERM this user has no permissions to run the 'strlen' command");
    expect_status(cmd(admin, "ACL SETUSER u allcommands"), "OK");
    expect_int(cmd(c, "STRLEN k"), 2);
    /* a disabled user cannot log in */
    expect_status(cmd(admin, "ACL SETUSER u off"), "OK");
    redisContext *d = client_connect();
    expect_err(cmd(d, "AUTH u p"), "WRONGPASS invalid username-password pair or user is disabled.");
    redisFree(d);
    redisFree(c);
    redisFree(admin);
}

Test(acl, key_patterns_read_and_write)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "SET r1 x"), "OK");
    expect_status(cmd(admin, "SET w1 y"), "OK");
    expect_status(cmd(admin, "SET both1 z"), "OK");
    expect_status(cmd(admin, "ACL SETUSER rw on >p +@all %%R~r* %%W~w* ~both*"), "OK");
    redisContext *c = connect_as("rw", "p");
    expect_str(cmd(c, "GET r1"), "x");
    expect_err(cmd(c, "SET r1 a"), "NOPERM this user has no permissions to access one of the keys used as arguments");
    expect_status(cmd(c, "SET w1 a"), "OK");
    expect_err(cmd(c, "GET w1"), "NOPERM this user has no permissions to access one of the keys used as arguments");
    expect_str(cmd(c, "GET both1"), "z");
    expect_status(cmd(c, "SET both1 q"), "OK");
    expect_err(cmd(c, "GET other"), "NOPERM this user has no permissions to access one of the keys used as arguments");
    /* COPY reads its source and writes its destination */
    expect_int(cmd(c, "COPY r1 w2"), 1);
    expect_err(cmd(c, "COPY w1 r2"), "NOPERM this user has no permissions to access one of the keys used as arguments");
    /* every key of a multi-key command is checked */
    expect_err(cmd(c, "MGET r1 both1 w1"),
               "NOPERM this user has no permissions to access one of the keys used as arguments");
    expect_strs(cmd(c, "MGET r1 both1"), 2, "x", "q");
    expect_str(cmd(admin, "ACL DRYRUN rw GET w1"), "This user has no permissions to access the 'w1' key");
    expect_status(cmd(admin, "ACL DRYRUN rw GET r9"), "OK");
    expect_str(cmd(admin, "ACL DRYRUN rw LPUSH r9 a"), "This user has no permissions to access the 'r9' key");
    redisFree(c);
    redisFree(admin);
}

Test(acl, channel_patterns)
{
    redisContext *admin = client_connect();
    redisReply *probe = cmd(admin, "COMMAND INFO publish");
    int has_publish = probe && probe->type == REDIS_REPLY_ARRAY && probe->elements == 1 &&
                      probe->element[0]->type == REDIS_REPLY_ARRAY;
    freeReplyObject(probe);
    if (!has_publish) {
        redisFree(admin);
        cr_skip_test("no PUBLISH command on this server");
    }
    expect_status(cmd(admin, "ACL SETUSER pub on >p +@all allkeys resetchannels &news.*"), "OK");
    redisContext *c = connect_as("pub", "p");
    expect_int(cmd(c, "PUBLISH news.today hi"), 0);
    expect_err(cmd(c, "PUBLISH sports hi"),
               "NOPERM this user has no permissions to access one of the channels used as arguments");
    redisFree(c);
    redisFree(admin);
}

Test(acl, acl_log_dryrun_cat_genpass)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "ACL LOG RESET"), "OK");
    expect_status(cmd(admin, "ACL SETUSER v on >p ~v* +get"), "OK");
    redisContext *c = connect_as("v", "p");
    expect_err_prefix(cmd(c, "SET v1 x"), "NOPERM");
    expect_err_prefix(cmd(c, "GET other"), "NOPERM");
    redisFree(c);
    c = client_connect();
    expect_err_prefix(cmd(c, "AUTH v wrong"), "WRONGPASS");
    redisFree(c);

    redisReply *r = cmd(admin, "ACL LOG");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "%s", describe_reply(r));
    const char *want[3][3] = {{"auth", "AUTH", "v"}, {"key", "other", "v"}, {"command", "set", "v"}};
    for (int i = 0; i < 3; i++) {
        redisReply *e = r->element[i];
        cr_assert_eq(e->elements, 14, "entry %d: %zu fields", i, e->elements);
        cr_assert_str_eq(e->element[0]->str, "count");
        cr_assert_eq(e->element[1]->integer, 1);
        cr_assert_str_eq(e->element[3]->str, want[i][0]);
        cr_assert_str_eq(e->element[5]->str, "toplevel");
        cr_assert_str_eq(e->element[7]->str, want[i][1]);
        cr_assert_str_eq(e->element[9]->str, want[i][2]);
        cr_assert_str_eq(e->element[12]->str, "client-info");
        cr_assert(strstr(e->element[13]->str, "addr=127.0.0.1:") != NULL, "%s", e->element[13]->str);
    }
    freeReplyObject(r);
    /* the same denial again counts in the same entry */
    c = connect_as("v", "p");
    expect_err_prefix(cmd(c, "GET other"), "NOPERM");
    redisFree(c);
    r = cmd(admin, "ACL LOG 1");
    cr_assert(r && r->elements == 1);
    cr_assert_eq(r->element[0]->element[1]->integer, 2);
    freeReplyObject(r);
    expect_status(cmd(admin, "ACL LOG RESET"), "OK");
    expect_array_len(cmd(admin, "ACL LOG"), 0);

    expect_status(cmd(admin, "ACL DRYRUN v GET v1"), "OK");
    expect_str(cmd(admin, "ACL DRYRUN v SET v1 x"), "This user has no permissions to run the 'set' command");
    expect_err(cmd(admin, "ACL DRYRUN nobody GET x"), "ERR User 'nobody' not found");

    r = cmd(admin, "ACL CAT");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 20, "%s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str, "keyspace");
    freeReplyObject(r);
    r = cmd(admin, "ACL CAT string");
    int found = 0;
    for (size_t i = 0; r && i < r->elements; i++)
        found |= !strcmp(r->element[i]->str, "get");
    cr_assert(found, "ACL CAT string lacks get");
    freeReplyObject(r);
    expect_err(cmd(admin, "ACL CAT nosuch"), "ERR Unknown category 'nosuch'");

    r = cmd(admin, "ACL GENPASS");
    cr_assert(r && r->type == REDIS_REPLY_STRING && r->len == 64, "%s", describe_reply(r));
    freeReplyObject(r);
    r = cmd(admin, "ACL GENPASS 32");
    cr_assert(r && r->len == 8);
    freeReplyObject(r);
    redisFree(admin);
}

Test(acl, deleted_user_is_disconnected)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "ACL SETUSER gone on >p +@all ~*"), "OK");
    redisContext *c = connect_as("gone", "p");
    expect_status(cmd(c, "PING"), "PONG");
    expect_int(cmd(admin, "ACL DELUSER gone nosuch"), 1);
    redisReply *r = redisCommand(c, "PING");
    cr_assert(r == NULL || r->type == REDIS_REPLY_ERROR, "a deleted user's client went on: %s", describe_reply(r));
    if (r)
        freeReplyObject(r);
    redisFree(c);
    redisFree(admin);
}

Test(acl, aclfile_save_and_load)
{
    char dir[] = "/tmp/shardis-acl-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char path[300];
    snprintf(path, sizeof(path), "%s/users.acl", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "user default on nopass ~* &* +@all\nuser carol on #%s ~c* +@read\n",
            "ef797c8118f02dfb649607dd5d3f8c7623048c9c063d532cc95c5ed7a898a64f"); /* sha256("12345678") */
    fclose(f);
    const char *args[] = {"--aclfile", path, NULL};
    restart_with(args);

    redisContext *admin = client_connect();
    redisContext *c = connect_as("carol", "12345678");
    expect_nil(cmd(c, "GET c1"));
    expect_err_prefix(cmd(c, "SET c1 x"), "NOPERM");
    redisFree(c);

    expect_status(cmd(admin, "ACL SETUSER dave on >pw ~d* +@all"), "OK");
    expect_status(cmd(admin, "ACL SAVE"), "OK");
    f = fopen(path, "r");
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_assert(strstr(text, "user dave on #") != NULL, "%s", text);
    cr_assert(strstr(text, "user carol on #ef797c81") != NULL, "%s", text);
    cr_assert(strstr(text, "pw") == NULL || strstr(text, ">pw") == NULL, "plain password saved: %s", text);

    /* edit the file: dave goes away, erin comes; LOAD replaces every user */
    f = fopen(path, "w");
    fprintf(f, "user default on nopass ~* &* +@all\nuser erin on nopass ~e* +@all\n");
    fclose(f);
    expect_status(cmd(admin, "ACL LOAD"), "OK");
    expect_strs(cmd(admin, "ACL USERS"), 2, "default", "erin");

    /* a broken file is refused and the users stay */
    f = fopen(path, "w");
    fprintf(f, "user default on nopass ~* &* +@all\nuser bad on +nosuchcmd\n");
    fclose(f);
    expect_err_prefix(cmd(admin, "ACL LOAD"), "ERR");
    expect_strs(cmd(admin, "ACL USERS"), 2, "default", "erin");
    redisFree(admin);

    remove_tree(dir);
}

Test(acl, acl_save_without_aclfile)
{
    redisContext *admin = client_connect();
    expect_err_prefix(cmd(admin, "ACL SAVE"), "ERR This Redis instance is not configured to use an ACL file.");
    redisFree(admin);
}

Test(acl, rename_command)
{
    const char *args[] = {"--rename-command", "FLUSHALL", "", "--rename-command", "CONFIG", "MYCONFIG", NULL};
    restart_with(args);
    redisContext *c = client_connect();
    expect_err(cmd(c, "FLUSHALL"), "ERR unknown command 'FLUSHALL', with args beginning with: ");
    expect_err(cmd(c, "CONFIG GET port"), "ERR unknown command 'CONFIG', with args beginning with: 'GET' 'port' ");
    redisReply *r = cmd(c, "MYCONFIG GET port");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2, "%s", describe_reply(r));
    freeReplyObject(r);
    redisFree(c);
}

Test(acl, unauthenticated_request_limits)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "CONFIG SET requirepass pw"), "OK");
    struct raw_reply raw = raw_roundtrip(server_port(), "*11\r\n", 5);
    cr_assert(strstr(raw.data, "-ERR Protocol error: unauthenticated multibulk length") == raw.data, "%s",
              escape_bytes(raw.data, raw.len));
    raw_reply_free(&raw);
    const char big_bulk[] = "*2\r\n$4\r\nAUTH\r\n$20000\r\n";
    raw = raw_roundtrip(server_port(), big_bulk, sizeof(big_bulk) - 1);
    cr_assert(strstr(raw.data, "-ERR Protocol error: unauthenticated bulk length") == raw.data, "%s",
              escape_bytes(raw.data, raw.len));
    raw_reply_free(&raw);
    expect_status(cmd(admin, "CONFIG SET requirepass %s", ""), "OK");
    redisFree(admin);
}

/* A blocking connection to the test server from the loopback address
 * `source` (any 127.x.y.z works on Linux), to act as another host. */
static redisContext *connect_from(const char *source)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, source, &src.sin_addr);
    cr_assert(bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0, "bind %s", source);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)server_port())};
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    cr_assert(connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0, "connect from %s", source);
    redisContext *c = redisConnectFd(fd);
    cr_assert(c && !c->err, "connect from %s", source);
    return c;
}

/* Reads the replies to `n` pipelined wrong passwords: each one WRONGPASS
 * until the server closes the connection. Returns how many came. */
static int read_wrongpass_until_closed(redisContext *c, int n)
{
    int got = 0;
    for (; got < n; got++) {
        void *reply = NULL;
        if (redisGetReply(c, &reply) != REDIS_OK)
            break;
        redisReply *r = reply;
        cr_assert(r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "WRONGPASS", 9), "%d: %s", got, describe_reply(r));
        freeReplyObject(r);
    }
    return got;
}

Test(acl, wrong_password_flood_does_not_disturb_others)
{
    redisContext *admin = client_connect();
    /* other 127/8 addresses are remote to protected mode (Redis too) */
    expect_status(cmd(admin, "CONFIG SET protected-mode no"), "OK");
    expect_status(cmd(admin, "ACL SETUSER flood on >right +@all ~*"), "OK");
    redisContext *bad = connect_from("127.0.0.2");
    redisContext *good = client_connect();
    enum { WRONG = 10000 };
    for (int i = 0; i < WRONG; i++)
        redisAppendCommand(bad, "AUTH flood wrong%d", i);
    /* another client is served meanwhile, every reply correct */
    for (int i = 0; i < 500; i++) {
        expect_status(cmd(good, "SET g%d %d", i, i), "OK");
        char v[16];
        snprintf(v, sizeof(v), "%d", i);
        expect_str(cmd(good, "GET g%d", i), v);
    }
    int got = read_wrongpass_until_closed(bad, WRONG);
    redisFree(bad);
    if (!server_is_redis()) /* shardis: beyond the limit the guesser is disconnected */
        cr_assert(got < WRONG, "the flood of wrong passwords was answered in full");
    /* the right password from the same address logs in at once */
    bad = connect_from("127.0.0.2");
    expect_status(cmd(bad, "AUTH flood right"), "OK");
    redisFree(bad);
    redisFree(good);
    expect_status(cmd(admin, "CONFIG SET protected-mode yes"), "OK");
    redisFree(admin);
}

/* The AUTH limit counts per source address and never refuses the right
 * password: while one connection floods wrong passwords (for AUTH and HELLO
 * AUTH), others, from its address too, log in with the right one. Nothing
 * here depends on timing: the right password must work whether or not the
 * flooding address is over its limit when it arrives. */
Test(acl, auth_limit_never_refuses_the_right_password)
{
    if (server_is_redis())
        cr_skip_test("auth-max-failures-per-second is shardis's");
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "CONFIG SET auth-max-failures-per-second 2"), "OK");
    expect_status(cmd(admin, "CONFIG SET protected-mode no"), "OK");
    expect_status(cmd(admin, "ACL SETUSER victim on >right +@all ~*"), "OK");
    enum { WRONG = 2000 };
    redisContext *flood = connect_from("127.0.0.2");
    for (int i = 0; i < WRONG; i++)
        redisAppendCommand(flood, i % 2 ? "AUTH victim wrong%d" : "HELLO 2 AUTH victim wrong%d", i);
    cr_assert_eq(redisBufferWrite(flood, &(int){0}), REDIS_OK);
    /* the right password, from the flooding address and from another one */
    for (int i = 0; i < 20; i++) {
        redisContext *same = connect_from("127.0.0.2");
        expect_status(cmd(same, "AUTH victim right"), "OK");
        expect_str(cmd(same, "ACL WHOAMI"), "victim");
        redisFree(same);
        redisContext *other = connect_from("127.0.0.3");
        redisReply *r = cmd(other, "HELLO 2 AUTH victim right");
        cr_assert(r && r->type == REDIS_REPLY_ARRAY, "%s", describe_reply(r));
        freeReplyObject(r);
        redisFree(other);
    }
    int got = 0;
    while (got < WRONG) { /* the flood's replies: WRONGPASS (HELLO's too) until closed */
        void *reply = NULL;
        if (redisGetReply(flood, &reply) != REDIS_OK)
            break;
        redisReply *r = reply;
        cr_assert(r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "WRONGPASS", 9), "%d: %s", got, describe_reply(r));
        freeReplyObject(r);
        got++;
    }
    cr_assert(got >= 1 && got < WRONG, "%d of %d wrong passwords answered", got, WRONG);
    redisFree(flood);
    /* within the limit, a connection that failed gets in with the right
     * password at once (it used to be refused until the second was over) */
    redisContext *typo = connect_from("127.0.0.4");
    redisAppendCommand(typo, "AUTH victim typo1");
    redisAppendCommand(typo, "AUTH victim typo2");
    redisAppendCommand(typo, "AUTH victim right");
    expect_err(next_reply(typo), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(next_reply(typo), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_status(next_reply(typo), "OK");
    expect_str(cmd(typo, "ACL WHOAMI"), "victim");
    redisFree(typo);
    expect_status(cmd(admin, "CONFIG SET auth-max-failures-per-second 10"), "OK");
    expect_status(cmd(admin, "CONFIG SET protected-mode yes"), "OK");
    redisFree(admin);
}

/* A local address that is not loopback, or "" when the machine has none. */
static void non_loopback_ipv4(char *out, size_t len)
{
    out[0] = '\0';
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0)
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        struct sockaddr_in *sa = (struct sockaddr_in *)i->ifa_addr;
        if ((ntohl(sa->sin_addr.s_addr) >> 24) == 127)
            continue;
        inet_ntop(AF_INET, &sa->sin_addr, out, (socklen_t)len);
        break;
    }
    freeifaddrs(ifs);
}

Test(acl, protected_mode)
{
    char ip[64];
    non_loopback_ipv4(ip, sizeof(ip));
    if (!ip[0])
        cr_skip_test("no non-loopback IPv4 address on this machine");
    const char *args[] = {"--bind", "127.0.0.1", ip, "--protected-mode", "yes", NULL};
    restart_with(args);
    redisContext *local = client_connect();
    expect_status(cmd(local, "PING"), "PONG");
    redisContext *remote = redisConnect(ip, server_port());
    cr_assert(remote && !remote->err, "connect to %s", ip);
    redisReply *r = redisCommand(remote, "PING");
    cr_assert(r && r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "DENIED Redis is running in protected mode", 41),
              "%s", describe_reply(r));
    freeReplyObject(r);
    redisFree(remote);
    /* with a password for the default user, remote clients may connect (and must AUTH) */
    expect_status(cmd(local, "CONFIG SET requirepass pw"), "OK");
    remote = redisConnect(ip, server_port());
    expect_err(redisCommand(remote, "GET x"), "NOAUTH Authentication required.");
    expect_status(redisCommand(remote, "AUTH pw"), "OK");
    redisFree(remote);
    redisFree(local);
}

Test(acl, audit_log)
{
    if (server_is_redis())
        cr_skip_test("the audit log is shardis's");
    char path[] = "/tmp/shardis-audit-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    const char *args[] = {"--audit-log-file", path, NULL};
    restart_with(args);
    redisContext *c = client_connect();
    expect_err_prefix(cmd(c, "AUTH nobody hunter2"), "WRONGPASS");
    expect_status(cmd(c, "ACL SETUSER limited on >topsecret1 +get ~x*"), "OK");
    redisContext *l = connect_as("limited", "topsecret1");
    expect_err_prefix(cmd(l, "SET x1 v"), "NOPERM");
    redisFree(l);
    expect_status(cmd(c, "CONFIG SET requirepass topsecret2"), "OK");
    expect_status(cmd(c, "FLUSHALL"), "OK");
    expect_status(cmd(c, "CONFIG SET requirepass %s", ""), "OK");
    redisFree(c);
    FILE *f = fopen(path, "r");
    char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    cr_assert(strstr(text, "event=auth-failed addr=127.0.0.1:") != NULL, "%s", text);
    cr_assert(strstr(text, "username=nobody") != NULL, "%s", text);
    cr_assert(strstr(text, "event=acl-change") != NULL, "%s", text);
    cr_assert(strstr(text, "event=acl-denied") != NULL && strstr(text, "user=limited") != NULL, "%s", text);
    cr_assert(strstr(text, "event=config-set") != NULL && strstr(text, "parameter=requirepass") != NULL, "%s", text);
    cr_assert(strstr(text, "command=flushall") != NULL, "%s", text);
    cr_assert(strstr(text, "hunter2") == NULL && strstr(text, "topsecret") == NULL, "a password in the audit log: %s",
              text);
}

/* AUTH, HELLO (and QUIT, RESET) are never refused by the current user's
 * permissions (Redis's no-auth flag): a restricted client can always switch
 * to another user, even after a failed attempt. */
Test(acl, restricted_user_can_always_switch_user)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "ACL SETUSER u1 on >pw +acl"), "OK");
    expect_status(cmd(admin, "CONFIG SET requirepass adminpw"), "OK");
    redisContext *c = client_connect();
    expect_status(cmd(c, "AUTH adminpw"), "OK");
    expect_status(cmd(c, "AUTH u1 pw"), "OK");
    expect_err(cmd(c, "GET k"), "NOPERM this user has no permissions to run the 'get' command");
    expect_err(cmd(c, "AUTH default x"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(cmd(c, "HELLO 2 AUTH default x"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_str(cmd(c, "ACL WHOAMI"), "u1");
    redisReply *r = cmd(c, "HELLO 2 AUTH default adminpw");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    freeReplyObject(r);
    expect_str(cmd(c, "ACL WHOAMI"), "default");
    expect_status(cmd(c, "AUTH u1 pw"), "OK");
    expect_status(cmd(c, "AUTH default adminpw"), "OK");
    expect_str(cmd(c, "ACL WHOAMI"), "default");
    /* a user with no command at all may still log in as another */
    expect_status(cmd(admin, "ACL SETUSER u2 on >pw2 nocommands"), "OK");
    expect_status(cmd(c, "AUTH u2 pw2"), "OK");
    expect_err(cmd(c, "PING"), "NOPERM this user has no permissions to run the 'ping' command");
    expect_status(cmd(c, "AUTH adminpw"), "OK");
    expect_status(cmd(c, "PING"), "PONG");
    /* ACL DRYRUN agrees */
    expect_status(cmd(admin, "ACL DRYRUN u2 AUTH default x"), "OK");
    expect_status(cmd(admin, "CONFIG SET requirepass %s", ""), "OK");
    redisFree(c);
    redisFree(admin);
}

/* ACL GETUSER/LIST print the command rules derived from the permissions, as
 * Redis 7.0 does (a removal of something not granted disappears, a
 * subcommand rule covered by its whole command disappears, ...). Cases
 * whose Redis output has at most one single-command rule: Redis prints
 * several in an order that changes with each process. */
Test(acl, getuser_and_list_describe_like_redis)
{
    static const char *const cases[][2] = {
        {"+@set +@hash -@geo", "-@all +@set +@hash"},
        {"+get +@string -set", "-@all +@string -set"},
        {"+@read +@write", "-@all +@write +@read"},
        {"+client|list +client", "-@all +client"},
        {"+client -client|kill", "-@all +client -client|kill"},
        {"+@hash -hset +hset", "-@all +@hash"},
        {"+@set -sadd -@set +sadd", "-@all +sadd"},
        {"-@all +@all -@all +get", "-@all +get"},
        {"+@all -@read +get", "+@all -@read +get"},
        {"+@all +get", "+@all"},
        {"+@all -client|kill -client", "+@all -client"},
        {"+@all -client +client|list", "+@all -client +client|list"},
        {"+@all -@admin +config|get", "+@all -@admin +config|get"},
        {"nocommands +@set -sadd", "-@all +@set -sadd"},
        {"+@transaction -exec", "-@all +@transaction -exec"},
    };
    redisContext *c = client_connect();
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *argv[16] = {"ACL", "SETUSER", "u2", "reset"};
        size_t lens[16] = {3, 7, 2, 5};
        int argc = 4;
        char words[256];
        snprintf(words, sizeof(words), "%s", cases[i][0]);
        for (char *save = NULL, *w = strtok_r(words, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save)) {
            argv[argc] = w;
            lens[argc++] = strlen(w);
        }
        redisReply *r = cmd_argv(c, argc, argv, lens);
        cr_assert(r && r->type == REDIS_REPLY_STATUS, "%s: %s", cases[i][0], describe_reply(r));
        freeReplyObject(r);
        r = cmd(c, "ACL GETUSER u2");
        cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 6, "%s", describe_reply(r));
        cr_assert_str_eq(r->element[4]->str, "commands");
        cr_assert_str_eq(r->element[5]->str, cases[i][1], "rules %s", cases[i][0]);
        freeReplyObject(r);
        r = cmd(c, "ACL LIST");
        cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2, "%s", describe_reply(r));
        char want[512];
        snprintf(want, sizeof(want), "user u2 off sanitize-payload resetchannels %s", cases[i][1]);
        cr_assert_str_eq(r->element[1]->str, want, "rules %s", cases[i][0]);
        freeReplyObject(r);
    }
    redisFree(c);
}

/* Protected mode refuses at accept, as Redis: a client from a non-loopback
 * address receives the DENIED line and the close without sending anything. */
/* The DENIED line and the close, before the client sent anything. */
static void expect_denied_at_accept(int fd)
{
    struct raw_reply raw = raw_read(fd, 0, 10000); /* nothing sent */
    cr_assert(raw.closed, "the server kept the refused connection open");
    cr_assert(raw.len > 50 && !memcmp(raw.data, "-DENIED Redis is running in protected mode because", 50), "%s",
              escape_bytes(raw.data, raw.len));
    cr_assert(!memcmp(raw.data + raw.len - 2, "\r\n", 2) && !memchr(raw.data, '\n', raw.len - 1), "one line: %s",
              escape_bytes(raw.data, raw.len));
    raw_reply_free(&raw);
    close(fd);
}

/* Only 127.0.0.1 and ::1 are local to protected mode, as in Redis: a client
 * from another loopback address stands in for a remote host. */
Test(acl, protected_mode_refuses_other_loopback_addresses_at_accept)
{
    const char *args[] = {"--protected-mode", "yes", NULL};
    restart_with(args);
    redisContext *local = client_connect();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
    cr_assert(bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)server_port())};
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    cr_assert(connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0);
    expect_denied_at_accept(fd);
    expect_status(cmd(local, "PING"), "PONG");
    /* with a password for the default user the same client is let in */
    expect_status(cmd(local, "CONFIG SET requirepass pw"), "OK");
    redisContext *other = connect_from("127.0.0.2");
    expect_err(cmd(other, "GET x"), "NOAUTH Authentication required.");
    expect_status(cmd(other, "AUTH pw"), "OK");
    redisFree(other);
    expect_status(cmd(local, "CONFIG SET requirepass %s", ""), "OK");
    redisFree(local);
}

Test(acl, protected_mode_refuses_at_accept)
{
    char ip[64];
    non_loopback_ipv4(ip, sizeof(ip));
    if (!ip[0])
        cr_skip_test("no non-loopback IPv4 address on this machine (ip -4 addr shows only loopback)");
    const char *args[] = {"--bind", "127.0.0.1", ip, "--protected-mode", "yes", NULL};
    restart_with(args);
    redisContext *local = client_connect();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)server_port())};
    inet_pton(AF_INET, ip, &a.sin_addr);
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect to %s", ip);
    expect_denied_at_accept(fd);
    expect_status(cmd(local, "PING"), "PONG");
    /* Turned off at run time: the next remote client is served. */
    expect_status(cmd(local, "CONFIG SET protected-mode no"), "OK");
    redisContext *remote = redisConnect(ip, server_port());
    cr_assert(remote && !remote->err, "connect to %s", ip);
    expect_status(redisCommand(remote, "PING"), "PONG");
    redisFree(remote);
    redisFree(local);
}

static long vm_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "%s", path);
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    fclose(f);
    cr_assert(kb > 0);
    return kb;
}

/* Replaced user tables are freed once every shard thread passed them: a
 * long run of ACL changes keeps the memory flat (before the fix every
 * change kept its table and users until exit: about 60 MB here). Pipelined
 * in batches; the bound is generous, not a measurement. */
Test(acl, replaced_user_tables_are_reclaimed, .timeout = 600)
{
    if (server_is_redis())
        cr_skip_test("measures shardis's memory");
    const char *asan = getenv("SHARDIS_SERVER_ASAN_OPTIONS");
    if (asan) {
        /* a sanitizer build keeps freed memory in quarantine: without it,
         * freed tables are reused as in a release build */
        char opts[1024];
        snprintf(opts, sizeof(opts), "%s:quarantine_size_mb=0:thread_local_quarantine_size_kb=0", asan);
        setenv("SHARDIS_SERVER_ASAN_OPTIONS", opts, 1);
        restart_with(NULL);
    }
    redisContext *c = client_connect();
    for (int i = 0; i < 20; i++)
        expect_status(cmd(c, "ACL SETUSER other%d on >pw%d ~k%d:* +@read -get", i, i, i), "OK");
    enum { TOTAL = 100000, BATCH = 1000 };
    pid_t pid = server_current()->pid;
    long before = 0;
    for (int done = 0; done < TOTAL; done += BATCH) {
        for (int i = 0; i < BATCH; i++)
            redisAppendCommand(c, "ACL SETUSER churn reset on >pw%d ~key%d:* +@string -set +get", done + i, i);
        for (int i = 0; i < BATCH; i++) {
            redisReply *r = next_reply(c);
            cr_assert(r && r->type == REDIS_REPLY_STATUS, "%d: %s", done + i, describe_reply(r));
            freeReplyObject(r);
        }
        /* A fan-out runs one loop iteration on every shard thread, where
         * each passes its checkpoint: an idle thread otherwise passes it
         * only at its next cron tick, and the tables replaced meanwhile
         * wait for it (bounded by time, not by count). */
        expect_int(cmd(c, "DBSIZE"), 0);
        if (done == 5 * BATCH) /* allocator pools warmed up */
            before = vm_rss_kb(pid);
    }
    long after = vm_rss_kb(pid);
    cr_assert(after - before < 20 * 1024, "RSS grew from %ld kB to %ld kB over %d ACL SETUSER", before, after, TOTAL);
    /* the table still works */
    redisContext *u = connect_as("churn", "pw99999");
    expect_err(cmd(u, "SET key1:a v"), "NOPERM this user has no permissions to run the 'set' command");
    expect_nil(cmd(u, "GET key999:a"));
    redisFree(u);
    redisFree(c);
}
