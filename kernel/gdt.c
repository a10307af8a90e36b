/* Per-CPU GDT and TSS. Layout matches the selectors in kernel/layout.h. */
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"

struct percpu percpu[MAX_CPUS];
unsigned cpus_online;

#define SEG_KCODE 0x00af9a000000ffffULL /* 64-bit, DPL 0, execute/read */
#define SEG_KDATA 0x00cf92000000ffffULL /* DPL 0, read/write */
#define SEG_UDATA 0x00cff2000000ffffULL /* DPL 3, read/write */
#define SEG_UCODE 0x00affa000000ffffULL /* 64-bit, DPL 3, execute/read */
#define TSS_TYPE_AVAILABLE 0x89ULL	/* present, 64-bit TSS (available) */

const char *cpu_role_name(enum cpu_role r)
{
	switch (r) {
	case CPU_ROLE_MGMT:
		return "management";
	case CPU_ROLE_DATAPLANE:
		return "dataplane";
	case CPU_ROLE_SPARE:
		return "spare";
	}
	return "?";
}

static uint64_t ist_stack(unsigned cpu, const char *what)
{
	uint64_t top = kstack_alloc();

	if (!top)
		panic("cpu%u: no memory for the %s stack", cpu, what);
	return top;
}

void cpu_init_tables(struct percpu *c)
{
	uint64_t tss = (uint64_t)&c->tss;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = {sizeof(c->gdt) - 1, (uint64_t)c->gdt};

	c->self = c;
	c->gdt[0] = 0;
	c->gdt[GDT_KCODE / 8] = SEG_KCODE;
	c->gdt[GDT_KDATA / 8] = SEG_KDATA;
	c->gdt[GDT_UDATA / 8] = SEG_UDATA;
	c->gdt[GDT_UCODE / 8] = SEG_UCODE;
	/* A system descriptor takes two slots: base 0..31 and limit in the first, base 32..63 next. */
	c->gdt[GDT_TSS / 8] = (sizeof(c->tss) - 1) | (tss & 0xffffff) << 16 |
			      TSS_TYPE_AVAILABLE << 40 | ((tss >> 24) & 0xff) << 56;
	c->gdt[GDT_TSS / 8 + 1] = tss >> 32;

	c->tss.iomap_base = sizeof(c->tss); /* no I/O permission bitmap */
	/* Traps and system calls from ring 3 land on their own stack, never on the kernel
	 * stack that entered the app (its frames are still live). */
	c->syscall_rsp = ist_stack(c->id, "system-call");
	c->tss.rsp[0] = c->syscall_rsp;
	c->tss.ist[IST_DOUBLE_FAULT - 1] = ist_stack(c->id, "double-fault");
	c->tss.ist[IST_NMI - 1] = ist_stack(c->id, "NMI");
	c->tss.ist[IST_MACHINE_CHECK - 1] = ist_stack(c->id, "machine-check");

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	/* Reload CS with a far return, then the data segments, then the task register. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 :
			 : "i"((uint64_t)GDT_KCODE), "r"((uint64_t)GDT_KDATA)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}
