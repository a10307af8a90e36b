/*
 * The ixos port layer of memcached: what its files (mc_main.c, event.c, fd.c, sock.c, netdb.c,
 * pthread.c, posix.c) tell each other. memcached's own code sees only POSIX and libevent names.
 */
#ifndef IXOS_MC_PORT_H
#define IXOS_MC_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <event.h>
#include <netinet/in.h>
#include <sys/uio.h>
#include "user/libix/ix.h"

#define PORT_THREADS_MAX 64 /* app threads (one per dataplane core) we keep state for */

/* Spins until the lock is free, entering the kernel now and then so that a wait for a
 * descheduled holder stays within the app's time budget. */
void port_spin_lock(volatile int *lock);
void port_spin_unlock(volatile int *lock);

/* mc_main.c: runs this app thread's memcached worker set-up if it has not run yet. Every
 * entry from the event loop calls it first. */
void port_thread_enter(void);

/* posix.c: the descriptor limit memcached set with setrlimit(RLIMIT_NOFILE). */
unsigned port_nofile(void);

/* ---- fd.c: the descriptor table (memcached indexes its connections by fd) ---- */
enum port_fd_kind {
	FD_FREE,
	FD_SOCKET, /* socket(), not yet listening */
	FD_LISTEN,
	FD_CONN,   /* an accepted TCP connection: obj is sock.c's struct sock */
	FD_PIPE_R, /* obj is fd.c's pipe */
	FD_PIPE_W,
	FD_CONSOLE, /* dup() of 0..2: obj is the console descriptor */
};

struct port_fd {
	int kind;
	int flags;	     /* fcntl's F_SETFL flags (kept, not used) */
	uint16_t port;	     /* FD_SOCKET: bound to */
	struct event *watch; /* the event watching it */
	void *obj;
	unsigned gen;	     /* bumped each time the number is given out */
};

/* Takes the lowest free descriptor >= 3 for obj; -1 (errno EMFILE) when the table (the
 * RLIMIT_NOFILE memcached set) is full. */
int fd_alloc(int kind, void *obj);
/* Gives fd back; its watcher is forgotten. */
void fd_free(int fd);
/* fd's entry, or NULL if fd is not one of ours (0..2 are the console's). */
struct port_fd *fd_get(int fd);

/* ---- sock.c ---- */
/* What a connection fd is ready for (EV_READ, EV_WRITE bits); 0 if fd is not one. */
short sock_conn_ready(void *sock);
/* read, sendmsg and close of a connection (errno set on -1). */
long sock_read(void *sock, void *buf, size_t len);
long sock_sendmsg(void *sock, const struct iovec *iov, size_t n);
void sock_close(void *sock);
/* accept on the listener: this thread's oldest knock, or -1 (errno EAGAIN). */
int sock_accept(struct sockaddr_in *peer);
/* Whether this thread has knocks waiting for accept. */
int sock_knocks(void);
/* listen() on an FD_SOCKET: it becomes the listener (one port per app). */
int sock_listen(int fd);
/* The peer of a connection fd. */
void sock_peer(void *sock, struct sockaddr_in *peer);

/* fd.c: what fd is ready for now (EV_READ, EV_WRITE bits; 0 for a closed fd). */
short fd_ready(int fd);
/* fd.c: the event watching fd (NULL: none); event.c keeps it current. */
void fd_watch(int fd, struct event *ev);
struct event *fd_watcher(int fd);

/* sock.c: the listening socket's fd (-1: none yet); its event runs on the thread with a
 * knock. */
int sock_listener(void);
/* sock.c: the TCP port memcached listens on (0 before its listen()). */
uint16_t sock_listen_port(void);
/* sock.c: the event loop's handlers (connections as file descriptors). */
extern const struct ixev_handlers sock_handlers;
/* sock.c: frees send buffers of closed connections that are old enough (from the
 * housekeeping tick). */
void sock_sweep(void);
/* sock.c: the app faults on this connection's knock (1 = the first; 0: never). */
extern unsigned sock_fault_after;
/* sock.c: counts an open connection (+1) or a freed one (-1); how many are open. */
unsigned sock_count(int delta);
/* sockio.c: the thread serving a connection sock when that is not this one and not in a
 * move (memcached's conn may follow it there), else -1. */
int sock_away(void *sock);
/* sockio.c: carries out what workers left for this thread's connections (each round). */
void sock_flush_mine(void);

/* mc_main.c: memcached's LIBEVENT_THREAD of app thread i (its worker). */
void *ixos_worker_arg(unsigned i);
/* mc_conn.c: on the worker of fd's conn, between its callbacks: moves memcached's conn
 * to worker `to` if it is between requests (its event then runs on that thread); 1 if
 * moved. */
int mc_conn_rehome(int fd, unsigned to);

/* event.c: fd's readiness may have changed (data, room, a knock, a close): its event runs
 * soon if it now fires. Callable from any thread. */
void evl_fd_changed(int fd);
/* event.c: the listener's pending knocks on this thread want memcached's accept. */
void evl_kick(void);
/* event.c: fd's event runs soon on its thread whether or not fd is ready (its conn may
 * follow its connection to another thread). Callable from any thread. */
void evl_fd_poke(int fd);
/* event.c: thread tid has work from another thread (it sees it within EVL_POLL_US). */
void evl_wake(unsigned tid);
/* event.c: ev's base becomes base, ev staying added (or not) as it was; on ev's thread. */
void evl_rebase(struct event *ev, struct event_base *base);

#endif
