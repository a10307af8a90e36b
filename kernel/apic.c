/* Local APIC, I/O APIC and the legacy 8259s. Intel SDM vol. 3A chapter 11; 82093AA data sheet. */
#include "kernel/apic.h"
#include "kernel/acpi.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

/* LAPIC register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16). */
#define LAPIC_ID 0x020
#define LAPIC_VER 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310 /* xAPIC only: destination in bits 24..31 */
#define ICR_FIXED (0u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_PENDING (1u << 12) /* xAPIC delivery status */
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_ALL_BUT_SELF (3u << 18)
#define LAPIC_LVT_TIMER 0x320
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define TIMER_DIV_16 0x3

#define MSR_X2APIC_BASE 0x800

/* I/O APIC: an index register and a data window. */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))
#define IOAPIC_MASKED (1u << 16)

/* 8259A PICs. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

static volatile uint32_t *xapic;
static bool x2;
static bool apic_ready;

static uint32_t lapic_read(uint32_t reg)
{
	if (x2)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + reg / 16);
	return xapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2)
		wrmsr(MSR_X2APIC_BASE + reg / 16, v);
	else
		xapic[reg / 4] = v;
}

static void lapic_icr(uint32_t dest, uint32_t lo)
{
	if (x2) {
		/* x2APIC ICR is one 64-bit MSR; the write is the send (no pending bit to poll). */
		wrmsr(MSR_X2APIC_BASE + LAPIC_ICR_LO / 16, (uint64_t)dest << 32 | lo);
		return;
	}
	for (int i = 0; i < 1000000 && (xapic[LAPIC_ICR_LO / 4] & ICR_PENDING); i++)
		cpu_pause();
	xapic[LAPIC_ICR_HI / 4] = dest << 24;
	xapic[LAPIC_ICR_LO / 4] = lo; /* writing the low half sends */
}

static void pic_disable(void)
{
	/* Remap first so a stray edge cannot land on an exception vector, then mask all. */
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_IRQ_BASE);
	outb(PIC2_DATA, VEC_IRQ_BASE + 8);
	outb(PIC1_DATA, 4);
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 1);
	outb(PIC2_DATA, 1);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

/* The IOAPICs and interrupt source overrides, kept for apic_route_isa_irq. */
static struct {
	volatile uint32_t *regs;
	uint32_t gsi_base, count;
} ioapics[ACPI_MAX_IOAPICS];
static unsigned nioapics;
static struct acpi_iso isos[ACPI_MAX_ISO];
static unsigned nisos;

static void ioapic_mask_all(const struct acpi_ioapic *io)
{
	volatile uint32_t *r = mmio_map(io->addr, 0x20);

	if (!r) {
		log_warn("apic: cannot map IOAPIC %u at %#x", io->id, io->addr);
		return;
	}
	r[IOAPIC_REGSEL / 4] = IOAPIC_REG_VER;
	unsigned n = ((r[IOAPIC_WIN / 4] >> 16) & 0xff) + 1;
	ioapics[nioapics].regs = r;
	ioapics[nioapics].gsi_base = io->gsi_base;
	ioapics[nioapics++].count = n;
	for (unsigned i = 0; i < n; i++) {
		r[IOAPIC_REGSEL / 4] = IOAPIC_REDTBL(i);
		r[IOAPIC_WIN / 4] = IOAPIC_MASKED;
	}
	log_info("apic: IOAPIC %u at %#x, GSI %u-%u, all masked", io->id, io->addr, io->gsi_base,
		 io->gsi_base + n - 1);
}

void apic_init(const struct acpi_info *ai)
{
	uint32_t a, b, c, d;
	uint64_t base = ai->lapic_addr ? ai->lapic_addr : 0xfee00000;

	pic_disable();
	for (unsigned i = 0; i < ai->nioapics; i++)
		ioapic_mask_all(&ai->ioapics[i]);
	for (unsigned i = 0; i < ai->niso && i < ACPI_MAX_ISO; i++)
		isos[nisos++] = ai->isos[i];

	cpuid(1, 0, &a, &b, &c, &d);
	x2 = c & (1u << 21);
	if (!x2) {
		xapic = mmio_map(base, PAGE_SIZE);
		if (!xapic)
			panic("apic: cannot map the local APIC at %#lx", (unsigned long)base);
	}
	apic_ready = true;
	log_info("apic: %s, local APIC at %#lx", x2 ? "x2APIC" : "xAPIC", (unsigned long)base);
}

void apic_enable_local(void)
{
	uint64_t b = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

	if (x2)
		b |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, b);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_EOI, 0);
}

uint32_t apic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return x2 ? id : id >> 24;
}

bool apic_is_x2(void)
{
	return x2;
}

void apic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void apic_start_ap(uint32_t id, uint8_t page)
{
	lapic_write(LAPIC_ESR, 0);
	lapic_icr(id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	time_delay_us(10000);
	/* Two STARTUPs, as the MP specification recommends; a CPU ignores the second. */
	for (int i = 0; i < 2; i++) {
		lapic_icr(id, ICR_STARTUP | page);
		time_delay_us(200);
	}
}

void apic_nmi_others(void)
{
	if (apic_ready)
		lapic_icr(0, ICR_NMI | ICR_ASSERT | ICR_ALL_BUT_SELF);
}

void apic_send_ipi(uint32_t id, uint8_t vector)
{
	lapic_icr(id, ICR_FIXED | ICR_ASSERT | vector);
}

void apic_timer_periodic(uint8_t vector, uint32_t initial_count)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, vector | LVT_TIMER_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT, initial_count);
}

void apic_timer_oneshot_max(void)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
}

void apic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

uint32_t apic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}

/* MPS INTI flags of an override (ACPI MADT): polarity in bits 0-1, trigger mode in bits 2-3. */
#define ISO_POLARITY_LOW 3
#define ISO_TRIGGER_LEVEL 3
#define IOAPIC_ACTIVE_LOW (1u << 13)
#define IOAPIC_LEVEL (1u << 15)

int apic_route_isa_irq(unsigned irq, uint8_t vector, uint32_t dest_apic_id)
{
	uint32_t gsi = irq, lo = vector;

	/* ISA interrupts are edge-triggered, active high, unless the MADT says otherwise. */
	for (unsigned i = 0; i < nisos; i++) {
		if (isos[i].bus != 0 || isos[i].source != irq)
			continue;
		gsi = isos[i].gsi;
		if ((isos[i].flags & 3) == ISO_POLARITY_LOW)
			lo |= IOAPIC_ACTIVE_LOW;
		if (((isos[i].flags >> 2) & 3) == ISO_TRIGGER_LEVEL)
			lo |= IOAPIC_LEVEL;
	}
	for (unsigned i = 0; i < nioapics; i++) {
		volatile uint32_t *r = ioapics[i].regs;
		if (gsi < ioapics[i].gsi_base || gsi >= ioapics[i].gsi_base + ioapics[i].count)
			continue;
		unsigned pin = gsi - ioapics[i].gsi_base;
		/* High half first: the entry is unmasked only when the low half is written. */
		r[IOAPIC_REGSEL / 4] = IOAPIC_REDTBL(pin) + 1;
		r[IOAPIC_WIN / 4] = dest_apic_id << 24;
		r[IOAPIC_REGSEL / 4] = IOAPIC_REDTBL(pin);
		r[IOAPIC_WIN / 4] = lo;
		return 0;
	}
	return -1;
}
