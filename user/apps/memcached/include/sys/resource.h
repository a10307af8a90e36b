/* newlib's sys/resource.h plus the resource limits memcached sets (posix.c keeps them). */
#ifndef IXOS_MC_SYS_RESOURCE_H
#define IXOS_MC_SYS_RESOURCE_H

#include_next <sys/resource.h>

typedef unsigned long rlim_t;

struct rlimit {
	rlim_t rlim_cur;
	rlim_t rlim_max;
};

#define RLIMIT_CORE   4
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0UL)

int getrlimit(int resource, struct rlimit *rl);
int setrlimit(int resource, const struct rlimit *rl);

#endif
