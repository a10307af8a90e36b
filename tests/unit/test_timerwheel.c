/* The per-core timer wheel: timers fire once, at their tick, in order, whatever the gaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/timerwheel.h"

#define TPT 1000 /* TSC cycles per tick in these tests */

static uint64_t fired_at[4096];
static unsigned nfired;
static struct twheel *cur;

static void record(struct twheel_timer *t, void *arg)
{
	(void)t;
	fired_at[nfired++] = cur->tick * 100000 + (uintptr_t)arg;
}

static void test_fires_once_at_its_tick(void **state)
{
	struct twheel w;
	struct twheel_timer t;

	(void)state;
	cur = &w;
	nfired = 0;
	twheel_init(&w, 5000, TPT);
	twheel_timer_init(&t, record, (void *)7);
	twheel_add(&w, &t, 3);
	assert_int_equal(twheel_advance(&w, 5000 + 2 * TPT), 0);
	assert_int_equal(twheel_advance(&w, 5000 + 3 * TPT), 1);
	assert_int_equal(fired_at[0], 3 * 100000 + 7);
	assert_false(twheel_armed(&t));
	assert_int_equal(twheel_advance(&w, 5000 + 1000 * TPT), 0);
	assert_int_equal(w.armed, 0);
}

static void test_order_and_long_delays(void **state)
{
	struct twheel w;
	static struct twheel_timer t[600];

	(void)state;
	cur = &w;
	nfired = 0;
	twheel_init(&w, 0, TPT);
	/* Delays beyond one turn of the wheel share slots with short ones. */
	for (unsigned i = 0; i < 600; i++) {
		twheel_timer_init(&t[i], record, (void *)(uintptr_t)i);
		twheel_add(&w, &t[i], 1 + (i * 37) % 1000);
	}
	for (uint64_t now = 0; now <= 1001 * TPT; now += 3 * TPT + 17)
		twheel_advance(&w, now);
	twheel_advance(&w, 1001 * TPT);
	assert_int_equal(nfired, 600);
	for (unsigned i = 0; i < 600; i++) {
		uint64_t tick = fired_at[i] / 100000, id = fired_at[i] % 100000;
		assert_int_equal(tick, 1 + (id * 37) % 1000); /* exactly at its tick */
		if (i)
			assert_true(fired_at[i - 1] / 100000 <= tick); /* in order */
	}
}

static void test_del_and_rearm(void **state)
{
	struct twheel w;
	struct twheel_timer a, b;

	(void)state;
	cur = &w;
	nfired = 0;
	twheel_init(&w, 0, TPT);
	twheel_timer_init(&a, record, (void *)1);
	twheel_timer_init(&b, record, (void *)2);
	twheel_add(&w, &a, 5);
	twheel_add(&w, &b, 5);
	twheel_del(&w, &a);
	twheel_del(&w, &a); /* twice is harmless */
	twheel_add(&w, &b, 10); /* re-arming moves it */
	twheel_advance(&w, 9 * TPT);
	assert_int_equal(nfired, 0);
	twheel_advance(&w, 10 * TPT);
	assert_int_equal(nfired, 1);
	assert_int_equal(fired_at[0], 10 * 100000 + 2);
}

static struct twheel_timer periodic, victim;
static unsigned periodic_runs;

static void periodic_fn(struct twheel_timer *t, void *arg)
{
	(void)arg;
	periodic_runs++;
	twheel_del(cur, &victim); /* deleting another timer from a callback */
	twheel_add(cur, t, 250);  /* and re-arming itself */
}

static void test_periodic_over_a_long_sleep(void **state)
{
	struct twheel w;

	(void)state;
	cur = &w;
	periodic_runs = 0;
	nfired = 0;
	twheel_init(&w, 0, TPT);
	twheel_timer_init(&periodic, periodic_fn, NULL);
	twheel_timer_init(&victim, record, (void *)3);
	twheel_add(&w, &periodic, 250);
	twheel_add(&w, &victim, 500);
	for (uint64_t ms = 10; ms <= 1000; ms += 10) /* a core waking every 10 ms */
		twheel_advance(&w, ms * TPT);
	assert_int_equal(periodic_runs, 4); /* ticks 250, 500, 750, 1000 */
	assert_int_equal(nfired, 0);	    /* the victim was deleted at tick 250 */
	/* A gap of many turns: the late timer fires once (not once per missed period), then
	 * keeps its period from there. */
	twheel_advance(&w, 100000 * TPT);
	assert_int_equal(periodic_runs, 5);
	twheel_advance(&w, 100250 * TPT);
	assert_int_equal(periodic_runs, 6);
	assert_int_equal(w.armed, 1);
}

static void test_time_before_start_does_nothing(void **state)
{
	struct twheel w;
	struct twheel_timer t;

	(void)state;
	cur = &w;
	nfired = 0;
	twheel_init(&w, 10 * TPT, TPT);
	twheel_timer_init(&t, record, (void *)1);
	twheel_add(&w, &t, 0); /* 0 means the next tick */
	assert_int_equal(twheel_advance(&w, 5 * TPT), 0);
	assert_int_equal(twheel_advance(&w, 11 * TPT), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_once_at_its_tick),
		cmocka_unit_test(test_order_and_long_delays),
		cmocka_unit_test(test_del_and_rearm),
		cmocka_unit_test(test_periodic_over_a_long_sleep),
		cmocka_unit_test(test_time_before_start_does_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
