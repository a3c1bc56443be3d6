/*
 * geohash.h - the geohash maths behind the GEO commands: a point (longitude,
 * latitude) becomes a 52-bit integer (26 bits per axis, interleaved,
 * longitude in the odd bits, latitude in the even ones) that a sorted set
 * keeps as the member's score; a box of a given step is every score sharing
 * its 2*step high bits, and a search looks at a box and its 8 neighbours.
 *
 * Compatibility: the latitude range is Redis's (+-85.05112878, the Web
 * Mercator limits), so the scores, the decoded positions, the boxes searched
 * and the distances are those of Redis 7.0 bit for bit; GEOHASH re-encodes a
 * decoded point over the standard +-90 range (geohash_standard_string).
 *
 * Pure functions, no state; any thread.
 */
#ifndef SHARDIS_GEOHASH_H
#define SHARDIS_GEOHASH_H

#include <stdint.h>

#define GEO_STEP_MAX 26 /* bits per axis: 52-bit scores */
#define GEO_LAT_MIN -85.05112878
#define GEO_LAT_MAX 85.05112878
#define GEO_LONG_MIN -180.0
#define GEO_LONG_MAX 180.0

struct geohash_bits {
    uint64_t bits;
    uint8_t step; /* bits per axis; 0 with bits 0 is "no box" */
};

struct geohash_range {
    double min, max;
};

struct geohash_area {
    struct geohash_bits hash;
    struct geohash_range longitude, latitude;
};

struct geohash_neighbors {
    struct geohash_bits north, east, west, south, north_east, south_east, north_west, south_west;
};

static inline int geohash_is_zero(struct geohash_bits h)
{
    return h.bits == 0 && h.step == 0;
}

/* Encodes (longitude, latitude) at `step` bits per axis over the ranges
 * given; 0 when the point is outside them or the step is not 1..32. */
int geohash_encode(const struct geohash_range *lon_range, const struct geohash_range *lat_range, double longitude,
                   double latitude, uint8_t step, struct geohash_bits *hash);
/* The same over the GEO ranges (+-180, +-85.05112878). */
int geohash_encode_wgs84(double longitude, double latitude, uint8_t step, struct geohash_bits *hash);
/* The box a hash names; 0 for a zero hash. */
int geohash_decode(struct geohash_range lon_range, struct geohash_range lat_range, struct geohash_bits hash,
                   struct geohash_area *area);
int geohash_decode_wgs84(struct geohash_bits hash, struct geohash_area *area);
/* The centre of a GEO box, clamped to the GEO ranges: xy[0] longitude,
 * xy[1] latitude. 0 for a zero hash. */
int geohash_decode_to_lonlat(struct geohash_bits hash, double *xy);
/* The position a sorted-set score stands for (26-bit steps). */
int geohash_score_to_lonlat(double score, double *xy);
/* The 52-bit score of a hash (its bits moved to the top of 52). */
uint64_t geohash_align52(struct geohash_bits hash);
/* The 8 boxes around a hash, at its step. */
void geohash_neighbors(const struct geohash_bits *hash, struct geohash_neighbors *n);
/* GEOHASH's 11-character string of the point at score `score` (standard
 * +-90 latitude range, the 11th character always '0'); 0 when it cannot be
 * decoded. out has room for 12 bytes. */
int geohash_standard_string(double score, char *out);

/* ---- distances (metres, on a sphere of Earth's quadratic mean radius) ---- */

double geohash_distance(double lon1, double lat1, double lon2, double lat2);
double geohash_lat_distance(double lat1, double lat2);

/* ---- searching an area ---- */

enum geo_shape_type { GEO_CIRCLE = 0, GEO_BOX = 1 };

struct geo_shape {
    enum geo_shape_type type;
    double xy[2];         /* centre: longitude, latitude */
    double conversion;    /* metres per unit of the request */
    double radius;        /* GEO_CIRCLE, in units */
    double width, height; /* GEO_BOX, in units */
    double bounds[4];     /* min lon, min lat, max lon, max lat (set by geohash_search_area) */
};

/* The box to search and its neighbours (those that cannot hold a point of
 * the shape are zero). */
struct geohash_search {
    struct geohash_bits hash;
    struct geohash_area area;
    struct geohash_neighbors neighbors;
};

/* The step whose boxes are about `meters` wide at that latitude. */
uint8_t geohash_steps_for_radius(double meters, double latitude);
/* The bounding box of the shape (lon/lat degrees) into bounds[4]. */
void geohash_bounding_box(const struct geo_shape *shape, double *bounds);
/* The boxes covering the shape; fills shape->bounds. */
struct geohash_search geohash_search_area(struct geo_shape *shape);
/* Is the point at score inside the shape? 1 with xy (its position) and
 * *distance (metres from the centre) set, else 0. */
int geohash_point_in_shape(const struct geo_shape *shape, double score, double *xy, double *distance);

#endif
