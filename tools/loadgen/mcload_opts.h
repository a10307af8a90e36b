/*
 * mcload settings: the command line, checked and parsed into struct mcl_opts (mcload --help
 * lists the options, their bounds and defaults).
 */
#ifndef MCLOAD_OPTS_H
#define MCLOAD_OPTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "tools/loadgen/mcload_dist.h"
#include "tools/loadgen/mcload_proto.h"

#define MCL_MAX_THREADS 64

struct mcl_opts {
	const char *server;
	struct sockaddr_in addr;
	enum mcl_proto proto;
	enum mcl_workload wl;
	double rate, warmup, duration, drain, connect_timeout, preload_timeout;
	unsigned conns, depth, threads, size, ncpus;
	int cpus[MCL_MAX_THREADS];
	const char *cpu_list;
	uint64_t keys, seed;
	bool random_assign, preload, quiet;
};

/*
 * Fills o from argv, over the defaults, and checks it: on return every field is valid and
 * o->addr holds --server. --help prints the usage on stdout and exits 0; bad usage says why on
 * stderr and exits 2. o keeps pointers into argv.
 */
void mcl_opts_parse(struct mcl_opts *o, int argc, char **argv);

#endif
