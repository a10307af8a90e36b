/* Bringing up the other CPUs and giving every CPU its role. */
#ifndef IXOS_SMP_H
#define IXOS_SMP_H

struct acpi_info;
struct kconfig;

/*
 * Starts every enabled CPU the MADT lists (INIT-SIPI-SIPI, one at a time), each on its own
 * guarded stack with its GDT, TSS, IDT, LAPIC and tick, then assigns roles: CPU 0 management,
 * the next dp_cores dataplane, the rest spare. A CPU that does not answer within 1 s is
 * reported and left out. Boot CPU, once.
 */
void smp_boot(const struct acpi_info *ai, const struct kconfig *cfg);

/*
 * Posts fn(arg) to an idle CPU and wakes it with an IPI; it runs from that CPU's idle loop.
 * Returns 0, or -1 if the CPU is offline or still has earlier work pending.
 */
int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg);

/* The idle loop of a CPU with nothing to do (yet): halts until the next interrupt. */
__attribute__((noreturn)) void smp_idle(void);

#endif
