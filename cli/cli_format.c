/*
 * cli_format.c - reply formatting and command-line splitting for shardis-cli.
 */
#include "cli_format.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void format_repr(struct buf *out, const char *s, size_t len)
{
    buf_append(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '\\':
            buf_append(out, "\\\\", 2);
            break;
        case '"':
            buf_append(out, "\\\"", 2);
            break;
        case '\n':
            buf_append(out, "\\n", 2);
            break;
        case '\r':
            buf_append(out, "\\r", 2);
            break;
        case '\t':
            buf_append(out, "\\t", 2);
            break;
        case '\a':
            buf_append(out, "\\a", 2);
            break;
        case '\b':
            buf_append(out, "\\b", 2);
            break;
        default:
            if (isprint(ch)) {
                buf_append(out, (const char *)&ch, 1);
            } else {
                char hex[8];
                snprintf(hex, sizeof(hex), "\\x%02x", ch);
                buf_append(out, hex, 4);
            }
        }
    }
    buf_append(out, "\"", 1);
}

static void appendf(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(struct buf *out, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(tmp))
        n = sizeof(tmp) - 1;
    buf_append(out, tmp, (size_t)n);
}

static int is_aggregate(const struct creply *r)
{
    return r->type == CR_ARRAY || r->type == CR_MAP || r->type == CR_SET || r->type == CR_PUSH;
}

/* Terminal format. `prefix` is the indentation of nested lines. */
static void format_tty(struct buf *out, const struct creply *r, const char *prefix)
{
    switch (r->type) {
    case CR_ERROR:
        appendf(out, "(error) ");
        buf_append(out, r->str, r->len);
        break;
    case CR_STATUS:
        buf_append(out, r->str, r->len);
        break;
    case CR_INTEGER:
        appendf(out, "(integer) %lld", r->integer);
        break;
    case CR_DOUBLE:
        appendf(out, "(double) ");
        buf_append(out, r->str, r->len);
        break;
    case CR_BIGNUM:
        appendf(out, "(big number) ");
        buf_append(out, r->str, r->len);
        break;
    case CR_STRING:
        format_repr(out, r->str, r->len);
        break;
    case CR_VERB:
        buf_append(out, r->str, r->len);
        break;
    case CR_NIL:
        appendf(out, "(nil)");
        break;
    case CR_BOOL:
        appendf(out, r->integer ? "(true)" : "(false)");
        break;
    default: {
        if (r->elements == 0) {
            appendf(out, r->type == CR_ARRAY ? "(empty array)"
                         : r->type == CR_MAP ? "(empty hash)"
                         : r->type == CR_SET ? "(empty set)"
                                             : "(empty push)");
            break;
        }
        size_t count = r->type == CR_MAP ? r->elements / 2 : r->elements;
        int width = 0;
        for (size_t n = count;; n /= 10) {
            width++;
            if (n < 10)
                break;
        }
        char sep = r->type == CR_SET ? '~' : r->type == CR_MAP ? '#' : ')';
        size_t plen = strlen(prefix);
        char *nested = malloc(plen + (size_t)width + 3);
        if (!nested)
            abort();
        memcpy(nested, prefix, plen);
        memset(nested + plen, ' ', (size_t)width + 2);
        nested[plen + (size_t)width + 2] = '\0';
        size_t step = r->type == CR_MAP ? 2 : 1;
        for (size_t i = 0, idx = 1; i < r->elements; i += step, idx++) {
            /* The first line continues the caller's "N) " */
            if (i > 0)
                buf_append(out, prefix, plen);
            appendf(out, "%*zu%c ", width, idx, sep);
            format_tty(out, r->element[i], nested);
            if (r->type == CR_MAP) {
                /* a non-empty aggregate value starts on its own line, indented */
                const struct creply *v = r->element[i + 1];
                appendf(out, " => ");
                if (is_aggregate(v) && v->elements > 0) {
                    buf_append(out, "\n", 1);
                    buf_append_str(out, nested);
                }
                format_tty(out, v, nested);
            }
            if (i + step < r->elements)
                buf_append(out, "\n", 1);
        }
        free(nested);
        break;
    }
    }
}

static void format_raw(struct buf *out, const struct creply *r)
{
    switch (r->type) {
    case CR_ERROR:
    case CR_STATUS:
    case CR_STRING:
    case CR_VERB:
    case CR_DOUBLE:
    case CR_BIGNUM:
        buf_append(out, r->str, r->len);
        if (r->type == CR_ERROR)
            buf_append(out, "\n", 1);
        break;
    case CR_INTEGER:
        appendf(out, "%lld", r->integer);
        break;
    case CR_NIL:
        break;
    case CR_BOOL:
        appendf(out, r->integer ? "(true)" : "(false)");
        break;
    default:
        for (size_t i = 0; i < r->elements; i++) {
            if (i > 0)
                buf_append(out, "\n", 1);
            format_raw(out, r->element[i]);
            if (r->type == CR_MAP) {
                buf_append(out, " ", 1);
                format_raw(out, r->element[++i]);
            }
        }
    }
}

static void format_csv(struct buf *out, const struct creply *r)
{
    switch (r->type) {
    case CR_ERROR:
        appendf(out, "ERROR,");
        format_repr(out, r->str, r->len);
        break;
    case CR_STATUS:
    case CR_STRING:
    case CR_VERB:
        format_repr(out, r->str, r->len);
        break;
    case CR_DOUBLE:
    case CR_BIGNUM:
        buf_append(out, r->str, r->len);
        break;
    case CR_INTEGER:
        appendf(out, "%lld", r->integer);
        break;
    case CR_NIL:
        appendf(out, "NULL");
        break;
    case CR_BOOL:
        appendf(out, r->integer ? "true" : "false");
        break;
    default:
        for (size_t i = 0; i < r->elements; i++) {
            if (i > 0)
                buf_append(out, ",", 1);
            format_csv(out, r->element[i]);
        }
    }
}

void format_reply(struct buf *out, const struct creply *r, enum output_mode mode)
{
    if (mode == OUT_STANDARD)
        format_tty(out, r, "");
    else if (mode == OUT_RAW)
        format_raw(out, r);
    else
        format_csv(out, r);
    buf_append(out, "\n", 1);
}

/* ---- splitting ---------------------------------------------------------- */

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);
}

int split_args(const char *line, char ***argvp, size_t **lensp)
{
    int argc = 0, cap = 0;
    char **argv = NULL;
    size_t *lens = NULL;
    const char *p = line;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        struct buf cur;
        memset(&cur, 0, sizeof(cur));
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            if (inq) {
                if (!*p)
                    goto unbalanced;
                if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
                    char ch = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                    buf_append(&cur, &ch, 1);
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    char ch;
                    p++;
                    switch (*p) {
                    case 'n':
                        ch = '\n';
                        break;
                    case 'r':
                        ch = '\r';
                        break;
                    case 't':
                        ch = '\t';
                        break;
                    case 'b':
                        ch = '\b';
                        break;
                    case 'a':
                        ch = '\a';
                        break;
                    default:
                        ch = *p;
                    }
                    buf_append(&cur, &ch, 1);
                } else if (*p == '"') {
                    /* a closing quote must be followed by a space or the end */
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto unbalanced;
                    done = 1;
                } else {
                    buf_append(&cur, p, 1);
                }
            } else if (insq) {
                if (!*p)
                    goto unbalanced;
                if (p[0] == '\\' && p[1] == '\'') {
                    p++;
                    buf_append(&cur, "'", 1);
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto unbalanced;
                    done = 1;
                } else {
                    buf_append(&cur, p, 1);
                }
            } else {
                switch (*p) {
                case ' ':
                case '\n':
                case '\r':
                case '\t':
                case '\0':
                    done = 1;
                    break;
                case '"':
                    inq = 1;
                    break;
                case '\'':
                    insq = 1;
                    break;
                default:
                    buf_append(&cur, p, 1);
                }
            }
            if (*p)
                p++;
        }
        if (argc == cap) {
            cap = cap ? cap * 2 : 8;
            argv = realloc(argv, (size_t)cap * sizeof(*argv));
            lens = realloc(lens, (size_t)cap * sizeof(*lens));
            if (!argv || !lens)
                abort();
        }
        argv[argc] = malloc(cur.len + 1);
        if (!argv[argc])
            abort();
        if (cur.len)
            memcpy(argv[argc], cur.data, cur.len);
        argv[argc][cur.len] = '\0';
        lens[argc] = cur.len;
        argc++;
        buf_free(&cur);
        continue;
    unbalanced:
        buf_free(&cur);
        free_args(argc, argv, lens);
        return -1;
    }
    *argvp = argv;
    *lensp = lens;
    return argc;
}

void free_args(int argc, char **argv, size_t *lens)
{
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    free(lens);
}
