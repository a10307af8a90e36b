/*
 * What the 82599 model keeps around the MAC (tests/model/ixgbe_model.h): the EEPROM image and
 * its read register EERD (8.2.3.2), EEC's status bits, the firmware status word, the software
 * and software/firmware semaphores (SWSM, SW_FW_SYNC), an SFP+ module on the bit-banged I2C
 * bus (I2CCTL; the module's memory as SFF-8472 lays it out, at two-wire addresses 0xA0 and
 * 0xA2), the SDP pins the module's presence shows on, and an MDIO bus without PHYs (MSCA).
 */
#include <string.h>

#include "tests/model/ixgbe_model_priv.h"

/* EEC.EE_SIZE for IXGBE_MODEL_EEPROM_WORDS: 2^(5 + 6) = 2048 words (a 32 Kbit part). */
#define EE_SIZE 5u

/* Where the modules of the image live (any free words after 0x3F would do). */
#define EE_CORE0 0x060 /* LAN core 0 module */
#define EE_FW	 0x070 /* firmware module */
#define EE_FWPTP 0x080 /* its pass-through patch configuration block */
#define EE_PBA	 0x090 /* PBA number string */
#define EE_SFP	 0x0a0 /* SFP+ module init sequences: the list */
#define EE_SFPIS 0x0b0 /* ... and the one (empty) sequence it points at */

#define FW_LESM_PTR	 2 /* firmware module word: LESM parameters block, 0xFFFF = none */
#define FW_PTP_PTR	 4 /* firmware module word: pass-through patch configuration block */
#define FW_PTP_VERSION	 7 /* patch configuration word: the firmware patch version */
#define FW_MODULE_WORDS	 8
#define SFP_LIST_END	 0xffff
#define DEV_CAPS_NO_FCOE 0x0002 /* device capabilities: FCoE offloads off */
#define EE_ETRACK_LO	 0x2d	/* the image's ETrack ID, low and high words */
#define EE_ETRACK_HI	 0x2e

/* SFF-8472 byte addresses in the module's 0xA0 page. */
#define SFF_ID_SFP	    0x03
#define SFF_10G_SR	    0x10 /* 10G Ethernet compliance byte (3): 10GBASE-SR */
#define SFF_VENDOR_NAME	    20
#define SFF_VENDOR_OUI	    37
#define SFF_VENDOR_PN	    40
#define SFF_VENDOR_REV	    56
#define SFF_CC_BASE	    63
#define SFF_VENDOR_SN	    68
#define SFF_DATE	    84
#define SFF_CC_EXT	    95
#define SFF_DIAG_CC	    95	/* 0xA2: checksum of bytes 0..94 */
#define SFF_DIAG_STATUS	    110 /* 0xA2: status/control */
#define SFF_DIAG_RX_LOS	    0x02
#define I2C_ADDR_ID	    0xa0
#define I2C_ADDR_DIAG	    0xa2
#define I2C_DIAG_USER_FIRST 128 /* 0xA2 bytes 128..247: user writable EEPROM */
#define I2C_DIAG_USER_LAST  247
#define SFP_INTEL_OUI	    "\x00\x1b\x21"

/* The module's bus states: a byte in from the host, an ACK out, a byte out, an ACK in. */
enum { I2C_IDLE, I2C_RX, I2C_ACK_OUT, I2C_TX, I2C_ACK_IN };

/* ---- the EEPROM image ------------------------------------------------------------------- */

/* The sum that word 0x3F must bring to 0xBABA (see ixgbe_model.h). */
static uint16_t ee_sum(const uint16_t *ee)
{
	uint16_t sum = 0;

	for (unsigned i = 0; i < IXGBE_EE_CHECKSUM; i++)
		sum += ee[i];
	for (unsigned p = IXGBE_EE_PTR_FIRST; p <= IXGBE_EE_PTR_LAST; p++) {
		unsigned at = ee[p];
		if (at == 0 || at == 0xffff || at >= IXGBE_MODEL_EEPROM_WORDS)
			continue;
		unsigned len = ee[at];
		if (len == 0 || len == 0xffff)
			continue;
		for (unsigned i = at + 1; i <= at + len && i < IXGBE_MODEL_EEPROM_WORDS; i++)
			sum += ee[i];
	}
	return sum;
}

static void ee_string(uint16_t *ee, unsigned at, const char *s)
{
	for (size_t i = 0; s[i]; i += 2)
		ee[at + i / 2] =
		    (uint16_t)((uint8_t)s[i] << 8 | (s[i + 1] ? (uint8_t)s[i + 1] : 0));
}

static void build_eeprom(struct ixgbe_model *m)
{
	uint16_t *ee = m->eeprom;
	const uint8_t *mac = m->cfg.mac;
	uint16_t fwsum = 0;

	for (unsigned i = 0; i < IXGBE_MODEL_EEPROM_WORDS; i++)
		ee[i] = 0xffff; /* erased, and "no module" for every pointer */
	/* LAN core 0: the station address, low byte first in each word */
	ee[IXGBE_EE_CORE0_PTR] = EE_CORE0;
	ee[EE_CORE0] = 3;
	for (unsigned i = 0; i < 3; i++)
		ee[EE_CORE0 + 1 + i] = (uint16_t)(mac[2 * i] | mac[2 * i + 1] << 8);
	/* firmware module: no LESM, a patch configuration of version 6; its words sum to 0 */
	ee[IXGBE_EE_FW_PTR] = EE_FW;
	ee[EE_FW] = FW_MODULE_WORDS;
	for (unsigned i = 1; i <= FW_MODULE_WORDS; i++)
		ee[EE_FW + i] = 0;
	ee[EE_FW + FW_LESM_PTR] = 0xffff;
	ee[EE_FW + FW_PTP_PTR] = EE_FWPTP;
	for (unsigned i = 1; i < FW_MODULE_WORDS; i++)
		fwsum += ee[EE_FW + i];
	ee[EE_FW + FW_MODULE_WORDS] = (uint16_t)-fwsum;
	ee[EE_FWPTP] = FW_PTP_VERSION;
	for (unsigned i = 1; i < FW_PTP_VERSION; i++)
		ee[EE_FWPTP + i] = 0;
	ee[EE_FWPTP + FW_PTP_VERSION] = 0x0006;
	/* the PBA number as a string: a length word (itself included), then two characters a word
	 */
	ee[IXGBE_EE_PBA0] = 0xfafa;
	ee[IXGBE_EE_PBA1] = EE_PBA;
	ee[EE_PBA] = 6;
	ee_string(ee, EE_PBA + 1, "IXOS01-001");
	/*
	 * SFP+ init sequences: a header word, then (module type, sequence) pairs up to 0xFFFF.
	 * Types 3/4 are direct-attach and 5/6 SR/LR modules on core 0/1; all share one sequence
	 * (a header word and no analog writes before its 0xFFFF).
	 */
	ee[IXGBE_EE_SFP_INIT_PTR] = EE_SFP;
	ee[EE_SFP] = 0;
	for (unsigned i = 0; i < 4; i++) {
		ee[EE_SFP + 1 + 2 * i] = 3 + i;
		ee[EE_SFP + 2 + 2 * i] = EE_SFPIS;
	}
	ee[EE_SFP + 9] = SFP_LIST_END;
	ee[EE_SFPIS] = 0;
	ee[EE_SFPIS + 1] = SFP_LIST_END;
	ee[IXGBE_EE_DEVICE_CAPS] = DEV_CAPS_NO_FCOE;
	ee[EE_ETRACK_LO] = 0x0001;
	ee[EE_ETRACK_HI] = 0x8000;
	ee[IXGBE_EE_CHECKSUM] = (uint16_t)(IXGBE_EE_SUM - ee_sum(ee));
}

/* ---- the SFP+ module's memory (SFF-8472) ------------------------------------------------ */

static void sff_text(uint8_t *p, const char *s, size_t width)
{
	size_t n = strlen(s);

	memset(p, ' ', width);
	memcpy(p, s, n < width ? n : width);
}

static uint8_t sff_sum(const uint8_t *p, size_t from, size_t to)
{
	uint8_t sum = 0;

	for (size_t i = from; i <= to; i++)
		sum += p[i];
	return sum;
}

static void build_sfp(struct ixgbe_model *m)
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t *a0 = m->sfp_a0, *a2 = m->sfp_a2;
	char sn[17] = "IXOS";

	memset(a0, 0, 256);
	memset(a2, 0, 256);
	a0[0] = SFF_ID_SFP;
	a0[1] = 0x04; /* extended identifier: serial ID via two-wire */
	a0[2] = 0x07; /* connector: LC */
	a0[3] = SFF_10G_SR;
	a0[11] = 0x06; /* encoding: 64B/66B */
	a0[12] = 0x67; /* nominal rate: 10.3 GBd */
	a0[17] = 0x03; /* OM1: 30 m */
	a0[19] = 0x1e; /* OM3: 300 m */
	sff_text(a0 + SFF_VENDOR_NAME, "Intel Corp", 16);
	memcpy(a0 + SFF_VENDOR_OUI, SFP_INTEL_OUI, 3);
	sff_text(a0 + SFF_VENDOR_PN, "IXOS MODEL SR", 16);
	sff_text(a0 + SFF_VENDOR_REV, "A", 4);
	a0[60] = 0x03; /* wavelength: 850 nm */
	a0[61] = 0x52;
	a0[SFF_CC_BASE] = sff_sum(a0, 0, SFF_CC_BASE - 1);
	a0[65] = 0x1a; /* options: RX_LOS, TX_FAULT, TX_DISABLE */
	for (unsigned i = 0; i < 6; i++) {
		sn[4 + i * 2] = hex[m->cfg.mac[i] >> 4];
		sn[5 + i * 2] = hex[m->cfg.mac[i] & 15];
	}
	sff_text(a0 + SFF_VENDOR_SN, sn, 16);
	sff_text(a0 + SFF_DATE, "260101", 8);
	a0[92] = 0x68; /* diagnostics: implemented, internally calibrated, average power */
	a0[93] = 0xf0; /* enhanced options: alarm flags, soft TX_DISABLE, TX_FAULT, RX_LOS */
	a0[94] = 0x03; /* SFF-8472 revision 10.2 */
	a0[SFF_CC_EXT] = sff_sum(a0, 64, SFF_CC_EXT - 1);
	/* 0xA2: temperature and Vcc alarm thresholds, then the live values */
	put_be16(a2 + 0, 0x5f00);  /* temperature high alarm: 95 C */
	put_be16(a2 + 2, 0xf600);  /* ... low alarm: -10 C */
	put_be16(a2 + 8, 0x8ca0);  /* Vcc high alarm: 3.6 V */
	put_be16(a2 + 10, 0x7530); /* ... low alarm: 3.0 V */
	a2[SFF_DIAG_CC] = sff_sum(a2, 0, SFF_DIAG_CC - 1);
	put_be16(a2 + 96, 0x2800);  /* temperature: 40 C */
	put_be16(a2 + 98, 0x8080);  /* Vcc: 3.29 V */
	put_be16(a2 + 100, 0x1770); /* TX bias: 12 mA */
	put_be16(a2 + 102, 0x1f40); /* TX power: 0.8 mW */
	put_be16(a2 + 104, 0x1388); /* RX power: 0.5 mW */
}

static uint8_t sfp_read(struct ixgbe_model *m, uint8_t dev, uint8_t off)
{
	if (dev == I2C_ADDR_ID)
		return m->sfp_a0[off];
	if (off == SFF_DIAG_STATUS)
		return m->sfp_a2[off] | (m->cfg.cable ? 0 : SFF_DIAG_RX_LOS);
	return m->sfp_a2[off];
}

static void sfp_write(struct ixgbe_model *m, uint8_t dev, uint8_t off, uint8_t val)
{
	/* the serial ID page is read-only; of 0xA2, the control bytes and the user EEPROM */
	if (dev == I2C_ADDR_DIAG && (off == SFF_DIAG_STATUS || off == 118 ||
				     (off >= I2C_DIAG_USER_FIRST && off <= I2C_DIAG_USER_LAST)))
		m->sfp_a2[off] = val;
}

void ixgbe_model_nvm_init(struct ixgbe_model *m)
{
	build_eeprom(m);
	build_sfp(m);
}

void ixgbe_model_nvm_reset(struct ixgbe_model *m)
{
	m->eerd_pending = false;
	memset(&m->i2c, 0, sizeof(m->i2c));
	m->i2c.scl = m->i2c.sda = true;
	m->i2c.state = I2C_IDLE;
}

/* ---- the I2C bus: the module as a two-wire slave ---------------------------------------- */

static void i2c_load(struct ixgbe_model *m)
{
	struct ixgbe_i2c *b = &m->i2c;

	b->shift = sfp_read(m, b->dev, b->offset++);
	b->bits = 0;
	b->slave_low = !(b->shift & 0x80);
	b->state = I2C_TX;
}

/* A whole byte came in: the address byte after a START, else data. ACKs it or lets go. */
static void i2c_byte_in(struct ixgbe_model *m)
{
	struct ixgbe_i2c *b = &m->i2c;
	uint8_t byte = b->shift;

	if (b->state == I2C_RX && b->dev == 0) {
		uint8_t dev = byte & 0xfe;
		if (dev != I2C_ADDR_ID && dev != I2C_ADDR_DIAG) {
			b->state = I2C_IDLE; /* not ours: no ACK */
			return;
		}
		b->dev = dev | (byte & 1); /* bit 0 remembers a read until the ACK is done */
		b->have_offset = false;
	} else if (!b->have_offset) {
		b->offset = byte;
		b->have_offset = true;
	} else {
		sfp_write(m, b->dev, b->offset++, byte);
	}
	b->slave_low = true;
	b->state = I2C_ACK_OUT;
}

/* SCL rose: the host samples SDA now, so does the module when it is listening. */
static void i2c_clock_high(struct ixgbe_model *m, bool line)
{
	struct ixgbe_i2c *b = &m->i2c;

	if (b->state == I2C_RX) {
		b->shift = (uint8_t)(b->shift << 1 | line);
		b->bits++;
	} else if (b->state == I2C_ACK_IN) {
		b->bits = line; /* 0: the host wants another byte */
	}
}

/* SCL fell: the module moves on and sets up SDA for the next bit. */
static void i2c_clock_low(struct ixgbe_model *m)
{
	struct ixgbe_i2c *b = &m->i2c;

	switch (b->state) {
	case I2C_RX:
		if (b->bits == 8)
			i2c_byte_in(m);
		break;
	case I2C_ACK_OUT:
		b->slave_low = false;
		if (b->dev & 1) {
			b->dev &= 0xfe;
			i2c_load(m);
		} else {
			b->state = I2C_RX;
			b->bits = 0;
		}
		break;
	case I2C_TX:
		if (++b->bits < 8) {
			b->slave_low = !(b->shift >> (7 - b->bits) & 1);
		} else {
			b->slave_low = false;
			b->state = I2C_ACK_IN;
		}
		break;
	case I2C_ACK_IN:
		if (b->bits == 0)
			i2c_load(m);
		else
			b->state = I2C_IDLE; /* NACK: the host is done; a STOP follows */
		break;
	}
}

static void i2c_write(struct ixgbe_model *m, uint32_t val)
{
	struct ixgbe_i2c *b = &m->i2c;
	bool scl = val & IXGBE_I2CCTL_CLK_OUT, sda = val & IXGBE_I2CCTL_DATA_OUT;
	bool line_before = b->sda && !b->slave_low, line = sda && !b->slave_low;

	b->sda = sda;
	if (scl != b->scl) {
		b->scl = scl;
		if (scl)
			i2c_clock_high(m, line);
		else
			i2c_clock_low(m);
	} else if (scl && line != line_before) {
		/* SDA moving while SCL is high: START (falling) or STOP (rising) */
		b->slave_low = false;
		b->bits = 0;
		b->shift = 0;
		b->dev = 0;
		b->state = line ? I2C_IDLE : I2C_RX;
	}
}

static uint32_t i2c_read(struct ixgbe_model *m)
{
	const struct ixgbe_i2c *b = &m->i2c;
	uint32_t v = 0;

	if (b->scl)
		v |= IXGBE_I2CCTL_CLK_OUT | IXGBE_I2CCTL_CLK_IN; /* the module never stretches */
	if (b->sda)
		v |= IXGBE_I2CCTL_DATA_OUT;
	if (b->sda && !b->slave_low)
		v |= IXGBE_I2CCTL_DATA_IN;
	return v;
}

/* ---- registers -------------------------------------------------------------------------- */

/* EERD's value; completes a read that waited for the auto-read when complete is set. */
static uint32_t eerd_value(struct ixgbe_model *m, bool complete)
{
	uint32_t v = *reg(m, IXGBE_EERD);
	unsigned addr = (v & IXGBE_EERD_ADDR_MASK) >> IXGBE_EERD_ADDR_SHIFT;

	if (!m->eerd_pending || now(m) < m->eeprom_at)
		return v;
	uint16_t data = addr < IXGBE_MODEL_EEPROM_WORDS ? m->eeprom[addr] : 0xffff;
	v = (v & IXGBE_EERD_ADDR_MASK) | IXGBE_EERD_DONE | (uint32_t)data << IXGBE_EERD_DATA_SHIFT;
	if (complete) {
		*reg(m, IXGBE_EERD) = v;
		m->eerd_pending = false;
	}
	return v;
}

bool ixgbe_model_nvm_read(struct ixgbe_model *m, uint32_t off, bool side_effects, uint32_t *val)
{
	bool loaded = now(m) >= m->eeprom_at;
	uint32_t v = *reg(m, off);

	switch (off) {
	case IXGBE_EEC:
		v |= IXGBE_EEC_EE_PRES | IXGBE_EEC_ADDR_SIZE | EE_SIZE << IXGBE_EEC_SIZE_SHIFT;
		v |= loaded ? IXGBE_EEC_ARD : 0;
		v |= v & IXGBE_EEC_REQ ? IXGBE_EEC_GNT : 0;
		break;
	case IXGBE_EERD:
		v = eerd_value(m, side_effects);
		break;
	case IXGBE_FWSM:
		v = loaded ? IXGBE_FWSM_FW_VAL : 0; /* no manageability, no errors */
		break;
	case IXGBE_SWSM:
		/* reading SMBI as 0 takes it */
		if (side_effects && !(v & IXGBE_SWSM_SMBI))
			*reg(m, off) |= IXGBE_SWSM_SMBI;
		break;
	case IXGBE_I2CCTL:
		v = i2c_read(m);
		break;
	case IXGBE_ESDP:
		/* SDP2 is an input unless software made it an output: the module is in */
		if (!(v & IXGBE_ESDP_SDP2_DIR))
			v |= IXGBE_ESDP_SDP2;
		break;
	default:
		return false;
	}
	*val = v;
	return true;
}

bool ixgbe_model_nvm_write(struct ixgbe_model *m, uint32_t off, uint32_t val)
{
	switch (off) {
	case IXGBE_EEC:
		*reg(m, off) = val & ~(IXGBE_EEC_EE_PRES | IXGBE_EEC_ARD | IXGBE_EEC_GNT |
				       IXGBE_EEC_ADDR_SIZE | IXGBE_EEC_SIZE_MASK);
		return true;
	case IXGBE_EERD:
		if (!(val & IXGBE_EERD_START))
			return true;
		*reg(m, off) = val & IXGBE_EERD_ADDR_MASK;
		m->eerd_pending = true;
		eerd_value(m, true);
		return true;
	case IXGBE_FWSM:
		return true; /* firmware's; there is none */
	case IXGBE_SWSM:
		*reg(m, off) = val & (IXGBE_SWSM_SMBI | IXGBE_SWSM_SWESMBI);
		return true;
	case IXGBE_SW_FW_SYNC:
		*reg(m, off) = val & IXGBE_SW_FW_SYNC_SW_MASK; /* no firmware takes its bits */
		return true;
	case IXGBE_I2CCTL:
		i2c_write(m, val);
		return true;
	case IXGBE_MSCA:
		/* an empty MDIO bus: commands complete at once and reads find the line high */
		if ((val & IXGBE_MSCA_MDI_COMMAND) &&
		    (val & IXGBE_MSCA_OP_CODE_MASK) >= IXGBE_MSCA_OP_READ_INC)
			*reg(m, IXGBE_MSRWD) = (*reg(m, IXGBE_MSRWD) & 0xffff) |
					       0xffffu << IXGBE_MSRWD_READ_DATA_SHIFT;
		*reg(m, off) = val & ~IXGBE_MSCA_MDI_COMMAND;
		return true;
	}
	return false;
}
