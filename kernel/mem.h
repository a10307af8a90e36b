/* Physical memory for the kernel: boot-time set-up and the page allocator behind a lock. */
#ifndef IXOS_MEM_H
#define IXOS_MEM_H

#include <stdint.h>
#include "kernel/pmm.h"

struct bootinfo;

/*
 * mem_init takes over memory at boot: an early allocator feeds paging_init, then the page
 * bitmap is built from the usable ranges of bi minus the image, the loader's information,
 * boot modules and pages used so far. Boot CPU, once, before any other allocation.
 */
void mem_init(const struct bootinfo *bi);

/* One zeroed 4 KiB page (physical address), or 0 when memory is exhausted. Any CPU. */
uint64_t mem_page_alloc(void);
/* As mem_page_alloc, but npages contiguous, aligned to align, below limit (0: anywhere). */
uint64_t mem_pages_alloc(uint64_t npages, uint64_t align, uint64_t limit);
/* Returns pages to the allocator; a double or bad free is refused, logged and counted. */
void mem_pages_free(uint64_t phys, uint64_t npages);

/* A snapshot of the allocator's counters. */
void mem_stats(struct pmm *out);

/* Usable RAM the boot map reported, in bytes (what "mem=" in the ready line shows). */
uint64_t mem_usable_bytes(void);

#endif
