/* Kernel log and console. One lock keeps lines from different CPUs whole. */
#include <stdint.h>
#include "kernel/log.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/serial.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/trap.h"

#define LOG_RING_SIZE (64 * 1024)

int log_level = LOG_INFO;

static struct spinlock log_lock;
static volatile int log_panicking;
static char log_ring[LOG_RING_SIZE];
static size_t log_head; /* total bytes ever written; ring holds the last LOG_RING_SIZE */

static void log_ring_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_ring[(log_head + i) % LOG_RING_SIZE] = s[i];
	log_head += n;
}

static uint64_t log_lock_take(void)
{
	uint64_t f = irq_save();

	if (!log_panicking) {
		spin_lock(&log_lock);
		return f;
	}
	/* A panicking CPU waits a little for a line in flight, then writes anyway. */
	for (int i = 0; i < 1000000; i++)
		if (spin_trylock(&log_lock))
			return f;
	return f;
}

static void log_lock_drop(uint64_t f)
{
	spin_unlock(&log_lock);
	irq_restore(f);
}

static void log_emit(int level, const char *line, size_t n)
{
	uint64_t f = log_lock_take();

	log_ring_put(line, n);
	if (level <= log_level)
		serial_write(COM1_PORT, line, n);
	log_lock_drop(f);
}

void kvlog(int level, const char *fmt, va_list ap)
{
	char line[512];
	uint64_t us = time_uptime_us();
	const char *tag = level <= LOG_ERR ? "error: " : level == LOG_WARN ? "warning: " : "";
	int n = ksnprintf(line, sizeof(line), "[%5lu.%06lu] %s", (unsigned long)(us / 1000000),
			  (unsigned long)(us % 1000000), tag);
	int m = kvsnprintf(line + n, sizeof(line) - n, fmt, ap);

	n = (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
	if (n > 0 && line[n - 1] != '\n')
		line[n++] = '\n';
	line[n] = 0;
	log_emit(level, line, n);
}

void klog(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvlog(level, fmt, ap);
	va_end(ap);
}

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	log_emit(LOG_ERR, buf, n);
}

void kputs(const char *s)
{
	log_emit(LOG_ERR, s, strlen(s));
}

void kputn(const char *s, size_t n)
{
	log_emit(LOG_ERR, s, n);
}

void log_panic_mode(void)
{
	log_panicking = 1;
}

size_t log_read(size_t *pos, char *buf, size_t len)
{
	uint64_t f = log_lock_take();
	size_t oldest = log_head > LOG_RING_SIZE ? log_head - LOG_RING_SIZE : 0;
	size_t n = 0;

	if (*pos < oldest)
		*pos = oldest;
	while (*pos < log_head && n < len)
		buf[n++] = log_ring[(*pos)++ % LOG_RING_SIZE];
	log_lock_drop(f);
	return n;
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	trap_panic_stop(buf);
}
