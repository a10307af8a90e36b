/*
 * The kernel half of libix inside one stack instance (net/stack/ixconn.c): connections as
 * handles and cookies, the batched calls, the event conditions. Instance-local like the rest
 * of net/stack: every function runs on the instance's own core.
 */
#ifndef IXOS_NET_STACK_IXCONN_H
#define IXOS_NET_STACK_IXCONN_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/ixcall.h"
#include "net/stack/stack.h"

struct pbuf;
struct tcp_pcb;

/* Sets up the connection table of this instance (at stack init). */
void ixconn_init(struct stack_ctx *ctx);

/* An app thread now runs on this core: incoming connections on its ports are accepted. */
void ixconn_attach(void);

/*
 * The app is gone: every connection it had is reset (the peer gets an RST), its listeners
 * close, received buffers go back to their pools. Returns the number of connections reset.
 */
unsigned ixconn_detach(void);

/*
 * Runs one checked call (kernel/ixcall.c checked it) and returns its result. sendv reads the
 * app's memory through lookup (the app's page tables); it returns -IX_EFAULT if a page is
 * not readable, and the caller stops the app.
 */
int64_t ixconn_exec(const struct ix_call *call, ixcall_lookup_fn lookup, void *arg);

/* Writes up to max pending events into ev; returns how many. The rest wait for next time. */
unsigned ixconn_events(struct ix_event *ev, unsigned max);

/* Every iteration: gives connections the window openings held back under memory pressure,
 * once the pool has recovered. */
void ixconn_poll(void);

/* Whether events are waiting. */
bool ixconn_pending(void);

/* Migration: moves the app's state of pcb's connection into e (received buffers included). */
void ixconn_export(struct tcp_pcb *pcb, struct stack_conn_export *e);
/* Migration could not carry pcb's connection: the app is told it is dead. */
void ixconn_lost(struct tcp_pcb *pcb);
/* Migration: takes the connection over in this instance; the app is told its new handle. */
int ixconn_adopt(struct tcp_pcb *pcb, struct stack_conn_export *e);

/* netif.c: whether a received pbuf still wraps its NIC buffer alone (then take can have it). */
bool stack_rx_pbuf_owns(const struct pbuf *p);
/* netif.c: takes the NIC buffer out of p (data/len set to p's payload); NULL if it cannot. */
struct mbuf *stack_rx_pbuf_take(struct pbuf *p);
uint32_t stack_rand(void);

#endif
