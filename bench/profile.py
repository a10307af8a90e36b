#!/usr/bin/env python3
"""Where ixos's guest instructions go under load: a profile by function.

Boots ixos serving WORKLOAD under the project's QEMU with the instruction-counting plugin in
its hot-block mode (tools/qemu/insncount.c, hot=FILE), loads it with mcload at --rate for
--secs, quits QEMU (the plugin writes every translated block's executions at exit), and puts
names on the addresses: the kernel's from build/ixos.elf, the app's from build/apps/NAME.
Prints the functions with the most guest instructions and the totals by part (kernel, the
per-core TCP/IP copies, the app), with instructions per request. Not a test.

Usage: bench/profile.py [--workload usr|etc|echo] [--rate 10000] [--secs 5] [--top 40]
"""
import argparse
import bisect
import collections
import os
import subprocess
import tempfile
import time

import guests
import insns
import sweep

KERNEL_BASE = 0xFFFF800000000000


class Symbols:
    """Function symbols of one ELF file, for address lookups."""

    def __init__(self, path):
        out = subprocess.run(["nm", "-n", "--defined-only", path], capture_output=True,
                             text=True, check=True).stdout
        self.addrs, self.names = [], []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                self.addrs.append(int(parts[0], 16))
                self.names.append(parts[2])

    def name(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else "?"


def part(name, kernel):
    """A coarse part of the system for a function name."""
    if not kernel:
        return "app (ring 3)"
    if name.startswith(("lwip_", "tcp_", "ip4_", "etharp_", "pbuf_", "memp_", "mem_",
                        "inet_", "netif_", "sys_", "ethernet_", "icmp_", "udp_", "raw_")) \
            or "stack" in name or name.startswith(("ixconn", "ixc_", "rxmem")):
        return "TCP/IP and calls (net/stack, lwIP)"
    if name.startswith(("igb_", "ixgbe_", "adv_", "mbuf_")):
        return "NIC driver and buffers"
    if name.startswith(("dp_", "dataplane_")):
        return "dataplane loop"
    return "kernel, other"


def profile(o):
    hot = tempfile.NamedTemporaryFile(prefix="ixos-hot-", delete=False).name
    out = hot + ".samples"
    app = "echo" if o.workload == "echo" else "memcached"
    with guests.boot("ixos", o.workload, o, o.smp, plugin_out=out + ",hot=" + hot) as (ns, m):
        if o.workload != "echo":
            sweep.point(ns, o.workload, 1000, o, preload=True, duration=1)
        res = sweep.point(ns, o.workload, o.rate, o, duration=o.secs)
        try:
            m.monitor("quit")
        except OSError:
            pass
        deadline = time.monotonic() + 60
        while m.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    samples = insns.read_samples(out)
    a, b = insns.at(samples, res["window_start_ns"]), insns.at(samples, res["window_end_ns"])
    os.unlink(out)
    per_req = (b[0] - a[0]) / max(1, res["replies_in_window"]) if a and b else 0
    return hot, res, app, per_req


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", default="usr", choices=("echo", "usr", "etc"))
    ap.add_argument("--rate", type=float, default=10000)
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--smp", type=int, default=2)
    o = ap.parse_args()
    for k, v in dict(mem="1024M", nic="igb", qemu_cpus="1", load_cpu="0", mc_mem=256,
                     conns=16, depth=1, warmup=1, duration=o.secs, seed=1, echo_size=64,
                     keys=10000).items():
        setattr(o, k, v)
    hot, res, app, per_req = profile(o)
    ksyms = Symbols(os.path.join(guests.BUILD, "ixos.elf"))
    usyms = Symbols(os.path.join(guests.BUILD, "apps", app))
    by_fn, by_part = collections.Counter(), collections.Counter()
    with open(hot) as f:
        for line in f:
            va, n, execs = line.split()
            va, insns = int(va, 16), int(n) * int(execs)
            kernel = va >= KERNEL_BASE
            name = (ksyms if kernel else usyms).name(va)
            by_fn[name] += insns
            by_part[part(name, kernel)] += insns
    os.unlink(hot)
    total = sum(by_fn.values())
    print("profile: ixos %s at %.0f/s offered, %.0f/s done over %g s: %.0f guest instructions "
          "per request in the window; shares below are of the whole run's %.0f (boot and "
          "preload included)" % (o.workload, o.rate, res["achieved_rate"], o.secs, per_req,
                                 total))
    for name, n in by_part.most_common():
        print("  %-40s %5.1f%%" % (name, 100.0 * n / total))
    print("  %-40s %7s %s" % ("function", "share", "x instructions per request"))
    for name, n in by_fn.most_common(o.top):
        print("  %-40s %6.2f%% %8.0f" % (name[:40], 100.0 * n / total, per_req * n / total))


if __name__ == "__main__":
    main()
