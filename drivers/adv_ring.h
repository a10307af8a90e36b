/*
 * Advanced descriptor rings, shared by the 82599 (ixgbe) and the 82576 (igb): both use the
 * same advanced RX descriptor (one-buffer mode) and advanced TX data/context descriptors
 * (82599 datasheet 7.1.6 and 7.2.3.2; 82576 datasheet 7.1.5 and 7.2.2.3). What differs per
 * device (tail register offset, error-bit positions) is passed in struct adv_rxq/adv_txq.
 */
#ifndef IXOS_DRIVERS_ADV_RING_H
#define IXOS_DRIVERS_ADV_RING_H

#include <stdbool.h>
#include <stdint.h>
#include "drivers/mbuf.h"
#include "drivers/nic.h"

union adv_rx_desc {
	struct {
		uint64_t pkt_addr; /* buffer bus address; bit 0 must be 0 (no header split) */
		uint64_t hdr_addr; /* unused in one-buffer mode; bit 0 = DD, so write 0 */
	} read;
	struct {
		uint32_t info;	       /* 3:0 RSS type, 16:4 packet type, 31:21 header length */
		uint32_t rss_hash;     /* RSS hash (when RXCSUM.PCSD is set) */
		uint32_t status_error; /* 19:0 status, 31:20 errors */
		uint16_t length;       /* bytes written to the buffer */
		uint16_t vlan;
	} wb;
};

#define ADV_RXD_STAT_DD (1u << 0)   /* descriptor done */
#define ADV_RXD_STAT_EOP (1u << 1)  /* end of packet */
#define ADV_RXD_STAT_L4CS (1u << 5) /* L4 checksum was checked */
#define ADV_RXD_STAT_IPCS (1u << 6) /* IPv4 header checksum was checked */
#define ADV_RXD_RSS_TYPE_MASK 0xfu

union adv_tx_desc {
	struct {
		uint64_t buffer_addr;
		uint32_t cmd_type_len; /* 15:0 length, 23:20 DTYP, 31:24 DCMD */
		uint32_t olinfo_status; /* 31:14 PAYLEN, 13:8 POPTS, 6:4 IDX (82576), 0 DD */
	} read;
	struct {
		uint64_t rsvd;
		uint32_t rsvd2;
		uint32_t status; /* bit 0 DD once written back (RS was set) */
	} wb;
};

#define ADV_TXD_DTYP_DATA (3u << 20)
#define ADV_TXD_DTYP_CTXT (2u << 20)
#define ADV_TXD_CMD_EOP (1u << 24)  /* end of packet */
#define ADV_TXD_CMD_IFCS (1u << 25) /* insert FCS */
#define ADV_TXD_CMD_RS (1u << 27)   /* report status: write DD back */
#define ADV_TXD_CMD_DEXT (1u << 29) /* advanced descriptor */
#define ADV_TXD_STAT_DD (1u << 0)
#define ADV_TXD_POPTS_IXSM (1u << 8) /* insert IPv4 checksum */
#define ADV_TXD_POPTS_TXSM (1u << 9) /* insert L4 checksum */
#define ADV_TXD_PAYLEN_SHIFT 14

/* Context descriptor for checksum offload. */
struct adv_tx_ctx_desc {
	uint32_t vlan_macip_lens; /* 8:0 IPLEN, 15:9 MACLEN, 31:16 VLAN */
	uint32_t seqnum_seed;
	uint32_t type_tucmd_mlhl; /* DTYP context, DEXT, TUCMD: 10 IPV4, 12:11 L4T (0 UDP, 1 TCP) */
	uint32_t mss_l4len_idx;	  /* 6:4 IDX (82576), 15:8 L4LEN, 31:16 MSS */
};

#define ADV_CTX_MACLEN_SHIFT 9
#define ADV_CTX_TUCMD_IPV4 (1u << 10)
#define ADV_CTX_TUCMD_L4T_UDP (0u << 11)
#define ADV_CTX_TUCMD_L4T_TCP (1u << 11)

struct adv_rxq {
	union adv_rx_desc *ring;
	uint64_t ring_phys;
	struct mbuf **sw; /* the buffer behind each descriptor */
	uint16_t count;	  /* descriptors (power of two) */
	uint16_t next;	  /* next descriptor to look at */
	bool discarding;  /* dropping the rest of a frame that spans descriptors */
	volatile void *regs;
	uint32_t tail_reg;  /* RDT offset for this queue */
	uint32_t err_ipe;   /* the device's IPv4 checksum error bit */
	uint32_t err_l4e;   /* the device's TCP/UDP checksum error bit */
	uint32_t err_frame; /* errors that make the frame unusable (CRC, symbol, ...) */
	struct mbuf_pool *pool;
	struct nic_stats *stats;
};

struct adv_txq {
	union adv_tx_desc *ring;
	uint64_t ring_phys;
	struct mbuf **sw; /* the buffer to free once the descriptor is done, or NULL */
	uint16_t count;
	uint16_t next;	   /* next free descriptor */
	uint16_t clean;	   /* oldest descriptor not yet reclaimed */
	uint16_t in_use;   /* descriptors owned by the device */
	volatile void *regs;
	uint32_t tail_reg; /* TDT offset */
	uint32_t ctx_idx;  /* 82576: context slot bits for olinfo/mss_l4len_idx; 0 on the 82599 */
	struct nic_stats *stats;
};

/*
 * Allocates ring and shadow arrays for count descriptors (a power of two, 8..4096).
 * rxq: fills every descriptor from pool and writes nothing to the device. 0 or -1.
 * The RX ring always holds a buffer in every slot: a received buffer is swapped for a fresh
 * one, and when the pool is empty reception pauses (the NIC counts the drops).
 */
int adv_rxq_alloc(struct adv_rxq *q, unsigned count, struct mbuf_pool *pool);
int adv_txq_alloc(struct adv_txq *q, unsigned count);
/* Hands the filled RX ring to the device: tail = last filled descriptor. */
void adv_rxq_arm(struct adv_rxq *q);

/*
 * For nic_ops.rx_queue_reset, once the device has stopped the queue (RXDCTL.ENABLE read
 * back 0) and may no longer write to the ring or its buffers: drops the frames the device
 * completed that adv_rx_burst has not taken (counted in stats->rx_reset_dropped), zeroes
 * every buffer the ring holds and every free buffer of the pool (mbuf_pool_scrub), and posts
 * the ring's buffers again from descriptor 0, so the device must restart at RDH = 0 (then
 * adv_rxq_arm). The ring keeps its buffers throughout: this cannot fail. Returns the frames
 * dropped.
 */
unsigned adv_rxq_scrub(struct adv_rxq *q);

/* The rx_burst / tx_burst contracts of drivers/nic.h, for one queue. */
unsigned adv_rx_burst(struct adv_rxq *q, struct mbuf **bufs, unsigned max);
unsigned adv_tx_burst(struct adv_txq *q, struct mbuf **bufs, unsigned n);

/* Frees the buffers of completed TX descriptors; returns how many descriptors came back. */
unsigned adv_tx_reclaim(struct adv_txq *q);

#endif
