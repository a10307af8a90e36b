/*
 * Host tests for mcload's libraries (tools/loadgen/): the Poisson schedule and workload
 * distributions, the latency histogram, and request building and incremental reply parsing
 * for the memcached ascii and binary protocols and echo. No timing: everything runs on
 * seeded, deterministic draws and hand-made byte streams.
 */
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
#include "tools/loadgen/mcload_proto.h"

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

/* ---- protocols ---- */

#define MAX_REPLIES 16

struct feed {
	struct mcl_reply r[MAX_REPLIES];
	char keys[MAX_REPLIES][MCL_KEY_MAX];
	int n;
	bool error;
};

/* Feeds data to p in pieces cut at the given offsets (ascending), collecting replies. */
static void feed(struct mcl_parser *p, const char *data, size_t len, const size_t *cuts, int ncuts,
		 struct feed *f)
{
	memset(f, 0, sizeof(*f));
	size_t start = 0;
	for (int c = 0; c <= ncuts && !f->error; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		while (start < end) {
			size_t used;
			struct mcl_reply r;
			int rc = mcl_proto_parse(p, data + start, end - start, &used, &r);
			assert_true(used <= end - start);
			start += used;
			if (rc == MCL_PARSE_ERROR) {
				f->error = true;
				return;
			}
			if (rc == MCL_PARSE_MORE) {
				assert_int_equal(start, end);
				break;
			}
			assert_true(f->n < MAX_REPLIES);
			if (r.key) { /* copy: it lasts only until the next call */
				memcpy(f->keys[f->n], r.key, r.key_len);
				r.key = f->keys[f->n];
			}
			f->r[f->n++] = r;
		}
	}
}

static void assert_same_replies(const struct feed *a, const struct feed *b)
{
	assert_int_equal(a->error, b->error);
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		assert_int_equal(a->r[i].kind, b->r[i].kind);
		assert_int_equal(a->r[i].op, b->r[i].op);
		assert_int_equal(a->r[i].status, b->r[i].status);
		assert_int_equal(a->r[i].opaque, b->r[i].opaque);
		assert_int_equal(a->r[i].value_len, b->r[i].value_len);
		assert_int_equal(a->r[i].key_len, b->r[i].key_len);
		assert_int_equal(a->r[i].key == NULL, b->r[i].key == NULL);
		if (a->r[i].key)
			assert_memory_equal(a->r[i].key, b->r[i].key, a->r[i].key_len);
	}
}

/*
 * Parses data whole, then cut once at every byte, then in pieces of every size from 1 byte
 * up: every way gives the same replies (or the same garbage after the same replies).
 */
static void parse_all_ways(enum mcl_proto proto, uint32_t echo_size, const char *data, size_t len,
			   struct feed *whole)
{
	struct mcl_parser p;
	struct feed f;
	mcl_proto_parser_init(&p, proto, echo_size);
	feed(&p, data, len, NULL, 0, whole);
	for (size_t k = 0; k <= len; k++) {
		mcl_proto_parser_init(&p, proto, echo_size);
		feed(&p, data, len, &k, 1, &f);
		assert_same_replies(whole, &f);
	}
	size_t *cuts = malloc(len * sizeof(*cuts) + 1);
	assert_non_null(cuts);
	for (size_t piece = 1; piece < len; piece++) {
		int n = 0;
		for (size_t k = piece; k < len; k += piece)
			cuts[n++] = k;
		mcl_proto_parser_init(&p, proto, echo_size);
		feed(&p, data, len, cuts, n, &f);
		assert_same_replies(whole, &f);
	}
	free(cuts);
}

static void test_ascii_replies(void **state)
{
	(void)state;
	/* The 12-byte value holds "\r\nEND\r\n", a NUL and a 0xff. */
	static const char stream[] = "STORED\r\n"
				     "END\r\n"
				     "VALUE key1 0 5\r\nhello\r\nEND\r\n"
				     "VALUE k2 4294967295 12 99\r\n\r\nEND\r\n\0\xffxyz\r\nEND\r\n"
				     "ERROR\r\n"
				     "CLIENT_ERROR bad data chunk\r\n"
				     "SERVER_ERROR out of memory storing object\r\n"
				     "NOT_STORED\r\n"
				     "VALUE e 0 0\r\n\r\nEND\r\n";
	struct feed f;
	parse_all_ways(MCL_PROTO_ASCII, 0, stream, sizeof(stream) - 1, &f);
	assert_false(f.error);
	assert_int_equal(f.n, 9);
	assert_int_equal(f.r[0].kind, MCL_REPLY_STORED);
	assert_int_equal(f.r[0].op, MCL_OP_SET);
	assert_int_equal(f.r[1].kind, MCL_REPLY_MISS);
	assert_int_equal(f.r[1].op, MCL_OP_GET);
	assert_null(f.r[1].key);
	assert_int_equal(f.r[2].kind, MCL_REPLY_HIT);
	assert_int_equal(f.r[2].value_len, 5);
	assert_int_equal(f.r[2].key_len, 4);
	assert_memory_equal(f.r[2].key, "key1", 4);
	assert_int_equal(f.r[3].kind, MCL_REPLY_HIT);
	assert_int_equal(f.r[3].value_len, 12);
	assert_memory_equal(f.r[3].key, "k2", 2);
	for (int i = 4; i < 7; i++) {
		assert_int_equal(f.r[i].kind, MCL_REPLY_ERROR);
		assert_int_equal(f.r[i].op, MCL_OP_ANY);
	}
	assert_int_equal(f.r[7].kind, MCL_REPLY_NOT_STORED);
	assert_int_equal(f.r[8].kind, MCL_REPLY_HIT);
	assert_int_equal(f.r[8].value_len, 0);
}

static void assert_garbage(enum mcl_proto proto, uint32_t echo_size, const char *data, size_t len,
			   int replies_before)
{
	struct feed f;
	parse_all_ways(proto, echo_size, data, len, &f);
	if (!f.error)
		fail_msg("no garbage seen in a %zu-byte %s stream", len, mcl_proto_name(proto));
	assert_int_equal(f.n, replies_before);
}

#define GARBAGE(proto, size, lit, before) assert_garbage(proto, size, lit, sizeof(lit) - 1, before)

static void test_ascii_garbage(void **state)
{
	(void)state;
	GARBAGE(MCL_PROTO_ASCII, 0, "HELLO\r\n", 0);
	GARBAGE(MCL_PROTO_ASCII, 0, "STORED\r\nSTORED\n", 1);		   /* no CR */
	GARBAGE(MCL_PROTO_ASCII, 0, "STORED\r\nSTO\rRED\r\n", 1);	   /* stray CR */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE k x 5\r\nhello\r\nEND\r\n", 0); /* bad flags */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE k 0\r\n", 0);		   /* no length */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE k 0 5 \r\n", 0);		   /* empty cas */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE k 0 99999999999\r\n", 0);	   /* too long */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE  0 5\r\nhello\r\nEND\r\n", 0);  /* empty key */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE k 0 5\r\nhelloXX", 0);	   /* no CRLF after data */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE k 0 5\r\nhello\r\nSTORED\r\n", 0); /* no END */
	GARBAGE(MCL_PROTO_ASCII, 0, "STORED\r\nENDX\n", 1); /* no CR, and not END */
	GARBAGE(MCL_PROTO_ASCII, 0, "END\r\nEN\0D\r\n", 1);
	GARBAGE(MCL_PROTO_ASCII, 0, "END\r\nEND\0\r\n", 1); /* a NUL in the line */
	GARBAGE(MCL_PROTO_ASCII, 0, "VALUE k 0 1\r\nx\r\nEND\0\r\n", 0);
	GARBAGE(MCL_PROTO_ASCII, 0, "ERRORS\r\n", 0);
	GARBAGE(MCL_PROTO_ASCII, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", 0);
	/* Lines are capped at MCL_PROTO_LINE_MAX bytes, CRLF included. */
	char *line = malloc(MCL_PROTO_LINE_MAX + 10);
	assert_non_null(line);
	for (size_t n = MCL_PROTO_LINE_MAX - 2; n <= MCL_PROTO_LINE_MAX + 8; n += 10) {
		struct mcl_parser p;
		struct feed f;
		memset(line, 'x', n);
		memcpy(line, "CLIENT_ERROR ", 13);
		memcpy(line + n, "\r\n", 2);
		mcl_proto_parser_init(&p, MCL_PROTO_ASCII, 0);
		feed(&p, line, n + 2, NULL, 0, &f);
		assert_int_equal(f.error, n + 2 > MCL_PROTO_LINE_MAX);
		assert_int_equal(f.n, n + 2 <= MCL_PROTO_LINE_MAX);
	}
	free(line);
	/* A failed parser stays failed. */
	struct mcl_parser p;
	struct mcl_reply r;
	size_t used;
	mcl_proto_parser_init(&p, MCL_PROTO_ASCII, 0);
	assert_int_equal(mcl_proto_parse(&p, "BAD\r\n", 5, &used, &r), MCL_PARSE_ERROR);
	assert_int_equal(mcl_proto_parse(&p, "END\r\n", 5, &used, &r), MCL_PARSE_ERROR);
	mcl_proto_parser_init(&p, MCL_PROTO_ASCII, 0);
	assert_int_equal(mcl_proto_parse(&p, "END\r\n", 5, &used, &r), MCL_PARSE_REPLY);
	assert_int_equal(used, 5);
}

/* Appends a binary response to buf and returns its length. */
static size_t bin_response(uint8_t *buf, uint8_t magic, uint8_t opcode, uint16_t status,
			   uint8_t extras, uint16_t klen, const char *body, uint32_t blen,
			   uint32_t opaque)
{
	memset(buf, 0, MCL_BIN_HDR);
	buf[0] = magic;
	buf[1] = opcode;
	buf[2] = (uint8_t)(klen >> 8);
	buf[3] = (uint8_t)klen;
	buf[4] = extras;
	buf[6] = (uint8_t)(status >> 8);
	buf[7] = (uint8_t)status;
	for (int i = 0; i < 4; i++) {
		buf[8 + i] = (uint8_t)(blen >> (24 - 8 * i));
		buf[12 + i] = (uint8_t)(opaque >> (24 - 8 * i));
	}
	buf[16] = 0xca; /* cas: ignored */
	memcpy(buf + MCL_BIN_HDR, body, blen);
	return MCL_BIN_HDR + blen;
}

static void test_binary_replies(void **state)
{
	(void)state;
	uint8_t s[512];
	size_t n = 0;
	/* GET hit: flags, then the value, which holds a header-looking 0x81. */
	n += bin_response(s + n, 0x81, 0x00, 0x0000, 4, 0, "\0\0\0\0\x81\x01hi", 8, 7);
	n += bin_response(s + n, 0x81, 0x00, 0x0001, 0, 0, "Not found", 9, 8);
	n += bin_response(s + n, 0x81, 0x01, 0x0000, 0, 0, "", 0, 0xdeadbeef);
	n += bin_response(s + n, 0x81, 0x01, 0x0002, 0, 0, "Data exists for key.", 20, 10);
	n += bin_response(s + n, 0x81, 0x01, 0x0082, 0, 0, "Out of memory", 13, 11);
	n += bin_response(s + n, 0x81, 0x00, 0x0084, 0, 0, "", 0, 12);
	n += bin_response(s + n, 0x81, 0x01, 0x0001, 0, 0, "Not found", 9, 13);
	struct feed f;
	parse_all_ways(MCL_PROTO_BINARY, 0, (const char *)s, n, &f);
	assert_false(f.error);
	assert_int_equal(f.n, 7);
	assert_int_equal(f.r[0].kind, MCL_REPLY_HIT);
	assert_int_equal(f.r[0].op, MCL_OP_GET);
	assert_int_equal(f.r[0].value_len, 4);
	assert_int_equal(f.r[0].opaque, 7);
	assert_int_equal(f.r[1].kind, MCL_REPLY_MISS);
	assert_int_equal(f.r[1].status, 1);
	assert_int_equal(f.r[2].kind, MCL_REPLY_STORED);
	assert_int_equal(f.r[2].op, MCL_OP_SET);
	assert_int_equal(f.r[2].opaque, 0xdeadbeef);
	assert_int_equal(f.r[3].kind, MCL_REPLY_NOT_STORED);
	assert_int_equal(f.r[4].kind, MCL_REPLY_ERROR);
	assert_int_equal(f.r[4].status, 0x82);
	assert_int_equal(f.r[4].opaque, 11);
	assert_int_equal(f.r[5].kind, MCL_REPLY_ERROR);
	assert_int_equal(f.r[5].op, MCL_OP_GET);
	assert_int_equal(f.r[6].kind, MCL_REPLY_NOT_STORED); /* a SET's "not found" is no miss */
	assert_int_equal(f.r[6].op, MCL_OP_SET);
}

static void test_binary_garbage(void **state)
{
	(void)state;
	uint8_t s[256];
	size_t ok = bin_response(s, 0x81, 0x01, 0, 0, 0, "", 0, 1), n;
	struct {
		uint8_t magic, opcode, extras;
		uint16_t status, klen;
		uint32_t blen;
	} bad[] = {
	    {0x80, 0x00, 4, 0, 0, 6},  /* a request's magic */
	    {0x00, 0x00, 4, 0, 0, 6},  /* no magic */
	    {0x81, 0x05, 0, 0, 0, 0},  /* an opcode never sent */
	    {0x81, 0x00, 0, 0, 0, 6},  /* a hit without its flags */
	    {0x81, 0x00, 4, 0, 10, 6}, /* extras + key past the body */
	    {0x81, 0x01, 0, 0, 0, 6},  /* a SET success with a body */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = ok + bin_response(s + ok, bad[i].magic, bad[i].opcode, bad[i].status,
				      bad[i].extras, bad[i].klen, "\0\0\0\0ab", bad[i].blen, 2);
		assert_garbage(MCL_PROTO_BINARY, 0, (const char *)s, n, 1);
	}
	n = ok + bin_response(s + ok, 0x81, 0x00, 0, 4, 0, "", 0, 2);
	s[ok + 5] = 1; /* data type */
	assert_garbage(MCL_PROTO_BINARY, 0, (const char *)s, n, 1);
	n = ok + bin_response(s + ok, 0x81, 0x00, 0, 4, 0, "", 0, 2);
	s[ok + 8] = 0x7f; /* a body of 2 GB */
	assert_garbage(MCL_PROTO_BINARY, 0, (const char *)s, n, 1);
}

static void test_echo_replies(void **state)
{
	(void)state;
	struct mcl_buf b = {0};
	for (uint64_t seq = 0; seq < 3; seq++)
		assert_int_equal(mcl_proto_build_echo(&b, seq, 10), 0);
	assert_int_equal(b.len, 30);
	struct feed f;
	parse_all_ways(MCL_PROTO_ECHO, 10, b.data, b.len, &f);
	assert_false(f.error);
	assert_int_equal(f.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f.r[i].kind, MCL_REPLY_ECHO);
		assert_int_equal(f.r[i].op, MCL_OP_ECHO);
	}
	/* Out of order: message 1 where 0 is expected. */
	assert_garbage(MCL_PROTO_ECHO, 10, b.data + 10, 20, 0);
	/* One byte changed in the second message. */
	b.data[15] ^= 1;
	assert_garbage(MCL_PROTO_ECHO, 10, b.data, 30, 1);
	mcl_proto_buf_free(&b);
	assert_null(b.data);
}

static void test_build_requests(void **state)
{
	(void)state;
	struct mcl_buf b = {0};
	assert_int_equal(mcl_proto_build_get(MCL_PROTO_ASCII, &b, "k12", 3, 0), 0);
	assert_int_equal(mcl_proto_build_set(MCL_PROTO_ASCII, &b, "k12", 3, 5, 0), 0);
	static const char want[] = "get k12\r\nset k12 0 0 5\r\nabcde\r\n";
	assert_int_equal(b.len - b.off, sizeof(want) - 1);
	assert_memory_equal(b.data + b.off, want, sizeof(want) - 1);
	mcl_proto_buf_consume(&b, 9);
	assert_memory_equal(b.data + b.off, "set", 3);
	mcl_proto_buf_consume(&b, b.len - b.off);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.off, 0);

	assert_int_equal(mcl_proto_build_get(MCL_PROTO_BINARY, &b, "abc", 3, 0x01020304), 0);
	static const uint8_t get[] = {0x80, 0x00, 0, 3, 0, 0, 0, 0, 0, 0, 0,   3,   1,	2,
				      3,    4,	  0, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'};
	assert_int_equal(b.len, sizeof(get));
	assert_memory_equal(b.data, get, sizeof(get));
	mcl_proto_buf_consume(&b, b.len);
	assert_int_equal(mcl_proto_build_set(MCL_PROTO_BINARY, &b, "ab", 2, 300, 9), 0);
	const uint8_t *h = (const uint8_t *)b.data;
	assert_int_equal(b.len, MCL_BIN_HDR + 8 + 2 + 300);
	assert_int_equal(h[0], 0x80);
	assert_int_equal(h[1], 0x01);
	assert_int_equal(h[3], 2);  /* key length */
	assert_int_equal(h[4], 8);  /* extras: flags, expiration */
	assert_int_equal(h[10], 1); /* body 310 = 0x136 */
	assert_int_equal(h[11], 0x36);
	assert_int_equal(h[15], 9); /* opaque */
	assert_memory_equal(b.data + MCL_BIN_HDR + 8, "ab", 2);
	mcl_proto_buf_free(&b);

	/* A large value grows the buffer; earlier unsent bytes survive compaction. */
	assert_int_equal(mcl_proto_build_get(MCL_PROTO_ASCII, &b, "x", 1, 0), 0);
	mcl_proto_buf_consume(&b, 2);
	assert_int_equal(mcl_proto_build_set(MCL_PROTO_ASCII, &b, "y", 1, MCL_VALUE_MAX, 0), 0);
	assert_memory_equal(b.data + b.off, "t x\r\nset y 0 0 1000000\r\n", 24);
	assert_memory_equal(b.data + b.len - 2, "\r\n", 2);
	mcl_proto_buf_free(&b);

	/* Sent bytes make room: no growth while what is unsent still fits. */
	char *room = mcl_proto_buf_room(&b, 3000);
	assert_non_null(room);
	memset(room, 'q', 3000);
	b.len += 3000;
	size_t cap = b.cap;
	mcl_proto_buf_consume(&b, 2900);
	room = mcl_proto_buf_room(&b, cap - 200);
	assert_non_null(room);
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 100);
	assert_int_equal(b.data[99], 'q');
	mcl_proto_buf_free(&b);

	enum mcl_proto p;
	assert_int_equal(mcl_proto_parse_name("binary", &p), 0);
	assert_int_equal(p, MCL_PROTO_BINARY);
	assert_int_equal(mcl_proto_parse_name("echo", &p), 0);
	assert_int_equal(p, MCL_PROTO_ECHO);
	assert_int_equal(mcl_proto_parse_name("text", &p), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_poisson),    cmocka_unit_test(test_sched_deterministic),
	    cmocka_unit_test(test_rng_below),	     cmocka_unit_test(test_usr_sizes),
	    cmocka_unit_test(test_etc_key_sizes),    cmocka_unit_test(test_etc_value_sizes),
	    cmocka_unit_test(test_set_ratio),	     cmocka_unit_test(test_hist_buckets),
	    cmocka_unit_test(test_hist_percentiles), cmocka_unit_test(test_hist_merge),
	    cmocka_unit_test(test_ascii_replies),    cmocka_unit_test(test_ascii_garbage),
	    cmocka_unit_test(test_binary_replies),   cmocka_unit_test(test_binary_garbage),
	    cmocka_unit_test(test_echo_replies),     cmocka_unit_test(test_build_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
