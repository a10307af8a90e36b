/*
 * Receive memory of one stack instance: the admission check that keeps the pool's reserve
 * whatever peers send, and the accounting of what connections hold (net/stack/rxmem.h).
 * Instance-local like the rest of net/stack: only this instance's core runs it.
 */
#include "kernel/lib/string.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "net/stack/rxmem.h"

/* Heavy connections, by a hash of their tuple: a count per slot (collisions only cost a
 * light connection some data under pressure, never correctness). */
#define RXMEM_SLOTS 1024
static uint16_t rxmem_heavy[RXMEM_SLOTS];
static unsigned rxmem_heavy_conns; /* connections marked heavy now */
static unsigned rxmem_held;	   /* buffers all connections of this instance hold */
static unsigned rxmem_holders;	   /* connections holding at least one */

_Static_assert((RXMEM_SLOTS & (RXMEM_SLOTS - 1)) == 0, "slots: a power of two");

void rxmem_init(struct stack_ctx *ctx)
{
	(void)ctx;
	memset(rxmem_heavy, 0, sizeof(rxmem_heavy));
	rxmem_heavy_conns = rxmem_held = rxmem_holders = 0;
}

uint32_t rxmem_tuple(uint32_t remote_ip, uint16_t remote_port, uint16_t local_port)
{
	uint64_t x = (uint64_t)remote_ip << 32 | (uint32_t)remote_port << 16 | local_port;

	x *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 40);
}

bool rxmem_pressure(const struct stack_ctx *ctx)
{
	return ctx->pool->avail < RXMEM_RESERVE_SOFT;
}

bool rxmem_account(struct stack_ctx *ctx, uint32_t tuple, bool was_heavy, unsigned before,
		   unsigned after)
{
	rxmem_held = rxmem_held + after - before;
	if (!before && after)
		rxmem_holders++;
	else if (before && !after)
		rxmem_holders--;
	unsigned share = rxmem_holders ? RXMEM_HELD_LIMIT / rxmem_holders : RXMEM_HELD_LIMIT;
	if (share < RXMEM_SHARE_MIN)
		share = RXMEM_SHARE_MIN;
	bool heavy = after > share;
	uint16_t *slot = &rxmem_heavy[tuple & (RXMEM_SLOTS - 1)];
	if (heavy && !was_heavy) {
		(*slot)++;
		rxmem_heavy_conns++;
	} else if (!heavy && was_heavy) {
		(*slot)--;
		rxmem_heavy_conns--;
	}
	ctx->st->rx_held = rxmem_held;
	if (rxmem_held > ctx->st->rx_held_max)
		ctx->st->rx_held_max = rxmem_held;
	return heavy;
}

/* Cuts the TCP payload (and FIN, which comes after it) off a frame; the header stays. */
static void rxmem_cut(struct mbuf *m, uint8_t *ip, unsigned ihl, unsigned thl)
{
	uint8_t *tcp = ip + ihl;
	unsigned tot = ihl + thl;

	tcp[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[10] = ip[11] = 0;
	uint32_t sum = 0;
	for (unsigned i = 0; i < ihl; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	m->len = (uint16_t)(SIZEOF_ETH_HDR + tot);
}

bool rxmem_admit(struct stack_ctx *ctx, struct mbuf *m)
{
	unsigned avail = ctx->pool->avail;

	if (avail >= RXMEM_RESERVE_SOFT)
		return true; /* the common case: one load and a compare */
	uint8_t *f = m->data;
	if (m->len < SIZEOF_ETH_HDR + IP_HLEN + TCP_HLEN || f[12] != 0x08 || f[13] != 0x00)
		return true; /* ARP and runts: they hold nothing (lwIP drops what is broken) */
	uint8_t *ip = f + SIZEOF_ETH_HDR;
	unsigned ihl = (ip[0] & 0xfu) * 4u, tot = (unsigned)(ip[2] << 8 | ip[3]);
	if (ip[9] != IP_PROTO_TCP || ihl < IP_HLEN || tot < ihl + TCP_HLEN ||
	    SIZEOF_ETH_HDR + tot > m->len || (ip[6] & 0x3f) || ip[7])
		return true; /* not TCP, or broken or a fragment: lwIP drops or answers it at once
			      */
	uint8_t *tcp = ip + ihl;
	unsigned thl = (unsigned)(tcp[12] >> 4) * 4u;
	if (thl < TCP_HLEN || ihl + thl > tot || tot == ihl + thl)
		return true; /* no payload: an ACK, RST or window update frees memory, keep it */
	if (tcp[13] & (TCP_SYN | TCP_RST))
		return true; /* a SYN's data is not kept (no connection yet); an RST frees */
	bool heavy = false;
	if (avail >= RXMEM_RESERVE_HARD) {
		uint32_t rip;
		memcpy(&rip, ip + 12, 4);
		uint32_t t = rxmem_tuple(rip, (uint16_t)(tcp[0] << 8 | tcp[1]),
					 (uint16_t)(tcp[2] << 8 | tcp[3]));
		heavy = rxmem_heavy[t & (RXMEM_SLOTS - 1)] != 0;
		if (!heavy)
			return true; /* a light connection under its share: its data is welcome */
		ctx->st->rx_nomem_conn++;
	} else {
		ctx->st->rx_nomem_pool++;
	}
	ctx->st->rx_dropped_nomem++;
	if (!(m->flags & MBUF_F_RX_L4_CSUM_GOOD)) {
		/* The NIC did not check it: once cut, lwIP's own check would fail it. */
		ctx->st->rx_nomem_whole++;
		return false;
	}
	rxmem_cut(m, ip, ihl, thl);
	return true;
}
