"""QEMU end-to-end tests of the bootable kernel (issue 3): boot paths, CPUs, memory, the
command line and modules, the in-kernel self-test, and the fatal-fault report."""
import os
import re
import time

from qemu import (BUILD, Machine, TestFailure, direct_args, iso_args, module_file, pxe_args)

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


GOOD_CMDLINE = "ip=198.18.0.2/24 gw=198.18.0.1 mgmt_ip=198.18.1.2/24 loglevel=info"


def boot_media(path, tmp, cmdline, modules):
    if path == "direct":
        return direct_args(cmdline, modules)
    if path == "iso":
        return iso_args(tmp, cmdline, modules)
    return pxe_args(tmp, cmdline, modules)


def make_boot_test(path, smp):
    def fn(tmp):
        mod, fnv = module_file(tmp, "testmod.bin", 5000 + smp, smp)
        cmdline = "%s dp_cores=%d" % (GOOD_CMDLINE, smp - 1)
        with Machine(boot_media(path, tmp, cmdline, [(mod, "testmod.bin role=test")]),
                     smp=smp) as m:
            version = 2 if path == "iso" else 1
            m.expect(r"boot: Multiboot%d from " % version)
            # The command line reaches the kernel intact and is parsed into typed settings.
            m.expect(r'boot: cmdline ".*%s dp_cores=%d"' % (re.escape(GOOD_CMDLINE), smp - 1))
            # GRUB passes a module's arguments alone; QEMU and iPXE put its path first.
            m.expect(r'boot: module 0 "(\S*testmod\.bin )?testmod\.bin role=test" %d bytes '
                     r'fnv1a %08x' % (5000 + smp, fnv))
            m.expect(r"config: ip=198\.18\.0\.2/24 gw=198\.18\.0\.1 "
                     r"mgmt_ip=198\.18\.1\.2/24 dp_cores=%d loglevel=6" % (smp - 1))
            m.expect(r"^ixos: ready cpus=%d mem=\d+$" % smp, timeout=90)
            # These machines have no NIC: that one warning is expected, no other.
            m.absent(r"^\[[ \d.]+\] (warning|error): (?!dataplane: no supported NIC|mgmt: no NIC for the management port|random: no RDRAND/RDSEED)|FATAL")
    fn.__name__ = "boot_%s_smp%d" % (path, smp)
    return fn


for _path in ("direct", "iso", "pxe"):
    for _smp in (1, 2, 4):
        test(make_boot_test(_path, _smp))


def make_mem_test(mib):
    def fn(tmp):
        with Machine(direct_args(""), smp=2, mem="%dM" % mib) as m:
            got = int(m.expect(r"^ixos: ready cpus=2 mem=(\d+)$").group(1))
            # The firmware keeps a little (BIOS area, ACPI tables): within 3% below -m.
            if not (mib * 0.97 <= got <= mib):
                raise TestFailure("mem=%d for -m %dM" % (got, mib))
    fn.__name__ = "mem_%dM" % mib
    return fn


test(make_mem_test(256))
test(make_mem_test(2048))


SELFTESTS = ("pmm", "heap", "paging", "timer", "tsc", "ipi")
# The TSC check's figures: the calibration against the PIT, measured on the ACPI PM timer.
TSC_LINE = (r"^selftest: tsc: ([\d.]+) ms on the ACPI PM timer \((24|32)-bit\) took ([\d.]+) ms "
            r"by the TSC at ([\d.]+) MHz: ([-+]\d+) ppm \(runs .*; limit (\d+)\)$")


def selftests_pass(m):
    """Every self-test ran and passed; the TSC one against the PM timer, not skipped."""
    for name in SELFTESTS:
        if name == "tsc":
            got = m.expect(TSC_LINE)
            ms, ppm, limit = float(got.group(1)), int(got.group(5)), int(got.group(6))
            if ms < 49.9 or abs(ppm) > limit:
                raise TestFailure("TSC check over %.3f ms: %+d ppm (limit %d)" % (ms, ppm,
                                                                                  limit))
        m.expect(r"^selftest: %s ok$" % name)
    m.expect(r"^selftest: %d passed, 0 failed$" % len(SELFTESTS))
    # Printed long before the self-tests (and before lines other tests expect first).
    m.seen(r"time: TSC [\d.]+ MHz \(calibrated against the PIT\)")
    m.absent(r"FAILED|selftest: \w+ skipped")


@test
def selftest_smp4(tmp):
    with Machine(direct_args("selftest"), smp=4) as m:
        selftests_pass(m)
        m.expect(r"^ixos: ready cpus=4 ")


@test
def bad_cmdline_is_reported_not_fatal(tmp):
    with Machine(direct_args("dp_cores=abc ip=1.2.3 foo=bar loglevel=loud gw=10.0.0.1/8 "
                             "selftest=maybe"), smp=2) as m:
        m.expect(r"^ixos: ready cpus=2 ")
        log = m.text()
        for key in ("dp_cores", "ip", "foo", "loglevel", "gw", "selftest"):
            if not re.search(r"cmdline: .*'%s'" % key, log):
                raise TestFailure("no warning naming the key %r" % key)
        if not re.search(r"config: ip=unset gw=unset .*dp_cores=-1 loglevel=6", log):
            raise TestFailure("bad values did not fall back to the defaults")


@test
def dp_cores_assigns_roles(tmp):
    with Machine(direct_args("dp_cores=1"), smp=4) as m:
        m.expect(r"smp: cpu0 apic \d+: management")
        m.expect(r"smp: cpu1 apic \d+: dataplane")
        m.expect(r"smp: cpu2 apic \d+: spare")
        m.expect(r"smp: cpu3 apic \d+: spare")
        m.expect(r"^ixos: ready cpus=4 ")


@test
def dp_cores_too_many_is_clamped(tmp):
    with Machine(direct_args("dp_cores=9"), smp=2) as m:
        m.expect(r"dp_cores=9 but only 1 CPUs besides the management core; using 1")
        m.expect(r"^ixos: ready cpus=2 ")


@test
def xapic_without_x2apic(tmp):
    """qemu64 has no x2APIC: the xAPIC (MMIO) path must bring up every CPU."""
    with Machine(direct_args("selftest"), smp=4, cpu="qemu64") as m:
        m.expect(r"apic: xAPIC, local APIC at 0xfee00000")
        selftests_pass(m)
        m.expect(r"^ixos: ready cpus=4 ")


@test
def pc_machine_without_mcfg(tmp):
    """The i440FX machine: no MCFG, and the PIIX4's PM timer for the TSC check."""
    with Machine(direct_args("selftest"), smp=2, machine="pc") as m:
        m.expect(r"acpi: .* 0 PCIe ECAM windows")
        selftests_pass(m)
        m.expect(r"^ixos: ready cpus=2 ")


def all_cpus_stopped(m, smp, timeout=10):
    """Every CPU halted with interrupts off (not idling): the fatal path stopped them all.
    The CPU that prints the report halts just after its last line: the monitor is asked
    again until every CPU shows it (a CPU idling in hlt has interrupts on, so this cannot
    pass by looking at the wrong moment)."""
    deadline = time.monotonic() + timeout
    while True:
        regs = m.monitor("info registers -a")
        flags = re.findall(r"RFL=([0-9a-f]+).*?HLT=(\d)", regs, re.S)
        if len(flags) != smp:
            raise TestFailure("monitor showed %d CPUs, expected %d" % (len(flags), smp))
        running = ["CPU %d (HLT=%s RFL=%s)" % (i, hlt, rfl) for i, (rfl, hlt) in enumerate(flags)
                   if hlt != "1" or int(rfl, 16) & 0x200]
        if not running:
            return
        if time.monotonic() > deadline:
            raise TestFailure("not stopped %ds after the report: %s" % (timeout,
                                                                         ", ".join(running)))
        time.sleep(0.2)


def make_fault_test(kind, cpu, smp, expect_lines, registers=True):
    def fn(tmp):
        with Machine(direct_args("testfault=%s testfault_cpu=%d" % (kind, cpu)), smp=smp) as m:
            m.expect(r"^ixos: ready cpus=%d " % smp)
            m.expect(r"^ixos: FATAL on cpu %d: " % cpu)
            if registers:
                m.expect(r"^  rip [0-9a-f]{16} cs 0008 rflags [0-9a-f]{8}")
                m.expect(r"^  rax [0-9a-f]{16} rbx")
                m.expect(r"^  r13 [0-9a-f]{16} r14 [0-9a-f]{16} r15 [0-9a-f]{16}$")
                m.expect(r"^  cr0 [0-9a-f]{16} cr2 [0-9a-f]{16} cr3")
            m.expect(r"^backtrace:$")
            m.expect(r"^  #1  ffffffff8[0-9a-f]{7} <\w+")
            m.expect(r"^ixos: halted: all CPUs stopped$")
            for line in expect_lines:
                m.seen(line)
            all_cpus_stopped(m, smp)
            m.absent(r"ixos: ready[\s\S]*ixos [\w.-]+: a protected")  # no reboot
    fn.__name__ = "fault_%s_cpu%d" % (kind, cpu)
    return fn


test(make_fault_test("pf", 0, 2, [r"#PF page fault", r"page not present, write, kernel, "
                                   r"cr2 000000000dead000", r"<tf_run\+"]))
test(make_fault_test("ud", 2, 4, [r"#UD invalid opcode", r"<tf_run\+"]))
test(make_fault_test("stack", 1, 2, [r"#DF double fault", r"<tf_recurse"]))
test(make_fault_test("wp", 0, 1, [r"#PF page fault", r"protection violation, write"]))
test(make_fault_test("gp", 3, 4, [r"#GP general protection"]))
test(make_fault_test("panic", 0, 2, [r"FATAL on cpu 0: panic: testfault: deliberate panic"],
                     registers=False))


@test
def product_iso_boots(tmp):
    """build/ixos.iso exactly as `make` builds it (the repo's grub.cfg)."""
    with Machine(["-cdrom", os.path.join(BUILD, "ixos.iso")], smp=2) as m:
        m.expect(r"boot: Multiboot2 from GRUB")
        m.expect(r"^ixos: ready cpus=2 mem=\d+$")


@test
def product_pxe_folder_boots(tmp):
    """build/pxe/ exactly as `make` builds it, served by QEMU's TFTP server."""
    with Machine(["-netdev", "user,id=boot,tftp=%s,bootfile=boot.ipxe"
                  % os.path.join(BUILD, "pxe"),
                  "-device", "e1000e,netdev=boot,bootindex=1"], smp=2) as m:
        m.expect(r"boot: Multiboot1 from iPXE")
        m.expect(r"^ixos: ready cpus=2 mem=\d+$", timeout=90)
