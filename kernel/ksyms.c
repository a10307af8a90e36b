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

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	const struct ksym *lo = __ksyms_start, *hi = __ksyms_end;

	/* Sorted by address: find the last symbol at or below addr. */
	if (lo == hi || addr < lo->addr)
		return NULL;
	while (hi - lo > 1) {
		const struct ksym *mid = lo + (hi - lo) / 2;
		if (mid->addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (lo + 1 == __ksyms_end && addr - lo->addr > 0x10000)
		return NULL; /* beyond the last function */
	*offset = addr - lo->addr;
	return lo->name;
}
