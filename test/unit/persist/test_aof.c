/*
 * test_aof.c - unit tests for persist/aof.c: record round trip (binary and
 * empty arguments), checksum detection of every flipped byte, truncation at
 * every cut point, segment header checks, and transaction grouping: a
 * multi-shard transaction counts as complete only when every participant's
 * part is present.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "persist/aof.h"

static size_t encode(uint8_t *out, uint64_t txn, uint16_t parts, uint8_t type, uint32_t argc, const char **argv)
{
    uint32_t lens[16];
    for (uint32_t i = 0; i < argc; i++)
        lens[i] = (uint32_t)strlen(argv[i]);
    cr_assert_leq(aof_record_size(argc, lens), 4096);
    size_t n = aof_encode_record(out, type, 3, txn, parts, argc, argv, lens);
    cr_assert_eq(n, aof_record_size(argc, lens));
    return n;
}

Test(aof, record_round_trip)
{
    uint8_t buf[4096];
    const char *bin = "a\0b\r\n";
    const char *argv[] = {"SET", "key", bin, ""};
    uint32_t lens[] = {3, 3, 5, 0};
    size_t n = aof_encode_record(buf, AOF_REC_COMMAND, 7, 42, 2, 4, argv, lens);
    struct aof_record rec;
    cr_assert_eq(aof_decode_record(buf, n, &rec), AOF_OK);
    cr_assert_eq(rec.type, AOF_REC_COMMAND);
    cr_assert_eq(rec.db, 7);
    cr_assert_eq(rec.txn_id, 42);
    cr_assert_eq(rec.participants, 2);
    cr_assert_eq(rec.argc, 4);
    cr_assert_eq(rec.size, n);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(rec.argv_len[i], lens[i]);
        cr_assert_eq(memcmp(rec.argv[i], argv[i], lens[i]), 0);
    }
    aof_record_free(&rec);
    cr_assert_eq(aof_decode_record(buf, 0, &rec), AOF_END);
}

Test(aof, every_flipped_byte_is_detected)
{
    uint8_t buf[4096];
    const char *argv[] = {"PEXPIREAT", "k", "1700000000000"};
    size_t n = encode(buf, 0, 0, AOF_REC_COMMAND, 3, argv);
    for (size_t i = 0; i < n; i++) {
        buf[i] ^= 0x41;
        struct aof_record rec;
        enum aof_status st = aof_decode_record(buf, n, &rec);
        /* A flipped length byte may make the record look longer than the
         * buffer (truncated); anything else is a checksum/structure error. */
        cr_assert(st == AOF_CORRUPT || (st == AOF_TRUNCATED && i < 4), "byte %zu: status %d", i, st);
        buf[i] ^= 0x41;
    }
}

Test(aof, every_cut_is_truncated)
{
    uint8_t buf[4096];
    const char *argv[] = {"SET", "key", "value"};
    size_t n = encode(buf, 0, 0, AOF_REC_COMMAND, 3, argv);
    for (size_t cut = 1; cut < n; cut++) {
        struct aof_record rec;
        cr_assert_eq(aof_decode_record(buf, cut, &rec), AOF_TRUNCATED, "cut %zu", cut);
    }
}

struct visit_count {
    int records;
};

static void count_visit(const struct aof_record *rec, void *arg)
{
    (void)rec;
    ((struct visit_count *)arg)->records++;
}

Test(aof, scan_segment_reports_offsets)
{
    uint8_t buf[8192];
    aof_encode_segment_header(buf, 5);
    size_t len = AOF_SEGMENT_HEADER_SIZE;
    const char *a[] = {"SET", "a", "1"};
    const char *b[] = {"DEL", "a"};
    len += encode(buf + len, 0, 0, AOF_REC_COMMAND, 3, a);
    size_t second = len;
    len += encode(buf + len, 0, 0, AOF_REC_COMMAND, 2, b);

    struct visit_count count = {0};
    size_t offset;
    cr_assert_eq(aof_scan_segment(buf, len, count_visit, &count, &offset), AOF_END);
    cr_assert_eq(count.records, 2);
    cr_assert_eq(offset, len);

    count.records = 0;
    cr_assert_eq(aof_scan_segment(buf, len - 3, count_visit, &count, &offset), AOF_TRUNCATED);
    cr_assert_eq(count.records, 1);
    cr_assert_eq(offset, second);

    buf[second + AOF_RECORD_HEADER_SIZE + 2] ^= 1;
    cr_assert_eq(aof_scan_segment(buf, len, NULL, NULL, &offset), AOF_CORRUPT);
    cr_assert_eq(offset, second);

    uint32_t shard;
    cr_assert_eq(aof_decode_segment_header(buf, len, &shard), AOF_OK);
    cr_assert_eq(shard, 5);
    buf[0] = 'X';
    cr_assert_eq(aof_decode_segment_header(buf, len, &shard), AOF_CORRUPT);
    cr_assert_eq(aof_decode_segment_header(buf, 10, &shard), AOF_TRUNCATED);
}

Test(aof, transaction_grouping)
{
    uint8_t buf[4096];
    struct aof_txn_table *t = aof_txn_table_new();
    cr_assert_not_null(t);
    const char *set[] = {"SET", "x", "1"};
    const char *end[] = {"TXNEND"};
    struct aof_record rec;

    /* txn 9 has two participants: shard A's part ends, shard B's was cut. */
    size_t n = encode(buf, 9, 2, AOF_REC_COMMAND, 3, set);
    cr_assert_eq(aof_decode_record(buf, n, &rec), AOF_OK);
    aof_txn_table_note(t, &rec);
    aof_record_free(&rec);
    n = encode(buf, 9, 2, AOF_REC_TXN_END, 1, end);
    cr_assert_eq(aof_decode_record(buf, n, &rec), AOF_OK);
    aof_txn_table_note(t, &rec);
    aof_record_free(&rec);
    cr_assert_not(aof_txn_complete(t, 9));

    /* The second participant's end arrives: now complete. */
    cr_assert_eq(aof_decode_record(buf, n, &rec), AOF_OK);
    aof_txn_table_note(t, &rec);
    aof_record_free(&rec);
    cr_assert(aof_txn_complete(t, 9));
    cr_assert(aof_txn_complete(t, 0));
    cr_assert_not(aof_txn_complete(t, 10));

    /* Many transactions force the table to grow and keep every count. */
    for (uint64_t id = 100; id < 1100; id++) {
        n = encode(buf, id, 1, AOF_REC_TXN_END, 1, end);
        cr_assert_eq(aof_decode_record(buf, n, &rec), AOF_OK);
        aof_txn_table_note(t, &rec);
        aof_record_free(&rec);
    }
    for (uint64_t id = 100; id < 1100; id++)
        cr_assert(aof_txn_complete(t, id));
    cr_assert(aof_txn_complete(t, 9));
    aof_txn_table_free(t);
}

/* Segments are zero-filled ahead of the writes: the zeros are the end, a
 * record torn inside the zeros is truncation, a damaged record before them
 * is still corruption. */
Test(aof, zero_filled_segment_tail)
{
    uint8_t buf[8192];
    memset(buf, 0, sizeof(buf));
    aof_encode_segment_header(buf, 1);
    size_t len = AOF_SEGMENT_HEADER_SIZE;
    const char *a[] = {"SET", "a", "1"};
    const char *b[] = {"SET", "bb", "22"};
    len += encode(buf + len, 0, 0, AOF_REC_COMMAND, 3, a);
    size_t second = len;
    size_t n2 = encode(buf + len, 0, 0, AOF_REC_COMMAND, 3, b);
    len += n2;

    struct visit_count count = {0};
    size_t offset;
    cr_assert_eq(aof_scan_segment(buf, sizeof(buf), count_visit, &count, &offset), AOF_END);
    cr_assert_eq(count.records, 2);
    cr_assert_eq(offset, len, "the valid part ends where the zeros start");

    /* Only the first bytes of the second record reached the disk. */
    uint8_t torn[8192];
    memcpy(torn, buf, sizeof(buf));
    memset(torn + second + 10, 0, n2 - 10);
    count.records = 0;
    cr_assert_eq(aof_scan_segment(torn, sizeof(torn), count_visit, &count, &offset), AOF_TRUNCATED);
    cr_assert_eq(count.records, 1);
    cr_assert_eq(offset, second);

    /* A flipped byte of a complete record is corruption, zeros after or not. */
    buf[second + AOF_RECORD_HEADER_SIZE + 1] ^= 0x20;
    cr_assert_eq(aof_scan_segment(buf, sizeof(buf), NULL, NULL, &offset), AOF_CORRUPT);
    cr_assert_eq(offset, second);
}
