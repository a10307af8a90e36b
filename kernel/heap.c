/*
 * Kernel heap: power-of-two size classes from 32 to 2048 bytes carved out of pages, larger
 * requests as whole pages. Each block starts with a 16-byte header naming its size, so kfree
 * needs no lookup and can tell a foreign pointer from its own.
 */
#include "kernel/heap.h"
#include "kernel/layout.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/spinlock.h"

#define HEAP_MAGIC 0x6865617069786f73ULL /* "soxipaeh" */
#define HEAP_FREED 0x6465657266786f73ULL
#define HEAP_CLASSES 7 /* 32 .. 2048 */
#define HEAP_MIN_SHIFT 5

struct heap_hdr {
	uint64_t magic;
	uint32_t size_class; /* < HEAP_CLASSES, or HEAP_CLASSES for page runs */
	uint32_t npages;     /* page runs only */
};

struct heap_free {
	struct heap_hdr hdr;
	struct heap_free *next;
};

static struct spinlock heap_lock;
static struct heap_free *free_lists[HEAP_CLASSES];
static struct heap_stats stats;

static int heap_class(size_t total)
{
	for (int c = 0; c < HEAP_CLASSES; c++)
		if (total <= (1UL << (c + HEAP_MIN_SHIFT)))
			return c;
	return -1;
}

static bool heap_refill(int c)
{
	uint64_t pa = mem_page_alloc();
	size_t bsize = 1UL << (c + HEAP_MIN_SHIFT);

	if (!pa)
		return false;
	stats.pages++;
	char *page = phys_to_virt(pa);
	for (size_t off = 0; off + bsize <= PAGE_SIZE; off += bsize) {
		struct heap_free *f = (struct heap_free *)(page + off);
		f->hdr.magic = HEAP_FREED;
		f->next = free_lists[c];
		free_lists[c] = f;
	}
	return true;
}

void *kmalloc(size_t size)
{
	size_t total = size + sizeof(struct heap_hdr);
	int c = heap_class(total);
	struct heap_hdr *h;

	if (size == 0 || total < size)
		return NULL;
	if (c < 0) {
		uint64_t n = (total + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t pa = mem_pages_alloc(n, PAGE_SIZE, 0);
		if (!pa || n > UINT32_MAX)
			return NULL;
		h = phys_to_virt(pa);
		h->size_class = HEAP_CLASSES;
		h->npages = n;
		uint64_t f = spin_lock_irqsave(&heap_lock);
		stats.allocs++;
		stats.bytes_in_use += n * PAGE_SIZE;
		spin_unlock_irqrestore(&heap_lock, f);
	} else {
		uint64_t f = spin_lock_irqsave(&heap_lock);
		if (!free_lists[c] && !heap_refill(c)) {
			spin_unlock_irqrestore(&heap_lock, f);
			return NULL;
		}
		struct heap_free *fr = free_lists[c];
		free_lists[c] = fr->next;
		stats.allocs++;
		stats.bytes_in_use += 1UL << (c + HEAP_MIN_SHIFT);
		spin_unlock_irqrestore(&heap_lock, f);
		h = &fr->hdr;
		memset(h, 0, 1UL << (c + HEAP_MIN_SHIFT));
		h->size_class = c;
	}
	h->magic = HEAP_MAGIC;
	return h + 1;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct heap_hdr *h = (struct heap_hdr *)p - 1;
	uint64_t f = spin_lock_irqsave(&heap_lock);

	if (((uint64_t)p & 15) || h->magic != HEAP_MAGIC || h->size_class > HEAP_CLASSES) {
		stats.bad_frees++;
		spin_unlock_irqrestore(&heap_lock, f);
		log_err("heap: refused kfree(%p): %s", p,
			h->magic == HEAP_FREED ? "double free" : "not a heap block");
		return;
	}
	stats.frees++;
	if (h->size_class == HEAP_CLASSES) {
		uint64_t n = h->npages;
		h->magic = HEAP_FREED;
		stats.bytes_in_use -= n * PAGE_SIZE;
		spin_unlock_irqrestore(&heap_lock, f);
		mem_pages_free(virt_to_phys(h), n);
		return;
	}
	struct heap_free *fr = (struct heap_free *)h;
	int c = h->size_class;
	fr->hdr.magic = HEAP_FREED;
	fr->next = free_lists[c];
	free_lists[c] = fr;
	stats.bytes_in_use -= 1UL << (c + HEAP_MIN_SHIFT);
	spin_unlock_irqrestore(&heap_lock, f);
}

void heap_stats(struct heap_stats *out)
{
	uint64_t f = spin_lock_irqsave(&heap_lock);
	*out = stats;
	spin_unlock_irqrestore(&heap_lock, f);
}
