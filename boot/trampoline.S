/*
 * AP start-up code. kernel/smp.c copies trampoline_start..trampoline_end to TRAMPOLINE_PHYS
 * and fills the parameter block; a STARTUP IPI starts the AP here in real mode at
 * TRAMPOLINE_PHYS:0. It goes to protected mode, turns on PAE, long mode and paging with the
 * trampoline page tables (which identity-map this page), and jumps to ap_start64 in the kernel.
 * Everything here is position-dependent on TRAMPOLINE_PHYS, hence TP().
 */
#include "kernel/layout.h"

#define TP(x) ((x) - trampoline_start + TRAMPOLINE_PHYS)

	.section .rodata
	.code16
	.global trampoline_start, trampoline_end, trampoline_params
trampoline_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl TP(tramp_gdtr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $TP(tramp32)

	.code32
tramp32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $((1 << 5) | (1 << 7)), %eax		/* PAE, PGE */
	mov %eax, %cr4
	mov TP(tp_cr3), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $((1 << 8) | (1 << 11)), %eax	/* LME, NXE */
	wrmsr
	mov %cr0, %eax
	or $((1 << 31) | (1 << 16)), %eax	/* PG, WP */
	mov %eax, %cr0
	ljmp $0x18, $TP(tramp64)

	.code64
tramp64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov TP(tp_arg), %rdi
	mov TP(tp_stack), %rsi
	mov TP(tp_kernel_cr3), %rdx
	mov TP(tp_entry), %rax
	jmp *%rax

	.align 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tramp_gdtr:
	.short tramp_gdtr - tramp_gdt - 1
	.long TP(tramp_gdt)

	/* Parameter block: struct trampoline_params in kernel/smp.c. */
	.align 8
trampoline_params:
tp_cr3:
	.quad 0		/* trampoline page tables (below 4 GiB) */
tp_kernel_cr3:
	.quad 0
tp_stack:
	.quad 0
tp_entry:
	.quad 0
tp_arg:
	.quad 0
trampoline_end:

	.text
	.code64
	/* ap_start64(arg=rdi, stack=rsi, kernel cr3=rdx): now at kernel addresses. */
	.global ap_start64
ap_start64:
	mov %rdx, %cr3
	mov %rsi, %rsp
	xor %ebp, %ebp
	call ap_main
1:	cli
	hlt
	jmp 1b
