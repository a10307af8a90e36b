/* lwIP's hooks (LWIP_HOOK_FILENAME): what lwipopts.h names as LWIP_HOOK_*, declared for every
 * lwIP source that includes this file. */
#ifndef IXOS_LWIPHOOKS_H
#define IXOS_LWIPHOOKS_H

#include "lwip/arch.h"
#include "lwip/ip_addr.h"

/*
 * LWIP_HOOK_TCP_ISN: the initial sequence number of a new connection (RFC 6528): a 4 µs
 * clock plus SipHash-2-4 of the 4-tuple under the kernel's boot-time secret. net/stack/isn.c.
 */
u32_t stack_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
		    u16_t remote_port);

/*
 * LWIP_HOOK_IP4_ID (our lwIP patch tools/lwip/patches/0001-ip4-id-from-a-hook.patch): the IP
 * header ID of the next datagram sent, 16 random bits (RFC 7739's advice; RFC 6864 asks only
 * that IDs not repeat within a flow's reassembly window, which 2^16 random values rarely do
 * for the few fragmented datagrams lwIP sends). net/stack/isn.c.
 */
u16_t stack_ip4_id(void);

#endif
