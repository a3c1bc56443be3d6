/*
 * lua_convert.h - Redis's type conversion rules between RESP replies and
 * Lua values, both ways, as Redis 7.0 applies them to scripts:
 *
 *   RESP -> Lua (what redis.call returns):
 *     integer -> number, bulk -> string, null bulk / null array -> false,
 *     array -> table, status -> {ok=s}, error -> {err=s};
 *     RESP3 (redis.setresp(3)): null -> nil, map -> {map={k=v}},
 *     set -> {set={m=true}}, boolean -> boolean, double -> {double=n},
 *     big number -> {big_number=s}, verbatim -> {verbatim_string={format,string}},
 *     attributes skipped.
 *   Lua -> RESP (what the script returns):
 *     string -> bulk, number -> integer (truncated towards zero),
 *     true -> :1 and false -> null (script in RESP2) or booleans (RESP3),
 *     nil -> null, {err=s} -> error, {ok=s} -> status, under RESP3
 *     {double=n}, {big_number=s}, {map=t}, {set=t}, {verbatim_string=...};
 *     any other table -> array of its elements 1..n up to the first nil.
 *
 * Pure: no threads, no engine; runs on whichever thread owns the lua_State.
 * Invariant: both directions keep the Lua stack balanced and check its
 * room (deep replies get an error, never a C stack overflow).
 */
#ifndef SHARDIS_LUA_CONVERT_H
#define SHARDIS_LUA_CONVERT_H

#include <lua.h>
#include <stddef.h>

#include "core/base/buf.h"

/* Pushes the Lua value of the RESP reply at p[0..len) (one complete reply,
 * as a command handler writes it). Returns the bytes consumed, or 0 when
 * the reply is malformed or nested too deep (then nothing is pushed). */
size_t lua_push_resp(lua_State *L, const char *p, size_t len);

/* Pops the value on top of the stack and writes its RESP reply into out for
 * a caller speaking `caller_resp`, the script having selected `script_resp`
 * (redis.setresp). */
void lua_pop_to_resp(lua_State *L, struct buf *out, int script_resp, int caller_resp);

/* Error texts as Redis turns them into {err=...}: "-CODE msg\r\n" (a
 * reply's error line) becomes "CODE msg", "-msg" without a space "ERR msg",
 * and a bare message "ERR msg". Pushes the table {err=...}. */
void lua_push_error_table(lua_State *L, const char *msg, size_t len);

#endif
