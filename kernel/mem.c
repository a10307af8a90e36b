/* Boot-time memory set-up and the kernel's page allocator (kernel/pmm.c behind a lock). */
#include "kernel/mem.h"
#include "kernel/bootinfo.h"
#include "kernel/layout.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/spinlock.h"

extern char __bss_end[];

#define MAX_RESERVED (BOOT_MAX_MODULES + 4)

struct range {
	uint64_t start, end;
};

static struct pmm pmm;
static struct spinlock pmm_lock;
static bool pmm_ready;
static uint64_t usable_bytes;
static struct range reserved[MAX_RESERVED];
static unsigned nreserved;
/* Early allocator: a bump pointer in the largest free range below 4 GiB (identity-mapped). */
static struct range early;
static uint64_t early_next;

static void reserve(uint64_t start, uint64_t end)
{
	if (nreserved < MAX_RESERVED && end > start)
		reserved[nreserved++] = (struct range){start & ~0xfffULL, (end + 0xfff) & ~0xfffULL};
}

/* Largest gap of [s, e) not covered by a reserved range, kept in early if bigger. */
static void early_consider(uint64_t s, uint64_t e)
{
	for (unsigned i = 0; i < nreserved; i++) {
		struct range *r = &reserved[i];
		if (r->end <= s || r->start >= e)
			continue;
		early_consider(s, r->start);
		early_consider(r->end, e);
		return;
	}
	if (e > s && e - s > early.end - early.start)
		early = (struct range){s, e};
}

static uint64_t early_alloc(void)
{
	if (early_next + PAGE_SIZE > early.end)
		panic("mem: early allocator exhausted (%#lx..%#lx)", early.start, early.end);
	uint64_t p = early_next;
	early_next += PAGE_SIZE;
	memset((void *)p, 0, PAGE_SIZE); /* still on the loader's identity map */
	return p;
}

uint64_t mem_pages_alloc(uint64_t npages, uint64_t align, uint64_t limit)
{
	if (!pmm_ready)
		return npages == 1 ? early_alloc() : 0;
	uint64_t f = spin_lock_irqsave(&pmm_lock);
	uint64_t p = pmm_alloc_contig(&pmm, npages, align < PAGE_SIZE ? PAGE_SIZE : align, limit);
	spin_unlock_irqrestore(&pmm_lock, f);
	if (p)
		memset(phys_to_virt(p), 0, npages * PAGE_SIZE);
	return p;
}

uint64_t mem_page_alloc(void)
{
	return mem_pages_alloc(1, PAGE_SIZE, 0);
}

void mem_pages_free(uint64_t phys, uint64_t npages)
{
	uint64_t f = spin_lock_irqsave(&pmm_lock);
	int r = pmm_free_contig(&pmm, phys, npages);
	spin_unlock_irqrestore(&pmm_lock, f);
	if (r)
		log_err("mem: refused bad or double free of %lu pages at %#lx",
			(unsigned long)npages, (unsigned long)phys);
}

void mem_stats(struct pmm *out)
{
	uint64_t f = spin_lock_irqsave(&pmm_lock);
	*out = pmm;
	spin_unlock_irqrestore(&pmm_lock, f);
}

uint64_t mem_usable_bytes(void)
{
	return usable_bytes;
}

void mem_init(const struct bootinfo *bi)
{
	uint64_t top = 0;

	usable_bytes = bootinfo_usable_bytes(bi);
	reserve(0, 1 << 20); /* BIOS data, EBDA, the AP trampoline */
	reserve(KERNEL_PHYS, (uint64_t)__bss_end - KERNEL_VMA);
	reserve(bi->info_start, bi->info_end);
	for (unsigned i = 0; i < bi->nmodules; i++)
		reserve(bi->modules[i].start, bi->modules[i].end);

	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		if (e->type != BOOT_MEM_USABLE)
			continue;
		uint64_t s = (e->base + 0xfff) & ~0xfffULL, end = (e->base + e->len) & ~0xfffULL;
		if (end > PHYSMAP_MAX)
			end = PHYSMAP_MAX;
		if (end > top)
			top = end;
		early_consider(s, end < (1ULL << 32) ? end : (1ULL << 32));
	}
	if (early.end - early.start < (1 << 20))
		panic("mem: no free memory to start with (need 1 MiB below 4 GiB)");
	early_next = early.start;

	paging_init(bi);

	size_t bytes = pmm_bitmap_bytes(top);
	uint64_t npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t bitmap = early_next;
	if (bitmap + npages * PAGE_SIZE > early.end)
		panic("mem: no room for the page bitmap (%lu KiB)", (unsigned long)(bytes >> 10));
	early_next += npages * PAGE_SIZE;
	pmm_setup(&pmm, phys_to_virt(bitmap), top);
	for (unsigned i = 0; i < bi->nmmap; i++)
		if (bi->mmap[i].type == BOOT_MEM_USABLE)
			pmm_release_range(&pmm, bi->mmap[i].base, bi->mmap[i].len);
	for (unsigned i = 0; i < nreserved; i++)
		pmm_reserve_range(&pmm, reserved[i].start, reserved[i].end - reserved[i].start);
	pmm_reserve_range(&pmm, early.start, early_next - early.start);
	pmm_ready = true;

	log_info("mem: %lu MiB usable, %lu MiB free for pages, %u boot map entries",
		 (unsigned long)(usable_bytes >> 20), (unsigned long)(pmm.free_pages >> 8),
		 bi->nmmap);
}
