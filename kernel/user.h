/*
 * Ring 3: apps in their own address space (the kernel half mapped supervisor-only, nothing
 * else of the kernel's), entered with iret and left through system calls or faults.
 * This is the first slice of user mode: an app from a boot module runs to completion on the
 * CPU that starts it. Scheduling apps on the dataplane cores, libix and newlib come next.
 */
#ifndef IXOS_USER_H
#define IXOS_USER_H

#include <stdbool.h>
#include <stdint.h>

struct trapframe;
struct bootinfo;

#define USER_BASE 0x400000ULL	       /* lowest address an app may map */
#define USER_TOP 0x00007fffffff0000ULL /* one past the highest */
#define USER_STACK_PAGES 16

/* Saved kernel context while an app runs (kernel/syscallentry.S relies on the layout). */
struct uctx {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rflags;
};

struct app {
	char name[32];
	uint64_t pml4;	 /* physical */
	uint64_t entry;
	uint64_t stack_top;
	struct uctx kctx;
	int exit_code;
	bool faulted;
	uint64_t entered_tsc; /* when the kernel last handed the CPU to the app */
	uint64_t brk_start, brk; /* the heap: [brk_start, brk), grown by SYS_BRK */
};

#define USER_HEAP_MAX (256ULL << 20)

/* SYS_BRK: moves the app's heap end to addr (0: only asks). Returns the end after the call. */
uint64_t app_brk(struct app *app, uint64_t addr);

#define USER_BUDGET_US_DEFAULT 10000

/* How long an app may run without entering the kernel before it is stopped (0: forever). */
void user_set_budget_us(unsigned us);

/*
 * From the LAPIC tick that interrupted ring 3 (after its EOI): stops the app if it has run
 * longer than its budget since it last entered the kernel. Returns if it has not.
 */
void app_check_budget(struct trapframe *tf);

/* Sets up SYSCALL/SYSRET (STAR, LSTAR, FMASK, EFER.SCE), SMEP and SMAP on this CPU. */
void user_cpu_init(void);

/*
 * Loads the static ELF64 image (len bytes at image) into a fresh address space for app.
 * Returns 0, or -1 with the reason logged (not an x86_64 executable, a segment outside user
 * space, out of memory).
 */
int app_load(struct app *app, const char *name, const uint8_t *image, uint64_t len);

/*
 * Runs app on this CPU until it exits (returns its exit code) or faults (returns -1; the
 * fault is logged with the app's registers). The kernel keeps running either way.
 */
int app_run(struct app *app);

/* Called on a fault in ring 3: reports it and leaves the app (does not return). */
__attribute__((noreturn)) void app_fault(struct trapframe *tf);

/* Frees every page of the app's address space (its half of the tables included). */
void app_unload(struct app *app);

/*
 * Loads and runs, one after the other, the boot modules that are apps (ELF executables),
 * each `runs` times (a fresh address space each time), and unloads them.
 */
void apps_run_boot_modules(const struct bootinfo *bi, unsigned runs);

#endif
