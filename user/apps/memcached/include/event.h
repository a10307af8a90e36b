/*
 * The part of libevent's API memcached 1.6 uses, implemented over libix's ixev by
 * user/apps/memcached/event.c (that file says how). Level-triggered, like libevent's
 * epoll back end: a persistent event's callback runs again while its descriptor stays ready.
 * Each call keeps libevent's contract, except: event_base_loop never returns (it is libix's
 * loop, for every thread), event_base_loopexit does nothing, an event's callback runs on its
 * base's app thread, and a timer is deleted on the thread that added it.
 */
#ifndef IXOS_MC_EVENT_H
#define IXOS_MC_EVENT_H

#include <stdint.h>
#include <sys/time.h>

/* memcached picks the libevent 2 calls (event_base_new_with_config) from this. */
#define LIBEVENT_VERSION_NUMBER 0x02010c00

typedef int evutil_socket_t;

#define EV_TIMEOUT	       0x01
#define EV_READ		       0x02
#define EV_WRITE	       0x04
#define EV_PERSIST	       0x10
#define EVLOOP_ONCE	       0x01
#define EVLOOP_NONBLOCK	       0x02
#define EVENT_BASE_FLAG_NOLOCK 0x01

struct event_base;
struct event_config {
	int flags;
};

typedef void (*event_callback_fn)(evutil_socket_t fd, short what, void *arg);

/* Callers embed it; its fields are event.c's. */
struct event {
	struct event *next_active;  /* this thread's queue of events to run */
	struct event *next_timer;   /* this thread's pending timers */
	struct event_base *ev_base; /* the name memcached reads */
	event_callback_fn cb;
	void *arg;
	int fd;
	short flags;	       /* EV_* asked for */
	unsigned state;	       /* event.c's EVS_* bits */
	uint64_t due_ns;       /* timers: when (ix_clock_ns) */
	unsigned timer_thread; /* timers: whose list it is on */
};

struct event_base *event_init(void);
struct event_config *event_config_new(void);
int event_config_set_flag(struct event_config *cfg, int flag);
void event_config_free(struct event_config *cfg);
struct event_base *event_base_new_with_config(const struct event_config *cfg);
void event_base_free(struct event_base *base);
int event_base_loop(struct event_base *base, int flags);
int event_base_loopexit(struct event_base *base, const struct timeval *tv);
const char *event_get_version(void);

void event_set(struct event *ev, evutil_socket_t fd, short flags, event_callback_fn cb, void *arg);
int event_base_set(struct event_base *base, struct event *ev);
int event_add(struct event *ev, const struct timeval *timeout);
int event_del(struct event *ev);

#define evtimer_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv)	 event_add((ev), (tv))
#define evtimer_del(ev)		 event_del(ev)

#endif
