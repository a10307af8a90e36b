/*
 * ip=dhcp: the dataplane NIC's DHCP client. The client (net/dhcp_client.c) runs on the
 * management core, the only writer of the dataplane address (dataplane_set_addr, as `ixmgr
 * config set ip` does), and every core's stack instance takes the leased address through the
 * same seqlock. Frames cross between the cores by copy: a dataplane core that receives a
 * datagram to UDP port 68 (on whichever queue RSS put it) hands it to the management core,
 * and the core of queue 0 transmits what the client sends. Internal to net/ (dataplane.c).
 */
#ifndef IXOS_NET_DP_DHCP_H
#define IXOS_NET_DP_DHCP_H

#include <stdbool.h>
#include <stdint.h>

struct kconfig;
struct dp_core;
struct mbuf;

/* Whether ip=dhcp is in force (set once at boot; read on every received frame). */
extern bool dp_dhcp_on;

/* Boot CPU, after the dataplane's queues are set up: starts the client if cfg says ip=dhcp
 * (gw=, if given, is the gateway when the server names none). */
void dp_dhcp_init(const struct kconfig *cfg, const uint8_t mac[6]);

/*
 * A dataplane core's receive path, dp_dhcp_on only: if m is a datagram to UDP port 68, copies
 * it for the management core (or counts it dropped if that queue is full: the stats line) and
 * returns true (the caller frees m); otherwise false, m untouched.
 */
bool dp_dhcp_rx(struct dp_core *dc, const struct mbuf *m);

/* Whether the client queued frames for queue 0's core to transmit (one load). */
bool dp_dhcp_tx_pending(void);
/* Queue 0's core: transmits what the client queued. */
void dp_dhcp_tx_drain(struct dp_core *dc);

/* Management core, every tick: the frames received, then the client's timers. */
void dp_dhcp_tick(void);

/* Prints the client's counters as one stats line (nothing unless ip=dhcp). */
void dp_dhcp_print_stats(void);

#endif
