/* The built-in echo service (RFC 862) on TCP and UDP port 7, one per stack instance. */
#ifndef IXOS_NET_STACK_ECHO_H
#define IXOS_NET_STACK_ECHO_H

#include <stdbool.h>
#include "net/stack/stack.h"

#define ECHO_PORT 7

/* Listens on TCP and UDP port 7 of this instance. 0 or -1. */
int echo_init(struct stack_ctx *ctx);

struct tcp_pcb;

/*
 * Migration: the echo state of a connection leaving this instance. Copies up to max pending
 * bytes into buf, sets *closing, frees the state and detaches it from pcb. Returns the
 * number of pending bytes (which may exceed max: call with max = 0 first to size).
 */
unsigned echo_export(struct tcp_pcb *pcb, uint8_t *buf, unsigned max, bool *closing);
/* Migration: takes over a connection arriving in this instance, with its pending bytes. */
int echo_adopt(struct tcp_pcb *pcb, const uint8_t *pending, unsigned len, bool closing);

#endif
