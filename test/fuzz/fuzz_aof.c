/*
 * fuzz_aof.c - libFuzzer target for the log reader (persist/aof.c): any byte
 * string is scanned as a segment and as a bare record; the reader must end in
 * a status without reading outside the buffer, and every record it accepts
 * must have argument slices inside the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "persist/aof.h"

static void check_record(const struct aof_record *rec, void *arg)
{
    const uint8_t *const *bounds = arg;
    for (uint32_t i = 0; i < rec->argc; i++) {
        const uint8_t *p = (const uint8_t *)rec->argv[i];
        if (p < bounds[0] || p + rec->argv_len[i] > bounds[1])
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *bounds[2] = {data, data + size};
    size_t offset;
    aof_scan_segment(data, size, check_record, bounds, &offset);
    if (offset > size)
        __builtin_trap();
    struct aof_record rec;
    if (aof_decode_record(data, size, &rec) == AOF_OK) {
        check_record(&rec, bounds);
        if (rec.size > size)
            __builtin_trap();
        aof_record_free(&rec);
    }
    return 0;
}
