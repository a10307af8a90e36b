/*
 * ip=dhcp on the dataplane NIC (net/dp_dhcp.h): the client on the management core, and the
 * two frame hand-overs between it and the dataplane cores. lwIP's own DHCP client is not
 * used: it would run inside one core's instance, set that instance's address behind the
 * seqlock's back, and need the replies steered to that core; ours needs no UDP in the stack.
 */
#include "net/dp_dhcp.h"
#include "drivers/mbuf.h"
#include "kernel/cmdline.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/random.h"
#include "kernel/time.h"
#include "net/dataplane.h"
#include "net/dhcp.h"
#include "net/dhcp_client.h"
#include "net/dp_core.h"

#define DD_SLOTS 4 /* a power of two; DHCP sends a few frames a minute at most */

/* A single-producer, single-consumer ring of whole frames (copied in and out). */
struct dd_ring {
	volatile uint32_t head __attribute__((aligned(64)));
	volatile uint32_t tail __attribute__((aligned(64)));
	struct {
		uint16_t len;
		uint8_t data[DP_FRAME_MAX];
	} slot[DD_SLOTS];
};

bool dp_dhcp_on;
static struct dd_ring dd_rx[NIC_MAX_QUEUES]; /* queue q's core -> the management core */
static struct dd_ring dd_tx;		     /* the management core -> queue 0's core */
static uint64_t dd_rx_relayed[NIC_MAX_QUEUES], dd_rx_dropped[NIC_MAX_QUEUES]; /* by producer */
static uint64_t dd_tx_dropped;		     /* the TX ring took none: by queue 0's core */
static struct dhcp_client dd_client;

static bool dd_push(struct dd_ring *r, const uint8_t *data, size_t len)
{
	uint32_t h = r->head;

	if (len > DP_FRAME_MAX || h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == DD_SLOTS)
		return false;
	memcpy(r->slot[h % DD_SLOTS].data, data, len);
	r->slot[h % DD_SLOTS].len = (uint16_t)len;
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	return true;
}

/* The oldest frame's slot, or -1; dd_pop when done with it. */
static int dd_peek(struct dd_ring *r)
{
	uint32_t t = r->tail;

	return t == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) ? -1 : (int)(t % DD_SLOTS);
}

static void dd_pop(struct dd_ring *r)
{
	__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
}

bool dp_dhcp_rx(struct dp_core *dc, const struct mbuf *m)
{
	if (!dhcp_is_client_frame(m->data, m->len))
		return false;
	if (dd_push(&dd_rx[dc->queue], m->data, m->len))
		dd_rx_relayed[dc->queue]++;
	else
		dd_rx_dropped[dc->queue]++;
	return true;
}

bool dp_dhcp_tx_pending(void)
{
	return dd_tx.tail != __atomic_load_n(&dd_tx.head, __ATOMIC_ACQUIRE);
}

void dp_dhcp_tx_drain(struct dp_core *dc)
{
	int s;

	while ((s = dd_peek(&dd_tx)) >= 0) {
		struct mbuf *m = mbuf_alloc(&dc->pool);
		if (!m)
			return; /* next iteration, once buffers come back */
		memcpy(m->data, dd_tx.slot[s].data, dd_tx.slot[s].len);
		m->len = dd_tx.slot[s].len;
		dd_pop(&dd_tx);
		if (dc->nic->tx_burst(dc->nic, dc->queue, &m, 1) == 1) {
			dc->st.tx_packets++;
			dc->st.tx_bytes += m->len;
		} else {
			dd_tx_dropped++;
			mbuf_free(m);
		}
	}
}

/* The client's ops: frames go to queue 0's core, the address to every core. */
static int dd_send(void *arg, const uint8_t *frame, size_t len)
{
	(void)arg;
	if (!dd_push(&dd_tx, frame, len))
		return -1;
	dp_wake(dp_queue_cpu[0]);
	return 0;
}

static void dd_apply(void *arg, uint32_t ip, unsigned prefix, uint32_t gw)
{
	(void)arg;
	if (dataplane_set_addr(ip, prefix, gw))
		log_warn("dhcp: dataplane: a core did not take the address within 1 s (it will)");
}

static void dd_log(void *arg, int level, const char *msg)
{
	(void)arg;
	klog(level, "%s", msg);
}

static uint32_t dd_rand(void *arg)
{
	(void)arg;
	return (uint32_t)random_u64();
}

static const struct dhcp_client_ops dd_ops = {dd_send, dd_apply, dd_log, dd_rand};

void dp_dhcp_init(const struct kconfig *cfg, const uint8_t mac[6])
{
	if (!cfg->ip.dhcp)
		return;
	dd_client = (struct dhcp_client){
	    .name = "dataplane",
	    .ops = &dd_ops,
	    .fallback_gw = cfg->gw.set ? cfg->gw.addr : 0,
	};
	memcpy(dd_client.mac, mac, 6);
	dp_dhcp_on = true;
	dhcp_client_start(&dd_client, time_uptime_us());
}

void dp_dhcp_tick(void)
{
	if (!dp_dhcp_on)
		return;
	uint64_t now = time_uptime_us();
	for (unsigned q = 0; q < dp_ncores; q++) {
		int s;
		while ((s = dd_peek(&dd_rx[q])) >= 0) {
			dhcp_client_input(&dd_client, dd_rx[q].slot[s].data, dd_rx[q].slot[s].len,
					  now);
			dd_pop(&dd_rx[q]);
		}
	}
	dhcp_client_tick(&dd_client, now);
}

void dp_dhcp_print_stats(void)
{
	uint64_t relayed = 0, dropped = 0;
	char line[512];
	int n;

	if (!dp_dhcp_on)
		return;
	for (unsigned q = 0; q < NIC_MAX_QUEUES; q++) {
		relayed += dd_rx_relayed[q];
		dropped += dd_rx_dropped[q];
	}
	n = ksnprintf(line, sizeof(line), "stats: dhcp dataplane state=%u",
		      (unsigned)dd_client.state);
#define DD_STATS_PRINT(f)                                                                          \
	if (n < (int)sizeof(line))                                                                 \
		n += ksnprintf(line + n, sizeof(line) - n, " " #f "=%lu",                          \
			       (unsigned long)dd_client.st.f);
	DHCP_STATS(DD_STATS_PRINT)
#undef DD_STATS_PRINT
	if (n < (int)sizeof(line))
		ksnprintf(line + n, sizeof(line) - n, " rx_relayed=%lu rx_relay_dropped=%lu "
			  "tx_relay_dropped=%lu", (unsigned long)relayed, (unsigned long)dropped,
			  (unsigned long)dd_tx_dropped);
	kprintf("%s\n", line); /* as dataplane_print_stats: a "stats:" line of its own */
}
