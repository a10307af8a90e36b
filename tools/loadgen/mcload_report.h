/*
 * mcload's results: the counters a run keeps, and their report, one JSON object on stdout and
 * a human summary on stderr.
 */
#ifndef MCLOAD_REPORT_H
#define MCLOAD_REPORT_H

#include <stdint.h>

#include "tools/loadgen/mcload_hist.h"
#include "tools/loadgen/mcload_opts.h"

/* Counters: all uint64_t, so merging adds them as an array. */
struct mcl_stats {
	uint64_t scheduled, sent, completed, errors, hits, misses, stored, lost, backlogged;
	uint64_t depth_waits, outstanding, parse_errors, reconnects, connect_errors;
	uint64_t replies_in_window; /* replies (warm-up or measured) that came in the window */
	uint64_t preload_keys, preload_done, preload_errors;
	/* http: final responses by status class, and their body bytes (measured requests); the
	 * server's closes and the requests sent again after them (the whole run) */
	uint64_t http_2xx, http_3xx, http_4xx, http_5xx, http_non2xx, body_bytes;
	uint64_t http_conn_close, http_server_close, http_retried;
};

/* Adds every counter of src to dst. */
void mcl_report_stats_add(struct mcl_stats *dst, const struct mcl_stats *src);
/*
 * Prints the run as one JSON object (a line) on stdout: the settings of o, how long the
 * connect phase took (connect_s seconds) and the preload (preload_s), the counters of st, the
 * measured window (CLOCK_MONOTONIC ns: from t0_ns, the load's start, plus the warm-up, for
 * o->duration), the rates over o->duration, and h's latencies.
 */
void mcl_report_json(const struct mcl_opts *o, const struct mcl_stats *st, const struct mcl_hist *h,
		     double connect_s, double preload_s, uint64_t t0_ns);
/* Prints the same run's summary, a few lines, on stderr. */
void mcl_report_summary(const struct mcl_opts *o, const struct mcl_stats *st,
			const struct mcl_hist *h, double connect_s, double preload_s);

#endif
