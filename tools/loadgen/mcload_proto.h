/*
 * mcload wire protocols: building requests into an output buffer and parsing replies
 * incrementally (a reply may arrive split at any byte, several may come in one read).
 *   ascii   memcached text: "get KEY\r\n", "set KEY 0 0 LEN\r\nDATA\r\n"; replies
 *           "VALUE KEY FLAGS LEN [CAS]\r\nDATA\r\nEND\r\n", "END\r\n", "STORED\r\n",
 *           NOT_STORED / EXISTS / NOT_FOUND, and ERROR, CLIENT_ERROR ..., SERVER_ERROR ...
 *   binary  memcached binary: 24-byte headers (magic 0x80 out, 0x81 back), GET 0x00, SET 0x01;
 *           the opaque field carries the request's number back.
 *   echo    SIZE bytes out, the same bytes back, in order.
 *   http    HTTP/1.1 GETs, responses framed by Content-Length or chunked (mcload_http.h).
 * Anything else is garbage: the parser says so and stays failed until reset.
 */
#ifndef MCLOAD_PROTO_H
#define MCLOAD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/loadgen/mcload_dist.h"
#include "tools/loadgen/mcload_http.h"

enum mcl_proto {
	MCL_PROTO_ASCII,
	MCL_PROTO_BINARY,
	MCL_PROTO_ECHO,
	MCL_PROTO_HTTP,
};

enum mcl_op {
	MCL_OP_GET,
	MCL_OP_SET,
	MCL_OP_ECHO,
	MCL_OP_ANY, /* a reply that answers any request (a text protocol error line) */
};

#define MCL_BIN_HDR	    24
#define MCL_BIN_REQ	    0x80
#define MCL_BIN_RES	    0x81
#define MCL_BIN_GET	    0x00
#define MCL_BIN_SET	    0x01
#define MCL_BIN_OK	    0x0000
#define MCL_BIN_ENOENT	    0x0001
#define MCL_BIN_EEXISTS	    0x0002
#define MCL_BIN_NOT_STORED  0x0005
#define MCL_PROTO_LINE_MAX  1024	/* longest reply line accepted, with its CRLF */
#define MCL_PROTO_VALUE_MAX (64u << 20) /* largest value or body accepted in a reply */

/* A byte buffer: data[off, len) is still to be sent. */
struct mcl_buf {
	char *data;
	size_t off, len, cap;
};

/* Makes room for n more bytes at data + len and returns it (len is not moved), or NULL. */
char *mcl_proto_buf_room(struct mcl_buf *b, size_t n);
/* Drops n bytes from the front (they were sent); an emptied buffer starts again at 0. */
void mcl_proto_buf_consume(struct mcl_buf *b, size_t n);
/* Frees the storage; b is empty and reusable after. */
void mcl_proto_buf_free(struct mcl_buf *b);

/* Parses "ascii"/"binary"/"echo"/"http"; returns 0, or -1 for another name. */
int mcl_proto_parse_name(const char *name, enum mcl_proto *proto);
/* The protocol's name. */
const char *mcl_proto_name(enum mcl_proto proto);

/* Appends a GET of key (klen bytes) to b; binary carries opaque. Returns 0, -1 on no memory. */
int mcl_proto_build_get(enum mcl_proto proto, struct mcl_buf *b, const char *key, unsigned klen,
			uint32_t opaque);
/* Appends a SET of key with a vlen-byte value (flags 0, no expiry); 0, or -1 on no memory. */
int mcl_proto_build_set(enum mcl_proto proto, struct mcl_buf *b, const char *key, unsigned klen,
			uint32_t vlen, uint32_t opaque);
/* Appends echo message number seq (size bytes of mcl_proto_echo_byte); 0, or -1. */
int mcl_proto_build_echo(struct mcl_buf *b, uint64_t seq, uint32_t size);
/* Byte off of echo message seq: printable, shifted per message so misordering shows. */
char mcl_proto_echo_byte(uint64_t seq, uint32_t off);

enum mcl_reply_kind {
	MCL_REPLY_HIT,	      /* GET found the key */
	MCL_REPLY_MISS,	      /* GET: no such key */
	MCL_REPLY_STORED,     /* SET done */
	MCL_REPLY_NOT_STORED, /* SET refused (NOT_STORED, EXISTS, NOT_FOUND) */
	MCL_REPLY_ERROR,      /* error line, or binary status not otherwise listed */
	MCL_REPLY_ECHO,	      /* an echo came back whole and right */
	MCL_REPLY_HTTP,	      /* an HTTP response, whatever its status */
};

/* One complete reply. key points into the parser and lasts until its next call. */
struct mcl_reply {
	enum mcl_reply_kind kind;
	enum mcl_op op;	    /* the request kind it answers */
	uint16_t status;    /* binary status, or HTTP status code */
	uint32_t opaque;    /* binary opaque */
	uint32_t value_len; /* a hit's value bytes */
	const char *key;    /* ascii hit: the key in the VALUE line, else NULL */
	unsigned key_len;
	uint64_t body_len; /* http: body bytes (chunked: their data only) */
	bool close;	   /* http: the server closes after it (Connection: close, or 1.0) */
};

/* Incremental reply parser; the state between calls lives here. */
struct mcl_parser {
	enum mcl_proto proto;
	int state;
	uint32_t echo_size; /* echo: bytes per message */
	uint64_t echo_seq;  /* echo: the message expected next */
	size_t have;	    /* bytes gathered in line (ascii line, binary header, echo offset) */
	uint64_t remaining; /* ascii value bytes (with CRLF), binary or http body bytes to come */
	struct mcl_reply cur;
	struct mcl_http http;
	char key[MCL_KEY_MAX];
	char line[MCL_PROTO_LINE_MAX];
};

enum {
	MCL_PARSE_ERROR = -1, /* garbage: *used is where it was seen */
	MCL_PARSE_MORE = 0,   /* all len bytes taken, no reply complete yet */
	MCL_PARSE_REPLY = 1,  /* *r is a reply that ended after *used bytes */
};

/* Starts a parser for proto (echo_size: the echo message size; else unused). */
void mcl_proto_parser_init(struct mcl_parser *p, enum mcl_proto proto, uint32_t echo_size);
/*
 * Feeds data[0, len) to p. Returns MCL_PARSE_REPLY with the first reply to complete and the
 * bytes it took in *used (call again with the rest), MCL_PARSE_MORE when every byte was taken
 * without completing one, or MCL_PARSE_ERROR on garbage; after an error p returns it again
 * until mcl_proto_parser_init.
 */
int mcl_proto_parse(struct mcl_parser *p, const char *data, size_t len, size_t *used,
		    struct mcl_reply *r);

#endif
