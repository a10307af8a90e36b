/* mcload's results: merging the counters, the JSON object and the summary (mcload_report.h). */
#include <stdbool.h>
#include <stdio.h>

#include "tools/loadgen/mcload_report.h"

/* Whether o's protocol is memcached's (it has a workload). */
static bool memcached(const struct mcl_opts *o)
{
	return o->proto == MCL_PROTO_ASCII || o->proto == MCL_PROTO_BINARY;
}

/* Prints s as a JSON string. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void mcl_report_stats_add(struct mcl_stats *dst, const struct mcl_stats *src)
{
	uint64_t *d = &dst->scheduled;
	const uint64_t *s = &src->scheduled;
	for (unsigned k = 0; k < sizeof(*dst) / sizeof(uint64_t); k++)
		d[k] += s[k];
}

void mcl_report_json(const struct mcl_opts *o, const struct mcl_stats *st, const struct mcl_hist *h,
		     double connect_s, double preload_s, uint64_t t0_ns)
{
	printf(
	    "{\"tool\": \"mcload\", \"server\": \"%s\", \"proto\": \"%s\", \"workload\": %s%s%s, "
	    "\"rate\": %g, \"conns\": %u, \"depth\": %u, \"threads\": %u, \"cpu\": %s%s%s, "
	    "\"assign\": \"%s\", \"keys\": %llu, \"size\": %u, \"seed\": %llu, \"warmup\": %g, "
	    "\"duration\": %g, \"drain\": %g, \"preload\": %s, ",
	    o->server, mcl_proto_name(o->proto), memcached(o) ? "\"" : "",
	    memcached(o) ? mcl_dist_workload_name(o->wl) : "null", memcached(o) ? "\"" : "",
	    o->rate, o->conns, o->depth, o->threads, o->cpu_list ? "\"" : "",
	    o->cpu_list ? o->cpu_list : "null", o->cpu_list ? "\"" : "",
	    o->random_assign ? "random" : "rr", (unsigned long long)o->keys, o->size,
	    (unsigned long long)o->seed, o->warmup, o->duration, o->drain,
	    o->preload ? "true" : "false");
	printf("\"source\": %s%s%s, \"connect_inflight\": %u, \"connect_timeout\": %g, ",
	       o->source_list ? "\"" : "", o->source_list ? o->source_list : "null",
	       o->source_list ? "\"" : "", o->connect_inflight, o->connect_timeout);
	if (o->proto == MCL_PROTO_HTTP) {
		printf("\"path\": ");
		json_str(o->path);
		printf(", \"host\": ");
		json_str(o->host);
		printf(", ");
	}
	printf("\"connect_s\": %.3f, \"preload_s\": %.3f, \"preload_keys\": %llu, "
	       "\"preload_errors\": %llu, ",
	       connect_s, preload_s, (unsigned long long)st->preload_keys,
	       (unsigned long long)st->preload_errors);
	static const char *const names[] = {
	    "scheduled",   "sent",	   "completed",	 "errors",	   "hits",
	    "misses",	   "stored",	   "lost",	 "backlogged",	   "depth_waits",
	    "outstanding", "parse_errors", "reconnects", "connect_errors", "replies_in_window",
	};
	static const char *const http_names[] = {
	    "http_2xx",	  "http_3xx",	     "http_4xx",	  "http_5xx",	  "http_non2xx",
	    "body_bytes", "http_conn_close", "http_server_close", "http_retried",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) + 3 +
			       sizeof(http_names) / sizeof(http_names[0]) ==
			   sizeof(struct mcl_stats) / 8,
		       "a name for every counter but the preload ones, in struct order");
	const uint64_t *v = &st->scheduled;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		printf("\"%s\": %llu, ", names[i], (unsigned long long)v[i]);
	v = &st->http_2xx;
	for (unsigned i = 0;
	     o->proto == MCL_PROTO_HTTP && i < sizeof(http_names) / sizeof(http_names[0]); i++)
		printf("\"%s\": %llu, ", http_names[i], (unsigned long long)v[i]);
	if (o->proto == MCL_PROTO_HTTP)
		printf("\"body_bytes_per_s\": %.1f, ", (double)st->body_bytes / o->duration);
	uint64_t meas_ns = t0_ns + (uint64_t)(o->warmup * 1e9);
	printf("\"window_start_ns\": %llu, \"window_end_ns\": %llu, ", (unsigned long long)meas_ns,
	       (unsigned long long)(meas_ns + (uint64_t)(o->duration * 1e9)));
	printf("\"offered_rate\": %.1f, \"achieved_rate\": %.1f, \"latency_us\": ",
	       (double)st->scheduled / o->duration, (double)st->completed / o->duration);
	mcl_hist_json_summary(stdout, h);
	printf(", \"histogram\": ");
	mcl_hist_json_buckets(stdout, h);
	printf("}\n");
}

void mcl_report_summary(const struct mcl_opts *o, const struct mcl_stats *st,
			const struct mcl_hist *h, double connect_s, double preload_s)
{
	fprintf(stderr,
		"mcload: %s/%s %s: %g req/s offered, %.1f completed/s over %g s (%u conns, depth "
		"%u)\n  completed %llu hits %llu misses %llu errors %llu lost %llu outstanding "
		"%llu backlogged %llu parse_errors %llu reconnects %llu\n  latency us: p50 %.1f "
		"p90 %.1f p99 %.1f p99.9 %.1f max %.1f mean %.1f",
		mcl_proto_name(o->proto), memcached(o) ? mcl_dist_workload_name(o->wl) : "-",
		o->server, o->rate, (double)st->completed / o->duration, o->duration, o->conns,
		o->depth, (unsigned long long)st->completed, (unsigned long long)st->hits,
		(unsigned long long)st->misses, (unsigned long long)st->errors,
		(unsigned long long)st->lost, (unsigned long long)st->outstanding,
		(unsigned long long)st->backlogged, (unsigned long long)st->parse_errors,
		(unsigned long long)st->reconnects, mcl_hist_percentile(h, 50) / 1e3,
		mcl_hist_percentile(h, 90) / 1e3, mcl_hist_percentile(h, 99) / 1e3,
		mcl_hist_percentile(h, 99.9) / 1e3, h->max_ns / 1e3, mcl_hist_mean(h) / 1e3);
	fprintf(stderr, "\n  connect: %u conns in %.3f s%s%s", o->conns, connect_s,
		o->source_list ? " from " : "", o->source_list ? o->source_list : "");
	if (o->proto == MCL_PROTO_HTTP)
		fprintf(stderr,
			"\n  http: GET %s: 2xx %llu 3xx %llu 4xx %llu 5xx %llu, body %llu B (%.2f "
			"MB/s, %.3f Gbit/s); conn_close %llu server_close %llu retried %llu",
			o->path, (unsigned long long)st->http_2xx, (unsigned long long)st->http_3xx,
			(unsigned long long)st->http_4xx, (unsigned long long)st->http_5xx,
			(unsigned long long)st->body_bytes,
			(double)st->body_bytes / o->duration / 1e6,
			(double)st->body_bytes * 8 / o->duration / 1e9,
			(unsigned long long)st->http_conn_close,
			(unsigned long long)st->http_server_close,
			(unsigned long long)st->http_retried);
	if (o->preload)
		fprintf(stderr, "\n  preload: %llu keys in %.3f s, %llu errors",
			(unsigned long long)st->preload_keys, preload_s,
			(unsigned long long)st->preload_errors);
	fputc('\n', stderr);
}
