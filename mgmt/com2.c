/*
 * The management protocol on COM2: SLIP-framed messages (mgmt/proto.h). The UART's receive
 * interrupt (ISA IRQ 3) moves bytes into a ring, so nothing is lost while the management
 * core is busy; the core deframes them when it next polls. Replies are written out polled.
 */
#include "kernel/apic.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/serial.h"
#include "kernel/trap.h"
#include "mgmt/mgmt.h"

#define COM2_IRQ 3
#define VEC_COM2 0x61
#define COM2_RING 8192 /* a power of two */

static uint8_t com2_ring[COM2_RING];
static volatile uint32_t com2_head, com2_tail; /* written by the ISR / by the poller */
static uint64_t com2_overruns;
static struct mgmt_deframer com2_df;
static bool com2_up;

static void com2_irq(struct trapframe *tf)
{
	int c;

	(void)tf;
	/* Drain the FIFO: the interrupt stays asserted while data is waiting (bounded). */
	for (int i = 0; i < 256 && (c = serial_getc(COM2_PORT)) >= 0; i++) {
		if (com2_head - com2_tail == COM2_RING) {
			com2_overruns++;
			continue;
		}
		com2_ring[com2_head % COM2_RING] = (uint8_t)c;
		__atomic_store_n(&com2_head, com2_head + 1, __ATOMIC_RELEASE);
	}
	apic_eoi();
}

static void com2_send(const uint8_t *msg, size_t len, void *arg)
{
	uint8_t frame[MGMT_FRAME_MAX];
	size_t n = mgmt_frame_encode(msg, len, frame, sizeof(frame));

	(void)arg;
	serial_write_raw(COM2_PORT, frame, n);
}

void mgmt_com2_init(void)
{
	if (!serial_present(COM2_PORT)) {
		log_info("mgmt: no COM2: serial management is off");
		return;
	}
	serial_init(COM2_PORT);
	mgmt_deframe_init(&com2_df);
	trap_set_handler(VEC_COM2, com2_irq);
	if (apic_route_isa_irq(COM2_IRQ, VEC_COM2, percpu[0].apic_id)) {
		log_warn("mgmt: COM2's IRQ %u has no IOAPIC route; serial management is off",
			 COM2_IRQ);
		return;
	}
	for (int i = 0; i < 64 && serial_getc(COM2_PORT) >= 0; i++)
		; /* whatever was there before us */
	serial_rx_irq(COM2_PORT, true);
	com2_up = true;
	log_info("mgmt: COM2 at %#x, IRQ %u, SLIP-framed requests", COM2_PORT, COM2_IRQ);
}

void mgmt_com2_poll(void)
{
	if (!com2_up)
		return;
	while (com2_tail != __atomic_load_n(&com2_head, __ATOMIC_ACQUIRE)) {
		uint8_t byte = com2_ring[com2_tail % COM2_RING];
		com2_tail++;
		switch (mgmt_deframe_byte(&com2_df, byte)) {
		case MGMT_DF_FRAME:
			mgmt_handle(com2_df.buf, com2_df.len, true, com2_send, NULL);
			break;
		case MGMT_DF_ERROR:
			mgmt_stats.frame_errors++;
			break;
		default:
			break;
		}
	}
	mgmt_stats.frame_errors += __atomic_exchange_n(&com2_overruns, 0, __ATOMIC_RELAXED);
}
