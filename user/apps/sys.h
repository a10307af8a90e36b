/* The raw system calls (kernel/syscall.c) for apps without a C library yet. */
#ifndef IXOS_USER_SYS_H
#define IXOS_USER_SYS_H

#define SYS_WRITE 1
#define SYS_EXIT 2

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

#endif
