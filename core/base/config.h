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

#include "core/base/buf.h"
#include "core/base/resp.h"

#define CONFIG_MAX_BIND 16
#define CONFIG_PATH_MAX 1024
#define CONFIG_LINES_MAX 16384
#define CONFIG_MAX_SAVE 16
#define CONFIG_NAME_MAX 256 /* host names, addresses, cpu lists, templates */
#define CONFIG_MAX_PERCENTILES 16

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
    /* TLS (net/tls.h); tls_port 0 = no TLS listener */
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
    /* limits and eviction (core/types/evict.h) */
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
    long long
        auth_max_failures_per_second; /* failed AUTHs per source address per second before closing; 0 = no limit */
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
    char rdb_import[CONFIG_PATH_MAX]; /* a Redis RDB to import at start when no snapshot of ours exists ("" none) */
    int rdbcompression;               /* LZ4 of snapshot blocks */
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
    /* Protected actions (enum protected_action): CONFIG SET of the protected
     * options (dir, dbfilename), DEBUG, MODULE. Set at start only. */
    int enable_protected_configs;
    int enable_debug_command;
    int enable_module_command;
    /* Observability: typed here for the slow log, the latency monitor and
     * keyspace notifications; accepted, shown and rewritten. */
    long long slowlog_log_slower_than;   /* microseconds; -1 = off, 0 = every command */
    long long slowlog_max_len;           /* entries */
    long long latency_monitor_threshold; /* milliseconds; 0 = off */
    int latency_tracking;
    int nlatency_percentiles; /* latency-tracking-info-percentiles */
    double latency_percentiles[CONFIG_MAX_PERCENTILES];
    int notify_keyspace_events; /* NOTIFY_* flags of config.h */
    /* Encodings of types to come */
    long long hll_sparse_max_bytes;
    long long stream_node_max_bytes;
    long long stream_node_max_entries;
    long long tracking_table_max_keys;
    long long busy_reply_threshold; /* milliseconds (alias lua-time-limit) */
    /* Replication: typed for the replication work; accepted, no effect yet. */
    char replicaof_host[CONFIG_NAME_MAX]; /* "" = this server is a master */
    int replicaof_port;
    char masteruser[CONFIG_NAME_MAX];
    char masterauth[CONFIG_NAME_MAX];
    int repl_diskless_sync;
    int repl_diskless_sync_delay;        /* seconds */
    int repl_diskless_sync_max_replicas; /* 0 = no limit */
    int repl_diskless_load;              /* enum repl_diskless_load */
    int repl_disable_tcp_nodelay;
    long long repl_backlog_size; /* bytes */
    long long repl_backlog_ttl;  /* seconds */
    int repl_timeout;            /* seconds */
    int repl_ping_replica_period;
    int replica_serve_stale_data;
    int replica_read_only;
    int replica_lazy_flush;
    int replica_ignore_maxmemory;
    int replica_priority;
    int replica_announced;
    char replica_announce_ip[CONFIG_NAME_MAX];
    int replica_announce_port;
    int replica_ignore_disk_write_errors;
    int min_replicas_to_write;
    int min_replicas_max_lag; /* seconds */
    int propagation_error_behavior;
    /* Accepted for compatibility with redis.conf, validated like Redis, shown
     * by CONFIG GET and kept by CONFIG REWRITE; no effect here
     * (conf/shardis.conf says why for each). */
    struct config_compat {
        int always_show_logo, set_proc_title, activerehashing, dynamic_hz, jemalloc_bg_thread, disable_thp;
        int rdb_del_sync_files, rdb_save_incremental_fsync, aof_disable_auto_gc;
        int crash_log_enabled, crash_memcheck_enabled, use_exit_on_panic, syslog_enabled;
        int io_threads, io_threads_do_reads, active_expire_effort, shutdown_timeout, watchdog_period;
        int shutdown_on_sigint, shutdown_on_sigterm; /* SHUTDOWN_ON_SIG_* flags */
        int supervised, syslog_facility, oom_score_adj, acl_pubsub_default, sanitize_dump_payload;
        int oom_score_adj_values[3];
        long long unixsocketperm, socket_mark_id, maxmemory_clients; /* maxmemory-clients: <0 = percent */
        long long rdb_key_save_delay, key_load_delay, loading_process_events_interval_bytes;
        int activedefrag, active_defrag_cycle_min, active_defrag_cycle_max;
        int active_defrag_threshold_lower, active_defrag_threshold_upper;
        long long active_defrag_ignore_bytes, active_defrag_max_scan_fields;
        int cluster_enabled, cluster_port, cluster_require_full_coverage, cluster_replica_no_failover;
        int cluster_allow_reads_when_down, cluster_allow_pubsubshard_when_down, cluster_allow_replica_migration;
        int cluster_replica_validity_factor, cluster_migration_barrier, cluster_preferred_endpoint_type;
        int cluster_announce_port, cluster_announce_bus_port, cluster_announce_tls_port;
        long long cluster_node_timeout, cluster_link_sendbuf_limit;
        int tls_cluster, tls_replication;
        char unixsocket[CONFIG_PATH_MAX];
        char cluster_config_file[CONFIG_PATH_MAX];
        char cluster_announce_ip[CONFIG_NAME_MAX];
        char cluster_announce_hostname[CONFIG_NAME_MAX];
        char syslog_ident[CONFIG_NAME_MAX];
        char server_cpulist[CONFIG_NAME_MAX], bio_cpulist[CONFIG_NAME_MAX];
        char aof_rewrite_cpulist[CONFIG_NAME_MAX], bgsave_cpulist[CONFIG_NAME_MAX];
        char ignore_warnings[CONFIG_NAME_MAX];
        char proc_title_template[CONFIG_NAME_MAX];
        char bind_source_addr[CONFIG_NAME_MAX];
        char tls_client_cert_file[CONFIG_PATH_MAX], tls_client_key_file[CONFIG_PATH_MAX];
        char tls_client_key_file_pass[CONFIG_NAME_MAX], tls_dh_params_file[CONFIG_PATH_MAX];
    } compat;
};

/* enable-protected-configs, enable-debug-command, enable-module-command */
enum protected_action { PROTECTED_ACTION_NO = 0, PROTECTED_ACTION_YES = 1, PROTECTED_ACTION_LOCAL = 2 };

enum repl_diskless_load { REPL_DISKLESS_LOAD_DISABLED = 0, REPL_DISKLESS_LOAD_ON_EMPTY_DB, REPL_DISKLESS_LOAD_SWAPDB };

enum propagation_error_behavior {
    PROPAGATION_ERR_IGNORE = 0,
    PROPAGATION_ERR_PANIC,
    PROPAGATION_ERR_PANIC_ON_REPLICAS
};

/* shutdown-on-sigint / shutdown-on-sigterm flags (0 = default) */
enum { SHUTDOWN_ON_SIG_SAVE = 1, SHUTDOWN_ON_SIG_NOSAVE = 2, SHUTDOWN_ON_SIG_NOW = 4, SHUTDOWN_ON_SIG_FORCE = 8 };

/* notify-keyspace-events classes, one bit per letter of Redis's
 * "Ag$lshzxeKEtmdn" (the same bits as Redis's NOTIFY_*). */
enum {
    NOTIFY_KEYSPACE = 1 << 0,  /* K */
    NOTIFY_KEYEVENT = 1 << 1,  /* E */
    NOTIFY_GENERIC = 1 << 2,   /* g */
    NOTIFY_STRING = 1 << 3,    /* $ */
    NOTIFY_LIST = 1 << 4,      /* l */
    NOTIFY_SET = 1 << 5,       /* s */
    NOTIFY_HASH = 1 << 6,      /* h */
    NOTIFY_ZSET = 1 << 7,      /* z */
    NOTIFY_EXPIRED = 1 << 8,   /* x */
    NOTIFY_EVICTED = 1 << 9,   /* e */
    NOTIFY_STREAM = 1 << 10,   /* t */
    NOTIFY_KEY_MISS = 1 << 11, /* m (not part of A) */
    NOTIFY_MODULE = 1 << 13,   /* d */
    NOTIFY_NEW = 1 << 14,      /* n */
    NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET |
                 NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE, /* A */
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

/* What CONFIG SET needs to know of an option before it changes anything:
 * its row (-1 = unknown name; an alias has a row of its own, as in Redis),
 * its name as the table spells it, and its flags. */
enum {
    CONFIG_FLAG_MUTABLE = 1 << 0,   /* CONFIG SET may change it */
    CONFIG_FLAG_PROTECTED = 1 << 1, /* ... only where enable-protected-configs allows */
    CONFIG_FLAG_HIDDEN = 1 << 2,    /* CONFIG GET shows it only when named exactly */
};
int config_option_index(const char *name);
const char *config_option_name(int index);
int config_option_flags(int index);

/* Sets one option from CONFIG SET's single value string: multi-argument
 * options (save, bind, client-output-buffer-limit, ...) split it at spaces.
 * 0, or -1 with Redis's reason in err (without the "CONFIG SET failed" head). */
int config_set_from_string(struct config *cfg, const char *name, const char *value, int at_runtime, char *err,
                           size_t errlen);

/* Whether a protected action (enum protected_action) is allowed for a client
 * at `addr` ("ip:port" as CLIENT LIST prints it): "local" allows loopback
 * addresses (127.0.0.0/8 and ::1) only, as Redis's islocalClient. */
int config_protected_action_allowed(int mode, const char *addr);

/* The notify-keyspace-events letters: flags, or -1 for a letter outside
 * "Ag$lshzxeKEtmdn"; and back, in Redis's canonical order (out >= 32 bytes). */
int config_keyspace_events_parse(const char *classes);
void config_keyspace_events_format(int flags, char *out, size_t outlen);

/* Appends CONFIG GET's reply for the glob patterns. */
void config_get_reply(const struct config *cfg, struct buf *out, int resp, const struct arg *patterns, int npatterns);

/* Writes the configuration back to cfg->config_file (CONFIG REWRITE): options
 * present in the file are updated in place, others appended. 0 or -1. */
int config_rewrite(const struct config *cfg, char *err, size_t errlen);

/* memtoll: "1gb", "512mb", "100k"... like Redis. Returns 0 on success. */
int config_parse_memory(const char *s, long long *out);

#endif
