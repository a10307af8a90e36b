#!/usr/bin/env python3
"""make bench: ixos against Linux in the same virtual machine, open loop, latency at load.

For each workload (echo of 64 B, memcached USR, memcached ETC) and each repetition, every OS
configuration is booted fresh and swept with mcload (tools/loadgen/: Poisson arrivals over
--conns connections, latency from each request's scheduled time) at rising rates until two
points in a row complete under 90% of what was offered; then, in the same boot, it runs at
10% and 50% of the saturation rate Linux (same vCPUs) reached in that repetition. The
configurations alternate: Linux, Linux on one vCPU, ixos; medians over the repetitions.
Then each configuration runs once more at its saturation rate under the project's QEMU with
the instruction-counting plugin (tools/qemu/insncount.c) for guest instructions per request.
Then echo over 100 to 100,000 connections (bench/conns.py), and static files over HTTP, ixos's
httpd against nginx (bench/httpbench.py: wrk closed loop, mcload open loop).

QEMU (every vCPU) is pinned to --qemu-cpus and mcload to --load-cpu: they never share a host
CPU. Writes build/bench/results.json (every point), summary.json, table.md and one PNG per
workload; with --docs DIR also DIR/results.md and the PNGs (what the README shows).
Not a test: it prints figures with their settings and asserts nothing about speed."""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import conns
import guests
import httpbench as http_bench  # bench/httpbench.py
import insns
import report
import stages
import sweep

WORKLOADS = ("echo", "usr", "etc")


def options(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    a = ap.add_argument
    a("--workloads", default=",".join(WORKLOADS), help="comma-separated: echo, usr, etc")
    a("--reps", type=int, default=3, help="repetitions of every sweep (default 3)")
    a("--rates", default="500,710,1000,1400,2000,2800,4000,5600,8000,11300,16000,22600,"
                         "32000,45000,64000,90000",
      help="offered requests/s of the sweep, rising (default: 500 to 90,000 in steps of 1.4x)")
    a("--smp", type=int, default=2, help="vCPUs of both guests (default 2: ixos has 1 "
                                         "management and 1 dataplane core)")
    a("--ixos-variant", action="append", default=[], metavar="NAME:ARGS",
      help="also run ixos with ARGS added to its kernel command line, as ixos-NAME (for "
           "before/after figures in one run; repeatable), e.g. poll0:idle_us=0; ARGS "
           "kernel=PATH boots another build of the kernel instead (the same apps)")
    a("--no-linux", action="store_true",
      help="ixos (and its variants) only: for quick before/after runs; the fractions are "
           "then of each configuration's own saturation")
    a("--no-linux-1cpu", action="store_true",
      help="leave out the extra baseline of Linux on one vCPU")
    a("--mem", default="1024M", help="guest memory (default 1024M)")
    a("--mc-mem", type=int, default=256, help="memcached -m on both (default 256)")
    a("--nic", default="igb", choices=("igb", "ixgbe"), help="the guests' NIC (default igb)")
    a("--conns", type=int, default=16, help="mcload connections (default 16)")
    a("--depth", type=int, default=1, help="requests in flight per connection (default 1)")
    a("--keys", type=int, default=10000, help="memcached key space, preloaded (default 10000)")
    a("--echo-size", type=int, default=64, help="echo message bytes (default 64)")
    a("--warmup", type=float, default=1, help="seconds of load before each measured window")
    a("--duration", type=float, default=3, help="seconds measured per point (default 3)")
    a("--insn-secs", type=float, default=3, help="seconds of the instruction-count run")
    a("--no-insns", action="store_true", help="skip the instruction counts")
    a("--conn-counts", default="100,1000,10000,100000",
      help="connection counts of the scalability experiment (default 100,1000,10000,100000)")
    a("--conn-rates", default="2000,45000",
      help="its light and heavy echo rates, requests/s in all (default 2000,45000)")
    a("--no-conns", action="store_true", help="skip the connection-scalability experiment")
    a("--conns-only", action="store_true",
      help="only the connection-scalability experiment (conns.json; with --docs, conns.md)")
    a("--no-http", action="store_true", help="skip the HTTP experiment")
    a("--http-only", action="store_true",
      help="only the HTTP experiment (http.json; with --docs, http.md and http.png)")
    a("--http-files", default="1k.bin,64k.bin", help="files the HTTP experiment GETs "
                                                     "(default 1k.bin,64k.bin)")
    a("--http-conns", default="1,100", help="its connection counts (default 1,100)")
    a("--http-secs", type=float, default=10, help="seconds of each wrk run (default 10)")
    a("--http-warmup", type=float, default=2,
      help="seconds of an unmeasured wrk run before each (default 2; 0: none)")
    a("--http-threads", type=int, default=1, help="wrk threads, at most the connections "
                                                  "(default 1: it has one host CPU)")
    a("--http-fractions", default="25,50,90",
      help="open-loop rates, %% of Linux's wrk rate for the case (default 25,50,90)")
    a("--sla", default="1,5,10", help="p99 SLAs in ms (default 1,5,10)")
    a("--qemu-cpus", default="1", help="host CPUs for QEMU (taskset list, default 1)")
    a("--load-cpu", default="0", help="host CPU for mcload (default 0)")
    a("--seed", type=int, default=1, help="mcload's seed")
    a("--out", default=os.path.join(guests.BUILD, "bench"), help="output folder")
    a("--docs", default=None, help="also write results.md and the plots here (docs/bench)")
    o = ap.parse_args(argv)
    o.workloads = [w for w in o.workloads.split(",") if w]
    bad = [w for w in o.workloads if w not in WORKLOADS]
    if bad:
        ap.error("unknown workload %s (echo, usr, etc)" % ",".join(bad))
    o.rates = [float(r) for r in o.rates.split(",")]
    o.slas = [float(s) for s in o.sla.split(",")]
    o.conn_counts = [int(n) for n in o.conn_counts.split(",") if n]
    o.conn_light_rate, o.conn_heavy_rate = [float(r) for r in o.conn_rates.split(",")]
    o.http_files = [f for f in o.http_files.split(",") if f]
    o.http_conns = [int(n) for n in o.http_conns.split(",") if n]
    o.http_fractions = [float(f) for f in o.http_fractions.split(",") if f]
    site = [n for n, _, _ in http_bench.SITE_FILES]
    if any(f not in site for f in o.http_files) or not o.http_files or not o.http_conns \
            or min(o.http_conns) < 1 or o.http_threads < 1:
        ap.error("--http-files from %s, --http-conns and --http-threads >= 1, please"
                 % ",".join(site))
    if o.http_only and (o.no_http or o.conns_only):
        ap.error("--http-only goes with neither --no-http nor --conns-only")
    if o.reps < 1 or o.smp < 2 or any(b <= a for a, b in zip(o.rates, o.rates[1:])):
        ap.error("--reps >= 1, --smp >= 2 and rising --rates, please")
    return o


def configs(o):
    """(name, OS, vCPUs, extra ixos arguments), in the order each repetition boots them: Linux first, for the
    fractions of its saturation the others run at."""
    out = [("linux", "linux", o.smp, "")]
    if not o.no_linux_1cpu and not o.no_linux:
        out.append(("linux-1cpu", "linux", 1, ""))
    if o.no_linux:
        out = []
    out.append(("ixos", "ixos", o.smp, ""))
    for v in o.ixos_variant:
        name, _, args = v.partition(":")
        out.append(("ixos-" + name, "ixos", o.smp, args))
    return out


def one(cfg, wl, o, ref_sat, log):
    """A fresh boot of cfg: the sweep, then the points at 10% and 50% of ref_sat (or of its
    own saturation if it is the reference)."""
    name, os_name, smp, extra = cfg
    cmdline = (guests.ixos_cmdline() + " " + extra) if extra else None
    with guests.boot(os_name, wl, o, smp, cmdline=cmdline) as (ns, _):
        pts = sweep.sweep(ns, wl, o.rates, o, log)
        sat = ref_sat if ref_sat else sweep.saturation(pts)
        fr = {}
        for frac in (10, 50):
            res = sweep.point(ns, wl, max(50.0, sat * frac / 100.0), o)
            log("    %-5s at %d%% of Linux's saturation: %s" % (wl, frac, sweep.brief(res)))
            fr[str(frac)] = res
    for p in pts + list(fr.values()):
        p.pop("histogram", None)
    return {"config": name, "workload": wl, "points": pts, "fractions": fr,
            "saturation": sweep.saturation(pts)}


def main(argv):
    o = options(argv)
    os.makedirs(o.out, exist_ok=True)
    log_f = open(os.path.join(o.out, "bench.log"), "w")

    def log(s):
        print(s, flush=True)
        log_f.write(s + "\n")
        log_f.flush()

    guests.build_linux()
    cfgs = configs(o)
    started = datetime.datetime.now(datetime.timezone.utc)
    sets = dict(guests.settings(o), workloads=o.workloads, reps=o.reps, rates=o.rates,
                conns=o.conns, depth=o.depth, keys=o.keys, echo_size=o.echo_size,
                warmup_s=o.warmup, duration_s=o.duration, sla_ms=o.slas,
                conn_counts=o.conn_counts, conn_rates=[o.conn_light_rate, o.conn_heavy_rate],
                http_files=o.http_files, http_conns=o.http_conns, http_secs=o.http_secs,
                http_fractions=o.http_fractions,
                load_cpu=o.load_cpu, host_cpus=os.cpu_count(), date=started.isoformat(),
                command="bench/bench.py " + " ".join(argv),
                configs=[{"name": n, "os": osn, "smp": s, "ixos_args": x}
                         for n, osn, s, x in cfgs],
                commit=subprocess.run(["git", "-C", guests.TOP, "describe", "--always",
                                       "--dirty"], capture_output=True,
                                      text=True).stdout.strip())
    log("bench: " + json.dumps(sets))
    if o.conns_only:
        conn_res = run_conns(o, cfgs, log)
        write_conns(o, sets, conn_res, log)
        return
    if o.http_only:
        http_res = http_bench.run(o, cfgs, log)
        http_bench.write(o, sets, http_res, log, started)
        return
    runs = []
    t0 = time.monotonic()
    for rep in range(o.reps):
        for wl in o.workloads:
            ref = None
            for cfg in cfgs:
                log("bench: repetition %d/%d, %s on %s (%d vCPUs) [%.0f s]"
                    % (rep + 1, o.reps, wl, cfg[0], cfg[2], time.monotonic() - t0))
                r = one(cfg, wl, o, ref, log)
                r["rep"] = rep
                if cfg[0] == "linux":
                    ref = r["saturation"]
                runs.append(r)
    summary = {c[0]: {wl: report.summarise([r for r in runs if r["config"] == c[0]
                                            and r["workload"] == wl], o.slas)
                      for wl in o.workloads} for c in cfgs}
    names = [c[0] for c in cfgs]
    # The sweeps' figures are written first: a later phase that fails loses only its own.
    write_results(o, sets, runs, summary, {}, {})
    stage_map = {}
    for wl in o.workloads:
        sat = summary["ixos"][wl]["saturation"]
        log("bench: where ixos's dataplane core spends its time, %s at 50%% and 100%% of its "
            "saturation (%.0f/s)" % (wl, sat))
        try:
            stage_map[wl] = stages.measure(wl, [sat * 0.5, sat], o, log)
        except guests.TestFailure as e:
            log("bench: the stage map of %s failed: %s" % (wl, e))
    conn_res = {} if o.no_conns else run_conns(o, cfgs, log)
    http_res = {} if o.no_http else http_bench.run(o, cfgs, log)
    if http_res:
        http_bench.write(o, sets, http_res, log, started)
    counts = {}
    if not o.no_insns:
        tmp = tempfile.mkdtemp(prefix="ixos-bench-")
        for name, os_name, smp, extra in cfgs:
            if extra:
                continue  # the variants' figures are the sweeps'
            for wl in o.workloads:
                rate = summary[name][wl]["saturation"]
                log("bench: instructions per request, %s on %s at %.0f/s" % (wl, name, rate))
                try:
                    counts.setdefault(name, {})[wl] = insns.measure(os_name, smp, wl, rate, o,
                                                                    tmp, log)
                except guests.TestFailure as e:
                    log("bench: instructions of %s on %s failed: %s" % (wl, name, e))
        shutil.rmtree(tmp, ignore_errors=True)
    tbl = report.table(summary, names, o.workloads, o.slas, counts)
    map_tbl = report.stage_table(stage_map)
    conn_tbl = conns.table(conn_res, o.conn_counts) if conn_res else ""
    if conn_res:
        write_conns(o, sets, conn_res, log)
    log("\n" + tbl + "\n" + map_tbl + "\n" + conn_tbl)
    write_results(o, sets, runs, summary, counts, stage_map, conn_res)
    with open(os.path.join(o.out, "table.md"), "w") as f:
        f.write(tbl + "\n" + map_tbl + "\n" + conn_tbl)
    pngs = []
    for wl in o.workloads:
        path = os.path.join(o.out, "%s.png" % wl)
        title = ("%s: %s, %d conns, open loop, %s, q35 TCG on 1 host CPU, %s UTC"
                 % (wl, "64 B echo" if wl == "echo" else "memcached " + wl.upper(), o.conns,
                    o.nic, started.strftime("%Y-%m-%d")))
        report.plot(summary, names, wl, path, o.slas, title)
        pngs.append(path)
    if o.docs:
        write_docs(o, sets, tbl, map_tbl, conn_tbl, pngs, bool(http_res))
    log("bench: done in %.0f s; figures in %s" % (time.monotonic() - t0, o.out))


def run_conns(o, cfgs, log):
    """The connection-scalability experiment on Linux and ixos (not the variants)."""
    out = {}
    for name, os_name, smp, extra in cfgs:
        if extra or name == "linux-1cpu":
            continue
        log("bench: connection scalability on %s: echo over %s connections at %g and %g/s"
            % (name, o.conn_counts, o.conn_light_rate, o.conn_heavy_rate))
        try:
            out[name] = conns.measure(os_name, o, log)
        except guests.TestFailure as e:
            log("bench: connection scalability on %s failed: %s" % (name, e))
    return out


def write_conns(o, sets, conn_res, log):
    """conns.json in --out; with --docs, conns.md there too."""
    tbl = conns.table(conn_res, o.conn_counts)
    log("\n" + tbl)
    with open(os.path.join(o.out, "conns.json"), "w") as f:
        json.dump({"settings": sets, "connections": conn_res}, f, indent=1)
    if not o.docs:
        return
    os.makedirs(o.docs, exist_ok=True)
    lines = ["# Connection scalability: echo as the connections grow", "",
             "Made on %s by `%s` at commit %s." % (sets["date"][:16].replace("T", " "),
                                                    sets["command"], sets["commit"]), "",
             "Echo of 64 B over every one of N concurrent connections (requests to them at "
             "random, Poisson arrivals), one boot per OS (%s, %d vCPUs, %s, q35 TCG on one host "
             "CPU), at %g/s offered (p99 of a server that is not busy) and %g/s offered (past "
             "both servers' saturation: what each serves). The connections are shared among "
             "mcload processes of at most %d (the open-file limit), each from its own source "
             "address; all connect before any load starts; their histograms are merged. "
             "%g s measured after %g s of warm-up."
             % (sets["nic"], sets["smp"], sets["mem"], o.conn_light_rate, o.conn_heavy_rate,
                conns.PER_PROC, o.duration, o.warmup), "", tbl, "",
             "Every point (connect time, p50, errors, lost) is in `build/bench/conns.json`.", ""]
    with open(os.path.join(o.docs, "conns.md"), "w") as f:
        f.write("\n".join(lines))


def write_results(o, sets, runs, summary, counts, stage_map, conn_res=None):
    with open(os.path.join(o.out, "results.json"), "w") as f:
        json.dump({"settings": sets, "runs": runs}, f, indent=1)
    with open(os.path.join(o.out, "summary.json"), "w") as f:
        json.dump({"settings": sets, "summary": summary, "instructions": counts,
                   "stages": stage_map, "connections": conn_res or {}}, f, indent=1)


def write_docs(o, sets, tbl, map_tbl, conn_tbl, pngs, http_done=False):
    os.makedirs(o.docs, exist_ok=True)
    for p in pngs:
        shutil.copy(p, o.docs)
    lines = ["# ixos against Linux: the latest `make bench`", "",
             "Made on %s by `%s` at commit %s." % (sets["date"][:16].replace("T", " "),
                                                    sets["command"], sets["commit"]), "",
             "## Settings", ""]
    for k, v in sets.items():
        if k not in ("date", "command", "commit"):
            lines.append("- %s: %s" % (k, json.dumps(v) if not isinstance(v, str) else v))
    lines += ["", "## Figures (medians over the repetitions)", "", tbl, "",
              "## Where ixos's dataplane core spends its time", "",
              "Per-stage cycle counters of net/dp_stats.h over a load at 50% and 100% of ixos's "
              "saturation (its own boot, stats printed every second): share of the core's busy "
              "time and nanoseconds of (TCG) time per request.", "", map_tbl, ""]
    if conn_tbl:
        lines += ["## Connection scalability", "", "In [conns.md](conns.md).", ""]
    if http_done:
        lines += ["## Static files over HTTP (httpd against nginx)", "", "In [http.md](http.md).",
                  ""]
    for p in pngs:
        lines += ["![%s](%s)" % (os.path.basename(p), os.path.basename(p)), ""]
    with open(os.path.join(o.docs, "results.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
