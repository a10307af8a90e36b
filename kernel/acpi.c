/*
 * ACPI table parsing: RSDP, RSDT/XSDT, MADT, MCFG and FADT. Everything is read byte by byte
 * through the caller's map function, because firmware tables are unaligned and may be
 * malformed; no read goes past the length that was mapped.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/acpi.h"
#include "kernel/lib/printf.h"

#define ACPI_HDR_LEN	 36
#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_LEN 36
/* No real table comes near this; a larger length is garbage, not something to map. */
#define ACPI_MAX_TABLE_LEN (1u << 20)

#define ACPI_EBDA_PTR	   0x40e
#define ACPI_EBDA_SCAN	   1024
#define ACPI_BIOS_START	   0xe0000
#define ACPI_BIOS_LEN	   0x20000
#define ACPI_GAS_SYSTEM_IO 1

struct acpi_walk {
	acpi_map_fn map;
	void *ctx;
	struct acpi_info *info;
	char *err;
	size_t errlen;
	unsigned extra_ioapics, extra_isos; /* reported once, after the MADT walk */
};

static uint16_t acpi_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t acpi_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t acpi_rd64(const uint8_t *p)
{
	return (uint64_t)acpi_rd32(p) | (uint64_t)acpi_rd32(p + 4) << 32;
}

static bool acpi_sig_is(const uint8_t *p, const char *sig, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)sig[i])
			return false;
	return true;
}

/* Appends a sentence to the caller's error buffer, "; "-separated, truncating if full. */
static void acpi_note(struct acpi_walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void acpi_note(struct acpi_walk *w, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (!w->err || w->errlen == 0)
		return;
	while (n < w->errlen && w->err[n])
		n++;
	if (n > 0 && n + 1 < w->errlen)
		n += (size_t)ksnprintf(w->err + n, w->errlen - n, "; ");
	if (n + 1 >= w->errlen)
		return;
	va_start(ap, fmt);
	kvsnprintf(w->err + n, w->errlen - n, fmt, ap);
	va_end(ap);
}

/* A printable copy of a 4-byte signature for messages. */
static void acpi_sig_str(const uint8_t *p, char out[5])
{
	int i;

	for (i = 0; i < 4; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[4] = '\0';
}

bool acpi_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return sum == 0;
}

/* avail is how many bytes may be read at p; the v2 part is read only for revision >= 2. */
static bool acpi_rsdp_valid(const uint8_t *p, size_t avail)
{
	if (avail < ACPI_RSDP_V1_LEN || !acpi_sig_is(p, "RSD PTR ", 8) ||
	    !acpi_checksum_ok(p, ACPI_RSDP_V1_LEN))
		return false;
	if (p[15] < 2)
		return true;
	/*
	 * The extended checksum covers the 36 bytes every revision so far defines; the Length
	 * field is not trusted to say how much to read.
	 */
	return avail >= ACPI_RSDP_V2_LEN && acpi_checksum_ok(p, ACPI_RSDP_V2_LEN);
}

static uint64_t acpi_scan(acpi_map_fn map, void *ctx, uint64_t base, size_t len)
{
	const uint8_t *p = map(base, len, ctx);
	size_t off;

	if (!p)
		return 0;
	for (off = 0; off + ACPI_RSDP_V1_LEN <= len; off += 16)
		if (acpi_rsdp_valid(p + off, len - off))
			return base + off;
	return 0;
}

uint64_t acpi_find_rsdp(acpi_map_fn map, void *ctx)
{
	const uint8_t *bda = map(ACPI_EBDA_PTR, 2, ctx);
	uint64_t found;

	if (bda) {
		uint64_t ebda = (uint64_t)acpi_rd16(bda) << 4;

		/* Only a segment in conventional memory below the video hole is plausible. */
		if (ebda >= 0x400 && ebda + ACPI_EBDA_SCAN <= 0xa0000) {
			found = acpi_scan(map, ctx, ebda, ACPI_EBDA_SCAN);
			if (found)
				return found;
		}
	}
	return acpi_scan(map, ctx, ACPI_BIOS_START, ACPI_BIOS_LEN);
}

/* Maps the whole table at phys after checking its length and checksum; NULL with a note. */
static const uint8_t *acpi_map_table(struct acpi_walk *w, uint64_t phys, uint32_t *len_out)
{
	const uint8_t *t = w->map(phys, ACPI_HDR_LEN, w->ctx);
	unsigned long long a = phys;
	uint32_t len;
	char sig[5];

	if (!t) {
		acpi_note(w, "cannot map the table header at 0x%llx", a);
		return NULL;
	}
	acpi_sig_str(t, sig);
	len = acpi_rd32(t + 4);
	if (len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE_LEN) {
		acpi_note(w, "table %s at 0x%llx has implausible length %u; skipped", sig, a, len);
		return NULL;
	}
	t = w->map(phys, len, w->ctx);
	if (!t) {
		acpi_note(w, "cannot map the %u bytes of table %s at 0x%llx; skipped", len, sig, a);
		return NULL;
	}
	if (!acpi_checksum_ok(t, len)) {
		acpi_note(w, "table %s at 0x%llx has a bad checksum; skipped", sig, a);
		return NULL;
	}
	*len_out = len;
	return t;
}

static void acpi_add_cpu(struct acpi_info *info, uint32_t apic_id, uint32_t uid, uint32_t flags)
{
	unsigned i;

	if (!(flags & 3))
		return; /* neither enabled nor online-capable: not usable */
	/* Firmware may describe one CPU by both a local APIC and an x2APIC entry. */
	for (i = 0; i < info->ncpus; i++)
		if (info->cpus[i].apic_id == apic_id)
			return;
	if (info->ncpus == ACPI_MAX_CPUS) {
		info->cpus_dropped++;
		return;
	}
	info->cpus[info->ncpus++] = (struct acpi_cpu){
	    .apic_id = apic_id,
	    .acpi_uid = uid,
	    .enabled = flags & 1,
	    .online_capable = (flags & 2) != 0,
	};
}

static void acpi_madt_entry(struct acpi_walk *w, const uint8_t *e)
{
	struct acpi_info *info = w->info;

	switch (e[0]) {
	case 0: /* processor local APIC */
		acpi_add_cpu(info, e[3], e[2], acpi_rd32(e + 4));
		break;
	case 1: /* I/O APIC */
		if (info->nioapics == ACPI_MAX_IOAPICS) {
			w->extra_ioapics++;
			break;
		}
		info->ioapics[info->nioapics++] = (struct acpi_ioapic){
		    .id = e[2],
		    .addr = acpi_rd32(e + 4),
		    .gsi_base = acpi_rd32(e + 8),
		};
		break;
	case 2: /* interrupt source override */
		if (info->niso == ACPI_MAX_ISO) {
			w->extra_isos++;
			break;
		}
		info->isos[info->niso++] = (struct acpi_iso){
		    .bus = e[2],
		    .source = e[3],
		    .gsi = acpi_rd32(e + 4),
		    .flags = acpi_rd16(e + 8),
		};
		break;
	case 5: /* local APIC address override */
		info->lapic_addr = acpi_rd64(e + 4);
		break;
	case 9: /* processor local x2APIC */
		acpi_add_cpu(info, acpi_rd32(e + 4), acpi_rd32(e + 12), acpi_rd32(e + 8));
		break;
	}
}

static void acpi_parse_madt(struct acpi_walk *w, const uint8_t *t, uint32_t len)
{
	/* Smallest length of each entry type we read, indexed by type. */
	static const uint8_t min_len[10] = {[0] = 8, [1] = 12, [2] = 10, [5] = 12, [9] = 16};
	uint32_t off;

	if (len < ACPI_HDR_LEN + 8) {
		acpi_note(w, "MADT is only %u bytes long; skipped", len);
		return;
	}
	w->info->have_madt = true;
	w->info->lapic_addr = acpi_rd32(t + 36);
	w->info->pcat_compat = acpi_rd32(t + 40) & 1;

	for (off = ACPI_HDR_LEN + 8; off < len;) {
		uint8_t type, elen;

		if (len - off < 2) {
			acpi_note(w, "MADT entry at offset %u runs past the table; rest ignored",
				  off);
			break;
		}
		type = t[off];
		elen = t[off + 1];
		if (elen < 2 || elen > len - off) {
			acpi_note(w,
				  "MADT entry type %u at offset %u has bad length %u; rest ignored",
				  type, off, elen);
			break;
		}
		if (type < sizeof(min_len) && elen < min_len[type])
			acpi_note(w, "MADT entry type %u at offset %u is only %u bytes; skipped",
				  type, off, elen);
		else
			acpi_madt_entry(w, t + off);
		off += elen;
	}
	if (w->extra_ioapics)
		acpi_note(w, "MADT lists %u I/O APICs beyond the %d kept; ignored",
			  w->extra_ioapics, ACPI_MAX_IOAPICS);
	if (w->extra_isos)
		acpi_note(w, "MADT lists %u interrupt source overrides beyond the %d kept; ignored",
			  w->extra_isos, ACPI_MAX_ISO);
}

static void acpi_parse_mcfg(struct acpi_walk *w, const uint8_t *t, uint32_t len)
{
	struct acpi_info *info = w->info;
	uint32_t off;

	/* The header is followed by 8 reserved bytes, then 16-byte allocation entries. */
	if (len < ACPI_HDR_LEN + 8) {
		acpi_note(w, "MCFG is only %u bytes long; skipped", len);
		return;
	}
	info->have_mcfg = true;
	for (off = ACPI_HDR_LEN + 8; len - off >= 16; off += 16) {
		const uint8_t *e = t + off;

		if (info->nmcfg == ACPI_MAX_MCFG) {
			acpi_note(w, "MCFG lists more than %d windows; extra ones ignored",
				  ACPI_MAX_MCFG);
			return;
		}
		info->mcfg[info->nmcfg++] = (struct acpi_mcfg){
		    .base = acpi_rd64(e),
		    .segment = acpi_rd16(e + 8),
		    .bus_start = e[10],
		    .bus_end = e[11],
		};
	}
}

static void acpi_parse_fadt(struct acpi_walk *w, const uint8_t *t, uint32_t len)
{
	struct acpi_info *info = w->info;

	info->have_fadt = true;
	if (len >= 80)
		info->pm_timer_port = acpi_rd32(t + 76); /* PM_TMR_BLK */
	if (len >= 116)
		info->pm_timer_32bit = (acpi_rd32(t + 112) >> 8) & 1; /* Flags.TMR_VAL_EXT */
	if (len >= 220 && t[208] == ACPI_GAS_SYSTEM_IO) {
		uint64_t port = acpi_rd64(t + 212); /* X_PM_TMR_BLK.Address */

		/* An I/O port beyond 16 bits is nonsense; keep PM_TMR_BLK then. */
		if (port != 0 && port <= 0xffff)
			info->pm_timer_port = (uint32_t)port;
	}
}

/* Returns the XSDT or RSDT to walk and its entry size, or NULL with notes written. */
static const uint8_t *acpi_root(struct acpi_walk *w, const uint8_t *rsdp, uint32_t *len,
				unsigned *entsize)
{
	uint64_t xsdt = rsdp[15] >= 2 ? acpi_rd64(rsdp + 24) : 0;
	uint32_t rsdt = acpi_rd32(rsdp + 16);
	const uint8_t *t;

	if (xsdt) {
		t = acpi_map_table(w, xsdt, len);
		if (t && acpi_sig_is(t, "XSDT", 4)) {
			*entsize = 8;
			return t;
		}
		if (t)
			acpi_note(w, "XSDT pointer 0x%llx does not lead to an XSDT",
				  (unsigned long long)xsdt);
	}
	if (rsdt) {
		t = acpi_map_table(w, rsdt, len);
		if (t && acpi_sig_is(t, "RSDT", 4)) {
			*entsize = 4;
			return t;
		}
		if (t)
			acpi_note(w, "RSDT pointer 0x%x does not lead to an RSDT", rsdt);
	}
	acpi_note(w, "no usable RSDT or XSDT");
	return NULL;
}

int acpi_parse(uint64_t rsdp_phys, const void *rsdp_copy, acpi_map_fn map, void *ctx,
	       struct acpi_info *info, char *err, size_t errlen)
{
	struct acpi_walk w = {map, ctx, info, err, errlen, 0, 0};
	const uint8_t *rsdp = rsdp_copy, *root;
	uint32_t rlen, i;
	unsigned entsize;

	*info = (struct acpi_info){0};
	if (err && errlen)
		err[0] = '\0';

	if (!rsdp) {
		rsdp = map(rsdp_phys, ACPI_RSDP_V1_LEN, ctx);
		if (rsdp && rsdp[15] >= 2)
			rsdp = map(rsdp_phys, ACPI_RSDP_V2_LEN, ctx);
	}
	/* A copy handed over by the boot loader holds the full structure of its revision. */
	if (!rsdp || !acpi_rsdp_valid(rsdp, rsdp[15] >= 2 ? ACPI_RSDP_V2_LEN : ACPI_RSDP_V1_LEN)) {
		if (rsdp_copy)
			acpi_note(&w, "the boot loader's copy of the RSDP is not valid");
		else
			acpi_note(&w, "no valid RSDP at 0x%llx", (unsigned long long)rsdp_phys);
		return -1;
	}
	root = acpi_root(&w, rsdp, &rlen, &entsize);
	if (!root)
		return -1;
	info->rsdp_revision = rsdp[15];
	for (i = 0; i < 6; i++)
		info->oem_id[i] = (char)rsdp[9 + i];

	for (i = 0; i < (rlen - ACPI_HDR_LEN) / entsize; i++) {
		const uint8_t *e = root + ACPI_HDR_LEN + i * entsize;
		uint64_t phys = entsize == 8 ? acpi_rd64(e) : acpi_rd32(e);
		const uint8_t *h, *t;
		uint32_t len;

		if (!phys)
			continue;
		h = map(phys, ACPI_HDR_LEN, ctx);
		if (!h) {
			acpi_note(&w, "cannot map the table header at 0x%llx",
				  (unsigned long long)phys);
			continue;
		}
		/* The first usable table of each kind counts; later duplicates are ignored. */
		if (acpi_sig_is(h, "APIC", 4) && !info->have_madt) {
			if ((t = acpi_map_table(&w, phys, &len)))
				acpi_parse_madt(&w, t, len);
		} else if (acpi_sig_is(h, "MCFG", 4) && !info->have_mcfg) {
			if ((t = acpi_map_table(&w, phys, &len)))
				acpi_parse_mcfg(&w, t, len);
		} else if (acpi_sig_is(h, "FACP", 4) && !info->have_fadt) {
			if ((t = acpi_map_table(&w, phys, &len)))
				acpi_parse_fadt(&w, t, len);
		}
	}
	return 0;
}
