/*
 * Host tests for the tar index (user/apps/httpd/tarfs.c) on archives written here, with the
 * header writer of tarfs_test_util.h: the formats (ustar, v7, GNU, pax), names, refusals,
 * duplicates, numbers, end markers and malformed input. The real archives made by GNU tar and
 * Python's tarfile, and the truncation sweep, are in test_tarfs_real.c.
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
#include "tests/unit/tarfs_test_util.h"

/* ---- archives written here ---- */

static void test_basic(void **state)
{
	(void)state;
	file("index.html", "<html>home</html>\n");
	dir("img/");
	file("img/a.png", "PNG");
	hdr("empty", '0', 0);
	hdr("contig", '7', 3);
	body("777", 3);
	hdr("old", '\0', 2);
	body("v7", 2);
	uint8_t *h = hdr("x.txt", '0', 1);
	memcpy(h + 345, "deep/er", 7);
	octal(h + 136, 12, 1234);
	hdr_sum(h);
	body("x", 1);
	end2();
	open_ok();
	assert_int_equal(fs.nfiles, 7);
	assert_int_equal(fs.skipped + fs.refused + fs.dups, 0);
	assert_int_equal(fs.bytes, 18 + 3 + 3 + 2 + 1);
	const struct tarfs_file *f = want("index.html", "<html>home</html>\n");
	assert_int_equal(f->mtime, MTIME);
	assert_ptr_equal(f->name, arch); /* the header's name field */
	assert_ptr_equal(f->data, arch + 512);
	want("img/a.png", "PNG");
	want("empty", "");
	want("contig", "777");
	want("old", "v7");
	f = want("deep/er/x.txt", "x");
	assert_int_equal(f->mtime, 1234);
	assert_ptr_equal(f->name, fs.names);
	want_dir("img");
	want_none("x.txt");
	/* Sorted bytewise. */
	assert_memory_equal(fs.files[0].name, "contig", 6);
	assert_memory_equal(fs.files[6].name, "old", 3);
	tarfs_close(&fs);
	assert_null(fs.files);
	assert_int_equal(fs.nfiles, 0);
	assert_null(tarfs_lookup(&fs, "old", 3));
	assert_true(tarfs_is_dir(&fs, "", 0));
	assert_false(tarfs_is_dir(&fs, "img", 3));
}

static void test_implicit_dirs(void **state)
{
	(void)state;
	file("a/b/c.txt", "c");
	file("a/b-c", "-");
	file("a/b0", "0");
	file("ab", "ab");
	file("x", "x");
	file("x/y", "y");
	open_ok();
	assert_int_equal(fs.nfiles, 6);
	assert_null(tarfs_lookup(&fs, "a", 1));
	assert_true(is_dir("a"));
	assert_true(is_dir("a/b"));
	assert_null(tarfs_lookup(&fs, "a/b", 3));
	assert_false(is_dir("a/b/c.txt"));
	assert_false(is_dir("a/b/c"));
	assert_false(is_dir("a/b-c"));
	assert_false(is_dir("a/b0"));
	assert_false(is_dir("ab"));
	assert_false(is_dir("a/"));
	assert_false(is_dir("b"));
	assert_false(is_dir("a/b/"));
	assert_true(is_dir(""));
	/* A file that other names are under: both, as the header says. */
	assert_false(want("x", "x")->dir);
	assert_true(is_dir("x"));
	/* Names are not NUL-terminated: a prefix of a longer name is not found. */
	assert_null(tarfs_lookup(&fs, "a/b/c.txtz", 9 + 1));
	assert_non_null(tarfs_lookup(&fs, "a/b/c.txtz", 9));
	assert_true(tarfs_is_dir(&fs, "a/bz", 3));
}

static void test_empty(void **state)
{
	(void)state;
	assert_int_equal(open_buf("", 0), 0);
	assert_int_equal(fs.nfiles, 0);
	assert_null(tarfs_lookup(&fs, "a", 1));
	assert_true(is_dir(""));
	assert_false(is_dir("a"));
	end2();
	open_ok();
	assert_int_equal(fs.nfiles, 0);
	/* Only the root: skipped silently. */
	reset();
	dir("./");
	dir(".");
	end2();
	open_ok();
	assert_int_equal(fs.nfiles + fs.refused + fs.skipped, 0);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
	    "../x", "/etc/passwd", "a/../b", "a/./b", "a//b", "a\\b", "..",  "x/..",
	    "x/.",  "./../y",	   ".//z",   "",      ".",    "./",   "///", "a/b/..",
	};
	char recs[4096] = "";

	(void)state;
	dir("./");
	for (size_t i = 0; i < ARRAY_N(bad); i++)
		file(bad[i], "bad");
	file("./ok", "1");
	file("././ok2", "2");
	dir("ok3/");
	dir("./ok4");
	file("..ok5", "5"); /* only "." and ".." segments are refused */
	file("ok.6/.x/x..", "6");
	/* From pax: a NUL inside, ".." and too long; exactly TARFS_NAME_MAX is fine. */
	memcpy(recs, "12 path=a\0b\n", 12);
	pax_n('x', recs, 12);
	file("nul", "bad");
	recs[0] = '\0';
	rec(recs, "path", "ok/../../etc/passwd");
	assert_memory_equal(recs, "28 path=ok/../../etc/passwd\n", 29);
	pax('x', recs);
	file("dotdot", "bad");
	char name[TARFS_NAME_MAX + 2];
	memset(name, 'n', sizeof(name));
	name[TARFS_NAME_MAX + 1] = '\0';
	recs[0] = '\0';
	rec(recs, "path", name);
	pax('x', recs);
	file("long", "bad");
	name[TARFS_NAME_MAX] = '\0';
	recs[0] = '\0';
	rec(recs, "path", name);
	pax('x', recs);
	file("max", "max");
	/* A GNU long name escaping. */
	hdr("././@LongLink", 'L', 10);
	body("../escape", 10);
	file("gnu", "bad");
	end2();
	open_ok();
	assert_int_equal(fs.refused, ARRAY_N(bad) + 4); /* the "./" directory is not counted */
	assert_int_equal(fs.nfiles, 7);
	want("ok", "1");
	want("ok2", "2");
	want_dir("ok3");
	want_dir("ok4");
	want("..ok5", "5");
	want("ok.6/.x/x..", "6");
	want(name, "max");
	want_none("nul");
	want_none("dotdot");
	want_none("gnu");
	want_none("long");
}

static void test_dups(void **state)
{
	(void)state;
	file("a", "one");
	file("b", "file");
	file("a", "two");
	dir("b/");
	file("./a", "three");
	file("c", "c");
	end2();
	open_ok();
	assert_int_equal(fs.nfiles, 3);
	assert_int_equal(fs.dups, 3);
	want("a", "three");
	want_dir("b");
	want("c", "c");
	assert_int_equal(fs.bytes, 5 + 1);
}

static void test_skipped_types(void **state)
{
	static const char types[] = "123456SVDMN";

	(void)state;
	for (const char *t = types; *t; t++) {
		char name[8] = {'t', *t, 0};

		if (*t == '5')
			continue;
		hdr(name, *t, 5);
		body("12345", 5);
	}
	hdr("link", '2', 0);
	memcpy(w + wlen - 512 + 157, "target", 6);
	hdr_sum(w + wlen - 512);
	file("after", "after");
	open_ok(); /* no end marker */
	assert_int_equal(fs.skipped, 11);
	assert_int_equal(fs.nfiles, 1);
	want("after", "after");
	want_none("t1");
	want_none("link");
}

static void test_v7_dir(void **state)
{
	(void)state;
	hdr("olddir/", '0', 0);
	uint8_t *h = hdr("v7", '0', 2);
	memset(h + 257, 0, 8); /* no magic: the prefix field is not read */
	memcpy(h + 345, "ignored", 7);
	hdr_sum(h);
	body("v7", 2);
	h = hdr("gnu", '0', 3);
	memcpy(h + 257, "ustar  \0", 8); /* GNU: atime and ctime where ustar has the prefix */
	memcpy(h + 345, "01234567012", 11);
	hdr_sum(h);
	body("gnu", 3);
	end2();
	open_ok();
	want_dir("olddir");
	want("v7", "v7");
	want("gnu", "gnu");
	assert_int_equal(fs.nfiles, 3);
}

/* ---- numbers ---- */

static void test_base256(void **state)
{
	char data[600];

	(void)state;
	memset(data, 'q', sizeof(data));
	uint8_t *h = hdr("big", '0', 0);
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[134] = 600 >> 8;
	h[135] = 600 & 0xff;
	memset(h + 136, 0xff, 12); /* mtime -1 */
	hdr_sum(h);
	body(data, sizeof(data));
	h = hdr("big2", '0', 1);
	memset(h + 136, 0, 12);
	h[136] = 0x80;
	h[142] = 1; /* 2^40 */
	hdr_sum(h);
	body("!", 1);
	h = hdr("neg", '0', 0);
	memset(h + 136, 0xff, 12);
	h[147] = 0xfe; /* -2 */
	hdr_sum(h);
	h = hdr("oldest", '0', 0);
	memset(h + 136, 0xff, 12);
	h[136] = 0xc0;
	h[137] = 0x80;
	memset(h + 138, 0, 10); /* -2^79: not in 64 bits */
	hdr_sum(h);
	end2();
	open_fails("bad mtime field at offset 3072");
	wlen -= 1024 + 512;
	end2();
	open_ok();
	const struct tarfs_file *f = tarfs_lookup(&fs, "big", 3);
	assert_non_null(f);
	assert_int_equal(f->size, 600);
	assert_memory_equal(f->data, data, 600);
	assert_int_equal(f->mtime, -1);
	assert_int_equal(want("big2", "!")->mtime, (int64_t)1 << 40);
	assert_int_equal(want("neg", "")->mtime, -2);
}

/* A header whose size field is base-256 value hi:lo (hi: the field's bytes 1..3). */
static void big_size(uint32_t hi, uint64_t lo, bool neg)
{
	reset();
	file("first", "1");
	uint8_t *h = hdr("huge", '0', 0);
	memset(h + 124, neg ? 0xff : 0, 12);
	h[124] = neg ? 0xff : 0x80;
	for (int i = 0; i < 3; i++)
		h[125 + i] = (uint8_t)(hi >> (16 - 8 * i));
	for (int i = 0; i < 8; i++)
		h[128 + i] = (uint8_t)(lo >> (56 - 8 * i));
	hdr_sum(h);
	body("data", 4);
	end2();
}

static void test_huge_size(void **state)
{
	(void)state;
	big_size(0, INT64_MAX - 100, false);
	open_fails("file \"huge\" runs past the end of the archive; its header is at offset 1024");
	big_size(0, UINT64_MAX, false);
	open_fails("file \"huge\" runs past the end");
	big_size(0, UINT64_MAX - 510, false); /* rounding up to a block would wrap */
	open_fails("file \"huge\" runs past the end");
	big_size(1, 0, false); /* 2^64 */
	open_fails("bad size field at offset 1024");
	big_size(0xffffff, 0xfffffffffffffff0ull, true); /* -16 */
	open_fails("bad size field at offset 1024");
	big_size(0, 4, false); /* sane */
	open_ok();
	want("huge", "data");
	/* Octal: 12 digits, no terminator. */
	reset();
	uint8_t *h = hdr("oct", '0', 0);
	memcpy(h + 124, "777777777777", 12);
	hdr_sum(h);
	open_fails("file \"oct\" runs past the end");
	/* pax: UINT64_MAX, and one more. */
	reset();
	char recs[256] = "";
	rec(recs, "size", "18446744073709551615");
	pax('x', recs);
	file("paxbig", "x");
	open_fails(
	    "file \"paxbig\" runs past the end of the archive; its header is at offset 1024");
	reset();
	recs[0] = '\0';
	rec(recs, "size", "18446744073709551616");
	pax('x', recs);
	file("paxbig", "x");
	open_fails("bad pax size or mtime at offset 0");
}

static void test_checksum(void **state)
{
	(void)state;
	file("a", "a");
	uint8_t *h = hdr("b", '0', 0);
	end2();
	open_ok();
	h[136]++; /* the mtime: "1" -> "2" */
	open_fails("bad header checksum at offset 1024");
	h[136]--;
	memcpy(h + 148, "zzzzzz", 6);
	open_fails("bad header checksum at offset 1024");
	/* Old tars summed signed chars: both sums are accepted. */
	memcpy(h, "\xc3\xa9t\xc3\xa9", 5);
	hdr_sum_as(h, true);
	open_ok();
	want("\xc3\xa9t\xc3\xa9", "");
	hdr_sum_as(h, false);
	open_ok();
	want("\xc3\xa9t\xc3\xa9", "");
	/* The checksum field with leading spaces, terminated by a space. */
	memmove(h + 149, h + 148, 6);
	h[148] = h[155] = ' ';
	open_ok();
	h[150] = '9';
	open_fails("bad header checksum at offset 1024");
}

static void test_end_markers(void **state)
{
	(void)state;
	file("a", "a");
	size_t one = wlen;
	open_ok(); /* no end marker */
	want("a", "a");
	memset(w + wlen, 0, 512);
	wlen += 512; /* one zero block */
	open_ok();
	want("a", "a");
	wlen = one + 100; /* a partial zero block */
	open_ok();
	memset(w + one, 'g', 100);
	open_fails("truncated header at offset 1024");
	wlen = one;
	end2();
	memset(w + wlen, 'g', 700); /* garbage after the end */
	wlen += 700;
	open_ok();
	assert_int_equal(fs.nfiles, 1);
	/* A lone zero block, then more. */
	wlen = one;
	memset(w + wlen, 0, 512);
	wlen += 512;
	file("b", "b");
	open_fails("lone zero block at offset 1024");
	wlen -= 412; /* a zero block, then a partial one that is not zero */
	open_fails("lone zero block at offset 1024");
}

/* ---- pax and GNU ---- */

static void test_pax(void **state)
{
	char recs[2048] = "", longname[201];

	(void)state;
	memset(longname, 'p', 200);
	memcpy(longname + 97, "/dir/", 5);
	longname[200] = '\0';
	rec(recs, "path", longname);
	rec(recs, "mtime", "1234567890.123456");
	rec(recs, "atime", "1.5");
	rec(recs, "uid", "5");
	rec(recs, "comment", "a=b c\nd");
	pax('x', recs);
	file("short", "the long one");
	/* size overrides the header's; an empty path undoes an earlier one. */
	recs[0] = '\0';
	rec(recs, "path", "ignored");
	rec(recs, "size", "5");
	rec(recs, "mtime", "-5.5");
	rec(recs, "path", "");
	pax('x', recs);
	hdr("sized", '0', 0);
	body("12345", 5);
	/* Applies to one entry only; 'g' is ignored. */
	file("plain", "plain");
	recs[0] = '\0';
	rec(recs, "path", "global");
	rec(recs, "size", "999");
	pax('g', recs);
	file("afterg", "g");
	/* Consumed by a skipped entry. */
	recs[0] = '\0';
	rec(recs, "path", "tolink");
	pax('x', recs);
	hdr("sym", '2', 0);
	file("afterlink", "l");
	/* GNU sparse files (pax 0.1/1.0 form): the data is not the file's. */
	recs[0] = '\0';
	rec(recs, "GNU.sparse.major", "1");
	rec(recs, "GNU.sparse.name", "sparse");
	pax('x', recs);
	file("GNUSparseFile.0/sparse", "map");
	/* Empty pax data; mtime without fraction; "1." */
	pax('x', "");
	file("emptypax", "e");
	recs[0] = '\0';
	rec(recs, "mtime", "77");
	pax('x', recs);
	file("m77", "m");
	recs[0] = '\0';
	rec(recs, "mtime", "78.");
	pax('x', recs);
	file("m78", "m");
	end2();
	open_ok();
	assert_int_equal(fs.nfiles, 8);
	assert_int_equal(fs.skipped, 2);
	const struct tarfs_file *f = want(longname, "the long one");
	assert_int_equal(f->mtime, 1234567890);
	assert_true(in(f->name, fs.names, 200));
	want_none("short");
	f = want("sized", "12345");
	assert_int_equal(f->mtime, -5);
	assert_int_equal(want("plain", "plain")->mtime, MTIME);
	want("afterg", "g");
	want_none("global");
	want("afterlink", "l");
	want_none("tolink");
	want_none("sparse");
	want("emptypax", "e");
	assert_int_equal(want("m77", "m")->mtime, 77);
	assert_int_equal(want("m78", "m")->mtime, 78);
	assert_true(tarfs_is_dir(&fs, longname, 97));
	assert_true(tarfs_is_dir(&fs, longname, 101));
	assert_false(tarfs_is_dir(&fs, longname, 96));
}

static void test_pax_malformed(void **state)
{
	static const struct {
		const char *recs, *err;
	} bad[] = {
	    {"12 path=x\n", "malformed pax record"}, /* LEN past the data */
	    {"8 path=x\n", "malformed pax record"},  /* LEN short: no newline at its end */
	    {"9 path=xy", "malformed pax record"},   /* no newline */
	    {"path=x\n", "malformed pax record"},    /* no LEN */
	    {"0 \n", "malformed pax record"},	     /* LEN 0 */
	    {"2 \n", "malformed pax record"},	     /* shorter than itself */
	    {"9path=xx\n", "malformed pax record"},  /* no space */
	    {" 9 path=x\n", "malformed pax record"}, /* a leading space */
	    {"99999999999999999999999 path=x\n", "malformed pax record"},
	    {"9 path=x\n\n", "malformed pax record"}, /* a good record, then garbage */
	    {"3 \n", "pax record without key=value"},
	    {"9 pathxx\n", "pax record without key=value"},
	    {"4 x\n", "pax record without key=value"},
	    {"6 =ab\n", "pax record without key=value"}, /* an empty key */
	};
	static const char *const bad_values[][2] = {
	    {"size", "12a"},	{"size", "-12"},
	    {"size", " 1"},	{"mtime", "abc"},
	    {"mtime", "1.2.3"}, {"mtime", "-"},
	    {"mtime", ".5"},	{"mtime", "1.x"},
	    {"mtime", "+1"},	{"mtime", "99999999999999999999"},
	    {"mtime", "1 "},
	};
	char want_err[64], recs[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_N(bad) + ARRAY_N(bad_values); i++) {
		reset();
		file("first", "x");
		if (i < ARRAY_N(bad)) {
			pax('x', bad[i].recs);
		} else {
			recs[0] = '\0';
			rec(recs, "path", "fine");
			rec(recs, bad_values[i - ARRAY_N(bad)][0], bad_values[i - ARRAY_N(bad)][1]);
			pax('x', recs);
		}
		file("f", "f");
		end2();
		snprintf(want_err, sizeof(want_err), "%s at offset 1024",
			 i < ARRAY_N(bad) ? bad[i].err : "bad pax size or mtime");
		assert_int_equal(open_w(), -1);
		if (strcmp(err, want_err))
			fail_msg("case %zu: error \"%s\", not \"%s\"", i, err, want_err);
	}
	/* The records' LEN checked against the header's size, not the block. */
	reset();
	pax_n('x', "9 path=x\n", 8);
	file("f", "f");
	open_fails("malformed pax record at offset 0");
	/* And a good one for contrast. */
	reset();
	pax('x', "9 path=x\n");
	file("f", "f");
	open_ok();
	want("x", "f");
}

static void test_gnu_longname(void **state)
{
	char name[301];

	(void)state;
	memset(name, 'g', 300);
	name[150] = '/';
	name[300] = '\0';
	hdr("././@LongLink", 'L', 301);
	body(name, 301);
	hdr("gggg", '0', 4);
	body("long", 4);
	/* Padded with NULs; a 'K' long link ignored. */
	hdr("././@LongLink", 'L', 40);
	body("padded\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 40);
	hdr("././@LongLink", 'K', 7);
	body("target", 7);
	hdr("pad", '5', 0);
	/* Not NUL-terminated at all. */
	hdr("././@LongLink", 'L', 6);
	body("nonulX", 6);
	file("nonul", "n");
	/* A pax path wins over a GNU long name, in either order. */
	hdr("././@LongLink", 'L', 4);
	body("gnu", 4);
	pax('x', "13 path=paxA\n");
	file("hdrA", "A");
	pax('x', "13 path=paxB\n");
	hdr("././@LongLink", 'L', 4);
	body("gnu", 4);
	file("hdrB", "B");
	end2();
	open_ok();
	assert_int_equal(fs.nfiles, 5);
	const struct tarfs_file *f = want(name, "long");
	assert_true(in(f->name, fs.names, 1000));
	want_dir("padded");
	want("nonulX", "n");
	want("paxA", "A");
	want("paxB", "B");
	want_none("gnu");
	want_none("gggg");
	assert_true(tarfs_is_dir(&fs, name, 150));
	assert_false(tarfs_is_dir(&fs, name, 149));
	/* A long name whose data runs past the end names itself in the error. */
	reset();
	hdr("././@LongLink", 'L', 2000);
	body("x", 1);
	open_fails("file \"././@LongLink\" runs past");
	reset();
	hdr("././@LongLink", 'L', 4);
	body("gnu", 4);
	hdr("hdr", '0', 2000);
	open_fails("file \"gnu\" runs past");
	reset();
	char recs[400] = "";
	memset(name, 'q', 300);
	rec(recs, "path", name);
	pax('x', recs);
	hdr("hdr", '0', 2000);
	open_fails("file \"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...\" "
		   "runs past");
}

/* Many built names: the names block is filled without moving under the entries. */
static void test_many_names(void **state)
{
	char name[128], data[16], pre[64];

	(void)state;
	for (int i = 0; i < 300; i++) {
		snprintf(pre, sizeof(pre), "./prefix/number/%03d", i);
		snprintf(data, sizeof(data), "%d", i * 7);
		uint8_t *h = hdr("file.txt", '0', strlen(data));
		memcpy(h + 345, pre, strlen(pre));
		hdr_sum(h);
		body(data, strlen(data));
		if (i % 3 == 0) {
			char recs[256] = "";

			snprintf(name, sizeof(name), "pax/%03d/%s", i, "x.txt");
			rec(recs, "path", name);
			pax('x', recs);
			file("hdr", data);
		}
	}
	end2();
	open_ok();
	assert_int_equal(fs.nfiles, 400);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "prefix/number/%03d/file.txt", i);
		snprintf(data, sizeof(data), "%d", i * 7);
		const struct tarfs_file *f = want(name, data);
		assert_true(in(f->name, fs.names, 300 * 30 + 100 * 15));
		if (i % 3 == 0) {
			snprintf(name, sizeof(name), "pax/%03d/x.txt", i);
			want(name, data);
		}
	}
	assert_true(is_dir("prefix/number"));
	assert_true(is_dir("pax/150"));
	assert_false(is_dir("pax/151"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_basic),	   T(test_implicit_dirs), T(test_empty),       T(test_refused),
	    T(test_dups),	   T(test_skipped_types), T(test_v7_dir),      T(test_base256),
	    T(test_huge_size),	   T(test_checksum),	  T(test_end_markers), T(test_pax),
	    T(test_pax_malformed), T(test_gnu_longname),  T(test_many_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
