/*
 * Behavioural model of the 82599 (see tests/model/ixgbe_model.h): reset and time, the link,
 * interrupts and the register file; receive, transmit and the non-volatile parts live in
 * ixgbe_model_rx.c, ixgbe_model_tx.c and ixgbe_model_nvm.c (tests/model/ixgbe_model_priv.h).
 * Section numbers refer to the 82599 datasheet; register names come from
 * drivers/ixgbe/ixgbe_regs.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/model/ixgbe_model_priv.h"

void ixgbe_model_log(struct ixgbe_model *m, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	if (!m->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m->ops.log(m->ctx, buf);
}

static uint64_t after(uint64_t t, uint64_t d)
{
	return d == IXGBE_MODEL_NEVER || t > IXGBE_MODEL_NEVER - d ? IXGBE_MODEL_NEVER : t + d;
}

static bool in_reset(struct ixgbe_model *m)
{
	return now(m) < m->reset_done_at;
}

/* ---- interrupts (7.3) ------------------------------------------------------------------- */

static bool msix_mode(struct ixgbe_model *m)
{
	return *reg(m, IXGBE_GPIE) & IXGBE_GPIE_MULTIPLE_MSIX;
}

/* With GPIE.EIAME, a vector's message clears its EIMS bit: EIAM for 0..15, EIAM_EX for all. */
static bool auto_masks(struct ixgbe_model *m, unsigned v)
{
	uint64_t ex = *reg(m, IXGBE_EIAM_EX(0)) | (uint64_t)*reg(m, IXGBE_EIAM_EX(1)) << 32;

	if (!(*reg(m, IXGBE_GPIE) & IXGBE_GPIE_EIAME))
		return false;
	return (ex >> v & 1) || (v < 16 && (*reg(m, IXGBE_EIAM) >> v & 1));
}

/* Sends the message of every pending, unmasked cause not yet signalled. */
static void irq_update(struct ixgbe_model *m)
{
	if (!msix_mode(m))
		return;
	uint64_t fire = m->vec_cause & m->vec_mask & ~m->vec_sent;
	for (unsigned v = 0; fire; v++, fire >>= 1) {
		if (!(fire & 1))
			continue;
		uint64_t bit = 1ull << v;
		m->vec_sent |= bit;
		/* 7.3.1.4: vectors 16..63 always auto-clear; 0..15 as EIAC says */
		if (v >= 16 || (*reg(m, IXGBE_EIAC) & bit)) {
			m->vec_cause &= ~bit;
			m->vec_sent &= ~bit;
		}
		if (auto_masks(m, v))
			m->vec_mask &= ~bit;
		m->ops.msix(m->ctx, v);
	}
	uint32_t misc = *reg(m, IXGBE_IVAR_MISC) >> 8;
	if ((m->other_cause & m->other_mask) && !m->other_sent && (misc & IXGBE_IVAR_ALLOC_VAL)) {
		m->other_sent = true;
		m->ops.msix(m->ctx, misc & IXGBE_IVAR_VECTOR_MASK);
	}
}

/* A queue's cause goes to the EICR bit / vector its IVAR entry names (7.3.2). */
void ixgbe_model_queue_cause(struct ixgbe_model *m, unsigned q, bool tx)
{
	uint32_t ivar = *reg(m, IXGBE_IVAR(q / 2));
	uint32_t e = ivar >> (tx ? IXGBE_IVAR_TX_SHIFT(q) : IXGBE_IVAR_RX_SHIFT(q));

	if (!(e & IXGBE_IVAR_ALLOC_VAL))
		return;
	m->vec_cause |= 1ull << (e & IXGBE_IVAR_VECTOR_MASK);
	irq_update(m);
}

static void clear_causes(struct ixgbe_model *m, uint32_t bits)
{
	m->vec_cause &= ~(uint64_t)(bits & IXGBE_EICR_RTX_MASK);
	m->vec_sent &= ~(uint64_t)(bits & IXGBE_EICR_RTX_MASK);
	m->other_cause &= ~(bits & ~IXGBE_EICR_RTX_MASK);
	if (!(m->other_cause & m->other_mask))
		m->other_sent = false;
}

static uint32_t eicr_value(struct ixgbe_model *m)
{
	uint32_t v = (uint32_t)(m->vec_cause & IXGBE_EICR_RTX_MASK) | m->other_cause;

	return m->other_cause ? v | IXGBE_EICR_OTHER : v;
}

/* ---- reset and time --------------------------------------------------------------------- */

static void reset_registers(struct ixgbe_model *m)
{
	const uint8_t *mac = m->cfg.mac;

	memset(m->regs, 0, sizeof(m->regs));
	*reg(m, IXGBE_RDRXCTL) = 8u << 17; /* RSCFRSTSIZE is not 0 after reset (4.6.7) */
	*reg(m, IXGBE_HLREG0) = IXGBE_HLREG0_TXCRCEN | IXGBE_HLREG0_RXCRCSTRP |
				IXGBE_HLREG0_TXPADEN | IXGBE_HLREG0_RXLNGTHERREN;
	*reg(m, IXGBE_MAXFRS) = (uint32_t)ETH_MAX_FRAME << IXGBE_MAXFRS_MFS_SHIFT;
	*reg(m, IXGBE_AUTOC) = IXGBE_AUTOC_LMS_10G_SERIAL;
	*reg(m, IXGBE_RAL(0)) = get_le32(mac);
	*reg(m, IXGBE_RAH(0)) = (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | IXGBE_RAH_AV;
	for (unsigned i = 0; i < 8; i++) {
		*reg(m, IXGBE_RXPBSIZE(i)) = 512u << 10;
		*reg(m, IXGBE_TXPBSIZE(i)) = 160u << 10;
	}
	for (unsigned q = 0; q < NQ; q++) {
		*reg(m, IXGBE_SRRCTL(q)) = 2 | 4u << IXGBE_SRRCTL_BSIZEHEADER_SHIFT;
		*reg(m, IXGBE_DCA_RXCTRL(q)) = IXGBE_DCA_RXCTRL_RSVD_12;
		m->rx_enabled[q] = m->tx_enabled[q] = false;
	}
	memset(m->tx_ctx, 0, sizeof(m->tx_ctx));
	m->vec_cause = m->vec_mask = m->vec_sent = 0;
	m->other_cause = m->other_mask = 0;
	m->other_sent = false;
	m->gorc = m->gotc = m->tor = 0;
	m->an_restarted = false;
	ixgbe_model_nvm_reset(m);
}

void ixgbe_model_reset(struct ixgbe_model *m)
{
	uint64_t t = now(m);

	reset_registers(m);
	m->reset_done_at = after(t, m->cfg.reset_ns);
	m->eeprom_at = after(m->reset_done_at, m->cfg.eeprom_ns);
	m->dma_at = after(m->reset_done_at, m->cfg.dma_init_ns);
	m->link_at = after(m->reset_done_at, m->cfg.link_ns);
	m->link_up = false;
}

bool ixgbe_model_link_is_up(struct ixgbe_model *m)
{
	return m->cfg.cable && !in_reset(m) && now(m) >= m->link_at;
}

/* Raises EICR.LSC when the link has changed since it was last looked at. */
static void update_link(struct ixgbe_model *m)
{
	bool up = ixgbe_model_link_is_up(m);

	if (up == m->link_up)
		return;
	m->link_up = up;
	m->other_cause |= IXGBE_EICR_LSC;
	irq_update(m);
}

/* The link drops and trains again (link reset, autonegotiation restart). */
static void restart_link(struct ixgbe_model *m)
{
	m->link_at = after(now(m), m->cfg.link_ns);
	update_link(m);
}

void ixgbe_model_set_cable(struct ixgbe_model *m, bool connected)
{
	if (connected && !m->cfg.cable)
		m->link_at = after(now(m), m->cfg.link_ns);
	m->cfg.cable = connected;
	update_link(m);
}

void ixgbe_model_default_config(struct ixgbe_model_config *cfg, const uint8_t mac[6])
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->mac, mac, 6);
	cfg->reset_ns = 200 * 1000;
	cfg->eeprom_ns = 500 * 1000;
	cfg->dma_init_ns = 100 * 1000;
	cfg->link_ns = 5 * 1000 * 1000;
	cfg->queue_enable_ns = 2 * 1000;
	cfg->cable = true;
}

struct ixgbe_model *ixgbe_model_create(const struct ixgbe_model_config *cfg,
				       const struct ixgbe_model_ops *ops, void *ctx)
{
	struct ixgbe_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->ops = *ops;
	m->ctx = ctx;
	m->cfg = *cfg;
	ixgbe_model_nvm_init(m);
	/* the power-on reset, EEPROM load and link training happened before anyone looked */
	reset_registers(m);
	m->reset_done_at = m->eeprom_at = m->dma_at = m->link_at = 0;
	m->link_up = ixgbe_model_link_is_up(m);
	return m;
}

void ixgbe_model_destroy(struct ixgbe_model *m)
{
	free(m);
}

/* ---- register access -------------------------------------------------------------------- */

/* Maps 82598-compatible aliases onto the register they stand for. */
static uint32_t canonical(uint32_t off)
{
	if (off >= IXGBE_RAL_82598(0) && off < IXGBE_RAL_82598(16))
		return off - IXGBE_RAL_82598(0) + IXGBE_RAL(0);
	if (off >= IXGBE_SRRCTL_ALT(0) && off < IXGBE_SRRCTL_ALT(16))
		return IXGBE_SRRCTL((off - IXGBE_SRRCTL_ALT(0)) / 4);
	if (off >= IXGBE_RETA_ALT(0) && off < IXGBE_RETA_ALT(IXGBE_RETA_REGS))
		return off - IXGBE_RETA_ALT(0) + IXGBE_RETA(0);
	if (off == IXGBE_MRQC_ALT)
		return IXGBE_MRQC;
	return off;
}

/* Per-queue register at off: returns the queue, or -1. base(q) = base + stride * q. */
static int queue_of(uint32_t off, uint32_t base, uint32_t stride)
{
	if (off < base || (off - base) % stride || (off - base) / stride >= NQ)
		return -1;
	return (off - base) / stride;
}

/* The clear-on-read statistics: 0x04000..0x04120, MPC and RNBC, QPRC and QPRDC of 0..15. */
static bool is_stat(uint32_t off)
{
	int q;

	if ((off >= IXGBE_CRCERRS && off <= 0x04120) || (off >= IXGBE_MPC(0) && off <= 0x03fdc))
		return true;
	if ((q = queue_of(off, IXGBE_QPRC(0), 0x40)) >= 0 && q < 16)
		return true;
	return (q = queue_of(off, IXGBE_QPRDC(0), 0x40)) >= 0 && q < 16;
}

static uint32_t read_stat(struct ixgbe_model *m, uint32_t off, bool clear)
{
	uint64_t *wide = NULL;
	uint32_t v;

	if (off == IXGBE_GORCL || off == IXGBE_GORCH)
		wide = &m->gorc;
	else if (off == IXGBE_GOTCL || off == IXGBE_GOTCH)
		wide = &m->gotc;
	else if (off == IXGBE_TORL || off == IXGBE_TORH)
		wide = &m->tor;
	if (wide) {
		/* the pair clears when the high half is read, so read low first */
		bool high = off == IXGBE_GORCH || off == IXGBE_GOTCH || off == IXGBE_TORH;
		v = high ? (uint32_t)(*wide >> 32) : (uint32_t)*wide;
		if (high && clear)
			*wide = 0;
		return v;
	}
	v = *reg(m, off);
	if (clear)
		*reg(m, off) = 0;
	return v;
}

static uint32_t do_read(struct ixgbe_model *m, uint32_t off, bool side_effects)
{
	uint64_t t = now(m);
	uint32_t v;
	int q;

	if (off >= IXGBE_MODEL_BAR_SIZE || off % 4) {
		if (side_effects)
			ixgbe_model_log(m, "read of unaligned or out-of-range register 0x%x", off);
		return 0;
	}
	off = canonical(off);
	if (side_effects)
		update_link(m);
	if (is_stat(off))
		return read_stat(m, off, side_effects);
	if (ixgbe_model_nvm_read(m, off, side_effects, &v))
		return v;
	switch (off) {
	case IXGBE_CTRL:
		return *reg(m, off) | (t < m->reset_done_at ? IXGBE_CTRL_RST : 0);
	case IXGBE_STATUS:
		return *reg(m, off) | (*reg(m, IXGBE_CTRL) & IXGBE_CTRL_PCIE_MASTER_DIS
					   ? 0
					   : IXGBE_STATUS_PCIE_MASTER_EN);
	case IXGBE_RDRXCTL:
		return *reg(m, off) | (t >= m->dma_at ? IXGBE_RDRXCTL_DMAIDONE : 0);
	case IXGBE_LINKS:
		return ixgbe_model_link_is_up(m)
			   ? IXGBE_LINKS_LINK_UP | IXGBE_LINKS_SPEED_10G | IXGBE_LINKS_KX_AN_COMP
			   : 0;
	case IXGBE_ANLP1:
		return m->an_restarted ? 1u << 16 : 0; /* the AN state machine left state 0 */
	case IXGBE_SECRXSTAT:
		/* the model has no data in flight: the path is empty as soon as it is halted */
		return IXGBE_SECRXSTAT_OFF_DIS | (*reg(m, IXGBE_SECRXCTRL) & IXGBE_SECRXCTRL_RX_DIS
						      ? IXGBE_SECRXSTAT_SECRX_RDY
						      : 0);
	case IXGBE_SECTXSTAT:
		return IXGBE_SECTXSTAT_OFF_DIS | (*reg(m, IXGBE_SECTXCTRL) & IXGBE_SECTXCTRL_TX_DIS
						      ? IXGBE_SECTXSTAT_SECTX_RDY
						      : 0);
	case IXGBE_EICR:
		v = eicr_value(m);
		if (side_effects)
			clear_causes(m, *reg(m, IXGBE_GPIE) & IXGBE_GPIE_OCD ? v & 0x3fff0000u : v);
		return v;
	case IXGBE_EICS:
		return eicr_value(m); /* the causes, without clearing them */
	case IXGBE_EICS_EX(0):
	case IXGBE_EICS_EX(1):
		return (uint32_t)(m->vec_cause >> (off == IXGBE_EICS_EX(1) ? 32 : 0));
	case IXGBE_EIMC:
		return 0; /* write only */
	case IXGBE_EIMS:
		return (uint32_t)(m->vec_mask & IXGBE_EICR_RTX_MASK) | m->other_mask;
	case IXGBE_EIMS_EX(0):
	case IXGBE_EIMS_EX(1):
		return (uint32_t)(m->vec_mask >> (off == IXGBE_EIMS_EX(1) ? 32 : 0));
	}
	if ((q = queue_of(off, IXGBE_RXDCTL(0), 0x40)) >= 0) {
		v = *reg(m, off) & ~IXGBE_RXDCTL_ENABLE;
		return v | (m->rx_enabled[q] && t >= m->rx_enable_at[q] ? IXGBE_RXDCTL_ENABLE : 0);
	}
	if ((q = queue_of(off, IXGBE_TXDCTL(0), 0x40)) >= 0) {
		v = *reg(m, off) & ~IXGBE_TXDCTL_ENABLE;
		return v | (m->tx_enabled[q] && t >= m->tx_enable_at[q] ? IXGBE_TXDCTL_ENABLE : 0);
	}
	return *reg(m, off);
}

uint32_t ixgbe_model_mmio_read(struct ixgbe_model *m, uint32_t off)
{
	return do_read(m, off, true);
}

uint32_t ixgbe_model_peek(struct ixgbe_model *m, uint32_t off)
{
	return do_read(m, off, false);
}

static void write_tail(struct ixgbe_model *m, uint32_t off, uint32_t len_reg, uint32_t val,
		       const char *name, unsigned q, bool enabled, uint64_t enable_at)
{
	unsigned n = ring_count(m, len_reg);

	/* 4.6.7 / 4.6.8: the tail may move only once ENABLE has read back 1 */
	if (enabled && now(m) < enable_at)
		ixgbe_model_log(m, "%s[%u] written before the queue's ENABLE read back 1", name, q);
	if (n == 0 || val >= n) {
		ixgbe_model_log(m, "%s[%u] = %u is beyond the ring (%u descriptors); ignored", name,
				q, val, n);
		return;
	}
	*reg(m, off) = val;
}

static void queue_enable(struct ixgbe_model *m, unsigned q, bool tx, uint32_t val)
{
	bool *enabled = tx ? &m->tx_enabled[q] : &m->rx_enabled[q];
	uint64_t *at = tx ? &m->tx_enable_at[q] : &m->rx_enable_at[q];
	uint32_t len = *reg(m, tx ? IXGBE_TDLEN(q) : IXGBE_RDLEN(q));
	bool on = val & (tx ? IXGBE_TXDCTL_ENABLE : IXGBE_RXDCTL_ENABLE);

	if (on && !*enabled) {
		if (len == 0 || len % 128)
			ixgbe_model_log(m,
					"%s queue %u enabled with %sDLEN = %u (not a non-zero "
					"multiple of 128); it stays idle",
					tx ? "TX" : "RX", q, tx ? "T" : "R", len);
		*at = after(now(m), m->cfg.queue_enable_ns);
	}
	*enabled = on;
}

/* The registers with side effects on write; returns false for plain storage. */
static bool write_special(struct ixgbe_model *m, uint32_t off, uint32_t val)
{
	switch (off) {
	case IXGBE_CTRL:
		/* LRST is a device reset too, with the link retrained after it */
		if (val & (IXGBE_CTRL_RST | IXGBE_CTRL_LRST)) {
			ixgbe_model_reset(m);
			return true;
		}
		*reg(m, off) = val;
		update_link(m);
		return true;
	case IXGBE_STATUS:
	case IXGBE_LINKS:
	case IXGBE_ANLP1:
	case IXGBE_SECRXSTAT:
	case IXGBE_SECTXSTAT:
		return true; /* read only */
	case IXGBE_AUTOC:
		/* AN_RESTART clears itself; the link drops and trains again (4.6.4) */
		*reg(m, off) = val & ~IXGBE_AUTOC_AN_RESTART;
		if (val & IXGBE_AUTOC_AN_RESTART) {
			m->an_restarted = true;
			restart_link(m);
		}
		return true;
	case IXGBE_FDIRCTRL:
		/* the model keeps no filter tables: they are initialised at once */
		*reg(m, off) = val | IXGBE_FDIRCTRL_INIT_DONE;
		return true;
	case IXGBE_FDIRCMD:
		*reg(m, off) = val & ~IXGBE_FDIRCMD_CMD_MASK; /* the command is done */
		return true;
	case IXGBE_RXCTRL:
		/* 4.6.7: RXEN changes with the RX data path halted (SECRXCTRL.RX_DIS) */
		if ((val ^ *reg(m, off)) & IXGBE_RXCTRL_RXEN &&
		    !(*reg(m, IXGBE_SECRXCTRL) & IXGBE_SECRXCTRL_RX_DIS))
			ixgbe_model_log(m, "RXCTRL.RXEN changed while the RX data path was not "
					   "halted");
		return false;
	case IXGBE_FCTRL:
		/* 8.2.3.7.1: filters change only while the receiver is off */
		if (*reg(m, IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN)
			ixgbe_model_log(m, "FCTRL written while RXCTRL.RXEN is set");
		return false;
	case IXGBE_RDRXCTL:
		*reg(m, off) = val & ~IXGBE_RDRXCTL_DMAIDONE;
		return true;
	case IXGBE_EICR:
		clear_causes(m, val);
		return true;
	case IXGBE_EICS:
		m->vec_cause |= val & IXGBE_EICR_RTX_MASK;
		m->other_cause |= val & ~IXGBE_EICR_RTX_MASK & ~IXGBE_EICR_OTHER;
		irq_update(m);
		return true;
	case IXGBE_EICS_EX(0):
	case IXGBE_EICS_EX(1):
		m->vec_cause |= (uint64_t)val << (off == IXGBE_EICS_EX(1) ? 32 : 0);
		irq_update(m);
		return true;
	case IXGBE_EIMS:
		m->vec_mask |= val & IXGBE_EICR_RTX_MASK;
		m->other_mask |= val & ~IXGBE_EICR_RTX_MASK;
		irq_update(m);
		return true;
	case IXGBE_EIMC:
		m->vec_mask &= ~(uint64_t)(val & IXGBE_EICR_RTX_MASK);
		m->other_mask &= ~(val & ~IXGBE_EICR_RTX_MASK);
		return true;
	case IXGBE_EIMS_EX(0):
	case IXGBE_EIMS_EX(1):
		m->vec_mask |= (uint64_t)val << (off == IXGBE_EIMS_EX(1) ? 32 : 0);
		irq_update(m);
		return true;
	case IXGBE_EIMC_EX(0):
	case IXGBE_EIMC_EX(1):
		m->vec_mask &= ~((uint64_t)val << (off == IXGBE_EIMC_EX(1) ? 32 : 0));
		return true;
	}
	return false;
}

void ixgbe_model_mmio_write(struct ixgbe_model *m, uint32_t off, uint32_t val)
{
	int q;

	if (off >= IXGBE_MODEL_BAR_SIZE || off % 4) {
		ixgbe_model_log(m, "write of unaligned or out-of-range register 0x%x", off);
		return;
	}
	if (in_reset(m)) {
		/* 8.2.3.1.1: no register access until the reset has completed */
		ixgbe_model_log(m, "write 0x%08x to 0x%05x during reset; ignored", val, off);
		return;
	}
	off = canonical(off);
	update_link(m);
	if (is_stat(off))
		return; /* read only */
	if (ixgbe_model_nvm_write(m, off, val) || write_special(m, off, val))
		return;
	if ((q = queue_of(off, IXGBE_RDT(0), 0x40)) >= 0) {
		write_tail(m, off, IXGBE_RDLEN(q), val, "RDT", q, m->rx_enabled[q],
			   m->rx_enable_at[q]);
		return;
	}
	if ((q = queue_of(off, IXGBE_TDT(0), 0x40)) >= 0) {
		write_tail(m, off, IXGBE_TDLEN(q), val, "TDT", q, m->tx_enabled[q],
			   m->tx_enable_at[q]);
		if (m->tx_enabled[q] && m->ops.kick)
			m->ops.kick(m->ctx);
		return;
	}
	if ((q = queue_of(off, IXGBE_RXDCTL(0), 0x40)) >= 0)
		queue_enable(m, q, false, val);
	else if ((q = queue_of(off, IXGBE_TXDCTL(0), 0x40)) >= 0)
		queue_enable(m, q, true, val);
	else if ((q = queue_of(off, IXGBE_RDH(0), 0x40)) >= 0 && m->rx_enabled[q])
		ixgbe_model_log(m, "RDH[%d] written while the queue is enabled", q);
	else if ((q = queue_of(off, IXGBE_TDH(0), 0x40)) >= 0 && m->tx_enabled[q])
		ixgbe_model_log(m, "TDH[%d] written while the queue is enabled", q);
	*reg(m, off) = val;
}

enum ixgbe_model_rx ixgbe_model_receive(struct ixgbe_model *m, const void *frame, size_t len)
{
	update_link(m);
	return ixgbe_model_rx_frame(m, frame, len, true);
}

enum ixgbe_model_rx ixgbe_model_receive_fcs(struct ixgbe_model *m, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	update_link(m);
	if (len < ETH_FCS_LEN)
		return ixgbe_model_rx_frame(m, f, 0, false);
	len -= ETH_FCS_LEN;
	return ixgbe_model_rx_frame(m, f, len, get_le32(f + len) == ixgbe_model_fcs(f, len));
}

void ixgbe_model_poll(struct ixgbe_model *m)
{
	update_link(m);
	if (in_reset(m) || !(*reg(m, IXGBE_DMATXCTL) & IXGBE_DMATXCTL_TE))
		return;
	for (unsigned q = 0; q < NQ; q++)
		if (m->tx_enabled[q])
			ixgbe_model_tx_queue(m, q);
}
