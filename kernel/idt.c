/* The interrupt descriptor table, shared by all CPUs (Intel SDM vol. 3A, 6.14.1). */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/layout.h"
#include "kernel/percpu.h"
#include "kernel/trap.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; /* P, DPL, type 0xe = 64-bit interrupt gate (IF cleared on entry) */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8e
#define TRAP_STUB_SIZE 16

extern char trap_stubs[];
static struct idt_gate idt[256] __attribute__((aligned(16)));

static void idt_set(unsigned v, unsigned ist)
{
	uint64_t off = (uint64_t)trap_stubs + (uint64_t)v * TRAP_STUB_SIZE;

	idt[v] = (struct idt_gate){
		.off_lo = off & 0xffff,
		.sel = GDT_KCODE,
		.ist = ist,
		.type = GATE_INTERRUPT,
		.off_mid = (off >> 16) & 0xffff,
		.off_hi = off >> 32,
	};
}

void idt_init(bool use_ist)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, 0);
	if (!use_ist)
		return;
	/* These may arrive on a broken stack (overflow into a guard page) or at any moment. */
	idt_set(2, IST_NMI);
	idt_set(8, IST_DOUBLE_FAULT);
	idt_set(18, IST_MACHINE_CHECK);
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)idt};

	__asm__ volatile("lidt %0" : : "m"(idtr));
}
