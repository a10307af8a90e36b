/* An app that tries a privileged instruction (hlt): ring 3 gets #GP, the kernel stops it. */
#include "user/apps/sys.h"

void _start(void)
{
	__asm__ volatile("hlt");
	sys_exit(0); /* never reached */
}
