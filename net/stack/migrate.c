/*
 * Flow-group migration between stack instances: export every connection of one RSS bucket
 * from this core's lwIP, import one into it. The exporting core runs this between two
 * packets, so no segment of those connections is processed while they move.
 */
#include "kernel/heap.h"
#include "kernel/lib/string.h"
#include "lwip/priv/tcp_priv.h"
#include "net/lwip/lwiphooks.h" /* TCP_REG_ACTIVE calls the PCB table's hook */
#include "lwip/tcp.h"
#include "net/dataplane.h"
#include "net/stack/ixconn.h"
#include "net/stack/stack.h"

/* Frees an export, with any received buffers it still carries. */
static void export_free(struct stack_conn_export *e)
{
	dataplane_rx_chain_done(e->ix_rx);
	kfree(e);
}

/*
 * Copies a segment list's payload from sequence number `from` on (in sequence order) to dst;
 * returns the bytes written. lwIP frees only whole segments, so the peer may have acknowledged
 * the head of the first one (lastack inside it): only its unacknowledged tail is copied.
 */
static uint32_t segs_copy(struct tcp_seg *seg, uint32_t from, uint8_t *dst, bool *fin)
{
	uint32_t n = 0;

	for (; seg; seg = seg->next) {
		if (TCPH_FLAGS(seg->tcphdr) & TCP_FIN)
			*fin = true;
		uint32_t seq = lwip_ntohl(seg->tcphdr->seqno), skip = 0;
		if (TCP_SEQ_LT(seq, from))
			skip = from - seq < seg->len ? from - seq : seg->len;
		if (seg->len == skip)
			continue;
		if (dst)
			pbuf_copy_partial(seg->p, dst + n, (u16_t)(seg->len - skip),
					  (u16_t)(seg->p->tot_len - seg->len + skip));
		n += seg->len - skip;
	}
	return n;
}

static struct stack_conn_export *conn_export(struct tcp_pcb *pcb)
{
	bool fin = false;
	uint32_t data = segs_copy(pcb->unacked, pcb->lastack, NULL, &fin) +
			segs_copy(pcb->unsent, pcb->lastack, NULL, &fin);
	struct stack_conn_export *e = kmalloc(sizeof(*e) + data);

	if (!e)
		return NULL;
	e->local_ip = ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip));
	e->remote_ip = ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip));
	e->local_port = pcb->local_port;
	e->remote_port = pcb->remote_port;
	e->state = (uint8_t)pcb->state;
	e->mss = pcb->mss;
	e->sa = pcb->sa;
	e->sv = pcb->sv;
	e->rto = pcb->rto;
	e->rcv_nxt = pcb->rcv_nxt;
	e->rcv_wnd = pcb->rcv_wnd;
	e->rcv_ann_wnd = pcb->rcv_ann_wnd;
	e->rcv_ann_right_edge = pcb->rcv_ann_right_edge;
	e->lastack = pcb->lastack;
	e->snd_nxt = pcb->snd_nxt;
	e->snd_wl1 = pcb->snd_wl1;
	e->snd_wl2 = pcb->snd_wl2;
	e->snd_wnd = pcb->snd_wnd;
	e->snd_wnd_max = pcb->snd_wnd_max;
	e->cwnd = pcb->cwnd;
	e->ssthresh = pcb->ssthresh;
	fin = false;
	e->data_len = segs_copy(pcb->unacked, pcb->lastack, e->bytes, &fin);
	e->data_len += segs_copy(pcb->unsent, pcb->lastack, e->bytes + e->data_len, &fin);
	e->fin_queued = fin || (pcb->flags & TF_FIN);
	ixconn_export(pcb, e);
	return e;
}

unsigned stack_export_group(struct stack_ctx *ctx, unsigned group,
				   void (*emit)(struct stack_conn_export *e, void *arg), void *arg)
{
	struct tcp_pcb *pcb = tcp_active_pcbs, *next;
	unsigned n = 0;

	for (; pcb; pcb = next) {
		next = pcb->next;
		if (stack_flow_group(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip))),
				     lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip))),
				     pcb->remote_port, pcb->local_port) != group)
			continue;
		struct stack_conn_export *e = conn_export(pcb);
		if (!e) {
			ctx->st->conns_lost++;
			ixconn_lost(pcb); /* the app hears it is dead */
		}
		tcp_err(pcb, NULL);
		tcp_abandon(pcb, !e); /* gone from here, without a word to the peer (unless lost) */
		if (e) {
			emit(e, arg);
			n++;
		}
	}
	ctx->st->conns_exported += n;
	return n;
}

/*
 * A connection still in its handshake: it belongs to this instance's listener on the same
 * port now, and our SYN-ACK is queued again (the peer may not have it). The peer's ACK then
 * completes the handshake here and the listener's accept callback takes the connection.
 */
static int import_half_open(struct stack_ctx *ctx, struct tcp_pcb *pcb,
			    struct stack_conn_export *e)
{
	struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs;

	while (l && l->local_port != pcb->local_port)
		l = l->next;
	pcb->listener = l;
	if (!l || tcp_enqueue_flags(pcb, TCP_SYN | TCP_ACK) != ERR_OK) {
		ctx->st->conns_lost++;
		tcp_abort(pcb);
		export_free(e);
		return -1;
	}
	l->accepts_pending++;
	tcp_set_flags(pcb, TF_BACKLOGPEND);
	tcp_output(pcb);
	ctx->st->conns_imported++;
	export_free(e);
	return 0;
}

int stack_import_conn(struct stack_ctx *ctx, struct stack_conn_export *e)
{
	struct tcp_pcb *pcb = tcp_alloc(TCP_PRIO_NORMAL);

	if (!pcb) {
		ctx->st->conns_lost++;
		export_free(e);
		return -1;
	}
	ip_addr_set_ip4_u32(&pcb->local_ip, e->local_ip);
	ip_addr_set_ip4_u32(&pcb->remote_ip, e->remote_ip);
	pcb->local_port = e->local_port;
	pcb->remote_port = e->remote_port;
	pcb->state = (enum tcp_state)e->state;
	/* As ixconn.c's listeners and the connections they accept: a TIME_WAIT left here must
	 * not keep this core's next listener off the port. */
	ip_set_option(pcb, SOF_REUSEADDR);
	pcb->mss = e->mss;
	pcb->sa = e->sa;
	pcb->sv = e->sv;
	pcb->rto = e->rto;
	pcb->rcv_nxt = e->rcv_nxt;
	pcb->rcv_wnd = (tcpwnd_size_t)e->rcv_wnd;
	pcb->rcv_ann_wnd = (tcpwnd_size_t)e->rcv_ann_wnd;
	pcb->rcv_ann_right_edge = e->rcv_ann_right_edge;
	/* Everything from the oldest unacknowledged byte on goes out again from here. */
	pcb->lastack = pcb->snd_nxt = pcb->snd_lbb = e->lastack;
	pcb->snd_wl1 = e->snd_wl1;
	pcb->snd_wl2 = e->snd_wl2;
	pcb->snd_wnd = (tcpwnd_size_t)e->snd_wnd;
	pcb->snd_wnd_max = (tcpwnd_size_t)e->snd_wnd_max;
	pcb->cwnd = (tcpwnd_size_t)e->cwnd;
	pcb->ssthresh = (tcpwnd_size_t)e->ssthresh;
	pcb->tmr = tcp_ticks;
	TCP_REG_ACTIVE(pcb);
	if (pcb->state == SYN_RCVD)
		return import_half_open(ctx, pcb, e);
	/* The bytes the peer has not acknowledged come first, in order; the app's after. */
	uint32_t off = 0;
	while (off < e->data_len) {
		uint32_t n = e->data_len - off;
		if (n > tcp_sndbuf(pcb))
			n = tcp_sndbuf(pcb);
		if (n > 0xffff)
			n = 0xffff;
		if (!n || tcp_write(pcb, e->bytes + off, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		off += n;
	}
	if (off < e->data_len ||
	    (e->fin_queued && tcp_enqueue_flags(pcb, TCP_FIN) != ERR_OK) ||
	    ixconn_adopt(pcb, e)) {
		/* A stream with a hole is worse than a reset: tell the peer. */
		ctx->st->conns_lost++;
		tcp_abort(pcb);
		export_free(e);
		return -1;
	}
	if (e->fin_queued)
		tcp_set_flags(pcb, TF_FIN);
	/*
	 * The peer may acknowledge anything the old core sent: a snd_nxt back at lastack would
	 * make lwIP drop those ACKs as acknowledging unsent data, and with a cwnd smaller than
	 * what was in flight the connection never gets past them. So the queue counts as sent
	 * up to the old snd_nxt and is retransmitted from lastack, as after an RTO.
	 */
	if (TCP_SEQ_GT(e->snd_nxt, pcb->lastack) && TCP_SEQ_LEQ(e->snd_nxt, pcb->snd_lbb + 1)) {
		pcb->snd_nxt = e->snd_nxt;
		pcb->rto_end = e->snd_nxt;
		tcp_set_flags(pcb, TF_RTO);
	}
	tcp_output(pcb);
	ctx->st->conns_imported++;
	export_free(e);
	return 0;
}
