/*
 * server.c - the process-wide pieces shared by the shard threads: publishing
 * a new configuration and asking for shutdown. See server.h.
 *
 * Threads: any thread may publish a configuration or ask for shutdown (both
 * are lock-free). Invariants: a published configuration is never freed
 * before exit (readers may hold it for a loop iteration); the publish
 * listener is set at start-up, before any thread publishes, and only calls
 * up the layers through that pointer.
 */
#include "core/base/server.h"

#include <stdlib.h>
#include <string.h>

struct server *the_server;

static void (*config_published)(const struct config *cfg);

void server_on_config_published(void (*fn)(const struct config *cfg))
{
    config_published = fn;
}

int server_update_config(struct server *srv, int (*edit)(struct config *cfg, void *arg), void *arg)
{
    for (;;) {
        struct config *cur = atomic_load(&srv->config);
        struct config *copy = malloc(sizeof(*copy));
        memcpy(copy, cur, sizeof(*copy));
        int rc = edit(copy, arg);
        if (rc != 0) {
            free(copy);
            return rc;
        }
        if (atomic_compare_exchange_strong(&srv->config, &cur, copy)) {
            if (config_published)
                config_published(copy); /* e.g. new entries' LRU/LFU field */
            /* Readers may still hold `cur` for the rest of their loop
             * iteration: keep it until exit. */
            struct retired_config *r = malloc(sizeof(*r));
            r->cfg = cur;
            r->next = atomic_load(&srv->retired);
            while (!atomic_compare_exchange_weak(&srv->retired, &r->next, r))
                ;
            return 0;
        }
        free(copy); /* someone else published first: redo on the new one */
    }
}

void server_request_shutdown(struct server *srv, int exit_code)
{
    atomic_store(&srv->shutdown_exit_code, exit_code);
    atomic_store(&srv->shutdown_requested, 1);
}
