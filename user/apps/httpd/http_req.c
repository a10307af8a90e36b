/*
 * The HTTP/1.x request head parser (RFC 9112 2-5, RFC 9110 5, 7.2, 8.6) and the request-target
 * decoder. See http_req.h for the contract. The parser is strict where leniency lets two
 * parties disagree on where a message ends or what it names (bare CR or LF, obs-fold, spaces
 * before a colon, conflicting Content-Length, CL with TE): those are what request smuggling
 * and path tricks are made of.
 */
#include <string.h>

#include "user/apps/httpd/http_chars.h"
#include "user/apps/httpd/http_req.h"

/* Parser state that does not belong in struct http_req. */
struct pstate {
	unsigned fields;
	unsigned hosts;
	bool conn_close, conn_keep;
	bool dup_range, dup_if_range, dup_ims, dup_inm;
};

/* tchar of RFC 9110 5.6.2: what method and field-name tokens are made of. */
static bool is_tchar(int c)
{
	return http_is_alpha(c) || http_is_digit(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexval(int c)
{
	c = http_lower(c);
	return http_is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The characters of uri-host [":" port] (RFC 3986 reg-name, IP-literal, IPv4): no '/', '@',
 * '\\', '?', '#' or spaces, so neither Host nor an absolute-form authority can carry a path
 * or userinfo. */
static bool is_authority_char(int c)
{
	return http_is_alpha(c) || http_is_digit(c) || (c != 0 && strchr("-._~!$&'()*+,;=:%[]", c));
}

static int fail(struct http_req *req, int status, const char *why)
{
	req->why = why;
	return status;
}

/* Whether out[0, n) is a "." or ".." segment. */
static bool dot_segment(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int http_path_decode(const char *target, size_t n, char *out, size_t outsz, size_t *outlen,
		     bool *escape)
{
	size_t i = 0, o = 0, seg;

	*escape = false;
	if (outsz < 2)
		return 414;
	if (n == 0)
		return 400;
	if (target[0] != '/') {
		/* absolute-form: scheme "://" authority, then the path (maybe empty) */
		if (n >= 7 && http_ieq(target, 7, "http://"))
			i = 7;
		else if (n >= 8 && http_ieq(target, 8, "https://"))
			i = 8;
		else
			return 400;
		size_t a = i;
		while (i < n && target[i] != '/' && target[i] != '?') {
			if (!is_authority_char((unsigned char)target[i]))
				return 400;
			i++;
		}
		if (i == a)
			return 400; /* http(s) URIs need a host */
	}
	out[o++] = '/';
	seg = o;
	size_t end = i;

	while (end < n && target[end] != '?')
		end++;
	for (; i <= end; i++) {
		int c = i == end ? '/' : (unsigned char)target[i]; /* the end ends a segment too */

		if (c == '%') {
			int hi = i + 1 < end ? hexval((unsigned char)target[i + 1]) : -1;
			int lo = i + 2 < end ? hexval((unsigned char)target[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return 400;
			c = hi << 4 | lo;
			i += 2;
		} else if (i < end && (c <= 0x20 || c >= 0x7f || c == '#')) {
			return 400; /* not a URI character (raw non-ASCII included) */
		}
		if (c < 0x20 || c == 0x7f)
			return 400;
		if (c == '\\') {
			*escape = true; /* another system's separator: "..\\" would climb there */
			return 400;
		}
		/*
		 * Segments are judged after decoding, so "%2e%2e" is "..", and a decoded '/' is a
		 * separator like a raw one: the path looked up is exactly the one checked.
		 */
		if (c == '/' && dot_segment(out + seg, o - seg)) {
			*escape = true;
			return 400;
		}
		if (i == end)
			break;
		if (c == '/' && o == seg)
			continue; /* empty segment: "//" merges */
		if (o + 1 >= outsz)
			return 414;
		out[o++] = (char)c;
		if (c == '/')
			seg = o;
	}
	/* The query is not looked at beyond its bytes being URI characters. */
	for (; i < n; i++) {
		int c = (unsigned char)target[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			return 400;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

static enum http_method method_of(const char *m, size_t n)
{
	static const char *const other[] = {"POST",    "PUT",	"DELETE", "CONNECT",
					    "OPTIONS", "TRACE", "PATCH"};

	/* Methods are case-sensitive (RFC 9110 9.1): "get" is some other, unknown method. */
	if (n == 3 && memcmp(m, "GET", 3) == 0)
		return HTTP_M_GET;
	if (n == 4 && memcmp(m, "HEAD", 4) == 0)
		return HTTP_M_HEAD;
	for (size_t k = 0; k < sizeof(other) / sizeof(other[0]); k++)
		if (strlen(other[k]) == n && memcmp(m, other[k], n) == 0)
			return HTTP_M_OTHER;
	return HTTP_M_UNKNOWN;
}

/*
 * The request line l[0, n), CRLF excluded; complete says whether its CRLF has arrived. A
 * prefix is checked as far as it goes, so an impossible start is answered at once.
 */
static int request_line(const char *l, size_t n, bool complete, struct http_req *req)
{
	static const char name[] = "HTTP/";
	size_t i = 0, t0, j, vn;
	const char *v;

	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == n)
		return complete ? fail(req, 400, "malformed request line") : 0;
	if (l[i] != ' ' || i == 0)
		return fail(req, 400, "bad method");
	size_t mn = i < sizeof(req->method_name) - 1 ? i : sizeof(req->method_name) - 1;
	memcpy(req->method_name, l, mn);
	req->method_name[mn] = '\0';
	req->method = method_of(l, i);

	t0 = j = i + 1;
	while (j < n && l[j] != ' ') {
		if ((unsigned char)l[j] < 0x21 || (unsigned char)l[j] > 0x7e)
			return fail(req, 400, "bad byte in target");
		if (j - t0 >= HTTP_TARGET_MAX)
			return fail(req, 414, "target too long");
		j++;
	}
	if (j == n) /* an HTTP/0.9 request has no version: not served */
		return complete ? fail(req, 400, "no version") : 0;
	if (j == t0)
		return fail(req, 400, "empty target");

	v = l + j + 1;
	vn = n - j - 1;
	for (size_t k = 0; k < vn && k < 5; k++)
		if (v[k] != name[k])
			return fail(req, 400, "bad version");
	if ((vn > 5 && !http_is_digit(v[5])) || (vn > 6 && v[6] != '.') ||
	    (vn > 7 && !http_is_digit(v[7])) || vn > 8)
		return fail(req, 400, "bad version");
	/* The target is whole: a bad one is known before the line ends. */
	int r = http_path_decode(l + t0, j - t0, req->path, sizeof(req->path), &req->path_len,
				 &req->escape);
	if (r == 414)
		return fail(req, 414, "path too long");
	if (r)
		return fail(req, r, req->escape ? "path leaves the root" : "bad target");
	if (!complete)
		return 0;
	if (vn != 8)
		return fail(req, 400, "bad version");
	if (v[5] != '1')
		return fail(req, 505, "version not supported");
	req->minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/* Content-Length (RFC 9110 8.6): 1*DIGIT, or a list of identical such values. */
static int content_length(const char *v, size_t n, struct http_req *req)
{
	size_t i = 0;

	for (;;) {
		uint64_t x = 0;
		size_t d = 0;

		while (i < n && http_is_ows(v[i]))
			i++;
		for (; i < n && http_is_digit(v[i]); i++, d++) {
			unsigned dig = (unsigned)(v[i] - '0');

			if (x > (UINT64_MAX - dig) / 10)
				return fail(req, 400, "Content-Length overflows");
			x = x * 10 + dig;
		}
		while (i < n && http_is_ows(v[i]))
			i++;
		if (d == 0 || (i < n && v[i] != ','))
			return fail(req, 400, "bad Content-Length");
		if (req->has_length && req->content_length != x)
			return fail(req, 400, "conflicting Content-Length");
		req->has_length = true;
		req->content_length = x;
		if (i == n)
			return 0;
		i++; /* the comma */
	}
}

/* Connection (RFC 9110 7.6.1): a list of tokens; only close and keep-alive matter here. */
static void connection(const char *v, size_t n, struct pstate *st)
{
	size_t i = 0;

	while (i < n) {
		size_t a, b;

		while (i < n && (http_is_ows(v[i]) || v[i] == ','))
			i++;
		a = i;
		while (i < n && v[i] != ',')
			i++;
		b = i;
		while (b > a && http_is_ows(v[b - 1]))
			b--;
		if (http_ieq(v + a, b - a, "close"))
			st->conn_close = true;
		else if (http_ieq(v + a, b - a, "keep-alive"))
			st->conn_keep = true;
	}
}

/* A singleton field given twice would combine into an invalid value: it is dropped. */
static void set_span(struct http_span *s, const char *v, size_t n, bool *dup)
{
	if (s->p)
		*dup = true;
	else
		*s = (struct http_span){v, n};
}

/* A header field line l[0, n), CRLF excluded, complete or a prefix of one. */
static int field_line(const char *l, size_t n, bool complete, struct http_req *req,
		      struct pstate *st)
{
	size_t i = 0, a, b;

	if (n == 0)
		return 0;
	if (++st->fields > HTTP_FIELDS_MAX)
		return fail(req, 431, "too many fields");
	if (http_is_ows(l[0]))
		return fail(req, 400, "obs-fold");
	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == n)
		return complete ? fail(req, 400, "field without colon") : 0;
	if (http_is_ows(l[i]))
		return fail(req, 400, "space before colon");
	if (l[i] != ':' || i == 0)
		return fail(req, 400, "bad field name");
	for (size_t k = i + 1; k < n; k++) {
		unsigned char c = (unsigned char)l[k];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(req, 400, "control byte in field");
	}
	if (!complete)
		return 0;

	a = i + 1;
	b = n;
	while (a < b && http_is_ows(l[a]))
		a++;
	while (b > a && http_is_ows(l[b - 1]))
		b--;
	const char *v = l + a;
	size_t vn = b - a;

	if (http_ieq(l, i, "host")) {
		if (++st->hosts > 1)
			return fail(req, 400, "two Hosts");
		for (size_t k = 0; k < vn; k++)
			if (!is_authority_char((unsigned char)v[k]))
				return fail(req, 400, "bad Host");
		req->host = (struct http_span){v, vn};
	} else if (http_ieq(l, i, "content-length")) {
		int r = content_length(v, vn, req);

		if (r)
			return r;
	} else if (http_ieq(l, i, "transfer-encoding")) {
		req->has_te = true;
	} else if (http_ieq(l, i, "connection")) {
		connection(v, vn, st);
	} else if (http_ieq(l, i, "if-none-match")) {
		/* Only the first line is kept: a later one could only add matches, and missing a
		 * match merely sends 200 instead of 304. */
		set_span(&req->if_none_match, v, vn, &st->dup_inm);
	} else if (http_ieq(l, i, "if-modified-since")) {
		set_span(&req->if_modified_since, v, vn, &st->dup_ims);
	} else if (http_ieq(l, i, "range")) {
		set_span(&req->range, v, vn, &st->dup_range);
	} else if (http_ieq(l, i, "if-range")) {
		set_span(&req->if_range, v, vn, &st->dup_if_range);
	}
	if (req->has_length && req->has_te)
		return fail(req, 400, "Content-Length with Transfer-Encoding");
	return 0;
}

/*
 * Finds the end of the line starting at pos: *eol is its CR (a complete line, returns 1) or
 * lim (returns 0; also when a CR is the last byte so far). A LF without CR, or a CR not
 * followed by LF, is 400: RFC 9112 2.2 lets a server refuse them, and accepting them is how
 * two parsers come to disagree on a message's end.
 */
static int find_eol(const char *buf, size_t pos, size_t lim, size_t *eol, struct http_req *req)
{
	for (size_t i = pos; i < lim; i++) {
		if (buf[i] == '\n')
			return fail(req, 400, "bare LF");
		if (buf[i] != '\r')
			continue;
		*eol = i;
		if (i + 1 == lim)
			return 0;
		return buf[i + 1] == '\n' ? 1 : fail(req, 400, "bare CR");
	}
	*eol = lim;
	return 0;
}

static int finish(struct http_req *req, struct pstate *st)
{
	if (req->minor >= 1 && st->hosts == 0)
		return fail(req, 400, "no Host");
	if (st->dup_range || st->dup_if_range) {
		/* Without a usable If-Range the Range must not apply either: send it all. */
		req->range = (struct http_span){0};
		req->if_range = (struct http_span){0};
	}
	if (st->dup_ims)
		req->if_modified_since = (struct http_span){0};
	req->keep_alive = !st->conn_close && (req->minor >= 1 || st->conn_keep);
	return 0;
}

int http_req_parse(const char *buf, size_t len, struct http_req *req)
{
	struct pstate st = {0};
	size_t lim = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	size_t pos = 0, eol;
	bool first = true;

	memset(req, 0, sizeof(*req));
	/* RFC 9112 2.2: empty lines before the request line are ignored. */
	while (pos + 1 < lim && buf[pos] == '\r' && buf[pos + 1] == '\n')
		pos += 2;
	for (;;) {
		int r = find_eol(buf, pos, lim, &eol, req);

		if (r > 1)
			return r;
		bool complete = r == 1;

		if (first) {
			r = request_line(buf + pos, eol - pos, complete, req);
		} else if (complete && eol == pos) {
			req->head_len = eol + 2;
			return finish(req, &st);
		} else {
			r = field_line(buf + pos, eol - pos, complete, req, &st);
		}
		if (r)
			return r;
		if (!complete)
			break;
		pos = eol + 2;
		first = false;
	}
	/* The head so far is a valid beginning; it ends within HTTP_HEAD_MAX bytes or never. */
	if (len >= HTTP_HEAD_MAX)
		return fail(req, 431, "head too large");
	return HTTP_NEED_MORE;
}
