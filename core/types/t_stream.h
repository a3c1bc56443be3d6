/*
 * t_stream.h - the stream value (TYPE stream): entries with 128-bit ids in
 * listpack nodes, and its consumer groups with their consumers and pending
 * entries lists (PEL).
 *
 * Encoding (OBJECT ENCODING "stream"): an ordered index (core/ds/idmap.h)
 * from each node's master id to a listpack node. A node holds up to
 * stream-node-max-entries entries and about stream-node-max-bytes bytes;
 * its first entries are the master entry: <count> <deleted> <nfields>
 * <field>... <0>, the fields of the node's first entry. Each entry follows:
 *   <flags> <ms-delta> <seq-delta> [<nfields> <field> <value>...] | <value>...
 *   <lp-count>
 * deltas are against the master id, so ids cost one or two bytes; an entry
 * whose fields are the master's (flag SAMEFIELDS) stores only its values;
 * lp-count (the number of listpack elements of the entry before it) lets a
 * reverse walk step back over an entry. A deleted entry keeps its bytes and
 * has flag DELETED (XDEL, exact trimming) until its whole node empties. This
 * is the idea of Redis's stream listpacks, so an entry costs the same bytes.
 *
 * Ownership: a struct stream belongs to the db_entry that holds it (v.ptr)
 * and to the shard thread owning that entry. Iterators borrow the stream and
 * are invalidated by any change to it.
 */
#ifndef SHARDIS_T_STREAM_H
#define SHARDIS_T_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/resp.h"
#include "core/ds/idmap.h"
#include "core/ds/listpack.h"

struct stream_id {
    uint64_t ms, seq;
};

static inline int stream_id_cmp(struct stream_id a, struct stream_id b)
{
    return idmap_cmp(a.ms, a.seq, b.ms, b.seq);
}
static inline int stream_id_is_zero(struct stream_id a)
{
    return a.ms == 0 && a.seq == 0;
}

/* A PEL entry: shared by the group's PEL and its consumer's PEL. */
struct stream_nack {
    int64_t delivery_time; /* unix ms of the last delivery */
    uint64_t delivery_count;
    struct stream_consumer *consumer;
};

struct stream_consumer {
    char *name;
    size_t name_len;
    int64_t seen_time;
    struct idmap pel; /* id -> struct stream_nack (owned by the group's pel) */
};

#define STREAM_ENTRIES_READ_INVALID (-1LL)

struct stream_cg {
    char *name;
    size_t name_len;
    struct stream_id last_id;
    long long entries_read;             /* STREAM_ENTRIES_READ_INVALID when unknown */
    struct idmap pel;                   /* id -> struct stream_nack (owner) */
    struct stream_consumer **consumers; /* sorted by name (memcmp, then length) */
    size_t nconsumers, consumers_cap;
};

struct stream {
    struct idmap nodes; /* master id -> listpack node */
    uint64_t length;
    struct stream_id last_id;
    struct stream_id first_id;
    struct stream_id max_deleted_id;
    uint64_t entries_added;
    struct stream_cg **groups; /* sorted by name */
    size_t ngroups, groups_cap;
};

struct stream *stream_new(void);
void stream_free(struct stream *s);
struct stream *stream_dup(const struct stream *s);
size_t stream_mem(const struct stream *s);

/* ---- ids ---- */
/* Parses "ms-seq", "ms" (seq = missing_seq) as Redis's streamParseID: the
 * strict form (strict: "-" and "+" refused). With seq_given NULL "ms-*" is
 * refused; else *seq_given is 0 for "ms-*" and 1 otherwise. 1 on success. */
int stream_id_parse(const char *s, size_t len, uint64_t missing_seq, int strict, int *seq_given, struct stream_id *id);
/* Formats "ms-seq" into buf (at least 42 bytes); returns the length. */
size_t stream_id_format(struct stream_id id, char *buf);
/* id + 1 / id - 1; 0 when it overflows (id is the largest/smallest). */
int stream_id_incr(struct stream_id *id);
int stream_id_decr(struct stream_id *id);

/* ---- entries ---- */
/* Appends an entry with id (greater than s->last_id: the caller checks),
 * fields and values alternating in fv (nfv items, even), starting a new
 * node when the last one reached max_bytes or max_entries (0: no limit). */
void stream_append(struct stream *s, struct stream_id id, const struct arg *fv, int nfv, size_t max_bytes,
                   long long max_entries);
/* Marks the entry id deleted (freeing its node when it empties); 1 when it
 * existed. Updates length; first_id/max_deleted_id are the caller's. */
int stream_delete(struct stream *s, struct stream_id id);
/* Trims: MAXLEN (by_minid 0: keep maxlen entries) or MINID (drop entries
 * below minid); approx only drops whole nodes; limit > 0 bounds the entries
 * removed (whole nodes only). Returns the number removed. */
long long stream_trim(struct stream *s, int by_minid, long long maxlen, struct stream_id minid, int approx,
                      long long limit);
/* Recomputes s->first_id from the first live entry (0-0 when empty). */
void stream_update_first_id(struct stream *s);
/* 1 when the entry id exists (not deleted). */
int stream_entry_exists(struct stream *s, struct stream_id id);

/* Iterates live entries with start <= id <= end, ascending or descending. */
struct stream_iter {
    struct stream *s;
    struct stream_id start, end;
    int rev;
    long node; /* index in s->nodes of the current node; -1 / size: done */
    unsigned char *lp;
    unsigned char *p; /* next entry to read (flags when forward, lp-count when reverse) */
    unsigned char *first_entry;
    struct stream_id master;
    long long master_nfields;
    unsigned char *master_fields; /* first master field */
    /* the entry last returned */
    int samefields;
    long long nfields;
    unsigned char *fields;  /* its first field (not samefields) or value (samefields) */
    unsigned char *fp, *vp; /* field walkers */
};
void stream_iter_start(struct stream_iter *it, struct stream *s, struct stream_id start, struct stream_id end, int rev);
/* The next entry: 1 with *id and *nfields set, 0 at the end. */
int stream_iter_next(struct stream_iter *it, struct stream_id *id, long long *nfields);
/* The entry's fields in order, after stream_iter_next: field and value of
 * the next pair (lp_get_str-able pointers into the listpack). */
void stream_iter_field(struct stream_iter *it, unsigned char **field, unsigned char **value);

/* ---- loading (snapshots: untrusted bytes) ----
 * Checks that lp (already lp_validate'd) is a well-formed node whose master
 * id is `master`: every element of the right kind, entry ids ascending and
 * greater than *after (updated to the node's last id), counters matching
 * the flags. *live is its live count (0 is possible: Redis can leave a node
 * whose entries are all deleted; callers drop or refuse it). 1 when valid. */
int stream_node_validate(unsigned char *lp, struct stream_id master, struct stream_id *after, long long *live);
/* Appends a validated node (the stream takes lp); the caller fixes length
 * and the id fields afterwards. */
void stream_load_node(struct stream *s, struct stream_id master, unsigned char *lp);

/* ---- groups ---- */
struct stream_cg *stream_group_find(const struct stream *s, const char *name, size_t len);
/* NULL when a group of that name exists. */
struct stream_cg *stream_group_create(struct stream *s, const char *name, size_t len, struct stream_id last_id,
                                      long long entries_read);
/* Removes and frees the group; 1 when it existed. */
int stream_group_destroy(struct stream *s, const char *name, size_t len);
struct stream_consumer *stream_consumer_find(const struct stream_cg *g, const char *name, size_t len);
/* Creates the consumer (seen_time now); *created 1 when new. */
struct stream_consumer *stream_consumer_get(struct stream_cg *g, const char *name, size_t len, int64_t now,
                                            int *created);
/* Deletes the consumer and its pending entries (from the group's PEL too);
 * returns how many were pending. */
size_t stream_consumer_delete(struct stream_cg *g, const char *name, size_t len);
/* Delivers id to consumer c (a new PEL entry, or an existing one moved to c
 * with its count incremented when inc_count). */
struct stream_nack *stream_pel_assign(struct stream_cg *g, struct stream_consumer *c, struct stream_id id, int64_t now,
                                      int inc_count);
/* Acknowledges id; 1 when it was pending. */
int stream_pel_ack(struct stream_cg *g, struct stream_id id);
/* The lag estimate of Redis 7.0 (XINFO): -1 when unknown. */
long long stream_group_lag(const struct stream *s, const struct stream_cg *g);
/* Entries-read estimate for a group at id (SETID/CREATE/XREADGROUP): -1
 * when it cannot be known. */
long long stream_estimate_distance(const struct stream *s, struct stream_id id);
/* True when id lies between the first entry and the last (7.0's
 * streamRangeHasTombstones-based check for entries_read). */
int stream_range_has_tombstones(const struct stream *s, struct stream_id start, struct stream_id end);

#endif
