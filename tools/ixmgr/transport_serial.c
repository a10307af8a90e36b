/* ixmgr over a serial line: a raw tty or a unix stream socket, SLIP-framed messages. */
#include "tools/ixmgr/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int serial_open_socket(struct ixmgr_conn *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int serial_open_tty(struct ixmgr_conn *c, const char *path, char *err, size_t errlen)
{
	struct termios tio;

	c->fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (tcgetattr(c->fd, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tio.c_cflag |= CLOCAL | CREAD;
		tio.c_cc[VMIN] = 0;
		tio.c_cc[VTIME] = 0;
		if (tcsetattr(c->fd, TCSANOW, &tio) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		tcflush(c->fd, TCIOFLUSH);
	} /* else not a tty (a fifo or file): used as it is */
	return 0;
}

int ixmgr_serial_open(struct ixmgr_conn *c, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISSOCK(st.st_mode))
		return serial_open_socket(c, path, err, errlen);
	return serial_open_tty(c, path, err, errlen);
}

ssize_t ixmgr_serial_recv(struct ixmgr_conn *c, uint8_t *buf, size_t cap, int timeout_ms)
{
	int64_t deadline = ixmgr_now_ms() + timeout_ms;
	uint8_t chunk[1];

	for (;;) {
		int r = ixmgr_wait_readable(c->fd, deadline);
		if (r <= 0)
			return r;
		/* One byte at a time from the kernel's buffer view: stop at the end of a frame so
		 * that bytes of the next frame stay for the next call. */
		ssize_t n = read(c->fd, chunk, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (n < 0)
			return -1;
		if (mgmt_deframe_byte(&c->df, chunk[0]) == MGMT_DF_FRAME) {
			size_t len = c->df.len < cap ? c->df.len : cap;
			memcpy(buf, c->df.buf, len);
			return (ssize_t)len;
		}
	}
}
