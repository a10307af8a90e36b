/* In-kernel checks run with the "selftest" command-line flag, and the fault test hook. */
#ifndef IXOS_SELFTEST_H
#define IXOS_SELFTEST_H

/*
 * Runs the allocator, heap, paging, timer, TSC-calibration and IPI checks on the live kernel,
 * printing "selftest: NAME ok", "selftest: NAME skipped: why" or "selftest: NAME FAILED: why"
 * per check and a closing "selftest: N passed, M failed[, K skipped]". The TSC is checked
 * against the ACPI PM timer, a clock it was not calibrated from. Boot CPU, after every CPU
 * is up.
 */
void selftest_run(void);

/*
 * Causes the fault named kind (pf, gp, ud, de, bp, nx, wp, stack, panic) on CPU cpu, to show
 * the fatal report. An unknown kind or CPU is reported and nothing happens.
 */
void testfault_trigger(const char *kind, int cpu);

#endif
