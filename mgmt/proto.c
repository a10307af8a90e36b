/* The management protocol codec: header, tags, replay rule, serial framing, records. */
#include "mgmt/proto.h"
#include "mgmt/hmac.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "kernel/lib/string.h"
#endif

static const char *const mgmt_status_names[MGMT_ST_COUNT] = {
    [MGMT_OK] = "ok",
    [MGMT_ST_BAD_MAC] = "bad_mac",
    [MGMT_ST_REPLAY] = "replay",
    [MGMT_ST_BAD_VERSION] = "bad_version",
    [MGMT_ST_BAD_MAGIC] = "bad_magic",
    [MGMT_ST_TRUNCATED] = "truncated",
    [MGMT_ST_OVERSIZED] = "oversized",
    [MGMT_ST_UNKNOWN_COMMAND] = "unknown_command",
    [MGMT_ST_BAD_ARGUMENT] = "bad_argument",
    [MGMT_ST_BUSY] = "busy",
    [MGMT_ST_NOT_PROVISIONED] = "not_provisioned",
    [MGMT_ST_INTERNAL] = "internal",
    [MGMT_ST_TOO_LARGE] = "too_large",
    [MGMT_ST_SNAPSHOT_GONE] = "snapshot_gone",
};

static const char *const mgmt_cmd_names[MGMT_CMD_COUNT] = {
    [MGMT_CMD_PING] = "ping",
    [MGMT_CMD_STATUS] = "status",
    [MGMT_CMD_STATS] = "stats",
    [MGMT_CMD_LOG] = "log",
    [MGMT_CMD_CONFIG_GET] = "config_get",
    [MGMT_CMD_CONFIG_SET] = "config_set",
    [MGMT_CMD_CORE_SHOW] = "core_show",
    [MGMT_CMD_CORE_SET] = "core_set",
    [MGMT_CMD_APP_LIST] = "app_list",
    [MGMT_CMD_APP_START] = "app_start",
    [MGMT_CMD_APP_STOP] = "app_stop",
    [MGMT_CMD_APP_RESTART] = "app_restart",
    [MGMT_CMD_REBOOT] = "reboot",
    [MGMT_CMD_KEY_SET] = "key_set",
};

const char *mgmt_status_name(unsigned status)
{
	if (status < MGMT_ST_COUNT)
		return mgmt_status_names[status];
	switch (status) {
	case MGMT_ST_BAD_TYPE:
		return "bad_type";
	case MGMT_ST_WRONG_SEQ:
		return "wrong_seq";
	case MGMT_ST_UNAUTHENTICATED:
		return "unauthenticated";
	}
	return "unknown";
}

const char *mgmt_cmd_name(unsigned cmd)
{
	return cmd < MGMT_CMD_COUNT ? mgmt_cmd_names[cmd] : NULL;
}

static int mgmt_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mgmt_key_parse(const char *hex, size_t len, uint8_t key[MGMT_KEY_LEN])
{
	uint8_t k[MGMT_KEY_LEN];

	if (len != MGMT_KEY_HEX_LEN)
		return -1;
	for (size_t i = 0; i < MGMT_KEY_LEN; i++) {
		int hi = mgmt_hexval(hex[2 * i]);
		int lo = mgmt_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		k[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, k, MGMT_KEY_LEN);
	return 0;
}

/* ---- Header ---- */

static void mgmt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t mgmt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void mgmt_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t mgmt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Bytes 0..23: the same in version 1 and 2 (h->version is written as it is). */
static void mgmt_hdr_write_common(uint8_t *p, const struct mgmt_hdr *h)
{
	uint32_t magic = MGMT_MAGIC;

	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(magic >> (8 * i));
	p[4] = h->version;
	p[5] = h->type;
	mgmt_put16(p + 6, h->command);
	mgmt_put16(p + 8, h->status);
	mgmt_put16(p + 10, h->flags);
	mgmt_put16(p + 12, h->part);
	mgmt_put16(p + 14, h->len);
	for (int i = 0; i < 8; i++)
		p[16 + i] = (uint8_t)(h->seq >> (8 * i));
}

static void mgmt_hdr_write(uint8_t *p, const struct mgmt_hdr *h)
{
	mgmt_hdr_write_common(p, h);
	mgmt_put32(p + 24, h->snap);
}

/* Reads bytes 0..23 (command and seq sit there in every version); snap becomes 0. */
static void mgmt_hdr_read_common(const uint8_t *p, struct mgmt_hdr *h)
{
	h->version = p[4];
	h->type = p[5];
	h->command = mgmt_get16(p + 6);
	h->status = mgmt_get16(p + 8);
	h->flags = mgmt_get16(p + 10);
	h->part = mgmt_get16(p + 12);
	h->len = mgmt_get16(p + 14);
	h->seq = 0;
	for (int i = 7; i >= 0; i--)
		h->seq = h->seq << 8 | p[16 + i];
	h->snap = 0;
}

static void mgmt_hdr_read(const uint8_t *p, struct mgmt_hdr *h)
{
	mgmt_hdr_read_common(p, h);
	h->snap = mgmt_get32(p + 24);
}

static bool mgmt_magic_ok(const uint8_t *p)
{
	return p[0] == (MGMT_MAGIC & 0xff) && p[1] == (MGMT_MAGIC >> 8 & 0xff) &&
	       p[2] == (MGMT_MAGIC >> 16 & 0xff) && p[3] == (MGMT_MAGIC >> 24);
}

size_t mgmt_msg_encode(uint8_t *out, size_t cap, const struct mgmt_hdr *h, const void *payload,
		       size_t payload_len, const uint8_t *key)
{
	struct mgmt_hdr hh = *h;
	size_t total = MGMT_HDR_LEN + payload_len + MGMT_TAG_LEN;

	if (payload_len > MGMT_PAYLOAD_MAX || total > cap)
		return 0;
	hh.len = (uint16_t)payload_len;
	if (key)
		hh.flags &= (uint16_t)~MGMT_FLAG_UNAUTH;
	else
		hh.flags |= MGMT_FLAG_UNAUTH;
	mgmt_hdr_write(out, &hh);
	if (payload_len)
		memmove(out + MGMT_HDR_LEN, payload, payload_len);
	if (key)
		mgmt_hmac_sha256(key, MGMT_KEY_LEN, out, MGMT_HDR_LEN + payload_len,
				 out + MGMT_HDR_LEN + payload_len);
	else
		memset(out + MGMT_HDR_LEN + payload_len, 0, MGMT_TAG_LEN);
	return total;
}

enum mgmt_status mgmt_msg_parse(const uint8_t *msg, size_t len, struct mgmt_hdr *h,
				const uint8_t **payload)
{
	memset(h, 0, sizeof(*h));
	*payload = NULL;
	if (len > MGMT_MSG_MAX)
		return mgmt_magic_ok(msg) ? MGMT_ST_OVERSIZED : MGMT_ST_BAD_MAGIC;
	if (len < 4 || !mgmt_magic_ok(msg))
		return len < 4 ? MGMT_ST_TRUNCATED : MGMT_ST_BAD_MAGIC;
	if (len < 5)
		return MGMT_ST_TRUNCATED;
	if (msg[4] != MGMT_VERSION) {
		h->version = msg[4];
		return MGMT_ST_BAD_VERSION;
	}
	if (len < MGMT_HDR_LEN)
		return MGMT_ST_TRUNCATED;
	mgmt_hdr_read(msg, h);
	if (h->len > MGMT_PAYLOAD_MAX)
		return MGMT_ST_OVERSIZED;
	if (len < (size_t)MGMT_HDR_LEN + h->len + MGMT_TAG_LEN)
		return MGMT_ST_TRUNCATED;
	if (len > (size_t)MGMT_HDR_LEN + h->len + MGMT_TAG_LEN)
		return MGMT_ST_OVERSIZED;
	*payload = msg + MGMT_HDR_LEN;
	return MGMT_OK;
}

static bool mgmt_tag_ok(const uint8_t *msg, const struct mgmt_hdr *h, const uint8_t *key)
{
	uint8_t tag[MGMT_TAG_LEN];
	size_t n = MGMT_HDR_LEN + h->len;

	mgmt_hmac_sha256(key, MGMT_KEY_LEN, msg, n, tag);
	return mgmt_ct_equal(tag, msg + n, MGMT_TAG_LEN);
}

enum mgmt_status mgmt_request_verify(const uint8_t *msg, size_t len, const uint8_t *key,
				     uint64_t *last_seq, struct mgmt_hdr *h,
				     const uint8_t **payload)
{
	enum mgmt_status st = mgmt_msg_parse(msg, len, h, payload);

	if (st != MGMT_OK)
		return st;
	if (h->type != MGMT_TYPE_REQUEST)
		return MGMT_ST_BAD_MAGIC;
	if (!key)
		return MGMT_ST_NOT_PROVISIONED;
	if (!mgmt_tag_ok(msg, h, key))
		return MGMT_ST_BAD_MAC;
	if (h->seq <= *last_seq)
		return MGMT_ST_REPLAY;
	*last_seq = h->seq;
	return MGMT_OK;
}

enum mgmt_status mgmt_key_set_extract(const uint8_t *msg, size_t len, uint8_t key[MGMT_KEY_LEN])
{
	struct mgmt_hdr h;
	const uint8_t *payload;
	struct mgmt_rec_iter it;
	struct mgmt_rec rec;
	const char *hex;
	size_t n;
	enum mgmt_status st = mgmt_msg_parse(msg, len, &h, &payload);

	if (st != MGMT_OK)
		return st;
	if (h.type != MGMT_TYPE_REQUEST)
		return MGMT_ST_BAD_MAGIC;
	if (h.command != MGMT_CMD_KEY_SET)
		return MGMT_ST_NOT_PROVISIONED;
	mgmt_rec_iter_init(&it, (const char *)payload, h.len);
	if (mgmt_rec_next(&it, &rec) != 1 || !mgmt_rec_is(&rec, "arg") ||
	    !mgmt_rec_get(&rec, "key", &hex, &n) || mgmt_key_parse(hex, n, key) != 0)
		return MGMT_ST_BAD_ARGUMENT;
	return MGMT_OK;
}

static const uint8_t mgmt_zero_tag[MGMT_TAG_LEN];

/* A version 1 target's unauthenticated error for request seq: 56 bytes, zero tag. */
static enum mgmt_status mgmt_v1_error_verify(const uint8_t *msg, size_t len, uint64_t seq,
					     struct mgmt_hdr *h)
{
	if (len != MGMT_MSG_MIN_V1)
		return MGMT_ST_BAD_VERSION;
	mgmt_hdr_read_common(msg, h);
	if (h->type != MGMT_TYPE_RESPONSE || h->len != 0 || !(h->flags & MGMT_FLAG_UNAUTH) ||
	    h->status == MGMT_OK || h->status > MGMT_ST_INTERNAL ||
	    !mgmt_ct_equal(msg + MGMT_HDR_LEN_V1, mgmt_zero_tag, MGMT_TAG_LEN))
		return MGMT_ST_BAD_VERSION;
	return h->seq == seq ? MGMT_ST_UNAUTHENTICATED : MGMT_ST_WRONG_SEQ;
}

enum mgmt_status mgmt_response_verify(const uint8_t *msg, size_t len, const uint8_t *key,
				      uint64_t seq, struct mgmt_hdr *h, const uint8_t **payload)
{
	enum mgmt_status st = mgmt_msg_parse(msg, len, h, payload);

	if (st == MGMT_ST_BAD_VERSION && h->version == MGMT_VERSION_V1)
		return mgmt_v1_error_verify(msg, len, seq, h);
	if (st != MGMT_OK)
		return st;
	if (h->type != MGMT_TYPE_RESPONSE)
		return MGMT_ST_BAD_TYPE;
	if (h->seq != seq)
		return MGMT_ST_WRONG_SEQ;
	if (h->flags & MGMT_FLAG_UNAUTH) {
		if (h->len != 0 || h->status == MGMT_OK || h->status >= MGMT_ST_COUNT ||
		    !mgmt_ct_equal(msg + MGMT_HDR_LEN, mgmt_zero_tag, MGMT_TAG_LEN))
			return MGMT_ST_BAD_MAC;
		*payload = NULL;
		return MGMT_ST_UNAUTHENTICATED;
	}
	if (!key || !mgmt_tag_ok(msg, h, key))
		return MGMT_ST_BAD_MAC;
	return MGMT_OK;
}

size_t mgmt_response_encode(uint8_t *out, size_t cap, const struct mgmt_hdr *req, unsigned status,
			    unsigned flags, unsigned part, uint32_t snap, const void *payload,
			    size_t payload_len, const uint8_t *key)
{
	struct mgmt_hdr h = {
	    .version = MGMT_VERSION,
	    .type = MGMT_TYPE_RESPONSE,
	    .command = req->command,
	    .status = (uint16_t)status,
	    .flags = (uint16_t)(flags & MGMT_FLAG_MORE),
	    .part = (uint16_t)part,
	    .seq = req->seq,
	    .snap = snap,
	};

	if (!key && payload_len)
		return 0;
	return mgmt_msg_encode(out, cap, &h, payload, payload_len, key);
}

size_t mgmt_error_reply(const uint8_t *msg, size_t len, unsigned st, uint8_t *out, size_t cap)
{
	struct mgmt_hdr req;

	if (st == MGMT_OK || st >= MGMT_ST_COUNT || len < MGMT_MSG_MIN_V1 || !mgmt_magic_ok(msg))
		return 0;
	/* Whatever the version byte says, command and seq sit where every version keeps them,
	 * so the reply echoes them and the client can match it. */
	mgmt_hdr_read_common(msg, &req);
	if (req.type != MGMT_TYPE_REQUEST)
		return 0;
	if (msg[4] == MGMT_VERSION_V1) {
		/* An old client: tell it, in the layout it reads, that we speak another version. */
		struct mgmt_hdr h = {
		    .version = MGMT_VERSION_V1,
		    .type = MGMT_TYPE_RESPONSE,
		    .command = req.command,
		    .status = MGMT_ST_BAD_VERSION,
		    .flags = MGMT_FLAG_UNAUTH,
		    .seq = req.seq,
		};
		if (cap < MGMT_MSG_MIN_V1)
			return 0;
		mgmt_hdr_write_common(out, &h);
		memset(out + MGMT_HDR_LEN_V1, 0, MGMT_TAG_LEN);
		return MGMT_MSG_MIN_V1;
	}
	if (len < MGMT_MSG_MIN)
		return 0;
	return mgmt_response_encode(out, cap, &req, st, 0, 0, 0, NULL, 0, NULL);
}

bool mgmt_part_slice(const char *text, size_t len, unsigned part, size_t max, size_t *off,
		     size_t *n, bool *more)
{
	size_t start = 0;

	if (max == 0)
		return false;
	for (unsigned i = 0;; i++) {
		size_t end = start + max < len ? start + max : len;
		if (end < len) {
			/* Cut after the last newline in [start, end), if there is one. */
			size_t cut = end;
			while (cut > start && text[cut - 1] != '\n')
				cut--;
			if (cut > start)
				end = cut;
		}
		if (i == part) {
			*off = start;
			*n = end - start;
			*more = end < len;
			return true;
		}
		if (end >= len)
			return false;
		start = end;
	}
}

/* ---- Serial framing ---- */

size_t mgmt_frame_encode(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (cap < 2)
		return 0;
	out[o++] = MGMT_SLIP_END;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = msg[i];
		if (c == MGMT_SLIP_END || c == MGMT_SLIP_ESC) {
			if (o + 2 > cap - 1)
				return 0;
			out[o++] = MGMT_SLIP_ESC;
			out[o++] = c == MGMT_SLIP_END ? MGMT_SLIP_ESC_END : MGMT_SLIP_ESC_ESC;
		} else {
			if (o + 1 > cap - 1)
				return 0;
			out[o++] = c;
		}
	}
	out[o++] = MGMT_SLIP_END;
	return o;
}

enum { MGMT_DF_IN = 0, MGMT_DF_ESCAPED = 1, MGMT_DF_DISCARD = 2, MGMT_DF_DONE = 3 };

void mgmt_deframe_init(struct mgmt_deframer *d)
{
	d->len = 0;
	d->state = MGMT_DF_IN;
}

enum mgmt_deframe_result mgmt_deframe_byte(struct mgmt_deframer *d, uint8_t byte)
{
	if (d->state == MGMT_DF_DONE) {
		d->len = 0;
		d->state = MGMT_DF_IN;
	}
	if (byte == MGMT_SLIP_END) {
		if (d->state == MGMT_DF_DISCARD) {
			d->len = 0;
			d->state = MGMT_DF_IN;
			return MGMT_DF_NONE;
		}
		if (d->state == MGMT_DF_ESCAPED) {
			d->len = 0;
			d->state = MGMT_DF_IN;
			return MGMT_DF_ERROR;
		}
		if (d->len == 0)
			return MGMT_DF_NONE;
		d->state = MGMT_DF_DONE;
		return MGMT_DF_FRAME;
	}
	switch (d->state) {
	case MGMT_DF_DISCARD:
		return MGMT_DF_NONE;
	case MGMT_DF_ESCAPED:
		if (byte == MGMT_SLIP_ESC_END)
			byte = MGMT_SLIP_END;
		else if (byte == MGMT_SLIP_ESC_ESC)
			byte = MGMT_SLIP_ESC;
		else {
			d->state = MGMT_DF_DISCARD;
			return MGMT_DF_ERROR;
		}
		d->state = MGMT_DF_IN;
		break;
	default:
		if (byte == MGMT_SLIP_ESC) {
			d->state = MGMT_DF_ESCAPED;
			return MGMT_DF_NONE;
		}
		break;
	}
	if (d->len >= MGMT_MSG_MAX) {
		d->state = MGMT_DF_DISCARD;
		return MGMT_DF_ERROR;
	}
	d->buf[d->len++] = byte;
	return MGMT_DF_NONE;
}

/* ---- Records ---- */

static bool mgmt_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool mgmt_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!mgmt_name_char(name[i]))
			return false;
	return true;
}

/* A value byte: printable ASCII except space (escapes make everything else expressible). */
static bool mgmt_val_char(char c)
{
	return c > ' ' && c < 0x7f;
}

static int mgmt_token_parse(const char *t, size_t n, struct mgmt_kv *kv)
{
	size_t eq = 0;

	while (eq < n && t[eq] != '=')
		eq++;
	if (eq == n || !mgmt_name_ok(t, eq))
		return -1;
	for (size_t i = eq + 1; i < n; i++)
		if (!mgmt_val_char(t[i]))
			return -1;
	kv->key = t;
	kv->key_len = eq;
	kv->val = t + eq + 1;
	kv->val_len = n - eq - 1;
	return 1;
}

int mgmt_kv_next(const struct mgmt_rec *rec, size_t *pos, struct mgmt_kv *kv)
{
	size_t i = *pos;
	size_t start;

	while (i < rec->body_len && rec->body[i] == ' ')
		i++;
	if (i >= rec->body_len) {
		*pos = i;
		return 0;
	}
	start = i;
	while (i < rec->body_len && rec->body[i] != ' ')
		i++;
	*pos = i;
	return mgmt_token_parse(rec->body + start, i - start, kv);
}

void mgmt_rec_iter_init(struct mgmt_rec_iter *it, const char *buf, size_t len)
{
	it->p = buf;
	it->end = buf + len;
}

int mgmt_rec_next(struct mgmt_rec_iter *it, struct mgmt_rec *rec)
{
	for (;;) {
		const char *line = it->p;
		const char *eol = line;
		size_t t = 0;
		size_t n;

		if (line >= it->end)
			return 0;
		while (eol < it->end && *eol != '\n')
			eol++;
		it->p = eol < it->end ? eol + 1 : eol;
		n = (size_t)(eol - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		while (t < n && line[t] != ' ')
			t++;
		if (!mgmt_name_ok(line, t))
			return -1;
		rec->type = line;
		rec->type_len = t;
		rec->body = line + t;
		rec->body_len = n - t;
		/* Validate every token now, so that mgmt_kv_next cannot fail later. */
		size_t pos = 0;
		struct mgmt_kv kv;
		int r;
		while ((r = mgmt_kv_next(rec, &pos, &kv)) > 0)
			;
		return r < 0 ? -1 : 1;
	}
}

bool mgmt_rec_is(const struct mgmt_rec *rec, const char *type)
{
	size_t n = strlen(type);

	return n == rec->type_len && memcmp(rec->type, type, n) == 0;
}

bool mgmt_rec_get(const struct mgmt_rec *rec, const char *key, const char **val, size_t *len)
{
	size_t n = strlen(key);
	size_t pos = 0;
	struct mgmt_kv kv;

	while (mgmt_kv_next(rec, &pos, &kv) > 0) {
		if (kv.key_len == n && memcmp(kv.key, key, n) == 0) {
			*val = kv.val;
			*len = kv.val_len;
			return true;
		}
	}
	return false;
}

bool mgmt_rec_get_u64(const struct mgmt_rec *rec, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;
	uint64_t x = 0;

	if (!mgmt_rec_get(rec, key, &v, &n) || n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		uint64_t d = (uint64_t)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

int mgmt_unescape(const char *val, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = val[i];
		if (c == '%') {
			int hi = i + 2 < len ? mgmt_hexval(val[i + 1]) : -1;
			int lo = hi >= 0 ? mgmt_hexval(val[i + 2]) : -1;
			if (lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 < cap)
			out[o] = c;
		o++;
	}
	if (cap > 0)
		out[o < cap ? o : cap - 1] = '\0';
	return o > 0x7fffffff ? -1 : (int)o;
}

void mgmt_buf_init(struct mgmt_buf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->cur = 0;
	b->need = 0;
	b->in_rec = false;
	b->overflow = false;
	b->cut = false;
	if (cap > 0)
		p[0] = '\0';
}

/* Appends raw bytes to the record being built; past the end only the length grows. */
static void mgmt_buf_put(struct mgmt_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b->cur + i < b->cap)
			b->p[b->cur + i] = s[i];
	}
	b->cur += n;
}

void mgmt_rec_begin(struct mgmt_buf *b, const char *type)
{
	b->in_rec = true;
	b->cur = b->len;
	mgmt_buf_put(b, type, strlen(type));
}

void mgmt_rec_strn(struct mgmt_buf *b, const char *key, const char *val, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!b->in_rec)
		return;
	mgmt_buf_put(b, " ", 1);
	mgmt_buf_put(b, key, strlen(key));
	mgmt_buf_put(b, "=", 1);
	for (size_t i = 0; i < len; i++) {
		char c = val[i];
		if (mgmt_val_char(c) && c != '%') {
			mgmt_buf_put(b, &c, 1);
		} else {
			char e[3] = {'%', hex[(uint8_t)c >> 4], hex[(uint8_t)c & 15]};
			mgmt_buf_put(b, e, 3);
		}
	}
}

void mgmt_rec_str(struct mgmt_buf *b, const char *key, const char *val)
{
	mgmt_rec_strn(b, key, val, strlen(val));
}

void mgmt_rec_u64(struct mgmt_buf *b, const char *key, uint64_t val)
{
	char d[20];
	char out[20];
	int n = 0;

	do {
		d[n++] = (char)('0' + val % 10);
		val /= 10;
	} while (val);
	for (int i = 0; i < n; i++)
		out[i] = d[n - 1 - i];
	mgmt_rec_strn(b, key, out, (size_t)n);
}

void mgmt_rec_end(struct mgmt_buf *b)
{
	if (!b->in_rec)
		return;
	mgmt_buf_put(b, "\n", 1);
	b->in_rec = false;
	b->need += b->cur - b->len;
	/* Keep one byte for the terminating NUL. */
	if (b->cur < b->cap)
		b->len = b->cur;
	else
		b->overflow = true;
	b->cur = b->len;
	if (b->cap > 0)
		b->p[b->len] = '\0';
}

void mgmt_buf_value_cut(struct mgmt_buf *b)
{
	b->cut = true;
}
