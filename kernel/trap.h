/* Exceptions and interrupts: the saved frame, handlers, and the fatal-fault report. */
#ifndef IXOS_TRAP_H
#define IXOS_TRAP_H

#include <stdint.h>

/* What kernel/trapentry.S saves, lowest address first. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define VEC_IRQ_BASE 0x20     /* legacy PIC remapped here, then masked */
#define VEC_LAPIC_TIMER 0xf0
#define VEC_IPI_TEST 0xf1
#define VEC_LAPIC_ERROR 0xfe
#define VEC_SPURIOUS 0xff

typedef void (*irq_handler_fn)(struct trapframe *tf);

/* Installs the handler for vector (>= 32). The handler must send the LAPIC EOI itself. */
void trap_set_handler(unsigned vector, irq_handler_fn fn);

/* C entry for every vector (from trapentry.S). */
void trap_dispatch(struct trapframe *tf);

/*
 * Reports a fatal condition and stops the machine: message, registers (if tf), backtrace on
 * COM1; every other CPU is stopped with an NMI; this CPU halts.
 */
__attribute__((noreturn)) void trap_fatal(const char *msg, struct trapframe *tf);
__attribute__((noreturn)) void trap_panic_stop(const char *msg);

/* Prints a backtrace starting at frame pointer rbp (kernel addresses only, bounded). */
void trap_backtrace(uint64_t rip, uint64_t rbp);

/* Looks up the kernel function containing addr: its name and the offset, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
