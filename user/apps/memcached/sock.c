/*
 * TCP sockets for memcached on ixos, over libix's event loop (ixev): the event loop's side
 * (sockio.c has memcached's side: read, sendmsg, close). memcached reads and writes its
 * connections through plain read() and sendmsg() calls (its per-connection transport
 * pointers, c->read and c->sendmsg); here:
 *   - a knock on this core becomes a descriptor queued for the listener, and memcached's
 *     accept() on this thread takes it: each core accepts the flows RSS gives it;
 *   - received bytes stay where the NIC put them (ixev hands out read-only pointers); read()
 *     copies them into memcached's buffer and releases them at once (ixev_recv_done), which
 *     opens the window: memcached's own read buffer is the flow control;
 *   - sendmsg() copies into a buffer of ours and hands it to ixev_send; the buffer is freed
 *     when the peer acknowledges it (`sent`). A connection may hold SOCK_TX_MAX unacknowledged
 *     bytes: beyond that sendmsg says EAGAIN and memcached waits for EV_WRITE, so a client
 *     that stops reading holds a bounded amount of memory and stalls only itself.
 *   - a connection whose flow group moves to another core (`ixmgr core set`): ixev hands it
 *     to that core's thread (`moving` here, then `moved` there), which becomes its home; the
 *     worker that serves it in memcached leaves its reads, sends and close for the home
 *     (sock.h) until memcached's conn follows it there (mc_conn.c).
 * A connection memcached closes is closed in ixev once ixev has handed the kernel all its
 * queued sends; lwIP may still be sending those from our buffers (the FIN follows them), so
 * the buffers are freed SOCK_GRAVE_NS later.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "user/apps/memcached/port.h"
#include "user/apps/memcached/sock.h"

#define SOCK_GRAVE_NS (60 * 1000000000ull)

struct sock_thread {
	struct sock *knock_head, *knock_tail;
	struct sock *grave;
};

static struct sock_thread sock_threads[PORT_THREADS_MAX];
static int sock_listen_fd = -1;
static uint16_t sock_port;
static unsigned sock_open;

static struct sock_thread *sock_self(void)
{
	return &sock_threads[ix_thread_index() % PORT_THREADS_MAX];
}

unsigned sock_count(int delta)
{
	return __atomic_add_fetch(&sock_open, (unsigned)delta, __ATOMIC_RELAXED);
}

int sock_listener(void)
{
	return sock_listen_fd;
}

uint16_t sock_listen_port(void)
{
	return sock_port;
}

int sock_knocks(void)
{
	return sock_self()->knock_head != NULL;
}

static void sock_free_chunks(struct sock *s)
{
	while (s->tx_head) {
		struct sock_chunk *c = s->tx_head;
		s->tx_head = c->next;
		free(c);
	}
	s->tx_tail = s->tx_unsent = NULL;
}

void sock_free(struct sock *s)
{
	port_spin_lock(&s->lock);
	int queued = s->flushq;
	s->free_owed = (unsigned)queued;
	port_spin_unlock(&s->lock);
	if (queued)
		return; /* sock_flush_mine frees it when it takes it off its list */
	free(s->rx);
	s->rx = NULL;
	sock_count(-1);
	if (s->tx_head && !s->dead) {
		struct sock_thread *t = sock_self();
		s->grave_ns = ix_clock_ns() + SOCK_GRAVE_NS;
		s->next = t->grave;
		t->grave = s;
		return;
	}
	sock_free_chunks(s);
	free(s);
}

void sock_sweep(void)
{
	struct sock_thread *t = sock_self();
	uint64_t now = ix_clock_ns();

	for (struct sock **p = &t->grave; *p;) {
		struct sock *s = *p;
		if (s->grave_ns > now) {
			p = &s->next;
			continue;
		}
		*p = s->next;
		sock_free_chunks(s);
		free(s);
	}
}

/* ---- the event loop's handlers (on the connection's home) ---- */

unsigned sock_fault_after;
static volatile uintptr_t sock_fault_addr = 8;

static void sock_fault(void)
{
	*(volatile int *)sock_fault_addr = 1;
}

static struct ixev_conn *sock_on_knock(uint32_t addr, uint16_t port)
{
	static unsigned knocks;

	port_thread_enter();
	if (sock_listen_fd < 0)
		return NULL;
	if (sock_fault_after &&
	    __atomic_add_fetch(&knocks, 1, __ATOMIC_RELAXED) == sock_fault_after)
		sock_fault(); /* --ixos-fault-after-conns (mc_main.c): the test fault */
	struct sock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = fd_alloc(FD_CONN, s);
	if (s->fd < 0) {
		free(s);
		return NULL; /* over memcached's -c: refused */
	}
	sock_count(1);
	s->raddr = addr;
	s->rport = port;
	s->home = (int)ix_thread_index();
	struct sock_thread *t = sock_self();
	if (t->knock_tail)
		t->knock_tail->next = s;
	else
		t->knock_head = s;
	t->knock_tail = s;
	evl_fd_changed(sock_listen_fd);
	return &s->ix;
}

static void sock_on_recv(struct ixev_conn *ix, const void *data, size_t len)
{
	struct sock *s = (struct sock *)ix;

	port_thread_enter();
	port_spin_lock(&s->lock);
	int fd = s->fd;
	if (fd < 0) {
		port_spin_unlock(&s->lock);
		ixev_recv_done(ix, len); /* closed, waiting to send its last bytes: drop input */
		return;
	}
	if (!len) {
		s->eof = 1;
	} else {
		if (s->rx_n == s->rx_cap) {
			unsigned cap = s->rx_cap ? s->rx_cap * 2 : 16;
			struct sock_seg *rx = malloc(cap * sizeof(*rx));
			if (!rx) {
				s->dead = 1; /* cannot even remember the bytes: drop the peer */
				port_spin_unlock(&s->lock);
				ixev_close(ix);
				evl_fd_changed(fd);
				return;
			}
			for (unsigned i = 0; i < s->rx_n; i++)
				rx[i] = s->rx[(s->rx_head + i) % s->rx_cap];
			free(s->rx);
			s->rx = rx;
			s->rx_head = 0;
			s->rx_cap = cap;
		}
		s->rx[(s->rx_head + s->rx_n++) % s->rx_cap] = (struct sock_seg){data, len};
	}
	port_spin_unlock(&s->lock);
	evl_fd_changed(fd);
}

static void sock_on_sent(struct ixev_conn *ix, size_t bytes)
{
	struct sock *s = (struct sock *)ix;
	int close = 0;

	port_thread_enter();
	port_spin_lock(&s->lock);
	s->tx_unacked -= bytes < s->tx_unacked ? bytes : s->tx_unacked;
	bytes += s->tx_head_acked;
	while (s->tx_head && s->tx_head != s->tx_unsent && bytes >= s->tx_head->len) {
		struct sock_chunk *c = s->tx_head;
		bytes -= c->len;
		s->tx_head = c->next;
		s->tx_chunks--;
		free(c);
	}
	if (!s->tx_head)
		s->tx_tail = NULL;
	s->tx_head_acked = bytes;
	if (s->closing && !ixev_send_pending(ix)) {
		s->closing = 0;
		close = 1; /* everything memcached sent is with the kernel: now the FIN */
	}
	int fd = s->fd;
	port_spin_unlock(&s->lock);
	if (close)
		ixev_close(ix);
	if (fd >= 0)
		evl_fd_changed(fd);
}

static void sock_on_dead(struct ixev_conn *ix, int status)
{
	struct sock *s = (struct sock *)ix;

	(void)status;
	port_thread_enter();
	port_spin_lock(&s->lock);
	s->dead = 1;
	s->rx_n = 0;	     /* the library released them */
	s->rx_owed = 0;
	sock_free_chunks(s); /* the connection is gone: nothing sends from them any more */
	s->tx_unacked = s->tx_chunks = 0;
	int fd = s->fd;
	port_spin_unlock(&s->lock);
	if (fd >= 0)
		evl_fd_changed(fd);
}

static void sock_on_release(struct ixev_conn *ix)
{
	struct sock *s = (struct sock *)ix;

	port_spin_lock(&s->lock);
	s->released = 1;
	int gone = s->fd < 0;
	port_spin_unlock(&s->lock);
	if (gone)
		sock_free(s);
}

/* The connection's flow group moves away from this core: until `moved` on its new core,
 * the worker's reads and sends wait on the sock. */
static void sock_on_moving(struct ixev_conn *ix)
{
	struct sock *s = (struct sock *)ix;

	port_spin_lock(&s->lock);
	s->home = -1;
	port_spin_unlock(&s->lock);
	sock_unflush(s);
}

/* The connection lives on this core now: what the worker left meanwhile goes out, and
 * memcached's conn is asked to follow (mc_conn.c, from its worker's round). */
static void sock_on_moved(struct ixev_conn *ix)
{
	struct sock *s = (struct sock *)ix;

	port_thread_enter();
	port_spin_lock(&s->lock);
	s->home = (int)ix_thread_index();
	int fd = s->fd;
	port_spin_unlock(&s->lock);
	sock_flush(s);
	if (fd >= 0)
		evl_fd_poke(fd);
}

const struct ixev_handlers sock_handlers = {
    .accept = sock_on_knock,
    .recv = sock_on_recv,
    .sent = sock_on_sent,
    .dead = sock_on_dead,
    .release = sock_on_release,
    .moving = sock_on_moving,
    .moved = sock_on_moved,
};

/* ---- the listener ---- */

int sock_accept(struct sockaddr_in *peer)
{
	struct sock_thread *t = sock_self();
	struct sock *s = t->knock_head;

	if (!s) {
		errno = EAGAIN;
		return -1;
	}
	t->knock_head = s->next;
	if (!t->knock_head)
		t->knock_tail = NULL;
	s->next = NULL;
	sock_peer(s, peer);
	return s->fd;
}

void sock_peer(void *sock, struct sockaddr_in *peer)
{
	struct sock *s = sock;

	memset(peer, 0, sizeof(*peer));
	peer->sin_family = AF_INET;
	peer->sin_port = htons(s->rport);
	peer->sin_addr.s_addr = htonl(s->raddr);
}

int sock_listen(int fd)
{
	struct port_fd *e = fd_get(fd);

	if (sock_listen_fd >= 0) {
		errno = EADDRINUSE; /* one listening port per app */
		return -1;
	}
	e->kind = FD_LISTEN;
	sock_port = e->port;
	sock_listen_fd = fd;
	return 0;
}
