/*
 * Intel 82576 driver. Initialisation follows the datasheet's sequence (4.5: reset, wait for
 * the EEPROM auto-read, link, receive and transmit set-up); the rings are the advanced
 * descriptor rings shared with ixgbe (drivers/adv_ring.c).
 */
#include "drivers/igb/igb.h"
#include "drivers/adv_ring.h"
#include "drivers/igb/igb_regs.h"
#include "drivers/platform.h"
#include "kernel/cmdline.h" /* LOG_* */

struct igb {
	struct nic *nic;
	struct adv_rxq rxq[IGB_MAX_QUEUES];
	struct adv_txq txq[IGB_MAX_QUEUES];
};

#define IGB_QUEUE_MS 10		   /* RXDCTL.ENABLE's change shows within this */
#define IGB_RX_STOP_SETTLE_US 100 /* after ENABLE reads 0, before the ring's memory is reused */

/* One per port; the kernel has at most a handful of NICs. */
#define IGB_MAX_PORTS 4
static struct igb igb_ports[IGB_MAX_PORTS];
static unsigned igb_nports;

static uint32_t rd(struct nic *nic, uint32_t reg)
{
	return mmio_read32(nic->regs, reg);
}

static void wr(struct nic *nic, uint32_t reg, uint32_t v)
{
	mmio_write32(nic->regs, reg, v);
}

/* Polls reg until (value & mask) == want, for at most ms milliseconds. */
static bool igb_wait(struct nic *nic, uint32_t reg, uint32_t mask, uint32_t want, unsigned ms)
{
	for (unsigned i = 0; i <= ms * 10; i++) {
		if ((rd(nic, reg) & mask) == want)
			return true;
		plat_delay_us(100);
	}
	return false;
}

static void igb_mask_irqs(struct nic *nic)
{
	wr(nic, IGB_IMC, 0xffffffff);
	wr(nic, IGB_EIMC, 0xffffffff);
	(void)rd(nic, IGB_STATUS); /* flush posted writes */
}

static bool igb_phy_write(struct nic *nic, unsigned reg, uint16_t v)
{
	wr(nic, IGB_MDIC, v | reg << IGB_MDIC_REG_SHIFT | IGB_PHY_ADDR << IGB_MDIC_PHY_SHIFT |
				  IGB_MDIC_OP_WRITE);
	if (!igb_wait(nic, IGB_MDIC, IGB_MDIC_READY, IGB_MDIC_READY, 10))
		return false;
	return !(rd(nic, IGB_MDIC) & IGB_MDIC_ERROR);
}

/*
 * Link: copper ports come up through PHY auto-negotiation, which a device reset leaves
 * stopped (QEMU's model too): restart it, and give it up to a second. A link that stays down
 * is reported, not fatal: the cable may come later.
 */
static void igb_link_up(struct nic *nic)
{
	wr(nic, IGB_CTRL, rd(nic, IGB_CTRL) | IGB_CTRL_SLU);
	if (!igb_phy_write(nic, IGB_PHY_BMCR, IGB_BMCR_ANENABLE | IGB_BMCR_ANRESTART))
		plat_log(LOG_WARN, "%s: PHY did not accept the auto-negotiation restart",
			 nic->name);
	if (!igb_wait(nic, IGB_STATUS, IGB_STATUS_LU, IGB_STATUS_LU, 1500))
		plat_log(LOG_WARN, "%s: link is down after auto-negotiation", nic->name);
}

static int igb_configure(struct nic *nic, unsigned nqueues)
{
	if (nqueues == 0 || nqueues > IGB_MAX_QUEUES)
		return -1;
	igb_mask_irqs(nic);
	wr(nic, IGB_RCTL, 0);
	wr(nic, IGB_TCTL, 0);
	wr(nic, IGB_CTRL, rd(nic, IGB_CTRL) | IGB_CTRL_RST);
	plat_delay_us(1000); /* the datasheet asks for 1 ms before touching registers again */
	if (!igb_wait(nic, IGB_CTRL, IGB_CTRL_RST, 0, 100)) {
		plat_log(LOG_ERR, "%s: reset did not complete", nic->name);
		return -1;
	}
	igb_mask_irqs(nic);
	/* Real parts set AUTO_RD within milliseconds; QEMU's model never does (see igb_regs.h). */
	if (!igb_wait(nic, IGB_EECD, IGB_EECD_AUTO_RD, IGB_EECD_AUTO_RD, 20))
		plat_log(LOG_INFO, "%s: EEPROM auto-read not reported done (EECD %#x); continuing",
			 nic->name, rd(nic, IGB_EECD));
	wr(nic, IGB_CTRL_EXT, rd(nic, IGB_CTRL_EXT) | IGB_CTRL_EXT_DRV_LOAD);
	igb_link_up(nic);

	uint32_t ral = rd(nic, IGB_RAL(0)), rah = rd(nic, IGB_RAH(0));
	for (int i = 0; i < 4; i++)
		nic->mac[i] = ral >> (8 * i);
	nic->mac[4] = rah;
	nic->mac[5] = rah >> 8;
	wr(nic, IGB_RAH(0), rah | IGB_RAH_AV);
	for (int i = 0; i < 128; i++)
		wr(nic, IGB_MTA(i), 0);
	/* Read the clear-on-read counters once so totals start at zero. */
	struct nic_stats discard;
	nic->ops->stats_get(nic, &discard);
	nic->stats = (struct nic_stats){0};
	nic->nqueues = nqueues;
	return 0;
}

static int igb_rx_queue_setup(struct nic *nic, unsigned q, unsigned ndesc,
			      struct mbuf_pool *pool)
{
	struct igb *ig = nic->priv;
	struct adv_rxq *rq = &ig->rxq[q];

	if (q >= nic->nqueues || adv_rxq_alloc(rq, ndesc, pool))
		return -1;
	rq->regs = nic->regs;
	rq->tail_reg = IGB_RDT(q);
	rq->err_ipe = IGB_RXDERR_IPE;
	rq->err_l4e = IGB_RXDERR_TCPE;
	rq->err_frame = IGB_RXDERR_CE | IGB_RXDERR_SE | IGB_RXDERR_SEQ | IGB_RXDERR_CXE |
			IGB_RXDERR_RXE;
	rq->stats = &nic->stats;

	wr(nic, IGB_RXDCTL(q), 0);
	wr(nic, IGB_RDBAL(q), (uint32_t)rq->ring_phys);
	wr(nic, IGB_RDBAH(q), (uint32_t)(rq->ring_phys >> 32));
	wr(nic, IGB_RDLEN(q), ndesc * sizeof(union adv_rx_desc));
	wr(nic, IGB_SRRCTL(q), (MBUF_DATA_ROOM / 1024) << IGB_SRRCTL_BSIZEPKT_SHIFT |
				       IGB_SRRCTL_DESCTYPE_ADV_ONEBUF | IGB_SRRCTL_DROP_EN);
	wr(nic, IGB_RDH(q), 0);
	wr(nic, IGB_RDT(q), 0);
	wr(nic, IGB_RXDCTL(q), IGB_RXDCTL_ENABLE);
	if (!igb_wait(nic, IGB_RXDCTL(q), IGB_RXDCTL_ENABLE, IGB_RXDCTL_ENABLE, IGB_QUEUE_MS)) {
		plat_log(LOG_ERR, "%s: RX queue %u did not enable", nic->name, q);
		return -1;
	}
	adv_rxq_arm(rq);
	return 0;
}

static int igb_tx_queue_setup(struct nic *nic, unsigned q, unsigned ndesc)
{
	struct igb *ig = nic->priv;
	struct adv_txq *tq = &ig->txq[q];

	if (q >= nic->nqueues || adv_txq_alloc(tq, ndesc))
		return -1;
	tq->regs = nic->regs;
	tq->tail_reg = IGB_TDT(q);
	tq->ctx_idx = 0;
	tq->stats = &nic->stats;

	wr(nic, IGB_TXDCTL(q), 0);
	wr(nic, IGB_TDBAL(q), (uint32_t)tq->ring_phys);
	wr(nic, IGB_TDBAH(q), (uint32_t)(tq->ring_phys >> 32));
	wr(nic, IGB_TDLEN(q), ndesc * sizeof(union adv_tx_desc));
	wr(nic, IGB_TDH(q), 0);
	wr(nic, IGB_TDT(q), 0);
	wr(nic, IGB_TXDCTL(q), IGB_TXDCTL_ENABLE);
	if (!igb_wait(nic, IGB_TXDCTL(q), IGB_TXDCTL_ENABLE, IGB_TXDCTL_ENABLE, 10)) {
		plat_log(LOG_ERR, "%s: TX queue %u did not enable", nic->name, q);
		return -1;
	}
	return 0;
}

static int igb_start(struct nic *nic)
{
	/* Frames up to the buffer size reach software, which counts what it cannot use. */
	wr(nic, IGB_RLPML, MBUF_DATA_ROOM);
	wr(nic, IGB_RXCSUM, IGB_RXCSUM_IPOFL | IGB_RXCSUM_TUOFL | IGB_RXCSUM_PCSD);
	wr(nic, IGB_RCTL, IGB_RCTL_EN | IGB_RCTL_BAM | IGB_RCTL_SECRC | IGB_RCTL_LPE);
	wr(nic, IGB_TCTL, IGB_TCTL_EN | IGB_TCTL_PSP | IGB_TCTL_CT | IGB_TCTL_COLD);
	/* MSI-X mode: queue q's RX cause is EICR bit q, auto-cleared and auto-masked on firing. */
	wr(nic, IGB_GPIE, IGB_GPIE_MSIX_MODE | IGB_GPIE_EIAME | IGB_GPIE_PBA | IGB_GPIE_NSICR);
	uint32_t mask = (1u << nic->nqueues) - 1;
	for (unsigned q = 0; q < nic->nqueues; q++) {
		uint32_t reg = IGB_IVAR(q % 8), shift = q < 8 ? 0 : 16;
		uint32_t v = rd(nic, reg) & ~(0xffu << shift);
		wr(nic, reg, v | (IGB_IVAR_VALID | q) << shift);
	}
	wr(nic, IGB_EIAC, mask);
	wr(nic, IGB_EIAM, mask);
	return 0;
}

static int igb_rss_config(struct nic *nic, const uint8_t *key, const uint8_t *reta)
{
	for (int i = 0; i < NIC_RSS_KEY_SIZE / 4; i++)
		wr(nic, IGB_RSSRK(i), key[4 * i] | key[4 * i + 1] << 8 | key[4 * i + 2] << 16 |
					      (uint32_t)key[4 * i + 3] << 24);
	for (int i = 0; i < NIC_RETA_SIZE / 4; i++)
		wr(nic, IGB_RETA(i), reta[4 * i] | reta[4 * i + 1] << 8 | reta[4 * i + 2] << 16 |
					     (uint32_t)reta[4 * i + 3] << 24);
	wr(nic, IGB_MRQC, IGB_MRQC_RSS | IGB_MRQC_FIELD_IPV4 | IGB_MRQC_FIELD_IPV4_TCP |
				  IGB_MRQC_FIELD_IPV4_UDP);
	return 0;
}

static void igb_link_get(struct nic *nic, struct nic_link *l)
{
	uint32_t st = rd(nic, IGB_STATUS);
	static const unsigned speeds[4] = {10, 100, 1000, 1000};

	l->up = st & IGB_STATUS_LU;
	l->full_duplex = st & IGB_STATUS_FD;
	l->speed_mbps = l->up ? speeds[(st >> IGB_STATUS_SPEED_SHIFT) & 3] : 0;
}

static void igb_stats_get(struct nic *nic, struct nic_stats *out)
{
	struct nic_stats *s = &nic->stats;

	s->rx_packets += rd(nic, IGB_GPRC);
	s->tx_packets += rd(nic, IGB_GPTC);
	/* The 64-bit octet counters clear when the high half is read: low first. */
	uint64_t lo = rd(nic, IGB_GORCL);
	s->rx_bytes += lo | (uint64_t)rd(nic, IGB_GORCH) << 32;
	lo = rd(nic, IGB_GOTCL);
	s->tx_bytes += lo | (uint64_t)rd(nic, IGB_GOTCH) << 32;
	s->rx_missed_errors += rd(nic, IGB_MPC);
	for (unsigned q = 0; q < nic->nqueues; q++)
		s->rx_missed_errors += rd(nic, IGB_RQDPC(q));
	s->rx_no_buffer += rd(nic, IGB_RNBC);
	s->rx_crc_errors += rd(nic, IGB_CRCERRS);
	s->rx_length_errors += rd(nic, IGB_RUC) + rd(nic, IGB_ROC) + rd(nic, IGB_RLEC);
	*out = *s;
}

static int igb_rx_irq(struct nic *nic, unsigned q, bool enable)
{
	if (q >= nic->nqueues)
		return -1;
	wr(nic, enable ? IGB_EIMS : IGB_EIMC, 1u << q);
	return 0;
}

/*
 * nic_ops.rx_queue_reset, after the 82576 datasheet's dynamic enabling and disabling of
 * receive queues: stop the queue, wait until it says so, then the ring is software's; set it
 * up again as at start-up (head and tail written while the queue is off, the tail moved only
 * once ENABLE reads back 1).
 */
static int igb_rx_queue_reset(struct nic *nic, unsigned q, unsigned *posted, unsigned *dropped)
{
	struct igb *ig = nic->priv;
	struct adv_rxq *rq = &ig->rxq[q < IGB_MAX_QUEUES ? q : 0];

	*posted = *dropped = 0;
	if (q >= nic->nqueues || !rq->ring) {
		plat_log(LOG_ERR, "%s: RX queue %u is not set up: cannot reset it", nic->name, q);
		return -1;
	}
	uint32_t ctl = rd(nic, IGB_RXDCTL(q));
	wr(nic, IGB_RXDCTL(q), ctl & ~IGB_RXDCTL_ENABLE);
	/* ENABLE reads 0 only once the queue's pending DMA is done: until then the ring and
	 * every buffer in it are still the NIC's. */
	if (!igb_wait(nic, IGB_RXDCTL(q), IGB_RXDCTL_ENABLE, 0, IGB_QUEUE_MS)) {
		plat_log(LOG_ERR,
			 "%s: RX queue %u did not stop (RXDCTL.ENABLE still 1 after %u ms): "
			 "its ring is not scrubbed",
			 nic->name, q, IGB_QUEUE_MS);
		wr(nic, IGB_RXDCTL(q), ctl); /* the ring was not touched: let it run on */
		return -1;
	}
	plat_delay_us(IGB_RX_STOP_SETTLE_US);
	*dropped = adv_rxq_scrub(rq);
	*posted = rq->count;
	wr(nic, IGB_RDH(q), 0);
	wr(nic, IGB_RDT(q), 0);
	wr(nic, IGB_RXDCTL(q), ctl | IGB_RXDCTL_ENABLE);
	if (!igb_wait(nic, IGB_RXDCTL(q), IGB_RXDCTL_ENABLE, IGB_RXDCTL_ENABLE, IGB_QUEUE_MS)) {
		plat_log(LOG_ERR, "%s: RX queue %u did not restart after its reset (RXDCTL.ENABLE)",
			 nic->name, q);
		return -2;
	}
	adv_rxq_arm(rq); /* dma_wmb inside: the zeroed buffers and descriptors come first */
	return 0;
}

static unsigned igb_rx_burst(struct nic *nic, unsigned q, struct mbuf **bufs, unsigned max)
{
	struct igb *ig = nic->priv;
	return adv_rx_burst(&ig->rxq[q], bufs, max);
}

static unsigned igb_tx_burst(struct nic *nic, unsigned q, struct mbuf **bufs, unsigned n)
{
	struct igb *ig = nic->priv;
	return adv_tx_burst(&ig->txq[q], bufs, n);
}

static const struct nic_ops igb_ops = {
	.configure = igb_configure,
	.rx_queue_setup = igb_rx_queue_setup,
	.tx_queue_setup = igb_tx_queue_setup,
	.start = igb_start,
	.rss_config = igb_rss_config,
	.link_get = igb_link_get,
	.stats_get = igb_stats_get,
	.rx_irq = igb_rx_irq,
	.rx_queue_reset = igb_rx_queue_reset,
};

int igb_attach(struct nic *nic, volatile void *bar0)
{
	if (igb_nports >= IGB_MAX_PORTS)
		return -1;
	struct igb *ig = &igb_ports[igb_nports];

	nic->regs = bar0;
	if (mmio_read32(bar0, IGB_STATUS) == 0xffffffff) {
		plat_log(LOG_ERR, "%s: registers read all-ones (device absent?)", nic->name);
		return -1;
	}
	igb_nports++;
	ig->nic = nic;
	nic->priv = ig;
	nic->ops = &igb_ops;
	nic->rx_burst = igb_rx_burst;
	nic->tx_burst = igb_tx_burst;
	nic->max_queues = IGB_MAX_QUEUES;
	return 0;
}
