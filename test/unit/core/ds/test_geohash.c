/*
 * test_geohash.c - unit tests for core/ds/geohash.c: encode/decode round
 * trips at every step (the decoded box holds the point, its centre encodes
 * back to the same hash), Redis's 52-bit scores and GEOHASH strings for
 * known places, neighbours (moving east then west is the identity, across
 * the antimeridian too), distances, the search steps, and the boxes a
 * search covers holding every point of the shape.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/ds/geohash.h"

static unsigned long long state = 42;
static double rnd(double lo, double hi)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(state >> 11) / (double)(1ULL << 53);
}

Test(geohash, round_trip_at_every_step)
{
    for (int i = 0; i < 20000; i++) {
        double lon = rnd(GEO_LONG_MIN, GEO_LONG_MAX), lat = rnd(GEO_LAT_MIN, GEO_LAT_MAX);
        uint8_t step = (uint8_t)(1 + i % GEO_STEP_MAX);
        struct geohash_bits h;
        cr_assert(geohash_encode_wgs84(lon, lat, step, &h));
        cr_assert_eq(h.step, step);
        cr_assert_lt(h.bits, 1ULL << (2 * step));
        struct geohash_area a;
        cr_assert(geohash_decode_wgs84(h, &a));
        cr_assert(a.longitude.min <= lon && lon <= a.longitude.max, "lon %f not in [%f, %f]", lon, a.longitude.min,
                  a.longitude.max);
        cr_assert(a.latitude.min <= lat && lat <= a.latitude.max);
        double xy[2];
        cr_assert(geohash_decode_to_lonlat(h, xy));
        struct geohash_bits back;
        cr_assert(geohash_encode_wgs84(xy[0], xy[1], step, &back));
        cr_assert_eq(back.bits, h.bits, "step %d: centre of the box encodes elsewhere", step);
    }
}

Test(geohash, full_precision_position_error_is_tiny)
{
    for (int i = 0; i < 5000; i++) {
        double lon = rnd(-180, 180), lat = rnd(-85, 85);
        struct geohash_bits h;
        geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &h);
        double xy[2];
        cr_assert(geohash_score_to_lonlat((double)geohash_align52(h), xy));
        cr_assert_lt(fabs(xy[0] - lon), 360.0 / (1 << 26));
        cr_assert_lt(fabs(xy[1] - lat), 171.0 / (1 << 26));
        cr_assert_lt(geohash_distance(lon, lat, xy[0], xy[1]), 1.0); /* under a metre */
    }
}

/* Scores and strings redis-server 7.0.15 gives for GEOADD / GEOHASH. */
Test(geohash, redis_scores_and_strings)
{
    struct {
        double lon, lat;
        uint64_t score;
        const char *hash;
    } known[] = {
        {13.361389, 38.115556, 3479099956230698ULL, "sqc8b49rny0"},
        {15.087269, 37.502669, 3479447370796909ULL, "sqdtr74hyu0"},
        {0, 0, 3377699720527872ULL, "s0000000000"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        struct geohash_bits h;
        cr_assert(geohash_encode_wgs84(known[i].lon, known[i].lat, GEO_STEP_MAX, &h));
        cr_assert_eq(geohash_align52(h), known[i].score, "%zu: %llu", i, (unsigned long long)geohash_align52(h));
        char s[12];
        cr_assert(geohash_standard_string((double)known[i].score, s));
        cr_assert_str_eq(s, known[i].hash);
    }
    struct geohash_bits h;
    cr_assert_not(geohash_encode_wgs84(181, 0, 26, &h));
    cr_assert_not(geohash_encode_wgs84(0, 86, 26, &h));
    cr_assert_not(geohash_encode_wgs84(0, 0, 0, &h));
}

Test(geohash, neighbours_are_adjacent_and_reversible)
{
    for (int i = 0; i < 5000; i++) {
        uint8_t step = (uint8_t)(2 + i % 25);
        struct geohash_bits h;
        geohash_encode_wgs84(rnd(-180, 180), rnd(-85, 85), step, &h);
        struct geohash_neighbors n, back;
        geohash_neighbors(&h, &n);
        geohash_neighbors(&n.east, &back);
        cr_assert_eq(back.west.bits, h.bits);
        geohash_neighbors(&n.north_west, &back);
        cr_assert_eq(back.south_east.bits, h.bits);
        struct geohash_area a, e, no;
        geohash_decode_wgs84(h, &a);
        geohash_decode_wgs84(n.east, &e);
        geohash_decode_wgs84(n.north, &no);
        if (a.longitude.max < 180) /* the east edge is the west edge of the next box */
            cr_assert_float_eq(e.longitude.min, a.longitude.max, 1e-9);
        if (a.latitude.max < GEO_LAT_MAX)
            cr_assert_float_eq(no.latitude.min, a.latitude.max, 1e-9);
        cr_assert_float_eq(e.latitude.min, a.latitude.min, 1e-9);
    }
    /* the east neighbour of the last column wraps to the first */
    struct geohash_bits h;
    geohash_encode_wgs84(179.99, 10, 10, &h);
    struct geohash_neighbors n;
    geohash_neighbors(&h, &n);
    struct geohash_area e;
    geohash_decode_wgs84(n.east, &e);
    cr_assert_float_eq(e.longitude.min, -180.0, 1e-9);
}

Test(geohash, distances)
{
    /* Palermo - Catania: redis-server's GEODIST says 166274.1516 m */
    double d = geohash_distance(13.36138933897018433, 38.11555639549629859, 15.08726745843887329, 37.50266842333162032);
    char buf[32];
    snprintf(buf, sizeof(buf), "%.4f", d);
    cr_assert_str_eq(buf, "166274.1516");
    cr_assert_float_eq(geohash_distance(10, 20, 10, 20), 0.0, 1e-12);
    /* a degree of latitude on the sphere of radius 6372797.560856 m */
    cr_assert_float_eq(geohash_lat_distance(0, 1), 6372797.560856 * M_PI / 180, 1e-6);
    cr_assert_float_eq(geohash_distance(0, 0, 180, 0), 6372797.560856 * M_PI, 1e-3);
    cr_assert_float_eq(geohash_distance(1, 2, 3, 4), geohash_distance(3, 4, 1, 2), 1e-9);
}

Test(geohash, steps_for_radius)
{
    cr_assert_eq(geohash_steps_for_radius(0, 0), 26);
    cr_assert_eq(geohash_steps_for_radius(1, 0), 24);
    cr_assert_eq(geohash_steps_for_radius(1000, 0), 14);
    cr_assert_eq(geohash_steps_for_radius(1000, 70), 13); /* coarser near the poles */
    cr_assert_eq(geohash_steps_for_radius(1000, 85), 12);
    cr_assert_eq(geohash_steps_for_radius(5e7, 0), 1);
}

/* Every point within the radius lies in the searched box or a neighbour
 * kept by geohash_search_area. Centres within 60 degrees of the equator:
 * nearer the poles Redis's boxes (which these are, bit for bit) can miss
 * points of a wide shape (redis-server 7.0.15 too: GEOSEARCH from
 * -15.443817,79.679652 BYRADIUS 1159.54 km misses 0.393751,73.039767),
 * and shardis answers as Redis does. */
Test(geohash, search_area_covers_the_circle)
{
    for (int q = 0; q < 300; q++) {
        struct geo_shape shape = {.type = q % 2 ? GEO_CIRCLE : GEO_BOX, .conversion = 1000};
        shape.xy[0] = rnd(-179, 179);
        shape.xy[1] = rnd(-60, 60);
        shape.radius = rnd(1, 2000);
        shape.width = rnd(1, 3000);
        shape.height = rnd(1, 3000);
        struct geohash_search s = geohash_search_area(&shape);
        struct geohash_bits boxes[9] = {s.hash,
                                        s.neighbors.north,
                                        s.neighbors.south,
                                        s.neighbors.east,
                                        s.neighbors.west,
                                        s.neighbors.north_east,
                                        s.neighbors.north_west,
                                        s.neighbors.south_east,
                                        s.neighbors.south_west};
        for (int p = 0; p < 200; p++) {
            double lon = shape.xy[0] + rnd(-25, 25), lat = shape.xy[1] + rnd(-20, 20);
            if (lon < -180 || lon > 180 || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX)
                continue;
            struct geohash_bits h;
            geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &h);
            double xy[2], dist;
            if (!geohash_point_in_shape(&shape, (double)geohash_align52(h), xy, &dist))
                continue;
            uint64_t score = geohash_align52(h);
            int found = 0;
            for (int b = 0; b < 9 && !found; b++) {
                if (geohash_is_zero(boxes[b]))
                    continue;
                struct geohash_bits next = boxes[b];
                next.bits++;
                found = score >= geohash_align52(boxes[b]) && score < geohash_align52(next);
            }
            cr_assert(found, "query %d (%s %f,%f r %f w %f h %f): point %f,%f inside the shape but in no searched box",
                      q, shape.type == GEO_CIRCLE ? "circle" : "box", shape.xy[0], shape.xy[1], shape.radius,
                      shape.width, shape.height, lon, lat);
        }
    }
}
