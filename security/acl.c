/*
 * acl.c - users and their permissions, the user table and its reclamation,
 * sessions, the check before dispatch, ACL LOG, the AUTH failure limit, the
 * AUTH and ACL commands, protected mode. See acl.h for the publication
 * scheme of the user table.
 *
 * Threads: every shard thread reads the current table without a lock (the
 * check, AUTH, the checkpoint) and touches only the sessions of its own
 * clients; writers (ACL SETUSER/DELUSER/LOAD, CONFIG SET requirepass) build
 * and publish a new table under write_lock; ACL LOG is under log_lock and the
 * AUTH failure table under auth_lock. acl_init and acl_register_client_ops
 * run at start-up, before the shard threads.
 *
 * Invariants: a published table and its users are never modified; a
 * replaced one is freed only after every registered reader has passed a
 * checkpoint past its replacement (reclaim); no struct client is ever
 * dereferenced here (net/ is above): a connection is a struct acl_session
 * plus the identity in a struct acl_caller, and AUTH/ACL reach theirs through
 * client_ops.
 */
#include "security/acl.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/resp.h"
#include "core/base/server.h"
#include "core/base/util.h"
#include "core/commands/command_rename.h"
#include "security/audit.h"

/* ---- commands and categories -------------------------------------------- */

static const char *const category_names[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
#define NCATEGORIES ((int)(sizeof(category_names) / sizeof(*category_names)))

/* Every command and subcommand gets an id: top-level commands first (their
 * index in command_table), then the subcommands of each in turn. */
struct cmd_info {
    const struct command *cmd, *parent;
    uint32_t categories; /* bit i: category_names[i] */
    int nspecs;
    int spec_index[2], spec_rw[2];
};
static struct cmd_info *cmds;
static int ncmds, ntop;
static int *sub_base; /* by top-level index: id of its first subcommand */

static int category_index(const char *name, size_t len)
{
    for (int i = 0; i < NCATEGORIES; i++)
        if (strlen(category_names[i]) == len && !strncasecmp(category_names[i], name, len))
            return i;
    return -1;
}

static uint32_t parse_categories(const char *s)
{
    uint32_t bits = 0;
    while (s && *s) {
        while (*s == ' ')
            s++;
        if (*s != '@')
            break;
        const char *start = ++s;
        while (*s && *s != ' ')
            s++;
        int i = category_index(start, (size_t)(s - start));
        if (i >= 0)
            bits |= 1u << i;
    }
    return bits;
}

static void add_cmd(const struct command *cmd, const struct command *parent)
{
    struct cmd_info *ci = &cmds[ncmds++];
    ci->cmd = cmd;
    ci->parent = parent;
    ci->categories = parse_categories(cmd->acl_categories);
    ci->nspecs = command_key_specs_rw(cmd, parent, ci->spec_index, ci->spec_rw, 2);
}

static void build_command_ids(void)
{
    if (cmds)
        return;
    size_t total = 0;
    ntop = command_count();
    for (int i = 0; i < ntop; i++) {
        total++;
        for (const struct command *s = command_table[i].subcommands; s && s->name; s++)
            total++;
    }
    cmds = calloc(total ? total : 1, sizeof(*cmds));
    sub_base = calloc(ntop > 0 ? (size_t)ntop : 1, sizeof(*sub_base));
    for (int i = 0; i < ntop; i++)
        add_cmd(&command_table[i], NULL);
    for (int i = 0; i < ntop; i++) {
        sub_base[i] = ncmds;
        for (const struct command *s = command_table[i].subcommands; s && s->name; s++)
            add_cmd(s, &command_table[i]);
    }
}

static int cmd_id(const struct command *cmd, const struct command *sub)
{
    int top = (int)(cmd - command_table);
    if (!sub)
        return top;
    return sub_base[top] + (int)(sub - cmd->subcommands);
}

/* The id of "name" or "name|sub"; -1 when unknown. */
static int cmd_id_by_name(const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    const struct command *cmd = command_lookup(name, bar ? (size_t)(bar - name) : len);
    if (!cmd)
        return -1;
    if (!bar)
        return cmd_id(cmd, NULL);
    const struct command *sub = command_lookup_sub(cmd, bar + 1, len - (size_t)(bar + 1 - name));
    return sub ? cmd_id(cmd, sub) : -1;
}

/* ---- users ---------------------------------------------------------------- */

#define USER_ON 1
#define USER_NOPASS 2
#define USER_ALLKEYS 4
#define USER_ALLCHANNELS 8
#define USER_SANITIZE_PAYLOAD 16
#define USER_SKIP_SANITIZE_PAYLOAD 32

#define KEY_READ 1
#define KEY_WRITE 2

struct key_pattern {
    char *pat;
    size_t len;
    int flags; /* KEY_READ | KEY_WRITE */
};

struct acl_user {
    char *name;
    int flags;
    int npass;
    unsigned char (*pass)[32];
    uint64_t *allowed;   /* bit per command id */
    int all_commands;    /* every bit set: the check can be skipped */
    int future_commands; /* set by +@all, cleared by -@all: ACL LIST starts
                          * from +@all (commands added later are allowed) */
    int nkeys;
    struct key_pattern *keys;
    int nchannels;
    char **channels;
};

struct acl_table {
    uint64_t version;
    int nusers;
    struct acl_user **users;
};

static _Atomic(struct acl_table *) current;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Reclaiming replaced tables and users (epoch-based; the epoch is the table
 * version). A reader thread (every shard thread) calls
 * acl_thread_checkpoint() once per loop iteration, where it holds no
 * pointer into the ACL data except its clients' users: it re-resolves those
 * in the current table, then publishes that table's version as the one it
 * has "seen". A table replaced when version R was published, and a user
 * that left the table at R, can be referenced only by a thread whose seen
 * version is below R: once every registered reader has seen R, the writer
 * (under write_lock) frees them. A reader that sleeps delays reclamation
 * until its next iteration (at most one cron period), never more.
 * Registration takes write_lock, so a reclaim never misses a new reader.
 */
#define ACL_MAX_READERS 1024
struct retired_item {
    uint64_t freed_after; /* the version that replaced it */
    struct acl_table *table;
    struct acl_user *user;
};
static _Atomic uint64_t reader_seen[ACL_MAX_READERS]; /* by slot; valid below nreaders */
static _Atomic int nreaders;
static _Thread_local int reader_slot = -1;
static _Thread_local uint64_t reader_seen_local;
static struct retired_item *retired; /* under write_lock */
static size_t nretired, cap_retired;
static const struct config *init_cfg;
static char aclfile[CONFIG_PATH_MAX];

static size_t bitmap_words(void)
{
    return ((size_t)ncmds + 63) / 64;
}

static char *dup_bytes(const char *p, size_t len)
{
    char *s = malloc(len + 1);
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

static struct acl_user *user_new(const char *name, size_t len)
{
    struct acl_user *u = calloc(1, sizeof(*u));
    u->name = strndup(name, len);
    u->allowed = calloc(bitmap_words(), sizeof(uint64_t));
    return u;
}

static void user_free(struct acl_user *u)
{
    if (!u)
        return;
    free(u->name);
    free(u->pass);
    free(u->allowed);
    for (int i = 0; i < u->nkeys; i++)
        free(u->keys[i].pat);
    free(u->keys);
    for (int i = 0; i < u->nchannels; i++)
        free(u->channels[i]);
    free(u->channels);
    free(u);
}

static struct acl_user *user_dup(const struct acl_user *o)
{
    struct acl_user *u = calloc(1, sizeof(*u));
    u->name = strdup(o->name);
    u->flags = o->flags;
    u->npass = o->npass;
    if (o->npass) {
        u->pass = malloc((size_t)o->npass * 32);
        memcpy(u->pass, o->pass, (size_t)o->npass * 32);
    }
    u->allowed = malloc(bitmap_words() * sizeof(uint64_t));
    memcpy(u->allowed, o->allowed, bitmap_words() * sizeof(uint64_t));
    u->all_commands = o->all_commands;
    u->future_commands = o->future_commands;
    u->nkeys = o->nkeys;
    u->keys = o->nkeys ? malloc((size_t)o->nkeys * sizeof(*u->keys)) : NULL;
    for (int i = 0; i < o->nkeys; i++) {
        u->keys[i] = o->keys[i];
        u->keys[i].pat = dup_bytes(o->keys[i].pat, o->keys[i].len);
    }
    u->nchannels = o->nchannels;
    u->channels = o->nchannels ? malloc((size_t)o->nchannels * sizeof(char *)) : NULL;
    for (int i = 0; i < o->nchannels; i++)
        u->channels[i] = strdup(o->channels[i]);
    return u;
}

struct acl_user *acl_user_new_scratch(const char *name)
{
    build_command_ids();
    return user_new(name, strlen(name));
}

void acl_user_free_scratch(struct acl_user *u)
{
    user_free(u);
}

static void sha256(const char *p, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(p, len, out, &n, EVP_sha256(), NULL);
}

static void hex32(const unsigned char h[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int unhex32(const char *s, size_t len, unsigned char out[32])
{
    if (len != 64)
        return -1;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return -1;
    for (int i = 0; i < 32; i++) {
        int hi = isdigit((unsigned char)s[2 * i]) ? s[2 * i] - '0' : s[2 * i] - 'a' + 10;
        int lo = isdigit((unsigned char)s[2 * i + 1]) ? s[2 * i + 1] - '0' : s[2 * i + 1] - 'a' + 10;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

static void pass_add(struct acl_user *u, const unsigned char h[32])
{
    for (int i = 0; i < u->npass; i++)
        if (!memcmp(u->pass[i], h, 32))
            return;
    u->pass = realloc(u->pass, (size_t)(u->npass + 1) * 32);
    memcpy(u->pass[u->npass++], h, 32);
    u->flags &= ~USER_NOPASS;
}

static int pass_remove(struct acl_user *u, const unsigned char h[32])
{
    for (int i = 0; i < u->npass; i++) {
        if (!memcmp(u->pass[i], h, 32)) {
            memmove(u->pass[i], u->pass[i + 1], (size_t)(u->npass - i - 1) * 32);
            u->npass--;
            return 0;
        }
    }
    return -1;
}

static void set_bit(uint64_t *bits, int id, int allow)
{
    if (allow)
        bits[id / 64] |= 1ULL << (id % 64);
    else
        bits[id / 64] &= ~(1ULL << (id % 64));
}

static void upper_name(char *out, size_t outlen, const struct command *cmd, const struct command *sub);

static int get_bit(const uint64_t *bits, int id)
{
    return (int)((bits[id / 64] >> (id % 64)) & 1);
}

/* Allows or denies one command; a whole command takes its subcommands with
 * it (as Redis: "+config" allows every CONFIG subcommand). */
static void change_command(uint64_t *bits, int id, int allow)
{
    set_bit(bits, id, allow);
    if (id < ntop)
        for (const struct command *s = cmds[id].cmd->subcommands; s && s->name; s++)
            set_bit(bits, cmd_id(cmds[id].cmd, s), allow);
}

/* +@cat / -@cat: every command and subcommand of the category. Top-level
 * commands come first in the ids, so a subcommand's own category wins over
 * its container's, as Redis applies them. */
static void change_category(uint64_t *bits, int cat, int allow)
{
    for (int i = 0; i < ncmds; i++)
        if (cmds[i].categories & (1u << cat))
            change_command(bits, i, allow);
}

static void update_all_commands(struct acl_user *u)
{
    u->all_commands = 1;
    for (int i = 0; i < ncmds && u->all_commands; i++)
        if (!(u->allowed[i / 64] & (1ULL << (i % 64))))
            u->all_commands = 0;
}

static int bad_rule(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

int acl_user_apply_rule(struct acl_user *u, const char *rule, size_t len, char *err, size_t errlen)
{
    build_command_ids();
#define IS(word) (len == strlen(word) && !strncasecmp(rule, word, len))
    if (len == 0)
        return bad_rule(err, errlen, "Syntax error");
    if (IS("on")) {
        u->flags |= USER_ON;
    } else if (IS("off")) {
        u->flags &= ~USER_ON;
    } else if (IS("nopass")) {
        u->flags |= USER_NOPASS;
        u->npass = 0;
    } else if (IS("resetpass")) {
        u->flags &= ~USER_NOPASS;
        u->npass = 0;
    } else if (IS("allkeys") || (len == 2 && !memcmp(rule, "~*", 2))) {
        u->flags |= USER_ALLKEYS;
        for (int i = 0; i < u->nkeys; i++)
            free(u->keys[i].pat);
        u->nkeys = 0;
    } else if (IS("resetkeys")) {
        u->flags &= ~USER_ALLKEYS;
        for (int i = 0; i < u->nkeys; i++)
            free(u->keys[i].pat);
        u->nkeys = 0;
    } else if (IS("allchannels") || (len == 2 && !memcmp(rule, "&*", 2))) {
        u->flags |= USER_ALLCHANNELS;
        for (int i = 0; i < u->nchannels; i++)
            free(u->channels[i]);
        u->nchannels = 0;
    } else if (IS("resetchannels")) {
        u->flags &= ~USER_ALLCHANNELS;
        for (int i = 0; i < u->nchannels; i++)
            free(u->channels[i]);
        u->nchannels = 0;
    } else if (IS("allcommands") || IS("+@all")) {
        memset(u->allowed, 0xff, bitmap_words() * sizeof(uint64_t));
        u->future_commands = 1;
    } else if (IS("nocommands") || IS("-@all")) {
        memset(u->allowed, 0, bitmap_words() * sizeof(uint64_t));
        u->future_commands = 0;
    } else if (IS("sanitize-payload")) {
        u->flags = (u->flags & ~USER_SKIP_SANITIZE_PAYLOAD) | USER_SANITIZE_PAYLOAD;
    } else if (IS("skip-sanitize-payload")) {
        u->flags = (u->flags & ~USER_SANITIZE_PAYLOAD) | USER_SKIP_SANITIZE_PAYLOAD;
    } else if (IS("reset")) {
        static const char *const steps[] = {"resetpass", "resetkeys",        "resetchannels",
                                            "off",       "sanitize-payload", "-@all"};
        for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
            acl_user_apply_rule(u, steps[i], strlen(steps[i]), err, errlen);
    } else if (IS("clearselectors")) {
        /* no selectors exist */
    } else if (rule[0] == '>' || rule[0] == '<') {
        unsigned char h[32];
        sha256(rule + 1, len - 1, h);
        if (rule[0] == '>') {
            pass_add(u, h);
        } else if (pass_remove(u, h) < 0) {
            return bad_rule(err, errlen, "Password not found");
        }
    } else if (rule[0] == '#' || rule[0] == '!') {
        unsigned char h[32];
        if (unhex32(rule + 1, len - 1, h) < 0)
            return bad_rule(err, errlen,
                            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
                            "characters");
        if (rule[0] == '#')
            pass_add(u, h);
        else if (pass_remove(u, h) < 0)
            return bad_rule(err, errlen, "Password not found");
    } else if (rule[0] == '~' || rule[0] == '%') {
        int flags = KEY_READ | KEY_WRITE;
        const char *pat = rule + 1;
        if (rule[0] == '%') {
            flags = 0;
            const char *p = rule + 1;
            while (p < rule + len && *p != '~') {
                if (*p == 'R' || *p == 'r')
                    flags |= KEY_READ;
                else if (*p == 'W' || *p == 'w')
                    flags |= KEY_WRITE;
                else
                    return bad_rule(err, errlen, "Syntax error");
                p++;
            }
            if (p == rule + len || !flags)
                return bad_rule(err, errlen, "Syntax error");
            pat = p + 1;
        }
        size_t plen = len - (size_t)(pat - rule);
        if (u->flags & USER_ALLKEYS) {
            if (flags == (KEY_READ | KEY_WRITE) && plen == 1 && pat[0] == '*')
                return 0;
            return bad_rule(err, errlen,
                            "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
                            "have any effect. Try 'resetkeys' to start with an empty list of patterns");
        }
        if (flags == (KEY_READ | KEY_WRITE) && plen == 1 && pat[0] == '*') {
            return acl_user_apply_rule(u, "allkeys", 7, err, errlen);
        }
        for (int i = 0; i < u->nkeys; i++) {
            if (u->keys[i].len == plen && !memcmp(u->keys[i].pat, pat, plen)) {
                u->keys[i].flags |= flags;
                return 0;
            }
        }
        u->keys = realloc(u->keys, (size_t)(u->nkeys + 1) * sizeof(*u->keys));
        u->keys[u->nkeys++] = (struct key_pattern){.pat = dup_bytes(pat, plen), .len = plen, .flags = flags};
    } else if (rule[0] == '&') {
        if (u->flags & USER_ALLCHANNELS)
            return bad_rule(err, errlen,
                            "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
                            "not have any effect. Try 'resetchannels' to start with an empty list of channels");
        for (int i = 0; i < u->nchannels; i++)
            if (strlen(u->channels[i]) == len - 1 && !memcmp(u->channels[i], rule + 1, len - 1))
                return 0;
        u->channels = realloc(u->channels, (size_t)(u->nchannels + 1) * sizeof(char *));
        u->channels[u->nchannels++] = strndup(rule + 1, len - 1);
    } else if (rule[0] == '+' || rule[0] == '-') {
        int allow = rule[0] == '+';
        if (len > 1 && rule[1] == '@') {
            int cat = category_index(rule + 2, len - 2);
            if (cat < 0)
                return bad_rule(err, errlen, "Unknown command or category name in ACL");
            change_category(u->allowed, cat, allow);
        } else {
            int id = cmd_id_by_name(rule + 1, len - 1);
            if (id < 0) {
                /* Redis allows "+cmd|firstarg" for commands without subcommands; not here */
                return bad_rule(err, errlen, "Unknown command or category name in ACL");
            }
            change_command(u->allowed, id, allow);
        }
    } else if (rule[0] == '(') {
        return bad_rule(err, errlen, "Selectors are not supported by shardis");
    } else {
        return bad_rule(err, errlen, "Syntax error");
    }
    update_all_commands(u);
    return 0;
#undef IS
}

static void describe_keys(const struct acl_user *u, struct buf *out)
{
    if (u->flags & USER_ALLKEYS) {
        buf_append_str(out, "~*");
        return;
    }
    for (int i = 0; i < u->nkeys; i++) {
        if (i)
            buf_append_byte(out, ' ');
        const struct key_pattern *k = &u->keys[i];
        buf_append_str(out, k->flags == (KEY_READ | KEY_WRITE) ? "~" : k->flags == KEY_READ ? "%R~" : "%W~");
        buf_append(out, k->pat, k->len);
    }
}

static void describe_channels(const struct acl_user *u, struct buf *out)
{
    if (u->flags & USER_ALLCHANNELS) {
        buf_append_str(out, "&*");
        return;
    }
    for (int i = 0; i < u->nchannels; i++) {
        if (i)
            buf_append_byte(out, ' ');
        buf_append_byte(out, '&');
        buf_append_str(out, u->channels[i]);
    }
}

/*
 * The command rules of ACL LIST/GETUSER, derived from the bitmap as Redis
 * 7.0 derives them (so equal permissions print equally, whatever rules
 * built them): start from +@all when the user may run future commands,
 * else from -@all; then, while some category not used yet has more
 * commands that agree with the user than commands that do not, take the one
 * with the fewest disagreements (ties: the most agreements, then the first
 * in category order); last, one +cmd/-cmd per command still different, in
 * command table order (Redis prints those in its command dict's hash order,
 * which changes from one process to the next).
 */
static void describe_commands(const struct acl_user *u, struct buf *out)
{
    size_t words = bitmap_words();
    int additive = !u->future_commands;
    uint64_t *built = malloc(words * sizeof(uint64_t));  /* what the printed rules give */
    uint64_t *remain = malloc(words * sizeof(uint64_t)); /* the user minus categories taken */
    memset(built, additive ? 0 : 0xff, words * sizeof(uint64_t));
    memcpy(remain, u->allowed, words * sizeof(uint64_t));
    buf_append_str(out, additive ? "-@all" : "+@all");
    int taken[NCATEGORIES] = {0};
    for (;;) {
        int best = -1;
        long best_diff = 0, best_same = 0;
        for (int cat = 0; cat < NCATEGORIES; cat++) {
            if (taken[cat])
                continue;
            long on = 0, off = 0;
            for (int i = 0; i < ncmds; i++)
                if (cmds[i].categories & (1u << cat))
                    get_bit(remain, i) ? on++ : off++;
            long diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (best < 0 || diff < best_diff || (diff == best_diff && same > best_same))) {
                best = cat;
                best_diff = diff;
                best_same = same;
            }
        }
        if (best < 0)
            break;
        taken[best] = 1;
        change_category(built, best, additive);
        change_category(remain, best, !additive);
        buf_append_str(out, additive ? " +@" : " -@");
        buf_append_str(out, category_names[best]);
    }
    for (int top = 0; top < ntop; top++) {
        int ids[1 + 64], nids = 0;
        ids[nids++] = top;
        for (const struct command *s = cmds[top].cmd->subcommands; s && s->name && nids < 65; s++)
            ids[nids++] = cmd_id(cmds[top].cmd, s);
        for (int k = 0; k < nids; k++) {
            int id = ids[k], want = get_bit(u->allowed, id);
            if (want == get_bit(built, id))
                continue;
            char name[128];
            upper_name(name, sizeof(name), cmds[id].parent ? cmds[id].parent : cmds[id].cmd,
                       cmds[id].parent ? cmds[id].cmd : NULL);
            buf_append_str(out, want ? " +" : " -");
            buf_append_str(out, name);
            change_command(built, id, want);
        }
    }
    free(built);
    free(remain);
}

/* ACL LIST's line without the leading "user ". */
void acl_user_describe(const struct acl_user *u, struct buf *out)
{
    buf_append_str(out, u->name);
    buf_append_str(out, u->flags & USER_ON ? " on" : " off");
    if (u->flags & USER_NOPASS)
        buf_append_str(out, " nopass");
    if (u->flags & USER_SKIP_SANITIZE_PAYLOAD)
        buf_append_str(out, " skip-sanitize-payload");
    if (u->flags & USER_SANITIZE_PAYLOAD)
        buf_append_str(out, " sanitize-payload");
    for (int i = 0; i < u->npass; i++) {
        char hex[65];
        hex32(u->pass[i], hex);
        buf_append_str(out, " #");
        buf_append_str(out, hex);
    }
    if ((u->flags & USER_ALLKEYS) || u->nkeys) {
        buf_append_byte(out, ' ');
        describe_keys(u, out);
    }
    if (u->flags & USER_ALLCHANNELS) {
        buf_append_str(out, " &*");
    } else {
        buf_append_str(out, " resetchannels");
        if (u->nchannels) {
            buf_append_byte(out, ' ');
            describe_channels(u, out);
        }
    }
    buf_append_byte(out, ' ');
    describe_commands(u, out);
}

int acl_user_can_run(const struct acl_user *u, const struct command *cmd, const struct command *sub)
{
    int id = cmd_id(cmd, sub);
    return (u->allowed[id / 64] >> (id % 64)) & 1;
}

int acl_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase)
{
    return stringmatchlen(pat, plen, s, slen, nocase);
}

int acl_user_key_allowed(const struct acl_user *u, const char *key, size_t len, int read, int write)
{
    if (u->flags & USER_ALLKEYS)
        return 1;
    int need = (read ? KEY_READ : 0) | (write ? KEY_WRITE : 0);
    for (int i = 0; i < u->nkeys; i++)
        if ((u->keys[i].flags & need) == need && stringmatchlen(u->keys[i].pat, u->keys[i].len, key, len, 0))
            return 1;
    return 0;
}

int acl_session_reads_all_keys(const struct acl_session *s)
{
    const struct acl_user *u = s->user;
    if (!u || (u->flags & USER_ALLKEYS))
        return 1;
    for (int i = 0; i < u->nkeys; i++)
        if ((u->keys[i].flags & KEY_READ) && u->keys[i].len == 1 && u->keys[i].pat[0] == '*')
            return 1;
    return 0;
}

/* A channel matches the user's channel patterns; a pattern (PSUBSCRIBE)
 * must equal one of them literally, as Redis 7.0. */
static int channel_allowed(const struct acl_user *u, const char *ch, size_t len, int is_pattern)
{
    if (u->flags & USER_ALLCHANNELS)
        return 1;
    for (int i = 0; i < u->nchannels; i++) {
        size_t plen = strlen(u->channels[i]);
        if (is_pattern ? plen == len && !memcmp(u->channels[i], ch, len)
                       : stringmatchlen(u->channels[i], plen, ch, len, 0))
            return 1;
    }
    return 0;
}

/* ---- the table ------------------------------------------------------------ */

static const struct acl_user *table_find(const struct acl_table *t, const char *name, size_t len)
{
    for (int i = 0; i < t->nusers; i++)
        if (strlen(t->users[i]->name) == len && !memcmp(t->users[i]->name, name, len))
            return t->users[i];
    return NULL;
}

int acl_user_exists(const char *name, size_t len)
{
    struct acl_table *t = atomic_load(&current);
    return t && table_find(t, name, len) != NULL;
}

static void retire(uint64_t freed_after, struct acl_table *t, struct acl_user *u)
{
    if (nretired == cap_retired) {
        cap_retired = cap_retired ? 2 * cap_retired : 64;
        retired = realloc(retired, cap_retired * sizeof(*retired));
    }
    retired[nretired++] = (struct retired_item){.freed_after = freed_after, .table = t, .user = u};
}

static void free_item(struct retired_item *r)
{
    if (r->table) {
        free(r->table->users);
        free(r->table);
    }
    user_free(r->user);
}

/* Frees what every reader has passed. Caller holds write_lock. */
static void reclaim(void)
{
    uint64_t oldest = UINT64_MAX;
    int n = atomic_load(&nreaders);
    for (int i = 0; i < n; i++) {
        uint64_t seen = atomic_load(&reader_seen[i]);
        if (seen && seen < oldest)
            oldest = seen;
    }
    /* Items are appended in version order: free the passed prefix. Nothing
     * to free costs one compare (a thread running a long pipeline of ACL
     * changes does not pass its checkpoint until the pipeline is done). */
    size_t done = 0;
    while (done < nretired && retired[done].freed_after <= oldest)
        free_item(&retired[done++]);
    if (done) {
        memmove(retired, retired + done, (nretired - done) * sizeof(*retired));
        nretired -= done;
    }
}

/* Publishes a table of `users` (taken); the table it replaces and the users
 * that left are retired. Caller holds write_lock. */
static void publish(struct acl_user **users, int n)
{
    struct acl_table *old = atomic_load(&current);
    struct acl_table *t = calloc(1, sizeof(*t));
    t->version = old ? old->version + 1 : 1;
    t->users = users;
    t->nusers = n;
    atomic_store(&current, t);
    if (old) {
        for (int j = 0; j < old->nusers; j++) {
            int kept = 0;
            for (int i = 0; i < n && !kept; i++)
                kept = old->users[j] == users[i];
            if (!kept)
                retire(t->version, NULL, old->users[j]);
        }
        retire(t->version, old, NULL);
    }
    reclaim();
}

size_t acl_retired_count(void)
{
    pthread_mutex_lock(&write_lock);
    size_t n = nretired;
    pthread_mutex_unlock(&write_lock);
    return n;
}

/* A copy of the current users array (pointers shared; users are immutable). */
static struct acl_user **users_copy(int *n)
{
    struct acl_table *t = atomic_load(&current);
    *n = t ? t->nusers : 0;
    struct acl_user **u = malloc((size_t)(*n + 1) * sizeof(*u));
    for (int i = 0; i < *n; i++)
        u[i] = t->users[i];
    return u;
}

static struct acl_user *default_user_new(const char *requirepass)
{
    struct acl_user *u = user_new("default", 7);
    char err[256];
    static const char *const rules[] = {"on", "allkeys", "allchannels", "+@all"};
    for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++)
        acl_user_apply_rule(u, rules[i], strlen(rules[i]), err, sizeof(err));
    if (requirepass && *requirepass) {
        char rule[CONFIG_PATH_MAX + 2];
        snprintf(rule, sizeof(rule), ">%s", requirepass);
        acl_user_apply_rule(u, rule, strlen(rule), err, sizeof(err));
    } else {
        acl_user_apply_rule(u, "nopass", 6, err, sizeof(err));
    }
    return u;
}

/* Applies "name rule rule ..." words to a fresh or existing user in users[]. */
static int setuser_words(struct acl_user ***users, int *n, int argc, char **argv, size_t *lens, char *err,
                         size_t errlen)
{
    int at = -1;
    for (int i = 0; i < *n; i++)
        if (strlen((*users)[i]->name) == lens[0] && !memcmp((*users)[i]->name, argv[0], lens[0]))
            at = i;
    struct acl_user *u = at >= 0 ? user_dup((*users)[at]) : user_new(argv[0], lens[0]);
    for (int i = 1; i < argc; i++) {
        char e[300];
        if (acl_user_apply_rule(u, argv[i], lens[i], e, sizeof(e)) < 0) {
            snprintf(err, errlen, "Error in ACL SETUSER modifier '%.*s': %s", (int)(lens[i] > 128 ? 128 : lens[i]),
                     argv[i], e);
            user_free(u);
            return -1;
        }
    }
    if (at >= 0) {
        (*users)[at] = u;
    } else {
        *users = realloc(*users, (size_t)(*n + 1) * sizeof(**users));
        (*users)[(*n)++] = u;
    }
    return 0;
}

static int split_words(char *line, char **words, size_t *lens, int max)
{
    int n = 0;
    for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w && n < max; w = strtok_r(NULL, " \t\r\n", &save)) {
        words[n] = w;
        lens[n++] = strlen(w);
    }
    return n;
}

/* Parses an ACL file's text into users (the default user is added when the
 * file does not define it). -1 with "file:line: message". */
static int parse_acl_text(const char *path, char *text, struct acl_user ***out, int *nout, char *err, size_t errlen)
{
    struct acl_user **users = NULL;
    int n = 0, lineno = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *words[256];
        size_t lens[256];
        int nw = split_words(line, words, lens, 256);
        if (nw == 0 || words[0][0] == '#')
            continue;
        if (strcmp(words[0], "user") || nw < 2) {
            snprintf(err, errlen, "%s:%d should start with user keyword", path, lineno);
            goto fail;
        }
        for (int i = 0; i < n; i++) {
            if (!strcmp(users[i]->name, words[1])) {
                snprintf(err, errlen, "%s:%d: Duplicate user '%s' found", path, lineno, words[1]);
                goto fail;
            }
        }
        char e[400];
        if (setuser_words(&users, &n, nw - 1, words + 1, lens + 1, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s:%d: %s. ", path, lineno, e);
            goto fail;
        }
    }
    *out = users;
    *nout = n;
    return 0;
fail:
    for (int i = 0; i < n; i++)
        user_free(users[i]);
    free(users);
    return -1;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0, n;
    char *s = malloc(cap);
    while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2)
            s = realloc(s, cap *= 2);
    }
    s[len] = '\0';
    fclose(f);
    return s;
}

/* ACL LOAD / start-up with an aclfile: every user replaced at once. */
static int load_aclfile(const char *requirepass, char *err, size_t errlen)
{
    char *text = read_file(aclfile, err, errlen);
    if (!text)
        return -1;
    struct acl_user **users;
    int n;
    int rc = parse_acl_text(aclfile, text, &users, &n, err, errlen);
    free(text);
    if (rc < 0)
        return -1;
    int has_default = 0;
    for (int i = 0; i < n; i++)
        has_default |= !strcmp(users[i]->name, "default");
    if (!has_default) {
        users = realloc(users, (size_t)(n + 1) * sizeof(*users));
        users[n++] = default_user_new(requirepass);
    }
    publish(users, n);
    return 0;
}

int acl_init(const struct config *cfg, char *err, size_t errlen)
{
    build_command_ids();
    init_cfg = cfg;
    pthread_mutex_lock(&write_lock);
    struct acl_user **users = malloc(sizeof(*users));
    users[0] = default_user_new(cfg->requirepass);
    int n = 1;
    /* `user` directives of the configuration, one per line */
    if (cfg->user_lines[0]) {
        char *copy = strdup(cfg->user_lines);
        for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *words[256];
            size_t lens[256];
            int nw = split_words(line, words, lens, 256);
            if (nw == 0)
                continue;
            char e[400];
            if (setuser_words(&users, &n, nw, words, lens, e, sizeof(e)) < 0) {
                snprintf(err, errlen, "Error in user declaration '%s': %s", words[0], e);
                free(copy);
                for (int i = 0; i < n; i++)
                    user_free(users[i]);
                free(users);
                pthread_mutex_unlock(&write_lock);
                return -1;
            }
        }
        free(copy);
    }
    publish(users, n);
    snprintf(aclfile, sizeof(aclfile), "%s", cfg->aclfile);
    int rc = 0;
    if (aclfile[0]) {
        if (cfg->user_lines[0]) {
            snprintf(err, errlen,
                     "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is "
                     "invalid. This setup is very likely to lead to configuration errors and security holes, please "
                     "define either an ACL file or declare users directly in your redis.conf, but not both.");
            rc = -1;
        } else {
            rc = load_aclfile(cfg->requirepass, err, errlen);
        }
    }
    pthread_mutex_unlock(&write_lock);
    if (rc == 0)
        rc = command_apply_renames(cfg->rename_lines, err, errlen);
    return rc;
}

void acl_shutdown(void)
{
    pthread_mutex_lock(&write_lock);
    for (size_t i = 0; i < nretired; i++)
        free_item(&retired[i]);
    free(retired);
    retired = NULL;
    nretired = cap_retired = 0;
    struct acl_table *t = atomic_exchange(&current, NULL);
    if (t) {
        for (int i = 0; i < t->nusers; i++)
            user_free(t->users[i]);
        free(t->users);
        free(t);
    }
    pthread_mutex_unlock(&write_lock);
}

void acl_set_requirepass(const char *pass)
{
    pthread_mutex_lock(&write_lock);
    int n;
    struct acl_user **users = users_copy(&n);
    for (int i = 0; i < n; i++) {
        if (!strcmp(users[i]->name, "default")) {
            struct acl_user *u = user_dup(users[i]);
            char err[128];
            acl_user_apply_rule(u, "resetpass", 9, err, sizeof(err));
            if (pass && *pass) {
                size_t len = strlen(pass);
                char *rule = malloc(len + 2);
                rule[0] = '>';
                memcpy(rule + 1, pass, len + 1);
                acl_user_apply_rule(u, rule, len + 1, err, sizeof(err));
                free(rule);
            } else {
                acl_user_apply_rule(u, "nopass", 6, err, sizeof(err));
            }
            users[i] = u;
        }
    }
    publish(users, n);
    pthread_mutex_unlock(&write_lock);
}

/* ---- sessions --------------------------------------------------------------- */

static const struct acl_client_ops *client_ops;

void acl_register_client_ops(const struct acl_client_ops *ops)
{
    client_ops = ops;
}

/* The caller of a command handler of this file (AUTH, ACL): c is a struct
 * client of net/, read through the registered operations. */
static void caller_of(struct client *c, struct acl_caller *out)
{
    memset(out, 0, sizeof(*out));
    if (c && client_ops)
        client_ops->caller(c, out);
}

/* The identity the audit log prints: NULL ("-") for a server event. */
static const char *caller_user(const struct acl_caller *who)
{
    return who && who->session ? acl_session_user(who->session) : NULL;
}

void acl_session_init(struct acl_session *s)
{
    struct acl_table *t = atomic_load(&current);
    const struct acl_user *d = t ? table_find(t, "default", 7) : NULL;
    s->version = t ? t->version : 0;
    s->user = d && (d->flags & USER_ON) && (d->flags & USER_NOPASS) ? d : NULL;
    s->user_name = "default"; /* never a pointer into a user: those are reclaimed */
}

const char *acl_session_user(const struct acl_session *s)
{
    return s->user ? s->user->name : (s->user_name ? s->user_name : "default");
}

int acl_session_needs_auth(const struct acl_session *s)
{
    return s->user == NULL;
}

/* Re-resolves the session's user in t: 0, or -1 when the user is gone
 * (Redis disconnects its clients). */
static int refresh_session(struct acl_session *s, const struct acl_table *t)
{
    s->version = t->version;
    if (!s->user)
        return 0;
    const struct acl_user *u = table_find(t, s->user->name, strlen(s->user->name));
    s->user = u;
    return u ? 0 : -1;
}

int acl_session_refresh(struct acl_session *s)
{
    struct acl_table *t = atomic_load_explicit(&current, memory_order_acquire);
    if (!t || s->version == t->version)
        return 0;
    return refresh_session(s, t);
}

void acl_thread_checkpoint(void (*refresh_sessions)(void *arg), void *arg)
{
    if (__builtin_expect(reader_slot < 0, 0)) {
        pthread_mutex_lock(&write_lock);
        int slot = atomic_load(&nreaders);
        if (slot >= ACL_MAX_READERS) {
            pthread_mutex_unlock(&write_lock);
            server_log(LL_WARNING, "ACL: too many reader threads; replaced user tables are kept until exit");
            reader_slot = ACL_MAX_READERS; /* never registered: blocks nothing, frees nothing early */
            return;
        }
        struct acl_table *t = atomic_load(&current);
        reader_seen_local = t ? t->version : 1;
        atomic_store(&reader_seen[slot], reader_seen_local);
        atomic_store(&nreaders, slot + 1);
        reader_slot = slot;
        pthread_mutex_unlock(&write_lock);
    }
    struct acl_table *t = atomic_load_explicit(&current, memory_order_acquire);
    if (!t || t->version == reader_seen_local || reader_slot >= ACL_MAX_READERS)
        return;
    /* Every session moves to t or a newer table: none still points into a
     * table older than t once this returns. */
    if (refresh_sessions)
        refresh_sessions(arg);
    reader_seen_local = t->version;
    atomic_store(&reader_seen[reader_slot], t->version);
    /* The last reader to pass a change frees it, not only the next change;
     * never waits for a writer. */
    if (pthread_mutex_trylock(&write_lock) == 0) {
        reclaim();
        pthread_mutex_unlock(&write_lock);
    }
}

int acl_session_unrestricted(const struct acl_session *s)
{
    struct acl_table *t = atomic_load_explicit(&current, memory_order_acquire);
    return s->user && s->version == t->version && s->user->all_commands &&
           (s->user->flags & (USER_ALLKEYS | USER_ALLCHANNELS)) == (USER_ALLKEYS | USER_ALLCHANNELS);
}

/* ---- ACL LOG ---------------------------------------------------------------- */

struct log_entry {
    long long count;
    char reason[16], context[16];
    char object[128], username[128];
    int64_t created_ms, updated_ms;
    char client_info[512];
};
#define LOG_MAX_DEFAULT 128
static struct log_entry *acl_log; /* newest first */
static int nlog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_add(const struct acl_caller *who, const char *reason, const char *object, size_t olen,
                    const char *username)
{
    char ctx[16];
    snprintf(ctx, sizeof(ctx), "%s", who && who->in_multi ? "multi" : "toplevel");
    int64_t now = wall_ms();
    pthread_mutex_lock(&log_lock);
    if (!acl_log)
        acl_log = calloc(LOG_MAX_DEFAULT, sizeof(*acl_log));
    int maxlen = init_cfg ? (int)init_cfg->acllog_max_len : LOG_MAX_DEFAULT;
    if (maxlen > LOG_MAX_DEFAULT)
        maxlen = LOG_MAX_DEFAULT;
    /* a similar entry of the last 60 s is updated instead (Redis) */
    for (int i = 0; i < nlog; i++) {
        struct log_entry *e = &acl_log[i];
        if (!strcmp(e->reason, reason) && !strcmp(e->context, ctx) && strlen(e->object) == (olen > 127 ? 127 : olen) &&
            !memcmp(e->object, object, strlen(e->object)) && !strcmp(e->username, username) &&
            now - e->updated_ms < 60000) {
            e->count++;
            e->updated_ms = now;
            struct log_entry moved = *e;
            memmove(&acl_log[1], &acl_log[0], (size_t)i * sizeof(*acl_log));
            acl_log[0] = moved;
            pthread_mutex_unlock(&log_lock);
            return;
        }
    }
    if (maxlen <= 0) {
        pthread_mutex_unlock(&log_lock);
        return;
    }
    if (nlog == maxlen)
        nlog--;
    memmove(&acl_log[1], &acl_log[0], (size_t)nlog * sizeof(*acl_log));
    struct log_entry *e = &acl_log[0];
    memset(e, 0, sizeof(*e));
    e->count = 1;
    snprintf(e->reason, sizeof(e->reason), "%s", reason);
    snprintf(e->context, sizeof(e->context), "%s", ctx);
    snprintf(e->object, sizeof(e->object), "%.*s", (int)(olen > 127 ? 127 : olen), object);
    snprintf(e->username, sizeof(e->username), "%s", username);
    e->created_ms = e->updated_ms = now;
    if (who && who->describe) {
        struct buf line = {0};
        who->describe(who->conn, &line, now);
        snprintf(e->client_info, sizeof(e->client_info), "%.*s",
                 (int)(line.len && line.data[line.len - 1] == '\n' ? line.len - 1 : line.len), line.data);
        buf_free(&line);
    }
    nlog++;
    pthread_mutex_unlock(&log_lock);
}

/* ---- the check -------------------------------------------------------------- */

static void upper_name(char *out, size_t outlen, const struct command *cmd, const struct command *sub)
{
    if (sub)
        snprintf(out, outlen, "%s|%s", cmd->name, sub->name);
    else
        snprintf(out, outlen, "%s", cmd->name);
}

/* Key specs with variable flags (Redis's per-command key callbacks): SET
 * reads its key only with GET; BITFIELD writes only with SET/INCRBY. */
static int variable_key_access(const struct command *cmd, int argc, const struct arg *argv)
{
    if (!strcmp(cmd->name, "set")) {
        for (int i = 3; i < argc; i++)
            if (arg_is(&argv[i], "get"))
                return 3;
        return 2;
    }
    if (!strcmp(cmd->name, "bitfield")) {
        for (int i = 2; i < argc; i++)
            if (arg_is(&argv[i], "set") || arg_is(&argv[i], "incrby"))
                return 3;
        return 1;
    }
    return 3;
}

/* Why `u` may not run the command: 0 allowed, else 1 command / 2 key / 3
 * channel with the offending argument in *bad. */
static int user_denies(const struct acl_user *u, const struct command *cmd, const struct command *sub, int argc,
                       const struct arg *argv, int *bad)
{
    /* AUTH, HELLO, QUIT and RESET are never refused by permissions (Redis's
     * no-auth flag): a restricted client can always switch to another user. */
    if (!(cmd->flags & CMD_NO_AUTH) && !acl_user_can_run(u, cmd, sub))
        return 1;
    const struct command *kc = sub ? sub : cmd;
    if (!(u->flags & USER_ALLKEYS) && (kc->first_key > 0 || kc->keynum_arg)) {
        int idx[256];
        int nk = command_key_positions(kc, argc, argv, idx, 256);
        const struct cmd_info *ci = &cmds[cmd_id(cmd, sub)];
        for (int i = 0; i < nk; i++) {
            int rw = 3;
            if (ci->nspecs == 1) {
                rw = ci->spec_rw[0];
            } else if (ci->nspecs == 2) {
                /* the spec whose search begins at or before this key, latest first */
                int later = ci->spec_index[1] > ci->spec_index[0];
                rw = idx[i] >= ci->spec_index[later] ? ci->spec_rw[later] : ci->spec_rw[!later];
            }
            if (rw & 4)
                rw = variable_key_access(kc, argc, argv);
            if (!acl_user_key_allowed(u, argv[idx[i]].ptr, argv[idx[i]].len, rw & 1, rw & 2)) {
                *bad = idx[i];
                return 2;
            }
        }
    }
    if (!(u->flags & USER_ALLCHANNELS) && cmd->acl_categories && strstr(cmd->acl_categories, "@pubsub")) {
        int publish = !strcmp(cmd->name, "publish") || !strcmp(cmd->name, "spublish");
        int last = publish ? 1 : argc - 1; /* PUBLISH channel message; SUBSCRIBE channel... */
        if (publish || !strcmp(cmd->name, "subscribe") || !strcmp(cmd->name, "psubscribe") ||
            !strcmp(cmd->name, "ssubscribe")) {
            for (int i = 1; i <= last && i < argc; i++) {
                if (!channel_allowed(u, argv[i].ptr, argv[i].len, !strcmp(cmd->name, "psubscribe"))) {
                    *bad = i;
                    return 3;
                }
            }
        }
    }
    return 0;
}

int acl_check(const struct acl_caller *who, const struct command *cmd, const struct command *sub, int argc,
              const struct arg *argv, char *err, size_t errlen)
{
    struct acl_session *c = who->session;
    struct acl_table *t = atomic_load_explicit(&current, memory_order_acquire);
    if (c->version != t->version && refresh_session(c, t) < 0) {
        snprintf(err, errlen, "NOAUTH Authentication required.");
        return 2;
    }
    if (!c->user) {
        if (cmd->flags & CMD_NO_AUTH)
            return 0;
        snprintf(err, errlen, "NOAUTH Authentication required.");
        return 1;
    }
    if (!(c->user->flags & USER_ON)) {
        snprintf(err, errlen, "NOAUTH Authentication required.");
        return 2;
    }
    if (c->user->all_commands && (c->user->flags & USER_ALLKEYS) && (c->user->flags & USER_ALLCHANNELS))
        return 0;
    int bad = 0;
    int why = user_denies(c->user, cmd, sub, argc, argv, &bad);
    if (!why)
        return 0;
    char name[128];
    upper_name(name, sizeof(name), cmd, sub);
    if (why == 1) {
        snprintf(err, errlen, "NOPERM this user has no permissions to run the '%s' command", name);
        log_add(who, "command", name, strlen(name), c->user->name);
        audit_log(who->addr, caller_user(who), "acl-denied", "reason=command object=%s", name);
    } else if (why == 2) {
        snprintf(err, errlen, "NOPERM this user has no permissions to access one of the keys used as arguments");
        log_add(who, "key", argv[bad].ptr, argv[bad].len, c->user->name);
        audit_log(who->addr, caller_user(who), "acl-denied", "reason=key command=%s", name);
    } else {
        snprintf(err, errlen, "NOPERM this user has no permissions to access one of the channels used as arguments");
        log_add(who, "channel", argv[bad].ptr, argv[bad].len, c->user->name);
        audit_log(who->addr, caller_user(who), "acl-denied", "reason=channel command=%s", name);
    }
    return 1;
}

static int password_ok(const struct acl_user *u, const char *pass, size_t plen)
{
    if (u->flags & USER_NOPASS)
        return 1;
    unsigned char h[32];
    sha256(pass, plen, h);
    int ok = 0;
    for (int i = 0; i < u->npass; i++)
        ok |= CRYPTO_memcmp(u->pass[i], h, 32) == 0; /* every hash compared: constant time */
    return ok;
}

int acl_authenticate(const struct acl_caller *who, const struct arg *cmdname, const char *user, size_t ulen,
                     const char *pass, size_t plen, char *err, size_t errlen)
{
    struct acl_table *t = atomic_load(&current);
    const struct acl_user *u = table_find(t, user, ulen);
    if (u && (u->flags & USER_ON) && password_ok(u, pass, plen)) {
        who->session->user = u;
        who->session->version = t->version;
        return 0;
    }
    snprintf(err, errlen, "WRONGPASS invalid username-password pair or user is disabled.");
    char uname[130];
    snprintf(uname, sizeof(uname), "%.*s", (int)(ulen > 128 ? 128 : ulen), user);
    log_add(who, "auth", cmdname ? cmdname->ptr : "auth", cmdname ? cmdname->len : 4, uname);
    audit_log(who->addr, caller_user(who), "auth-failed", "username=%s", uname);
    return -1;
}

int acl_login_user(struct acl_session *s, const char *username)
{
    struct acl_table *t = atomic_load(&current);
    const struct acl_user *u = table_find(t, username, strlen(username));
    if (!u || !(u->flags & USER_ON))
        return -1;
    s->user = u;
    s->version = t->version;
    return 0;
}

/* ---- AUTH and ACL commands -------------------------------------------------- */

/*
 * The AUTH failure limit, per source address (every connection from one
 * address shares it, whichever thread serves it). A password is always
 * checked, so the right one always logs in: a guesser cannot lock a user
 * out, not even one who connects from the guesser's own address. Each
 * failure counts for its address in the current second; beyond
 * `auth-max-failures-per-second`, a failing connection gets its WRONGPASS
 * and is closed, so a guesser gets that many answers a second per address
 * and then one per new TCP connection, and nothing sleeps on a shard thread.
 *
 * The table is small and fixed: a slot is found by hash with a short probe;
 * when every probed slot is busy with another address in this second, the
 * oldest is taken over (that address's count starts again: the limit is
 * best effort under an address flood, never a lockout). Failures are rare,
 * so one mutex is enough.
 */
#define AUTH_SLOTS 1024
#define AUTH_PROBE 8
struct auth_slot {
    char host[64];
    int64_t window_ms; /* start of the second being counted */
    long long failures;
};
static struct auth_slot auth_slots[AUTH_SLOTS];
static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;

/* "ip:port" -> "ip" (IPv6 addresses keep their own colons). */
static size_t addr_host_len(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    return colon ? (size_t)(colon - addr) : strlen(addr);
}

/* Counts a failed AUTH from addr; true when it is beyond the limit. */
static int auth_failure_over_limit(const char *addr, long long limit, int64_t now_ms)
{
    if (limit <= 0)
        return 0;
    size_t len = addr_host_len(addr);
    if (len >= sizeof(auth_slots[0].host))
        len = sizeof(auth_slots[0].host) - 1;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)addr[i]) * 1099511628211ULL;
    pthread_mutex_lock(&auth_lock);
    struct auth_slot *slot = NULL, *oldest = NULL;
    for (int i = 0; i < AUTH_PROBE && !slot; i++) {
        struct auth_slot *t = &auth_slots[(h + (uint64_t)i) % AUTH_SLOTS];
        if (strlen(t->host) == len && !memcmp(t->host, addr, len))
            slot = t;
        else if (!oldest || t->window_ms < oldest->window_ms)
            oldest = t;
    }
    if (!slot) {
        slot = oldest;
        memcpy(slot->host, addr, len);
        slot->host[len] = '\0';
        slot->window_ms = now_ms;
        slot->failures = 0;
    }
    if (now_ms - slot->window_ms >= 1000) {
        slot->window_ms = now_ms;
        slot->failures = 0;
    }
    int over = ++slot->failures > limit;
    pthread_mutex_unlock(&auth_lock);
    return over;
}

int acl_auth_failed(const struct acl_caller *who, long long limit, int64_t now_ms)
{
    if (!auth_failure_over_limit(who->addr, limit, now_ms))
        return 0;
    audit_log(who->addr, caller_user(who), "auth-failed", "rate-limited=yes connection=closed");
    return 1; /* the caller closes the connection after the reply */
}

void cmd_auth(struct cmd_ctx *c)
{
    struct acl_caller who;
    caller_of(c->client, &who);
    if (c->argc > 3) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    const char *user = "default";
    size_t ulen = 7;
    const struct arg *pass = &c->argv[1];
    if (c->argc == 3) {
        user = c->argv[1].ptr;
        ulen = c->argv[1].len;
        pass = &c->argv[2];
    } else {
        struct acl_table *t = atomic_load(&current);
        const struct acl_user *d = table_find(t, "default", 7);
        if (d && (d->flags & USER_NOPASS)) {
            reply_error(c->out, "ERR AUTH <password> called without any password configured for the default user. "
                                "Are you sure your configuration is correct?");
            return;
        }
    }
    char err[256];
    if (acl_authenticate(&who, &c->argv[0], user, ulen, pass->ptr, pass->len, err, sizeof(err)) < 0) {
        reply_error(c->out, err);
        if (acl_auth_failed(&who, c->cfg ? c->cfg->auth_max_failures_per_second : 10, c->now_ms))
            client_ops->close_after_reply(c->client);
        return;
    }
    reply_ok(c->out);
}

static void reply_user(struct cmd_ctx *c, const struct acl_user *u)
{
    reply_map(c->out, c->resp, 6);
    reply_bulk_cstr(c->out, "flags");
    int nflags = 1 + !!(u->flags & USER_NOPASS) + !!(u->flags & (USER_SANITIZE_PAYLOAD | USER_SKIP_SANITIZE_PAYLOAD));
    reply_set(c->out, c->resp, nflags);
    reply_bulk_cstr(c->out, u->flags & USER_ON ? "on" : "off");
    if (u->flags & USER_NOPASS)
        reply_bulk_cstr(c->out, "nopass");
    if (u->flags & USER_SKIP_SANITIZE_PAYLOAD)
        reply_bulk_cstr(c->out, "skip-sanitize-payload");
    if (u->flags & USER_SANITIZE_PAYLOAD)
        reply_bulk_cstr(c->out, "sanitize-payload");
    reply_bulk_cstr(c->out, "passwords");
    reply_array(c->out, u->npass);
    for (int i = 0; i < u->npass; i++) {
        char hex[65];
        hex32(u->pass[i], hex);
        reply_bulk_cstr(c->out, hex);
    }
    struct buf b = {0};
    reply_bulk_cstr(c->out, "commands");
    describe_commands(u, &b);
    reply_bulk(c->out, b.data ? b.data : "", b.len);
    b.len = 0;
    reply_bulk_cstr(c->out, "keys");
    describe_keys(u, &b);
    reply_bulk(c->out, b.data ? b.data : "", b.len);
    b.len = 0;
    reply_bulk_cstr(c->out, "channels");
    describe_channels(u, &b);
    reply_bulk(c->out, b.data ? b.data : "", b.len);
    buf_free(&b);
    reply_bulk_cstr(c->out, "selectors");
    reply_array(c->out, 0);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((*(struct acl_user *const *)a)->name, (*(struct acl_user *const *)b)->name);
}

/* Clients of users that were deleted are closed by refresh on their next
 * command; the table switch is enough here. */
static int acl_save_file(char *err, size_t errlen)
{
    struct acl_table *t = atomic_load(&current);
    struct buf out = {0};
    struct acl_user **sorted = malloc((size_t)t->nusers * sizeof(*sorted));
    memcpy(sorted, t->users, (size_t)t->nusers * sizeof(*sorted));
    qsort(sorted, (size_t)t->nusers, sizeof(*sorted), cmp_names);
    for (int i = 0; i < t->nusers; i++) {
        buf_append_str(&out, "user ");
        acl_user_describe(sorted[i], &out);
        buf_append_byte(&out, '\n');
    }
    free(sorted);
    char tmp[CONFIG_PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", aclfile, (int)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(out.data, 1, out.len, f) == out.len;
    if (f) {
        ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
    }
    buf_free(&out);
    if (!ok || rename(tmp, aclfile) < 0) {
        snprintf(err, errlen,
                 "There was an error trying to save the ACLs. Please check the server logs for more "
                 "information");
        server_log(LL_WARNING, "Opening temp ACL file for ACL SAVE: %s", strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void reply_log(struct cmd_ctx *c, long long count)
{
    pthread_mutex_lock(&log_lock);
    int n = nlog < count ? nlog : (int)count;
    reply_array(c->out, n);
    int64_t now = wall_ms();
    for (int i = 0; i < n; i++) {
        struct log_entry *e = &acl_log[i];
        reply_map(c->out, c->resp, 7);
        reply_bulk_cstr(c->out, "count");
        reply_integer(c->out, e->count);
        reply_bulk_cstr(c->out, "reason");
        reply_bulk_cstr(c->out, e->reason);
        reply_bulk_cstr(c->out, "context");
        reply_bulk_cstr(c->out, e->context);
        reply_bulk_cstr(c->out, "object");
        reply_bulk_cstr(c->out, e->object);
        reply_bulk_cstr(c->out, "username");
        reply_bulk_cstr(c->out, e->username);
        reply_bulk_cstr(c->out, "age-seconds");
        reply_double(c->out, c->resp, (double)(now - e->created_ms) / 1000.0);
        reply_bulk_cstr(c->out, "client-info");
        reply_bulk_cstr(c->out, e->client_info);
    }
    pthread_mutex_unlock(&log_lock);
}

static const char *const acl_help[] = {
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Print this help.",
};

void cmd_acl(struct cmd_ctx *c)
{
    struct acl_caller who;
    caller_of(c->client, &who);
    const struct arg *sub = &c->argv[1];
    char err[600];
    if (arg_is(sub, "setuser")) {
        if (c->argv[2].len == 0 || memchr(c->argv[2].ptr, ' ', c->argv[2].len)) {
            reply_error(c->out, "ERR Usernames can't contain spaces or null characters");
            return;
        }
        pthread_mutex_lock(&write_lock);
        int n;
        struct acl_user **users = users_copy(&n);
        char **words = malloc((size_t)(c->argc - 2) * sizeof(char *));
        size_t *lens = malloc((size_t)(c->argc - 2) * sizeof(size_t));
        for (int i = 2; i < c->argc; i++) {
            words[i - 2] = (char *)c->argv[i].ptr;
            lens[i - 2] = c->argv[i].len;
        }
        int rc = setuser_words(&users, &n, c->argc - 2, words, lens, err, sizeof(err));
        free(words);
        free(lens);
        if (rc < 0) {
            free(users);
            pthread_mutex_unlock(&write_lock);
            char full[700];
            snprintf(full, sizeof(full), "ERR %s", err);
            reply_error(c->out, full);
            return;
        }
        publish(users, n);
        pthread_mutex_unlock(&write_lock);
        audit_log(who.addr, caller_user(&who), "acl-change", "ACL SETUSER %.*s",
                  (int)(c->argv[2].len > 64 ? 64 : c->argv[2].len), c->argv[2].ptr);
        reply_ok(c->out);
    } else if (arg_is(sub, "getuser")) {
        struct acl_table *t = atomic_load(&current);
        const struct acl_user *u = table_find(t, c->argv[2].ptr, c->argv[2].len);
        if (!u)
            reply_null(c->out, c->resp);
        else
            reply_user(c, u);
    } else if (arg_is(sub, "deluser")) {
        pthread_mutex_lock(&write_lock);
        for (int i = 2; i < c->argc; i++) {
            if (c->argv[i].len == 7 && !memcmp(c->argv[i].ptr, "default", 7)) {
                pthread_mutex_unlock(&write_lock);
                reply_error(c->out, "ERR The 'default' user cannot be removed");
                return;
            }
        }
        int n, deleted = 0;
        struct acl_user **users = users_copy(&n);
        for (int i = 2; i < c->argc; i++) {
            for (int j = 0; j < n; j++) {
                if (strlen(users[j]->name) == c->argv[i].len &&
                    !memcmp(users[j]->name, c->argv[i].ptr, c->argv[i].len)) {
                    users[j] = users[--n];
                    deleted++;
                    break;
                }
            }
        }
        if (deleted)
            publish(users, n);
        else
            free(users);
        pthread_mutex_unlock(&write_lock);
        if (deleted)
            audit_log(who.addr, caller_user(&who), "acl-change", "ACL DELUSER (%d users)", deleted);
        reply_integer(c->out, deleted);
    } else if (arg_is(sub, "list") || arg_is(sub, "users")) {
        if (c->argc != 2) {
            reply_errorf(c->out, "ERR wrong number of arguments for 'acl|%s' command",
                         arg_is(sub, "list") ? "list" : "users");
            return;
        }
        struct acl_table *t = atomic_load(&current);
        struct acl_user **sorted = malloc((size_t)t->nusers * sizeof(*sorted));
        memcpy(sorted, t->users, (size_t)t->nusers * sizeof(*sorted));
        qsort(sorted, (size_t)t->nusers, sizeof(*sorted), cmp_names);
        reply_array(c->out, t->nusers);
        for (int i = 0; i < t->nusers; i++) {
            if (arg_is(sub, "users")) {
                reply_bulk_cstr(c->out, sorted[i]->name);
            } else {
                struct buf line = {0};
                buf_append_str(&line, "user ");
                acl_user_describe(sorted[i], &line);
                reply_bulk(c->out, line.data, line.len);
                buf_free(&line);
            }
        }
        free(sorted);
    } else if (arg_is(sub, "whoami")) {
        reply_bulk_cstr(c->out, acl_session_user(who.session));
    } else if (arg_is(sub, "cat")) {
        if (c->argc == 2) {
            reply_array(c->out, NCATEGORIES);
            for (int i = 0; i < NCATEGORIES; i++)
                reply_bulk_cstr(c->out, category_names[i]);
            return;
        }
        int cat = category_index(c->argv[2].ptr, c->argv[2].len);
        if (cat < 0) {
            reply_errorf(c->out, "ERR Unknown category '%.*s'", (int)(c->argv[2].len > 64 ? 64 : c->argv[2].len),
                         c->argv[2].ptr);
            return;
        }
        struct buf names = {0};
        long long n = 0;
        for (int i = 0; i < ncmds; i++) {
            if (!(cmds[i].categories & (1u << cat)))
                continue;
            char name[128];
            upper_name(name, sizeof(name), cmds[i].parent ? cmds[i].parent : cmds[i].cmd,
                       cmds[i].parent ? cmds[i].cmd : NULL);
            reply_bulk_cstr(&names, name);
            n++;
        }
        reply_array(c->out, n);
        buf_append(c->out, names.data, names.len);
        buf_free(&names);
    } else if (arg_is(sub, "genpass")) {
        long long bits = 256;
        if (c->argc == 3 && (!string2ll(c->argv[2].ptr, c->argv[2].len, &bits) || bits <= 0 || bits > 4096)) {
            reply_error(c->out, "ERR ACL GENPASS argument must be the number of bits for the output password, a "
                                "positive number up to 4096");
            return;
        }
        size_t chars = (size_t)(bits + 3) / 4;
        unsigned char raw[512];
        RAND_bytes(raw, (int)((chars + 1) / 2));
        char hex[1025];
        for (size_t i = 0; i < (chars + 1) / 2; i++)
            snprintf(hex + 2 * i, 3, "%02x", raw[i]);
        reply_bulk(c->out, hex, chars);
    } else if (arg_is(sub, "dryrun")) {
        struct acl_table *t = atomic_load(&current);
        const struct acl_user *u = table_find(t, c->argv[2].ptr, c->argv[2].len);
        if (!u) {
            reply_errorf(c->out, "ERR User '%.*s' not found", (int)(c->argv[2].len > 64 ? 64 : c->argv[2].len),
                         c->argv[2].ptr);
            return;
        }
        const struct command *cmd = command_lookup_renamed(c->argv[3].ptr, c->argv[3].len);
        if (!cmd) {
            reply_errorf(c->out, "ERR Command '%.*s' not found", (int)(c->argv[3].len > 64 ? 64 : c->argv[3].len),
                         c->argv[3].ptr);
            return;
        }
        int argc = c->argc - 3;
        const struct arg *argv = c->argv + 3;
        const struct command *scmd = NULL;
        if (cmd->subcommands && argc >= 2)
            scmd = command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
        if (!command_arity_ok(scmd ? scmd : cmd, argc)) {
            reply_errorf(c->out, "ERR wrong number of arguments for '%s' command", cmd->name);
            return;
        }
        int bad = 0;
        int why = user_denies(u, cmd, scmd, argc, argv, &bad);
        char name[128];
        upper_name(name, sizeof(name), cmd, scmd);
        if (!why) {
            reply_ok(c->out);
        } else if (why == 1) {
            char msg[256];
            int n = snprintf(msg, sizeof(msg), "This user has no permissions to run the '%s' command", name);
            reply_bulk(c->out, msg, (size_t)n);
        } else {
            char msg[256];
            int n =
                snprintf(msg, sizeof(msg), "This user has no permissions to access the '%.*s' %s",
                         (int)(argv[bad].len > 128 ? 128 : argv[bad].len), argv[bad].ptr, why == 2 ? "key" : "channel");
            reply_bulk(c->out, msg, (size_t)n);
        }
    } else if (arg_is(sub, "log")) {
        long long count = 10;
        if (c->argc == 3) {
            if (arg_is(&c->argv[2], "reset")) {
                pthread_mutex_lock(&log_lock);
                nlog = 0;
                pthread_mutex_unlock(&log_lock);
                reply_ok(c->out);
                return;
            }
            if (!string2ll(c->argv[2].ptr, c->argv[2].len, &count) || count < 0) {
                reply_error(c->out, "ERR value is out of range, must be positive");
                return;
            }
        }
        reply_log(c, count);
    } else if (arg_is(sub, "save") || arg_is(sub, "load")) {
        if (!aclfile[0]) {
            reply_error(c->out,
                        "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
                        "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
                        "Redis configuration file set) in order to store users in the Redis configuration.");
            return;
        }
        pthread_mutex_lock(&write_lock);
        int rc = arg_is(sub, "save") ? acl_save_file(err, sizeof(err))
                                     : load_aclfile(c->cfg ? c->cfg->requirepass : "", err, sizeof(err));
        pthread_mutex_unlock(&write_lock);
        if (rc < 0) {
            char full[700];
            snprintf(full, sizeof(full), "ERR %s", err);
            reply_error(c->out, full);
            return;
        }
        audit_log(who.addr, caller_user(&who), "acl-change", "ACL %s", arg_is(sub, "save") ? "SAVE" : "LOAD");
        reply_ok(c->out);
    } else if (arg_is(sub, "help")) {
        int n = (int)(sizeof(acl_help) / sizeof(*acl_help));
        reply_array(c->out, n);
        for (int i = 0; i < n; i++)
            reply_simple(c->out, acl_help[i]);
    }
}

/* ---- protected mode ----------------------------------------------------------- */

const char acl_denied_message[] =
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the "
    "default user. In this mode connections are only accepted from the loopback interface. If you want to connect "
    "from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode "
    "sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the "
    "same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
    "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode "
    "by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the "
    "server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.";

int acl_protected_mode_denies(const struct config *cfg, const char *addr)
{
    if (!cfg->protected_mode)
        return 0;
    /* Redis's islocalClient: exactly 127.0.0.1 or ::1 (other 127/8
     * addresses are not local to it), or a unix socket. */
    size_t host = addr_host_len(addr);
    if ((host == 9 && !memcmp(addr, "127.0.0.1", 9)) || (host == 3 && !memcmp(addr, "::1", 3)) ||
        (host == 5 && !memcmp(addr, "[::1]", 5)) || addr[0] == '/' || !strncmp(addr, "unix", 4))
        return 0;
    struct acl_table *t = atomic_load(&current);
    const struct acl_user *d = t ? table_find(t, "default", 7) : NULL;
    if (d && !(d->flags & USER_NOPASS))
        return 0;
    return 1;
}
