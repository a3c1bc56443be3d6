/*
 * dispatch.c - routing commands to the shards that own their keys.
 *
 * The coordinator is the thread that owns the client. For each command it:
 *   1. finds the command, checks arity, hashes the keys once (the hashes go
 *      with the command and are reused by the owning shard's table);
 *   2. if every key is on its own shard and no earlier request of the client
 *      is still pending, runs the handler inline and writes the reply straight
 *      into the client's output (the fast path: no copy, no allocation);
 *   3. otherwise makes a struct request (arguments copied), queues it in the
 *      client's request FIFO and creates one sub-request per shard involved.
 *      Sub-requests for the own shard run at once; the others travel in
 *      batches (see shard.h). Replies leave in request order because only
 *      the head of the FIFO may write to the output.
 *
 * Ordering: sub-requests of one client to one shard travel in one FIFO ring,
 * so they run in the order sent. Commands that need several round trips
 * (cross-shard RENAME, COPY, MSETNX, LCS) are barriers: the client stops
 * parsing until they finish, so a later command cannot overtake a step.
 * These multi-step commands are not yet atomic against other clients; the
 * transaction layer (VLL, issue 3) will make them so.
 */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "object.h"
#include "util.h"

/* A client stops parsing when this many requests are pending. */
#define MAX_PENDING_PER_CLIENT 512

enum custom_kind {
    CUSTOM_NONE,
    CUSTOM_SCAN,
    CUSTOM_MSETNX,
    CUSTOM_RENAME,
    CUSTOM_RENAMENX,
    CUSTOM_COPY,
    CUSTOM_GATHER,
    CUSTOM_INFO,
    CUSTOM_CLIENT_LIST,
    CUSTOM_CLIENT_KILL
};

static void request_finish(struct request *r);

/* ---------------- requests ---------------- */

static struct request *request_new(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
{
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += argv[i].len;
    size_t size = sizeof(struct request) + argc * (sizeof(struct arg) + sizeof(uint64_t) + sizeof(int)) + bytes;
    struct request *r = calloc(1, size);
    if (!r) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    char *p = (char *)(r + 1);
    r->argv = (struct arg *)p;
    p += argc * sizeof(struct arg);
    r->hashes = (uint64_t *)p;
    p += argc * sizeof(uint64_t);
    r->shard_of = (int *)p;
    p += argc * sizeof(int);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        r->argv[i].ptr = p;
        r->argv[i].len = argv[i].len;
        r->shard_of[i] = -1;
        p += argv[i].len;
    }
    r->argc = argc;
    r->client = c;
    r->cmd = cmd;
    r->dbid = c->dbid;
    r->resp = c->resp;
    if (c->req_tail)
        c->req_tail->next = r;
    else
        c->req_head = r;
    c->req_tail = r;
    c->npending++;
    return r;
}

static void subs_free(struct request *r)
{
    for (int i = 0; i < r->nsubs; i++) {
        struct subreq *sub = &r->subs[i];
        if (sub->argv != r->argv)
            free(sub->argv);
        if (sub->hashes != r->hashes)
            free(sub->hashes);
        buf_free(&sub->out);
        if (sub->entry)
            entry_free(sub->entry);
    }
    if (r->subs != &r->one_sub)
        free(r->subs);
    r->subs = NULL;
    r->nsubs = 0;
}

void request_free(struct request *r)
{
    subs_free(r);
    if (r->entry)
        entry_free(r->entry);
    buf_free(&r->reply);
    free(r);
}

static struct subreq *subs_alloc(struct request *r, int n)
{
    subs_free(r);
    if (n == 1) {
        memset(&r->one_sub, 0, sizeof(r->one_sub));
        r->subs = &r->one_sub;
    } else {
        r->subs = calloc(n, sizeof(struct subreq));
    }
    r->nsubs = n;
    r->pending = n;
    for (int i = 0; i < n; i++) {
        r->subs[i].req = r;
        r->subs[i].dbid = r->dbid;
        r->subs[i].resp = r->resp;
        r->subs[i].handler = r->cmd->handler;
        r->subs[i].argv = r->argv;
        r->subs[i].hashes = r->hashes;
        r->subs[i].argc = r->argc;
    }
    return r->subs;
}

/* Sends every sub-request of the current step: remote ones into batches,
 * local ones run now. Local completion may finish the request, so nothing of
 * r may be used after this call. */
static void subs_launch(struct shard *s, struct request *r)
{
    int n = r->nsubs;
    struct subreq *subs = r->subs;
    /* Remote first: a local completion could end the step and free subs. */
    int local = -1;
    for (int i = 0; i < n; i++) {
        if (subs[i].shard == s->id && local < 0)
            local = i;
        else if (subs[i].shard == s->id) {
            shard_run_sub(s, &subs[i]);
            r->pending--; /* cannot reach 0: `local` is still outstanding */
        } else
            shard_send_sub(s, &subs[i]);
    }
    if (local >= 0) {
        shard_run_sub(s, &subs[local]);
        dispatch_sub_done(s, &subs[local]);
    }
}

/* ---------------- reply parsing for merges ---------------- */

/* Length of the RESP element at p (bulk, null, integer, simple, error). */
static size_t element_len(const char *p, size_t avail)
{
    const char *crlf = memchr(p, '\n', avail);
    if (!crlf)
        return avail;
    size_t head = crlf - p + 1;
    if (p[0] == '$') {
        long long n = strtoll(p + 1, NULL, 10);
        if (n < 0)
            return head;
        return head + n + 2;
    }
    return head;
}

static void merge_replies(struct request *r, struct buf *out)
{
    enum cmd_merge merge = r->cmd->merge;
    if (r->nsubs == 1) /* the whole command ran on one shard: its reply is final */
        merge = MERGE_NONE;
    /* An error from any shard wins (all shards see the same arguments). */
    for (int i = 0; i < r->nsubs; i++) {
        struct buf *b = &r->subs[i].out;
        if (b->len && b->data[0] == '-' && merge != MERGE_MGET) {
            buf_append(out, b->data, b->len);
            return;
        }
    }
    switch (merge) {
    case MERGE_NONE:
        if (out->len == 0) { /* take the sub-reply's storage: no copy */
            struct buf tmp = *out;
            *out = r->subs[0].out;
            r->subs[0].out = tmp;
        } else {
            buf_append(out, r->subs[0].out.data, r->subs[0].out.len);
        }
        break;
    case MERGE_SUM: {
        long long sum = 0;
        for (int i = 0; i < r->nsubs; i++)
            if (r->subs[i].out.len > 1)
                sum += strtoll(r->subs[i].out.data + 1, NULL, 10);
        reply_integer(out, sum);
        break;
    }
    case MERGE_OK:
        reply_ok(out);
        break;
    case MERGE_MGET: {
        /* Each shard answered its keys in argument order; walk the original
         * keys and take the next element of the key's shard. */
        size_t *pos = calloc(r->nsubs, sizeof(size_t));
        int *sub_of_shard = malloc(sizeof(int) * r->client->shard->srv->nshards);
        for (int i = 0; i < r->nsubs; i++)
            sub_of_shard[r->subs[i].shard] = i;
        reply_array(out, r->argc - 1);
        for (int a = 1; a < r->argc; a++) {
            struct buf *b = &r->subs[sub_of_shard[r->shard_of[a]]].out;
            size_t *p = &pos[sub_of_shard[r->shard_of[a]]];
            size_t n = element_len(b->data + *p, b->len - *p);
            buf_append(out, b->data + *p, n);
            *p += n;
        }
        free(pos);
        free(sub_of_shard);
        break;
    }
    case MERGE_CONCAT: {
        long long total = 0;
        for (int i = 0; i < r->nsubs; i++)
            if (r->subs[i].out.len > 1)
                total += strtoll(r->subs[i].out.data + 1, NULL, 10);
        reply_array(out, total);
        for (int i = 0; i < r->nsubs; i++) {
            struct buf *b = &r->subs[i].out;
            const char *nl = memchr(b->data, '\n', b->len);
            if (nl)
                buf_append(out, nl + 1, b->len - (nl + 1 - b->data));
        }
        break;
    }
    case MERGE_RANDOM: {
        int candidates[MAX_THREADS];
        int n = 0;
        for (int i = 0; i < r->nsubs; i++) {
            struct buf *b = &r->subs[i].out;
            if (b->len && !(b->data[0] == '_' || (b->data[0] == '$' && b->data[1] == '-')))
                candidates[n++] = i;
        }
        if (n == 0)
            reply_null(out, r->resp);
        else {
            struct buf *b = &r->subs[candidates[random() % n]].out;
            buf_append(out, b->data, b->len);
        }
        break;
    }
    case MERGE_CUSTOM:
        break;
    }
}

/* ---------------- building sub-requests ---------------- */

/* Splits the key arguments of r over their shards: one sub-request per shard
 * holding "name key [companions]..." for its keys. with_companions=0 keeps
 * only the keys (MSETNX's existence check). Returns the number of subs. */
static int split_by_shard(struct request *r, const int *keypos, int nkeys, int with_companions, cmd_handler *handler,
                          struct shard *s)
{
    int order[MAX_THREADS];
    int count[MAX_THREADS] = {0};
    int nsubs = 0;
    int step = with_companions ? (r->cmd->key_step > 0 ? r->cmd->key_step : 1) : 1;
    for (int k = 0; k < nkeys; k++) {
        int sh = r->shard_of[keypos[k]];
        if (count[sh]++ == 0)
            order[nsubs++] = sh;
    }
    struct subreq *subs = subs_alloc(r, nsubs);
    int sub_of[MAX_THREADS];
    for (int i = 0; i < nsubs; i++) {
        int sh = order[i];
        sub_of[sh] = i;
        subs[i].shard = sh;
        subs[i].handler = handler;
        subs[i].split = r->cmd->merge == MERGE_MGET;
        subs[i].argv = malloc(sizeof(struct arg) * (1 + count[sh] * step));
        subs[i].hashes = malloc(sizeof(uint64_t) * (1 + count[sh] * step));
        subs[i].argv[0] = r->argv[0];
        subs[i].hashes[0] = 0;
        subs[i].argc = 1;
    }
    for (int k = 0; k < nkeys; k++) {
        struct subreq *sub = &subs[sub_of[r->shard_of[keypos[k]]]];
        for (int j = 0; j < step; j++) {
            sub->argv[sub->argc] = r->argv[keypos[k] + j];
            sub->hashes[sub->argc] = j == 0 ? r->hashes[keypos[k]] : 0;
            sub->argc++;
        }
    }
    return nsubs;
}

static struct subreq *single_sub(struct request *r, int shard, enum sub_op op, cmd_handler *handler)
{
    struct subreq *sub = subs_alloc(r, 1);
    sub->shard = shard;
    sub->op = op;
    sub->handler = handler;
    return sub;
}

/* Sub-request with its own small argv: name + the given arguments of r. */
static void sub_set_args(struct subreq *sub, struct request *r, const int *idx, int n)
{
    sub->argv = malloc(sizeof(struct arg) * (n + 1));
    sub->hashes = malloc(sizeof(uint64_t) * (n + 1));
    sub->argv[0] = r->argv[0];
    sub->hashes[0] = 0;
    for (int i = 0; i < n; i++) {
        sub->argv[i + 1] = r->argv[idx[i]];
        sub->hashes[i + 1] = r->hashes[idx[i]];
    }
    sub->argc = n + 1;
}

/* ---------------- the multi-step commands ---------------- */

static int all_keys(struct request *r, int *keypos, int max)
{
    return command_key_positions(r->cmd, r->argc, r->argv, keypos, max);
}

static void custom_start(struct shard *s, struct request *r, enum custom_kind kind)
{
    r->aux = kind;
    r->step = 0;
    switch (kind) {
    case CUSTOM_MSETNX: {
        int *keypos = malloc(sizeof(int) * r->argc);
        int n = all_keys(r, keypos, r->argc);
        split_by_shard(r, keypos, n, 0, cmd_exists, s);
        free(keypos);
        break;
    }
    case CUSTOM_RENAME:
    case CUSTOM_RENAMENX: {
        /* Step 0: do the source and the destination exist? */
        struct subreq *subs = subs_alloc(r, 2);
        int src = 1, dst = 2;
        subs[0].shard = r->shard_of[1];
        subs[0].handler = cmd_exists;
        sub_set_args(&subs[0], r, &src, 1);
        subs[1].shard = r->shard_of[2];
        subs[1].handler = cmd_exists;
        sub_set_args(&subs[1], r, &dst, 1);
        break;
    }
    case CUSTOM_COPY: {
        struct subreq *sub = single_sub(r, r->shard_of[1], SUB_DUP, NULL);
        (void)sub;
        break;
    }
    case CUSTOM_GATHER: {
        int keypos[8];
        int n = all_keys(r, keypos, 8);
        struct subreq *subs = subs_alloc(r, n);
        for (int i = 0; i < n; i++) {
            int pair[2] = {keypos[i], keypos[i]};
            subs[i].shard = r->shard_of[keypos[i]];
            subs[i].op = SUB_DUP;
            sub_set_args(&subs[i], r, pair, 2);
        }
        break;
    }
    case CUSTOM_INFO:
    case CUSTOM_CLIENT_LIST:
    case CUSTOM_CLIENT_KILL: {
        int n = s->srv->nshards;
        struct subreq *subs = subs_alloc(r, n);
        enum sub_op op = kind == CUSTOM_INFO          ? SUB_INFO
                         : kind == CUSTOM_CLIENT_LIST ? SUB_CLIENT_LIST
                                                      : SUB_CLIENT_KILL;
        for (int i = 0; i < n; i++) {
            subs[i].shard = i;
            subs[i].op = op;
            subs[i].result = (int64_t)r->client->id; /* CLIENT KILL SKIPME */
        }
        break;
    }
    case CUSTOM_SCAN: {
        struct subreq *sub = single_sub(r, r->shard_of[0] >= 0 ? r->shard_of[0] : s->id, SUB_HANDLER, cmd_scan);
        (void)sub;
        break;
    }
    case CUSTOM_NONE:
        break;
    }
    subs_launch(s, r);
}

static long long sub_integer(const struct subreq *sub)
{
    if (sub->out.len > 1 && sub->out.data[0] == ':')
        return strtoll(sub->out.data + 1, NULL, 10);
    return 0;
}

static int sub_error(const struct subreq *sub, struct buf *out)
{
    if (sub->out.len && sub->out.data[0] == '-') {
        buf_append(out, sub->out.data, sub->out.len);
        return 1;
    }
    return 0;
}

/* Parses COPY's options for the cross-shard path; replies and returns -1 on
 * error. */
static int copy_options(struct request *r, int ndbs, int *dbid, int *replace)
{
    *dbid = r->dbid;
    *replace = 0;
    for (int i = 3; i < r->argc; i++) {
        if (arg_is(&r->argv[i], "replace")) {
            *replace = 1;
        } else if (arg_is(&r->argv[i], "db") && i + 1 < r->argc) {
            long long v;
            if (!string2ll(r->argv[i + 1].ptr, r->argv[i + 1].len, &v)) {
                reply_error(&r->reply, ERR_NOT_INTEGER);
                return -1;
            }
            if (v < 0 || v >= ndbs || v > INT32_MAX) {
                reply_error(&r->reply, ERR_DB_INDEX);
                return -1;
            }
            *dbid = (int)v;
            i++;
        } else {
            reply_error(&r->reply, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* Called when every sub-request of the current step is done. Either launches
 * the next step or writes the final reply. Returns 1 when finished. */
static int custom_continue(struct shard *s, struct request *r)
{
    struct buf *out = &r->reply;
    switch ((enum custom_kind)r->aux) {
    case CUSTOM_MSETNX:
        if (r->step == 0) {
            long long exists = 0;
            for (int i = 0; i < r->nsubs; i++) {
                if (sub_error(&r->subs[i], out))
                    return 1;
                exists += sub_integer(&r->subs[i]);
            }
            if (exists) {
                reply_integer(out, 0);
                return 1;
            }
            int *keypos = malloc(sizeof(int) * r->argc);
            int n = all_keys(r, keypos, r->argc);
            split_by_shard(r, keypos, n, 1, cmd_mset, s);
            free(keypos);
            r->step = 1;
            subs_launch(s, r);
            return 0;
        }
        for (int i = 0; i < r->nsubs; i++)
            if (sub_error(&r->subs[i], out))
                return 1;
        reply_integer(out, 1);
        return 1;

    case CUSTOM_RENAME:
    case CUSTOM_RENAMENX: {
        int nx = r->aux == CUSTOM_RENAMENX;
        if (r->step == 0) {
            if (sub_error(&r->subs[0], out) || sub_error(&r->subs[1], out))
                return 1;
            if (sub_integer(&r->subs[0]) == 0) {
                reply_error(out, ERR_NO_SUCH_KEY);
                return 1;
            }
            if (nx && sub_integer(&r->subs[1]) > 0) {
                reply_integer(out, 0);
                return 1;
            }
            struct subreq *sub = single_sub(r, r->shard_of[1], SUB_TAKE, NULL);
            int idx[2] = {1, 2};
            sub_set_args(sub, r, idx, 2);
            r->step = 1;
            subs_launch(s, r);
            return 0;
        }
        if (r->step == 1) {
            struct db_entry *e = r->subs[0].entry;
            r->subs[0].entry = NULL;
            if (!e) {
                reply_error(out, ERR_NO_SUCH_KEY);
                return 1;
            }
            struct subreq *sub = single_sub(r, r->shard_of[2], SUB_PUT, NULL);
            sub->entry = e;
            sub->flags = nx ? PUT_NX : PUT_REPLACE;
            r->step = 2;
            subs_launch(s, r);
            return 0;
        }
        if (r->step == 2) {
            if (r->subs[0].result == 1) {
                if (nx)
                    reply_integer(out, 1);
                else
                    reply_ok(out);
                return 1;
            }
            /* RENAMENX lost a race for the destination: give the value back
             * to the source key, then report 0 like a plain NX failure. */
            struct db_entry *e = r->subs[0].entry;
            r->subs[0].entry = NULL;
            struct db_entry *back = entry_dup_with_key(e, r->hashes[1], r->argv[1].ptr, r->argv[1].len);
            entry_free(e);
            struct subreq *sub = single_sub(r, r->shard_of[1], SUB_PUT, NULL);
            sub->entry = back;
            sub->flags = PUT_NX;
            r->step = 3;
            subs_launch(s, r);
            return 0;
        }
        if (r->subs[0].result != 1)
            server_log(LL_WARNING, "RENAMENX: source key was recreated during a cross-shard rename; value dropped");
        reply_integer(out, 0);
        return 1;
    }

    case CUSTOM_COPY:
        if (r->step == 0) {
            struct db_entry *e = r->subs[0].entry;
            r->subs[0].entry = NULL;
            if (!e) {
                reply_integer(out, 0);
                return 1;
            }
            int dbid, replace;
            if (copy_options(r, s->ndbs, &dbid, &replace) < 0) {
                entry_free(e);
                return 1;
            }
            struct subreq *sub = single_sub(r, r->shard_of[2], SUB_PUT, NULL);
            sub->entry = e;
            sub->dbid = dbid;
            sub->flags = replace ? PUT_REPLACE : PUT_NX;
            r->step = 1;
            subs_launch(s, r);
            return 0;
        }
        reply_integer(out, r->subs[0].result == 1);
        return 1;

    case CUSTOM_GATHER: {
        /* Every key was copied here; run the handler over a private db. */
        struct db *tmp = db_create();
        for (int i = 0; i < r->nsubs; i++) {
            struct db_entry *e = r->subs[i].entry;
            r->subs[i].entry = NULL;
            if (e && !db_find(tmp, e->hash, e->key, e->key_len))
                db_insert(tmp, e);
            else if (e)
                entry_free(e);
        }
        struct cmd_ctx c;
        shard_init_ctx(s, &c, r->dbid, r->resp, out);
        c.db = tmp;
        c.argc = r->argc;
        c.argv = r->argv;
        c.hashes = r->hashes;
        c.cmd = r->cmd;
        r->cmd->handler(&c);
        db_destroy(tmp);
        return 1;
    }

    case CUSTOM_SCAN: {
        /* A shard with nothing left hands over to the next shard: skip
         * shards whose part was empty, so an empty keyspace answers "0"
         * in one call as Redis does. */
        struct subreq *done = &r->subs[0];
        const char *p = done->out.data;
        size_t len = done->out.len;
        unsigned long long next = 0;
        int empty = 0;
        if (len > 4 && p[0] == '*') {
            const char *q = memchr(p, '\n', len); /* "$n\r\n" */
            q = q ? memchr(q + 1, '\n', len - (q + 1 - p)) : NULL;
            const char *cur = q ? q + 1 : NULL;
            const char *end = cur ? memchr(cur, '\r', len - (cur - p)) : NULL;
            if (end && string2ull(cur, end - cur, &next)) {
                const char *arr = end + 2;
                empty = (size_t)(arr - p) + 4 <= len && !memcmp(arr, "*0\r\n", 4);
            }
        }
        if (empty && next != 0 && (next >> SCAN_SHARD_BITS) == 0 && (int)next < s->srv->nshards) {
            int len2 = snprintf(r->scratch, sizeof(r->scratch), "%llu", next);
            struct subreq *sub = single_sub(r, (int)next, SUB_HANDLER, cmd_scan);
            sub->argv = malloc(sizeof(struct arg) * r->argc);
            sub->hashes = malloc(sizeof(uint64_t) * r->argc);
            memcpy(sub->argv, r->argv, sizeof(struct arg) * r->argc);
            memset(sub->hashes, 0, sizeof(uint64_t) * r->argc);
            sub->argv[1].ptr = r->scratch;
            sub->argv[1].len = len2;
            subs_launch(s, r);
            return 0;
        }
        buf_append(out, p, len);
        return 1;
    }

    case CUSTOM_INFO: {
        struct shard_info *infos = malloc(sizeof(struct shard_info) * r->nsubs);
        for (int i = 0; i < r->nsubs; i++) {
            const char *p = r->subs[i].out.data;
            memcpy(&infos[i], p, sizeof(struct shard_info));
            /* The stats arrays follow the struct in the same buffer; the
             * buffer lives until the subs are freed after rendering. */
            infos[i].cmdstats = (const struct command_stat *)(p + sizeof(struct shard_info));
            infos[i].errstats = (const struct error_stat *)(p + sizeof(struct shard_info) +
                                                            sizeof(struct command_stat) * (command_count() + 1));
        }
        info_render(out, r->resp, r->argv, r->argc, s, infos, r->nsubs);
        free(infos);
        return 1;
    }

    case CUSTOM_CLIENT_LIST: {
        struct buf text = {0};
        for (int i = 0; i < r->nsubs; i++)
            buf_append(&text, r->subs[i].out.data, r->subs[i].out.len);
        reply_verbatim(out, r->resp, text.data ? text.data : "", text.len, "txt");
        buf_free(&text);
        return 1;
    }

    case CUSTOM_CLIENT_KILL: {
        for (int i = 0; i < r->nsubs; i++)
            if (sub_error(&r->subs[i], out))
                return 1;
        long long killed = 0;
        for (int i = 0; i < r->nsubs; i++)
            killed += r->subs[i].result;
        if (r->argc == 3) { /* old form: CLIENT KILL addr:port */
            if (killed == 0)
                reply_error(out, "ERR No such client");
            else
                reply_ok(out);
        } else {
            reply_integer(out, killed);
        }
        return 1;
    }
    case CUSTOM_NONE:
        break;
    }
    return 1;
}

/* ---------------- completion ---------------- */

void dispatch_sub_done(struct shard *s, struct subreq *sub)
{
    struct request *r = sub->req;
    if (--r->pending > 0)
        return;
    if (r->aux != CUSTOM_NONE) {
        if (!custom_continue(s, r))
            return;
    } else {
        merge_replies(r, &r->reply);
    }
    request_finish(r);
}

static void request_finish(struct request *r)
{
    struct client *c = r->client;
    struct shard *s = c->shard;
    subs_free(r);
    if (r->reply.len && r->reply.data[0] == '-')
        shard_count_error(s, r->reply.data, r->reply.len);
    r->done = 1;
    c->npending--;
    if (c->barrier == r)
        c->barrier = NULL;
    client_flush_done_requests(c); /* may free r */
    if (c->paused && !c->barrier && c->npending < MAX_PENDING_PER_CLIENT / 2) {
        c->paused = 0;
        if (!c->in_resume_list) {
            c->in_resume_list = 1;
            c->resume_next = s->resume_list;
            s->resume_list = c;
        }
    }
    client_maybe_free(c);
}

/* ---------------- entry point ---------------- */

static void reply_unknown_command(struct buf *out, int argc, const struct arg *argv)
{
    struct buf msg = {0};
    char head[200];
    snprintf(head, sizeof(head),
             "ERR unknown command '%.*s', with args beginning with: ", (int)(argv[0].len > 128 ? 128 : argv[0].len),
             argv[0].ptr);
    buf_append_str(&msg, head);
    for (int i = 1; i < argc && msg.len < 128; i++) {
        snprintf(head, sizeof(head), "'%.*s' ", (int)(argv[i].len > 128 ? 128 : argv[i].len), argv[i].ptr);
        buf_append_str(&msg, head);
    }
    buf_append_byte(&msg, '\0');
    reply_error(out, msg.data);
    buf_free(&msg);
}

/* Where a reply that is ready now goes: straight to the output when nothing
 * is pending before it, else a finished request keeps it in order. */
static struct buf *reply_target(struct client *c, const struct command *cmd, int argc, const struct arg *argv,
                                struct request **req)
{
    *req = NULL;
    if (!c->req_head)
        return &c->out;
    *req = request_new(c, cmd, argc, argv);
    return &(*req)->reply;
}

static void reply_ready(struct client *c, struct request *req, struct buf *out, size_t before)
{
    if (out->len > before && out->data[before] == '-')
        shard_count_error(c->shard, out->data + before, out->len - before);
    if (req) {
        req->done = 1;
        c->npending--;
        client_flush_done_requests(c);
    } else {
        client_want_flush(c);
    }
}

void dispatch_reply_error(struct client *c, const char *msg)
{
    struct request *req;
    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
    size_t before = out->len;
    reply_error(out, msg);
    reply_ready(c, req, out, before);
}

static void run_inline(struct shard *s, struct client *c, const struct command *cmd, int argc, const struct arg *argv,
                       const uint64_t *hashes, int with_client)
{
    struct request *req;
    struct buf *out = reply_target(c, cmd, argc, argv, &req);
    size_t before = out->len;
    struct cmd_ctx ctx;
    shard_init_ctx(s, &ctx, c->dbid, c->resp, out);
    ctx.argc = argc;
    ctx.argv = argv;
    ctx.hashes = hashes;
    ctx.cmd = cmd;
    ctx.client = with_client ? c : NULL;
    int64_t t0 = monotonic_us();
    cmd->handler(&ctx);
    shard_command_stat(s, cmd)->usec += monotonic_us() - t0;
    s->stats.commands++;
    reply_ready(c, req, out, before);
}

static enum custom_kind custom_kind_of(const struct command *cmd)
{
    if (cmd->handler == cmd_msetnx)
        return CUSTOM_MSETNX;
    if (cmd->handler == cmd_rename)
        return CUSTOM_RENAME;
    if (cmd->handler == cmd_renamenx)
        return CUSTOM_RENAMENX;
    if (cmd->handler == cmd_copy)
        return CUSTOM_COPY;
    return CUSTOM_GATHER;
}

void dispatch_command(struct client *c, int argc, const struct arg *argv)
{
    struct shard *s = c->shard;
    const struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    if (!cmd) {
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_unknown_command(out, argc, argv);
        reply_ready(c, req, out, before);
        return;
    }
    /* MSET-like commands: keys with companions must come in whole groups,
     * checked before any shard runs a part. */
    if (!command_arity_ok(cmd, argc) ||
        (cmd->last_key == -1 && cmd->key_step > 1 && (argc - cmd->first_key) % cmd->key_step != 0)) {
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_wrong_arity(out, argv[0].ptr, argv[0].len);
        reply_ready(c, req, out, before);
        return;
    }
    /* Container commands (CLIENT, CONFIG, COMMAND, OBJECT): the subcommand
     * has its own arity, checked here like Redis 7 does. */
    const struct command *subcmd = NULL;
    if (cmd->subcommands && argc >= 2) {
        subcmd = command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
        char msg[400];
        if (!subcmd) {
            char upper[32];
            size_t k = 0;
            for (; cmd->name[k] && k < sizeof(upper) - 1; k++)
                upper[k] = (char)(cmd->name[k] >= 'a' && cmd->name[k] <= 'z' ? cmd->name[k] - 32 : cmd->name[k]);
            upper[k] = '\0';
            snprintf(msg, sizeof(msg), "ERR unknown subcommand '%.*s'. Try %s HELP.",
                     (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].ptr, upper);
        } else if (!command_arity_ok(subcmd, argc)) {
            snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s|%s' command", cmd->name, subcmd->name);
        }
        if (!subcmd || !command_arity_ok(subcmd, argc)) {
            dispatch_reply_error(c, msg);
            return;
        }
    }
    c->commands++;
    c->last_cmd = cmd->name;
    c->last_sub = subcmd ? subcmd->name : NULL;
    struct command_stat *st = shard_command_stat(s, cmd);
    st->calls++;

    if (cmd->route == ROUTE_LOCAL) {
        /* CLIENT LIST/KILL and INFO need every shard. */
        enum custom_kind kind = CUSTOM_NONE;
        if (cmd->handler == cmd_info)
            kind = CUSTOM_INFO;
        else if (cmd->handler == cmd_client && argc >= 2 && arg_is(&argv[1], "list"))
            kind = CUSTOM_CLIENT_LIST;
        else if (cmd->handler == cmd_client && argc >= 3 && arg_is(&argv[1], "kill"))
            kind = CUSTOM_CLIENT_KILL;
        if (kind == CUSTOM_CLIENT_LIST) {
            /* Validate filters once here, so every shard sees valid ones. */
            const char *err = NULL;
            char msg[200];
            for (int i = 2; i < argc && !err; i++) {
                if (arg_is(&argv[i], "type") && i + 1 < argc) {
                    const struct arg *t = &argv[++i];
                    if (!arg_is(t, "normal") && !arg_is(t, "master") && !arg_is(t, "replica") && !arg_is(t, "slave") &&
                        !arg_is(t, "pubsub")) {
                        snprintf(msg, sizeof(msg), "ERR Unknown client type '%.*s'", (int)(t->len > 64 ? 64 : t->len),
                                 t->ptr);
                        err = msg;
                    }
                } else if (arg_is(&argv[i], "id") && i + 1 < argc) {
                    for (i++; i < argc; i++) {
                        long long id;
                        if (!string2ll(argv[i].ptr, argv[i].len, &id) || id <= 0) {
                            err = "ERR Invalid client ID";
                            break;
                        }
                    }
                } else {
                    err = ERR_SYNTAX;
                }
            }
            if (err) {
                dispatch_reply_error(c, err);
                return;
            }
        }
        if (kind == CUSTOM_NONE) {
            run_inline(s, c, cmd, argc, argv, NULL, 1);
            return;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        custom_start(s, r, kind);
        return;
    }

    if (cmd->route == ROUTE_ALL) {
        int n = s->srv->nshards;
        if (n == 1) {
            run_inline(s, c, cmd, argc, argv, NULL, 0);
            return;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        struct subreq *subs = subs_alloc(r, n);
        for (int i = 0; i < n; i++)
            subs[i].shard = i;
        subs_launch(s, r);
        return;
    }

    /* ROUTE_KEYS / ROUTE_CUSTOM: hash the keys once. */
    int nshards = s->srv->nshards;
    int keypos_small[16];
    int *keypos = argc <= 16 ? keypos_small : malloc(sizeof(int) * argc);
    uint64_t hashes_small[16];
    uint64_t *hashes = argc <= 16 ? hashes_small : malloc(sizeof(uint64_t) * argc);
    int shard_small[16];
    int *shard_of = argc <= 16 ? shard_small : malloc(sizeof(int) * argc);
    int nkeys = command_key_positions(cmd, argc, argv, keypos, argc);
    int target = -1, multi = 0;
    for (int i = 0; i < argc; i++) {
        hashes[i] = 0;
        shard_of[i] = -1;
    }
    for (int k = 0; k < nkeys; k++) {
        int p = keypos[k];
        hashes[p] = key_hash(argv[p].ptr, argv[p].len);
        shard_of[p] = nshards == 1 ? 0 : key_shard(argv[p].ptr, argv[p].len, hashes[p], nshards);
        if (target < 0)
            target = shard_of[p];
        else if (target != shard_of[p])
            multi = 1;
    }
    if (nkeys == 0) {
        /* SCAN: the cursor names the shard. */
        target = s->id;
        if (cmd->handler == cmd_scan && argc >= 2) {
            unsigned long long cursor;
            if (string2ull(argv[1].ptr, argv[1].len, &cursor) && (int)(cursor & (MAX_THREADS - 1)) < nshards)
                target = (int)(cursor & (MAX_THREADS - 1));
            if (nshards > 1) {
                struct request *r = request_new(c, cmd, argc, argv);
                r->shard_of[0] = target; /* argv[0] is never a key: its slot carries SCAN's shard */
                custom_start(s, r, CUSTOM_SCAN);
                goto out;
            }
        }
    }

    if (!multi && target == s->id) {
        run_inline(s, c, cmd, argc, argv, hashes, 0);
    } else {
        struct request *r = request_new(c, cmd, argc, argv);
        memcpy(r->hashes, hashes, sizeof(uint64_t) * argc);
        memcpy(r->shard_of, shard_of, sizeof(int) * argc);
        if (!multi) {
            struct subreq *sub = subs_alloc(r, 1);
            sub->shard = target;
            subs_launch(s, r);
        } else if (cmd->route == ROUTE_KEYS) {
            split_by_shard(r, keypos, nkeys, 1, cmd->handler, s);
            subs_launch(s, r);
        } else {
            c->paused = 1; /* barrier: see the file comment */
            c->barrier = r;
            custom_start(s, r, custom_kind_of(cmd));
        }
    }
out:
    if (c->npending >= MAX_PENDING_PER_CLIENT)
        c->paused = 1;
    if (keypos != keypos_small)
        free(keypos);
    if (hashes != hashes_small)
        free(hashes);
    if (shard_of != shard_small)
        free(shard_of);
}
