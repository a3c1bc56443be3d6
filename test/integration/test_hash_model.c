/*
 * test_hash_model.c - a randomized model test of the hash commands: thousands
 * of random HSET/HSETNX/HMSET/HDEL/HGET/HMGET/HINCRBY/HINCRBYFLOAT/HLEN/
 * HEXISTS/HSTRLEN/HGETALL/HKEYS/HVALS/EXISTS/OBJECT ENCODING against the
 * server and an in-test model, comparing every reply. It runs once with
 * hash-max-listpack-entries 4 (hashes convert often, and keys are deleted and
 * recreated as listpacks) and once with the default 128.
 *
 * Values are small integers or "v<number>" strings, so HINCRBY and
 * HINCRBYFLOAT (integer increments only, so results compare exactly) hit
 * both their success and their "not an integer/float" paths. One key holds a
 * string for WRONGTYPE. The seed is printed on failure; set
 * HASH_MODEL_SEED to replay one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(hash_model, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define NKEYS 6
#define NFIELDS 12
#define OPS 20000
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

struct model_hash {
    int present[NFIELDS]; /* field i exists */
    char value[NFIELDS][32];
    int converted; /* has been a hashtable since it was created */
};

struct model {
    struct model_hash keys[NKEYS];
    long long threshold;
    unsigned seed;
};

static const char *key_name(int k)
{
    static char names[NKEYS][8];
    snprintf(names[k], sizeof(names[k]), "mk%d", k);
    return names[k];
}

static const char *field_name(int f)
{
    static char names[NFIELDS][8];
    snprintf(names[f], sizeof(names[f]), "f%d", f);
    return names[f];
}

static int field_count(const struct model_hash *h)
{
    int n = 0;
    for (int i = 0; i < NFIELDS; i++)
        n += h->present[i];
    return n;
}

static void random_value(char *buf, size_t size)
{
    if (rand() % 2)
        snprintf(buf, size, "%d", rand() % 2001 - 1000);
    else
        snprintf(buf, size, "v%d", rand() % 100);
}

/* After a write: a hash past the threshold is a hashtable from then on. */
static void note_size(struct model *m, struct model_hash *h)
{
    if (field_count(h) > m->threshold)
        h->converted = 1;
}

static void model_delete_if_empty(struct model_hash *h)
{
    if (field_count(h) == 0)
        memset(h, 0, sizeof(*h));
}

static int is_integer(const char *s, long long *v)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtoll(s, &end, 10);
    return *end == '\0' && s[0] != 'v';
}

/* Checks an array reply against the expected strings in any order. */
static void check_unordered(redisReply *r, const char **want, int n, const char *what, unsigned seed, int op)
{
    cr_assert(r->type == REDIS_REPLY_ARRAY && (int)r->elements == n, "seed %u op %d %s: %s (want %d elements)", seed,
              op, what, describe_reply(r), n);
    int used[2 * NFIELDS] = {0};
    for (size_t i = 0; i < r->elements; i++) {
        int found = 0;
        for (int j = 0; j < n && !found; j++) {
            if (!used[j] && r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, want[j]) == 0) {
                used[j] = 1;
                found = 1;
            }
        }
        cr_assert(found, "seed %u op %d %s: unexpected %s", seed, op, what, describe_reply(r->element[i]));
    }
    freeReplyObject(r);
}

static void run_model(long long threshold)
{
    struct model m;
    memset(&m, 0, sizeof(m));
    m.threshold = threshold;
    const char *env = getenv("HASH_MODEL_SEED");
    m.seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)(unix_time_ms() ^ (threshold << 16));
    srand(m.seed);

    redisContext *c = client_connect();
    if (threshold != 128)
        expect_status(cmd(c, "CONFIG SET hash-max-listpack-entries %lld", threshold), "OK");
    expect_status(cmd(c, "SET strkey x"), "OK");

    for (int op = 0; op < OPS; op++) {
        int k = rand() % NKEYS;
        struct model_hash *h = &m.keys[k];
        int f = rand() % NFIELDS;
        const char *key = key_name(k), *field = field_name(f);
        int exists = field_count(h) > 0;
        char value[32];
        long long cur;

        if (rand() % 50 == 0) {
            /* Any hash command on the string key is WRONGTYPE. */
            expect_err(cmd(c, "HGET strkey %s", field), WRONGTYPE);
            continue;
        }
        switch (rand() % 15) {
        case 0:
        case 1: { /* HSET with one to three pairs */
            int pairs = 1 + rand() % 3, added = 0;
            const char *argv[8];
            char values[3][32];
            int fields[3];
            argv[0] = "HSET";
            argv[1] = key;
            for (int p = 0; p < pairs; p++) {
                fields[p] = rand() % NFIELDS;
                random_value(values[p], sizeof(values[p]));
                argv[2 + 2 * p] = field_name(fields[p]);
                argv[3 + 2 * p] = values[p];
            }
            for (int p = 0; p < pairs; p++) {
                added += !h->present[fields[p]];
                h->present[fields[p]] = 1;
                memcpy(h->value[fields[p]], values[p], sizeof(h->value[0])); /* both 32 bytes, NUL-terminated */
            }
            /* field_name's buffers are stable per field, so argv stays valid. */
            expect_int(cmd_argv(c, 2 + 2 * pairs, argv, NULL), added);
            note_size(&m, h);
            break;
        }
        case 2: /* HSETNX */
            random_value(value, sizeof(value));
            expect_int(cmd(c, "HSETNX %s %s %s", key, field, value), !h->present[f]);
            if (!h->present[f]) {
                h->present[f] = 1;
                snprintf(h->value[f], sizeof(h->value[f]), "%s", value);
                note_size(&m, h);
            }
            break;
        case 3: { /* HDEL one or two fields */
            int f2 = rand() % NFIELDS;
            int deleted = h->present[f] + (f2 != f && h->present[f2]);
            expect_int(cmd(c, "HDEL %s %s %s", key, field, field_name(f2)), deleted);
            h->present[f] = 0;
            h->present[f2] = 0;
            model_delete_if_empty(h);
            break;
        }
        case 4: /* HGET */
            if (h->present[f])
                expect_str(cmd(c, "HGET %s %s", key, field), h->value[f]);
            else
                expect_nil(cmd(c, "HGET %s %s", key, field));
            break;
        case 5: { /* HMGET */
            int f2 = rand() % NFIELDS;
            redisReply *r = cmd(c, "HMGET %s %s %s", key, field, field_name(f2));
            cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "seed %u op %d HMGET: %s", m.seed, op,
                      describe_reply(r));
            int fs[2] = {f, f2};
            for (int i = 0; i < 2; i++) {
                if (h->present[fs[i]])
                    assert_str(r->element[i], h->value[fs[i]]);
                else
                    assert_nil(r->element[i]);
            }
            freeReplyObject(r);
            break;
        }
        case 6: { /* HINCRBY */
            long long incr = rand() % 201 - 100;
            if (h->present[f] && !is_integer(h->value[f], &cur)) {
                expect_err(cmd(c, "HINCRBY %s %s %lld", key, field, incr), "ERR hash value is not an integer");
                break;
            }
            cur = h->present[f] ? cur : 0;
            expect_int(cmd(c, "HINCRBY %s %s %lld", key, field, incr), cur + incr);
            h->present[f] = 1;
            snprintf(h->value[f], sizeof(h->value[f]), "%lld", cur + incr);
            note_size(&m, h);
            break;
        }
        case 7: { /* HINCRBYFLOAT with an integer increment: exact results */
            long long incr = rand() % 201 - 100;
            if (h->present[f] && !is_integer(h->value[f], &cur)) {
                expect_err(cmd(c, "HINCRBYFLOAT %s %s %lld", key, field, incr), "ERR hash value is not a float");
                break;
            }
            cur = h->present[f] ? cur : 0;
            char want[32];
            snprintf(want, sizeof(want), "%lld", cur + incr);
            expect_str(cmd(c, "HINCRBYFLOAT %s %s %lld", key, field, incr), want);
            h->present[f] = 1;
            snprintf(h->value[f], sizeof(h->value[f]), "%s", want);
            note_size(&m, h);
            break;
        }
        case 8: /* HLEN */
            expect_int(cmd(c, "HLEN %s", key), field_count(h));
            break;
        case 9: /* HEXISTS */
            expect_int(cmd(c, "HEXISTS %s %s", key, field), h->present[f]);
            break;
        case 10: /* HSTRLEN */
            expect_int(cmd(c, "HSTRLEN %s %s", key, field), h->present[f] ? (long long)strlen(h->value[f]) : 0);
            break;
        case 11:
        case 12:
        case 13: { /* HGETALL, HKEYS, HVALS */
            const char *want[2 * NFIELDS];
            int n = 0, kind = rand() % 3;
            for (int i = 0; i < NFIELDS; i++) {
                if (!h->present[i])
                    continue;
                if (kind != 2)
                    want[n++] = field_name(i);
                if (kind != 1)
                    want[n++] = h->value[i];
            }
            const char *names[] = {"HGETALL", "HKEYS", "HVALS"};
            check_unordered(cmd(c, "%s %s", names[kind], key), want, n, names[kind], m.seed, op);
            break;
        }
        default: /* EXISTS and the encoding */
            expect_int(cmd(c, "EXISTS %s", key), exists);
            if (exists)
                expect_str(cmd(c, "OBJECT ENCODING %s", key), h->converted ? "hashtable" : "listpack");
            break;
        }
    }
    redisFree(c);
}

Test(hash_model, random_ops_low_threshold)
{
    run_model(4);
}

Test(hash_model, random_ops_default_threshold)
{
    run_model(128);
}
