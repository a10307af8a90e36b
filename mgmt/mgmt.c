/*
 * The management core's protocol engine: every message from the port or COM2 is checked
 * (structure, HMAC-SHA256, sequence number) before anything else looks at it; what fails is
 * counted and, where the protocol allows, answered with an unauthenticated error. Accepted
 * requests run (mgmt/cmds.c) and their answer goes back in parts of one message each.
 */
#include "mgmt/mgmt.h"
#include "kernel/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/rtc.h"
#include "kernel/time.h"

#define MGMT_TEXT_MAX (128 * 1024) /* a whole answer before it is cut into parts */

struct mgmt_stats mgmt_stats;

static uint8_t mgmt_key[MGMT_KEY_LEN];
static bool mgmt_have_key;
/* The highest sequence number accepted, on both transports together (replay protection).
 * It starts at the wall time in microseconds: ixmgr numbers requests by the wall clock, so
 * requests recorded before a reboot stay old after it. */
static uint64_t mgmt_last_seq;

/* The last multi-part answer: parts after the first are served from it, so they fit together. */
static char mgmt_text[MGMT_TEXT_MAX];
static size_t mgmt_text_len;
static uint16_t mgmt_text_cmd;
static char mgmt_text_args[MGMT_PAYLOAD_MAX];
static size_t mgmt_text_alen;
static bool mgmt_text_valid;

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

/* An authenticated answer of one part: status and an optional `error msg=` record. */
static void mgmt_answer(const struct mgmt_hdr *h, unsigned st, const char *text, size_t n,
			unsigned flags, mgmt_send_fn send, void *arg)
{
	uint8_t out[MGMT_MSG_MAX];

	mgmt_count(st);
	mgmt_send(send, arg, out,
		  mgmt_response_encode(out, sizeof(out), h, st, flags, h->part, text, n, mgmt_key));
}

static void mgmt_answer_error(const struct mgmt_hdr *h, unsigned st, const char *why,
			      mgmt_send_fn send, void *arg)
{
	char text[160];
	struct mgmt_buf b;

	mgmt_buf_init(&b, text, sizeof(text));
	mgmt_rec_begin(&b, "error");
	mgmt_rec_str(&b, "msg", why);
	mgmt_rec_end(&b);
	mgmt_answer(h, st, text, b.len, 0, send, arg);
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
	mgmt_answer(&h, MGMT_OK, "", 0, 0, send, arg);
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
	const char *args = (const char *)payload;
	bool cached = h.part > 0 && mgmt_text_valid && mgmt_text_cmd == h.command &&
		      mgmt_text_alen == h.len && !memcmp(mgmt_text_args, args, h.len);
	if (!cached) {
		struct mgmt_buf b;
		bool changes = false;
		mgmt_buf_init(&b, mgmt_text, sizeof(mgmt_text));
		mgmt_text_valid = false;
		st = mgmt_cmd_run(&h, args, h.len, &b, &changes);
		if (st != MGMT_OK || (changes && h.part > 0)) {
			if (st == MGMT_OK)
				st = MGMT_ST_BAD_ARGUMENT;
			/* The handler's records (an `error msg=`) go with the status. */
			mgmt_answer(&h, st, mgmt_text, b.len < MGMT_PAYLOAD_MAX ? b.len : 0, 0, send,
				    arg);
			return;
		}
		mgmt_text_len = b.len;
		mgmt_text_cmd = h.command;
		memcpy(mgmt_text_args, args, h.len);
		mgmt_text_alen = h.len;
		mgmt_text_valid = !changes;
	}
	size_t off, n;
	bool more;
	if (!mgmt_part_slice(mgmt_text, mgmt_text_len, h.part, MGMT_PAYLOAD_MAX, &off, &n, &more)) {
		mgmt_answer_error(&h, MGMT_ST_BAD_ARGUMENT, "no such part", send, arg);
		return;
	}
	mgmt_answer(&h, MGMT_OK, mgmt_text + off, n, more ? MGMT_FLAG_MORE : 0, send, arg);
	if (h.command == MGMT_CMD_REBOOT)
		mgmt_cmd_after_reply();
}

void mgmt_init(const struct kconfig *cfg)
{
	uint64_t now = rtc_unix_seconds();

	mgmt_last_seq = now * 1000000;
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
