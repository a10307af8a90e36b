/*
 * memcached on ixos: the app's main and how memcached 1.6.18 is bridged to libix.
 *
 * memcached runs unchanged but for two small patches (tools/memcached/patches): its files
 * see POSIX sockets and libevent, which this port provides over libix's event loop, ixev:
 *   - event.c: libevent's event_set/event_add/event_del/evtimer/event_base_loop. ixev's
 *     callbacks record what happened on a connection; memcached's handlers then run from a
 *     zero-delay ixev timer after each batch of kernel events, level-triggered as with
 *     libevent's epoll back end, and their sends and releases go to the kernel in the next
 *     batch. memcached's main loop (event_base_loop on main_base) becomes ixev_run.
 *   - fd.c, sock.c, sockapi.c: fake descriptors (memcached indexes connections by fd).
 *     read() copies from the bytes ixev received in place and releases them
 *     (ixev_recv_done); sendmsg() copies into buffers of ours, sent with ixev_send and freed
 *     on the `sent` callback, at most 256 KiB unacknowledged per connection (then EAGAIN).
 *     That is memcached's own transport path (c->read, c->sendmsg), so all its protocols
 *     (ASCII, meta, binary) work as they are.
 *   - Threads, as in IX's port: every app thread (one per dataplane core) is one memcached
 *     worker with its own event base, and accepts the connections RSS gives its core; there
 *     is no dispatcher thread (patch 0001 makes dispatch_conn_new pick the calling thread).
 *     `-t` is set to the number of app threads. Mutexes are spinlocks (pthread.c).
 *
 * Off on ixos, and why (memcached's `stats settings` shows each):
 *   - background threads: there are none (run-to-completion threads, one per core), so the
 *     LRU maintainer and crawler, the slab rebalancer (slab_reassign) and the hash table's
 *     expansion are turned off here before the user's options (an option that turns one back
 *     on fails at start: pthread_create refuses); the hash table instead starts at a size
 *     set from -m. The logger thread is not started (patch 0002): `watch` shows nothing.
 *     The idle-connection reaper (-o idle_timeout) fails at start the same way.
 *   - UDP (-U), unix sockets (-s), IPv6, TLS, SASL, extstore, the proxy: not built or refused
 *     by the socket layer; -d (fork), -k (mlockall), -u (there are no users) do nothing useful
 *     and -d fails; -e (a memory file for restarts) fails (no file system).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "user/apps/memcached/port.h"

#define MC_ARGS_MAX 40

int memcached_main(int argc, char **argv);

struct mc_spawn {
	void *(*fn)(void *);
	void *arg;
	int done;
};

static struct mc_spawn mc_spawns[PORT_THREADS_MAX];
static unsigned mc_nspawn;

void ixos_worker_spawn(void *(*fn)(void *), void *arg)
{
	if (mc_nspawn >= PORT_THREADS_MAX || mc_nspawn >= ix_thread_count()) {
		printf("memcached: more workers than app threads; worker %u not started\n",
		       mc_nspawn);
		return;
	}
	mc_spawns[mc_nspawn++] = (struct mc_spawn){fn, arg, 0};
}

unsigned ixos_worker_self(void)
{
	return ix_thread_index();
}

void port_thread_enter(void)
{
	unsigned self = ix_thread_index();

	if (self >= mc_nspawn || mc_spawns[self].done)
		return;
	mc_spawns[self].done = 1;
	mc_spawns[self].fn(mc_spawns[self].arg); /* worker_libevent: its set-up, then back */
}

/* The value of -m (megabytes) in argv, or memcached's default 64. */
static unsigned long mc_megabytes(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "-m", 2) && argv[i][2])
			return strtoul(argv[i] + 2, NULL, 10);
		if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "--memory-limit")) && i + 1 < argc)
			return strtoul(argv[i + 1], NULL, 10);
		if (!strncmp(argv[i], "--memory-limit=", 15))
			return strtoul(argv[i] + 15, NULL, 10);
	}
	return 64;
}

/* A hash table for -m of items averaging 256 bytes, at 1.5 items per bucket (memcached's
 * own expansion threshold), within memcached's bounds. */
static int mc_hashpower(unsigned long megabytes)
{
	unsigned long items = (megabytes << 20) / 256;
	int power = 16;

	while (power < 28 && (1ul << power) * 3 / 2 < items)
		power++;
	return power;
}

int main(int argc, char **argv)
{
	static char opts[160], threads[16];
	char *args[MC_ARGS_MAX + 1];
	int n = 0;

	snprintf(opts, sizeof(opts),
		 "no_lru_maintainer,no_lru_crawler,no_hashexpand,no_slab_reassign,hashpower=%d",
		 mc_hashpower(mc_megabytes(argc, argv)));
	snprintf(threads, sizeof(threads), "%u", ix_thread_count());
	args[n++] = "memcached";
	args[n++] = "-o";
	args[n++] = opts;
	for (int i = 1; i < argc && n < MC_ARGS_MAX - 2; i++) {
		if (!strcmp(argv[i], "-t") || !strncmp(argv[i], "--threads", 9))
			printf(
			    "memcached: %s is ignored: one worker runs on each of the %u cores\n",
			    argv[i], ix_thread_count());
		args[n++] = argv[i];
	}
	args[n++] = "-t";
	args[n++] = threads;
	args[n] = NULL;
	printf("memcached: starting on %u cores (%s)\n", ix_thread_count(), opts);
	fflush(stdout);
	return memcached_main(n, args);
}
