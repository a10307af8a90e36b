/* LAPIC timer set-up and the tick handler. */
#include "kernel/timer.h"
#include "kernel/apic.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/user.h"
#include "kernel/x86.h"

static uint64_t lapic_hz;

static void timer_tick(struct trapframe *tf)
{
	this_cpu()->ticks++;
	apic_eoi();
	if (tf->cs & 3)
		app_check_budget(tf); /* bounds how long an app may keep the CPU */
}

void timer_init(void)
{
	const uint64_t cal_us = 10000;

	apic_timer_oneshot_max();
	uint32_t c0 = apic_timer_current();
	time_delay_us(cal_us);
	uint32_t c1 = apic_timer_current();
	apic_timer_stop();
	lapic_hz = (uint64_t)(c0 - c1) * (1000000 / cal_us);
	if (lapic_hz < TIMER_HZ)
		panic("timer: the LAPIC timer does not count (%u -> %u in 10 ms)", c0, c1);
	trap_set_handler(VEC_LAPIC_TIMER, timer_tick);
	log_info("timer: LAPIC timer %lu kHz (bus/16), tick %u Hz",
		 (unsigned long)(lapic_hz / 1000), TIMER_HZ);
}

void timer_start_cpu(void)
{
	apic_timer_periodic(VEC_LAPIC_TIMER, (uint32_t)(lapic_hz / TIMER_HZ));
}

uint64_t timer_lapic_hz(void)
{
	return lapic_hz;
}
