/*
 * Host tests for the Multiboot1/Multiboot2 boot information decoder, on synthetic loader
 * structures in a fake physical memory. The map function hands out a fresh heap copy of
 * exactly the requested length (and NULL outside the fake memory), so valgrind reports any
 * read past what the parser asked for.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "kernel/bootinfo.h"

#define MEM_BASE 0x10000ULL /* phys 0 is outside, like a null pointer */
#define MEM_SIZE 0x100000ULL
#define MAX_MAPS 200000 /* far more than any sane parse needs: a loop trips it */
#define MB2_AREA 0x8000 /* room for one Multiboot2 structure */

#define MB1_CMDLINE (1u << 2)
#define MB1_MODS    (1u << 3)
#define MB1_MMAP    (1u << 6)
#define MB1_LOADER  (1u << 9)

struct fake {
	uint8_t *mem;
	uint64_t next; /* bump allocator over the fake memory */
	unsigned nmaps, cap;
	void **maps;
};

static struct fake F;

static const void *fake_map(uint64_t phys, size_t len, void *ctx)
{
	struct fake *f = ctx;
	void *p;

	assert_ptr_equal(f, &F);
	if (phys < MEM_BASE || phys - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (phys - MEM_BASE))
		return NULL;
	if (f->nmaps >= MAX_MAPS)
		fail_msg("more than %u map calls: the parser is looping", MAX_MAPS);
	if (f->nmaps == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 1024;
		f->maps = realloc(f->maps, f->cap * sizeof(f->maps[0]));
		assert_non_null(f->maps);
	}
	p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, f->mem + (phys - MEM_BASE), len);
	f->maps[f->nmaps++] = p;
	return p;
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	F.mem = calloc(1, MEM_SIZE);
	F.next = MEM_BASE + 0x100;
	return F.mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < F.nmaps; i++)
		free(F.maps[i]);
	free(F.maps);
	free(F.mem);
	return 0;
}

static uint8_t *at(uint64_t phys)
{
	assert_true(phys >= MEM_BASE && phys < MEM_BASE + MEM_SIZE);
	return F.mem + (phys - MEM_BASE);
}

/* Carves len bytes out of the fake memory. */
static uint64_t fake_alloc(size_t len, size_t align)
{
	uint64_t p = (F.next + align - 1) & ~(uint64_t)(align - 1);

	assert_true(p + len <= MEM_BASE + MEM_SIZE);
	F.next = p + len;
	return p;
}

static void w32(uint64_t phys, uint32_t v)
{
	uint8_t *p = at(phys);

	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void w64(uint64_t phys, uint64_t v)
{
	w32(phys, (uint32_t)v);
	w32(phys + 4, (uint32_t)(v >> 32));
}

static uint32_t put_str(const char *s)
{
	uint64_t p = fake_alloc(strlen(s) + 1, 1);

	memcpy(at(p), s, strlen(s) + 1);
	return (uint32_t)p;
}

/* A string of n copies of c followed by a NUL, on the heap. */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = 0;
	return s;
}

static int parse(uint32_t magic, uint64_t info, struct bootinfo *bi)
{
	memset(bi, 0x5a, sizeof(*bi));
	return bootinfo_parse(magic, info, fake_map, &F, bi);
}

/* ---- Multiboot1 builders ---- */

struct mb1_mmap {
	uint32_t size; /* 0: the standard 20 */
	uint64_t base, len;
	uint32_t type;
};

struct mod {
	uint32_t start, end;
	const char *args; /* NULL: string pointer 0 */
};

static uint64_t mb1_info(uint32_t flags)
{
	uint64_t info = fake_alloc(116, 8);

	w32(info, flags);
	return info;
}

static void mb1_cmdline(uint64_t info, const char *s)
{
	w32(info + 16, put_str(s));
}

static void mb1_loader(uint64_t info, const char *s)
{
	w32(info + 64, put_str(s));
}

static void mb1_mods(uint64_t info, const struct mod *m, unsigned n)
{
	uint64_t tab = fake_alloc(16 * (size_t)n + 1, 4);

	for (unsigned i = 0; i < n; i++) {
		w32(tab + 16 * i, m[i].start);
		w32(tab + 16 * i + 4, m[i].end);
		w32(tab + 16 * i + 8, m[i].args ? put_str(m[i].args) : 0);
		w32(tab + 16 * i + 12, 0);
	}
	w32(info + 20, n);
	w32(info + 24, (uint32_t)tab);
}

/* Writes the map; returns its address. Entries with a size above 20 get 0xee padding. */
static uint64_t mb1_mmap(uint64_t info, const struct mb1_mmap *e, unsigned n)
{
	uint32_t total = 0;
	uint64_t map, p;

	for (unsigned i = 0; i < n; i++)
		total += (e[i].size >= 20 ? e[i].size : 20) + 4;
	map = p = fake_alloc(total, 4);
	memset(at(map), 0xee, total);
	for (unsigned i = 0; i < n; i++) {
		uint32_t size = e[i].size ? e[i].size : 20;

		w32(p, size);
		w64(p + 4, e[i].base);
		w64(p + 12, e[i].len);
		w32(p + 20, e[i].type);
		p += (size >= 20 ? size : 20) + 4;
	}
	w32(info + 44, total);
	w32(info + 48, (uint32_t)map);
	return map;
}

/* ---- Multiboot2 builders ---- */

static uint64_t mb2_start, mb2_pos;

static void mb2_begin(void)
{
	mb2_start = fake_alloc(MB2_AREA, 8);
	mb2_pos = mb2_start + 8;
}

/* Appends a tag whose header says size; writes plen payload bytes. Returns the tag address. */
static uint64_t mb2_tag_sized(uint32_t type, uint32_t size, const void *payload, size_t plen)
{
	uint64_t t = mb2_pos;

	w32(t, type);
	w32(t + 4, size);
	if (plen)
		memcpy(at(t + 8), payload, plen);
	mb2_pos += (8 + plen + 7) & ~7ULL;
	assert_true(mb2_pos <= mb2_start + MB2_AREA);
	return t;
}

static uint64_t mb2_tag(uint32_t type, const void *payload, size_t plen)
{
	return mb2_tag_sized(type, (uint32_t)(8 + plen), payload, plen);
}

static void mb2_str(uint32_t type, const char *s)
{
	mb2_tag(type, s, strlen(s) + 1);
}

static void mb2_module(uint32_t start, uint32_t end, const char *args)
{
	uint8_t buf[1024];
	size_t n = strlen(args) + 1;

	assert_true(8 + n <= sizeof(buf));
	memcpy(buf, &start, 4);
	memcpy(buf + 4, &end, 4);
	memcpy(buf + 8, args, n);
	mb2_tag(3, buf, 8 + n);
}

/* An mmap tag with entries of entry_size bytes (>= 24 gets the fields, the rest 0xee). */
static void mb2_mmap(uint32_t entry_size, const struct mb1_mmap *e, unsigned n)
{
	static uint8_t buf[0x10000];
	size_t len = 8 + (size_t)n * entry_size;

	assert_true(len <= sizeof(buf));
	memset(buf, 0xee, len);
	memcpy(buf, &entry_size, 4);
	memset(buf + 4, 0, 4); /* entry_version */
	for (unsigned i = 0; i < n && entry_size >= 20; i++) {
		uint8_t *p = buf + 8 + (size_t)i * entry_size;

		memcpy(p, &e[i].base, 8);
		memcpy(p + 8, &e[i].len, 8);
		memcpy(p + 16, &e[i].type, 4);
		if (entry_size >= 24)
			memset(p + 20, 0, 4);
	}
	mb2_tag(6, buf, len);
}

/* Ends the structure: an end tag, then total_size. Returns the info address. */
static uint64_t mb2_finish(void)
{
	mb2_tag(0, NULL, 0);
	w32(mb2_start, (uint32_t)(mb2_pos - mb2_start));
	w32(mb2_start + 4, 0);
	return mb2_start;
}

static void fill_rsdp(uint8_t *p, size_t n, uint8_t seed)
{
	memcpy(p, "RSD PTR ", 8);
	for (size_t i = 8; i < n; i++)
		p[i] = (uint8_t)(seed + i);
}

static void assert_mmap(const struct bootinfo *bi, unsigned i, uint64_t base, uint64_t len,
			uint32_t type)
{
	assert_true(i < bi->nmmap);
	assert_int_equal(bi->mmap[i].base, base);
	assert_int_equal(bi->mmap[i].len, len);
	assert_int_equal(bi->mmap[i].type, type);
}

/* A PC-like memory map (with a 24-byte entry in the middle, as some loaders write). */
static const struct mb1_mmap pc_map[] = {
    {0, 0x0, 0x9fc00, BOOT_MEM_USABLE},
    {0, 0x9fc00, 0x400, BOOT_MEM_RESERVED},
    {24, 0xf0000, 0x10000, BOOT_MEM_RESERVED},
    {0, 0x100000, 0x7fee0000, BOOT_MEM_USABLE},
    {0, 0x7ffe0000, 0x20000, BOOT_MEM_ACPI},
    {0, 0xfffc0000, 0x40000, BOOT_MEM_RESERVED},
    {0, 0x100000000ULL, 0x80000000ULL, BOOT_MEM_USABLE},
};
#define PC_MAP_N      (sizeof(pc_map) / sizeof(pc_map[0]))
#define PC_MAP_USABLE (0x9fc00ULL + 0x7fee0000ULL + 0x80000000ULL)

static void assert_pc_map(const struct bootinfo *bi)
{
	assert_int_equal(bi->nmmap, PC_MAP_N);
	for (unsigned i = 0; i < PC_MAP_N; i++)
		assert_mmap(bi, i, pc_map[i].base, pc_map[i].len, pc_map[i].type);
	assert_int_equal(bootinfo_usable_bytes(bi), PC_MAP_USABLE);
}

/* ---- Tests ---- */

static void test_unknown_magic(void **state)
{
	static const uint32_t bad[] = {0, 0x1badb002, 0xe85250d6, 0x2badb003, 0x36d76288};
	struct bootinfo bi;
	uint64_t info = mb1_info(MB1_CMDLINE | MB1_MMAP);

	(void)state;
	mb1_cmdline(info, "selftest");
	mb1_mmap(info, pc_map, PC_MAP_N);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], info, &bi), -1);
		assert_int_equal(bi.mb_version, 0);
		assert_int_equal(bi.nmmap, 0);
		assert_int_equal(bi.nmodules, 0);
		assert_int_equal(bi.rsdp_len, 0);
		assert_string_equal(bi.cmdline, "");
		assert_int_equal(bootinfo_usable_bytes(&bi), 0);
	}
	/* The same structure under the right magic is fine. */
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, "selftest");
}

static void test_unreadable_info(void **state)
{
	struct bootinfo bi;

	(void)state;
	assert_int_equal(parse(MB1_LOADER_MAGIC, 0, &bi), -1);
	assert_int_equal(bi.nmmap, 0);
	assert_int_equal(parse(MB1_LOADER_MAGIC, MEM_BASE + MEM_SIZE - 40, &bi), -1);
	assert_int_equal(bi.nmmap, 0);
	assert_int_equal(parse(MB2_LOADER_MAGIC, 0, &bi), -1);
	assert_int_equal(bi.nmmap, 0);
	assert_int_equal(parse(MB2_LOADER_MAGIC, MEM_BASE + MEM_SIZE - 4, &bi), -1);
	assert_int_equal(bi.nmmap, 0);
	assert_int_equal(bi.nmodules, 0);
}

static void test_mb1_full(void **state)
{
	static const struct mod mods[] = {
	    {0x200000, 0x280000, "/boot/fw.bin mode=fast"},
	    {0x280000, 0x281000, "/boot/cfg.txt"},
	    {0x300000, 0x300010, NULL},
	};
	struct bootinfo bi;
	uint64_t info = mb1_info(MB1_CMDLINE | MB1_MODS | MB1_MMAP | MB1_LOADER | 0x3);

	(void)state;
	mb1_cmdline(info, "/boot/ixos.elf dp_cores=2 ip=10.0.0.2/24");
	mb1_loader(info, "GRUB 2.06");
	mb1_mods(info, mods, 3);
	mb1_mmap(info, pc_map, PC_MAP_N);

	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.mb_version, 1);
	assert_string_equal(bi.cmdline, "/boot/ixos.elf dp_cores=2 ip=10.0.0.2/24");
	assert_false(bi.cmdline_truncated);
	assert_string_equal(bi.loader, "GRUB 2.06");
	assert_int_equal(bi.nmodules, 3);
	assert_int_equal(bi.modules_dropped, 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(bi.modules[i].start, mods[i].start);
		assert_int_equal(bi.modules[i].end, mods[i].end);
		assert_string_equal(bi.modules[i].args, mods[i].args ? mods[i].args : "");
	}
	assert_pc_map(&bi);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.info_start, info);
	assert_true(bi.info_end >= info + 88); /* covers every field the parser reads */

	/* The parse copied everything: the loader's memory can be reused. */
	memset(F.mem, 0, MEM_SIZE);
	assert_string_equal(bi.cmdline, "/boot/ixos.elf dp_cores=2 ip=10.0.0.2/24");
	assert_string_equal(bi.modules[0].args, "/boot/fw.bin mode=fast");
	assert_string_equal(bi.loader, "GRUB 2.06");
}

static void test_mb1_flags_clear(void **state)
{
	static const struct mod mods[] = {{0x200000, 0x201000, "/m"}};
	static const uint32_t flags[] = {
	    0,	      MB1_CMDLINE, MB1_MODS,
	    MB1_MMAP, MB1_LOADER,  ~(MB1_CMDLINE | MB1_MODS | MB1_MMAP | MB1_LOADER)};
	struct bootinfo bi;
	uint64_t info = mb1_info(0);

	(void)state;
	mb1_cmdline(info, "cmd");
	mb1_loader(info, "loader");
	mb1_mods(info, mods, 1);
	mb1_mmap(info, pc_map, PC_MAP_N);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		uint32_t f = flags[i];

		w32(info, f);
		assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
		assert_int_equal(bi.mb_version, 1);
		assert_string_equal(bi.cmdline, f & MB1_CMDLINE ? "cmd" : "");
		assert_false(bi.cmdline_truncated);
		assert_string_equal(bi.loader, f & MB1_LOADER ? "loader" : "");
		assert_int_equal(bi.nmodules, f & MB1_MODS ? 1 : 0);
		assert_int_equal(bi.nmmap, f & MB1_MMAP ? PC_MAP_N : 0);
		assert_int_equal(bi.modules_dropped, 0);
	}
}

static void test_mb1_cmdline_limits(void **state)
{
	struct bootinfo bi;
	uint64_t info = mb1_info(MB1_CMDLINE | MB1_LOADER);
	char *fits = repeat('a', BOOT_CMDLINE_MAX - 1);
	char *over = repeat('b', BOOT_CMDLINE_MAX);
	char *huge = repeat('c', 5000);
	char *name = repeat('n', 100);

	(void)state;
	mb1_loader(info, name);
	mb1_cmdline(info, fits);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, fits);
	assert_false(bi.cmdline_truncated);
	assert_int_equal(strlen(bi.loader), sizeof(bi.loader) - 1);
	assert_memory_equal(bi.loader, name, sizeof(bi.loader) - 1);

	mb1_cmdline(info, over);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_true(bi.cmdline_truncated);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	assert_memory_equal(bi.cmdline, over, BOOT_CMDLINE_MAX - 1);

	mb1_cmdline(info, huge);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_true(bi.cmdline_truncated);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);

	mb1_cmdline(info, "");
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, "");
	assert_false(bi.cmdline_truncated);

	/* A null or unreadable pointer is an empty command line. */
	w32(info + 16, 0);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, "");
	assert_false(bi.cmdline_truncated);
	w32(info + 16, 0xfffff000);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, "");
	free(fits);
	free(over);
	free(huge);
	free(name);
}

static void test_mb1_modules(void **state)
{
	struct mod mods[BOOT_MAX_MODULES + 4];
	char args[BOOT_MAX_MODULES + 4][32];
	char *long_args = repeat('x', 400);
	struct bootinfo bi;
	uint64_t info = mb1_info(MB1_MODS);

	(void)state;
	for (unsigned i = 0; i < BOOT_MAX_MODULES + 4; i++) {
		snprintf(args[i], sizeof(args[i]), "/boot/m%u.bin n=%u", i, i);
		mods[i] = (struct mod){0x200000 + 0x10000 * i, 0x200000 + 0x10000 * i + 0x800 + i,
				       args[i]};
	}
	mb1_mods(info, mods, BOOT_MAX_MODULES + 4);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
	assert_int_equal(bi.modules_dropped, 4);
	for (unsigned i = 0; i < BOOT_MAX_MODULES; i++) {
		assert_int_equal(bi.modules[i].start, mods[i].start);
		assert_int_equal(bi.modules[i].end, mods[i].end);
		assert_string_equal(bi.modules[i].args, args[i]);
	}

	/* Exactly the maximum drops nothing. */
	mb1_mods(info, mods, BOOT_MAX_MODULES);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
	assert_int_equal(bi.modules_dropped, 0);

	/* Long arguments are cut (terminated); an end below the start becomes an empty module. */
	mods[0] = (struct mod){0x400000, 0x3ff000, long_args};
	mb1_mods(info, mods, 2);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.modules[0].start, 0x400000);
	assert_int_equal(bi.modules[0].end, 0x400000);
	assert_int_equal(strlen(bi.modules[0].args), BOOT_MODULE_ARGS_MAX - 1);
	assert_memory_equal(bi.modules[0].args, long_args, BOOT_MODULE_ARGS_MAX - 1);
	assert_string_equal(bi.modules[1].args, args[1]);

	/* A module table outside memory gives no modules. */
	w32(info + 24, 0xfffffff0);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmodules, 0);
	free(long_args);
}

static void test_mb1_mmap_capped(void **state)
{
	struct mb1_mmap e[BOOT_MAX_MMAP + 36];
	struct bootinfo bi;
	uint64_t info = mb1_info(MB1_MMAP);

	(void)state;
	for (unsigned i = 0; i < BOOT_MAX_MMAP + 36; i++)
		e[i] = (struct mb1_mmap){i % 3 ? 0 : 24, 0x100000ULL * (i + 1), 0x1000 + i,
					 i % 2 ? BOOT_MEM_USABLE : BOOT_MEM_RESERVED};
	mb1_mmap(info, e, BOOT_MAX_MMAP + 36);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmmap, BOOT_MAX_MMAP);
	for (unsigned i = 0; i < BOOT_MAX_MMAP; i++)
		assert_mmap(&bi, i, e[i].base, e[i].len, e[i].type);
}

static void test_mb1_mmap_malformed_entry_stops(void **state)
{
	struct mb1_mmap e[] = {
	    {0, 0x0, 0x9f000, BOOT_MEM_USABLE},
	    {0, 0x100000, 0x100000, BOOT_MEM_USABLE},
	    {0, 0x40000000, 0x40000000, BOOT_MEM_USABLE}, /* its size is patched below */
	    {0, 0x200000, 0x100000, BOOT_MEM_USABLE},
	};
	static const uint32_t bad_sizes[] = {0, 4, 16, 19};
	struct bootinfo bi;
	uint64_t info = mb1_info(MB1_MMAP);
	uint64_t map = mb1_mmap(info, e, 4);

	(void)state;
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		w32(map + 2 * 24, bad_sizes[i]);
		assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
		/* The entries before it are kept; it and everything after are not trusted. */
		assert_int_equal(bi.nmmap, 2);
		assert_mmap(&bi, 0, 0x0, 0x9f000, BOOT_MEM_USABLE);
		assert_mmap(&bi, 1, 0x100000, 0x100000, BOOT_MEM_USABLE);
		assert_int_equal(bootinfo_usable_bytes(&bi), 0x9f000 + 0x100000);
	}

	/* A huge size jumps past the map: the walk ends, no wrap-around. */
	w32(map + 2 * 24, 0xfffffff0);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmmap, 3);

	/* A length that ends inside an entry ignores that partial entry. */
	w32(map + 2 * 24, 20);
	w32(info + 44, 3 * 24 + 23);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmmap, 3);
	w32(info + 44, 4 * 24);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmmap, 4);

	/* A map outside memory gives nothing. */
	w32(info + 48, 0xffffff00);
	assert_int_equal(parse(MB1_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmmap, 0);
}

static void test_mb2_full(void **state)
{
	static const uint8_t meminfo[8] = {0x7f, 2, 0, 0, 0, 0xfc, 0x3f, 0};
	uint8_t rsdp[36], fb[24] = {0};
	struct bootinfo bi;
	uint64_t info;

	(void)state;
	fill_rsdp(rsdp, 36, 7);
	mb2_begin();
	mb2_str(1, "/boot/ixos.elf loglevel=debug"); /* 30 bytes + 8: pads to the next tag */
	mb2_tag(4, meminfo, sizeof(meminfo));	     /* basic meminfo: ignored */
	mb2_str(2, "GRUB 2.12");
	mb2_module(0x200000, 0x280000, "/boot/fw.bin mode=fast");
	mb2_tag(8, fb, sizeof(fb)); /* framebuffer: ignored */
	mb2_module(0x280000, 0x281000, "/boot/cfg.txt");
	mb2_module(0x300000, 0x300010, "");
	mb2_mmap(24, pc_map, PC_MAP_N);
	mb2_tag(15, rsdp, 36);
	mb2_tag(21, "\0\0\0\0", 4); /* load base: ignored */
	info = mb2_finish();

	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.mb_version, 2);
	assert_string_equal(bi.cmdline, "/boot/ixos.elf loglevel=debug");
	assert_false(bi.cmdline_truncated);
	assert_string_equal(bi.loader, "GRUB 2.12");
	assert_int_equal(bi.nmodules, 3);
	assert_int_equal(bi.modules_dropped, 0);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x280000);
	assert_string_equal(bi.modules[0].args, "/boot/fw.bin mode=fast");
	assert_int_equal(bi.modules[1].start, 0x280000);
	assert_int_equal(bi.modules[1].end, 0x281000);
	assert_string_equal(bi.modules[1].args, "/boot/cfg.txt");
	assert_int_equal(bi.modules[2].end, 0x300010);
	assert_string_equal(bi.modules[2].args, "");
	assert_pc_map(&bi);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, rsdp, 36);
	assert_int_equal(bi.info_start, info);
	assert_int_equal(bi.info_end, info + (mb2_pos - mb2_start));

	memset(F.mem, 0, MEM_SIZE);
	assert_string_equal(bi.cmdline, "/boot/ixos.elf loglevel=debug");
	assert_string_equal(bi.modules[1].args, "/boot/cfg.txt");
	assert_memory_equal(bi.rsdp, rsdp, 8);
}

static void test_mb2_empty(void **state)
{
	struct bootinfo bi;
	uint64_t info;

	(void)state;
	mb2_begin();
	info = mb2_finish();
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.mb_version, 2);
	assert_string_equal(bi.cmdline, "");
	assert_string_equal(bi.loader, "");
	assert_false(bi.cmdline_truncated);
	assert_int_equal(bi.nmmap, 0);
	assert_int_equal(bi.nmodules, 0);
	assert_int_equal(bi.modules_dropped, 0);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.info_start, info);
	assert_int_equal(bi.info_end, info + 16);
}

static void test_mb2_limits(void **state)
{
	struct mb1_mmap e[BOOT_MAX_MMAP + 16];
	char *over = repeat('b', BOOT_CMDLINE_MAX);
	char *fits = repeat('a', BOOT_CMDLINE_MAX - 1);
	char args[64];
	struct bootinfo bi;
	uint64_t info;

	(void)state;
	for (unsigned i = 0; i < BOOT_MAX_MMAP + 16; i++)
		e[i] = (struct mb1_mmap){0, 0x200000ULL * i, 0x100000, 1 + i % 5};
	mb2_begin();
	mb2_str(1, over);
	for (unsigned i = 0; i < BOOT_MAX_MODULES + 2; i++) {
		snprintf(args, sizeof(args), "/m%u", i);
		mb2_module(0x1000000 + 0x1000 * i, 0x1000800 + 0x1000 * i, args);
	}
	mb2_mmap(24, e, 40); /* two tags, together over the cap */
	mb2_mmap(24, e + 40, BOOT_MAX_MMAP + 16 - 40);
	info = mb2_finish();

	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_true(bi.cmdline_truncated);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	assert_memory_equal(bi.cmdline, over, BOOT_CMDLINE_MAX - 1);
	assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
	assert_int_equal(bi.modules_dropped, 2);
	for (unsigned i = 0; i < BOOT_MAX_MODULES; i++) {
		snprintf(args, sizeof(args), "/m%u", i);
		assert_string_equal(bi.modules[i].args, args);
		assert_int_equal(bi.modules[i].start, 0x1000000 + 0x1000 * i);
	}
	assert_int_equal(bi.nmmap, BOOT_MAX_MMAP);
	for (unsigned i = 0; i < BOOT_MAX_MMAP; i++)
		assert_mmap(&bi, i, e[i].base, e[i].len, e[i].type);

	mb2_begin();
	mb2_str(1, fits);
	info = mb2_finish();
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_false(bi.cmdline_truncated);
	assert_string_equal(bi.cmdline, fits);
	free(over);
	free(fits);
}

static void test_mb2_mmap_entry_size(void **state)
{
	struct bootinfo bi;
	uint64_t info;

	(void)state;
	/* Bigger entries than today's: stepped over by entry_size. */
	mb2_begin();
	mb2_mmap(40, pc_map, PC_MAP_N);
	info = mb2_finish();
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_pc_map(&bi);

	/* Entries too small to hold the fields (or zero: would never advance) are ignored. */
	static const uint32_t bad[] = {0, 8, 16, 20, 23};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mb2_begin();
		mb2_mmap(bad[i], pc_map, 4);
		mb2_str(1, "after");
		info = mb2_finish();
		assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
		assert_int_equal(bi.nmmap, 0);
		assert_string_equal(bi.cmdline, "after"); /* the walk goes on to the next tag */
	}

	/* A tag too short for its header fields. */
	mb2_begin();
	mb2_tag(6, "\x18\0\0\0", 4);
	mb2_str(2, "L");
	info = mb2_finish();
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmmap, 0);
	assert_string_equal(bi.loader, "L");
}

static void test_mb2_bad_tag_size_stops(void **state)
{
	struct bootinfo bi;
	uint64_t info, bad;

	(void)state;
	for (uint32_t size = 0; size < 8; size++) {
		mb2_begin();
		mb2_str(1, "first");
		mb2_tag_sized(3, size, NULL, 0);
		mb2_str(2, "never");
		mb2_module(0x200000, 0x201000, "/never");
		info = mb2_finish();
		assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
		assert_string_equal(bi.cmdline, "first");
		assert_string_equal(bi.loader, "");
		assert_int_equal(bi.nmodules, 0);
	}

	/* A tag running past total_size: neither it nor anything after is read. */
	mb2_begin();
	mb2_str(2, "first");
	bad = mb2_pos;
	mb2_module(0x200000, 0x201000, "/too/long");
	mb2_str(1, "never");
	info = mb2_finish();
	w32(bad + 4, (uint32_t)(mb2_pos - bad) + 1);
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.loader, "first");
	assert_int_equal(bi.nmodules, 0);
	assert_string_equal(bi.cmdline, "");
	w32(bad + 4, 0xfffffff8);
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.nmodules, 0);
	assert_string_equal(bi.cmdline, "");

	/* total_size cutting the structure short hides the tags beyond it. */
	mb2_begin();
	mb2_str(1, "inside"); /* a 15-byte tag at offset 8, padded to end at 24 */
	mb2_str(2, "outside");
	info = mb2_finish();
	w32(info, 8 + 16 + 4);
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, "inside");
	assert_string_equal(bi.loader, "");
	assert_int_equal(bi.info_end, info + 28);
	w32(info, 4); /* smaller than its own header */
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, "");

	/* Tags after the end tag are not read. */
	mb2_begin();
	mb2_str(1, "before");
	mb2_tag(0, NULL, 0);
	mb2_str(2, "after");
	info = mb2_finish();
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_string_equal(bi.cmdline, "before");
	assert_string_equal(bi.loader, "");
}

static void test_mb2_acpi_prefers_new(void **state)
{
	uint8_t old[20], new[36];
	struct bootinfo bi;
	uint64_t info;

	(void)state;
	fill_rsdp(old, 20, 0x40);
	fill_rsdp(new, 36, 0x80);

	for (int order = 0; order < 2; order++) {
		mb2_begin();
		if (order == 0) {
			mb2_tag(14, old, 20);
			mb2_tag(15, new, 36);
		} else {
			mb2_tag(15, new, 36);
			mb2_tag(14, old, 20);
		}
		info = mb2_finish();
		assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
		assert_int_equal(bi.rsdp_len, 36);
		assert_memory_equal(bi.rsdp, new, 36);
	}

	/* Only the old one. */
	mb2_begin();
	mb2_tag(14, old, 20);
	info = mb2_finish();
	assert_int_equal(parse(MB2_LOADER_MAGIC, info, &bi), 0);
	assert_int_equal(bi.rsdp_len, 20);
	assert_memory_equal(bi.rsdp, old, 20);
}

/* ---- bootinfo_usable_bytes ---- */

struct range {
	uint64_t base, len;
	uint32_t type;
};

static uint64_t usable(const struct range *r, unsigned n)
{
	struct bootinfo bi;

	memset(&bi, 0, sizeof(bi));
	assert_true(n <= BOOT_MAX_MMAP);
	for (unsigned i = 0; i < n; i++)
		bi.mmap[i] = (struct boot_mmap_entry){r[i].base, r[i].len, r[i].type};
	bi.nmmap = n;
	return bootinfo_usable_bytes(&bi);
}

#define USABLE(...)                                                                                \
	usable((const struct range[]){__VA_ARGS__},                                                \
	       sizeof((const struct range[]){__VA_ARGS__}) / sizeof(struct range))

static void test_usable_bytes(void **state)
{
	const uint32_t U = BOOT_MEM_USABLE;

	(void)state;
	assert_int_equal(usable(NULL, 0), 0);
	assert_int_equal(USABLE({0x1000, 0x9e000, U}), 0x9e000);
	/* Non-usable types count for nothing, and take nothing away from usable ranges. */
	assert_int_equal(USABLE({0, 100, BOOT_MEM_RESERVED}, {0, 100, BOOT_MEM_ACPI},
				{0, 100, BOOT_MEM_NVS}, {0, 100, BOOT_MEM_BAD}, {0, 100, 0},
				{0, 100, 7}),
			 0);
	assert_int_equal(USABLE({0, 100, U}, {50, 10, BOOT_MEM_RESERVED}, {200, 50, 3}), 100);
	/* Overlapping. */
	assert_int_equal(USABLE({0, 100, U}, {50, 100, U}), 150);
	assert_int_equal(USABLE({50, 100, U}, {0, 100, U}), 150);
	/* Adjacent. */
	assert_int_equal(USABLE({0, 100, U}, {100, 100, U}), 200);
	assert_int_equal(USABLE({100, 100, U}, {0, 100, U}), 200);
	/* Nested, either order, and identical duplicates. */
	assert_int_equal(USABLE({0, 1000, U}, {100, 100, U}), 1000);
	assert_int_equal(USABLE({100, 100, U}, {0, 1000, U}), 1000);
	assert_int_equal(USABLE({100, 100, U}, {100, 100, U}, {100, 100, U}), 100);
	assert_int_equal(USABLE({100, 100, U}, {100, 50, U}, {150, 50, U}), 100);
	/* A chain bridging separate ranges, given out of order. */
	assert_int_equal(USABLE({300, 100, U}, {0, 100, U}, {90, 220, U}), 400);
	/* Gaps are not counted. */
	assert_int_equal(USABLE({0, 10, U}, {1000, 10, U}, {500, 10, U}), 30);
	/* Large addresses. */
	assert_int_equal(USABLE({1ULL << 40, 1ULL << 40, U}, {(1ULL << 41) - 10, 1ULL << 30, U},
				{0, 1ULL << 32, U}),
			 (1ULL << 40) + (1ULL << 30) - 10 + (1ULL << 32));
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_usable_bytes_random(void **state)
{
	static uint8_t covered[4096];
	struct range r[BOOT_MAX_MMAP];

	(void)state;
	for (int round = 0; round < 500; round++) {
		unsigned n = rnd() % (BOOT_MAX_MMAP + 1);
		uint64_t want = 0;

		memset(covered, 0, sizeof(covered));
		for (unsigned i = 0; i < n; i++) {
			r[i].base = rnd() % 4000;
			r[i].len = 1 + rnd() % (rnd() % 2 ? 40 : 600);
			if (r[i].base + r[i].len > sizeof(covered))
				r[i].len = sizeof(covered) - r[i].base;
			r[i].type = rnd() % 3 ? BOOT_MEM_USABLE : 1 + rnd() % 5;
			if (r[i].type == BOOT_MEM_USABLE)
				memset(covered + r[i].base, 1, r[i].len);
		}
		for (size_t b = 0; b < sizeof(covered); b++)
			want += covered[b];
		if (usable(r, n) != want)
			fail_msg("round %d: %llu usable bytes, expected %llu", round,
				 (unsigned long long)usable(r, n), (unsigned long long)want);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static void test_module_name(void **state)
{
	char buf[8];

	(void)state;
	bootinfo_module_name("/boot/httpd httpd -p 80", buf, sizeof(buf));
	assert_string_equal(buf, "httpd");
	bootinfo_module_name("build/site.tar", buf, sizeof(buf));
	assert_string_equal(buf, "site.ta"); /* cut to fit */
	bootinfo_module_name("", buf, sizeof(buf));
	assert_string_equal(buf, "");
	bootinfo_module_name("dir/ x/y", buf, sizeof(buf));
	assert_string_equal(buf, ""); /* the first word ends in '/' */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_unknown_magic),
	    T(test_unreadable_info),
	    T(test_mb1_full),
	    T(test_mb1_flags_clear),
	    T(test_mb1_cmdline_limits),
	    T(test_mb1_modules),
	    T(test_mb1_mmap_capped),
	    T(test_mb1_mmap_malformed_entry_stops),
	    T(test_mb2_full),
	    T(test_mb2_empty),
	    T(test_mb2_limits),
	    T(test_mb2_mmap_entry_size),
	    T(test_mb2_bad_tag_size_stops),
	    T(test_mb2_acpi_prefers_new),
	    T(test_usable_bytes),
	    T(test_usable_bytes_random),
	    T(test_module_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
