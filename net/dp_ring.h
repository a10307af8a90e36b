/*
 * Single-producer, single-consumer rings between dataplane cores: small messages by value,
 * so no buffer ever changes owner (pools stay per core and lock-free). One ring per ordered
 * pair of cores. Used to share ARP with every stack instance (RSS sends all non-IP frames to
 * queue 0), and later to hand packets and connections to the core that owns their flow.
 */
#ifndef IXOS_NET_DP_RING_H
#define IXOS_NET_DP_RING_H

#include <stdbool.h>
#include <stdint.h>

#define DP_RING_SLOTS 64 /* a power of two */
#define DP_MSG_MAX 124	 /* an ARP frame (42 bytes, 60 padded) fits */

struct dp_msg {
	uint16_t len;
	uint8_t data[DP_MSG_MAX];
};

struct dp_ring {
	volatile uint32_t head __attribute__((aligned(64))); /* written by the producer */
	volatile uint32_t tail __attribute__((aligned(64))); /* written by the consumer */
	struct dp_msg slot[DP_RING_SLOTS];
};

/* Producer: copies len bytes in; false (and nothing queued) when full or too long. */
static inline bool dp_ring_push(struct dp_ring *r, const uint8_t *data, uint16_t len)
{
	uint32_t h = r->head;

	if (len > DP_MSG_MAX || h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == DP_RING_SLOTS)
		return false;
	struct dp_msg *m = &r->slot[h % DP_RING_SLOTS];
	for (uint16_t i = 0; i < len; i++)
		m->data[i] = data[i];
	m->len = len;
	/* The message is complete before the consumer can see the new head. */
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	return true;
}

/* Consumer: the oldest message, or NULL; call dp_ring_pop once done with it. */
static inline const struct dp_msg *dp_ring_peek(struct dp_ring *r)
{
	uint32_t t = r->tail;

	if (t == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE))
		return NULL;
	return &r->slot[t % DP_RING_SLOTS];
}

static inline void dp_ring_pop(struct dp_ring *r)
{
	__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
}

#endif

/* The same for pointers: buffers lent to the core that owns their flow, and given back. */
#define DP_PRING_SLOTS 2048 /* >= a core's pool: a lending core can never overfill it */

struct dp_pring {
	volatile uint32_t head __attribute__((aligned(64)));
	volatile uint32_t tail __attribute__((aligned(64)));
	void *slot[DP_PRING_SLOTS];
};

static inline bool dp_pring_push(struct dp_pring *r, void *p)
{
	uint32_t h = r->head;

	if (h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == DP_PRING_SLOTS)
		return false;
	r->slot[h % DP_PRING_SLOTS] = p;
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	return true;
}

static inline void *dp_pring_pop(struct dp_pring *r)
{
	uint32_t t = r->tail;

	if (t == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE))
		return NULL;
	void *p = r->slot[t % DP_PRING_SLOTS];
	__atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
	return p;
}

static inline bool dp_pring_empty(struct dp_pring *r)
{
	return r->tail == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
}
