/* Dataplane cores: one NIC queue pair each, run to completion, adaptive batching. */
#ifndef IXOS_NET_DATAPLANE_H
#define IXOS_NET_DATAPLANE_H

#include <stdbool.h>
#include "drivers/nic.h"

struct kconfig;

/* Packets taken from the NIC per iteration, at most: the batch bound of the whole path. */
#define DP_BATCH_MAX 64
/* The longest frame taken in: Ethernet header, a VLAN tag, a 1500-byte MTU. */
#define DP_FRAME_MAX (14 + 4 + 1500)
/* Descriptors per ring and buffers per core. */
#define DP_RX_DESC 512
#define DP_TX_DESC 512
/* The pool: the RX ring, what connections hold for the app, and a reserve for TX frames and
 * RX refills that lets ACKs through however peers behave (net/stack/rxmem.h). */
#define DP_POOL_SIZE 4096

/*
 * Finds the dataplane NIC (an 82599 if there is one, else an 82576), configures one queue
 * pair per dataplane core (the management core doubles as the only one on a 1-CPU machine),
 * spreads the RSS redirection table over them, and starts the cores' poll loops. Returns 0,
 * or -1 with the reason logged (the kernel then runs without a dataplane). Boot CPU, once.
 */
int dataplane_init(const struct kconfig *cfg);

/*
 * Moves flow group `group` (an RSS bucket) with all its TCP connections to the core polling
 * queue to_queue, then points the NIC's redirection table there. Management core; returns
 * 0, or -1: bad arguments; the owning core did not acknowledge within 1 s (it still carries
 * the move out, and the NIC follows then); or refused, logged, because that core still has
 * not carried out an older move after 1 s more (one request per core at a time, never
 * overwritten: net/dp_move.c).
 */
int dataplane_move_group(unsigned group, unsigned to_queue);

/* The CPUs that run an app's threads (the dataplane cores, by queue). Returns how many. */
unsigned dataplane_app_cpus(unsigned *cpus);

/* Hands thread t to the dataplane core cpu, which runs it in its loop from now on. */
struct uthread;
void dataplane_host_thread(unsigned cpu, struct uthread *t);

/* Which queue owns each flow group (RSS bucket): NIC_RETA_SIZE entries. */
#include <stdint.h>
const uint8_t *dataplane_owner_table(void);

/* One dataplane core as management reports it. */
#include "net/dp_stats.h"
#include "net/stack/stack.h"
struct dp_core_info {
	unsigned cpu, queue;
	unsigned flow_groups; /* RSS buckets it owns now (0: idle) */
	bool stack_up;
	bool sleeping;
	uint64_t busy_ns;     /* time spent on iterations that had work */
	uint64_t loop_ns_max; /* the longest of them (microsecond resolution) */
	struct dp_stats st;   /* a snapshot (read while the core runs: each counter is whole) */
	struct stack_stats ss;
};

/* Fills out[] with the dataplane cores (by queue); returns how many. Any core. */
unsigned dataplane_cores(struct dp_core_info *out, unsigned max);

/* The dataplane NIC's name, MAC and link; false if there is none. */
bool dataplane_nic_info(const char **name, uint8_t mac[6], struct nic_link *link);
/* The dataplane NIC's counters. */
void dataplane_nic_stats(struct nic_stats *out);

/*
 * Makes the first n dataplane cores the active ones: every flow group moves (with its TCP
 * connections) to queue g % n, the NIC's redirection table following. Management core; 0, or
 * -1 (n out of range, or a core did not answer). Cores left without flow groups go idle.
 */
int dataplane_set_active(unsigned n);
/* How many cores own flow groups now, and how many there are. */
unsigned dataplane_active(void);
unsigned dataplane_max(void);

/*
 * Gives every core's stack instance the new address (host order; prefix 0..32) and gateway,
 * each on its own core. Management core; 0, or -1 if a core did not apply it within 1 s.
 */
int dataplane_set_addr(uint32_t ip, unsigned prefix, uint32_t gw);
/* The dataplane address, prefix and gateway in use (host order). */
void dataplane_get_addr(uint32_t *ip, unsigned *prefix, uint32_t *gw);

/* The dataplane NIC's PCI function (NULL if none): the management port must be another. */
struct pci_dev *dataplane_pci_dev(void);

/* Whether the management core runs a dataplane loop itself (no other CPU to run it). */
bool dataplane_on_mgmt_core(void);

/* Enters the dataplane loop on this CPU (never returns). */
__attribute__((noreturn)) void dataplane_run_here(void);

/*
 * A stack instance is done with a received buffer: it goes back to its pool if this core
 * owns it, or to the core that lent it. Dataplane cores only.
 */
struct mbuf;
void dataplane_rx_buf_done(struct mbuf *m);
/* The same for a chain linked through next (NULL: nothing). */
void dataplane_rx_chain_done(struct mbuf *m);

/* Prints one line of counters per dataplane core and one for the NIC on COM1. */
void dataplane_print_stats(void);

/* The management core's work after each wake-up: apps (kernel/apps.c), management requests
 * (mgmt/), stats lines when stats_interval has passed, the migrate_test hook. */
void dataplane_mgmt_tick(void);

#endif
