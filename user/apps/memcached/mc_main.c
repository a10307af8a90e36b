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
 *     `-t` is set to the number of app threads. Mutexes are spinlocks (pthread.c), errno
 *     is per thread (posix.c).
 *   - Moves (`ixmgr core set`, migrate_test): a connection whose flow group moves is handed
 *     by ixev to the new core's thread, which serves its socket at once; memcached's conn
 *     follows it to that thread's worker as soon as it is between requests (mc_conn.c),
 *     and until then its worker's reads and sends are carried out by the new thread
 *     (sock.h). No memcached patch is needed for this.
 *   - Memory: the heap is grown at start by all that -m, the hash table and -c will need,
 *     or memcached fails at once with a clear message (mc_reserve below). That growth
 *     is mapped in 2 MiB pages wherever memory has them (kernel/user.c app_brk), so slab
 *     memory sits on large pages; `ixmgr status` shows how much.
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
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "user/apps/memcached/port.h"

#define MC_ARGS_MAX 40
/* A test hook on the module's command line only (never reachable from clients): the N-th
 * connection's arrival makes the app write to address 8, a page fault, so tests can see the
 * kernel stop and report it and `ixmgr app restart` bring memcached back. */
#define MC_FAULT_OPT "--ixos-fault-after-conns="

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

void *ixos_worker_arg(unsigned i)
{
	return i < mc_nspawn ? mc_spawns[i].arg : NULL;
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

/* The value of option opt (short "-m", long "--memory-limit") in argv, or def. */
static unsigned long mc_option(int argc, char **argv, const char *opt, const char *lopt,
			       unsigned long def)
{
	size_t n = strlen(opt), ln = strlen(lopt);

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], opt, n) && argv[i][n])
			return strtoul(argv[i] + n, NULL, 10);
		if ((!strcmp(argv[i], opt) || !strcmp(argv[i], lopt)) && i + 1 < argc)
			return strtoul(argv[i + 1], NULL, 10);
		if (!strncmp(argv[i], lopt, ln) && argv[i][ln] == '=')
			return strtoul(argv[i] + ln + 1, NULL, 10);
	}
	return def;
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

/*
 * -m must fit the app's memory grant, checked at start and not when the cache fills: an
 * app's heap may grow over whatever physical memory is free (the kernel keeps 16 MiB of it,
 * kernel/user.c app_brk), in 2 MiB pages where it can. So the heap is grown now, at start,
 * by all memcached will take: the slab memory (-m), the hash table,
 * the connection table and connections (-c), and a margin for the per-thread caches. Heap
 * trimming is off, so what free() gives back stays ours for memcached's later allocations.
 * Returns 0, or -1 after saying why.
 */
static int mc_reserve(unsigned long megabytes, int hashpower, unsigned long conns)
{
	unsigned long need = (megabytes << 20) + (8ul << hashpower) + conns * 2048 +
			     ix_thread_count() * (512ul << 10) + (4ul << 20);

	/* In pieces of 1 GiB: newlib's malloc refuses any one request over INT_MAX. Freed
	 * together, the pieces join into one free block at the top of the heap. */
	enum { PIECE = 1 << 30, PIECES = 64 };
	void *piece[PIECES];
	unsigned n = 0;
	unsigned long got = 0;
	mallopt(M_TRIM_THRESHOLD, -1);
	while (got < need && n < PIECES) {
		unsigned long want = need - got < PIECE ? need - got : PIECE;
		if (!(piece[n] = malloc(want)))
			break;
		n++;
		got += want;
	}
	for (unsigned i = 0; i < n; i++)
		free(piece[i]);
	if (got < need) {
		printf("memcached: -m %lu needs %lu MiB of memory in all (hash table, %lu "
		       "connections and per-core caches included), more than this machine can "
		       "give the app: start it with a smaller -m\n",
		       megabytes, (need + (1 << 20) - 1) >> 20, conns);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char opts[160], threads[16];
	char *args[MC_ARGS_MAX + 1];
	int n = 0;

	unsigned long megabytes = mc_option(argc, argv, "-m", "--memory-limit", 64);
	int hashpower = mc_hashpower(megabytes);
	snprintf(opts, sizeof(opts),
		 "no_lru_maintainer,no_lru_crawler,no_hashexpand,no_slab_reassign,hashpower=%d",
		 hashpower);
	if (mc_reserve(megabytes, hashpower, mc_option(argc, argv, "-c", "--conn-limit", 1024)))
		return 71; /* EX_OSERR, as memcached's own failed allocations exit */
	snprintf(threads, sizeof(threads), "%u", ix_thread_count());
	args[n++] = "memcached";
	args[n++] = "-o";
	args[n++] = opts;
	for (int i = 1; i < argc && n < MC_ARGS_MAX - 2; i++) {
		if (!strncmp(argv[i], MC_FAULT_OPT, strlen(MC_FAULT_OPT))) {
			sock_fault_after = (unsigned)strtoul(argv[i] + strlen(MC_FAULT_OPT), 0, 10);
			printf("memcached: test hook: the app faults on connection %u\n",
			       sock_fault_after);
			continue;
		}
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
