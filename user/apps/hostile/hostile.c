/*
 * A hostile app for the protection tests: `hostile MODE [ADDR]` does one forbidden thing on
 * thread 0. The kernel must stop the app with a log line naming the fault and carry on.
 *   kwrite        write to kernel memory
 *   kread ADDR    read ADDR (hex), e.g. where the kernel maps the NIC's registers
 *   hlt, cli, wrmsr  privileged instructions
 *   sendv         a libix sendv whose buffer is a kernel address
 *   spin          never enter the kernel again (the time budget stops it)
 *   div0          divide by zero
 *   hang          serve TCP port 7, and on the first bytes received spin forever (the time
 *                 budget stops it, and its connections are reset)
 *   resend        serve TCP port 7, and send the first bytes received from their buffer after
 *                 releasing it (recv_done): the buffer may hold someone else's data by then
 *   snoop MARKER  serve TCP port 7; on the first bytes received, read the whole read-only
 *                 packet-pool mapping around them and print how often MARKER occurs in it
 *                 (what an earlier app received must be gone), then exit
 *   module        hand SYS_MODULE and SYS_COUNTERS bad pointers and bad values (each must
 *                 fail with its error, printed), print the first data module's name, size and
 *                 checksum, then write to it (read-only: the app is stopped)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "user/apps/sys.h"
#include "user/libix/ix.h"

static volatile unsigned long sink;

static struct ixev_conn hang_conns[64];
static unsigned hang_next;

static struct ixev_conn *hang_accept(uint32_t addr, uint16_t port)
{
	(void)addr;
	(void)port;
	return hang_next < 64 ? &hang_conns[hang_next++] : NULL;
}

static void hang_recv(struct ixev_conn *c, const void *data, size_t len)
{
	(void)c;
	(void)data;
	if (len)
		for (;;)
			__asm__ volatile("" ::: "memory");
}

static const struct ixev_handlers hang_handlers = {.accept = hang_accept, .recv = hang_recv};

static void resend_recv(struct ixev_conn *c, const void *data, size_t len)
{
	if (!len)
		return;
	ixev_recv_done(c, len); /* released first: the kernel executes the batch in order */
	ixev_send(c, data, len);
}

static const struct ixev_handlers resend_handlers = {.accept = hang_accept,
						     .recv = resend_recv};

static const char *snoop_marker;

/*
 * Is the page at va mapped for the app? The ABI does not say where the pools are, and a
 * read of an unmapped page stops the app: write(2) checks the pointer instead, failing with
 * EFAULT where a read would fault (a mapped page costs one byte of console output).
 */
static int snoop_mapped(uintptr_t va)
{
	return sys_write(1, (const void *)va, 1) == 1;
}

/*
 * The pool mapping is one run of pages (IX_RXMAP_BASE + the pool's physical address) that
 * holds at: the run's ends are found by bisection, up to SNOOP_SPAN away, on the assumption
 * that nothing else is mapped next to it (one dataplane core: one pool). Were it wrong, the
 * scan would read an unmapped page and the app would be stopped: a failure, never a pass.
 */
#define SNOOP_PAGE 4096UL
#define SNOOP_SPAN (64UL << 20)

static void snoop_scan(const void *at)
{
	uintptr_t page = (uintptr_t)at & ~(SNOOP_PAGE - 1), start, end;
	uintptr_t lo = page - SNOOP_SPAN < IX_RXMAP_BASE ? IX_RXMAP_BASE - SNOOP_PAGE
							 : page - SNOOP_SPAN;
	uintptr_t hi = page + SNOOP_SPAN;

	/* Downwards: page is mapped; find the lowest mapped page above an unmapped lo. */
	if (snoop_mapped(lo)) {
		start = lo; /* a run longer than we look: scan what we looked at */
	} else {
		uintptr_t in = page;
		while (in - lo > SNOOP_PAGE) {
			uintptr_t mid = lo + (in - lo) / 2 / SNOOP_PAGE * SNOOP_PAGE;
			if (snoop_mapped(mid))
				in = mid;
			else
				lo = mid;
		}
		start = in;
	}
	/* Upwards, alike: end is one past the highest mapped page. */
	if (snoop_mapped(hi)) {
		end = hi;
	} else {
		uintptr_t in = page;
		while (hi - in > SNOOP_PAGE) {
			uintptr_t mid = in + (hi - in) / 2 / SNOOP_PAGE * SNOOP_PAGE;
			if (snoop_mapped(mid))
				in = mid;
			else
				hi = mid;
		}
		end = in + SNOOP_PAGE;
	}
	unsigned long mlen = strlen(snoop_marker), hits = 0;
	const char *p = (const char *)start, *stop = (const char *)end - mlen;
	for (const char *chunk = p; chunk <= stop; chunk += 65536) {
		/* 64 KiB at a time, entering the kernel in between: the time budget restarts */
		const char *limit = stop - chunk < 65536 ? stop + 1 : chunk + 65536;
		for (const char *q = chunk; q < limit; q++) {
			q = memchr(q, snoop_marker[0], (size_t)(limit - q));
			if (!q)
				break;
			hits += !memcmp(q, snoop_marker, mlen);
		}
		sys3(SYS_CLOCK, 0, 0, 0);
	}
	printf("\nhostile: snoop: %lu hits of %s in %lu KiB of the RX pool mapping "
	       "(0x%lx-0x%lx)\n", hits, snoop_marker, (unsigned long)(end - start) / 1024,
	       (unsigned long)start, (unsigned long)end);
	fflush(stdout);
	exit(0);
}

static void snoop_recv(struct ixev_conn *c, const void *data, size_t len)
{
	(void)c;
	if (len)
		snoop_scan(data);
}

static const struct ixev_handlers snoop_handlers = {.accept = hang_accept, .recv = snoop_recv};

/* SYS_MODULE and SYS_COUNTERS with bad arguments: every one fails, none hurts the kernel. */
static void module_checks(void)
{
	static struct ix_module_desc d;
	static char names[2][IX_COUNTER_NAME_MAX] = {"good_name", "Bad-Name"};
	static uint64_t values[2];
	struct ix_counters_desc cd = {.names = (uint64_t)names, .values = (uint64_t)values,
				      .n = 2, .nsets = 1, .stride = 2};
	const void *m = ix_module(NULL, NULL);

	printf("hostile: module to kernel %ld, to itself %ld, index 99 %ld\n",
	       sys3(SYS_MODULE, 0, (long)0xffffffff80100000UL, 0),
	       sys3(SYS_MODULE, 0, (long)m, 0), sys3(SYS_MODULE, 99, (long)&d, 0));
	long bad_name = sys3(SYS_COUNTERS, (long)&cd, 0, 0);
	cd.n = 0;
	long zero = sys3(SYS_COUNTERS, (long)&cd, 0, 0);
	cd.n = 1;
	cd.values = 0xffffffff80100000UL;
	long kvalues = sys3(SYS_COUNTERS, (long)&cd, 0, 0);
	long kdesc = sys3(SYS_COUNTERS, (long)0xffffffff80100000UL, 0, 0);
	cd.values = (uint64_t)values;
	long good = sys3(SYS_COUNTERS, (long)&cd, 0, 0);
	printf("hostile: counters bad name %ld, none %ld, kernel values %ld, kernel desc %ld, "
	       "good %ld\n", bad_name, zero, kvalues, kdesc, good);
	if (ix_module_at(0, &d)) {
		printf("hostile: no data module\n");
		return;
	}
	uint32_t sum = 2166136261u; /* FNV-1a, as the kernel's boot log prints it */
	for (uint64_t i = 0; i < d.len; i++)
		sum = (sum ^ ((const uint8_t *)d.base)[i]) * 16777619u;
	printf("hostile: module %s %lu bytes fnv1a %08x\n", d.name, (unsigned long)d.len,
	       (unsigned)sum);
	fflush(stdout);
	*(volatile uint8_t *)d.base = 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	printf("hostile: %s\n", mode);
	fflush(stdout);
	if (!strcmp(mode, "kwrite")) {
		*(volatile unsigned long *)0xffffffff80100000UL = 0;
	} else if (!strcmp(mode, "kread") && argc > 2) {
		sink = *(volatile unsigned long *)strtoul(argv[2], NULL, 16);
	} else if (!strcmp(mode, "hlt")) {
		__asm__ volatile("hlt");
	} else if (!strcmp(mode, "cli")) {
		__asm__ volatile("cli");
	} else if (!strcmp(mode, "wrmsr")) {
		__asm__ volatile("wrmsr" : : "c"(0xc0000082u), "a"(0), "d"(0)); /* LSTAR */
	} else if (!strcmp(mode, "sendv")) {
		struct ix_call *c = &ix_shared()->calls[0];
		memset(c, 0, sizeof(*c));
		c->op = IX_OP_SENDV;
		c->niov = 1;
		c->iov[0].base = 0xffffffff80100000UL; /* the kernel's image */
		c->iov[0].len = 64;
		ix_run(1, IX_RUN_NOWAIT, 0);
	} else if (!strcmp(mode, "spin")) {
		for (;;)
			__asm__ volatile("" ::: "memory");
	} else if (!strcmp(mode, "hang")) {
		ixev_run(&hang_handlers, 7);
	} else if (!strcmp(mode, "resend")) {
		ixev_run(&resend_handlers, 7);
	} else if (!strcmp(mode, "snoop") && argc > 2 && argv[2][0]) {
		snoop_marker = argv[2];
		ixev_run(&snoop_handlers, 7);
	} else if (!strcmp(mode, "module")) {
		module_checks();
	} else if (!strcmp(mode, "div0")) {
		volatile int zero = 0;
		sink = (unsigned long)(100 / zero);
	} else {
		printf("hostile: unknown mode '%s'\n", mode);
		return 2;
	}
	printf("hostile: %s was not stopped\n", mode);
	return 1;
}
