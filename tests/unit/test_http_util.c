/*
 * Host tests for httpd's field helpers (user/apps/httpd/http_util.c): Range, ETag lists, HTTP
 * dates, content types and reason phrases. Every input handed to the code under test is a heap
 * block of exactly its length, so valgrind reports any read past its end. Dates are checked
 * against the host C library's gmtime_r, not against the code under test.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include "user/apps/httpd/http_req.h"
#include "tests/unit/http_test_util.h"

/* ---- Range ---- */

static int range(const char *s, uint64_t size, uint64_t *a, uint64_t *b)
{
	*a = *b = 12345;
	return http_range_parse(hold(s, strlen(s)), strlen(s), size, a, b);
}

static void test_range(void **state)
{
	static const struct {
		const char *s;
		uint64_t size;
		int status;
		uint64_t first, last;
	} t[] = {
	    {"bytes=0-499", 1000, 206, 0, 499},
	    {"bytes=500-", 1000, 206, 500, 999},
	    {"bytes=-200", 1000, 206, 800, 999},
	    {"bytes=-1000", 1000, 206, 0, 999},
	    {"bytes=-2000", 1000, 206, 0, 999},
	    {"bytes=0-99999", 1000, 206, 0, 999},
	    {"bytes=999-999", 1000, 206, 999, 999},
	    {"bytes=999-", 1000, 206, 999, 999},
	    {"bytes=0-0", 1, 206, 0, 0},
	    {"bytes=-1", 1, 206, 0, 0},
	    {"bytes=0-", 1, 206, 0, 0},
	    {"bytes=0-99999999999999999999999", 1000, 206, 0, 999},
	    {"bytes=-99999999999999999999999", 1000, 206, 0, 999},
	    {"bytes=0-18446744073709551615", UINT64_MAX, 206, 0, UINT64_MAX - 1},
	    {" bytes = 0 - 5 ", 1000, 206, 0, 5},
	    {"\tbytes=\t7-\t8\t", 1000, 206, 7, 8},
	    {"BYTES=1-2", 1000, 206, 1, 2},
	    {"Bytes=-5", 1000, 206, 995, 999},
	    {"bytes=00010-00020", 1000, 206, 10, 20},
	    {"bytes=1000-", 1000, 416, 0, 0},
	    {"bytes=1000-2000", 1000, 416, 0, 0},
	    {"bytes=5000-5000", 1000, 416, 0, 0},
	    {"bytes=-0", 1000, 416, 0, 0},
	    {"bytes=0-", 0, 416, 0, 0},
	    {"bytes=-5", 0, 416, 0, 0},
	    {"bytes=0-0", 0, 416, 0, 0},
	    {"bytes=99999999999999999999999-", 1000, 416, 0, 0},
	    {"bytes=5-4", 1000, 200, 0, 0},
	    {"bytes=5000-4", 1000, 200, 0, 0},
	    {"bytes=0-1,3-4", 1000, 200, 0, 0},
	    {"bytes=0-1, 3-4", 1000, 200, 0, 0},
	    {"bytes=0-1,", 1000, 200, 0, 0},
	    {"items=0-5", 1000, 200, 0, 0},
	    {"bytesx=0-5", 1000, 200, 0, 0},
	    {"byte=0-5", 1000, 200, 0, 0},
	    {"bytes 0-5", 1000, 200, 0, 0},
	    {"bytes=", 1000, 200, 0, 0},
	    {"bytes=-", 1000, 200, 0, 0},
	    {"bytes=--5", 1000, 200, 0, 0},
	    {"bytes=a-b", 1000, 200, 0, 0},
	    {"bytes=0-5x", 1000, 200, 0, 0},
	    {"bytes=0x1-5", 1000, 200, 0, 0},
	    {"bytes=1 2-5", 1000, 200, 0, 0},
	    {"bytes=+1-5", 1000, 200, 0, 0},
	    {"bytes=5", 1000, 200, 0, 0},
	    {"", 1000, 200, 0, 0},
	    {"bytes", 1000, 200, 0, 0},
	};
	uint64_t a, b;

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		int r = range(t[k].s, t[k].size, &a, &b);

		if (r != t[k].status)
			fail_msg("'%s' size %llu: %d", t[k].s, (unsigned long long)t[k].size, r);
		if (r == 206 && (a != t[k].first || b != t[k].last))
			fail_msg("'%s': %llu-%llu", t[k].s, (unsigned long long)a,
				 (unsigned long long)b);
	}
}

/* ---- ETag ---- */

static bool etag(const char *list, const char *tag)
{
	return http_etag_match(hold(list, strlen(list)), strlen(list), tag);
}

static void test_etag(void **state)
{
	(void)state;
	assert_true(etag("\"abc\"", "\"abc\""));
	assert_true(etag("W/\"abc\"", "\"abc\""));
	assert_true(etag("\"abc\"", "W/\"abc\""));
	assert_true(etag("W/\"abc\"", "W/\"abc\""));
	assert_true(etag("\"x\", \"abc\"", "\"abc\""));
	assert_true(etag("\"x\",W/\"abc\",\"y\"", "\"abc\""));
	assert_true(etag(" , ,\"abc\" ,", "\"abc\""));
	assert_true(etag("\"\"", "\"\""));
	assert_true(etag("\"a,b\"", "\"a,b\""));
	assert_true(etag("\"\x80\xff\"", "\"\x80\xff\""));
	assert_true(etag("*", "\"abc\""));
	assert_true(etag(" * ", "\"abc\""));
	assert_false(etag("\"x\", \"y\"", "\"abc\""));
	assert_false(etag("\"ABC\"", "\"abc\""));
	assert_false(etag("\"abc\"", "\"abcd\""));
	assert_false(etag("\"abcd\"", "\"abc\""));
	/* malformed lists match nothing, even with a matching tag in them */
	assert_false(etag("", "\"abc\""));
	assert_false(etag(" ", "\"abc\""));
	assert_false(etag(",", "\"abc\""));
	assert_false(etag("abc", "abc"));
	assert_false(etag("\"abc", "\"abc\""));
	assert_false(etag("\"abc\" junk", "\"abc\""));
	assert_false(etag("\"abc\", bad", "\"abc\""));
	assert_false(etag("\"abc\"\"x\"", "\"abc\""));
	assert_false(etag("w/\"abc\"", "\"abc\""));
	assert_false(etag("W\"abc\"", "\"abc\""));
	assert_false(etag("W/", "\"abc\""));
	assert_false(etag("\"a c\"", "\"a c\""));
	assert_false(etag("\"a\tc\"", "\"a\tc\""));
	assert_false(etag("*, \"abc\"", "\"abc\""));
	assert_false(etag("**", "\"abc\""));
	assert_false(etag("\"abc\"", NULL));
}

/* ---- dates ---- */

static int date(const char *s, int64_t *t)
{
	*t = -12345;
	return http_date_parse(hold(s, strlen(s)), strlen(s), t);
}

/* What the host's C library says t is. */
static void host_date(int64_t t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, HTTP_DATE_LEN + 1, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void check_round_trip(int64_t t)
{
	char got[HTTP_DATE_LEN + 8], want[HTTP_DATE_LEN + 1];
	int64_t back;

	memset(got, 'x', sizeof(got));
	http_date_format(t, got);
	assert_int_equal(got[HTTP_DATE_LEN], '\0');
	assert_int_equal(got[HTTP_DATE_LEN + 1], 'x');
	host_date(t, want);
	if (strcmp(got, want) != 0)
		fail_msg("%lld: %s, not %s", (long long)t, got, want);
	if (date(got, &back) != 0 || back != t)
		fail_msg("%s read back as %lld", got, (long long)back);
	release(NULL);
}

static void test_date_format(void **state)
{
	static const struct {
		int64_t t;
		const char *s;
	} t[] = {
	    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
	    {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
	    {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
	    {1709210096, "Thu, 29 Feb 2024 12:34:56 GMT"},
	    {4107542400, "Mon, 01 Mar 2100 00:00:00 GMT"},
	    {2147483648, "Tue, 19 Jan 2038 03:14:08 GMT"},
	    {946684799, "Fri, 31 Dec 1999 23:59:59 GMT"},
	    {946684800, "Sat, 01 Jan 2000 00:00:00 GMT"},
	    {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
	};
	char out[HTTP_DATE_LEN + 1];

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		http_date_format(t[k].t, out);
		assert_string_equal(out, t[k].s);
		check_round_trip(t[k].t);
	}
	/* Out of the four-digit years, clamped. */
	http_date_format(-1, out);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_format(INT64_MAX, out);
	assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
	/* Many values: every day of 1970-2104 at a changing time, then steps to year 9999. */
	for (int64_t d = 0; d < 135 * 366; d++)
		check_round_trip(d * 86400 + (d * 7919) % 86400);
	for (int64_t v = 86399; v <= 253402300799; v += 98765432)
		check_round_trip(v);
	for (int y = 1970; y < 10000; y++) {
		char s[HTTP_DATE_LEN + 1];
		int64_t a, b;

		snprintf(s, sizeof(s), "Mon, 28 Feb %04d 23:59:59 GMT", y);
		assert_int_equal(date(s, &a), 0);
		snprintf(s, sizeof(s), "Mon, 01 Mar %04d 00:00:00 GMT", y);
		assert_int_equal(date(s, &b), 0);
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

		assert_int_equal(b - a, leap ? 86401 : 1);
		check_round_trip(a);
	}
}

static void test_date_parse(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} ok[] = {
	    {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
	    {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
	    {"Sun Nov  6 08:49:37 1994", 784111777},
	    {"Sun Nov 06 08:49:37 1994", 784111777},
	    {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
	    {"Thursday, 01-Jan-70 00:00:00 GMT", 0},
	    {"Thu Jan  1 00:00:00 1970", 0},
	    {"Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
	    {"Tuesday, 29-Feb-00 00:00:00 GMT", 951782400},
	    {"Tue Feb 29 00:00:00 2000", 951782400},
	    {"Thu, 29 Feb 2024 12:34:56 GMT", 1709210096},
	    {"Fri, 31 Dec 1999 23:59:59 GMT", 946684799},
	    {"Friday, 31-Dec-99 23:59:59 GMT", 946684799},
	    {"Tuesday, 01-Jan-69 00:00:00 GMT", 3124224000},
	    {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
	    /* a leap second reads as the next second; the weekday is not checked */
	    {"Fri, 31 Dec 1999 23:59:60 GMT", 946684800},
	    {"Mon, 06 Nov 1994 08:49:37 GMT", 784111777},
	    /* before 1970: negative */
	    {"Wed, 31 Dec 1969 23:59:59 GMT", -1},
	    {"Mon, 01 Jan 1900 00:00:00 GMT", -2208988800},
	};
	static const char *const bad[] = {
	    "Sun, 30 Feb 2024 00:00:00 GMT",
	    "Sun, 29 Feb 1900 00:00:00 GMT",
	    "Sun, 29 Feb 2023 00:00:00 GMT",
	    "Sun, 31 Apr 2023 00:00:00 GMT",
	    "Sun, 00 Jan 2023 00:00:00 GMT",
	    "Sun, 32 Jan 2023 00:00:00 GMT",
	    "Sun, 01 Jan 2023 24:00:00 GMT",
	    "Sun, 01 Jan 2023 00:60:00 GMT",
	    "Sun, 01 Jan 2023 00:00:61 GMT",
	    "sun, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49:37 gmt",
	    "Sun, 06 Nov 1994 08:49:37 UTC",
	    "Sun, 06 Nov 1994 08:49:37",
	    "Sun, 06 Nov 1994 08:49:37 GMT ",
	    " Sun, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 6 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 94 08:49:37 GMT",
	    "Sun,06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 8:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49 GMT",
	    "Sun, 06-Nov-1994 08:49:37 GMT",
	    "Sunday, 06 Nov 1994 08:49:37 GMT",
	    "Sunday, 06-Nov-1994 08:49:37 GMT",
	    "Sunday, 30-Feb-94 08:49:37 GMT",
	    "Sunday, 06-Nov-94 08:49:37",
	    "Sun Nov 6 08:49:37 1994",
	    "Sun Nov  6 08:49:37 94",
	    "Sun Nov  6 08:49:37 1994 ",
	    "Sun Feb 29 08:49:37 1900",
	    "Sun Nov   6 08:49:37 1994",
	    "Sun Nov  6 08:49:37 GMT 1994",
	    "Xyz, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Xyz 1994 08:49:37 GMT",
	    "",
	    "Sun",
	    "Sun,",
	    "Sunday",
	    "1994-11-06T08:49:37Z",
	    "784111777",
	};
	int64_t t;

	(void)state;
	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
		if (date(ok[k].s, &t) != 0 || t != ok[k].t)
			fail_msg("'%s': %lld", ok[k].s, (long long)t);
		/* Every prefix is not a date (and is not read past). */
		for (size_t n = 0; n < strlen(ok[k].s); n++)
			assert_int_equal(http_date_parse(hold(ok[k].s, n), n, &t), -1);
		release(NULL);
	}
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		if (date(bad[k], &t) != -1)
			fail_msg("'%s' parsed as %lld", bad[k], (long long)t);
	/* RFC 850's two-digit years: 70-99 are 19xx, 00-69 20xx. */
	assert_int_equal(date("Monday, 01-Jan-00 00:00:00 GMT", &t), 0);
	assert_int_equal(t, 946684800);
	assert_int_equal(date("Monday, 19-Jan-38 03:14:08 GMT", &t), 0);
	assert_int_equal(t, 2147483648);
}

/* ---- content types and reasons ---- */

static const char *mime(const char *p)
{
	return http_mime_type(hold(p, strlen(p)), strlen(p));
}

static void test_mime(void **state)
{
	static const struct {
		const char *path, *type;
	} t[] = {
	    {"/index.html", "text/html; charset=utf-8"},
	    {"/a.htm", "text/html; charset=utf-8"},
	    {"/INDEX.HTML", "text/html; charset=utf-8"},
	    {"/s.Css", "text/css; charset=utf-8"},
	    {"/app.js", "application/javascript; charset=utf-8"},
	    {"/m.mjs", "application/javascript; charset=utf-8"},
	    {"/d.json", "application/json; charset=utf-8"},
	    {"/r.txt", "text/plain; charset=utf-8"},
	    {"/README.md", "text/markdown; charset=utf-8"},
	    {"/f.xml", "application/xml; charset=utf-8"},
	    {"/i.svg", "image/svg+xml; charset=utf-8"},
	    {"/i.png", "image/png"},
	    {"/i.jpg", "image/jpeg"},
	    {"/i.JPEG", "image/jpeg"},
	    {"/i.gif", "image/gif"},
	    {"/i.webp", "image/webp"},
	    {"/favicon.ico", "image/x-icon"},
	    {"/m.wasm", "application/wasm"},
	    {"/d.pdf", "application/pdf"},
	    {"/f.woff", "font/woff"},
	    {"/f.woff2", "font/woff2"},
	    {"/f.ttf", "font/ttf"},
	    {"/v.mp4", "video/mp4"},
	    {"/v.webm", "video/webm"},
	    {"/a.mp3", "audio/mpeg"},
	    {"/a.tar", "application/x-tar"},
	    {"/a.tar.gz", "application/gzip"},
	    {"/a.zip", "application/zip"},
	    {"/t.csv", "text/csv; charset=utf-8"},
	    {"/dir.html/", "application/octet-stream"},
	    {"/README", "application/octet-stream"},
	    {"/dir.d/file", "application/octet-stream"},
	    {"/x.", "application/octet-stream"},
	    {"/x.htmlx", "application/octet-stream"},
	    {"/x.htm l", "application/octet-stream"},
	    {"/x.h", "application/octet-stream"},
	    {"/x.exe", "application/octet-stream"},
	    {"", "application/octet-stream"},
	    {"html", "application/octet-stream"},
	    {".html", "text/html; charset=utf-8"},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++)
		if (strcmp(mime(t[k].path), t[k].type) != 0)
			fail_msg("%s: %s", t[k].path, mime(t[k].path));
	/* Only len bytes are looked at. */
	assert_string_equal(http_mime_type("/a.css.html", 6), "text/css; charset=utf-8");
}

static void test_reason(void **state)
{
	static const struct {
		int status;
		const char *r;
	} t[] = {
	    {200, "OK"},
	    {206, "Partial Content"},
	    {304, "Not Modified"},
	    {400, "Bad Request"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {408, "Request Timeout"},
	    {413, "Content Too Large"},
	    {414, "URI Too Long"},
	    {416, "Range Not Satisfiable"},
	    {431, "Request Header Fields Too Large"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {503, "Service Unavailable"},
	    {505, "HTTP Version Not Supported"},
	    {0, "Unknown"},
	    {-200, "Unknown"},
	    {299, "Unknown"},
	    {1200, "Unknown"},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++)
		assert_string_equal(http_reason(t[k].status), t[k].r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_range),	T(test_etag), T(test_date_format),
	    T(test_date_parse), T(test_mime), T(test_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
