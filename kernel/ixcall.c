/* Checking and translating the batched calls of libix (kernel/ixcall.h). */
#include "kernel/ixcall.h"

#define IXCALL_PAGE 4096ULL

static bool ixcall_range_ok(uint64_t va, uint64_t len)
{
	return va >= IXCALL_USER_MIN && va <= IXCALL_USER_END && len <= IXCALL_USER_END - va;
}

int ixcall_check(const struct ix_call *c)
{
	uint64_t total = 0;

	if (c->op == 0 || c->op >= IX_OP_MAX)
		return -IX_EINVAL;
	if (c->op != IX_OP_SENDV)
		return 0;
	if (c->niov == 0 || c->niov > IX_IOV_MAX)
		return -IX_EINVAL;
	for (unsigned i = 0; i < c->niov; i++) {
		const struct ix_iov *v = &c->iov[i];
		if (!ixcall_range_ok(v->base, v->len))
			return -IX_EFAULT;
		if (total + v->len < total)
			return -IX_EINVAL;
		total += v->len;
	}
	return 0;
}

int ixcall_map_iov(const struct ix_call *c, uint64_t limit, struct ixcall_piece *out,
		   unsigned max, uint64_t *bytes, ixcall_lookup_fn lookup, void *arg)
{
	unsigned n = 0;
	uint64_t done = 0;

	for (unsigned i = 0; i < c->niov && done < limit; i++) {
		uint64_t va = c->iov[i].base, left = c->iov[i].len;
		while (left && done < limit) {
			uint64_t page = va & ~(IXCALL_PAGE - 1), phys;
			uint64_t len = IXCALL_PAGE - (va - page);
			if (len > left)
				len = left;
			if (len > limit - done)
				len = limit - done;
			if (!lookup(arg, page, &phys))
				return -IX_EFAULT;
			phys += va - page;
			if (n && out[n - 1].phys + out[n - 1].len == phys &&
			    out[n - 1].len + len <= 0xffff) {
				out[n - 1].len += (uint32_t)len; /* physically adjacent: one piece */
			} else {
				if (n == max) {
					*bytes = done;
					return (int)n;
				}
				out[n].phys = phys;
				out[n].len = (uint32_t)len;
				n++;
			}
			va += len;
			left -= len;
			done += len;
		}
	}
	*bytes = done;
	return (int)n;
}
