#!/usr/bin/env python3
"""Echo round trips per second and latency: the user-mode echo app against the kernel echo.

The user-mode side is this tree's kernel with user/apps/echo (ring 3, libix). The baseline,
measured in the same run with the same settings, is the kernel-resident echo service of
issue 6 (commit BASELINE, the last one with application code in the kernel), built from a
git worktree into build/bench-baseline. A client in a private network namespace keeps CONNS
connections busy with closed-loop round trips of SIZE bytes for SECS seconds and reports
round trips per second and the latency percentiles it saw.

Usage: bench/echo.py [--conns 16] [--size 64] [--secs 10] [--smp 4] [--nic igb]
Not a test: it prints figures with their settings and asserts nothing about speed.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "qemu"))
from qemu import BUILD, Machine, NetNS  # noqa: E402

BASELINE = "2994404"  # issue 6's kernel echo (TCP port 7 in the kernel)
# app_budget_us as in the tests: TCG may deschedule a vCPU longer than the 10 ms default.
GUEST = "ip=198.18.0.2/24 gw=198.18.0.1 app_budget_us=200000"

CLIENT = r'''
import asyncio, sys, time
host, conns, size, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
lat = []
async def one(i):
    r, w = await asyncio.open_connection(host, 7)
    msg = bytes([i & 0xff]) * size
    end = time.monotonic() + secs
    while time.monotonic() < end:
        t = time.monotonic()
        w.write(msg)
        await r.readexactly(size)
        lat.append(time.monotonic() - t)
    w.close()
async def main():
    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(conns)))
    return time.monotonic() - t0
el = asyncio.run(main())
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1e6
print(len(lat), el, pct(0.5), pct(0.99))
'''


def build_baseline():
    """The kernel echo's kernel, built once from a worktree (reused on later runs)."""
    tree = os.path.join(BUILD, "bench-baseline")
    kernel = os.path.join(tree, "build", "ixos.elf")
    if os.path.exists(kernel):
        return kernel
    if not os.path.isdir(tree):
        subprocess.run(["git", "-C", TOP, "worktree", "prune"], check=False)
        subprocess.run(["git", "-C", TOP, "worktree", "add", "--detach", tree, BASELINE],
                       check=True, stdout=subprocess.DEVNULL)
    print("bench/echo: building the baseline kernel (commit %s) once..." % BASELINE, flush=True)
    subprocess.run(["make", "-C", tree, "build/ixos.elf"], check=True,
                   stdout=subprocess.DEVNULL)
    return kernel


def run(kernel, modules, o):
    args = ["-kernel", kernel, "-append", GUEST]
    if modules:
        args += ["-initrd", modules]
    with NetNS(nic=o.nic) as ns, Machine(args, smp=o.smp, netns=ns) as m:
        m.expect(r"^ixos: ready ")
        if modules:
            m.expect(r"listening on TCP port 7")
        ns.ping(count=2)
        r = ns.sh("/usr/bin/python3", "-c", CLIENT, NetNS.GUEST_IP, str(o.conns), str(o.size),
                  str(o.secs), timeout=o.secs + 60)
        n, secs, p50, p99 = r.stdout.split()
        return int(n) / float(secs), float(p50), float(p99)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--secs", type=float, default=10)
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--nic", default="igb")
    o = ap.parse_args()
    baseline = build_baseline()
    print("bench/echo: %d connections, closed-loop round trips of %d bytes for %g s, %s NIC, "
          "%d CPUs (%d dataplane), TCG, host %d CPUs, client: Python asyncio in the namespace"
          % (o.conns, o.size, o.secs, o.nic, o.smp, o.smp - 1, os.cpu_count()))
    print("%-44s %12s %10s %10s" % ("configuration", "round trips/s", "p50 us", "p99 us"))
    rows = [("kernel echo (baseline, commit %s)" % BASELINE, baseline, None),
            ("user-mode echo app (libix, ring 3)", os.path.join(BUILD, "ixos.elf"),
             "%s 7" % os.path.join(BUILD, "apps", "echo"))]
    res = []
    for name, kernel, mods in rows:
        rate, p50, p99 = run(kernel, mods, o)
        res.append(rate)
        print("%-44s %12.0f %10.0f %10.0f" % (name, rate, p50, p99), flush=True)
    print("user-mode / kernel: %.2f (round trips per second)" % (res[1] / res[0]))


if __name__ == "__main__":
    main()
