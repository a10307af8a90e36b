/* kmain: the boot CPU's path from the loader's hand-off to the ready line. */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/heap.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/pci.h"
#include "kernel/percpu.h"
#include "kernel/random.h"
#include "kernel/selftest.h"
#include "kernel/serial.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/user.h"
#include "kernel/apps.h"
#include "kernel/datamod.h"
#include "kernel/x86.h"
#include "mgmt/mgmt.h"
#include "net/dataplane.h"

#ifndef IXOS_VERSION
#define IXOS_VERSION "dev"
#endif

extern char boot_stack_top[];

static struct bootinfo bootinfo;
static struct kconfig kconfig;
static struct acpi_info acpi;

/* Before paging_init the loader's identity map covers the first 4 GiB. */
static const void *boot_map_identity(uint64_t phys, size_t len, void *ctx)
{
	(void)ctx;
	return phys + len <= (1ULL << 32) ? (const void *)phys : NULL;
}

static const void *boot_map_direct(uint64_t phys, size_t len, void *ctx)
{
	(void)ctx;
	return phys_map_ro(phys, len);
}

static void cmdline_warn(const char *msg)
{
	log_warn("cmdline: %s", msg);
}

static uint32_t fnv1a(const uint8_t *p, uint64_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void boot_report(void)
{
	const struct bootinfo *bi = &bootinfo;
	char ip[24], gw[24], mip[24];

	log_info("boot: Multiboot%d from %s", bi->mb_version, bi->loader[0] ? bi->loader : "?");
	/* The management key is a secret: the log (which management can read) never shows it. */
	char shown[sizeof(bi->cmdline)];
	strlcpy(shown, bi->cmdline, sizeof(shown));
	for (char *k = shown; (k = strstr(k, "mgmt_key="));) {
		k += 9;
		char *end = k;
		while (*end && *end != ' ' && *end != '\t')
			*end++ = '*';
	}
	log_info("boot: cmdline \"%s\"%s", shown, bi->cmdline_truncated ? " (truncated)" : "");
	for (unsigned i = 0; i < bi->nmodules; i++) {
		const struct boot_module *m = &bi->modules[i];
		log_info("boot: module %u \"%s\" %lu bytes fnv1a %08x", i, m->args,
			 (unsigned long)(m->end - m->start),
			 fnv1a(phys_to_virt(m->start), m->end - m->start));
	}
	if (bi->modules_dropped)
		log_warn("boot: %u modules beyond the first %u ignored", bi->modules_dropped,
			 BOOT_MAX_MODULES);
	cmdline_format_ipv4(&kconfig.ip, ip, sizeof(ip));
	cmdline_format_ipv4(&kconfig.gw, gw, sizeof(gw));
	cmdline_format_ipv4(&kconfig.mgmt_ip, mip, sizeof(mip));
	log_info("config: ip=%s gw=%s mgmt_ip=%s dp_cores=%d loglevel=%d%s", ip, gw, mip,
		 kconfig.dp_cores, kconfig.loglevel, kconfig.selftest ? " selftest" : "");
}

static void acpi_setup(void)
{
	char err[128] = "";
	uint64_t rsdp = 0;
	const void *copy = bootinfo.rsdp_len ? bootinfo.rsdp : NULL;

	if (!copy)
		rsdp = acpi_find_rsdp(boot_map_direct, NULL);
	if (acpi_parse(rsdp, copy, boot_map_direct, NULL, &acpi, err, sizeof(err)) < 0)
		panic("acpi: no usable ACPI tables (%s)", err[0] ? err : "no RSDP");
	if (err[0])
		log_warn("acpi: %s", err);
	log_info("acpi: %s rev %u, %u CPUs, %u IOAPICs, %u PCIe ECAM windows%s", acpi.oem_id,
		 acpi.rsdp_revision, acpi.ncpus, acpi.nioapics, acpi.nmcfg,
		 acpi.pm_timer_port ? ", PM timer" : "");
	for (unsigned i = 0; i < acpi.nmcfg; i++)
		log_info("acpi: ECAM segment %u buses %u-%u at %#lx", acpi.mcfg[i].segment,
			 acpi.mcfg[i].bus_start, acpi.mcfg[i].bus_end,
			 (unsigned long)acpi.mcfg[i].base);
	if (!acpi.have_madt)
		panic("acpi: no MADT: cannot find the CPUs and interrupt controllers");
}

/* The management core's loop, until the management issue gives it a protocol to serve. */
static __attribute__((noreturn)) void mgmt_loop(void)
{
	if (dataplane_on_mgmt_core())
		dataplane_run_here();
	for (;;) {
		dataplane_mgmt_tick();
		__asm__ volatile("sti; hlt" ::: "memory"); /* the LAPIC tick wakes us */
	}
}

void kmain(uint32_t magic, uint32_t info)
{
	struct percpu *bsp = &percpu[0];

	/* this_cpu() must work before anything can fault: the trap path reads it. */
	bsp->self = bsp;
	bsp->kstack_top = (uint64_t)boot_stack_top;
	wrmsr(MSR_GS_BASE, (uint64_t)bsp);
	serial_init(COM1_PORT);
	idt_init(false);
	idt_load();

	kprintf("\nixos %s: a protected dataplane OS for the Intel 82599\n", IXOS_VERSION);
	if (bootinfo_parse(magic, info, boot_map_identity, NULL, &bootinfo) < 0)
		panic("boot: not started by a Multiboot loader (magic %#x)", magic);
	cmdline_parse(bootinfo.cmdline, &kconfig, cmdline_warn);
	log_level = kconfig.loglevel;

	mem_init(&bootinfo);
	cpu_init_tables(bsp);
	idt_init(true);
	user_cpu_init();
	boot_report();
	acpi_setup();
	time_init(&acpi);
	random_init(&acpi);
	apic_init(&acpi);
	apic_enable_local();
	bsp->apic_id = apic_id();
	timer_init();
	timer_start_cpu();
	irq_enable();
	smp_boot(&acpi, &kconfig);
	pci_init(&acpi);
	dataplane_init(&kconfig);

	mgmt_init(&kconfig);
	if (kconfig.selftest)
		selftest_run();
	kprintf("ixos: ready cpus=%u mem=%lu\n", cpus_online,
		(unsigned long)(mem_usable_bytes() >> 20));
	user_set_budget_us(kconfig.app_budget_us);
	datamod_init(&bootinfo);
	apps_init(&bootinfo, kconfig.app_runs);
	if (kconfig.testfault[0])
		testfault_trigger(kconfig.testfault, kconfig.testfault_cpu);
	mgmt_loop();
}
