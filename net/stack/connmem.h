/*
 * Connection memory of one stack instance (net/stack/connmem.c): how many connections it may
 * hold, from its share of conn_mem=, and the PCB pool that grows toward that as they arrive.
 * Private to net/stack.
 */
#ifndef IXOS_NET_STACK_CONNMEM_H
#define IXOS_NET_STACK_CONNMEM_H

#include <stdint.h>

/* Sets the budget (bytes) and sizes the connection table from it. 0, or -1 (no memory). */
int connmem_init(uint64_t budget_bytes);
/* The most connections the instance holds at once (half-open and TIME-WAIT ones count). */
uint64_t connmem_conn_max(void);
/* What one connection costs: its PCB, the app's view of it (struct ixconn), its bucket. */
uint64_t connmem_conn_bytes(void);
/* Bytes taken from the kernel so far for connection state (kept until the instance stops). */
uint64_t connmem_bytes(void);
/* Zeroed memory for connection state (kmalloc), counted in connmem_bytes; NULL if none. */
void *connmem_alloc(uint64_t bytes);
/* The connection table (net/stack/pcbhash.c): 0 or -1. */
int pcbhash_init(uint64_t max_pcbs);
unsigned pcbhash_buckets(void);

#endif
