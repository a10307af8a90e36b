/* lwIP's compiler and platform port for the ixos kernel (freestanding, x86_64). */
#ifndef IXOS_LWIP_ARCH_CC_H
#define IXOS_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define LWIP_NO_INTTYPES_H 1
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_LIMITS_H 1 /* gcc's limits.h wants the C library's */

#define BYTE_ORDER LITTLE_ENDIAN

typedef int sys_prot_t;

void stack_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void stack_assert(const char *msg, const char *file, int line);
uint32_t stack_rand(void);

#define LWIP_PLATFORM_DIAG(x)                                                                  \
	do {                                                                                   \
		stack_diag x;                                                                  \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) stack_assert(x, __FILE__, __LINE__)
#define LWIP_RAND() stack_rand()

#endif
