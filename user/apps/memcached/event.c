/*
 * libevent's API, as memcached 1.6 uses it, over libix's event loop (ixev).
 *
 * ixev calls sock.c's handlers when the kernel reports something (a knock, bytes, an ack, a
 * reset); those only record it on the socket and call evl_fd_changed, which queues the
 * descriptor's event on its thread. The queue runs from a zero-delay ixev timer, that is
 * right after the batch of kernel events is handled and before the next kernel entry, so
 * the sends and releases memcached makes go to the kernel in that entry's batch.
 *
 * Threads: memcached creates its event bases in a fixed order, main_base first (in main),
 * then one per worker (memcached_thread_init), and the patches make worker i app thread i;
 * so base 0 belongs to thread 0 and base k to thread k - 1. An event runs on its base's
 * thread. The exception is a listening socket's event: a connection is knocking on the core
 * RSS chose, so the listener's event runs on the thread that saw the knock (sock.c keeps
 * the knocks per thread), and memcached's accept there leads to a worker on that thread.
 * Readiness is level-triggered: a persistent event runs again while its fd stays ready, at
 * most EVL_RUN_MAX callbacks per round, so one busy connection cannot hold its core.
 * Timers (memcached's clock and its max-connections retry) are kept per thread, sorted.
 */
#include <stdlib.h>
#include <string.h>
#include "user/apps/memcached/port.h"

#define EVS_ADDED  1u /* event_add'ed, not deleted */
#define EVS_QUEUED 2u /* on its thread's run queue */
#define EVS_TIMER  4u /* on its thread's timer list */

#define EVL_RUN_MAX 256	   /* callbacks per round before the kernel gets its turn */
#define EVL_TICK_US 100000 /* housekeeping: due timers, old buffers */
#define EVL_POLL_US 1000   /* ... and while connections are open: other threads' work */

struct event_base {
	unsigned thread; /* the app thread whose loop runs this base's events */
};

struct evl_thread {
	struct event *head, *tail; /* events to run */
	struct event *timers;	   /* by due time */
	int kicked;		   /* a zero-delay ixev timer is armed */
	int ticking;		   /* the housekeeping timer runs */
	int running;
	uint64_t armed_ns; /* earliest ixev timer armed for our timers (0: none) */
	volatile int lock; /* for the run queue: other threads may queue on it */
};

static struct evl_thread evl_threads[PORT_THREADS_MAX];
static unsigned evl_bases; /* created so far: fixes each base's thread (see above) */

static struct evl_thread *evl_self(void)
{
	return &evl_threads[ix_thread_index() % PORT_THREADS_MAX];
}

static unsigned evl_thread_of(const struct event *ev)
{
	const struct event_base *b = __atomic_load_n(&ev->ev_base, __ATOMIC_ACQUIRE);

	return b ? b->thread : ix_thread_index();
}

/* ev->state is changed by its thread and by others queueing it: always atomically. */
static void evl_set(struct event *ev, unsigned bits)
{
	__atomic_or_fetch(&ev->state, bits, __ATOMIC_RELAXED);
}

static void evl_clear(struct event *ev, unsigned bits)
{
	__atomic_and_fetch(&ev->state, ~bits, __ATOMIC_RELAXED);
}

static void evl_round(void);

/* fd's generation now (0: not a connection). */
static unsigned evl_conn_gen(int fd)
{
	struct port_fd *e = fd_get(fd);

	return e && e->kind == FD_CONN ? e->gen : 0;
}

/* ev's conn follows its connection to the thread now serving it, if it can (mc_conn.c);
 * only while fd is still the connection of generation gen (memcached may have closed it in
 * its callback, and another thread's accept taken the number and the conn struct). */
static int evl_follow(struct event *ev, unsigned gen)
{
	struct port_fd *e = fd_get(ev->fd);

	if (!e || e->kind != FD_CONN || e->gen != gen)
		return 0;
	int to = sock_away(e->obj);
	return to >= 0 && mc_conn_rehome(ev->fd, (unsigned)to);
}

/* Queues ev on its thread's run queue (unless it is there already). */
static void evl_queue(struct event *ev)
{
	unsigned tid = evl_thread_of(ev);
	struct evl_thread *t = &evl_threads[tid % PORT_THREADS_MAX];

	port_spin_lock(&t->lock);
	if (!(ev->state & EVS_QUEUED)) {
		evl_set(ev, EVS_QUEUED);
		ev->next_active = NULL;
		if (t->tail)
			t->tail->next_active = ev;
		else
			t->head = ev;
		t->tail = ev;
	}
	port_spin_unlock(&t->lock);
	evl_wake(tid);
}

/* Takes ev off its thread's run queue. */
static void evl_unqueue(struct event *ev)
{
	struct evl_thread *t = &evl_threads[evl_thread_of(ev) % PORT_THREADS_MAX];

	port_spin_lock(&t->lock);
	if (ev->state & EVS_QUEUED) {
		struct event **p = &t->head, *prev = NULL;
		while (*p && *p != ev) {
			prev = *p;
			p = &(*p)->next_active;
		}
		if (*p) {
			*p = ev->next_active;
			if (t->tail == ev)
				t->tail = prev;
			evl_clear(ev, EVS_QUEUED);
		}
	}
	port_spin_unlock(&t->lock);
}

static struct event *evl_pop(struct evl_thread *t)
{
	port_spin_lock(&t->lock);
	struct event *ev = t->head;
	if (ev) {
		t->head = ev->next_active;
		if (!t->head)
			t->tail = NULL;
		evl_clear(ev, EVS_QUEUED);
	}
	port_spin_unlock(&t->lock);
	return ev;
}

static void evl_timer_remove(struct event *ev)
{
	struct evl_thread *t = &evl_threads[ev->timer_thread % PORT_THREADS_MAX];

	if (!(ev->state & EVS_TIMER))
		return;
	for (struct event **p = &t->timers; *p; p = &(*p)->next_timer) {
		if (*p == ev) {
			*p = ev->next_timer;
			break;
		}
	}
	evl_clear(ev, EVS_TIMER);
}

static void evl_timer_fn(void *arg)
{
	(void)arg;
	evl_self()->armed_ns = 0;
	evl_round();
}

/* Arms an ixev timer for the earliest of this thread's timers, unless one is armed sooner. */
static void evl_timer_arm(struct evl_thread *t)
{
	if (!t->timers)
		return;
	uint64_t due = t->timers->due_ns, now = ix_clock_ns();
	if (t->armed_ns && t->armed_ns <= due)
		return;
	if (ixev_timer(due > now ? (due - now) / 1000 + 1 : 0, evl_timer_fn, NULL) == 0)
		t->armed_ns = due;
	/* No ixev timer slot: the housekeeping tick runs it (late). */
}

/* Runs this thread's due timers (one-shot: each is deleted before its callback). */
static void evl_timers_run(struct evl_thread *t)
{
	uint64_t now = ix_clock_ns();

	while (t->timers && t->timers->due_ns <= now) {
		struct event *ev = t->timers;
		t->timers = ev->next_timer;
		evl_clear(ev, EVS_TIMER | EVS_ADDED);
		ev->cb(ev->fd, EV_TIMEOUT, ev->arg);
	}
	evl_timer_arm(t);
}

/* One round on this thread: due timers, then queued events, at most EVL_RUN_MAX. */
static void evl_round(void)
{
	struct evl_thread *t = evl_self();

	if (t->running)
		return;
	t->running = 1;
	port_thread_enter();
	sock_flush_mine();
	evl_timers_run(t);
	unsigned n = 0;
	/* The listener first: it is never queued (its knocks are per thread, its event one). */
	for (struct event *l; n < EVL_RUN_MAX && (l = fd_watcher(sock_listener())) &&
			      (l->state & EVS_ADDED) && (fd_ready(l->fd) & EV_READ);
	     n++)
		l->cb(l->fd, EV_READ, l->arg);
	for (; n < EVL_RUN_MAX; n++) {
		struct event *ev = evl_pop(t);
		if (!ev)
			break;
		if (!(ev->state & EVS_ADDED) || ev->fd < 0)
			continue;
		if (evl_thread_of(ev) != ix_thread_index()) {
			evl_queue(ev); /* queued here as its base moved: it runs on its thread */
			continue;
		}
		unsigned gen = evl_conn_gen(ev->fd);
		if (gen && evl_follow(ev, gen))
			continue;
		short what = (short)(fd_ready(ev->fd) & ev->flags);
		if (!what)
			continue;
		if (!(ev->flags & EV_PERSIST))
			event_del(ev);
		ev->cb(ev->fd, what, ev->arg);
		if (gen && (ev->state & EVS_ADDED) && evl_follow(ev, gen))
			continue;
		/* Level-triggered: still ready, still wanted, it runs again (after the others). */
		if ((ev->state & (EVS_ADDED | EVS_QUEUED)) == EVS_ADDED &&
		    (fd_ready(ev->fd) & ev->flags))
			evl_queue(ev);
	}
	sock_flush_mine();
	t->running = 0;
	if (t->head || (fd_ready(sock_listener()) & EV_READ))
		evl_kick();
}

static void evl_tick_fn(void *arg)
{
	static uint64_t swept_ns[PORT_THREADS_MAX];
	uint64_t now = ix_clock_ns();
	unsigned self = ix_thread_index() % PORT_THREADS_MAX;

	(void)arg;
	if (now - swept_ns[self] >= EVL_TICK_US * 1000ull) {
		swept_ns[self] = now;
		sock_sweep();
	}
	evl_round();
	/* An app cannot wake another core's thread: while connections are open (and so may
	 * be served by one thread for memcached's conn on another), each looks often. */
	ixev_timer(sock_count(0) ? EVL_POLL_US : EVL_TICK_US, evl_tick_fn, NULL);
}

static void evl_kick_fn(void *arg)
{
	(void)arg;
	evl_self()->kicked = 0;
	evl_round();
}

void evl_kick(void)
{
	struct evl_thread *t = evl_self();

	if (!t->ticking) {
		t->ticking = 1;
		ixev_timer(EVL_TICK_US, evl_tick_fn, NULL);
	}
	if (t->kicked)
		return;
	if (ixev_timer(0, evl_kick_fn, NULL) == 0)
		t->kicked = 1;
}

void evl_wake(unsigned tid)
{
	if (tid == ix_thread_index())
		evl_kick();
	/* Another thread sees its queues on its next round, within EVL_POLL_US. */
}

void evl_fd_poke(int fd)
{
	struct event *ev = fd_watcher(fd);

	if (ev && (ev->state & EVS_ADDED))
		evl_queue(ev);
}

void evl_rebase(struct event *ev, struct event_base *base)
{
	int added = (ev->state & EVS_ADDED) != 0;

	event_del(ev);
	__atomic_store_n(&ev->ev_base, base, __ATOMIC_RELEASE);
	if (added) {
		event_add(ev, NULL);
		evl_queue(ev); /* its new thread looks at it once, ready or not */
	}
}

void evl_fd_changed(int fd)
{
	struct event *ev = fd_watcher(fd);

	if (fd == sock_listener())
		evl_kick(); /* knocks are this thread's: its round runs the listener */
	else if (ev && (ev->state & EVS_ADDED) && (fd_ready(fd) & ev->flags))
		evl_queue(ev);
}

/* ---- libevent's API ---- */

struct event_base *event_init(void)
{
	return event_base_new_with_config(NULL);
}

struct event_config *event_config_new(void)
{
	return calloc(1, sizeof(struct event_config));
}

int event_config_set_flag(struct event_config *cfg, int flag)
{
	cfg->flags |= flag;
	return 0;
}

void event_config_free(struct event_config *cfg)
{
	free(cfg);
}

struct event_base *event_base_new_with_config(const struct event_config *cfg)
{
	struct event_base *b = calloc(1, sizeof(*b));

	(void)cfg;
	if (b) {
		unsigned n = __atomic_fetch_add(&evl_bases, 1, __ATOMIC_RELAXED);
		b->thread = n ? n - 1 : 0;
	}
	return b;
}

void event_base_free(struct event_base *base)
{
	free(base);
}

int event_base_loop(struct event_base *base, int flags)
{
	(void)base, (void)flags;
	/* memcached's main loop (main_base, thread 0): from here on, libix's event loop runs
	 * every thread, listening on memcached's port on every core. It does not return. */
	port_thread_enter();
	ixev_run(&sock_handlers, sock_listen_port());
}

int event_base_loopexit(struct event_base *base, const struct timeval *tv)
{
	(void)base, (void)tv;
	return 0;
}

const char *event_get_version(void)
{
	return "2.1.12-ixos";
}

void event_set(struct event *ev, evutil_socket_t fd, short flags, event_callback_fn cb, void *arg)
{
	memset(ev, 0, sizeof(*ev));
	ev->fd = fd;
	ev->flags = flags;
	ev->cb = cb;
	ev->arg = arg;
}

int event_base_set(struct event_base *base, struct event *ev)
{
	if (ev->state & EVS_ADDED)
		return -1;
	ev->ev_base = base;
	return 0;
}

int event_add(struct event *ev, const struct timeval *timeout)
{
	if (timeout) {
		struct evl_thread *t = evl_self();
		evl_timer_remove(ev);
		ev->timer_thread = ix_thread_index();
		ev->due_ns = ix_clock_ns() + (uint64_t)timeout->tv_sec * 1000000000u +
			     (uint64_t)timeout->tv_usec * 1000u;
		struct event **p = &t->timers;
		while (*p && (*p)->due_ns <= ev->due_ns)
			p = &(*p)->next_timer;
		ev->next_timer = *p;
		*p = ev;
		evl_set(ev, EVS_TIMER);
		evl_timer_arm(t);
	}
	evl_set(ev, EVS_ADDED);
	if (ev->fd >= 0) {
		fd_watch(ev->fd, ev);
		evl_fd_changed(ev->fd);
	}
	return 0;
}

int event_del(struct event *ev)
{
	evl_timer_remove(ev); /* (a timer is deleted on the thread that added it) */
	evl_unqueue(ev);
	if (ev->fd >= 0 && (ev->state & EVS_ADDED))
		fd_watch(ev->fd, NULL);
	evl_clear(ev, EVS_ADDED);
	return 0;
}
