/* ASCII character classes and case folding for httpd's parsers (no locale: the bytes of HTTP
 * are ASCII whatever the C library thinks). */
#ifndef IXOS_HTTPD_HTTP_CHARS_H
#define IXOS_HTTPD_HTTP_CHARS_H

#include <stdbool.h>
#include <stddef.h>

static inline int http_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether s[0, n) equals the lower-case literal lit, ignoring ASCII case. */
static inline bool http_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || http_lower((unsigned char)s[i]) != lit[i])
			return false;
	return lit[i] == '\0';
}

static inline bool http_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline bool http_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool http_is_ows(int c)
{
	return c == ' ' || c == '\t';
}

#endif
