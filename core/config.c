/*
 * config.c - option table, file parsing, CONFIG GET/SET/REWRITE.
 *
 * Every option is one row of config_options[]: its Redis name, kind, where it
 * lives in struct config, its bounds, and whether CONFIG SET may change it at
 * run time. The file parser, the command-line parser, CONFIG GET and CONFIG
 * SET all go through that table, so an option exists everywhere or nowhere.
 * The file syntax is redis.conf's: one "name value..." per line, '#'
 * comments, double/single-quoted values.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static struct config defaults_storage; /* written once, by defaults_init */
static void defaults_init(void);

/* OPT_LINES: a directive that may repeat (user, rename-command): each one
 * appends its words as a line; not shown by CONFIG GET, file only. */
enum opt_kind {
    OPT_INT,
    OPT_LL,
    OPT_MEM,
    OPT_BOOL,
    OPT_STRING,
    OPT_ENUM_LOGLEVEL,
    OPT_BIND,
    OPT_ENUM,
    OPT_ENUM_POLICY,
    OPT_OBUF,
    OPT_LINES,
    OPT_SAVE,
    OPT_DIR,
    OPT_FILENAME
};

struct config_option {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    long long min, max;
    int mutable_at_runtime;
    const char *const *names; /* OPT_ENUM: value i is names[i], NULL-terminated */
};

static const char *const tls_auth_clients_names[] = {"no", "yes", "optional", NULL};
static const char *const tls_auth_clients_user_names[] = {"off", "CN", NULL};
static const char *const appendfsync_names[] = {"everysec", "always", "no", NULL}; /* Redis's order */

#define OFF(field) offsetof(struct config, field)

static const struct config_option config_options[] = {
    {"port", OPT_INT, OFF(port), 0, 65535, 0, NULL},
    {"bind", OPT_BIND, OFF(bind), 0, 0, 0, NULL},
    {"threads", OPT_INT, OFF(threads), 1, 256, 0, NULL},
    {"loglevel", OPT_ENUM_LOGLEVEL, OFF(loglevel), 0, 0, 1, NULL},
    {"logfile", OPT_STRING, OFF(logfile), 0, 0, 0, NULL},
    {"daemonize", OPT_BOOL, OFF(daemonize), 0, 1, 0, NULL},
    {"pidfile", OPT_STRING, OFF(pidfile), 0, 0, 0, NULL},
    {"databases", OPT_INT, OFF(databases), 1, 1024, 0, NULL},
    {"hz", OPT_INT, OFF(hz), 1, 500, 1, NULL},
    {"proto-max-bulk-len", OPT_MEM, OFF(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, 1, NULL},
    {"client-query-buffer-limit", OPT_MEM, OFF(client_query_buffer_limit), 1024 * 1024, LLONG_MAX, 1, NULL},
    {"maxclients", OPT_LL, OFF(maxclients), 1, INT_MAX, 1, NULL},
    {"timeout", OPT_LL, OFF(timeout), 0, INT_MAX, 1, NULL},
    {"tcp-backlog", OPT_INT, OFF(tcp_backlog), 0, INT_MAX, 0, NULL},
    {"tcp-keepalive", OPT_INT, OFF(tcp_keepalive), 0, INT_MAX, 1, NULL},
    {"hash-max-listpack-entries", OPT_LL, OFF(hash_max_listpack_entries), 0, LLONG_MAX, 1, NULL},
    {"hash-max-listpack-value", OPT_LL, OFF(hash_max_listpack_value), 0, LLONG_MAX, 1, NULL},
    {"hash-max-ziplist-entries", OPT_LL, OFF(hash_max_listpack_entries), 0, LLONG_MAX, 1, NULL},
    {"hash-max-ziplist-value", OPT_LL, OFF(hash_max_listpack_value), 0, LLONG_MAX, 1, NULL},
    {"set-max-intset-entries", OPT_LL, OFF(set_max_intset_entries), 0, LLONG_MAX, 1, NULL},
    {"set-max-listpack-entries", OPT_LL, OFF(set_max_listpack_entries), 0, LLONG_MAX, 1, NULL},
    {"set-max-listpack-value", OPT_LL, OFF(set_max_listpack_value), 0, LLONG_MAX, 1, NULL},
    {"zset-max-listpack-entries", OPT_LL, OFF(zset_max_listpack_entries), 0, LLONG_MAX, 1, NULL},
    {"zset-max-listpack-value", OPT_LL, OFF(zset_max_listpack_value), 0, LLONG_MAX, 1, NULL},
    {"zset-max-ziplist-entries", OPT_LL, OFF(zset_max_listpack_entries), 0, LLONG_MAX, 1, NULL},
    {"zset-max-ziplist-value", OPT_LL, OFF(zset_max_listpack_value), 0, LLONG_MAX, 1, NULL},
    {"list-max-listpack-size", OPT_INT, OFF(list_max_listpack_size), INT_MIN, INT_MAX, 1, NULL},
    {"list-max-ziplist-size", OPT_INT, OFF(list_max_listpack_size), INT_MIN, INT_MAX, 1, NULL},
    {"list-compress-depth", OPT_INT, OFF(list_compress_depth), 0, INT_MAX, 1, NULL},
    {"lazyfree-lazy-user-del", OPT_BOOL, OFF(lazyfree_lazy_user_del), 0, 1, 1, NULL},
    {"lazyfree-lazy-user-flush", OPT_BOOL, OFF(lazyfree_lazy_user_flush), 0, 1, 1, NULL},
    {"lazyfree-lazy-server-del", OPT_BOOL, OFF(lazyfree_lazy_server_del), 0, 1, 1, NULL},
    {"lazyfree-lazy-expire", OPT_BOOL, OFF(lazyfree_lazy_expire), 0, 1, 1, NULL},
    {"tls-port", OPT_INT, OFF(tls_port), 0, 65535, 0, NULL},
    {"tls-cert-file", OPT_STRING, OFF(tls_cert_file), 0, 0, 1, NULL},
    {"tls-key-file", OPT_STRING, OFF(tls_key_file), 0, 0, 1, NULL},
    {"tls-key-file-pass", OPT_STRING, OFF(tls_key_file_pass), 0, 0, 1, NULL},
    {"tls-ca-cert-file", OPT_STRING, OFF(tls_ca_cert_file), 0, 0, 1, NULL},
    {"tls-ca-cert-dir", OPT_STRING, OFF(tls_ca_cert_dir), 0, 0, 1, NULL},
    {"tls-auth-clients", OPT_ENUM, OFF(tls_auth_clients), 0, 0, 1, tls_auth_clients_names},
    {"tls-protocols", OPT_STRING, OFF(tls_protocols), 0, 0, 1, NULL},
    {"tls-ciphers", OPT_STRING, OFF(tls_ciphers), 0, 0, 1, NULL},
    {"tls-ciphersuites", OPT_STRING, OFF(tls_ciphersuites), 0, 0, 1, NULL},
    {"tls-prefer-server-ciphers", OPT_BOOL, OFF(tls_prefer_server_ciphers), 0, 1, 1, NULL},
    {"tls-session-caching", OPT_BOOL, OFF(tls_session_caching), 0, 1, 1, NULL},
    {"tls-session-cache-size", OPT_LL, OFF(tls_session_cache_size), 0, INT_MAX, 1, NULL},
    {"tls-session-cache-timeout", OPT_LL, OFF(tls_session_cache_timeout), 0, INT_MAX, 1, NULL},
    {"tls-auth-clients-user", OPT_ENUM, OFF(tls_auth_clients_user), 0, 0, 1, tls_auth_clients_user_names},
    {"lazyfree-lazy-eviction", OPT_BOOL, OFF(lazyfree_lazy_eviction), 0, 1, 1, NULL},
    {"maxmemory", OPT_MEM, OFF(maxmemory), 0, LLONG_MAX, 1, NULL},
    {"maxmemory-policy", OPT_ENUM_POLICY, OFF(maxmemory_policy), 0, 0, 1, NULL},
    {"maxmemory-samples", OPT_INT, OFF(maxmemory_samples), 1, 64, 1, NULL},
    {"maxmemory-eviction-tenacity", OPT_INT, OFF(maxmemory_eviction_tenacity), 0, 100, 1, NULL},
    {"lfu-log-factor", OPT_INT, OFF(lfu_log_factor), 0, INT_MAX, 1, NULL},
    {"lfu-decay-time", OPT_INT, OFF(lfu_decay_time), 0, INT_MAX, 1, NULL},
    {"client-output-buffer-limit", OPT_OBUF, OFF(obuf_limits), 0, 0, 1, NULL},
    {"requirepass", OPT_STRING, OFF(requirepass), 0, 0, 1, NULL},
    {"aclfile", OPT_STRING, OFF(aclfile), 0, 0, 0, NULL},
    {"acllog-max-len", OPT_LL, OFF(acllog_max_len), 0, LLONG_MAX, 1, NULL},
    {"protected-mode", OPT_BOOL, OFF(protected_mode), 0, 1, 1, NULL},
    {"auth-max-failures-per-second", OPT_LL, OFF(auth_max_failures_per_second), 0, LLONG_MAX, 1, NULL},
    {"audit-log-file", OPT_STRING, OFF(audit_log_file), 0, 0, 0, NULL},
    {"user", OPT_LINES, OFF(user_lines), 0, 0, 0, NULL},
    {"rename-command", OPT_LINES, OFF(rename_lines), 0, 0, 0, NULL},
    {"save", OPT_SAVE, OFF(nsave), 0, 0, 1, NULL},
    {"dir", OPT_DIR, OFF(dir), 0, 0, 1, NULL},
    {"dbfilename", OPT_FILENAME, OFF(dbfilename), 0, 0, 1, NULL},
    {"rdbcompression", OPT_BOOL, OFF(rdbcompression), 0, 1, 1, NULL},
    {"rdbchecksum", OPT_BOOL, OFF(rdbchecksum), 0, 1, 1, NULL},
    {"stop-writes-on-bgsave-error", OPT_BOOL, OFF(stop_writes_on_bgsave_error), 0, 1, 1, NULL},
    {"appendonly", OPT_BOOL, OFF(appendonly), 0, 1, 1, NULL},
    {"appendfsync", OPT_ENUM, OFF(appendfsync), 0, 0, 1, appendfsync_names},
    {"appendfilename", OPT_FILENAME, OFF(appendfilename), 0, 0, 0, NULL},
    {"appenddirname", OPT_FILENAME, OFF(appenddirname), 0, 0, 0, NULL},
    {"aof-load-truncated", OPT_BOOL, OFF(aof_load_truncated), 0, 1, 1, NULL},
    {"auto-aof-rewrite-percentage", OPT_LL, OFF(auto_aof_rewrite_percentage), 0, INT_MAX, 1, NULL},
    {"auto-aof-rewrite-min-size", OPT_MEM, OFF(auto_aof_rewrite_min_size), 0, LLONG_MAX, 1, NULL},
    {"aof-use-rdb-preamble", OPT_BOOL, OFF(aof_use_rdb_preamble), 0, 1, 1, NULL},
    {"aof-rewrite-incremental-fsync", OPT_BOOL, OFF(aof_rewrite_incremental_fsync), 0, 1, 1, NULL},
    {"no-appendfsync-on-rewrite", OPT_BOOL, OFF(no_appendfsync_on_rewrite), 0, 1, 1, NULL},
    {"aof-timestamp-enabled", OPT_BOOL, OFF(aof_timestamp_enabled), 0, 1, 1, NULL},
};
#define NOPTIONS (sizeof(config_options) / sizeof(config_options[0]))

static const char *loglevel_names[] = {"debug", "verbose", "notice", "warning", "nothing"};
static const char *policy_names[] = {"noeviction",   "allkeys-lru",  "allkeys-lfu",     "allkeys-random",
                                     "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"};
static const char *obuf_class_names[] = {"normal", "slave", "pubsub"};

const char *config_maxmemory_policy_name(int policy)
{
    return policy >= 0 && policy < 8 ? policy_names[policy] : "noeviction";
}

/* client-output-buffer-limit: groups of "<class> <hard> <soft> <seconds>";
 * only the classes named change. "replica" is an alias of "slave". Values
 * come as separate words (file) or as one string (CONFIG SET). */
static int parse_obuf_limits(struct config *cfg, const char *const *values, int nvalues, char *err, size_t errlen)
{
    char joined[1024];
    size_t n = 0;
    for (int i = 0; i < nvalues; i++) {
        int w = snprintf(joined + n, sizeof(joined) - n, "%s%s", i ? " " : "", values[i]);
        if (w < 0 || (size_t)w >= sizeof(joined) - n) {
            snprintf(err, errlen, "Invalid client output buffer limit: value too long");
            return -1;
        }
        n += (size_t)w;
    }
    char *words[64];
    int nw = 0;
    char *save = NULL;
    for (char *t = strtok_r(joined, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (nw == 64)
            goto bad;
        words[nw++] = t;
    }
    if (nw == 0 || nw % 4 != 0)
        goto bad;
    struct obuf_limit next[3];
    memcpy(next, cfg->obuf_limits, sizeof(next));
    for (int i = 0; i < nw; i += 4) {
        int cls = -1;
        if (!strcasecmp(words[i], "normal"))
            cls = OBUF_NORMAL;
        else if (!strcasecmp(words[i], "slave") || !strcasecmp(words[i], "replica"))
            cls = OBUF_REPLICA;
        else if (!strcasecmp(words[i], "pubsub"))
            cls = OBUF_PUBSUB;
        long long hard, soft, secs;
        if (cls < 0 || config_parse_memory(words[i + 1], &hard) < 0 || config_parse_memory(words[i + 2], &soft) < 0 ||
            !string2ll(words[i + 3], strlen(words[i + 3]), &secs) || secs < 0)
            goto bad;
        next[cls].hard = hard;
        next[cls].soft = soft;
        next[cls].soft_seconds = secs;
    }
    memcpy(cfg->obuf_limits, next, sizeof(next));
    return 0;
bad:
    snprintf(err, errlen, "Invalid client output buffer limit class or value");
    return -1;
}

void config_init_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 6379;
    cfg->nbind = 2;
    strcpy(cfg->bind[0], "127.0.0.1");
    strcpy(cfg->bind[1], "-::1");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = n > 0 ? (n > 256 ? 256 : (int)n) : 1;
    cfg->loglevel = LL_NOTICE;
    cfg->databases = 16;
    cfg->hz = 10;
    cfg->proto_max_bulk_len = 512LL * 1024 * 1024;
    cfg->client_query_buffer_limit = 1024LL * 1024 * 1024;
    cfg->maxclients = 10000;
    cfg->timeout = 0;
    cfg->tcp_backlog = 511;
    cfg->tcp_keepalive = 300;
    cfg->hash_max_listpack_entries = 128;
    cfg->hash_max_listpack_value = 64;
    cfg->set_max_intset_entries = 512;
    cfg->set_max_listpack_entries = 128;
    cfg->set_max_listpack_value = 64;
    cfg->zset_max_listpack_entries = 128;
    cfg->zset_max_listpack_value = 64;
    cfg->list_max_listpack_size = -2;
    cfg->list_compress_depth = 0;
    cfg->lazyfree_lazy_user_del = 0;
    cfg->lazyfree_lazy_user_flush = 0;
    cfg->lazyfree_lazy_server_del = 0;
    cfg->lazyfree_lazy_expire = 0;
    cfg->tls_auth_clients = TLS_AUTH_CLIENTS_YES;
    cfg->tls_session_caching = 1;
    cfg->tls_session_cache_size = 20 * 1024;
    cfg->tls_session_cache_timeout = 300;
    cfg->lazyfree_lazy_eviction = 0;
    cfg->maxmemory = 0;
    cfg->maxmemory_policy = MAXMEMORY_NOEVICTION;
    cfg->maxmemory_samples = 5;
    cfg->maxmemory_eviction_tenacity = 10;
    cfg->lfu_log_factor = 10;
    cfg->lfu_decay_time = 1;
    cfg->obuf_limits[OBUF_NORMAL] = (struct obuf_limit){0, 0, 0};
    cfg->obuf_limits[OBUF_REPLICA] = (struct obuf_limit){256LL * 1024 * 1024, 64LL * 1024 * 1024, 60};
    cfg->obuf_limits[OBUF_PUBSUB] = (struct obuf_limit){32LL * 1024 * 1024, 8LL * 1024 * 1024, 60};
    cfg->acllog_max_len = 128;
    cfg->protected_mode = 1;
    cfg->auth_max_failures_per_second = 10;
    /* Redis 7's default rules: after 3600 s with 1 change, 300 s with 100,
     * 60 s with 10000. */
    static const long long rules[][2] = {{3600, 1}, {300, 100}, {60, 10000}};
    cfg->nsave = 3;
    for (int i = 0; i < 3; i++) {
        cfg->save_seconds[i] = rules[i][0];
        cfg->save_changes[i] = rules[i][1];
    }
    if (!getcwd(cfg->dir, sizeof(cfg->dir)))
        strcpy(cfg->dir, ".");
    strcpy(cfg->dbfilename, "dump.rdb");
    cfg->rdbcompression = 1;
    cfg->rdbchecksum = 1;
    cfg->stop_writes_on_bgsave_error = 1;
    cfg->appendfsync = AOF_FSYNC_EVERYSEC;
    strcpy(cfg->appendfilename, "appendonly.aof");
    strcpy(cfg->appenddirname, "appendonlydir");
    cfg->aof_load_truncated = 1;
    cfg->auto_aof_rewrite_percentage = 100;
    cfg->auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
    cfg->aof_use_rdb_preamble = 1;
    cfg->aof_rewrite_incremental_fsync = 1;
}

/* save "<seconds> <changes> ..." (one string or several words; "" clears). */
static int set_save_rules(struct config *cfg, const char *const *values, int nvalues, int at_runtime, char *err,
                          size_t errlen)
{
    long long nums[2 * CONFIG_MAX_SAVE];
    int n = 0;
    for (int i = 0; i < nvalues; i++) {
        char copy[CONFIG_PATH_MAX];
        snprintf(copy, sizeof(copy), "%s", values[i]);
        char *save_ptr;
        for (char *tok = strtok_r(copy, " ", &save_ptr); tok; tok = strtok_r(NULL, " ", &save_ptr)) {
            long long v;
            if (n == 2 * CONFIG_MAX_SAVE) {
                snprintf(err, errlen, "Too many save parameters (at most %d rules)", CONFIG_MAX_SAVE);
                return -1;
            }
            if (!string2ll(tok, strlen(tok), &v) || v < 0) {
                snprintf(err, errlen, "Invalid save parameters");
                return -1;
            }
            nums[n++] = v;
        }
    }
    if (n % 2) {
        snprintf(err, errlen, "Invalid save parameters");
        return -1;
    }
    /* In a file, the first save line replaces the defaults and later ones
     * add rules, as in redis.conf; CONFIG SET replaces them all. */
    int base = 0;
    if (!at_runtime && cfg->save_seen_in_file && n > 0)
        base = cfg->nsave;
    if (base + n / 2 > CONFIG_MAX_SAVE) {
        snprintf(err, errlen, "Too many save parameters (at most %d rules)", CONFIG_MAX_SAVE);
        return -1;
    }
    for (int i = 0; i < n / 2; i++) {
        cfg->save_seconds[base + i] = nums[2 * i];
        cfg->save_changes[base + i] = nums[2 * i + 1];
    }
    cfg->nsave = base + n / 2;
    if (!at_runtime)
        cfg->save_seen_in_file = 1;
    return 0;
}

const struct config *config_defaults(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, defaults_init);
    return &defaults_storage;
}

int config_parse_memory(const char *s, long long *out)
{
    char *end;
    errno = 0;
    if (!*s)
        return -1;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    long long mul = 1;
    if (*end) {
        if (!strcasecmp(end, "b"))
            mul = 1;
        else if (!strcasecmp(end, "k"))
            mul = 1000;
        else if (!strcasecmp(end, "kb"))
            mul = 1024;
        else if (!strcasecmp(end, "m"))
            mul = 1000 * 1000;
        else if (!strcasecmp(end, "mb"))
            mul = 1024 * 1024;
        else if (!strcasecmp(end, "g"))
            mul = 1000LL * 1000 * 1000;
        else if (!strcasecmp(end, "gb"))
            mul = 1024LL * 1024 * 1024;
        else
            return -1;
    }
    if (v > LLONG_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static const struct config_option *find_option(const char *name)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (!strcasecmp(config_options[i].name, name))
            return &config_options[i];
    return NULL;
}

int config_option_exists(const char *name)
{
    return find_option(name) != NULL;
}

int config_set_option(struct config *cfg, const char *name, const char *const *values, int nvalues, int at_runtime,
                      char *err, size_t errlen)
{
    const struct config_option *opt = find_option(name);
    if (!opt) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments: unknown option '%s'", name);
        return -1;
    }
    if (at_runtime && !opt->mutable_at_runtime) {
        snprintf(err, errlen, "can't set immutable config");
        return -1;
    }
    char *field = (char *)cfg + opt->offset;
    if (opt->kind == OPT_BIND) {
        if (nvalues < 1 || nvalues > CONFIG_MAX_BIND) {
            snprintf(err, errlen, "wrong number of addresses for 'bind' (1 to %d)", CONFIG_MAX_BIND);
            return -1;
        }
        for (int i = 0; i < nvalues; i++) {
            if (strlen(values[i]) >= sizeof(cfg->bind[0])) {
                snprintf(err, errlen, "bind address too long: '%s'", values[i]);
                return -1;
            }
        }
        cfg->nbind = nvalues;
        for (int i = 0; i < nvalues; i++)
            strcpy(cfg->bind[i], values[i]);
        return 0;
    }
    if (opt->kind == OPT_OBUF)
        return parse_obuf_limits(cfg, values, nvalues, err, errlen);
    if (opt->kind == OPT_LINES) {
        size_t used = strlen(field);
        for (int i = 0; i < nvalues; i++) {
            size_t l = strlen(values[i]);
            if (used + l + 4 >= CONFIG_LINES_MAX) {
                snprintf(err, errlen, "too many '%s' directives", opt->name);
                return -1;
            }
            if (l == 0 && !strcmp(opt->name, "rename-command")) {
                /* renaming to "" disables the command: keep the word count */
                memcpy(field + used, "\"\"", 2);
                used += 2;
            }
            memcpy(field + used, values[i], l);
            used += l;
            field[used++] = i + 1 < nvalues ? ' ' : '\n';
        }
        field[used] = '\0';
        return 0;
    }
    if (opt->kind == OPT_SAVE)
        return set_save_rules(cfg, values, nvalues, at_runtime, err, errlen);
    if (nvalues != 1) {
        snprintf(err, errlen, "wrong number of arguments for '%s'", opt->name);
        return -1;
    }
    const char *v = values[0];
    switch (opt->kind) {
    case OPT_INT:
    case OPT_LL: {
        long long n;
        if (!string2ll(v, strlen(v), &n) || n < opt->min || n > opt->max) {
            snprintf(err, errlen, "argument must be an integer between %lld and %lld for '%s', got '%s'", opt->min,
                     opt->max, opt->name, v);
            return -1;
        }
        if (opt->kind == OPT_INT)
            *(int *)field = (int)n;
        else
            *(long long *)field = n;
        return 0;
    }
    case OPT_MEM: {
        long long n;
        if (config_parse_memory(v, &n) < 0 || n < opt->min || n > opt->max) {
            snprintf(err, errlen, "argument must be a memory value of at least %lld bytes for '%s', got '%s'", opt->min,
                     opt->name, v);
            return -1;
        }
        *(long long *)field = n;
        return 0;
    }
    case OPT_BOOL:
        if (!strcasecmp(v, "yes"))
            *(int *)field = 1;
        else if (!strcasecmp(v, "no"))
            *(int *)field = 0;
        else {
            snprintf(err, errlen, "argument must be 'yes' or 'no' for '%s', got '%s'", opt->name, v);
            return -1;
        }
        return 0;
    case OPT_STRING:
        if (strlen(v) >= CONFIG_PATH_MAX) {
            snprintf(err, errlen, "value too long for '%s'", opt->name);
            return -1;
        }
        strcpy(field, v);
        return 0;
    case OPT_ENUM_LOGLEVEL:
        for (int i = 0; i < 5; i++) {
            if (!strcasecmp(v, loglevel_names[i])) {
                *(int *)field = i;
                return 0;
            }
        }
        snprintf(err, errlen, "argument(s) must be one of the following: debug, verbose, notice, warning, nothing");
        return -1;
    case OPT_ENUM: {
        char list[256];
        size_t n = 0;
        list[0] = '\0';
        for (int i = 0; opt->names[i]; i++) {
            if (!strcasecmp(v, opt->names[i])) {
                *(int *)field = i;
                return 0;
            }
            n += snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", opt->names[i]);
        }
        snprintf(err, errlen, "argument(s) must be one of the following: %s", list);
        return -1;
    }
    case OPT_ENUM_POLICY:
        for (int i = 0; i < 8; i++) {
            if (!strcasecmp(v, policy_names[i])) {
                *(int *)field = i;
                return 0;
            }
        }
        snprintf(err, errlen,
                 "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
                 "allkeys-lru, allkeys-lfu, allkeys-random, noeviction");
        return -1;
    case OPT_LINES:
    case OPT_BIND:
    case OPT_OBUF:
    case OPT_DIR: {
        /* Redis chdir()s into it; we keep the resolved absolute path. */
        char resolved[PATH_MAX];
        struct stat st;
        if (!realpath(v, resolved) || stat(resolved, &st) < 0) {
            snprintf(err, errlen, "%s", strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s", strerror(ENOTDIR));
            return -1;
        }
        if (strlen(resolved) >= CONFIG_PATH_MAX) {
            snprintf(err, errlen, "value too long for '%s'", opt->name);
            return -1;
        }
        strcpy(field, resolved);
        return 0;
    }
    case OPT_FILENAME:
        if (strchr(v, '/') || !*v || !strcmp(v, ".") || !strcmp(v, "..")) {
            snprintf(err, errlen, "%s can't be a path, just a filename", opt->name);
            return -1;
        }
        if (strlen(v) >= CONFIG_PATH_MAX - 64) {
            snprintf(err, errlen, "value too long for '%s'", opt->name);
            return -1;
        }
        strcpy(field, v);
        return 0;
    case OPT_SAVE:
        break;
    }
    return -1;
}

/* Splits one line into words with redis.conf quoting. Returns the word count,
 * or -1 for unbalanced quotes. Words are written into storage. */
static int split_line(const char *line, char **words, int maxwords, char *storage)
{
    int n = 0;
    const char *p = line;
    char *out = storage;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            return n;
        if (n == maxwords)
            return -1;
        words[n++] = out;
        if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q) {
                if (q == '"' && *p == '\\' && p[1]) {
                    p++;
                    switch (*p) {
                    case 'n':
                        *out++ = '\n';
                        break;
                    case 'r':
                        *out++ = '\r';
                        break;
                    case 't':
                        *out++ = '\t';
                        break;
                    default:
                        *out++ = *p;
                        break;
                    }
                    p++;
                } else {
                    *out++ = *p++;
                }
            }
            if (*p != q)
                return -1;
            p++;
            if (*p && !isspace((unsigned char)*p))
                return -1;
        } else {
            while (*p && !isspace((unsigned char)*p))
                *out++ = *p++;
        }
        *out++ = '\0';
    }
}

int config_load_string(struct config *cfg, const char *text, const char *origin, char *err, size_t errlen)
{
    const char *p = text;
    int lineno = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        char *line = strndup(p, len);
        char *storage = malloc(len + 1 + 64);
        char *words[CONFIG_MAX_BIND + 2];
        int n = 0;
        char *trim = line;
        while (isspace((unsigned char)*trim))
            trim++;
        if (*trim && *trim != '#')
            n = split_line(trim, words, CONFIG_MAX_BIND + 2, storage);
        int rc = 0;
        char msg[512];
        if (n < 0) {
            snprintf(msg, sizeof(msg), "Unbalanced quotes or too many arguments in configuration line");
            rc = -1;
        } else if (n == 1) {
            snprintf(msg, sizeof(msg), "wrong number of arguments for '%s'", words[0]);
            rc = -1;
        } else if (n > 1) {
            rc = config_set_option(cfg, words[0], (const char *const *)words + 1, n - 1, 0, msg, sizeof(msg));
        }
        if (rc < 0) {
            snprintf(err, errlen,
                     "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file (%s), at line %d\n>>> '%s'\n%s",
                     origin, lineno, trim, msg);
        }
        free(line);
        free(storage);
        if (rc < 0)
            return -1;
        if (!eol)
            break;
        p = eol + 1;
    }
    return 0;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "Fatal error, can't open config file '%s': %s", path, strerror(errno));
        return -1;
    }
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    buf_append_byte(&b, '\0');
    int rc = config_load_string(cfg, b.data, path, err, errlen);
    buf_free(&b);
    if (rc == 0) {
        if (!realpath(path, cfg->config_file))
            snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", path);
    }
    return rc;
}

/* The option's value as CONFIG GET shows it. */
static void option_value(const struct config *cfg, const struct config_option *opt, char *out, size_t outlen)
{
    const char *field = (const char *)cfg + opt->offset;
    switch (opt->kind) {
    case OPT_INT:
        snprintf(out, outlen, "%d", *(const int *)field);
        break;
    case OPT_LL:
    case OPT_MEM:
        snprintf(out, outlen, "%lld", *(const long long *)field);
        break;
    case OPT_BOOL:
        snprintf(out, outlen, "%s", *(const int *)field ? "yes" : "no");
        break;
    case OPT_LINES:
    case OPT_STRING:
    case OPT_DIR:
    case OPT_FILENAME:
        snprintf(out, outlen, "%s", field);
        break;
    case OPT_SAVE: {
        size_t n = 0;
        out[0] = '\0';
        for (int i = 0; i < cfg->nsave && n < outlen; i++)
            n += snprintf(out + n, outlen - n, "%s%lld %lld", i ? " " : "", cfg->save_seconds[i], cfg->save_changes[i]);
        break;
    }
    case OPT_ENUM_LOGLEVEL:
        snprintf(out, outlen, "%s", loglevel_names[*(const int *)field]);
        break;
    case OPT_ENUM:
        snprintf(out, outlen, "%s", opt->names[*(const int *)field]);
        break;
    case OPT_ENUM_POLICY:
        snprintf(out, outlen, "%s", policy_names[*(const int *)field]);
        break;
    case OPT_OBUF: {
        size_t n = 0;
        out[0] = '\0';
        for (int i = 0; i < 3 && n < outlen; i++)
            n += snprintf(out + n, outlen - n, "%s%s %lld %lld %lld", i ? " " : "", obuf_class_names[i],
                          cfg->obuf_limits[i].hard, cfg->obuf_limits[i].soft, cfg->obuf_limits[i].soft_seconds);
        break;
    }
    case OPT_BIND: {
        size_t n = 0;
        out[0] = '\0';
        for (int i = 0; i < cfg->nbind && n < outlen; i++)
            n += snprintf(out + n, outlen - n, "%s%s", i ? " " : "", cfg->bind[i]);
        break;
    }
    }
}

void config_get_reply(const struct config *cfg, struct buf *out, int resp, const struct arg *patterns, int npatterns)
{
    int matched[NOPTIONS] = {0};
    int count = 0;
    for (size_t i = 0; i < NOPTIONS; i++) {
        for (int p = 0; p < npatterns; p++) {
            const char *name = config_options[i].name;
            if (config_options[i].kind == OPT_LINES)
                break;
            if (stringmatchlen(patterns[p].ptr, patterns[p].len, name, strlen(name), 1)) {
                matched[i] = 1;
                count++;
                break;
            }
        }
    }
    reply_map(out, resp, count);
    char value[CONFIG_PATH_MAX + 64 * CONFIG_MAX_BIND];
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (!matched[i])
            continue;
        reply_bulk_cstr(out, config_options[i].name);
        option_value(cfg, &config_options[i], value, sizeof(value));
        reply_bulk_cstr(out, value);
    }
}

int config_rewrite(const struct config *cfg, char *err, size_t errlen)
{
    if (!cfg->config_file[0]) {
        snprintf(err, errlen, "ERR The server is running without a config file");
        return -1;
    }
    FILE *f = fopen(cfg->config_file, "r");
    struct buf old = {0};
    if (f) {
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            buf_append(&old, chunk, n);
        fclose(f);
    }
    buf_append_byte(&old, '\0');
    struct buf neu = {0};
    int written[NOPTIONS] = {0};
    char value[CONFIG_PATH_MAX + 64 * CONFIG_MAX_BIND];
    const char *p = old.data;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *s = p;
        while (s < p + len && isspace((unsigned char)*s))
            s++;
        const struct config_option *opt = NULL;
        if (s < p + len && *s != '#') {
            char name[64];
            size_t k = 0;
            while (s + k < p + len && !isspace((unsigned char)s[k]) && k < sizeof(name) - 1) {
                name[k] = s[k];
                k++;
            }
            name[k] = '\0';
            opt = find_option(name);
        }
        if (opt) {
            size_t idx = opt - config_options;
            if (!written[idx]) {
                option_value(cfg, opt, value, sizeof(value));
                buf_append_str(&neu, opt->name);
                buf_append_byte(&neu, ' ');
                buf_append_str(&neu, value[0] ? value : "\"\"");
                buf_append_byte(&neu, '\n');
                written[idx] = 1;
            }
        } else {
            buf_append(&neu, p, len);
            buf_append_byte(&neu, '\n');
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    struct config defaults;
    config_init_defaults(&defaults);
    char defval[sizeof(value)];
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (written[i] || config_options[i].kind == OPT_LINES)
            continue;
        option_value(cfg, &config_options[i], value, sizeof(value));
        option_value(&defaults, &config_options[i], defval, sizeof(defval));
        if (!strcmp(value, defval))
            continue;
        buf_append_str(&neu, config_options[i].name);
        buf_append_byte(&neu, ' ');
        buf_append_str(&neu, value[0] ? value : "\"\"");
        buf_append_byte(&neu, '\n');
    }
    buf_free(&old);
    char tmp[CONFIG_PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->config_file);
    f = fopen(tmp, "w");
    if (!f || fwrite(neu.data, 1, neu.len, f) != neu.len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "ERR Rewriting config file: %s", strerror(errno));
        if (f)
            fclose(f);
        buf_free(&neu);
        return -1;
    }
    fclose(f);
    buf_free(&neu);
    if (rename(tmp, cfg->config_file) != 0) {
        snprintf(err, errlen, "ERR Rewriting config file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void defaults_init(void)
{
    config_init_defaults(&defaults_storage);
}
