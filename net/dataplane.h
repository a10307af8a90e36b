/* Dataplane cores: one NIC queue pair each, run to completion, adaptive batching. */
#ifndef IXOS_NET_DATAPLANE_H
#define IXOS_NET_DATAPLANE_H

#include <stdbool.h>

struct kconfig;

/* Packets taken from the NIC per iteration, at most: the batch bound of the whole path. */
#define DP_BATCH_MAX 64
/* Descriptors per ring and buffers per core. */
#define DP_RX_DESC 512
#define DP_TX_DESC 512
#define DP_POOL_SIZE 2048

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
 * 0, or -1 (bad arguments, or the owning core did not answer within 1 s).
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

/* Prints one line of counters per dataplane core and one for the NIC on COM1. */
void dataplane_print_stats(void);

/* Called from the management core's loop: prints stats when stats_interval has passed. */
void dataplane_mgmt_tick(void);

#endif
