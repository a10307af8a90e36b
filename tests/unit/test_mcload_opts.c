/*
 * Host tests of mcload's settings (tools/loadgen/mcload_opts.c): --source lists, the source
 * address of each connection, the bounds of --conns and the connect options, the http ones.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>
#include <getopt.h> /* optind: mcl_opts_parse is run more than once */

#include "tools/loadgen/mcload_opts.h"

/* ---- settings ---- */

static void assert_addr(const struct in_addr *a, const char *want)
{
	char got[INET_ADDRSTRLEN];
	assert_non_null(inet_ntop(AF_INET, a, got, sizeof(got)));
	assert_string_equal(got, want);
}

static void assert_bad_sources(const char *list, unsigned max, const char *why_has)
{
	struct in_addr a[4];
	char why[128] = "";
	if (mcl_opts_parse_sources(list, a, max, why, sizeof(why)) != -1)
		fail_msg("--source %s: accepted", list);
	if (!strstr(why, why_has))
		fail_msg("--source %s: said \"%s\", want \"%s\" in it", list, why, why_has);
}

static void test_sources_parse(void **state)
{
	(void)state;
	struct in_addr a[4];
	char why[128];
	assert_int_equal(mcl_opts_parse_sources("127.0.0.1", a, 4, why, sizeof(why)), 1);
	assert_addr(&a[0], "127.0.0.1");
	assert_int_equal(
	    mcl_opts_parse_sources("198.18.0.1,198.18.0.3,10.1.2.3", a, 4, why, sizeof(why)), 3);
	assert_addr(&a[0], "198.18.0.1");
	assert_addr(&a[1], "198.18.0.3");
	assert_addr(&a[2], "10.1.2.3");
	assert_int_equal(mcl_opts_parse_sources("1.1.1.1,2.2.2.2", a, 2, why, sizeof(why)), 2);

	assert_bad_sources("", 4, "empty");
	assert_bad_sources(",1.1.1.1", 4, "empty");
	assert_bad_sources("1.1.1.1,", 4, "empty");
	assert_bad_sources("1.1.1.1,,2.2.2.2", 4, "empty");
	assert_bad_sources("1.1.1", 4, "1.1.1: not an IPv4 address");
	assert_bad_sources("1.1.1.1, 2.2.2.2", 4, "not an IPv4 address");
	assert_bad_sources("1.1.1.256", 4, "not an IPv4 address");
	assert_bad_sources("host.example", 4, "not an IPv4 address");
	assert_bad_sources("1.1.1.1:80", 4, "not an IPv4 address");
	assert_bad_sources("1111.1111.1111.1111", 4, "not an IPv4 address");
	assert_bad_sources("0.0.0.0", 4, "not a unicast address");
	assert_bad_sources("255.255.255.255", 4, "not a unicast address");
	assert_bad_sources("224.0.0.1", 4, "not a unicast address");
	assert_bad_sources("1.1.1.1,2.2.2.2,1.1.1.1", 4, "1.1.1.1: listed twice");
	assert_bad_sources("1.1.1.1,2.2.2.2,3.3.3.3", 2, "more than 2");
}

static void test_source_for(void **state)
{
	(void)state;
	struct mcl_opts o = {0};
	assert_null(mcl_opts_source_for(&o, 0));
	assert_null(mcl_opts_source_for(&o, 123456));
	char why[128];
	int n = mcl_opts_parse_sources("10.0.0.1,10.0.0.2,10.0.0.3", o.sources, MCL_MAX_SOURCES,
				       why, sizeof(why));
	assert_int_equal(n, 3);
	o.nsources = (unsigned)n;
	/* Connection i (numbered over all threads) takes address i mod 3. */
	static const char *const want[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
	for (unsigned i = 0; i < 10; i++)
		assert_addr(mcl_opts_source_for(&o, i), want[i % 3]);
	assert_addr(mcl_opts_source_for(&o, MCL_MAX_CONNS - 1), want[(MCL_MAX_CONNS - 1) % 3]);
	/* 100k connections from 3 addresses: no address gets more than its share, rounded up. */
	unsigned count[3] = {0};
	for (unsigned i = 0; i < 100000; i++)
		count[mcl_opts_source_for(&o, i) - o.sources]++;
	for (unsigned k = 0; k < 3; k++)
		assert_in_range(count[k], 33333, 33334);
}

static void test_opts_conns(void **state)
{
	(void)state;
	struct mcl_opts o;
	char *defaults[] = {"mcload", "--rate", "10", NULL};
	optind = 0; /* getopt_long starts over */
	mcl_opts_parse(&o, 3, defaults);
	assert_int_equal(o.conns, 16);
	assert_int_equal(o.connect_inflight, 256);
	assert_int_equal(o.nsources, 0);
	assert_null(o.source_list);

	char *big[] = {"mcload",  "--rate",
		       "10000",	  "--conns",
		       "1000000", "--connect-inflight",
		       "64",	  "--connect-timeout",
		       "3600",	  "--threads",
		       "4",	  "--proto",
		       "echo",	  NULL};
	optind = 0;
	mcl_opts_parse(&o, 13, big);
	assert_int_equal(o.conns, 1000000);
	assert_int_equal(o.connect_inflight, 64);
	assert_true(o.connect_timeout == 3600);
	assert_int_equal(o.threads, 4);
	assert_null(mcl_opts_source_for(&o, 7));
}

static void test_opts_http(void **state)
{
	(void)state;
	struct mcl_opts o;
	char *defaults[] = {"mcload",	"--rate",	  "10", "--proto", "http",
			    "--server", "127.0.0.1:8080", NULL};
	optind = 0;
	mcl_opts_parse(&o, 7, defaults);
	assert_int_equal(o.proto, MCL_PROTO_HTTP);
	assert_string_equal(o.path, "/");
	assert_string_equal(o.host, "127.0.0.1:8080"); /* the Host field: --server's */
	assert_false(o.preload);		       /* nothing to preload */

	char *set[] = {"mcload",      "--proto", "http", "--path",    "/file.bin", "--host",
		       "www.example", "--rate",	 "5",	 "--preload", NULL};
	optind = 0;
	mcl_opts_parse(&o, 10, set);
	assert_string_equal(o.path, "/file.bin");
	assert_string_equal(o.host, "www.example");
	assert_false(o.preload);

	/* The memcached ones still preload by default; a path given to them is kept unused. */
	char *mc[] = {"mcload", "--rate", "5", "--path", "/x", NULL};
	optind = 0;
	mcl_opts_parse(&o, 5, mc);
	assert_int_equal(o.proto, MCL_PROTO_ASCII);
	assert_true(o.preload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sources_parse),
	    cmocka_unit_test(test_source_for),
	    cmocka_unit_test(test_opts_conns),
	    cmocka_unit_test(test_opts_http),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
