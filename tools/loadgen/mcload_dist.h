/*
 * mcload distributions: a seeded RNG, the Poisson (exponential inter-arrival) schedule, and
 * the memcached workloads' key and value sizes and GET/SET mix (mutilate's "usr" and "etc").
 * Everything is deterministic for a seed; nothing here keeps global state.
 */
#ifndef MCLOAD_DIST_H
#define MCLOAD_DIST_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro256** state; seed it with mcl_dist_rng_seed. */
struct mcl_rng {
	uint64_t s[4];
};

/* Seeds rng from (seed, stream): different streams of one seed are independent sequences. */
void mcl_dist_rng_seed(struct mcl_rng *rng, uint64_t seed, uint64_t stream);
/* The next 64 random bits. */
uint64_t mcl_dist_rng_next(struct mcl_rng *rng);
/* A uniform double in [0, 1), 53 bits. */
double mcl_dist_uniform(struct mcl_rng *rng);
/* A uniform integer in [0, n); n > 0. */
uint64_t mcl_dist_below(struct mcl_rng *rng, uint64_t n);
/* One exponential draw with the given rate (events per unit time): mean 1/rate. */
double mcl_dist_exp(struct mcl_rng *rng, double rate);

/*
 * A Poisson arrival schedule: arrival k is at t0 + the sum of k exponential gaps of mean
 * 1/rate seconds. Times are kept in double nanoseconds so rounding never accumulates.
 */
struct mcl_sched {
	struct mcl_rng rng;
	double rate; /* arrivals per second */
	double next; /* ns: the next arrival */
};

/* Starts a schedule at t0_ns with rate arrivals/s (> 0); the first arrival is one gap later. */
void mcl_dist_sched_init(struct mcl_sched *s, double rate, uint64_t seed, uint64_t stream,
			 uint64_t t0_ns);
/* The time (ns) of the next arrival, without consuming it. */
uint64_t mcl_dist_sched_peek(const struct mcl_sched *s);
/* Consumes the next arrival and returns its time (ns); the following one is drawn. */
uint64_t mcl_dist_sched_pop(struct mcl_sched *s);

enum mcl_workload {
	MCL_WL_USR, /* keys 19 B, values 2 B, 0.2% SETs */
	MCL_WL_ETC, /* keys GEV, values fb_value (see mcload_dist.c), 3.3% SETs */
};

#define MCL_KEY_MAX   250
#define MCL_VALUE_MAX 1000000

/* Parses "usr"/"etc"; returns 0, or -1 for another name. */
int mcl_dist_workload_parse(const char *name, enum mcl_workload *wl);
/* The workload's name. */
const char *mcl_dist_workload_name(enum mcl_workload wl);
/* The fraction of requests that are SETs. */
double mcl_dist_set_ratio(enum mcl_workload wl);
/* Draws an operation: 1 for SET (with probability mcl_dist_set_ratio), 0 for GET. */
int mcl_dist_is_set(enum mcl_workload wl, struct mcl_rng *rng);

/* The digits needed to number nkeys keys (the shortest possible key). */
unsigned mcl_dist_key_digits(uint64_t nkeys);
/*
 * The size of key idx (of nkeys), a deterministic function of (wl, seed, idx): USR 19 bytes;
 * ETC round(GEV(30.7984, 8.20449, 0.078688)) clamped to [mcl_dist_key_digits(nkeys), 250].
 */
unsigned mcl_dist_key_size(enum mcl_workload wl, uint64_t seed, uint64_t idx, uint64_t nkeys);
/*
 * Writes key idx into buf (at least MCL_KEY_MAX bytes, not terminated) and returns its size:
 * the decimal index, zero-padded on the left to mcl_dist_key_size. Unique per index.
 */
unsigned mcl_dist_key(enum mcl_workload wl, uint64_t seed, uint64_t idx, uint64_t nkeys, char *buf);
/*
 * The value size SETs of key idx use, a deterministic function of (wl, seed, idx): USR 2
 * bytes; ETC drawn from fb_value (mcl_dist_fb_value), clamped to [1, MCL_VALUE_MAX].
 */
uint32_t mcl_dist_value_size(enum mcl_workload wl, uint64_t seed, uint64_t idx);

/* Inverse CDF of GEV(loc, scale, shape != 0) at u in (0, 1). */
double mcl_dist_gev_inv(double u, double loc, double scale, double shape);
/* Inverse of the generalized Pareto's survival function, at u in (0, 1]. */
double mcl_dist_gpareto_inv(double u, double loc, double scale, double shape);
/*
 * fb_value from two uniforms: u1 picks the discrete head (sizes 0..14, with mutilate's table,
 * 44.155% in total); otherwise u2 feeds GPareto(15, 214.476, 0.348238). Unrounded, unclamped.
 */
double mcl_dist_fb_value(double u1, double u2);

#endif
