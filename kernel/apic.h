/* Local APIC (x2APIC when the CPU has it, else xAPIC), I/O APIC masking, legacy PIC off. */
#ifndef IXOS_APIC_H
#define IXOS_APIC_H

#include <stdbool.h>
#include <stdint.h>

struct acpi_info;

/* Boot CPU: masks the 8259 PICs and every IOAPIC input, picks x2APIC or xAPIC. */
void apic_init(const struct acpi_info *ai);
/* Enables this CPU's LAPIC (spurious vector, error vector, task priority 0). Every CPU. */
void apic_enable_local(void);
uint32_t apic_id(void);
bool apic_is_x2(void);
void apic_eoi(void);
/* Sends INIT, then two STARTUPs at vector page (phys >> 12), with the delays the MP spec asks. */
void apic_start_ap(uint32_t apic_id, uint8_t page);
/* Sends an NMI to every other CPU (a no-op before apic_init). */
void apic_nmi_others(void);
/* Sends a fixed interrupt with vector to one CPU. */
void apic_send_ipi(uint32_t apic_id, uint8_t vector);

/* LAPIC timer (Intel SDM vol. 3A, 11.5.4): divide-by-16 counts of the bus clock. */
void apic_timer_periodic(uint8_t vector, uint32_t initial_count);
void apic_timer_stop(void);
uint32_t apic_timer_current(void);
void apic_timer_oneshot_max(void);

/*
 * Routes ISA interrupt irq (through the MADT's overrides) to vector on the CPU with local APIC
 * id dest_apic_id, physical destination, fixed delivery. 0, or -1 if no IOAPIC serves it.
 */
int apic_route_isa_irq(unsigned irq, uint8_t vector, uint32_t dest_apic_id);

#endif
