/* The PC's CMOS real-time clock (wall time) and machine reset. */
#ifndef IXOS_KERNEL_RTC_H
#define IXOS_KERNEL_RTC_H

#include <stdint.h>

/* Seconds since 1970-01-01 UTC from the CMOS clock (assumed UTC), or 0 if it reads nonsense. */
uint64_t rtc_unix_seconds(void);

/* Resets the machine (PCI reset port 0xcf9, then the keyboard controller, then a triple
 * fault). Does not return. */
__attribute__((noreturn)) void machine_reboot(void);

#endif
