/*
 * A read-only file tree in a tar archive held in memory (a data module): the archive is
 * indexed once, and a file's bytes are served from the archive's own memory, where tar put
 * them (each file's data starts at a 512-byte boundary of the archive). Pure: the same on the
 * host (tests/unit, tests/fuzz) and in httpd.
 *
 * Formats: POSIX ustar (with its prefix field), pax extended headers ('x': path, size, mtime;
 * 'g' ignored) and GNU long names ('L'). Regular files ('0', '\0', '7') and directories
 * ('5') are kept; links, devices and other types are skipped and counted. An entry whose name
 * is absolute or has a "." or ".." segment after a leading "./" is stripped is refused
 * (counted): nothing outside the archive's tree can be named.
 */
#ifndef IXOS_HTTPD_TARFS_H
#define IXOS_HTTPD_TARFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TARFS_NAME_MAX 1024 /* longer names are refused (counted) */

struct tarfs_file {
	const char *name; /* "dir/file.html": no leading or trailing '/', not NUL-terminated */
	size_t name_len;
	const uint8_t *data; /* inside the archive */
	uint64_t size;
	int64_t mtime; /* seconds since 1970 */
	bool dir;
};

struct tarfs {
	struct tarfs_file *files; /* sorted by name (bytewise); malloc'd by tarfs_open */
	size_t nfiles;
	char *names;	/* storage for names that are not in the archive as is (pax, GNU, prefix) */
	uint64_t bytes; /* sum of the regular files' sizes */
	unsigned skipped; /* entries of other types (links, devices, fifos) */
	unsigned refused; /* entries with absolute or escaping names, or too long */
	unsigned dups;	  /* later entries of a name already seen (tar's rule: the last wins) */
};

/*
 * Indexes the archive at base[0, len). Returns 0, or -1 with err (NUL-terminated, errsz > 0)
 * saying why and where ("bad header checksum at offset 1536", "file \"x\" runs past the end
 * of the archive", "out of memory"); fs then holds nothing. The archive ends at two zero
 * blocks or at len (a missing end-of-archive marker is accepted). base must stay valid and
 * unchanged while fs is used.
 */
int tarfs_open(struct tarfs *fs, const void *base, size_t len, char *err, size_t errsz);

/* Frees the index (not the archive). */
void tarfs_close(struct tarfs *fs);

/* The entry (file or directory) called name[0, len) (no leading '/'), or NULL. A name that
 * only appears as the prefix of other entries ("a" for "a/b.html") is a directory too: its
 * entry is then NULL but tarfs_is_dir says true. */
const struct tarfs_file *tarfs_lookup(const struct tarfs *fs, const char *name, size_t len);

/* Whether name[0, len) is a directory of the tree: an entry of type '5', or the prefix of
 * another entry's name followed by '/'. The empty name (the root) is a directory. */
bool tarfs_is_dir(const struct tarfs *fs, const char *name, size_t len);

#endif
