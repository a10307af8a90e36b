/*
 * The echo service (RFC 862) on TCP and UDP port 7. TCP echo respects flow control both
 * ways: received data is acknowledged to the peer (tcp_recved) only as it is queued back, so
 * a client that does not read stalls its own sending instead of filling our memory.
 */
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "net/stack/echo.h"

struct echo_conn {
	struct tcp_pcb *pcb;
	struct pbuf *pending; /* received, not yet queued for sending back */
	bool closing;	      /* the peer has closed its side */
};

LWIP_MEMPOOL_DECLARE(ECHO_CONN, MEMP_NUM_TCP_PCB, sizeof(struct echo_conn), "echo conns")

static struct stack_ctx *echo_ctx;

static void echo_free(struct echo_conn *c)
{
	if (c->pending)
		pbuf_free(c->pending);
	LWIP_MEMPOOL_FREE(ECHO_CONN, c);
}

static void echo_close(struct echo_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	echo_free(c);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

/* Queues as much pending data as the send buffer takes; returns false if c was closed. */
static bool echo_pump(struct echo_conn *c)
{
	while (c->pending) {
		struct pbuf *p = c->pending;
		if (p->len == 0) {
			c->pending = pbuf_dechain(p);
			pbuf_free(p);
			continue;
		}
		u16_t n = LWIP_MIN(p->len, tcp_sndbuf(c->pcb));
		if (n == 0 || tcp_write(c->pcb, p->payload, n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		c->pending = pbuf_free_header(p, n);
		tcp_recved(c->pcb, n);
	}
	tcp_output(c->pcb);
	if (!c->pending && c->closing) {
		echo_close(c);
		return false;
	}
	return true;
}

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct echo_conn *c = arg;

	(void)pcb;
	if (err != ERR_OK || !c) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		c->closing = true;
	} else if (c->pending) {
		pbuf_cat(c->pending, p);
	} else {
		c->pending = p;
	}
	echo_pump(c);
	return ERR_OK;
}

static err_t echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	if (arg)
		echo_pump(arg);
	return ERR_OK;
}

static void echo_err(void *arg, err_t err)
{
	(void)err;
	if (arg)
		echo_free(arg); /* lwIP has already freed the pcb */
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct echo_conn *c;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	c = LWIP_MEMPOOL_ALLOC(ECHO_CONN);
	if (!c) {
		echo_ctx->st->tcp_refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->pending = NULL;
	c->closing = false;
	echo_ctx->st->tcp_accepted++;
	tcp_arg(pcb, c);
	tcp_recv(pcb, echo_recv);
	tcp_sent(pcb, echo_sent);
	tcp_err(pcb, echo_err);
	return ERR_OK;
}

static void echo_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			  u16_t port)
{
	(void)arg;
	if (udp_sendto(pcb, p, addr, port) == ERR_OK)
		echo_ctx->st->udp_echoed++;
	pbuf_free(p);
}

unsigned echo_export(struct tcp_pcb *pcb, uint8_t *buf, unsigned max, bool *closing)
{
	struct echo_conn *c = pcb->callback_arg;
	unsigned n;

	*closing = false;
	if (!c)
		return 0;
	n = c->pending ? c->pending->tot_len : 0;
	if (max == 0)
		return n;
	if (n)
		pbuf_copy_partial(c->pending, buf, (u16_t)(n < max ? n : max), 0);
	*closing = c->closing;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	echo_free(c);
	return n;
}

int echo_adopt(struct tcp_pcb *pcb, const uint8_t *pending, unsigned len, bool closing)
{
	struct echo_conn *c = LWIP_MEMPOOL_ALLOC(ECHO_CONN);

	if (!c)
		return -1;
	c->pcb = pcb;
	c->closing = closing;
	c->pending = NULL;
	if (len) {
		c->pending = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
		if (!c->pending) {
			LWIP_MEMPOOL_FREE(ECHO_CONN, c);
			return -1;
		}
		pbuf_take(c->pending, pending, (u16_t)len);
	}
	tcp_arg(pcb, c);
	tcp_recv(pcb, echo_recv);
	tcp_sent(pcb, echo_sent);
	tcp_err(pcb, echo_err);
	echo_pump(c);
	return 0;
}

int echo_init(struct stack_ctx *ctx)
{
	struct tcp_pcb *pcb = tcp_new();
	struct udp_pcb *u = udp_new();

	echo_ctx = ctx;
	LWIP_MEMPOOL_INIT(ECHO_CONN);
	if (!pcb || !u || tcp_bind(pcb, IP_ADDR_ANY, ECHO_PORT) != ERR_OK ||
	    udp_bind(u, IP_ADDR_ANY, ECHO_PORT) != ERR_OK)
		return -1;
	pcb = tcp_listen(pcb);
	if (!pcb)
		return -1;
	tcp_accept(pcb, echo_accept);
	udp_recv(u, echo_udp_recv, NULL);
	return 0;
}
