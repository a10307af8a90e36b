/* The kernel's virtual address layout; shared by C, assembly and (as numbers) linker.ld. */
#ifndef IXOS_LAYOUT_H
#define IXOS_LAYOUT_H

/* The image runs at -2 GiB (gcc -mcmodel=kernel) and is loaded at 1 MiB physical. */
#define KERNEL_VMA 0xffffffff80000000
#define KERNEL_PHYS 0x100000

/* All of RAM is mapped here (large pages, NX): phys p is at PHYSMAP_BASE + p. */
#define PHYSMAP_BASE 0xffff800000000000
#define PHYSMAP_MAX (64ULL << 30)

/* Device registers (uncached) and guarded kernel stacks get virtual space here. */
#define MMIO_BASE 0xffffc00000000000
#define MMIO_SIZE (64ULL << 30)
#define STACKS_BASE 0xffffc80000000000
#define STACKS_SIZE (64ULL << 30)

#define PAGE_SIZE 4096
#define LARGE_PAGE_SIZE (2 * 1024 * 1024)

/* Boot and kernel stacks: KSTACK_PAGES mapped pages above one unmapped guard page. */
#define KSTACK_PAGES 4
#define BOOT_STACK_SIZE 16384

/* Where the AP start-up code is copied: below 1 MiB, page aligned (SIPI vector = addr >> 12). */
#define TRAMPOLINE_PHYS 0x8000

/* Segment selectors, in the order of the GDT built in kernel/gdt.c. */
#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x1b /* user data, RPL 3 (sysret wants it right after kernel data + 8) */
#define GDT_UCODE 0x23 /* user code, RPL 3 */
#define GDT_TSS 0x28

#endif
