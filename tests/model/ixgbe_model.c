/*
 * Behavioural model of the 82599 (see tests/model/ixgbe_model.h). Section numbers refer to the
 * 82599 datasheet; register names come from drivers/ixgbe/ixgbe_regs.h. Descriptors and
 * frames are assembled byte by byte in little-endian order, so the model runs on any host.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/ixgbe/ixgbe_regs.h"
#include "net/toeplitz.h"
#include "tests/model/ixgbe_model.h"

#define NQ IXGBE_MODEL_QUEUES

#define ETH_HLEN      14
#define ETH_MIN_FRAME 64   /* with FCS */
#define ETH_MAX_FRAME 1518 /* with FCS, untagged */
#define ETH_FCS_LEN   4
#define ETH_P_IPV4    0x0800
#define ETH_P_VLAN    0x8100
#define IPPROTO_TCP   6
#define IPPROTO_UDP   17
#define TINY_FRAME    12 /* spec update, clarification 18 */

#define STATS_36BIT_MAX ((1ull << 36) - 1)

struct tx_ctx {
	unsigned maclen, iplen;
	uint32_t tucmd;
};

struct ixgbe_model {
	struct ixgbe_model_ops ops;
	void *ctx;
	struct ixgbe_model_config cfg;
	uint32_t regs[IXGBE_MODEL_BAR_SIZE / 4];

	uint64_t reset_done_at; /* CTRL.RST reads 1 before this */
	uint64_t eeprom_at;	/* EEC.ARD sets at this time */
	uint64_t dma_at;	/* RDRXCTL.DMAIDONE sets at this time */
	bool link_up;		/* as last reported through EICR.LSC */
	uint64_t link_at;	/* the link comes up at this time (if the cable is in) */

	uint64_t rx_enable_at[NQ], tx_enable_at[NQ];
	bool rx_enabled[NQ], tx_enabled[NQ];
	struct tx_ctx tx_ctx[NQ][2];

	/* Interrupts: causes and masks of the 64 vectors, and of the "other" causes 30:16. */
	uint64_t vec_cause, vec_mask, vec_sent;
	uint32_t other_cause, other_mask;
	bool other_sent;

	uint64_t gorc, gotc, tor; /* 36-bit octet counters behind the L/H register pairs */

	uint8_t frame[IXGBE_MODEL_MAX_FRAME];
};

static const char *const rx_names[] = {
    [IXGBE_MODEL_RX_OK] = "ok",
    [IXGBE_MODEL_RX_OFF] = "receiver off",
    [IXGBE_MODEL_RX_TINY] = "shorter than 12 bytes",
    [IXGBE_MODEL_RX_FILTERED] = "filtered",
    [IXGBE_MODEL_RX_CRC] = "bad FCS",
    [IXGBE_MODEL_RX_RUNT] = "runt",
    [IXGBE_MODEL_RX_OVERSIZE] = "oversize",
    [IXGBE_MODEL_RX_NO_DESC] = "no descriptor",
    [IXGBE_MODEL_RX_DMA_ERROR] = "DMA error",
};

const char *ixgbe_model_rx_name(enum ixgbe_model_rx r)
{
	return (unsigned)r < sizeof(rx_names) / sizeof(rx_names[0]) ? rx_names[r] : "?";
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void mlog(struct ixgbe_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mlog(struct ixgbe_model *m, const char *fmt, ...)
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

static uint64_t now(struct ixgbe_model *m)
{
	return m->ops.now_ns(m->ctx);
}

static uint64_t after(uint64_t t, uint64_t d)
{
	return d == IXGBE_MODEL_NEVER || t > IXGBE_MODEL_NEVER - d ? IXGBE_MODEL_NEVER : t + d;
}

static uint32_t *reg(struct ixgbe_model *m, uint32_t off)
{
	return &m->regs[off / 4];
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static unsigned get_be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

uint32_t ixgbe_model_fcs(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* Adds len bytes as big-endian 16-bit words to a ones' complement sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Counters stick at their maximum (8.2.3.23). */
static void count(struct ixgbe_model *m, uint32_t off, uint32_t n)
{
	uint32_t *r = reg(m, off);

	*r = *r > UINT32_MAX - n ? UINT32_MAX : *r + n;
}

static void count36(uint64_t *c, uint64_t n)
{
	*c = *c + n > STATS_36BIT_MAX ? STATS_36BIT_MAX : *c + n;
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

/* Sends the message of every pending, unmasked cause not yet signalled. */
static void irq_update(struct ixgbe_model *m)
{
	uint32_t gpie = *reg(m, IXGBE_GPIE);

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
		if ((gpie & IXGBE_GPIE_EIAME) && v < 16 && (*reg(m, IXGBE_EIAM) & bit))
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
static void queue_cause(struct ixgbe_model *m, unsigned q, bool tx)
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
	*reg(m, IXGBE_EEC) = IXGBE_EEC_EE_PRES;
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

static bool link_is_up(struct ixgbe_model *m)
{
	return m->cfg.cable && !in_reset(m) && now(m) >= m->link_at;
}

/* Raises EICR.LSC when the link has changed since it was last looked at. */
static void update_link(struct ixgbe_model *m)
{
	bool up = link_is_up(m);

	if (up == m->link_up)
		return;
	m->link_up = up;
	m->other_cause |= IXGBE_EICR_LSC;
	irq_update(m);
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
	/* the power-on reset, EEPROM load and link training happened before anyone looked */
	reset_registers(m);
	m->reset_done_at = m->eeprom_at = m->dma_at = m->link_at = 0;
	m->link_up = link_is_up(m);
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

static unsigned ring_count(struct ixgbe_model *m, uint32_t len_reg)
{
	return *reg(m, len_reg) / 16;
}

static uint32_t do_read(struct ixgbe_model *m, uint32_t off, bool side_effects)
{
	uint64_t t = now(m);
	int q;

	if (off >= IXGBE_MODEL_BAR_SIZE || off % 4) {
		if (side_effects)
			mlog(m, "read of unaligned or out-of-range register 0x%x", off);
		return 0;
	}
	off = canonical(off);
	if (side_effects)
		update_link(m);
	if (is_stat(off))
		return read_stat(m, off, side_effects);
	switch (off) {
	case IXGBE_CTRL:
		return *reg(m, off) | (t < m->reset_done_at ? IXGBE_CTRL_RST : 0);
	case IXGBE_STATUS:
		return *reg(m, off) | (*reg(m, IXGBE_CTRL) & IXGBE_CTRL_PCIE_MASTER_DIS
					   ? 0
					   : IXGBE_STATUS_PCIE_MASTER_EN);
	case IXGBE_EEC:
		return *reg(m, off) | (t >= m->eeprom_at ? IXGBE_EEC_ARD : 0);
	case IXGBE_RDRXCTL:
		return *reg(m, off) | (t >= m->dma_at ? IXGBE_RDRXCTL_DMAIDONE : 0);
	case IXGBE_LINKS:
		return link_is_up(m)
			   ? IXGBE_LINKS_LINK_UP | IXGBE_LINKS_SPEED_10G | IXGBE_LINKS_KX_AN_COMP
			   : 0;
	case IXGBE_SECRXSTAT:
		/* the model has no data in flight: the path is empty as soon as it is halted */
		return *reg(m, IXGBE_SECRXCTRL) & IXGBE_SECRXCTRL_RX_DIS ? IXGBE_SECRXSTAT_SECRX_RDY
									 : 0;
	case IXGBE_EICR: {
		uint32_t v = eicr_value(m);
		if (side_effects)
			clear_causes(m, *reg(m, IXGBE_GPIE) & IXGBE_GPIE_OCD ? v & 0x3fff0000u : v);
		return v;
	}
	case IXGBE_EICS:
	case IXGBE_EIMC:
		return 0; /* write only */
	case IXGBE_EIMS:
		return (uint32_t)(m->vec_mask & IXGBE_EICR_RTX_MASK) | m->other_mask;
	case IXGBE_EIMS_EX(0):
	case IXGBE_EIMS_EX(1):
		return (uint32_t)(m->vec_mask >> (off == IXGBE_EIMS_EX(1) ? 32 : 0));
	}
	if ((q = queue_of(off, IXGBE_RXDCTL(0), 0x40)) >= 0) {
		uint32_t v = *reg(m, off) & ~IXGBE_RXDCTL_ENABLE;
		return v | (m->rx_enabled[q] && t >= m->rx_enable_at[q] ? IXGBE_RXDCTL_ENABLE : 0);
	}
	if ((q = queue_of(off, IXGBE_TXDCTL(0), 0x40)) >= 0) {
		uint32_t v = *reg(m, off) & ~IXGBE_TXDCTL_ENABLE;
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
		mlog(m, "%s[%u] written before the queue's ENABLE read back 1", name, q);
	if (n == 0 || val >= n) {
		mlog(m, "%s[%u] = %u is beyond the ring (%u descriptors); ignored", name, q, val,
		     n);
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
			mlog(m,
			     "%s queue %u enabled with %sDLEN = %u (not a non-zero multiple of "
			     "128); it stays idle",
			     tx ? "TX" : "RX", q, tx ? "T" : "R", len);
		*at = after(now(m), m->cfg.queue_enable_ns);
	}
	*enabled = on;
}

void ixgbe_model_mmio_write(struct ixgbe_model *m, uint32_t off, uint32_t val)
{
	int q;

	if (off >= IXGBE_MODEL_BAR_SIZE || off % 4) {
		mlog(m, "write of unaligned or out-of-range register 0x%x", off);
		return;
	}
	if (in_reset(m)) {
		/* 8.2.3.1.1: no register access until the reset has completed */
		mlog(m, "write 0x%08x to 0x%05x during reset; ignored", val, off);
		return;
	}
	off = canonical(off);
	update_link(m);
	if (is_stat(off))
		return; /* read only */
	switch (off) {
	case IXGBE_CTRL:
		if (val & IXGBE_CTRL_RST) {
			ixgbe_model_reset(m);
			return;
		}
		if (val & IXGBE_CTRL_LRST)
			m->link_at = after(now(m), m->cfg.link_ns);
		*reg(m, off) = val & ~(IXGBE_CTRL_RST | IXGBE_CTRL_LRST);
		update_link(m);
		return;
	case IXGBE_STATUS:
	case IXGBE_LINKS:
	case IXGBE_SECRXSTAT:
		return; /* read only */
	case IXGBE_RXCTRL:
		/* 4.6.7: RXEN changes with the RX data path halted (SECRXCTRL.RX_DIS) */
		if ((val ^ *reg(m, off)) & IXGBE_RXCTRL_RXEN &&
		    !(*reg(m, IXGBE_SECRXCTRL) & IXGBE_SECRXCTRL_RX_DIS))
			mlog(m, "RXCTRL.RXEN changed while the RX data path was not halted");
		break;
	case IXGBE_FCTRL:
		/* 8.2.3.7.1: filters change only while the receiver is off */
		if (*reg(m, IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN)
			mlog(m, "FCTRL written while RXCTRL.RXEN is set");
		break;
	case IXGBE_EEC:
		*reg(m, off) = (*reg(m, off) & IXGBE_EEC_EE_PRES) |
			       (val & ~(IXGBE_EEC_EE_PRES | IXGBE_EEC_ARD));
		return;
	case IXGBE_RDRXCTL:
		*reg(m, off) = val & ~IXGBE_RDRXCTL_DMAIDONE;
		return;
	case IXGBE_EICR:
		clear_causes(m, val);
		return;
	case IXGBE_EICS:
		m->vec_cause |= val & IXGBE_EICR_RTX_MASK;
		m->other_cause |= val & ~IXGBE_EICR_RTX_MASK & ~IXGBE_EICR_OTHER;
		irq_update(m);
		return;
	case IXGBE_EIMS:
		m->vec_mask |= val & IXGBE_EICR_RTX_MASK;
		m->other_mask |= val & ~IXGBE_EICR_RTX_MASK;
		irq_update(m);
		return;
	case IXGBE_EIMC:
		m->vec_mask &= ~(uint64_t)(val & IXGBE_EICR_RTX_MASK);
		m->other_mask &= ~(val & ~IXGBE_EICR_RTX_MASK);
		return;
	case IXGBE_EIMS_EX(0):
	case IXGBE_EIMS_EX(1):
		m->vec_mask |= (uint64_t)val << (off == IXGBE_EIMS_EX(1) ? 32 : 0);
		irq_update(m);
		return;
	case IXGBE_EIMC_EX(0):
	case IXGBE_EIMC_EX(1):
		m->vec_mask &= ~((uint64_t)val << (off == IXGBE_EIMC_EX(1) ? 32 : 0));
		return;
	}
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
		mlog(m, "RDH[%d] written while the queue is enabled", q);
	else if ((q = queue_of(off, IXGBE_TDH(0), 0x40)) >= 0 && m->tx_enabled[q])
		mlog(m, "TDH[%d] written while the queue is enabled", q);
	*reg(m, off) = val;
}

/* ---- receive (7.1) ---------------------------------------------------------------------- */

struct rx_info {
	uint32_t hash, rss_type, pkt_type, status, errors;
	unsigned queue;
};

/* Layer 3/4 parsing for RSS, packet type and checksums (7.1.2.8, 7.1.11). */
static void rx_classify(struct ixgbe_model *m, const uint8_t *f, size_t len, struct rx_info *ri)
{
	uint32_t mrqc = *reg(m, IXGBE_MRQC);
	bool rss = (mrqc & IXGBE_MRQC_MRQE_MASK) == IXGBE_MRQC_MRQE_RSS;
	size_t l3 = ETH_HLEN;
	uint8_t key[TOEPLITZ_KEY_SIZE], in[TOEPLITZ_IPV4_PORTS_LEN];
	size_t in_len = 0;

	memset(ri, 0, sizeof(*ri));
	if (len >= 18 && get_be16(f + 12) == ETH_P_VLAN)
		l3 += 4;
	if (len < l3 + 20 || get_be16(f + l3 - 2) != ETH_P_IPV4 || f[l3] >> 4 != 4)
		goto select;
	const uint8_t *ip = f + l3;
	unsigned ihl = (ip[0] & 0xf) * 4, tot = get_be16(ip + 2), proto = ip[9];
	bool frag = get_be16(ip + 6) & 0x3fff; /* MF or a fragment offset */

	ri->pkt_type = IXGBE_RXDADV_PKTTYPE_IPV4;
	ri->status |= IXGBE_RXDADV_STAT_IPCS;
	if (ihl < 20 || l3 + ihl > len || tot < ihl || l3 + tot > len) {
		ri->errors |= IXGBE_RXDADV_ERR_IPE;
		goto select;
	}
	if (csum_fold(csum_add(0, ip, ihl)) != 0xffff)
		ri->errors |= IXGBE_RXDADV_ERR_IPE;
	memcpy(in, ip + 12, 8);
	in_len = TOEPLITZ_IPV4_LEN;
	if (frag || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		goto hash;

	const uint8_t *l4 = ip + ihl;
	unsigned l4len = tot - ihl;
	bool tcp = proto == IPPROTO_TCP;
	if (l4len < (tcp ? 20u : 8u))
		goto hash;
	ri->pkt_type |= tcp ? IXGBE_RXDADV_PKTTYPE_TCP : IXGBE_RXDADV_PKTTYPE_UDP;
	/* a UDP checksum of 0 means none was sent: nothing to check */
	if (tcp || get_be16(l4 + 6) != 0) {
		uint32_t sum = csum_add(0, ip + 12, 8) + proto + l4len;
		ri->status |= IXGBE_RXDADV_STAT_L4CS | (tcp ? 0 : IXGBE_RXDADV_STAT_UDPCS);
		if (csum_fold(csum_add(sum, l4, l4len)) != 0xffff)
			ri->errors |= IXGBE_RXDADV_ERR_L4E;
	}
	if ((tcp && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV4_TCP)) ||
	    (!tcp && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV4_UDP))) {
		memcpy(in + 8, l4, 4);
		in_len = TOEPLITZ_IPV4_PORTS_LEN;
		ri->rss_type = tcp ? IXGBE_RXDADV_RSSTYPE_IPV4_TCP : IXGBE_RXDADV_RSSTYPE_IPV4_UDP;
	}
hash:
	if (!rss)
		goto select;
	if (in_len == TOEPLITZ_IPV4_LEN) {
		if (!(mrqc & IXGBE_MRQC_RSS_FIELD_IPV4))
			goto select;
		ri->rss_type = IXGBE_RXDADV_RSSTYPE_IPV4;
	}
	for (unsigned i = 0; i < TOEPLITZ_KEY_SIZE; i++)
		key[i] = *reg(m, IXGBE_RSSRK(i / 4)) >> (8 * (i % 4));
	ri->hash = toeplitz_hash(key, in, in_len);
select:
	if (!rss || ri->rss_type == IXGBE_RXDADV_RSSTYPE_NONE) {
		ri->rss_type = 0;
		ri->hash = 0;
		ri->queue = 0; /* 7.1.2.8: packets RSS does not hash go to the default queue */
		return;
	}
	unsigned e = ri->hash & 127;
	ri->queue = (*reg(m, IXGBE_RETA(e / 4)) >> (8 * (e % 4))) & IXGBE_RETA_ENTRY_MASK;
}

static bool rx_filter(struct ixgbe_model *m, const uint8_t *f)
{
	uint32_t fctrl = *reg(m, IXGBE_FCTRL);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (!memcmp(f, bcast, 6))
		return fctrl & (IXGBE_FCTRL_BAM | IXGBE_FCTRL_MPE);
	if (f[0] & 1)
		return fctrl & IXGBE_FCTRL_MPE;
	if (fctrl & IXGBE_FCTRL_UPE)
		return true;
	for (unsigned i = 0; i < 128; i++) {
		uint32_t rah = *reg(m, IXGBE_RAH(i));
		if ((rah & IXGBE_RAH_AV) && get_le32(f) == *reg(m, IXGBE_RAL(i)) &&
		    (uint32_t)(f[4] | f[5] << 8) == (rah & 0xffff))
			return true;
	}
	return false;
}

static void rx_drop_no_desc(struct ixgbe_model *m, unsigned q)
{
	count(m, IXGBE_RNBC(0), 1);
	if (*reg(m, IXGBE_SRRCTL(q)) & IXGBE_SRRCTL_DROP_EN) {
		if (q < 16)
			count(m, IXGBE_QPRDC(q), 1);
	} else {
		count(m, IXGBE_MPC(0), 1); /* no packet buffer to wait in: see the header */
	}
}

/* Writes one advanced write-back descriptor (7.1.6.2). */
static int rx_writeback(struct ixgbe_model *m, uint64_t addr, const struct rx_info *ri,
			uint32_t staterr, uint16_t len)
{
	uint8_t d[16];

	put_le32(d, ri->rss_type | ri->pkt_type);
	/* second dword: the RSS hash with RXCSUM.PCSD, else IP id and fragment checksum (0 here) */
	put_le32(d + 4, *reg(m, IXGBE_RXCSUM) & IXGBE_RXCSUM_PCSD ? ri->hash : 0);
	put_le32(d + 8, staterr);
	put_le16(d + 12, len);
	put_le16(d + 14, 0);
	return m->ops.dma_write(m->ctx, addr, d, sizeof(d));
}

static enum ixgbe_model_rx rx_to_ring(struct ixgbe_model *m, const uint8_t *f, size_t len,
				      const struct rx_info *ri)
{
	unsigned q = ri->queue, n = ring_count(m, IXGBE_RDLEN(q));
	uint32_t srrctl = *reg(m, IXGBE_SRRCTL(q));
	size_t bufsz = (size_t)(srrctl & IXGBE_SRRCTL_BSIZEPACKET_MASK) * 1024;
	uint64_t base = *reg(m, IXGBE_RDBAL(q)) | (uint64_t)*reg(m, IXGBE_RDBAH(q)) << 32;
	uint32_t head = *reg(m, IXGBE_RDH(q)), tail = *reg(m, IXGBE_RDT(q));

	if (!m->rx_enabled[q] || n == 0 || head >= n) {
		rx_drop_no_desc(m, q);
		return IXGBE_MODEL_RX_NO_DESC;
	}
	if ((srrctl & IXGBE_SRRCTL_DESCTYPE_MASK) != IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF || !bufsz) {
		mlog(m,
		     "RX queue %u: SRRCTL 0x%08x asks for a descriptor type or buffer size the "
		     "model does not support; frame dropped",
		     q, srrctl);
		return IXGBE_MODEL_RX_DMA_ERROR;
	}
	size_t need = (len + bufsz - 1) / bufsz;
	if ((tail + n - head) % n < need) {
		rx_drop_no_desc(m, q);
		return IXGBE_MODEL_RX_NO_DESC;
	}
	enum ixgbe_model_rx res = IXGBE_MODEL_RX_OK;
	for (size_t off = 0, i = 0; i < need; i++, off += bufsz) {
		uint64_t daddr = base + (uint64_t)head * 16;
		uint8_t d[16];
		size_t chunk = len - off < bufsz ? len - off : bufsz;
		bool last = i + 1 == need;
		uint32_t staterr = IXGBE_RXDADV_STAT_DD |
				   (last ? IXGBE_RXDADV_STAT_EOP | ri->status | ri->errors : 0);

		if (m->ops.dma_read(m->ctx, daddr, d, sizeof(d)) < 0) {
			mlog(m,
			     "RX queue %u: descriptor %u at 0x%llx is not reachable; frame dropped",
			     q, head, (unsigned long long)daddr);
			res = IXGBE_MODEL_RX_DMA_ERROR;
			break;
		}
		uint64_t buf = get_le64(d);
		if (m->ops.dma_write(m->ctx, buf, f + off, chunk) < 0) {
			/* hand the descriptor back marked bad rather than wedge the ring */
			mlog(m, "RX queue %u: buffer 0x%llx of descriptor %u is not reachable", q,
			     (unsigned long long)buf, head);
			staterr =
			    IXGBE_RXDADV_STAT_DD | IXGBE_RXDADV_STAT_EOP | IXGBE_RXDADV_ERR_RXE;
			chunk = 0;
			res = IXGBE_MODEL_RX_DMA_ERROR;
			last = true;
		}
		if (rx_writeback(m, daddr, ri, staterr, chunk) < 0)
			mlog(m, "RX queue %u: write-back to 0x%llx failed", q,
			     (unsigned long long)daddr);
		head = (head + 1) % n;
		if (last)
			break;
	}
	*reg(m, IXGBE_RDH(q)) = head;
	if (res == IXGBE_MODEL_RX_OK && q < 16)
		count(m, IXGBE_QPRC(q), 1);
	queue_cause(m, q, false);
	return res;
}

static enum ixgbe_model_rx rx_frame(struct ixgbe_model *m, const uint8_t *f, size_t len,
				    bool fcs_ok)
{
	uint32_t hlreg0 = *reg(m, IXGBE_HLREG0);
	size_t wire = len + ETH_FCS_LEN, max = ETH_MAX_FRAME;
	struct rx_info ri;

	if (!link_is_up(m) || !(*reg(m, IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN) ||
	    (*reg(m, IXGBE_SECRXCTRL) & IXGBE_SECRXCTRL_RX_DIS))
		return IXGBE_MODEL_RX_OFF;
	if (wire < TINY_FRAME)
		return IXGBE_MODEL_RX_TINY;
	count(m, IXGBE_TPR, 1);
	count36(&m->tor, wire);
	bool pass = len >= 6 && rx_filter(m, f);
	if (!fcs_ok) {
		if (wire >= ETH_MIN_FRAME)
			count(m, IXGBE_CRCERRS, 1);
		else if (pass)
			count(m, IXGBE_RFC, 1);
		return IXGBE_MODEL_RX_CRC;
	}
	if (!pass)
		return IXGBE_MODEL_RX_FILTERED;
	if (hlreg0 & IXGBE_HLREG0_JUMBOEN)
		max = *reg(m, IXGBE_MAXFRS) >> IXGBE_MAXFRS_MFS_SHIFT;
	else if (len >= 16 && get_be16(f + 12) == ETH_P_VLAN)
		max += 4;
	if (wire < ETH_MIN_FRAME) {
		count(m, IXGBE_RUC, 1);
		return IXGBE_MODEL_RX_RUNT;
	}
	if (wire > max || wire > IXGBE_MODEL_MAX_FRAME) {
		count(m, IXGBE_ROC, 1);
		return IXGBE_MODEL_RX_OVERSIZE;
	}
	/* the MAC accepted it: 8.2.3.23 counts it before it reaches host memory */
	count(m, IXGBE_GPRC, 1);
	count36(&m->gorc, wire);
	if (f[0] & 1)
		count(m, memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) ? IXGBE_MPRC : IXGBE_BPRC, 1);
	rx_classify(m, f, len, &ri);
	if (!(hlreg0 & IXGBE_HLREG0_RXCRCSTRP)) {
		uint32_t fcs = ixgbe_model_fcs(f, len);
		memcpy(m->frame, f, len);
		put_le32(m->frame + len, fcs);
		f = m->frame;
		len += ETH_FCS_LEN;
	}
	return rx_to_ring(m, f, len, &ri);
}

enum ixgbe_model_rx ixgbe_model_receive(struct ixgbe_model *m, const void *frame, size_t len)
{
	update_link(m);
	return rx_frame(m, frame, len, true);
}

enum ixgbe_model_rx ixgbe_model_receive_fcs(struct ixgbe_model *m, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	update_link(m);
	if (len < ETH_FCS_LEN)
		return rx_frame(m, f, 0, false);
	len -= ETH_FCS_LEN;
	return rx_frame(m, f, len, get_le32(f + len) == ixgbe_model_fcs(f, len));
}

/* ---- transmit (7.2) --------------------------------------------------------------------- */

struct tx_desc {
	uint64_t addr;
	uint32_t cmd; /* cmd_type_len */
	uint32_t olinfo;
};

static int tx_fetch(struct ixgbe_model *m, uint64_t base, unsigned i, struct tx_desc *d)
{
	uint8_t b[16];

	if (m->ops.dma_read(m->ctx, base + (uint64_t)i * 16, b, sizeof(b)) < 0)
		return -1;
	d->addr = get_le64(b);
	d->cmd = get_le32(b + 8);
	d->olinfo = get_le32(b + 12);
	return 0;
}

static bool tx_is_ctx(const struct tx_desc *d)
{
	return (d->cmd & IXGBE_TXD_CMD_DEXT) &&
	       (d->cmd & IXGBE_TXD_DTYP_MASK) == IXGBE_TXD_DTYP_CTXT;
}

static void tx_done(struct ixgbe_model *m, uint64_t base, unsigned i)
{
	uint8_t st[4];

	/* write-back format (7.2.3.2.4): DD in the status dword */
	put_le32(st, IXGBE_TXD_STAT_DD);
	if (m->ops.dma_write(m->ctx, base + (uint64_t)i * 16 + 12, st, sizeof(st)) < 0)
		mlog(m, "TX: write-back of descriptor %u failed", i);
}

/*
 * Checksum insertion. On entry the L4 checksum field holds the pseudo-header sum, as software
 * must leave it: the part sums from the L4 header to the end and stores the complement.
 */
static void tx_offload(struct ixgbe_model *m, unsigned q, uint8_t *f, size_t len, uint32_t olinfo)
{
	const struct tx_ctx *c = &m->tx_ctx[q][(olinfo >> IXGBE_TXD_IDX_SHIFT) & 1];
	size_t l3 = c->maclen, l4 = c->maclen + c->iplen;

	if (!(olinfo & (IXGBE_TXD_POPTS_IXSM | IXGBE_TXD_POPTS_TXSM)))
		return;
	if (l3 < ETH_HLEN || c->iplen < 20 || l4 > len) {
		mlog(m,
		     "TX queue %u: checksum offload with MACLEN %u IPLEN %u on a %zu-byte frame;"
		     " not inserted",
		     q, c->maclen, c->iplen, len);
		return;
	}
	if ((olinfo & IXGBE_TXD_POPTS_IXSM) && (c->tucmd & IXGBE_TXCTX_TUCMD_IPV4))
		put_be16(f + l3 + 10, ~csum_fold(csum_add(0, f + l3, c->iplen)));
	if (olinfo & IXGBE_TXD_POPTS_TXSM) {
		uint32_t l4t = c->tucmd & IXGBE_TXCTX_TUCMD_L4T_MASK;
		size_t at = l4 + (l4t == IXGBE_TXCTX_TUCMD_L4T_TCP ? 16 : 6);
		if (l4t == IXGBE_TXCTX_TUCMD_L4T_SCTP || at + 2 > len) {
			mlog(m, "TX queue %u: L4 checksum requested that the model cannot insert",
			     q);
			return;
		}
		uint16_t sum = ~csum_fold(csum_add(0, f + l4, len - l4));
		if (l4t == IXGBE_TXCTX_TUCMD_L4T_UDP && sum == 0)
			sum = 0xffff;
		put_be16(f + at, sum);
	}
}

/*
 * Sends the packet whose descriptors are [head, eop]; bad descriptors drop the packet. Every
 * descriptor with RS is written back either way, so software gets its buffers back.
 */
static void tx_packet(struct ixgbe_model *m, unsigned q, uint64_t base, unsigned head, unsigned eop,
		      unsigned n)
{
	size_t len = 0;
	bool bad = false;
	uint32_t olinfo = 0;
	struct tx_desc d = {0};

	for (unsigned i = head;; i = (i + 1) % n) {
		if (tx_fetch(m, base, i, &d) < 0) {
			mlog(m, "TX queue %u: descriptor %u not reachable", q, i);
			bad = true;
		} else {
			size_t dlen = d.cmd & 0xffff;
			if (i == head)
				olinfo = d.olinfo;
			if (!bad &&
			    (d.addr == 0 || dlen == 0 || len + dlen > IXGBE_MODEL_MAX_FRAME)) {
				mlog(m,
				     "TX queue %u: bad descriptor %u (buffer 0x%llx, length %zu); "
				     "packet dropped",
				     q, i, (unsigned long long)d.addr, dlen);
				bad = true;
			}
			if (!bad && m->ops.dma_read(m->ctx, d.addr, m->frame + len, dlen) < 0) {
				mlog(m, "TX queue %u: buffer 0x%llx of descriptor %u not reachable",
				     q, (unsigned long long)d.addr, i);
				bad = true;
			}
			len += bad ? 0 : dlen;
			if (d.cmd & IXGBE_TXD_CMD_RS)
				tx_done(m, base, i);
		}
		if (i == eop)
			break;
	}
	if (bad)
		return;
	if (d.cmd & IXGBE_TXD_CMD_DEXT)
		tx_offload(m, q, m->frame, len, olinfo);
	if (len < ETH_MIN_FRAME - ETH_FCS_LEN && (*reg(m, IXGBE_HLREG0) & IXGBE_HLREG0_TXPADEN)) {
		memset(m->frame + len, 0, ETH_MIN_FRAME - ETH_FCS_LEN - len);
		len = ETH_MIN_FRAME - ETH_FCS_LEN;
	}
	/* without IFCS the last 4 bytes are the FCS software supplied; the wire has no other */
	if (!(d.cmd & IXGBE_TXD_CMD_IFCS) && len >= ETH_FCS_LEN)
		len -= ETH_FCS_LEN;
	count(m, IXGBE_GPTC, 1);
	count(m, IXGBE_TPT, 1);
	count36(&m->gotc, len + ETH_FCS_LEN);
	if (link_is_up(m))
		m->ops.tx_frame(m->ctx, m->frame, len);
}

static void tx_queue(struct ixgbe_model *m, unsigned q)
{
	unsigned n = ring_count(m, IXGBE_TDLEN(q));
	uint64_t base = *reg(m, IXGBE_TDBAL(q)) | (uint64_t)*reg(m, IXGBE_TDBAH(q)) << 32;
	uint32_t head = *reg(m, IXGBE_TDH(q)), tail = *reg(m, IXGBE_TDT(q));
	bool reported = false;
	struct tx_desc d;

	if (n == 0 || head >= n || tail >= n)
		return;
	while (head != tail) {
		if (tx_fetch(m, base, head, &d) < 0) {
			mlog(m, "TX queue %u: descriptor %u at 0x%llx not reachable; queue stalled",
			     q, head, (unsigned long long)(base + head * 16ull));
			break;
		}
		if (tx_is_ctx(&d)) {
			/* dwords: vlan_macip_lens, seqnum_seed, type_tucmd, mss_l4len_idx */
			struct tx_ctx *c = &m->tx_ctx[q][(d.olinfo >> IXGBE_TXCTX_IDX_SHIFT) & 1];
			c->iplen = (uint32_t)d.addr & IXGBE_TXCTX_IPLEN_MASK;
			c->maclen = ((uint32_t)d.addr & IXGBE_TXCTX_MACLEN_MASK) >>
				    IXGBE_TXCTX_MACLEN_SHIFT;
			c->tucmd = d.cmd;
			head = (head + 1) % n;
			continue;
		}
		/* the packet goes out once its end-of-packet descriptor is in the ring */
		unsigned eop = head;
		for (;;) {
			if (tx_fetch(m, base, eop, &d) < 0 || (d.cmd & IXGBE_TXD_CMD_EOP))
				break;
			eop = (eop + 1) % n;
			if (eop == tail) {
				eop = n; /* incomplete */
				break;
			}
		}
		if (eop == n)
			break;
		tx_packet(m, q, base, head, eop, n);
		head = (eop + 1) % n;
		reported = true;
	}
	*reg(m, IXGBE_TDH(q)) = head;
	if (reported)
		queue_cause(m, q, true);
}

void ixgbe_model_poll(struct ixgbe_model *m)
{
	update_link(m);
	if (in_reset(m) || !(*reg(m, IXGBE_DMATXCTL) & IXGBE_DMATXCTL_TE))
		return;
	for (unsigned q = 0; q < NQ; q++)
		if (m->tx_enabled[q])
			tx_queue(m, q);
}
