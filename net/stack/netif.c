/*
 * A stack instance's network interface: received frames enter lwIP in place (a custom pbuf
 * around the NIC's buffer, freed back to the core's pool), frames lwIP sends are gathered
 * into one buffer each and queued for the core's end-of-iteration transmit.
 */
#include "kernel/lib/string.h"
#include "kernel/paging.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "netif/ethernet.h"
#include "net/stack/connmem.h"
#include "net/stack/ixconn.h"
#include "net/stack/rxmem.h"
#include "net/dataplane.h"
#include "net/stack/stack.h"
#include "net/timerwheel.h"
#include "kernel/time.h"
#include "kernel/x86.h"

/* A received frame as lwIP sees it: the pbuf points into the mbuf's data. */
struct rx_pbuf {
	struct pbuf_custom pc;
	struct mbuf *m;
};

/* One per received frame inside lwIP: as many as this core's pool and what others lend it. */
#define STACK_RX_PBUFS (2 * DP_POOL_SIZE)
LWIP_MEMPOOL_DECLARE(RX_PBUF, STACK_RX_PBUFS, sizeof(struct rx_pbuf), "rx pbufs")

static struct netif stack_netif;
static unsigned stack_tx_inflight; /* zero-copy frames the NIC has not released yet */
/* This instance's timers, on its core's TSC: no global tick, no lock. 1 ms ticks. */
static struct twheel stack_wheel;
static struct twheel_timer stack_tcp_timer, stack_arp_timer;

static void stack_tcp_tmr(struct twheel_timer *t, void *arg)
{
	(void)arg;
	tcp_tmr();
	twheel_add(&stack_wheel, t, TCP_TMR_INTERVAL);
}

static void stack_arp_tmr(struct twheel_timer *t, void *arg)
{
	(void)arg;
	etharp_tmr();
	twheel_add(&stack_wheel, t, ARP_TMR_INTERVAL);
}

static void rx_pbuf_free(struct pbuf *p)
{
	struct rx_pbuf *rp = (struct rx_pbuf *)p;

	if (rp->m) /* NULL: the app has it now (stack_rx_pbuf_take) */
		dataplane_rx_buf_done(rp->m); /* it may be another core's, lent for a flow we own */
	LWIP_MEMPOOL_FREE(RX_PBUF, rp);
}

bool stack_rx_pbuf_owns(const struct pbuf *p)
{
	const struct rx_pbuf *rp = (const struct rx_pbuf *)p;

	return (p->flags & PBUF_FLAG_IS_CUSTOM) && rp->pc.custom_free_function == rx_pbuf_free &&
	       p->ref == 1 && rp->m;
}

struct mbuf *stack_rx_pbuf_take(struct pbuf *p)
{
	struct rx_pbuf *rp = (struct rx_pbuf *)p;
	struct mbuf *m;

	if (!stack_rx_pbuf_owns(p))
		return NULL;
	m = rp->m;
	rp->m = NULL;
	m->data = p->payload;
	m->len = p->len;
	return m;
}

static void stack_flush(struct stack_ctx *ctx)
{
	unsigned sent = ctx->nic->tx_burst(ctx->nic, ctx->queue, ctx->tx, ctx->ntx);

	for (unsigned i = 0; i < sent; i++) {
		ctx->st->tx_packets++;
		ctx->st->tx_bytes += ctx->tx[i]->len;
	}
	for (unsigned i = sent; i < ctx->ntx; i++) {
		ctx->st->tx_dropped++;
		mbuf_free(ctx->tx[i]);
	}
	ctx->ntx = 0;
}

/* The checks and generation lwIP does itself; the NIC inserts IPv4, TCP and UDP checksums. */
#define STACK_CHECKSUMS                                                                        \
	(NETIF_CHECKSUM_ENABLE_ALL &                                                           \
	 ~(NETIF_CHECKSUM_GEN_IP | NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_GEN_UDP))

/*
 * Asks the NIC for the IPv4 header checksum and the TCP/UDP checksum of an outgoing frame
 * whose first hdr_len bytes are at hdr. As the NIC expects (82599 and 82576 alike), the IPv4
 * checksum field is left zero and the L4 checksum field gets the pseudo-header sum, which the
 * NIC extends over the segment. Returns false when the headers are not all in [hdr, hdr_len):
 * the caller must then gather the frame into one buffer and ask again.
 */
static bool stack_tx_offload(struct mbuf *m, uint8_t *hdr, unsigned hdr_len)
{
	uint8_t *ip = hdr + SIZEOF_ETH_HDR;

	if (m->len < SIZEOF_ETH_HDR + IP_HLEN || hdr_len < SIZEOF_ETH_HDR + IP_HLEN ||
	    hdr[12] != 0x08 || hdr[13] != 0x00)
		return true; /* not IPv4 (ARP): nothing to insert */
	unsigned ihl = (ip[0] & 0xf) * 4u, tot = (unsigned)(ip[2] << 8 | ip[3]);
	if (ihl < IP_HLEN || tot < ihl || SIZEOF_ETH_HDR + tot > m->len ||
	    hdr_len < SIZEOF_ETH_HDR + ihl)
		return false;
	unsigned off = ip[9] == IP_PROTO_TCP ? 16 : ip[9] == IP_PROTO_UDP ? 6 : 0;
	bool l4 = off && !(ip[6] & 0x3f) && !ip[7] && tot - ihl >= off + 2u;
	if (l4 && hdr_len < SIZEOF_ETH_HDR + ihl + off + 2)
		return false; /* the checksum field is not in this piece */
	m->l2_len = SIZEOF_ETH_HDR;
	m->l3_len = ihl;
	m->flags |= MBUF_F_TX_IP_CSUM;
	if (!l4)
		return true; /* ICMP (lwIP sums it) or a fragment (lwIP sends none) */
	uint32_t sum = (uint32_t)(ip[12] << 8 | ip[13]) + (uint32_t)(ip[14] << 8 | ip[15]) +
		       (uint32_t)(ip[16] << 8 | ip[17]) + (uint32_t)(ip[18] << 8 | ip[19]) + ip[9] +
		       (tot - ihl);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[ihl + off] = (uint8_t)(sum >> 8);
	ip[ihl + off + 1] = (uint8_t)sum;
	m->flags |= ip[9] == IP_PROTO_TCP ? MBUF_F_TX_TCP_CSUM : MBUF_F_TX_UDP_CSUM;
	return true;
}

/* The NIC is done with a zero-copy frame: lwIP may free or reuse its pbufs now. */
static void stack_tx_release(struct mbuf *m)
{
	stack_tx_inflight--;
	pbuf_free(m->cookie);
}

/*
 * Zero copy: the NIC gathers the frame straight from the pbufs (headers lwIP built, data in
 * lwIP's segments or an application's memory), which stay referenced until it is sent. lwIP
 * does not rewrite a segment whose pbuf is still referenced (tcp_output_segment_busy), so a
 * retransmission never races the NIC. Returns false when the chain does not fit.
 */
static bool stack_tx_gather(struct mbuf *m, struct pbuf *p)
{
	unsigned n = 0;

	for (struct pbuf *q = p; q; q = q->next) {
		if (!q->len)
			continue;
		if (n == MBUF_MAX_SEGS)
			return false;
		m->seg[n].phys = virt_to_phys(q->payload);
		m->seg[n].len = q->len;
		n++;
	}
	m->nseg = (uint8_t)n;
	m->len = p->tot_len;
	if (!stack_tx_offload(m, p->payload, p->len))
		return false;
	pbuf_ref(p);
	m->cookie = p;
	m->release = stack_tx_release;
	stack_tx_inflight++;
	return true;
}

static err_t stack_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct stack_ctx *ctx = netif->state;
	struct mbuf *m;

	if (p->tot_len > MBUF_DATA_ROOM || !(m = mbuf_alloc(ctx->pool))) {
		ctx->st->tx_dropped++;
		return ERR_MEM;
	}
	if (!stack_tx_gather(m, p)) {
		/* Too many pieces: gather into the buffer instead. */
		m->nseg = 0;
		m->flags = 0;
		m->len = pbuf_copy_partial(p, m->data, p->tot_len, 0);
		stack_tx_offload(m, m->data, m->len);
	}
	if (ctx->ntx == STACK_TX_MAX)
		stack_flush(ctx);
	ctx->tx[ctx->ntx++] = m;
	return ERR_OK;
}

static err_t stack_netif_init(struct netif *netif)
{
	struct stack_ctx *ctx = netif->state;

	netif->name[0] = 'd';
	netif->name[1] = 'p';
	netif->mtu = 1500;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, ctx->mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_LINK_UP;
	netif->output = etharp_output;
	netif->linkoutput = stack_linkoutput;
	return ERR_OK;
}

static int stack_init(struct stack_ctx *ctx)
{
	ip4_addr_t ip, mask, gw;

	lwip_init();
	LWIP_MEMPOOL_INIT(RX_PBUF);
	twheel_init(&stack_wheel, rdtsc(), time_tsc_hz() / 1000);
	twheel_timer_init(&stack_tcp_timer, stack_tcp_tmr, NULL);
	twheel_timer_init(&stack_arp_timer, stack_arp_tmr, NULL);
	twheel_add(&stack_wheel, &stack_tcp_timer, TCP_TMR_INTERVAL);
	twheel_add(&stack_wheel, &stack_arp_timer, ARP_TMR_INTERVAL);
	ip4_addr_set_u32(&ip, lwip_htonl(ctx->ip));
	ip4_addr_set_u32(&mask, lwip_htonl(ctx->netmask));
	ip4_addr_set_u32(&gw, lwip_htonl(ctx->gw));
	if (!netif_add(&stack_netif, &ip, &mask, &gw, ctx, stack_netif_init, ethernet_input))
		return -1;
	NETIF_SET_CHECKSUM_CTRL(&stack_netif, STACK_CHECKSUMS);
	netif_set_default(&stack_netif);
	netif_set_up(&stack_netif);
	rxmem_init(ctx);
	if (connmem_init(ctx->conn_mem))
		return -1;
	ixconn_init(ctx);
	return 0;
}

void stack_syn_make_room(struct stack_ctx *ctx, const uint8_t *f, uint16_t len);

static void stack_input(struct stack_ctx *ctx, struct mbuf *m)
{
	struct rx_pbuf *rp = LWIP_MEMPOOL_ALLOC(RX_PBUF);

	/* The NIC's checksum verdict: a bad one is dropped here, a good one is not redone. */
	if (m->flags & (MBUF_F_RX_IP_CSUM_BAD | MBUF_F_RX_L4_CSUM_BAD)) {
		ctx->st->rx_csum_errors++;
		dataplane_rx_buf_done(m);
		if (rp)
			LWIP_MEMPOOL_FREE(RX_PBUF, rp);
		return;
	}
	u16_t checks = STACK_CHECKSUMS;
	if (m->flags & MBUF_F_RX_IP_CSUM_GOOD)
		checks &= ~NETIF_CHECKSUM_CHECK_IP;
	if (m->flags & MBUF_F_RX_L4_CSUM_GOOD)
		checks &= ~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP);
	NETIF_SET_CHECKSUM_CTRL(&stack_netif, checks);
	stack_syn_make_room(ctx, m->data, m->len);
	if (!rxmem_admit(ctx, m)) {
		dataplane_rx_buf_done(m);
		if (rp)
			LWIP_MEMPOOL_FREE(RX_PBUF, rp);
		return;
	}
	if (!rp) {
		ctx->st->rx_malformed++; /* cannot happen with a pool as big as the ring's */
		dataplane_rx_buf_done(m);
		return;
	}
	rp->m = m;
	rp->pc.custom_free_function = rx_pbuf_free;
	struct pbuf *p = pbuf_alloced_custom(PBUF_RAW, m->len, PBUF_REF, &rp->pc, m->data,
					     MBUF_DATA_ROOM);
	if (stack_netif.input(p, &stack_netif) != ERR_OK)
		pbuf_free(p);
}

static void stack_poll(struct stack_ctx *ctx)
{
	/*
	 * Give sent frames back to lwIP even when nothing new goes out: a segment still held by
	 * the NIC's ring is one lwIP will not retransmit, so a quiet connection would stall.
	 */
	if (stack_tx_inflight)
		ctx->nic->tx_burst(ctx->nic, ctx->queue, NULL, 0);
	twheel_advance(&stack_wheel, rdtsc());
	ixconn_poll();
	if (ctx->ntx)
		stack_flush(ctx);
}

static void stack_stats(struct stack_ctx *ctx, struct stack_stats *s)
{
	(void)ctx;
	s->tcp_rx = lwip_stats.tcp.recv;
	s->tcp_tx = lwip_stats.tcp.xmit;
	s->tcp_drop = lwip_stats.tcp.drop;
	s->tcp_chkerr = lwip_stats.tcp.chkerr;
	s->tcp_rexmit = lwip_stats.mib2.tcpretranssegs;
	s->tcp_rst_nopcb = lwip_stats.tcp.proterr;
	s->tcp_memerr = lwip_stats.tcp.memerr;
	s->ip_drop = lwip_stats.ip.drop;
	s->ip_chkerr = lwip_stats.ip.chkerr;
	s->udp_rx = lwip_stats.udp.recv;
	s->eth_drop = lwip_stats.etharp.drop;
	s->arp_rx = lwip_stats.etharp.recv;
	s->icmp_rx = lwip_stats.icmp.recv;
	s->tcp_pcbs = lwip_stats.memp[MEMP_TCP_PCB]->used;
	s->tcp_pcbs_max = connmem_conn_max();
	s->conn_mem_bytes = connmem_bytes();
	s->tcp_pcb_fails = lwip_stats.memp[MEMP_TCP_PCB]->err;
}

unsigned stack_export_group(struct stack_ctx *ctx, unsigned group,
			    void (*emit)(struct stack_conn_export *e, void *arg), void *arg);
int stack_import_conn(struct stack_ctx *ctx, struct stack_conn_export *e);

static void stack_ix_attach(struct stack_ctx *ctx)
{
	(void)ctx;
	ixconn_attach();
}

static unsigned stack_ix_detach(struct stack_ctx *ctx)
{
	unsigned n = ixconn_detach();

	/* The resets go out now; the NIC may still be reading the app's pages (zero-copy
	 * sends): the caller keeps them until stack_ix_tx_busy says it is done. */
	stack_poll(ctx);
	/* The pool is wiped once the NIC has let go of the app's frames: the dataplane resets
	 * the RX queue then (nic_ops.rx_queue_reset), which zeroes the free buffers and the
	 * ring's, so the next app cannot read this one's traffic through the pool mapping. */
	return n;
}

static bool stack_ix_tx_busy(struct stack_ctx *ctx)
{
	if (stack_tx_inflight)
		ctx->nic->tx_burst(ctx->nic, ctx->queue, NULL, 0); /* reclaim what is done */
	return stack_tx_inflight != 0;
}

static int64_t stack_ix_exec(struct stack_ctx *ctx, const struct ix_call *call,
			     ixcall_lookup_fn lookup, void *arg)
{
	(void)ctx;
	return ixconn_exec(call, lookup, arg);
}

static unsigned stack_ix_events(struct stack_ctx *ctx, struct ix_event *ev, unsigned max)
{
	(void)ctx;
	return ixconn_events(ev, max);
}

static bool stack_ix_pending(struct stack_ctx *ctx)
{
	(void)ctx;
	return ixconn_pending();
}

static void stack_set_addr(struct stack_ctx *ctx, uint32_t ip, uint32_t netmask, uint32_t gw)
{
	ip4_addr_t a, m, g;

	ip4_addr_set_u32(&a, lwip_htonl(ip));
	ip4_addr_set_u32(&m, lwip_htonl(netmask));
	ip4_addr_set_u32(&g, lwip_htonl(gw));
	netif_set_addr(&stack_netif, &a, &m, &g);
	ctx->ip = ip;
	ctx->netmask = netmask;
	ctx->gw = gw;
}

const struct stack_ops stack_ops = {
	.init = stack_init,
	.input = stack_input,
	.poll = stack_poll,
	.stats = stack_stats,
	.export_group = stack_export_group,
	.import_conn = stack_import_conn,
	.ix_attach = stack_ix_attach,
	.ix_detach = stack_ix_detach,
	.ix_tx_busy = stack_ix_tx_busy,
	.ix_exec = stack_ix_exec,
	.ix_events = stack_ix_events,
	.ix_pending = stack_ix_pending,
	.set_addr = stack_set_addr,
};
