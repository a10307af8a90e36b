/* Kernel page tables (4-level, 4 KiB and 2 MiB pages). Intel SDM vol. 3A, chapter 4.5. */
#include "kernel/paging.h"
#include "kernel/bootinfo.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/spinlock.h"
#include "kernel/x86.h"

extern char __image_start[], __rodata_start[], __data_start[], __bss_end[];
extern char boot_stack_guard[];

static uint64_t kernel_pml4;	/* physical */
static uint64_t tramp_pml4;	/* physical, below 4 GiB */
static bool physmap_live;	/* false while still on the loader's identity map */
static struct spinlock paging_lock;
static uint64_t stack_next = STACKS_BASE;

/* Page-table pages are reached through the identity map before the switch, the direct map after. */
static uint64_t *table_virt(uint64_t phys)
{
	return (uint64_t *)(physmap_live ? PHYSMAP_BASE + phys : phys);
}

uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;

	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	return v - PHYSMAP_BASE;
}

static uint64_t idx(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* Returns the entry for va at level (0 = PT, 1 = PD), creating tables on the way if create. */
static uint64_t *walk(uint64_t va, int level, bool create)
{
	uint64_t *t = table_virt(kernel_pml4);

	for (int l = 3; l > level; l--) {
		uint64_t *e = &t[idx(va, l)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t page = mem_page_alloc();
			if (!page)
				return NULL;
			/* Upper levels are permissive; the leaf decides (W, U, NX). */
			*e = page | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			if (!create)
				return e; /* a large page covers va: caller checks PS */
			/* Split a 2 MiB page into 512 small ones with the same flags. */
			uint64_t page = mem_page_alloc();
			if (!page)
				return NULL;
			uint64_t *pt = table_virt(page);
			uint64_t flags = *e & ~PTE_ADDR & ~PTE_PS, base = *e & PTE_ADDR;
			for (int i = 0; i < 512; i++)
				pt[i] = (base + (uint64_t)i * PAGE_SIZE) | flags;
			*e = page | PTE_P | PTE_W;
		}
		t = table_virt(*e & PTE_ADDR);
	}
	return &t[idx(va, level)];
}

static int map_locked(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	uint64_t end = va + len;

	while (va < end) {
		bool large = !(va % LARGE_PAGE_SIZE) && !(pa % LARGE_PAGE_SIZE) &&
			     end - va >= LARGE_PAGE_SIZE;
		if (large) {
			uint64_t *e = walk(va, 1, true);
			if (!e)
				return -1;
			if (!(*e & PTE_P)) {
				*e = pa | flags | PTE_PS;
				va += LARGE_PAGE_SIZE, pa += LARGE_PAGE_SIZE;
				continue;
			}
			if ((*e & PTE_PS) && (*e & PTE_ADDR) == pa) {
				va += LARGE_PAGE_SIZE, pa += LARGE_PAGE_SIZE;
				continue;
			}
		}
		uint64_t *e = walk(va, 0, true);
		if (!e)
			return -1;
		if ((*e & PTE_P) && (*e & PTE_ADDR) != pa)
			return -1;
		*e = pa | flags;
		invlpg(va);
		va += PAGE_SIZE, pa += PAGE_SIZE;
	}
	return 0;
}

int paging_map(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	uint64_t f = spin_lock_irqsave(&paging_lock);
	int r = map_locked(va, pa, len, flags);

	spin_unlock_irqrestore(&paging_lock, f);
	return r;
}

void paging_unmap(uint64_t va, uint64_t len)
{
	uint64_t f = spin_lock_irqsave(&paging_lock);

	for (uint64_t end = va + len; va < end; va += PAGE_SIZE) {
		uint64_t *e = walk(va, 0, false);
		if (e && (*e & PTE_PS))
			e = walk(va, 0, true); /* split, then drop one small page */
		if (e)
			*e = 0;
		invlpg(va);
	}
	spin_unlock_irqrestore(&paging_lock, f);
}

bool paging_translate(uint64_t va, uint64_t *pa, uint64_t *flags)
{
	uint64_t *t = table_virt(kernel_pml4);

	for (int l = 3; l >= 0; l--) {
		uint64_t e = t[idx(va, l)];
		if (!(e & PTE_P))
			return false;
		if (l == 0 || (l == 1 && (e & PTE_PS))) {
			uint64_t size = l ? LARGE_PAGE_SIZE : PAGE_SIZE;
			*pa = (e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
			*flags = e & ~PTE_ADDR;
			return true;
		}
		t = table_virt(e & PTE_ADDR);
	}
	return false;
}

static void map_or_die(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	if (map_locked(va, pa, len, flags))
		panic("paging: cannot map %#lx (+%#lx): out of page-table memory", va, len);
}

static void map_image_range(char *start, char *end, uint64_t flags)
{
	uint64_t s = (uint64_t)start, e = ((uint64_t)end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);

	/* 4 KiB pages only, so the permissions follow the section boundaries exactly. */
	for (uint64_t va = s; va < e; va += PAGE_SIZE) {
		if (va == (uint64_t)boot_stack_guard)
			continue;
		uint64_t *pte = walk(va, 0, true);
		if (!pte)
			panic("paging: out of memory mapping the image");
		*pte = (va - KERNEL_VMA) | flags;
	}
}

void paging_init(const struct bootinfo *bi)
{
	uint64_t top = 0;

	kernel_pml4 = mem_page_alloc();
	if (!kernel_pml4)
		panic("paging: no memory for the page tables");

	map_or_die(PHYSMAP_BASE, 0, 1 << 20, PAGE_KDATA);
	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		if (e->type != BOOT_MEM_USABLE && e->type != BOOT_MEM_ACPI &&
		    e->type != BOOT_MEM_NVS)
			continue;
		uint64_t s = e->base & ~(PAGE_SIZE - 1ULL);
		uint64_t end = (e->base + e->len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);
		if (end > PHYSMAP_MAX)
			end = PHYSMAP_MAX;
		if (s >= end)
			continue;
		map_or_die(PHYSMAP_BASE + s, s, end - s, PAGE_KDATA);
		if (end > top)
			top = end;
	}
	map_image_range(__image_start, __rodata_start, PAGE_KTEXT);
	map_image_range(__rodata_start, __data_start, PAGE_KRO);
	map_image_range(__data_start, __bss_end, PAGE_KDATA);
	/*
	 * Every upper-half PML4 entry exists from now on (1 MiB of tables): an app's address
	 * space copies these 256 entries when it is loaded, and dataplane cores keep an app's
	 * tables loaded while they run kernel code, so a slot the kernel filled later would be
	 * missing there.
	 */
	for (unsigned i = 256; i < 512; i++) {
		uint64_t *e = &table_virt(kernel_pml4)[i];
		if (*e & PTE_P)
			continue;
		uint64_t page = mem_page_alloc();
		if (!page)
			panic("paging: no memory for the kernel's top-level tables");
		*e = page | PTE_P | PTE_W;
	}

	write_cr4(read_cr4() | CR4_PGE);
	write_cr3(kernel_pml4);
	physmap_live = true;
	log_info("paging: direct map of %lu MiB at %#lx, image W^X, stack guard at %p",
		 (unsigned long)(top >> 20), (unsigned long)PHYSMAP_BASE, (void *)boot_stack_guard);
}

void *mmio_map(uint64_t phys, uint64_t len)
{
	uint64_t s = phys & ~(PAGE_SIZE - 1ULL);
	uint64_t e = (phys + len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);

	/* Device memory is never RAM, so its direct-map address is free for an uncached alias. */
	for (uint64_t p = s; p < e; p += PAGE_SIZE) {
		uint64_t pa, fl;
		if (paging_translate(PHYSMAP_BASE + p, &pa, &fl))
			continue;
		if (paging_map(PHYSMAP_BASE + p, p, PAGE_SIZE, PAGE_MMIO))
			return NULL;
	}
	return (void *)(PHYSMAP_BASE + phys);
}

const void *phys_map_ro(uint64_t phys, uint64_t len)
{
	uint64_t s = phys & ~(PAGE_SIZE - 1ULL);
	uint64_t e = (phys + len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);

	if (e > PHYSMAP_MAX || e < s)
		return NULL;
	for (uint64_t p = s; p < e; p += PAGE_SIZE) {
		uint64_t pa, fl;
		if (paging_translate(PHYSMAP_BASE + p, &pa, &fl))
			continue;
		if (paging_map(PHYSMAP_BASE + p, p, PAGE_SIZE, PAGE_KRO))
			return NULL;
	}
	return (const void *)(PHYSMAP_BASE + phys);
}

uint64_t kstack_alloc(void)
{
	uint64_t f = spin_lock_irqsave(&paging_lock);
	uint64_t base = stack_next + PAGE_SIZE; /* the guard page stays unmapped */

	stack_next += (KSTACK_PAGES + 1) * PAGE_SIZE;
	spin_unlock_irqrestore(&paging_lock, f);
	for (int i = 0; i < KSTACK_PAGES; i++) {
		uint64_t pa = mem_page_alloc();
		if (!pa || paging_map(base + i * PAGE_SIZE, pa, PAGE_SIZE, PAGE_KDATA))
			return 0;
	}
	return base + KSTACK_PAGES * PAGE_SIZE;
}

uint64_t paging_kernel_cr3(void)
{
	return kernel_pml4;
}

uint64_t paging_trampoline_cr3(void)
{
	if (tramp_pml4)
		return tramp_pml4;
	uint64_t pml4 = mem_pages_alloc(1, PAGE_SIZE, 1ULL << 32);
	uint64_t pdpt = mem_pages_alloc(1, PAGE_SIZE, 1ULL << 32);
	uint64_t pd = mem_pages_alloc(1, PAGE_SIZE, 1ULL << 32);
	if (!pml4 || !pdpt || !pd)
		panic("paging: no low memory for the AP start-up tables");
	uint64_t *t = table_virt(pml4);
	memcpy(t, table_virt(kernel_pml4), PAGE_SIZE);
	t[0] = pdpt | PTE_P | PTE_W;
	table_virt(pdpt)[0] = pd | PTE_P | PTE_W;
	table_virt(pd)[0] = 0 | PTE_P | PTE_W | PTE_PS;
	tramp_pml4 = pml4;
	return pml4;
}
