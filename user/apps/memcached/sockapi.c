/*
 * The BSD socket calls and name look-ups memcached makes, over fd.c and sock.c: TCP over
 * IPv4 only, one listening port per app (the address part of -l is accepted and ignored:
 * the dataplane has one address), numeric addresses only (there is no resolver). UDP, IPv6
 * and unix sockets fail with EAFNOSUPPORT or EPROTONOSUPPORT, so memcached reports them.
 * Socket options are accepted and ignored (lwIP runs with Nagle off, keepalive is the
 * kernel's business).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "user/apps/memcached/port.h"

int socket(int domain, int type, int protocol)
{
	(void)protocol;
	if (domain != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if ((type & ~SOCK_NONBLOCK) != SOCK_STREAM) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	return fd_alloc(FD_SOCKET, NULL);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct port_fd *e = fd_get(fd);

	if (!e || e->kind != FD_SOCKET || len < sizeof(struct sockaddr_in) ||
	    addr->sa_family != AF_INET) {
		errno = e ? EINVAL : EBADF;
		return -1;
	}
	e->port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	return 0;
}

int listen(int fd, int backlog)
{
	struct port_fd *e = fd_get(fd);

	(void)backlog;
	if (!e || e->kind != FD_SOCKET) {
		errno = EBADF;
		return -1;
	}
	return sock_listen(fd);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct port_fd *e = fd_get(fd);
	struct sockaddr_in peer;

	if (!e || e->kind != FD_LISTEN) {
		errno = EBADF;
		return -1;
	}
	int nfd = sock_accept(&peer);
	if (nfd >= 0 && addr && len) {
		memcpy(addr, &peer, *len < sizeof(peer) ? *len : sizeof(peer));
		*len = sizeof(peer);
	}
	return nfd;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	(void)level, (void)name, (void)val, (void)len;
	if (!fd_get(fd)) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	(void)level;
	if (!fd_get(fd)) {
		errno = EBADF;
		return -1;
	}
	if (*len >= sizeof(int)) {
		*(int *)val = name == SO_SNDBUF || name == SO_RCVBUF ? 65536 : 0;
		*len = sizeof(int);
	}
	return 0;
}

static int sock_name(const struct sockaddr_in *in, struct sockaddr *addr, socklen_t *len)
{
	memcpy(addr, in, *len < sizeof(*in) ? *len : sizeof(*in));
	*len = sizeof(*in);
	return 0;
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct port_fd *e = fd_get(fd);
	struct sockaddr_in peer;

	if (!e || e->kind != FD_CONN) {
		errno = ENOTCONN;
		return -1;
	}
	sock_peer(e->obj, &peer);
	return sock_name(&peer, addr, len);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(sock_listen_port())};

	if (!fd_get(fd)) {
		errno = EBADF;
		return -1;
	}
	return sock_name(&me, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct port_fd *e = fd_get(fd);

	(void)flags;
	if (!e || e->kind != FD_CONN) {
		errno = ENOTSOCK;
		return -1;
	}
	return sock_sendmsg(e->obj, msg->msg_iov, msg->msg_iovlen);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen)
{
	(void)fd, (void)buf, (void)len, (void)flags, (void)addr, (void)alen;
	errno = EOPNOTSUPP; /* no UDP */
	return -1;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
	       socklen_t alen)
{
	(void)fd, (void)buf, (void)len, (void)flags, (void)addr, (void)alen;
	errno = EOPNOTSUPP;
	return -1;
}

int shutdown(int fd, int how)
{
	(void)fd, (void)how;
	return 0;
}

int inet_pton(int af, const char *src, void *dst)
{
	unsigned a, b, c, d;
	char end;

	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (sscanf(src, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) != 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return 0;
	((struct in_addr *)dst)->s_addr = htonl(a << 24 | b << 16 | c << 8 | d);
	return 1;
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	uint32_t a = ntohl(((const struct in_addr *)src)->s_addr);
	if ((socklen_t)snprintf(dst, size, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
				a & 255) >= size) {
		errno = ENOSPC;
		return NULL;
	}
	return dst;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	struct in_addr ip = {INADDR_ANY};

	if (hints && hints->ai_family != AF_UNSPEC && hints->ai_family != AF_INET)
		return EAI_FAMILY;
	if (node && inet_pton(AF_INET, node, &ip) != 1)
		return EAI_NONAME; /* numeric IPv4 only */
	struct {
		struct addrinfo ai;
		struct sockaddr_in sin;
	} *r = calloc(1, sizeof(*r));
	if (!r)
		return EAI_MEMORY;
	r->sin.sin_family = AF_INET;
	r->sin.sin_port = htons((uint16_t)(service ? atoi(service) : 0));
	r->sin.sin_addr = ip;
	r->ai.ai_family = AF_INET;
	r->ai.ai_socktype = hints ? hints->ai_socktype : SOCK_STREAM;
	r->ai.ai_protocol = hints ? hints->ai_protocol : 0;
	r->ai.ai_addrlen = sizeof(r->sin);
	r->ai.ai_addr = (struct sockaddr *)&r->sin;
	*res = &r->ai;
	return 0;
}

void freeaddrinfo(struct addrinfo *ai)
{
	free(ai); /* one block, one result */
}

const char *gai_strerror(int err)
{
	switch (err) {
	case EAI_FAMILY:
		return "address family not supported (IPv4 only)";
	case EAI_NONAME:
		return "not a numeric IPv4 address (there is no resolver)";
	case EAI_MEMORY:
		return "out of memory";
	default:
		return "unknown error";
	}
}
