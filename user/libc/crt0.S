/*
 * App start-up, for every thread: the kernel enters here with rdi = thread index, rsi =
 * thread count, rdx = the thread's libix shared area, rcx = the module's argument string.
 * __ix_start (user/libc/start.c) takes it from there.
 */
	.text
	.global _start
_start:
	xor %ebp, %ebp			/* ends backtraces */
	and $-16, %rsp			/* the ABI wants 16-byte alignment at each call */
	call __ix_start
1:	jmp 1b
	.section .note.GNU-stack, "", @progbits
