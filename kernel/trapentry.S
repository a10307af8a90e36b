/*
 * Interrupt and exception entry. One stub per vector pushes a zero where the CPU pushes no
 * error code, then the vector; trap_common saves the registers as a struct trapframe
 * (kernel/trap.h) and calls trap_dispatch(frame).
 */
#include "kernel/frame.h"

	.text

/* Vectors whose exceptions push an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

/* 256 stubs of 16 bytes each: the stub for vector v is at trap_stubs + 16 * v. */
	.align 16
	.global trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if HAS_ERR(vec)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

	.text
trap_common:
	/* From ring 3, GS still holds the user's base: switch to the per-CPU one. */
	testb $3, 24(%rsp)
	jz 1f
	swapgs
1:	SAVE_GPRS
	cld
	mov %rsp, %rdi
	/* Link the interrupted frame so backtraces cross the trap. */
	mov 8 * 17(%rsp), %rax		/* interrupted RIP */
	pushq %rax
	pushq %rbp
	mov %rsp, %rbp
	call trap_dispatch
	add $16, %rsp
	RESTORE_GPRS
	testb $3, 24(%rsp)
	jz 2f
	swapgs
2:	add $16, %rsp			/* vector and error code */
	iretq
