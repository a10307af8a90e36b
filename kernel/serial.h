/* 16550 UARTs: COM1 is the console (boot log, panics), COM2 belongs to management. */
#ifndef IXOS_SERIAL_H
#define IXOS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT 0x3f8
#define COM2_PORT 0x2f8

/* Programs the UART at port for 115200 8N1, FIFOs on, interrupts off. */
void serial_init(uint16_t port);
/* Writes n bytes, turning "\n" into "\r\n". Polls; safe in any context, takes no lock. */
void serial_write(uint16_t port, const char *s, size_t n);

/* Enables (or disables) the receive-data interrupt (the IRQ line must be routed too). */
void serial_rx_irq(uint16_t port, bool on);
/* Whether a UART answers at port. */
bool serial_present(uint16_t port);
/* One received byte, or -1 if none is waiting. */
int serial_getc(uint16_t port);
/* Writes n bytes as they are (no newline translation): binary protocols. Polls. */
void serial_write_raw(uint16_t port, const uint8_t *s, size_t n);

#endif
