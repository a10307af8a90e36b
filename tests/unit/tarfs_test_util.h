/*
 * Shared by the tarfs host tests (test_tarfs.c, test_tarfs_real.c): an archive writer of their
 * own (fields and checksum after POSIX ustar), and tarfs_open on a heap copy of exactly the
 * archive's length, so valgrind reports any read past its end, with the index checked after.
 * All static, for one program each. Those test_tarfs_real.c does not use (dir, pax_n, pax,
 * rec, want_dir) are static inline, which -Wunused-function lets go unused.
 */
#ifndef TARFS_TEST_UTIL_H
#define TARFS_TEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "user/apps/httpd/tarfs.h"

#define ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))
#define MTIME	   1700000000

/* ---- an archive writer of our own ---- */

static uint8_t w[1 << 20]; /* the archive being written */
static size_t wlen;
static uint8_t *arch; /* the heap copy given to tarfs_open */
static size_t arch_len;
static struct tarfs fs;
static char err[160];

static void octal(uint8_t *f, size_t n, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%0*llo", (int)n - 1, (unsigned long long)v);
	memcpy(f, s, n); /* n - 1 digits and a NUL */
}

/* The checksum of header h, written as tar does ("%06o\0 "); signed: old tars' sum. */
static void hdr_sum_as(uint8_t *h, bool sign)
{
	long sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += sign ? (signed char)h[i] : h[i];
	char s[16];
	snprintf(s, sizeof(s), "%06lo", sum);
	memcpy(h + 148, s, 7);
}

static void hdr_sum(uint8_t *h)
{
	hdr_sum_as(h, false);
}

/* Appends a POSIX ustar header (checksummed); returns it, for changes and another hdr_sum. */
static uint8_t *hdr(const char *name, char type, uint64_t size)
{
	uint8_t *h = w + wlen;

	assert_true(wlen + 512 <= sizeof(w));
	memset(h, 0, 512);
	memcpy(h, name, strnlen(name, 100));
	octal(h + 100, 8, type == '5' ? 0755 : 0644);
	octal(h + 108, 8, 1000);
	octal(h + 116, 8, 1000);
	octal(h + 124, 12, size);
	octal(h + 136, 12, MTIME);
	h[156] = (uint8_t)type;
	memcpy(h + 257,
	       "ustar\0"
	       "00",
	       8);
	memcpy(h + 265, "user", 4);
	wlen += 512;
	hdr_sum(h);
	return h;
}

/* Appends n bytes of data, padded to a block. */
static void body(const void *p, size_t n)
{
	assert_true(wlen + n + 512 <= sizeof(w));
	memcpy(w + wlen, p, n);
	memset(w + wlen + n, 0, (512 - n % 512) % 512);
	wlen += (n + 511) / 512 * 512;
}

static void file(const char *name, const char *data)
{
	hdr(name, '0', strlen(data));
	body(data, strlen(data));
}

static inline void dir(const char *name)
{
	hdr(name, '5', 0);
}

/* A pax header of type ('x' or 'g') holding recs[0, n). */
static inline void pax_n(char type, const char *recs, size_t n)
{
	hdr("PaxHeaders/x", type, n);
	body(recs, n);
}

static inline void pax(char type, const char *recs)
{
	pax_n(type, recs, strlen(recs));
}

/* Appends the record "LEN key=value\n" to buf. */
static inline void rec(char *buf, const char *key, const char *value)
{
	size_t n = strlen(key) + strlen(value) + 3, len = n + 1;

	while (snprintf(NULL, 0, "%zu", len) + n != len)
		len++;
	sprintf(buf + strlen(buf), "%zu %s=%s\n", len, key, value);
}

static void end2(void)
{
	memset(w + wlen, 0, 1024);
	wlen += 1024;
}

static void reset(void)
{
	tarfs_close(&fs);
	free(arch);
	arch = NULL;
	wlen = 0;
	memset(err, 'E', sizeof(err));
}

static int setup(void **state)
{
	(void)state;
	reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	reset();
	return 0;
}

/* The index is sorted and unique, every entry found and inside the archive. */
static void check_index(void)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < fs.nfiles; i++) {
		const struct tarfs_file *f = &fs.files[i];

		assert_true(f->name_len > 0 && f->name_len <= TARFS_NAME_MAX);
		assert_true(f->name[0] != '/' && f->name[f->name_len - 1] != '/');
		assert_ptr_equal(tarfs_lookup(&fs, f->name, f->name_len), f);
		assert_true(f->data >= arch && f->data <= arch + arch_len);
		assert_int_equal((f->data - arch) % 512, 0);
		assert_true(f->size <= (uint64_t)(arch + arch_len - f->data));
		assert_true(!f->dir || f->size == 0);
		assert_null(memchr(f->name, '\0', f->name_len));
		if (f->dir)
			assert_true(tarfs_is_dir(&fs, f->name, f->name_len));
		for (size_t j = 1; j < f->name_len; j++) /* every parent is a directory */
			if (f->name[j] == '/')
				assert_true(tarfs_is_dir(&fs, f->name, j));
		bytes += f->size;
		if (i) {
			const struct tarfs_file *p = f - 1;
			size_t n = p->name_len < f->name_len ? p->name_len : f->name_len;
			int c = memcmp(p->name, f->name, n);

			assert_true(c < 0 || (c == 0 && p->name_len < f->name_len));
		}
	}
	assert_int_equal(bytes, fs.bytes);
}

/* tarfs_open on a heap copy of buf[0, len). */
static int open_buf(const void *buf, size_t len)
{
	tarfs_close(&fs);
	free(arch);
	arch = malloc(len ? len : 1);
	assert_non_null(arch);
	memcpy(arch, buf, len);
	arch_len = len;
	memset(err, 'E', sizeof(err));
	int r = tarfs_open(&fs, arch, len, err, sizeof(err));
	assert_non_null(memchr(err, '\0', sizeof(err)));
	if (r == 0) {
		assert_string_equal(err, "");
		check_index();
	} else {
		assert_int_equal(r, -1);
		assert_true(err[0] != '\0');
		assert_null(fs.files);
		assert_null(fs.names);
		assert_int_equal(fs.nfiles, 0);
	}
	return r;
}

static int open_w(void)
{
	return open_buf(w, wlen);
}

static void open_ok(void)
{
	if (open_w())
		fail_msg("tarfs_open: %s", err);
}

/* tarfs_open fails, saying want. */
static void open_fails(const char *want)
{
	assert_int_equal(open_w(), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static const struct tarfs_file *want(const char *name, const char *data)
{
	const struct tarfs_file *f = tarfs_lookup(&fs, name, strlen(name));

	if (!f)
		fail_msg("\"%s\" not found", name);
	assert_false(f->dir);
	assert_int_equal(f->size, strlen(data));
	assert_memory_equal(f->data, data, strlen(data));
	return f;
}

static inline void want_dir(const char *name)
{
	const struct tarfs_file *f = tarfs_lookup(&fs, name, strlen(name));

	assert_non_null(f);
	assert_true(f->dir);
	assert_true(tarfs_is_dir(&fs, name, strlen(name)));
}

static void want_none(const char *name)
{
	assert_null(tarfs_lookup(&fs, name, strlen(name)));
}

static bool is_dir(const char *name)
{
	return tarfs_is_dir(&fs, name, strlen(name));
}

static bool in(const void *p, const void *base, size_t n)
{
	return (const char *)p >= (const char *)base && (const char *)p < (const char *)base + n;
}

#endif
