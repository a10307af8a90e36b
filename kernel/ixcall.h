/*
 * Checking the batched calls an app hands its core (user/libix/ix_abi.h). Pure logic, no
 * kernel state: the page lookup is a callback, so the host tests run it against a fake
 * address space (tests/unit/test_ixcall.c).
 */
#ifndef IXOS_KERNEL_IXCALL_H
#define IXOS_KERNEL_IXCALL_H

#include <stdbool.h>
#include <stdint.h>
#include "user/libix/ix_abi.h"

/* The lowest and one-past-highest address an app may pass (kernel/user.h says the same). */
#define IXCALL_USER_MIN 0x400000ULL
#define IXCALL_USER_END 0x00007fffffff0000ULL

/* A physically contiguous piece of app memory to send. */
struct ixcall_piece {
	uint64_t phys;
	uint32_t len;
};

/* Whether the page at va (page-aligned) is mapped user-readable; if so its physical address. */
typedef bool (*ixcall_lookup_fn)(void *arg, uint64_t va, uint64_t *phys);

/*
 * Checks a snapshot of one call: a known op, niov within IX_IOV_MAX, iov lengths whose sum
 * does not overflow, and every iov range inside user space. Returns 0, -IX_EINVAL (a
 * malformed call: the call fails) or -IX_EFAULT (a pointer outside user space: the app is
 * stopped).
 */
int ixcall_check(const struct ix_call *c);

/*
 * Translates the first `limit` bytes of a checked sendv's iov into physically contiguous
 * pieces (at most max of them; it stops early, at a piece boundary, when they run out).
 * Returns the number of pieces and sets *bytes to the bytes they cover, or -IX_EFAULT if one
 * of those bytes is on a page the app cannot read.
 */
int ixcall_map_iov(const struct ix_call *c, uint64_t limit, struct ixcall_piece *out,
		   unsigned max, uint64_t *bytes, ixcall_lookup_fn lookup, void *arg);

#endif
