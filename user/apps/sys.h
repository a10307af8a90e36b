/* The raw system calls (kernel/syscall.c) for apps without a C library yet. */
#ifndef IXOS_USER_SYS_H
#define IXOS_USER_SYS_H

#define SYS_WRITE 1 /* write(fd 1 or 2, buf, len) -> bytes or -errno */
#define SYS_EXIT 2  /* exit(status) */
#define SYS_BRK 3   /* brk(addr): moves the heap's end to addr (0: just asks); returns the end */
#define SYS_CLOCK 4 /* clock(which): nanoseconds since boot (0) or since 1970, UTC (1) */
#define SYS_CLOCK_BOOT 0
#define SYS_CLOCK_WALL 1
/* 5 (SYS_IX_RUN) and 6 (SYS_THREAD_EXIT): user/libix/ix_abi.h */

static inline long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static inline long sys_write(int fd, const void *buf, unsigned long len)
{
	return sys3(SYS_WRITE, fd, (long)buf, (long)len);
}

static inline __attribute__((noreturn)) void sys_exit(int status)
{
	sys3(SYS_EXIT, status, 0, 0);
	for (;;)
		;
}

/* Ends this thread only; the app's other threads go on. */
static inline __attribute__((noreturn)) void sys_thread_exit(void)
{
	sys3(6, 0, 0, 0);
	for (;;)
		;
}

#endif
