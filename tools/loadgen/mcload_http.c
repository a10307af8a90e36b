/* mcload's HTTP/1.1 requests and incremental response parser (see mcload_http.h). */
#include "tools/loadgen/mcload_http.h"

#include <string.h>

#include "tools/loadgen/mcload_proto.h"

enum {
	H_STATUS = MCL_HTTP_STATE0, /* gathering the status line */
	H_LSTART,		    /* at the start of a field line, or of the head's blank line */
	H_NAME,			    /* in a field name */
	H_VALUE,		    /* gathering a read field's value, lines folded into it too */
	H_SKIP,			    /* skipping the rest of a line of a field not read */
	H_BLANK_LF,		    /* the head's blank line: its CR seen */
	T_LSTART,		    /* chunked: at the start of a trailer line, or the blank one */
	T_SKIP,			    /* skipping a trailer line */
	T_BLANK_LF,		    /* the trailer's blank line: its CR seen */
	B_BODY,			    /* skipping a Content-Length body */
	C_SIZE,			    /* gathering a chunk-size line */
	C_DATA,			    /* skipping a chunk's data */
	C_DATA_END,		    /* the CRLF after a chunk's data (have: its CR seen) */
};

/* struct mcl_http's field: none yet (just after the status line), one not read, or these. */
enum { HF_NONE, HF_OTHER, HF_CLEN, HF_TE, HF_CONN };

_Static_assert(MCL_HTTP_HEAD_MAX == 64 << 10 && MCL_PROTO_LINE_MAX == 1024,
	       "the limits as the faults say them");

void mcl_http_parser_init(struct mcl_parser *p)
{
	p->state = H_STATUS;
}

int mcl_http_build_get(struct mcl_buf *b, const char *path, const char *host)
{
	size_t pl = strlen(path), hl = strlen(host);
	char *d = mcl_proto_buf_room(b, pl + hl + 25);
	if (!d)
		return -1;
	memcpy(d, "GET ", 4);
	memcpy(d + 4, path, pl);
	memcpy(d + 4 + pl, " HTTP/1.1\r\nHost: ", 17);
	memcpy(d + 21 + pl, host, hl);
	memcpy(d + 21 + pl + hl, "\r\n\r\n", 4);
	b->len += pl + hl + 25;
	return 0;
}

bool mcl_http_valid_token(const char *s, bool target)
{
	if (!*s || (target && *s != '/'))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* A token character (RFC 9110 5.6.2). */
static bool is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

/* Whether s[0, n) is lit (lowercase) in any case. */
static bool ieq(const char *s, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (lower(s[k]) != lit[k])
			return false;
	return true;
}

/* Field value text: no control byte but HTAB, no DEL (obs-text, 0x80 up, is fine). */
static bool field_text(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (((unsigned char)s[k] < ' ' && s[k] != '\t') || s[k] == 0x7f)
			return false;
	return true;
}

/* The next element of the comma-separated list v[*pos, n), OWS trimmed, in [*a, *b) (maybe
 * empty); false past the last. */
static bool list_item(const char *v, size_t n, size_t *pos, size_t *a, size_t *b)
{
	if (*pos > n)
		return false;
	size_t s = *pos, e = s;
	while (e < n && v[e] != ',')
		e++;
	*pos = e + 1;
	while (s < e && is_ows(v[s]))
		s++;
	while (e > s && is_ows(v[e - 1]))
		e--;
	*a = s;
	*b = e;
	return true;
}

/* Garbage: says why in h->why; returns -1. */
static int bad(struct mcl_http *h, const char *why)
{
	h->why = why;
	return -1;
}

/* Counts n more bytes of head (or trailer); -1 past MCL_HTTP_HEAD_MAX. */
static int head_take(struct mcl_parser *p, size_t n)
{
	if (n > MCL_HTTP_HEAD_MAX - p->http.head_bytes)
		return bad(&p->http, "a head or trailer past 64 KiB (MCL_HTTP_HEAD_MAX)");
	p->http.head_bytes += (uint32_t)n;
	return 0;
}

/*
 * Gathers a line into p->line from data[*i, len): 1 when it ended (line[0, have) holds it,
 * without its LF and a CR before that), 0 when all was taken, -1 past MCL_PROTO_LINE_MAX
 * bytes (have counts what earlier calls gathered: a folded field's value goes on).
 */
static int gather(struct mcl_parser *p, const char *d, size_t len, size_t *i)
{
	const char *lf = memchr(d + *i, '\n', len - *i);
	size_t take = lf ? (size_t)(lf - (d + *i)) + 1 : len - *i;
	if (take > MCL_PROTO_LINE_MAX - p->have)
		return bad(&p->http, "a status, chunk-size or read field line past 1024 "
				     "bytes (MCL_PROTO_LINE_MAX)");
	memcpy(p->line + p->have, d + *i, take);
	p->have += take;
	*i += take;
	if (!lf)
		return 0;
	p->have--;
	if (p->have > 0 && p->line[p->have - 1] == '\r')
		p->have--;
	return 1;
}

/* A response ended: p is as fresh (a status line due), p->cur holds it. */
static int done(struct mcl_parser *p)
{
	memset(&p->http, 0, sizeof(p->http));
	p->have = 0;
	p->remaining = 0;
	p->state = H_STATUS;
	return 1;
}

/* "HTTP/1.x NNN[ reason]" in line[0, have); sets the status and the version. */
static int status_line(struct mcl_parser *p)
{
	const char *s = p->line;
	size_t n = p->have;
	unsigned st = 0;
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
		return bad(&p->http, "a malformed status line (want HTTP/1.x NNN reason)");
	for (int k = 9; k < 12; k++) {
		if (s[k] < '0' || s[k] > '9')
			return bad(&p->http, "a malformed status code");
		st = st * 10 + (unsigned)(s[k] - '0');
	}
	if ((n > 12 && s[12] != ' ') || !field_text(s + 12, n - 12))
		return bad(&p->http, "a malformed status line (want HTTP/1.x NNN reason)");
	if (st < 100 || st > 599)
		return bad(&p->http, "a status code outside 100..599");
	if (st == 101)
		return bad(&p->http, "101 Switching Protocols (none was asked for)");
	p->http.status = (uint16_t)st;
	p->http.http10 = s[7] == '0';
	p->http.field = HF_NONE;
	p->have = 0;
	p->state = H_LSTART;
	return 0;
}

/* Content-Length (RFC 9110 8.6): 1*DIGIT, or a list of equal ones; equal to any before. */
static int field_clen(struct mcl_http *h, const char *v, size_t n)
{
	size_t pos = 0, a, b;
	bool any = false;
	while (list_item(v, n, &pos, &a, &b)) {
		if (a == b)
			continue;
		uint64_t x = 0;
		for (size_t k = a; k < b; k++) {
			if (v[k] < '0' || v[k] > '9')
				return bad(h, "a malformed Content-Length");
			x = x * 10 + (uint64_t)(v[k] - '0');
			if (x > MCL_HTTP_BODY_MAX) /* also keeps x * 10 from overflowing */
				return bad(h, "a Content-Length past MCL_HTTP_BODY_MAX (1 TiB)");
		}
		if (h->have_clen && h->clen != x)
			return bad(h, "Content-Lengths that differ");
		h->clen = x;
		h->have_clen = any = true;
	}
	return any ? 0 : bad(h, "an empty Content-Length");
}

/* Transfer-Encoding (RFC 9112 6.1): codings; chunked, if there, must be the last, once. */
static int field_te(struct mcl_http *h, const char *v, size_t n)
{
	size_t pos = 0, a, b;
	while (list_item(v, n, &pos, &a, &b)) {
		if (a == b)
			continue;
		size_t e = a;
		while (e < b && is_tchar(v[e]))
			e++;
		if (e == a || (e < b && v[e] != ';' && !is_ows(v[e])))
			return bad(h, "a malformed Transfer-Encoding");
		if (h->te_chunked)
			return bad(h, "a transfer coding after chunked");
		h->te = true;
		h->te_chunked = ieq(v + a, e - a, "chunked");
	}
	return 0;
}

/* Connection (RFC 9110 7.6.1): only close and keep-alive matter. */
static void field_conn(struct mcl_http *h, const char *v, size_t n)
{
	size_t pos = 0, a, b;
	while (list_item(v, n, &pos, &a, &b)) {
		h->conn_close |= ieq(v + a, b - a, "close");
		h->conn_keep |= ieq(v + a, b - a, "keep-alive");
	}
}

/* The field whose name is in h->name: one read, or HF_OTHER. */
static uint8_t field_id(const struct mcl_http *h)
{
	size_t n = h->name_len;
	if (n > MCL_HTTP_NAME_MAX)
		return HF_OTHER;
	if (n == 14 && memcmp(h->name, "content-length", 14) == 0)
		return HF_CLEN;
	if (n == 17 && memcmp(h->name, "transfer-encoding", 17) == 0)
		return HF_TE;
	if (n == 10 && memcmp(h->name, "connection", 10) == 0)
		return HF_CONN;
	return HF_OTHER;
}

/* The field gathered (if it is one read) is whole: takes its value. */
static int finish_field(struct mcl_parser *p)
{
	struct mcl_http *h = &p->http;
	int rc = 0;
	if (h->field == HF_NONE || h->field == HF_OTHER)
		return 0;
	if (!field_text(p->line, p->have))
		rc = bad(h, "a control byte in a field value");
	else if (h->field == HF_CLEN)
		rc = field_clen(h, p->line, p->have);
	else if (h->field == HF_TE)
		rc = field_te(h, p->line, p->have);
	else
		field_conn(h, p->line, p->have);
	h->field = HF_OTHER; /* taken: nothing more to fold into */
	p->have = 0;
	return rc;
}

/* The head's blank line came: skips an interim response, else frames the body. */
static int end_of_head(struct mcl_parser *p)
{
	struct mcl_http *h = &p->http;
	if (h->status < 200) { /* 1xx: the final response is still to come */
		memset(h, 0, sizeof(*h));
		p->state = H_STATUS;
		return 0;
	}
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur.kind = MCL_REPLY_HTTP;
	p->cur.op = MCL_OP_GET;
	p->cur.status = h->status;
	p->cur.close = h->conn_close || (h->http10 && !h->conn_keep);
	if (h->status == 204 || h->status == 304)
		return done(p); /* no body, whatever Content-Length says (RFC 9112 6.3) */
	if (h->te) {
		if (h->have_clen)
			return bad(h, "both Content-Length and Transfer-Encoding");
		if (!h->te_chunked)
			return bad(h, "a Transfer-Encoding not ending in chunked (a length known "
				      "only at close)");
		p->state = C_SIZE;
		return 0;
	}
	if (!h->have_clen)
		return bad(h, "a response without Content-Length (or chunked framing)");
	p->cur.body_len = p->remaining = h->clen;
	if (p->remaining == 0)
		return done(p);
	p->state = B_BODY;
	return 0;
}

/* chunk-size [BWS ";" chunk-ext] in line[0, have) (RFC 9112 7.1). */
static int chunk_size(struct mcl_parser *p)
{
	const char *s = p->line;
	size_t n = p->have, k = 0;
	uint64_t x = 0;
	for (; k < n; k++) {
		char c = lower(s[k]);
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			break;
		x = x * 16 + (uint64_t)v;
		if (x > MCL_HTTP_BODY_MAX)
			return bad(&p->http, "a chunk past MCL_HTTP_BODY_MAX (1 TiB)");
	}
	while (k > 0 && k < n && is_ows(s[k]))
		k++;
	if (k == 0 || (k < n && s[k] != ';') || !field_text(s + k, n - k))
		return bad(&p->http, "a malformed chunk-size line");
	p->have = 0;
	if (x == 0) { /* the last chunk: the trailer section follows */
		p->http.head_bytes = 0;
		p->state = T_LSTART;
		return 0;
	}
	if (x > MCL_HTTP_BODY_MAX - p->cur.body_len)
		return bad(&p->http, "a chunked body past MCL_HTTP_BODY_MAX (1 TiB)");
	p->cur.body_len += x;
	p->remaining = x;
	p->state = C_DATA;
	return 0;
}

/* One step of the head: takes at least a byte, or moves to a state that will. */
static int head_step(struct mcl_parser *p, const char *d, size_t len, size_t *i)
{
	struct mcl_http *h = &p->http;
	size_t before = *i, k;
	int rc;
	char c = d[*i];
	switch (p->state) {
	case H_STATUS:
	case H_VALUE:
		rc = gather(p, d, len, i);
		if (rc < 0 || head_take(p, *i - before) < 0)
			return -1;
		if (rc == 0)
			return 0;
		if (p->state == H_STATUS)
			return status_line(p);
		p->state = H_LSTART; /* the value is taken when no folded line follows */
		return 0;
	case H_LSTART:
		if (is_ows(c)) { /* obs-fold: the line goes on the field before */
			if (h->field == HF_NONE)
				return bad(h, "whitespace before the first field");
			p->state = h->field == HF_OTHER ? H_SKIP : H_VALUE;
			return 0;
		}
		if (finish_field(p) < 0)
			return -1;
		if (c != '\r' && c != '\n') {
			h->name_len = 0;
			p->state = H_NAME;
			return 0;
		}
		if (head_take(p, 1) < 0)
			return -1;
		(*i)++;
		if (c == '\r') {
			p->state = H_BLANK_LF;
			return 0;
		}
		return end_of_head(p);
	case H_NAME:
		for (k = *i; k < len && is_tchar(d[k]); k++) {
			if (h->name_len < MCL_HTTP_NAME_MAX)
				h->name[h->name_len] = lower(d[k]);
			if (h->name_len <= MCL_HTTP_NAME_MAX)
				h->name_len++;
		}
		if (head_take(p, k - *i) < 0)
			return -1;
		*i = k;
		if (k == len)
			return 0;
		if (d[k] != ':' || h->name_len == 0)
			return bad(h, "a malformed field name (or whitespace before its colon)");
		if (head_take(p, 1) < 0)
			return -1;
		(*i)++;
		h->field = field_id(h);
		p->have = 0;
		p->state = h->field == HF_OTHER ? H_SKIP : H_VALUE;
		return 0;
	case H_SKIP:
	case T_SKIP: {
		const char *lf = memchr(d + *i, '\n', len - *i);
		size_t take = lf ? (size_t)(lf - (d + *i)) + 1 : len - *i;
		if (head_take(p, take) < 0)
			return -1;
		*i += take;
		if (lf)
			p->state = p->state == H_SKIP ? H_LSTART : T_LSTART;
		return 0;
	}
	case H_BLANK_LF:
	case T_BLANK_LF:
		if (c != '\n')
			return bad(h, "a CR without LF");
		if (head_take(p, 1) < 0)
			return -1;
		(*i)++;
		return p->state == H_BLANK_LF ? end_of_head(p) : done(p);
	case T_LSTART:
		if (head_take(p, 1) < 0)
			return -1;
		(*i)++;
		if (c == '\n')
			return done(p);
		p->state = c == '\r' ? T_BLANK_LF : T_SKIP;
		return 0;
	}
	return bad(h, "a parser state out of range");
}

/* One step of the body: takes at least a byte. */
static int body_step(struct mcl_parser *p, const char *d, size_t len, size_t *i)
{
	size_t take;
	int rc;
	switch (p->state) {
	case B_BODY:
	case C_DATA:
		take = len - *i;
		if (take > p->remaining)
			take = (size_t)p->remaining;
		*i += take;
		p->remaining -= take;
		if (p->remaining > 0)
			return 0;
		if (p->state == B_BODY)
			return done(p);
		p->state = C_DATA_END;
		return 0;
	case C_SIZE:
		rc = gather(p, d, len, i);
		return rc <= 0 ? rc : chunk_size(p);
	case C_DATA_END:
		if (d[*i] == '\r' && p->have == 0) {
			p->have = 1;
		} else if (d[*i] == '\n') {
			p->have = 0;
			p->state = C_SIZE;
		} else {
			return bad(&p->http, "chunk data not followed by CRLF");
		}
		(*i)++;
		return 0;
	}
	return bad(&p->http, "a parser state out of range");
}

int mcl_http_parse(struct mcl_parser *p, const char *data, size_t len, size_t *i)
{
	while (*i < len) {
		int rc =
		    p->state < B_BODY ? head_step(p, data, len, i) : body_step(p, data, len, i);
		if (rc != 0)
			return rc;
	}
	return 0;
}
