/* TSC calibration. PIT: Intel 8254 data sheet; PM timer: ACPI 6.x section 4.8.3.3. */
#include "kernel/time.h"
#include "kernel/acpi.h"
#include "kernel/log.h"
#include "kernel/rtc.h"
#include "kernel/x86.h"

/* The wall time at time_init, in ns; written once there, before any other CPU starts. */
static uint64_t wall_at_boot_ns;

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_MODE0 0xb0 /* channel 2, lobyte/hibyte, mode 0 (interrupt on count) */
#define PIT_CMD_CH2_LATCH 0x80 /* channel 2, latch the count */
#define PORT_B 0x61	       /* bit 0: gate 2; bit 1: speaker; bit 5: OUT2 */
#define CAL_MS 25	       /* a run; the PIT's 16-bit count lasts 54.9 ms */

static uint64_t tsc_hz, tsc_start;
static uint64_t us_mult; /* microseconds per tick, 32.32 fixed point */
static uint16_t pm_port; /* the ACPI PM timer's I/O port, 0 if none */
static unsigned pm_bits; /* its counter width: 24 or 32 */
static bool cal_on_pm;	 /* the TSC was calibrated against the PM timer (no PIT) */

/*
 * A run reads the reference timer's count at its start and at its end, each time between
 * two TSC reads, and takes the TSC at the middle. Under emulation the host may take the
 * vCPU away for milliseconds at any moment (for most of the time when it is overcommitted):
 * between the two samples that does no harm, since both clocks go on; inside a sample it
 * widens that sample's TSC span, so each sample is the narrowest of CAL_SAMPLES tries, and a
 * run whose start or end is still wider than 1/CAL_SLACK of the run is spoilt and done
 * again. (Polling for the moment a timer expires would not do: when the vCPU is away at
 * that moment, the poll sees it only when the vCPU is back.)
 */
#define CAL_RUNS 3	/* good runs wanted; the median is taken */
#define CAL_TRIES 15	/* at most this many runs in all */
#define CAL_SAMPLES 8	/* tries per sample */
#define CAL_SLACK 2000	/* 0.05% of the run: the widest sample kept */

enum cal { CAL_OK, CAL_SPOILT, CAL_NONE /* no such timer */ };

struct cal_sample {
	uint64_t tsc;	/* at the middle of the sample */
	uint64_t span;	/* TSC ticks between the reads around it */
	uint32_t count; /* the reference timer's count */
	bool wrapped;	/* the PIT had passed its terminal count (OUT2 high) */
};

/* The PIT channel 2 count, and whether OUT2 was high after it was latched. */
static uint32_t pit_read(const struct acpi_info *ai, bool *wrapped)
{
	(void)ai;
	outb(PIT_CMD, PIT_CMD_CH2_LATCH);
	uint32_t lo = inb(PIT_CH2);
	uint32_t hi = inb(PIT_CH2);
	*wrapped = inb(PORT_B) & 0x20;
	return hi << 8 | lo;
}

static uint32_t pm_read(const struct acpi_info *ai, bool *wrapped)
{
	*wrapped = false;
	return inl(ai->pm_timer_port) & (ai->pm_timer_32bit ? 0xffffffffu : 0xffffffu);
}

/* The narrowest of CAL_SAMPLES readings of the timer. */
static struct cal_sample cal_sample(uint32_t (*read)(const struct acpi_info *, bool *),
				    const struct acpi_info *ai)
{
	struct cal_sample best = {.span = ~0ULL};

	for (int i = 0; i < CAL_SAMPLES; i++) {
		bool wrapped;
		uint64_t a = rdtsc();
		uint32_t c = read(ai, &wrapped);
		uint64_t b = rdtsc();
		if (b - a < best.span)
			best = (struct cal_sample){a + (b - a) / 2, b - a, c, wrapped};
	}
	return best;
}

static enum cal cal_result(const struct cal_sample *s0, const struct cal_sample *s1)
{
	uint64_t run = s1->tsc - s0->tsc;

	return s0->span > run / CAL_SLACK || s1->span > run / CAL_SLACK ? CAL_SPOILT : CAL_OK;
}

/* One PIT run: *hz gets TSC ticks per second over CAL_MS. */
static enum cal pit_measure(const struct acpi_info *ai, uint64_t *hz)
{
	const uint32_t want = PIT_HZ * CAL_MS / 1000;
	uint8_t b = inb(PORT_B);
	bool wrapped;

	outb(PORT_B, (b & ~0x03) | 0x00); /* gate low: hold the counter */
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff); /* from 65535 down; OUT2 rises at 0 */
	if (inb(PORT_B) & 0x20)
		return CAL_NONE; /* mode 0 starts with OUT2 low: high means no PIT at port 0x61 */
	outb(PORT_B, (b & ~0x02) | 0x01); /* gate high: count down */
	struct cal_sample s0 = cal_sample(pit_read, ai), s1;
	for (uint64_t i = 0; s0.count - pit_read(ai, &wrapped) < want && !wrapped; i++)
		if (i > 10000000) {
			outb(PORT_B, b);
			return CAL_NONE; /* the count does not go down */
		}
	s1 = cal_sample(pit_read, ai);
	outb(PORT_B, b);
	if (s0.wrapped || s1.wrapped || s1.count > s0.count)
		return CAL_SPOILT; /* away for so long that the count went past 0 */
	*hz = (s1.tsc - s0.tsc) * PIT_HZ / (s0.count - s1.count);
	return cal_result(&s0, &s1);
}

/* One PM timer run: *hz gets TSC ticks per second over at least CAL_MS. */
static enum cal pm_measure(const struct acpi_info *ai, uint64_t *hz)
{
	const uint32_t mask = ai->pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	const uint32_t want = TIME_PM_TIMER_HZ * CAL_MS / 1000;
	struct cal_sample s0 = cal_sample(pm_read, ai), s1;
	bool wrapped;

	for (uint64_t i = 0; ((pm_read(ai, &wrapped) - s0.count) & mask) < want; i++)
		if (i > 100000000)
			return CAL_NONE;
	s1 = cal_sample(pm_read, ai);
	/* The 24-bit count wraps every 4.7 s: a run away for that long comes out short. */
	*hz = (s1.tsc - s0.tsc) * TIME_PM_TIMER_HZ / ((s1.count - s0.count) & mask);
	return cal_result(&s0, &s1);
}

static uint64_t median3(uint64_t a, uint64_t b, uint64_t c)
{
	if (a > b) {
		uint64_t t = a;
		a = b, b = t;
	}
	return c < a ? a : c > b ? b : c;
}

/*
 * The median of CAL_RUNS good runs of measure, in at most CAL_TRIES; if the host spoilt
 * too many, a good one or else the median of the last three, with a warning. 0 if there is
 * no such timer.
 */
static uint64_t calibrate(enum cal (*measure)(const struct acpi_info *, uint64_t *),
			  const struct acpi_info *ai, const char *ref)
{
	uint64_t good[CAL_RUNS], last[3] = {0, 0, 0};
	unsigned ngood = 0, n = 0;

	while (ngood < CAL_RUNS && n < CAL_TRIES) {
		uint64_t hz = 0;
		enum cal r = measure(ai, &hz);
		if (r == CAL_NONE)
			return 0;
		last[n++ % 3] = hz;
		if (r == CAL_OK)
			good[ngood++] = hz;
	}
	if (ngood == CAL_RUNS)
		return median3(good[0], good[1], good[2]);
	if (ngood)
		last[0] = last[1] = last[2] = good[0];
	log_warn("time: the host took the CPU away during %u of %u calibration runs against the "
		 "%s; the TSC rate may be off",
		 n - ngood, n, ref);
	return median3(last[0], last[1], last[2]);
}

void time_init(const struct acpi_info *ai)
{
	const char *ref = "PIT";

	if (ai && ai->pm_timer_port && ai->pm_timer_port <= 0xffff) {
		pm_port = (uint16_t)ai->pm_timer_port;
		pm_bits = ai->pm_timer_32bit ? 32 : 24;
	}
	tsc_hz = calibrate(pit_measure, ai, ref);
	if (!tsc_hz) {
		if (!ai || !ai->pm_timer_port)
			panic("time: no PIT and no ACPI PM timer to calibrate the TSC against");
		ref = "ACPI PM timer";
		cal_on_pm = true;
		tsc_hz = calibrate(pm_measure, ai, ref);
	}
	if (tsc_hz < 1000000)
		panic("time: TSC calibration failed (%lu Hz against the %s)",
		      (unsigned long)tsc_hz, ref);
	us_mult = (1000000ULL << 32) / tsc_hz;
	tsc_start = rdtsc();
	wall_at_boot_ns = rtc_unix_seconds() * 1000000000ULL;
	log_info("time: TSC %lu.%03lu MHz (calibrated against the %s)",
		 (unsigned long)(tsc_hz / 1000000), (unsigned long)(tsc_hz / 1000 % 1000), ref);
}

uint64_t time_tsc_hz(void)
{
	return tsc_hz;
}

unsigned time_pm_timer_bits(void)
{
	return pm_port ? pm_bits : 0;
}

uint32_t time_pm_timer_read(void)
{
	uint32_t v = inl(pm_port);
	return pm_bits == 32 ? v : v & 0xffffffu;
}

bool time_calibrated_on_pm_timer(void)
{
	return cal_on_pm;
}

uint64_t time_tsc_to_us(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * us_mult) >> 32);
}

uint64_t time_wall_ns(void)
{
	return wall_at_boot_ns + time_uptime_us() * 1000;
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
