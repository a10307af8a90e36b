/*
 * mcload's event loop, one per worker thread: its connections (non-blocking, in an
 * edge-triggered epoll set), the dispatch of the Poisson schedule's requests to them, their
 * queues, the replies and the reconnects. A request that cannot go when due (socket full,
 * connection down, the depth reached) waits in its connection's queue and still counts from
 * its scheduled time; a connection that fails loses its requests in flight and is reopened
 * after a pause, except while connecting, when any failure is fatal. An HTTP connection the
 * server ends between responses (Connection: close, or a close) is no failure: its requests
 * in flight go back to its queue and are sent again once it is reopened (at once if it had
 * answered any). Connecting opens at most o->connect_inflight connections at a time (per
 * thread). Nothing in the loop walks all of a thread's connections per event or per request
 * (the phase's counts are kept as the states change, the connections waiting to reconnect are
 * a queue), and with many connections (MCL_TRIM_CONNS) an idle one gives back its queues,
 * output buffer and parser, so it costs sizeof(struct mcl_conn) and its socket.
 */
#ifndef MCLOAD_LOOP_H
#define MCLOAD_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/loadgen/mcload_dist.h"
#include "tools/loadgen/mcload_hist.h"
#include "tools/loadgen/mcload_opts.h"
#include "tools/loadgen/mcload_proto.h"
#include "tools/loadgen/mcload_report.h"

#define MCL_RBUF_SIZE  (256 * 1024)
#define MCL_TRIM_CONNS 1024 /* a thread with more connections frees an idle one's buffers */

struct mcl_req {
	uint64_t sched, key, end; /* end: the stream offset just past its bytes */
	uint32_t opaque;
	uint8_t op, kind;
	bool sent; /* written out whole once (a request sent again is counted sent once) */
};

struct mcl_ring {
	struct mcl_req *q;
	size_t head, n, cap; /* cap: a power of two */
};

struct mcl_conn {
	int fd, state;
	bool opened;   /* opened before: the next open is a reconnect */
	bool answered; /* a reply came since it was opened */
	uint32_t next_opaque;
	uint64_t retry_at, built, written, echo_seq;
	size_t unsent; /* the last unsent entries of fly are not written out whole */
	struct mcl_ring wait, fly;
	struct mcl_buf out;
	struct mcl_parser *parser;  /* made on the first bytes in; NULL when trimmed */
	struct mcl_conn *down_next; /* the worker's queue of connections waiting to reconnect */
};

struct mcl_shared; /* what the workers share with main: mcload.c's */

/* The phase a worker is in: connecting, preloading, or under load. */
enum { MCL_M_CONNECT, MCL_M_PRELOAD, MCL_M_LOAD };
struct mcl_worker {
	const struct mcl_opts *o;
	struct mcl_shared *sh;
	pthread_t th;
	unsigned id, nconns, rr, depth;
	unsigned first;		   /* conns[0]'s number over all threads (for --source) */
	unsigned nup, nconnecting; /* connections up, and handshaking */
	unsigned next_open;	   /* connecting: conns[next_open] is the next to open */
	int ep, mode;
	bool fatal, no_pwait2; /* no_pwait2: the kernel (or valgrind) lacks epoll_pwait2 */
	bool trim;	       /* more than MCL_TRIM_CONNS connections: free idle ones' buffers */
	bool said_http_error;  /* http: the first bad response's fault was said on stderr */
	int parser_state0;     /* a fresh parser's state: one at a reply boundary has it */
	struct mcl_conn *conns;
	struct mcl_conn *down_head, *down_tail; /* down, by retry_at (RETRY_NS after failing) */
	struct mcl_sched sched;
	struct mcl_rng rng;
	uint64_t t_meas, t_end, pending, pl_next;
	struct mcl_stats st;
	struct mcl_hist hist;
	char rbuf[MCL_RBUF_SIZE];
};

/* CLOCK_MONOTONIC, in nanoseconds. */
uint64_t mcl_loop_now_ns(void);
/* Says mcload is out of memory on stderr and exits 1. */
void mcl_loop_die_nomem(void);
/*
 * Opens c (fd -1, down) to o->addr without blocking, from its --source address if there is
 * one, and adds it to w's epoll set; counts a reconnect if c was opened before. A failure
 * closes c again (fatal while connecting).
 */
void mcl_loop_conn_open(struct mcl_worker *w, struct mcl_conn *c);
/*
 * If c is up: queues more preload SETs while preloading, moves c's waiting requests in flight
 * up to w->depth, and writes what the socket takes.
 */
void mcl_loop_conn_pump(struct mcl_worker *w, struct mcl_conn *c);
/*
 * Runs w's event loop in w->mode until the phase ends: connecting, opening w's connections
 * from w->next_open on, o->connect_inflight at a time, until every one is up (-1 if one fails
 * or deadline, in ns, comes first); preloading, until every preload SET is
 * answered (-1 at deadline); under load, issuing the schedule's requests until w->t_end, then
 * until none is pending or deadline (0 either way). Returns 0 or -1.
 */
int mcl_loop_run(struct mcl_worker *w, uint64_t deadline);
/* Adds the measured requests still queued or in flight on w's connections to its outstanding. */
void mcl_loop_count_outstanding(struct mcl_worker *w);
/* Closes c if it is open and frees its queues, buffer and parser. */
void mcl_loop_conn_free(struct mcl_conn *c);

#endif
