/*
 * httpd: a static-file HTTP/1.1 server on libix, serving the files of a tar archive given as a
 * data module (user/apps/httpd/tarfs.h). File bodies are sent zero-copy from the archive's
 * pages; only each response's header is built, in a small block that is freed when the peer
 * has acknowledged it.
 *
 *   httpd.c       options, start-up, counters, the access log, the timeout sweep
 *   httpd_conn.c  a connection: receiving and parsing requests, pipelining, flow control
 *   httpd_resp.c  a response: lookup, conditionals, ranges, the header
 *   http_req.c, http_util.c, tarfs.c: pure parsers (host unit tests and fuzzers)
 */
#ifndef IXOS_HTTPD_HTTPD_H
#define IXOS_HTTPD_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "user/apps/httpd/http_req.h"
#include "user/apps/httpd/tarfs.h"
#include "user/libix/ix.h"

/* The counters `ixmgr stats` shows for httpd (record appctr), one set per thread. */
#define HTTPD_COUNTERS(X)                                                                          \
	X(conns_accepted)                                                                          \
	X(conns_closed)                                                                            \
	X(conns_reset)	      /* the peer reset, or the connection died */                         \
	X(conns_idle_timeout) /* closed after --idle-timeout without a request */                  \
	X(conns_max_requests) /* closed after --max-requests */                                    \
	X(conns_overrun)      /* closed: the peer pipelined too far ahead of reading */            \
	X(conns_refused)      /* no memory for a new connection */                                 \
	X(requests)                                                                                \
	X(requests_get)                                                                            \
	X(requests_head)                                                                           \
	X(requests_other)     /* methods that are not GET or HEAD */                               \
	X(requests_keepalive) /* requests after the first on a connection */                       \
	X(status_200)                                                                              \
	X(status_206)                                                                              \
	X(status_301)                                                                              \
	X(status_304)                                                                              \
	X(status_400)                                                                              \
	X(status_404)                                                                              \
	X(status_405)                                                                              \
	X(status_408)                                                                              \
	X(status_413)                                                                              \
	X(status_414)                                                                              \
	X(status_416)                                                                              \
	X(status_431)                                                                              \
	X(status_501)                                                                              \
	X(status_503)                                                                              \
	X(status_505)                                                                              \
	X(path_escapes) /* targets that would have left the root (answered 400) */                 \
	X(tx_bytes)	/* header and body bytes queued */                                         \
	X(tx_body_bytes)                                                                           \
	X(access_log_lines)                                                                        \
	X(access_log_dropped) /* lines the rate limit dropped */

enum httpd_counter {
#define HTTPD_ENUM(n) HC_##n,
	HTTPD_COUNTERS(HTTPD_ENUM)
#undef HTTPD_ENUM
	    HC_N
};

#define HTTPD_STRIDE 64 /* counters per thread's set: a set is 512 bytes, 8 cache lines */
_Static_assert(HC_N <= HTTPD_STRIDE && HC_N <= IX_COUNTERS_MAX, "too many httpd counters");

extern uint64_t httpd_ctr[][HTTPD_STRIDE];

/* Counts on the calling thread's set. */
static inline void httpd_count(enum httpd_counter c, uint64_t n)
{
	httpd_ctr[ix_thread_index()][c] += n;
}

struct httpd_config {
	uint16_t port;
	unsigned max_requests;	   /* per connection; 0: no limit */
	unsigned idle_timeout_s;   /* keep-alive connection without a request */
	unsigned header_timeout_s; /* from a request's first byte to its whole head */
	uint64_t max_body;	   /* a request body up to this is read and dropped; more: 413 */
	bool access_log;
	unsigned log_rate; /* access log lines per second per thread, at most */
	const char *root;  /* the data module's name */
};

extern struct httpd_config httpd_cfg;
extern struct tarfs httpd_fs;

/*
 * A response's header block: built when the request is answered, queued with ixev_send, and
 * freed once the peer has acknowledged the header and the body (body_len bytes from the
 * archive, or a static error page) that follow it.
 */
#define HTTPD_HDR_MAX 480
struct httpd_blk {
	struct httpd_blk *next;
	uint32_t hdr_len;
	uint64_t body_len;
	char hdr[HTTPD_HDR_MAX];
};

/* A block from this thread's free list (NULL: out of memory); back to it. */
struct httpd_blk *httpd_blk_get(void);
void httpd_blk_put(struct httpd_blk *b);

/* A connection. */
struct httpd_conn {
	struct ixev_conn ix;
	struct httpd_conn *next, *prev; /* the serving thread's list (timeouts) */
	unsigned list;			/* whose list it is on (thread index + 1; 0: none) */
	uint32_t addr;
	uint16_t port;
	/* Received bytes not yet consumed, in order (their memory is the NIC's until released). */
	struct {
		const char *p;
		size_t len;
	} * rq;
	unsigned rq_head, rq_n, rq_cap;
	char *buf; /* a request head split over segments, copied here (HTTP_HEAD_MAX) */
	size_t buf_len;
	uint64_t body_left; /* a request body still to drop */
	/* Responses queued and not yet acknowledged, oldest first. */
	struct httpd_blk *out_head, *out_tail;
	unsigned out_n;
	uint64_t acked; /* of out_head: bytes acknowledged already */
	unsigned requests;
	uint64_t head_start_ns; /* a partial request head waits since (0: none) */
	uint64_t idle_since_ns; /* nothing in flight since (0: busy) */
	bool closing;		/* the last response is queued: close when it is acknowledged */
	bool eof;		/* the peer closed its side */
	bool closed;		/* ixev_close ran */
};

/* Responses a connection may have in flight before it stops reading requests. */
#define HTTPD_OUT_MAX 32

/* The handlers of httpd_conn.c. */
extern const struct ixev_handlers httpd_handlers;

/* Starts this thread's timeout sweep if it has none (when it takes a connection). */
void httpd_sweep_start(void);

/* Closes connections whose request head or idle time ran out (from the sweep timer). */
void httpd_conn_sweep(uint64_t now_ns);

/*
 * Answers one parsed request on c (status 0) or an error status the parser returned:
 * queues the header block and the body. Returns true if the connection must close after it.
 */
bool httpd_respond(struct httpd_conn *c, const struct http_req *rq, int status);

/*
 * A coarse clock per thread, so that a request costs no system call for the time: the sweep
 * timer ticks it every HTTPD_SWEEP_US (and a thread's first connection starts it). Timeouts
 * are measured with it (to within a tick), and the Date header comes from it.
 */
void httpd_clock_tick(void);
uint64_t httpd_now_ns(void);
/* The Date header value as of the last tick. */
const char *httpd_date(void);

/* One access log line (if enabled and within the rate), from the serving thread: rq is the
 * request (parsed true) or what the parser made of a bad one (its reason is logged), or NULL. */
void httpd_log_access(const struct httpd_conn *c, const struct http_req *rq, bool parsed,
		      int status, uint64_t bytes);

/* A message on the console, prefixed "httpd: ". */
void httpd_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
