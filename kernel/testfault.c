/* testfault=KIND on the command line: a deliberate fault, so tests can see the fatal report. */
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/selftest.h"
#include "kernel/smp.h"

extern char __image_start[];

/* Recurses far past any kernel stack (the bound only keeps the compiler quiet). */
static int tf_recurse(int depth)
{
	volatile char pad[512];

	pad[0] = (char)depth;
	if (depth > (1 << 24))
		return pad[0];
	return tf_recurse(depth + 1) + pad[0];
}

static void tf_run(void *arg)
{
	const char *kind = arg;
	static const uint8_t ret_insn = 0xc3; /* in .rodata: not executable */

	log_info("testfault: causing '%s' on cpu %u", kind, this_cpu()->id);
	if (!strcmp(kind, "pf"))
		*(volatile uint64_t *)0xdead000 = 1;
	else if (!strcmp(kind, "gp"))
		*(volatile uint64_t *)0x8000000000000000ULL = 1; /* non-canonical */
	else if (!strcmp(kind, "ud"))
		__asm__ volatile("ud2");
	else if (!strcmp(kind, "de"))
		__asm__ volatile("xor %%ecx, %%ecx; div %%ecx" ::: "eax", "ecx", "edx");
	else if (!strcmp(kind, "bp"))
		__asm__ volatile("int3");
	else if (!strcmp(kind, "nx"))
		((void (*)(void))&ret_insn)();
	else if (!strcmp(kind, "wp"))
		*(volatile uint8_t *)__image_start = 0;
	else if (!strcmp(kind, "stack"))
		tf_recurse(0);
	else if (!strcmp(kind, "panic"))
		panic("testfault: deliberate panic");
	log_err("testfault: the '%s' fault did not happen", kind);
}

void testfault_trigger(const char *kind, int cpu)
{
	static const char *const kinds[] = {"pf", "gp", "ud", "de", "bp",
					    "nx", "wp", "stack", "panic"};
	bool known = false;

	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		known |= !strcmp(kind, kinds[i]);
	if (!known) {
		log_warn("testfault: unknown kind '%s' (pf gp ud de bp nx wp stack panic)", kind);
		return;
	}
	if (cpu < 0 || (unsigned)cpu >= cpus_online) {
		log_warn("testfault: no cpu %d (%u online)", cpu, cpus_online);
		return;
	}
	if (cpu == 0)
		tf_run((void *)kind);
	else if (smp_call_on(cpu, tf_run, (void *)kind))
		log_warn("testfault: cpu %d is busy", cpu);
}
