/*
 * Host tests for the in-place ARP and ICMP echo responder. Frames are built byte by byte here
 * (Ethernet II, ARP per RFC 826, IPv4 per RFC 791, ICMP echo per RFC 792) with checksums from
 * this file's own implementation, and every frame handed to l2l3_input is a heap block of
 * exactly its length, so valgrind reports any read past its end.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "net/l2l3.h"

#define MAXF 2048

static const uint8_t our_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t peer_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define OUR_IP	 0xc0a80702u /* 192.168.7.2 */
#define PEER_IP	 0xc0a80701u /* 192.168.7.1 */
#define OTHER_IP 0xc0a80703u /* 192.168.7.3 */

static struct l2l3_cfg cfg;
static struct dp_stats st;

static int reset(void **state)
{
	(void)state;
	memcpy(cfg.mac, our_mac, 6);
	cfg.ip = OUR_IP;
	memset(&st, 0, sizeof(st));
	return 0;
}

/* ---- byte-level helpers and a reference checksum ---- */

static void wr16(uint8_t *p, unsigned v)
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

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)(0xffff - sum);
}

/* Runs l2l3_input on a heap copy of exactly len bytes; the copy is returned in *out. */
static enum l2l3_verdict run(const uint8_t *bytes, uint16_t *len, uint8_t **out)
{
	uint8_t *f = malloc(*len ? *len : 1);
	enum l2l3_verdict v;

	assert_non_null(f);
	memcpy(f, bytes, *len);
	v = l2l3_input(&cfg, f, len, &st);
	if (out)
		*out = f;
	else
		free(f);
	return v;
}

/* The frame is dropped and exactly one counter, the named one, went up by one. */
#define expect_drop(bytes, n, field)                                                               \
	do {                                                                                       \
		uint16_t l_ = (uint16_t)(n);                                                       \
		struct dp_stats want_ = st;                                                        \
		want_.field++;                                                                     \
		assert_int_equal(run((bytes), &l_, NULL), L2L3_DROP);                              \
		assert_memory_equal(&st, &want_, sizeof(st));                                      \
	} while (0)

/* ---- frame builders ---- */

static size_t put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, unsigned type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	wr16(f + 12, type);
	return ETH_HLEN;
}

struct arp_spec {
	const uint8_t *eth_dst, *eth_src;
	unsigned htype, ptype, hlen, plen, op;
	const uint8_t *sha, *tha;
	uint32_t spa, tpa;
	unsigned pad;
};

static void arp_request(struct arp_spec *a)
{
	static const uint8_t zero[6];

	a->eth_dst = bcast_mac;
	a->eth_src = peer_mac;
	a->htype = 1;
	a->ptype = 0x0800;
	a->hlen = 6;
	a->plen = 4;
	a->op = 1;
	a->sha = peer_mac;
	a->spa = PEER_IP;
	a->tha = zero;
	a->tpa = OUR_IP;
	a->pad = 0;
}

static size_t build_arp(uint8_t *f, const struct arp_spec *a)
{
	size_t n = put_eth(f, a->eth_dst, a->eth_src, 0x0806);
	uint8_t *p = f + n;

	wr16(p, a->htype);
	wr16(p + 2, a->ptype);
	p[4] = (uint8_t)a->hlen;
	p[5] = (uint8_t)a->plen;
	wr16(p + 6, a->op);
	memcpy(p + 8, a->sha, 6);
	wr32(p + 14, a->spa);
	memcpy(p + 18, a->tha, 6);
	wr32(p + 24, a->tpa);
	n += 28;
	memset(f + n, 0x5c, a->pad); /* non-zero padding must not matter */
	return n + a->pad;
}

struct ip_spec {
	const uint8_t *eth_dst, *eth_src;
	unsigned version, tos, id, frag, ttl, proto;
	uint32_t src, dst;
	const uint8_t *opts;
	unsigned optlen; /* a multiple of 4 */
	unsigned type, code, icmp_id, seq;
	const uint8_t *payload;
	unsigned plen;
	unsigned pad;
	uint8_t padbyte;
};

static uint8_t payload_bytes[MAXF];

static void echo_request(struct ip_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->eth_dst = our_mac;
	s->eth_src = peer_mac;
	s->version = 4;
	s->tos = 0x10;
	s->id = 0x1c46;
	s->frag = 0x4000; /* DF */
	s->ttl = 63;
	s->proto = 1;
	s->src = PEER_IP;
	s->dst = OUR_IP;
	s->type = 8;
	s->code = 0;
	s->icmp_id = 0x1234;
	s->seq = 0x0007;
	s->payload = payload_bytes;
	s->plen = 56;
}

/* IPv4 with an ICMP-shaped body (type, code, checksum, id, seq, payload) and valid checksums. */
static size_t build_ip(uint8_t *f, const struct ip_spec *s)
{
	size_t n = put_eth(f, s->eth_dst, s->eth_src, 0x0800);
	uint8_t *ip = f + n;
	unsigned ihl = 20 + s->optlen, tot = ihl + 8 + s->plen;
	uint8_t *l4 = ip + ihl;

	assert_true(s->optlen % 4 == 0 && s->optlen <= 40 && n + tot + s->pad <= MAXF);
	ip[0] = (uint8_t)(s->version << 4 | ihl / 4);
	ip[1] = (uint8_t)s->tos;
	wr16(ip + 2, tot);
	wr16(ip + 4, s->id);
	wr16(ip + 6, s->frag);
	ip[8] = (uint8_t)s->ttl;
	ip[9] = (uint8_t)s->proto;
	wr16(ip + 10, 0);
	wr32(ip + 12, s->src);
	wr32(ip + 16, s->dst);
	if (s->optlen)
		memcpy(ip + 20, s->opts, s->optlen);
	l4[0] = (uint8_t)s->type;
	l4[1] = (uint8_t)s->code;
	wr16(l4 + 2, 0);
	wr16(l4 + 4, s->icmp_id);
	wr16(l4 + 6, s->seq);
	memcpy(l4 + 8, s->payload, s->plen);
	wr16(l4 + 2, ref_csum(l4, 8 + s->plen));
	wr16(ip + 10, ref_csum(ip, ihl));
	n += tot;
	memset(f + n, s->padbyte, s->pad);
	return n + s->pad;
}

/* The echo reply RFC 792 asks for, built independently from the request's description. */
static size_t build_expected_reply(uint8_t *f, const struct ip_spec *req)
{
	struct ip_spec r = *req;

	r.eth_dst = req->eth_src;
	r.eth_src = our_mac;
	r.src = req->dst;
	r.dst = req->src;
	r.ttl = 64;
	r.type = 0;
	r.pad = 0;
	return build_ip(f, &r);
}

/* Sends the request and checks the reply against the expected frame, byte for byte. */
static void expect_echo_reply(const struct ip_spec *req)
{
	uint8_t in[MAXF], want[MAXF], *f;
	uint16_t len = (uint16_t)build_ip(in, req);
	size_t wlen = build_expected_reply(want, req);
	struct dp_stats before = st;
	unsigned ihl = 20 + req->optlen;

	assert_int_equal(run(in, &len, &f), L2L3_REPLY);
	assert_int_equal(len, wlen);
	assert_int_equal(len, ETH_HLEN + rd16(want + ETH_HLEN + 2)); /* padding trimmed */
	/* The properties one by one (clearer failures), then the whole frame. */
	assert_memory_equal(f, req->eth_src, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(f[ETH_HLEN + 8], 64);
	assert_memory_equal(f + ETH_HLEN + 12, in + ETH_HLEN + 16, 4);
	assert_memory_equal(f + ETH_HLEN + 16, in + ETH_HLEN + 12, 4);
	assert_int_equal(ref_csum(f + ETH_HLEN, ihl), 0);
	assert_int_equal(f[ETH_HLEN + ihl], 0);
	assert_int_equal(ref_csum(f + ETH_HLEN + ihl, 8 + req->plen), 0);
	assert_memory_equal(f + ETH_HLEN + ihl + 4, in + ETH_HLEN + ihl + 4, 4 + req->plen);
	assert_memory_equal(f, want, wlen);
	free(f);
	before.icmp_echo_replies++;
	assert_memory_equal(&st, &before, sizeof(st));
}

/* ---- inet_csum ---- */

static void test_inet_csum_known_values(void **state)
{
	static const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0xab};
	/* An IPv4 header with its checksum field zeroed; its checksum is 0xb861. */
	uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	static const uint8_t one[] = {0x01};
	static const uint8_t carry[] = {0xff, 0xff, 0x00, 0x01};

	(void)state;
	assert_int_equal(inet_csum(rfc1071, 8), 0x220d); /* ~0xddf2 */
	assert_int_equal(inet_csum(rfc1071, 9), 0x770c); /* odd byte counts as 0xab00 */
	assert_int_equal(inet_csum(rfc1071, 0), 0xffff);
	assert_int_equal(inet_csum(one, 1), 0xfeff);
	assert_int_equal(inet_csum(carry, 4), 0xfffe); /* end-around carry */
	assert_int_equal(inet_csum(hdr, 20), 0xb861);
	hdr[10] = 0xb8;
	hdr[11] = 0x61;
	assert_int_equal(inet_csum(hdr, 20), 0); /* a valid header checks to zero */
}

static void test_inet_csum_unaligned_and_long(void **state)
{
	uint8_t *big = malloc(65536 + 1);

	(void)state;
	assert_non_null(big);
	/* Starting at an odd address must not change anything. */
	static const uint8_t v[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0xab};
	memcpy(big + 1, v, sizeof(v));
	assert_int_equal(inet_csum(big + 1, 8), 0x220d);
	assert_int_equal(inet_csum(big + 1, 9), 0x770c);
	/* Long inputs: many carries to fold. */
	memset(big, 0x01, 65536);
	assert_int_equal(inet_csum(big, 65536), 0x7f7f);
	memset(big, 0xff, 65536);
	assert_int_equal(inet_csum(big, 65535), 0x00ff);
	/* Against the reference on every length of a varied buffer. */
	for (size_t i = 0; i < 1600; i++)
		big[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n <= 1600; n++)
		assert_int_equal(inet_csum(big, n), ref_csum(big, n));
	free(big);
}

/* ---- ARP ---- */

static void build_arp_reply_expected(uint8_t *f)
{
	struct arp_spec a;

	arp_request(&a);
	a.eth_dst = peer_mac;
	a.eth_src = our_mac;
	a.op = 2;
	a.sha = our_mac;
	a.spa = OUR_IP;
	a.tha = peer_mac;
	a.tpa = PEER_IP;
	assert_int_equal(build_arp(f, &a), 42);
}

static void test_arp_request_for_us_is_answered(void **state)
{
	struct arp_spec a;
	uint8_t in[MAXF], want[MAXF], *f;
	uint16_t len;

	(void)state;
	build_arp_reply_expected(want);
	for (unsigned pad = 0; pad <= 18; pad += 18) { /* as sent, and padded to 60 bytes */
		arp_request(&a);
		a.pad = pad;
		len = (uint16_t)build_arp(in, &a);
		assert_int_equal(len, 42 + pad);
		assert_int_equal(run(in, &len, &f), L2L3_REPLY);
		assert_int_equal(len, 42);
		assert_memory_equal(f, peer_mac, 6);	  /* Ethernet dst: the asker */
		assert_memory_equal(f + 6, our_mac, 6);	  /* Ethernet src: us */
		assert_int_equal(rd16(f + 12), 0x0806);	  /* still ARP */
		assert_int_equal(rd16(f + 20), 2);	  /* op: reply */
		assert_memory_equal(f + 22, our_mac, 6);  /* sha */
		assert_memory_equal(f + 28, in + 38, 4);  /* spa = the asked-for IP */
		assert_memory_equal(f + 32, peer_mac, 6); /* tha */
		assert_memory_equal(f + 38, in + 28, 4);  /* tpa = the asker's IP */
		assert_memory_equal(f, want, 42);
		free(f);
	}
	struct dp_stats want_st = {0};
	want_st.arp_replies = 2;
	assert_memory_equal(&st, &want_st, sizeof(st));
}

static void test_arp_unicast_probe_is_answered(void **state)
{
	struct arp_spec a;
	uint8_t in[MAXF], want[MAXF], *f;
	uint16_t len;

	(void)state;
	/* A unicast refresh whose tha already names us (RFC 826 leaves tha unused in requests). */
	arp_request(&a);
	a.eth_dst = our_mac;
	a.tha = our_mac;
	len = (uint16_t)build_arp(in, &a);
	build_arp_reply_expected(want);
	assert_int_equal(run(in, &len, &f), L2L3_REPLY);
	assert_int_equal(len, 42);
	assert_memory_equal(f, want, 42);
	free(f);
	assert_int_equal(st.arp_replies, 1);
}

static void test_arp_not_for_us(void **state)
{
	struct arp_spec a;
	uint8_t in[MAXF];
	size_t n;

	(void)state;
	arp_request(&a);
	a.tpa = OTHER_IP;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_not_for_us);

	arp_request(&a); /* a reply addressed to us: we never asked */
	a.op = 2;
	a.eth_dst = our_mac;
	a.tha = our_mac;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_not_for_us);

	arp_request(&a); /* gratuitous ARP from the peer */
	a.tpa = PEER_IP;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_not_for_us);

	arp_request(&a); /* RARP request opcode */
	a.op = 3;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_not_for_us);

	cfg.ip = 0; /* unconfigured: answer nothing, not even for 0.0.0.0 */
	arp_request(&a);
	n = build_arp(in, &a);
	expect_drop(in, n, rx_not_for_us);
	a.tpa = 0;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_not_for_us);
	assert_int_equal(st.rx_not_for_us, 6);
}

static void test_arp_bad_fields_malformed(void **state)
{
	struct arp_spec a;
	uint8_t in[MAXF];
	size_t n;

	(void)state;
	arp_request(&a);
	a.htype = 6; /* IEEE 802 */
	n = build_arp(in, &a);
	expect_drop(in, n, rx_malformed);

	arp_request(&a);
	a.ptype = 0x86dd;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_malformed);

	arp_request(&a);
	a.hlen = 8;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_malformed);

	arp_request(&a);
	a.plen = 16;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_malformed);
	assert_int_equal(st.arp_replies, 0);
}

static void test_arp_truncated_malformed(void **state)
{
	struct arp_spec a;
	uint8_t in[MAXF];

	(void)state;
	arp_request(&a);
	assert_int_equal(build_arp(in, &a), 42);
	for (unsigned n = ETH_HLEN; n < 42; n++)
		expect_drop(in, n, rx_malformed);
	assert_int_equal(st.rx_malformed, 42 - ETH_HLEN);
}

/* ---- ICMP echo ---- */

static void test_icmp_echo_request_answered(void **state)
{
	struct ip_spec s;

	(void)state;
	echo_request(&s);
	for (unsigned i = 0; i < s.plen; i++)
		payload_bytes[i] = (uint8_t)(0x10 + i);
	expect_echo_reply(&s);

	echo_request(&s); /* broadcast Ethernet dst: our reply still comes from our MAC */
	s.eth_dst = bcast_mac;
	s.ttl = 1;
	s.frag = 0;
	s.icmp_id = 0xffff;
	s.seq = 0xfffe;
	expect_echo_reply(&s);
	assert_int_equal(st.icmp_echo_replies, 2);
}

static void test_icmp_padding_trimmed(void **state)
{
	struct ip_spec s;

	(void)state;
	echo_request(&s);
	s.plen = 0; /* 42 bytes, padded by the sender to the 60-byte minimum */
	s.pad = 18;
	s.padbyte = 0xaa;
	expect_echo_reply(&s);
	echo_request(&s);
	s.plen = 4;
	s.pad = 14;
	s.padbyte = 0xff;
	expect_echo_reply(&s);
}

static void test_icmp_odd_payload(void **state)
{
	static const unsigned lens[] = {1, 3, 17, 37, 1001, 1471};
	struct ip_spec s;

	(void)state;
	for (unsigned i = 0; i < MAXF; i++)
		payload_bytes[i] = (uint8_t)(i * 37 + 0x81);
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		echo_request(&s);
		s.plen = lens[i];
		expect_echo_reply(&s);
		/* A non-zero pad byte right after the odd byte must not enter the checksum. */
		s.pad = 1;
		s.padbyte = 0xee;
		expect_echo_reply(&s);
	}
	echo_request(&s); /* 43 bytes padded to 60 */
	s.plen = 1;
	s.pad = 17;
	s.padbyte = 0x77;
	expect_echo_reply(&s);
}

static void test_icmp_with_ip_options(void **state)
{
	static const uint8_t nops[4] = {0x01, 0x01, 0x01, 0x00}; /* NOP NOP NOP EOL */
	uint8_t rr[40] = {0x07, 39, 4};				 /* record route, 9 slots */
	struct ip_spec s;

	(void)state;
	rr[39] = 0; /* EOL */
	for (unsigned i = 0; i < 64; i++)
		payload_bytes[i] = (uint8_t)~i;
	echo_request(&s);
	s.opts = nops;
	s.optlen = 4;
	expect_echo_reply(&s);
	echo_request(&s);
	s.opts = rr;
	s.optlen = 40; /* ihl 15, the largest */
	s.plen = 33;
	s.pad = 3;
	s.padbyte = 0x99;
	expect_echo_reply(&s);
}

static void test_size_limits(void **state)
{
	struct ip_spec s;
	uint8_t in[MAXF] = {0};
	size_t n;

	(void)state;
	echo_request(&s);
	s.plen = ETH_MTU - 20 - 8; /* a 1514-byte frame: the largest allowed */
	expect_echo_reply(&s);
	s.plen++;
	n = build_ip(in, &s);
	assert_int_equal(n, 1515);
	expect_drop(in, n, rx_oversize);
	echo_request(&s); /* a valid packet followed by too much padding */
	s.pad = 1515 - (14 + 20 + 8 + 56);
	n = build_ip(in, &s);
	expect_drop(in, n, rx_oversize);
	struct arp_spec a;
	arp_request(&a);
	a.pad = 1515 - 42;
	n = build_arp(in, &a);
	expect_drop(in, n, rx_oversize);
	expect_drop(in, 2000, rx_oversize);
	assert_int_equal(st.rx_oversize, 4);
}

static void test_checksum_errors(void **state)
{
	struct ip_spec s;
	uint8_t in[MAXF];
	size_t n;

	(void)state;
	echo_request(&s);
	n = build_ip(in, &s);
	in[ETH_HLEN + 11] ^= 0x01; /* IP header checksum field */
	expect_drop(in, n, rx_csum_errors);

	n = build_ip(in, &s);
	in[ETH_HLEN + 8]--; /* TTL changed, checksum not updated */
	expect_drop(in, n, rx_csum_errors);

	s.opts = (const uint8_t[4]){1, 1, 1, 0};
	s.optlen = 4;
	n = build_ip(in, &s);
	in[ETH_HLEN + 21] = 0x02; /* inside the options: covered by the header checksum */
	expect_drop(in, n, rx_csum_errors);

	echo_request(&s);
	n = build_ip(in, &s);
	in[ETH_HLEN + 20 + 2] ^= 0x80; /* ICMP checksum field */
	expect_drop(in, n, rx_csum_errors);

	n = build_ip(in, &s);
	in[n - 1] ^= 0x04; /* last payload byte */
	expect_drop(in, n, rx_csum_errors);

	s.plen = 5; /* odd: the last byte is the high half of a word */
	n = build_ip(in, &s);
	in[n - 1] ^= 0x01;
	expect_drop(in, n, rx_csum_errors);
	assert_int_equal(st.rx_csum_errors, 6);
}

static void test_truncated_frames_malformed(void **state)
{
	struct ip_spec s;
	uint8_t in[MAXF];
	size_t n;

	(void)state;
	echo_request(&s);
	s.plen = 9;
	n = build_ip(in, &s);
	/* Every cut of a valid request: no Ethernet header, no IP header, or short of total length.
	 */
	for (size_t cut = 0; cut < n; cut++)
		expect_drop(in, cut, rx_malformed);
	assert_int_equal(st.rx_malformed, n);
}

static void test_bad_ip_headers_malformed(void **state)
{
	struct ip_spec s;
	uint8_t in[MAXF];
	size_t n;

	(void)state;
	echo_request(&s);
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		n = build_ip(in, &s);
		in[ETH_HLEN] = (uint8_t)(0x40 | ihl);
		wr16(in + ETH_HLEN + 10, 0);
		wr16(in + ETH_HLEN + 10, ref_csum(in + ETH_HLEN, 4 * ihl)); /* "valid" for ihl */
		expect_drop(in, n, rx_malformed);
	}

	echo_request(&s); /* IPv6 version nibble in an IPv4 frame */
	s.version = 6;
	n = build_ip(in, &s);
	expect_drop(in, n, rx_malformed);

	echo_request(&s); /* total length one past the frame */
	n = build_ip(in, &s);
	wr16(in + ETH_HLEN + 2, (unsigned)(n - ETH_HLEN + 1));
	wr16(in + ETH_HLEN + 10, 0);
	wr16(in + ETH_HLEN + 10, ref_csum(in + ETH_HLEN, 20));
	expect_drop(in, n, rx_malformed);

	/* total length 0xffff in a short frame */
	wr16(in + ETH_HLEN + 2, 0xffff);
	wr16(in + ETH_HLEN + 10, 0);
	wr16(in + ETH_HLEN + 10, ref_csum(in + ETH_HLEN, 20));
	expect_drop(in, n, rx_malformed);

	/* total length shorter than the header */
	n = build_ip(in, &s);
	wr16(in + ETH_HLEN + 2, 19);
	wr16(in + ETH_HLEN + 10, 0);
	wr16(in + ETH_HLEN + 10, ref_csum(in + ETH_HLEN, 20));
	expect_drop(in, n, rx_malformed);

	/* ihl 15 (60 bytes) in a frame with only 20 + 8 bytes of IP: header runs off the end */
	s.plen = 0;
	n = build_ip(in, &s);
	assert_int_equal(n, ETH_HLEN + 28);
	in[ETH_HLEN] = 0x4f;
	expect_drop(in, n, rx_malformed);

	/* ihl 15 and total length 40, inside a long enough frame: total < header */
	s.plen = 40;
	n = build_ip(in, &s);
	in[ETH_HLEN] = 0x4f;
	wr16(in + ETH_HLEN + 2, 40);
	wr16(in + ETH_HLEN + 10, 0);
	wr16(in + ETH_HLEN + 10, ref_csum(in + ETH_HLEN, 60)); /* only the lengths are wrong */
	expect_drop(in, n, rx_malformed);
	assert_int_equal(st.rx_malformed, 11);
}

static void test_short_icmp_malformed(void **state)
{
	struct ip_spec s;
	uint8_t in[MAXF];

	(void)state;
	echo_request(&s);
	s.plen = 0;
	build_ip(in, &s);
	/* IP total length 20 + k, frame exactly as long: an ICMP header cut to k < 8 bytes. */
	for (unsigned k = 0; k < 8; k++) {
		wr16(in + ETH_HLEN + 2, 20 + k);
		wr16(in + ETH_HLEN + 10, 0);
		wr16(in + ETH_HLEN + 10, ref_csum(in + ETH_HLEN, 20));
		expect_drop(in, ETH_HLEN + 20 + k, rx_malformed);
	}
	/* The same with Ethernet padding after the short datagram: the padding is not ICMP. */
	for (unsigned k = 0; k < 8; k++) {
		wr16(in + ETH_HLEN + 2, 20 + k);
		wr16(in + ETH_HLEN + 10, 0);
		wr16(in + ETH_HLEN + 10, ref_csum(in + ETH_HLEN, 20));
		expect_drop(in, 60, rx_malformed);
	}
	assert_int_equal(st.icmp_echo_replies, 0);
}

static void test_not_for_us(void **state)
{
	struct ip_spec s;
	uint8_t in[MAXF];
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 64; i++)
		payload_bytes[i] = (uint8_t)i;
	echo_request(&s); /* first fragment */
	s.frag = 0x2000;
	n = build_ip(in, &s);
	expect_drop(in, n, rx_not_for_us);
	s.frag = 0x0001; /* last fragment, offset 8 */
	n = build_ip(in, &s);
	expect_drop(in, n, rx_not_for_us);
	s.frag = 0x4000 | 0x1fff; /* DF with the largest offset */
	n = build_ip(in, &s);
	expect_drop(in, n, rx_not_for_us);

	static const unsigned protos[] = {6, 17, 58, 0};
	for (unsigned i = 0; i < 4; i++) {
		echo_request(&s);
		s.proto = protos[i];
		n = build_ip(in, &s);
		expect_drop(in, n, rx_not_for_us);
	}

	static const uint32_t dsts[] = {OTHER_IP, PEER_IP, 0xffffffffu, 0xe0000001u, 0};
	for (unsigned i = 0; i < 5; i++) {
		echo_request(&s);
		s.dst = dsts[i];
		n = build_ip(in, &s);
		expect_drop(in, n, rx_not_for_us);
	}

	static const unsigned types[][2] = {{0, 0}, {3, 3}, {11, 0}, {13, 0}, {8, 1}, {128, 0}};
	for (unsigned i = 0; i < 6; i++) {
		echo_request(&s);
		s.type = types[i][0];
		s.code = types[i][1];
		n = build_ip(in, &s);
		expect_drop(in, n, rx_not_for_us);
	}

	cfg.ip = 0;
	echo_request(&s);
	n = build_ip(in, &s);
	expect_drop(in, n, rx_not_for_us);
	s.dst = 0;
	n = build_ip(in, &s);
	expect_drop(in, n, rx_not_for_us);
	cfg.ip = OUR_IP;

	static const unsigned etypes[] = {0x86dd, 0x8100, 0x88cc, 0x0000, 0x05dc};
	for (unsigned i = 0; i < 5; i++) {
		echo_request(&s);
		n = build_ip(in, &s);
		wr16(in + 12, etypes[i]);
		expect_drop(in, n, rx_not_for_us);
	}
	expect_drop(in, ETH_HLEN, rx_not_for_us); /* a bare header of an unknown type */
	assert_int_equal(st.rx_not_for_us, 3 + 4 + 5 + 6 + 2 + 5 + 1);
	assert_int_equal(st.icmp_echo_replies, 0);

	/* DF alone is not a fragment: the control case is answered. */
	echo_request(&s);
	s.frag = 0x4000;
	expect_echo_reply(&s);
}

static void test_counters_accumulate(void **state)
{
	struct arp_spec a;
	struct ip_spec s;
	uint8_t in[MAXF];
	uint16_t len;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.arp_replies = 5;
	st.rx_packets = 9;
	arp_request(&a);
	for (int i = 0; i < 3; i++) {
		len = (uint16_t)build_arp(in, &a);
		assert_int_equal(run(in, &len, NULL), L2L3_REPLY);
	}
	echo_request(&s);
	len = (uint16_t)build_ip(in, &s);
	assert_int_equal(run(in, &len, NULL), L2L3_REPLY);
	len = 5;
	assert_int_equal(run(in, &len, NULL), L2L3_DROP);
	assert_int_equal(st.arp_replies, 8);
	assert_int_equal(st.icmp_echo_replies, 1);
	assert_int_equal(st.rx_malformed, 1);
	assert_int_equal(st.rx_packets, 9); /* the caller's counters are the caller's */
}

/* ---- reflect ---- */

static void test_reflect_swaps_macs(void **state)
{
	uint8_t *f = malloc(ETH_HLEN);
	uint8_t want[60], in[60];

	(void)state;
	assert_non_null(f);
	put_eth(f, our_mac, peer_mac, 0x0800);
	l2l3_reflect(f);
	assert_memory_equal(f, peer_mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(rd16(f + 12), 0x0800);
	free(f);

	for (unsigned i = 0; i < 60; i++)
		in[i] = (uint8_t)(i * 7 + 1);
	memcpy(want, in + 6, 6);
	memcpy(want + 6, in, 6);
	memcpy(want + 12, in + 12, 48);
	f = malloc(60);
	assert_non_null(f);
	memcpy(f, in, 60);
	l2l3_reflect(f);
	assert_memory_equal(f, want, 60);
	l2l3_reflect(f);
	assert_memory_equal(f, in, 60);
	free(f);
	assert_int_equal(st.rx_not_for_us + st.rx_malformed, 0); /* reflect counts nothing */
}

#define T(fn) cmocka_unit_test_setup(fn, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_inet_csum_known_values),
	    T(test_inet_csum_unaligned_and_long),
	    T(test_arp_request_for_us_is_answered),
	    T(test_arp_unicast_probe_is_answered),
	    T(test_arp_not_for_us),
	    T(test_arp_bad_fields_malformed),
	    T(test_arp_truncated_malformed),
	    T(test_icmp_echo_request_answered),
	    T(test_icmp_padding_trimmed),
	    T(test_icmp_odd_payload),
	    T(test_icmp_with_ip_options),
	    T(test_size_limits),
	    T(test_checksum_errors),
	    T(test_truncated_frames_malformed),
	    T(test_bad_ip_headers_malformed),
	    T(test_short_icmp_malformed),
	    T(test_not_for_us),
	    T(test_counters_accumulate),
	    T(test_reflect_swaps_macs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
