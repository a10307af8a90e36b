/*
 * lwIP configuration for ixos: one instance per dataplane core (see net/stack/), raw API,
 * no OS (NO_SYS), IPv4 with ARP, ICMP, UDP and TCP. Every pool below is per core.
 */
#ifndef IXOS_LWIPOPTS_H
#define IXOS_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_TIMERS 0 /* each core's timer wheel runs tcp_tmr and etharp_tmr (net/stack/netif.c) */
#define SYS_LIGHTWEIGHT_PROT 0 /* a core's instance is touched by that core only */
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 0
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1
#define IP_REASSEMBLY 0 /* fragments are dropped and counted */
#define IP_FRAG 0

/* Memory: lwIP's own heap and pools, in each instance's .bss. */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (1024 * 1024)
#define MEMP_NUM_PBUF 8192 /* zero-copy sends: one per piece of app memory queued */
#define MEMP_NUM_UDP_PCB 8
/* The first PCBs of each instance; more come from the kernel's memory as connections arrive,
 * up to the instance's share of conn_mem= (net/stack/connmem.c). */
#define MEMP_NUM_TCP_PCB 256
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_TCP_SEG 8192
#define MEMP_NUM_REASSDATA 1
#define MEMP_NUM_ARP_QUEUE 64
#define PBUF_POOL_SIZE 512
#define PBUF_POOL_BUFSIZE 1536
#define LWIP_SUPPORT_CUSTOM_PBUF 1 /* received frames stay in the NIC's buffer (zero copy) */

/* TCP */
#define TCP_MSS 1460
#define TCP_WND (16 * TCP_MSS)
#define TCP_SND_BUF (16 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
/* Out-of-order segments pin NIC buffers too: at most 8 per connection, a window's bytes. */
#define TCP_OOSEQ_MAX_PBUFS 8
#define TCP_OOSEQ_MAX_BYTES TCP_WND
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 255
#define LWIP_TCP_KEEPALIVE 0
#define TCP_OVERSIZE TCP_MSS

/*
 * Checksums: checked on receive only where the NIC has not (net/stack/netif.c switches the
 * checks per frame from the NIC's verdict); on transmit the NIC inserts IPv4, TCP and UDP
 * checksums, lwIP only ICMP's.
 */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

#define ETH_PAD_SIZE 0
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1

/* Counters: lwIP keeps them per instance; the dataplane prints the ones operators need. */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define LWIP_STATS_LARGE 1 /* 32-bit counters: 16 bits wrap within seconds under load */
#define LINK_STATS 1
#define IP_STATS 1
#define ICMP_STATS 1
#define UDP_STATS 1
#define TCP_STATS 1
#define MEM_STATS 1
#define MEMP_STATS 1
#define ETHARP_STATS 1
#define MIB2_STATS 1 /* for retransmitted segments and connection counts */

#define LWIP_NOASSERT_ON_ERROR 0
#define LWIP_PROVIDE_ERRNO 1

/* Initial sequence numbers: RFC 6528, a keyed hash of the 4-tuple and a clock (net/stack/isn.c) */
/* SOF_REUSEADDR: an app's listener binds its port even while connections of an earlier app
 * on that port sit in TIME_WAIT (the server closed first: memcached's quit); accepted and
 * imported connections carry the option, so each such pair may share the port. */
#define SO_REUSE 1
#define LWIP_HOOK_FILENAME "net/lwip/lwiphooks.h"
#define LWIP_HOOK_TCP_ISN stack_tcp_isn
#define LWIP_HOOK_IP4_ID  stack_ip4_id /* tools/lwip/patches/0001-ip4-id-from-a-hook.patch */
/* tools/lwip/patches/0002-pcb-lookup-hook-dlists-growing-pools.patch: */
#define LWIP_HOOK_TCP_PCB_LOOKUP   stack_pcb_lookup   /* net/stack/pcbhash.c */
#define LWIP_HOOK_TCP_PCB_HASH_ADD stack_pcb_hash_add
#define LWIP_HOOK_TCP_PCB_HASH_DEL stack_pcb_hash_del
#define LWIP_HOOK_MEMP_EMPTY	   stack_memp_empty   /* net/stack/connmem.c */
#define LWIP_HOOK_TCP_INPACKET_PCB stack_tcp_inpacket /* net/stack/pcbhash.c */

#endif
