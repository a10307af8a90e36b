"""One load point and one load sweep of `make bench`, driven by mcload (tools/loadgen/) from
inside the guest's namespace, pinned to its own host CPU."""
import json
import os

from guests import BUILD, PORTS, NetNS, TestFailure

MCLOAD = os.path.join(BUILD, "host", "mcload")
# A point whose completions fall under this share of what was offered is past saturation.
SATURATED = 0.9


def mcload_args(workload, rate, o, preload, duration=None):
    proto = "echo" if workload == "echo" else "ascii"
    args = [MCLOAD, "--server", "%s:%d" % (NetNS.GUEST_IP, PORTS[workload]), "--proto", proto,
            "--rate", "%g" % rate, "--conns", str(o.conns), "--depth", str(o.depth),
            "--cpu", o.load_cpu, "--warmup", "%g" % o.warmup,
            "--duration", "%g" % (duration or o.duration), "--drain", "2", "--quiet",
            "--seed", str(o.seed)]
    if workload == "echo":
        args += ["--size", str(o.echo_size)]
    else:
        args += ["--workload", workload, "--keys", str(o.keys)]
        args += ["--preload", "--preload-timeout", "120"] if preload else ["--no-preload"]
    return args


def point(ns, workload, rate, o, preload=False, duration=None):
    """One open-loop run at rate requests/s; returns mcload's JSON (a dict)."""
    args = mcload_args(workload, rate, o, preload, duration)
    r = ns.sh(*args, check=False, timeout=(duration or o.duration) + o.warmup + 200)
    if r.returncode != 0 or not r.stdout.strip():
        raise TestFailure("mcload %s at %g/s failed (exit %d): %s"
                          % (workload, rate, r.returncode, r.stderr[-1500:]))
    res = json.loads(r.stdout.strip().splitlines()[-1])
    return res


def served_rate(res):
    """What the server answered per second inside the measured window, whichever requests
    (under overload the window's own may be answered only in the drain, or never)."""
    return res["replies_in_window"] / res["duration"]


def saturated(res):
    return served_rate(res) < SATURATED * res["offered_rate"]


def brief(res):
    lat = res["latency_us"]
    return ("offered %8.0f/s served %8.0f/s p50 %8.0f us p99 %8.0f us p99.9 %8.0f us "
            "errors %d lost %d" % (res["offered_rate"], served_rate(res), lat["p50"],
                                   lat["p99"], lat["p999"], res["errors"], res["lost"]))


def sweep(ns, workload, rates, o, log):
    """Runs the rates in order (the first run preloads the key space) until two points in a
    row are past saturation; returns the points' results."""
    out, over = [], 0
    for i, rate in enumerate(rates):
        res = point(ns, workload, rate, o, preload=(i == 0 and workload != "echo"))
        out.append(res)
        log("    %-5s %s" % (workload, brief(res)))
        over = over + 1 if saturated(res) else 0
        if over >= 2:
            break
    return out


def saturation(points):
    """The most requests/s the server answered in any point's window."""
    return max(served_rate(p) for p in points)
