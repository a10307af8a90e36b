"""QEMU tests of user mode (issue 7): apps from boot modules run in ring 3 in their own
address space, one thread per dataplane core, reach the kernel only through system calls
that check their pointers; a hostile app is stopped with a log line naming what it did,
its connections are reset, and the kernel goes on serving (the next app starts)."""
import os
import re
import subprocess
import time

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args, iso_args, module_file
from test_net import boot
from test_tcp import echo

TESTS = []
APPS = os.path.join(BUILD, "apps")
# The time budget as in test_tcp.py: large enough that TCG's vCPU scheduling stops no app.
BUDGET = "app_budget_us=200000"
GUEST = "ip=198.18.0.2/24 gw=198.18.0.1 " + BUDGET


def test(fn):
    TESTS.append(fn)
    return fn


def app(name, args=""):
    return (os.path.join(APPS, name), args)


def make_hello_test(cpu, protection):
    def fn(tmp):
        with Machine(direct_args(BUDGET, [app("hello")]), smp=2, cpu=cpu) as m:
            m.expect(r"user: system calls ready; %s" % protection)
            m.expect(r"^ixos: ready cpus=2 ")
            # No NIC, no dataplane: the management core hosts the app's one thread.
            m.expect(r"app hello: started, 1 thread on cpu 0")
            m.expect(r"^\[hello cpu0\] hello from ring 3$")
            # Status 7: the write worked and a kernel pointer was refused with EFAULT.
            m.expect(r"app hello: exited with status 7")
            m.absent(r"FATAL")
    fn.__name__ = "app_hello_in_ring3_%s" % cpu
    return fn


test(make_hello_test("max", "SMEP on, SMAP on"))
test(make_hello_test("qemu64", "SMEP off, SMAP off"))  # the same behaviour without them


def bar_address(tmp):
    """Where the kernel maps the NIC's registers (the same on every boot of this machine)."""
    with NetNS(nic="igb") as ns, Machine(direct_args(GUEST), smp=3, netns=ns) as m:
        return m.expect(r"registers \(BAR0\) at 0x[0-9a-f]+, mapped at (0x[0-9a-f]+)").group(1).decode()


# What each hostile mode does, and the log line that must name it.
HOSTILE = [
    ("kwrite", r"#PF page fault \(vector 14, error 0x7\) at rip 0000000000400[0-9a-f]{3}"),
    ("kread BAR", r"#PF page fault \(vector 14, error 0x5\)"),
    ("hlt", r"#GP general protection \(vector 13, error 0\)"),
    ("cli", r"#GP general protection \(vector 13, error 0\)"),
    ("wrmsr", r"#GP general protection \(vector 13, error 0\)"),
    ("sendv", r"sendv \(call 0 of its batch\) with memory it cannot read or does not hold"
              r" at ffffffff80100000"),
    ("spin", r"thread 0 ran \d+ us on cpu \d+ without entering the kernel \(budget 200000 us"),
    ("div0", r"#DE divide error \(vector 0, error 0\)"),
]


@test
def hostile_apps_are_stopped_and_service_goes_on(tmp):
    """Eight hostile apps, one after the other, on the dataplane cores of one machine: each
    is stopped with a log line naming its fault (with its registers), the kernel stays up,
    every page they had comes back, and the echo app that starts after them serves."""
    bar = bar_address(tmp)
    mods = [app("hostile", mode.replace("BAR", bar)) for mode, _ in HOSTILE] + [app("echo")]
    with NetNS(nic="igb") as ns, Machine(direct_args(GUEST, mods),
                                         smp=3, netns=ns) as m:
        boot(m)
        for mode, line in HOSTILE:
            m.expect(r"^\[hostile cpu\d\] hostile: %s" % mode.split()[0])
            m.expect(r"error: app hostile: %s.*app stopped" % line)
            if "vector" in line:
                m.expect(r"error: app hostile: rsp [0-9a-f]{16} rax")
        m.expect(r"app echo: started, 2 threads")
        m.expect(r"app echo: listening on TCP port 7 on cpu \d")
        m.expect(r"app echo: listening on TCP port 7 on cpu \d")
        echo(ns, "tcp", "--bytes", 1 << 20, "--conns", 4, timeout=60)
        if "was not stopped" in m.text():
            raise TestFailure("a hostile app went on after its fault")
        m.absent(r"FATAL|halted")


def data_module_checks(m, size, fnv):
    m.expect(r"datamod: site\.bin: %d bytes, read-only in apps at 0x700000000000" % size)
    m.expect(r"^\[hostile cpu\d\] hostile: module to kernel -14, to itself -14, index 99 -2$")
    m.expect(r"^\[hostile cpu\d\] hostile: counters bad name -22, none -22, kernel values -14, "
             r"kernel desc -14, good 0$")
    m.expect(r"^\[hostile cpu\d\] hostile: module site\.bin %d bytes fnv1a %08x$" % (size, fnv))
    m.expect(r"error: app hostile: #PF page fault \(vector 14, error 0x7\) at rip .*app stopped")
    m.expect(r"app echo: started")
    m.absent(r"FATAL|halted")


@test
def data_module_is_read_only_and_its_calls_checked(tmp):
    """A data module (not an ELF) of 10,000 bytes, whose end is not on a page boundary, is
    mapped into the app whole and exact (its checksum as the boot log gives it); SYS_MODULE
    and SYS_COUNTERS refuse pointers into the kernel and into the module itself (read-only),
    a bad index, bad names and counts, each with its error; a write to the module stops the
    app; the next app runs. Booted by QEMU's Multiboot1 loader and by GRUB (Multiboot2)."""
    path, fnv = module_file(tmp, "site.bin", 10000, 7)
    mods = [app("hostile", "module"), (path, "site.bin"), app("echo")]
    with Machine(direct_args("", mods), smp=2) as m:
        data_module_checks(m, 10000, fnv)
    grub = [app("hostile", "hostile module"), (path, "site.bin"), app("echo", "echo")]
    with Machine(iso_args(tmp, "", grub), smp=2) as m:
        data_module_checks(m, 10000, fnv)


@test
def app_over_budget_loses_its_connections(tmp):
    """An app that stops entering the kernel while it holds connections (it spins on the
    first bytes it gets) is stopped by the time budget; its connections are reset, so the
    client learns at once instead of hanging; the next app serves."""
    mods = [app("hostile", "hang"), app("echo")]
    with NetNS(nic="igb") as ns, Machine(direct_args(GUEST, mods),
                                         smp=2, netns=ns) as m:
        boot(m)
        m.expect(r"app hostile: listening on TCP port 7")
        s = ns_connect(ns)
        m.expect(r"error: app hostile: thread 0 ran \d+ us .* app stopped")
        m.expect(r"app hostile: 1 connection reset on cpu 1")
        m.expect(r"app echo: listening on TCP port 7")
        echo(ns, "tcp", "--bytes", 64 * 1024, "--conns", 2, timeout=60)
        out, _ = s.communicate(timeout=30)
        if "reset" not in out:
            raise TestFailure("the client of the stopped app did not see a reset: %r" % out)
        m.absent(r"FATAL|halted")


CLIENT_RESET = r"""
import socket, sys
s = socket.create_connection(("198.18.0.2", 7), timeout=5)
s.sendall(b"hello")
s.settimeout(20)
try:
    data = s.recv(100)
    print("closed" if not data else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
"""


def ns_connect(ns):
    """Starts a client in the namespace that sends a few bytes and reports how it ends."""
    return subprocess.Popen(["ip", "netns", "exec", ns.name, "/usr/bin/python3", "-c",
                             CLIENT_RESET], stdout=subprocess.PIPE, text=True)


@test
def default_time_budget_is_10ms(tmp):
    """With no app_budget_us, an app that never enters the kernel is stopped after 10 ms (here
    on the management core: no NIC); the next app runs."""
    with Machine(direct_args("", [app("spin"), app("hello")]), smp=2) as m:
        m.expect(r"^\[spin cpu0\] spinning$")
        m.expect(r"error: app spin: thread 0 ran \d+ us on cpu 0 without entering the kernel "
                 r"\(budget 10000 us; rip 0000000000400[0-9a-f]{3}\): app stopped")
        m.expect(r"app hello: started")
        # hello is in ring 3 for microseconds, but with this budget a host that takes the
        # vCPU away for 10 ms just then stops it too (the guest cannot tell the difference):
        # that it started is the evidence; how it ended is app_hello_in_ring3's to check.
        m.expect(r"app hello: exited with status 7|error: app hello: thread 0 ran \d+ us "
                 r"on cpu 0 without entering the kernel \(budget 10000 us")
        m.absent(r"FATAL|halted")


@test
def app_on_newlib(tmp):
    """A C program on newlib: printf (with floating point, so SSE in ring 3), malloc and
    free growing the heap through brk, memset, and the clock."""
    # Its 20 MiB memset alone takes over the default 10 ms budget on a busy TCG host.
    with Machine(direct_args(BUDGET, [app("hello_libc")]), smp=2) as m:
        line = m.expect(r"^\[hello_libc cpu0\] hello from newlib: 20100 KiB allocated, pi is "
                        r"about 3\.14159, wall clock (\d+)\.\d{6} s$")
        # The wall clock (the RTC at boot, then the TSC) within a minute of the host's.
        if abs(int(line.group(1)) - time.time()) > 60:
            raise TestFailure("the app's wall clock says %s, the host's %d"
                              % (line.group(1), time.time()))
        m.expect(r"app hello_libc: exited with status 42")
        m.absent(r"FATAL|error: ")


@test
def apps_rerun_without_leaking_memory(tmp):
    """Every app, well-behaved or stopped for a fault or its time budget, gives all its pages
    back, with its threads on the dataplane cores and the packet pools mapped into it:
    running the set 30 times leaves exactly as much memory free as running it once."""
    mods = [app("hello_libc"), app("hostile", "kwrite"), app("hostile", "spin")]
    free_after = []
    for runs in (1, 30):
        with NetNS(nic="igb") as ns, Machine(direct_args(GUEST + " app_runs=%d" % runs, mods),
                                             smp=3, netns=ns) as m:
            got = m.expect(r"apps: done; (\d+) pages free before, (\d+) after", timeout=120)
            free_after.append(int(got.group(2)))
            if len(re.findall(r"app hello_libc: exited with status 42", m.text())) != runs:
                raise TestFailure("hello_libc did not run %d times" % runs)
            m.absent(r"FATAL")
    if free_after[0] != free_after[1]:
        raise TestFailure("free pages after 1 run: %d, after 30: %d (a leak)" % tuple(free_after))
