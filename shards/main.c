/*
 * main.c - shardis-server: reads the configuration like redis-server
 * ("shardis-server [config-file] [--option value ...]"), starts one shard
 * thread per `threads`, and waits for SIGTERM/SIGINT or SHUTDOWN.
 *
 * The main thread owns nothing after start-up: it only handles signals,
 * writes the pid file and joins the shard threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "core/base/server.h"
#include "core/base/util.h"
#include "core/types/evict.h"
#include "shards/client_acl.h"
#include "net/tls.h"
#include "persist/snapshot.h"
#include "security/acl.h"
#include "security/audit.h"
#include "shards/shard.h"

#include "shards/engine_hooks.h" /* the engine's side of core/ (start-up) */

#ifdef SHARDIS_JEMALLOC
/* Read by jemalloc when it starts. As Redis does (jemalloc-bg-thread yes),
 * jemalloc's own background thread purges freed memory, so that the pages
 * a shard freed (a listpack that grew by realloc, a drained input buffer)
 * go back to the kernel within about a second instead of lingering as
 * dirty pages in the RSS. MALLOC_CONF in the environment still overrides
 * it. */
__attribute__((visibility("default"), used)) const char *malloc_conf =
    "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
#endif

static void usage(void)
{
    fprintf(stderr, "Usage: ./shardis-server [/path/to/shardis.conf] [options]\n"
                    "       ./shardis-server - (read config from stdin)\n"
                    "       ./shardis-server -v or --version\n"
                    "       ./shardis-server -h or --help\n\n"
                    "Examples:\n"
                    "       ./shardis-server (run the server with default config)\n"
                    "       ./shardis-server conf/shardis.conf\n"
                    "       ./shardis-server --port 7777 --threads 4\n"
                    "       ./shardis-server conf/shardis.conf --loglevel verbose\n");
}

/* Turns argv options into config text, as redis-server does: "--name v1 v2"
 * becomes a line "name v1 v2". */
static int args_to_config(int argc, char **argv, int start, struct buf *out)
{
    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-') {
            if (out->len)
                buf_append_byte(out, '\n');
            buf_append_str(out, a + 2);
        } else {
            if (!out->len) {
                fprintf(stderr, "Invalid option '%s': options start with '--' (e.g. --port 6380)\n", a);
                return -1;
            }
            /* Quote the value so spaces and empty strings survive. */
            buf_append_str(out, " \"");
            for (const char *p = a; *p; p++) {
                if (*p == '"' || *p == '\\')
                    buf_append_byte(out, '\\');
                buf_append_byte(out, *p);
            }
            buf_append_byte(out, '"');
        }
    }
    buf_append_byte(out, '\0');
    return 0;
}

static void make_run_id(char *out)
{
    unsigned char raw[20];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw)) {
        for (size_t i = 0; i < sizeof(raw); i++)
            raw[i] = (unsigned char)(ustime() >> (i % 8));
    }
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < sizeof(raw); i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
}

int main(int argc, char **argv)
{
    struct config *cfg = calloc(1, sizeof(*cfg));
    engine_commands_install(); /* before anything reads the command table */
    engine_hooks_install();
    config_init_defaults(cfg);
    int argi = 1;
    char err[2048];
    if (argc >= 2) {
        if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) {
            printf("shardis server v=%s (Redis %s compatible) io_uring threads\n", SHARDIS_VERSION,
                   REDIS_COMPAT_VERSION);
            return 0;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            usage();
            return 0;
        }
        if (argv[1][0] != '-' || argv[1][1] != '-') {
            if (!strcmp(argv[1], "-")) {
                struct buf b = {0};
                char chunk[4096];
                size_t n;
                while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
                    buf_append(&b, chunk, n);
                buf_append_byte(&b, '\0');
                if (config_load_string(cfg, b.data, "stdin", err, sizeof(err)) < 0) {
                    fprintf(stderr, "\n%s\n", err);
                    return 1;
                }
                buf_free(&b);
            } else if (config_load_file(cfg, argv[1], err, sizeof(err)) < 0) {
                fprintf(stderr, "\n%s\n", err);
                free(cfg);
                return 1;
            }
            argi = 2;
        }
    }
    struct buf opts = {0};
    if (args_to_config(argc, argv, argi, &opts) < 0)
        return 1;
    if (config_load_string(cfg, opts.data, "command line", err, sizeof(err)) < 0) {
        fprintf(stderr, "\n%s\n", err);
        buf_free(&opts);
        free(cfg);
        return 1;
    }
    buf_free(&opts);
    evict_set_policy(cfg->maxmemory_policy);
    evict_thread_register(); /* first: takes the base of the memory count */

    if (cfg->daemonize && daemon(1, 0) < 0) {
        fprintf(stderr, "Can't daemonize: %s\n", strerror(errno));
        return 1;
    }
    log_configure(cfg->logfile, cfg->loglevel);
    if (acl_init(cfg, err, sizeof(err)) < 0 || audit_open(cfg->audit_log_file, err, sizeof(err)) < 0) {
        server_log(LL_WARNING, "%s", err);
        fprintf(stderr, "\n%s\n", err);
        return 1;
    }
    client_acl_register(); /* AUTH and ACL read their client through it */

    struct server *srv = calloc(1, sizeof(*srv));
    the_server = srv;
    atomic_store(&srv->config, cfg);
    srv->nshards = cfg->threads;
    srv->start_time_ms = mstime();
    srv->start_monotonic_us = monotonic_us();
    atomic_store(&srv->lastsave_unix, srv->start_time_ms / 1000);
    make_run_id(srv->run_id);
    ssize_t elen = readlink("/proc/self/exe", srv->executable, sizeof(srv->executable) - 1);
    if (elen > 0)
        srv->executable[elen] = '\0';

    /* Room for maxclients sockets plus listeners and rings. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = (rlim_t)cfg->maxclients + 64 + 8 * cfg->threads;
        if (rl.rlim_cur < want) {
            rlim_t old = rl.rlim_cur;
            rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            if (rl.rlim_cur < want)
                server_log(LL_WARNING,
                           "You requested maxclients of %lld requiring at least %llu max file descriptors; the "
                           "limit is %llu (was %llu)",
                           cfg->maxclients, (unsigned long long)want, (unsigned long long)rl.rlim_cur,
                           (unsigned long long)old);
        }
    }

    /* Every thread inherits this mask: signals are taken by sigtimedwait here. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    server_log(LL_NOTICE, "oO0OoO0OoO0Oo shardis is starting oO0OoO0OoO0Oo");
    server_log(LL_NOTICE, "shardis version=%s, Redis API %s, bits=64, pid=%d, just started", SHARDIS_VERSION,
               REDIS_COMPAT_VERSION, (int)getpid());
    if (!cfg->config_file[0])
        server_log(LL_WARNING,
                   "Warning: no config file specified, using the default config. In order to specify "
                   "a config file use %s /path/to/shardis.conf",
                   argv[0]);
    if (tls_configure(cfg, err, sizeof(err)) < 0) {
        server_log(LL_WARNING, "%s", err);
        return 1;
    }
    snap_server_init(srv);
    if (shards_start(srv) < 0) {
        server_log(LL_WARNING, "Failed to start: see the message above.");
        return 1;
    }
    if (cfg->pidfile[0]) {
        FILE *f = fopen(cfg->pidfile, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        } else {
            server_log(LL_WARNING, "Failed to write PID file: %s", strerror(errno));
        }
    }
    server_log(LL_NOTICE, "Server initialized with %d shard threads (io_uring)", srv->nshards);
    server_log(LL_NOTICE, "Ready to accept connections tcp on port %d", cfg->port);

    struct timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    while (!atomic_load(&srv->shutdown_requested)) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            server_log(LL_WARNING, "Received %s scheduling shutdown...", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            /* As Redis: save on SIGTERM when save rules are configured. */
            snap_request_shutdown_save(srv, server_config(srv)->nsave > 0);
            server_request_shutdown(srv, 0);
        }
    }
    server_log(LL_WARNING, "Closing clients and stopping shard threads...");
    shards_join(srv);
    if (snap_shutdown_failed(srv)) {
        server_log(LL_WARNING, "Error trying to save the DB at shutdown: exiting with status 1");
        atomic_store(&srv->shutdown_exit_code, 1);
    }
    if (cfg->pidfile[0])
        unlink(server_config(srv)->pidfile);
    acl_shutdown();
    audit_close();
    server_log(LL_WARNING, "shardis is now ready to exit, bye bye...");
    return atomic_load(&srv->shutdown_exit_code);
}
