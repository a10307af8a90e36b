/* Host tests for the kernel command-line parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "kernel/cmdline.h"

#define MAX_WARN 64

static char warnings[MAX_WARN][256];
static int nwarnings;

static void collect(const char *msg)
{
	assert_non_null(msg);
	assert_true(strlen(msg) < sizeof(warnings[0]));
	if (nwarnings < MAX_WARN)
		strcpy(warnings[nwarnings], msg);
	nwarnings++;
}

static int reset(void **state)
{
	(void)state;
	nwarnings = 0;
	memset(warnings, 0, sizeof(warnings));
	return 0;
}

/* Parses s; the return value must match the number of callbacks. */
static int parse(const char *s, struct kconfig *cfg)
{
	int n;

	nwarnings = 0;
	n = cmdline_parse(s, cfg, collect);
	assert_int_equal(n, nwarnings);
	return n;
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

static void assert_defaults(const struct kconfig *cfg)
{
	assert_int_equal(cfg->dp_cores, -1);
	assert_false(cfg->ip.set);
	assert_false(cfg->gw.set);
	assert_false(cfg->mgmt_ip.set);
	assert_int_equal(cfg->loglevel, LOG_INFO);
	assert_false(cfg->selftest);
	assert_string_equal(cfg->testfault, "");
	assert_int_equal(cfg->testfault_cpu, 0);
}

static void test_null_and_empty_lines(void **state)
{
	struct kconfig cfg;

	(void)state;
	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(cmdline_parse(NULL, &cfg, collect), 0);
	assert_defaults(&cfg);
	assert_string_equal(cfg.image, "");
	assert_int_equal(parse("", &cfg), 0);
	assert_defaults(&cfg);
	assert_int_equal(parse(" \t  \t", &cfg), 0);
	assert_defaults(&cfg);
	assert_string_equal(cfg.image, "");
}

static void test_full_good_line(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("/boot/ixos.elf dp_cores=4 ip=10.0.0.2/24 gw=10.0.0.1 "
			       "mgmt_ip=192.168.1.5 loglevel=debug selftest testfault=pf_user "
			       "testfault_cpu=3",
			       &cfg),
			 0);
	assert_string_equal(cfg.image, "/boot/ixos.elf");
	assert_int_equal(cfg.dp_cores, 4);
	assert_true(cfg.ip.set);
	assert_int_equal(cfg.ip.addr, ip4(10, 0, 0, 2));
	assert_int_equal(cfg.ip.prefix, 24);
	assert_true(cfg.gw.set);
	assert_int_equal(cfg.gw.addr, ip4(10, 0, 0, 1));
	assert_int_equal(cfg.gw.prefix, 32);
	assert_true(cfg.mgmt_ip.set);
	assert_int_equal(cfg.mgmt_ip.addr, ip4(192, 168, 1, 5));
	assert_int_equal(cfg.mgmt_ip.prefix, 32);
	assert_int_equal(cfg.loglevel, LOG_DEBUG);
	assert_true(cfg.selftest);
	assert_string_equal(cfg.testfault, "pf_user");
	assert_int_equal(cfg.testfault_cpu, 3);
}

static void test_separators(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("\t  dp_cores=2\t\tloglevel=3   selftest=1\t", &cfg), 0);
	assert_string_equal(cfg.image, "");
	assert_int_equal(cfg.dp_cores, 2);
	assert_int_equal(cfg.loglevel, LOG_ERR);
	assert_true(cfg.selftest);
}

static void test_image_path_first_word(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("kernel.elf", &cfg), 0);
	assert_string_equal(cfg.image, "kernel.elf");

	/* A first word with '=' is a setting, not the image. */
	assert_int_equal(parse("dp_cores=1 /boot/ixos.elf", &cfg), 1);
	assert_string_equal(cfg.image, "");
	assert_string_equal(warnings[0], "unknown command-line key '/boot/ixos.elf' ignored");

	/* A known flag first is the flag. */
	assert_int_equal(parse("selftest", &cfg), 0);
	assert_true(cfg.selftest);
	assert_string_equal(cfg.image, "");

	/* Only the first word can be the image. */
	assert_int_equal(parse("/a /b", &cfg), 1);
	assert_string_equal(cfg.image, "/a");
	assert_string_equal(warnings[0], "unknown command-line key '/b' ignored");
}

static void test_image_path_truncated(void **state)
{
	char line[600];
	struct kconfig cfg;

	(void)state;
	memset(line, 'p', 500);
	line[0] = '/';
	strcpy(line + 500, " dp_cores=7");
	assert_int_equal(parse(line, &cfg), 1);
	assert_int_equal(strlen(cfg.image), CMDLINE_MAX_IMAGE - 1);
	assert_memory_equal(cfg.image, line, CMDLINE_MAX_IMAGE - 1);
	assert_non_null(strstr(warnings[0], "boot image path"));
	assert_non_null(strstr(warnings[0], "truncated"));
	assert_int_equal(cfg.dp_cores, 7);

	/* Exactly the longest path that fits is kept whole and silently. */
	memset(line, 'q', CMDLINE_MAX_IMAGE - 1);
	line[CMDLINE_MAX_IMAGE - 1] = '\0';
	assert_int_equal(parse(line, &cfg), 0);
	assert_string_equal(cfg.image, line);
}

static void test_dp_cores_values(void **state)
{
	static const char *const bad[] = {"abc", "-1",	 "256", "+3",
					  "3x",	 "0x10", "1.5", "99999999999999999999999"};
	struct kconfig cfg;
	char line[128], want[256];
	size_t i;

	(void)state;
	assert_int_equal(parse("dp_cores=0", &cfg), 0);
	assert_int_equal(cfg.dp_cores, 0);
	assert_int_equal(parse("dp_cores=255", &cfg), 0);
	assert_int_equal(cfg.dp_cores, 255);
	assert_int_equal(parse("dp_cores=007", &cfg), 0);
	assert_int_equal(cfg.dp_cores, 7);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "dp_cores=%s", bad[i]);
		assert_int_equal(parse(line, &cfg), 1);
		assert_int_equal(cfg.dp_cores, -1);
		snprintf(want, sizeof(want),
			 "bad value '%s' for 'dp_cores' (expected 0..255); using the default",
			 bad[i]);
		assert_string_equal(warnings[0], want);
	}
}

static void test_conn_mem_values(void **state)
{
	static const char *const bad[] = {"0", "abc", "-1", "1048577", "64M"};
	struct kconfig cfg;
	char line[128], want[256];

	(void)state;
	assert_int_equal(parse("", &cfg), 0);
	assert_int_equal(cfg.conn_mem_mib, 0); /* default: a quarter of free memory */
	assert_int_equal(parse("conn_mem=1", &cfg), 0);
	assert_int_equal(cfg.conn_mem_mib, 1);
	assert_int_equal(parse("conn_mem=1048576", &cfg), 0);
	assert_int_equal(cfg.conn_mem_mib, 1048576);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "conn_mem=%s", bad[i]);
		assert_int_equal(parse(line, &cfg), 1);
		assert_int_equal(cfg.conn_mem_mib, 0);
		snprintf(want, sizeof(want),
			 "bad value '%s' for 'conn_mem' (expected 1..1048576 MiB); using the default",
			 bad[i]);
		assert_string_equal(warnings[0], want);
	}
}

static void test_empty_value_is_malformed(void **state)
{
	static const char *const keys[] = {"dp_cores", "ip",	    "gw",	    "mgmt_ip",
					   "loglevel", "testfault", "testfault_cpu"};
	struct kconfig cfg;
	char line[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(line, sizeof(line), "%s=", keys[i]);
		assert_int_equal(parse(line, &cfg), 1);
		assert_defaults(&cfg);
		assert_non_null(strstr(warnings[0], "bad value ''"));
		assert_non_null(strstr(warnings[0], keys[i]));
	}
}

static void test_key_without_value(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("/boot/ixos.elf ip dp_cores", &cfg), 2);
	assert_defaults(&cfg);
	assert_string_equal(warnings[0], "key 'ip' needs a value (ip=...); using the default");
	assert_string_equal(warnings[1],
			    "key 'dp_cores' needs a value (dp_cores=...); using the default");
}

static void test_ip_good(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("ip=0.0.0.0 mgmt_ip=255.255.255.255/0 gw=1.2.3.4", &cfg), 0);
	assert_true(cfg.ip.set);
	assert_int_equal(cfg.ip.addr, 0);
	assert_int_equal(cfg.ip.prefix, 32);
	assert_int_equal(cfg.mgmt_ip.addr, 0xffffffffu);
	assert_int_equal(cfg.mgmt_ip.prefix, 0);
	assert_int_equal(cfg.gw.addr, ip4(1, 2, 3, 4));

	assert_int_equal(parse("ip=10.1.2.3/32 mgmt_ip=172.16.0.9/12", &cfg), 0);
	assert_int_equal(cfg.ip.addr, ip4(10, 1, 2, 3));
	assert_int_equal(cfg.ip.prefix, 32);
	assert_int_equal(cfg.mgmt_ip.addr, ip4(172, 16, 0, 9));
	assert_int_equal(cfg.mgmt_ip.prefix, 12);
}

static void test_ip_malformed(void **state)
{
	static const char *const bad[] = {
	    "1.2.3",	  "1.2.3.4.5",	 "256.1.1.1",  "1.2.3.256",   "1.2.3.4/33", "1.2.3.4/",
	    "a.b.c.d",	  "1..2.3",	 "01.2.3.4",   "1.2.3.4/24x", "x1.2.3.4",   "1.2.3.-4",
	    "1.2.3.4/-1", "1.2.3.4//24", "1234.1.1.1", ".1.2.3",      "1.2.3.",	    "1.2.3.4.",
	    "1,2,3,4",	  "1.2.3.4/100", "1.2.3.4:80",
	};
	struct kconfig cfg;
	char line[128], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "ip=%s", bad[i]);
		if (parse(line, &cfg) != 1)
			fail_msg("ip=%s accepted", bad[i]);
		assert_false(cfg.ip.set);
		snprintf(
		    want, sizeof(want),
		    "bad value '%s' for 'ip' (expected A.B.C.D, A.B.C.D/N or dhcp); using the default",
		    bad[i]);
		assert_string_equal(warnings[0], want);

		snprintf(line, sizeof(line), "mgmt_ip=%s", bad[i]);
		assert_int_equal(parse(line, &cfg), 1);
		assert_false(cfg.mgmt_ip.set);
	}
}

static void test_gw_takes_no_prefix(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("gw=10.0.0.1/24", &cfg), 1);
	assert_false(cfg.gw.set);
	assert_string_equal(warnings[0], "bad value '10.0.0.1/24' for 'gw' (expected A.B.C.D, no "
					 "prefix); using the default");
	assert_int_equal(parse("gw=10.0.0", &cfg), 1);
	assert_false(cfg.gw.set);
}

static void test_loglevel(void **state)
{
	static const struct {
		const char *v;
		int level;
	} good[] = {{"0", 0},		{"7", 7},	    {"err", LOG_ERR},
		    {"warn", LOG_WARN}, {"info", LOG_INFO}, {"debug", LOG_DEBUG}};
	static const char *const bad[] = {"8", "verbose", "ERR", "-1", "debug2", "7a"};
	struct kconfig cfg;
	char line[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "loglevel=%s", good[i].v);
		assert_int_equal(parse(line, &cfg), 0);
		assert_int_equal(cfg.loglevel, good[i].level);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "loglevel=%s", bad[i]);
		assert_int_equal(parse(line, &cfg), 1);
		assert_int_equal(cfg.loglevel, LOG_INFO);
		assert_non_null(strstr(warnings[0], "'loglevel'"));
	}
}

static void test_selftest_values(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("selftest=1", &cfg), 0);
	assert_true(cfg.selftest);
	assert_int_equal(parse("selftest=0", &cfg), 0);
	assert_false(cfg.selftest);
	assert_int_equal(parse("x selftest=yes", &cfg), 1);
	assert_false(cfg.selftest);
	assert_string_equal(warnings[0], "'selftest' takes no value other than 0 or 1 (got 'yes')");
	assert_int_equal(parse("x selftest=", &cfg), 1);
	assert_false(cfg.selftest);
	assert_non_null(strstr(warnings[0], "'selftest' takes no value other than 0 or 1"));
}

static void test_testfault(void **state)
{
	char line[128], word[64];
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("testfault=Double_Fault9 testfault_cpu=255", &cfg), 0);
	assert_string_equal(cfg.testfault, "Double_Fault9");
	assert_int_equal(cfg.testfault_cpu, 255);

	assert_int_equal(parse("testfault=pf-user testfault_cpu=256", &cfg), 2);
	assert_string_equal(cfg.testfault, "");
	assert_int_equal(cfg.testfault_cpu, 0);
	assert_string_equal(warnings[0], "bad value 'pf-user' for 'testfault' (expected letters, "
					 "digits and '_'); using the default");
	assert_string_equal(warnings[1], "bad value '256' for 'testfault_cpu' (expected 0..255); "
					 "using the default");

	/* The longest word that fits, and one character more. */
	memset(word, 'w', CMDLINE_MAX_WORD - 1);
	word[CMDLINE_MAX_WORD - 1] = '\0';
	snprintf(line, sizeof(line), "testfault=%s", word);
	assert_int_equal(parse(line, &cfg), 0);
	assert_string_equal(cfg.testfault, word);
	snprintf(line, sizeof(line), "testfault=%sw", word);
	assert_int_equal(parse(line, &cfg), 1);
	assert_string_equal(cfg.testfault, "");
	assert_non_null(strstr(warnings[0], "'testfault'"));
	assert_non_null(strstr(warnings[0], "longer than"));
}

static void test_unknown_keys(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("/img foo=1 bar console=ttyS0 DP_CORES=3 =5 dp_cores=2", &cfg), 5);
	assert_string_equal(warnings[0], "unknown command-line key 'foo' ignored");
	assert_string_equal(warnings[1], "unknown command-line key 'bar' ignored");
	assert_string_equal(warnings[2], "unknown command-line key 'console' ignored");
	assert_string_equal(warnings[3], "unknown command-line key 'DP_CORES' ignored");
	assert_string_equal(warnings[4], "unknown command-line key '' ignored");
	assert_int_equal(cfg.dp_cores, 2);
}

static void test_duplicates_last_wins(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(parse("ip=1.1.1.1 ip=2.2.2.2/8", &cfg), 1);
	assert_string_equal(warnings[0], "key 'ip' given twice; the last one wins");
	assert_int_equal(cfg.ip.addr, ip4(2, 2, 2, 2));
	assert_int_equal(cfg.ip.prefix, 8);

	/* A bad last value wins too: the setting goes back to its default. */
	assert_int_equal(parse("dp_cores=3 dp_cores=x", &cfg), 2);
	assert_string_equal(warnings[0], "key 'dp_cores' given twice; the last one wins");
	assert_int_equal(cfg.dp_cores, -1);

	/* Reported once per key however often it repeats. */
	assert_int_equal(parse("selftest selftest=0 selftest=1 loglevel=1 loglevel=2", &cfg), 2);
	assert_true(cfg.selftest);
	assert_int_equal(cfg.loglevel, 2);
	assert_string_equal(warnings[0], "key 'selftest' given twice; the last one wins");
	assert_string_equal(warnings[1], "key 'loglevel' given twice; the last one wins");
}

static void test_null_warn_callback(void **state)
{
	struct kconfig cfg;

	(void)state;
	assert_int_equal(cmdline_parse("/img foo ip=x dp_cores=2 dp_cores=3", &cfg, NULL), 3);
	assert_int_equal(cfg.dp_cores, 3);
	assert_string_equal(cfg.image, "/img");
}

static void test_very_long_lines(void **state)
{
	const size_t n = 200000;
	char *line = malloc(n + 1);
	struct kconfig cfg;
	size_t i, pos = 0;

	(void)state;
	assert_non_null(line);

	/* One enormous word in every role: image, unknown key, value. */
	memset(line, 'k', n);
	line[n] = '\0';
	assert_int_equal(parse(line, &cfg), 1);
	assert_int_equal(strlen(cfg.image), CMDLINE_MAX_IMAGE - 1);

	line[0] = 'x';
	line[1] = ' ';
	assert_int_equal(parse(line, &cfg), 1);
	assert_string_equal(cfg.image, "x");
	assert_non_null(strstr(warnings[0], "unknown command-line key 'kkkk"));
	assert_true(strlen(warnings[0]) < 200);

	memcpy(line + 2, "ip=", 3);
	assert_int_equal(parse(line, &cfg), 1);
	assert_false(cfg.ip.set);
	assert_non_null(strstr(warnings[0], "'ip'"));

	memcpy(line + 2, "testfault=", 10);
	assert_int_equal(parse(line, &cfg), 1);
	assert_string_equal(cfg.testfault, "");

	/* Thousands of settings: every one is read, the last ones win. */
	pos = 0;
	pos += (size_t)sprintf(line + pos, "/boot/ixos.elf");
	for (i = 0; pos + 64 < n; i++)
		pos += (size_t)sprintf(line + pos, " dp_cores=%zu\ttestfault_cpu=%zu", i % 200,
				       i % 100);
	assert_int_equal(parse(line, &cfg), 2); /* two keys repeated */
	assert_int_equal(cfg.dp_cores, (int)((i - 1) % 200));
	assert_int_equal(cfg.testfault_cpu, (int)((i - 1) % 100));
	free(line);
}

static void test_format_ipv4(void **state)
{
	struct ipv4_cidr a = {0};
	char buf[32];

	(void)state;
	cmdline_format_ipv4(&a, buf, sizeof(buf));
	assert_string_equal(buf, "unset");
	cmdline_format_ipv4(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "unset");

	a = (struct ipv4_cidr){.set = true, .addr = ip4(192, 168, 10, 254), .prefix = 32};
	cmdline_format_ipv4(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.10.254");
	a.prefix = 24;
	cmdline_format_ipv4(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.10.254/24");
	a = (struct ipv4_cidr){.set = true, .addr = 0xffffffffu, .prefix = 0};
	cmdline_format_ipv4(&a, buf, sizeof(buf));
	assert_string_equal(buf, "255.255.255.255/0");

	/* Truncated, always terminated, nothing written for size 0. */
	cmdline_format_ipv4(&a, buf, 8);
	assert_string_equal(buf, "255.255");
	buf[0] = 'Z';
	cmdline_format_ipv4(&a, buf, 0);
	assert_int_equal(buf[0], 'Z');
}

static void test_round_trip(void **state)
{
	struct kconfig cfg, again;
	char line[128], ip[32], mgmt[32], gw[32];

	(void)state;
	assert_int_equal(parse("ip=10.9.8.7/20 gw=10.9.0.1 mgmt_ip=1.2.3.4", &cfg), 0);
	cmdline_format_ipv4(&cfg.ip, ip, sizeof(ip));
	cmdline_format_ipv4(&cfg.gw, gw, sizeof(gw));
	cmdline_format_ipv4(&cfg.mgmt_ip, mgmt, sizeof(mgmt));
	assert_string_equal(ip, "10.9.8.7/20");
	snprintf(line, sizeof(line), "ip=%s gw=%s mgmt_ip=%s", ip, gw, mgmt);
	assert_int_equal(parse(line, &again), 0);
	assert_memory_equal(&cfg.ip, &again.ip, sizeof(cfg.ip));
	assert_memory_equal(&cfg.gw, &again.gw, sizeof(cfg.gw));
	assert_memory_equal(&cfg.mgmt_ip, &again.mgmt_ip, sizeof(cfg.mgmt_ip));
}

/* ip=dhcp and mgmt_ip=dhcp: no address yet (set false), dhcp true; gw takes no "dhcp". */
static void test_ip_dhcp(void **state)
{
	struct kconfig cfg;
	char buf[32];

	(void)state;
	assert_int_equal(parse("ip=dhcp mgmt_ip=dhcp", &cfg), 0);
	assert_true(cfg.ip.dhcp);
	assert_false(cfg.ip.set);
	assert_true(cfg.mgmt_ip.dhcp);
	assert_false(cfg.mgmt_ip.set);
	cmdline_format_ipv4(&cfg.ip, buf, sizeof(buf));
	assert_string_equal(buf, "dhcp");
	/* The last one wins either way. */
	assert_int_equal(parse("ip=dhcp ip=10.0.0.2/24", &cfg), 1);
	assert_false(cfg.ip.dhcp);
	assert_true(cfg.ip.set);
	assert_int_equal(parse("ip=10.0.0.2/24 ip=dhcp", &cfg), 1);
	assert_true(cfg.ip.dhcp);
	assert_false(cfg.ip.set);
	/* Only the lower-case word, and not for gw=. */
	assert_int_equal(parse("ip=DHCP", &cfg), 1);
	assert_false(cfg.ip.dhcp);
	assert_int_equal(parse("ip=dhcpx", &cfg), 1);
	assert_false(cfg.ip.dhcp);
	assert_int_equal(parse("gw=dhcp", &cfg), 1);
	assert_false(cfg.gw.set);
	assert_false(cfg.gw.dhcp);
}

#define T(fn) cmocka_unit_test_setup(fn, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_null_and_empty_lines),
	    T(test_full_good_line),
	    T(test_separators),
	    T(test_image_path_first_word),
	    T(test_image_path_truncated),
	    T(test_dp_cores_values),
	    T(test_conn_mem_values),
	    T(test_empty_value_is_malformed),
	    T(test_key_without_value),
	    T(test_ip_good),
	    T(test_ip_malformed),
	    T(test_ip_dhcp),
	    T(test_gw_takes_no_prefix),
	    T(test_loglevel),
	    T(test_selftest_values),
	    T(test_testfault),
	    T(test_unknown_keys),
	    T(test_duplicates_last_wins),
	    T(test_null_warn_callback),
	    T(test_very_long_lines),
	    T(test_format_ipv4),
	    T(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
