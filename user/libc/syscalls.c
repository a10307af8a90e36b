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
#include <reent.h>
#include <stdbool.h>
#include <stdint.h>
#include "user/apps/sys.h"
#include "user/libix/ix_abi.h"

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
	long ns = sys3(SYS_CLOCK, SYS_CLOCK_WALL, 0, 0); /* the RTC at boot, then the TSC */
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

/*
 * newlib's malloc takes this lock around its heap (the app's threads run on several cores
 * at once). A recursive spinlock; the owner is the thread, known from its stack.
 */
static volatile int malloc_owner = -1;
static int malloc_depth;

static int thread_index(void)
{
	return (int)((IX_STACK_TOP - (uint64_t)__builtin_frame_address(0)) / IX_STACK_STRIDE);
}

void __malloc_lock(struct _reent *r)
{
	int me = thread_index(), free_ = -1;

	(void)r;
	if (malloc_owner == me) {
		malloc_depth++;
		return;
	}
	for (unsigned spins = 0;
	     !__atomic_compare_exchange_n(&malloc_owner, &free_, me, false, __ATOMIC_ACQUIRE,
					  __ATOMIC_RELAXED);
	     spins++) {
		free_ = -1;
		__asm__ volatile("pause");
		/* The holder's core may be slow to give it back (an emulated CPU descheduled):
		 * entering the kernel now and then keeps this wait within the time budget. */
		if ((spins & 1023) == 1023)
			sys3(SYS_CLOCK, 0, 0, 0);
	}
	malloc_depth = 1;
}

void __malloc_unlock(struct _reent *r)
{
	(void)r;
	if (--malloc_depth == 0)
		__atomic_store_n(&malloc_owner, -1, __ATOMIC_RELEASE);
}
