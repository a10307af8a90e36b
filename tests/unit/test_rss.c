/* Flow consistency: ports chosen for outgoing connections bring the replies to the issuer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/rss.h"
#include "net/toeplitz.h"

/* Microsoft's RSS verification key. */
static const uint8_t key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static void reta_spread(uint8_t *reta, unsigned nq)
{
	for (unsigned i = 0; i < RSS_RETA_SIZE; i++)
		reta[i] = (uint8_t)(i % nq);
}

static void test_rss_queue_matches_published_vector(void **state)
{
	uint8_t reta[RSS_RETA_SIZE];

	(void)state;
	/* 66.9.149.187:2794 -> 161.142.100.80:1766 hashes to 0x51ccc178 (with ports). */
	for (unsigned i = 0; i < RSS_RETA_SIZE; i++)
		reta[i] = (uint8_t)i;
	assert_int_equal(rss_queue(key, reta, IP(66, 9, 149, 187), IP(161, 142, 100, 80), 2794,
				   1766),
			 0x51ccc178 & 127);
}

static void test_picked_ports_bring_replies_home(void **state)
{
	uint8_t reta[RSS_RETA_SIZE];
	uint32_t local = IP(198, 18, 0, 2), remote = IP(198, 18, 0, 1);

	(void)state;
	for (unsigned nq = 1; nq <= 16; nq++) {
		reta_spread(reta, nq);
		for (unsigned q = 0; q < nq; q++) {
			uint16_t p = rss_pick_port(key, reta, local, remote, 80, q, 50000, NULL, NULL);
			assert_true(p >= RSS_PORT_FIRST);
			assert_int_equal(rss_queue(key, reta, remote, local, 80, p), q);
		}
	}
}

static int odd_in_use(uint16_t port, void *arg)
{
	(*(unsigned *)arg)++;
	return port % 2;
}

static void test_ports_in_use_are_skipped(void **state)
{
	uint8_t reta[RSS_RETA_SIZE];
	unsigned asked = 0;

	(void)state;
	reta_spread(reta, 4);
	for (unsigned q = 0; q < 4; q++) {
		uint16_t p = rss_pick_port(key, reta, IP(10, 0, 0, 2), IP(10, 0, 0, 9), 443, q,
					   60000, odd_in_use, &asked);
		assert_int_equal(p % 2, 0);
		assert_int_equal(rss_queue(key, reta, IP(10, 0, 0, 9), IP(10, 0, 0, 2), 443, p), q);
	}
	assert_true(asked >= 4);
}

static void test_queue_absent_from_reta_gives_zero(void **state)
{
	uint8_t reta[RSS_RETA_SIZE];

	(void)state;
	reta_spread(reta, 2); /* queues 0 and 1 only */
	assert_int_equal(rss_pick_port(key, reta, IP(1, 2, 3, 4), IP(5, 6, 7, 8), 7, 5, 0, NULL,
				       NULL),
			 0);
}

static void test_search_wraps_and_spreads(void **state)
{
	uint8_t reta[RSS_RETA_SIZE];

	(void)state;
	reta_spread(reta, 3);
	/* Started near the end of the range, the search wraps to the start if it must. */
	uint16_t a = rss_pick_port(key, reta, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 9, 1, 65535, NULL,
				   NULL);
	assert_true(a >= RSS_PORT_FIRST);
	/* Starting after a, the next pick is a different port. */
	uint16_t b = rss_pick_port(key, reta, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 9, 1,
				   (uint16_t)(a == 65535 ? RSS_PORT_FIRST : a + 1), NULL, NULL);
	assert_int_not_equal(a, b);
	assert_int_equal(rss_queue(key, reta, IP(2, 2, 2, 2), IP(1, 1, 1, 1), 9, b), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss_queue_matches_published_vector),
		cmocka_unit_test(test_picked_ports_bring_replies_home),
		cmocka_unit_test(test_ports_in_use_are_skipped),
		cmocka_unit_test(test_queue_absent_from_reta_gives_zero),
		cmocka_unit_test(test_search_wraps_and_spreads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
