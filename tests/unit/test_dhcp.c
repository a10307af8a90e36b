/*
 * Host tests for the DHCP messages (net/dhcp.c) and the client's state machine
 * (net/dhcp_client.c). Server replies are built byte by byte here (RFC 2131's layout, RFC
 * 2132's options) with this file's own checksums; what the client sends is read back with
 * offsets written here, not with the code under test. Every frame given to the parser is a
 * heap block of exactly its length, so valgrind reports any read past its end.
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

#include "kernel/cmdline.h"
#include "net/dhcp.h"
#include "net/dhcp_client.h"

#define S 1000000ULL
#define CLIENT_MAC 0x52, 0x54, 0x00, 0x12, 0x34, 0x56
#define SERVER_MAC 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define GUEST IP(10, 0, 2, 15)
#define SERVER IP(10, 0, 2, 2)

static const uint8_t client_mac[6] = {CLIENT_MAC};
static const uint8_t server_mac[6] = {SERVER_MAC};

/* ---- bytes and checksums of our own ---- */

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

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

static unsigned csum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Whether the IPv4 header and UDP checksums of frame are right. */
static bool sums_ok(const uint8_t *f)
{
	const uint8_t *ip = f + 14, *udp = ip + 20;
	unsigned ulen = rd16(udp + 4);
	uint32_t pseudo = csum(0, ip + 12, 8) + 17 + ulen;

	return csum(0, ip, 20) == 0xffff && csum(pseudo, udp, ulen) == 0xffff;
}

/* ---- a server's reply, built here ---- */

struct reply {
	uint8_t type;
	uint32_t xid, yiaddr;
	const uint8_t *chaddr;
	uint8_t opts[400]; /* extra options after 53, before the end */
	size_t nopts;
	bool no_type, no_end, zero_udp_sum;
	uint8_t op;
	size_t pad; /* Ethernet padding after the IP datagram */
};

static void opt(struct reply *r, uint8_t code, const void *v, uint8_t n)
{
	r->opts[r->nopts++] = code;
	r->opts[r->nopts++] = n;
	memcpy(r->opts + r->nopts, v, n);
	r->nopts += n;
}

static void opt32(struct reply *r, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	wr32(b, v);
	opt(r, code, b, 4);
}

/* A typical ACK or OFFER as slirp sends it: mask /24, router, lease, server id. */
static void std_reply(struct reply *r, uint8_t type, uint32_t xid, uint32_t lease)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->xid = xid;
	r->yiaddr = GUEST;
	r->chaddr = client_mac;
	r->op = 2;
	opt32(r, 1, 0xffffff00u);
	opt32(r, 3, SERVER);
	opt32(r, 51, lease);
	opt32(r, 54, SERVER);
}

/* The frame in a heap block of exactly its length (*len). */
static uint8_t *build_reply(const struct reply *r, size_t *len)
{
	uint8_t b[1600] = {0};
	uint8_t *ip = b + 14, *udp = ip + 20, *m = udp + 8, *o = m + 240;

	memcpy(b, client_mac, 6);
	memcpy(b + 6, server_mac, 6);
	wr16(b + 12, 0x0800);
	m[0] = r->op;
	m[1] = 1;
	m[2] = 6;
	wr32(m + 4, r->xid);
	wr32(m + 16, r->yiaddr);
	memcpy(m + 28, r->chaddr, 6);
	wr32(m + 236, 0x63825363u);
	if (!r->no_type) {
		*o++ = 53;
		*o++ = 1;
		*o++ = r->type;
	}
	memcpy(o, r->opts, r->nopts);
	o += r->nopts;
	if (!r->no_end)
		*o++ = 255;
	size_t ulen = (size_t)(o - udp), tot = 20 + ulen;
	ip[0] = 0x45;
	wr16(ip + 2, (unsigned)tot);
	ip[8] = 64;
	ip[9] = 17;
	wr32(ip + 12, SERVER);
	wr32(ip + 16, 0xffffffffu);
	wr16(ip + 10, ~csum(0, ip, 20) & 0xffff);
	wr16(udp, 67);
	wr16(udp + 2, 68);
	wr16(udp + 4, (unsigned)ulen);
	if (!r->zero_udp_sum) {
		unsigned s = ~csum(csum(0, ip + 12, 8) + 17 + ulen, udp, ulen) & 0xffff;
		wr16(udp + 6, s ? s : 0xffff);
	}
	*len = 14 + tot + r->pad;
	uint8_t *f = malloc(*len);
	assert_non_null(f);
	memcpy(f, b, *len);
	return f;
}

static enum dhcp_parse_result parse_reply(const struct reply *r, struct dhcp_in *in)
{
	size_t len;
	uint8_t *f = build_reply(r, &len);
	enum dhcp_parse_result res = dhcp_parse(f, len, in);

	free(f);
	return res;
}

/* ---- the builder ---- */

/* The value of option code in a frame we built, or NULL; *n its length. */
static const uint8_t *find_opt(const uint8_t *f, size_t len, uint8_t code, unsigned *n)
{
	size_t i = 14 + 20 + 8 + 240;

	while (i < len && f[i] != 255) {
		if (f[i] == 0) {
			i++;
			continue;
		}
		if (f[i] == code) {
			*n = f[i + 1];
			return f + i + 2;
		}
		i += 2u + f[i + 1];
	}
	return NULL;
}

static void test_build_discover(void **state)
{
	uint8_t f[DHCP_FRAME_MAX];
	struct dhcp_out m = {.type = DHCP_DISCOVER, .xid = 0xdeadbeef, .secs = 3,
			     .dst_ip = 0xffffffffu};
	unsigned n;

	(void)state;
	memcpy(m.mac, client_mac, 6);
	memset(m.dst_mac, 0xff, 6);
	size_t len = dhcp_build(f, sizeof(f), &m);
	assert_int_equal(len, 14 + 20 + 8 + 300);
	assert_memory_equal(f + 6, client_mac, 6);
	assert_int_equal(f[0] & f[5], 0xff);
	assert_int_equal(rd16(f + 12), 0x0800);
	assert_int_equal(f[14], 0x45);
	assert_int_equal(f[14 + 9], 17);
	assert_int_equal(rd32(f + 14 + 12), 0);
	assert_int_equal(rd32(f + 14 + 16), 0xffffffffu);
	assert_int_equal(rd16(f + 34), 68);
	assert_int_equal(rd16(f + 36), 67);
	assert_true(sums_ok(f));
	const uint8_t *b = f + 42;
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 6);
	assert_int_equal(rd32(b + 4), 0xdeadbeef);
	assert_int_equal(rd16(b + 8), 3);
	assert_memory_equal(b + 28, client_mac, 6);
	assert_int_equal(rd32(b + 236), 0x63825363u);
	const uint8_t *t = find_opt(f, len, 53, &n);
	assert_non_null(t);
	assert_int_equal(n, 1);
	assert_int_equal(t[0], DHCP_DISCOVER);
	assert_null(find_opt(f, len, 50, &n));
	assert_null(find_opt(f, len, 54, &n));
	const uint8_t *p = find_opt(f, len, 55, &n);
	assert_non_null(p);
	assert_memory_equal(p, ((uint8_t[]){1, 3, 51, 54, 58, 59}), 6);
	assert_true(dhcp_is_client_frame(f, len) == false); /* it goes to port 67 */

	/* Too small a buffer: nothing. */
	assert_int_equal(dhcp_build(f, len - 1, &m), 0);
}

static void test_build_request(void **state)
{
	uint8_t f[DHCP_FRAME_MAX];
	struct dhcp_out m = {.type = DHCP_REQUEST, .xid = 7, .requested = GUEST,
			     .server_id = SERVER, .dst_ip = 0xffffffffu};
	unsigned n;

	(void)state;
	memcpy(m.mac, client_mac, 6);
	size_t len = dhcp_build(f, sizeof(f), &m);
	assert_true(sums_ok(f));
	assert_int_equal(rd32(find_opt(f, len, 50, &n)), GUEST);
	assert_int_equal(n, 4);
	assert_int_equal(rd32(find_opt(f, len, 54, &n)), SERVER);
	assert_int_equal(find_opt(f, len, 53, &n)[0], DHCP_REQUEST);
	assert_int_equal(rd32(f + 42 + 12), 0); /* ciaddr */
}

/* ---- the parser ---- */

static void test_parse_ack(void **state)
{
	struct reply r;
	struct dhcp_in in;

	(void)state;
	std_reply(&r, DHCP_ACK, 0x1234, 86400);
	opt32(&r, 58, 100);
	opt32(&r, 59, 200);
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_OK);
	assert_int_equal(in.type, DHCP_ACK);
	assert_int_equal(in.xid, 0x1234);
	assert_int_equal(in.yiaddr, GUEST);
	assert_int_equal(in.server_id, SERVER);
	assert_int_equal(in.router, SERVER);
	assert_int_equal(in.prefix, 24);
	assert_true(in.has_mask && in.has_router && in.has_lease && in.has_t1 && in.has_t2);
	assert_int_equal(in.lease_s, 86400);
	assert_int_equal(in.t1_s, 100);
	assert_int_equal(in.t2_s, 200);
	assert_memory_equal(in.chaddr, client_mac, 6);
	assert_memory_equal(in.src_mac, server_mac, 6);
}

static void test_parse_tolerates(void **state)
{
	struct reply r;
	struct dhcp_in in;
	uint8_t routers[8], big[255];

	(void)state;
	/* Pads, unknown options (a 255-byte one too), two routers (the first is taken), option
	 * 52, no end option, Ethernet padding, no UDP checksum. */
	std_reply(&r, DHCP_OFFER, 1, 60);
	r.opts[r.nopts++] = 0;
	r.opts[r.nopts++] = 0;
	memset(big, 'x', sizeof(big));
	opt(&r, 43, big, 255);
	opt(&r, 52, "\x03", 1);
	wr32(routers, IP(10, 0, 2, 3));
	wr32(routers + 4, IP(10, 0, 2, 4));
	opt(&r, 3, routers, 8);
	opt(&r, 1, "\x00\x00\x00\x00", 4); /* /0 is contiguous; last one wins */
	r.no_end = true;
	r.pad = 17;
	r.zero_udp_sum = true;
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_OK);
	assert_int_equal(in.router, IP(10, 0, 2, 3));
	assert_int_equal(in.prefix, 0);
	/* A /32 mask. */
	std_reply(&r, DHCP_OFFER, 1, 60);
	opt32(&r, 1, 0xffffffffu);
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_OK);
	assert_int_equal(in.prefix, 32);
}

static void test_parse_rejects(void **state)
{
	struct reply r;
	struct dhcp_in in;
	uint8_t *f;
	size_t len;

	(void)state;
	std_reply(&r, DHCP_ACK, 1, 60);
	r.no_type = true;
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);
	std_reply(&r, DHCP_ACK, 1, 60);
	opt32(&r, 1, 0xff00ff00u); /* not contiguous */
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);
	std_reply(&r, DHCP_ACK, 1, 60);
	opt(&r, 51, "\x01\x02", 2); /* lease of two bytes */
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);
	std_reply(&r, DHCP_ACK, 1, 60);
	opt(&r, 3, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);
	std_reply(&r, DHCP_ACK, 1, 60);
	opt(&r, 53, "\x05\x05", 2);
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);
	std_reply(&r, DHCP_ACK, 1, 60);
	r.op = 1; /* a request, not a reply */
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);
	/* An option whose length runs past the datagram: the last bytes say 54, 200. */
	std_reply(&r, DHCP_ACK, 1, 60);
	r.opts[r.nopts++] = 54;
	r.opts[r.nopts++] = 200;
	r.no_end = true;
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);
	/* A code byte without its length at the very end. */
	std_reply(&r, DHCP_ACK, 1, 60);
	r.opts[r.nopts++] = 54;
	r.no_end = true;
	assert_int_equal(parse_reply(&r, &in), DHCP_PARSE_BAD);

	/* Header damage, one at a time, on a good frame. */
	std_reply(&r, DHCP_ACK, 1, 60);
	f = build_reply(&r, &len);
	assert_int_equal(dhcp_parse(f, len, &in), DHCP_PARSE_OK);
	f[14 + 8] ^= 1; /* TTL: the header checksum no longer holds */
	assert_int_equal(dhcp_parse(f, len, &in), DHCP_PARSE_BAD);
	f[14 + 8] ^= 1;
	f[len - 1] ^= 0x40; /* payload: the UDP checksum no longer holds */
	assert_int_equal(dhcp_parse(f, len, &in), DHCP_PARSE_BAD);
	f[len - 1] ^= 0x40;
	wr16(f + 14 + 6, 0x2000); /* more fragments */
	wr16(f + 14 + 10, 0);
	wr16(f + 14 + 10, ~csum(0, f + 14, 20) & 0xffff);
	assert_int_equal(dhcp_parse(f, len, &in), DHCP_PARSE_BAD);
	free(f);

	/* Not ours: ARP, TCP, UDP to another port. */
	f = build_reply(&r, &len);
	wr16(f + 12, 0x0806);
	assert_int_equal(dhcp_parse(f, len, &in), DHCP_PARSE_NOT_DHCP);
	wr16(f + 12, 0x0800);
	f[14 + 9] = 6;
	assert_int_equal(dhcp_parse(f, len, &in), DHCP_PARSE_NOT_DHCP);
	f[14 + 9] = 17;
	wr16(f + 36, 69);
	assert_int_equal(dhcp_parse(f, len, &in), DHCP_PARSE_NOT_DHCP);
	free(f);
}

/* Every prefix of a good frame, each its own heap block: never OK, never a read past it. */
static void test_parse_truncated(void **state)
{
	struct reply r;
	struct dhcp_in in;
	size_t len;

	(void)state;
	std_reply(&r, DHCP_ACK, 1, 60);
	uint8_t *full = build_reply(&r, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *f = malloc(n ? n : 1);
		memcpy(f, full, n);
		assert_int_not_equal(dhcp_parse(f, n, &in), DHCP_PARSE_OK);
		free(f);
	}
	free(full);
}

/* ---- the client ---- */

struct fake {
	uint8_t sent[16][DHCP_FRAME_MAX];
	size_t sent_len[16];
	uint64_t sent_at[16];
	unsigned nsent;
	uint32_t ip;
	unsigned prefix, napplied;
	uint32_t gw;
	char logs[16][200];
	int levels[16];
	unsigned nlogs;
	uint32_t rnd;
	uint64_t now;
	bool fail_send;
};

static struct fake fk;
static struct dhcp_client cl;

static int fk_send(void *arg, const uint8_t *frame, size_t len)
{
	(void)arg;
	unsigned i = fk.nsent++ % 16;
	memcpy(fk.sent[i], frame, len);
	fk.sent_len[i] = len;
	fk.sent_at[i] = fk.now;
	return fk.fail_send ? -1 : 0;
}

static void fk_apply(void *arg, uint32_t ip, unsigned prefix, uint32_t gw)
{
	(void)arg;
	fk.ip = ip;
	fk.prefix = prefix;
	fk.gw = gw;
	fk.napplied++;
}

static void fk_log(void *arg, int level, const char *msg)
{
	(void)arg;
	unsigned i = fk.nlogs++ % 16;
	snprintf(fk.logs[i], sizeof(fk.logs[i]), "%s", msg);
	fk.levels[i] = level;
}

static uint32_t fk_rand(void *arg)
{
	(void)arg;
	fk.rnd = fk.rnd * 1103515245u + 12345u;
	return fk.rnd;
}

static const struct dhcp_client_ops fk_ops = {fk_send, fk_apply, fk_log, fk_rand};

static int reset(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.rnd = 42;
	memset(&cl, 0, sizeof(cl));
	cl.name = "test";
	cl.ops = &fk_ops;
	memcpy(cl.mac, client_mac, 6);
	return 0;
}

static const uint8_t *last_sent(size_t *len)
{
	unsigned i = (fk.nsent - 1) % 16;
	*len = fk.sent_len[i];
	return fk.sent[i];
}

static uint8_t last_type(void)
{
	size_t len;
	unsigned n;
	const uint8_t *f = last_sent(&len);
	return find_opt(f, len, 53, &n)[0];
}

static uint32_t last_xid(void)
{
	size_t len;
	return rd32(last_sent(&len) + 42 + 4);
}

static const char *last_log(void)
{
	return fk.nlogs ? fk.logs[(fk.nlogs - 1) % 16] : "";
}

static void deliver(const struct reply *r)
{
	size_t len;
	uint8_t *f = build_reply(r, &len);
	dhcp_client_input(&cl, f, len, fk.now);
	free(f);
}

static void run_until(uint64_t t)
{
	while (fk.now < t) {
		fk.now += 10000; /* the management core's 100 Hz tick */
		dhcp_client_tick(&cl, fk.now);
	}
}

/* DISCOVER, OFFER, REQUEST, ACK: applied once, logged in the README's words. */
static void bind(uint32_t lease)
{
	struct reply r;
	size_t len;
	unsigned n;

	dhcp_client_start(&cl, fk.now);
	assert_int_equal(fk.nsent, 1);
	assert_int_equal(last_type(), DHCP_DISCOVER);
	uint32_t xid = last_xid();
	std_reply(&r, DHCP_OFFER, xid + 1, lease); /* another client's exchange */
	deliver(&r);
	assert_int_equal(cl.st.rx_ignored, 1);
	assert_int_equal(fk.nsent, 1);
	std_reply(&r, DHCP_OFFER, xid, lease);
	deliver(&r);
	assert_int_equal(fk.nsent, 2);
	assert_int_equal(last_type(), DHCP_REQUEST);
	assert_int_equal(last_xid(), xid);
	const uint8_t *f = last_sent(&len);
	assert_int_equal(rd32(find_opt(f, len, 50, &n)), GUEST);
	assert_int_equal(rd32(find_opt(f, len, 54, &n)), SERVER);
	assert_int_equal(rd32(f + 14 + 16), 0xffffffffu);
	std_reply(&r, DHCP_ACK, xid, lease);
	deliver(&r);
	assert_int_equal(cl.state, DHCP_S_BOUND);
	assert_int_equal(fk.napplied, 1);
	assert_int_equal(fk.ip, GUEST);
	assert_int_equal(fk.prefix, 24);
	assert_int_equal(fk.gw, SERVER);
}

static void test_client_binds_and_renews(void **state)
{
	struct reply r;
	size_t len;

	(void)state;
	bind(86400);
	assert_string_equal(last_log(),
			    "dhcp: test 10.0.2.15/24 gw 10.0.2.2 from 10.0.2.2, lease 86400 s");
	assert_int_equal(fk.levels[(fk.nlogs - 1) % 16], LOG_INFO);
	/* Nothing until T1 (half the lease). */
	unsigned sent = fk.nsent;
	run_until(43199 * S);
	assert_int_equal(fk.nsent, sent);
	run_until(43201 * S);
	assert_int_equal(fk.nsent, sent + 1);
	assert_int_equal(cl.state, DHCP_S_RENEWING);
	const uint8_t *f = last_sent(&len);
	assert_memory_equal(f, server_mac, 6);		 /* unicast to the server */
	assert_int_equal(rd32(f + 14 + 12), GUEST);	 /* from our address */
	assert_int_equal(rd32(f + 14 + 16), SERVER);
	assert_int_equal(rd32(f + 42 + 12), GUEST);	 /* ciaddr */
	assert_true(sums_ok(f));
	std_reply(&r, DHCP_ACK, last_xid(), 86400);
	deliver(&r);
	assert_int_equal(cl.state, DHCP_S_BOUND);
	assert_int_equal(cl.st.renewals, 1);
	assert_int_equal(fk.napplied, 1); /* the same address: nothing to apply again */
	assert_string_equal(last_log(), "dhcp: test 10.0.2.15/24 renewed from 10.0.2.2, lease 86400 s");
	/* A duplicate ACK now is ignored. */
	deliver(&r);
	assert_int_equal(cl.st.rx_ignored, 2);
}

static void test_client_rebinds_then_loses_the_lease(void **state)
{
	(void)state;
	bind(1000); /* T1 500 s, T2 875 s */
	run_until(501 * S);
	assert_int_equal(cl.state, DHCP_S_RENEWING);
	/* Renewal retransmissions: at least 60 s apart, none past T2. */
	unsigned renew_sent = fk.nsent;
	run_until(874 * S);
	assert_true(fk.nsent - renew_sent >= 2 && fk.nsent - renew_sent <= 6);
	run_until(876 * S);
	assert_int_equal(cl.state, DHCP_S_REBINDING);
	size_t len;
	assert_int_equal(last_sent(&len)[0], 0xff); /* broadcast now */
	run_until(1001 * S);
	assert_int_equal(cl.state, DHCP_S_SELECTING);
	assert_int_equal(fk.ip, 0);
	assert_int_equal(cl.st.leases_lost, 1);
	assert_int_equal(last_type(), DHCP_DISCOVER);
	assert_non_null(strstr(fk.logs[(fk.nlogs - 1) % 16], "expired"));
}

static void test_client_no_server(void **state)
{
	(void)state;
	dhcp_client_start(&cl, 0);
	run_until(14 * S);
	assert_int_equal(fk.nsent, 4); /* at 0, ~1, ~3, ~7 s */
	assert_int_equal(fk.nlogs, 1);
	run_until(16 * S);
	assert_int_equal(fk.nlogs, 2);
	assert_int_equal(fk.levels[1], LOG_WARN);
	assert_non_null(strstr(fk.logs[1], "dhcp: test: no answer to 4 DISCOVERs in 15 s"));
	/* It goes on, backing off to 64 s (plus jitter) and no further, warning once. */
	run_until(2000 * S);
	assert_int_equal(fk.nlogs, 2);
	unsigned last = (fk.nsent - 1) % 16, prev = (fk.nsent - 2) % 16;
	uint64_t gap = fk.sent_at[last] - fk.sent_at[prev];
	assert_true(gap >= 64 * S && gap <= 64 * S + DHCP_JITTER_US + 10000);
	assert_int_equal(cl.st.tx_discover, fk.nsent);
	assert_int_equal(cl.state, DHCP_S_SELECTING);
	assert_int_equal(fk.napplied, 0);
}

static void test_client_nak(void **state)
{
	struct reply r;

	(void)state;
	dhcp_client_start(&cl, 0);
	std_reply(&r, DHCP_OFFER, last_xid(), 600);
	deliver(&r);
	uint32_t xid = last_xid();
	std_reply(&r, DHCP_NAK, xid, 600);
	deliver(&r);
	assert_int_equal(cl.st.rx_nak, 1);
	assert_int_equal(cl.state, DHCP_S_SELECTING);
	assert_int_equal(last_type(), DHCP_DISCOVER);
	assert_int_not_equal(last_xid(), xid);
	assert_int_equal(fk.napplied, 0);

	/* A NAK while renewing drops the address. */
	reset(NULL);
	bind(600);
	run_until(301 * S);
	assert_int_equal(cl.state, DHCP_S_RENEWING);
	std_reply(&r, DHCP_NAK, last_xid(), 600);
	deliver(&r);
	assert_int_equal(fk.ip, 0);
	assert_int_equal(fk.napplied, 2);
	assert_int_equal(cl.state, DHCP_S_SELECTING);
}

static void test_client_counts_bad_replies(void **state)
{
	struct reply r;
	uint8_t junk[300] = {0};

	(void)state;
	dhcp_client_start(&cl, 0);
	uint32_t xid = last_xid();
	dhcp_client_input(&cl, junk, sizeof(junk), 0);
	assert_int_equal(cl.st.rx_bad, 1);
	std_reply(&r, DHCP_OFFER, xid, 600);
	r.yiaddr = 0; /* an offer of nothing */
	deliver(&r);
	assert_int_equal(cl.st.rx_bad, 2);
	std_reply(&r, DHCP_OFFER, xid, 600);
	r.chaddr = server_mac; /* someone else's */
	deliver(&r);
	assert_int_equal(cl.st.rx_ignored, 1);
	std_reply(&r, DHCP_ACK, xid, 600); /* an ACK before any REQUEST */
	deliver(&r);
	assert_int_equal(cl.st.rx_ignored, 2);
	std_reply(&r, DHCP_OFFER, xid, 600);
	deliver(&r);
	/* An ACK without its lease time is not taken. */
	memset(&r, 0, sizeof(r));
	r.type = DHCP_ACK;
	r.xid = xid;
	r.yiaddr = GUEST;
	r.chaddr = client_mac;
	r.op = 2;
	opt32(&r, 54, SERVER);
	deliver(&r);
	assert_int_equal(cl.st.rx_bad, 3);
	assert_int_equal(cl.state, DHCP_S_REQUESTING);
	/* Without a mask or router: classful /8 for 10/8, the fallback gateway. */
	cl.fallback_gw = IP(10, 0, 0, 1);
	opt32(&r, 51, 0xffffffffu);
	deliver(&r);
	assert_int_equal(cl.state, DHCP_S_BOUND);
	assert_int_equal(fk.prefix, 8);
	assert_int_equal(fk.gw, IP(10, 0, 0, 1));
	assert_string_equal(last_log(), "dhcp: test 10.0.2.15/8 gw 10.0.0.1 from 10.0.2.2, lease infinite");
	/* An infinite lease is never renewed. */
	unsigned sent = fk.nsent;
	run_until(100000 * S);
	assert_int_equal(fk.nsent, sent);
}

static void test_client_request_retries(void **state)
{
	struct reply r;

	(void)state;
	fk.fail_send = true; /* the TX ring refuses: counted, the timer retries */
	dhcp_client_start(&cl, 0);
	assert_int_equal(cl.st.tx_failed, 1);
	fk.fail_send = false;
	std_reply(&r, DHCP_OFFER, last_xid(), 600);
	deliver(&r);
	/* No ACK: the REQUEST is sent DHCP_REQUEST_TRIES times, then a new DISCOVER. */
	run_until(30 * S);
	assert_int_equal(cl.st.tx_request, DHCP_REQUEST_TRIES);
	assert_true(cl.st.tx_discover >= 2);
	assert_non_null(strstr(fk.logs[1], "no ACK from 10.0.2.2 for 10.0.2.15"));
	/* A lease shorter than DHCP_LEASE_MIN_S is taken as that long. */
	reset(NULL);
	bind(2);
	run_until(4 * S);
	assert_int_equal(cl.state, DHCP_S_BOUND);
	run_until(6 * S);
	assert_int_equal(cl.state, DHCP_S_RENEWING);
}

#define T(fn) cmocka_unit_test_setup(fn, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_build_discover),
	    T(test_build_request),
	    T(test_parse_ack),
	    T(test_parse_tolerates),
	    T(test_parse_rejects),
	    T(test_parse_truncated),
	    T(test_client_binds_and_renews),
	    T(test_client_rebinds_then_loses_the_lease),
	    T(test_client_no_server),
	    T(test_client_nak),
	    T(test_client_counts_bad_replies),
	    T(test_client_request_retries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
