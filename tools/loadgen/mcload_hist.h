/*
 * mcload latency histogram: HDR-style log-linear buckets over nanoseconds. Values below 128 ns
 * have a bucket each; above, every power of two [2^e, 2^(e+1)) is cut into 128 equal buckets,
 * so a bucket is at most 1/128 (0.78%) of its values wide. The top bucket holds everything from
 * 2^36 ns (68.7 s) up, past 100 s; the exact maximum is kept apart.
 */
#ifndef MCLOAD_HIST_H
#define MCLOAD_HIST_H

#include <stdint.h>
#include <stdio.h>

#define MCL_HIST_SUB_BITS 7
#define MCL_HIST_SUB	  (1u << MCL_HIST_SUB_BITS)
#define MCL_HIST_TOP_EXP  36 /* 2^36 ns = 68.7 s: the last octave reaches 137 s > 100 s */
#define MCL_HIST_BUCKETS  ((MCL_HIST_TOP_EXP - MCL_HIST_SUB_BITS + 2) * MCL_HIST_SUB)

struct mcl_hist {
	uint64_t count;
	uint64_t min_ns, max_ns;
	double sum_ns;
	uint64_t buckets[MCL_HIST_BUCKETS];
};

/* Empties h. */
void mcl_hist_init(struct mcl_hist *h);
/* The bucket index of a value in ns. */
unsigned mcl_hist_bucket(uint64_t ns);
/* The smallest value (ns) above bucket idx (its exclusive upper bound). */
uint64_t mcl_hist_bucket_upper(unsigned idx);
/* Counts one value (ns). */
void mcl_hist_record(struct mcl_hist *h, uint64_t ns);
/* Adds every value of src to dst. */
void mcl_hist_merge(struct mcl_hist *dst, const struct mcl_hist *src);
/*
 * The value (ns) at percentile pct (0..100): the highest value of the bucket that holds the
 * ceil(pct% * count)-th smallest value, capped at the exact maximum. 0 when h is empty.
 */
uint64_t mcl_hist_percentile(const struct mcl_hist *h, double pct);
/* The exact mean (ns) of the values counted; 0 when h is empty. */
double mcl_hist_mean(const struct mcl_hist *h);
/* Writes {"p50", "p90", "p99", "p999", "max", "mean"} in microseconds as a JSON object. */
void mcl_hist_json_summary(FILE *f, const struct mcl_hist *h);
/* Writes the non-empty buckets as a JSON array of [upper bound in us, count]. */
void mcl_hist_json_buckets(FILE *f, const struct mcl_hist *h);

#endif
