/* In-kernel checks of the memory system, timers and IPIs on the running machine. */
#include "kernel/selftest.h"
#include "kernel/heap.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/x86.h"

extern char __image_start[], __rodata_start[], __data_start[], __bss_end[];
extern char boot_stack_guard[];

#define ST_PAGES 512
#define ST_VA 0xffffc40000000000ULL /* an unused spot for map/unmap checks */

static unsigned passed, failed;
static uint64_t st_pages[ST_PAGES];

static void check(const char *name, const char *why)
{
	if (why) {
		failed++;
		kprintf("selftest: %s FAILED: %s\n", name, why);
	} else {
		passed++;
		kprintf("selftest: %s ok\n", name);
	}
}

static const char *st_pmm(void)
{
	struct pmm before, mid, after;

	mem_stats(&before);
	for (int i = 0; i < ST_PAGES; i++) {
		st_pages[i] = mem_page_alloc();
		if (!st_pages[i] || st_pages[i] % PAGE_SIZE)
			return "allocation failed or unaligned";
		uint64_t *p = phys_to_virt(st_pages[i]);
		if (p[0] || p[511])
			return "page not zeroed";
		p[0] = st_pages[i];
		p[511] = ~st_pages[i];
	}
	for (int i = 0; i < ST_PAGES; i++) {
		uint64_t *p = phys_to_virt(st_pages[i]);
		if (p[0] != st_pages[i] || p[511] != ~st_pages[i])
			return "pages overlap: a pattern was overwritten";
	}
	mem_stats(&mid);
	if (mid.free_pages != before.free_pages - ST_PAGES)
		return "free count did not drop by the pages taken";
	for (int i = 0; i < ST_PAGES; i++)
		mem_pages_free(st_pages[i], 1);
	mem_pages_free(st_pages[0], 1); /* a double free must be refused */
	mem_stats(&after);
	if (after.free_pages != before.free_pages)
		return "free count not restored";
	if (after.double_frees != before.double_frees + 1)
		return "double free not detected";

	uint64_t big = mem_pages_alloc(512, LARGE_PAGE_SIZE, 1ULL << 32);
	if (!big || big % LARGE_PAGE_SIZE || big >= (1ULL << 32))
		return "aligned contiguous allocation below 4 GiB failed";
	mem_pages_free(big, 512);
	return NULL;
}

static const char *st_heap(void)
{
	static void *blocks[256];
	struct heap_stats before, after;

	heap_stats(&before);
	for (int i = 0; i < 256; i++) {
		size_t n = 1 + (size_t)i * 37 % 5000;
		blocks[i] = kmalloc(n);
		if (!blocks[i] || ((uint64_t)blocks[i] & 15))
			return "kmalloc failed or misaligned";
		memset(blocks[i], i, n);
	}
	for (int i = 0; i < 256; i++) {
		size_t n = 1 + (size_t)i * 37 % 5000;
		const uint8_t *b = blocks[i];
		if (b[0] != (uint8_t)i || b[n - 1] != (uint8_t)i)
			return "heap blocks overlap";
	}
	for (int i = 0; i < 256; i++)
		kfree(blocks[i]);
	kfree(blocks[3]); /* double free: refused */
	heap_stats(&after);
	if (after.bytes_in_use != before.bytes_in_use)
		return "bytes in use not restored";
	if (after.bad_frees != before.bad_frees + 1)
		return "double free not detected";
	return NULL;
}

static bool flags_of(const void *va, uint64_t *fl)
{
	uint64_t pa;
	return paging_translate((uint64_t)va, &pa, fl);
}

static const char *st_paging(void)
{
	uint64_t pa = mem_page_alloc(), got, fl;

	if (!pa || paging_map(ST_VA, pa, PAGE_SIZE, PAGE_KDATA))
		return "map failed";
	*(volatile uint64_t *)ST_VA = 0x6978736f7321ULL;
	if (*(uint64_t *)phys_to_virt(pa) != 0x6978736f7321ULL)
		return "write through the new mapping not seen in the direct map";
	if (!paging_translate(ST_VA, &got, &fl) || got != pa)
		return "translate disagrees with the mapping";
	paging_unmap(ST_VA, PAGE_SIZE);
	if (paging_translate(ST_VA, &got, &fl))
		return "still mapped after unmap";
	mem_pages_free(pa, 1);

	if (!flags_of(__image_start, &fl) || (fl & PTE_W) || (fl & PTE_NX))
		return "kernel text is writable or not executable";
	if (!flags_of(__rodata_start, &fl) || (fl & PTE_W) || !(fl & PTE_NX))
		return "read-only data is writable or executable";
	if (!flags_of(__data_start, &fl) || !(fl & PTE_W) || !(fl & PTE_NX))
		return "data is not writable or is executable";
	if (flags_of(boot_stack_guard, &fl))
		return "the boot stack guard page is mapped";
	if (flags_of((void *)0, &fl) || flags_of((void *)0x100000, &fl))
		return "low memory is still identity-mapped";
	if (!(read_cr0() & CR0_WP))
		return "CR0.WP is off";
	if (!(rdmsr(MSR_EFER) & EFER_NXE))
		return "EFER.NXE is off";

	uint64_t top = kstack_alloc();
	if (!top)
		return "kstack_alloc failed";
	if (!flags_of((void *)(top - 8), &fl) ||
	    flags_of((void *)(top - KSTACK_PAGES * PAGE_SIZE - 8), &fl))
		return "kernel stack has no guard page below it";
	return NULL;
}

static const char *st_timer(void)
{
	uint64_t before[MAX_CPUS];

	for (unsigned i = 0; i < cpus_online; i++)
		before[i] = percpu[i].ticks;
	time_delay_us(5 * 1000000 / TIMER_HZ);
	for (unsigned i = 0; i < cpus_online; i++)
		if (percpu[i].ticks == before[i])
			return "a CPU's LAPIC timer did not tick";
	uint64_t t0 = time_uptime_us();
	time_delay_us(20000);
	uint64_t dt = time_uptime_us() - t0;
	if (dt < 20000 || dt > 200000)
		return "20 ms delay measured wrong by the TSC";
	return NULL;
}

static void st_ipi_fn(void *arg)
{
	__atomic_add_fetch((volatile unsigned *)arg, 1, __ATOMIC_SEQ_CST);
}

static const char *st_ipi(void)
{
	static volatile unsigned hits;

	hits = 0;
	for (unsigned i = 1; i < cpus_online; i++)
		if (smp_call_on(i, st_ipi_fn, (void *)&hits))
			return "could not post work to a CPU";
	uint64_t deadline = time_uptime_us() + 1000000;
	while (hits < cpus_online - 1 && time_uptime_us() < deadline)
		cpu_pause();
	return hits == cpus_online - 1 ? NULL : "not every CPU answered the IPI within 1 s";
}

void selftest_run(void)
{
	check("pmm", st_pmm());
	check("heap", st_heap());
	check("paging", st_paging());
	check("timer", st_timer());
	check("ipi", st_ipi());
	kprintf("selftest: %u passed, %u failed\n", passed, failed);
}
