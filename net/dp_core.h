/*
 * Internal to the dataplane (net/dataplane.c: the loop and set-up; net/dp_move.c: flow-group
 * moves and address changes): a core's state and the tables the two files share. Nothing
 * outside net/dataplane.c, net/dp_move.c and net/dp_dhcp.c (ip=dhcp) includes this; they
 * export net/dataplane.h.
 */
#ifndef IXOS_NET_DP_CORE_H
#define IXOS_NET_DP_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include "drivers/nic.h"
#include "kernel/apic.h"
#include "kernel/percpu.h"
#include "kernel/trap.h"
#include "net/dp_ring.h"
#include "net/dp_stats.h"
#include "net/l2l3.h"
#include "net/stack/stack.h"

struct kconfig;

/*
 * A flow-group move request, one 64-bit word so the owning core reads group, destination and
 * sequence number together (one load: no mix of two requests): seq in the upper half.
 */
#define DP_MOVE_REQ(seq, group, to) \
	((uint64_t)(seq) << 32 | (uint64_t)(to) << 16 | (uint64_t)(group))
#define DP_MOVE_SEQ(req)   ((uint32_t)((req) >> 32))
#define DP_MOVE_TO(req)	   ((unsigned)((req) >> 16) & 0xffff)
#define DP_MOVE_GROUP(req) ((unsigned)(req) & 0xffff)
_Static_assert(NIC_RETA_SIZE <= 0x10000 && NIC_MAX_QUEUES <= 0x10000,
	       "a move request has 16 bits for the group and 16 for the queue");
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
	       "a move request is written and read in one access");

struct dp_core {
	struct nic *nic;
	unsigned queue;
	bool active;
	int mode;		 /* DP_MODE_* */
	bool stack_up;		 /* the lwIP instance came up on this core */
	struct stack_ctx sctx;
	volatile bool sleeping;	 /* halted, waiting for an interrupt */
	struct dp_ring inbox[STACK_MAX_INSTANCES]; /* from each other core, by queue index */
	struct dp_pring lent_in[STACK_MAX_INSTANCES];	/* others' buffers for flows we own */
	struct dp_pring returned[STACK_MAX_INSTANCES];	/* our buffers, given back */
	struct dp_pring imports[STACK_MAX_INSTANCES];	/* connections moving in */
	volatile uint32_t imports_posted; /* bumped after each push to imports[] ... */
	uint32_t imports_seen;		  /* ... so a check with none waiting is one load */
	/* Flow-group moves out of this core (net/dp_move.c): request, acknowledgement. */
	volatile uint64_t move_req;	 /* DP_MOVE_REQ; written by the management core only */
	volatile uint32_t move_ack;	 /* the seq this core carried out last; written by it */
	uint32_t move_reaped;		 /* management core: the seq whose RETA change it made */
	uint64_t idle_tsc;
	unsigned addr_gen;		 /* the dp_addr.seq this core has applied */
	struct uthread *thread;		 /* the app thread this core runs, if any */
	bool detaching;			 /* its app ended: waiting for the NIC to let go */
	bool detach_warned;
	uint64_t detach_tsc;
	struct uthread *volatile thread_new; /* one handed over by the management core */
	struct l2l3_cfg l3;
	struct mbuf_pool pool;
	struct dp_stats st;
} __attribute__((aligned(64)));

extern struct dp_core dp_cores[MAX_CPUS];
extern struct nic dp_nic;
extern unsigned dp_ncores;
extern unsigned dp_queue_cpu[NIC_MAX_QUEUES]; /* which CPU owns queue q */
/*
 * Which queue's core owns the flows of each RSS bucket (hash & 127). Normally the same as the
 * NIC's redirection table; when they differ (a RETA change in flight, or the reta_skew test
 * hook), a core that receives a flow it does not own lends the buffer to the owner. Written
 * only by the owning core, when it hands the group over.
 */
extern uint8_t dp_owner[NIC_RETA_SIZE];
extern uint8_t dp_nic_reta[NIC_RETA_SIZE]; /* what the NIC has; management core */
extern unsigned dp_reta_skew;
extern bool dp_mgmt_runs_dp;

/*
 * The dataplane address, under a seqlock: the management core (the only writer) makes seq odd,
 * writes, makes it even again; a core applies a snapshot read between two equal even values
 * of seq, and records that value in its addr_gen (its acknowledgement).
 */
struct dp_addr {
	volatile unsigned seq;
	uint32_t ip, netmask, gw;
	unsigned prefix;
};
extern struct dp_addr dp_addr;

static inline void dp_wake(unsigned cpu)
{
	/* Store (ring head) then load (sleeping): x86 may reorder those without a fence. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (dp_cores[cpu].sleeping)
		apic_send_ipi(percpu[cpu].apic_id, VEC_IPI_TEST);
}

/* The owner queue of a received TCP or UDP packet, or -1 for what any core may handle. */
static inline int dp_flow_owner(const struct mbuf *m)
{
	/* RSS types 1 (IPv4 with TCP ports) and 7 (with UDP ports), on the 82599 and 82576. */
	if (!(m->flags & MBUF_F_RX_RSS_HASH) || (m->rss_type != 1 && m->rss_type != 7))
		return -1;
	return dp_owner[m->rss_hash & (NIC_RETA_SIZE - 1)];
}

/* Whether the management core asked this core for a move it has not carried out yet. */
static inline bool dp_move_pending(const struct dp_core *dc)
{
	return DP_MOVE_SEQ(__atomic_load_n(&dc->move_req, __ATOMIC_RELAXED)) != dc->move_ack;
}

/* Whether the address changed since this core last applied it. */
static inline bool dp_addr_pending(const struct dp_core *dc)
{
	return __atomic_load_n(&dp_addr.seq, __ATOMIC_RELAXED) != dc->addr_gen;
}

/* net/dataplane.c: adopts the connections other cores handed over (one load if none). */
void dp_drain_imports(struct dp_core *dc);

/* net/dp_move.c, on the owning core: carries out the pending move request, if any. */
void dp_move_serve(struct dp_core *dc);
/* net/dp_move.c, on each core: takes the address in, if a consistent one can be read. */
void dp_apply_addr(struct dp_core *dc);
/* net/dp_move.c: lends m to the core owning its flow; false if that core's ring is full. */
bool dp_lend(struct dp_core *dc, struct mbuf *m, unsigned owner_q);
/* net/dp_move.c: takes in the buffers other cores lent us, frees those they gave back. */
void dp_drain_lent(struct dp_core *dc);
/* net/dp_move.c, boot CPU: the address and the migrate_test hook from the command line. */
void dp_move_init(const struct kconfig *cfg);
/* net/dp_move.c, management core, every tick: the NIC follows moves carried out since (the
 * ones nobody waited for), and the migrate_test hook. */
void dp_move_tick(void);

#endif
