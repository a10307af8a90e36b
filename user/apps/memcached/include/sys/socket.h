/*
 * Sockets for memcached on ixos: the declarations memcached uses, with POSIX's contracts
 * within what ../sockapi.c says it supports (TCP over IPv4, one listening port), over
 * libix (../sock.c).
 */
#ifndef IXOS_MC_SYS_SOCKET_H
#define IXOS_MC_SYS_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef uint32_t socklen_t;
typedef uint16_t sa_family_t;

struct sockaddr {
	sa_family_t sa_family;
	char sa_data[14];
};

struct sockaddr_storage {
	sa_family_t ss_family;
	char ss_pad[126];
} __attribute__((aligned(8)));

struct msghdr {
	void *msg_name;
	socklen_t msg_namelen;
	struct iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};

struct linger {
	int l_onoff;
	int l_linger;
};

#define AF_UNSPEC 0
#define AF_UNIX	  1
#define AF_INET	  2
#define AF_INET6  10
#define PF_INET	  AF_INET

#define SOCK_STREAM   1
#define SOCK_DGRAM    2
#define SOCK_NONBLOCK 04000

#define SOL_SOCKET	    1
#define SO_REUSEADDR	    2
#define SO_ERROR	    4
#define SO_SNDBUF	    7
#define SO_RCVBUF	    8
#define SO_KEEPALIVE	    9
#define SO_LINGER	    13
#define SO_MARK		    36
#define SO_INCOMING_NAPI_ID 56

#define MSG_NOSIGNAL 0x4000

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t len);
int listen(int fd, int backlog);
int accept(int fd, struct sockaddr *addr, socklen_t *len);
int setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int getsockname(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
	       socklen_t alen);
int shutdown(int fd, int how);

#endif
