/*
 * test_cli_reply.c - shardis-cli's reply framing/parsing, output formats and
 * command-line splitting: every RESP2/RESP3 type, replies fed byte by byte
 * to the incremental scanner, malformed and random input (an error or "need
 * more", never a crash), redis-cli's nested indentation.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cli_conn.h"
#include "cli_format.h"

static struct creply *parse_all(const char *s)
{
    size_t used = 0;
    struct creply *r = NULL;
    cr_assert_eq(creply_parse(s, strlen(s), &used, &r), 1, "parse %s", s);
    cr_assert_eq(used, strlen(s));
    return r;
}

static char *fmt(const char *resp, enum output_mode mode)
{
    struct creply *r = parse_all(resp);
    struct buf out = {0};
    format_reply(&out, r, mode);
    buf_append(&out, "", 1);
    char *s = strdup(out.data);
    buf_free(&out);
    creply_free(r);
    return s;
}

static void expect_fmt(const char *resp, enum output_mode mode, const char *want)
{
    char *got = fmt(resp, mode);
    cr_assert_str_eq(got, want, "format of %s", resp);
    free(got);
}

Test(cli_reply, every_type)
{
    expect_fmt("+OK\r\n", OUT_STANDARD, "OK\n");
    expect_fmt("-ERR bad\r\n", OUT_STANDARD, "(error) ERR bad\n");
    expect_fmt("!9\r\nERR bulky\r\n", OUT_STANDARD, "(error) ERR bulky\n");
    expect_fmt(":-42\r\n", OUT_STANDARD, "(integer) -42\n");
    expect_fmt("$5\r\na\r\nb\"\r\n", OUT_STANDARD, "\"a\\r\\nb\\\"\"\n");
    expect_fmt("$0\r\n\r\n", OUT_STANDARD, "\"\"\n");
    expect_fmt("$-1\r\n", OUT_STANDARD, "(nil)\n");
    expect_fmt("*-1\r\n", OUT_STANDARD, "(nil)\n");
    expect_fmt("_\r\n", OUT_STANDARD, "(nil)\n");
    expect_fmt(",3.25\r\n", OUT_STANDARD, "(double) 3.25\n");
    expect_fmt("#t\r\n", OUT_STANDARD, "(true)\n");
    expect_fmt("#f\r\n", OUT_RAW, "(false)\n");
    expect_fmt("(12345678901234567890\r\n", OUT_STANDARD, "(big number) 12345678901234567890\n");
    expect_fmt("=15\r\ntxt:Some string\r\n", OUT_STANDARD, "Some string\n");
    expect_fmt("*0\r\n", OUT_STANDARD, "(empty array)\n");
    expect_fmt("%0\r\n", OUT_STANDARD, "(empty hash)\n");
    expect_fmt("~0\r\n", OUT_STANDARD, "(empty set)\n");
    expect_fmt("$3\r\n\x01\xff\t\r\n", OUT_STANDARD, "\"\\x01\\xff\\t\"\n");
    /* an attribute is skipped; the reply it describes follows */
    expect_fmt("|1\r\n+key\r\n+val\r\n:7\r\n", OUT_STANDARD, "(integer) 7\n");
    expect_fmt(">2\r\n+message\r\n:1\r\n", OUT_STANDARD, "1) message\n2) (integer) 1\n");
}

Test(cli_reply, nested_indentation_like_redis_cli)
{
    expect_fmt("*3\r\n:1\r\n*2\r\n:2\r\n:3\r\n$1\r\nx\r\n", OUT_STANDARD,
               "1) (integer) 1\n2) 1) (integer) 2\n   2) (integer) 3\n3) \"x\"\n");
    expect_fmt("%2\r\n+f\r\n+v\r\n+g\r\n*2\r\n:1\r\n:2\r\n", OUT_STANDARD,
               "1# f => v\n2# g => \n   1) (integer) 1\n   2) (integer) 2\n");
    expect_fmt("~2\r\n:1\r\n:2\r\n", OUT_STANDARD, "1~ (integer) 1\n2~ (integer) 2\n");
    /* eleven elements: two-digit index column, nested lines indented by 4 */
    char big[512] = "*11\r\n";
    for (int i = 0; i < 10; i++)
        strcat(big, ":0\r\n");
    strcat(big, "*1\r\n*1\r\n:5\r\n");
    char *s = fmt(big, OUT_STANDARD);
    cr_assert(strncmp(s, " 1) (integer) 0\n", 16) == 0, "%s", s);
    cr_assert(strstr(s, "11) 1) 1) (integer) 5\n") != NULL, "%s", s);
    free(s);
    expect_fmt("*2\r\n*2\r\n:1\r\n:2\r\n$1\r\nx\r\n", OUT_RAW, "1\n2\nx\n");
    expect_fmt("*3\r\n$1\r\na\r\n$-1\r\n:3\r\n", OUT_CSV, "\"a\",NULL,3\n");
    expect_fmt("%1\r\n$1\r\nf\r\n$1\r\nv\r\n", OUT_RAW, "f v\n");
}

/* Feeds a reply one byte at a time through the connection's scanner. */
Test(cli_reply, incremental_scanner)
{
    const char *resp = "*3\r\n%1\r\n+k\r\n*2\r\n$3\r\nabc\r\n_\r\n$4\r\n\r\n\r\n\r\n:9\r\n+next\r\n";
    size_t total = strlen(resp);
    struct cconn c;
    memset(&c, 0, sizeof(c));
    c.buf = malloc(total + 1);
    c.cap = total;
    struct creply *r = NULL;
    size_t first_end = total - strlen("+next\r\n");
    for (size_t i = 0; i < total; i++) {
        c.buf[c.len++] = resp[i];
        int rc = cconn_try_reply(&c, &r);
        if (c.len < first_end) {
            cr_assert_eq(rc, 0, "complete too early at %zu", c.len);
        } else if (c.len == first_end) {
            cr_assert_eq(rc, 1);
            cr_assert_eq(r->type, CR_ARRAY);
            cr_assert_eq(r->elements, 3);
            cr_assert_eq(r->element[0]->type, CR_MAP);
            cr_assert_eq(r->element[0]->element[1]->elements, 2);
            cr_assert_str_eq(r->element[0]->element[1]->element[0]->str, "abc");
            cr_assert_eq(r->element[1]->len, 4);
            cr_assert(memcmp(r->element[1]->str, "\r\n\r\n", 4) == 0);
            cr_assert_eq(r->element[2]->integer, 9);
            creply_free(r);
        } else {
            cr_assert_eq(rc, c.len == total ? 1 : 0);
            if (rc == 1) {
                cr_assert_str_eq(r->str, "next");
                creply_free(r);
            }
        }
    }
    free(c.buf);
}

Test(cli_reply, malformed_input)
{
    const char *bad[] = {"?x\r\n", "$abc\r\n", "$-5\r\n", "*-2\r\n", "$3\r\nabcde\r\n", ":1\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        size_t used;
        struct creply *r = NULL;
        int rc = creply_parse(bad[i], strlen(bad[i]), &used, &r);
        cr_assert(rc == -1, "%s: %d", bad[i], rc);
    }
    /* nesting deeper than 64 is refused */
    char deep[1024] = "";
    for (int i = 0; i < 70; i++)
        strcat(deep, "*1\r\n");
    strcat(deep, ":1\r\n");
    size_t used;
    struct creply *r = NULL;
    cr_assert_eq(creply_parse(deep, strlen(deep), &used, &r), -1);
    /* a huge announced length just waits for more bytes (no allocation) */
    cr_assert_eq(creply_parse("*999999999999\r\n", 16, &used, &r), 0);
    cr_assert_eq(creply_parse("$999999999\r\nab", 14, &used, &r), 0);
}

Test(cli_reply, random_bytes_never_crash)
{
    static const char alphabet[] = "*$%~>|+-:,#_(=!\r\n0123456789-abc";
    srand(7);
    for (int round = 0; round < 200000; round++) {
        char s[48];
        size_t n = (size_t)(rand() % 47);
        for (size_t i = 0; i < n; i++)
            s[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
        size_t used = 0;
        struct creply *r = NULL;
        int rc = creply_parse(s, n, &used, &r);
        cr_assert(rc >= -1 && rc <= 1);
        if (rc == 1) {
            cr_assert(used <= n);
            creply_free(r);
        }
    }
}

Test(cli_reply, split_args_like_redis_cli)
{
    char **argv;
    size_t *lens;
    int argc = split_args("  set \"a b\\n\\x41\" 'it\\'s'  plain  ", &argv, &lens);
    cr_assert_eq(argc, 4);
    cr_assert_str_eq(argv[0], "set");
    cr_assert_eq(lens[1], 5);
    cr_assert(memcmp(argv[1], "a b\nA", 5) == 0);
    cr_assert_str_eq(argv[2], "it's");
    cr_assert_str_eq(argv[3], "plain");
    free_args(argc, argv, lens);
    cr_assert_eq(split_args("get \"unterminated", &argv, &lens), -1);
    cr_assert_eq(split_args("get \"a\"b", &argv, &lens), -1);
    argc = split_args("", &argv, &lens);
    cr_assert_eq(argc, 0);
    free_args(argc, argv, lens);
    argc = split_args("x \"\"", &argv, &lens);
    cr_assert_eq(argc, 2);
    cr_assert_eq(lens[1], 0);
    free_args(argc, argv, lens);
}
