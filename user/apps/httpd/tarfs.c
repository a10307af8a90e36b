/*
 * The tar index of user/apps/httpd/tarfs.h. The headers are read twice: the first pass checks
 * the archive and counts the entries kept and the bytes of the names that are not in it as is
 * (ustar prefix and name, pax path, GNU long name); the second, with fs->files and fs->names
 * allocated to those sizes, fills them, so nothing moves once pointed to. Then the entries are
 * sorted by name, archive order (their data's address) breaking ties, and the last of each name
 * kept.
 */
#include <stdlib.h>
#include <string.h>

#include "user/apps/httpd/tarfs.h"

#define TARFS_BLOCK 512

/* What pax 'x' and GNU 'L' headers said about the next entry. */
struct tarfs_next {
	const char *path, *long_name; /* pax path, GNU long name (in the archive), or NULL */
	size_t path_len, long_len;
	uint64_t size;
	int64_t mtime;
	bool has_size, has_mtime, sparse;
};

struct tarfs_build {
	struct tarfs *fs;
	const uint8_t *base;
	size_t len;
	bool fill;		     /* the second pass */
	size_t n, names_len;	     /* entries kept, bytes of fs->names */
	size_t files_cap, names_cap; /* allocated by the second pass */
	char *err;
	size_t errsz, errat;
};

static void tarfs_put(struct tarfs_build *b, const char *s, size_t n)
{
	if (!b->err || !b->errsz)
		return;
	for (size_t i = 0; i < n && b->errat + 1 < b->errsz; i++)
		b->err[b->errat++] = s[i];
	b->err[b->errat] = '\0';
}

/* Says "what at offset off", or with a name 'file "name" what at offset off'; returns -1. */
static int tarfs_fail(struct tarfs_build *b, const char *name, size_t n, const char *what,
		      size_t off)
{
	char d[20];
	size_t i = sizeof(d);

	if (name) {
		tarfs_put(b, "file \"", 6);
		for (size_t j = 0; j < n && j < 64; j++)
			tarfs_put(b, name[j] >= ' ' && name[j] < 127 ? &name[j] : "?", 1);
		tarfs_put(b, n > 64 ? "...\" " : "\" ", n > 64 ? 5 : 2);
	}
	tarfs_put(b, what, strlen(what));
	tarfs_put(b, " at offset ", 11);
	do {
		d[--i] = (char)('0' + off % 10);
		off /= 10;
	} while (off);
	tarfs_put(b, d + i, sizeof(d) - i);
	return -1;
}

/* The decimal number at p[0, n) (up to the first non-digit) into *v: the number of digits, or
 * 0 if there are none or the number is more than max. */
static size_t tarfs_dec(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	size_t i;

	for (i = 0, *v = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (max < d || *v > (max - d) / 10)
			return 0;
		*v = *v * 10 + d;
	}
	return i;
}

/*
 * A numeric header field f[0, n) (n <= 12): octal ASCII after optional spaces, ended by a NUL, a
 * space or the field's end (12 octal digits are 36 bits: no overflow), or GNU base-256 (high
 * bit of the first byte set, the 0x40 bit the sign of a two's complement number). *v is the
 * value, or for a negative one its bitwise complement (-value - 1) with *neg set. Returns 0, or
 * -1 for a malformed field or one over 64 bits.
 */
static int tarfs_num(const uint8_t *f, size_t n, uint64_t *v, bool *neg)
{
	uint8_t inv = f[0] & 0x40 ? 0xff : 0;
	size_t i = 0;

	*v = 0;
	*neg = false;
	if (f[0] & 0x80) {
		*neg = inv;
		*v = (f[0] ^ inv) & 0x3f;
		for (i = 1; i < n; i++) {
			if (*v >> 56)
				return -1;
			*v = *v << 8 | (uint8_t)(f[i] ^ inv);
		}
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	return i < n && f[i] != ' ' && f[i] != '\0' ? -1 : 0;
}

/* The header's checksum is right: the unsigned sum of its bytes, or (old tars) the signed. */
static bool tarfs_sum_ok(const uint8_t *h)
{
	uint64_t want;
	uint32_t u = 0;
	int32_t s = 0;
	bool neg;

	if (tarfs_num(h + 148, 8, &want, &neg) || neg)
		return false;
	for (size_t i = 0; i < TARFS_BLOCK; i++) {
		uint8_t c = i >= 148 && i < 156 ? ' ' : h[i];

		u += c;
		s += (signed char)c;
	}
	return want == u || (int64_t)want == s;
}

/* Whether the block at off (or what is left of it) is zero. */
static bool tarfs_zero(const struct tarfs_build *b, size_t off)
{
	for (size_t i = off; i < b->len && i < off + TARFS_BLOCK; i++)
		if (b->base[i])
			return false;
	return true;
}

static size_t tarfs_field_len(const void *p, size_t n)
{
	const char *z = memchr(p, '\0', n);

	return z ? (size_t)(z - (const char *)p) : n;
}

/* One pax record's key k[0, kn) and value v[0, vn): path, size, mtime (an empty value cancels
 * an earlier one). Returns -1 if a size or mtime ("[-]digits[.digits]") is malformed. */
static int tarfs_pax_kv(struct tarfs_next *nx, const char *k, size_t kn, const char *v, size_t vn)
{
	uint64_t x;

	if (kn == 4 && !memcmp(k, "path", 4)) {
		nx->path = vn ? v : NULL;
		nx->path_len = vn;
	} else if (kn == 4 && !memcmp(k, "size", 4)) {
		nx->has_size = vn;
		if (vn && tarfs_dec(v, vn, UINT64_MAX, &nx->size) != vn)
			return -1;
	} else if (kn == 5 && !memcmp(k, "mtime", 5)) {
		size_t neg = vn && v[0] == '-',
		       i = neg + tarfs_dec(v + neg, vn - neg, INT64_MAX, &x);

		nx->has_mtime = vn;
		nx->mtime = neg ? -(int64_t)x : (int64_t)x;
		if (vn && (i == neg || (i < vn && v[i] != '.')))
			return -1;
		while (vn && i + 1 < vn)
			if (v[++i] < '0' || v[i] > '9')
				return -1;
	} else if (kn > 11 && !memcmp(k, "GNU.sparse.", 11)) {
		nx->sparse = true; /* the data is a sparse map and pieces, not the file */
	}
	return 0;
}

/* The records "LEN key=value\n" of a pax extended header p[0, n) (its header at off). */
static int tarfs_pax(struct tarfs_build *b, struct tarfs_next *nx, const char *p, size_t n,
		     size_t off)
{
	for (size_t i = 0, end; i < n; i = end) {
		uint64_t len;
		size_t k = i + tarfs_dec(p + i, n - i, n - i, &len) + 1;
		const char *eq;

		end = i + (size_t)len;
		if (k == i + 1 || k > n || p[k - 1] != ' ' || end <= k || p[end - 1] != '\n')
			return tarfs_fail(b, NULL, 0, "malformed pax record", off);
		eq = memchr(p + k, '=', end - 1 - k);
		if (!eq || eq == p + k)
			return tarfs_fail(b, NULL, 0, "pax record without key=value", off);
		if (tarfs_pax_kv(nx, p + k, (size_t)(eq - p) - k, eq + 1,
				 (size_t)(p + end - eq) - 2))
			return tarfs_fail(b, NULL, 0, "bad pax size or mtime", off);
	}
	return 0;
}

/*
 * Normalises a raw name *pp[0, *np): strips leading "./" and trailing '/' (which makes it a
 * directory). Returns 1 if it is kept, 0 for the archive's root directory ("./"), -1 if it is
 * refused (empty, absolute, with an empty, "." or ".." segment, a backslash or a NUL, too long).
 */
static int tarfs_norm(const char **pp, size_t *np, bool *dir)
{
	const char *p = *pp;
	size_t n = *np, seg = 0;

	while (n >= 2 && p[0] == '.' && p[1] == '/') {
		p += 2;
		n -= 2;
	}
	if (n && p[0] == '/')
		return -1;
	while (n && p[n - 1] == '/') {
		*dir = true;
		n--;
	}
	if (!n || (n == 1 && p[0] == '.'))
		return *np && *dir ? 0 : -1;
	if (n > TARFS_NAME_MAX)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/') {
			if (p[i] == '\\' || p[i] == '\0')
				return -1;
			continue;
		}
		if (i == seg || (i - seg <= 2 && p[seg] == '.' && p[i - 1] == '.'))
			return -1;
		seg = i + 1;
	}
	*pp = p;
	*np = n;
	return 1;
}

/* A file or directory entry, its header at off, size bytes of data after it: kept or refused. */
static int tarfs_keep(struct tarfs_build *b, const struct tarfs_next *nx, size_t off, uint64_t size)
{
	const uint8_t *h = b->base + off;
	const char *name = (const char *)h;
	size_t n = tarfs_field_len(h, 100);
	bool own = true, dir = h[156] == '5', neg;
	char full[256];
	uint64_t t;

	if (nx->path) {
		name = nx->path;
		n = nx->path_len;
	} else if (nx->long_name) {
		name = nx->long_name;
		n = nx->long_len;
	} else if (!memcmp(h + 257, "ustar\0", 6) && h[345]) {
		size_t pn = tarfs_field_len(h + 345, 155);

		memcpy(full, h + 345, pn);
		full[pn] = '/';
		memcpy(full + pn + 1, h, n);
		name = full;
		n += pn + 1;
	} else {
		own = false;
	}
	int r = tarfs_norm(&name, &n, &dir);
	if (r <= 0) {
		b->fs->refused += r < 0;
		return 0;
	}
	if (!nx->has_mtime && (tarfs_num(h + 136, 12, &t, &neg) || t > INT64_MAX))
		return tarfs_fail(b, NULL, 0, "bad mtime field", off);
	if (b->fill) {
		struct tarfs_file *f = &b->fs->files[b->n];

		/* Only if base changed between the passes, against tarfs_open's contract. */
		if (b->n == b->files_cap || (own && n > b->names_cap - b->names_len))
			return tarfs_fail(b, NULL, 0, "archive changed while read", off);
		if (own)
			name = memcpy(b->fs->names + b->names_len, name, n);
		*f = (struct tarfs_file){.name = name, .name_len = n, .data = h + TARFS_BLOCK};
		f->size = dir ? 0 : size;
		f->mtime = nx->has_mtime ? nx->mtime : neg ? -(int64_t)t - 1 : (int64_t)t;
		f->dir = dir;
	}
	b->names_len += own ? n : 0;
	b->n++;
	return 0;
}

/* The entry whose (checked) header is at off; *next is where the one after it starts. */
static int tarfs_entry(struct tarfs_build *b, struct tarfs_next *nx, size_t off, size_t *next)
{
	const uint8_t *h = b->base + off;
	const char *data = (const char *)h + TARFS_BLOCK;
	size_t at = off + TARFS_BLOCK, left = b->len - at;
	char type = (char)h[156];
	bool meta = type == 'x' || type == 'g' || type == 'L' || type == 'K', neg;
	uint64_t size = nx->size;

	if ((meta || !nx->has_size) && (tarfs_num(h + 124, 12, &size, &neg) || neg))
		return tarfs_fail(b, NULL, 0, "bad size field", off);
	if (size > left) {
		const char *what = "runs past the end of the archive; its header is";

		if (!meta && nx->path)
			return tarfs_fail(b, nx->path, nx->path_len, what, off);
		if (!meta && nx->long_name)
			return tarfs_fail(b, nx->long_name, nx->long_len, what, off);
		return tarfs_fail(b, (const char *)h, tarfs_field_len(h, 100), what, off);
	}
	size_t pad = (TARFS_BLOCK - (size_t)size % TARFS_BLOCK) % TARFS_BLOCK;
	*next = at + (size_t)size;
	*next = pad > b->len - *next ? b->len : *next + pad;
	if (type == 'x')
		return tarfs_pax(b, nx, data, (size_t)size, off);
	if (type == 'L') {
		nx->long_name = data;
		nx->long_len = tarfs_field_len(data, (size_t)size);
	}
	if (meta)
		return 0;
	struct tarfs_next cur = *nx;

	memset(nx, 0, sizeof(*nx));
	if ((type == '0' || type == '\0' || type == '7' || type == '5') && !cur.sparse)
		return tarfs_keep(b, &cur, off, size);
	b->fs->skipped++;
	return 0;
}

/* One pass over the archive's headers. */
static int tarfs_pass(struct tarfs_build *b)
{
	struct tarfs_next nx = {0};

	b->n = b->names_len = 0;
	b->fs->skipped = b->fs->refused = 0;
	for (size_t off = 0; off < b->len;) {
		if (tarfs_zero(b, off)) {
			/* The end: two zero blocks, or one and the end of the buffer. */
			if (b->len - off <= TARFS_BLOCK || tarfs_zero(b, off + TARFS_BLOCK))
				return 0;
			return tarfs_fail(b, NULL, 0, "lone zero block", off);
		}
		if (b->len - off < TARFS_BLOCK)
			return tarfs_fail(b, NULL, 0, "truncated header", off);
		if (!tarfs_sum_ok(b->base + off))
			return tarfs_fail(b, NULL, 0, "bad header checksum", off);
		if (tarfs_entry(b, &nx, off, &off))
			return -1;
	}
	return 0;
}

static int tarfs_name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : an < bn ? -1 : an > bn;
}

static int tarfs_file_cmp(const void *x, const void *y)
{
	const struct tarfs_file *a = x, *b = y;
	int c = tarfs_name_cmp(a->name, a->name_len, b->name, b->name_len);

	return c ? c : (a->data > b->data) - (a->data < b->data);
}

int tarfs_open(struct tarfs *fs, const void *base, size_t len, char *err, size_t errsz)
{
	struct tarfs_build b = {.fs = fs, .base = base, .len = len, .err = err, .errsz = errsz};
	size_t n = 0;

	memset(fs, 0, sizeof(*fs));
	tarfs_put(&b, "", 0);
	if (tarfs_pass(&b))
		return -1;
	if (!b.n)
		return 0;
	fs->files = malloc(b.n * sizeof(*fs->files));
	fs->names = malloc(b.names_len ? b.names_len : 1);
	if (!fs->files || !fs->names) {
		tarfs_put(&b, "out of memory", 13);
		tarfs_close(fs);
		return -1;
	}
	b.fill = true;
	b.files_cap = b.n;
	b.names_cap = b.names_len;
	if (tarfs_pass(&b)) {
		tarfs_close(fs);
		return -1;
	}
	qsort(fs->files, b.n, sizeof(*fs->files), tarfs_file_cmp);
	for (size_t i = 0; i < b.n; i++) {
		const struct tarfs_file *f = &fs->files[i];

		if (i + 1 < b.n &&
		    !tarfs_name_cmp(f->name, f->name_len, f[1].name, f[1].name_len)) {
			fs->dups++;
			continue;
		}
		fs->bytes += f->size;
		fs->files[n++] = *f;
	}
	fs->nfiles = n;
	return 0;
}

void tarfs_close(struct tarfs *fs)
{
	free(fs->files);
	free(fs->names);
	memset(fs, 0, sizeof(*fs));
}

/* Whether f's name sorts before name[0, len), followed by '/' if slash. */
static bool tarfs_before(const struct tarfs_file *f, const char *name, size_t len, bool slash)
{
	int c = memcmp(f->name, name, f->name_len < len ? f->name_len : len);

	if (c || f->name_len < len)
		return c <= 0;
	return slash && (f->name_len == len || (uint8_t)f->name[len] < '/');
}

/* The index of the first entry whose name is not before name[0, len) (+ '/' if slash). */
static size_t tarfs_lower(const struct tarfs *fs, const char *name, size_t len, bool slash)
{
	size_t lo = 0, hi = fs->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tarfs_before(&fs->files[mid], name, len, slash))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct tarfs_file *tarfs_lookup(const struct tarfs *fs, const char *name, size_t len)
{
	size_t i = len ? tarfs_lower(fs, name, len, false) : fs->nfiles; /* none is called "" */
	const struct tarfs_file *f = i < fs->nfiles ? &fs->files[i] : NULL;

	return f && f->name_len == len && !memcmp(f->name, name, len) ? f : NULL;
}

bool tarfs_is_dir(const struct tarfs *fs, const char *name, size_t len)
{
	const struct tarfs_file *f;
	size_t i;

	if (!len)
		return true;
	f = tarfs_lookup(fs, name, len);
	if (f && f->dir)
		return true;
	i = tarfs_lower(fs, name, len, true);
	f = i < fs->nfiles ? &fs->files[i] : NULL;
	return f && f->name_len > len && f->name[len] == '/' && !memcmp(f->name, name, len);
}
