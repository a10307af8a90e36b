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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
