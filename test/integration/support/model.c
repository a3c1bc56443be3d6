/*
 * model.c - data set dumps, MSET writer threads and a seeded generator for
 * the integration tests (see model.h).
 */
#include "model.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* ---- Dumps ---- */

struct text {
    char *s;
    size_t len;
};

static void text_add(struct text *t, const char *bytes, size_t len)
{
    t->s = realloc(t->s, t->len + len + 1);
    memcpy(t->s + t->len, bytes, len);
    t->len += len;
    t->s[t->len] = '\0';
}

/* A value as dump_all writes it: hex (DUMP_HEX) or C-escaped. Caller frees. */
static char *render(const char *bytes, size_t len, unsigned flags)
{
    if (!(flags & DUMP_HEX))
        return strdup(escape_bytes(bytes, len));
    char *out = malloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", (unsigned char)bytes[i]);
    out[len * 2] = '\0';
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The elements of an array reply, each followed by ',', sorted when the
 * order is not the data's. Frees the reply. */
static void add_array(struct text *t, redisReply *r, bool sorted, unsigned flags)
{
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    char **items = calloc(r->elements + 1, sizeof(char *));
    for (size_t i = 0; i < r->elements; i++)
        items[i] = render(r->element[i]->str, r->element[i]->len, flags);
    if (sorted)
        qsort(items, r->elements, sizeof(char *), cmp_str);
    for (size_t i = 0; i < r->elements; i++) {
        text_add(t, items[i], strlen(items[i]));
        text_add(t, ",", 1);
        free(items[i]);
    }
    free(items);
    freeReplyObject(r);
}

static void add_key(struct text *t, redisContext *c, int db, const char *k, unsigned flags)
{
    redisReply *type = cmd(c, "TYPE %s", k);
    char line[512];
    int n = snprintf(line, sizeof(line), "\n%d %s %s", db, k, type->str);
    if (flags & DUMP_ENCODING) {
        redisReply *enc = cmd(c, "OBJECT ENCODING %s", k);
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", enc->str);
        freeReplyObject(enc);
    }
    if (flags & DUMP_EXPIRE_AT) {
        redisReply *at = cmd(c, "PEXPIRETIME %s", k);
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %lld:", at->integer);
        freeReplyObject(at);
    } else {
        redisReply *ttl = cmd(c, "PTTL %s", k);
        n += snprintf(line + n, sizeof(line) - (size_t)n,
                      " ttl=%lld:", ttl->integer > 0 ? (ttl->integer + 30000) / 60000 : ttl->integer);
        freeReplyObject(ttl);
    }
    text_add(t, line, strlen(line));
    if (!strcmp(type->str, "string")) {
        redisReply *v = cmd(c, "GET %s", k);
        char *h = render(v->str, v->len, flags);
        text_add(t, h, strlen(h));
        free(h);
        freeReplyObject(v);
    } else if (!strcmp(type->str, "list")) {
        add_array(t, cmd(c, "LRANGE %s 0 -1", k), false, flags);
    } else if (!strcmp(type->str, "set")) {
        add_array(t, cmd(c, "SMEMBERS %s", k), true, flags);
    } else if (!strcmp(type->str, "hash")) {
        add_array(t, cmd(c, "HGETALL %s", k), true, flags);
        if (flags & DUMP_HASH_LOOKUPS) {
            add_array(t, cmd(c, "HKEYS %s", k), true, flags);
            redisReply *all = cmd(c, "HGETALL %s", k);
            for (size_t j = 0; j + 1 < all->elements; j += 2) {
                redisReply *one = cmd(c, "HGET %s %s", k, all->element[j]->str);
                cr_assert_str_eq(one->str, all->element[j + 1]->str);
                freeReplyObject(one);
            }
            freeReplyObject(all);
        }
    } else if (!strcmp(type->str, "zset")) {
        add_array(t, cmd(c, "ZRANGE %s 0 -1 WITHSCORES", k), false, flags);
    }
    freeReplyObject(type);
}

char *dump_all(redisContext *c, unsigned flags)
{
    struct text t = {0};
    text_add(&t, "", 0);
    for (int db = 0; db < 4; db++) {
        expect_status(cmd(c, "SELECT %d", db), "OK");
        redisReply *keys = cmd(c, "KEYS *");
        cr_assert_eq(keys->type, REDIS_REPLY_ARRAY);
        char **names = calloc(keys->elements + 1, sizeof(char *));
        for (size_t i = 0; i < keys->elements; i++)
            names[i] = strdup(keys->element[i]->str);
        qsort(names, keys->elements, sizeof(char *), cmp_str);
        for (size_t i = 0; i < keys->elements; i++) {
            add_key(&t, c, db, names[i], flags);
            free(names[i]);
        }
        free(names);
        freeReplyObject(keys);
    }
    expect_status(cmd(c, "SELECT 0"), "OK");
    return t.s;
}

/* ---- Iterations ---- */

int scan_all(redisContext *c, const char *command, const char *options,
             void (*visit)(const redisReply *items, void *arg), void *arg)
{
    char cursor[32] = "0";
    int calls = 0;
    do {
        char line[512];
        snprintf(line, sizeof(line), "%s %s %s", command, cursor, options);
        cr_assert(strchr(line, '%') == NULL, "scan_all: no %% in %s", line);
        redisReply *r = cmd(c, line);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
                      r->element[1]->type == REDIS_REPLY_ARRAY,
                  "malformed reply to %s: %s", line, describe_reply(r));
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        visit(r->element[1], arg);
        freeReplyObject(r);
        cr_assert(++calls < 100000, "%s does not terminate", command);
    } while (strcmp(cursor, "0") != 0);
    return calls;
}

/* ---- MSET writers ---- */

static void *mset_writer_main(void *arg)
{
    struct mset_writer *w = arg;
    redisContext *c = redisConnect("127.0.0.1", w->port);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    char *pad = calloc(w->pad + 1, 1);
    memset(pad, 'p', w->pad);
    char *val = malloc(w->pad + 64);
    long long n = 0;
    while (!*w->stop) {
        for (int i = 0; i < 16; i++, n++) {
            if (w->pad > 0)
                snprintf(val, w->pad + 64, "%d-%lld-%s", w->id, n, pad);
            else
                snprintf(val, w->pad + 64, "%d-%lld", w->id, n);
            const char *argv[1 + 2 * MSET_GROUP_KEYS];
            char keys[MSET_GROUP_KEYS][32];
            argv[0] = "MSET";
            for (int k = 0; k < MSET_GROUP_KEYS; k++) {
                if (w->key_per_group)
                    snprintf(keys[k], sizeof(keys[k]), "{t%d}g%d:%lld", k, w->id, n);
                else
                    snprintf(keys[k], sizeof(keys[k]), "{t%d}g%d", k, w->id);
                argv[1 + 2 * k] = keys[k];
                argv[2 + 2 * k] = val;
            }
            redisAppendCommandArgv(c, 1 + 2 * MSET_GROUP_KEYS, argv, NULL);
            w->sent = n + 1;
        }
        for (int i = 0; i < 16; i++) {
            redisReply *r = NULL;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || !r)
                goto out;
            freeReplyObject(r);
        }
    }
out:
    free(val);
    free(pad);
    redisFree(c);
    return NULL;
}

void mset_writers_start(struct mset_writer *w, int n, int port, volatile int *stop, size_t pad, bool key_per_group)
{
    *stop = 0;
    for (int i = 0; i < n; i++) {
        w[i] = (struct mset_writer){.port = port, .id = i, .pad = pad, .key_per_group = key_per_group, .stop = stop};
        pthread_create(&w[i].thread, NULL, mset_writer_main, &w[i]);
    }
}

void mset_writers_join(struct mset_writer *w, int n)
{
    if (n > 0)
        *w[0].stop = 1;
    for (int i = 0; i < n; i++)
        pthread_join(w[i].thread, NULL);
}

/* ---- Random ---- */

uint64_t xorshift_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}
