/*
 * Helpers shared by the httpd host tests (test_http_req.c, test_http_util.c): exact-length heap
 * copies of inputs, so valgrind reports any read past their end, freed by the release teardown.
 * Each test program includes this once; everything here is static to it.
 */
#ifndef HTTP_TEST_UTIL_H
#define HTTP_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

static char *held[4096];
static size_t nheld;

/* A heap copy of s[0, n) that lives until the test ends. */
static const char *hold(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	assert_true(nheld < sizeof(held) / sizeof(held[0]));
	held[nheld++] = p;
	return p;
}

static int release(void **state)
{
	(void)state;
	while (nheld)
		free(held[--nheld]);
	return 0;
}

#define T(fn) cmocka_unit_test_teardown(fn, release)

#endif /* HTTP_TEST_UTIL_H */
