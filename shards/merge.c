/*
 * merge.c - one reply from the replies of a command's parts on several
 * shards, as the command table's `merge` says (MERGE_SUM for DEL, MERGE_MGET
 * re-ordering MGET's elements into argument order, MERGE_CONCAT for KEYS,
 * ...). MERGE_CUSTOM commands are merged by their multi-step code
 * (shards/multistep.c).
 *
 * Thread: the client's thread, once every sub-request of the step is back
 * (request_step_done). Reads the sub-replies in r->subs[i].out, which no
 * other thread touches any more; writes only the request's reply.
 *
 * Invariant: an error from any shard wins (every shard saw the same
 * arguments), except for MGET, whose parts reply per key.
 */
#include <stdlib.h>
#include <string.h>

#include "shards/dispatch_internal.h"

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

void merge_replies(struct request *r, struct buf *out)
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
