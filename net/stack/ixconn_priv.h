/*
 * What net/stack/ixconn.c (calls, events, migration) and net/stack/ixrx.c (the receive
 * queues) share inside one stack instance: the connection as the kernel keeps it. Private
 * to net/stack: nothing outside includes it.
 */
#ifndef IXOS_NET_STACK_IXCONN_PRIV_H
#define IXOS_NET_STACK_IXCONN_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "lwip/tcp.h"
#include "net/stack/stack.h"

/* The table grows by chunks of IXC_CHUNK up to the instance's budget (net/stack/connmem.c). */
#define IXC_CHUNK      1024
#define IXC_CHUNKS_MAX 4096 /* at most 4,194,304 connections per instance */
#define IXC_LISTEN_MAX 8

enum { IXC_FREE, IXC_KNOCK, IXC_OPEN, IXC_CONNECTING, IXC_DEAD };

#define EV_KNOCK     0x01
#define EV_CONNECTED 0x02
#define EV_MOVED     0x04
#define EV_SENT	     0x08
#define EV_DEAD	     0x10

struct ixconn {
	struct tcp_pcb *pcb; /* NULL once lwIP has freed it */
	uint64_t cookie;
	uint32_t gen; /* bumped on every free: stale handles do not match */
	uint32_t idx; /* its place in the table: the handle's low half */
	uint8_t state;
	uint8_t ev;			/* EV_* waiting to be reported */
	bool eof;			/* the peer closed its side... */
	bool eof_told;			/* ...and the app was told */
	bool dirty;			/* on the dirty list */
	int32_t status;			/* for connected and dead */
	uint32_t sent;			/* acknowledged bytes not reported yet */
	struct mbuf *rx_head, *rx_tail; /* received, not released by recv_done */
	struct mbuf *rx_untold;		/* the first buffer the app has not been told all of */
	uint16_t rx_untold_off;		/* bytes of rx_untold it has been told of */
	uint16_t rx_bufs;		/* buffers on rx_head: the memory it pins */
	bool heavy;			/* holds over its share (net/stack/rxmem.c) */
	bool owed_listed;		/* on the owed list */
	uint32_t tuple;			/* rxmem_tuple() of the connection */
	uint32_t owed;			/* window credit held back under memory pressure */
	struct ixconn *next;		/* dirty list, or free list */
	struct ixconn *owed_next;	/* owed list */
};

extern struct stack_ctx *ixc_ctx;
extern struct ixconn *ixc_owed_head;

/* Queues events ev for c (and c on the dirty list, once). */
void ixc_mark(struct ixconn *c, uint8_t ev);

/* lwIP's recv callback: takes the payload into c's receive queue (ixrx.c). */
err_t ixc_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
/* recv_done: releases the first `bytes` told bytes, opens the window; 0 or -IX_EINVAL. */
int64_t ixc_recv_done(struct ixconn *c, uint64_t bytes);
/* c now holds n buffers: the core's accounting and c's heavy mark follow. */
void ixc_rx_bufs(struct ixconn *c, unsigned n);
/* Gives every buffer of c back and forgets the window credit it is owed. */
void ixc_rx_release_all(struct ixconn *c);
/* Holds back `bytes` of window opening for c until the pool recovers (ixconn_poll). */
void ixc_owe(struct ixconn *c, uint32_t bytes);
/* Whether [phys, phys + len) lies in bytes of a buffer c holds and the app was told of:
 * the only received memory the app may send from. */
bool ixc_rx_holds(const struct ixconn *c, uint64_t phys, uint64_t len);

#endif
