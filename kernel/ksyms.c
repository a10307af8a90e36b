/*
 * Kernel symbol table for backtraces. The build links the kernel once, lists its functions
 * with nm (tools/gensyms.sh) into a .ksyms section at the end of .rodata, and links again;
 * text does not move between the two links, so the addresses hold.
 */
#include <stddef.h>
#include "kernel/trap.h"

struct ksym {
	uint64_t addr;
	const char *name;
};

extern const struct ksym __ksyms_start[], __ksyms_end[];
extern char __rodata_start[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	const struct ksym *lo = __ksyms_start, *hi = __ksyms_end;

	/* Sorted by address: find the last symbol at or below addr, inside the code. */
	if (lo == hi || addr < lo->addr || addr >= (uint64_t)__rodata_start)
		return NULL;
	while (hi - lo > 1) {
		const struct ksym *mid = lo + (hi - lo) / 2;
		if (mid->addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - lo->addr;
	return lo->name;
}
