/*
 * Intel 82599 10 GbE controller (X520): the registers drivers/ixgbe and the behavioural model
 * (tests/model) use, named as the "Intel 82599 10 GbE Controller Datasheet" (331520) names
 * them, with its section numbers. Offsets are in BAR0; registers are 32 bits, little endian.
 * "Spec update" refers to the "82599 10 GbE Controller Specification Update" (331521), which
 * lists where the part and the datasheet differ.
 */
#ifndef IXOS_DRIVERS_IXGBE_REGS_H
#define IXOS_DRIVERS_IXGBE_REGS_H

#define IXGBE_BIT(n) (1u << (n))

/* ---- General control (8.2.3.1) ---------------------------------------------------------- */

/* 8.2.3.1.1 Device Control. */
#define IXGBE_CTRL		   0x00000
#define IXGBE_CTRL_PCIE_MASTER_DIS IXGBE_BIT(2)	 /* stop issuing DMA (master disable, 5.2.5.3.2) */
#define IXGBE_CTRL_LRST		   IXGBE_BIT(3)	 /* link reset: a device reset plus link restart */
#define IXGBE_CTRL_RST		   IXGBE_BIT(26) /* device (software) reset; self-clearing */
/*
 * After setting RST, wait about 1 ms before reading it back or touching any other register
 * (8.2.3.1.1), and at least 10 ms after the reset before continuing (4.6.3.2).
 */
#define IXGBE_RST_SETTLE_US 1000
#define IXGBE_RST_WAIT_US   10000

/* 8.2.3.1.2 Device Status. */
#define IXGBE_STATUS		    0x00008
#define IXGBE_STATUS_LAN_ID_SHIFT   2 /* bits 3:2: which port of the part */
#define IXGBE_STATUS_LAN_ID_MASK    (3u << 2)
#define IXGBE_STATUS_PCIE_MASTER_EN IXGBE_BIT(19) /* DMA requests may still be pending */
/* Spec update, specification change 12: STATUS bit 7 ("LinkUp") is reserved; use LINKS. */

/* 8.2.3.1.3 Extended Device Control. */
#define IXGBE_CTRL_EXT		0x00018
#define IXGBE_CTRL_EXT_PFRSTD	IXGBE_BIT(14) /* PF reset done (SR-IOV) */
#define IXGBE_CTRL_EXT_NS_DIS	IXGBE_BIT(16) /* no-snoop disable (4.6.7: set it) */
#define IXGBE_CTRL_EXT_DRV_LOAD IXGBE_BIT(28) /* tells firmware a driver owns the port */

/*
 * 8.2.3.1 Extended SDP Control: pin data in bits 7:0, direction in bits 15:8 (1 = output).
 * What the pins do is board wiring; on Intel's SFP+ adapters SDP2 reads 1 with a module in the
 * cage and SDP3 disables the laser.
 */
#define IXGBE_ESDP	    0x00020
#define IXGBE_ESDP_SDP2	    IXGBE_BIT(2)
#define IXGBE_ESDP_SDP3	    IXGBE_BIT(3)
#define IXGBE_ESDP_SDP2_DIR IXGBE_BIT(10)

/* 8.2.3.1 I2C Control: software bit-bangs the SFP+ module's two-wire bus (1 = released). */
#define IXGBE_I2CCTL	      0x00028
#define IXGBE_I2CCTL_CLK_IN   IXGBE_BIT(0) /* SCL as the bus has it */
#define IXGBE_I2CCTL_CLK_OUT  IXGBE_BIT(1) /* SCL as software drives it */
#define IXGBE_I2CCTL_DATA_IN  IXGBE_BIT(2) /* SDA as the bus has it */
#define IXGBE_I2CCTL_DATA_OUT IXGBE_BIT(3) /* SDA as software drives it */

/* ---- EEPROM / flash (8.2.3.2) ----------------------------------------------------------- */

/* 8.2.3.2.1 EEPROM/Flash Control. */
#define IXGBE_EEC	  0x10010
#define IXGBE_EEC_REQ	  IXGBE_BIT(6) /* software asks for bit-bang access */
#define IXGBE_EEC_GNT	  IXGBE_BIT(7) /* ... and has it */
#define IXGBE_EEC_EE_PRES IXGBE_BIT(8) /* EEPROM present with a valid signature */
/* Auto-read done; also set when the EEPROM is absent or invalid, so check EE_PRES too. */
#define IXGBE_EEC_ARD	    IXGBE_BIT(9)
#define IXGBE_EEC_ADDR_SIZE IXGBE_BIT(10) /* the EEPROM takes 16-bit addresses */
/* Bits 14:11: EEPROM size; the part holds 2^(EE_SIZE + 6) 16-bit words. */
#define IXGBE_EEC_SIZE_SHIFT 11
#define IXGBE_EEC_SIZE_MASK  (0xfu << 11)

/* 8.2.3.2.2 EEPROM Read: write START with a word address, poll DONE, take the data. */
#define IXGBE_EERD	      0x10014
#define IXGBE_EERD_START      IXGBE_BIT(0)
#define IXGBE_EERD_DONE	      IXGBE_BIT(1)
#define IXGBE_EERD_ADDR_SHIFT 2 /* bits 15:2: word address */
#define IXGBE_EERD_ADDR_MASK  (0x3fffu << 2)
#define IXGBE_EERD_DATA_SHIFT 16 /* bits 31:16: the word read */

/*
 * 8.2.3.4 Software Semaphore. SMBI arbitrates between software agents: a read that finds it
 * 0 sets it (the reader owns it); writing 0 frees it. SWESMBI arbitrates software against
 * firmware: software writes 1 and owns it when it reads back 1.
 */
#define IXGBE_SWSM	   0x10140
#define IXGBE_SWSM_SMBI	   IXGBE_BIT(0)
#define IXGBE_SWSM_SWESMBI IXGBE_BIT(1)

/* 8.2.3.4.10 Firmware Semaphore: EXT_ERR_IND (bits 24:19) is 0 when the EEPROM read fine. */
#define IXGBE_FWSM		    0x10148
#define IXGBE_FWSM_FW_MODE_MASK	    (7u << 1)	  /* 0: no manageability firmware mode */
#define IXGBE_FWSM_FW_VAL	    IXGBE_BIT(15) /* firmware finished its initialisation */
#define IXGBE_FWSM_EXT_ERR_IND_MASK (0x3fu << 19)

/*
 * 8.2.3.4 Software-Firmware Synchronisation: one bit per shared resource for software
 * (bits 4:0) and the same for firmware (bits 9:5). Taken while holding SWSM.SWESMBI.
 */
#define IXGBE_SW_FW_SYNC	 0x10160
#define IXGBE_SW_FW_SYNC_SW_MASK 0x1fu /* EEPROM, PHY0, PHY1, MAC CSR, flash */

/* ---- Flow control (8.2.3.3) ------------------------------------------------------------- */

/*
 * 8.2.3.3.4 Flow Control Receive Threshold High, n = 0..7. RTH (bits 18:5, bytes) must be set
 * even without flow control; 4.6.3.2 recommends RXPBSIZE[n] - 0x6000.
 */
#define IXGBE_FCRTH(n)	     (0x03260 + 4 * (n))
#define IXGBE_FCRTH_RTH_MASK 0x0007ffe0u
#define IXGBE_FCRTH_FCEN     IXGBE_BIT(31) /* send XOFF from this packet buffer */

/* ---- Interrupts (8.2.3.5; 7.3) ---------------------------------------------------------- */

/*
 * 8.2.3.5.1 Extended Interrupt Cause (RW1C). In MSI-X mode bits 15:0 are the causes of MSI-X
 * vectors 0..15 (RTxQ); vectors 16..63 live in EICR_EX (not used here). A read clears all bits
 * unless GPIE.OCD is set, in which case it clears only bits 29:16.
 */
#define IXGBE_EICR	    0x00800
#define IXGBE_EICR_RTX_MASK 0x0000ffffu	  /* vectors 0..15 (queue causes) */
#define IXGBE_EICR_LSC	    IXGBE_BIT(20) /* link status change ("other" cause) */
#define IXGBE_EICR_OTHER    IXGBE_BIT(31)

/* 8.2.3.5 Extended Interrupt Cause Set: writing 1 raises the cause (software interrupt). */
#define IXGBE_EICS 0x00808

/* 8.2.3.5.3 / 8.2.3.5.4 Extended Interrupt Mask Set/Read and Clear (write 1 to set/clear). */
#define IXGBE_EIMS 0x00880
#define IXGBE_EIMC 0x00888
/* EIMC bit 31 is reserved: masking everything in EIMC means writing 0x7fffffff (4.6.3.1). */
#define IXGBE_EIMC_ALL 0x7fffffffu

/* 8.2.3.5.8 and the EIMC_EX next to it: the same for vectors 0..63, 32 per register. */
#define IXGBE_EIMS_EX(n) (0x00aa0 + 4 * (n))
#define IXGBE_EIMC_EX(n) (0x00ab0 + 4 * (n))

/* 8.2.3.5 Cause Set and Auto Mask for vectors 0..63, 32 per register. */
#define IXGBE_EICS_EX(n) (0x00a90 + 4 * (n))
#define IXGBE_EIAM_EX(n) (0x00ad0 + 4 * (n))

/*
 * 8.2.3.5.5 Extended Interrupt Auto Clear: cause bits 15:0 set here clear when their MSI-X
 * message is sent. There are no EIAC registers for vectors 16..63: those always auto-clear
 * (7.3.1.4).
 */
#define IXGBE_EIAC 0x00810

/* 8.2.3.5 Extended Interrupt Auto Mask: with GPIE.EIAME, the EIMS bit clears on the message. */
#define IXGBE_EIAM 0x00890

/* 8.2.3.5.12 Interrupt throttling per vector; 0 = no throttling. */
#define IXGBE_EITR(n) ((n) < 24 ? 0x00820 + 4 * (n) : 0x12300 + 4 * ((n)-24))

/*
 * 8.2.3.5.16 Interrupt Vector Allocation, n = 0..63: maps queue causes to MSI-X vectors.
 * IVAR[n] holds four 8-bit entries: RX queue 2n (bits 7:0), TX queue 2n (15:8), RX queue 2n+1
 * (23:16), TX queue 2n+1 (31:24). Each entry: vector in bits 5:0, valid in bit 7.
 */
#define IXGBE_IVAR(n)	       (0x00900 + 4 * (n))
#define IXGBE_IVAR_RX_SHIFT(q) (((q)&1) * 16)
#define IXGBE_IVAR_TX_SHIFT(q) (((q)&1) * 16 + 8)
#define IXGBE_IVAR_ALLOC_VAL   IXGBE_BIT(7)
#define IXGBE_IVAR_VECTOR_MASK 0x3fu
#define IXGBE_IVAR_MISC	       0x00a00 /* TCP timer (7:0) and other causes (15:8) */

/*
 * 8.2.3.5.18 General Purpose Interrupt Enable.
 * Spec update, erratum 1: a cause set through EICS just as the interrupt fires may never clear
 * when the device runs without PBA support, with auto-clear and without auto-mask; this
 * driver sets PBA_SUPPORT and auto-mask, which avoids that combination.
 */
#define IXGBE_GPIE		 0x00898
#define IXGBE_GPIE_MULTIPLE_MSIX IXGBE_BIT(4)  /* MSI-X mode: causes map through IVAR */
#define IXGBE_GPIE_OCD		 IXGBE_BIT(5)  /* other clear disable (see EICR) */
#define IXGBE_GPIE_EIAME	 IXGBE_BIT(30) /* enable EIAM auto-masking */
#define IXGBE_GPIE_PBA_SUPPORT	 IXGBE_BIT(31)

/* ---- Receive filtering and RSS (8.2.3.7; 7.1) ------------------------------------------- */

/* 8.2.3.7.1 Filter Control. Change only while RXCTRL.RXEN is 0. */
#define IXGBE_FCTRL	0x05080
#define IXGBE_FCTRL_SBP IXGBE_BIT(1)  /* store bad packets */
#define IXGBE_FCTRL_MPE IXGBE_BIT(8)  /* multicast promiscuous */
#define IXGBE_FCTRL_UPE IXGBE_BIT(9)  /* unicast promiscuous */
#define IXGBE_FCTRL_BAM IXGBE_BIT(10) /* accept broadcast */

/* 8.2.3.7.3 Multicast Control: MFE enables the MTA filter. */
#define IXGBE_MCSTCTRL	       0x05090
#define IXGBE_MCSTCTRL_MO_MASK 0x3u /* which 12 bits of the address index the MTA (7.1.1.1) */
#define IXGBE_MCSTCTRL_MFE     IXGBE_BIT(2)

/*
 * 8.2.3.7.5 Receive Checksum Control. The IPv4 header and TCP/UDP checksums are always
 * checked; these bits choose what the second descriptor dword carries.
 */
#define IXGBE_RXCSUM	    0x05000
#define IXGBE_RXCSUM_IPPCSE IXGBE_BIT(12) /* IP payload (fragment) checksum enable */
#define IXGBE_RXCSUM_PCSD   IXGBE_BIT(13) /* descriptor carries the RSS hash, not the checksum */

/* 8.2.3.7.7 Multicast Table Array, 128 registers of 32 bits. */
#define IXGBE_MTA(n) (0x05200 + 4 * (n))

/*
 * 8.2.3.7.8 / 8.2.3.7.9 Receive Address Low/High, n = 0..127. After reset entry 0 holds the
 * EEPROM's MAC address with AV set. RAL = bytes 0..3 (byte 0 in bits 7:0), RAH bits 15:0 =
 * bytes 4..5. Intel's drivers reach entries 0..15 through the 82598-compatible alias at
 * 0x05400 + 8 * n; this driver uses the 82599 address.
 */
#define IXGBE_RAL(n)	   (0x0a200 + 8 * (n))
#define IXGBE_RAH(n)	   (0x0a204 + 8 * (n))
#define IXGBE_RAL_82598(n) (0x05400 + 8 * (n))
#define IXGBE_RAH_82598(n) (0x05404 + 8 * (n))
#define IXGBE_RAH_AV	   IXGBE_BIT(31) /* address valid */

/* 8.2.3.7.10 MAC Pool Select Array: pools that RAL/RAH[n] feeds (VMDq; unused here). */
#define IXGBE_MPSAR(n) (0x0a600 + 4 * (n))

/*
 * 8.2.3.7.12 Multiple Receive Queues Command. The datasheet lists MRQC at 0x0ec80 with 0x05818
 * as its alias; Intel's drivers use 0x05818, and so does this one.
 */
#define IXGBE_MRQC		      0x05818
#define IXGBE_MRQC_ALT		      0x0ec80
#define IXGBE_MRQC_MRQE_MASK	      0xfu
#define IXGBE_MRQC_MRQE_RSS	      0x1u	    /* RSS only, no DCB or VMDq */
#define IXGBE_MRQC_RSS_FIELD_IPV4_TCP IXGBE_BIT(16) /* hash src/dst address + ports for TCP */
#define IXGBE_MRQC_RSS_FIELD_IPV4     IXGBE_BIT(17) /* hash src/dst address */
#define IXGBE_MRQC_RSS_FIELD_IPV6     IXGBE_BIT(20)
#define IXGBE_MRQC_RSS_FIELD_IPV6_TCP IXGBE_BIT(21)
#define IXGBE_MRQC_RSS_FIELD_IPV4_UDP IXGBE_BIT(22) /* hash src/dst address + ports for UDP */

/*
 * 8.2.3.7.15 Redirection Table, 32 registers of four 8-bit entries: entry 4n + i is bits
 * 8i + 3 : 8i of RETA[n] (a queue, 0..15). The 7 low bits of the hash pick the entry
 * (7.1.2.8). Also at 0x0eb00 + 4 * n in the datasheet; Intel's drivers use 0x05c00.
 */
#define IXGBE_RETA(n)	      (0x05c00 + 4 * (n))
#define IXGBE_RETA_ALT(n)     (0x0eb00 + 4 * (n))
#define IXGBE_RETA_REGS	      32
#define IXGBE_RETA_ENTRY_MASK 0xfu

/* 7.1.2.8 / 8.2.3.7 RSS Random Key, 10 registers: key byte 4n + i is bits 8i + 7 : 8i. */
#define IXGBE_RSSRK(n)	 (0x05c80 + 4 * (n))
#define IXGBE_RSSRK_REGS 10

/* ---- Receive DMA (8.2.3.8; 4.6.7; 7.1.9) ------------------------------------------------ */

/* 8.2.3.8.1 .. 8.2.3.8.5 Receive descriptor ring of queue n (0..63 here; 64..127 at 0x0d000). */
#define IXGBE_RDBAL(n) (0x01000 + 0x40 * (n)) /* base, low 32 bits; 128-byte aligned */
#define IXGBE_RDBAH(n) (0x01004 + 0x40 * (n))
#define IXGBE_RDLEN(n) (0x01008 + 0x40 * (n)) /* ring bytes, a multiple of 128 */
#define IXGBE_RDH(n)   (0x01010 + 0x40 * (n)) /* head: next descriptor the device fills */
#define IXGBE_RDT(n)   (0x01018 + 0x40 * (n)) /* tail: one past the last one software gave */

/*
 * 8.2.3.8.6 Receive Descriptor Control. After setting ENABLE, poll until it reads back 1
 * before writing the tail (4.6.7); clearing it completes once pending DMA is done, and
 * 4.6.7.1 asks for ~100 us more before the ring's memory is reused; RDH and RDT are written
 * only while it is 0. Frames for a disabled queue are dropped. Our model (tests/model) does
 * its DMA synchronously, so ENABLE reads 0 as soon as it is cleared, and it counts those
 * drops as no-descriptor drops: RNBC, and QPRDC when SRRCTL.DROP_EN is set (else MPC); the
 * datasheet does not name a counter for them.
 */
#define IXGBE_RXDCTL(n)	    (0x01028 + 0x40 * (n))
#define IXGBE_RXDCTL_ENABLE IXGBE_BIT(25)
#define IXGBE_RXDCTL_SWFLSH IXGBE_BIT(26)
#define IXGBE_RXDCTL_VME    IXGBE_BIT(30) /* strip VLAN tags */

/*
 * 8.2.3.8.7 Split Receive Control, n = 0..63 (queues 0..15 also at 0x02100 + 4 * n).
 * Spec note in 7.1.10: header split mode "might cause unpredictable behavior"; use one buffer.
 */
#define IXGBE_SRRCTL(n)			 (0x01014 + 0x40 * (n))
#define IXGBE_SRRCTL_ALT(n)		 (0x02100 + 4 * (n))
#define IXGBE_SRRCTL_BSIZEPACKET_MASK	 0x1fu /* buffer size, 1 KiB units, 1..16 */
#define IXGBE_SRRCTL_BSIZEHEADER_SHIFT	 8     /* header buffer, 64-byte units (split only) */
#define IXGBE_SRRCTL_DESCTYPE_SHIFT	 25
#define IXGBE_SRRCTL_DESCTYPE_MASK	 (7u << 25)
#define IXGBE_SRRCTL_DESCTYPE_LEGACY	 (0u << 25)
#define IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF (1u << 25)    /* advanced descriptors, one buffer */
#define IXGBE_SRRCTL_DROP_EN		 IXGBE_BIT(28) /* no descriptor: drop now, don't back up */

/*
 * 8.2.3.8.8 Receive DMA Control. CRCSTRIP must equal HLREG0.RXCRCSTRP. 4.6.7 also asks for
 * RSCFRSTSIZE = 0 (the reset value is not 0), and 8.2.3.8.8 for RSCACKC = FCOE_WRFIX = 1, which
 * the 4.6.7 sequence itself forgets to mention.
 */
#define IXGBE_RDRXCTL		       0x02f00
#define IXGBE_RDRXCTL_CRCSTRIP	       IXGBE_BIT(1)
#define IXGBE_RDRXCTL_DMAIDONE	       IXGBE_BIT(3) /* DMA init done after reset (read only) */
#define IXGBE_RDRXCTL_RSCFRSTSIZE_MASK (0x1fu << 17)
#define IXGBE_RDRXCTL_RSCACKC	       IXGBE_BIT(25)
#define IXGBE_RDRXCTL_FCOE_WRFIX       IXGBE_BIT(26)

/* 8.2.3.8.9 Receive Packet Buffer Size, n = 0..7: bytes (KiB in bits 19:10); PB0 = 512 KiB. */
#define IXGBE_RXPBSIZE(n) (0x03c00 + 4 * (n))

/*
 * 8.2.3.8.10 Receive Control. Set RXEN last, after every queue and filter (4.6.7), inside the
 * SECRXCTRL.RX_DIS / SECRXSTAT.SECRX_RDY handshake below.
 */
#define IXGBE_RXCTRL	  0x03000
#define IXGBE_RXCTRL_RXEN IXGBE_BIT(0)

/* 8.2.3.11.1 Rx DCA Control, n = 0..63. Bit 12 resets to 1 but must be 0 (4.6.7). */
#define IXGBE_DCA_RXCTRL(n)	 (0x0100c + 0x40 * (n))
#define IXGBE_DCA_RXCTRL_RSVD_12 IXGBE_BIT(12)

/* 8.2.3.12.5 / 8.2.3.12.6 Security RX control and status: halt the RX data path. */
#define IXGBE_SECRXCTRL		  0x08d00
#define IXGBE_SECRXCTRL_RX_DIS	  IXGBE_BIT(1)
#define IXGBE_SECRXSTAT		  0x08d04
#define IXGBE_SECRXSTAT_SECRX_RDY IXGBE_BIT(0) /* RX data path empty */
#define IXGBE_SECRXSTAT_OFF_DIS	  IXGBE_BIT(1) /* security offload fused off */

/* 8.2.3.12.1 / 8.2.3.12.2 Security TX control and status, the same for the TX data path. */
#define IXGBE_SECTXCTRL		  0x08800
#define IXGBE_SECTXCTRL_TX_DIS	  IXGBE_BIT(1)
#define IXGBE_SECTXSTAT		  0x08804
#define IXGBE_SECTXSTAT_SECTX_RDY IXGBE_BIT(0)
#define IXGBE_SECTXSTAT_OFF_DIS	  IXGBE_BIT(1)

/* ---- Transmit DMA (8.2.3.9; 4.6.8) ------------------------------------------------------ */

/* 8.2.3.9.1 DMA TX TCP Max Allow Size Requests: 4.6.11.3.4 wants Max_byte_num_req = 0xfff. */
#define IXGBE_DTXMXSZRQ		       0x08100
#define IXGBE_DTXMXSZRQ_MAX_BYTES_MASK 0xfffu

/* 8.2.3.9.2 DMA TX Control: TE enables the whole transmit DMA (set before any TXDCTL.ENABLE). */
#define IXGBE_DMATXCTL	  0x04a80
#define IXGBE_DMATXCTL_TE IXGBE_BIT(0)

/* 8.2.3.9.5 .. 8.2.3.9.9 Transmit descriptor ring of queue n (0..127). */
#define IXGBE_TDBAL(n) (0x06000 + 0x40 * (n))
#define IXGBE_TDBAH(n) (0x06004 + 0x40 * (n))
#define IXGBE_TDLEN(n) (0x06008 + 0x40 * (n))
#define IXGBE_TDH(n)   (0x06010 + 0x40 * (n))
#define IXGBE_TDT(n)   (0x06018 + 0x40 * (n))

/*
 * 8.2.3.9.10 Transmit Descriptor Control. HTHRESH must be non-zero whenever PTHRESH is. With
 * WTHRESH = 0 every descriptor with RS is written back as soon as it is done.
 */
#define IXGBE_TXDCTL(n)		   (0x06028 + 0x40 * (n))
#define IXGBE_TXDCTL_PTHRESH_SHIFT 0
#define IXGBE_TXDCTL_HTHRESH_SHIFT 8
#define IXGBE_TXDCTL_WTHRESH_SHIFT 16
#define IXGBE_TXDCTL_ENABLE	   IXGBE_BIT(25)
#define IXGBE_TXDCTL_SWFLSH	   IXGBE_BIT(26)

/* 8.2.3.9.13 Transmit Packet Buffer Size, n = 0..7: PB0 = 160 KiB after reset. */
#define IXGBE_TXPBSIZE(n) (0x0cc00 + 4 * (n))

/* 8.2.3.9.15 Multiple Transmit Queues Command: 0 = no DCB, no VT, one packet buffer. */
#define IXGBE_MTQC 0x08120

/* 8.2.3.10.2 DCB Transmit Descriptor Plane Control: ARBDIS around MTQC changes (4.6.8). */
#define IXGBE_RTTDCS	    0x04900
#define IXGBE_RTTDCS_ARBDIS IXGBE_BIT(6)

/* ---- MAC and link (8.2.3.22) ------------------------------------------------------------ */

/* 8.2.3.22.8 MAC Core Control 0. */
#define IXGBE_HLREG0		  0x04240
#define IXGBE_HLREG0_TXCRCEN	  IXGBE_BIT(0)	/* append the FCS on transmit (default 1) */
#define IXGBE_HLREG0_RXCRCSTRP	  IXGBE_BIT(1)	/* strip the FCS on receive (default 1) */
#define IXGBE_HLREG0_JUMBOEN	  IXGBE_BIT(2)	/* accept frames up to MAXFRS.MFS */
#define IXGBE_HLREG0_TXPADEN	  IXGBE_BIT(10) /* pad short frames to 64 bytes (default 1) */
#define IXGBE_HLREG0_LPBK	  IXGBE_BIT(15) /* MAC loopback */
#define IXGBE_HLREG0_RXLNGTHERREN IXGBE_BIT(27) /* count length errors (default 1) */

/* 8.2.3.22 Max Frame Size: MFS (bits 31:16) is used only with HLREG0.JUMBOEN; reset 1518. */
#define IXGBE_MAXFRS	       0x04268
#define IXGBE_MAXFRS_MFS_SHIFT 16

/*
 * 8.2.3.22.19 Auto Negotiation Control. Loaded from the EEPROM; the link mode (LMS) decides
 * whether autonegotiation is restarted.
 */
#define IXGBE_AUTOC			0x042a0
#define IXGBE_AUTOC_FLU			IXGBE_BIT(0) /* force link up */
#define IXGBE_AUTOC_AN_RESTART		IXGBE_BIT(12)
#define IXGBE_AUTOC_LMS_SHIFT		13
#define IXGBE_AUTOC_LMS_MASK		(7u << 13)
#define IXGBE_AUTOC_LMS_10G_SERIAL	(3u << 13) /* SFI (SFP+): no autonegotiation */
#define IXGBE_AUTOC_LMS_KX4_KX_KR	(4u << 13) /* backplane, autonegotiated */
#define IXGBE_AUTOC_LMS_KX4_KX_KR_1G_AN (6u << 13)
#define IXGBE_AUTOC_LMS_KX4_KX_KR_SGMII (7u << 13)

/* 8.2.3.22.20 Link Status. */
#define IXGBE_LINKS		     0x042a4
#define IXGBE_LINKS_LINK_SPEED_SHIFT 28
#define IXGBE_LINKS_LINK_SPEED_MASK  (3u << 28)
#define IXGBE_LINKS_SPEED_100M	     (1u << 28)
#define IXGBE_LINKS_SPEED_1G	     (2u << 28)
#define IXGBE_LINKS_SPEED_10G	     (3u << 28)
#define IXGBE_LINKS_LINK_UP	     IXGBE_BIT(30)
#define IXGBE_LINKS_KX_AN_COMP	     IXGBE_BIT(31)

/* 8.2.3.22 Auto Negotiation Control 2: more link settings from the EEPROM. */
#define IXGBE_AUTOC2 0x042a8

/* 8.2.3.22 AN Link Partner Link Control Word 1: AN_STATE (19:16) leaves 0 on an AN restart. */
#define IXGBE_ANLP1		  0x042b0
#define IXGBE_ANLP1_AN_STATE_MASK (0xfu << 16)

/*
 * 8.2.3.22 MDI Single Command and Address, MDI Read/Write Data: clause 45 access to an external
 * PHY. MDI_COMMAND starts the operation and clears when it is done.
 */
#define IXGBE_MSCA		    0x0425c
#define IXGBE_MSCA_DEV_TYPE_SHIFT   16 /* bits 20:16: MMD */
#define IXGBE_MSCA_PHY_ADDR_SHIFT   21 /* bits 25:21 */
#define IXGBE_MSCA_OP_CODE_MASK	    (3u << 26)
#define IXGBE_MSCA_OP_ADDR	    (0u << 26) /* address cycle */
#define IXGBE_MSCA_OP_WRITE	    (1u << 26)
#define IXGBE_MSCA_OP_READ_INC	    (2u << 26)
#define IXGBE_MSCA_OP_READ	    (3u << 26)
#define IXGBE_MSCA_MDI_COMMAND	    IXGBE_BIT(30)
#define IXGBE_MSRWD		    0x04260
#define IXGBE_MSRWD_READ_DATA_SHIFT 16 /* bits 31:16: what a read returned */

/* 8.2.3.21 Flow Director control and command (the filters themselves are not used here). */
#define IXGBE_FDIRCTRL		 0x0ee00
#define IXGBE_FDIRCTRL_INIT_DONE IXGBE_BIT(3) /* tables initialised after an FDIRCTRL write */
#define IXGBE_FDIRCMD		 0x0ee2c
#define IXGBE_FDIRCMD_CMD_MASK	 0x3u /* non-zero while a command runs */

/* ---- Statistics (8.2.3.23): all clear on read ------------------------------------------- */
/*
 * Spec update, clarification 18: the RX counters do not count runts or fragments shorter than
 * 12 bytes. Byte counters count from the destination address through the FCS.
 * GORC/GOT/TOR are 36-bit counters in a low and a high register: read low, then high.
 */
#define IXGBE_CRCERRS  0x04000		   /* CRC errors, frames of 64 bytes or more */
#define IXGBE_ILLERRC  0x04004		   /* illegal byte errors */
#define IXGBE_ERRBC    0x04008		   /* error bytes */
#define IXGBE_MPC(n)   (0x03fa0 + 4 * (n)) /* missed: packet buffer n full, n = 0..7 */
#define IXGBE_MLFC     0x04034		   /* MAC local faults */
#define IXGBE_MRFC     0x04038		   /* MAC remote faults */
#define IXGBE_RLEC     0x04040		   /* receive length errors */
#define IXGBE_GPRC     0x04074		   /* 8.2.3.23.26 good packets received */
#define IXGBE_BPRC     0x04078		   /* broadcast packets received */
#define IXGBE_MPRC     0x0407c		   /* multicast packets received */
#define IXGBE_GPTC     0x04080		   /* good packets transmitted */
#define IXGBE_GORCL    0x04088		   /* good octets received, low */
#define IXGBE_GORCH    0x0408c		   /* ... high */
#define IXGBE_GOTCL    0x04090		   /* good octets transmitted, low */
#define IXGBE_GOTCH    0x04094		   /* ... high */
#define IXGBE_RNBC(n)  (0x03fc0 + 4 * (n)) /* no receive buffer events, per packet buffer */
#define IXGBE_RUC      0x040a4		   /* undersize (< 64 bytes, good CRC) */
#define IXGBE_RFC      0x040a8		   /* fragments (< 64 bytes, bad CRC) */
#define IXGBE_ROC      0x040ac		   /* oversize (> max frame, good CRC) */
#define IXGBE_RJC      0x040b0		   /* jabbers (> max frame, bad CRC) */
#define IXGBE_TORL     0x040c0		   /* total octets received, low */
#define IXGBE_TORH     0x040c4
#define IXGBE_TPR      0x040d0		      /* 8.2.3.23.59 total packets received */
#define IXGBE_TPT      0x040d4		      /* total packets transmitted */
#define IXGBE_QPRC(n)  (0x01030 + 0x40 * (n)) /* packets received by queue n (0..15) */
#define IXGBE_QPRDC(n) (0x01430 + 0x40 * (n)) /* packets dropped by queue n: no descriptor */

/* ---- Advanced descriptors (7.1.6, 7.2.3.2): the layout lives in drivers/adv_ring.h -------- */

/* RX write-back, status (bits 19:0 of status_error). */
#define IXGBE_RXDADV_STAT_DD	IXGBE_BIT(0)
#define IXGBE_RXDADV_STAT_EOP	IXGBE_BIT(1)
#define IXGBE_RXDADV_STAT_UDPCS IXGBE_BIT(4) /* the L4 checksum checked was UDP's */
#define IXGBE_RXDADV_STAT_L4CS	IXGBE_BIT(5) /* "L4I": TCP/UDP checksum was checked */
#define IXGBE_RXDADV_STAT_IPCS	IXGBE_BIT(6) /* IPv4 header checksum was checked */
/*
 * RX write-back, extended errors (bits 31:20). The 82598 datasheet and Intel's drivers call bit
 * 30 TCPE and bit 29 USE; the 82599 datasheet calls them L4E and RXE (MAC error: CRC, length,
 * symbol; reported only with FCTRL.SBP). Spec update, erratum 66: IPE may be set on fragments.
 */
#define IXGBE_RXDADV_ERR_RXE IXGBE_BIT(29)
#define IXGBE_RXDADV_ERR_L4E IXGBE_BIT(30)
#define IXGBE_RXDADV_ERR_IPE IXGBE_BIT(31)
/* RX write-back, info dword: RSS type (bits 3:0) and packet type (bits 16:4). */
#define IXGBE_RXDADV_RSSTYPE_NONE     0x0u
#define IXGBE_RXDADV_RSSTYPE_IPV4_TCP 0x1u
#define IXGBE_RXDADV_RSSTYPE_IPV4     0x2u
#define IXGBE_RXDADV_RSSTYPE_IPV4_UDP 0x7u
#define IXGBE_RXDADV_PKTTYPE_IPV4     IXGBE_BIT(4)
#define IXGBE_RXDADV_PKTTYPE_TCP      IXGBE_BIT(8)
#define IXGBE_RXDADV_PKTTYPE_UDP      IXGBE_BIT(9)

/* TX descriptor type (cmd_type_len bits 23:20) and commands (31:24): see drivers/adv_ring.h. */
#define IXGBE_TXD_DTYP_MASK    (0xfu << 20)
#define IXGBE_TXD_DTYP_CTXT    (2u << 20)
#define IXGBE_TXD_DTYP_DATA    (3u << 20)
#define IXGBE_TXD_CMD_EOP      IXGBE_BIT(24)
#define IXGBE_TXD_CMD_IFCS     IXGBE_BIT(25)
#define IXGBE_TXD_CMD_IC       IXGBE_BIT(26) /* legacy: insert checksum at CSO */
#define IXGBE_TXD_CMD_RS       IXGBE_BIT(27)
#define IXGBE_TXD_CMD_DEXT     IXGBE_BIT(29)
#define IXGBE_TXD_CMD_VLE      IXGBE_BIT(30)
#define IXGBE_TXD_CMD_TSE      IXGBE_BIT(31)
#define IXGBE_TXD_STAT_DD      IXGBE_BIT(0)
#define IXGBE_TXD_IDX_SHIFT    4	    /* olinfo bits 6:4: context slot (0 or 1) */
#define IXGBE_TXD_CC	       IXGBE_BIT(7) /* olinfo: check context */
#define IXGBE_TXD_POPTS_IXSM   IXGBE_BIT(8) /* olinfo: insert IPv4 header checksum */
#define IXGBE_TXD_POPTS_TXSM   IXGBE_BIT(9) /* olinfo: insert TCP/UDP checksum */
#define IXGBE_TXD_PAYLEN_SHIFT 14
/* Context descriptor: vlan_macip_lens IPLEN 8:0, MACLEN 15:9; TUCMD in type_tucmd_mlhl. */
#define IXGBE_TXCTX_IPLEN_MASK	   0x1ffu
#define IXGBE_TXCTX_MACLEN_SHIFT   9
#define IXGBE_TXCTX_MACLEN_MASK	   (0x7fu << 9)
#define IXGBE_TXCTX_TUCMD_IPV4	   IXGBE_BIT(10)
#define IXGBE_TXCTX_TUCMD_L4T_MASK (3u << 11)
#define IXGBE_TXCTX_TUCMD_L4T_UDP  (0u << 11)
#define IXGBE_TXCTX_TUCMD_L4T_TCP  (1u << 11)
#define IXGBE_TXCTX_TUCMD_L4T_SCTP (2u << 11)
#define IXGBE_TXCTX_IDX_SHIFT	   4  /* mss_l4len_idx bits 6:4 */
#define IXGBE_TXCTX_L4LEN_SHIFT	   8  /* mss_l4len_idx bits 15:8: TCP/UDP header length */
#define IXGBE_TXCTX_MSS_SHIFT	   16 /* mss_l4len_idx bits 31:16: TSO segment payload */

#endif
