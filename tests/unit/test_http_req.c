/*
 * Host tests for httpd's request head parser and target decoder (http_req_parse and
 * http_path_decode in user/apps/httpd/http_req.c). Every input handed to the code under test is
 * a heap block of exactly its length, so valgrind reports any read past its end. The field
 * helpers (Range, ETags, dates, types, reasons) are tested in test_http_util.c.
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

#include "user/apps/httpd/http_req.h"
#include "tests/unit/http_test_util.h"

static struct http_req req;

static int parse_n(const char *s, size_t n)
{
	return http_req_parse(hold(s, n), n, &req);
}

static int parse(const char *s)
{
	return parse_n(s, strlen(s));
}

static bool span_is(struct http_span sp, const char *s)
{
	return sp.p && sp.len == strlen(s) && memcmp(sp.p, s, sp.len) == 0;
}

/* ---- request heads ---- */

static void test_simple_get(void **state)
{
	(void)state;
	const char *s = "GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\n"
			"If-None-Match:  \"abc\" \r\nRange:bytes=0-1\r\nIf-Range: \"abc\"\r\n"
			"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Other: y\r\n\r\n";

	assert_int_equal(parse(s), 0);
	assert_int_equal(req.method, HTTP_M_GET);
	assert_string_equal(req.method_name, "GET");
	assert_int_equal(req.minor, 1);
	assert_string_equal(req.path, "/index.html");
	assert_int_equal(req.path_len, 11);
	assert_true(req.keep_alive);
	assert_false(req.has_length);
	assert_int_equal(req.content_length, 0);
	assert_false(req.has_te);
	assert_false(req.escape);
	assert_true(span_is(req.host, "example.com"));
	assert_true(span_is(req.if_none_match, "\"abc\""));
	assert_true(span_is(req.range, "bytes=0-1"));
	assert_true(span_is(req.if_range, "\"abc\""));
	assert_true(span_is(req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT"));
	assert_int_equal(req.head_len, strlen(s));
	assert_null(req.why);
}

static void test_head_and_body(void **state)
{
	(void)state;
	const char *s = "HEAD / HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\nhello";

	assert_int_equal(parse(s), 0);
	assert_int_equal(req.method, HTTP_M_HEAD);
	assert_string_equal(req.method_name, "HEAD");
	assert_string_equal(req.path, "/");
	assert_true(req.has_length);
	assert_int_equal(req.content_length, 5);
	assert_int_equal(req.head_len, strlen(s) - 5);
	assert_true(span_is(req.host, "h"));
	/* Absent fields are NULL spans; an empty field is present. */
	assert_null(req.range.p);
	assert_int_equal(req.range.len, 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost:\r\nRange: \r\n\r\n"), 0);
	assert_non_null(req.host.p);
	assert_int_equal(req.host.len, 0);
	assert_non_null(req.range.p);
	assert_int_equal(req.range.len, 0);
}

static void test_keep_alive(void **state)
{
	static const struct {
		const char *head;
		bool keep;
	} t[] = {
	    {"GET / HTTP/1.0\r\n\r\n", false},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
	    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
	    {"GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n", false},
	    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
	    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
	    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n", false},
	    {"GET / HTTP/1.1\r\nHost: a\r\nconnection:foo,CLOSE , bar\r\n\r\n", false},
	    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: ,, close,\r\n\r\n", false},
	    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true},
	    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, keep-alive\r\n\r\n", true},
	    {"GET / HTTP/1.1\r\nHost: a\r\nX-Connection: close\r\n\r\n", true},
	    {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", true},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		int r = parse(t[k].head);

		if (r != 0 || req.keep_alive != t[k].keep)
			fail_msg("%s: %d keep %d", t[k].head, r, req.keep_alive);
	}
	assert_int_equal(parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 0);
	assert_int_equal(req.minor, 1);
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n"), 0);
	assert_int_equal(req.minor, 0);
}

static void test_pipeline(void **state)
{
	char buf[4096];
	size_t n = 0, off = 0;

	(void)state;
	for (int k = 0; k < 20; k++)
		n += (size_t)snprintf(
		    buf + n, sizeof(buf) - n, "%s /file%d.txt HTTP/1.1\r\nHost: h%d\r\n%s\r\n%s",
		    k % 3 ? "GET" : "HEAD", k, k, k % 4 == 1 ? "Content-Length: 3\r\n" : "",
		    k % 4 == 1 ? "abc" : "");
	const char *b = hold(buf, n);

	for (int k = 0; k < 20; k++) {
		char want[32];

		assert_int_equal(http_req_parse(b + off, n - off, &req), 0);
		snprintf(want, sizeof(want), "/file%d.txt", k);
		assert_string_equal(req.path, want);
		assert_int_equal(req.method, k % 3 ? HTTP_M_GET : HTTP_M_HEAD);
		assert_int_equal(req.content_length, k % 4 == 1 ? 3 : 0);
		snprintf(want, sizeof(want), "h%d", k);
		assert_true(span_is(req.host, want));
		off += req.head_len + req.content_length;
	}
	assert_int_equal(off, n);
	assert_int_equal(http_req_parse(b + off, 0, &req), HTTP_NEED_MORE);
}

/* Every proper prefix of a valid head is NEED_MORE; the whole is 0. */
static void check_prefixes(const char *s)
{
	size_t n = strlen(s);
	const char *b = hold(s, n);

	for (size_t k = 0; k < n; k++) {
		/* Each prefix is its own exact-length block, for valgrind. */
		char *p = malloc(k ? k : 1);

		memcpy(p, b, k);
		int r = http_req_parse(p, k, &req);

		free(p);
		if (r != HTTP_NEED_MORE)
			fail_msg("prefix %zu of %s: %d (%s)", k, s, r, req.why ? req.why : "");
	}
	assert_int_equal(http_req_parse(b, n, &req), 0);
	assert_int_equal(req.head_len, n);
}

static void test_need_more_prefixes(void **state)
{
	(void)state;
	check_prefixes("GET /a/b%20c.html?q=1 HTTP/1.1\r\nHost: example.com:80\r\n"
		       "Connection: keep-alive\r\nContent-Length: 0\r\n"
		       "If-None-Match: W/\"x\", \"y\"\r\nRange: bytes=1-2\r\nX-Empty:\r\n"
		       "User-Agent: t/1.0 (\t\x80\xff)\r\n\r\n");
	check_prefixes("\r\n\r\nHEAD http://h:8/x HTTP/1.0\r\n\r\n");
	check_prefixes("OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n");
}

static void test_leading_crlf(void **state)
{
	(void)state;
	const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	assert_int_equal(parse(s), 0);
	assert_int_equal(req.head_len, strlen(s));
	assert_int_equal(parse("\r\n"), HTTP_NEED_MORE);
	assert_int_equal(parse("\r\n\r"), HTTP_NEED_MORE);
	assert_int_equal(parse("\r\n\n"), 400);
	assert_int_equal(parse("\nGET / HTTP/1.0\r\n\r\n"), 400);
	assert_int_equal(parse("\r\rGET / HTTP/1.0\r\n\r\n"), 400);
	assert_string_equal(req.why, "bare CR");
	/* The reasons for the log name the fault. */
	assert_int_equal(parse("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
	assert_string_equal(req.why, "bare LF");
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
	assert_string_equal(req.why, "bare LF");
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"), 400);
	assert_string_equal(req.why, "obs-fold");
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
	assert_string_equal(req.why, "space before colon");
	assert_int_equal(parse("GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_string_equal(req.why, "path leaves the root");
}

#define R(s, st)                                                                                   \
	{                                                                                          \
		s, sizeof(s) - 1, st                                                               \
	}

static const struct bad {
	const char *s;
	size_t n;
	int status;
} bads[] = {
    /* line endings and bytes */
    R("GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\n\n", 400),
    R("GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 400),
    R("GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n", 400),
    R("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET\0/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/1.1\0\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nX\0: ab\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400),
    R("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    /* request line */
    R("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
    R("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /\r\n\r\n", 400),
    R("GET\r\n\r\n", 400),
    R("GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/1\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTPS/1.1\r\nHost: a\r\n\r\n", 400),
    /* fields */
    R("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nNo colon\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nNocolon\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 12a\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,,1\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\ncontent-length: 5\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
    R("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    R("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
    /* targets */
    R("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /%4g HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /% HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /a%0a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /a%7F HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /a%5cb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET C:/x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET ftp://h/x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    R("GET http://u@h/x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
};

static void test_bad_requests(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(bads) / sizeof(bads[0]); k++) {
		int r = parse_n(bads[k].s, bads[k].n);

		if (r != bads[k].status || !req.why)
			fail_msg("bad[%zu] %.*s: %d", k, (int)bads[k].n, bads[k].s, r);
		release(NULL);
	}
}

static void test_escapes(void **state)
{
	static const char *const t[] = {
	    "/../etc/passwd", "/a/%2e%2e/b", "/a/./b",	      "/%2E%2e",  "/a/..",
	    "/a/.",	      "/.",	     "/..?x",	      "/a/%2e/b", "/a/.%2e/b",
	    "/a%2f..%2fb",    "//..//x",     "http://h/../x",
	};
	char line[128];

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", t[k]);
		int r = parse(line);

		if (r != 400 || !req.escape)
			fail_msg("%s: %d escape %d", t[k], r, req.escape);
	}
	/* Dots inside names are not segments. */
	assert_int_equal(parse("GET /a/...b/.c/..d/e.. HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
	assert_string_equal(req.path, "/a/...b/.c/..d/e..");
	assert_false(req.escape);
	assert_int_equal(parse("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_false(req.escape);
}

static void test_path_decode(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"/", "/"},
	    {"/a/b", "/a/b"},
	    {"//a///b//", "/a/b/"},
	    {"/a/?q=/../", "/a/"},
	    {"/%41%62%2a", "/Ab*"},
	    {"/%e2%82%ac", "/\xe2\x82\xac"},
	    {"/a%2fb", "/a/b"},
	    {"/a%20b+c", "/a b+c"},
	    {"/~u/:@!$&'()*,;=", "/~u/:@!$&'()*,;="},
	    {"http://h/x", "/x"},
	    {"HTTP://h:80/x/y?z", "/x/y"},
	    {"https://h", "/"},
	    {"hTTpS://[::1]:8080?q", "/"},
	    {"/?", "/"},
	    {"/a?b?c", "/a"},
	};
	char out[HTTP_PATH_MAX + 1];
	size_t n;
	bool esc;

	(void)state;
	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
		const char *in = hold(ok[k].in, strlen(ok[k].in));
		int r = http_path_decode(in, strlen(ok[k].in), out, sizeof(out), &n, &esc);

		if (r != 0 || strcmp(out, ok[k].out) != 0 || n != strlen(out) || esc)
			fail_msg("%s: %d", ok[k].in, r);
	}
	assert_int_equal(http_path_decode(hold("", 0), 0, out, sizeof(out), &n, &esc), 400);
	assert_int_equal(http_path_decode(hold("/?a b", 5), 5, out, sizeof(out), &n, &esc), 400);
	/* The path must fit in outsz with its NUL. */
	assert_int_equal(http_path_decode(hold("/abc", 4), 4, out, 5, &n, &esc), 0);
	assert_string_equal(out, "/abc");
	assert_int_equal(http_path_decode(hold("/abcd", 5), 5, out, 5, &n, &esc), 414);
	assert_int_equal(http_path_decode(hold("/abc/", 5), 5, out, 5, &n, &esc), 414);
	assert_int_equal(http_path_decode(hold("/abc//", 6), 6, out, 6, &n, &esc), 0);
	assert_string_equal(out, "/abc/");
	assert_int_equal(http_path_decode(hold("/", 1), 1, out, 2, &n, &esc), 0);
	assert_string_equal(out, "/");
	assert_int_equal(http_path_decode(hold("/", 1), 1, out, 1, &n, &esc), 414);
}

static void test_target_lengths(void **state)
{
	static char t[HTTP_TARGET_MAX + 64], line[HTTP_TARGET_MAX + 128];

	(void)state;
	/* A path of exactly HTTP_PATH_MAX bytes fits; one more is 414. */
	memset(t, 'a', sizeof(t));
	t[0] = '/';
	t[HTTP_PATH_MAX] = '\0';
	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", t);
	assert_int_equal(parse(line), 0);
	assert_int_equal(req.path_len, HTTP_PATH_MAX);
	t[HTTP_PATH_MAX] = 'a';
	t[HTTP_PATH_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", t);
	assert_int_equal(parse(line), 414);
	/* A target of exactly HTTP_TARGET_MAX bytes is read (its query is long). */
	memset(t, 'q', sizeof(t));
	memcpy(t, "/x?", 3);
	t[HTTP_TARGET_MAX] = '\0';
	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", t);
	assert_int_equal(parse(line), 0);
	assert_string_equal(req.path, "/x");
	t[HTTP_TARGET_MAX] = 'q';
	t[HTTP_TARGET_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", t);
	assert_int_equal(parse(line), 414);
	/* ... known as soon as it is too long, before the line ends. */
	snprintf(line, sizeof(line), "GET %s", t);
	assert_int_equal(parse(line), 414);
	line[strlen(line) - 1] = '\0';
	assert_int_equal(parse(line), HTTP_NEED_MORE);
	/* The same with encoded bytes: a path of 1 + 300 + 723 bytes fits, one more does not. */
	strcpy(line, "GET /");
	for (int k = 0; k < 300; k++)
		strcat(line, "%41");
	memset(t, 'a', sizeof(t));
	t[HTTP_PATH_MAX - 301] = '\0';
	strcat(line, t);
	strcat(line, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(line), 0);
	assert_int_equal(req.path_len, HTTP_PATH_MAX);
	memmove(line + 5, line + 4, strlen(line + 4) + 1);
	line[4] = '/';
	assert_int_equal(parse(line), 0); /* "//" merges */
	line[5] = 'b';
	assert_int_equal(parse(line), 414);
}

/* A head of exactly total bytes: a request line, fields padding it out, and its end. */
static size_t make_head(char *b, size_t total, bool end)
{
	size_t n = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ");
	size_t tail = end ? 4 : 2;

	while (n < total - tail)
		b[n++] = 'p';
	memcpy(b + n, end ? "\r\n\r\n" : "\r\n", tail);
	return n + tail;
}

static void test_head_limits(void **state)
{
	static char b[HTTP_HEAD_MAX + 100];
	char f[32];

	(void)state;
	assert_int_equal(parse_n(b, make_head(b, HTTP_HEAD_MAX, true)), 0);
	assert_int_equal(req.head_len, HTTP_HEAD_MAX);
	/* Bytes beyond the head (a body, a next request) do not matter. */
	make_head(b, HTTP_HEAD_MAX, true);
	memcpy(b + HTTP_HEAD_MAX, "GET ", 4);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX + 4), 0);
	assert_int_equal(req.head_len, HTTP_HEAD_MAX);
	/* One byte more and the head has no end within HTTP_HEAD_MAX. */
	assert_int_equal(parse_n(b, make_head(b, HTTP_HEAD_MAX + 1, true)), 431);
	/* Still incomplete at HTTP_HEAD_MAX - 1 bytes: more may come. */
	make_head(b, HTTP_HEAD_MAX + 50, false);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX - 1), HTTP_NEED_MORE);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX), 431);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX + 50), 431);
	/* Empty lines forever are a head without end too. */
	for (size_t k = 0; k < HTTP_HEAD_MAX + 2; k += 2)
		memcpy(b + k, "\r\n", 2);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX - 2), HTTP_NEED_MORE);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX + 2), 431);

	/* 64 fields are read, 65 are 431. */
	size_t n = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int k = 1; k < HTTP_FIELDS_MAX; k++) {
		snprintf(f, sizeof(f), "X-F%d: %d\r\n", k, k);
		n += (size_t)sprintf(b + n, "%s", f);
	}
	memcpy(b + n, "\r\n", 2);
	assert_int_equal(parse_n(b, n + 2), 0);
	n += (size_t)sprintf(b + n, "X-Last: 1\r\n\r\n");
	assert_int_equal(parse_n(b, n), 431);
	assert_non_null(req.why);
}

static void test_versions(void **state)
{
	(void)state;
	assert_int_equal(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
	assert_int_equal(parse("GET / HTTP/0.9\r\n\r\n"), 505);
	assert_int_equal(parse("GET / HTTP/3.0\r\n\r\n"), 505);
	assert_int_equal(parse("GET / HTTP/9.9\r\n\r\n"), 505);
	assert_non_null(req.why);
	assert_int_equal(parse("GET / HTTP/1.9\r\nHost: a\r\n\r\n"), 0);
	assert_int_equal(req.minor, 1);
}

static void test_methods(void **state)
{
	static const struct {
		const char *m;
		enum http_method e;
	} t[] = {
	    {"GET", HTTP_M_GET},      {"HEAD", HTTP_M_HEAD},	 {"POST", HTTP_M_OTHER},
	    {"PUT", HTTP_M_OTHER},    {"DELETE", HTTP_M_OTHER},	 {"OPTIONS", HTTP_M_OTHER},
	    {"TRACE", HTTP_M_OTHER},  {"CONNECT", HTTP_M_OTHER}, {"PATCH", HTTP_M_OTHER},
	    {"FOO", HTTP_M_UNKNOWN},  {"get", HTTP_M_UNKNOWN},	 {"Head", HTTP_M_UNKNOWN},
	    {"GETX", HTTP_M_UNKNOWN}, {"GE", HTTP_M_UNKNOWN},	 {"M-SEARCH", HTTP_M_UNKNOWN},
	    {"POS", HTTP_M_UNKNOWN},
	};
	char line[128];

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		snprintf(line, sizeof(line), "%s /x HTTP/1.1\r\nHost: a\r\n\r\n", t[k].m);
		assert_int_equal(parse(line), 0);
		assert_int_equal(req.method, t[k].e);
		assert_string_equal(req.method_name, t[k].m);
	}
	assert_int_equal(parse("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
	assert_int_equal(req.method, HTTP_M_UNKNOWN);
	assert_string_equal(req.method_name, "ABCDEFGHIJKLMNO");
	assert_int_equal(parse("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	/* Refused as soon as the bad byte is in, before the line ends. */
	assert_int_equal(parse("G@"), 400);
	assert_int_equal(parse("GET /a HTTP/1.1\r\nX y"), 400);
	assert_int_equal(parse("GET /a HTTP/2"), HTTP_NEED_MORE);
}

static void test_fields(void **state)
{
	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n"
			       "Content-Length: 12\r\n\r\n"),
			 0);
	assert_int_equal(req.content_length, 12);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7 ,7\r\n\r\n"), 0);
	assert_int_equal(req.content_length, 7);
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n"), 0);
	assert_int_equal(req.content_length, UINT64_MAX);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), 0);
	assert_true(req.has_length);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 0);
	assert_true(req.has_te);
	assert_false(req.has_length);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), 0);
	assert_true(span_is(req.host, "[::1]:8080"));
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n"), 0);
	assert_null(req.host.p);
	/* OWS is trimmed; inner spaces and obs-text stay. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost:a\r\nRange:\t bytes=1-2 \t\r\n\r\n"), 0);
	assert_true(span_is(req.range, "bytes=1-2"));
	/* A singleton field twice is dropped (Range with it); If-None-Match keeps the first. */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n"
			       "Range: bytes=3-4\r\nIf-Range: \"e\"\r\n\r\n"),
			 0);
	assert_null(req.range.p);
	assert_null(req.if_range.p);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n"
			       "If-Range: \"e\"\r\nIf-Range: \"f\"\r\n\r\n"),
			 0);
	assert_null(req.range.p);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: x\r\n"
			       "If-Modified-Since: y\r\nIf-None-Match: \"a\"\r\n"
			       "If-None-Match: \"b\"\r\n\r\n"),
			 0);
	assert_null(req.if_modified_since.p);
	assert_true(span_is(req.if_none_match, "\"a\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_simple_get),
	    T(test_head_and_body),
	    T(test_keep_alive),
	    T(test_pipeline),
	    T(test_need_more_prefixes),
	    T(test_leading_crlf),
	    T(test_bad_requests),
	    T(test_escapes),
	    T(test_path_decode),
	    T(test_target_lengths),
	    T(test_head_limits),
	    T(test_versions),
	    T(test_methods),
	    T(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
