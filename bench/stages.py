"""Where ixos's dataplane core spends its time under load: the per-stage cycle counters of
net/dp_stats.h (cycles_rx, _tcpip, _app, _calls, _tx, _idle), read from the per-core stats
lines the guest prints every second (stats_interval=1) before and after a load, as shares of
the time the core was busy and as nanoseconds (of TSC time) per request. A boot of its own, so the printing does not touch
the sweeps' latencies."""
import re
import time

import guests
import sweep

STAGES = ("rx", "tcpip", "app", "calls", "tx", "idle")
BUSY = STAGES[:-1]
MHZ = re.compile(r"time: TSC (\d+\.\d+) MHz")
LINE = re.compile(r"^stats: cpu(\d+) queue \d+ (.*)$", re.M)


def snapshot(m):
    """{cpu: {counter: value}} from the last stats line of each dataplane core."""
    out = {}
    for cpu, rest in LINE.findall(m.text()):
        out[int(cpu)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
    return out


def measure(workload, rates, o, log):
    """One ixos boot: for each rate, the stage shares and cycles per request of every
    dataplane core over the measured window (a dict per rate)."""
    base = guests.ixos_cmdline()
    results = []
    with guests.boot("ixos", workload, o, o.smp, cmdline=base + " stats_interval=1") as (ns, m):
        mhz = float(MHZ.search(m.text()).group(1))
        if workload != "echo":
            sweep.point(ns, workload, 1000, o, preload=True, duration=1)
        for rate in rates:
            time.sleep(1.5)
            a = snapshot(m)
            res = sweep.point(ns, workload, rate, o)
            time.sleep(1.5)  # the next stats line covers the whole run
            b = snapshot(m)
            got = {"rate": rate, "achieved": sweep.served_rate(res),
                   "p99_us": res["latency_us"]["p99"], "tsc_mhz": mhz, "cores": {}}
            # Requests served while loaded: the warm-up's and the window's.
            reqs = sweep.served_rate(res) * (o.warmup + o.duration)
            for cpu in sorted(set(a) & set(b)):
                d = {s: b[cpu].get("cycles_" + s, 0) - a[cpu].get("cycles_" + s, 0)
                     for s in STAGES}
                busy = sum(d[s] for s in BUSY) or 1
                c = {"busy_share": {s: d[s] / busy for s in BUSY},
                     "ns_per_request": {s: d[s] / mhz * 1000 / max(1, reqs) for s in BUSY}}
                for k in ("rx_packets", "app_runs", "app_events", "app_calls"):
                    c[k] = b[cpu][k] - a[cpu][k]
                got["cores"][cpu] = c
                log("    %-5s cpu%d at %.0f/s (%.0f done, p99 %.0f us): busy time %s; "
                    "ns per request %s; per app run %.1f events, %.1f calls; %.2f packets "
                    "in per request" % (
                        workload, cpu, rate, got["achieved"], res["latency_us"]["p99"],
                        " ".join("%s %.0f%%" % (s, 100 * c["busy_share"][s]) for s in BUSY),
                        " ".join("%s %.0f" % (s, c["ns_per_request"][s]) for s in BUSY),
                        c["app_events"] / max(1, c["app_runs"]),
                        c["app_calls"] / max(1, c["app_runs"]), c["rx_packets"] / max(1, reqs)))
            results.append(got)
    return results
