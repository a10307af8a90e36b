/*
 * TCP initial sequence numbers, RFC 6528 section 3: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), M a clock ticking every 4 microseconds, F SipHash-2-4 under a
 * 128-bit secret drawn at boot. The secret lives in the kernel (kernel/random.c), not here:
 * this file is linked into every stack instance, and all must agree, so that a connection's
 * sequence space does not depend on which core's instance opened it. Successive connections
 * of one 4-tuple still get increasing ISNs (the clock), others unrelated ones.
 *
 * IP header IDs (LWIP_HOOK_IP4_ID, our lwIP patch tools/lwip/patches/0001-*) come from the
 * same random source, so they reveal neither how much this host sends nor which core sent it.
 */
#include "kernel/random.h"
#include "kernel/time.h"
#include "lwip/ip_addr.h"
#include "net/lwip/lwiphooks.h"

/* The hash's input, packed: addresses and ports as they sit in the PCB (network order). */
struct isn_tuple {
	uint32_t local_ip, remote_ip;
	uint16_t local_port, remote_port;
};
_Static_assert(sizeof(struct isn_tuple) == 12, "the tuple is hashed with no padding");

u32_t stack_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
		    u16_t remote_port)
{
	struct isn_tuple t = {
	    .local_ip = ip4_addr_get_u32(ip_2_ip4(local_ip)),
	    .remote_ip = ip4_addr_get_u32(ip_2_ip4(remote_ip)),
	    .local_port = local_port,
	    .remote_port = remote_port,
	};
	uint64_t m = time_uptime_us() / 4;

	return (u32_t)(m + random_keyed_hash(&t, sizeof(t)));
}

/* Each stack instance (one per core) has its own copy of these: no sharing, no locks. */
static uint64_t ip4_id_bits;
static unsigned ip4_id_left;

u16_t stack_ip4_id(void)
{
	/* Four IDs from every 64 random bits: a ChaCha20 word costs a few nanoseconds, an ID is
	 * taken per datagram sent. */
	if (ip4_id_left == 0) {
		ip4_id_bits = random_u64();
		ip4_id_left = 4;
	}
	u16_t id = (u16_t)ip4_id_bits;
	ip4_id_bits >>= 16;
	ip4_id_left--;
	return id;
}
