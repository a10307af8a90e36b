/*
 * memcached's build configuration on ixos, in place of what its ./configure would write.
 * Off, and why: TLS, SASL (no OpenSSL or Cyrus SASL in the app), extstore (no disk), the
 * proxy (no Lua), unix sockets (no file system), eventfd (the notify pipes are fd.c's).
 */
#ifndef IXOS_MC_CONFIG_H
#define IXOS_MC_CONFIG_H

#define PACKAGE		"memcached"
#define VERSION		"1.6.18"
#define PACKAGE_NAME	"memcached"
#define PACKAGE_VERSION "1.6.18"
#define PACKAGE_STRING	"memcached 1.6.18"

#define ENDIAN_LITTLE	    1
#define HAVE_GCC_ATOMICS    1
#define HAVE_GCC_64ATOMICS  1
#define HAVE_GETOPT_LONG    1
#define HAVE_INTTYPES_H	    1
#define HAVE_STDBOOL_H	    1
#define HAVE_STDINT_H	    1
#define HAVE_STDIO_H	    1
#define HAVE_STDLIB_H	    1
#define HAVE_STRING_H	    1
#define HAVE_STRINGS_H	    1
#define HAVE_SYS_STAT_H	    1
#define HAVE_SYS_TYPES_H    1
#define HAVE_UNISTD_H	    1
#define HAVE__BOOL	    1
#define STDC_HEADERS	    1
#define SIZEOF_VOID_P	    8
#define DISABLE_UNIX_SOCKET 1

/* What glibc's headers bring along and memcached's files count on. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* newlib has getline only as __getline (posix.c forwards). */
ssize_t getline(char **line, size_t *cap, FILE *f);

/* The patches' hooks into the port (user/apps/memcached/port.h). */
#define IXOS 1
void ixos_worker_spawn(void *(*fn)(void *), void *arg);
unsigned ixos_worker_self(void);

#endif
