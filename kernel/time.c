/* TSC calibration. PIT: Intel 8254 data sheet; PM timer: ACPI 6.x section 4.8.3.3. */
#include "kernel/time.h"
#include "kernel/acpi.h"
#include "kernel/log.h"
#include "kernel/x86.h"

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_MODE0 0xb0 /* channel 2, lobyte/hibyte, mode 0 (interrupt on count) */
#define PORT_B 0x61	       /* bit 0: gate 2; bit 1: speaker; bit 5: OUT2 */
#define PM_TIMER_HZ 3579545
#define CAL_MS 10

static uint64_t tsc_hz, tsc_start;
static uint64_t us_mult; /* microseconds per tick, 32.32 fixed point */

/* One PIT measurement: TSC ticks over CAL_MS, or 0 if OUT2 never rose (no PIT). */
static uint64_t pit_measure(void)
{
	uint16_t count = PIT_HZ * CAL_MS / 1000;
	uint8_t b = inb(PORT_B);

	outb(PORT_B, (b & ~0x03) | 0x00); /* gate low: hold the counter */
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	uint64_t t0 = rdtsc();
	outb(PORT_B, (b & ~0x02) | 0x01); /* gate high: count down */
	for (uint64_t i = 0; !(inb(PORT_B) & 0x20); i++)
		if (i > 100000000)
			return 0;
	uint64_t t1 = rdtsc();
	outb(PORT_B, b);
	return (t1 - t0) * (1000 / CAL_MS);
}

static uint64_t pm_measure(const struct acpi_info *ai)
{
	uint32_t mask = ai->pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	uint32_t want = PM_TIMER_HZ / 1000 * CAL_MS;
	uint32_t p0 = inl(ai->pm_timer_port) & mask;
	uint64_t t0 = rdtsc();

	for (uint64_t i = 0; ((inl(ai->pm_timer_port) - p0) & mask) < want; i++)
		if (i > 100000000)
			return 0;
	return (rdtsc() - t0) * (1000 / CAL_MS);
}

static uint64_t median3(uint64_t a, uint64_t b, uint64_t c)
{
	if (a > b) {
		uint64_t t = a;
		a = b, b = t;
	}
	return c < a ? a : c > b ? b : c;
}

void time_init(const struct acpi_info *ai)
{
	const char *ref = "PIT";
	uint64_t m[3];

	/* Three runs, median: a host hiccup under emulation spoils one run, not the result. */
	for (int i = 0; i < 3; i++)
		m[i] = pit_measure();
	if (!m[0] || !m[1] || !m[2]) {
		if (!ai || !ai->pm_timer_port)
			panic("time: no PIT and no ACPI PM timer to calibrate the TSC against");
		ref = "ACPI PM timer";
		for (int i = 0; i < 3; i++)
			m[i] = pm_measure(ai);
	}
	tsc_hz = median3(m[0], m[1], m[2]);
	if (tsc_hz < 1000000)
		panic("time: TSC calibration failed (%lu Hz against the %s)",
		      (unsigned long)tsc_hz, ref);
	us_mult = (1000000ULL << 32) / tsc_hz;
	tsc_start = rdtsc();
	log_info("time: TSC %lu.%03lu MHz (calibrated against the %s)",
		 (unsigned long)(tsc_hz / 1000000), (unsigned long)(tsc_hz / 1000 % 1000), ref);
}

uint64_t time_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t time_tsc_to_us(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * us_mult) >> 32);
}

uint64_t time_uptime_us(void)
{
	return tsc_hz ? time_tsc_to_us(rdtsc() - tsc_start) : 0;
}

void time_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * (tsc_hz / 1000000);

	while (rdtsc() < end)
		cpu_pause();
}
