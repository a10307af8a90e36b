/*
 * libFuzzer target for the management protocol's input side: the request verifier (with the
 * tag left as is, and re-MAC'd so the checks after the MAC are reached too), the error reply,
 * the record parser and the serial deframer. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mgmt/hmac.h"
#include "mgmt/proto.h"

static const uint8_t fuzz_key[MGMT_KEY_LEN] = {0x42};

static void fuzz_records(const char *p, size_t n)
{
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	int rc;
	char out[64];
	uint8_t key[MGMT_KEY_LEN];

	mgmt_rec_iter_init(&it, p, n);
	while ((rc = mgmt_rec_next(&it, &r)) != 0) {
		struct mgmt_kv kv;
		size_t pos = 0;
		uint64_t v;
		const char *s;
		size_t sn;

		if (rc < 0)
			continue;
		while (mgmt_kv_next(&r, &pos, &kv) == 1)
			mgmt_unescape(kv.val, kv.val_len, out, sizeof(out));
		mgmt_rec_get_u64(&r, "count", &v);
		if (mgmt_rec_get(&r, "key", &s, &sn))
			mgmt_key_parse(s, sn, key);
	}
}

static void fuzz_message(const uint8_t *msg, size_t len)
{
	struct mgmt_hdr h;
	const uint8_t *pl;
	uint64_t last = 5;
	uint8_t reply[MGMT_MSG_MAX];
	uint8_t k[MGMT_KEY_LEN];
	enum mgmt_status st = mgmt_request_verify(msg, len, fuzz_key, &last, &h, &pl);

	if (st == MGMT_OK) {
		fuzz_records((const char *)pl, h.len);
		size_t off, n;
		bool more;
		if (mgmt_part_slice((const char *)pl, h.len, h.part, 64, &off, &n, &more) &&
		    (off + n > h.len))
			__builtin_trap();
	} else {
		size_t r = mgmt_error_reply(msg, len, st, reply, sizeof(reply));
		if (r > len)
			__builtin_trap(); /* never amplify */
	}
	mgmt_key_set_extract(msg, len, k);
	mgmt_response_verify(msg, len, fuzz_key, h.seq, &h, &pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[MGMT_MSG_MAX + MGMT_TAG_LEN + 8];
	static struct mgmt_deframer df;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0: /* the bytes as a datagram */
		fuzz_message(data + 1, size - 1);
		break;
	case 1: /* the same with a valid tag over the bytes: exercises the checks after the MAC */
		if (size - 1 >= MGMT_HDR_LEN && size - 1 <= MGMT_MSG_MAX) {
			size_t n = size - 1;
			memcpy(buf, data + 1, n);
			if (n >= MGMT_MSG_MIN)
				n -= MGMT_TAG_LEN;
			mgmt_hmac_sha256(fuzz_key, MGMT_KEY_LEN, buf, n, buf + n);
			fuzz_message(buf, n + MGMT_TAG_LEN);
		}
		break;
	case 2: /* payload records */
		fuzz_records((const char *)data + 1, size - 1);
		break;
	case 3: /* a serial byte stream */
		mgmt_deframe_init(&df);
		for (size_t i = 1; i < size; i++) {
			if (mgmt_deframe_byte(&df, data[i]) == MGMT_DF_FRAME) {
				if (df.len > MGMT_MSG_MAX)
					__builtin_trap();
				fuzz_message(df.buf, df.len);
			}
		}
		break;
	}
	return 0;
}
