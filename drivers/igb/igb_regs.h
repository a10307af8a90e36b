/*
 * Intel 82576 (igb) registers used by drivers/igb. Offsets and bits from the 82576 GbE
 * Controller Datasheet, chapter 8 (registers) and 7.1-7.2 (descriptors).
 * QEMU's model (hw/net/igb_core.c, -device igb) is what runs in tests; notes mark where it
 * differs from the datasheet.
 */
#ifndef IXOS_IGB_REGS_H
#define IXOS_IGB_REGS_H

#define IGB_VENDOR_INTEL 0x8086
#define IGB_DEVICE_82576 0x10c9

#define IGB_CTRL 0x00000 /* Device Control */
#define IGB_CTRL_SLU (1u << 6)	 /* set link up (copper: let the PHY decide) */
#define IGB_CTRL_RST (1u << 26)	 /* device reset; self-clearing */
#define IGB_STATUS 0x00008 /* Device Status */
#define IGB_STATUS_FD (1u << 0)	 /* full duplex */
#define IGB_STATUS_LU (1u << 1)	 /* link up */
#define IGB_STATUS_SPEED_SHIFT 6 /* 00 10, 01 100, 1x 1000 Mb/s */
#define IGB_EECD 0x00010 /* EEPROM/Flash Control */
#define IGB_EECD_AUTO_RD (1u << 9) /* EEPROM auto-read done; QEMU 10's igb never sets it */
#define IGB_CTRL_EXT 0x00018 /* Extended Device Control */
#define IGB_CTRL_EXT_DRV_LOAD (1u << 28) /* driver loaded: firmware keeps its hands off */

#define IGB_MDIC 0x00020 /* MDI Control: access to the PHY's registers */
#define IGB_MDIC_DATA_MASK 0xffffu
#define IGB_MDIC_REG_SHIFT 16	/* 20:16 PHY register */
#define IGB_MDIC_PHY_SHIFT 21	/* 25:21 PHY address (the internal PHY is 1) */
#define IGB_MDIC_OP_WRITE (1u << 26)
#define IGB_MDIC_READY (1u << 28)
#define IGB_MDIC_ERROR (1u << 30)
#define IGB_PHY_ADDR 1
#define IGB_PHY_BMCR 0		    /* IEEE 802.3 basic mode control (PHY register 0) */
#define IGB_BMCR_ANENABLE (1u << 12) /* auto-negotiation enable */
#define IGB_BMCR_ANRESTART (1u << 9) /* restart auto-negotiation (self-clearing) */

#define IGB_IMC 0x000d8 /* Interrupt Mask Clear (legacy causes) */
#define IGB_GPIE 0x01514 /* General Purpose Interrupt Enable */
#define IGB_GPIE_NSICR (1u << 0)     /* non-selective ICR clear on read */
#define IGB_GPIE_MSIX_MODE (1u << 4) /* one MSI-X vector per EICR bit */
#define IGB_GPIE_EIAME (1u << 30)    /* extended auto-mask enable */
#define IGB_GPIE_PBA (1u << 31)	     /* PBA support (required with MSI-X) */
#define IGB_EICS 0x01520 /* Extended Interrupt Cause Set */
#define IGB_EIMS 0x01524 /* Extended Interrupt Mask Set */
#define IGB_EIMC 0x01528 /* Extended Interrupt Mask Clear */
#define IGB_EIAC 0x0152c /* Extended Interrupt Auto Clear */
#define IGB_EIAM 0x01530 /* Extended Interrupt Auto Mask */
#define IGB_EICR 0x01580 /* Extended Interrupt Cause Read */
#define IGB_IVAR(n) (0x01700 + 4 * (n)) /* Interrupt Vector Allocation, n = 0..7 */
/* IVAR(n): byte 0 RX queue n, byte 1 TX queue n, byte 2 RX queue n+8, byte 3 TX queue n+8. */
#define IGB_IVAR_VALID 0x80

#define IGB_RCTL 0x00100 /* Receive Control */
#define IGB_RCTL_EN (1u << 1)	 /* receiver enable */
#define IGB_RCTL_UPE (1u << 3)	 /* unicast promiscuous */
#define IGB_RCTL_MPE (1u << 4)	 /* multicast promiscuous */
#define IGB_RCTL_LPE (1u << 5)	 /* long packets (up to RLPML) */
#define IGB_RCTL_BAM (1u << 15)	 /* accept broadcast */
#define IGB_RCTL_SECRC (1u << 26) /* strip the Ethernet CRC */
#define IGB_RLPML 0x05004 /* Receive Long Packet Maximum Length */
#define IGB_RXCSUM 0x05000 /* Receive Checksum Control */
#define IGB_RXCSUM_IPOFL (1u << 8) /* IPv4 header checksum offload */
#define IGB_RXCSUM_TUOFL (1u << 9) /* TCP/UDP checksum offload */
#define IGB_RXCSUM_PCSD (1u << 13) /* RSS hash (not the fragment checksum) in the descriptor */
#define IGB_MTA(n) (0x05200 + 4 * (n)) /* Multicast Table Array, 128 entries */
#define IGB_RAL(n) (0x05400 + 8 * (n)) /* Receive Address Low */
#define IGB_RAH(n) (0x05404 + 8 * (n)) /* Receive Address High */
#define IGB_RAH_AV (1u << 31)		 /* address valid */
#define IGB_MRQC 0x05818 /* Multiple Receive Queues Command */
#define IGB_MRQC_RSS (2u << 0)		   /* multiple queues: RSS only (no VMDq) */
#define IGB_MRQC_FIELD_IPV4_TCP (1u << 16) /* hash IPv4 + TCP ports */
#define IGB_MRQC_FIELD_IPV4 (1u << 17)	   /* hash IPv4 addresses */
#define IGB_MRQC_FIELD_IPV4_UDP (1u << 22) /* hash IPv4 + UDP ports */
#define IGB_RETA(n) (0x05c00 + 4 * (n)) /* Redirection Table, 32 x 4 entries */
#define IGB_RSSRK(n) (0x05c80 + 4 * (n)) /* RSS Random Key, 10 words */

/*
 * Queue registers. The datasheet maps queues 0-3 at 0x2800 + 0x100 n (82575 layout) and all
 * sixteen at 0xC000 + 0x40 n; both reach the same registers. We use the latter.
 */
#define IGB_RDBAL(n) (0x0c000 + 0x40 * (n)) /* Receive Descriptor Base Low */
#define IGB_RDBAH(n) (0x0c004 + 0x40 * (n))
#define IGB_RDLEN(n) (0x0c008 + 0x40 * (n)) /* ring length in bytes, multiple of 128 */
#define IGB_SRRCTL(n) (0x0c00c + 0x40 * (n)) /* Split and Replication RX Control */
#define IGB_SRRCTL_BSIZEPKT_SHIFT 0	    /* 6:0 packet buffer size, 1 KiB units */
#define IGB_SRRCTL_DESCTYPE_ADV_ONEBUF (1u << 25) /* 27:25 = 001: advanced, one buffer */
#define IGB_SRRCTL_DROP_EN (1u << 31)	    /* drop when no descriptor (count, don't stall) */
#define IGB_RDH(n) (0x0c010 + 0x40 * (n))
#define IGB_RDT(n) (0x0c018 + 0x40 * (n))
/*
 * Receive Descriptor Control. ENABLE: after setting it, poll until it reads 1 before moving
 * the tail; after clearing it, the datasheet's dynamic queue disabling has the NIC finish
 * its pending DMA for the queue before ENABLE reads 0, drop what arrives for the queue from
 * then on, and software wait a little more before reusing the ring's memory. The drops show
 * in RQDPC (SRRCTL.DROP_EN set: rx_missed_errors). QEMU's model (10.0) differs: RXDCTL is a
 * plain register (ENABLE reads back as written at once; its DMA is synchronous), a frame for
 * a disabled queue is skipped without any count, and while no queue at all is enabled it
 * refuses frames (igb_can_receive), so the backend holds them and they arrive once a tail
 * write restarts reception: nothing is dropped.
 */
#define IGB_RXDCTL(n) (0x0c028 + 0x40 * (n))
#define IGB_RXDCTL_ENABLE (1u << 25)
#define IGB_TDBAL(n) (0x0e000 + 0x40 * (n))
#define IGB_TDBAH(n) (0x0e004 + 0x40 * (n))
#define IGB_TDLEN(n) (0x0e008 + 0x40 * (n))
#define IGB_TDH(n) (0x0e010 + 0x40 * (n))
#define IGB_TDT(n) (0x0e018 + 0x40 * (n))
#define IGB_TXDCTL(n) (0x0e028 + 0x40 * (n))
#define IGB_TXDCTL_ENABLE (1u << 25)

#define IGB_TCTL 0x00400 /* Transmit Control */
#define IGB_TCTL_EN (1u << 1)
#define IGB_TCTL_PSP (1u << 3)		  /* pad short packets */
#define IGB_TCTL_CT (15u << 4)		  /* collision threshold (half duplex only) */
#define IGB_TCTL_COLD (63u << 12)	  /* collision distance */

/* RX descriptor error bits (advanced write-back, 7.1.5.2); the 82599 puts them elsewhere. */
#define IGB_RXDERR_CE (1u << 24)   /* CRC or alignment error */
#define IGB_RXDERR_SE (1u << 25)   /* symbol error */
#define IGB_RXDERR_SEQ (1u << 26)  /* sequence error */
#define IGB_RXDERR_CXE (1u << 28)  /* carrier extension error */
#define IGB_RXDERR_TCPE (1u << 29) /* TCP/UDP checksum error */
#define IGB_RXDERR_IPE (1u << 30)  /* IPv4 header checksum error */
#define IGB_RXDERR_RXE (1u << 31)  /* RX data error */

/* Statistics registers, clear on read. */
#define IGB_CRCERRS 0x04000
#define IGB_MPC 0x04010	 /* missed packets: no room */
#define IGB_RLEC 0x04040 /* length errors */
#define IGB_GPRC 0x04074 /* good packets received */
#define IGB_GPTC 0x04080 /* good packets transmitted */
#define IGB_GORCL 0x04088 /* good octets received, low; read low first */
#define IGB_GORCH 0x0408c
#define IGB_GOTCL 0x04090
#define IGB_GOTCH 0x04094
#define IGB_RNBC 0x040a0 /* receive no buffers */
/* Receive queue drop packet count: frames dropped for queue q when it had no descriptor and
 * SRRCTL.DROP_EN is set (82576 datasheet, statistics registers). Hardware and model differ:
 * QEMU's igb model never counts here (it loses such frames silently). */
#define IGB_RQDPC(q) (0x0c030 + 0x40 * (q))
#define IGB_RUC 0x040a4	 /* runts */
#define IGB_ROC 0x040ac	 /* oversize (QEMU drops oversize without counting, 10.0) */

#endif
