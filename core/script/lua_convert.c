/*
 * lua_convert.c - RESP <-> Lua conversion of scripts (rules in
 * lua_convert.h). Pure; the caller's thread owns the lua_State.
 */
#include "core/script/lua_convert.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"

#define MAX_DEPTH 200

/* The line starting at p (without CRLF); NULL when incomplete. */
static const char *line_end(const char *p, const char *end)
{
    const char *q = memchr(p, '\r', (size_t)(end - p));
    if (!q || q + 1 >= end || q[1] != '\n')
        return NULL;
    return q;
}

static int parse_ll(const char *p, const char *e, long long *v)
{
    char tmp[32];
    size_t n = (size_t)(e - p);
    if (n == 0 || n >= sizeof(tmp))
        return 0;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *endp;
    *v = strtoll(tmp, &endp, 10);
    return *endp == '\0';
}

static const char *push_value(lua_State *L, const char *p, const char *end, int depth);

/* Pushes n elements into the table on top: array (kind 0), map fields
 * (kind 1: t[k] = v), set members (kind 2: t[m] = true). */
static const char *push_elements(lua_State *L, const char *p, const char *end, long long n, int kind, int depth)
{
    for (long long i = 0; i < n; i++) {
        if (kind == 0) {
            if (!(p = push_value(L, p, end, depth + 1)))
                return NULL;
            lua_rawseti(L, -2, (int)(i + 1));
        } else if (kind == 1) {
            if (!(p = push_value(L, p, end, depth + 1)))
                return NULL;
            if (!(p = push_value(L, p, end, depth + 1))) {
                lua_pop(L, 1);
                return NULL;
            }
            if (lua_isnil(L, -2)) { /* a nil key cannot index a table */
                lua_pop(L, 2);
                continue;
            }
            lua_rawset(L, -3);
        } else {
            if (!(p = push_value(L, p, end, depth + 1)))
                return NULL;
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                continue;
            }
            lua_pushboolean(L, 1);
            lua_rawset(L, -3);
        }
    }
    return p;
}

static const char *push_value(lua_State *L, const char *p, const char *end, int depth)
{
    if (depth > MAX_DEPTH || p >= end || !lua_checkstack(L, 5))
        return NULL;
    char type = *p;
    const char *e = line_end(p + 1, end);
    if (!e)
        return NULL;
    const char *body = p + 1;
    const char *next = e + 2;
    long long n;
    switch (type) {
    case ':':
        if (!parse_ll(body, e, &n))
            return NULL;
        lua_pushnumber(L, (lua_Number)n);
        return next;
    case '+':
        lua_newtable(L);
        lua_pushlstring(L, body, (size_t)(e - body));
        lua_setfield(L, -2, "ok");
        return next;
    case '-':
        lua_push_error_table(L, p, (size_t)(e - p));
        return next;
    case '_':
        lua_pushnil(L);
        return next;
    case '#':
        lua_pushboolean(L, *body == 't');
        return next;
    case ',': {
        char tmp[64];
        size_t len = (size_t)(e - body);
        if (len >= sizeof(tmp))
            return NULL;
        memcpy(tmp, body, len);
        tmp[len] = '\0';
        lua_newtable(L);
        lua_pushnumber(L, strtod(tmp, NULL)); /* "inf", "-inf" and "nan" too */
        lua_setfield(L, -2, "double");
        return next;
    }
    case '(':
        lua_newtable(L);
        lua_pushlstring(L, body, (size_t)(e - body));
        lua_setfield(L, -2, "big_number");
        return next;
    case '$':
    case '=':
        if (!parse_ll(body, e, &n))
            return NULL;
        if (n < 0) {
            lua_pushboolean(L, 0);
            return next;
        }
        if ((long long)(end - next) < n + 2)
            return NULL;
        if (type == '=' && n >= 4) {
            lua_newtable(L);
            lua_newtable(L);
            lua_pushlstring(L, next, 3);
            lua_setfield(L, -2, "format");
            lua_pushlstring(L, next + 4, (size_t)n - 4);
            lua_setfield(L, -2, "string");
            lua_setfield(L, -2, "verbatim_string");
        } else {
            lua_pushlstring(L, next, (size_t)n);
        }
        return next + n + 2;
    case '*':
    case '>':
    case '%':
    case '~':
    case '|': {
        if (!parse_ll(body, e, &n))
            return NULL;
        if (n < 0) {
            lua_pushboolean(L, 0);
            return next;
        }
        if (type == '|') { /* attributes: skipped, the value follows */
            lua_newtable(L);
            const char *q = push_elements(L, next, end, n, 1, depth);
            lua_pop(L, 1);
            return q ? push_value(L, q, end, depth + 1) : NULL;
        }
        lua_newtable(L);
        if (type == '%' || type == '~') {
            lua_newtable(L);
            const char *q = push_elements(L, next, end, n, type == '%' ? 1 : 2, depth);
            if (!q) {
                lua_pop(L, 2);
                return NULL;
            }
            lua_setfield(L, -2, type == '%' ? "map" : "set");
            return q;
        }
        const char *q = push_elements(L, next, end, n, 0, depth);
        if (!q) {
            lua_pop(L, 1);
            return NULL;
        }
        return q;
    }
    default:
        return NULL;
    }
}

size_t lua_push_resp(lua_State *L, const char *p, size_t len)
{
    int top = lua_gettop(L);
    const char *q = push_value(L, p, p + len, 0);
    if (!q) {
        lua_settop(L, top);
        return 0;
    }
    return (size_t)(q - p);
}

void lua_push_error_table(lua_State *L, const char *msg, size_t len)
{
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        len--;
    luaL_Buffer b;
    lua_newtable(L);
    luaL_buffinit(L, &b);
    if (len && msg[0] == '-') {
        const char *sp = memchr(msg, ' ', len);
        if (!sp) {
            luaL_addstring(&b, "ERR ");
            luaL_addlstring(&b, msg + 1, len - 1);
        } else {
            luaL_addlstring(&b, msg + 1, len - 1);
        }
    } else {
        luaL_addstring(&b, "ERR ");
        luaL_addlstring(&b, msg, len);
    }
    luaL_pushresult(&b);
    lua_setfield(L, -2, "err");
}

/* A string field of the table on top, NULL when absent or not a string. */
static const char *string_field(lua_State *L, const char *name, size_t *len)
{
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 1);
        return NULL;
    }
    const char *s = lua_tolstring(L, -1, len); /* stays valid: the table holds it */
    lua_pop(L, 1);
    return s;
}

static void status_or_error(struct buf *out, char kind, const char *s, size_t len)
{
    buf_append_byte(out, kind);
    char *d = buf_reserve(out, len);
    for (size_t i = 0; i < len; i++)
        d[i] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
    out->len += len;
    buf_append(out, "\r\n", 2);
}

static void to_resp(lua_State *L, struct buf *out, int script_resp, int caller_resp, int depth)
{
    if (depth > MAX_DEPTH || !lua_checkstack(L, 4)) {
        reply_error(out, "ERR reached lua stack limit");
        lua_pop(L, 1);
        return;
    }
    size_t len;
    const char *s;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &len);
        reply_bulk(out, s, len);
        break;
    case LUA_TBOOLEAN:
        if (script_resp == 2) {
            if (lua_toboolean(L, -1))
                reply_integer(out, 1);
            else
                reply_null(out, caller_resp);
        } else {
            reply_bool(out, caller_resp, lua_toboolean(L, -1));
        }
        break;
    case LUA_TNUMBER:
        reply_integer(out, (long long)lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if ((s = string_field(L, "err", &len))) {
            /* Redis: "-" + the message (which carries its code) */
            status_or_error(out, '-', s, len);
            break;
        }
        if ((s = string_field(L, "ok", &len))) {
            status_or_error(out, '+', s, len);
            break;
        }
        lua_pushstring(L, "double");
        lua_rawget(L, -2);
        if (lua_type(L, -1) == LUA_TNUMBER) {
            reply_double(out, caller_resp, lua_tonumber(L, -1));
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
        if ((s = string_field(L, "big_number", &len))) {
            char *tmp = malloc(len + 1);
            for (size_t i = 0; i < len; i++)
                tmp[i] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
            reply_bignum(out, caller_resp, tmp, len);
            free(tmp);
            break;
        }
        lua_pushstring(L, "verbatim_string");
        lua_rawget(L, -2);
        if (lua_type(L, -1) == LUA_TTABLE) {
            size_t flen, slen;
            const char *fmt = string_field(L, "format", &flen);
            const char *str = string_field(L, "string", &slen);
            if (fmt && str) {
                char ext[4] = {0};
                memcpy(ext, fmt, flen < 3 ? flen : 3);
                reply_verbatim(out, caller_resp, str, slen, ext);
                lua_pop(L, 1);
                break;
            }
        }
        lua_pop(L, 1);
        lua_pushstring(L, "map");
        lua_rawget(L, -2);
        if (lua_type(L, -1) == LUA_TTABLE) {
            long long n = 0;
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                n++;
                lua_pop(L, 1);
            }
            reply_map(out, caller_resp, n);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pushvalue(L, -2); /* key copy on top */
                to_resp(L, out, script_resp, caller_resp, depth + 1);
                to_resp(L, out, script_resp, caller_resp, depth + 1); /* the value */
            }
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
        lua_pushstring(L, "set");
        lua_rawget(L, -2);
        if (lua_type(L, -1) == LUA_TTABLE) {
            long long n = 0;
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                n++;
                lua_pop(L, 1);
            }
            reply_set(out, caller_resp, n);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                to_resp(L, out, script_resp, caller_resp, depth + 1);
            }
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
        {
            /* An array: elements 1..n up to the first nil. */
            size_t hdr = out->len;
            reply_array(out, 0);
            size_t hdr_end = out->len;
            long long n = 0;
            for (;;) {
                lua_rawgeti(L, -1, (int)(n + 1));
                if (lua_isnil(L, -1)) {
                    lua_pop(L, 1);
                    break;
                }
                to_resp(L, out, script_resp, caller_resp, depth + 1);
                n++;
            }
            if (n) { /* rewrite the header with the count */
                char head[32];
                int hl = snprintf(head, sizeof(head), "*%lld\r\n", n);
                size_t old = hdr_end - hdr;
                if ((size_t)hl != old) {
                    buf_reserve(out, (size_t)hl - old);
                    memmove(out->data + hdr + hl, out->data + hdr_end, out->len - hdr_end);
                    out->len = out->len - old + (size_t)hl;
                }
                memcpy(out->data + hdr, head, (size_t)hl);
            }
        }
        break;
    default:
        reply_null(out, caller_resp);
        break;
    }
    lua_pop(L, 1);
}

void lua_pop_to_resp(lua_State *L, struct buf *out, int script_resp, int caller_resp)
{
    to_resp(L, out, script_resp, caller_resp, 0);
}
