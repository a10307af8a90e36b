/*
 * Host tests for ixmgr's output formats (tools/ixmgr/output.c): tables, JSON, Prometheus; and
 * for its client (tools/ixmgr/client.c) against a fake target over a fake link: a multi-part
 * answer is never put together from two snapshots, a gone snapshot restarts it from part 0 (a
 * bounded number of times), and a too_large answer is an error with exit status 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include "mgmt/answer_cache.h"
#include "tools/ixmgr/client.h"
#include "tools/ixmgr/commands.h"
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
			       "app name=e%22cho events=5 foo=7\n"
			       "appctr name=httpd status_200=42\n",
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
	       "ixos_app_foo{name=\"e\\\"cho\"} 7\n"
	       "# HELP ixos_appctr_status_200_total ixos appctr status_200.\n"
	       "# TYPE ixos_appctr_status_200_total counter\n"
	       "ixos_appctr_status_200_total{name=\"httpd\"} 42\n");
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

/* ---- ixmgr's client against a fake target ---- */

static const uint8_t fake_key[MGMT_KEY_LEN] = {7, 7, 7};

/* The fake target: the real kept-answer cache, a stats of many parts stamped with its build
 * number, a log too large for any buffer. */
static struct {
	struct mgmt_cache cache;
	uint64_t last_seq;
	unsigned builds;
	unsigned requests;
	unsigned evict_before; /* before this many more part > 0 requests, evict everything */
	bool lie;	       /* answer part 1 with another snapshot id */
	uint8_t resp[MGMT_MSG_MAX];
	size_t resp_len;
} ft;

#define FT_CAP 16384
static char ft_mem[(MGMT_SNAPS + 1) * FT_CAP];

static enum mgmt_status ft_build(const struct mgmt_hdr *h, const char *args, size_t alen,
				 struct mgmt_buf *out, bool *changes, void *ctx)
{
	(void)args;
	(void)alen;
	(void)ctx;
	*changes = false;
	ft.builds++;
	if (h->command == MGMT_CMD_LOG) {
		for (int i = 0; i < 10000; i++) {
			mgmt_rec_begin(out, "line");
			mgmt_rec_str(out, "text", "a line of the kernel log");
			mgmt_rec_end(out);
		}
		return MGMT_OK;
	}
	for (unsigned c = 1; c <= 100; c++) {
		mgmt_rec_begin(out, "dp");
		mgmt_rec_u64(out, "core", c);
		mgmt_rec_u64(out, "build", ft.builds);
		mgmt_rec_u64(out, "rx_packets", 123456789ull * c);
		mgmt_rec_end(out);
	}
	return MGMT_OK;
}

/* Other clients' answers, enough to evict every kept one. */
static void ft_evict_all(void)
{
	for (int i = 0; i < MGMT_SNAPS; i++) {
		struct mgmt_hdr h = {
		    .version = MGMT_VERSION, .type = MGMT_TYPE_REQUEST, .command = MGMT_CMD_STATS};
		struct mgmt_part_out r;
		mgmt_cache_answer(&ft.cache, &h, NULL, 0, ft_build, NULL, &r);
		assert_int_equal(r.status, MGMT_OK);
	}
}

static void ft_reset(unsigned evict_before, bool lie)
{
	memset(&ft, 0, sizeof(ft));
	mgmt_cache_init(&ft.cache, ft_mem, FT_CAP, 1000);
	ft.evict_before = evict_before;
	ft.lie = lie;
}

/* The fake link: a request goes to the fake target at once, its answer waits for recv. */
int ixmgr_conn_send(struct ixmgr_conn *c, const uint8_t *msg, size_t len)
{
	struct mgmt_hdr h;
	const uint8_t *pl;
	static struct mgmt_part_out r;

	(void)c;
	ft.requests++;
	ft.resp_len = 0;
	enum mgmt_status st = mgmt_request_verify(msg, len, fake_key, &ft.last_seq, &h, &pl);
	assert_int_equal(st, MGMT_OK);
	if (h.part > 0 && ft.evict_before) {
		ft.evict_before--;
		ft_evict_all();
	}
	mgmt_cache_answer(&ft.cache, &h, (const char *)pl, h.len, ft_build, NULL, &r);
	uint32_t snap = ft.lie && h.part == 1 ? r.snap + 1 : r.snap;
	ft.resp_len = mgmt_response_encode(ft.resp, sizeof(ft.resp), &h, r.status, r.flags, h.part,
					   snap, r.text, r.len, fake_key);
	assert_true(ft.resp_len > 0);
	return 0;
}

ssize_t ixmgr_conn_recv(struct ixmgr_conn *c, uint8_t *buf, size_t cap, int timeout_ms)
{
	size_t n = ft.resp_len;

	(void)c;
	(void)timeout_ms;
	assert_true(n <= cap);
	memcpy(buf, ft.resp, n);
	ft.resp_len = 0;
	return (ssize_t)n;
}

int64_t ixmgr_now_ms(void)
{
	return 0;
}

static struct ixmgr_opts ft_opts(void)
{
	struct ixmgr_opts o = {.target = "udp:fake", .timeout_ms = 1000, .retries = 0};

	memcpy(o.key, fake_key, sizeof(o.key));
	o.have_key = true;
	return o;
}

/* Every dp record of text has the same build number and all 100 lines are there, in order. */
static void assert_one_build(const char *text, size_t len)
{
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	uint64_t build = 0, b, c;
	unsigned lines = 0;

	mgmt_rec_iter_init(&it, text, len);
	while (mgmt_rec_next(&it, &r) == 1) {
		assert_true(mgmt_rec_get_u64(&r, "build", &b));
		assert_true(mgmt_rec_get_u64(&r, "core", &c));
		assert_int_equal(c, ++lines);
		if (!build)
			build = b;
		assert_int_equal(b, build);
	}
	assert_int_equal(lines, 100);
}

static void test_client_parts_of_one_snapshot(void **state)
{
	(void)state;
	struct ixmgr_opts o = ft_opts();
	struct ixmgr_conn conn = {.fd = -1};
	struct ixmgr_reply r;

	ft_reset(0, false);
	assert_int_equal(ixmgr_call(&conn, &o, MGMT_CMD_STATS, NULL, 0, &r), IXMGR_EXIT_OK);
	assert_int_equal(r.status, MGMT_OK);
	assert_true(ft.requests > 2); /* several parts */
	assert_int_equal(ft.builds, 1);
	assert_one_build(r.text, r.len);
	ixmgr_reply_free(&r);
}

static void test_client_restarts_when_gone(void **state)
{
	(void)state;
	struct ixmgr_opts o = ft_opts();
	struct ixmgr_conn conn = {.fd = -1};
	struct ixmgr_reply r;

	/* Evicted twice under it: two restarts from part 0, then one whole snapshot. */
	ft_reset(2, false);
	assert_int_equal(ixmgr_call(&conn, &o, MGMT_CMD_STATS, NULL, 0, &r), IXMGR_EXIT_OK);
	assert_int_equal(r.status, MGMT_OK);
	assert_one_build(r.text, r.len);
	assert_int_equal(ft.builds, 3 + 2 * MGMT_SNAPS);
	ixmgr_reply_free(&r);
	/* Evicted every time: bounded, then snapshot_gone reported with its record. */
	ft_reset(1000, false);
	assert_int_equal(ixmgr_call(&conn, &o, MGMT_CMD_STATS, NULL, 0, &r), IXMGR_EXIT_OK);
	assert_int_equal(r.status, MGMT_ST_SNAPSHOT_GONE);
	assert_int_equal(ft.builds, (1 + MGMT_SNAPS) * (IXMGR_SNAPSHOT_RETRIES + 1));
	assert_int_equal(ft.requests, 2 * (IXMGR_SNAPSHOT_RETRIES + 1));
	assert_non_null(strstr(r.text, "error msg=snapshot%20gone"));
	ixmgr_reply_free(&r);
}

static void test_client_never_splices(void **state)
{
	(void)state;
	struct ixmgr_opts o = ft_opts();
	struct ixmgr_conn conn = {.fd = -1};
	struct ixmgr_reply r;

	/* A target sending part 1 of another snapshot: an error, nothing of it kept. */
	ft_reset(0, true);
	assert_int_equal(ixmgr_call(&conn, &o, MGMT_CMD_STATS, NULL, 0, &r), IXMGR_EXIT_OK);
	assert_int_equal(r.status, MGMT_ST_INTERNAL);
	assert_null(strstr(r.text, "dp "));
	ixmgr_reply_free(&r);
}

/* Runs ixmgr_cmd_print with stdout and stderr into files; returns the exit code. */
static int print_captured(const struct ixmgr_cmd *cmd, const struct ixmgr_opts *o,
			  const struct ixmgr_reply *r, char *out, size_t outcap, char *err,
			  size_t errcap)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so = dup(1), se = dup(2);

	assert_non_null(fo);
	assert_non_null(fe);
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	int rc = ixmgr_cmd_print(cmd, o, r);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	rewind(fo);
	rewind(fe);
	out[fread(out, 1, outcap - 1, fo)] = '\0';
	err[fread(err, 1, errcap - 1, fe)] = '\0';
	fclose(fo);
	fclose(fe);
	return rc;
}

static void test_client_too_large(void **state)
{
	(void)state;
	struct ixmgr_opts o = ft_opts();
	struct ixmgr_conn conn = {.fd = -1};
	struct ixmgr_reply r;
	char *argv[] = {"log"};
	int used;
	const struct ixmgr_cmd *cmd = ixmgr_cmd_find(1, argv, &used);
	char out[4096], err[4096];

	assert_non_null(cmd);
	o.format = IXMGR_FMT_RECORDS;
	ft_reset(0, false);
	assert_int_equal(ixmgr_call(&conn, &o, MGMT_CMD_LOG, NULL, 0, &r), IXMGR_EXIT_OK);
	assert_int_equal(r.status, MGMT_ST_TOO_LARGE);
	assert_int_equal(ft.requests, 1);
	assert_int_equal(print_captured(cmd, &o, &r, out, sizeof(out), err, sizeof(err)),
			 IXMGR_EXIT_TARGET);
	assert_string_equal(out, ""); /* not one line of a cut answer */
	assert_string_equal(err, "ixmgr: log [-n LINES]: too_large: answer too large (450000 "
				 "bytes, limit 16383) (ask for fewer lines with -n)\n");
	ixmgr_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_prometheus),
	    cmocka_unit_test(test_log),
	    cmocka_unit_test(test_client_parts_of_one_snapshot),
	    cmocka_unit_test(test_client_restarts_when_gone),
	    cmocka_unit_test(test_client_never_splices),
	    cmocka_unit_test(test_client_too_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
