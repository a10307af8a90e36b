/*
 * A TCP connection of memcached on ixos (sock.c, sockio.c): what memcached's worker and the
 * event loop's thread that serves the connection share. Port-internal.
 *
 * Two threads may use a sock: the worker whose event base holds memcached's conn (it calls
 * read, sendmsg and close) and the home, the thread of the core the connection's flow group
 * is on (ixev's callbacks run there, and only there may ixev_* be called for it). They are
 * one thread but while a move is being followed: ixev moves the connection at once
 * (`moving`, `moved`), memcached's conn follows when it is between requests (mc_conn.c).
 * The lock guards everything below it; the worker leaves work for the home (released bytes,
 * sends, a close), which the home carries out on its next round (sock_flush).
 */
#ifndef IXOS_MC_SOCK_H
#define IXOS_MC_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include "user/libix/ix.h"

struct sock_chunk {
	struct sock_chunk *next;
	size_t len;
	char data[];
};

struct sock_seg {
	const char *p;
	size_t len;
};

struct sock {
	struct ixev_conn ix; /* first: ixev's handlers get it back */
	uint32_t raddr;	     /* the peer, host order */
	uint16_t rport;
	struct sock *next;   /* this thread's knocks; the graveyard */
	struct sock *fnext;  /* on its home's flush list */
	volatile int lock;
	int fd;		     /* -1 once memcached closed it */
	int home;	     /* the thread serving ix; -1 while ixev moves it */
	unsigned eof : 1, dead : 1, released : 1, closing : 1, close_owed : 1, flushq : 1,
		 free_owed : 1;
	struct sock_seg *rx; /* received, unread: a ring */
	unsigned rx_head, rx_n, rx_cap;
	size_t rx_owed;	     /* read, not yet released to ixev */
	struct sock_chunk *tx_head, *tx_tail; /* sent, unacknowledged */
	struct sock_chunk *tx_unsent;	      /* the first not yet given to ixev_send */
	size_t tx_unacked, tx_head_acked;
	unsigned tx_chunks;
	uint64_t grave_ns;
};

/* sock.c: frees s, at once or after a grace time (lwIP may still send from its buffers),
 * once memcached closed it and ixev released it; if s is on a flush list, whoever takes it
 * off frees it. Takes s's lock itself. */
void sock_free(struct sock *s);

/* sockio.c: on s's home: gives ixev what the worker left (released bytes, sends, a close). */
void sock_flush(struct sock *s);
/* sockio.c: the worker left work: flush here if s's home is this thread, else ask the home.
 * Called with s's lock held. */
void sock_kick_locked(struct sock *s);
/* sockio.c: takes s off this thread's flush list (before s moves away). */
void sock_unflush(struct sock *s);

#endif
