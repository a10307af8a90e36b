/*
 * Intel 82599 driver. Initialisation follows the datasheet's sequence (4.6.3): mask interrupts,
 * global reset, EEPROM auto-read, DMA init, link, statistics, then receive (4.6.7) and transmit
 * (4.6.8) per queue, receive enabled last. The rings are the advanced descriptor rings shared
 * with igb (drivers/adv_ring.c). Every wait on the hardware is bounded and reports its failure.
 */
#include "drivers/ixgbe/ixgbe.h"
#include "drivers/adv_ring.h"
#include "drivers/ixgbe/ixgbe_regs.h"
#include "drivers/platform.h"
#include "kernel/cmdline.h" /* LOG_* */
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/lib/string.h"
#endif

#define IXGBE_RX_BUF_KB (MBUF_DATA_ROOM / 1024)

/* Upper bounds of the waits the datasheet leaves open; generous, but never forever. */
#define IXGBE_MASTER_DIS_US 10000
#define IXGBE_RESET_US	    100000
#define IXGBE_EEPROM_US	    100000
#define IXGBE_DMAIDONE_US   100000
#define IXGBE_LINK_US	    1000000
#define IXGBE_QUEUE_US	    10000
#define IXGBE_SECRX_US	    10000
#define IXGBE_POLL_US	    10
/* 4.6.7.1: after RXDCTL.ENABLE reads 0, wait about this long before reusing the ring */
#define IXGBE_RX_STOP_SETTLE_US 100


struct ixgbe {
	struct nic *nic;
	unsigned nq;
	bool started;
	bool dead; /* reset behind our back or gone; reported once */
	bool rx_ready[IXGBE_MAX_QUEUES], tx_ready[IXGBE_MAX_QUEUES];
	struct adv_rxq rxq[IXGBE_MAX_QUEUES];
	struct adv_txq txq[IXGBE_MAX_QUEUES];
};

static uint32_t rd(struct ixgbe *dev, uint32_t reg)
{
	return mmio_read32(dev->nic->regs, reg);
}

static void wr(struct ixgbe *dev, uint32_t reg, uint32_t v)
{
	mmio_write32(dev->nic->regs, reg, v);
}

static void set_bits(struct ixgbe *dev, uint32_t reg, uint32_t bits)
{
	wr(dev, reg, rd(dev, reg) | bits);
}

static void clear_bits(struct ixgbe *dev, uint32_t reg, uint32_t bits)
{
	wr(dev, reg, rd(dev, reg) & ~bits);
}

/* Polls reg until (value & mask) == want, for at most us microseconds. */
static bool ixgbe_wait(struct ixgbe *dev, uint32_t reg, uint32_t mask, uint32_t want, unsigned us)
{
	for (unsigned t = 0;; t += IXGBE_POLL_US) {
		if ((rd(dev, reg) & mask) == want)
			return true;
		if (t >= us)
			return false;
		plat_delay_us(IXGBE_POLL_US);
	}
}

static void ixgbe_mask_irqs(struct ixgbe *dev)
{
	wr(dev, IXGBE_EIMC, IXGBE_EIMC_ALL);
	wr(dev, IXGBE_EIMC_EX(0), ~0u);
	wr(dev, IXGBE_EIMC_EX(1), ~0u);
}

/* 4.6.3.1 / 4.6.3.2: global reset, then the EEPROM auto-read and DMA init it starts. */
static int ixgbe_reset(struct ixgbe *dev)
{
	const char *name = dev->nic->name;

	ixgbe_mask_irqs(dev);
	/* 5.2.5.3.2: stop DMA before the reset so no request is cut in half */
	set_bits(dev, IXGBE_CTRL, IXGBE_CTRL_PCIE_MASTER_DIS);
	if (!ixgbe_wait(dev, IXGBE_STATUS, IXGBE_STATUS_PCIE_MASTER_EN, 0, IXGBE_MASTER_DIS_US)) {
		/* what 5.2.5.3.2 advises when requests stay pending: two resets in a row */
		plat_log(LOG_WARN, "%s: DMA did not stop (master disable); resetting twice", name);
		wr(dev, IXGBE_CTRL, rd(dev, IXGBE_CTRL) | IXGBE_CTRL_RST);
		plat_delay_us(IXGBE_RST_SETTLE_US);
		ixgbe_wait(dev, IXGBE_CTRL, IXGBE_CTRL_RST, 0, IXGBE_RESET_US);
	}
	wr(dev, IXGBE_CTRL, rd(dev, IXGBE_CTRL) | IXGBE_CTRL_RST);
	/* 8.2.3.1.1: no register access for about 1 ms after setting RST */
	plat_delay_us(IXGBE_RST_SETTLE_US);
	if (!ixgbe_wait(dev, IXGBE_CTRL, IXGBE_CTRL_RST, 0, IXGBE_RESET_US)) {
		plat_log(LOG_ERR, "%s: reset did not complete (CTRL.RST still set after %u ms)",
			 name, (IXGBE_RST_SETTLE_US + IXGBE_RESET_US) / 1000);
		return -1;
	}
	plat_delay_us(IXGBE_RST_WAIT_US);
	/* the reset unmasked nothing, but 4.6.3.1 asks to mask again after it */
	ixgbe_mask_irqs(dev);
	if (!ixgbe_wait(dev, IXGBE_EEC, IXGBE_EEC_ARD, IXGBE_EEC_ARD, IXGBE_EEPROM_US)) {
		plat_log(LOG_ERR, "%s: EEPROM auto-read did not complete (EEC.ARD)", name);
		return -1;
	}
	if (!(rd(dev, IXGBE_EEC) & IXGBE_EEC_EE_PRES) ||
	    (rd(dev, IXGBE_FWSM) & IXGBE_FWSM_EXT_ERR_IND_MASK))
		plat_log(LOG_WARN, "%s: EEPROM absent or invalid; defaults in use", name);
	if (!ixgbe_wait(dev, IXGBE_RDRXCTL, IXGBE_RDRXCTL_DMAIDONE, IXGBE_RDRXCTL_DMAIDONE,
			IXGBE_DMAIDONE_US)) {
		plat_log(LOG_ERR, "%s: DMA initialisation did not complete (RDRXCTL.DMAIDONE)",
			 name);
		return -1;
	}
	return 0;
}

/* 8.2.3.7.8/9: the reset loaded the EEPROM's station address into RAL/RAH[0]. */
static int ixgbe_read_mac(struct ixgbe *dev)
{
	uint32_t ral = rd(dev, IXGBE_RAL(0)), rah = rd(dev, IXGBE_RAH(0));
	uint8_t *mac = dev->nic->mac;

	for (unsigned i = 0; i < 4; i++)
		mac[i] = ral >> (8 * i);
	mac[4] = rah;
	mac[5] = rah >> 8;
	if (!(rah & IXGBE_RAH_AV) || (mac[0] & 1) || !(ral | (rah & 0xffff))) {
		plat_log(LOG_ERR, "%s: no valid MAC address in RAL/RAH[0] (0x%08x 0x%08x)",
			 dev->nic->name, ral, rah);
		return -1;
	}
	return 0;
}

/* 4.6.4: AUTOC comes from the EEPROM; backplane modes need autonegotiation restarted. */
static void ixgbe_link_setup(struct ixgbe *dev)
{
	uint32_t lms = rd(dev, IXGBE_AUTOC) & IXGBE_AUTOC_LMS_MASK;

	if (lms == IXGBE_AUTOC_LMS_KX4_KX_KR || lms == IXGBE_AUTOC_LMS_KX4_KX_KR_1G_AN ||
	    lms == IXGBE_AUTOC_LMS_KX4_KX_KR_SGMII)
		set_bits(dev, IXGBE_AUTOC, IXGBE_AUTOC_AN_RESTART);
	if (!ixgbe_wait(dev, IXGBE_LINKS, IXGBE_LINKS_LINK_UP, IXGBE_LINKS_LINK_UP, IXGBE_LINK_US))
		plat_log(LOG_WARN, "%s: link is down", dev->nic->name);
}

/*
 * Adds the clear-on-read counters to nic->stats. rx_packets counts what the MAC accepted
 * (GPRC), including frames later dropped for want of a descriptor: those are in
 * rx_missed_errors (QPRDC with SRRCTL.DROP_EN, MPC when the packet buffer overflowed).
 */
static void ixgbe_accumulate(struct ixgbe *dev)
{
	struct nic_stats *s = &dev->nic->stats;
	uint64_t lo;

	s->rx_packets += rd(dev, IXGBE_GPRC);
	s->tx_packets += rd(dev, IXGBE_GPTC);
	lo = rd(dev, IXGBE_GORCL); /* low half first: reading the high half clears both */
	s->rx_bytes += lo | (uint64_t)rd(dev, IXGBE_GORCH) << 32;
	lo = rd(dev, IXGBE_GOTCL);
	s->tx_bytes += lo | (uint64_t)rd(dev, IXGBE_GOTCH) << 32;
	for (unsigned i = 0; i < 8; i++) {
		s->rx_missed_errors += rd(dev, IXGBE_MPC(i));
		s->rx_no_buffer += rd(dev, IXGBE_RNBC(i));
	}
	for (unsigned q = 0; q < IXGBE_MAX_QUEUES; q++)
		s->rx_missed_errors += rd(dev, IXGBE_QPRDC(q));
	s->rx_crc_errors += rd(dev, IXGBE_CRCERRS);
	s->rx_length_errors += rd(dev, IXGBE_RUC) + rd(dev, IXGBE_ROC) + rd(dev, IXGBE_RLEC);
}

/*
 * Is the device still the one we set up? A reset from outside (power event, PCIe reset,
 * firmware) puts every register back to its reset value and forgets the rings; a device that
 * fell off the bus reads all ones. Checked on the slow path only; reported once.
 */
static bool ixgbe_alive(struct ixgbe *dev)
{
	const char *why = NULL;

	if (dev->dead)
		return false;
	if (rd(dev, IXGBE_STATUS) == 0xffffffffu) {
		why = "registers read all ones: the device is gone";
	} else {
		for (unsigned q = 0; q < dev->nq; q++) {
			if (dev->rx_ready[q] &&
			    rd(dev, IXGBE_RDLEN(q)) != dev->rxq[q].count * 16u) {
				why = "RDLEN lost its value: the device was reset";
				break;
			}
		}
		if (!why && dev->started && !(rd(dev, IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN))
			why = "RXCTRL.RXEN is clear: the device was reset";
	}
	if (!why)
		return true;
	dev->dead = true;
	plat_log(LOG_ERR, "%s: %s; reconfigure it", dev->nic->name, why);
	return false;
}

/* Gives back every buffer the rings hold and their memory (the device no longer owns them). */
static void ixgbe_release_queues(struct ixgbe *dev)
{
	for (unsigned q = 0; q < IXGBE_MAX_QUEUES; q++) {
		struct adv_rxq *rx = &dev->rxq[q];
		struct adv_txq *tx = &dev->txq[q];

		if (dev->rx_ready[q]) {
			for (unsigned i = 0; i < rx->count; i++)
				mbuf_free(rx->sw[i]);
			dma_free(rx->ring, rx->count * sizeof(*rx->ring));
			dma_free(rx->sw, rx->count * sizeof(*rx->sw));
		}
		if (dev->tx_ready[q]) {
			for (unsigned i = 0; i < tx->count; i++)
				/* adv_ring marks context-descriptor slots with (struct mbuf *)1 */
				if (tx->sw[i] && tx->sw[i] != (struct mbuf *)1)
					mbuf_free(tx->sw[i]);
			dma_free(tx->ring, tx->count * sizeof(*tx->ring));
			dma_free(tx->sw, tx->count * sizeof(*tx->sw));
		}
		dev->rx_ready[q] = dev->tx_ready[q] = false;
	}
}

static int ixgbe_rss_config(struct nic *nic, const uint8_t *key, const uint8_t *reta)
{
	struct ixgbe *dev = nic->priv;

	for (unsigned i = 0; i < NIC_RETA_SIZE; i++) {
		if (reta[i] >= dev->nq) {
			plat_log(LOG_ERR, "%s: RETA[%u] = %u names a queue not configured (%u)",
				 nic->name, i, reta[i], dev->nq);
			return -1;
		}
	}
	for (unsigned i = 0; i < IXGBE_RSSRK_REGS; i++)
		wr(dev, IXGBE_RSSRK(i),
		   key[4 * i] | key[4 * i + 1] << 8 | key[4 * i + 2] << 16 |
		       (uint32_t)key[4 * i + 3] << 24);
	for (unsigned i = 0; i < IXGBE_RETA_REGS; i++)
		wr(dev, IXGBE_RETA(i),
		   reta[4 * i] | reta[4 * i + 1] << 8 | reta[4 * i + 2] << 16 |
		       (uint32_t)reta[4 * i + 3] << 24);
	wr(dev, IXGBE_MRQC,
	   IXGBE_MRQC_MRQE_RSS | IXGBE_MRQC_RSS_FIELD_IPV4 | IXGBE_MRQC_RSS_FIELD_IPV4_TCP |
	       IXGBE_MRQC_RSS_FIELD_IPV4_UDP);
	return 0;
}

static int ixgbe_configure(struct nic *nic, unsigned nqueues)
{
	struct ixgbe *dev = nic->priv;
	uint8_t reta[NIC_RETA_SIZE];

	if (nqueues == 0 || nqueues > IXGBE_MAX_QUEUES) {
		plat_log(LOG_ERR, "%s: %u queues asked, 1..%u possible", nic->name, nqueues,
			 IXGBE_MAX_QUEUES);
		return -1;
	}
	if (!dev->dead && !(rd(dev, IXGBE_CTRL) & IXGBE_CTRL_RST))
		ixgbe_accumulate(dev); /* keep what the counters hold across the reset */
	dev->started = false;
	dev->nq = 0;
	if (ixgbe_reset(dev) < 0)
		return -1;
	/* the rings are ours again: the reset stopped all DMA */
	ixgbe_release_queues(dev);
	dev->dead = false;
	ixgbe_link_setup(dev);

	/* 4.6.3.2: FCRTH[0].RTH must be set even without flow control */
	wr(dev, IXGBE_FCRTH(0), (rd(dev, IXGBE_RXPBSIZE(0)) - 0x6000) & IXGBE_FCRTH_RTH_MASK);
	/* 4.6.7: RX filters and offloads, receiver still off */
	wr(dev, IXGBE_FCTRL, IXGBE_FCTRL_BAM);
	set_bits(dev, IXGBE_HLREG0,
		 IXGBE_HLREG0_RXCRCSTRP | IXGBE_HLREG0_TXCRCEN | IXGBE_HLREG0_TXPADEN);
	clear_bits(dev, IXGBE_HLREG0, IXGBE_HLREG0_JUMBOEN | IXGBE_HLREG0_LPBK);
	wr(dev, IXGBE_RDRXCTL,
	   (rd(dev, IXGBE_RDRXCTL) & ~IXGBE_RDRXCTL_RSCFRSTSIZE_MASK) | IXGBE_RDRXCTL_CRCSTRIP |
	       IXGBE_RDRXCTL_RSCACKC | IXGBE_RDRXCTL_FCOE_WRFIX);
	/* PCSD: the descriptor carries the RSS hash rather than the fragment checksum */
	wr(dev, IXGBE_RXCSUM, IXGBE_RXCSUM_PCSD | IXGBE_RXCSUM_IPPCSE);
	set_bits(dev, IXGBE_CTRL_EXT, IXGBE_CTRL_EXT_NS_DIS | IXGBE_CTRL_EXT_DRV_LOAD);
	/* 4.6.8 with 4.6.11.3.4 (no DCB, no virtualisation): arbiter off while MTQC changes */
	set_bits(dev, IXGBE_RTTDCS, IXGBE_RTTDCS_ARBDIS);
	wr(dev, IXGBE_DTXMXSZRQ, IXGBE_DTXMXSZRQ_MAX_BYTES_MASK);
	wr(dev, IXGBE_MTQC, 0);
	clear_bits(dev, IXGBE_RTTDCS, IXGBE_RTTDCS_ARBDIS);
	/* MSI-X with PBA and auto-mask: one message per arming (and spec update erratum 1) */
	wr(dev, IXGBE_GPIE, IXGBE_GPIE_MULTIPLE_MSIX | IXGBE_GPIE_PBA_SUPPORT | IXGBE_GPIE_EIAME);

	dev->nq = nqueues;
	nic->nqueues = nqueues;
	for (unsigned i = 0; i < NIC_RETA_SIZE; i++)
		reta[i] = i % nqueues;
	return ixgbe_rss_config(nic, nic_rss_default_key, reta);
}

static bool ixgbe_queue_ok(struct ixgbe *dev, unsigned q, bool ready, const char *what)
{
	if (q < dev->nq && !ready && !dev->started)
		return true;
	plat_log(LOG_ERR, "%s: cannot set up %s queue %u (%u configured%s%s)", dev->nic->name, what,
		 q, dev->nq, ready ? ", already set up" : "",
		 dev->started ? ", already started" : "");
	return false;
}

static int ixgbe_rx_queue_setup(struct nic *nic, unsigned q, unsigned ndesc, struct mbuf_pool *pool)
{
	struct ixgbe *dev = nic->priv;
	struct adv_rxq *rx = &dev->rxq[q < IXGBE_MAX_QUEUES ? q : 0];

	if (!ixgbe_queue_ok(dev, q, q < IXGBE_MAX_QUEUES && dev->rx_ready[q], "RX"))
		return -1;
	rx->regs = nic->regs;
	rx->tail_reg = IXGBE_RDT(q);
	rx->err_ipe = IXGBE_RXDADV_ERR_IPE;
	rx->err_l4e = IXGBE_RXDADV_ERR_L4E;
	rx->err_frame = IXGBE_RXDADV_ERR_RXE;
	rx->stats = &nic->stats;
	if (adv_rxq_alloc(rx, ndesc, pool) < 0) {
		plat_log(LOG_ERR, "%s: RX queue %u: no memory for %u descriptors and buffers",
			 nic->name, q, ndesc);
		return -1;
	}
	/* 4.6.7, per queue */
	wr(dev, IXGBE_RDBAL(q), (uint32_t)rx->ring_phys);
	wr(dev, IXGBE_RDBAH(q), (uint32_t)(rx->ring_phys >> 32));
	wr(dev, IXGBE_RDLEN(q), ndesc * sizeof(union adv_rx_desc));
	wr(dev, IXGBE_RDH(q), 0);
	wr(dev, IXGBE_RDT(q), 0);
	wr(dev, IXGBE_SRRCTL(q),
	   IXGBE_RX_BUF_KB | IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF | IXGBE_SRRCTL_DROP_EN);
	clear_bits(dev, IXGBE_DCA_RXCTRL(q), IXGBE_DCA_RXCTRL_RSVD_12);
	/* queue q's receive cause raises MSI-X vector q (armed by rx_irq) */
	wr(dev, IXGBE_IVAR(q / 2),
	   (rd(dev, IXGBE_IVAR(q / 2)) & ~(0xffu << IXGBE_IVAR_RX_SHIFT(q))) |
	       (q | IXGBE_IVAR_ALLOC_VAL) << IXGBE_IVAR_RX_SHIFT(q));
	set_bits(dev, IXGBE_RXDCTL(q), IXGBE_RXDCTL_ENABLE);
	dev->rx_ready[q] = true; /* the ring is allocated: freed on reconfigure either way */
	if (!ixgbe_wait(dev, IXGBE_RXDCTL(q), IXGBE_RXDCTL_ENABLE, IXGBE_RXDCTL_ENABLE,
			IXGBE_QUEUE_US)) {
		plat_log(LOG_ERR, "%s: RX queue %u did not enable (RXDCTL.ENABLE)", nic->name, q);
		return -1;
	}
	/* only now may the tail move (4.6.7) */
	adv_rxq_arm(rx);
	return 0;
}

static int ixgbe_tx_queue_setup(struct nic *nic, unsigned q, unsigned ndesc)
{
	struct ixgbe *dev = nic->priv;
	struct adv_txq *tx = &dev->txq[q < IXGBE_MAX_QUEUES ? q : 0];

	if (!ixgbe_queue_ok(dev, q, q < IXGBE_MAX_QUEUES && dev->tx_ready[q], "TX"))
		return -1;
	tx->regs = nic->regs;
	tx->tail_reg = IXGBE_TDT(q);
	tx->ctx_idx = 0;
	tx->stats = &nic->stats;
	if (adv_txq_alloc(tx, ndesc) < 0) {
		plat_log(LOG_ERR, "%s: TX queue %u: no memory for %u descriptors", nic->name, q,
			 ndesc);
		return -1;
	}
	/* 4.6.8, per queue */
	wr(dev, IXGBE_TDBAL(q), (uint32_t)tx->ring_phys);
	wr(dev, IXGBE_TDBAH(q), (uint32_t)(tx->ring_phys >> 32));
	wr(dev, IXGBE_TDLEN(q), ndesc * sizeof(union adv_tx_desc));
	wr(dev, IXGBE_TDH(q), 0);
	wr(dev, IXGBE_TDT(q), 0);
	/* PTHRESH 32 needs a non-zero HTHRESH; WTHRESH 0 writes each RS descriptor back at once */
	wr(dev, IXGBE_TXDCTL(q),
	   32u << IXGBE_TXDCTL_PTHRESH_SHIFT | 1u << IXGBE_TXDCTL_HTHRESH_SHIFT);
	set_bits(dev, IXGBE_DMATXCTL, IXGBE_DMATXCTL_TE); /* before the first queue enable */
	set_bits(dev, IXGBE_TXDCTL(q), IXGBE_TXDCTL_ENABLE);
	dev->tx_ready[q] = true;
	if (!ixgbe_wait(dev, IXGBE_TXDCTL(q), IXGBE_TXDCTL_ENABLE, IXGBE_TXDCTL_ENABLE,
			IXGBE_QUEUE_US)) {
		plat_log(LOG_ERR, "%s: TX queue %u did not enable (TXDCTL.ENABLE)", nic->name, q);
		return -1;
	}
	return 0;
}

static int ixgbe_start(struct nic *nic)
{
	struct ixgbe *dev = nic->priv;
	uint32_t vectors = 0;

	for (unsigned q = 0; q < dev->nq; q++) {
		if (!dev->rx_ready[q] || !dev->tx_ready[q]) {
			plat_log(LOG_ERR, "%s: queue pair %u is not set up; not starting",
				 nic->name, q);
			return -1;
		}
		vectors |= 1u << q;
	}
	if (dev->nq == 0) {
		plat_log(LOG_ERR, "%s: start before configure", nic->name);
		return -1;
	}
	/* vector q clears its cause and masks itself when it fires: rx_irq re-arms */
	wr(dev, IXGBE_EIAC, vectors);
	wr(dev, IXGBE_EIAM, vectors);
	/* 4.6.7: RXEN last, with the RX data path halted around the change */
	set_bits(dev, IXGBE_SECRXCTRL, IXGBE_SECRXCTRL_RX_DIS);
	if (!ixgbe_wait(dev, IXGBE_SECRXSTAT, IXGBE_SECRXSTAT_SECRX_RDY, IXGBE_SECRXSTAT_SECRX_RDY,
			IXGBE_SECRX_US)) {
		plat_log(LOG_ERR, "%s: RX data path did not drain (SECRXSTAT.SECRX_RDY)",
			 nic->name);
		return -1;
	}
	set_bits(dev, IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
	clear_bits(dev, IXGBE_SECRXCTRL, IXGBE_SECRXCTRL_RX_DIS);
	dev->started = true;
	return 0;
}

static void ixgbe_link_get(struct nic *nic, struct nic_link *link)
{
	struct ixgbe *dev = nic->priv;
	uint32_t links;

	link->up = false;
	link->speed_mbps = 0;
	link->full_duplex = false;
	if (!ixgbe_alive(dev))
		return;
	links = rd(dev, IXGBE_LINKS);
	if (!(links & IXGBE_LINKS_LINK_UP))
		return;
	link->up = true;
	link->full_duplex = true; /* the 82599 MAC is full duplex only */
	switch (links & IXGBE_LINKS_LINK_SPEED_MASK) {
	case IXGBE_LINKS_SPEED_10G:
		link->speed_mbps = 10000;
		break;
	case IXGBE_LINKS_SPEED_1G:
		link->speed_mbps = 1000;
		break;
	case IXGBE_LINKS_SPEED_100M:
		link->speed_mbps = 100;
		break;
	}
}

static void ixgbe_stats_get(struct nic *nic, struct nic_stats *out)
{
	struct ixgbe *dev = nic->priv;

	if (ixgbe_alive(dev))
		ixgbe_accumulate(dev);
	*out = nic->stats;
}

/*
 * EIMS/EIMC/EICR/EICS are write-1-to-act registers, so cores arm their own vectors without a
 * lock; the shared IVAR/EIAC/EIAM were programmed once, at set-up.
 */
static int ixgbe_rx_irq(struct nic *nic, unsigned q, bool enable)
{
	struct ixgbe *dev = nic->priv;
	uint32_t bit = 1u << q;

	if (q >= dev->nq || !dev->rx_ready[q] || dev->dead)
		return -1;
	if (!enable) {
		wr(dev, IXGBE_EIMC, bit);
		return 0;
	}
	wr(dev, IXGBE_EICR, bit); /* a stale cause from polling time would wake us at once */
	wr(dev, IXGBE_EIMS, bit);
	/*
	 * A frame that arrived since the caller last polled raised no interrupt (masked, or its
	 * cause just cleared above): rather than let the core halt on it, raise one now.
	 */
	volatile union adv_rx_desc *d = &dev->rxq[q].ring[dev->rxq[q].next];
	if (d->wb.status_error & ADV_RXD_STAT_DD)
		wr(dev, IXGBE_EICS, bit);
	return 0;
}

/*
 * nic_ops.rx_queue_reset, as 4.6.7.1 (dynamic disabling, then enabling, of a receive queue)
 * has it: clear ENABLE, poll until the device clears it (it does once the queue's pending
 * descriptor and buffer DMA is done; frames for the queue are dropped from then on), wait
 * ~100 us more, then the ring is software's; re-initialise it as 4.6.7 does (RDH and RDT
 * while the queue is off), set ENABLE, poll, and only then move the tail.
 */
static int ixgbe_rx_queue_reset(struct nic *nic, unsigned q, unsigned *posted,
				unsigned *dropped)
{
	struct ixgbe *dev = nic->priv;

	*posted = *dropped = 0;
	if (q >= dev->nq || !dev->rx_ready[q] || !ixgbe_alive(dev)) {
		plat_log(LOG_ERR, "%s: RX queue %u is not set up (or the device is gone): cannot "
				  "reset it", nic->name, q);
		return -1;
	}
	struct adv_rxq *rx = &dev->rxq[q];
	clear_bits(dev, IXGBE_RXDCTL(q), IXGBE_RXDCTL_ENABLE);
	/* until ENABLE reads 0 the device may still be writing a frame into a ring buffer */
	if (!ixgbe_wait(dev, IXGBE_RXDCTL(q), IXGBE_RXDCTL_ENABLE, 0, IXGBE_QUEUE_US)) {
		plat_log(LOG_ERR,
			 "%s: RX queue %u did not stop (RXDCTL.ENABLE still 1 after %u us): "
			 "its ring is not scrubbed",
			 nic->name, q, IXGBE_QUEUE_US);
		set_bits(dev, IXGBE_RXDCTL(q), IXGBE_RXDCTL_ENABLE); /* untouched: it runs on */
		return -1;
	}
	plat_delay_us(IXGBE_RX_STOP_SETTLE_US);
	*dropped = adv_rxq_scrub(rx);
	*posted = rx->count;
	wr(dev, IXGBE_RDH(q), 0);
	wr(dev, IXGBE_RDT(q), 0);
	set_bits(dev, IXGBE_RXDCTL(q), IXGBE_RXDCTL_ENABLE);
	if (!ixgbe_wait(dev, IXGBE_RXDCTL(q), IXGBE_RXDCTL_ENABLE, IXGBE_RXDCTL_ENABLE,
			IXGBE_QUEUE_US)) {
		plat_log(LOG_ERR, "%s: RX queue %u did not restart after its reset (RXDCTL.ENABLE)",
			 nic->name, q);
		return -2;
	}
	/* only now may the tail move (4.6.7); dma_wmb inside orders the zeroed buffers first */
	adv_rxq_arm(rx);
	return 0;
}

static unsigned ixgbe_rx_burst(struct nic *nic, unsigned q, struct mbuf **bufs, unsigned max)
{
	struct ixgbe *dev = nic->priv;

	/* a queue not (or no longer) set up has no ring to look at */
	if (q >= IXGBE_MAX_QUEUES || !dev->rx_ready[q])
		return 0;
	return adv_rx_burst(&dev->rxq[q], bufs, max);
}

static unsigned ixgbe_tx_burst(struct nic *nic, unsigned q, struct mbuf **bufs, unsigned n)
{
	struct ixgbe *dev = nic->priv;

	if (q >= IXGBE_MAX_QUEUES || !dev->tx_ready[q])
		return 0;
	return adv_tx_burst(&dev->txq[q], bufs, n);
}

static const struct nic_ops ixgbe_ops = {
    .configure = ixgbe_configure,
    .rx_queue_setup = ixgbe_rx_queue_setup,
    .tx_queue_setup = ixgbe_tx_queue_setup,
    .start = ixgbe_start,
    .rss_config = ixgbe_rss_config,
    .link_get = ixgbe_link_get,
    .stats_get = ixgbe_stats_get,
    .rx_irq = ixgbe_rx_irq,
    .rx_queue_reset = ixgbe_rx_queue_reset,
};

int ixgbe_attach(struct nic *nic, volatile void *bar0)
{
	uint64_t phys;
	struct ixgbe *dev;

	if (!nic->name[0])
		memcpy(nic->name, "ixgbe", sizeof("ixgbe"));
	dev = dma_alloc(sizeof(*dev), &phys);
	if (!dev) {
		plat_log(LOG_ERR, "%s: no memory for the driver state", nic->name);
		return -1;
	}
	memset(dev, 0, sizeof(*dev));
	dev->nic = nic;
	nic->regs = bar0;
	nic->priv = dev;
	nic->max_queues = IXGBE_MAX_QUEUES;
	nic->nqueues = 0;
	if (rd(dev, IXGBE_STATUS) == 0xffffffffu) {
		plat_log(LOG_ERR, "%s: registers read all ones: BAR0 not mapped or device absent",
			 nic->name);
		goto fail;
	}
	if (ixgbe_reset(dev) < 0 || ixgbe_read_mac(dev) < 0)
		goto fail;
	ixgbe_link_setup(dev);
	/* 4.6.5: counters start from zero (the reads clear whatever the reset left) */
	ixgbe_accumulate(dev);
	memset(&nic->stats, 0, sizeof(nic->stats));
	nic->ops = &ixgbe_ops;
	nic->rx_burst = ixgbe_rx_burst;
	nic->tx_burst = ixgbe_tx_burst;
	plat_log(LOG_INFO, "%s: 82599, MAC %02x:%02x:%02x:%02x:%02x:%02x", nic->name, nic->mac[0],
		 nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5]);
	return 0;
fail:
	nic->priv = NULL;
	dma_free(dev, sizeof(*dev));
	return -1;
}
