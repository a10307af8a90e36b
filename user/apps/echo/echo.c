/*
 * The echo service (RFC 862) as an ixos app on libix: `echo [PORT]` (default 7). Every byte
 * received is sent back from where it arrived, the NIC buffer (no copy either way), and
 * released once the peer has acknowledged its echo: so the receive window opens only as
 * the echo drains, and a client that does not read stops its own sending.
 */
#include <stdio.h>
#include <stdlib.h>
#include "user/libix/ix.h"

struct echo_conn {
	struct ixev_conn ix;
	int eof; /* the peer has closed its side */
};

static struct ixev_conn *echo_accept(uint32_t addr, uint16_t port)
{
	struct echo_conn *c = calloc(1, sizeof(*c));

	(void)addr;
	(void)port;
	return c ? &c->ix : NULL;
}

static void echo_close_if_done(struct echo_conn *c)
{
	if (c->eof && !ixev_send_pending(&c->ix))
		ixev_close(&c->ix); /* the last echoes still go out, then our FIN */
}

static void echo_recv(struct ixev_conn *ix, const void *data, size_t len)
{
	struct echo_conn *c = (struct echo_conn *)ix;

	if (!len) {
		c->eof = 1;
		echo_close_if_done(c);
		return;
	}
	/* The queue holds IXEV_SENDQ pieces and the window bounds what is unacknowledged, so
	 * this cannot overflow: received-but-unreleased bytes hold the peer back. */
	int err = ixev_send(ix, data, len);
	if (err) {
		printf("echo: cannot queue %zu bytes (error %d): closing the connection\n", len, -err);
		ixev_close(ix);
	}
}

static void echo_sent(struct ixev_conn *ix, size_t bytes)
{
	/* Echoed and acknowledged: those received bytes are done with. */
	ixev_recv_done(ix, bytes);
	echo_close_if_done((struct echo_conn *)ix);
}

static void echo_release(struct ixev_conn *ix)
{
	free(ix);
}

static const struct ixev_handlers echo_handlers = {
	.accept = echo_accept,
	.recv = echo_recv,
	.sent = echo_sent,
	.release = echo_release,
};

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7;

	if (port <= 0 || port > 65535) {
		printf("echo: bad port '%s' (usage: echo [PORT])\n", argv[1]);
		return 2;
	}
	printf("echo: serving TCP port %d on %u cores\n", port, ix_thread_count());
	fflush(stdout);
	ixev_run(&echo_handlers, (uint16_t)port);
}
