/*
 * First code to run: a Multiboot loader left us in 32-bit protected mode, paging off,
 * EAX = loader magic, EBX = physical address of the boot information.
 * We build throw-away page tables (the first 4 GiB identity-mapped, the first 2 GiB again at
 * KERNEL_VMA, 2 MiB pages), enter long mode and call kmain(magic, info) on the boot stack.
 * kernel/paging.c replaces these tables with the real ones.
 */
#include "kernel/layout.h"

#define PHYS(x) ((x) - KERNEL_VMA)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define COM1 0x3f8

	.section .text.boot32, "ax"
	.code32
	.global _start32
_start32:
	cli
	cld
	mov $PHYS(boot_stack_top), %esp
	mov %eax, PHYS(boot_magic)
	mov %ebx, PHYS(boot_info)

	/* Long mode present? CPUID 0x80000001 EDX bit 29. */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	test $(1 << 29), %edx
	jz no_long_mode

	/* Zero the boot page tables: loaders clear .bss, but do not rely on it. */
	mov $PHYS(boot_pml4), %edi
	mov $(7 * 4096 / 4), %ecx
	xor %eax, %eax
	rep stosl

	/* Four page directories of 2 MiB pages: 0..4 GiB. */
	mov $PHYS(boot_pd), %edi
	mov $(PTE_P | PTE_W | PTE_PS), %eax
	xor %edx, %edx
	mov $2048, %ecx
1:	mov %eax, (%edi)
	mov %edx, 4(%edi)
	add $0x200000, %eax
	adc $0, %edx
	add $8, %edi
	loop 1b

	/* Low PDPT: identity 0..4 GiB. High PDPT: entries 510, 511 = 0..2 GiB at -2 GiB. */
	mov $PHYS(boot_pd), %eax
	or $(PTE_P | PTE_W), %eax
	mov $PHYS(boot_pdpt_low), %edi
	mov %eax, 0(%edi)
	add $4096, %eax
	mov %eax, 8(%edi)
	mov %eax, PHYS(boot_pdpt_high) + 511 * 8
	sub $4096, %eax
	mov %eax, PHYS(boot_pdpt_high) + 510 * 8
	add $8192, %eax
	mov %eax, 16(%edi)
	add $4096, %eax
	mov %eax, 24(%edi)

	mov $PHYS(boot_pdpt_low), %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, PHYS(boot_pml4)
	mov $PHYS(boot_pdpt_high), %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, PHYS(boot_pml4) + 511 * 8

	/* PAE on, tables in, then EFER.LME (and NXE for later NX mappings), then paging. */
	mov %cr4, %eax
	or $(1 << 5), %eax
	mov %eax, %cr4
	mov $PHYS(boot_pml4), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $((1 << 8) | (1 << 11)), %eax
	wrmsr
	mov %cr0, %eax
	or $((1 << 31) | (1 << 16) | 1), %eax
	mov %eax, %cr0

	lgdt PHYS(boot_gdtr)
	ljmp $0x08, $PHYS(start64_low)

/* Without long mode there is nothing we can do; say so on COM1 and stop. */
no_long_mode:
	mov $PHYS(no_lm_msg), %esi
2:	lodsb
	test %al, %al
	jz 4f
	mov %al, %bl
	mov $(COM1 + 5), %dx
3:	inb %dx, %al
	test $0x20, %al
	jz 3b
	mov $COM1, %dx
	mov %bl, %al
	outb %al, %dx
	jmp 2b
4:	cli
	hlt
	jmp 4b

	.code64
start64_low:
	movabs $start64, %rax
	jmp *%rax

	.text
start64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp			/* ends the backtrace chain */
	mov PHYS(boot_magic), %edi
	mov PHYS(boot_info), %esi
	call kmain
5:	cli
	hlt
	jmp 5b

	.section .rodata
no_lm_msg:
	.asciz "ixos: this CPU has no 64-bit long mode; halting\r\n"

	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdtr:
	.short boot_gdt_end - boot_gdt - 1
	.long PHYS(boot_gdt)

	.data
	.align 4
	.global boot_magic, boot_info
boot_magic:
	.long 0
boot_info:
	.long 0

	.section .bss
	.align 4096
boot_pml4:
	.skip 4096
boot_pdpt_low:
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 4 * 4096
	/* The page below the boot stack stays unmapped once kernel/paging.c takes over. */
	.global boot_stack_guard, boot_stack_top
boot_stack_guard:
	.skip 4096
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:
