/*
 * The rest of the POSIX calls memcached makes, for an app with no processes, users, files,
 * signals or page mappings of its own: each does the harmless thing or fails with the errno
 * memcached reports (fork for -d, mmap for -e, poll for the logger's watchers).
 *
 * errno is per thread, as POSIX says: newlib built for one thread keeps it in its one global
 * reentrancy struct, so a worker's EAGAIN from read() could turn into another worker's
 * error between the call and memcached's look at errno (and close a healthy connection).
 * __errno (what the errno macro reads) is ours; the strto* conversions, which newlib makes
 * set the global one, are wrapped (ld --wrap, memcached.mk) to set the caller's.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <reent.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include "user/apps/memcached/port.h"

static unsigned posix_nofile = 1024;
static int posix_errno[PORT_THREADS_MAX];

int *__errno(void)
{
	return &posix_errno[ix_thread_index() % PORT_THREADS_MAX];
}

/* One strto* conversion with a private reentrancy struct: its ERANGE goes to our errno. */
#define POSIX_STRTO(type, name)                                                            \
	type _##name##_r(struct _reent *r, const char *s, char **end, int base);           \
	type __wrap_##name(const char *s, char **end, int base);                           \
	type __wrap_##name(const char *s, char **end, int base)                            \
	{                                                                                  \
		struct _reent r;                                                           \
		r._errno = 0;                                                              \
		type v = _##name##_r(&r, s, end, base);                                    \
		if (r._errno)                                                              \
			errno = r._errno;                                                  \
		return v;                                                                  \
	}
POSIX_STRTO(long, strtol)
POSIX_STRTO(unsigned long, strtoul)
POSIX_STRTO(long long, strtoll)
POSIX_STRTO(unsigned long long, strtoull)

unsigned port_nofile(void)
{
	return posix_nofile;
}

int getrlimit(int resource, struct rlimit *rl)
{
	rl->rlim_cur = rl->rlim_max = resource == RLIMIT_NOFILE ? posix_nofile : 0;
	return 0;
}

int setrlimit(int resource, const struct rlimit *rl)
{
	if (resource == RLIMIT_NOFILE && rl->rlim_max >= 16 && rl->rlim_max <= 1u << 20)
		posix_nofile = (unsigned)rl->rlim_max;
	return 0;
}

int sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	(void)sig, (void)sa;
	if (old)
		*old = (struct sigaction){0};
	return 0; /* nothing sends signals */
}

long sysconf(int name)
{
	(void)name;
	errno = EINVAL;
	return -1;
}

int getpagesize(void)
{
	return 4096;
}

int usleep(useconds_t us)
{
	uint64_t end = ix_clock_ns() + (uint64_t)us * 1000;

	while (ix_clock_ns() < end) /* each look is a kernel entry: within the budget */
		;
	return 0;
}

unsigned sleep(unsigned s)
{
	usleep(s * 1000000u);
	return 0;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	(void)addr, (void)len, (void)prot, (void)flags, (void)fd, (void)off;
	errno = ENODEV;
	return MAP_FAILED;
}

int munmap(void *addr, size_t len)
{
	(void)addr, (void)len;
	return 0;
}

int msync(void *addr, size_t len, int flags)
{
	(void)addr, (void)len, (void)flags;
	return 0;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	(void)fds, (void)n, (void)timeout;
	errno = ENOSYS;
	return -1;
}

uid_t getuid(void)
{
	return 1; /* not root: memcached then needs no -u */
}

uid_t geteuid(void)
{
	return 1;
}

pid_t fork(void)
{
	errno = ENOSYS;
	return -1;
}

int open(const char *path, int flags, ...)
{
	(void)path, (void)flags;
	errno = ENOENT; /* no file system */
	return -1;
}

ssize_t getline(char **line, size_t *cap, FILE *f)
{
	return __getline(line, cap, f);
}

int getrusage(int who, struct rusage *ru)
{
	(void)who;
	*ru = (struct rusage){0}; /* no CPU accounting per app yet: stats shows 0 */
	return 0;
}

/* No users, files or processes: what -u, -d, -P and -e would do fails or is a no-op. */
struct passwd *getpwnam(const char *name)
{
	(void)name;
	return NULL;
}

int setgroups(int n, const gid_t *groups)
{
	(void)n, (void)groups;
	return 0;
}

int setuid(uid_t uid)
{
	(void)uid;
	return 0;
}

int setgid(gid_t gid)
{
	(void)gid;
	return 0;
}

pid_t setsid(void)
{
	errno = EPERM;
	return -1;
}

int dup2(int fd, int to)
{
	(void)fd, (void)to;
	errno = EBADF;
	return -1;
}

mode_t umask(mode_t mask)
{
	return mask;
}

int chdir(const char *path)
{
	(void)path;
	return 0;
}

int access(const char *path, int mode)
{
	(void)path, (void)mode;
	errno = ENOENT;
	return -1;
}

int unlink(const char *path)
{
	(void)path;
	errno = ENOENT;
	return -1;
}

int link(const char *from, const char *to)
{
	(void)from, (void)to;
	errno = ENOENT;
	return -1;
}

int ftruncate(int fd, off_t len)
{
	(void)fd, (void)len;
	errno = EBADF;
	return -1;
}
