"""mcload (tools/loadgen/), the benchmark's load generator, against both of the benchmark's
servers: a 2-second open-loop run of each protocol it speaks (echo, memcached ASCII and binary,
USR and ETC) against ixos and against the Linux baseline guest. Every run must end with one
JSON object holding every field, with its counts consistent: every measured request
scheduled is accounted for, none failed, nothing unparsable came back. No timing is asserted."""
import json
import os

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_linux import build as build_linux, linux_args

TESTS = []
MCLOAD = os.path.join(BUILD, "host", "mcload")
GUEST = "ip=198.18.0.2/24 gw=198.18.0.1 app_budget_us=200000"
FIELDS = ("tool server proto workload rate conns depth threads cpu assign keys size seed warmup "
          "duration drain preload preload_s preload_keys preload_errors scheduled sent "
          "completed errors hits misses stored lost backlogged depth_waits outstanding "
          "parse_errors reconnects connect_errors replies_in_window window_start_ns "
          "window_end_ns offered_rate achieved_rate latency_us histogram").split()
LATENCY = ("p50", "p90", "p99", "p999", "max", "mean")
RUNS = {"echo": [("echo", None)],
        "memcached": [("ascii", "usr"), ("binary", "usr"), ("ascii", "etc")]}


def run(ns, port, proto, workload):
    args = [MCLOAD, "--server", "%s:%d" % (NetNS.GUEST_IP, port), "--proto", proto,
            "--rate", "500", "--conns", "8", "--warmup", "0.5", "--duration", "2",
            "--drain", "5", "--quiet"]
    if workload:
        args += ["--workload", workload, "--keys", "2000"]
    r = ns.sh(*args, check=False, timeout=120)
    what = "mcload %s %s" % (proto, workload or "")
    if r.returncode != 0:
        raise TestFailure("%s: exit %d: %s" % (what, r.returncode, r.stderr[-1500:]))
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as e:
        raise TestFailure("%s: no JSON object (%s): %r" % (what, e, r.stdout[-500:]))
    missing = [f for f in FIELDS if f not in res]
    missing += ["latency_us." + k for k in LATENCY if k not in res.get("latency_us", {})]
    if missing:
        raise TestFailure("%s: JSON lacks %s" % (what, ", ".join(missing)))
    if res["scheduled"] == 0 or res["completed"] + res["lost"] + res["outstanding"] != \
            res["scheduled"]:
        raise TestFailure("%s: scheduled %d but completed %d + lost %d + outstanding %d"
                          % (what, res["scheduled"], res["completed"], res["lost"],
                             res["outstanding"]))
    bad = {k: res[k] for k in ("errors", "parse_errors", "connect_errors", "preload_errors")
           if res[k]}
    if bad or not res["histogram"]:
        raise TestFailure("%s: %s, histogram of %d buckets" % (what, bad, len(res["histogram"])))
    if workload and res["preload_keys"] != 2000:
        raise TestFailure("%s: preloaded %d keys of 2000" % (what, res["preload_keys"]))


def ixos_server(app):
    def fn(tmp):
        if app == "echo":
            mods, port = [(os.path.join(BUILD, "apps", "echo"), "7")], 7
        else:
            mods, port = [(os.path.join(BUILD, "apps", "memcached"), "-m 64 -p 11211")], 11211
        with NetNS() as ns, Machine(direct_args(GUEST, mods), smp=2, mem="512M", netns=ns) as m:
            m.expect(r"^ixos: ready cpus=2 ")
            m.expect(r"app %s: listening on TCP port %d" % (app, port))
            for proto, wl in RUNS[app]:
                run(ns, port, proto, wl)
    fn.__name__ = "mcload_json_against_ixos_%s" % app
    return fn


def mcload_json_against_linux(tmp):
    build_linux()
    with NetNS() as ns, Machine(linux_args(), smp=2, mem="512M", netns=ns) as m:
        m.expect(r"linux-baseline: ready ip=\S+ cpus=2", timeout=300)
        for proto, wl in RUNS["echo"]:
            run(ns, 7, proto, wl)
        for proto, wl in RUNS["memcached"]:
            run(ns, 11211, proto, wl)


TESTS += [ixos_server("echo"), ixos_server("memcached"), mcload_json_against_linux]
