/* The management core's kept answers: snapshot ids, part selection, eviction, overflow. */
#include "mgmt/answer_cache.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "kernel/lib/string.h"
#endif

void mgmt_cache_init(struct mgmt_cache *c, char *mem, size_t cap, uint32_t first_id)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < MGMT_SNAPS; i++)
		c->snap[i].text = mem + (size_t)i * cap;
	c->scratch = mem + (size_t)MGMT_SNAPS * cap;
	c->cap = cap;
	c->next_id = first_id;
}

const struct mgmt_snap *mgmt_cache_find(const struct mgmt_cache *c, uint32_t id)
{
	if (id == 0)
		return NULL;
	for (unsigned i = 0; i < MGMT_SNAPS; i++)
		if (c->snap[i].stamp && c->snap[i].id == id)
			return &c->snap[i];
	return NULL;
}

/* A fresh id: never 0, never one still kept (after the 32-bit counter wrapped). */
static uint32_t cache_new_id(struct mgmt_cache *c)
{
	uint32_t id;

	do
		id = c->next_id++;
	while (id == 0 || mgmt_cache_find(c, id));
	return id;
}

/* A small text builder for error messages (no printf on this path). */
struct cache_str {
	char s[120];
	size_t n;
};

static void str_put(struct cache_str *t, const char *s)
{
	while (*s && t->n + 1 < sizeof(t->s))
		t->s[t->n++] = *s++;
	t->s[t->n] = '\0';
}

static void str_u64(struct cache_str *t, uint64_t v)
{
	char d[21];
	int i = 20;

	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	str_put(t, d + i);
}

/* Makes *r an error answer: status st, the request's snapshot id, `error msg=why` plus
 * numeric keys (key2 may be NULL). */
static void cache_error(struct mgmt_part_out *r, const struct mgmt_hdr *h, unsigned st,
			const char *why, const char *key1, uint64_t v1, const char *key2,
			uint64_t v2)
{
	struct mgmt_buf b;

	mgmt_buf_init(&b, r->err, sizeof(r->err));
	mgmt_rec_begin(&b, "error");
	mgmt_rec_str(&b, "msg", why);
	if (key1)
		mgmt_rec_u64(&b, key1, v1);
	if (key2)
		mgmt_rec_u64(&b, key2, v2);
	mgmt_rec_end(&b);
	r->status = st;
	r->flags = 0;
	r->snap = h->snap;
	r->text = r->err;
	r->len = b.len; /* 0 if it did not fit: the status alone still says it */
}

/* Serves part `part` of text[0..len) as snapshot id. */
static void cache_slice(struct mgmt_part_out *r, const struct mgmt_hdr *h, const char *text,
			size_t len, uint32_t id)
{
	size_t off, n;
	bool more;

	if (!mgmt_part_slice(text, len, h->part, MGMT_PAYLOAD_MAX, &off, &n, &more)) {
		cache_error(r, h, MGMT_ST_BAD_ARGUMENT, "no such part", "part", h->part, NULL, 0);
		return;
	}
	r->status = MGMT_OK;
	r->flags = more ? MGMT_FLAG_MORE : 0;
	r->snap = id;
	r->text = text + off;
	r->len = n;
}

/* Keeps the answer just built in the scratch buffer: the empty or oldest slot takes it, and
 * that slot's buffer becomes the scratch. */
static const struct mgmt_snap *cache_keep(struct mgmt_cache *c, uint16_t cmd, size_t len,
					  uint32_t id, bool *evicted)
{
	struct mgmt_snap *s = &c->snap[0];

	for (unsigned i = 1; i < MGMT_SNAPS && s->stamp; i++)
		if (!c->snap[i].stamp || c->snap[i].stamp < s->stamp)
			s = &c->snap[i];
	*evicted = s->stamp != 0;
	char *old = s->text;
	s->text = c->scratch;
	c->scratch = old;
	s->len = len;
	s->id = id;
	s->cmd = cmd;
	s->stamp = ++c->stamp;
	return s;
}

static void cache_build(struct mgmt_cache *c, const struct mgmt_hdr *h, const char *args,
			size_t alen, mgmt_build_fn build, void *ctx, struct mgmt_part_out *r)
{
	struct mgmt_buf b;
	bool changes = false;

	mgmt_buf_init(&b, c->scratch, c->cap);
	enum mgmt_status st = build(h, args, alen, &b, &changes, ctx);
	r->ran = true;
	if (st != MGMT_OK) {
		/* The handler's records (an `error msg=`) go with the status, if they fit. */
		r->status = st;
		r->flags = 0;
		r->snap = h->snap;
		r->text = c->scratch;
		r->len = !b.overflow && b.len <= MGMT_PAYLOAD_MAX ? b.len : 0;
		return;
	}
	if (b.overflow) {
		struct cache_str t = {.n = 0};
		str_put(&t, "answer too large (");
		str_u64(&t, b.need);
		str_put(&t, " bytes, limit ");
		str_u64(&t, c->cap - 1);
		str_put(&t, ")");
		cache_error(r, h, MGMT_ST_TOO_LARGE, t.s, "need", b.need, "limit", c->cap - 1);
		return;
	}
	if (b.cut) {
		cache_error(r, h, MGMT_ST_INTERNAL, "a value of the answer was cut", NULL, 0, NULL,
			    0);
		return;
	}
	uint32_t id = cache_new_id(c);
	if (b.len <= MGMT_PAYLOAD_MAX) {
		cache_slice(r, h, c->scratch, b.len, id); /* one part: nothing to keep */
		return;
	}
	const struct mgmt_snap *s = cache_keep(c, h->command, b.len, id, &r->evicted);
	cache_slice(r, h, s->text, s->len, s->id);
}

void mgmt_cache_answer(struct mgmt_cache *c, const struct mgmt_hdr *h, const char *args,
		       size_t alen, mgmt_build_fn build, void *ctx, struct mgmt_part_out *r)
{
	r->ran = false;
	r->evicted = false;
	if (h->part == 0) {
		cache_build(c, h, args, alen, build, ctx, r);
		return;
	}
	if (h->snap == 0) {
		cache_error(r, h, MGMT_ST_BAD_ARGUMENT,
			    "a part after the first needs its snapshot id", "part", h->part, NULL,
			    0);
		return;
	}
	const struct mgmt_snap *s = mgmt_cache_find(c, h->snap);
	if (!s) {
		cache_error(r, h, MGMT_ST_SNAPSHOT_GONE, "snapshot gone, retry from part 0", "snap",
			    h->snap, "kept", MGMT_SNAPS);
		return;
	}
	if (s->cmd != h->command) {
		cache_error(r, h, MGMT_ST_BAD_ARGUMENT,
			    "the snapshot is the answer to another command", "snap", h->snap, NULL,
			    0);
		return;
	}
	cache_slice(r, h, s->text, s->len, s->id);
}
