/*
 * Host tests for the ACPI parser, on synthetic tables in a fake physical memory. The map
 * function hands out a fresh heap copy of exactly the requested length, so valgrind reports
 * any read past what the parser asked for.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "kernel/acpi.h"

#define MEM_SIZE 0x200000
#define MAX_MAPS 4096

#define P_RSDP	0xe0040
#define P_XSDT	0x100000
#define P_RSDT	0x100400
#define P_MADT	0x101000
#define P_MCFG	0x102000
#define P_FADT	0x103000
#define P_OTHER 0x104000
#define P_MADT2 0x105000

struct fake {
	uint8_t *mem;
	uint64_t deny_lo, deny_hi; /* map refuses ranges touching [deny_lo, deny_hi) */
	bool deny_all;
	unsigned nmaps;
	void *maps[MAX_MAPS];
};

static struct fake F;

static const void *fake_map(uint64_t phys, size_t len, void *ctx)
{
	struct fake *f = ctx;
	void *p;

	assert_ptr_equal(f, &F);
	if (f->deny_all || phys > MEM_SIZE || len > MEM_SIZE - phys)
		return NULL;
	if (phys < f->deny_hi && phys + len > f->deny_lo)
		return NULL;
	assert_true(f->nmaps < MAX_MAPS);
	p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, f->mem + phys, len);
	f->maps[f->nmaps++] = p;
	return p;
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	F.mem = calloc(1, MEM_SIZE);
	return F.mem ? 0 : -1;
}

static int teardown(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < F.nmaps; i++)
		free(F.maps[i]);
	free(F.mem);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Writes a standard table header; seal() fixes the checksum once the body is in place. */
static uint8_t *table(uint64_t phys, const char *sig, uint32_t len)
{
	uint8_t *t = F.mem + phys;

	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = 1;
	memcpy(t + 10, "IXTEST", 6);
	memcpy(t + 16, "IXOSTBL ", 8);
	return t;
}

static void seal(uint8_t *t)
{
	uint32_t len = (uint32_t)t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = (uint8_t)(0 - sum(t, len));
}

static void rsdp(uint64_t phys, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t *p = F.mem + phys;

	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "IXOEM1", 6);
	p[15] = rev;
	put32(p + 16, rsdt);
	p[8] = (uint8_t)(0 - sum(p, 20));
	if (rev >= 2) {
		put32(p + 20, 36);
		put64(p + 24, xsdt);
		p[32] = (uint8_t)(0 - sum(p, 36));
	}
}

static void root(uint64_t phys, bool xsdt, const uint64_t *entries, unsigned n)
{
	unsigned size = xsdt ? 8 : 4, i;
	uint8_t *t = table(phys, xsdt ? "XSDT" : "RSDT", 36 + n * size);

	for (i = 0; i < n; i++) {
		if (xsdt)
			put64(t + 36 + i * 8, entries[i]);
		else
			put32(t + 36 + i * 4, (uint32_t)entries[i]);
	}
	seal(t);
}

/* MADT under construction: entries are appended at len. */
struct madt {
	uint8_t *t;
	uint32_t len;
};

static struct madt madt_begin(uint64_t phys, uint32_t lapic, uint32_t flags)
{
	struct madt m = {table(phys, "APIC", 0), 44};

	put32(m.t + 36, lapic);
	put32(m.t + 40, flags);
	return m;
}

static uint8_t *madt_add(struct madt *m, uint8_t type, uint8_t len)
{
	uint8_t *e = m->t + m->len;

	memset(e, 0, len > 2 ? len : 2);
	e[0] = type;
	e[1] = len;
	m->len += len > 2 ? len : 2;
	return e;
}

static void madt_lapic(struct madt *m, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t *e = madt_add(m, 0, 8);

	e[2] = uid;
	e[3] = id;
	put32(e + 4, flags);
}

static void madt_x2apic(struct madt *m, uint32_t id, uint32_t uid, uint32_t flags)
{
	uint8_t *e = madt_add(m, 9, 16);

	put32(e + 4, id);
	put32(e + 8, flags);
	put32(e + 12, uid);
}

static void madt_ioapic(struct madt *m, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
	uint8_t *e = madt_add(m, 1, 12);

	e[2] = id;
	put32(e + 4, addr);
	put32(e + 8, gsi_base);
}

static void madt_iso(struct madt *m, uint8_t source, uint32_t gsi, uint16_t flags)
{
	uint8_t *e = madt_add(m, 2, 10);

	e[3] = source;
	put32(e + 4, gsi);
	put16(e + 8, flags);
}

static void madt_end(struct madt *m)
{
	put32(m->t + 4, m->len);
	seal(m->t);
}

static void mcfg(uint64_t phys, unsigned n)
{
	uint8_t *t = table(phys, "MCFG", 44 + 16 * n);
	unsigned i;

	for (i = 0; i < n; i++) {
		uint8_t *e = t + 44 + 16 * i;

		put64(e, 0xb0000000ull + 0x10000000ull * i);
		put16(e + 8, (uint16_t)i);
		e[10] = 0;
		e[11] = (uint8_t)(0xff >> i);
	}
	seal(t);
}

/* An FADT of len bytes with PM_TMR_BLK, TMR_VAL_EXT and, if long enough, X_PM_TMR_BLK. */
static void fadt(uint64_t phys, uint32_t len, uint32_t pm_blk, uint8_t x_space, uint64_t x_addr)
{
	uint8_t *t = table(phys, "FACP", len);

	if (len >= 80)
		put32(t + 76, pm_blk);
	if (len >= 116)
		put32(t + 112, 1u << 8 | 1u << 4);
	if (len >= 220) {
		t[208] = x_space;
		t[209] = 32;
		t[211] = 3;
		put64(t + 212, x_addr);
	}
	seal(t);
}

/* The machine most tests start from: 4 CPUs (one disabled), an IOAPIC, two ISOs. */
static void standard_madt(uint64_t phys)
{
	struct madt m = madt_begin(phys, 0xfee00000, 1);

	madt_lapic(&m, 0, 0, 1);
	madt_lapic(&m, 1, 2, 1);
	madt_lapic(&m, 2, 4, 0); /* disabled, not online-capable */
	madt_lapic(&m, 3, 6, 2); /* online-capable */
	madt_ioapic(&m, 8, 0xfec00000, 0);
	madt_iso(&m, 0, 2, 0);
	madt_iso(&m, 9, 9, 0x000d);
	madt_end(&m);
}

static void standard_v1(void)
{
	const uint64_t e[] = {P_OTHER, P_MADT, P_MCFG, P_FADT};

	table(P_OTHER, "SSDT", 40);
	seal(F.mem + P_OTHER);
	standard_madt(P_MADT);
	mcfg(P_MCFG, 1);
	fadt(P_FADT, 116, 0x608, 0, 0);
	root(P_RSDT, false, e, 4);
	rsdp(P_RSDP, 0, P_RSDT, 0);
}

static int parse(struct acpi_info *info, char *err, size_t errlen)
{
	memset(info, 0xa5, sizeof(*info));
	return acpi_parse(P_RSDP, NULL, fake_map, &F, info, err, errlen);
}

static void assert_no_tables(const struct acpi_info *info)
{
	static const struct acpi_info zero;

	assert_memory_equal(info, &zero, sizeof(zero));
}

static void test_checksum(void **state)
{
	uint8_t b[5] = {1, 2, 3, 4, (uint8_t)(0 - 10)};

	(void)state;
	assert_true(acpi_checksum_ok(b, sizeof(b)));
	b[0]++;
	assert_false(acpi_checksum_ok(b, sizeof(b)));
	assert_true(acpi_checksum_ok(b, 0));
}

static void test_v1_rsdt(void **state)
{
	struct acpi_info info;
	char err[256];

	(void)state;
	standard_v1();
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(info.rsdp_revision, 0);
	assert_string_equal(info.oem_id, "IXOEM1");
	assert_true(info.have_madt);
	assert_true(info.pcat_compat);
	assert_int_equal(info.lapic_addr, 0xfee00000);

	assert_int_equal(info.ncpus, 3);
	assert_int_equal(info.cpus_dropped, 0);
	assert_int_equal(info.cpus[0].apic_id, 0);
	assert_true(info.cpus[0].enabled);
	assert_int_equal(info.cpus[1].apic_id, 2);
	assert_int_equal(info.cpus[1].acpi_uid, 1);
	assert_int_equal(info.cpus[2].apic_id, 6);
	assert_false(info.cpus[2].enabled);
	assert_true(info.cpus[2].online_capable);

	assert_int_equal(info.nioapics, 1);
	assert_int_equal(info.ioapics[0].id, 8);
	assert_int_equal(info.ioapics[0].addr, 0xfec00000);
	assert_int_equal(info.ioapics[0].gsi_base, 0);
	assert_int_equal(info.niso, 2);
	assert_int_equal(info.isos[0].source, 0);
	assert_int_equal(info.isos[0].gsi, 2);
	assert_int_equal(info.isos[1].source, 9);
	assert_int_equal(info.isos[1].flags, 0x000d);

	assert_true(info.have_mcfg);
	assert_int_equal(info.nmcfg, 1);
	assert_int_equal(info.mcfg[0].base, 0xb0000000);
	assert_int_equal(info.mcfg[0].bus_end, 0xff);

	assert_true(info.have_fadt);
	assert_int_equal(info.pm_timer_port, 0x608);
	assert_true(info.pm_timer_32bit);
}

static void test_v2_xsdt(void **state)
{
	const uint64_t x[] = {P_MADT, P_FADT, P_MCFG}, r[] = {P_OTHER};
	struct acpi_info info;
	struct madt m;
	char err[256];
	uint8_t *ov;

	(void)state;
	m = madt_begin(P_MADT, 0xfee00000, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_x2apic(&m, 300, 77, 1);
	madt_x2apic(&m, 0, 0, 1); /* the same CPU as the local APIC entry */
	ov = madt_add(&m, 5, 12);
	put64(ov + 4, 0x1fee00000ull);
	madt_ioapic(&m, 0, 0xfec00000, 0);
	madt_ioapic(&m, 1, 0xfec01000, 24);
	madt_end(&m);
	mcfg(P_MCFG, 2);
	fadt(P_FADT, 276, 0x608, 1, 0x1808);
	table(P_OTHER, "SSDT", 36);
	seal(F.mem + P_OTHER);
	root(P_XSDT, true, x, 3);
	root(P_RSDT, false, r, 1); /* must be ignored in favour of the XSDT */
	rsdp(P_RSDP, 2, P_RSDT, P_XSDT);

	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(info.rsdp_revision, 2);
	assert_false(info.pcat_compat);
	assert_int_equal(info.lapic_addr, 0x1fee00000ull);
	assert_int_equal(info.ncpus, 2);
	assert_int_equal(info.cpus[1].apic_id, 300);
	assert_int_equal(info.cpus[1].acpi_uid, 77);
	assert_int_equal(info.nioapics, 2);
	assert_int_equal(info.ioapics[1].gsi_base, 24);
	assert_int_equal(info.nmcfg, 2);
	assert_int_equal(info.mcfg[1].base, 0xc0000000);
	assert_int_equal(info.mcfg[1].segment, 1);
	assert_int_equal(info.mcfg[1].bus_end, 0x7f);
	assert_int_equal(info.pm_timer_port, 0x1808);
	assert_true(info.pm_timer_32bit);
}

static void test_fadt_pm_timer_choice(void **state)
{
	const uint64_t e[] = {P_FADT};
	struct acpi_info info;

	(void)state;
	root(P_RSDT, false, e, 1);
	rsdp(P_RSDP, 0, P_RSDT, 0);

	/* X_PM_TMR_BLK in memory space or with a zero address: PM_TMR_BLK is used. */
	fadt(P_FADT, 276, 0x408, 0, 0x1808);
	assert_int_equal(parse(&info, NULL, 0), 0);
	assert_int_equal(info.pm_timer_port, 0x408);
	fadt(P_FADT, 276, 0x408, 1, 0);
	assert_int_equal(parse(&info, NULL, 0), 0);
	assert_int_equal(info.pm_timer_port, 0x408);
	/* Too short to hold X_PM_TMR_BLK, though the bytes are there in memory. */
	fadt(P_FADT, 276, 0x408, 1, 0x1808);
	put32(F.mem + P_FADT + 4, 219);
	seal(F.mem + P_FADT);
	assert_int_equal(parse(&info, NULL, 0), 0);
	assert_int_equal(info.pm_timer_port, 0x408);
	/* Too short for the flags: TMR_VAL_EXT stays false. */
	memset(F.mem + P_FADT, 0, 276);
	fadt(P_FADT, 100, 0x508, 0, 0);
	assert_int_equal(parse(&info, NULL, 0), 0);
	assert_int_equal(info.pm_timer_port, 0x508);
	assert_false(info.pm_timer_32bit);
	/* Too short for PM_TMR_BLK: the FADT is seen, the timer is not. */
	fadt(P_FADT, 60, 0, 0, 0);
	assert_int_equal(parse(&info, NULL, 0), 0);
	assert_true(info.have_fadt);
	assert_int_equal(info.pm_timer_port, 0);
}

static void test_rsdp_copy(void **state)
{
	uint8_t copy[36];
	struct acpi_info info;
	char err[128];

	(void)state;
	standard_v1();
	memcpy(copy, F.mem + P_RSDP, 20);
	memset(F.mem + P_RSDP, 0, 36); /* only the copy is valid */
	assert_int_equal(acpi_parse(0, copy, fake_map, &F, &info, NULL, 0), 0);
	assert_int_equal(info.ncpus, 3);
	assert_true(info.have_fadt);

	copy[8]++;
	assert_int_equal(acpi_parse(P_RSDP, copy, fake_map, &F, &info, err, sizeof(err)), -1);
	assert_no_tables(&info);
	assert_non_null(strstr(err, "copy of the RSDP"));
}

static void test_bad_rsdp(void **state)
{
	struct acpi_info info;
	char err[256];

	(void)state;
	standard_v1();
	F.mem[P_RSDP + 8]++;
	assert_int_equal(parse(&info, err, sizeof(err)), -1);
	assert_no_tables(&info);
	assert_non_null(strstr(err, "RSDP"));

	/* Revision 2 with a good first checksum but a bad extended one. */
	rsdp(P_RSDP, 2, P_RSDT, P_XSDT);
	F.mem[P_RSDP + 32]++;
	assert_int_equal(parse(&info, err, sizeof(err)), -1);
	assert_no_tables(&info);

	/* Nothing mappable there at all. */
	F.deny_all = true;
	assert_int_equal(parse(&info, err, sizeof(err)), -1);
	assert_no_tables(&info);
	assert_non_null(strstr(err, "RSDP"));
}

static void test_no_root_table(void **state)
{
	struct acpi_info info;
	char err[256];

	(void)state;
	standard_v1();
	F.mem[P_RSDT + 20]++; /* bad RSDT checksum */
	assert_int_equal(parse(&info, err, sizeof(err)), -1);
	assert_no_tables(&info);
	assert_non_null(strstr(err, "RSDT"));

	/* The RSDT pointer leads to some other table. */
	rsdp(P_RSDP, 0, P_MADT, 0);
	assert_int_equal(parse(&info, err, sizeof(err)), -1);
	assert_no_tables(&info);
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
	const uint64_t x[] = {P_MADT};
	struct acpi_info info;
	char err[256];

	(void)state;
	standard_v1();
	root(P_XSDT, true, x, 1);
	F.mem[P_XSDT + 30]++;
	rsdp(P_RSDP, 2, P_RSDT, P_XSDT);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_true(info.have_fadt); /* only the RSDT lists the FADT */
	assert_non_null(strstr(err, "XSDT"));
	assert_non_null(strstr(err, "checksum"));
}

static void test_bad_table_checksum_skipped(void **state)
{
	struct acpi_info info;
	char err[256];

	(void)state;
	standard_v1();
	F.mem[P_MADT + 50]++;
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_false(info.have_madt);
	assert_int_equal(info.ncpus, 0);
	assert_true(info.have_mcfg);
	assert_true(info.have_fadt);
	assert_non_null(strstr(err, "APIC"));
	assert_non_null(strstr(err, "checksum"));
}

static void test_first_good_madt_wins(void **state)
{
	const uint64_t e[] = {P_MADT, P_MADT2};
	struct acpi_info info;
	struct madt m;

	(void)state;
	standard_madt(P_MADT);
	F.mem[P_MADT + 50]++;
	m = madt_begin(P_MADT2, 0xfee00000, 0);
	madt_lapic(&m, 0, 9, 1);
	madt_end(&m);
	root(P_RSDT, false, e, 2);
	rsdp(P_RSDP, 0, P_RSDT, 0);
	assert_int_equal(parse(&info, NULL, 0), 0);
	assert_int_equal(info.ncpus, 1);
	assert_int_equal(info.cpus[0].apic_id, 9);
}

static void test_map_refuses_ranges(void **state)
{
	struct acpi_info info;
	char err[256];

	(void)state;
	standard_v1();
	/* The MCFG header maps but its body does not. */
	F.deny_lo = P_MCFG + 40;
	F.deny_hi = P_MCFG + 41;
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_false(info.have_mcfg);
	assert_true(info.have_madt);
	assert_true(info.have_fadt);
	assert_non_null(strstr(err, "MCFG"));

	/* The MADT cannot be mapped at all. */
	F.deny_lo = P_MADT;
	F.deny_hi = P_MADT + 1;
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_false(info.have_madt);
	assert_true(info.have_mcfg);
	assert_non_null(strstr(err, "cannot map"));

	/* The RSDT is unreachable: no tables. */
	F.deny_lo = P_RSDT + 10;
	F.deny_hi = P_RSDT + 11;
	assert_int_equal(parse(&info, err, sizeof(err)), -1);
	assert_no_tables(&info);
}

static void test_truncated_tables(void **state)
{
	const uint64_t e[] = {P_MADT, MEM_SIZE - 40, P_MCFG, MEM_SIZE + 0x1000};
	struct acpi_info info;
	char err[512];

	(void)state;
	standard_madt(P_MADT);
	/* A length running past the end of memory, and one absurdly large. */
	table(MEM_SIZE - 40, "FACP", 200);
	table(P_MCFG, "MCFG", 0xffffffffu);
	root(P_RSDT, false, e, 4);
	rsdp(P_RSDP, 0, P_RSDT, 0);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_true(info.have_madt);
	assert_false(info.have_fadt);
	assert_false(info.have_mcfg);
	assert_non_null(strstr(err, "FACP"));
	assert_non_null(strstr(err, "implausible length"));

	/* Shorter than a header, and an MADT too short for its fixed fields. */
	table(P_MCFG, "MCFG", 20);
	seal(F.mem + P_MCFG);
	put32(F.mem + P_MADT + 4, 40);
	seal(F.mem + P_MADT);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_false(info.have_madt);
	assert_false(info.have_mcfg);
	assert_non_null(strstr(err, "MADT"));
}

static void test_madt_entry_length_zero(void **state)
{
	const uint64_t e[] = {P_MADT, P_FADT};
	struct acpi_info info;
	struct madt m;
	char err[256];

	(void)state;
	m = madt_begin(P_MADT, 0xfee00000, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_add(&m, 0, 0); /* would loop forever if trusted */
	madt_lapic(&m, 1, 1, 1);
	madt_end(&m);
	fadt(P_FADT, 116, 0x608, 0, 0);
	root(P_RSDT, false, e, 2);
	rsdp(P_RSDP, 0, P_RSDT, 0);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_true(info.have_madt);
	assert_int_equal(info.ncpus, 1);
	assert_true(info.have_fadt); /* the rest of the walk goes on */
	assert_non_null(strstr(err, "MADT entry"));
	assert_non_null(strstr(err, "length 0"));

	/* Length 1 stops the walk too. */
	F.mem[P_MADT + 44 + 8 + 1] = 1;
	seal(F.mem + P_MADT);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_int_equal(info.ncpus, 1);
	assert_non_null(strstr(err, "length 1"));
}

static void test_madt_entry_past_end(void **state)
{
	const uint64_t e[] = {P_MADT};
	struct acpi_info info;
	struct madt m;
	char err[256];

	(void)state;
	m = madt_begin(P_MADT, 0xfee00000, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_ioapic(&m, 1, 0xfec00000, 0);
	madt_end(&m);
	F.mem[P_MADT + 44 + 8 + 1] = 40; /* the IOAPIC entry claims more than is left */
	seal(F.mem + P_MADT);
	root(P_RSDT, false, e, 1);
	rsdp(P_RSDP, 0, P_RSDT, 0);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_int_equal(info.ncpus, 1);
	assert_int_equal(info.nioapics, 0);
	assert_non_null(strstr(err, "MADT entry"));

	/* A single trailing byte where an entry header should be. */
	m = madt_begin(P_MADT, 0xfee00000, 0);
	madt_lapic(&m, 0, 0, 1);
	m.t[m.len] = 0;
	m.len++;
	madt_end(&m);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_int_equal(info.ncpus, 1);
	assert_non_null(strstr(err, "runs past the table"));
}

static void test_madt_short_known_entry_skipped(void **state)
{
	const uint64_t e[] = {P_MADT};
	struct acpi_info info;
	struct madt m;
	char err[256];

	(void)state;
	m = madt_begin(P_MADT, 0xfee00000, 0);
	madt_add(&m, 9, 8);  /* an x2APIC entry needs 16 bytes */
	madt_add(&m, 77, 5); /* unknown types are stepped over */
	madt_lapic(&m, 0, 3, 1);
	madt_end(&m);
	root(P_RSDT, false, e, 1);
	rsdp(P_RSDP, 0, P_RSDT, 0);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_int_equal(info.ncpus, 1);
	assert_int_equal(info.cpus[0].apic_id, 3);
	assert_non_null(strstr(err, "type 9"));
}

static void test_limits(void **state)
{
	const uint64_t e[] = {P_MADT, P_MCFG};
	struct acpi_info info;
	struct madt m;
	char err[1024];
	unsigned i;

	(void)state;
	m = madt_begin(P_MADT, 0xfee00000, 0);
	for (i = 0; i < ACPI_MAX_CPUS + 6; i++)
		madt_x2apic(&m, i, i, 1);
	for (i = 0; i < ACPI_MAX_IOAPICS + 3; i++)
		madt_ioapic(&m, (uint8_t)i, 0xfec00000 + 0x1000 * i, 24 * i);
	for (i = 0; i < ACPI_MAX_ISO + 2; i++)
		madt_iso(&m, (uint8_t)i, i, 0);
	madt_end(&m);
	mcfg(P_MCFG, ACPI_MAX_MCFG + 1);
	root(P_RSDT, false, e, 2);
	rsdp(P_RSDP, 0, P_RSDT, 0);
	assert_int_equal(parse(&info, err, sizeof(err)), 0);
	assert_int_equal(info.ncpus, ACPI_MAX_CPUS);
	assert_int_equal(info.cpus_dropped, 6);
	assert_int_equal(info.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	assert_int_equal(info.nioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(info.niso, ACPI_MAX_ISO);
	assert_int_equal(info.nmcfg, ACPI_MAX_MCFG);
	assert_non_null(strstr(err, "MADT lists 3 I/O APICs beyond the 8 kept"));
	assert_non_null(strstr(err, "MADT lists 2 interrupt source overrides beyond the 16 kept"));
	assert_null(strstr(strstr(err, "I/O APICs") + 1, "I/O APICs")); /* said once */
	assert_non_null(strstr(err, "MCFG"));
}

static void test_small_err_buffer(void **state)
{
	struct acpi_info info;
	char err[12];

	(void)state;
	standard_v1();
	F.mem[P_MADT + 50]++;
	F.mem[P_MCFG + 40]++;
	F.mem[P_FADT + 40]++;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(parse(&info, err, 8), 0);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'Z');
	assert_int_equal(parse(&info, err, 1), 0);
	assert_string_equal(err, "");
	assert_int_equal(parse(&info, NULL, 100), 0);
	assert_false(info.have_madt);
}

/* Low memory for the RSDP scan: BDA pointer at 0x40E, EBDA, BIOS area. */
static void set_ebda(uint32_t phys)
{
	put16(F.mem + 0x40e, (uint16_t)(phys >> 4));
}

static void test_scan_ebda(void **state)
{
	(void)state;
	set_ebda(0x9fc00);
	rsdp(0x9fc20, 0, 0x12345678, 0);
	rsdp(0xf0000, 0, 0x12345678, 0); /* the EBDA is searched first */
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0x9fc20);

	/* Only the first KiB of the EBDA is searched. */
	memset(F.mem + 0x9fc20, 0, 36);
	rsdp(0x9fc00 + 1024, 0, 0x12345678, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0xf0000);
}

static void test_scan_bios_area(void **state)
{
	(void)state;
	rsdp(0xf5a40, 2, 0x1000, 0x2000);
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0xf5a40);

	/* A candidate with a bad checksum, then a bad extended checksum, comes first. */
	rsdp(0xe1000, 0, 0x1000, 0);
	F.mem[0xe1000 + 8]++;
	rsdp(0xe2000, 2, 0x1000, 0x2000);
	F.mem[0xe2000 + 32]++;
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0xf5a40);

	/* EBDA pointer garbage: ignored. */
	put16(F.mem + 0x40e, 0xffff);
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0xf5a40);
}

static void test_scan_alignment_and_edges(void **state)
{
	(void)state;
	rsdp(0xe0008, 0, 0x1000, 0); /* not on a 16-byte boundary */
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0);

	/* The last paragraph cannot hold 20 bytes; the scan must not read past 1 MiB. */
	memcpy(F.mem + 0xffff0, "RSD PTR ", 8);
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0);

	rsdp(0xfffe0, 0, 0x1000, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0xfffe0);
}

static void test_scan_nothing_mappable(void **state)
{
	(void)state;
	rsdp(0xe0000, 0, 0x1000, 0);
	F.deny_all = true;
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0);
	F.deny_all = false;
	F.deny_lo = 0x400;
	F.deny_hi = 0x500; /* BDA refused: the BIOS area is still searched */
	assert_int_equal(acpi_find_rsdp(fake_map, &F), 0xe0000);
}

static void test_scan_then_parse(void **state)
{
	struct acpi_info info;
	uint64_t at;

	(void)state;
	standard_v1();
	set_ebda(0x9fc00);
	at = acpi_find_rsdp(fake_map, &F);
	assert_int_equal(at, P_RSDP);
	assert_int_equal(acpi_parse(at, NULL, fake_map, &F, &info, NULL, 0), 0);
	assert_int_equal(info.ncpus, 3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_checksum),
	    T(test_v1_rsdt),
	    T(test_v2_xsdt),
	    T(test_fadt_pm_timer_choice),
	    T(test_rsdp_copy),
	    T(test_bad_rsdp),
	    T(test_no_root_table),
	    T(test_bad_xsdt_falls_back_to_rsdt),
	    T(test_bad_table_checksum_skipped),
	    T(test_first_good_madt_wins),
	    T(test_map_refuses_ranges),
	    T(test_truncated_tables),
	    T(test_madt_entry_length_zero),
	    T(test_madt_entry_past_end),
	    T(test_madt_short_known_entry_skipped),
	    T(test_limits),
	    T(test_small_err_buffer),
	    T(test_scan_ebda),
	    T(test_scan_bios_area),
	    T(test_scan_alignment_and_edges),
	    T(test_scan_nothing_mappable),
	    T(test_scan_then_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
