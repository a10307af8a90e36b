/*
 * App threads on their cores: the run-to-completion step of DESIGN.md's loop. The host core
 * (a dataplane core) calls uthread_run when its thread has events; the thread runs in ring 3
 * until it enters SYS_IX_RUN, whose batched calls run right there, and then parks: uleave
 * takes the core back to its loop, with the thread's registers saved, until uthread_run
 * resumes it with the next events. Faults, the time budget and exits end the thread the
 * same way, and stop the whole app (its threads share one address space).
 */
#include "kernel/ixcall.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/trap.h"
#include "kernel/user.h"
#include "kernel/x86.h"
#include "user/libix/ix_abi.h"

int uenter(struct uctx *k, uint64_t rip, uint64_t rsp, const uint64_t args[4]);
int uresume(struct uctx *k, struct trapframe *tf);
__attribute__((noreturn)) void uleave(struct uctx *k, long value);

/* FXSAVE image of the state after FNINIT with MXCSR at its reset value (all exceptions masked). */
static const struct {
	uint16_t fcw, fsw;
	uint8_t ftw, pad0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t rest[480];
} __attribute__((aligned(16))) clean_fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};

#define USER_TICK_US (1000000 / TIMER_HZ)

static uint64_t budget_tsc;
static unsigned budget_us = USER_BUDGET_US_DEFAULT;

void user_set_budget_us(unsigned us)
{
	budget_us = us;
	budget_tsc = time_tsc_hz() / 1000000 * us;
}

void app_stop(struct app *app, int exit_code, bool faulted)
{
	int running = APP_RUNNING;

	if (__atomic_compare_exchange_n(&app->state, &running, APP_STOPPING, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		app->exit_code = exit_code;
		app->faulted = faulted;
	}
}

/* Leaves the thread running on this CPU: back to its host's loop. */
static __attribute__((noreturn)) void uthread_leave(struct uthread *t)
{
	t->state = UT_DONE;
	uleave(&t->kctx, 0);
}

void app_check_budget(struct trapframe *tf)
{
	struct uthread *t = this_cpu()->uthread;
	uint64_t ran;

	if (!t)
		return;
	/* Acquire: another core's app_stop (a compare-and-swap) may change it at any time. */
	if (__atomic_load_n(&t->app->state, __ATOMIC_ACQUIRE) != APP_RUNNING)
		uthread_leave(t); /* another thread faulted or exited: this one stops too */
	if (!budget_tsc)
		return;
	/*
	 * Over budget once both the time since the kernel handed it the CPU and the ticks that
	 * found it running say so. Time alone would also count what a hypervisor took from this
	 * vCPU (a busy host can deschedule one for longer than the budget, and the app is not
	 * running then); ticks only come while the vCPU runs (missed ones arrive as one), so a
	 * budget of B us needs ceil(B / tick) + 1 of them: at least B us really spent in ring 3.
	 */
	t->user_ticks++;
	ran = rdtsc() - t->entered_tsc;
	if (ran <= budget_tsc || t->user_ticks <= (budget_us + USER_TICK_US - 1) / USER_TICK_US)
		return;
	log_err("app %s: thread %u ran %lu us on cpu %u without entering the kernel (budget %u "
		"us; rip %016lx): app stopped",
		t->app->name, t->index, (unsigned long)time_tsc_to_us(ran), this_cpu()->id,
		budget_us, (unsigned long)tf->rip);
	app_stop(t->app, -1, true);
	uthread_leave(t);
}

void app_fault(struct trapframe *tf)
{
	struct uthread *t = this_cpu()->uthread;
	static const char *const names[32] = {
		[0] = "#DE divide error", [6] = "#UD invalid opcode", [13] = "#GP general protection",
		[14] = "#PF page fault",  [3] = "#BP breakpoint",    [12] = "#SS stack fault",
		[16] = "#MF x87 error",	  [19] = "#XM SIMD error",   [17] = "#AC alignment check",
	};
	const char *what = tf->vector < 32 && names[tf->vector] ? names[tf->vector] : "exception";

	if (!t)
		trap_fatal("fault in ring 3 with no app running", tf);
	const char *name = t->app->name;
	log_err("app %s: %s (vector %lu, error %#lx) at rip %016lx in thread %u on cpu %u: app "
		"stopped",
		name, what, (unsigned long)tf->vector, (unsigned long)tf->error,
		(unsigned long)tf->rip, t->index, this_cpu()->id);
	if (tf->vector == 14)
		log_err("app %s: faulting address %016lx", name, (unsigned long)read_cr2());
	log_err("app %s: rsp %016lx rax %016lx rbx %016lx rcx %016lx rdx %016lx", name,
		(unsigned long)tf->rsp, (unsigned long)tf->rax, (unsigned long)tf->rbx,
		(unsigned long)tf->rcx, (unsigned long)tf->rdx);
	log_err("app %s: rsi %016lx rdi %016lx rbp %016lx rflags %08lx", name,
		(unsigned long)tf->rsi, (unsigned long)tf->rdi, (unsigned long)tf->rbp,
		(unsigned long)tf->rflags);
	app_stop(t->app, -1, true);
	uthread_leave(t);
}

void uthread_exit(bool whole_app, int status)
{
	struct uthread *t = this_cpu()->uthread;

	if (whole_app)
		app_stop(t->app, status, false);
	uthread_leave(t);
}

static const char *const op_names[IX_OP_MAX] = {
	[IX_OP_LISTEN] = "listen",   [IX_OP_ACCEPT] = "accept",		[IX_OP_CONNECT] = "connect",
	[IX_OP_SENDV] = "sendv",     [IX_OP_RECV_DONE] = "recv_done", [IX_OP_CLOSE] = "close",
};

/* A call that points outside the app's memory: the app is stopped, as for a page fault. */
static __attribute__((noreturn)) void uthread_bad_pointer(struct uthread *t,
							   const struct ix_call *c, unsigned i)
{
	uint64_t addr = 0;

	for (unsigned v = 0; v < c->niov && v < IX_IOV_MAX; v++) {
		addr = c->iov[v].base;
		if (!user_range_ok(c->iov[v].base, c->iov[v].len ? c->iov[v].len : 1))
			break;
	}
	log_err("app %s: %s (call %u of its batch) with memory it cannot read or does not hold at "
		"%016lx on cpu %u: app stopped",
		t->app->name, c->op < IX_OP_MAX && op_names[c->op] ? op_names[c->op] : "call", i,
		(unsigned long)addr, this_cpu()->id);
	app_stop(t->app, -1, true);
	uthread_leave(t);
}

long uthread_sys_ix_run(struct trapframe *tf)
{
	struct uthread *t = this_cpu()->uthread;
	uint64_t ncalls = tf->rdi, flags = tf->rsi, timeout_us = tf->rdx;

	if (ncalls > IX_BATCH_MAX)
		return -IX_EINVAL;
	for (unsigned i = 0; i < ncalls; i++) {
		/* A snapshot: the app's other threads could rewrite the call while we work. */
		struct ix_call c;
		memcpy(&c, (const void *)&t->shared->calls[i], sizeof(c));
		int64_t r = ixcall_check(&c);
		if (r == 0)
			r = t->exec ? t->exec(t->core, &c) : -IX_ENETDOWN;
		if (r == -IX_EFAULT)
			uthread_bad_pointer(t, &c, i);
		t->shared->calls[i].result = r;
	}
	if (flags & IX_RUN_NOWAIT)
		return 0;
	if (__atomic_load_n(&t->app->state, __ATOMIC_ACQUIRE) != APP_RUNNING)
		uthread_leave(t);
	t->wake_tsc = timeout_us ? rdtsc() + time_tsc_hz() / 1000000 * timeout_us : 0;
	t->tf = *tf;
	t->parked_ncalls = (unsigned)ncalls;
	t->state = UT_PARKED;
	uleave(&t->kctx, 0);
}

bool uthread_due(const struct uthread *t, uint64_t now_tsc)
{
	return t->state == UT_NEW || (t->state == UT_PARKED && t->wake_tsc && now_tsc >= t->wake_tsc);
}

void uthread_run(struct uthread *t, unsigned nevents)
{
	struct percpu *c = this_cpu();

	if (t->state == UT_DONE || __atomic_load_n(&t->app->state, __ATOMIC_ACQUIRE) != APP_RUNNING)
		return;
	if (!budget_tsc && budget_us)
		user_set_budget_us(budget_us);
	c->app = t->app;
	c->uthread = t;
	/*
	 * The app's tables stay loaded after it parks: they map the kernel half exactly as the
	 * kernel's own do (shared upper-half entries), SMAP keeps the kernel out of the app's
	 * half, and a CR3 write (a TLB flush) per batch is the biggest cost of the protection
	 * boundary. uthread_release switches back before the app can be freed.
	 */
	if ((read_cr3() & PTE_ADDR) != t->app->pml4)
		write_cr3(t->app->pml4);
	t->entered_tsc = rdtsc();
	t->user_ticks = 0;
	if (t->state == UT_NEW) {
		/* thread index, thread count, its shared area, its argument string */
		uint64_t args[4] = {t->index, t->app->nthreads, t->shared_uva,
				    t->stack_top + 64};
		/* A clean x87/SSE state: nothing of a previous app leaks into this one. The
		 * kernel never touches these registers, so a parked thread keeps its own. */
		__asm__ volatile("fxrstor %0" : : "m"(clean_fpu));
		t->state = UT_RUNNING;
		uenter(&t->kctx, t->app->entry, t->stack_top, args);
	} else {
		t->tf.rax = nevents;
		t->state = UT_RUNNING;
		uresume(&t->kctx, &t->tf);
	}
	c->uthread = NULL;
	c->app = NULL;
}

void uthread_release(struct uthread *t)
{
	struct app *app = t->app;

	/* Off the app's tables before the management core may free them. */
	if ((read_cr3() & PTE_ADDR) == app->pml4)
		write_cr3(paging_kernel_cr3());
	t->state = UT_DONE;
	if (__atomic_sub_fetch(&app->live, 1, __ATOMIC_SEQ_CST) == 0) {
		/* Every thread ended on its own (none exited the app): the app has ended. */
		app_stop(app, 0, false);
		__atomic_store_n(&app->state, APP_DEAD, __ATOMIC_SEQ_CST);
	}
}
