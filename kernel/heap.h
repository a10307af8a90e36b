/* Kernel heap for slow-path objects (boot, management). Dataplane cores use per-core pools. */
#ifndef IXOS_HEAP_H
#define IXOS_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Returns size bytes, 16-byte aligned and zeroed, or NULL. Any CPU. */
void *kmalloc(size_t size);
/* Frees what kmalloc returned (NULL is ignored); a corrupted header is logged, not trusted. */
void kfree(void *p);

struct heap_stats {
	uint64_t allocs, frees, bad_frees, bytes_in_use, pages;
};
void heap_stats(struct heap_stats *out);

#endif
