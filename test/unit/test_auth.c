/*
 * test_auth.c - the password check of security/auth.c: SHA-256 digest of
 * requirepass, user names other than "default" refused, no password = any.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "conn.h"

static void with_password(struct config *cfg, const char *pass)
{
    config_init_defaults(cfg);
    char err[128];
    const char *v[] = {pass};
    cr_assert_eq(config_set_option(cfg, "requirepass", v, 1, 1, err, sizeof(err)), 0, "%s", err);
}

Test(auth, password_checked)
{
    static struct config cfg;
    with_password(&cfg, "pa$$");
    cr_assert(auth_required(&cfg));
    struct client c;
    memset(&c, 0, sizeof(c));
    cr_assert_eq(auth_check(&cfg, &c, NULL, 0, "pa$", 3), -1);
    cr_assert_eq(auth_check(&cfg, &c, NULL, 0, "pa$$x", 5), -1);
    cr_assert_eq(c.authenticated, 0);
    cr_assert_eq(auth_check(&cfg, &c, "other", 5, "pa$$", 4), -1);
    cr_assert_eq(auth_check(&cfg, &c, "defaul", 6, "pa$$", 4), -1);
    cr_assert_eq(auth_check(&cfg, &c, NULL, 0, "pa$$", 4), 0);
    cr_assert_eq(c.authenticated, 1);
    c.authenticated = 0;
    cr_assert_eq(auth_check(&cfg, &c, "default", 7, "pa$$", 4), 0);
    cr_assert_eq(c.authenticated, 1);
}

Test(auth, digest_follows_changes)
{
    static struct config cfg;
    with_password(&cfg, "one");
    with_password(&cfg, "two");
    cr_assert_eq(auth_check(&cfg, NULL, NULL, 0, "one", 3), -1);
    cr_assert_eq(auth_check(&cfg, NULL, NULL, 0, "two", 3), 0);
    char err[128];
    const char *empty[] = {""};
    cr_assert_eq(config_set_option(&cfg, "requirepass", empty, 1, 1, err, sizeof(err)), 0);
    cr_assert(!auth_required(&cfg));
    cr_assert_eq(auth_check(&cfg, NULL, NULL, 0, "anything", 8), 0);
    cr_assert_eq(auth_check(&cfg, NULL, "nobody", 6, "anything", 8), -1);
}

Test(auth, login_user)
{
    struct client c;
    memset(&c, 0, sizeof(c));
    cr_assert_eq(acl_login_user(&c, "nobody"), -1);
    cr_assert_eq(c.authenticated, 0);
    cr_assert_eq(acl_login_user(&c, "default"), 0);
    cr_assert_eq(c.authenticated, 1);
}
