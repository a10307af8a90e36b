/*
 * libFuzzer target for the DHCP parser and client (net/dhcp.c, net/dhcp_client.c): the input
 * is one received Ethernet frame. It is parsed on its own, with every field it reports checked
 * against what a well-formed reply allows, and then given to a client in each state that takes
 * replies (selecting, requesting, renewing), whose sends must stay valid frames. Inputs whose
 * transaction id and client address happen to match drive the state machine further. Built
 * and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/dhcp.h"
#include "net/dhcp_client.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static uint32_t rnd;

static int f_send(void *arg, const uint8_t *frame, size_t len)
{
	(void)arg;
	/* What the client sends is a frame of ours: never longer than the builder's bound. */
	if (len == 0 || len > DHCP_FRAME_MAX || frame[12] != 0x08)
		__builtin_trap();
	return 0;
}

static void f_apply(void *arg, uint32_t ip, unsigned prefix, uint32_t gw)
{
	(void)arg;
	(void)ip;
	(void)gw;
	if (prefix > 32)
		__builtin_trap();
}

static void f_log(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	if (strlen(msg) >= 192)
		__builtin_trap();
}

static uint32_t f_rand(void *arg)
{
	(void)arg;
	return rnd = rnd * 1103515245u + 12345u;
}

static const struct dhcp_client_ops ops = {f_send, f_apply, f_log, f_rand};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_in in;
	enum dhcp_parse_result r = dhcp_parse(data, size, &in);

	if (r == DHCP_PARSE_OK && (in.type == 0 || (in.has_mask && in.prefix > 32)))
		__builtin_trap();
	if (r != DHCP_PARSE_NOT_DHCP && !dhcp_is_client_frame(data, size))
		__builtin_trap();

	/* The frame's own xid (if it has one where a reply keeps it), so matches happen. */
	uint32_t xid = r == DHCP_PARSE_OK ? in.xid : 1;
	for (int st = 0; st < 3; st++) {
		struct dhcp_client c = {.name = "fuzz", .ops = &ops};
		memcpy(c.mac, mac, 6);
		rnd = xid;
		dhcp_client_start(&c, 0);
		c.xid = xid;
		if (st >= 1) {
			c.state = DHCP_S_REQUESTING;
			c.offer_ip = 0x0a00020f;
			c.offer_server = 0x0a000202;
		}
		if (st == 2) {
			c.state = DHCP_S_RENEWING;
			c.ip = 0x0a00020f;
			c.server = 0x0a000202;
			c.t2_us = 100000000;
			c.expire_us = 200000000;
		}
		dhcp_client_input(&c, data, size, 1000);
		dhcp_client_input(&c, data, size, 2000); /* the same frame again: a duplicate */
		dhcp_client_tick(&c, 300000000);	 /* every timer due at once */
		dhcp_client_tick(&c, 600000000);
	}
	return 0;
}
