/* ACPI tables: where the CPUs, the IOAPICs and PCIe configuration space are. */
#ifndef IXOS_ACPI_H
#define IXOS_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISO 16
#define ACPI_MAX_MCFG 4

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
	bool enabled;		/* enabled now (MADT flag bit 0) */
	bool online_capable;	/* may be enabled later (bit 1) */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;
	uint32_t gsi_base;
};

/* An interrupt source override: ISA IRQ source is wired to GSI gsi. */
struct acpi_iso {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;
};

/* One PCIe ECAM window (MCFG allocation). */
struct acpi_mcfg {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_info {
	uint8_t rsdp_revision;
	char oem_id[7];
	uint64_t lapic_addr;	/* from MADT, or its 64-bit override entry */
	bool pcat_compat;	/* MADT flag: legacy 8259s present, mask them */
	unsigned ncpus;		/* entries kept in cpus[] (enabled or online-capable) */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned cpus_dropped;	/* CPUs beyond ACPI_MAX_CPUS, counted not kept */
	unsigned nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned niso;
	struct acpi_iso isos[ACPI_MAX_ISO];
	unsigned nmcfg;
	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
	bool have_madt, have_mcfg, have_fadt;
	uint32_t pm_timer_port;	/* FADT PM_TMR_BLK (I/O port), 0 if none */
	bool pm_timer_32bit;	/* FADT flag TMR_VAL_EXT */
};

/*
 * How the parser reaches physical memory: returns a pointer through which len bytes at phys
 * can be read, or NULL if that range cannot be mapped. The kernel passes its direct map;
 * tests pass a lookup into a synthetic buffer.
 */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len, void *ctx);

/* Returns true if the len bytes at p sum to zero modulo 256. */
bool acpi_checksum_ok(const void *p, size_t len);

/*
 * acpi_find_rsdp scans the EBDA (segment at phys 0x40E) and 0xE0000-0xFFFFF on 16-byte
 * boundaries for a valid "RSD PTR " structure. Returns its physical address or 0.
 */
uint64_t acpi_find_rsdp(acpi_map_fn map, void *ctx);

/*
 * acpi_parse reads the RSDP at rsdp_phys (or the copy at rsdp_copy when non-NULL, as
 * Multiboot2 hands it over), walks the XSDT (revision >= 2) or RSDT, and fills info from the
 * MADT, MCFG and FADT. Tables with a bad checksum or a length running past what map allows are
 * skipped with a reason written to err (if non-NULL) for the caller to log. Returns 0 on
 * success, -1 if no valid RSDP/RSDT was found (info then describes no tables).
 */
int acpi_parse(uint64_t rsdp_phys, const void *rsdp_copy, acpi_map_fn map, void *ctx,
	       struct acpi_info *info, char *err, size_t errlen);

#endif
