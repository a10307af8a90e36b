/* ixmgr commands: OBJECT COMMAND [ARGS] to protocol requests and output. */
#ifndef IXMGR_COMMANDS_H
#define IXMGR_COMMANDS_H

#include "tools/ixmgr/ixmgr.h"

struct ixmgr_cmd {
	const char *object;
	const char *verb; /* NULL: the object alone (status, stats, ...) */
	unsigned wire;	  /* enum mgmt_cmd */
	int min_args, max_args;
	bool json;	 /* has a --json form */
	bool repeat;	 /* read-only, may be repeated with -i */
	bool is_default; /* the verb used when only the object is given */
	const char *usage;
	const char *help;
};

/*
 * Finds the command for argv (OBJECT [COMMAND]); sets *consumed to the words used. Returns
 * NULL if the object or command is unknown.
 */
const struct ixmgr_cmd *ixmgr_cmd_find(int argc, char **argv, int *consumed);

/* True if the object name exists (for "ixmgr help OBJECT"). */
bool ixmgr_object_known(const char *object);

/*
 * Builds the argument records of command cmd from its words args[0..nargs) into buf. Returns
 * the length, or -1 with a message printed (a usage error).
 */
int ixmgr_cmd_args(const struct ixmgr_cmd *cmd, int nargs, char **args, const struct ixmgr_opts *o,
		   char *buf, size_t cap);

/* Prints the answer of cmd in format o->format. Returns an exit code. */
int ixmgr_cmd_print(const struct ixmgr_cmd *cmd, const struct ixmgr_opts *o,
		    const struct ixmgr_reply *reply);

/* Prints the overall usage (to f). */
void ixmgr_usage(FILE *f);

/* Prints the help of every command of object (or of everything if NULL). */
void ixmgr_help(FILE *f, const char *object);

#endif
