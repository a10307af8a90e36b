"""IX's connection-scalability experiment in `make bench`: echo throughput and p99 as the number
of concurrent connections grows (100, 1,000, 10,000, 100,000 by default), ixos against Linux,
each in one boot (1 GiB: the state of 100,000 connections must fit). At each count the load
goes over every connection (requests spread at random), at two rates: a light one, for the
p99 of a server that is not busy, and one past both servers' echo saturation, for the most it
serves. All the connections are open before the load starts. A process may hold only so many sockets here (the open-file limit), so the
connections are shared among several mcload processes, each from its own source address, and
their latency histograms are merged."""
import json
import math
import signal
import subprocess
import time

import guests
from guests import NetNS, TestFailure
from sweep import MCLOAD

PER_PROC = 16000  # sockets per mcload, under the 20,000 open files a process may have here
CONNECT_INFLIGHT = 96  # handshakes in flight in all, under a core's 255 half-open (lwIP)


def merged_percentile(buckets, pct):
    """The value (us) at percentile pct of merged [upper_us, count] buckets."""
    total = sum(c for _, c in buckets)
    if not total:
        return 0.0
    rank, seen = max(1, math.ceil(pct / 100.0 * total - 1e-9)), 0
    for upper, c in sorted(buckets):
        seen += c
        if seen >= rank:
            return upper
    return sorted(buckets)[-1][0]


def nproc_for(nconns):
    return max(1, math.ceil(nconns / PER_PROC))


def run_point(ns, nconns, rate, o, step, log):
    """One open-loop echo run over nconns connections at rate/s in all; returns a summary."""
    nproc = nproc_for(nconns)
    procs = []
    for k in range(nproc):
        src = "198.18.0.%d" % (10 + step + k)
        ns.sh("ip", "addr", "add", src + "/24", "dev", "tap0")
        n = nconns // nproc + (k < nconns % nproc)
        args = [MCLOAD, "--server", "%s:7" % NetNS.GUEST_IP, "--proto", "echo", "--size", "64",
                "--rate", "%g" % (rate / nproc), "--conns", str(n), "--assign", "random",
                "--source", src, "--connect-inflight", str(max(8, CONNECT_INFLIGHT // nproc)),
                "--connect-timeout", "900", "--cpu", o.load_cpu, "--warmup", "%g" % o.warmup,
                "--duration", "%g" % o.duration, "--drain", "2", "--quiet", "--wait-go",
                "--seed", str(o.seed + k)]
        procs.append(subprocess.Popen(["ip", "netns", "exec", ns.name] + args,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # Every process connects first; then all start their load together (a load beside
    # another process's 16,000 handshakes would measure the handshakes).
    t0 = time.monotonic()
    for p in procs:
        line = p.stderr.readline()
        if "mcload: ready" not in line:
            p.wait(timeout=60)
            raise TestFailure("mcload over %d connections did not connect (exit %s): %s%s"
                              % (nconns, p.returncode, line, p.stderr.read()[-1500:]))
    connect_all_s = time.monotonic() - t0
    for p in procs:
        p.send_signal(signal.SIGUSR1)
    res = []
    for p in procs:
        out, err = p.communicate(timeout=900 + o.warmup + o.duration + 120)
        if p.returncode != 0 or not out.strip():
            raise TestFailure("mcload over %d connections at %g/s failed (exit %d): %s"
                              % (nconns, rate, p.returncode, err[-1500:]))
        res.append(json.loads(out.strip().splitlines()[-1]))
    buckets = [b for r in res for b in r["histogram"]]
    served = sum(r["replies_in_window"] for r in res) / o.duration
    point = {"conns": nconns, "offered": rate, "served": served,
             "connect_s": connect_all_s,
             "p50_us": merged_percentile(buckets, 50), "p99_us": merged_percentile(buckets, 99),
             "errors": sum(r["errors"] for r in res), "lost": sum(r["lost"] for r in res),
             "reconnects": sum(r["reconnects"] for r in res), "processes": nproc}
    log("bench: conns %6d offered %7.0f/s served %7.0f/s p50 %8.0f us p99 %8.0f us (connect "
        "%.1f s, %d errors, %d lost)" % (nconns, rate, served, point["p50_us"], point["p99_us"],
                                        point["connect_s"], point["errors"], point["lost"]))
    return point


def measure(os_name, o, log):
    """The experiment on os_name: a list of points, two per connection count."""
    points = []
    step = 0
    with guests.boot(os_name, "echo", o, o.smp) as (ns, m):
        # Each count connects afresh from new addresses: the last count's sockets are still
        # in TIME-WAIT on the host for a minute.
        ns.sh("sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65535")
        for n in o.conn_counts:
            for rate in (o.conn_light_rate, o.conn_heavy_rate):
                points.append(run_point(ns, n, rate, o, step, log))
                step += nproc_for(n)
                time.sleep(1)
        if os_name == "ixos":
            m.absent(r"FATAL|panic")
    return points


def table(results, counts):
    """Markdown: per connection count, each OS's p99 at the light rate and what it served at
    the heavy one, and the ratios."""
    oses = [k for k in ("linux", "ixos") if k in results]
    head = ["connections"] + ["%s p99 (light)" % k for k in oses] + \
           ["%s served (heavy)" % k for k in oses]
    if len(oses) == 2:
        head += ["served ixos/Linux"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in counts:
        light = {k: [p for p in results[k] if p["conns"] == n][0] for k in oses}
        heavy = {k: [p for p in results[k] if p["conns"] == n][-1] for k in oses}
        row = ["%d" % n] + ["%.1f ms" % (light[k]["p99_us"] / 1e3) for k in oses] + \
              ["%.0f/s" % heavy[k]["served"] for k in oses]
        if len(oses) == 2:
            row.append("%.1fx" % (heavy["ixos"]["served"] / max(heavy["linux"]["served"], 1)))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
