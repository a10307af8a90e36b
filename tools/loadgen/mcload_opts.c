/* mcload settings: option parsing, --help and validation (see mcload_opts.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/loadgen/mcload_opts.h"

/* One option: its type ('d' double, 'u' unsigned, 'U' uint64, 's' string, 'y'/'n' set or
 * clear a flag, 'h' help), where it goes, its bounds and what it means. */
struct optdef {
	const char *name, *arg;
	char type;
	void *p;
	double min, max;
	const char *help;
};

static void usage(FILE *f, const struct optdef *d)
{
	fprintf(
	    f, "usage: mcload --rate R [options]\n"
	       "Open-loop Poisson load on a memcached (ascii/binary), echo or HTTP/1.1 server. "
	       "Latency is from\neach request's scheduled time to its whole reply. One JSON object "
	       "on stdout, a summary on\nstderr. Exit 0: the run completed; 1: it could not "
	       "measure (connect or preload failed, or\nmcload could not raise its open file "
	       "limit to what --conns needs: it does so itself, the\nhard limit too as root); 2: "
	       "bad usage.\n");
	for (; d->name; d++) {
		char opt[48];
		snprintf(opt, sizeof(opt), "--%s%s%s", d->name, d->arg ? " " : "",
			 d->arg ? d->arg : "");
		fprintf(f, "  %-24s %s", opt, d->help);
		if (d->type == 'd' && *(double *)d->p < d->min)
			fprintf(f, " (required)");
		else if (d->type == 'd')
			fprintf(f, " (default %g)", *(double *)d->p);
		else if (d->type == 'u')
			fprintf(f, " (default %u)", *(unsigned *)d->p);
		else if (d->type == 'U')
			fprintf(f, " (default %llu)", (unsigned long long)*(uint64_t *)d->p);
		else if (d->type == 's' && *(const char **)d->p)
			fprintf(f, " (default %s)", *(const char **)d->p);
		fputc('\n', f);
	}
	fprintf(f,
		"Workloads (mutilate's): usr: keys 19 B, values 2 B, 0.2%% SETs. etc: key size "
		"round(GEV(30.7984,\n8.20449, 0.078688)) in [digits of --keys, 250]; value size "
		"fb_value: 0..14 B with mutilate's\ntable (44.155%% in all: 2 B 17.82%%, 3 B "
		"9.239%%, 11 B 8.989%%, ...), else round(GPareto(15,\n214.476, 0.348238)); "
		"clamped to [1, 1000000] B; 3.3%% SETs. Keys uniform; a key's sizes depend\n"
		"only on its index and --seed. Counts are of requests due in the measured "
		"window; parse_errors,\nreconnects and connect_errors cover the whole run. "
		"Each thread opens its connections\n--connect-inflight at a time (as one comes "
		"up the next starts), so a large --conns does\nnot flood the server with SYNs; "
		"the JSON's connect_s is how long that took. Going past\nthe ephemeral ports "
		"(net.ipv4.ip_local_port_range, about 28k) to one server takes several\n"
		"local addresses in --source: each has ports of its own (IP_BIND_ADDRESS_NO_PORT: "
		"the\nport is picked at connect time, per address and server).\n"
		"http: each request is GET --path HTTP/1.1 with Host: --host, on keep-alive "
		"connections\n(pipelined up to --depth); its latency ends at its body's last byte. "
		"A response needs\nContent-Length or chunked framing (else it is a parse error, "
		"said once on stderr); 1xx are\nskipped, 204 and 304 have no body. The JSON adds "
		"path, host, http_2xx..http_5xx, http_non2xx,\nbody_bytes (chunked: the data) and "
		"body_bytes_per_s over --duration (errors stays 0), and\nfor the whole run "
		"http_conn_close (responses with Connection: close, or HTTP/1.0 ones\nwithout "
		"keep-alive), http_server_close (other closes by the server) and http_retried: "
		"after\na close between responses, the requests left unanswered are sent again on "
		"a new connection,\nopened at once if the old one answered any; a close "
		"mid-response loses those in flight.\n");
}

__attribute__((format(printf, 1, 2))) static void bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mcload: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (mcload --help lists the options)\n");
	va_end(ap);
	exit(2);
}

static void parse_value(const struct optdef *d, const char *arg)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (d->type != 'd') /* integers: digits only, exact up to 2^64 - 1 */
		v = arg[0] >= '0' && arg[0] <= '9' ? (double)strtoull(arg, &end, 10) : NAN;
	if (end == arg || *end || errno || !(v >= d->min && v <= d->max)) {
		char range[64];
		snprintf(range, sizeof(range), "%s: must be a number in [%g, %g]", arg, d->min,
			 d->max);
		bad_usage("bad --%s %s", d->name, range);
	}
	if (d->type == 'd')
		*(double *)d->p = v;
	else if (d->type == 'u')
		*(unsigned *)d->p = (unsigned)v;
	else
		*(uint64_t *)d->p = strtoull(arg, NULL, 10);
}

static void parse_cpus(struct mcl_opts *o, const char *list)
{
	const char *s = list;
	while (*s) {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;
		if (end == s || lo < 0)
			bad_usage("bad --cpu %s: want a list like 0,2-3", list);
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo)
				bad_usage("bad --cpu %s: want a list like 0,2-3", list);
		}
		for (long c = lo; c <= hi && o->ncpus < MCL_MAX_THREADS; c++)
			o->cpus[o->ncpus++] = (int)c;
		if (hi >= CPU_SETSIZE)
			bad_usage("bad --cpu %s: cpu number too large", list);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			bad_usage("bad --cpu %s: want a list like 0,2-3", list);
	}
}

/* Checks that a is an address of this host by binding a socket to it (no port is taken). */
static void check_source(const struct in_addr *a)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, a, ip, sizeof(ip));
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "mcload: socket: %s\n", strerror(errno));
		exit(1);
	}
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = *a};
	if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		close(fd);
		if (err == EADDRNOTAVAIL)
			bad_usage("bad --source %s: not an address of this host", ip);
		bad_usage("bad --source %s: cannot bind to it: %s", ip, strerror(err));
	}
	close(fd);
}

void mcl_opts_parse(struct mcl_opts *o, int argc, char **argv)
{
	const char *proto = "ascii", *workload = "usr", *assign = "rr", *port;
	bool no_preload = false, preload = false;
	*o = (struct mcl_opts){.server = "127.0.0.1:11211",
			       .path = "/",
			       .warmup = 1,
			       .duration = 5,
			       .drain = 2,
			       .connect_timeout = 2,
			       .preload_timeout = 30,
			       .conns = 16,
			       .connect_inflight = 256,
			       .depth = 1,
			       .threads = 1,
			       .size = 64,
			       .keys = 100000,
			       .seed = 1};
	const struct optdef defs[] = {
	    {"server", "HOST:PORT", 's', &o->server, 0, 0, "server address, IPv4"},
	    {"proto", "P", 's', &proto, 0, 0, "ascii, binary (memcached), echo or http"},
	    {"workload", "W", 's', &workload, 0, 0, "memcached workload: usr or etc"},
	    {"path", "PATH", 's', &o->path, 0, 0, "http: the request target"},
	    {"host", "NAME", 's', &o->host, 0, 0,
	     "http: the Host field (default the --server address)"},
	    {"rate", "R", 'd', &o->rate, 1e-3, 1e8,
	     "requests per second, all connections together"},
	    {"conns", "N", 'u', &o->conns, 1, MCL_MAX_CONNS,
	     "TCP connections in all, shared out among the threads"},
	    {"source", "IP[,IP...]", 's', &o->source_list, 0, 0,
	     "connection i binds to the (i mod n)th of these local IPs (no binding)"},
	    {"depth", "D", 'u', &o->depth, 1, 65536,
	     "most requests in flight per connection (pipelining)"},
	    {"threads", "N", 'u', &o->threads, 1, MCL_MAX_THREADS,
	     "threads, each with its own connections and rate share"},
	    {"cpu", "LIST", 's', &o->cpu_list, 0, 0,
	     "pin thread i to CPU LIST[i mod length], e.g. 0,2-3 (no pinning)"},
	    {"assign", "A", 's', &assign, 0, 0, "requests to connections: rr or random"},
	    {"keys", "N", 'U', &o->keys, 1, 1e9, "number of keys (memcached)"},
	    {"size", "B", 'u', &o->size, 1, MCL_VALUE_MAX, "bytes per echo message"},
	    {"seed", "N", 'U', &o->seed, 0, 1.8446744073709552e19,
	     "seed of the schedule, keys and sizes"},
	    {"warmup", "S", 'd', &o->warmup, 0, 86400, "seconds of load not recorded, before"},
	    {"duration", "S", 'd', &o->duration, 1e-3, 86400, "seconds measured"},
	    {"drain", "S", 'd', &o->drain, 0, 3600,
	     "at most this many seconds of waiting for replies after"},
	    {"connect-timeout", "S", 'd', &o->connect_timeout, 1e-3, 3600,
	     "seconds allowed to connect them all"},
	    {"connect-inflight", "N", 'u', &o->connect_inflight, 1, MCL_MAX_CONNS,
	     "most handshakes at once per thread while connecting"},
	    {"preload-timeout", "S", 'd', &o->preload_timeout, 1e-3, 3600,
	     "seconds allowed for the preload"},
	    {"preload", NULL, 'y', &preload, 0, 0,
	     "SET every key once before the load (default for memcached)"},
	    {"no-preload", NULL, 'n', &no_preload, 0, 0, "do not preload"},
	    {"quiet", NULL, 'y', &o->quiet, 0, 0, "no summary on stderr"},
	    {"wait-go", NULL, 'y', &o->wait_go, 0, 0,
	     "once connected (and preloaded), say \"mcload: ready\" on stderr and start the load "
	     "only on SIGUSR1 (so several mcloads load together); waits at most --connect-timeout"},
	    {"help", NULL, 'h', NULL, 0, 0, "this text"},
	    {0},
	};
	enum { N = sizeof(defs) / sizeof(defs[0]) };
	struct option lopts[N];
	for (unsigned i = 0; i < N; i++)
		lopts[i] = (struct option){defs[i].name, defs[i].arg ? 1 : 0, NULL, (int)i};
	int i;
	while ((i = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (i < 0 || i >= N - 1)
			exit(2); /* getopt_long said what */
		const struct optdef *d = &defs[i];
		if (d->type == 'h') {
			usage(stdout, defs);
			exit(0);
		}
		if (d->type == 's')
			*(const char **)d->p = optarg;
		else if (d->type == 'y' || d->type == 'n')
			*(bool *)d->p = true;
		else
			parse_value(d, optarg);
	}
	if (optind < argc)
		bad_usage("unexpected argument %s", argv[optind]);
	if (o->rate <= 0)
		bad_usage("--rate R is required");
	if (mcl_proto_parse_name(proto, &o->proto) < 0)
		bad_usage("unknown --proto %s: want ascii, binary, echo or http", proto);
	if (!mcl_http_valid_token(o->path, true))
		bad_usage("bad --path %s: want printable ASCII starting with /, no spaces",
			  o->path);
	if (o->host && !mcl_http_valid_token(o->host, false))
		bad_usage("bad --host %s: want printable ASCII, no spaces", o->host);
	if (mcl_dist_workload_parse(workload, &o->wl) < 0)
		bad_usage("unknown --workload %s: want usr or etc", workload);
	if (strcmp(assign, "rr") && strcmp(assign, "random"))
		bad_usage("unknown --assign %s: want rr or random", assign);
	o->random_assign = assign[0] == 'r' && assign[1] == 'a';
	if (o->threads > o->conns)
		bad_usage("--threads must not exceed --conns");
	if (preload && no_preload)
		bad_usage("--preload and --no-preload conflict");
	o->preload = (o->proto == MCL_PROTO_ASCII || o->proto == MCL_PROTO_BINARY) && !no_preload;
	if (o->cpu_list)
		parse_cpus(o, o->cpu_list);
	char host[64];
	port = strrchr(o->server, ':');
	size_t hlen = port ? (size_t)(port - o->server) : 0;
	char *end = NULL;
	long pnum = port ? strtol(port + 1, &end, 10) : 0;
	if (!port || hlen >= sizeof(host) || !port[1] || *end || pnum < 1 || pnum > 65535)
		bad_usage("bad --server %s: want IPV4:PORT", o->server);
	memcpy(host, o->server, hlen);
	host[hlen] = '\0';
	o->addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)pnum)};
	if (inet_pton(AF_INET, host, &o->addr.sin_addr) != 1)
		bad_usage("bad --server %s: want IPV4:PORT", o->server);
	if (!o->host)
		o->host = o->server;
	if (o->source_list) {
		char why[128];
		int n = mcl_opts_parse_sources(o->source_list, o->sources, MCL_MAX_SOURCES, why,
					       sizeof(why));
		if (n < 0)
			bad_usage("bad --source %s: %s", o->source_list, why);
		o->nsources = (unsigned)n;
		for (unsigned k = 0; k < o->nsources; k++)
			check_source(&o->sources[k]);
	}
}

int mcl_opts_parse_sources(const char *list, struct in_addr *out, unsigned max, char *why,
			   size_t whylen)
{
	unsigned n = 0;
	for (const char *s = list;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char ip[INET_ADDRSTRLEN];
		struct in_addr a;
		if (len == 0) {
			snprintf(why, whylen, "an empty item; want IPV4[,IPV4...]");
			return -1;
		}
		if (len >= sizeof(ip)) {
			snprintf(why, whylen, "%.*s...: not an IPv4 address", 15, s);
			return -1;
		}
		memcpy(ip, s, len);
		ip[len] = '\0';
		if (inet_pton(AF_INET, ip, &a) != 1) {
			snprintf(why, whylen, "%s: not an IPv4 address", ip);
			return -1;
		}
		uint32_t h = ntohl(a.s_addr);
		if (h == 0 || h == 0xffffffffu || (h >> 28) == 0xe) {
			snprintf(why, whylen, "%s: not a unicast address", ip);
			return -1;
		}
		for (unsigned k = 0; k < n; k++)
			if (out[k].s_addr == a.s_addr) {
				snprintf(why, whylen, "%s: listed twice", ip);
				return -1;
			}
		if (n == max) {
			snprintf(why, whylen, "more than %u addresses", max);
			return -1;
		}
		out[n++] = a;
		if (!comma)
			return (int)n;
		s = comma + 1;
	}
}
