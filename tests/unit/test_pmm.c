/*
 * Host tests for the bitmap page-frame allocator. The bitmap is a heap block of exactly
 * pmm_bitmap_bytes(), so valgrind reports any access past what the allocator asked for.
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

#include "kernel/pmm.h"

#define PAGE 4096ULL
#define MIB  (1ULL << 20)

static struct pmm pm;
static uint64_t *bitmap;
static size_t bitmap_bytes;
static uint64_t *snap;

/* Sets pm up over [0, limit); the bitmap starts zeroed (all free) so setup must mark it used. */
static void init(uint64_t limit)
{
	free(bitmap);
	free(snap);
	bitmap_bytes = pmm_bitmap_bytes(limit);
	bitmap = malloc(bitmap_bytes ? bitmap_bytes : 1);
	snap = malloc(bitmap_bytes ? bitmap_bytes : 1);
	assert_non_null(bitmap);
	assert_non_null(snap);
	memset(bitmap, 0, bitmap_bytes);
	memset(&pm, 0x5a, sizeof(pm));
	pmm_setup(&pm, bitmap, limit);
}

static int reset(void **state)
{
	(void)state;
	bitmap = snap = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(bitmap);
	free(snap);
	bitmap = snap = NULL;
	return 0;
}

static bool is_free(uint64_t frame)
{
	return pmm_is_free(&pm, frame * PAGE);
}

/* Counts free frames through pmm_is_free and checks free_pages agrees. */
static uint64_t count_free(void)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < pm.npages; i++)
		n += is_free(i);
	assert_int_equal(n, pm.free_pages);
	return n;
}

static void take_snapshot(void)
{
	memcpy(snap, bitmap, bitmap_bytes);
}

static void assert_unchanged(void)
{
	assert_memory_equal(snap, bitmap, bitmap_bytes);
}

static uint64_t alloc1(void)
{
	return pmm_alloc_contig(&pm, 1, PAGE, 0);
}

/* Allocates single pages until none is left; returns how many were handed out. */
static uint64_t alloc_all(void)
{
	uint64_t n = 0;

	while (alloc1())
		n++;
	assert_int_equal(pm.free_pages, 0);
	return n;
}

/* Frames [first, first+n) are all in use. */
static void assert_used(uint64_t phys, uint64_t n)
{
	for (uint64_t j = 0; j < n; j++)
		if (pmm_is_free(&pm, phys + j * PAGE))
			fail_msg("frame %#llx of an allocation is still free",
				 (unsigned long long)(phys + j * PAGE));
}

static void test_bitmap_bytes(void **state)
{
	(void)state;
	assert_int_equal(pmm_bitmap_bytes(0), 0);
	assert_int_equal(pmm_bitmap_bytes(1), 8);
	assert_int_equal(pmm_bitmap_bytes(PAGE), 8);
	assert_int_equal(pmm_bitmap_bytes(64 * PAGE), 8);
	assert_int_equal(pmm_bitmap_bytes(64 * PAGE + 1), 16);
	assert_int_equal(pmm_bitmap_bytes(4096 * MIB), 128 * 1024);
}

static void test_setup_all_used(void **state)
{
	(void)state;
	init(200 * PAGE + 0x800); /* the partial last page is tracked too */
	assert_int_equal(pm.npages, 201);
	assert_int_equal(pm.free_pages, 0);
	assert_int_equal(pm.managed_pages, 0);
	assert_int_equal(pm.double_frees, 0);
	assert_int_equal(pm.bad_frees, 0);
	for (uint64_t i = 0; i < 256; i++)
		assert_false(is_free(i));
	assert_false(pmm_is_free(&pm, UINT64_MAX));
	assert_int_equal(alloc1(), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, 0), 0);

	/* Setting up again forgets everything. */
	pmm_release_range(&pm, 0, 200 * PAGE);
	assert_true(pm.free_pages > 0);
	pmm_setup(&pm, bitmap, 200 * PAGE + 0x800);
	assert_int_equal(pm.free_pages, 0);
	assert_int_equal(pm.managed_pages, 0);
	assert_int_equal(count_free(), 0);
}

static void test_release_whole_pages_only(void **state)
{
	(void)state;
	init(64 * PAGE);

	pmm_release_range(&pm, 0x1800, 0x3000); /* [0x1800, 0x4800): frames 2 and 3 */
	assert_false(is_free(1));
	assert_true(is_free(2));
	assert_true(is_free(3));
	assert_false(is_free(4));
	assert_int_equal(pm.free_pages, 2);
	assert_int_equal(pm.managed_pages, 2);

	pmm_release_range(&pm, 0x5100, 0x200); /* inside one page */
	pmm_release_range(&pm, 0x6000, 0xfff); /* a byte short of a page */
	pmm_release_range(&pm, 0x7001, 0x1000);
	pmm_release_range(&pm, 0x8000, 0);
	assert_int_equal(count_free(), 2);

	pmm_release_range(&pm, 0x9000, 0x1000); /* exactly one page */
	assert_true(is_free(9));
	assert_int_equal(count_free(), 3);

	/* Frame 0 is never released: 0 is the failure value. */
	pmm_release_range(&pm, 0, 0x2000);
	assert_false(is_free(0));
	assert_true(is_free(1));
	assert_int_equal(count_free(), 4);

	/* Releasing free pages again (overlapping map entries) does not count them twice. */
	pmm_release_range(&pm, 0, 0x4000);
	assert_int_equal(count_free(), 4);
	assert_int_equal(pm.managed_pages, 4);

	/* Ranges past the tracked memory are clipped. */
	pmm_release_range(&pm, 60 * PAGE, 1000 * PAGE);
	pmm_release_range(&pm, 64 * PAGE, PAGE);
	pmm_release_range(&pm, 1000 * PAGE, 8 * PAGE);
	assert_int_equal(count_free(), 8);
	assert_int_equal(pm.managed_pages, 8);
	for (uint64_t i = 60; i < 64; i++)
		assert_true(is_free(i));
	assert_false(is_free(59));
}

static void test_release_partial_last_page(void **state)
{
	(void)state;
	init(10 * PAGE + 0x800);
	pmm_release_range(&pm, 0, 10 * PAGE + 0x800);
	assert_int_equal(count_free(), 9); /* frames 1..9; frame 10 is only half RAM */
	assert_false(is_free(10));
	assert_int_equal(pm.managed_pages, 9);
}

static void test_release_at_top_of_address_space(void **state)
{
	(void)state;
	init(64 * PAGE);

	/* A range ending past 2^64 must not wrap around onto low frames. */
	pmm_release_range(&pm, UINT64_MAX - 0x7ff, 0x5000);
	pmm_release_range(&pm, UINT64_MAX - 0xfff, UINT64_MAX);
	assert_int_equal(count_free(), 0);

	/* A range running to the end of the address space covers everything from its base. */
	pmm_release_range(&pm, 0x3000, UINT64_MAX);
	assert_false(is_free(2));
	for (uint64_t i = 3; i < 64; i++)
		assert_true(is_free(i));
	assert_int_equal(count_free(), 61);
	assert_int_equal(pm.managed_pages, 61);
}

static void test_reserve_touching_pages(void **state)
{
	(void)state;
	init(64 * PAGE);
	pmm_release_range(&pm, 0, 64 * PAGE);
	assert_int_equal(count_free(), 63);
	assert_int_equal(pm.managed_pages, 63);

	pmm_reserve_range(&pm, 0x2800, 0x1000); /* [0x2800, 0x3800): frames 2 and 3 */
	assert_true(is_free(1));
	assert_false(is_free(2));
	assert_false(is_free(3));
	assert_true(is_free(4));
	assert_int_equal(count_free(), 61);
	assert_int_equal(pm.managed_pages, 61);

	pmm_reserve_range(&pm, 0x5000, 1); /* one byte: frame 5 */
	pmm_reserve_range(&pm, 0x7fff, 2); /* straddles frames 7 and 8 */
	assert_false(is_free(5));
	assert_true(is_free(6));
	assert_false(is_free(7));
	assert_false(is_free(8));
	assert_true(is_free(9));
	assert_int_equal(count_free(), 58);

	/* Reserving used pages changes nothing. */
	pmm_reserve_range(&pm, 0x2000, 0x2000);
	pmm_reserve_range(&pm, 0, 1);
	assert_int_equal(count_free(), 58);
	assert_int_equal(pm.managed_pages, 58);

	/* Clipped at the end of tracked memory. */
	pmm_reserve_range(&pm, 60 * PAGE, 100 * PAGE);
	pmm_reserve_range(&pm, 200 * PAGE, PAGE);
	assert_int_equal(count_free(), 54);

	/* Reserved pages are never handed out. */
	for (uint64_t a; (a = alloc1());) {
		uint64_t f = a / PAGE;
		assert_false(f == 0 || f == 2 || f == 3 || f == 5 || f == 7 || f == 8 || f >= 60);
	}
	assert_int_equal(pm.free_pages, 0);
	assert_int_equal(pm.managed_pages, 54);
}

static void test_reserve_to_top_of_address_space(void **state)
{
	(void)state;
	init(64 * PAGE);
	pmm_release_range(&pm, 0, 64 * PAGE);

	/* Everything from frame 16 up to the end of the address space. */
	pmm_reserve_range(&pm, 16 * PAGE, UINT64_MAX - 16 * PAGE);
	for (uint64_t i = 16; i < 64; i++)
		assert_false(is_free(i));
	assert_int_equal(count_free(), 15);

	pmm_reserve_range(&pm, 8 * PAGE, UINT64_MAX);
	for (uint64_t i = 8; i < 64; i++)
		assert_false(is_free(i));
	assert_int_equal(count_free(), 7);
	assert_int_equal(pm.managed_pages, 7);
}

static void test_alloc_until_exhausted(void **state)
{
	static uint64_t got[512];
	uint64_t n = 0, a;

	(void)state;
	init(300 * PAGE); /* spans several bitmap words and a partial last one */
	pmm_release_range(&pm, 0, 300 * PAGE);
	assert_int_equal(pm.free_pages, 299);

	while ((a = alloc1())) {
		assert_true(n < 299);
		assert_int_equal(a % PAGE, 0);
		assert_true(a >= PAGE && a < 300 * PAGE);
		assert_false(pmm_is_free(&pm, a));
		for (uint64_t i = 0; i < n; i++)
			assert_true(got[i] != a);
		got[n++] = a;
		assert_int_equal(pm.free_pages, 299 - n);
	}
	assert_int_equal(n, 299);
	assert_int_equal(count_free(), 0);
	assert_int_equal(pm.managed_pages, 299);

	/* Still nothing on a second try, in any shape. */
	assert_int_equal(alloc1(), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 2, PAGE, 0), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 0, PAGE, 0), 0);
	assert_int_equal(pm.free_pages, 0);

	/* Everything back: all 299 are allocatable again. */
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pmm_free_contig(&pm, got[i], 1), 0);
	assert_int_equal(count_free(), 299);
	assert_int_equal(alloc_all(), 299);
}

static void test_free_makes_page_allocatable(void **state)
{
	(void)state;
	init(128 * PAGE);
	pmm_release_range(&pm, 0, 128 * PAGE);
	assert_int_equal(alloc_all(), 127);

	assert_int_equal(pmm_free_contig(&pm, 77 * PAGE, 1), 0);
	assert_true(is_free(77));
	assert_int_equal(count_free(), 1);
	assert_int_equal(alloc1(), 77 * PAGE);
	assert_int_equal(alloc1(), 0);

	assert_int_equal(pmm_free_contig(&pm, 10 * PAGE, 3), 0);
	assert_int_equal(count_free(), 3);
	assert_int_equal(pmm_alloc_contig(&pm, 3, PAGE, 0), 10 * PAGE);
	assert_int_equal(count_free(), 0);
	assert_int_equal(pm.double_frees, 0);
	assert_int_equal(pm.bad_frees, 0);
}

static void test_counters_consistent(void **state)
{
	uint64_t a, b, c;

	(void)state;
	init(256 * PAGE);
	pmm_release_range(&pm, PAGE, 100 * PAGE);      /* frames 1..100 */
	pmm_release_range(&pm, 50 * PAGE, 100 * PAGE); /* overlaps: 101..149 are new */
	pmm_release_range(&pm, 200 * PAGE, 56 * PAGE); /* 200..255 */
	pmm_reserve_range(&pm, 120 * PAGE, 10 * PAGE); /* 120..129 back to used */
	assert_int_equal(pm.managed_pages, 149 + 56 - 10);
	assert_int_equal(count_free(), pm.managed_pages);

	/* managed - free is always what is handed out. */
	a = pmm_alloc_contig(&pm, 4, PAGE, 0);
	b = pmm_alloc_contig(&pm, 9, 8 * PAGE, 0);
	c = alloc1();
	assert_true(a && b && c);
	assert_int_equal(pm.managed_pages - count_free(), 14);
	assert_int_equal(pmm_free_contig(&pm, b, 9), 0);
	assert_int_equal(pm.managed_pages - count_free(), 5);
	assert_int_equal(pmm_free_contig(&pm, a, 4), 0);
	assert_int_equal(pmm_free_contig(&pm, c, 1), 0);
	assert_int_equal(count_free(), pm.managed_pages);
	assert_int_equal(pm.managed_pages, 195);
}

static void test_bad_frees_refused(void **state)
{
	uint64_t a;

	(void)state;
	init(128 * PAGE);
	pmm_release_range(&pm, 0, 128 * PAGE);
	assert_int_equal(alloc_all(), 127);
	assert_int_equal(pmm_free_contig(&pm, 100 * PAGE, 1), 0);
	take_snapshot();

	static const struct {
		uint64_t phys, n;
	} bad[] = {
	    {0x5001, 1},		    /* unaligned */
	    {0x5800, 1},		    /* unaligned */
	    {0, 1},			    /* frame 0 */
	    {0, 2},			    /* frame 0 */
	    {128 * PAGE, 1},		    /* just past the end */
	    {1000 * PAGE, 1},		    /* far past the end */
	    {126 * PAGE, 3},		    /* runs past the end */
	    {UINT64_MAX & ~0xfffULL, 1},    /* top of the address space */
	    {5 * PAGE, UINT64_MAX},	    /* count wraps the frame number */
	    {5 * PAGE, UINT64_MAX - 4},	    /* count wraps the frame number */
	    {101 * PAGE, 1ULL << 60},	    /* count far too big */
	    {101 * PAGE, UINT64_MAX - 100}, /* wraps to exactly 0 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pmm_free_contig(&pm, bad[i].phys, bad[i].n) != -1)
			fail_msg("free(%#llx, %llu) accepted", (unsigned long long)bad[i].phys,
				 (unsigned long long)bad[i].n);
		assert_int_equal(pm.bad_frees, i + 1);
		assert_int_equal(pm.double_frees, 0);
		assert_unchanged();
		assert_int_equal(count_free(), 1);
	}

	/* Double frees: the free page itself, and a run that contains it. */
	assert_int_equal(pmm_free_contig(&pm, 100 * PAGE, 1), -1);
	assert_int_equal(pm.double_frees, 1);
	assert_int_equal(pmm_free_contig(&pm, 99 * PAGE, 2), -1);  /* 99 used, 100 free */
	assert_int_equal(pmm_free_contig(&pm, 100 * PAGE, 5), -1); /* 100 free, 101.. used */
	assert_int_equal(pmm_free_contig(&pm, 95 * PAGE, 10), -1);
	assert_int_equal(pm.double_frees, 4);
	assert_int_equal(pm.bad_frees, sizeof(bad) / sizeof(bad[0]));
	assert_unchanged();
	assert_false(is_free(99));
	assert_false(is_free(101));
	assert_int_equal(count_free(), 1);

	/* The allocator still works normally afterwards. */
	a = alloc1();
	assert_int_equal(a, 100 * PAGE);
	assert_int_equal(pmm_free_contig(&pm, a, 1), 0);
	assert_int_equal(pmm_free_contig(&pm, a, 1), -1);
	assert_int_equal(pm.double_frees, 5);
	assert_int_equal(count_free(), 1);
}

static void test_contig_multi_page(void **state)
{
	uint64_t a, b;

	(void)state;
	init(256 * PAGE);
	pmm_release_range(&pm, 0, 256 * PAGE);

	a = pmm_alloc_contig(&pm, 5, PAGE, 0);
	assert_true(a != 0);
	assert_int_equal(a % PAGE, 0);
	assert_used(a, 5);
	assert_int_equal(count_free(), 255 - 5);

	b = pmm_alloc_contig(&pm, 100, PAGE, 0);
	assert_true(b != 0);
	assert_used(b, 100);
	assert_true(b >= a + 5 * PAGE || b + 100 * PAGE <= a); /* no overlap */
	assert_int_equal(count_free(), 255 - 105);

	/* Bigger than what is free at all, or than any run. */
	assert_int_equal(pmm_alloc_contig(&pm, 151, PAGE, 0), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 1ULL << 40, PAGE, 0), 0);
	assert_int_equal(count_free(), 150);

	assert_int_equal(pmm_free_contig(&pm, a, 5), 0);
	assert_int_equal(pmm_free_contig(&pm, b, 100), 0);
	assert_int_equal(count_free(), 255);

	/* The whole of memory but frame 0 in one run. */
	a = pmm_alloc_contig(&pm, 255, PAGE, 0);
	assert_int_equal(a, PAGE);
	assert_int_equal(count_free(), 0);
}

static void test_contig_aligned(void **state)
{
	const uint64_t align = 2 * MIB;
	uint64_t a, b, c, d;

	(void)state;
	init(8 * MIB);
	pmm_release_range(&pm, 0, 8 * MIB);
	assert_int_equal(alloc1(), PAGE); /* moves the search pointer off alignment */

	a = pmm_alloc_contig(&pm, 1, align, 0);
	assert_true(a != 0);
	assert_int_equal(a % align, 0);
	assert_false(pmm_is_free(&pm, a));

	b = pmm_alloc_contig(&pm, 512, align, 0);
	c = pmm_alloc_contig(&pm, 512, align, 0);
	assert_true(b != 0 && c != 0);
	assert_int_equal(b % align, 0);
	assert_int_equal(c % align, 0);
	assert_true(b != a && c != a && b != c);
	assert_used(b, 512);
	assert_used(c, 512);
	assert_int_equal(count_free(), 2047 - 1 - 1 - 1024);

	/* All three 2 MiB slots above 0 are taken (one only by its first page). */
	assert_int_equal(pmm_alloc_contig(&pm, 1, align, 0), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 2, align, 0), 0);
	assert_int_equal(count_free(), 1021);

	/* Smaller alignments still fit in the gaps. */
	d = pmm_alloc_contig(&pm, 4, 64 * 1024, 0);
	assert_true(d != 0);
	assert_int_equal(d % (64 * 1024), 0);
	assert_used(d, 4);

	/* Freeing the first page of a slot makes it available to aligned allocations again. */
	assert_int_equal(pmm_free_contig(&pm, a, 1), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 1, align, 0), a);
}

static void test_contig_aligned_odd_alignments(void **state)
{
	uint64_t a;

	(void)state;
	init(64 * PAGE);
	pmm_release_range(&pm, 0, 64 * PAGE);
	assert_int_equal(alloc1(), PAGE);
	assert_int_equal(alloc1(), 2 * PAGE);
	assert_int_equal(alloc1(), 3 * PAGE);

	/* next is at frame 4 now; an 8-page alignment must skip to frame 8. */
	a = pmm_alloc_contig(&pm, 3, 8 * PAGE, 0);
	assert_int_equal(a, 8 * PAGE);
	/* An alignment below a page means a page. */
	a = pmm_alloc_contig(&pm, 1, 16, 0);
	assert_int_equal(a % PAGE, 0);
	assert_true(a != 0);
	a = pmm_alloc_contig(&pm, 2, 2 * PAGE, 0);
	assert_int_equal(a % (2 * PAGE), 0);
	assert_used(a, 2);
}

static void test_contig_limit(void **state)
{
	uint64_t a, n = 0;

	(void)state;
	init(16 * MIB);
	pmm_release_range(&pm, 0, 16 * MIB);

	/* Move the search pointer high first: a limit must still find low memory. */
	a = pmm_alloc_contig(&pm, 2048, PAGE, 0);
	assert_true(a != 0);
	assert_int_equal(pmm_free_contig(&pm, a, 2048), 0);
	a = pmm_alloc_contig(&pm, 1, PAGE, 0);
	assert_true(a >= 8 * MIB);

	while ((a = pmm_alloc_contig(&pm, 1, PAGE, MIB))) {
		assert_true(a + PAGE <= MIB);
		n++;
	}
	assert_int_equal(n, 255 - 0); /* frames 1..255 */
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, MIB), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, MIB + 0xfff), 0);
	/* Memory above the limit is still there. */
	a = pmm_alloc_contig(&pm, 1, PAGE, MIB + PAGE);
	assert_int_equal(a, MIB);
	a = pmm_alloc_contig(&pm, 1, PAGE, 0);
	assert_true(a > MIB);

	/* A run must end below the limit, not just start below it. */
	assert_int_equal(pmm_free_contig(&pm, 250 * PAGE, 6), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 8, PAGE, MIB), 0);
	a = pmm_alloc_contig(&pm, 4, PAGE, MIB);
	assert_true(a >= 250 * PAGE && a + 4 * PAGE <= MIB);
	assert_used(a, 4);
	assert_int_equal(pmm_alloc_contig(&pm, 4, PAGE, MIB), 0);
	for (n = 0; pmm_alloc_contig(&pm, 1, PAGE, MIB); n++)
		;
	assert_int_equal(n, 2);
}

static void test_contig_limit_small(void **state)
{
	(void)state;
	init(64 * PAGE);
	pmm_release_range(&pm, 0, 64 * PAGE);

	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, PAGE), 0); /* only frame 0 is below */
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, 0xfff), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, 0x3800), PAGE);
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, 0x3800), 2 * PAGE);
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, 0x3800), 0); /* frame 3 ends past it */
	assert_int_equal(pmm_alloc_contig(&pm, 1, PAGE, 0x4000), 3 * PAGE);
	assert_int_equal(pmm_alloc_contig(&pm, 4, 4 * PAGE, 8 * PAGE), 4 * PAGE);
	assert_int_equal(pmm_alloc_contig(&pm, 4, 4 * PAGE, 8 * PAGE), 0);
	/* A limit beyond tracked memory is the same as none. */
	assert_int_equal(pmm_alloc_contig(&pm, 56, PAGE, 1ULL << 50), 8 * PAGE);
	assert_int_equal(count_free(), 0);
}

static void test_next_fit_wraps_around(void **state)
{
	(void)state;
	init(128 * PAGE);
	pmm_release_range(&pm, 0, 128 * PAGE);
	assert_int_equal(alloc_all(), 127);

	/* Next fit: the page after the last allocation comes first. */
	assert_int_equal(pmm_free_contig(&pm, 60 * PAGE, 2), 0);
	assert_int_equal(alloc1(), 60 * PAGE);
	assert_int_equal(pmm_free_contig(&pm, 10 * PAGE, 1), 0);
	assert_int_equal(alloc1(), 61 * PAGE);
	/* The search pointer is past every free page: it must wrap to frame 10. */
	assert_int_equal(alloc1(), 10 * PAGE);
	assert_int_equal(alloc1(), 0);

	/* A run straddling the search pointer is found too. */
	assert_int_equal(pmm_free_contig(&pm, 40 * PAGE, 4), 0);
	assert_int_equal(alloc1(), 40 * PAGE); /* the pointer is now at frame 41 */
	assert_int_equal(pmm_free_contig(&pm, 40 * PAGE, 1), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 4, PAGE, 0), 40 * PAGE);
	assert_int_equal(count_free(), 0);

	/* And an aligned run below the pointer. */
	assert_int_equal(pmm_free_contig(&pm, 16 * PAGE, 8), 0);
	assert_int_equal(pmm_free_contig(&pm, 100 * PAGE, 1), 0);
	assert_int_equal(alloc1(), 100 * PAGE);
	assert_int_equal(pmm_alloc_contig(&pm, 8, 8 * PAGE, 0), 16 * PAGE);
	assert_int_equal(count_free(), 0);
}

static void test_runs_across_bitmap_words(void **state)
{
	(void)state;
	init(256 * PAGE);
	pmm_release_range(&pm, 0, 256 * PAGE);
	assert_int_equal(alloc_all(), 255);

	/* The search starts at a word boundary with that whole word in use: the first frame of
	 * the next word must not be skipped. */
	assert_int_equal(pmm_free_contig(&pm, 63 * PAGE, 1), 0);
	assert_int_equal(pmm_free_contig(&pm, 128 * PAGE, 1), 0);
	assert_int_equal(alloc1(), 63 * PAGE);
	assert_int_equal(alloc1(), 128 * PAGE);

	/* A run crossing from one bitmap word into the next. */
	assert_int_equal(pmm_free_contig(&pm, 125 * PAGE, 6), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 6, PAGE, 0), 125 * PAGE);
	assert_int_equal(pmm_free_contig(&pm, 60 * PAGE, 70), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 70, PAGE, 0), 60 * PAGE);
	assert_int_equal(count_free(), 0);
}

static void test_fragmented_no_run(void **state)
{
	(void)state;
	init(256 * PAGE);
	pmm_release_range(&pm, 0, 256 * PAGE);
	assert_int_equal(alloc_all(), 255);
	for (uint64_t i = 1; i < 256; i += 2)
		assert_int_equal(pmm_free_contig(&pm, i * PAGE, 1), 0);
	assert_int_equal(count_free(), 128);
	take_snapshot();

	/* Plenty free in total, but no two neighbours. */
	assert_int_equal(pmm_alloc_contig(&pm, 2, PAGE, 0), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 64, PAGE, 0), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 1, 2 * PAGE, 0), 0); /* odd frames only */
	assert_unchanged();
	assert_int_equal(count_free(), 128);

	/* Two free neighbours appear: exactly they are found. */
	assert_int_equal(pmm_free_contig(&pm, 200 * PAGE, 1), 0);
	assert_int_equal(pmm_alloc_contig(&pm, 3, PAGE, 0), 199 * PAGE);
	assert_int_equal(pmm_alloc_contig(&pm, 2, PAGE, 0), 0);
	assert_int_equal(count_free(), 126);
	assert_int_equal(alloc1() % (2 * PAGE), PAGE);
}

/* A reference model: one state per frame. */
enum { M_USED, M_FREE, M_ALLOC };

#define R_PAGES 700
#define R_OPS	20000
#define R_LIVE	1024

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct block {
	uint64_t phys, n;
};

static void model_release(uint8_t *m, uint64_t base, uint64_t len)
{
	for (uint64_t f = 1; f < R_PAGES; f++)
		if (f * PAGE >= base && (f + 1) * PAGE <= base + len && m[f] == M_USED)
			m[f] = M_FREE;
}

static void model_reserve(uint8_t *m, uint64_t base, uint64_t len)
{
	for (uint64_t f = 0; f < R_PAGES; f++)
		if (f * PAGE < base + len && (f + 1) * PAGE > base && m[f] == M_FREE)
			m[f] = M_USED;
}

static uint64_t model_count(const uint8_t *m, int state)
{
	uint64_t n = 0;

	for (uint64_t f = 0; f < R_PAGES; f++)
		n += m[f] == state;
	return n;
}

/* Whether some aligned run of n free frames, other than at frame 0, ends below top. */
static bool model_fits(const uint8_t *m, uint64_t n, uint64_t step, uint64_t top)
{
	for (uint64_t i = step; i + n <= top; i += step) {
		uint64_t j = 0;

		while (j < n && m[i + j] == M_FREE)
			j++;
		if (j == n)
			return true;
	}
	return false;
}

static void model_check(const uint8_t *m)
{
	for (uint64_t f = 0; f < R_PAGES; f++)
		if (is_free(f) != (m[f] == M_FREE))
			fail_msg("frame %llu: pmm says %s", (unsigned long long)f,
				 is_free(f) ? "free" : "used");
}

static void test_random_against_model(void **state)
{
	static uint8_t m[R_PAGES];
	static struct block live[R_LIVE], dead[R_LIVE];
	unsigned nlive = 0, ndead = 0, ok = 0, failed = 0, dfree = 0, bfree = 0;

	(void)state;
	init(R_PAGES * PAGE);
	memset(m, M_USED, sizeof(m));

	/* A map with holes and boot modules reserved on top. */
	static const struct {
		bool release;
		uint64_t base, len;
	} ranges[] = {
	    {true, 0, 0x9f000},		{true, 0x100800, 0x80000},
	    {true, 0x180000, 0x100000}, {true, 0x290000, R_PAGES * PAGE},
	    {false, 0x120400, 0x3000},	{false, 0x200000, 0x1},
	    {false, 0x27ffff, 0x2},	{true, 0x50000, 0x10000},
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (ranges[i].release) {
			pmm_release_range(&pm, ranges[i].base, ranges[i].len);
			model_release(m, ranges[i].base, ranges[i].len);
		} else {
			pmm_reserve_range(&pm, ranges[i].base, ranges[i].len);
			model_reserve(m, ranges[i].base, ranges[i].len);
		}
	}
	model_check(m);
	assert_int_equal(pm.free_pages, model_count(m, M_FREE));
	assert_int_equal(pm.managed_pages, model_count(m, M_FREE));

	for (unsigned op = 0; op < R_OPS; op++) {
		unsigned r = rnd() % 16;

		if (r < 9 && nlive < R_LIVE) {
			uint64_t n = 1 + rnd() % (rnd() % 4 == 0 ? 24 : 3);
			uint64_t step = 1ULL << rnd() % 4;
			uint64_t limit = rnd() % 4 == 0 ? rnd() % (R_PAGES * PAGE + PAGE) : 0;
			uint64_t top = limit && limit / PAGE < R_PAGES ? limit / PAGE : R_PAGES;
			bool fits = model_fits(m, n, step, top);
			uint64_t a = pmm_alloc_contig(&pm, n, step * PAGE, limit);

			if (!a) {
				if (fits)
					fail_msg(
					    "op %u: alloc(%llu, %llu pages, limit %#llx) failed "
					    "but a run exists",
					    op, (unsigned long long)n, (unsigned long long)step,
					    (unsigned long long)limit);
				failed++;
			} else {
				uint64_t f = a / PAGE;

				assert_int_equal(a % (step * PAGE), 0);
				assert_true(f != 0 && f + n <= top);
				for (uint64_t j = 0; j < n; j++) {
					assert_int_equal(m[f + j], M_FREE);
					m[f + j] = M_ALLOC;
				}
				live[nlive++] = (struct block){a, n};
				ok++;
			}
		} else if (r < 14 && nlive) {
			unsigned k = rnd() % nlive;
			struct block b = live[k];

			assert_int_equal(pmm_free_contig(&pm, b.phys, b.n), 0);
			for (uint64_t j = 0; j < b.n; j++)
				m[b.phys / PAGE + j] = M_FREE;
			live[k] = live[--nlive];
			dead[ndead++ % R_LIVE] = b;
		} else if (r == 14 && ndead) {
			/* Free an old block again: refused if any of it is free now. */
			struct block b = dead[rnd() % (ndead < R_LIVE ? ndead : R_LIVE)];
			bool any_free = false;

			for (uint64_t j = 0; j < b.n; j++)
				any_free |= m[b.phys / PAGE + j] == M_FREE;
			if (any_free) {
				uint64_t before = pm.double_frees;

				take_snapshot();
				assert_int_equal(pmm_free_contig(&pm, b.phys, b.n), -1);
				assert_int_equal(pm.double_frees, before + 1);
				assert_unchanged();
				dfree++;
			}
		} else if (r == 15) {
			uint64_t before = pm.bad_frees;

			take_snapshot();
			assert_int_equal(
			    pmm_free_contig(&pm, (rnd() % R_PAGES) * PAGE + 1 + rnd() % (PAGE - 1),
					    1),
			    -1);
			assert_int_equal(pm.bad_frees, before + 1);
			assert_unchanged();
			bfree++;
		}
		assert_int_equal(pm.free_pages, model_count(m, M_FREE));
		if (op % 64 == 0)
			model_check(m);
	}
	model_check(m);

	/* The run exercised every path. */
	assert_true(ok > 1000);
	assert_true(failed > 100);
	assert_true(dfree > 50);
	assert_true(bfree > 50);

	while (nlive) {
		nlive--;
		assert_int_equal(pmm_free_contig(&pm, live[nlive].phys, live[nlive].n), 0);
	}
	assert_int_equal(count_free(), pm.managed_pages);
	assert_int_equal(pm.managed_pages, model_count(m, M_FREE) + model_count(m, M_ALLOC));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, reset, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_bitmap_bytes),
	    T(test_setup_all_used),
	    T(test_release_whole_pages_only),
	    T(test_release_partial_last_page),
	    T(test_release_at_top_of_address_space),
	    T(test_reserve_touching_pages),
	    T(test_reserve_to_top_of_address_space),
	    T(test_alloc_until_exhausted),
	    T(test_free_makes_page_allocatable),
	    T(test_counters_consistent),
	    T(test_bad_frees_refused),
	    T(test_contig_multi_page),
	    T(test_contig_aligned),
	    T(test_contig_aligned_odd_alignments),
	    T(test_contig_limit),
	    T(test_contig_limit_small),
	    T(test_next_fit_wraps_around),
	    T(test_runs_across_bitmap_words),
	    T(test_fragmented_no_run),
	    T(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
