/* SMP start-up (Intel SDM vol. 3A, 9.4: INIT-SIPI-SIPI) and the idle loop. */
#include "kernel/smp.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/cmdline.h"
#include "kernel/layout.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/trap.h"
#include "kernel/user.h"
#include "kernel/x86.h"

/* Mirrors the parameter block at the end of boot/trampoline.S. */
struct trampoline_params {
	uint64_t cr3;
	uint64_t kernel_cr3;
	uint64_t stack;
	uint64_t entry;
	uint64_t arg;
};

extern char trampoline_start[], trampoline_end[], trampoline_params[];
extern char ap_start64[];

void ap_main(struct percpu *c);

static void smp_ipi(struct trapframe *tf)
{
	(void)tf;
	this_cpu()->ipis++;
	apic_eoi();
}

void smp_idle(void)
{
	struct percpu *c = this_cpu();

	for (;;) {
		irq_disable();
		void (*fn)(void *) = c->call_fn;
		if (fn) {
			void *arg = c->call_arg;
			__atomic_store_n(&c->call_fn, NULL, __ATOMIC_RELEASE);
			irq_enable();
			fn(arg);
			continue;
		}
		/* sti takes effect after hlt starts, so a wake-up between the check and hlt is not lost. */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct percpu *c = &percpu[cpu];

	if (cpu >= MAX_CPUS || !c->online || c->call_fn)
		return -1;
	c->call_arg = arg;
	__atomic_store_n(&c->call_fn, fn, __ATOMIC_RELEASE);
	apic_send_ipi(c->apic_id, VEC_IPI_TEST);
	return 0;
}

void ap_main(struct percpu *c)
{
	cpu_init_tables(c);
	idt_load();
	user_cpu_init();
	apic_enable_local();
	timer_start_cpu();
	c->apic_id = apic_id();
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	smp_idle();
}

static bool smp_start_one(unsigned n, uint32_t apic, volatile struct trampoline_params *tp)
{
	struct percpu *c = &percpu[n];

	c->id = n;
	c->self = c;
	c->kstack_top = kstack_alloc();
	if (!c->kstack_top) {
		log_err("smp: no memory for cpu%u's stack", n);
		return false;
	}
	tp->stack = c->kstack_top;
	tp->arg = (uint64_t)c;
	apic_start_ap(apic, TRAMPOLINE_PHYS >> 12);
	uint64_t deadline = time_uptime_us() + 1000000;
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		if (time_uptime_us() > deadline) {
			log_err("smp: CPU with APIC id %u did not start; continuing without it", apic);
			return false;
		}
	return true;
}

static void smp_assign_roles(const struct kconfig *cfg)
{
	unsigned others = cpus_online - 1, dp = others;

	if (cfg->dp_cores >= 0 && (unsigned)cfg->dp_cores < others)
		dp = cfg->dp_cores;
	else if (cfg->dp_cores > (int)others)
		log_warn("smp: dp_cores=%d but only %u CPUs besides the management core; using %u",
			 cfg->dp_cores, others, others);
	percpu[0].role = CPU_ROLE_MGMT;
	for (unsigned i = 1; i < cpus_online; i++)
		percpu[i].role = i <= dp ? CPU_ROLE_DATAPLANE : CPU_ROLE_SPARE;
	for (unsigned i = 0; i < cpus_online; i++)
		log_info("smp: cpu%u apic %u: %s", i, percpu[i].apic_id,
			 cpu_role_name(percpu[i].role));
}

void smp_boot(const struct acpi_info *ai, const struct kconfig *cfg)
{
	uint32_t bsp = percpu[0].apic_id;
	volatile struct trampoline_params *tp =
		phys_to_virt(TRAMPOLINE_PHYS + (trampoline_params - trampoline_start));

	trap_set_handler(VEC_IPI_TEST, smp_ipi);
	cpus_online = 1;
	percpu[0].online = 1;
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start, trampoline_end - trampoline_start);
	tp->cr3 = paging_trampoline_cr3();
	tp->kernel_cr3 = paging_kernel_cr3();
	tp->entry = (uint64_t)ap_start64;

	for (unsigned i = 0; i < ai->ncpus; i++) {
		const struct acpi_cpu *ac = &ai->cpus[i];
		if (!ac->enabled || ac->apic_id == bsp)
			continue;
		if (cpus_online >= MAX_CPUS) {
			log_warn("smp: more than %u CPUs; the rest stay off", MAX_CPUS);
			break;
		}
		if (smp_start_one(cpus_online, ac->apic_id, tp))
			cpus_online++;
	}
	if (ai->cpus_dropped)
		log_warn("smp: %u CPUs beyond the table size were not started", ai->cpus_dropped);
	smp_assign_roles(cfg);
}
