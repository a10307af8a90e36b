/* ixmgr client: one command as authenticated request(s), retries and multi-part answers. */
#ifndef IXMGR_CLIENT_H
#define IXMGR_CLIENT_H

#include "tools/ixmgr/ixmgr.h"
#include "tools/ixmgr/transport.h"

/*
 * A fresh sequence number: the wall clock in microseconds, or the previous one plus one if
 * the clock did not advance, so every request of every invocation gets a larger one.
 */
uint64_t ixmgr_next_seq(void);

/* How many times an answer starts again from part 0 when its snapshot is gone. */
#define IXMGR_SNAPSHOT_RETRIES 5

/*
 * Sends command cmd with the argument records args[0..args_len) and collects the whole answer
 * (parts 0, 1, ... while the target sets MORE) into *reply, every part from the snapshot part
 * 0 named: if the target answers snapshot_gone, the answer starts again from part 0, at most
 * IXMGR_SNAPSHOT_RETRIES times (then snapshot_gone is the reported status); a part of another
 * snapshot is reported as internal, never kept. Each try of each part is a new request with a
 * new seq; a part gets o->retries + 1 tries of o->timeout_ms each. Returns IXMGR_EXIT_OK
 * (reply->status may still be an error the target reported, reply->text then holds its
 * `error msg=` record) or IXMGR_EXIT_UNREACHABLE, with a message printed.
 */
int ixmgr_call(struct ixmgr_conn *c, const struct ixmgr_opts *o, unsigned cmd, const char *args,
	       size_t args_len, struct ixmgr_reply *reply);

/* Frees reply's text. */
void ixmgr_reply_free(struct ixmgr_reply *reply);

#endif
