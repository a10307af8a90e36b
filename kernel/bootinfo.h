/* What the boot loader told us, independent of which Multiboot version it spoke. */
#ifndef IXOS_BOOTINFO_H
#define IXOS_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB1_LOADER_MAGIC 0x2badb002
#define MB2_LOADER_MAGIC 0x36d76289

#define BOOT_MAX_MMAP 64
#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 1024
#define BOOT_MODULE_ARGS_MAX 256

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI = 3,
	BOOT_MEM_NVS = 4,
	BOOT_MEM_BAD = 5,
};

struct boot_mmap_entry {
	uint64_t base, len;
	uint32_t type; /* enum boot_mem_type; other values count as reserved */
};

struct boot_module {
	uint64_t start, end; /* physical, end exclusive */
	char args[BOOT_MODULE_ARGS_MAX]; /* the module's command line: "path arg..." */
};

struct bootinfo {
	int mb_version; /* 1 or 2; 0 if the magic was unknown */
	char loader[64];
	char cmdline[BOOT_CMDLINE_MAX];
	bool cmdline_truncated;
	unsigned nmmap;
	struct boot_mmap_entry mmap[BOOT_MAX_MMAP];
	unsigned nmodules;
	unsigned modules_dropped;
	struct boot_module modules[BOOT_MAX_MODULES];
	uint8_t rsdp[36]; /* copy of the RSDP from Multiboot2's ACPI tag */
	unsigned rsdp_len; /* 0 if the loader gave none */
	uint64_t info_start, info_end; /* physical range of the loader's structure */
};

/* How the parser reads physical memory (the kernel: its direct map; tests: a buffer). */
typedef const void *(*boot_map_fn)(uint64_t phys, size_t len, void *ctx);

/*
 * bootinfo_parse decodes the Multiboot1 or Multiboot2 information at info_phys according to
 * magic into bi (copying strings, so the loader's memory can be reused afterwards).
 * Returns 0, or -1 if magic is neither loader magic (bi then holds no memory map).
 */
int bootinfo_parse(uint32_t magic, uint64_t info_phys, boot_map_fn map, void *ctx,
		   struct bootinfo *bi);

/* A module's name: the last path component of the first word of its string ("/boot/httpd
 * httpd -p 80" is "httpd"), cut to fit buf[size] (size > 0), NUL-terminated. */
void bootinfo_module_name(const char *args, char *buf, unsigned size);

/* Total bytes of usable RAM in the memory map, overlaps counted once. */
uint64_t bootinfo_usable_bytes(const struct bootinfo *bi);

#endif
