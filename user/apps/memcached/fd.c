/*
 * File descriptors for memcached on ixos. memcached keeps its connections in an array
 * indexed by descriptor, so connections, the listener and the worker notify pipes get small
 * numbers from one table shared by all threads (a spinlock guards allocation), sized by the
 * RLIMIT_NOFILE memcached sets from -c. 0..2 stay the console's: read, write and close are
 * wrapped at link time (ld --wrap), so newlib's own stdio still reaches user/libc/syscalls.c.
 *
 * Pipes are in-memory byte queues (memcached's notify pipes: one byte per queued connection).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "user/apps/memcached/port.h"

#define PIPE_BYTES 4096

struct pipe {
	volatile int lock;
	unsigned head, len;
	int rfd, open_ends;
	char buf[PIPE_BYTES];
};

static struct port_fd *fd_table;
static unsigned fd_count;
static volatile int fd_lock;

int __real_read(int fd, void *buf, size_t len);
int __real_write(int fd, const void *buf, size_t len);
int __real_close(int fd);

int fd_alloc(int kind, void *obj)
{
	int fd = -1;

	port_spin_lock(&fd_lock);
	if (!fd_table) {
		fd_count = port_nofile();
		fd_table = calloc(fd_count, sizeof(*fd_table));
		if (!fd_table)
			fd_count = 0;
	}
	for (unsigned i = 3; i < fd_count; i++) {
		if (fd_table[i].kind == FD_FREE) {
			unsigned gen = fd_table[i].gen + 1;
			fd_table[i] = (struct port_fd){.kind = kind, .obj = obj, .gen = gen};
			fd = (int)i;
			break;
		}
	}
	port_spin_unlock(&fd_lock);
	if (fd < 0)
		errno = EMFILE;
	return fd;
}

void fd_free(int fd)
{
	port_spin_lock(&fd_lock);
	fd_table[fd] = (struct port_fd){.kind = FD_FREE, .gen = fd_table[fd].gen};
	port_spin_unlock(&fd_lock);
}

struct port_fd *fd_get(int fd)
{
	if (fd < 3 || (unsigned)fd >= fd_count || fd_table[fd].kind == FD_FREE)
		return NULL;
	return &fd_table[fd];
}

void fd_watch(int fd, struct event *ev)
{
	struct port_fd *e = fd_get(fd);

	if (e)
		e->watch = ev;
}

struct event *fd_watcher(int fd)
{
	struct port_fd *e = fd_get(fd);

	return e ? e->watch : NULL;
}

short fd_ready(int fd)
{
	struct port_fd *e = fd_get(fd);

	if (!e)
		return 0;
	switch (e->kind) {
	case FD_LISTEN:
		return sock_knocks() ? EV_READ : 0;
	case FD_CONN:
		return sock_conn_ready(e->obj);
	case FD_PIPE_R:
		return ((struct pipe *)e->obj)->len ? EV_READ : 0;
	case FD_PIPE_W:
		return EV_WRITE;
	default:
		return 0;
	}
}

int pipe(int fds[2])
{
	struct pipe *p = calloc(1, sizeof(*p));

	if (!p) {
		errno = ENFILE;
		return -1;
	}
	fds[0] = fd_alloc(FD_PIPE_R, p);
	fds[1] = fds[0] < 0 ? -1 : fd_alloc(FD_PIPE_W, p);
	if (fds[1] < 0) {
		if (fds[0] >= 0)
			fd_free(fds[0]);
		free(p);
		return -1;
	}
	p->rfd = fds[0];
	p->open_ends = 2;
	return 0;
}

static int pipe_read(struct pipe *p, char *buf, size_t len)
{
	port_spin_lock(&p->lock);
	size_t n = len < p->len ? len : p->len;
	for (size_t i = 0; i < n; i++)
		buf[i] = p->buf[(p->head + i) % PIPE_BYTES];
	p->head = (p->head + (unsigned)n) % PIPE_BYTES;
	p->len -= (unsigned)n;
	port_spin_unlock(&p->lock);
	if (!n) {
		errno = EAGAIN;
		return -1;
	}
	return (int)n;
}

static int pipe_write(struct pipe *p, const char *buf, size_t len)
{
	port_spin_lock(&p->lock);
	size_t n = PIPE_BYTES - p->len < len ? PIPE_BYTES - p->len : len;
	for (size_t i = 0; i < n; i++)
		p->buf[(p->head + p->len + i) % PIPE_BYTES] = buf[i];
	p->len += (unsigned)n;
	port_spin_unlock(&p->lock);
	if (!n) {
		errno = EAGAIN;
		return -1;
	}
	evl_fd_changed(p->rfd);
	return (int)n;
}

/* read(2) for every caller: ours, or the console's (user/libc/syscalls.c). */
int __wrap_read(int fd, void *buf, size_t len)
{
	struct port_fd *e = fd_get(fd);

	if (!e)
		return __real_read(fd, buf, len);
	if (e->kind == FD_CONN)
		return (int)sock_read(e->obj, buf, len);
	if (e->kind == FD_PIPE_R)
		return pipe_read(e->obj, buf, len);
	if (e->kind == FD_CONSOLE)
		return __real_read((int)(intptr_t)e->obj, buf, len);
	errno = EINVAL;
	return -1;
}

/* write(2) for every caller, as __wrap_read. */
int __wrap_write(int fd, const void *buf, size_t len)
{
	struct port_fd *e = fd_get(fd);

	if (!e)
		return __real_write(fd, buf, len);
	if (e->kind == FD_CONN) {
		struct iovec v = {.iov_base = (void *)buf, .iov_len = len};
		return (int)sock_sendmsg(e->obj, &v, 1);
	}
	if (e->kind == FD_PIPE_W)
		return pipe_write(e->obj, buf, len);
	if (e->kind == FD_CONSOLE)
		return __real_write((int)(intptr_t)e->obj, buf, len);
	errno = EINVAL;
	return -1;
}

/* close(2) for every caller, as __wrap_read. */
int __wrap_close(int fd)
{
	struct port_fd *e = fd_get(fd);

	if (!e)
		return __real_close(fd);
	int kind = e->kind;
	void *obj = e->obj;
	fd_free(fd);
	if (kind == FD_CONN) {
		sock_close(obj);
	} else if (kind == FD_PIPE_R || kind == FD_PIPE_W) {
		struct pipe *p = obj;
		if (__atomic_sub_fetch(&p->open_ends, 1, __ATOMIC_ACQ_REL) == 0)
			free(p);
	}
	return 0;
}

/* dup(2) of the console only (memcached probes its next descriptor number with dup(1)). */
int dup(int fd)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	return fd_alloc(FD_CONSOLE, (void *)(intptr_t)fd);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	struct port_fd *e = fd_get(fd);
	ssize_t done = 0;

	if (e && e->kind == FD_CONN)
		return sock_sendmsg(e->obj, iov, (size_t)n);
	for (int i = 0; i < n; i++) {
		int r = __wrap_write(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return done ? done : -1;
		done += r;
	}
	return done;
}

int fcntl(int fd, int cmd, ...)
{
	struct port_fd *e = fd_get(fd);
	va_list ap;

	if (!e) {
		errno = EBADF;
		return -1;
	}
	switch (cmd) {
	case F_GETFL:
		return e->flags;
	case F_SETFL:
		va_start(ap, cmd);
		e->flags = va_arg(ap, int);
		va_end(ap);
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}
