/*
 * Host tests for the management protocol: HMAC, message codec (with the snapshot field of
 * version 2), replay rule, framing, records, and the target's kept answers (mgmt/answer_cache.c:
 * parts of two snapshots never mix, evicted snapshots are reported, overflow is an error).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mgmt/answer_cache.h"
#include "mgmt/hmac.h"
#include "mgmt/proto.h"

static const uint8_t key[MGMT_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
					  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
					  23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void unhex(const char *hex, uint8_t *out)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void check_hmac(const uint8_t *k, size_t klen, const void *data, size_t len, const char *hex)
{
	uint8_t want[32], got[32];

	unhex(hex, want);
	mgmt_hmac_sha256(k, klen, data, len, got);
	assert_memory_equal(got, want, 32);
}

/* RFC 4231 test cases 1, 2, 3 and 6 (HMAC-SHA-256 outputs). */
static void test_hmac_rfc4231(void **state)
{
	(void)state;
	uint8_t k[131], d[50];

	memset(k, 0x0b, 20);
	check_hmac(k, 20, "Hi There", 8,
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 20);
	memset(d, 0xdd, 50);
	check_hmac(k, 20, d, 50,
		   "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	memset(k, 0xaa, 131);
	const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
	check_hmac(k, 131, m, strlen(m),
		   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

	/* The two-piece form equals the one-piece form. */
	uint8_t a[32], b[32];
	mgmt_hmac_sha256(k, 20, m, strlen(m), a);
	mgmt_hmac_sha256_2(k, 20, m, 10, m + 10, strlen(m) - 10, b);
	assert_memory_equal(a, b, 32);
	assert_true(mgmt_ct_equal(a, b, 32));
	b[31] ^= 1;
	assert_false(mgmt_ct_equal(a, b, 32));
}

static void test_key_parse(void **state)
{
	(void)state;
	uint8_t k[32];
	const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";

	assert_int_equal(mgmt_key_parse(hex, 64, k), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(k[i], i);
	assert_int_equal(mgmt_key_parse(hex, 63, k), -1);
	assert_int_equal(mgmt_key_parse(hex, 0, k), -1);
	char bad[65];
	memcpy(bad, hex, 65);
	bad[17] = 'g';
	assert_int_equal(mgmt_key_parse(bad, 64, k), -1);
	bad[17] = ' ';
	assert_int_equal(mgmt_key_parse(bad, 64, k), -1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mgmt_status_name(MGMT_OK), "ok");
	assert_string_equal(mgmt_status_name(MGMT_ST_BAD_MAC), "bad_mac");
	assert_string_equal(mgmt_status_name(MGMT_ST_NOT_PROVISIONED), "not_provisioned");
	assert_string_equal(mgmt_status_name(MGMT_ST_INTERNAL), "internal");
	assert_string_equal(mgmt_status_name(999), "unknown");
	for (unsigned s = 0; s < MGMT_ST_COUNT; s++)
		assert_non_null(mgmt_status_name(s));
	assert_string_equal(mgmt_cmd_name(MGMT_CMD_CORE_SET), "core_set");
	assert_null(mgmt_cmd_name(0));
	assert_null(mgmt_cmd_name(MGMT_CMD_COUNT));
	for (unsigned c = 1; c < MGMT_CMD_COUNT; c++)
		assert_non_null(mgmt_cmd_name(c));
}

static size_t make_req(uint8_t *out, unsigned cmd, uint64_t seq, const char *payload)
{
	struct mgmt_hdr h = {
	    .version = MGMT_VERSION, .type = MGMT_TYPE_REQUEST, .command = cmd, .seq = seq};
	return mgmt_msg_encode(out, MGMT_MSG_MAX, &h, payload, strlen(payload), key);
}

static void test_roundtrip(void **state)
{
	(void)state;
	uint8_t msg[MGMT_MSG_MAX];
	struct mgmt_hdr h;
	const uint8_t *pl;
	uint64_t last = 100;
	size_t n = make_req(msg, MGMT_CMD_CORE_SET, 0x0102030405060708ull, "arg count=2\n");

	assert_int_equal(n, MGMT_HDR_LEN + 12 + MGMT_TAG_LEN);
	assert_int_equal(MGMT_HDR_LEN, 28);
	assert_int_equal(MGMT_PAYLOAD_MAX, 1340);
	/* The documented byte layout. */
	assert_memory_equal(msg, "IXMG", 4);
	assert_int_equal(msg[4], 2);
	assert_int_equal(msg[5], MGMT_TYPE_REQUEST);
	assert_int_equal(msg[6], MGMT_CMD_CORE_SET);
	assert_int_equal(msg[7], 0);
	assert_int_equal(msg[14], 12);
	assert_int_equal(msg[16], 0x08);
	assert_int_equal(msg[23], 0x01);
	assert_memory_equal(msg + 24, "\0\0\0\0", 4); /* snapshot 0 */
	assert_memory_equal(msg + 28, "arg count=2\n", 12);

	assert_int_equal(mgmt_request_verify(msg, n, key, &last, &h, &pl), MGMT_OK);
	assert_int_equal(last, 0x0102030405060708ull);
	assert_int_equal(h.command, MGMT_CMD_CORE_SET);
	assert_int_equal(h.len, 12);
	assert_memory_equal(pl, "arg count=2\n", 12);
	/* The same request again is a replay, and so is any older seq. */
	assert_int_equal(mgmt_request_verify(msg, n, key, &last, &h, &pl), MGMT_ST_REPLAY);
	n = make_req(msg, MGMT_CMD_PING, 0x0102030405060707ull, "");
	assert_int_equal(mgmt_request_verify(msg, n, key, &last, &h, &pl), MGMT_ST_REPLAY);
	assert_int_equal(last, 0x0102030405060708ull);
	n = make_req(msg, MGMT_CMD_PING, 0x0102030405060709ull, "");
	assert_int_equal(mgmt_request_verify(msg, n, key, &last, &h, &pl), MGMT_OK);

	/* Response: echoes seq and command, authenticated, then verified by the client. */
	uint8_t resp[MGMT_MSG_MAX];
	struct mgmt_hdr rh;
	size_t rn = mgmt_response_encode(resp, sizeof(resp), &h, MGMT_OK, MGMT_FLAG_MORE, 3,
					 0xa1b2c3d4u, "pong\n", 5, key);
	assert_int_equal(rn, MGMT_MSG_MIN + 5);
	/* The snapshot id: little-endian at 24..27, under the tag like the rest. */
	assert_int_equal(resp[24], 0xd4);
	assert_int_equal(resp[27], 0xa1);
	assert_int_equal(mgmt_response_verify(resp, rn, key, h.seq, &rh, &pl), MGMT_OK);
	assert_int_equal(rh.type, MGMT_TYPE_RESPONSE);
	assert_int_equal(rh.flags, MGMT_FLAG_MORE);
	assert_int_equal(rh.part, 3);
	assert_int_equal(rh.snap, 0xa1b2c3d4u);
	assert_int_equal(rh.command, MGMT_CMD_PING);
	assert_memory_equal(pl, "pong\n", 5);
	uint8_t changed[MGMT_MSG_MAX];
	memcpy(changed, resp, rn);
	changed[25] ^= 1; /* another snapshot id: the tag no longer matches */
	assert_int_equal(mgmt_response_verify(changed, rn, key, h.seq, &rh, &pl), MGMT_ST_BAD_MAC);
	/* A request's snapshot id round-trips too. */
	struct mgmt_hdr sq = {.version = MGMT_VERSION,
			      .type = MGMT_TYPE_REQUEST,
			      .command = MGMT_CMD_STATS,
			      .part = 2,
			      .seq = 0x0102030405060799ull,
			      .snap = 0xfffffffeu};
	uint8_t sm[MGMT_MSG_MAX];
	size_t sn = mgmt_msg_encode(sm, sizeof(sm), &sq, NULL, 0, key);
	assert_int_equal(sn, MGMT_MSG_MIN);
	assert_int_equal(mgmt_request_verify(sm, sn, key, &last, &rh, &pl), MGMT_OK);
	assert_int_equal(rh.snap, 0xfffffffeu);
	assert_int_equal(rh.part, 2);
	assert_int_equal(mgmt_response_verify(resp, rn, key, h.seq + 1, &rh, &pl),
			 MGMT_ST_WRONG_SEQ);
	uint8_t other[32] = {9};
	assert_int_equal(mgmt_response_verify(resp, rn, other, h.seq, &rh, &pl), MGMT_ST_BAD_MAC);
	/* A request is not a response, and a response is not a request. */
	assert_int_equal(mgmt_response_verify(msg, n, key, h.seq, &rh, &pl), MGMT_ST_BAD_TYPE);
	last = 0;
	assert_int_equal(mgmt_request_verify(resp, rn, key, &last, &rh, &pl), MGMT_ST_BAD_MAGIC);

	/* Largest payload fits exactly; one more byte does not. */
	static char big[MGMT_PAYLOAD_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[MGMT_PAYLOAD_MAX] = '\0';
	assert_int_equal(make_req(msg, MGMT_CMD_PING, 5, big), MGMT_MSG_MAX);
	big[MGMT_PAYLOAD_MAX] = 'x';
	assert_int_equal(make_req(msg, MGMT_CMD_PING, 5, big), 0);
	assert_int_equal(mgmt_msg_encode(msg, 60, &h, "", 0, key), MGMT_MSG_MIN);
	assert_int_equal(mgmt_msg_encode(msg, MGMT_MSG_MIN - 1, &h, "", 0, key), 0);
}

static void test_rejections(void **state)
{
	(void)state;
	uint8_t msg[MGMT_MSG_MAX + 16];
	uint8_t copy[MGMT_MSG_MAX + 16];
	struct mgmt_hdr h;
	const uint8_t *pl;
	uint64_t last = 10;
	size_t n = make_req(msg, MGMT_CMD_LOG, 11, "arg lines=5\n");

	/* A flipped bit anywhere is rejected with last_seq unchanged. */
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, msg, n);
			copy[i] ^= (uint8_t)(1 << bit);
			enum mgmt_status st = mgmt_request_verify(copy, n, key, &last, &h, &pl);
			assert_int_not_equal(st, MGMT_OK);
			assert_int_equal(last, 10);
		}
	}
	/* Specific statuses. */
	memcpy(copy, msg, n);
	copy[n - 1] ^= 0x80;
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_BAD_MAC);
	uint8_t wrong[32] = {0};
	assert_int_equal(mgmt_request_verify(msg, n, wrong, &last, &h, &pl), MGMT_ST_BAD_MAC);
	assert_int_equal(mgmt_request_verify(msg, n, NULL, &last, &h, &pl),
			 MGMT_ST_NOT_PROVISIONED);
	memcpy(copy, msg, n);
	copy[0] = 'X';
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_BAD_MAGIC);
	memcpy(copy, msg, n);
	copy[4] = 3;
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_BAD_VERSION);
	copy[4] = 1; /* the previous version */
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_BAD_VERSION);
	memcpy(copy, msg, n);
	copy[4] = 0;
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_BAD_VERSION);
	/* Truncated at every length. */
	for (size_t len = 0; len < n; len++) {
		enum mgmt_status st = mgmt_request_verify(msg, len, key, &last, &h, &pl);
		assert_int_equal(st, MGMT_ST_TRUNCATED);
	}
	/* Trailing bytes, oversized datagram. */
	memcpy(copy, msg, n);
	copy[n] = 0;
	assert_int_equal(mgmt_request_verify(copy, n + 1, key, &last, &h, &pl), MGMT_ST_OVERSIZED);
	memset(copy, 0, sizeof(copy));
	memcpy(copy, msg, n);
	assert_int_equal(mgmt_request_verify(copy, MGMT_MSG_MAX + 1, key, &last, &h, &pl),
			 MGMT_ST_OVERSIZED);
	/* The length field lying: bigger than the datagram, bigger than the limit, smaller. */
	memcpy(copy, msg, n);
	copy[14] = 13;
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_TRUNCATED);
	copy[14] = (MGMT_PAYLOAD_MAX + 1) & 0xff;
	copy[15] = (MGMT_PAYLOAD_MAX + 1) >> 8;
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_OVERSIZED);
	copy[14] = 0xff;
	copy[15] = 0xff;
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_OVERSIZED);
	copy[14] = 11;
	copy[15] = 0;
	assert_int_equal(mgmt_request_verify(copy, n, key, &last, &h, &pl), MGMT_ST_OVERSIZED);
	assert_int_equal(last, 10);
	/* The untouched message is still fine. */
	assert_int_equal(mgmt_request_verify(msg, n, key, &last, &h, &pl), MGMT_OK);
	assert_int_equal(last, 11);
	/* A version 1 layout message (24-byte header) of the right size: bad_version. */
	memcpy(copy, msg, n);
	copy[4] = 1;
	assert_int_equal(mgmt_request_verify(copy, n - 4, key, &last, &h, &pl),
			 MGMT_ST_BAD_VERSION);
}

static void test_error_reply(void **state)
{
	(void)state;
	uint8_t msg[MGMT_MSG_MAX], out[MGMT_MSG_MAX];
	struct mgmt_hdr h;
	const uint8_t *pl;
	uint64_t last = 0;
	uint8_t wrong[32] = {7};
	size_t n = make_req(msg, MGMT_CMD_STATUS, 42, "");

	assert_int_equal(mgmt_request_verify(msg, n, wrong, &last, &h, &pl), MGMT_ST_BAD_MAC);
	size_t rn = mgmt_error_reply(msg, n, MGMT_ST_BAD_MAC, out, sizeof(out));
	assert_int_equal(rn, MGMT_MSG_MIN);
	/* The client sees an unauthenticated bad_mac for its seq, whatever its key. */
	assert_int_equal(mgmt_response_verify(out, rn, key, 42, &h, &pl), MGMT_ST_UNAUTHENTICATED);
	assert_int_equal(h.status, MGMT_ST_BAD_MAC);
	assert_null(pl);
	assert_int_equal(mgmt_response_verify(out, rn, key, 43, &h, &pl), MGMT_ST_WRONG_SEQ);
	/* An unauthenticated "ok", or one with a payload or a nonzero tag, is rejected. */
	uint8_t forged[MGMT_MSG_MAX];
	memcpy(forged, out, rn);
	forged[8] = 0;
	assert_int_equal(mgmt_response_verify(forged, rn, key, 42, &h, &pl), MGMT_ST_BAD_MAC);
	memcpy(forged, out, rn);
	forged[rn - 1] = 1;
	assert_int_equal(mgmt_response_verify(forged, rn, key, 42, &h, &pl), MGMT_ST_BAD_MAC);
	struct mgmt_hdr req = {.command = 2, .seq = 42};
	assert_int_equal(
	    mgmt_response_encode(forged, sizeof(forged), &req, MGMT_ST_BUSY, 0, 0, 0, "x", 1, NULL),
	    0);
	struct mgmt_hdr fh = {
	    .version = MGMT_VERSION, .type = MGMT_TYPE_RESPONSE, .status = MGMT_ST_BUSY, .seq = 42};
	rn = mgmt_msg_encode(forged, sizeof(forged), &fh, "data\n", 5, NULL);
	assert_int_equal(mgmt_response_verify(forged, rn, key, 42, &h, &pl), MGMT_ST_BAD_MAC);

	/* No reply to ok, short input, bad magic, responses. */
	assert_int_equal(mgmt_error_reply(msg, n, MGMT_OK, out, sizeof(out)), 0);
	assert_int_equal(
	    mgmt_error_reply(msg, MGMT_MSG_MIN - 1, MGMT_ST_TRUNCATED, out, sizeof(out)), 0);
	memcpy(forged, msg, n);
	forged[1] = 0;
	assert_int_equal(mgmt_error_reply(forged, n, MGMT_ST_BAD_MAGIC, out, sizeof(out)), 0);
	memcpy(forged, msg, n);
	forged[5] = MGMT_TYPE_RESPONSE;
	assert_int_equal(mgmt_error_reply(forged, n, MGMT_ST_BAD_MAGIC, out, sizeof(out)), 0);
	/* An unknown version is answered in the current layout with the seq echoed... */
	memcpy(forged, msg, n);
	forged[4] = 9;
	rn = mgmt_error_reply(forged, n, MGMT_ST_BAD_VERSION, out, sizeof(out));
	assert_int_equal(rn, MGMT_MSG_MIN);
	assert_int_equal(out[4], MGMT_VERSION);
	assert_int_equal(mgmt_response_verify(out, rn, key, 42, &h, &pl), MGMT_ST_UNAUTHENTICATED);
	assert_int_equal(h.status, MGMT_ST_BAD_VERSION);
	assert_int_equal(h.version, MGMT_VERSION);
	assert_int_equal(h.snap, 0);
	/* ... never longer than the request: a 56..59 byte one of another version gets nothing. */
	assert_int_equal(
	    mgmt_error_reply(forged, MGMT_MSG_MIN - 1, MGMT_ST_BAD_VERSION, out, sizeof(out)), 0);
	/* A version 1 request (an old ixmgr: 56 bytes, no snapshot field) is answered in the
	 * version 1 layout, which it reads; a current client recognises such an answer too. */
	uint8_t v1[MGMT_MSG_MIN_V1];
	memcpy(v1, msg, MGMT_HDR_LEN_V1);
	v1[4] = MGMT_VERSION_V1;
	v1[14] = v1[15] = 0;
	memset(v1 + MGMT_HDR_LEN_V1, 0x33, MGMT_TAG_LEN);
	assert_int_equal(mgmt_request_verify(v1, sizeof(v1), key, &last, &h, &pl),
			 MGMT_ST_BAD_VERSION);
	rn = mgmt_error_reply(v1, sizeof(v1), MGMT_ST_BAD_VERSION, out, sizeof(out));
	assert_int_equal(rn, MGMT_MSG_MIN_V1);
	assert_int_equal(out[4], MGMT_VERSION_V1);
	assert_int_equal(out[5], MGMT_TYPE_RESPONSE);
	assert_int_equal(out[8], MGMT_ST_BAD_VERSION);
	assert_int_equal(out[10], MGMT_FLAG_UNAUTH);
	assert_int_equal(out[16], 42);
	assert_int_equal(mgmt_response_verify(out, rn, key, 42, &h, &pl), MGMT_ST_UNAUTHENTICATED);
	assert_int_equal(h.status, MGMT_ST_BAD_VERSION);
	assert_int_equal(h.version, MGMT_VERSION_V1);
	assert_int_equal(mgmt_response_verify(out, rn, key, 43, &h, &pl), MGMT_ST_WRONG_SEQ);
	out[30] = 1; /* a version 1 answer with a tag is not one we can check: ignored */
	assert_int_not_equal(mgmt_response_verify(out, rn, key, 42, &h, &pl),
			     MGMT_ST_UNAUTHENTICATED);
	assert_int_not_equal(mgmt_response_verify(out, rn, key, 42, &h, &pl), MGMT_OK);
}

static void test_key_set_extract(void **state)
{
	(void)state;
	uint8_t msg[MGMT_MSG_MAX], k[32];
	struct mgmt_hdr h = {.version = MGMT_VERSION,
			     .type = MGMT_TYPE_REQUEST,
			     .command = MGMT_CMD_KEY_SET,
			     .seq = 1};
	const char *p =
	    "arg key=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n";
	size_t n = mgmt_msg_encode(msg, sizeof(msg), &h, p, strlen(p), key);
	const uint8_t *pl;
	uint64_t last = 0;

	assert_int_equal(mgmt_key_set_extract(msg, n, k), MGMT_OK);
	assert_memory_equal(k, key, 32);
	assert_int_equal(mgmt_request_verify(msg, n, k, &last, &h, &pl), MGMT_OK);
	p = "arg key=0102\n";
	n = mgmt_msg_encode(msg, sizeof(msg), &h, p, strlen(p), key);
	assert_int_equal(mgmt_key_set_extract(msg, n, k), MGMT_ST_BAD_ARGUMENT);
	h.command = MGMT_CMD_STATUS;
	n = mgmt_msg_encode(msg, sizeof(msg), &h, "", 0, key);
	assert_int_equal(mgmt_key_set_extract(msg, n, k), MGMT_ST_NOT_PROVISIONED);
}

static void test_part_slice(void **state)
{
	(void)state;
	const char *t = "aaaa\nbb\ncccccc\nd\n";
	size_t len = strlen(t), off, n;
	bool more;

	assert_true(mgmt_part_slice(t, len, 0, 8, &off, &n, &more));
	assert_int_equal(off, 0);
	assert_int_equal(n, 8);
	assert_true(more);
	assert_true(mgmt_part_slice(t, len, 1, 8, &off, &n, &more));
	assert_int_equal(off, 8);
	assert_int_equal(n, 7);
	assert_true(more);
	assert_true(mgmt_part_slice(t, len, 2, 8, &off, &n, &more));
	assert_int_equal(off, 15);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_false(mgmt_part_slice(t, len, 3, 8, &off, &n, &more));
	/* A line longer than a part is cut; the parts still cover the text exactly. */
	assert_true(mgmt_part_slice(t, len, 2, 4, &off, &n, &more));
	assert_int_equal(off, 8);
	assert_int_equal(n, 4);
	size_t total = 0;
	for (unsigned p = 0; mgmt_part_slice(t, len, p, 3, &off, &n, &more); p++) {
		assert_int_equal(off, total);
		total += n;
		assert_true(more == (total < len));
	}
	assert_int_equal(total, len);
	assert_true(mgmt_part_slice("", 0, 0, 8, &off, &n, &more));
	assert_int_equal(n, 0);
	assert_false(more);
	assert_false(mgmt_part_slice("", 0, 1, 8, &off, &n, &more));
}

/* Feeds bytes to a deframer and collects frames into out (concatenated, lengths in lens). */
static int feed(struct mgmt_deframer *d, const uint8_t *b, size_t n, uint8_t *out, size_t *lens,
		int *errors)
{
	int frames = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		enum mgmt_deframe_result r = mgmt_deframe_byte(d, b[i]);
		if (r == MGMT_DF_FRAME) {
			memcpy(out + o, d->buf, d->len);
			o += d->len;
			lens[frames++] = d->len;
		} else if (r == MGMT_DF_ERROR) {
			(*errors)++;
		}
	}
	return frames;
}

static void test_framing(void **state)
{
	(void)state;
	static struct mgmt_deframer d;
	uint8_t msg[MGMT_MSG_MAX], fr[MGMT_FRAME_MAX], out[4 * MGMT_FRAME_MAX];
	size_t lens[8];
	int errors = 0;

	/* Every byte value including END and ESC survives. */
	for (int i = 0; i < 256; i++)
		msg[i] = (uint8_t)i;
	size_t fn = mgmt_frame_encode(msg, 256, fr, sizeof(fr));
	assert_int_equal(fn, 256 + 2 + 2);
	assert_int_equal(fr[0], MGMT_SLIP_END);
	assert_int_equal(fr[fn - 1], MGMT_SLIP_END);
	mgmt_deframe_init(&d);
	assert_int_equal(feed(&d, fr, fn, out, lens, &errors), 1);
	assert_int_equal(lens[0], 256);
	assert_memory_equal(out, msg, 256);
	assert_int_equal(errors, 0);

	/* Worst case: all END bytes, a full-size message. */
	memset(msg, MGMT_SLIP_END, MGMT_MSG_MAX);
	fn = mgmt_frame_encode(msg, MGMT_MSG_MAX, fr, sizeof(fr));
	assert_int_equal(fn, MGMT_FRAME_MAX);
	assert_int_equal(mgmt_frame_encode(msg, MGMT_MSG_MAX, fr, MGMT_FRAME_MAX - 1), 0);
	assert_int_equal(feed(&d, fr, fn, out, lens, &errors), 1);
	assert_int_equal(lens[0], MGMT_MSG_MAX);
	assert_memory_equal(out, msg, MGMT_MSG_MAX);

	/* Garbage before, a bad escape, an oversized run, then frames: resynchronises. */
	uint8_t stream[3 * MGMT_FRAME_MAX];
	size_t s = 0;
	const uint8_t garbage[] = {'x', 'y', MGMT_SLIP_ESC, 'q', 'z', MGMT_SLIP_END};
	memcpy(stream, garbage, sizeof(garbage));
	s += sizeof(garbage);
	memset(stream + s, 'A', MGMT_MSG_MAX + 5); /* too long: dropped */
	s += MGMT_MSG_MAX + 5;
	const uint8_t m1[] = {1, MGMT_SLIP_ESC, 2, MGMT_SLIP_END, 3};
	s += mgmt_frame_encode(m1, sizeof(m1), stream + s, sizeof(stream) - s);
	stream[s++] = 'j'; /* junk between frames: delivered as its own frame */
	const uint8_t m2[] = {9, 8, 7};
	s += mgmt_frame_encode(m2, sizeof(m2), stream + s, sizeof(stream) - s);
	errors = 0;
	mgmt_deframe_init(&d);
	int frames = feed(&d, stream, s, out, lens, &errors);
	assert_int_equal(errors, 2);
	assert_int_equal(frames, 3);
	assert_int_equal(lens[0], sizeof(m1));
	assert_memory_equal(out, m1, sizeof(m1));
	assert_int_equal(lens[1], 1);
	assert_int_equal(out[sizeof(m1)], 'j');
	assert_int_equal(lens[2], sizeof(m2));
	assert_memory_equal(out + sizeof(m1) + 1, m2, sizeof(m2));

	/* ESC right before END is an error, and the next frame still decodes. */
	const uint8_t bad[] = {MGMT_SLIP_END, 5, MGMT_SLIP_ESC, MGMT_SLIP_END,
			       MGMT_SLIP_END, 6, MGMT_SLIP_END};
	errors = 0;
	assert_int_equal(feed(&d, bad, sizeof(bad), out, lens, &errors), 1);
	assert_int_equal(errors, 1);
	assert_int_equal(lens[0], 1);
	assert_int_equal(out[0], 6);
	assert_int_equal(mgmt_frame_encode(m2, 3, fr, 4), 0);
	assert_int_equal(mgmt_frame_encode(m2, 3, fr, 5), 5);
}

static void test_records_parse(void **state)
{
	(void)state;
	const char *t = "system version=abc uptime_s=12 cpus=4\n"
			"\n"
			"core id=0 role=mgmt\r\n"
			"link  port=dp   up=1 \n"
			"error msg=no%20such%25thing\n"
			"empty\n"
			"last a=b=c";
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	struct mgmt_kv kv;
	uint64_t v;
	const char *val;
	size_t n, pos;
	char buf[64];

	mgmt_rec_iter_init(&it, t, strlen(t));
	assert_int_equal(mgmt_rec_next(&it, &r), 1);
	assert_true(mgmt_rec_is(&r, "system"));
	assert_false(mgmt_rec_is(&r, "sys"));
	assert_true(mgmt_rec_get_u64(&r, "cpus", &v));
	assert_int_equal(v, 4);
	assert_false(mgmt_rec_get_u64(&r, "version", &v));
	assert_false(mgmt_rec_get(&r, "missing", &val, &n));
	assert_true(mgmt_rec_get(&r, "version", &val, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(val, "abc", 3);
	assert_int_equal(mgmt_rec_next(&it, &r), 1);
	assert_true(mgmt_rec_is(&r, "core"));
	assert_true(mgmt_rec_get(&r, "role", &val, &n));
	assert_int_equal(n, 4); /* the \r is not part of the value */
	assert_int_equal(mgmt_rec_next(&it, &r), 1);
	pos = 0;
	assert_int_equal(mgmt_kv_next(&r, &pos, &kv), 1);
	assert_int_equal(kv.key_len, 4);
	assert_int_equal(mgmt_kv_next(&r, &pos, &kv), 1);
	assert_memory_equal(kv.key, "up", 2);
	assert_int_equal(mgmt_kv_next(&r, &pos, &kv), 0);
	assert_int_equal(mgmt_rec_next(&it, &r), 1);
	assert_true(mgmt_rec_get(&r, "msg", &val, &n));
	assert_int_equal(mgmt_unescape(val, n, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "no such%thing");
	assert_int_equal(mgmt_unescape(val, n, buf, 5), 13);
	assert_string_equal(buf, "no s");
	assert_int_equal(mgmt_rec_next(&it, &r), 1);
	assert_true(mgmt_rec_is(&r, "empty"));
	pos = 0;
	assert_int_equal(mgmt_kv_next(&r, &pos, &kv), 0);
	assert_int_equal(mgmt_rec_next(&it, &r), 1);
	assert_true(mgmt_rec_get(&r, "a", &val, &n));
	assert_memory_equal(val, "b=c", 3);
	assert_int_equal(mgmt_rec_next(&it, &r), 0);
	assert_int_equal(mgmt_rec_next(&it, &r), 0);

	/* Malformed lines: reported, then skipped. */
	const char *bad[] = {"Core id=0",    "core id",
			     "core =1",	     "core id=a\tb",
			     "core id=\x80", " core id=1",
			     "core ID=1",    "c\x01 a=1",
			     "core a=1 b",   "abcdefghijklmnopqrstuvwxyz0123456 a=1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[80];
		snprintf(line, sizeof(line), "%s\nok x=1\n", bad[i]);
		mgmt_rec_iter_init(&it, line, strlen(line));
		assert_int_equal(mgmt_rec_next(&it, &r), -1);
		assert_int_equal(mgmt_rec_next(&it, &r), 1);
		assert_true(mgmt_rec_is(&r, "ok"));
	}
	/* A NUL byte inside a line. */
	const char nul[] = "core id=1\0x\n";
	mgmt_rec_iter_init(&it, nul, sizeof(nul) - 1);
	assert_int_equal(mgmt_rec_next(&it, &r), -1);
	/* Numbers: overflow and odd forms are refused. */
	const char *nums[] = {"n v=18446744073709551615",
			      "n v=18446744073709551616",
			      "n v=",
			      "n v=-1",
			      "n v=+1",
			      "n v=0x10",
			      "n v=007"};
	const bool ok[] = {true, false, false, false, false, false, true};
	for (size_t i = 0; i < 7; i++) {
		mgmt_rec_iter_init(&it, nums[i], strlen(nums[i]));
		assert_int_equal(mgmt_rec_next(&it, &r), 1);
		assert_true(mgmt_rec_get_u64(&r, "v", &v) == ok[i]);
	}
	/* Bad escapes. */
	assert_int_equal(mgmt_unescape("a%2", 3, buf, sizeof(buf)), -1);
	assert_int_equal(mgmt_unescape("a%", 2, buf, sizeof(buf)), -1);
	assert_int_equal(mgmt_unescape("%zz", 3, buf, sizeof(buf)), -1);
	assert_int_equal(mgmt_unescape("%41", 3, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "A");
	assert_int_equal(mgmt_unescape("", 0, buf, 0), 0);
	assert_false(mgmt_name_ok("", 0));
	assert_true(mgmt_name_ok("rx_packets", 10));
}

static void test_records_build(void **state)
{
	(void)state;
	char buf[64];
	struct mgmt_buf b;

	mgmt_buf_init(&b, buf, sizeof(buf));
	mgmt_rec_begin(&b, "core");
	mgmt_rec_u64(&b, "id", 0);
	mgmt_rec_u64(&b, "max", UINT64_MAX);
	mgmt_rec_end(&b);
	mgmt_rec_begin(&b, "error");
	mgmt_rec_str(&b, "msg", "a b%\n\xff");
	mgmt_rec_end(&b);
	assert_string_equal(buf, "core id=0 max=18446744073709551615\nerror msg=a%20b%25%0A%FF\n");
	assert_false(b.overflow);
	size_t len = b.len;
	/* A record that does not fit is dropped whole; smaller ones still fit afterwards. */
	mgmt_rec_begin(&b, "big");
	mgmt_rec_str(&b, "v", "0123456789012345678901234567890123456789");
	mgmt_rec_end(&b);
	assert_true(b.overflow);
	assert_int_equal(b.len, len);
	assert_int_equal(strlen(buf), len);
	mgmt_rec_begin(&b, "x");
	mgmt_rec_end(&b);
	assert_int_equal(b.len, len + 2);
	assert_int_equal(b.len, sizeof(buf) - 2);
	/* "y\n" would leave no byte for the NUL: dropped. */
	mgmt_rec_begin(&b, "y");
	mgmt_rec_end(&b);
	assert_int_equal(b.len, sizeof(buf) - 2);
	assert_int_equal(buf[b.len], '\0');
	/* A begun record not ended is dropped by the next begin. */
	mgmt_buf_init(&b, buf, sizeof(buf));
	mgmt_rec_begin(&b, "a");
	mgmt_rec_u64(&b, "x", 1);
	mgmt_rec_begin(&b, "b");
	mgmt_rec_end(&b);
	assert_string_equal(buf, "b\n");
	/* What the builder writes, the parser reads back. */
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	char out[32];
	const char *v;
	size_t n;
	mgmt_buf_init(&b, buf, sizeof(buf));
	mgmt_rec_begin(&b, "line");
	mgmt_rec_str(&b, "text", "hello, world = 100%");
	mgmt_rec_end(&b);
	mgmt_rec_iter_init(&it, buf, b.len);
	assert_int_equal(mgmt_rec_next(&it, &r), 1);
	assert_true(mgmt_rec_get(&r, "text", &v, &n));
	assert_int_equal(mgmt_unescape(v, n, out, sizeof(out)), 19);
	assert_string_equal(out, "hello, world = 100%");
}

/* ---- The target's kept answers (mgmt/answer_cache.c) ---- */

/*
 * A builder like mgmt_cmd_run: stats is `lines` dp records, each stamped with the generation
 * (one per build), so a text put together from parts of two builds shows two generations;
 * ping is one record; `big` writes more than any buffer; `cut` reports a cut value; config_set
 * changes something; anything else is unknown.
 */
struct fake_cmds {
	unsigned gen;
	unsigned lines;
	unsigned runs;
};

static enum mgmt_status fake_build(const struct mgmt_hdr *h, const char *args, size_t alen,
				   struct mgmt_buf *out, bool *changes, void *ctx)
{
	struct fake_cmds *f = ctx;

	(void)args;
	(void)alen;
	*changes = false;
	f->runs++;
	switch (h->command) {
	case MGMT_CMD_STATS:
		f->gen++;
		for (unsigned c = 1; c <= f->lines; c++) {
			mgmt_rec_begin(out, "dp");
			mgmt_rec_u64(out, "core", c);
			mgmt_rec_u64(out, "gen", f->gen);
			mgmt_rec_u64(out, "rx_packets", 1000000ull * c);
			mgmt_rec_u64(out, "tx_packets", 999999ull * c);
			mgmt_rec_end(out);
		}
		return MGMT_OK;
	case MGMT_CMD_PING:
		mgmt_rec_begin(out, "pong");
		mgmt_rec_u64(out, "uptime_us", 5);
		mgmt_rec_end(out);
		return MGMT_OK;
	case MGMT_CMD_LOG: /* as a huge log: more lines than the buffer holds */
		for (unsigned i = 0; i < 100000; i++) {
			mgmt_rec_begin(out, "line");
			mgmt_rec_str(out, "text", "[    1.000000] a log line of forty bytes");
			mgmt_rec_end(out);
		}
		return MGMT_OK;
	case MGMT_CMD_STATUS: /* a value its formatter had to cut */
		mgmt_rec_begin(out, "system");
		mgmt_rec_str(out, "version", "1.2");
		mgmt_buf_value_cut(out);
		mgmt_rec_end(out);
		return MGMT_OK;
	case MGMT_CMD_CONFIG_SET:
		*changes = true;
		mgmt_rec_begin(out, "error");
		mgmt_rec_str(out, "msg", "give ip= and/or gw=");
		mgmt_rec_end(out);
		return MGMT_ST_BAD_ARGUMENT;
	default:
		mgmt_rec_begin(out, "error");
		mgmt_rec_str(out, "msg", "unknown command");
		mgmt_rec_end(out);
		return MGMT_ST_UNKNOWN_COMMAND;
	}
}

#define FAKE_CAP 8192 /* bytes of each answer buffer in these tests */
static char fake_mem[(MGMT_SNAPS + 1) * FAKE_CAP];

static struct mgmt_hdr fake_req(unsigned cmd, unsigned part, uint32_t snap)
{
	return (struct mgmt_hdr){.version = MGMT_VERSION,
				 .type = MGMT_TYPE_REQUEST,
				 .command = (uint16_t)cmd,
				 .part = (uint16_t)part,
				 .snap = snap};
}

/* The generation of every record in text[0..len); fails if they differ or one has none. */
static uint64_t one_generation(const char *text, size_t len, unsigned want_lines)
{
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	uint64_t gen = 0, g, c;
	unsigned lines = 0;

	mgmt_rec_iter_init(&it, text, len);
	while (mgmt_rec_next(&it, &r) == 1) {
		assert_true(mgmt_rec_get_u64(&r, "gen", &g));
		assert_true(mgmt_rec_get_u64(&r, "core", &c));
		assert_int_equal(c, ++lines); /* every line once, in order */
		if (gen == 0)
			gen = g;
		assert_int_equal(g, gen);
	}
	assert_int_equal(lines, want_lines);
	return gen;
}

/* Two clients fetch stats part by part, their requests interleaved: A0 B0 A1 B1 ... (and the
 * other way round). Each gets exactly the snapshot its part 0 came from. */
static void test_cache_interleaved(void **state)
{
	(void)state;
	struct mgmt_cache c;
	struct fake_cmds f = {.lines = 120};
	struct mgmt_part_out r;
	static char text[2][FAKE_CAP];
	size_t len[2];

	mgmt_cache_init(&c, fake_mem, FAKE_CAP, 77);
	for (unsigned round = 0; round < 20; round++) {
		uint32_t snap[2];
		bool more[2] = {true, true};
		for (int k = 0; k < 2; k++) {
			int who = round % 2 ? 1 - k : k;
			struct mgmt_hdr h = fake_req(MGMT_CMD_STATS, 0, 0);
			mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
			assert_int_equal(r.status, MGMT_OK);
			assert_true(r.ran);
			assert_true(r.flags & MGMT_FLAG_MORE);
			assert_int_not_equal(r.snap, 0);
			assert_true(r.len > 0 && r.len <= MGMT_PAYLOAD_MAX);
			snap[who] = r.snap;
			memcpy(text[who], r.text, r.len);
			len[who] = r.len;
		}
		assert_int_not_equal(snap[0], snap[1]);
		for (unsigned part = 1; more[0] || more[1]; part++) {
			for (int who = 0; who < 2; who++) {
				if (!more[who])
					continue;
				struct mgmt_hdr h = fake_req(MGMT_CMD_STATS, part, snap[who]);
				mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
				assert_int_equal(r.status, MGMT_OK);
				assert_false(r.ran); /* a later part never runs the command */
				assert_int_equal(r.snap, snap[who]);
				memcpy(text[who] + len[who], r.text, r.len);
				len[who] += r.len;
				more[who] = r.flags & MGMT_FLAG_MORE;
			}
			assert_true(part < 20);
		}
		uint64_t g0 = one_generation(text[0], len[0], f.lines);
		uint64_t g1 = one_generation(text[1], len[1], f.lines);
		assert_int_not_equal(g0, g1);
	}
	assert_int_equal(f.runs, 40);
}

/* MGMT_SNAPS answers are kept; the next evicts the oldest, whose parts are then
 * snapshot_gone. Single-part answers are not kept and evict nothing. */
static void test_cache_eviction(void **state)
{
	(void)state;
	struct mgmt_cache c;
	struct fake_cmds f = {.lines = 60};
	struct mgmt_part_out r;
	uint32_t snap[MGMT_SNAPS + 1];
	char part1[MGMT_PAYLOAD_MAX];
	size_t part1_len = 0;
	struct mgmt_rec_iter it;
	struct mgmt_rec rec;
	uint64_t v;

	mgmt_cache_init(&c, fake_mem, FAKE_CAP, 5);
	for (unsigned i = 0; i < MGMT_SNAPS; i++) {
		struct mgmt_hdr h = fake_req(MGMT_CMD_STATS, 0, 0);
		mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
		assert_int_equal(r.status, MGMT_OK);
		assert_false(r.evicted);
		snap[i] = r.snap;
		assert_non_null(mgmt_cache_find(&c, snap[i]));
	}
	/* Part 1 of the oldest, twice: the same bytes (a lost answer is asked again). */
	struct mgmt_hdr h = fake_req(MGMT_CMD_STATS, 1, snap[0]);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_OK);
	memcpy(part1, r.text, r.len);
	part1_len = r.len;
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.len, part1_len);
	assert_memory_equal(r.text, part1, part1_len);
	/* Pings (one part) keep nothing. */
	for (int i = 0; i < 10; i++) {
		struct mgmt_hdr p = fake_req(MGMT_CMD_PING, 0, 0);
		mgmt_cache_answer(&c, &p, NULL, 0, fake_build, &f, &r);
		assert_int_equal(r.status, MGMT_OK);
		assert_int_equal(r.flags, 0);
		assert_int_not_equal(r.snap, 0);
		assert_null(mgmt_cache_find(&c, r.snap));
		assert_false(r.evicted);
	}
	assert_non_null(mgmt_cache_find(&c, snap[0]));
	/* One more stats answer evicts the oldest. */
	h = fake_req(MGMT_CMD_STATS, 0, 0);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_true(r.evicted);
	snap[MGMT_SNAPS] = r.snap;
	assert_null(mgmt_cache_find(&c, snap[0]));
	h = fake_req(MGMT_CMD_STATS, 1, snap[0]);
	unsigned runs = f.runs;
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_SNAPSHOT_GONE);
	assert_int_equal(r.snap, snap[0]);
	assert_int_equal(r.flags, 0);
	assert_int_equal(f.runs, runs);
	mgmt_rec_iter_init(&it, r.text, r.len);
	assert_int_equal(mgmt_rec_next(&it, &rec), 1);
	assert_true(mgmt_rec_is(&rec, "error"));
	assert_true(mgmt_rec_get_u64(&rec, "snap", &v));
	assert_int_equal(v, snap[0]);
	/* The others are all still whole. */
	for (unsigned i = 1; i <= MGMT_SNAPS; i++) {
		h = fake_req(MGMT_CMD_STATS, 1, snap[i]);
		mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
		assert_int_equal(r.status, MGMT_OK);
		assert_int_equal(r.snap, snap[i]);
	}
	/* A part > 0 without a snapshot, of another command's snapshot, past the end. */
	h = fake_req(MGMT_CMD_STATS, 1, 0);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_BAD_ARGUMENT);
	h = fake_req(MGMT_CMD_LOG, 1, snap[1]);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_BAD_ARGUMENT);
	h = fake_req(MGMT_CMD_STATS, 50, snap[1]);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_BAD_ARGUMENT);
	/* A command that changes something never runs again for a part > 0. */
	runs = f.runs;
	h = fake_req(MGMT_CMD_CONFIG_SET, 1, snap[1]);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_BAD_ARGUMENT);
	assert_int_equal(f.runs, runs);
	/* Its own errors pass through with their record. */
	h = fake_req(MGMT_CMD_CONFIG_SET, 0, 0);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_BAD_ARGUMENT);
	assert_true(r.len > 0 && !memcmp(r.text, "error msg=give", 14));
}

/* Ids are never 0 and never one still kept, also when the counter wraps. */
static void test_cache_ids(void **state)
{
	(void)state;
	struct mgmt_cache c;
	struct fake_cmds f = {.lines = 60};
	struct mgmt_part_out r;
	uint32_t kept;

	mgmt_cache_init(&c, fake_mem, FAKE_CAP, 0xfffffffeu);
	struct mgmt_hdr h = fake_req(MGMT_CMD_STATS, 0, 0);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.snap, 0xfffffffeu);
	kept = r.snap;
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.snap, 0xffffffffu);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.snap, 1); /* 0 skipped */
	c.next_id = kept;	     /* as if 2^32 answers had gone by */
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_not_equal(r.snap, kept);
	assert_int_not_equal(r.snap, 0xffffffffu);
	assert_int_not_equal(r.snap, 1);
	assert_int_equal(mgmt_cache_find(&c, kept)->id, kept);
}

/* An answer whose records do not all fit is an error saying how big it was, never a cut text
 * served as ok; so is one with a cut value. */
static void test_cache_overflow(void **state)
{
	(void)state;
	struct mgmt_cache c;
	struct fake_cmds f = {.lines = 60};
	struct mgmt_part_out r;
	struct mgmt_rec_iter it;
	struct mgmt_rec rec;
	const char *v;
	size_t vn;
	uint64_t need, limit;
	char msg[128];

	mgmt_cache_init(&c, fake_mem, FAKE_CAP, 1);
	struct mgmt_hdr h = fake_req(MGMT_CMD_LOG, 0, 0);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_TOO_LARGE);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.snap, 0);
	assert_true(r.len > 0 && r.len <= MGMT_PAYLOAD_MAX);
	mgmt_rec_iter_init(&it, r.text, r.len);
	assert_int_equal(mgmt_rec_next(&it, &rec), 1);
	assert_true(mgmt_rec_is(&rec, "error"));
	assert_true(mgmt_rec_get_u64(&rec, "need", &need));
	assert_true(mgmt_rec_get_u64(&rec, "limit", &limit));
	/* 100000 lines of "line text=" + 40 bytes with 10 spaces escaped as %20 + "\n". */
	assert_int_equal(need, 100000ull * (10 + 40 + 10 * 2 + 1));
	assert_int_equal(limit, FAKE_CAP - 1);
	assert_true(mgmt_rec_get(&rec, "msg", &v, &vn));
	assert_true(mgmt_unescape(v, vn, msg, sizeof(msg)) > 0);
	assert_string_equal(msg, "answer too large (7100000 bytes, limit 8191)");
	/* Nothing was kept, and no later part of it can be had. */
	for (unsigned i = 0; i < MGMT_SNAPS; i++)
		assert_int_equal(c.snap[i].stamp, 0);
	/* A cut value: internal. */
	h = fake_req(MGMT_CMD_STATUS, 0, 0);
	mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
	assert_int_equal(r.status, MGMT_ST_INTERNAL);
	/* Exactly full still works: the limit is the buffer less its NUL. */
	for (f.lines = 1; f.lines < 1000; f.lines++) {
		h = fake_req(MGMT_CMD_STATS, 0, 0);
		mgmt_cache_answer(&c, &h, NULL, 0, fake_build, &f, &r);
		if (r.status != MGMT_OK)
			break;
	}
	assert_int_equal(r.status, MGMT_ST_TOO_LARGE);
	assert_true(f.lines > 100);
}

/* mgmt_buf counts what every record needed, the dropped ones too. */
static void test_buf_need(void **state)
{
	(void)state;
	char buf[16];
	struct mgmt_buf b;

	mgmt_buf_init(&b, buf, sizeof(buf));
	mgmt_rec_begin(&b, "a");
	mgmt_rec_u64(&b, "x", 1); /* "a x=1\n": 6 */
	mgmt_rec_end(&b);
	mgmt_rec_begin(&b, "b");
	mgmt_rec_str(&b, "y", "0123456789"); /* 15: does not fit */
	mgmt_rec_end(&b);
	mgmt_rec_begin(&b, "c"); /* 2 */
	mgmt_rec_end(&b);
	assert_true(b.overflow);
	assert_false(b.cut);
	assert_int_equal(b.len, 8);
	assert_int_equal(b.need, 6 + 15 + 2);
	mgmt_buf_value_cut(&b);
	assert_true(b.cut);
}

/* A fake target: verify, then answer through the kept-answer cache like mgmt/mgmt.c. */
static uint64_t fake_last_seq;
static struct mgmt_cache fake_cache;
static struct fake_cmds fake_cmds = {.lines = 40};

static size_t fake_target(const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
	struct mgmt_hdr h;
	const uint8_t *pl;
	static struct mgmt_part_out r;
	enum mgmt_status st = mgmt_request_verify(req, len, key, &fake_last_seq, &h, &pl);

	if (st != MGMT_OK)
		return mgmt_error_reply(req, len, st, out, cap);
	mgmt_cache_answer(&fake_cache, &h, (const char *)pl, h.len, fake_build, &fake_cmds, &r);
	return mgmt_response_encode(out, cap, &h, r.status, r.flags, h.part, r.snap, r.text, r.len,
				    key);
}

/* A client of the fake target: one request, its verified answer. */
static void fake_call(unsigned cmd, unsigned part, uint32_t snap, uint64_t seq, struct mgmt_hdr *h,
		      const uint8_t **pl, uint8_t *resp)
{
	uint8_t req[MGMT_MSG_MAX];
	struct mgmt_hdr q = fake_req(cmd, part, snap);

	q.seq = seq;
	size_t n = mgmt_msg_encode(req, sizeof(req), &q, NULL, 0, key);
	size_t rn = fake_target(req, n, resp, MGMT_MSG_MAX);
	assert_true(rn >= MGMT_MSG_MIN && rn <= MGMT_MSG_MAX);
	assert_int_equal(mgmt_response_verify(resp, rn, key, seq, h, pl), MGMT_OK);
}

/* Through the codec: two clients' parts interleaved, each answer of one snapshot. */
static void test_end_to_end_interleaved(void **state)
{
	(void)state;
	uint8_t resp[MGMT_MSG_MAX];
	static char text[2][8192];
	size_t len[2] = {0, 0};
	uint32_t snap[2] = {0, 0};
	bool more[2] = {true, true};
	uint64_t seq = 5000;
	struct mgmt_hdr h;
	const uint8_t *pl;

	mgmt_cache_init(&fake_cache, fake_mem, FAKE_CAP, 900);
	fake_last_seq = 0;
	for (unsigned part = 0; more[0] || more[1]; part++) {
		for (int who = 0; who < 2; who++) {
			if (!more[who])
				continue;
			fake_call(MGMT_CMD_STATS, part, snap[who], ++seq, &h, &pl, resp);
			assert_int_equal(h.status, MGMT_OK);
			assert_int_equal(h.part, part);
			if (part == 0)
				snap[who] = h.snap;
			assert_int_equal(h.snap, snap[who]);
			memcpy(text[who] + len[who], pl, h.len);
			len[who] += h.len;
			more[who] = h.flags & MGMT_FLAG_MORE;
		}
		assert_true(part < 10);
	}
	assert_int_not_equal(snap[0], snap[1]);
	assert_int_not_equal(one_generation(text[0], len[0], 40),
			     one_generation(text[1], len[1], 40));
	/* Too large: an error through the codec too, with its record. */
	fake_call(MGMT_CMD_LOG, 0, 0, ++seq, &h, &pl, resp);
	assert_int_equal(h.status, MGMT_ST_TOO_LARGE);
	assert_int_equal(h.flags, 0);
	assert_true(h.len > 0 && !memcmp(pl, "error msg=answer%20too%20large%20(", 34));
	/* A gone snapshot: snapshot_gone echoing its id. */
	fake_call(MGMT_CMD_STATS, 1, 12345, ++seq, &h, &pl, resp);
	assert_int_equal(h.status, MGMT_ST_SNAPSHOT_GONE);
	assert_int_equal(h.snap, 12345);
}

static void test_end_to_end(void **state)
{
	(void)state;
	uint8_t req[MGMT_MSG_MAX], resp[MGMT_MSG_MAX];
	uint64_t seq = 1000;
	char all[8192];
	size_t all_len = 0;
	struct mgmt_hdr h;
	const uint8_t *pl;

	fake_last_seq = 0;
	mgmt_cache_init(&fake_cache, fake_mem, FAKE_CAP, 1);
	uint32_t snap = 0;
	for (unsigned part = 0;; part++) {
		struct mgmt_hdr q = {.version = MGMT_VERSION,
				     .type = MGMT_TYPE_REQUEST,
				     .command = MGMT_CMD_STATS,
				     .part = (uint16_t)part,
				     .seq = ++seq,
				     .snap = snap};
		size_t n = mgmt_msg_encode(req, sizeof(req), &q, NULL, 0, key);
		/* Through the serial framing and back. */
		uint8_t fr[MGMT_FRAME_MAX];
		static struct mgmt_deframer d;
		size_t fn = mgmt_frame_encode(req, n, fr, sizeof(fr));
		size_t got = 0;
		for (size_t i = 0; i < fn; i++)
			if (mgmt_deframe_byte(&d, fr[i]) == MGMT_DF_FRAME)
				got = d.len;
		assert_int_equal(got, n);
		size_t rn = fake_target(d.buf, d.len, resp, sizeof(resp));
		assert_true(rn > 0 && rn <= MGMT_MSG_MAX);
		assert_int_equal(mgmt_response_verify(resp, rn, key, seq, &h, &pl), MGMT_OK);
		assert_int_equal(h.status, MGMT_OK);
		assert_int_equal(h.part, part);
		if (part == 0)
			snap = h.snap;
		assert_int_equal(h.snap, snap);
		memcpy(all + all_len, pl, h.len);
		all_len += h.len;
		if (!(h.flags & MGMT_FLAG_MORE))
			break;
		assert_true(part < 10);
	}
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	uint64_t c, rx, count = 0;
	mgmt_rec_iter_init(&it, all, all_len);
	while (mgmt_rec_next(&it, &r) == 1) {
		assert_true(mgmt_rec_get_u64(&r, "core", &c));
		assert_true(mgmt_rec_get_u64(&r, "rx_packets", &rx));
		assert_int_equal(rx, 1000000ull * c);
		assert_int_equal(c, ++count);
	}
	assert_int_equal(count, 40);

	/* Wrong key: an unauthenticated bad_mac; replayed: replay; unknown command. */
	uint8_t wrong[32] = {0};
	struct mgmt_hdr q = {.version = MGMT_VERSION,
			     .type = MGMT_TYPE_REQUEST,
			     .command = MGMT_CMD_PING,
			     .seq = ++seq};
	size_t n = mgmt_msg_encode(req, sizeof(req), &q, NULL, 0, wrong);
	size_t rn = fake_target(req, n, resp, sizeof(resp));
	assert_int_equal(mgmt_response_verify(resp, rn, wrong, seq, &h, &pl),
			 MGMT_ST_UNAUTHENTICATED);
	assert_int_equal(h.status, MGMT_ST_BAD_MAC);
	n = mgmt_msg_encode(req, sizeof(req), &q, NULL, 0, key);
	rn = fake_target(req, n, resp, sizeof(resp));
	assert_int_equal(mgmt_response_verify(resp, rn, key, seq, &h, &pl), MGMT_OK);
	rn = fake_target(req, n, resp, sizeof(resp));
	assert_int_equal(mgmt_response_verify(resp, rn, key, seq, &h, &pl),
			 MGMT_ST_UNAUTHENTICATED);
	assert_int_equal(h.status, MGMT_ST_REPLAY);
	q.command = 200;
	q.seq = ++seq;
	n = mgmt_msg_encode(req, sizeof(req), &q, NULL, 0, key);
	rn = fake_target(req, n, resp, sizeof(resp));
	assert_int_equal(mgmt_response_verify(resp, rn, key, seq, &h, &pl), MGMT_OK);
	assert_int_equal(h.status, MGMT_ST_UNKNOWN_COMMAND);
	/* Garbage gets no answer. */
	memset(req, 0x55, 100);
	assert_int_equal(fake_target(req, 100, resp, sizeof(resp)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hmac_rfc4231),
	    cmocka_unit_test(test_key_parse),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_rejections),
	    cmocka_unit_test(test_error_reply),
	    cmocka_unit_test(test_key_set_extract),
	    cmocka_unit_test(test_part_slice),
	    cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_records_parse),
	    cmocka_unit_test(test_records_build),
	    cmocka_unit_test(test_buf_need),
	    cmocka_unit_test(test_cache_interleaved),
	    cmocka_unit_test(test_cache_eviction),
	    cmocka_unit_test(test_cache_ids),
	    cmocka_unit_test(test_cache_overflow),
	    cmocka_unit_test(test_end_to_end),
	    cmocka_unit_test(test_end_to_end_interleaved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
