/*
 * The interface between a dataplane core and its own TCP/IP stack instance (lwIP).
 *
 * One instance per dataplane core, no locks: lwIP keeps its state in globals, so the build
 * links lwIP and this glue (the files of net/stack/) into one relocatable object and makes
 * STACK_MAX_INSTANCES copies of it, renaming every global symbol of copy i to stack<i>_NAME
 * (objcopy --redefine-syms; see the Makefile). Each copy has its own .data and .bss: its own
 * PCBs, pools, heap, ARP table and timers. Core c uses copy stack_instances[c's index]
 * only. To move a flow group later, the owner walks its instance's PCB lists (every copy
 * exports the same walk function) and hands each connection over through a message ring.
 */
#ifndef IXOS_NET_STACK_H
#define IXOS_NET_STACK_H

#include <stdint.h>
#include "drivers/mbuf.h"
#include "drivers/nic.h"
#include "net/dp_stats.h"
#include "kernel/ixcall.h"

#define STACK_MAX_INSTANCES 8
#define STACK_TX_MAX 128

/* A dataplane core's context, owned by that core. */
struct stack_ctx {
	unsigned index;		 /* which instance */
	struct nic *nic;
	unsigned queue;
	struct mbuf_pool *pool;	 /* RX buffers come from here; TX frames are copied into it */
	struct dp_stats *st;
	uint8_t mac[6];
	uint32_t ip, netmask, gw; /* host byte order */
	uint64_t conn_mem;	  /* bytes its connections may take (net/stack/connmem.c) */
	struct mbuf *tx[STACK_TX_MAX]; /* frames to send at the end of the iteration */
	unsigned ntx;
};

/* Selected lwIP counters of one instance, for the stats lines. */
#define STACK_STATS(X)                                                                         \
	X(tcp_rx)                                                                              \
	X(tcp_tx)                                                                              \
	X(tcp_drop)	/* segments dropped (no PCB, bad state, out of memory) */              \
	X(tcp_chkerr)	/* bad TCP checksums */                                                \
	X(tcp_rexmit)	/* retransmissions */                                                  \
	X(tcp_rst_nopcb) /* segments for no connection here, answered with a reset */         \
	X(tcp_memerr)	/* out of memory */                                                    \
	X(ip_drop)	/* IP packets dropped (bad header, not for us, fragments) */          \
	X(ip_chkerr)	/* bad IPv4 header checksums */                                        \
	X(udp_rx)                                                                              \
	X(eth_drop)	/* frames lwIP's Ethernet/ARP input dropped (VLAN, other types, bad ARP) */ \
	X(arp_rx)	/* ARP packets lwIP took */                                            \
	X(icmp_rx)                                                                             \
	X(tcp_pcbs)	/* connections in use now */                                           \
	X(tcp_pcbs_max) /* the most connections it may hold (its share of conn_mem=) */        \
	X(tcp_pcb_fails) /* connections refused: no PCB left */                                \
	X(conn_mem_bytes) /* memory taken for connection state so far */

struct stack_stats {
#define STACK_STATS_FIELD(n) uint64_t n;
	STACK_STATS(STACK_STATS_FIELD)
#undef STACK_STATS_FIELD
};

/*
 * A TCP connection on its way from one core's instance to another's (flow-group migration):
 * its state, the bytes still to deliver to the peer (from the oldest unacknowledged one on;
 * the new owner sends them again, and the peer drops what it already has) and the app's state:
 * its cookie and the received buffers it has not released (they move by pointer: the app may
 * be reading them). Allocated with kmalloc by the exporter, freed
 * by the importer.
 */
struct stack_conn_export {
	uint32_t local_ip, remote_ip; /* network byte order, as lwIP keeps them */
	uint16_t local_port, remote_port;
	uint8_t state;
	uint8_t fin_queued;  /* our FIN was queued or sent and is not acknowledged */
	uint16_t mss;
	int16_t sa, sv, rto;
	uint32_t rcv_nxt, rcv_wnd, rcv_ann_wnd, rcv_ann_right_edge;
	uint32_t lastack, snd_nxt, snd_wl1, snd_wl2, snd_wnd, snd_wnd_max, cwnd, ssthresh;
	uint32_t data_len; /* unacknowledged and unsent bytes, from lastack */
	/* The app's view (net/stack/ixconn.c); ix_state 0: no app state. */
	uint8_t ix_state, ix_eof, ix_eof_told;
	uint32_t ix_sent;	   /* acknowledged bytes the app has not been told of */
	uint64_t ix_cookie;
	struct mbuf *ix_rx;	   /* received buffers the app has not released, in order */
	struct mbuf *ix_rx_untold; /* the first of them it has not been told all of */
	uint16_t ix_rx_untold_off; /* bytes of that one it has been told of */
	uint32_t ix_owed;	   /* window credit held back under memory pressure */
	uint8_t bytes[];
};

/* The RSS bucket (flow group) of a TCP/IPv4 connection, as the NIC hashes its packets. */
unsigned stack_flow_group(uint32_t remote_ip, uint32_t local_ip, uint16_t remote_port,
			  uint16_t local_port);

struct stack_ops {
	/* Brings the instance up on ctx (lwIP init, the interface, the echo service). 0 or < 0. */
	int (*init)(struct stack_ctx *ctx);
	/* Consumes one received frame (the stack owns m from here, zero copy). */
	void (*input)(struct stack_ctx *ctx, struct mbuf *m);
	/* Runs due timers from the instance's timer wheel (TCP retransmission, delayed ACK, ARP
	 * ageing), then sends what is queued. Every iteration. */
	void (*poll)(struct stack_ctx *ctx);
	void (*stats)(struct stack_ctx *ctx, struct stack_stats *out);
	/*
	 * Removes every connection of flow group `group` from this instance (silently: no RST)
	 * and hands each to emit as an export the caller then owns (half-open ones included:
	 * the importer re-sends the SYN-ACK); TIME_WAIT ones are left to expire here. Returns
	 * how many.
	 */
	unsigned (*export_group)(struct stack_ctx *ctx, unsigned group,
				 void (*emit)(struct stack_conn_export *e, void *arg), void *arg);
	/* Adopts an exported connection and frees e. 0, or -1 (no memory: it is lost). */
	int (*import_conn)(struct stack_ctx *ctx, struct stack_conn_export *e);

	/* libix (net/stack/ixconn.h): an app thread comes to this core, or is gone. */
	void (*ix_attach)(struct stack_ctx *ctx);
	unsigned (*ix_detach)(struct stack_ctx *ctx);
	/* Whether the NIC still holds zero-copy frames of this instance (an app's pages may be
	 * freed only once it does not); reclaims finished ones first. */
	bool (*ix_tx_busy)(struct stack_ctx *ctx);
	/* Runs one checked call of the app's batch (app page tables loaded); its result. */
	int64_t (*ix_exec)(struct stack_ctx *ctx, const struct ix_call *call,
			   ixcall_lookup_fn lookup, void *arg);
	/* Pending events into ev (at most max); how many. */
	unsigned (*ix_events)(struct stack_ctx *ctx, struct ix_event *ev, unsigned max);
	bool (*ix_pending)(struct stack_ctx *ctx);

	/* Changes the interface's address, netmask and gateway (host order). */
	void (*set_addr)(struct stack_ctx *ctx, uint32_t ip, uint32_t netmask, uint32_t gw);
};

/* Generated by the build: stack_instances[i] is copy i's stack_ops. */
extern const struct stack_ops *const stack_instances[STACK_MAX_INSTANCES];

#endif
