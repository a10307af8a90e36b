/*
 * SYN-flood defence. lwIP refuses a SYN once a listener has `backlog` half-open connections,
 * so a flood of spoofed SYNs would lock out real clients until the half-open ones time out
 * (20 s). Instead, when the backlog is full, the oldest half-open connection of that
 * listener is dropped (silently: its peer is most likely spoofed) to make room. A real
 * client completes its handshake within a round trip, long before a flood reaches it.
 */
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "net/stack/stack.h"

void stack_syn_make_room(struct stack_ctx *ctx, const uint8_t *f, uint16_t len)
{
	if (len < SIZEOF_ETH_HDR + IP_HLEN + TCP_HLEN || f[12] != 0x08 || f[13] != 0x00)
		return;
	const uint8_t *ip = f + SIZEOF_ETH_HDR;
	unsigned ihl = (ip[0] & 0xf) * 4u;
	if (ip[9] != IP_PROTO_TCP || ihl < IP_HLEN || len < SIZEOF_ETH_HDR + ihl + TCP_HLEN)
		return;
	const uint8_t *tcp = ip + ihl;
	if ((tcp[13] & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return;
	u16_t port = (u16_t)(tcp[2] << 8 | tcp[3]);

	for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next) {
		if (l->local_port != port || l->accepts_pending < l->backlog)
			continue;
		/* tcp_ticks advance every 500 ms, so many half-open connections tie; lwIP puts new
		 * PCBs first in the list, so on a tie the later one in the list is the older. The
		 * walk stops at the listener's last half-open one: the list holds every other
		 * connection of the core too (maybe 100,000), but its half-open ones are among
		 * the newest, near the front. */
		struct tcp_pcb *oldest = NULL;
		unsigned seen = 0;
		for (struct tcp_pcb *p = tcp_active_pcbs; p && seen < l->accepts_pending;
		     p = p->next)
			if (p->state == SYN_RCVD && p->listener == l) {
				seen++;
				if (!oldest ||
				    (u32_t)(tcp_ticks - p->tmr) >= (u32_t)(tcp_ticks - oldest->tmr))
					oldest = p;
			}
		if (oldest) {
			tcp_abandon(oldest, 0);
			ctx->st->tcp_syn_evicted++;
		}
		return;
	}
}
