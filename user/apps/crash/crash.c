/* An app that misbehaves: it writes to kernel memory. The kernel must stop it, not itself. */
#include "user/apps/sys.h"

void _start(void)
{
	static const char msg[] = "about to write to kernel memory\n";
	sys_write(1, msg, sizeof(msg) - 1);
	*(volatile unsigned long *)0xffffffff80100000UL = 0;
	sys_exit(0); /* never reached */
}
