/* The LAPIC timer: a periodic tick on every CPU (the dataplane will use it to bound app time). */
#ifndef IXOS_TIMER_H
#define IXOS_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/* Boot CPU, after time_init and apic_enable_local: measures the LAPIC timer against the TSC. */
void timer_init(void);
/* Starts this CPU's periodic tick (TIMER_HZ). Every CPU, after timer_init. */
void timer_start_cpu(void);
/* LAPIC timer counts per second (divide-by-16). */
uint64_t timer_lapic_hz(void);

#endif
