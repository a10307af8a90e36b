/* Receive-side scaling helpers for the kernel (the NIC does the same on receive). */
#include "net/rss.h"
#include "net/toeplitz.h"

unsigned rss_queue(const uint8_t *key, const uint8_t *reta, uint32_t saddr, uint32_t daddr,
		   uint16_t sport, uint16_t dport)
{
	return reta[toeplitz_hash_ipv4(key, saddr, daddr, sport, dport, true) &
		    (RSS_RETA_SIZE - 1)];
}

uint16_t rss_pick_port(const uint8_t *key, const uint8_t *reta, uint32_t local_ip,
		       uint32_t remote_ip, uint16_t remote_port, unsigned queue, uint16_t hint,
		       int (*in_use)(uint16_t port, void *arg), void *arg)
{
	const uint32_t span = RSS_PORT_LAST - RSS_PORT_FIRST + 1;

	if (hint < RSS_PORT_FIRST)
		hint = RSS_PORT_FIRST;
	for (uint32_t i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(RSS_PORT_FIRST + (hint - RSS_PORT_FIRST + i) % span);
		/* The reply travels remote -> local: that is the tuple the NIC hashes. */
		if (rss_queue(key, reta, remote_ip, local_ip, remote_port, port) != queue)
			continue;
		if (in_use && in_use(port, arg))
			continue;
		return port;
	}
	return 0;
}
