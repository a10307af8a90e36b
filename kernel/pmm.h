/* Physical page allocator: one bit per 4 KiB page frame, set = in use. */
#ifndef IXOS_PMM_H
#define IXOS_PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmm {
	uint64_t *bitmap;	/* npages bits */
	uint64_t npages;	/* frames 0 .. npages-1 are tracked */
	uint64_t free_pages;
	uint64_t managed_pages;	/* pages ever handed to pmm_release_range */
	uint64_t next;		/* where the next search starts (next fit) */
	uint64_t double_frees;	/* frees of pages already free: refused and counted */
	uint64_t bad_frees;	/* frees of unaligned or out-of-range addresses */
};

/* Bytes of bitmap needed to track memory up to phys_limit. */
size_t pmm_bitmap_bytes(uint64_t phys_limit);

/* Starts with every frame in use; bitmap must hold pmm_bitmap_bytes(phys_limit) bytes. */
void pmm_setup(struct pmm *p, uint64_t *bitmap, uint64_t phys_limit);

/* Marks the whole pages inside [base, base+len) free (partial pages at the edges stay used). */
void pmm_release_range(struct pmm *p, uint64_t base, uint64_t len);

/* Marks every page touching [base, base+len) used again (e.g. a boot module). */
void pmm_reserve_range(struct pmm *p, uint64_t base, uint64_t len);

/*
 * Allocates npages contiguous frames, aligned to align bytes (a power of two >= 4096), all
 * below limit (0: no limit). Returns the physical address or 0 when none fits. Frame 0 is
 * never handed out, so 0 always means failure.
 */
uint64_t pmm_alloc_contig(struct pmm *p, uint64_t npages, uint64_t align, uint64_t limit);

/* Frees npages frames at phys. Returns 0, or -1 (and counts it) for a bad or double free;
 * the bitmap is left unchanged for the offending pages. */
int pmm_free_contig(struct pmm *p, uint64_t phys, uint64_t npages);

bool pmm_is_free(const struct pmm *p, uint64_t phys);

#endif
