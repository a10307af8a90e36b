/*
 * POSIX threads for memcached on ixos (include/pthread.h says what they are). Apps run one
 * thread per dataplane core, to completion, so:
 *   - mutexes are spinlocks (memcached's item, LRU, slab and stats locks are held briefly);
 *   - a condition wait unlocks, pauses and relocks: a spurious wakeup, which POSIX allows,
 *     so callers re-check their predicate (only memcached's background threads wait, and
 *     they do not run here);
 *   - thread-specific data is kept per app thread (the logger key: each worker's logger);
 *   - pthread_create refuses with EAGAIN. memcached's workers are the app threads (the
 *     patches hand them to mc_main.c), and its background threads (LRU maintainer and
 *     crawler, slab rebalancer, hash expansion, idle-connection reaper, logger) are off; one
 *     turned back on by an option fails at start with memcached's own message.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include "user/apps/memcached/port.h"
#include "user/apps/sys.h"

static const void *pth_specific[PORT_THREADS_MAX][PTHREAD_KEYS_MAX];
static unsigned pth_keys;

void port_spin_lock(volatile int *lock)
{
	int free_ = 0;

	for (unsigned spins = 0; !__atomic_compare_exchange_n(lock, &free_, 1, false,
							      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
	     spins++) {
		free_ = 0;
		__asm__ volatile("pause");
		if ((spins & 1023) == 1023)
			sys3(SYS_CLOCK, 0, 0, 0); /* a kernel entry keeps us within the budget */
	}
}

void port_spin_unlock(volatile int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	(void)attr;
	*m = 0;
	return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	(void)m;
	return 0;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	port_spin_lock((volatile int *)m);
	return 0;
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	int free_ = 0;

	return __atomic_compare_exchange_n((volatile int *)m, &free_, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED)
		   ? 0
		   : EBUSY;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	port_spin_unlock((volatile int *)m);
	return 0;
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	(void)attr;
	*c = 0;
	return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	(void)c;
	return 0;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	(void)c;
	pthread_mutex_unlock(m);
	sys3(SYS_CLOCK, 0, 0, 0);
	pthread_mutex_lock(m);
	return 0;
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
	(void)t;
	return pthread_cond_wait(c, m);
}

int pthread_cond_signal(pthread_cond_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELEASE);
	return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	return pthread_cond_signal(c);
}

int pthread_attr_init(pthread_attr_t *a)
{
	memset(a, 0, sizeof(*a));
	return 0;
}

int pthread_attr_destroy(pthread_attr_t *a)
{
	(void)a;
	return 0;
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	(void)t, (void)a, (void)fn, (void)arg;
	return EAGAIN;
}

int pthread_join(pthread_t t, void **ret)
{
	(void)t, (void)ret;
	return ESRCH;
}

int pthread_detach(pthread_t t)
{
	(void)t;
	return 0;
}

pthread_t pthread_self(void)
{
	return ix_thread_index() + 1;
}

int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

int pthread_setname_np(pthread_t t, const char *name)
{
	(void)t, (void)name;
	return 0;
}

int pthread_key_create(pthread_key_t *k, void (*destructor)(void *))
{
	(void)destructor;
	unsigned n = __atomic_fetch_add(&pth_keys, 1, __ATOMIC_RELAXED);
	if (n >= PTHREAD_KEYS_MAX)
		return EAGAIN;
	*k = n;
	return 0;
}

void *pthread_getspecific(pthread_key_t k)
{
	unsigned self = ix_thread_index();

	if (k >= PTHREAD_KEYS_MAX || self >= PORT_THREADS_MAX)
		return NULL;
	return (void *)pth_specific[self][k];
}

int pthread_setspecific(pthread_key_t k, const void *v)
{
	unsigned self = ix_thread_index();

	if (k >= PTHREAD_KEYS_MAX || self >= PORT_THREADS_MAX)
		return EINVAL;
	pth_specific[self][k] = v;
	return 0;
}
