/*
 * framemix: a bounded, deterministic stream of hostile Ethernet frames for the QEMU tests
 * (tests/qemu/test_hostile.py). Sends --count frames (and stops at --time-limit seconds,
 * whichever comes first) out of a Linux interface through an AF_PACKET raw socket, to one
 * destination MAC and IPv4 address, as fast as the link takes them.
 *
 * --mode mix (the default) draws every frame from a seeded mix of malformed and random
 * frames: truncated Ethernet, IPv4 and TCP/UDP/ICMP headers, IHL below 5 and beyond the
 * packet, bad total lengths, bad TCP data offsets, IP options, fragments, 802.1Q-tagged
 * frames, frames over the MTU, bad IPv4 and TCP/UDP checksums, random bytes, ARP garbage,
 * TCP segments for no connection, UDP to closed ports, ICMP of every type, datagrams for
 * another address. --mode syn sends TCP SYNs to --port from random sources (a SYN flood).
 * The same seed gives the same frames.
 *
 * Frames are never aimed at anything but --dst-mac (ARP also at the broadcast address) and
 * --dst-ip; invented source addresses come from outside --dst-ip's /24 (and outside
 * 0/8, 127/8, 198.18/15 and 224/3), so that nothing here can hit a real connection of the
 * host, poison an ARP entry, or make the receiver resolve an on-link address.
 *
 * "As fast as the link takes them": a tap device drops what its reader has not taken once
 * its queue is full, so with --window W (the default) at most W of our frames are in the
 * interface's queue at a time: frames the interface handed on are read from its statistics
 * (tx_packets + tx_dropped), less what the host's own stack sent meanwhile (TCP segments and
 * retransmissions, ICMP and UDP datagrams from /proc/net/snmp). --window 0 sends without
 * waiting.
 *
 * Prints one JSON line: the frames sent of each kind, the total, how many carried a
 * non-IPv4 EtherType at offset 12, length classes (see --count-over), send errors, the
 * interface's own counters over the run, and why it stopped. Exit 0 when every frame went.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_HLEN_  14
#define VLAN_HLEN_ 4
#define MAX_FRAME  16000 /* the longest frame we build (a 9000-byte MTU fits well) */
#define BATCH	   32
#define MAX_OVER   4

#define KINDS(X)                                                                                   \
	X(eth_hdr_only) /* 14 to 16 bytes: an Ethernet header and next to nothing */               \
	X(ip_trunc)	/* IPv4 EtherType, the IPv4 header cut short (1 to 19 bytes) */            \
	X(l4_trunc)	/* a sound IPv4 header, the TCP/UDP/ICMP header cut short */               \
	X(ihl_short)	/* IHL 0 to 4 */                                                           \
	X(ihl_long)	/* IHL beyond the total length or the frame */                             \
	X(totlen_bad)	/* total length beyond the frame, or below the header length */            \
	X(tcp_doff_bad) /* TCP data offset below 5 or beyond the segment */                        \
	X(ip_options)	/* IHL 6 to 15 with options (NOP, EOL, record route, junk) */              \
	X(fragment)	/* MF set and/or a fragment offset */                                      \
	X(vlan)		/* 802.1Q tag around a sound IPv4 packet or ARP */                         \
	X(oversize)	/* longer than a 1500-byte MTU allows, up to --max-len */                  \
	X(bad_ip_csum)	/* sound packet, wrong IPv4 header checksum */                             \
	X(bad_l4_csum)	/* sound packet, wrong TCP or UDP checksum */                              \
	X(random)	/* random bytes after the MAC addresses */                                 \
	X(arp_garbage)	/* broken ARP, and sound ARP for other addresses */                        \
	X(tcp_noconn)	/* sound TCP segments (no SYN) for no connection */                        \
	X(udp_closed)	/* UDP to closed ports */                                                  \
	X(icmp_any)	/* ICMP of random type and code, echo requests among them */               \
	X(other_dst)	/* sound IPv4 for another address */                                       \
	X(syn)		/* --mode syn: a TCP SYN from a random source */

enum kind {
#define KIND_ENUM(n) K_##n,
	KINDS(KIND_ENUM)
#undef KIND_ENUM
	    K_COUNT
};

static const char *kind_name[K_COUNT] = {
#define KIND_NAME(n) #n,
    KINDS(KIND_NAME)
#undef KIND_NAME
};

/* The mix: every kind but syn, equally likely. */
#define MIX_KINDS (K_COUNT - 1)

struct opts {
	const char *iface;
	uint8_t dst_mac[6];
	uint32_t dst_ip; /* host order */
	uint64_t count;
	double time_limit;
	uint64_t seed;
	bool syn_mode;
	unsigned port;
	unsigned max_len;
	unsigned window;
	uint64_t rate; /* frames per second at most; 0: as fast as the link takes them */
	unsigned over[MAX_OVER];
	unsigned nover;
	enum kind mix[K_COUNT]; /* the kinds drawn from, equally likely */
	unsigned nmix;
};

static struct opts o = {
    .count = 1000,
    .time_limit = 60,
    .seed = 1,
    .port = 7,
    .max_len = 9014,
    .window = 256,
};

static uint8_t src_mac[6];
static unsigned if_max_len; /* the longest frame the interface sends (MTU + header) */

/* ---- randomness: splitmix64, one stream per run --------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n) /* 0 .. n-1 */
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static unsigned rnd_range(unsigned lo, unsigned hi) /* lo .. hi */
{
	return lo + rnd(hi - lo + 1);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rnd64();
		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rnd64();
		memcpy(p, &v, n);
	}
}

/* A source address that is nobody on the test link: see the header comment. */
static uint32_t rnd_src_ip(void)
{
	for (;;) {
		uint32_t a = (uint32_t)rnd64();
		unsigned top = a >> 24;
		if (top == 0 || top == 127 || top >= 224 || (a >> 17) == (198u << 7 | 18u >> 1) ||
		    (a >> 8) == (o.dst_ip >> 8))
			continue;
		return a;
	}
}

/* ---- frame building -------------------------------------------------------------------- */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (; n > 1; n -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static unsigned fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static unsigned eth_hdr(uint8_t *f, const uint8_t *dst, unsigned type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, type);
	return ETH_HLEN_;
}

/* An IPv4 header of ihl bytes (options, if any, filled in by the caller first or zero). */
static void ip_hdr(uint8_t *ip, unsigned ihl, unsigned tot, unsigned proto, uint32_t src,
		   uint32_t dst, unsigned frag)
{
	ip[0] = (uint8_t)(0x40 | (ihl / 4));
	ip[1] = 0;
	put16(ip + 2, tot);
	put16(ip + 4, rnd(65536));
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	put16(ip + 10, 0);
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(ip, ihl, 0)));
}

/* TCP/UDP checksum over the pseudo-header and l4len bytes at l4 (checksum field zeroed). */
static unsigned l4_csum(const uint8_t *ip, const uint8_t *l4, unsigned l4len)
{
	uint32_t sum = sum16(ip + 12, 8, 0) + ip[9] + l4len;

	return fold(sum16(l4, l4len, sum));
}

static unsigned tcp_hdr(uint8_t *t, unsigned sport, unsigned dport, unsigned flags,
			unsigned doff_words)
{
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, (uint32_t)rnd64());
	put32(t + 8, flags & 0x10 ? (uint32_t)rnd64() : 0);
	t[12] = (uint8_t)(doff_words << 4);
	t[13] = (uint8_t)flags;
	put16(t + 14, rnd_range(0, 65535));
	put16(t + 16, 0);
	put16(t + 18, 0);
	return 20;
}

static unsigned rnd_port(void)
{
	return rnd_range(1024, 65535);
}

/* A closed or random destination port: never the served one (UDP) unless tcp allows it. */
static unsigned dst_port(bool may_be_served)
{
	if (may_be_served && rnd(4) == 0)
		return o.port;
	for (;;) {
		unsigned p = rnd_range(1, 65535);
		if (p != o.port)
			return p;
	}
}

/* TCP flags for a segment of no connection: never SYN (mix mode leaves the backlog alone). */
static unsigned noconn_flags(void)
{
	static const uint8_t f[] = {0x10, 0x04, 0x14, 0x11, 0x18, 0x00, 0x01, 0x29, 0x3d & ~0x02};
	return f[rnd(sizeof(f))];
}

/*
 * A sound IPv4 packet at ip (no Ethernet header): proto chosen at random among TCP (no
 * connection), UDP (closed port) and ICMP echo, payload plen bytes, with ihl bytes of header
 * (options of the caller's choosing already written at ip + 20). Returns its length.
 */
static unsigned sound_ip(uint8_t *ip, unsigned ihl, unsigned plen, unsigned frag, uint32_t dst,
			 int proto_pick)
{
	unsigned pick = proto_pick >= 0 ? (unsigned)proto_pick : rnd(3);
	uint8_t *l4 = ip + ihl;
	unsigned l4len, proto;

	if (pick == 0) {
		proto = 6;
		l4len = tcp_hdr(l4, rnd_port(), dst_port(true), noconn_flags(), 5) + plen;
		rnd_bytes(l4 + 20, plen);
	} else if (pick == 1) {
		proto = 17;
		l4len = 8 + plen;
		put16(l4, rnd_port());
		put16(l4 + 2, dst_port(false));
		put16(l4 + 4, l4len);
		put16(l4 + 6, 0);
		rnd_bytes(l4 + 8, plen);
	} else {
		proto = 1;
		l4len = 8 + plen;
		l4[0] = 8;
		l4[1] = 0;
		put16(l4 + 2, 0);
		put16(l4 + 4, rnd(65536));
		put16(l4 + 6, rnd(65536));
		rnd_bytes(l4 + 8, plen);
	}
	unsigned tot = ihl + l4len;
	ip_hdr(ip, ihl, tot, proto, rnd_src_ip(), dst, frag);
	if (proto == 6)
		put16(l4 + 16, l4_csum(ip, l4, l4len));
	else if (proto == 17)
		put16(l4 + 6, l4_csum(ip, l4, l4len) ?: 0xffff);
	else
		put16(l4 + 2, fold(sum16(l4, l4len, 0)));
	return tot;
}

/* A sound ARP packet (28 bytes) at a: an opcode and addresses for anyone but us. */
static unsigned arp_sound(uint8_t *a, unsigned op)
{
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, src_mac, 6);
	put32(a + 14, rnd_src_ip());
	rnd_bytes(a + 18, 6);
	uint32_t tip;
	do
		tip = rnd_src_ip();
	while (tip == o.dst_ip);
	put32(a + 24, tip);
	return 28;
}

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Builds one frame of kind k into f; returns its length. */
static unsigned build(enum kind k, uint8_t *f)
{
	unsigned n = eth_hdr(f, o.dst_mac, 0x0800), len;
	uint8_t *ip = f + n;

	switch (k) {
	case K_eth_hdr_only: {
		static const unsigned types[] = {0x0800, 0x0806, 0x86dd, 0x88cc};
		put16(f + 12, types[rnd(4)]);
		len = n + rnd(3);
		rnd_bytes(f + n, 2);
		return len;
	}
	case K_ip_trunc:
		len = sound_ip(ip, 20, rnd(64), 0, o.dst_ip, -1);
		return n + rnd_range(1, 19);
	case K_l4_trunc: {
		/* Cut inside the transport header; the IPv4 total length says so too. */
		unsigned pick = rnd(3), keep = rnd_range(0, pick == 0 ? 19 : 7);
		sound_ip(ip, 20, 0, 0, o.dst_ip, (int)pick);
		put16(ip + 2, 20 + keep);
		put16(ip + 10, 0);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		return n + 20 + keep;
	}
	case K_ihl_short:
		len = sound_ip(ip, 20, rnd(32), 0, o.dst_ip, -1);
		ip[0] = (uint8_t)(0x40 | rnd(5));
		put16(ip + 10, 0);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		return n + len;
	case K_ihl_long: {
		len = sound_ip(ip, 20, rnd(16), 0, o.dst_ip, -1);
		unsigned ihl = rnd_range(6, 15);
		if (ihl * 4 <= len)
			put16(ip + 2, ihl * 4 - rnd_range(1, 4)); /* total below the header */
		ip[0] = (uint8_t)(0x40 | ihl);
		put16(ip + 10, 0);
		put16(ip + 10, fold(sum16(ip, ihl * 4 <= len ? ihl * 4 : 20, 0)));
		return n + len;
	}
	case K_totlen_bad:
		len = sound_ip(ip, 20, rnd(64), 0, o.dst_ip, -1);
		put16(ip + 2, rnd(2) ? len + rnd_range(1, 2000) : rnd(20));
		put16(ip + 10, 0);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		return n + len;
	case K_tcp_doff_bad: {
		unsigned plen = rnd(40);
		len = sound_ip(ip, 20, plen, 0, o.dst_ip, 0);
		uint8_t *t = ip + 20;
		unsigned doff = rnd(2) ? rnd(5) : rnd_range((20 + plen) / 4 + 1, 15);
		t[12] = (uint8_t)(doff << 4);
		put16(t + 16, 0);
		put16(t + 16, l4_csum(ip, t, 20 + plen));
		return n + len;
	}
	case K_ip_options: {
		unsigned ihl = rnd_range(6, 15) * 4;
		uint8_t *opt = ip + 20;
		unsigned olen = ihl - 20, i = 0;
		while (i < olen) {
			unsigned left = olen - i, c = rnd(4);
			if (c == 0 || left < 3) {
				opt[i++] = 1; /* NOP */
			} else if (c == 1) {
				memset(opt + i, 0, left); /* EOL and padding */
				i = olen;
			} else if (c == 2 && left >= 7) {
				unsigned l = 3 + 4 * rnd_range(1, (left - 3) / 4);
				opt[i] = 7; /* record route */
				opt[i + 1] = (uint8_t)l;
				opt[i + 2] = 4;
				memset(opt + i + 3, 0, l - 3);
				i += l;
			} else {
				unsigned l = rnd_range(2, left);
				opt[i] = (uint8_t)rnd(256);
				opt[i + 1] = (uint8_t)(rnd(4) ? l : rnd(256));
				rnd_bytes(opt + i + 2, l - 2);
				i += l;
			}
		}
		return n + sound_ip(ip, ihl, rnd(64), 0, o.dst_ip, -1);
	}
	case K_fragment: {
		unsigned frag = rnd(3) == 0 ? 0x2000 : (rnd(2) ? 0x2000 : 0) | rnd_range(1, 0x1fff);
		return n + sound_ip(ip, 20, rnd(200), frag, o.dst_ip, -1);
	}
	case K_vlan: {
		put16(f + 12, 0x8100);
		put16(f + 14, rnd(65536)); /* PCP, DEI, VID: anything */
		uint8_t *in = f + 18;
		if (rnd(4) == 0) {
			put16(f + 16, 0x0806);
			return 18 + arp_sound(in, 1);
		}
		put16(f + 16, 0x0800);
		len = 18 + sound_ip(in, 20, rnd_range(0, 1460), 0, o.dst_ip, -1);
		return len;
	}
	case K_oversize: {
		unsigned hi = o.max_len < if_max_len ? o.max_len : if_max_len;
		if (hi < 1515)
			hi = 1515; /* the send then fails and is counted */
		len = rnd_range(1515, hi);
		unsigned pick = rnd(2); /* UDP or TCP */
		sound_ip(ip, 20, len - n - 20 - (pick ? 8 : 20), 0, o.dst_ip, pick ? 1 : 0);
		return len;
	}
	case K_bad_ip_csum:
		len = sound_ip(ip, 20, rnd(64), 0, o.dst_ip, -1);
		ip[10] ^= (uint8_t)rnd_range(1, 255);
		return n + len;
	case K_bad_l4_csum: {
		unsigned pick = rnd(2);
		len = sound_ip(ip, 20, rnd(64), 0, o.dst_ip, (int)pick);
		uint8_t *c = ip + 20 + (pick == 0 ? 16 : 6);
		c[rnd(2)] ^= (uint8_t)rnd_range(1, 255);
		if (pick == 1 && c[0] == 0 && c[1] == 0)
			c[1] = 1; /* zero would mean "no checksum" */
		return n + len;
	}
	case K_random: {
		len = rnd_range(ETH_HLEN_, 1514);
		rnd_bytes(f + 12, len - 12);
		if (rnd(2)) {
			put16(f + 12, 0x0800);
		} else {
			/* Not IPv4, and no tag either (an 802.1Q or 802.1ad tag could hide one). */
			unsigned t;
			do
				t = rnd(65536);
			while (t == 0x0800 || t == 0x8100 || t == 0x88a8 || t == 0x9100);
			put16(f + 12, t);
		}
		return len;
	}
	case K_arp_garbage: {
		eth_hdr(f, rnd(2) ? bcast : o.dst_mac, 0x0806);
		uint8_t *a = f + n;
		switch (rnd(4)) {
		case 0: /* cut short */
			arp_sound(a, 1);
			return n + rnd(28);
		case 1: /* a header field wrong */
			arp_sound(a, rnd_range(1, 2));
			a[rnd(6)] ^= (uint8_t)rnd_range(1, 255);
			len = rnd(18);
			rnd_bytes(a + 28, len); /* a trailer, as padding would be */
			return n + 28 + len;
		case 2: /* any opcode, for someone else */
			return n + arp_sound(a, rnd(65536));
		default: /* a request or a reply for someone else */
			return n + arp_sound(a, rnd_range(1, 2));
		}
	}
	case K_tcp_noconn:
		return n + sound_ip(ip, 20, rnd(2) ? 0 : rnd(1400), 0, o.dst_ip, 0);
	case K_udp_closed:
		return n + sound_ip(ip, 20, rnd(512), 0, o.dst_ip, 1);
	case K_icmp_any: {
		len = sound_ip(ip, 20, rnd(64), 0, o.dst_ip, 2);
		uint8_t *c = ip + 20;
		if (rnd(2)) { /* any type and code; else an echo request */
			c[0] = (uint8_t)rnd(256);
			c[1] = (uint8_t)rnd(256);
			put16(c + 2, 0);
			put16(c + 2, fold(sum16(c, len - 20, 0)));
		}
		return n + len;
	}
	case K_other_dst: {
		uint32_t dst;
		do
			dst = (o.dst_ip & ~0xffu) | rnd(256);
		while (dst == o.dst_ip || (dst & 0xff) == 0xff || (dst & 0xff) == 0);
		if (rnd(2))
			dst = rnd_src_ip();
		return n + sound_ip(ip, 20, rnd(64), 0, dst, -1);
	}
	case K_syn: {
		uint8_t *t = ip + 20;
		tcp_hdr(t, rnd_port(), o.port, 0x02, 6);
		put32(t + 8, 0);
		put16(t + 14, 64240);
		t[20] = 2; /* MSS 1460 */
		t[21] = 4;
		put16(t + 22, 1460);
		ip_hdr(ip, 20, 44, 6, rnd_src_ip(), o.dst_ip, 0x4000);
		put16(t + 16, l4_csum(ip, t, 24));
		return n + 44;
	}
	case K_COUNT:
		break;
	}
	return n;
}

/* ---- the interface's counters ---------------------------------------------------------- */

static uint64_t read_u64(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static char path_txp[128], path_txd[128];

static uint64_t if_taken(void)
{
	return read_u64(path_txp) + read_u64(path_txd);
}

/* Frames the host's own stack sent (any interface; in a test namespace, the tap). */
static uint64_t host_sent(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char hdr[2048], val[2048];
	uint64_t total = 0;

	if (!f)
		return 0;
	while (fgets(hdr, sizeof(hdr), f) && fgets(val, sizeof(val), f)) {
		/* TCP's OutSegs leaves out retransmissions: they are RetransSegs. */
		const char *want = !strncmp(hdr, "Tcp:", 4)    ? "OutSegs RetransSegs"
				   : !strncmp(hdr, "Udp:", 4)  ? "OutDatagrams"
				   : !strncmp(hdr, "Icmp:", 5) ? "OutMsgs"
							       : NULL;
		if (!want)
			continue;
		char *hs, *vs, *h = strtok_r(hdr, " \n", &hs), *v = strtok_r(val, " \n", &vs);
		while ((h = strtok_r(NULL, " \n", &hs)) && (v = strtok_r(NULL, " \n", &vs))) {
			const char *w = strstr(want, h);
			size_t hl = strlen(h);
			if (w && (w == want || w[-1] == ' ') && (w[hl] == 0 || w[hl] == ' '))
				total += strtoull(v, NULL, 10);
		}
	}
	fclose(f);
	return total;
}

/* ---- main ------------------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: framemix --iface IF --dst-mac MAC [options]\n"
	    "Sends a bounded, seeded mix of malformed and random Ethernet frames (or a SYN flood)\n"
	    "to one MAC/IPv4 destination through an AF_PACKET socket; prints one JSON line.\n"
	    "  --iface IF        interface to send from (required)\n"
	    "  --dst-mac MAC     destination MAC, aa:bb:cc:dd:ee:ff (required)\n"
	    "  --dst-ip IP       destination IPv4 address (default 198.18.0.2)\n"
	    "  --count N         frames to send (default 1000, at most 100000000)\n"
	    "  --time-limit S    stop after S seconds whatever is left (default 60, at most 3600)\n"
	    "  --seed N          seed of the mix (default 1): same seed, same frames\n"
	    "  --mode mix|syn    the malformed/random mix (default), or TCP SYNs to --port\n"
	    "                    from random sources\n"
	    "  --port N          the served TCP port: SYN target, sometimes hit by TCP segments\n"
	    "                    of no connection, never by UDP (default 7)\n"
	    "  --max-len N       longest oversize frame, bytes without FCS (default 9014; the\n"
	    "                    interface's MTU + 14 caps it)\n"
	    "  --window N        at most N of our frames queued in the interface (default 256;\n"
	    "                    0: do not wait); see the source's header comment\n"
	    "  --rate PPS        send at most PPS frames per second, never more than 10 ms of\n"
	    "                    them at once (default 0: no limit)\n"
	    "  --count-over N    also count frames longer than N bytes, as len_over_N (up to 4)\n"
	    "  --kinds LIST      draw only from these kinds (comma-separated; default all)\n"
	    "  --help            this text\n"
	    "Kinds in the mix, drawn with equal odds:");
	for (int k = 0; k < MIX_KINDS; k++)
		fprintf(out, "%s%s", k % 6 ? " " : "\n   ", kind_name[k]);
	fprintf(out, "\n");
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static uint64_t parse_num(const char *s, const char *what, uint64_t max)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (!*s || *end || v > max) {
		fprintf(stderr, "framemix: bad %s %s (0 .. %llu)\n", what, s,
			(unsigned long long)max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"iface", required_argument, 0, 'i'},
	    {"dst-mac", required_argument, 0, 'm'},
	    {"dst-ip", required_argument, 0, 'a'},
	    {"count", required_argument, 0, 'n'},
	    {"time-limit", required_argument, 0, 't'},
	    {"seed", required_argument, 0, 's'},
	    {"mode", required_argument, 0, 'M'},
	    {"port", required_argument, 0, 'p'},
	    {"max-len", required_argument, 0, 'L'},
	    {"window", required_argument, 0, 'w'},
	    {"count-over", required_argument, 0, 'o'},
	    {"kinds", required_argument, 0, 'k'},
	    {"rate", required_argument, 0, 'r'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	bool have_mac = false;
	struct in_addr ia;
	int c;

	inet_pton(AF_INET, "198.18.0.2", &ia);
	o.dst_ip = ntohl(ia.s_addr);
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.iface = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, o.dst_mac)) {
				fprintf(stderr, "framemix: bad MAC %s\n", optarg);
				return 2;
			}
			have_mac = true;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &ia) != 1) {
				fprintf(stderr, "framemix: bad IPv4 address %s\n", optarg);
				return 2;
			}
			o.dst_ip = ntohl(ia.s_addr);
			break;
		case 'n':
			o.count = parse_num(optarg, "count", 100000000);
			break;
		case 't':
			o.time_limit = (double)parse_num(optarg, "time limit", 3600);
			break;
		case 's':
			o.seed = parse_num(optarg, "seed", UINT64_MAX);
			break;
		case 'M':
			if (strcmp(optarg, "mix") && strcmp(optarg, "syn")) {
				fprintf(stderr, "framemix: --mode is mix or syn\n");
				return 2;
			}
			o.syn_mode = !strcmp(optarg, "syn");
			break;
		case 'p':
			o.port = (unsigned)parse_num(optarg, "port", 65535);
			break;
		case 'L':
			o.max_len = (unsigned)parse_num(optarg, "max length", MAX_FRAME);
			break;
		case 'w':
			o.window = (unsigned)parse_num(optarg, "window", 1000000);
			break;
		case 'r':
			o.rate = parse_num(optarg, "rate", 100000000);
			break;
		case 'o':
			if (o.nover == MAX_OVER) {
				fprintf(stderr, "framemix: at most %d --count-over\n", MAX_OVER);
				return 2;
			}
			o.over[o.nover++] = (unsigned)parse_num(optarg, "length", MAX_FRAME);
			break;
		case 'k': {
			char *save, *list = strdup(optarg);
			o.nmix = 0;
			for (char *w = strtok_r(list, ",", &save); w;
			     w = strtok_r(NULL, ",", &save)) {
				int k = 0;
				while (k < MIX_KINDS && strcmp(w, kind_name[k]))
					k++;
				if (k == MIX_KINDS) {
					fprintf(stderr,
						"framemix: no kind %s in the mix (--help)\n", w);
					return 2;
				}
				o.mix[o.nmix++] = (enum kind)k;
			}
			free(list);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.iface || !have_mac || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.max_len < 1515)
		o.max_len = 1515;
	if (!o.nmix)
		for (int k = 0; k < MIX_KINDS; k++)
			o.mix[o.nmix++] = (enum kind)k;
	rng_state = o.seed * 0x2545f4914f6cdd1dull + 1;

	int s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0) {
		perror("framemix: socket(AF_PACKET)");
		return 1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.iface);
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
		perror("framemix: SIOCGIFINDEX");
		return 1;
	}
	int ifindex = ifr.ifr_ifindex;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		perror("framemix: SIOCGIFHWADDR");
		return 1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
		perror("framemix: SIOCGIFMTU");
		return 1;
	}
	if_max_len = (unsigned)ifr.ifr_mtu + ETH_HLEN_;
	if (if_max_len > MAX_FRAME)
		if_max_len = MAX_FRAME;
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_ifindex = ifindex,
	    .sll_halen = 6,
	};
	memcpy(sll.sll_addr, o.dst_mac, 6);
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("framemix: bind");
		return 1;
	}
	int one = 1;
	/* Straight to the driver: a queue in between would hide what the link took. */
	(void)setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	snprintf(path_txp, sizeof(path_txp), "/sys/class/net/%s/statistics/tx_packets", o.iface);
	snprintf(path_txd, sizeof(path_txd), "/sys/class/net/%s/statistics/tx_dropped", o.iface);

	static uint8_t frames[BATCH][MAX_FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	enum kind kinds[BATCH];
	uint64_t sent_kind[K_COUNT] = {0}, sent = 0, non_ipv4 = 0, under60 = 0, over_mtu = 0;
	uint64_t over[MAX_OVER] = {0}, errors = 0, errors_in_row = 0, max_sent = 0;
	int last_errno = 0;
	const char *stopped = "count";

	uint64_t taken0 = if_taken(), host0 = host_sent(), txp0 = read_u64(path_txp);
	uint64_t txd0 = read_u64(path_txd), other = 0;
	double t0 = now_s(), deadline = t0 + o.time_limit, rate_t0 = t0;
	uint64_t rate_slips = 0; /* times the --rate schedule was moved on after a stall */

	/* Frames of ours the interface still holds: sent less what it handed on, where what
	 * it handed on is its count less the host's own frames (never more than we sent). */
	uint64_t ours_done = 0;
#define INFLIGHT()                                                                                 \
	({                                                                                         \
		uint64_t t_ = if_taken() - taken0, h_ = host_sent() - host0;                       \
		uint64_t d_ = t_ > h_ + other ? t_ - h_ - other : 0;                               \
		if (d_ > sent) {                                                                   \
			other += d_ - sent;                                                        \
			d_ = sent;                                                                 \
		}                                                                                  \
		if (d_ > ours_done)                                                                \
			ours_done = d_;                                                            \
		sent - ours_done;                                                                  \
	})

	while (sent < o.count && strcmp(stopped, "error")) {
		if (now_s() >= deadline) {
			stopped = "time";
			break;
		}
		unsigned room = BATCH;
		if (o.window) {
			uint64_t inflight = INFLIGHT();
			if (inflight >= o.window) {
				struct timespec ts = {0, 20000};
				nanosleep(&ts, NULL);
				continue;
			}
			if (o.window - inflight < room)
				room = (unsigned)(o.window - inflight);
		}
		if (o.rate) {
			double due = (now_s() - rate_t0) * (double)o.rate - (double)sent;
			/* At most 10 ms of frames at once: after this process was stalled (a busy
			 * host), the schedule moves on instead of catching up in one burst at
			 * line rate, which would make the rate a lie for that moment. */
			double burst = (double)o.rate / 100 > BATCH ? (double)o.rate / 100 : BATCH;
			if (due > burst) {
				rate_t0 += (due - burst) / (double)o.rate;
				due = burst;
				rate_slips++;
			}
			if (due < 1) {
				struct timespec ts = {0, 100000};
				nanosleep(&ts, NULL);
				continue;
			}
			if (due < room)
				room = (unsigned)due;
		}
		if (o.count - sent < room)
			room = (unsigned)(o.count - sent);
		for (unsigned i = 0; i < room; i++) {
			kinds[i] = o.syn_mode ? K_syn : o.mix[rnd(o.nmix)];
			iov[i].iov_base = frames[i];
			iov[i].iov_len = build(kinds[i], frames[i]);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		for (unsigned i = 0; i < room;) {
			int r = sendmmsg(s, msgs + i, room - i, 0);
			if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
				struct timespec ts = {0, 50000};
				nanosleep(&ts, NULL);
				if (now_s() >= deadline)
					break;
				continue;
			}
			if (r <= 0) { /* this frame is refused: count it, go on with the next */
				last_errno = errno;
				errors++;
				i++;
				if (errno == ENETDOWN || errno == ENXIO || errno == ENODEV ||
				    ++errors_in_row >= 1000) {
					stopped = "error";
					break;
				}
				continue;
			}
			errors_in_row = 0;
			for (unsigned j = i; j < i + (unsigned)r; j++) {
				const uint8_t *f = frames[j];
				size_t len = iov[j].iov_len;
				bool tagged = f[12] == 0x81 && f[13] == 0x00;
				sent_kind[kinds[j]]++;
				sent++;
				non_ipv4 += !(f[12] == 0x08 && f[13] == 0x00);
				under60 += len < 60;
				over_mtu += len > (tagged ? 1518u : 1514u);
				for (unsigned q = 0; q < o.nover; q++)
					over[q] += len > o.over[q];
				if (len > max_sent)
					max_sent = len;
			}
			i += (unsigned)r;
		}
	}
	/* Let the interface hand on what it holds, so its counters below are final. */
	uint64_t inflight = 0;
	if (o.window) {
		double until = now_s() + 5;
		while ((inflight = INFLIGHT()) > 0 && now_s() < until) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
	}
	double secs = now_s() - t0;

	printf("{\"mode\": \"%s\", \"seed\": %llu, \"sent\": %llu, \"stopped\": \"%s\", "
	       "\"seconds\": %.3f, \"rate_pps\": %.0f, \"kinds\": {",
	       o.syn_mode ? "syn" : "mix", (unsigned long long)o.seed, (unsigned long long)sent,
	       stopped, secs, secs > 0 ? (double)sent / secs : 0.0);
	bool first = true;
	for (int k = 0; k < K_COUNT; k++) {
		if (o.syn_mode != (k == K_syn))
			continue;
		printf("%s\"%s\": %llu", first ? "" : ", ", kind_name[k],
		       (unsigned long long)sent_kind[k]);
		first = false;
	}
	printf("}, \"non_ipv4\": %llu, \"len_under_60\": %llu, \"over_mtu\": %llu",
	       (unsigned long long)non_ipv4, (unsigned long long)under60,
	       (unsigned long long)over_mtu);
	for (unsigned q = 0; q < o.nover; q++)
		printf(", \"len_over_%u\": %llu", o.over[q], (unsigned long long)over[q]);
	printf(", \"max_len_sent\": %llu, \"if_max_len\": %u, \"send_errors\": %llu, "
	       "\"last_errno\": \"%s\", \"if_tx_packets\": %llu, \"if_tx_dropped\": %llu, "
	       "\"host_stack_frames\": %llu, \"inflight_at_end\": %llu, \"rate_slips\": %llu, "
	       "\"ok\": %s}\n",
	       (unsigned long long)max_sent, if_max_len, (unsigned long long)errors,
	       last_errno ? strerror(last_errno) : "",
	       (unsigned long long)(read_u64(path_txp) - txp0),
	       (unsigned long long)(read_u64(path_txd) - txd0),
	       (unsigned long long)(host_sent() - host0), (unsigned long long)inflight,
	       (unsigned long long)rate_slips, sent == o.count && !errors ? "true" : "false");
	close(s);
	return sent == o.count && !errors ? 0 : 1;
}
