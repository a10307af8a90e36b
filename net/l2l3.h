/*
 * The minimal L2/L3 a dataplane core needs to be reachable before the TCP/IP stack arrives:
 * ARP replies and ICMP echo replies for the configured address, built in place in the
 * received buffer (no copy, no allocation), and the reflect mode used for measurements.
 */
#ifndef IXOS_NET_L2L3_H
#define IXOS_NET_L2L3_H

#include <stddef.h>
#include <stdint.h>
#include "net/dp_stats.h"

#define ETH_HLEN 14
#define ETH_MTU 1500

struct l2l3_cfg {
	uint8_t mac[6];
	uint32_t ip; /* host byte order; 0: answer nothing */
};

enum l2l3_verdict {
	L2L3_DROP,  /* consumed: the caller frees the buffer (the reason is counted) */
	L2L3_REPLY, /* the frame was rewritten into a reply of *len bytes: transmit it */
};

/*
 * Handles one received Ethernet frame (without CRC) of *len bytes at frame. ARP requests for
 * cfg->ip and ICMP echo requests to cfg->ip are turned into their replies in place and
 * *len is set to the reply's length; everything else is dropped and counted in st
 * (malformed, oversize, checksum, not for us). Never reads outside [frame, frame + *len).
 */
enum l2l3_verdict l2l3_input(const struct l2l3_cfg *cfg, uint8_t *frame, uint16_t *len,
			     struct dp_stats *st);

/* Swaps the source and destination MAC addresses (reflect mode). len >= ETH_HLEN. */
void l2l3_reflect(uint8_t *frame);

/* The Internet checksum (RFC 1071) of len bytes, folded and complemented. */
uint16_t inet_csum(const void *data, size_t len);

#endif
