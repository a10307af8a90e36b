/* Host tests for kvsnprintf/ksnprintf, mostly checked against the host C library. */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <setjmp.h>
#include <cmocka.h>

#include "kernel/lib/printf.h"

#define BUFSZ 512

/*
 * Formats with both the host's vsnprintf and kvsnprintf, into a large buffer and into every
 * small size around the output length, and requires identical bytes and return values.
 */
static void same_va(const char *file, int line, const char *fmt, va_list args)
{
	char want[BUFSZ], got[BUFSZ];
	int nwant, ngot;
	size_t size = sizeof(want);
	bool full = true;
	va_list ap, aq;

	for (;;) {
		va_copy(ap, args);
		va_copy(aq, args);
		memset(want, 'X', sizeof(want));
		memset(got, 'X', sizeof(got));
		nwant = vsnprintf(want, size, fmt, ap);
		ngot = kvsnprintf(got, size, fmt, aq);
		va_end(aq);
		va_end(ap);
		if (nwant != ngot || memcmp(want, got, sizeof(want)) != 0)
			fail_msg("%s:%d: format \"%s\" with size %zu: want %d \"%.*s\", got %d "
				 "\"%.*s\"",
				 file, line, fmt, size, nwant, (int)size, want, ngot, (int)size,
				 got);
		size = full ? 0 : size + 1;
		full = false;
		if (size > (size_t)nwant + 2 || size >= 64)
			break;
	}
}

static void __attribute__((format(printf, 3, 4)))
same(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	same_va(file, line, fmt, ap);
	va_end(ap);
}

/* For formats that are defined by C but draw a GCC warning (redundant or ignored flags). */
static void same_unchecked(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	same_va(file, line, fmt, ap);
	va_end(ap);
}

#define SAME_UNCHECKED(...) same_unchecked(__FILE__, __LINE__, __VA_ARGS__)
#define SAME(...)	    same(__FILE__, __LINE__, __VA_ARGS__)

/* No format attribute: lets the tests pass conversions the compiler would reject. */
static int raw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_plain_text(void **state)
{
	(void)state;
	SAME("hello, world");
	SAME("%s", "");
	SAME("%%");
	SAME("100%% sure %%%d", 5);
	SAME("tab\there\nnewline");
}

static void test_signed_decimal(void **state)
{
	(void)state;
	SAME("%d %d %d %i", 0, 1, -1, 42);
	SAME("%d %d", INT_MAX, INT_MIN);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d] [%-+6d|]", 42, 42, 42, 42, 42, 42, 42);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d] [%-+6d|]", -42, -42, -42, -42, -42, -42, -42);
	SAME_UNCHECKED("[% +d] [%+ d] [% 05d]", 7, 7, 7);
	SAME_UNCHECKED("[%.3d] [%.3d] [%5.3d] [%-8.3d|] [%08.3d] [%.0d] [%5.0d] [%+.0d]", 7, -7, 7,
		       -7, 7, 0, 0, 0);
	SAME("[%.10d] [%-12.10d|] [%012d]", INT_MIN, INT_MIN, INT_MIN);
	SAME("%1d %2d %3d", 12345, -12345, 100);
}

static void test_length_modifiers(void **state)
{
	(void)state;
	SAME("%ld %ld %lu", LONG_MAX, LONG_MIN, ULONG_MAX);
	SAME("%lld %lld %llu", LLONG_MAX, LLONG_MIN, ULLONG_MAX);
	SAME("%" PRId64 " %" PRId64 " %" PRIu64, INT64_MIN, INT64_MAX, UINT64_MAX);
	SAME("[%25lld] [%-25lld|] [%025lld] [%+lld]", (long long)INT64_MIN, (long long)INT64_MIN,
	     (long long)INT64_MIN, (long long)INT64_MIN);
	SAME("%jd %ju %jx", INTMAX_MIN, UINTMAX_MAX, UINTMAX_MAX);
	SAME("%zu %zd %zx", (size_t)SIZE_MAX, (ssize_t)-5, (size_t)0xdeadbeef);
	SAME("%td %tu", (ptrdiff_t)PTRDIFF_MIN, (size_t)PTRDIFF_MAX);
	/* h and hh convert the promoted int back to the narrow type. */
	SAME("%hd %hu %hx", (short)-2, (unsigned short)65535, (unsigned short)0xbeef);
	SAME("%hhd %hhu %hhx", (signed char)-128, (unsigned char)255, (unsigned char)0xab);
	SAME("%hd %hhd %hu %hhu", 70000, 300, 70000, 300);
}

static void test_unsigned_hex_octal(void **state)
{
	(void)state;
	SAME("%u %u %x %X %o", 0u, UINT_MAX, 0xdeadbeefu, 0xdeadbeefu, 0777u);
	SAME("[%#x] [%#X] [%#o] [%#x] [%#o]", 255u, 255u, 8u, 0u, 0u);
	SAME("[%08x] [%#010x] [%-#10x|] [%.8x] [%#.8x] [%10.4x]", 0xabcu, 0xabcu, 0xabcu, 0xabcu,
	     0xabcu, 0xabcu);
	SAME("[%#.0o] [%.0o] [%#.0x] [%.0x] [%#5o] [%#.5o] [%#3o]", 0u, 0u, 0u, 0u, 8u, 8u, 01234u);
	SAME("%llx %llX %#llo", 0xffffffffffffffffull, 0x0123456789abcdefull,
	     0xffffffffffffffffull);
	SAME_UNCHECKED("[%+u] [% u] [%+x]", 5u, 5u, 5u);
	SAME("%lx %lo", 0x8000000000000000ul, 0x8000000000000000ul);
}

static void test_chars_and_strings(void **state)
{
	(void)state;
	SAME("[%c] [%5c] [%-5c|] [%c]", 'a', 'b', 'c', 0x41);
	SAME("[%s] [%10s] [%-10s|] [%.3s] [%10.3s] [%-10.3s|] [%.0s] [%.20s]", "hello", "hello",
	     "hello", "hello", "hello", "hello", "hello", "hello");
	SAME("[%2s] [%.5s]", "longer than two", "abc");
	SAME("%s=%s, %s", "key", "value", "and more");
}

static void test_star_width_and_precision(void **state)
{
	(void)state;
	SAME("[%*d] [%-*d|] [%*d|]", 6, 42, 6, 42, -6, 42);
	SAME("[%.*d] [%*.*d] [%.*d]", 4, 7, 8, 4, -7, -1, 7);
	SAME("[%*s] [%.*s] [%-*.*s|]", 8, "abc", 2, "abc", 8, 2, "abc");
	SAME("[%.*s]", -3, "negative precision means none");
	SAME("[%*c]", 3, 'z');
}

static void test_wide_output(void **state)
{
	(void)state;
	SAME("%300d|", 1);
	SAME("%-300s|", "x");
	SAME("%.300d", -1);
}

static void test_string_precision_does_not_overread(void **state)
{
	/* Not NUL-terminated: valgrind catches a read beyond the precision. */
	static const char abc[3] = {'a', 'b', 'c'};
	char buf[16];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "[%.3s]", abc), 5);
	assert_string_equal(buf, "[abc]");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "[%.2s]", abc), 4);
	assert_string_equal(buf, "[ab]");
}

static void test_null_string(void **state)
{
	const char *volatile nothing = NULL;
	char buf[32];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%s", nothing), 6);
	assert_string_equal(buf, "(null)");
	ksnprintf(buf, sizeof(buf), "[%8s]", nothing);
	assert_string_equal(buf, "[  (null)]");
}

static void test_pointer(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%p", (void *)0x1234), 18);
	assert_string_equal(buf, "0x0000000000001234");
	ksnprintf(buf, sizeof(buf), "%p", NULL);
	assert_string_equal(buf, "0x0000000000000000");
	ksnprintf(buf, sizeof(buf), "%p", (void *)UINTPTR_MAX);
	assert_string_equal(buf, "0xffffffffffffffff");
	ksnprintf(buf, sizeof(buf), "[%20p] [%-20p]", (void *)0xabc, (void *)0xabc);
	assert_string_equal(buf, "[  0x0000000000000abc] [0x0000000000000abc  ]");
}

static void test_unknown_conversion_copied(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(raw(buf, sizeof(buf), "a%qb"), 4);
	assert_string_equal(buf, "a%qb");
	raw(buf, sizeof(buf), "[%-5y]");
	assert_string_equal(buf, "[%-5y]");
	/* An unknown conversion consumes no argument. */
	raw(buf, sizeof(buf), "%w %d", 9);
	assert_string_equal(buf, "%w 9");
	raw(buf, sizeof(buf), "%lq");
	assert_string_equal(buf, "%lq");
	assert_int_equal(raw(buf, sizeof(buf), "end%"), 4);
	assert_string_equal(buf, "end%");
	assert_int_equal(raw(buf, sizeof(buf), "end%-08"), 7);
	assert_string_equal(buf, "end%-08");
}

static void test_truncation_and_return_value(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ksnprintf(buf, 4, "%d", 123456), 6);
	assert_string_equal(buf, "123");
	assert_int_equal(buf[4], 'X'); /* nothing past size */

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ksnprintf(buf, 1, "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ksnprintf(buf, 0, "abc%s", "def"), 6);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(ksnprintf(NULL, 0, "%d-%s", -12, "xy"), 6);

	assert_int_equal(ksnprintf(buf, sizeof(buf), "%s", "exactly"), 7);
	assert_string_equal(buf, "exactly");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%s", "eight ch"), 8);
	assert_string_equal(buf, "eight c");
}

static void test_huge_width_is_bounded(void **state)
{
	char buf[16];
	int n;

	(void)state;
	/* Must not overflow or hang; the output is clipped to the buffer. */
	n = ksnprintf(buf, sizeof(buf), "%*d", 100000, 1);
	assert_int_equal(n, 100000);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	n = raw(buf, sizeof(buf), "%99999999999999999999d", 1);
	assert_true(n > 0);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_text),
	    cmocka_unit_test(test_signed_decimal),
	    cmocka_unit_test(test_length_modifiers),
	    cmocka_unit_test(test_unsigned_hex_octal),
	    cmocka_unit_test(test_chars_and_strings),
	    cmocka_unit_test(test_star_width_and_precision),
	    cmocka_unit_test(test_wide_output),
	    cmocka_unit_test(test_string_precision_does_not_overread),
	    cmocka_unit_test(test_null_string),
	    cmocka_unit_test(test_pointer),
	    cmocka_unit_test(test_unknown_conversion_copied),
	    cmocka_unit_test(test_truncation_and_return_value),
	    cmocka_unit_test(test_huge_width_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
