/*
 * memcached's conn follows its connection to another core (`ixmgr core set`, migrate_test).
 *
 * ixev hands a moved connection to the thread of its new core at once (sock.c, `moved`);
 * memcached's conn, though, belongs to a worker: its event is on that worker's base, and
 * its response objects and read buffer come from that worker's caches, which only their
 * worker may touch. So the conn keeps its worker, with its I/O carried out by the new
 * thread (sock.h), until it is between requests, and then moves whole: its worker becomes
 * the new thread's, its event goes to that thread's base. Between requests means: no
 * response object held (every reply was handed to the socket layer, which copied it), in a
 * state that waits for input, and its read buffer, if it holds a partial command, copied
 * to memory of its own (memcached's rbuf_switch_to_malloc). Nothing is lost or reordered:
 * the bytes are where they were (the sock's receive ring, the read buffer), the replies
 * already copied go out from the new thread in the order they were made.
 */
#define HAVE_CONFIG_H 1
#include "memcached.h"
#include "user/apps/memcached/port.h"

static int mc_conn_between_requests(const conn *c)
{
	if (c->resp_head || c->item || c->io_queues_submitted)
		return 0;
	switch (c->state) {
	case conn_new_cmd:
	case conn_waiting:
	case conn_read:
		return 1;
	default:
		return 0;
	}
}

int mc_conn_rehome(int fd, unsigned to)
{
	LIBEVENT_THREAD *self = ixos_worker_arg(ix_thread_index());
	LIBEVENT_THREAD *dest = ixos_worker_arg(to);

	if (fd < 0 || (unsigned)fd >= port_nofile() || !conns || !self || !dest)
		return 0;
	conn *c = conns[fd];
	if (!c || c->sfd != fd || c->thread != self || !mc_conn_between_requests(c))
		return 0;
	/* Its read buffer is from this worker's cache: memory of its own goes along. */
	if (c->rbuf && !c->rbuf_malloced && !rbuf_switch_to_malloc(c))
		return 0;
	c->thread = dest;
	evl_rebase(&c->event, dest->base);
	return 1;
}

