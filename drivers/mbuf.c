/* Per-core packet-buffer pools. */
#include "drivers/mbuf.h"
#include "drivers/platform.h"
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/lib/string.h"
#endif

#define MBUF_FREE_MARK ((struct mbuf *)1) /* next of a free buffer at the list's end */

int mbuf_pool_init(struct mbuf_pool *p, unsigned n, unsigned cpu)
{
	uint64_t phys, mphys;

	if (n == 0)
		return -1;
	p->mem = dma_alloc((size_t)n * MBUF_BUF_SIZE, &phys);
	if (!p->mem)
		return -1;
	p->mbufs = dma_alloc((size_t)n * sizeof(struct mbuf), &mphys);
	if (!p->mbufs) {
		dma_free(p->mem, (size_t)n * MBUF_BUF_SIZE); /* do not leak the buffers */
		p->mem = NULL;
		return -1;
	}
	p->mem_phys = phys;
	p->size = p->avail = p->min_avail = n;
	p->owner = cpu;
	p->alloc_fails = p->bad_frees = 0;
	p->free = NULL;
	for (unsigned i = n; i-- > 0;) {
		struct mbuf *m = &p->mbufs[i];
		m->buf = p->mem + (size_t)i * MBUF_BUF_SIZE;
		m->buf_phys = phys + (uint64_t)i * MBUF_BUF_SIZE;
		m->pool = p;
		m->next = p->free ? p->free : MBUF_FREE_MARK;
		p->free = m;
	}
	return 0;
}

struct mbuf *mbuf_alloc(struct mbuf_pool *p)
{
	struct mbuf *m = p->free;

	if (!m) {
		p->alloc_fails++;
		return NULL;
	}
	p->free = m->next == MBUF_FREE_MARK ? NULL : m->next;
	p->avail--;
	if (p->avail < p->min_avail)
		p->min_avail = p->avail;
	m->next = NULL;
	m->data = m->buf + MBUF_HEADROOM;
	m->len = 0;
	m->flags = 0;
	m->rss_hash = 0;
	m->rss_type = 0;
	m->l2_len = m->l3_len = 0;
	m->nseg = 0;
	m->release = NULL;
	m->cookie = NULL;
	return m;
}

void mbuf_free(struct mbuf *m)
{
	struct mbuf_pool *p = m->pool;

	/* A free buffer always has a non-NULL next (a link or the end mark): catches double frees. */
	if (m->next) {
		p->bad_frees++;
		return;
	}
	if (m->release) {
		void (*release)(struct mbuf *) = m->release;
		m->release = NULL;
		release(m);
	}
	m->next = p->free ? p->free : MBUF_FREE_MARK;
	p->free = m;
	p->avail++;
}

void mbuf_pool_scrub(struct mbuf_pool *p)
{
	for (struct mbuf *m = p->free; m && m != MBUF_FREE_MARK; m = m->next)
		memset(m->buf, 0, MBUF_BUF_SIZE);
}
