/* 16550 UARTs: COM1 is the console (boot log, panics), COM2 belongs to management. */
#ifndef IXOS_SERIAL_H
#define IXOS_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define COM1_PORT 0x3f8
#define COM2_PORT 0x2f8

/* Programs the UART at port for 115200 8N1, FIFOs on, interrupts off. */
void serial_init(uint16_t port);
/* Writes n bytes, turning "\n" into "\r\n". Polls; safe in any context, takes no lock. */
void serial_write(uint16_t port, const char *s, size_t n);

#endif
