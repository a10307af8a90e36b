/*
 * mcload distributions (see mcload_dist.h).
 *
 * ETC follows the Facebook ETC fits (Atikoglu et al., SIGMETRICS 2012) as mutilate names them:
 *   key size   GEV(location 30.7984, scale 8.20449, shape 0.078688), rounded, clamped to
 *              [digits needed to number the key space, 250];
 *   value size "fb_value": with probability 0.00536 size 0, 0.00047 1, 0.17820 2, 0.09239 3,
 *              0.00018 4, 0.02740 5, 0.00065 6, 0.00606 7, 0.00023 8, 0.00837 9, 0.00837 10,
 *              0.08989 11, 0.00092 12, 0.00326 13, 0.01980 14 (44.155% in all); otherwise
 *              (55.845%) generalized Pareto(location 15, scale 214.476, shape 0.348238),
 *              rounded; every size then clamped to [1, 1000000] (so size 0 becomes 1).
 *   SETs 3.3%, keys uniform. USR: keys 19 bytes, values 2 bytes, SETs 0.2%, keys uniform.
 */
#include "tools/loadgen/mcload_dist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ETC_KEY_LOC	 30.7984
#define ETC_KEY_SCALE	 8.20449
#define ETC_KEY_SHAPE	 0.078688
#define ETC_VALUE_LOC	 15.0
#define ETC_VALUE_SCALE	 214.476
#define ETC_VALUE_SHAPE	 0.348238
#define USR_KEY_SIZE	 19
#define USR_VALUE_SIZE	 2
#define USR_SET_RATIO	 0.002
#define ETC_SET_RATIO	 0.033
#define STREAM_KEY_SIZE	 0x6b657973697a65ull
#define STREAM_VALUE_SZ1 0x76616c75653161ull
#define STREAM_VALUE_SZ2 0x76616c75653262ull

/* fb_value's discrete head: probability of each size 0..14. */
static const double fb_value_head[15] = {
    0.00536, 0.00047, 0.17820, 0.09239, 0.00018, 0.02740, 0.00065, 0.00606,
    0.00023, 0.00837, 0.00837, 0.08989, 0.00092, 0.00326, 0.01980,
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void mcl_dist_rng_seed(struct mcl_rng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed;
	uint64_t mix = splitmix64(&x) ^ stream;
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&mix);
}

uint64_t mcl_dist_rng_next(struct mcl_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double mcl_dist_uniform(struct mcl_rng *rng)
{
	return (double)(mcl_dist_rng_next(rng) >> 11) * 0x1p-53;
}

uint64_t mcl_dist_below(struct mcl_rng *rng, uint64_t n)
{
	/* Rejection keeps it exactly uniform: drop the top partial copy of [0, n). */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = mcl_dist_rng_next(rng);
	while (x >= limit);
	return x % n;
}

double mcl_dist_exp(struct mcl_rng *rng, double rate)
{
	/* 1 - u is in (0, 1]: the log is finite. */
	return -log(1.0 - mcl_dist_uniform(rng)) / rate;
}

void mcl_dist_sched_init(struct mcl_sched *s, double rate, uint64_t seed, uint64_t stream,
			 uint64_t t0_ns)
{
	mcl_dist_rng_seed(&s->rng, seed, stream);
	s->rate = rate;
	s->next = (double)t0_ns + mcl_dist_exp(&s->rng, rate) * 1e9;
}

uint64_t mcl_dist_sched_peek(const struct mcl_sched *s)
{
	return (uint64_t)s->next;
}

uint64_t mcl_dist_sched_pop(struct mcl_sched *s)
{
	uint64_t t = (uint64_t)s->next;
	s->next += mcl_dist_exp(&s->rng, s->rate) * 1e9;
	return t;
}

int mcl_dist_workload_parse(const char *name, enum mcl_workload *wl)
{
	if (strcmp(name, "usr") == 0)
		*wl = MCL_WL_USR;
	else if (strcmp(name, "etc") == 0)
		*wl = MCL_WL_ETC;
	else
		return -1;
	return 0;
}

const char *mcl_dist_workload_name(enum mcl_workload wl)
{
	return wl == MCL_WL_ETC ? "etc" : "usr";
}

double mcl_dist_set_ratio(enum mcl_workload wl)
{
	return wl == MCL_WL_ETC ? ETC_SET_RATIO : USR_SET_RATIO;
}

int mcl_dist_is_set(enum mcl_workload wl, struct mcl_rng *rng)
{
	return mcl_dist_uniform(rng) < mcl_dist_set_ratio(wl);
}

unsigned mcl_dist_key_digits(uint64_t nkeys)
{
	unsigned d = 1;
	for (uint64_t top = nkeys > 0 ? nkeys - 1 : 0; top >= 10; top /= 10)
		d++;
	return d;
}

/* A uniform in (0, 1) that depends only on (seed, idx, stream). */
static double key_uniform(uint64_t seed, uint64_t idx, uint64_t stream)
{
	uint64_t x = seed ^ stream;
	splitmix64(&x);
	x ^= idx * 0xd1342543de82ef95ull;
	return ((double)(splitmix64(&x) >> 11) + 0.5) * 0x1p-53;
}

double mcl_dist_gev_inv(double u, double loc, double scale, double shape)
{
	return loc + scale * (pow(-log(u), -shape) - 1.0) / shape;
}

double mcl_dist_gpareto_inv(double u, double loc, double scale, double shape)
{
	return loc + scale * (pow(u, -shape) - 1.0) / shape;
}

double mcl_dist_fb_value(double u1, double u2)
{
	double sum = 0;
	for (unsigned i = 0; i < sizeof(fb_value_head) / sizeof(fb_value_head[0]); i++) {
		sum += fb_value_head[i];
		if (u1 < sum)
			return i;
	}
	return mcl_dist_gpareto_inv(u2, ETC_VALUE_LOC, ETC_VALUE_SCALE, ETC_VALUE_SHAPE);
}

unsigned mcl_dist_key_size(enum mcl_workload wl, uint64_t seed, uint64_t idx, uint64_t nkeys)
{
	unsigned min = mcl_dist_key_digits(nkeys);
	double size = USR_KEY_SIZE;
	if (wl == MCL_WL_ETC)
		size = round(mcl_dist_gev_inv(key_uniform(seed, idx, STREAM_KEY_SIZE), ETC_KEY_LOC,
					      ETC_KEY_SCALE, ETC_KEY_SHAPE));
	if (size < min)
		return min;
	if (size > MCL_KEY_MAX)
		return MCL_KEY_MAX;
	return (unsigned)size;
}

unsigned mcl_dist_key(enum mcl_workload wl, uint64_t seed, uint64_t idx, uint64_t nkeys, char *buf)
{
	unsigned size = mcl_dist_key_size(wl, seed, idx, nkeys);
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)idx);
	/* size >= the digits of nkeys - 1 >= the digits of idx when idx < nkeys. */
	if ((unsigned)n > size)
		size = (unsigned)n;
	memset(buf, '0', size - (unsigned)n);
	memcpy(buf + size - (unsigned)n, digits, (size_t)n);
	return size;
}

uint32_t mcl_dist_value_size(enum mcl_workload wl, uint64_t seed, uint64_t idx)
{
	if (wl != MCL_WL_ETC)
		return USR_VALUE_SIZE;
	double v = round(mcl_dist_fb_value(key_uniform(seed, idx, STREAM_VALUE_SZ1),
					   key_uniform(seed, idx, STREAM_VALUE_SZ2)));
	if (!(v >= 1))
		return 1;
	if (v > MCL_VALUE_MAX)
		return MCL_VALUE_MAX;
	return (uint32_t)v;
}
