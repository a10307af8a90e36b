/*
 * The kernel half of libix for one stack instance: TCP connections as the app sees them
 * (handles, cookies), the batched calls it makes, and the event conditions it is given
 * (user/libix/ix_abi.h). Runs on the instance's core only, so nothing here takes a lock.
 *
 * Zero copy both ways. Received payload stays in the NIC buffer it arrived in: the recv
 * callback takes the buffer out of lwIP's pbuf and keeps it on the connection until the app
 * says recv_done; the app reads it through the read-only mapping of the packet pools.
 * sendv hands lwIP the app's own pages (through the kernel's direct map), so the NIC
 * gathers the payload straight from app memory; `sent` tells the app when it is acknowledged.
 * The receive window opens only as the app finishes with what it got (explicit flow control).
 */
#include "kernel/ixcall.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/user.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net/dataplane.h"
#include "net/rss.h"
#include "drivers/nic.h"
#include "net/stack/ixconn.h"
#include "net/stack/connmem.h"
#include "net/stack/ixconn_priv.h"
#include "net/stack/rxmem.h"

static struct ixconn *ixc_chunks[IXC_CHUNKS_MAX];
static uint32_t ixc_nchunks;
static struct ixconn *ixc_free_list, *ixc_dirty_head, *ixc_dirty_tail;
static struct tcp_pcb *ixc_listeners[IXC_LISTEN_MAX];
struct stack_ctx *ixc_ctx;
static bool ixc_attached;
struct ixconn *ixc_owed_head; /* connections with window credit held back */

void ixconn_init(struct stack_ctx *ctx)
{
	ixc_ctx = ctx;
}

/* Adds a chunk of free entries (IXC_CHUNK, or what the budget has left): true if it did. */
static bool ixc_grow(void)
{
	uint64_t have = (uint64_t)ixc_nchunks * IXC_CHUNK, max = connmem_conn_max();

	if (ixc_nchunks == IXC_CHUNKS_MAX || have >= max)
		return false;
	struct ixconn *chunk = connmem_alloc(IXC_CHUNK * sizeof(*chunk)); /* zeroed: all free */
	if (!chunk)
		return false;
	/* Only the budget's entries go on the free list; the rest of a last chunk stays free
	 * forever (a handle naming one finds it IXC_FREE). */
	int n = max - have < IXC_CHUNK ? (int)(max - have) : IXC_CHUNK;
	for (int i = n - 1; i >= 0; i--) {
		chunk[i].idx = ixc_nchunks * IXC_CHUNK + (uint32_t)i;
		chunk[i].next = ixc_free_list;
		ixc_free_list = &chunk[i];
	}
	ixc_chunks[ixc_nchunks++] = chunk;
	return true;
}

static uint64_t ixc_handle(const struct ixconn *c)
{
	return (uint64_t)c->gen << 32 | c->idx;
}

static struct ixconn *ixc_lookup(uint64_t handle)
{
	uint32_t i = (uint32_t)handle;

	if (i / IXC_CHUNK >= ixc_nchunks)
		return NULL;
	struct ixconn *c = &ixc_chunks[i / IXC_CHUNK][i % IXC_CHUNK];
	if (c->gen != (uint32_t)(handle >> 32) || c->state == IXC_FREE)
		return NULL;
	return c;
}

static struct ixconn *ixc_alloc(void)
{
	struct ixconn *c = ixc_free_list;

	if (!c && ixc_grow())
		c = ixc_free_list;
	if (!c)
		return NULL;
	ixc_free_list = c->next;
	uint32_t gen = c->gen, idx = c->idx;
	*c = (struct ixconn){.gen = gen, .idx = idx};
	return c;
}

void ixc_mark(struct ixconn *c, uint8_t ev)
{
	c->ev |= ev;
	if (c->dirty)
		return;
	c->dirty = true;
	c->next = NULL;
	if (ixc_dirty_tail)
		ixc_dirty_tail->next = c;
	else
		ixc_dirty_head = c;
	ixc_dirty_tail = c;
}

static void ixc_unhook(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

/* Gives c back (its handle goes stale). It must not be on the dirty list. */
static void ixc_free(struct ixconn *c)
{
	ixc_rx_release_all(c);
	c->state = IXC_FREE;
	c->gen++;
	c->next = ixc_free_list;
	ixc_free_list = c;
}

/* Drops c from the dirty list (walks it: only close and detach need this). */
static void ixc_undirty(struct ixconn *c)
{
	struct ixconn **pp = &ixc_dirty_head, *prev = NULL;

	if (!c->dirty)
		return;
	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp)
		*pp = c->next;
	if (ixc_dirty_tail == c)
		ixc_dirty_tail = prev;
	c->dirty = false;
}

static err_t ixc_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct ixconn *c = arg;

	(void)pcb;
	if (c) {
		c->sent += len;
		ixc_mark(c, EV_SENT);
	}
	return ERR_OK;
}

static int32_t ixc_err_status(err_t err)
{
	return err == ERR_RST	 ? -IX_ECONNRESET
	       : err == ERR_ABRT ? -IX_ECONNABORTED
				 : -IX_ECONNRESET;
}

static void ixc_err_cb(void *arg, err_t err)
{
	struct ixconn *c = arg;

	if (!c)
		return;
	c->pcb = NULL; /* lwIP has freed it */
	if (c->state == IXC_CONNECTING) {
		c->state = IXC_DEAD;
		c->status = err == ERR_RST ? -IX_ECONNREFUSED : -IX_ETIMEDOUT;
		ixc_mark(c, EV_CONNECTED);
		return;
	}
	if (c->state == IXC_KNOCK && (c->ev & EV_KNOCK)) {
		/* The app never heard of it: forget it quietly. */
		ixc_undirty(c);
		ixc_free(c);
		return;
	}
	c->state = IXC_DEAD;
	c->status = ixc_err_status(err);
	ixc_mark(c, EV_DEAD);
}

static void ixc_hook(struct ixconn *c, struct tcp_pcb *pcb)
{
	c->pcb = pcb;
	c->tuple = rxmem_tuple(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)), pcb->remote_port,
			       pcb->local_port);
	tcp_arg(pcb, c);
	tcp_recv(pcb, ixc_recv_cb);
	tcp_sent(pcb, ixc_sent_cb);
	tcp_err(pcb, ixc_err_cb);
	/*
	 * No Nagle: an app's send is a whole reply it wants out now (the batch is the
	 * coalescing). With Nagle, a reply over one MSS kept its last piece until the peer
	 * ACKed the rest, and a peer that delays its ACKs (Linux: up to 40 ms) added that to
	 * every such reply: memcached ETC's p99 was 42 ms at any load.
	 */
	tcp_nagle_disable(pcb);
}

/*
 * A connection reset because a limit said so is counted at once and logged at most once a
 * second (with how many since the last line), never per packet: a flood must not flood the
 * console too.
 */
static void ixc_refused(const char *why)
{
	static uint64_t next_us, since;

	ixc_ctx->st->tcp_refused++;
	since++;
	uint64_t now = time_uptime_us();
	if (now < next_us)
		return;
	next_us = now + 1000000;
	log_warn("dataplane: cpu%u refused %lu connection%s (%s)", this_cpu()->id,
		 (unsigned long)since, since == 1 ? "" : "s", why);
	since = 0;
}

static err_t ixc_accept_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct ixconn *c;

	(void)arg;
	if (err != ERR_OK || !pcb) {
		if (err == ERR_MEM) /* lwIP had no PCB for the SYN: it is dropped */
			ixc_refused("connection memory full: see conn_mem=");
		return ERR_VAL;
	}
	if (!ixc_attached || !(c = ixc_alloc())) {
		ixc_refused(ixc_attached ? "connection memory full: see conn_mem="
					 : "no app serves them");
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->state = IXC_KNOCK;
	ixc_hook(c, pcb);
	ixc_mark(c, EV_KNOCK);
	ixc_ctx->st->tcp_accepted++;
	return ERR_OK;
}

static err_t ixc_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct ixconn *c = arg;

	(void)pcb;
	if (c) {
		c->state = IXC_OPEN;
		c->status = err == ERR_OK ? 0 : -IX_ECONNREFUSED;
		ixc_mark(c, EV_CONNECTED);
	}
	return ERR_OK;
}

static int64_t ixc_listen(uint16_t port)
{
	unsigned free_slot = IXC_LISTEN_MAX;

	if (port == 0)
		return -IX_EINVAL;
	for (unsigned i = 0; i < IXC_LISTEN_MAX; i++) {
		if (ixc_listeners[i] && ixc_listeners[i]->local_port == port)
			return 0; /* another thread of the app asked already */
		if (!ixc_listeners[i] && free_slot == IXC_LISTEN_MAX)
			free_slot = i;
	}
	if (free_slot == IXC_LISTEN_MAX)
		return -IX_ENOMEM;
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb)
		return -IX_ENOMEM;
	/* As servers on Linux do (SO_REUSEADDR): the port is free for a new listener while
	 * connections of the app before sit in TIME_WAIT; their 4-tuples stay unique. */
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
		tcp_abort(pcb);
		log_warn("app %s: cannot listen on TCP port %u on cpu %u: in use",
			 this_cpu()->app->name, port, this_cpu()->id);
		return -IX_EADDRINUSE;
	}
	struct tcp_pcb *l = tcp_listen(pcb);
	if (!l) {
		tcp_abort(pcb);
		log_warn("app %s: cannot listen on TCP port %u on cpu %u: no memory",
			 this_cpu()->app->name, port, this_cpu()->id);
		return -IX_ENOMEM;
	}
	tcp_accept(l, ixc_accept_cb);
	ixc_listeners[free_slot] = l;
	log_info("app %s: listening on TCP port %u on cpu %u", this_cpu()->app->name, port,
		 this_cpu()->id);
	return 0;
}

static int ixc_port_in_use(uint16_t port, void *arg)
{
	(void)arg;
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		if (p->local_port == port)
			return 1;
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		if (p->local_port == port)
			return 1;
	for (struct tcp_pcb_listen *p = tcp_listen_pcbs.listen_pcbs; p; p = p->next)
		if (p->local_port == port)
			return 1;
	return 0;
}

static int64_t ixc_connect(uint64_t cookie, uint32_t addr, uint16_t port)
{
	struct ixconn *c;
	ip_addr_t remote;

	if (!addr || !port)
		return -IX_EINVAL;
	/* A local port whose replies the NIC steers to this core (flow consistency). */
	uint16_t lport =
	    rss_pick_port(nic_rss_default_key, dataplane_owner_table(), ixc_ctx->ip, addr, port,
			  ixc_ctx->queue, (uint16_t)stack_rand(), ixc_port_in_use, NULL);
	if (!lport)
		return -IX_EADDRINUSE;
	if (!(c = ixc_alloc()))
		return -IX_ENOMEM;
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb) {
		ixc_free(c);
		return -IX_ENOMEM;
	}
	c->cookie = cookie;
	c->state = IXC_CONNECTING;
	ixc_hook(c, pcb);
	ip_addr_set_ip4_u32(&remote, lwip_htonl(addr));
	if (tcp_bind(pcb, IP_ADDR_ANY, lport) != ERR_OK ||
	    tcp_connect(pcb, &remote, port, ixc_connected_cb) != ERR_OK) {
		ixc_unhook(pcb);
		tcp_abort(pcb);
		ixc_free(c);
		return -IX_ENOMEM;
	}
	return (int64_t)ixc_handle(c);
}

static int64_t ixc_sendv(struct ixconn *c, const struct ix_call *call, ixcall_lookup_fn lookup,
			 void *arg)
{
	struct ixcall_piece pieces[16];
	uint64_t bytes, done = 0;

	if (c->state != IXC_OPEN || !c->pcb)
		return c->state == IXC_DEAD ? c->status : -IX_ENOTCONN;
	uint64_t room = tcp_sndbuf(c->pcb);
	int n = ixcall_map_iov(call, room, pieces, 16, &bytes, lookup, arg);
	if (n < 0)
		return n;
	/* Received memory may go out only from buffers this connection holds and the app was
	 * told of: a released one may hold another connection's data by now. */
	for (int i = 0; i < n; i++)
		if (user_rx_region_has(pieces[i].phys) &&
		    !ixc_rx_holds(c, pieces[i].phys, pieces[i].len))
			return -IX_EFAULT;
	for (int i = 0; i < n; i++) {
		/* No copy: lwIP keeps pointers to the app's pages (through the direct map) until
		 * the bytes are acknowledged; the NIC gathers them from there. */
		u8_t flags = i + 1 < n ? TCP_WRITE_FLAG_MORE : 0;
		if (tcp_write(c->pcb, phys_to_virt(pieces[i].phys), (u16_t)pieces[i].len, flags) !=
		    ERR_OK)
			break;
		done += pieces[i].len;
	}
	if (done)
		tcp_output(c->pcb);
	return (int64_t)done;
}

static int64_t ixc_close(struct ixconn *c)
{
	if (c->pcb) {
		struct tcp_pcb *pcb = c->pcb;
		ixc_unhook(pcb);
		/* What is queued still goes out, then the FIN; lwIP frees the pcb in the end. */
		if (tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	ixc_undirty(c);
	ixc_free(c);
	return 0;
}

int64_t ixconn_exec(const struct ix_call *call, ixcall_lookup_fn lookup, void *arg)
{
	struct ixconn *c = NULL;

	switch (call->op) {
	case IX_OP_LISTEN:
		return ixc_listen(call->port);
	case IX_OP_CONNECT:
		return ixc_connect(call->cookie, call->addr, call->port);
	default:
		break;
	}
	if (!(c = ixc_lookup(call->handle)))
		return -IX_EBADF;
	switch (call->op) {
	case IX_OP_ACCEPT:
		if (c->state == IXC_DEAD)
			return c->status;
		if (c->state != IXC_KNOCK)
			return -IX_EINVAL;
		c->state = IXC_OPEN;
		c->cookie = call->cookie;
		if (c->rx_untold || c->eof)
			ixc_mark(c, 0); /* data that came before the accept */
		return 0;
	case IX_OP_SENDV:
		return ixc_sendv(c, call, lookup, arg);
	case IX_OP_RECV_DONE:
		return ixc_recv_done(c, call->bytes);
	case IX_OP_CLOSE:
		return ixc_close(c);
	default:
		return -IX_EINVAL;
	}
}

static uint64_t ixc_user_addr(const void *p)
{
	return IX_RXMAP_BASE + virt_to_phys(p);
}

/* Writes c's pending events (at most max); returns how many, and whether c is done. */
static unsigned ixc_emit(struct ixconn *c, struct ix_event *ev, unsigned max, bool *done)
{
	unsigned n = 0;

	*done = false;
	if (c->ev & EV_KNOCK) {
		if (n == max)
			return n;
		ip4_addr_t *ra = ip_2_ip4(&c->pcb->remote_ip);
		ev[n++] = (struct ix_event){.type = IX_EV_KNOCK,
					    .handle = ixc_handle(c),
					    .addr = lwip_ntohl(ip4_addr_get_u32(ra)),
					    .port = c->pcb->remote_port};
		c->ev &= (uint8_t)~EV_KNOCK;
	}
	if (c->state == IXC_KNOCK) {
		*done = true; /* nothing more until the app accepts */
		return n;
	}
	if (c->ev & EV_CONNECTED) {
		if (n == max)
			return n;
		ev[n++] = (struct ix_event){.type = IX_EV_CONNECTED,
					    .cookie = c->cookie,
					    .handle = ixc_handle(c),
					    .status = c->status};
		c->ev &= (uint8_t)~EV_CONNECTED;
	}
	if (c->ev & EV_MOVED) {
		if (n == max)
			return n;
		ev[n++] = (struct ix_event){
		    .type = IX_EV_MOVED, .cookie = c->cookie, .handle = ixc_handle(c)};
		c->ev &= (uint8_t)~EV_MOVED;
	}
	for (; c->rx_untold; c->rx_untold = c->rx_untold->next, c->rx_untold_off = 0) {
		struct mbuf *m = c->rx_untold;
		if (n == max)
			return n;
		ev[n++] = (struct ix_event){.type = IX_EV_RECV,
					    .cookie = c->cookie,
					    .addr = ixc_user_addr(m->data + c->rx_untold_off),
					    .len = (uint32_t)(m->len - c->rx_untold_off)};
	}
	if (c->eof && !c->eof_told) {
		if (n == max)
			return n;
		ev[n++] = (struct ix_event){.type = IX_EV_RECV, .cookie = c->cookie};
		c->eof_told = true;
	}
	if (c->ev & EV_SENT) {
		if (n == max)
			return n;
		ev[n++] = (struct ix_event){.type = IX_EV_SENT,
					    .cookie = c->cookie,
					    .len = c->sent,
					    .window = c->pcb ? tcp_sndbuf(c->pcb) : 0};
		c->sent = 0;
		c->ev &= (uint8_t)~EV_SENT;
	}
	if (c->ev & EV_DEAD) {
		if (n == max)
			return n;
		ev[n++] =
		    (struct ix_event){.type = IX_EV_DEAD, .cookie = c->cookie, .status = c->status};
		c->ev &= (uint8_t)~EV_DEAD;
	}
	*done = true;
	return n;
}

unsigned ixconn_events(struct ix_event *ev, unsigned max)
{
	unsigned n = 0;

	while (ixc_dirty_head && n < max) {
		struct ixconn *c = ixc_dirty_head;
		bool done;
		n += ixc_emit(c, ev + n, max - n, &done);
		if (!done)
			break;
		ixc_dirty_head = c->next;
		if (!ixc_dirty_head)
			ixc_dirty_tail = NULL;
		c->dirty = false;
	}
	return n;
}

bool ixconn_pending(void)
{
	return ixc_dirty_head != NULL;
}

void ixconn_attach(void)
{
	ixc_attached = true;
}

unsigned ixconn_detach(void)
{
	unsigned reset = 0;

	ixc_attached = false;
	for (unsigned i = 0; i < IXC_LISTEN_MAX; i++) {
		if (ixc_listeners[i] && tcp_close(ixc_listeners[i]) != ERR_OK)
			tcp_abort(ixc_listeners[i]);
		ixc_listeners[i] = NULL;
	}
	ixc_dirty_head = ixc_dirty_tail = NULL;
	for (uint32_t i = 0; i < ixc_nchunks * IXC_CHUNK; i++) {
		struct ixconn *c = &ixc_chunks[i / IXC_CHUNK][i % IXC_CHUNK];
		if (c->state == IXC_FREE)
			continue;
		c->dirty = false;
		if (c->pcb) {
			ixc_unhook(c->pcb);
			tcp_abort(c->pcb); /* the app is gone: the peer gets a reset */
			reset++;
		}
		ixc_free(c);
	}
	ixc_ctx->st->tcp_reset_app += reset;
	return reset;
}

void ixconn_export(struct tcp_pcb *pcb, struct stack_conn_export *e)
{
	struct ixconn *c = pcb->callback_arg;

	e->ix_state = e->ix_eof = e->ix_eof_told = 0;
	e->ix_sent = 0;
	e->ix_cookie = 0;
	e->ix_rx = e->ix_rx_untold = NULL;
	e->ix_rx_untold_off = 0;
	e->ix_owed = 0;
	if (!c)
		return;
	ixc_unhook(pcb);
	e->ix_state = c->state;
	e->ix_cookie = c->cookie;
	e->ix_sent = c->sent;
	e->ix_eof = c->eof;
	e->ix_eof_told = c->eof_told;
	e->ix_rx = c->rx_head; /* the buffers travel with it: the app may be reading them */
	e->ix_rx_untold = c->rx_untold;
	e->ix_rx_untold_off = c->rx_untold_off;
	e->ix_owed = c->owed;
	c->rx_head = c->rx_tail = c->rx_untold = NULL;
	ixc_rx_bufs(c, 0); /* they count on the importer's side from now on */
	ixc_undirty(c);
	ixc_free(c);
}

void ixconn_lost(struct tcp_pcb *pcb)
{
	struct ixconn *c = pcb->callback_arg;

	if (!c)
		return;
	ixc_unhook(pcb);
	c->pcb = NULL;
	if (c->state == IXC_KNOCK && (c->ev & EV_KNOCK)) {
		ixc_undirty(c);
		ixc_free(c);
		return;
	}
	c->state = IXC_DEAD;
	c->status = -IX_ECONNABORTED;
	ixc_mark(c, EV_DEAD);
}

int ixconn_adopt(struct tcp_pcb *pcb, struct stack_conn_export *e)
{
	struct ixconn *c;

	if (!e->ix_state) {
		/* Not the app's (yet): a half-open connection, or one it already closed. */
		tcp_arg(pcb, NULL);
		return 0;
	}
	if (!(c = ixc_alloc()))
		return -1;
	c->state = e->ix_state;
	c->cookie = e->ix_cookie;
	c->sent = e->ix_sent;
	c->eof = e->ix_eof;
	c->eof_told = e->ix_eof_told;
	c->rx_head = e->ix_rx;
	unsigned bufs = 0;
	for (struct mbuf *m = e->ix_rx; m; m = m->next, bufs++)
		c->rx_tail = m;
	c->rx_untold = e->ix_rx_untold;
	c->rx_untold_off = e->ix_rx_untold_off;
	e->ix_rx = NULL;
	ixc_hook(c, pcb);
	ixc_rx_bufs(c, bufs);
	if (e->ix_owed) {
		ixc_owe(c, e->ix_owed); /* paid by ixconn_poll once this core's pool allows */
	}
	/* The app learns the new handle before anything else of this connection. */
	uint8_t ev = c->state == IXC_KNOCK ? EV_KNOCK : EV_MOVED;
	if (c->sent)
		ev |= EV_SENT;
	ixc_mark(c, ev);
	return 0;
}
