/* Data modules and published counters (user/libix/ix.h): thin wrappers over SYS_MODULE and
 * SYS_COUNTERS. */
#include <string.h>
#include "user/apps/sys.h"
#include "user/libix/ix.h"

int ix_module_at(unsigned i, struct ix_module_desc *out)
{
	return (int)sys3(SYS_MODULE, (long)i, (long)out, 0);
}

const void *ix_module(const char *name, size_t *len)
{
	struct ix_module_desc d;

	for (unsigned i = 0; ix_module_at(i, &d) == 0; i++) {
		if (name && strcmp(d.name, name))
			continue;
		if (len)
			*len = (size_t)d.len;
		return (const void *)(uintptr_t)d.base;
	}
	return NULL;
}

int ix_counters_publish(const char (*names)[IX_COUNTER_NAME_MAX], unsigned n, uint64_t *values,
			unsigned nsets, unsigned stride)
{
	struct ix_counters_desc d = {
	    .names = (uint64_t)(uintptr_t)names,
	    .values = (uint64_t)(uintptr_t)values,
	    .n = n,
	    .nsets = nsets,
	    .stride = stride,
	};

	return (int)sys3(SYS_COUNTERS, (long)&d, 0, 0);
}
