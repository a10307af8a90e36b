/*
 * Host tests for the per-core packet-buffer pools. The harness provides drivers/platform.h:
 * DMA memory is whole zeroed pages from aligned_alloc whose "bus address" is the host address,
 * every allocation is tracked (so failed inits can be checked for leaks) and an allocation
 * can be made to fail on demand.
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

#include "drivers/mbuf.h"
#include "drivers/platform.h"

#define PAGE	4096u
#define MAX_DMA 16

/* ---- platform harness ---- */

static struct {
	void *va;
	size_t size;
} dma_live[MAX_DMA];
static int dma_nlive;
static int dma_calls;	 /* dma_alloc calls since reset */
static int dma_fail_at;	 /* 1-based call number to refuse; 0: never */
static bool dma_zero_ok; /* hand out a page for size 0 (the kernel's allocator refuses) */

void *dma_alloc(size_t size, uint64_t *phys)
{
	size_t bytes = (size + PAGE - 1) / PAGE * PAGE;
	void *va;

	dma_calls++;
	if (dma_fail_at == dma_calls)
		return NULL;
	if (bytes == 0) {
		if (!dma_zero_ok)
			return NULL;
		bytes = PAGE;
	}
	va = aligned_alloc(PAGE, bytes);
	assert_non_null(va);
	memset(va, 0, bytes);
	*phys = (uint64_t)(uintptr_t)va;
	for (int i = 0; i < MAX_DMA; i++) {
		if (!dma_live[i].va) {
			dma_live[i].va = va;
			dma_live[i].size = size;
			dma_nlive++;
			return va;
		}
	}
	fail_msg("too many live DMA allocations");
	return NULL;
}

void dma_free(void *va, size_t size)
{
	for (int i = 0; i < MAX_DMA; i++) {
		if (dma_live[i].va == va) {
			assert_int_equal((dma_live[i].size + PAGE - 1) / PAGE,
					 (size + PAGE - 1) / PAGE);
			dma_live[i].va = NULL;
			dma_nlive--;
			free(va);
			return;
		}
	}
	fail_msg("dma_free of %p, which is not a live DMA allocation", va);
}

void plat_delay_us(unsigned us)
{
	(void)us;
}

void plat_log(int level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "<%d> ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint32_t host_mmio_read32(volatile void *base, uint32_t off)
{
	(void)base;
	(void)off;
	abort(); /* the pool never touches registers */
}

void host_mmio_write32(volatile void *base, uint32_t off, uint32_t v)
{
	(void)base;
	(void)off;
	(void)v;
	abort();
}

static int reset(void **state)
{
	(void)state;
	dma_calls = 0;
	dma_fail_at = 0;
	dma_zero_ok = false;
	return 0;
}

/* Every test must give back what it took. */
static int check_no_leak(void **state)
{
	(void)state;
	assert_int_equal(dma_nlive, 0);
	return 0;
}

/* ---- helpers ---- */

static void pool_make(struct mbuf_pool *p, unsigned n, unsigned cpu)
{
	memset(p, 0xa5, sizeof(*p));
	assert_int_equal(mbuf_pool_init(p, n, cpu), 0);
}

/* There is no pool teardown in the kernel (pools live forever); the tests free by hand. */
static void pool_release(struct mbuf_pool *p)
{
	dma_free(p->mem, (size_t)p->size * MBUF_BUF_SIZE);
	dma_free(p->mbufs, (size_t)p->size * sizeof(struct mbuf));
}

/* The index of m's buffer in the pool's memory, checking it is a whole slot inside it. */
static unsigned slot_of(const struct mbuf_pool *p, const struct mbuf *m)
{
	assert_true(m->buf >= p->mem);
	size_t off = (size_t)(m->buf - p->mem);
	assert_int_equal(off % MBUF_BUF_SIZE, 0);
	assert_true(off / MBUF_BUF_SIZE < p->size);
	return (unsigned)(off / MBUF_BUF_SIZE);
}

/* What every freshly allocated buffer must look like. */
static void assert_fresh(const struct mbuf_pool *p, const struct mbuf *m)
{
	assert_non_null(m);
	assert_ptr_equal(m->pool, p);
	assert_ptr_equal(m->data, m->buf + MBUF_HEADROOM);
	assert_int_equal(m->len, 0);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->rss_hash, 0);
	assert_int_equal(m->rss_type, 0);
	assert_int_equal(m->l2_len, 0);
	assert_int_equal(m->l3_len, 0);
	assert_null(m->next);
	assert_int_equal((uintptr_t)m->buf % 64, 0);
	assert_int_equal(m->buf_phys, p->mem_phys + (uint64_t)slot_of(p, m) * MBUF_BUF_SIZE);
	assert_int_equal(m->buf_phys, (uint64_t)(uintptr_t)m->buf); /* the harness's identity map */
	assert_int_equal(mbuf_data_phys(m), m->buf_phys + MBUF_HEADROOM);
}

/* ---- tests ---- */

static void test_init_sets_up_pool(void **state)
{
	struct mbuf_pool p;

	(void)state;
	pool_make(&p, 8, 3);
	assert_int_equal(p.size, 8);
	assert_int_equal(p.avail, 8);
	assert_int_equal(p.owner, 3);
	assert_int_equal(p.alloc_fails, 0);
	assert_int_equal(p.bad_frees, 0);
	assert_non_null(p.mem);
	assert_non_null(p.mbufs);
	assert_non_null(p.free);
	assert_int_equal(p.mem_phys, (uint64_t)(uintptr_t)p.mem);
	pool_release(&p);
}

static void test_pool_of_n_gives_n_distinct_buffers(void **state)
{
	enum { N = 37 };
	struct mbuf_pool p;
	struct mbuf *m[N];
	bool seen[N] = {false};

	(void)state;
	pool_make(&p, N, 0);
	for (unsigned i = 0; i < N; i++) {
		m[i] = mbuf_alloc(&p);
		assert_fresh(&p, m[i]);
		assert_int_equal(p.avail, N - 1 - i);
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(m[i], m[j]);
		unsigned s = slot_of(&p, m[i]);
		assert_false(seen[s]);
		seen[s] = true;
	}
	/* Every slot used once: the buffers tile the pool memory, MBUF_BUF_SIZE apart. */
	for (unsigned s = 0; s < N; s++)
		assert_true(seen[s]);
	/* Each buffer is fully writable (valgrind checks the bounds) and none overlap. */
	for (unsigned i = 0; i < N; i++)
		memset(m[i]->buf, (int)i + 1, MBUF_BUF_SIZE);
	for (unsigned i = 0; i < N; i++)
		for (unsigned k = 0; k < MBUF_BUF_SIZE; k++)
			assert_int_equal(m[i]->buf[k], i + 1);
	assert_int_equal(p.alloc_fails, 0);
	pool_release(&p);
}

static void test_data_phys_tracks_data(void **state)
{
	struct mbuf_pool p;
	struct mbuf *m;

	(void)state;
	pool_make(&p, 4, 0);
	assert_non_null(mbuf_alloc(&p));
	m = mbuf_alloc(&p); /* not the first slot, so buf_phys != mem_phys */
	assert_fresh(&p, m);
	assert_int_equal(mbuf_data_phys(m), m->buf_phys + MBUF_HEADROOM);
	m->data += 14; /* strip Ethernet */
	assert_int_equal(mbuf_data_phys(m), m->buf_phys + MBUF_HEADROOM + 14);
	m->data -= 14 + 8; /* prepend into the headroom */
	assert_int_equal(mbuf_data_phys(m), m->buf_phys + MBUF_HEADROOM - 8);
	m->data = m->buf;
	assert_int_equal(mbuf_data_phys(m), m->buf_phys);
	m->data = m->buf + MBUF_BUF_SIZE - 1;
	assert_int_equal(mbuf_data_phys(m), m->buf_phys + MBUF_BUF_SIZE - 1);
	pool_release(&p);
}

static void test_scrub_wipes_free_buffers_only(void **state)
{
	struct mbuf_pool p;

	(void)state;
	pool_make(&p, 4, 0);
	struct mbuf *held = mbuf_alloc(&p), *gone = mbuf_alloc(&p);
	memset(held->buf, 0xab, MBUF_BUF_SIZE);
	memset(gone->buf, 0xcd, MBUF_BUF_SIZE);
	mbuf_free(gone);
	mbuf_pool_scrub(&p);
	for (unsigned i = 0; i < MBUF_BUF_SIZE; i++) {
		assert_int_equal(gone->buf[i], 0);    /* freed: wiped */
		assert_int_equal(held->buf[i], 0xab); /* still someone's: untouched */
	}
	assert_int_equal(p.avail, 3);
	mbuf_free(held);
	pool_release(&p);
}

static void test_exhaustion_counts_alloc_fails(void **state)
{
	struct mbuf_pool p;
	struct mbuf *m[4];

	(void)state;
	pool_make(&p, 4, 1);
	for (int i = 0; i < 4; i++)
		assert_non_null(m[i] = mbuf_alloc(&p));
	assert_int_equal(p.avail, 0);
	assert_int_equal(p.min_avail, 0);
	assert_null(mbuf_alloc(&p));
	assert_int_equal(p.alloc_fails, 1);
	assert_null(mbuf_alloc(&p));
	assert_int_equal(p.alloc_fails, 2);
	assert_int_equal(p.avail, 0);
	mbuf_free(m[2]);
	assert_int_equal(p.avail, 1);
	assert_int_equal(p.min_avail, 0); /* the low-water mark stays */
	assert_ptr_equal(mbuf_alloc(&p), m[2]);
	assert_null(mbuf_alloc(&p));
	assert_int_equal(p.alloc_fails, 3);
	assert_int_equal(p.bad_frees, 0);
	pool_release(&p);
}

static void test_free_then_alloc_resets_fields(void **state)
{
	struct mbuf_pool p;
	struct mbuf *m, *again;
	uint8_t *buf;
	uint64_t phys;

	(void)state;
	pool_make(&p, 3, 0);
	m = mbuf_alloc(&p);
	assert_fresh(&p, m);
	buf = m->buf;
	phys = m->buf_phys;
	/* What a driver and the stack leave in a buffer. */
	m->data += 100;
	m->len = 1514;
	m->flags = MBUF_F_RX_RSS_HASH | MBUF_F_RX_IP_CSUM_BAD | MBUF_F_TX_UDP_CSUM;
	m->rss_hash = 0xdeadbeef;
	m->rss_type = 7;
	m->l2_len = 14;
	m->l3_len = 20;
	mbuf_free(m);
	assert_int_equal(p.avail, 3);
	again = mbuf_alloc(&p);
	assert_ptr_equal(again, m);
	assert_fresh(&p, again);
	assert_ptr_equal(again->buf, buf);
	assert_int_equal(again->buf_phys, phys);
	assert_int_equal(p.avail, 2);
	assert_int_equal(p.bad_frees, 0);
	pool_release(&p);
}

/* Allocates everything left and checks the buffers are distinct and none is in not[]. */
static void drain_distinct(struct mbuf_pool *p, unsigned expect, struct mbuf * * not, int nnot)
{
	struct mbuf *got[64];

	assert_true(expect <= 64);
	for (unsigned i = 0; i < expect; i++) {
		got[i] = mbuf_alloc(p);
		assert_fresh(p, got[i]);
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(got[i], got[j]);
		for (int k = 0; k < nnot; k++)
			assert_ptr_not_equal(got[i], not [k]);
	}
	uint64_t fails = p->alloc_fails;
	assert_null(mbuf_alloc(p));
	assert_int_equal(p->alloc_fails, fails + 1);
	for (unsigned i = 0; i < expect; i++)
		mbuf_free(got[i]);
}

static void test_double_free_refused(void **state)
{
	struct mbuf_pool p;
	struct mbuf *a, *b;

	(void)state;
	pool_make(&p, 4, 0);
	a = mbuf_alloc(&p);
	b = mbuf_alloc(&p);
	mbuf_free(a);
	assert_int_equal(p.avail, 3);
	mbuf_free(a); /* a is in the middle of the free list */
	assert_int_equal(p.bad_frees, 1);
	assert_int_equal(p.avail, 3);
	/* The free list is intact: three distinct buffers, none of them b (still in use). */
	drain_distinct(&p, 3, &b, 1);
	assert_int_equal(p.avail, 3);
	mbuf_free(b);
	assert_int_equal(p.avail, 4);
	mbuf_free(b); /* b is now the head */
	assert_int_equal(p.bad_frees, 2);
	assert_int_equal(p.avail, 4);
	drain_distinct(&p, 4, NULL, 0);
	assert_int_equal(p.bad_frees, 2);
	pool_release(&p);
}

static void test_double_free_of_last_free_buffer(void **state)
{
	struct mbuf_pool p;
	struct mbuf *m[3];

	(void)state;
	pool_make(&p, 3, 0);
	for (int i = 0; i < 3; i++)
		m[i] = mbuf_alloc(&p);
	mbuf_free(m[1]); /* alone on the free list */
	mbuf_free(m[1]);
	assert_int_equal(p.bad_frees, 1);
	assert_int_equal(p.avail, 1);
	struct mbuf *busy[2] = {m[0], m[2]};
	drain_distinct(&p, 1, busy, 2);
	pool_release(&p);
}

static void test_free_of_never_allocated_buffer_refused(void **state)
{
	struct mbuf_pool p;

	(void)state;
	pool_make(&p, 4, 0);
	mbuf_free(&p.mbufs[0]);
	mbuf_free(&p.mbufs[3]);
	assert_int_equal(p.bad_frees, 2);
	assert_int_equal(p.avail, 4);
	drain_distinct(&p, 4, NULL, 0);
	pool_release(&p);
}

static void test_free_with_next_set_refused(void **state)
{
	struct mbuf_pool p;
	struct mbuf *a, *b;

	(void)state;
	pool_make(&p, 5, 0);
	a = mbuf_alloc(&p);
	b = mbuf_alloc(&p);
	a->next = b; /* a chain the caller forgot to unlink */
	mbuf_free(a);
	assert_int_equal(p.bad_frees, 1);
	assert_int_equal(p.avail, 3);
	struct mbuf *busy[2] = {a, b};
	drain_distinct(&p, 3, busy, 2);
	a->next = NULL;
	mbuf_free(a);
	mbuf_free(b);
	assert_int_equal(p.avail, 5);
	assert_int_equal(p.bad_frees, 1);
	drain_distinct(&p, 5, NULL, 0);
	pool_release(&p);
}

static void test_buffers_go_back_to_their_pool(void **state)
{
	struct mbuf_pool a, b;
	struct mbuf *ma, *mb;

	(void)state;
	pool_make(&a, 2, 0);
	pool_make(&b, 2, 1);
	ma = mbuf_alloc(&a);
	mb = mbuf_alloc(&b);
	assert_ptr_equal(ma->pool, &a);
	assert_ptr_equal(mb->pool, &b);
	assert_true(mb->buf >= b.mem && mb->buf < b.mem + 2 * MBUF_BUF_SIZE);
	mbuf_free(mb);
	assert_int_equal(a.avail, 1);
	assert_int_equal(b.avail, 2);
	mbuf_free(ma);
	assert_int_equal(a.avail, 2);
	assert_int_equal(b.avail, 2);
	drain_distinct(&a, 2, NULL, 0);
	drain_distinct(&b, 2, NULL, 0);
	assert_int_equal(a.bad_frees + b.bad_frees, 0);
	pool_release(&a);
	pool_release(&b);
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void test_random_sequence_matches_model(void **state)
{
	enum { N = 48, OPS = 20000 };
	struct mbuf_pool p;
	bool inuse[N] = {false};
	struct mbuf *held[N];
	unsigned nheld = 0;
	uint64_t fails = 0, bad = 0;

	(void)state;
	rng_state = 12345;
	pool_make(&p, N, 2);
	for (int op = 0; op < OPS; op++) {
		uint32_t r = rng() % 100;
		if (r < 50) {
			struct mbuf *m = mbuf_alloc(&p);
			if (nheld == N) {
				assert_null(m);
				fails++;
			} else {
				assert_fresh(&p, m);
				unsigned i = (unsigned)(m - p.mbufs);
				assert_true(i < N);
				assert_false(inuse[i]);
				inuse[i] = true;
				held[nheld++] = m;
				m->len = (uint16_t)rng(); /* dirty it for the next user */
				m->data += rng() % 64;
				m->flags = (uint16_t)rng();
			}
		} else if (r < 90) {
			if (nheld) {
				unsigned k = rng() % nheld;
				struct mbuf *m = held[k];
				held[k] = held[--nheld];
				inuse[m - p.mbufs] = false;
				mbuf_free(m);
			}
		} else if (nheld < N) {
			/* Free again some buffer that is already free: must be refused. */
			unsigned i = rng() % N;
			while (inuse[i])
				i = (i + 1) % N;
			mbuf_free(&p.mbufs[i]);
			bad++;
		}
		assert_int_equal(p.avail, N - nheld);
		assert_int_equal(p.alloc_fails, fails);
		assert_int_equal(p.bad_frees, bad);
	}
	assert_true(fails > 0); /* the sequence did reach exhaustion */
	while (nheld)
		mbuf_free(held[--nheld]);
	assert_int_equal(p.avail, N);
	drain_distinct(&p, N, NULL, 0);
	assert_int_equal(p.bad_frees, bad);
	pool_release(&p);
}

static void test_init_zero_fails(void **state)
{
	struct mbuf_pool p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(mbuf_pool_init(&p, 0, 0), -1);
	assert_int_equal(dma_nlive, 0);
	/* Refused on its own, not only because the allocator happens to refuse 0 bytes. */
	dma_zero_ok = true;
	memset(&p, 0, sizeof(p));
	assert_int_equal(mbuf_pool_init(&p, 0, 0), -1);
	assert_int_equal(dma_nlive, 0);
}

static void test_init_out_of_memory_fails_without_leak(void **state)
{
	struct mbuf_pool p;

	(void)state;
	for (int call = 1; call <= 2; call++) {
		dma_calls = 0;
		dma_fail_at = call;
		memset(&p, 0, sizeof(p));
		assert_int_equal(mbuf_pool_init(&p, 16, 0), -1);
		assert_int_equal(dma_nlive, 0); /* whatever was allocated was given back */
	}
	dma_fail_at = 0;
	pool_make(&p, 16, 0); /* and a later init still works */
	drain_distinct(&p, 16, NULL, 0);
	pool_release(&p);
}

static unsigned released;
static struct mbuf *released_m;

static void count_release(struct mbuf *m)
{
	released++;
	released_m = m;
	assert_non_null(m->cookie);
}

/* Zero-copy transmit: the owner of the gathered memory hears exactly once, at the free. */
static void test_release_hook_runs_once_then_buffer_returns(void **state)
{
	struct mbuf_pool p;
	int cookie;

	(void)state;
	released = 0;
	pool_make(&p, 3, 0);
	struct mbuf *m = mbuf_alloc(&p);
	m->nseg = 2;
	m->seg[0] = (struct mbuf_seg){0x1000, 42};
	m->seg[1] = (struct mbuf_seg){0x9000, 100};
	m->cookie = &cookie;
	m->release = count_release;
	mbuf_free(m);
	assert_int_equal(released, 1);
	assert_ptr_equal(released_m, m);
	assert_int_equal(p.avail, 3);
	mbuf_free(m); /* a double free must not run the hook again */
	assert_int_equal(released, 1);
	assert_int_equal(p.bad_frees, 1);
	/* Reused, the buffer carries no stale hook or pieces. */
	struct mbuf *again = mbuf_alloc(&p);
	while (again != m)
		again = mbuf_alloc(&p);
	assert_null(m->release);
	assert_int_equal(m->nseg, 0);
	pool_release(&p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, reset, check_no_leak)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_init_sets_up_pool),
	    T(test_pool_of_n_gives_n_distinct_buffers),
	    T(test_data_phys_tracks_data),
	    T(test_exhaustion_counts_alloc_fails),
	    T(test_scrub_wipes_free_buffers_only),
	    T(test_free_then_alloc_resets_fields),
	    T(test_double_free_refused),
	    T(test_double_free_of_last_free_buffer),
	    T(test_free_of_never_allocated_buffer_refused),
	    T(test_free_with_next_set_refused),
	    T(test_buffers_go_back_to_their_pool),
	    T(test_random_sequence_matches_model),
	    T(test_init_zero_fails),
	    T(test_init_out_of_memory_fails_without_leak),
	    T(test_release_hook_runs_once_then_buffer_returns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
