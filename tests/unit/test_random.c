/* Host tests for the kernel's random source (kernel/random.c): ChaCha20 and SipHash-2-4
 * against their published vectors, the generator's fast key erasure, and seeding, with fake
 * hardware: RDSEED, RDRAND, their bounded retries, and the timer-only fallback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "kernel/random.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void key_words(const uint8_t *bytes, uint32_t key[8])
{
	for (int i = 0; i < 8; i++)
		key[i] = le32(bytes + 4 * i);
}

/* --- SipHash-2-4: the reference implementation's vectors (key 00..0f, message 00..len-1). */
static const uint64_t sip_vectors[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

static void test_siphash24_reference_vectors(void **state)
{
	(void)state;
	uint8_t key[16], msg[64];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t len = 0; len < 64; len++)
		assert_true(siphash24(key, msg, len) == sip_vectors[len]);
}

static void test_siphash24_key_matters(void **state)
{
	(void)state;
	uint8_t key[16] = {0}, msg[12] = {198, 18, 0, 2, 198, 18, 0, 1, 0, 7, 0x9c, 0x40};
	uint64_t h = siphash24(key, msg, sizeof(msg));

	for (int bit = 0; bit < 128; bit++) {
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(siphash24(key, msg, sizeof(msg)) != h);
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

/* --- ChaCha20: RFC 8439. --- */

static void test_chacha20_block_rfc8439_2_3_2(void **state)
{
	(void)state;
	uint8_t kb[32], out[64], want[64];
	uint32_t key[8];
	const uint32_t nonce[3] = {0x09000000, 0x4a000000, 0}; /* 00:00:00:09:00:00:00:4a:00:... */

	for (int i = 0; i < 32; i++)
		kb[i] = (uint8_t)i;
	key_words(kb, key);
	chacha20_block(key, 1, nonce, out);
	hex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
	    "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
	    want, 64);
	assert_memory_equal(out, want, 64);
}

static void test_chacha20_block_rfc8439_a1(void **state)
{
	(void)state;
	const uint32_t key[8] = {0}, nonce[3] = {0};
	uint8_t out[64], want[64];

	chacha20_block(key, 0, nonce, out); /* test vector #1 */
	hex("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
	    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
	    want, 64);
	assert_memory_equal(out, want, 64);
	chacha20_block(key, 1, nonce, out); /* test vector #2 */
	hex("9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
	    "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f",
	    want, 64);
	assert_memory_equal(out, want, 64);
}

/* RFC 8439 2.4.2: the key stream from counter 1 on encrypts the "sunscreen" text. */
static void test_chacha20_encryption_rfc8439_2_4_2(void **state)
{
	(void)state;
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	uint8_t kb[32], ks[128], want[114];
	uint32_t key[8];
	const uint32_t nonce[3] = {0, 0x4a000000, 0};

	_Static_assert(sizeof(pt) - 1 == 114, "the RFC's plaintext is 114 bytes");
	for (int i = 0; i < 32; i++)
		kb[i] = (uint8_t)i;
	key_words(kb, key);
	chacha20_block(key, 1, nonce, ks);
	chacha20_block(key, 2, nonce, ks + 64);
	hex("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
	    "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
	    "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
	    "5af90bbf74a35be6b40b8eedf2785e42874d",
	    want, 114);
	for (int i = 0; i < 114; i++)
		assert_int_equal((uint8_t)(pt[i] ^ ks[i]), want[i]);
}

/* --- The generator. --- */

static void test_generator_is_chacha20_with_fast_key_erasure(void **state)
{
	(void)state;
	const uint32_t nonce[3] = {0};
	uint32_t key[8] = {1, 2, 3, 4, 5, 6, 7, 8}, k2[8];
	uint8_t blocks[256];
	struct random_gen g;

	random_gen_init(&g, key);
	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 4; i++)
			chacha20_block(key, i, nonce, blocks + 64 * i);
		/* Words come from the end of the 224 output bytes backwards. */
		for (int w = RANDOM_GEN_WORDS - 1; w >= 0; w--)
			assert_true(random_gen_next(&g) == le64(blocks + 32 + 8 * w));
		key_words(blocks, k2);
		assert_memory_equal(g.key, k2, sizeof(k2)); /* the old key is gone */
		assert_memory_not_equal(g.key, key, sizeof(key));
		memcpy(key, k2, sizeof(key));
		/* Handed-out words are wiped from the state. */
		for (int w = 0; w < RANDOM_GEN_WORDS; w++)
			assert_true(g.buf[w] == 0);
	}
}

static void test_generators_with_different_keys_differ(void **state)
{
	(void)state;
	uint32_t k1[8] = {0}, k2[8] = {0};
	struct random_gen a, b;
	int same = 0;

	k2[7] = 1;
	random_gen_init(&a, k1);
	random_gen_init(&b, k2);
	for (int i = 0; i < 1000; i++)
		same += random_gen_next(&a) == random_gen_next(&b);
	assert_int_equal(same, 0);
}

/* --- The pool. --- */

static int bits_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	int d = 0;

	for (size_t i = 0; i < n; i++)
		d += __builtin_popcount(a[i] ^ b[i]);
	return d;
}

static void pool_of(const uint64_t *s, size_t n, uint8_t seed[32])
{
	struct random_pool p;

	random_pool_init(&p);
	for (size_t i = 0; i < n; i++)
		random_pool_absorb(&p, s[i]);
	random_pool_extract(&p, seed);
	for (size_t i = 0; i < sizeof(p.s) / sizeof(p.s[0]); i++)
		assert_int_equal(p.s[i], 0); /* wiped */
}

static void test_pool_diffuses_every_input_bit(void **state)
{
	(void)state;
	uint64_t s[13];
	uint8_t base[32], seed[32];

	for (int i = 0; i < 13; i++)
		s[i] = 0x0123456789abcdefULL * (uint64_t)(i + 1);
	pool_of(s, 13, base);
	for (int i = 0; i < 13; i++)
		for (int bit = 0; bit < 64; bit += 7) {
			s[i] ^= 1ULL << bit;
			pool_of(s, 13, seed);
			s[i] ^= 1ULL << bit;
			int d = bits_differ(base, seed, 32);
			assert_true(d > 80 && d < 176); /* about half of 256 */
		}
}

static void test_pool_binds_the_sample_count(void **state)
{
	(void)state;
	const uint64_t s[9] = {0};
	uint8_t seeds[10][32];

	/* All-zero samples: only the count tells these apart. */
	for (int n = 0; n <= 9; n++)
		pool_of(s, (size_t)n, seeds[n]);
	for (int i = 0; i <= 9; i++)
		for (int j = i + 1; j <= 9; j++)
			assert_memory_not_equal(seeds[i], seeds[j], 32);
}

/* --- Seeding, with fake hardware. --- */

static struct {
	uint64_t tsc, tsc_step, rtc, seed_next, rand_next;
	uint32_t pit, pm;
	unsigned seed_calls, rand_calls, tsc_calls, pit_calls, pm_calls;
	unsigned seed_fail_first, rand_fail_first; /* calls that fail before values come */
	bool rand_stuck;			   /* RDRAND returns the same value every time */
	unsigned tweak_pit_at;			   /* this PIT call (1-based) reads one more */
} fake;

static bool fake_rdseed(uint64_t *v)
{
	if (++fake.seed_calls <= fake.seed_fail_first)
		return false;
	*v = fake.seed_next += 0x9e3779b97f4a7c15ULL;
	return true;
}

static bool fake_rdrand(uint64_t *v)
{
	if (++fake.rand_calls <= fake.rand_fail_first)
		return false;
	*v = fake.rand_stuck ? 0x5555aaaa5555aaaaULL : (fake.rand_next += 0x632be59bd9b4e019ULL);
	return true;
}

static uint64_t fake_tsc(void)
{
	fake.tsc_calls++;
	return fake.tsc += fake.tsc_step;
}

static uint64_t fake_rtc(void)
{
	return fake.rtc;
}

static uint32_t fake_pit(void)
{
	fake.pit_calls++;
	fake.pit = (fake.pit + 65535 - 13) % 65536;
	return fake.pit + (fake.pit_calls == fake.tweak_pit_at);
}

static uint32_t fake_pm(void)
{
	fake.pm_calls++;
	return fake.pm += 3;
}

static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.tsc = 1000000;
	fake.tsc_step = 377;
	fake.rtc = 1700000000;
	fake.pit = 40000;
	fake.pm = 123456;
}

static const struct random_hw hw_all = {fake_rdseed, fake_rdrand, fake_tsc,
					fake_rtc,    fake_pit,	  fake_pm};
static const struct random_hw hw_rdrand = {NULL,     fake_rdrand, fake_tsc,
					   fake_rtc, fake_pit,	  fake_pm};
static const struct random_hw hw_none = {NULL, NULL, fake_tsc, fake_rtc, fake_pit, fake_pm};
static const struct random_hw hw_none_no_pm = {NULL, NULL, fake_tsc, fake_rtc, fake_pit, NULL};

static void test_seed_prefers_rdseed(void **state)
{
	(void)state;
	uint8_t a[32], b[32];

	fake_reset();
	assert_int_equal(random_seed_collect(&hw_all, a), RANDOM_SEED_RDSEED);
	assert_int_equal(fake.seed_calls, 4);
	assert_int_equal(fake.rand_calls, 0);
	assert_int_equal(fake.tsc_calls, 2 * RANDOM_STRONG_SAMPLES); /* timers mixed in too */
	/* Same hardware readings, same seed; one different RDSEED word, another. */
	fake_reset();
	random_seed_collect(&hw_all, b);
	assert_memory_equal(a, b, 32);
	fake_reset();
	fake.seed_next = 1;
	random_seed_collect(&hw_all, b);
	assert_memory_not_equal(a, b, 32);
}

static void test_seed_retries_are_bounded(void **state)
{
	(void)state;
	uint8_t seed[32];

	/* RDSEED fails a few times, then delivers: retried, still RDSEED. */
	fake_reset();
	fake.seed_fail_first = RANDOM_RDSEED_TRIES - 1;
	assert_int_equal(random_seed_collect(&hw_all, seed), RANDOM_SEED_RDSEED);
	/* RDSEED never delivers: given up after its bound, RDRAND takes over. */
	fake_reset();
	fake.seed_fail_first = ~0u;
	assert_int_equal(random_seed_collect(&hw_all, seed), RANDOM_SEED_RDRAND);
	assert_int_equal(fake.seed_calls, RANDOM_RDSEED_TRIES);
	assert_int_equal(fake.rand_calls, 4);
	/* RDRAND: 10 retries per word (Intel's guidance), then the timers. */
	fake_reset();
	fake.rand_fail_first = RANDOM_RDRAND_TRIES - 1;
	assert_int_equal(random_seed_collect(&hw_rdrand, seed), RANDOM_SEED_RDRAND);
	fake_reset();
	fake.rand_fail_first = ~0u;
	assert_int_equal(random_seed_collect(&hw_rdrand, seed), RANDOM_SEED_TIMERS);
	assert_int_equal(fake.rand_calls, RANDOM_RDRAND_TRIES);
}

static void test_seed_refuses_a_stuck_drng(void **state)
{
	(void)state;
	uint8_t seed[32];

	fake_reset();
	fake.rand_stuck = true;
	assert_int_equal(random_seed_collect(&hw_rdrand, seed), RANDOM_SEED_TIMERS);
	assert_int_equal(fake.rand_calls, 1 + RANDOM_RDRAND_TRIES); /* one word, then repeats */
}

static void test_seed_fallback_mixes_tsc_rtc_pit_and_pm_timer(void **state)
{
	(void)state;
	uint8_t base[32], seed[32];

	fake_reset();
	assert_int_equal(random_seed_collect(&hw_none, base), RANDOM_SEED_TIMERS);
	assert_int_equal(fake.tsc_calls, 2 * RANDOM_WEAK_SAMPLES);
	assert_int_equal(fake.pit_calls, RANDOM_WEAK_SAMPLES);
	assert_int_equal(fake.pm_calls, RANDOM_WEAK_SAMPLES);
	/* Deterministic on the same readings... */
	fake_reset();
	random_seed_collect(&hw_none, seed);
	assert_memory_equal(base, seed, 32);
	/* ...and every source counts: the RTC, one PIT reading in the middle, the PM timer,
	 * and the TSC's pace. */
	fake_reset();
	fake.rtc++;
	random_seed_collect(&hw_none, seed);
	assert_true(bits_differ(base, seed, 32) > 80);
	fake_reset();
	fake.tweak_pit_at = RANDOM_WEAK_SAMPLES / 2;
	random_seed_collect(&hw_none, seed);
	assert_true(bits_differ(base, seed, 32) > 80);
	fake_reset();
	fake.pm = 0;
	random_seed_collect(&hw_none, seed);
	assert_true(bits_differ(base, seed, 32) > 80);
	fake_reset();
	fake.tsc_step = 378;
	random_seed_collect(&hw_none, seed);
	assert_true(bits_differ(base, seed, 32) > 80);
	/* Without a PM timer it still works, and gives another seed. */
	fake_reset();
	assert_int_equal(random_seed_collect(&hw_none_no_pm, seed), RANDOM_SEED_TIMERS);
	assert_int_equal(fake.pm_calls, 0);
	assert_memory_not_equal(base, seed, 32);
}

static void test_a_failed_instruction_adds_nothing(void **state)
{
	(void)state;
	uint8_t a[32], b[32];

	/* RDRAND that never delivers leaves the pool as if there were none... */
	fake_reset();
	fake.rand_fail_first = ~0u;
	assert_int_equal(random_seed_collect(&hw_rdrand, a), RANDOM_SEED_TIMERS);
	fake_reset();
	random_seed_collect(&hw_none, b);
	assert_memory_equal(a, b, 32);
	/* ...and one that fails part way: the words it gave are dropped. */
	fake_reset();
	fake.rand_stuck = true; /* word 1 passes, word 2 repeats it: refused */
	random_seed_collect(&hw_rdrand, a);
	assert_memory_equal(a, b, 32);
	/* One that works gives another seed from the same timer readings. */
	fake_reset();
	random_seed_collect(&hw_rdrand, a);
	assert_memory_not_equal(a, b, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash24_reference_vectors),
	    cmocka_unit_test(test_siphash24_key_matters),
	    cmocka_unit_test(test_chacha20_block_rfc8439_2_3_2),
	    cmocka_unit_test(test_chacha20_block_rfc8439_a1),
	    cmocka_unit_test(test_chacha20_encryption_rfc8439_2_4_2),
	    cmocka_unit_test(test_generator_is_chacha20_with_fast_key_erasure),
	    cmocka_unit_test(test_generators_with_different_keys_differ),
	    cmocka_unit_test(test_pool_diffuses_every_input_bit),
	    cmocka_unit_test(test_pool_binds_the_sample_count),
	    cmocka_unit_test(test_seed_prefers_rdseed),
	    cmocka_unit_test(test_seed_retries_are_bounded),
	    cmocka_unit_test(test_seed_refuses_a_stuck_drng),
	    cmocka_unit_test(test_seed_fallback_mixes_tsc_rtc_pit_and_pm_timer),
	    cmocka_unit_test(test_a_failed_instruction_adds_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
