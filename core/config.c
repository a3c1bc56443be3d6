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

enum opt_kind { OPT_INT, OPT_LL, OPT_MEM, OPT_BOOL, OPT_STRING, OPT_ENUM_LOGLEVEL, OPT_BIND, OPT_SAVE, OPT_DIR, OPT_FILENAME };

struct config_option {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    long long min, max;
    int mutable_at_runtime;
};

#define OFF(field) offsetof(struct config, field)

static const struct config_option config_options[] = {
    {"port", OPT_INT, OFF(port), 0, 65535, 0},
    {"bind", OPT_BIND, OFF(bind), 0, 0, 0},
    {"threads", OPT_INT, OFF(threads), 1, 256, 0},
    {"loglevel", OPT_ENUM_LOGLEVEL, OFF(loglevel), 0, 0, 1},
    {"logfile", OPT_STRING, OFF(logfile), 0, 0, 0},
    {"daemonize", OPT_BOOL, OFF(daemonize), 0, 1, 0},
    {"pidfile", OPT_STRING, OFF(pidfile), 0, 0, 0},
    {"databases", OPT_INT, OFF(databases), 1, 1024, 0},
    {"hz", OPT_INT, OFF(hz), 1, 500, 1},
    {"proto-max-bulk-len", OPT_MEM, OFF(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, 1},
    {"client-query-buffer-limit", OPT_MEM, OFF(client_query_buffer_limit), 1024 * 1024, LLONG_MAX, 1},
    {"maxclients", OPT_LL, OFF(maxclients), 1, INT_MAX, 1},
    {"timeout", OPT_LL, OFF(timeout), 0, INT_MAX, 1},
    {"tcp-backlog", OPT_INT, OFF(tcp_backlog), 0, INT_MAX, 0},
    {"tcp-keepalive", OPT_INT, OFF(tcp_keepalive), 0, INT_MAX, 1},
    {"hash-max-listpack-entries", OPT_LL, OFF(hash_max_listpack_entries), 0, LLONG_MAX, 1},
    {"hash-max-listpack-value", OPT_LL, OFF(hash_max_listpack_value), 0, LLONG_MAX, 1},
    {"hash-max-ziplist-entries", OPT_LL, OFF(hash_max_listpack_entries), 0, LLONG_MAX, 1},
    {"hash-max-ziplist-value", OPT_LL, OFF(hash_max_listpack_value), 0, LLONG_MAX, 1},
    {"set-max-intset-entries", OPT_LL, OFF(set_max_intset_entries), 0, LLONG_MAX, 1},
    {"set-max-listpack-entries", OPT_LL, OFF(set_max_listpack_entries), 0, LLONG_MAX, 1},
    {"set-max-listpack-value", OPT_LL, OFF(set_max_listpack_value), 0, LLONG_MAX, 1},
    {"zset-max-listpack-entries", OPT_LL, OFF(zset_max_listpack_entries), 0, LLONG_MAX, 1},
    {"zset-max-listpack-value", OPT_LL, OFF(zset_max_listpack_value), 0, LLONG_MAX, 1},
    {"zset-max-ziplist-entries", OPT_LL, OFF(zset_max_listpack_entries), 0, LLONG_MAX, 1},
    {"zset-max-ziplist-value", OPT_LL, OFF(zset_max_listpack_value), 0, LLONG_MAX, 1},
    {"list-max-listpack-size", OPT_INT, OFF(list_max_listpack_size), INT_MIN, INT_MAX, 1},
    {"list-max-ziplist-size", OPT_INT, OFF(list_max_listpack_size), INT_MIN, INT_MAX, 1},
    {"list-compress-depth", OPT_INT, OFF(list_compress_depth), 0, INT_MAX, 1},
    {"lazyfree-lazy-user-del", OPT_BOOL, OFF(lazyfree_lazy_user_del), 0, 1, 1},
    {"lazyfree-lazy-user-flush", OPT_BOOL, OFF(lazyfree_lazy_user_flush), 0, 1, 1},
    {"lazyfree-lazy-server-del", OPT_BOOL, OFF(lazyfree_lazy_server_del), 0, 1, 1},
    {"lazyfree-lazy-expire", OPT_BOOL, OFF(lazyfree_lazy_expire), 0, 1, 1},
    {"save", OPT_SAVE, OFF(nsave), 0, 0, 1},
    {"dir", OPT_DIR, OFF(dir), 0, 0, 1},
    {"dbfilename", OPT_FILENAME, OFF(dbfilename), 0, 0, 1},
    {"rdbcompression", OPT_BOOL, OFF(rdbcompression), 0, 1, 1},
    {"rdbchecksum", OPT_BOOL, OFF(rdbchecksum), 0, 1, 1},
    {"stop-writes-on-bgsave-error", OPT_BOOL, OFF(stop_writes_on_bgsave_error), 0, 1, 1},
};
#define NOPTIONS (sizeof(config_options) / sizeof(config_options[0]))

static const char *loglevel_names[] = {"debug", "verbose", "notice", "warning", "nothing"};

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
            snprintf(err, errlen, "dbfilename can't be a path, just a filename");
            return -1;
        }
        if (strlen(v) >= CONFIG_PATH_MAX - 64) {
            snprintf(err, errlen, "value too long for '%s'", opt->name);
            return -1;
        }
        strcpy(field, v);
        return 0;
    case OPT_BIND:
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
        if (written[i])
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
