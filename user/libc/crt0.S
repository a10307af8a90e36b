/* App start-up with newlib: constructors, main(0, NULL), then exit with its status. */
	.text
	.global _start
_start:
	xor %ebp, %ebp			/* ends backtraces */
	and $-16, %rsp			/* the ABI wants 16-byte alignment at each call */
	call __libc_init_array
	xor %edi, %edi
	xor %esi, %esi
	call main
	mov %eax, %edi
	call exit
1:	jmp 1b
	.section .note.GNU-stack, "", @progbits
