/* The DHCP client's state machine (RFC 2131 section 4.4): net/dhcp_client.h has the picture. */
#include <stdarg.h>

#include "net/dhcp_client.h"
#include "kernel/cmdline.h" /* LOG_INFO, LOG_WARN */
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "net/dhcp.h"

#define US 1000000ULL
#define NEVER UINT64_MAX
#define BCAST_IP 0xffffffffu

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void dc_log(struct dhcp_client *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void dc_log(struct dhcp_client *c, int level, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->ops->log(c->arg, level, msg);
}

/* A.B.C.D into buf (16 bytes). */
static const char *ip_str(uint32_t a, char *buf)
{
	ksnprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

/* The retransmission delay for the next try: the backoff plus up to DHCP_JITTER_US. */
static uint64_t dc_delay(struct dhcp_client *c)
{
	uint64_t d = c->backoff_us + c->ops->rand(c->arg) % DHCP_JITTER_US;

	c->backoff_us = c->backoff_us * 2 > DHCP_RETRY_MAX_US ? DHCP_RETRY_MAX_US
							      : c->backoff_us * 2;
	return d;
}

static void dc_send(struct dhcp_client *c, uint8_t type, uint64_t now_us)
{
	uint8_t frame[DHCP_FRAME_MAX];
	uint64_t secs = (now_us - c->start_us) / US;
	struct dhcp_out m = {
	    .type = type,
	    .xid = c->xid,
	    .secs = (uint16_t)(secs > 0xffff ? 0xffff : secs),
	    .dst_ip = BCAST_IP,
	};

	memcpy(m.mac, c->mac, 6);
	memcpy(m.dst_mac, bcast_mac, 6);
	if (c->state == DHCP_S_REQUESTING) {
		m.requested = c->offer_ip;
		m.server_id = c->offer_server;
	} else if (c->state == DHCP_S_RENEWING || c->state == DHCP_S_REBINDING) {
		m.ciaddr = m.src_ip = c->ip;
		if (c->state == DHCP_S_RENEWING) { /* unicast to the server that leased it */
			m.dst_ip = c->server;
			memcpy(m.dst_mac, c->server_mac, 6);
		}
	}
	size_t len = dhcp_build(frame, sizeof(frame), &m);
	c->tries++;
	if (type == DHCP_DISCOVER)
		c->st.tx_discover++;
	else
		c->st.tx_request++;
	if (c->ops->send(c->arg, frame, len))
		c->st.tx_failed++;
}

/* A new exchange from scratch: new xid, DISCOVER now. */
static void dc_select(struct dhcp_client *c, uint64_t now_us)
{
	c->state = DHCP_S_SELECTING;
	c->xid = c->ops->rand(c->arg);
	c->tries = 0;
	c->start_us = now_us;
	c->backoff_us = DHCP_RETRY_FIRST_US;
	dc_send(c, DHCP_DISCOVER, now_us);
	c->next_us = now_us + dc_delay(c);
}

void dhcp_client_start(struct dhcp_client *c, uint64_t now_us)
{
	memset(&c->st, 0, sizeof(c->st));
	c->warned = false;
	c->ip = 0;
	dc_select(c, now_us);
	dc_log(c, LOG_INFO, "dhcp: %s: asking for an address (DISCOVER, xid %#x)", c->name,
	       c->xid);
}

bool dhcp_client_bound(const struct dhcp_client *c)
{
	return c->state == DHCP_S_BOUND || c->state == DHCP_S_RENEWING ||
	       c->state == DHCP_S_REBINDING;
}

/* Drops the address in use, if any, and starts over. */
static void dc_lose(struct dhcp_client *c, uint64_t now_us)
{
	if (c->ip) {
		c->ops->apply(c->arg, 0, 0, 0);
		c->ip = 0;
		c->st.leases_lost++;
	}
	c->warned = false;
	dc_select(c, now_us);
}

/* While renewing or rebinding: half the time left to deadline, at least 60 s, not past it. */
static uint64_t dc_renew_next(uint64_t now_us, uint64_t deadline)
{
	uint64_t wait = (deadline - now_us) / 2;

	if (wait < DHCP_RENEW_MIN_US)
		wait = DHCP_RENEW_MIN_US;
	return now_us + wait < deadline ? now_us + wait : deadline;
}

void dhcp_client_tick(struct dhcp_client *c, uint64_t now_us)
{
	char a[16], b[16];

	if (c->state == DHCP_S_OFF || now_us < c->next_us)
		return;
	switch (c->state) {
	case DHCP_S_SELECTING:
		if (c->tries == DHCP_WARN_TRIES && !c->warned) {
			c->warned = true;
			dc_log(c, LOG_WARN,
			       "dhcp: %s: no answer to %u DISCOVERs in %lu s: no address yet "
			       "(0.0.0.0: it answers nothing); still asking, every %lu s at most",
			       c->name, c->tries, (unsigned long)((now_us - c->start_us) / US),
			       (unsigned long)(DHCP_RETRY_MAX_US / US));
		}
		dc_send(c, DHCP_DISCOVER, now_us);
		c->next_us = now_us + dc_delay(c);
		break;
	case DHCP_S_REQUESTING:
		if (c->tries >= DHCP_REQUEST_TRIES) {
			dc_log(c, LOG_WARN, "dhcp: %s: no ACK from %s for %s: starting over",
			       c->name, ip_str(c->offer_server, a), ip_str(c->offer_ip, b));
			dc_select(c, now_us);
			break;
		}
		dc_send(c, DHCP_REQUEST, now_us);
		c->next_us = now_us + dc_delay(c);
		break;
	case DHCP_S_BOUND:
	case DHCP_S_RENEWING:
	case DHCP_S_REBINDING:
		if (now_us >= c->expire_us) {
			dc_log(c, LOG_WARN,
			       "dhcp: %s: lease of %s expired without renewal: address dropped, "
			       "asking again", c->name, ip_str(c->ip, a));
			dc_lose(c, now_us);
			break;
		}
		if (c->state == DHCP_S_BOUND) { /* T1: a new exchange */
			c->state = DHCP_S_RENEWING;
			c->xid = c->ops->rand(c->arg);
			c->start_us = now_us;
			c->tries = 0;
		}
		if (now_us >= c->t2_us && c->state == DHCP_S_RENEWING) {
			c->state = DHCP_S_REBINDING; /* T2: any server may extend it now */
			c->tries = 0;
		}
		dc_send(c, DHCP_REQUEST, now_us);
		c->next_us = dc_renew_next(now_us, c->state == DHCP_S_RENEWING ? c->t2_us
									       : c->expire_us);
		break;
	case DHCP_S_OFF:
		break;
	}
}

/* The lease's timers from an ACK (RFC 2131 4.4.5: T1 = 0.5, T2 = 0.875 of the lease). */
static void dc_lease_times(struct dhcp_client *c, const struct dhcp_in *in, uint64_t now_us)
{
	uint64_t lease = in->lease_s < DHCP_LEASE_MIN_S ? DHCP_LEASE_MIN_S : in->lease_s;
	uint64_t t1 = lease / 2, t2 = lease * 7 / 8;

	c->lease_s = in->lease_s;
	if (in->lease_s == 0xffffffffu) {
		c->t1_us = c->t2_us = c->expire_us = c->next_us = NEVER;
		return;
	}
	if (in->has_t1 && in->t1_s < lease)
		t1 = in->t1_s;
	if (in->has_t2 && in->t2_s < lease && in->t2_s > t1)
		t2 = in->t2_s;
	if (t2 <= t1)
		t2 = t1 + (lease - t1) * 3 / 4;
	c->t1_us = now_us + t1 * US;
	c->t2_us = now_us + t2 * US;
	c->expire_us = now_us + lease * US;
	c->next_us = c->t1_us;
}

/* A classful prefix for a server that sends no mask (RFC 2131 leaves the choice to us). */
static unsigned dc_default_prefix(uint32_t ip)
{
	return ip < 0x80000000u ? 8 : ip < 0xc0000000u ? 16 : 24;
}

static void dc_ack(struct dhcp_client *c, const struct dhcp_in *in, uint64_t now_us)
{
	char a[16], g[16], s[16], l[24];
	bool renewal = dhcp_client_bound(c);
	unsigned prefix = in->has_mask ? in->prefix : dc_default_prefix(in->yiaddr);
	uint32_t gw = in->has_router ? in->router : c->fallback_gw;
	uint32_t server = in->server_id ? in->server_id : c->offer_server;

	if (!in->has_lease || in->yiaddr == 0 || !server) {
		c->st.rx_bad++; /* an ACK must carry the address, its lease and its server */
		return;
	}
	c->st.rx_ack++;
	bool changed = !renewal || in->yiaddr != c->ip || prefix != c->prefix || gw != c->gw;
	c->ip = in->yiaddr;
	c->prefix = prefix;
	c->gw = gw;
	c->server = server;
	memcpy(c->server_mac, in->src_mac, 6);
	c->state = DHCP_S_BOUND;
	c->warned = false;
	dc_lease_times(c, in, now_us);
	if (changed)
		c->ops->apply(c->arg, c->ip, c->prefix, c->gw);
	if (in->lease_s == 0xffffffffu)
		ksnprintf(l, sizeof(l), "infinite");
	else
		ksnprintf(l, sizeof(l), "%u s", in->lease_s);
	if (renewal) {
		c->st.renewals++;
		dc_log(c, LOG_INFO, "dhcp: %s %s/%u renewed from %s, lease %s", c->name,
		       ip_str(c->ip, a), c->prefix, ip_str(c->server, s), l);
	} else {
		dc_log(c, LOG_INFO, "dhcp: %s %s/%u gw %s from %s, lease %s", c->name,
		       ip_str(c->ip, a), c->prefix, gw ? ip_str(gw, g) : "none",
		       ip_str(c->server, s), l);
	}
}

void dhcp_client_input(struct dhcp_client *c, const uint8_t *frame, size_t len, uint64_t now_us)
{
	struct dhcp_in in;
	char a[16], s[16];

	if (dhcp_parse(frame, len, &in) != DHCP_PARSE_OK) {
		c->st.rx_bad++;
		return;
	}
	if (c->state == DHCP_S_OFF || in.xid != c->xid || memcmp(in.chaddr, c->mac, 6) != 0) {
		c->st.rx_ignored++;
		return;
	}
	switch (in.type) {
	case DHCP_OFFER:
		if (c->state != DHCP_S_SELECTING) {
			c->st.rx_ignored++; /* a second server's offer: we took the first */
			return;
		}
		if (in.yiaddr == 0 || in.yiaddr == BCAST_IP || in.server_id == 0) {
			c->st.rx_bad++;
			return;
		}
		c->st.rx_offer++;
		c->offer_ip = in.yiaddr;
		c->offer_server = in.server_id;
		c->state = DHCP_S_REQUESTING;
		c->tries = 0;
		c->backoff_us = DHCP_RETRY_FIRST_US;
		dc_send(c, DHCP_REQUEST, now_us);
		c->next_us = now_us + dc_delay(c);
		break;
	case DHCP_ACK:
		if (c->state == DHCP_S_SELECTING || c->state == DHCP_S_BOUND) {
			c->st.rx_ignored++; /* nothing asked for: a late duplicate */
			return;
		}
		dc_ack(c, &in, now_us);
		break;
	case DHCP_NAK:
		if (c->state == DHCP_S_SELECTING || c->state == DHCP_S_BOUND ||
		    (c->state == DHCP_S_REQUESTING && in.server_id &&
		     in.server_id != c->offer_server)) {
			c->st.rx_ignored++;
			return;
		}
		c->st.rx_nak++;
		dc_log(c, LOG_WARN, "dhcp: %s: %s refused by %s (NAK): starting over", c->name,
		       ip_str(c->state == DHCP_S_REQUESTING ? c->offer_ip : c->ip, a),
		       ip_str(in.server_id, s));
		dc_lose(c, now_us);
		break;
	default:
		c->st.rx_ignored++;
		break;
	}
}
