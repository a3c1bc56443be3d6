/*
 * lazyfree.c - the engine's background freeing thread (see
 * core/types/lazyfree.h for what goes to it and shards/lazyfree.h here).
 *
 * One thread, started on first use, waits on a condition variable for jobs
 * (an entry or a whole detached db) and frees them in FIFO order. Counters
 * are atomics read by INFO. The thread is detached and never stopped: at
 * exit whatever is still queued is released with the process.
 *
 * Threads: shard threads enqueue (through core/types/lazyfree.c's
 * background hook, installed by lazyfree_thread_install at start-up); the
 * lazyfree thread alone frees what was queued, which no shard can reach
 * any more. The queue is the only shared state (a mutex and two condition
 * variables; the path is not hot).
 */
#include "shards/lazyfree.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/types/lazyfree.h"

struct lazy_job {
    struct lazy_job *next;
    struct db_entry *entry; /* or */
    struct db *db;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static struct lazy_job *head, *tail;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static atomic_size_t pending, freed;
static int busy; /* the thread is freeing a job (under lock) */

static void *lazyfree_main(void *arg)
{
    (void)arg;
    evict_thread_register(); /* it frees what shards allocated */
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!head) {
            busy = 0;
            pthread_cond_broadcast(&idle);
            pthread_cond_wait(&wake, &lock);
        }
        struct lazy_job *job = head;
        head = job->next;
        if (!head)
            tail = NULL;
        busy = 1;
        pthread_mutex_unlock(&lock);
        if (job->entry)
            entry_free(job->entry);
        else
            db_destroy(job->db);
        free(job);
        atomic_fetch_sub(&pending, 1);
        atomic_fetch_add(&freed, 1);
    }
    return NULL;
}

static void start_thread(void)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, lazyfree_main, NULL) != 0)
        abort(); /* no thread: nothing could ever be freed lazily */
    pthread_attr_destroy(&attr);
}

/* The background hook of core/types/lazyfree.c: hands e (or db) to the thread. */
static void enqueue(struct db_entry *e, struct db *db)
{
    pthread_once(&started, start_thread);
    struct lazy_job *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->entry = e;
    job->db = db;
    atomic_fetch_add(&pending, 1);
    pthread_mutex_lock(&lock);
    if (tail)
        tail->next = job;
    else
        head = job;
    tail = job;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

void lazyfree_thread_install(void)
{
    lazyfree_set_background(enqueue);
}

size_t lazyfree_pending(void)
{
    return atomic_load(&pending);
}

size_t lazyfree_freed(void)
{
    return atomic_load(&freed);
}

void lazyfree_drain(void)
{
    pthread_mutex_lock(&lock);
    while (head || busy)
        pthread_cond_wait(&idle, &lock);
    pthread_mutex_unlock(&lock);
}
