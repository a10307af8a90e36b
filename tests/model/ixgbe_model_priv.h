/*
 * Internals of the 82599 behavioural model, shared by its sources and by no one else (users of
 * the model include tests/model/ixgbe_model.h):
 *   ixgbe_model.c         reset, time, link, interrupts, the register file and its dispatch
 *   ixgbe_model_rx.c      receive: filters, RSS, checksums, descriptor write-back (7.1)
 *   ixgbe_model_tx.c      transmit: descriptors, checksum insertion, TSO (7.2)
 *   ixgbe_model_nvm.c     EEPROM and EERD, semaphores, SFP+ module over I2C, MDIO, SDPs
 * Descriptors and frames are assembled byte by byte in little-endian order, so the model runs
 * on any host.
 */
#ifndef IXOS_TESTS_IXGBE_MODEL_PRIV_H
#define IXOS_TESTS_IXGBE_MODEL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/ixgbe/ixgbe_regs.h"
#include "tests/model/ixgbe_model.h"

#define NQ IXGBE_MODEL_QUEUES

#define ETH_HLEN      14
#define ETH_MIN_FRAME 64   /* with FCS */
#define ETH_MAX_FRAME 1518 /* with FCS, untagged */
#define ETH_FCS_LEN   4
#define ETH_P_IPV4    0x0800
#define ETH_P_IPV6    0x86dd
#define ETH_P_VLAN    0x8100
#define IPPROTO_TCP   6
#define IPPROTO_UDP   17

/* 7.2.4: a TSO packet carries at most 256 KiB of payload, plus its header. */
#define IXGBE_MODEL_TSO_MAX (256 * 1024 + 256)

/* A TX context slot (7.2.3.2.3): lengths, L4 type and TSO parameters. */
struct tx_ctx {
	unsigned maclen, iplen, l4len, mss;
	uint32_t tucmd;
};

/* The SFP+ module's side of the I2C bus (a two-wire slave at 0xA0 and 0xA2, SFF-8472). */
struct ixgbe_i2c {
	bool scl, sda;	  /* the lines as the host drives them (1 = released) */
	bool slave_low;	  /* the module pulls SDA low */
	int state;	  /* enum in ixgbe_model_nvm.c */
	uint8_t shift;	  /* byte being received or sent */
	unsigned bits;	  /* bits of it done */
	uint8_t dev;	  /* addressed device, 0xA0 or 0xA2 */
	uint8_t offset;	  /* byte address within it */
	bool have_offset; /* the write that follows the address carried the byte address */
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
	bool an_restarted;	/* AUTOC.AN_RESTART written since the reset (ANLP1.AN_STATE) */

	uint64_t rx_enable_at[NQ], tx_enable_at[NQ];
	bool rx_enabled[NQ], tx_enabled[NQ];
	struct tx_ctx tx_ctx[NQ][2];

	/* Interrupts: causes and masks of the 64 vectors, and of the "other" causes 30:16. */
	uint64_t vec_cause, vec_mask, vec_sent;
	uint32_t other_cause, other_mask;
	bool other_sent;

	uint64_t gorc, gotc, tor; /* 36-bit octet counters behind the L/H register pairs */

	/* Non-volatile memory and the parts around it (ixgbe_model_nvm.c). */
	uint16_t eeprom[IXGBE_MODEL_EEPROM_WORDS];
	bool eerd_pending; /* an EERD read waits for the EEPROM auto-read to finish */
	uint8_t sfp_a0[256], sfp_a2[256];
	struct ixgbe_i2c i2c;

	uint8_t frame[IXGBE_MODEL_MAX_FRAME];
	uint8_t tx_buf[IXGBE_MODEL_TSO_MAX]; /* one packet's buffers gathered */
};

/* ---- helpers ---------------------------------------------------------------------------- */

static inline uint32_t *reg(struct ixgbe_model *m, uint32_t off)
{
	return &m->regs[off / 4];
}

static inline uint64_t now(struct ixgbe_model *m)
{
	return m->ops.now_ns(m->ctx);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline unsigned get_be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

/* Adds len bytes as big-endian 16-bit words to a ones' complement sum. */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Descriptors in a ring whose length register is len_reg. */
static inline unsigned ring_count(struct ixgbe_model *m, uint32_t len_reg)
{
	return *reg(m, len_reg) / 16;
}

/* Counters stick at their maximum (8.2.3.23). */
static inline void count(struct ixgbe_model *m, uint32_t off, uint32_t n)
{
	uint32_t *r = reg(m, off);

	*r = *r > UINT32_MAX - n ? UINT32_MAX : *r + n;
}

static inline void count36(uint64_t *c, uint64_t n)
{
	const uint64_t max = (1ull << 36) - 1;

	*c = *c + n > max ? max : *c + n;
}

/* ---- between the model's sources -------------------------------------------------------- */

/* Reports a guest error through ops.log, if there is one; printf-style, one line. */
void ixgbe_model_log(struct ixgbe_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether the link is up now: cable in, out of reset, training done, SFP+ module present. */
bool ixgbe_model_link_is_up(struct ixgbe_model *m);

/* Raises the cause of queue q's RX (tx false) or TX interrupt through its IVAR entry (7.3.2). */
void ixgbe_model_queue_cause(struct ixgbe_model *m, unsigned q, bool tx);

/* Runs a received frame (FCS stripped; fcs_ok says whether it was good) through the MAC. */
enum ixgbe_model_rx ixgbe_model_rx_frame(struct ixgbe_model *m, const uint8_t *f, size_t len,
					 bool fcs_ok);

/* Processes TX queue q from its head up to its tail (the caller checked DMATXCTL.TE). */
void ixgbe_model_tx_queue(struct ixgbe_model *m, unsigned q);

/* Builds the EEPROM image and the SFP+ module's memory from m->cfg; once, at creation. */
void ixgbe_model_nvm_init(struct ixgbe_model *m);

/* Puts the semaphores, EERD and the I2C bus back to their reset state (registers are 0). */
void ixgbe_model_nvm_reset(struct ixgbe_model *m);

/*
 * The registers ixgbe_model_nvm.c owns. The read returns true and sets *val when off is one of
 * them (side_effects false: a peek); the write returns true when it took the value.
 */
bool ixgbe_model_nvm_read(struct ixgbe_model *m, uint32_t off, bool side_effects, uint32_t *val);
bool ixgbe_model_nvm_write(struct ixgbe_model *m, uint32_t off, uint32_t val);

#endif
