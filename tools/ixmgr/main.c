/* ixmgr: options, the key, and running OBJECT COMMAND [ARGS] against an ixos target. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/ixmgr/client.h"
#include "tools/ixmgr/commands.h"

#ifndef IXMGR_VERSION
#define IXMGR_VERSION "dev"
#endif

void ixmgr_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: ixmgr [options] OBJECT [COMMAND] [ARGS]\n"
	    "\n"
	    "objects and commands:\n"
	    "  status | stats [--prometheus] | log [-n LINES] | ping | reboot\n"
	    "  core show | core set COUNT\n"
	    "  app list | app start NAME | app stop | app restart\n"
	    "  config show | config set ip ADDR/PREFIX | config set gw ADDR\n"
	    "  key set                     provision an unconfigured target (serial only)\n"
	    "  help [OBJECT]               per-command help (also: ixmgr OBJECT --help)\n"
	    "\n"
	    "options:\n"
	    "  -t, --target TARGET   udp:HOST[:PORT] (port %u) or serial:PATH (tty or unix\n"
	    "                        socket); default $IXMGR_TARGET\n"
	    "  -k, --key-file FILE   file with the 64 hex digit key; default $IXMGR_KEY holds\n"
	    "                        the digits themselves (never on the command line)\n"
	    "  -j, --json            JSON output (refused by commands without a JSON form)\n"
	    "      --prometheus      Prometheus text format (stats only)\n"
	    "      --table, --records  force human tables / plain records (default: tables\n"
	    "                        on a terminal, records otherwise)\n"
	    "  -i, --interval SECS   repeat every SECS seconds (read-only commands)\n"
	    "  -c, --count N         with -i: stop after N runs\n"
	    "  -n, --lines N         log: number of lines (default 50)\n"
	    "      --timeout MS      wait per try (default 1000; commands that change\n"
	    "                        something wait at least 15000)\n"
	    "      --retries N       further tries, each with a new sequence number (default 3)\n"
	    "  -v, --verbose         trace requests and answers on stderr\n"
	    "  -h, --help            this help;  -V, --version: version\n"
	    "\n"
	    "exit status: 0 ok, 1 usage, 2 error reported by the target, 3 target unreachable\n",
	    MGMT_UDP_PORT);
}

/* Parses the 64 hex digits in s (surrounding white space allowed). */
static int key_from_text(const char *s, size_t len, uint8_t *key)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
			   s[len - 1] == '\t'))
		len--;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	return mgmt_key_parse(s, len, key);
}

/* Reads the key from path; refuses a file others can read. Returns 0 or -1 (message). */
static int key_from_file(const char *path, uint8_t *key)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "ixmgr: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & S_IROTH) {
		fprintf(stderr, "ixmgr: %s is readable by everyone; chmod 600 it\n", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRGRP | S_IWOTH | S_IWGRP))
		fprintf(stderr, "ixmgr: warning: %s is accessible to its group\n", path);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || key_from_text(buf, (size_t)n, key) < 0) {
		fprintf(stderr, "ixmgr: %s does not hold a key of 64 hex digits\n", path);
		return -1;
	}
	return 0;
}

static bool opt_uint(const char *s, unsigned long max, unsigned *out)
{
	char *e;
	unsigned long v;

	if (!*s || *s == '-')
		return false;
	v = strtoul(s, &e, 10);
	if (*e || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

enum { OPT_PROM = 256, OPT_TIMEOUT, OPT_RETRIES, OPT_TABLE, OPT_RECORDS };

static const struct option ixmgr_long_opts[] = {
    {"target", required_argument, NULL, 't'},
    {"key-file", required_argument, NULL, 'k'},
    {"json", no_argument, NULL, 'j'},
    {"prometheus", no_argument, NULL, OPT_PROM},
    {"table", no_argument, NULL, OPT_TABLE},
    {"records", no_argument, NULL, OPT_RECORDS},
    {"interval", required_argument, NULL, 'i'},
    {"count", required_argument, NULL, 'c'},
    {"lines", required_argument, NULL, 'n'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Runs cmd once: returns an exit code. */
static int run_once(struct ixmgr_conn *conn, const struct ixmgr_cmd *cmd,
		    const struct ixmgr_opts *o, const char *args, size_t args_len)
{
	struct ixmgr_reply reply;
	int rc = ixmgr_call(conn, o, cmd->wire, args, args_len, &reply);

	if (rc == IXMGR_EXIT_OK)
		rc = ixmgr_cmd_print(cmd, o, &reply);
	ixmgr_reply_free(&reply);
	fflush(stdout);
	return rc;
}

int main(int argc, char **argv)
{
	struct ixmgr_opts o = {.timeout_ms = 1000, .retries = 3, .lines = 50};
	const char *key_file = NULL;
	bool help = false;
	int c;

	o.target = getenv("IXMGR_TARGET");
	while ((c = getopt_long(argc, argv, "t:k:ji:c:n:vhV", ixmgr_long_opts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.target = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'j':
			o.format = IXMGR_FMT_JSON;
			break;
		case OPT_PROM:
			o.format = IXMGR_FMT_PROMETHEUS;
			break;
		case OPT_TABLE:
			o.format = IXMGR_FMT_TABLE;
			break;
		case OPT_RECORDS:
			o.format = IXMGR_FMT_RECORDS;
			break;
		case 'i':
			if (!opt_uint(optarg, 86400, &o.interval_s) || o.interval_s == 0)
				goto bad;
			break;
		case 'c':
			if (!opt_uint(optarg, 1000000000, &o.count) || o.count == 0)
				goto bad;
			break;
		case 'n':
			if (!opt_uint(optarg, 1000, &o.lines) || o.lines == 0)
				goto bad;
			break;
		case OPT_TIMEOUT:
			if (!opt_uint(optarg, 600000, &o.timeout_ms) || o.timeout_ms == 0)
				goto bad;
			break;
		case OPT_RETRIES:
			if (!opt_uint(optarg, 100, &o.retries))
				goto bad;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			printf("ixmgr %s (management protocol version %u)\n", IXMGR_VERSION,
			       MGMT_VERSION);
			return IXMGR_EXIT_OK;
		default:
			ixmgr_usage(stderr);
			return IXMGR_EXIT_USAGE;
		bad:
			fprintf(stderr, "ixmgr: bad value '%s' for -%c\n", optarg,
				c < 256 ? c : '-');
			return IXMGR_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	/* Help: "ixmgr --help", "ixmgr help [OBJECT]", "ixmgr OBJECT [COMMAND] --help". */
	if (argc > 0 && strcmp(argv[0], "help") == 0) {
		if (argc > 1 && !ixmgr_object_known(argv[1])) {
			fprintf(stderr, "ixmgr: no such object '%s'\n", argv[1]);
			return IXMGR_EXIT_USAGE;
		}
		if (argc > 1)
			ixmgr_help(stdout, argv[1]);
		else
			ixmgr_usage(stdout);
		return IXMGR_EXIT_OK;
	}
	if (help || argc == 0) {
		if (argc > 0 && ixmgr_object_known(argv[0]))
			ixmgr_help(stdout, argv[0]);
		else
			ixmgr_usage(help ? stdout : stderr);
		return help ? IXMGR_EXIT_OK : IXMGR_EXIT_USAGE;
	}

	int used = 0;
	const struct ixmgr_cmd *cmd = ixmgr_cmd_find(argc, argv, &used);
	if (!cmd) {
		if (ixmgr_object_known(argv[0]))
			fprintf(stderr, "ixmgr: %s: unknown command%s%s; try 'ixmgr help %s'\n",
				argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "", argv[0]);
		else
			fprintf(stderr, "ixmgr: unknown object '%s'; try 'ixmgr --help'\n",
				argv[0]);
		return IXMGR_EXIT_USAGE;
	}
	if (o.format == IXMGR_FMT_JSON && !cmd->json) {
		fprintf(stderr, "ixmgr: '%s' has no JSON form\n", cmd->usage);
		return IXMGR_EXIT_USAGE;
	}
	if (o.format == IXMGR_FMT_PROMETHEUS && cmd->wire != MGMT_CMD_STATS) {
		fprintf(stderr, "ixmgr: --prometheus is for 'stats' only\n");
		return IXMGR_EXIT_USAGE;
	}
	if ((o.interval_s || o.count) && !cmd->repeat) {
		fprintf(stderr, "ixmgr: '%s' cannot be repeated with -i/-c\n", cmd->usage);
		return IXMGR_EXIT_USAGE;
	}
	if (o.count && !o.interval_s) {
		fprintf(stderr, "ixmgr: -c needs -i\n");
		return IXMGR_EXIT_USAGE;
	}
	if (!o.target) {
		fprintf(stderr, "ixmgr: no target: use -t udp:HOST[:PORT] | serial:PATH or "
				"IXMGR_TARGET\n");
		return IXMGR_EXIT_USAGE;
	}
	if (key_file) {
		if (key_from_file(key_file, o.key) < 0)
			return IXMGR_EXIT_USAGE;
	} else if (getenv("IXMGR_KEY")) {
		const char *k = getenv("IXMGR_KEY");
		if (key_from_text(k, strlen(k), o.key) < 0) {
			fprintf(stderr, "ixmgr: IXMGR_KEY is not 64 hex digits\n");
			return IXMGR_EXIT_USAGE;
		}
	} else {
		fprintf(stderr, "ixmgr: no key: use -k FILE or IXMGR_KEY\n");
		return IXMGR_EXIT_USAGE;
	}
	o.have_key = true;
	if (cmd->wire == MGMT_CMD_KEY_SET && strncmp(o.target, "serial:", 7) != 0) {
		fprintf(stderr, "ixmgr: key set works over serial targets only\n");
		return IXMGR_EXIT_USAGE;
	}

	char args[MGMT_PAYLOAD_MAX + 1];
	int args_len = ixmgr_cmd_args(cmd, argc - used, argv + used, &o, args, sizeof(args));
	if (args_len < 0)
		return IXMGR_EXIT_USAGE;

	struct ixmgr_conn conn;
	char err[256];
	if (ixmgr_conn_open(&conn, o.target, err, sizeof(err)) < 0) {
		fprintf(stderr, "ixmgr: %s\n", err);
		return IXMGR_EXIT_UNREACHABLE;
	}
	int rc;
	for (unsigned run = 1;; run++) {
		rc = run_once(&conn, cmd, &o, args, (size_t)args_len);
		if (!o.interval_s || (o.count && run >= o.count) || rc == IXMGR_EXIT_USAGE)
			break;
		sleep(o.interval_s);
	}
	ixmgr_conn_close(&conn);
	return rc;
}
