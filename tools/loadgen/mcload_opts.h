/*
 * mcload settings: the command line, checked and parsed into struct mcl_opts (mcload --help
 * lists the options, their bounds and defaults).
 */
#ifndef MCLOAD_OPTS_H
#define MCLOAD_OPTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/loadgen/mcload_dist.h"
#include "tools/loadgen/mcload_proto.h"

#define MCL_MAX_THREADS 64
#define MCL_MAX_CONNS	1000000
#define MCL_MAX_SOURCES 256 /* --source addresses */

struct mcl_opts {
	const char *server;
	struct sockaddr_in addr;
	enum mcl_proto proto;
	enum mcl_workload wl;
	double rate, warmup, duration, drain, connect_timeout, preload_timeout;
	unsigned conns, depth, threads, size, ncpus, connect_inflight, nsources;
	int cpus[MCL_MAX_THREADS];
	const char *cpu_list, *source_list;
	const char *path, *host; /* http: the request target, the Host field (--server's) */
	struct in_addr sources[MCL_MAX_SOURCES]; /* --source: nsources of them, or none */
	uint64_t keys, seed;
	bool random_assign, preload, quiet, wait_go;
};

/*
 * Fills o from argv, over the defaults, and checks it: on return every field is valid,
 * o->addr holds --server and o->sources --source, each an address of this host, o->host
 * --host or else --server. --help prints the
 * usage on stdout and exits 0; bad usage says why on stderr and exits 2. o keeps pointers into
 * argv.
 */
void mcl_opts_parse(struct mcl_opts *o, int argc, char **argv);

/*
 * Parses list, IPv4 addresses separated by commas ("10.0.0.1,10.0.0.2"), into out (room for
 * max) and returns how many; -1 if it is malformed (an empty item, a bad, unspecified,
 * broadcast or multicast address, one listed twice, more than max), with why in why (whylen
 * bytes). Whether the addresses are this host's is not its business.
 */
int mcl_opts_parse_sources(const char *list, struct in_addr *out, unsigned max, char *why,
			   size_t whylen);

/* The source address connection conn (numbered over all threads) binds to: --source's
 * conn mod nsources, or NULL when there is no --source (the kernel picks). */
static inline const struct in_addr *mcl_opts_source_for(const struct mcl_opts *o, unsigned conn)
{
	return o->nsources ? &o->sources[conn % o->nsources] : NULL;
}

#endif
