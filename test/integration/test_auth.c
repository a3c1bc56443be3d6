/*
 * test_auth.c - requirepass, AUTH and HELLO ... AUTH against a live server
 * (Redis 7.0 error texts). Each test sets a password with CONFIG SET on a
 * connection opened before it (that connection stays authenticated, as in
 * Redis) and clears it at the end.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "server.h"

TestSuite(auth, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

static redisContext *set_password(const char *pass)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "CONFIG SET requirepass %s", pass), "OK");
    return admin;
}

static void clear_password(redisContext *admin)
{
    expect_status(cmd(admin, "CONFIG SET requirepass %s", ""), "OK");
    redisFree(admin);
}

Test(auth, no_password_configured)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "AUTH foo"), "ERR AUTH <password> called without any password configured for the default "
                                   "user. Are you sure your configuration is correct?");
    expect_status(cmd(c, "AUTH default anything"), "OK"); /* nopass default user accepts any password */
    expect_err(cmd(c, "AUTH someone anything"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(cmd(c, "AUTH a b c"), "ERR syntax error");
    expect_err(cmd(c, "AUTH"), "ERR wrong number of arguments for 'auth' command");
    redisFree(c);
}

Test(auth, noauth_until_auth)
{
    redisContext *admin = set_password("s3cret");
    expect_strs(cmd(admin, "CONFIG GET requirepass"), 2, "requirepass", "s3cret");
    redisContext *c = client_connect();
    expect_err(cmd(c, "PING"), "NOAUTH Authentication required.");
    expect_err(cmd(c, "SET k v"), "NOAUTH Authentication required.");
    expect_err(cmd(c, "CONFIG SET requirepass %s", ""), "NOAUTH Authentication required.");
    expect_err(cmd(c, "AUTH wrong"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(cmd(c, "AUTH nobody s3cret"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(cmd(c, "GET k"), "NOAUTH Authentication required.");
    expect_status(cmd(c, "AUTH s3cret"), "OK");
    expect_status(cmd(c, "SET k v"), "OK");
    expect_str(cmd(c, "GET k"), "v");
    redisContext *d = client_connect();
    expect_status(cmd(d, "AUTH default s3cret"), "OK");
    expect_str(cmd(d, "GET k"), "v");
    expect_int(cmd(d, "DEL k"), 1);
    redisFree(d);
    redisFree(c);
    clear_password(admin);
    c = client_connect();
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}

Test(auth, hello_auth)
{
    redisContext *admin = set_password("pw2");
    redisContext *c = client_connect();
    expect_err(cmd(c, "HELLO 2"), "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                                  "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
                                  "the RESP protocol version at the same time");
    expect_err(cmd(c, "HELLO 2 AUTH default nope"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(cmd(c, "HELLO 2 AUTH other pw2"), "WRONGPASS invalid username-password pair or user is disabled.");
    expect_err(cmd(c, "PING"), "NOAUTH Authentication required.");
    redisReply *r = cmd(c, "HELLO 2 AUTH default pw2 SETNAME authed");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 14, "HELLO: %s", describe_reply(r));
    freeReplyObject(r);
    expect_status(cmd(c, "PING"), "PONG");
    expect_str(cmd(c, "CLIENT GETNAME"), "authed");
    redisFree(c);
    clear_password(admin);
}

/* A client that fails AUTH many times does not disturb another client. */
Test(auth, many_failures_others_served)
{
    redisContext *admin = set_password("right");
    redisContext *bad = client_connect();
    redisContext *good = client_connect();
    expect_status(cmd(good, "AUTH right"), "OK");
    int closed = 0;
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 100; i++)
            redisAppendCommand(bad, "AUTH wrong%d", i);
        expect_status(cmd(good, "SET auth:k %d", round), "OK");
        /* Every answer is WRONGPASS; shardis closes a connection whose
         * address is beyond auth-max-failures-per-second: reconnect. */
        for (int i = 0; i < 100; i++) {
            void *reply = NULL;
            if (redisGetReply(bad, &reply) != REDIS_OK) {
                closed++;
                redisFree(bad);
                bad = client_connect();
                break;
            }
            expect_err(reply, "WRONGPASS invalid username-password pair or user is disabled.");
        }
    }
    if (!server_is_redis())
        cr_assert(closed > 0, "10000 wrong passwords and the guesser was never disconnected");
    expect_str(cmd(good, "GET auth:k"), "99");
    expect_int(cmd(good, "DEL auth:k"), 1);
    redisFree(bad);
    /* A new connection from the same address logs in at once: the limit
     * never refuses the right password. */
    bad = client_connect();
    expect_status(cmd(bad, "AUTH right"), "OK");
    redisFree(bad);
    redisFree(good);
    clear_password(admin);
}

/* Before AUTH, Redis accepts at most 10 arguments and 16 KB bulks, then closes. */
Test(auth, unauthenticated_limits)
{
    redisContext *admin = set_password("lim");
    int fd = raw_connect(server_port());
    const char *many = "*11\r\n$4\r\nPING\r\n";
    raw_send(fd, many, strlen(many));
    struct raw_reply r = raw_read(fd, 0, 2000);
    check_raw(__FILE__, __LINE__, &r, "-ERR Protocol error: unauthenticated multibulk length\r\n",
              strlen("-ERR Protocol error: unauthenticated multibulk length\r\n"));
    raw_reply_free(&r);
    close(fd);

    fd = raw_connect(server_port());
    const char *big = "*2\r\n$4\r\nAUTH\r\n$16385\r\n";
    raw_send(fd, big, strlen(big));
    r = raw_read(fd, 0, 2000);
    check_raw(__FILE__, __LINE__, &r, "-ERR Protocol error: unauthenticated bulk length\r\n",
              strlen("-ERR Protocol error: unauthenticated bulk length\r\n"));
    raw_reply_free(&r);
    close(fd);

    /* After AUTH the normal limits apply on the same connection. */
    fd = raw_connect(server_port());
    const char *ok =
        "*2\r\n$4\r\nAUTH\r\n$3\r\nlim\r\n*11\r\n$4\r\nPING\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"
        "$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n";
    raw_send(fd, ok, strlen(ok));
    const char *want = "+OK\r\n-ERR wrong number of arguments for 'ping' command\r\n";
    r = raw_read(fd, strlen(want), 2000);
    check_raw(__FILE__, __LINE__, &r, want, strlen(want));
    raw_reply_free(&r);
    close(fd);
    clear_password(admin);
}

/* RESET logs the client out to the default user (Redis's
 * clientSetDefaultAuth): authenticated again only when that user needs no
 * password. Found by Redis's suite (`RESET clears authenticated state`). */
Test(auth, reset_returns_to_the_default_user)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "ACL SETUSER user1 on >pw +@all ~*"), "OK");
    expect_status(cmd(c, "AUTH user1 pw"), "OK");
    expect_str(cmd(c, "ACL WHOAMI"), "user1");
    expect_status(cmd(c, "RESET"), "RESET");
    expect_str(cmd(c, "ACL WHOAMI"), "default");
    /* With a password on the default user, RESET leaves the client logged out. */
    expect_status(cmd(c, "CONFIG SET requirepass %s", "s3cret"), "OK");
    expect_status(cmd(c, "AUTH user1 pw"), "OK");
    expect_status(cmd(c, "RESET"), "RESET");
    expect_err(cmd(c, "ACL WHOAMI"), "NOAUTH Authentication required.");
    expect_status(cmd(c, "AUTH s3cret"), "OK");
    expect_status(cmd(c, "CONFIG SET requirepass %s", ""), "OK");
    expect_int(cmd(c, "ACL DELUSER user1"), 1);
    redisFree(c);
}
