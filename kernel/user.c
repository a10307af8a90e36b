/* App address spaces, ELF loading, and running an app in ring 3. */
#include "kernel/user.h"
#include "kernel/bootinfo.h"
#include "kernel/datamod.h"
#include "kernel/elf.h"
#include "kernel/heap.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/spinlock.h"
#include "kernel/x86.h"
#include "user/libix/ix_abi.h"

/*
 * The highest end of an app's segments: the heap grows after the last one by up to
 * USER_HEAP_MAX, and neither may reach the areas the kernel maps for the app (the packet pools
 * at IX_RXMAP_BASE, the shared areas and the stacks above them).
 */
#define USER_IMAGE_END (IX_RXMAP_BASE - USER_HEAP_MAX)

_Static_assert(IX_STACK_TOP == USER_TOP && IX_STACK_STRIDE == USER_STACK_STRIDE,
	       "user/libix/ix_abi.h and kernel/user.h disagree on thread stacks");

/* Marks a mapping the app does not own (the packet pools): unloading leaves the page alone. */
#define PTE_FOREIGN (1ULL << 9)

#define RX_REGIONS_MAX 16
static struct {
	uint64_t phys, len;
} rx_regions[RX_REGIONS_MAX];
static unsigned rx_nregions;

void user_add_rx_region(uint64_t phys, uint64_t len)
{
	if (rx_nregions < RX_REGIONS_MAX && phys + len <= IX_RXMAP_SIZE)
		rx_regions[rx_nregions++] = (typeof(rx_regions[0])){phys, len};
}

bool user_rx_region_has(uint64_t phys)
{
	for (unsigned r = 0; r < rx_nregions; r++)
		if (phys >= rx_regions[r].phys && phys - rx_regions[r].phys < rx_regions[r].len)
			return true;
	return false;
}

/*
 * The entry for va at table level `leaf` (0: a 4 KiB page's, 1: a 2 MiB page's) in the app's
 * tables, creating tables (user-accessible) on the way. A 2 MiB page met above the leaf ends
 * the walk: its entry is returned and *large says so.
 */
static uint64_t *uwalk(uint64_t pml4, uint64_t va, int leaf, bool *large)
{
	uint64_t *t = phys_to_virt(pml4);

	*large = false;
	for (int level = 3; level > leaf; level--) {
		uint64_t *e = &t[(va >> (12 + 9 * level)) & 511];
		if (!(*e & PTE_P)) {
			uint64_t page = mem_page_alloc();
			if (!page)
				return NULL;
			/* U on the way down, or ring 3 could not reach the leaf at all. */
			*e = page | PTE_P | PTE_W | PTE_U;
		} else if (level == 1 && (*e & PTE_PS)) {
			*large = true;
			return e;
		}
		t = phys_to_virt(*e & PTE_ADDR);
	}
	return &t[(va >> (12 + 9 * leaf)) & 511];
}

/* The physical address of the 4 KiB page at va inside the 2 MiB page of entry e. */
static uint64_t large_page_phys(uint64_t e, uint64_t va)
{
	return (e & PTE_ADDR & ~(LARGE_PAGE_SIZE - 1ULL)) + (va & (LARGE_PAGE_SIZE - PAGE_SIZE));
}

/* Maps a fresh zeroed page at va; returns its kernel pointer or NULL. */
static uint8_t *umap_page(uint64_t pml4, uint64_t va, uint64_t flags)
{
	bool large;
	uint64_t *pte = uwalk(pml4, va, 0, &large);
	uint64_t pa;

	if (!pte)
		return NULL;
	if (large) /* heap growth again over a 2 MiB page it kept when it shrank */
		return phys_to_virt(large_page_phys(*pte, va));
	if (*pte & PTE_P) {
		*pte |= flags & PTE_W; /* two segments sharing a page: the more permissive wins */
		if (!(flags & PTE_NX))
			*pte &= ~PTE_NX;
		return phys_to_virt(*pte & PTE_ADDR);
	}
	pa = mem_page_alloc();
	if (!pa)
		return NULL;
	*pte = pa | PTE_P | PTE_U | flags;
	return phys_to_virt(pa);
}

/*
 * Maps a fresh zeroed 2 MiB page at va (2 MiB aligned) if its page-directory slot is empty and
 * memory has 2 MiB free in one aligned piece; false if not (the caller maps 4 KiB pages).
 */
static bool umap_large(uint64_t pml4, uint64_t va, uint64_t flags)
{
	bool large;
	uint64_t *pde = uwalk(pml4, va, 1, &large), pa;

	if (!pde || (*pde & PTE_P))
		return false;
	pa = mem_pages_alloc(LARGE_PAGE_SIZE / PAGE_SIZE, LARGE_PAGE_SIZE, 0);
	if (!pa)
		return false;
	*pde = pa | PTE_P | PTE_U | PTE_PS | flags;
	return true;
}

/* Maps the page at phys (not the app's) at va, read-only. */
static int umap_foreign(uint64_t pml4, uint64_t va, uint64_t phys)
{
	bool large;
	uint64_t *pte = uwalk(pml4, va, 0, &large);

	if (!pte || large)
		return -1;
	*pte = phys | PTE_P | PTE_U | PTE_NX | PTE_FOREIGN;
	return 0;
}

/* Stacks, shared areas and the packet-pool mapping of every thread. */
static int app_load_threads(struct app *app, unsigned nthreads)
{
	app->threads = kmalloc(nthreads * sizeof(struct uthread));
	if (!app->threads)
		return -1;
	memset(app->threads, 0, nthreads * sizeof(struct uthread));
	app->nthreads = nthreads;
	for (unsigned t = 0; t < nthreads; t++) {
		struct uthread *ut = &app->threads[t];
		uint64_t top = USER_TOP - t * USER_STACK_STRIDE;
		ut->app = app;
		ut->index = t;
		/* USER_STACK_PAGES below top, an unmapped guard page under them. */
		for (unsigned i = 1; i <= USER_STACK_PAGES; i++)
			if (!umap_page(app->pml4, top - i * PAGE_SIZE, PTE_W | PTE_NX))
				return -1;
		/* The argument string at the top of each stack; the stack starts below it. */
		uint8_t *argpage = umap_page(app->pml4, top - PAGE_SIZE, PTE_W | PTE_NX);
		memcpy(argpage + PAGE_SIZE - sizeof(app->args), app->args, sizeof(app->args));
		ut->stack_top = top - sizeof(app->args) - 64;
		ut->shared_uva = IX_SHARED_BASE + t * IX_SHARED_STRIDE;
		/* The kernel writes the area through the direct map: one run of pages. */
		uint64_t npages = (sizeof(struct ix_shared) + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t pa = mem_pages_alloc(npages, PAGE_SIZE, 0);
		if (!pa)
			return -1;
		memset(phys_to_virt(pa), 0, npages * PAGE_SIZE);
		ut->shared = phys_to_virt(pa);
		ut->shared_phys = pa;
		for (uint64_t i = 0; i < npages; i++) {
			bool large;
			uint64_t *pte = uwalk(app->pml4, ut->shared_uva + i * PAGE_SIZE, 0, &large);
			if (!pte || large) {
				mem_pages_free(pa + i * PAGE_SIZE, npages - i);
				return -1;
			}
			*pte = (pa + i * PAGE_SIZE) | PTE_P | PTE_U | PTE_W | PTE_NX;
		}
	}
	/* Received packets: read-only, at IX_RXMAP_BASE + their physical address. */
	for (unsigned r = 0; r < rx_nregions; r++)
		for (uint64_t p = rx_regions[r].phys & ~(PAGE_SIZE - 1ULL);
		     p < rx_regions[r].phys + rx_regions[r].len; p += PAGE_SIZE)
			if (umap_foreign(app->pml4, IX_RXMAP_BASE + p, p))
				return -1;
	/* The data modules: read-only too, and the NIC may send from them. */
	return datamod_map(app->pml4, umap_foreign);
}

int app_load(struct app *app, const char *name, const char *args, const uint8_t *image,
	     uint64_t len, unsigned nthreads)
{
	struct elf_layout lay;
	const char *why;

	memset(app, 0, sizeof(*app));
	strlcpy(app->name, name, sizeof(app->name));
	strlcpy(app->args, args, sizeof(app->args));
	if (elf_check(image, len, USER_BASE, USER_IMAGE_END, &lay, &why)) {
		if (lay.bad >= 0)
			log_err("app %s: refused: program header %d: %s", name, lay.bad, why);
		else
			log_err("app %s: refused: %s", name, why);
		return -1;
	}
	app->pml4 = mem_page_alloc();
	if (!app->pml4)
		return -1;
	/* The kernel half is shared (supervisor-only); the lower half is the app's alone. */
	memcpy((uint64_t *)phys_to_virt(app->pml4) + 256,
	       (uint64_t *)phys_to_virt(paging_kernel_cr3()) + 256, 256 * sizeof(uint64_t));

	/* elf_check has put every segment inside the file and [USER_BASE, USER_IMAGE_END). */
	for (unsigned i = 0; i < lay.nsegs; i++) {
		const struct elf_seg *sg = &lay.seg[i];
		uint64_t va = sg->vaddr, end = va + sg->memsz, fend = va + sg->filesz;
		uint64_t flags = (sg->flags & PF_W ? PTE_W : 0) | (sg->flags & PF_X ? 0 : PTE_NX);
		uint64_t page_end = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);
		if (page_end > app->brk_start)
			app->brk_start = page_end; /* the heap starts after the last segment */
		for (uint64_t p = va & ~(PAGE_SIZE - 1ULL); p < end; p += PAGE_SIZE) {
			uint8_t *page = umap_page(app->pml4, p, flags);
			if (!page) {
				log_err("app %s: out of memory loading", name);
				return -1;
			}
			/* Copy the part of the file that falls in this page. */
			uint64_t lo = p < va ? va : p, hi = p + PAGE_SIZE;
			if (hi > fend)
				hi = fend;
			if (lo < hi)
				memcpy(page + (lo - p), image + sg->offset + (lo - va), hi - lo);
		}
	}
	app->entry = lay.entry;
	app->brk = app->brk_start;
	if (app_load_threads(app, nthreads)) {
		log_err("app %s: out of memory for %u threads", name, nthreads);
		return -1;
	}
	return 0;
}

uint64_t app_brk(struct app *app, uint64_t addr)
{
	struct spinlock *lock = (struct spinlock *)&app->brk_lock;
	uint64_t end;

	spin_lock(lock);
	uint64_t old_top = (app->brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);
	end = app->brk;
	if (addr > old_top && addr <= app->brk_start + USER_HEAP_MAX) {
		/* Only what free memory can give beyond the kernel's reserve: refused whole,
		 * so malloc sees ENOMEM and not a heap that stops part way. */
		struct pmm pm;
		mem_stats(&pm);
		uint64_t want = (addr - old_top + PAGE_SIZE - 1) / PAGE_SIZE;
		if (pm.free_pages < want + USER_HEAP_RESERVE / PAGE_SIZE) {
			if (!app->brk_refused_logged)
				log_warn("app %s: heap growth to %lu MiB refused: %lu MiB free, %lu "
					 "MiB kept for the kernel (said once per app)",
					 app->name, (unsigned long)((addr - app->brk_start) >> 20),
					 (unsigned long)(pm.free_pages * PAGE_SIZE >> 20),
					 (unsigned long)(USER_HEAP_RESERVE >> 20));
			app->brk_refused_logged = true;
			addr = 0;
		}
	}
	if (addr != 0 && addr >= app->brk_start && addr <= app->brk_start + USER_HEAP_MAX) {
		/* Growing maps fresh zeroed pages; shrinking keeps them (and the NIC may still
		 * be sending from them: pages leave an app only when it is unloaded). */
		uint64_t p = old_top, large = 0;
		while (p < addr) {
			/* Whole aligned 2 MiB stretches take a 2 MiB page where memory has one: the
			 * slab memory of a big -m then costs one TLB entry per 2 MiB. */
			if (!(p & (LARGE_PAGE_SIZE - 1)) && addr - p >= LARGE_PAGE_SIZE &&
			    umap_large(app->pml4, p, PTE_W | PTE_NX)) {
				p += LARGE_PAGE_SIZE;
				large++;
				continue;
			}
			if (!umap_page(app->pml4, p, PTE_W | PTE_NX))
				break;
			p += PAGE_SIZE;
		}
		app->heap_large_pages += large;
		if (p >= addr)
			end = app->brk = addr;
		if (addr > old_top && addr - old_top >= (64ULL << 20)) /* not when it shrinks */
			log_info("app %s: heap grown to %lu MiB, %lu MiB of it in 2 MiB pages",
				 app->name, (unsigned long)((app->brk - app->brk_start) >> 20),
				 (unsigned long)(app->heap_large_pages * 2));
	}
	spin_unlock(lock);
	return end;
}

/* Frees the tables and pages below table t (a level-`level` table of the lower half). */
static void ufree_level(uint64_t table, int level)
{
	uint64_t *t = phys_to_virt(table);
	unsigned n = level == 3 ? 256 : 512; /* the PML4's upper half is the kernel's */

	for (unsigned i = 0; i < n; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level == 1 && (t[i] & PTE_PS))
			mem_pages_free(t[i] & PTE_ADDR & ~(LARGE_PAGE_SIZE - 1ULL),
				       LARGE_PAGE_SIZE / PAGE_SIZE);
		else if (level > 0)
			ufree_level(t[i] & PTE_ADDR, level - 1);
		else if (!(t[i] & PTE_FOREIGN))
			mem_pages_free(t[i] & PTE_ADDR, 1);
	}
	mem_pages_free(table, 1);
}

void app_unload(struct app *app)
{
	if (app->pml4)
		ufree_level(app->pml4, 3);
	app->pml4 = 0;
	if (app->threads)
		kfree(app->threads);
	app->threads = NULL;
	if (app->counters)
		kfree(app->counters);
	app->counters = NULL;
}

