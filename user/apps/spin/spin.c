/* An app that never gives the CPU back: the kernel's time budget must stop it. */
#include "user/apps/sys.h"

void _start(unsigned long thread)
{
	if (thread)
		sys_thread_exit(); /* one thread is enough */
	static const char msg[] = "spinning\n";
	sys_write(1, msg, sizeof(msg) - 1);
	for (;;)
		__asm__ volatile("" ::: "memory");
}
