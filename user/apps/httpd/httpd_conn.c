/*
 * httpd's connections (user/apps/httpd/httpd.h). Requests are parsed where they arrived, in
 * the NIC's buffers; only a request head split over segments is copied, into c->buf. Bytes
 * are released to the kernel as they are consumed, in order. A connection stops consuming
 * while HTTPD_OUT_MAX responses are unacknowledged or libix's send queue is nearly full:
 * the unreleased bytes then close the peer's window, so a client that pipelines without
 * reading stops itself. A response's header block is freed only when the peer has
 * acknowledged it (the NIC may resend from it until then), and a connection is closed only
 * when nothing it sent is unacknowledged, for the same reason.
 */
#include <stdlib.h>
#include <string.h>
#include "user/apps/httpd/httpd.h"

#define HTTPD_THREADS_MAX 64
#define HTTPD_RQ_MAX	  4096 /* received pieces held unconsumed: beyond, the peer is abusive */
#define HTTPD_SENDQ_SPARE 4    /* libix send-queue entries a response needs, at most */

static struct httpd_conn *httpd_lists[HTTPD_THREADS_MAX];

static void conn_link(struct httpd_conn *c)
{
	unsigned t = ix_thread_index();

	c->prev = NULL;
	c->next = httpd_lists[t];
	if (c->next)
		c->next->prev = c;
	httpd_lists[t] = c;
	c->list = t + 1;
	httpd_sweep_start();
}

static void conn_unlink(struct httpd_conn *c)
{
	if (!c->list)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		httpd_lists[c->list - 1] = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	c->list = 0;
}

static struct ixev_conn *conn_accept(uint32_t addr, uint16_t port)
{
	struct httpd_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		httpd_count(HC_conns_refused, 1);
		return NULL;
	}
	c->addr = addr;
	c->port = port;
	conn_link(c); /* starts the clock if this thread had no connection */
	c->idle_since_ns = httpd_now_ns();
	httpd_count(HC_conns_accepted, 1);
	return &c->ix;
}

/* Gives the oldest n unconsumed received bytes back to the kernel. */
static void conn_consume(struct httpd_conn *c, size_t n)
{
	if (!n)
		return;
	ixev_recv_done(&c->ix, n);
	while (n) {
		size_t k = c->rq[c->rq_head].len < n ? c->rq[c->rq_head].len : n;
		c->rq[c->rq_head].p += k;
		c->rq[c->rq_head].len -= k;
		n -= k;
		if (!c->rq[c->rq_head].len) {
			c->rq_head = (c->rq_head + 1) % c->rq_cap;
			c->rq_n--;
		}
	}
}

static void conn_drop_input(struct httpd_conn *c)
{
	size_t n = 0;

	for (unsigned i = 0; i < c->rq_n; i++)
		n += c->rq[(c->rq_head + i) % c->rq_cap].len;
	conn_consume(c, n);
	c->buf_len = 0;
	c->head_start_ns = 0;
}

static void conn_close(struct httpd_conn *c)
{
	if (c->closed)
		return;
	conn_drop_input(c);
	c->closed = true;
	ixev_close(&c->ix);
}

/* Whether c may answer one more request now. */
static bool conn_can_answer(const struct httpd_conn *c)
{
	return c->out_n < HTTPD_OUT_MAX && c->ix.sq_len + HTTPD_SENDQ_SPARE <= IXEV_SENDQ;
}

/* Answers a parsed head (or the parser's error) and notes what follows. */
static void conn_answer(struct httpd_conn *c, struct http_req *rq, int status)
{
	c->head_start_ns = 0;
	if (status == 0 && rq->has_length && rq->content_length > httpd_cfg.max_body)
		status = 413;
	if (httpd_respond(c, rq, status))
		c->closing = true;
	else if (status == 0)
		c->body_left = rq->content_length; /* dropped as it arrives */
	c->requests++;
}

/* Consumes what has arrived as far as it can. */
static void conn_progress(struct httpd_conn *c)
{
	static struct http_req rq[HTTPD_THREADS_MAX];
	struct http_req *r = &rq[ix_thread_index()];

	while (c->rq_n && !c->closing && !c->closed) {
		const char *p = c->rq[c->rq_head].p;
		size_t len = c->rq[c->rq_head].len;
		if (c->body_left) {
			size_t k = c->body_left < len ? (size_t)c->body_left : len;
			c->body_left -= k;
			conn_consume(c, k);
			continue;
		}
		if (!conn_can_answer(c))
			return; /* resumes when responses are acknowledged */
		c->idle_since_ns = 0;
		if (!c->buf_len) {
			int st = http_req_parse(p, len, r);
			if (st == HTTP_NEED_MORE) {
				c->head_start_ns = httpd_now_ns(); /* a head split over segments */
				if (!c->buf && !(c->buf = malloc(HTTP_HEAD_MAX))) {
					conn_close(c);
					return;
				}
				memcpy(c->buf, p, len); /* < HTTP_HEAD_MAX, or it would be 431 */
				c->buf_len = len;
				conn_consume(c, len);
				continue;
			}
			conn_answer(c, r, st);
			conn_consume(c, st == 0 ? r->head_len : len);
			continue;
		}
		size_t old = c->buf_len, k = HTTP_HEAD_MAX - old < len ? HTTP_HEAD_MAX - old : len;
		memcpy(c->buf + old, p, k);
		c->buf_len += k;
		int st = http_req_parse(c->buf, c->buf_len, r);
		if (st == HTTP_NEED_MORE) {
			conn_consume(c, k);
			continue;
		}
		conn_answer(c, r, st);
		c->buf_len = 0;
		/* The head ended inside this piece: the rest of it is the next request's. */
		conn_consume(c, st == 0 ? r->head_len - old : k);
	}
	if (c->closing || c->closed)
		conn_drop_input(c);
	if (!c->closed && !c->out_n && (c->closing || (c->eof && !c->rq_n)))
		conn_close(c);
	if (!c->out_n && !c->rq_n && !c->buf_len && !c->idle_since_ns)
		c->idle_since_ns = httpd_now_ns();
}

static void conn_recv(struct ixev_conn *ix, const void *data, size_t len)
{
	struct httpd_conn *c = (struct httpd_conn *)ix;

	if (!len) {
		c->eof = true;
		conn_progress(c);
		return;
	}
	if (c->closing || c->closed) {
		ixev_recv_done(ix, len); /* answered and closing: the rest is not read */
		return;
	}
	if (c->rq_n == c->rq_cap) {
		unsigned cap = c->rq_cap ? c->rq_cap * 2 : 8;
		if (cap > HTTPD_RQ_MAX) {
			/* Thousands of tiny pieces held unread: the peer sends far ahead of what it
			 * reads, in pieces too small to be honest. */
			httpd_count(HC_conns_overrun, 1);
			ixev_recv_done(ix, len);
			c->closing = true;
			conn_progress(c);
			return;
		}
		void *n = malloc(cap * sizeof(*c->rq));
		if (!n) {
			ixev_recv_done(ix, len);
			c->closing = true;
			conn_progress(c);
			return;
		}
		for (unsigned i = 0; i < c->rq_n; i++)
			memcpy((char *)n + i * sizeof(*c->rq), &c->rq[(c->rq_head + i) % c->rq_cap],
			       sizeof(*c->rq));
		free(c->rq);
		c->rq = n;
		c->rq_head = 0;
		c->rq_cap = cap;
	}
	unsigned tail = (c->rq_head + c->rq_n) % c->rq_cap;
	c->rq[tail].p = data;
	c->rq[tail].len = len;
	c->rq_n++;
	conn_progress(c);
}

static void conn_sent(struct ixev_conn *ix, size_t bytes)
{
	struct httpd_conn *c = (struct httpd_conn *)ix;

	while (bytes && c->out_head) {
		struct httpd_blk *b = c->out_head;
		uint64_t left = b->hdr_len + b->body_len - c->acked;
		if (bytes < left) {
			c->acked += bytes;
			break;
		}
		bytes -= left;
		c->acked = 0;
		c->out_head = b->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_n--;
		httpd_blk_put(b);
	}
	conn_progress(c);
}

static void conn_dead(struct ixev_conn *ix, int status)
{
	struct httpd_conn *c = (struct httpd_conn *)ix;

	(void)status;
	httpd_count(HC_conns_reset, 1);
	c->rq_n = 0; /* libix released them */
	c->closed = true;
}

static void conn_release(struct ixev_conn *ix)
{
	struct httpd_conn *c = (struct httpd_conn *)ix;

	conn_unlink(c);
	/* Closed with nothing unacknowledged, or dead (the kernel dropped what it held): no
	 * NIC can read the blocks any more. */
	while (c->out_head) {
		struct httpd_blk *b = c->out_head;
		c->out_head = b->next;
		httpd_blk_put(b);
	}
	httpd_count(HC_conns_closed, 1);
	free(c->rq);
	free(c->buf);
	free(c);
}

static void conn_moving(struct ixev_conn *ix)
{
	conn_unlink((struct httpd_conn *)ix);
}

static void conn_moved(struct ixev_conn *ix)
{
	conn_link((struct httpd_conn *)ix);
}

void httpd_conn_sweep(uint64_t now)
{
	uint64_t idle = httpd_cfg.idle_timeout_s * 1000000000ULL;
	uint64_t head = httpd_cfg.header_timeout_s * 1000000000ULL;

	for (struct httpd_conn *c = httpd_lists[ix_thread_index()], *next; c; c = next) {
		next = c->next;
		if (c->closed || c->closing)
			continue;
		if (c->head_start_ns && now - c->head_start_ns > head && conn_can_answer(c)) {
			/* A head that is still not complete: slowloris, or a client gone quiet. */
			conn_drop_input(c);
			httpd_respond(c, NULL, 408);
			c->closing = true;
			conn_progress(c);
		} else if (c->idle_since_ns && now - c->idle_since_ns > idle) {
			httpd_count(HC_conns_idle_timeout, 1);
			conn_close(c);
		}
	}
}

const struct ixev_handlers httpd_handlers = {
    .accept = conn_accept,
    .recv = conn_recv,
    .sent = conn_sent,
    .dead = conn_dead,
    .release = conn_release,
    .moving = conn_moving,
    .moved = conn_moved,
};
