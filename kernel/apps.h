/*
 * Which app runs: the management core starts apps from the boot modules on the dataplane
 * cores (one thread per core), reaps them when they end, and starts the next one. Management
 * requests (start, stop, restart) go through here too. Management core only.
 */
#ifndef IXOS_KERNEL_APPS_H
#define IXOS_KERNEL_APPS_H

#include <stdbool.h>
#include <stdint.h>

struct bootinfo;

/* Queues the boot modules that are apps (ELF executables), each to run `runs` times. */
void apps_init(const struct bootinfo *bi, unsigned runs);

/* Reaps an app that has ended and starts the next queued one. Called from the management
 * loop (every tick at least). */
void apps_tick(void);

/* Stops the running app; its connections are reset. 0, or -1 if none runs. */
int apps_stop(void);
/* Starts the boot module called name (after stopping the running app). 0, or -1 if no
 * such app. */
int apps_start(const char *name);
/* Stops the running app (or takes the last one that ran) and starts it again. 0 or -1. */
int apps_restart(void);

struct apps_info {
	const char *name; /* the running app, or the last one; NULL if none ever ran */
	const char *state; /* "running", "stopping", "exited", "faulted", "stopped" */
	int exit_code;
	unsigned threads;
	unsigned starts; /* apps started since boot */
	uint64_t heap_bytes;	   /* the running app's heap */
	uint64_t heap_large_bytes; /* how much of it is in 2 MiB pages */
};
void apps_get_info(struct apps_info *out);

/* The names of the boot modules that are apps (for app list). Returns how many. */
unsigned apps_list(const char **names, unsigned max);

/* The running app's published counters (SYS_COUNTERS), summed over its threads: names[i],
 * sums[i] for i < the return value (at most max). Management core only. */
unsigned apps_counters(const char **names, uint64_t *sums, unsigned max);

#endif
