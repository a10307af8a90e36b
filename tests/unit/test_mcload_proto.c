/*
 * Host tests of mcload's protocols (tools/loadgen/mcload_proto.c): request building and
 * incremental reply parsing for the memcached ascii and binary protocols and echo, on
 * hand-made byte streams cut at every offset, and garbage refused.
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

#include "tools/loadgen/mcload_proto.h"

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

/*
 * mcload frees an idle connection's parser between replies and makes a new one on the next
 * bytes (mcload_loop.c's conn_trim, conn_parser): that takes a parser at a reply boundary to
 * look like a fresh one (its state, nothing gathered), and a fresh one told the echo message
 * due next to parse from there.
 */
static void test_parser_resume(void **state)
{
	(void)state;
	struct mcl_parser fresh, p;
	struct mcl_reply r;
	size_t used;
	struct mcl_buf b = {0};

	mcl_proto_parser_init(&fresh, MCL_PROTO_ASCII, 0);
	mcl_proto_parser_init(&p, MCL_PROTO_ASCII, 0);
	static const char hit[] = "VALUE k 0 2\r\nab\r\nEND\r\nSTO";
	assert_int_equal(mcl_proto_parse(&p, hit, sizeof(hit) - 1, &used, &r), MCL_PARSE_REPLY);
	assert_int_equal(r.kind, MCL_REPLY_HIT);
	assert_int_equal(p.state, fresh.state);
	assert_int_equal(p.have, 0);
	assert_int_equal(mcl_proto_parse(&p, hit + used, sizeof(hit) - 1 - used, &used, &r),
			 MCL_PARSE_MORE);
	assert_true(p.have != 0); /* mid-reply: not to be freed */

	mcl_proto_parser_init(&fresh, MCL_PROTO_BINARY, 0);
	mcl_proto_parser_init(&p, MCL_PROTO_BINARY, 0);
	uint8_t res[MCL_BIN_HDR] = {MCL_BIN_RES, MCL_BIN_SET};
	assert_int_equal(mcl_proto_parse(&p, (const char *)res, 10, &used, &r), MCL_PARSE_MORE);
	assert_true(p.have != 0);
	assert_int_equal(mcl_proto_parse(&p, (const char *)res + 10, MCL_BIN_HDR - 10, &used, &r),
			 MCL_PARSE_REPLY);
	assert_int_equal(r.kind, MCL_REPLY_STORED);
	assert_int_equal(p.state, fresh.state);
	assert_int_equal(p.have, 0);

	/* Echo: messages 0..2 on a connection; a parser made after two were answered. */
	for (uint64_t seq = 0; seq < 3; seq++)
		assert_int_equal(mcl_proto_build_echo(&b, seq, 16), 0);
	mcl_proto_parser_init(&fresh, MCL_PROTO_ECHO, 16);
	mcl_proto_parser_init(&p, MCL_PROTO_ECHO, 16);
	assert_int_equal(mcl_proto_parse(&p, b.data, 16, &used, &r), MCL_PARSE_REPLY);
	assert_int_equal(p.state, fresh.state);
	assert_int_equal(p.have, 0);
	mcl_proto_parser_init(&p, MCL_PROTO_ECHO, 16);
	p.echo_seq = 2;
	assert_int_equal(mcl_proto_parse(&p, b.data + 32, 16, &used, &r), MCL_PARSE_REPLY);
	assert_int_equal(r.kind, MCL_REPLY_ECHO);
	mcl_proto_parser_init(&p, MCL_PROTO_ECHO, 16);
	p.echo_seq = 2; /* message 1 where 2 is due */
	assert_int_equal(mcl_proto_parse(&p, b.data + 16, 16, &used, &r), MCL_PARSE_ERROR);
	mcl_proto_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_replies),
	    cmocka_unit_test(test_ascii_garbage),
	    cmocka_unit_test(test_binary_replies),
	    cmocka_unit_test(test_binary_garbage),
	    cmocka_unit_test(test_echo_replies),
	    cmocka_unit_test(test_build_requests),
	    cmocka_unit_test(test_parser_resume),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
