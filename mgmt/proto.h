/*
 * The ixos management protocol (docs/mgmt-protocol.md): the one definition both the kernel's
 * management core and the host tool ixmgr compile. Pure logic: no I/O, no allocation, no
 * floating point; every function is bounds-checked against the lengths it is given.
 *
 * A message is a 28-byte little-endian header, a payload of text records and a 32-byte
 * HMAC-SHA256 tag over header and payload. A multi-part answer's parts carry the snapshot id
 * of the one answer they were cut from (mgmt/answer_cache.h keeps those answers). Over UDP one
 * datagram carries one message; over a serial line messages are SLIP-framed (mgmt_frame_encode /
 * mgmt_deframe_byte).
 */
#ifndef IXOS_MGMT_PROTO_H
#define IXOS_MGMT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGMT_MAGIC	 0x474d5849u /* "IXMG" as bytes on the wire */
#define MGMT_VERSION	 2
#define MGMT_VERSION_V1	 1 /* the previous layout: only its bad_version replies are made/read */
#define MGMT_UDP_PORT	 7070
#define MGMT_HDR_LEN	 28
#define MGMT_HDR_LEN_V1	 24 /* version 1 had no snapshot field */
#define MGMT_KEY_LEN	 32
#define MGMT_TAG_LEN	 32
#define MGMT_MSG_MAX	 1400 /* whole message: one Ethernet frame, no IP fragments */
#define MGMT_MSG_MIN	 (MGMT_HDR_LEN + MGMT_TAG_LEN)
#define MGMT_MSG_MIN_V1	 (MGMT_HDR_LEN_V1 + MGMT_TAG_LEN)
#define MGMT_PAYLOAD_MAX (MGMT_MSG_MAX - MGMT_MSG_MIN) /* 1340 */
#define MGMT_KEY_HEX_LEN 64
#define MGMT_FRAME_MAX	 (2 * MGMT_MSG_MAX + 2) /* worst case after byte stuffing */
#define MGMT_PARTS_MAX	 1024			/* a client stops asking after this many parts */

/* Message types (header byte 5). */
enum mgmt_type {
	MGMT_TYPE_REQUEST = 1,
	MGMT_TYPE_RESPONSE = 2,
};

/* Header flags (bit set in the 16-bit flags field). */
#define MGMT_FLAG_MORE	 0x0001 /* response: further parts follow (ask for part + 1) */
#define MGMT_FLAG_UNAUTH 0x0002 /* response: tag is all zero, an unauthenticated error */
#define MGMT_FLAGS_KNOWN (MGMT_FLAG_MORE | MGMT_FLAG_UNAUTH)

/* Commands (header bytes 6..7). Numbers are part of the protocol: never renumber. */
enum mgmt_cmd {
	MGMT_CMD_PING = 1,
	MGMT_CMD_STATUS = 2,
	MGMT_CMD_STATS = 3,
	MGMT_CMD_LOG = 4,
	MGMT_CMD_CONFIG_GET = 5,
	MGMT_CMD_CONFIG_SET = 6,
	MGMT_CMD_CORE_SHOW = 7,
	MGMT_CMD_CORE_SET = 8,
	MGMT_CMD_APP_LIST = 9,
	MGMT_CMD_APP_START = 10,
	MGMT_CMD_APP_STOP = 11,
	MGMT_CMD_APP_RESTART = 12,
	MGMT_CMD_REBOOT = 13,
	MGMT_CMD_KEY_SET = 14,
	MGMT_CMD_COUNT /* one past the last command */
};

/* Statuses (header bytes 8..9 of a response; also the result of the verify functions). */
enum mgmt_status {
	MGMT_OK = 0,
	MGMT_ST_BAD_MAC = 1,
	MGMT_ST_REPLAY = 2,
	MGMT_ST_BAD_VERSION = 3,
	MGMT_ST_BAD_MAGIC = 4,
	MGMT_ST_TRUNCATED = 5,
	MGMT_ST_OVERSIZED = 6,
	MGMT_ST_UNKNOWN_COMMAND = 7,
	MGMT_ST_BAD_ARGUMENT = 8,
	MGMT_ST_BUSY = 9,
	MGMT_ST_NOT_PROVISIONED = 10,
	MGMT_ST_INTERNAL = 11,
	MGMT_ST_TOO_LARGE = 12,	    /* the answer does not fit the target's answer buffer */
	MGMT_ST_SNAPSHOT_GONE = 13, /* the snapshot a part was asked from is no longer kept */
	MGMT_ST_COUNT,
	/* Local results of mgmt_response_verify, never sent on the wire. */
	MGMT_ST_BAD_TYPE = 0x100,  /* a request where a response was expected, or vice versa */
	MGMT_ST_WRONG_SEQ = 0x101, /* a response to some other request */
	MGMT_ST_UNAUTHENTICATED = 0x102, /* a well-formed unauthenticated error response */
};

/* The decoded header. */
struct mgmt_hdr {
	uint8_t version;
	uint8_t type;	  /* enum mgmt_type */
	uint16_t command; /* enum mgmt_cmd */
	uint16_t status;  /* enum mgmt_status; 0 in requests */
	uint16_t flags;	  /* MGMT_FLAG_* */
	uint16_t part;	  /* request: part wanted; response: part carried */
	uint16_t len;	  /* payload bytes */
	uint64_t seq;	  /* request: > every seq the target accepted; response: echoed */
	uint32_t snap;	  /* request: the snapshot part > 0 is asked from (that of part 0);
			   * response: the answer's snapshot id (errors: the request's) */
};

/* The name of a status ("ok", "bad_mac", ...); "unknown" for values outside the enum. */
const char *mgmt_status_name(unsigned status);
/* The name of a command ("ping", "config_set", ...); NULL for unknown numbers. */
const char *mgmt_cmd_name(unsigned cmd);

/*
 * Parses exactly MGMT_KEY_HEX_LEN hex digits (either case) at hex[0..len) into key.
 * Returns 0, or -1 (key untouched) if len is wrong or a character is not a hex digit.
 */
int mgmt_key_parse(const char *hex, size_t len, uint8_t key[MGMT_KEY_LEN]);

/*
 * Writes header h (its len field is replaced by payload_len), the payload and the tag into
 * out. With key == NULL the tag is all zero and MGMT_FLAG_UNAUTH is set; otherwise the tag is
 * HMAC-SHA256(key, header || payload) and MGMT_FLAG_UNAUTH is cleared. Returns the message
 * length, or 0 if payload_len > MGMT_PAYLOAD_MAX or the message does not fit in cap.
 */
size_t mgmt_msg_encode(uint8_t *out, size_t cap, const struct mgmt_hdr *h, const void *payload,
		       size_t payload_len, const uint8_t *key);

/*
 * Structural check of msg[0..len) without the MAC: length within limits, magic, version,
 * payload length consistent with len. Fills *h (as far as it could be read) and points
 * *payload into msg. Returns MGMT_OK or bad_magic / bad_version / truncated / oversized.
 */
enum mgmt_status mgmt_msg_parse(const uint8_t *msg, size_t len, struct mgmt_hdr *h,
				const uint8_t **payload);

/*
 * Target side: accepts msg[0..len) as a request only if it parses, is of type request, its
 * tag is HMAC-SHA256(key, header || payload) (constant-time compare) and its seq is greater
 * than *last_seq. On MGMT_OK, *last_seq becomes the request's seq; on any other result
 * *last_seq is unchanged. The kernel keeps ONE global last_seq for UDP and serial together.
 * A bad type is reported as bad_magic (it is not a request at all).
 */
enum mgmt_status mgmt_request_verify(const uint8_t *msg, size_t len, const uint8_t *key,
				     uint64_t *last_seq, struct mgmt_hdr *h,
				     const uint8_t **payload);

/*
 * Target side, only when no key is configured: if msg[0..len) parses as a key_set request
 * whose payload is the record "arg key=<64 hex digits>", stores that key in *key and returns
 * MGMT_OK; the caller must then still accept the request with mgmt_request_verify(.., key,
 * ..) (a key_set request is MAC'd with the key it carries). Otherwise returns a failure
 * status (not_provisioned for any other command, bad_argument for a bad key record).
 */
enum mgmt_status mgmt_key_set_extract(const uint8_t *msg, size_t len, uint8_t key[MGMT_KEY_LEN]);

/*
 * Client side: checks that msg[0..len) is the response to the request with sequence number
 * seq. Returns MGMT_OK for an authentic response (its status is then h->status), or
 * MGMT_ST_UNAUTHENTICATED for a well-formed unauthenticated error response (flag UNAUTH, zero
 * tag, empty payload, status not ok): h->status is then a claim to report, never data. A
 * version 1 target's unauthenticated error (56 bytes, 24-byte header) is recognised too:
 * h->version is then MGMT_VERSION_V1 (it refused our version). Anything else (bad tag, other
 * seq, a request, malformed) is to be ignored by the caller.
 */
enum mgmt_status mgmt_response_verify(const uint8_t *msg, size_t len, const uint8_t *key,
				      uint64_t seq, struct mgmt_hdr *h, const uint8_t **payload);

/*
 * Target side: builds the response to request req into out (command and seq echoed, the given
 * status, flags, part and snapshot id), tagged with key, or unauthenticated if key is NULL
 * (then the payload must be empty). Returns the length, or 0 if it does not fit.
 */
size_t mgmt_response_encode(uint8_t *out, size_t cap, const struct mgmt_hdr *req, unsigned status,
			    unsigned flags, unsigned part, uint32_t snap, const void *payload,
			    size_t payload_len, const uint8_t *key);

/*
 * Target side, for a request that failed mgmt_request_verify with status st: builds the
 * unauthenticated error response into out and returns its length, or returns 0 if no reply
 * must be sent (st is ok, the input is too short, its magic is wrong or it is not a request).
 * A version 1 request gets a version 1 bad_version reply (56 bytes), which an old client can
 * read and report; any other gets the current layout (MGMT_MSG_MIN bytes, snapshot 0). The reply
 * is never longer than the input (no amplification).
 */
size_t mgmt_error_reply(const uint8_t *msg, size_t len, unsigned st, uint8_t *out, size_t cap);

/*
 * Splits text[0..len) (records, one per line) into parts of at most max bytes, cut after a
 * newline, and finds part number `part`: *off and *n give its bytes, *more says whether a
 * later part exists. A single line longer than max is cut at max. Returns false if the part
 * does not exist (part 0 of an empty text exists and is empty).
 */
bool mgmt_part_slice(const char *text, size_t len, unsigned part, size_t max, size_t *off,
		     size_t *n, bool *more);

/* ---- Serial framing (SLIP, RFC 1055 bytes) ---- */

#define MGMT_SLIP_END	  0xc0
#define MGMT_SLIP_ESC	  0xdb
#define MGMT_SLIP_ESC_END 0xdc
#define MGMT_SLIP_ESC_ESC 0xdd

/*
 * Writes END, msg[0..len) with END and ESC bytes escaped, END into out. Returns the framed
 * length, or 0 if it does not fit in cap (MGMT_FRAME_MAX always suffices for a message).
 */
size_t mgmt_frame_encode(const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

/* Byte-at-a-time deframer state; zero it (or call mgmt_deframe_init) before use. */
struct mgmt_deframer {
	uint8_t buf[MGMT_MSG_MAX];
	uint16_t len;
	uint8_t state; /* internal */
};

enum mgmt_deframe_result {
	MGMT_DF_NONE = 0,  /* byte consumed, nothing complete */
	MGMT_DF_FRAME = 1, /* d->buf[0..d->len) is a frame, valid until the next call */
	MGMT_DF_ERROR = 2, /* a frame was dropped (bad escape or longer than MGMT_MSG_MAX) */
};

/* Resets the deframer to wait for the next frame. */
void mgmt_deframe_init(struct mgmt_deframer *d);

/*
 * Feeds one received byte. Empty frames (END END) are skipped; after an error the deframer
 * discards bytes until the next END and then resynchronises. Safe to call from an interrupt
 * handler (constant time, no calls).
 */
enum mgmt_deframe_result mgmt_deframe_byte(struct mgmt_deframer *d, uint8_t byte);

/* ---- Payload records: "TYPE key=value key=value\n" ---- */

/* One record, pointing into the parsed buffer. */
struct mgmt_rec {
	const char *type;
	size_t type_len;
	const char *body; /* the key=value tokens after the type */
	size_t body_len;
};

/* One key=value pair; val is still escaped (see mgmt_unescape). */
struct mgmt_kv {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

struct mgmt_rec_iter {
	const char *p;
	const char *end;
};

/* Starts iterating the records of buf[0..len). */
void mgmt_rec_iter_init(struct mgmt_rec_iter *it, const char *buf, size_t len);

/*
 * Yields the next record: returns 1 and fills *rec, 0 at the end, -1 for a malformed line
 * (bad type or token, control byte); the iterator then moves past that line, so the caller
 * may stop or go on. Empty lines are skipped; the last line needs no newline.
 */
int mgmt_rec_next(struct mgmt_rec_iter *it, struct mgmt_rec *rec);

/*
 * Yields the next key=value of rec, starting at *pos (set it to 0 first): returns 1, 0 at the
 * end of the record, -1 for a malformed token (records from mgmt_rec_next never have one).
 */
int mgmt_kv_next(const struct mgmt_rec *rec, size_t *pos, struct mgmt_kv *kv);

/* True if rec's type is the NUL-terminated string type. */
bool mgmt_rec_is(const struct mgmt_rec *rec, const char *type);

/* Finds key in rec: true and the (escaped) value, or false. */
bool mgmt_rec_get(const struct mgmt_rec *rec, const char *key, const char **val, size_t *len);

/* Finds key in rec and parses its value as a decimal u64 (no sign, no overflow). */
bool mgmt_rec_get_u64(const struct mgmt_rec *rec, const char *key, uint64_t *out);

/*
 * Undoes the %XX escaping of val[0..len) into out (always NUL-terminated if cap > 0, cut to
 * fit). Returns the unescaped length, or -1 for a bad escape.
 */
int mgmt_unescape(const char *val, size_t len, char *out, size_t cap);

/* True if name is a valid record type or key: 1..32 characters of [a-z0-9_]. */
bool mgmt_name_ok(const char *name, size_t len);

/*
 * A record builder over a caller's buffer. A record that does not fit is dropped whole and
 * sets overflow: the text is then incomplete and must not be served as an answer (the target
 * answers too_large, saying how many bytes `need` would have taken).
 */
struct mgmt_buf {
	char *p;
	size_t cap;
	size_t len;  /* bytes of complete records */
	size_t cur;  /* end of the record being built (may pass cap) */
	size_t need; /* bytes every ended record takes, the dropped ones included */
	bool in_rec;
	bool overflow; /* some record was dropped */
	bool cut;      /* some value was cut by its formatter (mgmt_buf_value_cut) */
};

/* Starts an empty builder over p[0..cap). */
void mgmt_buf_init(struct mgmt_buf *b, char *p, size_t cap);
/* Starts a record of the given type (an unfinished record is dropped). */
void mgmt_rec_begin(struct mgmt_buf *b, const char *type);
/* Appends key=value, %XX-escaping space, '%', control and non-ASCII bytes in val. */
void mgmt_rec_str(struct mgmt_buf *b, const char *key, const char *val);
/* Appends key=value for val[0..len) (need not be NUL-terminated), escaped as mgmt_rec_str. */
void mgmt_rec_strn(struct mgmt_buf *b, const char *key, const char *val, size_t len);
/* Appends key=decimal value. */
void mgmt_rec_u64(struct mgmt_buf *b, const char *key, uint64_t val);
/* Ends the record with '\n'; drops it whole (and sets overflow) if it did not fit. */
void mgmt_rec_end(struct mgmt_buf *b);
/*
 * Marks the text as wrong: a value put into it was cut on the way (a ksnprintf into a buffer
 * too small for it). The target then answers internal instead of serving the text.
 */
void mgmt_buf_value_cut(struct mgmt_buf *b);

#endif
