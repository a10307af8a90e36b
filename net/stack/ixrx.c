/*
 * The receive side of libix in one stack instance: each connection's queue of received
 * buffers, held until the app says recv_done, accounted by the buffers it pins
 * (net/stack/rxmem.h), compacted when segments are small, and the window that opens only
 * as the app finishes with what it got (and, under memory pressure, later still).
 */
#include "kernel/lib/string.h"
#include "kernel/paging.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net/dataplane.h"
#include "net/stack/ixconn.h"
#include "net/stack/ixconn_priv.h"
#include "net/stack/rxmem.h"
#include "user/libix/ix_abi.h"

/* c now holds n buffers: the core's accounting and c's heavy mark follow. */
void ixc_rx_bufs(struct ixconn *c, unsigned n)
{
	c->heavy = rxmem_account(ixc_ctx, c->tuple, c->heavy, c->rx_bufs, n);
	c->rx_bufs = (uint16_t)n;
}

void ixc_owe(struct ixconn *c, uint32_t bytes)
{
	c->owed += bytes;
	if (!c->owed_listed) {
		c->owed_listed = true;
		c->owed_next = ixc_owed_head;
		ixc_owed_head = c;
	}
}

/* Drops c from the owed list (its credit is forgotten: the connection is going). */
static void ixc_unowe(struct ixconn *c)
{
	if (!c->owed_listed)
		return;
	for (struct ixconn **pp = &ixc_owed_head; *pp; pp = &(*pp)->owed_next)
		if (*pp == c) {
			*pp = c->owed_next;
			break;
		}
	c->owed_listed = false;
	c->owed = 0;
}

void ixc_rx_release_all(struct ixconn *c)
{
	dataplane_rx_chain_done(c->rx_head);
	c->rx_head = c->rx_tail = c->rx_untold = NULL;
	c->rx_untold_off = 0;
	ixc_rx_bufs(c, 0);
	ixc_unowe(c);
}

/* Appends one buffer (payload at data, len bytes) to c's receive queue. */
static void ixc_rx_append(struct ixconn *c, struct mbuf *m)
{
	m->next = NULL;
	if (c->rx_tail)
		c->rx_tail->next = m;
	else
		c->rx_head = m;
	c->rx_tail = m;
	if (!c->rx_untold) {
		c->rx_untold = m;
		c->rx_untold_off = 0;
	}
	ixc_rx_bufs(c, c->rx_bufs + 1u);
}

/*
 * Compaction: a small segment is copied into the free room after the payload of c's last
 * buffer, and its own buffer goes back at once, so small segments pin memory by their size,
 * not a whole buffer each. The app may be reading the earlier bytes of that buffer (or the
 * NIC sending from them): they are not touched, only the room after them. Returns whether
 * the bytes went in.
 */
static bool ixc_rx_compact(struct ixconn *c, const uint8_t *data, unsigned len)
{
	struct mbuf *t = c->rx_tail;

	if (!t || len > RXMEM_COMPACT_MAX ||
	    (size_t)(t->buf + MBUF_BUF_SIZE - (t->data + t->len)) < len)
		return false;
	memcpy(t->data + t->len, data, len);
	if (!c->rx_untold) {
		c->rx_untold = t;
		c->rx_untold_off = t->len;
	}
	t->len = (uint16_t)(t->len + len);
	ixc_ctx->st->rx_compacted++;
	return true;
}

err_t ixc_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct ixconn *c = arg;
	unsigned copies = 0;

	(void)pcb;
	if (!c || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		c->eof = true;
		ixc_mark(c, 0);
		return ERR_OK;
	}
	/* Pieces not in an NIC buffer (rare: migrated data) are copied into one; count first,
	 * so a shortage refuses the whole chain (lwIP offers it again) rather than a part. */
	for (struct pbuf *q = p; q; q = q->next)
		if (q->len && !stack_rx_pbuf_owns(q))
			copies += (q->len + MBUF_DATA_ROOM - 1) / MBUF_DATA_ROOM;
	if (copies > ixc_ctx->pool->avail)
		return ERR_MEM;
	for (struct pbuf *q = p; q; q = q->next) {
		if (!q->len)
			continue;
		if (ixc_rx_compact(c, q->payload, q->len))
			continue; /* pbuf_free below gives its buffer back */
		struct mbuf *m = stack_rx_pbuf_take(q);
		if (m) {
			ixc_rx_append(c, m);
			continue;
		}
		for (u16_t off = 0; off < q->len;) {
			m = mbuf_alloc(ixc_ctx->pool);
			u16_t n = (u16_t)LWIP_MIN(q->len - off, MBUF_DATA_ROOM);
			memcpy(m->data, (uint8_t *)q->payload + off, n);
			m->len = n;
			off = (u16_t)(off + n);
			ixc_ctx->st->rx_copied++;
			ixc_rx_append(c, m);
		}
	}
	pbuf_free(p); /* the wrappers only: the buffers are ours now */
	ixc_mark(c, 0);
	return ERR_OK;
}

/* Opens c's window by n bytes (lwIP takes at most 0xffff at a time). */
static void ixc_open_window(struct ixconn *c, uint64_t n)
{
	while (c->pcb && n) {
		u16_t k = (u16_t)LWIP_MIN(n, 0xffff);
		tcp_recved(c->pcb, k);
		n -= k;
	}
}

int64_t ixc_recv_done(struct ixconn *c, uint64_t bytes)
{
	uint64_t left = bytes;
	unsigned freed = 0;

	/* Only bytes the app was told of can be done with; the first untold buffer may have a
	 * told beginning (compaction appends to a buffer the app already reads). */
	while (left && c->rx_head) {
		struct mbuf *m = c->rx_head;
		unsigned told = m == c->rx_untold ? c->rx_untold_off : m->len;
		if (!told)
			break;
		if (left < told || told < m->len) {
			uint16_t k = (uint16_t)LWIP_MIN(left, told);
			m->data += k;
			m->len = (uint16_t)(m->len - k);
			if (m == c->rx_untold)
				c->rx_untold_off = (uint16_t)(c->rx_untold_off - k);
			left -= k;
			break;
		}
		left -= m->len;
		c->rx_head = m->next;
		if (!c->rx_head)
			c->rx_tail = NULL;
		m->next = NULL;
		dataplane_rx_buf_done(m);
		freed++;
	}
	if (freed)
		ixc_rx_bufs(c, c->rx_bufs - freed);
	uint64_t done = bytes - left;
	/* The window opens by what the app has finished with; under memory pressure a heavy
	 * connection's opening is held back until the pool recovers (ixconn_poll). */
	if (done && c->pcb && c->heavy && rxmem_pressure(ixc_ctx)) {
		ixc_owe(c, (uint32_t)done);
		ixc_ctx->st->rx_wnd_withheld++;
	} else {
		ixc_open_window(c, done);
	}
	return left ? -IX_EINVAL : 0;
}

void ixconn_poll(void)
{
	if (!ixc_owed_head || rxmem_pressure(ixc_ctx))
		return;
	while (ixc_owed_head) {
		struct ixconn *c = ixc_owed_head;
		ixc_owed_head = c->owed_next;
		c->owed_listed = false;
		ixc_open_window(c, c->owed);
		c->owed = 0;
	}
}

bool ixc_rx_holds(const struct ixconn *c, uint64_t phys, uint64_t len)
{
	for (const struct mbuf *m = c->rx_head; m; m = m->next) {
		uint64_t start = mbuf_data_phys(m);
		uint64_t told = m == c->rx_untold ? c->rx_untold_off : m->len;
		if (phys >= start && len <= told && phys - start <= told - len)
			return true;
		if (m == c->rx_untold)
			break; /* nothing after it was told */
	}
	return false;
}
