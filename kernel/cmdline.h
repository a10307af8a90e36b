/* The kernel command line: parsed once at boot into typed settings. */
#ifndef IXOS_CMDLINE_H
#define IXOS_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An IPv4 address (host byte order) with an optional prefix length (32 when absent), or, for
 * ip= and mgmt_ip=, the word dhcp: then set is false and dhcp true (the address comes later
 * from a DHCP server, net/dhcp_client.h).
 */
struct ipv4_cidr {
	bool set;
	bool dhcp;
	uint32_t addr;
	uint8_t prefix;
};

#define CMDLINE_MAX_IMAGE 128
#define CMDLINE_MAX_WORD 32

/* Log levels, as loglevel= takes them (number or name). */
enum {
	LOG_ERR = 3,
	LOG_WARN = 4,
	LOG_INFO = 6,
	LOG_DEBUG = 7,
};

/* What dataplane cores do with frames. */
enum {
	DP_MODE_STACK = 0, /* TCP/IP (lwIP) per core, serving the app through libix */
	DP_MODE_L2 = 1,	   /* only ARP and ping replies, built in place (no stack) */
	DP_MODE_REFLECT = 2, /* every frame back with its MACs swapped (measuring the NIC path) */
};

#define CMDLINE_KEY_HEX 64

struct kconfig {
	char image[CMDLINE_MAX_IMAGE];	/* first word when it is a path, e.g. "/boot/ixos.elf" */
	int dp_cores;			/* dp_cores=N; -1 when absent (all CPUs but the first) */
	struct ipv4_cidr ip;		/* ip=A.B.C.D[/N] or ip=dhcp: the dataplane address */
	struct ipv4_cidr gw;		/* gw=A.B.C.D: the dataplane gateway (no prefix allowed) */
	struct ipv4_cidr mgmt_ip;	/* mgmt_ip=A.B.C.D[/N] or dhcp: the management port's */
	int loglevel;			/* loglevel=0..7 or err|warn|info|debug; default LOG_INFO */
	bool selftest;			/* selftest: run the in-kernel checks before ready */
	char testfault[CMDLINE_MAX_WORD]; /* testfault=KIND: a deliberate fault (test hook) */
	int testfault_cpu;		/* testfault_cpu=N: which CPU takes the fault; default 0 */
	unsigned stats_interval;	/* stats_interval=S: print dataplane counters every S s */
	int dp_mode;			/* dp_mode=stack|l2|reflect, below; default stack */
	unsigned idle_us;		/* idle_us=N: idle time before a core sleeps; default 100 */
	unsigned conn_mem_mib;		/* conn_mem=MiB: connection state of all dataplane cores;
					 * 0 (default): a quarter of the memory free at start */
	unsigned app_runs;		/* app_runs=N: run each app module N times (default 1) */
	unsigned app_budget_us;		/* app_budget_us=N: an app's time between kernel entries */
	unsigned migrate_test_ms;	/* migrate_test=MS: test hook, 16 flow groups move every MS */
	char mgmt_key[CMDLINE_KEY_HEX + 1]; /* mgmt_key=64 hex digits: the management key */
	bool reta_skew;			/* reta_skew: test hook, the NIC steers every flow to the
					 * wrong core so the hand-off to its owner is exercised */
};

/* Called for each problem found; msg is a complete sentence naming the key. */
typedef void (*cmdline_warn_fn)(const char *msg);

/*
 * cmdline_parse fills cfg from the words of s (space or tab separated, key=value or a bare
 * flag). cfg is reset to defaults first. A first word without '=' that is not a known flag is
 * taken as the boot image path (GRUB, iPXE and QEMU put it there). Unknown keys, malformed
 * values and values out of range are reported through warn (may be NULL) and leave the
 * default in place; they never stop the parse. Returns the number of warnings. s may be NULL.
 */
int cmdline_parse(const char *s, struct kconfig *cfg, cmdline_warn_fn warn);

/* Formats an address as A.B.C.D or A.B.C.D/N (prefix shown when not 32), "dhcp" or "unset"
 * into buf. */
void cmdline_format_ipv4(const struct ipv4_cidr *a, char *buf, unsigned size);

#endif
