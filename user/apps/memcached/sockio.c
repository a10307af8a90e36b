/*
 * memcached's side of a TCP connection on ixos (read, sendmsg, close: sock.c has the event
 * loop's side, sock.h who uses what). memcached's worker calls these; what needs ixev (a
 * release, a send, the close) is left on the sock and carried out by its home, the thread of
 * the connection's core: at once when that is the worker itself, else on the home's next
 * round (its flush list), or when a move in progress ends (`moved`). The order of memcached's
 * sends is kept: the home gives ixev the chunks in the order the worker queued them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "user/apps/memcached/port.h"
#include "user/apps/memcached/sock.h"

#define SOCK_TX_MAX (256 * 1024)

struct sock_flushq {
	volatile int lock;
	struct sock *head;
};

static struct sock_flushq sock_flushqs[PORT_THREADS_MAX];

void sock_kick_locked(struct sock *s)
{
	if (s->home < 0 || s->flushq)
		return; /* moving (`moved` flushes), or asked already */
	struct sock_flushq *q = &sock_flushqs[(unsigned)s->home % PORT_THREADS_MAX];
	s->flushq = 1;
	port_spin_lock(&q->lock);
	s->fnext = q->head;
	q->head = s;
	port_spin_unlock(&q->lock);
	/* The home sees it on its next round: at once if it is this thread (the caller's round
	 * flushes before it ends), else within its tick. */
	evl_wake((unsigned)s->home);
}

void sock_unflush(struct sock *s)
{
	struct sock_flushq *q = &sock_flushqs[ix_thread_index() % PORT_THREADS_MAX];

	port_spin_lock(&q->lock);
	for (struct sock **p = &q->head; *p; p = &(*p)->fnext) {
		if (*p == s) {
			*p = s->fnext;
			break;
		}
	}
	port_spin_unlock(&q->lock);
	port_spin_lock(&s->lock);
	s->flushq = 0;
	port_spin_unlock(&s->lock);
}

void sock_flush_mine(void)
{
	struct sock_flushq *q = &sock_flushqs[ix_thread_index() % PORT_THREADS_MAX];

	if (!__atomic_load_n(&q->head, __ATOMIC_RELAXED))
		return;
	port_spin_lock(&q->lock);
	struct sock *s = q->head;
	q->head = NULL;
	port_spin_unlock(&q->lock);
	while (s) {
		struct sock *next = s->fnext;
		port_spin_lock(&s->lock);
		s->flushq = 0;
		int free_owed = s->free_owed;
		port_spin_unlock(&s->lock);
		if (free_owed)
			sock_free(s);
		else
			sock_flush(s);
		s = next;
	}
}

/* On the home, memcached having closed s: the FIN once ixev has all queued sends. */
static void sock_close_home(struct sock *s)
{
	port_spin_lock(&s->lock);
	int released = s->released, dead = s->dead;
	s->closing = !released && !dead && ixev_send_pending(&s->ix);
	int close = !released && !dead && !s->closing;
	port_spin_unlock(&s->lock);
	if (released)
		sock_free(s); /* ixev is done with it too */
	else if (close)
		ixev_close(&s->ix);
	/* else `sent` closes it once ixev has handed the kernel everything, or (dead) ixev's
	 * `release` frees it. */
}

void sock_flush(struct sock *s)
{
	port_spin_lock(&s->lock);
	if (s->home != (int)ix_thread_index()) {
		port_spin_unlock(&s->lock);
		return; /* not ours (any more): its home flushes it */
	}
	size_t owed = s->rx_owed;
	struct sock_chunk *c = s->dead ? NULL : s->tx_unsent, *last = s->tx_tail;
	int close = s->close_owed;
	s->rx_owed = 0;
	s->tx_unsent = NULL;
	s->close_owed = 0;
	port_spin_unlock(&s->lock);
	/* Only this thread frees chunks (`sent`, `dead`), and the worker only appends after
	 * `last`: the chunks up to it stay as they are. */
	if (owed)
		ixev_recv_done(&s->ix, owed);
	for (; c; c = c->next) {
		ixev_send(&s->ix, c->data, c->len); /* room: tx_chunks < IXEV_SENDQ */
		if (c == last)
			break;
	}
	if (close)
		sock_close_home(s);
}

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

int sock_away(void *sock)
{
	struct sock *s = sock;
	int home = __atomic_load_n(&s->home, __ATOMIC_RELAXED);

	return home >= 0 && home != (int)ix_thread_index() ? home : -1;
}

long sock_read(void *sock, void *buf, size_t len)
{
	struct sock *s = sock;
	size_t done = 0;

	port_spin_lock(&s->lock);
	if (s->dead) {
		port_spin_unlock(&s->lock);
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
	int eof = s->eof;
	if (done) {
		s->rx_owed += done; /* copied out: the window opens */
		sock_kick_locked(s);
	}
	port_spin_unlock(&s->lock);
	sock_flush_mine();
	if (done)
		return (long)done;
	if (eof)
		return 0;
	errno = EAGAIN;
	return -1;
}

long sock_sendmsg(void *sock, const struct iovec *iov, size_t n)
{
	struct sock *s = sock;
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += iov[i].iov_len;
	port_spin_lock(&s->lock);
	int dead = s->dead;
	size_t room = SOCK_TX_MAX > s->tx_unacked ? SOCK_TX_MAX - s->tx_unacked : 0;
	int full = !room || s->tx_chunks >= IXEV_SENDQ - 1;
	port_spin_unlock(&s->lock);
	if (dead) {
		errno = ECONNRESET;
		return -1;
	}
	if (!total)
		return 0;
	if (full) {
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
	port_spin_lock(&s->lock);
	if (s->dead) {
		port_spin_unlock(&s->lock);
		free(c);
		errno = ECONNRESET;
		return -1;
	}
	if (s->tx_tail)
		s->tx_tail->next = c;
	else
		s->tx_head = c;
	s->tx_tail = c;
	if (!s->tx_unsent)
		s->tx_unsent = c;
	s->tx_chunks++;
	s->tx_unacked += len;
	sock_kick_locked(s);
	port_spin_unlock(&s->lock);
	sock_flush_mine();
	return (long)len;
}

void sock_close(void *sock)
{
	struct sock *s = sock;

	port_spin_lock(&s->lock);
	s->fd = -1;
	s->rx_n = 0; /* ixev's close releases them */
	int released = s->released;
	if (!released) {
		s->close_owed = 1;
		sock_kick_locked(s);
	}
	port_spin_unlock(&s->lock);
	if (released)
		sock_free(s); /* ixev let go of it already (it died, or we could not keep up) */
	sock_flush_mine();
}
