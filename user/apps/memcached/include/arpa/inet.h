/* Address text conversion (sockapi.c). */
#ifndef IXOS_MC_ARPA_INET_H
#define IXOS_MC_ARPA_INET_H

#include <netinet/in.h>

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);
int inet_pton(int af, const char *src, void *dst);

#endif
