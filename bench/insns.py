"""Guest instructions per request, from the project's QEMU with tools/qemu/insncount.c: the
plugin samples every vCPU's instruction count every 10 ms; the instructions executed inside
mcload's measured window (interpolated between samples) are divided by the replies that came
in that window. Host load cannot move this figure; TCG's speed does not enter it."""
import bisect
import os
import time

import guests
import sweep


def read_samples(path):
    """[(monotonic ns, total, [per vCPU])] from the plugin's file."""
    out = []
    with open(path) as f:
        for line in f:
            v = [int(x) for x in line.split()]
            if len(v) >= 2:
                out.append((v[0], v[1], v[2:]))
    return out


def at(samples, t_ns):
    """Instruction counts (total, per vCPU) at t_ns, interpolated between the samples around
    it; None if t_ns is outside them."""
    ts = [s[0] for s in samples]
    i = bisect.bisect_left(ts, t_ns)
    if i == 0 or i >= len(samples):
        return None
    (t0, a0, v0), (t1, a1, v1) = samples[i - 1], samples[i]
    f = (t_ns - t0) / (t1 - t0) if t1 > t0 else 0.0
    per = [x0 + f * (x1 - x0) for x0, x1 in zip(v0, v1)]
    return a0 + f * (a1 - a0), per


def measure(os_name, smp, workload, rate, o, tmpdir, log):
    """Boots os_name under the plugin, loads it at rate for o.insn_secs and returns the
    figures (a dict), or raises TestFailure."""
    path = os.path.join(tmpdir, "insns-%s-%d-%s.txt" % (os_name, smp, workload))
    with guests.boot(os_name, workload, o, smp, plugin_out=path) as (ns, _):
        if workload != "echo":
            sweep.point(ns, workload, min(rate, 1000), o, preload=True, duration=1)
        res = sweep.point(ns, workload, rate, o, duration=o.insn_secs)
        # mcload may return right at the window's end: wait for the samples after it.
        time.sleep(0.2)
        samples = read_samples(path)
    a, b = at(samples, res["window_start_ns"]), at(samples, res["window_end_ns"])
    if not a or not b or not res["replies_in_window"]:
        raise guests.TestFailure("no instruction samples around the window (%d samples, %d "
                                 "replies)" % (len(samples), res["replies_in_window"]))
    n = res["replies_in_window"]
    out = {"rate": rate, "replies_in_window": n, "seconds": o.insn_secs,
           "instructions": b[0] - a[0], "per_request": (b[0] - a[0]) / n,
           "per_request_by_vcpu": [(y - x) / n for x, y in zip(a[1], b[1])],
           "replies_per_s_under_plugin": n / o.insn_secs}
    log("    %-5s %s: %.0f guest instructions per request (vCPUs: %s) at %.0f/s offered, "
        "%.0f replies/s under the plugin" % (workload, os_name, out["per_request"],
                                             " ".join("%.0f" % x for x in
                                                      out["per_request_by_vcpu"]),
                                             rate, out["replies_per_s_under_plugin"]))
    return out
