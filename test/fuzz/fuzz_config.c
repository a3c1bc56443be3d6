/*
 * fuzz_config.c - libFuzzer target for the configuration: the file parser
 * (config_load_string, as a redis.conf or the command line is read) and
 * CONFIG SET values (config_set_from_string).
 *
 * The first byte picks the mode:
 *   even: the rest is a configuration file's text;
 *   odd:  the rest is "name\nvalue" for one CONFIG SET (bit 1: at run time).
 * Every input must end in an error message or a configuration, never a
 * crash, leak or undefined behaviour. Then, on whatever configuration
 * resulted, the property of Redis's "CONFIG sanity" test must hold: every
 * value CONFIG GET * shows, CONFIG SET takes back and CONFIG GET shows it
 * unchanged (aborts otherwise, so libFuzzer reports the input).
 *
 * `include` reads other files: a file text naming it is skipped, so that the
 * fuzzer never reads /dev/zero or a FIFO.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/buf.h"
#include "core/base/config.h"
#include "core/base/resp.h"

/* Reads one RESP2 bulk string at *p (of the reply config_get_reply wrote). */
static int read_bulk(const char **p, const char *end, const char **s, size_t *len)
{
    if (*p >= end || **p != '$')
        return -1;
    char *crlf;
    long n = strtol(*p + 1, &crlf, 10);
    if (n < 0 || crlf + 2 + n + 2 > end)
        return -1;
    *s = crlf + 2;
    *len = (size_t)n;
    *p = crlf + 2 + n + 2;
    return 0;
}

/* CONFIG GET * as (name, value) pairs: RESP2 reply in out. */
static void get_all(const struct config *cfg, struct buf *out)
{
    struct arg all = {.ptr = "*", .len = 1};
    config_get_reply(cfg, out, 2, &all, 1);
}

static void check_takes_back_own_values(const struct config *cfg)
{
    struct buf reply = {0};
    get_all(cfg, &reply);
    const char *p = reply.data, *end = reply.data + reply.len;
    long pairs = strtol(p + 1, NULL, 10) / 2;
    p = strstr(p, "\r\n") + 2;
    struct config *copy = malloc(sizeof(*copy));
    memcpy(copy, cfg, sizeof(*copy));
    for (long i = 0; i < pairs; i++) {
        const char *name, *value;
        size_t nlen, vlen;
        if (read_bulk(&p, end, &name, &nlen) < 0 || read_bulk(&p, end, &value, &vlen) < 0)
            abort();
        char *n = strndup(name, nlen), *v = strndup(value, vlen);
        char err[512];
        /* A value with a NUL byte cannot be given back. An option set at
         * start only is set as the file does (save is mutable: its file
         * semantics, adding rules, are not wanted here). */
        int rc = 0;
        int no_master = !v[0] && (!strcmp(n, "replicaof") || !strcmp(n, "slaveof")); /* "" is not a value */
        if (strlen(v) == vlen && !no_master) {
            rc = config_set_from_string(copy, n, v, 1, err, sizeof(err));
            if (rc < 0 && strstr(err, "immutable"))
                rc = config_set_from_string(copy, n, v, 0, err, sizeof(err));
        }
        if (rc < 0) {
            fprintf(stderr, "CONFIG SET %s '%s' refused: %s\n", n, v, err);
            abort();
        }
        free(n);
        free(v);
    }
    /* every value set back to what it showed: CONFIG GET * unchanged */
    struct buf again = {0};
    get_all(copy, &again);
    if (again.len != reply.len || memcmp(again.data, reply.data, reply.len)) {
        fprintf(stderr, "CONFIG SET of the values CONFIG GET showed changed them:\n%.*s\n---\n%.*s\n", (int)reply.len,
                reply.data, (int)again.len, again.data);
        abort();
    }
    buf_free(&again);
    free(copy);
    buf_free(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct config *cfg = malloc(sizeof(*cfg));
    memcpy(cfg, config_defaults(), sizeof(*cfg));
    char *text = strndup((const char *)data + 1, size - 1);
    char err[2048];
    if (!(data[0] & 1)) {
        if (!strcasestr(text, "include"))
            config_load_string(cfg, text, "fuzz", err, sizeof(err));
    } else {
        char *nl = strchr(text, '\n');
        const char *value = "";
        if (nl) {
            *nl = '\0';
            value = nl + 1;
        }
        config_set_from_string(cfg, text, value, data[0] & 2, err, sizeof(err));
    }
    check_takes_back_own_values(cfg);
    free(text);
    free(cfg);
    return 0;
}
