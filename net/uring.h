/*
 * uring.h - a thread's io_uring as the network layer uses it: the ring's
 * set-up, the provided receive buffers, and the user_data encoding every
 * SQE of the server carries.
 *
 * user_data is a pointer (8-byte aligned) with a 3-bit tag in its low bits
 * saying what completed (enum tag). The thread's loop reaps completions and
 * hands the network tags (accept, recv, send) to net/listener.c and
 * net/conn.c, the others to their owners (persist/, the mailbox wake-ups).
 *
 * Owner: one thread. A struct net_loop, its ring and its buffers are only
 * touched by the thread that set them up; other threads only post
 * IORING_OP_MSG_RING wake-ups to the ring's fd (uring_prep_wake).
 */
#ifndef SHARDIS_NET_URING_H
#define SHARDIS_NET_URING_H

#include <liburing.h>
#include <stddef.h>
#include <stdint.h>

struct listener;
struct net_service;

/* Low bits of an SQE's user_data: what completed. */
enum tag { TAG_ACCEPT = 1, TAG_RECV = 2, TAG_SEND = 3, TAG_WAKE = 4, TAG_IGNORE = 5, TAG_SNAP = 6, TAG_AOF = 7 };
#define TAG_MASK 7ULL

static inline uint64_t uring_tagged(void *p, enum tag t)
{
    return (uint64_t)(uintptr_t)p | t;
}

/* The network side of one thread: its ring, its receive buffers, its
 * listeners, the service that gets the connections (net/service.h) and the
 * thread's network counters (INFO). Embedded in the upper layer's thread
 * state, which finds itself back with container_of. */
struct net_loop {
    struct io_uring *ring; /* the thread's ring: lives in the upper layer's thread state, which uses it too */
    const struct net_service *svc;
    int stopping; /* listeners closed: a late accept closes its socket */

    /* provided receive buffers (one buffer group) */
    struct io_uring_buf_ring *buf_ring;
    char *buf_base;
    unsigned buf_count, buf_size, buf_mask;

    struct listener *listeners;
    int nlisteners;

    uint64_t net_input_bytes, net_output_bytes;
    uint64_t reads_processed, writes_processed; /* recv and send completions */
};

/* Sets up ring and its provided buffers for loop. Returns 0, or -1 with
 * the reason (and what to do about it) in err. */
int uring_setup(struct net_loop *loop, struct io_uring *ring, char *err, size_t errlen);

/* A free SQE; submits what is queued when the submission queue is full. */
static inline struct io_uring_sqe *uring_get_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

/* Queues a wake-up of the thread whose ring is target_fd: it gets a
 * TAG_WAKE completion; this ring gets none. */
void uring_prep_wake(struct io_uring *ring, int target_fd);

/* Buffer group of the provided receive buffers, and giving one back. */
#define URING_RECV_BGID 1
static inline const char *uring_recv_buffer(const struct net_loop *loop, unsigned bid)
{
    return loop->buf_base + (size_t)bid * loop->buf_size;
}
void uring_recycle_buffer(struct net_loop *loop, unsigned bid);

#endif
