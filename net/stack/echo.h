/* The built-in echo service (RFC 862) on TCP and UDP port 7, one per stack instance. */
#ifndef IXOS_NET_STACK_ECHO_H
#define IXOS_NET_STACK_ECHO_H

#include "net/stack/stack.h"

#define ECHO_PORT 7

/* Listens on TCP and UDP port 7 of this instance. 0 or -1. */
int echo_init(struct stack_ctx *ctx);

#endif
