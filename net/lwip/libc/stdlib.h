/* <stdlib.h> for lwIP inside the kernel: lwIP's core needs only atoi. */
#ifndef IXOS_LWIP_STDLIB_H
#define IXOS_LWIP_STDLIB_H
int atoi(const char *s);
#endif
