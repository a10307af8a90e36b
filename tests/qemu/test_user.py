"""QEMU tests of the first user-mode slice (issue 7): apps from boot modules run in ring 3
in their own address space, reach the kernel only through system calls that check their
pointers, and a faulting app is stopped while the kernel carries on."""
import os
import re

from qemu import BUILD, Machine, TestFailure, direct_args

TESTS = []
APPS = os.path.join(BUILD, "apps")


def test(fn):
    TESTS.append(fn)
    return fn


def app(name, args=""):
    return (os.path.join(APPS, name), args)


def make_hello_test(cpu, protection):
    def fn(tmp):
        with Machine(direct_args("", [app("hello")]), smp=2, cpu=cpu) as m:
            m.expect(r"user: system calls ready; %s" % protection)
            m.expect(r"^ixos: ready cpus=2 ")
            m.expect(r"app hello: started on cpu 0")
            m.expect(r"^\[hello cpu0\] hello from ring 3$")
            # Status 7: the write worked and a kernel pointer was refused with EFAULT.
            m.expect(r"app hello: exited with status 7")
            m.absent(r"FATAL")
    fn.__name__ = "app_hello_in_ring3_%s" % cpu
    return fn


test(make_hello_test("max", "SMEP on, SMAP on"))
test(make_hello_test("qemu64", "SMEP off, SMAP off"))  # the same behaviour without them


@test
def app_faults_stop_the_app_not_the_kernel(tmp):
    mods = [app("crash"), app("priv"), app("hello")]
    with Machine(direct_args("", mods), smp=2) as m:
        m.expect(r"^ixos: ready cpus=2 ")
        m.expect(r"^\[crash cpu0\] about to write to kernel memory$")
        m.expect(r"error: app crash: #PF page fault \(vector 14, error 0x7\) at rip "
                 r"0000000000400[0-9a-f]{3} on cpu 0: app stopped")
        m.expect(r"error: app crash: faulting address ffffffff80100000")
        m.expect(r"error: app crash: rsp 00007fff")
        m.expect(r"error: app priv: #GP general protection .* app stopped")
        # The kernel carries on and runs the next app.
        m.expect(r"^\[hello cpu0\] hello from ring 3$")
        m.expect(r"app hello: exited with status 7")
        m.absent(r"FATAL|halted")


@test
def app_over_its_time_budget_is_stopped(tmp):
    """An app that never enters the kernel is interrupted by the LAPIC tick and stopped once
    it has run longer than app_budget_us; the next app runs."""
    with Machine(direct_args("app_budget_us=5000", [app("spin"), app("hello")]), smp=2) as m:
        m.expect(r"^\[spin cpu0\] spinning$")
        m.expect(r"error: app spin: ran \d+ us on cpu 0 without entering the kernel "
                 r"\(budget 5000 us; rip 0000000000400[0-9a-f]{3}\): app stopped")
        m.expect(r"app hello: exited with status 7")
        m.absent(r"FATAL|halted")


@test
def app_on_newlib(tmp):
    """A C program on newlib: printf (with floating point, so SSE in ring 3), malloc and
    free growing the heap through brk, memset, and the clock."""
    with Machine(direct_args("", [app("hello_libc")]), smp=2) as m:
        m.expect(r"^\[hello_libc cpu0\] hello from newlib: 20100 KiB allocated, pi is about "
                 r"3\.14159, \d+\.\d{6} s since boot$")
        m.expect(r"app hello_libc: exited with status 42")
        m.absent(r"FATAL|error: ")


@test
def apps_rerun_without_leaking_memory(tmp):
    """Every app, well-behaved or stopped for a fault or its time budget, gives all its pages
    back: running the set 30 times leaves exactly as much memory free as running it once."""
    mods = [app("hello_libc"), app("crash"), app("spin")]
    free_after = []
    for runs in (1, 30):
        with Machine(direct_args("app_runs=%d" % runs, mods), smp=2) as m:
            got = m.expect(r"apps: done; (\d+) pages free before, (\d+) after", timeout=120)
            free_after.append(int(got.group(2)))
            if len(re.findall(r"app hello_libc: exited with status 42", m.text())) != runs:
                raise TestFailure("hello_libc did not run %d times" % runs)
            m.absent(r"FATAL")
    if free_after[0] != free_after[1]:
        raise TestFailure("free pages after 1 run: %d, after 30: %d (a leak)" % tuple(free_after))
