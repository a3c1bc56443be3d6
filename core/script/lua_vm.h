/*
 * lua_vm.h - one sandboxed Lua 5.1 interpreter as Redis 7.0 sets it up for
 * EVAL: the libraries scripts expect (base, table, string, math, cjson,
 * bit), none of os/io/loadfile/dofile/require/print/debug, `loadstring`
 * that refuses binary chunks, protected globals (reading an undefined one
 * or writing any is an error, the library tables are read-only), the
 * `redis` table (call, pcall, error_reply, status_reply, sha1hex, log,
 * setresp, set_repl, replicate_commands, acl_check_cmd, breakpoint, debug,
 * REDIS_VERSION, REDIS_VERSION_NUM, LOG_*, REPL_*), math.random on Redis's
 * rand48 generator, compiled scripts kept by SHA1, and the run of one
 * script with KEYS/ARGV into a RESP reply with Redis's error texts.
 *
 * What a script's commands do is the host's business: redis.call goes to
 * the host's `call` operation (struct lua_host_ops) which runs the command
 * and writes its RESP reply; this module converts it (core/script/
 * lua_convert.h). So this layer knows no shard, client or command table.
 *
 * Thread: a vm belongs to one thread (the shard thread that created it) and
 * is never touched by another. Memory: every allocation of the state goes
 * through a counting allocator that refuses to grow past `mem_limit`; Lua
 * then raises "not enough memory" inside the script, which fails with an
 * error reply while the server goes on.
 */
#ifndef SHARDIS_LUA_VM_H
#define SHARDIS_LUA_VM_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/resp.h"

/* Shebang flags (#!lua flags=...), as Redis's SCRIPT_FLAG_* */
#define SCRIPT_FLAG_NO_WRITES (1 << 0)
#define SCRIPT_FLAG_ALLOW_OOM (1 << 1)
#define SCRIPT_FLAG_ALLOW_STALE (1 << 2)
#define SCRIPT_FLAG_NO_CLUSTER (1 << 3)
#define SCRIPT_FLAG_ALLOW_CROSS_SLOT (1 << 4)
#define SCRIPT_FLAG_EVAL_COMPAT (1 << 5) /* no shebang: Redis 6 compatible script */

struct lua_host_ops {
    /* Runs argv[0..argc) as a command of the running script (protocol
     * `resp`) and appends its RESP reply (or a "-..." refusal) to out. */
    void (*call)(void *host, int argc, const struct arg *argv, int resp, struct buf *out);
    /* redis.acl_check_cmd: 1 allowed, 0 denied, -1 unknown command. */
    int (*acl_check)(void *host, int argc, const struct arg *argv);
    /* redis.log at level 0..3 (debug, verbose, notice, warning). */
    void (*log)(void *host, int level, const char *msg, size_t len);
    /* Called every few thousand Lua instructions: returns 1 to abort the
     * script (SCRIPT KILL). */
    int (*tick)(void *host);
};

struct lua_vm;

/* A new interpreter; NULL when Lua cannot start. */
struct lua_vm *lua_vm_new(size_t mem_limit, const struct lua_host_ops *ops, void *host);
void lua_vm_free(struct lua_vm *vm);
/* Bytes the interpreter holds now (INFO used_memory_lua). */
size_t lua_vm_memory(const struct lua_vm *vm);
void lua_vm_set_mem_limit(struct lua_vm *vm, size_t limit);

/* The SHA1 of p[0..len) as 40 lower-case hex digits and a NUL. */
void lua_sha1hex(const void *p, size_t len, char hex[41]);

/* Parses a body's shebang: returns 0 and sets *flags and *skip (bytes to
 * skip, the line itself; its newline stays so line numbers hold), or -1
 * with Redis's error text in err. No shebang: SCRIPT_FLAG_EVAL_COMPAT. */
int lua_script_flags(const char *body, size_t len, int *flags, size_t *skip, char *err, size_t errlen);

/* Compiles body under its sha (40 hex digits) unless defined. Returns 0, or
 * -1 with Redis's error ("Error compiling script (new function): ...") in
 * err. */
int lua_vm_define(struct lua_vm *vm, const char *sha, const char *body, size_t len, char *err, size_t errlen);
int lua_vm_defined(struct lua_vm *vm, const char *sha);
/* Forgets every compiled script (SCRIPT FLUSH). */
void lua_vm_forget_all(struct lua_vm *vm);

/* Runs the script sha (defined) with KEYS and ARGV, the caller speaking
 * caller_resp; appends the reply to out. Returns 1 when it was aborted by
 * `tick`, else 0. */
int lua_vm_run(struct lua_vm *vm, const char *sha, int nkeys, const struct arg *keys, int nargs, const struct arg *args,
               int caller_resp, struct buf *out);

/* ---- functions (FUNCTION LOAD, FCALL) ----
 * A library's code runs once with redis.register_function available; the
 * functions it registers are kept in the registry by name. */
typedef void lua_fn_registered(void *arg, const char *name, int flags, const char *desc);
/* Loads a library (code[skip..len): after its shebang line, whose newline
 * stays). Each registered function is reported to cb. Returns 0, or -1 with
 * Redis's error in err ("ERR Error compiling function: ...", "ERR Error
 * registering functions: ...", "ERR No functions registered"); on failure
 * nothing is registered. */
int lua_vm_load_library(struct lua_vm *vm, const char *code, size_t len, size_t skip, lua_fn_registered *cb, void *arg,
                        char *err, size_t errlen);
/* Forgets every registered function (before reloading the libraries). */
void lua_vm_forget_functions(struct lua_vm *vm);
int lua_vm_has_function(struct lua_vm *vm, const char *name);
/* Runs function name with its KEYS and ARGV tables as arguments; as
 * lua_vm_run otherwise. */
int lua_vm_run_function(struct lua_vm *vm, const char *name, int nkeys, const struct arg *keys, int nargs,
                        const struct arg *args, int caller_resp, struct buf *out);

/* Stops the running script at its next line (its redis.call calls fail
 * from now on): the host abandons the run. */
void lua_vm_abort(struct lua_vm *vm);

/* Raised inside a running script by the host: redis.call stops the script
 * with this error (the host refuses the run going on, e.g. it was killed). */
#define LUA_VM_KILLED_ERROR "Script killed by user with SCRIPT KILL..."

#endif
