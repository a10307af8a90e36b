/*
 * Boot headers. One ELF64 image boots three ways:
 *  - GRUB2 reads the Multiboot2 header (multiboot2 command);
 *  - QEMU -kernel and iPXE read the Multiboot1 header. Both refuse an ELF64 unless flag 16
 *    (the "a.out kludge") gives the load addresses, so both headers carry them.
 * Both headers must lie early in the file (MB1: first 8 KiB, MB2: first 32 KiB); the linker
 * script puts .multiboot first. All addresses here are physical.
 */
#include "kernel/layout.h"

#define PHYS(x) ((x) - KERNEL_VMA)

#define MB1_MAGIC 0x1badb002
#define MB1_PAGE_ALIGN (1 << 0)	/* modules on page boundaries */
#define MB1_MEMINFO (1 << 1)	/* we want the memory map */
#define MB1_AOUT_KLUDGE (1 << 16)	/* the address fields below are valid */
#define MB1_FLAGS (MB1_PAGE_ALIGN | MB1_MEMINFO | MB1_AOUT_KLUDGE)

#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_INFO_REQ 1
#define MB2_TAG_ADDRESS 2
#define MB2_TAG_ENTRY 3
#define MB2_TAG_MODALIGN 6
#define MB2_INFO_CMDLINE 1
#define MB2_INFO_MODULE 3
#define MB2_INFO_MMAP 6
#define MB2_INFO_ACPI_OLD 14
#define MB2_INFO_ACPI_NEW 15

	.section .multiboot, "a"
	.align 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long PHYS(mb1_header)		/* header_addr */
	.long PHYS(__image_start)	/* load_addr */
	.long PHYS(__load_end)		/* load_end_addr */
	.long PHYS(__bss_end)		/* bss_end_addr */
	.long PHYS(_start32)		/* entry_addr */

	.align 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	.align 8
	.short MB2_TAG_INFO_REQ, 1		/* optional: boot even if some are missing */
	.long 8 + 4 * 5
	.long MB2_INFO_CMDLINE, MB2_INFO_MODULE, MB2_INFO_MMAP, MB2_INFO_ACPI_OLD, MB2_INFO_ACPI_NEW

	.align 8
	.short MB2_TAG_ADDRESS, 0
	.long 24
	.long PHYS(mb2_header)
	.long PHYS(__image_start)
	.long PHYS(__load_end)
	.long PHYS(__bss_end)

	.align 8
	.short MB2_TAG_ENTRY, 0
	.long 12
	.long PHYS(_start32)

	.align 8
	.short MB2_TAG_MODALIGN, 0
	.long 8

	.align 8
	.short MB2_TAG_END, 0
	.long 8
mb2_header_end:
