/*
 * The libix event loop (user/libix/ix.h): per-thread batches of calls, events turned into
 * callbacks, a send queue per connection that feeds sendv as the window allows, timers.
 * Everything here is per thread except the handlers, which thread 0 sets before it lets the
 * other threads start, and the hand-over of a connection whose flow group moved.
 *
 * Moves. The kernel moves a connection between two batches of its old core's thread: that
 * thread is parked in ix_run, its calls of the batch already run. The new core then reports
 * IX_EV_MOVED (new handle) and the connection's further events to its own thread; calls the
 * old thread makes with the old handle fail with -IX_EBADF. The hand-over, without locks on
 * the fast path:
 *   1. the new thread, on MOVED, marks c moving (XS_MOVING, under c->xlock), notes itself and
 *      the handle, and puts c on the old thread's `leave` list; c's later events are kept on
 *      c (xev), not handled;
 *   2. the old thread (c->home), between batches: takes c's calls out of its unsent batch (a
 *      sendv is offered again from the send queue, released bytes are owed, a close is owed),
 *      calls `moving`, and puts c on the newest core's `adopt` list; calls that already
 *      failed with EBADF were turned into the same debts (CF_GONE);
 *   3. the new thread, between batches: takes the new handle, pays the debts, calls `moved`,
 *      handles the kept events in order, and sends the queue. If c moved on meanwhile, the
 *      thread that adopts is the newest core's; an older one passes c on.
 * While any connection is open, every thread wakes at least every IXEV_MOVE_POLL_US to look
 * at its lists (an app cannot wake another core's thread): a hand-over takes about that
 * long on busy cores, and up to the kernel's tick (10 ms) on idle, halted ones.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "user/apps/sys.h"
#include "user/libix/ix.h"

#define IXEV_THREADS_MAX 64
#define IXEV_TIMERS 16

#define CF_SENDING 1u	 /* a sendv is in the batch, its result not back yet */
#define CF_CLOSED 2u	 /* the app closed it, or it is dead */
#define CF_GONE 4u	 /* its handle failed with EBADF: it moved, MOVED comes elsewhere */
#define CF_OWE_CLOSE 8u	 /* closed while moving: the new core closes it */
#define CF_CLOSE_RAN 16u /* its close ran: it may be released */

#define XS_MOVING 1u /* a MOVED came and the new thread has not adopted c yet */

#define IXEV_MOVE_POLL_US 1000

struct ixev_timer {
	uint64_t due_ns;
	void (*fn)(void *arg);
	void *arg;
};

struct ixev_thread {
	unsigned ncalls;
	struct ixev_conn *owner[IX_BATCH_MAX]; /* the connection each queued call is for */
	struct ixev_timer timers[IXEV_TIMERS];
	struct ixev_conn *released; /* closed or dead: `release` once the close ran */
	volatile int xlock;	    /* for the two lists below, which other threads fill */
	struct ixev_conn *leave;    /* moved away: to hand over */
	struct ixev_conn *adopt;    /* moved here: handed over, to take */
};

static struct ixev_thread ixev_threads[IXEV_THREADS_MAX];
static const struct ixev_handlers *ixev_h;
static uint16_t ixev_port;
static volatile int ixev_started;
static unsigned ixev_nthreads;
static unsigned ixev_nconns; /* open in all threads (atomic): while any, threads poll */

static void ixev_lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static void ixev_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* Puts c on one of thread tid's hand-over lists (which: the offset of leave or adopt). */
static void ixev_push(unsigned tid, size_t list, struct ixev_conn *c)
{
	struct ixev_thread *t = &ixev_threads[tid % IXEV_THREADS_MAX];
	struct ixev_conn **head = (struct ixev_conn **)((char *)t + list);

	ixev_lock(&t->xlock);
	c->xnext = *head;
	*head = c;
	ixev_unlock(&t->xlock);
}

long ix_run(unsigned ncalls, unsigned flags, uint64_t timeout_us)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"((long)SYS_IX_RUN), "D"((long)ncalls), "S"((long)flags),
			   "d"((long)timeout_us)
			 : "rcx", "r11", "memory");
	return r;
}

unsigned ix_thread_index(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	return (unsigned)((IX_STACK_TOP - sp) / IX_STACK_STRIDE);
}

unsigned ix_thread_count(void)
{
	return ixev_nthreads;
}

struct ix_shared *ix_shared(void)
{
	return (struct ix_shared *)(IX_SHARED_BASE + ix_thread_index() * IX_SHARED_STRIDE);
}

uint64_t ix_clock_ns(void)
{
	return (uint64_t)sys3(SYS_CLOCK, 0, 0, 0);
}

static struct ixev_thread *ixev_self(void)
{
	return &ixev_threads[ix_thread_index()];
}

static void ixev_results(struct ixev_thread *t, struct ix_shared *sh, unsigned n);

/* Runs the queued calls now (the batch is full) and handles their results. */
static void ixev_flush(struct ixev_thread *t, struct ix_shared *sh)
{
	unsigned n = t->ncalls;

	ix_run(n, IX_RUN_NOWAIT, 0);
	t->ncalls = 0;
	ixev_results(t, sh, n);
}

/* A slot for one more call in this thread's batch, owned by c (may be NULL). */
static struct ix_call *ixev_call(struct ixev_conn *c, uint16_t op)
{
	struct ixev_thread *t = ixev_self();
	struct ix_shared *sh = ix_shared();

	if (t->ncalls == IX_BATCH_MAX)
		ixev_flush(t, sh);
	struct ix_call *call = &sh->calls[t->ncalls];
	memset(call, 0, sizeof(*call));
	call->op = op;
	if (c)
		call->handle = c->handle;
	t->owner[t->ncalls++] = c;
	return call;
}

/* Offers the kernel the queued sends of c (one sendv at a time). */
static void ixev_pump(struct ixev_conn *c)
{
	if (c->flags & (CF_SENDING | CF_CLOSED | CF_GONE) || !c->sq_len ||
	    (__atomic_load_n(&c->xstate, __ATOMIC_ACQUIRE) & XS_MOVING))
		return; /* a moving connection sends from its new core */
	struct ix_call *call = ixev_call(c, IX_OP_SENDV);
	for (unsigned i = 0; i < c->sq_len && i < IX_IOV_MAX; i++)
		call->iov[call->niov++] = c->sq[(c->sq_head + i) % IXEV_SENDQ];
	c->flags |= CF_SENDING;
}

/* The kernel took `bytes` of c's queued sends. */
static void ixev_sent_accepted(struct ixev_conn *c, uint64_t bytes)
{
	while (bytes && c->sq_len) {
		struct ix_iov *v = &c->sq[c->sq_head];
		if (bytes < v->len) {
			v->base += bytes;
			v->len -= bytes;
			return;
		}
		bytes -= v->len;
		c->sq_head = (c->sq_head + 1) % IXEV_SENDQ;
		c->sq_len--;
	}
}

static void ixev_results(struct ixev_thread *t, struct ix_shared *sh, unsigned n)
{
	/* Copied out first: handling a result queues new calls into the same slots. */
	struct {
		struct ixev_conn *c;
		int64_t result;
		uint64_t offered;
		uint16_t op;
	} r[IX_BATCH_MAX];
	unsigned nr = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct ix_call *call = &sh->calls[i];
		if (!t->owner[i])
			continue;
		uint64_t offered = call->bytes;
		if (call->op == IX_OP_SENDV)
			for (unsigned v = offered = 0; v < call->niov && v < IX_IOV_MAX; v++)
				offered += call->iov[v].len;
		r[nr].c = t->owner[i];
		r[nr].op = call->op;
		r[nr].result = call->result;
		r[nr++].offered = offered;
	}
	for (unsigned i = 0; i < nr; i++) {
		struct ixev_conn *c = r[i].c;
		/* EBADF: c moved away before the call ran; what it did becomes a debt. */
		bool gone = r[i].result == -IX_EBADF;
		if (gone)
			c->flags |= CF_GONE;
		if (r[i].op == IX_OP_CLOSE) {
			c->flags |= gone ? CF_OWE_CLOSE : CF_CLOSE_RAN;
			continue;
		}
		if (r[i].op == IX_OP_RECV_DONE) {
			if (gone)
				c->rx_owed += r[i].offered;
			continue;
		}
		if (r[i].op != IX_OP_SENDV)
			continue;
		c->flags &= ~CF_SENDING;
		if (r[i].result > 0 && !(c->flags & CF_CLOSED)) {
			ixev_sent_accepted(c, (uint64_t)r[i].result);
			if ((uint64_t)r[i].result == r[i].offered)
				ixev_pump(c); /* all taken: the window may have room for more */
		}
		/* Less: the window is full, and `sent` pumps again. Errors: `dead` follows. */
	}
}

/*
 * A send queued while c's sendv is still in this thread's unsent batch joins that call, if it
 * has room: a header and a body queued one after the other then go to the kernel together
 * (one segment when they fit in one). Otherwise the second would wait for the first's result,
 * which comes only when ix_run returns, with the next event: often the peer's delayed ACK.
 */
static bool ixev_join_pending(struct ixev_conn *c)
{
	struct ixev_thread *t = ixev_self();
	struct ix_shared *sh = ix_shared();

	for (unsigned i = t->ncalls; i-- > 0;) {
		if (t->owner[i] != c)
			continue;
		struct ix_call *call = &sh->calls[i];
		if (call->op != IX_OP_SENDV)
			continue;
		/* The call holds the queue's first entries; the new one is the next. */
		if (call->niov >= IX_IOV_MAX || call->niov != c->sq_len - 1)
			return false;
		call->iov[call->niov++] = c->sq[(c->sq_head + c->sq_len - 1) % IXEV_SENDQ];
		return true;
	}
	return false;
}

int ixev_send(struct ixev_conn *c, const void *data, size_t len)
{
	if (c->flags & CF_CLOSED)
		return -IX_ENOTCONN;
	if (!len)
		return 0;
	if (c->sq_len == IXEV_SENDQ)
		return -IX_EAGAIN;
	c->sq[(c->sq_head + c->sq_len) % IXEV_SENDQ] =
		(struct ix_iov){.base = (uint64_t)data, .len = len};
	c->sq_len++;
	if (c->flags & CF_SENDING && !(c->flags & (CF_CLOSED | CF_GONE)))
		ixev_join_pending(c);
	else
		ixev_pump(c);
	return 0;
}

size_t ixev_send_pending(const struct ixev_conn *c)
{
	size_t n = 0;

	for (unsigned i = 0; i < c->sq_len; i++)
		n += c->sq[(c->sq_head + i) % IXEV_SENDQ].len;
	return n;
}

void ixev_recv_done(struct ixev_conn *c, size_t bytes)
{
	if (c->flags & CF_CLOSED || !bytes)
		return;
	if (c->flags & CF_GONE || (__atomic_load_n(&c->xstate, __ATOMIC_ACQUIRE) & XS_MOVING))
		c->rx_owed += bytes; /* told by the new core */
	else
		ixev_call(c, IX_OP_RECV_DONE)->bytes = bytes;
}

/* Queues the close of c's handle (c is released once it ran); results of c's other queued
 * calls will not touch c any more. */
static void ixev_forget(struct ixev_conn *c)
{
	struct ixev_thread *t = ixev_self();

	for (unsigned i = 0; i < t->ncalls; i++)
		if (t->owner[i] == c)
			t->owner[i] = NULL;
	ixev_call(c, IX_OP_CLOSE);
	c->released = t->released;
	t->released = c;
}

void ixev_close(struct ixev_conn *c)
{
	if (c->flags & CF_CLOSED)
		return;
	c->flags |= CF_CLOSED;
	if (c->flags & CF_GONE || (__atomic_load_n(&c->xstate, __ATOMIC_ACQUIRE) & XS_MOVING))
		c->flags |= CF_OWE_CLOSE; /* the new core closes it */
	else
		ixev_forget(c);
}

int ixev_connect(struct ixev_conn *c, uint32_t addr, uint16_t port)
{
	memset(c, 0, offsetof(struct ixev_conn, user));
	c->flags = CF_SENDING; /* no sends until connected */
	c->home = ix_thread_index();
	__atomic_add_fetch(&ixev_nconns, 1, __ATOMIC_RELAXED);
	struct ix_call *call = ixev_call(c, IX_OP_CONNECT);
	call->cookie = (uint64_t)c;
	call->addr = addr;
	call->port = port;
	return 0;
}

int ixev_timer(uint64_t us, void (*fn)(void *arg), void *arg)
{
	struct ixev_thread *t = ixev_self();

	for (unsigned i = 0; i < IXEV_TIMERS; i++) {
		if (t->timers[i].fn)
			continue;
		t->timers[i] = (struct ixev_timer){ix_clock_ns() + us * 1000, fn, arg};
		return 0;
	}
	return -IX_ENOMEM;
}

/* Runs due timers; returns microseconds to the next one (0: none). */
static uint64_t ixev_timers(struct ixev_thread *t)
{
	uint64_t now = ix_clock_ns(), next = 0;

	for (unsigned i = 0; i < IXEV_TIMERS; i++) {
		struct ixev_timer *tm = &t->timers[i];
		if (!tm->fn)
			continue;
		if (tm->due_ns <= now) {
			void (*fn)(void *) = tm->fn;
			tm->fn = NULL;
			fn(tm->arg);
			continue;
		}
		uint64_t in = (tm->due_ns - now) / 1000 + 1;
		if (!next || in < next)
			next = in;
	}
	return next;
}

/* ---- moves (see the top of this file) ---- */

/* An event for c on this thread: whether it is kept for c's hand-over instead of handled. */
static bool ixev_keep(struct ixev_conn *c, const struct ix_event *e)
{
	bool post = false;

	/* Nobody else changes xstate while c's events come to this core (c cannot move away
	 * from it while its thread runs), so the look without the lock is exact. */
	if (e->type != IX_EV_MOVED && !(__atomic_load_n(&c->xstate, __ATOMIC_ACQUIRE) & XS_MOVING))
		return false;
	ixev_lock(&c->xlock);
	if (e->type == IX_EV_MOVED) {
		c->xdest = ix_thread_index();
		c->xhandle = e->handle;
		post = !(c->xstate & XS_MOVING);
		__atomic_or_fetch(&c->xstate, XS_MOVING, __ATOMIC_RELEASE);
	} else {
		if (c->xev_n == c->xev_cap) {
			unsigned cap = c->xev_cap ? c->xev_cap * 2 : 16;
			struct ix_event *v = realloc(c->xev, cap * sizeof(*v));
			if (!v) {
				ixev_unlock(&c->xlock);
				/* Cannot keep c's events in order: stop rather than corrupt. */
				__builtin_trap();
			}
			c->xev = v;
			c->xev_cap = cap;
		}
		c->xev[c->xev_n++] = *e;
	}
	unsigned home = c->home;
	ixev_unlock(&c->xlock);
	if (post)
		ixev_push(home, offsetof(struct ixev_thread, leave), c);
	return true;
}

/* Takes c's calls out of this thread's unsent batch, turning them into debts. */
static void ixev_strip(struct ixev_thread *t, struct ixev_conn *c)
{
	struct ix_shared *sh = ix_shared();
	unsigned k = 0;

	for (unsigned i = 0; i < t->ncalls; i++) {
		if (t->owner[i] == c) {
			if (sh->calls[i].op == IX_OP_RECV_DONE)
				c->rx_owed += sh->calls[i].bytes;
			else if (sh->calls[i].op == IX_OP_CLOSE)
				c->flags |= CF_OWE_CLOSE;
			else if (sh->calls[i].op == IX_OP_SENDV)
				c->flags &= ~CF_SENDING; /* offered again from the queue */
			continue;
		}
		if (k != i) {
			sh->calls[k] = sh->calls[i];
			t->owner[k] = t->owner[i];
		}
		k++;
	}
	t->ncalls = k;
	for (struct ixev_conn **p = &t->released; *p; p = &(*p)->released) {
		if (*p == c) {
			*p = c->released; /* its close is owed: the new core runs it */
			break;
		}
	}
}

/* Step 2: this thread lets go of the connections that moved away from its core. */
static void ixev_leave(struct ixev_thread *t)
{
	ixev_lock(&t->xlock);
	struct ixev_conn *c = t->leave;
	t->leave = NULL;
	ixev_unlock(&t->xlock);
	while (c) {
		struct ixev_conn *next = c->xnext;
		ixev_strip(t, c);
		if (!(c->flags & CF_CLOSED) && ixev_h->moving)
			ixev_h->moving(c);
		ixev_lock(&c->xlock);
		unsigned dest = c->home = c->xdest;
		ixev_unlock(&c->xlock);
		ixev_push(dest, offsetof(struct ixev_thread, adopt), c);
		c = next;
	}
}

static void ixev_event(const struct ix_event *e);

/* Step 3: this thread takes the connections handed over to it. */
static void ixev_adopt(struct ixev_thread *t)
{
	unsigned self = ix_thread_index();

	ixev_lock(&t->xlock);
	struct ixev_conn *c = t->adopt;
	t->adopt = NULL;
	ixev_unlock(&t->xlock);
	while (c) {
		struct ixev_conn *next = c->xnext;
		ixev_lock(&c->xlock);
		if (c->xdest != self) { /* it moved on again: its newest core's thread adopts */
			unsigned dest = c->home = c->xdest;
			ixev_unlock(&c->xlock);
			ixev_push(dest, offsetof(struct ixev_thread, adopt), c);
			c = next;
			continue;
		}
		struct ix_event *ev = c->xev;
		unsigned nev = c->xev_n;
		c->xev = NULL;
		c->xev_n = c->xev_cap = 0;
		c->handle = c->xhandle;
		c->home = self;
		__atomic_and_fetch(&c->xstate, ~XS_MOVING, __ATOMIC_RELEASE);
		ixev_unlock(&c->xlock);
		c->flags &= ~(CF_SENDING | CF_GONE);
		if (c->flags & CF_OWE_CLOSE) {
			c->flags &= ~CF_OWE_CLOSE;
			ixev_forget(c); /* closes it here, and its held bytes with it */
		} else {
			if (c->rx_owed)
				ixev_call(c, IX_OP_RECV_DONE)->bytes = c->rx_owed;
			if (!(c->flags & CF_CLOSED) && ixev_h->moved)
				ixev_h->moved(c);
			for (unsigned i = 0; i < nev; i++)
				ixev_event(&ev[i]);
			ixev_pump(c);
		}
		c->rx_owed = 0;
		free(ev);
		c = next;
	}
}

static void ixev_event(const struct ix_event *e)
{
	struct ixev_conn *c = (struct ixev_conn *)e->cookie;

	if (e->type != IX_EV_KNOCK && ixev_keep(c, e))
		return;
	switch (e->type) {
	case IX_EV_KNOCK: {
		struct ixev_conn *nc = ixev_h->accept ? ixev_h->accept((uint32_t)e->addr, e->port)
						      : NULL;
		if (!nc) {
			ixev_call(NULL, IX_OP_CLOSE)->handle = e->handle;
			break;
		}
		memset(nc, 0, offsetof(struct ixev_conn, user));
		nc->handle = e->handle;
		nc->home = ix_thread_index();
		__atomic_add_fetch(&ixev_nconns, 1, __ATOMIC_RELAXED);
		struct ix_call *call = ixev_call(nc, IX_OP_ACCEPT);
		call->cookie = (uint64_t)nc;
		break;
	}
	case IX_EV_CONNECTED:
		c->handle = e->handle;
		c->flags &= ~CF_SENDING;
		if (ixev_h->connected)
			ixev_h->connected(c, e->status);
		ixev_pump(c);
		break;
	case IX_EV_RECV:
		if (!(c->flags & CF_CLOSED) && ixev_h->recv)
			ixev_h->recv(c, (const void *)e->addr, e->len);
		break;
	case IX_EV_SENT:
		if (!(c->flags & CF_CLOSED)) {
			if (ixev_h->sent)
				ixev_h->sent(c, e->len);
			ixev_pump(c);
		}
		break;
	case IX_EV_DEAD:
		/* A connection the app closed is not reported (its handle is released already). */
		if (!(c->flags & CF_CLOSED)) {
			c->flags |= CF_CLOSED;
			ixev_forget(c); /* releases the handle and any received buffers */
			if (ixev_h->dead)
				ixev_h->dead(c, e->status);
		}
		break;
	}
}

static __attribute__((noreturn)) void ixev_loop(void)
{
	struct ixev_thread *t = ixev_self();
	struct ix_shared *sh = ix_shared();

	if (ixev_port)
		ixev_call(NULL, IX_OP_LISTEN)->port = ixev_port;
	for (;;) {
		ixev_leave(t);
		ixev_adopt(t);
		uint64_t timeout = ixev_timers(t);
		if (__atomic_load_n(&ixev_nconns, __ATOMIC_RELAXED) &&
		    (!timeout || timeout > IXEV_MOVE_POLL_US))
			timeout = IXEV_MOVE_POLL_US; /* a hand-over may wait for this thread */
		unsigned n = t->ncalls;
		long nev = ix_run(n, 0, timeout);
		t->ncalls = 0;
		ixev_results(t, sh, n);
		/* Events are copied out first: handling one may flush the batch, and a flush
		 * returns no events, but keep the array stable all the same. */
		for (long i = 0; i < nev; i++) {
			struct ix_event e = sh->ev[i];
			ixev_event(&e);
		}
		/* Closes that ran: no event names those any more, the app may have them back.
		 * A close that found c moved away is owed to c's new core (it stays). */
		for (struct ixev_conn **p = &t->released; *p;) {
			struct ixev_conn *c = *p;
			if (!(c->flags & (CF_CLOSE_RAN | CF_OWE_CLOSE))) {
				p = &c->released;
				continue;
			}
			*p = c->released;
			if (c->flags & CF_OWE_CLOSE)
				continue;
			__atomic_sub_fetch(&ixev_nconns, 1, __ATOMIC_RELAXED);
			if (ixev_h->release)
				ixev_h->release(c);
		}
	}
}

void ixev_run(const struct ixev_handlers *h, uint16_t port)
{
	ixev_h = h;
	ixev_port = port;
	__atomic_store_n(&ixev_started, 1, __ATOMIC_RELEASE);
	ixev_loop();
}

/* The other threads (from the C start-up): wait for main to call ixev_run, then serve. */
void __ix_thread_main(unsigned index, unsigned nthreads)
{
	(void)index;
	ixev_nthreads = nthreads;
	while (!__atomic_load_n(&ixev_started, __ATOMIC_ACQUIRE))
		ix_run(0, 0, 1000);
	ixev_loop();
}

void __ix_set_thread_count(unsigned n)
{
	ixev_nthreads = n;
}
