/* mcload wire protocols (see mcload_proto.h). */
#include "tools/loadgen/mcload_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	ST_FAILED = -1,
	A_LINE = 0, /* ascii: a reply's first line */
	A_DATA,	    /* ascii: a VALUE's data and its CRLF */
	A_END,	    /* ascii: the END after a VALUE */
	B_HDR,	    /* binary: gathering the 24-byte header */
	B_BODY,	    /* binary: skipping the body */
	E_DATA,	    /* echo: comparing the message */
};

char *mcl_proto_buf_room(struct mcl_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return b->data + b->len;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return b->data + b->len;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (!d)
		return NULL;
	b->data = d;
	b->cap = cap;
	return d + b->len;
}

void mcl_proto_buf_consume(struct mcl_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void mcl_proto_buf_free(struct mcl_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int mcl_proto_parse_name(const char *name, enum mcl_proto *proto)
{
	static const char *const names[] = {"ascii", "binary", "echo", "http"};
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0) {
			*proto = (enum mcl_proto)i;
			return 0;
		}
	return -1;
}

const char *mcl_proto_name(enum mcl_proto proto)
{
	return proto == MCL_PROTO_BINARY ? "binary"
	       : proto == MCL_PROTO_ECHO ? "echo"
	       : proto == MCL_PROTO_HTTP ? "http"
					 : "ascii";
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A binary request header: opcode, key length, extras length, body length, opaque. */
static void bin_header(uint8_t *h, uint8_t opcode, unsigned klen, unsigned extras, uint32_t body,
		       uint32_t opaque)
{
	memset(h, 0, MCL_BIN_HDR);
	h[0] = MCL_BIN_REQ;
	h[1] = opcode;
	put_be(h + 2, klen, 2);
	h[4] = (uint8_t)extras;
	put_be(h + 8, body, 4);
	put_be(h + 12, opaque, 4);
}

static void fill_value(char *dst, uint32_t vlen)
{
	for (uint32_t i = 0; i < vlen; i++)
		dst[i] = (char)('a' + i % 26);
}

int mcl_proto_build_get(enum mcl_proto proto, struct mcl_buf *b, const char *key, unsigned klen,
			uint32_t opaque)
{
	char *p = mcl_proto_buf_room(b, MCL_BIN_HDR + klen + 8);
	if (!p)
		return -1;
	if (proto == MCL_PROTO_BINARY) {
		bin_header((uint8_t *)p, MCL_BIN_GET, klen, 0, klen, opaque);
		memcpy(p + MCL_BIN_HDR, key, klen);
		b->len += MCL_BIN_HDR + klen;
	} else {
		memcpy(p, "get ", 4);
		memcpy(p + 4, key, klen);
		memcpy(p + 4 + klen, "\r\n", 2);
		b->len += 6 + klen;
	}
	return 0;
}

int mcl_proto_build_set(enum mcl_proto proto, struct mcl_buf *b, const char *key, unsigned klen,
			uint32_t vlen, uint32_t opaque)
{
	char *p = mcl_proto_buf_room(b, (size_t)MCL_BIN_HDR + 8 + klen + vlen + 32);
	if (!p)
		return -1;
	size_t n;
	if (proto == MCL_PROTO_BINARY) {
		bin_header((uint8_t *)p, MCL_BIN_SET, klen, 8, 8 + klen + vlen, opaque);
		memset(p + MCL_BIN_HDR, 0, 8); /* flags, expiration */
		memcpy(p + MCL_BIN_HDR + 8, key, klen);
		n = MCL_BIN_HDR + 8 + klen;
	} else {
		memcpy(p, "set ", 4);
		memcpy(p + 4, key, klen);
		n = 4 + klen;
		n += (size_t)sprintf(p + n, " 0 0 %u\r\n", (unsigned)vlen);
	}
	fill_value(p + n, vlen);
	n += vlen;
	if (proto != MCL_PROTO_BINARY) {
		memcpy(p + n, "\r\n", 2);
		n += 2;
	}
	b->len += n;
	return 0;
}

char mcl_proto_echo_byte(uint64_t seq, uint32_t off)
{
	return (char)(33 + (seq * 7 + off) % 94);
}

int mcl_proto_build_echo(struct mcl_buf *b, uint64_t seq, uint32_t size)
{
	char *p = mcl_proto_buf_room(b, size);
	if (!p)
		return -1;
	for (uint32_t i = 0; i < size; i++)
		p[i] = mcl_proto_echo_byte(seq, i);
	b->len += size;
	return 0;
}

void mcl_proto_parser_init(struct mcl_parser *p, enum mcl_proto proto, uint32_t echo_size)
{
	memset(p, 0, offsetof(struct mcl_parser, key));
	p->proto = proto;
	p->echo_size = echo_size;
	p->state = proto == MCL_PROTO_BINARY ? B_HDR : proto == MCL_PROTO_ECHO ? E_DATA : A_LINE;
	if (proto == MCL_PROTO_HTTP)
		mcl_http_parser_init(p);
}

/* Parses a decimal number of at most max into *v; returns the text after it, or NULL. */
static const char *parse_num(const char *s, uint64_t max, uint64_t *v)
{
	if (*s < '0' || *s > '9')
		return NULL;
	uint64_t x = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t digit = (uint64_t)(*s - '0');
		if (x > (max - digit) / 10)
			return NULL;
		x = x * 10 + digit;
	}
	*v = x;
	return s;
}

/* True when line is word alone, or word and a space and a message. */
static int is_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	return strncmp(line, word, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* Handles one ascii line (CRLF stripped, NUL-terminated). 1: a reply, 0: more, -1: garbage. */
static int ascii_line(struct mcl_parser *p, const char *line, size_t n)
{
	struct mcl_reply *r = &p->cur;
	if (strlen(line) != n)
		return -1; /* a NUL inside the line */
	if (p->state == A_END) {
		if (strcmp(line, "END") != 0)
			return -1;
		p->state = A_LINE;
		return 1;
	}
	memset(r, 0, sizeof(*r));
	if (strcmp(line, "END") == 0) {
		*r = (struct mcl_reply){.kind = MCL_REPLY_MISS, .op = MCL_OP_GET};
	} else if (strcmp(line, "STORED") == 0) {
		*r = (struct mcl_reply){.kind = MCL_REPLY_STORED, .op = MCL_OP_SET};
	} else if (!strcmp(line, "NOT_STORED") || !strcmp(line, "EXISTS") ||
		   !strcmp(line, "NOT_FOUND")) {
		*r = (struct mcl_reply){.kind = MCL_REPLY_NOT_STORED, .op = MCL_OP_SET};
	} else if (!strcmp(line, "ERROR") || is_word(line, "CLIENT_ERROR") ||
		   is_word(line, "SERVER_ERROR")) {
		*r = (struct mcl_reply){.kind = MCL_REPLY_ERROR, .op = MCL_OP_ANY};
	} else if (strncmp(line, "VALUE ", 6) == 0) {
		const char *key = line + 6, *s = strchr(key, ' ');
		uint64_t flags, bytes, cas;
		if (!s || s == key || s - key > MCL_KEY_MAX)
			return -1;
		p->cur.key_len = (unsigned)(s - key);
		memcpy(p->key, key, p->cur.key_len);
		s = parse_num(s + 1, UINT32_MAX, &flags);
		if (!s || *s != ' ' || !(s = parse_num(s + 1, MCL_PROTO_VALUE_MAX, &bytes)))
			return -1;
		if (*s == ' ' && !(s = parse_num(s + 1, UINT64_MAX, &cas)))
			return -1;
		if (*s != '\0')
			return -1;
		r->kind = MCL_REPLY_HIT;
		r->op = MCL_OP_GET;
		r->key = p->key;
		r->value_len = (uint32_t)bytes;
		p->remaining = bytes + 2;
		p->state = A_DATA;
		return 0;
	} else {
		return -1;
	}
	return 1;
}

static int parse_ascii(struct mcl_parser *p, const char *d, size_t len, size_t *i)
{
	while (*i < len) {
		if (p->state == A_DATA) {
			if (p->remaining > 2) {
				size_t take = len - *i;
				if (take > p->remaining - 2)
					take = (size_t)(p->remaining - 2);
				*i += take;
				p->remaining -= take;
				continue;
			}
			if (d[*i] != (p->remaining == 2 ? '\r' : '\n'))
				return -1;
			(*i)++;
			if (--p->remaining == 0)
				p->state = A_END;
			continue;
		}
		char c = d[(*i)++];
		if (p->have >= MCL_PROTO_LINE_MAX)
			return -1;
		p->line[p->have++] = c;
		if (c != '\n')
			continue;
		if (p->have < 2 || p->line[p->have - 2] != '\r')
			return -1;
		size_t n = p->have - 2;
		p->line[n] = '\0';
		p->have = 0;
		int rc = ascii_line(p, p->line, n);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Checks a complete binary header and sets p->cur from it; 0, or -1 for garbage. */
static int binary_header(struct mcl_parser *p)
{
	const uint8_t *h = (const uint8_t *)p->line;
	struct mcl_reply *r = &p->cur;
	unsigned klen = (unsigned)get_be(h + 2, 2), extras = h[4];
	uint64_t body = get_be(h + 8, 4);
	if (h[0] != MCL_BIN_RES || (h[1] != MCL_BIN_GET && h[1] != MCL_BIN_SET) || h[5] != 0)
		return -1;
	if (klen + extras > body || body > MCL_PROTO_VALUE_MAX)
		return -1;
	memset(r, 0, sizeof(*r));
	r->op = h[1] == MCL_BIN_GET ? MCL_OP_GET : MCL_OP_SET;
	r->status = (uint16_t)get_be(h + 6, 2);
	r->opaque = (uint32_t)get_be(h + 12, 4);
	if (r->status == MCL_BIN_OK && r->op == MCL_OP_GET) {
		if (extras != 4)
			return -1; /* a hit carries its flags */
		r->kind = MCL_REPLY_HIT;
		r->value_len = (uint32_t)(body - extras - klen);
	} else if (r->status == MCL_BIN_OK) {
		if (body != 0)
			return -1; /* a SET's success has no body */
		r->kind = MCL_REPLY_STORED;
	} else if (r->status == MCL_BIN_ENOENT && r->op == MCL_OP_GET) {
		r->kind = MCL_REPLY_MISS;
	} else if (r->op == MCL_OP_SET &&
		   (r->status == MCL_BIN_EEXISTS || r->status == MCL_BIN_NOT_STORED ||
		    r->status == MCL_BIN_ENOENT)) {
		r->kind = MCL_REPLY_NOT_STORED;
	} else {
		r->kind = MCL_REPLY_ERROR;
	}
	p->remaining = body;
	return 0;
}

static int parse_binary(struct mcl_parser *p, const char *d, size_t len, size_t *i)
{
	while (*i < len || (p->state == B_BODY && p->remaining == 0)) {
		if (p->state == B_HDR) {
			size_t take = len - *i;
			if (take > MCL_BIN_HDR - p->have)
				take = MCL_BIN_HDR - p->have;
			memcpy(p->line + p->have, d + *i, take);
			p->have += take;
			*i += take;
			if (p->have < MCL_BIN_HDR)
				continue;
			p->have = 0;
			if (binary_header(p) < 0)
				return -1;
			p->state = B_BODY;
			continue;
		}
		size_t take = len - *i;
		if (take > p->remaining)
			take = (size_t)p->remaining;
		*i += take;
		p->remaining -= take;
		if (p->remaining == 0) {
			p->state = B_HDR;
			return 1;
		}
	}
	return 0;
}

static int parse_echo(struct mcl_parser *p, const char *d, size_t len, size_t *i)
{
	while (*i < len) {
		if (d[*i] != mcl_proto_echo_byte(p->echo_seq, (uint32_t)p->have))
			return -1;
		(*i)++;
		if (++p->have == p->echo_size) {
			p->have = 0;
			p->echo_seq++;
			p->cur = (struct mcl_reply){.kind = MCL_REPLY_ECHO, .op = MCL_OP_ECHO};
			return 1;
		}
	}
	return 0;
}

int mcl_proto_parse(struct mcl_parser *p, const char *data, size_t len, size_t *used,
		    struct mcl_reply *r)
{
	size_t i = 0;
	int rc = -1;
	if (p->state == ST_FAILED)
		rc = -1;
	else if (p->proto == MCL_PROTO_ASCII)
		rc = parse_ascii(p, data, len, &i);
	else if (p->proto == MCL_PROTO_BINARY)
		rc = parse_binary(p, data, len, &i);
	else if (p->proto == MCL_PROTO_HTTP)
		rc = mcl_http_parse(p, data, len, &i);
	else
		rc = parse_echo(p, data, len, &i);
	*used = i;
	if (rc < 0) {
		p->state = ST_FAILED;
		return MCL_PARSE_ERROR;
	}
	if (rc == 0)
		return MCL_PARSE_MORE;
	*r = p->cur;
	return MCL_PARSE_REPLY;
}
