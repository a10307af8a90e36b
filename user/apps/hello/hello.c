/* The smallest app: prints from ring 3, checks the kernel refuses a bad pointer, exits. */
#include "user/apps/sys.h"

void _start(unsigned long thread)
{
	if (thread)
		sys_thread_exit(); /* one thread is enough */
	static const char msg[] = "hello from ring 3\n";
	long r = sys_write(1, msg, sizeof(msg) - 1);
	/* A kernel address as the buffer: the kernel must refuse it (EFAULT), not print it. */
	long bad = sys_write(1, (const void *)0xffffffff80100000UL, 16);

	sys_exit(r == (long)(sizeof(msg) - 1) && bad == -14 ? 7 : 1);
}
