/*
 * libFuzzer target for the management protocol's input side: the request verifier (with the
 * tag left as is, and re-MAC'd so the checks after the MAC are reached too), the error reply
 * (also for version 1 requests), the response verifier (also a version 1 target's errors), the
 * record parser, the serial deframer, and the target's kept answers: an accepted request's
 * part and snapshot id select what is sent, and every answer must be a well-formed response
 * whose ok parts come from the snapshot asked for. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mgmt/hmac.h"
#include "mgmt/proto.h"
/* The kept answers are pure logic; included here because the fuzz build (tests/fuzz/run.sh)
 * lists only the codec's sources. */
#include "mgmt/answer_cache.c"

static const uint8_t fuzz_key[MGMT_KEY_LEN] = {0x42};

/* Answers for the cache: the request's payload repeated (command number) times, so answers
 * range from empty over many parts to too large for the small buffers used here. */
static enum mgmt_status fuzz_build(const struct mgmt_hdr *h, const char *args, size_t alen,
				   struct mgmt_buf *out, bool *changes, void *ctx)
{
	(void)ctx;
	*changes = h->command & 1;
	if (h->command == MGMT_CMD_COUNT)
		return MGMT_ST_UNKNOWN_COMMAND;
	for (unsigned i = 0; i < h->command % 64; i++) {
		mgmt_rec_begin(out, "r");
		mgmt_rec_u64(out, "i", i);
		mgmt_rec_strn(out, "args", args, alen);
		mgmt_rec_end(out);
	}
	if (h->command == 63)
		mgmt_buf_value_cut(out);
	return MGMT_OK;
}

#define FUZZ_CAP 8192
static char fuzz_mem[(MGMT_SNAPS + 1) * FUZZ_CAP];
static struct mgmt_cache fuzz_cache;

/* An accepted request through the cache, its answer encoded and checked as a client would. */
static void fuzz_answer(const struct mgmt_hdr *h, const uint8_t *pl)
{
	static struct mgmt_part_out r;
	static uint8_t resp[MGMT_MSG_MAX];
	struct mgmt_hdr rh;
	const uint8_t *rpl;

	/* Each input starts from a cache holding answers 1 (this command) and 2 (the next). */
	mgmt_cache_init(&fuzz_cache, fuzz_mem, FUZZ_CAP, 1);
	for (unsigned k = 0; k < 2; k++) {
		struct mgmt_hdr p = *h;
		p.part = 0;
		p.command = (uint16_t)(h->command + k);
		mgmt_cache_answer(&fuzz_cache, &p, (const char *)pl, h->len, fuzz_build, NULL, &r);
	}
	const struct mgmt_snap *s = mgmt_cache_find(&fuzz_cache, h->snap);
	mgmt_cache_answer(&fuzz_cache, h, (const char *)pl, h->len, fuzz_build, NULL, &r);
	if (r.len > MGMT_PAYLOAD_MAX || (r.status != MGMT_OK && r.flags))
		__builtin_trap();
	if (r.status == MGMT_OK && h->part > 0 &&
	    (!s || r.snap != h->snap || r.ran || r.text < s->text ||
	     r.text + r.len > s->text + s->len))
		__builtin_trap(); /* a later part must be cut from the snapshot asked for */
	if (r.status == MGMT_OK && r.snap == 0)
		__builtin_trap();
	size_t n = mgmt_response_encode(resp, sizeof(resp), h, r.status, r.flags, h->part, r.snap,
					r.text, r.len, fuzz_key);
	if (n == 0 || mgmt_response_verify(resp, n, fuzz_key, h->seq, &rh, &rpl) != MGMT_OK ||
	    rh.snap != r.snap || rh.part != h->part || rh.status != r.status)
		__builtin_trap();
}

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
		fuzz_answer(&h, pl);
		size_t off, n;
		bool more;
		if (mgmt_part_slice((const char *)pl, h.len, h.part, 64, &off, &n, &more) &&
		    (off + n > h.len))
			__builtin_trap();
	} else {
		size_t r = mgmt_error_reply(msg, len, st, reply, sizeof(reply));
		struct mgmt_hdr eh;
		const uint8_t *epl;
		if (r > len)
			__builtin_trap(); /* never amplify */
		/* The client takes it for the claim it is, in either layout. */
		uint64_t rseq = 0;
		for (int i = 7; r && i >= 0; i--)
			rseq = rseq << 8 | msg[16 + i]; /* where every version keeps seq */
		if (r && mgmt_response_verify(reply, r, fuzz_key, rseq, &eh, &epl) !=
			     MGMT_ST_UNAUTHENTICATED)
			__builtin_trap();
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
