/*
 * cron.h - a shard's periodic work (shards/cron.c), run by its own thread.
 */
#ifndef SHARDIS_CRON_H
#define SHARDIS_CRON_H

struct shard;

/* Runs once per 1/hz seconds from the shard's loop. */
void shard_cron(struct shard *s);

#endif
