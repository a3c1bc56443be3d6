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
#include "core/base/config.h"

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

#include "core/base/util.h"

static struct config defaults_storage; /* written once, by defaults_init */
static void defaults_init(void);

/* OPT_LINES: a directive that may repeat (user, rename-command): each one
 * appends its words as a line; not shown by CONFIG GET, file only.
 * Multi-argument kinds (bind, save, client-output-buffer-limit,
 * oom-score-adj-values, replicaof, latency-tracking-info-percentiles,
 * shutdown-on-*) take several words; given one word with spaces (CONFIG SET,
 * or a quoted value in the file) they split it. */
enum opt_kind {
    OPT_INT,
    OPT_LL,
    OPT_MEM,
    OPT_BOOL,
    OPT_STRING, /* max = capacity of the char array (0 = CONFIG_PATH_MAX) */
    OPT_ENUM_LOGLEVEL,
    OPT_BIND,
    OPT_ENUM,
    OPT_ENUM_POLICY,
    OPT_OBUF,
    OPT_LINES,
    OPT_SAVE,
    OPT_DIR,
    OPT_FILENAME,
    OPT_MEM_PERCENT, /* memory or "N%" (stored as -N), long long */
    OPT_OCTAL,       /* long long, written and shown in octal */
    OPT_ENUM_FLAGS,  /* several enum words OR'ed together */
    OPT_KEYSPACE_EVENTS,
    OPT_OOM_VALUES,
    OPT_REPLICAOF,
    OPT_PERCENTILES,
    OPT_HZ, /* int, clamped to 1..500 as Redis does */
};

struct config_enum {
    const char *name;
    int value;
};

struct config_option {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    long long min, max;
    int flags;                             /* CONFIG_FLAG_* */
    const struct config_enum *enum_values; /* OPT_ENUM, OPT_ENUM_FLAGS: NULL-terminated */
};

#define M CONFIG_FLAG_MUTABLE
#define P CONFIG_FLAG_PROTECTED
#define H CONFIG_FLAG_HIDDEN

static const struct config_enum tls_auth_clients_enum[] = {{"no", 0}, {"yes", 1}, {"optional", 2}, {NULL, 0}};
static const struct config_enum tls_auth_clients_user_enum[] = {{"off", 0}, {"CN", 1}, {NULL, 0}};
static const struct config_enum appendfsync_enum[] = {
    {"everysec", AOF_FSYNC_EVERYSEC}, {"always", AOF_FSYNC_ALWAYS}, {"no", AOF_FSYNC_NO}, {NULL, 0}};
static const struct config_enum protected_action_enum[] = {
    {"no", PROTECTED_ACTION_NO}, {"yes", PROTECTED_ACTION_YES}, {"local", PROTECTED_ACTION_LOCAL}, {NULL, 0}};
static const struct config_enum supervised_enum[] = {{"upstart", 1}, {"systemd", 2}, {"auto", 3}, {"no", 0}, {NULL, 0}};
static const struct config_enum syslog_facility_enum[] = {
    {"user", 8},     {"local0", 128}, {"local1", 136}, {"local2", 144}, {"local3", 152},
    {"local4", 160}, {"local5", 168}, {"local6", 176}, {"local7", 184}, {NULL, 0}};
static const struct config_enum repl_diskless_load_enum[] = {{"disabled", REPL_DISKLESS_LOAD_DISABLED},
                                                             {"on-empty-db", REPL_DISKLESS_LOAD_ON_EMPTY_DB},
                                                             {"swapdb", REPL_DISKLESS_LOAD_SWAPDB},
                                                             {NULL, 0}};
/* "yes" is Redis's old spelling of "relative": CONFIG GET shows "yes" for both. */
static const struct config_enum oom_score_adj_enum[] = {
    {"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}, {NULL, 0}};
static const struct config_enum acl_pubsub_default_enum[] = {{"allchannels", 1}, {"resetchannels", 0}, {NULL, 0}};
static const struct config_enum sanitize_dump_payload_enum[] = {{"no", 0}, {"yes", 1}, {"clients", 2}, {NULL, 0}};
static const struct config_enum cluster_endpoint_enum[] = {
    {"ip", 0}, {"hostname", 1}, {"unknown-endpoint", 2}, {NULL, 0}};
static const struct config_enum propagation_error_enum[] = {{"ignore", PROPAGATION_ERR_IGNORE},
                                                            {"panic", PROPAGATION_ERR_PANIC},
                                                            {"panic-on-replicas", PROPAGATION_ERR_PANIC_ON_REPLICAS},
                                                            {NULL, 0}};
static const struct config_enum shutdown_on_sig_enum[] = {{"default", 0},
                                                          {"save", SHUTDOWN_ON_SIG_SAVE},
                                                          {"nosave", SHUTDOWN_ON_SIG_NOSAVE},
                                                          {"now", SHUTDOWN_ON_SIG_NOW},
                                                          {"force", SHUTDOWN_ON_SIG_FORCE},
                                                          {NULL, 0}};

#define OFF(field) offsetof(struct config, field)
#define CPT(field) offsetof(struct config, compat.field)
#define NAME_MAX_ CONFIG_NAME_MAX

/* Redis 7.0's names, aliases (a row of their own on the same field), types
 * and ranges; shardis's own options (threads, auth-max-failures-per-second,
 * audit-log-file) and Redis 7.2's set-max-listpack-* besides. */
static const struct config_option config_options[] = {
    {"port", OPT_INT, OFF(port), 0, 65535, 0, NULL},
    {"bind", OPT_BIND, OFF(bind), 0, 0, 0, NULL},
    {"threads", OPT_INT, OFF(threads), 1, 256, 0, NULL},
    {"loglevel", OPT_ENUM_LOGLEVEL, OFF(loglevel), 0, 0, M, NULL},
    {"logfile", OPT_STRING, OFF(logfile), 0, 0, 0, NULL},
    {"daemonize", OPT_BOOL, OFF(daemonize), 0, 1, 0, NULL},
    {"pidfile", OPT_STRING, OFF(pidfile), 0, 0, 0, NULL},
    {"databases", OPT_INT, OFF(databases), 1, 1024, 0, NULL},
    {"hz", OPT_HZ, OFF(hz), 0, INT_MAX, M, NULL},
    {"proto-max-bulk-len", OPT_MEM, OFF(proto_max_bulk_len), 1024 * 1024, LONG_MAX, M, NULL},
    {"client-query-buffer-limit", OPT_MEM, OFF(client_query_buffer_limit), 1024 * 1024, LONG_MAX, M, NULL},
    {"maxclients", OPT_LL, OFF(maxclients), 1, UINT_MAX, M, NULL},
    {"timeout", OPT_LL, OFF(timeout), 0, INT_MAX, M, NULL},
    {"tcp-backlog", OPT_INT, OFF(tcp_backlog), 0, INT_MAX, 0, NULL},
    {"tcp-keepalive", OPT_INT, OFF(tcp_keepalive), 0, INT_MAX, M, NULL},
    {"hash-max-listpack-entries", OPT_LL, OFF(hash_max_listpack_entries), 0, LONG_MAX, M, NULL},
    {"hash-max-listpack-value", OPT_MEM, OFF(hash_max_listpack_value), 0, LONG_MAX, M, NULL},
    {"hash-max-ziplist-entries", OPT_LL, OFF(hash_max_listpack_entries), 0, LONG_MAX, M, NULL},
    {"hash-max-ziplist-value", OPT_MEM, OFF(hash_max_listpack_value), 0, LONG_MAX, M, NULL},
    {"set-max-intset-entries", OPT_LL, OFF(set_max_intset_entries), 0, LONG_MAX, M, NULL},
    {"set-max-listpack-entries", OPT_LL, OFF(set_max_listpack_entries), 0, LONG_MAX, M, NULL},
    {"set-max-listpack-value", OPT_MEM, OFF(set_max_listpack_value), 0, LONG_MAX, M, NULL},
    {"zset-max-listpack-entries", OPT_LL, OFF(zset_max_listpack_entries), 0, LONG_MAX, M, NULL},
    {"zset-max-listpack-value", OPT_MEM, OFF(zset_max_listpack_value), 0, LONG_MAX, M, NULL},
    {"zset-max-ziplist-entries", OPT_LL, OFF(zset_max_listpack_entries), 0, LONG_MAX, M, NULL},
    {"zset-max-ziplist-value", OPT_MEM, OFF(zset_max_listpack_value), 0, LONG_MAX, M, NULL},
    {"list-max-listpack-size", OPT_INT, OFF(list_max_listpack_size), INT_MIN, INT_MAX, M, NULL},
    {"list-max-ziplist-size", OPT_INT, OFF(list_max_listpack_size), INT_MIN, INT_MAX, M, NULL},
    {"list-compress-depth", OPT_INT, OFF(list_compress_depth), 0, INT_MAX, M, NULL},
    {"lazyfree-lazy-user-del", OPT_BOOL, OFF(lazyfree_lazy_user_del), 0, 1, M, NULL},
    {"lazyfree-lazy-user-flush", OPT_BOOL, OFF(lazyfree_lazy_user_flush), 0, 1, M, NULL},
    {"lazyfree-lazy-server-del", OPT_BOOL, OFF(lazyfree_lazy_server_del), 0, 1, M, NULL},
    {"lazyfree-lazy-expire", OPT_BOOL, OFF(lazyfree_lazy_expire), 0, 1, M, NULL},
    {"tls-port", OPT_INT, OFF(tls_port), 0, 65535, 0, NULL},
    {"tls-cert-file", OPT_STRING, OFF(tls_cert_file), 0, 0, M, NULL},
    {"tls-key-file", OPT_STRING, OFF(tls_key_file), 0, 0, M, NULL},
    {"tls-key-file-pass", OPT_STRING, OFF(tls_key_file_pass), 0, 0, M, NULL},
    {"tls-ca-cert-file", OPT_STRING, OFF(tls_ca_cert_file), 0, 0, M, NULL},
    {"tls-ca-cert-dir", OPT_STRING, OFF(tls_ca_cert_dir), 0, 0, M, NULL},
    {"tls-auth-clients", OPT_ENUM, OFF(tls_auth_clients), 0, 0, M, tls_auth_clients_enum},
    {"tls-protocols", OPT_STRING, OFF(tls_protocols), 0, 0, M, NULL},
    {"tls-ciphers", OPT_STRING, OFF(tls_ciphers), 0, 0, M, NULL},
    {"tls-ciphersuites", OPT_STRING, OFF(tls_ciphersuites), 0, 0, M, NULL},
    {"tls-prefer-server-ciphers", OPT_BOOL, OFF(tls_prefer_server_ciphers), 0, 1, M, NULL},
    {"tls-session-caching", OPT_BOOL, OFF(tls_session_caching), 0, 1, M, NULL},
    {"tls-session-cache-size", OPT_LL, OFF(tls_session_cache_size), 0, INT_MAX, M, NULL},
    {"tls-session-cache-timeout", OPT_LL, OFF(tls_session_cache_timeout), 0, INT_MAX, M, NULL},
    {"tls-auth-clients-user", OPT_ENUM, OFF(tls_auth_clients_user), 0, 0, M, tls_auth_clients_user_enum},
    {"tls-cluster", OPT_BOOL, CPT(tls_cluster), 0, 1, M, NULL},
    {"tls-replication", OPT_BOOL, CPT(tls_replication), 0, 1, M, NULL},
    {"tls-client-cert-file", OPT_STRING, CPT(tls_client_cert_file), 0, 0, M, NULL},
    {"tls-client-key-file", OPT_STRING, CPT(tls_client_key_file), 0, 0, M, NULL},
    {"tls-client-key-file-pass", OPT_STRING, CPT(tls_client_key_file_pass), 0, NAME_MAX_, M, NULL},
    {"tls-dh-params-file", OPT_STRING, CPT(tls_dh_params_file), 0, 0, M, NULL},
    {"lazyfree-lazy-eviction", OPT_BOOL, OFF(lazyfree_lazy_eviction), 0, 1, M, NULL},
    {"maxmemory", OPT_MEM, OFF(maxmemory), 0, LLONG_MAX, M, NULL},
    {"maxmemory-policy", OPT_ENUM_POLICY, OFF(maxmemory_policy), 0, 0, M, NULL},
    {"maxmemory-samples", OPT_INT, OFF(maxmemory_samples), 1, 64, M, NULL},
    {"maxmemory-eviction-tenacity", OPT_INT, OFF(maxmemory_eviction_tenacity), 0, 100, M, NULL},
    {"maxmemory-clients", OPT_MEM_PERCENT, CPT(maxmemory_clients), -100, LLONG_MAX, M, NULL},
    {"lfu-log-factor", OPT_INT, OFF(lfu_log_factor), 0, INT_MAX, M, NULL},
    {"lfu-decay-time", OPT_INT, OFF(lfu_decay_time), 0, INT_MAX, M, NULL},
    {"client-output-buffer-limit", OPT_OBUF, OFF(obuf_limits), 0, 0, M, NULL},
    {"requirepass", OPT_STRING, OFF(requirepass), 0, 0, M, NULL},
    {"aclfile", OPT_STRING, OFF(aclfile), 0, 0, 0, NULL},
    {"acllog-max-len", OPT_LL, OFF(acllog_max_len), 0, LONG_MAX, M, NULL},
    {"acl-pubsub-default", OPT_ENUM, CPT(acl_pubsub_default), 0, 0, M, acl_pubsub_default_enum},
    {"protected-mode", OPT_BOOL, OFF(protected_mode), 0, 1, M, NULL},
    {"auth-max-failures-per-second", OPT_LL, OFF(auth_max_failures_per_second), 0, LLONG_MAX, M, NULL},
    {"audit-log-file", OPT_STRING, OFF(audit_log_file), 0, 0, 0, NULL},
    {"user", OPT_LINES, OFF(user_lines), 0, 0, 0, NULL},
    {"rename-command", OPT_LINES, OFF(rename_lines), 0, 0, 0, NULL},
    {"enable-protected-configs", OPT_ENUM, OFF(enable_protected_configs), 0, 0, 0, protected_action_enum},
    {"enable-debug-command", OPT_ENUM, OFF(enable_debug_command), 0, 0, 0, protected_action_enum},
    {"enable-module-command", OPT_ENUM, OFF(enable_module_command), 0, 0, 0, protected_action_enum},
    {"save", OPT_SAVE, OFF(nsave), 0, 0, M, NULL},
    {"dir", OPT_DIR, OFF(dir), 0, 0, M | P, NULL},
    {"dbfilename", OPT_FILENAME, OFF(dbfilename), 0, 0, M | P, NULL},
    {"rdb-import", OPT_STRING, OFF(rdb_import), 0, 0, 0, NULL},
    {"rdbcompression", OPT_BOOL, OFF(rdbcompression), 0, 1, M, NULL},
    {"rdbchecksum", OPT_BOOL, OFF(rdbchecksum), 0, 1, 0, NULL},
    {"rdb-del-sync-files", OPT_BOOL, CPT(rdb_del_sync_files), 0, 1, M, NULL},
    {"rdb-save-incremental-fsync", OPT_BOOL, CPT(rdb_save_incremental_fsync), 0, 1, M, NULL},
    {"rdb-key-save-delay", OPT_LL, CPT(rdb_key_save_delay), INT_MIN, INT_MAX, M | H, NULL},
    {"key-load-delay", OPT_LL, CPT(key_load_delay), INT_MIN, INT_MAX, M | H, NULL},
    {"loading-process-events-interval-bytes", OPT_LL, CPT(loading_process_events_interval_bytes), 1024, INT_MAX, M | H,
     NULL},
    {"stop-writes-on-bgsave-error", OPT_BOOL, OFF(stop_writes_on_bgsave_error), 0, 1, M, NULL},
    {"appendonly", OPT_BOOL, OFF(appendonly), 0, 1, M, NULL},
    {"appendfsync", OPT_ENUM, OFF(appendfsync), 0, 0, M, appendfsync_enum},
    {"appendfilename", OPT_FILENAME, OFF(appendfilename), 0, 0, 0, NULL},
    {"appenddirname", OPT_FILENAME, OFF(appenddirname), 0, 0, 0, NULL},
    {"aof-load-truncated", OPT_BOOL, OFF(aof_load_truncated), 0, 1, M, NULL},
    {"auto-aof-rewrite-percentage", OPT_LL, OFF(auto_aof_rewrite_percentage), 0, INT_MAX, M, NULL},
    {"auto-aof-rewrite-min-size", OPT_MEM, OFF(auto_aof_rewrite_min_size), 0, LLONG_MAX, M, NULL},
    {"aof-use-rdb-preamble", OPT_BOOL, OFF(aof_use_rdb_preamble), 0, 1, M, NULL},
    {"aof-rewrite-incremental-fsync", OPT_BOOL, OFF(aof_rewrite_incremental_fsync), 0, 1, M, NULL},
    {"no-appendfsync-on-rewrite", OPT_BOOL, OFF(no_appendfsync_on_rewrite), 0, 1, M, NULL},
    {"aof-timestamp-enabled", OPT_BOOL, OFF(aof_timestamp_enabled), 0, 1, M, NULL},
    {"aof-disable-auto-gc", OPT_BOOL, CPT(aof_disable_auto_gc), 0, 1, M, NULL},
    /* slow log, latency, notifications */
    {"slowlog-log-slower-than", OPT_LL, OFF(slowlog_log_slower_than), -1, LLONG_MAX, M, NULL},
    {"slowlog-max-len", OPT_LL, OFF(slowlog_max_len), 0, LONG_MAX, M, NULL},
    {"latency-monitor-threshold", OPT_LL, OFF(latency_monitor_threshold), 0, LLONG_MAX, M, NULL},
    {"latency-tracking", OPT_BOOL, OFF(latency_tracking), 0, 1, M, NULL},
    {"latency-tracking-info-percentiles", OPT_PERCENTILES, OFF(nlatency_percentiles), 0, 0, M, NULL},
    {"notify-keyspace-events", OPT_KEYSPACE_EVENTS, OFF(notify_keyspace_events), 0, 0, M, NULL},
    {"hll-sparse-max-bytes", OPT_MEM, OFF(hll_sparse_max_bytes), 0, LONG_MAX, M, NULL},
    {"stream-node-max-bytes", OPT_MEM, OFF(stream_node_max_bytes), 0, LONG_MAX, M, NULL},
    {"stream-node-max-entries", OPT_LL, OFF(stream_node_max_entries), 0, LLONG_MAX, M, NULL},
    {"tracking-table-max-keys", OPT_LL, OFF(tracking_table_max_keys), 0, LONG_MAX, M, NULL},
    {"busy-reply-threshold", OPT_LL, OFF(busy_reply_threshold), 0, LONG_MAX, M, NULL},
    {"lua-time-limit", OPT_LL, OFF(busy_reply_threshold), 0, LONG_MAX, M, NULL},
    /* replication */
    {"replicaof", OPT_REPLICAOF, OFF(replicaof_host), 0, 0, 0, NULL},
    {"slaveof", OPT_REPLICAOF, OFF(replicaof_host), 0, 0, 0, NULL},
    {"masteruser", OPT_STRING, OFF(masteruser), 0, NAME_MAX_, M, NULL},
    {"masterauth", OPT_STRING, OFF(masterauth), 0, NAME_MAX_, M, NULL},
    {"repl-diskless-sync", OPT_BOOL, OFF(repl_diskless_sync), 0, 1, M, NULL},
    {"repl-diskless-sync-delay", OPT_INT, OFF(repl_diskless_sync_delay), 0, INT_MAX, M, NULL},
    {"repl-diskless-sync-max-replicas", OPT_INT, OFF(repl_diskless_sync_max_replicas), 0, INT_MAX, M, NULL},
    {"repl-diskless-load", OPT_ENUM, OFF(repl_diskless_load), 0, 0, M, repl_diskless_load_enum},
    {"repl-disable-tcp-nodelay", OPT_BOOL, OFF(repl_disable_tcp_nodelay), 0, 1, M, NULL},
    {"repl-backlog-size", OPT_MEM, OFF(repl_backlog_size), 1, LLONG_MAX, M, NULL},
    {"repl-backlog-ttl", OPT_LL, OFF(repl_backlog_ttl), 0, LONG_MAX, M, NULL},
    {"repl-timeout", OPT_INT, OFF(repl_timeout), 1, INT_MAX, M, NULL},
    {"repl-ping-replica-period", OPT_INT, OFF(repl_ping_replica_period), 1, INT_MAX, M, NULL},
    {"repl-ping-slave-period", OPT_INT, OFF(repl_ping_replica_period), 1, INT_MAX, M, NULL},
    {"replica-serve-stale-data", OPT_BOOL, OFF(replica_serve_stale_data), 0, 1, M, NULL},
    {"slave-serve-stale-data", OPT_BOOL, OFF(replica_serve_stale_data), 0, 1, M, NULL},
    {"replica-read-only", OPT_BOOL, OFF(replica_read_only), 0, 1, M, NULL},
    {"slave-read-only", OPT_BOOL, OFF(replica_read_only), 0, 1, M, NULL},
    {"replica-lazy-flush", OPT_BOOL, OFF(replica_lazy_flush), 0, 1, M, NULL},
    {"slave-lazy-flush", OPT_BOOL, OFF(replica_lazy_flush), 0, 1, M, NULL},
    {"replica-ignore-maxmemory", OPT_BOOL, OFF(replica_ignore_maxmemory), 0, 1, M, NULL},
    {"slave-ignore-maxmemory", OPT_BOOL, OFF(replica_ignore_maxmemory), 0, 1, M, NULL},
    {"replica-priority", OPT_INT, OFF(replica_priority), 0, INT_MAX, M, NULL},
    {"slave-priority", OPT_INT, OFF(replica_priority), 0, INT_MAX, M, NULL},
    {"replica-announced", OPT_BOOL, OFF(replica_announced), 0, 1, M, NULL},
    {"replica-announce-ip", OPT_STRING, OFF(replica_announce_ip), 0, NAME_MAX_, M, NULL},
    {"slave-announce-ip", OPT_STRING, OFF(replica_announce_ip), 0, NAME_MAX_, M, NULL},
    {"replica-announce-port", OPT_INT, OFF(replica_announce_port), 0, 65535, M, NULL},
    {"slave-announce-port", OPT_INT, OFF(replica_announce_port), 0, 65535, M, NULL},
    {"replica-ignore-disk-write-errors", OPT_BOOL, OFF(replica_ignore_disk_write_errors), 0, 1, M, NULL},
    {"min-replicas-to-write", OPT_INT, OFF(min_replicas_to_write), 0, INT_MAX, M, NULL},
    {"min-slaves-to-write", OPT_INT, OFF(min_replicas_to_write), 0, INT_MAX, M, NULL},
    {"min-replicas-max-lag", OPT_INT, OFF(min_replicas_max_lag), 0, INT_MAX, M, NULL},
    {"min-slaves-max-lag", OPT_INT, OFF(min_replicas_max_lag), 0, INT_MAX, M, NULL},
    {"propagation-error-behavior", OPT_ENUM, OFF(propagation_error_behavior), 0, 0, M, propagation_error_enum},
    /* accepted for compatibility, no effect here */
    {"always-show-logo", OPT_BOOL, CPT(always_show_logo), 0, 1, 0, NULL},
    {"set-proc-title", OPT_BOOL, CPT(set_proc_title), 0, 1, 0, NULL},
    {"proc-title-template", OPT_STRING, CPT(proc_title_template), 0, NAME_MAX_, M, NULL},
    {"activerehashing", OPT_BOOL, CPT(activerehashing), 0, 1, M, NULL},
    {"dynamic-hz", OPT_BOOL, CPT(dynamic_hz), 0, 1, M, NULL},
    {"jemalloc-bg-thread", OPT_BOOL, CPT(jemalloc_bg_thread), 0, 1, M, NULL},
    {"disable-thp", OPT_BOOL, CPT(disable_thp), 0, 1, 0, NULL},
    {"oom-score-adj", OPT_ENUM, CPT(oom_score_adj), 0, 0, M, oom_score_adj_enum},
    {"oom-score-adj-values", OPT_OOM_VALUES, CPT(oom_score_adj_values), -2000, 2000, M, NULL},
    {"crash-log-enabled", OPT_BOOL, CPT(crash_log_enabled), 0, 1, M, NULL},
    {"crash-memcheck-enabled", OPT_BOOL, CPT(crash_memcheck_enabled), 0, 1, M, NULL},
    {"use-exit-on-panic", OPT_BOOL, CPT(use_exit_on_panic), 0, 1, M | H, NULL},
    {"watchdog-period", OPT_INT, CPT(watchdog_period), 0, INT_MAX, M | H, NULL},
    {"supervised", OPT_ENUM, CPT(supervised), 0, 0, 0, supervised_enum},
    {"syslog-enabled", OPT_BOOL, CPT(syslog_enabled), 0, 1, 0, NULL},
    {"syslog-ident", OPT_STRING, CPT(syslog_ident), 0, NAME_MAX_, 0, NULL},
    {"syslog-facility", OPT_ENUM, CPT(syslog_facility), 0, 0, 0, syslog_facility_enum},
    {"unixsocket", OPT_STRING, CPT(unixsocket), 0, 0, 0, NULL},
    {"unixsocketperm", OPT_OCTAL, CPT(unixsocketperm), 0, 0777, 0, NULL},
    {"socket-mark-id", OPT_LL, CPT(socket_mark_id), 0, UINT_MAX, 0, NULL},
    {"bind-source-addr", OPT_STRING, CPT(bind_source_addr), 0, NAME_MAX_, M, NULL},
    {"io-threads", OPT_INT, CPT(io_threads), 1, 128, 0, NULL},
    {"io-threads-do-reads", OPT_BOOL, CPT(io_threads_do_reads), 0, 1, 0, NULL},
    {"server_cpulist", OPT_STRING, CPT(server_cpulist), 0, NAME_MAX_, 0, NULL},
    {"bio_cpulist", OPT_STRING, CPT(bio_cpulist), 0, NAME_MAX_, 0, NULL},
    {"aof_rewrite_cpulist", OPT_STRING, CPT(aof_rewrite_cpulist), 0, NAME_MAX_, 0, NULL},
    {"bgsave_cpulist", OPT_STRING, CPT(bgsave_cpulist), 0, NAME_MAX_, 0, NULL},
    {"ignore-warnings", OPT_STRING, CPT(ignore_warnings), 0, NAME_MAX_, M, NULL},
    {"active-expire-effort", OPT_INT, CPT(active_expire_effort), 1, 10, M, NULL},
    {"shutdown-timeout", OPT_INT, CPT(shutdown_timeout), 0, INT_MAX, M, NULL},
    {"shutdown-on-sigint", OPT_ENUM_FLAGS, CPT(shutdown_on_sigint), 0, 0, M, shutdown_on_sig_enum},
    {"shutdown-on-sigterm", OPT_ENUM_FLAGS, CPT(shutdown_on_sigterm), 0, 0, M, shutdown_on_sig_enum},
    {"sanitize-dump-payload", OPT_ENUM, CPT(sanitize_dump_payload), 0, 0, M, sanitize_dump_payload_enum},
    {"activedefrag", OPT_BOOL, CPT(activedefrag), 0, 1, M, NULL},
    {"active-defrag-cycle-min", OPT_INT, CPT(active_defrag_cycle_min), 1, 99, M, NULL},
    {"active-defrag-cycle-max", OPT_INT, CPT(active_defrag_cycle_max), 1, 99, M, NULL},
    {"active-defrag-threshold-lower", OPT_INT, CPT(active_defrag_threshold_lower), 0, 1000, M, NULL},
    {"active-defrag-threshold-upper", OPT_INT, CPT(active_defrag_threshold_upper), 0, 1000, M, NULL},
    {"active-defrag-ignore-bytes", OPT_MEM, CPT(active_defrag_ignore_bytes), 1, LLONG_MAX, M, NULL},
    {"active-defrag-max-scan-fields", OPT_LL, CPT(active_defrag_max_scan_fields), 1, LONG_MAX, M, NULL},
    {"cluster-enabled", OPT_BOOL, CPT(cluster_enabled), 0, 1, 0, NULL},
    {"cluster-config-file", OPT_STRING, CPT(cluster_config_file), 0, 0, 0, NULL},
    {"cluster-port", OPT_INT, CPT(cluster_port), 0, 65535, 0, NULL},
    {"cluster-node-timeout", OPT_LL, CPT(cluster_node_timeout), 0, LLONG_MAX, M, NULL},
    {"cluster-require-full-coverage", OPT_BOOL, CPT(cluster_require_full_coverage), 0, 1, M, NULL},
    {"cluster-replica-no-failover", OPT_BOOL, CPT(cluster_replica_no_failover), 0, 1, M, NULL},
    {"cluster-slave-no-failover", OPT_BOOL, CPT(cluster_replica_no_failover), 0, 1, M, NULL},
    {"cluster-allow-reads-when-down", OPT_BOOL, CPT(cluster_allow_reads_when_down), 0, 1, M, NULL},
    {"cluster-allow-pubsubshard-when-down", OPT_BOOL, CPT(cluster_allow_pubsubshard_when_down), 0, 1, M, NULL},
    {"cluster-allow-replica-migration", OPT_BOOL, CPT(cluster_allow_replica_migration), 0, 1, M, NULL},
    {"cluster-replica-validity-factor", OPT_INT, CPT(cluster_replica_validity_factor), 0, INT_MAX, M, NULL},
    {"cluster-slave-validity-factor", OPT_INT, CPT(cluster_replica_validity_factor), 0, INT_MAX, M, NULL},
    {"cluster-migration-barrier", OPT_INT, CPT(cluster_migration_barrier), 0, INT_MAX, M, NULL},
    {"cluster-preferred-endpoint-type", OPT_ENUM, CPT(cluster_preferred_endpoint_type), 0, 0, M, cluster_endpoint_enum},
    {"cluster-announce-ip", OPT_STRING, CPT(cluster_announce_ip), 0, NAME_MAX_, M, NULL},
    {"cluster-announce-hostname", OPT_STRING, CPT(cluster_announce_hostname), 0, NAME_MAX_, M, NULL},
    {"cluster-announce-port", OPT_INT, CPT(cluster_announce_port), 0, 65535, M, NULL},
    {"cluster-announce-bus-port", OPT_INT, CPT(cluster_announce_bus_port), 0, 65535, M, NULL},
    {"cluster-announce-tls-port", OPT_INT, CPT(cluster_announce_tls_port), 0, 65535, M, NULL},
    {"cluster-link-sendbuf-limit", OPT_MEM, CPT(cluster_link_sendbuf_limit), 0, LLONG_MAX, M, NULL},
};
#define NOPTIONS (sizeof(config_options) / sizeof(config_options[0]))

#undef M
#undef P
#undef H

/* Directives of Redis's file that are ignored (Redis itself ignores them):
 * name and the word counts (directive included) they may come with. */
static const struct {
    const char *name;
    int min_words, max_words;
} deprecated_directives[] = {
    {"list-max-ziplist-entries", 2, 2},
    {"list-max-ziplist-value", 2, 2},
    {"lua-replicate-commands", 2, 2},
};

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
    /* Redis 7's defaults: DEBUG, MODULE and the protected options are off
     * until the configuration file (or the command line) allows them. */
    cfg->enable_protected_configs = PROTECTED_ACTION_NO;
    cfg->enable_debug_command = PROTECTED_ACTION_NO;
    cfg->enable_module_command = PROTECTED_ACTION_NO;
    cfg->slowlog_log_slower_than = 10000;
    cfg->slowlog_max_len = 128;
    cfg->latency_monitor_threshold = 0;
    cfg->latency_tracking = 1;
    cfg->nlatency_percentiles = 3;
    cfg->latency_percentiles[0] = 50.0;
    cfg->latency_percentiles[1] = 99.0;
    cfg->latency_percentiles[2] = 99.9;
    cfg->notify_keyspace_events = 0;
    cfg->hll_sparse_max_bytes = 3000;
    cfg->stream_node_max_bytes = 4096;
    cfg->stream_node_max_entries = 100;
    cfg->tracking_table_max_keys = 1000000;
    cfg->busy_reply_threshold = 5000;
    cfg->repl_diskless_sync = 1;
    cfg->repl_diskless_sync_delay = 5;
    cfg->repl_diskless_load = REPL_DISKLESS_LOAD_DISABLED;
    cfg->repl_backlog_size = 1024 * 1024;
    cfg->repl_backlog_ttl = 3600;
    cfg->repl_timeout = 60;
    cfg->repl_ping_replica_period = 10;
    cfg->replica_serve_stale_data = 1;
    cfg->replica_read_only = 1;
    cfg->replica_ignore_maxmemory = 1;
    cfg->replica_priority = 100;
    cfg->replica_announced = 1;
    cfg->min_replicas_max_lag = 10;
    cfg->propagation_error_behavior = PROPAGATION_ERR_IGNORE;
    struct config_compat *x = &cfg->compat;
    x->set_proc_title = 1;
    strcpy(x->proc_title_template, "{title} {listen-addr} {server-mode}");
    x->activerehashing = 1;
    x->dynamic_hz = 1;
    x->jemalloc_bg_thread = 1;
    x->disable_thp = 1;
    x->rdb_save_incremental_fsync = 1;
    x->oom_score_adj_values[0] = 0;
    x->oom_score_adj_values[1] = 200;
    x->oom_score_adj_values[2] = 800;
    x->crash_log_enabled = 1;
    x->crash_memcheck_enabled = 1;
    x->syslog_facility = 128; /* local0 */
    strcpy(x->syslog_ident, "redis");
    x->io_threads = 1;
    x->active_expire_effort = 1;
    x->shutdown_timeout = 10;
    x->loading_process_events_interval_bytes = 2 * 1024 * 1024;
    x->active_defrag_cycle_min = 1;
    x->active_defrag_cycle_max = 25;
    x->active_defrag_threshold_lower = 10;
    x->active_defrag_threshold_upper = 100;
    x->active_defrag_ignore_bytes = 100LL << 20;
    x->active_defrag_max_scan_fields = 1000;
    strcpy(x->cluster_config_file, "nodes.conf");
    x->cluster_node_timeout = 15000;
    x->cluster_require_full_coverage = 1;
    x->cluster_allow_pubsubshard_when_down = 1;
    x->cluster_allow_replica_migration = 1;
    x->cluster_replica_validity_factor = 10;
    x->cluster_migration_barrier = 1;
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
    int first = tolower((unsigned char)name[0]);
    for (size_t i = 0; i < NOPTIONS; i++)
        if (config_options[i].name[0] == first && !strcasecmp(config_options[i].name, name))
            return &config_options[i];
    return NULL;
}

int config_option_exists(const char *name)
{
    return find_option(name) != NULL;
}

int config_option_index(const char *name)
{
    const struct config_option *opt = find_option(name);
    return opt ? (int)(opt - config_options) : -1;
}

const char *config_option_name(int index)
{
    return index >= 0 && (size_t)index < NOPTIONS ? config_options[index].name : "";
}

int config_option_flags(int index)
{
    return index >= 0 && (size_t)index < NOPTIONS ? config_options[index].flags : 0;
}

/* The first row of the table that stores into the same field: an alias
 * (slaveof, hash-max-ziplist-entries ...) and its name share it. */
static size_t canonical_index(const struct config_option *opt)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (config_options[i].offset == opt->offset)
            return i;
    return (size_t)(opt - config_options);
}

static int is_multi_arg(enum opt_kind kind)
{
    return kind == OPT_BIND || kind == OPT_SAVE || kind == OPT_OBUF || kind == OPT_OOM_VALUES ||
           kind == OPT_REPLICAOF || kind == OPT_PERCENTILES || kind == OPT_ENUM_FLAGS;
}

int config_protected_action_allowed(int mode, const char *addr)
{
    if (mode == PROTECTED_ACTION_YES)
        return 1;
    if (mode != PROTECTED_ACTION_LOCAL || !addr)
        return 0;
    /* "ip:port": the host is everything before the last ':' */
    const char *colon = strrchr(addr, ':');
    size_t hostlen = colon ? (size_t)(colon - addr) : strlen(addr);
    if (hostlen >= 4 && !strncmp(addr, "127.", 4))
        return 1;
    return hostlen == 3 && !strncmp(addr, "::1", 3);
}

static const struct {
    char letter;
    int flag;
} keyspace_letters[] = {
    {'g', NOTIFY_GENERIC}, {'$', NOTIFY_STRING},   {'l', NOTIFY_LIST},     {'s', NOTIFY_SET},      {'h', NOTIFY_HASH},
    {'z', NOTIFY_ZSET},    {'x', NOTIFY_EXPIRED},  {'e', NOTIFY_EVICTED},  {'t', NOTIFY_STREAM},   {'d', NOTIFY_MODULE},
    {'n', NOTIFY_NEW},     {'K', NOTIFY_KEYSPACE}, {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS}, {'A', NOTIFY_ALL},
};

int config_keyspace_events_parse(const char *classes)
{
    int flags = 0;
    for (const char *p = classes; *p; p++) {
        size_t i;
        for (i = 0; i < sizeof(keyspace_letters) / sizeof(keyspace_letters[0]); i++)
            if (keyspace_letters[i].letter == *p)
                break;
        if (i == sizeof(keyspace_letters) / sizeof(keyspace_letters[0]))
            return -1;
        flags |= keyspace_letters[i].flag;
    }
    return flags;
}

void config_keyspace_events_format(int flags, char *out, size_t outlen)
{
    char s[32];
    size_t n = 0;
    if ((flags & NOTIFY_ALL) == NOTIFY_ALL)
        s[n++] = 'A';
    /* the type letters (g .. n) in Redis's order, unless A said them all */
    for (size_t i = 0; i < 11 && (flags & NOTIFY_ALL) != NOTIFY_ALL; i++)
        if (flags & keyspace_letters[i].flag)
            s[n++] = keyspace_letters[i].letter;
    if (flags & NOTIFY_KEYSPACE)
        s[n++] = 'K';
    if (flags & NOTIFY_KEYEVENT)
        s[n++] = 'E';
    if (flags & NOTIFY_KEY_MISS)
        s[n++] = 'm';
    s[n] = '\0';
    snprintf(out, outlen, "%s", s);
}

/* proc-title-template: Redis accepts {title}, {listen-addr}, {server-mode},
 * {config-file}, {port}, {tls-port}, {unixsocket}; "{{" and "}}" are literal
 * braces; the title expanded with an empty program name must not be empty. */
static int valid_proc_title_template(const char *t)
{
    static const char *const vars[] = {"title", "listen-addr", "server-mode", "config-file",
                                       "port",  "tls-port",    "unixsocket"};
    int nonempty = 0;
    for (const char *p = t; *p;) {
        if (*p == '{' && p[1] == '{') {
            nonempty = 1;
            p += 2;
        } else if (*p == '}') {
            if (p[1] != '}')
                return 0;
            nonempty = 1;
            p += 2;
        } else if (*p == '{') {
            const char *end = strchr(p + 1, '}');
            if (!end)
                return 0;
            size_t len = (size_t)(end - p - 1), i;
            for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
                if (strlen(vars[i]) == len && !strncmp(p + 1, vars[i], len))
                    break;
            if (i == sizeof(vars) / sizeof(vars[0]))
                return 0;
            /* listen-addr, config-file, port and tls-port never expand to "" */
            if (i == 1 || i == 3 || i == 4 || i == 5)
                nonempty = 1;
            p = end + 1;
        } else {
            nonempty = 1;
            p++;
        }
    }
    return nonempty;
}

static void format_enum(const struct config_enum *e, int value, int flags_kind, char *out, size_t outlen)
{
    size_t n = 0;
    int unmatched = value;
    out[0] = '\0';
    for (; e->name; e++) {
        if (e->value == value) {
            snprintf(out, outlen, "%s", e->name);
            return;
        }
        if (flags_kind && e->value && (unmatched & e->value) == e->value && n < outlen) {
            n += snprintf(out + n, outlen - n, "%s%s", n ? " " : "", e->name);
            unmatched &= ~e->value;
        }
    }
    if (!n || unmatched)
        snprintf(out, outlen, "unknown");
}

static int parse_enum(const struct config_option *opt, const char *v, int *out, char *err, size_t errlen)
{
    for (const struct config_enum *e = opt->enum_values; e->name; e++) {
        if (!strcasecmp(v, e->name)) {
            *out = e->value;
            return 0;
        }
    }
    size_t n = (size_t)snprintf(err, errlen, "argument(s) must be one of the following: ");
    for (const struct config_enum *e = opt->enum_values; e->name && n < errlen; e++)
        n += snprintf(err + n, errlen - n, "%s%s", e == opt->enum_values ? "" : ", ", e->name);
    return -1;
}

static int parse_integer(const struct config_option *opt, const char *v, long long *out, char *err, size_t errlen)
{
    long long n;
    if (!string2ll(v, strlen(v), &n)) {
        snprintf(err, errlen, "argument couldn't be parsed into an integer");
        return -1;
    }
    if (n < opt->min || n > opt->max) {
        snprintf(err, errlen, "argument must be between %lld and %lld inclusive", opt->min, opt->max);
        return -1;
    }
    *out = n;
    return 0;
}

static int split_line(const char *line, char **words, int maxwords, char *storage);
static int set_option(struct config *cfg, const struct config_option *opt, const char *const *values, int nvalues,
                      int at_runtime, char *err, size_t errlen);

/* Sets a multi-argument option given as one word with spaces ("60 1 300 10"). */
static int set_split_value(struct config *cfg, const struct config_option *opt, const char *value, int at_runtime,
                           char *err, size_t errlen)
{
    char *storage = malloc(strlen(value) + 1);
    char *words[64];
    int n = split_line(value, words, 64, storage);
    int rc;
    if (n < 0) {
        snprintf(err, errlen, "Unbalanced quotes or too many arguments");
        rc = -1;
    } else {
        rc = set_option(cfg, opt, (const char *const *)words, n, at_runtime, err, errlen);
    }
    free(storage);
    return rc;
}

int config_set_option(struct config *cfg, const char *name, const char *const *values, int nvalues, int at_runtime,
                      char *err, size_t errlen)
{
    const struct config_option *opt = find_option(name);
    if (!opt) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments");
        return -1;
    }
    return set_option(cfg, opt, values, nvalues, at_runtime, err, errlen);
}

static int set_option(struct config *cfg, const struct config_option *opt, const char *const *values, int nvalues,
                      int at_runtime, char *err, size_t errlen)
{
    if (at_runtime && !(opt->flags & CONFIG_FLAG_MUTABLE)) {
        snprintf(err, errlen, "can't set immutable config");
        return -1;
    }
    if (is_multi_arg(opt->kind) && nvalues == 1 && values[0][0] && strpbrk(values[0], " \t"))
        return set_split_value(cfg, opt, values[0], at_runtime, err, errlen);
    char *field = (char *)cfg + opt->offset;
    switch (opt->kind) {
    case OPT_BIND:
        if (nvalues < 1 || nvalues > CONFIG_MAX_BIND) {
            snprintf(err, errlen, "Too many bind addresses specified.");
            return -1;
        }
        for (int i = 0; i < nvalues; i++) {
            if (!values[i][0]) {
                snprintf(err, errlen, "Invalid bind address ''");
                return -1;
            }
            if (strlen(values[i]) >= sizeof(cfg->bind[0])) {
                snprintf(err, errlen, "bind address too long: '%.64s'", values[i]);
                return -1;
            }
        }
        cfg->nbind = nvalues;
        for (int i = 0; i < nvalues; i++)
            strcpy(cfg->bind[i], values[i]);
        return 0;
    case OPT_OBUF:
        return parse_obuf_limits(cfg, values, nvalues, err, errlen);
    case OPT_LINES: {
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
    case OPT_SAVE:
        return set_save_rules(cfg, values, nvalues, at_runtime, err, errlen);
    case OPT_ENUM_FLAGS: {
        int flags = 0, v;
        if (nvalues == 0)
            return parse_enum(opt, "", &v, err, errlen);
        for (int i = 0; i < nvalues; i++) {
            if (parse_enum(opt, values[i], &v, err, errlen) < 0)
                return -1;
            flags |= v;
        }
        if ((flags & SHUTDOWN_ON_SIG_SAVE) && (flags & SHUTDOWN_ON_SIG_NOSAVE)) {
            snprintf(err, errlen, "shutdown options SAVE and NOSAVE can't be used simultaneously");
            return -1;
        }
        *(int *)field = flags;
        return 0;
    }
    case OPT_OOM_VALUES: {
        int vals[3];
        if (nvalues != 3) {
            snprintf(err, errlen, "wrong number of arguments");
            return -1;
        }
        for (int i = 0; i < 3; i++) {
            char *end;
            errno = 0;
            long long v = strtoll(values[i], &end, 10);
            if (errno || end == values[i] || *end || v < opt->min || v > opt->max) {
                snprintf(err, errlen, "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
                return -1;
            }
            vals[i] = (int)v;
        }
        memcpy(field, vals, sizeof(vals));
        return 0;
    }
    case OPT_REPLICAOF: {
        if (nvalues != 2) {
            snprintf(err, errlen, "wrong number of arguments");
            return -1;
        }
        if (!strcasecmp(values[0], "no") && !strcasecmp(values[1], "one")) {
            cfg->replicaof_host[0] = '\0';
            cfg->replicaof_port = 0;
            return 0;
        }
        char *end;
        errno = 0;
        long port = strtol(values[1], &end, 10);
        if (errno || end == values[1] || *end || port < 0 || port > 65535) {
            snprintf(err, errlen, "Invalid master port");
            return -1;
        }
        if (!values[0][0] || strlen(values[0]) >= sizeof(cfg->replicaof_host)) {
            snprintf(err, errlen, "Invalid master host");
            return -1;
        }
        strcpy(cfg->replicaof_host, values[0]);
        cfg->replicaof_port = (int)port;
        return 0;
    }
    case OPT_PERCENTILES: {
        double p[CONFIG_MAX_PERCENTILES];
        int n = nvalues == 1 && !values[0][0] ? 0 : nvalues;
        if (n > CONFIG_MAX_PERCENTILES) {
            snprintf(err, errlen, "Too many latency-tracking-info-percentiles parameters (at most %d)",
                     CONFIG_MAX_PERCENTILES);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (!string2d(values[i], strlen(values[i]), &p[i])) {
                snprintf(err, errlen, "Invalid latency-tracking-info-percentiles parameters");
                return -1;
            }
            if (p[i] > 100.0 || p[i] < 0.0) {
                snprintf(err, errlen, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
                return -1;
            }
        }
        cfg->nlatency_percentiles = n;
        memcpy(cfg->latency_percentiles, p, sizeof(double) * (size_t)n);
        return 0;
    }
    default:
        break;
    }
    if (nvalues != 1) {
        snprintf(err, errlen, "wrong number of arguments");
        return -1;
    }
    const char *v = values[0];
    switch (opt->kind) {
    case OPT_INT:
    case OPT_LL:
    case OPT_HZ: {
        long long n;
        if (parse_integer(opt, v, &n, err, errlen) < 0)
            return -1;
        if (opt->kind == OPT_HZ) /* Redis keeps hz within 1..500 */
            n = n < 1 ? 1 : (n > 500 ? 500 : n);
        if (opt->kind == OPT_LL)
            *(long long *)field = n;
        else
            *(int *)field = (int)n;
        return 0;
    }
    case OPT_MEM:
    case OPT_MEM_PERCENT: {
        long long n;
        size_t len = strlen(v);
        if (config_parse_memory(v, &n) == 0) {
            if (n < (opt->kind == OPT_MEM_PERCENT ? 0 : opt->min) || n > opt->max) {
                snprintf(err, errlen, "argument must be between %lld and %lld inclusive",
                         opt->kind == OPT_MEM_PERCENT ? 0 : opt->min, opt->max);
                return -1;
            }
        } else if (opt->kind == OPT_MEM_PERCENT && len > 1 && v[len - 1] == '%' && string2ll(v, len - 1, &n) &&
                   n >= 0) {
            if (-n < opt->min) {
                snprintf(err, errlen, "percentage argument must be less or equal to %lld", -opt->min);
                return -1;
            }
            n = -n; /* a percentage is stored negative, as Redis does */
        } else {
            snprintf(err, errlen,
                     opt->kind == OPT_MEM_PERCENT ? "argument must be a memory or percent value"
                                                  : "argument must be a memory value");
            return -1;
        }
        *(long long *)field = n;
        return 0;
    }
    case OPT_OCTAL: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 8);
        if (errno || end == v || *end) {
            snprintf(err, errlen, "argument couldn't be parsed as an octal number");
            return -1;
        }
        if (n < opt->min || n > opt->max) {
            snprintf(err, errlen, "argument must be between %llo and %llo inclusive", (unsigned long long)opt->min,
                     (unsigned long long)opt->max);
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
            snprintf(err, errlen, "argument must be 'yes' or 'no'");
            return -1;
        }
        return 0;
    case OPT_STRING: {
        size_t cap = opt->max > 0 ? (size_t)opt->max : CONFIG_PATH_MAX;
        if (strlen(v) >= cap) {
            snprintf(err, errlen, "value too long (at most %zu bytes)", cap - 1);
            return -1;
        }
        if (opt->offset == OFF(compat.proc_title_template) && !valid_proc_title_template(v)) {
            snprintf(err, errlen, "template format is invalid or contains unknown variables");
            return -1;
        }
        strcpy(field, v);
        return 0;
    }
    case OPT_ENUM_LOGLEVEL:
        for (int i = 0; i < 5; i++) {
            if (!strcasecmp(v, loglevel_names[i])) {
                *(int *)field = i;
                return 0;
            }
        }
        snprintf(err, errlen, "argument(s) must be one of the following: debug, verbose, notice, warning, nothing");
        return -1;
    case OPT_ENUM:
        return parse_enum(opt, v, (int *)field, err, errlen);
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
    case OPT_KEYSPACE_EVENTS: {
        int flags = config_keyspace_events_parse(v);
        if (flags < 0) {
            snprintf(err, errlen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
            return -1;
        }
        *(int *)field = flags;
        return 0;
    }
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
            snprintf(err, errlen, "value too long (at most %d bytes)", CONFIG_PATH_MAX - 1);
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
            snprintf(err, errlen, "value too long (at most %d bytes)", CONFIG_PATH_MAX - 65);
            return -1;
        }
        strcpy(field, v);
        return 0;
    default:
        break;
    }
    return -1;
}

int config_set_from_string(struct config *cfg, const char *name, const char *value, int at_runtime, char *err,
                           size_t errlen)
{
    const struct config_option *opt = find_option(name);
    if (!opt) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments");
        return -1;
    }
    if (!is_multi_arg(opt->kind) || !strchr(value, ' ')) {
        const char *values[1] = {value};
        return set_option(cfg, opt, values, 1, at_runtime, err, errlen);
    }
    /* As Redis's CONFIG SET: words between single spaces, no quoting (what
     * CONFIG GET shows of a multi-argument option comes back unchanged). */
    char *copy = strdup(value);
    size_t cap = 8, n = 0;
    const char **words = malloc(sizeof(*words) * cap);
    char *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (n == cap) {
            cap *= 2;
            words = realloc(words, sizeof(*words) * cap);
        }
        words[n++] = w;
    }
    int rc = set_option(cfg, opt, words, (int)n, at_runtime, err, errlen);
    free(words);
    free(copy);
    return rc;
}

/* Splits one line into words with redis.conf quoting. Returns the word count,
 * or -1 for unbalanced quotes or more than maxwords words. Words are written
 * into storage (at least strlen(line) + 1 bytes). */
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

#define CONFIG_MAX_WORDS 256
#define CONFIG_MAX_INCLUDE_DEPTH 16

static int load_text(struct config *cfg, const char *text, const char *origin, int depth, char *err, size_t errlen);

/* One directive of a file (words[0] is its name). 0, or -1 with Redis's
 * reason in msg. */
static int load_directive(struct config *cfg, char **words, int n, int depth, char *msg, size_t msglen)
{
    const struct config_option *opt = find_option(words[0]);
    if (opt) {
        if (n == 1 || (!is_multi_arg(opt->kind) && opt->kind != OPT_LINES && n != 2)) {
            snprintf(msg, msglen, "wrong number of arguments");
            return -1;
        }
        return set_option(cfg, opt, (const char *const *)words + 1, n - 1, 0, msg, msglen);
    }
    for (size_t i = 0; i < sizeof(deprecated_directives) / sizeof(deprecated_directives[0]); i++)
        if (!strcasecmp(words[0], deprecated_directives[i].name) && n >= deprecated_directives[i].min_words &&
            n <= deprecated_directives[i].max_words)
            return 0;
    if (!strcasecmp(words[0], "include") && n == 2) {
        if (depth >= CONFIG_MAX_INCLUDE_DEPTH) {
            snprintf(msg, msglen, "include nested deeper than %d files", CONFIG_MAX_INCLUDE_DEPTH);
            return -1;
        }
        FILE *f = fopen(words[1], "r");
        if (!f) {
            snprintf(msg, msglen, "Fatal error, can't open config file '%.900s': %s", words[1], strerror(errno));
            return -1;
        }
        struct buf b = {0};
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
            buf_append(&b, chunk, got);
        fclose(f);
        buf_append_byte(&b, '\0');
        int rc = load_text(cfg, b.data, words[1], depth + 1, msg, msglen);
        buf_free(&b);
        return rc;
    }
    if (!strcasecmp(words[0], "loadmodule") && n >= 2) {
        snprintf(msg, msglen, "Module %.900s failed to load: shardis does not load Redis modules", words[1]);
        return -1;
    }
    if (strchr(words[0], '.')) {
        snprintf(msg, msglen,
                 n < 2 ? "Module config specified without value"
                       : "Module configuration detected, but shardis does not load Redis modules");
        return -1;
    }
    if (!strcasecmp(words[0], "sentinel")) {
        snprintf(msg, msglen, "sentinel directive while not in sentinel mode");
        return -1;
    }
    snprintf(msg, msglen, "Bad directive or wrong number of arguments");
    return -1;
}

static int load_text(struct config *cfg, const char *text, const char *origin, int depth, char *err, size_t errlen)
{
    const char *p = text;
    int lineno = 0;
    char **words = malloc(sizeof(char *) * CONFIG_MAX_WORDS);
    int rc = 0;
    while (*p && rc == 0) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        /* trimmed of " \t\r\n" both sides, as Redis does */
        while (len && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        char *line = strndup(p, len);
        char *storage = malloc(len + 1);
        char msg[1024];
        int n = 0;
        if (*line && *line != '#')
            n = split_line(line, words, CONFIG_MAX_WORDS, storage);
        if (n < 0) {
            snprintf(msg, sizeof(msg), "Unbalanced quotes in configuration line (or more than %d arguments)",
                     CONFIG_MAX_WORDS);
            rc = -1;
        } else if (n > 0) {
            rc = load_directive(cfg, words, n, depth, msg, sizeof(msg));
        }
        if (rc < 0 && !strncmp(msg, "*** FATAL", 9)) {
            /* an included file's error: already formatted */
            snprintf(err, errlen, "%s", msg);
        } else if (rc < 0) {
            snprintf(
                err, errlen,
                "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file (%s), at line %d\n>>> '%.512s'\n%s",
                origin, lineno, line, msg);
        }
        free(line);
        free(storage);
        if (!eol)
            break;
        p = eol + 1;
    }
    free(words);
    return rc;
}

int config_load_string(struct config *cfg, const char *text, const char *origin, char *err, size_t errlen)
{
    return load_text(cfg, text, origin, 0, err, errlen);
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
    case OPT_HZ:
        snprintf(out, outlen, "%d", *(const int *)field);
        break;
    case OPT_LL:
    case OPT_MEM:
        snprintf(out, outlen, "%lld", *(const long long *)field);
        break;
    case OPT_MEM_PERCENT: {
        long long v = *(const long long *)field;
        if (v < 0)
            snprintf(out, outlen, "%lld%%", -v);
        else
            snprintf(out, outlen, "%lld", v);
        break;
    }
    case OPT_OCTAL:
        snprintf(out, outlen, "%llo", (unsigned long long)*(const long long *)field);
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
    case OPT_ENUM_FLAGS:
        format_enum(opt->enum_values, *(const int *)field, opt->kind == OPT_ENUM_FLAGS, out, outlen);
        break;
    case OPT_ENUM_POLICY:
        snprintf(out, outlen, "%s", policy_names[*(const int *)field]);
        break;
    case OPT_KEYSPACE_EVENTS:
        config_keyspace_events_format(*(const int *)field, out, outlen);
        break;
    case OPT_OOM_VALUES: {
        const int *v = (const int *)field;
        snprintf(out, outlen, "%d %d %d", v[0], v[1], v[2]);
        break;
    }
    case OPT_REPLICAOF:
        if (cfg->replicaof_host[0])
            snprintf(out, outlen, "%s %d", cfg->replicaof_host, cfg->replicaof_port);
        else
            out[0] = '\0';
        break;
    case OPT_PERCENTILES: {
        size_t n = 0;
        out[0] = '\0';
        for (int i = 0; i < cfg->nlatency_percentiles && n < outlen; i++) {
            char num[64];
            int len = snprintf(num, sizeof(num), "%f", cfg->latency_percentiles[i]);
            while (len > 1 && num[len - 1] == '0') /* "99.900000" -> "99.9", "50.000000" -> "50" */
                num[--len] = '\0';
            if (len > 1 && num[len - 1] == '.')
                num[--len] = '\0';
            n += snprintf(out + n, outlen - n, "%s%s", i ? " " : "", num);
        }
        break;
    }
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
        const struct config_option *opt = &config_options[i];
        if (opt->kind == OPT_LINES)
            continue;
        for (int p = 0; p < npatterns; p++) {
            const char *name = opt->name;
            int glob = memchr(patterns[p].ptr, '*', patterns[p].len) || memchr(patterns[p].ptr, '?', patterns[p].len) ||
                       memchr(patterns[p].ptr, '[', patterns[p].len);
            /* a hidden option answers only to its exact name, as in Redis */
            int hit = glob ? !(opt->flags & CONFIG_FLAG_HIDDEN) &&
                                 stringmatchlen(patterns[p].ptr, patterns[p].len, name, strlen(name), 1)
                           : patterns[p].len == strlen(name) && !strncasecmp(patterns[p].ptr, name, patterns[p].len);
            if (hit) {
                /* an exact name is answered as the client spelled it, as Redis does */
                matched[i] = glob ? 1 : 2 + p;
                count++;
                break;
            }
        }
    }
    reply_map(out, resp, count);
    char value[CONFIG_LINES_MAX];
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (!matched[i])
            continue;
        if (matched[i] >= 2)
            reply_bulk(out, patterns[matched[i] - 2].ptr, patterns[matched[i] - 2].len);
        else
            reply_bulk_cstr(out, config_options[i].name);
        option_value(cfg, &config_options[i], value, sizeof(value));
        reply_bulk_cstr(out, value);
    }
}

/* Appends "name value\n" to a rewritten file. Single-value options are
 * quoted when they need it (empty, spaces, quotes, control characters), so
 * the loader reads back the same value. */
static void append_directive(struct buf *b, const struct config_option *opt, const char *value)
{
    buf_append_str(b, opt->name);
    buf_append_byte(b, ' ');
    int quote = !value[0];
    for (const char *p = value; *p && !quote; p++)
        quote = isspace((unsigned char)*p) || *p == '"' || *p == '\'' || *p == '\\' || !isprint((unsigned char)*p);
    if (is_multi_arg(opt->kind) && value[0])
        quote = 0;
    if (!quote) {
        buf_append_str(b, value);
    } else {
        buf_append_byte(b, '"');
        for (const char *p = value; *p; p++) {
            if (*p == '\n')
                buf_append_str(b, "\\n");
            else if (*p == '\r')
                buf_append_str(b, "\\r");
            else if (*p == '\t')
                buf_append_str(b, "\\t");
            else {
                if (*p == '"' || *p == '\\')
                    buf_append_byte(b, '\\');
                buf_append_byte(b, *p);
            }
        }
        buf_append_byte(b, '"');
    }
    buf_append_byte(b, '\n');
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
    char *value = malloc(CONFIG_LINES_MAX);
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
        if (opt && opt->kind != OPT_LINES) {
            /* the first line of an option (or of its alias) takes the current
             * value under the option's own name; later lines of it go */
            size_t idx = canonical_index(opt);
            if (!written[idx]) {
                option_value(cfg, &config_options[idx], value, CONFIG_LINES_MAX);
                append_directive(&neu, &config_options[idx], value);
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
    struct config *defaults = malloc(sizeof(*defaults));
    config_init_defaults(defaults);
    char *defval = malloc(CONFIG_LINES_MAX);
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (written[i] || config_options[i].kind == OPT_LINES || canonical_index(&config_options[i]) != i)
            continue;
        option_value(cfg, &config_options[i], value, CONFIG_LINES_MAX);
        option_value(defaults, &config_options[i], defval, CONFIG_LINES_MAX);
        if (!strcmp(value, defval))
            continue;
        append_directive(&neu, &config_options[i], value);
    }
    free(defaults);
    free(defval);
    free(value);
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
