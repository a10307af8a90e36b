/*
 * newlib's system-call layer for ixos apps (newlib is built with
 * --disable-newlib-supplied-syscalls, so these are the only way out): console output, the
 * heap (brk), time, exit. Files and processes do not exist; those calls fail with errors
 * newlib's callers understand.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include "user/apps/sys.h"

#undef errno
extern int errno;

int write(int fd, const void *buf, size_t len)
{
	long r = sys_write(fd, buf, len);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

int read(int fd, void *buf, size_t len)
{
	(void)fd, (void)buf, (void)len;
	return 0; /* no input yet: end of file */
}

int close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR; /* the console: newlib line-buffers it */
	return 0;
}

int isatty(int fd)
{
	return fd >= 0 && fd <= 2;
}

void *sbrk(ptrdiff_t inc)
{
	static char *brk;
	char *old;

	if (!brk)
		brk = (char *)sys3(SYS_BRK, 0, 0, 0);
	old = brk;
	if (inc && (char *)sys3(SYS_BRK, (long)(brk + inc), 0, 0) != brk + inc) {
		errno = ENOMEM;
		return (void *)-1;
	}
	brk += inc;
	return old;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	long ns = sys3(SYS_CLOCK, 0, 0, 0); /* since boot: there is no wall clock yet */
	(void)tz;
	tv->tv_sec = ns / 1000000000;
	tv->tv_usec = (ns / 1000) % 1000000;
	return 0;
}

void _exit(int status)
{
	sys_exit(status);
}

int getpid(void)
{
	return 1;
}

int kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = EINVAL;
	return -1;
}

void _init(void)
{
}

void _fini(void)
{
}
