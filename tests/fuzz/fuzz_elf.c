/*
 * libFuzzer target for the ELF checker (kernel/elf.c): the input is the image, checked against
 * the bounds apps really get (USER_BASE up to the packet-pool map less the heap, as
 * kernel/user.c passes them) and against the whole lower half (up to USER_TOP). Every accepted
 * layout must keep the promises kernel/user.c maps it by; the file bytes of every segment are
 * read as the loader copies them, so AddressSanitizer sees any read outside the image. Built
 * and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/elf.h"
#include "kernel/user.h"
#include "user/libix/ix_abi.h"

/* The bounds kernel/user.c passes (USER_IMAGE_END there), and the whole lower half. */
#define VA_MIN	     USER_BASE
#define VA_TOP	     USER_TOP
#define VA_IMAGE_END (IX_RXMAP_BASE - USER_HEAP_MAX)

static volatile uint8_t sink;

static void check_layout(const uint8_t *data, size_t size, uint64_t va_end)
{
	struct elf_layout lay;
	const char *why = NULL;

	if (elf_check(data, size, VA_MIN, va_end, &lay, &why)) {
		if (!why || lay.nsegs != 0 || lay.bad < -1 || lay.bad >= ELF_PHNUM_MAX)
			__builtin_trap();
		return;
	}
	if (lay.nsegs == 0 || lay.nsegs > ELF_SEGS_MAX)
		__builtin_trap();
	int entry_ok = 0;
	for (unsigned i = 0; i < lay.nsegs; i++) {
		const struct elf_seg *s = &lay.seg[i];
		/* Inside the bounds (no wrap), non-empty, its file bytes inside the file. */
		if (s->memsz == 0 || s->vaddr < VA_MIN || s->vaddr >= va_end ||
		    s->memsz > va_end - s->vaddr || s->filesz > s->memsz)
			__builtin_trap();
		if (s->filesz != 0 && (s->offset > size || s->filesz > size - s->offset))
			__builtin_trap();
		/* Disjoint from every other segment. */
		for (unsigned j = 0; j < i; j++) {
			const struct elf_seg *t = &lay.seg[j];
			if (s->vaddr < t->vaddr + t->memsz && t->vaddr < s->vaddr + s->memsz)
				__builtin_trap();
		}
		if ((s->flags & PF_X) && lay.entry >= s->vaddr && lay.entry - s->vaddr < s->memsz)
			entry_ok = 1;
		/* Read what the loader would copy (first, last and every 4 KiB in between). */
		uint8_t x = 0;
		for (uint64_t k = 0; k < s->filesz; k += 4096)
			x ^= data[s->offset + k];
		if (s->filesz)
			x ^= data[s->offset + s->filesz - 1];
		sink = x;
	}
	if (!entry_ok)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_layout(data, size, VA_IMAGE_END);
	check_layout(data, size, VA_TOP);
	return 0;
}
