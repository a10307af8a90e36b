/* The string functions the kernel (and later lwIP) expects; gcc may also emit calls to them. */
#ifndef IXOS_LIB_STRING_H
#define IXOS_LIB_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
/* The first occurrence of needle in hay, or NULL. */
char *strstr(const char *hay, const char *needle);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates (if size > 0); returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
/* Decimal string to int, as C's atoi (lwIP needs it). */
int atoi(const char *s);

#endif
