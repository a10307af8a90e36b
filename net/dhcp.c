/* DHCP messages in Ethernet frames (RFC 2131, RFC 2132): the builder and the checked parser. */
#include "net/dhcp.h"
#include "kernel/lib/string.h"

#define ETH_HDR 14
#define IP_HDR 20
#define UDP_HDR 8
#define BOOTP_FIXED 236		 /* op .. file, before the magic cookie */
#define BOOTP_OPTS (BOOTP_FIXED + 4) /* where the options start */
#define BOOTP_MIN 300		 /* what we send at least (RFC 951's size; old servers want it) */
#define DHCP_COOKIE 0x63825363u
#define IP_PROTO_UDP 17

/* Option codes (RFC 2132). */
enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_REQUESTED = 50,
	OPT_LEASE = 51,
	OPT_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PARAMS = 55,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_END = 255,
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Adds len bytes to a one's-complement sum (RFC 1071); an odd last byte is padded with 0. */
static uint32_t sum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The sum of UDP's pseudo-header and its datagram of ulen bytes at udp (RFC 768). */
static uint16_t udp_sum(const uint8_t *ip, const uint8_t *udp, size_t ulen)
{
	uint32_t sum = sum_add(0, ip + 12, 8); /* source and destination */

	sum += IP_PROTO_UDP + (uint32_t)ulen;
	return sum_fold(sum_add(sum, udp, ulen));
}

size_t dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_out *m)
{
	uint8_t *ip = buf + ETH_HDR, *udp = ip + IP_HDR, *b = udp + UDP_HDR, *o = b + BOOTP_OPTS;
	size_t blen = BOOTP_MIN, ulen = UDP_HDR + blen, tot = IP_HDR + ulen;

	if (cap < ETH_HDR + tot)
		return 0;
	memset(buf, 0, ETH_HDR + tot);
	memcpy(buf, m->dst_mac, 6);
	memcpy(buf + 6, m->mac, 6);
	wr16(buf + 12, 0x0800);

	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = IP_PROTO_UDP;
	wr32(ip + 12, m->src_ip);
	wr32(ip + 16, m->dst_ip);
	wr16(ip + 10, (uint16_t)~sum_fold(sum_add(0, ip, IP_HDR)));

	wr16(udp, DHCP_CLIENT_PORT);
	wr16(udp + 2, DHCP_SERVER_PORT);
	wr16(udp + 4, (uint16_t)ulen);

	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	wr32(b + 4, m->xid);
	wr16(b + 8, m->secs);
	wr32(b + 12, m->ciaddr);
	memcpy(b + 28, m->mac, 6);
	wr32(b + BOOTP_FIXED, DHCP_COOKIE);
	*o++ = OPT_TYPE;
	*o++ = 1;
	*o++ = m->type;
	if (m->requested) {
		*o++ = OPT_REQUESTED;
		*o++ = 4;
		wr32(o, m->requested);
		o += 4;
	}
	if (m->server_id) {
		*o++ = OPT_SERVER_ID;
		*o++ = 4;
		wr32(o, m->server_id);
		o += 4;
	}
	static const uint8_t params[] = {OPT_MASK, OPT_ROUTER, OPT_LEASE, OPT_SERVER_ID, OPT_T1,
					 OPT_T2};
	*o++ = OPT_PARAMS;
	*o++ = sizeof(params);
	memcpy(o, params, sizeof(params));
	o += sizeof(params);
	*o = OPT_END; /* at most 240 + 3 + 6 + 6 + 8 + 1 bytes: inside the 300 */

	uint16_t cs = (uint16_t)~udp_sum(ip, udp, ulen);
	wr16(udp + 6, cs ? cs : 0xffff); /* 0 would mean "no checksum" */
	return ETH_HDR + tot;
}

bool dhcp_is_client_frame(const uint8_t *f, size_t len)
{
	if (len < ETH_HDR + IP_HDR + UDP_HDR || rd16(f + 12) != 0x0800 || (f[14] >> 4) != 4 ||
	    f[14 + 9] != IP_PROTO_UDP)
		return false;
	size_t ihl = (f[14] & 0xfu) * 4u;
	if (ihl < IP_HDR || len < ETH_HDR + ihl + UDP_HDR)
		return false;
	return rd16(f + ETH_HDR + ihl + 2) == DHCP_CLIENT_PORT;
}

/* A mask as a prefix length; -1 unless its ones are contiguous from the top. */
static int mask_prefix(uint32_t mask)
{
	int n = 0;

	while (n < 32 && (mask & (0x80000000u >> n)))
		n++;
	return (n == 32 || (mask << n) == 0) ? n : -1;
}

/* Takes one option; false if it is one of ours with a length we cannot use. */
static bool take_option(uint8_t code, const uint8_t *v, size_t n, struct dhcp_in *out)
{
	switch (code) {
	case OPT_MASK: {
		int p = n == 4 ? mask_prefix(rd32(v)) : -1;
		if (p < 0)
			return false;
		out->prefix = (uint8_t)p;
		out->has_mask = true;
		return true;
	}
	case OPT_ROUTER:
		if (n < 4 || n % 4)
			return false;
		out->router = rd32(v);
		out->has_router = true;
		return true;
	case OPT_TYPE:
		if (n != 1)
			return false;
		out->type = v[0];
		return true;
	case OPT_SERVER_ID:
	case OPT_LEASE:
	case OPT_T1:
	case OPT_T2:
		if (n != 4)
			return false;
		if (code == OPT_SERVER_ID) {
			out->server_id = rd32(v);
		} else if (code == OPT_LEASE) {
			out->lease_s = rd32(v);
			out->has_lease = true;
		} else if (code == OPT_T1) {
			out->t1_s = rd32(v);
			out->has_t1 = true;
		} else {
			out->t2_s = rd32(v);
			out->has_t2 = true;
		}
		return true;
	default:
		return true; /* not ours: skipped */
	}
}

enum dhcp_parse_result dhcp_parse(const uint8_t *f, size_t len, struct dhcp_in *out)
{
	if (!dhcp_is_client_frame(f, len))
		return DHCP_PARSE_NOT_DHCP;
	memset(out, 0, sizeof(*out));

	const uint8_t *ip = f + ETH_HDR;
	size_t ihl = (ip[0] & 0xfu) * 4u, tot = rd16(ip + 2);
	/* Ethernet pads short frames, so the IP length decides where the datagram ends. */
	if (tot < ihl + UDP_HDR || ETH_HDR + tot > len || (rd16(ip + 6) & 0x3fff) ||
	    sum_fold(sum_add(0, ip, ihl)) != 0xffff)
		return DHCP_PARSE_BAD;
	const uint8_t *udp = ip + ihl;
	size_t ulen = rd16(udp + 4);
	if (ulen < UDP_HDR || ulen > tot - ihl)
		return DHCP_PARSE_BAD;
	if (rd16(udp + 6) != 0 && udp_sum(ip, udp, ulen) != 0xffff)
		return DHCP_PARSE_BAD;

	const uint8_t *b = udp + UDP_HDR;
	size_t blen = ulen - UDP_HDR;
	if (blen < BOOTP_OPTS || b[0] != 2 || b[1] != 1 || b[2] != 6 ||
	    rd32(b + BOOTP_FIXED) != DHCP_COOKIE)
		return DHCP_PARSE_BAD;
	out->xid = rd32(b + 4);
	out->yiaddr = rd32(b + 16);
	memcpy(out->chaddr, b + 28, 6);
	memcpy(out->src_mac, f + 6, 6);

	/* A missing end option is tolerated: the datagram's end closes the list. */
	size_t i = BOOTP_OPTS;
	while (i < blen) {
		uint8_t code = b[i++];
		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			break;
		if (i >= blen)
			return DHCP_PARSE_BAD; /* a code without its length byte */
		size_t n = b[i++];
		if (n > blen - i)
			return DHCP_PARSE_BAD; /* runs past the datagram */
		if (!take_option(code, b + i, n, out))
			return DHCP_PARSE_BAD;
		i += n;
	}
	if (out->type == 0)
		return DHCP_PARSE_BAD;
	return DHCP_PARSE_OK;
}
