/* Flow consistency for outgoing connections: choosing local ports whose replies land on the
 * issuing core (IX section 4.4; the NIC's RSS hash decides where a reply is received). */
#ifndef IXOS_NET_RSS_H
#define IXOS_NET_RSS_H

#include <stdint.h>

#define RSS_RETA_SIZE 128
#define RSS_PORT_FIRST 49152 /* the IANA dynamic range */
#define RSS_PORT_LAST 65535

/* The queue a received IPv4 TCP/UDP packet goes to: reta[toeplitz(tuple) & 127]. */
unsigned rss_queue(const uint8_t *key, const uint8_t *reta, uint32_t saddr, uint32_t daddr,
		   uint16_t sport, uint16_t dport);

/*
 * Finds a local port in the dynamic range for a connection local_ip -> remote_ip:remote_port
 * such that the replies (remote -> local) hash to queue, starting the search at hint (so
 * successive calls spread over the range) and skipping ports for which in_use(port, arg)
 * says true (may be NULL). Returns the port, or 0 when no free port maps to queue.
 */
uint16_t rss_pick_port(const uint8_t *key, const uint8_t *reta, uint32_t local_ip,
		       uint32_t remote_ip, uint16_t remote_port, unsigned queue, uint16_t hint,
		       int (*in_use)(uint16_t port, void *arg), void *arg);

#endif
