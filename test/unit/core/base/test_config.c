/*
 * test_config.c - core/base/config.c without a server: Redis's directives and
 * their checks, the file parser's errors and special directives (include,
 * deprecated names, modules, sentinel), notify-keyspace-events letters, who
 * may use a protected action, and CONFIG REWRITE's round trip.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/config.h"

static struct config *fresh(void)
{
    struct config *cfg = malloc(sizeof(*cfg));
    memcpy(cfg, config_defaults(), sizeof(*cfg));
    return cfg;
}

/* CONFIG GET name's value as a C string (static buffer). */
static const char *get(const struct config *cfg, const char *name)
{
    static char value[4096];
    struct buf out = {0};
    struct arg pattern = {.ptr = name, .len = strlen(name)};
    config_get_reply(cfg, &out, 2, &pattern, 1);
    /* *2\r\n$n\r\nname\r\n$m\r\nvalue\r\n */
    const char *p = out.data;
    cr_assert(out.len > 4 && !strncmp(p, "*2\r\n", 4), "CONFIG GET %s: %.*s", name, (int)out.len, out.data);
    p = strstr(p + 4, "\r\n") + 2;
    p = strstr(p, "\r\n") + 2;
    long len = strtol(p + 1, NULL, 10);
    p = strstr(p, "\r\n") + 2;
    snprintf(value, sizeof(value), "%.*s", (int)len, p);
    buf_free(&out);
    return value;
}

static int load(struct config *cfg, const char *text, char *err, size_t errlen)
{
    return config_load_string(cfg, text, "test", err, errlen);
}

Test(config, redis7_defaults)
{
    const struct config *cfg = config_defaults();
    cr_assert_eq(cfg->enable_protected_configs, PROTECTED_ACTION_NO);
    cr_assert_eq(cfg->enable_debug_command, PROTECTED_ACTION_NO);
    cr_assert_eq(cfg->enable_module_command, PROTECTED_ACTION_NO);
    cr_assert(cfg->rdbcompression && cfg->rdbchecksum);
    cr_assert_eq(cfg->slowlog_log_slower_than, 10000);
    cr_assert_eq(cfg->slowlog_max_len, 128);
    cr_assert_eq(cfg->latency_monitor_threshold, 0);
    cr_assert_eq(cfg->hll_sparse_max_bytes, 3000);
    cr_assert_eq(cfg->stream_node_max_bytes, 4096);
    cr_assert_eq(cfg->stream_node_max_entries, 100);
    cr_assert_eq(cfg->repl_backlog_size, 1024 * 1024);
    cr_assert_eq(cfg->notify_keyspace_events, 0);
    cr_assert_str_eq(get(cfg, "latency-tracking-info-percentiles"), "50 99 99.9");
    cr_assert_str_eq(get(cfg, "oom-score-adj-values"), "0 200 800");
    cr_assert_str_eq(get(cfg, "replicaof"), "");
}

Test(config, keyspace_event_letters)
{
    char out[32];
    int f = config_keyspace_events_parse("KEA");
    cr_assert_eq(f, NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_ALL);
    config_keyspace_events_format(f, out, sizeof(out));
    cr_assert_str_eq(out, "AKE");
    config_keyspace_events_format(config_keyspace_events_parse("Ex$"), out, sizeof(out));
    cr_assert_str_eq(out, "$xE");
    config_keyspace_events_format(config_keyspace_events_parse("mgA"), out, sizeof(out));
    cr_assert_str_eq(out, "Am");
    config_keyspace_events_format(config_keyspace_events_parse("Kg$lshzxetdn"), out, sizeof(out));
    cr_assert_str_eq(out, "AK", "every type letter is A");
    cr_assert_eq(config_keyspace_events_parse(""), 0);
    cr_assert_eq(config_keyspace_events_parse("Q"), -1);
    cr_assert_eq(config_keyspace_events_parse("Ka"), -1, "letters are case-sensitive");
}

Test(config, protected_action_local_means_loopback)
{
    cr_assert(config_protected_action_allowed(PROTECTED_ACTION_YES, "10.1.2.3:4000"));
    cr_assert(config_protected_action_allowed(PROTECTED_ACTION_YES, NULL));
    cr_assert(!config_protected_action_allowed(PROTECTED_ACTION_NO, "127.0.0.1:4000"));
    cr_assert(config_protected_action_allowed(PROTECTED_ACTION_LOCAL, "127.0.0.1:4000"));
    cr_assert(config_protected_action_allowed(PROTECTED_ACTION_LOCAL, "127.200.0.9:1"));
    cr_assert(config_protected_action_allowed(PROTECTED_ACTION_LOCAL, "::1:6379"));
    cr_assert(!config_protected_action_allowed(PROTECTED_ACTION_LOCAL, "10.1.2.3:4000"));
    cr_assert(!config_protected_action_allowed(PROTECTED_ACTION_LOCAL, "1127.0.0.1:4000"));
    cr_assert(!config_protected_action_allowed(PROTECTED_ACTION_LOCAL, "::12:6379"));
    cr_assert(!config_protected_action_allowed(PROTECTED_ACTION_LOCAL, "fe80::1:6379"));
    cr_assert(!config_protected_action_allowed(PROTECTED_ACTION_LOCAL, NULL));
}

Test(config, unknown_directive_names_its_line)
{
    struct config *cfg = fresh();
    char err[2048];
    int rc =
        load(cfg, "# comment\r\nalways-show-logo no\r\n\r\n   bogus-directive 1 2\r\nport 1\r\n", err, sizeof(err));
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err, "at line 4") && strstr(err, ">>> 'bogus-directive 1 2'") &&
                  strstr(err, "\nBad directive or wrong number of arguments"),
              "%s", err);
    free(cfg);
}

Test(config, redis_special_directives)
{
    struct config *cfg = fresh();
    char err[2048];
    /* Redis ignores these old names too */
    cr_assert_eq(load(cfg, "list-max-ziplist-entries 512\nlist-max-ziplist-value 64\nlua-replicate-commands yes\n", err,
                      sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(load(cfg, "list-max-ziplist-entries 1 2\n", err, sizeof(err)), -1);
    cr_assert_eq(load(cfg, "loadmodule /usr/lib/redis/modules/x.so\n", err, sizeof(err)), -1);
    cr_assert(strstr(err, "x.so"), "%s", err);
    cr_assert_eq(load(cfg, "mymodule.option 5\n", err, sizeof(err)), -1);
    cr_assert_eq(load(cfg, "sentinel monitor m 127.0.0.1 6379 2\n", err, sizeof(err)), -1);
    cr_assert(strstr(err, "sentinel directive while not in sentinel mode"), "%s", err);
    /* an option with the wrong word count */
    cr_assert_eq(load(cfg, "maxmemory\n", err, sizeof(err)), -1);
    cr_assert(strstr(err, "\nwrong number of arguments"), "%s", err);
    cr_assert_eq(load(cfg, "maxmemory 1 2\n", err, sizeof(err)), -1);
    /* an empty address would come back from CONFIG GET as nothing (found by fuzz_config) */
    cr_assert_eq(load(cfg, "bind 127.0.0.1 \"\"\n", err, sizeof(err)), -1);
    cr_assert(strstr(err, "Invalid bind address ''"), "%s", err);
    cr_assert_eq(load(cfg, "requirepass \"unbalanced\n", err, sizeof(err)), -1);
    cr_assert(strstr(err, "Unbalanced quotes"), "%s", err);
    free(cfg);
}

Test(config, include_reads_another_file)
{
    char path[] = "/tmp/shardis-include-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *inner = "slowlog-max-len 77\nnotify-keyspace-events Kx\n";
    cr_assert(write(fd, inner, strlen(inner)) == (ssize_t)strlen(inner));
    close(fd);
    struct config *cfg = fresh();
    char text[256], err[2048];
    snprintf(text, sizeof(text), "slowlog-max-len 5\ninclude %s\nlatency-monitor-threshold 9\n", path);
    cr_assert_eq(load(cfg, text, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg->slowlog_max_len, 77);
    cr_assert_eq(cfg->latency_monitor_threshold, 9);
    cr_assert_str_eq(get(cfg, "notify-keyspace-events"), "xK");

    /* a file that includes itself stops, with the depth in the message */
    FILE *f = fopen(path, "w");
    fprintf(f, "include %s\n", path);
    fclose(f);
    snprintf(text, sizeof(text), "include %s\n", path);
    cr_assert_eq(load(cfg, text, err, sizeof(err)), -1);
    cr_assert(strstr(err, "include nested deeper"), "%s", err);
    unlink(path);
    cr_assert_eq(load(cfg, text, err, sizeof(err)), -1);
    cr_assert(strstr(err, "can't open config file"), "%s", err);
    free(cfg);
}

Test(config, values_checked_like_redis)
{
    struct config *cfg = fresh();
    char err[512];
    struct {
        const char *name, *value, *err;
    } bad[] = {
        {"hz", "abc", "argument couldn't be parsed into an integer"},
        {"repl-timeout", "0", "argument must be between 1 and 2147483647 inclusive"},
        {"maxmemory", "12qb", "argument must be a memory value"},
        {"maxmemory-clients", "abc", "argument must be a memory or percent value"},
        {"maxmemory-clients", "101%", "percentage argument must be less or equal to 100"},
        {"unixsocketperm", "8", "argument couldn't be parsed as an octal number"},
        {"unixsocketperm", "1777", "argument must be between 0 and 777 inclusive"},
        {"rdbcompression", "maybe", "argument must be 'yes' or 'no'"},
        {"enable-debug-command", "sometimes", "argument(s) must be one of the following: no, yes, local"},
        {"notify-keyspace-events", "KEQ", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
        {"oom-score-adj-values", "1 2", "wrong number of arguments"},
        {"replicaof", "host notaport", "Invalid master port"},
        {"latency-tracking-info-percentiles", "50 100.5",
         "latency-tracking-info-percentiles parameters should sit "
         "between [0.0,100.0]"},
        {"latency-tracking-info-percentiles", "x", "Invalid latency-tracking-info-percentiles parameters"},
        {"shutdown-on-sigterm", "save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously"},
        {"proc-title-template", "{title", "template format is invalid or contains unknown variables"},
        {"proc-title-template", "{title}", "template format is invalid or contains unknown variables"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(config_set_from_string(cfg, bad[i].name, bad[i].value, 0, err, sizeof(err)), -1, "%s %s",
                     bad[i].name, bad[i].value);
        cr_assert_str_eq(err, bad[i].err, "%s %s", bad[i].name, bad[i].value);
    }
    cr_assert_eq(memcmp(cfg, config_defaults(), sizeof(*cfg)), 0, "a refused value changed the configuration");

    cr_assert_eq(config_set_from_string(cfg, "rdbchecksum", "no", 1, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "can't set immutable config");
    cr_assert_eq(config_set_from_string(cfg, "rdbchecksum", "no", 0, err, sizeof(err)), 0);
    cr_assert_eq(cfg->rdbchecksum, 0);
    cr_assert_eq(config_set_from_string(cfg, "slaveof", "10.0.0.1 6380", 0, err, sizeof(err)), 0);
    cr_assert_str_eq(cfg->replicaof_host, "10.0.0.1");
    cr_assert_eq(cfg->replicaof_port, 6380);
    cr_assert_eq(config_set_from_string(cfg, "replicaof", "no one", 0, err, sizeof(err)), 0);
    cr_assert_str_eq(cfg->replicaof_host, "");
    cr_assert_eq(config_set_from_string(cfg, "hz", "0", 1, err, sizeof(err)), 0);
    cr_assert_eq(cfg->hz, 1, "hz is kept within 1..500");
    cr_assert_eq(config_set_from_string(cfg, "unixsocketperm", "755", 0, err, sizeof(err)), 0);
    cr_assert_str_eq(get(cfg, "unixsocketperm"), "755");
    cr_assert_eq(config_set_from_string(cfg, "latency-tracking-info-percentiles", "", 1, err, sizeof(err)), 0);
    cr_assert_eq(cfg->nlatency_percentiles, 0);
    free(cfg);
}

Test(config, option_table_flags)
{
    int dir = config_option_index("DIR");
    cr_assert(dir >= 0);
    cr_assert_str_eq(config_option_name(dir), "dir");
    cr_assert(config_option_flags(dir) & CONFIG_FLAG_PROTECTED);
    cr_assert(config_option_flags(config_option_index("dbfilename")) & CONFIG_FLAG_PROTECTED);
    cr_assert(!(config_option_flags(config_option_index("maxmemory")) & CONFIG_FLAG_PROTECTED));
    cr_assert(!(config_option_flags(config_option_index("enable-debug-command")) & CONFIG_FLAG_MUTABLE));
    cr_assert(config_option_flags(config_option_index("key-load-delay")) & CONFIG_FLAG_HIDDEN);
    cr_assert_eq(config_option_index("no-such-option"), -1);
    /* an alias is a row of its own on the same field */
    cr_assert(config_option_index("slaveof") >= 0 &&
              config_option_index("slaveof") != config_option_index("replicaof"));
}

Test(config, rewrite_keeps_lines_and_reads_back)
{
    char path[] = "/tmp/shardis-rewrite-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "# kept\n"
                       "slaveof 10.0.0.1 6380\n"
                       "user alice on >pw ~* +@all\n"
                       "user bob off\n"
                       "proc-title-template \"{title} x\"\n"
                       "save 900 1\n"
                       "save 300 10\n";
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    struct config *cfg = fresh();
    char err[2048];
    cr_assert_eq(config_load_file(cfg, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(config_set_from_string(cfg, "requirepass", "with space\"quote", 1, err, sizeof(err)), 0);
    cr_assert_eq(config_set_from_string(cfg, "notify-keyspace-events", "Kx", 1, err, sizeof(err)), 0);
    cr_assert_eq(config_rewrite(cfg, err, sizeof(err)), 0, "%s", err);

    FILE *f = fopen(path, "r");
    char written[8192];
    size_t n = fread(written, 1, sizeof(written) - 1, f);
    written[n] = '\0';
    fclose(f);
    cr_assert(strstr(written, "# kept\n"), "%s", written);
    cr_assert(strstr(written, "user alice on >pw ~* +@all\nuser bob off\n"), "user lines kept as they were: %s",
              written);
    cr_assert(!strstr(written, "slaveof") && strstr(written, "replicaof 10.0.0.1 6380\n"), "%s", written);
    cr_assert(strstr(written, "save 900 1 300 10\n") && !strstr(written, "save 300 10\n"), "%s", written);

    struct config *again = fresh();
    cr_assert_eq(config_load_file(again, path, err, sizeof(err)), 0, "%s\n%s", err, written);
    static const char *names[] = {"requirepass", "notify-keyspace-events", "proc-title-template", "replicaof", "save"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char before[512];
        snprintf(before, sizeof(before), "%s", get(cfg, names[i]));
        cr_assert_str_eq(get(again, names[i]), before, "%s", names[i]);
    }
    cr_assert_str_eq(again->user_lines, cfg->user_lines);
    unlink(path);
    free(cfg);
    free(again);
}

/* conf/shardis.conf documents every option with its default: loading it
 * must succeed and change nothing but dir ("./"). */
Test(config, shipped_file_states_the_defaults)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s", __FILE__);
    char *slash = strrchr(path, '/');
    cr_assert(slash);
    snprintf(slash, sizeof(path) - (size_t)(slash - path), "/../../../../conf/shardis.conf");
    struct config *cfg = fresh();
    char err[2048];
    cr_assert_eq(config_load_file(cfg, path, err, sizeof(err)), 0, "%s", err);
    struct config *defaults = fresh();
    struct buf a = {0}, b = {0};
    struct arg all = {.ptr = "*", .len = 1};
    snprintf(cfg->dir, sizeof(cfg->dir), "%s", defaults->dir);
    config_get_reply(cfg, &a, 2, &all, 1);
    config_get_reply(defaults, &b, 2, &all, 1);
    cr_assert(a.len == b.len && !memcmp(a.data, b.data, a.len), "conf/shardis.conf differs from the defaults");
    buf_free(&a);
    buf_free(&b);
    free(cfg);
    free(defaults);
}
