/* 16550 UART, polled. Register offsets from the 16550D data sheet. */
#include "kernel/serial.h"
#include "kernel/x86.h"

#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_LCR_8N1 0x03
#define UART_LCR_DLAB 0x80
#define UART_MCR 4 /* modem control */
#define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_LSR 5 /* line status */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */

void serial_init(uint16_t port)
{
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, UART_LCR_DLAB);
	outb(port + UART_DLL, 1); /* 115200 / 1 */
	outb(port + UART_DLM, 0);
	outb(port + UART_LCR, UART_LCR_8N1);
	outb(port + UART_FCR, 0xc7); /* enable, clear both FIFOs, 14-byte trigger */
	outb(port + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

static void serial_putc(uint16_t port, char c)
{
	/* Bounded wait: a missing UART reads 0xff (THRE set), a stuck one must not hang us. */
	for (int i = 0; i < 100000 && !(inb(port + UART_LSR) & UART_LSR_THRE); i++)
		cpu_pause();
	outb(port + UART_THR, (uint8_t)c);
}

void serial_write(uint16_t port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc(port, '\r');
		serial_putc(port, s[i]);
	}
}

#define UART_RBR 0 /* receive buffer (DLAB=0) */
#define UART_IER_RX 0x01
#define UART_LSR_DR 0x01 /* data ready */

void serial_rx_irq(uint16_t port, bool on)
{
	outb(port + UART_IER, on ? UART_IER_RX : 0);
}

int serial_getc(uint16_t port)
{
	if (!(inb(port + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(port + UART_RBR);
}

void serial_write_raw(uint16_t port, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(port, (char)s[i]);
}

#define UART_SCR 7 /* scratch */

bool serial_present(uint16_t port)
{
	/* A missing UART reads all ones; a 16550's scratch register keeps what we write. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;
	outb(port + UART_SCR, 0xa5);
	return inb(port + UART_SCR) == 0xa5;
}
