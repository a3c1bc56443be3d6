/*
 * test_lua_vm.c - the scripting core without a server: conversions both
 * ways, Redis's error texts, the sandbox, shebang flags, the memory bound
 * and the kill hook (core/script/lua_vm.c, core/script/lua_convert.c). The
 * host answers redis.call with canned RESP: argv[1] of a "reply" call is
 * the raw reply.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/script/lua_vm.h"

static int ticks_to_kill;

static void host_call(void *host, int argc, const struct arg *argv, int resp, struct buf *out)
{
    (void)host;
    if (argv[0].len == 5 && memcmp(argv[0].ptr, "reply", 5) == 0 && argc == 2) {
        buf_append(out, argv[1].ptr, argv[1].len);
        return;
    }
    if (argv[0].len == 4 && memcmp(argv[0].ptr, "resp", 4) == 0) {
        reply_integer(out, resp);
        return;
    }
    if (argv[0].len == 4 && memcmp(argv[0].ptr, "echo", 4) == 0 && argc == 2) {
        reply_bulk(out, argv[1].ptr, argv[1].len);
        return;
    }
    reply_error(out, "ERR Unknown Redis command called from script");
}

static int host_tick(void *host)
{
    (void)host;
    return ticks_to_kill > 0 && --ticks_to_kill == 0;
}

static const struct lua_host_ops ops = {.call = host_call, .tick = host_tick};

/* Runs body with no keys; returns the RESP reply (static buffer). */
static const char *run3(struct lua_vm *vm, const char *body, int caller_resp)
{
    static struct buf out;
    buf_reset(&out);
    char sha[41], err[512];
    lua_sha1hex(body, strlen(body), sha);
    if (lua_vm_define(vm, sha, body, strlen(body), err, sizeof(err)) < 0) {
        buf_append_str(&out, "-");
        buf_append_str(&out, err);
        buf_append_byte(&out, '\0');
        return out.data;
    }
    lua_vm_run(vm, sha, 0, NULL, 0, NULL, caller_resp, &out);
    buf_append_byte(&out, '\0');
    return out.data;
}

static const char *run(struct lua_vm *vm, const char *body)
{
    return run3(vm, body, 2);
}

static struct lua_vm *vm;
static void setup(void)
{
    vm = lua_vm_new(64 << 20, &ops, NULL);
}
static void teardown(void)
{
    lua_vm_free(vm);
}

TestSuite(lua_vm, .init = setup, .fini = teardown);

Test(lua_vm, lua_to_resp)
{
    cr_assert_str_eq(run(vm, "return 'x'"), "$1\r\nx\r\n");
    cr_assert_str_eq(run(vm, "return 3.99"), ":3\r\n");
    cr_assert_str_eq(run(vm, "return -3.99"), ":-3\r\n");
    cr_assert_str_eq(run(vm, "return true"), ":1\r\n");
    cr_assert_str_eq(run(vm, "return false"), "$-1\r\n");
    cr_assert_str_eq(run3(vm, "return false", 3), "_\r\n");
    cr_assert_str_eq(run(vm, "return nil"), "$-1\r\n");
    cr_assert_str_eq(run(vm, "return {1,2,{3,'a'},nil,5}"), "*3\r\n:1\r\n:2\r\n*2\r\n:3\r\n$1\r\na\r\n");
    cr_assert_str_eq(run(vm, "return {}"), "*0\r\n");
    cr_assert_str_eq(run(vm, "return {err='My Error'}"), "-My Error\r\n");
    cr_assert_str_eq(run(vm, "return redis.error_reply('My Error')"), "-My Error\r\n");
    cr_assert_str_eq(run(vm, "return redis.error_reply('Foo')"), "-ERR Foo\r\n");
    cr_assert_str_eq(run(vm, "return redis.status_reply('FINE')"), "+FINE\r\n");
    cr_assert_str_eq(run(vm, "return {ok='a\\nb'}"), "+a b\r\n");
    cr_assert_str_eq(run3(vm, "redis.setresp(3); return true", 3), "#t\r\n");
    cr_assert_str_eq(run3(vm, "redis.setresp(3); return {double=3.5}", 3), ",3.5\r\n");
    cr_assert_str_eq(run3(vm, "redis.setresp(3); return {map={a=1}}", 3), "%1\r\n$1\r\na\r\n:1\r\n");
    cr_assert_str_eq(run3(vm, "redis.setresp(3); return {set={a=true}}", 2), "*1\r\n$1\r\na\r\n");
    cr_assert_str_eq(run3(vm, "redis.setresp(3); return {big_number='123'}", 3), "(123\r\n");
}

Test(lua_vm, resp_to_lua)
{
    cr_assert_str_eq(run(vm, "return redis.call('reply', ':42\\r\\n') + 1"), ":43\r\n");
    cr_assert_str_eq(run(vm, "return type(redis.call('reply', '$-1\\r\\n'))"), "$7\r\nboolean\r\n");
    cr_assert_str_eq(run(vm, "return type(redis.call('reply', '*-1\\r\\n'))"), "$7\r\nboolean\r\n");
    cr_assert_str_eq(run(vm, "return redis.call('reply', '+OK\\r\\n').ok"), "$2\r\nOK\r\n");
    cr_assert_str_eq(run(vm, "return redis.call('reply', '*2\\r\\n$1\\r\\na\\r\\n:1\\r\\n')[1]"), "$1\r\na\r\n");
    cr_assert_str_eq(run(vm, "return redis.pcall('reply', '-WRONGTYPE bad\\r\\n').err"), "$13\r\nWRONGTYPE bad\r\n");
    cr_assert_str_eq(run(vm, "return type(redis.call('reply', '_\\r\\n'))"), "$3\r\nnil\r\n");
    cr_assert_str_eq(run(vm, "return redis.call('reply', '%1\\r\\n$1\\r\\nk\\r\\n$1\\r\\nv\\r\\n').map.k"),
                     "$1\r\nv\r\n");
    cr_assert_str_eq(run(vm, "return tostring(redis.call('reply', '~1\\r\\n$1\\r\\nm\\r\\n').set.m)"),
                     "$4\r\ntrue\r\n");
    cr_assert_str_eq(run(vm, "return redis.call('reply', ',1.5\\r\\n').double * 2"), ":3\r\n");
    cr_assert_str_eq(run(vm, "return redis.call('reply', '(12345678901234567890\\r\\n').big_number"),
                     "$20\r\n12345678901234567890\r\n");
    cr_assert_str_eq(run(vm, "return tostring(redis.call('reply', '#f\\r\\n'))"), "$5\r\nfalse\r\n");
    /* numbers as arguments: integers without a fraction */
    cr_assert_str_eq(run(vm, "return redis.call('echo', 10)"), "$2\r\n10\r\n");
    cr_assert_str_eq(run(vm, "return redis.call('echo', 1.5)"), "$3\r\n1.5\r\n");
    cr_assert_str_eq(run(vm, "return redis.call('resp')"), ":2\r\n");
    cr_assert_str_eq(run(vm, "redis.setresp(3) return redis.call('resp')"), ":3\r\n");
}

Test(lua_vm, error_texts)
{
    char sha[41];
    const char *body = "return redis.call('reply', '-ERR value is not an integer or out of range\\r\\n')";
    lua_sha1hex(body, strlen(body), sha);
    char want[300];
    snprintf(want, sizeof(want), "-ERR value is not an integer or out of range script: %s, on @user_script:1.\r\n",
             sha);
    cr_assert_str_eq(run(vm, body), want);
    const char *r = run(vm, "return a");
    cr_assert(strstr(r, "-ERR user_script:1: Script attempted to access nonexistent global variable 'a' script: ") ==
              r);
    r = run(vm, "error('boom')");
    cr_assert(strstr(r, "-ERR user_script:1: boom script: ") == r, "%s", r);
    r = run(vm, "return redis.call('nosuch')");
    cr_assert(strstr(r, "-ERR Unknown Redis command called from script script: ") == r, "%s", r);
    r = run(vm, "return redis.call()");
    cr_assert(strstr(r, "-ERR Please specify at least one argument for this redis lib call script:") == r, "%s", r);
    r = run(vm, "return redis.call('echo', {})");
    cr_assert(strstr(r, "-ERR Lua redis lib command arguments must be strings or integers script:") == r, "%s", r);
    r = run(vm, "return redis.setresp(4)");
    cr_assert(strstr(r, "-ERR RESP version must be 2 or 3. script:") == r, "%s", r);
    r = run(vm, "return 'unterminated");
    cr_assert(strstr(r, "-ERR Error compiling script (new function): user_script:1:") == r, "%s", r);
    cr_assert_str_eq(run(vm, "return redis.sha1hex('')"), "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
    cr_assert_str_eq(run(vm, "return redis.REDIS_VERSION"), "$6\r\n7.0.15\r\n");
    cr_assert_str_eq(run(vm, "return redis.REDIS_VERSION_NUM"), ":458767\r\n");
}

Test(lua_vm, sandbox)
{
    static const char *const forbidden[] = {"os",      "io",    "debug",   "loadfile", "dofile",
                                            "require", "print", "package", "module"};
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        char body[100], want[150];
        snprintf(body, sizeof(body), "return tostring(%s)", forbidden[i]);
        snprintf(want, sizeof(want), "-ERR user_script:1: Script attempted to access nonexistent global variable '%s'",
                 forbidden[i]);
        const char *r = run(vm, body);
        cr_assert(strstr(r, want) == r, "%s: %s", forbidden[i], r);
    }
    const char *r = run(vm, "x = 1");
    cr_assert(strstr(r, "-ERR user_script:1: Attempt to modify a readonly table") == r, "%s", r);
    r = run(vm, "string.foo = 1");
    cr_assert(strstr(r, "-ERR user_script:1: Attempt to modify a readonly table") == r, "%s", r);
    r = run(vm, "redis.call = function() end");
    cr_assert(strstr(r, "Attempt to modify a readonly table") != NULL, "%s", r);
    r = run(vm, "setmetatable(_G, {})");
    cr_assert(r[0] == '-', "%s", r);
    r = run(vm, "setmetatable(string, {})");
    cr_assert(r[0] == '-', "%s", r);
    /* rawset leaves nothing for the next script */
    run(vm, "rawset(_G, 'leak', 1)");
    r = run(vm, "return leak");
    cr_assert(strstr(r, "nonexistent global variable 'leak'") != NULL, "%s", r);
    /* binary chunks refused */
    cr_assert_str_eq(
        run(vm, "local f, e = loadstring(string.dump(function() return 1 end)); return {type(f), e ~= nil}"),
        "*2\r\n$3\r\nnil\r\n:1\r\n");
    cr_assert_str_eq(run(vm, "return loadstring('return 5')()"), ":5\r\n");
    /* libraries */
    cr_assert_str_eq(run(vm, "return cjson.encode({1,2})"), "$5\r\n[1,2]\r\n");
    cr_assert_str_eq(run(vm, "return cjson.decode('{\"a\":7}').a"), ":7\r\n");
    cr_assert_str_eq(run(vm, "return bit.band(6, 3)"), ":2\r\n");
    cr_assert_str_eq(run(vm, "return ('ab'):rep(2)"), "$4\r\nabab\r\n");
    cr_assert_str_eq(run(vm, "return KEYS[1] == nil and #ARGV == 0"), ":1\r\n");
}

Test(lua_vm, random_as_redis)
{
    /* Redis 7.0.15 on a fresh server: math.random() then math.random(100)
     * gives 85; after math.randomseed(42), math.random(1000) gives 745. */
    run(vm, "return math.random()");
    cr_assert_str_eq(run(vm, "return math.random(100)"), ":85\r\n");
    cr_assert_str_eq(run(vm, "math.randomseed(42); return math.random(1000)"), ":745\r\n");
}

Test(lua_vm, shebang)
{
    int flags;
    size_t skip;
    char err[200];
    cr_assert_eq(lua_script_flags("return 1", 8, &flags, &skip, err, sizeof(err)), 0);
    cr_assert_eq(flags, SCRIPT_FLAG_EVAL_COMPAT);
    const char *b = "#!lua flags=no-writes,allow-oom\nreturn 1";
    cr_assert_eq(lua_script_flags(b, strlen(b), &flags, &skip, err, sizeof(err)), 0);
    cr_assert_eq(flags, SCRIPT_FLAG_NO_WRITES | SCRIPT_FLAG_ALLOW_OOM);
    cr_assert_eq(skip, 31);
    b = "#!lua flags=foo\nreturn 1";
    cr_assert_eq(lua_script_flags(b, strlen(b), &flags, &skip, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "ERR Unexpected flag in script shebang: foo");
    b = "#!python\nreturn 1";
    cr_assert_eq(lua_script_flags(b, strlen(b), &flags, &skip, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "ERR Unexpected engine in script shebang: #!python");
    cr_assert_eq(lua_script_flags("#!lua", 5, &flags, &skip, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "ERR Invalid script shebang");
    b = "#!lua xx\nreturn 1";
    cr_assert_eq(lua_script_flags(b, strlen(b), &flags, &skip, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "ERR Unknown lua shebang option: xx");
    /* the line number survives the shebang */
    const char *r = run(vm, "#!lua\nerror('x')");
    cr_assert(strstr(r, "-ERR user_script:2: x") == r, "%s", r);
}

Test(lua_vm, memory_bound_and_kill)
{
    lua_vm_set_mem_limit(vm, 8 << 20);
    const char *r = run(vm, "return string.rep('x', 100*1024*1024)");
    cr_assert(r[0] == '-' && strstr(r, "not enough memory"), "%s", r);
    r = run(vm, "local t = {} for i=1,1e8 do t[i] = i end return 1");
    cr_assert(r[0] == '-' && strstr(r, "not enough memory"), "%s", r);
    cr_assert_str_eq(run(vm, "return 1"), ":1\r\n"); /* still works */
    ticks_to_kill = 3;
    r = run(vm, "while true do pcall(function() while true do end end) end");
    cr_assert(strstr(r, "-ERR Script killed by user with SCRIPT KILL...") == r, "%s", r);
    cr_assert_str_eq(run(vm, "return 2"), ":2\r\n");
}

static int registered;
static void on_registered(void *arg, const char *name, int flags, const char *desc)
{
    (void)arg;
    (void)desc;
    if (!strcmp(name, "Echo"))
        cr_assert_eq(flags, SCRIPT_FLAG_NO_WRITES);
    registered++;
}

Test(lua_vm, function_libraries)
{
    char err[512];
    const char *lib = "#!lua name=lib\n"
                      "redis.register_function{function_name='Echo', callback=function(keys, args) return args[1] .. "
                      "#keys end, flags={'no-writes'}}\n"
                      "redis.register_function('two', function(keys, args) return redis.call('echo', keys[1]) end)";
    registered = 0;
    cr_assert_eq(lua_vm_load_library(vm, lib, strlen(lib), 15, on_registered, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(registered, 2);
    cr_assert(lua_vm_has_function(vm, "echo")); /* names are case-insensitive: kept in lower case */
    struct buf out = {0};
    struct arg keys[1] = {{"k", 1}}, args[1] = {{"hi", 2}};
    lua_vm_run_function(vm, "echo", 1, keys, 1, args, 2, &out);
    buf_append_byte(&out, '\0');
    cr_assert_str_eq(out.data, "$3\r\nhi1\r\n");
    buf_reset(&out);
    lua_vm_run_function(vm, "two", 1, keys, 0, NULL, 2, &out);
    buf_append_byte(&out, '\0');
    cr_assert_str_eq(out.data, "$1\r\nk\r\n");
    buf_free(&out);
    /* the load-time environment has only redis.register_function/log */
    const char *bad = "#!lua name=bad\nlocal x = math.random()";
    cr_assert_eq(lua_vm_load_library(vm, bad, strlen(bad), 14, on_registered, NULL, err, sizeof(err)), -1);
    cr_assert(strstr(err, "ERR Error registering functions: user_function:2: Script attempted to access nonexistent "
                          "global variable 'math'"),
              "%s", err);
    const char *none = "#!lua name=none\nlocal x = 1";
    cr_assert_eq(lua_vm_load_library(vm, none, strlen(none), 15, on_registered, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "ERR No functions registered");
    /* scripts see globals again, and no register_function */
    cr_assert_str_eq(run(vm, "return type(math.random) .. type(redis.register_function)"), "$11\r\nfunctionnil\r\n");
    lua_vm_forget_functions(vm);
    cr_assert(!lua_vm_has_function(vm, "echo"));
}
