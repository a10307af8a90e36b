/* Data modules for apps (kernel/datamod.h). */
#include "kernel/datamod.h"
#include "kernel/bootinfo.h"
#include "kernel/layout.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "user/libix/ix_abi.h"

#define DATAMOD_MAX	  8
#define DATAMOD_ELF_MAGIC 0x464c457fu

_Static_assert(IX_MODULE_NAME_MAX >= 32, "module names as apps see them");

static struct {
	char name[IX_MODULE_NAME_MAX];
	uint64_t phys; /* the module's first page (page aligned) */
	uint64_t tail; /* a page of our own holding the last partial page, or 0 */
	uint64_t len;
	uint64_t uva; /* where apps see it */
} datamods[DATAMOD_MAX];
static unsigned datamod_n;

/*
 * The pages apps map must hold the module and nothing else: a loader may put a module at an
 * address that is not page aligned, or end it inside a page whose rest it uses for something
 * else. A misaligned module is copied whole to pages of its own; an aligned one is mapped in
 * place, except its last partial page, copied to a zeroed page of its own.
 */
static int datamod_place(unsigned i, uint64_t start, uint64_t len)
{
	uint64_t npages = (len + PAGE_SIZE - 1) / PAGE_SIZE;

	if (start & (PAGE_SIZE - 1)) {
		uint64_t pa = mem_pages_alloc(npages, PAGE_SIZE, 0);
		if (!pa)
			return -1;
		memcpy(phys_to_virt(pa), phys_to_virt(start), len);
		memset((uint8_t *)phys_to_virt(pa) + len, 0, npages * PAGE_SIZE - len);
		datamods[i].phys = pa;
		return 0;
	}
	datamods[i].phys = start;
	if (len & (PAGE_SIZE - 1)) {
		uint64_t pa = mem_page_alloc(), whole = len & ~(PAGE_SIZE - 1ULL);
		if (!pa)
			return -1;
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		memcpy(phys_to_virt(pa), phys_to_virt(start + whole), len - whole);
		datamods[i].tail = pa;
	}
	return 0;
}

void datamod_init(const struct bootinfo *bi)
{
	uint64_t uva = IX_MODMAP_BASE;

	for (unsigned i = 0; i < bi->nmodules; i++) {
		const struct boot_module *m = &bi->modules[i];
		uint64_t len = m->end - m->start;
		if (len >= 4 && *(const uint32_t *)phys_to_virt(m->start) == DATAMOD_ELF_MAGIC)
			continue; /* an app */
		char name[IX_MODULE_NAME_MAX];
		bootinfo_module_name(m->args, name, sizeof(name));
		if (datamod_n == DATAMOD_MAX) {
			log_warn("datamod: %s: ignored, at most %u data modules", name,
				 DATAMOD_MAX);
			continue;
		}
		/* Each module starts on a fresh 2 MiB boundary, an unmapped gap after the last. */
		uint64_t span = (len + LARGE_PAGE_SIZE) & ~(LARGE_PAGE_SIZE - 1ULL);
		if (uva + span > IX_MODMAP_BASE + IX_MODMAP_SIZE) {
			log_warn("datamod: %s: ignored, the data modules exceed %lu GiB", name,
				 (unsigned long)(IX_MODMAP_SIZE >> 30));
			continue;
		}
		unsigned k = datamod_n;
		if (datamod_place(k, m->start, len)) {
			log_err("datamod: %s: no memory to place it", name);
			continue;
		}
		strlcpy(datamods[k].name, name, sizeof(datamods[k].name));
		datamods[k].len = len;
		datamods[k].uva = uva;
		uva += span;
		datamod_n++;
		log_info("datamod: %s: %lu bytes, read-only in apps at %#lx", name,
			 (unsigned long)len, (unsigned long)datamods[k].uva);
	}
}

int datamod_map(uint64_t pml4, int (*map_page)(uint64_t pml4, uint64_t va, uint64_t phys))
{
	for (unsigned i = 0; i < datamod_n; i++) {
		uint64_t whole = datamods[i].tail
				     ? datamods[i].len & ~(PAGE_SIZE - 1ULL)
				     : (datamods[i].len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);
		for (uint64_t off = 0; off < whole; off += PAGE_SIZE)
			if (map_page(pml4, datamods[i].uva + off, datamods[i].phys + off))
				return -1;
		if (datamods[i].tail && map_page(pml4, datamods[i].uva + whole, datamods[i].tail))
			return -1;
	}
	return 0;
}

int datamod_get(unsigned i, struct ix_module_desc *d)
{
	if (i >= datamod_n)
		return -1;
	memset(d, 0, sizeof(*d));
	strlcpy(d->name, datamods[i].name, sizeof(d->name));
	d->base = datamods[i].uva;
	d->len = datamods[i].len;
	return 0;
}
