/* mcload's event loop: connections, dispatch, replies and reconnects (see mcload_loop.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tools/loadgen/mcload_loop.h"

#define RETRY_NS (20 * 1000000ull) /* wait before reconnecting */
#define WAIT_MAX (1u << 20)	   /* queued requests per connection; more are lost */

enum { R_WARM, R_MEAS, R_PRELOAD };  /* struct mcl_req's kind */
enum { C_DOWN, C_CONNECTING, C_UP }; /* struct mcl_conn's state */

uint64_t mcl_loop_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void mcl_loop_die_nomem(void)
{
	fprintf(stderr, "mcload: out of memory\n");
	exit(1);
}

static struct mcl_req *ring_at(struct mcl_ring *r, size_t i)
{
	return &r->q[(r->head + i) & (r->cap - 1)];
}

/* Makes room for one more entry in r. */
static void ring_room(struct mcl_ring *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct mcl_req *q = malloc(cap * sizeof(*q));
		if (!q)
			mcl_loop_die_nomem();
		for (size_t i = 0; i < r->n; i++)
			q[i] = *ring_at(r, i);
		free(r->q);
		*r = (struct mcl_ring){.q = q, .head = 0, .n = r->n, .cap = cap};
	}
}

static void ring_push(struct mcl_ring *r, const struct mcl_req *x)
{
	ring_room(r);
	*ring_at(r, r->n++) = *x;
}

/* Puts x first, before the entries there. */
static void ring_push_front(struct mcl_ring *r, const struct mcl_req *x)
{
	ring_room(r);
	r->head = (r->head + r->cap - 1) & (r->cap - 1);
	r->n++;
	*ring_at(r, 0) = *x;
}

/* Removes entry i, moving the ones before it up by one. */
static void ring_remove(struct mcl_ring *r, size_t i)
{
	for (; i > 0; i--)
		*ring_at(r, i) = *ring_at(r, i - 1);
	r->head = (r->head + 1) & (r->cap - 1);
	r->n--;
}

/* A request leaves the books: counted lost unless it was a warmup one. */
static void req_lost(struct mcl_worker *w, const struct mcl_req *q)
{
	w->pending--;
	if (q->kind == R_MEAS)
		w->st.lost++;
	else if (q->kind == R_PRELOAD) {
		w->st.preload_done++;
		w->st.preload_errors++;
	}
}

/* Moves c to state, keeping w's counts of connections up and handshaking. */
static void conn_set_state(struct mcl_worker *w, struct mcl_conn *c, int state)
{
	if (c->state == C_UP)
		w->nup--;
	else if (c->state == C_CONNECTING)
		w->nconnecting--;
	if (state == C_UP)
		w->nup++;
	else if (state == C_CONNECTING)
		w->nconnecting++;
	c->state = state;
}

/* c's parser, made if it has none: the next reply it reads answers the oldest in flight. */
static struct mcl_parser *conn_parser(struct mcl_worker *w, struct mcl_conn *c)
{
	if (!c->parser) {
		c->parser = malloc(sizeof(*c->parser));
		if (!c->parser)
			mcl_loop_die_nomem();
		mcl_proto_parser_init(c->parser, w->o->proto, w->o->size);
		w->parser_state0 = c->parser->state;
		/* Echo messages are numbered from the connection's first: every one built is in
		 * flight or answered, and the next to come back is the oldest in flight. */
		c->parser->echo_seq = c->echo_seq - c->fly.n;
	}
	return c->parser;
}

/* With many connections (w->trim): frees what c does not use now (its queues when empty, its
 * output when all sent, its parser between replies with nothing in flight); they come back
 * when needed. An idle connection then holds no memory but its struct and its socket. */
static void conn_trim(struct mcl_worker *w, struct mcl_conn *c)
{
	if (!w->trim)
		return;
	if (c->wait.n == 0 && c->wait.q) {
		free(c->wait.q);
		c->wait = (struct mcl_ring){0};
	}
	if (c->fly.n == 0 && c->fly.q) {
		free(c->fly.q);
		c->fly = (struct mcl_ring){0};
	}
	if (c->out.len == 0 && c->out.data)
		mcl_proto_buf_free(&c->out);
	if (c->fly.n == 0 && c->parser && c->parser->state == w->parser_state0 &&
	    c->parser->have == 0) {
		free(c->parser);
		c->parser = NULL;
	}
}

/* Closes c (its in flight already dealt with) and queues it to be reopened: RETRY_NS from now
 * at the tail of w's queue of down connections, or now at its head, which keeps the queue in
 * retry_at order (the ones before now are all reopened in the same pass). */
static void conn_down(struct mcl_worker *w, struct mcl_conn *c, bool at_once)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->fly.n = c->unsent = 0;
	mcl_proto_buf_consume(&c->out, c->out.len);
	free(c->parser); /* the next connection starts from a new one */
	c->parser = NULL;
	conn_set_state(w, c, C_DOWN);
	c->retry_at = mcl_loop_now_ns() + (at_once ? 0 : RETRY_NS);
	c->down_next = NULL;
	if (at_once) {
		c->down_next = w->down_head;
		w->down_head = c;
		if (!w->down_tail)
			w->down_tail = c;
	} else {
		if (w->down_tail)
			w->down_tail->down_next = c;
		else
			w->down_head = c;
		w->down_tail = c;
	}
	if (w->mode == MCL_M_CONNECT)
		w->fatal = true;
	conn_trim(w, c);
}

/* Closes c: its requests in flight are lost, its queue waits for the reconnect, RETRY_NS
 * from now. */
static void conn_fail(struct mcl_worker *w, struct mcl_conn *c)
{
	for (size_t i = 0; i < c->fly.n; i++)
		req_lost(w, ring_at(&c->fly, i));
	conn_down(w, c, false);
}

/* HTTP: the server ended c between responses. Its requests in flight go back to the head of
 * its queue, in order, to be sent again on the new connection, which opens at once if c
 * answered any since it was opened (else RETRY_NS later, as after a failure). */
static void conn_http_ended(struct mcl_worker *w, struct mcl_conn *c)
{
	if (w->mode == MCL_M_CONNECT) {
		conn_fail(w, c);
		return;
	}
	for (size_t i = c->fly.n; i-- > 0;) {
		ring_push_front(&c->wait, ring_at(&c->fly, i));
		w->st.http_retried++;
	}
	conn_down(w, c, c->answered);
}

/* c could not be opened (err; at_bind: binding to its --source address): says why, while
 * connecting (once), and closes it. */
static void connect_failed(struct mcl_worker *w, struct mcl_conn *c, int err, bool at_bind)
{
	if (w->mode == MCL_M_CONNECT && !w->fatal) {
		char src[INET_ADDRSTRLEN] = "";
		const struct in_addr *a =
		    mcl_opts_source_for(w->o, w->first + (unsigned)(c - w->conns));
		if (a)
			inet_ntop(AF_INET, a, src, sizeof(src));
		if (at_bind)
			fprintf(stderr, "mcload: binding to source address %s failed: %s\n", src,
				strerror(err));
		else
			fprintf(stderr,
				"mcload: connect to %s%s%s failed (thread %u had %u of its %u up): "
				"%s%s\n",
				w->o->server, a ? " from " : "", src, w->id, w->nup, w->nconns,
				strerror(err),
				err == EADDRNOTAVAIL ? " (no local port left: give more --source "
						       "addresses, or widen "
						       "net.ipv4.ip_local_port_range)"
						     : "");
	}
	w->st.connect_errors++;
	conn_fail(w, c);
}

void mcl_loop_conn_open(struct mcl_worker *w, struct mcl_conn *c)
{
	if (c->opened)
		w->st.reconnects++;
	c->opened = true;
	c->answered = false;
	c->built = c->written = c->echo_seq = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		connect_failed(w, c, errno, false);
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	const struct in_addr *src = mcl_opts_source_for(w->o, w->first + (unsigned)(c - w->conns));
	if (src) {
		/* No port at bind: connect picks one that makes the 4-tuple unique, as for an
		 * unbound socket, so each address has the ephemeral range to itself for each
		 * server (bind with port 0 would pick one unique for the address over all
		 * servers, searching the range at every bind). */
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = *src};
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
			connect_failed(w, c, errno, true);
			return;
		}
	}
	int rc = connect(c->fd, (const struct sockaddr *)&w->o->addr, sizeof(w->o->addr));
	if (rc < 0 && errno != EINPROGRESS) {
		connect_failed(w, c, errno, false);
		return;
	}
	/* Edge-triggered: every read and write goes on until EAGAIN. */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.ptr = c};
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		connect_failed(w, c, errno, false);
		return;
	}
	conn_set_state(w, c, rc == 0 ? C_UP : C_CONNECTING);
}

/* Writes what it can of c's output; marks the requests it finished sending. */
static void conn_flush(struct mcl_worker *w, struct mcl_conn *c)
{
	while (c->out.len > c->out.off) {
		ssize_t n =
		    send(c->fd, c->out.data + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (errno == EAGAIN)
				break;
			continue;
		}
		if (n < 0) {
			conn_fail(w, c);
			return;
		}
		mcl_proto_buf_consume(&c->out, (size_t)n);
		c->written += (uint64_t)n;
	}
	while (c->unsent > 0) {
		struct mcl_req *q = ring_at(&c->fly, c->fly.n - c->unsent);
		if (q->end > c->written)
			break;
		if (q->kind == R_MEAS && !q->sent)
			w->st.sent++;
		q->sent = true;
		c->unsent--;
	}
}

/* Builds q's bytes onto c's output. */
static void conn_build(struct mcl_worker *w, struct mcl_conn *c, struct mcl_req *q)
{
	const struct mcl_opts *o = w->o;
	char key[MCL_KEY_MAX];
	size_t before = c->out.len - c->out.off;
	int rc;
	q->opaque = c->next_opaque++;
	if (q->op == MCL_OP_ECHO) {
		rc = mcl_proto_build_echo(&c->out, c->echo_seq++, o->size);
	} else if (o->proto == MCL_PROTO_HTTP) {
		rc = mcl_http_build_get(&c->out, o->path, o->host);
	} else {
		unsigned klen = mcl_dist_key(o->wl, o->seed, q->key, o->keys, key);
		if (q->op == MCL_OP_GET)
			rc = mcl_proto_build_get(o->proto, &c->out, key, klen, q->opaque);
		else
			rc = mcl_proto_build_set(o->proto, &c->out, key, klen,
						 mcl_dist_value_size(o->wl, o->seed, q->key),
						 q->opaque);
	}
	if (rc < 0)
		mcl_loop_die_nomem();
	c->built += c->out.len - c->out.off - before;
	q->end = c->built;
}

/* Tops up preload work, moves waiting requests in flight up to the depth, and writes. */
void mcl_loop_conn_pump(struct mcl_worker *w, struct mcl_conn *c)
{
	if (c->state != C_UP)
		return;
	while (w->mode == MCL_M_PRELOAD && c->wait.n + c->fly.n < w->depth &&
	       w->pl_next < w->o->keys) {
		struct mcl_req q = {.key = w->pl_next, .op = MCL_OP_SET, .kind = R_PRELOAD};
		w->pl_next += w->o->threads;
		w->pending++;
		ring_push(&c->wait, &q);
	}
	while (c->wait.n > 0 && c->fly.n < w->depth) {
		struct mcl_req q = *ring_at(&c->wait, 0);
		ring_remove(&c->wait, 0);
		conn_build(w, c, &q);
		ring_push(&c->fly, &q);
		c->unsent++;
	}
	conn_flush(w, c);
}

/* Matches reply r to its request and books it; false when it answers none (garbage). */
static bool conn_reply(struct mcl_worker *w, struct mcl_conn *c, const struct mcl_reply *r,
		       uint64_t now)
{
	const struct mcl_opts *o = w->o;
	size_t i = 0;
	if (o->proto == MCL_PROTO_BINARY)
		while (i < c->fly.n && ring_at(&c->fly, i)->opaque != r->opaque)
			i++;
	if (i >= c->fly.n - c->unsent)
		return false; /* nothing in flight (or not yet sent) that it could answer */
	struct mcl_req q = *ring_at(&c->fly, i);
	if (r->op != MCL_OP_ANY && r->op != q.op)
		return false;
	if (r->key) {
		char key[MCL_KEY_MAX];
		unsigned klen = mcl_dist_key(o->wl, o->seed, q.key, o->keys, key);
		if (klen != r->key_len || memcmp(key, r->key, klen) != 0)
			return false;
	}
	ring_remove(&c->fly, i);
	w->pending--;
	c->answered = true;
	/* The server's own rate in the window, whichever request it answered (make bench divides
	 * the guest's instructions in the window by it). */
	w->st.replies_in_window += q.kind != R_PRELOAD && now >= w->t_meas && now < w->t_end;
	if (q.kind == R_PRELOAD) {
		w->st.preload_done++;
		w->st.preload_errors += r->kind != MCL_REPLY_STORED;
	} else if (q.kind == R_MEAS) {
		w->st.completed++;
		mcl_hist_record(&w->hist, now > q.sched ? now - q.sched : 0);
		w->st.hits += r->kind == MCL_REPLY_HIT;
		w->st.misses += r->kind == MCL_REPLY_MISS;
		w->st.stored += r->kind == MCL_REPLY_STORED;
		w->st.errors += r->kind == MCL_REPLY_ERROR || r->kind == MCL_REPLY_NOT_STORED;
		if (r->kind == MCL_REPLY_HTTP) {
			unsigned cls = r->status / 100;
			w->st.http_2xx += cls == 2;
			w->st.http_3xx += cls == 3;
			w->st.http_4xx += cls == 4;
			w->st.http_5xx += cls == 5;
			w->st.http_non2xx += cls != 2;
			w->st.body_bytes += r->body_len;
		}
	}
	return true;
}

/* http: says (once per thread) why a response was garbage (why NULL: it came unasked). */
static void http_say_error(struct mcl_worker *w, const char *why)
{
	if (w->said_http_error)
		return;
	w->said_http_error = true;
	fprintf(stderr,
		"mcload: thread %u: a bad HTTP response from %s: %s (counted in parse_errors, "
		"its connection reopened; said once)\n",
		w->id, w->o->server, why ? why : "a response with no request in flight");
}

static void conn_read(struct mcl_worker *w, struct mcl_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, w->rbuf, sizeof(w->rbuf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0 && w->o->proto == MCL_PROTO_HTTP) {
			/* Between responses the server may end a connection (idle, or after so
			 * many requests) and its unanswered requests go again; mid-response it
			 * failed. */
			w->st.http_server_close++;
			if (!c->parser ||
			    (c->parser->state == w->parser_state0 && c->parser->have == 0))
				conn_http_ended(w, c);
			else
				conn_fail(w, c);
			return;
		}
		if (n <= 0) {
			conn_fail(w, c); /* EOF or reset: in flight is lost */
			return;
		}
		uint64_t now = mcl_loop_now_ns();
		size_t off = 0, used;
		struct mcl_reply r;
		struct mcl_parser *p = conn_parser(w, c);
		while (off < (size_t)n) {
			int rc = mcl_proto_parse(p, w->rbuf + off, (size_t)n - off, &used, &r);
			off += used;
			if (rc == MCL_PARSE_MORE)
				break;
			if (rc == MCL_PARSE_ERROR || !conn_reply(w, c, &r, now)) {
				w->st.parse_errors++;
				if (w->o->proto == MCL_PROTO_HTTP)
					http_say_error(w,
						       rc == MCL_PARSE_ERROR ? p->http.why : NULL);
				conn_fail(w, c);
				return;
			}
			if (w->o->proto == MCL_PROTO_HTTP && r.close) {
				/* The server closes after it: anything more it sent is void. */
				w->st.http_conn_close++;
				conn_http_ended(w, c);
				return;
			}
		}
	}
	mcl_loop_conn_pump(w, c);
	if (c->state == C_UP)
		conn_trim(w, c);
}

static void conn_event(struct mcl_worker *w, struct mcl_conn *c, uint32_t events)
{
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			connect_failed(w, c, err, false);
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLIN)))
			return;
		conn_set_state(w, c, C_UP);
		mcl_loop_conn_pump(w, c);
	}
	if (c->state == C_UP && (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)))
		conn_read(w, c);
	if (c->state == C_UP && (events & EPOLLOUT))
		mcl_loop_conn_pump(w, c);
}

/* Issues one scheduled request to a connection, and books why it could not go at once. */
static void issue(struct mcl_worker *w, uint64_t t)
{
	const struct mcl_opts *o = w->o;
	struct mcl_req q = {
	    .sched = t, .kind = t >= w->t_meas ? R_MEAS : R_WARM, .op = MCL_OP_ECHO};
	if (o->proto == MCL_PROTO_HTTP) {
		q.op = MCL_OP_GET;
	} else if (o->proto != MCL_PROTO_ECHO) {
		q.op = mcl_dist_is_set(o->wl, &w->rng) ? MCL_OP_SET : MCL_OP_GET;
		q.key = mcl_dist_below(&w->rng, o->keys);
	}
	unsigned ci = o->random_assign ? (unsigned)mcl_dist_below(&w->rng, w->nconns) : w->rr++;
	struct mcl_conn *c = &w->conns[ci % w->nconns];
	bool meas = q.kind == R_MEAS;
	w->st.scheduled += meas;
	w->pending++;
	if (c->wait.n >= WAIT_MAX) {
		req_lost(w, &q);
		return;
	}
	ring_push(&c->wait, &q);
	mcl_loop_conn_pump(w, c);
	if (c->wait.n > 0 && c->state == C_UP)
		w->st.depth_waits += meas;
	else if (c->wait.n > 0 || c->unsent > 0)
		w->st.backlogged += meas;
}

/* Whether the current phase is over (or failed: then *rc is -1). */
static bool phase_done(struct mcl_worker *w, uint64_t now, uint64_t deadline, int *rc)
{
	*rc = 0;
	if (w->mode == MCL_M_CONNECT) {
		if (w->nup == w->nconns)
			return true;
		*rc = -1;
		return w->fatal || now >= deadline;
	}
	if (w->mode == MCL_M_PRELOAD) {
		*rc = now >= deadline ? -1 : 0;
		return w->st.preload_done == w->st.preload_keys || now >= deadline;
	}
	return now >= w->t_end && (w->pending == 0 || now >= deadline);
}

/* Runs the event loop until the phase ends; returns 0, or -1 if it failed or timed out. */
int mcl_loop_run(struct mcl_worker *w, uint64_t deadline)
{
	struct epoll_event evs[64];
	for (;;) {
		uint64_t now = mcl_loop_now_ns(), wake = deadline;
		int rc;
		/* Connecting: the next ones as handshakes finish, never more at once than this. */
		while (w->mode == MCL_M_CONNECT && !w->fatal && w->next_open < w->nconns &&
		       w->nconnecting < w->o->connect_inflight)
			mcl_loop_conn_open(w, &w->conns[w->next_open++]);
		if (w->mode == MCL_M_LOAD) {
			uint64_t t;
			while ((t = mcl_dist_sched_peek(&w->sched)) <= now && t < w->t_end)
				issue(w, mcl_dist_sched_pop(&w->sched));
			if (t < w->t_end && t < wake)
				wake = t;
			else if (now < w->t_end && w->t_end < wake)
				wake = w->t_end;
		}
		/* Reconnects, from the head of the queue (the earliest retry_at); one that fails at
		 * once goes to its tail with a later retry_at, so this ends. */
		while (w->down_head && w->mode != MCL_M_CONNECT) {
			struct mcl_conn *c = w->down_head;
			if (c->retry_at > now) {
				if (c->retry_at < wake)
					wake = c->retry_at;
				break;
			}
			w->down_head = c->down_next;
			if (!w->down_head)
				w->down_tail = NULL;
			c->down_next = NULL;
			mcl_loop_conn_open(w, c);
		}
		if (phase_done(w, now, deadline, &rc))
			return rc;
		uint64_t dt = wake > now ? wake - now : 0;
		struct timespec ts = {.tv_sec = (time_t)(dt / 1000000000u),
				      .tv_nsec = (long)(dt % 1000000000u)};
		int n = w->no_pwait2 ? -1 : epoll_pwait2(w->ep, evs, 64, &ts, NULL);
		if (w->no_pwait2 || (n < 0 && errno == ENOSYS)) {
			w->no_pwait2 = true; /* milliseconds, rounded up: wakes late, never early */
			n = epoll_wait(w->ep, evs, 64, (int)((dt + 999999) / 1000000u));
		}
		for (int i = 0; i < n; i++) {
			struct mcl_conn *c = evs[i].data.ptr;
			if (c->state != C_DOWN)
				conn_event(w, c, evs[i].events);
		}
	}
}

void mcl_loop_count_outstanding(struct mcl_worker *w)
{
	for (unsigned i = 0; i < w->nconns; i++) {
		struct mcl_conn *c = &w->conns[i];
		for (size_t j = 0; j < c->wait.n; j++)
			w->st.outstanding += ring_at(&c->wait, j)->kind == R_MEAS;
		for (size_t j = 0; j < c->fly.n; j++)
			w->st.outstanding += ring_at(&c->fly, j)->kind == R_MEAS;
	}
}

void mcl_loop_conn_free(struct mcl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->wait.q);
	free(c->fly.q);
	free(c->parser);
	mcl_proto_buf_free(&c->out);
}
