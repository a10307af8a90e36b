/*
 * Receive memory of one stack instance (net/stack/rxmem.c). Zero-copy receive pins a whole
 * packet buffer (MBUF_BUF_SIZE) per segment until the app releases it, so what connections
 * may hold is counted in buffers, not payload bytes, against limits derived from the pool:
 *
 *   pool = RX ring (DP_RX_DESC) + held by connections + reserve
 *
 * The reserve keeps the RX ring refilled and TX frames, ACKs, RSTs and ARP flowing however
 * peers behave. Under pressure, in this order: windows of heavy connections stop reopening
 * (their credit is withheld), small segments are always compacted into the tail buffer of
 * their connection (their own buffer goes back at once), and new payload is dropped: the
 * segment's header (its ACK, window, RST) is still processed, only its data is cut.
 */
#ifndef IXOS_NET_STACK_RXMEM_H
#define IXOS_NET_STACK_RXMEM_H

#include <stdbool.h>
#include <stdint.h>
#include "net/dataplane.h"
#include "net/stack/stack.h"

/* Below this many free buffers, every segment's payload is dropped (its header is kept). */
#define RXMEM_RESERVE_HARD (DP_TX_DESC + 2 * DP_BATCH_MAX)
/* Below this many, heavy connections get no new data and their windows stop reopening. */
#define RXMEM_RESERVE_SOFT (RXMEM_RESERVE_HARD + DP_POOL_SIZE / 8)
/* What all connections of a core may hold before the soft limit is reached. */
#define RXMEM_HELD_LIMIT (DP_POOL_SIZE - DP_RX_DESC - RXMEM_RESERVE_SOFT)
/* A connection is heavy when it holds more than its share of that, and never below this. */
#define RXMEM_SHARE_MIN 8
/* Segments up to this size are copied into their connection's tail buffer when they fit. */
#define RXMEM_COMPACT_MAX 512

_Static_assert(RXMEM_HELD_LIMIT >= 1024, "the pool leaves too little for connections to hold");
_Static_assert(RXMEM_RESERVE_HARD > DP_TX_DESC, "the reserve must cover a full TX ring");

/* Resets this instance's accounting (stack init). */
void rxmem_init(struct stack_ctx *ctx);

/*
 * The admission check of a received frame, before lwIP sees it. Returns true if the frame
 * goes on (possibly with its TCP payload cut: m->len shrinks, the IPv4 header is fixed up),
 * false if it must be dropped (the caller frees it). Counts what it cut or dropped.
 */
bool rxmem_admit(struct stack_ctx *ctx, struct mbuf *m);

/* Whether the pool is under the soft limit (windows of heavy connections stay shut). */
bool rxmem_pressure(const struct stack_ctx *ctx);

/*
 * A connection's held buffers changed from before to after: keeps the core's total and the
 * heavy-connection marks the admission check reads. tuple is rxmem_tuple()'s value.
 * Returns whether the connection is heavy now.
 */
bool rxmem_account(struct stack_ctx *ctx, uint32_t tuple, bool was_heavy, unsigned before,
		   unsigned after);

/* The key of a connection for the heavy marks: remote address (network order), ports. */
uint32_t rxmem_tuple(uint32_t remote_ip, uint16_t remote_port, uint16_t local_port);

#endif
