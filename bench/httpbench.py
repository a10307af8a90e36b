"""The HTTP experiment of `make bench`: static files over keep-alive HTTP/1.1, ixos's httpd
(user/apps/httpd, serving a tar archive given as a boot module) against nginx 1.22 on the
Linux baseline (Debian 12's nginx: one worker per vCPU, sendfile, SO_REUSEPORT; its settings
are in bench/linux/init). Both serve the same archive, build/bench/http-site.tar (index.html,
1k.bin and 64k.bin of random bytes), in the same VM as the other experiments.

For each OS (one boot), each file and each number of connections (1 and 100 by default):
  - wrk, closed loop (Debian's wrk 4.1, one thread pinned to --load-cpu, --http-secs
    measured after a short unmeasured run): requests/s, transfer/s, p50 and p99 from its
    --latency distribution, socket errors and non-2xx responses;
  - mcload --proto http, open loop (Poisson arrivals over the same connections, latency from
    each request's scheduled time to the last byte of its body), at --http-fractions of the
    closed-loop rate wrk reached on Linux for that file and count (of the OS's own rate
    if Linux was not run): served requests/s, p50, p99.
Writes http.json in --out and, with --docs, http.md and http.png there."""
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import tarfile
import tempfile
import time

import guests
from guests import HTTP_INITRD, HTTP_SITE, LINUX, NetNS, TestFailure
from sweep import MCLOAD, SATURATED

MTIME = 1700000000
# (name, size, seed): the site. index.html is text; the others are random bytes.
SITE_FILES = [("index.html", 0, 0), ("1k.bin", 1024, 1), ("64k.bin", 65536, 2)]
INDEX = (b"<!doctype html>\n<html><head><title>ixos bench</title></head><body>\n"
         b"<p>The site of bench/httpbench.py: <a href=\"1k.bin\">1k.bin</a>, "
         b"<a href=\"64k.bin\">64k.bin</a>.</p>\n</body></html>\n")


def content(name, size, seed):
    if name == "index.html":
        return INDEX
    return random.Random(seed).randbytes(size)


def write_site():
    """build/bench/http-site.tar (ustar: what busybox tar and httpd's tarfs both read), made
    afresh each run from the fixed contents above; returns {name: bytes}."""
    files = {n: content(n, s, k) for n, s, k in SITE_FILES}
    os.makedirs(os.path.dirname(HTTP_SITE), exist_ok=True)
    tmp = HTTP_SITE + ".tmp%d" % os.getpid()
    with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, MTIME
            t.addfile(ti, io.BytesIO(data))
    os.replace(tmp, HTTP_SITE)
    return files


def cpio_newc(entries):
    """A newc cpio archive of entries (name, mode, data), with its trailer."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
        nb = name.encode() + b"\0"
        fields = (ino if name != "TRAILER!!!" else 0, mode, 0, 0,
                  2 if mode & 0o040000 else 1, MTIME, len(data), 0, 0, 0, 0, len(nb), 0)
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + nb
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def write_linux_initrd():
    """build/bench/http-initrd.gz: the Linux guest's initramfs, then a second gzipped cpio
    archive holding /srv/site.tar (the kernel unpacks concatenated archives in turn)."""
    with open(HTTP_SITE, "rb") as f:
        site = f.read()
    extra = gzip.compress(cpio_newc([("srv", 0o040755, b""),
                                     ("srv/site.tar", 0o100644, site)]), 6)
    tmp = HTTP_INITRD + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as out, open(os.path.join(LINUX, "initrd.gz"), "rb") as base:
        shutil.copyfileobj(base, out)
        out.write(extra)
    os.replace(tmp, HTTP_INITRD)


def prepare():
    """The site and the Linux initramfs with it; returns the files' contents."""
    files = write_site()
    write_linux_initrd()
    return files


def check_files(ns, files, tmp):
    """Each file fetched once with curl must arrive whole (status 200, same bytes)."""
    for name, data in files.items():
        dest = os.path.join(tmp, "got-" + name)
        r = subprocess.run(["ip", "netns", "exec", ns.name, "curl", "-sS", "--max-time", "30",
                            "-o", dest, "-w", "%{http_code}",
                            "http://%s/%s" % (NetNS.GUEST_IP, name)],
                           capture_output=True, text=True, timeout=60)
        got = open(dest, "rb").read() if os.path.exists(dest) else b""
        if r.returncode != 0 or r.stdout.strip() != "200" or \
                hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
            raise TestFailure("GET /%s: curl exit %d, status %s, %d of %d bytes%s: %s"
                              % (name, r.returncode, r.stdout.strip(), len(got), len(data),
                                 "" if len(got) != len(data) else " (other bytes)",
                                 r.stderr[-300:]))


# wrk's units (src/units.c): time in us/ms/s/m/h, sizes in 1024-based B/KB/MB/GB/TB.
TIME_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}
SIZE_B = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def parse_wrk(text):
    """wrk --latency's report as a dict: requests, requests_per_s, bytes_per_s, the latency
    percentiles (us), socket errors and non-2xx/3xx responses."""
    def num(pattern, conv=float):
        m = re.search(pattern, text, re.M)
        if not m:
            raise TestFailure("wrk's output has no %r: %s" % (pattern, text[-1500:]))
        return conv(m.group(1))

    out = {"requests": num(r"^\s*(\d+) requests in ", int),
           "wrk_seconds": num(r"requests in ([\d.]+)s,"),
           "requests_per_s": num(r"^Requests/sec:\s+([\d.]+)")}
    m = re.search(r"^Transfer/sec:\s+([\d.]+)(B|KB|MB|GB|TB)", text, re.M)
    if not m:
        raise TestFailure("wrk's output has no Transfer/sec: %s" % text[-1500:])
    out["bytes_per_s"] = float(m.group(1)) * SIZE_B[m.group(2)]
    dist = re.search(r"Latency Distribution\n((?:\s+\d+%\s+\S+\n)+)", text)
    if not dist:
        raise TestFailure("wrk's output has no latency distribution: %s" % text[-1500:])
    lat = {}
    for pct, val in re.findall(r"(\d+)%\s+([\d.]+[a-z]+)", dist.group(1)):
        v = re.match(r"([\d.]+)([a-z]+)", val)
        lat["p%s" % pct] = float(v.group(1)) * TIME_US[v.group(2)]
    out["latency_us"] = lat
    se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                    map(int, se.groups()))) if se else {}
    nx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(nx.group(1)) if nx else 0
    out["errors"] = sum(out["socket_errors"].values()) + out["non2xx"]
    return out


def wrk(ns, path, conns, secs, o):
    args = ["taskset", "-c", o.load_cpu, "wrk", "-t%d" % min(o.http_threads, conns),
            "-c%d" % conns, "-d%gs" % secs, "--timeout", "5s", "--latency",
            "http://%s%s" % (NetNS.GUEST_IP, path)]
    r = ns.sh(*args, check=False, timeout=secs + 60)
    if r.returncode != 0:
        raise TestFailure("wrk %s over %d connections: exit %d %s %s"
                          % (path, conns, r.returncode, r.stdout[-1000:], r.stderr[-1000:]))
    res = parse_wrk(r.stdout)
    res["command"] = " ".join(args[3:])
    return res


def mcload_has_http():
    """Whether build/host/mcload has an HTTP mode (--proto http): None if so, else why not."""
    if not os.path.exists(MCLOAD):
        return "%s is not built" % MCLOAD
    r = subprocess.run([MCLOAD, "--help"], capture_output=True, text=True, timeout=30)
    text = r.stdout + r.stderr
    if not re.search(r"--proto P .*\bhttp\b", text) or "--path" not in text:
        return "mcload --help shows no --proto http with --path"
    return None


def mcload(ns, path, conns, rate, o):
    """One open-loop run; mcload's JSON without its histogram."""
    args = [MCLOAD, "--server", "%s:80" % NetNS.GUEST_IP, "--proto", "http", "--path", path,
            "--rate", "%g" % rate, "--conns", str(conns), "--depth", "1",
            "--cpu", o.load_cpu, "--warmup", "%g" % o.warmup, "--duration", "%g" % o.duration,
            "--drain", "2", "--connect-timeout", "30", "--quiet", "--seed", str(o.seed)]
    r = ns.sh(*args, check=False, timeout=o.warmup + o.duration + 120)
    if r.returncode != 0 or not r.stdout.strip():
        raise TestFailure("mcload http %s over %d connections at %g/s failed (exit %d): %s"
                          % (path, conns, rate, r.returncode, r.stderr[-1500:]))
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res.pop("histogram", None)
    return res


def served(res):
    return res["replies_in_window"] / res["duration"]


def measure(os_name, o, files, ref, log):
    """Every (file, connections) case on os_name in one boot. ref: {(file, conns): closed-loop
    requests/s} the open-loop rates are fractions of (None: this OS's own). Returns the
    cases."""
    no_mcload = mcload_has_http()
    if no_mcload:
        log("bench: http: no open-loop points: %s" % no_mcload)
    cases = []
    tmp = tempfile.mkdtemp(prefix="ixos-bench-http-")
    try:
        with guests.boot(os_name, "http", o, o.smp) as (ns, m):
            check_files(ns, files, tmp)
            for name in o.http_files:
                for conns in o.http_conns:
                    path = "/" + name
                    if o.http_warmup > 0:
                        wrk(ns, path, conns, o.http_warmup, o)  # not measured
                    w = wrk(ns, path, conns, o.http_secs, o)
                    log("bench: http %-4s %-8s %3d conns wrk: %8.0f req/s %7.2f MB/s p50 %8.0f "
                        "us p99 %8.0f us, %d errors"
                        % (os_name, name, conns, w["requests_per_s"], w["bytes_per_s"] / 1e6,
                           w["latency_us"].get("p50", 0), w["latency_us"].get("p99", 0),
                           w["errors"]))
                    case = {"file": name, "size": len(files[name]), "conns": conns, "wrk": w,
                            "open_loop": [], "open_loop_reference": None}
                    base = (ref or {}).get((name, conns)) or w["requests_per_s"]
                    case["open_loop_reference"] = base
                    for frac in ([] if no_mcload else o.http_fractions):
                        rate = max(10.0, base * frac / 100.0)
                        res = mcload(ns, path, conns, rate, o)
                        lat = res["latency_us"]
                        pt = {"fraction": frac, "offered": res["offered_rate"],
                              "served": served(res), "p50_us": lat["p50"],
                              "p99_us": lat["p99"], "p999_us": lat["p999"],
                              "errors": res["errors"], "lost": res["lost"],
                              "parse_errors": res["parse_errors"],
                              "non2xx": res.get("http_non2xx", 0),
                              "reconnects": res["reconnects"],
                              "body_bytes_per_s": res.get("body_bytes_per_s", 0)}
                        case["open_loop"].append(pt)
                        log("bench: http %-4s %-8s %3d conns open loop %3d%%: offered %8.0f/s "
                            "served %8.0f/s p50 %8.0f us p99 %8.0f us, %d errors %d lost"
                            % (os_name, name, conns, frac, pt["offered"], pt["served"],
                               pt["p50_us"], pt["p99_us"], pt["errors"] + pt["non2xx"],
                               pt["lost"]))
                    cases.append(case)
            if os_name == "ixos":
                m.absent(r"FATAL|faulted")
            else:
                m.absent(r"FATAL|Kernel panic|\[emerg\]|\[alert\]")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cases


def run(o, cfgs, log):
    """The experiment on Linux (first, for the open-loop reference rates) and ixos, not the
    variants nor Linux on one vCPU. Returns {config: cases}; a failed OS is logged, left out."""
    files = prepare()
    out = {}
    ref = None
    t0 = time.monotonic()
    for name, os_name, smp, extra in cfgs:
        if extra or name == "linux-1cpu":
            continue
        log("bench: http on %s: %s over %s connections, wrk %g s each [%.0f s]"
            % (name, ",".join(o.http_files), ",".join(map(str, o.http_conns)), o.http_secs,
               time.monotonic() - t0))
        try:
            out[name] = measure(os_name, o, files, ref if name != "linux" else None, log)
        except TestFailure as e:
            log("bench: http on %s failed: %s" % (name, e))
            continue
        if name == "linux":
            ref = {(c["file"], c["conns"]): c["wrk"]["requests_per_s"] for c in out[name]}
    log("bench: http done in %.0f s" % (time.monotonic() - t0))
    return out


def settings(o):
    return {"files": {n: len(content(n, s, k)) for n, s, k in SITE_FILES},
            "served": o.http_files, "conns": o.http_conns, "wrk_secs": o.http_secs,
            "wrk_warmup_secs": o.http_warmup, "wrk_threads": o.http_threads,
            "open_loop_fractions": o.http_fractions,
            "open_loop_warmup_s": o.warmup, "open_loop_duration_s": o.duration,
            "ixos_app": "httpd " + guests.HTTPD_ARGS,
            "linux_server": "nginx 1.22 (Debian 12): worker_processes = vCPUs, "
                            "worker_cpu_affinity auto, sendfile, tcp_nopush, tcp_nodelay, "
                            "keepalive_timeout 65, keepalive_requests 1000000, access_log "
                            "off, listen 80 reuseport"}


def ms(us):
    if us is None:
        return "-"
    return "%.*f ms" % (2 if us < 1e4 else 1 if us < 1e5 else 0, us / 1e3)


def find(results, osn, f, n):
    for c in results.get(osn, []):
        if c["file"] == f and c["conns"] == n:
            return c
    return None


def tables(results, o):
    """Markdown: the closed-loop table, the ratios, the open-loop points."""
    oses = [k for k in ("linux", "ixos") if k in results]
    lines = ["| OS | file | conns | req/s | MB/s | p50 | p99 | errors |", "|" + "---|" * 8]
    for osn in oses:
        for c in results[osn]:
            w = c["wrk"]
            lines.append("| %s | %s | %d | %.0f | %.1f | %s | %s | %d |"
                         % (osn, c["file"], c["conns"], w["requests_per_s"],
                            w["bytes_per_s"] / 1e6, ms(w["latency_us"].get("p50")),
                            ms(w["latency_us"].get("p99")), w["errors"]))
    closed = "\n".join(lines)
    ratios = ""
    if len(oses) == 2:
        lines = ["| file | conns | req/s ixos/Linux | p50 ixos/Linux | p99 ixos/Linux |",
                 "|" + "---|" * 5]
        for f in o.http_files:
            for n in o.http_conns:
                a, b = find(results, "ixos", f, n), find(results, "linux", f, n)
                if not a or not b:
                    continue
                aw, bw = a["wrk"], b["wrk"]

                def r(x, y):
                    return "%.2fx" % (x / y) if x and y else "-"
                lines.append("| %s | %d | %s | %s | %s |" % (
                    f, n, r(aw["requests_per_s"], bw["requests_per_s"]),
                    r(aw["latency_us"].get("p50"), bw["latency_us"].get("p50")),
                    r(aw["latency_us"].get("p99"), bw["latency_us"].get("p99"))))
        ratios = "\n".join(lines)
    lines = ["| OS | file | conns | share of reference | offered/s | served/s | p50 | p99 | "
             "errors | lost |", "|" + "---|" * 10]
    anyp = False
    for osn in oses:
        for c in results[osn]:
            for p in c["open_loop"]:
                anyp = True
                lines.append("| %s | %s | %d | %d%% of %.0f | %.0f | %.0f%s | %s | %s | %d | %d |"
                             % (osn, c["file"], c["conns"], p["fraction"],
                                c["open_loop_reference"], p["offered"], p["served"],
                                "" if p["served"] >= SATURATED * p["offered"] else " (behind)",
                                ms(p["p50_us"]), ms(p["p99_us"]),
                                p["errors"] + p["non2xx"] + p["parse_errors"], p["lost"]))
    open_loop = "\n".join(lines) if anyp else ""
    return closed, ratios, open_loop


def plot(results, o, path, title):
    """Left: wrk's requests/s per case and OS. Right: open-loop p99 against served rate."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    oses = [k for k in ("linux", "ixos") if k in results]
    cases = [(f, n) for f in o.http_files for n in o.http_conns]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=110)
    width = 0.8 / max(1, len(oses))
    for i, osn in enumerate(oses):
        ys = [(find(results, osn, f, n) or {"wrk": {"requests_per_s": 0}})["wrk"]
              ["requests_per_s"] for f, n in cases]
        ax1.bar([k + (i - (len(oses) - 1) / 2) * width for k in range(len(cases))], ys,
                width, label=osn)
    ax1.set_xticks(range(len(cases)))
    ax1.set_xticklabels(["%s\n%d conn%s" % (f, n, "" if n == 1 else "s") for f, n in cases],
                        fontsize=8)
    ax1.set_ylabel("requests/s (wrk, closed loop)")
    ax1.grid(True, axis="y", linewidth=0.3)
    ax1.legend(fontsize=8)
    styles = {"linux": "-", "ixos": "--"}
    for f, n in cases:
        color = None
        for osn in oses:
            c = find(results, osn, f, n)
            if not c or not c["open_loop"]:
                continue
            pts = sorted(c["open_loop"], key=lambda p: p["offered"])
            line, = ax2.plot([p["served"] for p in pts], [p["p99_us"] / 1e3 for p in pts],
                             marker="o", linestyle=styles.get(osn, "-"), color=color,
                             label="%s %s %d conn%s" % (osn, f, n, "" if n == 1 else "s"))
            color = line.get_color()
    ax2.set_yscale("log")
    ax2.set_xscale("log")
    ax2.set_xlabel("requests/s served (mcload, open loop)")
    ax2.set_ylabel("p99 (ms), from each request's scheduled time")
    ax2.grid(True, which="both", linewidth=0.3)
    if ax2.lines:
        ax2.legend(fontsize=6)
    else:
        ax2.text(0.5, 0.5, "no open-loop points", ha="center", transform=ax2.transAxes)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(o, sets, results, log, started):
    """http.json and http.png in --out; with --docs, http.md and http.png there."""
    sets = dict(sets, http=settings(o))
    with open(os.path.join(o.out, "http.json"), "w") as f:
        json.dump({"settings": sets, "http": results}, f, indent=1)
    closed, ratios, open_loop = tables(results, o)
    log("\n" + closed + "\n\n" + ratios + "\n\n" + open_loop)
    png = os.path.join(o.out, "http.png")
    plot(results, o, png, "static files over keep-alive HTTP/1.1: ixos httpd vs Linux nginx, "
         "%d vCPUs, %s, q35 TCG on 1 host CPU, %s UTC" % (o.smp, o.nic,
                                                         started.strftime("%Y-%m-%d")))
    if not o.docs:
        return
    os.makedirs(o.docs, exist_ok=True)
    shutil.copy(png, o.docs)
    hs = sets["http"]
    lines = ["# Static files over HTTP: ixos's httpd against nginx on Linux", "",
             "Made on %s by `%s` at commit %s." % (sets["date"][:16].replace("T", " "),
                                                    sets["command"], sets["commit"]), "",
             "Each OS booted once (%d vCPUs, %s, %s, q35 TCG, QEMU on host CPU %s, the load "
             "on host CPU %s) serving the same tar archive (%s): ixos's `%s`, the archive a "
             "boot module; Linux's %s, the archive unpacked into its tmpfs. Keep-alive "
             "connections, never closed by either server during a run."
             % (sets["smp"], sets["mem"], sets["nic"], sets["qemu_host_cpus"], o.load_cpu,
                ", ".join("%s %d B" % kv for kv in hs["files"].items()), hs["ixos_app"],
                hs["linux_server"]), "",
             "## Closed loop (wrk)", "",
             "`wrk -t1 -cN -d%gs --latency` (after an unmeasured %g s run): requests/s, MB/s "
             "(10^6 bytes/s of responses, headers included, as wrk counts them), p50 and p99 "
             "of its latency distribution; errors are socket errors and non-2xx responses."
             % (o.http_secs, o.http_warmup), "", closed, ""]
    if ratios:
        lines += ["Ratios (req/s: higher is better for ixos; latency: lower is):", "", ratios,
                  ""]
    lines += ["## Open loop (mcload --proto http)", ""]
    if open_loop:
        lines += ["Poisson arrivals over the same N connections, one request in flight on each "
                  "(the others wait in mcload), at shares of the closed-loop rate wrk reached "
                  "on Linux for that case (the reference), so both OSes get the same offered "
                  "load; latency from each request's scheduled time to the last byte of its "
                  "body; %g s measured after %g s of warm-up. \"behind\": served under %d%% of "
                  "what was offered." % (o.duration, o.warmup, SATURATED * 100), "",
                  open_loop, ""]
    else:
        lines += ["Not measured in this run (mcload had no HTTP mode).", ""]
    lines += ["![requests/s and open-loop p99](http.png)", "",
              "Every figure is in `build/bench/http.json`.", ""]
    with open(os.path.join(o.docs, "http.md"), "w") as f:
        f.write("\n".join(lines))
