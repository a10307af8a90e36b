/* PCI and PCIe configuration space: enumeration, BARs, bus mastering, MSI-X. */
#ifndef IXOS_PCI_H
#define IXOS_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct acpi_info;

#define PCI_MAX_DEVS 64

#define PCI_BAR_IO (1u << 0)
#define PCI_BAR_64 (1u << 1)
#define PCI_BAR_PREFETCH (1u << 2)

struct pci_bar {
	uint64_t addr; /* bus address (I/O port for I/O BARs) */
	uint64_t size; /* 0: not implemented */
	uint32_t flags;
};

struct pci_dev {
	uint16_t seg;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, progif;
	struct pci_bar bar[6];
	uint8_t msix_cap;      /* config offset of the MSI-X capability, 0 if none */
	uint16_t msix_size;    /* table entries */
	volatile uint32_t *msix_table;
	bool ecam;	       /* reached through ECAM (else the legacy 0xcf8 ports) */
	volatile uint8_t *cfg; /* ECAM window of this function */
};

extern struct pci_dev pci_devs[PCI_MAX_DEVS];
extern unsigned pci_ndevs;

/*
 * Enumerates every bus reachable from the host bridge through ECAM (ACPI MCFG), or the
 * legacy configuration ports when there is none, sizes the BARs, and logs one line per
 * function. Boot CPU, once, after paging and ACPI.
 */
void pci_init(const struct acpi_info *ai);

uint32_t pci_read32(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);

/* Returns the n-th function with vendor:device (n from 0), or NULL. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned n);

/* Turns on memory decoding and bus mastering (DMA). */
void pci_enable(struct pci_dev *d);

/* Maps memory BAR i uncached; returns the pointer or NULL (I/O BAR, absent, no memory). */
volatile void *pci_map_bar(struct pci_dev *d, unsigned i);

/*
 * Enables MSI-X with every entry masked (legacy INTx off). Returns the number of table
 * entries, or -1 when the function has no MSI-X or its table cannot be mapped.
 */
int pci_msix_enable(struct pci_dev *d);
/* Points table entry e at vector on the CPU with apic_id, and unmasks it (or masks it). */
int pci_msix_route(struct pci_dev *d, unsigned e, uint32_t apic_id, uint8_t vector, bool on);

#endif
