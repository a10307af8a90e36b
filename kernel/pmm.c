/* Bitmap page-frame allocator: pure logic, no locks (kernel/mem.c wraps it for the kernel). */
#include "kernel/pmm.h"

#define PMM_PAGE 4096ULL

static bool bit_get(const struct pmm *p, uint64_t i)
{
	return p->bitmap[i / 64] >> (i % 64) & 1;
}

static void bit_set(struct pmm *p, uint64_t i)
{
	p->bitmap[i / 64] |= 1ULL << (i % 64);
}

static void bit_clear(struct pmm *p, uint64_t i)
{
	p->bitmap[i / 64] &= ~(1ULL << (i % 64));
}

size_t pmm_bitmap_bytes(uint64_t phys_limit)
{
	uint64_t pages = (phys_limit + PMM_PAGE - 1) / PMM_PAGE;
	return (pages + 63) / 64 * 8;
}

void pmm_setup(struct pmm *p, uint64_t *bitmap, uint64_t phys_limit)
{
	p->bitmap = bitmap;
	p->npages = (phys_limit + PMM_PAGE - 1) / PMM_PAGE;
	p->free_pages = p->managed_pages = p->next = 0;
	p->double_frees = p->bad_frees = 0;
	for (uint64_t i = 0; i < (p->npages + 63) / 64; i++)
		bitmap[i] = ~0ULL;
}

void pmm_release_range(struct pmm *p, uint64_t base, uint64_t len)
{
	if (len > UINT64_MAX - base)
		len = UINT64_MAX - base; /* must not wrap around onto low frames */
	uint64_t first = base / PMM_PAGE + (base % PMM_PAGE != 0);
	uint64_t end = (base + len) / PMM_PAGE;

	if (first == 0)
		first = 1; /* frame 0 stays used: 0 is the failure value */
	if (end > p->npages)
		end = p->npages;
	for (uint64_t i = first; i < end; i++) {
		if (bit_get(p, i)) {
			bit_clear(p, i);
			p->free_pages++;
			p->managed_pages++;
		}
	}
}

void pmm_reserve_range(struct pmm *p, uint64_t base, uint64_t len)
{
	if (len > UINT64_MAX - base)
		len = UINT64_MAX - base; /* up to the top, not wrapped around to nothing */
	uint64_t first = base / PMM_PAGE;
	uint64_t end = (base + len) / PMM_PAGE + ((base + len) % PMM_PAGE != 0);

	if (end > p->npages)
		end = p->npages;
	for (uint64_t i = first; i < end; i++) {
		if (!bit_get(p, i)) {
			bit_set(p, i);
			p->free_pages--;
			p->managed_pages--;
		}
	}
}

/* Looks for a run in frames [from, to); returns its first frame or 0. */
static uint64_t pmm_search(struct pmm *p, uint64_t from, uint64_t to, uint64_t n, uint64_t step)
{
	from = (from + step - 1) / step * step;
	for (uint64_t i = from; i + n <= to; i += step) {
		uint64_t j = 0;

		/* Skip fully used 64-frame words quickly when searching single pages. */
		if (step == 1 && i % 64 == 0 && p->bitmap[i / 64] == ~0ULL) {
			i += 63;
			continue;
		}
		while (j < n && !bit_get(p, i + j))
			j++;
		if (j == n)
			return i;
		if (step == 1)
			i += j; /* the frame at i+j is used: restart after it */
	}
	return 0;
}

uint64_t pmm_alloc_contig(struct pmm *p, uint64_t npages, uint64_t align, uint64_t limit)
{
	uint64_t step = align > PMM_PAGE ? align / PMM_PAGE : 1;
	uint64_t top = limit ? limit / PMM_PAGE : p->npages;
	uint64_t start = p->next < top ? p->next : 0;
	uint64_t i;

	if (npages == 0 || npages > p->free_pages)
		return 0;
	if (top > p->npages)
		top = p->npages;
	i = pmm_search(p, start, top, npages, step);
	if (!i && start)
		i = pmm_search(p, 1, start + npages < top ? start + npages : top, npages, step);
	if (!i)
		return 0;
	for (uint64_t j = 0; j < npages; j++)
		bit_set(p, i + j);
	p->free_pages -= npages;
	p->next = i + npages;
	return i * PMM_PAGE;
}

int pmm_free_contig(struct pmm *p, uint64_t phys, uint64_t npages)
{
	uint64_t first = phys / PMM_PAGE;

	if (phys % PMM_PAGE || first == 0 || first >= p->npages || npages > p->npages - first) {
		p->bad_frees++;
		return -1;
	}
	for (uint64_t j = 0; j < npages; j++) {
		if (!bit_get(p, first + j)) {
			p->double_frees++;
			return -1;
		}
	}
	for (uint64_t j = 0; j < npages; j++)
		bit_clear(p, first + j);
	p->free_pages += npages;
	return 0;
}

bool pmm_is_free(const struct pmm *p, uint64_t phys)
{
	uint64_t i = phys / PMM_PAGE;
	return i < p->npages && !bit_get(p, i);
}
