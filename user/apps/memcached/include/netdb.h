/* Name resolution, as far as memcached's listeners need it: numeric IPv4 only (sockapi.c). */
#ifndef IXOS_MC_NETDB_H
#define IXOS_MC_NETDB_H

#include <sys/socket.h>

struct addrinfo {
	int ai_flags;
	int ai_family;
	int ai_socktype;
	int ai_protocol;
	socklen_t ai_addrlen;
	struct sockaddr *ai_addr;
	char *ai_canonname;
	struct addrinfo *ai_next;
};

#define AI_PASSIVE     1
#define AI_NUMERICHOST 4
#define NI_MAXSERV     32
#define EAI_NONAME     -2
#define EAI_FAMILY     -6
#define EAI_MEMORY     -10
#define EAI_SYSTEM     -11

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res);
void freeaddrinfo(struct addrinfo *ai);
const char *gai_strerror(int err);

#endif
