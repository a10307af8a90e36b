/* Host tests for ixmgr's output formats (tools/ixmgr/output.c): tables, JSON, Prometheus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tools/ixmgr/output.h"

typedef int (*out_fn)(FILE *f, const char *text, size_t len);

/* Runs an output function on text; returns its output (static buffer) and its result. */
static const char *render(out_fn fn, const char *text, int *rc)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	*rc = fn(f, text, strlen(text));
	fclose(f);
	return buf;
}

static const char *status_text = "system version=abc uptime_s=12 cpus=4\n"
				 "core id=0 role=mgmt\n"
				 "core id=1 role=dataplane queue=0\n"
				 "app name=echo state=running msg=a%20%22b%22\n";

static void test_json(void **state)
{
	(void)state;
	int rc;
	const char *s = render(ixmgr_out_json, status_text, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(s, "{\"system\":[{\"version\":\"abc\",\"uptime_s\":12,\"cpus\":4}],"
			       "\"core\":[{\"id\":0,\"role\":\"mgmt\"},"
			       "{\"id\":1,\"role\":\"dataplane\",\"queue\":0}],"
			       "\"app\":[{\"name\":\"echo\",\"state\":\"running\","
			       "\"msg\":\"a \\\"b\\\"\"}]}\n");
	/* Leading zeros and huge numbers stay strings; empty input is an empty object. */
	s = render(ixmgr_out_json, "n a=007 b=99999999999999999999 c=", &rc);
	assert_string_equal(
	    s, "{\"n\":[{\"a\":\"007\",\"b\":\"99999999999999999999\",\"c\":\"\"}]}\n");
	s = render(ixmgr_out_json, "", &rc);
	assert_string_equal(s, "{}\n");
	s = render(ixmgr_out_json, "x a=%01\n", &rc);
	assert_string_equal(s, "{\"x\":[{\"a\":\"\\u0001\"}]}\n");
	render(ixmgr_out_json, "Bad line\n", &rc);
	assert_int_equal(rc, -1);
}

static void test_table(void **state)
{
	(void)state;
	int rc;
	const char *s = render(ixmgr_out_table, status_text, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(s, "system\n"
			       "VERSION  UPTIME_S  CPUS\n"
			       "abc      12        4\n"
			       "\n"
			       "core\n"
			       "ID  ROLE       QUEUE\n"
			       "0   mgmt       -\n"
			       "1   dataplane  0\n"
			       "\n"
			       "app\n"
			       "NAME  STATE    MSG\n"
			       "echo  running  a \"b\"\n");
}

static void test_prometheus(void **state)
{
	(void)state;
	int rc;
	const char *s = render(ixmgr_out_prometheus,
			       "dp core=1 rx_packets=10 idle_permille=250\n"
			       "dp core=2 rx_packets=20 idle_permille=1000\n"
			       "batch core=1 b0=4 b1=3 b3=2 b7=1 bmax=2 sum=300\n"
			       "dp core=1 tx_dropped=9\n"
			       "app name=e%22cho events=5 foo=7\n",
			       &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(
	    s, "# HELP ixos_rx_packets_total Packets received.\n"
	       "# TYPE ixos_rx_packets_total counter\n"
	       "ixos_rx_packets_total{core=\"1\"} 10\n"
	       "ixos_rx_packets_total{core=\"2\"} 20\n"
	       "# HELP ixos_idle_ratio Fraction of loop iterations that found no "
	       "work.\n"
	       "# TYPE ixos_idle_ratio gauge\n"
	       "ixos_idle_ratio{core=\"1\"} 0.25\n"
	       "ixos_idle_ratio{core=\"2\"} 1\n"
	       "# HELP ixos_dp_tx_dropped_total ixos dp tx_dropped.\n"
	       "# TYPE ixos_dp_tx_dropped_total counter\n"
	       "ixos_dp_tx_dropped_total{core=\"1\"} 9\n"
	       "# HELP ixos_batch_size Packets per receive poll (0: nothing received).\n"
	       "# TYPE ixos_batch_size histogram\n"
	       "ixos_batch_size_bucket{core=\"1\",le=\"0\"} 4\n"
	       "ixos_batch_size_bucket{core=\"1\",le=\"1\"} 7\n"
	       "ixos_batch_size_bucket{core=\"1\",le=\"3\"} 9\n"
	       "ixos_batch_size_bucket{core=\"1\",le=\"7\"} 10\n"
	       "ixos_batch_size_bucket{core=\"1\",le=\"+Inf\"} 12\n"
	       "ixos_batch_size_sum{core=\"1\"} 300\n"
	       "ixos_batch_size_count{core=\"1\"} 12\n"
	       "# HELP ixos_app_events_total Event conditions delivered to the app.\n"
	       "# TYPE ixos_app_events_total counter\n"
	       "ixos_app_events_total{name=\"e\\\"cho\"} 5\n"
	       "# HELP ixos_app_foo ixos app foo.\n"
	       "# TYPE ixos_app_foo untyped\n"
	       "ixos_app_foo{name=\"e\\\"cho\"} 7\n");
}

static void test_log(void **state)
{
	(void)state;
	int rc;
	const char *s =
	    render(ixmgr_out_log, "line text=hello%20world\nother x=1\nline text=%25\n", &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(s, "hello world\n%\n");
	s = render(ixmgr_out_records, "a b=1", &rc);
	assert_string_equal(s, "a b=1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_prometheus),
	    cmocka_unit_test(test_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
