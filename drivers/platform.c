/* The kernel's side of drivers/platform.h. */
#include <stdarg.h>
#include "drivers/platform.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/time.h"

void *dma_alloc(size_t size, uint64_t *phys)
{
	uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t pa = mem_pages_alloc(pages, PAGE_SIZE, 0);

	if (!pa)
		return NULL;
	*phys = pa; /* no IOMMU: bus addresses are physical addresses */
	return phys_to_virt(pa);
}

void dma_free(void *va, size_t size)
{
	mem_pages_free(virt_to_phys(va), (size + PAGE_SIZE - 1) / PAGE_SIZE);
}

void plat_delay_us(unsigned us)
{
	time_delay_us(us);
}

void plat_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvlog(level, fmt, ap);
	va_end(ap);
}
