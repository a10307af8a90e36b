/* ixmgr over UDP: a connected datagram socket to HOST:PORT. */
#include "tools/ixmgr/transport.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ixmgr_udp_open(struct ixmgr_conn *c, const char *hostport, char *err, size_t errlen)
{
	char host[256];
	char port[16];
	const char *colon, *hstart;
	size_t hlen;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res, *ai;
	int rc;

	snprintf(port, sizeof(port), "%u", MGMT_UDP_PORT);
	if (hostport[0] == '[') { /* [v6addr]:port */
		const char *end = strchr(hostport, ']');
		if (!end || (end[1] && end[1] != ':')) {
			snprintf(err, errlen, "bad udp target '%s'", hostport);
			return -1;
		}
		hlen = (size_t)(end - hostport - 1);
		hstart = hostport + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(hostport, ':');
		if (colon && strchr(hostport, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		hlen = colon ? (size_t)(colon - hostport) : strlen(hostport);
		hstart = hostport;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "host name in udp target too long");
		return -1; /* a cut name would be some other host */
	}
	snprintf(host, sizeof(host), "%.*s", (int)hlen, hstart);
	if (colon) {
		char *e;
		unsigned long p = strtoul(colon + 1, &e, 10);
		if (!colon[1] || *e || p == 0 || p > 65535) {
			snprintf(err, errlen, "bad port in '%s'", hostport);
			return -1;
		}
		snprintf(port, sizeof(port), "%lu", p);
	}
	if (!host[0]) {
		snprintf(err, errlen, "no host in udp target");
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		snprintf(err, errlen, "cannot reach %s port %s", host, port);
		return -1;
	}
	return 0;
}
