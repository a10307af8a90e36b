/*
 * Connection memory of one stack instance. A connection costs a PCB (lwIP's), the app's view
 * of it (struct ixconn) and a bucket of the connection table. None of them is a fixed array:
 * the PCB pool starts with MEMP_NUM_TCP_PCB elements and grows by CONNMEM_CHUNK_BYTES of
 * the kernel's heap whenever it runs dry (lwIP's memp_malloc asks stack_memp_empty,
 * our patch 0002), the ixconn table grows by chunks the same way, and the table of buckets
 * is sized at start for the most connections the budget allows. The budget is the instance's
 * share of conn_mem= (the dataplane divides it among its cores); memory taken stays with the
 * pool (a core that once held 100,000 connections keeps their PCBs for the next ones).
 * When the budget or the kernel's memory is spent, a new connection is refused: ixconn.c
 * resets it once its handshake is done, or lwIP drops its SYN when no PCB is left (counted
 * as tcp_pcb_fails); ixconn.c counts both as tcp_refused and logs them.
 */
#include "kernel/heap.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "lwip/memp.h"
#include "lwip/priv/memp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "net/stack/connmem.h"
#include "net/stack/ixconn_priv.h"

#define CONNMEM_CHUNK_BYTES (64 * 1024) /* a few hundred PCBs per trip to the allocator */

_Static_assert(MEMP_STATS, "the pool's size is kept in its stats (avail)");
_Static_assert(!MEMP_MEM_MALLOC && !MEMP_OVERFLOW_CHECK,
	       "elements are laid out as memp_init_pool's");
_Static_assert(MEM_ALIGNMENT <= 16, "kmalloc aligns to 16");

static uint64_t connmem_max, connmem_pcb_max, connmem_taken;

static uint64_t connmem_pcb_elem(void)
{
	return MEMP_SIZE + MEMP_ALIGN_SIZE(memp_pools[MEMP_TCP_PCB]->size);
}

uint64_t connmem_conn_bytes(void)
{
	return connmem_pcb_elem() + sizeof(struct ixconn) + sizeof(struct tcp_pcb *);
}

int connmem_init(uint64_t budget_bytes)
{
	connmem_max = budget_bytes / connmem_conn_bytes();
	if (connmem_max < MEMP_NUM_TCP_PCB)
		connmem_max = MEMP_NUM_TCP_PCB; /* the static pool is there anyway */
	/* PCBs have a margin over connections: half-open ones (the listeners' backlogs) and
	 * TIME-WAIT ones hold a PCB but no ixconn. So a connection over the budget normally
	 * meets a full ixconn table after its handshake and is reset (ixconn.c) rather than
	 * having its SYN dropped for want of a PCB, which would leave its client retrying. */
	connmem_pcb_max = connmem_max + connmem_max / 16 + 4 * TCP_DEFAULT_LISTEN_BACKLOG;
	if (pcbhash_init(connmem_pcb_max))
		return -1;
	log_info("dataplane: cpu%u holds up to %lu connections (%lu bytes each), %u buckets",
		 this_cpu()->id, (unsigned long)connmem_max, (unsigned long)connmem_conn_bytes(),
		 pcbhash_buckets());
	return 0;
}

uint64_t connmem_conn_max(void)
{
	return connmem_max;
}

uint64_t connmem_bytes(void)
{
	return connmem_taken;
}

void *connmem_alloc(uint64_t bytes)
{
	void *p = kmalloc(bytes);

	if (p)
		connmem_taken += bytes;
	return p;
}

int stack_memp_empty(const struct memp_desc *desc)
{
	if (desc != memp_pools[MEMP_TCP_PCB] || desc->stats->avail >= connmem_pcb_max)
		return 0;
	uint64_t elem = connmem_pcb_elem(), n = CONNMEM_CHUNK_BYTES / elem;
	if (n > connmem_pcb_max - desc->stats->avail)
		n = connmem_pcb_max - desc->stats->avail;
	uint8_t *chunk = connmem_alloc(n * elem);
	if (!chunk)
		return 0;
	/* The elements are laid out as memp_init_pool lays out the static ones: a struct memp
	 * header (MEMP_SIZE) then the PCB, each MEM_ALIGNMENT-aligned (kmalloc's are 16). */
	for (uint64_t i = 0; i < n; i++) {
		struct memp *m = (struct memp *)(chunk + i * elem);
		m->next = *desc->tab;
		*desc->tab = m;
	}
	desc->stats->avail += (mem_size_t)n;
	return 1;
}
