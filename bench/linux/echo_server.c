/*
 * The Linux baseline's echo server: one thread per CPU, each pinned to its CPU with its own
 * SO_REUSEPORT listener and its own epoll loop, so the kernel spreads connections over the
 * threads as RSS spreads them over ixos's cores. Every byte read is written back; nothing more
 * is read from a connection until what it sent has been echoed, so a peer that does not read
 * holds one ECHO_BUF at most. TCP_NODELAY on every connection.
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
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_BUF	 65536
#define ECHO_EVENTS	 256

struct echo_conn {
	int fd;
	size_t off, len; /* unsent bytes: buf[off, len) */
	char *buf;
	size_t cap;
};

static int echo_port = 7;

static int echo_listener(void)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(echo_port)};

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
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

/* Sends what is pending; then reads and echoes while the peer takes it. Returns -1 to close. */
static int echo_serve(int ep, struct echo_conn *c)
{
	for (;;) {
		while (c->off < c->len) {
			ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 0 : -1;
			c->off += (size_t)n;
		}
		c->off = c->len = 0;
		if (c->cap < ECHO_BUF) {
			char *b = realloc(c->buf, ECHO_BUF);
			if (!b)
				return -1;
			c->buf = b;
			c->cap = ECHO_BUF;
		}
		ssize_t n = recv(c->fd, c->buf, c->cap, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return -1;
		if (n < 0)
			break;
		c->len = (size_t)n;
	}
	(void)ep;
	return 0;
}

static void *echo_thread(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;
	struct epoll_event ev[ECHO_EVENTS];
	int lfd = echo_listener(), ep = epoll_create1(0), one = 1;

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
					struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
								  .data.ptr = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				continue;
			}
			if ((ev[i].events & (EPOLLERR | EPOLLHUP)) || echo_serve(ep, c))
				echo_close(ep, c);
		}
	}
	return NULL;
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
			fprintf(stderr, "usage: echo_server [-p PORT] [-t THREADS]\n"
					"  one thread per CPU (default: every online CPU), each with\n"
					"  its own SO_REUSEPORT listener on PORT (default 7)\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (echo_port <= 0 || echo_port > 65535 || threads < 1 || threads > 1024) {
		fprintf(stderr, "echo_server: bad port or thread count\n");
		return 2;
	}
	pthread_t t[1024];
	for (long i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, echo_thread, (void *)i);
	printf("echo_server: %ld threads on port %d\n", threads, echo_port);
	fflush(stdout);
	pthread_join(t[0], NULL);
	return 0;
}
