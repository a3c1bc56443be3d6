/*
 * geohash.c - geohash encoding, decoding, neighbours, distances and the
 * boxes a radius or box search looks at (see geohash.h).
 *
 * Layout of a hash of step s (2*s bits): bit 2i is bit i of the latitude
 * cell, bit 2i+1 bit i of the longitude cell (a Morton code). Moving to the
 * east/west neighbour adds/subtracts 1 in the odd (longitude) bits with the
 * carry crossing the even bits; north/south the same in the even bits.
 *
 * The arithmetic is written in the order that gives Redis 7.0's results to
 * the last bit (the same double operations in the same order): scores,
 * decoded positions and distances are compared byte for byte with
 * redis-server by test/integration/test_geo.c.
 *
 * Pure functions; any thread.
 */
#include "core/ds/geohash.h"

#include <math.h>
#include <stddef.h>

#define EARTH_RADIUS_IN_METERS 6372797.560856
#define MERCATOR_MAX 20037726.37
#define DEG_TO_RAD (M_PI / 180.0)

static const char geo_alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";

/* Spreads the 32 bits of v over the even bits of a 64-bit word. */
static uint64_t spread_bits(uint32_t v)
{
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}

/* Gathers the even bits of v into 32 bits (the inverse of spread_bits). */
static uint32_t gather_bits(uint64_t v)
{
    uint64_t x = v & 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return (uint32_t)x;
}

static const struct geohash_range lon_wgs84 = {GEO_LONG_MIN, GEO_LONG_MAX};
static const struct geohash_range lat_wgs84 = {GEO_LAT_MIN, GEO_LAT_MAX};

int geohash_encode(const struct geohash_range *lon_range, const struct geohash_range *lat_range, double longitude,
                   double latitude, uint8_t step, struct geohash_bits *hash)
{
    if (!hash || step == 0 || step > 32)
        return 0;
    if (lat_range->min == 0 && lat_range->max == 0)
        return 0;
    if (lon_range->min == 0 && lon_range->max == 0)
        return 0;
    if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN)
        return 0;
    hash->bits = 0;
    hash->step = step;
    if (latitude < lat_range->min || latitude > lat_range->max || longitude < lon_range->min ||
        longitude > lon_range->max)
        return 0;
    double lat_cell = (latitude - lat_range->min) / (lat_range->max - lat_range->min);
    double lon_cell = (longitude - lon_range->min) / (lon_range->max - lon_range->min);
    lat_cell *= (double)(1ULL << step);
    lon_cell *= (double)(1ULL << step);
    hash->bits = spread_bits((uint32_t)lat_cell) | (spread_bits((uint32_t)lon_cell) << 1);
    return 1;
}

int geohash_encode_wgs84(double longitude, double latitude, uint8_t step, struct geohash_bits *hash)
{
    return geohash_encode(&lon_wgs84, &lat_wgs84, longitude, latitude, step, hash);
}

int geohash_decode(struct geohash_range lon_range, struct geohash_range lat_range, struct geohash_bits hash,
                   struct geohash_area *area)
{
    if (geohash_is_zero(hash) || !area)
        return 0;
    if ((lat_range.min == 0 && lat_range.max == 0) || (lon_range.min == 0 && lon_range.max == 0))
        return 0;
    area->hash = hash;
    uint32_t lat_cell = gather_bits(hash.bits);
    uint32_t lon_cell = gather_bits(hash.bits >> 1);
    double lat_scale = lat_range.max - lat_range.min;
    double lon_scale = lon_range.max - lon_range.min;
    double cells = (double)(1ULL << hash.step);
    area->latitude.min = lat_range.min + (lat_cell * 1.0 / cells) * lat_scale;
    area->latitude.max = lat_range.min + ((lat_cell + 1) * 1.0 / cells) * lat_scale;
    area->longitude.min = lon_range.min + (lon_cell * 1.0 / cells) * lon_scale;
    area->longitude.max = lon_range.min + ((lon_cell + 1) * 1.0 / cells) * lon_scale;
    return 1;
}

int geohash_decode_wgs84(struct geohash_bits hash, struct geohash_area *area)
{
    return geohash_decode(lon_wgs84, lat_wgs84, hash, area);
}

int geohash_decode_to_lonlat(struct geohash_bits hash, double *xy)
{
    struct geohash_area area;
    if (!xy || !geohash_decode_wgs84(hash, &area))
        return 0;
    double lon = (area.longitude.min + area.longitude.max) / 2;
    double lat = (area.latitude.min + area.latitude.max) / 2;
    xy[0] = lon > GEO_LONG_MAX ? GEO_LONG_MAX : lon < GEO_LONG_MIN ? GEO_LONG_MIN : lon;
    xy[1] = lat > GEO_LAT_MAX ? GEO_LAT_MAX : lat < GEO_LAT_MIN ? GEO_LAT_MIN : lat;
    return 1;
}

int geohash_score_to_lonlat(double score, double *xy)
{
    struct geohash_bits h = {.bits = (uint64_t)score, .step = GEO_STEP_MAX};
    return geohash_decode_to_lonlat(h, xy);
}

uint64_t geohash_align52(struct geohash_bits hash)
{
    return hash.bits << (52 - hash.step * 2);
}

/* Adds d (+1 or -1) to the cell coordinate held in the bits of `mask`
 * (odd bits: longitude, even bits: latitude), keeping the other axis. */
static void move_axis(struct geohash_bits *h, int d, uint64_t mask)
{
    if (d == 0)
        return;
    uint64_t other_mask = ~mask;
    uint64_t axis = h->bits & mask;
    uint64_t other = h->bits & other_mask;
    /* The other axis' bits set: a carry or borrow ripples across them. */
    uint64_t fill = other_mask >> (64 - h->step * 2);
    if (d > 0)
        axis = axis + (fill + 1);
    else
        axis = (axis | fill) - (fill + 1);
    axis &= mask >> (64 - h->step * 2);
    h->bits = axis | other;
}

#define LON_BITS 0xaaaaaaaaaaaaaaaaULL
#define LAT_BITS 0x5555555555555555ULL

void geohash_neighbors(const struct geohash_bits *hash, struct geohash_neighbors *n)
{
    struct geohash_bits *cells[8] = {&n->east,       &n->west,       &n->south,      &n->north,
                                     &n->north_west, &n->north_east, &n->south_east, &n->south_west};
    static const int dx[8] = {1, -1, 0, 0, -1, 1, 1, -1};
    static const int dy[8] = {0, 0, -1, 1, 1, 1, -1, -1};
    for (int i = 0; i < 8; i++) {
        *cells[i] = *hash;
        move_axis(cells[i], dx[i], LON_BITS);
        move_axis(cells[i], dy[i], LAT_BITS);
    }
}

int geohash_standard_string(double score, char *out)
{
    double xy[2];
    if (!geohash_score_to_lonlat(score, xy))
        return 0;
    struct geohash_range lon = {-180, 180}, lat = {-90, 90};
    struct geohash_bits h;
    geohash_encode(&lon, &lat, xy[0], xy[1], 26, &h);
    for (int i = 0; i < 10; i++)
        out[i] = geo_alphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
    out[10] = geo_alphabet[0]; /* 52 bits make 10.4 characters; the last is 0 */
    out[11] = '\0';
    return 1;
}

/* ---- distances ---- */

static double deg_rad(double deg)
{
    return deg * DEG_TO_RAD;
}

static double rad_deg(double rad)
{
    return rad / DEG_TO_RAD;
}

double geohash_lat_distance(double lat1, double lat2)
{
    return EARTH_RADIUS_IN_METERS * fabs(deg_rad(lat2) - deg_rad(lat1));
}

/* Haversine; when the longitudes give sin 0 the latitudes alone decide. */
double geohash_distance(double lon1, double lat1, double lon2, double lat2)
{
    double lon1r = deg_rad(lon1), lon2r = deg_rad(lon2);
    double v = sin((lon2r - lon1r) / 2);
    if (v == 0.0)
        return geohash_lat_distance(lat1, lat2);
    double lat1r = deg_rad(lat1), lat2r = deg_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * EARTH_RADIUS_IN_METERS * asin(sqrt(a));
}

/* ---- search areas ---- */

uint8_t geohash_steps_for_radius(double meters, double latitude)
{
    if (meters == 0)
        return 26;
    int step = 1;
    while (meters < MERCATOR_MAX) {
        meters *= 2;
        step++;
    }
    step -= 2; /* so the area is covered in most cases */
    /* Boxes narrow towards the poles: a coarser step there. */
    if (latitude > 66 || latitude < -66) {
        step--;
        if (latitude > 80 || latitude < -80)
            step--;
    }
    if (step < 1)
        step = 1;
    if (step > 26)
        step = 26;
    return (uint8_t)step;
}

void geohash_bounding_box(const struct geo_shape *shape, double *bounds)
{
    double lon = shape->xy[0], lat = shape->xy[1];
    double height = shape->conversion * (shape->type == GEO_CIRCLE ? shape->radius : shape->height / 2);
    double width = shape->conversion * (shape->type == GEO_CIRCLE ? shape->radius : shape->width / 2);
    double lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    double lon_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / cos(deg_rad(lat + lat_delta)));
    double lon_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / cos(deg_rad(lat - lat_delta)));
    /* The wider edge is the one nearer the equator. */
    int south = lat < 0;
    bounds[0] = south ? lon - lon_delta_bottom : lon - lon_delta_top;
    bounds[2] = south ? lon + lon_delta_bottom : lon + lon_delta_top;
    bounds[1] = lat - lat_delta;
    bounds[3] = lat + lat_delta;
}

static void zero(struct geohash_bits *h)
{
    h->bits = 0;
    h->step = 0;
}

struct geohash_search geohash_search_area(struct geo_shape *shape)
{
    struct geohash_search s;
    geohash_bounding_box(shape, shape->bounds);
    double min_lon = shape->bounds[0], min_lat = shape->bounds[1];
    double max_lon = shape->bounds[2], max_lat = shape->bounds[3];
    double lon = shape->xy[0], lat = shape->xy[1];
    /* A box is searched by the distance from its centre to a corner. */
    double radius = shape->type == GEO_CIRCLE
                        ? shape->radius
                        : sqrt((shape->width / 2) * (shape->width / 2) + (shape->height / 2) * (shape->height / 2));
    radius *= shape->conversion;
    int steps = geohash_steps_for_radius(radius, lat);
    geohash_encode_wgs84(lon, lat, (uint8_t)steps, &s.hash);
    geohash_neighbors(&s.hash, &s.neighbors);
    geohash_decode_wgs84(s.hash, &s.area);

    /* Near the edge of its box, the neighbours at this step may not reach
     * the whole area: one step coarser then. */
    struct geohash_area north, south, east, west;
    geohash_decode_wgs84(s.neighbors.north, &north);
    geohash_decode_wgs84(s.neighbors.south, &south);
    geohash_decode_wgs84(s.neighbors.east, &east);
    geohash_decode_wgs84(s.neighbors.west, &west);
    int coarser = north.latitude.max < max_lat || south.latitude.min > min_lat || east.longitude.max < max_lon ||
                  west.longitude.min > min_lon;
    if (steps > 1 && coarser) {
        steps--;
        geohash_encode_wgs84(lon, lat, (uint8_t)steps, &s.hash);
        geohash_neighbors(&s.hash, &s.neighbors);
        geohash_decode_wgs84(s.hash, &s.area);
    }

    /* Drop the neighbours on a side the area does not reach. */
    if (steps >= 2) {
        if (s.area.latitude.min < min_lat) {
            zero(&s.neighbors.south);
            zero(&s.neighbors.south_west);
            zero(&s.neighbors.south_east);
        }
        if (s.area.latitude.max > max_lat) {
            zero(&s.neighbors.north);
            zero(&s.neighbors.north_east);
            zero(&s.neighbors.north_west);
        }
        if (s.area.longitude.min < min_lon) {
            zero(&s.neighbors.west);
            zero(&s.neighbors.south_west);
            zero(&s.neighbors.north_west);
        }
        if (s.area.longitude.max > max_lon) {
            zero(&s.neighbors.east);
            zero(&s.neighbors.south_east);
            zero(&s.neighbors.north_east);
        }
    }
    return s;
}

int geohash_point_in_shape(const struct geo_shape *shape, double score, double *xy, double *distance)
{
    if (!geohash_score_to_lonlat(score, xy))
        return 0;
    if (shape->type == GEO_CIRCLE) {
        *distance = geohash_distance(shape->xy[0], shape->xy[1], xy[0], xy[1]);
        return *distance <= shape->radius * shape->conversion;
    }
    /* A box: the latitude test first, it is the cheaper one. */
    double width_m = shape->width * shape->conversion, height_m = shape->height * shape->conversion;
    if (geohash_lat_distance(xy[1], shape->xy[1]) > height_m / 2)
        return 0;
    if (geohash_distance(xy[0], xy[1], shape->xy[0], xy[1]) > width_m / 2)
        return 0;
    *distance = geohash_distance(shape->xy[0], shape->xy[1], xy[0], xy[1]);
    return 1;
}
