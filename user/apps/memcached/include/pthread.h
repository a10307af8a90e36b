/*
 * POSIX threads as memcached on ixos needs them (pthread.c). There is one app thread per
 * dataplane core, each running to completion, so a mutex is a spinlock, a condition wait
 * returns at once (a spurious wakeup, which POSIX allows: callers re-check their predicate),
 * thread-specific data is per app thread, and pthread_create refuses (EAGAIN): memcached's
 * workers are the app threads themselves, and its background threads are turned off.
 */
#ifndef IXOS_MC_PTHREAD_H
#define IXOS_MC_PTHREAD_H

#include <stdint.h>
#include <time.h>

/* The types are newlib's (sys/types.h): a mutex is one 32-bit word, 0 when free. */
#include <sys/types.h>

#define PTHREAD_MUTEX_INITIALIZER 0
#define PTHREAD_COND_INITIALIZER  0
#undef PTHREAD_KEYS_MAX
#define PTHREAD_KEYS_MAX 16

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr);
int pthread_mutex_destroy(pthread_mutex_t *m);
int pthread_mutex_lock(pthread_mutex_t *m);
int pthread_mutex_trylock(pthread_mutex_t *m);
int pthread_mutex_unlock(pthread_mutex_t *m);

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr);
int pthread_cond_destroy(pthread_cond_t *c);
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
int pthread_cond_signal(pthread_cond_t *c);
int pthread_cond_broadcast(pthread_cond_t *c);

int pthread_attr_init(pthread_attr_t *a);
int pthread_attr_destroy(pthread_attr_t *a);
int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int pthread_join(pthread_t t, void **ret);
int pthread_detach(pthread_t t);
pthread_t pthread_self(void);
int pthread_equal(pthread_t a, pthread_t b);
int pthread_setname_np(pthread_t t, const char *name);

int pthread_key_create(pthread_key_t *k, void (*destructor)(void *));
void *pthread_getspecific(pthread_key_t k);
int pthread_setspecific(pthread_key_t k, const void *v);

#endif
