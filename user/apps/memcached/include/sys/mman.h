/* Memory mapping: only restart.c's -e (memory file) uses it, which ixos refuses (posix.c). */
#ifndef IXOS_MC_SYS_MMAN_H
#define IXOS_MC_SYS_MMAN_H

#include <sys/types.h>

#define PROT_READ     1
#define PROT_WRITE    2
#define MAP_SHARED    1
#define MAP_PRIVATE   2
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED    ((void *)-1)
#define MCL_CURRENT   1
#define MCL_FUTURE    2
#define MS_SYNC	      4

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);
int msync(void *addr, size_t len, int flags);

#endif
