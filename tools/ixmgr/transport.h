/* ixmgr transports: one management message per UDP datagram, or SLIP frames on a serial line. */
#ifndef IXMGR_TRANSPORT_H
#define IXMGR_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mgmt/proto.h"

struct ixmgr_conn {
	int fd;
	bool serial;
	struct mgmt_deframer df; /* serial only */
};

/*
 * Opens the target "udp:HOST[:PORT]" (IPv4/IPv6 address or name; PORT defaults to
 * MGMT_UDP_PORT; an IPv6 address with a port goes in brackets) or "serial:PATH" (a tty, set
 * raw at 115200 baud, or a unix stream socket such as QEMU's -serial unix:PATH,server).
 * Returns 0, or -1 with a message in err.
 */
int ixmgr_conn_open(struct ixmgr_conn *c, const char *target, char *err, size_t errlen);

/* Sends one message (framed on serial). Returns 0 or -1 (errno set). */
int ixmgr_conn_send(struct ixmgr_conn *c, const uint8_t *msg, size_t len);

/*
 * Waits up to timeout_ms for one message; returns its length (in buf), 0 on timeout, -1 on
 * an error (errno set; the connection is then unusable).
 */
ssize_t ixmgr_conn_recv(struct ixmgr_conn *c, uint8_t *buf, size_t cap, int timeout_ms);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t ixmgr_now_ms(void);
/* Waits until fd is readable or ixmgr_now_ms() passes deadline: 1, 0 (timeout) or -1. */
int ixmgr_wait_readable(int fd, int64_t deadline);

/* Closes the connection. */
void ixmgr_conn_close(struct ixmgr_conn *c);

/* The transport-specific openers behind ixmgr_conn_open. */
int ixmgr_udp_open(struct ixmgr_conn *c, const char *hostport, char *err, size_t errlen);
int ixmgr_serial_open(struct ixmgr_conn *c, const char *path, char *err, size_t errlen);
ssize_t ixmgr_serial_recv(struct ixmgr_conn *c, uint8_t *buf, size_t cap, int timeout_ms);

#endif
