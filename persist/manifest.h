/*
 * manifest.h - the manifest of the append-only persistence (design §6):
 * <dir>/<appenddirname>/<appendfilename>.manifest lists, for one generation,
 * the snapshot epoch, the base snapshot of every shard and the log segments
 * that follow it, in replay order.
 *
 * Text format, one entry per line (names never contain '/' or whitespace):
 *   version 1
 *   epoch <u64>
 *   shards <n>
 *   base <shard> <file>
 *   log <shard> <seq> <file>
 *
 * The file is replaced atomically (manifest_write: write a temp file, fsync,
 * rename over the old one, fsync the directory), so a crash leaves either the
 * old or the new generation, never a mix. Owned by the thread that performs
 * a rewrite or start-up; not shared.
 */
#ifndef SHARDIS_MANIFEST_H
#define SHARDIS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define MANIFEST_VERSION 1

enum manifest_entry_kind { MANIFEST_BASE = 1, MANIFEST_LOG = 2 };

struct manifest_entry {
    enum manifest_entry_kind kind;
    uint32_t shard;
    uint64_t seq; /* order of log segments of one shard; 0 for a base */
    char *file;   /* owned */
};

struct manifest {
    uint64_t epoch;
    uint32_t shards;
    struct manifest_entry *entries; /* owned */
    size_t count;
};

/* Appends an entry (file is copied). Returns 0, or -1 when the name is not a
 * plain file name or memory runs out. */
int manifest_add(struct manifest *m, enum manifest_entry_kind kind, uint32_t shard, uint64_t seq, const char *file);
void manifest_free(struct manifest *m);

/* Renders the manifest as text; caller frees. NULL on out of memory. */
char *manifest_format(const struct manifest *m, size_t *len);

/* Parses text into m (zeroed first). Returns 0, or -1 with a message naming
 * the line in err (err_size bytes). On error m is left empty. */
int manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t err_size);

/* Atomically replaces dir/name with m. Returns 0 or -errno. */
int manifest_write(const char *dir, const char *name, const struct manifest *m);

/* Reads and parses dir/name. Returns 0, -ENOENT when absent, -errno on I/O
 * errors, -EINVAL with a message in err on a malformed manifest. */
int manifest_read(const char *dir, const char *name, struct manifest *m, char *err, size_t err_size);

#endif
