/*
 * Ring 3: apps in their own address space (the kernel half mapped supervisor-only, nothing
 * else of the kernel's), entered with iret and left through system calls or faults. An app
 * has one thread per dataplane core, all in one address space; each core runs its thread as
 * a step of its run-to-completion loop (kernel/uthread.c). kernel/apps.c starts and stops
 * apps from the management core.
 */
#ifndef IXOS_USER_H
#define IXOS_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/trap.h"

struct bootinfo;

#define USER_BASE 0x400000ULL	       /* lowest address an app may map */
#define USER_TOP 0x00007fffffff0000ULL /* one past the highest */
#define USER_STACK_PAGES 16
#define USER_STACK_STRIDE ((USER_STACK_PAGES + 1) * 4096ULL) /* a guard page each */

/* Saved kernel context while an app runs (kernel/syscallentry.S relies on the layout). */
struct uctx {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rflags;
};

struct app;
struct ix_shared;
struct ix_call;

enum uthread_state {
	UT_NEW,	    /* not started yet */
	UT_RUNNING, /* in ring 3 (or in a system call) on its core */
	UT_PARKED,  /* waiting in SYS_IX_RUN for events */
	UT_DONE,    /* ended (thread exit, app exit, fault, budget) */
};

/*
 * One thread of an app: it runs on one core (a dataplane core, or the management core when
 * there is no dataplane), in the app's address space, with its own stack and libix shared
 * area. The core that hosts it runs it in the core's loop (uthread_run) and provides exec,
 * which carries out the thread's batched calls.
 */
struct uthread {
	struct app *app;
	unsigned index;
	enum uthread_state state;
	uint64_t stack_top;
	uint64_t shared_uva;	   /* struct ix_shared in the app */
	struct ix_shared *shared;  /* the same pages, through the direct map */
	uint64_t shared_phys;
	uint64_t entered_tsc;	   /* when the kernel last handed it the CPU (time budget) */
	unsigned user_ticks;	   /* timer ticks that found it in ring 3 since then */
	uint64_t wake_tsc;	   /* parked with a timeout: resume then (0: on events only) */
	struct uctx kctx;	   /* the host core's context while the thread runs */
	struct trapframe tf;	   /* its registers while parked */
	unsigned parked_ncalls;	   /* calls whose results it has not seen (parked) */
	/* From the host core: runs one checked call, returns its result. */
	int64_t (*exec)(void *core, const struct ix_call *call);
	void *core;
};

enum app_state {
	APP_RUNNING,
	APP_STOPPING, /* exited or faulted: its threads leave their cores */
	APP_DEAD,     /* every thread has left: it may be unloaded */
};

struct app {
	char name[32];
	char args[128];	 /* the module's argument string (argv[0] first) */
	uint64_t pml4;	 /* physical */
	uint64_t entry;
	uint64_t brk_start, brk; /* the heap: [brk_start, brk), grown by SYS_BRK */
	volatile int state;	 /* enum app_state */
	int exit_code;
	bool faulted;
	volatile unsigned live; /* threads still on a core */
	unsigned nthreads;
	struct uthread *threads;
	uint32_t brk_lock;	 /* threads on several cores may grow the heap at once */
	bool brk_refused_logged; /* the heap hit free memory's limit once: said once */
	uint64_t heap_large_pages; /* 2 MiB pages of the heap (the rest is 4 KiB pages) */
	/* Counters the app published (SYS_COUNTERS): names copied, values read in place. */
	struct app_counters *counters; /* NULL until the app publishes */
};

struct app_counters {
	volatile unsigned n; /* 0 while being replaced */
	unsigned nsets, stride;
	uint64_t values; /* app address of the values */
	char names[64][32];
};

/* SYS_COUNTERS for app from one of its threads: checks and records desc (at an app
 * address). 0, or -IX_EINVAL / -IX_EFAULT / -IX_ENOMEM. */
long app_publish_counters(struct app *app, uint64_t desc_uva);

/* Reads the app's published counters, summed over their sets, from any core that is not
 * unloading the app (the management core): names[i] and sums[i] for i < the return value
 * (at most max). 0 if it published none. */
unsigned app_read_counters(const struct app *app, const char **names, uint64_t *sums,
			   unsigned max);

/* How far the heap may grow in address space; the pages come from free memory, of which the
 * kernel keeps USER_HEAP_RESERVE for itself (an app cannot starve it). */
#define USER_HEAP_MAX	  (64ULL << 30)
#define USER_HEAP_RESERVE (16ULL << 20)

/* SYS_BRK: moves the app's heap end to addr (0: only asks). Returns the end after the call. */
uint64_t app_brk(struct app *app, uint64_t addr);

#define USER_BUDGET_US_DEFAULT 10000

/* How long an app may run without entering the kernel before it is stopped (0: forever). */
void user_set_budget_us(unsigned us);

/*
 * From the LAPIC tick that interrupted ring 3 (after its EOI): leaves the thread if its app
 * is stopping, stops the app if the thread has run longer than its budget since it last
 * entered the kernel. Returns otherwise.
 */
void app_check_budget(struct trapframe *tf);

/* Sets up SYSCALL/SYSRET (STAR, LSTAR, FMASK, EFER.SCE), SMEP and SMAP on this CPU. */
void user_cpu_init(void);

/* Physical memory every app may read (the packet pools), mapped read-only at IX_RXMAP_BASE
 * + phys in each app loaded afterwards. */
void user_add_rx_region(uint64_t phys, uint64_t len);
/* Whether phys lies in one of those regions (a packet pool). */
bool user_rx_region_has(uint64_t phys);

/*
 * Loads the static ELF64 image (len bytes at image) into a fresh address space for app, with
 * nthreads threads (each its stack and libix shared area). Returns 0, or -1 with the reason
 * logged (not an x86_64 executable, a segment outside user space, out of memory); app_unload
 * cleans up either way.
 */
int app_load(struct app *app, const char *name, const char *args, const uint8_t *image,
	     uint64_t len, unsigned nthreads);

/* Frees every page of the app's address space (its half of the tables included). */
void app_unload(struct app *app);

/*
 * Runs t on this CPU until it parks (SYS_IX_RUN), ends, or its app stops. nevents: how many
 * events the host wrote into t's shared area (the return value of its SYS_IX_RUN).
 */
void uthread_run(struct uthread *t, unsigned nevents);

/* The host core lets go of a thread that is done or whose app is stopping (its cleanup is
 * done); the last one to let go marks the app dead. */
void uthread_release(struct uthread *t);

/* Whether the host should run t now (new, or parked past its timeout). */
bool uthread_due(const struct uthread *t, uint64_t now_tsc);

/* Stops the app (first caller's reason wins): its threads leave their cores. */
void app_stop(struct app *app, int exit_code, bool faulted);

/* Called on a fault in ring 3: reports it, stops the app, leaves the thread (no return). */
__attribute__((noreturn)) void app_fault(struct trapframe *tf);

/* SYS_IX_RUN, SYS_EXIT and SYS_THREAD_EXIT (kernel/syscall.c dispatches here). */
long uthread_sys_ix_run(struct trapframe *tf);
__attribute__((noreturn)) void uthread_exit(bool whole_app, int status);

/* Whether [va, va+len) is mapped user-readable in the current address space. */
bool user_range_ok(uint64_t va, uint64_t len);
/* ixcall_lookup_fn over the current address space (arg unused). */
bool user_page_lookup(void *arg, uint64_t va, uint64_t *phys);
/* The physical address of the user page at va in the address space at pml4; false if none. */
bool user_page_phys(uint64_t pml4, uint64_t va, uint64_t *phys);
/* Copies len bytes from/to the current app; false (nothing done) if the range is not the
 * app's (or, to the app, not writable). */
bool copy_from_user(void *dst, uint64_t src, uint64_t len);
bool copy_to_user(uint64_t dst, const void *src, uint64_t len);

#endif
