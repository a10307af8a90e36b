/* ARP (RFC 826) and ICMP echo (RFC 792) replies, in place. */
#include "net/l2l3.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define IP_PROTO_ICMP 1
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define IP_FLAG_MF 0x2000
#define IP_FRAG_OFF 0x1fff

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void copy(uint8_t *dst, const uint8_t *src, unsigned n)
{
	while (n--)
		*dst++ = *src++;
}

uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += get16(p);
	if (len)
		sum += (uint16_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void l2l3_reflect(uint8_t *frame)
{
	uint8_t t[6];

	copy(t, frame, 6);
	copy(frame, frame + 6, 6);
	copy(frame + 6, t, 6);
}

static enum l2l3_verdict arp_input(const struct l2l3_cfg *cfg, uint8_t *f, uint16_t *len,
				   struct dp_stats *st)
{
	uint8_t *a = f + ETH_HLEN;

	if (*len < ETH_HLEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IPV4 ||
	    a[4] != 6 || a[5] != 4) {
		st->rx_malformed++;
		return L2L3_DROP;
	}
	if (get16(a + 6) != ARP_OP_REQUEST || get32(a + 24) != cfg->ip || !cfg->ip) {
		st->rx_not_for_us++;
		return L2L3_DROP;
	}
	/* Target becomes the asker; we become the sender. */
	copy(a + 18, a + 8, 10); /* tha, tpa := sha, spa */
	copy(a + 8, cfg->mac, 6);
	put32(a + 14, cfg->ip);
	put16(a + 6, ARP_OP_REPLY);
	copy(f, a + 18, 6);
	copy(f + 6, cfg->mac, 6);
	*len = ETH_HLEN + ARP_LEN;
	st->arp_replies++;
	return L2L3_REPLY;
}

static enum l2l3_verdict ipv4_input(const struct l2l3_cfg *cfg, uint8_t *f, uint16_t *len,
				    struct dp_stats *st)
{
	uint8_t *ip = f + ETH_HLEN;
	unsigned avail = *len - ETH_HLEN;

	if (avail < 20 || (ip[0] >> 4) != 4) {
		st->rx_malformed++;
		return L2L3_DROP;
	}
	unsigned ihl = (ip[0] & 0xf) * 4u, tot = get16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > avail) {
		st->rx_malformed++;
		return L2L3_DROP;
	}
	if (inet_csum(ip, ihl) != 0) {
		st->rx_csum_errors++;
		return L2L3_DROP;
	}
	if (!cfg->ip || get32(ip + 16) != cfg->ip || ip[9] != IP_PROTO_ICMP ||
	    (get16(ip + 6) & (IP_FLAG_MF | IP_FRAG_OFF))) {
		st->rx_not_for_us++;
		return L2L3_DROP;
	}
	uint8_t *icmp = ip + ihl;
	unsigned ilen = tot - ihl;
	if (ilen < 8) {
		st->rx_malformed++;
		return L2L3_DROP;
	}
	if (inet_csum(icmp, ilen) != 0) {
		st->rx_csum_errors++;
		return L2L3_DROP;
	}
	if (icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0) {
		st->rx_not_for_us++;
		return L2L3_DROP;
	}
	icmp[0] = ICMP_ECHO_REPLY;
	put16(icmp + 2, 0);
	put16(icmp + 2, inet_csum(icmp, ilen));
	uint8_t src[4];
	copy(src, ip + 12, 4);
	copy(ip + 12, ip + 16, 4);
	copy(ip + 16, src, 4);
	ip[8] = 64; /* a fresh TTL, as a new datagram */
	put16(ip + 10, 0);
	put16(ip + 10, inet_csum(ip, ihl));
	l2l3_reflect(f);
	copy(f + 6, cfg->mac, 6);
	*len = ETH_HLEN + tot; /* drop Ethernet padding */
	st->icmp_echo_replies++;
	return L2L3_REPLY;
}

enum l2l3_verdict l2l3_input(const struct l2l3_cfg *cfg, uint8_t *frame, uint16_t *len,
			     struct dp_stats *st)
{
	if (*len < ETH_HLEN) {
		st->rx_malformed++;
		return L2L3_DROP;
	}
	if (*len > ETH_HLEN + ETH_MTU) {
		st->rx_oversize++;
		return L2L3_DROP;
	}
	switch (get16(frame + 12)) {
	case ETHERTYPE_ARP:
		return arp_input(cfg, frame, len, st);
	case ETHERTYPE_IPV4:
		return ipv4_input(cfg, frame, len, st);
	}
	st->rx_not_for_us++;
	return L2L3_DROP;
}
