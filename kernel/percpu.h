/* Per-CPU state, reached through GS: this_cpu() costs one load. */
#ifndef IXOS_PERCPU_H
#define IXOS_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_CPUS 64


struct app;

enum cpu_role {
	CPU_ROLE_MGMT,	    /* CPU 0: management, console, provisioning */
	CPU_ROLE_DATAPLANE, /* owns a NIC queue pair and runs apps */
	CPU_ROLE_SPARE,	    /* online, idle; can be made a dataplane core at run time */
};

/* The Task State Segment (Intel SDM vol. 3A, 8.7): only stack pointers matter in long mode. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
	uint64_t kstack_top;
	uint64_t user_rsp;	 /* offset 16: the app's stack pointer across a system call */
	uint64_t syscall_rsp;	 /* offset 24: top of the stack for system calls and traps from ring 3 */
	struct app *app;	 /* the app this CPU runs now, or NULL */
	struct uthread *uthread; /* and its thread */
	unsigned id;	  /* logical index, 0 = boot CPU */
	uint32_t apic_id;
	enum cpu_role role;
	volatile int online;
	volatile uint64_t ticks; /* LAPIC timer interrupts taken */
	volatile uint64_t ipis;	 /* wake-up IPIs taken */
	void (*volatile call_fn)(void *); /* work posted by smp_call_on, run from the idle loop */
	void *call_arg;
	uint64_t gdt[7];
	struct tss tss;
} __attribute__((aligned(64)));

extern struct percpu percpu[MAX_CPUS];
extern unsigned cpus_online;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* Loads this CPU's GDT, TSS (with IST stacks) and GS base. Called once per CPU. */
void cpu_init_tables(struct percpu *c);
/* Loads the shared IDT on this CPU. */
void idt_load(void);
/*
 * Fills the IDT. Boot CPU: once without IST stacks before anything may fault (no TSS yet),
 * again with them once its TSS is loaded.
 */
void idt_init(bool use_ist);

const char *cpu_role_name(enum cpu_role r);

#endif
