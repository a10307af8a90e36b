/*
 * Intel 82599 10 GbE (X520) driver: the production NIC. Up to 16 queue pairs with RSS, RX and
 * TX checksum offload, per-queue MSI-X receive interrupts. Written from the 82599 datasheet;
 * register names in drivers/ixgbe/ixgbe_regs.h.
 *
 * What the platform must have done before ixgbe_attach: BAR0 mapped uncached, bus mastering
 * enabled, and (for rx_irq) the MSI-X table entries 0..nqueues-1 pointing at the cores that own
 * the queues: RX queue q raises MSI-X vector q.
 *
 * TX checksum offload (mbuf MBUF_F_TX_*), as the 82599 does it: l2_len and l3_len set, the IPv4
 * header checksum field zero, and the TCP/UDP checksum field holding the pseudo-header sum.
 */
#ifndef IXOS_DRIVERS_IXGBE_H
#define IXOS_DRIVERS_IXGBE_H

#include "drivers/nic.h"

#define IXGBE_MAX_QUEUES 16

/*
 * Resets the 82599 whose registers are at bar0, waits for its EEPROM auto-read and DMA
 * initialisation, reads its MAC address and brings up the link (a link still down is only
 * reported), then fills nic: ops, rx_burst, tx_burst, mac, max_queues, regs, priv.
 * Returns 0, or < 0 with the reason logged (reset never completed, no valid MAC, no memory).
 * Every wait is bounded; nothing here hangs on a broken part.
 */
int ixgbe_attach(struct nic *nic, volatile void *bar0);

#endif
