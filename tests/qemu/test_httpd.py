"""httpd on ixos (user/apps/httpd): a static-file HTTP/1.1 server whose files come from a
tar archive given as a data module (kernel/datamod.c), sent zero-copy from the archive's pages.
Each test boots a 4-CPU guest (3 dataplane cores) on igb and ixgbe, with the test archive of
tests/qemu/httpd_site.py (0 B to 64 MiB, names with spaces and UTF-8, unsafe names).

httpd_serves_the_archive: curl GETs and HEADs every file (bodies by SHA-256), keep-alive,
Range, conditionals, HTTP/1.0, 20 pipelined requests, directories, every error status and
path escape (tests/qemu/httpd_client.py), a slowloris client (408) while others are served,
1,000 connections at once, wrk for 10 s over 64 connections; then `ixmgr stats` shows httpd's
counters agreeing with what was sent, and the access log is rate-limited.

httpd_downloads_survive_loss_and_moves: the 64 MiB file and four 8 MiB ones downloaded at
once over a link that loses 2% of frames and reorders 2%, while migrate_test=5 moves flow
groups between cores every 5 ms: every byte arrives, no connection is lost or reset."""
import hashlib
import json
import os
import re
import subprocess

import httpd_site
from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_memcached import MGMT_KEY, ixmgr
from test_net import boot, per_nic_into, stats_until, total
from test_tcp import stats_now

TESTS = []
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "httpd_client.py")
GUEST = ("ip=198.18.0.2/24 gw=198.18.0.1 stats_interval=1 app_budget_us=200000 "
         "mgmt_ip=198.19.0.2/24 mgmt_key=" + MGMT_KEY)
ARGS = "-p 80 --header-timeout 3 --access-log --log-rate 20"


def per_nic(fn):
    return per_nic_into(TESTS, fn)


def guest(ns, cmdline=GUEST, args=ARGS):
    mods = [(os.path.join(BUILD, "apps", "httpd"), args),
            (httpd_site.path(), "site.tar")]
    return Machine(direct_args(cmdline, mods), smp=4, mem="1G", netns=ns)


def up(m):
    boot(m)
    m.expect(r"datamod: site\.tar: \d+ bytes, read-only in apps at 0x7", timeout=10)
    m.expect(r"httpd: site\.tar: %d entries, \d+ bytes of files \(skipped 1 links or devices, "
             r"refused 2 unsafe names" % (len(httpd_site.FILES) + 4), timeout=120)
    m.expect(r"httpd: serving TCP port 80 on 3 cores", timeout=30)


def client(ns, tmp, *args, timeout=600):
    man = os.path.join(tmp, "manifest.json")
    if not os.path.exists(man):
        with open(man, "w") as f:
            json.dump(httpd_site.manifest(), f)
    args = [a if a != "MANIFEST" else man for a in args]
    r = ns.sh("/usr/bin/python3", CLIENT, args[0], NetNS.GUEST_IP, *map(str, args[1:]),
              check=False, timeout=timeout)
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise TestFailure("httpd_client %s printed no result (exit %d): %s %s"
                          % (args[0], r.returncode, r.stdout[-1500:], r.stderr[-1500:]))
    if not res.get("ok"):
        raise TestFailure("httpd_client %s: %s" % (args[0], json.dumps(res)[:2000]))
    return res


def app_counters(ns):
    recs = ixmgr(ns, "stats").get("appctr", [])
    if not recs:
        raise TestFailure("ixmgr stats shows no appctr record for httpd")
    return {k: int(v) for k, v in recs[0].items() if k != "name"}


def wrk(ns, path, seconds=10, conns=64):
    # wrk counts a response slower than --timeout as a socket error: a loaded host may stall
    # the guest for seconds, which is not an error of the server's.
    r = ns.sh("wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--timeout", "60s",
              "http://%s%s" % (NetNS.GUEST_IP, path), check=False, timeout=seconds + 60)
    if r.returncode != 0:
        raise TestFailure("wrk: exit %d %s %s" % (r.returncode, r.stdout, r.stderr))
    m = re.search(r"(\d+) requests in", r.stdout)
    if not m or int(m.group(1)) == 0:
        raise TestFailure("wrk made no requests: %s" % r.stdout)
    for bad in ("Socket errors", "Non-2xx or 3xx responses"):
        if bad in r.stdout:
            raise TestFailure("wrk: %s" % r.stdout)
    return int(m.group(1)), r.stdout


@per_nic
def httpd_serves_the_archive(tmp, nic):
    with NetNS(nic=nic, mgmt=True) as ns, guest(ns) as m:
        up(m)
        res = client(ns, tmp, "files", "MANIFEST")
        res2 = client(ns, tmp, "http", "MANIFEST")
        c0 = app_counters(ns)
        res3 = client(ns, tmp, "slowloris")
        res4 = client(ns, tmp, "many", 1000, "/small.html", 1024)
        c1 = app_counters(ns)
        nreq, text = wrk(ns, "/1k.bin")
        c2 = app_counters(ns)
        print("a new connection from a port in TIME-WAIT connected in %s s" % res2["tw_connect_s"])
        print("%d files by curl, %d checks over raw sockets, slowloris answered after %s s, "
              "1000 connections (slowest handshake %s s), wrk: %d requests in 10 s"
              % (res["files"], res2["checked"], res3["slowloris_s"], res4["slowest_connect_s"],
                 nreq))
        # The counters agree with what the clients did.
        if c0["path_escapes"] < res2["escapes"] - 2:  # "etc/passwd" and "*" are not escapes
            raise TestFailure("path_escapes %d, %d escapes sent" % (c0["path_escapes"],
                                                                    res2["escapes"]))
        for st in (400, 404, 405, 413, 414, 431, 501, 505, 206, 304, 416, 301):
            if not c0["status_%d" % st]:
                raise TestFailure("status_%d is 0 after the error checks: %s" % (st, c0))
        if c1["status_408"] - c0["status_408"] != 1:
            raise TestFailure("status_408 went from %d to %d" % (c0["status_408"],
                                                                 c1["status_408"]))
        if c1["conns_accepted"] - c0["conns_accepted"] < 1021:
            raise TestFailure("conns_accepted went from %d to %d, 1021 connections were made"
                              % (c0["conns_accepted"], c1["conns_accepted"]))
        if c2["status_200"] - c1["status_200"] < nreq:
            raise TestFailure("wrk counted %d responses, status_200 grew by %d"
                              % (nreq, c2["status_200"] - c1["status_200"]))
        if c2["requests"] != sum(c2["status_%d" % s] for s in (
                200, 206, 301, 304, 400, 404, 405, 408, 413, 414, 416, 431, 501, 503, 505)):
            raise TestFailure("requests != the sum of the statuses: %s" % c2)
        # The access log: lines as they happened, and at most 20 a second per core.
        m.expect(r'httpd: 198\.18\.0\.1:\d+ "GET /64k\.bin HTTP/1\.1" 200 65536')
        if not c2["access_log_dropped"]:
            raise TestFailure("wrk's requests were all logged: no rate limit (%s)" % c2)
        m.expect(r"httpd: access log: \d+ lines dropped on thread \d so far \(--log-rate 20\)",
                 timeout=30)
        m.absent(r"FATAL|error: |faulted")


@per_nic
def httpd_downloads_survive_loss_and_moves(tmp, nic):
    cmdline = GUEST + " migrate_test=5"
    man = httpd_site.manifest()
    with NetNS(nic=nic, mgmt=True, loss=2, reorder=2) as ns, guest(ns, cmdline) as m:
        up(m)
        before, _ = stats_now(m)
        names = ["big.bin"] + ["sizes/8m.bin"] * 4
        procs = []
        for i, n in enumerate(names):
            dest = os.path.join(tmp, "dl%d" % i)
            procs.append((n, dest, subprocess.Popen(
                ["ip", "netns", "exec", ns.name, "curl", "-sS", "--max-time", "900", "-o", dest,
                 "http://%s/%s" % (NetNS.GUEST_IP, n)], stderr=subprocess.PIPE)))
        for n, dest, p in procs:
            try:
                _, err = p.communicate(timeout=960)
            except subprocess.TimeoutExpired:
                p.kill()
                raise TestFailure("the download of %s did not finish" % n)
            if p.returncode != 0:
                raise TestFailure("curl %s: exit %d %s" % (n, p.returncode, err[-300:]))
            with open(dest, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if (os.path.getsize(dest), digest) != man[n]:
                raise TestFailure("%s arrived as %d bytes, sha256 %s" % (
                    n, os.path.getsize(dest), digest))

        def settled(cores, _):
            if total(cores, "conns_lost"):
                raise TestFailure("%d connections lost in moves" % total(cores, "conns_lost"))
            if total(cores, "conns_exported") != total(cores, "conns_imported"):
                return "connections between cores"
            return None

        cores, _ = stats_until(m, m.mark(), settled)
        moved = total(cores, "conns_exported") - total(before, "conns_exported")
        rex = sum(c.get("tcp_rexmit", 0) for c in cores.values()) - \
            sum(c.get("tcp_rexmit", 0) for c in before.values())
        if not moved:
            raise TestFailure("no connection moved during the downloads")
        resets = total(cores, "tcp_rst_nopcb") - total(before, "tcp_rst_nopcb")
        if resets:
            raise TestFailure("%d segments reached a core without their connection" % resets)
        c = app_counters(ns)
        if c["conns_reset"]:
            raise TestFailure("httpd saw %d connections reset" % c["conns_reset"])
        print("64 MiB + 4 x 8 MiB through 2%% loss and reordering: %d connection moves, "
              "%d retransmits" % (moved, rex))
        m.absent(r"FATAL|error: |faulted")
