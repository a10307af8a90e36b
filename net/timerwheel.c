/* Hashed timer wheel: slot = expiry tick mod TWHEEL_SLOTS, one list per slot. */
#include "net/timerwheel.h"

void twheel_init(struct twheel *w, uint64_t now_tsc, uint64_t tsc_per_tick)
{
	w->tick = 0;
	w->start_tsc = now_tsc;
	w->tsc_per_tick = tsc_per_tick ? tsc_per_tick : 1;
	w->armed = 0;
	for (unsigned i = 0; i < TWHEEL_SLOTS; i++)
		w->slot[i] = 0;
}

void twheel_timer_init(struct twheel_timer *t, twheel_fn fn, void *arg)
{
	t->next = 0;
	t->pprev = 0;
	t->expires = 0;
	t->fn = fn;
	t->arg = arg;
}

void twheel_del(struct twheel *w, struct twheel_timer *t)
{
	if (!t->pprev)
		return;
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = 0;
	t->pprev = 0;
	w->armed--;
}

void twheel_add(struct twheel *w, struct twheel_timer *t, uint64_t ticks)
{
	struct twheel_timer **head;

	twheel_del(w, t);
	t->expires = w->tick + (ticks ? ticks : 1);
	head = &w->slot[t->expires & (TWHEEL_SLOTS - 1)];
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
	w->armed++;
}

/* Fires the timers of one slot that are due at `tick`; later ones stay for another turn. */
static unsigned twheel_fire_slot(struct twheel *w, uint64_t tick)
{
	struct twheel_timer **pp = &w->slot[tick & (TWHEEL_SLOTS - 1)];
	unsigned fired = 0;

	while (*pp) {
		struct twheel_timer *t = *pp;
		if (t->expires > tick) {
			pp = &t->next;
			continue;
		}
		twheel_del(w, t); /* unlinks from *pp: the loop looks at the new *pp next */
		t->fn(t, t->arg);
		fired++;
		/* The callback may have changed this slot's list: start it over (all due ones
		 * were unlinked before their call, so this ends). */
		pp = &w->slot[tick & (TWHEEL_SLOTS - 1)];
	}
	return fired;
}

unsigned twheel_advance(struct twheel *w, uint64_t now_tsc)
{
	uint64_t target = (now_tsc - w->start_tsc) / w->tsc_per_tick;
	unsigned fired = 0;

	if (now_tsc < w->start_tsc || target <= w->tick)
		return 0;
	/* After a long sleep, one turn of the wheel visits every slot: jump to it. */
	if (target - w->tick > TWHEEL_SLOTS) {
		uint64_t skip_to = target - TWHEEL_SLOTS;
		/* Anything due before skip_to is late; fire it at the first visited tick. */
		for (unsigned i = 0; i < TWHEEL_SLOTS; i++)
			for (struct twheel_timer *t = w->slot[i]; t; t = t->next)
				if (t->expires <= skip_to)
					t->expires = skip_to + 1 + ((i - (skip_to + 1)) & (TWHEEL_SLOTS - 1));
		w->tick = skip_to;
	}
	while (w->tick < target) {
		w->tick++;
		fired += twheel_fire_slot(w, w->tick);
	}
	return fired;
}
