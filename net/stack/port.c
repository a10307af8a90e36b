/* lwIP's platform hooks (time, randomness, diagnostics), one set per stack instance. */
#include <stdarg.h>
#include "kernel/lib/printf.h"
#include "kernel/log.h"
#include "kernel/random.h"
#include "kernel/time.h"
#include "lwip/arch.h"
#include "lwip/sys.h"

u32_t sys_now(void)
{
	return (u32_t)(time_uptime_us() / 1000);
}

void stack_diag(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_debug("lwip: %s", buf);
}

void stack_assert(const char *msg, const char *file, int line)
{
	panic("lwip: assertion '%s' failed at %s:%d", msg, file, line);
}

uint32_t stack_rand(void)
{
	/* LWIP_RAND (ephemeral ports) and the connect path's port choice: the kernel's random
	 * source. Initial sequence numbers come from net/stack/isn.c. */
	return (uint32_t)random_u64();
}
