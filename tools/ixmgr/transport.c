/* ixmgr transport dispatch: picks UDP or serial from the target string. */
#include "tools/ixmgr/transport.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int ixmgr_conn_open(struct ixmgr_conn *c, const char *target, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strncmp(target, "udp:", 4) == 0)
		return ixmgr_udp_open(c, target + 4, err, errlen);
	if (strncmp(target, "serial:", 7) == 0) {
		c->serial = true;
		mgmt_deframe_init(&c->df);
		return ixmgr_serial_open(c, target + 7, err, errlen);
	}
	snprintf(err, errlen, "target '%s' is neither udp:HOST[:PORT] nor serial:PATH", target);
	return -1;
}

int ixmgr_conn_send(struct ixmgr_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t frame[MGMT_FRAME_MAX];
	const uint8_t *p = msg;
	size_t n = len;

	if (c->serial) {
		n = mgmt_frame_encode(msg, len, frame, sizeof(frame));
		if (n == 0) {
			errno = EMSGSIZE;
			return -1;
		}
		p = frame;
	}
	while (n > 0) {
		ssize_t w = write(c->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (!c->serial && (size_t)w != n) {
			errno = EMSGSIZE;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int64_t ixmgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ixmgr_wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	for (;;) {
		int64_t left = deadline - ixmgr_now_ms();
		if (left <= 0)
			return 0;
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

ssize_t ixmgr_conn_recv(struct ixmgr_conn *c, uint8_t *buf, size_t cap, int timeout_ms)
{
	int64_t deadline = ixmgr_now_ms() + timeout_ms;

	if (c->serial)
		return ixmgr_serial_recv(c, buf, cap, timeout_ms);
	for (;;) {
		int r = ixmgr_wait_readable(c->fd, deadline);
		if (r <= 0)
			return r;
		ssize_t n = recv(c->fd, buf, cap, 0);
		if (n < 0 && (errno == EINTR || errno == ECONNREFUSED))
			continue; /* ICMP port unreachable: keep waiting, the retry resends */
		return n;
	}
}

void ixmgr_conn_close(struct ixmgr_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
