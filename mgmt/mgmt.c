/*
 * The management core's protocol engine: every message from the port or COM2 is checked
 * (structure, HMAC-SHA256, sequence number) before anything else looks at it; what fails is
 * counted and, where the protocol allows, answered with an unauthenticated error. Accepted
 * requests run (mgmt/cmds.c) and their answer goes back in parts of one message each, every
 * part of one answer cut from the one snapshot of it (mgmt/answer_cache.h).
 */
#include "mgmt/mgmt.h"
#include "kernel/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/rtc.h"
#include "kernel/time.h"
#include "mgmt/answer_cache.h"

#define MGMT_TEXT_MAX (128 * 1024) /* a whole answer (with its NUL) before it is cut into parts */

struct mgmt_stats mgmt_stats;

static uint8_t mgmt_key[MGMT_KEY_LEN];
static bool mgmt_have_key;
/* The highest sequence number accepted, on both transports together (replay protection).
 * It starts at the wall time in microseconds: ixmgr numbers requests by the wall clock, so
 * requests recorded before a reboot stay old after it. */
static uint64_t mgmt_last_seq;

/* The answer being built and the MGMT_SNAPS multi-part answers kept for their later parts. */
static char mgmt_text[MGMT_SNAPS + 1][MGMT_TEXT_MAX];
static struct mgmt_cache mgmt_cache;

static void mgmt_count(unsigned st)
{
	switch (st) {
#define MGMT_COUNT_CASE(c, f)                                                                  \
	case c:                                                                                \
		mgmt_stats.f++;                                                                \
		break;
		MGMT_COUNT_CASE(MGMT_OK, ok)
		MGMT_COUNT_CASE(MGMT_ST_BAD_MAC, bad_mac)
		MGMT_COUNT_CASE(MGMT_ST_REPLAY, replay)
		MGMT_COUNT_CASE(MGMT_ST_BAD_VERSION, bad_version)
		MGMT_COUNT_CASE(MGMT_ST_BAD_MAGIC, bad_magic)
		MGMT_COUNT_CASE(MGMT_ST_TRUNCATED, truncated)
		MGMT_COUNT_CASE(MGMT_ST_OVERSIZED, oversized)
		MGMT_COUNT_CASE(MGMT_ST_UNKNOWN_COMMAND, unknown_command)
		MGMT_COUNT_CASE(MGMT_ST_BAD_ARGUMENT, bad_argument)
		MGMT_COUNT_CASE(MGMT_ST_NOT_PROVISIONED, not_provisioned)
		MGMT_COUNT_CASE(MGMT_ST_BUSY, busy)
		MGMT_COUNT_CASE(MGMT_ST_TOO_LARGE, too_large)
		MGMT_COUNT_CASE(MGMT_ST_SNAPSHOT_GONE, snapshot_gone)
		MGMT_COUNT_CASE(MGMT_ST_INTERNAL, internal)
#undef MGMT_COUNT_CASE
	default:
		break;
	}
}

static void mgmt_send(mgmt_send_fn send, void *arg, const uint8_t *msg, size_t len)
{
	if (!len)
		return;
	mgmt_stats.tx++;
	send(msg, len, arg);
}

/* A rejected message: counted, and answered only as the protocol allows (no amplification). */
static void mgmt_reject(const uint8_t *msg, size_t len, unsigned st, mgmt_send_fn send, void *arg)
{
	uint8_t out[MGMT_MSG_MAX];

	mgmt_count(st);
	mgmt_send(send, arg, out, mgmt_error_reply(msg, len, st, out, sizeof(out)));
}

/* An authenticated answer of one part: status, snapshot id, records or an `error msg=`. */
static void mgmt_answer(const struct mgmt_hdr *h, unsigned st, const char *text, size_t n,
			unsigned flags, uint32_t snap, mgmt_send_fn send, void *arg)
{
	uint8_t out[MGMT_MSG_MAX];

	mgmt_count(st);
	mgmt_send(send, arg, out,
		  mgmt_response_encode(out, sizeof(out), h, st, flags, h->part, snap, text, n,
				       mgmt_key));
}

/* An error with an `error msg=why` record (sent without it if it does not fit). */
static void mgmt_answer_error(const struct mgmt_hdr *h, unsigned st, const char *why,
			      mgmt_send_fn send, void *arg)
{
	char text[256];
	struct mgmt_buf b;

	mgmt_buf_init(&b, text, sizeof(text));
	mgmt_rec_begin(&b, "error");
	mgmt_rec_str(&b, "msg", why);
	mgmt_rec_end(&b);
	mgmt_answer(h, st, text, b.len, 0, h->snap, send, arg);
}

static enum mgmt_status mgmt_build(const struct mgmt_hdr *h, const char *args, size_t alen,
				   struct mgmt_buf *out, bool *changes, void *ctx)
{
	(void)ctx;
	return mgmt_cmd_run(h, args, alen, out, changes);
}

/* Provisioning: only over COM2, only while there is no key, MAC'd with the key it carries. */
static void mgmt_provision(const uint8_t *msg, size_t len, bool serial, mgmt_send_fn send,
			   void *arg)
{
	uint8_t key[MGMT_KEY_LEN];
	struct mgmt_hdr h;
	const uint8_t *payload;
	enum mgmt_status st = MGMT_ST_NOT_PROVISIONED;

	if (serial && mgmt_key_set_extract(msg, len, key) == MGMT_OK)
		st = mgmt_request_verify(msg, len, key, &mgmt_last_seq, &h, &payload);
	if (st != MGMT_OK) {
		mgmt_reject(msg, len, st, send, arg);
		return;
	}
	memcpy(mgmt_key, key, sizeof(key));
	mgmt_have_key = true;
	log_info("mgmt: provisioned: a key was set over COM2");
	mgmt_answer(&h, MGMT_OK, "", 0, 0, 0, send, arg);
}

void mgmt_handle(const uint8_t *msg, size_t len, bool serial, mgmt_send_fn send, void *arg)
{
	struct mgmt_hdr h;
	const uint8_t *payload;

	mgmt_stats.rx++;
	if (!mgmt_have_key) {
		mgmt_provision(msg, len, serial, send, arg);
		return;
	}
	enum mgmt_status st = mgmt_request_verify(msg, len, mgmt_key, &mgmt_last_seq, &h, &payload);
	if (st != MGMT_OK) {
		mgmt_reject(msg, len, st, send, arg);
		return;
	}
	/* From here the request is authentic and new. */
	if (h.command == MGMT_CMD_KEY_SET) {
		mgmt_answer_error(&h, MGMT_ST_BAD_ARGUMENT, "already provisioned", send, arg);
		return;
	}
	/* Part 0 runs the command; a later part comes from the snapshot part 0 came from. */
	static struct mgmt_part_out r;
	mgmt_cache_answer(&mgmt_cache, &h, (const char *)payload, h.len, mgmt_build, NULL, &r);
	if (r.evicted)
		mgmt_stats.snapshots_evicted++;
	mgmt_answer(&h, r.status, r.text, r.len, r.flags, r.snap, send, arg);
	if (r.ran && h.command == MGMT_CMD_REBOOT)
		mgmt_cmd_after_reply();
}

void mgmt_init(const struct kconfig *cfg)
{
	uint64_t now = rtc_unix_seconds();

	mgmt_last_seq = now * 1000000;
	/* Snapshot ids start where this boot's clock is, so one from before a reboot does not
	 * name an answer of this boot (docs/mgmt-protocol.md). */
	mgmt_cache_init(&mgmt_cache, &mgmt_text[0][0], MGMT_TEXT_MAX,
			(uint32_t)(now * 1000000 + time_uptime_us()));
	if (cfg->mgmt_key[0] && mgmt_key_parse(cfg->mgmt_key, strlen(cfg->mgmt_key), mgmt_key) == 0)
		mgmt_have_key = true;
	log_info("mgmt: protocol v%u on UDP port %u and COM2; %s; wall clock %lu s", MGMT_VERSION,
		 MGMT_UDP_PORT,
		 mgmt_have_key ? "key set" : "no key yet: provision it over COM2 (ixmgr key set)",
		 (unsigned long)now);
	mgmt_port_init(cfg);
	mgmt_com2_init();
}

void mgmt_poll(void)
{
	mgmt_port_poll();
	mgmt_com2_poll();
}
