/* Kernel command-line parser: words of key=value settings into struct kconfig. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cmdline.h"
#include "kernel/lib/printf.h"

/* Longest part of a user-supplied key or value quoted back in a warning. */
#define CMDLINE_QUOTE_MAX 48

enum cmdline_key {
	KEY_DP_CORES,
	KEY_IP,
	KEY_GW,
	KEY_MGMT_IP,
	KEY_LOGLEVEL,
	KEY_SELFTEST,
	KEY_TESTFAULT,
	KEY_TESTFAULT_CPU,
	KEY_STATS_INTERVAL,
	KEY_DP_MODE,
	KEY_IDLE_US,
	KEY_CONN_MEM,
	KEY_RETA_SKEW,
	KEY_MIGRATE_TEST,
	KEY_APP_BUDGET_US,
	KEY_APP_RUNS,
	KEY_MGMT_KEY,
	KEY_COUNT,
};

#define CMDLINE_FIELD(key, name, field)                                                            \
	[key] = {name, offsetof(struct kconfig, field), sizeof(((struct kconfig *)0)->field)}

/* Each key's name and the field it sets, so a rejected value can put the default back. */
static const struct {
	const char *name;
	size_t off, size;
} cmdline_keys[KEY_COUNT] = {
    CMDLINE_FIELD(KEY_DP_CORES, "dp_cores", dp_cores),
    CMDLINE_FIELD(KEY_IP, "ip", ip),
    CMDLINE_FIELD(KEY_GW, "gw", gw),
    CMDLINE_FIELD(KEY_MGMT_IP, "mgmt_ip", mgmt_ip),
    CMDLINE_FIELD(KEY_LOGLEVEL, "loglevel", loglevel),
    CMDLINE_FIELD(KEY_SELFTEST, "selftest", selftest),
    CMDLINE_FIELD(KEY_TESTFAULT, "testfault", testfault),
    CMDLINE_FIELD(KEY_TESTFAULT_CPU, "testfault_cpu", testfault_cpu),
    CMDLINE_FIELD(KEY_STATS_INTERVAL, "stats_interval", stats_interval),
    CMDLINE_FIELD(KEY_DP_MODE, "dp_mode", dp_mode),
    CMDLINE_FIELD(KEY_IDLE_US, "idle_us", idle_us),
    CMDLINE_FIELD(KEY_CONN_MEM, "conn_mem", conn_mem_mib),
    CMDLINE_FIELD(KEY_RETA_SKEW, "reta_skew", reta_skew),
    CMDLINE_FIELD(KEY_MIGRATE_TEST, "migrate_test", migrate_test_ms),
    CMDLINE_FIELD(KEY_APP_BUDGET_US, "app_budget_us", app_budget_us),
    CMDLINE_FIELD(KEY_APP_RUNS, "app_runs", app_runs),
    CMDLINE_FIELD(KEY_MGMT_KEY, "mgmt_key", mgmt_key),
};

/* A piece of the command line: not NUL-terminated. */
struct cmdline_slice {
	const char *p;
	size_t n;
};

struct cmdline_state {
	cmdline_warn_fn warn;
	int nwarn;
};

static void cmdline_warn(struct cmdline_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void cmdline_warn(struct cmdline_state *st, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	st->nwarn++;
	if (!st->warn)
		return;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->warn(msg);
}

static int cmdline_qlen(struct cmdline_slice s)
{
	return s.n > CMDLINE_QUOTE_MAX ? CMDLINE_QUOTE_MAX : (int)s.n;
}

static const char *cmdline_ellipsis(struct cmdline_slice s)
{
	return s.n > CMDLINE_QUOTE_MAX ? "..." : "";
}

static bool cmdline_eq(struct cmdline_slice s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (lit[i] != s.p[i])
			return false;
	return lit[i] == '\0';
}

static bool cmdline_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses a decimal integer in 0..max from all of s. */
static bool cmdline_uint(struct cmdline_slice s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (s.n == 0)
		return false;
	for (i = 0; i < s.n; i++) {
		if (!cmdline_is_digit(s.p[i]))
			return false;
		v = v * 10 + (unsigned)(s.p[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/*
 * Parses A.B.C.D, then /N if allow_prefix. Octets with a leading zero are refused because
 * other tools read "010" as octal 8.
 */
static bool cmdline_ipv4(struct cmdline_slice s, bool allow_prefix, struct ipv4_cidr *out)
{
	uint32_t addr = 0;
	size_t i = 0;
	unsigned prefix = 32;
	int oct;

	for (oct = 0; oct < 4; oct++) {
		unsigned v = 0;
		size_t start = i;

		if (oct > 0) {
			if (i >= s.n || s.p[i] != '.')
				return false;
			start = ++i;
		}
		while (i < s.n && cmdline_is_digit(s.p[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s.p[i++] - '0');
		if (i == start || v > 255 || (s.p[start] == '0' && i - start > 1))
			return false;
		addr = addr << 8 | v;
	}
	if (i < s.n) {
		struct cmdline_slice rest = {s.p + i + 1, s.n - i - 1};

		if (!allow_prefix || s.p[i] != '/' || rest.n > 2 ||
		    !cmdline_uint(rest, 32, &prefix))
			return false;
	}
	out->set = true;
	out->addr = addr;
	out->prefix = (uint8_t)prefix;
	return true;
}

static bool cmdline_word_chars(struct cmdline_slice s)
{
	size_t i;

	for (i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || cmdline_is_digit(c) ||
		      c == '_'))
			return false;
	}
	return s.n > 0;
}

static bool cmdline_loglevel(struct cmdline_slice s, int *out)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
	    {"err", LOG_ERR}, {"warn", LOG_WARN}, {"info", LOG_INFO}, {"debug", LOG_DEBUG}};
	unsigned v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (cmdline_eq(s, names[i].name)) {
			*out = names[i].level;
			return true;
		}
	}
	if (!cmdline_uint(s, 7, &v))
		return false;
	*out = (int)v;
	return true;
}

static void cmdline_defaults(struct kconfig *cfg)
{
	*cfg = (struct kconfig){
	    .dp_cores = -1,
	    .loglevel = LOG_INFO,
	    .idle_us = 100,
	    .app_budget_us = 10000,
	    .app_runs = 1,
	};
}

static void cmdline_reset(struct kconfig *cfg, enum cmdline_key k)
{
	struct kconfig def;
	size_t i;

	cmdline_defaults(&def);
	for (i = 0; i < cmdline_keys[k].size; i++)
		((char *)cfg)[cmdline_keys[k].off + i] = ((char *)&def)[cmdline_keys[k].off + i];
}

/*
 * Applies key=v, or the bare key when !has_val. A rejected value puts the default back, so the
 * last occurrence of a key decides its setting whether or not it is valid.
 */
static void cmdline_apply(struct cmdline_state *st, struct kconfig *cfg, enum cmdline_key k,
			  struct cmdline_slice v, bool has_val)
{
	const char *expected = NULL;
	struct ipv4_cidr a = {0};
	unsigned u;

	if (!has_val && k != KEY_SELFTEST && k != KEY_RETA_SKEW) {
		cmdline_reset(cfg, k);
		cmdline_warn(st, "key '%s' needs a value (%s=...); using the default",
			     cmdline_keys[k].name, cmdline_keys[k].name);
		return;
	}

	switch (k) {
	case KEY_DP_CORES:
	case KEY_TESTFAULT_CPU:
		if (cmdline_uint(v, 255, &u))
			*(k == KEY_DP_CORES ? &cfg->dp_cores : &cfg->testfault_cpu) = (int)u;
		else
			expected = "0..255";
		break;
	case KEY_IP:
	case KEY_MGMT_IP:
		if (cmdline_eq(v, "dhcp"))
			a.dhcp = true;
		if (a.dhcp || cmdline_ipv4(v, true, &a))
			*(k == KEY_IP ? &cfg->ip : &cfg->mgmt_ip) = a;
		else
			expected = "A.B.C.D, A.B.C.D/N or dhcp";
		break;
	case KEY_GW:
		if (cmdline_ipv4(v, false, &a))
			cfg->gw = a;
		else
			expected = "A.B.C.D, no prefix";
		break;
	case KEY_LOGLEVEL:
		if (!cmdline_loglevel(v, &cfg->loglevel))
			expected = "0..7, err, warn, info or debug";
		break;
	case KEY_SELFTEST:
		if (!has_val || cmdline_eq(v, "1")) {
			cfg->selftest = true;
		} else if (cmdline_eq(v, "0")) {
			cfg->selftest = false;
		} else {
			cmdline_reset(cfg, k);
			cmdline_warn(st,
				     "'selftest' takes no value other than 0 or 1 (got '%.*s%s')",
				     cmdline_qlen(v), v.p, cmdline_ellipsis(v));
		}
		break;
	case KEY_TESTFAULT:
		if (v.n >= CMDLINE_MAX_WORD) {
			cmdline_reset(cfg, k);
			cmdline_warn(st,
				     "value '%.*s%s' for 'testfault' is longer than %d characters; "
				     "using the default",
				     cmdline_qlen(v), v.p, cmdline_ellipsis(v),
				     CMDLINE_MAX_WORD - 1);
		} else if (cmdline_word_chars(v)) {
			for (u = 0; u < v.n; u++)
				cfg->testfault[u] = v.p[u];
			cfg->testfault[v.n] = '\0';
		} else {
			expected = "letters, digits and '_'";
		}
		break;
	case KEY_MGMT_KEY:
		/* Never quoted back: it is a secret. */
		for (u = 0; u < v.n && u < CMDLINE_KEY_HEX; u++)
			if (!cmdline_is_digit(v.p[u]) && !((v.p[u] | 0x20) >= 'a' && (v.p[u] | 0x20) <= 'f'))
				break;
		if (v.n == CMDLINE_KEY_HEX && u == CMDLINE_KEY_HEX) {
			for (u = 0; u < v.n; u++)
				cfg->mgmt_key[u] = v.p[u];
			cfg->mgmt_key[v.n] = '\0';
		} else {
			cmdline_reset(cfg, k);
			cmdline_warn(st, "'mgmt_key' must be exactly %d hex digits (got %u characters); "
				     "management stays unprovisioned", CMDLINE_KEY_HEX, (unsigned)v.n);
		}
		break;
	case KEY_STATS_INTERVAL:
		if (cmdline_uint(v, 3600, &u))
			cfg->stats_interval = u;
		else
			expected = "0..3600 seconds";
		break;
	case KEY_DP_MODE:
		if (cmdline_eq(v, "stack"))
			cfg->dp_mode = DP_MODE_STACK;
		else if (cmdline_eq(v, "l2"))
			cfg->dp_mode = DP_MODE_L2;
		else if (cmdline_eq(v, "reflect"))
			cfg->dp_mode = DP_MODE_REFLECT;
		else
			expected = "stack, l2 or reflect";
		break;
	case KEY_IDLE_US:
		if (cmdline_uint(v, 1000000, &u))
			cfg->idle_us = u;
		else
			expected = "0..1000000 microseconds";
		break;
	case KEY_CONN_MEM:
		if (cmdline_uint(v, 1u << 20, &u) && u > 0)
			cfg->conn_mem_mib = u;
		else
			expected = "1..1048576 MiB";
		break;
	case KEY_APP_RUNS:
		if (cmdline_uint(v, 1000, &u) && u > 0)
			cfg->app_runs = u;
		else
			expected = "1..1000";
		break;
	case KEY_APP_BUDGET_US:
		if (cmdline_uint(v, 10000000, &u))
			cfg->app_budget_us = u;
		else
			expected = "0..10000000 microseconds (0: no limit)";
		break;
	case KEY_MIGRATE_TEST:
		if (cmdline_uint(v, 60000, &u))
			cfg->migrate_test_ms = u;
		else
			expected = "0..60000 milliseconds";
		break;
	case KEY_RETA_SKEW:
		if (!has_val || cmdline_eq(v, "1"))
			cfg->reta_skew = true;
		else if (cmdline_eq(v, "0"))
			cfg->reta_skew = false;
		else
			expected = "no value, 0 or 1";
		break;
	case KEY_COUNT:
		break;
	}
	if (expected) {
		cmdline_reset(cfg, k);
		cmdline_warn(st, "bad value '%.*s%s' for '%s' (expected %s); using the default",
			     cmdline_qlen(v), v.p, cmdline_ellipsis(v), cmdline_keys[k].name,
			     expected);
	}
}

static void cmdline_set_image(struct cmdline_state *st, struct kconfig *cfg, struct cmdline_slice w)
{
	size_t n = w.n < CMDLINE_MAX_IMAGE ? w.n : CMDLINE_MAX_IMAGE - 1;
	size_t i;

	for (i = 0; i < n; i++)
		cfg->image[i] = w.p[i];
	cfg->image[n] = '\0';
	if (n < w.n)
		cmdline_warn(st,
			     "boot image path '%.*s...' is longer than %d characters; truncated",
			     CMDLINE_QUOTE_MAX, w.p, CMDLINE_MAX_IMAGE - 1);
}

static bool cmdline_is_space(char c)
{
	/* Tabs and spaces separate words; a stray CR/LF from a boot loader counts as one too. */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_parse(const char *s, struct kconfig *cfg, cmdline_warn_fn warn)
{
	struct cmdline_state st = {warn, 0};
	unsigned seen = 0, dup_warned = 0;
	bool first = true;

	cmdline_defaults(cfg);
	if (!s)
		return 0;

	while (*s) {
		struct cmdline_slice w, key, val = {NULL, 0};
		bool has_val = false;
		int k;

		while (cmdline_is_space(*s))
			s++;
		if (!*s)
			break;
		w.p = s;
		while (*s && !cmdline_is_space(*s))
			s++;
		w.n = (size_t)(s - w.p);

		key = w;
		for (size_t i = 0; i < w.n; i++) {
			if (w.p[i] == '=') {
				key.n = i;
				val = (struct cmdline_slice){w.p + i + 1, w.n - i - 1};
				has_val = true;
				break;
			}
		}
		for (k = 0; k < KEY_COUNT; k++)
			if (cmdline_eq(key, cmdline_keys[k].name))
				break;

		if (first && !has_val && k != KEY_SELFTEST && k != KEY_RETA_SKEW) {
			first = false;
			cmdline_set_image(&st, cfg, w);
			continue;
		}
		first = false;
		if (k == KEY_COUNT) {
			cmdline_warn(&st, "unknown command-line key '%.*s%s' ignored",
				     cmdline_qlen(key), key.p, cmdline_ellipsis(key));
			continue;
		}
		/* Once per key: a third occurrence adds nothing the user needs to hear. */
		if ((seen & (1u << k)) && !(dup_warned & (1u << k))) {
			dup_warned |= 1u << k;
			cmdline_warn(&st, "key '%s' given twice; the last one wins",
				     cmdline_keys[k].name);
		}
		seen |= 1u << k;
		cmdline_apply(&st, cfg, (enum cmdline_key)k, val, has_val);
	}
	return st.nwarn;
}

void cmdline_format_ipv4(const struct ipv4_cidr *a, char *buf, unsigned size)
{
	uint32_t x;

	if (a && a->dhcp) {
		ksnprintf(buf, size, "dhcp");
		return;
	}
	if (!a || !a->set) {
		ksnprintf(buf, size, "unset");
		return;
	}
	x = a->addr;
	if (a->prefix == 32)
		ksnprintf(buf, size, "%u.%u.%u.%u", x >> 24, (x >> 16) & 0xff, (x >> 8) & 0xff,
			  x & 0xff);
	else
		ksnprintf(buf, size, "%u.%u.%u.%u/%u", x >> 24, (x >> 16) & 0xff, (x >> 8) & 0xff,
			  x & 0xff, a->prefix);
}
