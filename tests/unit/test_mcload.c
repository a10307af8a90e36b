/*
 * Host tests for mcload's libraries (tools/loadgen/): the Poisson schedule and workload
 * distributions, and the latency histogram. No timing: everything runs on seeded,
 * deterministic draws. The protocols are tests/unit/test_mcload_proto.c's, the settings
 * tests/unit/test_mcload_opts.c's.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "tools/loadgen/mcload_dist.h"
#include "tools/loadgen/mcload_hist.h"

#define GEV_LOC	  30.7984
#define GEV_SCALE 8.20449
#define GEV_SHAPE 0.078688

static void assert_near(double got, double want, double rel)
{
	if (fabs(got - want) > rel * fabs(want))
		fail_msg("got %g, want %g within %g%%", got, want, rel * 100);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* ---- schedule ---- */

static void check_poisson(double rate, uint64_t seed)
{
	enum { N = 200000 };
	struct mcl_sched s;
	mcl_dist_sched_init(&s, rate, seed, 7, 1000);
	/* Gaps from the unrounded times: the schedule keeps them as doubles. */
	double prev = s.next, sum = 0, sum2 = 0;
	for (int i = 0; i < N; i++) {
		mcl_dist_sched_pop(&s);
		double gap = (s.next - prev) / 1e9;
		prev = s.next;
		sum += gap;
		sum2 += gap * gap;
	}
	double mean = sum / N, sd = sqrt(sum2 / N - mean * mean);
	assert_near(mean, 1.0 / rate, 0.01);
	assert_near(sd / mean, 1.0, 0.03);
}

static void test_sched_poisson(void **state)
{
	(void)state;
	check_poisson(1000, 1);
	check_poisson(250000, 2);
	check_poisson(3.5, 12345);
}

static void test_sched_deterministic(void **state)
{
	(void)state;
	struct mcl_sched a, b, c;
	mcl_dist_sched_init(&a, 5000, 42, 1000, 0);
	mcl_dist_sched_init(&b, 5000, 42, 1000, 0);
	mcl_dist_sched_init(&c, 5000, 43, 1000, 0);
	int differ = 0;
	uint64_t last = 0;
	for (int i = 0; i < 10000; i++) {
		uint64_t ta = mcl_dist_sched_pop(&a), tb = mcl_dist_sched_pop(&b);
		assert_int_equal(ta, tb);
		assert_true(ta >= last); /* times never go back */
		last = ta;
		differ += ta != mcl_dist_sched_pop(&c);
	}
	assert_true(differ > 9000);
	/* The same on every run and host: the first arrivals of seed 42 at 5000/s from t0 0. */
	mcl_dist_sched_init(&a, 5000, 42, 1000, 0);
	uint64_t first[3];
	for (int i = 0; i < 3; i++)
		first[i] = mcl_dist_sched_pop(&a);
	print_message("first arrivals: %llu %llu %llu\n", (unsigned long long)first[0],
		      (unsigned long long)first[1], (unsigned long long)first[2]);
	static const uint64_t golden[3] = {224347, 577223, 1170303};
	for (int i = 0; i < 3; i++) /* a nanosecond of slack for another libm's last bit */
		assert_in_range(first[i], golden[i] - 1, golden[i] + 1);
	/* peek does not consume */
	uint64_t t = mcl_dist_sched_peek(&a);
	assert_int_equal(mcl_dist_sched_peek(&a), t);
	assert_int_equal(mcl_dist_sched_pop(&a), t);
}

static void test_rng_below(void **state)
{
	(void)state;
	struct mcl_rng r;
	mcl_dist_rng_seed(&r, 1, 0);
	unsigned counts[10] = {0};
	for (int i = 0; i < 100000; i++)
		counts[mcl_dist_below(&r, 10)]++;
	for (int i = 0; i < 10; i++)
		assert_near(counts[i], 10000, 0.05);
	for (int i = 0; i < 1000; i++) {
		double u = mcl_dist_uniform(&r);
		assert_true(u >= 0 && u < 1);
	}
}

/* ---- workloads ---- */

static void test_usr_sizes(void **state)
{
	(void)state;
	char key[MCL_KEY_MAX + 1];
	for (uint64_t i = 0; i < 100000; i += 7) {
		assert_int_equal(mcl_dist_key_size(MCL_WL_USR, 1, i, 100000), 19);
		assert_int_equal(mcl_dist_value_size(MCL_WL_USR, 1, i), 2);
		unsigned n = mcl_dist_key(MCL_WL_USR, 1, i, 100000, key);
		assert_int_equal(n, 19);
		key[n] = '\0';
		assert_int_equal(strtoull(key, NULL, 10), i); /* zero-padded index: unique */
	}
	mcl_dist_key(MCL_WL_USR, 1, 12, 100000, key);
	assert_memory_equal(key, "0000000000000000012", 19);
	assert_int_equal(mcl_dist_key_digits(1), 1);
	assert_int_equal(mcl_dist_key_digits(10), 1);
	assert_int_equal(mcl_dist_key_digits(11), 2);
	assert_int_equal(mcl_dist_key_digits(100000), 5);
}

static void test_etc_key_sizes(void **state)
{
	(void)state;
	enum { N = 200000 };
	uint32_t *sizes = malloc(N * sizeof(*sizes));
	assert_non_null(sizes);
	double sum = 0;
	char key[MCL_KEY_MAX + 1];
	for (uint64_t i = 0; i < N; i++) {
		unsigned s = mcl_dist_key_size(MCL_WL_ETC, 1, i, N);
		assert_true(s >= mcl_dist_key_digits(N) && s <= MCL_KEY_MAX);
		assert_int_equal(mcl_dist_key_size(MCL_WL_ETC, 1, i, N), s); /* deterministic */
		sizes[i] = s;
		sum += s;
		if (i % 101 == 0) {
			assert_int_equal(mcl_dist_key(MCL_WL_ETC, 1, i, N, key), s);
			key[s] = '\0';
			assert_int_equal(strtoull(key, NULL, 10), i);
		}
	}
	double p90 = mcl_dist_gev_inv(0.9, GEV_LOC, GEV_SCALE, GEV_SHAPE);
	double p99 = mcl_dist_gev_inv(0.99, GEV_LOC, GEV_SCALE, GEV_SHAPE);
	double median = GEV_LOC + GEV_SCALE * (pow(log(2), -GEV_SHAPE) - 1) / GEV_SHAPE;
	double mean = GEV_LOC + GEV_SCALE * (tgamma(1 - GEV_SHAPE) - 1) / GEV_SHAPE;
	assert_near(sum / N, mean, 0.005);
	qsort(sizes, N, sizeof(*sizes), cmp_u32);
	assert_near(sizes[N / 2], median, 0.02); /* sizes are whole: 34 for 33.85 */
	assert_near(sizes[N / 10 * 9], p90, 0.02);
	assert_near(sizes[N / 100 * 99], p99, 0.02);
	/* Another seed gives other sizes to the same keys. */
	int differ = 0;
	for (uint64_t i = 0; i < 1000; i++)
		differ += mcl_dist_key_size(MCL_WL_ETC, 1, i, N) !=
			  mcl_dist_key_size(MCL_WL_ETC, 2, i, N);
	assert_true(differ > 500);
	free(sizes);
}

static void test_etc_value_sizes(void **state)
{
	(void)state;
	enum { N = 400000 };
	unsigned small[15] = {0};
	double tail_sum = 0;
	unsigned tail_n = 0;
	for (uint64_t i = 0; i < N; i++) {
		uint32_t v = mcl_dist_value_size(MCL_WL_ETC, 1, i);
		assert_true(v >= 1 && v <= MCL_VALUE_MAX);
		assert_int_equal(mcl_dist_value_size(MCL_WL_ETC, 1, i), v);
		if (v < 15) {
			small[v]++;
		} else {
			tail_sum += v;
			tail_n++;
		}
	}
	assert_int_equal(small[0], 0); /* size 0 is clamped to 1 */
	assert_near(small[1] / (double)N, 0.00536 + 0.00047, 0.10);
	assert_near(small[2] / (double)N, 0.17820, 0.02);
	assert_near(small[11] / (double)N, 0.08989, 0.03);
	assert_near(tail_n / (double)N, 1 - 0.44155, 0.01);
	/* The Pareto part: mean location + scale / (1 - shape). */
	assert_near(tail_sum / tail_n, 15 + 214.476 / (1 - 0.348238), 0.03);
	/* The pieces, exactly. */
	assert_true(mcl_dist_fb_value(0.0, 0.5) == 0);
	assert_true(mcl_dist_fb_value(0.0055, 0.5) == 1);
	assert_true(mcl_dist_fb_value(0.1, 0.5) == 2);
	assert_true(mcl_dist_fb_value(0.4415, 0.5) == 14);
	assert_true(mcl_dist_fb_value(0.5, 1.0) == 15);
	assert_near(mcl_dist_gpareto_inv(0.5, 15, 214.476, 0.348238),
		    15 + 214.476 * (pow(0.5, -0.348238) - 1) / 0.348238, 1e-12);
	assert_near(mcl_dist_gev_inv(exp(-1.0), GEV_LOC, GEV_SCALE, GEV_SHAPE), GEV_LOC, 1e-12);
	assert_int_equal(mcl_dist_value_size(MCL_WL_USR, 9, 3), 2);
}

static void check_set_ratio(enum mcl_workload wl, double want, double tol)
{
	enum { N = 2000000 };
	struct mcl_rng r;
	mcl_dist_rng_seed(&r, 5, 2000);
	unsigned sets = 0;
	for (int i = 0; i < N; i++)
		sets += (unsigned)mcl_dist_is_set(wl, &r);
	assert_near(sets / (double)N, want, tol);
}

static void test_set_ratio(void **state)
{
	(void)state;
	assert_near(mcl_dist_set_ratio(MCL_WL_USR), 0.002, 1e-12);
	assert_near(mcl_dist_set_ratio(MCL_WL_ETC), 0.033, 1e-12);
	check_set_ratio(MCL_WL_USR, 0.002, 0.06);
	check_set_ratio(MCL_WL_ETC, 0.033, 0.02);
	enum mcl_workload wl;
	assert_int_equal(mcl_dist_workload_parse("etc", &wl), 0);
	assert_int_equal(wl, MCL_WL_ETC);
	assert_int_equal(mcl_dist_workload_parse("usr", &wl), 0);
	assert_int_equal(wl, MCL_WL_USR);
	assert_int_equal(mcl_dist_workload_parse("ETC", &wl), -1);
}

/* ---- histogram ---- */

static void test_hist_buckets(void **state)
{
	(void)state;
	unsigned prev = 0;
	for (uint64_t v = 1; v < 200000000000ull; v += v / 97 + 1) {
		unsigned b = mcl_hist_bucket(v);
		assert_true(b < MCL_HIST_BUCKETS);
		assert_true(b >= prev);
		prev = b;
		uint64_t up = mcl_hist_bucket_upper(b);
		if (v <= 100000000000ull) { /* in range: the bucket holds v, 1% wide at most */
			assert_true(up > v);
			if (v >= 1000)
				assert_true((double)(up - 1 - v) <= 0.01 * (double)v);
			if (b > 0)
				assert_true(mcl_hist_bucket_upper(b - 1) <= v);
		}
	}
	for (unsigned b = 1; b < MCL_HIST_BUCKETS; b++) {
		uint64_t lo = mcl_hist_bucket_upper(b - 1);
		assert_int_equal(mcl_hist_bucket(lo), b);
		assert_int_equal(mcl_hist_bucket(mcl_hist_bucket_upper(b) - 1), b);
	}
	assert_int_equal(mcl_hist_bucket(UINT64_MAX), MCL_HIST_BUCKETS - 1);
}

static void test_hist_percentiles(void **state)
{
	(void)state;
	struct mcl_hist *h = malloc(sizeof(*h));
	assert_non_null(h);
	mcl_hist_init(h);
	assert_int_equal(mcl_hist_percentile(h, 50), 0);
	for (uint64_t us = 1; us <= 10000; us++)
		mcl_hist_record(h, us * 1000);
	assert_int_equal(h->count, 10000);
	assert_near(mcl_hist_percentile(h, 50), 5000e3, 0.01);
	assert_near(mcl_hist_percentile(h, 90), 9000e3, 0.01);
	assert_near(mcl_hist_percentile(h, 99), 9900e3, 0.01);
	assert_near(mcl_hist_percentile(h, 99.9), 9990e3, 0.01);
	assert_int_equal(mcl_hist_percentile(h, 100), 10000000);
	assert_int_equal(h->max_ns, 10000000);
	assert_int_equal(h->min_ns, 1000);
	assert_near(mcl_hist_mean(h), 5000.5e3, 1e-12);
	/* never below the true value */
	assert_true(mcl_hist_percentile(h, 50) >= 5000000);
	/* small values have a bucket each: exact percentiles */
	mcl_hist_init(h);
	for (uint64_t ns = 1; ns <= 10; ns++)
		mcl_hist_record(h, ns);
	assert_int_equal(mcl_hist_percentile(h, 10), 1);
	assert_int_equal(mcl_hist_percentile(h, 50), 5);
	assert_int_equal(mcl_hist_percentile(h, 51), 6);
	assert_int_equal(mcl_hist_percentile(h, 90), 9);
	assert_int_equal(mcl_hist_percentile(h, 100), 10);
	assert_int_equal(mcl_hist_percentile(h, 0), 1);
	for (uint64_t us = 1; us <= 10000; us++)
		mcl_hist_record(h, us * 1000);
	mcl_hist_record(h, 0);
	/* one huge value: max exact, percentiles still from the rest */
	mcl_hist_record(h, 100000000000ull);
	assert_int_equal(h->max_ns, 100000000000ull);
	assert_int_equal(mcl_hist_percentile(h, 100), 100000000000ull);
	assert_near(mcl_hist_percentile(h, 50), 5000e3, 0.01);
	assert_int_equal(h->min_ns, 0);
	free(h);
}

static void test_hist_merge(void **state)
{
	(void)state;
	struct mcl_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *all = malloc(sizeof(*a));
	assert_true(a && b && all);
	mcl_hist_init(a);
	mcl_hist_init(b);
	mcl_hist_init(all);
	struct mcl_rng r;
	mcl_dist_rng_seed(&r, 3, 0);
	for (int i = 0; i < 50000; i++) {
		uint64_t v = (uint64_t)(mcl_dist_exp(&r, 1.0 / 200000.0)) + 1;
		mcl_hist_record(i % 3 ? a : b, v);
		mcl_hist_record(all, v);
	}
	/* b alone holds the extremes */
	mcl_hist_record(b, 1);
	mcl_hist_record(all, 1);
	mcl_hist_record(b, 90000000000ull);
	mcl_hist_record(all, 90000000000ull);
	mcl_hist_merge(a, b);
	assert_int_equal(a->count, all->count);
	assert_int_equal(a->max_ns, all->max_ns);
	assert_int_equal(a->min_ns, all->min_ns);
	assert_memory_equal(a->buckets, all->buckets, sizeof(a->buckets));
	assert_near(a->sum_ns, all->sum_ns, 1e-12);
	for (double p = 1; p < 100; p += 7.5)
		assert_int_equal(mcl_hist_percentile(a, p), mcl_hist_percentile(all, p));
	free(a);
	free(b);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_poisson),
	    cmocka_unit_test(test_sched_deterministic),
	    cmocka_unit_test(test_rng_below),
	    cmocka_unit_test(test_usr_sizes),
	    cmocka_unit_test(test_etc_key_sizes),
	    cmocka_unit_test(test_etc_value_sizes),
	    cmocka_unit_test(test_set_ratio),
	    cmocka_unit_test(test_hist_buckets),
	    cmocka_unit_test(test_hist_percentiles),
	    cmocka_unit_test(test_hist_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
