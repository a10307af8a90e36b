/* PCI enumeration (PCI Local Bus 3.0, PCIe base spec 7.2.2 ECAM; MSI-X: PCI 3.0 6.8.2). */
#include "kernel/pci.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/log.h"
#include "kernel/paging.h"
#include "kernel/x86.h"

#define PCI_VENDOR 0x00
#define PCI_COMMAND 0x04
#define PCI_CMD_IO (1u << 0)
#define PCI_CMD_MEM (1u << 1)
#define PCI_CMD_MASTER (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)
#define PCI_STATUS 0x06
#define PCI_STATUS_CAPS (1u << 4)
#define PCI_CLASS 0x08 /* revision, prog-if, subclass, class */
#define PCI_HEADER 0x0e
#define PCI_HEADER_MULTI 0x80
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) header */
#define PCI_CAP_PTR 0x34
#define PCI_CAP_MSIX 0x11
#define MSIX_CTRL 2		    /* message control: 10:0 size-1, 14 mask all, 15 enable */
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_CTRL_MASKALL (1u << 14)
#define MSIX_TABLE 4		    /* 2:0 BAR, 31:3 offset */
#define MSIX_ENTRY_SIZE 16
#define MSIX_VECTOR_MASKED 1u

#define LEGACY_ADDR 0xcf8
#define LEGACY_DATA 0xcfc

struct pci_dev pci_devs[PCI_MAX_DEVS];
unsigned pci_ndevs;
static const struct acpi_mcfg *ecam_win;
static unsigned pci_dropped;

static volatile uint8_t *ecam_map(uint8_t bus, uint8_t dev, uint8_t fn)
{
	if (!ecam_win || bus < ecam_win->bus_start || bus > ecam_win->bus_end)
		return NULL;
	uint64_t a = ecam_win->base + ((uint64_t)(bus - ecam_win->bus_start) << 20) +
		     ((uint64_t)dev << 15) + ((uint64_t)fn << 12);
	return mmio_map(a, 4096);
}

static uint32_t legacy_read(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	outl(LEGACY_ADDR, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	return inl(LEGACY_DATA);
}

static void legacy_write(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off, uint32_t v)
{
	outl(LEGACY_ADDR, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
	outl(LEGACY_DATA, v);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	if (d->cfg)
		return *(volatile uint32_t *)(d->cfg + (off & ~3u));
	return legacy_read(d->bus, d->dev, d->fn, off);
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	if (d->cfg)
		*(volatile uint32_t *)(d->cfg + (off & ~3u)) = v;
	else
		legacy_write(d->bus, d->dev, d->fn, off, v);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return pci_read32(d, off & ~3u) >> ((off & 2) * 8);
}

void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	uint32_t w = pci_read32(d, off & ~3u), shift = (off & 2) * 8;

	/* The status register's bits are write-1-to-clear: never write back what we read. */
	if ((off & ~3u) == PCI_COMMAND)
		w &= 0x0000ffff;
	w = (w & ~(0xffffu << shift)) | (uint32_t)v << shift;
	pci_write32(d, off & ~3u, w);
}

static void pci_size_bars(struct pci_dev *d, unsigned nbars)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);

	/* Sizing writes all-ones to the BAR: decoding stays off meanwhile. */
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned i = 0; i < nbars; i++) {
		unsigned off = PCI_BAR0 + 4 * i;
		uint32_t orig = pci_read32(d, off);
		struct pci_bar *b = &d->bar[i];

		pci_write32(d, off, 0xffffffff);
		uint32_t mask = pci_read32(d, off);
		pci_write32(d, off, orig);
		if (orig & 1) {
			b->flags = PCI_BAR_IO;
			b->addr = orig & ~3u;
			mask &= ~3u;
			b->size = mask ? (uint16_t)(~mask + 1) : 0;
			continue;
		}
		uint64_t addr = orig & ~0xfu, m = mask & ~0xfu;
		if (orig & 8)
			b->flags |= PCI_BAR_PREFETCH;
		if (((orig >> 1) & 3) == 2 && i + 1 < nbars) {
			uint32_t hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, 0xffffffff);
			uint32_t mhi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, hi);
			addr |= (uint64_t)hi << 32;
			m |= (uint64_t)mhi << 32;
			b->flags |= PCI_BAR_64;
			b->addr = addr;
			b->size = m ? ~m + 1 : 0;
			i++;
			continue;
		}
		b->addr = addr;
		b->size = m ? (uint32_t)(~(uint32_t)m + 1) : 0;
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

static void pci_find_msix(struct pci_dev *d)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
		return;
	unsigned p = pci_read32(d, PCI_CAP_PTR) & 0xfc;
	for (int guard = 0; p && guard < 48; guard++) {
		uint32_t h = pci_read32(d, p);
		if ((h & 0xff) == PCI_CAP_MSIX) {
			d->msix_cap = p;
			d->msix_size = ((h >> 16) & 0x7ff) + 1;
			return;
		}
		p = (h >> 8) & 0xfc;
	}
}

static void pci_scan_bus(uint8_t bus, int depth);

static void pci_probe(uint8_t bus, uint8_t dev, uint8_t fn, int depth)
{
	struct pci_dev tmp = {.bus = bus, .dev = dev, .fn = fn};

	tmp.cfg = ecam_map(bus, dev, fn);
	tmp.ecam = tmp.cfg != NULL;
	uint32_t id = pci_read32(&tmp, PCI_VENDOR);
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return;
	tmp.vendor = id & 0xffff;
	tmp.device = id >> 16;
	uint32_t cls = pci_read32(&tmp, PCI_CLASS);
	tmp.class = cls >> 24;
	tmp.subclass = cls >> 16;
	tmp.progif = cls >> 8;
	uint8_t htype = (pci_read32(&tmp, 0x0c) >> 16) & 0x7f;

	pci_size_bars(&tmp, htype == 0 ? 6 : htype == 1 ? 2 : 0);
	pci_find_msix(&tmp);
	if (pci_ndevs < PCI_MAX_DEVS)
		pci_devs[pci_ndevs++] = tmp;
	else
		pci_dropped++;
	if (htype == 1 && depth < 8) {
		uint8_t sec = pci_read32(&tmp, 0x18) >> 8;
		if (sec > bus)
			pci_scan_bus(sec, depth + 1);
	}
}

static void pci_scan_bus(uint8_t bus, int depth)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		struct pci_dev f0 = {.bus = bus, .dev = dev};
		f0.cfg = ecam_map(bus, dev, 0);
		uint32_t id = pci_read32(&f0, PCI_VENDOR);
		if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
			continue;
		bool multi = (pci_read32(&f0, 0x0c) >> 16) & PCI_HEADER_MULTI;
		for (uint8_t fn = 0; fn < (multi ? 8 : 1); fn++)
			pci_probe(bus, dev, fn, depth);
	}
}

static const char *pci_class_name(const struct pci_dev *d)
{
	switch (d->class) {
	case 0x01:
		return "storage";
	case 0x02:
		return d->subclass == 0 ? "Ethernet" : "network";
	case 0x03:
		return "display";
	case 0x06:
		return d->subclass == 4 ? "PCI bridge" : "bridge";
	case 0x0c:
		return "serial bus";
	}
	return "device";
}

void pci_init(const struct acpi_info *ai)
{
	for (unsigned i = 0; i < ai->nmcfg; i++)
		if (ai->mcfg[i].segment == 0 && ai->mcfg[i].bus_start == 0)
			ecam_win = &ai->mcfg[i];
	pci_scan_bus(0, 0);
	log_info("pci: %u functions via %s", pci_ndevs,
		 ecam_win ? "ECAM" : "legacy configuration ports");
	for (unsigned i = 0; i < pci_ndevs; i++) {
		const struct pci_dev *d = &pci_devs[i];
		const struct pci_bar *b0 = &d->bar[0];
		log_info("pci: %02x:%02x.%x %04x:%04x %s (class %02x.%02x)%s%s", d->bus, d->dev,
			 d->fn, d->vendor, d->device, pci_class_name(d), d->class, d->subclass,
			 b0->size && !(b0->flags & PCI_BAR_IO) ? ", BAR0 memory" : "",
			 d->msix_cap ? ", MSI-X" : "");
	}
	if (pci_dropped)
		log_warn("pci: %u functions beyond the first %u not recorded", pci_dropped,
			 PCI_MAX_DEVS);
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned n)
{
	for (unsigned i = 0; i < pci_ndevs; i++)
		if (pci_devs[i].vendor == vendor && pci_devs[i].device == device && n-- == 0)
			return &pci_devs[i];
	return NULL;
}

void pci_enable(struct pci_dev *d)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_CMD_MEM | PCI_CMD_MASTER);
}

volatile void *pci_map_bar(struct pci_dev *d, unsigned i)
{
	const struct pci_bar *b = &d->bar[i];

	if (i >= 6 || !b->size || (b->flags & PCI_BAR_IO) || !b->addr)
		return NULL;
	return mmio_map(b->addr, b->size);
}

int pci_msix_enable(struct pci_dev *d)
{
	if (!d->msix_cap)
		return -1;
	uint32_t t = pci_read32(d, d->msix_cap + MSIX_TABLE);
	unsigned bir = t & 7;
	uint64_t off = t & ~7u;
	if (bir >= 6 || !d->bar[bir].size)
		return -1;
	volatile uint8_t *bar = pci_map_bar(d, bir);
	if (!bar)
		return -1;
	d->msix_table = (volatile uint32_t *)(bar + off);
	for (unsigned e = 0; e < d->msix_size; e++)
		d->msix_table[e * 4 + 3] = MSIX_VECTOR_MASKED;
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_CMD_INTX_OFF);
	uint16_t ctrl = pci_read16(d, d->msix_cap + MSIX_CTRL);
	pci_write16(d, d->msix_cap + MSIX_CTRL, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASKALL);
	return d->msix_size;
}

int pci_msix_route(struct pci_dev *d, unsigned e, uint32_t apic_id, uint8_t vector, bool on)
{
	if (!d->msix_table || e >= d->msix_size)
		return -1;
	volatile uint32_t *ent = d->msix_table + e * 4;
	/* Mask while changing the message, so a half-written one is never sent. */
	ent[3] = MSIX_VECTOR_MASKED;
	ent[0] = 0xfee00000u | (apic_id & 0xff) << 12; /* fixed delivery, physical destination */
	ent[1] = 0;
	ent[2] = vector;
	if (on)
		ent[3] = 0;
	return 0;
}
