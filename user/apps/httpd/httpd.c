/*
 * httpd's start-up and its per-thread services: options, the archive, the counters it
 * publishes, header blocks, the Date cache, the access log and the timeout sweep
 * (user/apps/httpd/httpd.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "user/apps/httpd/httpd.h"
#include "user/apps/sys.h"

#define HTTPD_THREADS_MAX 64
#define HTTPD_SWEEP_US	  250000
#define HTTPD_BLK_CHUNK	  64 /* blocks malloc'd at once */

struct httpd_config httpd_cfg = {
    .port = 80,
    .max_requests = 1000,
    .idle_timeout_s = 60,
    .header_timeout_s = 10,
    .max_body = 65536,
    .log_rate = 20,
};
struct tarfs httpd_fs;

uint64_t httpd_ctr[HTTPD_THREADS_MAX][HTTPD_STRIDE] __attribute__((aligned(64)));

static const char httpd_ctr_names[HC_N][IX_COUNTER_NAME_MAX] = {
#define HTTPD_NAME(n) #n,
    HTTPD_COUNTERS(HTTPD_NAME)
#undef HTTPD_NAME
};

/* Per thread; each written by its own thread only. */
static struct httpd_thread {
	struct httpd_blk *free_blks;
	bool sweeping;
	uint64_t now_ns; /* the clock as of the last tick (httpd_clock_tick) */
	int64_t date_sec;
	char date[HTTP_DATE_LEN + 1];
	int64_t log_sec;
	unsigned log_lines;
	uint64_t log_dropped_said;
} __attribute__((aligned(64))) httpd_threads[HTTPD_THREADS_MAX];

static struct httpd_thread *httpd_self(void)
{
	return &httpd_threads[ix_thread_index()];
}

void httpd_say(const char *fmt, ...)
{
	char line[256] = "httpd: ";
	const size_t pre = 7;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line + pre, sizeof(line) - pre - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - pre - 2)
		n = (int)(sizeof(line) - pre - 2);
	line[pre + (size_t)n] = '\n';
	/* Straight to the console in one write (one line, tagged once by the kernel): stdio
	 * is not thread-safe, and this runs on every thread. */
	sys_write(1, line, pre + (size_t)n + 1);
}

struct httpd_blk *httpd_blk_get(void)
{
	struct httpd_thread *t = httpd_self();

	if (!t->free_blks) {
		/* Blocks are never returned to malloc: a thread's list holds what its busiest
		 * moment needed (and blocks of connections that moved here). */
		struct httpd_blk *chunk = malloc(HTTPD_BLK_CHUNK * sizeof(*chunk));
		if (!chunk)
			return NULL;
		for (unsigned i = 0; i < HTTPD_BLK_CHUNK; i++) {
			chunk[i].next = t->free_blks;
			t->free_blks = &chunk[i];
		}
	}
	struct httpd_blk *b = t->free_blks;
	t->free_blks = b->next;
	b->next = NULL;
	b->hdr_len = 0;
	b->body_len = 0;
	return b;
}

void httpd_blk_put(struct httpd_blk *b)
{
	struct httpd_thread *t = httpd_self();

	b->next = t->free_blks;
	t->free_blks = b;
}

void httpd_clock_tick(void)
{
	struct httpd_thread *t = httpd_self();
	int64_t wall = (int64_t)((uint64_t)sys3(SYS_CLOCK, SYS_CLOCK_WALL, 0, 0) / 1000000000ULL);

	t->now_ns = ix_clock_ns();
	if (wall != t->date_sec || !t->date[0]) {
		http_date_format(wall, t->date);
		t->date_sec = wall;
	}
}

uint64_t httpd_now_ns(void)
{
	return httpd_self()->now_ns;
}

const char *httpd_date(void)
{
	return httpd_self()->date;
}

void httpd_log_access(const struct httpd_conn *c, const struct http_req *rq, bool parsed,
		      int status, uint64_t bytes)
{
	struct httpd_thread *t = httpd_self();

	if (!httpd_cfg.access_log)
		return;
	int64_t sec = (int64_t)(httpd_now_ns() / 1000000000ULL);
	if (sec != t->log_sec) {
		t->log_sec = sec;
		t->log_lines = 0;
		uint64_t dropped = httpd_ctr[ix_thread_index()][HC_access_log_dropped];
		if (dropped != t->log_dropped_said) {
			httpd_say(
			    "access log: %llu lines dropped on thread %u so far (--log-rate %u)",
			    (unsigned long long)dropped, ix_thread_index(), httpd_cfg.log_rate);
			t->log_dropped_said = dropped;
		}
	}
	if (t->log_lines >= httpd_cfg.log_rate) {
		httpd_count(HC_access_log_dropped, 1);
		return;
	}
	t->log_lines++;
	httpd_count(HC_access_log_lines, 1);
	char who[24];
	snprintf(who, sizeof(who), "%u.%u.%u.%u:%u", c->addr >> 24, (c->addr >> 16) & 255,
		 (c->addr >> 8) & 255, c->addr & 255, c->port);
	/* Common Log Format's request, status and bytes; the path as decoded (the parser lets no
	 * control byte through). A bad request is logged with the parser's reason instead. */
	if (parsed)
		httpd_say("%s \"%s %.200s HTTP/1.%d\" %d %llu", who, rq->method_name, rq->path,
			  rq->minor, status, (unsigned long long)bytes);
	else
		httpd_say("%s \"-\" %d %llu (%s)", who, status, (unsigned long long)bytes,
			  rq && rq->why ? rq->why : "request head too slow");
}

/* The sweep: every HTTPD_SWEEP_US on each thread that has connections. */
static void httpd_sweep(void *arg)
{
	(void)arg;
	httpd_clock_tick();
	httpd_conn_sweep(httpd_now_ns());
	if (ixev_timer(HTTPD_SWEEP_US, httpd_sweep, NULL))
		httpd_self()->sweeping = false;
}

/* Called when a thread takes a connection: starts its sweep if it has none. */
void httpd_sweep_start(void)
{
	struct httpd_thread *t = httpd_self();

	if (!t->sweeping)
		httpd_clock_tick(); /* the clock was not ticking on this thread */
	if (!t->sweeping && ixev_timer(HTTPD_SWEEP_US, httpd_sweep, NULL) == 0)
		t->sweeping = true;
}

static void httpd_usage(FILE *f)
{
	fprintf(f,
		"usage: httpd [-p PORT] [--root MODULE] [--max-requests N] [--idle-timeout S]\n"
		"             [--header-timeout S] [--max-body BYTES] [--access-log] "
		"[--log-rate N]\n"
		"Serves the files of a tar archive given as a boot module (default: the first "
		"data module)\nover HTTP/1.1: GET and HEAD, keep-alive, pipelining, ranges, "
		"conditional requests.\n"
		"  -p PORT            TCP port (default 80)\n"
		"  --root MODULE      the data module to serve, by file name (site.tar)\n"
		"  --max-requests N   requests per connection, then close (default 1000; 0: "
		"no limit)\n"
		"  --idle-timeout S   close a keep-alive connection idle this long (default 60)\n"
		"  --header-timeout S answer 408 to a request head not complete in S (default "
		"10)\n"
		"  --max-body BYTES   drop request bodies up to this; larger: 413 (default "
		"65536)\n"
		"  --access-log       log each request to the console\n"
		"  --log-rate N       at most N access log lines per second per core (default "
		"20; a line takes its core about 2 ms on a\n"
		"                     115200-baud serial console)\n");
}

/* A decimal number in [lo, hi], or -1. */
static long long httpd_num(const char *s, long long lo, long long hi)
{
	long long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > hi)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

static int httpd_options(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long long n = -1;
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			httpd_usage(stdout);
			return 1;
		} else if (!strcmp(o, "--access-log")) {
			httpd_cfg.access_log = true;
			continue;
		} else if (!strcmp(o, "--root")) {
			if (!v)
				goto missing;
			httpd_cfg.root = v;
		} else if (!strcmp(o, "-p")) {
			if ((n = httpd_num(v, 1, 65535)) < 0)
				goto bad;
			httpd_cfg.port = (uint16_t)n;
		} else if (!strcmp(o, "--max-requests")) {
			if ((n = httpd_num(v, 0, 1000000000)) < 0)
				goto bad;
			httpd_cfg.max_requests = (unsigned)n;
		} else if (!strcmp(o, "--idle-timeout")) {
			if ((n = httpd_num(v, 1, 86400)) < 0)
				goto bad;
			httpd_cfg.idle_timeout_s = (unsigned)n;
		} else if (!strcmp(o, "--header-timeout")) {
			if ((n = httpd_num(v, 1, 3600)) < 0)
				goto bad;
			httpd_cfg.header_timeout_s = (unsigned)n;
		} else if (!strcmp(o, "--max-body")) {
			if ((n = httpd_num(v, 0, 1LL << 40)) < 0)
				goto bad;
			httpd_cfg.max_body = (uint64_t)n;
		} else if (!strcmp(o, "--log-rate")) {
			if ((n = httpd_num(v, 1, 100000)) < 0)
				goto bad;
			httpd_cfg.log_rate = (unsigned)n;
		} else {
			printf("httpd: unknown option '%s'\n", o);
			httpd_usage(stdout);
			return 2;
		}
		i++;
		continue;
	missing:
		printf("httpd: %s needs a value\n", o);
		return 2;
	bad:
		printf("httpd: bad value '%s' for %s (see httpd --help)\n", v ? v : "", o);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[160];
	struct ix_module_desc d;
	size_t len = 0;
	const void *base;
	int r = httpd_options(argc, argv);

	if (r)
		return r == 1 ? 0 : 2;
	if (ix_thread_count() > HTTPD_THREADS_MAX) {
		printf("httpd: %u cores, at most %u supported\n", ix_thread_count(),
		       HTTPD_THREADS_MAX);
		return 1;
	}
	base = ix_module(httpd_cfg.root, &len);
	if (!base) {
		if (httpd_cfg.root)
			printf("httpd: no data module called '%s'; boot modules that are not apps:",
			       httpd_cfg.root);
		else
			printf(
			    "httpd: no data module to serve (give a tar archive as a boot module); "
			    "there are:");
		for (unsigned i = 0; ix_module_at(i, &d) == 0; i++)
			printf(" %s", d.name);
		printf("%s\n", ix_module_at(0, &d) ? " none" : "");
		return 1;
	}
	if (!httpd_cfg.root && ix_module_at(0, &d) == 0)
		httpd_cfg.root = strdup(d.name);
	if (tarfs_open(&httpd_fs, base, len, err, sizeof(err))) {
		printf("httpd: %s: not a usable tar archive: %s\n", httpd_cfg.root, err);
		return 1;
	}
	if (ix_counters_publish(httpd_ctr_names, HC_N, &httpd_ctr[0][0], ix_thread_count(),
				HTTPD_STRIDE))
		printf("httpd: warning: counters not published (ixmgr stats will not show them)\n");
	printf("httpd: %s: %lu entries, %llu bytes of files", httpd_cfg.root,
	       (unsigned long)httpd_fs.nfiles, (unsigned long long)httpd_fs.bytes);
	if (httpd_fs.skipped || httpd_fs.refused || httpd_fs.dups)
		printf(" (skipped %u links or devices, refused %u unsafe names, %u duplicates)",
		       httpd_fs.skipped, httpd_fs.refused, httpd_fs.dups);
	printf("\nhttpd: serving TCP port %u on %u cores; max %u requests per connection, "
	       "idle timeout %u s, header timeout %u s%s\n",
	       httpd_cfg.port, ix_thread_count(), httpd_cfg.max_requests, httpd_cfg.idle_timeout_s,
	       httpd_cfg.header_timeout_s, httpd_cfg.access_log ? ", access log on" : "");
	fflush(stdout);
	ixev_run(&httpd_handlers, httpd_cfg.port);
}
