/*
 * A DHCP client (RFC 2131) for one interface, independent of which one: the dataplane NIC
 * (net/dp_dhcp.c) and the management port (mgmt/port.c) each run one on the management core.
 * It is driven by three calls (start, tick, input) with the time passed in, and reaches the
 * interface only through its ops, so the host tests run it as the kernel does.
 *
 * INIT -> SELECTING (DISCOVER, broadcast) -> REQUESTING (REQUEST for the first OFFER) ->
 * BOUND (ACK: ops->apply) -> RENEWING at T1 (REQUEST unicast to the server) -> REBINDING at
 * T2 (broadcast) -> lease expired: the address is dropped (apply 0) and SELECTING starts
 * over. Retransmissions back off from 1 s, doubling, up to 64 s (RFC 2131 section 4.1) with
 * up to 0.5 s of random delay added; the client never gives up, but after DHCP_WARN_TRIES
 * unanswered DISCOVERs it logs a warning that the interface has no address.
 */
#ifndef IXOS_NET_DHCP_CLIENT_H
#define IXOS_NET_DHCP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_RETRY_FIRST_US 1000000ULL
#define DHCP_RETRY_MAX_US 64000000ULL
#define DHCP_JITTER_US 500000u
#define DHCP_WARN_TRIES 4      /* DISCOVERs unanswered (after 15 s) before the warning */
#define DHCP_REQUEST_TRIES 4   /* REQUESTs for an offer before starting over */
#define DHCP_RENEW_MIN_US 60000000ULL /* the least wait between renewal retransmissions */
#define DHCP_LEASE_MIN_S 10    /* shorter leases are taken as this long */

enum dhcp_state {
	DHCP_S_OFF,
	DHCP_S_SELECTING,
	DHCP_S_REQUESTING,
	DHCP_S_BOUND,
	DHCP_S_RENEWING,
	DHCP_S_REBINDING,
};

struct dhcp_client_ops {
	/* Transmits one frame on the interface; 0, or -1 if it could not (counted in
	 * tx_failed; the retransmission timer tries again). */
	int (*send)(void *arg, const uint8_t *frame, size_t len);
	/* Puts the address in use (host order); ip 0: none any more (lease lost or refused). */
	void (*apply)(void *arg, uint32_t ip, unsigned prefix, uint32_t gw);
	/* One complete log line without the newline; level as LOG_INFO, LOG_WARN. */
	void (*log)(void *arg, int level, const char *msg);
	/* 32 random bits (transaction ids, retransmission jitter). */
	uint32_t (*rand)(void *arg);
};

/* What the client counted: sent, received, and dropped with the reason. */
#define DHCP_STATS(X)                                                                              \
	X(tx_discover) X(tx_request) X(tx_failed) X(rx_offer) X(rx_ack) X(rx_nak)                \
	    X(rx_bad)	  /* malformed (dhcp_parse), or an OFFER/ACK lacking what it must carry */ \
	    X(rx_ignored) /* well formed but not ours: other xid or client, unexpected type */     \
	    X(renewals) X(leases_lost)

struct dhcp_client_stats {
#define DHCP_STATS_FIELD(f) uint64_t f;
	DHCP_STATS(DHCP_STATS_FIELD)
#undef DHCP_STATS_FIELD
};

struct dhcp_client {
	/* Set by the owner before dhcp_client_start. */
	const char *name;	/* "dataplane", "mgmt": starts every log line */
	uint8_t mac[6];
	const struct dhcp_client_ops *ops;
	void *arg;
	uint32_t fallback_gw;	/* used when the server names no router (gw= on the cmdline) */

	enum dhcp_state state;
	uint32_t xid;
	unsigned tries;		/* transmissions of the current message */
	uint64_t start_us;	/* when the current exchange began */
	uint64_t next_us;	/* the next retransmission or timer */
	uint64_t backoff_us;
	bool warned;
	uint32_t offer_ip, offer_server; /* the OFFER being requested */
	/* The lease (BOUND, RENEWING, REBINDING). */
	uint32_t ip, gw, server;
	unsigned prefix;
	uint8_t server_mac[6];
	uint32_t lease_s;
	uint64_t t1_us, t2_us, expire_us; /* UINT64_MAX: infinite lease */
	struct dhcp_client_stats st;
};

/* Starts asking for an address: the first DISCOVER goes out now. */
void dhcp_client_start(struct dhcp_client *c, uint64_t now_us);

/* Runs the timers due at now_us (retransmissions, T1, T2, expiry). Call often (every tick);
 * it does nothing until the next deadline. */
void dhcp_client_tick(struct dhcp_client *c, uint64_t now_us);

/*
 * Takes one received frame that dhcp_is_client_frame accepted (others are counted as bad):
 * parses it (net/dhcp.h) and acts on an OFFER, ACK or NAK for this client's transaction;
 * anything else is counted and dropped. frame is read only, never kept.
 */
void dhcp_client_input(struct dhcp_client *c, const uint8_t *frame, size_t len, uint64_t now_us);

/* Whether the client holds a lease now (BOUND, RENEWING or REBINDING). */
bool dhcp_client_bound(const struct dhcp_client *c);

#endif
