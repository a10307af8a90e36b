/*
 * libFuzzer target for the tar index (user/apps/httpd/tarfs.c): the input is an archive. If
 * tarfs_open takes it, every entry must lie inside the input, with a safe name (no leading
 * '/', no empty, "." or ".." segment, no NUL or backslash), the names sorted and unique, each
 * found by tarfs_lookup and its directories by tarfs_is_dir; if not, it must say why and hold
 * nothing. Built and run by tests/fuzz/run.sh.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "user/apps/httpd/tarfs.h"

static volatile uint8_t sink;

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void check_name(const struct tarfs_file *f)
{
	const char *p = f->name;
	size_t n = f->name_len, seg = 0;

	check(n > 0 && n <= TARFS_NAME_MAX && p[0] != '/');
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/') {
			check(p[i] != '\0' && p[i] != '\\');
			continue;
		}
		size_t sl = i - seg;
		check(sl > 0);
		check(!(sl == 1 && p[seg] == '.'));
		check(!(sl == 2 && p[seg] == '.' && p[seg + 1] == '.'));
		seg = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly the input's length: ASan sees any read past it. */
	uint8_t *buf = malloc(size ? size : 1);
	struct tarfs fs;
	char err[96];
	uint64_t bytes = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(err, 'E', sizeof(err));
	if (tarfs_open(&fs, buf, size, err, sizeof(err))) {
		check(memchr(err, '\0', sizeof(err)) && err[0]);
		check(!fs.files && !fs.names && !fs.nfiles);
		free(buf);
		return 0;
	}
	check(err[0] == '\0');
	for (size_t i = 0; i < fs.nfiles; i++) {
		const struct tarfs_file *f = &fs.files[i];

		check_name(f);
		check(f->data >= buf && f->data <= buf + size && (f->data - buf) % 512 == 0);
		check(f->size <= (uint64_t)(buf + size - f->data));
		check(!f->dir || f->size == 0);
		for (uint64_t k = 0; k < f->size; k++) /* ASan checks every byte is in buf */
			sink += f->data[k];
		check(tarfs_lookup(&fs, f->name, f->name_len) == f);
		check(!f->dir || tarfs_is_dir(&fs, f->name, f->name_len));
		for (size_t j = 1; j < f->name_len; j++)
			if (f->name[j] == '/')
				check(tarfs_is_dir(&fs, f->name, j));
		if (i) {
			const struct tarfs_file *p = f - 1;
			size_t n = p->name_len < f->name_len ? p->name_len : f->name_len;
			int c = memcmp(p->name, f->name, n);

			check(c < 0 || (c == 0 && p->name_len < f->name_len));
		}
		bytes += f->size;
	}
	check(bytes == fs.bytes);
	check(tarfs_is_dir(&fs, "", 0));
	check(!tarfs_lookup(&fs, "", 0));
	tarfs_close(&fs);
	check(!fs.files && !fs.nfiles);
	free(buf);
	return 0;
}
