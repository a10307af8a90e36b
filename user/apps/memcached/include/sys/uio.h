/* Scatter/gather vectors (what memcached's sendmsg and writev calls take). */
#ifndef IXOS_MC_SYS_UIO_H
#define IXOS_MC_SYS_UIO_H

#include <stddef.h>
#include <sys/types.h>

struct iovec {
	void *iov_base;
	size_t iov_len;
};

#define IOV_MAX 1024

ssize_t writev(int fd, const struct iovec *iov, int n);

#endif
