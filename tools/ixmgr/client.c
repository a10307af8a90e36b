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
		       unsigned part, const char *args, size_t args_len, uint8_t *resp,
		       struct mgmt_hdr *h, const uint8_t **payload, enum mgmt_status *vst,
		       uint64_t *rtt_us)
{
	uint8_t req[MGMT_MSG_MAX];

	for (unsigned try = 0; try <= o->retries; try++) {
		struct mgmt_hdr q = {
		    .version = MGMT_VERSION,
		    .type = MGMT_TYPE_REQUEST,
		    .command = (uint16_t)cmd,
		    .part = (uint16_t)part,
		    .seq = ixmgr_next_seq(),
		};
		size_t n = mgmt_msg_encode(req, sizeof(req), &q, args, args_len, o->key);
		int64_t sent = ixmgr_now_ms();
		struct timespec t0, t1;

		if (n == 0) {
			fprintf(stderr, "ixmgr: arguments too long\n");
			return -1;
		}
		if (o->verbose)
			fprintf(stderr, "ixmgr: -> %s part %u seq %llu (try %u)\n",
				mgmt_cmd_name(cmd), part, (unsigned long long)q.seq, try + 1);
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
				fprintf(stderr, "ixmgr: <- %zd bytes: %s, status %s\n", r,
					mgmt_status_name(*vst), mgmt_status_name(h->status));
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

int ixmgr_call(struct ixmgr_conn *c, const struct ixmgr_opts *o, unsigned cmd, const char *args,
	       size_t args_len, struct ixmgr_reply *reply)
{
	static uint8_t resp[MGMT_MSG_MAX + 1];
	size_t cap = 4096;

	memset(reply, 0, sizeof(*reply));
	reply->text = malloc(cap);
	if (!reply->text)
		return IXMGR_EXIT_UNREACHABLE;
	reply->text[0] = '\0';
	for (unsigned part = 0; part < MGMT_PARTS_MAX; part++) {
		struct mgmt_hdr h;
		const uint8_t *payload;
		enum mgmt_status vst = MGMT_OK;
		int r = client_part(c, o, cmd, part, args, args_len, resp, &h, &payload, &vst,
				    &reply->rtt_us);

		if (r <= 0) {
			if (r == 0)
				fprintf(stderr,
					"ixmgr: no answer from %s after %u tries of %u ms\n",
					o->target, o->retries + 1, client_timeout_ms(o, cmd));
			return IXMGR_EXIT_UNREACHABLE;
		}
		reply->status = h.status;
		if (vst == MGMT_ST_UNAUTHENTICATED) {
			reply->unauthenticated = true;
			return IXMGR_EXIT_OK;
		}
		if (h.status != MGMT_OK || h.part != part) {
			/* An error part (its payload is an "error msg=..." record) ends it all. */
			reply->len = 0;
			if (h.part != part && h.status == MGMT_OK)
				reply->status = MGMT_ST_INTERNAL;
		}
		if (reply->len + h.len + 1 > cap) {
			cap = (reply->len + h.len + 1) * 2;
			char *t = realloc(reply->text, cap);
			if (!t)
				return IXMGR_EXIT_UNREACHABLE;
			reply->text = t;
		}
		memcpy(reply->text + reply->len, payload, h.len);
		reply->len += h.len;
		reply->text[reply->len] = '\0';
		if (reply->status != MGMT_OK || !(h.flags & MGMT_FLAG_MORE))
			return IXMGR_EXIT_OK;
	}
	fprintf(stderr, "ixmgr: answer has more than %u parts\n", MGMT_PARTS_MAX);
	reply->status = MGMT_ST_INTERNAL;
	return IXMGR_EXIT_OK;
}
