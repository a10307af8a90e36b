/* Checking an ELF64 executable before loading it (kernel/elf.h). */
#include "kernel/elf.h"
#include <stddef.h>

static int refuse(struct elf_layout *out, const char **why, int bad, const char *reason)
{
	out->entry = 0;
	out->nsegs = 0;
	out->bad = bad;
	*why = reason;
	return -1;
}

/* The file header: a static little-endian x86-64 executable with sane program headers. */
static const char *check_ehdr(const struct elf64_ehdr *eh, uint64_t len)
{
	if (eh->magic != ELF_MAGIC)
		return "not an ELF file";
	if (eh->class != ELFCLASS64)
		return "not a 64-bit ELF file";
	if (eh->data != ELFDATA2LSB)
		return "not a little-endian ELF file";
	if (eh->version != EV_CURRENT || eh->version2 != EV_CURRENT)
		return "unknown ELF version";
	if (eh->type != ET_EXEC)
		return "not a static executable (ELF type is not ET_EXEC)";
	if (eh->machine != EM_X86_64)
		return "not an x86-64 executable";
	if (eh->phentsize != sizeof(struct elf64_phdr))
		return "program header size is not 56 bytes";
	if (eh->phnum == 0)
		return "no program headers";
	if (eh->phnum > ELF_PHNUM_MAX)
		return "too many program headers (more than 64)";
	/* phnum <= 64: the product cannot overflow; phoff is checked before it is subtracted. */
	if (eh->phoff > len || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > len - eh->phoff)
		return "program headers outside the file";
	return NULL;
}

/* A loadable segment on its own: its file bytes in the file, its memory in the bounds. */
static const char *check_load(const struct elf64_phdr *ph, uint64_t len, uint64_t va_min,
			      uint64_t va_end)
{
	if (ph->filesz > ph->memsz)
		return "file size larger than memory size";
	if (ph->filesz != 0 && (ph->offset > len || ph->filesz > len - ph->offset))
		return "file bytes outside the file";
	if (ph->memsz == 0)
		return NULL;
	if (ph->vaddr < va_min || ph->vaddr >= va_end || ph->memsz > va_end - ph->vaddr)
		return "outside user space";
	return NULL;
}

int elf_check(const uint8_t *image, uint64_t len, uint64_t va_min, uint64_t va_end,
	      struct elf_layout *out, const char **why)
{
	const struct elf64_ehdr *eh = (const void *)image;
	const char *reason;

	out->entry = 0;
	out->nsegs = 0;
	out->bad = -1;
	if (len < sizeof(*eh))
		return refuse(out, why, -1, "file shorter than an ELF header");
	reason = check_ehdr(eh, len);
	if (reason)
		return refuse(out, why, -1, reason);

	const struct elf64_phdr *ph = (const void *)(image + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type == PT_INTERP)
			return refuse(out, why, (int)i,
				      "needs an interpreter (dynamically linked)");
		if (ph[i].type != PT_LOAD)
			continue;
		reason = check_load(&ph[i], len, va_min, va_end);
		if (reason)
			return refuse(out, why, (int)i, reason);
		if (ph[i].memsz == 0)
			continue;
		if (out->nsegs == ELF_SEGS_MAX)
			return refuse(out, why, (int)i,
				      "too many loadable segments (more than 16)");
		/* Both ranges are inside the bounds, so their ends do not overflow. */
		uint64_t lo = ph[i].vaddr, hi = ph[i].vaddr + ph[i].memsz;
		for (unsigned j = 0; j < out->nsegs; j++) {
			const struct elf_seg *s = &out->seg[j];
			if (lo < s->vaddr + s->memsz && s->vaddr < hi)
				return refuse(out, why, (int)i, "overlaps an earlier segment");
		}
		out->seg[out->nsegs++] = (struct elf_seg){
		    .vaddr = ph[i].vaddr,
		    .memsz = ph[i].memsz,
		    .offset = ph[i].offset,
		    .filesz = ph[i].filesz,
		    .flags = ph[i].flags,
		};
	}
	if (out->nsegs == 0)
		return refuse(out, why, -1, "no loadable segment");
	for (unsigned j = 0; j < out->nsegs; j++) {
		const struct elf_seg *s = &out->seg[j];
		if ((s->flags & PF_X) && eh->entry >= s->vaddr && eh->entry - s->vaddr < s->memsz) {
			out->entry = eh->entry;
			return 0;
		}
	}
	return refuse(out, why, -1, "entry point not in an executable segment");
}
