/*
 * uring.c - a thread's io_uring set-up and its provided receive buffers.
 *
 * Runs on the thread that owns the ring (set-up runs before the thread
 * starts, on the main thread, which then never touches the ring again).
 * Invariant: every buffer of the group is either in the kernel's buffer ring
 * or held by a recv completion being handled; uring_recycle_buffer gives it
 * back as soon as its bytes are copied.
 */
#include "net/uring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RING_ENTRIES 4096
#define CQ_ENTRIES 16384
/* Provided receive buffers per thread. A buffer goes back to the ring as
 * soon as its bytes are copied into the connection's input, so only the
 * completions of one loop iteration hold buffers; running out costs a
 * re-armed recv (ENOBUFS), not data. The ring hands buffers out in FIFO
 * order, so every one of them ends up resident: 128 x 16 KB keeps that at
 * 2 MB per thread. */
#define RECV_BUF_COUNT 128
#define RECV_BUF_SIZE 16384

void uring_recycle_buffer(struct net_loop *loop, unsigned bid)
{
    io_uring_buf_ring_add(loop->buf_ring, loop->buf_base + (size_t)bid * loop->buf_size, loop->buf_size, bid,
                          loop->buf_mask, 0);
    io_uring_buf_ring_advance(loop->buf_ring, 1);
}

static int setup_buffers(struct net_loop *loop)
{
    loop->buf_count = RECV_BUF_COUNT;
    loop->buf_size = RECV_BUF_SIZE;
    loop->buf_mask = io_uring_buf_ring_mask(loop->buf_count);
    size_t ring_bytes = loop->buf_count * sizeof(struct io_uring_buf);
    void *ringmem = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (ringmem == MAP_FAILED)
        return -errno;
    loop->buf_ring = ringmem;
    io_uring_buf_ring_init(loop->buf_ring);
    struct io_uring_buf_reg reg = {
        .ring_addr = (uint64_t)(uintptr_t)ringmem, .ring_entries = loop->buf_count, .bgid = URING_RECV_BGID};
    int ret = io_uring_register_buf_ring(loop->ring, &reg, 0);
    if (ret)
        return ret;
    loop->buf_base = malloc((size_t)loop->buf_count * loop->buf_size);
    if (!loop->buf_base)
        return -ENOMEM;
    /* The ring hands out every buffer in turn, so all of them become
     * resident under load anyway: fault them in now, not on the request
     * path (and the server's RSS at start is what it will stay at). One
     * volatile store per page: GCC turns malloc followed by a zeroing memset
     * into calloc, whose fresh pages are not faulted in. */
    volatile char *touch = loop->buf_base;
    for (size_t off = 0; off < (size_t)loop->buf_count * loop->buf_size; off += 4096)
        touch[off] = 0;
    for (unsigned i = 0; i < loop->buf_count; i++)
        io_uring_buf_ring_add(loop->buf_ring, loop->buf_base + (size_t)i * loop->buf_size, loop->buf_size, i,
                              loop->buf_mask, i);
    io_uring_buf_ring_advance(loop->buf_ring, loop->buf_count);
    return 0;
}

int uring_setup(struct net_loop *loop, struct io_uring *ring, char *err, size_t errlen)
{
    loop->ring = ring;
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    p.cq_entries = CQ_ENTRIES;
    int ret = io_uring_queue_init_params(RING_ENTRIES, loop->ring, &p);
    if (ret == -EINVAL) {
        memset(&p, 0, sizeof(p));
        ret = io_uring_queue_init_params(RING_ENTRIES, loop->ring, &p);
    }
    if (ret < 0) {
        const char *hint;
        if (ret == -ENOSYS)
            hint = "the kernel has no io_uring (Linux 6.1 or newer is needed)";
        else if (ret == -EPERM)
            hint = "io_uring is disabled: set the sysctl kernel.io_uring_disabled=0, or allow io_uring in the "
                   "seccomp profile of the container (docker: --security-opt seccomp=unconfined)";
        else if (ret == -ENOMEM)
            hint = "the locked-memory limit is too low: raise it (ulimit -l) for the io_uring rings";
        else
            hint = "check the kernel version (6.1+), kernel.io_uring_disabled and seccomp";
        snprintf(err, errlen, "Can't set up io_uring: %s. shardis needs io_uring: %s.", strerror(-ret), hint);
        return -1;
    }
    ret = setup_buffers(loop);
    if (ret < 0) {
        snprintf(err, errlen,
                 "Can't register the io_uring provided-buffer ring: %s (Linux 5.19+ with IORING_REGISTER_PBUF_RING "
                 "is needed)",
                 strerror(-ret));
        return -1;
    }
    return 0;
}

void uring_prep_wake(struct io_uring *ring, int target_fd)
{
    struct io_uring_sqe *sqe = uring_get_sqe(ring);
    io_uring_prep_msg_ring(sqe, target_fd, 0, uring_tagged(NULL, TAG_WAKE), 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, uring_tagged(NULL, TAG_IGNORE));
}
