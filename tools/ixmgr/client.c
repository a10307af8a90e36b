/* ixmgr client: request encoding, retries with new sequence numbers, parts, verification. */
#include "tools/ixmgr/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t ixmgr_next_seq(void)
{
	static uint64_t last;
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	last = now > last ? now : last + 1;
	return last;
}

void ixmgr_reply_free(struct ixmgr_reply *reply)
{
	free(reply->text);
	reply->text = NULL;
	reply->len = 0;
}

/* One part: returns 1 with *h/payload set, 0 if every try timed out, -1 on a transport error. */
/*
 * Commands that change something may take a while on the target (core set moves up to 128
 * flow groups; app start waits for the app): a retry sent too early would do them twice.
 * Each try of those waits at least IXMGR_SLOW_MS.
 */
#define IXMGR_SLOW_MS 15000

static unsigned client_timeout_ms(const struct ixmgr_opts *o, unsigned cmd)
{
	switch (cmd) {
	case MGMT_CMD_CORE_SET:
	case MGMT_CMD_CONFIG_SET:
	case MGMT_CMD_APP_START:
	case MGMT_CMD_APP_STOP:
	case MGMT_CMD_APP_RESTART:
		return o->timeout_ms > IXMGR_SLOW_MS ? o->timeout_ms : IXMGR_SLOW_MS;
	default:
		return o->timeout_ms;
	}
}

static int client_part(struct ixmgr_conn *c, const struct ixmgr_opts *o, unsigned cmd,
		       unsigned part, uint32_t snap, const char *args, size_t args_len,
		       uint8_t *resp, struct mgmt_hdr *h, const uint8_t **payload,
		       enum mgmt_status *vst, uint64_t *rtt_us)
{
	uint8_t req[MGMT_MSG_MAX];

	for (unsigned try = 0; try <= o->retries; try++) {
		struct mgmt_hdr q = {
		    .version = MGMT_VERSION,
		    .type = MGMT_TYPE_REQUEST,
		    .command = (uint16_t)cmd,
		    .part = (uint16_t)part,
		    .seq = ixmgr_next_seq(),
		    .snap = snap,
		};
		size_t n = mgmt_msg_encode(req, sizeof(req), &q, args, args_len, o->key);
		int64_t sent = ixmgr_now_ms();
		struct timespec t0, t1;

		if (n == 0) {
			fprintf(stderr, "ixmgr: arguments too long\n");
			return -1;
		}
		if (o->verbose)
			fprintf(stderr, "ixmgr: -> %s part %u snapshot %lu seq %llu (try %u)\n",
				mgmt_cmd_name(cmd), part, (unsigned long)snap,
				(unsigned long long)q.seq, try + 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (ixmgr_conn_send(c, req, n) < 0) {
			fprintf(stderr, "ixmgr: send: %s\n", strerror(errno));
			return -1;
		}
		for (;;) {
			int left = (int)(sent + client_timeout_ms(o, cmd) - ixmgr_now_ms());
			if (left <= 0)
				break;
			ssize_t r = ixmgr_conn_recv(c, resp, MGMT_MSG_MAX + 1, left);
			if (r < 0) {
				fprintf(stderr, "ixmgr: receive: %s\n", strerror(errno));
				return -1;
			}
			if (r == 0)
				break;
			*vst = mgmt_response_verify(resp, (size_t)r, o->key, q.seq, h, payload);
			if (o->verbose)
				fprintf(
				    stderr,
				    "ixmgr: <- %zd bytes: %s, status %s, part %u snapshot %lu%s\n",
				    r, mgmt_status_name(*vst), mgmt_status_name(h->status), h->part,
				    (unsigned long)h->snap,
				    h->flags & MGMT_FLAG_MORE ? " more" : "");
			if (*vst != MGMT_OK && *vst != MGMT_ST_UNAUTHENTICATED)
				continue; /* not an answer to this request: ignore */
			clock_gettime(CLOCK_MONOTONIC, &t1);
			*rtt_us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
					     (t1.tv_nsec - t0.tv_nsec) / 1000);
			/* A replay means our clock is behind what the target accepted last (or
			 * a duplicate): try again with a fresh seq. */
			if (h->status == MGMT_ST_REPLAY && try < o->retries)
				break;
			return 1;
		}
	}
	return 0;
}

/* Appends payload[0..n) to reply->text. Returns false if memory ran out. */
static bool client_append(struct ixmgr_reply *reply, size_t *cap, const uint8_t *payload, size_t n)
{
	if (reply->len + n + 1 > *cap) {
		size_t ncap = (reply->len + n + 1) * 2;
		char *t = realloc(reply->text, ncap);
		if (!t)
			return false;
		reply->text = t;
		*cap = ncap;
	}
	memcpy(reply->text + reply->len, payload, n);
	reply->len += n;
	reply->text[reply->len] = '\0';
	return true;
}

/* How one attempt at an answer ended. */
enum client_step { CLIENT_DONE, CLIENT_AGAIN };

/*
 * Collects one whole answer, parts 0, 1, ... of the snapshot part 0 carried. Returns
 * CLIENT_DONE with *rc set, or CLIENT_AGAIN if the snapshot went away (only while may_restart)
 * and the answer must start again from part 0.
 */
static enum client_step client_answer(struct ixmgr_conn *c, const struct ixmgr_opts *o,
				      unsigned cmd, const char *args, size_t args_len,
				      struct ixmgr_reply *reply, size_t *cap, bool may_restart,
				      int *rc)
{
	static uint8_t resp[MGMT_MSG_MAX + 1];
	static const char other[] = "error msg=the%20target%20sent%20a%20part%20of%20another%20"
				    "answer\n";
	uint32_t snap = 0;

	*rc = IXMGR_EXIT_OK;
	reply->status = MGMT_OK;
	reply->len = 0;
	reply->text[0] = '\0';
	for (unsigned part = 0; part < MGMT_PARTS_MAX; part++) {
		struct mgmt_hdr h;
		const uint8_t *payload;
		enum mgmt_status vst = MGMT_OK;
		int r = client_part(c, o, cmd, part, snap, args, args_len, resp, &h, &payload, &vst,
				    &reply->rtt_us);

		if (r <= 0) {
			if (r == 0)
				fprintf(stderr,
					"ixmgr: no answer from %s after %u tries of %u ms\n",
					o->target, o->retries + 1, client_timeout_ms(o, cmd));
			*rc = IXMGR_EXIT_UNREACHABLE;
			return CLIENT_DONE;
		}
		if (vst == MGMT_ST_UNAUTHENTICATED) {
			reply->status = h.status;
			reply->unauthenticated = true;
			reply->peer_version = h.version;
			return CLIENT_DONE;
		}
		if (h.status == MGMT_ST_SNAPSHOT_GONE && part > 0 && may_restart) {
			if (o->verbose)
				fprintf(stderr, "ixmgr: snapshot %lu is gone: starting again\n",
					(unsigned long)snap);
			return CLIENT_AGAIN;
		}
		if (part == 0)
			snap = h.snap;
		bool ok = h.status == MGMT_OK;
		if (ok &&
		    (h.part != part || h.snap != snap || (!snap && h.flags & MGMT_FLAG_MORE))) {
			/* Never kept: it would splice two answers together. */
			h.status = MGMT_ST_INTERNAL;
			payload = (const uint8_t *)other;
			h.len = sizeof(other) - 1;
			ok = false;
		}
		if (!ok) {
			/* An error part (its payload an "error msg=..." record) ends the answer. */
			reply->status = h.status;
			reply->len = 0;
			reply->text[0] = '\0';
		}
		if (!client_append(reply, cap, payload, h.len)) {
			*rc = IXMGR_EXIT_UNREACHABLE;
			return CLIENT_DONE;
		}
		if (!ok || !(h.flags & MGMT_FLAG_MORE))
			return CLIENT_DONE;
	}
	fprintf(stderr, "ixmgr: answer has more than %u parts\n", MGMT_PARTS_MAX);
	reply->status = MGMT_ST_INTERNAL;
	reply->len = 0;
	reply->text[0] = '\0';
	return CLIENT_DONE;
}

int ixmgr_call(struct ixmgr_conn *c, const struct ixmgr_opts *o, unsigned cmd, const char *args,
	       size_t args_len, struct ixmgr_reply *reply)
{
	size_t cap = 4096;
	int rc = IXMGR_EXIT_OK;

	memset(reply, 0, sizeof(*reply));
	reply->text = malloc(cap);
	if (!reply->text)
		return IXMGR_EXIT_UNREACHABLE;
	/* Every part of one answer comes from the snapshot part 0 named. If the target no longer
	 * keeps it (other clients' answers took its place), the whole answer starts again from
	 * part 0, a bounded number of times: parts of two snapshots are never put together. */
	for (unsigned round = 0;; round++)
		if (client_answer(c, o, cmd, args, args_len, reply, &cap,
				  round < IXMGR_SNAPSHOT_RETRIES, &rc) == CLIENT_DONE)
			return rc;
}
