/* Test-and-test-and-set spinlocks. Only the management core and boot paths take locks;
 * dataplane hot paths must not. */
#ifndef IXOS_SPINLOCK_H
#define IXOS_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/x86.h"

struct spinlock {
	volatile uint32_t locked;
};

static inline bool spin_trylock(struct spinlock *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_pause();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Interrupt-safe variants: the lock may also be taken from an interrupt handler. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t f = irq_save();
	spin_lock(l);
	return f;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t f)
{
	spin_unlock(l);
	irq_restore(f);
}

#endif
