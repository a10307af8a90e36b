/*
 * echoload: a bounded, open-loop load for the echo service (RFC 862), for the QEMU tests and
 * benchmarks. Every connection sends a deterministic byte stream (its own seed), in messages
 * of --size bytes, on a schedule of --rate messages per second over all connections, whatever
 * the server does: non-blocking sockets, so a full socket delays only that connection's own
 * bytes (counted as "behind"), never the schedule of the others. What comes back is checked
 * byte for byte against what was sent. --no-read connections never read (a hostile client).
 *
 * Bytes still due when sending ends are shed (never written, counted in "shed"): the run then
 * waits only for the echoes of what the sockets took.
 *
 * Prints one JSON line: totals, replies per interval (--interval ms), errors. Exit 0 when
 * every echoed byte was right and no connection failed (no-read connections: no reset).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS     4096
#define MAX_INTERVALS 4096

struct conn {
	int fd;
	int connected;
	int failed; /* reset or error: the reason is in err */
	int err;
	uint64_t sent; /* bytes written */
	uint64_t due;  /* bytes the schedule wants written by now */
	uint64_t got;  /* bytes read and checked */
	uint64_t bad;  /* echoed bytes that differ */
	uint32_t seed;
	uint64_t next_msg; /* the next of its messages to come back whole */
};

/*
 * Latencies, from each message's scheduled send time (not the time it was written, so a
 * backlog shows: no coordinated omission) to the moment its last byte came back. A log-linear
 * histogram: 16 steps per power of two of microseconds.
 */
#define LAT_BUCKETS (40 * 16)
static uint64_t lat_hist[LAT_BUCKETS];
static uint64_t lat_count, lat_max_us;

static unsigned lat_bucket(uint64_t us)
{
	if (us < 16)
		return (unsigned)us;
	unsigned e = 63u - (unsigned)__builtin_clzll(us); /* 4.. */
	unsigned b = (e - 3) * 16 + (unsigned)((us >> (e - 4)) & 15);
	return b < LAT_BUCKETS ? b : LAT_BUCKETS - 1;
}

/* The upper bound of bucket b, in microseconds. */
static uint64_t lat_bucket_top(unsigned b)
{
	if (b < 16)
		return b;
	unsigned e = b / 16 + 3, m = b % 16;
	return ((uint64_t)(16 + m + 1) << (e - 4)) - 1;
}

static void lat_record(uint64_t ns)
{
	uint64_t us = ns / 1000;

	lat_hist[lat_bucket(us)]++;
	lat_count++;
	if (us > lat_max_us)
		lat_max_us = us;
}

/* The latency under which a fraction q of the messages came back (an upper bound). */
static uint64_t lat_quantile(double q)
{
	uint64_t want = (uint64_t)(q * (double)lat_count), seen = 0;

	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += lat_hist[b];
		if (seen > want)
			return lat_bucket_top(b) < lat_max_us ? lat_bucket_top(b) : lat_max_us;
	}
	return lat_max_us;
}

static struct conn conns[MAX_CONNS];
static uint64_t per_interval[MAX_INTERVALS];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Byte i of connection c's stream: cheap to compute at any offset, different per conn. */
static inline uint8_t stream_byte(const struct conn *c, uint64_t i)
{
	uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull + c->seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> ((i & 7) * 8));
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: echoload --host A [--port P] [--conns N] [--size B] [--rate R]\n"
	    "                [--duration S] [--drain S] [--interval MS] [--no-read]\n"
	    "  --conns N     connections (1..%d, default 16)\n"
	    "  --size B      bytes per message (1..65536, default 64)\n"
	    "  --rate R      messages per second over all connections (default 1000)\n"
	    "  --duration S  seconds of sending (default 5, at most 600)\n"
	    "  --drain S     seconds to wait for the last echoes afterwards (default 5)\n"
	    "  --interval MS the reply-rate time line's step (default 500)\n"
	    "  --no-read     never read the echoes (a client that does not read)\n"
	    "  --count M     stop after M messages in all (default: no limit)\n"
	    "  --rcvbuf B    the sockets' receive buffer (SO_RCVBUF; default: the system's)\n"
	    "Prints one JSON line; exit 0 when every echoed byte was right and nothing failed.\n",
	    MAX_CONNS);
}

int main(int argc, char **argv)
{
	const char *host = NULL;
	int port = 7, nconns = 16, size = 64, no_read = 0, interval_ms = 500, rcvbuf = 0;
	double rate = 1000, duration = 5, drain = 5;
	uint64_t count = 0;
	static const struct option opts[] = {
	    {"host", 1, 0, 'h'},  {"port", 1, 0, 'p'},	   {"conns", 1, 0, 'c'},
	    {"size", 1, 0, 's'},  {"rate", 1, 0, 'r'},	   {"duration", 1, 0, 'd'},
	    {"drain", 1, 0, 'D'}, {"interval", 1, 0, 'i'}, {"no-read", 0, 0, 'n'},
	    {"count", 1, 0, 'm'}, {"rcvbuf", 1, 0, 'b'},   {"help", 0, 0, 'H'},
	    {0, 0, 0, 0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			host = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'c':
			nconns = atoi(optarg);
			break;
		case 's':
			size = atoi(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'D':
			drain = atof(optarg);
			break;
		case 'i':
			interval_ms = atoi(optarg);
			break;
		case 'n':
			no_read = 1;
			break;
		case 'm':
			count = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			rcvbuf = atoi(optarg);
			break;
		case 'H':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!host || port <= 0 || port > 65535 || nconns < 1 || nconns > MAX_CONNS || size < 1 ||
	    size > 65536 || rate <= 0 || duration <= 0 || duration > 600 || drain < 0 ||
	    drain > 600 || interval_ms < 10 || rcvbuf < 0) {
		fprintf(stderr, "echoload: bad or missing argument\n");
		usage(stderr);
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "echoload: '%s' is not an IPv4 address\n", host);
		return 2;
	}
	int ep = epoll_create1(0);
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];
		c->seed = 0x1234567u * (uint32_t)(i + 1);
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (rcvbuf)
			setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
			c->failed = 1;
			c->err = errno;
			continue;
		}
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
					 .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	uint64_t start = now_ns(), end_send = start + (uint64_t)(duration * 1e9),
		 end_all = end_send + (uint64_t)(drain * 1e9),
		 step = (uint64_t)interval_ms * 1000000;
	uint64_t msgs_due_total = 0, behind_max = 0, connect_ms_max = 0;
	uint8_t buf[65536];
	int nconnected = 0, told_stop = 0;

	for (;;) {
		uint64_t t = now_ns();
		if (t >= end_send && !told_stop) {
			/* For a caller that must act a set time after the load stops. */
			fprintf(stderr, "echoload: sending stopped\n");
			fflush(stderr);
			told_stop = 1;
		}
		if (t >= end_all)
			break;
		/* The schedule: messages due by now, spread round-robin over the connections. */
		uint64_t due = t < end_send ? (uint64_t)((double)(t - start) * rate / 1e9)
					    : (uint64_t)(duration * rate);
		if (count && due > count)
			due = count;
		for (; msgs_due_total < due; msgs_due_total++)
			conns[msgs_due_total % (uint64_t)nconns].due += (uint64_t)size;
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 1);
		for (int k = 0; k < n; k++) {
			struct conn *c = &conns[evs[k].data.u32];
			if (c->failed)
				continue;
			if (!c->connected && (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
				int e = 0;
				socklen_t l = sizeof(e);
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l);
				if (e) {
					c->failed = 1;
					c->err = e;
					continue;
				}
				c->connected = 1;
				nconnected++;
				uint64_t ms = (now_ns() - start) / 1000000;
				if (ms > connect_ms_max)
					connect_ms_max = ms;
			}
			if (!no_read && (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
				ssize_t r;
				while ((r = read(c->fd, buf, sizeof(buf))) > 0) {
					for (ssize_t j = 0; j < r; j++)
						if (buf[j] != stream_byte(c, c->got + (uint64_t)j))
							c->bad++;
					c->got += (uint64_t)r;
					uint64_t tnow = now_ns();
					/* Message j of connection i is message j * nconns + i
					 * overall, due at that index / rate. */
					while ((c->next_msg + 1) * (uint64_t)size <= c->got) {
						double due_s =
						    (double)(c->next_msg * (uint64_t)nconns +
							     evs[k].data.u32) /
						    rate;
						uint64_t due_ns = start + (uint64_t)(due_s * 1e9);
						lat_record(tnow > due_ns ? tnow - due_ns : 0);
						c->next_msg++;
					}
					uint64_t slot = (tnow - start) / step;
					if (slot < MAX_INTERVALS)
						per_interval[slot] += (uint64_t)r;
				}
				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					c->failed = 1;
					c->err = r == 0 ? EPIPE : errno;
				}
			}
		}
		/* Write what is due on every connection, as far as its socket takes it. */
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];
			if (c->failed || !c->connected || c->sent >= c->due || t >= end_send)
				continue; /* what was not written by the end is shed (counted) */
			while (c->sent < c->due) {
				size_t len = (size_t)(c->due - c->sent);
				if (len > sizeof(buf))
					len = sizeof(buf);
				for (size_t j = 0; j < len; j++)
					buf[j] = stream_byte(c, c->sent + j);
				ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL);
				if (w <= 0) {
					if (w < 0 && errno != EAGAIN) {
						c->failed = 1;
						c->err = errno;
					}
					break;
				}
				c->sent += (uint64_t)w;
			}
			if (c->due - c->sent > behind_max)
				behind_max = c->due - c->sent;
		}
		if (no_read && t >= end_send)
			break;
		if (!no_read && (t >= end_send || (count && msgs_due_total >= count))) {
			int done = 1;
			for (int i = 0; i < nconns && done; i++)
				if (!conns[i].failed &&
				    (conns[i].got < conns[i].sent ||
				     (t < end_send && conns[i].sent < conns[i].due)))
					done = 0;
			if (done)
				break;
		}
	}
	uint64_t elapsed = now_ns() - start, sent = 0, got = 0, bad = 0, shed = 0;
	int failed = 0, resets = 0;
	for (int i = 0; i < nconns; i++) {
		sent += conns[i].sent;
		got += conns[i].got;
		bad += conns[i].bad;
		shed += conns[i].due - conns[i].sent;
		if (conns[i].failed) {
			failed++;
			if (conns[i].err == ECONNRESET)
				resets++;
		}
		close(conns[i].fd);
	}
	unsigned nslots = (unsigned)((elapsed + step - 1) / step);
	if (nslots > MAX_INTERVALS)
		nslots = MAX_INTERVALS;
	for (int i = 0; i < nconns; i++)
		if (!conns[i].connected && !conns[i].failed) {
			conns[i].failed = 1; /* never connected within the run */
			failed++;
		}
	int ok = !bad && !failed && (no_read || got == sent);
	printf("{\"ok\": %s, \"conns\": %d, \"connected\": %d, \"failed\": %d, \"resets\": %d, "
	       "\"size\": %d, \"rate\": %.0f, \"duration\": %.1f, \"sent\": %llu, \"got\": %llu, "
	       "\"bad\": %llu, \"shed\": %llu, \"behind_max\": %llu, \"connect_ms_max\": %llu, "
	       "\"elapsed_ms\": %llu, \"replies\": %llu, \"lat_p50_us\": %llu, "
	       "\"lat_p99_us\": %llu, \"lat_p999_us\": %llu, \"lat_max_us\": %llu, "
	       "\"interval_ms\": %d, \"got_per_interval\": [",
	       ok ? "true" : "false", nconns, nconnected, failed, resets, size, rate, duration,
	       (unsigned long long)sent, (unsigned long long)got, (unsigned long long)bad,
	       (unsigned long long)shed, (unsigned long long)behind_max,
	       (unsigned long long)connect_ms_max, (unsigned long long)(elapsed / 1000000),
	       (unsigned long long)lat_count, (unsigned long long)lat_quantile(0.5),
	       (unsigned long long)lat_quantile(0.99), (unsigned long long)lat_quantile(0.999),
	       (unsigned long long)lat_max_us, interval_ms);
	for (unsigned s = 0; s < nslots; s++)
		printf("%s%llu", s ? ", " : "", (unsigned long long)per_interval[s]);
	printf("]}\n");
	return ok ? 0 : 1;
}
