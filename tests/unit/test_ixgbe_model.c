/*
 * Host tests of the 82599 model (tests/model) on its own, as a driver other than ours finds it:
 * the EEPROM through EERD and its checksum, the semaphores, the SFP+ module over bit-banged
 * I2C, the MDIO bus, the SDPs, link restarts, flow director and security status, the extended
 * interrupt registers, multicast filtering and TSO. The harness gives the model host memory
 * as bus addresses, a clock the tests move, and a wire that records frames.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "drivers/ixgbe/ixgbe_regs.h"
#include "tests/model/ixgbe_model.h"

#define MAX_SENT  64
#define FRAME_MAX 2048

static struct ixgbe_model *model;
static uint64_t clock_ns;
static unsigned msix_fired[64], nlogs;
static struct {
	uint8_t data[FRAME_MAX];
	size_t len;
} sent[MAX_SENT];
static unsigned nsent;

static const uint8_t dev_mac[6] = {0x02, 0x1b, 0x21, 0x12, 0x34, 0x56};

/* ---- harness ------------------------------------------------------------------------------ */

static int m_dma_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	memcpy(buf, (const void *)(uintptr_t)addr, len);
	return 0;
}

static int m_dma_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	(void)ctx;
	memcpy((void *)(uintptr_t)addr, buf, len);
	return 0;
}

static void m_tx_frame(void *ctx, const void *frame, size_t len)
{
	(void)ctx;
	assert_true(len <= FRAME_MAX);
	assert_true(nsent < MAX_SENT);
	memcpy(sent[nsent].data, frame, len);
	sent[nsent++].len = len;
}

static void m_msix(void *ctx, unsigned vector)
{
	(void)ctx;
	assert_true(vector < 64);
	msix_fired[vector]++;
}

static uint64_t m_now(void *ctx)
{
	(void)ctx;
	return clock_ns;
}

static void m_log(void *ctx, const char *msg)
{
	(void)ctx;
	print_message("model: %s\n", msg);
	nlogs++;
}

static const struct ixgbe_model_ops mops = {
    .dma_read = m_dma_read,
    .dma_write = m_dma_write,
    .tx_frame = m_tx_frame,
    .msix = m_msix,
    .now_ns = m_now,
    .log = m_log,
};

static int setup(void **state)
{
	struct ixgbe_model_config cfg;

	(void)state;
	clock_ns = 1000000;
	nsent = nlogs = 0;
	memset(msix_fired, 0, sizeof(msix_fired));
	ixgbe_model_default_config(&cfg, dev_mac);
	model = ixgbe_model_create(&cfg, &mops, NULL);
	assert_non_null(model);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ixgbe_model_destroy(model);
	model = NULL;
	return 0;
}

static uint32_t rd(uint32_t off)
{
	return ixgbe_model_mmio_read(model, off);
}

static void wr(uint32_t off, uint32_t v)
{
	ixgbe_model_mmio_write(model, off, v);
}

static void wait_us(unsigned us)
{
	clock_ns += (uint64_t)us * 1000;
	ixgbe_model_poll(model);
}

/* An EEPROM word through EERD, as a driver reads it: START with the address, poll DONE. */
static uint16_t ee_read(unsigned addr)
{
	wr(IXGBE_EERD, addr << IXGBE_EERD_ADDR_SHIFT | IXGBE_EERD_START);
	for (int i = 0; i < 100; i++) {
		uint32_t v = rd(IXGBE_EERD);
		if (v & IXGBE_EERD_DONE) {
			assert_int_equal((v & IXGBE_EERD_ADDR_MASK) >> IXGBE_EERD_ADDR_SHIFT, addr);
			return v >> IXGBE_EERD_DATA_SHIFT;
		}
		wait_us(5);
	}
	fail_msg("EERD read of word 0x%x never completed", addr);
	return 0;
}

/* ---- I2C master, bit-banged through I2CCTL ------------------------------------------------ */

static uint32_t i2cctl;

static void i2c_set(uint32_t bit, bool on)
{
	i2cctl = on ? i2cctl | bit : i2cctl & ~bit;
	wr(IXGBE_I2CCTL, i2cctl);
	wait_us(5);
}

static bool i2c_sda(void)
{
	return rd(IXGBE_I2CCTL) & IXGBE_I2CCTL_DATA_IN;
}

static void i2c_start(void)
{
	i2c_set(IXGBE_I2CCTL_DATA_OUT, true);
	i2c_set(IXGBE_I2CCTL_CLK_OUT, true);
	i2c_set(IXGBE_I2CCTL_DATA_OUT, false);
	i2c_set(IXGBE_I2CCTL_CLK_OUT, false);
}

static void i2c_stop(void)
{
	i2c_set(IXGBE_I2CCTL_DATA_OUT, false);
	i2c_set(IXGBE_I2CCTL_CLK_OUT, true);
	i2c_set(IXGBE_I2CCTL_DATA_OUT, true);
}

/* Clocks one bit out (the host drives SDA) and returns what the bus had during the high. */
static bool i2c_bit(bool out)
{
	i2c_set(IXGBE_I2CCTL_DATA_OUT, out);
	i2c_set(IXGBE_I2CCTL_CLK_OUT, true);
	bool in = i2c_sda();
	i2c_set(IXGBE_I2CCTL_CLK_OUT, false);
	return in;
}

/* Sends a byte; returns whether the device acknowledged it. */
static bool i2c_out(uint8_t byte)
{
	for (int i = 7; i >= 0; i--)
		assert_int_equal(i2c_bit(byte >> i & 1), byte >> i & 1);
	return !i2c_bit(true);
}

static uint8_t i2c_in(bool ack)
{
	uint8_t byte = 0;

	for (int i = 0; i < 8; i++)
		byte = (uint8_t)(byte << 1 | i2c_bit(true));
	i2c_bit(!ack);
	return byte;
}

/* Reads n bytes at off of device dev (0xA0, 0xA2) in one transaction; false on a NACK. */
static bool i2c_read(uint8_t dev, uint8_t off, uint8_t *buf, unsigned n)
{
	bool ok;

	i2c_start();
	ok = i2c_out(dev) && i2c_out(off);
	if (ok) {
		i2c_start(); /* repeated START, then the read */
		ok = i2c_out(dev | 1);
		for (unsigned i = 0; ok && i < n; i++)
			buf[i] = i2c_in(i + 1 < n);
	}
	i2c_stop();
	return ok;
}

static bool i2c_write(uint8_t dev, uint8_t off, uint8_t val)
{
	bool ok;

	i2c_start();
	ok = i2c_out(dev) && i2c_out(off) && i2c_out(val);
	i2c_stop();
	return ok;
}

/* ---- EEPROM and firmware status ----------------------------------------------------------- */

static void test_eec_reports_a_present_loaded_eeprom(void **state)
{
	(void)state;
	uint32_t eec = rd(IXGBE_EEC);

	assert_true(eec & IXGBE_EEC_EE_PRES);
	assert_true(eec & IXGBE_EEC_ARD);
	unsigned size = (eec & IXGBE_EEC_SIZE_MASK) >> IXGBE_EEC_SIZE_SHIFT;
	assert_int_equal(1u << (size + 6), IXGBE_MODEL_EEPROM_WORDS);
	/* the status bits are the part's: software writes do not change them */
	wr(IXGBE_EEC, 0);
	assert_int_equal(rd(IXGBE_EEC), eec);
	wr(IXGBE_EEC, IXGBE_EEC_REQ);
	assert_true(rd(IXGBE_EEC) & IXGBE_EEC_GNT);
	uint32_t fwsm = rd(IXGBE_FWSM);
	assert_true(fwsm & IXGBE_FWSM_FW_VAL);
	assert_int_equal(fwsm & (IXGBE_FWSM_EXT_ERR_IND_MASK | IXGBE_FWSM_FW_MODE_MASK), 0);
}

static void test_eeprom_checksum_is_valid(void **state)
{
	(void)state;
	uint16_t sum = 0, fw = 0;

	for (unsigned i = 0; i <= IXGBE_EE_CHECKSUM; i++)
		sum += ee_read(i);
	for (unsigned p = IXGBE_EE_PTR_FIRST; p <= IXGBE_EE_PTR_LAST; p++) {
		unsigned at = ee_read(p);
		if (at == 0 || at == 0xffff)
			continue;
		unsigned len = ee_read(at);
		if (len == 0 || len == 0xffff)
			continue;
		for (unsigned i = 1; i <= len; i++)
			sum += ee_read(at + i);
	}
	assert_int_equal(sum, IXGBE_EE_SUM);
	/* the firmware module adds nothing, so a checksum that counts it agrees */
	unsigned at = ee_read(IXGBE_EE_FW_PTR), len = ee_read(at);
	assert_true(at != 0 && at != 0xffff && len != 0 && len != 0xffff);
	for (unsigned i = 1; i <= len; i++)
		fw += ee_read(at + i);
	assert_int_equal(fw, 0);
}

static void test_eeprom_holds_mac_pba_and_sfp_sequences(void **state)
{
	(void)state;
	char pba[16] = {0};

	unsigned core0 = ee_read(IXGBE_EE_CORE0_PTR);
	assert_int_equal(ee_read(core0), 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(ee_read(core0 + 1 + i), dev_mac[2 * i] | dev_mac[2 * i + 1] << 8);
	assert_int_equal(ee_read(IXGBE_EE_PBA0), 0xfafa);
	unsigned pb = ee_read(IXGBE_EE_PBA1), len = ee_read(pb);
	assert_int_equal(len, 6);
	for (unsigned i = 1; i < len; i++) {
		uint16_t w = ee_read(pb + i);
		pba[2 * (i - 1)] = (char)(w >> 8);
		pba[2 * (i - 1) + 1] = (char)w;
	}
	assert_string_equal(pba, "IXOS01-001");
	assert_int_equal(ee_read(IXGBE_EE_SAN_MAC_PTR), 0xffff);
	/* SFP+ init list: SR/LR on core 0 (type 5) has a sequence ending in 0xFFFF */
	unsigned list = ee_read(IXGBE_EE_SFP_INIT_PTR), seq = 0;
	for (unsigned at = list + 1; ee_read(at) != 0xffff; at += 2)
		if (ee_read(at) == 5)
			seq = ee_read(at + 1);
	assert_true(seq != 0 && seq != 0xffff);
	unsigned n = 0;
	while (ee_read(seq + 1 + n) != 0xffff)
		assert_true(++n < 64);
	/* past the end of the part: erased */
	assert_int_equal(ee_read(IXGBE_MODEL_EEPROM_WORDS + 5), 0xffff);
}

static void test_eerd_waits_for_the_auto_read(void **state)
{
	(void)state;
	ixgbe_model_reset(model);
	wait_us(300); /* reset done, auto-read not yet */
	assert_false(rd(IXGBE_EEC) & IXGBE_EEC_ARD);
	assert_false(rd(IXGBE_FWSM) & IXGBE_FWSM_FW_VAL);
	wr(IXGBE_EERD, 0x3f << IXGBE_EERD_ADDR_SHIFT | IXGBE_EERD_START);
	assert_false(rd(IXGBE_EERD) & IXGBE_EERD_DONE);
	wait_us(1000);
	uint32_t v = rd(IXGBE_EERD);
	assert_true(v & IXGBE_EERD_DONE);
	assert_true(rd(IXGBE_EEC) & IXGBE_EEC_ARD);
	assert_int_equal(v >> IXGBE_EERD_DATA_SHIFT, ee_read(IXGBE_EE_CHECKSUM));
}

/* ---- semaphores --------------------------------------------------------------------------- */

static void test_swsm_and_sw_fw_sync(void **state)
{
	(void)state;
	/* the first reader of SMBI as 0 owns it; others see 1 until it is written back to 0 */
	assert_false(rd(IXGBE_SWSM) & IXGBE_SWSM_SMBI);
	assert_true(rd(IXGBE_SWSM) & IXGBE_SWSM_SMBI);
	assert_true(ixgbe_model_peek(model, IXGBE_SWSM) & IXGBE_SWSM_SMBI);
	wr(IXGBE_SWSM, rd(IXGBE_SWSM) | IXGBE_SWSM_SWESMBI);
	assert_true(rd(IXGBE_SWSM) & IXGBE_SWSM_SWESMBI); /* no firmware holds it */
	/* with SWESMBI, take the PHY0 and MAC CSR resources; firmware's bits stay clear */
	wr(IXGBE_SW_FW_SYNC, 0x2 | 0x8 | 0x3e0);
	assert_int_equal(rd(IXGBE_SW_FW_SYNC), 0x2 | 0x8);
	wr(IXGBE_SWSM, 0);
	assert_int_equal(ixgbe_model_peek(model, IXGBE_SWSM), 0);
	assert_false(rd(IXGBE_SWSM) & IXGBE_SWSM_SMBI);
	wr(IXGBE_SW_FW_SYNC, 0);
	wr(IXGBE_SWSM, 0);
	/* a reset frees everything */
	rd(IXGBE_SWSM);
	wr(IXGBE_SW_FW_SYNC, 0x1);
	ixgbe_model_reset(model);
	wait_us(1000);
	assert_int_equal(rd(IXGBE_SW_FW_SYNC), 0);
	assert_false(rd(IXGBE_SWSM) & IXGBE_SWSM_SMBI);
}

/* ---- SFP+ module, MDIO, SDPs -------------------------------------------------------------- */

static void test_sfp_module_identifies_as_10g_sr(void **state)
{
	(void)state;
	uint8_t id[96], sum = 0;

	i2cctl = IXGBE_I2CCTL_CLK_OUT | IXGBE_I2CCTL_DATA_OUT;
	wr(IXGBE_I2CCTL, i2cctl);
	assert_true(i2c_read(0xa0, 0, id, sizeof(id)));
	assert_int_equal(id[0], 0x03); /* SFP */
	assert_int_equal(id[3], 0x10); /* 10GBASE-SR */
	assert_int_equal(id[6], 0);    /* no 1G compliance: not dual speed */
	assert_int_equal(id[8], 0);    /* not a direct-attach cable */
	assert_memory_equal(id + 37, "\x00\x1b\x21", 3);
	for (unsigned i = 0; i < 63; i++)
		sum += id[i];
	assert_int_equal(id[63], sum);
	assert_true(id[92] & 0x40);  /* digital diagnostics */
	assert_false(id[92] & 0x04); /* no address change needed for 0xA2 */
	/* single-byte reads at an offset see the same bytes */
	uint8_t b;
	assert_true(i2c_read(0xa0, 37, &b, 1));
	assert_int_equal(b, 0x00);
	assert_true(i2c_read(0xa0, 39, &b, 1));
	assert_int_equal(b, 0x21);
	/* diagnostics: temperature 40 C; a user byte is writable, the ID page is not */
	uint8_t t[2];
	assert_true(i2c_read(0xa2, 96, t, 2));
	assert_int_equal(t[0] << 8 | t[1], 0x2800);
	assert_true(i2c_write(0xa2, 130, 0x5a));
	assert_true(i2c_read(0xa2, 130, &b, 1));
	assert_int_equal(b, 0x5a);
	assert_true(i2c_write(0xa0, 0, 0x99));
	assert_true(i2c_read(0xa0, 0, &b, 1));
	assert_int_equal(b, 0x03);
	/* nobody answers at 0xA4 */
	assert_false(i2c_read(0xa4, 0, &b, 1));
	assert_true(i2c_read(0xa0, 3, &b, 1));
	assert_int_equal(b, 0x10);
	/* unplugging the fibre shows as RX_LOS */
	ixgbe_model_set_cable(model, false);
	assert_true(i2c_read(0xa2, 110, &b, 1));
	assert_true(b & 0x02);
	assert_int_equal(nlogs, 0);
}

static void test_mdio_bus_is_empty_and_sdp2_shows_the_module(void **state)
{
	(void)state;
	for (unsigned addr = 0; addr < 32; addr += 31) {
		uint32_t cmd = 1u << IXGBE_MSCA_DEV_TYPE_SHIFT | addr << IXGBE_MSCA_PHY_ADDR_SHIFT |
			       IXGBE_MSCA_MDI_COMMAND;
		wr(IXGBE_MSCA, cmd | IXGBE_MSCA_OP_ADDR | 0x0002);
		assert_false(rd(IXGBE_MSCA) & IXGBE_MSCA_MDI_COMMAND);
		wr(IXGBE_MSCA, cmd | IXGBE_MSCA_OP_READ);
		assert_false(rd(IXGBE_MSCA) & IXGBE_MSCA_MDI_COMMAND);
		assert_int_equal(rd(IXGBE_MSRWD) >> IXGBE_MSRWD_READ_DATA_SHIFT, 0xffff);
	}
	assert_true(rd(IXGBE_ESDP) & IXGBE_ESDP_SDP2);
	wr(IXGBE_ESDP, IXGBE_ESDP_SDP3); /* laser off: an output, kept */
	assert_int_equal(rd(IXGBE_ESDP), IXGBE_ESDP_SDP3 | IXGBE_ESDP_SDP2);
	wr(IXGBE_ESDP, IXGBE_ESDP_SDP2_DIR); /* SDP2 driven low by software */
	assert_int_equal(rd(IXGBE_ESDP), IXGBE_ESDP_SDP2_DIR);
}

/* ---- link, reset, flow director, security ------------------------------------------------- */

static void test_an_restart_retrains_the_link(void **state)
{
	(void)state;
	wr(IXGBE_GPIE, IXGBE_GPIE_MULTIPLE_MSIX);
	wr(IXGBE_IVAR_MISC, (IXGBE_IVAR_ALLOC_VAL | 5) << 8);
	wr(IXGBE_EIMS, IXGBE_EICR_LSC);
	assert_true(rd(IXGBE_LINKS) & IXGBE_LINKS_LINK_UP);
	assert_int_equal(rd(IXGBE_ANLP1) & IXGBE_ANLP1_AN_STATE_MASK, 0);
	uint32_t autoc = rd(IXGBE_AUTOC);
	wr(IXGBE_AUTOC, (autoc | IXGBE_AUTOC_AN_RESTART) ^ 4u << IXGBE_AUTOC_LMS_SHIFT);
	assert_true(rd(IXGBE_ANLP1) & IXGBE_ANLP1_AN_STATE_MASK);
	assert_false(rd(IXGBE_AUTOC) & IXGBE_AUTOC_AN_RESTART); /* self-clearing */
	wr(IXGBE_AUTOC, autoc | IXGBE_AUTOC_AN_RESTART);
	assert_int_equal(rd(IXGBE_AUTOC), autoc);
	assert_false(rd(IXGBE_LINKS) & IXGBE_LINKS_LINK_UP);
	assert_int_equal(msix_fired[5], 1);
	assert_true(rd(IXGBE_EICS) & IXGBE_EICR_LSC); /* EICS shows the cause, keeps it */
	assert_true(rd(IXGBE_EICS) & IXGBE_EICR_LSC);
	wr(IXGBE_EICR, IXGBE_EICR_LSC);
	assert_false(rd(IXGBE_EICS) & IXGBE_EICR_LSC);
	wait_us(6000);
	assert_true(rd(IXGBE_LINKS) & IXGBE_LINKS_LINK_UP);
	assert_int_equal(msix_fired[5], 2);
}

static void test_link_reset_is_a_device_reset(void **state)
{
	(void)state;
	wr(IXGBE_FCTRL, IXGBE_FCTRL_BAM);
	wr(IXGBE_CTRL, IXGBE_CTRL_PCIE_MASTER_DIS);
	assert_false(rd(IXGBE_STATUS) & IXGBE_STATUS_PCIE_MASTER_EN);
	wr(IXGBE_CTRL, IXGBE_CTRL_LRST | IXGBE_CTRL_PCIE_MASTER_DIS);
	assert_true(rd(IXGBE_CTRL) & IXGBE_CTRL_RST);
	wait_us(1000);
	assert_int_equal(rd(IXGBE_CTRL), 0);
	assert_int_equal(rd(IXGBE_FCTRL), 0);
	assert_true(rd(IXGBE_STATUS) & IXGBE_STATUS_PCIE_MASTER_EN);
	assert_false(rd(IXGBE_LINKS) & IXGBE_LINKS_LINK_UP);
	wait_us(6000);
	assert_true(rd(IXGBE_LINKS) & IXGBE_LINKS_LINK_UP);
	assert_int_equal(rd(IXGBE_RAL(0)), dev_mac[0] | dev_mac[1] << 8 | dev_mac[2] << 16 |
					       (uint32_t)dev_mac[3] << 24);
}

static void test_fdir_and_security_status(void **state)
{
	(void)state;
	wr(IXGBE_FDIRCTRL, 0x3);
	assert_true(rd(IXGBE_FDIRCTRL) & IXGBE_FDIRCTRL_INIT_DONE);
	wr(IXGBE_FDIRCMD, 0x8 | 0x1);
	assert_int_equal(rd(IXGBE_FDIRCMD) & IXGBE_FDIRCMD_CMD_MASK, 0);
	assert_true(rd(IXGBE_SECRXSTAT) & IXGBE_SECRXSTAT_OFF_DIS);
	assert_true(rd(IXGBE_SECTXSTAT) & IXGBE_SECTXSTAT_OFF_DIS);
	assert_false(rd(IXGBE_SECRXSTAT) & IXGBE_SECRXSTAT_SECRX_RDY);
	wr(IXGBE_SECRXCTRL, IXGBE_SECRXCTRL_RX_DIS);
	wr(IXGBE_SECTXCTRL, IXGBE_SECTXCTRL_TX_DIS);
	assert_true(rd(IXGBE_SECRXSTAT) & IXGBE_SECRXSTAT_SECRX_RDY);
	assert_true(rd(IXGBE_SECTXSTAT) & IXGBE_SECTXSTAT_SECTX_RDY);
}

/* ---- extended interrupt registers --------------------------------------------------------- */

static void test_eics_ex_and_eiam_ex(void **state)
{
	(void)state;
	wr(IXGBE_GPIE, IXGBE_GPIE_MULTIPLE_MSIX | IXGBE_GPIE_EIAME | IXGBE_GPIE_OCD);
	wr(IXGBE_EIAM_EX(0), 0xffffffff);
	wr(IXGBE_EIAM_EX(1), 0xffffffff);
	wr(IXGBE_EIAC, 0xffff);
	wr(IXGBE_EIMS_EX(0), 0xffffffff);
	wr(IXGBE_EIMS_EX(1), 0xffffffff);
	wr(IXGBE_EICS_EX(0), 1u << 3);
	wr(IXGBE_EICS_EX(1), 1u << 2); /* vector 34 */
	assert_int_equal(msix_fired[3], 1);
	assert_int_equal(msix_fired[34], 1);
	/* both auto-masked: raising them again sends nothing until they are re-armed */
	assert_int_equal(rd(IXGBE_EIMS_EX(0)), ~(1u << 3));
	assert_int_equal(rd(IXGBE_EIMS_EX(1)), ~(1u << 2));
	wr(IXGBE_EICS_EX(0), 1u << 3);
	assert_int_equal(msix_fired[3], 1);
	wr(IXGBE_EIMS_EX(0), 1u << 3);
	assert_int_equal(msix_fired[3], 2);
}

/* ---- receive: multicast table ------------------------------------------------------------- */

static uint8_t rx_ring[16 * 8] __attribute__((aligned(128)));
static uint8_t rx_bufs[8][2048];

static void rx_setup(void)
{
	memset(rx_ring, 0, sizeof(rx_ring));
	for (unsigned i = 0; i < 8; i++)
		memcpy(rx_ring + 16 * i, &(uint64_t){(uintptr_t)rx_bufs[i]}, 8);
	wr(IXGBE_RDBAL(0), (uint32_t)(uintptr_t)rx_ring);
	wr(IXGBE_RDBAH(0), (uint32_t)((uint64_t)(uintptr_t)rx_ring >> 32));
	wr(IXGBE_RDLEN(0), sizeof(rx_ring));
	wr(IXGBE_SRRCTL(0), 2 | IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF);
	wr(IXGBE_RXDCTL(0), IXGBE_RXDCTL_ENABLE);
	wait_us(10);
	wr(IXGBE_RDT(0), 7);
	wr(IXGBE_SECRXCTRL, IXGBE_SECRXCTRL_RX_DIS);
	wr(IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
	wr(IXGBE_SECRXCTRL, 0);
}

static void test_multicast_table_filters(void **state)
{
	(void)state;
	uint8_t f[64] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

	memcpy(f + 6, "\x02\x00\x00\x00\x00\x02\x86\xdd", 8);
	rx_setup();
	assert_int_equal(ixgbe_model_receive(model, f, sizeof(f)), IXGBE_MODEL_RX_FILTERED);
	/* MO = 0: the MTA index is bits 47:36 of the address */
	unsigned v = (f[4] >> 4 | f[5] << 4) & 0xfff;
	wr(IXGBE_MTA(v >> 5), 1u << (v & 31));
	assert_int_equal(ixgbe_model_receive(model, f, sizeof(f)), IXGBE_MODEL_RX_FILTERED);
	wr(IXGBE_MCSTCTRL, IXGBE_MCSTCTRL_MFE);
	assert_int_equal(ixgbe_model_receive(model, f, sizeof(f)), IXGBE_MODEL_RX_OK);
	f[5] = 0x02; /* another group, another bit */
	assert_int_equal(ixgbe_model_receive(model, f, sizeof(f)), IXGBE_MODEL_RX_FILTERED);
	/* multicast promiscuous takes every group (filters change with the receiver off) */
	wr(IXGBE_SECRXCTRL, IXGBE_SECRXCTRL_RX_DIS);
	wr(IXGBE_RXCTRL, 0);
	wr(IXGBE_FCTRL, IXGBE_FCTRL_MPE);
	wr(IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
	wr(IXGBE_SECRXCTRL, 0);
	assert_int_equal(ixgbe_model_receive(model, f, sizeof(f)), IXGBE_MODEL_RX_OK);
	assert_int_equal(nlogs, 0);
}

/* ---- transmit: TSO ------------------------------------------------------------------------ */

static uint8_t tx_ring[16 * 8] __attribute__((aligned(128)));
static uint8_t tso_pkt[54 + 4000];

static void put_desc(unsigned i, uint64_t lo, uint32_t cmd, uint32_t hi)
{
	memcpy(tx_ring + 16 * i, &lo, 8);
	memcpy(tx_ring + 16 * i + 8, &cmd, 4);
	memcpy(tx_ring + 16 * i + 12, &hi, 4);
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_tso_segments_tcp(void **state)
{
	(void)state;
	uint8_t *p = tso_pkt, *ip = p + 14, *tcp = p + 34;
	const unsigned mss = 1448, payload = 4000;

	memcpy(p, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(p + 6, dev_mac, 6);
	p[12] = 0x08;
	ip[0] = 0x45;
	ip[4] = 0x12, ip[5] = 0x34; /* identification */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\xc6\x12\x00\x02\xc6\x12\x00\x01", 8);
	tcp[0] = 0x2b, tcp[1] = 0xcb, tcp[3] = 80;
	memcpy(tcp + 4, "\xff\xff\xf0\x00", 4); /* a sequence number that wraps */
	tcp[12] = 5 << 4;
	tcp[13] = 0x18 | 0x01; /* PSH ACK FIN */
	for (unsigned i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7);
	/* the seed software leaves: the pseudo-header without a length */
	uint16_t seed = fold(sum16(6, ip + 12, 8));
	tcp[16] = seed >> 8, tcp[17] = seed & 0xff;

	memset(tx_ring, 0, sizeof(tx_ring));
	/* context: MACLEN 14, IPLEN 20, IPv4 TCP, L4LEN 20, MSS */
	put_desc(0, 14u << IXGBE_TXCTX_MACLEN_SHIFT | 20,
		 IXGBE_TXD_CMD_DEXT | IXGBE_TXD_DTYP_CTXT | IXGBE_TXCTX_TUCMD_IPV4 |
		     IXGBE_TXCTX_TUCMD_L4T_TCP,
		 mss << IXGBE_TXCTX_MSS_SHIFT | 20u << IXGBE_TXCTX_L4LEN_SHIFT);
	uint32_t cmd =
	    IXGBE_TXD_CMD_DEXT | IXGBE_TXD_DTYP_DATA | IXGBE_TXD_CMD_IFCS | IXGBE_TXD_CMD_TSE;
	uint32_t olinfo =
	    payload << IXGBE_TXD_PAYLEN_SHIFT | IXGBE_TXD_POPTS_TXSM | IXGBE_TXD_POPTS_IXSM;
	/* the header and part of the payload, then the rest */
	put_desc(1, (uintptr_t)p, cmd | 1000, olinfo);
	put_desc(2, (uintptr_t)p + 1000,
		 cmd | IXGBE_TXD_CMD_EOP | IXGBE_TXD_CMD_RS | (unsigned)(sizeof(tso_pkt) - 1000),
		 olinfo);
	wr(IXGBE_TDBAL(0), (uint32_t)(uintptr_t)tx_ring);
	wr(IXGBE_TDBAH(0), (uint32_t)((uint64_t)(uintptr_t)tx_ring >> 32));
	wr(IXGBE_TDLEN(0), sizeof(tx_ring));
	wr(IXGBE_DMATXCTL, IXGBE_DMATXCTL_TE);
	wr(IXGBE_TXDCTL(0), IXGBE_TXDCTL_ENABLE);
	wait_us(10);
	wr(IXGBE_TDT(0), 3);
	wait_us(10);
	assert_int_equal(rd(IXGBE_TDH(0)), 3);
	assert_true(tx_ring[16 * 2 + 12] & IXGBE_TXD_STAT_DD);

	unsigned segs = (payload + mss - 1) / mss, off = 0;
	assert_int_equal(nsent, segs);
	for (unsigned s = 0; s < segs; s++) {
		const uint8_t *f = sent[s].data, *sip = f + 14, *st = f + 34;
		unsigned chunk = payload - off < mss ? payload - off : mss;
		assert_int_equal(sent[s].len, 54 + chunk);
		assert_memory_equal(f, p, 14);
		assert_int_equal(be16(sip + 2), 40 + chunk);
		assert_int_equal(be16(sip + 4), 0x1234 + s);
		assert_int_equal(fold(sum16(0, sip, 20)), 0xffff);
		uint32_t seq = (uint32_t)be16(st + 4) << 16 | be16(st + 6);
		assert_int_equal(seq, (uint32_t)(0xfffff000u + off));
		assert_int_equal(st[13], s + 1 == segs ? 0x19 : 0x10);
		uint32_t pseudo = sum16(6 + 20 + chunk, sip + 12, 8);
		assert_int_equal(fold(sum16(pseudo, st, 20 + chunk)), 0xffff);
		assert_memory_equal(st + 20, tcp + 20 + off, chunk);
		off += chunk;
	}
	assert_int_equal(ixgbe_model_peek(model, IXGBE_GPTC), segs);
	assert_int_equal(nlogs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_eec_reports_a_present_loaded_eeprom, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eeprom_checksum_is_valid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eeprom_holds_mac_pba_and_sfp_sequences, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_eerd_waits_for_the_auto_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swsm_and_sw_fw_sync, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sfp_module_identifies_as_10g_sr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mdio_bus_is_empty_and_sdp2_shows_the_module, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_an_restart_retrains_the_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_reset_is_a_device_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fdir_and_security_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eics_ex_and_eiam_ex, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multicast_table_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tso_segments_tcp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
