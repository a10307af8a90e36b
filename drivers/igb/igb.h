/* Intel 82576 (igb) driver: QEMU's -device igb, and on-board 1 GbE ports on servers. */
#ifndef IXOS_IGB_H
#define IXOS_IGB_H

#include "drivers/nic.h"

#define IGB_MAX_QUEUES 16

/*
 * Resets the 82576 whose registers are at bar0 and fills nic (ops, bursts, MAC). Returns 0,
 * or < 0 with the reason logged (reset never completed, registers unreadable).
 */
int igb_attach(struct nic *nic, volatile void *bar0);

#endif
