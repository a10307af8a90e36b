/*
 * DHCP messages (RFC 2131, options from RFC 2132) as whole Ethernet frames, for the clients
 * of the dataplane NIC (net/dp_dhcp.c) and the management port (mgmt/port.c): one builder
 * and one parser, IPv4 only, the part a server needs. The parser reads frames from the wire:
 * every length is checked before it is used, and it never reads outside [frame, frame + len).
 */
#ifndef IXOS_NET_DHCP_H
#define IXOS_NET_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

/* Message types (option 53). */
enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

/* The longest frame dhcp_build makes: Ethernet, IPv4, UDP, a 300-byte BOOTP message. */
#define DHCP_FRAME_MAX (14 + 20 + 8 + 300)

/* What goes into a DISCOVER or REQUEST; addresses in host byte order, 0 when absent. */
struct dhcp_out {
	uint8_t type;	      /* DHCP_DISCOVER or DHCP_REQUEST */
	uint32_t xid;	      /* the exchange's transaction id */
	uint16_t secs;	      /* seconds since the exchange began */
	uint8_t mac[6];	      /* ours: Ethernet source and chaddr */
	uint8_t dst_mac[6];   /* Ethernet destination (ff:.. for a broadcast) */
	uint32_t src_ip;      /* IP source: 0 until we have an address */
	uint32_t dst_ip;      /* IP destination: 255.255.255.255 or the server (renewal) */
	uint32_t ciaddr;      /* our address while renewing or rebinding */
	uint32_t requested;   /* option 50 (selecting), 0: none */
	uint32_t server_id;   /* option 54 (selecting), 0: none */
};

/*
 * Builds the frame for m into buf (cap bytes): Ethernet II, IPv4 (header checksum), UDP 68 to
 * 67 (with its checksum), BOOTREQUEST with the magic cookie, options 53, 50 and 54 when set,
 * 55 (asking for 1, 3, 51, 54, 58, 59), end, padded to a 300-byte message. Returns the frame's
 * length, or 0 if cap is too small (nothing useful written).
 */
size_t dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_out *m);

/* A server's reply as dhcp_parse reads it; addresses in host byte order. */
struct dhcp_in {
	uint8_t type;	    /* option 53 */
	uint32_t xid;
	uint8_t chaddr[6];  /* the client it names */
	uint8_t src_mac[6]; /* Ethernet source: where a unicast renewal goes */
	uint32_t yiaddr;    /* the address offered or acknowledged */
	uint32_t server_id; /* option 54, else 0 */
	uint32_t router;    /* option 3 (the first router), else 0 */
	uint32_t lease_s;   /* option 51, else 0; 0xffffffff: infinite */
	uint32_t t1_s, t2_s; /* options 58 and 59, else 0 */
	uint8_t prefix;	    /* option 1 as a prefix length */
	bool has_mask, has_router, has_lease, has_t1, has_t2;
};

enum dhcp_parse_result {
	DHCP_PARSE_OK,	    /* *out is a well-formed BOOTREPLY with a message type */
	DHCP_PARSE_NOT_DHCP, /* not an IPv4 UDP datagram to port 68: someone else's frame */
	DHCP_PARSE_BAD,	    /* to port 68 but malformed (caller counts it): *out is undefined */
};

/*
 * Whether frame (len bytes) is an IPv4 UDP datagram to port 68, looking only at the fixed
 * offsets (a quick test for the receive path; dhcp_parse checks everything).
 */
bool dhcp_is_client_frame(const uint8_t *frame, size_t len);

/*
 * Parses one received Ethernet frame. Checks the IPv4 header (version, length, checksum, no
 * fragment), the UDP length and checksum (when not 0), op 2, htype 1, hlen 6, the magic
 * cookie and every option's length; takes options 1 (contiguous masks only), 3, 51, 53, 54,
 * 58 and 59 and skips the others (and option 52's overloaded fields). A repeated option: the
 * last one wins. Missing option 53, or one of ours with the wrong length: DHCP_PARSE_BAD.
 */
enum dhcp_parse_result dhcp_parse(const uint8_t *frame, size_t len, struct dhcp_in *out);

#endif
