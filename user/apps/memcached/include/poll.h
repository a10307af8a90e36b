/* poll(2), which only the logger's watchers use (turned off on ixos: always fails). */
#ifndef IXOS_MC_POLL_H
#define IXOS_MC_POLL_H

struct pollfd {
	int fd;
	short events;
	short revents;
};

typedef unsigned long nfds_t;

#define POLLIN	1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16

int poll(struct pollfd *fds, nfds_t n, int timeout);

#endif
