/*
 * cmd_pending.c - TEMPORARY weak definitions of the collection handlers and
 * hooks while their modules are being written (issue 4). Each is replaced
 * by the strong definition in its type's module; this file is deleted
 * before the issue closes.
 */
#include <stdlib.h>

#include "command.h"
#include "object.h"
#include "resp.h"







































__attribute__((weak)) void cmd_sadd(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_srem(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_smembers(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sismember(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_smismember(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_scard(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_spop(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_srandmember(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_smove(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sinter(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sintercard(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sinterstore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sunion(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sunionstore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sdiff(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sdiffstore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_sscan(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zadd(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrem(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zscore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zmscore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zincrby(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zcard(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zcount(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zlexcount(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrange(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrangebyscore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrevrangebyscore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrangebylex(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrevrangebylex(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrevrange(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrangestore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrank(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrevrank(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zpopmin(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zpopmax(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zmpop(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_bzpopmin(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_bzpopmax(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_bzmpop(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zrandmember(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zunion(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zinter(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zdiff(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zunionstore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zinterstore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zdiffstore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zintercard(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zremrangebyscore(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zremrangebyrank(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zremrangebylex(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}

__attribute__((weak)) void cmd_zscan(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR not implemented yet");
}









__attribute__((weak)) void set_value_free(struct db_entry *e)
{
    (void)e;
    abort();
}

__attribute__((weak)) void *set_value_dup(const struct db_entry *e)
{
    (void)e;
    abort();
}

__attribute__((weak)) size_t set_value_len(const struct db_entry *e)
{
    (void)e;
    return 0;
}

__attribute__((weak)) size_t set_value_mem(const struct db_entry *e)
{
    (void)e;
    return 0;
}

__attribute__((weak)) void zset_value_free(struct db_entry *e)
{
    (void)e;
    abort();
}

__attribute__((weak)) void *zset_value_dup(const struct db_entry *e)
{
    (void)e;
    abort();
}

__attribute__((weak)) size_t zset_value_len(const struct db_entry *e)
{
    (void)e;
    return 0;
}

__attribute__((weak)) size_t zset_value_mem(const struct db_entry *e)
{
    (void)e;
    return 0;
}
