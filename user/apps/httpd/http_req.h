/*
 * HTTP/1.x requests as httpd reads them (RFC 9110, RFC 9112): the request head parser and the
 * helpers for the fields httpd answers to (Range, If-None-Match, dates, content types). Pure
 * functions of their input: no allocation, no I/O, the same on the host (tests/unit,
 * tests/fuzz) and in the app.
 */
#ifndef IXOS_HTTPD_HTTP_REQ_H
#define IXOS_HTTPD_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX	8192 /* request line and header fields, CRLFCRLF included: beyond, 431 */
#define HTTP_TARGET_MAX 2048 /* bytes of the request-target: beyond, 414 */
#define HTTP_PATH_MAX	1024 /* bytes of the decoded path: beyond, 414 */
#define HTTP_FIELDS_MAX 64   /* header fields: beyond, 431 */

#define HTTP_NEED_MORE (-1) /* http_req_parse: the head is not complete yet */

enum http_method {
	HTTP_M_GET = 1,
	HTTP_M_HEAD,
	HTTP_M_OTHER,	/* a method of RFC 9110 httpd does not allow (POST, PUT, ...): 405 */
	HTTP_M_UNKNOWN, /* any other token: 501 */
};

/* A header field's value inside the caller's buffer (OWS trimmed); len 0 and p NULL: absent. */
struct http_span {
	const char *p;
	size_t len;
};

struct http_req {
	enum http_method method;
	char method_name[16];	      /* as sent, truncated, NUL-terminated (for the access log) */
	int minor;		      /* HTTP/1.minor: 0 or 1 (1.2 and later read as 1) */
	char path[HTTP_PATH_MAX + 1]; /* decoded, NUL-terminated; see http_path_decode */
	size_t path_len;
	bool keep_alive;	 /* the connection may stay open (version and Connection) */
	bool has_length;	 /* Content-Length was given */
	uint64_t content_length; /* the body's length (0 without Content-Length) */
	bool has_te;		 /* Transfer-Encoding was given (httpd answers 501) */
	bool escape;		 /* the 400 is for a path that would leave the root */
	struct http_span host, if_none_match, if_modified_since, range, if_range;
	size_t head_len; /* bytes of the head, the final CRLFCRLF included */
	const char *why; /* on an error: a short reason for the log ("bad percent-encoding") */
};

/*
 * Parses the request head at the start of buf[0, len).
 * Returns 0 when the head is complete and valid: *req describes it; the body (content_length
 * bytes) follows at buf + head_len. Any method token, known or not, parses (req->method says
 * which; GET and HEAD are the ones to serve).
 * Returns HTTP_NEED_MORE when the bytes so far are a valid beginning of a head that is not
 * complete (and len < HTTP_HEAD_MAX).
 * Returns a status otherwise, with req->why set (the caller answers it and closes):
 *   400: malformed request line or field, a bare CR or LF, a NUL or other control byte,
 *        obsolete line folding, a field name with spaces before the colon, Content-Length not
 *        a decimal number or given twice with different values, both Content-Length and
 *        Transfer-Encoding, HTTP/1.1 without exactly one Host (two Hosts are 400 in 1.0 too),
 *        a bad target (see http_path_decode; req->escape for one that leaves the root);
 *   414: request-target longer than HTTP_TARGET_MAX, or path longer than HTTP_PATH_MAX;
 *   431: head longer than HTTP_HEAD_MAX without its end, or more than HTTP_FIELDS_MAX fields;
 *   505: a version other than HTTP/1.x (HTTP/2.0, HTTP/0.9 with a version token, ...).
 * Leading empty lines (CRLF) before the request line are skipped (RFC 9112 2.2) and counted
 * in head_len. Never reads outside buf[0, len).
 */
int http_req_parse(const char *buf, size_t len, struct http_req *req);

/*
 * Turns a request-target into the path to look up: origin-form ("/a/b?q") or absolute-form
 * ("http://host/a/b?q", scheme case-insensitive, http or https) is accepted; the query is
 * dropped; %XX is decoded (either case). Empty segments merge ("//a" is "/a").
 * Returns 0 with out[0, *outlen) the path, starting with '/', NUL-terminated (outsz must be
 * > 1). Returns 400 for: a target not of those forms ("*", "a/b", "C:/x"), a bad or truncated
 * %XX, a decoded NUL or control byte, a backslash, a "." or ".." segment (raw or encoded: the
 * path would leave the root or alias another; *escape is then set true); 414 when the path
 * does not fit in outsz.
 */
int http_path_decode(const char *target, size_t n, char *out, size_t outsz, size_t *outlen,
		     bool *escape);

/*
 * A Range field against a file of `size` bytes. Only "bytes=FIRST-LAST", "bytes=FIRST-" and
 * "bytes=-SUFFIX" with one range are served (whitespace around tokens allowed).
 * Returns 206 with [*first, *last] the bytes to send (last clamped to size - 1);
 * 416 when that one range is syntactically valid but not satisfiable (FIRST >= size, or
 * SUFFIX 0, or size 0); 200 when the field should be ignored and the whole file sent (another
 * unit, several ranges, a syntax error, LAST < FIRST).
 */
int http_range_parse(const char *s, size_t n, uint64_t size, uint64_t *first, uint64_t *last);

/*
 * Whether an If-None-Match value (a list of entity-tags, or "*") matches etag (a full
 * entity-tag with its quotes, e.g. "\"5f3a-10\""), by weak comparison (W/ ignored). A
 * malformed list matches nothing.
 */
bool http_etag_match(const char *list, size_t n, const char *etag);

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Writes t (seconds since 1970, UTC, >= 0) as an IMF-fixdate into out[HTTP_DATE_LEN + 1]. */
void http_date_format(int64_t t, char *out);

/* Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form) into seconds since 1970.
 * 0, or -1 if it is none of them or names an impossible date. */
int http_date_parse(const char *s, size_t n, int64_t *t);

/* The Content-Type for a path, by its extension (case-insensitive): text types carry
 * "; charset=utf-8"; unknown extensions are application/octet-stream. */
const char *http_mime_type(const char *path, size_t len);

/* The reason phrase of a status code httpd sends ("Not Found"), "Unknown" for others. */
const char *http_reason(int status);

#endif
