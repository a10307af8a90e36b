/* Host tests of the libix batch checks (kernel/ixcall.c) against a fake address space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/ixcall.h"

/*
 * The fake app: pages 0x400000..0x40ffff mapped, physically in reverse order (so neighbours
 * are never adjacent) except 0x408000 and 0x409000, which are adjacent; 0x405000 unmapped.
 */
static bool fake_lookup(void *arg, uint64_t va, uint64_t *phys)
{
	(void)arg;
	if (va < 0x400000 || va >= 0x410000 || va == 0x405000)
		return false;
	unsigned i = (unsigned)((va - 0x400000) >> 12);
	if (i == 9)
		*phys = 0x80000000 + 8 * 0x10000 + 0x1000;
	else
		*phys = 0x80000000 + (uint64_t)i * 0x10000;
	return true;
}

static struct ix_call sendv(uint64_t base, uint64_t len)
{
	struct ix_call c;
	memset(&c, 0, sizeof(c));
	c.op = IX_OP_SENDV;
	c.niov = 1;
	c.iov[0].base = base;
	c.iov[0].len = len;
	return c;
}

static void unknown_ops_are_invalid(void **state)
{
	struct ix_call c;
	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(ixcall_check(&c), -IX_EINVAL);
	c.op = IX_OP_MAX;
	assert_int_equal(ixcall_check(&c), -IX_EINVAL);
	c.op = 0xffff;
	assert_int_equal(ixcall_check(&c), -IX_EINVAL);
	for (uint16_t op = 1; op < IX_OP_MAX; op++) {
		c.op = op;
		c.niov = 1;
		c.iov[0].base = 0x400000;
		c.iov[0].len = 10;
		assert_int_equal(ixcall_check(&c), 0);
	}
}

static void sendv_iov_count_is_bounded(void **state)
{
	struct ix_call c = sendv(0x400000, 10);
	(void)state;
	c.niov = 0;
	assert_int_equal(ixcall_check(&c), -IX_EINVAL);
	c.niov = IX_IOV_MAX + 1;
	assert_int_equal(ixcall_check(&c), -IX_EINVAL);
	c.niov = IX_IOV_MAX;
	for (int i = 0; i < IX_IOV_MAX; i++)
		c.iov[i] = (struct ix_iov){0x400000, 1};
	assert_int_equal(ixcall_check(&c), 0);
}

static void kernel_and_wrapping_pointers_fault(void **state)
{
	(void)state;
	struct ix_call c = sendv(0xffffffff80100000ULL, 64); /* the kernel image */
	assert_int_equal(ixcall_check(&c), -IX_EFAULT);
	c = sendv(0x1000, 16); /* below user space */
	assert_int_equal(ixcall_check(&c), -IX_EFAULT);
	c = sendv(IXCALL_USER_END - 8, 16); /* runs past the top */
	assert_int_equal(ixcall_check(&c), -IX_EFAULT);
	c = sendv(0x400000, UINT64_MAX); /* wraps */
	assert_int_equal(ixcall_check(&c), -IX_EFAULT);
	c = sendv(0x400000, 10);
	c.niov = 2;
	c.iov[1] = (struct ix_iov){0x0000800000000000ULL, 1}; /* non-canonical, second iov */
	assert_int_equal(ixcall_check(&c), -IX_EFAULT);
	c = sendv(IXCALL_USER_END - 16, 16); /* the last bytes: fine */
	assert_int_equal(ixcall_check(&c), 0);
}

static void map_splits_at_pages_and_merges_adjacent(void **state)
{
	struct ixcall_piece p[16];
	uint64_t bytes;
	(void)state;
	/* 0x400f00..0x401100: two pages, not adjacent physically: two pieces. */
	struct ix_call c = sendv(0x400f00, 0x200);
	assert_int_equal(ixcall_map_iov(&c, 1 << 20, p, 16, &bytes, fake_lookup, NULL), 2);
	assert_int_equal(bytes, 0x200);
	assert_int_equal(p[0].phys, 0x80000000 + 0xf00);
	assert_int_equal(p[0].len, 0x100);
	assert_int_equal(p[1].phys, 0x80010000);
	assert_int_equal(p[1].len, 0x100);
	/* 0x408800..0x409800: pages 8 and 9 are adjacent: one piece. */
	c = sendv(0x408800, 0x1000);
	assert_int_equal(ixcall_map_iov(&c, 1 << 20, p, 16, &bytes, fake_lookup, NULL), 1);
	assert_int_equal(p[0].len, 0x1000);
	assert_int_equal(bytes, 0x1000);
}

static void map_honours_limit_and_piece_count(void **state)
{
	struct ixcall_piece p[16];
	uint64_t bytes;
	(void)state;
	struct ix_call c = sendv(0x400000, 0x4000);
	assert_int_equal(ixcall_map_iov(&c, 0x1800, p, 16, &bytes, fake_lookup, NULL), 2);
	assert_int_equal(bytes, 0x1800);
	assert_int_equal(p[1].len, 0x800);
	/* Out of pieces: stops at a piece boundary and says how far it got. */
	assert_int_equal(ixcall_map_iov(&c, 1 << 20, p, 3, &bytes, fake_lookup, NULL), 3);
	assert_int_equal(bytes, 0x3000);
	/* Limit 0: nothing. */
	assert_int_equal(ixcall_map_iov(&c, 0, p, 16, &bytes, fake_lookup, NULL), 0);
	assert_int_equal(bytes, 0);
}

static void map_faults_on_an_unmapped_page(void **state)
{
	struct ixcall_piece p[16];
	uint64_t bytes;
	(void)state;
	struct ix_call c = sendv(0x404f00, 0x200); /* into the hole at 0x405000 */
	assert_int_equal(ixcall_map_iov(&c, 1 << 20, p, 16, &bytes, fake_lookup, NULL), -IX_EFAULT);
	/* ...but a limit that stops before the hole does not touch it. */
	assert_int_equal(ixcall_map_iov(&c, 0x100, p, 16, &bytes, fake_lookup, NULL), 1);
	c = sendv(0x410000, 1); /* past the app's memory */
	assert_int_equal(ixcall_map_iov(&c, 1 << 20, p, 16, &bytes, fake_lookup, NULL), -IX_EFAULT);
}

static void map_walks_several_iovs_in_order(void **state)
{
	struct ixcall_piece p[16];
	uint64_t bytes;
	(void)state;
	struct ix_call c = sendv(0x402010, 0x10);
	c.niov = 3;
	c.iov[1] = (struct ix_iov){0x403000, 0};
	c.iov[2] = (struct ix_iov){0x401000, 0x20};
	assert_int_equal(ixcall_map_iov(&c, 1 << 20, p, 16, &bytes, fake_lookup, NULL), 2);
	assert_int_equal(p[0].phys, 0x80020010);
	assert_int_equal(p[1].phys, 0x80010000);
	assert_int_equal(bytes, 0x30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_ops_are_invalid),
		cmocka_unit_test(sendv_iov_count_is_bounded),
		cmocka_unit_test(kernel_and_wrapping_pointers_fault),
		cmocka_unit_test(map_splits_at_pages_and_merges_adjacent),
		cmocka_unit_test(map_honours_limit_and_piece_count),
		cmocka_unit_test(map_faults_on_an_unmapped_page),
		cmocka_unit_test(map_walks_several_iovs_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
