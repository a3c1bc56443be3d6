/*
 * script.c - Lua scripting in the engine: EVAL/EVALSHA/EVAL_RO/EVALSHA_RO
 * and SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP/DEBUG. The interpreter, the
 * sandbox and the RESP<->Lua rules are core/script/; this file decides where
 * a script runs, runs the commands it calls (redis.call) with the caller's
 * permissions, and keeps it atomic. docs/architecture.md, "Scripting", has
 * the rules and the deadlock argument; in short:
 *
 *   one shard   every declared key on one shard, and this thread has seen
 *               the script keep to that shard before ("clean"): it runs on
 *               that shard in one hop (inline when it is ours), like any
 *               one-shard command. A redis.call to a key of another shard,
 *               or to an undeclared key a transaction holds, "strays": if
 *               the script wrote nothing yet the run is abandoned (its
 *               reply dropped, nothing changed) and it runs again under
 *               the global barrier, and the script is marked to take the
 *               barrier from now on. If it already wrote, the call fails
 *               with an error (the script's earlier writes stay, as with
 *               any runtime error in Redis) and the script is marked too.
 *   barrier     anything else (keys on several shards, no keys, a script
 *               not seen yet on this thread, one that strayed): the script
 *               runs on the client's thread under the global barrier (the
 *               transaction layer's global lock on every shard). Commands
 *               on other shards' keys go to those shards as sub-requests
 *               and the script waits for their reply, draining its own
 *               rings meanwhile: the only place a thread waits for another
 *               while holding its loop, allowed by design.md section 10
 *               only under the barrier, which no other transaction holds.
 *
 * Threads: a struct script_shard belongs to its shard thread. The script
 * cache (bodies by SHA1) is shared: a mutex guards it, taken only when a
 * thread's own compiled copy misses and by SCRIPT LOAD/EXISTS/FLUSH.
 * SCRIPT FLUSH bumps an epoch each thread compares before using its
 * copies. The busy table (which shard runs a long script, kill requests)
 * is atomics, read by other threads for SCRIPT KILL and BUSY replies.
 */
#include "shards/script.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/log.h"
#include "core/base/util.h"
#include "core/commands/command_rename.h"
#include "core/script/lua_vm.h"
#include "core/types/evict.h"
#include "persist/aof_log.h"
#include "persist/snapshot.h"
#include "security/acl.h"
#include "shards/blocking.h"
#include "shards/client.h"
#include "shards/client_acl.h"
#include "shards/dispatch_internal.h"
#include "shards/evict_pass.h"
#include "shards/mailbox.h"
#include "shards/request.h"
#include "shards/shard.h"
#include "shards/txn.h"
#include "shards/txn_coordinator.h"

#define LUA_MEMORY_LIMIT ((size_t)256 << 20) /* per interpreter; a script past it gets "not enough memory" */
#define ERR_SCRIPT_NOREPLICAS "NOREPLICAS Not enough good replicas to write."
#define STRAY_MARK "-SHARDIS-SCRIPT-STRAYED\r\n"

/* ---------------- the shared script cache ---------------- */

struct cached_script {
    struct cached_script *next;
    char sha[41];
    size_t len;
    char *body;
};

#define CACHE_BUCKETS 4096
static struct {
    pthread_mutex_t mu;
    struct cached_script *buckets[CACHE_BUCKETS];
    long long count;
    size_t bytes;
    _Atomic uint64_t epoch; /* bumped by SCRIPT FLUSH */
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static unsigned sha_bucket(const char *sha)
{
    unsigned h = 0;
    for (int i = 0; i < 8; i++)
        h = h * 16 + (unsigned)(sha[i] <= '9' ? sha[i] - '0' : sha[i] - 'a' + 10);
    return h % CACHE_BUCKETS;
}

/* Adds body under sha unless there (caller does not hold the mutex). */
static void cache_add(const char *sha, const char *body, size_t len)
{
    pthread_mutex_lock(&cache.mu);
    unsigned b = sha_bucket(sha);
    struct cached_script *e;
    for (e = cache.buckets[b]; e; e = e->next)
        if (!memcmp(e->sha, sha, 40))
            break;
    if (!e) {
        e = calloc(1, sizeof(*e));
        memcpy(e->sha, sha, 41);
        e->body = malloc(len ? len : 1);
        memcpy(e->body, body, len);
        e->len = len;
        e->next = cache.buckets[b];
        cache.buckets[b] = e;
        cache.count++;
        cache.bytes += len;
    }
    pthread_mutex_unlock(&cache.mu);
}

/* A malloc'd copy of the body of sha (caller frees), or NULL. */
static char *cache_get(const char *sha, size_t *len)
{
    char *copy = NULL;
    pthread_mutex_lock(&cache.mu);
    for (struct cached_script *e = cache.buckets[sha_bucket(sha)]; e; e = e->next)
        if (!memcmp(e->sha, sha, 40)) {
            copy = malloc(e->len ? e->len : 1);
            memcpy(copy, e->body, e->len);
            *len = e->len;
            break;
        }
    pthread_mutex_unlock(&cache.mu);
    return copy;
}

static int cache_has(const char *sha)
{
    int found = 0;
    pthread_mutex_lock(&cache.mu);
    for (struct cached_script *e = cache.buckets[sha_bucket(sha)]; e && !found; e = e->next)
        found = !memcmp(e->sha, sha, 40);
    pthread_mutex_unlock(&cache.mu);
    return found;
}

static void cache_flush(void)
{
    pthread_mutex_lock(&cache.mu);
    for (int b = 0; b < CACHE_BUCKETS; b++) {
        struct cached_script *e = cache.buckets[b];
        while (e) {
            struct cached_script *next = e->next;
            free(e->body);
            free(e);
            e = next;
        }
        cache.buckets[b] = NULL;
    }
    cache.count = 0;
    cache.bytes = 0;
    atomic_fetch_add(&cache.epoch, 1);
    pthread_mutex_unlock(&cache.mu);
}

long long script_cached_count(void)
{
    pthread_mutex_lock(&cache.mu);
    long long n = cache.count;
    pthread_mutex_unlock(&cache.mu);
    return n;
}

size_t script_cache_bytes(void)
{
    pthread_mutex_lock(&cache.mu);
    size_t n = cache.bytes;
    pthread_mutex_unlock(&cache.mu);
    return n;
}

/* ---------------- function libraries (shared, under cache.mu) ---------------- */

struct fn_def {
    char *name;
    char *desc; /* NULL: none */
    int flags;
};

struct fn_lib {
    struct fn_lib *next;
    char *name;
    char *code;
    size_t len;
    int nfuncs;
    struct fn_def *funcs;
};

static struct fn_lib *fn_libs;      /* guarded by cache.mu */
static _Atomic uint64_t fn_version; /* bumped by every change: threads reload */

static void fn_lib_free(struct fn_lib *l)
{
    for (int i = 0; i < l->nfuncs; i++) {
        free(l->funcs[i].name);
        free(l->funcs[i].desc);
    }
    free(l->funcs);
    free(l->name);
    free(l->code);
    free(l);
}

static struct fn_lib **fn_lib_find(const char *name)
{
    struct fn_lib **pp = &fn_libs;
    while (*pp && strcasecmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    return pp;
}

/* ---------------- the busy table (read across threads) ---------------- */

static struct busy_slot {
    _Atomic int64_t start_ms; /* a script runs on this shard since then (0: none) */
    _Atomic int busy;         /* past busy-reply-threshold */
    _Atomic int barrier;      /* it holds the global barrier */
    _Atomic int dirty;        /* it wrote: SCRIPT KILL answers UNKILLABLE */
    _Atomic int kill;         /* SCRIPT KILL asked for it */
    _Atomic int function;     /* it is a function (FUNCTION KILL), not an EVAL (SCRIPT KILL) */
    pthread_mutex_t mu;       /* guards the two below (FUNCTION STATS reads them from any thread); zero is
                                 PTHREAD_MUTEX_INITIALIZER with glibc */
    struct buf run_name;      /* a busy function: its name, RESP-encoded */
    struct buf run_cmd;       /* and its command line */
} busy_slots[MAX_THREADS];
_Atomic int script_busy_shards; /* shards whose script is past the threshold (script.h) */
static _Atomic size_t lua_memory[MAX_THREADS];

size_t script_memory_total(void)
{
    size_t total = 0;
    for (int i = 0; i < MAX_THREADS; i++)
        total += atomic_load_explicit(&lua_memory[i], memory_order_relaxed);
    return total;
}

/* ---------------- per-shard state ---------------- */

enum footprint { FP_UNKNOWN, FP_CLEAN, FP_STRAYS };

struct local_script {
    char sha[41];
    int flags;
    enum footprint fp;
    int used;
};

/* One run of a script on this thread. */
struct script_run {
    struct shard *s;
    struct client *client; /* the caller when it is on this thread (ACL, ROUTE_LOCAL commands) */
    struct request *req;   /* barrier: the request that holds it */
    int barrier;
    int rerunnable; /* a stray before any write abandons the run */
    int dbid;
    int ro;    /* EVAL_RO or no-writes: writes refused */
    int flags; /* shebang flags */
    int nkeys;
    const struct arg *keys;
    int home;             /* shard of the declared keys; -1 none */
    const char *function; /* FCALL: non-NULL (BUSY and KILL texts differ) */
    int argc;             /* the command line (FUNCTION STATS) */
    const struct arg *argv;
    int wrote;   /* some command may have written */
    int strayed; /* abandoned: run again under the barrier */
    int foreign; /* touched something outside `home` (learning) */
    uint64_t log_id;
    int log_parts;
};

struct script_shard {
    struct lua_vm *vm;
    uint64_t epoch;
    struct local_script *table; /* open addressing by sha */
    size_t cap, used;
    struct script_run *run; /* the run in progress, NULL between scripts */
    uint64_t fn_version;    /* the function libraries this vm has loaded */
    int64_t last_tick_ms;
};

static struct local_script *local_find(struct script_shard *ss, const char *sha, int create)
{
    if (create && (ss->used + 1) * 2 > ss->cap) {
        size_t ncap = ss->cap ? ss->cap * 2 : 64;
        struct local_script *nt = calloc(ncap, sizeof(*nt));
        for (size_t i = 0; i < ss->cap; i++)
            if (ss->table[i].used) {
                size_t j = sha_bucket(ss->table[i].sha) % ncap;
                while (nt[j].used)
                    j = (j + 1) % ncap;
                nt[j] = ss->table[i];
            }
        free(ss->table);
        ss->table = nt;
        ss->cap = ncap;
    }
    if (!ss->cap)
        return NULL;
    size_t j = sha_bucket(sha) % ss->cap;
    while (ss->table[j].used) {
        if (!memcmp(ss->table[j].sha, sha, 40))
            return &ss->table[j];
        j = (j + 1) % ss->cap;
    }
    if (!create)
        return NULL;
    memcpy(ss->table[j].sha, sha, 41);
    ss->table[j].used = 1;
    ss->used++;
    return &ss->table[j];
}

static void host_call(void *host, int argc, const struct arg *argv, int resp, struct buf *out);
static int host_acl_check(void *host, int argc, const struct arg *argv);
static void host_log(void *host, int level, const char *msg, size_t len);
static int host_tick(void *host);

static const struct lua_host_ops host_ops = {
    .call = host_call,
    .acl_check = host_acl_check,
    .log = host_log,
    .tick = host_tick,
};

static struct script_shard *script_shard(struct shard *s)
{
    static _Thread_local struct script_shard *mine;
    (void)mine;
    struct script_shard *ss = s->script;
    if (!ss) {
        ss = calloc(1, sizeof(*ss));
        ss->vm = lua_vm_new(LUA_MEMORY_LIMIT, &host_ops, s);
        lua_vm_set_mem_limit(ss->vm, LUA_MEMORY_LIMIT);
        ss->epoch = atomic_load(&cache.epoch);
        s->script = ss;
    }
    uint64_t epoch = atomic_load_explicit(&cache.epoch, memory_order_acquire);
    if (epoch != ss->epoch && !ss->run) { /* SCRIPT FLUSH happened */
        lua_vm_forget_all(ss->vm);
        free(ss->table);
        ss->table = NULL;
        ss->cap = ss->used = 0;
        ss->epoch = epoch;
    }
    return ss;
}

void script_shard_free(struct shard *s)
{
    struct script_shard *ss = s->script;
    if (!ss)
        return;
    lua_vm_free(ss->vm);
    free(ss->table);
    free(ss);
    s->script = NULL;
}

/* The per-thread entry of function `name` is keyed by a hash of it. */
static void function_key(const char *name, size_t len, char sha[41])
{
    char buf[300];
    int n = snprintf(buf, sizeof(buf), "\001fn:%.*s", (int)(len > 255 ? 255 : len), name);
    for (int i = 4; i < n; i++) /* function names are case-insensitive */
        buf[i] = (char)(buf[i] >= 'A' && buf[i] <= 'Z' ? buf[i] + 32 : buf[i]);
    lua_sha1hex(buf, (size_t)n, sha);
}

/* The lower-case name of FCALL's function argument. */
static void function_name_arg(const struct arg *a, char *name, size_t size)
{
    size_t n = a->len < size - 1 ? a->len : size - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)(a->ptr[i] >= 'A' && a->ptr[i] <= 'Z' ? a->ptr[i] + 32 : a->ptr[i]);
    name[n] = '\0';
}

struct fn_collect {
    struct script_shard *ss;
    struct fn_def *defs;
    int n, cap;
};

static void fn_registered(void *arg, const char *name, int flags, const char *desc)
{
    struct fn_collect *fc = arg;
    if (fc->ss) { /* loading into a thread's vm: remember its flags */
        char key[41];
        function_key(name, strlen(name), key);
        struct local_script *ls = local_find(fc->ss, key, 1);
        ls->flags = flags;
        ls->fp = FP_UNKNOWN;
        return;
    }
    if (fc->n == fc->cap) {
        fc->cap = fc->cap ? fc->cap * 2 : 8;
        fc->defs = realloc(fc->defs, sizeof(*fc->defs) * (size_t)fc->cap);
    }
    fc->defs[fc->n].name = strdup(name);
    fc->defs[fc->n].desc = desc ? strdup(desc) : NULL;
    fc->defs[fc->n].flags = flags;
    fc->n++;
}

static size_t shebang_len(const char *code, size_t len)
{
    const char *nl = memchr(code, '\n', len);
    return nl ? (size_t)(nl - code) : len;
}

/* This thread's vm has every library of the current version. */
static void functions_sync(struct script_shard *ss)
{
    uint64_t v = atomic_load(&fn_version);
    if (v == ss->fn_version || ss->run)
        return;
    lua_vm_forget_functions(ss->vm);
    pthread_mutex_lock(&cache.mu);
    for (struct fn_lib *l = fn_libs; l; l = l->next) {
        struct fn_collect fc = {.ss = ss};
        char err[512];
        if (lua_vm_load_library(ss->vm, l->code, l->len, shebang_len(l->code, l->len), fn_registered, &fc, err,
                                sizeof(err)) < 0)
            server_log(LL_WARNING, "Library %s failed to load on a thread: %s", l->name, err);
    }
    pthread_mutex_unlock(&cache.mu);
    ss->fn_version = v;
}

static int is_fcall(const struct command *cmd)
{
    return cmd->name[0] == 'f';
}

/* Lower-case 40-digit sha of an EVALSHA argument; 0 when it cannot be one. */
static int normalize_sha(const struct arg *a, char sha[41])
{
    if (a->len != 40)
        return 0;
    for (int i = 0; i < 40; i++) {
        char ch = a->ptr[i];
        sha[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    sha[40] = '\0';
    return 1;
}

static int is_sha_command(const struct command *cmd)
{
    return cmd->name[4] == 's'; /* evalsha, evalsha_ro */
}

static int is_ro_command(const struct command *cmd)
{
    return (cmd->flags & CMD_READONLY) != 0;
}

/* Makes the script of an EVAL/EVALSHA command line known to this thread's
 * interpreter. Returns its entry, or NULL with the error written to out. */
static struct local_script *script_resolve(struct shard *s, const struct command *cmd, const struct arg *argv,
                                           struct buf *out)
{
    struct script_shard *ss = script_shard(s);
    char sha[41];
    const char *body = NULL;
    size_t len = 0;
    char *copy = NULL;
    if (is_fcall(cmd)) {
        functions_sync(ss);
        char name[256];
        function_name_arg(&argv[1], name, sizeof(name));
        function_key(argv[1].ptr, argv[1].len, sha);
        struct local_script *ls = local_find(ss, sha, 0);
        if (!ls || !lua_vm_has_function(ss->vm, name)) {
            reply_error(out, "ERR Function not found");
            return NULL;
        }
        return ls;
    }
    if (is_sha_command(cmd)) {
        if (!normalize_sha(&argv[1], sha)) {
            reply_error(out, "NOSCRIPT No matching script. Please use EVAL.");
            return NULL;
        }
    } else {
        body = argv[1].ptr;
        len = argv[1].len;
        lua_sha1hex(body, len, sha);
    }
    struct local_script *ls = local_find(ss, sha, 0);
    if (ls && lua_vm_defined(ss->vm, sha))
        return ls;
    if (!body) {
        copy = cache_get(sha, &len);
        if (!copy) {
            reply_error(out, "NOSCRIPT No matching script. Please use EVAL.");
            return NULL;
        }
        body = copy;
    }
    char err[1024];
    int flags;
    size_t skip;
    if (lua_script_flags(body, len, &flags, &skip, err, sizeof(err)) < 0 ||
        lua_vm_define(ss->vm, sha, body, len, err, sizeof(err)) < 0) {
        reply_error(out, err);
        free(copy);
        return NULL;
    }
    if (!copy)
        cache_add(sha, body, len);
    free(copy);
    ls = local_find(ss, sha, 1);
    ls->flags = flags;
    return ls;
}

/* ---------------- checks before a run ---------------- */

/* numkeys of an EVAL command line; -1 with the error written. */
static long long parse_numkeys(int argc, const struct arg *argv, struct buf *out)
{
    long long n;
    if (!string2ll(argv[2].ptr, argv[2].len, &n)) {
        /* FCALL's text differs from EVAL's */
        reply_error(out, argv[0].len >= 5 && (argv[0].ptr[0] | 32) == 'f' ? "ERR Bad number of keys provided"
                                                                          : ERR_NOT_INTEGER);
        return -1;
    }
    if (n > argc - 3) {
        reply_error(out, "ERR Number of keys can't be greater than number of args");
        return -1;
    }
    if (n < 0) {
        reply_error(out, "ERR Number of keys can't be negative");
        return -1;
    }
    return n;
}

/* Redis's checks of a script with a shebang before it runs. */
static int flags_refuse(struct shard *s, const struct command *cmd, int flags, struct buf *out)
{
    if (flags & SCRIPT_FLAG_EVAL_COMPAT)
        return 0;
    if (!(flags & SCRIPT_FLAG_NO_WRITES)) {
        if (is_ro_command(cmd)) {
            reply_error(out, "ERR Can not execute a script with write flag using *_ro command.");
            return 1;
        }
        if (!(flags & SCRIPT_FLAG_ALLOW_OOM) && evict_refuse_write(s->cfg, s->now_ms)) {
            reply_error(out, "-OOM command not allowed when used memory > 'maxmemory'.");
            return 1;
        }
        if (snap_writes_refused(s->srv)) {
            reply_error(out, ERR_MISCONF);
            return 1;
        }
        if (s->cfg->min_replicas_to_write > 0 && s->cfg->min_replicas_max_lag > 0) {
            reply_error(out, ERR_SCRIPT_NOREPLICAS); /* no replicas yet: as the dispatcher's writes */
            return 1;
        }
    }
    return 0;
}

/* ---------------- running one script ---------------- */

static void busy_begin(struct shard *s, struct script_run *run)
{
    struct busy_slot *b = &busy_slots[s->id];
    atomic_store(&b->kill, 0);
    atomic_store(&b->dirty, 0);
    atomic_store(&b->barrier, run->barrier);
    atomic_store(&b->function, run->function != NULL);
    atomic_store(&b->start_ms, mstime());
}

static void busy_end(struct shard *s)
{
    struct busy_slot *b = &busy_slots[s->id];
    atomic_store(&b->start_ms, 0);
    if (atomic_exchange(&b->busy, 0))
        atomic_fetch_sub(&script_busy_shards, 1);
    atomic_store(&b->kill, 0);
}

/* Runs the script of argv (EVAL form) on this thread with run's placement;
 * the reply goes to out. */
static void script_execute(struct shard *s, struct script_run *run, const struct command *cmd, int argc,
                           const struct arg *argv, int caller_resp, struct buf *out)
{
    struct script_shard *ss = script_shard(s);
    struct local_script *ls = script_resolve(s, cmd, argv, out);
    if (!ls)
        return;
    long long nkeys = parse_numkeys(argc, argv, out);
    if (nkeys < 0)
        return;
    if (flags_refuse(s, cmd, ls->flags, out))
        return;
    run->s = s;
    run->function = is_fcall(cmd) ? "function" : NULL;
    run->argc = argc;
    run->argv = argv;
    run->flags = ls->flags;
    run->ro = is_ro_command(cmd) || (ls->flags & SCRIPT_FLAG_NO_WRITES);
    run->nkeys = (int)nkeys;
    run->keys = argv + 3;
    run->home = -1;
    if (nkeys > 0) {
        int nshards = s->srv->nshards;
        run->home = nshards == 1 ? 0 : key_shard(argv[3].ptr, argv[3].len, key_hash(argv[3].ptr, argv[3].len), nshards);
    }
    char sha[41];
    memcpy(sha, ls->sha, 41);
    struct script_run *outer = ss->run;
    ss->run = run;
    busy_begin(s, run);
    int was_paused = 0;
    if (run->client) {
        run->client->npending++; /* it stays alive while the script runs */
        was_paused = run->client->paused;
        run->client->paused = 1; /* and sends nothing before its reply, even to a busy-time poll */
    }
    /* Its effects are one transaction in the log: its own, or a part of the
     * barrier's, or of the EXEC / cross-shard transaction that runs it. */
    int own_txn = s->log && !(run->barrier && run->log_id) && !aof_txn_open(s->log);
    if (own_txn)
        aof_txn_begin(s->log, aof_new_txn_id(s->persist), 1);
    else if (run->barrier && s->log && run->log_id)
        aof_txn_begin(s->log, run->log_id, run->log_parts);
    size_t before = out->len;
    if (is_fcall(cmd)) {
        char name[256];
        function_name_arg(&argv[1], name, sizeof(name));
        lua_vm_run_function(ss->vm, name, run->nkeys, run->keys, argc - 3 - run->nkeys, argv + 3 + run->nkeys,
                            caller_resp, out);
    } else {
        lua_vm_run(ss->vm, sha, run->nkeys, run->keys, argc - 3 - run->nkeys, argv + 3 + run->nkeys, caller_resp, out);
    }
    if (own_txn)
        aof_txn_end(s->log);
    else if (run->barrier && s->log && run->log_id)
        aof_txn_begin(s->log, 0, 0); /* the part ends with the barrier's unlock */
    busy_end(s);
    ss->run = outer;
    if (run->client) {
        run->client->npending--;
        /* Restored as it was: an inline run returns into the client's own
         * input loop, which goes on parsing what came meanwhile. */
        run->client->paused = was_paused;
        client_maybe_free(run->client);
    }
    atomic_store_explicit(&lua_memory[s->id], lua_vm_memory(ss->vm), memory_order_relaxed);
    /* learning: where the script went */
    ls = local_find(ss, sha, 0);
    if (ls) {
        if (run->strayed || run->foreign)
            ls->fp = FP_STRAYS;
        else if (run->barrier && ls->fp == FP_UNKNOWN)
            ls->fp = FP_CLEAN;
    }
    if (run->strayed) {
        out->len = before;
        buf_append_str(out, STRAY_MARK);
    }
    /* Clients blocked on keys the script filled are served after it. */
    if (blocking_active(s->blocks))
        blocking_serve(s);
}

/* ---------------- redis.call ---------------- */

static void acl_error_for_script(const char *err, struct buf *out)
{
    if (strstr(err, "to access one of the keys"))
        reply_error(out, "ERR The user executing the script can't access at least one of the keys mentioned in the "
                         "command arguments");
    else if (strstr(err, "channels"))
        reply_error(out, "ERR The user executing the script can't publish to the channel mentioned in the command");
    else
        reply_error(out, "ERR The user executing the script can't run this command or subcommand");
}

/* Runs cmd here, on this shard's data, into out. */
static void run_here(struct shard *s, struct script_run *run, const struct command *cmd, int argc,
                     const struct arg *argv, const uint64_t *hashes, int resp, struct buf *out)
{
    struct cmd_ctx ctx;
    shard_init_ctx(s, &ctx, run->dbid, resp, out);
    ctx.argc = argc;
    ctx.argv = argv;
    ctx.hashes = hashes;
    ctx.cmd = cmd;
    if (cmd->route == ROUTE_LOCAL)
        ctx.client = run->client ? run->client : s->internal_client;
    int64_t t0 = monotonic_us();
    uint64_t dirty = s->stats.dirty;
    /* allow-oom scripts, and scripts that already wrote, are not stopped
     * half way by maxmemory (as Redis) */
    if ((run->flags & SCRIPT_FLAG_ALLOW_OOM) || run->wrote || evict_command_allowed(&ctx))
        cmd->handler(&ctx);
    effect_log_command(&ctx, dirty);
    shard_command_time(s, shard_command_stat(s, cmd, argc, argv), monotonic_us() - t0);
    shard_command_stat(s, cmd, argc, argv)->calls++;
    s->stats.commands++;
    if (s->stats.dirty != dirty)
        run->wrote = 1;
    if (blocking_active(s->blocks))
        blocking_signal_command(s, run->dbid, cmd, argc, argv, hashes);
}

/* Runs cmd on shard `to` while this thread holds the global barrier: one
 * sub-request, and this thread drains its rings until it is back. */
static void run_remote(struct shard *s, struct script_run *run, const struct command *cmd, int argc,
                       const struct arg *argv, const uint64_t *hashes, int to, int resp, struct buf *out)
{
    struct subreq *sub = calloc(1, sizeof(*sub));
    sub->req = run->req;
    sub->op = SUB_HANDLER;
    sub->shard = to;
    sub->coord = s->id;
    sub->txflags = SUBF_TX | SUBF_SYNC;
    if ((run->flags & SCRIPT_FLAG_ALLOW_OOM) || run->wrote)
        sub->txflags |= SUBF_NO_OOM;
    sub->txn_id = run->log_id;
    sub->txn_parts = run->log_parts;
    sub->dbid = run->dbid;
    sub->resp = resp;
    sub->handler = cmd->handler;
    sub->cmd = cmd;
    sub->argc = argc;
    sub->argv = (struct arg *)argv; /* the Lua stack keeps them while we wait */
    sub->hashes = (uint64_t *)hashes;
    shard_send_sub(s, sub);
    unsigned char pushed[MAX_THREADS] = {0};
    for (;;) {
        mailbox_flush_outgoing(s, pushed);
        io_uring_submit(&s->ring);
        mailbox_drain_inbound(s, pushed);
        if (sub->txflags & SUBF_SYNC_DONE)
            break;
        sched_yield();
    }
    buf_append(out, sub->out.data, sub->out.len);
    if (cmd->flags & CMD_WRITE)
        run->wrote = 1;
    buf_free(&sub->out);
    free(sub);
}

/* The call leaves the one shard this run may touch. */
static void stray(struct script_run *run, struct buf *out)
{
    struct script_shard *ss = run->s->script;
    run->foreign = 1;
    if (run->rerunnable && !run->wrote) {
        run->strayed = 1;
        lua_vm_abort(ss->vm);
        reply_error(out, "ERR script run abandoned to run again under the global barrier");
        return;
    }
    reply_error(out, "ERR Script attempted to access a key of another shard after writing (shardis runs it under "
                     "the global barrier from its next call on)");
}

/* Runs one command of a key-spanning form (DEL a b, MGET a b, MSET a 1 b 2
 * with keys on several shards) under the barrier: one call per key group,
 * the replies merged as the dispatcher would. */
static void run_split(struct shard *s, struct script_run *run, const struct command *cmd, int argc,
                      const struct arg *argv, const int *keypos, int nkeys, const uint64_t *hashes, const int *shard_of,
                      int resp, struct buf *out)
{
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    long long sum = 0;
    struct buf part = {0};
    struct buf elems = {0};
    for (int k = 0; k < nkeys; k++) {
        int p = keypos[k];
        int n = 1 + (p + step <= argc ? step : 1);
        struct arg a[8];
        uint64_t h[8] = {0};
        a[0] = argv[0];
        for (int j = 0; j < n - 1; j++)
            a[1 + j] = argv[p + j];
        h[1] = hashes[p];
        buf_reset(&part);
        if (shard_of[p] == s->id)
            run_here(s, run, cmd, n, a, h, resp, &part);
        else
            run_remote(s, run, cmd, n, a, h, shard_of[p], resp, &part);
        if (part.len && part.data[0] == '-') {
            buf_append(out, part.data, part.len);
            buf_free(&part);
            buf_free(&elems);
            return;
        }
        if (cmd->merge == MERGE_SUM && part.len && part.data[0] == ':')
            sum += strtoll(part.data + 1, NULL, 10);
        else if (cmd->merge == MERGE_MGET) {
            const char *nl = memchr(part.data, '\n', part.len); /* skip "*1\r\n" */
            if (nl)
                buf_append(&elems, nl + 1, part.len - (size_t)(nl + 1 - part.data));
        }
    }
    if (cmd->merge == MERGE_SUM)
        reply_integer(out, sum);
    else if (cmd->merge == MERGE_MGET) {
        reply_array(out, nkeys);
        buf_append(out, elems.data, elems.len);
    } else
        reply_ok(out);
    buf_free(&part);
    buf_free(&elems);
}

/* A command every shard runs (DBSIZE, KEYS, FLUSHALL ...) under the barrier. */
static void run_everywhere(struct shard *s, struct script_run *run, const struct command *cmd, int argc,
                           const struct arg *argv, int resp, struct buf *out)
{
    int n = s->srv->nshards;
    long long sum = 0, count = 0;
    struct buf part = {0}, elems = {0};
    for (int i = 0; i < n; i++) {
        buf_reset(&part);
        if (i == s->id)
            run_here(s, run, cmd, argc, argv, NULL, resp, &part);
        else
            run_remote(s, run, cmd, argc, argv, NULL, i, resp, &part);
        if (part.len && part.data[0] == '-') {
            buf_append(out, part.data, part.len);
            goto done;
        }
        if (cmd->merge == MERGE_SUM && part.data[0] == ':') {
            sum += strtoll(part.data + 1, NULL, 10);
        } else if (cmd->merge == MERGE_CONCAT && (part.data[0] == '*' || part.data[0] == '~')) {
            count += strtoll(part.data + 1, NULL, 10);
            const char *nl = memchr(part.data, '\n', part.len);
            buf_append(&elems, nl + 1, part.len - (size_t)(nl + 1 - part.data));
        } else if (cmd->merge == MERGE_RANDOM && !elems.len && part.data[0] == '$' && part.data[1] != '-') {
            buf_append(&elems, part.data, part.len);
        }
    }
    if (cmd->merge == MERGE_SUM)
        reply_integer(out, sum);
    else if (cmd->merge == MERGE_CONCAT) {
        reply_array(out, count);
        buf_append(out, elems.data, elems.len);
    } else if (cmd->merge == MERGE_RANDOM) {
        if (elems.len)
            buf_append(out, elems.data, elems.len);
        else
            reply_null(out, resp);
    } else
        reply_ok(out);
done:
    buf_free(&part);
    buf_free(&elems);
}

static void host_call(void *host, int argc, const struct arg *argv, int resp, struct buf *out)
{
    struct shard *s = host;
    struct script_run *run = s->script->run;
    const struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    if (!cmd) {
        reply_error(out, "ERR Unknown Redis command called from script");
        return;
    }
    if (!command_arity_ok(cmd, argc)) {
        reply_error(out, "ERR Wrong number of args calling Redis command from script");
        return;
    }
    const struct command *subcmd = NULL;
    if (cmd->subcommands && argc >= 2) {
        subcmd = command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
        if (!subcmd) {
            reply_error(out, "ERR Unknown Redis command called from script");
            return;
        }
        if (!command_arity_ok(subcmd, argc)) {
            reply_error(out, "ERR Wrong number of args calling Redis command from script");
            return;
        }
    }
    const struct command *eff = subcmd ? subcmd : cmd;
    if ((cmd->flags & CMD_NOSCRIPT) || (eff->flags & CMD_NOSCRIPT) || cmd->engine == ENGINE_PUBSUB ||
        is_transaction_command(cmd)) {
        reply_error(out, "ERR This Redis command is not allowed from script");
        return;
    }
    if (run->client && !acl_session_unrestricted(&run->client->acl)) {
        char err[300];
        struct acl_caller who;
        client_acl_caller(run->client, &who);
        if (acl_check(&who, cmd, subcmd, argc, argv, err, sizeof(err))) {
            acl_error_for_script(err, out);
            return;
        }
    }
    if (run->ro && (eff->flags & (CMD_WRITE | CMD_MAY_REPLICATE))) {
        reply_error(out, "ERR Write commands are not allowed from read-only scripts.");
        return;
    }
    if ((eff->flags & CMD_WRITE) && !run->wrote) {
        const char *aof_err;
        if (snap_writes_refused(s->srv)) {
            reply_error(out, ERR_MISCONF);
            return;
        }
        if (aof_writes_refused(s->srv, &aof_err)) {
            reply_error(out, aof_err);
            return;
        }
        if (s->cfg->min_replicas_to_write > 0 && s->cfg->min_replicas_max_lag > 0) {
            reply_error(out, ERR_SCRIPT_NOREPLICAS);
            return;
        }
    }
    if (!(run->flags & SCRIPT_FLAG_ALLOW_OOM) && !run->wrote && (eff->flags & CMD_DENYOOM) &&
        evict_refuse_write(s->cfg, s->now_ms)) {
        reply_error(out, "-OOM command not allowed when used memory > 'maxmemory'.");
        return;
    }
    if (strcmp(cmd->name, "select") == 0) { /* the script's own db */
        long long db;
        if (!string2ll(argv[1].ptr, argv[1].len, &db)) {
            reply_error(out, ERR_NOT_INTEGER);
        } else if (db < 0 || db >= s->ndbs) {
            reply_error(out, ERR_DB_INDEX);
        } else {
            run->dbid = (int)db;
            reply_ok(out);
        }
        return;
    }
    int nshards = s->srv->nshards;
    if (cmd->route == ROUTE_LOCAL) {
        if (cmd->engine != ENGINE_PLAIN && nshards > 1) {
            reply_error(out, "ERR This command is not supported from scripts by shardis");
            return;
        }
        run_here(s, run, cmd, argc, argv, NULL, resp, out);
        return;
    }
    if (cmd->route == ROUTE_ALL) {
        if (nshards == 1 && locktab_idle(s->locks)) {
            run_here(s, run, cmd, argc, argv, NULL, resp, out);
            return;
        }
        if (!run->barrier) {
            stray(run, out);
            return;
        }
        run->foreign = 1;
        run_everywhere(s, run, cmd, argc, argv, resp, out);
        return;
    }
    int keypos_small[16], shard_small[16];
    uint64_t hash_small[16];
    int *keypos = argc <= 16 ? keypos_small : malloc(sizeof(int) * (size_t)argc);
    int *shard_of = argc <= 16 ? shard_small : malloc(sizeof(int) * (size_t)argc);
    uint64_t *hashes = argc <= 16 ? hash_small : malloc(sizeof(uint64_t) * (size_t)argc);
    int target, multi;
    int nkeys = route_keys(s, cmd, argc, argv, keypos, hashes, shard_of, &target, &multi);
    if (cmd->engine == ENGINE_SCAN && nshards > 1) {
        reply_error(out, "ERR This command is not supported from scripts by shardis");
        goto done;
    }
    /* learning: a key outside the declared keys' shard */
    for (int k = 0; k < nkeys; k++)
        if (shard_of[keypos[k]] != run->home)
            run->foreign = 1;
    if (nkeys == 0)
        target = s->id;
    if (!multi) {
        if (target == s->id) {
            /* outside the barrier, a key a transaction holds is not ours */
            if (!run->barrier && !locktab_idle(s->locks) && shard_keys_locked(s, cmd, argc, argv, hashes)) {
                int declared_only = 1;
                for (int k = 0; k < nkeys && declared_only; k++) {
                    int found = 0;
                    for (int d = 0; d < run->nkeys && !found; d++)
                        found = run->keys[d].len == argv[keypos[k]].len &&
                                !memcmp(run->keys[d].ptr, argv[keypos[k]].ptr, run->keys[d].len);
                    declared_only = found;
                }
                if (!declared_only) {
                    stray(run, out);
                    goto done;
                }
            }
            run_here(s, run, cmd, argc, argv, hashes, resp, out);
        } else if (run->barrier) {
            run_remote(s, run, cmd, argc, argv, hashes, target, resp, out);
        } else {
            stray(run, out);
        }
        goto done;
    }
    if (!run->barrier) {
        stray(run, out);
        goto done;
    }
    if (cmd->route == ROUTE_KEYS && (cmd->merge == MERGE_SUM || cmd->merge == MERGE_OK || cmd->merge == MERGE_MGET) &&
        cmd->key_step <= 7) {
        run_split(s, run, cmd, argc, argv, keypos, nkeys, hashes, shard_of, resp, out);
        goto done;
    }
    reply_error(out, "ERR shardis runs this command from scripts only when its keys share one shard (use a hash tag)");
done:
    if (keypos != keypos_small)
        free(keypos);
    if (shard_of != shard_small)
        free(shard_of);
    if (hashes != hash_small)
        free(hashes);
}

static int host_acl_check(void *host, int argc, const struct arg *argv)
{
    struct shard *s = host;
    struct script_run *run = s->script->run;
    const struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    if (!cmd || !command_arity_ok(cmd, argc))
        return -1;
    const struct command *subcmd = NULL;
    if (cmd->subcommands && argc >= 2 && !(subcmd = command_lookup_sub(cmd, argv[1].ptr, argv[1].len)))
        return -1;
    if (!run->client || acl_session_unrestricted(&run->client->acl))
        return 1;
    char err[300];
    struct acl_caller who;
    client_acl_caller(run->client, &who);
    return acl_check(&who, cmd, subcmd, argc, argv, err, sizeof(err)) == 0;
}

static void host_log(void *host, int level, const char *msg, size_t len)
{
    (void)host;
    server_log(level, "%.*s", (int)len, msg);
}

/* Every few thousand Lua instructions: past busy-reply-threshold the shard
 * is marked busy (other clients of what it holds get BUSY) and its own
 * network is served meanwhile in busy mode; SCRIPT KILL and SHUTDOWN stop it. */
static int host_tick(void *host)
{
    struct shard *s = host;
    struct busy_slot *b = &busy_slots[s->id];
    struct script_run *run = s->script->run;
    if (run && run->wrote)
        atomic_store(&b->dirty, 1);
    if (atomic_load(&s->srv->shutdown_requested))
        return 1;
    if (atomic_load(&b->kill))
        return 1;
    int64_t now = mstime();
    long long threshold = s->cfg->busy_reply_threshold;
    if (threshold > 0 && now - atomic_load(&b->start_ms) >= threshold) {
        if (!atomic_exchange(&b->busy, 1)) {
            atomic_fetch_add(&script_busy_shards, 1);
            if (run && run->function && run->argv) { /* what FUNCTION STATS shows */
                pthread_mutex_lock(&b->mu);
                buf_reset(&b->run_name);
                buf_reset(&b->run_cmd);
                reply_bulk(&b->run_name, run->argv[1].ptr, run->argv[1].len);
                reply_array(&b->run_cmd, run->argc);
                for (int i = 0; i < run->argc; i++)
                    reply_bulk(&b->run_cmd, run->argv[i].ptr, run->argv[i].len);
                pthread_mutex_unlock(&b->mu);
            }
            server_log(LL_WARNING,
                       "Slow script detected: still in execution after %lld milliseconds. You can try killing the "
                       "script using the SCRIPT KILL command.",
                       (long long)(now - atomic_load(&b->start_ms)));
        }
        if (now != s->script->last_tick_ms) { /* at most once a millisecond */
            s->script->last_tick_ms = now;
            shard_poll_busy(s);
        }
        if (atomic_load(&b->kill) || atomic_load(&s->srv->shutdown_requested))
            return 1;
    }
    return 0;
}

/* ---------------- busy replies and SCRIPT KILL ---------------- */

int script_busy_refuses_slow(struct shard *s, const struct command *cmd, const struct command *subcmd, int argc,
                             const struct arg *argv)
{
    if ((cmd->flags & CMD_ALLOW_BUSY) || (subcmd && (subcmd->flags & CMD_ALLOW_BUSY)))
        return 0;
    int n = s->srv->nshards;
    for (int i = 0; i < n; i++) {
        struct busy_slot *b = &busy_slots[i];
        if (!atomic_load(&b->busy))
            continue;
        if (i == s->id || atomic_load(&b->barrier))
            return atomic_load(&b->function) ? 2 : 1;
        int keypos[64];
        int nkeys = command_key_positions(cmd, argc, argv, keypos, 64);
        for (int k = 0; k < nkeys; k++) {
            const struct arg *a = &argv[keypos[k]];
            if (key_shard(a->ptr, a->len, key_hash(a->ptr, a->len), n) == i)
                return atomic_load(&b->function) ? 2 : 1;
        }
    }
    return 0;
}

/* Refuses a keyed command whose keys are on a busy shard (after routing). */
static int busy_shard(int shard)
{
    return atomic_load_explicit(&script_busy_shards, memory_order_relaxed) && atomic_load(&busy_slots[shard].busy);
}

/* SCRIPT KILL (function 0) or FUNCTION KILL (1). */
static void script_kill(struct cmd_ctx *c, int function)
{
    int n = c->nshards;
    for (int i = 0; i < n; i++) {
        struct busy_slot *b = &busy_slots[i];
        if (!atomic_load(&b->start_ms) || !atomic_load(&b->busy))
            continue;
        if (atomic_load(&b->function) != function) { /* the other kind runs */
            reply_error(c->out, function ? ERR_BUSY_SCRIPT : ERR_BUSY_FUNCTION);
            return;
        }
        if (atomic_load(&b->dirty)) {
            reply_error(c->out, "-UNKILLABLE Sorry the script already executed write commands against the dataset. "
                                "You can either wait the script termination or kill the server in a hard way using "
                                "the SHUTDOWN NOSAVE command.");
            return;
        }
        atomic_store(&b->kill, 1);
        reply_ok(c->out);
        return;
    }
    reply_error(c->out, "-NOTBUSY No scripts in execution right now.");
}

/* ---------------- SCRIPT ---------------- */

void cmd_script(struct cmd_ctx *c)
{
    const struct arg *sub = &c->argv[1];
    struct shard *s = c->shard;
    if (sub->len == 4 && !strncasecmp(sub->ptr, "help", 4)) {
        static const char *const lines[] = {
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        };
        size_t n = sizeof(lines) / sizeof(lines[0]);
        reply_array(c->out, (long long)n);
        for (size_t i = 0; i < n; i++)
            reply_simple(c->out, lines[i]);
        return;
    }
    if (sub->len == 4 && !strncasecmp(sub->ptr, "load", 4)) {
        struct script_shard *ss = script_shard(s);
        char sha[41], err[1024];
        lua_sha1hex(c->argv[2].ptr, c->argv[2].len, sha);
        int flags;
        size_t skip;
        if (lua_script_flags(c->argv[2].ptr, c->argv[2].len, &flags, &skip, err, sizeof(err)) < 0 ||
            lua_vm_define(ss->vm, sha, c->argv[2].ptr, c->argv[2].len, err, sizeof(err)) < 0) {
            reply_error(c->out, err);
            return;
        }
        struct local_script *ls = local_find(ss, sha, 1);
        ls->flags = flags;
        cache_add(sha, c->argv[2].ptr, c->argv[2].len);
        reply_bulk(c->out, sha, 40);
        return;
    }
    if (sub->len == 6 && !strncasecmp(sub->ptr, "exists", 6)) {
        reply_array(c->out, c->argc - 2);
        for (int i = 2; i < c->argc; i++) {
            char sha[41];
            reply_integer(c->out, normalize_sha(&c->argv[i], sha) && cache_has(sha));
        }
        return;
    }
    if (sub->len == 5 && !strncasecmp(sub->ptr, "flush", 5)) {
        if (c->argc > 3 ||
            (c->argc == 3 && strncasecmp(c->argv[2].ptr, "sync", 4) != 0 &&
             strncasecmp(c->argv[2].ptr, "async", 5) != 0) ||
            (c->argc == 3 && c->argv[2].len != 4 && c->argv[2].len != 5)) {
            reply_error(c->out, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            return;
        }
        cache_flush();
        script_shard(s); /* this thread forgets at once; the others before their next script */
        reply_ok(c->out);
        return;
    }
    if (sub->len == 4 && !strncasecmp(sub->ptr, "kill", 4)) {
        script_kill(c, 0);
        return;
    }
    if (sub->len == 5 && !strncasecmp(sub->ptr, "debug", 5)) {
        if (c->argc == 3 && c->argv[2].len == 2 && !strncasecmp(c->argv[2].ptr, "no", 2)) {
            reply_ok(c->out);
            return;
        }
        if (c->argc == 3 && ((c->argv[2].len == 3 && !strncasecmp(c->argv[2].ptr, "yes", 3)) ||
                             (c->argv[2].len == 4 && !strncasecmp(c->argv[2].ptr, "sync", 4)))) {
            reply_error(c->out, "ERR SCRIPT DEBUG is not supported by shardis (no Lua debugger)");
            return;
        }
        reply_error(c->out, "ERR Use SCRIPT DEBUG YES/SYNC/NO");
        return;
    }
    reply_errorf(c->out, "ERR unknown subcommand '%.*s'. Try SCRIPT HELP.", (int)(sub->len > 128 ? 128 : sub->len),
                 sub->ptr);
}

/* ---------------- placement ---------------- */

/* The table's handler: EVAL run by EXEC (in one hop or gathered over a
 * private db) or by a hop; keys outside what it may touch fail. */
static void eval_in_ctx(struct cmd_ctx *c, int rerunnable)
{
    struct shard *s = c->shard;
    struct script_run run = {0};
    run.dbid = c->dbid;
    run.rerunnable = rerunnable;
    run.client = c->client;
    if (c->db != s->dbs[c->dbid]) {
        /* gathered over a private db (cross-shard EXEC): redis.call would
         * reach the shard's real keys, not the gathered ones */
        reply_error(c->out, "ERR shardis runs EVAL inside MULTI/EXEC only when its keys share one shard");
        return;
    }
    script_execute(s, &run, c->cmd, c->argc, c->argv, c->resp, c->out);
    effect_none(c); /* the commands it ran logged their own effects */
}

void cmd_eval(struct cmd_ctx *c)
{
    eval_in_ctx(c, 0);
}

static void eval_hop(struct cmd_ctx *c)
{
    eval_in_ctx(c, 1);
}

/* The body under the global barrier, on the client's thread. */
static void barrier_body(struct shard *s, struct request *r)
{
    struct script_run run = {0};
    run.barrier = 1;
    run.req = r;
    run.dbid = r->dbid;
    run.client = r->client;
    run.log_id = r->tx->log_id;
    run.log_parts = r->tx->nused;
    script_execute(s, &run, r->cmd, r->argc, r->argv, r->resp, &r->reply);
    request_body_finished(s, r);
}

static void start_barrier(struct shard *s, struct request *r)
{
    struct client *c = r->client;
    c->paused = 1;
    c->barrier = r;
    struct txn *tx = txn_new(s->srv->nshards);
    txn_add_global(tx);
    tx->writes = !is_ro_command(r->cmd);
    r->aux = CUSTOM_NONE;
    txn_begin(s, r, tx, barrier_body);
}

int script_hop_done(struct shard *s, struct request *r)
{
    struct subreq *sub = &r->subs[0];
    if (sub->out.len == strlen(STRAY_MARK) && !memcmp(sub->out.data, STRAY_MARK, sub->out.len)) {
        /* this thread learns it too: the script takes the barrier from now on */
        char key[41];
        if (is_fcall(r->cmd))
            function_key(r->argv[1].ptr, r->argv[1].len, key);
        else if (is_sha_command(r->cmd))
            normalize_sha(&r->argv[1], key);
        else
            lua_sha1hex(r->argv[1].ptr, r->argv[1].len, key);
        struct local_script *ls = local_find(script_shard(s), key, 0);
        if (ls)
            ls->fp = FP_STRAYS;
        subs_free(r);
        start_barrier(s, r);
        return 0;
    }
    buf_append(&r->reply, sub->out.data, sub->out.len);
    return 1;
}

void script_dispatch(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
{
    struct shard *s = c->shard;
    int nshards = s->srv->nshards;
    struct request *req;
    struct buf *out;
    /* Resolve the script and its numkeys here to answer errors at once. */
    struct buf err = {0};
    /* FCALL checks numkeys before the function, EVAL the script first */
    struct local_script *ls = NULL;
    long long nkeys = -1;
    if (is_fcall(cmd)) {
        nkeys = parse_numkeys(argc, argv, &err);
        ls = nkeys >= 0 ? script_resolve(s, cmd, argv, &err) : NULL;
    } else {
        ls = script_resolve(s, cmd, argv, &err);
        nkeys = ls ? parse_numkeys(argc, argv, &err) : -1;
    }
    if (!ls || nkeys < 0) {
        out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        buf_append(out, err.data, err.len);
        buf_free(&err);
        reply_ready(c, req, out, before);
        return;
    }
    /* where the declared keys are */
    int home = nkeys ? (nshards == 1 ? 0 : -2) : -1;
    uint64_t hash_small[16];
    uint64_t *hashes = argc <= 16 ? hash_small : malloc(sizeof(uint64_t) * (size_t)argc);
    int shard_small[16];
    int *shard_of = argc <= 16 ? shard_small : malloc(sizeof(int) * (size_t)argc);
    for (int i = 0; i < argc; i++) {
        hashes[i] = 0;
        shard_of[i] = -1;
    }
    int one_shard = 1;
    for (int k = 0; k < nkeys; k++) {
        const struct arg *a = &argv[3 + k];
        hashes[3 + k] = key_hash(a->ptr, a->len);
        shard_of[3 + k] = nshards == 1 ? 0 : key_shard(a->ptr, a->len, hashes[3 + k], nshards);
        if (home == -2)
            home = shard_of[3 + k];
        else if (home != shard_of[3 + k])
            one_shard = 0;
    }
    if (home < 0)
        home = s->id;
    int busy = busy_shard(home);
    /* A script this thread saw keep to its keys' shard runs there; the rest
     * (and the caller of a restricted user on another thread's keys, whose
     * ACL session lives here) under the barrier. */
    int local = one_shard && (nshards == 1 || ls->fp == FP_CLEAN) &&
                (home == s->id || acl_session_unrestricted(&c->acl)) && !s->script->run;
    if (busy && !(cmd->flags & CMD_ALLOW_BUSY)) {
        out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_error(out, atomic_load(&busy_slots[home].function) ? ERR_BUSY_FUNCTION : ERR_BUSY_SCRIPT);
        reply_ready(c, req, out, before);
    } else if (local && home == s->id && (locktab_idle(s->locks) || !shard_keys_locked(s, cmd, argc, argv, hashes))) {
        /* The reply is built aside: a busy-time poll may send and consume
         * the client's output while the script runs. */
        struct buf reply = {0};
        struct script_run run = {0};
        run.dbid = c->dbid;
        run.rerunnable = 1;
        run.client = c;
        script_execute(s, &run, cmd, argc, argv, c->resp, &reply);
        if (run.strayed) {
            struct request *r = request_new(c, cmd, argc, argv);
            memcpy(r->hashes, hashes, sizeof(uint64_t) * (size_t)argc);
            memcpy(r->shard_of, shard_of, sizeof(int) * (size_t)argc);
            start_barrier(s, r);
        } else {
            out = reply_target(c, cmd, argc, argv, &req);
            size_t before = out->len;
            buf_append(out, reply.data, reply.len);
            reply_ready(c, req, out, before);
        }
        buf_free(&reply);
    } else if (local) {
        struct request *r = request_new(c, cmd, argc, argv);
        memcpy(r->hashes, hashes, sizeof(uint64_t) * (size_t)argc);
        memcpy(r->shard_of, shard_of, sizeof(int) * (size_t)argc);
        r->aux = CUSTOM_SCRIPT;
        struct subreq *sub = subs_alloc(r, 1);
        sub->shard = home;
        sub->handler = eval_hop;
        subs_launch(s, r);
    } else {
        struct request *r = request_new(c, cmd, argc, argv);
        memcpy(r->hashes, hashes, sizeof(uint64_t) * (size_t)argc);
        memcpy(r->shard_of, shard_of, sizeof(int) * (size_t)argc);
        start_barrier(s, r);
    }
    if (hashes != hash_small)
        free(hashes);
    if (shard_of != shard_small)
        free(shard_of);
}

/* ---------------- FUNCTION ---------------- */

/* The library name of `#!lua name=<lib>`; 0 or -1 with Redis's error. */
static int library_metadata(const char *code, size_t len, char *name, size_t namesize, char *err, size_t errlen)
{
    if (len < 2 || code[0] != '#' || code[1] != '!') {
        snprintf(err, errlen, "ERR Missing library metadata");
        return -1;
    }
    size_t line = shebang_len(code, len);
    const char *p = code + 2, *end = code + line;
    const char *w = p;
    while (p < end && *p != ' ')
        p++;
    if ((size_t)(p - w) != 3 || strncasecmp(w, "lua", 3) != 0) {
        snprintf(err, errlen, "ERR Engine '%.*s' not found", (int)((p - w) > 100 ? 100 : (p - w)), w);
        return -1;
    }
    name[0] = '\0';
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            break;
        w = p;
        while (p < end && *p != ' ')
            p++;
        size_t wl = (size_t)(p - w);
        if (wl >= 5 && !memcmp(w, "name=", 5)) {
            if (name[0]) {
                snprintf(err, errlen, "ERR Invalid metadata value, name argument was given multiple times");
                return -1;
            }
            snprintf(name, namesize, "%.*s", (int)(wl - 5), w + 5);
            continue;
        }
        snprintf(err, errlen, "ERR Invalid metadata value given: %.*s", (int)(wl > 100 ? 100 : wl), w);
        return -1;
    }
    if (!name[0]) {
        snprintf(err, errlen, "ERR Library name was not given");
        return -1;
    }
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            snprintf(err, errlen,
                     "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
                     "at least one character long");
            return -1;
        }
    return 0;
}

static void function_load(struct cmd_ctx *c)
{
    int replace = 0, at = c->argc - 1; /* the code is last; options before it */
    for (int i = 2; i < at; i++) {
        if (c->argv[i].len != 7 || strncasecmp(c->argv[i].ptr, "replace", 7) != 0) {
            reply_errorf(c->out, "ERR Unknown option given: %.*s", (int)(c->argv[i].len > 100 ? 100 : c->argv[i].len),
                         c->argv[i].ptr);
            return;
        }
        replace = 1;
    }
    const struct arg *code = &c->argv[at];
    char libname[256], err[1024];
    if (library_metadata(code->ptr, code->len, libname, sizeof(libname), err, sizeof(err)) < 0) {
        reply_error(c->out, err);
        return;
    }
    if (!replace) {
        pthread_mutex_lock(&cache.mu);
        int exists = *fn_lib_find(libname) != NULL;
        pthread_mutex_unlock(&cache.mu);
        if (exists) {
            reply_errorf(c->out, "ERR Library '%s' already exists", libname);
            return;
        }
    }
    /* Validated in an interpreter of its own, so a failing library leaves
     * no trace in the threads' interpreters. */
    struct lua_vm *tmp = lua_vm_new(LUA_MEMORY_LIMIT, &host_ops, c->shard);
    lua_vm_set_mem_limit(tmp, LUA_MEMORY_LIMIT);
    struct fn_collect fc = {0};
    int rc = lua_vm_load_library(tmp, code->ptr, code->len, shebang_len(code->ptr, code->len), fn_registered, &fc, err,
                                 sizeof(err));
    lua_vm_free(tmp);
    if (rc < 0) {
        for (int i = 0; i < fc.n; i++) {
            free(fc.defs[i].name);
            free(fc.defs[i].desc);
        }
        free(fc.defs);
        reply_error(c->out, err);
        return;
    }
    pthread_mutex_lock(&cache.mu);
    struct fn_lib **pp = fn_lib_find(libname);
    const char *error = NULL;
    char msg[400];
    if (*pp && !replace) {
        snprintf(msg, sizeof(msg), "ERR Library '%s' already exists", libname);
        error = msg;
    }
    for (int i = 0; !error && i < fc.n; i++)
        for (struct fn_lib *l = fn_libs; l && !error; l = l->next) {
            if (l == *pp)
                continue;
            for (int j = 0; j < l->nfuncs; j++)
                if (!strcasecmp(l->funcs[j].name, fc.defs[i].name)) {
                    snprintf(msg, sizeof(msg), "ERR Function %s already exists", fc.defs[i].name);
                    error = msg;
                    break;
                }
        }
    if (!error) {
        struct fn_lib *l = calloc(1, sizeof(*l));
        l->name = strdup(libname);
        l->code = malloc(code->len ? code->len : 1);
        memcpy(l->code, code->ptr, code->len);
        l->len = code->len;
        l->funcs = fc.defs;
        l->nfuncs = fc.n;
        fc.defs = NULL;
        if (*pp) { /* REPLACE */
            struct fn_lib *old = *pp;
            l->next = old->next;
            *pp = l;
            fn_lib_free(old);
        } else {
            l->next = fn_libs;
            fn_libs = l;
        }
        atomic_fetch_add(&fn_version, 1);
    }
    pthread_mutex_unlock(&cache.mu);
    if (fc.defs) {
        for (int i = 0; i < fc.n; i++) {
            free(fc.defs[i].name);
            free(fc.defs[i].desc);
        }
        free(fc.defs);
    }
    if (error)
        reply_error(c->out, error);
    else
        reply_bulk(c->out, libname, strlen(libname));
}

static void reply_flags(struct buf *out, int resp, int flags)
{
    static const struct {
        int flag;
        const char *name;
    } names[] = {{SCRIPT_FLAG_NO_WRITES, "no-writes"},
                 {SCRIPT_FLAG_ALLOW_OOM, "allow-oom"},
                 {SCRIPT_FLAG_ALLOW_STALE, "allow-stale"},
                 {SCRIPT_FLAG_NO_CLUSTER, "no-cluster"},
                 {SCRIPT_FLAG_ALLOW_CROSS_SLOT, "allow-cross-slot-keys"}};
    int n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        n += (flags & names[i].flag) != 0;
    reply_set(out, resp, n);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (flags & names[i].flag)
            reply_simple(out, names[i].name);
}

static void function_list(struct cmd_ctx *c)
{
    int withcode = 0;
    const char *pattern = NULL;
    size_t plen = 0;
    for (int i = 2; i < c->argc; i++) {
        const struct arg *a = &c->argv[i];
        if (a->len == 8 && !strncasecmp(a->ptr, "withcode", 8) && !withcode) {
            withcode = 1;
        } else if (a->len == 11 && !strncasecmp(a->ptr, "libraryname", 11) && i + 1 >= c->argc) {
            reply_error(c->out, "ERR library name argument was not given");
            return;
        } else if (a->len == 11 && !strncasecmp(a->ptr, "libraryname", 11) && !pattern) {
            pattern = c->argv[++i].ptr;
            plen = c->argv[i].len;
        } else {
            reply_errorf(c->out, "ERR Unknown argument %.*s", (int)(a->len > 100 ? 100 : a->len), a->ptr);
            return;
        }
    }
    pthread_mutex_lock(&cache.mu);
    long long n = 0;
    for (struct fn_lib *l = fn_libs; l; l = l->next)
        n += !pattern || stringmatchlen(pattern, plen, l->name, strlen(l->name), 0);
    reply_array(c->out, n);
    for (struct fn_lib *l = fn_libs; l; l = l->next) {
        if (pattern && !stringmatchlen(pattern, plen, l->name, strlen(l->name), 0))
            continue;
        reply_map(c->out, c->resp, withcode ? 4 : 3);
        reply_simple(c->out, "library_name");
        reply_bulk_cstr(c->out, l->name);
        reply_simple(c->out, "engine");
        reply_bulk_cstr(c->out, "LUA");
        reply_simple(c->out, "functions");
        reply_array(c->out, l->nfuncs);
        for (int i = 0; i < l->nfuncs; i++) {
            reply_map(c->out, c->resp, 3);
            reply_simple(c->out, "name");
            reply_bulk_cstr(c->out, l->funcs[i].name);
            reply_simple(c->out, "description");
            if (l->funcs[i].desc)
                reply_bulk_cstr(c->out, l->funcs[i].desc);
            else
                reply_null(c->out, c->resp);
            reply_simple(c->out, "flags");
            reply_flags(c->out, c->resp, l->funcs[i].flags);
        }
        if (withcode) {
            reply_simple(c->out, "library_code");
            reply_bulk(c->out, l->code, l->len);
        }
    }
    pthread_mutex_unlock(&cache.mu);
}

void cmd_function(struct cmd_ctx *c)
{
    const struct arg *sub = &c->argv[1];
    if (sub->len == 4 && !strncasecmp(sub->ptr, "load", 4)) {
        function_load(c);
    } else if (sub->len == 6 && !strncasecmp(sub->ptr, "delete", 6)) {
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(c->argv[2].len > 255 ? 255 : c->argv[2].len), c->argv[2].ptr);
        pthread_mutex_lock(&cache.mu);
        struct fn_lib **pp = fn_lib_find(name);
        struct fn_lib *l = *pp;
        if (l) {
            *pp = l->next;
            fn_lib_free(l);
            atomic_fetch_add(&fn_version, 1);
        }
        pthread_mutex_unlock(&cache.mu);
        if (l)
            reply_ok(c->out);
        else
            reply_error(c->out, "ERR Library not found");
    } else if (sub->len == 5 && !strncasecmp(sub->ptr, "flush", 5)) {
        if (c->argc > 3) {
            reply_error(c->out, "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
            return;
        }
        if (c->argc == 3 && !((c->argv[2].len == 4 && !strncasecmp(c->argv[2].ptr, "sync", 4)) ||
                              (c->argv[2].len == 5 && !strncasecmp(c->argv[2].ptr, "async", 5)))) {
            reply_error(c->out, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }
        pthread_mutex_lock(&cache.mu);
        while (fn_libs) {
            struct fn_lib *l = fn_libs;
            fn_libs = l->next;
            fn_lib_free(l);
        }
        atomic_fetch_add(&fn_version, 1);
        pthread_mutex_unlock(&cache.mu);
        reply_ok(c->out);
    } else if (sub->len == 4 && !strncasecmp(sub->ptr, "list", 4)) {
        function_list(c);
    } else if (sub->len == 5 && !strncasecmp(sub->ptr, "stats", 5)) {
        long long libs = 0, funcs = 0;
        pthread_mutex_lock(&cache.mu);
        for (struct fn_lib *l = fn_libs; l; l = l->next) {
            libs++;
            funcs += l->nfuncs;
        }
        pthread_mutex_unlock(&cache.mu);
        reply_map(c->out, c->resp, 2);
        reply_simple(c->out, "running_script");
        int shown = 0;
        for (int i = 0; i < c->nshards && !shown; i++) {
            struct busy_slot *b = &busy_slots[i];
            if (!atomic_load(&b->busy) || !atomic_load(&b->function))
                continue;
            pthread_mutex_lock(&b->mu);
            if (b->run_name.len) {
                reply_map(c->out, c->resp, 3);
                reply_simple(c->out, "name");
                buf_append(c->out, b->run_name.data, b->run_name.len);
                reply_simple(c->out, "command");
                buf_append(c->out, b->run_cmd.data, b->run_cmd.len);
                shown = 1;
            }
            pthread_mutex_unlock(&b->mu);
            if (shown) {
                reply_simple(c->out, "duration_ms");
                reply_integer(c->out, mstime() - atomic_load(&b->start_ms));
            }
        }
        if (!shown)
            reply_null(c->out, c->resp);
        reply_simple(c->out, "engines");
        reply_map(c->out, c->resp, 1);
        reply_simple(c->out, "LUA");
        reply_map(c->out, c->resp, 2);
        reply_simple(c->out, "libraries_count");
        reply_integer(c->out, libs);
        reply_simple(c->out, "functions_count");
        reply_integer(c->out, funcs);
    } else if (sub->len == 4 && !strncasecmp(sub->ptr, "kill", 4)) {
        script_kill(c, 1);
    } else if (sub->len == 4 && !strncasecmp(sub->ptr, "help", 4)) {
        static const char *const lines[] = {
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "KILL",
            "    Kill the current running function.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "HELP",
            "    Prints this help.",
        };
        size_t n = sizeof(lines) / sizeof(lines[0]);
        reply_array(c->out, (long long)n);
        for (size_t i = 0; i < n; i++)
            reply_simple(c->out, lines[i]);
    } else {
        reply_errorf(c->out, "ERR unknown subcommand '%.*s'. Try FUNCTION HELP.",
                     (int)(sub->len > 128 ? 128 : sub->len), sub->ptr);
    }
}

long long script_function_count(long long *libraries)
{
    long long libs = 0, funcs = 0;
    pthread_mutex_lock(&cache.mu);
    for (struct fn_lib *l = fn_libs; l; l = l->next) {
        libs++;
        funcs += l->nfuncs;
    }
    pthread_mutex_unlock(&cache.mu);
    *libraries = libs;
    return funcs;
}
