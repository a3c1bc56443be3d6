/*
 * cmd_geo.c - the GEO commands (GEOADD, GEOPOS, GEODIST, GEOHASH,
 * GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO
 * forms), after Redis 7.0's geo.c: a position is a member of a sorted set
 * whose score is its 52-bit geohash (core/ds/geohash.h).
 *
 * GEOADD is ZADD with the scores computed: it runs cmd_zadd over a rewritten
 * argument vector and logs that ZADD as its effect. A search looks at the
 * geohash box around the centre and its neighbours (a score range each),
 * keeps the points inside the shape, sorts them by distance when asked and
 * replies or stores them. Replies, errors and the order of results match
 * redis-server 7.0 byte for byte (test/integration/test_geo.c compares).
 *
 * Threads: the shard owning the keys. GEOSEARCHSTORE and the STORE forms
 * of GEORADIUS with the destination on another shard run over a private db
 * holding both keys, gathered by the dispatcher (shards/multistep.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/geohash.h"
#include "core/ds/zset.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/types/t_zset.h"

#define ERR_UNIT "ERR unsupported unit provided. please use M, KM, FT, MI"
#define ERR_DECODE_MEMBER "ERR could not decode requested zset member"

/* ---------------- argument helpers ---------------- */

/* Longitude at argv[argi], latitude after it, within the GEO ranges. */
static int lonlat_or_reply(struct cmd_ctx *c, int argi, double *xy)
{
    for (int i = 0; i < 2; i++)
        if (!arg_double_or_reply(c, argi + i, &xy[i], NULL))
            return 0;
    if (xy[0] < GEO_LONG_MIN || xy[0] > GEO_LONG_MAX || xy[1] < GEO_LAT_MIN || xy[1] > GEO_LAT_MAX) {
        reply_errorf(c->out, "ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
        return 0;
    }
    return 1;
}

/* Metres per unit; -1 (error replied) for an unknown unit. */
static double unit_or_reply(struct cmd_ctx *c, int argi)
{
    const struct arg *u = &c->argv[argi];
    if (arg_is(u, "m"))
        return 1;
    if (arg_is(u, "km"))
        return 1000;
    if (arg_is(u, "ft"))
        return 0.3048;
    if (arg_is(u, "mi"))
        return 1609.34;
    reply_error(c->out, ERR_UNIT);
    return -1;
}

/* <radius> <unit> at argi. */
static int radius_or_reply(struct cmd_ctx *c, int argi, struct geo_shape *shape)
{
    double r;
    if (!arg_double_or_reply(c, argi, &r, "ERR need numeric radius"))
        return 0;
    if (r < 0) {
        reply_error(c->out, "ERR radius cannot be negative");
        return 0;
    }
    double conv = unit_or_reply(c, argi + 1);
    if (conv < 0)
        return 0;
    shape->type = GEO_CIRCLE;
    shape->radius = r;
    shape->conversion = conv;
    return 1;
}

/* <width> <height> <unit> at argi. */
static int box_or_reply(struct cmd_ctx *c, int argi, struct geo_shape *shape)
{
    double w, h;
    if (!arg_double_or_reply(c, argi, &w, "ERR need numeric width") ||
        !arg_double_or_reply(c, argi + 1, &h, "ERR need numeric height"))
        return 0;
    if (h < 0 || w < 0) {
        reply_error(c->out, "ERR height or width cannot be negative");
        return 0;
    }
    double conv = unit_or_reply(c, argi + 2);
    if (conv < 0)
        return 0;
    shape->type = GEO_BOX;
    shape->width = w;
    shape->height = h;
    shape->conversion = conv;
    return 1;
}

/* The position of a member of the set e; 0 when it is not one. */
static int member_lonlat(struct db_entry *e, const struct arg *m, double *xy)
{
    double score;
    if (!zobj_score(e, m->ptr, m->len, &score))
        return 0;
    return geohash_score_to_lonlat(score, xy);
}

static struct db_entry *geo_read(struct cmd_ctx *c, int argi, int *wrong)
{
    struct db_entry *e = lookup_read(c, argi);
    *wrong = 0;
    if (e && e->type != OBJ_ZSET) {
        reply_error(c->out, ERR_WRONGTYPE);
        *wrong = 1;
        return NULL;
    }
    return e;
}

/* ---------------- reply formats ---------------- */

/* A distance: 4 decimals, rounded as llrint does (Redis's
 * fixedpoint_d2string with 4 digits), always a bulk string. */
static void reply_distance(struct cmd_ctx *c, double d)
{
    char buf[64];
    long long v = llrint(d * 10000.0);
    int neg = v < 0;
    unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = snprintf(buf, sizeof(buf), "%s%llu.%04llu", neg ? "-" : "", u / 10000, u % 10000);
    reply_bulk(c->out, buf, (size_t)n);
}

/* A coordinate as Redis's "human" long double: %.17Lf without trailing
 * zeros; a bulk string in RESP2, a double in RESP3. */
static void reply_coordinate(struct cmd_ctx *c, double d)
{
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "%.17Lf", (long double)d);
    if (n < 0 || n >= (int)sizeof(buf))
        n = 0;
    if (memchr(buf, '.', (size_t)n)) {
        while (n > 0 && buf[n - 1] == '0')
            n--;
        if (n > 0 && buf[n - 1] == '.')
            n--;
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        n = 1;
    }
    if (c->resp >= 3) {
        buf_append(c->out, ",", 1);
        buf_append(c->out, buf, (size_t)n);
        buf_append(c->out, "\r\n", 2);
    } else {
        reply_bulk(c->out, buf, (size_t)n);
    }
}

/* ---------------- GEOADD ---------------- */

/* GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]: every
 * position is checked first, then ZADD runs with the scores. */
void cmd_geoadd(struct cmd_ctx *c)
{
    int first = 2;
    int nx = 0, xx = 0;
    for (; first < c->argc; first++) {
        const struct arg *a = &c->argv[first];
        if (arg_is(a, "nx"))
            nx = 1;
        else if (arg_is(a, "xx"))
            xx = 1;
        else if (!arg_is(a, "ch"))
            break;
    }
    if ((c->argc - first) % 3 || (xx && nx)) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    int elements = (c->argc - first) / 3;
    int argc = first + elements * 2;
    struct arg *argv = malloc(sizeof(struct arg) * (size_t)argc);
    char(*scores)[24] = malloc(24 * (size_t)(elements ? elements : 1));
    memcpy(argv, c->argv, sizeof(struct arg) * (size_t)first);
    argv[0].ptr = "zadd";
    argv[0].len = 4;
    for (int i = 0; i < elements; i++) {
        double xy[2];
        if (!lonlat_or_reply(c, first + i * 3, xy))
            goto done;
        struct geohash_bits h;
        geohash_encode_wgs84(xy[0], xy[1], GEO_STEP_MAX, &h);
        int n = snprintf(scores[i], 24, "%llu", (unsigned long long)geohash_align52(h));
        argv[first + i * 2].ptr = scores[i];
        argv[first + i * 2].len = (size_t)n;
        argv[first + i * 2 + 1] = c->argv[first + i * 3 + 2];
    }
    /* Run ZADD over the rewritten vector; its record in the log is that
     * ZADD (replayed without geohash maths). */
    const struct arg *saved_argv = c->argv;
    int saved_argc = c->argc;
    uint64_t dirty_before = c->stats ? c->stats->dirty : 0;
    uint64_t modified_before = c->modified;
    c->argv = argv;
    c->argc = argc;
    cmd_zadd(c);
    int changed = c->stats ? c->stats->dirty != dirty_before : c->modified != modified_before;
    if (changed) {
        const char **eff = malloc(sizeof(char *) * (size_t)argc);
        size_t *lens = malloc(sizeof(size_t) * (size_t)argc);
        for (int i = 0; i < argc; i++) {
            eff[i] = argv[i].ptr;
            lens[i] = argv[i].len;
        }
        eff[0] = "ZADD";
        effect_log(c, argc, eff, lens);
        free(eff);
        free(lens);
    }
    c->argv = saved_argv;
    c->argc = saved_argc;
done:
    free(scores);
    free(argv);
}

/* ---------------- GEOPOS, GEODIST, GEOHASH ---------------- */

void cmd_geopos(struct cmd_ctx *c)
{
    int wrong;
    struct db_entry *e = geo_read(c, 1, &wrong);
    if (wrong)
        return;
    reply_array(c->out, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        if (!e || !member_lonlat(e, &c->argv[j], xy)) {
            reply_null_array(c->out, c->resp);
            continue;
        }
        reply_array(c->out, 2);
        reply_coordinate(c, xy[0]);
        reply_coordinate(c, xy[1]);
    }
}

void cmd_geodist(struct cmd_ctx *c)
{
    double to_meter = 1;
    if (c->argc == 5) {
        to_meter = unit_or_reply(c, 4);
        if (to_meter < 0)
            return;
    } else if (c->argc > 5) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    int wrong;
    struct db_entry *e = geo_read(c, 1, &wrong);
    if (wrong)
        return;
    double a[2], b[2];
    if (!e || !member_lonlat(e, &c->argv[2], a) || !member_lonlat(e, &c->argv[3], b)) {
        reply_null(c->out, c->resp);
        return;
    }
    reply_distance(c, geohash_distance(a[0], a[1], b[0], b[1]) / to_meter);
}

void cmd_geohash(struct cmd_ctx *c)
{
    int wrong;
    struct db_entry *e = geo_read(c, 1, &wrong);
    if (wrong)
        return;
    reply_array(c->out, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score;
        char buf[12];
        if (!e || !zobj_score(e, c->argv[j].ptr, c->argv[j].len, &score) || !geohash_standard_string(score, buf))
            reply_null(c->out, c->resp);
        else
            reply_bulk(c->out, buf, 11);
    }
}

/* ---------------- searches ---------------- */

struct geo_point {
    double lon, lat, dist, score;
    const char *member; /* borrowed from the set, which the search does not change */
    size_t len;
    char num[24]; /* a listpack integer member, as text */
};

struct geo_points {
    struct geo_point *p;
    size_t used, cap;
};

static void points_add(struct geo_points *ga, const double *xy, double dist, double score, const char *m, size_t len)
{
    if (ga->used == ga->cap) {
        ga->cap = ga->cap ? ga->cap * 2 : 16;
        ga->p = realloc(ga->p, sizeof(*ga->p) * ga->cap);
    }
    struct geo_point *gp = &ga->p[ga->used++];
    gp->lon = xy[0];
    gp->lat = xy[1];
    gp->dist = dist;
    gp->score = score;
    gp->len = len;
    gp->member = m;
}

/* The members of e with scores in [min, max) that lie in the shape, until
 * `limit` points are held (0: no limit). */
static void points_in_range(struct db_entry *e, double min, double max, const struct geo_shape *shape,
                            struct geo_points *ga, size_t limit)
{
    struct zset_score_range r = {.min = min, .max = max, .minex = 0, .maxex = 1};
    struct zit it;
    for (zit_score_seek(&it, e, &r, 0); zit_valid(&it); zit_step(&it, 0)) {
        const char *m;
        size_t len;
        double score, xy[2], dist = 0;
        zit_get(&it, &m, &len, &score);
        if (!zset_score_lte_max(score, &r))
            break;
        if (geohash_point_in_shape(shape, score, xy, &dist)) {
            /* A listpack integer member is decoded into the iterator's
             * buffer: keep a copy in the point. */
            points_add(ga, xy, dist, score, m, len);
            struct geo_point *gp = &ga->p[ga->used - 1];
            if (m == it.buf && len < sizeof(gp->num)) {
                memcpy(gp->num, m, len);
                gp->member = NULL; /* in gp->num; fixed up by points_member */
            }
        }
        if (ga->used && limit && ga->used >= limit)
            break;
    }
}

static const char *points_member(const struct geo_point *gp)
{
    return gp->member ? gp->member : gp->num;
}

/* The box around the centre, then its neighbours (a neighbour equal to the
 * one just searched, possible with huge radii, is skipped). */
static void points_in_shape(struct db_entry *e, struct geo_shape *shape, struct geo_points *ga, size_t limit)
{
    struct geohash_search s = geohash_search_area(shape);
    struct geohash_bits boxes[9] = {s.hash,
                                    s.neighbors.north,
                                    s.neighbors.south,
                                    s.neighbors.east,
                                    s.neighbors.west,
                                    s.neighbors.north_east,
                                    s.neighbors.north_west,
                                    s.neighbors.south_east,
                                    s.neighbors.south_west};
    int last = 0;
    for (int i = 0; i < 9; i++) {
        if (geohash_is_zero(boxes[i]))
            continue;
        if (last && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step)
            continue;
        if (ga->used && limit && ga->used >= limit)
            break;
        struct geohash_bits next = boxes[i];
        double min = (double)geohash_align52(boxes[i]);
        next.bits++;
        double max = (double)geohash_align52(next);
        points_in_range(e, min, max, shape, ga, limit);
        last = i;
    }
}

static int cmp_dist_asc(const void *a, const void *b)
{
    const struct geo_point *x = a, *y = b;
    return x->dist < y->dist ? -1 : x->dist > y->dist ? 1 : 0;
}

static int cmp_dist_desc(const void *a, const void *b)
{
    return -cmp_dist_asc(a, b);
}

enum {
    GEO_FROM_COORDS = 1 << 0, /* GEORADIUS: lon lat radius unit */
    GEO_FROM_MEMBER = 1 << 1, /* GEORADIUSBYMEMBER: member radius unit */
    GEO_NO_STORE = 1 << 2,    /* the _RO forms */
    GEO_SEARCH = 1 << 3,      /* GEOSEARCH syntax */
    GEO_SEARCH_STORE = 1 << 4 /* GEOSEARCHSTORE: dst src ... [STOREDIST] */
};

enum { SORT_NONE = 0, SORT_ASC, SORT_DESC };

/* Writes the points (already sorted and cut to n) as the set at argv[dst]
 * (scores: geohash, or distance with storedist), replacing it; an empty
 * result deletes it. */
static void store_points(struct cmd_ctx *c, int dst, struct geo_points *ga, long n, int storedist, const char *event)
{
    /* The result is built before the old value goes: the points borrow
     * their members from the source, which may be the destination. */
    struct zset *acc = NULL;
    size_t maxlen = 0;
    if (n > 0) {
        acc = zset_new();
        for (long i = 0; i < n; i++) {
            const struct geo_point *gp = &ga->p[i];
            zset_set(acc, points_member(gp), gp->len, storedist ? gp->dist : gp->score);
            if (gp->len > maxlen)
                maxlen = gp->len;
        }
    }
    struct db_entry *old = lookup_write(c, dst);
    if (old)
        delete_key_arg(c, dst);
    if (n == 0) {
        if (old) {
            key_modified(c, dst);
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", dst);
        }
        return;
    }
    int encoding;
    void *value;
    zset_value_for_store(ctx_config(c), acc, maxlen, &encoding, &value);
    db_insert(c->db, entry_new_collection(arg_key_hash(c, dst), c->argv[dst].ptr, c->argv[dst].len, OBJ_ZSET, encoding,
                                          value));
    if (!old)
        notify_keyspace_event(c, NOTIFY_NEW, "new", dst);
    key_modified(c, dst);
    notify_keyspace_event(c, NOTIFY_ZSET, event, dst);
}

/* Redis's georadiusGeneric: the source key at argv[src]; options parsed in
 * Redis's order so the same error wins. */
static void geo_search_generic(struct cmd_ctx *c, int src, int flags)
{
    int wrong;
    struct db_entry *e = geo_read(c, src, &wrong);
    if (wrong)
        return;
    struct geo_shape shape = {0};
    int base;
    int store = -1, storedist = 0;
    if (flags & GEO_FROM_COORDS) {
        base = 6;
        if (!lonlat_or_reply(c, 2, shape.xy) || !radius_or_reply(c, 4, &shape))
            return;
    } else if (flags & GEO_FROM_MEMBER) {
        base = 5;
        if (e) {
            if (!member_lonlat(e, &c->argv[2], shape.xy)) {
                reply_error(c->out, ERR_DECODE_MEMBER);
                return;
            }
            if (!radius_or_reply(c, 3, &shape))
                return;
        }
    } else {
        base = (flags & GEO_SEARCH_STORE) ? 3 : 2;
        if (flags & GEO_SEARCH_STORE)
            store = 1;
    }

    int withdist = 0, withhash = 0, withcoord = 0;
    int frommember = 0, fromlonlat = 0, byradius = 0, bybox = 0;
    int sort = SORT_NONE, any = 0;
    long long count = 0;
    int remaining = c->argc - base;
    for (int i = 0; i < remaining; i++) {
        int at = base + i;
        const struct arg *a = &c->argv[at];
        if (arg_is(a, "withdist")) {
            withdist = 1;
        } else if (arg_is(a, "withhash")) {
            withhash = 1;
        } else if (arg_is(a, "withcoord")) {
            withcoord = 1;
        } else if (arg_is(a, "any")) {
            any = 1;
        } else if (arg_is(a, "asc")) {
            sort = SORT_ASC;
        } else if (arg_is(a, "desc")) {
            sort = SORT_DESC;
        } else if (arg_is(a, "count") && i + 1 < remaining) {
            if (!arg_ll_or_reply(c, at + 1, &count, NULL))
                return;
            if (count <= 0) {
                reply_error(c->out, "ERR COUNT must be > 0");
                return;
            }
            i++;
        } else if ((arg_is(a, "store") || arg_is(a, "storedist")) && i + 1 < remaining && !(flags & GEO_NO_STORE) &&
                   !(flags & GEO_SEARCH)) {
            store = at + 1;
            storedist = arg_is(a, "storedist");
            i++;
        } else if (arg_is(a, "storedist") && (flags & GEO_SEARCH) && (flags & GEO_SEARCH_STORE)) {
            storedist = 1;
        } else if (arg_is(a, "frommember") && i + 1 < remaining && (flags & GEO_SEARCH) && !fromlonlat) {
            /* Without a source the error comes after the parsing. */
            if (e && !member_lonlat(e, &c->argv[at + 1], shape.xy)) {
                reply_error(c->out, ERR_DECODE_MEMBER);
                return;
            }
            frommember = 1;
            i++;
        } else if (arg_is(a, "fromlonlat") && i + 2 < remaining && (flags & GEO_SEARCH) && !frommember) {
            if (!lonlat_or_reply(c, at + 1, shape.xy))
                return;
            fromlonlat = 1;
            i += 2;
        } else if (arg_is(a, "byradius") && i + 2 < remaining && (flags & GEO_SEARCH) && !bybox) {
            if (!radius_or_reply(c, at + 1, &shape))
                return;
            byradius = 1;
            i += 2;
        } else if (arg_is(a, "bybox") && i + 3 < remaining && (flags & GEO_SEARCH) && !byradius) {
            if (!box_or_reply(c, at + 1, &shape))
                return;
            bybox = 1;
            i += 3;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    if (store >= 0 && (withdist || withhash || withcoord)) {
        reply_errorf(c->out, "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                     (flags & GEO_SEARCH_STORE) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return;
    }
    if ((flags & GEO_SEARCH) && !(frommember || fromlonlat)) {
        reply_errorf(c->out, "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s",
                     (int)c->argv[0].len, c->argv[0].ptr);
        return;
    }
    if ((flags & GEO_SEARCH) && !(byradius || bybox)) {
        reply_errorf(c->out, "ERR exactly one of BYRADIUS and BYBOX can be specified for %.*s", (int)c->argv[0].len,
                     c->argv[0].ptr);
        return;
    }
    if (any && !count) {
        reply_error(c->out, "ERR the ANY argument requires COUNT argument");
        return;
    }
    const char *event = (flags & GEO_SEARCH) ? "geosearchstore" : "georadiusstore";
    if (!e) {
        if (store >= 0) {
            if (lookup_write(c, store)) {
                delete_key_arg(c, store);
                key_modified(c, store);
                notify_keyspace_event(c, NOTIFY_GENERIC, "del", store);
            }
            reply_integer(c->out, 0);
        } else {
            reply_array(c->out, 0);
        }
        return;
    }
    /* COUNT without an order means the nearest ones (not with ANY). */
    if (count != 0 && sort == SORT_NONE && !any)
        sort = SORT_ASC;

    struct geo_points ga = {0};
    points_in_shape(e, &shape, &ga, any ? (size_t)count : 0);
    if (ga.used == 0 && store < 0) {
        reply_array(c->out, 0);
        free(ga.p);
        return;
    }
    long total = (long)ga.used;
    long n = (count == 0 || total < count) ? total : (long)count;
    if (sort != SORT_NONE)
        qsort(ga.p, ga.used, sizeof(*ga.p), sort == SORT_ASC ? cmp_dist_asc : cmp_dist_desc);
    for (long i = 0; i < n; i++)
        ga.p[i].dist /= shape.conversion;
    if (store < 0) {
        int options = withdist + withcoord + withhash;
        reply_array(c->out, n);
        for (long i = 0; i < n; i++) {
            const struct geo_point *gp = &ga.p[i];
            if (options)
                reply_array(c->out, options + 1);
            reply_bulk(c->out, points_member(gp), gp->len);
            if (withdist)
                reply_distance(c, gp->dist);
            if (withhash)
                reply_integer(c->out, (long long)gp->score);
            if (withcoord) {
                reply_array(c->out, 2);
                reply_coordinate(c, gp->lon);
                reply_coordinate(c, gp->lat);
            }
        }
    } else {
        store_points(c, store, &ga, n, storedist, event);
        reply_integer(c->out, n);
    }
    free(ga.p);
}

void cmd_georadius(struct cmd_ctx *c)
{
    geo_search_generic(c, 1, GEO_FROM_COORDS);
}

void cmd_georadiusbymember(struct cmd_ctx *c)
{
    geo_search_generic(c, 1, GEO_FROM_MEMBER);
}

void cmd_georadius_ro(struct cmd_ctx *c)
{
    geo_search_generic(c, 1, GEO_FROM_COORDS | GEO_NO_STORE);
}

void cmd_georadiusbymember_ro(struct cmd_ctx *c)
{
    geo_search_generic(c, 1, GEO_FROM_MEMBER | GEO_NO_STORE);
}

void cmd_geosearch(struct cmd_ctx *c)
{
    geo_search_generic(c, 1, GEO_SEARCH);
}

void cmd_geosearchstore(struct cmd_ctx *c)
{
    geo_search_generic(c, 2, GEO_SEARCH | GEO_SEARCH_STORE);
}

/* Where GEORADIUS / GEORADIUSBYMEMBER keep their keys: the source, then
 * the key after every STORE and STOREDIST (as Redis 7.0's key specs find
 * them; the handler writes the last one). */
int geo_radius_keys(int argc, const struct arg *argv, int *idx, int max)
{
    if (max < 1 || argc < 2)
        return 0;
    int n = 0;
    idx[n++] = 1;
    int first = arg_is(&argv[0], "georadius") ? 6 : 5;
    for (int i = first; i + 1 < argc && n < max; i++) {
        if (arg_is(&argv[i], "store") || arg_is(&argv[i], "storedist")) {
            idx[n++] = i + 1;
            i++;
        }
    }
    return n;
}
