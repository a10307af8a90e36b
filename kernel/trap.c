/* Exception reporting and interrupt dispatch. */
#include "kernel/trap.h"
#include "kernel/apic.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/user.h"
#include "kernel/x86.h"

static irq_handler_fn handlers[256];
static volatile int trap_stopping; /* set once: the machine is going down */

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

void trap_set_handler(unsigned vector, irq_handler_fn fn)
{
	if (vector >= 32 && vector < 256)
		handlers[vector] = fn;
}

static bool kernel_addr_readable(uint64_t va, uint64_t len)
{
	uint64_t pa, fl;

	return va >= PHYSMAP_BASE && paging_translate(va, &pa, &fl) &&
	       paging_translate(va + len - 1, &pa, &fl);
}

static void print_sym(uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		kprintf(" <%s+%#lx>", name, (unsigned long)off);
}

void trap_backtrace(uint64_t rip, uint64_t rbp)
{
	kprintf("backtrace:\n  #0  %016lx", (unsigned long)rip);
	print_sym(rip);
	kprintf("\n");
	for (int i = 1; i < 32 && rbp; i++) {
		/* A frame is (saved rbp, return address); stop at anything implausible. */
		if ((rbp & 7) || !kernel_addr_readable(rbp, 16))
			break;
		uint64_t *frame = (uint64_t *)rbp;
		uint64_t ret = frame[1];
		if (ret < KERNEL_VMA)
			break;
		kprintf("  #%-2d %016lx", i, (unsigned long)ret);
		print_sym(ret - 1); /* the call, not the instruction after it */
		kprintf("\n");
		if (frame[0] <= rbp)
			break; /* frames go up the stack; anything else is a loop */
		rbp = frame[0];
	}
}

/* Stops every other CPU (NMI) and enters panic mode for the log; returns on the first caller. */
static void trap_stop_others(void)
{
	if (__atomic_exchange_n(&trap_stopping, 1, __ATOMIC_SEQ_CST))
		cpu_halt_forever(); /* another CPU is already reporting */
	log_panic_mode();
	apic_nmi_others();
}

static void print_pf_error(uint64_t err)
{
	kprintf("  page fault: %s, %s, %s%s%s, cr2 %016lx\n",
		err & 1 ? "protection violation" : "page not present",
		err & 2 ? "write" : "read", err & 4 ? "user" : "kernel",
		err & 16 ? ", instruction fetch" : "", err & 8 ? ", reserved bit set" : "",
		(unsigned long)read_cr2());
}

void trap_fatal(const char *msg, struct trapframe *tf)
{
	trap_stop_others();
	irq_disable();
	kprintf("\nixos: FATAL on cpu %u: %s\n", this_cpu()->id, msg);
	if (tf) {
		kprintf("  vector %lu error %#lx\n", (unsigned long)tf->vector,
			(unsigned long)tf->error);
		if (tf->vector == 14)
			print_pf_error(tf->error);
		kprintf("  rip %016lx cs %04lx rflags %08lx", (unsigned long)tf->rip,
			(unsigned long)tf->cs, (unsigned long)tf->rflags);
		print_sym(tf->rip);
		kprintf("\n  rsp %016lx ss %04lx\n", (unsigned long)tf->rsp, (unsigned long)tf->ss);
		kprintf("  rax %016lx rbx %016lx rcx %016lx\n", tf->rax, tf->rbx, tf->rcx);
		kprintf("  rdx %016lx rsi %016lx rdi %016lx\n", tf->rdx, tf->rsi, tf->rdi);
		kprintf("  rbp %016lx r8  %016lx r9  %016lx\n", tf->rbp, tf->r8, tf->r9);
		kprintf("  r10 %016lx r11 %016lx r12 %016lx\n", tf->r10, tf->r11, tf->r12);
		kprintf("  r13 %016lx r14 %016lx r15 %016lx\n", tf->r13, tf->r14, tf->r15);
		kprintf("  cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx\n", read_cr0(), read_cr2(),
			read_cr3(), read_cr4());
		trap_backtrace(tf->rip, tf->rbp);
	} else {
		trap_backtrace((uint64_t)__builtin_return_address(0),
			       (uint64_t)__builtin_frame_address(0));
	}
	kprintf("ixos: halted: all CPUs stopped\n");
	cpu_halt_forever();
}

void trap_panic_stop(const char *msg)
{
	char buf[300];
	int i = 0;

	for (const char *p = "panic: "; *p; p++)
		buf[i++] = *p;
	for (; *msg && i < (int)sizeof(buf) - 1; msg++)
		buf[i++] = *msg;
	buf[i] = 0;
	trap_fatal(buf, NULL);
}

void trap_dispatch(struct trapframe *tf)
{
	uint64_t v = tf->vector;

	if (v == 2) {
		/* An NMI while the machine goes down is the request to stop. */
		if (trap_stopping)
			cpu_halt_forever();
		log_warn("trap: unexpected NMI on cpu %u (ignored)", this_cpu()->id);
		return;
	}
	if (v < 32 && (tf->cs & 3))
		app_fault(tf); /* the app stops; the kernel goes on */
	if (v < 32)
		trap_fatal(exc_names[v], tf);
	if (handlers[v]) {
		handlers[v](tf);
		return;
	}
	if (v == VEC_SPURIOUS)
		return; /* spurious LAPIC interrupts need no EOI */
	log_warn("trap: unhandled interrupt vector %lu on cpu %u", (unsigned long)v,
		 this_cpu()->id);
	apic_eoi();
}
