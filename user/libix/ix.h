/*
 * libix: the ixos application API (DESIGN.md, "The application API").
 *
 * An app runs one thread per dataplane core; every thread runs the same event loop, on
 * the connections of its own core. The kernel hands the loop event conditions in batches
 * and takes its calls in batches (one kernel entry per batch); this library turns them into
 * callbacks per connection. Memory and ownership, once for all:
 *
 *   - Received bytes are read in place: `recv` gives a pointer into the NIC buffer the packet
 *     arrived in, mapped read-only. The bytes stay valid until the app releases them with
 *     ixev_recv_done (in order, by byte count). Until then they also count against the
 *     connection's receive window: an app that does not release stops its peer (explicit
 *     flow control).
 *   - Sending is zero-copy: ixev_send queues a pointer, and the NIC reads the bytes from
 *     there, maybe more than once (retransmission). They must stay unchanged until the
 *     `sent` callback has reported them acknowledged (in order, by byte count). Received
 *     bytes may be sent as they are (an echo copies nothing).
 *   - struct ixev_conn is the app's memory (embed it in the app's connection state); the
 *     library keeps a pointer to it from accept or connect until it calls `release`.
 *
 * Threads share the address space: globals are shared between them, and the C library's
 * stdio is not thread-safe (print from thread 0, or rarely). malloc and free are safe.
 */
#ifndef IXOS_USER_LIBIX_IX_H
#define IXOS_USER_LIBIX_IX_H

#include <stddef.h>
#include <stdint.h>
#include "user/libix/ix_abi.h"

/* ---- The raw interface: one batch in, events out (what ixev below is built on). ---- */

/*
 * Runs the first ncalls calls of this thread's shared area (ix_shared()->calls, each with its
 * result written back), then waits for events: returns how many are in ix_shared()->ev.
 * timeout_us > 0 returns after that long even without events (0: wait for events only);
 * flags IX_RUN_NOWAIT returns at once with 0 events. A call that points outside the app's
 * memory stops the app, as a page fault would.
 */
long ix_run(unsigned ncalls, unsigned flags, uint64_t timeout_us);

/* This thread's shared area, index (0 = the thread that runs main), and the thread count. */
struct ix_shared *ix_shared(void);
unsigned ix_thread_index(void);
unsigned ix_thread_count(void);

/* Nanoseconds since boot. */
uint64_t ix_clock_ns(void);

/* ---- Data modules and counters ---- */

/*
 * The data module called name (a boot module that is not an app, by its file name:
 * "site.tar"), or the first one if name is NULL: its address (mapped read-only, for the
 * app's life; sending from it is zero copy) and, in *len, its size. NULL if there is none.
 */
const void *ix_module(const char *name, size_t *len);

/* Data module i (0, 1, ...) into *out. 0, or -IX_ENOENT past the last. */
int ix_module_at(unsigned i, struct ix_module_desc *out);

/*
 * Publishes n counters (names[i]: [a-z0-9_], at most 31 characters) for `ixmgr stats`, which
 * shows them summed over nsets sets: set s's counter i is values[s * stride + i], in memory
 * that stays the app's. The app just increments them (one writer per set). 0, or -IX_EINVAL
 * (bad names or counts) / -IX_EFAULT (bad pointers).
 */
int ix_counters_publish(const char (*names)[IX_COUNTER_NAME_MAX], unsigned n, uint64_t *values,
			unsigned nsets, unsigned stride);

/* ---- The event loop ---- */

struct ixev_conn;

/* Callbacks of the event loop; any may be NULL. All run on the connection's core. */
struct ixev_handlers {
	/*
	 * Someone connects to a port this app listens on (remote IPv4 address and port, host
	 * order). Return the connection's state to accept it, or NULL to refuse (it is closed).
	 */
	struct ixev_conn *(*accept)(uint32_t addr, uint16_t port);
	/* A connection from ixev_connect is up (status 0) or failed (-IX_E*; then `dead`
	 * follows). */
	void (*connected)(struct ixev_conn *c, int status);
	/* len bytes at data (read-only) arrived; len 0: the peer closed its side. */
	void (*recv)(struct ixev_conn *c, const void *data, size_t len);
	/* bytes more of what was sent are acknowledged (their memory is free again). */
	void (*sent)(struct ixev_conn *c, size_t bytes);
	/* The connection is gone (status -IX_ECONNRESET, -IX_ECONNABORTED, ...). Received bytes
	 * are released; `release` follows. */
	void (*dead)(struct ixev_conn *c, int status);
	/* The library is done with c (after ixev_close or `dead`, once its close has run):
	 * the app may free it now, not before. */
	void (*release)(struct ixev_conn *c);
	/*
	 * Moves (a flow group, with its connections, goes to another core: `ixmgr core set`).
	 * A connection's events then come to the new core's thread, and its calls must be made
	 * there. ixev hands c over between the two threads: `moving` runs on the thread that
	 * served c until now, between batches (none of c's callbacks is running there); from
	 * its return on, that thread must not call ixev_* on c. Calls it made before that are
	 * carried over (queued sends, released bytes, a close). Then `moved` runs on the new
	 * thread, before c's events that arrived meanwhile, which follow in order; from then
	 * on c's callbacks run, and ixev_* calls on c are made, on that thread. Either may be
	 * NULL (an app whose state is not tied to a thread). A closed c is moved silently.
	 */
	void (*moving)(struct ixev_conn *c);
	void (*moved)(struct ixev_conn *c);
};

#define IXEV_SENDQ 256/* sends a connection may have queued and not yet accepted */

/* Per-connection state of the library: embed it in the app's connection struct. */
struct ixev_conn {
	uint64_t handle;
	unsigned flags;
	unsigned sq_head, sq_len;  /* queued sends the kernel has not accepted yet */
	struct ix_iov sq[IXEV_SENDQ];
	struct ixev_conn *released; /* the library's list of conns to release */
	unsigned home;		    /* the thread serving c */
	/* A move in progress (user/libix/ixev.c): xlock guards these, any thread uses them. */
	volatile int xlock;
	unsigned xstate, xdest;	    /* moving; the thread of c's newest core */
	uint64_t xhandle;	    /* c's handle there */
	uint64_t rx_owed;	    /* released bytes the new core is still to be told */
	struct ix_event *xev;	    /* events that arrived while moving, in order */
	unsigned xev_n, xev_cap;
	struct ixev_conn *xnext;    /* on a thread's hand-over list */
	void *user;		    /* free for the app */
};

/*
 * Starts the event loop on every thread with these handlers and listening on port (0: none).
 * Called by main on thread 0; never returns. The other threads start as soon as it is called.
 */
__attribute__((noreturn)) void ixev_run(const struct ixev_handlers *h, uint16_t port);

/* Queues len bytes at data for sending (zero copy: see above). 0, or -IX_EAGAIN when the
 * connection already has IXEV_SENDQ sends queued, -IX_ENOTCONN when it is closed. */
int ixev_send(struct ixev_conn *c, const void *data, size_t len);

/* Bytes queued with ixev_send that the kernel has not taken yet. */
size_t ixev_send_pending(const struct ixev_conn *c);

/* The app is done with the oldest `bytes` received bytes of c: they go back, the window opens. */
void ixev_recv_done(struct ixev_conn *c, size_t bytes);

/* Closes c (queued sends still go out; the FIN follows). `release` follows, once the kernel
 * has run the close (on c's new core if c was moving). */
void ixev_close(struct ixev_conn *c);

/* Opens a connection from this thread's core (the kernel picks a source port whose replies
 * come back to this core). 0 or -IX_E*; `connected` tells the outcome. */
int ixev_connect(struct ixev_conn *c, uint32_t addr, uint16_t port);

/* Calls fn(arg) once, after at least us microseconds, on this thread. 0, or -IX_ENOMEM. */
int ixev_timer(uint64_t us, void (*fn)(void *arg), void *arg);

#endif
