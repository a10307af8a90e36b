/*
 * A behavioural model of the Intel 82599 10 GbE controller, written from its datasheet: the
 * register file with the reset values and side effects a driver relies on, the receive and
 * transmit descriptor rings processed through DMA, RSS, checksum offload and TSO, interrupts,
 * the statistics registers, and what a driver finds around the MAC: an EEPROM read through
 * EERD (with a valid checksum, PBA number, MAC address and SFP+ init sequences), the software /
 * firmware semaphores, an SFP+ module (10GBASE-SR, SFF-8472) on the bit-banged I2C bus, an
 * empty MDIO bus and the SDP pins. It is portable C with no knowledge of who drives it: memory,
 * the wire, interrupts and time go through struct ixgbe_model_ops, so the host unit tests and
 * the QEMU device share this one core. Two drivers run on it: ours (drivers/ixgbe) and Linux's
 * ixgbe.
 *
 * Not modelled: flow control, DCB, VMDq/SR-IOV, flow director filters (FDIRCTRL and FDIRCMD
 * complete, nothing is steered), 5-tuple and ethertype filters, VLAN stripping, insertion and
 * filtering, header split and legacy RX descriptors, RSC, IPv6 hashing and RX checksums, the
 * packet buffers (with SRRCTL.DROP_EN clear a frame that finds no descriptor is counted in RNBC
 * and MPC and dropped, where the part would hold it), interrupt throttling (EITR) and delivery
 * outside MSI-X mode, FCTRL.SBP, loopback, IPsec (reported fused off), bit-banged EEPROM access
 * through EEC, management firmware (FWSM reports none), PHYs on MDIO, SFP+ module events.
 */
#ifndef IXOS_TESTS_IXGBE_MODEL_H
#define IXOS_TESTS_IXGBE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IXGBE_MODEL_BAR_SIZE  0x20000 /* BAR0: 128 KiB of registers */
#define IXGBE_MODEL_QUEUES    64      /* RX and TX queues modelled (the part has 128) */
#define IXGBE_MODEL_MAX_FRAME 16384   /* largest frame either way, FCS included */
#define IXGBE_MODEL_NEVER     UINT64_MAX

/*
 * The EEPROM image (datasheet section 6: words 0x00..0x3F, then the modules their pointers
 * name), in 16-bit words. Word 0x3F makes words 0x00..0x3E plus the sections that the pointers
 * in words 0x03..0x0E point at (a length word, then that many words) sum to 0xBABA; the
 * firmware module's words (pointer 0x0F) sum to 0, so tools that count it agree.
 */
#define IXGBE_MODEL_EEPROM_WORDS 2048
#define IXGBE_EE_PTR_FIRST	 0x03 /* first module pointer covered by the checksum */
#define IXGBE_EE_CORE0_PTR	 0x09 /* LAN core 0 module: the MAC address at words 1..3 */
#define IXGBE_EE_PTR_LAST	 0x0e /* last module pointer covered by the checksum */
#define IXGBE_EE_FW_PTR		 0x0f /* firmware module */
#define IXGBE_EE_PBA0		 0x15 /* 0xFAFA: the PBA number is a string ... */
#define IXGBE_EE_PBA1		 0x16 /* ... in the block this word points at */
#define IXGBE_EE_SAN_MAC_PTR	 0x28 /* 0xFFFF: no SAN MAC addresses */
#define IXGBE_EE_SFP_INIT_PTR	 0x2b /* list of (SFP+ module type, init sequence) pairs */
#define IXGBE_EE_DEVICE_CAPS	 0x2c
#define IXGBE_EE_CHECKSUM	 0x3f
#define IXGBE_EE_SUM		 0xbaba

struct ixgbe_model_ops {
	/* Copies len bytes at bus address addr; 0, or < 0 when the address is not reachable. */
	int (*dma_read)(void *ctx, uint64_t addr, void *buf, size_t len);
	int (*dma_write)(void *ctx, uint64_t addr, const void *buf, size_t len);
	/* A frame leaves the port: destination address through payload, no FCS. */
	void (*tx_frame)(void *ctx, const void *frame, size_t len);
	/* MSI-X vector fired (GPIE.MULTIPLE_MSIX mode). */
	void (*msix)(void *ctx, unsigned vector);
	/* Monotonic time in nanoseconds. */
	uint64_t (*now_ns)(void *ctx);
	/* Optional: a guest error (bad descriptor, register misuse), one line without newline. */
	void (*log)(void *ctx, const char *msg);
	/* Optional: a tail write gave the device transmit work; call ixgbe_model_poll soon. */
	void (*kick)(void *ctx);
};

struct ixgbe_model_config {
	uint8_t mac[6];		  /* the station address in the EEPROM */
	uint64_t reset_ns;	  /* CTRL.RST stays set this long; IXGBE_MODEL_NEVER: a dead part */
	uint64_t eeprom_ns;	  /* EEC.ARD sets this long after the reset completes */
	uint64_t dma_init_ns;	  /* RDRXCTL.DMAIDONE likewise */
	uint64_t link_ns;	  /* link comes up this long after reset or cable insertion */
	uint64_t queue_enable_ns; /* RXDCTL/TXDCTL.ENABLE reads back 1 this long after the write */
	bool cable;		  /* a link partner is connected */
};

/* Fills cfg with the defaults: a plugged-in 10 Gb/s link and short but non-zero delays. */
void ixgbe_model_default_config(struct ixgbe_model_config *cfg, const uint8_t mac[6]);

/* What became of a received frame. */
enum ixgbe_model_rx {
	IXGBE_MODEL_RX_OK,	  /* written to a queue's ring */
	IXGBE_MODEL_RX_OFF,	  /* link down, in reset, RXCTRL.RXEN or RX path off: not counted */
	IXGBE_MODEL_RX_TINY,	  /* shorter than 12 bytes: dropped, counted nowhere */
	IXGBE_MODEL_RX_FILTERED,  /* not for this station (FCTRL, RAL/RAH) */
	IXGBE_MODEL_RX_CRC,	  /* bad FCS: CRCERRS, or RFC when also short */
	IXGBE_MODEL_RX_RUNT,	  /* under 64 bytes with FCS: RUC */
	IXGBE_MODEL_RX_OVERSIZE,  /* over the maximum frame size: ROC */
	IXGBE_MODEL_RX_NO_DESC,	  /* queue disabled or ring full: RNBC and QPRDC (or MPC) */
	IXGBE_MODEL_RX_DMA_ERROR, /* descriptor or buffer not reachable: logged */
};

struct ixgbe_model;

/*
 * Creates a device as the host finds it after power-on: reset done, EEPROM loaded, link up if
 * cfg->cable. ops and ctx are kept; cfg is copied. NULL when out of memory.
 */
struct ixgbe_model *ixgbe_model_create(const struct ixgbe_model_config *cfg,
				       const struct ixgbe_model_ops *ops, void *ctx);
void ixgbe_model_destroy(struct ixgbe_model *m);

/*
 * A global reset from outside the driver (power glitch, PCIe hot reset, firmware): registers go
 * back to their reset values, DMA stops, rings are forgotten, CTRL.RST reads 1 until the reset
 * completes. Writing CTRL.RST does the same.
 */
void ixgbe_model_reset(struct ixgbe_model *m);

/* 32-bit register access at byte offset off of BAR0, with the registers' side effects. */
uint32_t ixgbe_model_mmio_read(struct ixgbe_model *m, uint32_t off);
void ixgbe_model_mmio_write(struct ixgbe_model *m, uint32_t off, uint32_t val);

/* A register's value without side effects (no clear-on-read): for monitors and tests. */
uint32_t ixgbe_model_peek(struct ixgbe_model *m, uint32_t off);

/* A frame arrives from the wire: destination address through payload, FCS stripped and good. */
enum ixgbe_model_rx ixgbe_model_receive(struct ixgbe_model *m, const void *frame, size_t len);

/* The same with the 4-byte FCS still at the end of frame; the model checks it. */
enum ixgbe_model_rx ixgbe_model_receive_fcs(struct ixgbe_model *m, const void *frame, size_t len);

/* Runs the device: time-driven state (reset, link), then every transmit ring up to its tail. */
void ixgbe_model_poll(struct ixgbe_model *m);

/* Plugs or unplugs the cable; the link follows (LINKS, EICR.LSC). */
void ixgbe_model_set_cable(struct ixgbe_model *m, bool connected);

/* The name of a receive outcome, for logs. */
const char *ixgbe_model_rx_name(enum ixgbe_model_rx r);

/* The Ethernet FCS (CRC-32) of len bytes, as it is sent after them (least significant first). */
uint32_t ixgbe_model_fcs(const void *data, size_t len);

#endif
