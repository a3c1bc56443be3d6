/*
 * cli_format.h - how shardis-cli prints replies, as redis-cli does:
 * the terminal format ("(integer) 1", quoted strings, numbered nested
 * aggregates), the raw format (bare values, one per line) and CSV.
 */
#ifndef SHARDIS_CLI_FORMAT_H
#define SHARDIS_CLI_FORMAT_H

#include "cli_conn.h"
#include "core/base/buf.h"

enum output_mode { OUT_STANDARD, OUT_RAW, OUT_CSV };

/* Appends the reply in the given mode, ending with a newline. */
void format_reply(struct buf *out, const struct creply *r, enum output_mode mode);
/* Appends s quoted like redis-cli ("a\"b\n" style, \xNN for other bytes). */
void format_repr(struct buf *out, const char *s, size_t len);
/* Splits a command line like redis-cli (double quotes with escapes, single
 * quotes). Returns argc (>=0) with malloc'ed args and lengths, or -1 on
 * unbalanced quotes. */
int split_args(const char *line, char ***argv, size_t **lens);
void free_args(int argc, char **argv, size_t *lens);

#endif
