/*
 * test_zset_model.c - a randomized model test of the sorted set commands:
 * 15,000 random ZADD (NX/XX/GT/LT/CH/INCR), ZINCRBY, ZREM, ZSCORE,
 * ZRANK, ZREVRANK, ZRANGE (rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES),
 * ZCOUNT, ZLEXCOUNT, ZPOPMIN, ZPOPMAX and ZREMRANGEBY* against the server
 * and an in-test model, comparing every reply.
 *
 * Scores are small integers, so every score the server prints is exact and
 * the model can format it with %lld. Lex commands run on a second key whose
 * members all have score 0 (the only case where lex ranges are defined).
 * Runs with the default listpack limits and with zset-max-listpack-entries
 * forced low, so sets cross to the skiplist encoding and, after being
 * emptied and deleted, start again as listpacks.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(zset_model, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define NMEMBERS 40
#define OPS 15000

struct model {
    long long score[NMEMBERS];
    int live[NMEMBERS];
};

static char names[NMEMBERS][8];

static unsigned rng_state;
static int rnd(int n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (int)((rng_state >> 8) % (unsigned)n);
}

/* Sorted live members (by score, then name) into order; returns the count. */
static const struct model *sort_model;
static int cmp_members(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    if (sort_model->score[x] != sort_model->score[y])
        return sort_model->score[x] < sort_model->score[y] ? -1 : 1;
    return strcmp(names[x], names[y]);
}
static int sorted(const struct model *m, int *order)
{
    int n = 0;
    for (int i = 0; i < NMEMBERS; i++)
        if (m->live[i])
            order[n++] = i;
    sort_model = m;
    qsort(order, (size_t)n, sizeof(int), cmp_members);
    return n;
}

/* Renders a reply compactly: :1, nil, text, [a,b], !error. */
static void render(const redisReply *r, char *out, size_t cap, size_t *used)
{
    int n = 0;
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        n = snprintf(out + *used, cap - *used, ":%lld", r->integer);
        break;
    case REDIS_REPLY_NIL:
        n = snprintf(out + *used, cap - *used, "nil");
        break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        n = snprintf(out + *used, cap - *used, "%s", r->str);
        break;
    case REDIS_REPLY_ERROR:
        n = snprintf(out + *used, cap - *used, "!%s", r->str);
        break;
    case REDIS_REPLY_ARRAY:
        n = snprintf(out + *used, cap - *used, "[");
        *used += (size_t)n;
        for (size_t i = 0; i < r->elements; i++) {
            if (i)
                *used += (size_t)snprintf(out + *used, cap - *used, ",");
            render(r->element[i], out, cap, used);
        }
        n = snprintf(out + *used, cap - *used, "]");
        break;
    }
    *used += (size_t)n;
}

struct expect {
    char buf[8192];
    size_t len;
};
static void ex_reset(struct expect *e)
{
    e->len = 0;
    e->buf[0] = '\0';
}
static void ex_add(struct expect *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ex_add(struct expect *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e->len += (size_t)vsnprintf(e->buf + e->len, sizeof(e->buf) - e->len, fmt, ap);
    va_end(ap);
}
/* Appends "[m1,s1,m2,s2...]" (or members only) for order[from..to) stepping dir. */
static void ex_elems(struct expect *e, const struct model *m, const int *idx, int n, int withscores)
{
    ex_add(e, "[");
    for (int i = 0; i < n; i++) {
        ex_add(e, "%s%s", i ? "," : "", names[idx[i]]);
        if (withscores)
            ex_add(e, ",%lld", m->score[idx[i]]);
    }
    ex_add(e, "]");
}

static void check(redisContext *c, int op, const char *command, const struct expect *want)
{
    /* split on spaces */
    char copy[512];
    const char *argv[64];
    int argc = 0;
    snprintf(copy, sizeof(copy), "%s", command);
    for (char *save, *tok = strtok_r(copy, " ", &save); tok && argc < 64; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    redisReply *r = cmd_argv(c, argc, argv, NULL);
    char got[8192];
    size_t used = 0;
    got[0] = '\0';
    render(r, got, sizeof(got), &used);
    freeReplyObject(r);
    cr_assert_str_eq(got, want->buf, "op %d (seed %u): %s\n  got  %s\n  want %s", op, rng_state, command, got,
                     want->buf);
}

static int in_score(long long s, long long min, int minex, long long max, int maxex)
{
    return (minex ? s > min : s >= min) && (maxex ? s < max : s <= max);
}

static void run_model(redisContext *c)
{
    struct model mz = {0}, lz = {0};
    for (int i = 0; i < NMEMBERS; i++)
        snprintf(names[i], sizeof(names[i]), "m%02d", i);
    char command[512];
    struct expect want;
    int order[NMEMBERS], pick[NMEMBERS];
    for (int op = 0; op < OPS; op++) {
        ex_reset(&want);
        int n = sorted(&mz, order);
        int kind = rnd(16);
        if (kind <= 2) { /* ZADD [NX|XX] [GT|LT] [CH] pairs */
            int nx = rnd(4) == 0, xx = !nx && rnd(4) == 0, gt = !nx && rnd(5) == 0, lt = !nx && !gt && rnd(5) == 0;
            int ch = rnd(2), pairs = 1 + rnd(3), len;
            len = snprintf(command, sizeof(command), "ZADD mz%s%s%s%s%s", nx ? " NX" : "", xx ? " XX" : "",
                           gt ? " GT" : "", lt ? " LT" : "", ch ? " CH" : "");
            long long added = 0, changed = 0;
            int used[NMEMBERS] = {0};
            for (int p = 0; p < pairs; p++) {
                int i;
                do
                    i = rnd(NMEMBERS);
                while (used[i]);
                used[i] = 1;
                long long s = rnd(41) - 20;
                len += snprintf(command + len, sizeof(command) - (size_t)len, " %lld %s", s, names[i]);
                if (mz.live[i]) {
                    if (nx || (gt && s <= mz.score[i]) || (lt && s >= mz.score[i]) || s == mz.score[i])
                        continue;
                    mz.score[i] = s;
                    changed++;
                } else if (!xx) {
                    mz.live[i] = 1;
                    mz.score[i] = s;
                    added++;
                }
            }
            ex_add(&want, ":%lld", ch ? added + changed : added);
        } else if (kind == 3) { /* ZADD INCR or ZINCRBY */
            int i = rnd(NMEMBERS), nx = rnd(3) == 0, xx = !nx && rnd(3) == 0;
            long long d = rnd(11) - 5;
            if (rnd(2)) {
                snprintf(command, sizeof(command), "ZADD mz%s%s INCR %lld %s", nx ? " NX" : "", xx ? " XX" : "", d,
                         names[i]);
            } else {
                nx = xx = 0;
                snprintf(command, sizeof(command), "ZINCRBY mz %lld %s", d, names[i]);
            }
            if ((mz.live[i] && nx) || (!mz.live[i] && xx)) {
                ex_add(&want, "nil");
            } else {
                mz.score[i] = mz.live[i] ? mz.score[i] + d : d;
                mz.live[i] = 1;
                ex_add(&want, "%lld", mz.score[i]);
            }
        } else if (kind == 4) { /* ZREM */
            int a = rnd(NMEMBERS), b = rnd(NMEMBERS);
            snprintf(command, sizeof(command), "ZREM mz %s %s", names[a], names[b]);
            long long del = mz.live[a] + (b != a && mz.live[b]);
            mz.live[a] = mz.live[b] = 0;
            ex_add(&want, ":%lld", del);
        } else if (kind == 5) { /* ZSCORE, ZRANK, ZREVRANK */
            int i = rnd(NMEMBERS), which = rnd(3);
            snprintf(command, sizeof(command), "%s mz %s",
                     which == 0   ? "ZSCORE"
                     : which == 1 ? "ZRANK"
                                  : "ZREVRANK",
                     names[i]);
            int rank = -1;
            for (int r = 0; r < n; r++)
                if (order[r] == i)
                    rank = r;
            if (rank < 0)
                ex_add(&want, "nil");
            else if (which == 0)
                ex_add(&want, "%lld", mz.score[i]);
            else
                ex_add(&want, ":%d", which == 1 ? rank : n - 1 - rank);
        } else if (kind == 6) { /* ZRANGE by rank */
            long long start = rnd(50) - 25, stop = rnd(50) - 25;
            int rev = rnd(2), ws = rnd(2);
            snprintf(command, sizeof(command), "ZRANGE mz %lld %lld%s%s", start, stop, rev ? " REV" : "",
                     ws ? " WITHSCORES" : "");
            if (start < 0)
                start += n;
            if (stop < 0)
                stop += n;
            if (start < 0)
                start = 0;
            if (stop >= n)
                stop = n - 1;
            int k = 0;
            for (long long r = start; r <= stop; r++)
                pick[k++] = order[rev ? n - 1 - r : r];
            ex_elems(&want, &mz, pick, k, ws);
        } else if (kind <= 8) { /* ZRANGE BYSCORE / ZRANGEBYSCORE / ZCOUNT */
            long long min = rnd(45) - 22, max = rnd(45) - 22;
            int minex = rnd(3) == 0, maxex = rnd(3) == 0, rev = rnd(2), ws = rnd(2), lim = rnd(2);
            long long off = rnd(6) - 1, cnt = rnd(8) - 1;
            char mins[32], maxs[32];
            snprintf(mins, sizeof(mins), "%s%lld", minex ? "(" : "", min);
            snprintf(maxs, sizeof(maxs), "%s%lld", maxex ? "(" : "", max);
            if (rnd(10) == 0)
                snprintf(mins, sizeof(mins), "-inf"), min = -1000, minex = 0;
            if (rnd(10) == 0)
                snprintf(maxs, sizeof(maxs), "+inf"), max = 1000, maxex = 0;
            int count_only = rnd(4) == 0;
            if (count_only) {
                snprintf(command, sizeof(command), "ZCOUNT mz %s %s", mins, maxs);
                long long k = 0;
                for (int r = 0; r < n; r++)
                    k += in_score(mz.score[order[r]], min, minex, max, maxex);
                ex_add(&want, ":%lld", k);
            } else {
                int len =
                    rnd(2) ? snprintf(command, sizeof(command), "ZRANGE mz %s %s BYSCORE%s", rev ? maxs : mins,
                                      rev ? mins : maxs, rev ? " REV" : "")
                           : snprintf(command, sizeof(command), "%s mz %s %s",
                                      rev ? "ZREVRANGEBYSCORE" : "ZRANGEBYSCORE", rev ? maxs : mins, rev ? mins : maxs);
                if (ws)
                    len += snprintf(command + len, sizeof(command) - (size_t)len, " WITHSCORES");
                if (lim)
                    snprintf(command + len, sizeof(command) - (size_t)len, " LIMIT %lld %lld", off, cnt);
                else
                    off = 0, cnt = -1;
                int k = 0, skipped = 0;
                for (int r = 0; r < n && off >= 0; r++) {
                    int i = order[rev ? n - 1 - r : r];
                    if (!in_score(mz.score[i], min, minex, max, maxex))
                        continue;
                    if (skipped++ < off)
                        continue;
                    if (cnt >= 0 && k >= cnt)
                        break;
                    pick[k++] = i;
                }
                ex_elems(&want, &mz, pick, k, ws);
            }
        } else if (kind == 9) { /* ZPOPMIN / ZPOPMAX */
            int max = rnd(2), withcount = rnd(2);
            long long cnt = withcount ? rnd(4) : 1;
            if (withcount)
                snprintf(command, sizeof(command), "%s mz %lld", max ? "ZPOPMAX" : "ZPOPMIN", cnt);
            else
                snprintf(command, sizeof(command), "%s mz", max ? "ZPOPMAX" : "ZPOPMIN");
            int k = 0;
            for (; k < cnt && k < n; k++) {
                pick[k] = order[max ? n - 1 - k : k];
            }
            ex_elems(&want, &mz, pick, k, 1);
            for (int j = 0; j < k; j++)
                mz.live[pick[j]] = 0;
        } else if (kind == 10) { /* ZREMRANGEBYRANK */
            long long start = rnd(30) - 15, stop = rnd(30) - 15;
            snprintf(command, sizeof(command), "ZREMRANGEBYRANK mz %lld %lld", start, stop);
            if (start < 0)
                start += n;
            if (stop < 0)
                stop += n;
            if (start < 0)
                start = 0;
            if (stop >= n)
                stop = n - 1;
            long long k = 0;
            for (long long r = start; r <= stop; r++, k++)
                mz.live[order[r]] = 0;
            ex_add(&want, ":%lld", k);
        } else if (kind == 11) { /* ZREMRANGEBYSCORE (rarely, it empties a lot) */
            long long min = rnd(45) - 22, max = min + rnd(4);
            snprintf(command, sizeof(command), "ZREMRANGEBYSCORE mz %lld (%lld", min, max);
            long long k = 0;
            for (int r = 0; r < n; r++)
                if (in_score(mz.score[order[r]], min, 0, max, 1)) {
                    mz.live[order[r]] = 0;
                    k++;
                }
            ex_add(&want, ":%lld", k);
        } else { /* lex key: ZADD 0, ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX */
            int ln = sorted(&lz, order);
            int which = rnd(5);
            int a = rnd(NMEMBERS + 2) - 1, b = rnd(NMEMBERS + 2) - 1; /* -1: "-", NMEMBERS: "+" */
            int aex = rnd(2), bex = rnd(2);
            char as[16], bs[16];
            if (a < 0)
                snprintf(as, sizeof(as), "-");
            else if (a >= NMEMBERS)
                snprintf(as, sizeof(as), "+");
            else
                snprintf(as, sizeof(as), "%c%s", aex ? '(' : '[', names[a]);
            if (b < 0)
                snprintf(bs, sizeof(bs), "-");
            else if (b >= NMEMBERS)
                snprintf(bs, sizeof(bs), "+");
            else
                snprintf(bs, sizeof(bs), "%c%s", bex ? '(' : '[', names[b]);
            /* names sort like their indexes, "-" is -1 and "+" is NMEMBERS */
            if (which <= 1) {
                int i = rnd(NMEMBERS), j = rnd(NMEMBERS);
                snprintf(command, sizeof(command), "ZADD lz 0 %s 0 %s", names[i], names[j]);
                long long added = !lz.live[i] + (j != i && !lz.live[j]);
                lz.live[i] = lz.live[j] = 1;
                ex_add(&want, ":%lld", added);
            } else {
                int rev = which == 2 && rnd(2);
                int k = 0;
                for (int r = 0; r < ln; r++) {
                    int i = order[rev ? ln - 1 - r : r];
                    int gte = a < 0 || (a < NMEMBERS && (aex ? i > a : i >= a));
                    int lte = b >= NMEMBERS || (b >= 0 && (bex ? i < b : i <= b));
                    if (gte && lte)
                        pick[k++] = i;
                }
                if (which == 2) {
                    snprintf(command, sizeof(command), "%s lz %s %s", rev ? "ZREVRANGEBYLEX" : "ZRANGEBYLEX",
                             rev ? bs : as, rev ? as : bs);
                    ex_elems(&want, &lz, pick, k, 0);
                } else if (which == 3) {
                    snprintf(command, sizeof(command), "ZLEXCOUNT lz %s %s", as, bs);
                    ex_add(&want, ":%d", k);
                } else {
                    snprintf(command, sizeof(command), "ZREMRANGEBYLEX lz %s %s", as, bs);
                    for (int j = 0; j < k; j++)
                        lz.live[pick[j]] = 0;
                    ex_add(&want, ":%d", k);
                }
            }
        }
        check(c, op, command, &want);
        if (op % 500 == 499) { /* the whole set and its size agree too */
            n = sorted(&mz, order);
            ex_reset(&want);
            ex_elems(&want, &mz, order, n, 1);
            check(c, op, "ZRANGE mz 0 -1 WITHSCORES", &want);
            ex_reset(&want);
            ex_add(&want, ":%d", n);
            check(c, op, "ZCARD mz", &want);
        }
    }
}

Test(zset_model, default_limits)
{
    redisContext *c = client_connect();
    rng_state = 20240601u;
    run_model(c);
    redisFree(c);
}

Test(zset_model, low_limits)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET zset-max-listpack-entries 12"), "OK");
    rng_state = 777u;
    run_model(c);
    redisFree(c);
}
