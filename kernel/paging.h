/* Kernel page tables: the direct map of RAM, the image with W^X, device and stack mappings. */
#ifndef IXOS_PAGING_H
#define IXOS_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/layout.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PS (1ULL << 7) /* 2 MiB page (in a page directory entry) */
#define PTE_G (1ULL << 8)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Page flags for common uses. */
#define PAGE_KDATA (PTE_P | PTE_W | PTE_NX | PTE_G)
#define PAGE_KRO (PTE_P | PTE_NX | PTE_G)
#define PAGE_KTEXT (PTE_P | PTE_G)
#define PAGE_MMIO (PTE_P | PTE_W | PTE_NX | PTE_PCD | PTE_PWT)

struct bootinfo;

/* Physical address -> pointer in the direct map (valid for RAM once paging_init is done). */
static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(PHYSMAP_BASE + phys);
}

/* Direct-map or image pointer -> physical address. */
uint64_t virt_to_phys(const void *va);

/*
 * paging_init builds the kernel's own tables and switches to them: RAM (usable, ACPI and NVS
 * ranges of bi, plus the first MiB) at PHYSMAP_BASE in 2 MiB pages where aligned, the image
 * at KERNEL_VMA with text RX, rodata R and data RW (all NX but text), no identity map, the
 * page under the boot stack left unmapped as a guard. Turns on CR4.PGE. Boot CPU, once.
 */
void paging_init(const struct bootinfo *bi);

/*
 * Maps [va, va+len) to [pa, pa+len) with flags (PTE_* bits; len and addresses page aligned).
 * Uses 2 MiB pages where flags allow and both sides are aligned. Returns 0, or -1 when a
 * page-table page cannot be allocated or va is already mapped to something else.
 */
int paging_map(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags);

/* Removes the 4 KiB mappings in [va, va+len) (splitting large pages) and flushes this CPU. */
void paging_unmap(uint64_t va, uint64_t len);

/* Walks the kernel tables: true and fills pa and flags (of the leaf) when va is mapped. */
bool paging_translate(uint64_t va, uint64_t *pa, uint64_t *flags);

/*
 * Maps len bytes of device memory at phys uncached and returns a pointer to it. Returns NULL
 * when tables cannot be allocated. Idempotent for the same range.
 */
void *mmio_map(uint64_t phys, uint64_t len);

/*
 * Makes [phys, phys+len) readable through the direct map even if it is not RAM the boot map
 * listed (firmware tables in reserved memory). Returns the pointer or NULL.
 */
const void *phys_map_ro(uint64_t phys, uint64_t len);

/*
 * Allocates a kernel stack of KSTACK_PAGES pages above an unmapped guard page, so an overflow
 * faults instead of corrupting memory. Returns the stack top (16-byte aligned) or 0.
 */
uint64_t kstack_alloc(void);

/* The kernel's PML4 (physical), for CR3 on every CPU. */
uint64_t paging_kernel_cr3(void);

/*
 * A PML4 for the AP start-up code: the kernel's tables plus an identity map of the first
 * 2 MiB, where the trampoline runs while paging turns on. Physical address below 4 GiB.
 */
uint64_t paging_trampoline_cr3(void);

#endif
