/* App address spaces, ELF loading, and running an app in ring 3. */
#include "kernel/user.h"
#include "kernel/bootinfo.h"
#include "kernel/heap.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

/* ELF64 (System V ABI, x86-64 supplement). */
#define ELF_MAGIC 0x464c457fu /* "\x7fELF" */
#define ELFCLASS64 2
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2

struct elf64_ehdr {
	uint32_t magic;
	uint8_t class, data, version, osabi, pad[8];
	uint16_t type, machine;
	uint32_t version2;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
} __attribute__((packed));

int uenter(struct uctx *k, uint64_t rip, uint64_t rsp);
__attribute__((noreturn)) void uleave(struct uctx *k, long value);

/* The leaf entry for va in the app's tables, creating tables (user-accessible) on the way. */
static uint64_t *uwalk(uint64_t pml4, uint64_t va)
{
	uint64_t *t = phys_to_virt(pml4);

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[(va >> (12 + 9 * level)) & 511];
		if (!(*e & PTE_P)) {
			uint64_t page = mem_page_alloc();
			if (!page)
				return NULL;
			/* U on the way down, or ring 3 could not reach the leaf at all. */
			*e = page | PTE_P | PTE_W | PTE_U;
		}
		t = phys_to_virt(*e & PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

/* Maps a fresh zeroed page at va; returns its kernel pointer or NULL. */
static uint8_t *umap_page(uint64_t pml4, uint64_t va, uint64_t flags)
{
	uint64_t *pte = uwalk(pml4, va);
	uint64_t pa;

	if (!pte)
		return NULL;
	if (*pte & PTE_P) {
		*pte |= flags & PTE_W; /* two segments sharing a page: the more permissive wins */
		if (!(flags & PTE_NX))
			*pte &= ~PTE_NX;
		return phys_to_virt(*pte & PTE_ADDR);
	}
	pa = mem_page_alloc();
	if (!pa)
		return NULL;
	*pte = pa | PTE_P | PTE_U | flags;
	return phys_to_virt(pa);
}

int app_load(struct app *app, const char *name, const uint8_t *image, uint64_t len)
{
	const struct elf64_ehdr *eh = (const void *)image;

	memset(app, 0, sizeof(*app));
	strlcpy(app->name, name, sizeof(app->name));
	if (len < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->class != ELFCLASS64 ||
	    eh->type != ET_EXEC || eh->machine != EM_X86_64 ||
	    eh->phentsize != sizeof(struct elf64_phdr) ||
	    eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > len) {
		log_err("app %s: not a static x86_64 ELF executable", name);
		return -1;
	}
	app->pml4 = mem_page_alloc();
	if (!app->pml4)
		return -1;
	/* The kernel half is shared (supervisor-only); the lower half is the app's alone. */
	memcpy((uint64_t *)phys_to_virt(app->pml4) + 256,
	       (uint64_t *)phys_to_virt(paging_kernel_cr3()) + 256, 256 * sizeof(uint64_t));

	const struct elf64_phdr *ph = (const void *)(image + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
			continue;
		uint64_t va = ph[i].vaddr, end = va + ph[i].memsz;
		if (va < USER_BASE || end > USER_TOP || end < va || ph[i].filesz > ph[i].memsz ||
		    ph[i].offset + ph[i].filesz > len) {
			log_err("app %s: segment %u (%#lx+%#lx) outside user space or the file",
				name, i, (unsigned long)va, (unsigned long)ph[i].memsz);
			return -1;
		}
		uint64_t flags = (ph[i].flags & PF_W ? PTE_W : 0) | (ph[i].flags & PF_X ? 0 : PTE_NX);
		uint64_t page_end = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);
		if (page_end > app->brk_start)
			app->brk_start = page_end; /* the heap starts after the last segment */
		for (uint64_t p = va & ~(PAGE_SIZE - 1ULL); p < end; p += PAGE_SIZE) {
			uint8_t *page = umap_page(app->pml4, p, flags);
			if (!page) {
				log_err("app %s: out of memory loading", name);
				return -1;
			}
			/* Copy the part of the file that falls in this page. */
			uint64_t lo = p < va ? va : p, hi = p + PAGE_SIZE;
			uint64_t fend = va + ph[i].filesz;
			if (hi > fend)
				hi = fend;
			if (lo < hi)
				memcpy(page + (lo - p), image + ph[i].offset + (lo - va), hi - lo);
		}
	}
	/* The stack: USER_STACK_PAGES below USER_TOP, with an unmapped guard page under it. */
	for (unsigned i = 1; i <= USER_STACK_PAGES; i++)
		if (!umap_page(app->pml4, USER_TOP - i * PAGE_SIZE, PTE_W | PTE_NX))
			return -1;
	app->stack_top = USER_TOP - 64; /* 16-byte aligned; a little room above for the ABI */
	app->entry = eh->entry;
	app->brk = app->brk_start;
	return 0;
}

uint64_t app_brk(struct app *app, uint64_t addr)
{
	uint64_t old_top = (app->brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1ULL);

	if (addr == 0 || addr < app->brk_start || addr > app->brk_start + USER_HEAP_MAX)
		return app->brk;
	/* Growing maps fresh zeroed pages; shrinking keeps them (reused if it grows again). */
	for (uint64_t p = old_top; p < addr; p += PAGE_SIZE)
		if (!umap_page(app->pml4, p, PTE_W | PTE_NX))
			return app->brk;
	app->brk = addr;
	return addr;
}

/* FXSAVE image of the state after FNINIT with MXCSR at its reset value (all exceptions masked). */
static const struct {
	uint16_t fcw, fsw;
	uint8_t ftw, pad0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t rest[480];
} __attribute__((aligned(16))) clean_fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};

static uint64_t budget_tsc;
static unsigned budget_us = USER_BUDGET_US_DEFAULT;

void user_set_budget_us(unsigned us)
{
	budget_us = us;
	budget_tsc = time_tsc_hz() / 1000000 * us;
}

void app_check_budget(struct trapframe *tf)
{
	struct app *app = this_cpu()->app;
	uint64_t ran;

	if (!app || !budget_tsc)
		return;
	ran = rdtsc() - app->entered_tsc;
	if (ran <= budget_tsc)
		return;
	log_err("app %s: ran %lu us on cpu %u without entering the kernel (budget %u us; rip "
		"%016lx): app stopped",
		app->name, (unsigned long)time_tsc_to_us(ran), this_cpu()->id, budget_us,
		(unsigned long)tf->rip);
	app->faulted = true;
	uleave(&app->kctx, -1);
}

/* Frees the tables and pages below table t (a level-`level` table of the lower half). */
static void ufree_level(uint64_t table, int level)
{
	uint64_t *t = phys_to_virt(table);
	unsigned n = level == 3 ? 256 : 512; /* the PML4's upper half is the kernel's */

	for (unsigned i = 0; i < n; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 0)
			ufree_level(t[i] & PTE_ADDR, level - 1);
		else
			mem_pages_free(t[i] & PTE_ADDR, 1);
	}
	mem_pages_free(table, 1);
}

void app_unload(struct app *app)
{
	if (app->pml4)
		ufree_level(app->pml4, 3);
	app->pml4 = 0;
}

int app_run(struct app *app)
{
	struct percpu *c = this_cpu();
	uint64_t kernel_cr3 = read_cr3();

	if (!budget_tsc && budget_us)
		user_set_budget_us(budget_us);
	c->app = app;
	write_cr3(app->pml4);
	/* A clean x87/SSE state: nothing of a previous app leaks into this one. */
	__asm__ volatile("fxrstor %0" : : "m"(clean_fpu));
	app->entered_tsc = rdtsc();
	int code = uenter(&app->kctx, app->entry, app->stack_top);
	write_cr3(kernel_cr3);
	c->app = NULL;
	return app->faulted ? -1 : code;
}

void app_fault(struct trapframe *tf)
{
	struct app *app = this_cpu()->app;
	static const char *const names[32] = {
		[0] = "#DE divide error", [6] = "#UD invalid opcode", [13] = "#GP general protection",
		[14] = "#PF page fault",  [3] = "#BP breakpoint",    [12] = "#SS stack fault",
	};
	const char *what = tf->vector < 32 && names[tf->vector] ? names[tf->vector] : "exception";

	if (!app)
		trap_fatal("fault in ring 3 with no app running", tf);
	log_err("app %s: %s (vector %lu, error %#lx) at rip %016lx on cpu %u: app stopped",
		app->name, what, (unsigned long)tf->vector, (unsigned long)tf->error,
		(unsigned long)tf->rip, this_cpu()->id);
	if (tf->vector == 14)
		log_err("app %s: faulting address %016lx", app->name, (unsigned long)read_cr2());
	log_err("app %s: rsp %016lx rax %016lx rbx %016lx rcx %016lx rdx %016lx", app->name,
		(unsigned long)tf->rsp, (unsigned long)tf->rax, (unsigned long)tf->rbx,
		(unsigned long)tf->rcx, (unsigned long)tf->rdx);
	log_err("app %s: rsi %016lx rdi %016lx rbp %016lx rflags %08lx", app->name,
		(unsigned long)tf->rsi, (unsigned long)tf->rdi, (unsigned long)tf->rbp,
		(unsigned long)tf->rflags);
	app->faulted = true;
	uleave(&app->kctx, -1);
}

static const char *module_name(const char *args, char *buf, unsigned size)
{
	const char *end = args, *base = args;

	while (*end && *end != ' ')
		end++;
	for (const char *p = args; p < end; p++)
		if (*p == '/')
			base = p + 1;
	unsigned n = (unsigned)(end - base) < size - 1 ? (unsigned)(end - base) : size - 1;
	memcpy(buf, base, n);
	buf[n] = 0;
	return buf;
}

void apps_run_boot_modules(const struct bootinfo *bi, unsigned runs)
{
	struct pmm before, after;

	mem_stats(&before);
	for (unsigned i = 0; i < bi->nmodules; i++) {
		const struct boot_module *m = &bi->modules[i];
		const uint8_t *image = phys_to_virt(m->start);
		char name[32];

		if (m->end - m->start < 4 || *(const uint32_t *)image != ELF_MAGIC)
			continue; /* not an app (data) */
		module_name(m->args, name, sizeof(name));
		for (unsigned r = 0; r < runs; r++) {
			struct app *app = kmalloc(sizeof(*app));
			if (!app)
				break;
			if (app_load(app, name, image, m->end - m->start) == 0) {
				log_info("app %s: started on cpu %u", name, this_cpu()->id);
				int code = app_run(app);
				if (!app->faulted)
					log_info("app %s: exited with status %d", name, code);
			}
			app_unload(app);
			kfree(app);
		}
	}
	mem_stats(&after);
	if (bi->nmodules)
		log_info("apps: done; %lu pages free before, %lu after", (unsigned long)before.free_pages,
			 (unsigned long)after.free_pages);
}
