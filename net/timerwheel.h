/*
 * A per-core hashed timer wheel driven by the TSC (IX's design): O(1) add and cancel, and the
 * core advances it from its loop, so no global tick and no cross-core lock. It runs lwIP's
 * TCP and ARP timers and, later, the applications' timeouts.
 */
#ifndef IXOS_NET_TIMERWHEEL_H
#define IXOS_NET_TIMERWHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define TWHEEL_SLOTS 256 /* a power of two; later timers wait in their slot for another turn */

struct twheel_timer;
typedef void (*twheel_fn)(struct twheel_timer *t, void *arg);

struct twheel_timer {
	struct twheel_timer *next, **pprev; /* pprev == NULL: not armed */
	uint64_t expires;		    /* tick */
	twheel_fn fn;
	void *arg;
};

struct twheel {
	uint64_t tick;	    /* ticks done */
	uint64_t start_tsc; /* TSC value at tick 0 */
	uint64_t tsc_per_tick;
	unsigned armed;
	struct twheel_timer *slot[TWHEEL_SLOTS];
};

/* Starts an empty wheel at now_tsc with ticks of tsc_per_tick TSC cycles (> 0). */
void twheel_init(struct twheel *w, uint64_t now_tsc, uint64_t tsc_per_tick);

/* Prepares a timer that calls fn(t, arg) when it fires. */
void twheel_timer_init(struct twheel_timer *t, twheel_fn fn, void *arg);

/* Arms t to fire after `ticks` ticks (at least 1); re-arms it if it was armed. */
void twheel_add(struct twheel *w, struct twheel_timer *t, uint64_t ticks);

/* Disarms t (nothing if it was not armed). Safe from inside any timer callback. */
void twheel_del(struct twheel *w, struct twheel_timer *t);

static inline bool twheel_armed(const struct twheel_timer *t)
{
	return t->pprev != 0;
}

/*
 * Fires, in tick order, every timer due by now_tsc; callbacks may add and delete timers
 * (one re-armed for 1 tick fires at the next tick, not in this call's same tick). After a gap
 * longer than one turn of the wheel, a timer that fell due in the gap fires once, late (a
 * periodic timer does not run once per missed period). Returns the number of timers fired.
 */
unsigned twheel_advance(struct twheel *w, uint64_t now_tsc);

#endif
