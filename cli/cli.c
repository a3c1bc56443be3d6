/*
 * cli.c - shardis-cli: redis-cli's habits for shardis (and Redis).
 *
 * Modes: one-shot command from the arguments, commands from stdin, the
 * interactive prompt (libedit: line editing, history, TAB completion of
 * command names, argument hints in the right prompt, `help`), and the
 * special modes --pipe, --scan, --latency, --latency-history, --stat and
 * --bigkeys. Replies are printed as redis-cli prints them (cli_format.c).
 */
#include <ctype.h>
#include <errno.h>
#include <histedit.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli_conn.h"
#include "cli_format.h"
#include "core/base/buf.h"

#define CLI_VERSION "7.0.15-shardis"

static struct config {
    char *host;
    int port;
    char *socket;
    char *user, *pass;
    int dbnum;
    int resp3;
    long repeat;
    double interval;
    int stdin_last_arg;
    enum output_mode mode;
    int mode_forced;
    int no_auth_warning;
    struct tls_options tls;
    int pipe, scan, latency, latency_history, stat, bigkeys;
    char *pattern, *type;
    long count;
    int pipe_timeout;
    int tty_in, tty_out;
    int in_multi;
} cfg;

static struct cconn *conn;
static volatile sig_atomic_t interrupted;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "shardis-cli " CLI_VERSION "\n"
               "\n"
               "Usage: shardis-cli [OPTIONS] [cmd [arg [arg ...]]]\n"
               "  -h <hostname>      Server hostname (default: 127.0.0.1).\n"
               "  -p <port>          Server port (default: 6379).\n"
               "  -s <socket>        Server socket (overrides hostname and port).\n"
               "  -a <password>      Password to use when connecting to the server.\n"
               "                     You can also use the REDISCLI_AUTH environment variable.\n"
               "  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.\n"
               "  --pass <password>  Alias of -a for consistency with the new --user option.\n"
               "  -u <uri>           Server URI: redis://user:password@host:port/dbnum (rediss:// for TLS).\n"
               "  -r <repeat>        Execute specified command N times.\n"
               "  -i <interval>      When -r is used, waits <interval> seconds per command.\n"
               "                     It is possible to specify sub-second times like -i 0.1.\n"
               "                     Also the interval of --latency-history, --stat and --bigkeys.\n"
               "  -n <db>            Database number.\n"
               "  -2                 Start session in RESP2 protocol mode.\n"
               "  -3                 Start session in RESP3 protocol mode (also --resp3).\n"
               "  -x                 Read last argument from STDIN.\n"
               "  --raw              Use raw formatting for replies (default when STDOUT is\n"
               "                     not a tty).\n"
               "  --no-raw           Force formatted output even when STDOUT is not a tty.\n"
               "  --csv              Output in CSV format.\n"
               "  --tls              Establish a secure TLS connection.\n"
               "  --sni <host>       Server name indication for TLS.\n"
               "  --cacert <file>    CA Certificate file to verify with.\n"
               "  --cacertdir <dir>  Directory where trusted CA certificates are stored.\n"
               "  --insecure         Allow insecure TLS connection by skipping cert validation.\n"
               "  --cert <file>      Client certificate to authenticate with.\n"
               "  --key <file>       Private key file to authenticate with.\n"
               "  --pipe             Transfer raw RESP protocol from stdin to server.\n"
               "  --pipe-timeout <n> In --pipe mode, abort with error if after sending all data,\n"
               "                     no reply is received within <n> seconds (default 30, 0 = forever).\n"
               "  --scan             List all keys using the SCAN command.\n"
               "  --pattern <pat>    Keys pattern when using the --scan or --bigkeys options.\n"
               "  --count <count>    Count option when using the --scan or --bigkeys options.\n"
               "  --type <type>      Type option when using the --scan option.\n"
               "  --latency          Enter a special mode continuously sampling latency.\n"
               "                     Without a tty (or with --raw/--csv) it samples for 1 second\n"
               "                     (-i changes it), prints one line and exits.\n"
               "  --latency-history  Like --latency but tracking latency changes over time.\n"
               "                     Default time interval is 15 sec. Change it using -i.\n"
               "  --stat             Print rolling stats about server: mem, clients, ...\n"
               "  --bigkeys          Sample keys looking for keys with many elements (complexity).\n"
               "  --no-auth-warning  Don't show warning message when using password on command\n"
               "                     line interface.\n"
               "  --help             Output this help and exit.\n"
               "  --version          Output version and exit.\n"
               "\n"
               "Examples:\n"
               "  shardis-cli -p 6379 incr mycounter\n"
               "  cat /etc/passwd | shardis-cli -x set mypasswd\n"
               "  shardis-cli --scan --pattern 'user:*'\n"
               "  shardis-cli -r 100 -i 1 info | grep used_memory_human:\n"
               "\n"
               "When no command is given, shardis-cli starts in interactive mode.\n"
               "Type \"help\" in interactive mode for information on available commands.\n");
}

static int pct_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
            char hex[3] = {r[1], r[2], 0};
            *w++ = (char)strtol(hex, NULL, 16);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

/* redis://[[user]:password@]host[:port][/db] ; rediss:// enables TLS. */
static int parse_uri(const char *uri)
{
    const char *p;
    if (!strncasecmp(uri, "redis://", 8)) {
        p = uri + 8;
    } else if (!strncasecmp(uri, "rediss://", 9)) {
        p = uri + 9;
        cfg.tls.enabled = 1;
    } else {
        fprintf(stderr, "Invalid URI scheme\n");
        return -1;
    }
    char *s = strdup(p);
    char *at = strrchr(s, '@');
    char *hostpart = s;
    if (at) {
        *at = '\0';
        hostpart = at + 1;
        char *colon = strchr(s, ':');
        if (colon) {
            *colon = '\0';
            if (*s) {
                cfg.user = strdup(s);
                pct_decode(cfg.user);
            }
            cfg.pass = strdup(colon + 1);
            pct_decode(cfg.pass);
        } else {
            cfg.pass = strdup(s); /* redis://password@host is accepted as a password */
            pct_decode(cfg.pass);
        }
    }
    char *slash = strchr(hostpart, '/');
    if (slash) {
        *slash = '\0';
        if (slash[1])
            cfg.dbnum = atoi(slash + 1);
    }
    char *colon = strrchr(hostpart, ':');
    if (colon && !strchr(colon, ']')) {
        *colon = '\0';
        cfg.port = atoi(colon + 1);
    }
    if (*hostpart) {
        if (hostpart[0] == '[') { /* [::1] */
            hostpart++;
            char *end = strchr(hostpart, ']');
            if (end)
                *end = '\0';
        }
        cfg.host = strdup(hostpart);
    }
    free(s);
    return 0;
}

static int parse_options(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int last = i == argc - 1;
#define NEED_ARG()                                                                                                     \
    do {                                                                                                               \
        if (last) {                                                                                                    \
            fprintf(stderr, "Unrecognized option or bad number of args for: '%s'\n", a);                               \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)
        if (!strcmp(a, "-h")) {
            NEED_ARG();
            cfg.host = argv[++i];
        } else if (!strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
            printf("shardis-cli " CLI_VERSION "\n");
            exit(0);
        } else if (!strcmp(a, "-p")) {
            NEED_ARG();
            cfg.port = atoi(argv[++i]);
        } else if (!strcmp(a, "-s")) {
            NEED_ARG();
            cfg.socket = argv[++i];
        } else if (!strcmp(a, "-a") || !strcmp(a, "--pass")) {
            NEED_ARG();
            cfg.pass = argv[++i];
        } else if (!strcmp(a, "--user")) {
            NEED_ARG();
            cfg.user = argv[++i];
        } else if (!strcmp(a, "-u")) {
            NEED_ARG();
            if (parse_uri(argv[++i]) < 0)
                exit(1);
        } else if (!strcmp(a, "-n")) {
            NEED_ARG();
            cfg.dbnum = atoi(argv[++i]);
        } else if (!strcmp(a, "-r")) {
            NEED_ARG();
            cfg.repeat = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "-i")) {
            NEED_ARG();
            cfg.interval = strtod(argv[++i], NULL);
        } else if (!strcmp(a, "-x")) {
            cfg.stdin_last_arg = 1;
        } else if (!strcmp(a, "-2")) {
            cfg.resp3 = 0;
        } else if (!strcmp(a, "-3") || !strcmp(a, "--resp3")) {
            cfg.resp3 = 1;
        } else if (!strcmp(a, "--raw")) {
            cfg.mode = OUT_RAW;
            cfg.mode_forced = 1;
        } else if (!strcmp(a, "--no-raw")) {
            cfg.mode = OUT_STANDARD;
            cfg.mode_forced = 1;
        } else if (!strcmp(a, "--csv")) {
            cfg.mode = OUT_CSV;
            cfg.mode_forced = 1;
        } else if (!strcmp(a, "--tls")) {
            cfg.tls.enabled = 1;
        } else if (!strcmp(a, "--sni")) {
            NEED_ARG();
            cfg.tls.sni = argv[++i];
        } else if (!strcmp(a, "--cacert")) {
            NEED_ARG();
            cfg.tls.cacert = argv[++i];
        } else if (!strcmp(a, "--cacertdir")) {
            NEED_ARG();
            cfg.tls.cacertdir = argv[++i];
        } else if (!strcmp(a, "--insecure")) {
            cfg.tls.insecure = 1;
        } else if (!strcmp(a, "--cert")) {
            NEED_ARG();
            cfg.tls.cert = argv[++i];
        } else if (!strcmp(a, "--key")) {
            NEED_ARG();
            cfg.tls.key = argv[++i];
        } else if (!strcmp(a, "--pipe")) {
            cfg.pipe = 1;
        } else if (!strcmp(a, "--pipe-timeout")) {
            NEED_ARG();
            cfg.pipe_timeout = atoi(argv[++i]);
        } else if (!strcmp(a, "--scan")) {
            cfg.scan = 1;
        } else if (!strcmp(a, "--pattern")) {
            NEED_ARG();
            cfg.pattern = argv[++i];
        } else if (!strcmp(a, "--type")) {
            NEED_ARG();
            cfg.type = argv[++i];
        } else if (!strcmp(a, "--count")) {
            NEED_ARG();
            cfg.count = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--latency")) {
            cfg.latency = 1;
        } else if (!strcmp(a, "--latency-history")) {
            cfg.latency = 1;
            cfg.latency_history = 1;
        } else if (!strcmp(a, "--stat")) {
            cfg.stat = 1;
        } else if (!strcmp(a, "--bigkeys")) {
            cfg.bigkeys = 1;
        } else if (!strcmp(a, "--no-auth-warning")) {
            cfg.no_auth_warning = 1;
        } else if (a[0] == '-' && a[1] != '\0' && !isdigit((unsigned char)a[1])) {
            fprintf(stderr, "Unrecognized option or bad number of args for: '%s'\n", a);
            exit(1);
        } else {
            break; /* the command starts here */
        }
#undef NEED_ARG
    }
    return i;
}

/* ---- connection --------------------------------------------------------- */

static void print_reply(const struct creply *r, FILE *f)
{
    struct buf out = {0};
    format_reply(&out, r, cfg.mode);
    fwrite(out.data, 1, out.len, f);
    fflush(f);
    buf_free(&out);
}

/* Connects, authenticates, selects the db and switches protocol. Errors of
 * AUTH/SELECT/HELLO are printed and the connection kept, as redis-cli does. */
static int cli_connect(int quiet)
{
    char err[512];
    cconn_close(conn);
    conn = cconn_connect(cfg.host, cfg.port, cfg.socket, &cfg.tls, err, sizeof(err));
    if (!conn) {
        if (!quiet)
            fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (cfg.pass) {
        const char *av[3] = {"AUTH", cfg.user ? cfg.user : cfg.pass, cfg.pass};
        struct creply *r = cconn_commandv(conn, cfg.user ? 3 : 2, av);
        if (!r)
            return -1;
        if (r->type == CR_ERROR)
            fprintf(stderr, "AUTH failed: %s\n", r->str);
        creply_free(r);
    }
    if (cfg.dbnum != 0) {
        char db[16];
        snprintf(db, sizeof(db), "%d", cfg.dbnum);
        const char *av[2] = {"SELECT", db};
        struct creply *r = cconn_commandv(conn, 2, av);
        if (!r)
            return -1;
        if (r->type == CR_ERROR) {
            fprintf(stderr, "%s\n", r->str);
            cfg.dbnum = 0;
        }
        creply_free(r);
    }
    if (cfg.resp3) {
        const char *av[2] = {"HELLO", "3"};
        struct creply *r = cconn_commandv(conn, 2, av);
        if (!r)
            return -1;
        if (r->type == CR_ERROR)
            fprintf(stderr, "HELLO 3 failed: %s\n", r->str);
        creply_free(r);
    }
    return 0;
}

/* Tracks what a command changes in the session (SELECT, MULTI, HELLO). */
static void note_command(int argc, char **argv, const struct creply *r)
{
    if (!r || r->type == CR_ERROR || argc < 1)
        return;
    if (!strcasecmp(argv[0], "select") && argc == 2)
        cfg.dbnum = atoi(argv[1]);
    else if (!strcasecmp(argv[0], "multi"))
        cfg.in_multi = 1;
    else if (!strcasecmp(argv[0], "exec") || !strcasecmp(argv[0], "discard"))
        cfg.in_multi = 0;
    else if (!strcasecmp(argv[0], "hello") && argc >= 2)
        cfg.resp3 = atoi(argv[1]) == 3;
}

static int is_blocking_sub(int argc, char **argv)
{
    return argc >= 1 && (!strcasecmp(argv[0], "subscribe") || !strcasecmp(argv[0], "psubscribe") ||
                         !strcasecmp(argv[0], "ssubscribe") || !strcasecmp(argv[0], "monitor"));
}

/* Sends one command and prints its reply (and, for SUBSCRIBE/MONITOR, every
 * message until interrupted). Returns 0, 1 for an error reply, -1 when the
 * connection is lost. */
static int run_command(int argc, char **argv, size_t *lens, int interactive)
{
    if (!conn && cli_connect(0) < 0)
        return -1;
    struct creply *r = cconn_command(conn, argc, argv, lens);
    if (!r) {
        fprintf(stderr, "Error: %s\n", conn->err[0] ? conn->err : "Server closed the connection");
        cconn_close(conn);
        conn = NULL;
        return -1;
    }
    int failed = r->type == CR_ERROR;
    /* Errors go to stderr outside the interactive prompt, so scripts see them apart. */
    print_reply(r, failed && !interactive ? stderr : stdout);
    note_command(argc, argv, r);
    creply_free(r);
    if (!failed && is_blocking_sub(argc, argv)) {
        while (!interrupted) {
            r = cconn_read_reply(conn);
            if (!r)
                return -1;
            print_reply(r, stdout);
            creply_free(r);
        }
    }
    return failed;
}

/* ---- help and hints (from COMMAND DOCS) --------------------------------- */

struct cmd_doc {
    char *name; /* lower case, "config get" for subcommands */
    char *summary, *since, *group, *args;
};
static struct cmd_doc *docs;
static int ndocs;

static const struct creply *map_get(const struct creply *m, const char *key)
{
    if (!m || (m->type != CR_MAP && m->type != CR_ARRAY))
        return NULL;
    for (size_t i = 0; i + 1 < m->elements; i += 2)
        if (m->element[i]->str && !strcasecmp(m->element[i]->str, key))
            return m->element[i + 1];
    return NULL;
}

/* Argument syntax from a COMMAND DOCS "arguments" list. */
static void format_args(struct buf *out, const struct creply *args)
{
    if (!args)
        return;
    for (size_t i = 0; i < args->elements; i++) {
        const struct creply *a = args->element[i];
        const struct creply *name = map_get(a, "name"), *type = map_get(a, "type"), *token = map_get(a, "token");
        const struct creply *flags = map_get(a, "flags"), *sub = map_get(a, "arguments");
        int optional = 0, multiple = 0;
        for (size_t f = 0; flags && f < flags->elements; f++) {
            if (flags->element[f]->str && !strcmp(flags->element[f]->str, "optional"))
                optional = 1;
            if (flags->element[f]->str && !strcmp(flags->element[f]->str, "multiple"))
                multiple = 1;
        }
        if (out->len && out->data[out->len - 1] != '[' && out->data[out->len - 1] != '|')
            buf_append(out, " ", 1);
        if (optional)
            buf_append(out, "[", 1);
        if (token && token->str) {
            buf_append_str(out, token->str);
            if (type && type->str && strcmp(type->str, "pure-token"))
                buf_append(out, " ", 1);
        }
        if (type && type->str && !strcmp(type->str, "oneof") && sub) {
            for (size_t s = 0; s < sub->elements; s++) {
                if (s)
                    buf_append(out, "|", 1);
                struct buf one = {0};
                struct creply wrap = {.type = CR_ARRAY, .elements = 1, .element = &sub->element[s]};
                format_args(&one, &wrap);
                buf_append(out, one.data + (one.len && one.data[0] == ' '), one.len - (one.len && one.data[0] == ' '));
                buf_free(&one);
            }
        } else if (type && type->str && !strcmp(type->str, "block") && sub) {
            struct buf one = {0};
            format_args(&one, sub);
            buf_append(out, one.data + (one.len && one.data[0] == ' '), one.len - (one.len && one.data[0] == ' '));
            buf_free(&one);
        } else if (!(type && type->str && !strcmp(type->str, "pure-token")) && name && name->str) {
            buf_append_str(out, name->str);
        }
        if (multiple) {
            buf_append_str(out, " [");
            if (token && token->str) {
                buf_append_str(out, token->str);
                buf_append(out, " ", 1);
            }
            if (name && name->str)
                buf_append_str(out, name->str);
            buf_append_str(out, " ...]");
        }
        if (optional)
            buf_append(out, "]", 1);
    }
}

static char *dup_str(const struct creply *r)
{
    return strdup(r && r->str ? r->str : "");
}

static void add_doc(const char *name, const struct creply *doc)
{
    docs = realloc(docs, (size_t)(ndocs + 1) * sizeof(*docs));
    struct cmd_doc *d = &docs[ndocs++];
    d->name = strdup(name);
    for (char *p = d->name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    d->summary = dup_str(map_get(doc, "summary"));
    d->since = dup_str(map_get(doc, "since"));
    d->group = dup_str(map_get(doc, "group"));
    struct buf a = {0};
    format_args(&a, map_get(doc, "arguments"));
    buf_append(&a, "", 1);
    d->args = strdup(a.data[0] == ' ' ? a.data + 1 : a.data);
    buf_free(&a);
    const struct creply *subs = map_get(doc, "subcommands");
    for (size_t i = 0; subs && i + 1 < subs->elements; i += 2) {
        char full[256];
        const char *sn = subs->element[i]->str;
        const char *bar = sn ? strchr(sn, '|') : NULL;
        snprintf(full, sizeof(full), "%s %s", name, bar ? bar + 1 : (sn ? sn : ""));
        add_doc(full, subs->element[i + 1]);
    }
}

static void load_docs(void)
{
    if (ndocs || !conn)
        return;
    const char *av[2] = {"COMMAND", "DOCS"};
    struct creply *r = cconn_commandv(conn, 2, av);
    if (!r)
        return;
    if (r->type == CR_ARRAY || r->type == CR_MAP)
        for (size_t i = 0; i + 1 < r->elements; i += 2)
            if (r->element[i]->str)
                add_doc(r->element[i]->str, r->element[i + 1]);
    creply_free(r);
}

static const struct cmd_doc *find_doc(int argc, char **argv)
{
    const struct cmd_doc *best = NULL;
    char two[256];
    if (argc >= 2) {
        snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
        for (char *p = two; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    for (int i = 0; i < ndocs; i++) {
        if (argc >= 2 && !strcmp(docs[i].name, two))
            return &docs[i];
        if (!strcasecmp(docs[i].name, argv[0]))
            best = &docs[i];
    }
    return best;
}

static void print_help(int argc, char **argv)
{
    load_docs();
    if (argc == 0) {
        printf("shardis-cli " CLI_VERSION "\n"
               "To get help about commands type:\n"
               "      \"help @<group>\" to get a list of commands in <group>\n"
               "      \"help <command>\" for help on <command>\n"
               "      \"help <tab>\" to get a list of possible help topics\n"
               "      \"quit\" to exit\n"
               "\n"
               "To set shardis-cli preferences:\n"
               "      \":set hints\" enable online hints\n"
               "      \":set nohints\" disable online hints\n");
        return;
    }
    int group = argv[0][0] == '@';
    int found = 0;
    for (int i = 0; i < ndocs; i++) {
        const struct cmd_doc *d = &docs[i];
        int match = group ? !strcasecmp(d->group, argv[0] + 1) && !strchr(d->name, ' ')
                          : (argc >= 2 ? 0 : !strcasecmp(d->name, argv[0]));
        if (!group && argc >= 2) {
            char two[256];
            snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
            match = !strcasecmp(d->name, two);
        }
        if (!match)
            continue;
        found = 1;
        char upper[256];
        snprintf(upper, sizeof(upper), "%s", d->name);
        for (char *p = upper; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        printf("\n  \x1b[1m%s\x1b[0m \x1b[90m%s\x1b[0m\n  \x1b[33msummary:\x1b[0m %s\n  \x1b[33msince:\x1b[0m %s\n"
               "  \x1b[33mgroup:\x1b[0m %s\n",
               upper, d->args, d->summary, d->since, d->group);
    }
    if (found)
        printf("\n");
}

/* ---- interactive -------------------------------------------------------- */

static int hints_enabled = 1;
static char prompt_buf[256];
static char rprompt_buf[512];
static EditLine *el;
static History *hist;
static HistEvent hev;

static char *prompt_fn(EditLine *e)
{
    (void)e;
    if (!conn) {
        snprintf(prompt_buf, sizeof(prompt_buf), "not connected> ");
    } else {
        int n = cfg.socket ? snprintf(prompt_buf, sizeof(prompt_buf), "redis %s", cfg.socket)
                           : snprintf(prompt_buf, sizeof(prompt_buf), strchr(cfg.host, ':') ? "[%s]:%d" : "%s:%d",
                                      cfg.host, cfg.port);
        if (cfg.dbnum)
            n += snprintf(prompt_buf + n, sizeof(prompt_buf) - (size_t)n, "[%d]", cfg.dbnum);
        if (cfg.in_multi)
            n += snprintf(prompt_buf + n, sizeof(prompt_buf) - (size_t)n, "(TX)");
        snprintf(prompt_buf + n, sizeof(prompt_buf) - (size_t)n, "> ");
    }
    return prompt_buf;
}

/* The hint: the syntax of the command being typed, in the right prompt. */
static char *rprompt_fn(EditLine *e)
{
    rprompt_buf[0] = '\0';
    if (!hints_enabled)
        return rprompt_buf;
    const LineInfo *li = el_line(e);
    size_t n = (size_t)(li->lastchar - li->buffer);
    if (n == 0 || n > 200)
        return rprompt_buf;
    char line[256];
    memcpy(line, li->buffer, n);
    line[n] = '\0';
    char **argv;
    size_t *lens;
    int argc = split_args(line, &argv, &lens);
    if (argc > 0) {
        const struct cmd_doc *d = find_doc(argc, argv);
        if (d)
            snprintf(rprompt_buf, sizeof(rprompt_buf), "%s", d->args);
        free_args(argc, argv, lens);
    }
    return rprompt_buf;
}

static unsigned char complete_fn(EditLine *e, int ch)
{
    (void)ch;
    const LineInfo *li = el_line(e);
    size_t n = (size_t)(li->cursor - li->buffer);
    const char *start = li->buffer;
    if (memchr(start, ' ', n)) /* only the command name is completed */
        return CC_ERROR;
    load_docs();
    const char *match = NULL;
    int nmatch = 0;
    for (int i = 0; i < ndocs; i++) {
        if (!strchr(docs[i].name, ' ') && !strncasecmp(docs[i].name, start, n)) {
            match = docs[i].name;
            nmatch++;
        }
    }
    if (nmatch != 1)
        return CC_ERROR;
    char up[64];
    snprintf(up, sizeof(up), "%s ", match + n);
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    el_insertstr(e, up);
    return CC_REDISPLAY;
}

static const char *history_path(void)
{
    static char path[1024];
    const char *env = getenv("SHARDISCLI_HISTFILE");
    if (!env)
        env = getenv("REDISCLI_HISTFILE");
    if (env)
        return *env ? env : NULL;
    const char *home = getenv("HOME");
    if (!home)
        return NULL;
    snprintf(path, sizeof(path), "%s/.shardiscli_history", home);
    return path;
}

/* Lines with secrets are not written to the history (as redis-cli 7). */
static int is_sensitive(int argc, char **argv)
{
    if (argc < 1)
        return 0;
    if (!strcasecmp(argv[0], "auth"))
        return 1;
    if (!strcasecmp(argv[0], "hello"))
        for (int i = 1; i < argc; i++)
            if (!strcasecmp(argv[i], "auth"))
                return 1;
    if (!strcasecmp(argv[0], "acl") && argc >= 2 && !strcasecmp(argv[1], "setuser"))
        return 1;
    if (!strcasecmp(argv[0], "config") && argc >= 3 && !strcasecmp(argv[1], "set") &&
        (!strcasecmp(argv[2], "requirepass") || !strcasecmp(argv[2], "masterauth")))
        return 1;
    return 0;
}

static int repl(void)
{
    el = el_init("shardis-cli", stdin, stdout, stderr);
    hist = history_init();
    history(hist, &hev, H_SETSIZE, 1000);
    history(hist, &hev, H_SETUNIQUE, 1);
    const char *hpath = history_path();
    if (hpath)
        history(hist, &hev, H_LOAD, hpath);
    el_set(el, EL_HIST, history, hist);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_RPROMPT, rprompt_fn);
    el_set(el, EL_SIGNAL, 1);
    el_set(el, EL_ADDFN, "shardis-complete", "Complete a command name", complete_fn);
    el_set(el, EL_BIND, "^I", "shardis-complete", NULL);
    el_source(el, NULL); /* ~/.editrc */
    load_docs();

    for (;;) {
        int count = 0;
        const char *line = el_gets(el, &count);
        if (!line || count <= 0)
            break;
        char **argv;
        size_t *lens;
        int argc = split_args(line, &argv, &lens);
        if (argc < 0) {
            printf("Invalid argument(s)\n");
            continue;
        }
        if (argc == 0) {
            free_args(argc, argv, lens);
            continue;
        }
        if (!is_sensitive(argc, argv)) {
            char *copy = strdup(line);
            size_t l = strlen(copy);
            while (l && (copy[l - 1] == '\n' || copy[l - 1] == '\r'))
                copy[--l] = '\0';
            history(hist, &hev, H_ENTER, copy);
            if (hpath)
                history(hist, &hev, H_SAVE, hpath);
            free(copy);
        }
        int done = 0;
        /* "N command" repeats the command N times */
        long times = 1;
        int skip = 0;
        char *end;
        long n = strtol(argv[0], &end, 10);
        if (argc > 1 && *end == '\0' && n > 0) {
            times = n;
            skip = 1;
        }
        char **cargv = argv + skip;
        size_t *clens = lens + skip;
        int cargc = argc - skip;
        if (!strcasecmp(cargv[0], "quit") || !strcasecmp(cargv[0], "exit")) {
            done = 1;
        } else if (!strcasecmp(cargv[0], "help") || !strcmp(cargv[0], "?")) {
            print_help(cargc - 1, cargv + 1);
        } else if (!strcasecmp(cargv[0], "clear")) {
            printf("\x1b[H\x1b[2J");
        } else if (!strcasecmp(cargv[0], ":set") && cargc == 2) {
            hints_enabled = !strcasecmp(cargv[1], "hints");
        } else if (!strcasecmp(cargv[0], "connect") && cargc >= 2) {
            cfg.host = strdup(cargv[1]);
            cfg.port = cargc >= 3 ? atoi(cargv[2]) : 6379;
            cfg.socket = NULL;
            cfg.dbnum = 0;
            cli_connect(0);
        } else {
            for (long t = 0; t < times && !interrupted; t++) {
                if (!conn && cli_connect(0) < 0)
                    break;
                run_command(cargc, cargv, clens, 1);
            }
            interrupted = 0;
        }
        free_args(argc, argv, lens);
        if (done)
            break;
    }
    history_end(hist);
    el_end(el);
    return 0;
}

/* ---- special modes ------------------------------------------------------ */

static int pipe_mode(void)
{
    struct buf in = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        buf_append(&in, chunk, n);
    /* A final ECHO of a random marker tells when the last reply has arrived. */
    char marker[41];
    srand((unsigned)(now_us() ^ getpid()));
    for (int i = 0; i < 40; i++)
        marker[i] = "0123456789abcdef"[rand() % 16];
    marker[40] = '\0';
    char tail[128];
    int tl = snprintf(tail, sizeof(tail), "*2\r\n$4\r\nECHO\r\n$40\r\n%s\r\n", marker);
    buf_append(&in, tail, (size_t)tl);

    long long replies = 0, errors = 0;
    size_t sent = 0;
    cconn_set_nonblocking(conn);
    int done = 0, last_reply = 0;
    int64_t all_sent_at = 0;
    while (!done) {
        struct pollfd pfd = {.fd = conn->fd, .events = POLLIN | (sent < in.len ? POLLOUT : 0)};
        int timeout_ms = 1000;
        if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
            break;
        if ((pfd.revents & POLLOUT) && sent < in.len) {
            size_t want = in.len - sent > 16384 ? 16384 : in.len - sent;
            long w = cconn_write_some(conn, in.data + sent, want);
            if (w < 0) {
                fprintf(stderr, "Error writing to the server: %s\n", conn->err);
                return 1;
            }
            sent += (size_t)w;
            if (w > 0 && sent == in.len) {
                fprintf(stderr, "All data transferred. Waiting for the last reply...\n");
                all_sent_at = now_us();
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            long got = cconn_fill(conn);
            if (got == 0 || (got < 0 && errno != EAGAIN)) {
                fprintf(stderr, "Error reading from the server: %s\n",
                        conn->err[0] ? conn->err : "Server closed the connection");
                return 1;
            }
            struct creply *r;
            int rc;
            while ((rc = cconn_try_reply(conn, &r)) == 1) {
                if (r->type == CR_ERROR) {
                    fprintf(stderr, "%s\n", r->str);
                    errors++;
                } else if (sent == in.len && r->type == CR_STRING && r->len == 40 && !memcmp(r->str, marker, 40)) {
                    last_reply = 1;
                    done = 1;
                    creply_free(r);
                    break;
                } else {
                    replies++;
                }
                creply_free(r);
            }
            if (rc < 0) {
                fprintf(stderr, "Error reading from the server: Protocol error\n");
                return 1;
            }
        }
        if (all_sent_at && cfg.pipe_timeout > 0 && now_us() - all_sent_at > (int64_t)cfg.pipe_timeout * 1000000) {
            fprintf(stderr, "No replies for %d seconds: exiting.\n", cfg.pipe_timeout);
            errors++;
            break;
        }
    }
    buf_free(&in);
    if (last_reply)
        fprintf(stderr, "Last reply received from server.\n");
    printf("errors: %lld, replies: %lld\n", errors, replies);
    return errors ? 1 : 0;
}

static int scan_mode(void)
{
    char cursor[32] = "0";
    char count[32];
    snprintf(count, sizeof(count), "%ld", cfg.count > 0 ? cfg.count : 10);
    do {
        const char *av[9];
        int ac = 0;
        av[ac++] = "SCAN";
        av[ac++] = cursor;
        if (cfg.pattern) {
            av[ac++] = "MATCH";
            av[ac++] = cfg.pattern;
        }
        av[ac++] = "COUNT";
        av[ac++] = count;
        if (cfg.type) {
            av[ac++] = "TYPE";
            av[ac++] = cfg.type;
        }
        struct creply *r = cconn_commandv(conn, ac, av);
        if (!r) {
            fprintf(stderr, "I/O error\n");
            return 1;
        }
        if (r->type == CR_ERROR) {
            fprintf(stderr, "%s\n", r->str);
            creply_free(r);
            return 1;
        }
        if (r->type != CR_ARRAY || r->elements != 2 || !r->element[0]->str) {
            fprintf(stderr, "Unexpected SCAN reply\n");
            creply_free(r);
            return 1;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        const struct creply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            if (cfg.mode == OUT_STANDARD && cfg.mode_forced)
                print_reply(keys->element[i], stdout);
            else {
                fwrite(keys->element[i]->str, 1, keys->element[i]->len, stdout);
                fputc('\n', stdout);
            }
        }
        creply_free(r);
    } while (strcmp(cursor, "0") != 0 && !interrupted);
    fflush(stdout);
    return 0;
}

static int latency_mode(void)
{
    long long min = 0, max = 0, count = 0;
    double total = 0;
    double interval = cfg.interval > 0 ? cfg.interval : (cfg.latency_history ? 15.0 : 1.0);
    int once = !cfg.tty_out || cfg.mode != OUT_STANDARD;
    if (cfg.latency_history)
        once = 0;
    int64_t start = now_us(), last_print = 0;
    const char *av[1] = {"PING"};
    while (!interrupted) {
        int64_t t0 = now_us();
        struct creply *r = cconn_commandv(conn, 1, av);
        if (!r) {
            fprintf(stderr, "\nI/O error\n");
            return 1;
        }
        creply_free(r);
        long long ms = (now_us() - t0) / 1000;
        if (count == 0 || ms < min)
            min = ms;
        if (ms > max)
            max = ms;
        total += (double)(now_us() - t0) / 1000.0;
        count++;
        int64_t now = now_us();
        double elapsed = (double)(now - start) / 1e6;
        if (once && elapsed >= interval) {
            if (cfg.mode == OUT_CSV)
                printf("%lld,%lld,%.2f,%lld\n", min, max, total / (double)count, count);
            else
                printf("%lld %lld %.2f %lld\n", min, max, total / (double)count, count);
            return 0;
        }
        if (!once && now - last_print > 100000) {
            last_print = now;
            printf("\x1b[0G\x1b[2Kmin: %lld, max: %lld, avg: %.2f (%lld samples)", min, max, total / (double)count,
                   count);
            fflush(stdout);
        }
        if (cfg.latency_history && elapsed >= interval) {
            printf(" -- %.2f seconds range\n", elapsed);
            start = now;
            min = max = count = 0;
            total = 0;
        }
        usleep(10000);
    }
    printf("\n");
    return 0;
}

static const char *info_field(const char *info, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *p = info; p && *p;) {
        if (!strncmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            size_t l = strcspn(v, "\r\n");
            if (l >= outlen)
                l = outlen - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            return out;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    snprintf(out, outlen, "-");
    return NULL;
}

static int stat_mode(void)
{
    double interval = cfg.interval > 0 ? cfg.interval : 1.0;
    long long prev_requests = -1;
    for (int line = 0; !interrupted; line++) {
        const char *av[1] = {"INFO"};
        struct creply *r = cconn_commandv(conn, 1, av);
        if (!r || !r->str) {
            fprintf(stderr, "ERROR: %s\n", r && r->type == CR_ERROR ? r->str : "I/O error");
            creply_free(r);
            return 1;
        }
        if (line % 20 == 0)
            printf("------- data ------ --------------------- load -------------------- - child -\n"
                   "keys       mem      clients blocked requests            connections          \n");
        long long keys = 0;
        for (int db = 0; db < 64; db++) {
            char name[16], v[256];
            snprintf(name, sizeof(name), "db%d", db);
            if (info_field(r->str, name, v, sizeof(v)))
                keys += atoll(v + 5); /* keys=N,... */
        }
        char mem[64], clients[32], blocked[32], reqs[32], conns[32];
        info_field(r->str, "used_memory_human", mem, sizeof(mem));
        info_field(r->str, "connected_clients", clients, sizeof(clients));
        info_field(r->str, "blocked_clients", blocked, sizeof(blocked));
        info_field(r->str, "total_commands_processed", reqs, sizeof(reqs));
        info_field(r->str, "total_connections_received", conns, sizeof(conns));
        long long requests = atoll(reqs);
        char delta[48];
        snprintf(delta, sizeof(delta), "%s (+%lld)", reqs, prev_requests < 0 ? 0 : requests - prev_requests);
        prev_requests = requests;
        printf("%-10lld %-8s %-7s %-7s %-19s %-12s\n", keys, mem, clients, blocked, delta, conns);
        fflush(stdout);
        creply_free(r);
        if (cfg.repeat > 0 && line + 1 >= cfg.repeat)
            break;
        usleep((useconds_t)(interval * 1e6));
    }
    return 0;
}

static int bigkeys_mode(void)
{
    static const char *types[] = {"string", "list", "set", "hash", "zset", "stream"};
    static const char *sizecmd[] = {"STRLEN", "LLEN", "SCARD", "HLEN", "ZCARD", "XLEN"};
    static const char *unit[] = {"bytes", "items", "members", "fields", "members", "entries"};
    long long count[6] = {0}, total[6] = {0}, biggest[6] = {0};
    char *bigname[6] = {0};
    long long sampled = 0, keylen_total = 0;
    printf("\n# Scanning the entire keyspace to find biggest keys as well as\n"
           "# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n"
           "# per 100 SCAN commands (not usually needed).\n\n");
    long long dbsize = 0;
    {
        const char *av[1] = {"DBSIZE"};
        struct creply *r = cconn_commandv(conn, 1, av);
        if (r && r->type == CR_INTEGER)
            dbsize = r->integer;
        creply_free(r);
    }
    char cursor[32] = "0";
    long scans = 0;
    do {
        const char *av[6] = {"SCAN", cursor, "COUNT", "100"};
        int ac = 4;
        if (cfg.pattern) {
            av[ac++] = "MATCH";
            av[ac++] = cfg.pattern;
        }
        struct creply *r = cconn_commandv(conn, ac, av);
        if (!r || r->type != CR_ARRAY || r->elements != 2) {
            fprintf(stderr, "Error scanning the keyspace\n");
            creply_free(r);
            return 1;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        const struct creply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            const struct creply *k = keys->element[i];
            char *ta[2] = {"TYPE", k->str};
            size_t tl[2] = {4, k->len};
            struct creply *t = cconn_command(conn, 2, ta, tl);
            if (!t)
                return 1;
            int ti = -1;
            for (int j = 0; j < 6; j++)
                if (t->str && !strcmp(t->str, types[j]))
                    ti = j;
            creply_free(t);
            if (ti < 0)
                continue;
            char *sa[2] = {(char *)sizecmd[ti], k->str};
            size_t sl[2] = {strlen(sizecmd[ti]), k->len};
            struct creply *s = cconn_command(conn, 2, sa, sl);
            if (!s)
                return 1;
            long long size = s->type == CR_INTEGER ? s->integer : 0;
            creply_free(s);
            sampled++;
            keylen_total += (long long)k->len;
            count[ti]++;
            total[ti] += size;
            if (size > biggest[ti] || !bigname[ti]) {
                struct buf q = {0};
                format_repr(&q, k->str, k->len);
                buf_append(&q, "", 1);
                free(bigname[ti]);
                bigname[ti] = strdup(q.data);
                buf_free(&q);
                biggest[ti] = size;
                double pct = dbsize ? 100.0 * (double)sampled / (double)dbsize : 0;
                printf("[%05.2f%%] Biggest %-6s found so far '%s' with %lld %s\n", pct > 100 ? 100 : pct, types[ti],
                       bigname[ti], size, unit[ti]);
            }
        }
        creply_free(r);
        if (cfg.interval > 0 && ++scans % 100 == 0)
            usleep((useconds_t)(cfg.interval * 1e6));
    } while (strcmp(cursor, "0") != 0 && !interrupted);
    printf("\n-------- summary -------\n\n");
    printf("Sampled %lld keys in the keyspace!\n", sampled);
    printf("Total key length in bytes is %lld (avg len %.2f)\n\n", keylen_total,
           sampled ? (double)keylen_total / (double)sampled : 0);
    for (int j = 0; j < 6; j++)
        if (bigname[j])
            printf("Biggest %6s found '%s' has %lld %s\n", types[j], bigname[j], biggest[j], unit[j]);
    printf("\n");
    for (int j = 0; j < 6; j++) {
        printf("%lld %ss with %lld %s (%05.2f%% of keys, avg size %.2f)\n", count[j], types[j], total[j], unit[j],
               sampled ? 100.0 * (double)count[j] / (double)sampled : 0,
               count[j] ? (double)total[j] / (double)count[j] : 0);
        free(bigname[j]);
    }
    return 0;
}

/* ---- one-shot and stdin ------------------------------------------------- */

static int one_shot(int argc, char **argv)
{
    size_t *lens = calloc((size_t)argc + 1, sizeof(*lens));
    char **args = calloc((size_t)argc + 1, sizeof(*args));
    for (int i = 0; i < argc; i++) {
        args[i] = argv[i];
        lens[i] = strlen(argv[i]);
    }
    struct buf last = {0};
    if (cfg.stdin_last_arg) {
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
            buf_append(&last, chunk, n);
        buf_append(&last, "", 1);
        args[argc] = last.data;
        lens[argc] = last.len - 1;
        argc++;
    }
    long repeat = cfg.repeat > 0 ? cfg.repeat : 1;
    int rc = 0;
    for (long i = 0; i < repeat && !interrupted; i++) {
        int r = run_command(argc, args, lens, 0);
        if (r < 0) {
            rc = 1;
            break;
        }
        if (r > 0)
            rc = 1;
        if (cfg.interval > 0 && i + 1 < repeat)
            usleep((useconds_t)(cfg.interval * 1e6));
    }
    buf_free(&last);
    free(lens);
    free(args);
    return rc;
}

static int stdin_commands(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        char **argv;
        size_t *lens;
        int argc = split_args(line, &argv, &lens);
        if (argc < 0) {
            fprintf(stderr, "Invalid argument(s)\n");
            rc = 1;
            continue;
        }
        if (argc > 0) {
            int r = run_command(argc, argv, lens, 0);
            if (r != 0)
                rc = 1;
            if (r < 0) {
                free_args(argc, argv, lens);
                break;
            }
        }
        free_args(argc, argv, lens);
    }
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    cfg.host = "127.0.0.1";
    cfg.port = 6379;
    cfg.pipe_timeout = 30;
    cfg.tty_in = isatty(STDIN_FILENO);
    cfg.tty_out = isatty(STDOUT_FILENO);
    if (getenv("REDISCLI_AUTH"))
        cfg.pass = getenv("REDISCLI_AUTH");
    int first = parse_options(argc, argv);
    if (!cfg.mode_forced)
        cfg.mode = cfg.tty_out ? OUT_STANDARD : OUT_RAW;
    if (cfg.pass && !cfg.no_auth_warning && !getenv("REDISCLI_AUTH") && cfg.tty_out)
        fprintf(stderr, "Warning: Using a password with '-a' or '-u' option on the command line interface may not "
                        "be safe.\n");
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_sigint};
    sigaction(SIGINT, &sa, NULL);

    int nargs = argc - first;
    int special = cfg.pipe || cfg.scan || cfg.latency || cfg.stat || cfg.bigkeys;
    int interactive = nargs == 0 && !special && cfg.tty_in && !cfg.stdin_last_arg;
    /* Interactive sessions start even without a server: the prompt says
     * "not connected>" and the next command tries again. */
    if (cli_connect(0) < 0 && !interactive)
        return 1;
    int rc;
    if (cfg.pipe)
        rc = pipe_mode();
    else if (cfg.scan)
        rc = scan_mode();
    else if (cfg.latency)
        rc = latency_mode();
    else if (cfg.stat)
        rc = stat_mode();
    else if (cfg.bigkeys)
        rc = bigkeys_mode();
    else if (nargs > 0)
        rc = one_shot(nargs, argv + first);
    else if (!cfg.tty_in)
        rc = stdin_commands();
    else
        rc = repl();
    cconn_close(conn);
    return rc;
}
