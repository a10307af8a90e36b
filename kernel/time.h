/* Time: the TSC, calibrated at boot against the PIT (or the ACPI PM timer), and delays. */
#ifndef IXOS_TIME_H
#define IXOS_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define TIME_PM_TIMER_HZ 3579545 /* the ACPI PM timer's fixed rate */

struct acpi_info;

/*
 * Measures the TSC frequency against a reference timer: the PIT (channel 2 gate) when it
 * ticks, else the ACPI PM timer described by ai (may be NULL). Boot CPU, once; panics if
 * neither works. Until it has run, time_uptime_us() returns 0.
 */
void time_init(const struct acpi_info *ai);

/* TSC ticks per second (0 before time_init). */
uint64_t time_tsc_hz(void);
/* Microseconds since time_init, from the TSC. Any CPU (the TSC is invariant on servers). */
uint64_t time_uptime_us(void);
/*
 * Wall-clock time: nanoseconds since 1970 (UTC), the RTC's reading at time_init carried on by
 * the TSC (whole seconds at boot, then as precise as the TSC). Any CPU, after time_init.
 */
uint64_t time_wall_ns(void);
/* Busy-waits at least us microseconds. Any CPU, after time_init. */
void time_delay_us(uint64_t us);
/*
 * The ACPI PM timer time_init was given (FADT PM_TMR_BLK), an independent clock to check the
 * calibration against: the width of its counter (24 or 32 bits), or 0 if there is none.
 */
unsigned time_pm_timer_bits(void);
/* The PM timer's count (wraps at 2^time_pm_timer_bits()); only when that is not 0. */
uint32_t time_pm_timer_read(void);
/* True if the TSC was calibrated against the PM timer (no PIT), so it is no check of it. */
bool time_calibrated_on_pm_timer(void);
/* Converts TSC ticks to microseconds. */
uint64_t time_tsc_to_us(uint64_t ticks);

#endif
