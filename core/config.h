/*
 * config.h - server configuration: a redis.conf-style file plus "--name value"
 * flags, with Redis's option names, and CONFIG GET/SET.
 *
 * A struct config is immutable once published. CONFIG SET builds a modified
 * copy and publishes it with server_publish_config(); every thread reads the
 * current pointer once per loop iteration. Old copies are kept until exit
 * (they are small and CONFIG SET is rare), so a reader never sees freed memory.
 */
#ifndef SHARDIS_CONFIG_H
#define SHARDIS_CONFIG_H

#include <stddef.h>

#include "buf.h"
#include "resp.h"

#define CONFIG_MAX_BIND 16
#define CONFIG_PATH_MAX 1024
#define CONFIG_LINES_MAX 16384
#define CONFIG_MAX_SAVE 16

enum log_level { LL_DEBUG = 0, LL_VERBOSE, LL_NOTICE, LL_WARNING, LL_NOTHING };

struct config {
    int port;
    int nbind;
    char bind[CONFIG_MAX_BIND][64]; /* a leading '-' marks an address that may be unavailable */
    int threads;
    int loglevel;
    char logfile[CONFIG_PATH_MAX]; /* "" = stdout */
    int daemonize;
    char pidfile[CONFIG_PATH_MAX];
    int databases;
    int hz;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long maxclients;
    long long timeout; /* idle client timeout in seconds, 0 = never */
    int tcp_backlog;
    int tcp_keepalive;
    char config_file[CONFIG_PATH_MAX]; /* absolute path of the file read at start, "" if none */
    /* collection encodings: compact (listpack/intset) up to these sizes */
    long long hash_max_listpack_entries;
    long long hash_max_listpack_value;
    long long set_max_intset_entries;
    long long set_max_listpack_entries;
    long long set_max_listpack_value;
    long long zset_max_listpack_entries;
    long long zset_max_listpack_value;
    int list_max_listpack_size; /* >0: entries per node; -1..-5: 4..64 KB per node */
    int list_compress_depth;    /* accepted for compatibility; nodes are not compressed */
    /* lazyfree: free big values in the background instead of in the command */
    int lazyfree_lazy_user_del;   /* DEL behaves as UNLINK */
    int lazyfree_lazy_user_flush; /* FLUSHDB/FLUSHALL without a flag behave as ASYNC */
    int lazyfree_lazy_server_del; /* values replaced or deleted by a command as a side effect */
    int lazyfree_lazy_expire;
    /* TLS (security/tls.h); tls_port 0 = no TLS listener */
    int tls_port;
    char tls_cert_file[CONFIG_PATH_MAX];
    char tls_key_file[CONFIG_PATH_MAX];
    char tls_key_file_pass[CONFIG_PATH_MAX];
    char tls_ca_cert_file[CONFIG_PATH_MAX];
    char tls_ca_cert_dir[CONFIG_PATH_MAX];
    int tls_auth_clients;                /* TLS_AUTH_CLIENTS_NO, _YES, _OPTIONAL */
    char tls_protocols[CONFIG_PATH_MAX]; /* "" = TLSv1.2 and TLSv1.3 */
    char tls_ciphers[CONFIG_PATH_MAX];
    char tls_ciphersuites[CONFIG_PATH_MAX];
    int tls_prefer_server_ciphers;
    int tls_session_caching;
    long long tls_session_cache_size;
    long long tls_session_cache_timeout;
    int tls_auth_clients_user;  /* 0 = off, 1 = a client certificate's CN names the ACL user */
    int lazyfree_lazy_eviction; /* evicted values are freed in the background */
    /* limits and eviction (core/evict.h) */
    long long maxmemory;             /* bytes, 0 = no limit */
    int maxmemory_policy;            /* enum maxmemory_policy */
    int maxmemory_samples;           /* keys sampled per eviction round */
    int maxmemory_eviction_tenacity; /* accepted for compatibility */
    int lfu_log_factor;
    int lfu_decay_time; /* minutes */
    struct obuf_limit {
        long long hard, soft; /* bytes, 0 = none */
        long long soft_seconds;
    } obuf_limits[3]; /* enum obuf_class */
    /* security (security/acl.h, security/audit.h) */
    char requirepass[CONFIG_PATH_MAX];
    char aclfile[CONFIG_PATH_MAX];
    long long acllog_max_len;
    int protected_mode;
    long long auth_max_failures_per_second; /* failed AUTHs per source address per second before closing; 0 = no limit */
    char audit_log_file[CONFIG_PATH_MAX];
    char user_lines[CONFIG_LINES_MAX];   /* `user` directives, one per line (file only) */
    char rename_lines[CONFIG_LINES_MAX]; /* `rename-command` directives, one per line (file only) */
    /* snapshots (persist/snapshot.h) */
    int nsave; /* save <seconds> <changes> rules; 0 = no automatic saves */
    long long save_seconds[CONFIG_MAX_SAVE];
    long long save_changes[CONFIG_MAX_SAVE];
    int save_seen_in_file;            /* a config file's first `save` line replaces the defaults */
    char dir[CONFIG_PATH_MAX];        /* absolute: checked and resolved when set */
    char dbfilename[CONFIG_PATH_MAX]; /* a file name, never a path */
    int rdbcompression;               /* accepted; snapshots are not compressed */
    int rdbchecksum;                  /* accepted; snapshots always carry their xxh3 checksum */
    int stop_writes_on_bgsave_error;
    /* append-only logs (persist/aof_log.h) */
    int appendonly;
    int appendfsync; /* enum aof_fsync */
    char appendfilename[CONFIG_PATH_MAX];
    char appenddirname[CONFIG_PATH_MAX];
    int aof_load_truncated;
    long long auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    int aof_use_rdb_preamble;          /* accepted; a rewrite always writes a shardis snapshot as the base */
    int aof_rewrite_incremental_fsync; /* accepted */
    int no_appendfsync_on_rewrite;     /* accepted; logs are fsynced during rewrites too */
    int aof_timestamp_enabled;         /* accepted; no timestamp records */
};

enum aof_fsync { AOF_FSYNC_EVERYSEC = 0, AOF_FSYNC_ALWAYS = 1, AOF_FSYNC_NO = 2 };

enum { TLS_AUTH_CLIENTS_NO = 0, TLS_AUTH_CLIENTS_YES = 1, TLS_AUTH_CLIENTS_OPTIONAL = 2 };

enum maxmemory_policy {
    MAXMEMORY_NOEVICTION = 0,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_ALLKEYS_RANDOM,
    MAXMEMORY_VOLATILE_LRU,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
};
/* client-output-buffer-limit classes, in Redis's CONFIG GET order */
enum obuf_class { OBUF_NORMAL = 0, OBUF_REPLICA, OBUF_PUBSUB };

/* Name of a maxmemory-policy value. */
const char *config_maxmemory_policy_name(int policy);

/* The defaults, for code that runs without a server (unit tests). */
const struct config *config_defaults(void);

void config_init_defaults(struct config *cfg);

/*
 * Applies a whole configuration file's text, then argv-style overrides
 * ("--port 7000" or "port 7000" pairs as redis-server accepts). On error,
 * writes a message naming the option (and the file line) into err and returns
 * -1; the server must not start.
 */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);
int config_load_string(struct config *cfg, const char *text, const char *origin, char *err, size_t errlen);

/* Sets one option from its text value; used by the loader and CONFIG SET.
 * `at_runtime` rejects options that cannot change while running. Returns 0,
 * or -1 with a message in err (Redis's wording where it has one). */
int config_set_option(struct config *cfg, const char *name, const char *const *values, int nvalues, int at_runtime,
                      char *err, size_t errlen);

/* True when `name` is an option of the table (case-insensitive). */
int config_option_exists(const char *name);

/* Appends CONFIG GET's reply for the glob patterns. */
void config_get_reply(const struct config *cfg, struct buf *out, int resp, const struct arg *patterns, int npatterns);

/* Writes the configuration back to cfg->config_file (CONFIG REWRITE): options
 * present in the file are updated in place, others appended. 0 or -1. */
int config_rewrite(const struct config *cfg, char *err, size_t errlen);

/* memtoll: "1gb", "512mb", "100k"... like Redis. Returns 0 on success. */
int config_parse_memory(const char *s, long long *out);

#endif
