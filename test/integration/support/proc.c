/*
 * proc.c - processes, ports and the environment of the integration tests
 * (see proc.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the CMake build defines it; for stand-alone builds */
#endif
#include "proc.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind port 0: %s", strerror(errno));
    socklen_t len = sizeof(addr);
    cr_assert(getsockname(fd, (struct sockaddr *)&addr, &len) == 0, "getsockname: %s", strerror(errno));
    close(fd);
    return ntohs(addr.sin_port);
}

int env_threads(void)
{
    const char *threads = getenv("SHARDIS_THREADS");
    return threads != NULL && atoi(threads) > 0 ? atoi(threads) : 2;
}

bool env_is_redis(void)
{
    const char *exe = getenv("SHARDIS_SERVER");
    if (exe == NULL)
        return false;
    const char *base = strrchr(exe, '/');
    return strcmp(base != NULL ? base + 1 : exe, "redis-server") == 0;
}

char *run_capture(const char *command, int *status)
{
    FILE *pipe = popen(command, "r");
    cr_assert(pipe != NULL, "popen %s: %s", command, strerror(errno));
    size_t cap = 65536, len = 0, n;
    char *out = malloc(cap);
    while ((n = fread(out + len, 1, cap - len - 1, pipe)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    out[len] = '\0';
    *status = pclose(pipe);
    return out;
}
