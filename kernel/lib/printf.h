/* Formatted output into a buffer: the one formatter behind kprintf, the log and panics. */
#ifndef IXOS_LIB_PRINTF_H
#define IXOS_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * kvsnprintf formats like C's vsnprintf for the subset the kernel uses:
 *   %d %i %u %x %X %o %c %s %p %%, with flags '-' '0' '+' ' ' '#', a width and a precision
 *   (both may be '*'), and the length modifiers hh h l ll z t j.
 * %p prints 0x followed by 16 hex digits. A NULL %s prints "(null)".
 * It writes at most size bytes including the terminating NUL (nothing if size is 0) and
 * returns the length the full output would have had, as vsnprintf does. An unknown
 * conversion is copied through literally.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
