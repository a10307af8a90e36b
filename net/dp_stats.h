/* Per-core dataplane counters, from one list. Only the owning core writes them. */
#ifndef IXOS_NET_DP_STATS_H
#define IXOS_NET_DP_STATS_H

#include <stdint.h>

#define DP_STATS(X)                                                                            \
	X(rx_packets)                                                                          \
	X(rx_bytes)                                                                            \
	X(tx_packets)                                                                          \
	X(tx_bytes)                                                                            \
	X(tx_dropped)	     /* replies the TX ring could not take */                          \
	X(rx_malformed)	     /* truncated or inconsistent headers */                           \
	X(rx_oversize)	     /* longer than the MTU allows */                                  \
	X(rx_csum_errors)    /* bad IPv4 or ICMP checksum */                                   \
	X(rx_not_for_us)     /* well-formed but another host's, or a protocol we do not serve */ \
	X(rx_no_stack)	     /* dropped: this core's TCP/IP instance is not up */              \
	X(arp_shared_in)     /* ARP frames other cores shared with this one (not in rx_packets) */ \
	X(arp_replies)                                                                         \
	X(icmp_echo_replies)                                                                   \
	X(tcp_accepted)	     /* connections handed to the app (knocks) */                      \
	X(tcp_refused)	     /* connections refused for lack of memory */                      \
	X(tcp_syn_evicted)   /* half-open connections dropped for newer SYNs (SYN flood) */   \
	X(tcp_tw_recycled)   /* TIME-WAIT connections a new SYN ended (RFC 6191) */          \
	X(tcp_reset_app)     /* connections reset because their app stopped */                 \
	X(rx_copied)	     /* received pieces copied for the app (not in an NIC buffer) */   \
	X(rx_pool_free)	     /* gauge: buffers free in this core's pool now */                 \
	X(rx_pool_min)	     /* gauge: the fewest free there have been since boot */           \
	X(rx_held)	     /* gauge: buffers connections hold for the app now */             \
	X(rx_held_max)	     /* gauge: the most they have held at once */                      \
	X(rx_compacted)	     /* small segments copied into their connection's tail buffer */   \
	X(rx_dropped_nomem)  /* segments whose payload was cut for lack of memory (header kept) */ \
	X(rx_nomem_pool)     /* ...because the pool was at its hard reserve */                 \
	X(rx_nomem_conn)     /* ...because their connection held over its share under pressure */ \
	X(rx_nomem_whole)    /* of rx_dropped_nomem, frames dropped whole (checksum not checked by the NIC) */ \
	X(rx_wnd_withheld)   /* window openings held back from heavy connections under pressure */ \
	X(app_runs)	     /* times the app thread ran (one batch each) */                   \
	X(app_events)	     /* event conditions handed to the app */                          \
	X(app_calls)	     /* batched calls the app made */                                  \
	X(app_call_errors)   /* of those, calls that failed */                                 \
	X(rx_handed_off)     /* packets of another core's flows, lent to that core */          \
	X(rx_handed_in)	     /* packets of our flows that arrived on another core */           \
	X(rx_handoff_drops)  /* hand-offs dropped: the owner's ring was full */                \
	X(conns_exported)    /* connections moved away with their flow group */                \
	X(conns_imported)    /* connections taken over from another core */                    \
	X(conns_lost)	     /* connections a move could not carry (no memory) */             \
	X(idle_sleeps)	     /* times the core armed its interrupt and halted */               \
	X(irq_wakeups)	     /* receive interrupts taken */                                    \
	DP_STAGES(X)

/*
 * Where the core's time goes (TSC cycles; make bench prints the shares). An iteration of the
 * loop that found no packet and ran no app counts whole as idle (its empty polls, timers and
 * halt); one that had work is split among the stages. Loop upkeep between stages (gauges,
 * address changes, flow-group moves, the management tick on a shared core) is in no stage.
 */
#define DP_STAGES(X)                                                                           \
	X(cycles_rx)	/* the NIC's receive burst */                                          \
	X(cycles_tcpip) /* the burst through TCP/IP, and packets other cores handed over */    \
	X(cycles_app)	/* the app thread: entering ring 3, its code, returning (not calls) */ \
	X(cycles_calls) /* the app's batched calls, carried out by the stack */                \
	X(cycles_tx)	/* the stack's poll after work: timers and output to the NIC */        \
	X(cycles_idle)	/* iterations without work: polling, pauses and halts */

/* Batch-size histogram buckets: 0, 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64+. */
#define DP_BATCH_BUCKETS 8

struct dp_stats {
#define DP_STATS_FIELD(n) uint64_t n;
	DP_STATS(DP_STATS_FIELD)
#undef DP_STATS_FIELD
	uint64_t batch[DP_BATCH_BUCKETS];
	uint64_t loops;
	uint64_t busy_tsc; /* time spent in iterations that had work */
	uint64_t busy_tsc_max; /* the longest such iteration */
};

static inline unsigned dp_batch_bucket(unsigned n)
{
	unsigned b = 0;

	while (n && b < DP_BATCH_BUCKETS - 1) {
		b++;
		n >>= 1;
	}
	return b;
}

#endif
