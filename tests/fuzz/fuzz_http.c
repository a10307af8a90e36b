/*
 * libFuzzer target for httpd's request head parser and field helpers (user/apps/httpd/
 * http_req.c, http_util.c). The input is read as a pipeline of requests: each head parsed
 * is checked against what the parser promises (a path that cannot leave the root, fields
 * inside the head, the same answer for the head alone and NEED_MORE for the head less its
 * last byte), then skipped with its body. The whole input also goes to the target decoder,
 * the Range parser (with a file size from its first bytes), the If-None-Match matcher and
 * the date parser, whose dates must format and read back to themselves. Built and run by
 * tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "user/apps/httpd/http_req.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

#define DATE_T_MAX 253402300799LL /* Fri, 31 Dec 9999 23:59:59 GMT */

/* A decoded path: from the root, NUL-terminated at path_len, no "."/".." or empty segment,
 * no backslash or control byte. */
static void check_path(const char *p, size_t n, size_t cap)
{
	CHECK(n >= 1 && n < cap && p[0] == '/' && p[n] == '\0');
	CHECK(strlen(p) == n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		CHECK(c >= 0x20 && c != 0x7f && c != '\\');
		if (c != '/')
			continue;
		size_t e = i + 1;

		while (e < n && p[e] != '/')
			e++;
		size_t sl = e - i - 1;

		CHECK(sl > 0 || e == n); /* only a trailing '/' ends in an empty segment */
		CHECK(!(sl == 1 && p[i + 1] == '.'));
		CHECK(!(sl == 2 && p[i + 1] == '.' && p[i + 2] == '.'));
	}
}

static void check_span(struct http_span s, const char *head, size_t head_len)
{
	if (!s.p) {
		CHECK(s.len == 0);
		return;
	}
	CHECK(s.p >= head && s.p + s.len <= head + head_len);
}

static void check_req(const struct http_req *r, const char *b, size_t n)
{
	CHECK(r->head_len >= 4 && r->head_len <= n && r->head_len <= HTTP_HEAD_MAX);
	CHECK(memcmp(b + r->head_len - 4, "\r\n\r\n", 4) == 0);
	CHECK(r->method >= HTTP_M_GET && r->method <= HTTP_M_UNKNOWN);
	CHECK(memchr(r->method_name, '\0', sizeof(r->method_name)) != NULL);
	CHECK(r->minor == 0 || r->minor == 1);
	check_path(r->path, r->path_len, sizeof(r->path));
	CHECK(!(r->has_length && r->has_te));
	CHECK(r->has_length || r->content_length == 0);
	CHECK(r->minor == 0 || r->host.p != NULL);
	CHECK(!r->escape && r->why == NULL);
	check_span(r->host, b, r->head_len);
	check_span(r->if_none_match, b, r->head_len);
	check_span(r->if_modified_since, b, r->head_len);
	check_span(r->range, b, r->head_len);
	check_span(r->if_range, b, r->head_len);
}

static void fuzz_pipeline(const char *buf, size_t size)
{
	static struct http_req req, again;
	size_t off = 0;

	for (int k = 0; k < 64; k++) {
		const char *b = buf + off;
		size_t n = size - off;
		int r = http_req_parse(b, n, &req);

		if (r == HTTP_NEED_MORE) {
			CHECK(n < HTTP_HEAD_MAX);
			return;
		}
		if (r != 0) {
			CHECK(r == 400 || r == 414 || r == 431 || r == 505);
			CHECK(req.why != NULL);
			CHECK(!req.escape || r == 400);
			return;
		}
		check_req(&req, b, n);
		/* The head alone reads the same; without its last byte it is incomplete. */
		CHECK(http_req_parse(b, req.head_len, &again) == 0);
		CHECK(again.head_len == req.head_len && again.method == req.method &&
		      again.path_len == req.path_len && strcmp(again.path, req.path) == 0 &&
		      again.keep_alive == req.keep_alive &&
		      again.content_length == req.content_length);
		CHECK(http_req_parse(b, req.head_len - 1, &again) == HTTP_NEED_MORE);
		if (req.content_length > n - req.head_len)
			return;
		off += req.head_len + (size_t)req.content_length;
	}
}

static void fuzz_helpers(const char *buf, size_t size)
{
	char out[HTTP_PATH_MAX + 1], date[HTTP_DATE_LEN + 1], tag[64];
	size_t n;
	bool esc;
	int64_t t, t2;
	uint64_t fsize = 0, first, last;

	int r = http_path_decode(buf, size, out, sizeof(out), &n, &esc);
	if (r == 0)
		check_path(out, n, sizeof(out));
	else
		CHECK(r == 400 || r == 414);
	CHECK(!esc || r == 400);

	/* Range: the first 8 bytes are the size (small ones made likely by a shift). */
	if (size >= 8) {
		memcpy(&fsize, buf, 8);
		fsize >>= (fsize & 63);
		r = http_range_parse(buf + 8, size - 8, fsize, &first, &last);
		CHECK(r == 200 || r == 206 || r == 416);
		if (r == 206)
			CHECK(first <= last && last < fsize);
	}

	/* If-None-Match: the first line is the entity-tag, the rest the list. */
	const char *nl = memchr(buf, '\n', size);
	if (nl && (size_t)(nl - buf) < sizeof(tag) - 2) {
		size_t tn = (size_t)(nl - buf);

		memcpy(tag + 2, buf, tn);
		tag[tn + 2] = '\0';
		tag[0] = 'W';
		tag[1] = '/';
		bool m = http_etag_match(nl + 1, size - tn - 1, tag + 2);
		/* weak comparison: a W/ on our tag changes nothing (unless it had one already) */
		if (tn < 2 || tag[2] != 'W' || tag[3] != '/')
			CHECK(http_etag_match(nl + 1, size - tn - 1, tag) == m);
	}

	if (http_date_parse(buf, size, &t) == 0 && t >= 0 && t <= DATE_T_MAX) {
		http_date_format(t, date);
		CHECK(strlen(date) == HTTP_DATE_LEN);
		CHECK(http_date_parse(date, HTTP_DATE_LEN, &t2) == 0 && t2 == t);
	}
	if (size >= 8) {
		memcpy(&t, buf, 8);
		t = t < 0 ? -(t + 1) : t;
		t %= DATE_T_MAX + 1;
		http_date_format(t, date);
		CHECK(strlen(date) == HTTP_DATE_LEN);
		CHECK(http_date_parse(date, HTTP_DATE_LEN, &t2) == 0 && t2 == t);
	}
	CHECK(http_mime_type(buf, size) != NULL);
	CHECK(http_reason(size > 0 ? (int)(unsigned char)buf[0] * 3 : 0) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_pipeline((const char *)data, size);
	fuzz_helpers((const char *)data, size);
	return 0;
}
