/*
 * Host tests for the tar index (user/apps/httpd/tarfs.c) on real archives: those made by GNU
 * tar and Python's tarfile in the ustar, gnu and pax formats, in tarfs_fixtures.h (made by
 * tarfs_fixtures.py), and an archive written with tarfs_test_util.h cut at every length.
 * Every archive given to tarfs_open is a heap block of exactly its length, so valgrind reports
 * any read past its end.
 */
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
#include "tests/unit/tarfs_fixtures.h"
#include "tests/unit/tarfs_test_util.h"

/* ---- real archives ---- */

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t a = 0; a < ARRAY_N(tarfs_fixtures); a++) {
		const struct tarfs_fixture *fx = &tarfs_fixtures[a];
		uint8_t *buf = calloc(1, fx->len);
		uint64_t bytes = 0;

		assert_non_null(buf);
		for (size_t s = 0; s < fx->nsegs; s++) {
			const struct tarfs_fixture_seg *g = &fx->segs[s];

			assert_true(g->off + g->n <= fx->len);
			if (g->lit)
				memcpy(buf + g->off, g->lit, g->n);
			else
				memset(buf + g->off, g->fill, g->n);
		}
		if (open_buf(buf, fx->len))
			fail_msg("%s: %s", fx->name, err);
		free(buf);
		assert_int_equal(fs.nfiles, ARRAY_N(tarfs_fixture_tree));
		assert_int_equal(fs.skipped, 1);
		assert_int_equal(fs.refused, 0);
		assert_int_equal(fs.dups, 0);
		for (size_t i = 0; i < ARRAY_N(tarfs_fixture_tree); i++) {
			const struct tarfs_fixture_entry *e = &tarfs_fixture_tree[i];
			const struct tarfs_file *f = tarfs_lookup(&fs, e->name, strlen(e->name));

			if (!f)
				fail_msg("%s: \"%s\" not found", fx->name, e->name);
			assert_int_equal(f->dir, e->data == NULL);
			assert_int_equal(f->size, e->size);
			assert_int_equal(f->mtime, e->mtime);
			if (e->data)
				assert_memory_equal(f->data, e->data, e->size);
			assert_int_equal(is_dir(e->name), e->data == NULL);
			bytes += e->size;
		}
		assert_int_equal(fs.bytes, bytes);
		/* Plain names point into the archive; built ones (prefix, 'L', pax) are copied. */
		assert_true(in(tarfs_lookup(&fs, "d/f512", 6)->name, arch, arch_len));
		for (size_t i = 0; i < ARRAY_N(tarfs_fixture_tree); i++) {
			const char *n = tarfs_fixture_tree[i].name;

			if (strlen(n) > 100)
				assert_false(
				    in(tarfs_lookup(&fs, n, strlen(n))->name, arch, arch_len));
		}
		want_none(TARFS_FIXTURE_LINK);
		want_none("");
		want_none("d/");
		want_none("/d");
		want_none("d/hello");
		want_none("d/hello.txt/");
		want_none("D");
		want_none("long/a");
		assert_true(is_dir(""));
		assert_false(is_dir("d/"));
		assert_false(is_dir("long/a"));
		assert_false(is_dir("nope"));
	}
}

/* ---- truncation ---- */

static void test_truncated(void **state)
{
	char data[601] = {0};

	(void)state;
	memset(data, 'b', 600);
	file("a", "0123456789");
	hdr("b", '0', 600);
	body(data, 600);
	file("c", "c");
	end2();
	/* Headers at 0, 1024 and 2560; the data of each ends at 522, 2136 and 3073. */
	size_t full = wlen;
	for (size_t len = 0; len <= full; len++) {
		wlen = len;
		int r = open_w();

		if (!len || (len >= 522 && len <= 1024) || (len >= 2136 && len <= 2560) ||
		    len >= 3073) {
			if (r)
				fail_msg("cut at %zu: %s", len, err);
			assert_int_equal(fs.nfiles, (len >= 522) + (len >= 2136) + (len >= 3073));
		} else {
			assert_int_equal(r, -1);
			assert_non_null(strstr(err, "offset "));
		}
	}
	wlen = 1024 + 100;
	open_fails("truncated header at offset 1024");
	wlen = 1536 + 300;
	open_fails("file \"b\" runs past the end of the archive; its header is at offset 1024");
	wlen = 3072;
	open_fails("file \"c\" runs past the end of the archive; its header is at offset 2560");
	wlen = 1536 + 600; /* the data whole, its padding cut: accepted */
	open_ok();
	want("b", data);
	/* A tiny error buffer: cut, NUL-terminated. */
	char small[8];
	wlen = 1024 + 100;
	tarfs_close(&fs);
	free(arch);
	arch = malloc(wlen);
	memcpy(arch, w, wlen);
	assert_int_equal(tarfs_open(&fs, arch, wlen, small, sizeof(small)), -1);
	assert_string_equal(small, "truncat");
	assert_int_equal(tarfs_open(&fs, arch, wlen, small, 1), -1);
	assert_string_equal(small, "");
	assert_int_equal(tarfs_open(&fs, arch, wlen, NULL, 0), -1);
	assert_int_equal(tarfs_open(&fs, arch, 1024, NULL, 0), 0);
	assert_int_equal(fs.nfiles, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_fixtures),
	    T(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
