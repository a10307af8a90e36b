/*
 * The CMOS real-time clock (MC146818 registers, as every PC chipset has them) and machine
 * reset. The management protocol uses the wall time so that sequence numbers recorded before
 * a reboot are still old after it.
 */
#include <stdbool.h>
#include "kernel/rtc.h"
#include "kernel/x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_SEC 0x00
#define CMOS_MIN 0x02
#define CMOS_HOUR 0x04
#define CMOS_DAY 0x07
#define CMOS_MONTH 0x08
#define CMOS_YEAR 0x09
#define CMOS_STATUS_A 0x0a
#define CMOS_STATUS_A_UIP 0x80 /* an update is in progress: values may be torn */
#define CMOS_STATUS_B 0x0b
#define CMOS_STATUS_B_24H 0x02
#define CMOS_STATUS_B_BINARY 0x04
#define CMOS_NMI_OFF 0x80      /* bit 7 of the index port keeps NMI disabled while we read */

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

static unsigned bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 0xf);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; the civil-from-days algorithm). */
static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_unix_seconds(void)
{
	uint8_t r[6], again[6];
	static const uint8_t regs[6] = {CMOS_SEC, CMOS_MIN, CMOS_HOUR, CMOS_DAY, CMOS_MONTH,
					CMOS_YEAR};

	/* Read until two reads agree outside an update (bounded). */
	for (int tries = 0; tries < 100; tries++) {
		for (int i = 0; i < 100000 && (cmos_read(CMOS_STATUS_A) & CMOS_STATUS_A_UIP); i++)
			cpu_pause();
		for (int i = 0; i < 6; i++)
			r[i] = cmos_read(regs[i]);
		for (int i = 0; i < 6; i++)
			again[i] = cmos_read(regs[i]);
		bool same = true;
		for (int i = 0; i < 6; i++)
			same &= r[i] == again[i];
		if (same)
			break;
	}
	uint8_t b = cmos_read(CMOS_STATUS_B);
	bool bin = b & CMOS_STATUS_B_BINARY;
	unsigned hour = bcd(r[2] & 0x7f, bin);
	if (!(b & CMOS_STATUS_B_24H) && (r[2] & 0x80))
		hour = (hour % 12) + 12; /* 12-hour clock, PM */
	unsigned sec = bcd(r[0], bin), min = bcd(r[1], bin), day = bcd(r[3], bin);
	unsigned month = bcd(r[4], bin), year = 2000 + bcd(r[5], bin);
	if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12)
		return 0;
	return (uint64_t)days_from_civil((int)year, month, day) * 86400 + hour * 3600 + min * 60 +
	       sec;
}

void machine_reboot(void)
{
	irq_disable();
	/* PCI reset control (Intel chipsets, QEMU's q35 and i440fx): full reset. */
	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06);
	for (int i = 0; i < 1000000; i++)
		cpu_pause();
	/* The 8042 keyboard controller's reset line. */
	for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		cpu_pause();
	outb(0x64, 0xfe);
	for (int i = 0; i < 1000000; i++)
		cpu_pause();
	/* A triple fault: an empty IDT, then an interrupt. */
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) no_idt = {0, 0};
	__asm__ volatile("lidt %0; int3" : : "m"(no_idt));
	for (;;)
		__asm__ volatile("hlt");
}
