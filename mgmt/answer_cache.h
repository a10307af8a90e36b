/*
 * The management core's kept answers (docs/mgmt-protocol.md, "Parts and snapshots"). Every
 * answer is built whole and gets a snapshot id; one of more than one part is kept under that
 * id, so that part k of snapshot S is cut from exactly the text part 0 of S came from, whoever
 * asks and whatever was asked in between. MGMT_SNAPS answers are kept; a new one evicts the
 * oldest, and a part of an evicted snapshot is answered snapshot_gone (the client starts
 * again from part 0). An answer whose records did not fit is never served: it becomes a
 * too_large error.
 *
 * Pure logic over the caller's memory (no allocation, no I/O, no printf), compiled into the
 * kernel and into the host unit tests.
 */
#ifndef IXOS_MGMT_ANSWER_CACHE_H
#define IXOS_MGMT_ANSWER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mgmt/proto.h"

#define MGMT_SNAPS 4 /* multi-part answers kept at once */

/* One kept answer. */
struct mgmt_snap {
	char *text;
	size_t len;
	uint64_t stamp; /* when it was kept (larger is newer); 0: the slot is empty */
	uint32_t id;
	uint16_t cmd;
};

struct mgmt_cache {
	struct mgmt_snap snap[MGMT_SNAPS];
	char *scratch; /* where the next answer is built: never a kept answer's text */
	size_t cap;    /* bytes of each of the MGMT_SNAPS + 1 buffers */
	uint64_t stamp;
	uint32_t next_id;
};

/*
 * Builds the records of one answer (the shape of mgmt_cmd_run): the status, the records in
 * out, and whether the command changed something.
 */
typedef enum mgmt_status (*mgmt_build_fn)(const struct mgmt_hdr *h, const char *args, size_t alen,
					  struct mgmt_buf *out, bool *changes, void *ctx);

/* What to send for one request. */
struct mgmt_part_out {
	unsigned status;
	unsigned flags;	  /* MGMT_FLAG_MORE */
	uint32_t snap;	  /* the answer's snapshot id; for an error, the request's */
	const char *text; /* the payload: into a kept or just built answer, or into err */
	size_t len;	  /* at most MGMT_PAYLOAD_MAX */
	bool ran;	  /* the command was run (part 0) */
	bool evicted;	  /* keeping this answer evicted an older one */
	char err[256];	  /* room for an `error msg=...` record */
};

/*
 * Starts an empty cache over mem, which holds (MGMT_SNAPS + 1) * cap bytes (cap >= 2). Ids
 * are handed out from first_id on (0 is skipped): a boot-dependent start keeps an id a
 * client got before a reboot from naming another answer after it.
 */
void mgmt_cache_init(struct mgmt_cache *c, char *mem, size_t cap, uint32_t first_id);

/*
 * Answers the authentic, fresh request h with arguments args[0..alen). Part 0 runs build into
 * the scratch buffer and gives the answer a new snapshot id: an ok answer whose records did
 * not all fit is refused with too_large (and an `error msg=` record saying how many bytes it
 * needed), one with a cut value with internal; an ok answer of more than one part is kept
 * (the oldest kept one evicted). A part k > 0 never runs the command: it is cut from the kept
 * snapshot h->snap (which must be an answer to the same command), or answered snapshot_gone
 * if that is no longer kept, bad_argument if h->snap is 0 or part k does not exist. *r says
 * what to send; r->text stays valid until the next call.
 */
void mgmt_cache_answer(struct mgmt_cache *c, const struct mgmt_hdr *h, const char *args,
		       size_t alen, mgmt_build_fn build, void *ctx, struct mgmt_part_out *r);

/* The kept snapshot with this id, or NULL. */
const struct mgmt_snap *mgmt_cache_find(const struct mgmt_cache *c, uint32_t id);

#endif
