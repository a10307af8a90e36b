/*
 * The Linux baseline's echo server: one thread per CPU, each pinned to its CPU with its own
 * SO_REUSEPORT listener and its own epoll loop, so the kernel spreads connections over the
 * threads as RSS spreads them over ixos's cores. Every byte read is written back; nothing more
 * is read from a connection until what it sent has been echoed, so a peer that does not read
 * holds one ECHO_BUF at most. TCP_NODELAY on every connection.
 *
 * Built for 100k+ concurrent connections in a small guest: each thread reads into one buffer
 * of its own and a connection keeps a buffer only for bytes the socket did not take (so an
 * idle one costs a few dozen bytes here); the open file limit is raised to fs.nr_open; the
 * listen backlog is ECHO_BACKLOG (the kernel caps it at net.core.somaxconn); the loop does
 * work only for the connections in each epoll batch.
 *
 * echo_server [-p PORT] [-t THREADS]   (defaults: port 7, one thread per online CPU)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_BUF     65536
#define ECHO_EVENTS  256
#define ECHO_BACKLOG 65535 /* per thread's listener; the kernel caps it at somaxconn */

struct echo_conn {
	int fd;
	size_t off, len; /* unsent bytes: buf[off, len), buf NULL when there are none */
	char *buf;
};

static int echo_port = 7;

static int echo_listener(void)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(echo_port)};

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, ECHO_BACKLOG)) {
		perror("echo_server: listener");
		exit(1);
	}
	return fd;
}

static void echo_close(int ep, struct echo_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->buf);
	free(c);
}

/*
 * Sends what is pending; then reads (into the thread's rbuf, ECHO_BUF bytes) and echoes while
 * the peer takes it, keeping what the socket did not take in c's own buffer. Returns -1 to
 * close.
 */
static int echo_serve(struct echo_conn *c, char *rbuf)
{
	for (;;) {
		while (c->off < c->len) {
			ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 0 : -1;
			c->off += (size_t)n;
		}
		free(c->buf);
		c->buf = NULL;
		c->off = c->len = 0;
		ssize_t n = recv(c->fd, rbuf, ECHO_BUF, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return -1;
		if (n < 0)
			break;
		ssize_t sent = send(c->fd, rbuf, (size_t)n, MSG_NOSIGNAL);
		if (sent < 0 && errno != EAGAIN)
			return -1;
		if (sent < 0)
			sent = 0;
		if (sent < n) { /* the rest waits for room (EPOLLOUT), and reading with it */
			c->buf = malloc((size_t)(n - sent));
			if (!c->buf)
				return -1;
			memcpy(c->buf, rbuf + sent, (size_t)(n - sent));
			c->len = (size_t)(n - sent);
		}
	}
	return 0;
}

static void *echo_thread(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;
	struct epoll_event ev[ECHO_EVENTS];
	int lfd = echo_listener(), ep = epoll_create1(0), one = 1;
	char *rbuf = malloc(ECHO_BUF);
	int warned = 0;

	if (ep < 0 || !rbuf) {
		perror("echo_server: thread");
		exit(1);
	}
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
	for (;;) {
		int n = epoll_wait(ep, ev, ECHO_EVENTS, -1);
		for (int i = 0; i < n; i++) {
			struct echo_conn *c = ev[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					struct epoll_event cev = {
					    .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				/* Out of descriptors or memory: the connection waits in the backlog
				 * (the listener stays readable); say so once, and do not spin. */
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
				    errno == ENOMEM) {
					if (!warned)
						perror("echo_server: accept");
					warned = 1;
					usleep(1000);
				}
				continue;
			}
			if ((ev[i].events & (EPOLLERR | EPOLLHUP)) || echo_serve(c, rbuf))
				echo_close(ep, c);
		}
	}
	return NULL;
}

/* Raises RLIMIT_NOFILE, soft and hard, to fs.nr_open (root may), else the soft one to the
 * hard one: a connection is a descriptor. */
static void echo_raise_nofile(void)
{
	struct rlimit rl;
	long max = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 0;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (max > 0 && (rlim_t)max > rl.rlim_max) {
		struct rlimit all = {.rlim_cur = (rlim_t)max, .rlim_max = (rlim_t)max};
		if (setrlimit(RLIMIT_NOFILE, &all) == 0)
			return;
		fprintf(stderr,
			"echo_server: cannot raise the open file limit to fs.nr_open %ld (%s): "
			"at most %llu connections\n",
			max, strerror(errno), (unsigned long long)rl.rlim_max);
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			perror("echo_server: setrlimit(RLIMIT_NOFILE)");
	}
}

int main(int argc, char **argv)
{
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	int opt;

	while ((opt = getopt(argc, argv, "p:t:h")) != -1) {
		if (opt == 'p')
			echo_port = atoi(optarg);
		else if (opt == 't')
			threads = atol(optarg);
		else {
			fprintf(stderr,
				"usage: echo_server [-p PORT] [-t THREADS]\n"
				"  one thread per CPU (default: every online CPU), each with\n"
				"  its own SO_REUSEPORT listener on PORT (default 7)\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (echo_port <= 0 || echo_port > 65535 || threads < 1 || threads > 1024) {
		fprintf(stderr, "echo_server: bad port or thread count\n");
		return 2;
	}
	echo_raise_nofile();
	pthread_t t[1024];
	for (long i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, echo_thread, (void *)i);
	printf("echo_server: %ld threads on port %d\n", threads, echo_port);
	fflush(stdout);
	pthread_join(t[0], NULL);
	return 0;
}
