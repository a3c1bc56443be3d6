/*
 * lua_vm.c - the sandboxed Lua interpreter of one shard thread (API and
 * rules in lua_vm.h).
 *
 * The sandbox: every library and builtin lives in a private table `real`;
 * scripts see a proxy as their globals whose metatable reads through to
 * `real`, raises "Script attempted to access nonexistent global variable"
 * for a name that is not there and "Attempt to modify a readonly table" for
 * any write, and is protected (__metatable) so a script can neither replace
 * nor remove it. The library tables (string, math, table, cjson, bit, redis,
 * coroutine) are proxies of the same kind. A rawset on the global proxy is
 * wiped after each run, so no script leaves a global behind for the next.
 *
 * Thread: the vm's owner thread only. Ownership: the vm owns its lua_State;
 * compiled scripts are functions in the registry under "f_<sha>".
 */
#include "core/script/lua_vm.h"

#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/script/lua_convert.h"

#define REDIS_VERSION_STR "7.0.15"
#define REDIS_VERSION_NUM_VAL 0x0007000f
#define HOOK_EVERY 10000 /* instructions between two `tick` calls */
#define MAX_CALL_ARGS_STACK 16

struct lua_vm {
    lua_State *L;
    const struct lua_host_ops *ops;
    void *host;
    size_t used, limit; /* limit: enforced only while a script runs (0: none) */
    size_t max;         /* the configured bound */
    uint64_t rand48;    /* math.random's state: Redis's rand48 generator */
    int resp;           /* redis.setresp of the running script */
    int running;
    int killed;
    int gc_runs;
    int loading;              /* FUNCTION LOAD: redis.register_function works */
    int64_t load_deadline_ms; /* a library that runs longer fails (FUNCTION LOAD timeout) */
    lua_fn_registered *register_cb;
    void *register_arg;
    struct buf reply; /* redis.call's reply, reused */
};

/* ---------------- memory ---------------- */

static void *vm_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct lua_vm *vm = ud;
    if (nsize == 0) {
        free(ptr);
        vm->used -= osize;
        return NULL;
    }
    if (nsize > osize && vm->limit && vm->used - osize + nsize > vm->limit)
        return NULL; /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (p)
        vm->used = vm->used - osize + nsize;
    return p;
}

size_t lua_vm_memory(const struct lua_vm *vm)
{
    return vm->used;
}

void lua_vm_set_mem_limit(struct lua_vm *vm, size_t limit)
{
    vm->max = limit;
}

static struct lua_vm *vm_of(lua_State *L)
{
    return (struct lua_vm *)lua_touserdata(L, lua_upvalueindex(1));
}

/* ---------------- SHA1 ---------------- */

void lua_sha1hex(const void *p, size_t len, char hex[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(p, len, md, &n, EVP_sha1(), NULL);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 20; i++) {
        hex[i * 2] = digits[md[i] >> 4];
        hex[i * 2 + 1] = digits[md[i] & 15];
    }
    hex[40] = '\0';
}

/* ---------------- shebang ---------------- */

int lua_script_flags(const char *body, size_t len, int *flags, size_t *skip, char *err, size_t errlen)
{
    *flags = SCRIPT_FLAG_EVAL_COMPAT;
    *skip = 0;
    if (len < 2 || body[0] != '#' || body[1] != '!')
        return 0;
    const char *nl = memchr(body, '\n', len);
    if (!nl) {
        snprintf(err, errlen, "ERR Invalid script shebang");
        return -1;
    }
    *skip = (size_t)(nl - body);
    /* words separated by spaces */
    const char *p = body, *end = nl;
    int word = 0;
    *flags = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= end)
            break;
        const char *w = p;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        size_t wl = (size_t)(p - w);
        if (word++ == 0) {
            if (wl != 5 || memcmp(w, "#!lua", 5) != 0) {
                snprintf(err, errlen, "ERR Unexpected engine in script shebang: %.*s", (int)(wl > 100 ? 100 : wl), w);
                return -1;
            }
            continue;
        }
        if (wl >= 6 && memcmp(w, "flags=", 6) == 0) {
            const char *f = w + 6;
            while (f < p) {
                const char *c = memchr(f, ',', (size_t)(p - f));
                const char *fe = c ? c : p;
                size_t fl = (size_t)(fe - f);
                static const struct {
                    const char *name;
                    int flag;
                } names[] = {{"no-writes", SCRIPT_FLAG_NO_WRITES},
                             {"allow-oom", SCRIPT_FLAG_ALLOW_OOM},
                             {"allow-stale", SCRIPT_FLAG_ALLOW_STALE},
                             {"no-cluster", SCRIPT_FLAG_NO_CLUSTER},
                             {"allow-cross-slot-keys", SCRIPT_FLAG_ALLOW_CROSS_SLOT}};
                int found = 0;
                for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                    if (strlen(names[i].name) == fl && memcmp(names[i].name, f, fl) == 0) {
                        *flags |= names[i].flag;
                        found = 1;
                    }
                if (!found) {
                    snprintf(err, errlen, "ERR Unexpected flag in script shebang: %.*s", (int)(fl > 100 ? 100 : fl), f);
                    return -1;
                }
                f = c ? c + 1 : p;
            }
            continue;
        }
        snprintf(err, errlen, "ERR Unknown lua shebang option: %.*s", (int)(wl > 100 ? 100 : wl), w);
        return -1;
    }
    if (word == 0) {
        snprintf(err, errlen, "ERR Invalid engine in script shebang");
        return -1;
    }
    return 0;
}

/* ---------------- the sandbox ---------------- */

static int global_index(lua_State *L)
{
    /* upvalue 1: the table read through (for the globals: a one-slot table
     * whose [1] is the current globals, swapped while a library loads) */
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isnil(L, -1))
        return 1;
    const char *name = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name ? name : "?");
}

static int switched_global_index(lua_State *L)
{
    lua_rawgeti(L, lua_upvalueindex(1), 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    if (!lua_isnil(L, -1))
        return 1;
    const char *name = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name ? name : "?");
}

static int readonly_newindex(lua_State *L)
{
    return luaL_error(L, "Attempt to modify a readonly table");
}

/* Pushes a read-only proxy of the table at index idx: reads go to it
 * (with index_fn, or plainly when 0), writes fail. */
static void push_proxy(lua_State *L, int idx, int strict)
{
    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    lua_newtable(L);   /* proxy */
    lua_newtable(L);   /* metatable */
    if (strict == 2) { /* idx is the switch table */
        lua_pushvalue(L, idx);
        lua_pushcclosure(L, switched_global_index, 1);
    } else if (strict) {
        lua_pushvalue(L, idx);
        lua_pushcclosure(L, global_index, 1);
    } else {
        lua_pushvalue(L, idx);
    }
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__shardis_readonly");
    /* getmetatable() gives a read-only view of the metatable */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__shardis_readonly");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* setmetatable that refuses the read-only tables (their metatable carries
 * __shardis_readonly), as Redis's readonly tables do. */
static int safe_setmetatable(lua_State *L)
{
    if (lua_istable(L, 1) && lua_getmetatable(L, 1)) {
        lua_getfield(L, -1, "__shardis_readonly");
        int ro = lua_toboolean(L, -1);
        lua_pop(L, 2);
        if (ro)
            return luaL_error(L, "Attempt to modify a readonly table");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* loadstring that refuses precompiled chunks (they can break the VM). */
static int safe_loadstring(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, s);
    if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
        lua_pushnil(L);
        char first[40];
        size_t n = 0;
        while (n < sizeof(first) - 1 && n < len && s[n] != '\n' && s[n] != '\r')
            first[n] = s[n], n++;
        first[n] = '\0';
        lua_pushfstring(L, "[string \"%s\"]:1: unexpected symbol near 'char(27)'", first);
        return 2;
    }
    if (luaL_loadbuffer(L, s, len, name) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    return 1;
}

/* ---------------- math.random (Redis's rand48) ---------------- */

static int32_t rand48_next(struct lua_vm *vm)
{
    vm->rand48 = (vm->rand48 * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
    return (int32_t)(vm->rand48 >> 17);
}

static int math_random(lua_State *L)
{
    struct lua_vm *vm = vm_of(L);
    float r = (float)(rand48_next(vm) % INT32_MAX) / (float)INT32_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, floor(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1);
        int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int math_randomseed(lua_State *L)
{
    struct lua_vm *vm = vm_of(L);
    vm->rand48 = ((uint64_t)(uint32_t)luaL_checkint(L, 1) << 16) | 0x330E;
    return 0;
}

/* ---------------- the redis table ---------------- */

/* Pushes {err=msg} for msg given as Redis's internal texts ("msg" or
 * "-CODE msg") and raises it when raise is set. */
static int push_error(lua_State *L, const char *msg, int raise)
{
    lua_push_error_table(L, msg, strlen(msg));
    if (raise)
        return lua_error(L);
    return 1;
}

/* A number argument as Redis formats it: the shortest text that reads back
 * the same double. */
static size_t format_number(lua_Number n, char *out, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, (double)n);
        if (strtod(out, NULL) == (double)n)
            break;
    }
    return strlen(out);
}

static int redis_generic_call(lua_State *L, int raise)
{
    struct lua_vm *vm = vm_of(L);
    int argc = lua_gettop(L);
    if (!vm->running)
        return push_error(L, "redis.call/pcall can only be called inside a script invocation", 1);
    if (vm->killed)
        return push_error(L, LUA_VM_KILLED_ERROR, 1);
    if (argc == 0)
        return push_error(L, "Please specify at least one argument for this redis lib call", raise);
    struct arg small[MAX_CALL_ARGS_STACK];
    struct arg *argv = argc <= MAX_CALL_ARGS_STACK ? small : malloc(sizeof(struct arg) * (size_t)argc);
    char(*nums)[32] = NULL;
    for (int j = 0; j < argc; j++) {
        int t = lua_type(L, j + 1);
        if (t == LUA_TNUMBER) {
            if (!nums)
                nums = malloc(sizeof(*nums) * (size_t)argc);
            argv[j].len = format_number(lua_tonumber(L, j + 1), nums[j], sizeof(nums[j]));
            argv[j].ptr = nums[j];
        } else if (t == LUA_TSTRING) {
            argv[j].ptr = lua_tolstring(L, j + 1, &argv[j].len);
        } else {
            if (argv != small)
                free(argv);
            free(nums);
            return push_error(L, "Lua redis lib command arguments must be strings or integers", raise);
        }
    }
    buf_reset(&vm->reply);
    vm->ops->call(vm->host, argc, argv, vm->resp, &vm->reply);
    if (argv != small)
        free(argv);
    free(nums);
    lua_settop(L, 0); /* the arguments are no longer needed: room for the reply (unpack of 8000 values) */
    if (vm->reply.len && vm->reply.data[0] == '-') {
        lua_push_error_table(L, vm->reply.data, vm->reply.len);
        if (raise)
            return lua_error(L);
        return 1;
    }
    if (!lua_push_resp(L, vm->reply.data, vm->reply.len))
        return push_error(L, "reached lua stack limit", raise);
    return 1;
}

static int redis_call(lua_State *L)
{
    return redis_generic_call(L, 1);
}

static int redis_pcall(lua_State *L)
{
    return redis_generic_call(L, 0);
}

static int redis_error_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING)
        return push_error(L, "wrong number or type of arguments", 1);
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (len && s[0] == '-') {
        lua_push_error_table(L, s, len);
    } else {
        char *tmp = malloc(len + 2);
        tmp[0] = '-';
        memcpy(tmp + 1, s, len);
        lua_push_error_table(L, tmp, len + 1);
        free(tmp);
    }
    return 1;
}

static int redis_status_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING)
        return push_error(L, "wrong number or type of arguments", 1);
    lua_newtable(L);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "ok");
    return 1;
}

static int redis_sha1hex(lua_State *L)
{
    if (lua_gettop(L) != 1)
        return push_error(L, "wrong number of arguments", 1);
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    char hex[41];
    lua_sha1hex(s ? s : "", s ? len : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int redis_log(lua_State *L)
{
    struct lua_vm *vm = vm_of(L);
    int argc = lua_gettop(L);
    if (argc < 2)
        return push_error(L, "redis.log() requires two arguments or more.", 1);
    if (!lua_isnumber(L, 1))
        return push_error(L, "First argument must be a number (log level).", 1);
    int level = (int)lua_tonumber(L, 1);
    if (level < 0 || level > 3)
        return push_error(L, "Invalid debug level.", 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int j = 2; j <= argc; j++) {
        size_t len;
        const char *s = lua_tolstring(L, j, &len);
        if (s) {
            if (j > 2)
                luaL_addchar(&b, ' ');
            luaL_addlstring(&b, s, len);
        }
    }
    luaL_pushresult(&b);
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    if (vm->ops->log)
        vm->ops->log(vm->host, level, msg, len);
    return 0;
}

static int redis_setresp(lua_State *L)
{
    struct lua_vm *vm = vm_of(L);
    if (!vm->running)
        return push_error(L, "redis.setresp can only be called inside a script invocation", 1);
    if (lua_gettop(L) != 1)
        return push_error(L, "redis.setresp() requires one argument.", 1);
    int resp = (int)lua_tonumber(L, -1);
    if (resp != 2 && resp != 3)
        return push_error(L, "RESP version must be 2 or 3.", 1);
    vm->resp = resp;
    return 0;
}

static int redis_set_repl(lua_State *L)
{
    struct lua_vm *vm = vm_of(L);
    if (!vm->running)
        return push_error(L, "redis.set_repl can only be called inside a script invocation", 1);
    if (lua_gettop(L) != 1)
        return push_error(L, "redis.set_repl() requires two arguments.", 1);
    int flags = (int)lua_tonumber(L, -1);
    if ((flags & ~3) != 0)
        return push_error(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.", 1);
    return 0;
}

static int redis_replicate_commands(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

static int redis_breakpoint(lua_State *L)
{
    lua_pushboolean(L, 0);
    return 1;
}

static int redis_debug(lua_State *L)
{
    (void)L;
    return 0;
}

static int redis_acl_check_cmd(lua_State *L)
{
    struct lua_vm *vm = vm_of(L);
    if (!vm->running)
        return push_error(L, "redis.acl_check_cmd can only be called inside a script invocation", 1);
    int argc = lua_gettop(L);
    if (argc == 0)
        return push_error(L, "Please specify at least one argument for this redis lib call", 1);
    struct arg *argv = malloc(sizeof(struct arg) * (size_t)argc);
    for (int j = 0; j < argc; j++) {
        if (lua_type(L, j + 1) != LUA_TSTRING && lua_type(L, j + 1) != LUA_TNUMBER) {
            free(argv);
            return push_error(L, "Lua redis lib command arguments must be strings or integers", 1);
        }
        argv[j].ptr = lua_tolstring(L, j + 1, &argv[j].len);
    }
    int r = vm->ops->acl_check ? vm->ops->acl_check(vm->host, argc, argv) : 1;
    free(argv);
    if (r < 0)
        return push_error(L, "Invalid command passed to redis.acl_check_cmd()", 1);
    lua_pushboolean(L, r);
    return 1;
}

/* The error handler of every run: turns what was raised into {err=...,
 * source=..., line=...} with the position of the script's code (the caller
 * of a C function such as redis.call). */
static int error_handler(lua_State *L)
{
    lua_Debug ar;
    int have = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
    if (have && strcmp(ar.what, "C") == 0)
        have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
    if (!lua_istable(L, 1)) {
        const char *s = lua_tostring(L, 1);
        lua_newtable(L);
        lua_pushfstring(L, "ERR %s", s ? s : lua_isnil(L, 1) ? "nil" : luaL_typename(L, 1));
        lua_setfield(L, -2, "err");
        lua_replace(L, 1);
        lua_settop(L, 1);
    }
    if (have) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, 1, "source");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, 1, "line");
    }
    lua_settop(L, 1);
    return 1;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_getfield(L, LUA_REGISTRYINDEX, "__vm");
    struct lua_vm *vm = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (vm->loading) { /* a library's code: bounded in time, no busy mode */
        if (monotonic_ms() > vm->load_deadline_ms)
            push_error(L, "FUNCTION LOAD timeout", 1);
        return;
    }
    if (!vm->killed && vm->ops->tick && vm->ops->tick(vm->host)) {
        vm->killed = 1;
        /* From now on every line raises, so a pcall loop cannot go on. */
        lua_sethook(L, hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
    }
    if (vm->killed) {
        push_error(L, LUA_VM_KILLED_ERROR, 1);
    }
}

static int function_name_ok(const char *name, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return 1;
}

/* redis.register_function(name, callback) or
 * redis.register_function{function_name=, callback=, flags={...}, description=} */
static int redis_register_function(lua_State *L)
{
    struct lua_vm *vm = vm_of(L);
    if (!vm->loading)
        return push_error(L, "redis.register_function can only be called on FUNCTION LOAD command", 1);
    int argc = lua_gettop(L);
    const char *name = NULL, *desc = NULL;
    size_t nlen = 0;
    int flags = 0;
    if (argc == 2) {
        if (lua_type(L, 1) != LUA_TSTRING)
            return push_error(L, "first argument to redis.register_function must be a string", 1);
        if (lua_type(L, 2) != LUA_TFUNCTION)
            return push_error(L, "second argument to redis.register_function must be a function", 1);
        name = lua_tolstring(L, 1, &nlen);
        lua_pushvalue(L, 2);
    } else if (argc == 1 && !lua_istable(L, 1)) {
        return push_error(L,
                          "calling redis.register_function with a single argument is only applicable to Lua table "
                          "(representing named arguments).",
                          1);
    } else if (argc == 1) {
        /* named arguments: only these four */
        lua_pushnil(L);
        while (lua_next(L, 1)) {
            lua_pop(L, 1);
            const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            if (!k ||
                (strcmp(k, "function_name") && strcmp(k, "callback") && strcmp(k, "flags") && strcmp(k, "description")))
                return push_error(L, "unknown argument given to redis.register_function", 1);
        }
        lua_getfield(L, 1, "function_name");
        if (lua_isnil(L, -1))
            return push_error(L, "redis.register_function must get a function name argument", 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return push_error(L, "function_name argument given to redis.register_function must be a string", 1);
        name = lua_tolstring(L, -1, &nlen);
        lua_getfield(L, 1, "description");
        if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
            return push_error(L, "description argument given to redis.register_function must be a string", 1);
        desc = lua_tostring(L, -1);
        lua_getfield(L, 1, "flags");
        if (lua_istable(L, -1)) {
            for (int i = 1;; i++) {
                lua_rawgeti(L, -1, i);
                if (lua_isnil(L, -1)) {
                    lua_pop(L, 1);
                    break;
                }
                const char *f = lua_tostring(L, -1);
                int bit = !f                                    ? -1
                          : !strcmp(f, "no-writes")             ? SCRIPT_FLAG_NO_WRITES
                          : !strcmp(f, "allow-oom")             ? SCRIPT_FLAG_ALLOW_OOM
                          : !strcmp(f, "allow-stale")           ? SCRIPT_FLAG_ALLOW_STALE
                          : !strcmp(f, "no-cluster")            ? SCRIPT_FLAG_NO_CLUSTER
                          : !strcmp(f, "allow-cross-slot-keys") ? SCRIPT_FLAG_ALLOW_CROSS_SLOT
                                                                : -1;
                if (bit < 0)
                    return push_error(L, "unknown flag given", 1);
                flags |= bit;
                lua_pop(L, 1);
            }
        } else if (!lua_isnil(L, -1)) {
            return push_error(
                L, "flags argument to redis.register_function must be a table representing function flags", 1);
        }
        lua_getfield(L, 1, "callback");
        if (lua_isnil(L, -1))
            return push_error(L, "redis.register_function must get a callback argument", 1);
        if (lua_type(L, -1) != LUA_TFUNCTION)
            return push_error(L, "callback argument given to redis.register_function must be a function", 1);
    } else {
        return push_error(L, "wrong number of arguments to redis.register_function", 1);
    }
    if (!function_name_ok(name, nlen))
        return push_error(L,
                          "Library names can only contain letters, numbers, or underscores(_) and must be at least "
                          "one character long",
                          1);
    /* callback on top: staging[lower-case name] = callback (function
     * names are case-insensitive, as Redis's) */
    char lname[256];
    size_t ln = nlen < sizeof(lname) - 1 ? nlen : sizeof(lname) - 1;
    for (size_t i = 0; i < ln; i++)
        lname[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    lname[ln] = '\0';
    lua_getfield(L, LUA_REGISTRYINDEX, "__staging");
    lua_getfield(L, -1, lname);
    if (!lua_isnil(L, -1))
        return push_error(L, "Function already exists in the library", 1);
    lua_pop(L, 1);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, lname);
    vm->register_cb(vm->register_arg, name, flags, desc);
    return 0;
}

void lua_vm_forget_functions(struct lua_vm *vm)
{
    lua_newtable(vm->L);
    lua_setfield(vm->L, LUA_REGISTRYINDEX, "__functions");
}

int lua_vm_has_function(struct lua_vm *vm, const char *name)
{
    lua_getfield(vm->L, LUA_REGISTRYINDEX, "__functions");
    lua_getfield(vm->L, -1, name);
    int r = lua_isfunction(vm->L, -1);
    lua_pop(vm->L, 2);
    return r;
}

int lua_vm_load_library(struct lua_vm *vm, const char *code, size_t len, size_t skip, lua_fn_registered *cb, void *arg,
                        char *err, size_t errlen)
{
    lua_State *L = vm->L;
    int base = lua_gettop(L);
    if (luaL_loadbuffer(L, code + skip, len - skip, "@user_function")) {
        snprintf(err, errlen, "ERR Error compiling function: %s", lua_tostring(L, -1));
        lua_settop(L, base);
        return -1;
    }
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "__staging");
    int registered = 0;
    struct {
        lua_fn_registered *cb;
        void *arg;
        int *n;
    } ctx = {cb, arg, &registered};
    (void)ctx;
    vm->register_cb = cb;
    vm->register_arg = arg;
    vm->loading = 1;
    vm->load_deadline_ms = monotonic_ms() + 500;    /* Redis's bound on a library's load run */
    lua_getfield(L, LUA_REGISTRYINDEX, "__switch"); /* the library sees the load-time globals */
    lua_getfield(L, LUA_REGISTRYINDEX, "__loadenv");
    lua_rawseti(L, -2, 1);
    lua_pop(L, 1);
    vm->limit = vm->max;
    lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    int rc = lua_pcall(L, 0, 0, 0);
    lua_sethook(L, NULL, 0, 0);
    vm->limit = 0;
    vm->loading = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, "__switch");
    lua_getfield(L, LUA_REGISTRYINDEX, "__real");
    lua_rawseti(L, -2, 1);
    lua_pop(L, 1);
    if (rc) {
        const char *msg = NULL;
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            msg = lua_tostring(L, -1);
        } else {
            msg = lua_tostring(L, -1);
        }
        snprintf(err, errlen, "ERR Error registering functions: %s%s", lua_istable(L, -2) || !msg ? "" : "",
                 msg ? msg : "unknown error");
        lua_settop(L, base);
        return -1;
    }
    /* staging -> functions */
    lua_getfield(L, LUA_REGISTRYINDEX, "__staging");
    lua_getfield(L, LUA_REGISTRYINDEX, "__functions");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "__functions");
    }
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, -4);
        registered++;
    }
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "__staging");
    lua_settop(L, base);
    if (!registered) {
        snprintf(err, errlen, "ERR No functions registered");
        return -1;
    }
    return 0;
}

void lua_vm_abort(struct lua_vm *vm)
{
    if (!vm->running)
        return;
    vm->killed = 1;
    lua_sethook(vm->L, hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

static void set_fn(lua_State *L, struct lua_vm *vm, const char *name, lua_CFunction f)
{
    lua_pushlightuserdata(L, vm);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

static void open_lib(lua_State *L, lua_CFunction open, const char *name)
{
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (*name && lua_istable(L, -1))
        lua_setglobal(L, name);
    else
        lua_pop(L, 1);
}

struct lua_vm *lua_vm_new(size_t mem_limit, const struct lua_host_ops *ops, void *host)
{
    struct lua_vm *vm = calloc(1, sizeof(*vm));
    vm->ops = ops;
    vm->host = host;
    vm->rand48 = 0x1234ABCD330EULL;
    vm->resp = 2;
    lua_State *L = lua_newstate(vm_alloc, vm);
    if (!L) {
        free(vm);
        return NULL;
    }
    vm->L = L;
    lua_pushlightuserdata(L, vm);
    lua_setfield(L, LUA_REGISTRYINDEX, "__vm");
    open_lib(L, luaopen_base, "");
    open_lib(L, luaopen_table, LUA_TABLIBNAME);
    open_lib(L, luaopen_string, LUA_STRLIBNAME);
    open_lib(L, luaopen_math, LUA_MATHLIBNAME);
    open_lib(L, luaopen_cjson, "cjson");
    open_lib(L, luaopen_bit, "bit");
    /* what 7.0 scripts do not get */
    static const char *const removed[] = {"loadfile", "dofile", "print",   "require",   "module", "os",
                                          "io",       "debug",  "package", "newproxy_", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    lua_pushcfunction(L, safe_loadstring);
    lua_setglobal(L, "loadstring");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, safe_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    /* math.random on Redis's generator */
    lua_getglobal(L, "math");
    set_fn(L, vm, "random", math_random);
    set_fn(L, vm, "randomseed", math_randomseed);
    lua_pop(L, 1);
    /* the redis table */
    lua_newtable(L);
    set_fn(L, vm, "call", redis_call);
    set_fn(L, vm, "pcall", redis_pcall);
    set_fn(L, vm, "error_reply", redis_error_reply);
    set_fn(L, vm, "status_reply", redis_status_reply);
    set_fn(L, vm, "sha1hex", redis_sha1hex);
    set_fn(L, vm, "log", redis_log);
    set_fn(L, vm, "setresp", redis_setresp);
    set_fn(L, vm, "set_repl", redis_set_repl);
    set_fn(L, vm, "replicate_commands", redis_replicate_commands);
    set_fn(L, vm, "acl_check_cmd", redis_acl_check_cmd);
    set_fn(L, vm, "breakpoint", redis_breakpoint);
    set_fn(L, vm, "debug", redis_debug);
    static const struct {
        const char *name;
        int v;
    } consts[] = {{"LOG_DEBUG", 0},  {"LOG_VERBOSE", 1},
                  {"LOG_NOTICE", 2}, {"LOG_WARNING", 3},
                  {"REPL_NONE", 0},  {"REPL_AOF", 1},
                  {"REPL_SLAVE", 2}, {"REPL_REPLICA", 2},
                  {"REPL_ALL", 3},   {"REDIS_VERSION_NUM", REDIS_VERSION_NUM_VAL}};
    for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++) {
        lua_pushinteger(L, consts[i].v);
        lua_setfield(L, -2, consts[i].name);
    }
    lua_pushstring(L, REDIS_VERSION_STR);
    lua_setfield(L, -2, "REDIS_VERSION");
    lua_setglobal(L, "redis");
    /* read-only library tables */
    static const char *const libs[] = {"string", "math", "table", "cjson", "bit", "redis", "coroutine", NULL};
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        if (lua_istable(L, -1)) {
            push_proxy(L, -1, 0);
            lua_setglobal(L, libs[i]);
        }
        lua_pop(L, 1);
    }
    /* the string metatable keeps the real string table for s:rep() */
    /* globals: the proxy becomes the environment */
    /* what a library's code sees while FUNCTION LOAD runs it: only redis,
     * with register_function, log and the constants (as Redis 7.0) */
    lua_newtable(L); /* load-time redis */
    set_fn(L, vm, "register_function", redis_register_function);
    set_fn(L, vm, "log", redis_log);
    for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++) {
        lua_pushinteger(L, consts[i].v);
        lua_setfield(L, -2, consts[i].name);
    }
    lua_pushstring(L, REDIS_VERSION_STR);
    lua_setfield(L, -2, "REDIS_VERSION");
    lua_newtable(L); /* load-time globals */
    push_proxy(L, -2, 1);
    lua_setfield(L, -2, "redis");
    lua_setfield(L, LUA_REGISTRYINDEX, "__loadenv");
    lua_pop(L, 1);
    /* the globals switch: [1] is what the global proxy reads through */
    lua_newtable(L);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_rawseti(L, -2, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "__switch");
    lua_pushvalue(L, LUA_GLOBALSINDEX); /* real */
    lua_getfield(L, LUA_REGISTRYINDEX, "__switch");
    push_proxy(L, -1, 2); /* real, switch, proxy */
    lua_remove(L, -2);    /* real, proxy */
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "_G"); /* real._G = proxy */
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "__proxy");
    lua_pushvalue(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, "__real");
    lua_replace(L, LUA_GLOBALSINDEX); /* env = proxy */
    lua_pop(L, 1);
    lua_pushcfunction(L, error_handler);
    lua_setfield(L, LUA_REGISTRYINDEX, "__errh");
    vm->max = mem_limit;
    return vm;
}

void lua_vm_free(struct lua_vm *vm)
{
    if (!vm)
        return;
    lua_close(vm->L);
    buf_free(&vm->reply);
    free(vm);
}

static void fname(char out[43], const char *sha)
{
    out[0] = 'f';
    out[1] = '_';
    memcpy(out + 2, sha, 40);
    out[42] = '\0';
}

int lua_vm_defined(struct lua_vm *vm, const char *sha)
{
    char name[43];
    fname(name, sha);
    lua_getfield(vm->L, LUA_REGISTRYINDEX, name);
    int r = !lua_isnil(vm->L, -1);
    lua_pop(vm->L, 1);
    return r;
}

int lua_vm_define(struct lua_vm *vm, const char *sha, const char *body, size_t len, char *err, size_t errlen)
{
    if (lua_vm_defined(vm, sha))
        return 0;
    int flags;
    size_t skip;
    if (lua_script_flags(body, len, &flags, &skip, err, errlen) < 0)
        return -1;
    lua_State *L = vm->L;
    if (luaL_loadbuffer(L, body + skip, len - skip, "@user_script")) {
        snprintf(err, errlen, "ERR Error compiling script (new function): %s", lua_tostring(L, -1));
        for (char *c = err; *c; c++)
            if (*c == '\r' || *c == '\n')
                *c = ' ';
        lua_pop(L, 1);
        return -1;
    }
    char name[43];
    fname(name, sha);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
    return 0;
}

void lua_vm_forget_all(struct lua_vm *vm)
{
    lua_State *L = vm->L;
    /* registry entries f_<sha> */
    lua_pushnil(L);
    int n = 0;
    while (lua_next(L, LUA_REGISTRYINDEX)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            size_t len;
            const char *k = lua_tolstring(L, -1, &len);
            if (len == 42 && k[0] == 'f' && k[1] == '_') {
                lua_pushvalue(L, -1);
                lua_pushnil(L);
                lua_rawset(L, LUA_REGISTRYINDEX); /* clearing a field during next is allowed */
                n++;
            }
        }
    }
    (void)n;
    lua_gc(L, LUA_GCCOLLECT, 0);
}

static void set_array(lua_State *L, const char *name, int n, const struct arg *a)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "__real");
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, a[i].ptr, a[i].len);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

/* Globals a script created with rawset on the proxy are dropped. */
static void wipe_proxy(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "__proxy");
    for (;;) {
        lua_pushnil(L);
        if (!lua_next(L, -2))
            break;
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1);
}

static void push_array(lua_State *L, int n, const struct arg *a)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, a[i].ptr, a[i].len);
        lua_rawseti(L, -2, i + 1);
    }
}

static int run_common(struct lua_vm *vm, const char *sha, int function, int nkeys, const struct arg *keys, int nargs,
                      const struct arg *args, int caller_resp, struct buf *out);

int lua_vm_run(struct lua_vm *vm, const char *sha, int nkeys, const struct arg *keys, int nargs, const struct arg *args,
               int caller_resp, struct buf *out)
{
    return run_common(vm, sha, 0, nkeys, keys, nargs, args, caller_resp, out);
}

int lua_vm_run_function(struct lua_vm *vm, const char *name, int nkeys, const struct arg *keys, int nargs,
                        const struct arg *args, int caller_resp, struct buf *out)
{
    return run_common(vm, name, 1, nkeys, keys, nargs, args, caller_resp, out);
}

/* sha: the script's SHA1 (EVAL) or the function's name (FCALL). */
static int run_common(struct lua_vm *vm, const char *sha, int function, int nkeys, const struct arg *keys, int nargs,
                      const struct arg *args, int caller_resp, struct buf *out)
{
    lua_State *L = vm->L;
    char name[43];
    if (function)
        snprintf(name, sizeof(name), "%s", sha);
    else
        fname(name, sha);
    int base = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "__errh");
    if (function) {
        lua_getfield(L, LUA_REGISTRYINDEX, "__functions");
        lua_getfield(L, -1, sha);
        lua_remove(L, -2);
        push_array(L, nkeys, keys); /* a function gets KEYS and ARGV as arguments */
        push_array(L, nargs, args);
    } else {
        lua_getfield(L, LUA_REGISTRYINDEX, name);
        set_array(L, "KEYS", nkeys, keys); /* globals in EVAL */
        set_array(L, "ARGV", nargs, args);
    }
    vm->resp = 2;
    vm->running = 1;
    vm->killed = 0;
    lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    /* The bound holds inside the protected call only: outside it a failed
     * allocation would be a Lua panic. */
    vm->limit = vm->max;
    int err = lua_pcall(L, function ? 2 : 0, 1, base + 1);
    vm->limit = 0;
    lua_sethook(L, NULL, 0, 0);
    vm->running = 0;
    int killed = vm->killed;
    if (err) {
        if (lua_istable(L, -1)) {
            size_t len = 0;
            lua_getfield(L, -1, "err");
            const char *msg = lua_tolstring(L, -1, &len);
            lua_getfield(L, -2, "source");
            lua_getfield(L, -3, "line");
            struct buf m = {0};
            buf_append_byte(&m, '-');
            if (msg)
                buf_append(&m, msg, len);
            if (lua_isstring(L, -2) && lua_isnumber(L, -1)) {
                char tail[200];
                snprintf(tail, sizeof(tail), " script: %s, on %s:%d.", sha, lua_tostring(L, -2),
                         (int)lua_tonumber(L, -1));
                buf_append_str(&m, tail);
            }
            for (size_t i = 1; i < m.len; i++)
                if (m.data[i] == '\r' || m.data[i] == '\n')
                    m.data[i] = ' ';
            buf_append(&m, "\r\n", 2);
            buf_append(out, m.data, m.len);
            buf_free(&m);
            lua_pop(L, 3);
        } else {
            const char *msg = lua_tostring(L, -1);
            if (err == LUA_ERRMEM)
                msg = "not enough memory";
            reply_errorf(out, "ERR Error running script %s, %.100s", function ? sha : name,
                         msg ? msg : "execution failure");
        }
        lua_pop(L, 1);
    } else {
        lua_pop_to_resp(L, out, vm->resp, caller_resp);
    }
    lua_settop(L, base);
    wipe_proxy(L);
    if (++vm->gc_runs == 50) {
        lua_gc(L, LUA_GCSTEP, 50);
        vm->gc_runs = 0;
    }
    return killed;
}
