/*
 * The libix event loop (user/libix/ix.h): per-thread batches of calls, events turned into
 * callbacks, a send queue per connection that feeds sendv as the window allows, timers.
 * Everything here is per thread except the handlers, which thread 0 sets before it lets the
 * other threads start.
 */
#include <string.h>
#include "user/apps/sys.h"
#include "user/libix/ix.h"

#define IXEV_THREADS_MAX 64
#define IXEV_TIMERS 16

#define CF_SENDING 1u /* a sendv is in the batch, its result not back yet */
#define CF_CLOSED 2u  /* the app closed it, or it is dead */

struct ixev_timer {
	uint64_t due_ns;
	void (*fn)(void *arg);
	void *arg;
};

struct ixev_thread {
	unsigned ncalls;
	struct ixev_conn *owner[IX_BATCH_MAX]; /* the connection each queued call is for */
	struct ixev_timer timers[IXEV_TIMERS];
	struct ixev_conn *released; /* closed or dead: `release` after this batch */
};

static struct ixev_thread ixev_threads[IXEV_THREADS_MAX];
static const struct ixev_handlers *ixev_h;
static uint16_t ixev_port;
static volatile int ixev_started;
static unsigned ixev_nthreads;

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
	if (c->flags & (CF_SENDING | CF_CLOSED) || !c->sq_len)
		return;
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
	} r[IX_BATCH_MAX];
	unsigned nr = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct ix_call *call = &sh->calls[i];
		if (!t->owner[i] || call->op != IX_OP_SENDV)
			continue;
		uint64_t offered = 0;
		for (unsigned v = 0; v < call->niov && v < IX_IOV_MAX; v++)
			offered += call->iov[v].len;
		r[nr].c = t->owner[i];
		r[nr].result = call->result;
		r[nr++].offered = offered;
	}
	for (unsigned i = 0; i < nr; i++) {
		struct ixev_conn *c = r[i].c;
		c->flags &= ~CF_SENDING;
		if (r[i].result > 0 && !(c->flags & CF_CLOSED)) {
			ixev_sent_accepted(c, (uint64_t)r[i].result);
			if ((uint64_t)r[i].result == r[i].offered)
				ixev_pump(c); /* all taken: the window may have room for more */
		}
		/* Less: the window is full, and `sent` pumps again. Errors: `dead` follows. */
	}
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
	ixev_call(c, IX_OP_RECV_DONE)->bytes = bytes;
}

/* Queues the close of c's handle; results of c's queued calls will not touch c any more
 * (the app may free it as soon as we return). */
static void ixev_forget(struct ixev_conn *c)
{
	struct ixev_thread *t = ixev_self();

	ixev_call(NULL, IX_OP_CLOSE)->handle = c->handle;
	for (unsigned i = 0; i < t->ncalls; i++)
		if (t->owner[i] == c)
			t->owner[i] = NULL;
	c->released = t->released;
	t->released = c;
}

void ixev_close(struct ixev_conn *c)
{
	if (c->flags & CF_CLOSED)
		return;
	c->flags |= CF_CLOSED;
	ixev_forget(c);
}

int ixev_connect(struct ixev_conn *c, uint32_t addr, uint16_t port)
{
	memset(c, 0, offsetof(struct ixev_conn, user));
	c->flags = CF_SENDING; /* no sends until connected */
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

static void ixev_event(const struct ix_event *e)
{
	struct ixev_conn *c = (struct ixev_conn *)e->cookie;

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
	case IX_EV_MOVED:
		c->handle = e->handle; /* the connection lives on this core now */
		c->flags &= ~CF_SENDING; /* a sendv in flight on the old core is answered there */
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
		uint64_t timeout = ixev_timers(t);
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
		/* No event of this batch names them any more: the app may have them back. */
		while (t->released) {
			struct ixev_conn *c = t->released;
			t->released = c->released;
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
