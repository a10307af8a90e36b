/*
 * Host tests of the 82599 driver (drivers/ixgbe) against the behavioural model
 * (tests/model/ixgbe_model.c), plus the Toeplitz hash. The harness provides the HOST_TEST
 * platform: DMA memory whose bus address is its host address (the model may touch only what was
 * allocated), a clock that plat_delay_us advances, a log the tests read, and a wire that records
 * every transmitted frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "drivers/adv_ring.h"
#include "drivers/ixgbe/ixgbe.h"
#include "drivers/ixgbe/ixgbe_regs.h"
#include "drivers/mbuf.h"
#include "drivers/platform.h"
#include "kernel/cmdline.h"
#include "kernel/lib/printf.h"
#include "net/toeplitz.h"
#include "tests/model/ixgbe_model.h"

/* ---- harness: the HOST_TEST platform on top of the model ---------------------------------- */

#define MAX_ALLOCS 256
#define MAX_LOGS   64
#define MAX_SENT   2048
#define FRAME_MAX  2048

static struct {
	uint8_t *p;
	size_t size;
} allocs[MAX_ALLOCS];
static uint64_t clock_ns;
static struct ixgbe_model *model;
static bool auto_poll; /* the model transmits as soon as the tail moves */
static char drv_logs[MAX_LOGS][200], model_logs[MAX_LOGS][200];
static int drv_nlogs, drv_nerrs, model_nlogs;
static struct {
	uint8_t data[FRAME_MAX];
	size_t len;
} sent[MAX_SENT];
static unsigned nsent;
static unsigned msix_fired[64];
static char bar0; /* the "BAR": accesses go to the model whatever the address */

static const uint8_t dev_mac[6] = {0x02, 0x1b, 0x21, 0xaa, 0xbb, 0xcc};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t ms_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

void *dma_alloc(size_t size, uint64_t *phys)
{
	size_t rounded = (size + 4095) & ~(size_t)4095;

	for (unsigned i = 0; i < MAX_ALLOCS; i++) {
		if (allocs[i].p)
			continue;
		allocs[i].p = aligned_alloc(4096, rounded);
		if (!allocs[i].p)
			return NULL;
		memset(allocs[i].p, 0, rounded);
		allocs[i].size = size;
		*phys = (uintptr_t)allocs[i].p;
		return allocs[i].p;
	}
	return NULL;
}

void dma_free(void *va, size_t size)
{
	for (unsigned i = 0; i < MAX_ALLOCS; i++) {
		if (allocs[i].p == va) {
			assert_int_equal(allocs[i].size, size);
			free(va);
			allocs[i].p = NULL;
			return;
		}
	}
	fail_msg("dma_free of memory that dma_alloc did not give");
}

/* A frame the wire delivers during the driver's next wait while RX queue 0 is stopped. */
static const uint8_t *frame_while_off;
static size_t frame_while_off_len;
static int frame_while_off_result = -1;

void plat_delay_us(unsigned us)
{
	clock_ns += (uint64_t)us * 1000;
	if (model)
		ixgbe_model_poll(model);
	if (model && frame_while_off &&
	    !(ixgbe_model_peek(model, IXGBE_RXDCTL(0)) & IXGBE_RXDCTL_ENABLE)) {
		frame_while_off_result =
		    ixgbe_model_receive(model, frame_while_off, frame_while_off_len);
		frame_while_off = NULL;
	}
}

void plat_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level <= LOG_ERR)
		drv_nerrs++;
	if (drv_nlogs >= MAX_LOGS)
		return;
	va_start(ap, fmt);
	kvsnprintf(drv_logs[drv_nlogs++], sizeof(drv_logs[0]), fmt, ap);
	va_end(ap);
}

uint32_t host_mmio_read32(volatile void *base, uint32_t off)
{
	assert_ptr_equal(base, &bar0);
	return ixgbe_model_mmio_read(model, off);
}

void host_mmio_write32(volatile void *base, uint32_t off, uint32_t v)
{
	assert_ptr_equal(base, &bar0);
	ixgbe_model_mmio_write(model, off, v);
}

/* Host memory the model may reach: only what dma_alloc handed out. */
static uint8_t *dma_ptr(uint64_t addr, size_t len)
{
	for (unsigned i = 0; i < MAX_ALLOCS; i++) {
		uint64_t start = (uintptr_t)allocs[i].p;
		if (allocs[i].p && addr >= start && addr + len <= start + allocs[i].size &&
		    addr + len >= addr)
			return allocs[i].p + (addr - start);
	}
	return NULL;
}

static int m_dma_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint8_t *p = dma_ptr(addr, len);

	(void)ctx;
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static int m_dma_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	uint8_t *p = dma_ptr(addr, len);

	(void)ctx;
	if (!p)
		return -1;
	memcpy(p, buf, len);
	return 0;
}

static void m_tx_frame(void *ctx, const void *frame, size_t len)
{
	(void)ctx;
	assert_true(len <= FRAME_MAX);
	if (nsent < MAX_SENT) {
		memcpy(sent[nsent].data, frame, len);
		sent[nsent].len = len;
	}
	nsent++;
}

static void m_msix(void *ctx, unsigned vector)
{
	(void)ctx;
	assert_true(vector < 64);
	msix_fired[vector]++;
}

static uint64_t m_now(void *ctx)
{
	(void)ctx;
	return clock_ns;
}

static void m_log(void *ctx, const char *msg)
{
	(void)ctx;
	if (model_nlogs < MAX_LOGS)
		snprintf(model_logs[model_nlogs], sizeof(model_logs[0]), "%s", msg);
	model_nlogs++;
}

static void m_kick(void *ctx)
{
	(void)ctx;
	if (auto_poll)
		ixgbe_model_poll(model);
}

static const struct ixgbe_model_ops mops = {
    .dma_read = m_dma_read,
    .dma_write = m_dma_write,
    .tx_frame = m_tx_frame,
    .msix = m_msix,
    .now_ns = m_now,
    .log = m_log,
    .kick = m_kick,
};

static struct nic nic;
static struct mbuf_pool pools[IXGBE_MAX_QUEUES];

static void new_model(const struct ixgbe_model_config *cfg)
{
	struct ixgbe_model_config def;

	if (!cfg) {
		ixgbe_model_default_config(&def, dev_mac);
		cfg = &def;
	}
	model = ixgbe_model_create(cfg, &mops, NULL);
	assert_non_null(model);
}

static int setup(void **state)
{
	(void)state;
	clock_ns = 1000000;
	auto_poll = true;
	drv_nlogs = drv_nerrs = model_nlogs = 0;
	nsent = 0;
	memset(msix_fired, 0, sizeof(msix_fired));
	memset(&nic, 0, sizeof(nic));
	memset(pools, 0, sizeof(pools));
	model = NULL;
	frame_while_off = NULL;
	frame_while_off_result = -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ixgbe_model_destroy(model);
	model = NULL;
	for (unsigned i = 0; i < MAX_ALLOCS; i++) {
		free(allocs[i].p);
		allocs[i].p = NULL;
	}
	return 0;
}

static unsigned live_allocs(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_ALLOCS; i++)
		n += allocs[i].p != NULL;
	return n;
}

static bool drv_logged(const char *needle)
{
	for (int i = 0; i < drv_nlogs && i < MAX_LOGS; i++)
		if (strstr(drv_logs[i], needle))
			return true;
	return false;
}

static int model_logged(const char *needle)
{
	int n = 0;

	for (int i = 0; i < model_nlogs && i < MAX_LOGS; i++)
		n += strstr(model_logs[i], needle) != NULL;
	return n;
}

/* Attaches, configures nq queue pairs (rx_desc/tx_desc each, a pool of pool_size per queue). */
static void bring_up(unsigned nq, unsigned rx_desc, unsigned tx_desc, unsigned pool_size)
{
	if (!model)
		new_model(NULL);
	assert_int_equal(ixgbe_attach(&nic, &bar0), 0);
	assert_int_equal(nic.ops->configure(&nic, nq), 0);
	for (unsigned q = 0; q < nq; q++) {
		assert_int_equal(mbuf_pool_init(&pools[q], pool_size, q), 0);
		assert_int_equal(nic.ops->rx_queue_setup(&nic, q, rx_desc, &pools[q]), 0);
		assert_int_equal(nic.ops->tx_queue_setup(&nic, q, tx_desc), 0);
	}
	assert_int_equal(nic.ops->start(&nic), 0);
	assert_int_equal(drv_nerrs, 0);
	for (int i = 0; i < model_nlogs && i < MAX_LOGS; i++)
		print_message("model: %s\n", model_logs[i]);
	assert_int_equal(model_nlogs, 0);
}

/* ---- frames ------------------------------------------------------------------------------ */

struct flow {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto; /* 6 TCP, 17 UDP, 1 ICMP (no ports) */
};

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

static void be16(uint8_t *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Ones' complement sum, independent of the model's. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t pseudo_sum(const uint8_t *ip, unsigned l4len)
{
	return sum16(0, ip + 12, 8) + ip[9] + l4len;
}

/*
 * Builds an IPv4 frame for the device with payload bytes derived from seq; returns its length
 * (FCS not included). Checksums are correct unless the caller breaks them afterwards.
 */
static size_t build(uint8_t *f, const struct flow *fl, unsigned payload, unsigned seq)
{
	unsigned l4hdr = fl->proto == 6 ? 20 : 8;
	unsigned l4len = l4hdr + payload;
	uint8_t *ip = f + 14, *l4 = ip + 20;

	memcpy(f, dev_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	be16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16(ip + 2, 20 + l4len);
	be16(ip + 4, seq & 0xffff);
	be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = fl->proto;
	be32(ip + 12, fl->saddr);
	be32(ip + 16, fl->daddr);
	be16(ip + 10, ~fold(sum16(0, ip, 20)) & 0xffff);
	memset(l4, 0, l4hdr);
	be16(l4, fl->sport);
	be16(l4 + 2, fl->dport);
	if (fl->proto == 6) {
		be32(l4 + 4, seq);
		l4[12] = 5 << 4;
		l4[13] = 0x18;
		be16(l4 + 14, 65535);
	} else {
		be16(l4 + 4, l4len);
	}
	for (unsigned i = 0; i < payload; i++)
		l4[l4hdr + i] = (uint8_t)(seq * 7 + i);
	if (fl->proto == 6 || fl->proto == 17) {
		unsigned at = fl->proto == 6 ? 16 : 6;
		uint16_t c = ~fold(sum16(pseudo_sum(ip, l4len), l4, l4len)) & 0xffff;
		be16(l4 + at, fl->proto == 17 && c == 0 ? 0xffff : c);
	}
	return 14 + 20 + l4len;
}

static const struct flow udp_flow = {0xc6120001, 0xc6120002, 5000, 7, 17};

static size_t build_seq(uint8_t *f, unsigned seq)
{
	return build(f, &udp_flow, 18 + seq % 200, seq);
}

static unsigned drain(unsigned q, struct mbuf **bufs, unsigned max)
{
	return nic.rx_burst(&nic, q, bufs, max);
}

static void free_all(struct mbuf **bufs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mbuf_free(bufs[i]);
}

static struct nic_stats stats(void)
{
	struct nic_stats s;

	nic.ops->stats_get(&nic, &s);
	return s;
}

/* An mbuf from pool q holding frame f. */
static struct mbuf *tx_mbuf(unsigned q, const uint8_t *f, size_t len)
{
	struct mbuf *m = mbuf_alloc(&pools[q]);

	assert_non_null(m);
	memcpy(m->data, f, len);
	m->len = len;
	return m;
}

/* ---- RSS ------------------------------------------------------------------------------- */

/* The RSS verification suite (82599 datasheet 7.1.2.8.3; tests/unit/test_toeplitz.c). */
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
static const struct {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t ipv4, ipv4_tcp;
} vectors[] = {
    {IP4(66, 9, 149, 187), IP4(161, 142, 100, 80), 2794, 1766, 0x323e8fc2, 0x51ccc178},
    {IP4(199, 92, 111, 2), IP4(65, 69, 140, 83), 14230, 4739, 0xd718262a, 0xc626b0ea},
    {IP4(24, 19, 198, 95), IP4(12, 22, 207, 184), 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
    {IP4(38, 27, 205, 30), IP4(209, 142, 163, 6), 48228, 2217, 0x82989176, 0xafc7327f},
    {IP4(153, 39, 163, 191), IP4(202, 188, 127, 2), 44251, 1303, 0x5d1809c5, 0x10e828a2},
};

/* ---- initialisation ---------------------------------------------------------------------- */

static void test_attach_resets_and_reads_mac(void **state)
{
	(void)state;
	new_model(NULL);
	assert_int_equal(ixgbe_attach(&nic, &bar0), 0);
	assert_memory_equal(nic.mac, dev_mac, 6);
	assert_non_null(nic.ops);
	assert_non_null(nic.rx_burst);
	assert_non_null(nic.tx_burst);
	assert_int_equal(nic.max_queues, 16);
	assert_non_null(nic.priv);
	assert_int_equal(drv_nerrs, 0);
	/* no register touched during the reset, nothing the datasheet forbids */
	assert_int_equal(model_nlogs, 0);
	/* the reset was a real one: DMA init done, EEPROM read, interrupts all masked */
	assert_true(ixgbe_model_peek(model, IXGBE_RDRXCTL) & IXGBE_RDRXCTL_DMAIDONE);
	assert_int_equal(ixgbe_model_peek(model, IXGBE_EIMS), 0);
}

static void test_link_reported(void **state)
{
	struct nic_link link;

	(void)state;
	bring_up(1, 64, 64, 128);
	nic.ops->link_get(&nic, &link);
	assert_true(link.up);
	assert_int_equal(link.speed_mbps, 10000);
	assert_true(link.full_duplex);

	ixgbe_model_set_cable(model, false);
	nic.ops->link_get(&nic, &link);
	assert_false(link.up);
	assert_int_equal(link.speed_mbps, 0);
	ixgbe_model_set_cable(model, true);
	plat_delay_us(10000);
	nic.ops->link_get(&nic, &link);
	assert_true(link.up);
	assert_int_equal(drv_nerrs, 0);
}

static void test_link_down_is_not_fatal(void **state)
{
	struct ixgbe_model_config cfg;
	struct nic_link link;

	(void)state;
	ixgbe_model_default_config(&cfg, dev_mac);
	cfg.cable = false;
	new_model(&cfg);
	uint64_t t0 = clock_ns;
	assert_int_equal(ixgbe_attach(&nic, &bar0), 0);
	assert_true(clock_ns - t0 < 2000000000ull); /* bounded wait */
	assert_true(drv_logged("link is down"));
	nic.ops->link_get(&nic, &link);
	assert_false(link.up);
}

static void test_reset_timeout_fails_attach(void **state)
{
	struct ixgbe_model_config cfg;

	(void)state;
	ixgbe_model_default_config(&cfg, dev_mac);
	cfg.reset_ns = IXGBE_MODEL_NEVER;
	new_model(&cfg);
	uint64_t t0 = clock_ns;
	assert_true(ixgbe_attach(&nic, &bar0) < 0);
	assert_true(drv_logged("reset did not complete"));
	assert_true(clock_ns - t0 < 1000000000ull);
	assert_null(nic.priv);
}

static void test_eeprom_timeout_fails_attach(void **state)
{
	struct ixgbe_model_config cfg;

	(void)state;
	ixgbe_model_default_config(&cfg, dev_mac);
	cfg.eeprom_ns = IXGBE_MODEL_NEVER;
	new_model(&cfg);
	assert_true(ixgbe_attach(&nic, &bar0) < 0);
	assert_true(drv_logged("EEPROM auto-read did not complete"));
}

static void test_configuration_errors(void **state)
{
	uint8_t reta[NIC_RETA_SIZE] = {0};

	(void)state;
	new_model(NULL);
	assert_int_equal(ixgbe_attach(&nic, &bar0), 0);
	assert_true(nic.ops->configure(&nic, 0) < 0);
	assert_true(nic.ops->configure(&nic, 17) < 0);
	assert_int_equal(nic.ops->configure(&nic, 2), 0);
	assert_true(nic.ops->start(&nic) < 0); /* no queues set up */
	reta[5] = 2;			       /* queue 2 of 2 */
	assert_true(nic.ops->rss_config(&nic, ms_key, reta) < 0);
	assert_int_equal(mbuf_pool_init(&pools[0], 64, 0), 0);
	assert_true(nic.ops->rx_queue_setup(&nic, 2, 32, &pools[0]) < 0);
	assert_true(nic.ops->rx_queue_setup(&nic, 0, 100, &pools[0]) < 0); /* not a power of 2 */
	assert_true(nic.ops->rx_irq(&nic, 0, true) < 0);		   /* queue not set up */
	/* a pool smaller than the ring: refused, and the attempt keeps no memory or buffers */
	assert_int_equal(mbuf_pool_init(&pools[1], 16, 1), 0);
	unsigned before = live_allocs();
	assert_true(nic.ops->rx_queue_setup(&nic, 1, 32, &pools[1]) < 0);
	assert_int_equal(live_allocs(), before);
	assert_int_equal(pools[1].avail, 16);
	assert_int_equal(nic.ops->rx_queue_setup(&nic, 1, 16, &pools[1]), 0);
	assert_true(drv_nerrs >= 6);
}

/* ---- receive and transmit ---------------------------------------------------------------- */

static void test_rx_through_wrapping_ring(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *bufs[64];
	unsigned got = 0, seq = 0;

	(void)state;
	bring_up(1, 64, 64, 256);
	while (got < 1000) {
		for (unsigned i = 0; i < 40; i++, seq++) {
			size_t len = build_seq(f, seq);
			assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
		}
		unsigned n = drain(0, bufs, 64);
		assert_int_equal(n, 40);
		for (unsigned i = 0; i < n; i++, got++) {
			size_t len = build_seq(f, got);
			assert_int_equal(bufs[i]->len, len);
			assert_memory_equal(bufs[i]->data, f, len);
		}
		free_all(bufs, n);
	}
	assert_int_equal(drain(0, bufs, 64), 0);
	struct nic_stats s = stats();
	assert_int_equal(s.rx_packets, 1000);
	assert_int_equal(s.rx_missed_errors, 0);
	assert_int_equal(pools[0].avail, 256 - 64); /* the ring holds 64, the rest came back */
}

static void test_tx_through_wrapping_ring(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *bufs[20];
	unsigned seq = 0;

	(void)state;
	bring_up(1, 64, 64, 256);
	unsigned pool_start = pools[0].avail;
	while (seq < 1000) {
		for (unsigned i = 0; i < 20; i++) {
			size_t len = build_seq(f, seq + i);
			bufs[i] = tx_mbuf(0, f, len);
		}
		assert_int_equal(nic.tx_burst(&nic, 0, bufs, 20), 20);
		seq += 20;
	}
	assert_int_equal(nsent, 1000);
	for (unsigned i = 0; i < 1000; i++) {
		size_t len = build_seq(f, i);
		assert_int_equal(sent[i].len, len);
		assert_memory_equal(sent[i].data, f, len);
	}
	/* everything sent comes back to the pool, except what the last burst has not reclaimed */
	assert_true(pools[0].avail >= pool_start - 64);
	struct nic_stats s = stats();
	assert_int_equal(s.tx_packets, 1000);
	assert_int_equal(s.tx_ring_full, 0);
	assert_int_equal(model_nlogs, 0);
}

static void test_rx_ring_full_drops_and_resumes(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *bufs[64];
	unsigned ok = 0, dropped = 0;

	(void)state;
	bring_up(1, 32, 32, 128);
	for (unsigned seq = 0; seq < 100; seq++) {
		size_t len = build_seq(f, seq);
		enum ixgbe_model_rx r = ixgbe_model_receive(model, f, len);
		if (r == IXGBE_MODEL_RX_OK)
			ok++;
		else if (r == IXGBE_MODEL_RX_NO_DESC)
			dropped++;
		else
			fail_msg("unexpected %s", ixgbe_model_rx_name(r));
	}
	/* software keeps one descriptor, so the device owns 31 */
	assert_int_equal(ok, 31);
	assert_int_equal(dropped, 69);
	struct nic_stats s = stats();
	assert_int_equal(s.rx_missed_errors, 69);
	assert_int_equal(s.rx_no_buffer, 69);
	assert_int_equal(s.rx_packets, 100); /* the MAC took them all; the queue dropped 69 */

	unsigned n = drain(0, bufs, 64);
	assert_int_equal(n, 31);
	for (unsigned i = 0; i < n; i++) {
		size_t len = build_seq(f, i);
		assert_int_equal(bufs[i]->len, len);
		assert_memory_equal(bufs[i]->data, f, len);
	}
	free_all(bufs, n);
	for (unsigned seq = 500; seq < 510; seq++) {
		size_t len = build_seq(f, seq);
		assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	}
	n = drain(0, bufs, 64);
	assert_int_equal(n, 10);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(bufs[i]->len, build_seq(f, 500 + i));
	free_all(bufs, n);
	assert_int_equal(stats().rx_missed_errors, 69);
}

static void test_rx_ring_empty_returns_nothing(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *bufs[8];
	struct mbuf *const poison = (struct mbuf *)0x5a5a5a5a;

	(void)state;
	bring_up(1, 32, 32, 64);
	for (unsigned i = 0; i < 8; i++)
		bufs[i] = poison;
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(drain(0, bufs, 8), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_ptr_equal(bufs[i], poison);
	size_t len = build_seq(f, 1);
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, bufs, 8), 1);
	assert_ptr_equal(bufs[1], poison);
	assert_int_equal(bufs[0]->len, len);
	mbuf_free(bufs[0]);
	assert_int_equal(drain(0, bufs, 8), 0);
	assert_int_equal(drain(0, bufs, 0), 0);
	struct nic_stats s = stats();
	assert_int_equal(s.rx_packets, 1);
	assert_int_equal(s.rx_errors, 0);
}

static void test_rx_pool_exhaustion_pauses_without_loss(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *held[256];
	unsigned nheld = 0, accepted = 0, seq = 0;

	(void)state;
	/* 32 buffers in the ring, 8 spare: the application can hold only 8 before rx pauses */
	bring_up(1, 32, 32, 40);
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < 10; i++, seq++) {
			size_t len = build_seq(f, seq);
			accepted += ixgbe_model_receive(model, f, len) == IXGBE_MODEL_RX_OK;
		}
		nheld += drain(0, held + nheld, 64);
	}
	assert_int_equal(nheld, 8);
	assert_int_equal(drain(0, held + nheld, 64), 0); /* paused, nothing handed out */
	/* 8 handed out, and the ring's 31 descriptors full: then the device dropped */
	assert_int_equal(accepted, 8 + 31);
	free_all(held, nheld);
	unsigned total = nheld;
	nheld = 0;
	for (;;) {
		unsigned n = drain(0, held, 64);
		if (n == 0)
			break;
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(held[i]->len, build_seq(f, total + i));
		total += n;
		free_all(held, n);
	}
	assert_int_equal(total, accepted); /* every frame the device accepted was delivered */
	assert_true(pools[0].alloc_fails > 0);
	size_t len = build_seq(f, 999);
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, held, 64), 1);
	mbuf_free(held[0]);
}

static void test_tx_ring_full_takes_prefix(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *bufs[40];

	(void)state;
	bring_up(1, 32, 32, 128);
	auto_poll = false; /* the device is slow: nothing goes out until it runs */
	for (unsigned i = 0; i < 40; i++)
		bufs[i] = tx_mbuf(0, f, build_seq(f, i));
	unsigned n = nic.tx_burst(&nic, 0, bufs, 40);
	assert_int_equal(n, 31);
	assert_int_equal(stats().tx_ring_full, 1);
	assert_int_equal(nsent, 0);
	assert_int_equal(nic.tx_burst(&nic, 0, bufs + n, 40 - n), 0);
	assert_int_equal(stats().tx_ring_full, 2);
	ixgbe_model_poll(model);
	assert_int_equal(nsent, 31);
	assert_int_equal(nic.tx_burst(&nic, 0, bufs + n, 40 - n), 9);
	ixgbe_model_poll(model);
	assert_int_equal(nsent, 40);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(sent[i].len, build_seq(f, i));
	assert_int_equal(stats().tx_packets, 40);
}

static void test_rss_vectors_end_to_end(void **state)
{
	uint8_t f[FRAME_MAX], reta[NIC_RETA_SIZE];
	struct mbuf *b[4];

	(void)state;
	bring_up(16, 32, 32, 64);
	for (unsigned i = 0; i < NIC_RETA_SIZE; i++)
		reta[i] = (i * 7 + 3) % 16;
	assert_int_equal(nic.ops->rss_config(&nic, ms_key, reta), 0);
	for (unsigned v = 0; v < 5; v++) {
		static const uint8_t protos[3] = {6, 17, 1};
		for (unsigned p = 0; p < 3; p++) {
			struct flow fl = {vectors[v].src, vectors[v].dst, vectors[v].sport,
					  vectors[v].dport, protos[p]};
			uint32_t want = p < 2 ? vectors[v].ipv4_tcp : vectors[v].ipv4;
			assert_int_equal(toeplitz_hash_ipv4(ms_key, fl.saddr, fl.daddr, fl.sport,
							    fl.dport, p < 2),
					 want);
			unsigned q = reta[want & 127];
			size_t len = build(f, &fl, 32, v);
			assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
			for (unsigned other = 0; other < 16; other++)
				if (other != q)
					assert_int_equal(drain(other, b, 4), 0);
			assert_int_equal(drain(q, b, 4), 1);
			assert_true(b[0]->flags & MBUF_F_RX_RSS_HASH);
			assert_int_equal(b[0]->rss_hash, want);
			assert_int_equal(b[0]->rss_type, p == 0	  ? IXGBE_RXDADV_RSSTYPE_IPV4_TCP
							 : p == 1 ? IXGBE_RXDADV_RSSTYPE_IPV4_UDP
								  : IXGBE_RXDADV_RSSTYPE_IPV4);
			mbuf_free(b[0]);
		}
	}
}

static void test_rss_spreads_flows_over_queues(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *b[64];
	unsigned per_queue[4] = {0};

	(void)state;
	bring_up(4, 256, 32, 512);
	/* configure's default: the verification key, RETA[i] = i % 4 */
	for (unsigned i = 0; i < 400; i++) {
		struct flow fl = {ip4(198, 18, 0, 1), ip4(198, 18, 0, 2), 20000 + i, 80, 6};
		size_t len = build(f, &fl, 10, i);
		assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	}
	for (unsigned q = 0; q < 4; q++) {
		unsigned n;
		while ((n = drain(q, b, 64)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				uint32_t h = toeplitz_hash_ipv4(ms_key, ip4(198, 18, 0, 1),
								ip4(198, 18, 0, 2),
								rd16(b[i]->data + 34), 80, true);
				assert_int_equal(b[i]->rss_hash, h);
				assert_int_equal((h & 127) % 4, q);
			}
			per_queue[q] += n;
			free_all(b, n);
		}
	}
	assert_int_equal(per_queue[0] + per_queue[1] + per_queue[2] + per_queue[3], 400);
	for (unsigned q = 0; q < 4; q++)
		assert_true(per_queue[q] >= 50); /* 100 expected each */
}

/* ---- offloads ---------------------------------------------------------------------------- */

static void test_rx_checksum_flags(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *b[4];
	const struct flow tcp = {ip4(198, 18, 0, 9), ip4(198, 18, 0, 1), 1234, 80, 6};
	const struct flow icmp = {ip4(198, 18, 0, 9), ip4(198, 18, 0, 1), 0, 0, 1};
	size_t len;

	(void)state;
	bring_up(1, 32, 32, 64);
	const uint16_t good = MBUF_F_RX_IP_CSUM_GOOD | MBUF_F_RX_L4_CSUM_GOOD;
	const uint16_t csum_flags = good | MBUF_F_RX_IP_CSUM_BAD | MBUF_F_RX_L4_CSUM_BAD;
	struct {
		int corrupt; /* 0 none, 1 IP header checksum, 2 L4 checksum, 3 UDP csum = 0 */
		const struct flow *fl;
		uint16_t want;
	} cases[] = {
	    {0, &udp_flow, good},
	    {0, &tcp, good},
	    {1, &tcp, MBUF_F_RX_IP_CSUM_BAD | MBUF_F_RX_L4_CSUM_GOOD},
	    {2, &tcp, MBUF_F_RX_IP_CSUM_GOOD | MBUF_F_RX_L4_CSUM_BAD},
	    {2, &udp_flow, MBUF_F_RX_IP_CSUM_GOOD | MBUF_F_RX_L4_CSUM_BAD},
	    {3, &udp_flow, MBUF_F_RX_IP_CSUM_GOOD}, /* no checksum sent: nothing checked */
	    {0, &icmp, MBUF_F_RX_IP_CSUM_GOOD},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = build(f, cases[i].fl, 40, i);
		uint8_t *l4 = f + 34;
		unsigned at = cases[i].fl->proto == 6 ? 16 : 6;
		if (cases[i].corrupt == 1)
			f[14 + 10] ^= 0x11;
		if (cases[i].corrupt == 2)
			l4[at] ^= 0x11;
		if (cases[i].corrupt == 3)
			be16(l4 + 6, 0);
		assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
		assert_int_equal(drain(0, b, 4), 1);
		assert_int_equal(b[0]->flags & csum_flags, cases[i].want);
		mbuf_free(b[0]);
	}
	/* not IPv4: no checksum was checked, none claimed */
	len = build_seq(f, 1);
	be16(f + 12, 0x0806);
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, b, 4), 1);
	assert_int_equal(b[0]->flags & csum_flags, 0);
	mbuf_free(b[0]);
	assert_int_equal(stats().rx_csum_errors, 3);
}

static void check_sent_checksums(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;
	unsigned l4len = rd16(ip + 2) - 20;

	assert_true(len >= 14 + 20 + 8);
	assert_int_equal(fold(sum16(0, ip, 20)), 0xffff);
	assert_int_equal(fold(sum16(pseudo_sum(ip, l4len), ip + 20, l4len)), 0xffff);
}

static void test_tx_checksum_insertion(void **state)
{
	uint8_t f[FRAME_MAX], want[FRAME_MAX];
	const struct flow tcp = {ip4(198, 18, 0, 1), ip4(198, 18, 0, 9), 80, 40000, 6};
	const struct flow *flows[2] = {&tcp, &udp_flow};

	(void)state;
	bring_up(1, 32, 32, 64);
	for (unsigned i = 0; i < 2; i++) {
		size_t len = build(want, flows[i], 100, i);
		memcpy(f, want, len);
		/* as the stack hands it over: IP checksum 0, L4 checksum = pseudo-header sum */
		uint8_t *ip = f + 14, *l4 = ip + 20;
		unsigned at = flows[i]->proto == 6 ? 16 : 6;
		be16(ip + 10, 0);
		be16(l4 + at, fold(pseudo_sum(ip, len - 34)));
		struct mbuf *m = tx_mbuf(0, f, len);
		m->flags = MBUF_F_TX_IP_CSUM |
			   (flows[i]->proto == 6 ? MBUF_F_TX_TCP_CSUM : MBUF_F_TX_UDP_CSUM);
		m->l2_len = 14;
		m->l3_len = 20;
		assert_int_equal(nic.tx_burst(&nic, 0, &m, 1), 1);
		assert_int_equal(nsent, i + 1);
		assert_int_equal(sent[i].len, len);
		check_sent_checksums(sent[i].data, sent[i].len);
		assert_memory_equal(sent[i].data, want, len);
	}
	/* without offload flags the frame goes out untouched */
	size_t len = build_seq(f, 3);
	be16(f + 14 + 10, 0x1234);
	struct mbuf *m = tx_mbuf(0, f, len);
	assert_int_equal(nic.tx_burst(&nic, 0, &m, 1), 1);
	assert_int_equal(nsent, 3);
	assert_memory_equal(sent[2].data, f, len);
}

static void test_tx_pads_short_frames(void **state)
{
	uint8_t f[FRAME_MAX];

	(void)state;
	bring_up(1, 32, 32, 64);
	memcpy(f, dev_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	be16(f + 12, 0x0806);
	memset(f + 14, 0xee, 28);
	struct mbuf *m = tx_mbuf(0, f, 42);
	assert_int_equal(nic.tx_burst(&nic, 0, &m, 1), 1);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].len, 60); /* 64 on the wire with the FCS */
	assert_memory_equal(sent[0].data, f, 42);
	for (unsigned i = 42; i < 60; i++)
		assert_int_equal(sent[0].data[i], 0);
}

/* ---- errors on the wire and in descriptors ---------------------------------------------- */

static void test_bad_frames_dropped_and_counted(void **state)
{
	uint8_t f[FRAME_MAX + 8];
	struct mbuf *b[4];

	(void)state;
	bring_up(1, 32, 32, 64);
	size_t len = build(f, &udp_flow, 0, 1); /* 42 bytes: a runt */
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_RUNT);
	len = build(f, &udp_flow, 1600 - 42, 2);
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OVERSIZE);
	len = build(f, &udp_flow, 1514 - 42, 3); /* 1518 with the FCS: the largest legal frame */
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, b, 4), 1);
	assert_int_equal(b[0]->len, 1514);
	mbuf_free(b[0]);

	len = build_seq(f, 4);
	uint32_t fcs = ixgbe_model_fcs(f, len);
	for (unsigned i = 0; i < 4; i++)
		f[len + i] = fcs >> (8 * i);
	assert_int_equal(ixgbe_model_receive_fcs(model, f, len + 4), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, b, 4), 1);
	assert_int_equal(b[0]->len, len); /* FCS stripped */
	mbuf_free(b[0]);
	f[20] ^= 0x40; /* a bit flipped on the wire */
	assert_int_equal(ixgbe_model_receive_fcs(model, f, len + 4), IXGBE_MODEL_RX_CRC);

	memcpy(f, peer_mac, 6); /* someone else's unicast */
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_FILTERED);
	memset(f, 0xff, 6); /* broadcast: accepted (FCTRL.BAM) */
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, b, 4), 1);
	mbuf_free(b[0]);
	assert_int_equal(drain(0, b, 4), 0); /* none of the bad ones got through */

	struct nic_stats s = stats();
	assert_int_equal(s.rx_length_errors, 2);
	assert_int_equal(s.rx_crc_errors, 1);
	assert_int_equal(s.rx_packets, 3);
	assert_int_equal(s.rx_errors, 0);
}

static void test_stats_accumulate_across_clear_on_read(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *b[16];
	uint64_t bytes = 0;

	(void)state;
	bring_up(1, 32, 32, 64);
	for (unsigned i = 0; i < 10; i++) {
		size_t len = build_seq(f, i);
		bytes += len + 4; /* the counters include the FCS */
		assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	}
	free_all(b, drain(0, b, 16));
	struct nic_stats s = stats();
	assert_int_equal(s.rx_packets, 10);
	assert_int_equal(s.rx_bytes, bytes);
	/* the hardware counter was cleared by the read; the driver's total was not */
	assert_int_equal(ixgbe_model_peek(model, IXGBE_GPRC), 0);
	for (unsigned i = 10; i < 15; i++) {
		size_t len = build_seq(f, i);
		bytes += len + 4;
		assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	}
	free_all(b, drain(0, b, 16));
	s = stats();
	assert_int_equal(s.rx_packets, 15);
	assert_int_equal(s.rx_bytes, bytes);
	s = stats();
	assert_int_equal(s.rx_packets, 15);

	struct mbuf *m = tx_mbuf(0, f, build_seq(f, 1));
	assert_int_equal(nic.tx_burst(&nic, 0, &m, 1), 1);
	s = stats();
	assert_int_equal(s.tx_packets, 1);
	assert_int_equal(s.tx_bytes, build_seq(f, 1) + 4);
}

static void test_bad_descriptors_reported_not_fatal(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *m[5], *b[4];

	(void)state;
	bring_up(1, 32, 32, 64);
	for (unsigned i = 0; i < 5; i++)
		m[i] = tx_mbuf(0, f, build_seq(f, i));
	m[0]->len = 0;				      /* zero length */
	m[1]->len = 20000;			      /* more than 16 KiB */
	m[2]->buf_phys = 0x40000000000ull;	      /* memory the device cannot reach */
	m[3]->buf_phys = (uint64_t)0 - MBUF_HEADROOM; /* so the data's bus address is 0 */
	assert_int_equal(nic.tx_burst(&nic, 0, m, 5), 5);
	assert_int_equal(nsent, 1); /* only the good one left */
	assert_int_equal(sent[0].len, build_seq(f, 4));
	assert_int_equal(model_logged("bad descriptor"), 3);
	assert_int_equal(model_logged("not reachable"), 1);
	/* so the pool gets sane buffers back */
	m[2]->buf_phys = (uintptr_t)m[2]->buf;
	m[3]->buf_phys = (uintptr_t)m[3]->buf;

	/* an RX buffer the device cannot reach: reported, the slot recycled, nothing delivered */
	union adv_rx_desc *ring =
	    (union adv_rx_desc *)(uintptr_t)(ixgbe_model_peek(model, IXGBE_RDBAL(0)) |
					     (uint64_t)ixgbe_model_peek(model, IXGBE_RDBAH(0))
						 << 32);
	ring[ixgbe_model_peek(model, IXGBE_RDH(0))].read.pkt_addr = 0x40000000000ull;
	assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, 5)), IXGBE_MODEL_RX_DMA_ERROR);
	assert_int_equal(model_logged("not reachable"), 2);
	assert_int_equal(drain(0, b, 4), 0);
	assert_int_equal(stats().rx_errors, 1);

	/* a tail past the ring's end is refused; the ring keeps working */
	host_mmio_write32(&bar0, IXGBE_RDT(0), 32);
	assert_int_equal(model_logged("beyond the ring"), 1);
	size_t len = build_seq(f, 7);
	assert_int_equal(ixgbe_model_receive(model, f, len), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, b, 4), 1);
	mbuf_free(b[0]);
	for (unsigned i = 0; i < 4; i++)
		m[i] = tx_mbuf(0, f, build_seq(f, 10 + i));
	assert_int_equal(nic.tx_burst(&nic, 0, m, 4), 4);
	assert_int_equal(nsent, 5);
	assert_int_equal(drv_nerrs, 0);
}

static void test_surprise_reset_reported_no_hang(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *b[64];
	struct nic_link link;

	(void)state;
	bring_up(2, 32, 32, 128);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, i)), IXGBE_MODEL_RX_OK);
	ixgbe_model_reset(model);
	plat_delay_us(20000); /* the reset completes; the device sits at its reset values */

	/* frames written before the reset are still valid; then the hot path just finds nothing */
	unsigned n = drain(0, b, 64);
	n += drain(1, b + n, 64 - n);
	assert_int_equal(n, 5);
	assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, 9)), IXGBE_MODEL_RX_OFF);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(drain(0, b + 5, 59), 0);
	unsigned sent_before = nsent, taken = 0;
	for (unsigned i = 0; i < 100; i++) {
		struct mbuf *m = tx_mbuf(0, f, build_seq(f, i));
		unsigned k = nic.tx_burst(&nic, 0, &m, 1);
		if (!k)
			mbuf_free(m);
		taken += k;
	}
	assert_true(taken <= 31); /* the ring fills, then tx_burst refuses: no spinning */
	assert_int_equal(nsent, sent_before);
	free_all(b, 5);

	assert_int_equal(drv_nerrs, 0);
	nic.ops->link_get(&nic, &link);
	assert_false(link.up);
	assert_int_equal(drv_nerrs, 1);
	assert_true(drv_logged("was reset"));
	struct nic_stats s;
	nic.ops->stats_get(&nic, &s); /* still answers, reports once */
	assert_int_equal(drv_nerrs, 1);
	assert_true(nic.ops->rx_irq(&nic, 0, true) < 0);

	/* recovery: configure again and traffic flows */
	assert_int_equal(nic.ops->configure(&nic, 1), 0);
	assert_int_equal(nic.ops->rx_queue_setup(&nic, 0, 32, &pools[0]), 0);
	assert_int_equal(nic.ops->tx_queue_setup(&nic, 0, 32), 0);
	assert_int_equal(nic.ops->start(&nic), 0);
	assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, 1)), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, b, 64), 1);
	mbuf_free(b[0]);
	nic.ops->link_get(&nic, &link);
	assert_true(link.up);
	assert_int_equal(drv_nerrs, 1);
	assert_int_equal(pools[0].bad_frees, 0);
}

static void test_rx_irq_wakes_once_per_arming(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *b[8];

	(void)state;
	bring_up(2, 32, 32, 64);
	const struct flow a = {ip4(198, 18, 0, 1), ip4(198, 18, 0, 2), 1, 2, 6};
	uint8_t reta[NIC_RETA_SIZE];
	memset(reta, 1, sizeof(reta)); /* everything to queue 1 */
	assert_int_equal(nic.ops->rss_config(&nic, ms_key, reta), 0);

	/* polling mode: packets raise no interrupt */
	assert_int_equal(ixgbe_model_receive(model, f, build(f, &a, 10, 0)), IXGBE_MODEL_RX_OK);
	assert_int_equal(msix_fired[1], 0);
	free_all(b, drain(1, b, 8));

	assert_int_equal(nic.ops->rx_irq(&nic, 1, true), 0);
	assert_int_equal(msix_fired[1], 0); /* the stale cause did not wake us */
	assert_int_equal(ixgbe_model_receive(model, f, build(f, &a, 10, 1)), IXGBE_MODEL_RX_OK);
	assert_int_equal(msix_fired[1], 1);
	assert_int_equal(msix_fired[0], 0);
	assert_int_equal(ixgbe_model_receive(model, f, build(f, &a, 10, 2)), IXGBE_MODEL_RX_OK);
	assert_int_equal(msix_fired[1], 1); /* auto-masked until armed again */

	/* arming with frames already waiting fires at once rather than sleeping on them */
	assert_int_equal(nic.ops->rx_irq(&nic, 1, true), 0);
	assert_int_equal(msix_fired[1], 2);
	free_all(b, drain(1, b, 8));

	assert_int_equal(nic.ops->rx_irq(&nic, 1, true), 0);
	assert_int_equal(nic.ops->rx_irq(&nic, 1, false), 0);
	assert_int_equal(ixgbe_model_receive(model, f, build(f, &a, 10, 3)), IXGBE_MODEL_RX_OK);
	assert_int_equal(msix_fired[1], 2);
	free_all(b, drain(1, b, 8));
	assert_true(nic.ops->rx_irq(&nic, 2, true) < 0);
}

/* ---- RX queue reset (nic_ops.rx_queue_reset, adv_rxq_scrub) ------------------------------ */

/* Is every byte of pool p zero, but for the buffers in keep[0..nkeep)? */
static bool pool_zero_but(const struct mbuf_pool *p, struct mbuf *const *keep, unsigned nkeep)
{
	for (unsigned i = 0; i < p->size; i++) {
		const uint8_t *b = p->mem + (size_t)i * MBUF_BUF_SIZE;
		bool kept = false;
		for (unsigned k = 0; k < nkeep; k++)
			kept |= keep[k]->buf == b;
		for (unsigned j = 0; !kept && j < MBUF_BUF_SIZE; j++)
			if (b[j])
				return false;
	}
	return true;
}

static void test_rx_queue_reset_scrubs_ring_and_pool(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *bufs[64], *held[4];
	unsigned posted, dropped, seq = 0;

	(void)state;
	bring_up(1, 64, 64, 256);
	/* Traffic through every buffer: 300 frames, all but the last 7 taken and freed... */
	while (seq < 293) {
		for (unsigned i = 0; i < 40 && seq < 293; i++, seq++)
			assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, seq)),
					 IXGBE_MODEL_RX_OK);
		unsigned n = drain(0, bufs, 64);
		if (seq == 293) { /* ...four of them kept by the caller... */
			memcpy(held, bufs, sizeof(held));
			free_all(bufs + 4, n - 4);
		} else {
			free_all(bufs, n);
		}
	}
	/* ...and 7 completed in the ring, never taken */
	for (; seq < 300; seq++)
		assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, seq)),
				 IXGBE_MODEL_RX_OK);
	assert_false(pool_zero_but(&pools[0], held, 4));

	assert_int_equal(nic.ops->rx_queue_reset(&nic, 0, &posted, &dropped), 0);
	assert_int_equal(posted, 64);
	assert_int_equal(dropped, 7);
	assert_int_equal(stats().rx_reset_dropped, 7);
	assert_true(pool_zero_but(&pools[0], held, 4)); /* free and posted buffers alike */
	for (unsigned k = 0; k < 4; k++) { /* what the caller holds is not touched */
		size_t len = build_seq(f, 280 + k);
		assert_int_equal(held[k]->len, len);
		assert_memory_equal(held[k]->data, f, len);
	}
	free_all(held, 4);
	assert_int_equal(pools[0].avail, 256 - 64);
	/* 4.6.7: head and tail from 0 again, the tail moved once ENABLE read back 1 */
	assert_int_equal(ixgbe_model_peek(model, IXGBE_RDH(0)), 0);
	assert_int_equal(ixgbe_model_peek(model, IXGBE_RDT(0)), 63);
	assert_true(ixgbe_model_peek(model, IXGBE_RXDCTL(0)) & IXGBE_RXDCTL_ENABLE);
	assert_int_equal(drain(0, bufs, 64), 0); /* the dropped frames stay dropped */

	/* the queue works as before: a whole ring's worth, wrapping */
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 40; i++)
			assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, 1000 + i)),
					 IXGBE_MODEL_RX_OK);
		unsigned n = drain(0, bufs, 64);
		assert_int_equal(n, 40);
		for (unsigned i = 0; i < n; i++) {
			size_t len = build_seq(f, 1000 + i);
			assert_int_equal(bufs[i]->len, len);
			assert_memory_equal(bufs[i]->data, f, len);
		}
		free_all(bufs, n);
	}
	assert_int_equal(drv_nerrs, 0);
	for (int i = 0; i < model_nlogs && i < MAX_LOGS; i++)
		print_message("model: %s\n", model_logs[i]);
	assert_int_equal(model_nlogs, 0); /* no RDH/RDT write the datasheet forbids */
}

static void test_rx_queue_reset_drops_and_counts_while_off(void **state)
{
	uint8_t f[FRAME_MAX];
	struct mbuf *bufs[64];
	unsigned posted, dropped;

	(void)state;
	bring_up(1, 32, 32, 128);
	struct nic_stats before = stats();
	frame_while_off = f;
	frame_while_off_len = build_seq(f, 7);
	assert_int_equal(nic.ops->rx_queue_reset(&nic, 0, &posted, &dropped), 0);
	assert_null(frame_while_off); /* it came while the queue was stopped */
	assert_int_equal(frame_while_off_result, IXGBE_MODEL_RX_NO_DESC);
	assert_int_equal(dropped, 0);
	struct nic_stats s = stats();
	assert_int_equal(s.rx_missed_errors - before.rx_missed_errors, 1); /* QPRDC */
	assert_int_equal(s.rx_no_buffer - before.rx_no_buffer, 1);	    /* RNBC */
	assert_int_equal(s.rx_reset_dropped, 0);
	assert_int_equal(drain(0, bufs, 64), 0);
	assert_int_equal(ixgbe_model_receive(model, f, build_seq(f, 8)), IXGBE_MODEL_RX_OK);
	assert_int_equal(drain(0, bufs, 64), 1);
	free_all(bufs, 1);
}

static void test_rx_queue_reset_refuses_a_queue_not_set_up(void **state)
{
	unsigned posted = 1, dropped = 1;

	(void)state;
	bring_up(1, 32, 32, 64);
	assert_int_equal(nic.ops->rx_queue_reset(&nic, 1, &posted, &dropped), -1);
	assert_int_equal(posted, 0);
	assert_int_equal(dropped, 0);
	assert_true(drv_logged("cannot reset"));
}

/* A frame cut short by the stop (DD, no EOP, nothing after it) counts as one dropped frame;
 * the rest of an oversized frame adv_rx_burst already counted does not. */
static void test_rx_scrub_counts_cut_frames_once(void **state)
{
	struct adv_rxq q;
	struct mbuf_pool pool;
	struct nic_stats st = {0};

	(void)state;
	assert_int_equal(mbuf_pool_init(&pool, 16, 0), 0);
	memset(&q, 0, sizeof(q));
	assert_int_equal(adv_rxq_alloc(&q, 8, &pool), 0);
	q.stats = &st;
	q.next = 2;
	q.ring[2].wb.status_error = ADV_RXD_STAT_DD | ADV_RXD_STAT_EOP; /* one frame */
	q.ring[3].wb.status_error = ADV_RXD_STAT_DD;			 /* a frame... */
	q.ring[4].wb.status_error = ADV_RXD_STAT_DD | ADV_RXD_STAT_EOP; /* ...in two */
	q.ring[5].wb.status_error = ADV_RXD_STAT_DD;			 /* cut short */
	memset(q.sw[5]->buf, 0xa5, MBUF_BUF_SIZE);
	assert_int_equal(adv_rxq_scrub(&q), 3);
	assert_int_equal(st.rx_reset_dropped, 3);
	assert_int_equal(q.next, 0);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(q.ring[i].read.hdr_addr, 0); /* DD clear */
		assert_int_equal(q.ring[i].read.pkt_addr, q.sw[i]->buf_phys + MBUF_HEADROOM);
		for (unsigned j = 0; j < MBUF_BUF_SIZE; j++)
			assert_int_equal(q.sw[i]->buf[j], 0);
	}
	/* the rest of an oversized frame, already counted as a length error */
	q.discarding = true;
	q.next = 6;
	q.ring[6].wb.status_error = ADV_RXD_STAT_DD;
	q.ring[7].wb.status_error = ADV_RXD_STAT_DD | ADV_RXD_STAT_EOP;
	assert_int_equal(adv_rxq_scrub(&q), 0);
	assert_false(q.discarding);
	assert_int_equal(pool.avail, 16 - 8);
	for (unsigned i = 0; i < 8; i++)
		mbuf_free(q.sw[i]);
	dma_free(q.ring, 8 * sizeof(*q.ring));
	dma_free(q.sw, 8 * sizeof(*q.sw));
	assert_int_equal(pool.avail, 16);
	dma_free(pool.mbufs, 16 * sizeof(struct mbuf));
	dma_free(pool.mem, 16 * MBUF_BUF_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_attach_resets_and_reads_mac, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_down_is_not_fatal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_timeout_fails_attach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eeprom_timeout_fails_attach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_configuration_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_through_wrapping_ring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_through_wrapping_ring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_ring_full_drops_and_resumes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_ring_empty_returns_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_pool_exhaustion_pauses_without_loss, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tx_ring_full_takes_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rss_vectors_end_to_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rss_spreads_flows_over_queues, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_checksum_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_checksum_insertion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_pads_short_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_frames_dropped_and_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_accumulate_across_clear_on_read, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_descriptors_reported_not_fatal, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_surprise_reset_reported_no_hang, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_irq_wakes_once_per_arming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_queue_reset_scrubs_ring_and_pool, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rx_queue_reset_drops_and_counts_while_off, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rx_queue_reset_refuses_a_queue_not_set_up, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rx_scrub_counts_cut_frames_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
