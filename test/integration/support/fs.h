/*
 * fs.h - temp dirs, trees and whole files for the integration tests.
 *
 * Provides: temp_dir() (a private directory under $TMPDIR or /tmp),
 * remove_tree() (rm -rf without a shell), read_file() (a whole file, the
 * test fails when it cannot be read) and read_text() (at most a buffer's
 * worth, "" when the file is missing).
 */
#ifndef SHARDIS_IT_FS_H
#define SHARDIS_IT_FS_H

#include <stddef.h>

/* Creates "$TMPDIR/shardis-<name>-XXXXXX" (/tmp without $TMPDIR) with
 * mkdtemp and writes its path into dir; fails the test when it cannot. */
void temp_dir(char *dir, size_t size, const char *name);

/* Removes dir and everything below it, depth first, never following a
 * symbolic link. Errors are ignored; "" is left alone. */
void remove_tree(const char *dir);

/* The whole file, NUL-terminated (not counted in *len); fails the test when
 * the file cannot be opened or read. Caller frees. */
unsigned char *read_file(const char *path, size_t *len);

/* At most size - 1 bytes of a file into out, NUL-terminated; out is "" when
 * the file cannot be opened. */
void read_text(const char *path, char *out, size_t size);

#endif
