/* lwIP's hooks (LWIP_HOOK_FILENAME): what lwipopts.h names as LWIP_HOOK_*, declared for every
 * lwIP source that includes this file. */
#ifndef IXOS_LWIPHOOKS_H
#define IXOS_LWIPHOOKS_H

#include "lwip/arch.h"
#include "lwip/err.h"
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

struct tcp_pcb;
struct memp_desc;
/*
 * LWIP_HOOK_TCP_PCB_LOOKUP and _HASH_ADD/_DEL (our patch 0002): the active and TIME-WAIT PCBs
 * in a table keyed by their 4-tuple under a per-instance random key, so a segment finds its
 * connection in constant time however many there are. lookup returns the PCB of the 4-tuple
 * (ports in host byte order, as lwIP keeps them) or NULL; add and del are called as a PCB
 * joins or leaves one of those lists, its 4-tuple set. net/stack/pcbhash.c.
 */
struct tcp_pcb *stack_pcb_lookup(const ip_addr_t *local_ip, u16_t local_port,
				 const ip_addr_t *remote_ip, u16_t remote_port);
void stack_pcb_hash_add(struct tcp_pcb *pcb);
void stack_pcb_hash_del(struct tcp_pcb *pcb);

/*
 * LWIP_HOOK_MEMP_EMPTY (our patch 0002): pool desc is empty; adds elements to it from the
 * kernel's memory and returns 1, or returns 0 (not a pool that grows, its budget is spent, or
 * no memory). net/stack/connmem.c.
 */
int stack_memp_empty(const struct memp_desc *desc);

struct tcp_hdr;
struct pbuf;
/*
 * LWIP_HOOK_TCP_INPACKET_PCB: every segment that found a PCB, before lwIP handles it. A SYN
 * for a 4-tuple in TIME-WAIT whose sequence number is beyond what that connection received
 * is a new incarnation (RFC 6191, as Linux takes it): the TIME-WAIT PCB is freed and the SYN
 * dropped (ERR_ABRT), so the peer's retransmitted SYN, a second later, reaches the listener.
 * lwIP alone answers such SYNs with an ACK for 2 MSL (2 minutes) and the peer's connect
 * times out. ERR_OK: lwIP goes on as usual. net/stack/pcbhash.c.
 */
err_t stack_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
			 u8_t *opt2, struct pbuf *p);

#endif
