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

#endif
