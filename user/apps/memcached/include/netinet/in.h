/* IPv4 addresses and byte order (IPv6 types exist only so memcached compiles: ixos is IPv4). */
#ifndef IXOS_MC_NETINET_IN_H
#define IXOS_MC_NETINET_IN_H

#include <stdint.h>
#include <sys/socket.h>

typedef uint32_t in_addr_t;
typedef uint16_t in_port_t;

struct in_addr {
	in_addr_t s_addr;
};

struct sockaddr_in {
	sa_family_t sin_family;
	in_port_t sin_port;
	struct in_addr sin_addr;
	char sin_zero[8];
};

struct in6_addr {
	uint8_t s6_addr[16];
};

struct sockaddr_in6 {
	sa_family_t sin6_family;
	in_port_t sin6_port;
	uint32_t sin6_flowinfo;
	struct in6_addr sin6_addr;
	uint32_t sin6_scope_id;
};

#define IPPROTO_IP	 0
#define IPPROTO_TCP	 6
#define IPPROTO_UDP	 17
#define IPPROTO_IPV6	 41
#define IPV6_V6ONLY	 26
#define INADDR_ANY	 ((in_addr_t)0)
#define INET_ADDRSTRLEN	 16
#define INET6_ADDRSTRLEN 46

#define htons(x) __builtin_bswap16((uint16_t)(x))
#define ntohs(x) __builtin_bswap16((uint16_t)(x))
#define htonl(x) __builtin_bswap32((uint32_t)(x))
#define ntohl(x) __builtin_bswap32((uint32_t)(x))

#endif
