/*
 * httpd's responses (user/apps/httpd/httpd.h): which file, which status (conditionals,
 * ranges, errors), and the header. The body is never copied: a file's bytes go out from the
 * archive's pages, an error's from a static page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "user/apps/httpd/httpd.h"

#define HTTPD_INDEX "index.html"

struct resp {
	int status;
	const struct tarfs_file *f;
	const void *body;
	uint64_t body_len; /* bytes of body the status implies (Content-Length) */
	uint64_t first;	   /* 206: the range */
	bool send_body;	   /* not HEAD, not 304 */
	bool close;
	char location[HTTP_PATH_MAX * 3 + 2]; /* 301 */
	char etag[40];
};

/* One static page per error status: "404 Not Found\n" and so on. */
static const char *resp_error_page(int status, size_t *len)
{
	static char pages[16][48];
	static const int codes[] = {400, 404, 405, 408, 413, 414, 416, 431, 501, 503, 505, 301};
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (codes[i] != status)
			continue;
		/* Written once by whichever thread comes first, always with the same bytes. */
		if (!pages[i][0])
			snprintf(pages[i], sizeof(pages[i]), "%d %s\n", status,
				 http_reason(status));
		*len = strlen(pages[i]);
		return pages[i];
	}
	*len = 0;
	return "";
}

static void resp_count_status(int status)
{
	switch (status) {
#define RESP_CASE(n)                                                                               \
	case n:                                                                                    \
		httpd_count(HC_status_##n, 1);                                                     \
		break;
		RESP_CASE(200)
		RESP_CASE(206)
		RESP_CASE(301)
		RESP_CASE(304)
		RESP_CASE(400)
		RESP_CASE(404)
		RESP_CASE(405)
		RESP_CASE(408)
		RESP_CASE(413)
		RESP_CASE(414)
		RESP_CASE(416)
		RESP_CASE(431)
		RESP_CASE(501)
		RESP_CASE(503)
		RESP_CASE(505)
#undef RESP_CASE
	}
}

/* The path percent-encoded again for a Location field (RFC 3986 unreserved and '/' kept). */
static void resp_encode_path(const char *p, size_t n, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < outsz; i++) {
		unsigned char ch = (unsigned char)p[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || (ch && strchr("/-._~", ch))) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = 0;
}

/* Whether the conditionals say the client's copy is current (RFC 9110 13.2.2, GET/HEAD). */
static bool resp_not_modified(const struct http_req *rq, const struct resp *r)
{
	if (rq->if_none_match.p)
		return http_etag_match(rq->if_none_match.p, rq->if_none_match.len, r->etag);
	int64_t t;
	if (rq->if_modified_since.p &&
	    http_date_parse(rq->if_modified_since.p, rq->if_modified_since.len, &t) == 0)
		return r->f->mtime <= t;
	return false;
}

/* Whether an If-Range allows the Range (its validator is the file's current one). */
static bool resp_if_range_ok(const struct http_req *rq, const struct resp *r)
{
	int64_t t;

	if (!rq->if_range.p)
		return true;
	if (rq->if_range.p[0] == '"')
		return rq->if_range.len == strlen(r->etag) &&
		       !memcmp(rq->if_range.p, r->etag, rq->if_range.len);
	return http_date_parse(rq->if_range.p, rq->if_range.len, &t) == 0 && t == r->f->mtime;
}

/* Picks the file and the status for a GET or HEAD. */
static void resp_for_file(const struct http_req *rq, struct resp *r)
{
	const char *name = rq->path + 1; /* tar names have no leading '/' */
	size_t n = rq->path_len - 1;
	char idx[HTTP_PATH_MAX + sizeof(HTTPD_INDEX) + 1];

	r->f = tarfs_lookup(&httpd_fs, name, n);
	if ((!r->f || r->f->dir) &&
	    tarfs_is_dir(&httpd_fs, name, n && name[n - 1] == '/' ? n - 1 : n)) {
		if (n && name[n - 1] != '/') {
			/* A directory named without its slash: where relative links would resolve.
			 */
			r->status = 301;
			resp_encode_path(rq->path, rq->path_len, r->location,
					 sizeof(r->location) - 1);
			strcat(r->location, "/");
			r->f = NULL;
			return;
		}
		memcpy(idx, name, n);
		memcpy(idx + n, HTTPD_INDEX, sizeof(HTTPD_INDEX));
		r->f = tarfs_lookup(&httpd_fs, idx, n + sizeof(HTTPD_INDEX) - 1);
	}
	if (!r->f || r->f->dir) {
		r->status = 404;
		r->f = NULL;
		return;
	}
	snprintf(r->etag, sizeof(r->etag), "\"%llx-%llx\"", (unsigned long long)r->f->mtime,
		 (unsigned long long)r->f->size);
	if (resp_not_modified(rq, r)) {
		r->status = 304;
		return;
	}
	r->status = 200;
	r->body = r->f->data;
	r->body_len = r->f->size;
	if (rq->range.p && resp_if_range_ok(rq, r)) {
		uint64_t first, last;
		int st = http_range_parse(rq->range.p, rq->range.len, r->f->size, &first, &last);
		if (st == 206) {
			r->status = 206;
			r->first = first;
			r->body = r->f->data + first;
			r->body_len = last - first + 1;
		} else if (st == 416) {
			r->status = 416;
		}
	}
}

/* Appends to a header block; false if it would not fit (then nothing is sent). */
static bool hdr_add(struct httpd_blk *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(b->hdr + b->hdr_len, HTTPD_HDR_MAX - b->hdr_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= HTTPD_HDR_MAX - b->hdr_len)
		return false;
	b->hdr_len += (uint32_t)n;
	return true;
}

static bool resp_header(struct httpd_blk *b, const struct http_req *rq, const struct resp *r)
{
	char lm[HTTP_DATE_LEN + 1];
	bool ok = hdr_add(b, "HTTP/1.1 %d %s\r\nServer: ixos-httpd\r\nDate: %s\r\n", r->status,
			  http_reason(r->status), httpd_date());

	if (r->f) {
		http_date_format(r->f->mtime, lm);
		ok = ok && hdr_add(b, "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n",
				   lm, r->etag);
	}
	if (r->f && (r->status == 200 || r->status == 206))
		ok = ok &&
		     hdr_add(b, "Content-Type: %s\r\n", http_mime_type(r->f->name, r->f->name_len));
	else if (r->status != 304)
		ok = ok && hdr_add(b, "Content-Type: text/plain; charset=utf-8\r\n");
	if (r->status == 405 || r->status == 501)
		ok = ok && hdr_add(b, "Allow: GET, HEAD\r\n");
	if (r->status == 301)
		ok = ok && hdr_add(b, "Location: %s\r\n", r->location);
	if (r->status == 206)
		ok = ok && hdr_add(b, "Content-Range: bytes %llu-%llu/%llu\r\n",
				   (unsigned long long)r->first,
				   (unsigned long long)(r->first + r->body_len - 1),
				   (unsigned long long)r->f->size);
	if (r->status == 416)
		ok = ok &&
		     hdr_add(b, "Content-Range: bytes */%llu\r\n", (unsigned long long)r->f->size);
	if (r->status != 304)
		ok = ok && hdr_add(b, "Content-Length: %llu\r\n", (unsigned long long)r->body_len);
	if (r->close)
		ok = ok && hdr_add(b, "Connection: close\r\n");
	else if (rq && rq->minor == 0)
		ok = ok && hdr_add(b, "Connection: keep-alive\r\n");
	return ok && hdr_add(b, "\r\n");
}

bool httpd_respond(struct httpd_conn *c, const struct http_req *rq, int status)
{
	struct resp r = {.status = status};

	httpd_count(HC_requests, 1);
	if (c->requests)
		httpd_count(HC_requests_keepalive, 1);
	if (rq && status == 0) {
		if (rq->method == HTTP_M_GET)
			httpd_count(HC_requests_get, 1);
		else if (rq->method == HTTP_M_HEAD)
			httpd_count(HC_requests_head, 1);
		else
			httpd_count(HC_requests_other, 1);
		if (rq->method == HTTP_M_GET || rq->method == HTTP_M_HEAD)
			resp_for_file(rq, &r);
		else
			r.status = rq->method == HTTP_M_OTHER ? 405 : 501;
		/* A body we will not read (chunked) leaves the framing unknown: close after. */
		if (rq->has_te) {
			r.status = 501;
			r.f = NULL;
		}
		/* An unknown method may have a body we cannot frame: close after the 501. */
		r.close = !rq->keep_alive || rq->has_te || r.status == 501 ||
			  (httpd_cfg.max_requests && c->requests + 1 >= httpd_cfg.max_requests);
		if (rq->keep_alive && !rq->has_te && httpd_cfg.max_requests &&
		    c->requests + 1 >= httpd_cfg.max_requests)
			httpd_count(HC_conns_max_requests, 1);
	} else {
		r.close = true; /* the request's framing cannot be trusted */
		if (rq && rq->escape)
			httpd_count(HC_path_escapes, 1);
	}
	if (!r.f || (r.status != 200 && r.status != 206)) {
		size_t n;
		r.body = resp_error_page(r.status, &n);
		r.body_len = r.status == 304 ? 0 : n;
	}
	r.send_body = r.status != 304 && !(rq && status == 0 && rq->method == HTTP_M_HEAD);
	resp_count_status(r.status);

	struct httpd_blk *b = httpd_blk_get();
	if (!b || !resp_header(b, status == 0 ? rq : NULL, &r)) {
		/* No memory for a header (or a header too big, which cannot happen with our
		 * fields): the client gets the connection closed rather than a half answer. */
		if (b)
			httpd_blk_put(b);
		return true;
	}
	b->body_len = r.send_body ? r.body_len : 0;
	if (c->out_tail)
		c->out_tail->next = b;
	else
		c->out_head = b;
	c->out_tail = b;
	c->out_n++;
	/* conn_can_answer left room in the send queue for both. */
	ixev_send(&c->ix, b->hdr, b->hdr_len);
	if (b->body_len)
		ixev_send(&c->ix, r.body, b->body_len);
	httpd_count(HC_tx_bytes, b->hdr_len + b->body_len);
	httpd_count(HC_tx_body_bytes, b->body_len);
	httpd_log_access(c, rq, status == 0, r.status, b->body_len);
	return r.close;
}
