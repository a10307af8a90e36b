/* Host tests of the ELF checker (kernel/elf.c) on crafted images. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/elf.h"
#include "kernel/user.h"

/* The lower half apps live in (kernel/user.c narrows the top further). */
#define VA_MIN USER_BASE
#define VA_END USER_TOP

#define IMG_LEN 0x3000

/*
 * A minimal valid image: header, program headers right after it, a text segment
 * (R+X, 0x100 bytes of file at offset 0x1000 mapped at 0x400000) and a data segment (R+W,
 * 0x80 bytes of file at 0x2000 mapped at 0x401000, 0x1000 in memory), entry at 0x400010.
 */
static struct {
	uint8_t b[IMG_LEN];
} img;

static struct elf64_ehdr *eh(void)
{
	return (struct elf64_ehdr *)img.b;
}

static struct elf64_phdr *ph(unsigned i)
{
	return (struct elf64_phdr *)(img.b + sizeof(struct elf64_ehdr)) + i;
}

static int setup(void **state)
{
	(void)state;
	memset(&img, 0, sizeof(img));
	*eh() = (struct elf64_ehdr){
	    .magic = ELF_MAGIC,
	    .class = ELFCLASS64,
	    .data = ELFDATA2LSB,
	    .version = EV_CURRENT,
	    .type = ET_EXEC,
	    .machine = EM_X86_64,
	    .version2 = EV_CURRENT,
	    .entry = 0x400010,
	    .phoff = sizeof(struct elf64_ehdr),
	    .ehsize = sizeof(struct elf64_ehdr),
	    .phentsize = sizeof(struct elf64_phdr),
	    .phnum = 2,
	};
	*ph(0) = (struct elf64_phdr){.type = PT_LOAD,
				     .flags = PF_R | PF_X,
				     .offset = 0x1000,
				     .vaddr = 0x400000,
				     .filesz = 0x100,
				     .memsz = 0x100,
				     .align = 0x1000};
	*ph(1) = (struct elf64_phdr){.type = PT_LOAD,
				     .flags = PF_R | PF_W,
				     .offset = 0x2000,
				     .vaddr = 0x401000,
				     .filesz = 0x80,
				     .memsz = 0x1000,
				     .align = 0x1000};
	return 0;
}

static const char *why;
static struct elf_layout lay;

static int check_len(uint64_t len)
{
	why = NULL;
	return elf_check(img.b, len, VA_MIN, VA_END, &lay, &why);
}

static int check(void)
{
	return check_len(IMG_LEN);
}

/* Refused, for the given reason (a word of it), naming header bad (-1: the file). */
static void assert_refused(const char *word, int bad)
{
	assert_int_equal(check(), -1);
	assert_non_null(why);
	if (!strstr(why, word))
		fail_msg("refused for \"%s\", expected \"%s\"", why, word);
	assert_int_equal(lay.bad, bad);
	assert_int_equal(lay.nsegs, 0);
}

static void minimal_image_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(check(), 0);
	assert_int_equal(lay.entry, 0x400010);
	assert_int_equal(lay.nsegs, 2);
	assert_int_equal(lay.seg[0].vaddr, 0x400000);
	assert_int_equal(lay.seg[0].offset, 0x1000);
	assert_int_equal(lay.seg[0].filesz, 0x100);
	assert_int_equal(lay.seg[0].flags, PF_R | PF_X);
	assert_int_equal(lay.seg[1].vaddr, 0x401000);
	assert_int_equal(lay.seg[1].memsz, 0x1000);
}

static void other_and_empty_headers_are_skipped(void **state)
{
	(void)state;
	eh()->phnum = 4;
	/* PT_GNU_STACK with nonsense fields, and an empty PT_LOAD (as ld leaves an empty .data). */
	*ph(2) = (struct elf64_phdr){.type = 0x6474e551, .offset = ~0ULL, .filesz = ~0ULL};
	*ph(3) = (struct elf64_phdr){.type = PT_LOAD, .offset = 0x3000, .vaddr = 0x402000};
	assert_int_equal(check(), 0);
	assert_int_equal(lay.nsegs, 2);
}

static void segments_may_share_a_page(void **state)
{
	(void)state;
	ph(1)->vaddr = 0x400100; /* right after the text, same page */
	assert_int_equal(check(), 0);
	ph(1)->vaddr = 0x4000ff; /* one byte into it */
	assert_refused("overlaps", 1);
}

static void zero_length_and_truncated_files_are_refused(void **state)
{
	(void)state;
	assert_int_equal(check_len(0), -1);
	assert_non_null(strstr(why, "shorter"));
	assert_int_equal(check_len(sizeof(struct elf64_ehdr) - 1), -1);
	assert_non_null(strstr(why, "shorter"));
	/* The header is there, the program headers are not (all of them, or the last one). */
	assert_int_equal(check_len(sizeof(struct elf64_ehdr)), -1);
	assert_non_null(strstr(why, "program headers outside"));
	assert_int_equal(check_len(sizeof(struct elf64_ehdr) + 2 * sizeof(struct elf64_phdr) - 1),
			 -1);
	assert_non_null(strstr(why, "program headers outside"));
	/* Headers complete, segment bytes cut off. */
	assert_int_equal(check_len(0x1000 + 0x100 - 1), -1);
	assert_non_null(strstr(why, "file bytes outside"));
	assert_int_equal(lay.bad, 0);
}

static void bad_identity_is_refused(void **state)
{
	(void)state;
	eh()->magic ^= 1;
	assert_refused("not an ELF", -1);
	setup(state);
	eh()->class = 1;
	assert_refused("64-bit", -1);
	setup(state);
	eh()->data = 2;
	assert_refused("little-endian", -1);
	setup(state);
	eh()->version2 = 2;
	assert_refused("version", -1);
	setup(state);
	eh()->type = 3; /* ET_DYN: PIE or a shared object */
	assert_refused("ET_EXEC", -1);
	setup(state);
	eh()->machine = 3; /* i386 */
	assert_refused("x86-64", -1);
	setup(state);
	ph(0)->type = PT_INTERP;
	assert_refused("interpreter", 0);
}

static void phentsize_must_match(void **state)
{
	(void)state;
	eh()->phentsize = sizeof(struct elf64_phdr) - 1;
	assert_refused("size", -1);
	eh()->phentsize = 0;
	assert_refused("size", -1);
}

static void phnum_is_bounded(void **state)
{
	(void)state;
	eh()->phnum = 0xffff;
	assert_refused("too many program headers", -1);
	eh()->phnum = ELF_PHNUM_MAX + 1;
	assert_refused("too many program headers", -1);
	eh()->phnum = 0;
	assert_refused("no program headers", -1);
}

static void too_many_segments_are_refused(void **state)
{
	(void)state;
	/* ELF_PHNUM_MAX headers at 0x1000, every one a one-byte segment of its own page. */
	eh()->phoff = 0x1000;
	eh()->phnum = ELF_PHNUM_MAX;
	eh()->entry = 0x400000;
	struct elf64_phdr *p = (struct elf64_phdr *)(img.b + 0x1000);
	for (unsigned i = 0; i < ELF_PHNUM_MAX; i++)
		p[i] = (struct elf64_phdr){.type = i < ELF_SEGS_MAX ? PT_LOAD : 0,
					   .flags = PF_R | PF_X,
					   .vaddr = 0x400000 + i * 0x1000ULL,
					   .memsz = 1};
	assert_int_equal(check(), 0);
	assert_int_equal(lay.nsegs, ELF_SEGS_MAX);
	p[ELF_SEGS_MAX].type = PT_LOAD;
	assert_refused("too many loadable", ELF_SEGS_MAX);
}

static void phoff_wrapping_is_refused(void **state)
{
	(void)state;
	/* phoff + 1 * 56 wraps to 0: the old check (phoff + phnum * 56 > len) let it through. */
	eh()->phnum = 1;
	eh()->phoff = 0ULL - sizeof(struct elf64_phdr);
	assert_refused("program headers outside", -1);
	eh()->phnum = 2;
	eh()->phoff = 0ULL - 2 * sizeof(struct elf64_phdr) + 8; /* wraps to 8 */
	assert_refused("program headers outside", -1);
	eh()->phoff = IMG_LEN + 1;
	assert_refused("program headers outside", -1);
	eh()->phoff = ~0ULL;
	assert_refused("program headers outside", -1);
}

static void offset_plus_filesz_wrapping_is_refused(void **state)
{
	(void)state;
	/* offset + filesz wraps to 0: the old check let the loader copy from before the image. */
	ph(0)->offset = 0ULL - 0x100;
	assert_refused("file bytes outside", 0);
	setup(state);
	ph(1)->offset = 0ULL - 0x40; /* wraps to 0x40 */
	assert_refused("file bytes outside", 1);
	setup(state);
	ph(0)->offset = IMG_LEN; /* starts at the end */
	assert_refused("file bytes outside", 0);
	setup(state);
	ph(1)->filesz = ph(1)->memsz = ~0ULL;
	assert_refused("file bytes outside", 1);
}

static void filesz_above_memsz_is_refused(void **state)
{
	(void)state;
	ph(0)->filesz = ph(0)->memsz + 1;
	assert_refused("larger than memory", 0);
	setup(state);
	ph(1)->memsz = 0; /* an "empty" segment with file bytes */
	assert_refused("larger than memory", 1);
}

static void vaddr_plus_memsz_wrapping_is_refused(void **state)
{
	(void)state;
	ph(1)->memsz = 0ULL - 0x1000; /* 0x401000 + memsz wraps to 0x400000 */
	assert_refused("outside user space", 1);
	setup(state);
	ph(1)->vaddr = 0ULL - 0x1000;
	ph(1)->memsz = 0x2000; /* wraps to 0x1000 */
	assert_refused("outside user space", 1);
	setup(state);
	ph(1)->vaddr = ~0ULL;
	ph(1)->memsz = ~0ULL;
	ph(1)->filesz = 0;
	assert_refused("outside user space", 1);
}

static void segments_into_the_kernel_half_are_refused(void **state)
{
	(void)state;
	ph(1)->vaddr = VA_END;
	assert_refused("outside user space", 1);
	setup(state);
	ph(1)->vaddr = VA_END - 0x800; /* starts below, reaches past */
	assert_refused("outside user space", 1);
	setup(state);
	ph(1)->vaddr = 0xffffffff80000000ULL; /* the kernel's own text */
	assert_refused("outside user space", 1);
	setup(state);
	ph(1)->vaddr = 0xffff800000000000ULL;
	assert_refused("outside user space", 1);
	setup(state);
	ph(1)->vaddr = VA_END - 0x1000; /* the last page fits */
	assert_int_equal(check(), 0);
	/* And the lower bound. */
	ph(1)->vaddr = VA_MIN - 0x1000;
	assert_refused("outside user space", 1);
	setup(state);
	ph(1)->vaddr = 0;
	assert_refused("outside user space", 1);
}

static void tighter_bounds_are_honoured(void **state)
{
	(void)state;
	assert_int_equal(elf_check(img.b, IMG_LEN, VA_MIN, 0x401800, &lay, &why), -1);
	assert_int_equal(lay.bad, 1);
	assert_int_equal(elf_check(img.b, IMG_LEN, VA_MIN, 0x402000, &lay, &why), 0);
}

static void overlapping_segments_are_refused(void **state)
{
	(void)state;
	ph(1)->vaddr = 0x400000; /* the same start */
	assert_refused("overlaps", 1);
	setup(state);
	/* Text at 0x410000; data starting below it and ending one byte into it. */
	ph(0)->vaddr = 0x410000;
	eh()->entry = 0x410000;
	ph(1)->vaddr = 0x40ff00;
	ph(1)->memsz = 0x101;
	assert_refused("overlaps", 1);
	ph(1)->memsz = 0x100; /* ending right before it */
	assert_int_equal(check(), 0);
	/* A large segment containing the text entirely, listed after it. */
	ph(1)->vaddr = 0x400000;
	ph(1)->memsz = 0x20000;
	assert_refused("overlaps", 1);
}

static void entry_must_be_in_an_executable_segment(void **state)
{
	(void)state;
	eh()->entry = 0x400100; /* one past the text */
	assert_refused("entry point", -1);
	eh()->entry = 0x401000; /* in the data segment, not executable */
	assert_refused("entry point", -1);
	eh()->entry = 0;
	assert_refused("entry point", -1);
	eh()->entry = ~0ULL;
	assert_refused("entry point", -1);
	eh()->entry = 0x4000ff; /* the last byte of the text */
	assert_int_equal(check(), 0);
	ph(0)->type = 0; /* no text at all */
	assert_refused("entry point", -1);
	ph(1)->type = 0;
	assert_refused("no loadable segment", -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(minimal_image_is_accepted, setup),
	    cmocka_unit_test_setup(other_and_empty_headers_are_skipped, setup),
	    cmocka_unit_test_setup(segments_may_share_a_page, setup),
	    cmocka_unit_test_setup(zero_length_and_truncated_files_are_refused, setup),
	    cmocka_unit_test_setup(bad_identity_is_refused, setup),
	    cmocka_unit_test_setup(phentsize_must_match, setup),
	    cmocka_unit_test_setup(phnum_is_bounded, setup),
	    cmocka_unit_test_setup(too_many_segments_are_refused, setup),
	    cmocka_unit_test_setup(phoff_wrapping_is_refused, setup),
	    cmocka_unit_test_setup(offset_plus_filesz_wrapping_is_refused, setup),
	    cmocka_unit_test_setup(filesz_above_memsz_is_refused, setup),
	    cmocka_unit_test_setup(vaddr_plus_memsz_wrapping_is_refused, setup),
	    cmocka_unit_test_setup(segments_into_the_kernel_half_are_refused, setup),
	    cmocka_unit_test_setup(tighter_bounds_are_honoured, setup),
	    cmocka_unit_test_setup(overlapping_segments_are_refused, setup),
	    cmocka_unit_test_setup(entry_must_be_in_an_executable_segment, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
