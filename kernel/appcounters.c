/*
 * Counters an app publishes (SYS_COUNTERS, kernel/user.h): the kernel keeps their names and
 * where the values are; the management core reads the values out of the app's memory when
 * `ixmgr stats` asks, through the app's page tables (the app's pages stay until it is
 * unloaded, which the management core itself does, never during a read).
 */
#include "kernel/heap.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/user.h"
#include "user/libix/ix_abi.h"

#define APPCNT_SETS_MAX 64

_Static_assert(sizeof(((struct app_counters *)0)->names) == IX_COUNTERS_MAX * IX_COUNTER_NAME_MAX,
	       "kernel/user.h's app_counters and user/libix/ix_abi.h disagree");

static bool appcnt_name_ok(const char *s)
{
	size_t n = 0;

	for (; n < IX_COUNTER_NAME_MAX && s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n > 0 && n < IX_COUNTER_NAME_MAX;
}

long app_publish_counters(struct app *app, uint64_t desc_uva)
{
	struct ix_counters_desc d;

	if (!copy_from_user(&d, desc_uva, sizeof(d)))
		return -IX_EFAULT;
	if (d.n == 0 || d.n > IX_COUNTERS_MAX || d.nsets == 0 || d.nsets > APPCNT_SETS_MAX ||
	    d.stride < d.n || d.stride > (1u << 16))
		return -IX_EINVAL;
	uint64_t bytes = (uint64_t)d.nsets * d.stride * sizeof(uint64_t);
	if ((d.values & 7) || !user_range_ok(d.values, bytes))
		return -IX_EFAULT;
	struct app_counters *c = app->counters;
	if (!c) {
		c = kmalloc(sizeof(*c));
		if (!c)
			return -IX_ENOMEM;
		memset(c, 0, sizeof(*c));
	}
	/* The management core may be reading: it sees n == 0 while the rest changes. */
	__atomic_store_n(&c->n, 0, __ATOMIC_RELEASE);
	if (!copy_from_user(c->names, d.names, (uint64_t)d.n * IX_COUNTER_NAME_MAX)) {
		app->counters = c;
		return -IX_EFAULT;
	}
	for (unsigned i = 0; i < d.n; i++)
		if (!appcnt_name_ok(c->names[i])) {
			app->counters = c;
			return -IX_EINVAL;
		}
	c->nsets = d.nsets;
	c->stride = d.stride;
	c->values = d.values;
	__atomic_store_n(&app->counters, c, __ATOMIC_RELEASE);
	__atomic_store_n(&c->n, d.n, __ATOMIC_RELEASE);
	return 0;
}

unsigned app_read_counters(const struct app *app, const char **names, uint64_t *sums, unsigned max)
{
	struct app_counters *c = __atomic_load_n(&app->counters, __ATOMIC_ACQUIRE);
	unsigned n = c ? __atomic_load_n(&c->n, __ATOMIC_ACQUIRE) : 0;

	if (n > max)
		n = max;
	for (unsigned i = 0; i < n; i++) {
		names[i] = c->names[i];
		sums[i] = 0;
		for (unsigned s = 0; s < c->nsets; s++) {
			uint64_t va = c->values + ((uint64_t)s * c->stride + i) * sizeof(uint64_t);
			uint64_t phys;
			if (!user_page_phys(app->pml4, va & ~(PAGE_SIZE - 1ULL), &phys))
				continue; /* it was mapped when published; an app cannot unmap */
			/* An aligned 64-bit load: the app's thread may be storing it right now. */
			sums[i] += __atomic_load_n(
			    (const uint64_t *)phys_to_virt(phys + (va & (PAGE_SIZE - 1))),
			    __ATOMIC_RELAXED);
		}
	}
	return n;
}
