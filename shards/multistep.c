/*
 * multistep.c - commands that take several steps, each a round of
 * sub-requests, driven by the coordinator (r->aux names the kind, r->step
 * the step):
 *   - multi-key commands whose keys span shards (ROUTE_CUSTOM): MSETNX
 *     (existence check, then MSET), RENAME/RENAMENX (check, take the
 *     value, put it at the destination, give it back on a lost race), COPY
 *     (duplicate, put), and the others by gathering their keys here
 *     (gather_run: copies for a read, moved out and put back for a write);
 *   - SCAN, which goes on from shard to shard while a call finds too few keys;
 *   - keyless commands that need every shard (INFO, CLIENT LIST/KILL/UNBLOCK,
 *     CONFIG RESETSTAT): one sub-request per shard, reply rendered here;
 *   - CUSTOM_BLOCK_WAIT (shards/block_wait.c), the EXEC and WATCH kinds
 *     (shards/txn_exec.c) are completed by their own files.
 *
 * Thread: the client's thread. The steps of a multi-key command run inside
 * a transaction (shards/txn_coordinator.c): its keys are locked on every
 * shard before the first step, so the steps are atomic against other
 * clients; the client stops parsing (barrier) until the locks are held.
 * SCAN and the every-shard keyless commands take no locks (SCAN's
 * guarantees are per shard, as Redis's are per table).
 *
 * Protocol: SUB_HANDLER (a handler on the shard's keys), SUB_TAKE / SUB_DUP
 * (an entry moved or copied out, carried in sub->entry), SUB_PUT (an entry
 * put back: PUT_REPLACE, PUT_NX, PUT_QUIET, PUT_TOUCH), SUB_INFO,
 * SUB_CLIENT_*, SUB_RESETSTAT.
 * An entry carried between steps belongs to the request until a SUB_PUT
 * hands it to a shard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/log.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "shards/blocking.h"
#include "shards/dispatch_internal.h"
#include "shards/engine_hooks.h"
#include "shards/pubsub.h"
#include "shards/script.h"

#include "shards/tracking.h"
#include "shards/txn_coordinator.h"

/* Did the handler change the key named at position p (any position with
 * the same name counts; positions past 63 are assumed changed)? */
static int key_changed(const struct request *r, uint64_t modified, int p)
{
    const struct arg *a = &r->argv[p];
    for (int i = 1; i < r->argc; i++) {
        const struct arg *b = &r->argv[i];
        if (b->len != a->len || memcmp(a->ptr, b->ptr, a->len) || r->shard_of[i] < 0)
            continue;
        if (i >= 64 || (modified & (1ULL << i)))
            return 1;
    }
    return 0;
}

/* Whether the gathered run may write: a write command, except a SORT
 * without STORE (moved out and put back, its keys would be logged and
 * copied for a read). */
static int gather_writes(const struct request *r)
{
    if (!(r->cmd->flags & CMD_WRITE))
        return 0;
    if (r->aux == CUSTOM_SORT) {
        int idx[2];
        return sort_command_keys(r->argc, r->argv, idx, 2) > 1;
    }
    return 1;
}

/*
 * The gathered keys are here: run the handler over a private db holding
 * them. A read is done. A write puts every key back on its shard (changed
 * ones touch WATCH and count as dirty there, unchanged ones go back
 * quietly; a key the command deleted is only touched). A blocking command
 * that found nothing puts everything back unchanged and, once the locks
 * are released, waits for one of its keys (block_wait_start).
 */
static int gather_run(struct shard *s, struct request *r, struct buf *out)
{
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
    c.watches = NULL; /* the keys' own shards are touched when they go back */
    c.aof = NULL;     /* and logged there (SUB_TAKE / SUB_PUT) */
    c.argc = r->argc;
    c.argv = r->argv;
    c.hashes = r->hashes;
    c.cmd = r->cmd;
    c.blocking = r->block && (r->block_deadline == 0 || s->now_ms < r->block_deadline);
    if (c.blocking && r->block_woken)
        c.blocking = 2;
    size_t before = out->len;
    r->cmd->handler(&c);
    if (c.blocked) {
        out->len = before;
        c.modified = 0;
        r->block_retry = 1;
        if ((r->cmd->flags & CMD_BLOCK_STREAM) && !r->pinned) { /* XREAD ... $: the ids as of now */
            r->pinned = malloc((size_t)XREAD_PIN_BYTES * (size_t)r->argc);
            if (!r->pinned)
                out_of_memory((size_t)XREAD_PIN_BYTES * (size_t)r->argc);
            xread_pin_last_ids(tmp, s->now_ms, r->argc, r->argv, r->pinned);
        }
    }
    if (!gather_writes(r)) {
        db_destroy(tmp);
        return 1;
    }
    int *keypos = malloc(sizeof(int) * r->argc);
    int n = distinct_keys(r, keypos);
    struct db_entry **back = calloc(n ? n : 1, sizeof(*back));
    int *changed = malloc(sizeof(int) * (n ? n : 1));
    int nput = 0;
    for (int i = 0; i < n; i++) {
        const struct arg *a = &r->argv[keypos[i]];
        back[i] = db_unlink(tmp, r->hashes[keypos[i]], a->ptr, a->len);
        changed[i] = key_changed(r, c.modified, keypos[i]);
        nput += back[i] || changed[i];
    }
    db_destroy(tmp);
    struct subreq *subs = nput ? subs_alloc(r, nput) : NULL;
    int k = 0;
    for (int i = 0; i < n && nput; i++) {
        if (!back[i] && !changed[i])
            continue;
        int pair[2] = {keypos[i], keypos[i]};
        subs[k].shard = r->shard_of[keypos[i]];
        subs[k].op = SUB_PUT;
        subs[k].entry = back[i];
        subs[k].flags = back[i] ? PUT_REPLACE | (changed[i] ? 0 : PUT_QUIET) : PUT_TOUCH;
        sub_set_args(&subs[k], r, pair, 2);
        k++;
    }
    free(changed);
    free(back);
    free(keypos);
    if (nput == 0)
        return 1;
    r->step++;
    subs_launch(s, r);
    return 0;
}

/* Collects the names of the keys SORT's patterns name (sort_pattern_keys),
 * each once, leaving out the command's own keys (gathered anyway). */
struct sort_names {
    struct request *r;
    struct buf bytes; /* the names, back to back */
    size_t *off, *len;
    uint64_t *hash;
    int n, cap;
};

static void sort_name_add(void *priv, const char *key, size_t len)
{
    struct sort_names *sn = priv;
    uint64_t h = key_hash(key, len);
    for (int i = 1; i < sn->r->argc; i++)
        if (sn->r->shard_of[i] >= 0 && sn->r->argv[i].len == len && !memcmp(sn->r->argv[i].ptr, key, len))
            return;
    for (int i = 0; i < sn->n; i++)
        if (sn->hash[i] == h && sn->len[i] == len && !memcmp(sn->bytes.data + sn->off[i], key, len))
            return;
    if (sn->n == sn->cap) {
        sn->cap = sn->cap ? sn->cap * 2 : 16;
        sn->off = realloc(sn->off, sizeof(size_t) * (size_t)sn->cap);
        sn->len = realloc(sn->len, sizeof(size_t) * (size_t)sn->cap);
        sn->hash = realloc(sn->hash, sizeof(uint64_t) * (size_t)sn->cap);
    }
    sn->off[sn->n] = sn->bytes.len;
    sn->len[sn->n] = len;
    sn->hash[sn->n] = h;
    sn->n++;
    buf_append(&sn->bytes, key, len);
}

/*
 * SORT whose keys span shards, or whose BY/GET patterns name keys on
 * other shards (then behind the global barrier: no other command runs on
 * any shard meanwhile; otherwise the pattern keys live on the source's
 * shard, whose copies step 1 takes in one batch while the source is
 * locked): step 0
 * copied the source here; its elements give the names of the keys the
 * patterns name; step 1 gathers them (copies) with the command's own keys
 * (as CUSTOM_GATHER: moved out for a write, put back after the run), and
 * the handler runs once over them all. The names live in r->scan_keys
 * until the request ends.
 */
static void sort_gather_start(struct shard *s, struct request *r)
{
    struct db_entry *src = r->subs[0].entry;
    r->subs[0].entry = NULL;
    struct sort_names sn = {.r = r};
    sort_pattern_keys(r->argc, r->argv, src, sort_name_add, &sn);
    if (src)
        entry_free(src);
    buf_free(&r->scan_keys);
    r->scan_keys = sn.bytes; /* owned by the request from here */
    int *keypos = malloc(sizeof(int) * r->argc);
    int nown = distinct_keys(r, keypos);
    int write = gather_writes(r);
    struct subreq *subs = subs_alloc(r, nown + sn.n);
    for (int i = 0; i < nown; i++) {
        int pair[2] = {keypos[i], keypos[i]};
        subs[i].shard = r->shard_of[keypos[i]];
        subs[i].op = write ? SUB_TAKE : SUB_DUP;
        subs[i].flags = PUT_QUIET;
        sub_set_args(&subs[i], r, pair, 2);
    }
    for (int i = 0; i < sn.n; i++) {
        struct subreq *sub = &subs[nown + i];
        struct arg name = {r->scan_keys.data + sn.off[i], sn.len[i]};
        sub->shard = s->srv->nshards == 1 ? 0 : key_shard(name.ptr, name.len, sn.hash[i], s->srv->nshards);
        sub->op = SUB_DUP;
        sub->argv = malloc(sizeof(struct arg) * 3);
        sub->hashes = malloc(sizeof(uint64_t) * 3);
        sub->argv[0] = r->argv[0];
        sub->argv[1] = sub->argv[2] = name;
        sub->hashes[0] = 0;
        sub->hashes[1] = sub->hashes[2] = sn.hash[i];
        sub->argc = 3;
    }
    free(keypos);
    free(sn.off);
    free(sn.len);
    free(sn.hash);
    r->step = 1;
    subs_launch(s, r);
}

/* A cross-shard RENAME is done: the keyspace events a single-shard one
 * raises in its handler (core/commands/cmd_keys.c), raised here on the
 * coordinator once the value is in place. */
static void rename_events(struct shard *s, struct request *r)
{
    const struct arg *src = &r->argv[1], *dst = &r->argv[2];
    shard_notify_event(s, NOTIFY_NEW, "new", dst->ptr, dst->len, r->dbid);
    shard_notify_event(s, NOTIFY_GENERIC, "rename_from", src->ptr, src->len, r->dbid);
    shard_notify_event(s, NOTIFY_GENERIC, "rename_to", dst->ptr, dst->len, r->dbid);
}

void custom_start(struct shard *s, struct request *r, enum custom_kind kind)
{
    r->aux = kind;
    r->step = 0;
    if (kind == CUSTOM_CLIENT_KILL && !r->parent) {
        /* A barrier: what the client sends next sees the victims gone,
         * their subscriptions too (PUBSUB counts, shards/pubsub.c). */
        r->client->paused = 1;
        r->client->barrier = r;
    }
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
        /* Every distinct key comes here: copied for a read, moved out of
         * its shard for a write (and put back after the run). */
        int *keypos = malloc(sizeof(int) * r->argc);
        int n = distinct_keys(r, keypos);
        int write = (r->cmd->flags & CMD_WRITE) != 0;
        struct subreq *subs = subs_alloc(r, n);
        for (int i = 0; i < n; i++) {
            int pair[2] = {keypos[i], keypos[i]};
            subs[i].shard = r->shard_of[keypos[i]];
            subs[i].op = write ? SUB_TAKE : SUB_DUP;
            subs[i].flags = PUT_QUIET;
            sub_set_args(&subs[i], r, pair, 2);
        }
        free(keypos);
        break;
    }
    case CUSTOM_INFO:
    case CUSTOM_CLIENT_LIST:
    case CUSTOM_CLIENT_KILL:
    case CUSTOM_CLIENT_UNBLOCK:
    case CUSTOM_RESETSTAT: {
        int n = s->srv->nshards;
        struct subreq *subs = subs_alloc(r, n);
        enum sub_op op = kind == CUSTOM_INFO             ? SUB_INFO
                         : kind == CUSTOM_CLIENT_LIST    ? SUB_CLIENT_LIST
                         : kind == CUSTOM_RESETSTAT      ? SUB_RESETSTAT
                         : kind == CUSTOM_CLIENT_UNBLOCK ? SUB_CLIENT_UNBLOCK
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
    case CUSTOM_SORT: {
        /* Step 0: a copy of the source, whose elements name the keys. */
        int src = 1;
        struct subreq *sub = single_sub(r, r->shard_of[1], SUB_DUP, NULL);
        int pair[2] = {src, src};
        sub_set_args(sub, r, pair, 2);
        break;
    }
    case CUSTOM_WATCH:
    case CUSTOM_EXEC_ONE_HOP:
    case CUSTOM_EXEC_PER_SHARD:
    case CUSTOM_BLOCK_WAIT:
    case CUSTOM_PUBSUB:
    case CUSTOM_SCRIPT:
    case CUSTOM_NONE:
        break;
    case CUSTOM_TRACKING:
        tracking_start(s, r);
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

/* The COUNT of a SCAN's arguments (valid: its first shard checked them). */
static long long scan_count_arg(const struct request *r, int *pos)
{
    long long count = 10;
    *pos = -1;
    for (int j = 2; j + 1 < r->argc; j += 2) {
        if (arg_is(&r->argv[j], "count") && string2ll(r->argv[j + 1].ptr, r->argv[j + 1].len, &count))
            *pos = j + 1;
    }
    return count;
}

/*
 * SCAN across shards: the cursor's low bits name a shard. One call goes on
 * to the next shards while each shard's table was finished in this call
 * and fewer than COUNT keys were found, asking the next shard for the
 * COUNT still wanted; the keys of all the shards visited are returned
 * together with the last cursor. So a keyspace smaller than COUNT comes
 * back in one call with cursor 0, as in Redis, and the guarantee holds (a
 * call that goes on is what the client's next call would do). Work per call
 * stays bounded: a shard only hands over when it ran out of keys.
 */
static int scan_continue(struct shard *s, struct request *r, struct buf *out)
{
    struct subreq *done = &r->subs[0];
    const char *p = done->out.data;
    size_t len = done->out.len;
    unsigned long long next = 0;
    long long nkeys = -1;
    const char *keys = NULL;
    if (len > 4 && p[0] == '*') {
        const char *q = memchr(p, '\n', len); /* "$n\r\n" */
        q = q ? memchr(q + 1, '\n', len - (q + 1 - p)) : NULL;
        const char *cur = q ? q + 1 : NULL;
        const char *end = cur ? memchr(cur, '\r', len - (cur - p)) : NULL;
        if (end && string2ull(cur, end - cur, &next) && end + 2 < p + len && end[2] == '*') {
            const char *arr = end + 3;
            const char *arr_end = memchr(arr, '\r', len - (arr - p));
            if (arr_end && string2ll(arr, arr_end - arr, &nkeys))
                keys = arr_end + 2;
        }
    }
    if (nkeys < 0 || !keys) { /* an error (bad cursor or option): the first shard's */
        buf_append(out, p, len);
        return 1;
    }
    buf_append(&r->scan_keys, keys, len - (size_t)(keys - p));
    r->scan_nkeys += nkeys;
    int count_pos;
    long long count = scan_count_arg(r, &count_pos);
    if (next != 0 && (next >> SCAN_SHARD_BITS) == 0 && (int)next < s->srv->nshards && r->scan_nkeys < count) {
        int clen = snprintf(r->scratch, sizeof(r->scratch), "%llu", next);
        int nlen = snprintf(r->scan_count, sizeof(r->scan_count), "%lld", count - r->scan_nkeys);
        struct subreq *sub = single_sub(r, (int)next, SUB_HANDLER, cmd_scan);
        int argc = r->argc + (count_pos < 0 ? 2 : 0);
        sub->argv = malloc(sizeof(struct arg) * argc);
        sub->hashes = calloc(argc, sizeof(uint64_t));
        memcpy(sub->argv, r->argv, sizeof(struct arg) * r->argc);
        sub->argv[1].ptr = r->scratch;
        sub->argv[1].len = clen;
        if (count_pos < 0) {
            count_pos = r->argc + 1;
            sub->argv[r->argc].ptr = "count";
            sub->argv[r->argc].len = 5;
        }
        sub->argv[count_pos].ptr = r->scan_count;
        sub->argv[count_pos].len = nlen;
        sub->argc = argc;
        subs_launch(s, r);
        return 0;
    }
    char tmp[32];
    int clen = snprintf(tmp, sizeof(tmp), "%llu", next);
    reply_array(out, 2);
    reply_bulk(out, tmp, (size_t)clen);
    reply_array(out, r->scan_nkeys);
    buf_append(out, r->scan_keys.data ? r->scan_keys.data : "", r->scan_keys.len);
    return 1;
}

/* Called when every sub-request of the current step is done. Either launches
 * the next step or writes the final reply. Returns 1 when finished. */
int custom_continue(struct shard *s, struct request *r)
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
                rename_events(s, r);
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
        if (r->subs[0].result == 1) {
            int dbid = r->subs[0].dbid;
            shard_notify_event(s, NOTIFY_NEW, "new", r->argv[2].ptr, r->argv[2].len, dbid);
            shard_notify_event(s, NOTIFY_GENERIC, "copy_to", r->argv[2].ptr, r->argv[2].len, dbid);
        }
        reply_integer(out, r->subs[0].result == 1);
        return 1;

    case CUSTOM_GATHER:
        if (r->step == 0)
            return gather_run(s, r, out);
        return 1; /* the keys are back on their shards */
    case CUSTOM_SORT:
        if (r->step == 0) {
            sort_gather_start(s, r);
            return 0;
        }
        if (r->step == 1)
            return gather_run(s, r, out);
        return 1;
    case CUSTOM_BLOCK_WAIT:
        return block_wait_done(s, r, out);

    case CUSTOM_SCAN:
        return scan_continue(s, r, out);

    case CUSTOM_INFO: {
        struct shard_info *infos = malloc(sizeof(struct shard_info) * r->nsubs);
        for (int i = 0; i < r->nsubs; i++) {
            const char *p = r->subs[i].out.data;
            memcpy(&infos[i], p, sizeof(struct shard_info));
            /* The stats arrays follow the struct in the same buffer; the
             * buffer lives until the subs are freed after rendering. */
            infos[i].cmdstats = (const struct command_stat *)(p + sizeof(struct shard_info));
            infos[i].errstats = (const struct error_stat *)(p + sizeof(struct shard_info) +
                                                            sizeof(struct command_stat) * (command_stat_count() + 1));
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

    case CUSTOM_RESETSTAT:
        reply_ok(out);
        return 1;

    case CUSTOM_PUBSUB:
        pubsub_request_done(s, r);
        return 1;

    case CUSTOM_SCRIPT:
        return script_hop_done(s, r);

    case CUSTOM_TRACKING:
        return tracking_request_done(s, r, out);

    case CUSTOM_CLIENT_UNBLOCK: {
        long long unblocked = 0;
        for (int i = 0; i < r->nsubs; i++)
            unblocked += r->subs[i].result;
        reply_integer(out, unblocked);
        return 1;
    }

    case CUSTOM_CLIENT_KILL: {
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
    case CUSTOM_WATCH:
        watch_done(r);
        return 1;

    case CUSTOM_EXEC_ONE_HOP:
        exec_reply_one_hop(s, r, out);
        return 1;
    case CUSTOM_EXEC_PER_SHARD:
        exec_reply_per_shard(r, out);
        return 1;
    case CUSTOM_NONE:
        break;
    }
    return 1;
}
