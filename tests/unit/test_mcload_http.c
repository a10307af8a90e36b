/*
 * Host tests of mcload's HTTP/1.1 side (tools/loadgen/mcload_http.c, through mcl_proto_parse):
 * responses pipelined in one stream and cut at every byte, framing by Content-Length, chunked
 * or none (1xx, 204, 304), header names in any case, odd whitespace and folded lines, bodies
 * past the memcached limit skipped without copying, garbage refused with a reason, the GET
 * built, and a parser at a response boundary like a fresh one (mcload frees idle ones).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "tools/loadgen/mcload_proto.h"

#define MAX_REPLIES 32

struct feed {
	struct mcl_reply r[MAX_REPLIES];
	int n;
	bool error;
	const char *why;
};

/* Feeds data to p in pieces cut at the given offsets (ascending), collecting responses. */
static void feed(struct mcl_parser *p, const char *data, size_t len, const size_t *cuts, int ncuts,
		 struct feed *f)
{
	memset(f, 0, sizeof(*f));
	size_t start = 0;
	for (int c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		while (start < end) {
			size_t used;
			struct mcl_reply r;
			int rc = mcl_proto_parse(p, data + start, end - start, &used, &r);
			assert_true(used <= end - start);
			start += used;
			if (rc == MCL_PARSE_ERROR) {
				f->error = true;
				f->why = p->http.why;
				return;
			}
			if (rc == MCL_PARSE_MORE) {
				assert_int_equal(start, end);
				break;
			}
			assert_true(f->n < MAX_REPLIES);
			f->r[f->n++] = r;
		}
	}
}

static void assert_same(const struct feed *a, const struct feed *b)
{
	assert_int_equal(a->error, b->error);
	assert_int_equal(a->n, b->n);
	if (a->error)
		assert_string_equal(a->why, b->why);
	for (int i = 0; i < a->n; i++) {
		assert_int_equal(a->r[i].kind, b->r[i].kind);
		assert_int_equal(a->r[i].op, b->r[i].op);
		assert_int_equal(a->r[i].status, b->r[i].status);
		assert_int_equal(a->r[i].body_len, b->r[i].body_len);
		assert_int_equal(a->r[i].close, b->r[i].close);
		assert_null(b->r[i].key);
	}
}

/*
 * Parses data whole, then cut once at every byte, then in pieces of every size from 1 byte up
 * to max_piece (0: up to len): every way gives the same responses, or the same garbage after
 * the same responses.
 */
static void parse_ways(const char *data, size_t len, size_t max_piece, struct feed *whole)
{
	struct mcl_parser p;
	struct feed *f = malloc(sizeof(*f));
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	assert_non_null(f);
	assert_non_null(cuts);
	mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
	feed(&p, data, len, NULL, 0, whole);
	for (size_t k = 0; k <= len; k++) {
		mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
		feed(&p, data, len, &k, 1, f);
		assert_same(whole, f);
	}
	for (size_t piece = 1; piece < len && (max_piece == 0 || piece <= max_piece); piece++) {
		int n = 0;
		for (size_t k = piece; k < len; k += piece)
			cuts[n++] = k;
		mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
		feed(&p, data, len, cuts, n, f);
		assert_same(whole, f);
	}
	free(cuts);
	free(f);
}

static void assert_resp(const struct feed *f, int i, unsigned status, uint64_t body, bool close)
{
	assert_true(i < f->n);
	assert_int_equal(f->r[i].kind, MCL_REPLY_HTTP);
	assert_int_equal(f->r[i].op, MCL_OP_GET);
	assert_int_equal(f->r[i].status, status);
	assert_int_equal(f->r[i].body_len, body);
	assert_int_equal(f->r[i].close, close);
}

/* Pipelined responses of every framing in one stream; bodies that look like heads. */
static void test_http_pipelined(void **state)
{
	(void)state;
	static const char stream[] =
	    "HTTP/1.1 200 OK\r\nServer: ixos-httpd\r\nContent-Length: 5\r\nContent-Type: text/"
	    "plain\r\n\r\nhello"
	    "HTTP/1.1 404 Not Found\r\nContent-Length: 21\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\r\n"
	    "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n"
	    "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n\r\n"
	    "HTTP/1.1 204 No Content\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHTTP/\r\nA;name=val\r\n"
	    "0123456789\r\n0\r\nTrailer: x\r\n\r\n"
	    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc"
	    "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n\0\r\n"
	    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
	    "busy";
	struct feed f;
	parse_ways(stream, sizeof(stream) - 1, 0, &f);
	assert_false(f.error);
	assert_int_equal(f.n, 11);
	assert_resp(&f, 0, 200, 5, false);
	assert_resp(&f, 1, 404, 21, false);
	assert_resp(&f, 2, 304, 0, false); /* no Content-Length: none needed */
	assert_resp(&f, 3, 304, 0, false); /* the length of what it did not send */
	assert_resp(&f, 4, 204, 0, false);
	assert_resp(&f, 5, 200, 0, false);
	assert_resp(&f, 6, 201, 2, false); /* the two 1xx before it were skipped */
	assert_resp(&f, 7, 200, 15, false);
	assert_resp(&f, 8, 200, 3, false);
	assert_resp(&f, 9, 200, 3, true); /* HTTP/1.0 without keep-alive */
	assert_resp(&f, 10, 503, 4, true);
}

/* Names in any case, whitespace around values, folded lines, bare LFs, near-miss names. */
static void test_http_fields(void **state)
{
	(void)state;
	static const char stream[] =
	    "HTTP/1.1 200 OK\r\nCONTENT-LENGTH:3\r\n\r\nabc"
	    "HTTP/1.1 200 OK\r\ncontent-length: \t 3 \t \r\n\r\nabc"
	    "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 3, 3,\r\nContent-Length: 3\r\n\r\nabc"
	    "HTTP/1.1 200 OK\r\nContent-Length:\r\n 3\r\n\r\nabc"
	    "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\tc:d\r\nContent-Length: 1\r\n\r\nx"
	    "HTTP/1.1 200 OK\r\nConnection: keep-alive,\r\n\tClose\r\nContent-Length: 1\r\n\r\nx"
	    "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi"
	    "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx"
	    "HTTP/1.1 500 \r\ncontent-length: 1\r\n\r\nx"
	    "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n2 ; ext\r\nxy\n0\n\n"
	    "HTTP/1.1 200 OK\r\nContent-Length-Extra: 99\r\nX-Content-Length: 7\r\n"
	    "Content-Lengt: 8\r\nContent-Length: 1\r\n\r\nx"
	    "HTTP/1.1 200 OK\r\nConnection: closed, keep-alive-ish\r\nContent-Length: 1\r\n\r\nx"
	    "HTTP/1.1 301 Moved\r\nLocation: /a\xe9\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 2\r\n\r\nok";
	struct feed f;
	parse_ways(stream, sizeof(stream) - 1, 0, &f);
	assert_false(f.error);
	assert_int_equal(f.n, 15);
	for (int i = 0; i < 4; i++)
		assert_resp(&f, i, 200, 3, false);
	assert_resp(&f, 4, 200, 1, false);
	assert_resp(&f, 5, 200, 1, true); /* the token folded onto the next line */
	assert_resp(&f, 6, 200, 2, false);
	assert_resp(&f, 7, 200, 1, false);
	assert_resp(&f, 8, 500, 1, false);
	assert_resp(&f, 9, 200, 1, false);
	assert_resp(&f, 10, 200, 2, false);
	assert_resp(&f, 11, 200, 1, false);
	assert_resp(&f, 12, 200, 1, false);
	assert_resp(&f, 13, 301, 0, false);
	assert_resp(&f, 14, 200, 2, true);
}

/* A field not read is skipped at any length; the head as a whole is capped. */
static void test_http_long_heads(void **state)
{
	(void)state;
	size_t cap = MCL_HTTP_HEAD_MAX + 4096, n;
	char *s = malloc(cap);
	struct feed f;
	struct mcl_parser p;
	assert_non_null(s);

	n = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(s + n, 'a', 5000);
	n += 5000;
	n += (size_t)sprintf(
	    s + n, "\r\n \t%s\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 x\r\n\r\n", "folded too");
	parse_ways(s, n, 3, &f);
	assert_false(f.error);
	assert_int_equal(f.n, 2);
	assert_resp(&f, 0, 200, 2, false);
	assert_resp(&f, 1, 204, 0, false);

	/* A head of exactly MCL_HTTP_HEAD_MAX bytes, status line to blank line, then one more. */
	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n");
		size_t rest = MCL_HTTP_HEAD_MAX + (size_t)extra - n - 2;
		while (rest > 0) {
			size_t line = rest >= 200 ? 100 : rest; /* "X-Pad: " a... CRLF */
			memcpy(s + n, "X-Pad: ", 7);
			memset(s + n + 7, 'a', line - 9);
			memcpy(s + n + line - 2, "\r\n", 2);
			n += line;
			rest -= line;
		}
		assert_int_equal(n + 2, MCL_HTTP_HEAD_MAX + (size_t)extra);
		memcpy(s + n, "\r\nx", 3);
		n += 3;
		mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
		feed(&p, s, n, NULL, 0, &f);
		assert_int_equal(f.error, extra == 1);
		assert_int_equal(f.n, extra == 0);
		size_t cut = n - 700;
		mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
		feed(&p, s, n, &cut, 1, &f);
		assert_int_equal(f.error, extra == 1);
		if (f.error)
			assert_non_null(strstr(f.why, "MCL_HTTP_HEAD_MAX"));
	}

	/* Lines kept whole (the status line, a field read, a chunk size) are capped. */
	static const char *const heads[] = {
	    "HTTP/1.1 200 ", "HTTP/1.1 200 OK\r\nConnection: ",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;"};
	for (unsigned k = 0; k < 3; k++) {
		n = (size_t)sprintf(s, "%s", heads[k]);
		memset(s + n, 'a', MCL_PROTO_LINE_MAX);
		n += MCL_PROTO_LINE_MAX;
		memcpy(s + n, "\r\n", 2);
		mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
		feed(&p, s, n + 2, NULL, 0, &f);
		assert_true(f.error);
		assert_non_null(strstr(f.why, "MCL_PROTO_LINE_MAX"));
	}
	free(s);
}

static void assert_garbage(const char *data, size_t len, int replies_before, const char *why)
{
	struct feed f;
	parse_ways(data, len, 0, &f);
	if (!f.error)
		fail_msg("no garbage seen in \"%.*s\"", (int)len, data);
	assert_int_equal(f.n, replies_before);
	assert_non_null(f.why);
	if (!strstr(f.why, why))
		fail_msg("\"%.*s\": said \"%s\", want \"%s\" in it", (int)len, data, f.why, why);
}

#define OK_RESP			  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"
#define GARBAGE(lit, before, why) assert_garbage(lit, sizeof(lit) - 1, before, why)

static void test_http_garbage(void **state)
{
	(void)state;
	/* Status lines. */
	GARBAGE(OK_RESP "HTTP/2.0 200 OK\r\n\r\n", 1, "status line");
	GARBAGE("HTTP/1.1 20 OK\r\n\r\n", 0, "status code");
	GARBAGE("HTTP/1.1 2000 OK\r\n\r\n", 0, "status line");
	GARBAGE("HTTP/1.1  200 OK\r\n\r\n", 0, "status code");
	GARBAGE("HTTP/1.1 200OK\r\n\r\n", 0, "status line");
	GARBAGE("http/1.1 200 OK\r\n\r\n", 0, "status line");
	GARBAGE("HTTP/1.1 099 Low\r\n\r\n", 0, "100..599");
	GARBAGE("HTTP/1.1 600 High\r\n\r\n", 0, "100..599");
	GARBAGE("HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, "101");
	GARBAGE("HTTP/1.1 200 O\0K\r\nContent-Length: 0\r\n\r\n", 0, "status line");
	GARBAGE("HTTP/1.1 200 OK\r\r\nContent-Length: 0\r\n\r\n", 0, "status line");
	GARBAGE("ICY 200 OK\r\n\r\n", 0, "status line");
	GARBAGE("HTTP/1.1\r\n\r\n", 0, "status line");
	GARBAGE(OK_RESP "\r\n" OK_RESP, 1, "status line"); /* a stray CRLF after a body */
	GARBAGE("VALUE k 0 1\r\nx\r\nEND\r\n", 0, "status line");
	/* Framing. */
	GARBAGE("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody", 0, "without Content-Length");
	GARBAGE(OK_RESP "HTTP/1.1 404 Not Found\r\n\r\n", 1, "without Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
		"both");
	GARBAGE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 0,
		"both");
	GARBAGE("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, "not ending in chunked");
	GARBAGE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 0, "after chunked");
	GARBAGE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
		"\r\n",
		0, "after chunked");
	GARBAGE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chun@ked\r\n\r\n", 0, "Transfer-Encoding");
	/* Content-Length values. */
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", 0, "differ");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, "differ");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 5 6\r\n\r\n", 0, "malformed Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "malformed Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", 0, "malformed Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", 0, "malformed Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 5;\r\n\r\n", 0, "malformed Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", 0, "empty Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: ,\r\n\r\n", 0, "empty Content-Length");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 1099511627777\r\n\r\n", 0, "BODY_MAX");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
		"BODY_MAX");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", 0, "BODY_MAX");
	/* Field lines. */
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n", 0, "field name");
	GARBAGE("HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 0\r\n\r\n", 0, "field name");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length\r\n\r\n", 0, "field name");
	GARBAGE("HTTP/1.1 200 OK\r\nX(y): z\r\n\r\n", 0, "field name");
	GARBAGE("HTTP/1.1 200 OK\r\n X: y\r\nContent-Length: 0\r\n\r\n", 0, "before the first");
	GARBAGE("HTTP/1.1 200 OK\r\nConnection: clo\x01se\r\nContent-Length: 0\r\n\r\n", 0,
		"control byte");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 1\r\r\n\r\nx", 0, "control byte");
	GARBAGE("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\rx", 0, "CR without LF");
	/* Chunks. */
#define CHUNKED "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	GARBAGE(CHUNKED "zz\r\n", 0, "chunk-size");
	GARBAGE(CHUNKED "\r\n", 0, "chunk-size");
	GARBAGE(CHUNKED " 1\r\nx\r\n0\r\n\r\n", 0, "chunk-size");
	GARBAGE(CHUNKED "1 x\r\nx\r\n0\r\n\r\n", 0, "chunk-size");
	GARBAGE(CHUNKED "3\r\nabcX", 0, "not followed by CRLF");
	GARBAGE(CHUNKED "3\r\nabc\rX", 0, "not followed by CRLF");
	GARBAGE(CHUNKED "FFFFFFFFFFFFFFFFFFFF\r\n", 0, "BODY_MAX");
	GARBAGE(CHUNKED "10000000001\r\n", 0, "BODY_MAX");
	GARBAGE(CHUNKED "0\r\n\rX", 0, "CR without LF");

	/* A failed parser stays failed until started again. */
	struct mcl_parser p;
	struct mcl_reply r;
	size_t used;
	mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
	assert_int_equal(mcl_proto_parse(&p, "BAD\r\n", 5, &used, &r), MCL_PARSE_ERROR);
	assert_int_equal(mcl_proto_parse(&p, OK_RESP, sizeof(OK_RESP) - 1, &used, &r),
			 MCL_PARSE_ERROR);
	mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
	assert_int_equal(mcl_proto_parse(&p, OK_RESP, sizeof(OK_RESP) - 1, &used, &r),
			 MCL_PARSE_REPLY);
	assert_int_equal(used, sizeof(OK_RESP) - 1);
}

/* Bodies up to MCL_HTTP_BODY_MAX are skipped as they come, never stored. */
static void test_http_huge_body(void **state)
{
	(void)state;
	static char zeros[1 << 20];
	struct mcl_parser p;
	struct mcl_reply r;
	size_t used;
	char head[128];

	int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n\r\n",
			 (unsigned long long)MCL_HTTP_BODY_MAX);
	mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
	assert_int_equal(mcl_proto_parse(&p, head, (size_t)n, &used, &r), MCL_PARSE_MORE);
	assert_int_equal(used, n);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(mcl_proto_parse(&p, zeros, sizeof(zeros), &used, &r),
				 MCL_PARSE_MORE);
		assert_int_equal(used, sizeof(zeros));
	}
	assert_int_equal(p.remaining, MCL_HTTP_BODY_MAX - 3 * sizeof(zeros));

	/* 100 MiB, past the memcached value limit, then the next response in the same read. */
	const uint64_t big = 100ull << 20;
	n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n\r\n",
		     (unsigned long long)big);
	mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
	assert_int_equal(mcl_proto_parse(&p, head, (size_t)n, &used, &r), MCL_PARSE_MORE);
	for (uint64_t left = big; left > sizeof(zeros); left -= sizeof(zeros))
		assert_int_equal(mcl_proto_parse(&p, zeros, sizeof(zeros), &used, &r),
				 MCL_PARSE_MORE);
	assert_int_equal(mcl_proto_parse(&p, zeros, sizeof(zeros) - 1000, &used, &r),
			 MCL_PARSE_MORE);
	static const char next[] = "HTTP/1.1 204 x\r\n\r\n";
	char tail[1000 + sizeof(next)] = {0};
	memcpy(tail + 1000, next, sizeof(next));
	assert_int_equal(mcl_proto_parse(&p, tail, sizeof(tail) - 1, &used, &r), MCL_PARSE_REPLY);
	assert_int_equal(used, 1000);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, big);
	assert_int_equal(mcl_proto_parse(&p, tail + 1000, sizeof(next) - 1, &used, &r),
			 MCL_PARSE_REPLY);
	assert_int_equal(used, sizeof(next) - 1);
	assert_int_equal(r.status, 204);

	/* A chunked body adds its chunks up to the same bound. */
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "8000000000\r\n";
	mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
	assert_int_equal(mcl_proto_parse(&p, chunked, sizeof(chunked) - 1, &used, &r),
			 MCL_PARSE_MORE);
	assert_int_equal(p.remaining, MCL_HTTP_BODY_MAX / 2);
}

/*
 * mcload frees an idle connection's parser between responses and makes a new one on the next
 * bytes, and takes a close by the server at a boundary for no failure: a parser between
 * responses looks fresh (its state, nothing gathered), one inside a response does not.
 */
static void test_http_boundary(void **state)
{
	(void)state;
	struct mcl_parser fresh, p;
	struct mcl_reply r;
	size_t used;
	static const char s[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 100 Continue\r\n\r\n";
	const size_t first = strlen("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
	const size_t total = sizeof(s) - 1;
	mcl_proto_parser_init(&fresh, MCL_PROTO_HTTP, 0);
	assert_int_equal(fresh.state, MCL_HTTP_STATE0);
	assert_int_equal(fresh.have, 0);
	for (size_t k = 1; k <= total; k++) {
		mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
		int rc = mcl_proto_parse(&p, s, k, &used, &r);
		assert_int_equal(rc, k < first ? MCL_PARSE_MORE : MCL_PARSE_REPLY);
		if (k > first) {
			assert_int_equal(used, first);
			assert_int_equal(mcl_proto_parse(&p, s + first, k - first, &used, &r),
					 MCL_PARSE_MORE);
		}
		bool boundary = k == first || k == total;
		assert_int_equal(p.state == fresh.state && p.have == 0, boundary);
	}
	/* After an interim response the parser is between responses too (its request is still in
	 * flight, so mcload keeps it anyway). */
	mcl_proto_parser_init(&p, MCL_PROTO_HTTP, 0);
	assert_int_equal(mcl_proto_parse(&p, s + first, total - first, &used, &r), MCL_PARSE_MORE);
	assert_int_equal(p.state, fresh.state);
	assert_int_equal(p.have, 0);
	assert_memory_equal(&p.http, &fresh.http, sizeof(p.http));
}

static void test_http_build(void **state)
{
	(void)state;
	struct mcl_buf b = {0};
	assert_int_equal(mcl_http_build_get(&b, "/file.bin", "127.0.0.1:8080"), 0);
	assert_int_equal(mcl_http_build_get(&b, "/", "h"), 0);
	static const char want[] = "GET /file.bin HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
				   "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	assert_int_equal(b.len - b.off, sizeof(want) - 1);
	assert_memory_equal(b.data + b.off, want, sizeof(want) - 1);
	mcl_proto_buf_free(&b);

	assert_true(mcl_http_valid_token("/", true));
	assert_true(mcl_http_valid_token("/a/b.bin?x=1&y=%20", true));
	assert_false(mcl_http_valid_token("", true));
	assert_false(mcl_http_valid_token("file.bin", true));
	assert_false(mcl_http_valid_token("/a b", true));
	assert_false(mcl_http_valid_token("/a\r\nX: y", true));
	assert_false(mcl_http_valid_token("/\x7f", true));
	assert_false(mcl_http_valid_token("/\xc3\xa9", true));
	assert_true(mcl_http_valid_token("example.com:8080", false));
	assert_false(mcl_http_valid_token("", false));
	assert_false(mcl_http_valid_token("a\tb", false));

	enum mcl_proto proto;
	assert_int_equal(mcl_proto_parse_name("http", &proto), 0);
	assert_int_equal(proto, MCL_PROTO_HTTP);
	assert_string_equal(mcl_proto_name(MCL_PROTO_HTTP), "http");
	assert_int_equal(mcl_proto_parse_name("HTTP", &proto), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_pipelined),  cmocka_unit_test(test_http_fields),
	    cmocka_unit_test(test_http_long_heads), cmocka_unit_test(test_http_garbage),
	    cmocka_unit_test(test_http_huge_body),  cmocka_unit_test(test_http_boundary),
	    cmocka_unit_test(test_http_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
