"""The figures of `make bench` from its runs: medians over repetitions, throughput at each p99
SLA, p99 at fractions of Linux's saturation, instructions per request, the ixos/Linux ratios;
the table (Markdown) and one latency-versus-throughput plot per workload."""
import math
import statistics

from sweep import SATURATED, served_rate

INF = float("inf")


def median(xs):
    return statistics.median(xs) if xs else None


def curve(runs):
    """Per offered rate (rounded), the medians over the repetitions: (rate, achieved, p50, p99).
    A repetition that stopped before a rate (saturated) counts there as saturated: p99 infinite,
    nothing achieved beyond its best."""
    rates = sorted({round(p["rate"]) for r in runs for p in r["points"]})
    out = []
    for rate in rates:
        ach, p50, p99 = [], [], []
        for r in runs:
            pts = [p for p in r["points"] if round(p["rate"]) == rate]
            if pts:
                p = pts[0]
                ach.append(served_rate(p))
                p50.append(p["latency_us"]["p50"])
                p99.append(p["latency_us"]["p99"])
            else:
                ach.append(max(served_rate(p) for p in r["points"]))
                p50.append(INF)
                p99.append(INF)
        out.append((rate, median(ach), median(p50), median(p99)))
    return out


def at_sla(crv, sla_us):
    """The most requests/s served at a rate whose median p99 is within sla_us and whose
    service kept up with what was offered; 0 if none."""
    best = 0.0
    for rate, ach, _, p99 in crv:
        if p99 <= sla_us and ach >= SATURATED * rate:
            best = max(best, ach)
    return best


def summarise(runs, slas_ms):
    """The figures of one OS configuration on one workload, from its repetitions."""
    crv = curve(runs)
    s = {"curve": [{"rate": r, "achieved": a, "p50_us": p50, "p99_us": p99}
                   for r, a, p50, p99 in crv],
         "saturation": median([max(served_rate(p) for p in r["points"]) for r in runs]),
         "at_sla": {str(ms): at_sla(crv, ms * 1000.0) for ms in slas_ms},
         "repetitions": len(runs)}
    for frac in ("10", "50"):
        got = [r["fractions"][frac] for r in runs if r.get("fractions", {}).get(frac)]
        s["p99_at_%s" % frac] = median([p["latency_us"]["p99"] for p in got])
        s["rate_at_%s" % frac] = median([p["rate"] for p in got])
    return s


def ratio(a, b, lower_is_better=False):
    if a is None or b is None or not b or (lower_is_better and not a):
        return None
    return a / b


def fmt(v, unit=""):
    if v is None:
        return "-"
    if v == INF:
        return "sat."
    if v >= 100:
        return "%.0f%s" % (v, unit)
    return "%.2f%s" % (v, unit)


def row(wl, name, vals, configs, linuxes, lower):
    out = [wl, name] + [fmt(vals[c]) for c in configs]
    for c in linuxes:
        r = ratio(vals["ixos"], vals[c], lower)
        out.append("-" if r is None or math.isinf(r) else "%.2fx" % r)
    return out


def table(summary, configs, workloads, slas_ms, insns):
    """Markdown: one row per figure and workload, one column per OS configuration, then the
    ratios of ixos to each Linux configuration."""
    linuxes = [c for c in configs if c.startswith("linux")]
    head = ["workload", "figure"] + configs + ["ixos / %s" % c for c in linuxes]
    rows = [head, ["---"] * len(head)]
    for wl in workloads:
        figs = [("req/s at p99 <= %g ms" % ms, lambda s, ms=ms: s["at_sla"][str(ms)], False)
                for ms in slas_ms]
        figs.append(("saturation req/s", lambda s: s["saturation"], False))
        for frac in ("10", "50"):
            figs.append(("p99 us at %s%% of Linux sat." % frac,
                         lambda s, f=frac: s["p99_at_%s" % f], True))
        for name, get, lower in figs:
            vals = {c: get(summary[c][wl]) if wl in summary.get(c, {}) else None
                    for c in configs}
            rows.append(row(wl, name, vals, configs, linuxes, lower))
        vals = {c: insns.get(c, {}).get(wl, {}).get("per_request") for c in configs}
        rows.append(row(wl, "guest instructions/request", vals, configs, linuxes, True))
    return "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n"


def plot(summary, configs, wl, path, slas_ms, title):
    """p99 and p50 against completed requests/s, both OSes, log latency axis; SLAs drawn."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for c in configs:
        if wl not in summary.get(c, {}):
            continue
        pts = []
        for p in summary[c][wl]["curve"]:  # up to the first point that fell behind
            if p["p99_us"] == INF or not p["achieved"]:
                break
            pts.append(p)
            if p["achieved"] < SATURATED * p["rate"]:
                break
        xs = [p["achieved"] for p in pts]
        line, = ax.plot(xs, [p["p99_us"] / 1000 for p in pts], marker="o", label="%s p99" % c)
        ax.plot(xs, [p["p50_us"] / 1000 for p in pts], linestyle="--", marker=".",
                color=line.get_color(), label="%s p50" % c)
    for ms in slas_ms:
        ax.axhline(ms, color="grey", linewidth=0.6, linestyle=":")
    ax.set_yscale("log")
    ax.set_xlabel("requests/s served")
    ax.set_ylabel("latency (ms), from each request's scheduled time")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def stage_table(stage_map):
    """Markdown: per workload and load, each dataplane core's busy-time shares and ns per
    request by stage (bench/stages.py)."""
    from stages import BUSY
    head = ["workload", "load req/s", "cpu"] + ["%s" % s for s in BUSY] + ["events per app run"]
    rows = [head, ["---"] * len(head)]
    for wl, points in stage_map.items():
        for p in points:
            for cpu, c in sorted(p["cores"].items()):
                rows.append([wl, "%.0f" % p["achieved"], str(cpu)] +
                            ["%.0f%% (%.0f ns)" % (100 * c["busy_share"][s],
                                                   c["ns_per_request"][s]) for s in BUSY] +
                            ["%.1f" % (c["app_events"] / max(1, c["app_runs"]))])
    return "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n"
