/*
 * test_connection.c - connection and server commands against a live server:
 * PING, ECHO, HELLO (RESP2 and RESP3), CLIENT, QUIT, RESET, COMMAND, INFO,
 * CONFIG, TIME, DEBUG, and the texts of generic errors (Redis 7.0 replies).
 *
 * RESP3 is checked on raw sessions (resp3.h) because Debian's hiredis 0.14
 * cannot parse RESP3; that also lets the tests see the exact wire type.
 * info_shards_section is shardis-only and skips on redis-server.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "client.h"
#include "resp3.h"
#include "server.h"

TestSuite(connection, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

static long long client_id(redisContext *c)
{
    redisReply *r = cmd(c, "CLIENT ID");
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer > 0, "CLIENT ID: %s", describe_reply(r));
    long long id = r->integer;
    freeReplyObject(r);
    return id;
}

/* The value of " key=value" in a CLIENT INFO / CLIENT LIST line. */
static bool client_field(const char *line, const char *key, char *out, size_t size)
{
    size_t key_len = strlen(key);
    for (const char *p = line; p != NULL && *p != '\0'; p = strchr(p, ' ')) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
            const char *value = p + key_len + 1;
            size_t len = strcspn(value, " \r\n");
            if (len >= size)
                len = size - 1;
            memcpy(out, value, len);
            out[len] = '\0';
            return true;
        }
    }
    return false;
}

static char *client_info(redisContext *c)
{
    redisReply *r = cmd(c, "CLIENT INFO");
    cr_assert(r->type == REDIS_REPLY_STRING, "CLIENT INFO: %s", describe_reply(r));
    char *line = strdup(r->str);
    freeReplyObject(r);
    return line;
}

/* Value of `key` in a RESP2 flat map reply (HELLO 2, COMMAND DOCS). Borrowed. */
static redisReply *flat_map_get(redisReply *map, const char *key)
{
    for (size_t i = 0; i + 1 < map->elements; i += 2)
        if (map->element[i]->type == REDIS_REPLY_STRING && strcmp(map->element[i]->str, key) == 0)
            return map->element[i + 1];
    return NULL;
}

Test(connection, ping_echo)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "PING"), "PONG");
    expect_str(cmd(c, "PING hello"), "hello");
    expect_bulk(cmd(c, "PING %b", "a\0b", (size_t)3), "a\0b", 3);
    expect_err(cmd(c, "PING a b"), "ERR wrong number of arguments for 'ping' command");
    expect_str(cmd(c, "ECHO hi"), "hi");
    expect_str(cmd(c, "ECHO %s", ""), "");
    expect_bulk(cmd(c, "ECHO %b", "\r\n\0x", (size_t)4), "\r\n\0x", 4);
    expect_err(cmd(c, "ECHO"), "ERR wrong number of arguments for 'echo' command");
    expect_err(cmd(c, "ECHO a b"), "ERR wrong number of arguments for 'echo' command");
    redisFree(c);
}

Test(connection, hello_resp2)
{
    redisContext *c = client_connect();
    long long id = client_id(c);
    const char *forms[] = {"HELLO", "HELLO 2"};
    for (int f = 0; f < 2; f++) {
        redisReply *r = expect_array(cmd(c, forms[f]), 14);
        const char *keys[] = {"server", "version", "proto", "id", "mode", "role", "modules"};
        for (int i = 0; i < 7; i++)
            assert_str(r->element[2 * i], keys[i]);
        assert_str(r->element[1], "redis");
        cr_assert(r->element[3]->type == REDIS_REPLY_STRING && strncmp(r->element[3]->str, "7.", 2) == 0,
                  "HELLO version: %s", describe_reply(r->element[3]));
        assert_int(r->element[5], 2);
        assert_int(r->element[7], id);
        assert_str(r->element[9], "standalone");
        assert_str(r->element[11], "master");
        assert_array_len(r->element[13], 0);
        freeReplyObject(r);
    }
    redisFree(c);
}

Test(connection, hello_setname_and_errors)
{
    redisContext *c = client_connect();
    redisReply *r = expect_array(cmd(c, "HELLO 2 SETNAME myconn"), 14);
    freeReplyObject(r);
    expect_str(cmd(c, "CLIENT GETNAME"), "myconn");
    expect_err(cmd(c, "HELLO 4"), "NOPROTO unsupported protocol version");
    expect_err(cmd(c, "HELLO 1"), "NOPROTO unsupported protocol version");
    expect_err(cmd(c, "HELLO abc"), "ERR Protocol version is not an integer or out of range");
    expect_err(cmd(c, "HELLO 2 foo"), "ERR Syntax error in HELLO option 'foo'");
    expect_err(cmd(c, "HELLO 2 SETNAME %s", "a b"),
               "ERR Client names cannot contain spaces, newlines or special characters.");
    expect_err(cmd(c, "HELLO 3 AUTH nosuchuser wrongpass"),
               "WRONGPASS invalid username-password pair or user is disabled.");
    /* The failed HELLOs changed nothing: still RESP2, same name. */
    expect_str(cmd(c, "CLIENT GETNAME"), "myconn");
    expect_nil(cmd(c, "GET missing"));
    redisFree(c);
}

Test(connection, hello_resp3_map)
{
    struct raw_session s;
    raw_session_open(&s, server_port());
    struct resp3 *id_reply = raw_call(&s, "CLIENT", "ID", NULL);
    cr_assert(id_reply->type == ':', "CLIENT ID: %s", resp3_describe(id_reply));

    struct resp3 *hello = raw_call(&s, "HELLO", "3", NULL);
    cr_assert(hello->type == '%' && hello->count == 7, "HELLO 3: expected a map of 7, got %s", resp3_describe(hello));
    cr_assert(resp3_is_text(resp3_map_get(hello, "server"), '$', "redis"), "%s", resp3_describe(hello));
    const struct resp3 *version = resp3_map_get(hello, "version");
    cr_assert(version != NULL && version->type == '$' && strncmp(version->str, "7.", 2) == 0, "%s",
              resp3_describe(hello));
    const struct resp3 *proto = resp3_map_get(hello, "proto");
    cr_assert(proto != NULL && proto->type == ':' && proto->integer == 3, "%s", resp3_describe(hello));
    const struct resp3 *id = resp3_map_get(hello, "id");
    cr_assert(id != NULL && id->type == ':' && id->integer == id_reply->integer, "%s", resp3_describe(hello));
    cr_assert(resp3_is_text(resp3_map_get(hello, "mode"), '$', "standalone"), "%s", resp3_describe(hello));
    cr_assert(resp3_is_text(resp3_map_get(hello, "role"), '$', "master"), "%s", resp3_describe(hello));
    const struct resp3 *modules = resp3_map_get(hello, "modules");
    cr_assert(modules != NULL && modules->type == '*' && modules->count == 0, "%s", resp3_describe(hello));
    resp3_free(hello);
    resp3_free(id_reply);

    /* HELLO without a version reports the current one. */
    hello = raw_call(&s, "HELLO", NULL);
    proto = resp3_map_get(hello, "proto");
    cr_assert(hello->type == '%' && proto != NULL && proto->integer == 3, "HELLO: %s", resp3_describe(hello));
    resp3_free(hello);
    raw_session_close(&s);
}

Test(connection, resp3_nulls_maps_and_bulk_floats)
{
    struct raw_session s;
    raw_session_open(&s, server_port());
    resp3_free(raw_call(&s, "HELLO", "3", NULL));

    struct resp3 *r = raw_call(&s, "GET", "missing", NULL);
    cr_assert(r->type == '_', "GET missing in RESP3: %s", resp3_describe(r));
    resp3_free(r);

    r = raw_call(&s, "SET", "a", "1", NULL);
    cr_assert(resp3_is_text(r, '+', "OK"), "SET: %s", resp3_describe(r));
    resp3_free(r);
    r = raw_call(&s, "MGET", "a", "missing", NULL);
    cr_assert(r->type == '*' && r->count == 2 && resp3_is_text(r->items[0], '$', "1") && r->items[1]->type == '_',
              "MGET: %s", resp3_describe(r));
    resp3_free(r);

    r = raw_call(&s, "SET", "fresh", "v", "GET", NULL);
    cr_assert(r->type == '_', "SET GET of a new key: %s", resp3_describe(r));
    resp3_free(r);

    /* INCRBYFLOAT replies with a bulk string, not a RESP3 double. */
    r = raw_call(&s, "INCRBYFLOAT", "f", "1.5", NULL);
    cr_assert(resp3_is_text(r, '$', "1.5"), "INCRBYFLOAT: %s", resp3_describe(r));
    resp3_free(r);

    r = raw_call(&s, "EXISTS", "a", NULL);
    cr_assert(r->type == ':' && r->integer == 1, "EXISTS: %s", resp3_describe(r));
    resp3_free(r);

    char port[16];
    snprintf(port, sizeof(port), "%d", server_port());
    r = raw_call(&s, "CONFIG", "GET", "port", NULL);
    cr_assert(r->type == '%' && r->count == 1 && resp3_is_text(r->items[0], '$', "port") &&
                  resp3_is_text(r->items[1], '$', port),
              "CONFIG GET port in RESP3: %s", resp3_describe(r));
    resp3_free(r);

    /* INFO is a verbatim string "txt:...". */
    r = raw_call(&s, "INFO", "keyspace", NULL);
    cr_assert(r->type == '=' && r->len > 4 && strncmp(r->str, "txt:# Keyspace\r\n", 16) == 0, "INFO: %s",
              resp3_describe(r));
    resp3_free(r);

    /* RESET goes back to RESP2: nulls are $-1 again. */
    r = raw_call(&s, "RESET", NULL);
    cr_assert(resp3_is_text(r, '+', "RESET"), "RESET: %s", resp3_describe(r));
    resp3_free(r);
    r = raw_call(&s, "GET", "missing", NULL);
    cr_assert(r->type == '$' && r->null, "GET missing after RESET: %s", resp3_describe(r));
    resp3_free(r);
    raw_session_close(&s);
}

Test(connection, client_id_setname_getname)
{
    redisContext *a = client_connect();
    redisContext *b = client_connect();
    long long id_a = client_id(a), id_b = client_id(b);
    cr_assert(id_a != id_b, "two connections share CLIENT ID %lld", id_a);
    expect_int(cmd(a, "CLIENT ID"), id_a);
    redisContext *c = client_connect();
    cr_assert(client_id(c) > id_b, "CLIENT ID does not grow with new connections");
    redisFree(c);

    expect_nil(cmd(a, "CLIENT GETNAME"));
    expect_status(cmd(a, "CLIENT SETNAME conn-a"), "OK");
    expect_str(cmd(a, "CLIENT GETNAME"), "conn-a");
    expect_nil(cmd(b, "CLIENT GETNAME"));
    expect_status(cmd(a, "CLIENT SETNAME %s", ""), "OK");
    expect_nil(cmd(a, "CLIENT GETNAME"));
    expect_err(cmd(a, "CLIENT SETNAME %s", "a b"),
               "ERR Client names cannot contain spaces, newlines or special characters.");
    expect_err(cmd(a, "CLIENT SETNAME %s", "a\nb"),
               "ERR Client names cannot contain spaces, newlines or special characters.");
    expect_err(cmd(a, "CLIENT SETNAME"), "ERR wrong number of arguments for 'client|setname' command");
    expect_err(cmd(a, "CLIENT GETNAME x"), "ERR wrong number of arguments for 'client|getname' command");
    expect_err(cmd(a, "CLIENT FOO"), "ERR unknown subcommand 'FOO'. Try CLIENT HELP.");
    redisFree(a);
    redisFree(b);
}

Test(connection, client_info_and_list)
{
    redisContext *a = client_connect();
    redisContext *b = client_connect();
    redisContext *c = client_connect();
    long long ids[3] = {client_id(a), client_id(b), client_id(c)};
    expect_status(cmd(a, "CLIENT SETNAME alpha"), "OK");
    expect_status(cmd(b, "SELECT 4"), "OK");

    char *info = client_info(a);
    char value[128], expected[32];
    cr_assert(info[strlen(info) - 1] == '\n', "CLIENT INFO does not end with a newline: %s", info);
    snprintf(expected, sizeof(expected), "%lld", ids[0]);
    cr_assert(client_field(info, "id", value, sizeof(value)) && strcmp(value, expected) == 0, "id in %s", info);
    cr_assert(client_field(info, "name", value, sizeof(value)) && strcmp(value, "alpha") == 0, "name in %s", info);
    cr_assert(client_field(info, "db", value, sizeof(value)) && strcmp(value, "0") == 0, "db in %s", info);
    cr_assert(client_field(info, "addr", value, sizeof(value)) && strncmp(value, "127.0.0.1:", 10) == 0, "addr in %s",
              info);
    snprintf(expected, sizeof(expected), "127.0.0.1:%d", server_port());
    cr_assert(client_field(info, "laddr", value, sizeof(value)) && strcmp(value, expected) == 0, "laddr in %s", info);
    cr_assert(client_field(info, "cmd", value, sizeof(value)) && strcmp(value, "client|info") == 0, "cmd in %s", info);
    cr_assert(client_field(info, "resp", value, sizeof(value)) && strcmp(value, "2") == 0, "resp in %s", info);
    free(info);
    info = client_info(b);
    cr_assert(client_field(info, "db", value, sizeof(value)) && strcmp(value, "4") == 0, "db in %s", info);
    cr_assert(client_field(info, "name", value, sizeof(value)) && strcmp(value, "") == 0, "name in %s", info);
    free(info);

    /* CLIENT LIST: one line per client, each of ours exactly once. */
    redisReply *r = cmd(c, "CLIENT LIST");
    cr_assert(r->type == REDIS_REPLY_STRING, "CLIENT LIST: %s", describe_reply(r));
    int found[3] = {0, 0, 0};
    for (char *line = r->str; line != NULL && *line != '\0';) {
        char *end = strchr(line, '\n');
        cr_assert(end != NULL, "CLIENT LIST line without newline: %s", line);
        *end = '\0';
        cr_assert(client_field(line, "id", value, sizeof(value)), "no id in %s", line);
        for (int i = 0; i < 3; i++)
            if (atoll(value) == ids[i])
                found[i]++;
        line = end + 1;
    }
    for (int i = 0; i < 3; i++)
        cr_assert_eq(found[i], 1, "client %lld appears %d times in CLIENT LIST", ids[i], found[i]);
    freeReplyObject(r);

    /* CLIENT LIST ID a b: exactly those two lines, in any order. */
    r = cmd(c, "CLIENT LIST ID %lld %lld", ids[0], ids[1]);
    cr_assert(r->type == REDIS_REPLY_STRING, "CLIENT LIST ID: %s", describe_reply(r));
    int lines = 0;
    for (const char *p = r->str; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 2, "CLIENT LIST ID with two ids: %s", r->str);
    cr_assert(strstr(r->str, "name=alpha ") != NULL, "CLIENT LIST ID: %s", r->str);
    freeReplyObject(r);
    expect_err(cmd(c, "CLIENT LIST ID abc"), "ERR Invalid client ID");
    redisFree(a);
    redisFree(b);
    redisFree(c);
}

Test(connection, client_kill_by_id)
{
    redisContext *a = client_connect();
    redisContext *b = client_connect();
    long long id_b = client_id(b);
    expect_int(cmd(a, "CLIENT KILL ID %lld", id_b), 1);
    redisReply *r = redisCommand(b, "PING");
    cr_assert(r == NULL, "the killed client still got %s", describe_reply(r));
    expect_int(cmd(a, "CLIENT KILL ID %lld", id_b), 0);
    expect_int(cmd(a, "CLIENT KILL ID 999999999"), 0);
    expect_err(cmd(a, "CLIENT KILL ID abc"), "ERR client-id should be greater than 0");
    expect_err(cmd(a, "CLIENT KILL ID 0"), "ERR client-id should be greater than 0");
    expect_err(cmd(a, "CLIENT KILL FOO bar"), "ERR syntax error");
    /* The killer is fine. */
    expect_status(cmd(a, "PING"), "PONG");
    redisFree(a);
    redisFree(b);
}

Test(connection, client_kill_by_addr)
{
    redisContext *a = client_connect();
    redisContext *b = client_connect();
    redisContext *c = client_connect();
    char addr_b[64], addr_c[64];
    char *info = client_info(b);
    cr_assert(client_field(info, "addr", addr_b, sizeof(addr_b)), "no addr in %s", info);
    free(info);
    info = client_info(c);
    cr_assert(client_field(info, "addr", addr_c, sizeof(addr_c)), "no addr in %s", info);
    free(info);

    expect_int(cmd(a, "CLIENT KILL ADDR %s", addr_b), 1);
    cr_assert(redisCommand(b, "PING") == NULL, "the client killed by ADDR still answers");
    /* The old form: CLIENT KILL ip:port. */
    expect_status(cmd(a, "CLIENT KILL %s", addr_c), "OK");
    cr_assert(redisCommand(c, "PING") == NULL, "the client killed by ip:port still answers");
    expect_err(cmd(a, "CLIENT KILL %s", addr_c), "ERR No such client");
    expect_int(cmd(a, "CLIENT KILL ADDR 1.2.3.4:5"), 0);
    expect_status(cmd(a, "PING"), "PONG");
    redisFree(a);
    redisFree(b);
    redisFree(c);
}

Test(connection, client_no_evict)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CLIENT NO-EVICT on"), "OK");
    expect_status(cmd(c, "CLIENT NO-EVICT OFF"), "OK");
    expect_err(cmd(c, "CLIENT NO-EVICT maybe"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT NO-EVICT"), "ERR wrong number of arguments for 'client|no-evict' command");
    redisFree(c);
}

Test(connection, quit)
{
    struct raw_reply r = raw_roundtrip(server_port(), "QUIT\r\n", 6);
    expect_raw(&r, "+OK\r\n");
    cr_assert(r.closed, "the server did not close the connection after QUIT");
    raw_reply_free(&r);

    /* Commands after QUIT in the same packet are not run. */
    const char after[] = "SET before 1\r\nQUIT\r\nSET after 1\r\n";
    r = raw_roundtrip(server_port(), after, sizeof(after) - 1);
    expect_raw(&r, "+OK\r\n+OK\r\n");
    cr_assert(r.closed, "the server did not close the connection after QUIT");
    raw_reply_free(&r);
    redisContext *c = client_connect();
    expect_int(cmd(c, "EXISTS before"), 1);
    expect_int(cmd(c, "EXISTS after"), 0);
    redisFree(c);
}

Test(connection, reset)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k db0"), "OK");
    expect_status(cmd(c, "SELECT 3"), "OK");
    expect_status(cmd(c, "SET k db3"), "OK");
    expect_status(cmd(c, "CLIENT SETNAME before-reset"), "OK");
    long long id = client_id(c);
    expect_status(cmd(c, "RESET"), "RESET");
    expect_nil(cmd(c, "CLIENT GETNAME"));
    expect_str(cmd(c, "GET k"), "db0");
    expect_int(cmd(c, "CLIENT ID"), id);
    expect_err(cmd(c, "RESET x"), "ERR wrong number of arguments for 'reset' command");
    redisFree(c);
}

Test(connection, command_count_info_docs_getkeys)
{
    redisContext *c = client_connect();
    redisReply *r = cmd(c, "COMMAND COUNT");
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer > 20, "COMMAND COUNT: %s", describe_reply(r));
    long long count = r->integer;
    freeReplyObject(r);
    /* COMMAND lists every top-level command once. */
    r = cmd(c, "COMMAND");
    cr_assert(r->type == REDIS_REPLY_ARRAY && (long long)r->elements == count, "COMMAND has %zu entries, COUNT %lld",
              r->elements, count);
    freeReplyObject(r);
    /* COMMAND LIST names subcommands too ("config|get"). */
    r = cmd(c, "COMMAND LIST");
    cr_assert(r->type == REDIS_REPLY_ARRAY && (long long)r->elements >= count,
              "COMMAND LIST has %zu entries, COUNT %lld", r->elements, count);
    freeReplyObject(r);

    /* COMMAND INFO get: name, arity, flags, first, last, step, ACL
     * categories, tips, key specs, subcommands. */
    r = expect_array(cmd(c, "COMMAND INFO get nosuchcommand"), 2);
    redisReply *get = assert_array_len(r->element[0], 10);
    assert_str(get->element[0], "get");
    assert_int(get->element[1], 2);
    redisReply *flags = assert_array_len(get->element[2], 2);
    assert_status(flags->element[0], "readonly");
    assert_status(flags->element[1], "fast");
    assert_int(get->element[3], 1);
    assert_int(get->element[4], 1);
    assert_int(get->element[5], 1);
    redisReply *categories = assert_array_len(get->element[6], 3);
    assert_status(categories->element[0], "@read");
    assert_status(categories->element[1], "@string");
    assert_status(categories->element[2], "@fast");
    assert_nil(r->element[1]);
    freeReplyObject(r);
    r = expect_array(cmd(c, "COMMAND INFO mset"), 1);
    redisReply *mset = assert_array_len(r->element[0], 10);
    assert_int(mset->element[1], -3);
    assert_int(mset->element[3], 1);
    assert_int(mset->element[4], -1);
    assert_int(mset->element[5], 2);
    freeReplyObject(r);

    r = expect_array(cmd(c, "COMMAND DOCS get"), 2);
    assert_str(r->element[0], "get");
    redisReply *docs = r->element[1];
    cr_assert(docs->type == REDIS_REPLY_ARRAY, "COMMAND DOCS get: %s", describe_reply(docs));
    redisReply *field = flat_map_get(docs, "summary");
    cr_assert(field != NULL, "no summary in %s", describe_reply(docs));
    assert_str(field, "Get the value of a key");
    cr_assert((field = flat_map_get(docs, "since")) != NULL);
    assert_str(field, "1.0.0");
    cr_assert((field = flat_map_get(docs, "group")) != NULL);
    assert_str(field, "string");
    cr_assert((field = flat_map_get(docs, "complexity")) != NULL);
    assert_str(field, "O(1)");
    freeReplyObject(r);
    expect_array_len(cmd(c, "COMMAND DOCS nosuchcommand"), 0);

    expect_strs(cmd(c, "COMMAND GETKEYS GET a"), 1, "a");
    expect_strs(cmd(c, "COMMAND GETKEYS MSET a 1 b 2 c 3"), 3, "a", "b", "c");
    expect_strs(cmd(c, "COMMAND GETKEYS RENAME x y"), 2, "x", "y");
    expect_strs(cmd(c, "COMMAND GETKEYS DEL a b c"), 3, "a", "b", "c");
    expect_err(cmd(c, "COMMAND GETKEYS PING x"), "ERR The command has no key arguments");
    expect_err(cmd(c, "COMMAND GETKEYS nosuchcommand x"), "ERR Invalid command specified");
    expect_err(cmd(c, "COMMAND GETKEYS GET a b"), "ERR Invalid number of arguments specified for command");
    expect_err(cmd(c, "COMMAND GETKEYS GET"), "ERR wrong number of arguments for 'command|getkeys' command");
    expect_err(cmd(c, "COMMAND FOO"), "ERR unknown subcommand 'FOO'. Try COMMAND HELP.");
    redisFree(c);
}

Test(connection, info_sections)
{
    redisContext *c = client_connect();
    char *info = info_text(c, NULL);
    const char *defaults[] = {"# Server", "# Clients", "# Memory", "# Stats", "# Errorstats", "# Keyspace"};
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        cr_assert(has_line(info, defaults[i]), "INFO lacks section %s", defaults[i]);
    cr_assert(!has_line(info, "# Commandstats"), "plain INFO includes commandstats (Redis leaves it out)");
    free(info);

    info = info_text(c, "server");
    char value[256], expected[32];
    cr_assert(has_line(info, "# Server"));
    cr_assert(!has_line(info, "# Clients"), "INFO server includes other sections");
    cr_assert(info_field(info, "redis_version", value, sizeof(value)) && strncmp(value, "7.", 2) == 0,
              "redis_version: %s", value);
    snprintf(expected, sizeof(expected), "%d", server_port());
    cr_assert(info_field(info, "tcp_port", value, sizeof(value)) && strcmp(value, expected) == 0, "tcp_port: %s",
              value);
    snprintf(expected, sizeof(expected), "%d", (int)server_current()->pid);
    cr_assert(info_field(info, "process_id", value, sizeof(value)) && strcmp(value, expected) == 0,
              "process_id: %s (server pid %s)", value, expected);
    free(info);

    info = info_text(c, "memory");
    cr_assert(info_field(info, "used_memory", value, sizeof(value)) && atoll(value) > 0, "used_memory: %s", value);
    free(info);

    /* Two connections of ours; the start-up probe may take a moment to go. */
    redisContext *other = client_connect();
    long long deadline = now_ms() + 5000;
    do {
        info = info_text(c, "clients");
        cr_assert(info_field(info, "connected_clients", value, sizeof(value)), "no connected_clients");
        free(info);
        if (strcmp(value, "2") == 0)
            break;
        sleep_ms(20);
    } while (now_ms() < deadline);
    cr_assert_str_eq(value, "2", "connected_clients");
    redisFree(other);
    redisFree(c);
}

Test(connection, info_keyspace_commandstats_errorstats)
{
    redisContext *c = client_connect();
    char *info = info_text(c, "keyspace");
    cr_assert(has_line(info, "# Keyspace"), "INFO keyspace: %s", info);
    cr_assert(strstr(info, "db0:") == NULL, "empty db0 listed: %s", info);
    free(info);

    expect_status(cmd(c, "SET a 1"), "OK");
    expect_status(cmd(c, "SET b 2"), "OK");
    expect_status(cmd(c, "SET c 3 EX 100"), "OK");
    expect_status(cmd(c, "SELECT 2"), "OK");
    fill_keys(c, "k:", 100);
    expect_status(cmd(c, "SELECT 0"), "OK");
    info = info_text(c, "keyspace");
    char value[256];
    cr_assert(info_field(info, "db0", value, sizeof(value)) && strncmp(value, "keys=3,expires=1,avg_ttl=", 25) == 0,
              "db0 in INFO keyspace: %s", info);
    cr_assert(info_field(info, "db2", value, sizeof(value)) && strncmp(value, "keys=100,expires=0,avg_ttl=", 27) == 0,
              "db2 in INFO keyspace: %s", info);
    free(info);

    info = info_text(c, "commandstats");
    cr_assert(has_line(info, "# Commandstats"), "INFO commandstats: %s", info);
    cr_assert(info_field(info, "cmdstat_set", value, sizeof(value)) && strncmp(value, "calls=103,", 10) == 0,
              "cmdstat_set: %s", value);
    cr_assert(info_field(info, "cmdstat_select", value, sizeof(value)) && strncmp(value, "calls=2,", 8) == 0,
              "cmdstat_select: %s", value);
    free(info);

    info = info_text(c, "errorstats");
    cr_assert(has_line(info, "# Errorstats"), "INFO errorstats: %s", info);
    cr_assert(strstr(info, "errorstat_") == NULL, "errors counted before any: %s", info);
    free(info);
    expect_err(cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    expect_err(cmd(c, "NOSUCHCOMMAND"), "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ");
    expect_err(cmd(c, "HELLO 9"), "NOPROTO unsupported protocol version");
    info = info_text(c, "errorstats");
    cr_assert(info_field(info, "errorstat_ERR", value, sizeof(value)) && strcmp(value, "count=2") == 0,
              "errorstat_ERR: %s", info);
    cr_assert(info_field(info, "errorstat_NOPROTO", value, sizeof(value)) && strcmp(value, "count=1") == 0,
              "errorstat_NOPROTO: %s", info);
    free(info);
    redisFree(c);
}

Test(connection, info_shards_section)
{
    redisContext *c = client_connect();
    if (server_is_redis())
        cr_skip_test("INFO shards is shardis-only");
    fill_keys(c, "k:", 100);
    expect_status(cmd(c, "SELECT 1"), "OK");
    fill_keys(c, "k:", 10);
    char *info = info_text(c, "shards");
    char value[256], field[32];
    cr_assert(has_line(info, "# Shards"), "INFO shards: %s", info);
    cr_assert(info_field(info, "shards", value, sizeof(value)) && atoi(value) == server_threads(),
              "shards: %s with --threads %d", value, server_threads());
    long long total = 0;
    int with_keys = 0;
    for (int i = 0; i < server_threads(); i++) {
        snprintf(field, sizeof(field), "shard%d", i);
        cr_assert(info_field(info, field, value, sizeof(value)), "INFO shards has no %s: %s", field, info);
        cr_assert(strncmp(value, "keys=", 5) == 0, "%s:%s", field, value);
        long long keys = atoll(value + 5);
        total += keys;
        with_keys += keys > 0;
    }
    cr_assert_eq(total, 110, "keys over all shards: %lld (110 expected): %s", total, info);
    if (server_threads() >= 2)
        cr_assert(with_keys >= 2, "100 keys all landed on one shard: %s", info);
    snprintf(field, sizeof(field), "shard%d", server_threads());
    cr_assert(!info_field(info, field, value, sizeof(value)), "more shard lines than threads: %s", info);
    free(info);
    /* Plain INFO includes it too (shardis adds it to the default set). */
    info = info_text(c, NULL);
    cr_assert(has_line(info, "# Shards"), "plain INFO lacks # Shards");
    free(info);
    redisFree(c);
}

Test(connection, config_get_set)
{
    redisContext *c = client_connect();
    char port[16];
    snprintf(port, sizeof(port), "%d", server_port());
    expect_strs(cmd(c, "CONFIG GET port"), 2, "port", port);
    expect_strs(cmd(c, "CONFIG GET bind"), 2, "bind", "127.0.0.1");
    expect_array_len(cmd(c, "CONFIG GET nosuchparameter"), 0);

    redisReply *r = cmd(c, "CONFIG GET *");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements >= 20 && r->elements % 2 == 0, "CONFIG GET *: %s",
              describe_reply(r));
    bool found_port = false;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        cr_assert(r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING);
        if (strcmp(r->element[i]->str, "port") == 0) {
            assert_str(r->element[i + 1], port);
            found_port = true;
        }
    }
    cr_assert(found_port, "CONFIG GET * lacks port");
    freeReplyObject(r);

    expect_err(cmd(c, "CONFIG SET nosuchparameter 1"),
               "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparameter'");
    expect_err(cmd(c, "CONFIG SET port"), "ERR wrong number of arguments for 'config|set' command");
    expect_err(cmd(c, "CONFIG GET"), "ERR wrong number of arguments for 'config|get' command");
    expect_err(cmd(c, "CONFIG FOO"), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
    redisFree(c);
}

Test(connection, time_and_debug_sleep)
{
    redisContext *c = client_connect();
    redisReply *r = expect_array(cmd(c, "TIME"), 2);
    cr_assert(r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING, "TIME: %s",
              describe_reply(r));
    long long seconds = atoll(r->element[0]->str);
    long long micros = atoll(r->element[1]->str);
    long long local = unix_time_ms() / 1000;
    cr_assert(seconds >= local - 5 && seconds <= local + 5, "TIME %lld vs local %lld", seconds, local);
    cr_assert(micros >= 0 && micros < 1000000, "TIME microseconds %lld", micros);
    freeReplyObject(r);
    expect_err(cmd(c, "TIME x"), "ERR wrong number of arguments for 'time' command");
    expect_status(cmd(c, "DEBUG SLEEP 0"), "OK");
    redisFree(c);
}

Test(connection, unknown_command_and_arity_errors)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "foo a b"), "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
    expect_err(cmd(c, "foo"), "ERR unknown command 'foo', with args beginning with: ");
    expect_err(cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    expect_err(cmd(c, "GeT a b"), "ERR wrong number of arguments for 'get' command");
    expect_err(cmd(c, "SET a"), "ERR wrong number of arguments for 'set' command");
    expect_err(cmd(c, "CONFIG"), "ERR wrong number of arguments for 'config' command");
    expect_err(cmd(c, "CLIENT KILL"), "ERR wrong number of arguments for 'client|kill' command");
    /* The connection keeps working. */
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}
