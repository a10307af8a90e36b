/* Host tests for the RSS Toeplitz hash (net/toeplitz.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "net/toeplitz.h"

static const uint8_t ms_key[TOEPLITZ_KEY_SIZE] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The RSS verification suite (Microsoft's RSS documentation; 82599 datasheet 7.1.2.8.3). */
static const struct {
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	uint32_t ipv4, ipv4_tcp;
} vectors[] = {
    {{66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x323e8fc2, 0x51ccc178},
    {{199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xd718262a, 0xc626b0ea},
    {{24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
    {{38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0x82989176, 0xafc7327f},
    {{153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x5d1809c5, 0x10e828a2},
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_verification_suite_raw_bytes(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		uint8_t in[12];
		memcpy(in, vectors[i].src, 4);
		memcpy(in + 4, vectors[i].dst, 4);
		in[8] = vectors[i].sport >> 8;
		in[9] = vectors[i].sport & 0xff;
		in[10] = vectors[i].dport >> 8;
		in[11] = vectors[i].dport & 0xff;
		assert_int_equal(toeplitz_hash(ms_key, in, 8), vectors[i].ipv4);
		assert_int_equal(toeplitz_hash(ms_key, in, 12), vectors[i].ipv4_tcp);
	}
}

static void test_verification_suite_ipv4_helpers(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		uint32_t s = be32(vectors[i].src), d = be32(vectors[i].dst);
		uint8_t in[TOEPLITZ_IPV4_PORTS_LEN];

		assert_int_equal(
		    toeplitz_ipv4_input(in, s, d, vectors[i].sport, vectors[i].dport, true),
		    TOEPLITZ_IPV4_PORTS_LEN);
		assert_memory_equal(in, vectors[i].src, 4); /* network byte order */
		assert_memory_equal(in + 4, vectors[i].dst, 4);
		assert_int_equal(in[8] << 8 | in[9], vectors[i].sport);
		assert_int_equal(toeplitz_ipv4_input(in, s, d, 0, 0, false), TOEPLITZ_IPV4_LEN);
		assert_int_equal(
		    toeplitz_hash_ipv4(ms_key, s, d, vectors[i].sport, vectors[i].dport, true),
		    vectors[i].ipv4_tcp);
		/* without ports the ports are ignored */
		assert_int_equal(toeplitz_hash_ipv4(ms_key, s, d, 1, 2, false), vectors[i].ipv4);
	}
}

/* Input bit i selects key bits i..i+31: the definition, checked at both ends of the key. */
static void test_single_bits_select_key_windows(void **state)
{
	uint8_t in[36];

	(void)state;
	memset(in, 0, sizeof(in));
	assert_int_equal(toeplitz_hash(ms_key, in, sizeof(in)), 0);
	in[0] = 0x80;
	assert_int_equal(toeplitz_hash(ms_key, in, 1), 0x6d5a56da);
	in[0] = 0x01; /* bit 7: key bits 7..38 */
	assert_int_equal(toeplitz_hash(ms_key, in, 1), (uint32_t)(0x6d5a56da255b0ec2ull >> 25));
	in[0] = 0;
	in[35] = 0x01; /* bit 287: key bits 287..318, the last whole window */
	uint64_t tail = (uint64_t)be32(ms_key + 32) << 32 | be32(ms_key + 36);
	assert_int_equal(toeplitz_hash(ms_key, in, 36), (uint32_t)(tail >> 1));
	assert_int_equal(toeplitz_hash(ms_key, NULL, 0), 0);
}

/* The hash is linear over XOR: what makes it cheap in hardware and usable for port choice. */
static void test_linear_in_the_input(void **state)
{
	uint8_t a[12], b[12], x[12];

	(void)state;
	for (unsigned i = 0; i < 12; i++) {
		a[i] = (uint8_t)(i * 37 + 11);
		b[i] = (uint8_t)(i * 91 + 5);
		x[i] = a[i] ^ b[i];
	}
	assert_int_equal(toeplitz_hash(ms_key, x, 12),
			 toeplitz_hash(ms_key, a, 12) ^ toeplitz_hash(ms_key, b, 12));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verification_suite_raw_bytes),
	    cmocka_unit_test(test_verification_suite_ipv4_helpers),
	    cmocka_unit_test(test_single_bits_select_key_windows),
	    cmocka_unit_test(test_linear_in_the_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
