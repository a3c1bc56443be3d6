/*
 * fuzz_acl.c - libFuzzer target for ACL rule parsing: the input is split into
 * space-separated rules applied to one user (as ACL SETUSER does), then the
 * user is described and its key patterns matched. Every input must end in an
 * error or a valid user, never a crash, leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "security/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acl_user *u = acl_user_new_scratch("fuzz");
    char err[300];
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == ' ') {
            if (i > start)
                acl_user_apply_rule(u, (const char *)data + start, i - start, err, sizeof(err));
            start = i + 1;
        }
    }
    struct buf out = {0};
    acl_user_describe(u, &out);
    buf_free(&out);
    acl_user_key_allowed(u, (const char *)data, size < 64 ? size : 64, 1, 1);
    acl_user_free_scratch(u);
    return 0;
}
