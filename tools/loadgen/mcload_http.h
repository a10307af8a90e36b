/*
 * mcload's HTTP/1.1 client side (--proto http): the GET it sends, and the incremental parser
 * of the responses (RFC 9112), which mcl_proto_parse runs for MCL_PROTO_HTTP. A response is a
 * status line "HTTP/1.x NNN [reason]", header fields (names case-insensitive; obsolete line
 * folding read as a space; each line ended by CRLF or a bare LF) and a body framed by
 * Content-Length (a list of equal values allowed) or by chunked Transfer-Encoding, skipped
 * without copying; 204 and 304 have none whatever their fields say. Interim 1xx responses
 * (but 101) are skipped: the final one answers the request. Only Content-Length,
 * Transfer-Encoding and Connection are read; other fields are skipped unchecked past their
 * name, at any length. Garbage: a malformed status line, field name or read field value, no
 * framing (neither Content-Length nor chunked), both, differing Content-Lengths, one past
 * MCL_HTTP_BODY_MAX, a head (or trailer) past MCL_HTTP_HEAD_MAX bytes, a bad chunk, 101.
 */
#ifndef MCLOAD_HTTP_H
#define MCLOAD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCL_HTTP_HEAD_MAX (64u << 10)  /* bytes of a response's head, status line to blank */
#define MCL_HTTP_BODY_MAX (1ull << 40) /* the largest body (1 TiB): skipped, never stored */
#define MCL_HTTP_NAME_MAX 20	       /* field name bytes kept (lowercased) to recognise */
#define MCL_HTTP_STATE0	  16	       /* a parser's state at a response boundary */

/* The parser's view of the response being read (part of struct mcl_parser). */
struct mcl_http {
	uint64_t clen;	     /* Content-Length, when have_clen */
	uint32_t head_bytes; /* of the head (or trailer) so far */
	uint16_t status;
	uint8_t field;	  /* the field being read, or continued by a folded line */
	uint8_t name_len; /* its name's length, up to MCL_HTTP_NAME_MAX + 1 */
	bool have_clen, te, te_chunked, conn_close, conn_keep, http10;
	char name[MCL_HTTP_NAME_MAX];
	const char *why; /* garbage: what was wrong (a static string) */
};

struct mcl_parser;
struct mcl_buf;

/* Puts p, just cleared by mcl_proto_parser_init, in its first state: a status line due. */
void mcl_http_parser_init(struct mcl_parser *p);
/*
 * Parses data[*i, len) as HTTP responses, moving *i past what it takes. Returns 1 when a
 * final response ended at *i (p->cur holds it: MCL_REPLY_HTTP, its status, body_len, close),
 * 0 when every byte was taken without one ending, -1 on garbage (*i is where it was seen,
 * p->http.why says what it was).
 */
int mcl_http_parse(struct mcl_parser *p, const char *data, size_t len, size_t *i);
/* Appends "GET path HTTP/1.1\r\nHost: host\r\n\r\n" to b; 0, or -1 on no memory. */
int mcl_http_build_get(struct mcl_buf *b, const char *path, const char *host);
/*
 * Whether s suits the request line or the Host field: printable ASCII (no space), not empty,
 * and for a request target (target true) starting with '/' (others are percent-encoded).
 */
bool mcl_http_valid_token(const char *s, bool target);

#endif
