/* mcload latency histogram (see mcload_hist.h). */
#include "tools/loadgen/mcload_hist.h"

#include <math.h>
#include <string.h>

void mcl_hist_init(struct mcl_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

unsigned mcl_hist_bucket(uint64_t ns)
{
	if (ns < MCL_HIST_SUB)
		return (unsigned)ns;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns);
	if (e > MCL_HIST_TOP_EXP)
		return MCL_HIST_BUCKETS - 1;
	unsigned shift = e - MCL_HIST_SUB_BITS;
	/* ns >> shift is in [SUB, 2 * SUB): the octave's 128 sub-buckets. */
	return (e - MCL_HIST_SUB_BITS + 1) * MCL_HIST_SUB + (unsigned)(ns >> shift) - MCL_HIST_SUB;
}

uint64_t mcl_hist_bucket_upper(unsigned idx)
{
	if (idx < MCL_HIST_SUB)
		return idx + 1;
	unsigned octave = idx / MCL_HIST_SUB - 1; /* e - SUB_BITS */
	uint64_t sub = MCL_HIST_SUB + idx % MCL_HIST_SUB;
	return (sub + 1) << octave;
}

void mcl_hist_record(struct mcl_hist *h, uint64_t ns)
{
	h->buckets[mcl_hist_bucket(ns)]++;
	h->count++;
	h->sum_ns += (double)ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
}

void mcl_hist_merge(struct mcl_hist *dst, const struct mcl_hist *src)
{
	for (unsigned i = 0; i < MCL_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
}

uint64_t mcl_hist_percentile(const struct mcl_hist *h, double pct)
{
	if (h->count == 0)
		return 0;
	/* The epsilon keeps 99.9% of 10000 at rank 9990 despite rounding in the product. */
	uint64_t rank = (uint64_t)ceil(pct / 100.0 * (double)h->count - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (unsigned i = 0; i < MCL_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t v = mcl_hist_bucket_upper(i) - 1;
			return v < h->max_ns ? v : h->max_ns;
		}
	}
	return h->max_ns;
}

double mcl_hist_mean(const struct mcl_hist *h)
{
	return h->count ? h->sum_ns / (double)h->count : 0.0;
}

void mcl_hist_json_summary(FILE *f, const struct mcl_hist *h)
{
	fprintf(f, "{\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f, ",
		mcl_hist_percentile(h, 50) / 1e3, mcl_hist_percentile(h, 90) / 1e3,
		mcl_hist_percentile(h, 99) / 1e3, mcl_hist_percentile(h, 99.9) / 1e3);
	fprintf(f, "\"max\": %.3f, \"mean\": %.3f}", h->max_ns / 1e3, mcl_hist_mean(h) / 1e3);
}

void mcl_hist_json_buckets(FILE *f, const struct mcl_hist *h)
{
	const char *sep = "";
	fputc('[', f);
	for (unsigned i = 0; i < MCL_HIST_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		fprintf(f, "%s[%.3f, %llu]", sep, mcl_hist_bucket_upper(i) / 1e3,
			(unsigned long long)h->buckets[i]);
		sep = ", ";
	}
	fputc(']', f);
}
