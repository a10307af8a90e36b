/*
 * The connection table of one stack instance: its active and TIME-WAIT PCBs by 4-tuple, so
 * that tcp_input finds a segment's connection in constant time however many the core holds
 * (lwIP walks its lists; our patch tools/lwip/patches/0002-pcb-lookup-hook-dlists-growing-
 * pools.patch calls these hooks instead). Buckets are doubly linked chains through the PCBs
 * themselves (hash_next, hash_prev), so nothing is allocated per connection.
 *
 * The bucket comes from a multiply-shift hash of the 4-tuple under a random key chosen at
 * start: a peer that does not know the key cannot aim its connections at one bucket to make
 * every lookup walk them all (a hash flood). The table has as many buckets as the instance
 * may hold connections (a power of two, connmem_pcb_cap()), so chains stay short.
 */
#include "kernel/log.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net/stack/connmem.h"
#include "net/stack/ixconn.h"
#include "net/stack/ixconn_priv.h"
#include "net/dp_stats.h"

#define PCBHASH_MIN_BITS 10
#define PCBHASH_MAX_BITS 22

static struct tcp_pcb **pcbhash;
static unsigned pcbhash_bits;
static uint64_t pcbhash_k0, pcbhash_k1;

static uint64_t pcbhash_rand64(void)
{
	return (uint64_t)stack_rand() << 32 | stack_rand();
}

int pcbhash_init(uint64_t max_pcbs)
{
	unsigned bits = PCBHASH_MIN_BITS;

	while (bits < PCBHASH_MAX_BITS && (1ULL << bits) < max_pcbs)
		bits++;
	pcbhash = connmem_alloc(sizeof(*pcbhash) << bits); /* zeroed: every bucket empty */
	if (!pcbhash) {
		log_err("tcp: no memory for a connection table of %lu buckets",
			(unsigned long)(1UL << bits));
		return -1;
	}
	pcbhash_bits = bits;
	pcbhash_k0 = pcbhash_rand64() | 1; /* odd: multiplying by it is a bijection */
	pcbhash_k1 = pcbhash_rand64();
	return 0;
}

unsigned pcbhash_buckets(void)
{
	return 1u << pcbhash_bits;
}

static struct tcp_pcb **pcbhash_bucket(u32_t local_ip, u16_t local_port, u32_t remote_ip,
				       u16_t remote_port)
{
	uint64_t x = ((uint64_t)remote_ip << 32 | (uint64_t)remote_port << 16 | local_port);

	x = (x ^ pcbhash_k1) * pcbhash_k0;
	x ^= (uint64_t)local_ip * (pcbhash_k1 | 1);
	x *= pcbhash_k0;
	return &pcbhash[x >> (64 - pcbhash_bits)];
}

static struct tcp_pcb **pcbhash_bucket_of(const struct tcp_pcb *pcb)
{
	return pcbhash_bucket(ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)), pcb->local_port,
			      ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)), pcb->remote_port);
}

struct tcp_pcb *stack_pcb_lookup(const ip_addr_t *local_ip, u16_t local_port,
				 const ip_addr_t *remote_ip, u16_t remote_port)
{
	u32_t lip = ip4_addr_get_u32(ip_2_ip4(local_ip)),
	      rip = ip4_addr_get_u32(ip_2_ip4(remote_ip));

	for (struct tcp_pcb *p = *pcbhash_bucket(lip, local_port, rip, remote_port); p;
	     p = p->hash_next)
		if (p->remote_port == remote_port && p->local_port == local_port &&
		    ip4_addr_get_u32(ip_2_ip4(&p->remote_ip)) == rip &&
		    ip4_addr_get_u32(ip_2_ip4(&p->local_ip)) == lip)
			return p;
	return NULL;
}

void stack_pcb_hash_add(struct tcp_pcb *pcb)
{
	struct tcp_pcb **b = pcbhash_bucket_of(pcb);

	pcb->hash_prev = NULL;
	pcb->hash_next = *b;
	if (*b)
		(*b)->hash_prev = pcb;
	*b = pcb;
}

void stack_pcb_hash_del(struct tcp_pcb *pcb)
{
	if (pcb->hash_prev)
		pcb->hash_prev->hash_next = pcb->hash_next;
	else {
		struct tcp_pcb **b = pcbhash_bucket_of(pcb);
		if (*b == pcb)
			*b = pcb->hash_next;
	}
	if (pcb->hash_next)
		pcb->hash_next->hash_prev = pcb->hash_prev;
	pcb->hash_next = pcb->hash_prev = NULL;
}

err_t stack_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
			 u8_t *opt2, struct pbuf *p)
{
	(void)optlen;
	(void)opt1len;
	(void)opt2;
	(void)p;
	if (pcb->state != TIME_WAIT ||
	    (TCPH_FLAGS(hdr) & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN ||
	    !TCP_SEQ_GT(hdr->seqno, pcb->rcv_nxt)) /* tcp_input made it host order already */
		return ERR_OK;
	/* tcp_input returns at once on an error (freeing the segment), pcb untouched. */
	tcp_pcb_remove(&tcp_tw_pcbs, pcb);
	tcp_free(pcb);
	ixc_ctx->st->tcp_tw_recycled++;
	return ERR_ABRT;
}
