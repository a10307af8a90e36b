/*
 * The Toeplitz hash of receive-side scaling (Microsoft RSS; 82599 datasheet 7.1.2.8): the NIC
 * hashes a packet's addresses (and ports) with a 40-byte secret key, and the low 7 bits of the
 * hash pick the redirection-table entry, hence the queue and the core. The kernel computes the
 * same hash to choose source ports whose replies come back to the issuing core.
 */
#ifndef IXOS_NET_TOEPLITZ_H
#define IXOS_NET_TOEPLITZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOEPLITZ_KEY_SIZE	40
#define TOEPLITZ_IPV4_LEN	8  /* source address, destination address */
#define TOEPLITZ_IPV4_PORTS_LEN 12 /* ... then source port, destination port */

/*
 * Hashes len bytes of data (at most TOEPLITZ_KEY_SIZE - 4 = 36: key bits beyond the key's end
 * count as zero) with key: for every set input bit i, counting from the first byte's most
 * significant bit, XORs in the 32 key bits starting at key bit i.
 */
uint32_t toeplitz_hash(const uint8_t key[TOEPLITZ_KEY_SIZE], const uint8_t *data, size_t len);

/*
 * Writes the RSS input for an IPv4 packet into out, in network byte order as the packet carries
 * it: saddr, daddr and, if with_ports, sport and dport (all given in host byte order).
 * Returns the input's length: TOEPLITZ_IPV4_LEN or TOEPLITZ_IPV4_PORTS_LEN.
 */
size_t toeplitz_ipv4_input(uint8_t out[TOEPLITZ_IPV4_PORTS_LEN], uint32_t saddr, uint32_t daddr,
			   uint16_t sport, uint16_t dport, bool with_ports);

/* toeplitz_hash over toeplitz_ipv4_input's tuple. */
uint32_t toeplitz_hash_ipv4(const uint8_t key[TOEPLITZ_KEY_SIZE], uint32_t saddr, uint32_t daddr,
			    uint16_t sport, uint16_t dport, bool with_ports);

#endif
