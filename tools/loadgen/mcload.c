/*
 * mcload: an open-loop load generator for memcached (ascii or binary protocol), echo and
 * HTTP/1.1 (static file) servers. Requests are due on a Poisson schedule at --rate per
 * second whatever the server does; a request's latency runs from its scheduled time to its
 * whole reply (no coordinated omission). A request that cannot go when due (socket full,
 * connection down, --depth reached) waits in its connection's queue and still counts from
 * its scheduled time.
 * One thread per --threads, each with its own connections, schedule share and histogram, in
 * a non-blocking epoll loop. Prints one JSON object on stdout; mcload --help lists the options.
 * This file raises the open file limit to what --conns needs, runs the phases (connect,
 * preload, load) and gathers the results; the settings are mcload_opts.c's, the event loop
 * mcload_loop.c's, the report mcload_report.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tools/loadgen/mcload_dist.h"
#include "tools/loadgen/mcload_hist.h"
#include "tools/loadgen/mcload_loop.h"
#include "tools/loadgen/mcload_opts.h"
#include "tools/loadgen/mcload_report.h"

#define PRELOAD_DEPTH 64 /* preload pipelines at least this deep */
#define NOFILE_MARGIN 64 /* descriptors beyond one per connection and one per thread */

/* What main shares with the workers: the phase barrier, whether a phase failed, the start. */
struct mcl_shared {
	pthread_barrier_t bar;
	atomic_int failed;
	uint64_t t0;
};

/* A worker thread: connects, preloads, runs the load, in step with main at the barriers. */
static void *worker_main(void *arg)
{
	struct mcl_worker *w = arg;
	const struct mcl_opts *o = w->o;
	struct mcl_shared *sh = w->sh;
	if (o->ncpus > 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(o->cpus[w->id % o->ncpus], &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			fprintf(stderr, "mcload: pinning thread %u to cpu %d: %s\n", w->id,
				o->cpus[w->id % o->ncpus], strerror(errno));
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* wake on time: lateness shows as latency */
	w->mode = MCL_M_CONNECT; /* the loop opens them, --connect-inflight at a time */
	w->next_open = 0;
	if (mcl_loop_run(w, mcl_loop_now_ns() + (uint64_t)(o->connect_timeout * 1e9)) < 0) {
		if (!w->fatal)
			fprintf(
			    stderr,
			    "mcload: connect to %s timed out after %g s: thread %u has %u of %u "
			    "connections up, %u handshaking\n",
			    o->server, o->connect_timeout, w->id, w->nup, w->nconns,
			    w->nconnecting);
		sh->failed = 1;
	}
	pthread_barrier_wait(&sh->bar);
	if (sh->failed)
		return NULL;
	if (o->preload) {
		w->mode = MCL_M_PRELOAD;
		w->depth = o->depth > PRELOAD_DEPTH ? o->depth : PRELOAD_DEPTH;
		for (unsigned i = 0; i < w->nconns; i++)
			mcl_loop_conn_pump(w, &w->conns[i]);
		if (mcl_loop_run(w, mcl_loop_now_ns() + (uint64_t)(o->preload_timeout * 1e9)) < 0) {
			fprintf(stderr, "mcload: preload did not finish in %g s\n",
				o->preload_timeout);
			sh->failed = 1;
		}
	}
	pthread_barrier_wait(&sh->bar);
	pthread_barrier_wait(&sh->bar); /* main sets t0 in between */
	if (sh->failed)
		return NULL;
	w->mode = MCL_M_LOAD;
	w->depth = o->depth;
	w->t_meas = sh->t0 + (uint64_t)(o->warmup * 1e9);
	w->t_end = w->t_meas + (uint64_t)(o->duration * 1e9);
	mcl_dist_sched_init(&w->sched, o->rate / o->threads, o->seed, 1000 + w->id, sh->t0);
	mcl_loop_run(w, w->t_end + (uint64_t)(o->drain * 1e9));
	mcl_loop_count_outstanding(w);
	return NULL;
}

/* Long of /proc/sys/fs/nr_open (the most RLIMIT_NOFILE may be), or -1. */
static long nr_open(void)
{
	long v = -1;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Raises RLIMIT_NOFILE to what o's connections need (the hard limit too when it is lower,
 * which takes root, up to fs.nr_open); says what it needs and what the limit is and exits 1
 * if it cannot. */
static void raise_nofile(const struct mcl_opts *o)
{
	rlim_t need = (rlim_t)o->conns + o->threads + NOFILE_MARGIN;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		fprintf(stderr, "mcload: getrlimit(RLIMIT_NOFILE): %s\n", strerror(errno));
		exit(1);
	}
	if (rl.rlim_cur >= need)
		return;
	struct rlimit want = {.rlim_cur = need,
			      .rlim_max = rl.rlim_max > need ? rl.rlim_max : need};
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return;
	int err = errno;
	long max = nr_open();
	fprintf(stderr,
		"mcload: --conns %u needs %llu open files (one per connection, one per thread, "
		"%d more), but the limit is %llu (hard %llu) and raising it failed: %s\n",
		o->conns, (unsigned long long)need, NOFILE_MARGIN, (unsigned long long)rl.rlim_cur,
		(unsigned long long)rl.rlim_max, strerror(err));
	if (max >= 0 && (rlim_t)max < need)
		fprintf(stderr,
			"mcload: fs.nr_open is %ld: raise it first (sysctl -w fs.nr_open=%llu)\n",
			max, (unsigned long long)need);
	else if (want.rlim_max > rl.rlim_max && geteuid() == 0)
		fprintf(stderr, "mcload: raising the hard limit takes CAP_SYS_RESOURCE, which this "
				"root process lacks (a container?)\n");
	else if (want.rlim_max > rl.rlim_max)
		fprintf(stderr,
			"mcload: only root (CAP_SYS_RESOURCE) can raise the hard limit: run it as "
			"root, or raise it first (ulimit -Hn %llu as root, or limits.conf)\n",
			(unsigned long long)need);
	exit(1);
}

static void on_alarm(int sig)
{
	static const char msg[] = "mcload: hard deadline passed, giving up\n";
	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

int main(int argc, char **argv)
{
	struct mcl_opts o;
	mcl_opts_parse(&o, argc, argv);
	raise_nofile(&o);
	signal(SIGPIPE, SIG_IGN);
	/* The loops keep their own deadlines; this only catches a hang past all of them. */
	signal(SIGALRM, on_alarm);
	double budget = o.connect_timeout + (o.preload ? o.preload_timeout : 0) + o.warmup +
			o.duration + o.drain + (o.wait_go ? o.connect_timeout : 0);
	alarm((unsigned)budget + 5);
	/* --wait-go: SIGUSR1 is taken by sigwait below; blocked before the workers start, so
	 * they inherit the mask and the signal reaches main only. */
	sigset_t go;
	sigemptyset(&go);
	sigaddset(&go, SIGUSR1);
	if (o.wait_go)
		pthread_sigmask(SIG_BLOCK, &go, NULL);

	struct mcl_shared sh = {.failed = 0};
	pthread_barrier_init(&sh.bar, NULL, o.threads + 1);
	struct mcl_worker *ws = calloc(o.threads, sizeof(*ws));
	struct mcl_conn *conns = calloc(o.conns, sizeof(*conns));
	if (!ws || !conns)
		mcl_loop_die_nomem();
	for (unsigned i = 0; i < o.conns; i++)
		conns[i].fd = -1;
	unsigned first = 0;
	uint64_t t_conn = mcl_loop_now_ns();
	for (unsigned i = 0; i < o.threads; i++) {
		struct mcl_worker *w = &ws[i];
		w->o = &o;
		w->sh = &sh;
		w->id = i;
		w->nconns = o.conns / o.threads + (i < o.conns % o.threads);
		w->conns = conns + first;
		w->first = first;
		first += w->nconns;
		w->trim = w->nconns > MCL_TRIM_CONNS;
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->pl_next = i;
		w->st.preload_keys = o.preload && o.keys > i ? (o.keys - 1 - i) / o.threads + 1 : 0;
		mcl_dist_rng_seed(&w->rng, o.seed, 2000 + i);
		mcl_hist_init(&w->hist);
		if (w->ep < 0 || pthread_create(&w->th, NULL, worker_main, w) != 0) {
			fprintf(stderr, "mcload: cannot start thread %u: %s\n", i, strerror(errno));
			exit(1);
		}
	}
	double preload_s = 0;
	pthread_barrier_wait(&sh.bar); /* connected: the workers stop here if one failed */
	double connect_s = (double)(mcl_loop_now_ns() - t_conn) / 1e9;
	if (!sh.failed) {
		uint64_t t_pl = mcl_loop_now_ns();
		pthread_barrier_wait(&sh.bar); /* preloaded */
		preload_s = (double)(mcl_loop_now_ns() - t_pl) / 1e9;
		if (o.wait_go) { /* several mcloads start their load together */
			int sig;
			fprintf(stderr, "mcload: ready\n");
			sigwait(&go, &sig);
		}
		sh.t0 = mcl_loop_now_ns();
		pthread_barrier_wait(&sh.bar); /* go */
	}
	struct mcl_stats st = {0};
	struct mcl_hist *h = malloc(sizeof(*h));
	if (!h)
		mcl_loop_die_nomem();
	mcl_hist_init(h);
	for (unsigned i = 0; i < o.threads; i++) {
		pthread_join(ws[i].th, NULL);
		mcl_report_stats_add(&st, &ws[i].st);
		mcl_hist_merge(h, &ws[i].hist);
		close(ws[i].ep);
	}
	if (!sh.failed) {
		mcl_report_json(&o, &st, h, connect_s, preload_s, sh.t0);
		if (!o.quiet)
			mcl_report_summary(&o, &st, h, connect_s, preload_s);
	}
	for (unsigned i = 0; i < o.conns; i++)
		mcl_loop_conn_free(&conns[i]);
	free(h);
	free(conns);
	free(ws);
	return sh.failed ? 1 : 0;
}
