/* ixmgr command table: argument records for each request and how its answer is printed. */
#include "tools/ixmgr/commands.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/ixmgr/output.h"

static const struct ixmgr_cmd ixmgr_cmds[] = {
    {"status", NULL, MGMT_CMD_STATUS, 0, 0, true, true, true, "status",
     "Version, uptime, cores and their roles, links, addresses and the app."},
    {"stats", NULL, MGMT_CMD_STATS, 0, 0, true, true, true, "stats [--prometheus]",
     "Per dataplane core: packets, bytes, drops, batch sizes, loop time, idle fraction;\n"
     "TCP connections and retransmits; per app; management counters. --prometheus prints\n"
     "the Prometheus text format."},
    {"log", NULL, MGMT_CMD_LOG, 0, 0, true, true, true, "log [-n LINES]",
     "The last LINES (default 50, at most 1000) lines of the kernel log."},
    {"ping", NULL, MGMT_CMD_PING, 0, 0, true, true, true, "ping",
     "Checks that the management core answers; prints the round-trip time."},
    {"reboot", NULL, MGMT_CMD_REBOOT, 0, 0, false, false, true, "reboot",
     "Reboots the target (it answers first). No --json form."},
    {"core", "show", MGMT_CMD_CORE_SHOW, 0, 0, true, true, true, "core show",
     "Active and possible dataplane cores, each core's role, queue and flow groups."},
    {"core", "set", MGMT_CMD_CORE_SET, 1, 1, true, false, false, "core set COUNT",
     "Sets the number of active dataplane cores; flow groups and their TCP connections move\n"
     "to the remaining or new cores without being dropped."},
    {"app", "list", MGMT_CMD_APP_LIST, 0, 0, true, true, true, "app list",
     "The apps the target can run and their state."},
    {"app", "start", MGMT_CMD_APP_START, 1, 1, true, false, false, "app start NAME",
     "Starts the app NAME (a boot module)."},
    {"app", "stop", MGMT_CMD_APP_STOP, 0, 0, true, false, false, "app stop",
     "Stops the running app."},
    {"app", "restart", MGMT_CMD_APP_RESTART, 0, 0, true, false, false, "app restart",
     "Stops and starts the running app again."},
    {"config", "show", MGMT_CMD_CONFIG_GET, 0, 0, true, true, true, "config show",
     "The dataplane address and prefix, the gateway and the management address."},
    {"config", "set", MGMT_CMD_CONFIG_SET, 2, 4, true, false, false,
     "config set ip ADDR/PREFIX | gw ADDR ...",
     "Sets the dataplane address (ip 198.18.0.2/24) and/or the gateway (gw 198.18.0.1)."},
    {"key", "set", MGMT_CMD_KEY_SET, 0, 0, false, false, false, "key set",
     "Provisions the key from -k FILE or IXMGR_KEY on a target that has none. Serial\n"
     "targets only (the key travels in clear). No --json form."},
};

#define IXMGR_NCMDS (sizeof(ixmgr_cmds) / sizeof(ixmgr_cmds[0]))

bool ixmgr_object_known(const char *object)
{
	for (size_t i = 0; i < IXMGR_NCMDS; i++)
		if (strcmp(ixmgr_cmds[i].object, object) == 0)
			return true;
	return false;
}

const struct ixmgr_cmd *ixmgr_cmd_find(int argc, char **argv, int *consumed)
{
	const struct ixmgr_cmd *dflt = NULL;

	if (argc < 1)
		return NULL;
	for (size_t i = 0; i < IXMGR_NCMDS; i++) {
		const struct ixmgr_cmd *c = &ixmgr_cmds[i];
		if (strcmp(c->object, argv[0]) != 0)
			continue;
		if (!c->verb) {
			*consumed = 1;
			return c;
		}
		if (argc >= 2 && strcmp(c->verb, argv[1]) == 0) {
			*consumed = 2;
			return c;
		}
		if (c->is_default)
			dflt = c;
	}
	/* "ixmgr core" alone means "ixmgr core show" (as ip(8) does). */
	if (dflt && argc == 1) {
		*consumed = 1;
		return dflt;
	}
	return NULL;
}

static bool args_number(const char *s, unsigned long max, unsigned long *out)
{
	char *e;

	if (!*s || *s < '0' || *s > '9')
		return false;
	*out = strtoul(s, &e, 10);
	return !*e && *out <= max;
}

static bool args_ipv4(const char *s, bool prefix)
{
	char addr[32];
	const char *slash = strchr(s, '/');
	unsigned long len;
	struct in_addr a;

	if (prefix != (slash != NULL))
		return false;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(addr))
		return false; /* longer than any address: never check a cut copy */
	snprintf(addr, sizeof(addr), "%.*s", (int)n, s);
	if (inet_pton(AF_INET, addr, &a) != 1)
		return false;
	return !slash || (args_number(slash + 1, 32, &len) && len >= 1);
}

int ixmgr_cmd_args(const struct ixmgr_cmd *cmd, int nargs, char **args, const struct ixmgr_opts *o,
		   char *buf, size_t cap)
{
	struct mgmt_buf b;
	unsigned long n;

	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		fprintf(stderr, "usage: ixmgr %s\n", cmd->usage);
		return -1;
	}
	mgmt_buf_init(&b, buf, cap);
	switch (cmd->wire) {
	case MGMT_CMD_LOG:
		mgmt_rec_begin(&b, "arg");
		mgmt_rec_u64(&b, "lines", o->lines);
		mgmt_rec_end(&b);
		break;
	case MGMT_CMD_CORE_SET:
		if (!args_number(args[0], 255, &n) || n == 0) {
			fprintf(stderr, "ixmgr: core set: COUNT must be a number from 1\n");
			return -1;
		}
		mgmt_rec_begin(&b, "arg");
		mgmt_rec_u64(&b, "count", n);
		mgmt_rec_end(&b);
		break;
	case MGMT_CMD_APP_START:
		if (!mgmt_name_ok(args[0], strlen(args[0]))) {
			fprintf(stderr, "ixmgr: app start: bad app name '%s'\n", args[0]);
			return -1;
		}
		mgmt_rec_begin(&b, "arg");
		mgmt_rec_str(&b, "name", args[0]);
		mgmt_rec_end(&b);
		break;
	case MGMT_CMD_CONFIG_SET:
		if (nargs % 2) {
			fprintf(stderr, "usage: ixmgr %s\n", cmd->usage);
			return -1;
		}
		mgmt_rec_begin(&b, "arg");
		for (int i = 0; i < nargs; i += 2) {
			bool ip = strcmp(args[i], "ip") == 0;
			if (!ip && strcmp(args[i], "gw") != 0) {
				fprintf(stderr, "ixmgr: config set: unknown setting '%s'\n",
					args[i]);
				return -1;
			}
			if (!args_ipv4(args[i + 1], ip)) {
				fprintf(stderr, "ixmgr: config set %s: '%s' is not %s\n", args[i],
					args[i + 1], ip ? "ADDR/PREFIX" : "an IPv4 address");
				return -1;
			}
			mgmt_rec_str(&b, ip ? "ip" : "gw", args[i + 1]);
		}
		mgmt_rec_end(&b);
		break;
	case MGMT_CMD_KEY_SET: {
		char hex[MGMT_KEY_HEX_LEN + 1];
		for (int i = 0; i < MGMT_KEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", o->key[i]);
		mgmt_rec_begin(&b, "arg");
		mgmt_rec_str(&b, "key", hex);
		mgmt_rec_end(&b);
		break;
	}
	default:
		break;
	}
	return b.overflow ? -1 : (int)b.len;
}

/* The message of an "error msg=..." record in text, or "" */
static const char *print_error_msg(const struct ixmgr_reply *r, char *buf, size_t cap)
{
	struct mgmt_rec_iter it;
	struct mgmt_rec rec;
	const char *v;
	size_t n;

	buf[0] = '\0';
	mgmt_rec_iter_init(&it, r->text, r->len);
	while (mgmt_rec_next(&it, &rec) == 1) {
		if (mgmt_rec_is(&rec, "error") && mgmt_rec_get(&rec, "msg", &v, &n)) {
			if (mgmt_unescape(v, n, buf, cap) < 0)
				buf[0] = '\0';
			break;
		}
	}
	return buf;
}

int ixmgr_cmd_print(const struct ixmgr_cmd *cmd, const struct ixmgr_opts *o,
		    const struct ixmgr_reply *r)
{
	enum ixmgr_format fmt = o->format;
	int rc = 0;

	if (r->unauthenticated) {
		const char *hint = "";
		if (r->status == MGMT_ST_BAD_MAC)
			hint = " (wrong key?)";
		else if (r->status == MGMT_ST_NOT_PROVISIONED)
			hint = " (no key on the target: ixmgr key set over serial)";
		else if (r->status == MGMT_ST_BAD_VERSION && r->peer_version == MGMT_VERSION_V1)
			hint = " (the target speaks protocol version 1; this ixmgr speaks 2)";
		fprintf(stderr,
			"ixmgr: target refused the request: %s%s [unauthenticated answer]\n",
			mgmt_status_name(r->status), hint);
		return IXMGR_EXIT_TARGET;
	}
	if (r->status != MGMT_OK) {
		char msg[512];
		const char *hint = "";
		print_error_msg(r, msg, sizeof(msg));
		if (r->status == MGMT_ST_TOO_LARGE && cmd->wire == MGMT_CMD_LOG)
			hint = " (ask for fewer lines with -n)";
		else if (r->status == MGMT_ST_SNAPSHOT_GONE)
			hint = " (other clients' answers kept replacing it; try again)";
		fprintf(stderr, "ixmgr: %s: %s%s%s%s\n", cmd->usage, mgmt_status_name(r->status),
			msg[0] ? ": " : "", msg, hint);
		return IXMGR_EXIT_TARGET;
	}
	if (fmt == IXMGR_FMT_AUTO)
		fmt = isatty(fileno(stdout)) ? IXMGR_FMT_TABLE : IXMGR_FMT_RECORDS;
	switch (cmd->wire) {
	case MGMT_CMD_PING:
		if (fmt == IXMGR_FMT_JSON)
			printf("{\"ok\":true,\"rtt_us\":%llu}\n", (unsigned long long)r->rtt_us);
		else
			printf("pong from %s: time=%llu.%03llu ms\n", o->target,
			       (unsigned long long)(r->rtt_us / 1000),
			       (unsigned long long)(r->rtt_us % 1000));
		return IXMGR_EXIT_OK;
	case MGMT_CMD_REBOOT:
		printf("%s: rebooting\n", o->target);
		return IXMGR_EXIT_OK;
	case MGMT_CMD_KEY_SET:
		printf("%s: key set\n", o->target);
		return IXMGR_EXIT_OK;
	case MGMT_CMD_LOG:
		if (fmt != IXMGR_FMT_JSON) {
			rc = ixmgr_out_log(stdout, r->text, r->len);
			break;
		}
		/* fall through */
	default:
		if (fmt == IXMGR_FMT_JSON)
			rc = ixmgr_out_json(stdout, r->text, r->len);
		else if (fmt == IXMGR_FMT_PROMETHEUS)
			rc = ixmgr_out_prometheus(stdout, r->text, r->len);
		else if (fmt == IXMGR_FMT_TABLE)
			rc = ixmgr_out_table(stdout, r->text, r->len);
		else
			rc = ixmgr_out_records(stdout, r->text, r->len);
		break;
	}
	if (rc < 0) {
		fprintf(stderr, "ixmgr: the target sent malformed records\n");
		return IXMGR_EXIT_TARGET;
	}
	return IXMGR_EXIT_OK;
}

void ixmgr_help(FILE *f, const char *object)
{
	for (size_t i = 0; i < IXMGR_NCMDS; i++) {
		const struct ixmgr_cmd *c = &ixmgr_cmds[i];
		if (object && strcmp(c->object, object) != 0)
			continue;
		fprintf(f, "ixmgr [options] %s\n", c->usage);
		for (const char *p = c->help; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			fprintf(f, "    %.*s\n", (int)n, p);
			p += n + (nl ? 1 : 0);
		}
		if (!c->json)
			fprintf(f, "    (--json: refused)\n");
	}
}
