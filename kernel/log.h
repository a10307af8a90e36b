/* The kernel log: COM1 plus a ring buffer the management core can tail. */
#ifndef IXOS_LOG_H
#define IXOS_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include "kernel/cmdline.h" /* LOG_ERR .. LOG_DEBUG */

/* Messages above this level are kept out of COM1 (they still reach the ring). */
extern int log_level;

/*
 * Writes a message at a level to COM1 and the ring as "[seconds.micro] text", with "warning: "
 * or "error: " before the text at those levels. Any context.
 */
void klog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kvlog(int level, const char *fmt, va_list ap);

#define log_err(...) klog(LOG_ERR, __VA_ARGS__)
#define log_warn(...) klog(LOG_WARN, __VA_ARGS__)
#define log_info(...) klog(LOG_INFO, __VA_ARGS__)
#define log_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

/* Writes text exactly as given (no time stamp, no level filter): ready lines, dumps. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes a string exactly as given, however long (kprintf stops at 512 bytes). */
void kputs(const char *s);

/*
 * Puts the log into panic mode: from now on this CPU writes without waiting for the lock
 * another (possibly dead) CPU may hold.
 */
/* Writes s[0, n) to the console and the log ring whatever the level, as one piece (no other
 * CPU's line comes inside it): apps' output. */
void kputn(const char *s, size_t n);
void log_panic_mode(void);

/*
 * Copies log text starting at absolute offset *pos into buf (at most len bytes) and advances
 * *pos. If *pos has been overwritten already, it skips to the oldest text kept. Returns the
 * number of bytes copied.
 */
size_t log_read(size_t *pos, char *buf, size_t len);

/* Stops the machine with a message: every CPU halts. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
