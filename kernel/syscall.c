/* System calls from ring 3: set-up of SYSCALL/SYSRET, dispatch, checked access to app memory. */
#include <stddef.h>
#include "kernel/datamod.h"
#include "kernel/layout.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/serial.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/user.h"
#include "kernel/x86.h"
#include "user/libix/ix_abi.h"

_Static_assert(offsetof(struct percpu, user_rsp) == 16, "kernel/syscallentry.S uses offset 16");
_Static_assert(offsetof(struct percpu, syscall_rsp) == 24, "kernel/syscallentry.S uses offset 24");

/* The numbers and contracts user/apps/sys.h gives apps. */
#define SYS_WRITE 1 /* write(fd 1 or 2, buf, len): console output, tagged with app and CPU */
#define SYS_EXIT 2  /* exit(status) */
#define SYS_BRK 3   /* brk(addr): the heap's end */
#define SYS_CLOCK 4 /* clock(which): nanoseconds since boot (0) or since 1970, UTC (1) */
#define SYS_CLOCK_BOOT 0
#define SYS_CLOCK_WALL 1
/* SYS_IX_RUN 5 and SYS_THREAD_EXIT 6: user/libix/ix_abi.h */

#define CPUID7_EBX_SMEP (1u << 7)
#define CPUID7_EBX_SMAP (1u << 20)
#define RFLAGS_TF (1u << 8)
#define RFLAGS_DF (1u << 10)
#define RFLAGS_AC (1u << 18)

void syscall_entry(void);

static bool smap_on;

void user_cpu_init(void)
{
	uint32_t a, b, c, d;

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* Apps may use SSE (newlib does); the kernel never touches it (-mgeneral-regs-only). */
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	/* SYSRET loads CS from STAR[63:48] + 16 and SS from + 8: user data then user code. */
	wrmsr(MSR_STAR, (uint64_t)(GDT_KDATA | 3) << 48 | (uint64_t)GDT_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* Interrupts stay off in the entry path until the kernel stack is in place. */
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
	cpuid(0, 0, &a, &b, &c, &d);
	b = 0;
	if (a >= 7)
		cpuid(7, 0, &a, &b, &c, &d);
	uint64_t cr4 = read_cr4();
	if (b & CPUID7_EBX_SMEP)
		cr4 |= CR4_SMEP; /* the kernel never executes app pages */
	if (b & CPUID7_EBX_SMAP) {
		cr4 |= CR4_SMAP; /* nor reads or writes them, except between stac and clac */
		smap_on = true;
	}
	write_cr4(cr4);
	if (this_cpu()->id == 0)
		log_info("user: system calls ready; SMEP %s, SMAP %s", cr4 & CR4_SMEP ? "on" : "off",
			 cr4 & CR4_SMAP ? "on" : "off");
}

bool user_range_ok(uint64_t va, uint64_t len)
{
	const uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR);

	if (va < USER_BASE || va + len > USER_TOP || va + len < va)
		return false;
	for (uint64_t p = va & ~(PAGE_SIZE - 1ULL); p < va + len; p += PAGE_SIZE) {
		const uint64_t *t = pml4;
		for (int level = 3; level >= 0; level--) {
			uint64_t e = t[(p >> (12 + 9 * level)) & 511];
			if (!(e & PTE_P) || !(e & PTE_U))
				return false;
			if (level == 1 && (e & PTE_PS))
				break; /* a 2 MiB page of the heap */
			if (level)
				t = phys_to_virt(e & PTE_ADDR);
		}
	}
	return true;
}

bool user_page_phys(uint64_t pml4, uint64_t va, uint64_t *phys)
{
	const uint64_t *t = phys_to_virt(pml4 & PTE_ADDR);

	if (va < USER_BASE || va >= USER_TOP)
		return false;
	for (int level = 3; level >= 0; level--) {
		uint64_t e = t[(va >> (12 + 9 * level)) & 511];
		if (!(e & PTE_P) || !(e & PTE_U))
			return false;
		if (level == 1 && (e & PTE_PS)) {
			/* A 2 MiB page of the heap: its 4 KiB page at va. */
			*phys = (e & PTE_ADDR & ~(LARGE_PAGE_SIZE - 1ULL)) +
				(va & (LARGE_PAGE_SIZE - PAGE_SIZE));
			return true;
		}
		if (!level)
			*phys = e & PTE_ADDR;
		else
			t = phys_to_virt(e & PTE_ADDR);
	}
	return true;
}

bool user_page_lookup(void *arg, uint64_t va, uint64_t *phys)
{
	(void)arg;
	return user_page_phys(read_cr3(), va, phys);
}

/* Whether every page of [va, va+len) is mapped user-writable in the current address space:
 * the kernel writes with CR0.WP set, so a read-only page would fault in the kernel. */
static bool user_range_writable(uint64_t va, uint64_t len)
{
	const uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR);

	if (va < USER_BASE || va + len > USER_TOP || va + len < va)
		return false;
	for (uint64_t p = va & ~(PAGE_SIZE - 1ULL); p < va + len; p += PAGE_SIZE) {
		const uint64_t *t = pml4;
		for (int level = 3; level >= 0; level--) {
			uint64_t e = t[(p >> (12 + 9 * level)) & 511];
			if (!(e & PTE_P) || !(e & PTE_U) || !(e & PTE_W))
				return false;
			if (level == 1 && (e & PTE_PS))
				break;
			if (level)
				t = phys_to_virt(e & PTE_ADDR);
		}
	}
	return true;
}

bool copy_from_user(void *dst, uint64_t src, uint64_t len)
{
	if (!user_range_ok(src, len))
		return false;
	if (smap_on)
		__asm__ volatile("stac" ::: "memory");
	memcpy(dst, (const void *)src, len);
	if (smap_on)
		__asm__ volatile("clac" ::: "memory");
	return true;
}

bool copy_to_user(uint64_t dst, const void *src, uint64_t len)
{
	if (!user_range_writable(dst, len))
		return false;
	if (smap_on)
		__asm__ volatile("stac" ::: "memory");
	memcpy((void *)dst, src, len);
	if (smap_on)
		__asm__ volatile("clac" ::: "memory");
	return true;
}

/* SYS_MODULE: data module i's name, address and size into the app's *out. */
static long sys_module(uint64_t i, uint64_t out)
{
	struct ix_module_desc d;

	if (i > 0xffff || datamod_get((unsigned)i, &d))
		return -IX_ENOENT;
	return copy_to_user(out, &d, sizeof(d)) ? 0 : -IX_EFAULT;
}

static long sys_write(struct app *app, uint64_t fd, uint64_t buf, uint64_t len)
{
	char chunk[256], line[320];
	uint64_t done = 0;

	if (fd != 1 && fd != 2)
		return -9; /* EBADF */
	while (done < len) {
		uint64_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		if (!copy_from_user(chunk, buf + done, n))
			return done ? (long)done : -14; /* EFAULT */
		/* Tagged with the app and the CPU, so interleaved output stays readable. */
		int m = ksnprintf(line, sizeof(line), "[%s cpu%u] %.*s", app->name, this_cpu()->id,
				  (int)n, chunk);
		/* Through the log: lines of apps on several cores stay whole, and `ixmgr log`
		 * shows them too. */
		kputn(line, m < (int)sizeof(line) ? (size_t)m : sizeof(line) - 1);
		done += n;
	}
	return (long)done;
}

void syscall_dispatch(struct trapframe *tf)
{
	struct uthread *t = this_cpu()->uthread;
	struct app *app = t->app;

	switch (tf->rax) {
	case SYS_WRITE:
		tf->rax = (uint64_t)sys_write(app, tf->rdi, tf->rsi, tf->rdx);
		break;
	case SYS_BRK:
		tf->rax = app_brk(app, tf->rdi);
		break;
	case SYS_CLOCK:
		/* rdi: SYS_CLOCK_BOOT (0) or SYS_CLOCK_WALL (1); anything else reads as 0. */
		tf->rax = tf->rdi == SYS_CLOCK_WALL ? time_wall_ns()
			  : tf->rdi == SYS_CLOCK_BOOT ? time_uptime_us() * 1000
						      : 0;
		break;
	case SYS_MODULE:
		tf->rax = (uint64_t)sys_module(tf->rdi, tf->rsi);
		break;
	case SYS_COUNTERS:
		tf->rax = (uint64_t)app_publish_counters(app, tf->rdi);
		break;
	case SYS_IX_RUN:
		tf->rax = (uint64_t)uthread_sys_ix_run(tf);
		break;
	case SYS_EXIT:
		uthread_exit(true, (int)tf->rdi);
	case SYS_THREAD_EXIT:
		uthread_exit(false, 0);
	default:
		tf->rax = (uint64_t)-38; /* ENOSYS */
	}
	t->entered_tsc = rdtsc(); /* its time budget starts again */
	t->user_ticks = 0;
}
