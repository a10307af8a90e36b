/*
 * The libix system-call ABI: what an app and its dataplane core exchange. Defined once, used
 * by the kernel (kernel/ixcall.c, net/stack/ixconn.c) and by libix (user/libix/ix.c). Apps
 * use the documented API in user/libix/ix.h, not this header directly.
 *
 * Each app thread has a shared area (struct ix_shared) mapped read-write at
 * IX_SHARED_BASE + thread * IX_SHARED_STRIDE. The app fills calls[] and enters the kernel
 * with SYS_IX_RUN(ncalls, flags); the kernel snapshots each call before it checks it (the
 * app cannot change a call under the kernel's feet), runs the batch in order, writes each
 * result into calls[i].result, then (unless IX_RUN_NOWAIT) waits until there are events,
 * writes them into ev[] and returns their number.
 */
#ifndef IXOS_USER_LIBIX_IX_ABI_H
#define IXOS_USER_LIBIX_IX_ABI_H

#include <stdint.h>

#define SYS_IX_RUN 5	    /* ix_run(ncalls, flags, timeout_us) -> events in ev[] */
#define SYS_THREAD_EXIT 6   /* this thread ends; the app's other threads go on */
#define SYS_MODULE 7	    /* module(i, struct ix_module_desc *out) -> 0, or -IX_ENOENT past the last */
#define SYS_COUNTERS 8	    /* counters(const struct ix_counters_desc *) -> 0 or -IX_E* */

#define IX_RUN_NOWAIT 1u /* run the calls and return at once (0 events) */

/* One bound for the whole path: packets per NIC burst, events per run, calls per batch. */
#define IX_BATCH_MAX 64
#define IX_IOV_MAX 4

/* Where things are in every app's address space. */
#define IX_SHARED_BASE 0x00007f0000000000ULL  /* thread i's struct ix_shared at + i * stride */
#define IX_SHARED_STRIDE 0x10000ULL
#define IX_RXMAP_BASE 0x0000600000000000ULL   /* received packets, read-only, at + phys */
#define IX_RXMAP_SIZE 0x0000100000000000ULL
/* Thread i's stack ends at IX_STACK_TOP - i * IX_STACK_STRIDE (kernel/user.h agrees). */
#define IX_STACK_TOP 0x00007fffffff0000ULL
#define IX_STACK_STRIDE (17 * 4096ULL)
/* Data modules (kernel/datamod.h), read-only, each on its own 2 MiB boundary. */
#define IX_MODMAP_BASE 0x0000700000000000ULL
#define IX_MODMAP_SIZE 0x0000010000000000ULL

_Static_assert(IX_RXMAP_BASE + IX_RXMAP_SIZE <= IX_MODMAP_BASE &&
		       IX_MODMAP_BASE + IX_MODMAP_SIZE <= IX_SHARED_BASE,
	       "the areas the kernel maps for an app overlap");

/* Errors (negative results and statuses), with Linux's errno numbers. */
#define IX_ENOENT 2	    /* no such module */
#define IX_EBADF 9	    /* no such handle (closed, or moved to another core) */
#define IX_EAGAIN 11	    /* no room now: try again after a `sent` event */
#define IX_ENOMEM 12
#define IX_EFAULT 14	    /* never returned: a bad pointer stops the app */
#define IX_EINVAL 22
#define IX_ENOSYS 38
#define IX_EADDRINUSE 98
#define IX_ENETDOWN 100	    /* this core has no network stack */
#define IX_ECONNABORTED 103
#define IX_ECONNRESET 104
#define IX_ENOTCONN 107
#define IX_ETIMEDOUT 110
#define IX_ECONNREFUSED 111

enum ix_op {
	IX_OP_LISTEN = 1, /* port: this thread's core accepts connections to port */
	IX_OP_ACCEPT,	  /* handle (from a knock), cookie */
	IX_OP_CONNECT,	  /* cookie, addr, port -> result: the new handle */
	IX_OP_SENDV,	  /* handle, iov[niov] -> result: bytes accepted */
	IX_OP_RECV_DONE,  /* handle, bytes */
	IX_OP_CLOSE,	  /* handle */
	IX_OP_MAX
};

enum ix_ev_type {
	IX_EV_KNOCK = 1, /* handle, addr, port: a new connection waits for accept or close */
	IX_EV_CONNECTED, /* cookie, status (0 or -IX_E*) */
	IX_EV_RECV,	 /* cookie, addr, len (len 0: the peer closed its side) */
	IX_EV_SENT,	 /* cookie, bytes, window */
	IX_EV_DEAD,	 /* cookie, status: the connection is gone; close(handle) releases it */
	IX_EV_MOVED,	 /* cookie, handle: the connection now lives on this thread's core */
};

struct ix_iov {
	uint64_t base; /* app address */
	uint64_t len;
};

struct ix_call {
	uint16_t op;   /* enum ix_op */
	uint16_t niov; /* sendv: entries of iov used */
	uint16_t port; /* listen, connect: host byte order */
	uint16_t pad;
	uint32_t addr;	 /* connect: IPv4, host byte order */
	uint32_t pad2;
	uint64_t handle; /* accept, sendv, recv_done, close */
	uint64_t cookie; /* accept, connect */
	uint64_t bytes;	 /* recv_done */
	struct ix_iov iov[IX_IOV_MAX];
	int64_t result;	 /* written by the kernel */
};

struct ix_event {
	uint16_t type;	/* enum ix_ev_type */
	uint16_t port;	/* knock: the remote port */
	int32_t status; /* connected, dead: 0 or -IX_E* */
	uint64_t cookie;
	uint64_t handle; /* knock, connected, moved */
	uint64_t addr;	 /* knock: the remote IPv4 (host order); recv: where the bytes are */
	uint64_t len;	 /* recv: bytes; sent: bytes now acknowledged */
	uint64_t window; /* sent: bytes sendv would accept now */
};

/* SYS_MODULE: what the kernel tells of data module i. */
#define IX_MODULE_NAME_MAX 48
struct ix_module_desc {
	char name[IX_MODULE_NAME_MAX]; /* NUL-terminated: the module's file name ("site.tar") */
	uint64_t base;		       /* where it is mapped, read-only */
	uint64_t len;		       /* its bytes */
};

/*
 * SYS_COUNTERS: an app publishes counters, which `ixmgr stats` shows (summed over sets) as
 * the app's. The kernel copies the names once; it reads the values from the app's memory
 * whenever it is asked, so the app just increments them (each set, say one per thread,
 * written by one thread: aligned 64-bit stores, no locks). Published again: replaced.
 */
#define IX_COUNTERS_MAX 64
#define IX_COUNTER_NAME_MAX 32
struct ix_counters_desc {
	uint64_t names;	 /* char[n][IX_COUNTER_NAME_MAX], each NUL-terminated: [a-z0-9_] */
	uint64_t values; /* uint64_t[nsets][stride]: set s's counter i at values[s * stride + i] */
	uint32_t n;	 /* 1..IX_COUNTERS_MAX */
	uint32_t nsets;	 /* 1..64 */
	uint32_t stride; /* >= n */
	uint32_t pad;
};

struct ix_shared {
	struct ix_event ev[IX_BATCH_MAX];
	struct ix_call calls[IX_BATCH_MAX];
};

_Static_assert(sizeof(struct ix_shared) <= IX_SHARED_STRIDE / 2, "shared area too big");

#endif
