/* Toeplitz hash for RSS (see net/toeplitz.h). */
#include "net/toeplitz.h"

static unsigned key_bit(const uint8_t *key, size_t bit)
{
	if (bit >= TOEPLITZ_KEY_SIZE * 8)
		return 0;
	return (key[bit / 8] >> (7 - bit % 8)) & 1;
}

uint32_t toeplitz_hash(const uint8_t key[TOEPLITZ_KEY_SIZE], const uint8_t *data, size_t len)
{
	/* window holds key bits [i, i + 32) for input bit i, shifted along one bit at a time */
	uint32_t window =
	    (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
	uint32_t hash = 0;
	size_t next = 32;

	for (size_t i = 0; i < len; i++) {
		for (int b = 7; b >= 0; b--) {
			if (data[i] & (1u << b))
				hash ^= window;
			window = window << 1 | key_bit(key, next++);
		}
	}
	return hash;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

size_t toeplitz_ipv4_input(uint8_t out[TOEPLITZ_IPV4_PORTS_LEN], uint32_t saddr, uint32_t daddr,
			   uint16_t sport, uint16_t dport, bool with_ports)
{
	put_be32(out, saddr);
	put_be32(out + 4, daddr);
	if (!with_ports)
		return TOEPLITZ_IPV4_LEN;
	out[8] = sport >> 8;
	out[9] = sport & 0xff;
	out[10] = dport >> 8;
	out[11] = dport & 0xff;
	return TOEPLITZ_IPV4_PORTS_LEN;
}

uint32_t toeplitz_hash_ipv4(const uint8_t key[TOEPLITZ_KEY_SIZE], uint32_t saddr, uint32_t daddr,
			    uint16_t sport, uint16_t dport, bool with_ports)
{
	uint8_t in[TOEPLITZ_IPV4_PORTS_LEN];
	size_t n = toeplitz_ipv4_input(in, saddr, daddr, sport, dport, with_ports);

	return toeplitz_hash(key, in, n);
}
