/*
 * Packet buffers. Each dataplane core owns one pool; buffers travel through NIC rings and the
 * stack without copies and go back to the pool they came from. Pools take no locks: only
 * the owning core may allocate from or free to its pool.
 */
#ifndef IXOS_DRIVERS_MBUF_H
#define IXOS_DRIVERS_MBUF_H

#include <stdbool.h>
#include <stdint.h>

#define MBUF_HEADROOM 64    /* room to prepend headers without moving data */
#define MBUF_DATA_ROOM 2048 /* what the NIC may write (SRRCTL.BSIZEPACKET, in 1 KiB units) */
#define MBUF_BUF_SIZE (MBUF_HEADROOM + MBUF_DATA_ROOM)

/* RX offload results (set by drivers) and TX offload requests (set by the stack). */
#define MBUF_F_RX_RSS_HASH (1u << 0)	   /* rss_hash is valid */
#define MBUF_F_RX_IP_CSUM_GOOD (1u << 1)
#define MBUF_F_RX_IP_CSUM_BAD (1u << 2)
#define MBUF_F_RX_L4_CSUM_GOOD (1u << 3)
#define MBUF_F_RX_L4_CSUM_BAD (1u << 4)
#define MBUF_F_TX_IP_CSUM (1u << 8)	   /* NIC fills the IPv4 header checksum */
#define MBUF_F_TX_TCP_CSUM (1u << 9)	   /* NIC fills the TCP checksum */
#define MBUF_F_TX_UDP_CSUM (1u << 10)	   /* NIC fills the UDP checksum */

struct mbuf_pool;
struct mbuf;

/* Zero-copy transmit: a frame gathered from up to MBUF_MAX_SEGS pieces of someone's memory. */
#define MBUF_MAX_SEGS 8
struct mbuf_seg {
	uint64_t phys;
	uint16_t len;
};

struct mbuf {
	uint8_t *data;		/* first byte of the packet */
	uint16_t len;		/* bytes from data */
	uint16_t flags;		/* MBUF_F_* */
	uint32_t rss_hash;	/* RX: the NIC's Toeplitz hash */
	uint8_t l2_len, l3_len; /* TX checksum offload: header lengths */
	uint16_t rss_type;	/* RX: the NIC's RSS type field */
	uint8_t *buf;		/* start of the MBUF_BUF_SIZE buffer (64-byte aligned) */
	uint64_t buf_phys;	/* its bus address */
	struct mbuf_pool *pool; /* the owner */
	struct mbuf *next;	/* free list link */
	/*
	 * TX only. nseg > 0: the frame is seg[0..nseg) (len bytes in all), not in buf; the NIC
	 * reads it in place. release(m), if set, is called when the NIC is done (from
	 * mbuf_free), to let the owner of that memory have it back.
	 */
	uint8_t nseg;
	struct mbuf_seg seg[MBUF_MAX_SEGS];
	void (*release)(struct mbuf *m);
	void *cookie;
};

struct mbuf_pool {
	struct mbuf *free;
	unsigned size;	      /* buffers in the pool */
	unsigned avail;	      /* buffers on the free list */
	unsigned min_avail;   /* the fewest there have been on it since init */
	unsigned owner;	      /* CPU that owns it */
	uint64_t alloc_fails; /* allocations refused because the pool was empty */
	uint64_t bad_frees;   /* frees of buffers that belong elsewhere or are already free */
	struct mbuf *mbufs;   /* descriptors, size of them */
	uint8_t *mem;	      /* the buffers, contiguous */
	uint64_t mem_phys;
};

/* Sets up a pool of n buffers owned by cpu, from DMA memory. Returns 0 or -1 (no memory). */
int mbuf_pool_init(struct mbuf_pool *p, unsigned n, unsigned cpu);

/* Takes a buffer (data at buf + MBUF_HEADROOM, len 0, flags 0) or NULL when the pool is empty. */
struct mbuf *mbuf_alloc(struct mbuf_pool *p);

/*
 * Returns a buffer to its pool (calling its release hook first, if any). Owner core only;
 * next must be NULL (unlink chains first). A buffer already free is refused and counted in
 * bad_frees.
 */
void mbuf_free(struct mbuf *m);

/* Zeroes every buffer on the free list (an app is gone: the next must not read its data
 * through the pool mapping). Owner core only. */
void mbuf_pool_scrub(struct mbuf_pool *p);

/* The bus address of the packet's first byte. */
static inline uint64_t mbuf_data_phys(const struct mbuf *m)
{
	return m->buf_phys + (uint64_t)(m->data - m->buf);
}

#endif
