/* Decoding of the Multiboot1 and Multiboot2 boot information (Multiboot spec 0.6.96 and 2.0). */
#include "kernel/bootinfo.h"

/* Multiboot1 info flags and offsets. */
#define MB1_INFO_CMDLINE   (1u << 2)
#define MB1_INFO_MODS	   (1u << 3)
#define MB1_INFO_MMAP	   (1u << 6)
#define MB1_INFO_LOADER	   (1u << 9)
#define MB1_OFF_CMDLINE	   16
#define MB1_OFF_MODS_COUNT 20
#define MB1_OFF_MODS_ADDR  24
#define MB1_OFF_MMAP_LEN   44
#define MB1_OFF_MMAP_ADDR  48
#define MB1_OFF_LOADER	   64
#define MB1_INFO_SIZE	   88

/* Multiboot2 tag types. */
#define MB2_TAG_END	 0
#define MB2_TAG_CMDLINE	 1
#define MB2_TAG_LOADER	 2
#define MB2_TAG_MODULE	 3
#define MB2_TAG_MMAP	 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

static uint32_t rd32(const void *p)
{
	const uint8_t *b = p;
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t rd64(const void *p)
{
	return rd32(p) | (uint64_t)rd32((const uint8_t *)p + 4) << 32;
}

/* Copies a NUL-terminated string from physical memory; returns false if it was cut short. */
static bool copy_str(boot_map_fn map, void *ctx, uint64_t phys, char *dst, size_t size)
{
	size_t i;

	dst[0] = 0;
	if (!phys)
		return true;
	for (i = 0; i + 1 < size; i++) {
		const char *c = map(phys + i, 1, ctx);
		if (!c || !*c)
			break;
		dst[i] = *c;
	}
	dst[i] = 0;
	if (i + 1 < size)
		return true;
	const char *c = map(phys + i, 1, ctx);
	return !c || !*c;
}

static void add_mmap(struct bootinfo *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (bi->nmmap >= BOOT_MAX_MMAP || len == 0)
		return;
	bi->mmap[bi->nmmap].base = base;
	bi->mmap[bi->nmmap].len = len;
	bi->mmap[bi->nmmap].type = type;
	bi->nmmap++;
}

static void add_module(struct bootinfo *bi, boot_map_fn map, void *ctx, uint64_t start,
		       uint64_t end, uint64_t args_phys)
{
	if (bi->nmodules >= BOOT_MAX_MODULES) {
		bi->modules_dropped++;
		return;
	}
	struct boot_module *m = &bi->modules[bi->nmodules++];
	m->start = start;
	m->end = end < start ? start : end;
	copy_str(map, ctx, args_phys, m->args, sizeof(m->args));
}

static int parse_mb1(uint64_t info, boot_map_fn map, void *ctx, struct bootinfo *bi)
{
	const uint8_t *p = map(info, MB1_INFO_SIZE, ctx);
	if (!p)
		return -1;
	uint32_t flags = rd32(p);

	bi->info_end = info + MB1_INFO_SIZE;
	if (flags & MB1_INFO_CMDLINE)
		bi->cmdline_truncated = !copy_str(map, ctx, rd32(p + MB1_OFF_CMDLINE), bi->cmdline,
						  sizeof(bi->cmdline));
	if (flags & MB1_INFO_LOADER)
		copy_str(map, ctx, rd32(p + MB1_OFF_LOADER), bi->loader, sizeof(bi->loader));
	if (flags & MB1_INFO_MMAP) {
		uint64_t at = rd32(p + MB1_OFF_MMAP_ADDR), end = at + rd32(p + MB1_OFF_MMAP_LEN);
		while (at + 24 <= end) {
			const uint8_t *e = map(at, 24, ctx);
			if (!e)
				break;
			uint32_t size = rd32(e);
			if (size < 20)
				break; /* malformed: fields missing, would not advance */
			add_mmap(bi, rd64(e + 4), rd64(e + 12), rd32(e + 20));
			at += size + 4;
		}
	}
	if (flags & MB1_INFO_MODS) {
		uint32_t n = rd32(p + MB1_OFF_MODS_COUNT), at = rd32(p + MB1_OFF_MODS_ADDR);
		for (uint32_t i = 0; i < n && i < 256; i++) {
			const uint8_t *m = map(at + 16 * i, 16, ctx);
			if (!m)
				break;
			add_module(bi, map, ctx, rd32(m), rd32(m + 4), rd32(m + 8));
		}
	}
	return 0;
}

static int parse_mb2(uint64_t info, boot_map_fn map, void *ctx, struct bootinfo *bi)
{
	const uint8_t *h = map(info, 8, ctx);
	if (!h)
		return -1;
	uint32_t total = rd32(h);
	uint64_t at = info + 8, end = info + total;

	bi->info_end = end;
	while (at + 8 <= end) {
		const uint8_t *t = map(at, 8, ctx);
		if (!t)
			break;
		uint32_t type = rd32(t), size = rd32(t + 4);
		if (type == MB2_TAG_END || size < 8 || at + size > end)
			break;
		t = map(at, size, ctx);
		if (!t)
			break;
		switch (type) {
		case MB2_TAG_CMDLINE:
			bi->cmdline_truncated =
			    !copy_str(map, ctx, at + 8, bi->cmdline, sizeof(bi->cmdline));
			break;
		case MB2_TAG_LOADER:
			copy_str(map, ctx, at + 8, bi->loader, sizeof(bi->loader));
			break;
		case MB2_TAG_MODULE:
			if (size >= 16)
				add_module(bi, map, ctx, rd32(t + 8), rd32(t + 12), at + 16);
			break;
		case MB2_TAG_MMAP: {
			uint32_t esize = size >= 16 ? rd32(t + 8) : 0;
			if (esize < 24)
				break;
			for (uint32_t off = 16; off + 24 <= size; off += esize)
				add_mmap(bi, rd64(t + off), rd64(t + off + 8), rd32(t + off + 16));
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW: {
			/* Prefer the ACPI 2.0 copy when both are present. */
			uint32_t n = size - 8 > sizeof(bi->rsdp) ? sizeof(bi->rsdp) : size - 8;
			if (type == MB2_TAG_ACPI_OLD && bi->rsdp_len > 20)
				break;
			for (uint32_t i = 0; i < n; i++)
				bi->rsdp[i] = t[8 + i];
			bi->rsdp_len = n;
			break;
		}
		}
		at += (size + 7) & ~7u;
	}
	return 0;
}

int bootinfo_parse(uint32_t magic, uint64_t info_phys, boot_map_fn map, void *ctx,
		   struct bootinfo *bi)
{
	uint8_t *z = (uint8_t *)bi;

	for (size_t i = 0; i < sizeof(*bi); i++)
		z[i] = 0;
	bi->info_start = info_phys;
	if (magic == MB1_LOADER_MAGIC) {
		bi->mb_version = 1;
		return parse_mb1(info_phys, map, ctx, bi);
	}
	if (magic == MB2_LOADER_MAGIC) {
		bi->mb_version = 2;
		return parse_mb2(info_phys, map, ctx, bi);
	}
	return -1;
}

uint64_t bootinfo_usable_bytes(const struct bootinfo *bi)
{
	uint64_t total = 0, covered = 0;

	/* Sweep usable ranges in address order, counting overlapping bytes once. */
	for (;;) {
		uint64_t best = UINT64_MAX, best_end = 0;
		for (unsigned i = 0; i < bi->nmmap; i++) {
			const struct boot_mmap_entry *e = &bi->mmap[i];
			uint64_t end = e->base + e->len;
			if (e->type != BOOT_MEM_USABLE || end <= covered)
				continue;
			uint64_t start = e->base < covered ? covered : e->base;
			if (start < best || (start == best && end > best_end))
				best = start, best_end = end;
		}
		if (best == UINT64_MAX)
			return total;
		total += best_end - best;
		covered = best_end;
	}
}

void bootinfo_module_name(const char *args, char *buf, unsigned size)
{
	const char *end = args, *base = args;

	while (*end && *end != ' ')
		end++;
	for (const char *p = args; p < end; p++)
		if (*p == '/')
			base = p + 1;
	unsigned n = (unsigned)(end - base) < size - 1 ? (unsigned)(end - base) : size - 1;
	for (unsigned i = 0; i < n; i++) /* no C library here: the kernel's and the host's differ */
		buf[i] = base[i];
	buf[n] = 0;
}
