/* Time: the TSC, calibrated at boot against the PIT (or the ACPI PM timer), and delays. */
#ifndef IXOS_TIME_H
#define IXOS_TIME_H

#include <stdint.h>

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
/* Busy-waits at least us microseconds. Any CPU, after time_init. */
void time_delay_us(uint64_t us);
/* Converts TSC ticks to microseconds. */
uint64_t time_tsc_to_us(uint64_t ticks);

#endif
