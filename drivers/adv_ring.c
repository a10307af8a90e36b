/* Advanced descriptor ring processing shared by ixgbe and igb (see drivers/adv_ring.h). */
#include "drivers/adv_ring.h"
#include "drivers/platform.h"
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/lib/string.h"
#endif

#define TX_CTX_MARK ((struct mbuf *)1) /* shadow entry of a context descriptor */

static void rx_post(struct adv_rxq *q, unsigned i, struct mbuf *m)
{
	q->sw[i] = m;
	q->ring[i].read.pkt_addr = mbuf_data_phys(m);
	q->ring[i].read.hdr_addr = 0; /* also clears DD in the write-back view */
}

/* Both rings: count 16-byte descriptors and a shadow array, or nothing (both freed). */
static int ring_alloc(unsigned count, void **ring, uint64_t *phys, struct mbuf ***sw)
{
	uint64_t sphys;

	if (count < 8 || count > 4096 || (count & (count - 1)))
		return -1;
	*ring = dma_alloc(count * 16, phys);
	*sw = dma_alloc(count * sizeof(**sw), &sphys);
	if (*ring && *sw)
		return 0;
	if (*ring)
		dma_free(*ring, count * 16);
	if (*sw)
		dma_free(*sw, count * sizeof(**sw));
	*ring = NULL;
	*sw = NULL;
	return -1;
}

_Static_assert(sizeof(union adv_rx_desc) == 16 && sizeof(union adv_tx_desc) == 16,
	       "advanced descriptors are 16 bytes");

int adv_rxq_alloc(struct adv_rxq *q, unsigned count, struct mbuf_pool *pool)
{
	uint64_t phys;
	void *ring;

	if (ring_alloc(count, &ring, &phys, &q->sw))
		return -1;
	q->ring = ring;
	q->ring_phys = phys;
	q->count = count;
	q->next = 0;
	q->discarding = false;
	q->pool = pool;
	for (unsigned i = 0; i < count; i++) {
		struct mbuf *m = mbuf_alloc(pool);
		if (!m) {
			/* A failed set-up keeps nothing: callers may retry with a bigger pool. */
			while (i--)
				mbuf_free(q->sw[i]);
			dma_free(q->ring, count * sizeof(*q->ring));
			dma_free(q->sw, count * sizeof(*q->sw));
			q->ring = NULL;
			q->sw = NULL;
			return -1;
		}
		rx_post(q, i, m);
	}
	return 0;
}

/* The device owns [head, tail): everything but the slot before next, which software keeps. */
static void rx_write_tail(struct adv_rxq *q)
{
	dma_wmb(); /* descriptors are in memory before the device may fetch them */
	mmio_write32(q->regs, q->tail_reg, (q->next + q->count - 1) & (q->count - 1));
}

void adv_rxq_arm(struct adv_rxq *q)
{
	rx_write_tail(q);
}

unsigned adv_rxq_scrub(struct adv_rxq *q)
{
	unsigned dropped = 0;
	bool discarding = q->discarding;

	/*
	 * Completed frames sit from next on (the device writes in ring order). A frame the stop
	 * cut short has DD without EOP on its last written descriptor: it counts too, unless it
	 * is the rest of an oversized frame adv_rx_burst already counted.
	 */
	for (unsigned k = 0; k < q->count; k++) {
		unsigned i = (q->next + k) & (q->count - 1);
		uint32_t st = q->ring[i].wb.status_error;
		if (!(st & ADV_RXD_STAT_DD))
			break;
		bool eop = st & ADV_RXD_STAT_EOP;
		unsigned after = (i + 1) & (q->count - 1);
		bool cut = !eop && (k + 1 == q->count ||
				    !(q->ring[after].wb.status_error & ADV_RXD_STAT_DD));
		if ((eop || cut) && !discarding)
			dropped++;
		discarding = eop ? false : discarding;
	}
	q->stats->rx_reset_dropped += dropped;
	/* No DMA races these writes: the caller saw the queue stop; adv_rxq_arm orders them
	 * before the tail that gives the buffers back. */
	for (unsigned i = 0; i < q->count; i++) {
		struct mbuf *m = q->sw[i];
		memset(m->buf, 0, MBUF_BUF_SIZE);
		m->data = m->buf + MBUF_HEADROOM;
		rx_post(q, i, m);
	}
	mbuf_pool_scrub(q->pool);
	q->next = 0;
	q->discarding = false;
	return dropped;
}

static void rx_set_flags(struct adv_rxq *q, struct mbuf *m, uint32_t st, uint32_t info)
{
	if (st & ADV_RXD_STAT_IPCS)
		m->flags |= (st & q->err_ipe) ? MBUF_F_RX_IP_CSUM_BAD : MBUF_F_RX_IP_CSUM_GOOD;
	if (st & ADV_RXD_STAT_L4CS)
		m->flags |= (st & q->err_l4e) ? MBUF_F_RX_L4_CSUM_BAD : MBUF_F_RX_L4_CSUM_GOOD;
	if (m->flags & (MBUF_F_RX_IP_CSUM_BAD | MBUF_F_RX_L4_CSUM_BAD))
		q->stats->rx_csum_errors++;
	m->rss_type = info & ADV_RXD_RSS_TYPE_MASK;
	if (m->rss_type)
		m->flags |= MBUF_F_RX_RSS_HASH;
}

unsigned adv_rx_burst(struct adv_rxq *q, struct mbuf **bufs, unsigned max)
{
	unsigned n = 0, seen = 0;

	while (n < max) {
		volatile union adv_rx_desc *d = &q->ring[q->next];
		uint32_t st = d->wb.status_error;

		if (!(st & ADV_RXD_STAT_DD))
			break;
		dma_rmb(); /* the rest of the write-back is valid only once DD is seen */
		struct mbuf *m = q->sw[q->next];
		uint32_t info = d->wb.info, hash = d->wb.rss_hash;
		uint16_t len = d->wb.length;
		bool eop = st & ADV_RXD_STAT_EOP;

		if (q->discarding || !eop || (st & q->err_frame) || len == 0 ||
		    len > MBUF_DATA_ROOM) {
			/* Unusable: give the same buffer straight back to the device. */
			if (q->discarding || !eop) {
				if (!q->discarding)
					q->stats->rx_length_errors++; /* once per oversized frame */
			} else {
				q->stats->rx_errors++;
			}
			q->discarding = !eop;
			rx_post(q, q->next, m);
		} else {
			struct mbuf *fresh = mbuf_alloc(q->pool);
			if (!fresh)
				break; /* leave it in the ring: retried when buffers come back */
			m->data = m->buf + MBUF_HEADROOM;
			m->len = len;
			m->flags = 0;
			m->rss_hash = hash;
			m->next = NULL;
			rx_set_flags(q, m, st, info);
			bufs[n++] = m;
			rx_post(q, q->next, fresh);
		}
		q->next = (q->next + 1) & (q->count - 1);
		seen++;
	}
	if (seen)
		rx_write_tail(q);
	return n;
}

int adv_txq_alloc(struct adv_txq *q, unsigned count)
{
	uint64_t phys;
	void *ring;

	if (ring_alloc(count, &ring, &phys, &q->sw))
		return -1;
	q->ring = ring;
	q->ring_phys = phys;
	q->count = count;
	q->next = q->clean = q->in_use = 0;
	return 0;
}

unsigned adv_tx_reclaim(struct adv_txq *q)
{
	unsigned done = 0;

	while (q->in_use) {
		unsigned i = q->clean, data = i;
		if (q->sw[i] == TX_CTX_MARK)
			data = (i + 1) & (q->count - 1); /* a context descriptor completes with its data */
		volatile union adv_tx_desc *d = &q->ring[data];
		if (!(d->wb.status & ADV_TXD_STAT_DD))
			break;
		unsigned k = data == i ? 1 : 2;
		if (q->sw[data] && q->sw[data] != TX_CTX_MARK)
			mbuf_free(q->sw[data]);
		q->sw[i] = q->sw[data] = NULL;
		q->clean = (data + 1) & (q->count - 1);
		q->in_use -= k;
		done += k;
	}
	return done;
}

static void tx_write_ctx(struct adv_txq *q, const struct mbuf *m)
{
	struct adv_tx_ctx_desc *c = (struct adv_tx_ctx_desc *)&q->ring[q->next];
	uint32_t tucmd = ADV_TXD_DTYP_CTXT | ADV_TXD_CMD_DEXT | ADV_CTX_TUCMD_IPV4;

	if (m->flags & MBUF_F_TX_TCP_CSUM)
		tucmd |= ADV_CTX_TUCMD_L4T_TCP;
	c->vlan_macip_lens = m->l3_len | (uint32_t)m->l2_len << ADV_CTX_MACLEN_SHIFT;
	c->seqnum_seed = 0;
	c->type_tucmd_mlhl = tucmd;
	c->mss_l4len_idx = q->ctx_idx;
	q->sw[q->next] = TX_CTX_MARK;
	q->next = (q->next + 1) & (q->count - 1);
	q->in_use++;
}

static unsigned tx_free(const struct adv_txq *q)
{
	return (unsigned)q->count - 1u - q->in_use;
}

unsigned adv_tx_burst(struct adv_txq *q, struct mbuf **bufs, unsigned n)
{
	unsigned sent = 0;

	/* Reclaim every call, not only when full: zero-copy frames hold their owner's memory. */
	adv_tx_reclaim(q);
	for (; sent < n; sent++) {
		struct mbuf *m = bufs[sent];
		bool offload = m->flags & (MBUF_F_TX_IP_CSUM | MBUF_F_TX_TCP_CSUM |
					   MBUF_F_TX_UDP_CSUM);
		unsigned nd = m->nseg ? m->nseg : 1; /* data descriptors: one per piece */
		uint32_t popts = 0;

		if (tx_free(q) < nd + offload)
			break;
		if (offload) {
			tx_write_ctx(q, m);
			if (m->flags & MBUF_F_TX_IP_CSUM)
				popts |= ADV_TXD_POPTS_IXSM;
			if (m->flags & (MBUF_F_TX_TCP_CSUM | MBUF_F_TX_UDP_CSUM))
				popts |= ADV_TXD_POPTS_TXSM;
			popts |= q->ctx_idx;
		}
		for (unsigned k = 0; k < nd; k++) {
			union adv_tx_desc *d = &q->ring[q->next];
			bool last = k == nd - 1;
			d->read.buffer_addr = m->nseg ? m->seg[k].phys : mbuf_data_phys(m);
			/* RS on every piece, so every slot is written back and reclaimed alike. */
			d->read.cmd_type_len = (m->nseg ? m->seg[k].len : m->len) |
					       ADV_TXD_DTYP_DATA | ADV_TXD_CMD_DEXT |
					       ADV_TXD_CMD_IFCS | ADV_TXD_CMD_RS |
					       (last ? ADV_TXD_CMD_EOP : 0);
			/* The packet's length and offloads go in its first data descriptor. */
			d->read.olinfo_status =
				k ? 0 : (uint32_t)m->len << ADV_TXD_PAYLEN_SHIFT | popts;
			q->sw[q->next] = last ? m : NULL;
			q->next = (q->next + 1) & (q->count - 1);
			q->in_use++;
		}
	}
	if (sent < n)
		q->stats->tx_ring_full++;
	if (sent) {
		dma_wmb(); /* descriptors are in memory before the tail tells the device */
		mmio_write32(q->regs, q->tail_reg, q->next);
	}
	return sent;
}
