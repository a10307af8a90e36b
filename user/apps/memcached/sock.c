/*
 * TCP sockets for memcached on ixos, over libix's event loop (ixev). memcached reads and
 * writes its connections through plain read() and sendmsg() calls (its per-connection
 * transport pointers, c->read and c->sendmsg); here:
 *   - a knock on this core becomes a descriptor queued for the listener, and memcached's
 *     accept() on this thread takes it: each core accepts the flows RSS gives it;
 *   - received bytes stay where the NIC put them (ixev hands out read-only pointers); read()
 *     copies them into memcached's buffer and releases them at once (ixev_recv_done), which
 *     opens the window: memcached's own read buffer is the flow control;
 *   - sendmsg() copies into a buffer of ours and hands it to ixev_send; the buffer is freed
 *     when the peer acknowledges it (`sent`). A connection may hold SOCK_TX_MAX unacknowledged
 *     bytes: beyond that sendmsg says EAGAIN and memcached waits for EV_WRITE, so a client
 *     that stops reading holds a bounded amount of memory and stalls only itself.
 * A connection memcached closes is closed in ixev once ixev has handed the kernel all its
 * queued sends; lwIP may still be sending those from our buffers (the FIN follows them), so
 * the buffers are freed SOCK_GRAVE_NS later.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "user/apps/memcached/port.h"

#define SOCK_TX_MAX   (256 * 1024)
#define SOCK_GRAVE_NS (60 * 1000000000ull)

struct sock_chunk {
	struct sock_chunk *next;
	size_t len;
	char data[];
};

struct sock_seg {
	const char *p;
	size_t len;
};

struct sock {
	struct ixev_conn ix; /* first: ixev's handlers get it back */
	int fd;		     /* -1 once memcached closed it */
	uint32_t raddr;	     /* the peer, host order */
	uint16_t rport;
	unsigned eof : 1, dead : 1, released : 1, closing : 1;
	struct sock *next;   /* this thread's knocks; the graveyard */
	struct sock_seg *rx; /* received, unread: a ring */
	unsigned rx_head, rx_n, rx_cap;
	struct sock_chunk *tx_head, *tx_tail; /* sent, unacknowledged */
	size_t tx_unacked, tx_head_acked;
	unsigned tx_chunks;
	uint64_t grave_ns;
};

struct sock_thread {
	struct sock *knock_head, *knock_tail;
	struct sock *grave;
};

static struct sock_thread sock_threads[PORT_THREADS_MAX];
static int sock_listen_fd = -1;
static uint16_t sock_port;

static struct sock_thread *sock_self(void)
{
	return &sock_threads[ix_thread_index() % PORT_THREADS_MAX];
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
	s->tx_tail = NULL;
}

/* Frees s once memcached closed it and ixev released it. */
static void sock_maybe_free(struct sock *s)
{
	if (s->fd >= 0 || !s->released)
		return;
	free(s->rx);
	s->rx = NULL;
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

/* ---- the event loop's handlers ---- */

static struct ixev_conn *sock_on_knock(uint32_t addr, uint16_t port)
{
	port_thread_enter();
	if (sock_listen_fd < 0)
		return NULL;
	struct sock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = fd_alloc(FD_CONN, s);
	if (s->fd < 0) {
		free(s);
		return NULL; /* over memcached's -c: refused */
	}
	s->raddr = addr;
	s->rport = port;
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
	if (s->fd < 0) {
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
				ixev_close(ix); /* cannot even remember the bytes: drop the peer */
				s->dead = 1;
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
	evl_fd_changed(s->fd);
}

static void sock_on_sent(struct ixev_conn *ix, size_t bytes)
{
	struct sock *s = (struct sock *)ix;

	port_thread_enter();
	s->tx_unacked -= bytes < s->tx_unacked ? bytes : s->tx_unacked;
	bytes += s->tx_head_acked;
	while (s->tx_head && bytes >= s->tx_head->len) {
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
		ixev_close(ix); /* everything memcached sent is with the kernel: now the FIN */
	}
	if (s->fd >= 0)
		evl_fd_changed(s->fd);
}

static void sock_on_dead(struct ixev_conn *ix, int status)
{
	struct sock *s = (struct sock *)ix;

	(void)status;
	port_thread_enter();
	s->dead = 1;
	s->rx_n = 0;	     /* the library released them */
	sock_free_chunks(s); /* the connection is gone: nothing sends from them any more */
	s->tx_unacked = s->tx_chunks = 0;
	if (s->fd >= 0)
		evl_fd_changed(s->fd);
}

static void sock_on_release(struct ixev_conn *ix)
{
	struct sock *s = (struct sock *)ix;

	s->released = 1;
	sock_maybe_free(s);
}

const struct ixev_handlers sock_handlers = {
    .accept = sock_on_knock,
    .recv = sock_on_recv,
    .sent = sock_on_sent,
    .dead = sock_on_dead,
    .release = sock_on_release,
};

/* ---- what fd.c calls ---- */

short sock_conn_ready(void *sock)
{
	struct sock *s = sock;
	short r = 0;

	if (s->rx_n || s->eof || s->dead)
		r |= EV_READ;
	if (s->dead || (s->tx_unacked < SOCK_TX_MAX && s->tx_chunks < IXEV_SENDQ - 1))
		r |= EV_WRITE;
	return r;
}

long sock_read(void *sock, void *buf, size_t len)
{
	struct sock *s = sock;
	size_t done = 0;

	if (s->dead) {
		errno = ECONNRESET;
		return -1;
	}
	while (done < len && s->rx_n) {
		struct sock_seg *g = &s->rx[s->rx_head];
		size_t n = len - done < g->len ? len - done : g->len;
		memcpy((char *)buf + done, g->p, n);
		done += n;
		g->p += n;
		g->len -= n;
		if (!g->len) {
			s->rx_head = (s->rx_head + 1) % s->rx_cap;
			s->rx_n--;
		}
	}
	if (done) {
		ixev_recv_done(&s->ix, done); /* copied out: the window opens */
		return (long)done;
	}
	if (s->eof)
		return 0;
	errno = EAGAIN;
	return -1;
}

long sock_sendmsg(void *sock, const struct iovec *iov, size_t n)
{
	struct sock *s = sock;
	size_t total = 0;

	if (s->dead) {
		errno = ECONNRESET;
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (!total)
		return 0;
	size_t room = SOCK_TX_MAX > s->tx_unacked ? SOCK_TX_MAX - s->tx_unacked : 0;
	if (!room || s->tx_chunks >= IXEV_SENDQ - 1) {
		errno = EAGAIN;
		return -1;
	}
	size_t len = total < room ? total : room;
	struct sock_chunk *c = malloc(sizeof(*c) + len);
	if (!c) {
		errno = ENOMEM;
		return -1;
	}
	c->next = NULL;
	c->len = len;
	for (size_t i = 0, off = 0; off < len; i++) {
		size_t k = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;
		memcpy(c->data + off, iov[i].iov_base, k);
		off += k;
	}
	if (ixev_send(&s->ix, c->data, len)) {
		free(c);
		errno = EPIPE;
		return -1;
	}
	if (s->tx_tail)
		s->tx_tail->next = c;
	else
		s->tx_head = c;
	s->tx_tail = c;
	s->tx_chunks++;
	s->tx_unacked += len;
	return (long)len;
}

void sock_close(void *sock)
{
	struct sock *s = sock;

	s->fd = -1;
	s->rx_n = 0;
	/* ixev drops the sends it has not given the kernel yet, so the close waits for those;
	 * what the kernel took still goes out, then the FIN. `release` follows and frees s. */
	if (s->dead || s->released)
		sock_maybe_free(s);
	else if (ixev_send_pending(&s->ix))
		s->closing = 1;
	else
		ixev_close(&s->ix);
}

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
