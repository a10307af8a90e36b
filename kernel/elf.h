/*
 * Checking a static ELF64 x86-64 executable before it is loaded (System V ABI, x86-64
 * supplement). Pure logic, no kernel state: kernel/user.c maps the segments it returns, and
 * the host tests and the fuzzer run it as is (tests/unit/test_elf.c, tests/fuzz/fuzz_elf.c).
 */
#ifndef IXOS_KERNEL_ELF_H
#define IXOS_KERNEL_ELF_H

#include <stdint.h>

#define ELF_MAGIC   0x464c457fu /* "\x7fELF" */
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC	    2
#define EM_X86_64   62
#define PT_LOAD	    1
#define PT_INTERP   3
#define PF_X	    1
#define PF_W	    2
#define PF_R	    4

struct elf64_ehdr {
	uint32_t magic;
	uint8_t class, data, version, osabi, pad[8];
	uint16_t type, machine;
	uint32_t version2;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
} __attribute__((packed));

#define ELF_PHNUM_MAX 64 /* program headers an image may have */
#define ELF_SEGS_MAX  16 /* non-empty PT_LOAD segments among them */

/* One segment to map: memsz bytes at vaddr, the first filesz from the file at offset. */
struct elf_seg {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags; /* PF_* */
};

/* What elf_check found. */
struct elf_layout {
	uint64_t entry;
	unsigned nsegs;
	struct elf_seg seg[ELF_SEGS_MAX];
	int bad; /* on refusal: the program header at fault, or -1 (the file as a whole) */
};

/*
 * Checks the len bytes at image as a static little-endian ELF64 x86-64 executable whose
 * loadable segments lie in [va_min, va_end) (va_min <= va_end). Every non-empty PT_LOAD
 * segment must have filesz <= memsz, its file bytes inside the image, its memory range inside
 * the bounds and disjoint from every other segment's; the entry point must lie in an
 * executable one; phentsize must be sizeof(struct elf64_phdr), phnum at most ELF_PHNUM_MAX
 * and the program headers inside the image. Never reads outside the image and never
 * overflows. Returns 0 with out filled (segments in header order, empty ones left out), or -1
 * with *why (a static string) saying what is wrong and out->bad naming the header.
 */
int elf_check(const uint8_t *image, uint64_t len, uint64_t va_min, uint64_t va_end,
	      struct elf_layout *out, const char **why);

#endif
