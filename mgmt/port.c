/*
 * The management port: a NIC of its own (an 82576 the dataplane does not use; in QEMU a
 * second -device igb), one queue, owned by the management core. It answers ARP and ping for
 * mgmt_ip= and carries the management protocol on UDP port MGMT_UDP_PORT; everything else
 * is dropped and counted. Its receive interrupt wakes the management core. With mgmt_ip=dhcp
 * the address comes from a DHCP server on this port (net/dhcp_client.h, the same client as
 * the dataplane's), and the port answers nothing until it has one.
 */
#include "drivers/igb/igb.h"
#include "drivers/mbuf.h"
#include "drivers/nic.h"
#include "kernel/apic.h"
#include "kernel/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/pci.h"
#include "kernel/percpu.h"
#include "kernel/random.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "mgmt/mgmt.h"
#include "net/dataplane.h"
#include "net/dhcp.h"
#include "net/dhcp_client.h"
#include "net/dp_stats.h"
#include "net/l2l3.h"

#define VEC_MGMT_NIC 0x60
#define MPORT_DESC 256
#define MPORT_POOL 512
#define ETH_HLEN 14
#define IP_HLEN 20
#define UDP_HLEN 8

static struct nic mport_nic;
static struct pci_dev *mport_pci;
static struct mbuf_pool mport_pool;
static struct l2l3_cfg mport_l3;
static struct dp_stats mport_st; /* what l2l3_input counts */
static unsigned mport_prefix;
static bool mport_up;
static bool mport_dhcp_on; /* mgmt_ip=dhcp */
static struct dhcp_client mport_dhcp;

static void mport_irq(struct trapframe *tf)
{
	(void)tf;
	apic_eoi(); /* the management loop polls the port after every wake-up */
}

/* The first 82576 that is not the dataplane's. */
static struct pci_dev *mport_find(void)
{
	for (unsigned n = 0;; n++) {
		struct pci_dev *d = pci_find(0x8086, 0x10c9, n);
		if (!d)
			return NULL;
		if (d != dataplane_pci_dev())
			return d;
	}
}

/* The DHCP client's ops: frames straight onto the port's queue, the address into its L3. */
static int mport_dhcp_send(void *arg, const uint8_t *frame, size_t len)
{
	struct mbuf *m = mbuf_alloc(&mport_pool);

	(void)arg;
	if (!m)
		return -1;
	memcpy(m->data, frame, len);
	m->len = (uint16_t)len;
	if (mport_nic.tx_burst(&mport_nic, 0, &m, 1) != 1) {
		mbuf_free(m);
		return -1;
	}
	return 0;
}

static void mport_dhcp_apply(void *arg, uint32_t ip, unsigned prefix, uint32_t gw)
{
	(void)arg;
	(void)gw; /* replies go back to the requester's MAC: the port needs no gateway */
	mport_l3.ip = ip;
	mport_prefix = prefix;
}

static void mport_dhcp_log(void *arg, int level, const char *msg)
{
	(void)arg;
	klog(level, "%s", msg);
}

static uint32_t mport_dhcp_rand(void *arg)
{
	(void)arg;
	return (uint32_t)random_u64();
}

static const struct dhcp_client_ops mport_dhcp_ops = {mport_dhcp_send, mport_dhcp_apply,
							mport_dhcp_log, mport_dhcp_rand};

int mgmt_port_init(const struct kconfig *cfg)
{
	uint8_t reta[NIC_RETA_SIZE] = {0};

	if (!cfg->mgmt_ip.set && !cfg->mgmt_ip.dhcp) {
		log_info("mgmt: no mgmt_ip=: management over UDP is off (COM2 only)");
		return -1;
	}
	struct pci_dev *d = mport_find();
	if (!d) {
		log_warn("mgmt: no NIC for the management port (an 82576 the dataplane does not "
			 "use); management over UDP is off");
		return -1;
	}
	pci_enable(d);
	volatile void *bar0 = pci_map_bar(d, 0);
	strlcpy(mport_nic.name, "igb", sizeof(mport_nic.name));
	if (!bar0 || igb_attach(&mport_nic, bar0) || mport_nic.ops->configure(&mport_nic, 1) ||
	    mbuf_pool_init(&mport_pool, MPORT_POOL, 0) ||
	    mport_nic.ops->rx_queue_setup(&mport_nic, 0, MPORT_DESC, &mport_pool) ||
	    mport_nic.ops->tx_queue_setup(&mport_nic, 0, MPORT_DESC)) {
		log_err("mgmt: the management port at %02x:%02x.%x did not come up", d->bus, d->dev,
			d->fn);
		return -1;
	}
	mport_pci = d;
	trap_set_handler(VEC_MGMT_NIC, mport_irq);
	if (pci_msix_enable(d) < 0 || pci_msix_route(d, 0, percpu[0].apic_id, VEC_MGMT_NIC, true))
		log_warn("mgmt: no MSI-X on the management port: it is polled on the timer tick");
	mport_nic.ops->rss_config(&mport_nic, nic_rss_default_key, reta);
	mport_nic.ops->start(&mport_nic);
	mport_nic.ops->rx_irq(&mport_nic, 0, true);
	memcpy(mport_l3.mac, mport_nic.mac, 6);
	mport_l3.ip = cfg->mgmt_ip.set ? cfg->mgmt_ip.addr : 0;
	mport_prefix = cfg->mgmt_ip.set ? cfg->mgmt_ip.prefix : 0;
	mport_up = true;

	struct nic_link link;
	char ip[24];
	mport_nic.ops->link_get(&mport_nic, &link);
	cmdline_format_ipv4(&cfg->mgmt_ip, ip, sizeof(ip));
	log_info("mgmt: port igb %02x:%02x:%02x:%02x:%02x:%02x at %02x:%02x.%x, link %s, ip %s, "
		 "UDP port %u",
		 mport_nic.mac[0], mport_nic.mac[1], mport_nic.mac[2], mport_nic.mac[3],
		 mport_nic.mac[4], mport_nic.mac[5], d->bus, d->dev, d->fn,
		 link.up ? "up" : "down", ip, MGMT_UDP_PORT);
	if (cfg->mgmt_ip.dhcp) {
		mport_dhcp = (struct dhcp_client){.name = "mgmt", .ops = &mport_dhcp_ops};
		memcpy(mport_dhcp.mac, mport_nic.mac, 6);
		mport_dhcp_on = true;
		dhcp_client_start(&mport_dhcp, time_uptime_us());
	}
	return 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Where to send the reply to one request: the request's frame, kept until then. */
struct mport_peer {
	const uint8_t *frame; /* Ethernet frame of the request */
	unsigned ihl;
};

static void mport_send(const uint8_t *msg, size_t len, void *arg)
{
	const struct mport_peer *peer = arg;
	const uint8_t *rq = peer->frame, *rip = rq + ETH_HLEN, *rudp = rip + peer->ihl;
	struct mbuf *m = mbuf_alloc(&mport_pool);

	if (!m)
		return;
	uint8_t *f = m->data, *ip = f + ETH_HLEN, *udp = ip + IP_HLEN;
	memcpy(f, rq + 6, 6); /* back to the sender */
	memcpy(f + 6, mport_nic.mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, IP_HLEN);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(IP_HLEN + UDP_HLEN + len));
	ip[6] = 0x40; /* don't fragment */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, rip + 16, 4);
	memcpy(ip + 16, rip + 12, 4);
	wr16(ip + 10, inet_csum(ip, IP_HLEN));
	wr16(udp, MGMT_UDP_PORT);
	memcpy(udp + 2, rudp, 2);
	wr16(udp + 4, (uint16_t)(UDP_HLEN + len));
	wr16(udp + 6, 0); /* no UDP checksum (allowed over IPv4); the message has its MAC */
	memcpy(udp + UDP_HLEN, msg, len);
	m->len = (uint16_t)(ETH_HLEN + IP_HLEN + UDP_HLEN + len);
	if (mport_nic.tx_burst(&mport_nic, 0, &m, 1) != 1)
		mbuf_free(m);
}

/* A management request in frame m? Returns true if it was one (handled). */
static bool mport_udp(struct mbuf *m)
{
	const uint8_t *f = m->data, *ip = f + ETH_HLEN;

	if (m->len < ETH_HLEN + IP_HLEN + UDP_HLEN || f[12] != 0x08 || f[13] != 0x00 ||
	    (ip[0] >> 4) != 4 || ip[9] != 17)
		return false;
	unsigned ihl = (ip[0] & 0xf) * 4u, tot = rd16(ip + 2);
	uint32_t dst = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | (uint32_t)ip[18] << 8 | ip[19];
	if (ihl < IP_HLEN || tot < ihl + UDP_HLEN || ETH_HLEN + tot > m->len || dst != mport_l3.ip ||
	    (rd16(ip + 6) & 0x3fff) || inet_csum(ip, ihl) != 0)
		return false;
	const uint8_t *udp = ip + ihl;
	unsigned ulen = rd16(udp + 4);
	if (rd16(udp + 2) != MGMT_UDP_PORT || ulen < UDP_HLEN || ulen > tot - ihl)
		return false;
	struct mport_peer peer = {f, ihl};
	/* mgmt_handle checks everything about the message itself (size, MAC, sequence). */
	mgmt_handle(udp + UDP_HLEN, ulen - UDP_HLEN, false, mport_send, &peer);
	return true;
}

void mgmt_port_poll(void)
{
	struct mbuf *bufs[32];
	unsigned n;

	if (!mport_up)
		return;
	mport_nic.tx_burst(&mport_nic, 0, NULL, 0); /* reclaim what went out */
	while ((n = mport_nic.rx_burst(&mport_nic, 0, bufs, 32))) {
		for (unsigned i = 0; i < n; i++) {
			struct mbuf *m = bufs[i];
			if (mport_dhcp_on && dhcp_is_client_frame(m->data, m->len)) {
				dhcp_client_input(&mport_dhcp, m->data, m->len, time_uptime_us());
				mbuf_free(m);
				continue;
			}
			if (mport_udp(m)) {
				mbuf_free(m);
				continue;
			}
			uint64_t arp = mport_st.arp_replies, icmp = mport_st.icmp_echo_replies;
			if (l2l3_input(&mport_l3, m->data, &m->len, &mport_st) == L2L3_REPLY &&
			    mport_nic.tx_burst(&mport_nic, 0, &m, 1) == 1) {
				mgmt_stats.arp_replies += mport_st.arp_replies - arp;
				mgmt_stats.icmp_echo_replies += mport_st.icmp_echo_replies - icmp;
				continue;
			}
			mgmt_stats.udp_other++;
			mbuf_free(m);
		}
	}
	if (mport_dhcp_on)
		dhcp_client_tick(&mport_dhcp, time_uptime_us());
}

bool mgmt_port_info(const char **name, uint8_t mac[6], bool *up, unsigned *speed_mbps,
		    uint32_t *ip, unsigned *prefix)
{
	struct nic_link link;

	if (!mport_up)
		return false;
	mport_nic.ops->link_get(&mport_nic, &link);
	*name = mport_nic.name;
	memcpy(mac, mport_nic.mac, 6);
	*up = link.up;
	*speed_mbps = link.speed_mbps;
	*ip = mport_l3.ip;
	*prefix = mport_prefix;
	return true;
}
