# test/bench/collgen.awk - RESP commands that build collections, written to
# stdout for `redis-cli --pipe`. test/bench/bench.sh uses it for the collection
# memory table and to prefill the keys of the LPOP, RPOP, SPOP and LRANGE_100
# rows; it holds no state and reads no input.
#
#   awk -f test/bench/collgen.awk -v kind=KIND [-v keys=N] [-v elems=M]
#       [-v chunk=C] [-v key=NAME] [-v size=S]
#
#   kind        commands written
#   hash        N x HSET hash:%08d f0 V ... f(M-1) V; V = "v%07d" (8 bytes,
#               a different number for every field of every key)
#   set         N x SADD set:%08d 1 2 ... M (small integers)
#   zset        N x ZADD zset:%08d 1 m1 2 m2 ... M mM (member mJ, score J)
#   list        for each of N keys list:%08d: RPUSH of item:1 ... item:M in
#               commands of at most C elements
#   fill-list   RPUSH NAME of M elements of S bytes ("xxx...", what
#               redis-benchmark's LPUSH pushes with -d S), C per command
#   fill-set    SADD NAME of element:%012d for 0 .. M-1 (the shape of
#               redis-benchmark's SADD members), C per command
#
# Defaults: keys 1, elems 10, chunk 100, key "mylist", size 64.
# Every argument is written as a RESP bulk string with its length, straight to
# stdout. mawk writes the 10^7 elements of the default list load (143 MB) in
# about 3 CPU-seconds.

function arg(s) {
    printf "$%d\r\n%s\r\n", length(s), s
}
# starts a command of argc arguments (the name included); arg() writes the rest
function begin_cmd(argc, name) {
    printf "*%d\r\n", argc
    arg(name)
}
# RPUSH / SADD NAME of n elements, chunk per command: what "x" = S-byte
# values, otherwise element:%012d with the element's number
function fill(cmd, name, n, what,    lo, hi, j) {
    for (lo = 0; lo < n; lo += chunk) {
        hi = lo + chunk < n ? lo + chunk : n
        begin_cmd(2 + hi - lo, cmd)
        arg(name)
        for (j = lo; j < hi; j++) {
            if (what == "x")
                arg(xvalue)
            else
                arg(sprintf("element:%012d", j))
        }
    }
}

BEGIN {
    if (keys == "") keys = 1
    if (elems == "") elems = 10
    if (chunk == "") chunk = 100
    if (key == "") key = "mylist"
    if (size == "") size = 64
    keys += 0; elems += 0; chunk += 0; size += 0
    if (keys < 1 || elems < 1 || chunk < 1 || size < 1) {
        print "collgen.awk: keys, elems, chunk and size must be positive" > "/dev/stderr"
        exit 2
    }
    if (kind == "hash") {
        for (i = 0; i < keys; i++) {
            begin_cmd(2 + 2 * elems, "HSET")
            arg(sprintf("hash:%08d", i))
            for (j = 0; j < elems; j++) {
                arg("f" j)
                arg(sprintf("v%07d", (i * elems + j) % 10000000))
            }
        }
    } else if (kind == "set") {
        for (i = 0; i < keys; i++) {
            begin_cmd(2 + elems, "SADD")
            arg(sprintf("set:%08d", i))
            for (j = 1; j <= elems; j++) arg(j)
        }
    } else if (kind == "zset") {
        for (i = 0; i < keys; i++) {
            begin_cmd(2 + 2 * elems, "ZADD")
            arg(sprintf("zset:%08d", i))
            for (j = 1; j <= elems; j++) {
                arg(j)
                arg("m" j)
            }
        }
    } else if (kind == "list") {
        for (i = 0; i < keys; i++) {
            name = sprintf("list:%08d", i)
            for (lo = 1; lo <= elems; lo += chunk) {
                hi = lo + chunk <= elems + 1 ? lo + chunk : elems + 1
                begin_cmd(2 + hi - lo, "RPUSH")
                arg(name)
                for (j = lo; j < hi; j++) arg("item:" j)
            }
        }
    } else if (kind == "fill-list") {
        xvalue = sprintf("%" size "s", "")
        gsub(/ /, "x", xvalue)
        fill("RPUSH", key, elems, "x")
    } else if (kind == "fill-set") {
        fill("SADD", key, elems, "element")
    } else {
        print "collgen.awk: unknown kind '" kind "' (hash set zset list fill-list fill-set)" > "/dev/stderr"
        exit 2
    }
}
