/* ixmgr: the host CLI for the ixos management protocol (shared declarations). */
#ifndef IXMGR_H
#define IXMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mgmt/proto.h"

/* Exit codes (documented in ixmgr.8). */
enum {
	IXMGR_EXIT_OK = 0,
	IXMGR_EXIT_USAGE = 1,
	IXMGR_EXIT_TARGET = 2,	    /* the target answered with an error status */
	IXMGR_EXIT_UNREACHABLE = 3, /* no (valid) answer after all retries, or connect failed */
};

enum ixmgr_format {
	IXMGR_FMT_AUTO = 0, /* table on a terminal, records otherwise */
	IXMGR_FMT_TABLE,
	IXMGR_FMT_RECORDS,
	IXMGR_FMT_JSON,
	IXMGR_FMT_PROMETHEUS,
};

struct ixmgr_opts {
	const char *target; /* "udp:HOST[:PORT]" or "serial:PATH" */
	uint8_t key[MGMT_KEY_LEN];
	bool have_key;
	enum ixmgr_format format;
	unsigned interval_s; /* -i: 0 = run once */
	unsigned count;	     /* -c: 0 = unbounded with -i */
	unsigned timeout_ms;
	unsigned retries;
	unsigned lines; /* log -n */
	bool verbose;
};

/* A complete (all parts) answer from the target. */
struct ixmgr_reply {
	unsigned status;       /* enum mgmt_status as the target sent it */
	bool unauthenticated;  /* status came in an unauthenticated error response */
	unsigned peer_version; /* of that response (MGMT_VERSION_V1: an older target) */
	char *text;	       /* all parts' payloads, NUL-terminated (malloc'd) */
	size_t len;
	uint64_t rtt_us; /* of the last part */
};

#endif
