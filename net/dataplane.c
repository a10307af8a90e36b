/*
 * The dataplane cores' loop (DESIGN.md, "Execution model"): take what the NIC queue has ready,
 * bounded by DP_BATCH_MAX, run every packet to completion, send the replies in the same
 * iteration. A core idle for idle_us arms its queue's MSI-X interrupt and halts, so idle
 * cores cost nothing (and do not starve other vCPUs under emulation).
 */
#include "net/dataplane.h"
#include "drivers/igb/igb.h"
#include "drivers/ixgbe/ixgbe.h"
#include "drivers/nic.h"
#include "kernel/apic.h"
#include "kernel/cmdline.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/pci.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/user.h"
#include "kernel/x86.h"
#include "kernel/apps.h"
#include "mgmt/mgmt.h"
#include "user/libix/ix_abi.h"
#include "net/dp_core.h" /* and net/dp_ring.h, whose second half has no guard */
#include "net/dp_dhcp.h"
#include "net/dp_stats.h"
#include "net/l2l3.h"
#include "net/stack/stack.h"
#include "net/toeplitz.h"

#define VEC_NIC_RX_BASE 0x40
#define DP_LINE_MAX 2048


struct dp_core dp_cores[MAX_CPUS];
struct nic dp_nic;
static struct pci_dev *dp_pci;
unsigned dp_ncores;
unsigned dp_queue_cpu[NIC_MAX_QUEUES];
uint8_t dp_owner[NIC_RETA_SIZE];
uint8_t dp_nic_reta[NIC_RETA_SIZE];
unsigned dp_reta_skew;
bool dp_mgmt_runs_dp;
static unsigned dp_stats_interval;
static uint64_t dp_next_stats_us;

static const struct {
	uint16_t vendor, device;
	const char *name;
	int (*attach)(struct nic *nic, volatile void *bar0);
} dp_drivers[] = {
	{0x8086, 0x10fb, "ixgbe", ixgbe_attach}, /* 82599 SFP+ (X520): the production target */
	{0x8086, 0x10c9, "igb", igb_attach},	 /* 82576 */
};

static void dp_rx_irq(struct trapframe *tf)
{
	(void)tf;
	dp_cores[this_cpu()->id].st.irq_wakeups++;
	apic_eoi();
}

static bool dp_is_arp(const struct mbuf *m)
{
	return m->len >= 14 && m->data[12] == 0x08 && m->data[13] == 0x06;
}

/*
 * RSS puts every non-IP frame on queue 0, but every stack instance needs the ARP table:
 * the core that got an ARP frame hands a copy to each other core (and wakes it if it sleeps).
 */
static void dp_share_arp(struct dp_core *dc, const struct mbuf *m)
{
	for (unsigned q = 0; q < dp_ncores; q++) {
		struct dp_core *peer = &dp_cores[dp_queue_cpu[q]];
		if (peer == dc)
			continue;
		if (!dp_ring_push(&peer->inbox[dc->queue], m->data, m->len)) {
			dc->st.tx_dropped++;
			continue;
		}
		dp_wake(dp_queue_cpu[q]);
	}
}

/* Feeds what other cores shared into this core's stack instance. */
static void dp_drain_inbox(struct dp_core *dc)
{
	for (unsigned q = 0; q < dp_ncores; q++) {
		const struct dp_msg *msg;
		while ((msg = dp_ring_peek(&dc->inbox[q]))) {
			struct mbuf *m = mbuf_alloc(&dc->pool);
			if (!m)
				return; /* retried next iteration, once buffers come back */
			memcpy(m->data, msg->data, msg->len);
			m->len = msg->len;
			dp_ring_pop(&dc->inbox[q]);
			dc->st.arp_shared_in++;
			stack_instances[dc->sctx.index]->input(&dc->sctx, m);
		}
	}
}

static bool dp_inbox_empty(struct dp_core *dc)
{
	if (dc->detaching)
		return false; /* polls the TX ring until the NIC lets go of the old app's pages */
	if (dc->thread_new || (dc->stack_up && stack_instances[dc->sctx.index]->ix_pending(&dc->sctx)))
		return false;
	for (unsigned q = 0; q < dp_ncores; q++)
		if (dp_ring_peek(&dc->inbox[q]) || !dp_pring_empty(&dc->lent_in[q]) ||
		    !dp_pring_empty(&dc->returned[q]))
			return false;
	return !dp_move_pending(dc) && !dp_addr_pending(dc) &&
	       dc->imports_seen == dc->imports_posted &&
	       !(dc->queue == 0 && dp_dhcp_tx_pending());
}

void dataplane_rx_buf_done(struct mbuf *m)
{
	struct dp_core *dc = &dp_cores[this_cpu()->id];
	unsigned owner = m->pool->owner;

	if (owner == this_cpu()->id) {
		mbuf_free(m);
		return;
	}
	/* Never fails: the ring holds more than the owner's whole pool. */
	dp_pring_push(&dp_cores[owner].returned[dc->queue], m);
	dp_wake(owner);
}

void dataplane_rx_chain_done(struct mbuf *m)
{
	while (m) {
		struct mbuf *next = m->next;
		m->next = NULL;
		dataplane_rx_buf_done(m);
		m = next;
	}
}

unsigned stack_flow_group(uint32_t remote_ip, uint32_t local_ip, uint16_t remote_port,
			  uint16_t local_port)
{
	return toeplitz_hash_ipv4(nic_rss_default_key, remote_ip, local_ip, remote_port,
				  local_port, true) &
	       (NIC_RETA_SIZE - 1);
}

/* Adopts the connections other cores handed over. Before any of their packets: see
 * dp_move_serve. Called per received packet, so it first checks one counter. */
void dp_drain_imports(struct dp_core *dc)
{
	uint32_t posted = __atomic_load_n(&dc->imports_posted, __ATOMIC_ACQUIRE);

	if (posted == dc->imports_seen)
		return;
	dc->imports_seen = posted; /* later posts bump it again: they are not missed */
	for (unsigned q = 0; q < dp_ncores; q++) {
		struct stack_conn_export *e;
		while ((e = dp_pring_pop(&dc->imports[q])))
			stack_instances[dc->sctx.index]->import_conn(&dc->sctx, e);
	}
}

static void dp_process(struct dp_core *dc, struct mbuf **bufs, unsigned n)
{
	struct mbuf *tx[DP_BATCH_MAX];
	unsigned ntx = 0;

	for (unsigned i = 0; i < n; i++) {
		struct mbuf *m = bufs[i];
		dc->st.rx_packets++;
		dc->st.rx_bytes += m->len;
		if (dp_dhcp_on && dc->mode != DP_MODE_REFLECT && dp_dhcp_rx(dc, m)) {
			mbuf_free(m); /* ip=dhcp: a reply for the client, copied to it */
			continue;
		}
		if (dc->mode == DP_MODE_STACK) {
			int owner = dp_ncores > 1 ? dp_flow_owner(m) : -1;
			if (!dc->stack_up) {
				dc->st.rx_no_stack++;
				mbuf_free(m);
			} else if (m->len > DP_FRAME_MAX) {
				dc->st.rx_oversize++; /* more than the MTU (and a VLAN tag) allows */
				mbuf_free(m);
			} else if (owner >= 0 && (unsigned)owner != dc->queue) {
				/* Another core's flow: it alone may touch that connection. */
				if (dp_lend(dc, m, owner)) {
					dc->st.rx_handed_off++;
				} else {
					dc->st.rx_handoff_drops++;
					mbuf_free(m);
				}
			} else {
				if (dp_ncores > 1 && dp_is_arp(m))
					dp_share_arp(dc, m);
				/* Its connection may have moved in since the batch began. */
				if (owner >= 0)
					dp_drain_imports(dc);
				stack_instances[dc->sctx.index]->input(&dc->sctx, m);
			}
		} else if (dc->mode == DP_MODE_REFLECT) {
			l2l3_reflect(m->data);
			tx[ntx++] = m;
		} else if (l2l3_input(&dc->l3, m->data, &m->len, &dc->st) == L2L3_REPLY) {
			tx[ntx++] = m;
		} else {
			mbuf_free(m);
		}
	}
	if (!ntx)
		return;
	unsigned sent = dc->nic->tx_burst(dc->nic, dc->queue, tx, ntx);
	for (unsigned i = 0; i < sent; i++) {
		dc->st.tx_packets++;
		dc->st.tx_bytes += tx[i]->len;
	}
	for (unsigned i = sent; i < ntx; i++) {
		dc->st.tx_dropped++;
		mbuf_free(tx[i]);
	}
}

/* Carries out one call of this core's app thread (from its SYS_IX_RUN, app tables loaded). */
static int64_t dp_exec_call(void *core, const struct ix_call *call)
{
	struct dp_core *dc = core;
	int64_t r;

	if (!dc->stack_up)
		return -IX_ENETDOWN;
	uint64_t t0 = rdtsc();
	r = stack_instances[dc->sctx.index]->ix_exec(&dc->sctx, call, user_page_lookup, NULL);
	dc->st.cycles_calls += rdtsc() - t0;
	dc->st.app_calls++;
	if (r < 0)
		dc->st.app_call_errors++;
	return r;
}

/*
 * The app's part of the iteration: take a thread the management core handed over, let go
 * of one whose app ended (resetting its connections here), or run it when it has events
 * (or a timeout passed). Returns whether the thread ran.
 */
static bool dp_app_step(struct dp_core *dc)
{
	struct uthread *t = dc->thread;
	const struct stack_ops *ops = stack_instances[dc->sctx.index];

	if (!t) {
		t = __atomic_exchange_n(&dc->thread_new, NULL, __ATOMIC_ACQUIRE);
		if (!t)
			return false;
		dc->thread = t;
		t->exec = dp_exec_call;
		t->core = dc;
		if (dc->stack_up)
			ops->ix_attach(&dc->sctx);
	}
	if (dc->detaching || t->state == UT_DONE ||
	    __atomic_load_n(&t->app->state, __ATOMIC_ACQUIRE) != APP_RUNNING) {
		if (!dc->detaching) {
			unsigned reset = dc->stack_up ? ops->ix_detach(&dc->sctx) : 0;
			if (reset)
				log_info("app %s: %u connection%s reset on cpu %u", t->app->name,
					 reset, reset == 1 ? "" : "s", this_cpu()->id);
			dc->detaching = true;
			dc->detach_tsc = rdtsc();
		}
		/*
		 * Zero-copy sends the NIC has not finished read the app's pages: the thread (and
		 * with it the app's memory) is let go only once the NIC is done with all of them,
		 * however long that takes; a stuck ring keeps them quarantined, never freed.
		 */
		if (dc->stack_up && ops->ix_tx_busy(&dc->sctx)) {
			if (!dc->detach_warned && rdtsc() - dc->detach_tsc > time_tsc_hz()) {
				log_warn("app %s: the NIC still holds frames from its memory on cpu %u "
					 "after 1 s: its pages stay quarantined until it lets go",
					 t->app->name, this_cpu()->id);
				dc->detach_warned = true;
			}
			return false;
		}
		dc->detaching = dc->detach_warned = false;
		/*
		 * The next app must not read this one's traffic through the read-only pool
		 * mapping: wipe the pool, the buffers posted in the RX ring too. Before the
		 * release, which lets the management core start the next app once every core
		 * has let go; the NIC has given back the zero-copy frames above.
		 */
		unsigned posted = 0, dropped = 0;
		if (dc->nic->ops->rx_queue_reset &&
		    dc->nic->ops->rx_queue_reset(dc->nic, dc->queue, &posted, &dropped) != -1)
			log_info("dataplane: cpu%u: RX ring reset: %u posted buffers scrubbed, %u "
				 "completed frames dropped", this_cpu()->id, posted, dropped);
		else
			mbuf_pool_scrub(&dc->pool); /* the free buffers, at least (error logged) */
		dc->thread = NULL;
		uthread_release(t);
		return false;
	}
	unsigned n = 0;
	if (t->state == UT_PARKED && dc->stack_up)
		n = ops->ix_events(&dc->sctx, t->shared->ev, IX_BATCH_MAX);
	if (!n && !uthread_due(t, rdtsc()))
		return false;
	dc->st.app_runs++;
	dc->st.app_events += n;
	uthread_run(t, n);
	return true;
}

/* Arms the queue's interrupt and halts, unless a packet slipped in meanwhile. */
static void dp_sleep(struct dp_core *dc)
{
	struct mbuf *bufs[DP_BATCH_MAX];

	irq_disable();
	dc->nic->ops->rx_irq(dc->nic, dc->queue, true);
	unsigned n = dc->nic->rx_burst(dc->nic, dc->queue, bufs, DP_BATCH_MAX);
	if (n) {
		dc->nic->ops->rx_irq(dc->nic, dc->queue, false);
		irq_enable();
		/* A connection may have moved in just before its packets: adopt it first, or
		 * the stack would answer them with a reset. */
		if (dc->stack_up)
			dp_drain_imports(dc);
		dp_process(dc, bufs, n);
		return;
	}
	dc->sleeping = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with the fence in dp_share_arp */
	/* A peer that shared a frame before seeing "sleeping" did not send an IPI: look again. */
	if (!dp_inbox_empty(dc)) {
		dc->sleeping = false;
		dc->nic->ops->rx_irq(dc->nic, dc->queue, false);
		irq_enable();
		return;
	}
	dc->st.idle_sleeps++;
	/* sti's one-instruction shadow: an interrupt pending since the check wakes the hlt. */
	__asm__ volatile("sti; hlt" ::: "memory");
	dc->sleeping = false;
	dc->nic->ops->rx_irq(dc->nic, dc->queue, false);
}

/* The cycles since *t, which moves to now: one stage of the loop's iteration. */
static inline uint64_t dp_lap(uint64_t *t)
{
	uint64_t now = rdtsc();
	uint64_t d = now - *t;

	*t = now;
	return d;
}

void dataplane_run_here(void)
{
	struct dp_core *dc = &dp_cores[this_cpu()->id];
	struct mbuf *bufs[DP_BATCH_MAX];
	uint64_t last_work = rdtsc();
	bool mgmt = this_cpu()->id == 0;

	if (dc->mode == DP_MODE_STACK) {
		/* The instance is brought up by the core that owns it. */
		dc->stack_up = stack_instances[dc->sctx.index]->init(&dc->sctx) == 0;
		if (!dc->stack_up)
			log_err("dataplane: cpu%u: TCP/IP instance %u failed to start; dropping",
				this_cpu()->id, dc->sctx.index);
	}
	irq_enable();
	for (;;) {
		uint64_t t0 = rdtsc();
		unsigned n = dc->nic->rx_burst(dc->nic, dc->queue, bufs, DP_BATCH_MAX);
		bool ran = false;
		/* This iteration's stages (net/dp_stats.h): kept only if it had work. */
		uint64_t t = rdtsc(), c_rx = t - t0, c_tcpip = 0, c_tx = 0, c_app = 0;

		dc->st.loops++;
		dc->st.batch[dp_batch_bucket(n)]++;
		dc->st.rx_pool_free = dc->pool.avail; /* gauges: two stores, no branch */
		dc->st.rx_pool_min = dc->pool.min_avail;
		if (dp_addr_pending(dc))
			dp_apply_addr(dc);
		if (dc->queue == 0 && dp_dhcp_tx_pending())
			dp_dhcp_tx_drain(dc); /* ip=dhcp: what the client sends */
		if (dc->stack_up) {
			if (dp_move_pending(dc))
				dp_move_serve(dc);
			dp_drain_inbox(dc);
			dp_drain_imports(dc);
			dp_drain_lent(dc);
			c_tcpip += dp_lap(&t);
			stack_instances[dc->sctx.index]->poll(&dc->sctx); /* timers, then transmit */
			c_tx += dp_lap(&t);
		}
		if (n) {
			if (dc->stack_up)
				dp_drain_imports(dc);
			dp_process(dc, bufs, n); /* NIC burst -> TCP/IP: event conditions */
			c_tcpip += dp_lap(&t);
		}
		if (dc->thread || dc->thread_new) {
			uint64_t calls = dc->st.cycles_calls;
			ran = dp_app_step(dc); /* events -> app -> batched calls */
			c_app = dp_lap(&t) - (dc->st.cycles_calls - calls);
		}
		if (n || ran) {
			if (dc->stack_up) /* what the packets and the calls produced leaves now */
				stack_instances[dc->sctx.index]->poll(&dc->sctx);
			c_tx += dp_lap(&t);
			dc->st.cycles_rx += c_rx;
			dc->st.cycles_tcpip += c_tcpip;
			dc->st.cycles_app += c_app;
			dc->st.cycles_tx += c_tx;
			last_work = t;
			dc->st.busy_tsc += last_work - t0;
			if (last_work - t0 > dc->st.busy_tsc_max)
				dc->st.busy_tsc_max = last_work - t0;
			continue;
		}
		if (mgmt)
			dataplane_mgmt_tick();
		if (rdtsc() - last_work < dc->idle_tsc) {
			cpu_pause();
			dc->st.cycles_idle += rdtsc() - t0;
			continue;
		}
		dp_sleep(dc);
		last_work = rdtsc(); /* after a wake-up, poll for a while before sleeping again */
		dc->st.cycles_idle += last_work - t0;
	}
}

static void dp_core_entry(void *arg)
{
	(void)arg;
	dataplane_run_here();
}

static const char *dp_mode_name(int mode)
{
	return mode == DP_MODE_REFLECT ? "reflect" : mode == DP_MODE_L2 ? "l2" : "stack";
}

static int dp_attach_nic(void)
{
	for (unsigned i = 0; i < sizeof(dp_drivers) / sizeof(dp_drivers[0]); i++) {
		struct pci_dev *d = pci_find(dp_drivers[i].vendor, dp_drivers[i].device, 0);
		if (!d)
			continue;
		pci_enable(d);
		volatile void *bar0 = pci_map_bar(d, 0);
		if (!bar0) {
			log_err("dataplane: cannot map BAR0 of %02x:%02x.%x", d->bus, d->dev, d->fn);
			continue;
		}
		log_info("dataplane: %02x:%02x.%x registers (BAR0) at %#lx, mapped at %p", d->bus,
			 d->dev, d->fn, (unsigned long)d->bar[0].addr, bar0);
		strlcpy(dp_nic.name, dp_drivers[i].name, sizeof(dp_nic.name));
		if (dp_drivers[i].attach(&dp_nic, bar0) == 0) {
			dp_pci = d;
			return 0;
		}
	}
	return -1;
}

/* Sets up queue q for the core cpu: its pool, both rings, its interrupt route. */
static int dp_setup_core(unsigned cpu, unsigned q, const struct kconfig *cfg)
{
	struct dp_core *dc = &dp_cores[cpu];

	dc->nic = &dp_nic;
	dc->queue = q;
	dc->mode = cfg->dp_mode;
	dc->sctx = (struct stack_ctx){
		.index = q,
		.nic = &dp_nic,
		.queue = q,
		.pool = &dc->pool,
		.st = &dc->st,
		.ip = cfg->ip.set ? cfg->ip.addr : 0,
		.netmask = cfg->ip.set && cfg->ip.prefix ? ~0u << (32 - cfg->ip.prefix) : 0,
		.gw = cfg->gw.set ? cfg->gw.addr : 0,
	};
	memcpy(dc->sctx.mac, dp_nic.mac, 6);
	dc->idle_tsc = time_tsc_hz() / 1000000 * cfg->idle_us;
	memcpy(dc->l3.mac, dp_nic.mac, 6);
	dc->l3.ip = cfg->ip.set ? cfg->ip.addr : 0;
	if (mbuf_pool_init(&dc->pool, DP_POOL_SIZE, cpu)) {
		log_err("dataplane: no memory for cpu%u's %u buffers", cpu, DP_POOL_SIZE);
		return -1;
	}
	user_add_rx_region(dc->pool.mem_phys, (uint64_t)DP_POOL_SIZE * MBUF_BUF_SIZE);
	if (dp_nic.ops->rx_queue_setup(&dp_nic, q, DP_RX_DESC, &dc->pool) ||
	    dp_nic.ops->tx_queue_setup(&dp_nic, q, DP_TX_DESC)) {
		log_err("dataplane: queue %u set-up failed", q);
		return -1;
	}
	trap_set_handler(VEC_NIC_RX_BASE + q, dp_rx_irq);
	if (pci_msix_route(dp_pci, q, percpu[cpu].apic_id, VEC_NIC_RX_BASE + q, true))
		log_warn("dataplane: no MSI-X entry for queue %u: cpu%u will poll, not sleep",
			 q, cpu);
	dc->active = true;
	return 0;
}

/*
 * Each core's connection memory (bytes): conn_mem= MiB shared by the n cores, or by default a
 * quarter of the memory free now (the pages are taken only as connections arrive; apps and
 * packet buffers have the rest).
 */
static uint64_t dp_conn_mem(const struct kconfig *cfg, unsigned n)
{
	struct pmm pm;

	mem_stats(&pm);
	uint64_t total = cfg->conn_mem_mib ? (uint64_t)cfg->conn_mem_mib << 20
					   : pm.free_pages * PAGE_SIZE / 4;
	log_info("dataplane: connection memory %lu MiB (%s), %lu MiB per core",
		 (unsigned long)(total >> 20), cfg->conn_mem_mib ? "conn_mem=" : "a quarter of free",
		 (unsigned long)(total / n >> 20));
	return total / n;
}

int dataplane_init(const struct kconfig *cfg)
{
	unsigned cpus[MAX_CPUS], n = 0;
	uint8_t reta[NIC_RETA_SIZE];

	dp_stats_interval = cfg->stats_interval;
	dp_next_stats_us = time_uptime_us() + dp_stats_interval * 1000000ULL;
	if (dp_attach_nic()) {
		log_warn("dataplane: no supported NIC (82599 or 82576) found; no dataplane");
		return -1;
	}
	for (unsigned i = 1; i < cpus_online; i++)
		if (percpu[i].role == CPU_ROLE_DATAPLANE)
			cpus[n++] = i;
	if (n == 0) {
		cpus[n++] = 0; /* a 1-CPU machine: the management core runs the dataplane too */
		dp_mgmt_runs_dp = true;
	}
	if (n > dp_nic.max_queues)
		n = dp_nic.max_queues;
	if (cfg->dp_mode == DP_MODE_STACK && n > STACK_MAX_INSTANCES) {
		log_warn("dataplane: %u cores but %u TCP/IP instances; using %u", n,
			 STACK_MAX_INSTANCES, STACK_MAX_INSTANCES);
		n = STACK_MAX_INSTANCES;
	}
	if (dp_nic.ops->configure(&dp_nic, n))
		return -1;
	if (pci_msix_enable(dp_pci) < 0)
		log_warn("dataplane: %s has no usable MSI-X; idle cores will poll", dp_nic.name);
	uint64_t conn_mem = cfg->dp_mode == DP_MODE_STACK ? dp_conn_mem(cfg, n) : 0;
	for (unsigned q = 0; q < n; q++) {
		dp_queue_cpu[q] = cpus[q];
		if (dp_setup_core(cpus[q], q, cfg))
			return -1;
		dp_cores[cpus[q]].sctx.conn_mem = conn_mem;
	}
	dp_move_init(cfg);
	dp_reta_skew = cfg->reta_skew ? 1 : 0;
	for (unsigned i = 0; i < NIC_RETA_SIZE; i++) {
		dp_owner[i] = (uint8_t)(i % n);
		/* reta_skew (a test hook): the NIC steers every bucket one queue off its owner. */
		reta[i] = (uint8_t)((i + dp_reta_skew) % n);
	}
	memcpy(dp_nic_reta, reta, sizeof(dp_nic_reta));
	if (cfg->reta_skew)
		log_warn("dataplane: reta_skew: every flow arrives on the wrong core (test hook)");
	dp_nic.ops->rss_config(&dp_nic, nic_rss_default_key, reta);
	dp_nic.ops->start(&dp_nic);
	dp_ncores = n;

	struct nic_link link;
	char ip[24];
	dp_nic.ops->link_get(&dp_nic, &link);
	cmdline_format_ipv4(&cfg->ip, ip, sizeof(ip));
	log_info("dataplane: %s %02x:%02x:%02x:%02x:%02x:%02x at %02x:%02x.%x, link %s %u Mb/s, "
		 "ip %s, %u queue%s, %s mode", dp_nic.name, dp_nic.mac[0], dp_nic.mac[1],
		 dp_nic.mac[2], dp_nic.mac[3], dp_nic.mac[4], dp_nic.mac[5], dp_pci->bus,
		 dp_pci->dev, dp_pci->fn, link.up ? "up" : "down", link.speed_mbps, ip, n,
		 n == 1 ? "" : "s", dp_mode_name(cfg->dp_mode));
	for (unsigned q = 0; q < n; q++) {
		log_info("dataplane: cpu%u polls queue %u", cpus[q], q);
		if (cpus[q] != 0 && smp_call_on(cpus[q], dp_core_entry, NULL))
			log_err("dataplane: cpu%u did not take its queue", cpus[q]);
	}
	dp_dhcp_init(cfg, dp_nic.mac);
	return 0;
}

unsigned dataplane_app_cpus(unsigned *cpus)
{
	for (unsigned q = 0; q < dp_ncores; q++)
		cpus[q] = dp_queue_cpu[q];
	return dp_ncores;
}

void dataplane_host_thread(unsigned cpu, struct uthread *t)
{
	__atomic_store_n(&dp_cores[cpu].thread_new, t, __ATOMIC_RELEASE);
	dp_wake(cpu);
}

const uint8_t *dataplane_owner_table(void)
{
	return dp_owner;
}

unsigned dataplane_cores(struct dp_core_info *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned q = 0; q < dp_ncores && n < max; q++) {
		const struct dp_core *dc = &dp_cores[dp_queue_cpu[q]];
		struct dp_core_info *i = &out[n++];
		*i = (struct dp_core_info){.cpu = dp_queue_cpu[q], .queue = q,
					   .stack_up = dc->stack_up, .sleeping = dc->sleeping};
		for (unsigned g = 0; g < NIC_RETA_SIZE; g++)
			i->flow_groups += dp_owner[g] == q;
		i->st = dc->st;
		i->busy_ns = time_tsc_to_us(dc->st.busy_tsc) * 1000;
		i->loop_ns_max = time_tsc_to_us(dc->st.busy_tsc_max) * 1000;
		if (dc->stack_up)
			stack_instances[dc->sctx.index]->stats((struct stack_ctx *)&dc->sctx, &i->ss);
	}
	return n;
}

bool dataplane_nic_info(const char **name, uint8_t mac[6], struct nic_link *link)
{
	if (!dp_nic.ops)
		return false;
	*name = dp_nic.name;
	memcpy(mac, dp_nic.mac, 6);
	dp_nic.ops->link_get(&dp_nic, link);
	return true;
}

void dataplane_nic_stats(struct nic_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (dp_nic.ops)
		dp_nic.ops->stats_get(&dp_nic, out);
}

struct pci_dev *dataplane_pci_dev(void)
{
	return dp_pci;
}

bool dataplane_on_mgmt_core(void)
{
	return dp_mgmt_runs_dp;
}

/* Appends to a line buffer, never past its end. */
static void put(char *line, int *n, const char *fmt, unsigned long v)
{
	if (*n < DP_LINE_MAX - 1)
		*n += ksnprintf(line + *n, DP_LINE_MAX - *n, fmt, v);
	if (*n > DP_LINE_MAX - 1)
		*n = DP_LINE_MAX - 1;
}

/* Ends the line and prints it whole (kputs: no length limit, one lock, so no interleaving). */
static void end_line(char *line, int n)
{
	if (n > DP_LINE_MAX - 2)
		n = DP_LINE_MAX - 2;
	line[n] = '\n';
	line[n + 1] = 0;
	kputs(line);
}

void dataplane_print_stats(void)
{
	char line[DP_LINE_MAX];

	for (unsigned c = 0; c < MAX_CPUS; c++) {
		const struct dp_core *dc = &dp_cores[c];
		if (!dc->active)
			continue;
		int n = ksnprintf(line, sizeof(line), "stats: cpu%u queue %u", c, dc->queue);
#define DP_STATS_PRINT(f) put(line, &n, " " #f "=%lu", dc->st.f);
		DP_STATS(DP_STATS_PRINT)
#undef DP_STATS_PRINT
		for (int b = 0; b < DP_BATCH_BUCKETS; b++)
			put(line, &n, b ? ",%lu" : " batch=%lu", dc->st.batch[b]);
		if (dc->stack_up) {
			struct stack_stats ss;
			stack_instances[dc->sctx.index]->stats((struct stack_ctx *)&dc->sctx, &ss);
#define STACK_STATS_PRINT(f) put(line, &n, " " #f "=%lu", ss.f);
			STACK_STATS(STACK_STATS_PRINT)
#undef STACK_STATS_PRINT
		}
		end_line(line, n);
	}
	dp_dhcp_print_stats();
	if (!dp_nic.ops)
		return;
	struct nic_stats ns;
	dp_nic.ops->stats_get(&dp_nic, &ns);
	int n = ksnprintf(line, sizeof(line), "stats: nic %s", dp_nic.name);
#define NIC_STATS_PRINT(f) put(line, &n, " " #f "=%lu", ns.f);
	NIC_STATS(NIC_STATS_PRINT)
#undef NIC_STATS_PRINT
	end_line(line, n);
}

void dataplane_mgmt_tick(void)
{
	apps_tick();
	mgmt_poll();
	dp_move_tick(); /* the NIC follows moves; the migrate_test hook */
	dp_dhcp_tick(); /* ip=dhcp */
	if (!dp_stats_interval || time_uptime_us() < dp_next_stats_us)
		return;
	dp_next_stats_us += dp_stats_interval * 1000000ULL;
	dataplane_print_stats();
}
