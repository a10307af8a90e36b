/*
 * The management commands (docs/mgmt-protocol.md, "Commands"): each reads its `arg` record,
 * does its work on the management core and answers with records. Only authenticated, fresh
 * requests get here (mgmt/mgmt.c).
 */
#include "drivers/nic.h"
#include "kernel/apps.h"
#include "kernel/cmdline.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/rtc.h"
#include "kernel/time.h"
#include "mgmt/mgmt.h"
#include "net/dataplane.h"
#include "user/libix/ix_abi.h"

#define LOG_LINES_DEFAULT 50
#define LOG_LINES_MAX 1000

static bool cmd_reboot_pending;

/* Puts key=s where ksnprintf returned n into s[0..cap): a cut value marks the answer wrong. */
static void rec_formatted(struct mgmt_buf *b, const char *key, const char *s, int n, size_t cap)
{
	if (n < 0 || (size_t)n >= cap)
		mgmt_buf_value_cut(b);
	mgmt_rec_str(b, key, s);
}

static void rec_ipv4(struct mgmt_buf *b, const char *key, uint32_t ip, int prefix)
{
	char s[24];
	int n;

	if (prefix >= 0)
		n = ksnprintf(s, sizeof(s), "%u.%u.%u.%u/%d", ip >> 24, (ip >> 16) & 255,
			      (ip >> 8) & 255, ip & 255, prefix);
	else
		n = ksnprintf(s, sizeof(s), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
			      (ip >> 8) & 255, ip & 255);
	rec_formatted(b, key, s, n, sizeof(s));
}

static void rec_mac(struct mgmt_buf *b, const uint8_t *mac)
{
	char s[20];
	int n = ksnprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
			  mac[3], mac[4], mac[5]);

	rec_formatted(b, "mac", s, n, sizeof(s));
}

static enum mgmt_status cmd_error(struct mgmt_buf *b, enum mgmt_status st, const char *why)
{
	mgmt_rec_begin(b, "error");
	mgmt_rec_str(b, "msg", why);
	mgmt_rec_end(b);
	return st;
}

/* The request's `arg` record (found is false if there is none). */
static bool cmd_arg(const char *args, size_t alen, struct mgmt_rec *arg)
{
	struct mgmt_rec_iter it;
	int r;

	mgmt_rec_iter_init(&it, args, alen);
	while ((r = mgmt_rec_next(&it, arg)) != 0)
		if (r > 0 && mgmt_rec_is(arg, "arg"))
			return true;
	return false;
}

/* Parses A.B.C.D[/N] (prefix -1 if absent). */
static bool parse_ipv4(const char *s, size_t n, uint32_t *ip, int *prefix)
{
	uint32_t v = 0, part = 0;
	unsigned dots = 0, digits = 0;
	size_t i = 0;

	*prefix = -1;
	for (; i < n && s[i] != '/'; i++) {
		if (s[i] == '.') {
			if (!digits || ++dots > 3)
				return false;
			v = v << 8 | part;
			part = digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
			part = part * 10 + (uint32_t)(s[i] - '0');
			digits++;
			if (part > 255)
				return false;
		} else {
			return false;
		}
	}
	if (dots != 3 || !digits)
		return false;
	*ip = v << 8 | part;
	if (i < n) {
		unsigned p = 0, pd = 0;
		for (i++; i < n; i++, pd++) {
			if (s[i] < '0' || s[i] > '9' || pd >= 2)
				return false;
			p = p * 10 + (unsigned)(s[i] - '0');
		}
		if (!pd || p > 32)
			return false;
		*prefix = (int)p;
	}
	return true;
}

static const char *core_role(unsigned cpu, const struct dp_core_info *dp, unsigned ndp,
			     int *queue)
{
	*queue = -1;
	for (unsigned i = 0; i < ndp; i++)
		if (dp[i].cpu == cpu) {
			*queue = (int)dp[i].queue;
			return cpu == 0 ? "mgmt+dataplane" : dp[i].flow_groups ? "dataplane" : "idle";
		}
	return cpu == 0 ? "mgmt" : "spare";
}

static void cmd_status(struct mgmt_buf *b)
{
	static struct dp_core_info dp[MAX_CPUS];
	unsigned ndp = dataplane_cores(dp, MAX_CPUS);

	mgmt_rec_begin(b, "system");
	mgmt_rec_str(b, "version", IXOS_VERSION);
	mgmt_rec_u64(b, "uptime_s", time_uptime_us() / 1000000);
	mgmt_rec_u64(b, "cpus", cpus_online);
	mgmt_rec_u64(b, "wall_s", rtc_unix_seconds());
	mgmt_rec_end(b);
	for (unsigned c = 0; c < cpus_online; c++) {
		int q;
		mgmt_rec_begin(b, "core");
		mgmt_rec_u64(b, "id", c);
		mgmt_rec_str(b, "role", core_role(c, dp, ndp, &q));
		if (q >= 0)
			mgmt_rec_u64(b, "queue", (unsigned)q);
		mgmt_rec_end(b);
	}
	const char *name;
	uint8_t mac[6];
	struct nic_link link;
	if (dataplane_nic_info(&name, mac, &link)) {
		mgmt_rec_begin(b, "link");
		mgmt_rec_str(b, "port", "dp");
		mgmt_rec_str(b, "nic", name);
		rec_mac(b, mac);
		mgmt_rec_u64(b, "up", link.up);
		mgmt_rec_u64(b, "speed_mbps", link.speed_mbps);
		mgmt_rec_end(b);
	}
	bool up;
	unsigned speed, mprefix = 0;
	uint32_t mip = 0;
	if (mgmt_port_info(&name, mac, &up, &speed, &mip, &mprefix)) {
		mgmt_rec_begin(b, "link");
		mgmt_rec_str(b, "port", "mgmt");
		mgmt_rec_str(b, "nic", name);
		rec_mac(b, mac);
		mgmt_rec_u64(b, "up", up);
		mgmt_rec_u64(b, "speed_mbps", speed);
		mgmt_rec_end(b);
	}
	uint32_t ip, gw;
	unsigned prefix;
	dataplane_get_addr(&ip, &prefix, &gw);
	mgmt_rec_begin(b, "ip");
	rec_ipv4(b, "dp", ip, (int)prefix);
	rec_ipv4(b, "gw", gw, -1);
	if (mip)
		rec_ipv4(b, "mgmt", mip, (int)mprefix);
	mgmt_rec_end(b);
	struct apps_info ai;
	apps_get_info(&ai);
	mgmt_rec_begin(b, "app");
	mgmt_rec_str(b, "name", ai.name ? ai.name : "-");
	mgmt_rec_str(b, "state", ai.name ? ai.state : "none");
	mgmt_rec_u64(b, "threads", ai.threads);
	if (ai.heap_bytes) {
		mgmt_rec_u64(b, "heap_bytes", ai.heap_bytes);
		mgmt_rec_u64(b, "heap_large_page_bytes", ai.heap_large_bytes);
	}
	mgmt_rec_end(b);
}

/* Batch-size buckets of dp_stats (0, 1, 2-3, ... 64+) under their upper bounds. */
static const char *const batch_keys[DP_BATCH_BUCKETS] = {"b0",	"b1",  "b3",  "b7",
							 "b15", "b31", "b63", "bmax"};

static void cmd_stats(struct mgmt_buf *b)
{
	static struct dp_core_info dp[MAX_CPUS];
	unsigned ndp = dataplane_cores(dp, MAX_CPUS);
	uint64_t up_ns = time_uptime_us() * 1000;

	for (unsigned i = 0; i < ndp; i++) {
		const struct dp_core_info *d = &dp[i];
		uint64_t busy_loops = d->st.loops - d->st.batch[0];
		mgmt_rec_begin(b, "dp");
		mgmt_rec_u64(b, "core", d->cpu);
		mgmt_rec_u64(b, "queue", d->queue);
		mgmt_rec_u64(b, "flow_groups", d->flow_groups);
#define CMD_DP_STAT(f) mgmt_rec_u64(b, #f, d->st.f);
		DP_STATS(CMD_DP_STAT)
#undef CMD_DP_STAT
		mgmt_rec_u64(b, "drops", d->st.tx_dropped + d->st.rx_handoff_drops);
		mgmt_rec_u64(b, "loops", d->st.loops);
		mgmt_rec_u64(b, "loop_ns_avg", busy_loops ? d->busy_ns / busy_loops : 0);
		mgmt_rec_u64(b, "loop_ns_max", d->loop_ns_max);
		mgmt_rec_u64(b, "idle_permille",
			     up_ns > d->busy_ns ? 1000 - d->busy_ns * 1000 / up_ns : 0);
		mgmt_rec_end(b);
		mgmt_rec_begin(b, "batch");
		mgmt_rec_u64(b, "core", d->cpu);
		for (unsigned k = 0; k < DP_BATCH_BUCKETS; k++)
			mgmt_rec_u64(b, batch_keys[k], d->st.batch[k]);
		mgmt_rec_u64(b, "sum", d->st.rx_packets);
		mgmt_rec_end(b);
		if (!d->stack_up)
			continue;
		mgmt_rec_begin(b, "tcp");
		mgmt_rec_u64(b, "core", d->cpu);
		mgmt_rec_u64(b, "conns", d->ss.tcp_pcbs);
		mgmt_rec_u64(b, "retransmits", d->ss.tcp_rexmit);
#define CMD_TCP_STAT(f) mgmt_rec_u64(b, #f, d->ss.f);
		STACK_STATS(CMD_TCP_STAT)
#undef CMD_TCP_STAT
		mgmt_rec_end(b);
	}
	struct apps_info ai;
	apps_get_info(&ai);
	if (ai.name)
		for (unsigned i = 0; i < ndp; i++) {
			mgmt_rec_begin(b, "app");
			mgmt_rec_str(b, "name", ai.name);
			mgmt_rec_u64(b, "core", dp[i].cpu);
			mgmt_rec_u64(b, "runs", dp[i].st.app_runs);
			mgmt_rec_u64(b, "events", dp[i].st.app_events);
			mgmt_rec_u64(b, "syscalls", dp[i].st.app_calls);
			mgmt_rec_u64(b, "call_errors", dp[i].st.app_call_errors);
			mgmt_rec_u64(b, "restarts", ai.starts ? ai.starts - 1 : 0);
			mgmt_rec_end(b);
		}
	/* The app's own counters (SYS_COUNTERS), summed over its threads. */
	static const char *cnames[IX_COUNTERS_MAX];
	static uint64_t csums[IX_COUNTERS_MAX];
	unsigned nc = apps_counters(cnames, csums, IX_COUNTERS_MAX);
	if (nc) {
		mgmt_rec_begin(b, "appctr");
		mgmt_rec_str(b, "name", ai.name);
		for (unsigned i = 0; i < nc; i++)
			mgmt_rec_u64(b, cnames[i], csums[i]);
		mgmt_rec_end(b);
	}
	struct nic_stats ns;
	const char *name;
	uint8_t mac[6];
	struct nic_link link;
	if (dataplane_nic_info(&name, mac, &link)) {
		dataplane_nic_stats(&ns);
		mgmt_rec_begin(b, "nic");
		mgmt_rec_str(b, "port", "dp");
#define CMD_NIC_STAT(f) mgmt_rec_u64(b, #f, ns.f);
		NIC_STATS(CMD_NIC_STAT)
#undef CMD_NIC_STAT
		mgmt_rec_end(b);
	}
	mgmt_rec_begin(b, "mgmt");
#define CMD_MGMT_STAT(f) mgmt_rec_u64(b, #f, mgmt_stats.f);
	MGMT_STATS(CMD_MGMT_STAT)
#undef CMD_MGMT_STAT
	mgmt_rec_end(b);
}

static enum mgmt_status cmd_log(struct mgmt_buf *b, const struct mgmt_rec *arg, bool have_arg)
{
	static char text[64 * 1024];
	uint64_t lines = LOG_LINES_DEFAULT;
	size_t pos = 0, n = 0, got;
	bool dropped = false;

	const char *v;
	size_t vn;

	/* lines= is optional; when given it must be a number in range. */
	if (have_arg && mgmt_rec_get(arg, "lines", &v, &vn) &&
	    (!mgmt_rec_get_u64(arg, "lines", &lines) || lines < 1 || lines > LOG_LINES_MAX))
		return cmd_error(b, MGMT_ST_BAD_ARGUMENT, "lines must be 1..1000");
	/* The newest bytes of the log: when it holds more than text does (or grows while it is
	 * read), the older half goes, so the lines below are always the last ones. */
	while ((got = log_read(&pos, text + n, sizeof(text) - n))) {
		n += got;
		if (n == sizeof(text)) {
			memmove(text, text + n / 2, n - n / 2);
			n -= n / 2;
			dropped = true;
		}
	}
	/* The last `lines` complete lines, oldest first (after a drop, not the first, cut one). */
	size_t start = n;
	for (uint64_t seen = 0; start > 0; start--)
		if (text[start - 1] == '\n' && start != n && ++seen == lines)
			break;
	if (start == 0 && dropped) {
		while (start < n && text[start] != '\n')
			start++;
		start++;
	}
	while (start < n) {
		size_t end = start;
		while (end < n && text[end] != '\n')
			end++;
		mgmt_rec_begin(b, "line");
		mgmt_rec_strn(b, "text", text + start, end - start);
		mgmt_rec_end(b);
		start = end + 1;
	}
	return MGMT_OK;
}

static void cmd_config(struct mgmt_buf *b)
{
	uint32_t ip, gw, mip = 0;
	unsigned prefix, mprefix = 0, speed;
	const char *name;
	uint8_t mac[6];
	bool up;

	dataplane_get_addr(&ip, &prefix, &gw);
	mgmt_rec_begin(b, "config");
	rec_ipv4(b, "dp_ip", ip, (int)prefix);
	rec_ipv4(b, "gw", gw, -1);
	if (mgmt_port_info(&name, mac, &up, &speed, &mip, &mprefix))
		rec_ipv4(b, "mgmt_ip", mip, (int)mprefix);
	mgmt_rec_end(b);
}

static enum mgmt_status cmd_config_set(struct mgmt_buf *b, const struct mgmt_rec *arg,
				       bool have_arg)
{
	uint32_t ip, gw, nip, ngw;
	unsigned prefix;
	int p;
	const char *v;
	size_t vn;
	bool any = false;

	dataplane_get_addr(&ip, &prefix, &gw);
	nip = ip;
	ngw = gw;
	if (have_arg && mgmt_rec_get(arg, "ip", &v, &vn)) {
		if (!parse_ipv4(v, vn, &nip, &p))
			return cmd_error(b, MGMT_ST_BAD_ARGUMENT, "ip must be A.B.C.D or A.B.C.D/N");
		if (p >= 0)
			prefix = (unsigned)p;
		any = true;
	}
	if (have_arg && mgmt_rec_get(arg, "gw", &v, &vn)) {
		if (!parse_ipv4(v, vn, &ngw, &p) || p >= 0)
			return cmd_error(b, MGMT_ST_BAD_ARGUMENT, "gw must be A.B.C.D");
		any = true;
	}
	if (!any)
		return cmd_error(b, MGMT_ST_BAD_ARGUMENT, "give ip= and/or gw=");
	if (dataplane_set_addr(nip, prefix, ngw))
		return cmd_error(b, MGMT_ST_INTERNAL, "a dataplane core did not take the address");
	log_info("mgmt: dataplane address set to %u.%u.%u.%u/%u, gateway %u.%u.%u.%u", nip >> 24,
		 (nip >> 16) & 255, (nip >> 8) & 255, nip & 255, prefix, ngw >> 24,
		 (ngw >> 16) & 255, (ngw >> 8) & 255, ngw & 255);
	cmd_config(b);
	return MGMT_OK;
}

static void cmd_cores(struct mgmt_buf *b, bool each)
{
	static struct dp_core_info dp[MAX_CPUS];
	unsigned ndp = dataplane_cores(dp, MAX_CPUS);

	mgmt_rec_begin(b, "cores");
	mgmt_rec_u64(b, "active", dataplane_active());
	mgmt_rec_u64(b, "max", dataplane_max());
	mgmt_rec_end(b);
	if (!each)
		return;
	for (unsigned c = 0; c < cpus_online; c++) {
		int q;
		mgmt_rec_begin(b, "core");
		mgmt_rec_u64(b, "id", c);
		mgmt_rec_str(b, "role", core_role(c, dp, ndp, &q));
		if (q >= 0) {
			mgmt_rec_u64(b, "queue", (unsigned)q);
			mgmt_rec_u64(b, "flow_groups", dp[q].flow_groups);
			mgmt_rec_u64(b, "conns", dp[q].ss.tcp_pcbs);
		}
		mgmt_rec_end(b);
	}
}

static enum mgmt_status cmd_core_set(struct mgmt_buf *b, const struct mgmt_rec *arg,
				     bool have_arg)
{
	uint64_t n;

	if (!have_arg || !mgmt_rec_get_u64(arg, "count", &n) || n < 1 || n > dataplane_max()) {
		char why[64];
		int w = ksnprintf(why, sizeof(why), "count must be 1..%u", dataplane_max());
		if (w < 0 || (size_t)w >= sizeof(why))
			return cmd_error(b, MGMT_ST_BAD_ARGUMENT, "count out of range");
		return cmd_error(b, MGMT_ST_BAD_ARGUMENT, dataplane_max() ? why : "no dataplane");
	}
	log_info("mgmt: core set %lu: moving flow groups", (unsigned long)n);
	if (dataplane_set_active((unsigned)n))
		return cmd_error(b, MGMT_ST_INTERNAL, "some flow groups did not move (see the log)");
	cmd_cores(b, false);
	return MGMT_OK;
}

static void cmd_app_record(struct mgmt_buf *b)
{
	struct apps_info ai;

	apps_get_info(&ai);
	mgmt_rec_begin(b, "app");
	mgmt_rec_str(b, "name", ai.name ? ai.name : "-");
	mgmt_rec_str(b, "state", ai.name ? ai.state : "none");
	mgmt_rec_end(b);
}

static void cmd_app_list(struct mgmt_buf *b)
{
	const char *names[16];
	unsigned n = apps_list(names, 16);
	struct apps_info ai;

	apps_get_info(&ai);
	for (unsigned i = 0; i < n; i++) {
		mgmt_rec_begin(b, "app");
		mgmt_rec_str(b, "name", names[i]);
		mgmt_rec_str(b, "state",
			     ai.name && !strcmp(ai.name, names[i]) ? ai.state : "loaded");
		mgmt_rec_end(b);
	}
}

/* Waits (bounded) until the app change the request asked for has happened. */
static void cmd_app_settle(bool want_running)
{
	uint64_t deadline = time_uptime_us() + 2000000;
	struct apps_info ai;

	if (dataplane_on_mgmt_core())
		return; /* the app's thread needs this CPU to stop: answer now */
	do {
		apps_tick();
		apps_get_info(&ai);
		bool running = ai.name && !strcmp(ai.state, "running");
		if (running == want_running)
			return;
		__asm__ volatile("sti; hlt" ::: "memory"); /* the next tick */
	} while (time_uptime_us() < deadline);
}

enum mgmt_status mgmt_cmd_run(const struct mgmt_hdr *h, const char *args, size_t alen,
			      struct mgmt_buf *out, bool *changes)
{
	struct mgmt_rec arg;
	bool have_arg = cmd_arg(args, alen, &arg);

	*changes = false;
	switch (h->command) {
	case MGMT_CMD_PING:
		mgmt_rec_begin(out, "pong");
		mgmt_rec_u64(out, "uptime_us", time_uptime_us());
		mgmt_rec_end(out);
		return MGMT_OK;
	case MGMT_CMD_STATUS:
		cmd_status(out);
		return MGMT_OK;
	case MGMT_CMD_STATS:
		cmd_stats(out);
		return MGMT_OK;
	case MGMT_CMD_LOG:
		return cmd_log(out, &arg, have_arg);
	case MGMT_CMD_CONFIG_GET:
		cmd_config(out);
		return MGMT_OK;
	case MGMT_CMD_CONFIG_SET:
		*changes = true;
		return cmd_config_set(out, &arg, have_arg);
	case MGMT_CMD_CORE_SHOW:
		cmd_cores(out, true);
		return MGMT_OK;
	case MGMT_CMD_CORE_SET:
		*changes = true;
		return cmd_core_set(out, &arg, have_arg);
	case MGMT_CMD_APP_LIST:
		cmd_app_list(out);
		return MGMT_OK;
	case MGMT_CMD_APP_START: {
		char name[32];
		const char *v;
		size_t vn;
		*changes = true;
		if (!have_arg || !mgmt_rec_get(&arg, "name", &v, &vn) ||
		    mgmt_unescape(v, vn, name, sizeof(name)) < 0 || apps_start(name))
			return cmd_error(out, MGMT_ST_BAD_ARGUMENT, "no such app (see app list)");
		log_info("mgmt: app start %s", name);
		cmd_app_settle(true);
		cmd_app_record(out);
		return MGMT_OK;
	}
	case MGMT_CMD_APP_STOP:
		*changes = true;
		if (apps_stop())
			return cmd_error(out, MGMT_ST_BAD_ARGUMENT, "no app is running");
		log_info("mgmt: app stop");
		cmd_app_settle(false);
		cmd_app_record(out);
		return MGMT_OK;
	case MGMT_CMD_APP_RESTART:
		*changes = true;
		if (apps_restart())
			return cmd_error(out, MGMT_ST_BAD_ARGUMENT, "no app has run yet");
		log_info("mgmt: app restart");
		cmd_app_settle(false);
		cmd_app_settle(true);
		cmd_app_record(out);
		return MGMT_OK;
	case MGMT_CMD_REBOOT:
		*changes = true;
		log_warn("mgmt: reboot requested");
		cmd_reboot_pending = true;
		return MGMT_OK;
	default:
		return cmd_error(out, MGMT_ST_UNKNOWN_COMMAND, "unknown command");
	}
}

void mgmt_cmd_after_reply(void)
{
	if (cmd_reboot_pending)
		machine_reboot();
}
