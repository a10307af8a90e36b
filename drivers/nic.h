/*
 * The NIC driver interface: a slow-path ops table (set-up, RSS, link, counters, interrupts)
 * plus the two hot-path calls, rx_burst and tx_burst, reached directly from struct nic.
 * Multi-queue: queue pair i belongs to one dataplane core, which alone calls the hot-path
 * functions for it, so they take no locks.
 */
#ifndef IXOS_DRIVERS_NIC_H
#define IXOS_DRIVERS_NIC_H

#include <stdbool.h>
#include <stdint.h>
#include "drivers/mbuf.h"

#define NIC_MAX_QUEUES 16
#define NIC_RETA_SIZE 128
#define NIC_RSS_KEY_SIZE 40

/* Hardware counters, named as Linux and DPDK name them. Accumulated: never reset by reads. */
#define NIC_STATS(X)                                                                          \
	X(rx_packets)                                                                         \
	X(rx_bytes)                                                                           \
	X(tx_packets)                                                                         \
	X(tx_bytes)                                                                           \
	X(rx_missed_errors)  /* dropped: no free descriptor (MPC) */                          \
	X(rx_no_buffer)	     /* receive-no-buffer events (RNBC) */                            \
	X(rx_crc_errors)                                                                      \
	X(rx_length_errors)  /* runts and oversize (RUC + ROC + RLEC) */                      \
	X(rx_errors)	     /* descriptors the driver saw with an error bit */               \
	X(rx_csum_errors)    /* IP or L4 checksum bad (delivered, flagged) */                 \
	X(tx_ring_full)	     /* tx_burst calls that could not take every buffer */        \
	X(rx_reset_dropped)  /* completed frames rx_queue_reset took back undelivered */

/*
 * The default Toeplitz key: the one in Microsoft's RSS specification, whose published test
 * vectors then check the hashes (any 40 bytes would spread flows).
 */
extern const uint8_t nic_rss_default_key[NIC_RSS_KEY_SIZE];

struct nic_stats {
#define NIC_STATS_FIELD(n) uint64_t n;
	NIC_STATS(NIC_STATS_FIELD)
#undef NIC_STATS_FIELD
};

struct nic_link {
	bool up;
	unsigned speed_mbps;
	bool full_duplex;
};

struct nic;

struct nic_ops {
	/* Resets the device and prepares nqueues RX/TX queue pairs. 0, or -errno-like < 0. */
	int (*configure)(struct nic *nic, unsigned nqueues);
	/*
	 * Sets up RX queue q with ndesc descriptors (a multiple of 8) filled from pool; the
	 * ring holds the pool's buffers until the queue stops. 0 or < 0 (no memory: pool or DMA).
	 */
	int (*rx_queue_setup)(struct nic *nic, unsigned q, unsigned ndesc, struct mbuf_pool *pool);
	int (*tx_queue_setup)(struct nic *nic, unsigned q, unsigned ndesc);
	/* Enables receive and transmit on every set-up queue. */
	int (*start)(struct nic *nic);
	/*
	 * Programs the Toeplitz key (40 bytes) and the redirection table: reta[i] is the queue
	 * for hash bucket i (hash & 127). Hashes IPv4 and IPv4+TCP (and UDP where supported).
	 */
	int (*rss_config)(struct nic *nic, const uint8_t *key, const uint8_t *reta);
	void (*link_get)(struct nic *nic, struct nic_link *link);
	/* Adds the device's clear-on-read counters into the driver's totals and copies them out. */
	void (*stats_get)(struct nic *nic, struct nic_stats *out);
	/* Arms (or disarms) queue q's receive interrupt, so an idle core can halt. */
	int (*rx_irq)(struct nic *nic, unsigned q, bool enable);
	/*
	 * Wipes RX queue q's traffic out of its pool (an app has gone; the next must not read
	 * its packets through the read-only pool mapping). Stops the queue (RXDCTL.ENABLE
	 * cleared, polled until it reads 0, bounded), takes back every buffer posted in the
	 * ring, zeroes them and every free buffer of the pool (mbuf_pool_scrub), posts them
	 * again and restarts the queue (RDH = RDT = 0 while it is off, ENABLE, poll, tail).
	 * Frames the NIC had completed but rx_burst had not taken are dropped: counted in
	 * rx_reset_dropped and *dropped. Frames arriving while the queue is off are the NIC's
	 * to drop (its register header says where each device counts them). *posted: ring
	 * buffers scrubbed. Slow path, owner core only, between rx_burst calls; buffers
	 * rx_burst returned earlier stay the caller's and are not touched.
	 * 0: done; the NIC owns the ring's buffers again. -1: the queue did not stop in time
	 * (or is not set up, or the device is gone): nothing was scrubbed, the queue runs on
	 * and the NIC keeps the ring's buffers (never touch them). -2: the queue stopped and
	 * everything was scrubbed, but it did not restart: q receives nothing until the NIC is
	 * configured again. Errors are logged.
	 */
	int (*rx_queue_reset)(struct nic *nic, unsigned q, unsigned *posted, unsigned *dropped);
};

/*
 * Receives up to max packets from queue q into bufs; returns how many. The caller owns the
 * returned buffers; the driver refills the ring from the queue's pool (when the pool is
 * empty, the ring runs short and the NIC drops and counts: rx_missed_errors).
 */
typedef unsigned (*nic_rx_burst_fn)(struct nic *nic, unsigned q, struct mbuf **bufs,
				    unsigned max);
/*
 * Queues up to n packets on queue q; returns how many it took (a prefix of bufs). The driver
 * owns those and frees them to their pool once sent (mbuf_free, which runs a zero-copy
 * frame's release hook); the caller keeps the rest. Every call first frees what the NIC has
 * finished sending, so n == 0 just does that.
 */
typedef unsigned (*nic_tx_burst_fn)(struct nic *nic, unsigned q, struct mbuf **bufs,
				    unsigned n);

struct nic {
	char name[16];
	const struct nic_ops *ops;
	nic_rx_burst_fn rx_burst;
	nic_tx_burst_fn tx_burst;
	uint8_t mac[6];
	unsigned max_queues; /* what the hardware offers */
	unsigned nqueues;    /* configured */
	volatile void *regs; /* BAR0 */
	struct nic_stats stats;
	void *priv;	     /* the driver's state */
};

#endif
