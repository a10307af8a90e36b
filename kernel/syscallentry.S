/*
 * System call entry (SYSCALL from ring 3, Intel SDM vol. 2B "SYSCALL"): RCX holds the app's
 * RIP, R11 its RFLAGS, RSP is still the app's. We switch GS to the per-CPU area, park the
 * app's RSP there, move to this CPU's system-call stack and build a struct trapframe (with
 * the app's CS/SS/RIP/RSP/RFLAGS where an interrupt would put them), so syscalls, traps and
 * the exit paths share one frame layout. Offsets into struct percpu are checked in
 * kernel/syscall.c.
 */
#include "kernel/frame.h"
#include "kernel/layout.h"

#define PERCPU_USER_RSP 16
#define PERCPU_SYSCALL_RSP 24

	.text
	.global syscall_entry
syscall_entry:
	swapgs
	mov %rsp, %gs:PERCPU_USER_RSP
	mov %gs:PERCPU_SYSCALL_RSP, %rsp
	pushq $GDT_UDATA			/* ss */
	pushq %gs:PERCPU_USER_RSP		/* rsp */
	pushq %r11				/* rflags */
	pushq $GDT_UCODE			/* cs */
	pushq %rcx				/* rip */
	pushq $0				/* error code */
	pushq $0x80				/* "vector": a system call */
	SAVE_GPRS
	mov %rsp, %rdi
	xor %ebp, %ebp
	call syscall_dispatch		/* returns with the result in the frame's rax */
	RESTORE_GPRS
	add $16, %rsp			/* vector, error code */
	mov 0(%rsp), %rcx		/* rip */
	mov 16(%rsp), %r11		/* rflags */
	mov 24(%rsp), %rsp		/* the app's stack */
	/* Interrupts stay off (FMASK) from here to sysret, so no handler sees the user RSP. */
	swapgs
	sysretq

/* Saves the kernel's callee-saved registers, stack and flags in the struct uctx at %rdi
 * (what uleave restores), then turns interrupts off. */
.macro SAVE_KCTX
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	mov %rsp, 48(%rdi)
	pushfq
	popq 56(%rdi)
	cli
.endm

/*
 * uenter(struct uctx *k, rip, rsp, const uint64_t args[4]): saves this kernel context in k and
 * drops to ring 3 at rip with stack rsp, and rdi, rsi, rdx, rcx from args (the thread's
 * start-up arguments); every other register zero. Returns (the value passed to uleave) when
 * the thread parks, exits or faults.
 */
	.global uenter
uenter:
	SAVE_KCTX
	pushq $GDT_UDATA
	pushq %rdx
	pushq $0x202			/* IF set: the LAPIC tick keeps running in the app */
	pushq $GDT_UCODE
	pushq %rsi
	mov 0(%rcx), %rdi
	mov 8(%rcx), %rsi
	mov 16(%rcx), %rdx
	mov 24(%rcx), %rcx
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	swapgs				/* GS: the app's (0); the per-CPU area waits in KERNEL_GS_BASE */
	iretq

/*
 * uresume(struct uctx *k, struct trapframe *tf): saves this kernel context in k and returns
 * to ring 3 with every register from tf (a parked thread's system call returns). Returns as
 * uenter does.
 */
	.global uresume
uresume:
	SAVE_KCTX
	/* Interrupts are off until iretq: nothing uses this stack (tf itself) meanwhile. */
	mov %rsi, %rsp
	RESTORE_GPRS
	add $16, %rsp			/* vector, error code */
	swapgs
	iretq

/* uleave(struct uctx *k, long value): back to where uenter or uresume was called, returning value. */
	.global uleave
uleave:
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	mov %rsi, %rax
	pushq 56(%rdi)
	popfq				/* interrupts as they were when uenter was called */
	ret
