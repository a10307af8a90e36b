/*
 * Flow groups between dataplane cores, and the address they all use (net/dataplane.h).
 *
 * A flow group (an RSS bucket) belongs to one core, which alone touches its TCP connections.
 * The management core moves a group by asking its owner, through a one-slot request: the
 * owner snapshots the request once, hands the connections over and the ownership table after
 * them, and acknowledges the request's sequence number; only then does the management core
 * point the NIC's redirection table at the new owner (meanwhile packets that still arrive at
 * the old core are lent on to the new one).
 */
#include "net/dataplane.h"
#include "kernel/apps.h"
#include "kernel/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/time.h"
#include "kernel/user.h"
#include "kernel/x86.h"
#include "net/dp_core.h"
#include "net/toeplitz.h"

/* How long the management core waits for a core to acknowledge a move or an address. */
#define DP_MOVE_WAIT_US 1000000

struct dp_addr dp_addr;
static unsigned dp_migrate_ms, dp_migrate_next, dp_migrate_round;
static uint64_t dp_next_migrate_us, dp_next_summary_us;
/* Since boot: requests written, ones that found their core's older request unacknowledged
 * (and waited for it), refused ones, and ones not acknowledged within the wait. */
static unsigned dp_moves_posted, dp_moves_waited, dp_moves_refused, dp_moves_late;

bool dp_lend(struct dp_core *dc, struct mbuf *m, unsigned owner_q)
{
	unsigned cpu = dp_queue_cpu[owner_q];

	if (!dp_pring_push(&dp_cores[cpu].lent_in[dc->queue], m))
		return false;
	dp_wake(cpu);
	return true;
}

void dp_drain_lent(struct dp_core *dc)
{
	for (unsigned q = 0; q < dp_ncores; q++) {
		struct mbuf *m;
		while ((m = dp_pring_pop(&dc->returned[q]))) {
			/* Zeroed before it is free again: it may come back after an app switch
			 * reset this pool (rx_queue_reset cannot reach buffers out on loan), and
			 * the next app must not read the last one's traffic through the pool
			 * mapping. Only lent buffers pay this; a flow on its own core never does. */
			memset(m->buf, 0, MBUF_BUF_SIZE);
			mbuf_free(m);
		}
		while ((m = dp_pring_pop(&dc->lent_in[q]))) {
			int owner = dp_flow_owner(m);
			if (owner >= 0 && (unsigned)owner != dc->queue) {
				/* Its group moved on since it was lent: pass it on (pool stays). */
				if (!dp_lend(dc, m, owner)) {
					dc->st.rx_handoff_drops++;
					dataplane_rx_buf_done(m);
				}
				continue;
			}
			dp_drain_imports(dc); /* the connection may have moved in just now */
			dc->st.rx_handed_in++;
			stack_instances[dc->sctx.index]->input(&dc->sctx, m);
		}
	}
}

/* One move being carried out: where its group's connections go, from where. */
struct dp_move_ctx {
	const struct dp_core *from;
	struct dp_core *to;
};

static void dp_export_emit(struct stack_conn_export *e, void *arg)
{
	const struct dp_move_ctx *mv = arg;

	/* Cannot fail: the ring holds more than an instance's whole PCB pool. */
	dp_pring_push(&mv->to->imports[mv->from->queue], e);
	__atomic_add_fetch(&mv->to->imports_posted, 1, __ATOMIC_RELEASE);
}

/*
 * Hands flow group g over to another core: its connections go out through the imports ring,
 * then the ownership table points at the new owner. Both happen between two packets of this
 * core, so no packet of g is processed here in between; the new owner adopts the connections
 * before it processes any packet it gets for them (the imports are pushed before ownership
 * changes, and the owner drains imports before each packet it is lent or receives).
 */
void dp_move_serve(struct dp_core *dc)
{
	/*
	 * One load, acquire: group, destination and seq all of one request (the management
	 * core may write the next one only after our acknowledgement), and what it saw before
	 * it wrote it (the acknowledgement of an earlier move that sent connections here).
	 * Only this snapshot is used below: no field is read twice.
	 */
	uint64_t req = __atomic_load_n(&dc->move_req, __ATOMIC_ACQUIRE);
	uint32_t seq = DP_MOVE_SEQ(req);
	unsigned g = DP_MOVE_GROUP(req), to = DP_MOVE_TO(req);

	if (seq == dc->move_ack)
		return;
	/* Connections of g that an earlier move sent here go on with the rest: adopted after
	 * g left, they would sit on a core that no longer owns their packets. */
	dp_drain_imports(dc);
	if (g < NIC_RETA_SIZE && dp_owner[g] == dc->queue && to != dc->queue && to < dp_ncores) {
		/*
		 * The app may not have seen the results of its last batch (a sendv's accepted
		 * bytes): once a connection moves, another thread of it takes over, and both must
		 * not work on it at once. So the thread here runs (without events) until it parks
		 * with nothing unseen; bounded, each round only takes more of its send queues.
		 */
		struct uthread *t = dc->thread;
		for (int i = 0; t && i < 16 && t->state == UT_PARKED && t->parked_ncalls &&
				__atomic_load_n(&t->app->state, __ATOMIC_ACQUIRE) == APP_RUNNING;
		     i++)
			uthread_run(t, 0);
		struct dp_move_ctx mv = {.from = dc, .to = &dp_cores[dp_queue_cpu[to]]};
		stack_instances[dc->sctx.index]->export_group(&dc->sctx, g, dp_export_emit, &mv);
		__atomic_store_n(&dp_owner[g], (uint8_t)to, __ATOMIC_SEQ_CST);
		dp_wake(dp_queue_cpu[to]);
	}
	/* Release: whoever sees this seq acknowledged also sees the exports and dp_owner[g]. */
	__atomic_store_n(&dc->move_ack, seq, __ATOMIC_RELEASE);
}

/*
 * If src acknowledged the request last written to it, makes the NIC follow that move (once).
 * Returns whether src's slot is free (its last request acknowledged). Management core.
 */
static bool dp_move_reap(struct dp_core *src)
{
	uint64_t req = src->move_req; /* written by this core alone */
	uint32_t seq = DP_MOVE_SEQ(req);
	unsigned g = DP_MOVE_GROUP(req), to = DP_MOVE_TO(req);

	if (src->move_reaped == seq)
		return true;
	/* Acquire: pairs with the release of the ack, so dp_owner[g] below is the new one. */
	if (__atomic_load_n(&src->move_ack, __ATOMIC_ACQUIRE) != seq)
		return false;
	src->move_reaped = seq;
	if (__atomic_load_n(&dp_owner[g], __ATOMIC_RELAXED) == to) {
		/* Then the NIC: packets already queued to the old core are lent on by it. */
		dp_nic_reta[g] = (uint8_t)((to + dp_reta_skew) % dp_ncores);
		dp_nic.ops->rss_config(&dp_nic, nic_rss_default_key, dp_nic_reta);
	}
	return true;
}

/* Waits up to us for src's slot to be free (dp_move_reap). */
static bool dp_move_wait(struct dp_core *src, uint64_t us)
{
	uint64_t deadline = time_uptime_us() + us;

	while (!dp_move_reap(src)) {
		if (time_uptime_us() > deadline)
			return false;
		cpu_pause();
	}
	return true;
}

/*
 * Asks the core owning `group` to hand it to to_queue's core and waits up to wait_us for the
 * acknowledgement. 0: moved (or there already); 1: requested, not acknowledged yet (the core
 * will still carry it out, and the NIC follows then, at a later dp_move_reap); -1: bad
 * arguments, or refused (below). Management core.
 *
 * A core has one request slot, and a request in it is never overwritten or withdrawn before
 * the core acknowledged it: the core may be carrying it out right now, with some connections
 * gone already. So a request that timed out is waited out by the next one to the same core
 * (up to DP_MOVE_WAIT_US more), and if it still is not acknowledged the new request is
 * refused with a log line, not queued: a core that does not answer for that long is stuck,
 * and queueing more for it would only pile up moves the operator believes failed. Waiting
 * also settles the group's own older move: dp_owner[group] names the old owner until that
 * one is carried out, so the new request must go to whoever owns the group after it.
 */
static int dp_move_post(unsigned group, unsigned to_queue, uint64_t wait_us)
{
	struct dp_core *src;
	unsigned from;

	if (group >= NIC_RETA_SIZE || to_queue >= dp_ncores || !dp_nic.ops)
		return -1;
	/* Twice at most: only a request in the owner's slot can move the group. */
	for (;;) {
		from = __atomic_load_n(&dp_owner[group], __ATOMIC_RELAXED);
		src = &dp_cores[dp_queue_cpu[from]];
		if (!dp_move_reap(src)) {
			dp_moves_waited++;
			if (!dp_move_wait(src, DP_MOVE_WAIT_US)) {
				uint64_t old = src->move_req;
				log_warn("dataplane: flow group %u not moved: cpu%u still has "
					 "not carried out move request %u (group %u to queue %u): "
					 "refused", group, dp_queue_cpu[from], DP_MOVE_SEQ(old),
					 DP_MOVE_GROUP(old), DP_MOVE_TO(old));
				dp_moves_refused++;
				return -1;
			}
		}
		if (__atomic_load_n(&dp_owner[group], __ATOMIC_RELAXED) == from)
			break;
	}
	if (from == to_queue)
		return 0;
	uint32_t seq = DP_MOVE_SEQ(src->move_req) + 1; /* never its last acknowledged seq */
	/* Release: the core that reads this request also sees everything this core saw before
	 * (e.g. the acknowledgement of the move that sent group's connections to it). */
	__atomic_store_n(&src->move_req, DP_MOVE_REQ(seq, group, to_queue), __ATOMIC_RELEASE);
	dp_moves_posted++;
	dp_wake(dp_queue_cpu[from]);
	if (!dp_move_wait(src, wait_us)) {
		dp_moves_late += wait_us > 0;
		return 1;
	}
	return __atomic_load_n(&dp_owner[group], __ATOMIC_RELAXED) == to_queue ? 0 : -1;
}

int dataplane_move_group(unsigned group, unsigned to_queue)
{
	return dp_move_post(group, to_queue, DP_MOVE_WAIT_US) == 0 ? 0 : -1;
}

unsigned dataplane_active(void)
{
	unsigned n = 0;

	for (unsigned q = 0; q < dp_ncores; q++)
		for (unsigned g = 0; g < NIC_RETA_SIZE; g++)
			if (dp_owner[g] == q) {
				n++;
				break;
			}
	return n;
}

unsigned dataplane_max(void)
{
	return dp_ncores;
}

int dataplane_set_active(unsigned n)
{
	int rc = 0;

	if (n < 1 || n > dp_ncores || dp_mgmt_runs_dp)
		return -1;
	/* One group at a time: each move waits for its owner to hand the connections over. */
	for (unsigned g = 0; g < NIC_RETA_SIZE; g++)
		if (dp_owner[g] != g % n && dataplane_move_group(g, g % n)) {
			log_warn("dataplane: flow group %u did not move to queue %u", g, g % n);
			rc = -1;
		}
	log_info("dataplane: %u of %u cores active", dataplane_active(), dp_ncores);
	return rc;
}

/*
 * Reads the address under the seqlock: false if the management core was writing it (seq odd)
 * or wrote it meanwhile (seq changed), then *out is torn and the caller tries again.
 */
static bool dp_addr_read(struct dp_addr *out)
{
	/* Acquire: pairs with the writer's release of the even seq: the fields it wrote before
	 * are the ones read below (or newer ones, which the second read of seq catches). */
	unsigned seq = __atomic_load_n(&dp_addr.seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	out->ip = __atomic_load_n(&dp_addr.ip, __ATOMIC_RELAXED);
	out->netmask = __atomic_load_n(&dp_addr.netmask, __ATOMIC_RELAXED);
	out->gw = __atomic_load_n(&dp_addr.gw, __ATOMIC_RELAXED);
	out->prefix = __atomic_load_n(&dp_addr.prefix, __ATOMIC_RELAXED);
	/* Acquire fence: the field loads are done before seq is read again; if one of them saw
	 * a new value, the writer's release fence after its odd seq makes that seq seen here. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	out->seq = seq;
	return __atomic_load_n(&dp_addr.seq, __ATOMIC_RELAXED) == seq;
}

/* Takes the address management set (dataplane_set_addr) into this core's stack and ARP. */
void dp_apply_addr(struct dp_core *dc)
{
	struct dp_addr a;

	/* Torn (a write in progress): the loop calls again next iteration, since addr_gen still
	 * differs from seq; the writer's four stores take no time, so no spin here. */
	if (!dp_addr_read(&a))
		return;
	dc->l3.ip = a.ip;
	if (dc->stack_up)
		stack_instances[dc->sctx.index]->set_addr(&dc->sctx, a.ip, a.netmask, a.gw);
	/* Release: the management core that sees this seq acknowledged sees it applied. */
	__atomic_store_n(&dc->addr_gen, a.seq, __ATOMIC_RELEASE);
}

int dataplane_set_addr(uint32_t ip, unsigned prefix, uint32_t gw)
{
	if (prefix > 32)
		return -1;
	unsigned seq = dp_addr.seq + 1; /* odd; this core is the only writer */
	__atomic_store_n(&dp_addr.seq, seq, __ATOMIC_RELAXED);
	/* Release fence: the odd seq is visible before any new field value, so a reader that
	 * read a new value sees seq changed (its acquire fence pairs with this one). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&dp_addr.ip, ip, __ATOMIC_RELAXED);
	__atomic_store_n(&dp_addr.prefix, prefix, __ATOMIC_RELAXED);
	__atomic_store_n(&dp_addr.netmask, prefix ? ~0u << (32 - prefix) : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&dp_addr.gw, gw, __ATOMIC_RELAXED);
	/* Release: every field is visible before the even seq that says the write is done. */
	__atomic_store_n(&dp_addr.seq, ++seq, __ATOMIC_RELEASE);
	if (dp_mgmt_runs_dp) {
		dp_apply_addr(&dp_cores[0]);
		return 0;
	}
	for (unsigned q = 0; q < dp_ncores; q++)
		dp_wake(dp_queue_cpu[q]);
	uint64_t deadline = time_uptime_us() + DP_MOVE_WAIT_US;
	for (unsigned q = 0; q < dp_ncores; q++) {
		const struct dp_core *dc = &dp_cores[dp_queue_cpu[q]];
		while (__atomic_load_n(&dc->addr_gen, __ATOMIC_ACQUIRE) != seq)
			if (time_uptime_us() > deadline)
				return -1;
	}
	return 0;
}

void dataplane_get_addr(uint32_t *ip, unsigned *prefix, uint32_t *gw)
{
	struct dp_addr a;

	while (!dp_addr_read(&a))
		cpu_pause();
	*ip = a.ip;
	*prefix = a.prefix;
	*gw = a.gw;
}

void dp_move_init(const struct kconfig *cfg)
{
	dp_migrate_ms = cfg->migrate_test_ms;
	/* Before the cores start: no reader yet, seq stays 0 (even, "applied" by all). */
	dp_addr.ip = cfg->ip.set ? cfg->ip.addr : 0;
	dp_addr.prefix = cfg->ip.set ? cfg->ip.prefix : 0;
	dp_addr.netmask = dp_addr.prefix ? ~0u << (32 - dp_addr.prefix) : 0;
	dp_addr.gw = cfg->gw.set ? cfg->gw.addr : 0;
}

/*
 * migrate_test=MS (a test hook): every MS ms, 16 flow groups move to the next core. Every
 * other round only writes its requests and waits for none, as a timed-out move leaves them:
 * the next request to the same core then finds one unacknowledged and must wait it out.
 */
static void dp_migrate_test(uint64_t now)
{
	bool post_only = dp_migrate_round++ & 1;

	dp_next_migrate_us = now + dp_migrate_ms * 1000ULL;
	for (int i = 0; i < 16; i++) {
		unsigned g = dp_migrate_next++ % NIC_RETA_SIZE;
		unsigned to = (__atomic_load_n(&dp_owner[g], __ATOMIC_RELAXED) + 1) % dp_ncores;
		if (dp_move_post(g, to, post_only ? 0 : DP_MOVE_WAIT_US) == 1 && !post_only)
			log_warn("dataplane: moving flow group %u timed out", g);
	}
	if (now < dp_next_summary_us)
		return;
	dp_next_summary_us = now + 1000000;
	log_info("dataplane: migrate_test: moves_posted=%u moves_waited=%u moves_refused=%u "
		 "moves_late=%u", dp_moves_posted, dp_moves_waited, dp_moves_refused,
		 dp_moves_late);
}

void dp_move_tick(void)
{
	/* The NIC follows the moves nobody waited for, as soon as they are carried out. */
	for (unsigned q = 0; q < dp_ncores; q++)
		dp_move_reap(&dp_cores[dp_queue_cpu[q]]);
	uint64_t now = time_uptime_us();
	if (dp_migrate_ms && dp_ncores > 1 && now >= dp_next_migrate_us)
		dp_migrate_test(now);
}
