/*
 * Helpers for the request fields httpd answers to: Range (RFC 9110 14), If-None-Match (RFC
 * 9110 8.8.3, 13.1.2), HTTP-date (RFC 9110 5.6.7), and the Content-Type and reason phrase of
 * responses. See http_req.h for the contracts.
 */
#include <string.h>

#include "user/apps/httpd/http_chars.h"
#include "user/apps/httpd/http_req.h"

static void skip_ows(const char *s, size_t n, size_t *i)
{
	while (*i < n && http_is_ows(s[*i]))
		(*i)++;
}

/*
 * Reads 1*DIGIT at s[*i]; a value past UINT64_MAX saturates, which keeps its meaning for a
 * range: a first byte that large is past any file, a last byte or suffix that large is all of
 * it. Returns false if there is no digit.
 */
static bool read_u64(const char *s, size_t n, size_t *i, uint64_t *v)
{
	size_t a = *i;
	uint64_t x = 0;

	for (; *i < n && http_is_digit(s[*i]); (*i)++) {
		unsigned d = (unsigned)(s[*i] - '0');

		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*v = x;
	return *i > a;
}

int http_range_parse(const char *s, size_t n, uint64_t size, uint64_t *first, uint64_t *last)
{
	size_t i = 0;
	uint64_t a = 0, b = 0;
	bool has_a, has_b;

	skip_ows(s, n, &i);
	if (n - i < 5 || !http_ieq(s + i, 5, "bytes")) /* range units are case-insensitive */
		return 200;
	i += 5;
	skip_ows(s, n, &i);
	if (i == n || s[i] != '=')
		return 200;
	i++;
	skip_ows(s, n, &i);
	has_a = read_u64(s, n, &i, &a);
	skip_ows(s, n, &i);
	if (i == n || s[i] != '-')
		return 200;
	i++;
	skip_ows(s, n, &i);
	has_b = read_u64(s, n, &i, &b);
	skip_ows(s, n, &i);
	if (i != n || (!has_a && !has_b)) /* several ranges (a comma), or junk */
		return 200;
	if (!has_a) {
		/* suffix-range: the last b bytes */
		if (b == 0 || size == 0)
			return 416;
		*first = b < size ? size - b : 0;
		*last = size - 1;
		return 206;
	}
	if (has_b && b < a)
		return 200; /* invalid range-spec: ignored, not 416 (RFC 9110 14.1.1) */
	if (a >= size)
		return 416;
	*first = a;
	*last = has_b && b < size - 1 ? b : size - 1;
	return 206;
}

/*
 * Reads one entity-tag at s[*i]: [W/] DQUOTE *etagc DQUOTE; *tag and *tn are its opaque-tag,
 * quotes included. Returns false if malformed.
 */
static bool read_etag(const char *s, size_t n, size_t *i, const char **tag, size_t *tn)
{
	size_t a;

	if (n - *i >= 2 && s[*i] == 'W' && s[*i + 1] == '/')
		*i += 2;
	if (*i == n || s[*i] != '"')
		return false;
	a = (*i)++;
	for (; *i < n && s[*i] != '"'; (*i)++) {
		unsigned char c = (unsigned char)s[*i];

		if (c < 0x21 || c == 0x7f) /* etagc: %x21 / %x23-7E / obs-text */
			return false;
	}
	if (*i == n)
		return false;
	(*i)++;
	*tag = s + a;
	*tn = *i - a;
	return true;
}

bool http_etag_match(const char *list, size_t n, const char *etag)
{
	size_t i = 0, en, tn;
	const char *tag;
	bool match = false;

	if (!etag)
		return false;
	en = strlen(etag);
	if (en >= 2 && etag[0] == 'W' && etag[1] == '/') { /* weak comparison: W/ ignored */
		etag += 2;
		en -= 2;
	}
	skip_ows(list, n, &i);
	if (i < n && list[i] == '*') {
		i++;
		skip_ows(list, n, &i);
		return i == n;
	}
	/* #entity-tag: empty elements are allowed (RFC 9110 5.6.1), at least one tag is not. */
	bool any = false;

	while (i < n) {
		if (list[i] == ',') {
			i++;
			skip_ows(list, n, &i);
			continue;
		}
		if (!read_etag(list, n, &i, &tag, &tn))
			return false;
		any = true;
		if (tn == en && memcmp(tag, etag, en) == 0)
			match = true;
		skip_ows(list, n, &i);
		if (i < n && list[i] != ',')
			return false;
	}
	return any && match;
}

static const char *const days3[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const days_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday"};
static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
/* Days in the months of a common year before each month. */
static const uint16_t month_start[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	return (m == 11 ? 365 : month_start[m + 1]) - month_start[m] + (m == 1 && leap(y));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Leap years in [1, y] of the proleptic Gregorian calendar (negative for y < 0). */
static int64_t leaps_through(int64_t y)
{
	return floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400);
}

/* Days from 1970-01-01 to y-01-01. */
static int64_t year_start(int64_t y)
{
	return (y - 1970) * 365 + leaps_through(y - 1) - leaps_through(1969);
}

/* Days from 1970-01-01 to the date (m 0-11, d 1-31). */
static int64_t days_of(int64_t y, int m, int d)
{
	return year_start(y) + month_start[m] + (m > 1 && leap(y)) + d - 1;
}

#define DATE_T_MAX 253402300799LL /* 9999-12-31 23:59:59: the last date with four digits */

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void http_date_format(int64_t t, char *out)
{
	/* The format has four digits for the year: t is clamped to what they can say. */
	if (t < 0)
		t = 0;
	if (t > DATE_T_MAX)
		t = DATE_T_MAX;
	int64_t days = t / 86400, s = t % 86400;
	/* 1970 + days / 366 never passes the year; days / 365 - days / 366 years remain to walk
	 * (at most a few dozen for year 9999). */
	int64_t y = 1970 + days / 366;
	int m = 0;

	while (year_start(y + 1) <= days)
		y++;
	int doy = (int)(days - year_start(y));

	while (m < 11 && doy >= month_start[m + 1] + (m + 1 > 1 && leap(y)))
		m++;
	int d = doy - month_start[m] - (m > 1 && leap(y)) + 1;

	memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", HTTP_DATE_LEN + 1);
	memcpy(out, days3[(days + 4) % 7], 3); /* 1970-01-01 was a Thursday */
	put2(out + 5, (unsigned)d);
	memcpy(out + 8, months[m], 3);
	put2(out + 12, (unsigned)(y / 100));
	put2(out + 14, (unsigned)(y % 100));
	put2(out + 17, (unsigned)(s / 3600));
	put2(out + 20, (unsigned)(s / 60 % 60));
	put2(out + 23, (unsigned)(s % 60));
}

/* A cursor over the date being parsed. */
struct cur {
	const char *s;
	size_t n, i;
};

static bool lit(struct cur *c, const char *l)
{
	size_t k = strlen(l);

	if (c->n - c->i < k || memcmp(c->s + c->i, l, k) != 0)
		return false;
	c->i += k;
	return true;
}

/* Exactly k digits. */
static bool digits(struct cur *c, int k, int *v)
{
	int x = 0;

	if (c->n - c->i < (size_t)k)
		return false;
	for (int j = 0; j < k; j++) {
		char ch = c->s[c->i + j];

		if (!http_is_digit(ch))
			return false;
		x = x * 10 + (ch - '0');
	}
	c->i += k;
	*v = x;
	return true;
}

/* One of names[0, count) (case-sensitive: HTTP-date is, RFC 9110 5.6.7); its index or -1. */
static int name(struct cur *c, const char *const *names, int count)
{
	for (int k = 0; k < count; k++)
		if (lit(c, names[k]))
			return k;
	return -1;
}

static bool hms(struct cur *c, int *h, int *mi, int *s)
{
	return digits(c, 2, h) && lit(c, ":") && digits(c, 2, mi) && lit(c, ":") && digits(c, 2, s);
}

int http_date_parse(const char *s, size_t n, int64_t *t)
{
	struct cur c = {s, n, 0};
	int y, m, d, h, mi, sec;

	/* The weekday is only checked to be a name: a date is not refused for a wrong one. */
	if (name(&c, days_long, 7) >= 0) {
		/* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
		if (!lit(&c, ", ") || !digits(&c, 2, &d) || !lit(&c, "-") ||
		    (m = name(&c, months, 12)) < 0 || !lit(&c, "-") || !digits(&c, 2, &y) ||
		    !lit(&c, " ") || !hms(&c, &h, &mi, &sec) || !lit(&c, " GMT"))
			return -1;
		/* The century is not sent; this is RFC 9110's "50 years" rule made fixed. */
		y += y >= 70 ? 1900 : 2000;
	} else if (name(&c, days3, 7) >= 0) {
		if (lit(&c, ", ")) {
			/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
			if (!digits(&c, 2, &d) || !lit(&c, " ") || (m = name(&c, months, 12)) < 0 ||
			    !lit(&c, " ") || !digits(&c, 4, &y) || !lit(&c, " ") ||
			    !hms(&c, &h, &mi, &sec) || !lit(&c, " GMT"))
				return -1;
		} else {
			/* asctime-date: Sun Nov  6 08:49:37 1994 (day as 2DIGIT or SP 1DIGIT) */
			if (!lit(&c, " ") || (m = name(&c, months, 12)) < 0 || !lit(&c, " "))
				return -1;
			if (!(lit(&c, " ") ? digits(&c, 1, &d) : digits(&c, 2, &d)))
				return -1;
			if (!lit(&c, " ") || !hms(&c, &h, &mi, &sec) || !lit(&c, " ") ||
			    !digits(&c, 4, &y))
				return -1;
		}
	} else {
		return -1;
	}
	if (c.i != n)
		return -1;
	/* sec 60 is a leap second: it reads as the next second, as a time_t would. */
	if (d < 1 || d > month_days(y, m) || h > 23 || mi > 59 || sec > 60)
		return -1;
	*t = days_of(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

/* "ext type": text types (and the textual application/ and image/ ones) carry the charset. */
#define UTF8 "; charset=utf-8"
static const char *const mimes[] = {"html text/html" UTF8,
				    "htm text/html" UTF8,
				    "css text/css" UTF8,
				    "js application/javascript" UTF8,
				    "mjs application/javascript" UTF8,
				    "json application/json" UTF8,
				    "txt text/plain" UTF8,
				    "md text/markdown" UTF8,
				    "csv text/csv" UTF8,
				    "xml application/xml" UTF8,
				    "svg image/svg+xml" UTF8,
				    "png image/png",
				    "jpg image/jpeg",
				    "jpeg image/jpeg",
				    "gif image/gif",
				    "webp image/webp",
				    "ico image/x-icon",
				    "wasm application/wasm",
				    "pdf application/pdf",
				    "woff font/woff",
				    "woff2 font/woff2",
				    "ttf font/ttf",
				    "mp4 video/mp4",
				    "webm video/webm",
				    "mp3 audio/mpeg",
				    "tar application/x-tar",
				    "gz application/gzip",
				    "zip application/zip"};

const char *http_mime_type(const char *path, size_t len)
{
	size_t i = len;

	/* The extension is after the last '.' of the last segment ("a.d/b" has none). */
	while (i > 0 && path[i - 1] != '.' && path[i - 1] != '/')
		i--;
	if (i > 0 && path[i - 1] == '.')
		for (size_t k = 0; k < sizeof(mimes) / sizeof(mimes[0]); k++) {
			const char *sp = strchr(mimes[k], ' ');

			size_t j = 0;

			while (i + j < len && mimes[k] + j < sp &&
			       http_lower((unsigned char)path[i + j]) == mimes[k][j])
				j++;
			if (i + j == len && mimes[k] + j == sp)
				return sp + 1;
		}
	return "application/octet-stream";
}

/* "NNN Reason" */
static const char *const reasons[] = {"200 OK",
				      "206 Partial Content",
				      "301 Moved Permanently",
				      "304 Not Modified",
				      "400 Bad Request",
				      "403 Forbidden",
				      "404 Not Found",
				      "405 Method Not Allowed",
				      "408 Request Timeout",
				      "413 Content Too Large",
				      "414 URI Too Long",
				      "416 Range Not Satisfiable",
				      "431 Request Header Fields Too Large",
				      "500 Internal Server Error",
				      "501 Not Implemented",
				      "503 Service Unavailable",
				      "505 HTTP Version Not Supported"};

const char *http_reason(int status)
{
	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++)
		if (status >= 100 && status <= 999 && reasons[k][0] - '0' == status / 100 &&
		    reasons[k][1] - '0' == status / 10 % 10 && reasons[k][2] - '0' == status % 10)
			return reasons[k] + 4;
	return "Unknown";
}
